"""poll against the simulator: records, windows and state, paging, rate,
a failing region, the lock, and the exactly-once guarantee under SIGKILL.
The fault matrix is in test_faults.py."""

import calendar
import json
import os
import random
import re
import signal
import stat
import subprocess
import time

import pytest

import reference

DAY = 86400
T0 = calendar.timegm((2026, 11, 24, 7, 0, 0))



def lookups(sim):
    """The LookupEvents requests the simulator saw (not STS's)."""
    return [q for q in sim.stats() if q.get("action") == "LookupEvents"]

def at(epoch):
    return time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def full_events(sim, region="us-east-1", source="bedrock.amazonaws.com"):
    return [e["record"] for e in sim.events(region, source, full=True)]


def expected_lines(events, extra=(), names=None):
    evs = [e for e in events if names is None or e["eventName"] in names]
    evs.sort(key=lambda e: (calendar.timegm(time.strptime(
        e["eventTime"], "%Y-%m-%dT%H:%M:%SZ")), e["eventID"]))
    return [reference.line(e, extra) for e in evs]


def ids(lines):
    return [json.loads(l)["eventID"] for l in lines]


def test_records_match_the_spec_for_every_identity_and_model_form(bt, sim):
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 20 * 3600, end=now - 1800,
        count=400, seed=1, other_sources=True, delay_max=0)
    r = bt(["poll"])
    assert r.rc == 0, r
    want = expected_lines(full_events(sim))
    assert r.out.splitlines() == want
    recs = r.records
    types = {x["userIdentity"]["type"] for x in recs}
    assert {"IAMUser", "AssumedRole", "Root", "FederatedUser",
        "AWSService"} <= types
    forms = {x["modelId"].split(":")[5].split("/")[0] if x["modelId"] and
        x["modelId"].startswith("arn:") else "id" for x in recs}
    assert {"id", "foundation-model", "inference-profile",
        "application-inference-profile", "provisioned-model"} <= forms
    assert all(x["eventSource"] == "bedrock.amazonaws.com" for x in recs)


def test_extra_fields_and_event_names(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 3600 * 5, end=now - 600, count=200, seed=2,
        delay_max=0)
    cfg = bt.config("extra_fields: [userAgent, inferenceRegion, "
        "sourceIPAddress]\nevent_names: [InvokeModel, Converse]\n")
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 0, r
    extra = ("userAgent", "inferenceRegion", "sourceIPAddress")
    want = expected_lines(full_events(sim), extra, {"InvokeModel", "Converse"})
    assert want and r.out.splitlines() == want


def test_no_payload_ever_reaches_output_logs_or_state(bt, sim, tmp_path):
    now = sim.clock()
    sim.generate(start=now - 7200, end=now - 60, count=300, seed=3,
        markers=True, delay_max=0)
    assert "PAYLOAD-MARKER" in json.dumps(full_events(sim))
    out = tmp_path / "out.jsonl"
    r = bt(["-v", "poll", "-o", out])
    assert r.rc == 0, r
    for text in (out.read_text(), r.out, r.err, bt.state_path.read_text()):
        assert "PAYLOAD-MARKER" not in text
    assert len(out.read_text().splitlines()) == 300


def test_other_event_sources_never_appear(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 7200, end=now - 60, count=50, seed=4,
        other_sources=True, delay_max=0)
    sim.generate(start=now - 7200, end=now - 60, count=30, seed=5,
        event_source="bedrock-mantle.amazonaws.com", delay_max=0)
    r = bt(["poll"])
    assert r.rc == 0 and len(r.records) == 50, r
    cfg = bt.config("event_sources: [bedrock.amazonaws.com, "
        "bedrock-mantle.amazonaws.com]\n")
    r = bt(["-c", cfg, "poll", "--since", "3h"])
    assert r.rc == 0 and len(r.records) == 80, r
    assert [x["eventTime"] for x in r.records] == sorted(
        x["eventTime"] for x in r.records)


def test_first_poll_covers_24h_and_the_next_starts_at_the_cursor(bt, sim):
    sim.set_clock(T0)
    sim.generate(start=T0 - 30 * 3600, end=T0 - 60, count=300, seed=6,
        delay_max=0)
    r = bt(["poll"], faketime=at(T0))
    assert r.rc == 0, r
    assert set(ids(r.out.splitlines())) == set(
        sim.expected_ids("us-east-1", start=T0 - DAY, end=T0 + 5))
    assert "2026-11-23T07:00:0" in r.err
    state = json.loads(bt.state_path.read_text())
    assert state["accounts"]["123456789012"]["regions"]["us-east-1"]["cursor"].startswith(
        "2026-11-24T07:00:0")
    sim.set_clock(T0 + DAY)
    sim.generate(start=T0 + 60, end=T0 + DAY - 60, count=100, seed=7,
        delay_max=0)
    r2 = bt(["poll"], faketime=at(T0 + DAY))
    assert r2.rc == 0, r2
    assert "2026-11-24T06:45:0" in r2.err
    assert len(r2.records) == 100


