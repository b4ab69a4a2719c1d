"""The CloudTrail simulator's wire protocol, with raw requests signed by
botocore: the behaviour bedrock-trail's own tests rely on (clock skew
texts, rate limit, token binding, stable paging, faults, TLS)."""

import http.client
import json
import socket
import ssl
import time

import pytest

import simctl

BEDROCK = "bedrock.amazonaws.com"
SRC = [{"AttributeKey": "EventSource", "AttributeValue": BEDROCK}]
T0 = 1795503600  # 2026-11-24T07:00:00Z


def ok(resp):
    status, headers, body = resp
    assert status == 200, body
    return json.loads(body)


def error(resp):
    status, headers, body = resp
    assert status >= 400, body
    return status, headers, json.loads(body)


def page_all(sim, body, region="us-east-1", conn=None, between=None):
    ids, tok, pages = [], None, 0
    while True:
        b = dict(body)
        if tok:
            b["NextToken"] = tok
        d = ok(sim.signed_post(b, region=region, conn=conn))
        ids += [e["EventId"] for e in d["Events"]]
        pages += 1
        tok = d.get("NextToken")
        if not tok:
            return ids, pages
        if between:
            between(pages)


def test_response_shape_headers_and_keepalive(sim):
    sim.config(rate_limit=0)
    sim.set_clock(T0)
    sim.generate(region="us-east-1", count=3, seed=1, delay_max=0,
        start=T0 - 3600, end=T0 - 60)
    conn = sim.connection()
    socks = set()
    for _ in range(3):
        status, h, body = sim.signed_post({"LookupAttributes": SRC},
            conn=conn)
        socks.add(id(conn.sock))
        assert conn.sock is not None  # not closed: kept alive
        assert status == 200
        assert h["content-type"] == "application/x-amz-json-1.1"
        assert int(h["content-length"]) == len(body)
        assert h["x-amzn-requestid"]
        assert h["date"].startswith("Tue, 24 Nov 2026 07:00:0")
    assert len(socks) == 1
    assert error(sim.signed_post({"MaxResults": 99}, conn=conn))
    assert conn.sock is not None  # errors keep the connection too
    conn.close()
    d = json.loads(body)
    assert list(d) == ["Events"]
    ev = d["Events"][0]
    assert list(ev)[:3] == ["EventId", "EventName", "ReadOnly"]
    assert isinstance(ev["EventTime"], float)
    assert ev["ReadOnly"] in ("true", "false")
    assert ev["Resources"] == []
    rec = json.loads(ev["CloudTrailEvent"])
    assert rec["eventID"] == ev["EventId"]
    assert [r["events"] for r in sim.stats()] == [3, 3, 3, None]


def test_clock_skew_messages_follow_the_sim_clock(sim):
    sim.set_clock(T0 + 900)  # 07:15:00
    past = error(sim.signed_post({}, amz_date="20261124T070000Z"))[2]
    assert past == {"__type": "InvalidSignatureException", "message":
        "Signature expired: 20261124T070000Z is now earlier than "
        "20261124T071000Z (20261124T071500Z - 5 min.)"}
    sim.set_clock(T0)
    fut = error(sim.signed_post({}, amz_date="20261124T080000Z"))[2]
    assert fut == {"__type": "InvalidSignatureException", "message":
        "Signature not yet current: 20261124T080000Z is still later than "
        "20261124T071500Z (20261124T070000Z + 15 min.)"}
    # Within the window: fine.
    assert ok(sim.signed_post({}, amz_date="20261124T065600Z")) == \
        {"Events": []}


