"""Part 6 of make bench: an organisation (issue 13, item 7).

200 accounts x 5 regions x 100 events (1,000 units, 100,000 events) in the
simulator, polled by bedrock-trail with `organization: {}` and by the
minimal fetcher (orgfetch.py) at the same pacing and concurrency, one
after the other in the same run. bench.py calls part_org(bench).
"""

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import simctl

BENCH = Path(__file__).resolve().parent
ROLE = "BedrockTrailReader"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
    "ap-northeast-1")
EVENTS = 100                # per unit
CONCURRENCY = 16            # max_concurrency, given to both
RATE = 2                    # max_requests_per_second, the default


class ThreadPeak:
    """The most threads the measured command had at once: /proc every
    10 ms (the command is the only child of rusage, whose pid is given)."""

    def __init__(self):
        self.peak = 0
        self.samples = 0

    def __call__(self, pid, stop):
        while not stop.wait(0.01):
            try:
                kids = Path("/proc/%d/task/%d/children" % (pid,
                    pid)).read_text().split()
                if not kids:
                    continue
                for line in open("/proc/%s/status" % kids[0]):
                    if line.startswith("Threads:"):
                        self.peak = max(self.peak, int(line.split()[1]))
                        self.samples += 1
            except OSError:
                pass


def most_in_one_second(times):
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def arn(account):
    return "arn:aws:iam::%s:role/%s" % (account, ROLE)


class OrgRun:
    def __init__(self, b, run, scaled):
        self.b = b
        self.run = run
        self.naccounts = max(4, int(200 * scaled))
        self.accounts = [simctl.ACCOUNT] + ["%012d" % (210000000000 + i)
            for i in range(1, self.naccounts)]
        self.members = self.accounts[1:]

    def config(self):
        path = self.b.work / "org.yaml"
        path.write_text("state_file: %s\ntimeout: 120s\nregions: [%s]\n"
            "role_name: %s\norganization: {}\nmax_concurrency: %d\n"
            "max_requests_per_second: %d\n" % (self.b.work / "org-state.json",
                ", ".join(REGIONS), ROLE, CONCURRENCY, RATE))
        return path

    def env(self):
        env = self.b.env()
        # The environment's region would win over the configured list.
        del env["AWS_REGION"]
        return env

    def supported(self, cfg):
        """False when this binary predates the organisation keys (issue
        13): its config reader refuses them as unknown keys."""
        r = subprocess.run([str(self.b.bin), "-c", str(cfg), "status"],
            env=self.env(), capture_output=True, text=True)
        return not (r.returncode == 78 and "unknown key" in r.stderr)

    def setup(self):
        sim = self.b.sim
        self.b.reset_sim(RATE)
        # ListAccounts is not what is measured: no throttling of it.
        sim.config(org_rate_limit=0)
        sim.organization(simctl.ACCOUNT, [{"id": a, "name": "bench-%03d" % i,
            "status": "ACTIVE", "email": "bench%03d@example.com" % i}
            for i, a in enumerate(self.accounts)])
        sim.add_roles([{"arn": arn(a), "trusted": [simctl.ACCOUNT],
            "allowed": True, "max_duration": 3600} for a in self.members])
        sim.generate(accounts=self.accounts, regions=list(REGIONS),
            start=self.b.window[0], end=self.b.window[1], count=EVENTS,
            seed="bench-org", delay_max=0)
        self.expected = {e["eventID"] for e in sim.events(
            source=self.b.source, account="*")}
        want = self.naccounts * len(REGIONS) * EVENTS
        if len(self.expected) != want:
            raise SystemExit("bench: the simulator holds %d events, not %d"
                % (len(self.expected), want))

    def fetcher(self):
        spec = self.b.work / "orgfetch.json"
        spec.write_text(json.dumps({"url": self.b.sim.url,
            "regions": list(REGIONS), "role_name": ROLE,
            "start": self.b.window[0] - 60, "end": self.b.window[1] + 60,
            "max_concurrency": CONCURRENCY, "max_requests_per_second": RATE,
            "source": self.b.source}))
        ids_path = self.b.work / "orgfetch.ids"
        out = tempfile.TemporaryFile()
        self.b.sim.reset_stats()
        c = self.run(["/usr/bin/python3", str(BENCH / "orgfetch.py"),
            str(spec), str(ids_path)], {"PATH": "/usr/bin:/bin"}, stdout=out)
        out.seek(0)
        c.result = json.loads(out.read())
        ids = ids_path.read_text().split()
        c.stats = self.b.sim.stats()
        c.ids = ids
        return c

    def poll(self, cfg):
        out_path = self.b.work / "org.jsonl"
        peak = ThreadPeak()
        self.b.sim.reset_stats()
        with open(out_path, "wb") as out:
            c = self.run([str(self.b.bin), "-q", "-c", str(cfg), "poll",
                "--since", self.b.since, "--until", self.b.until],
                self.env(), stdout=out, watch=peak)
        c.stats = self.b.sim.stats()
        c.ids = [json.loads(line)["eventID"] for line in open(out_path,
            encoding="utf-8")]
        c.threads = peak
        return c

    def exactly_once(self, ids):
        got = set(ids)
        return (len(ids) - len(got), len(self.expected - got),
            len(got - self.expected))

    @staticmethod
    def pacing(stats):
        per = defaultdict(list)
        for q in stats:
            if q.get("action") == "LookupEvents":
                per[(q["account"], q["region"])].append(q["t"])
        throttled = sum(1 for q in stats if q.get("action") == "LookupEvents"
            and (q.get("error") or "").startswith("Throttl"))
        worst = max((most_in_one_second(t) for t in per.values()), default=0)
        return len(per), worst, throttled

    def assume_roles(self, stats):
        by_role = defaultdict(int)
        for q in stats:
            if q.get("action") == "AssumeRole":
                by_role[q.get("role_arn")] += 1
        want = {arn(a) for a in self.members}
        once = set(by_role) == want and all(v == 1 for v in
            by_role.values())
        return once, sum(by_role.values()), len(by_role)


