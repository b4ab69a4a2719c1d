"""report: every figure in every format against an independent jq
computation over generated records; malformed, empty and unreadable
input; several files and `-`; the --since/--until window; the 80-column
table; memory that does not grow with the number of records.

No simulator: the binary reads files and stdin only."""

import csv
import io
import json
import os
import pty
import random
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import strip_timestamps

REPO = Path(__file__).resolve().parents[2]
# make check-asan and check-valgrind point these at their builds.
BINARY = Path(os.environ.get("BEDROCK_TRAIL_BIN", REPO / "bedrock-trail"))
WRAPPER = os.environ.get("BEDROCK_TRAIL_WRAPPER", "").split()
SANITIZER_ENV = {k: v for k, v in os.environ.items()
    if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_IOERR = 64, 65, 66, 74

# (modelName, modelId, provider) with a weight: some hostile for CSV and
# the table (comma, quote, non-ASCII, longer than any column).
MODELS = [
    ("anthropic.claude-3-5-sonnet-20240620-v1:0",
     "us.anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic", 30),
    ("anthropic.claude-3-haiku-20240307-v1:0",
     "anthropic.claude-3-haiku-20240307-v1:0", "anthropic", 20),
    ("amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v2:0",
     "amazon", 15),
    ("meta.llama3-1-70b-instruct-v1:0",
     "arn:aws:bedrock:us-west-2::foundation-model/"
     "meta.llama3-1-70b-instruct-v1:0", "meta", 10),
    ("arn:aws:bedrock:eu-west-1:111122223333:application-inference-profile/"
     "abcd1234efgh5678ijkl", "arn:aws:bedrock:eu-west-1:111122223333:"
     "application-inference-profile/abcd1234efgh5678ijkl", None, 8),
    ("cohere.command-r-plus-v1:0", "cohere.command-r-plus-v1:0", "cohere", 5),
    (None, None, None, 6),
    ('custom, "quoted" model', 'custom, "quoted" model', None, 3),
    ("mod\u00e8le-\u00fcn\u00efcode-\u6a21\u578b", "mod\u00e8le", None, 3),
]

ACCOUNT = "123456789012"
LONG_ROLE = "a-very-long-role-name-that-will-not-fit-in-the-principal-column"


def principals():
    """userIdentity values, with every fallback report knows."""
    out = []
    for n in range(6):
        s = "i-0abc%04d" % n
        out.append({"type": "AssumedRole",
            "arn": "arn:aws:sts::%s:assumed-role/app/%s" % (ACCOUNT, s),
            "accountId": ACCOUNT, "principalId": "AROAEXAMPLE:" + s,
            "userName": s,
            "sessionIssuerArn": "arn:aws:iam::%s:role/app" % ACCOUNT})
    for u in ("alice", "bob", "carol"):
        out.append({"type": "IAMUser",
            "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, u),
            "accountId": ACCOUNT, "principalId": "AIDAEXAMPLE" + u,
            "userName": u, "sessionIssuerArn": None})
    out.append({"type": "AssumedRole",
        "arn": "arn:aws:sts::%s:assumed-role/%s/session-xyz" % (ACCOUNT,
            LONG_ROLE), "accountId": ACCOUNT, "principalId": "AROA:x",
        "userName": "session-xyz", "sessionIssuerArn": None})
    out.append({"type": "AWSService", "arn": None, "accountId": None,
        "principalId": None, "userName": "bedrock.amazonaws.com",
        "sessionIssuerArn": None})
    out.append({"type": "Root", "arn": None, "accountId": ACCOUNT,
        "principalId": ACCOUNT, "userName": None, "sessionIssuerArn": None})
    out.append(None)
    return out


REGIONS = ["us-east-1", "us-east-1", "us-west-2", "eu-west-1",
    "eu-central-1", "ap-northeast-1", None]
T_START = 1793491200	# 2026-11-01T00:00:00Z
SPAN = 30 * 86400


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def record(rng, who, t=None):
    name, mid, provider, _ = rng.choices(MODELS, [m[3] for m in MODELS])[0]
    err = rng.choice([None] * 12 + ["ValidationException",
        "ThrottlingException", "AccessDenied"])
    return {
        "eventID": "%032x" % rng.getrandbits(128),
        "eventTime": iso(T_START + rng.randrange(SPAN) if t is None else t),
        "eventName": rng.choice(["InvokeModel", "Converse",
            "InvokeModelWithResponseStream", "GetFoundationModel"]),
        "eventSource": "bedrock.amazonaws.com",
        "awsRegion": rng.choice(REGIONS),
        "recipientAccountId": ACCOUNT,
        "modelId": mid, "modelName": name, "modelProvider": provider,
        "userIdentity": rng.choice(who),
        "errorCode": err,
    }


def generate(n, seed):
    rng = random.Random(seed)
    who = principals()
    return [json.dumps(record(rng, who), ensure_ascii=False,
        separators=(",", ":")) + "\n" for _ in range(n)]


def write(path, lines):
    path.write_text("".join(lines), encoding="utf-8")
    return path


def run(args, input=None, stdout=None):
    if not BINARY.exists():
        pytest.fail("%s does not exist: run `make` first" % BINARY)
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
        "XDG_CONFIG_HOME": "/nonexistent", "XDG_STATE_HOME": "/nonexistent",
        "LANG": "C.UTF-8", "TZ": "UTC", **SANITIZER_ENV}
    p = subprocess.run(WRAPPER + [str(BINARY), "report"] +
        [str(a) for a in args],
        input=input.encode() if isinstance(input, str) else input,
        stdin=None if input is not None else subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=str(REPO), env=env, timeout=120)
    out = p.stdout.decode() if p.stdout is not None else ""
    return p.returncode, out, strip_timestamps(p.stderr.decode())


