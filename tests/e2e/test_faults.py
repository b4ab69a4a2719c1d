"""poll under faults and resource limits (issue 6, items 5 and 6).

The fault matrix: every fault the simulator can inject, at the first, a
middle and the last page, with its outcome: recovered (every event exactly
once), or failed with SPEC section 5's exit code and first line, nothing
written and the cursor kept; then a clean poll that recovers every event
exactly once. Then the limits: ulimit -v, a full disk under the output
file, a state directory that cannot be written.
"""

import calendar
import json
import os
import resource
import subprocess
import time

import pytest

import reference
from conftest import strip_timestamps

REGION = "us-east-1"
LOOKUP = ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
    "LookupEvents")
PAGE = 5
PAGES = 3
ATTEMPTS = 3
FAST = ("timeout: 1s\nmax_attempts: %d\nmax_requests_per_second: 50\n" %
    ATTEMPTS)

CONNECT = (69, "Failed to connect to AWS CloudTrail")
THROTTLED = (75, "throttled by AWS CloudTrail on every attempt")
MALFORMED = (65, "malformed LookupEvents response")


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def expected_lines(sim, region=REGION):
    """The records the whole window must give, oldest first."""
    evs = [e["record"] for e in sim.events(region, "bedrock.amazonaws.com",
        full=True)]
    evs.sort(key=lambda e: (calendar.timegm(time.strptime(e["eventTime"],
        "%Y-%m-%dT%H:%M:%SZ")), e["eventID"]))
    return [reference.line(e) for e in evs]

ACCOUNT = "123456789012"


def write_state(path, cursor):
    """A state whose region has a cursor (and no ids seen)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 2, "accounts": {ACCOUNT: {
        "regions": {REGION: {"cursor": iso(cursor), "seen": []}}}}}))
    path.chmod(0o600)


def cursor_of(path):
    return json.loads(path.read_text())["accounts"][ACCOUNT]["regions"][
        REGION].get("cursor")


def prepare(bt, sim, events=PAGE * PAGES, seed=60, server=None):
    """A cursor two hours back and `events` events since, PAGE to a page.
    Returns the state file's bytes and the cursor."""
    s = server or sim
    s.config(rate_limit=0, page_size_max=PAGE)
    now = s.clock()
    write_state(bt.state_path, now - 7200)
    s.generate(region=REGION, start=now - 7000, end=now - 1200,
        count=events, seed=seed, delay_max=0)
    return bt.state_path.read_bytes(), now - 7200


def lookups(sim, faulted, wait=5.0):
    """The LookupEvents requests in the order they arrived, once the
    `faulted` ones are all recorded (a slow answer is logged late)."""
    deadline = time.monotonic() + wait
    while True:
        reqs = [q for q in sim.stats() if q["target"] == LOOKUP]
        n = sum(1 for q in reqs if q["fault"])
        if n >= faulted or time.monotonic() > deadline:
            return sorted(reqs, key=lambda q: q["t"])
        time.sleep(0.05)


def pages_of(reqs):
    """Requests grouped by page (its NextToken), in page order."""
    order, by = [], {}
    for q in reqs:
        tok = (q["params"] or {}).get("NextToken")
        if tok not in by:
            order.append(tok)
            by[tok] = []
        by[tok].append(q)
    return [by[t] for t in order]


def assert_failed_cleanly(r, rc, first, out, state_before, bt):
    assert r.rc == rc, r
    lines = r.err.splitlines()
    assert lines and lines[0] == first, r
    assert "region %s: " % REGION in r.err, r
    assert not out.exists() or out.read_bytes() == b"", r
    # The same state (the poll rewrites it once up front, so not the bytes).
    assert json.loads(bt.state_path.read_bytes()) == json.loads(
        state_before), "state changed"


def assert_clean_poll_recovers(bt, sim, cfg, out, want, old_cursor, args=()):
    r = bt(["-c", cfg] + list(args) + ["poll", "-o", out], timeout=60)
    assert r.rc == 0, r
    assert out.read_text().splitlines() == want
    assert cursor_of(bt.state_path) > iso(old_cursor)


