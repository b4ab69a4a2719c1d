"""max_run_time bounds a poll (issue 10, defect 7): a run still going at
the deadline stops its unfinished regions cleanly (no records, cursors
kept, each named) and exits 75, so that tomorrow's cron run is not the one
that finds the lock held."""

import json
import time

LIMIT = 2


def test_unfinished_regions_fail_at_the_deadline(bt, sim, tmp_path):
    now = sim.clock()
    sim.config(rate_limit=0, page_size_max=2)
    for region in ("us-east-1", "eu-west-1"):
        sim.generate(region=region, start=now - 3600, end=now - 60,
            count=20, seed=7, delay_max=0)
    # Every us-east-1 page takes a second: ten pages outlast the limit.
    sim.faults([{"kind": "slow", "seconds": 1, "region": "us-east-1",
        "count": 100}])
    cfg = bt.config("max_run_time: %ds\nmax_requests_per_second: 100\n"
        % LIMIT)
    out = tmp_path / "out.jsonl"
    t = time.monotonic()
    r = bt(["-c", cfg, "-r", "us-east-1,eu-west-1", "poll", "-o", out])
    took = time.monotonic() - t
    assert r.rc == 75, r
    assert took < LIMIT + 1.5, took
    # Units that finished report as they commit; the failures follow.
    lines = r.err.splitlines()
    i = lines.index("poll stopped at max_run_time")
    assert lines[i:i + 2] == [
        "poll stopped at max_run_time",
        "region us-east-1: DeadlineExceeded: unfinished after 2s; its "
        "cursor stays where it was"], r
    got = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert sorted(got) == sorted(sim.expected_ids("eu-west-1"))
    state = json.loads(bt.state_path.read_text())
    assert "cursor" in state["accounts"]["123456789012"]["regions"]["eu-west-1"]
    assert "cursor" not in state["accounts"]["123456789012"]["regions"]["us-east-1"]


def test_max_run_time_is_checked(bt, sim):
    cfg = bt.config("max_run_time: 0s\n")
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 78, r
    assert r.err.splitlines()[0].startswith("%s:4:15: " % cfg), r
    assert "max_run_time" in r.err.splitlines()[0], r
