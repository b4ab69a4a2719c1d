"""The deployable examples, each through the checker Debian has for it:
systemd-analyze for the units, logrotate for the rotation file, jq for
the recipes, our own loader and the simulator for the cron line and the
service configuration, tomllib for the Vector pipeline (Debian has no
vector), json for the IAM policy."""

import calendar
import fnmatch
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINARY = REPO / "bedrock-trail"
EXAMPLES = REPO / "examples"
CRON = REPO / "cron.d" / "bedrock-trail"

STATE = "/var/lib/bedrock-trail/state.json"
OUTPUT = "/var/log/bedrock-trail/records.jsonl"
POLL_LOG = "/var/log/bedrock-trail/poll.log"
CONFIG = "/etc/bedrock-trail/config.yaml"


def need_binary():
    if not BINARY.exists():
        pytest.fail("%s does not exist: run `make` first" % BINARY)


def need_tool(name):
    path = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        pytest.fail("%s is not installed: run tests/deps.sh" % name)
    return path


# ---- IAM policy


def test_iam_policy_grants_only_lookup_events():
    doc = json.loads((EXAMPLES / "iam-policy.json").read_text())
    assert doc["Version"] == "2012-10-17"
    stmts = doc["Statement"]
    assert isinstance(stmts, list) and len(stmts) == 1
    s = stmts[0]
    assert set(s) <= {"Sid", "Effect", "Action", "Resource"}, s
    assert s["Effect"] == "Allow"
    actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
    assert actions == ["cloudtrail:LookupEvents"]
    assert s["Resource"] == "*"


def test_role_trust_policy_requires_the_external_id():
    """One statement: sts:AssumeRole for one named principal (no
    wildcard), only with the external id the config example names."""
    doc = json.loads((EXAMPLES / "role-trust-policy.json").read_text())
    assert doc["Version"] == "2012-10-17"
    (s,) = doc["Statement"]
    assert set(s) <= {"Sid", "Effect", "Principal", "Action", "Condition"}
    assert s["Effect"] == "Allow" and s["Action"] == "sts:AssumeRole"
    principal = s["Principal"]["AWS"]
    assert re.fullmatch(r"arn:aws:iam::\d{12}:(role|user)/[\w+=,.@-]+",
        principal), principal
    assert s["Condition"] == {"StringEquals": {"sts:ExternalId":
        s["Condition"]["StringEquals"]["sts:ExternalId"]}}
    ext = s["Condition"]["StringEquals"]["sts:ExternalId"]
    assert re.fullmatch(r"[\w+=,.@:/-]{2,1224}", ext), ext
    # The config example names the same external id, and a role to match.
    config = (EXAMPLES / "config.yaml").read_text()
    assert "#external_id: %s\n" % ext in config
    assert re.search(r"^#role_arn: arn:aws:iam::\d{12}:role/\S+$", config,
        re.M)


# ---- cron.d and the systemd units


def cron_job():
    """(environment, the five time fields, user, command) of the one job."""
    env, jobs = {}, []
    for line in CRON.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Z_]+)=(.*)$", line)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        jobs.append(line.split(None, 6))
    assert len(jobs) == 1, jobs
    f = jobs[0]
    return env, f[:5], f[5], f[6]


def poll_args(command):
    """The arguments of bedrock-trail in the cron command (before 2>>)."""
    words = shlex.split(command.split(" 2>>")[0])
    assert words[0] == "bedrock-trail", words
    return words[1:]