# ------------------------------------------------------------ the matrix

# Faults a retry can get past: once, then recovered; on every attempt,
# failed with its code.
RETRIED = [
    ("500", {"kind": "status", "status": 500}, CONNECT),
    ("503", {"kind": "status", "status": 503}, CONNECT),
    ("throttle", {"kind": "throttle"}, THROTTLED),
    ("drop_before_headers", {"kind": "drop_before_headers"}, CONNECT),
    ("drop_mid_body", {"kind": "drop_mid_body"}, CONNECT),
    ("timeout", {"kind": "slow", "seconds": 1.6}, CONNECT),
]

# A complete response that is not a LookupEvents result: never retried.
REFUSED = [
    ("truncated", {"kind": "truncated"}),
    ("malformed", {"kind": "malformed"}),
    ("huge_20MiB", {"kind": "huge", "bytes": 20 << 20}),
] + [("wrong_types-" + v, {"kind": "wrong_types", "variant": v}) for v in (
    "events_not_list", "event_time_string", "cloudtrail_event_object",
    "cloudtrail_event_not_json", "next_token_number", "top_level_list",
    "events_missing")]

POSITIONS = [("first", 0), ("middle", 1), ("last", PAGES - 1)]

MATRIX = []
for _name, _fault, _fail in RETRIED:
    for _pos, _after in POSITIONS:
        MATRIX.append(pytest.param(dict(_fault, after=_after, count=1), None,
            id="%s-once-%s" % (_name, _pos)))
        # libcurl itself sends a request again, at once, when a reused
        # connection closes before any answer: twice the attempts covers
        # that.
        MATRIX.append(pytest.param(dict(_fault, after=_after,
            count=2 * ATTEMPTS), _fail, id="%s-every-attempt-%s" % (_name,
            _pos)))
for _name, _fault in REFUSED:
    for _pos, _after in POSITIONS:
        MATRIX.append(pytest.param(dict(_fault, after=_after, count=1),
            MALFORMED, id="%s-%s" % (_name, _pos)))


def attempts(page):
    """The tool's attempts at a page: requests closer together than the
    shortest backoff (0.25 s) are libcurl's own resend of one attempt."""
    n, last = 0, None
    for q in page:
        if last is None or q["t"] - last > 0.15:
            n += 1
        last = q["t"]
    return n


@pytest.mark.parametrize("fault,failure", MATRIX)
def test_fault_matrix(bt, sim, tmp_path, fault, failure):
    before, old = prepare(bt, sim)
    want = expected_lines(sim)
    assert len(want) == PAGE * PAGES
    sim.faults([fault])
    cfg = bt.config(FAST)
    out = tmp_path / "out.jsonl"
    r = bt(["-c", cfg, "poll", "-o", out], timeout=60)

    # The fault hit the page it was meant for.
    left = sim.pending_faults()
    sim.clear_faults()
    pages = pages_of(lookups(sim, fault["count"] - sum(f["count"]
        for f in left)))
    page = pages[fault["after"]]
    hits = [q for q in page if q["fault"]]
    assert (page[0]["params"].get("NextToken") is None) == \
        (fault["after"] == 0)

    if failure is None:
        assert r.rc == 0, r
        assert left == [] and len(hits) == 1, pages
        assert len(pages) == PAGES
        assert page[-1]["status"] == 200 and not page[-1]["fault"]
        assert out.read_text().splitlines() == want
        assert cursor_of(bt.state_path) > iso(old)
        # Nothing new, nothing again.
        r = bt(["-c", cfg, "poll", "-o", out])
        assert r.rc == 0, r
        assert out.read_text().splitlines() == want
        return

    rc, first = failure
    # Every attempt failed, as many as max_attempts; a refused answer is
    # not asked for again; no page after the failed one was asked for.
    assert hits == page, pages
    assert attempts(page) == (1 if rc == 65 else ATTEMPTS), pages
    assert len(pages) == fault["after"] + 1, pages
    assert_failed_cleanly(r, rc, first, out, before, bt)
    assert_clean_poll_recovers(bt, sim, cfg, out, want, old)


