"""Discoveries and model policy (SPEC section 8): the inventory kept with
the cursors, discovery lines written exactly once to discoveries_output,
baseline lines, models_allowed / models_denied."""

import calendar
import hashlib
import json
import os
import random
import signal
import subprocess
import time

import pytest

import disc_reference
from failio import failio  # noqa: F401 (a fixture)

DAY = 86400
T0 = calendar.timegm((2026, 11, 24, 7, 0, 0))
ACCOUNT = "123456789012"
KEYS = ["discovery", "accountId", "awsRegion", "modelName", "principal",
    "firstSeen", "eventID"]
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-lite-v1"
LLAMA = "meta.llama3-8b-instruct-v1:0"


def at(epoch):
    return time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def user(name, account=ACCOUNT):
    return {"type": "IAMUser", "userName": name, "accountId": account,
        "principalId": "AIDA" + name.upper(),
        "arn": "arn:aws:iam::%s:user/%s" % (account, name)}


def arn(name, account=ACCOUNT):
    return "arn:aws:iam::%s:user/%s" % (account, name)


def call(t, model, who, account=ACCOUNT, name="InvokeModel"):
    return {"eventTime": t, "eventName": name, "recipientAccountId": account,
        "requestParameters": {"modelId": model}, "userIdentity": user(who,
        account)}


def lines(path):
    if not path.exists():
        return []
    text = path.read_text()
    assert text == "" or text.endswith("\n")
    out = [json.loads(l) for l in text.splitlines()]
    for d in out:
        want = KEYS + (["baseline"] if "baseline" in d else [])
        assert list(d) == want, d
        assert d.get("baseline", True) is True
    return out


def kinds(ds):
    return sorted((d["discovery"], d["modelName"], d["principal"],
        d["awsRegion"]) for d in ds)


def records(path):
    return [json.loads(l) for l in path.read_text().splitlines()]


def strip(ds):
    return [{k: v for k, v in d.items() if k != "baseline"} for d in ds]


def files_config(bt, tmp_path, extra=""):
    out, disc = tmp_path / "records.jsonl", tmp_path / "disc.jsonl"
    cfg = bt.config("output: %s\ndiscoveries_output: %s\n%s" % (out, disc,
        extra))
    return cfg, out, disc


def poll(bt, sim, cfg, when, *more):
    sim.set_clock(when)
    r = bt(["-c", cfg, "poll"] + list(more), faketime=at(when))
    assert r.rc == 0, r
    return r


