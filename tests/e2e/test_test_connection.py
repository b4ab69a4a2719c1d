"""test-connection against the simulator: success, and every failure a user
can hit, each with its first line, AWS's words, hints and exit code."""

import socket
import time

import simctl

AUTH = "Invalid credentials or insufficient permissions"
CONNECT = "Failed to connect to AWS CloudTrail"



def lookups(sim):
    """The LookupEvents requests the simulator saw (not STS's)."""
    return [q for q in sim.stats() if q.get("action") == "LookupEvents"]

def first_line(r):
    return r.err.splitlines()[0] if r.err else ""


def test_succeeds_and_names_the_credential_source(bt, sim):
    r = bt(["test-connection"])
    assert r.rc == 0, r
    assert r.out == ("credentials: environment, access key AKID****MPLE\n"
        "us-east-1: connection to AWS CloudTrail works\n")
    reqs = lookups(sim)
    assert len(reqs) == 1 and reqs[0]["status"] == 200


def test_checks_every_configured_region(bt, sim):
    r = bt(["-r", "us-east-1,eu-west-1", "test-connection"])
    assert r.rc == 0, r
    assert [l.split(":")[0] for l in r.out.splitlines()] == [
        "credentials", "us-east-1", "eu-west-1"]
    assert sorted(q["region"] for q in lookups(sim)) == [
        "eu-west-1", "us-east-1"]


def test_session_credentials_are_signed_with_the_token(bt, sim):
    r = bt(["test-connection"], env={
        "AWS_ACCESS_KEY_ID": simctl.SESSION_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.SESSION_SECRET,
        "AWS_SESSION_TOKEN": simctl.SESSION_TOKEN})
    assert r.rc == 0, r


def test_wrong_secret(bt, sim):
    r = bt(["test-connection"], env={"AWS_SECRET_ACCESS_KEY": "not-it"})
    assert r.rc == 77, r
    assert first_line(r) == AUTH
    assert "InvalidSignatureException" in r.err
    assert "the secret access key is wrong for this access key id" in r.err
    assert "not-it" not in r.err + r.out


def test_unknown_key_id(bt, sim):
    r = bt(["test-connection"], env={"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN000000000"})
    assert r.rc == 77, r
    assert first_line(r) == AUTH
    assert ("UnrecognizedClientException: The security token included in "
        "the request is invalid.") in r.err


def test_key_without_permission(bt, sim):
    r = bt(["test-connection"], env={
        "AWS_ACCESS_KEY_ID": simctl.DENIED_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.DENIED_SECRET})
    assert r.rc == 77, r
    assert first_line(r) == AUTH
    assert "AccessDeniedException" in r.err
    assert "cloudtrail:LookupEvents" in r.err
    assert "SCP" in r.err


def test_expired_session_token(bt, sim):
    r = bt(["test-connection"], env={
        "AWS_ACCESS_KEY_ID": simctl.EXPIRED_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.EXPIRED_SECRET,
        "AWS_SESSION_TOKEN": simctl.EXPIRED_TOKEN})
    assert r.rc == 77, r
    assert first_line(r) == AUTH
    assert "ExpiredTokenException" in r.err
    assert "session token has expired" in r.err


def test_clock_ten_minutes_behind_says_how_far_and_ntp(bt, sim):
    now = time.time()
    behind = time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime(now - 600))
    r = bt(["test-connection"], faketime=behind)
    assert r.rc == 77, r
    assert first_line(r) == AUTH
    assert "Signature expired" in r.err
    assert "the local clock is 10 min" in r.err and "behind" in r.err
    assert "NTP" in r.err


def test_clock_twenty_minutes_ahead(bt, sim):
    ahead = time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 1200))
    r = bt(["test-connection"], faketime=ahead)
    assert r.rc == 77, r
    assert "Signature not yet current" in r.err
    assert "ahead of" in r.err and "NTP" in r.err


def test_region_name_instead_of_code_fails_before_any_request(bt, sim):
    r = bt(["-r", "US East", "test-connection"])
    assert r.rc == 78, r
    assert "invalid region 'US East'" in r.err and "us-east-1" in r.err
    assert sim.stats() == []


def test_region_name_in_environment(bt, sim):
    r = bt(["test-connection"], env={"AWS_REGION": "US East"})
    assert r.rc == 78, r
    assert "us-east-1" in r.err
    assert sim.stats() == []


def test_unknown_region_code_is_rejected_by_aws(bt, sim):
    r = bt(["-r", "us-east-9", "test-connection"])
    assert r.rc == 77, r
    assert "Credential should be scoped to a valid region" in r.err


