"""The CloudTrail simulator checked with a real AWS client, the AWS CLI v2.

If the simulator and botocore agree on signing, paging and error shapes,
bedrock-trail's tests against the simulator say something about AWS.
The simulator's clock stays at real time here: the CLI signs with it.
"""

import base64
import json
import math
import subprocess
import time

import pytest

import simctl

AWS = "/usr/bin/aws"
BEDROCK = "bedrock.amazonaws.com"


@pytest.fixture
def aws(sim, tmp_path):
    """aws(args..., creds="allowed", attempts=1, region="us-east-1")."""
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")

    def run(*args, creds="allowed", attempts=1, region="us-east-1",
            env=None, timeout=60):
        key, secret, token = simctl.CREDENTIALS[creds] \
            if isinstance(creds, str) else creds
        e = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
            "LANG": "C.UTF-8", "AWS_PAGER": "",
            "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
            "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": str(attempts)}
        if token:
            e["AWS_SESSION_TOKEN"] = token
        e.update(env or {})
        cmd = [AWS, "cloudtrail", "lookup-events", "--endpoint-url", sim.url,
            "--region", region, "--output", "json"] + [str(a) for a in args]
        p = subprocess.run(cmd, env=e, capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL)
        p.json = json.loads(p.stdout) if p.returncode == 0 and p.stdout \
            else None
        return p
    return run


def bedrock_filter(source=BEDROCK):
    return ["--lookup-attributes",
        "AttributeKey=EventSource,AttributeValue=" + source]


def window(start, end):
    return ["--start-time", str(int(start)), "--end-time", str(int(end))]


def cli_token(next_token):
    """The CLI's --starting-token wraps the service token."""
    return base64.b64encode(json.dumps({"NextToken": next_token}).encode()
        ).decode()


def populate(sim, now):
    """230 visible bedrock events inside [now-5h, now], noise around them,
    and 20 recent events whose delivery delay hides them for now."""
    sim.generate(region="us-east-1", start=now - 5 * 3600 + 60,
        end=now - 1800, count=230, seed=7, other_sources=True)
    sim.generate(region="us-east-1", start=now - 300, end=now, count=20,
        seed=8, delay_min=600, delay_max=900)
    sim.generate(region="us-east-1", start=now - 9 * 3600,
        end=now - 5 * 3600 - 60, count=15, seed=9)
    sim.generate(region="eu-west-1", start=now - 3 * 3600, end=now - 1800,
        count=40, seed=10)


def test_cli_pages_through_exactly_the_visible_events(sim, aws):
    sim.config(rate_limit=0)
    now = sim.clock()
    populate(sim, now)
    start, end = now - 5 * 3600, now
    expected = sim.expected_ids("us-east-1", BEDROCK, start, int(end))
    assert len(expected) == 230

    p = aws(*bedrock_filter(), *window(start, end), "--page-size", "50")
    assert p.returncode == 0, p.stderr
    got = [e["EventId"] for e in p.json["Events"]]
    assert got == expected
    times = [e["EventTime"] for e in p.json["Events"]]
    assert times == sorted(times, reverse=True)
    assert {e["EventSource"] for e in p.json["Events"]} == {BEDROCK}
    for e in p.json["Events"]:
        rec = json.loads(e["CloudTrailEvent"])
        assert rec["eventID"] == e["EventId"]
        assert rec["awsRegion"] == "us-east-1"

    reqs = [r for r in sim.stats() if r["target"] == simctl.LOOKUP_TARGET]
    assert len(reqs) == math.ceil(230 / 50)
    assert all(r["status"] == 200 for r in reqs)
    assert all(r["params"]["MaxResults"] == 50 for r in reqs)
    assert "NextToken" not in reqs[0]["params"]
    assert all(r["params"].get("NextToken") for r in reqs[1:])
    assert [r["events"] for r in reqs] == [50, 50, 50, 50, 30]


def test_cli_sees_late_events_once_delivered(sim, aws):
    sim.config(rate_limit=0)
    now = int(sim.clock())
    populate(sim, now)
    # Two events from a minute ago, delivered two seconds from now. (The
    # CLI signs with the real clock, so wait rather than advance the sim.)
    late = sim.add_events("us-east-1", [{"eventTime": now - 60,
        "eventName": "Converse"}, {"eventTime": now - 59, "_delay": 61,
        "eventName": "InvokeModel"}], delay=62)["eventIDs"]
    args = bedrock_filter() + window(now - 600, now + 1200)
    before = aws(*args)
    assert before.returncode == 0, before.stderr
    assert before.json["Events"] == []
    while sim.clock() < now + 2.2:
        time.sleep(0.1)
    after = aws(*args)
    assert after.returncode == 0, after.stderr
    assert [e["EventId"] for e in after.json["Events"]] == late[::-1]