def test_authentication_order_and_shapes(sim):
    sim.config(rate_limit=0)
    sim.set_clock(T0)
    c = sim.connection()
    c.request("POST", "/", body=b"{}", headers={"X-Amz-Target":
        simctl.LOOKUP_TARGET, "Content-Type": "application/x-amz-json-1.1"})
    r = c.getresponse()
    assert r.status == 400
    assert json.loads(r.read())["__type"] == \
        "MissingAuthenticationTokenException"
    st, h, b = error(sim.signed_post({}, creds=("AKIDNOSUCHKEYEXAMPLE",
        "x", None)))
    assert b["__type"] == "UnrecognizedClientException"
    assert h["x-amzn-errortype"].split(":")[0] == \
        "UnrecognizedClientException"
    # An unknown key is reported before a skewed clock.
    b = error(sim.signed_post({}, creds=("AKIDNOSUCHKEYEXAMPLE", "x", None),
        amz_date="20200101T000000Z"))[2]
    assert b["__type"] == "UnrecognizedClientException"
    b = error(sim.signed_post({}, creds=(simctl.SESSION_KEY,
        simctl.SESSION_SECRET, "wrong-token")))[2]
    assert b["__type"] == "UnrecognizedClientException"
    b = error(sim.signed_post({}, creds="expired"))[2]
    assert b == {"__type": "com.amazon.coral.service#ExpiredTokenException",
        "message": "The security token included in the request is expired"}
    b = error(sim.signed_post({}, creds="denied"))[2]
    assert b["__type"] == "AccessDeniedException" and "Message" in b
    b = error(sim.signed_post({}, region="moon-central-1"))[2]
    assert b["message"] == "Credential should be scoped to a valid region. "
    # A signed header altered after signing.
    b = error(sim.signed_post({}, headers={"X-Amz-Target":
        simctl.LOOKUP_TARGET + "x"}))[2]
    assert b["__type"] == "InvalidSignatureException"
    # A token sent with a long-term key is refused.
    b = error(sim.signed_post({}, creds=(simctl.ALLOWED_KEY,
        simctl.ALLOWED_SECRET, None), headers={"X-Amz-Security-Token":
        "x"}))[2]
    assert b["__type"] == "UnrecognizedClientException"
    ok(sim.signed_post({}, creds="session"))
    st = sim.stats()
    assert st[-1]["access_key_id"] == simctl.SESSION_KEY


def test_unsigned_host_and_bad_authorization(sim):
    sim.config(rate_limit=0)
    b = error(sim.signed_post({}, headers={"Authorization":
        "AWS4-HMAC-SHA256 Credential=%s/20261124/us-east-1/cloudtrail/"
        "aws4_request, SignedHeaders=host;x-amz-date" % simctl.ALLOWED_KEY}))
    assert b[2] == {"__type": "IncompleteSignatureException", "message":
        "Authorization header requires 'Signature' parameter."}
    b = error(sim.signed_post({}, headers={"Authorization":
        "AWS4-HMAC-SHA256 Credential=%s/20261124/us-east-1/cloudtrail/"
        "aws4_request, SignedHeaders=x-amz-date, Signature=00" %
        simctl.ALLOWED_KEY}))[2]
    assert b["__type"] == "InvalidSignatureException"


def test_validation_errors(sim):
    sim.config(rate_limit=0)
    b = error(sim.signed_post({"MaxResults": 51}))[2]
    assert b == {"__type": "InvalidMaxResultsException",
        "Message": "MaxResults must be between 1 and 50."}
    assert error(sim.signed_post({"MaxResults": 0}))[2]["__type"] == \
        "InvalidMaxResultsException"
    b = error(sim.signed_post({"StartTime": 20, "EndTime": 10}))[2]
    assert b["__type"] == \
        "com.amazonaws.cloudtrail.v20131101#InvalidTimeRangeException"
    b = error(sim.signed_post({"LookupAttributes": SRC * 2}))[2]
    assert b["__type"] == "InvalidLookupAttributesException"
    b = error(sim.signed_post({"LookupAttributes": [{"AttributeKey":
        "Colour", "AttributeValue": "x"}]}))[2]
    assert b["__type"] == "ValidationException"
    b = error(sim.signed_post(b"{not json"))[2]
    assert b["__type"] == "SerializationException"
    b = error(sim.signed_post({}, target="com.amazonaws.cloudtrail."
        "v20131101.CloudTrail_20131101.DescribeTrails"))[2]
    assert b["__type"].endswith("#UnknownOperationException")


