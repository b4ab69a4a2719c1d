"""The IAM Identity Center (SSO) portal's GetRoleCredentials:
`GET /federation/credentials?role_name=R&account_id=A` with the cached
access token in `x-amz-sso_bearer_token` (no SigV4), answering
`{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
"expiration" (epoch milliseconds)}}`. Reached with AWS_ENDPOINT_URL_SSO.
"""

from urllib.parse import parse_qs

from sim_common import Response, dumps
import sim_faults

PATH = "/federation/credentials"
JSON = "application/json"


def error(status, typ, message):
    r = Response(status, dumps({"message": message}).encode(),
        {"x-amzn-ErrorType": typ}, ctype=JSON)
    r.error = typ
    return r


def query(h):
    q = h.path.split("?", 1)[1] if "?" in h.path else ""
    return {k: v[0] for k, v in parse_qs(q).items()}


class Sso:
    @staticmethod
    def action_of(h, u, body):
        return "GetRoleCredentials"

    @staticmethod
    def params_of(h, u, body):
        return query(h)

    @staticmethod
    def faultable(h, method, st):
        return True

    @staticmethod
    def fault_response(f, region):
        return sim_faults.json_fault(f, "sso")

    @staticmethod
    def handle(h, method, body, st):
        sim = h.sim
        if method != "GET" or h.path.split("?", 1)[0] != PATH:
            return error(404, "NotFoundException", "no such path")
        q = st["params"] or {}
        role, account = q.get("role_name"), q.get("account_id")
        if not role or not account:
            return error(400, "InvalidRequestException", "role_name and "
                "account_id are required")
        tok = h.headers.get("x-amz-sso_bearer_token")
        with sim.lock:
            reg = sim.sso_tokens.get(tok) if tok else None
        if reg is None or reg["expired"]:
            return error(401, "UnauthorizedException", "Session token not "
                "found or invalid")
        st["account"] = account
        st["caller"] = "sso:" + reg["user"]
        if reg["roles"] is not None and "%s/%s" % (account, role) not in \
                reg["roles"]:
            return error(403, "ForbiddenException", "No access")
        arn = "arn:aws:sts::%s:assumed-role/AWSReservedSSO_%s_0123456789abcdef"\
            "/%s" % (account, role, reg["user"])
        st["role_arn"] = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws." \
            "com/AWSReservedSSO_%s_0123456789abcdef" % (account, role)
        with sim.lock:
            life = sim.config["credential_lifetime"]
        c = sim.issue(account, arn, reg["allowed"], life, st["role_arn"],
            "sso")
        return Response(200, dumps({"roleCredentials": {
            "accessKeyId": c["access_key_id"],
            "secretAccessKey": c["secret_access_key"],
            "sessionToken": c["session_token"],
            "expiration": int(c["expires"] * 1000)}}).encode(), ctype=JSON)
