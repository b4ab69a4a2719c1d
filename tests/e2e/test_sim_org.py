"""The simulator's Organizations ListAccounts, with raw signed requests:
paging through empty pages, MaxResults, tokens, rate limit, errors."""

import json

import simctl

MGMT = "123456789012"


def accounts(n):
    out = [{"id": MGMT, "name": "management"}]
    out += [{"id": "%012d" % (200000000000 + i), "name": "member-%d" % i,
        "status": "SUSPENDED" if i == 3 else "ACTIVE"} for i in range(n - 1)]
    return out


def call(sim, body, creds="allowed", action="ListAccounts",
        region="us-east-1"):
    status, h, raw = sim.org_post(action, body, creds=creds, region=region)
    return status, h, json.loads(raw)


def page_all(sim, body=None):
    ids, tok, sizes = [], None, []
    while True:
        b = dict(body or {})
        if tok:
            b["NextToken"] = tok
        status, h, d = call(sim, b)
        assert status == 200, d
        assert h["content-type"] == "application/x-amz-json-1.1"
        ids += [a["Id"] for a in d["Accounts"]]
        sizes.append(len(d["Accounts"]))
        tok = d.get("NextToken")
        if not tok:
            return ids, sizes


def test_paging_empty_pages_and_max_results(sim):
    sim.config(org_rate_limit=0)
    accts = accounts(12)
    sim.organization(MGMT, accts, page_size=5, empty_pages=[0, 2, 5])
    ids, sizes = page_all(sim)
    assert ids == [a["id"] for a in accts]
    assert sizes == [0, 5, 0, 5, 2, 0]
    ids, sizes = page_all(sim, {"MaxResults": 4})
    assert ids == [a["id"] for a in accts]
    assert sizes == [0, 4, 0, 4, 4, 0]
    status, h, d = call(sim, {"MaxResults": 21})
    assert (status, d["__type"], d["Reason"]) == (400,
        "InvalidInputException", "MAX_VALUE_EXCEEDED")
    status, h, d = call(sim, {"MaxResults": 0})
    assert d["Reason"] == "MIN_VALUE_EXCEEDED"
    status, h, d = call(sim, {"MaxResults": "5"})
    assert d["__type"] == "SerializationException"
    ent = None
    sim.organization(MGMT, accts, page_size=20)
    status, h, d = call(sim, {})
    ent = d["Accounts"][4]
    assert ent == {"Id": "200000000003", "Arn": "arn:aws:organizations::"
        "123456789012:account/o-sim0example/200000000003", "Email":
        "aws+200000000003@example.com", "Name": "member-3", "Status":
        "SUSPENDED", "JoinedMethod": "CREATED", "JoinedTimestamp":
        1700000000.0}
    assert "NextToken" not in d


def test_next_token_is_checked(sim):
    sim.config(org_rate_limit=0)
    sim.organization(MGMT, accounts(6), page_size=2)
    status, h, d = call(sim, {})
    tok = d["NextToken"]
    assert call(sim, {"NextToken": tok})[0] == 200
    assert call(sim, {"NextToken": tok})[0] == 200  # replayable
    bad = tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB")
    status, h, d = call(sim, {"NextToken": bad})
    assert (status, d) == (400, {"__type": "InvalidInputException",
        "Message": "You specified an invalid value for nextToken. You must "
        "get the value from the response to a previous call to the API.",
        "Reason": "INVALID_NEXT_TOKEN"})
    # A new organisation makes old tokens stale.
    sim.organization(MGMT, accounts(6), page_size=2)
    assert call(sim, {"NextToken": tok})[2]["Reason"] == "INVALID_NEXT_TOKEN"


def test_rate_limit_per_account(sim):
    sim.organization(MGMT, accounts(3))
    sim.config(org_rate_limit=2)
    r = [call(sim, {}) for _ in range(3)]
    assert [x[0] for x in r] == [200, 200, 400]
    assert r[2][1]["x-amzn-errortype"] == "TooManyRequestsException"
    assert r[2][2] == {"__type": "TooManyRequestsException", "Message":
        "You have sent too many requests in too short a period of time. The "
        "quota helps protect against denial-of-service attacks. Try again "
        "later.", "Type": "AWSOrganizations"}
    st = sim.stats()
    assert [(s["service"], s["action"], s["account"], s["error"])
        for s in st] == [("organizations", "ListAccounts", MGMT, None)] * 2 \
        + [("organizations", "ListAccounts", MGMT,
            "TooManyRequestsException")]


def test_who_may_call(sim):
    sim.config(org_rate_limit=0)
    member = "200000000000"
    sim.add_credentials("AKIDMEMBERACCOUNT001", "member/secret",
        account=member)
    sim.add_credentials("AKIDOUTSIDER00000001", "outsider/secret",
        account="777777777777")
    m = ("AKIDMEMBERACCOUNT001", "member/secret", None)
    o = ("AKIDOUTSIDER00000001", "outsider/secret", None)
    assert call(sim, {})[2]["__type"] == "AWSOrganizationsNotInUseException"
    sim.organization(MGMT, accounts(3))
    assert call(sim, {}, creds=m)[2] == {"__type": "AccessDeniedException",
        "Message": "You don't have permissions to access this resource."}
    assert call(sim, {}, creds=o)[2]["__type"] == \
        "AWSOrganizationsNotInUseException"
    status, h, d = call(sim, {}, creds=m, action="DescribeOrganization")
    assert d["Organization"]["MasterAccountId"] == MGMT
    status, h, d = call(sim, {}, action="CreateAccount")
    assert d["__type"] == "UnknownOperationException"
    status, h, d = call(sim, {}, region="eu-west-1")
    assert d["message"] == "Credential should be scoped to a valid region, " \
        "not 'eu-west-1'. "
    status, h, d = call(sim, {}, creds="expired")
    assert d["__type"].endswith("ExpiredTokenException")
    # Signed for cloudtrail: refused.
    status, h, raw = sim.signed_post({}, target=simctl.ORG_PREFIX +
        "ListAccounts")
    assert b"scoped to correct service: 'organizations'" in raw


def test_org_faults(sim):
    sim.organization(MGMT, accounts(3))
    sim.faults([{"service": "organizations", "kind": "throttle"},
        {"service": "organizations", "kind": "status", "status": 500},
        {"service": "organizations", "kind": "malformed"},
        {"service": "organizations", "kind": "huge", "bytes": 100000}])
    assert call(sim, {})[2]["__type"] == "TooManyRequestsException"
    status, h, d = call(sim, {})
    assert (status, d["__type"]) == (500, "ServiceException")
    status, h, raw = sim.org_post("ListAccounts", {})
    assert status == 200 and raw.startswith(b'{"AccessKeyId": "ASIA, ')
    status, h, raw = sim.org_post("ListAccounts", {})
    assert len(raw) == 100000 and json.loads(raw)["Accounts"] == []
    assert call(sim, {})[0] == 200