@pytest.mark.slow
def test_seven_daily_polls_emit_every_late_event_exactly_once(bt, sim):
    sim.set_clock(T0)
    # Events right up to each poll, delivered 1 to 15 minutes late.
    sim.generate(start=T0 - DAY, end=T0 + 7 * DAY, count=1500, seed=8,
        delay_max=900)
    got = []
    for day in range(8):
        sim.set_clock(T0 + day * DAY)
        r = bt(["poll"], faketime=at(T0 + day * DAY))
        assert r.rc == 0, r
        got += ids(r.out.splitlines())
    sim.set_clock(T0 + 7 * DAY + 1200)
    r = bt(["poll"], faketime=at(T0 + 7 * DAY + 1200))
    got += ids(r.out.splitlines())
    assert len(got) == len(set(got)), "duplicates"
    want = set(sim.expected_ids("us-east-1", start=T0 - DAY,
        end=T0 + 7 * DAY))
    assert set(got) == want


def test_paging_through_thousands_of_events(bt, sim):
    now = sim.clock()
    sim.config(rate_limit=0)
    sim.generate(start=now - 20 * 3600, end=now - 60, count=4000, seed=9,
        delay_max=0)
    cfg = bt.config("max_requests_per_second: 50\n")
    r = bt(["-c", cfg, "poll"], timeout=120)
    assert r.rc == 0, r
    got = ids(r.out.splitlines())
    assert len(got) == 4000 and len(set(got)) == 4000
    assert ", 80 pages, 4000 events fetched, 4000 written, 0 already " \
        "written, " in r.err, r.err


def test_cursor_older_than_90_days_is_clamped_with_a_warning(bt, sim):
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ",
        time.gmtime(time.time() - 120 * DAY))
    bt.state_path.parent.mkdir(parents=True, exist_ok=True)
    bt.state_path.write_text(json.dumps({"version": 1, "regions": {
        "us-east-1": {"cursor": old, "seen": []}}}))
    now = sim.clock()
    sim.generate(start=now - 89 * DAY, end=now - 60, count=100, seed=10,
        delay_max=0)
    r = bt(["poll"])
    assert r.rc == 0, r
    assert "90 days" in r.err and "skipped" in r.err
    assert len(r.records) == 100


def test_since_until_neither_reads_nor_writes_the_state(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 10 * 3600, end=now - 60, count=120, seed=11,
        delay_max=0)
    assert bt(["poll"]).rc == 0
    before = bt.state_path.read_bytes()
    r = bt(["poll", "--since", "12h", "--until",
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))])
    assert r.rc == 0 and len(r.records) == 120, r
    assert bt.state_path.read_bytes() == before


def test_since_until_usage_errors(bt, sim):
    for args in (["--since", "yesterday"], ["--until", "1h"],
            ["--since", "1h", "--until", "2h"]):
        r = bt(["poll"] + args)
        assert r.rc == 64 and r.err.startswith("usage error"), r


def requests_in_any_second(reqs, region):
    ts = sorted(q["t"] for q in reqs if q["region"] == region)
    return max((sum(1 for u in ts if t <= u < t + 1.0) for t in ts),
        default=0)


def test_random_throttling_loses_nothing_and_the_limit_holds(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 5 * 3600, end=now - 60, count=600, seed=12,
        delay_max=0)
    sim.config(throttle_probability=0.3)
    r = bt(["poll"], timeout=240)
    assert r.rc == 0, r
    got = ids(r.out.splitlines())
    assert len(got) == 600 and len(set(got)) == 600
    reqs = lookups(sim)
    assert any(q["error"] == "ThrottlingException" for q in reqs)
    assert requests_in_any_second(reqs, "us-east-1") <= 2


def test_one_failing_region_does_not_stop_the_others(bt, sim):
    now = sim.clock()
    for region in ("us-east-1", "eu-west-1"):
        sim.generate(region=region, start=now - 3600, end=now - 60,
            count=40, seed=14, delay_max=0)
    sim.faults([{"kind": "malformed", "region": "eu-west-1", "count": 10}])
    r = bt(["-r", "us-east-1,eu-west-1", "poll"])
    assert r.rc == 65, r
    assert {x["awsRegion"] for x in r.records} == {"us-east-1"}
    state = json.loads(bt.state_path.read_text())
    assert "cursor" in state["accounts"]["123456789012"]["regions"]["us-east-1"]
    assert "cursor" not in state["accounts"]["123456789012"]["regions"].get("eu-west-1", {})


