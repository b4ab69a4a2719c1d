"""The simulator's IMDSv2 and container endpoint, and the faults of STS,
IMDS and the container endpoint, with raw requests."""

import calendar
import json
import socket
import time
import xml.etree.ElementTree as ET

import pytest

import simctl

T0 = 1795503600  # 2026-11-24T07:00:00Z
CREDS = "/latest/meta-data/iam/security-credentials/"


def near(stamp, epoch, slack=3):
    """An ISO Expiration issued a moment after the sim clock was set."""
    t = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    return epoch <= t <= epoch + slack


def test_imds_token_then_role_then_credentials(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0)
    sim.imds(enabled=True, role_name="web-01", account="111122223333")
    # IMDSv2 only: no token, a made-up token, or a PUT without a TTL.
    assert sim.imds_get(CREDS)[0] == 401
    assert sim.imds_get(CREDS, "AQAEAmadeup")[0] == 401
    assert sim.request("PUT", "/latest/api/token")[0] == 400
    assert sim.request("PUT", "/latest/api/token", b"",
        {"X-aws-ec2-metadata-token-ttl-seconds": "21601"})[0] == 400
    assert sim.request("PUT", "/latest/api/token", b"",
        {"X-aws-ec2-metadata-token-ttl-seconds": "60",
         "X-Forwarded-For": "10.0.0.1"})[0] == 403
    status, h, tok = sim.request("PUT", "/latest/api/token", b"",
        {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert status == 200 and h["x-aws-ec2-metadata-token-ttl-seconds"] == "60"
    tok = tok.decode()
    status, h, body = sim.imds_get(CREDS, tok)
    assert (status, body) == (200, b"web-01")
    status, h, body = sim.imds_get(CREDS + "web-01", tok)
    assert status == 200 and h["content-type"] == "text/plain"
    assert body.startswith(b'{\n  "Code" : "Success",\n  "LastUpdated" : ')
    c = json.loads(body)
    assert list(c) == ["Code", "LastUpdated", "Type", "AccessKeyId",
        "SecretAccessKey", "Token", "Expiration"]
    assert c["Type"] == "AWS-HMAC" and c["AccessKeyId"].startswith("ASIA")
    assert near(c["Expiration"], T0 + 3600)
    assert sim.imds_get(CREDS + "other-role", tok)[0] == 404
    assert b"404 - Not Found" in sim.imds_get("/latest/meta-data/x", tok)[2]
    st = sim.stats()[-3]
    assert (st["service"], st["action"], st["account"], st["caller"]) == (
        "imds", "credentials", "111122223333", "arn:aws:sts::111122223333:"
        "assumed-role/web-01/i-0123456789abcdef0")
    # The credentials work, for the instance role's account.
    k = (c["AccessKeyId"], c["SecretAccessKey"], c["Token"])
    status, x = sim.sts_xml({"Action": "GetCallerIdentity"}, creds=k)
    assert x["Arn"] == "arn:aws:sts::111122223333:assumed-role/web-01/" \
        "i-0123456789abcdef0"
    assert sim.signed_post({}, creds=k)[0] == 200
    # The token lives 60 s of sim time.
    sim.advance(61)
    assert sim.imds_get(CREDS, tok)[0] == 401


def test_imds_without_a_role(sim):
    tok = sim.imds_token()
    assert sim.imds_get(CREDS, tok)[0] == 404  # enabled: false
    sim.imds(enabled=True)
    assert sim.imds_get(CREDS, tok)[2] == b"sim-instance-role"


def test_imds_rotates_within_five_minutes_of_expiry(sim):
    sim.set_clock(T0)
    sim.imds(enabled=True)
    first = sim.imds_credentials()
    assert sim.imds_credentials()["AccessKeyId"] == first["AccessKeyId"]
    sim.advance(3600 - 301)
    assert sim.imds_credentials()["AccessKeyId"] == first["AccessKeyId"]
    sim.advance(2)
    second = sim.imds_credentials()
    assert second["AccessKeyId"] != first["AccessKeyId"]
    # Issued now (T0 + 3301 s and a moment), for an hour.
    assert near(second["Expiration"], T0 + 3301 + 3600)
    # Short-lived credentials are new at every fetch, and expire.
    sim.config(credential_lifetime=120)
    sim.imds(enabled=True)  # forgets the hour-long ones
    a = sim.imds_credentials()
    b = sim.imds_credentials()
    assert a["AccessKeyId"] != b["AccessKeyId"]
    k = (a["AccessKeyId"], a["SecretAccessKey"], a["Token"])
    sim.advance(121)
    status, h, body = sim.signed_post({}, creds=k)
    assert json.loads(body)["__type"].endswith("ExpiredTokenException")


def test_container_endpoint(sim):
    sim.set_clock(T0)
    role = "arn:aws:iam::444455556666:role/ecs-task"
    sim.container(authorization="Bearer sim-token-1", role_arn=role)
    assert sim.container_get()[0] == 401
    status, h, body = sim.container_get("Bearer sim-token-2")
    assert status == 401
    status, h, body = sim.container_get("Bearer sim-token-1")
    assert status == 200 and h["content-type"] == "application/json"
    c = json.loads(body)
    assert list(c) == ["AccessKeyId", "Expiration", "RoleArn",
        "SecretAccessKey", "Token"]
    assert c["RoleArn"] == role and near(c["Expiration"], T0 + 3600)
    k = (c["AccessKeyId"], c["SecretAccessKey"], c["Token"])
    status, x = sim.sts_xml({"Action": "GetCallerIdentity"}, creds=k)
    assert x["Account"] == "444455556666"
    st = [s for s in sim.stats() if s["service"] == "container"]
    assert [s["status"] for s in st] == [401, 401, 200]
    assert st[-1]["role_arn"] == role
    sim.container(authorization=None)
    assert sim.container_get()[0] == 200


def test_sts_faults(sim):
    sim.add_role("arn:aws:iam::210987654321:role/r")
    ar = {"Action": "AssumeRole", "RoleArn": "arn:aws:iam::210987654321:"
        "role/r", "RoleSessionName": "bt"}
    sim.faults([{"service": "sts", "kind": "status", "status": 503},
        {"service": "sts", "kind": "lookalike", "after": 1},
        {"service": "sts", "kind": "entities", "after": 2},
        {"service": "sts", "kind": "entities", "variant": "external",
         "after": 3},
        {"service": "sts", "kind": "huge", "after": 4},
        {"service": "sts", "kind": "truncated", "after": 5},
        {"service": "sts", "kind": "malformed", "after": 6},
        {"service": "sts", "kind": "html", "after": 7},
        {"service": "sts", "kind": "throttle", "action": "AssumeRole",
         "after": 8}])
    r = [sim.sts(ar) for _ in range(10)]
    assert sim.pending_faults() == []
    status, h, body = r[0]
    assert status == 503 and b"<Code>ServiceUnavailable</Code>" in body
    assert b"<Type>Receiver</Type>" in body
    status, h, body = r[1]
    msg = ET.fromstring(body).find(simctl.STS_NS + "Error/" +
        simctl.STS_NS + "Message")
    assert status == 403
    assert msg.find(simctl.STS_NS + "Credentials/" + simctl.STS_NS +
        "AccessKeyId").text == "ASIAFAKEFAKEFAKEFAKE"
    assert b"<!DOCTYPE AssumeRoleResponse" in r[2][2]
    assert b'<!ENTITY a9 "&a8;&a8;' in r[2][2]
    assert b"<AccessKeyId>&a9;</AccessKeyId>" in r[2][2]
    assert b'SYSTEM "file:///etc/passwd"' in r[3][2]
    assert len(r[4][2]) == 1 << 20 and r[4][0] == 200
    assert b"<AccessKeyId>ASIAFAKEFAKEFAKEFAKE</AccessKeyId>" in r[4][2]
    status, h, body = r[5]
    assert status == 200 and b"<AssumeRoleResponse" in body
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    assert int(h["content-length"]) == len(body)
    with pytest.raises(ET.ParseError):
        ET.fromstring(r[6][2])
    assert r[7][1]["content-type"] == "text/html"
    assert b"<Code>Throttling</Code>" in r[8][2]
    assert r[9][0] == 200
    st = [s for s in sim.stats() if s["service"] == "sts"]
    assert [s["fault"] for s in st] == ["status", "lookalike", "entities",
        "entities", "huge", "truncated", "malformed", "html", "throttle",
        None]


def test_imds_and_container_faults(sim):
    sim.imds(enabled=True)
    sim.container(authorization=None)
    sim.faults([{"service": "imds", "kind": "html", "action": "credentials"},
        {"service": "imds", "kind": "status", "status": 500,
         "action": "token"},
        {"service": "imds", "kind": "slow", "seconds": 0.5,
         "action": "role_name"},
        {"service": "container", "kind": "malformed"},
        {"service": "container", "kind": "truncated"},
        {"service": "container", "kind": "drop"}])
    status, h, body = sim.request("PUT", "/latest/api/token", b"",
        {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert status == 500
    tok = sim.imds_token()
    t0 = time.monotonic()
    assert sim.imds_get(CREDS, tok)[2] == b"sim-instance-role"
    assert time.monotonic() - t0 >= 0.5
    status, h, body = sim.imds_get(CREDS + "sim-instance-role", tok)
    assert status == 200 and h["content-type"] == "text/html"
    assert body.startswith(b"<?xml") and b"<html" in body
    assert json.loads(sim.imds_get(CREDS + "sim-instance-role", tok)[2])
    with pytest.raises(ValueError):
        json.loads(sim.container_get()[2])
    with pytest.raises(ValueError):
        json.loads(sim.container_get()[2])
    with pytest.raises((ConnectionError, socket.error, Exception)) as e:
        sim.container_get()
    assert not isinstance(e.value, AssertionError)
    assert json.loads(sim.container_get()[2])["AccessKeyId"]
    assert sim.pending_faults() == []
    with pytest.raises(simctl.SimError):
        sim.faults([{"service": "ec2", "kind": "status"}])


def test_sso_get_role_credentials(sim):
    sim.set_clock(T0)
    sim.sso("sso-access-token-1", user="alice",
        roles=["444455556666/BedrockReader"])
    sim.sso("sso-access-token-old", expired=True)
    status, h, body = sim.sso_get("BedrockReader", "444455556666",
        "sso-access-token-1")
    assert status == 200 and h["content-type"] == "application/json"
    c = json.loads(body)["roleCredentials"]
    assert list(c) == ["accessKeyId", "secretAccessKey", "sessionToken",
        "expiration"]
    assert isinstance(c["expiration"], int)
    assert T0 + 3600 <= c["expiration"] / 1000 <= T0 + 3603
    k = (c["accessKeyId"], c["secretAccessKey"], c["sessionToken"])
    status, x = sim.sts_xml({"Action": "GetCallerIdentity"}, creds=k)
    assert x["Arn"] == "arn:aws:sts::444455556666:assumed-role/" \
        "AWSReservedSSO_BedrockReader_0123456789abcdef/alice"
    for tok, want in ((None, (401, "UnauthorizedException")),
            ("sso-access-token-old", (401, "UnauthorizedException")),
            ("sso-access-token-1", (403, "ForbiddenException"))):
        status, h, body = sim.sso_get("Admin" if tok else "BedrockReader",
            "444455556666", tok)
        assert (status, h["x-amzn-errortype"]) == want
    st = [s for s in sim.stats() if s["service"] == "sso"]
    assert [s["status"] for s in st] == [200, 401, 401, 403]
    assert st[0]["caller"] == "sso:alice" and st[0]["account"] == \
        "444455556666"
    sim.faults([{"service": "sso", "kind": "status", "status": 503}])
    assert sim.sso_get("BedrockReader", "444455556666",
        "sso-access-token-1")[0] == 503
