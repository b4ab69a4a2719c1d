"""The simulator's STS, Organizations, IMDS and container endpoint checked
with real AWS clients: the AWS CLI v2 and botocore's own credential
fetchers (/usr/bin/python3's botocore).

If they get the right answers, bedrock-trail's tests of its credential
chain against the simulator say something about AWS. The simulator's clock
stays at real time here (the clients sign with it); expiry is reached by
advancing it a little, well inside the signature skew.
"""

import json
import subprocess

import pytest

import simctl

AWS = "/usr/bin/aws"
PY = "/usr/bin/python3"
CLI_DATA = "/usr/lib/python3/dist-packages/awscli/botocore/data"
OTHER = "210987654321"
ROLE = "arn:aws:iam::%s:role/BedrockTrailReader" % OTHER
DENIED_TEXT = ("User: arn:aws:iam::123456789012:user/sim-reader is not "
    "authorized to perform: sts:AssumeRole on resource: " + ROLE)


def cli_error(code, operation, message):
    """The CLI's last stderr line for a service error (standard retry
    mode, one attempt)."""
    return "An error occurred (%s) when calling the %s operation (reached " \
        "max retries: 0): %s" % (code, operation, message)


DENIED = cli_error("AccessDenied", "AssumeRole", DENIED_TEXT)


def redirect_sts(sim, data_dir, service="sts", version="2011-06-15"):
    """An endpoint rule set that sends every call of `service` to the
    simulator, in a botocore data directory (AWS_DATA_PATH): the CLI 2.9
    has no AWS_ENDPOINT_URL_STS, and its credential providers take no
    --endpoint-url."""
    with open("%s/%s/%s/endpoint-rule-set-1.json" % (CLI_DATA, service,
            version)) as f:
        params = json.load(f)["parameters"]
    rules = {"version": "1.0", "parameters": params, "rules": [
        {"conditions": [{"fn": "isSet", "argv": [{"ref": "Endpoint"}]}],
         "endpoint": {"url": {"ref": "Endpoint"}, "properties": {},
             "headers": {}}, "type": "endpoint"},
        {"conditions": [], "endpoint": {"url": sim.url, "properties": {},
            "headers": {}}, "type": "endpoint"}]}
    d = data_dir / service / version
    d.mkdir(parents=True, exist_ok=True)
    (d / "endpoint-rule-set-1.json").write_text(json.dumps(rules))


@pytest.fixture
def cli(sim, tmp_path):
    """cli(args..., creds="allowed"|tuple|None, profile=None, env=None)."""
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")

    def run(*args, creds="allowed", profile=None, env=None, attempts=1):
        e = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
            "LANG": "C.UTF-8", "AWS_PAGER": "",
            "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": str(attempts),
            "AWS_DEFAULT_REGION": "us-east-1"}
        if creds:
            key, secret, token = simctl.CREDENTIALS[creds] \
                if isinstance(creds, str) else creds
            e.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
            if token:
                e["AWS_SESSION_TOKEN"] = token
        if profile:
            e["AWS_PROFILE"] = profile
        e.update(env or {})
        p = subprocess.run([AWS, "--output", "json"] + [str(a) for a in
            args], env=e, capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL)
        p.json = json.loads(p.stdout) if p.returncode == 0 and \
            p.stdout.strip() else None
        p.line = p.stderr.strip().splitlines()[-1] if p.stderr.strip() \
            else ""
        return p
    run.tmp = tmp_path
    return run


def sts(sim, *args):
    return ["sts", "--endpoint-url", sim.url] + list(args)


def lookup(sim):
    return ["cloudtrail", "lookup-events", "--endpoint-url", sim.url]