def test_time_window_visibility_retention_and_iso_times(sim):
    sim.config(rate_limit=0)
    sim.set_clock(T0)
    evs = [{"eventTime": T0 - 100 * 86400, "eventID": "old"},
        {"eventTime": T0 - 3600, "eventID": "a"},
        {"eventTime": T0 - 1800, "eventID": "b"},
        {"eventTime": T0 - 1800, "eventID": "c"},
        {"eventTime": T0 - 60, "eventID": "late", "_delay": 600}]
    sim.add_events("us-east-1", evs)
    d = ok(sim.signed_post({"LookupAttributes": SRC}))
    assert [e["EventId"] for e in d["Events"]] == ["c", "b", "a"]
    d = ok(sim.signed_post({"StartTime": "2026-11-24T06:00:00Z",
        "EndTime": "2026-11-24T06:30:00Z"}))
    assert [e["EventId"] for e in d["Events"]] == ["c", "b", "a"]
    d = ok(sim.signed_post({"StartTime": T0 - 3600 + 0.5,
        "EndTime": T0 - 1800.0}))
    assert [e["EventId"] for e in d["Events"]] == ["c", "b"]
    # 100 days ago is beyond the 90 days CloudTrail keeps.
    d = ok(sim.signed_post({"StartTime": T0 - 120 * 86400}))
    assert "old" not in [e["EventId"] for e in d["Events"]]
    sim.advance(541)
    d = ok(sim.signed_post({}))
    assert [e["EventId"] for e in d["Events"]][0] == "late"
    assert [e["eventID"] for e in sim.events("us-east-1")] == \
        ["old", "a", "b", "c", "late"]


def test_attribute_lookups(sim):
    sim.config(rate_limit=0)
    sim.set_clock(T0)
    sim.generate(region="us-east-1", count=300, seed=4, delay_max=0,
        other_sources=True, start=T0 - 86400, end=T0)
    full = sim.events("us-east-1", full=True)
    rec = full[123]["record"]
    ident = rec["userIdentity"]
    for key, val, pred in (
            ("EventName", rec["eventName"],
                lambda r: r["eventName"] == rec["eventName"]),
            ("AccessKeyId", ident.get("accessKeyId"),
                lambda r: r["userIdentity"].get("accessKeyId") ==
                ident.get("accessKeyId")),
            ("ReadOnly", "false", lambda r: r["readOnly"] is False),
            ("EventId", rec["eventID"],
                lambda r: r["eventID"] == rec["eventID"])):
        if val is None:
            continue
        want = [e["eventID"] for e in reversed(full) if pred(e["record"])]
        got, _ = page_all(sim, {"LookupAttributes": [{"AttributeKey": key,
            "AttributeValue": val}], "StartTime": T0 - 2 * 86400})
        assert got == want, key
        assert got


def test_stable_pagination_while_events_arrive(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0)
    sim.generate(region="us-east-1", count=180, seed=2, delay_max=0,
        start=T0 - 7200, end=T0 - 600)
    first = sim.expected_ids("us-east-1")

    def arrive(page):
        # Newer events and older late deliveries show up between pages.
        sim.add_events("us-east-1", [
            {"eventTime": T0 - 300 + page, "eventID": "new-%d" % page},
            {"eventTime": T0 - 7100 + page, "eventID": "old-%d" % page}])
    ids, pages = page_all(sim, {"LookupAttributes": SRC}, between=arrive)
    assert pages == 4
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i in first] == first
    assert not [i for i in ids if i.startswith("new-")]
    assert sorted(i for i in ids if i.startswith("old-")) == \
        ["old-1", "old-2", "old-3"]


