"""The simulator's accounts and STS, with raw requests signed by botocore:
events and rate limits per (account, region), AssumeRole's trust, external
id and duration checks, web identity, expiry on the sim clock."""

import calendar
import json
import time
import xml.etree.ElementTree as ET

import pytest

import simctl

T0 = 1795503600  # 2026-11-24T07:00:00Z
OTHER = "210987654321"
ROLE = "arn:aws:iam::%s:role/BedrockTrailReader" % OTHER
NS = simctl.STS_NS


def near(stamp, epoch, slack=3):
    """An ISO Expiration issued a moment after the sim clock was set."""
    t = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    return epoch <= t <= epoch + slack


def lookup(sim, creds, region="us-east-1"):
    status, h, body = sim.signed_post({}, creds=creds, region=region)
    return status, json.loads(body)


def sts_error(sim, params, **kw):
    status, h, body = sim.sts(params, **kw)
    root = ET.fromstring(body)
    assert root.tag == "ErrorResponse" or root.tag == "{%s}ErrorResponse" % \
        NS[1:-1], body
    err = root.find(NS + "Error")
    return status, {c.tag.split("}")[-1]: c.text for c in err}, h


def test_events_are_kept_per_account(sim):
    sim.config(rate_limit=0)
    sim.set_clock(T0)
    a = sim.generate(region="us-east-1", count=4, seed=1, delay_max=0,
        start=T0 - 600, end=T0 - 60)
    b = sim.generate(region="us-east-1", count=6, seed=1, delay_max=0,
        start=T0 - 600, end=T0 - 60, account=OTHER)
    assert (a["added"], b["added"]) == (4, 6)
    mine = sim.events("us-east-1")
    theirs = sim.events("us-east-1", account=OTHER)
    assert {e["account"] for e in mine} == {simctl.ACCOUNT}
    assert {e["account"] for e in theirs} == {OTHER}
    assert len(sim.events(account="*")) == 10
    rec = sim.events("us-east-1", account=OTHER, full=True)[0]["record"]
    assert rec["recipientAccountId"] == OTHER
    sim.add_events("us-east-1", [{"eventName": "Converse"}], account=OTHER)
    assert len(sim.events("us-east-1", account=OTHER)) == 7
    # The built-in key reads its own account only; a key of the other
    # account reads that one's.
    status, d = lookup(sim, "allowed")
    assert status == 200 and len(d["Events"]) == 4
    sim.add_credentials("AKIDOTHERACCOUNT0001", "other/secret",
        user_arn="arn:aws:iam::%s:user/reader" % OTHER)
    status, d = lookup(sim, ("AKIDOTHERACCOUNT0001", "other/secret", None))
    assert status == 200 and len(d["Events"]) == 7
    assert sim.stats()[-1]["account"] == OTHER


def test_bulk_generate_across_accounts_and_regions(sim):
    accounts = ["%012d" % (100000000000 + i) for i in range(3)]
    r = sim.generate(accounts=accounts, regions=["us-east-1", "eu-west-1"],
        count=5, seed=4, delay_max=0)
    assert r == {"added": 30, "matching": 30}
    for acct in accounts:
        evs = sim.events(account=acct)
        assert len(evs) == 10
        assert {e["region"] for e in evs} == {"us-east-1", "eu-west-1"}
    # Each account has its own events, not copies.
    ids = [e["eventID"] for e in sim.events(account="*")]
    assert len(set(ids)) == 30


def test_disabled_region_is_an_unrecognized_client(sim):
    sim.disable_regions(simctl.ACCOUNT, ["af-south-1"])
    status, h, body = sim.signed_post({}, region="af-south-1")
    assert status == 400
    assert json.loads(body)["__type"] == "UnrecognizedClientException"
    assert sim.signed_post({}, region="us-east-1")[0] == 200