@pytest.mark.slow
def test_seven_days_each_new_thing_once_on_its_day(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    sim.add_events("us-east-1", [call(T0 - 7200, CLAUDE, "alice"),
        call(T0 - 3600, CLAUDE, "bob")])
    per_day = []
    for day in range(8):
        now = T0 + day * DAY
        mid = now - DAY // 2
        if day == 3:
            sim.add_events("us-east-1", [call(mid, TITAN, "alice"),
                call(mid + 60, TITAN, "alice")])
        elif day == 4:
            sim.add_events("us-east-1", [call(mid, CLAUDE, "carol")])
        elif day == 5:
            sim.add_events("us-west-2", [call(mid, CLAUDE, "alice")])
        elif day > 0:
            known = [call(mid, CLAUDE, "alice"), call(mid, CLAUDE, "bob")]
            if day > 5:
                known += [call(mid, TITAN, "alice"),
                    call(mid, CLAUDE, "carol")]
            sim.add_events("us-east-1", known)
            sim.add_events("us-west-2", known[:1] if day > 5 else [])
        before = len(lines(disc))
        poll(bt, sim, cfg, now, "-r", "us-east-1,us-west-2")
        per_day.append(lines(disc)[before:])
    assert kinds(per_day[0]) == kinds([
        {"discovery": "new_model", "modelName": CLAUDE,
         "principal": arn("alice"), "awsRegion": "us-east-1"},
        {"discovery": "new_principal", "modelName": CLAUDE,
         "principal": arn("alice"), "awsRegion": "us-east-1"},
        {"discovery": "new_principal_model", "modelName": CLAUDE,
         "principal": arn("alice"), "awsRegion": "us-east-1"},
        {"discovery": "new_region", "modelName": CLAUDE,
         "principal": arn("alice"), "awsRegion": "us-east-1"},
        {"discovery": "new_principal", "modelName": CLAUDE,
         "principal": arn("bob"), "awsRegion": "us-east-1"},
        {"discovery": "new_principal_model", "modelName": CLAUDE,
         "principal": arn("bob"), "awsRegion": "us-east-1"}])
    assert all(d.get("baseline") for d in per_day[0])
    assert per_day[1] == per_day[2] == []
    assert kinds(per_day[3]) == [
        ("new_model", TITAN, arn("alice"), "us-east-1"),
        ("new_principal_model", TITAN, arn("alice"), "us-east-1")]
    assert per_day[3][0]["firstSeen"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 3 * DAY - DAY // 2))
    assert kinds(per_day[4]) == [
        ("new_principal", CLAUDE, arn("carol"), "us-east-1"),
        ("new_principal_model", CLAUDE, arn("carol"), "us-east-1")]
    assert kinds(per_day[5]) == [
        ("new_region", CLAUDE, arn("alice"), "us-west-2")]
    assert per_day[6] == per_day[7] == []
    assert not any("baseline" in d for day in per_day[1:] for d in day)
    ids = {r["eventID"] for r in records(out)}
    assert all(d["eventID"] in ids for day in per_day for d in day)
    assert strip(sum(per_day, [])) == disc_reference.discoveries(
        records(out))


def test_policy_one_line_per_principal_and_model(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path,
        "models_allowed: [\"anthropic.*\", \"amazon.titan-text-?ite-v1\"]\n"
        "models_denied: [\"*llama*\", \"anthropic.claude-v2*\"]\n")
    now = sim.clock()
    evs = [call(now - 600 + i, LLAMA, "alice") for i in range(5)]
    evs += [call(now - 500 + i, CLAUDE, "alice") for i in range(3)]
    evs += [call(now - 400, LLAMA, "bob"),
        call(now - 390, "anthropic.claude-v2:1", "bob"),
        call(now - 380, TITAN, "bob"),
        call(now - 370, "amazon.titan-text-express-v1", "bob"),
        call(now - 360, "amazon.titan-text-express-v1", "bob"),
        call(now - 350, "cohere.command-r-v1:0", "carol")]
    sim.add_events("us-east-1", evs)
    r = poll(bt, sim, cfg, now)
    got = [(d["modelName"], d["principal"]) for d in lines(disc)
        if d["discovery"] == "unapproved_model"]
    assert sorted(got) == sorted([(LLAMA, arn("alice")), (LLAMA, arn("bob")),
        ("anthropic.claude-v2:1", arn("bob")),
        ("amazon.titan-text-express-v1", arn("bob")),
        ("cohere.command-r-v1:0", arn("carol"))])
    assert "12 discoveries" not in r.err
    assert ", 10 calls outside the model policy" in r.err
    assert strip(lines(disc)) == disc_reference.discoveries(records(out),
        ["anthropic.*", "amazon.titan-text-?ite-v1"],
        ["*llama*", "anthropic.claude-v2*"])
    # The same calls again: known pairs, no second line.
    sim.add_events("us-east-1", [call(now + 60, LLAMA, "alice"),
        call(now + 61, LLAMA, "bob")])
    before = len(lines(disc))
    r = poll(bt, sim, cfg, now + 120)
    assert lines(disc)[before:] == []
    assert ", 2 calls outside the model policy" in r.err


def test_no_policy_no_unapproved_lines_and_no_summary_count(bt, sim,
        tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 60, LLAMA, "alice")])
    r = poll(bt, sim, cfg, now)
    assert [d["discovery"] for d in lines(disc)] == ["new_model",
        "new_principal", "new_principal_model", "new_region"]
    assert "outside the model policy" not in r.err
    assert "4 discoveries" in r.err


