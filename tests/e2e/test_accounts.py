"""Many accounts (SPEC section 7): an organisation of 12 accounts x 3
regions polled as units, each with its own cursor, pace and exactly-once
batch; failing units named and left alone; the upgrade from a state file of
one account; kills at random instants."""

import calendar
import json
import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest

import simctl

SELF = simctl.ACCOUNT
ROLE = "BedrockTrailReader"
REGIONS = ["us-east-1", "eu-west-1", "ap-south-1"]
MEMBERS = ["1111111111%02d" % i for i in range(1, 12)]
SUSPENDED = MEMBERS[3]
NO_ROLE = MEMBERS[4]
NO_PERMISSION = MEMBERS[5]
EXTERNAL = {MEMBERS[1]: "ext-id-102", MEMBERS[2]: "ext-id-103"}
HEALTHY = [SELF] + [a for a in MEMBERS
    if a not in (SUSPENDED, NO_ROLE, NO_PERMISSION)]
FAILING = [NO_ROLE, NO_PERMISSION]
# The configured regions, not AWS_REGION's (the environment wins over the file).
NOREGION = {"AWS_REGION": None}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "state"

CONFIG = """regions: [%s]
role_name: %s
organization: {}
accounts:
  - {id: "%s", external_id: %s}
  - {id: "%s", external_id: %s, name: three}
""" % (", ".join(REGIONS), ROLE, MEMBERS[1], EXTERNAL[MEMBERS[1]],
    MEMBERS[2], EXTERNAL[MEMBERS[2]])


def arn(account):
    return "arn:aws:iam::%s:role/%s" % (account, ROLE)


def organisation(sim, events=10):
    sim.organization(SELF, [{"id": a, "name": "acct-" + a[-2:],
        "status": "SUSPENDED" if a == SUSPENDED else "ACTIVE",
        "email": "a%s@example.com" % a} for a in [SELF] + MEMBERS],
        page_size=4, empty_pages=[1])
    sim.add_roles([dict({"arn": arn(a), "trusted": [SELF],
        "allowed": a != NO_PERMISSION, "max_duration": 3600},
        **({"external_id": EXTERNAL[a]} if a in EXTERNAL else {}))
        for a in MEMBERS if a != NO_ROLE])
    now = sim.clock()
    for n, a in enumerate([SELF] + MEMBERS):
        sim.generate(account=a, accounts=None, regions=REGIONS,
            start=now - 6 * 3600, end=now - 600, count=events,
            seed=100 + n, delay_max=0)
    return now


def expected(sim, accounts, start, end):
    return {i for a in accounts for r in REGIONS
        for i in sim.expected_ids(r, account=a, start=start, end=end)}


def lookups(sim):
    return [q for q in sim.stats() if q.get("action") == "LookupEvents"]


def most_in_one_second(times):
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times),
        default=0)


def cursors(bt):
    state = json.loads(bt.state_path.read_text())
    return {(a, r): v.get("cursor") for a, acct in state["accounts"].items()
        for r, v in acct["regions"].items()}