def test_get_caller_identity(sim):
    status, x = sim.sts_xml({"Action": "GetCallerIdentity"})
    assert status == 200
    assert x["Arn"] == "arn:aws:iam::123456789012:user/sim-reader"
    assert x["Account"] == "123456789012"
    assert x["UserId"].startswith("AIDA")
    status, x = sim.sts_xml({"Action": "GetCallerIdentity"}, creds="session")
    assert x["Arn"] == \
        "arn:aws:sts::123456789012:assumed-role/sim-role/sim-session"
    assert x["UserId"].startswith("AROA") and \
        x["UserId"].endswith(":sim-session")
    status, h, body = sim.sts({"Action": "GetCallerIdentity"})
    assert h["content-type"] == "text/xml"
    root = ET.fromstring(body)
    assert root.tag == NS + "GetCallerIdentityResponse"
    assert [c.tag for c in root] == [NS + "GetCallerIdentityResult",
        NS + "ResponseMetadata"]
    st = sim.stats()[-1]
    assert (st["service"], st["action"], st["account"], st["caller"]) == (
        "sts", "GetCallerIdentity", "123456789012",
        "arn:aws:iam::123456789012:user/sim-reader")


def test_sts_authentication_errors(sim):
    sim.set_clock(T0)
    assert sts_error(sim, {"Action": "GetCallerIdentity"}, signed=False)[
        1]["Code"] == "MissingAuthenticationToken"
    s, e, _ = sts_error(sim, {"Action": "GetCallerIdentity"},
        creds=("AKIDUNKNOWNEXAMPLE00", "x", None))
    assert (s, e["Code"], e["Message"]) == (403, "InvalidClientTokenId",
        "The security token included in the request is invalid.")
    s, e, _ = sts_error(sim, {"Action": "GetCallerIdentity"},
        creds=(simctl.ALLOWED_KEY, "wrong", None))
    assert (s, e["Code"], e["Type"]) == (403, "SignatureDoesNotMatch",
        "Sender")
    s, e, _ = sts_error(sim, {"Action": "GetCallerIdentity"},
        creds="expired")
    assert (s, e["Code"], e["Message"]) == (400, "ExpiredToken",
        "The security token included in the request is expired")
    s, e, _ = sts_error(sim, {"Action": "GetCallerIdentity"},
        amz_date="20261124T063000Z")
    assert e["Code"] == "SignatureDoesNotMatch"
    assert e["Message"].startswith("Signature expired: 20261124T063000Z is "
        "now earlier than")
    # Signed for another service: refused as AWS does.
    status, h, body = sim.request("POST", "/", b"Action=GetCallerIdentity&"
        b"Version=2011-06-15", {"Content-Type":
        "application/x-www-form-urlencoded; charset=utf-8"}, "cloudtrail")
    assert status == 403
    assert b"Credential should be scoped to correct service: 'sts'." in body
    s, e, _ = sts_error(sim, {"Action": "GetSessionToken"})
    assert (s, e["Code"], e["Message"]) == (400, "InvalidAction",
        "Could not find operation GetSessionToken for version 2011-06-15")


