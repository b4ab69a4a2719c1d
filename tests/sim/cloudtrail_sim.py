#!/usr/bin/python3
"""A local AWS for bedrock-trail's tests: CloudTrail LookupEvents, STS,
Organizations, IMDSv2 and the container credentials endpoint.

One port serves every service and region (the region comes from the SigV4
credential scope) and a JSON control API under /_sim/ (see
tests/sim/README.md). Signatures are verified with botocore's own SigV4
code, so the simulator agrees with a real AWS client byte for byte. Every
credential belongs to an account; events, roles and rate limits are kept
per account.

Standard library and botocore only; run with /usr/bin/python3.
"""

import argparse
import base64
import hashlib
import hmac
import math
import os
import random
import secrets
import ssl
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone

from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import sim_cloudtrail
import sim_common
from sim_common import (ACCOUNT, CORAL, REGIONS, _Verifier, amz, err_auth,
    err_bad_signature, iso, log, parse_authorization)
from sim_cloudtrail import WRONG_TYPES
from sim_events import Event, Generator, OTHER_SOURCES, SortedEvents, Region
from sim_http import Handler, Server
import sim_metadata
import sim_org
import sim_sso
import sim_sts

BUILTIN_CREDENTIALS = (
    {"access_key_id": "AKIDSIMULATOR0EXAMPLE",
     "secret_access_key": "sim/Secret+Key/0123456789abcdefEXAMPLE",
     "session_token": None, "allowed": True, "expired": False,
     "user_arn": "arn:aws:iam::123456789012:user/sim-reader"},
    {"access_key_id": "AKIDNOPERMISSIONEXMP",
     "secret_access_key": "sim/NoPermission/0123456789abcdefEXAMPLE",
     "session_token": None, "allowed": False, "expired": False,
     "user_arn": "arn:aws:iam::123456789012:user/sim-no-permission"},
    {"access_key_id": "ASIASIMSESSIONEXAMPL",
     "secret_access_key": "sim/Session/0123456789abcdefEXAMPLE",
     "session_token": "SimSessionToken//EXAMPLE+token=",
     "allowed": True, "expired": False,
     "user_arn": "arn:aws:sts::123456789012:assumed-role/sim-role/sim-session",
     "role_arn": "arn:aws:iam::123456789012:role/sim-role"},
    {"access_key_id": "ASIASIMEXPIREDEXAMPL",
     "secret_access_key": "sim/Expired/0123456789abcdefEXAMPLE",
     "session_token": "SimExpiredToken//EXAMPLE+token=",
     "allowed": True, "expired": True,
     "user_arn": "arn:aws:sts::123456789012:assumed-role/sim-role/expired",
     "role_arn": "arn:aws:iam::123456789012:role/sim-role"},
)

DEFAULT_CONFIG = {
    "rate_limit": 2,            # LookupEvents per (account, region) per 1.0 s
    "throttle_probability": 0.0,
    "page_size_max": 50,        # the sim never returns more per page
    "skew_past": 300,           # X-Amz-Date may lag the clock this much
    "skew_future": 900,         # and lead it this much (as AWS does)
    "credential_lifetime": 3600,  # of every temporary credential issued
    "org_rate_limit": 5,        # Organizations calls per account per 1.0 s
}

FAULT_KINDS = ("status", "throttle", "drop", "drop_before_headers",
    "drop_mid_body", "slow", "truncated", "malformed", "wrong_types", "huge",
    "error", "html", "lookalike", "entities")
FAULT_SERVICES = ("cloudtrail", "sts", "organizations", "imds", "container",
    "sso")