def test_cli_other_regions_and_sources_are_separate(sim, aws):
    sim.config(rate_limit=0)
    now = sim.clock()
    populate(sim, now)
    eu = aws(*bedrock_filter(), *window(now - 5 * 3600, now),
        region="eu-west-1")
    assert eu.returncode == 0, eu.stderr
    assert [e["EventId"] for e in eu.json["Events"]] == \
        sim.expected_ids("eu-west-1", BEDROCK)
    assert len(eu.json["Events"]) == 40
    s3 = aws(*bedrock_filter("s3.amazonaws.com"), *window(now - 5 * 3600,
        now))
    assert s3.returncode == 0, s3.stderr
    assert s3.json["Events"]
    assert {e["EventSource"] for e in s3.json["Events"]} == \
        {"s3.amazonaws.com"}


def test_cli_starting_token_continues_and_is_bound_to_the_query(sim, aws):
    sim.config(rate_limit=0)
    now = sim.clock()
    populate(sim, now)
    args = bedrock_filter() + window(now - 5 * 3600, now)
    first = aws(*args, "--page-size", "50", "--max-items", "50")
    assert first.returncode == 0, first.stderr
    assert len(first.json["Events"]) == 50
    token = first.json["NextToken"]
    rest = aws(*args, "--page-size", "50", "--starting-token", token)
    assert rest.returncode == 0, rest.stderr
    ids = [e["EventId"] for e in first.json["Events"] + rest.json["Events"]]
    assert ids == sim.expected_ids("us-east-1", BEDROCK, now - 5 * 3600,
        int(now))

    other = aws(*bedrock_filter(), *window(now - 4 * 3600, now),
        "--starting-token", token)
    assert other.returncode != 0
    assert "InvalidNextTokenException" in other.stderr

    bogus = aws(*args, "--starting-token", cli_token("bm90LWEtdG9rZW4="))
    assert bogus.returncode != 0
    assert "InvalidNextTokenException" in bogus.stderr
    assert "Invalid next token." in bogus.stderr


def test_cli_wrong_secret_is_a_signature_mismatch(sim, aws):
    p = aws(*bedrock_filter(), creds=(simctl.ALLOWED_KEY,
        "not/the/secret/0123456789abcdefEXAMPLE", None))
    assert p.returncode != 0
    assert "InvalidSignatureException" in p.stderr
    assert "does not match the signature you provided" in p.stderr
    assert sim.stats()[-1]["error"] == "InvalidSignatureException"


def test_cli_unknown_key_is_unrecognized(sim, aws):
    p = aws(*bedrock_filter(), creds=("AKIDUNKNOWNEXAMPLE00", "x", None))
    assert p.returncode != 0
    assert "UnrecognizedClientException" in p.stderr
    assert "The security token included in the request is invalid" in \
        p.stderr


def test_cli_session_credentials_work(sim, aws):
    sim.generate(region="us-east-1", count=12, seed=3, delay_max=0)
    p = aws(*bedrock_filter(), creds="session")
    assert p.returncode == 0, p.stderr
    assert [e["EventId"] for e in p.json["Events"]] == \
        sim.expected_ids("us-east-1", BEDROCK)
    assert len(p.json["Events"]) == 12
    assert sim.stats()[-1]["access_key_id"] == simctl.SESSION_KEY


def test_cli_session_key_without_its_token_is_refused(sim, aws):
    p = aws(*bedrock_filter(), creds=(simctl.SESSION_KEY,
        simctl.SESSION_SECRET, None))
    assert p.returncode != 0
    assert "UnrecognizedClientException" in p.stderr


def test_cli_expired_token(sim, aws):
    p = aws(*bedrock_filter(), creds="expired")
    assert p.returncode != 0
    assert "ExpiredTokenException" in p.stderr
    assert "The security token included in the request is expired" in \
        p.stderr


def test_cli_access_denied(sim, aws):
    p = aws(*bedrock_filter(), creds="denied")
    assert p.returncode != 0
    assert "AccessDeniedException" in p.stderr
    assert "arn:aws:iam::123456789012:user/sim-no-permission is not " \
        "authorized to perform: cloudtrail:LookupEvents" in p.stderr