def test_organisation_units_exactly_once_failures_named(bt, sim, tmp_path):
    now = organisation(sim)
    sim.config(page_size_max=4)
    cfg = bt.config(CONFIG)
    out = tmp_path / "out.jsonl"
    r = bt(env=NOREGION, args=["-c", cfg, "poll", "-o", out], timeout=120)
    assert r.rc == 77, r
    got = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert len(got) == len(set(got))
    assert set(got) == expected(sim, HEALTHY, now - 86400, now), r.err
    assert len(got) == len(HEALTHY) * len(REGIONS) * 10
    # Every failing unit is named, with its reason, after the count.
    lines = r.err.splitlines()
    i = lines.index("6 of 33 units failed:")
    assert sorted(lines[i + 1:]) == sorted(
        ["  %s/%s: AssumeRole (exit 77)" % (NO_ROLE, reg)
            for reg in REGIONS] +
        ["  %s/%s: AccessDeniedException (exit 77)" % (NO_PERMISSION, reg)
            for reg in REGIONS])
    # Healthy units have a cursor; failing ones none; suspended none at all.
    c = cursors(bt)
    for a in HEALTHY:
        for reg in REGIONS:
            assert c[(a, reg)] is not None
    for a in FAILING:
        for reg in REGIONS:
            assert c.get((a, reg)) is None
    assert not any(a == SUSPENDED for a, _ in c)
    # One AssumeRole per member account, each with its external id.
    assumes = [q for q in sim.stats() if q.get("action") == "AssumeRole"]
    by_role = defaultdict(list)
    for q in assumes:
        by_role[q.get("role_arn")].append(q)
    assert sorted(by_role) == sorted(arn(a) for a in MEMBERS
        if a != SUSPENDED)
    assert all(len(v) == 1 for v in by_role.values())
    for a, ext in EXTERNAL.items():
        assert by_role[arn(a)][0].get("external_id") == ext
    # The credentials' own account was polled with them, not a role.
    own = {q["access_key_id"] for q in lookups(sim) if q["account"] == SELF}
    assert own == {simctl.ALLOWED_KEY}
    # Pacing: no unit above 2 requests in any 1-second window.
    per_unit = defaultdict(list)
    for q in lookups(sim):
        per_unit[(q["account"], q["region"])].append(q["t"])
    # Every unit but the three whose role could not be assumed asked.
    assert len(per_unit) == 30
    assert max(most_in_one_second(t) for t in per_unit.values()) <= 2
    assert max(len(t) for t in per_unit.values()) >= 3

    # A second run picks up only the new events.
    later = sim.clock() + 5
    sim.set_clock(later)
    for n, a in enumerate(HEALTHY):
        sim.add_events(REGIONS[n % 3], [{"eventTime": later - 30,
            "eventName": "InvokeModel", "requestParameters": {
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0"}}],
            account=a)
    new = expected(sim, HEALTHY, later - 60, later)
    assert len(new) == len(HEALTHY)
    r = bt(env=NOREGION, args=["-c", cfg, "poll", "-o", out], timeout=120)
    assert r.rc == 77, r
    again = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert again[:len(got)] == got
    assert set(again[len(got):]) == new and len(again) == len(got) + len(new)


def test_test_connection_one_line_per_unit_and_the_accounts(bt, sim):
    organisation(sim, events=1)
    cfg = bt.config(CONFIG)
    r = bt(env=NOREGION, args=["-c", cfg, "test-connection"], timeout=120)
    print(r.out)
    print(r.err)
    assert r.rc == 77, r
    lines = r.out.splitlines()
    assert lines[0].startswith("credentials: environment, access key ")
    assert lines[1] == "organization: 12 accounts found, 11 polled, " \
        "1 skipped"
    assert lines[2] == "%s (acct-04): skipped: SUSPENDED" % SUSPENDED
    works = [l for l in lines[3:]]
    assert len(works) == 27
    for a in HEALTHY:
        for reg in REGIONS:
            want = "%s/%s: connection to AWS CloudTrail works" % (a, reg)
            assert any(l.startswith(want) for l in works), (a, reg)
    assert r.err.splitlines()[0] == \
        "Invalid credentials or insufficient permissions"
    for a in FAILING:
        for reg in REGIONS:
            assert "region %s/%s: " % (a, reg) in r.err
    assert r.err.splitlines()[-7] == "6 of 33 units failed:"


def test_accounts_list_without_organization(bt, sim, tmp_path):
    organisation(sim, events=5)
    cfg = bt.config("regions: [us-east-1]\nrole_name: %s\naccounts:\n"
        "  - {id: \"%s\"}\n  - {id: \"%s\", external_id: %s}\n"
        "  - id: \"%s\"\n    regions: [eu-west-1, ap-south-1]\n" % (
        ROLE, SELF, MEMBERS[1], EXTERNAL[MEMBERS[1]], MEMBERS[0]))
    r = bt(env=NOREGION, args=["-c", cfg, "poll"], timeout=60)
    assert r.rc == 0, r
    now = sim.clock()
    want = expected(sim, [SELF, MEMBERS[1]], now - 86400, now) & {
        i for a in (SELF, MEMBERS[1])
        for i in sim.expected_ids("us-east-1", account=a)}
    want |= {i for reg in ("eu-west-1", "ap-south-1")
        for i in sim.expected_ids(reg, account=MEMBERS[0])}
    assert {x["eventID"] for x in r.records} == want
    assert len(r.records) == 20


def test_wrong_external_id_is_access_denied_for_that_account(bt, sim):
    organisation(sim, events=2)
    cfg = bt.config("regions: [us-east-1]\nrole_name: %s\naccounts:\n"
        "  - {id: \"%s\", external_id: wrong-one}\n  - {id: \"%s\"}\n" % (
        ROLE, MEMBERS[1], MEMBERS[0]))
    r = bt(env=NOREGION, args=["-c", cfg, "poll"], timeout=60)
    assert r.rc == 77, r
    assert {x["recipientAccountId"] for x in r.records} == {MEMBERS[0]}
    assert "  %s/us-east-1: AssumeRole (exit 77)" % MEMBERS[1] in \
        r.err.splitlines()
    # The role's refusal, as STS words it, once for the account.
    assert r.err.count("AccessDenied: User: ") == 1
    assert "  - while assuming role arn:aws:iam::%s:role/%s with an " \
        "external id: check its trust policy and the external id" % (
        MEMBERS[1], ROLE) in r.err.splitlines()


@pytest.mark.parametrize("text,first", [
    ("accounts:\n  - {id: \"12345\"}\nrole_name: R\n",
        ":5:10: 'id': '12345' is not a 12-digit account id"),
    ("accounts:\n  - {id: \"111111111101\", region: [us-east-1]}\n"
        "role_name: R\n", ":5:26: unknown key 'region' in 'accounts' "
        "(id, role_arn, external_id, regions, name)"),
    ("organization: {include_self: maybe}\nrole_name: R\n",
        ":4:30: 'include_self' must be true or false"),
    ("accounts:\n  - {id: \"111111111101\", role_arn: \"arn:aws:iam::"
        "222222222222:role/x\"}\n", ":5:5: 'role_arn' of account "
        "111111111101 names another account"),
])
def test_bad_account_configuration_is_78_naming_the_key(bt, sim, text,
        first):
    cfg = bt.config(text)
    r = bt(env=NOREGION, args=["-c", cfg, "poll"])
    assert r.rc == 78, r
    assert r.err.splitlines()[0] == str(cfg) + first
    assert sim.stats() == []


def test_organization_needs_a_role_name(bt, sim):
    cfg = bt.config("organization: {}\n")
    r = bt(env=NOREGION, args=["-c", cfg, "poll"])
    assert r.rc == 78, r
    assert r.err.splitlines()[0] == "%s: 'organization' needs 'role_name': " \
        "the role to assume in each member account" % cfg


def test_all_regions_per_account_with_disabled_opt_in_regions(bt, sim):
    organisation(sim, events=0)
    sim.config(rate_limit=0)
    sim.disable_regions(MEMBERS[0], ["af-south-1", "me-south-1"])
    sim.generate(account=MEMBERS[0], region="ca-central-1", count=7,
        start=sim.clock() - 3600, end=sim.clock() - 60, delay_max=0, seed=7)
    cfg = bt.config("regions: [us-east-1]\nrole_name: %s\naccounts:\n"
        "  - {id: \"%s\", regions: all}\n" % (ROLE, MEMBERS[0]))
    r = bt(env=NOREGION, args=["-c", cfg, "poll"], timeout=120)
    assert r.rc == 0, r
    assert len(r.records) == 7
    notes = sorted(l for l in r.err.splitlines() if "skipped" in l)
    assert notes == ["%s/%s: skipped: an opt-in region this account has "
        "not enabled (UnrecognizedClientException)" % (MEMBERS[0], x)
        for x in ("af-south-1", "me-south-1")]


T0 = calendar.timegm((2026, 11, 24, 7, 0, 0))


def at(epoch):
    return time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def test_upgrade_from_a_state_written_by_0_1_0_fetches_nothing_twice(bt, sim,
        tmp_path):
    """upgrade-v1/ holds what bedrock-trail 0.1.0 (main before accounts)
    wrote polling these events at T0: its state file and the ids it
    emitted. Polled again an hour later by this version, every event of
    the 25 hours is emitted exactly once across the two runs."""
    fx = FIXTURES / "upgrade-v1"
    sim.set_clock(T0)
    sim.generate(region="us-east-1", start=T0 - 30 * 3600, end=T0 + 3000,
        count=300, seed=42, delay_max=0)
    sim.generate(region="eu-west-1", start=T0 - 30 * 3600, end=T0 + 3000,
        count=200, seed=43, delay_max=0)
    before = fx.joinpath("emitted.txt").read_text().split()
    old = fx.joinpath("state.json").read_bytes()
    assert json.loads(old)["version"] == 1
    bt.state_path.parent.mkdir(parents=True, exist_ok=True)
    bt.state_path.write_bytes(old)
    bt.state_path.chmod(0o600)
    cfg = bt.config("regions: [us-east-1, eu-west-1]\n")
    out = tmp_path / "out.jsonl"
    sim.set_clock(T0 + 3600)
    r = bt(["-c", cfg, "poll", "-o", out], env=NOREGION,
        faketime=at(T0 + 3600))
    assert r.rc == 0, r
    after = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    want = {i for reg in ("us-east-1", "eu-west-1")
        for i in sim.expected_ids(reg, start=T0 - 86400, end=T0 + 3600)}
    assert not set(before) & set(after), "fetched twice"
    assert len(before) + len(after) == len(want)
    assert set(before) | set(after) == want, "skipped"
    # Upgraded in place, the old file kept beside it.
    state = json.loads(bt.state_path.read_text())
    assert state["version"] == 2 and list(state["accounts"]) == [SELF]
    assert set(state["accounts"][SELF]["regions"]) == {"us-east-1",
        "eu-west-1"}
    kept = bt.state_path.with_name(bt.state_path.name + ".v1")
    assert kept.read_bytes() == old
    # Once: the next run neither fetches again nor replaces the old file.
    r = bt(["-c", cfg, "poll", "-o", out], env=NOREGION,
        faketime=at(T0 + 3660))
    assert r.rc == 0, r
    assert len(out.read_text().splitlines()) == len(after)
    assert kept.read_bytes() == old


@pytest.mark.slow
def test_sigkill_at_random_instants_then_a_clean_run(bt, sim, tmp_path):
    organisation(sim, events=0)
    now = sim.clock()
    for n, a in enumerate(HEALTHY[:5]):
        sim.generate(account=a, regions=REGIONS, start=now - 5 * 3600,
            end=now - 60, count=60, seed=300 + n, delay_max=0)
    sim.config(rate_limit=0, page_size_max=7)
    cfg = bt.config("regions: [%s]\nrole_name: %s\nmax_requests_per_second:"
        " 100\nmax_concurrency: 4\naccounts:\n%s" % (", ".join(REGIONS), ROLE,
        "".join("  - {id: \"%s\"%s}\n" % (a, ", external_id: " +
        EXTERNAL[a] if a in EXTERNAL else "") for a in HEALTHY[:5])))
    out = tmp_path / "out.jsonl"
    rng = random.Random(23)
    cmd = [str(bt.binary), "-c", str(cfg), "-q", "poll", "-o", str(out)]
    env = bt.env(NOREGION)
    for _ in range(30):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 1.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
    r = bt(env=NOREGION, args=["-c", cfg, "poll", "-o", out], timeout=120)
    assert r.rc == 0, r
    data = out.read_text()
    assert data == "" or data.endswith("\n")
    got = [json.loads(l)["eventID"] for l in data.splitlines()]
    assert len(got) == len(set(got)), "duplicates"
    assert set(got) == expected(sim, HEALTHY[:5], now - 86400, now)
    assert len(got) == 5 * 3 * 60


def test_account_name_from_list_accounts_or_the_config(bt, sim):
    organisation(sim, events=2)
    cfg = bt.config(CONFIG.replace("regions: [%s]" % ", ".join(REGIONS),
        "regions: [eu-west-1]").replace("organization: {}",
        "organization: {include_accounts: [\"%s\", \"%s\"]}" % (
        MEMBERS[0], MEMBERS[2])) + "extra_fields: [accountName]\n")
    r = bt(env=NOREGION, args=["-c", cfg, "poll"], timeout=60)
    assert r.rc == 0, r
    names = {(x["recipientAccountId"], x["accountName"]) for x in r.records}
    assert names == {(MEMBERS[0], "acct-01"), (MEMBERS[2], "three")}
    assert list(r.records[0])[-1] == "accountName"


def test_report_has_an_accounts_section_for_an_organisation(bt, sim,
        tmp_path):
    organisation(sim, events=4)
    out = tmp_path / "out.jsonl"
    r = bt(env=NOREGION, args=["-c", bt.config(CONFIG), "poll", "-o", out],
        timeout=120)
    assert r.rc == 77, r
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    r = bt(["report", "--format", "json", out])
    assert r.rc == 0, r
    doc = json.loads(r.out)
    got = {a["accountId"]: a for a in doc["accounts"]}
    assert set(got) == set(HEALTHY)
    for a in HEALTHY:
        mine = [x for x in recs if x["recipientAccountId"] == a]
        assert got[a]["calls"] == len(mine) == 12
        assert got[a]["errors"] == sum(1 for x in mine if x["errorCode"])
        assert got[a]["models"] == len({x["modelName"] for x in mine
            if x["modelName"]})
        assert got[a]["regions"] == sorted(REGIONS)
    r = bt(["report", "--format", "table", out])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    i = lines.index("Accounts")
    assert lines[i + 1].split() == ["ACCOUNT", "CALLS", "ERRORS", "MODELS",
        "PRINCIPALS"]
    rows = [l.split() for l in lines[i + 2:]]
    assert sorted(w[0] for w in rows if len(w) == 5) == sorted(HEALTHY)


def test_report_of_one_account_has_no_accounts_section(bt, sim, tmp_path):
    now = sim.clock()
    sim.generate(start=now - 3600, end=now - 60, count=5, seed=3,
        delay_max=0)
    out = tmp_path / "out.jsonl"
    assert bt(["poll", "-o", out]).rc == 0
    r = bt(["report", "--format", "json", out])
    assert r.rc == 0 and "accounts" not in json.loads(r.out), r


def test_report_by_account(bt, sim, tmp_path):
    organisation(sim, events=4)
    out = tmp_path / "out.jsonl"
    r = bt(env=NOREGION, args=["-c", bt.config(CONFIG), "poll", "-o", out],
        timeout=120)
    assert r.rc == 77, r
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    r = bt(["report", "--format", "json", "--by", "account", out])
    assert r.rc == 0, r
    doc = json.loads(r.out)
    want = defaultdict(int)
    for x in recs:
        want[(x["recipientAccountId"], x["modelName"] or "(none)")] += 1
    got = {(m["accountId"], m["modelName"]): m["calls"]
        for m in doc["models"]}
    assert got == dict(want)
    # Grouped by account, then by calls.
    order = [m["accountId"] for m in doc["models"]]
    assert order == sorted(order)
    assert sum(p["calls"] for p in doc["principals"]) == len(recs)
    assert all(list(p)[0] == "accountId" for p in doc["principals"])
    r = bt(["report", "--format", "csv", "--by", "account", out])
    assert r.rc == 0, r
    assert r.out.split("\r\n")[0].startswith("section,accountId,modelName,")
    r = bt(["report", "--by", "model", out])
    assert r.rc == 64, r
    assert r.err.splitlines()[0].startswith(
        "usage error: unknown --by (use --by account)")


def test_member_roles_use_role_session_name(bt, sim):
    organisation(sim, events=1)
    cfg = bt.config("regions: [us-east-1]\nrole_name: %s\n"
        "role_session_name: audit-7\naccounts:\n  - {id: \"%s\"}\n" % (
        ROLE, MEMBERS[0]))
    r = bt(env=NOREGION, args=["-c", cfg, "-q", "poll"])
    assert r.rc == 0, r
    (q,) = [q for q in sim.stats() if q.get("action") == "AssumeRole"]
    assert q["params"]["RoleSessionName"] == "audit-7"


def test_status_groups_the_cursors_by_account(bt, sim):
    organisation(sim, events=1)
    cfg = bt.config("regions: [us-east-1, eu-west-1]\nrole_name: %s\n"
        "accounts:\n  - {id: \"%s\"}\n  - {id: \"%s\"}\n" % (ROLE, SELF,
        MEMBERS[0]))
    r = bt(env=NOREGION, args=["-c", cfg, "status"])
    assert r.rc == 0 and "no account polled yet\n" in r.out, r
    assert bt(env=NOREGION, args=["-c", cfg, "-q", "poll"]).rc == 0
    r = bt(env=NOREGION, args=["-c", cfg, "status"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    i = lines.index("account %s:" % SELF)
    j = lines.index("account %s:" % MEMBERS[0])
    for k in (i, j):
        assert [l.split(":")[0] for l in lines[k + 1:k + 3]] == [
            "  us-east-1", "  eu-west-1"]
        assert all(", next poll " in l and "cursor 20" in l
            for l in lines[k + 1:k + 3])
    r = bt(env=NOREGION, args=["-c", cfg, "status", "--format", "json"])
    assert r.rc == 0, r
    units = {(c["account"], c["region"]) for c in json.loads(r.out)["cursors"]
        if c["cursor"]}
    assert units == {(a, reg) for a in (SELF, MEMBERS[0])
        for reg in ("us-east-1", "eu-west-1")}


def test_one_account_polls_without_sts_and_gets_its_id_later(bt, sim,
        tmp_path):
    """One account must not depend on STS: with only CloudTrail reachable
    (an endpoint for CloudTrail alone, a firewall), the poll works and
    keeps its cursor under "self"; a later run that reaches STS gives the
    cursor its account id, and nothing is fetched twice or skipped."""
    sim.set_clock(T0)
    sim.generate(region="us-east-1", start=T0 - 20 * 3600, end=T0,
        count=60, seed=7, delay_max=0)
    cfg = bt.config("regions: [us-east-1]\n")
    out = tmp_path / "out.jsonl"
    no_sts = dict(NOREGION, AWS_ENDPOINT_URL_STS="http://127.0.0.1:9")
    r = bt(["-c", cfg, "poll", "-o", out], env=no_sts, faketime=at(T0))
    assert r.rc == 0, r
    first = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert len(first) == 60
    state = json.loads(bt.state_path.read_text())
    assert list(state["accounts"]) == ["self"]
    # STS still unreachable: the same cursor, nothing again.
    r = bt(["-c", cfg, "poll", "-o", out], env=no_sts, faketime=at(T0 + 60))
    assert r.rc == 0, r
    assert len(out.read_text().splitlines()) == 60
    # STS back: the cursor is the account's, and polling goes on from it.
    sim.set_clock(T0 + 3600)
    sim.generate(region="us-east-1", start=T0 + 60, end=T0 + 3000,
        count=20, seed=8, delay_max=0)
    r = bt(["-c", cfg, "poll", "-o", out], env=NOREGION,
        faketime=at(T0 + 3600))
    assert r.rc == 0, r
    ids = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 80
    assert set(ids) == set(sim.expected_ids("us-east-1", start=T0 - 86400,
        end=T0 + 3600))
    state = json.loads(bt.state_path.read_text())
    assert list(state["accounts"]) == [SELF]


def test_an_accounts_first_poll_is_its_baseline(bt, sim, tmp_path):
    """Discoveries are per account (SPEC 8): an account polled for the
    first time marks its lines baseline, even in a region where another
    account has been polled before."""
    organisation(sim, events=5)
    disc = tmp_path / "discoveries.jsonl"
    cfg = bt.config("regions: [us-east-1]\nrole_name: %s\naccounts:\n"
        "  - {id: \"%s\"}\n  - {id: \"%s\"}\ndiscoveries_output: %s\n" % (
        ROLE, SELF, NO_ROLE, disc))
    out = tmp_path / "out.jsonl"
    r = bt(["-c", cfg, "poll", "-o", out], env=NOREGION)
    assert r.rc == 77, r                    # NO_ROLE has no member role yet
    first = [json.loads(l) for l in disc.read_text().splitlines()]
    assert first and {d["accountId"] for d in first} == {SELF}
    assert all(d.get("baseline") is True for d in first)
    sim.add_roles([{"arn": arn(NO_ROLE), "trusted": [SELF],
        "allowed": True, "max_duration": 3600}])
    r = bt(["-c", cfg, "poll", "-o", out], env=NOREGION)
    assert r.rc == 0, r
    later = [json.loads(l) for l in disc.read_text().splitlines()][
        len(first):]
    assert later and {d["accountId"] for d in later} == {NO_ROLE}
    assert all(d.get("baseline") is True for d in later), later