def test_assume_role_trust_and_external_id(sim):
    sim.add_role(ROLE, external_id="bt-ext-42", trusted=[simctl.ACCOUNT])
    want = ("User: arn:aws:iam::123456789012:user/sim-reader is not "
        "authorized to perform: sts:AssumeRole on resource: " + ROLE)
    base = {"Action": "AssumeRole", "RoleArn": ROLE,
        "RoleSessionName": "bedrock-trail"}
    for extra in ({}, {"ExternalId": "wrong-id"}):
        s, e, h = sts_error(sim, dict(base, **extra))
        assert (s, e["Type"], e["Code"], e["Message"]) == (403, "Sender",
            "AccessDenied", want)
    s, e, _ = sts_error(sim, dict(base, RoleArn=ROLE + "-missing",
        ExternalId="bt-ext-42"))
    assert e["Message"] == want + "-missing"
    status, h, body = sim.sts(dict(base, ExternalId="bt-ext-42"))
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == NS + "AssumeRoleResponse"
    res = root.find(NS + "AssumeRoleResult")
    arn = res.find(NS + "AssumedRoleUser/" + NS + "Arn").text
    assert arn == "arn:aws:sts::%s:assumed-role/BedrockTrailReader/" \
        "bedrock-trail" % OTHER
    assert res.find(NS + "AssumedRoleUser/" + NS + "AssumedRoleId").text \
        .endswith(":bedrock-trail")
    c = {el.tag.split("}")[1]: el.text for el in res.find(NS +
        "Credentials")}
    assert list(c) == ["AccessKeyId", "SecretAccessKey", "SessionToken",
        "Expiration"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    st = sim.stats()[-1]
    assert (st["action"], st["role_arn"], st["external_id"], st["caller"],
        st["account"]) == ("AssumeRole", ROLE, "bt-ext-42",
        "arn:aws:iam::123456789012:user/sim-reader", simctl.ACCOUNT)
    # Another account's key is not trusted.
    sim.add_credentials("AKIDOTHERACCOUNT0002", "other/secret",
        account="555555555555")
    s, e, _ = sts_error(sim, dict(base, ExternalId="bt-ext-42"),
        creds=("AKIDOTHERACCOUNT0002", "other/secret", None))
    assert e["Message"].startswith("User: arn:aws:iam::555555555555:user/"
        "AKIDOTHERACCOUNT0002 is not authorized")


def test_assumed_credentials_read_the_role_account(sim):
    sim.config(rate_limit=0)
    sim.add_role(ROLE)
    sim.add_role("arn:aws:iam::%s:role/NoLookup" % OTHER, allowed=False)
    sim.generate(account=OTHER, region="eu-west-1", count=3, delay_max=0)
    creds = sim.assume_role(ROLE, session="s1")
    status, d = lookup(sim, creds, region="eu-west-1")
    assert status == 200 and len(d["Events"]) == 3
    status, x = sim.sts_xml({"Action": "GetCallerIdentity"}, creds=creds)
    assert (x["Account"], x["Arn"]) == (OTHER, "arn:aws:sts::%s:"
        "assumed-role/BedrockTrailReader/s1" % OTHER)
    denied = sim.assume_role("arn:aws:iam::%s:role/NoLookup" % OTHER)
    status, d = lookup(sim, denied)
    assert d["__type"] == "AccessDeniedException"
    assert d["Message"] == ("User: arn:aws:sts::%s:assumed-role/NoLookup/"
        "sim-test is not authorized to perform: cloudtrail:LookupEvents "
        "because no identity-based policy allows the cloudtrail:LookupEvents "
        "action" % OTHER)
    # A session key without its token, or with another's: invalid.
    assert lookup(sim, (creds[0], creds[1], None))[1]["__type"] == \
        "UnrecognizedClientException"
    assert lookup(sim, (creds[0], creds[1], denied[2]))[1]["__type"] == \
        "UnrecognizedClientException"


def test_assume_role_validation_and_duration(sim):
    sim.add_role(ROLE, max_duration=7200)
    base = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s"}
    s, e, _ = sts_error(sim, base)
    assert (s, e["Code"], e["Message"]) == (400, "ValidationError",
        "1 validation error detected: Value 's' at 'roleSessionName' failed "
        "to satisfy constraint: Member must have length greater than or "
        "equal to 2")
    s, e, _ = sts_error(sim, {"Action": "AssumeRole", "RoleSessionName":
        "bad name", "DurationSeconds": "60"})
    assert e["Message"] == ("3 validation errors detected: Value null at "
        "'roleArn' failed to satisfy constraint: Member must not be null; "
        "Value 'bad name' at 'roleSessionName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]*; "
        "Value '60' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900")
    ok = dict(base, RoleSessionName="ok")
    s, e, _ = sts_error(sim, dict(ok, DurationSeconds="43201"))
    assert e["Message"].endswith("Member must have value less than or "
        "equal to 43200")
    s, e, _ = sts_error(sim, dict(ok, DurationSeconds="7201"))
    assert (s, e["Code"], e["Message"]) == (400, "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set "
        "for this role.")
    s, e, _ = sts_error(sim, dict(ok, ExternalId="x"))
    assert "at 'externalId' failed to satisfy constraint" in e["Message"]
    sim.set_clock(T0)
    status, x = sim.sts_xml(dict(ok, DurationSeconds="900"))
    assert near(x["Expiration"], T0 + 900)
    status, x = sim.sts_xml(dict(ok, DurationSeconds="7200"))
    assert near(x["Expiration"], T0 + 3600)  # credential_lifetime
    sim.config(credential_lifetime=86400)
    status, x = sim.sts_xml(dict(ok, DurationSeconds="7200"))
    assert near(x["Expiration"], T0 + 7200)
    # Role chaining is limited to one hour.
    chained = (x["AccessKeyId"], x["SecretAccessKey"], x["SessionToken"])
    s, e, _ = sts_error(sim, dict(ok, DurationSeconds="3700"), creds=chained)
    assert e["Message"] == ("The requested DurationSeconds exceeds the 1 "
        "hour session limit for roles assumed by role chaining.")
    assert sim.sts(dict(ok, DurationSeconds="3600"), creds=chained)[0] == 200


def test_credentials_expire_on_the_sim_clock(sim):
    sim.set_clock(T0)
    sim.config(credential_lifetime=120, rate_limit=0)
    sim.add_role(ROLE)
    creds = sim.assume_role(ROLE)
    assert lookup(sim, creds)[0] == 200
    sim.advance(119)
    assert lookup(sim, creds)[0] == 200
    sim.advance(1)
    status, d = lookup(sim, creds)
    assert (status, d) == (400, {"__type":
        "com.amazon.coral.service#ExpiredTokenException", "message":
        "The security token included in the request is expired"})
    s, e, _ = sts_error(sim, {"Action": "GetCallerIdentity"}, creds=creds)
    assert e["Code"] == "ExpiredToken"
    [c] = [c for c in sim.credentials() if c["access_key_id"] == creds[0]]
    assert c["expires"] - c["issued"] == 120 and c["source"] == "sts"


def test_web_identity(sim):
    role = "arn:aws:iam::%s:role/ci-oidc" % OTHER
    sim.add_role(role, web_identity=True)
    sim.add_role(ROLE)
    sim.web_identity("eyJhbGciOiJSUzI1NiJ9.good.sig", subject="repo:x/y")
    sim.web_identity("eyJhbGciOiJSUzI1NiJ9.old.sig", expired=True)
    base = {"Action": "AssumeRoleWithWebIdentity", "RoleArn": role,
        "RoleSessionName": "ci", "WebIdentityToken":
        "eyJhbGciOiJSUzI1NiJ9.good.sig"}
    status, x = sim.sts_xml(base, signed=False)
    assert status == 200
    assert x["Arn"] == "arn:aws:sts::%s:assumed-role/ci-oidc/ci" % OTHER
    assert x["SubjectFromWebIdentityToken"] == "repo:x/y"
    assert x["AccessKeyId"].startswith("ASIA")
    status, h, body = sim.sts(base, signed=False)
    root = ET.fromstring(body)
    assert root.tag == NS + "AssumeRoleWithWebIdentityResponse"
    res = root.find(NS + "AssumeRoleWithWebIdentityResult")
    assert [c.tag.split("}")[1] for c in res] == [
        "SubjectFromWebIdentityToken", "Audience", "AssumedRoleUser",
        "Credentials", "Provider"]
    # AWS's example for this call orders the credentials otherwise.
    assert [c.tag.split("}")[1] for c in res.find(NS + "Credentials")] == [
        "SessionToken", "SecretAccessKey", "Expiration", "AccessKeyId"]
    st = sim.stats()[-1]
    assert (st["action"], st["role_arn"], st["caller"], st["account"]) == (
        "AssumeRoleWithWebIdentity", role, "web-identity:repo:x/y", OTHER)
    s, e, _ = sts_error(sim, dict(base, WebIdentityToken="not-registered"),
        signed=False)
    assert (s, e["Code"]) == (400, "InvalidIdentityToken")
    s, e, _ = sts_error(sim, dict(base, WebIdentityToken=
        "eyJhbGciOiJSUzI1NiJ9.old.sig"), signed=False)
    assert (s, e["Code"]) == (400, "ExpiredTokenException")
    assert e["Message"].startswith("Token expired: current date/time ")
    s, e, _ = sts_error(sim, dict(base, RoleArn=ROLE), signed=False)
    assert (s, e["Code"], e["Message"]) == (403, "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_control_api_for_roles_and_accounts(sim):
    with pytest.raises(simctl.SimError):
        sim.add_role("arn:aws:iam::12345:role/x")
    with pytest.raises(simctl.SimError):
        sim.add_role(ROLE, max_duration=100)
    with pytest.raises(simctl.SimError):
        sim.call("POST", "/_sim/roles", {"arn": ROLE, "extra": 1})
    with pytest.raises(simctl.SimError):
        sim.generate(region="xx-nowhere-1")
    roles = [{"arn": "arn:aws:iam::%012d:role/r" % i} for i in range(50)]
    assert len(sim.add_roles(roles)["roles"]) == 50
    assert sim.clear_roles() == {"roles": []}
    sim.add_role(ROLE)
    sim.reset()
    assert sim.call("GET", "/_sim/roles")["roles"] == []
    assert sim.config()["credential_lifetime"] == 3600


def test_organisation_scale_is_cheap_and_indexed(sim):
    """Issue 13's benchmark: 200 accounts x 5 regions x 100 events, set up
    in one call; a lookup looks only at its own (account, region)."""
    sim.config(rate_limit=0)
    accounts = ["%012d" % (300000000000 + i) for i in range(200)]
    regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
        "ap-northeast-1"]
    t0 = time.monotonic()
    r = sim.generate(accounts=accounts, regions=regions, count=100,
        delay_max=0, seed=13)
    took = time.monotonic() - t0
    assert r == {"added": 100000, "matching": 100000}
    assert took < 15, took  # about 1.3 s on the 2-core CI machine
    sim.add_roles([{"arn": "arn:aws:iam::%s:role/BedrockTrailReader" % a}
        for a in accounts])
    acct = accounts[137]
    evs = sim.events("eu-west-1", account=acct, full=True)
    assert len(evs) == 100
    rec = evs[0]["record"]
    assert rec["recipientAccountId"] == acct
    assert acct in json.dumps(rec["userIdentity"]) or \
        rec["userIdentity"]["type"] == "AWSService"
    assert not set(e["eventID"] for e in evs) & set(e["eventID"] for e in
        sim.events("eu-west-1", account=accounts[0]))
    creds = sim.assume_role("arn:aws:iam::%s:role/BedrockTrailReader" % acct)
    tok, got = None, []
    while True:
        status, h, body = sim.signed_post({"NextToken": tok} if tok else {},
            creds=creds, region="eu-west-1")
        d = json.loads(body)
        got += [e["EventId"] for e in d["Events"]]
        tok = d.get("NextToken")
        if not tok:
            break
    assert got == sim.expected_ids("eu-west-1", account=acct)
    scans = [s["scanned"] for s in sim.stats() if s["service"] ==
        "cloudtrail"]
    assert len(scans) == 2 and max(scans) <= 51 and sum(scans) <= 102
    # Explicit full generation (no copies) stays available.
    r = sim.generate(accounts=accounts[:2], regions=["us-east-1"], count=3,
        delay_max=0, clone=False, region="us-east-1")
    assert r["added"] == 6


def test_clock_rate_runs_sim_time_faster(sim):
    """For refresh tests: sim time at 100x (pair with faketime "@T x100")
    makes a 120 s credential expire in 1.2 s of real time."""
    sim.config(credential_lifetime=120, rate_limit=0)
    sim.add_role(ROLE)
    now = sim.set_clock(T0, rate=100)
    assert T0 <= now < T0 + 50
    creds = sim.assume_role(ROLE)
    assert lookup(sim, creds)[0] == 200  # signed at sim_time()
    time.sleep(0.5)
    assert T0 + 40 <= sim.clock() <= T0 + 150
    assert sim.call("GET", "/_sim/clock")["rate"] == 100
    deadline = time.monotonic() + 10
    while lookup(sim, creds)[0] == 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert lookup(sim, creds)[1]["__type"].endswith("ExpiredTokenException")
    assert sim.clock() >= T0 + 120
    sim.set_clock(T0, rate=1)
    t = sim.clock()
    time.sleep(0.2)
    assert sim.clock() - t < 1.0
    with pytest.raises(simctl.SimError):
        sim.set_clock(T0, rate=0)