def test_next_token_binding(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0)
    sim.generate(region="us-east-1", count=60, seed=3, delay_max=0,
        start=T0 - 7200, end=T0 - 60)
    body = {"LookupAttributes": SRC, "StartTime": T0 - 86400, "EndTime": T0}
    tok = ok(sim.signed_post(body))["NextToken"]
    # Same token twice (a retry): the same page.
    a = ok(sim.signed_post(dict(body, NextToken=tok)))
    b = ok(sim.signed_post(dict(body, NextToken=tok, MaxResults=50)))
    assert a == b and len(a["Events"]) == 10
    for other in (dict(body, EndTime=T0 - 1),
            dict(body, StartTime=T0 - 86399),
            {"LookupAttributes": [{"AttributeKey": "EventSource",
                "AttributeValue": "s3.amazonaws.com"}],
             "StartTime": T0 - 86400, "EndTime": T0}):
        b = error(sim.signed_post(dict(other, NextToken=tok)))[2]
        assert b == {"__type": "InvalidNextTokenException",
            "Message": "Invalid next token."}
    b = error(sim.signed_post(dict(body, NextToken=tok), region="us-west-2"))
    assert b[2]["__type"] == "InvalidNextTokenException"
    assert error(sim.signed_post(dict(body, NextToken=tok[:-4] + "AAA=")))[
        2]["__type"] == "InvalidNextTokenException"
    sim.reset()
    sim.set_clock(T0)
    assert error(sim.signed_post(dict(body, NextToken=tok)))[2][
        "__type"] == "InvalidNextTokenException"


def test_page_size_max(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0, page_size_max=7)
    sim.generate(region="us-east-1", count=20, seed=3, delay_max=0,
        start=T0 - 7200, end=T0 - 60)
    ids, pages = page_all(sim, {"LookupAttributes": SRC})
    assert pages == 3 and ids == sim.expected_ids("us-east-1")


def test_rate_limit_sliding_window(sim):
    sim.set_clock(T0)
    conn = sim.connection()
    t0 = time.monotonic()
    r = [sim.signed_post({}, conn=conn) for _ in range(3)]
    assert time.monotonic() - t0 < 0.9
    assert [x[0] for x in r] == [200, 200, 400]
    assert r[2][1]["x-amzn-errortype"] == "ThrottlingException"
    assert json.loads(r[2][2]) == {"__type": "ThrottlingException",
        "message": "Rate exceeded"}
    # Another region, or another account, has its own window; another
    # key of the same account shares it (AWS's limit is per account).
    assert sim.signed_post({}, region="eu-west-1", conn=conn)[0] == 200
    assert sim.signed_post({}, creds="session", conn=conn)[0] == 400
    sim.add_credentials("AKIDOTHERACCOUNT0001", "other/secret",
        account="210987654321")
    assert sim.signed_post({}, creds=("AKIDOTHERACCOUNT0001", "other/secret",
        None), conn=conn)[0] == 200
    # Throttled requests do not use up the window.
    while time.monotonic() - t0 < 1.05:
        time.sleep(0.02)
    assert sim.signed_post({}, conn=conn)[0] == 200
    st = sim.stats()
    assert [s["error"] for s in st][:3] == [None, None,
        "ThrottlingException"]
    assert [s["account"] for s in st][:6] == ["123456789012"] * 5 + [
        "210987654321"]
    sim.config(rate_limit=0)
    assert all(sim.signed_post({}, conn=conn)[0] == 200 for _ in range(10))
    sim.config(rate_limit=0, throttle_probability=1.0)
    assert sim.signed_post({}, conn=conn)[0] == 400


def test_fault_queue_after_count_region(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0)
    sim.faults([{"kind": "status", "status": 500, "region": "eu-west-1"},
        {"kind": "throttle", "after": 1, "count": 2},
        {"kind": "error", "status": 400, "__type":
            "com.amazon.coral.service#ExpiredTokenException", "message":
            "x", "message_key": "Message"}])
    got = []
    for region in ("us-east-1", "us-east-1", "eu-west-1", "us-east-1",
            "us-east-1", "us-east-1"):
        st, h, b = sim.signed_post({}, region=region)
        got.append((st, json.loads(b).get("__type")))
    assert got == [
        (400, "com.amazon.coral.service#ExpiredTokenException"),
        (400, "ThrottlingException"),
        (500, "InternalFailure"),
        (400, "ThrottlingException"),
        (200, None),
        (200, None)]
    assert sim.pending_faults() == []
    sim.faults([{"kind": "status", "status": 503, "count": 5}])
    sim.clear_faults()
    assert sim.signed_post({})[0] == 200