# The same figures, computed by jq from the records alone.
JQ_REPORT = r'''
def principal: .userIdentity.arn // .userIdentity.userName
    // .userIdentity.type // "(unknown)";
map(select(.eventTime >= $since and .eventTime < $until)
    | . + {m: (.modelName // "(none)"), p: principal}) as $recs
| ($recs | group_by(.m) | map({
    modelName: .[0].m,
    calls: length,
    errors: map(select(.errorCode != null)) | length,
    principals: map(.p) | unique | length,
    regions: map(.awsRegion | select(. != null)) | unique,
    firstSeen: map(.eventTime) | min,
    lastSeen: map(.eventTime) | max})
  | sort_by(-.calls, .modelName)) as $models
| ($models | to_entries | map({key: .value.modelName, value: .key})
  | from_entries) as $rank
| {models: $models,
   principals: ($recs | group_by([.m, .p])
     | map({principal: .[0].p, modelName: .[0].m, calls: length})
     | sort_by($rank[.modelName], -.calls, .principal)),
   records: ($recs | length),
   malformed: $malformed}
'''


def jq_expected(paths, since="", until="9999", malformed=0):
    p = subprocess.run(["jq", "-s", "-c", "--arg", "since", since, "--arg",
        "until", until, "--argjson", "malformed", str(malformed), JQ_REPORT]
        + [str(x) for x in paths], capture_output=True, check=True)
    return json.loads(p.stdout)


def cut(s, width, end=False):
    """The documented cut: keep the start and the end around "...", two
    thirds from the end for the model column."""
    if len(s) <= width:
        return s
    tail = (width - 3) * 2 // 3 if end else (width - 3) // 2
    return s[:width - 3 - tail] + "..." + s[len(s) - tail:]


def parse_table(out):
    """The table back into the JSON shape (names as displayed)."""
    lines = out.split("\n")
    assert lines[0] == "Models"
    assert lines[1].split() == ["MODEL", "CALLS", "ERRORS", "PRINCIPALS"]
    models, i = [], 2
    while lines[i] != "":
        if lines[i] == "no records":
            i += 1
            continue
        name, nums = lines[i][:44].rstrip(), lines[i][44:].split()
        i += 1
        assert lines[i].startswith("    regions ")
        text = lines[i][12:]
        while lines[i + 1].startswith(" " * 12):
            i += 1
            text += " " + lines[i][12:]
        regions = [] if text == "none" else text.split(", ")
        m = re.fullmatch(r"    first seen (\S+)   last seen (\S+)",
            lines[i + 1])
        assert m, lines[i + 1]
        models.append({"modelName": name, "calls": int(nums[0]),
            "errors": int(nums[1]), "principals": int(nums[2]),
            "regions": regions, "firstSeen": m[1], "lastSeen": m[2]})
        i += 2
    assert lines[i + 1] == "Principals by model"
    assert lines[i + 2] == "     CALLS  PRINCIPAL"
    rows, model, i = [], None, i + 3
    while lines[i] != "":
        m = re.fullmatch(r" *(\d+)  (.*)", lines[i])
        if lines[i] == "no records":
            pass
        elif m and lines[i].startswith("  "):
            rows.append({"principal": m[2], "modelName": model,
                "calls": int(m[1])})
        else:
            model = lines[i]
        i += 1
    m = re.fullmatch(r"(\d+) records?, (\d+) models?", lines[i + 1])
    assert m and lines[i + 2:] == [""], lines[i:]
    return {"models": models, "principals": rows, "records": int(m[1]),
        "nmodels": int(m[2])}