def test_no_region_at_all(bt, sim):
    r = bt(["test-connection"], env={"AWS_REGION": None})
    assert r.rc == 78, r
    assert sim.stats() == []


def test_no_credentials(bt, sim):
    r = bt(["test-connection"], env={"AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None})
    assert r.rc == 77, r
    assert first_line(r) == AUTH
    assert sim.stats() == []


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_closed_port(bt, sim):
    # A refused connection is retried: two attempts keep the test short.
    cfg = bt.config("max_attempts: 2\n")
    r = bt(["-c", cfg, "test-connection"], env={
        "AWS_ENDPOINT_URL_CLOUDTRAIL": "http://127.0.0.1:%d" % closed_port()})
    assert r.rc == 69, r
    assert first_line(r) == CONNECT
    # The region is valid and event history is always on: neither is hinted.
    assert "region code" not in r.err
    assert "CloudTrail is enabled" not in r.err
    assert "  - check the endpoint set by AWS_ENDPOINT_URL_CLOUDTRAIL\n" \
        in r.err


def test_unknown_host(bt, sim):
    cfg = bt.config("max_attempts: 2\n")
    r = bt(["-c", cfg, "test-connection"], env={
        "AWS_ENDPOINT_URL_CLOUDTRAIL": "https://cloudtrail.invalid"})
    assert r.rc == 69, r
    assert first_line(r) == CONNECT


def test_server_that_never_answers_times_out(bt, sim, tmp_path):
    sim.faults([{"kind": "slow", "seconds": 30, "count": 10}])
    cfg = bt.config("timeout: 1s\nmax_attempts: 2\n")
    r = bt(["-c", cfg, "test-connection"], timeout=30)
    assert r.rc == 69, r
    assert first_line(r) == CONNECT
    assert "Timeout" in r.err


def test_untrusted_certificate_is_refused(bt, tls_sim):
    r = bt(["test-connection"], env={"AWS_ENDPOINT_URL_CLOUDTRAIL": tls_sim.url})
    assert r.rc == 69, r
    assert first_line(r) == CONNECT
    assert tls_sim.stats() == []


def test_tls_with_ca_bundle(bt, tls_sim):
    r = bt(["--ca-bundle", tls_sim.ca_path, "test-connection"],
        env={"AWS_ENDPOINT_URL_CLOUDTRAIL": tls_sim.url})
    assert r.rc == 0, r
    assert "connection to AWS CloudTrail works" in r.out


def test_ca_bundle_from_environment(bt, tls_sim):
    r = bt(["test-connection"], env={
        "AWS_ENDPOINT_URL_CLOUDTRAIL": tls_sim.url,
        "AWS_CA_BUNDLE": tls_sim.ca_path})
    assert r.rc == 0, r


def test_5xx_is_retried_then_succeeds(bt, sim):
    sim.faults([{"kind": "status", "status": 503, "count": 2}])
    r = bt(["test-connection"])
    assert r.rc == 0, r
    assert len(lookups(sim)) == 3


def test_5xx_after_every_attempt(bt, sim, tmp_path):
    sim.faults([{"kind": "status", "status": 500, "count": 100}])
    cfg = bt.config("max_attempts: 3\n")
    r = bt(["-c", cfg, "test-connection"])
    assert r.rc == 69, r
    assert first_line(r) == CONNECT
    assert len(lookups(sim)) == 3


def test_throttled_beyond_max_attempts(bt, sim, tmp_path):
    sim.faults([{"kind": "throttle", "count": 100}])
    cfg = bt.config("max_attempts: 2\n")
    r = bt(["-c", cfg, "test-connection"])
    assert r.rc == 75, r
    assert "ThrottlingException" in r.err


def test_help_version_and_usage(bt, sim):
    for args in (["--help"], ["help"], ["help", "poll"], ["poll", "--help"],
            ["test-connection", "--help"]):
        r = bt(args)
        assert r.rc == 0 and r.out.startswith("usage: bedrock-trail"), r
    r = bt(["--version"])
    assert r.rc == 0 and r.out.startswith("bedrock-trail ")
    r = bt(["frobnicate"])
    assert r.rc == 64 and first_line(r).startswith("usage error"), r
    r = bt(["test-connection", "--bogus"])
    assert r.rc == 64 and first_line(r).startswith("usage error"), r
    r = bt(["test-connection", "--forget-key"])
    assert r.rc == 64 and first_line(r).startswith("usage error"), r
    r = bt([])
    assert r.rc == 64