def test_throttling_storm_at_half_the_requests_recovers(bt, sim, tmp_path):
    _, old = prepare(bt, sim, events=PAGE * 10, seed=61)
    want = expected_lines(sim)
    sim.config(throttle_probability=0.5)
    cfg = bt.config("timeout: 2s\nmax_attempts: 10\n"
        "max_requests_per_second: 50\n")
    out = tmp_path / "out.jsonl"
    r = bt(["-c", cfg, "poll", "-o", out], timeout=90)
    assert r.rc == 0, r
    reqs = lookups(sim, 0)
    throttled = sum(1 for q in reqs if q["error"] == "ThrottlingException")
    assert 0.3 <= throttled / len(reqs) <= 0.7, (throttled, len(reqs))
    assert len(pages_of(reqs)) == 10
    assert out.read_text().splitlines() == want
    assert cursor_of(bt.state_path) > iso(old)
    sim.config(throttle_probability=0)
    assert bt(["-c", cfg, "poll", "-o", out]).rc == 0
    assert out.read_text().splitlines() == want


@pytest.mark.parametrize("kind", ["https_to_a_plain_http_port",
    "untrusted_certificate", "dns_failure"])
def test_connection_failures(bt, sim, tls_sim, tmp_path, kind):
    """TLS and DNS fail before any page: the whole poll fails. TLS is never
    retried; DNS is, up to max_attempts (3 here: under 2 s of backoff)."""
    server = tls_sim if kind == "untrusted_certificate" else sim
    before, old = prepare(bt, sim, server=server)
    want = expected_lines(server)
    cfg = bt.config(FAST)
    out = tmp_path / "out.jsonl"
    bad = {"https_to_a_plain_http_port": sim.url.replace("http:", "https:"),
        "untrusted_certificate": tls_sim.url,
        "dns_failure": "https://cloudtrail.us-east-1.invalid"}[kind]
    t = time.monotonic()
    r = bt(["-c", cfg, "--endpoint-url", bad, "poll", "-o", out])
    assert time.monotonic() - t < 5, "retried a failure that cannot pass"
    assert_failed_cleanly(r, *CONNECT, out, before, bt)
    assert [q for q in server.stats() if q["target"] == LOOKUP] == []
    assert {"https_to_a_plain_http_port": "TLSError",
        "untrusted_certificate": "TLSError",
        "dns_failure": "ConnectionFailed"}[kind] in r.err
    good = ["--endpoint-url", server.url]
    if server is tls_sim:
        good += ["--ca-bundle", tls_sim.ca_path]
    assert_clean_poll_recovers(bt, sim, cfg, out, want, old, good)


# ------------------------------------------------------ resource limits

def run(bt, args, preexec=None, stdout=subprocess.PIPE, timeout=60,
        wrapper=True):
    """Like bt(), with a preexec_fn for limits and a chosen stdout."""
    cmd = [str(bt.binary)] + [str(a) for a in args]
    w = os.environ.get("BEDROCK_TRAIL_WRAPPER")
    if w and wrapper:
        cmd = w.split() + cmd
    p = subprocess.run(cmd, env=bt.env(), stdin=subprocess.DEVNULL,
        stdout=stdout, stderr=subprocess.PIPE, preexec_fn=preexec,
        timeout=timeout, cwd=str(bt.tmp))
    return p.returncode, (p.stdout or b"").decode(errors="replace"), \
        strip_timestamps(p.stderr.decode(errors="replace"))