def as_displayed(exp):
    """What the table shows of the expected figures."""
    return {
        "models": [dict(m, modelName=cut(m["modelName"], 44, end=True))
            for m in exp["models"]],
        "principals": [{"principal": cut(p["principal"], 68),
            "modelName": cut(p["modelName"], 80), "calls": p["calls"]}
            for p in exp["principals"]],
        "records": exp["records"], "nmodels": len(exp["models"]),
    }


def parse_csv(out):
    assert out == "" or out.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == ["section", "modelName", "principal", "calls",
        "errors", "principals", "regions", "firstSeen", "lastSeen"]
    models, prins = [], []
    for r in rows[1:]:
        if r[0] == "model":
            assert r[2] == ""
            models.append({"modelName": r[1], "calls": int(r[3]),
                "errors": int(r[4]), "principals": int(r[5]),
                "regions": r[6].split(" ") if r[6] else [],
                "firstSeen": r[7], "lastSeen": r[8]})
        else:
            assert r[0] == "principal" and r[4:] == [""] * 5, r
            prins.append({"principal": r[2], "modelName": r[1],
                "calls": int(r[3])})
    return {"models": models, "principals": prins}


def assert_width(out):
    for line in out.split("\n"):
        assert len(line) <= 80, line


@pytest.fixture(scope="module")
def records_file(tmp_path_factory):
    return write(tmp_path_factory.mktemp("report") / "records.jsonl",
        generate(3000, seed=20261124))


def test_json_matches_jq(records_file):
    rc, out, err = run(["--format", "json", records_file])
    assert (rc, err) == (0, "")
    exp = jq_expected([records_file])
    assert out.endswith("}\n") and out.count("\n") == 1
    assert json.loads(out) == exp
    # The generated data exercises every path worth checking.
    names = [m["modelName"] for m in exp["models"]]
    assert "(none)" in names and 'custom, "quoted" model' in names
    prins = {p["principal"] for p in exp["principals"]}
    assert {"(unknown)", "Root", "bedrock.amazonaws.com"} <= prins
    assert exp["records"] == 3000 and len(exp["models"]) == len(MODELS)


def test_default_format_off_a_terminal_is_json(records_file):
    rc, out, _ = run([records_file])
    assert rc == 0 and json.loads(out) == jq_expected([records_file])


def test_table_matches_jq_and_fits_80_columns(records_file):
    rc, out, err = run(["--format", "table", records_file])
    assert (rc, err) == (0, "")
    assert_width(out)
    exp = jq_expected([records_file])
    assert parse_table(out) == as_displayed(exp)
    # Cut names are really cut, not dropped: the long ones are there.
    assert "\narn:aws:bedroc...rofile/abcd1234efgh5678ijkl " in out
    assert "  arn:aws:sts::123456789012:assumed...the-principal-column/" \
        "session-xyz\n" in out


def test_table_is_the_default_on_a_terminal(records_file):
    master, slave = pty.openpty()
    try:
        rc, _, err = run([records_file], stdout=slave)
        os.close(slave)
        slave = None
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    out = b"".join(chunks).decode().replace("\r\n", "\n")
    assert (rc, err) == (0, "")
    assert parse_table(out) == as_displayed(jq_expected([records_file]))


def test_csv_matches_jq(records_file):
    rc, out, err = run(["--format", "csv", records_file])
    assert (rc, err) == (0, "")
    exp = jq_expected([records_file])
    assert parse_csv(out) == {"models": exp["models"],
        "principals": exp["principals"]}
    assert ',"custom, ""quoted"" model",' in out