def test_baseline_on_first_poll_only(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    sim.add_events("us-east-1", [call(T0 - 600, CLAUDE, "alice")])
    poll(bt, sim, cfg, T0)
    first = lines(disc)
    assert len(first) == 4 and all(d["baseline"] is True for d in first)
    sim.add_events("us-east-1", [call(T0 + 600, TITAN, "alice")])
    poll(bt, sim, cfg, T0 + 3600)
    later = lines(disc)[4:]
    assert [d["discovery"] for d in later] == ["new_model",
        "new_principal_model"]
    assert not any("baseline" in d for d in later)


def test_upgrade_from_a_state_without_inventory_is_a_baseline(bt, sim,
        tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    sim.add_events("us-east-1", [call(T0 - 600, CLAUDE, "alice")])
    poll(bt, sim, cfg, T0)
    state = json.loads(bt.state_path.read_text())
    del state["inventory"]
    bt.state_path.write_text(json.dumps(state))
    disc.unlink()
    sim.add_events("us-east-1", [call(T0 + 600, CLAUDE, "alice"),
        call(T0 + 700, TITAN, "bob")])
    poll(bt, sim, cfg, T0 + 3600)
    got = lines(disc)
    assert kinds(got) == sorted([
        ("new_model", CLAUDE, arn("alice"), "us-east-1"),
        ("new_principal", CLAUDE, arn("alice"), "us-east-1"),
        ("new_principal_model", CLAUDE, arn("alice"), "us-east-1"),
        ("new_region", CLAUDE, arn("alice"), "us-east-1"),
        ("new_model", TITAN, arn("bob"), "us-east-1"),
        ("new_principal", TITAN, arn("bob"), "us-east-1"),
        ("new_principal_model", TITAN, arn("bob"), "us-east-1")])
    assert all(d["baseline"] is True for d in got)
    sim.add_events("us-east-1", [call(T0 + 4000, LLAMA, "bob")])
    poll(bt, sim, cfg, T0 + 7200)
    assert not any("baseline" in d for d in lines(disc)[7:])


def test_inventories_are_per_account(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    now = sim.clock()
    other = "210987654321"
    sim.add_events("us-east-1", [call(now - 600, CLAUDE, "alice"),
        call(now - 500, CLAUDE, "alice", account=other)])
    poll(bt, sim, cfg, now)
    got = lines(disc)
    assert sorted(d["accountId"] for d in got) == [ACCOUNT] * 4 + [other] * 4
    inv = json.loads(bt.state_path.read_text())["inventory"]["accounts"]
    assert sorted(inv) == sorted([ACCOUNT, other])
    assert inv[other]["models"][CLAUDE][2] == 1


def test_discoveries_to_stdout_with_records_in_a_file(bt, sim, tmp_path):
    out = tmp_path / "records.jsonl"
    cfg = bt.config("output: %s\ndiscoveries_output: \"-\"\n" % out)
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 60, CLAUDE, "alice")])
    r = poll(bt, sim, cfg, now)
    assert [d["discovery"] for d in r.records] == ["new_model",
        "new_principal", "new_principal_model", "new_region"]
    assert len(records(out)) == 1


def test_discoveries_to_stdout_needs_records_in_a_file(bt, sim):
    cfg = bt.config("discoveries_output: \"-\"\n")
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 78, r
    assert r.err.splitlines()[0] == ("discoveries_output '-' "
        "needs the records in a file: set output or -o")
    assert r.out == ""


def test_discoveries_in_the_records_file_is_refused(bt, sim, tmp_path):
    out = tmp_path / "records.jsonl"
    cfg = bt.config("output: %s\ndiscoveries_output: %s/./records.jsonl\n" %
        (out, tmp_path))
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 78, r
    assert r.err.splitlines()[0] == ("%s/./records.jsonl: "
        "discoveries_output is the records' output file: give it a file "
        "of its own" % tmp_path)


def test_a_window_poll_writes_no_discoveries(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 60, CLAUDE, "alice")])
    r = bt(["-c", cfg, "poll", "--since", "1h", "-o", "-"])
    assert r.rc == 0, r
    assert len(r.records) == 1
    assert not disc.exists()


def pending_from(bt, sim, cfg, out, disc, when):
    """Two polls; returns the state after the first, and the pending
    append the second would have announced (its files whole)."""
    sim.add_events("us-east-1", [call(when - 600, CLAUDE, "alice")])
    poll(bt, sim, cfg, when)
    s1 = json.loads(bt.state_path.read_text())
    r1, d1 = out.read_bytes(), disc.read_bytes()
    sim.add_events("us-east-1", [call(when + 600, TITAN, "alice"),
        call(when + 700, LLAMA, "bob")])
    poll(bt, sim, cfg, when + 3600)
    s2 = json.loads(bt.state_path.read_text())
    r2, d2 = out.read_bytes(), disc.read_bytes()
    so, sd = os.stat(out), os.stat(disc)
    s1["pending"] = {"account": "123456789012", "region": "us-east-1",
        "output": str(out),
        "dev": so.st_dev, "ino": so.st_ino, "offset": len(r1),
        "length": len(r2) - len(r1),
        "sha256": hashlib.sha256(r2[len(r1):]).hexdigest(),
        "cursor": s2["accounts"]["123456789012"]["regions"]["us-east-1"][
            "cursor"],
        "seen": s2["accounts"]["123456789012"]["regions"]["us-east-1"][
            "seen"],
        "inventory": s2["inventory"],
        "discoveries": {"output": str(disc), "dev": sd.st_dev,
            "ino": sd.st_ino, "offset": len(d1),
            "lines": d2[len(d1):].decode()}}
    return s1, s2, r1, r2, d1, d2


