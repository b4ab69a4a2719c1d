"""The credential chain end to end (SPEC sections 2 and 7): which source
wins when several are present, assume-role profiles and a role on top,
connect --role-arn, and refresh of short-lived credentials during a long
poll. The simulator plays STS, IMDSv2 and the container endpoint, and
records who called what with which keys."""

import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

import simctl
from connect_env import KEY, MASKED, NO_AWS, SECRET, Conn

AUTH = "Invalid credentials or insufficient permissions"
CONFIG_ERR_CODE = 78
READER = "arn:aws:iam::111122223333:role/BedrockTrailReader"
SECOND = "arn:aws:iam::444455556666:role/SecondHop"
ISSUED_TOKEN = "IQoJb3JpZ2luX2VjE"      # the sim's session tokens start so


@pytest.fixture
def conn(bt, sim, tmp_path):
    return Conn(bt, sim, tmp_path)


def aws_files(tmp_path, config="", credentials=""):
    """AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE with this text."""
    c = tmp_path / "aws-config"
    s = tmp_path / "aws-credentials"
    c.write_text(config)
    s.write_text(credentials)
    return {"AWS_CONFIG_FILE": str(c), "AWS_SHARED_CREDENTIALS_FILE": str(s)}


BASE_CREDENTIALS = ("[base]\naws_access_key_id = %s\n"
    "aws_secret_access_key = %s\n" % (KEY, SECRET))


