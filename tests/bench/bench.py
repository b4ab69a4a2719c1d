#!/usr/bin/python3
"""make bench: bedrock-trail against the physical limits and the AWS CLI.

Runs the CloudTrail simulator (tests/sim) on 127.0.0.1 and measures, in one
run (issue 7):

  1. client CPU per event against the cJSON floor (tests/bench/floor.c run
     over the raw pages of the same window, saved in this run);
  2. CPU and wall time against `aws cloudtrail lookup-events | jq -c -f
     tests/bench/records.jq`, and whether the records agree event for event;
  3. the rate ceiling at 2 requests/s per region, in 1 and in 4 regions;
  4. peak RSS for a small and a large window;
  5. start-up time of --version and test-connection.

Prints a table and writes it, with the details, to tests/bench/results.md.
CPU figures are the user + system time of the measured child processes
(wait4, in tests/bench/rusage.c), never of the simulator, which is a process of its own.

Environment: BEDROCK_TRAIL_BIN (the binary, default ./bedrock-trail),
BENCH_SCALE (multiplies every event count: 0.1 for a quick trial run; the
results file is then not written unless BENCH_RESULTS names one).
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(REPO / "tests" / "bench"))

import simctl  # noqa: E402
import orgrun  # noqa: E402

BIN = Path(os.environ.get("BEDROCK_TRAIL_BIN", REPO / "bedrock-trail"))
BENCH = REPO / "tests" / "bench"
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
RESULTS = os.environ.get("BENCH_RESULTS",
    str(BENCH / "results.md") if SCALE == 1 else "")

SOURCE = "bedrock.amazonaws.com"
DAY = 86400


def scaled(n):
    return max(100, int(n * SCALE))


N_COST = scaled(50000)       # 1: CPU per event
N_CLI = scaled(10000)        # 2: against the AWS CLI (it is slow)
N_RATE = scaled(5000)        # 3: per region, at 2 requests/s
N_MEM = (scaled(2000), scaled(200000))   # 4: peak RSS
POLL_RUNS = 3                # 1 and 2: the median of this many polls
STARTUP_RUNS = 20            # 5
GEN_CHUNK = 25000            # events per generate call (its timeout is 60 s)

RATE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")


SUMMARY = re.compile(r"^(?:\S+Z )?(\S+): \S+ to \S+, \d+ pages?, (\d+) "
    r"events", re.M)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Child:
    """One finished child process: exit status, wall and CPU time, RSS."""

    def __init__(self, argv, rc, wall, user, sys_, maxrss_kib, err):
        self.argv = argv
        self.rc = rc
        self.wall = wall
        self.user = user
        self.sys = sys_
        self.cpu = user + sys_
        self.maxrss_kib = maxrss_kib
        self.err = err


RUSAGE = None       # the built tests/bench/rusage.c


def run(argv, env, stdout=subprocess.DEVNULL, check=True, watch=None):
    """Runs argv to completion under tests/bench/rusage.c, which reports
    the command's own CPU time and peak RSS (wait4). watch(pid, stop), if
    given, runs in a thread meanwhile, with rusage's pid and an Event set
    when the command has ended."""
    errf = tempfile.TemporaryFile()
    report = tempfile.NamedTemporaryFile(prefix="rusage-")
    t0 = time.monotonic()
    p = subprocess.Popen([str(RUSAGE), report.name] + [str(a) for a in argv],
        env=env, stdout=stdout, stderr=errf, stdin=subprocess.DEVNULL)
    stop = threading.Event()
    watcher = None
    if watch is not None:
        watcher = threading.Thread(target=watch, args=(p.pid, stop))
        watcher.start()
    p.wait()
    wall = time.monotonic() - t0
    stop.set()
    if watcher is not None:
        watcher.join()
    errf.seek(0)
    err = errf.read().decode(errors="replace")
    errf.close()
    fields = report.read().decode().split()
    report.close()
    if p.returncode != 0 or len(fields) != 4:
        raise SystemExit("bench: cannot run %s:\n%s" % (argv[0], err))
    rc = int(fields[0])
    if check and rc != 0:
        raise SystemExit("bench: %s exited %d:\n%s" % (" ".join(map(str,
            argv)), rc, err[-3000:]))
    return Child(argv, rc, wall, float(fields[1]), float(fields[2]),
        int(fields[3]), err)


def median_by(children, key):
    """The child whose key is the median (the lower one of an even count)."""
    s = sorted(children, key=key)
    return s[(len(s) - 1) // 2]


class Bench:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="bt-bench-"))
        self.sim = simctl.Sim(self.work / "sim")
        self.rows = []          # (no, what, figure, target, met, how)
        self.notes = []         # markdown paragraphs for results.md
        self.load = os.getloadavg()[0]
        # For orgrun.py (part 6).
        self.bin, self.source, self.n_cost, self.log = BIN, SOURCE, N_COST, log
        self.empty = self.work / "empty"
        self.empty.write_text("")
        (self.work / "home").mkdir()
        (self.work / "tmp").mkdir()

    # ---- set-up

    def env(self, region="us-east-1"):
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.work / "home"),
            "TMPDIR": str(self.work / "tmp"), "LC_ALL": "C",
            "AWS_ACCESS_KEY_ID": simctl.ALLOWED_KEY,
            "AWS_SECRET_ACCESS_KEY": simctl.ALLOWED_SECRET,
            "AWS_ENDPOINT_URL_CLOUDTRAIL": self.sim.url,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": str(self.empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.empty),
            # Every poll asks STS whose the credentials are: the simulator.
            "AWS_ENDPOINT_URL_STS": self.sim.url,
            "AWS_ENDPOINT_URL_ORGANIZATIONS": self.sim.url,
            "AWS_EC2_METADATA_DISABLED": "true"}

    def config(self, name, rate=None):
        """A config whose state file is in the work directory; rate None
        keeps the default max_requests_per_second (2)."""
        path = self.work / (name + ".yaml")
        text = "state_file: %s\ntimeout: 120s\n" % (self.work / "state.json")
        if rate is not None:
            text += "max_requests_per_second: %s\n" % rate
        path.write_text(text)
        return path

    def reset_sim(self, rate_limit):
        self.sim.reset()
        self.sim.config(rate_limit=rate_limit, throttle_probability=0.0,
            page_size_max=50)
        now = self.sim.clock()
        # A whole day, two days back: every event is long visible.
        self.window = (int(now) - 3 * DAY, int(now) - 2 * DAY)
        self.since = iso(self.window[0] - 60)
        self.until = iso(self.window[1] + 60)

    def generate(self, region, count, seed):
        done = 0
        while done < count:
            n = min(GEN_CHUNK, count - done)
            self.sim.generate(region=region, start=self.window[0],
                end=self.window[1], count=n, seed="bench-%s-%d" % (seed,
                    done), delay_max=0)
            done += n
        got = len(self.sim.expected_ids(region, SOURCE))
        if got != count:
            raise SystemExit("bench: the simulator holds %d events in %s, "
                "not %d" % (got, region, count))

    def poll(self, cfg, regions, stdout=subprocess.DEVNULL, quiet=False):
        argv = [str(BIN), "-c", str(cfg), "-r", ",".join(regions)]
        if quiet:
            argv.append("-q")
        argv += ["poll", "--since", self.since, "--until", self.until]
        return run(argv, self.env(regions[0]), stdout=stdout)

    @staticmethod
    def summary_events(child):
        """Events per unit from poll's summary lines on stderr:
        "[TIME ]UNIT: FROM to UNTIL, N pages, N events fetched, ..."."""
        out = {}
        for m in SUMMARY.finditer(child.err):
            out[m.group(1)] = int(m.group(2))
        return out

    def row(self, no, what, figure, target, met, how):
        self.rows.append((no, what, figure, target,
            "" if met is None else ("yes" if met else "**no**"), how))

    # ---- 1. CPU per event against the floor

    def dump_pages(self, region, outdir):
        """The raw LookupEvents pages of the window, signed by botocore."""
        outdir.mkdir()
        body = {"LookupAttributes": [{"AttributeKey": "EventSource",
            "AttributeValue": SOURCE}],
            "StartTime": self.window[0] - 60,
            "EndTime": self.window[1] + 60, "MaxResults": 50}
        conn = self.sim.connection(timeout=60)
        paths, events = [], 0
        try:
            while True:
                status, _, data = self.sim.signed_post(body, region=region,
                    conn=conn)
                if status != 200:
                    raise SystemExit("bench: page dump: HTTP %d %r" % (
                        status, data[:300]))
                path = outdir / ("%05d.json" % len(paths))
                path.write_bytes(data)
                paths.append(str(path))
                page = json.loads(data)
                events += len(page["Events"])
                if not page.get("NextToken"):
                    break
                body["NextToken"] = page["NextToken"]
        finally:
            conn.close()
        return paths, events

    def build_floor(self):
        exe = self.work / "floor"
        cflags = subprocess.run(["pkg-config", "--cflags", "libcjson"],
            capture_output=True, text=True).stdout.split()
        libs = subprocess.run(["pkg-config", "--libs", "libcjson"],
            capture_output=True, text=True).stdout.split() or ["-lcjson"]
        subprocess.run(["cc", "-O2", "-std=c11"] + cflags + ["-o", str(exe),
            str(BENCH / "floor.c")] + libs, check=True)
        return exe

    def floor_cpu(self, exe, paths, rounds, period=None):
        """CPU seconds of the floor's parsing (it times itself)."""
        argv = [str(exe)] + (["-p", "%.6f" % period] if period else []) + \
            [str(rounds)] + paths
        out = tempfile.TemporaryFile()
        run(argv, {"PATH": "/usr/bin:/bin"}, stdout=out)
        out.seek(0)
        fields = dict(kv.split("=", 1) for kv in out.read().decode().split())
        if int(fields["events"]) != N_COST:
            raise SystemExit("bench: the floor parsed %s events" %
                fields["events"])
        return float(fields["cpu"])

    def part_cost(self):
        log("1: %d events, rate limit off" % N_COST)
        region = "us-east-1"
        self.reset_sim(0)
        self.generate(region, N_COST, "cost")
        cfg = self.config("cost", rate=100)
        log("1: saving the raw pages")
        paths, events = self.dump_pages(region, self.work / "pages")
        if events != N_COST:
            raise SystemExit("bench: the page dump holds %d events" % events)
        exe = self.build_floor()
        # Polls and back-to-back floors take turns, so that other work on
        # the machine weighs on both alike.
        polls, tights = [], []
        for i in range(POLL_RUNS):
            c = self.poll(cfg, [region])
            n = self.summary_events(c).get(region)
            if n != N_COST:
                raise SystemExit("bench: poll reported %s events, not %d:\n"
                    "%s" % (n, N_COST, c.err))
            polls.append(c)
            tights.append(self.floor_cpu(exe, paths, 3))
        p = median_by(polls, lambda c: c.cpu)
        tight = statistics.median(tights)
        log("1: the floor at poll's cadence")
        period = p.wall / len(paths)
        paced = self.floor_cpu(exe, paths, 1, period)
        eps = N_COST / p.cpu
        self.row(1, "poll: events per CPU-second (%d events)" % N_COST,
            "%.0f /s (%.3f s CPU: %.3f user + %.3f sys)" % (eps, p.cpu,
                p.user, p.sys), "", None,
            "median CPU of %d polls to /dev/null, wait4 of the child"
            % POLL_RUNS)
        self.row(1, "floor, back to back", "%.0f /s (%.3f s CPU)" % (
            N_COST / tight, tight), "", None,
            "floor.c: cJSON parse of the %d saved pages and every "
            "CloudTrailEvent; median of 3 runs of 3 rounds, one after each "
            "poll" % len(paths))
        self.row(1, "floor, at poll's cadence", "%.0f /s (%.3f s CPU)" % (
            N_COST / paced, paced), "", None,
            "the same, one page every %.1f ms (poll's wall time per page)"
            % (period * 1000))
        self.row(1, "poll CPU / floor at poll's cadence", "%.2fx" % (
            p.cpu / paced), "<= 1.5x", p.cpu / paced <= 1.5,
            "like with like: both sleep between pages")
        self.row(1, "poll CPU / floor back to back", "%.2fx" % (
            p.cpu / tight), "<= 1.5x", p.cpu / tight <= 1.5,
            "the strict reading: warm caches for the floor only")
        self.notes.append(
            "**1.** %d Bedrock events in one region, simulator rate limit "
            "off, `max_requests_per_second: 100`; %d pages of %.1f KiB on "
            "average. poll CPU over %d runs: %s s (median %.3f s); wall "
            "%.1f s, set by poll's own limiter (100 requests/s plus 10 ms "
            "of slack per request). The floor parses the same pages that "
            "botocore fetched in this run. Parsing the same pages costs "
            "%.0f%% more CPU when the floor sleeps between pages as poll "
            "does: caches go cold between pages, so the ratio is given "
            "against both floors." % (N_COST, len(paths),
                sum(os.path.getsize(x) for x in paths) / len(paths) / 1024,
                POLL_RUNS, ", ".join("%.3f" % c.cpu for c in polls), p.cpu,
                p.wall, (paced / tight - 1) * 100))
        shutil.rmtree(self.work / "pages")
        self.cost = p

    # ---- 2. against the AWS CLI

    def cli_env(self, region):
        env = self.env(region)
        del env["AWS_ENDPOINT_URL_CLOUDTRAIL"]   # the CLI is given the URL
        env.update({"AWS_PAGER": "", "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true"})
        return env

    def part_cli(self):
        log("2: %d events, bedrock-trail and the AWS CLI" % N_CLI)
        region = "us-west-2"
        self.reset_sim(0)
        self.generate(region, N_CLI, "cli")
        cfg = self.config("cli", rate=100)
        ours_path = self.work / "ours.jsonl"
        polls = []
        for i in range(POLL_RUNS):
            with open(ours_path, "wb") as out:
                polls.append(self.poll(cfg, [region], stdout=out))
        p = median_by(polls, lambda c: c.cpu)

        theirs_path = self.work / "cli.jsonl"
        aws, jq, wall = self.cli_pipeline(region, theirs_path)
        cpu = aws.ru_utime + aws.ru_stime + jq.ru_utime + jq.ru_stime
        split = {"aws": aws.ru_utime + aws.ru_stime,
            "jq": jq.ru_utime + jq.ru_stime}
        agree, detail = self.compare(ours_path, theirs_path)
        ratio = cpu / p.cpu
        self.row(2, "AWS CLI + jq CPU / bedrock-trail CPU (%d events)"
            % N_CLI, "%.1fx (%.2f s: aws %.2f + jq %.2f; ours %.3f s)" % (
                ratio, cpu, split["aws"], split["jq"], p.cpu),
            ">= 15x", ratio >= 15,
            "`aws ... | jq -c -f records.jq`, wait4 of each, against the "
            "median of %d polls" % POLL_RUNS)
        self.row(2, "wall time, AWS CLI + jq / bedrock-trail",
            "%.1f s / %.1f s" % (wall, p.wall), "", None,
            "same simulator, same window; ours is paced by its limiter "
            "(100 requests/s)")
        self.row(2, "records agree event for event", detail, "all agree",
            agree, "same eventIDs; each record equal as a JSON object, keys "
            "in the same order")
        self.notes.append(
            "**2.** %d events: the AWS CLI v2 (`/usr/bin/aws`, %s) with "
            "`--endpoint-url`, paging with the same API, piped into `jq -c "
            "-f tests/bench/records.jq` (SPEC section 4 written in jq). The "
            "CLI is slow, so this window is smaller than that of 1. "
            "Records compared: %s." % (N_CLI, self.aws_version(), detail))

    def cli_pipeline(self, region, out_path):
        """aws | jq > out_path; the rusage of each (wait4) and the wall
        time of the whole."""
        argv = ["/usr/bin/aws", "cloudtrail", "lookup-events",
            "--no-cli-pager", "--output", "json", "--region", region,
            "--endpoint-url", self.sim.url, "--lookup-attributes",
            "AttributeKey=EventSource,AttributeValue=" + SOURCE,
            "--start-time", self.since, "--end-time", self.until]
        err = tempfile.TemporaryFile()
        t0 = time.monotonic()
        with open(out_path, "wb") as out:
            aws = subprocess.Popen(argv, env=self.cli_env(region),
                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
            jq = subprocess.Popen(["jq", "-c", "-f",
                str(BENCH / "records.jq")], stdin=aws.stdout, stdout=out,
                stderr=err, env={"PATH": "/usr/bin:/bin"})
            aws.stdout.close()
            _, st_aws, ru_aws = os.wait4(aws.pid, 0)
            _, st_jq, ru_jq = os.wait4(jq.pid, 0)
        wall = time.monotonic() - t0
        aws.returncode = jq.returncode = 0      # reaped above
        if st_aws != 0 or st_jq != 0:
            err.seek(0)
            raise SystemExit("bench: aws | jq failed (%d, %d):\n%s" % (
                st_aws, st_jq, err.read().decode(errors="replace")[-3000:]))
        err.close()
        return ru_aws, ru_jq, wall

    def aws_version(self):
        r = subprocess.run(["/usr/bin/aws", "--version"], capture_output=True,
            text=True, env=self.cli_env("us-east-1"))
        return (r.stdout or r.stderr).split()[0] if r.returncode == 0 \
            else "unknown version"

    @staticmethod
    def compare(ours_path, theirs_path):
        def load(path):
            recs, dups = {}, 0
            for line in open(path, encoding="utf-8"):
                o = json.loads(line)
                dups += o["eventID"] in recs
                recs[o["eventID"]] = o
            return recs, dups
        ours, dups_ours = load(ours_path)
        theirs, dups_theirs = load(theirs_path)
        only_ours = len(set(ours) - set(theirs))
        only_theirs = len(set(theirs) - set(ours))
        fields, examples, differ = {}, [], 0
        for eid in set(ours) & set(theirs):
            a, b = ours[eid], theirs[eid]
            if a == b and list(a) == list(b) and \
                    list(a["userIdentity"]) == list(b["userIdentity"]):
                continue
            differ += 1
            for k in set(a) | set(b):
                if a.get(k) != b.get(k):
                    fields[k] = fields.get(k, 0) + 1
                    if len(examples) < 3:
                        examples.append("%s %s: ours %s, jq %s" % (eid, k,
                            json.dumps(a.get(k)), json.dumps(b.get(k))))
        agree = not (only_ours or only_theirs or dups_ours or dups_theirs
            or differ)
        detail = "%d records each, %d common eventIDs" % (len(ours),
            len(set(ours) & set(theirs)))
        if not agree:
            detail += ("; only ours %d, only jq %d, duplicates %d/%d, "
                "records that differ %d (fields: %s) e.g. %s" % (only_ours,
                    only_theirs, dups_ours, dups_theirs, differ,
                    ", ".join("%s %d" % kv for kv in sorted(fields.items())),
                    "; ".join(examples)))
        else:
            detail += ", every record identical"
        return agree, detail

    # ---- 3. the rate ceiling

    def rates(self, stats, region):
        reqs = [st for st in stats if st["region"] == region
            and st["target"] == simctl.LOOKUP_TARGET]
        throttled = sum(1 for st in reqs if (st["error"] or "").startswith(
            "Throttl"))
        ts = sorted(st["t"] for st in reqs)
        rate = (len(ts) - 1) / (ts[-1] - ts[0]) if len(ts) > 1 else 0.0
        return len(reqs), throttled, rate

    def part_rate(self):
        log("3: %d events per region at 2 requests/s per region: 1, then 4 "
            "regions" % N_RATE)
        self.reset_sim(2)
        for i, r in enumerate(RATE_REGIONS):
            self.generate(r, N_RATE, "rate%d" % i)
        cfg = self.config("rate")      # max_requests_per_second: default 2
        res = {}
        for regions in (RATE_REGIONS[:1], RATE_REGIONS):
            self.sim.reset_stats()
            c = self.poll(cfg, list(regions))
            stats = self.sim.stats()
            events = self.summary_events(c)
            per = {r: self.rates(stats, r) for r in regions}
            n = sum(events.get(r, 0) for r in regions)
            if n != N_RATE * len(regions):
                raise SystemExit("bench: poll reported %d events:\n%s" % (
                    n, c.err))
            res[len(regions)] = (c, per, n / c.wall)
        c1, per1, eps1 = res[1]
        c4, per4, eps4 = res[len(RATE_REGIONS)]
        allper = list(per1.values()) + list(per4.values())
        minrate = min(r for _, _, r in allper)
        reqs = sum(n for n, _, _ in allper)
        thr = sum(t for _, t, _ in allper)
        self.row(3, "requests/s per region (slowest of 1 + 4 runs)",
            "%.3f" % minrate, ">= 1.9", minrate >= 1.9,
            "(requests - 1) / (last - first arrival) from the simulator's "
            "request log")
        self.row(3, "throttled requests", "%d of %d (%.2f%%)" % (thr, reqs,
            100.0 * thr / reqs), "< 1%", thr < 0.01 * reqs,
            "ThrottlingException answers in the simulator's log")
        self.row(3, "events/s, 1 region", "%.1f (%d events in %.1f s) = "
            "%.1f%% of the ceiling" % (eps1, N_RATE, c1.wall, eps1), "", None,
            "events / poll's wall time; the ceiling is 2 requests/s of 50 "
            "events")
        self.row(3, "events/s, %d regions" % len(RATE_REGIONS),
            "%.1f (%d events in %.1f s) = %.2fx of 1 region" % (eps4,
                N_RATE * len(RATE_REGIONS), c4.wall, eps4 / eps1),
            ">= 3.6x", eps4 / eps1 >= 3.6, "the same, regions at once")
        self.notes.append(
            "**3.** Simulator limit: 2 requests per (key, region) in any "
            "1.0 s sliding window, throttling above it. Default "
            "`max_requests_per_second` (2). Per region, requests / "
            "throttled / requests per second: 1 region %s; %d regions %s. "
            "The physical ceiling is 100 events/s per region; poll spaces "
            "requests 1/rate + 10 ms apart (slack for jitter on the way to "
            "AWS), hence 1.96 requests/s at most." % (
                self.fmt_rates(per1), len(RATE_REGIONS),
                self.fmt_rates(per4)))

    @staticmethod
    def fmt_rates(per):
        return ", ".join("%s %d/%d/%.3f" % (r, n, t, x)
            for r, (n, t, x) in per.items())

    # ---- 4. memory

    def part_memory(self):
        small, large = N_MEM
        log("4: peak RSS for %d and %d events (generating takes a while)"
            % (small, large))
        self.reset_sim(0)
        self.generate("ca-central-1", small, "mem-small")
        self.generate("sa-east-1", large, "mem-large")
        cfg = self.config("mem", rate=100)
        rss = {}
        for region, n in (("ca-central-1", small), ("sa-east-1", large)):
            c = self.poll(cfg, [region])
            if self.summary_events(c).get(region) != n:
                raise SystemExit("bench: poll missed events:\n" + c.err)
            rss[n] = (c.maxrss_kib / 1024.0, c)
        mib_s, mib_l = rss[small][0], rss[large][0]
        self.row(4, "peak RSS, %d events" % small, "%.1f MiB" % mib_s,
            "< 32 MiB", mib_s < 32, "ru_maxrss of the poll (wait4 in "
            "tests/bench/rusage.c)")
        self.row(4, "peak RSS, %d events" % large, "%.1f MiB = %.2fx" % (
            mib_l, mib_l / mib_s), "< 32 MiB and < 1.5x", mib_l < 32 and
            mib_l / mib_s < 1.5, "the same; records spooled to a temporary "
            "file and merge-sorted")
        self.notes.append(
            "**4.** One region each, one window, `--since/--until` to "
            "/dev/null; the %d-event poll took %.1f s and %.2f s CPU." % (
                large, rss[large][1].wall, rss[large][1].cpu))

    # ---- 5. start-up

    @staticmethod
    def timed(argv, env, n):
        """Wall time in ms of n runs, after two warm-up runs."""
        walls = []
        for i in range(n + 2):
            t0 = time.monotonic()
            r = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            t = time.monotonic() - t0
            if r.returncode != 0:
                raise SystemExit("bench: %s exited %d:\n%s" % (" ".join(
                    argv), r.returncode, r.stderr.decode(errors="replace")))
            if i >= 2:
                walls.append(t * 1000)
        return statistics.mean(walls), statistics.stdev(walls)

    def part_startup(self):
        log("5: start-up, %d runs each" % STARTUP_RUNS)
        self.reset_sim(0)
        cfg = self.config("startup")
        env = self.env("us-east-1")
        for what, argv in (("--version", [str(BIN), "--version"]),
                ("test-connection", [str(BIN), "-q", "-c", str(cfg), "-r",
                    "us-east-1", "test-connection"])):
            mean, sd = self.timed(argv, env, STARTUP_RUNS)
            self.row(5, "`%s` wall time" % what, "%.1f ms ± %.1f ms" % (
                mean, sd), "", None, "mean ± stddev of %d runs after 2 "
                "warm-up runs, from fork to wait" % STARTUP_RUNS)
        self.notes.append(
            "**5.** test-connection makes one signed LookupEvents request "
            "to the simulator on 127.0.0.1 (rate limit off).")

    # ---- 6. an organisation (tests/bench/orgrun.py)

    def part_org(self):
        orgrun.part_org(self, run, SCALE)

    # ---- the report

    def table(self):
        head = ("#", "measure", "result", "target", "met", "how measured")
        lines = ["| " + " | ".join(head) + " |",
            "|" + "|".join("---" for _ in head) + "|"]
        for r in self.rows:
            lines.append("| " + " | ".join(str(x).replace("|", "\\|")
                for x in r) + " |")
        return "\n".join(lines)

    def machine(self):
        cpu = "unknown CPU"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        ver = subprocess.run([str(BIN), "--version"], capture_output=True,
            text=True).stdout.strip()
        return ("%s; %s, %d CPUs; Linux %s; Python %s; load average %.2f "
            "at the start (other work on the machine skews CPU figures)" % (
                ver, cpu, os.cpu_count(), platform.release(),
                platform.python_version(), self.load))

    def report(self, started):
        table = self.table()
        print(table)
        if not RESULTS:
            return
        text = ["# bedrock-trail benchmarks", "",
            "Written by `make bench` (tests/bench/bench.py) on %s UTC, in "
            "%.0f s. %s." % (time.strftime("%Y-%m-%d %H:%M",
                time.gmtime()), time.monotonic() - started, self.machine()),
            "", "The simulator (tests/sim) runs on 127.0.0.1 in its own "
            "process; its CPU is never counted. Events are generated in a "
            "window two days back, all visible, and polled with "
            "`poll --since ... --until ...`. How each figure is taken, and "
            "where poll's time goes: tests/bench/README.md.", "", table, ""]
        for n in self.notes:
            text += [n, ""]
        Path(RESULTS).write_text("\n".join(text))
        log("wrote " + RESULTS)


def main():
    if not BIN.exists():
        raise SystemExit("bench: %s not found: run make first" % BIN)
    for tool in ("/usr/bin/aws", "jq", "cc", "pkg-config"):
        if shutil.which(tool) is None:
            raise SystemExit("bench: %s not found (make deps)" % tool)
    started = time.monotonic()
    b = Bench()
    global RUSAGE
    RUSAGE = b.work / "rusage"
    subprocess.run(["cc", "-O2", "-std=c11", "-o", str(RUSAGE),
        str(BENCH / "rusage.c")], check=True)
    try:
        b.sim.start()
        parts = os.environ.get("BENCH_PARTS", "123456")
        for no, part in (("1", b.part_cost), ("2", b.part_cli),
                ("3", b.part_rate), ("4", b.part_memory),
                ("5", b.part_startup), ("6", b.part_org)):
            if no in parts:
                part()
        b.report(started)
    finally:
        b.sim.stop()
        shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()