def test_killed_after_the_records_completes_the_discoveries(bt, sim,
        tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    s1, s2, r1, r2, d1, d2 = pending_from(bt, sim, cfg, out, disc, T0)
    assert len(d2) > len(d1) + 20
    with open(disc, "r+b") as f:
        f.truncate(len(d1) + 20)
    bt.state_path.write_text(json.dumps(s1))
    poll(bt, sim, cfg, T0 + 4000)
    assert out.read_bytes() == r2
    assert disc.read_bytes() == d2
    state = json.loads(bt.state_path.read_text())
    assert "pending" not in state
    assert state["inventory"]["accounts"] == s2["inventory"]["accounts"]


def test_killed_in_the_records_discovers_again_once(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    s1, s2, r1, r2, d1, d2 = pending_from(bt, sim, cfg, out, disc, T0)
    with open(out, "r+b") as f:
        f.truncate(len(r1) + 30)
    with open(disc, "r+b") as f:
        f.truncate(len(d1))
    bt.state_path.write_text(json.dumps(s1))
    poll(bt, sim, cfg, T0 + 4000)
    assert out.read_bytes() == r2
    assert disc.read_bytes() == d2


@pytest.mark.slow
def test_sigkill_at_random_instants_discoveries_exactly_once(bt, sim,
        tmp_path):
    now = sim.clock()
    sim.config(rate_limit=0, page_size_max=7)
    sim.generate(start=now - 6 * 3600, end=now - 60, count=700, seed=21,
        delay_max=0)
    out, disc = tmp_path / "out.jsonl", tmp_path / "disc.jsonl"
    cfg = bt.config("max_requests_per_second: 100\ndiscoveries_output: %s\n"
        "models_denied: [\"*llama*\"]\n" % disc)
    sim.generate(region="us-west-2", start=now - 6 * 3600, end=now - 60,
        count=300, seed=22, delay_max=0)
    rng = random.Random(21)
    cmd = [str(bt.binary), "-c", str(cfg), "-q", "-r", "us-east-1,us-west-2",
        "poll", "-o", str(out)]
    for _ in range(40):
        p = subprocess.Popen(cmd, env=bt.env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 1.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
    r = bt(["-c", cfg, "-r", "us-east-1,us-west-2", "poll", "-o", out],
        timeout=120)
    assert r.rc == 0, r
    recs = records(out)
    got = lines(disc)
    keys = [(d["discovery"], d["accountId"], d["modelName"],
        d["principal"]) if d["discovery"] in ("new_principal_model",
        "unapproved_model") else (d["discovery"], d["accountId"],
        d["modelName"] if d["discovery"] == "new_model" else
        d["principal"] if d["discovery"] == "new_principal" else
        d["awsRegion"]) for d in got]
    assert len(keys) == len(set(keys)), "duplicate discoveries"
    ids = {r["eventID"] for r in recs}
    assert len(ids) == len(recs)
    assert all(d["eventID"] in ids for d in got)
    assert strip(got) == disc_reference.discoveries(recs, (), ["*llama*"])
    assert any(d["discovery"] == "unapproved_model" for d in got)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_report_inventory_json_shows_last_seen(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path,
        "models_denied: [\"*llama*\"]\n")
    sim.add_events("us-east-1", [call(T0 - 900, CLAUDE, "alice"),
        call(T0 - 800, LLAMA, "alice"), call(T0 - 700, CLAUDE, "alice")])
    poll(bt, sim, cfg, T0)
    r = bt(["-c", cfg, "report", "--inventory", "--format", "json"])
    assert r.rc == 0, r
    assert r.err == ""
    item = lambda key, name, first, last, calls, **more: dict(
        {key: name, "firstSeen": iso(first), "lastSeen": iso(last),
         "calls": calls}, **more)
    assert json.loads(r.out) == {"accounts": [{"accountId": ACCOUNT,
        "models": [
            item("modelName", CLAUDE, T0 - 900, T0 - 700, 2,
                policy="allowed"),
            item("modelName", LLAMA, T0 - 800, T0 - 800, 1,
                policy="denied")],
        "principals": [item("principal", arn("alice"), T0 - 900, T0 - 700,
            3)],
        "regions": [item("awsRegion", "us-east-1", T0 - 900, T0 - 700, 3)],
        "pairs": [
            dict(item("principal", arn("alice"), T0 - 900, T0 - 700, 2),
                modelName=CLAUDE, unapproved=False, policy="allowed"),
            dict(item("principal", arn("alice"), T0 - 800, T0 - 800, 1),
                modelName=LLAMA, unapproved=True, policy="denied")]}]}
    # Keys in the documented order.
    pair = json.loads(r.out)["accounts"][0]["pairs"][0]
    assert list(pair) == ["principal", "modelName", "firstSeen", "lastSeen",
        "calls", "unapproved", "policy"]


def test_report_inventory_table_and_csv(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    sim.add_events("us-east-1", [call(T0 - 900, CLAUDE, "alice")])
    poll(bt, sim, cfg, T0)
    r = bt(["-c", cfg, "report", "--inventory", "--format", "table"])
    assert r.rc == 0, r
    day = "  2026-11-24  2026-11-24       1"
    assert r.out.splitlines() == [
        "Account 123456789012",
        "",
        "Models",
        "NAME                                     FIRST SEEN  LAST SEEN    "
        "CALLS",
        "anthropic.claude-3-haiku-20240307-v1:0 " + day,
        "",
        "Principals",
        "NAME                                     FIRST SEEN  LAST SEEN    "
        "CALLS",
        "arn:aws:iam::123456789012:user/alice   " + day,
        "",
        "Regions",
        "NAME                                     FIRST SEEN  LAST SEEN    "
        "CALLS",
        "us-east-1                              " + day,
        "",
        "Principals by model",
        "NAME                                     FIRST SEEN  LAST SEEN    "
        "CALLS",
        "arn:aws:iam::123456789012:user/alice   " + day,
        "    " + CLAUDE]
    assert all(len(l) <= 80 for l in r.out.splitlines())
    r = bt(["-c", cfg, "report", "--inventory", "--format", "csv"])
    assert r.rc == 0, r
    rows = r.out.split("\r\n")
    assert rows[0] == ("kind,accountId,name,modelName,firstSeen,lastSeen,"
        "calls,policy")
    assert rows[1] == "model,%s,%s,,%s,%s,1," % (ACCOUNT, CLAUDE,
        iso(T0 - 900), iso(T0 - 900))
    assert rows[4] == "pair,%s,%s,%s,%s,%s,1," % (ACCOUNT, arn("alice"),
        CLAUDE, iso(T0 - 900), iso(T0 - 900))


def test_report_inventory_before_any_poll(bt, sim):
    r = bt(["report", "--inventory", "--format", "table"])
    assert r.rc == 0, r
    assert r.out == "no inventory: poll has not written any call yet\n"
    r = bt(["report", "--inventory", "--format", "json"])
    assert r.out == '{"accounts":[]}\n'


def test_report_inventory_takes_no_records(bt, sim, tmp_path):
    r = bt(["report", "--inventory", str(tmp_path / "x.jsonl")])
    assert r.rc == 64, r
    assert r.err.splitlines()[0] == ("usage error: --inventory reads the "
        "state file: no FILE, --since or --until")


def test_report_policy_column(bt, sim, tmp_path):
    cfg, out, disc = files_config(bt, tmp_path,
        "models_allowed: [\"anthropic.*\"]\nmodels_denied: [\"*llama*\"]\n")
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 90, CLAUDE, "alice"),
        call(now - 80, LLAMA, "bob"), call(now - 70, TITAN, "bob")])
    poll(bt, sim, cfg, now)
    r = bt(["-c", cfg, "report", "--format", "json", out])
    assert r.rc == 0, r
    assert {m["modelName"]: m["policy"] for m in json.loads(r.out)[
        "models"]} == {CLAUDE: "allowed", LLAMA: "denied",
        TITAN: "unlisted"}
    r = bt(["-c", cfg, "report", "--format", "table", out])
    lines_ = r.out.splitlines()
    assert lines_[1].endswith(" POLICY")
    assert any(l.startswith("meta.llama3") and l.endswith(" denied")
        for l in lines_)
    assert all(len(l) <= 80 for l in lines_)
    r = bt(["-c", cfg, "report", "--format", "csv", out])
    rows = r.out.split("\r\n")
    assert rows[0].endswith(",lastSeen,policy")
    assert any(row.startswith("model,amazon.titan") and
        row.endswith(",unlisted") for row in rows)
    assert all(row.count(",") == 9 for row in rows if row and
        row.startswith("principal,"))
    # Without a policy, no column.
    r = bt(["report", "--format", "json", out])
    assert all("policy" not in m for m in json.loads(r.out)["models"])


def test_discoveries_with_records_on_standard_output(bt, sim, tmp_path):
    disc = tmp_path / "disc.jsonl"
    cfg = bt.config("discoveries_output: %s\n" % disc)
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 60, CLAUDE, "alice")])
    r = poll(bt, sim, cfg, now)
    assert len(r.records) == 1
    assert [d["eventID"] for d in lines(disc)] == [r.records[0]["eventID"]] * 4
    r = poll(bt, sim, cfg, now + 60)
    assert r.records == [] and len(lines(disc)) == 4