def waiting(b, why):
    b.row(6, "organisation run (200 accounts x 5 regions x 100 events)",
        "waiting on the feature: %s" % why, "see below", None,
        "runs once the multi-account units of issue 13 are on main")
    b.notes.append("**6.** Not run: %s. The organisation run needs "
        "`organization:`, `role_name` and `max_concurrency` (issue 13, "
        "SPEC section 7); it runs as soon as the binary knows them." % why)


def part_org(b, run, scaled):
    o = OrgRun(b, run, scaled)
    cfg = o.config()
    if not o.supported(cfg):
        b.log("6: waiting on the feature: %s does not know organization:, "
            "role_name and max_concurrency yet (issue 13)" % b.bin)
        waiting(b, "this binary does not know `organization:`, "
            "`role_name` and `max_concurrency` yet")
        return
    n_units = o.naccounts * len(REGIONS)
    b.log("6: %d accounts x %d regions x %d events: setting up" % (
        o.naccounts, len(REGIONS), EVENTS))
    o.setup()
    b.log("6: the minimal fetcher (tests/bench/orgfetch.py)")
    f = o.fetcher()
    b.log("6: bedrock-trail poll")
    p = o.poll(cfg)
    events = len(o.expected)

    dup, missing, extra = o.exactly_once(p.ids)
    fdup, fmissing, fextra = o.exactly_once(f.ids)
    units, worst, throttled = o.pacing(p.stats)
    _, fworst, _ = o.pacing(f.stats)
    once, assumes, roles = o.assume_roles(p.stats)
    ratio = p.wall / f.wall
    rss = p.maxrss_kib / 1024.0
    cpu_ev = p.cpu / events * 1e6
    if fdup or fmissing or fextra:
        raise SystemExit("bench: the minimal fetcher got %d duplicates, "
            "%d missing, %d extra" % (fdup, fmissing, fextra))

    b.row(6, "events exactly once (%d units, %d events)" % (n_units,
        events), "%d records: %d duplicates, %d missing, %d extra" % (
            len(p.ids), dup, missing, extra), "0, 0, 0",
        not (dup or missing or extra), "eventIDs of the output against the "
        "simulator's events of every account and region")
    b.row(6, "most requests of one unit in any 1 s", "%d (%d units asked; "
        "%d throttled)" % (worst, units, throttled), "<= 2",
        worst <= 2 and units == n_units, "LookupEvents arrivals per "
        "(account, region) in the simulator's log, sliding 1 s window")
    b.row(6, "AssumeRole per member account", "%d calls for %d roles "
        "(%d members)" % (assumes, roles, len(o.members)), "1 each", once,
        "the simulator's log; the credentials' own account needs none")
    b.row(6, "wall time, poll / minimal fetcher", "%.2fx (%.1f s / %.1f s)"
        % (ratio, p.wall, f.wall), "<= 1.3x", ratio <= 1.3,
        "orgfetch.py: the same calls and pages, %d units at a time, each "
        "paced at %d requests/s" % (CONCURRENCY, RATE))
    cost = getattr(b, "cost", None)
    if cost is not None:
        single = cost.cpu / b.n_cost * 1e6
        b.row(6, "CPU per event, organisation / single account",
            "%.1f / %.1f us (%.2fx; %.2f s CPU)" % (cpu_ev, single,
                cpu_ev / single, p.cpu), "<= 1x", cpu_ev <= single,
            "user + system CPU of the poll / events; the single account "
            "is part 1's poll")
    else:
        b.row(6, "CPU per event, organisation", "%.1f us (%.2f s CPU)" % (
            cpu_ev, p.cpu), "<= part 1's", None, "part 1 not run "
            "(BENCH_PARTS)")
    b.row(6, "peak RSS", "%.1f MiB" % rss, "< 64 MiB", rss < 64,
        "ru_maxrss of the poll (wait4)")
    b.row(6, "peak threads", "%d (max_concurrency %d; %d units)" % (
        p.threads.peak, CONCURRENCY, n_units), "<= max_concurrency + 1",
        0 < p.threads.peak <= CONCURRENCY + 1, "Threads: in "
        "/proc/PID/status every 10 ms (%d samples); + 1 is the main thread"
        % p.threads.samples)
    b.notes.append(
        "**6.** An organisation of %d ACTIVE accounts (the credentials' own "
        "and %d members with role %s), %d regions, %d events per unit, "
        "simulator limit %d requests/s per account and region, "
        "ListAccounts not throttled. Config: `organization: {}`, "
        "`role_name`, `max_concurrency: %d`, `poll --since ... --until "
        "...` to a file. The minimal fetcher (tests/bench/orgfetch.py, "
        "Python: the run is bound by pacing, and it needs about 2 ms of "
        "CPU a request) made %d LookupEvents requests (%d throttled) and "
        "%d AssumeRole calls, in %.1f s and %.2f s CPU; most requests of "
        "one of its units in 1 s: %d. The poll made %d LookupEvents "
        "requests, in %.1f s, %.2f s CPU (%.3f user + %.3f sys)." % (
            o.naccounts, len(o.members), ROLE, len(REGIONS), EVENTS, RATE,
            CONCURRENCY, f.result["requests"], f.result["throttled"],
            f.result["assume_roles"], f.wall, f.cpu, fworst,
            sum(1 for q in p.stats if q.get("action") == "LookupEvents"),
            p.wall, p.cpu, p.user, p.sys))


if __name__ == "__main__":
    sys.exit("orgrun.py is part of bench.py")
