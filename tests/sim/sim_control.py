"""The simulator's control API: JSON over HTTP under /_sim/, unsigned.

Each endpoint is one small function; `control` dispatches on the path.
Bad requests raise ValueError/KeyError/TypeError, answered 400 by the
handler.
"""

import json
import uuid

from sim_common import REGIONS, iso, parse_iso


def control(h, method, path, query, body):
    sim = h.sim
    req = json.loads(body) if body.strip() else {}
    if not isinstance(req, dict):
        raise ValueError("request body must be a JSON object")
    fn = ENDPOINTS.get(path)
    if fn is None:
        return h.send_json(404, {"error": "no such control endpoint %s %s"
            % (method, path)})
    q = {k: v[0] for k, v in query.items()}
    out = fn(sim, method, req, q)
    if out is None:
        return h.send_json(404, {"error": "no such control endpoint %s %s"
            % (method, path)})
    return h.send_json(200, out)


OK = {"ok": True}


def c_reset(sim, method, req, q):
    if method == "POST":
        sim.reset()
        return OK


def c_ping(sim, method, req, q):
    if method == "GET":
        return OK


def c_config(sim, method, req, q):
    defaults = sim.defaults
    if method == "POST":
        with sim.lock:
            for k in req:
                if k not in defaults:
                    raise ValueError("unknown config key %s" % k)
            for k, v in req.items():
                sim.config[k] = type(defaults[k])(v)
    return dict(sim.config)


def c_clock(sim, method, req, q):
    if method == "POST":
        for k in req:
            if k not in ("now", "advance", "rate"):
                raise ValueError("unknown clock key %s" % k)
        sim.set_clock(req.get("now"), req.get("advance", 0), req.get("rate"))
    with sim.lock:
        return {"now": sim.now(), "rate": sim.rate}


def c_events(sim, method, req, q):
    if method == "GET":
        return {"events": sim.list_events(q.get("account"), q.get("region"),
            q.get("source"), q.get("full") in ("1", "true"))}
    if method == "POST":
        return add_events(sim, req)


def add_events(sim, req):
    region = req.get("region", "us-east-1")
    account = str(req.get("account") or sim.default_account)
    if region not in REGIONS:
        raise ValueError("unknown region %s" % region)
    delay = float(req.get("delay", 0))
    recs = []
    for ev in req.get("events", []):
        ev = dict(ev)
        d = float(ev.pop("_delay", delay))
        if isinstance(ev.get("eventTime"), (int, float)):
            ev["eventTime"] = iso(ev["eventTime"])
        if "eventTime" not in ev:
            ev["eventTime"] = iso(sim.now())
        ev.setdefault("eventID", str(uuid.uuid4()))
        ev.setdefault("eventSource", "bedrock.amazonaws.com")
        ev.setdefault("awsRegion", region)
        ev.setdefault("recipientAccountId", account)
        parse_iso(ev["eventTime"])
        recs.append((ev, d))
    evs = sim.add_records(account, region, recs)
    return {"added": len(evs), "eventIDs": [e.eid for e in evs]}


GENERATE_KEYS = ("region", "start", "end", "count", "seed", "markers",
    "other_sources", "delay_max", "delay_min", "event_source", "account",
    "accounts", "regions", "clone")


def c_generate(sim, method, req, q):
    if method != "POST":
        return None
    for k in req:
        if k not in GENERATE_KEYS:
            raise ValueError("unknown generate key %s" % k)
    if req.get("account") is not None:
        req["account"] = str(req["account"])
    if req.get("accounts") is not None:
        req["accounts"] = [str(a) for a in req["accounts"]]
    return sim.generate(**req)


def c_faults(sim, method, req, q):
    if method == "POST":
        sim.add_faults(req.get("faults", []))
    elif method == "DELETE":
        with sim.lock:
            sim.faults = []
    with sim.lock:
        return {"faults": list(sim.faults)}