def sanitized(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def test_ulimit_v_128mib_while_polling_100000_events(bt, sim, tmp_path):
    if sanitized(bt.binary):
        pytest.skip("an AddressSanitizer build reserves terabytes of "
            "address space: RLIMIT_AS cannot apply")
    now = sim.clock()
    sim.config(rate_limit=0)
    sim.generate(region=REGION, start=now - 20 * 3600, end=now - 60,
        count=100000, seed=62, delay_max=0)
    cfg = bt.config("max_requests_per_second: 100\n")
    out = tmp_path / "out.jsonl"
    limit = 128 << 20

    def as_limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    t = time.monotonic()
    # No wrapper: valgrind cannot run in 128 MiB of address space.
    rc, _, err = run(bt, ["-c", cfg, "poll", "-o", out], preexec=as_limit,
        timeout=90, wrapper=False)
    took = time.monotonic() - t
    assert rc == 0, err
    assert ", 2000 pages, 100000 events fetched, 100000 written, " in err, err
    got = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert len(got) == 100000 and len(set(got)) == 100000
    assert set(got) == set(sim.expected_ids(REGION))
    # 2000 pages at the limiter's pace take about 40 s; a malloc that
    # fights the limit on every call took ten times that.
    assert took < 80, took


def prefill(out, size):
    """Earlier records: lines of JSON up to at least size bytes."""
    lines, n, i = [], 0, 0
    while n < size:
        line = json.dumps({"eventID": "earlier-%06d" % i,
            "eventTime": "2026-01-01T00:00:00Z"}, separators=(",", ":"))
        lines.append(line)
        n += len(line) + 1
        i += 1
    out.write_text("".join(l + "\n" for l in lines))
    out.chmod(0o600)
    return out.read_bytes()


def test_file_size_limit_fails_the_append_and_cuts_it_back(bt, sim,
        tmp_path):
    before, old = prepare(bt, sim, events=200, seed=63)
    want = expected_lines(sim)
    batch = sum(len(l.encode()) + 1 for l in want)
    assert batch > 40000
    out = tmp_path / "out.jsonl"
    earlier = prefill(out, batch)
    # The batch's temporary file and the state fit; the output cannot
    # take the batch past the earlier records.
    limit = len(earlier) + batch // 2
    assert len(before) < limit and batch < limit

    def fsize_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cfg = bt.config("max_requests_per_second: 50\n")
    rc, _, err = run(bt, ["-c", cfg, "poll", "-o", out], preexec=fsize_limit)
    assert rc == 74, err
    first = err.splitlines()[0]
    assert first == "%s: cannot write output: File too large" % out, err
    assert out.read_bytes() == earlier, "partial batch left behind"
    state = json.loads(bt.state_path.read_text())
    assert state["accounts"]["123456789012"]["regions"][REGION]["cursor"] == iso(old)
    assert "pending" not in state
    rc, _, err = run(bt, ["-c", cfg, "poll", "-o", out])
    assert rc == 0, err
    assert out.read_text().splitlines() == \
        earlier.decode().splitlines() + want
    assert cursor_of(bt.state_path) > iso(old)


@pytest.mark.parametrize("where", ["output_file", "stdout"])
def test_dev_full_fails_and_keeps_the_cursor(bt, sim, tmp_path, where):
    _, old = prepare(bt, sim, events=20, seed=64)
    want = expected_lines(sim)
    cfg = bt.config("max_requests_per_second: 50\n")
    if where == "output_file":
        rc, _, err = run(bt, ["-c", cfg, "poll", "-o", "/dev/full"])
        name = "/dev/full"
    else:
        with open("/dev/full", "wb") as full:
            rc, _, err = run(bt, ["-c", cfg, "poll"], stdout=full)
        name = "standard output"
    assert rc == 74, err
    assert err.splitlines()[0] == \
        "%s: cannot write output: No space left on device" % name, err
    state = json.loads(bt.state_path.read_text())
    assert state["accounts"]["123456789012"]["regions"][REGION]["cursor"] == iso(old)
    assert "pending" not in state
    out = tmp_path / "out.jsonl"
    rc, _, err = run(bt, ["-c", cfg, "poll", "-o", out])
    assert rc == 0, err
    assert out.read_text().splitlines() == want


def test_state_file_under_a_regular_file(bt, sim, tmp_path):
    now = sim.clock()
    sim.generate(region=REGION, start=now - 3600, end=now - 60, count=10,
        seed=65, delay_max=0)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the state directory should be\n")
    out = tmp_path / "out.jsonl"
    r = bt(["poll", "--state-file", blocker / "state.json", "-o", out])
    assert r.rc == 73, r
    assert r.err.splitlines()[0] == "%s: cannot create lock file: " \
        "Not a directory" % (blocker / "state.json.lock"), r
    assert not out.exists()
    assert sim.stats() == []
    assert blocker.read_text() == "a file where the state directory " \
        "should be\n"


class Unwritable:
    """A directory that nobody, root included, can create files in:
    chattr +i as root, mode 0555 otherwise."""

    def __init__(self, path):
        self.path = path
        self.root = os.geteuid() == 0

    def __enter__(self):
        if self.root:
            p = subprocess.run(["chattr", "+i", str(self.path)],
                capture_output=True)
            if p.returncode != 0:
                pytest.skip("chattr +i is not available here: %s" %
                    p.stderr.decode().strip())
        else:
            self.path.chmod(0o555)
        try:
            (self.path / "probe").write_text("")
        except OSError:
            return self
        self.__exit__()
        pytest.fail("%s is still writable" % self.path)

    def __exit__(self, *exc):
        if self.root:
            subprocess.run(["chattr", "-i", str(self.path)], check=True)
        else:
            self.path.chmod(0o755)


def test_read_only_state_directory_on_the_first_poll(bt, sim, tmp_path):
    d = tmp_path / "state"
    d.mkdir()
    out = tmp_path / "out.jsonl"
    with Unwritable(d):
        r = bt(["poll", "--state-file", d / "state.json", "-o", out])
    assert r.rc == 73, r
    lock = d / "state.json.lock"
    assert r.err.splitlines()[0].startswith(
        "%s: cannot create lock file: " % lock), r
    assert not out.exists()
    assert sim.stats() == []


def test_read_only_state_directory_after_earlier_polls(bt, sim, tmp_path):
    """The lock and state exist; the directory turns read-only: the poll
    finds out before any request and writes nothing."""
    d = tmp_path / "state"
    state = d / "state.json"
    out = tmp_path / "out.jsonl"
    now = sim.clock()
    sim.generate(region=REGION, start=now - 5 * 3600, end=now - 3600,
        count=30, seed=66, delay_max=0)
    r = bt(["poll", "--state-file", state, "-o", out])
    assert r.rc == 0 and (d / "state.json.lock").exists(), r
    first = out.read_bytes()
    assert len(first.splitlines()) == 30
    sim.generate(region=REGION, start=now - 600, end=now - 60, count=12,
        seed=67, delay_max=0)
    state_before = state.read_bytes()
    sim.reset_stats()
    with Unwritable(d):
        r = bt(["poll", "--state-file", state, "-o", out])
    assert r.rc == 73, r
    assert r.err.splitlines()[0].startswith(
        "%s: cannot write state file: " % d), r
    assert out.read_bytes() == first
    assert state.read_bytes() == state_before
    assert sim.stats() == []
    r = bt(["poll", "--state-file", state, "-o", out])
    assert r.rc == 0, r
    got = [json.loads(l)["eventID"] for l in out.read_text().splitlines()]
    assert len(got) == 42 and len(set(got)) == 42
    assert set(got) == set(sim.expected_ids(REGION))


def test_read_only_state_directory_with_stdout_prints_nothing(bt, sim,
        tmp_path):
    """On stdout a record cannot be taken back: a state that cannot be
    saved must stop the poll before anything is printed."""
    d = tmp_path / "state"
    state = d / "state.json"
    now = sim.clock()
    sim.generate(region=REGION, start=now - 5 * 3600, end=now - 3600,
        count=10, seed=68, delay_max=0)
    assert bt(["poll", "--state-file", state]).rc == 0
    sim.generate(region=REGION, start=now - 600, end=now - 60, count=5,
        seed=69, delay_max=0)
    sim.reset_stats()
    with Unwritable(d):
        r = bt(["poll", "--state-file", state])
    assert r.rc == 73, r
    assert r.out == ""
    assert sim.stats() == []
    r = bt(["poll", "--state-file", state])
    assert r.rc == 0 and len(r.records) == 5, r