def test_drop_faults(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0)
    sim.generate(region="us-east-1", count=30, seed=1, delay_max=0,
        start=T0 - 3600, end=T0)
    sim.faults([{"kind": "drop_before_headers"}])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        sim.signed_post({})
    sim.faults([{"kind": "drop_mid_body"}])
    with pytest.raises(http.client.IncompleteRead):
        sim.signed_post({})
    d = ok(sim.signed_post({}))
    assert len(d["Events"]) == 30
    # A dropped connection's stat may be recorded after the next request's
    # (the handler thread finishes after the client has moved on): each
    # fault is there once, in whatever order.
    assert sorted(str(s["fault"]) for s in sim.stats()) == [
        "None", "drop_before_headers", "drop_mid_body"]


def test_body_faults(sim):
    sim.set_clock(T0)
    sim.config(rate_limit=0)
    sim.generate(region="us-east-1", count=30, seed=1, delay_max=0,
        start=T0 - 3600, end=T0)
    full = len(sim.signed_post({})[2])
    sim.faults([{"kind": "truncated"}, {"kind": "malformed"},
        {"kind": "wrong_types"},
        {"kind": "wrong_types", "variant": "event_time_string"},
        {"kind": "huge", "bytes": 17 << 20}])
    st, h, b = sim.signed_post({})
    assert st == 200 and len(b) == int(h["content-length"]) == full // 2
    with pytest.raises(ValueError):
        json.loads(b)
    st, h, b = sim.signed_post({})
    assert st == 200
    with pytest.raises(ValueError):
        json.loads(b)
    assert ok(sim.signed_post({})) == {"Events": "not a list"}
    assert isinstance(ok(sim.signed_post({}))["Events"][0]["EventTime"], str)
    st, h, b = sim.signed_post({})
    assert st == 200 and len(b) == 17 << 20
    d = json.loads(b)
    assert json.loads(d["Events"][0]["CloudTrailEvent"])["eventID"] == \
        d["Events"][0]["EventId"]


def test_slow_fault(sim):
    sim.faults([{"kind": "slow", "seconds": 1.0}])
    t0 = time.monotonic()
    assert sim.signed_post({})[0] == 200
    assert time.monotonic() - t0 >= 1.0


def test_generator_mix_and_markers(sim):
    sim.set_clock(T0)
    sim.generate(region="us-east-1", count=600, seed=42, markers=True,
        other_sources=True, start=T0 - 86400, end=T0)
    evs = sim.events("us-east-1", full=True)
    recs = [e["record"] for e in evs]
    bed = [r for r in recs if r["eventSource"] == BEDROCK]
    assert len(bed) == 600 and len(recs) == 750
    assert {r["userIdentity"]["type"] for r in bed} == {"IAMUser",
        "AssumedRole", "Root", "FederatedUser", "AWSService"}
    assert {r["eventName"] for r in bed} == {"InvokeModel",
        "InvokeModelWithResponseStream", "Converse", "ConverseStream",
        "GetFoundationModel", "ListFoundationModels",
        "CreateModelInvocationJob"}
    mids = [(r.get("requestParameters") or {}).get("modelId") for r in bed]
    mids = [m for m in mids if m]
    for needle in ("::foundation-model/", ":inference-profile/",
            ":application-inference-profile/", ":provisioned-model/",
            ":custom-model/"):
        assert any(needle in m for m in mids), needle
    for geo in ("us.", "eu.", "apac.", "global.", "us-gov."):
        assert any(m.startswith(geo) for m in mids), geo
    assert any("errorCode" in r for r in bed)
    assert any((r.get("additionalEventData") or {}).get("inferenceRegion")
        for r in bed)
    svc = [r for r in bed if r["userIdentity"]["type"] == "AWSService"]
    assert all("arn" not in r["userIdentity"] and
        r["userIdentity"]["invokedBy"] for r in svc)
    assert all("modelIdentifier" in r["requestParameters"] for r in bed
        if r["eventName"] == "GetFoundationModel")
    # Markers sit in payload fields, never in fields the tool outputs.
    text = json.dumps(bed)
    assert text.count("PAYLOAD-MARKER-") > 600
    for r in bed:
        for k in ("eventID", "eventTime", "eventName", "eventSource",
                "awsRegion", "recipientAccountId", "userIdentity",
                "sourceIPAddress", "userAgent", "errorCode"):
            assert "PAYLOAD-MARKER" not in json.dumps(r.get(k)), k
        for k in ("modelId", "modelIdentifier"):
            assert "PAYLOAD-MARKER" not in json.dumps(
                (r.get("requestParameters") or {}).get(k))
    assert any("PAYLOAD-MARKER" in r.get("errorMessage", "") for r in bed)


