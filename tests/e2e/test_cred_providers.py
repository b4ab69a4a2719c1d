"""Each credential provider end to end: the binary finds its credentials
through the chain with nothing else configured, test-connection names the
source, a poll returns the events of the account those credentials belong
to (so the simulator saw that identity), and the provider's faults are
clear errors with a documented exit code. No secret reaches any output,
even at -v."""

import hashlib
import json
import os
import re
import time

import pytest

import simctl

ROLE = "arn:aws:iam::444455556666:role/CiReader"
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.oidc-web-identity-token.c2lnbmF0dXJl"
CONTAINER_TOKEN = "Bearer container-authorization-token-0123"
PROC_KEY = "ASIAPROCESS000000001"
PROC_SECRET = "processSecret/0123456789abcdefghijEXAMPLE"
PROC_TOKEN = "processSessionToken+/=EXAMPLE"
SSO_KEY = "ASIASSOROLECREDS0001"
SSO_SECRET = "ssoSecret/0123456789abcdefghijklmnEXAMPLE"
SSO_TOKEN = "ssoSessionToken+/=EXAMPLE"
SSO_BEARER = "sso-bearer-access-token-EXAMPLE"
ISSUED_TOKEN = "IQoJb3JpZ2luX2VjE"      # the sim's session tokens start so
FAKE_SECRET = "fake/Secret/Key/0123456789abcdefEXAMPLE"
SECRETS = (simctl.ALLOWED_SECRET, WEB_TOKEN, CONTAINER_TOKEN, PROC_SECRET,
    PROC_TOKEN, SSO_SECRET, SSO_TOKEN, SSO_BEARER, ISSUED_TOKEN, FAKE_SECRET)


def no_secret(*texts):
    for t in texts:
        for s in SECRETS:
            assert s not in t, "secret %r in output" % s[:12]


def base_env(sim, tmp_path, **kw):
    """No keys anywhere; empty AWS files; STS at the simulator; IMDS off."""
    (tmp_path / "aws-config").write_text(kw.pop("config", ""))
    (tmp_path / "aws-credentials").write_text("")
    e = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None, "AWS_PROFILE": None,
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "AWS_ENDPOINT_URL_STS": sim.url, "AWS_EC2_METADATA_DISABLED": "true"}
    e.update(kw)
    return e


def generate(sim, account, count=6, seed=3):
    now = sim.clock()
    sim.generate(account=account, region="us-east-1", start=now - 3600,
        end=now - 600, count=count, seed=seed, delay_max=0)
    return {e["eventID"] for e in sim.events("us-east-1", account=account)
        if e["eventSource"] == "bedrock.amazonaws.com"}


