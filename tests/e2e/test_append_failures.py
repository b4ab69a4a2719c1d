"""The exactly-once append when the disk fails under it (issue 10,
defect 1): an append that fails and whose rollback fails too must keep its
pending record, so that the next poll cuts the partial batch off instead of
appending the whole batch after half a line."""

import json

import test_poll as tp
from failio import failio  # noqa: F401 (a fixture)


def test_failed_rollback_keeps_the_pending_record(bt, sim, tmp_path,
        failio):
    now = sim.clock()
    sim.generate(start=now - 3600, end=now - 60, count=30, seed=5,
        delay_max=0)
    out = (tmp_path / "out.jsonl").resolve()
    r = bt(["poll", "-o", out], env=failio(out, after=100, truncate=True))
    assert r.rc == 74, r
    assert r.err.splitlines()[:3] == [
        "%s: cannot write output: No space left on device" % out,
        "%s: cannot cut off a partial batch: Operation not permitted" % out,
        "the partial batch stays recorded in %s for the next poll to "
        "cut off" % bt.state_path], r
    assert out.stat().st_size == 100
    state = json.loads(bt.state_path.read_text())
    assert state["pending"]["output"] == str(out), state
    assert state["pending"]["offset"] == 0, state
    assert "cursor" not in state["accounts"]["123456789012"]["regions"]["us-east-1"], state

    r = bt(["poll", "-o", out])
    assert r.rc == 0, r
    assert out.read_text().splitlines() == tp.expected_lines(
        tp.full_events(sim))
    assert "pending" not in json.loads(bt.state_path.read_text())


def test_failed_append_with_rollback_writes_nothing(bt, sim, tmp_path,
        failio):
    now = sim.clock()
    sim.generate(start=now - 3600, end=now - 60, count=30, seed=6,
        delay_max=0)
    out = (tmp_path / "out.jsonl").resolve()
    r = bt(["poll", "-o", out], env=failio(out, after=100))
    assert r.rc == 74, r
    assert r.err.splitlines()[0] == \
        "%s: cannot write output: No space left on device" % out, r
    assert out.read_bytes() == b""
    state = json.loads(bt.state_path.read_text())
    assert "pending" not in state and \
        "cursor" not in state["accounts"].get("123456789012", {}).get(
            "regions", {}).get("us-east-1", {}), state
    r = bt(["poll", "-o", out])
    assert r.rc == 0, r
    assert out.read_text().splitlines() == tp.expected_lines(
        tp.full_events(sim))


def events(sim, seed):
    now = sim.clock()
    sim.generate(start=now - 3600, end=now - 60, count=30, seed=seed,
        delay_max=0)


# The saves of a poll to a file: 1 proves the state writable, 2 announces
# the append (the pending record), 3 commits it.

def test_a_failed_announcement_writes_nothing(bt, sim, tmp_path, failio):
    events(sim, 8)
    out = (tmp_path / "out.jsonl").resolve()
    r = bt(["poll", "-o", out], env=failio(bt.state_path, rename=2))
    assert r.rc == 73, r
    assert r.err.splitlines()[0] == "%s: cannot write state file: " \
        "Input/output error" % bt.state_path, r
    assert out.read_bytes() == b""
    state = json.loads(bt.state_path.read_text())
    assert "pending" not in state and \
        "cursor" not in state["accounts"].get("123456789012", {}).get(
            "regions", {}).get("us-east-1", {}), state
    r = bt(["poll", "-o", out])
    assert r.rc == 0, r
    assert out.read_text().splitlines() == tp.expected_lines(
        tp.full_events(sim))


def test_a_failed_commit_is_rolled_forward_by_the_next_poll(bt, sim,
        tmp_path, failio):
    events(sim, 9)
    out = (tmp_path / "out.jsonl").resolve()
    want = tp.expected_lines(tp.full_events(sim))
    r = bt(["poll", "-o", out], env=failio(bt.state_path, rename=3))
    assert r.rc == 73, r
    assert r.err.splitlines()[0] == "%s: cannot write state file: " \
        "Input/output error" % bt.state_path, r
    assert out.read_text().splitlines() == want
    state = json.loads(bt.state_path.read_text())
    assert state["pending"]["output"] == str(out), state
    r = bt(["-v", "poll", "-o", out])
    assert r.rc == 0, r
    assert "recovered an interrupted append to %s (complete)" % out in r.err
    assert out.read_text().splitlines() == want
    state = json.loads(bt.state_path.read_text())
    assert "pending" not in state and \
        "cursor" in state["accounts"]["123456789012"]["regions"]["us-east-1"], state