def c_credentials(sim, method, req, q):
    if method == "POST":
        c = {"access_key_id": req["access_key_id"],
            "secret_access_key": req["secret_access_key"],
            "session_token": req.get("session_token"),
            "allowed": bool(req.get("allowed", True)),
            "expired": bool(req.get("expired", False))}
        for k in ("user_arn", "account", "expires", "role_arn"):
            if req.get(k) is not None:
                c[k] = req[k]
        if "account" in c:
            c["account"] = str(c["account"])
        sim.add_credential(c)
    elif method == "DELETE":
        with sim.lock:
            sim.creds.pop(req["access_key_id"], None)
    with sim.lock:
        if q.get("full") in ("1", "true"):
            return {"credentials": [public_cred(c)
                for c in sim.creds.values()]}
        return {"credentials": sorted(sim.creds)}


def public_cred(c):
    return {k: c.get(k) for k in ("access_key_id", "account", "user_arn",
        "role_arn", "allowed", "expired", "issued", "expires", "source")}


ROLE_KEYS = ("arn", "external_id", "trusted", "allowed", "web_identity",
    "max_duration")


def c_roles(sim, method, req, q):
    if method == "POST":
        roles = req["roles"] if "roles" in req else [req]
        clean = [check_role(r) for r in roles]
        with sim.lock:
            for r in clean:
                sim.roles[r["arn"]] = r
    elif method == "DELETE":
        with sim.lock:
            if req.get("arn"):
                sim.roles.pop(req["arn"], None)
            else:
                sim.roles = {}
    with sim.lock:
        return {"roles": [dict(r) for r in sim.roles.values()]}


def check_role(r):
    if not isinstance(r, dict):
        raise ValueError("a role is an object")
    for k in r:
        if k not in ROLE_KEYS:
            raise ValueError("unknown role key %s" % k)
    arn = r["arn"]
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith(
            "role/") or not parts[4].isdigit() or len(parts[4]) != 12:
        raise ValueError("not a role ARN: %s" % arn)
    trusted = r.get("trusted")
    if trusted is not None and not isinstance(trusted, list):
        raise ValueError("trusted is a list")
    md = int(r.get("max_duration", 3600))
    if not 3600 <= md <= 43200:
        raise ValueError("max_duration is 3600..43200")
    return {"arn": arn, "account": parts[4],
        "name": parts[5].rsplit("/", 1)[-1],
        "external_id": r.get("external_id"),
        "trusted": None if trusted is None else [str(t) for t in trusted],
        "allowed": bool(r.get("allowed", True)),
        "web_identity": bool(r.get("web_identity", False)),
        "max_duration": md}


def c_web_identity(sim, method, req, q):
    if method == "POST":
        tok = req["token"]
        if not isinstance(tok, str) or len(tok) < 4:
            raise ValueError("token: a string of 4 or more characters")
        with sim.lock:
            sim.web_tokens[tok] = {"subject": req.get("subject",
                "system:serviceaccount:default:bedrock-trail"),
                "audience": req.get("audience", "sts.amazonaws.com"),
                "provider": req.get("provider",
                    "oidc.eks.us-east-1.amazonaws.com/id/SIMULATOR"),
                "expired": bool(req.get("expired", False))}
    elif method == "DELETE":
        with sim.lock:
            sim.web_tokens = {}
    with sim.lock:
        return {"tokens": len(sim.web_tokens)}


def c_imds(sim, method, req, q):
    if method == "POST":
        with sim.lock:
            for k, v in req.items():
                if k not in ("role_name", "account", "enabled", "allowed"):
                    raise ValueError("unknown imds key %s" % k)
                sim.imds[k] = str(v) if k in ("role_name", "account") \
                    else bool(v)
            sim.imds["current"] = None
    with sim.lock:
        return {k: v for k, v in sim.imds.items() if k != "current"}