def check_works(bt, sim, env, account, source):
    """test-connection names the source (source: a pattern of the line up
    to the expiry time, which is checked against the simulator's clock); a poll at -v
    returns exactly the account's events; every LookupEvents went out as
    that account. Returns test-connection's first line."""
    want = generate(sim, account)
    r = bt(["test-connection"], env=env)
    assert r.rc == 0, r
    first = r.out.splitlines()[0]
    m = re.fullmatch(source + r" \(expires (\d\d):(\d\d)Z\)", first)
    assert m, r.out
    exp = sim.clock() + 3600
    got = int(m.group(1)) * 60 + int(m.group(2))
    assert abs(got - (exp // 60) % 1440) <= 1 or \
        abs(got - (exp // 60) % 1440) >= 1439, first
    assert "us-east-1: connection to AWS CloudTrail works\n" in r.out
    p = bt(["-v", "poll"], env=env)
    assert p.rc == 0, p
    assert {rec["eventID"] for rec in p.records} == want
    looks = [q for q in sim.stats() if q["service"] == "cloudtrail"]
    assert looks and all(q["account"] == account and q["status"] == 200
        for q in looks), looks
    no_secret(r.out, r.err, p.out, p.err)
    return first


def calls(sim, service):
    return [q for q in sim.stats() if q["service"] == service]


def first_line(r):
    return r.err.splitlines()[0] if r.err else ""


def refusal(r):
    """A 77's own words: the line after SPEC's first line for every 77."""
    lines = r.err.splitlines()
    assert lines[:1] == ["Invalid credentials or insufficient permissions"], \
        r.err
    return lines[1] if len(lines) > 1 else ""


# --- IMDSv2 -----------------------------------------------------------------

def imds_env(sim, tmp_path):
    return base_env(sim, tmp_path, AWS_EC2_METADATA_DISABLED=None,
        AWS_EC2_METADATA_SERVICE_ENDPOINT=sim.url)


def test_imds_instance_role(bt, sim, tmp_path):
    sim.imds(role_name="web-01", account="210987654321", enabled=True)
    line = check_works(bt, sim, imds_env(sim, tmp_path), "210987654321",
        "credentials: instance role web-01")
    print(line)
    got = [(q["action"], q["status"]) for q in calls(sim, "imds")]
    # IMDSv2 only: a token first, then the role, then its credentials.
    assert got[:3] == [("token", 200), ("role_name", 200),
        ("credentials", 200)], got


def test_imds_disabled_is_not_asked(bt, sim, tmp_path):
    sim.imds(role_name="web-01", enabled=True)
    env = imds_env(sim, tmp_path)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    r = bt(["test-connection"], env=env)
    assert r.rc == 77, r
    assert calls(sim, "imds") == []


IMDS_FAULTS = [
    # (fault, exit code, first stderr line as a pattern)
    ({"kind": "slow", "seconds": 5, "count": 2}, 69,
        r"instance metadata: PUT http://127\.0\.0\.1:\d+/latest/api/token "
        r"failed: .*[Tt]imed out.*"),
    ({"kind": "status", "status": 500, "count": 2}, 69,
        r"instance metadata: PUT http://127\.0\.0\.1:\d+/latest/api/token "
        r"answered HTTP 500"),
    ({"kind": "html", "action": "token"}, 65,
        r"instance metadata: the session token answered is not a token"),
    ({"kind": "html", "action": "role_name"}, 65,
        r"instance metadata: the role name answered is not an IAM role "
        r"name"),
    ({"kind": "html", "action": "credentials"}, 65,
        r"instance metadata: the credentials of role web-01 are not "
        r"credentials JSON"),
    ({"kind": "huge", "action": "credentials"}, 65,
        r"instance metadata: GET http://127\.0\.0\.1:\d+/latest/meta-data/"
        r"iam/security-credentials/web-01 failed: response body larger "
        r"than 64 KiB"),
]


@pytest.mark.parametrize("fault,code,line", IMDS_FAULTS,
    ids=["hangs", "500", "html-token", "html-role", "html-credentials",
        "1MiB"])
def test_imds_faults(bt, sim, tmp_path, fault, code, line):
    sim.imds(role_name="web-01", enabled=True)
    sim.faults([dict(fault, service="imds")])
    r = bt(["test-connection"], env=imds_env(sim, tmp_path))
    assert r.rc == code, r
    assert re.fullmatch(line, first_line(r)), r.err
    assert calls(sim, "cloudtrail") == []
    no_secret(r.out, r.err)


# --- the container endpoint -------------------------------------------------

def container_env(sim, tmp_path, **kw):
    return base_env(sim, tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=
        sim.url + "/_container/credentials", **kw)


def test_container_task_role(bt, sim, tmp_path):
    task = "arn:aws:iam::123456789012:role/sim-task-role"
    sim.container(authorization=CONTAINER_TOKEN, role_arn=task)
    token_file = tmp_path / "pod-token"
    token_file.write_text(CONTAINER_TOKEN)
    line = check_works(bt, sim, container_env(sim, tmp_path,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file),
        "123456789012", re.escape("credentials: container credentials " +
        task))
    print(line)
    assert [q["status"] for q in calls(sim, "container")][:1] == [200]


def test_container_wrong_token_is_77(bt, sim, tmp_path):
    sim.container(authorization=CONTAINER_TOKEN)
    r = bt(["test-connection"], env=container_env(sim, tmp_path,
        AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer wrong"))
    assert r.rc == 77, r
    assert refusal(r) == "container credentials: %s/_container/" \
        "credentials answered HTTP 401" % sim.url
    assert calls(sim, "cloudtrail") == []


@pytest.mark.parametrize("uri,host", [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://evil.example/creds", "evil.example"),
    ("http://127.0.0.1.nip.io/creds", "127.0.0.1.nip.io"),
])
def test_container_forbidden_host_is_78(bt, sim, tmp_path, uri, host):
    env = base_env(sim, tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=uri)
    r = bt(["test-connection"], env=env)
    assert r.rc == 78, r
    assert first_line(r) == "container credentials: host '%s' of " \
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is not allowed: use https, or " \
        "http to a loopback address, 169.254.170.2, 169.254.170.23 or " \
        "fd00:ec2::23" % host


def test_container_token_with_line_break_is_78(bt, sim, tmp_path):
    sim.container(authorization=None)
    r = bt(["test-connection"], env=container_env(sim, tmp_path,
        AWS_CONTAINER_AUTHORIZATION_TOKEN="token\r\nX-Injected: 1"))
    assert r.rc == 78, r
    assert first_line(r) == "container credentials: the authorization " \
        "token (AWS_CONTAINER_AUTHORIZATION_TOKEN) contains a line break"
    assert calls(sim, "container") == []


# --- web identity (STS) -----------------------------------------------------

def webid_env(sim, tmp_path):
    token = tmp_path / "web-identity-token"
    token.write_text(WEB_TOKEN + "\n")
    return base_env(sim, tmp_path, AWS_WEB_IDENTITY_TOKEN_FILE=token,
        AWS_ROLE_ARN=ROLE, AWS_ROLE_SESSION_NAME="ci-run")


def test_web_identity(bt, sim, tmp_path):
    sim.add_role(ROLE, web_identity=True)
    sim.web_identity(WEB_TOKEN, subject="repo:org/app:ref:refs/heads/main")
    line = check_works(bt, sim, webid_env(sim, tmp_path), "444455556666",
        re.escape("credentials: web identity "
        "arn:aws:sts::444455556666:assumed-role/CiReader/ci-run"))
    print(line)
    sts = calls(sim, "sts")
    assert sts and sts[0]["action"] == "AssumeRoleWithWebIdentity"
    assert sts[0]["status"] == 200
    assert sts[0]["caller"] == "web-identity:repo:org/app:ref:refs/heads/main"


def test_web_identity_unknown_token_is_77(bt, sim, tmp_path):
    sim.add_role(ROLE, web_identity=True)
    r = bt(["test-connection"], env=webid_env(sim, tmp_path))
    assert r.rc == 77, r
    assert refusal(r).startswith("web identity: cannot assume %s: "
        "InvalidIdentityToken: " % ROLE), r.err
    no_secret(r.out, r.err)


STS_FAULTS = [
    ({"kind": "truncated"}, 65, "MalformedResponse: the answer is not an "
        "STS AssumeRoleWithWebIdentityResult: not well-formed XML"),
    ({"kind": "lookalike"}, 77, "AccessDenied: User: arn:aws:iam::"
        "123456789012:user/x is not authorized to perform: sts:AssumeRole"),
    ({"kind": "entities"}, 65, "MalformedResponse: the answer is not an STS "
        "AssumeRoleWithWebIdentityResult: a document type declaration"),
    ({"kind": "entities", "variant": "external"}, 65, "MalformedResponse: "
        "the answer is not an STS AssumeRoleWithWebIdentityResult: a "
        "document type declaration"),
    ({"kind": "huge"}, 65, "ResponseTooLarge: response body larger than "
        "64 KiB"),
    ({"kind": "html"}, 65, "MalformedResponse: the answer is not an STS "
        "AssumeRoleWithWebIdentityResult: a document type declaration"),
]


@pytest.mark.parametrize("fault,code,tail", STS_FAULTS,
    ids=["truncated", "lookalike", "entities", "external-entity", "1MiB",
        "html"])
def test_sts_hostile_answers(bt, sim, tmp_path, fault, code, tail):
    sim.add_role(ROLE, web_identity=True)
    sim.web_identity(WEB_TOKEN)
    sim.faults([dict(fault, service="sts", count=2)])
    env = webid_env(sim, tmp_path)
    r = bt(["test-connection"], env=env)
    assert r.rc == code, r
    words = refusal(r) if code == 77 else first_line(r)
    assert words.startswith("web identity: cannot assume %s: %s" % (
        ROLE, tail)), r.err
    v = bt(["-v", "test-connection"], env=env)
    assert v.rc == code, v
    # Nothing the hostile answer carried was ever used.
    assert calls(sim, "cloudtrail") == []
    no_secret(r.out, r.err, v.out, v.err)


def test_sts_5xx_is_retried(bt, sim, tmp_path):
    sim.add_role(ROLE, web_identity=True)
    sim.web_identity(WEB_TOKEN)
    sim.faults([{"service": "sts", "kind": "status", "status": 503}])
    r = bt(["-v", "test-connection"], env=webid_env(sim, tmp_path))
    assert r.rc == 0, r
    assert "sts: AssumeRoleWithWebIdentity attempt 1 of " in r.err
    # Then the GetCallerIdentity that names the account polled.
    assert [(q["action"], q["status"]) for q in calls(sim, "sts")] == [
        ("AssumeRoleWithWebIdentity", 503), ("AssumeRoleWithWebIdentity",
        200), ("GetCallerIdentity", 200)]


# --- credential_process -----------------------------------------------------

def process_script(tmp_path, body):
    script = tmp_path / "creds.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def test_credential_process(bt, sim, tmp_path):
    sim.add_credentials(PROC_KEY, PROC_SECRET, PROC_TOKEN,
        account="333344445555")
    script = process_script(tmp_path, "cat <<EOF\n" + json.dumps({
        "Version": 1, "AccessKeyId": PROC_KEY, "SecretAccessKey":
        PROC_SECRET, "SessionToken": PROC_TOKEN,
        "Expiration": "2099-01-01T00:00:00Z"}) + "\nEOF\n")
    env = base_env(sim, tmp_path, config="[default]\ncredential_process = "
        "%s --profile 'with space'\n" % script)
    r = bt(["test-connection"], env=env)
    assert r.rc == 0, r
    print(r.out.splitlines()[0])
    assert r.out.splitlines()[0].startswith("credentials: credential_process")
    want = generate(sim, "333344445555")
    p = bt(["-v", "poll"], env=env)
    assert p.rc == 0, p
    assert {rec["eventID"] for rec in p.records} == want
    assert {q["access_key_id"] for q in calls(sim, "cloudtrail")} == \
        {PROC_KEY}
    no_secret(r.out, r.err, p.out, p.err)


def test_credential_process_sees_no_secret_in_any_command_line(bt, sim,
        tmp_path):
    """The process runs without a shell, stdin empty; neither its command
    line nor bedrock-trail's carries a secret."""
    sim.add_credentials(PROC_KEY, PROC_SECRET, PROC_TOKEN)
    seen = tmp_path / "seen"
    script = process_script(tmp_path, "tr '\\0' ' ' < /proc/$PPID/cmdline "
        "> %s/parent\ntr '\\0' ' ' < /proc/$$/cmdline > %s/self\n"
        "cat > %s/stdin\nprintf '%%s' '%s'\n" % (seen, seen, seen,
        json.dumps({"Version": 1, "AccessKeyId": PROC_KEY,
        "SecretAccessKey": PROC_SECRET, "SessionToken": PROC_TOKEN})))
    seen.mkdir()
    env = base_env(sim, tmp_path, config="[default]\ncredential_process = "
        "%s a\\ b\n" % script)
    r = bt(["test-connection"], env=env)
    assert r.rc == 0, r
    assert (seen / "self").read_text() == "/bin/sh %s a b " % script
    assert (seen / "parent").read_text().endswith(" test-connection ")
    assert (seen / "stdin").read_text() == ""
    no_secret((seen / "self").read_text(), (seen / "parent").read_text())


def test_credential_process_that_hangs_is_killed_at_the_timeout(bt, sim,
        tmp_path):
    """The configured timeout bounds it; what it started dies with it."""
    pids = tmp_path / "pids"
    script = process_script(tmp_path, "sleep 300 &\necho $! > %s\n"
        "sleep 300\n" % pids)
    env = base_env(sim, tmp_path, config="[default]\ncredential_process = "
        "%s\n" % script)
    config = bt.config("timeout: 2s\n")
    start = time.monotonic()
    r = bt(["-c", config, "test-connection"], env=env)
    assert time.monotonic() - start < 10
    assert r.rc == 77, r
    assert refusal(r) == "credential_process: %s was killed after 2 s" % \
        script
    child = int(pids.read_text())
    for _ in range(50):
        if not os.path.exists("/proc/%d" % child) or \
                open("/proc/%d/stat" % child).read().split()[2] == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the process's own child outlived it")


@pytest.mark.parametrize("body,line", [
    ("echo 'vault: session expired' >&2\necho more >&2\nexit 1\n",
        "credential_process: {script} exited with status 1: vault: session "
        "expired"),
    ("echo garbage\necho 'warning: odd' >&2\n",
        "credential_process: {script} did not print credentials JSON: "
        "warning: odd"),
    ("echo '{\"Version\": 2, \"AccessKeyId\": \"A\", "
        "\"SecretAccessKey\": \"s\"}'\n",
        "credential_process: {script} printed a Version other than 1"),
    ("head -c 10485760 /dev/zero | tr '\\0' x\n",
        "credential_process: {script} wrote more than 64 KiB"),
], ids=["exit-1", "garbage", "version-2", "10MiB"])
def test_credential_process_failures_are_77(bt, sim, tmp_path, body, line):
    script = process_script(tmp_path, body)
    env = base_env(sim, tmp_path, config="[default]\ncredential_process = "
        "%s\n" % script)
    r = bt(["test-connection"], env=env)
    assert r.rc == 77, r
    assert refusal(r) == line.format(script=script)
    assert calls(sim, "cloudtrail") == []


# --- IAM Identity Center (SSO) ----------------------------------------------

SSO_CONFIG = """[profile dev]
sso_session = corp
sso_account_id = 555566667777
sso_role_name = ReadOnly
region = us-east-1

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
"""


def sso_env(bt, sim, tmp_path, expires="2099-01-01T00:00:00Z"):
    """The token `aws sso login` would have cached for session corp."""
    cache = bt.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / (hashlib.sha1(b"corp").hexdigest() + ".json")).write_text(
        json.dumps({"startUrl": "https://d-1234567890.awsapps.com/start",
        "region": "eu-west-1", "accessToken": SSO_BEARER,
        "expiresAt": expires}))
    return base_env(sim, tmp_path, config=SSO_CONFIG, AWS_PROFILE="dev",
        AWS_ENDPOINT_URL_SSO=sim.url)


def test_sso_cached_login(bt, sim, tmp_path):
    sim.sso(SSO_BEARER, user="alice", roles=["555566667777/ReadOnly"])
    line = check_works(bt, sim, sso_env(bt, sim, tmp_path), "555566667777",
        r"credentials: IAM Identity Center \(SSO\) \(corp\), access key "
        r"ASIA\*\*\*\*\w{4}")
    print(line)
    q = calls(sim, "sso")[0]
    assert (q["status"], q["caller"], q["account"]) == (200, "sso:alice",
        "555566667777"), q


@pytest.mark.parametrize("expires,roles,line", [
    ("2020-01-01T00:00:00Z", None, "sso: the cached login has expired: "
        "run `aws sso login --profile dev`"),
    ("2099-01-01T00:00:00Z", None, "sso: the login was refused: "
        "run `aws sso login --profile dev`"),
    ("2099-01-01T00:00:00Z", ["555566667777/Admin"], "sso: no access to "
        "role ReadOnly in account 555566667777: ForbiddenException"),
], ids=["expired", "unknown-token", "role-not-assigned"])
def test_sso_refusals_are_77(bt, sim, tmp_path, expires, roles, line):
    if roles is not None:
        sim.sso(SSO_BEARER, roles=roles)
    r = bt(["test-connection"], env=sso_env(bt, sim, tmp_path, expires))
    assert r.rc == 77, r
    assert refusal(r) == line
    assert calls(sim, "cloudtrail") == []
    no_secret(r.out, r.err)


def test_sso_portal_faults(bt, sim, tmp_path):
    sim.sso(SSO_BEARER)
    env = sso_env(bt, sim, tmp_path)
    sim.faults([{"service": "sso", "kind": "html"}])
    r = bt(["test-connection"], env=env)
    assert r.rc == 65, r
    assert first_line(r) == "sso: the GetRoleCredentials answer is not " \
        "role credentials"
    sim.faults([{"service": "sso", "kind": "status", "status": 500,
        "count": 3}])
    r = bt(["test-connection"], env=env)
    assert r.rc == 69, r
    assert first_line(r) == "sso: GetRoleCredentials answered HTTP 500"
