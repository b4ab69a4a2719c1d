"""Where `report` reads when no FILE is given: a pipe on stdin as before;
at a terminal, the configured output with its rotations (plain and gzip,
oldest first). And `report | head -1` ends quietly with status 0."""

import gzip
import json
import os
import pty
import subprocess

from conftest import strip_timestamps


def rec(i, model="anthropic.claude-3-haiku-20240307-v1:0", day=1):
    return json.dumps({"eventID": "id-%06d" % i,
        "eventTime": "2026-11-%02dT07:00:00Z" % day,
        "eventName": "InvokeModel", "eventSource": "bedrock.amazonaws.com",
        "awsRegion": "us-east-1", "recipientAccountId": "123456789012",
        "modelId": model, "modelName": model, "modelProvider": None,
        "userIdentity": {"type": "IAMUser", "arn":
            "arn:aws:iam::123456789012:user/u%d" % (i % 7)},
        "errorCode": None}) + "\n"


def run_on_a_pty_stdin(bt, args, cfg):
    """report with a terminal on stdin, stdout and stderr to pipes."""
    master, slave = pty.openpty()
    try:
        p = subprocess.run([str(bt.binary), "-c", str(cfg)] + args,
            env=bt.env(), stdin=slave, capture_output=True, timeout=60,
            cwd=str(bt.tmp))
    finally:
        os.close(slave)
        os.close(master)
    return p.returncode, p.stdout.decode(), strip_timestamps(
        p.stderr.decode())


def test_no_file_at_a_terminal_reads_the_output_and_its_rotations(bt,
        tmp_path):
    out = tmp_path / "records.jsonl"
    with gzip.open(str(out) + ".3.gz", "wt") as f:
        f.writelines(rec(i, day=1) for i in range(0, 5))
    with gzip.open(str(out) + ".2.gz", "wt") as f:
        f.writelines(rec(i, day=2) for i in range(5, 9))
    (tmp_path / "records.jsonl.1").write_text("".join(rec(i, day=3)
        for i in range(9, 12)))
    out.write_text("".join(rec(i, day=4) for i in range(12, 14)))
    cfg = bt.config("output: %s\n" % out)
    rc, stdout, err = run_on_a_pty_stdin(bt, ["-v", "report", "--format",
        "json"], cfg)
    assert rc == 0, err
    res = json.loads(stdout)
    assert res["records"] == 14 and res["malformed"] == 0
    assert res["models"][0]["firstSeen"] == "2026-11-01T07:00:00Z"
    assert res["models"][0]["lastSeen"] == "2026-11-04T07:00:00Z"
    # Oldest first, as the rotations were written.
    assert err.splitlines() == ["reading %s.3.gz" % out,
        "reading %s.2.gz" % out, "reading %s.1" % out, "reading %s" % out]


def test_no_file_at_a_terminal_without_an_output_file_is_a_usage_error(bt):
    rc, stdout, err = run_on_a_pty_stdin(bt, ["report"], bt.default_config)
    assert (rc, stdout) == (64, "")
    assert err == ("usage error: no FILE given and no output file "
        "configured: name a file, set 'output' in %s, or pipe records in\n"
        % bt.default_config)


def test_no_file_at_a_terminal_and_no_output_yet(bt, tmp_path):
    out = tmp_path / "records.jsonl"
    cfg = bt.config("output: %s\n" % out)
    rc, stdout, err = run_on_a_pty_stdin(bt, ["report"], cfg)
    assert (rc, stdout) == (66, "")
    assert err == "%s: cannot open: No such file or directory\n" % out


def test_a_pipe_on_stdin_is_read_as_before(bt, tmp_path):
    out = tmp_path / "records.jsonl"
    out.write_text(rec(1))
    cfg = bt.config("output: %s\n" % out)
    r = bt(["-c", cfg, "report", "--format", "json"],
        input=rec(2) + rec(3))
    assert r.rc == 0 and r.err == "", r
    assert json.loads(r.out)["records"] == 2


def test_gzip_files_named_on_the_command_line(bt, tmp_path):
    gz = tmp_path / "old.jsonl.gz"
    with gzip.open(str(gz), "wt") as f:
        f.writelines(rec(i) for i in range(20))
    r = bt(["report", "--format", "json", gz])
    assert r.rc == 0 and r.err == "", r
    assert json.loads(r.out)["records"] == 20


def test_a_truncated_gzip_file_is_a_read_error(bt, tmp_path):
    gz = tmp_path / "cut.jsonl.gz"
    data = gzip.compress("".join(rec(i) for i in range(2000)).encode())
    gz.write_bytes(data[:len(data) // 2])
    r = bt(["report", "--format", "json", gz])
    assert r.rc == 74, r
    # The cut leaves half a line: counted as malformed, as it is.
    assert r.err.splitlines() == [
        "%s: corrupt gzip data: unexpected end of file" % gz,
        "%s:954: malformed record: not JSON" % gz,
        "%s: cannot read: Input/output error" % gz,
        "1 malformed line skipped"], r.err


def test_report_into_head_ends_quietly(bt, tmp_path):
    # Enough principal rows that the output is far bigger than a pipe's
    # buffer: report is still writing when head has gone.
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"eventTime": "2026-11-01T00:00:00Z",
        "modelName": "m", "userIdentity": {"arn": "arn:aws:iam::1:user/"
        "user-%06d" % i}}) + "\n" for i in range(20000)))
    p = subprocess.run("set -o pipefail; '%s' report --format csv '%s' | "
        "head -1" % (bt.binary, big), shell=True, executable="/bin/bash",
        capture_output=True, env=bt.env(), timeout=60)
    assert (p.returncode, p.stderr, p.stdout) == (0, b"",
        b"section,modelName,principal,calls,errors,principals,regions,"
        b"firstSeen,lastSeen\r\n"), p