def c_container(sim, method, req, q):
    if method == "POST":
        with sim.lock:
            for k, v in req.items():
                if k not in ("authorization", "role_arn", "allowed"):
                    raise ValueError("unknown container key %s" % k)
                sim.container[k] = bool(v) if k == "allowed" else v
            sim.container["current"] = None
    with sim.lock:
        return {k: v for k, v in sim.container.items() if k != "current"}


def c_sso(sim, method, req, q):
    """An SSO access token (as cached by `aws sso login`) and what it may
    reach: roles ["ACCOUNT/ROLE_NAME", ...], absent = any."""
    if method == "POST":
        tok = req["token"]
        roles = req.get("roles")
        if roles is not None and not isinstance(roles, list):
            raise ValueError("roles is a list of ACCOUNT/ROLE_NAME")
        with sim.lock:
            sim.sso_tokens[tok] = {"user": req.get("user", "alice"),
                "roles": roles, "allowed": bool(req.get("allowed", True)),
                "expired": bool(req.get("expired", False))}
    elif method == "DELETE":
        with sim.lock:
            sim.sso_tokens = {}
    with sim.lock:
        return {"tokens": len(sim.sso_tokens)}


def c_organization(sim, method, req, q):
    if method == "POST":
        org = check_organization(req)
        with sim.lock:
            sim.organization = org
            sim.org_generation += 1
    elif method == "DELETE":
        with sim.lock:
            sim.organization = None
    with sim.lock:
        return {"organization": sim.organization}


def check_organization(req):
    mgmt = str(req["management_account"])
    accounts = []
    for a in req.get("accounts", []):
        st = a.get("status", "ACTIVE")
        if st not in ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE"):
            raise ValueError("account status: ACTIVE, SUSPENDED or "
                "PENDING_CLOSURE")
        aid = str(a["id"])
        accounts.append({"id": aid, "name": a.get("name", "account-" + aid),
            "status": st, "email": a.get("email",
                "aws+%s@example.com" % aid),
            "joined_method": a.get("joined_method", "CREATED")})
    page = int(req.get("page_size", 20))
    if not 1 <= page <= 20:
        raise ValueError("page_size is 1..20")
    empty = [int(i) for i in req.get("empty_pages", [])]
    return {"management_account": mgmt, "accounts": accounts,
        "page_size": page, "empty_pages": empty,
        "id": req.get("id", "o-sim0example")}


def c_accounts(sim, method, req, q):
    """Per-account settings: disabled_regions (opt-in regions not
    enabled: every request there is UnrecognizedClientException)."""
    if method == "POST":
        acct = str(req["account"])
        regions = set(req.get("disabled_regions", []))
        with sim.lock:
            sim.disabled[acct] = regions
    with sim.lock:
        return {"disabled_regions": {a: sorted(r)
            for a, r in sim.disabled.items()}}


def c_stats(sim, method, req, q):
    if method == "GET":
        with sim.lock:
            return {"requests": [{k: v for k, v in s.items()
                if k != "_counted"} for s in sim.stats]}


def c_stats_reset(sim, method, req, q):
    if method == "POST":
        with sim.lock:
            sim.stats.clear()
            sim.windows.clear()
        return OK


ENDPOINTS = {
    "/_sim/reset": c_reset,
    "/_sim/ping": c_ping,
    "/_sim/config": c_config,
    "/_sim/clock": c_clock,
    "/_sim/events": c_events,
    "/_sim/generate": c_generate,
    "/_sim/faults": c_faults,
    "/_sim/credentials": c_credentials,
    "/_sim/roles": c_roles,
    "/_sim/web_identity": c_web_identity,
    "/_sim/imds": c_imds,
    "/_sim/container": c_container,
    "/_sim/organization": c_organization,
    "/_sim/sso": c_sso,
    "/_sim/accounts": c_accounts,
    "/_sim/stats": c_stats,
    "/_sim/stats/reset": c_stats_reset,
}