def test_several_files_and_stdin(tmp_path, records_file):
    lines = records_file.read_text().splitlines(keepends=True)
    a = write(tmp_path / "a.jsonl", lines[:1000])
    c = write(tmp_path / "c.jsonl", lines[2000:])
    rc, out, err = run(["--format", "json", a, "-", c],
        input="".join(lines[1000:2000]))
    assert (rc, err) == (0, "")
    assert json.loads(out) == jq_expected([records_file])


def test_stdin_without_operands(records_file):
    rc, out, _ = run(["--format", "json"], input=records_file.read_text())
    assert rc == 0 and json.loads(out) == jq_expected([records_file])


def test_since_until_window(records_file):
    since, until = "2026-11-10T00:00:00Z", "2026-11-20T12:00:00Z"
    exp = jq_expected([records_file], since, until)
    assert 0 < exp["records"] < 3000
    for fmt in ("json", "csv", "table"):
        rc, out, err = run(["--format", fmt, "--since", since,
            "--until", until, records_file])
        assert (rc, err) == (0, "")
        if fmt == "json":
            assert json.loads(out) == exp
        elif fmt == "csv":
            assert parse_csv(out) == {"models": exp["models"],
                "principals": exp["principals"]}
        else:
            assert parse_table(out) == as_displayed(exp)


def test_since_is_inclusive_and_until_exclusive(tmp_path):
    rng, who = random.Random(5), principals()
    lines = [json.dumps(record(rng, who, t)) + "\n"
        for t in (T_START - 1, T_START, T_START + 59, T_START + 60)]
    f = write(tmp_path / "edge.jsonl", lines)
    rc, out, _ = run(["--since", iso(T_START), "--until", iso(T_START + 60),
        f])
    assert rc == 0 and json.loads(out)["records"] == 2


def test_since_as_an_age(tmp_path):
    rng, who, now = random.Random(6), principals(), int(time.time())
    lines = [json.dumps(record(rng, who, t)) + "\n"
        for t in (now - 7200, now - 600, now - 300)]
    f = write(tmp_path / "recent.jsonl", lines)
    rc, out, _ = run(["--since", "1h", f])
    assert rc == 0 and json.loads(out)["records"] == 2
    rc, out, _ = run(["--until", "1h", f])
    assert rc == 0 and json.loads(out)["records"] == 1


@pytest.mark.parametrize("args", [["--since", "yesterday"],
    ["--until", "2026-13-01T00:00:00Z"],
    ["--since", "2026-11-02T00:00:00Z", "--until", "2026-11-01T00:00:00Z"],
    ["--since", "2026-11-01T00:00:00Z", "--until", "2026-11-01T00:00:00Z"]])
def test_bad_window_is_a_usage_error(args, records_file):
    rc, out, err = run(args + [records_file])
    assert rc == EX_USAGE and out == ""
    assert err.startswith("usage error: ")


def test_malformed_lines_reported_counted_and_skipped(tmp_path, records_file):
    good = records_file.read_text().splitlines(keepends=True)[:500]
    bad = {3: "not json\n", 10: "[1,2]\n", 50: '{"modelName":"x"}\n',
        51: '{"eventTime":"yesterday"}\n',
        120: good[0].rstrip("\n") + " trailing\n",
        200: "x" * (1024 * 1024 + 10) + "\n"}
    lines = list(good)
    for n in sorted(bad):
        lines.insert(n - 1, bad[n])
    f = write(tmp_path / "mixed.jsonl", lines)
    rc, out, err = run(["--format", "json", f])
    assert rc == EX_DATAERR
    name = str(f)
    assert err == "".join("%s:%d: malformed record: %s\n" % (name, n, why)
        for n, why in [(3, "not JSON"), (10, "not a JSON object"),
            (50, "no eventTime"), (51, "eventTime is not ISO 8601 UTC"),
            (120, "not JSON"), (200, "longer than 1 MiB")]) + \
        "6 malformed lines skipped\n"
    good_file = write(tmp_path / "good.jsonl", good)
    assert json.loads(out) == jq_expected([good_file], malformed=6)


