"""Drive tests/sim/cloudtrail_sim.py from tests: start, stop, control API.

Also: a test CA and server certificate made with the openssl command line,
the simulator's built-in credentials, `signed_post` for raw LookupEvents
requests signed by botocore (to poke at the wire protocol directly), and
`sts`, `org_post`, `imds_credentials`, `container_get` for the simulator's
STS, Organizations, IMDSv2 and container endpoint.
"""

import http.client
import json
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIM_SCRIPT = REPO / "tests" / "sim" / "cloudtrail_sim.py"
PYTHON = "/usr/bin/python3"

LOOKUP_TARGET = ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
    "LookupEvents")
ORG_PREFIX = "AWSOrganizationsV20161128."
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"

# The account of the built-in credentials, and the default of every call
# that takes an account.
ACCOUNT = "123456789012"

# The simulator's built-in credentials.
ALLOWED_KEY = "AKIDSIMULATOR0EXAMPLE"
ALLOWED_SECRET = "sim/Secret+Key/0123456789abcdefEXAMPLE"
DENIED_KEY = "AKIDNOPERMISSIONEXMP"
DENIED_SECRET = "sim/NoPermission/0123456789abcdefEXAMPLE"
SESSION_KEY = "ASIASIMSESSIONEXAMPL"
SESSION_SECRET = "sim/Session/0123456789abcdefEXAMPLE"
SESSION_TOKEN = "SimSessionToken//EXAMPLE+token="
EXPIRED_KEY = "ASIASIMEXPIREDEXAMPL"
EXPIRED_SECRET = "sim/Expired/0123456789abcdefEXAMPLE"
EXPIRED_TOKEN = "SimExpiredToken//EXAMPLE+token="

CREDENTIALS = {
    "allowed": (ALLOWED_KEY, ALLOWED_SECRET, None),
    "denied": (DENIED_KEY, DENIED_SECRET, None),
    "session": (SESSION_KEY, SESSION_SECRET, SESSION_TOKEN),
    "expired": (EXPIRED_KEY, EXPIRED_SECRET, EXPIRED_TOKEN),
}


class SimError(Exception):
    pass


