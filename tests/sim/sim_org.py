"""AWS Organizations (JSON 1.1, SigV4 service organizations, us-east-1):
ListAccounts with NextToken paging (empty pages too) and DescribeOrganization.

Only the organisation's management account may list its accounts;
members get AccessDeniedException, accounts outside any organisation
AWSOrganizationsNotInUseException. Calls are rate limited per account
(config org_rate_limit): TooManyRequestsException.
"""

import base64
import hashlib
import hmac
import json

from sim_common import ApiError, JSON11, Response, dumps, err_auth
import sim_faults

PREFIX = "AWSOrganizationsV20161128."
ACTIONS = ("ListAccounts", "DescribeOrganization")
JOINED = 1700000000.0


def org_error(typ, message, extra=None):
    e = ApiError(400, typ, message, key="Message", header=typ)
    e.extra = extra
    return e


def not_in_use():
    return org_error("AWSOrganizationsNotInUseException", "Your account is "
        "not a member of an organization.")


def bad_token():
    return org_error("InvalidInputException", "You specified an invalid "
        "value for nextToken. You must get the value from the response to "
        "a previous call to the API.", {"Reason": "INVALID_NEXT_TOKEN"})


def account_entry(org, a):
    return {"Id": a["id"], "Arn": "arn:aws:organizations::%s:account/%s/%s"
        % (org["management_account"], org["id"], a["id"]),
        "Email": a["email"], "Name": a["name"], "Status": a["status"],
        "JoinedMethod": a["joined_method"], "JoinedTimestamp": JOINED}


class Organizations:
    @staticmethod
    def action_of(h, u, body):
        t = h.headers.get("X-Amz-Target") or ""
        return t[len(PREFIX):] if t.startswith(PREFIX) else t

    @staticmethod
    def params_of(h, u, body):
        try:
            return json.loads(body) if body else None
        except ValueError:
            return None

    @staticmethod
    def faultable(h, method, st):
        return method == "POST"

    @staticmethod
    def fault_response(f, region):
        return sim_faults.json_fault(f, "organizations")

    @staticmethod
    def handle(h, method, body, st):
        try:
            return Organizations.process(h, method, body, st)
        except ApiError as e:
            b = {"__type": e.typ}
            if e.message is not None:
                b[e.key] = e.message
            b.update(getattr(e, "extra", None) or {})
            r = Response(e.status, dumps(b).encode(), {"x-amzn-ErrorType":
                e.header} if e.header else {})
            r.error = e.name
            return r

    @staticmethod
    def process(h, method, body, st):
        sim = h.sim
        cred, region = sim.authenticate(h.headers, method, h.path, body,
            service="organizations")
        st["account"], st["caller"] = cred["account"], cred["user_arn"]
        if region != "us-east-1":
            raise err_auth("InvalidSignatureException", "Credential should "
                "be scoped to a valid region, not '%s'. " % region)
        action = st["action"]
        if action not in ACTIONS:
            raise ApiError(400, "UnknownOperationException", None,
                header="UnknownOperationException")
        if not sim.admit(("organizations", cred["account"]),
                int(sim.config["org_rate_limit"])):
            raise org_error("TooManyRequestsException", "You have sent too "
                "many requests in too short a period of time. The quota "
                "helps protect against denial-of-service attacks. Try again "
                "later.", {"Type": "AWSOrganizations"})
        ctype = (h.headers.get("Content-Type") or "").split(";")[0]
        req = st["params"]
        if ctype.strip().lower() != JSON11 or not isinstance(req, dict):
            raise ApiError(400, "SerializationException", None,
                header="SerializationException")
        with sim.lock:
            org = sim.organization
            gen = sim.org_generation
        members = {a["id"] for a in org["accounts"]} if org else set()
        if org is None or (cred["account"] != org["management_account"] and
                cred["account"] not in members):
            raise not_in_use()
        if action == "DescribeOrganization":
            return Response(200, describe(org))
        if cred["account"] != org["management_account"]:
            raise org_error("AccessDeniedException", "You don't have "
                "permissions to access this resource.")
        return Response(200, list_accounts(sim, org, gen, req, st))


def describe(org):
    m = org["management_account"]
    email = next((a["email"] for a in org["accounts"] if a["id"] == m),
        "aws+%s@example.com" % m)
    return dumps({"Organization": {"Id": org["id"],
        "Arn": "arn:aws:organizations::%s:organization/%s" % (m, org["id"]),
        "FeatureSet": "ALL", "MasterAccountArn":
        "arn:aws:organizations::%s:account/%s/%s" % (m, org["id"], m),
        "MasterAccountId": m, "MasterAccountEmail": email,
        "AvailablePolicyTypes": []}}).encode()


def list_accounts(sim, org, gen, req, st):
    mr = req.get("MaxResults")
    if mr is not None:
        if isinstance(mr, bool) or not isinstance(mr, int):
            raise ApiError(400, "SerializationException", None,
                header="SerializationException")
        if not 1 <= mr <= 20:
            raise org_error("InvalidInputException", "You provided a value "
                "that is outside the allowed range.", {"Reason":
                    "MAX_VALUE_EXCEEDED" if mr > 20 else
                    "MIN_VALUE_EXCEEDED"})
    size = min(mr or 20, org["page_size"])
    offset, page = 0, 0
    tok = req.get("NextToken")
    if tok is not None:
        offset, page = parse_token(sim, tok, gen)
    accounts = org["accounts"]
    if page in org["empty_pages"]:
        chunk = []
    else:
        chunk = accounts[offset:offset + size]
    offset += len(chunk)
    out = {"Accounts": [account_entry(org, a) for a in chunk]}
    if offset < len(accounts) or (page + 1) in org["empty_pages"]:
        out["NextToken"] = make_token(sim, offset, page + 1, gen)
    st["events"] = len(chunk)
    return dumps(out).encode()


def make_token(sim, offset, page, gen):
    payload = dumps({"o": offset, "p": page, "g": gen}).encode()
    mac = hmac.new(sim.token_key, payload, hashlib.sha256).digest()[:12]
    return base64.b64encode(mac + payload).decode()


def parse_token(sim, tok, gen):
    try:
        raw = base64.b64decode(str(tok).encode(), validate=True)
        mac, payload = raw[:12], raw[12:]
        good = hmac.new(sim.token_key, payload, hashlib.sha256).digest()[:12]
        if not hmac.compare_digest(mac, good):
            raise ValueError("bad mac")
        d = json.loads(payload)
    except (ValueError, UnicodeError):
        raise bad_token()
    if d.get("g") != gen:
        raise bad_token()
    return int(d["o"]), int(d["p"])