def test_malformed_on_stdin_is_named_stdin(records_file):
    good = records_file.read_text().splitlines(keepends=True)[:10]
    rc, out, err = run(["--format", "table"],
        input="".join(good[:4]) + "{oops\n" + "".join(good[4:]))
    assert rc == EX_DATAERR
    assert err == "(stdin):5: malformed record: not JSON\n" \
        "1 malformed line skipped\n"
    assert "\n10 records, " in out


def test_empty_input_is_an_empty_report(tmp_path):
    empty = write(tmp_path / "empty.jsonl", [])
    rc, out, err = run(["--format", "json", empty])
    assert (rc, err) == (0, "")
    assert out == '{"models":[],"principals":[],"records":0,"malformed":0}\n'
    rc, out, err = run(["--format", "csv"], input="")
    assert (rc, err) == (0, "")
    assert out == "section,modelName,principal,calls,errors,principals," \
        "regions,firstSeen,lastSeen\r\n"
    rc, out, err = run(["--format", "table", empty])
    assert (rc, err) == (0, "")
    assert out.count("no records\n") == 2
    assert parse_table(out) == {"models": [], "principals": [],
        "records": 0, "nmodels": 0}


def test_blank_lines_are_not_malformed(tmp_path, records_file):
    good = records_file.read_text().splitlines(keepends=True)[:20]
    f = write(tmp_path / "blank.jsonl", ["\n"] + good[:10] + ["  \n"] +
        good[10:] + ["\n"])
    rc, out, err = run([f])
    assert (rc, err) == (0, "") and json.loads(out)["records"] == 20


def test_unopenable_file_exits_66_after_reporting_the_rest(tmp_path,
        records_file):
    missing = tmp_path / "missing.jsonl"
    rc, out, err = run([missing, records_file, tmp_path])
    assert rc == EX_NOINPUT
    assert err == "%s: cannot open: No such file or directory\n" \
        "%s: cannot open: Is a directory\n" % (missing, tmp_path)
    assert json.loads(out) == jq_expected([records_file])


def test_write_error_is_not_success(records_file):
    with open("/dev/full", "wb") as full:
        rc, _, err = run([records_file], stdout=full)
    assert rc == EX_IOERR
    assert "cannot write to standard output" in err


def peak_rss_kib(pid):
    """VmHWM of a running process: unlike the rusage of a child, it does
    not count the pages of the Python process it was forked from."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0	# exited: its last reading stands


def test_memory_does_not_grow_with_records(tmp_path):
    """200,000 records (over 100 MB) through a pipe; peak RSS stays far
    below the input, because only distinct keys are kept."""
    n, rng, who = 200000, random.Random(7), principals()
    out_path = tmp_path / "out.json"
    peak = 0
    with open(out_path, "wb") as out, open(tmp_path / "err", "w+b") as errf:
        p = subprocess.Popen([str(BINARY), "report", "--format", "json"],
            stdin=subprocess.PIPE, stdout=out, stderr=errf,
            cwd=str(REPO), env={"PATH": "/usr/bin:/bin",
                "HOME": "/nonexistent", "LANG": "C.UTF-8", **SANITIZER_ENV})
        sent, batch = 0, []
        for i in range(n):
            rec = record(rng, who)
            # Padding makes the input large; report must not keep it.
            rec["eventName"] += "-" + "p" * 500
            batch.append(json.dumps(rec))
            if len(batch) == 5000:
                data = ("\n".join(batch) + "\n").encode()
                p.stdin.write(data)
                sent += len(data)
                batch = []
                peak = max(peak, peak_rss_kib(p.pid))
        p.stdin.close()
        # Until it exits: the figures are sorted and printed after EOF.
        while p.poll() is None:
            peak = max(peak, peak_rss_kib(p.pid))
            time.sleep(0.001)
        errf.seek(0)
        err = errf.read()
    assert (p.returncode, err) == (0, b"")
    assert sent > 100 * 1024 * 1024
    res = json.loads(out_path.read_text())
    assert res["records"] == n
    assert sum(m["calls"] for m in res["models"]) == n
    # An AddressSanitizer build (make check-asan) keeps shadow memory and a
    # quarantine of freed blocks: its RSS says nothing about report's.
    if b"__asan_init" not in BINARY.read_bytes():
        assert 0 < peak < 20 * 1024, "peak RSS %d KiB" % peak