class Sim:
    """One simulator process and a client for its /_sim/ control API."""

    def __init__(self, workdir=None, seed=0, verbose=False, extra_args=()):
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="ctsim-"))
        self.seed = seed
        self.verbose = verbose
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.url = None
        self.tls = None
        self.ca_path = None
        self._ssl = None
        self._log = None
        self._anchor = None  # (real, sim, rate) as last seen

    # ---- process

    def start(self, tls=None):
        """tls: None, or (cert_path, key_path[, ca_path])."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        port_file = self.workdir / "sim.port"
        if port_file.exists():
            port_file.unlink()
        cmd = [PYTHON, str(SIM_SCRIPT), "--port", "0", "--port-file",
            str(port_file), "--seed", str(self.seed)] + self.extra_args
        if self.verbose:
            cmd.append("--verbose")
        if tls:
            cmd += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
            self.tls = tls
            self.ca_path = str(tls[2]) if len(tls) > 2 else None
        self._log = open(self.workdir / "sim.log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if self.proc.poll() is not None:
                raise SimError("simulator exited with %s: %s" % (
                    self.proc.returncode, self.log_text()))
            if time.monotonic() > deadline:
                self.stop()
                raise SimError("simulator did not start: " + self.log_text())
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        scheme = "https" if tls else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        if tls:
            self._ssl = ssl.create_default_context(cafile=self.ca_path) \
                if self.ca_path else ssl._create_unverified_context()
        self.ping()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        self._anchor = None  # (real, sim, rate) as last seen

    def log_text(self):
        try:
            return (self.workdir / "sim.log").read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- control API

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
            method=method, headers={"Content-Type": "application/json"})
        # Never through a proxy, whatever the environment says.
        handlers = [urllib.request.ProxyHandler({})]
        if self._ssl:
            handlers.append(urllib.request.HTTPSHandler(context=self._ssl))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise SimError("%s %s: %s %s" % (method, path, e.code,
                e.read().decode(errors="replace"))) from None

    def ping(self):
        return self.call("GET", "/_sim/ping")

    def reset(self):
        self._anchor = None
        return self.call("POST", "/_sim/reset", {})

    def config(self, **kw):
        return self.call("POST", "/_sim/config", kw)

    def clock(self):
        return self._note(self.call("GET", "/_sim/clock"))

    def set_clock(self, epoch, rate=None):
        """rate: sim seconds per real second from now on (pair it with
        faketime's "@TIME xRATE")."""
        body = {"now": epoch}
        if rate is not None:
            body["rate"] = rate
        return self._note(self.call("POST", "/_sim/clock", body))

    def advance(self, seconds):
        return self._note(self.call("POST", "/_sim/clock",
            {"advance": seconds}))

    def _note(self, now):
        if not isinstance(now, dict):
            now = self.call("GET", "/_sim/clock")
        self._anchor = (time.time(), now["now"], now.get("rate", 1.0))
        return now["now"]

    def sim_time(self):
        """The sim clock now, from the last known anchor and rate."""
        if self._anchor is None:
            return time.time()
        real, sim, rate = self._anchor
        return sim + (time.time() - real) * rate

    def amz_now(self):
        """The sim clock as X-Amz-Date (from the last known anchor)."""
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.sim_time()))

    def add_events(self, region, events, delay=0, account=None):
        body = {"region": region, "events": events, "delay": delay}
        if account:
            body["account"] = account
        return self.call("POST", "/_sim/events", body)

    def generate(self, **kw):
        """region/account, or accounts=[...] x regions=[...] in one call."""
        return self.call("POST", "/_sim/generate", kw)

    def events(self, region=None, source=None, full=False, account=None):
        """account None: the built-in account's; "*": every account's."""
        q = []
        if region:
            q.append("region=" + region)
        if source:
            q.append("source=" + source)
        if full:
            q.append("full=1")
        if account:
            q.append("account=" + account)
        return self.call("GET", "/_sim/events?" + "&".join(q))["events"]

    def faults(self, faults):
        return self.call("POST", "/_sim/faults", {"faults": list(faults)})

    def pending_faults(self):
        return self.call("GET", "/_sim/faults")["faults"]

    def clear_faults(self):
        return self.call("DELETE", "/_sim/faults")

    def add_credentials(self, access_key_id, secret_access_key,
            session_token=None, allowed=True, expired=False, user_arn=None,
            account=None, expires=None):
        """account: default the user ARN's, else the built-in account."""
        body = {"access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "session_token": session_token, "allowed": allowed,
            "expired": expired}
        for k, v in (("user_arn", user_arn), ("account", account),
                ("expires", expires)):
            if v is not None:
                body[k] = v
        return self.call("POST", "/_sim/credentials", body)

    def credentials(self):
        """Every credential the sim knows, issued ones too (no secrets)."""
        return self.call("GET", "/_sim/credentials?full=1")["credentials"]

    def add_role(self, arn, external_id=None, trusted=None, allowed=True,
            web_identity=False, max_duration=3600):
        role = {"arn": arn, "allowed": allowed, "web_identity": web_identity,
            "max_duration": max_duration}
        if external_id is not None:
            role["external_id"] = external_id
        if trusted is not None:
            role["trusted"] = list(trusted)
        return self.call("POST", "/_sim/roles", role)

    def add_roles(self, roles):
        """roles: a list of role dicts as /_sim/roles takes them."""
        return self.call("POST", "/_sim/roles", {"roles": list(roles)})

    def clear_roles(self):
        return self.call("DELETE", "/_sim/roles", {})

    def web_identity(self, token, **kw):
        return self.call("POST", "/_sim/web_identity", dict(kw, token=token))

    def sso(self, token, **kw):
        """Register an SSO access token: user, roles (["ACCOUNT/ROLE"]),
        allowed, expired."""
        return self.call("POST", "/_sim/sso", dict(kw, token=token))

    def sso_get(self, role_name, account_id, token=None):
        """GetRoleCredentials; returns (status, headers, body)."""
        from urllib.parse import urlencode
        h = {"x-amz-sso_bearer_token": token} if token else {}
        return self.request("GET", "/federation/credentials?" + urlencode(
            {"role_name": role_name, "account_id": account_id}), b"", h)

    def imds(self, **kw):
        """role_name, account, enabled, allowed."""
        return self.call("POST", "/_sim/imds", kw)

    def container(self, **kw):
        """authorization (None: no check), role_arn, allowed."""
        return self.call("POST", "/_sim/container", kw)

    def organization(self, management_account, accounts, page_size=20,
            empty_pages=()):
        return self.call("POST", "/_sim/organization", {
            "management_account": management_account, "accounts": accounts,
            "page_size": page_size, "empty_pages": list(empty_pages)})

    def disable_regions(self, account, regions):
        return self.call("POST", "/_sim/accounts", {"account": account,
            "disabled_regions": list(regions)})

    def stats(self):
        return self.call("GET", "/_sim/stats")["requests"]

    def reset_stats(self):
        return self.call("POST", "/_sim/stats/reset", {})

    # ---- helpers for tests

    def expected_ids(self, region, source="bedrock.amazonaws.com",
            start=None, end=None, at=None, account=None):
        """eventIDs LookupEvents should return, newest first."""
        at = self.clock() if at is None else at
        evs = [e for e in self.events(region, source, account=account)
            if e["visibleAt"] <= at
            and (start is None or e["eventTimeEpoch"] >= start)
            and (end is None or e["eventTimeEpoch"] <= end)]
        evs.sort(key=lambda e: (e["eventTimeEpoch"], e["eventID"]),
            reverse=True)
        return [e["eventID"] for e in evs]

    def signed_post(self, body, region="us-east-1", creds="allowed",
            amz_date=None, headers=None, target=LOOKUP_TARGET, conn=None,
            service="cloudtrail"):
        """A LookupEvents request signed by botocore at amz_date (default:
        the sim's clock); returns (status, headers dict with lower-case
        names, body bytes). headers override the signed ones."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", "/", data, {"X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.1"}, service, region,
            creds, amz_date, headers, conn)

    def request(self, method, path, data=b"", base_headers=None,
            service=None, region="us-east-1", creds="allowed", amz_date=None,
            headers=None, conn=None):
        """Any request; signed by botocore for `service` unless it is
        None. Returns (status, lower-case headers, body bytes)."""
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        if isinstance(creds, str):
            creds = CREDENTIALS[creds]
        req = AWSRequest(method=method, url=self.url + path, data=data,
            headers=dict(base_headers or {}))
        if service:
            signer = _Signer(Credentials(*creds), service, region)
            signer.amz_date = amz_date or self.amz_now()
            signer.add_auth(req)
        hdrs = dict(req.headers.items())
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        own = conn is None
        if own:
            conn = self.connection()
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            out = (r.status, {k.lower(): v for k, v in r.getheaders()},
                r.read())
        finally:
            if own:
                conn.close()
        return out

    def sts(self, params, creds="allowed", region="us-east-1", signed=True,
            amz_date=None, headers=None):
        """An STS Query request (Version added), form-encoded POST signed
        for sts unless signed=False. Returns (status, headers, body)."""
        from urllib.parse import urlencode
        p = {"Version": "2011-06-15"}
        p.update(params)
        data = urlencode(p).encode()
        return self.request("POST", "/", data, {"Content-Type":
            "application/x-www-form-urlencoded; charset=utf-8"},
            "sts" if signed else None, region, creds, amz_date, headers)

    def sts_xml(self, params, **kw):
        """sts(), the answer parsed: (status, {tag without namespace: text}
        of every leaf element)."""
        import xml.etree.ElementTree as ET
        status, _, body = self.sts(params, **kw)
        leaves = {}
        for el in ET.fromstring(body).iter():
            if len(el) == 0:
                leaves[el.tag.split("}")[-1]] = el.text
        return status, leaves

    def assume_role(self, role_arn, session="sim-test", creds="allowed",
            **extra):
        """AssumeRole; returns (access key, secret, token) or raises
        SimError with the error code and message."""
        status, x = self.sts_xml(dict(extra, Action="AssumeRole",
            RoleArn=role_arn, RoleSessionName=session), creds=creds)
        if status != 200:
            raise SimError("%s: %s" % (x.get("Code"), x.get("Message")))
        return (x["AccessKeyId"], x["SecretAccessKey"], x["SessionToken"])

    def org_post(self, action, body, creds="allowed", region="us-east-1"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", "/", data, {"X-Amz-Target": ORG_PREFIX +
            action, "Content-Type": "application/x-amz-json-1.1"},
            "organizations", region, creds)

    def imds_token(self, ttl=21600):
        status, _, body = self.request("PUT", "/latest/api/token", b"",
            {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
        if status != 200:
            raise SimError("IMDS token: %d" % status)
        return body.decode()

    def imds_get(self, path, token=None):
        h = {"X-aws-ec2-metadata-token": token} if token else {}
        return self.request("GET", path, b"", h)

    def imds_credentials(self):
        """The instance role's credentials JSON, through IMDSv2."""
        tok = self.imds_token()
        base = "/latest/meta-data/iam/security-credentials/"
        name = self.imds_get(base, tok)[2].decode()
        return json.loads(self.imds_get(base + name, tok)[2])

    def container_get(self, authorization=None):
        h = {"Authorization": authorization} if authorization else {}
        return self.request("GET", "/_container/credentials", b"", h)

    def connection(self, timeout=30):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port,
                timeout=timeout, context=self._ssl)
        return http.client.HTTPConnection("127.0.0.1", self.port,
            timeout=timeout)