def test_cli_invalid_region_in_scope(sim, aws):
    p = aws(*bedrock_filter(), region="xx-nowhere-1")
    assert p.returncode != 0
    assert "InvalidSignatureException" in p.stderr
    assert "Credential should be scoped to a valid region" in p.stderr


def test_cli_validation_errors(sim, aws):
    p = aws(*window(2000000000, 1900000000))
    assert p.returncode != 0
    assert "InvalidTimeRangeException" in p.stderr
    two = aws("--lookup-attributes",
        "AttributeKey=EventSource,AttributeValue=" + BEDROCK,
        "AttributeKey=EventName,AttributeValue=InvokeModel")
    assert two.returncode != 0
    assert "InvalidLookupAttributesException" in two.stderr


def test_cli_attribute_filters(sim, aws):
    sim.config(rate_limit=0)
    sim.generate(region="us-east-1", count=200, seed=5, delay_max=0,
        other_sources=True)
    evs = sim.events("us-east-1", full=True)
    for key, pick in (("EventName", lambda r: r["eventName"]),
            ("EventId", lambda r: r["eventID"])):
        value = pick(evs[17]["record"])
        p = aws("--lookup-attributes",
            "AttributeKey=%s,AttributeValue=%s" % (key, value))
        assert p.returncode == 0, p.stderr
        want = sorted((e for e in evs if pick(e["record"]) == value),
            key=lambda e: (e["eventTimeEpoch"], e["eventID"]), reverse=True)
        assert [e["EventId"] for e in p.json["Events"]] == \
            [e["eventID"] for e in want]
        assert p.json["Events"]


def test_cli_throttled_beyond_rate_limit(sim, aws):
    sim.config(rate_limit=1)
    sim.generate(region="us-east-1", count=120, seed=11, delay_max=0)
    p = aws(*bedrock_filter(), "--page-size", "50", attempts=1)
    assert p.returncode != 0
    assert "ThrottlingException" in p.stderr
    assert "Rate exceeded" in p.stderr
    errs = [r["error"] for r in sim.stats()]
    assert errs[0] is None and "ThrottlingException" in errs


def test_cli_retries_through_throttling_and_faults(sim, aws):
    sim.config(rate_limit=2)
    sim.generate(region="us-east-1", count=160, seed=12, delay_max=0)
    sim.faults([{"kind": "status", "status": 503, "after": 1},
        {"kind": "drop_before_headers", "after": 2}])
    t0 = time.monotonic()
    p = aws(*bedrock_filter(), "--page-size", "50", attempts=10)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 < 30
    assert [e["EventId"] for e in p.json["Events"]] == \
        sim.expected_ids("us-east-1", BEDROCK)
    st = sim.stats()
    assert [r["fault"] for r in st if r["fault"]] == [
        "status", "drop_before_headers"]
    assert any(r["status"] == 503 for r in st)
    assert sim.pending_faults() == []


def test_bt_runner_under_faketime_signs_with_the_fake_clock(sim, bt):
    """The `bt` fixture's environment and faketime wrapping, checked with
    the AWS CLI in place of the binary: the sim clock is set to the fake
    time, so the request is only accepted if the fake time was used."""
    fake = 1795503600  # 2026-11-24T07:00:00Z
    sim.set_clock(fake)
    sim.add_events("us-east-1", [{"eventTime": "2026-11-24T06:59:00Z",
        "eventName": "InvokeModel", "requestParameters": {
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0"}}])
    args = ["cloudtrail", "lookup-events", "--endpoint-url", sim.url,
        "--output", "json"] + bedrock_filter()
    env = {"AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"}
    r = bt(args, env=env, faketime="@2026-11-24 07:00:00", program=AWS)
    assert r.rc == 0, r
    assert len(json.loads(r.out)["Events"]) == 1
    assert sim.stats()[-1]["access_key_id"] == simctl.ALLOWED_KEY
    # Without faketime the real clock is far from the sim's: refused.
    r = bt(args, env=env, program=AWS)
    assert r.rc != 0
    assert "Signature" in r.err and "InvalidSignatureException" in r.err
    # env=None entries remove variables.
    r = bt(args, env=dict(env, AWS_ACCESS_KEY_ID=None,
        AWS_SECRET_ACCESS_KEY=None), faketime=fake, program=AWS)
    assert r.rc != 0
    assert "credentials" in r.err.lower()
