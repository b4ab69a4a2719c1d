"""Messages as a log: a time at the start of each line when stderr is not
a terminal, none on a terminal; --log-format json (and log_format) with one
JSON object per line; summaries whose figures agree with -v."""

import json
import os
import pty
import re
import subprocess

import simctl

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")
FIELDS = ["time", "level", "account", "region", "message"]
FIGURES = ["pages", "events", "fetched", "already_written", "filtered",
    "models", "principals", "seconds"]


def json_lines(err):
    """Every stderr line parsed as JSON; a line that is not JSON fails."""
    objs = []
    for line in err.splitlines():
        o = json.loads(line)
        assert isinstance(o, dict), line
        assert list(o)[:5] == FIELDS, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", o["time"])
        objs.append(o)
    assert objs, "no stderr at all"
    return objs


def on_a_pty(bt, args):
    master, slave = pty.openpty()
    p = subprocess.Popen([str(bt.binary), "-c", str(bt.default_config)] +
        args, env=bt.env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=slave)
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
    rc = p.wait(60)
    os.close(master)
    return rc, seen.decode().replace("\r\n", "\n")


def test_each_line_starts_with_the_utc_time_when_stderr_is_a_pipe(bt, sim):
    r = bt(["poll", "-r", "US East"])
    assert r.rc == 78
    lines = r.raw_err.splitlines()
    assert lines and all(STAMP.match(l) for l in lines), r.raw_err
    assert r.err.splitlines()[0].startswith("-r: invalid region 'US East'")


def test_no_time_on_a_terminal(bt, sim):
    rc, seen = on_a_pty(bt, ["-q", "poll", "-r", "US East"])
    assert rc == 78
    assert seen.startswith("-r: invalid region 'US East'"), seen
    assert not STAMP.search(seen), seen


def test_summary_counts_agree_with_the_verbose_page_lines(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 600, end=now - 60, count=15, seed=3,
        delay_max=0)
    first = bt(["poll"])
    assert first.rc == 0, first
    # The second poll's window overlaps the first: the same 15 events
    # come back, and none is written again.
    sim.advance(60)
    again = bt(["-v", "poll"])
    assert again.rc == 0 and again.out == "", again
    pages = [l for l in again.err.splitlines() if " page 1: " in l]
    assert pages == ["us-east-1: bedrock.amazonaws.com page 1: 15 events"], \
        again.err
    summary = again.err.splitlines()[-1]
    assert re.fullmatch(r"us-east-1: \S+ to \S+, 1 page, 15 events fetched, "
        r"0 written, 15 already written, 0 models, 0 principals, "
        r"\d+\.\d s", summary), summary


def test_one_event_and_filtered_events_are_said_so(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 3 * 3600, end=now - 1200, count=1, seed=4,
        delay_max=0)
    name = sim.events("us-east-1")
    cfg = bt.config("event_names: [NotThis]\n")
    r = bt(["-c", cfg, "poll"])
    assert r.rc == 0 and r.out == "", r
    assert re.fullmatch(r"us-east-1: \S+ to \S+, 1 page, 1 event fetched, "
        r"0 written, 0 already written, 1 filtered out, 0 models, "
        r"0 principals, \d+\.\d s\n", r.err), (name, r.err)


def test_json_lines_of_a_successful_poll(bt, sim):
    now = sim.clock()
    sim.generate(start=now - 3 * 3600, end=now - 1200, count=12, seed=5,
        delay_max=0)
    r = bt(["--log-format", "json", "-v", "poll"])
    assert r.rc == 0 and len(r.records) == 12, r
    objs = json_lines(r.raw_err)
    assert all(o["account"] is None for o in objs)
    summary = objs[-1]
    assert summary["level"] == "info" and summary["region"] == "us-east-1"
    assert summary["message"].startswith("us-east-1: "), summary
    assert ", 1 page, 12 events fetched, 12 written, " in summary["message"]
    assert {k: summary[k] for k in FIGURES[:5]} == {"pages": 1,
        "events": 12, "fetched": 12, "already_written": 0, "filtered": 0}
    models = {x["modelName"] for x in r.records} - {None}
    assert summary["models"] == len(models)
    assert isinstance(summary["seconds"], (int, float))
    assert any(o["level"] == "debug" and o["region"] == "us-east-1" and
        " page 1: 12 events" in o["message"] for o in objs), objs


def test_json_lines_of_a_failing_unit(bt, sim):
    r = bt(["--log-format", "json", "poll"], env={
        "AWS_ACCESS_KEY_ID": simctl.DENIED_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.DENIED_SECRET})
    assert r.rc == 77 and r.out == "", r
    objs = json_lines(r.raw_err)
    assert objs[0]["level"] == "error" and objs[0]["region"] == "us-east-1"
    assert objs[0]["message"] == \
        "Invalid credentials or insufficient permissions"
    assert objs[1]["message"].startswith("region us-east-1: "
        "AccessDeniedException: "), objs


def test_json_lines_of_a_usage_error(bt, sim):
    r = bt(["poll", "--log-format", "json", "--outptu", "x"])
    assert r.rc == 64
    objs = json_lines(r.raw_err)
    assert [(o["level"], o["region"], o["message"]) for o in objs] == [
        ("error", None, "usage error: unknown option --outptu"),
        ("error", None, "did you mean '--output'?"),
        ("error", None, "Try 'bedrock-trail --help'.")]


def test_log_format_from_the_config_file(bt, sim):
    cfg = bt.config("log_format: json\n")
    r = bt(["-c", cfg, "poll", "-r", "us-east-1", "--since", "1h"])
    assert r.rc == 0, r
    objs = json_lines(r.raw_err)
    assert objs[-1]["message"].startswith("us-east-1: ")
    # The command line wins over the file.
    r = bt(["-c", cfg, "--log-format", "text", "poll", "--since", "1h"])
    assert r.rc == 0 and r.err.startswith("us-east-1: "), r


def test_bad_log_format_is_a_usage_or_config_error(bt, sim):
    r = bt(["--log-format", "xml", "status"])
    assert r.rc == 64
    assert r.err == "usage error: --log-format must be text or json, not " \
        "xml\nTry 'bedrock-trail --help'.\n", r.err
    cfg = bt.config("log_format: yaml\n")
    r = bt(["-c", cfg, "status"])
    assert r.rc == 78
    assert r.err == "%s: invalid log_format 'yaml': use text or json\n" % \
        cfg, r.err