def unit(name):
    """Key -> list of values, per [section], of a systemd unit file."""
    sections, cur = {}, None
    for line in (EXAMPLES / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^\[(\w+)\]$", line)
        if m:
            cur = sections.setdefault(m.group(1), defaultdict(list))
            continue
        k, v = line.split("=", 1)
        cur[k].append(v)
    return sections


def test_cron_runs_poll_daily_at_seven_utc_as_the_dedicated_user():
    env, when, user, command = cron_job()
    assert when == ["0", "7", "*", "*", "*"]
    assert env["CRON_TZ"] == "UTC"
    assert env["MAILTO"] == "root"
    assert "/usr/local/bin" in env["PATH"].split(":")
    assert user == "bedrock-trail"
    args = poll_args(command)
    assert args == ["-c", CONFIG, "poll", "--state-file", STATE,
        "--output", OUTPUT], args
    assert "2>>" + POLL_LOG in command
    assert "-q" not in args      # the summary goes to poll.log
    # A name with a dot would be ignored by run-parts-style cron.
    assert "." not in CRON.name
    comment = "\n".join(l for l in CRON.read_text().splitlines()
        if l.startswith("#"))
    assert "CRON_TZ" in comment and "not UTC" in comment, \
        "the comment on CRON_TZ and non-UTC clocks is missing"


def test_service_and_timer_settings():
    svc = unit("bedrock-trail-poll.service")["Service"]
    _, _, _, command = cron_job()
    exec_start = shlex.split(svc["ExecStart"][0])
    assert exec_start[0] == "/usr/local/bin/bedrock-trail"
    assert exec_start[1:] == poll_args(command), \
        "the service and the cron line must run the same poll"
    want = {"Type": "oneshot", "User": "bedrock-trail",
        "ProtectSystem": "strict", "NoNewPrivileges": "yes",
        "PrivateTmp": "yes", "ProtectHome": "yes", "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX"}
    for k, v in want.items():
        assert svc[k] == [v], (k, svc.get(k))
    rw = svc["ReadWritePaths"][0].split()
    assert sorted(rw) == sorted({os.path.dirname(STATE),
        os.path.dirname(OUTPUT)})
    # A failed poll reaches a person without a mail server.
    assert unit("bedrock-trail-poll.service")["Unit"]["OnFailure"] == \
        ["bedrock-trail-alert.service"]
    alert = unit("bedrock-trail-alert.service")["Service"]
    assert alert["Type"] == ["oneshot"]
    assert "logger -p user.crit" in alert["ExecStart"][0]
    timer = unit("bedrock-trail-poll.timer")
    assert timer["Timer"]["OnCalendar"] == ["*-*-* 07:00:00 UTC"]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["Unit"] == ["bedrock-trail-poll.service"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


def test_systemd_analyze_verify(tmp_path):
    """systemd-analyze verify: no warning at all. ExecStart must exist and
    Documentation= must resolve with man(1), so point both at this tree."""
    need_binary()
    analyze = need_tool("systemd-analyze")
    for section in ("1", "5"):
        (tmp_path / "man" / ("man" + section)).mkdir(parents=True)
    shutil.copy(REPO / "man" / "bedrock-trail.1", tmp_path / "man" / "man1")
    shutil.copy(REPO / "man" / "bedrock-trail.yaml.5",
        tmp_path / "man" / "man5")
    units = []
    for name in ("bedrock-trail-poll.service", "bedrock-trail-poll.timer",
            "bedrock-trail-alert.service"):
        text = (EXAMPLES / name).read_text().replace(
            "/usr/local/bin/bedrock-trail", str(BINARY))
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    env = dict(os.environ, MANPATH=str(tmp_path / "man"),
        SYSTEMD_LOG_LEVEL="notice")
    r = subprocess.run([analyze, "verify"] + units, capture_output=True,
        text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", \
        r.stdout + r.stderr


def test_systemd_analyze_catches_a_broken_timer(tmp_path):
    """The check above can fail: a bad calendar spec is reported."""
    analyze = need_tool("systemd-analyze")
    svc = (EXAMPLES / "bedrock-trail-poll.service").read_text()
    svc = re.sub(r"^Documentation=.*$", "", svc, flags=re.M)
    (tmp_path / "bedrock-trail-poll.service").write_text(
        svc.replace("/usr/local/bin/bedrock-trail", "/bin/true"))
    timer = (EXAMPLES / "bedrock-trail-poll.timer").read_text()
    timer = re.sub(r"^Documentation=.*$", "", timer, flags=re.M)
    (tmp_path / "bedrock-trail-poll.timer").write_text(
        timer.replace("07:00:00", "25:00:00"))
    r = subprocess.run([analyze, "verify",
        str(tmp_path / "bedrock-trail-poll.timer")], capture_output=True,
        text=True, timeout=120)
    assert r.returncode != 0 and "calendar" in r.stderr, r.stderr


# ---- the cron line and the service configuration, for real


class Deployment:
    """The cron set-up of the README in a scratch root: /etc, /var/lib and
    /var/log of bedrock-trail moved under tmp_path."""

    def __init__(self, tmp_path):
        self.root = tmp_path
        self.etc = tmp_path / "etc"
        self.lib = tmp_path / "lib"
        self.log = tmp_path / "log"
        for d in (self.etc, self.etc / "private", self.lib, self.log):
            d.mkdir(mode=0o700, parents=True)
        cfg = self.rewrite((EXAMPLES / "service-config.yaml").read_text())
        (self.etc / "config.yaml").write_text(cfg)

    def rewrite(self, text):
        return (text.replace("/etc/bedrock-trail", str(self.etc))
            .replace("/var/lib/bedrock-trail", str(self.lib))
            .replace("/var/log/bedrock-trail", str(self.log)))

    def run_cron_command(self, sim, secret=None):
        """The cron job's command through sh, as cron runs it, with the
        built binary first on PATH; returns what cron would mail."""
        need_binary()
        import simctl
        _, _, _, command = cron_job()
        env = {"PATH": "%s:/usr/bin:/bin" % REPO, "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": simctl.ALLOWED_KEY,
            "AWS_SECRET_ACCESS_KEY": secret or simctl.ALLOWED_SECRET,
            "AWS_ENDPOINT_URL_CLOUDTRAIL": sim.url,
            "AWS_ENDPOINT_URL_STS": sim.url,
            "AWS_REGION": "us-east-1",
            "AWS_SHARED_CREDENTIALS_FILE": str(self.root / "absent")}
        r = subprocess.run(["/bin/sh", "-c", self.rewrite(command)],
            env=env, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        assert r.returncode == 0 and r.stderr == "", r
        return r.stdout

    def records(self):
        return (self.log / "records.jsonl").read_text().splitlines()


def test_cron_command_and_service_config_poll_the_simulator(sim, tmp_path):
    import reference
    dep = Deployment(tmp_path)
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 20 * 3600, end=now - 1800,
        count=120, seed=7, delay_max=0)
    mail = dep.run_cron_command(sim)
    assert mail == ""
    evs = [e["record"] for e in sim.events("us-east-1",
        "bedrock.amazonaws.com", full=True)]
    evs.sort(key=lambda e: (e["eventTime"], e["eventID"]))
    want = [reference.line(e, ()) for e in evs]
    assert dep.records() == want
    log = (dep.log / "poll.log").read_text()
    # A cron log says when: each line starts with the time.
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ us-east-1: .* "
        r"%d events fetched, %d written, " % (len(want), len(want)), log,
        re.M), log
    assert stat.S_IMODE((dep.log / "records.jsonl").stat().st_mode) == 0o600
    assert (dep.lib / "state.json").exists()

    # The next run appends only what is new: events that arrived since,
    # inside the overlap.
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 600, end=now - 60,
        count=30, seed=8, delay_max=0)
    assert dep.run_cron_command(sim) == ""
    ids = [json.loads(l)["eventID"] for l in dep.records()]
    assert len(ids) == len(set(ids)) == len(want) + 30

    # A failure mails one line, and poll.log says why.
    mail = dep.run_cron_command(sim, secret="wrong")
    assert mail == ("bedrock-trail poll failed (exit status 77): see %s\n"
        % (dep.log / "poll.log"))
    assert "Invalid credentials or insufficient permissions" in \
        (dep.log / "poll.log").read_text()


def test_service_config_is_consistent_with_the_cron_line():
    text = (EXAMPLES / "service-config.yaml").read_text()
    keys = dict(re.findall(r"^([a-z_]+): (\S+)$", text, re.M))
    assert keys["state_file"] == STATE
    assert keys["output"] == OUTPUT
    assert os.path.dirname(keys["credentials_file"]) == \
        os.path.dirname(STATE)
    # The key is read-only to the service: ProtectSystem=strict covers it.
    assert keys["key_file"].startswith("/etc/bedrock-trail/private/")


# ---- logrotate


def current_user():
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def logrotate_conf(tmp_path):
    user, group = current_user()
    text = (EXAMPLES / "logrotate.conf").read_text()
    text = text.replace("/var/log/bedrock-trail", str(tmp_path / "log"))
    text = text.replace("bedrock-trail bedrock-trail", "%s %s" % (user, group))
    (tmp_path / "log").mkdir(mode=0o750)
    conf = tmp_path / "logrotate.conf"
    conf.write_text(text)
    return conf


def test_logrotate_debug_run_is_clean(tmp_path):
    logrotate = need_tool("logrotate")
    conf = logrotate_conf(tmp_path)
    (tmp_path / "log" / "records.jsonl").write_text('{"eventID":"a"}\n')
    (tmp_path / "log" / "poll.log").write_text("us-east-1: ...\n")
    r = subprocess.run([logrotate, "-d", "-s", str(tmp_path / "lr.state"),
        str(conf)], capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "error" not in out.lower(), out
    assert "rotating pattern: %s" % (tmp_path / "log" / "records.jsonl") \
        in out
    conf_text = (EXAMPLES / "logrotate.conf").read_text()
    # Rename rotation only: see the file's comment and bedrock-trail(1).
    assert not re.search(r"^\s*(copytruncate|copy)\s*$", conf_text, re.M)
    assert re.search(r"^\s*create 0600 bedrock-trail bedrock-trail$",
        conf_text, re.M)
    assert re.search(r"^\s*delaycompress$", conf_text, re.M)


def test_logrotate_renames_and_polls_go_on_exactly_once(sim, bt, tmp_path):
    """Rename rotation between two polls: the first poll's records stay in
    the rotated file (same inode, uncompressed), the second poll writes
    only new events into a fresh 0600 file; together every event once."""
    logrotate = need_tool("logrotate")
    conf = logrotate_conf(tmp_path)
    out = tmp_path / "log" / "records.jsonl"
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 6 * 3600, end=now - 1800,
        count=80, seed=3, delay_max=0)
    state = tmp_path / "state.json"
    assert bt(["poll", "--state-file", state, "-o", out]).rc == 0
    first = out.read_text().splitlines()
    inode = out.stat().st_ino
    r = subprocess.run([logrotate, "-f", "-s", str(tmp_path / "lr.state"),
        str(conf)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    rotated = tmp_path / "log" / "records.jsonl.1"
    assert rotated.stat().st_ino == inode, "rotation must rename, not copy"
    assert rotated.read_text().splitlines() == first
    assert out.stat().st_size == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 600, end=now - 60,
        count=20, seed=4, delay_max=0)
    r = bt(["poll", "--state-file", state, "-o", out])
    assert r.rc == 0, r
    second = out.read_text().splitlines()
    ids = [json.loads(l)["eventID"] for l in first + second]
    assert len(second) == 20
    assert len(ids) == len(set(ids)) == 100


# ---- jq recipes


def recipes():
    """[(title, shell command)] of examples/jq-recipes.md."""
    text = (EXAMPLES / "jq-recipes.md").read_text()
    out = []
    for m in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        blocks = re.findall(r"^```sh\n(.*?)^```", m.group(2), re.S | re.M)
        assert len(blocks) == 1, m.group(1)
        out.append((m.group(1), blocks[0]))
    return out


def who(r):
    u = r["userIdentity"]
    for k in ("arn", "userName", "type"):
        if u[k] is not None:
            return u[k]
    return "(unknown)"


def model(r):
    return r["modelName"] if r["modelName"] is not None else "(none)"


def tsv(v):
    s = str(v)
    for a, b in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        s = s.replace(a, b)
    return s


def rows(items):
    return ["\t".join(tsv(x) for x in row) for row in items]


def counted(counter):
    return rows((n, k) for k, n in sorted(counter.items(),
        key=lambda kv: (-kv[1], kv[0])))


def first_use(recs):
    first = {}
    for r in recs:
        if r["modelName"] is None:
            continue
        m = r["modelName"]
        if m not in first or r["eventTime"] < first[m][0]:
            first[m] = (r["eventTime"], who(r))
    return sorted(((t, m, w) for m, (t, w) in first.items()),
        key=lambda x: (x[0], x[1]))


def expected(title, cmd, recs):
    if title == "Models by calls":
        return counted(Counter(model(r) for r in recs))
    if title == "Calls per principal":
        return counted(Counter(who(r) for r in recs))
    if title == "Calls per principal and model":
        c = Counter((who(r), model(r)) for r in recs)
        return rows((n, w, m) for (w, m), n in sorted(c.items(),
            key=lambda kv: (-kv[1], kv[0][0], kv[0][1])))
    if title == "Failed calls":
        return rows((r["eventTime"], r["errorCode"], r["eventName"],
            model(r), who(r)) for r in recs if r["errorCode"] is not None)
    if title == "Failed calls by error code":
        return counted(Counter(r["errorCode"] for r in recs
            if r["errorCode"] is not None))
    if title == "First use of each model":
        return rows(first_use(recs))
    if title == "Models used for the first time since a date":
        since = re.search(r"--arg since (\S+)", cmd).group(1)
        return rows(x for x in first_use(recs) if x[0] >= since)
    pytest.fail("recipe %r has no check in test_examples.py" % title)


@pytest.fixture
def records_file(sim, bt, tmp_path):
    """A day of simulated traffic polled by the binary, plus the record
    fixtures (hostile strings, null models, services without an ARN)."""
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 20 * 3600, end=now - 1800,
        count=400, seed=11, delay_max=0)
    r = bt(["poll", "--state-file", tmp_path / "state.json"])
    assert r.rc == 0, r
    # split("\n"): records may hold U+2028 and the like, which
    # str.splitlines() would take for line ends.
    lines = r.out.rstrip("\n").split("\n")
    fixtures = sorted((REPO / "tests" / "fixtures" / "records")
        .glob("*.expected"))
    for f in fixtures:
        lines += f.read_text().rstrip("\n").split("\n")
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")
    recs = [json.loads(l) for l in lines]
    assert any(x["errorCode"] for x in recs)
    assert any(x["modelName"] is None for x in recs)
    return path, recs


def test_jq_recipes_give_the_figures_computed_independently(records_file):
    need_tool("jq")
    path, recs = records_file
    # "since" must split the models into old and new ones to mean anything.
    times = sorted(t for t, _, _ in first_use(recs))
    rs = recipes()
    titles = [t for t, _ in rs]
    assert {"Models by calls", "Calls per principal", "Failed calls",
        "First use of each model"} <= set(titles)
    for title, cmd in rs:
        if "--arg since" in cmd:
            since = times[len(times) // 2]
            cmd = re.sub(r"--arg since \S+", "--arg since " + since, cmd)
        want = expected(title, cmd, recs)
        assert want, "recipe %r checked on no data" % title
        r = subprocess.run(["/bin/sh", "-c", cmd], cwd=path.parent,
            capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stderr == "", (title, r.stderr)
        assert r.stdout.rstrip("\n").split("\n") == want, title


# ---- Vector


def vector_graph(cfg):
    ids = set(cfg.get("sources", {})) | set(cfg.get("transforms", {}))
    for kind in ("transforms", "sinks"):
        for name, comp in cfg.get(kind, {}).items():
            assert comp["inputs"], name
            for i in comp["inputs"]:
                assert i in ids, "%s %s reads unknown %s" % (kind, name, i)
    return ids


def test_vector_pipeline_parses_and_reads_the_poll_output():
    text = (EXAMPLES / "vector.toml").read_text()
    cfg = tomllib.loads(text)
    src = cfg["sources"]["bedrock_trail"]
    assert src["type"] == "file"
    assert any(fnmatch.fnmatch(OUTPUT, g) for g in src["include"])
    assert any(fnmatch.fnmatch(OUTPUT + ".1", g) for g in src["include"])
    assert any(fnmatch.fnmatch(OUTPUT + ".2.gz", g) for g in src["exclude"])
    remap = cfg["transforms"]["bedrock_records"]
    assert remap["type"] == "remap" and "parse_json" in remap["source"]
    assert cfg["transforms"]["bedrock_unique"]["fields"]["match"] == \
        ["eventID"]
    vector_graph(cfg)
    assert cfg["sinks"]

    # The commented HTTP sink is valid once uncommented.
    block = text.split("# [sinks.collector]")[1]
    lines = ["[sinks.collector]"] + [l[2:] for l in block.splitlines()
        if l.startswith("# ")]
    cfg2 = tomllib.loads(text + "\n" + "\n".join(lines) + "\n")
    http = cfg2["sinks"]["collector"]
    assert http["type"] == "http" and http["uri"].startswith("https://")
    vector_graph(cfg2)


# ---- Discoveries

DISCOVERIES = "/var/log/bedrock-trail/discoveries.jsonl"


def test_discoveries_pipeline_reads_the_file_and_drops_baselines():
    text = (EXAMPLES / "vector-discoveries.toml").read_text()
    cfg = tomllib.loads(text)
    src = cfg["sources"]["bedrock_discoveries"]
    assert src["type"] == "file"
    assert any(fnmatch.fnmatch(DISCOVERIES, g) for g in src["include"])
    assert any(fnmatch.fnmatch(DISCOVERIES + ".1", g) for g in src["include"])
    assert not any(fnmatch.fnmatch(OUTPUT, g) for g in src["include"])
    remap = cfg["transforms"]["discovery_events"]
    assert remap["type"] == "remap" and "parse_json" in remap["source"]
    assert "firstSeen" in remap["source"]
    assert cfg["transforms"]["discovery_alerts"]["condition"] == \
        ".baseline != true"
    vector_graph(cfg)
    assert cfg["sinks"]
    block = text.split("# [sinks.webhook]")[1]
    lines = ["[sinks.webhook]"] + [l[2:] for l in block.splitlines()
        if l.startswith("# ")]
    cfg2 = tomllib.loads(text + "\n" + "\n".join(lines) + "\n")
    hook = cfg2["sinks"]["webhook"]
    assert hook["type"] == "http" and hook["uri"].startswith("https://")
    assert hook["inputs"] == ["discovery_unique"]
    vector_graph(cfg2)


def test_discoveries_config_loads_and_its_policy_says_what_it_says(
        tmp_path):
    need_binary()
    cfg = EXAMPLES / "discoveries.yaml"
    text = cfg.read_text()
    assert "discoveries_output: %s\n" % DISCOVERIES in text
    assert "output: %s\n" % OUTPUT in text
    records = tmp_path / "records.jsonl"
    rec = {"eventID": "e", "eventTime": "2026-11-24T06:59:58Z",
        "eventName": "InvokeModel", "eventSource": "bedrock.amazonaws.com",
        "awsRegion": "us-east-1", "recipientAccountId": "123456789012",
        "modelId": None, "modelName": None, "modelProvider": None,
        "userIdentity": {"type": "IAMUser", "arn": "arn:x", "accountId":
        "123456789012", "principalId": "A", "userName": "u",
        "sessionIssuerArn": None}, "errorCode": None}
    models = {"anthropic.claude-v2": "allowed",
        "amazon.titan-text-lite-v1": "allowed",
        "meta.llama3-8b-instruct-v1:0": "denied",
        "mistral.mistral-large-2402-v1:0": "unlisted"}
    records.write_text("".join(json.dumps(dict(rec, eventID=m, modelName=m))
        + "\n" for m in models))
    r = subprocess.run([str(BINARY), "-c", str(cfg), "report", "--format",
        "json", str(records)], capture_output=True, text=True, timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert {m["modelName"]: m["policy"] for m in json.loads(r.stdout)[
        "models"]} == models


def test_alert_unit_logs_and_posts_the_failure(tmp_path):
    """The alert's command, run with stand-ins for journalctl, logger and
    curl: it logs the poll's last lines at priority crit, and posts them
    to the webhook when alert-url names one."""
    cmd = shlex.split(unit("bedrock-trail-alert.service")["Service"][
        "ExecStart"][0])
    assert cmd[:2] == ["/bin/sh", "-c"]
    url_file = tmp_path / "alert-url"
    script = cmd[2].replace("$$", "$").replace("%H", "host1").replace(
        "/etc/bedrock-trail/alert-url", str(url_file))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (
            ("journalctl", 'echo "$*" >"%s/journalctl.args"\n'
                'printf "Failed to connect to AWS CloudTrail\\n'
                'region us-east-1: ConnectionFailed\\n"' % tmp_path),
            ("logger", 'printf "%%s\\n" "$@" >"%s/logger.args"' % tmp_path),
            ("curl", 'printf "%%s\\n" "$@" >"%s/curl.args"' % tmp_path)):
        (bin_dir / name).write_text("#!/bin/sh\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": "%s:/usr/bin:/bin" % bin_dir}
    text = ("bedrock-trail poll failed on host1: Failed to connect to AWS "
        "CloudTrail\nregion us-east-1: ConnectionFailed")

    r = subprocess.run(["/bin/sh", "-c", script], env=env,
        capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "journalctl.args").read_text() == \
        "-u bedrock-trail-poll.service -n 15 -o cat --no-pager\n"
    assert (tmp_path / "logger.args").read_text() == \
        "-p\nuser.crit\n-t\nbedrock-trail\n--\n%s\n" % text
    assert not (tmp_path / "curl.args").exists()

    url_file.write_text("https://hooks.example.com/T0/B0\n")
    r = subprocess.run(["/bin/sh", "-c", script], env=env,
        capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "curl.args").read_text() == ("-fsS\n-m\n30\n"
        "--data-binary\n%s\nhttps://hooks.example.com/T0/B0\n" % text)


# ---- an organisation: the policies, the StackSet and the config


def statements(name):
    doc = json.loads((EXAMPLES / name).read_text())
    assert doc["Version"] == "2012-10-17"
    return doc["Statement"]


def actions(stmt):
    a = stmt["Action"]
    return a if isinstance(a, list) else [a]


def test_member_role_policy_grants_only_lookup_events():
    (s,) = statements("member-role-policy.json")
    assert s["Effect"] == "Allow" and s["Resource"] == "*"
    assert actions(s) == ["cloudtrail:LookupEvents"]


def test_management_policy_lists_accounts_and_assumes_only_the_member_role():
    got = {(a, s["Resource"]) for s in statements("org-management-policy.json")
        for a in actions(s) if s["Effect"] == "Allow"}
    assert got == {("organizations:ListAccounts", "*"),
        ("sts:AssumeRole", "arn:aws:iam::*:role/BedrockTrailReader"),
        ("cloudtrail:LookupEvents", "*")}


def test_member_trust_policy_requires_the_external_id():
    (s,) = statements("member-role-trust-policy.json")
    assert actions(s) == ["sts:AssumeRole"] and s["Effect"] == "Allow"
    assert re.fullmatch(r"arn:aws:iam::\d{12}:root", s["Principal"]["AWS"])
    assert list(s["Condition"]) == ["StringEquals"]
    assert list(s["Condition"]["StringEquals"]) == ["sts:ExternalId"]


def test_stackset_deploys_the_same_role_and_policies():
    import yaml
    tpl = yaml.safe_load((EXAMPLES / "member-role-stackset.yaml").read_text())
    assert tpl["AWSTemplateFormatVersion"] == "2010-09-09"
    role = tpl["Resources"]["BedrockTrailReader"]
    assert role["Type"] == "AWS::IAM::Role"
    props = role["Properties"]
    assert props["RoleName"] == {"Ref": "RoleName"}
    org = yaml.safe_load((EXAMPLES / "organization.yaml").read_text())
    assert tpl["Parameters"]["RoleName"]["Default"] == org["role_name"]
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {
        "sts:ExternalId": {"Ref": "ExternalId"}}}
    (policy,) = props["Policies"]
    assert policy["PolicyDocument"]["Statement"] == \
        statements("member-role-policy.json")


def test_organization_config_polls_the_organisation(bt, sim, tmp_path):
    """The example as shipped, its paths moved into the test's directory,
    against an organisation whose member role is the StackSet's."""
    import simctl
    text = (EXAMPLES / "organization.yaml").read_text()
    assert "state_file: %s\n" % STATE in text and \
        "output: %s\n" % OUTPUT in text
    out = tmp_path / "records.jsonl"
    cfg = tmp_path / "organization.yaml"
    cfg.write_text(text.replace(STATE, str(tmp_path / "state.json"))
        .replace(OUTPUT, str(out)) + "credentials_file: %s\nkey_file: %s\n"
        % (tmp_path / "c.enc", tmp_path / "m.key"))
    member, ext = "444455556666", "bedrock-trail-CHANGE-ME"
    sim.organization(simctl.ACCOUNT, [{"id": a, "name": a, "status": "ACTIVE",
        "email": "x@example.com"} for a in (simctl.ACCOUNT, member)])
    sim.add_role("arn:aws:iam::%s:role/BedrockTrailReader" % member,
        external_id=ext, trusted=[simctl.ACCOUNT])
    now = sim.clock()
    for a in (simctl.ACCOUNT, member):
        sim.generate(account=a, region="eu-west-3", start=now - 3600,
            end=now - 60, count=4, seed=int(a[:3]), delay_max=0)
    sim.config(rate_limit=0)
    r = bt(["-c", cfg, "-q", "poll"], env={"AWS_REGION": None}, timeout=120)
    assert r.rc == 0, r
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    assert sorted(x["recipientAccountId"] for x in recs) == \
        [simctl.ACCOUNT] * 4 + [member] * 4