def test_unwritable_discoveries_file_exits_73_before_any_request(bt, sim,
        tmp_path):
    out = tmp_path / "records.jsonl"
    cfg = bt.config("output: %s\ndiscoveries_output: %s/no/such/dir/d.jsonl\n"
        % (out, tmp_path))
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 73, r
    assert r.err.splitlines()[0] == ("%s/no/such/dir/d.jsonl: cannot open "
        "output file: No such file or directory" % tmp_path)
    assert sim.stats() == []


def test_a_full_disk_for_discoveries_writes_neither_and_keeps_the_cursor(bt,
        sim, tmp_path):
    out = tmp_path / "records.jsonl"
    cfg = bt.config("output: %s\ndiscoveries_output: /dev/full\n" % out)
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 60, CLAUDE, "alice")])
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 74, r
    assert r.err.splitlines()[0] == ("/dev/full: cannot write discoveries: "
        "No space left on device")
    assert out.read_text() == ""
    assert "inventory" not in json.loads(bt.state_path.read_text())
    # The disk has room again: the same call, once, and its discoveries.
    cfg, out, disc = files_config(bt, tmp_path)
    poll(bt, sim, cfg, now + 60)
    assert len(records(out)) == 1 and len(lines(disc)) == 4


def test_a_corrupt_inventory_exits_65_and_leaves_the_state_alone(bt, sim,
        tmp_path):
    cfg, out, disc = files_config(bt, tmp_path)
    bad = '{"version":1,"regions":{},"inventory":{"accounts":{"1":' \
        '{"models":{"m":[5,1,1]}}}}}\n'
    bt.state_path.parent.mkdir(parents=True, exist_ok=True)
    bt.state_path.write_text(bad)
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 65, r
    assert r.err.splitlines()[0] == ("%s: corrupt state file: inventory: "
        "account \"1\": model \"m\" is not [first, last, calls]" %
        bt.state_path)
    assert bt.state_path.read_text() == bad
    r = bt(["-c", cfg, "report", "--inventory"])
    assert r.rc == 65, r