def test_expired_credentials_fail_poll_with_77(bt, sim):
    import simctl
    r = bt(["poll"], env={"AWS_ACCESS_KEY_ID": simctl.EXPIRED_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.EXPIRED_SECRET,
        "AWS_SESSION_TOKEN": simctl.EXPIRED_TOKEN})
    assert r.rc == 77 and r.err.startswith(
        "Invalid credentials or insufficient permissions"), r
    assert simctl.EXPIRED_SECRET not in r.err


def test_a_held_lock_exits_75_naming_the_holder(bt, sim):
    import fcntl
    bt.state_path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(str(bt.state_path) + ".lock", "w")
    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        r = bt(["poll"])
    finally:
        lock.close()
    assert r.rc == 75, r
    assert "pid %d" % os.getpid() in r.err
    assert bt(["poll"]).rc == 0


def test_two_concurrent_polls_one_exits_75(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 3600, end=now - 60, count=200, seed=15,
        delay_max=0)
    cfg = bt.config("")
    procs = [subprocess.Popen([str(bt.binary), "-c", str(cfg), "poll"],
        env=bt.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)]
    rcs = sorted(p.wait(60) for p in procs)
    errs = [p.stderr.read().decode() for p in procs]
    assert any("another poll is running (pid " in e for e in errs), errs
    assert rcs == [0, 75]


def test_corrupt_state_exits_65_and_leaves_it_alone(bt, sim):
    bt.state_path.parent.mkdir(parents=True, exist_ok=True)
    bt.state_path.write_bytes(b'{"version":1,"regions":{"us-east-1":')
    r = bt(["poll"])
    assert r.rc == 65, r
    assert str(bt.state_path) in r.err.splitlines()[0]
    assert bt.state_path.read_bytes() == b'{"version":1,"regions":{"us-east-1":'
    assert sim.stats() == []


def test_created_files_are_private(bt, sim, tmp_path):
    now = sim.clock()
    sim.generate(start=now - 3600, end=now - 60, count=10, seed=16,
        delay_max=0)
    out = tmp_path / "new-dir-out.jsonl"
    assert bt(["poll", "-o", out]).rc == 0
    for p in (out, bt.state_path):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


@pytest.mark.slow
def test_sigkill_at_random_instants_never_duplicates_or_loses(bt, sim,
        tmp_path):
    now = sim.clock()
    sim.config(rate_limit=0, page_size_max=7)
    sim.generate(start=now - 6 * 3600, end=now - 60, count=700, seed=17,
        delay_max=0)
    cfg = bt.config("max_requests_per_second: 100\n")
    out = tmp_path / "out.jsonl"
    rng = random.Random(17)
    cmd = [str(bt.binary), "-c", str(cfg), "-q", "poll", "-o", str(out)]
    for _ in range(50):
        p = subprocess.Popen(cmd, env=bt.env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 1.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
    r = bt(["-c", cfg, "poll", "-o", out], timeout=120)
    assert r.rc == 0, r
    data = out.read_text()
    assert data == "" or data.endswith("\n")
    got = ids(data.splitlines())
    assert len(got) == len(set(got)), "duplicates"
    assert set(got) == set(sim.expected_ids("us-east-1"))


@pytest.mark.slow
def test_three_regions_take_about_as_long_as_one(bt, sim):
    now = sim.clock()
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    for region in regions:
        sim.generate(region=region, start=now - 3600, end=now - 60,
            count=500, seed=18, delay_max=0)
    t = time.monotonic()
    r1 = bt(["-r", regions[0], "poll", "--since", "2h"])
    one = time.monotonic() - t
    assert requests_in_any_second(lookups(sim), regions[0]) <= 2
    sim.reset_stats()
    t = time.monotonic()
    r3 = bt(["-r", ",".join(regions), "poll", "--since", "2h"])
    three = time.monotonic() - t
    assert r1.rc == 0 and r3.rc == 0
    assert len(r3.records) == 1500
    # Concurrent, not one after another: every region starts before any
    # region finishes. Then the wall time, loosely (the machine is shared).
    reqs = lookups(sim)
    spans = [[q["t"] for q in reqs if q["region"] == region]
        for region in regions]
    assert max(min(s) for s in spans) < min(max(s) for s in spans)
    assert three < 1.8 * one, (one, three)
    for region in regions:
        assert requests_in_any_second(reqs, region) <= 2


def test_progress_on_a_terminal_and_none_when_piped(bt, sim):
    import pty
    now = sim.clock()
    sim.generate(start=now - 3 * 3600, end=now - 60, count=150, seed=19,
        delay_max=0)
    master, slave = pty.openpty()
    p = subprocess.Popen([str(bt.binary), "-c", str(bt.default_config),
        "poll"], env=bt.env(), stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert p.wait(60) == 0
    os.close(master)
    assert b"\r\x1b[Kus-east-1: " in seen and re.search(rb" pages?, ", seen), \
        seen
    r = bt(["poll", "--since", "4h"])
    assert r.rc == 0 and "\r" not in r.err, r