def account_of_arn(arn):
    """The account field of an ARN, or None."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


# ---------------------------------------------------------------- state

class Sim:
    def __init__(self, seed=0):
        self.lock = threading.RLock()
        self.seed = seed
        self.token_key = os.urandom(32)
        self.defaults = DEFAULT_CONFIG
        self.default_account = ACCOUNT
        self.org_generation = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.anchor = (time.time(), time.time())  # (real, sim)
            self.rate = 1.0
            self.config = dict(DEFAULT_CONFIG)
            self.regions = {}           # (account, region) -> Region
            self.faults = []
            self.creds = {}
            for c in BUILTIN_CREDENTIALS:
                self.add_credential(dict(c))
            self.windows = {}
            self.stats = deque(maxlen=400000)
            self.rng = random.Random(self.seed)
            self.generation = getattr(self, "generation", 0) + 1
            self.gen_calls = 0
            self.marker_n = 0
            self.issued = 0
            self.roles = {}             # role ARN -> role
            self.web_tokens = {}        # token -> {"subject", "expired"}
            self.disabled = {}          # account -> set of regions
            self.imds = {"enabled": False, "role_name": "sim-instance-role",
                "account": ACCOUNT, "allowed": True, "current": None}
            self.imds_tokens = {}
            self.container = {"authorization": None, "role_arn":
                "arn:aws:iam::%s:role/sim-task-role" % ACCOUNT,
                "allowed": True, "current": None}
            self.organization = None
            self.sso_tokens = {}        # access token -> registration

    def now(self):
        real, sim = self.anchor
        return sim + (time.time() - real) * self.rate

    def set_clock(self, now=None, advance=0.0, rate=None):
        """Re-anchor the sim clock: at `now` (default: as it is) plus
        `advance`, running `rate` times real time from here."""
        with self.lock:
            t = self.now() if now is None else float(now)
            self.anchor = (time.time(), t + float(advance))
            if rate is not None:
                if not 0 < float(rate) <= 1000:
                    raise ValueError("rate is in (0, 1000]")
                self.rate = float(rate)

    # ---- credentials

    def add_credential(self, c):
        """c: access_key_id, secret_access_key, session_token, allowed,
        expired, user_arn, account, expires (sim epoch), role_arn."""
        c.setdefault("account", account_of_arn(c.get("user_arn")) or ACCOUNT)
        c.setdefault("user_arn", "arn:aws:iam::%s:user/%s" % (c["account"],
            c["access_key_id"]))
        c.setdefault("expires", None)
        c.setdefault("role_arn", None)
        with self.lock:
            self.creds[c["access_key_id"]] = c
        return c

    def issue(self, account, arn, allowed, lifetime, role_arn, source):
        """New temporary credentials (ASIA...) for an assumed role."""
        with self.lock:
            self.issued += 1
            n = self.issued
            now = self.now()
            life = min(float(self.config["credential_lifetime"]),
                float(lifetime))
        alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        akid = "ASIA" + "".join(secrets.choice(alpha) for _ in range(12)) + \
            "%04d" % (n % 10000)
        c = {"access_key_id": akid,
            "secret_access_key": base64.b64encode(os.urandom(30)).decode(),
            "session_token": "IQoJb3JpZ2luX2VjE" + base64.b64encode(
                os.urandom(96)).decode() + "/sim+%s" % source,
            "allowed": allowed, "expired": False, "user_arn": arn,
            "account": account, "issued": now, "expires": now + life,
            "role_arn": role_arn, "source": source}
        return self.add_credential(c)

    def expired(self, cred, now=None):
        if cred.get("expired"):
            return True
        exp = cred.get("expires")
        return exp is not None and (self.now() if now is None else now) >= exp

    def account_of_key(self, akid):
        with self.lock:
            c = self.creds.get(akid)
            return c["account"] if c else None

    # ---- events

    def region(self, account, name):
        r = self.regions.get((account, name))
        if r is None:
            r = self.regions[(account, name)] = Region()
        return r

    def add_records(self, account, region, recs):
        """recs: list of (record dict, delay). All or nothing."""
        return self.insert(account, region, [Event(rec, delay)
            for rec, delay in recs])

    def insert(self, account, region, evs):
        with self.lock:
            r = self.region(account, region)
            seen = set()
            for e in evs:
                if e.eid in r.ids or e.eid in seen:
                    raise ValueError("duplicate eventID %s in %s" % (e.eid,
                        region))
                seen.add(e.eid)
            r.ids |= seen
            r.all.add(evs)
            groups = {}
            for e in evs:
                groups.setdefault(e.source, []).append(e)
            for src, g in groups.items():
                r.by_source.setdefault(src, SortedEvents()).add(g)
        return evs

    def generate(self, region="us-east-1", start=None, end=None, count=100,
            seed=None, markers=False, other_sources=False, delay_max=900,
            event_source="bedrock.amazonaws.com", delay_min=None,
            account=None, accounts=None, regions=None, clone=None):
        """One (account, region), or every pair of accounts x regions. With
        several accounts (and no markers, unless clone is false), each
        region's events are generated once and copied to the other
        accounts with their own eventIDs and account ids: cheap enough for
        an organisation of hundreds of accounts."""
        args = (start, end, count, None, markers, other_sources, delay_max,
            event_source, delay_min)
        if accounts is None and regions is None:
            return self.generate_one(account or ACCOUNT, region,
                *self.seeded(args, seed, None))[0]
        accounts = accounts or [account or ACCOUNT]
        if clone is None:
            clone = not markers
        added = matching = 0
        for reg in regions or [region]:
            first = None
            for acct in accounts:
                if first is not None and clone:
                    evs = self.copy_events(first, acct, reg, seed)
                    added += len(evs)
                    matching += int(count)
                    continue
                r, evs = self.generate_one(acct, reg, *self.seeded(args,
                    seed, acct))
                first = (acct, evs)
                added += r["added"]
                matching += r["matching"]
        return {"added": added, "matching": matching}

    @staticmethod
    def seeded(args, seed, acct):
        s = None if seed is None else (seed if acct is None else
            "%s/%s" % (seed, acct))
        return args[:3] + (s,) + args[4:]

    def copy_events(self, first, acct, region, seed):
        src_acct, src = first
        rng = random.Random("%s/%s/%s/copy" % (seed, acct, region))
        evs = [e.copy(src_acct, acct, str(uuid.UUID(int=rng.getrandbits(
            128), version=4))) for e in src]
        return self.insert(acct, region, evs)

    def generate_one(self, account, region, start, end, count, seed, markers,
            other_sources, delay_max, event_source, delay_min):
        if region not in REGIONS:
            raise ValueError("unknown region %s" % region)
        with self.lock:
            now = self.now()
            end = now if end is None else float(end)
            start = end - 86400 if start is None else float(start)
            if start > end:
                raise ValueError("start after end")
            if seed is None:
                seed = "%s:%d" % (self.seed, self.gen_calls)
            self.gen_calls += 1
            # The default account keeps the seeds of the one-account sim.
            key = "%s/%s/%s" % (seed, region, event_source)
            if account != ACCOUNT:
                key += "/" + account
            rng = random.Random(key)
            gen = Generator(rng, region, markers, self.marker_n, account)
            if other_sources is True:
                others = [s for s, _ in OTHER_SOURCES]
                n_other = max(1, count // 4)
            elif isinstance(other_sources, list):
                others = other_sources
                n_other = max(1, count // 4)
            else:
                others, n_other = [], 0
            dmin = min(60.0, delay_max) if delay_min is None else delay_min
            lo, hi = math.ceil(start), math.floor(end)
            if lo > hi:
                raise ValueError("no whole second between start and end")
            recs = []
            for i in range(int(count) + n_other):
                t = rng.randint(lo, hi)
                if i < count:
                    rec = gen.bedrock(t, event_source)
                else:
                    rec = gen.other(t, others)
                delay = rng.uniform(dmin, delay_max) if delay_max > 0 else 0
                recs.append((rec, delay))
            evs = self.add_records(account, region, recs)
            self.marker_n = gen.marker_n
            return {"added": len(recs), "matching": int(count)}, evs

    def list_events(self, account, region, source, full):
        """account None: the built-in account; "*": every account."""
        out = []
        account = account or ACCOUNT
        with self.lock:
            keys = sorted(k for k in self.regions if (account == "*" or
                k[0] == account) and (not region or k[1] == region))
            for acct, name in keys:
                r = self.regions[(acct, name)]
                lst = r.by_source.get(source) if source else r.all
                for e in (lst.events if lst else ()):
                    d = {"eventID": e.eid, "eventTime": iso(e.t),
                        "eventTimeEpoch": e.t, "visibleAt": e.visible,
                        "eventSource": e.source, "eventName": e.name,
                        "region": name, "account": acct}
                    if full:
                        d["record"] = e.record()
                    out.append(d)
        return out

    # ---- faults

    def take_fault(self, service, action, region, akid):
        with self.lock:
            hit = None
            for f in self.faults:
                if f["service"] != service:
                    continue
                if f.get("action") not in (None, action):
                    continue
                if f.get("region") not in (None, region):
                    continue
                if f.get("access_key_id") not in (None, akid):
                    continue
                if f["after"] > 0:
                    f["after"] -= 1
                    continue
                if hit is None:
                    hit = dict(f)
                    f["count"] -= 1
            self.faults = [f for f in self.faults if f["count"] > 0]
            return hit

    def add_faults(self, faults):
        clean = []
        for f in faults:
            if not isinstance(f, dict) or f.get("kind") not in FAULT_KINDS:
                raise ValueError("unknown fault %r (kinds: %s)" % (f,
                    ", ".join(FAULT_KINDS)))
            f = dict(f)
            f.setdefault("service", "cloudtrail")
            if f["service"] not in FAULT_SERVICES:
                raise ValueError("unknown fault service %r (%s)" % (
                    f["service"], ", ".join(FAULT_SERVICES)))
            if f["kind"] == "drop":
                f["kind"] = "drop_before_headers"
            f["after"] = int(f.get("after", 0))
            f["count"] = int(f.get("count", 1))
            if f["kind"] == "wrong_types" and f.get("variant",
                    WRONG_TYPES[0]) not in WRONG_TYPES:
                raise ValueError("unknown wrong_types variant (%s)" %
                    ", ".join(WRONG_TYPES))
            clean.append(f)
        with self.lock:
            self.faults.extend(clean)

    # ---- rate limiting

    def admit(self, key, limit=None):
        """Sliding 1.0 s window per key; throttled requests do not use it
        up. key: ("cloudtrail", account, region) or ("organizations",
        account)."""
        with self.lock:
            if limit is None:
                limit = int(self.config["rate_limit"])
                p = float(self.config["throttle_probability"])
                if p > 0 and self.rng.random() < p:
                    return False
            if limit <= 0:
                return True
            now = time.monotonic()
            w = self.windows.setdefault(key, deque())
            while w and w[0] <= now - 1.0:
                w.popleft()
            if len(w) >= limit:
                return False
            w.append(now)
            return True

    # ---- LookupEvents

    def authenticate(self, h, method, path, body, service="cloudtrail"):
        """SigV4 for `service`; returns (credential dict, region)."""
        auth = h.get("Authorization")
        if not auth:
            raise err_auth("MissingAuthenticationTokenException",
                "Missing Authentication Token")
        params = parse_authorization(auth)
        scope = params["Credential"].split("/")
        if len(scope) != 5:
            raise err_auth("IncompleteSignatureException", "Credential should "
                "have exactly 5 slash-separated parts, not %d." % len(scope))
        akid, date8, region, scope_service, term = scope
        if term != "aws4_request":
            raise err_auth("InvalidSignatureException", "Credential should be "
                "scoped with a valid terminator: 'aws4_request', not '%s'. "
                % term)
        if region not in REGIONS:
            raise err_auth("InvalidSignatureException",
                "Credential should be scoped to a valid region. ")
        if scope_service != service:
            raise err_auth("InvalidSignatureException", "Credential should be "
                "scoped to correct service: '%s'. " % service)
        amzdate = h.get("X-Amz-Date")
        if not amzdate:
            raise err_auth("IncompleteSignatureException", "Authorization "
                "header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header. Authorization=" + auth.split(",")[0])
        try:
            t_req = datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise err_auth("IncompleteSignatureException", "Date must be in "
                "ISO-8601 'basic format'. Got '%s'. See "
                "http://en.wikipedia.org/wiki/ISO_8601" % amzdate)
        if date8 != amzdate[:8]:
            raise err_auth("InvalidSignatureException", "Date in Credential "
                "scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '%s' != '%s', from '%s'." % (date8, amzdate[:8],
                    amzdate))
        signed = params["SignedHeaders"].split(";")
        if "host" not in signed:
            raise err_auth("InvalidSignatureException", "'Host' or "
                "':authority' must be a 'SignedHeader' in the AWS "
                "Authorization.")
        with self.lock:
            cred = self.creds.get(akid)
            cred = dict(cred) if cred else None
            skew_past = float(self.config["skew_past"])
            skew_future = float(self.config["skew_future"])
            now = self.now()
        if cred is None or region in self.disabled.get(cred["account"], ()):
            raise err_auth("UnrecognizedClientException",
                "The security token included in the request is invalid.")
        token = h.get("X-Amz-Security-Token")
        if (cred.get("session_token") or None) != (token or None):
            raise err_auth("UnrecognizedClientException",
                "The security token included in the request is invalid.")
        if self.expired(cred, now):
            raise err_auth("ExpiredTokenException", "The security token "
                "included in the request is expired", ns=CORAL)
        if t_req < now - skew_past:
            raise err_auth("InvalidSignatureException", "Signature expired: "
                "%s is now earlier than %s (%s - %d min.)" % (amzdate,
                    amz(now - skew_past), amz(now), skew_past // 60))
        if t_req > now + skew_future:
            raise err_auth("InvalidSignatureException", "Signature not yet "
                "current: %s is still later than %s (%s + %d min.)" % (
                    amzdate, amz(now + skew_future), amz(now),
                    skew_future // 60))
        if token and "x-amz-security-token" not in signed:
            raise err_bad_signature()
        values = {}
        for name in signed:
            v = h.get_all(name)
            if not v:
                raise err_bad_signature()
            values[name] = v
        sha = h.get("X-Amz-Content-SHA256")
        if sha is not None and sha != hashlib.sha256(body).hexdigest():
            raise err_bad_signature()
        v = _Verifier(Credentials(akid, cred["secret_access_key"], token),
            region, signed, values, service)
        req = AWSRequest(method=method, url="http://sim" + path, data=body)
        if sha is not None and "x-amz-content-sha256" in signed:
            req.headers["X-Amz-Content-SHA256"] = sha
        req.context["timestamp"] = amzdate
        cr = v.canonical_request(req)
        sig = v.signature(v.string_to_sign(req, cr), req)
        log("canonical request:\n%s", cr)
        if not hmac.compare_digest(sig, params["Signature"]):
            raise err_bad_signature()
        return cred, region

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--demo-hours", type=float, default=24)
    ap.add_argument("--demo-region", action="append")
    ap.add_argument("--demo-events", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    sim_common.VERBOSE = a.verbose

    sim = Sim(a.seed)
    if a.demo_events:
        regions = [r for v in (a.demo_region or ["us-east-1"])
            for r in v.split(",") if r]
        now = sim.now()
        for r in regions:
            sim.generate(region=r, start=now - a.demo_hours * 3600, end=now,
                count=a.demo_events, other_sources=True)
    srv = Server((a.host, a.port), Handler)
    srv.sim = sim
    srv.services = {"cloudtrail": sim_cloudtrail.CloudTrail, "sts": sim_sts.Sts,
        "organizations": sim_org.Organizations, "imds": sim_metadata.Imds,
        "container": sim_metadata.Container, "sso": sim_sso.Sso}
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
            do_handshake_on_connect=False)
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    log("listening on %s:%d%s", a.host, port, " (TLS)" if a.tls_cert else "")
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