def keys(c):
    return (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def test_cli_get_caller_identity(sim, cli):
    p = cli(*sts(sim, "get-caller-identity"))
    assert p.returncode == 0, p.stderr
    assert p.json == {"UserId": p.json["UserId"], "Account": "123456789012",
        "Arn": "arn:aws:iam::123456789012:user/sim-reader"}
    assert p.json["UserId"].startswith("AIDA")
    p = cli(*sts(sim, "get-caller-identity"), creds="session")
    assert p.json["Arn"] == \
        "arn:aws:sts::123456789012:assumed-role/sim-role/sim-session"
    p = cli(*sts(sim, "get-caller-identity"), creds="expired")
    assert p.returncode == 254
    assert p.line == cli_error("ExpiredToken", "GetCallerIdentity",
        "The security token included in the request is expired")
    p = cli(*sts(sim, "get-caller-identity"), creds=("AKIDUNKNOWNEXAMPLE00",
        "x", None))
    assert p.line == cli_error("InvalidClientTokenId", "GetCallerIdentity",
        "The security token included in the request is invalid.")
    st = [s for s in sim.stats() if s["service"] == "sts"]
    assert [s["error"] for s in st] == [None, None, "ExpiredToken",
        "InvalidClientTokenId"]


def test_cli_assume_role_external_id_and_duration(sim, cli):
    sim.config(rate_limit=0)
    sim.add_role(ROLE, external_id="bt-ext-42", trusted=["123456789012"])
    sim.generate(account=OTHER, region="us-east-1", count=7, delay_max=0)
    base = sts(sim, "assume-role", "--role-arn", ROLE, "--role-session-name",
        "bedrock-trail")
    p = cli(*base, "--external-id", "bt-ext-42")
    assert p.returncode == 0, p.stderr
    r = p.json
    assert r["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/" \
        "BedrockTrailReader/bedrock-trail" % OTHER
    assert r["AssumedRoleUser"]["AssumedRoleId"].endswith(":bedrock-trail")
    assert set(r["Credentials"]) == {"AccessKeyId", "SecretAccessKey",
        "SessionToken", "Expiration"}
    assert r["PackedPolicySize"] == 0
    # The role's keys read the role's account.
    q = cli(*lookup(sim), creds=keys(r["Credentials"]))
    assert q.returncode == 0, q.stderr
    assert [e["EventId"] for e in q.json["Events"]] == sim.expected_ids(
        "us-east-1", account=OTHER)
    assert len(q.json["Events"]) == 7
    q = cli(*sts(sim, "get-caller-identity"), creds=keys(r["Credentials"]))
    assert q.json["Account"] == OTHER
    for extra in ([], ["--external-id", "wrong-id"]):
        p = cli(*base, *extra)
        assert p.returncode == 254
        assert p.line == DENIED
    p = cli(*base, "--external-id", "bt-ext-42", "--duration-seconds", "7200")
    assert p.returncode == 254
    assert p.line == cli_error("ValidationError", "AssumeRole", "The "
        "requested DurationSeconds exceeds the MaxSessionDuration set for "
        "this role.")
    st = [s for s in sim.stats() if s["action"] == "AssumeRole"]
    assert [(s["external_id"], s["error"]) for s in st] == [
        ("bt-ext-42", None), (None, "AccessDenied"),
        ("wrong-id", "AccessDenied"), ("bt-ext-42", "ValidationError")]


def test_cli_credentials_expire(sim, cli):
    sim.config(credential_lifetime=60)
    sim.add_role(ROLE)
    p = cli(*sts(sim, "assume-role", "--role-arn", ROLE,
        "--role-session-name", "short"))
    c = keys(p.json["Credentials"])
    assert cli(*lookup(sim), creds=c).returncode == 0
    sim.advance(61)
    q = cli(*lookup(sim), creds=c)
    assert q.returncode == 254
    assert q.line == cli_error("ExpiredTokenException", "LookupEvents",
        "The security token included in the request is expired")


def test_cli_assume_role_with_web_identity(sim, cli):
    role = "arn:aws:iam::%s:role/ci-oidc" % OTHER
    sim.add_role(role, web_identity=True)
    sim.web_identity("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", subject="repo:a/b")
    args = sts(sim, "assume-role-with-web-identity", "--role-arn", role,
        "--role-session-name", "ci", "--web-identity-token")
    p = cli(*args, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", creds=None)
    assert p.returncode == 0, p.stderr
    assert p.json["SubjectFromWebIdentityToken"] == "repo:a/b"
    assert p.json["AssumedRoleUser"]["Arn"] == \
        "arn:aws:sts::%s:assumed-role/ci-oidc/ci" % OTHER
    q = cli(*sts(sim, "get-caller-identity"), creds=keys(
        p.json["Credentials"]))
    assert q.json["Arn"] == p.json["AssumedRoleUser"]["Arn"]
    # Sent unsigned, as AWS expects.
    st = [s for s in sim.stats() if s["action"] ==
        "AssumeRoleWithWebIdentity"]
    assert st[0]["access_key_id"] is None
    p = cli(*args, "not-a-registered-token", creds=None)
    assert p.line.startswith(cli_error("InvalidIdentityToken",
        "AssumeRoleWithWebIdentity", "Couldn't retrieve verification key"))
    p = cli(*sts(sim, "assume-role-with-web-identity", "--role-arn", ROLE,
        "--role-session-name", "ci", "--web-identity-token",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), creds=None)
    assert p.line == cli_error("AccessDenied", "AssumeRoleWithWebIdentity",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_cli_profiles_with_role_arn_and_source_profile(sim, cli):
    """The CLI's own assume-role provider: a chain of two roles."""
    sim.config(rate_limit=0)
    second = "arn:aws:iam::333344445555:role/Chained"
    sim.add_role(ROLE, external_id="bt-ext-42")
    sim.add_role(second, trusted=[ROLE])
    sim.generate(account="333344445555", region="eu-west-1", count=4,
        delay_max=0)
    redirect_sts(sim, cli.tmp / "data")
    (cli.tmp / "aws-credentials").write_text("[base]\naws_access_key_id = "
        "%s\naws_secret_access_key = %s\n" % (simctl.ALLOWED_KEY,
            simctl.ALLOWED_SECRET))
    (cli.tmp / "aws-config").write_text(
        "[profile reader]\nrole_arn = %s\nsource_profile = base\n"
        "external_id = bt-ext-42\nrole_session_name = bt-cli\n\n"
        "[profile chained]\nrole_arn = %s\nsource_profile = reader\n"
        "role_session_name = bt-chain\n\n"
        "[profile wrong]\nrole_arn = %s\nsource_profile = base\n"
        "external_id = nope\n" % (ROLE, second, ROLE))
    env = {"AWS_DATA_PATH": str(cli.tmp / "data")}
    p = cli(*sts(sim, "get-caller-identity"), creds=None, profile="reader",
        env=env)
    assert p.returncode == 0, p.stderr
    assert p.json["Arn"] == "arn:aws:sts::%s:assumed-role/" \
        "BedrockTrailReader/bt-cli" % OTHER
    p = cli(*lookup(sim), "--region", "eu-west-1", creds=None,
        profile="chained", env=env)
    assert p.returncode == 0, p.stderr
    assert [e["EventId"] for e in p.json["Events"]] == sim.expected_ids(
        "eu-west-1", account="333344445555")
    assert len(p.json["Events"]) == 4
    # The second run took the first role's credentials from the CLI's
    # cache (~/.aws/cli/cache) and assumed only the second.
    ar = [s for s in sim.stats() if s["action"] == "AssumeRole"]
    assert [(s["role_arn"], s["caller"]) for s in ar] == [
        (ROLE, "arn:aws:iam::123456789012:user/sim-reader"),
        (second, "arn:aws:sts::%s:assumed-role/BedrockTrailReader/"
            "bt-cli" % OTHER)]
    assert len(list((cli.tmp / ".aws" / "cli" / "cache").iterdir())) == 2
    p = cli(*sts(sim, "get-caller-identity"), creds=None, profile="wrong",
        env=env)
    assert p.returncode == 254
    assert p.line == DENIED


def test_cli_sso_profile(sim, cli):
    """The CLI's SSO provider: the cached token from `aws sso login`, then
    GetRoleCredentials at the simulator's portal."""
    import hashlib
    import time
    start = "https://sim-example.awsapps.com/start"
    sim.sso("sso-access-token-cli", user="alice",
        roles=["444455556666/BedrockReader"])
    redirect_sts(sim, cli.tmp / "data", "sso", "2019-06-10")
    cache = cli.tmp / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (cache / (hashlib.sha1(start.encode()).hexdigest() + ".json")).write_text(
        json.dumps({"startUrl": start, "region": "us-east-1",
            "accessToken": "sso-access-token-cli", "expiresAt":
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() +
                3600))}))
    (cli.tmp / "aws-config").write_text("[profile sso]\nsso_start_url = %s\n"
        "sso_region = us-east-1\nsso_account_id = 444455556666\n"
        "sso_role_name = BedrockReader\n\n[profile nope]\nsso_start_url = "
        "%s\nsso_region = us-east-1\nsso_account_id = 444455556666\n"
        "sso_role_name = Admin\n" % (start, start))
    env = {"AWS_DATA_PATH": str(cli.tmp / "data")}
    p = cli(*sts(sim, "get-caller-identity"), creds=None, profile="sso",
        env=env)
    assert p.returncode == 0, p.stderr
    assert p.json["Arn"] == "arn:aws:sts::444455556666:assumed-role/" \
        "AWSReservedSSO_BedrockReader_0123456789abcdef/alice"
    st = [s for s in sim.stats() if s["service"] == "sso"]
    assert [(s["params"], s["status"]) for s in st] == [({"role_name":
        "BedrockReader", "account_id": "444455556666"}, 200)]
    p = cli(*sts(sim, "get-caller-identity"), creds=None, profile="nope",
        env=env)
    assert p.returncode == 254
    assert p.line == cli_error("ForbiddenException", "GetRoleCredentials",
        "No access")


def org_accounts():
    return [{"id": "123456789012", "name": "management"},
        {"id": OTHER, "name": "prod"},
        {"id": "333344445555", "name": "gone", "status": "SUSPENDED"},
        {"id": "444455556666", "name": "dev"},
        {"id": "555566667777", "name": "sandbox"}]


def test_cli_organizations_list_accounts_pages(sim, cli):
    sim.config(org_rate_limit=0)
    sim.organization("123456789012", org_accounts(), page_size=2,
        empty_pages=[1, 4])
    org = ["organizations", "list-accounts", "--endpoint-url", sim.url]
    p = cli(*org)
    assert p.returncode == 0, p.stderr
    got = p.json["Accounts"]
    assert [(a["Id"], a["Name"], a["Status"]) for a in got] == [
        (a["id"], a["name"], a.get("status", "ACTIVE"))
        for a in org_accounts()]
    assert got[1]["Arn"] == "arn:aws:organizations::123456789012:account/" \
        "o-sim0example/" + OTHER
    # Pages: 2, empty, 2, 1, then a trailing empty page.
    st = [s for s in sim.stats() if s["action"] == "ListAccounts"]
    assert [s["events"] for s in st] == [2, 0, 2, 1, 0]
    assert "NextToken" not in st[0]["params"]
    assert all(s["params"]["NextToken"] for s in st[1:])
    # The CLI's own paging controls pass MaxResults and NextToken through.
    p = cli(*org, "--page-size", "1", "--max-items", "2")
    assert [a["Id"] for a in p.json["Accounts"]] == ["123456789012", OTHER]
    q = cli(*org, "--starting-token", p.json["NextToken"])
    assert [a["Id"] for a in q.json["Accounts"]] == [a["id"] for a in
        org_accounts()[2:]]
    p = cli(*org, "--page-size", "25")
    assert p.line.startswith("An error occurred (InvalidInputException)")


def test_cli_organizations_errors_and_throttling(sim, cli):
    org = ["organizations", "list-accounts", "--endpoint-url", sim.url]
    p = cli(*org)
    assert p.line == cli_error("AWSOrganizationsNotInUseException",
        "ListAccounts", "Your account is not a member of an organization.")
    sim.organization("999988887777", org_accounts() + [
        {"id": "999988887777", "name": "root"}], page_size=1)
    p = cli(*org)
    assert p.line == cli_error("AccessDeniedException", "ListAccounts",
        "You don't have permissions to access this resource.")
    p = cli("organizations", "describe-organization", "--endpoint-url",
        sim.url)
    assert p.json["Organization"]["MasterAccountId"] == "999988887777"
    sim.organization("123456789012", org_accounts(), page_size=1)
    sim.config(org_rate_limit=2)
    sim.reset_stats()
    p = cli(*org)
    assert p.returncode == 254
    assert p.line.startswith("An error occurred (TooManyRequestsException) "
        "when calling the ListAccounts operation (reached max retries: 0): "
        "You have sent too many requests")
    # The CLI's standard retries back off through it.
    sim.reset_stats()
    p = cli(*org, attempts=10)
    assert p.returncode == 0, p.stderr
    assert len(p.json["Accounts"]) == 5
    errs = [s["error"] for s in sim.stats()]
    assert "TooManyRequestsException" in errs and errs[-1] is None
    p = cli(*org, "--region", "eu-west-1")
    assert "Credential should be scoped to a valid region" in p.line


FETCH_IMDS = """
import json, sys
from botocore.utils import InstanceMetadataFetcher
f = InstanceMetadataFetcher(timeout=2, num_attempts=1, base_url=sys.argv[1])
print(json.dumps(f.retrieve_iam_role_credentials()))
"""

FETCH_CONTAINER = """
import json, sys
from botocore.utils import ContainerMetadataFetcher
f = ContainerMetadataFetcher(sleep=lambda s: None)
h = {"Authorization": sys.argv[2]} if len(sys.argv) > 2 else {}
try:
    print(json.dumps(f.retrieve_full_uri(sys.argv[1], headers=h)))
except Exception as e:
    print(json.dumps({"error": type(e).__name__}))
"""

SESSION = """
import json
import botocore.session
c = botocore.session.get_session().get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "key": f.access_key, "token": f.token}))
"""


def py(code, *args, env=None):
    e = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    e.update(env or {})
    p = subprocess.run([PY, "-c", code] + list(args), env=e,
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_botocore_instance_metadata_fetcher(sim):
    sim.imds(enabled=True, role_name="web-01", account="111122223333")
    c = py(FETCH_IMDS, sim.url + "/")
    assert c["role_name"] == "web-01"
    assert c["access_key"].startswith("ASIA") and c["secret_key"] and \
        c["token"]
    assert c["expiry_time"].endswith("Z")
    creds = [x for x in sim.credentials() if x["access_key_id"] ==
        c["access_key"]]
    assert creds[0]["source"] == "imds" and creds[0]["account"] == \
        "111122223333"
    acts = [s["action"] for s in sim.stats() if s["service"] == "imds"]
    assert acts == ["token", "role_name", "credentials"]
    # The whole botocore chain, through AWS_EC2_METADATA_SERVICE_ENDPOINT.
    s = py(SESSION, env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": sim.url})
    assert s["method"] == "iam-role" and s["key"] == c["access_key"]
    # botocore refuses what the simulator's faults send: an HTML page.
    sim.faults([{"service": "imds", "kind": "html", "action": "credentials"}])
    assert py(FETCH_IMDS, sim.url + "/") == {}


def test_botocore_container_metadata_fetcher(sim):
    role = "arn:aws:iam::444455556666:role/ecs-task"
    sim.container(authorization="Bearer t0k3n", role_arn=role)
    uri = sim.url + "/_container/credentials"
    c = py(FETCH_CONTAINER, uri, "Bearer t0k3n")
    assert c["RoleArn"] == role and c["AccessKeyId"].startswith("ASIA")
    assert c["Token"] and c["SecretAccessKey"] and c["Expiration"]
    assert py(FETCH_CONTAINER, uri, "Bearer wrong") == {
        "error": "MetadataRetrievalError"}
    s = py(SESSION, env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer t0k3n"})
    assert s["method"] == "container-role"
    assert s["key"] == c["AccessKeyId"]  # the same until 5 min are left
    # botocore tries three times; broken JSON each time is an error.
    sim.reset_stats()
    sim.faults([{"service": "container", "kind": "malformed", "count": 3}])
    assert py(FETCH_CONTAINER, uri, "Bearer t0k3n") == {
        "error": "MetadataRetrievalError"}
    assert [s["fault"] for s in sim.stats()] == ["malformed"] * 3


def test_botocore_web_identity_provider(sim, tmp_path):
    """botocore's AssumeRoleWithWebIdentity provider, from a token file."""
    role = "arn:aws:iam::%s:role/ci-oidc" % OTHER
    sim.add_role(role, web_identity=True)
    sim.web_identity("eyJhbGciOiJSUzI1NiJ9.e30.d2Vi")
    (tmp_path / "token").write_text("eyJhbGciOiJSUzI1NiJ9.e30.d2Vi")
    data = tmp_path / "data"
    redirect_sts(sim, data)
    s = py(SESSION, env={"AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path /
        "token"), "AWS_ROLE_ARN": role, "AWS_ROLE_SESSION_NAME": "ci",
        "AWS_DATA_PATH": str(data), "AWS_DEFAULT_REGION": "us-east-1"})
    assert s["method"] == "assume-role-with-web-identity"
    [c] = [c for c in sim.credentials() if c["access_key_id"] == s["key"]]
    assert c["user_arn"] == "arn:aws:sts::%s:assumed-role/ci-oidc/ci" % OTHER
