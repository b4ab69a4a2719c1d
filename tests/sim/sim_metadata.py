"""IMDSv2 (/latest/...) and the container credentials endpoint
(/_container/credentials), each handing out an assumed role's temporary
credentials that live `credential_lifetime` seconds of sim time.

As EC2 and ECS do, the same credentials are handed out again until fewer
than five minutes of them are left; then new ones.
"""

import json
import secrets

from sim_common import Response, dumps, iso
import sim_faults

TOKEN_PATH = "/latest/api/token"
CREDS_PATH = "/latest/meta-data/iam/security-credentials/"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
ROTATE_BEFORE = 300
INSTANCE_ID = "i-0123456789abcdef0"

NOT_FOUND = (b'<?xml version="1.0" encoding="iso-8859-1"?>\n'
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
    b'\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
    b' <head>\n  <title>404 - Not Found</title>\n </head>\n <body>\n'
    b'  <h1>404 - Not Found</h1>\n </body>\n</html>\n')


def plain(status, body=b"", error=None):
    r = Response(status, body if isinstance(body, bytes) else body.encode(),
        ctype="text/plain")
    r.error = error
    return r


def current(sim, slot, account, arn, role_arn, allowed, source):
    """The slot's credentials, renewed when under 5 minutes are left."""
    with sim.lock:
        c = slot.get("current")
        if c is None or sim.now() >= c["expires"] - ROTATE_BEFORE or \
                sim.creds.get(c["access_key_id"]) is not c:
            c = sim.issue(account, arn, allowed, sim.config[
                "credential_lifetime"], role_arn, source)
            slot["current"] = c
        return c


def imds_credentials(sim):
    im = sim.imds
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (im["account"],
        im["role_name"], INSTANCE_ID)
    role_arn = "arn:aws:iam::%s:role/%s" % (im["account"], im["role_name"])
    c = current(sim, im, im["account"], arn, role_arn, im["allowed"], "imds")
    return c, json.dumps({"Code": "Success", "LastUpdated": iso(c["issued"]),
        "Type": "AWS-HMAC", "AccessKeyId": c["access_key_id"],
        "SecretAccessKey": c["secret_access_key"], "Token":
        c["session_token"], "Expiration": iso(c["expires"])}, indent=2,
        separators=(",", " : ")).encode()


class Imds:
    @staticmethod
    def action_of(h, u, body):
        if u.path == TOKEN_PATH:
            return "token"
        if u.path == CREDS_PATH:
            return "role_name"
        if u.path.startswith(CREDS_PATH):
            return "credentials"
        return "other"

    @staticmethod
    def params_of(h, u, body):
        return None

    @staticmethod
    def faultable(h, method, st):
        return True

    @staticmethod
    def fault_response(f, region):
        return sim_faults.imds_fault(f)

    @staticmethod
    def handle(h, method, body, st):
        sim = h.sim
        path = h.path.split("?", 1)[0]
        if path == TOKEN_PATH:
            return Imds.token(h, method)
        if method != "GET":
            return plain(405, b"", "MethodNotAllowed")
        tok = h.headers.get(TOKEN_HEADER)
        with sim.lock:
            exp = sim.imds_tokens.get(tok) if tok else None
            valid = exp is not None and sim.now() < exp
            im = dict(sim.imds)
        if not valid:
            return plain(401, b"", "Unauthorized")
        if not im["enabled"] or not path.startswith(CREDS_PATH):
            return Response(404, NOT_FOUND, ctype="text/html")
        name = path[len(CREDS_PATH):]
        if name == "":
            return plain(200, im["role_name"])
        if name != im["role_name"]:
            return Response(404, NOT_FOUND, ctype="text/html")
        c, body = imds_credentials(sim)
        st["account"], st["caller"] = c["account"], c["user_arn"]
        st["role_arn"] = c["role_arn"]
        return plain(200, body)

    @staticmethod
    def token(h, method):
        sim = h.sim
        if method != "PUT":
            return plain(405, b"", "MethodNotAllowed")
        if h.headers.get("X-Forwarded-For"):
            return plain(403, b"", "Forbidden")
        ttl = h.headers.get(TTL_HEADER)
        try:
            n = int(ttl)
        except (TypeError, ValueError):
            return plain(400, b"", "BadRequest")
        if not 1 <= n <= 21600:
            return plain(400, b"", "BadRequest")
        tok = "AQAEA" + secrets.token_urlsafe(42)
        with sim.lock:
            sim.imds_tokens[tok] = sim.now() + n
        r = plain(200, tok)
        r.headers[TTL_HEADER] = str(n)
        return r


class Container:
    @staticmethod
    def action_of(h, u, body):
        return "credentials"

    @staticmethod
    def params_of(h, u, body):
        return None

    @staticmethod
    def faultable(h, method, st):
        return True

    @staticmethod
    def fault_response(f, region):
        return sim_faults.json_fault(f, "container")

    @staticmethod
    def handle(h, method, body, st):
        sim = h.sim
        with sim.lock:
            cfg = sim.container
            want = cfg["authorization"]
            role_arn = cfg["role_arn"]
        if h.path.split("?", 1)[0] != "/_container/credentials" or \
                method != "GET":
            return sim_faults.json_error(404, "NotFound", "no such path",
                "application/json")
        if want is not None and h.headers.get("Authorization") != want:
            return sim_faults.json_error(401, "AccessDenied", "Unauthorized "
                "request: the Authorization header does not match.",
                "application/json")
        parts = role_arn.split(":")
        account, name = parts[4], parts[5].rsplit("/", 1)[-1]
        arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (account, name,
            "0123456789abcdef0123456789abcdef")
        c = current(sim, cfg, account, arn, role_arn, cfg["allowed"],
            "container")
        st["account"], st["caller"] = account, arn
        st["role_arn"] = role_arn
        return Response(200, dumps({"AccessKeyId": c["access_key_id"],
            "Expiration": iso(c["expires"]), "RoleArn": role_arn,
            "SecretAccessKey": c["secret_access_key"],
            "Token": c["session_token"]}).encode(), ctype="application/json")