def _signer_class():
    from botocore.auth import SigV4Auth

    class Signer(SigV4Auth):
        """botocore's SigV4, at a chosen time when amz_date is set."""
        amz_date = None

        def add_auth(self, request):
            if self.amz_date is None:
                return super().add_auth(request)
            request.context["timestamp"] = self.amz_date
            self._modify_request_before_signing(request)
            cr = self.canonical_request(request)
            sig = self.signature(self.string_to_sign(request, cr), request)
            self._inject_signature_to_request(request, sig)
    return Signer


class _LazySigner:
    def __call__(self, *a):
        return _signer_class()(*a)


_Signer = _LazySigner()


# ---------------------------------------------------------------- TLS

def _openssl(*args, cwd):
    r = subprocess.run(("openssl",) + args, cwd=cwd, capture_output=True)
    if r.returncode != 0:
        raise SimError("openssl %s: %s" % (args[0], r.stderr.decode()))


def make_test_ca(tmpdir, names=("localhost",)):
    """A CA and a server certificate for 127.0.0.1 and the DNS names.
    Returns dict(ca=, cert=, key=) of paths (strings)."""
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    ext = d / "server.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,%s\n" % ",".join("DNS:" + n
            for n in names))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj",
        "/CN=bedrock-trail test CA", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext",
        "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-days", "30", "-out", "server.pem",
        "-extfile", str(ext), cwd=d)
    return {"ca": str(d / "ca.pem"), "cert": str(d / "server.pem"),
        "key": str(d / "server.key")}


def make_untrusted_cert(tmpdir):
    """A self-signed server certificate for 127.0.0.1 and localhost, that
    nothing trusts. Returns dict(cert=, key=)."""
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-keyout", "untrusted.key", "-out", "untrusted.pem", "-subj",
        "/CN=localhost", "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=d)
    return {"cert": str(d / "untrusted.pem"), "key": str(d / "untrusted.key")}


if __name__ == "__main__":
    # Handy by hand: python3 tests/e2e/simctl.py  -> starts a sim and waits.
    with Sim(verbose=True).start() as s:
        print(s.url, flush=True)
        try:
            s.proc.wait()
        except KeyboardInterrupt:
            pass
    sys.exit(0)