def env_for(sim, files=None, **kw):
    """No keys in the environment; STS, IMDS at the simulator."""
    e = dict(NO_AWS)
    e.update({"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": sim.url,
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": sim.url})
    e.update(files or {})
    e.update(kw)
    return e


def generate(sim, account, count=12, seed=1):
    now = sim.clock()
    sim.generate(account=account, region="us-east-1", start=now - 7200,
        end=now - 600, count=count, seed=seed, delay_max=0)
    return {e["eventID"] for e in sim.events("us-east-1", account=account)
        if e["eventSource"] == "bedrock.amazonaws.com"}


def ids(r):
    return [json.loads(l)["eventID"] for l in r.out.splitlines()]


def calls(sim, service, action=None):
    return [q for q in sim.stats() if q["service"] == service and
        (action is None or q["action"] == action)]


def assert_no_secret(*texts):
    for t in texts:
        assert SECRET not in t
        assert ISSUED_TOKEN not in t


def test_assume_role_profile_chain_of_two_polls_the_role_account(conn, sim,
        tmp_path):
    sim.add_role(READER, external_id="ext-1234", trusted=[simctl.ACCOUNT])
    want = generate(sim, "111122223333")
    generate(sim, simctl.ACCOUNT, seed=2)       # the base's own: not these
    files = aws_files(tmp_path, "[profile reader]\nrole_arn = %s\n"
        "source_profile = base\nexternal_id = ext-1234\n" % READER,
        BASE_CREDENTIALS)
    r = conn(["-v", "poll"], env=env_for(sim, files, AWS_PROFILE="reader"))
    assert r.rc == 0, r
    assert set(ids(r)) == want and len(ids(r)) == len(want)
    (ar,) = calls(sim, "sts", "AssumeRole")
    assert ar["access_key_id"] == KEY and ar["region"] == "us-east-1"
    assert ar["params"]["RoleArn"] == READER
    assert ar["params"]["ExternalId"] == "ext-1234"
    assert ar["params"]["RoleSessionName"] == "bedrock-trail"
    looks = calls(sim, "cloudtrail", "LookupEvents")
    assert looks and {q["account"] for q in looks} == {"111122223333"}
    assert all(q["access_key_id"].startswith("ASIA") for q in looks)
    assert_no_secret(r.out, r.err)


def test_assume_role_profile_chain_of_three(conn, sim, tmp_path):
    sim.add_role(READER, trusted=[simctl.ACCOUNT])
    sim.add_role(SECOND, trusted=[READER])
    want = generate(sim, "444455556666")
    files = aws_files(tmp_path,
        "[profile first]\nrole_arn = %s\nsource_profile = base\n"
        "[profile second]\nrole_arn = %s\nsource_profile = first\n"
        "role_session_name = hop-two\n" % (READER, SECOND), BASE_CREDENTIALS)
    r = conn(["poll"], env=env_for(sim, files, AWS_PROFILE="second"))
    assert r.rc == 0, r
    assert set(ids(r)) == want
    first, second = calls(sim, "sts", "AssumeRole")
    assert first["params"]["RoleArn"] == READER
    assert first["access_key_id"] == KEY
    assert second["params"]["RoleArn"] == SECOND
    assert second["params"]["RoleSessionName"] == "hop-two"
    assert second["access_key_id"].startswith("ASIA")
    r = conn(["status"], env=env_for(sim, files, AWS_PROFILE="second"))
    assert r.rc == 0, r
    assert re.search(r"^credentials:  assumed role arn:aws:sts::444455556666:"
        r"assumed-role/SecondHop/hop-two via assumed role arn:aws:sts::"
        r"111122223333:assumed-role/BedrockTrailReader/bedrock-trail via "
        r"shared credentials file \(%s \[base\]\), access key %s "
        r"\(expires \d\d:\d\dZ\)$" % (re.escape(
        files["AWS_SHARED_CREDENTIALS_FILE"]), re.escape(MASKED)), r.out,
        re.M), r.out


@pytest.mark.parametrize("profile,config,first", [
    ("loop-a", "[profile loop-a]\nrole_arn = %s\nsource_profile = loop-b\n"
        "[profile loop-b]\nrole_arn = %s\nsource_profile = loop-a\n"
        % (READER, SECOND),
        "profile 'loop-a': source_profile loop: loop-a -> loop-b -> loop-a"),
    ("both", "[profile both]\nrole_arn = %s\nsource_profile = base\n"
        "credential_source = Environment\n" % READER,
        "profile 'both' has both source_profile and credential_source: "
        "keep one"),
    ("neither", "[profile neither]\nrole_arn = %s\n" % READER,
        "profile 'neither' has role_arn but neither source_profile nor "
        "credential_source"),
    ("long", "[profile long]\nrole_arn = %s\nsource_profile = base\n"
        "duration_seconds = 43201\n" % READER,
        "profile 'long': duration_seconds '43201' must be a number of "
        "seconds between 900 and 43200"),
    ("short", "[profile short]\nrole_arn = %s\nsource_profile = base\n"
        "duration_seconds = 600\n" % READER,
        "profile 'short': duration_seconds '600' must be a number of "
        "seconds between 900 and 43200"),
])
def test_impossible_profiles_are_configuration_errors(conn, sim, tmp_path,
        profile, config, first):
    files = aws_files(tmp_path, config, BASE_CREDENTIALS)
    for cmd in (["poll"], ["test-connection"]):
        r = conn(cmd, env=env_for(sim, files, AWS_PROFILE=profile))
        assert r.rc == CONFIG_ERR_CODE, r
        assert r.err.splitlines()[0] == first
        assert r.out == ""
    assert sim.stats() == []                # nothing sent anywhere


def test_mfa_profile_is_77_with_the_command_to_run(conn, sim, tmp_path):
    files = aws_files(tmp_path, "[profile mfa]\nrole_arn = %s\n"
        "source_profile = base\nmfa_serial = arn:aws:iam::123456789012:"
        "mfa/admin\n" % READER, BASE_CREDENTIALS)
    r = conn(["poll"], env=env_for(sim, files, AWS_PROFILE="mfa"))
    assert r.rc == 77, r
    lines = r.err.splitlines()
    assert lines[0] == AUTH
    assert lines[2] == ("run: aws sts assume-role --profile base --role-arn "
        "%s --role-session-name bedrock-trail --serial-number "
        "arn:aws:iam::123456789012:mfa/admin --token-code CODE" % READER)
    assert sim.stats() == []


def role_config(conn, external_id=None, extra=""):
    text = "role_arn: %s\n" % READER
    if external_id is not None:
        text += "external_id: %s\n" % external_id
    return conn.bt.config("endpoint_url: %s\n%s%s" % (conn.sim.url, text,
        extra))


def test_role_on_top_of_environment_keys(conn, sim):
    sim.add_role(READER, external_id="right-id", trusted=[simctl.ACCOUNT])
    want = generate(sim, "111122223333")
    cfg = role_config(conn, "right-id")
    env = env_for(sim, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    r = conn.bt(["-c", cfg, "test-connection"], env=env)
    assert r.rc == 0, r
    assert re.fullmatch(r"credentials: assumed role arn:aws:sts::111122223333:"
        r"assumed-role/BedrockTrailReader/bedrock-trail via environment, "
        r"access key %s \(expires \d\d:\d\dZ\)\n"
        r"us-east-1: connection to AWS CloudTrail works\n"
        % re.escape(MASKED), r.out), r.out
    r = conn.bt(["-c", cfg, "poll"], env=env)
    assert r.rc == 0, r
    assert set(ids(r)) == want
    r = conn.bt(["-c", cfg, "status", "--format", "json"], env=env)
    creds = json.loads(r.out)["credentials"]
    assert creds["source"] == "assumed role"
    assert creds["identity"] == ("arn:aws:sts::111122223333:assumed-role/"
        "BedrockTrailReader/bedrock-trail")
    assert creds["origin"] == "environment, access key %s" % MASKED
    assert creds["access_key_id"].startswith("ASIA")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        creds["expiration"])


def test_wrong_external_id_is_77_with_aws_message(conn, sim):
    sim.add_role(READER, external_id="right-id", trusted=[simctl.ACCOUNT])
    env = env_for(sim, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    for ext in ("wrong-id", None):
        r = conn.bt(["-c", role_config(conn, ext), "test-connection"],
            env=env)
        assert r.rc == 77, r
        lines = r.err.splitlines()
        assert lines[0] == AUTH
        assert lines[1] == ("region us-east-1: AccessDenied: User: "
            "arn:aws:iam::123456789012:user/sim-reader is not authorized to "
            "perform: sts:AssumeRole on resource: %s" % READER)
        assert r.out == ""
    assert calls(sim, "cloudtrail") == []


def test_connect_stores_the_role_and_uses_it(conn, sim):
    sim.add_role(READER, external_id="ext-77", trusted=[simctl.ACCOUNT])
    want = generate(sim, "111122223333")
    r = conn(["connect", "--access-key-id", KEY, "--region", "us-east-1",
        "--role-arn", READER, "--external-id", "ext-77"],
        input=SECRET + "\n", env={"AWS_ENDPOINT_URL_STS": sim.url})
    assert r.rc == 0, r
    assert r.out.startswith("credentials: assumed role arn:aws:sts::"
        "111122223333:assumed-role/BedrockTrailReader/bedrock-trail via "
        "stored connection (%s), access key %s (expires " % (conn.store,
        MASKED)), r.out
    assert "ext-77" not in conn.store.read_bytes().decode("latin-1")
    sim.reset_stats()
    r = conn(["poll"], env={"AWS_ENDPOINT_URL_STS": sim.url})
    assert r.rc == 0, r
    assert set(ids(r)) == want
    (ar,) = calls(sim, "sts", "AssumeRole")
    assert ar["params"]["ExternalId"] == "ext-77"
    assert ar["access_key_id"] == KEY


def test_connect_with_a_role_it_cannot_assume_stores_nothing(conn, sim):
    sim.add_role(READER, external_id="ext-77", trusted=[simctl.ACCOUNT])
    r = conn(["connect", "--access-key-id", KEY, "--region", "us-east-1",
        "--role-arn", READER, "--external-id", "not-it"],
        input=SECRET + "\n", env={"AWS_ENDPOINT_URL_STS": sim.url})
    assert r.rc == 77, r
    assert r.err.splitlines()[0] == AUTH
    assert r.err.splitlines()[-1] == "nothing was stored"
    assert not conn.store.exists()


@pytest.mark.parametrize("args,first", [
    (["--external-id", "x"], "usage error: --external-id needs --role-arn"),
    (["--role-arn", "BedrockTrailReader"], "usage error: invalid role arn "
        "'BedrockTrailReader': use a role ARN such as "
        "arn:aws:iam::111122223333:role/BedrockTrailReader"),
])
def test_connect_role_options_are_checked_first(conn, sim, args, first):
    r = conn(["connect", "--access-key-id", KEY, "--region", "us-east-1"] +
        args, input=SECRET + "\n")
    assert r.rc == 64, r
    assert r.err.splitlines()[0] == first
    assert sim.stats() == []


def test_config_role_arn_is_checked(conn, sim):
    cfg = conn.bt.config("role_arn: BedrockTrailReader\n")
    r = conn.bt(["-c", cfg, "status"])
    assert r.rc == CONFIG_ERR_CODE, r
    assert r.err.splitlines()[0] == ("%s:4:11: invalid role arn "
        "'BedrockTrailReader': use a role ARN such as "
        "arn:aws:iam::111122223333:role/BedrockTrailReader" % cfg)


WEB_ROLE = "arn:aws:iam::222233334444:role/ci-reader"
TASK_ROLE = "arn:aws:iam::333344445555:role/task-reader"


def every_source(sim, tmp_path, conn):
    """Each source of the chain present at once, each a different identity:
    (env, [(what to remove, the status line that must then show)])."""
    files = aws_files(tmp_path, "", "[default]\naws_access_key_id = %s\n"
        "aws_secret_access_key = %s\n" % (simctl.DENIED_KEY,
        simctl.DENIED_SECRET))
    token = tmp_path / "web-token"
    token.write_text("web-identity-token-0123456789")
    sim.web_identity("web-identity-token-0123456789")
    sim.add_role(WEB_ROLE, web_identity=True)
    sim.container(authorization="container-auth-token", role_arn=TASK_ROLE)
    sim.imds(enabled=True, role_name="web-01", account="555566667777")
    env = env_for(sim, files, AWS_ACCESS_KEY_ID=simctl.SESSION_KEY,
        AWS_SECRET_ACCESS_KEY=simctl.SESSION_SECRET,
        AWS_SESSION_TOKEN=simctl.SESSION_TOKEN,
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token), AWS_ROLE_ARN=WEB_ROLE,
        AWS_CONTAINER_CREDENTIALS_FULL_URI=sim.url + "/_container/credentials",
        AWS_CONTAINER_AUTHORIZATION_TOKEN="container-auth-token",
        AWS_EC2_METADATA_DISABLED=None)
    masked = lambda k: k[:4] + "****" + k[-4:]
    steps = [
        (None, r"stored connection \(%s\), access key %s" % (
            re.escape(str(conn.store)), re.escape(MASKED))),
        ("store", r"environment, access key %s" % re.escape(
            masked(simctl.SESSION_KEY))),
        (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"),
            r"shared credentials file \(%s \[default\]\), access key %s" % (
            re.escape(files["AWS_SHARED_CREDENTIALS_FILE"]),
            re.escape(masked(simctl.DENIED_KEY)))),
        (("AWS_SHARED_CREDENTIALS_FILE",), r"web identity arn:aws:sts::"
            r"222233334444:assumed-role/ci-reader/bedrock-trail "
            r"\(expires \d\d:\d\dZ\)"),
        (("AWS_WEB_IDENTITY_TOKEN_FILE",), r"container credentials "
            r"%s \(expires \d\d:\d\dZ\)" % re.escape(TASK_ROLE)),
        (("AWS_CONTAINER_CREDENTIALS_FULL_URI",), r"instance role web-01 "
            r"\(expires \d\d:\d\dZ\)"),
    ]
    return env, steps


def test_chain_order_first_source_wins_and_status_says_so(conn, sim,
        tmp_path):
    """Store > environment > profile > web identity > container > IMDS:
    all present, then each removed in turn; status names the winner."""
    assert conn.connect().rc == 0
    env, steps = every_source(sim, tmp_path, conn)
    for remove, line in steps:
        if remove == "store":
            assert conn(["disconnect"]).rc == 0
        elif remove:
            for k in remove:
                env[k] = None
        r = conn(["status"], env=env)
        assert r.rc == 0, r
        assert re.search(r"^credentials:  %s$" % line, r.out, re.M), \
            (line, r.out)
        assert_no_secret(r.out, r.err)
        assert "container-auth-token" not in r.out + r.err
        assert "web-identity-token-0123456789" not in r.out + r.err


def test_each_provider_polls_as_its_own_identity(conn, sim, tmp_path):
    """Web identity, container and instance role end to end: the poll
    reads the events of the account the provider's keys belong to."""
    env, steps = every_source(sim, tmp_path, conn)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE"):
        env[k] = None
    for account, remove in (("222233334444", "AWS_WEB_IDENTITY_TOKEN_FILE"),
            ("333344445555", "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            ("555566667777", None)):
        want = generate(sim, account)
        sim.reset_stats()
        r = conn(["poll", "--state-file", str(tmp_path / account)], env=env)
        assert r.rc == 0, r
        assert set(ids(r)) == want
        looks = calls(sim, "cloudtrail", "LookupEvents")
        assert {q["account"] for q in looks} == {account}
        if remove:
            env[remove] = None


def test_role_on_top_of_the_instance_role(conn, sim, tmp_path):
    sim.imds(enabled=True, role_name="web-01", account="555566667777")
    sim.add_role(READER, external_id="ext-ec2", trusted=["555566667777"])
    want = generate(sim, "111122223333")
    cfg = role_config(conn, "ext-ec2")
    env = env_for(sim, AWS_EC2_METADATA_DISABLED=None)
    r = conn.bt(["-c", cfg, "test-connection"], env=env)
    assert r.rc == 0, r
    print("\n" + r.out)
    assert re.fullmatch(r"credentials: assumed role arn:aws:sts::111122223333:"
        r"assumed-role/BedrockTrailReader/bedrock-trail via instance role "
        r"web-01 \(expires \d\d:\d\dZ\)\n"
        r"us-east-1: connection to AWS CloudTrail works\n", r.out), r.out
    sim.reset_stats()
    r = conn.bt(["-c", cfg, "poll"], env=env)
    assert r.rc == 0, r
    assert set(ids(r)) == want
    (imds,) = calls(sim, "imds", "credentials")
    (ar,) = calls(sim, "sts", "AssumeRole")
    assert ar["access_key_id"].startswith("ASIA")
    assert ar["params"]["ExternalId"] == "ext-ec2"
    looks = calls(sim, "cloudtrail", "LookupEvents")
    assert {q["account"] for q in looks} == {"111122223333"}


# Refresh: a poll that outlives its credentials several times over.

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


class Clocks:
    """Moves the simulator's clock and bedrock-trail's (libfaketime, its
    offset re-read from a file on every call) forward together, step
    seconds every real second, while a command runs."""

    def __init__(self, sim, tmp_path, step):
        self.sim = sim
        self.step = step
        self.file = tmp_path / "faketime"
        self.offset = 0
        self.file.write_text("+0\n")
        self.sim.set_clock(time.time())
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def env(self):
        return {"LD_PRELOAD": FAKETIME_LIB,
            "FAKETIME_TIMESTAMP_FILE": str(self.file),
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}

    def run(self):
        while not self.stop.wait(1.0):
            self.offset += self.step
            self.sim.advance(self.step)
            self.file.write_text("+%d\n" % self.offset)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def timeline(sim, issued_by):
    """[(fetched, expires, key)] of the issued credentials, sim time."""
    creds = sim.call("GET", "/_sim/credentials?full=1")["credentials"]
    return sorted((c["issued"], c["expires"], c["access_key_id"])
        for c in creds if c.get("issued") and c.get("source") == issued_by)


def check_refresh(sim, r, want, issued_by, tmp_path):
    assert r.rc == 0, r
    got = ids(r)
    assert len(got) == len(want) and set(got) == want
    looks = calls(sim, "cloudtrail", "LookupEvents")
    assert looks and all(q["status"] == 200 and q["error"] is None
        for q in looks), [q for q in looks if q["status"] != 200]
    tl = timeline(sim, issued_by)
    expiry = {k: exp for _, exp, k in tl}
    # Every request went out with keys that still had time to live.
    for q in looks:
        assert q["sim_time"] < expiry[q["access_key_id"]], q
    assert len(tl) >= 3, tl
    span = looks[-1]["sim_time"] - looks[0]["sim_time"]
    lines = ["refresh timeline (sim seconds from the first request; "
        "poll spans %.0f s, credentials live 120 s):" % span]
    t0 = looks[0]["sim_time"]
    for fetched, exp, key in tl:
        used = [q["sim_time"] for q in looks if q["access_key_id"] == key]
        lines.append("  %s fetched %+7.1f  expires %+7.1f  used %d times, "
            "last %+7.1f" % (key[:4] + "****" + key[-4:], fetched - t0,
            exp - t0, len(used), (max(used) - t0) if used else 0))
    print("\n".join(lines))
    (tmp_path / "timeline.txt").write_text("\n".join(lines) + "\n")
    assert_no_secret(r.out, r.err)


@pytest.mark.slow
def test_refresh_instance_role_and_the_role_on_top(conn, sim, tmp_path):
    """Both layers expire during the poll: IMDS is asked again, and the
    role assumed again with the new instance credentials."""
    sim.config(credential_lifetime=120)
    sim.imds(enabled=True, role_name="web-01", account="555566667777")
    sim.add_role(READER, trusted=["555566667777"])
    want = generate(sim, "111122223333", count=2500, seed=6)
    cfg = role_config(conn)
    with Clocks(sim, tmp_path, 10) as clocks:
        env = env_for(sim, AWS_EC2_METADATA_DISABLED=None, **clocks.env())
        r = conn.bt(["-c", cfg, "-v", "poll"], env=env, timeout=180)
    check_refresh(sim, r, want, "sts", tmp_path)
    imds = [c for c in timeline(sim, "imds")]
    assert len(imds) >= 3, imds
    # Each AssumeRole was signed with instance keys still alive.
    expiry = {k: exp for _, exp, k in imds}
    for q in calls(sim, "sts", "AssumeRole"):
        assert q["sim_time"] < expiry[q["access_key_id"]], q


@pytest.mark.slow
def test_refresh_assumed_role_during_a_long_poll(conn, sim, tmp_path):
    sim.config(credential_lifetime=120)
    sim.add_role(READER, trusted=[simctl.ACCOUNT])
    want = generate(sim, "111122223333", count=2500, seed=5)
    cfg = role_config(conn)
    with Clocks(sim, tmp_path, 10) as clocks:
        env = env_for(sim, AWS_ACCESS_KEY_ID=KEY,
            AWS_SECRET_ACCESS_KEY=SECRET, **clocks.env())
        r = conn.bt(["-c", cfg, "-v", "poll"], env=env, timeout=180)
    check_refresh(sim, r, want, "sts", tmp_path)
    assert len(calls(sim, "sts", "AssumeRole")) >= 3


@pytest.mark.slow
def test_refresh_that_fails_stops_the_region_before_keys_expire(conn, sim,
        tmp_path):
    """STS refuses the refresh: the region stops with the refusal and the
    refresh failure, emits nothing and keeps its cursor; no request ever
    goes out with expired keys."""
    sim.config(credential_lifetime=120)
    sim.add_role(READER, trusted=[simctl.ACCOUNT])
    generate(sim, "111122223333", count=2500, seed=7)
    sim.faults([{"service": "sts", "action": "AssumeRole", "kind": "error",
        "status": 403, "code": "AccessDenied", "message": "refresh refused",
        "after": 1, "count": 1000}])
    cfg = role_config(conn)
    with Clocks(sim, tmp_path, 10) as clocks:
        env = env_for(sim, AWS_ACCESS_KEY_ID=KEY,
            AWS_SECRET_ACCESS_KEY=SECRET, **clocks.env())
        r = conn.bt(["-c", cfg, "poll"], env=env, timeout=180)
    assert r.rc == 77, r
    assert r.out == ""
    lines = r.err.splitlines()
    assert lines[:2] == [AUTH,
        "region us-east-1: AccessDenied: refresh refused"], r.err
    assert "region us-east-1: CredentialRefreshFailed: the credentials " \
        "expire and could not be fetched again (see above)" in lines
    tl = timeline(sim, "sts")
    assert len(tl) == 1
    (_, expires, key), = tl
    looks = calls(sim, "cloudtrail", "LookupEvents")
    assert looks and all(q["access_key_id"] == key and
        q["sim_time"] < expires and q["status"] == 200 for q in looks)
    state = json.loads(conn.bt.state_path.read_text()) \
        if conn.bt.state_path.exists() else {}
    assert "cursor" not in json.dumps(state)


def test_no_secret_in_output_state_or_cmdline(conn, sim, tmp_path):
    """-v output, the state file and /proc/PID/cmdline while a poll runs
    with a role on top of the instance role."""
    sim.imds(enabled=True, role_name="web-01", account="555566667777")
    sim.add_role(READER, external_id="ext-secret-ish",
        trusted=["555566667777"])
    generate(sim, "111122223333", count=60)
    sim.faults([{"kind": "slow", "seconds": 2, "count": 1}])
    cfg = role_config(conn, "ext-secret-ish")
    env = conn.bt.env(env_for(sim, AWS_EC2_METADATA_DISABLED=None))
    p = subprocess.Popen([str(conn.bt.binary), "-c", str(cfg), "-v", "poll"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=str(tmp_path))
    cmdlines = []
    deadline = time.time() + 20
    while p.poll() is None and time.time() < deadline:
        try:
            cmdlines.append(Path("/proc/%d/cmdline" % p.pid).read_bytes()
                .decode(errors="replace"))
        except OSError:
            break
        time.sleep(0.1)
    out, err = p.communicate(timeout=60)
    out, err = out.decode(), err.decode()
    assert p.returncode == 0, err
    # The first read may come while the exec is still under way.
    cmdlines = [c for c in cmdlines if c]
    assert cmdlines and all("poll" in c for c in cmdlines), cmdlines
    issued = sim.call("GET", "/_sim/credentials?full=1")["credentials"]
    assert any(c.get("source") == "imds" for c in issued)
    state = conn.bt.state_path.read_text()
    for text in [out, err, state] + cmdlines:
        assert_no_secret(text)
        assert "ext-secret-ish" not in text
    # -v names every credential fetched, masked, and when it expires.
    assert re.search(r"credentials: fetched instance role ASIA\*\*\*\*\w{4} "
        r"at \S+Z, expire \S+Z", err), err
    assert re.search(r"credentials: fetched assumed role ASIA\*\*\*\*\w{4} "
        r"at \S+Z, expire \S+Z", err), err


def sso_cache(bt, session, token, expires_in):
    import hashlib
    cache = bt.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / (hashlib.sha1(session.encode()).hexdigest() + ".json")) \
        .write_text(json.dumps({"startUrl": "https://corp.awsapps.com/start",
        "region": "us-east-1", "accessToken": token,
        "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ",
            time.gmtime(time.time() + expires_in))}))


SSO_CONFIG = ("[profile sso]\nsso_session = corp\nsso_account_id = "
    "111122223333\nsso_role_name = BedrockTrailReader\n\n[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")


def test_sso_profile_polls_with_the_cached_login(conn, sim, tmp_path):
    sim.sso("sso-access-token-0123", user="alice",
        roles=["111122223333/BedrockTrailReader"])
    want = generate(sim, "111122223333")
    sso_cache(conn.bt, "corp", "sso-access-token-0123", 3600)
    env = env_for(sim, aws_files(tmp_path, SSO_CONFIG), AWS_PROFILE="sso",
        AWS_ENDPOINT_URL_SSO=sim.url)
    r = conn(["poll"], env=env)
    assert r.rc == 0, r
    assert set(ids(r)) == want
    (g,) = calls(sim, "sso")
    assert g["params"] == {"role_name": "BedrockTrailReader",
        "account_id": "111122223333"}
    r = conn(["status"], env=env)
    assert re.search(r"^credentials:  IAM Identity Center \(SSO\) \(corp\), "
        r"access key ASIA\*\*\*\*\w{4} \(expires \d\d:\d\dZ\)$", r.out,
        re.M), r.out
    assert "sso-access-token-0123" not in r.out + r.err


def test_sso_expired_login_is_77_naming_the_login_command(conn, sim,
        tmp_path):
    sim.sso("sso-access-token-0123", roles=["111122223333/BedrockTrailReader"])
    sso_cache(conn.bt, "corp", "sso-access-token-0123", -60)
    env = env_for(sim, aws_files(tmp_path, SSO_CONFIG), AWS_PROFILE="sso",
        AWS_ENDPOINT_URL_SSO=sim.url)
    r = conn(["poll"], env=env)
    assert r.rc == 77, r
    assert r.err.splitlines()[:2] == [AUTH, "sso: the cached login has "
        "expired: run `aws sso login --profile sso`"]
    assert calls(sim, "sso") == [] and r.out == ""


def test_credential_process_profile_as_the_source_of_a_role(conn, sim,
        tmp_path):
    """credential_process gives the keys (run without a shell), and a
    second profile assumes a role with them."""
    script = tmp_path / "get-creds"
    script.write_text("#!/bin/sh\nprintf '%%s' '{\"Version\": 1, "
        "\"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}'\n" % (
        KEY, SECRET))
    script.chmod(0o700)
    sim.add_role(READER, trusted=[simctl.ACCOUNT])
    want = generate(sim, "111122223333")
    files = aws_files(tmp_path, "[profile proc]\ncredential_process = %s "
        "--profile \"two words\"\n[profile reader]\nrole_arn = %s\n"
        "source_profile = proc\n" % (script, READER))
    r = conn(["status"], env=env_for(sim, files, AWS_PROFILE="proc"))
    assert "credentials:  credential_process (profile proc), access key " \
        "%s\n" % MASKED in r.out, r.out
    r = conn(["poll"], env=env_for(sim, files, AWS_PROFILE="reader"))
    assert r.rc == 0, r
    assert set(ids(r)) == want
    (ar,) = calls(sim, "sts", "AssumeRole")
    assert ar["access_key_id"] == KEY


@pytest.mark.slow
def test_failed_refresh_keeps_live_keys_then_stops(conn, sim, tmp_path):
    """Keys living 900 s are stale at 600 s; STS refuses every refresh:
    the old keys go on signing, with one warning, until a minute before
    they expire, refreshes are tried every 15 s and not at each request,
    then the region stops. No request is ever signed with expired keys."""
    sim.config(credential_lifetime=900)
    sim.add_role(READER, trusted=[simctl.ACCOUNT])
    generate(sim, "111122223333", count=2500, seed=8)
    sim.faults([{"service": "sts", "action": "AssumeRole", "kind": "error",
        "status": 403, "code": "AccessDenied", "message": "refresh refused",
        "after": 1, "count": 1000}])
    cfg = role_config(conn)
    with Clocks(sim, tmp_path, 60) as clocks:
        env = env_for(sim, AWS_ACCESS_KEY_ID=KEY,
            AWS_SECRET_ACCESS_KEY=SECRET, **clocks.env())
        r = conn.bt(["-c", cfg, "poll"], env=env, timeout=180)
    assert r.rc == 77, r
    assert r.out == ""
    assert r.err.count("warning: cannot refresh the credentials: using the "
        "current ones until they are about to expire") == 1, r.err
    (issued, expires, key), = timeline(sim, "sts")
    looks = calls(sim, "cloudtrail", "LookupEvents")
    assert all(q["access_key_id"] == key and q["sim_time"] < expires
        for q in looks)
    # Signed after the refresh first failed, while the keys still lived.
    assert any(issued + 600 < q["sim_time"] < expires - 60 for q in looks)
    tries = calls(sim, "sts", "AssumeRole")[1:]
    assert 2 <= len(tries) <= 300 / 15 + 4, len(tries)


def test_credential_source_instance_metadata_profile(conn, sim, tmp_path):
    sim.imds(enabled=True, role_name="web-01", account="555566667777")
    sim.add_role(READER, trusted=["555566667777"])
    want = generate(sim, "111122223333")
    files = aws_files(tmp_path, "[profile ec2]\nrole_arn = %s\n"
        "credential_source = Ec2InstanceMetadata\n" % READER)
    env = env_for(sim, files, AWS_PROFILE="ec2",
        AWS_EC2_METADATA_DISABLED=None)
    r = conn(["poll"], env=env)
    assert r.rc == 0, r
    assert set(ids(r)) == want
    assert len(calls(sim, "imds", "credentials")) == 1
    # Without the instance metadata service the profile has nothing.
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    r = conn(["poll"], env=env)
    assert r.rc == 77, r
    assert r.err.splitlines()[:2] == [AUTH, "profile 'ec2': its "
        "credential_source found no credentials"]