def test_generator_is_deterministic_and_delays(sim):
    sim.set_clock(T0)
    kw = dict(region="us-east-1", count=50, seed=99, start=T0 - 86400,
        end=T0 - 3600)
    sim.generate(**kw)
    a = sim.events("us-east-1", full=True)
    sim.reset()
    sim.set_clock(T0)
    sim.generate(**kw)
    b = sim.events("us-east-1", full=True)
    assert [e["record"] for e in a] == [e["record"] for e in b]
    d = [e["visibleAt"] - e["eventTimeEpoch"] for e in a]
    assert min(d) >= 60 and max(d) <= 900 and len(set(d)) > 10
    mantle = sim.generate(region="us-east-1", count=5,
        event_source="bedrock-mantle.amazonaws.com", delay_max=0)
    assert mantle == {"added": 5, "matching": 5}
    assert len(sim.events("us-east-1", "bedrock-mantle.amazonaws.com")) == 5
    assert len(sim.events("us-east-1", BEDROCK)) == 50


def test_control_api_errors_and_credentials(sim):
    sim.config(rate_limit=0)
    with pytest.raises(simctl.SimError):
        sim.config(no_such_key=1)
    with pytest.raises(simctl.SimError):
        sim.faults([{"kind": "explode"}])
    with pytest.raises(simctl.SimError):
        sim.add_events("us-east-1", [{"eventID": "x"}, {"eventID": "x"}])
    sim.add_credentials("AKIDCUSTOMEXAMPLE001", "custom/secret",
        allowed=False, user_arn="arn:aws:iam::111122223333:user/custom")
    b = error(sim.signed_post({}, creds=("AKIDCUSTOMEXAMPLE001",
        "custom/secret", None)))[2]
    assert b["Message"].startswith("User: arn:aws:iam::111122223333:user/"
        "custom is not authorized")
    sim.reset()
    b = error(sim.signed_post({}, creds=("AKIDCUSTOMEXAMPLE001",
        "custom/secret", None)))[2]
    assert b["__type"] == "UnrecognizedClientException"
    assert sim.stats()[-1]["error"] == "UnrecognizedClientException"
    sim.reset_stats()
    assert sim.stats() == []


def test_tls_sim(tls_sim, tmp_path):
    tls_sim.set_clock(T0)
    tls_sim.generate(region="us-east-1", count=5, delay_max=0,
        start=T0 - 3600, end=T0)
    d = ok(tls_sim.signed_post({"LookupAttributes": SRC}))
    assert len(d["Events"]) == 5
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tls_sim.ca_path)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", tls_sim.port), 5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            assert t.version() in ("TLSv1.2", "TLSv1.3")
    # A client that does not trust the test CA fails verification.
    with socket.create_connection(("127.0.0.1", tls_sim.port), 5) as s:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(s,
                server_hostname="localhost")
    # The sim still serves after a failed handshake.
    assert tls_sim.ping() == {"ok": True}


def test_untrusted_cert_sim(tmp_path, test_ca):
    cert = simctl.make_untrusted_cert(tmp_path / "u")
    with simctl.Sim(tmp_path / "sim").start(tls=(cert["cert"], cert["key"])
            ) as s:
        ctx = ssl.create_default_context(cafile=test_ca["ca"])
        with socket.create_connection(("127.0.0.1", s.port), 5) as sock:
            with pytest.raises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(sock, server_hostname="127.0.0.1")
        own = ssl.create_default_context(cafile=cert["cert"])
        with socket.create_connection(("127.0.0.1", s.port), 5) as sock:
            with own.wrap_socket(sock, server_hostname="127.0.0.1") as t:
                assert t.version()