def kill_points(rec_len, disc_len):
    """Each instant of a batch's write where a kill leaves something
    different: the state's renames are 1 (proved writable), 2 (the
    pending append) and 3 (the commit)."""
    pts = [("pending never saved", "state", dict(rename=2)),
        ("both appended, not committed", "state", dict(rename=3))]
    for k in (0, 1, rec_len // 2, rec_len - 1):
        pts.append(("records cut at %d" % k, "r.jsonl", dict(after=k)))
    for k in (0, 1, disc_len // 3, disc_len - 1):
        pts.append(("discoveries cut at %d" % k, "d.jsonl", dict(after=k)))
    return pts


def test_a_kill_at_each_step_of_a_batch_leaves_each_discovery_once(bt, sim,
        tmp_path, failio):
    """The instants a random SIGKILL may hit, each in turn, then a clean
    poll: the files are those of a poll never killed, byte for byte."""
    now = sim.clock()
    sim.add_events("us-east-1", [call(now - 900, CLAUDE, "alice"),
        call(now - 800, LLAMA, "bob"), call(now - 700, TITAN, "alice")])

    def run(d, env=None):
        d.mkdir(exist_ok=True)
        cfg = bt.config("discoveries_output: %s/d.jsonl\nmodels_denied: "
            "[\"*llama*\"]\n" % d)
        return bt(["-c", cfg, "poll", "--state-file", d / "state.json",
            "-o", d / "r.jsonl"], env=env)

    assert run(tmp_path / "clean").rc == 0
    want_r = (tmp_path / "clean" / "r.jsonl").read_bytes()
    want_d = (tmp_path / "clean" / "d.jsonl").read_bytes()
    assert len(want_d.splitlines()) == 10
    for i, (what, target, kw) in enumerate(kill_points(len(want_r),
            len(want_d))):
        d = tmp_path / ("k%d" % i)
        path = d / "state.json" if target == "state" else d / target
        r = run(d, env=failio(path, kill=True, **kw))
        assert r.rc == -9, (what, r)
        pending = json.loads((d / "state.json").read_text()).get("pending")
        if kw.get("rename") == 2:
            assert pending is None, what
        elif target == "r.jsonl":
            assert (d / "r.jsonl").stat().st_size == kw["after"], what
            assert not (d / "d.jsonl").exists() or \
                (d / "d.jsonl").stat().st_size == 0, what
        else:
            assert pending["discoveries"]["lines"] == want_d.decode(), what
            assert (d / "d.jsonl").stat().st_size == kw.get("after",
                len(want_d)), what
        r = run(d)
        assert r.rc == 0, (what, r)
        assert (d / "r.jsonl").read_bytes() == want_r, what
        assert (d / "d.jsonl").read_bytes() == want_d, what
        assert "pending" not in json.loads((d / "state.json").read_text())


@pytest.mark.slow
def test_random_kills_while_writing_then_a_clean_run(bt, sim, tmp_path,
        failio):
    """Kills at random instants of the write phase (a random byte of the
    records or discoveries append, or a random state save), with new
    calls arriving between polls; then a clean poll. Every record and
    every discovery is in its file once, and an independent replay of the
    records gives the same discoveries."""
    rng = random.Random(23)
    out, disc = tmp_path / "out.jsonl", tmp_path / "disc.jsonl"
    cfg = bt.config("discoveries_output: %s\nmodels_allowed: "
        "[\"anthropic.*\", \"amazon.*\"]\n" % disc)
    cmd = ["-c", cfg, "-r", "us-east-1,us-west-2", "poll", "-o", out]
    people = ["p%d" % i for i in range(8)]
    models = [CLAUDE, TITAN, LLAMA, "mistral.mistral-large-2402-v1:0",
        "anthropic.claude-v2", "cohere.command-r-v1:0"]
    killed = 0
    for i in range(30):
        now = sim.clock()
        for region in ("us-east-1", "us-west-2"):
            sim.add_events(region, [call(now - rng.randint(5, 600),
                rng.choice(models), rng.choice(people))
                for _ in range(rng.randint(0, 6))])
        size = lambda p: p.stat().st_size if p.exists() else 0
        target = rng.choice(["state", "records", "disc"])
        if target == "state":
            env = failio(bt.state_path, rename=rng.randint(2, 5), kill=True)
        elif target == "records":
            env = failio(out, after=rng.randint(0, 1500), kill=True)
        else:
            env = failio(disc, after=rng.randint(0, 600), kill=True)
        r = bt(cmd, env=env)
        assert r.rc in (0, -9), r
        killed += r.rc == -9
    assert killed >= 10
    r = bt(cmd)
    assert r.rc == 0, r
    recs = records(out)
    want = set(sim.expected_ids("us-east-1")) | set(
        sim.expected_ids("us-west-2"))
    assert sorted(x["eventID"] for x in recs) == sorted(want)
    got = lines(disc)
    assert len({json.dumps(d, sort_keys=True) for d in got}) == len(got)
    ids = {x["eventID"] for x in recs}
    assert all(d["eventID"] in ids for d in got)
    assert strip(got) == disc_reference.discoveries(recs,
        ["anthropic.*", "amazon.*"])
    assert {d["discovery"] for d in got} == {"new_model", "new_principal",
        "new_principal_model", "new_region", "unapproved_model"}
