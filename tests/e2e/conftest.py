"""Fixtures for the end-to-end tests.

sim      the CloudTrail simulator (one process per session, reset per test)
tls_sim  a second simulator behind TLS from a test CA (.ca_path)
bt       runs ./bedrock-trail in a clean environment pointed at `sim`
"""

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simctl  # noqa: E402

import os

REPO = Path(__file__).resolve().parents[2]
# make check-asan points this at a sanitizer build.
BINARY = Path(os.environ.get("BEDROCK_TRAIL_BIN", REPO / "bedrock-trail"))


@pytest.fixture(scope="session")
def _sim_process(tmp_path_factory):
    s = simctl.Sim(tmp_path_factory.mktemp("sim"))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def sim(_sim_process):
    """The simulator, reset: no events, faults, stats; built-in credentials;
    clock at real time; rate_limit 2; throttle_probability 0."""
    if _sim_process.proc.poll() is not None:
        pytest.fail("simulator died: " + _sim_process.log_text()[-2000:])
    _sim_process.reset()
    return _sim_process


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return simctl.make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def _tls_sim_process(tmp_path_factory, test_ca):
    s = simctl.Sim(tmp_path_factory.mktemp("tls-sim"))
    s.start(tls=(test_ca["cert"], test_ca["key"], test_ca["ca"]))
    yield s
    s.stop()


@pytest.fixture
def tls_sim(_tls_sim_process):
    """Like `sim`, over HTTPS with a certificate from a test CA; the CA
    certificate is at tls_sim.ca_path."""
    if _tls_sim_process.proc.poll() is not None:
        pytest.fail("TLS simulator died: " +
            _tls_sim_process.log_text()[-2000:])
    _tls_sim_process.reset()
    return _tls_sim_process


# The time at the start of each stderr line when stderr is not a terminal.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", re.M)


def strip_timestamps(text):
    """stderr without the leading time of each line, for tests that compare
    messages; test_logs.py checks the times themselves."""
    return TIMESTAMP.sub("", text)


class Result:
    """.err is stderr with the line times taken off; .raw_err as written."""

    def __init__(self, args, rc, out, err):
        self.args = args
        self.rc = rc
        self.out = out
        self.raw_err = err
        self.err = strip_timestamps(err)

    @property
    def records(self):
        """stdout as JSON lines; a line that is not JSON fails the test."""
        recs = []
        for i, line in enumerate(self.out.splitlines(), 1):
            if not line.strip():
                continue
            try:
                recs.append(json.loads(line))
            except ValueError:
                pytest.fail("stdout line %d is not JSON: %r\nstderr:\n%s" % (
                    i, line[:300], self.err[-2000:]))
        return recs

    def __repr__(self):
        return "Result(rc=%r, args=%r,\n--- stdout\n%s--- stderr\n%s)" % (
            self.rc, self.args, self.out[-3000:], self.err[-3000:])


class Runner:
    """bt(args, env=None, input=None, faketime=None, timeout=60,
    program=None, cwd=None).

    faketime: "@2026-11-24 07:00:00" (UTC; libfaketime's -f syntax) or an
    epoch number; set the simulator's clock to match (sim.set_clock).
    cwd defaults to the test's tmp_path. program replaces ./bedrock-trail
    (the fixture's own tests run the AWS CLI through it)."""

    def __init__(self, sim, tmp_path):
        self.sim = sim
        self.tmp = tmp_path
        self.home = tmp_path / "home"
        self.config_home = tmp_path / "xdg-config"
        self.state_home = tmp_path / "xdg-state"
        for d in (self.home, self.config_home, self.state_home):
            d.mkdir(exist_ok=True)
        self.binary = BINARY
        # Tests run as root in CI, where the default paths are the system's
        # (/etc, /var/lib): every run gets a config that keeps its files
        # in the test's own directory.
        self.files = tmp_path / "files"
        self.state_path = self.files / "state.json"
        self.store_path = self.files / "credentials.enc"
        self.key_path = self.files / "master.key"
        self.default_config = self.config("")

    def config(self, text, name=None):
        """A config file with the test's own file paths plus text."""
        self._nconfig = getattr(self, "_nconfig", 0) + 1
        path = self.tmp / (name or "config-%d.yaml" % self._nconfig)
        path.write_text("state_file: %s\ncredentials_file: %s\n"
            "key_file: %s\n%s" % (self.state_path, self.store_path,
            self.key_path, text))
        return path

    def env(self, overrides=None):
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_STATE_HOME": str(self.state_home),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "AWS_ACCESS_KEY_ID": simctl.ALLOWED_KEY,
            "AWS_SECRET_ACCESS_KEY": simctl.ALLOWED_SECRET,
            "AWS_ENDPOINT_URL_CLOUDTRAIL": self.sim.url,
            "AWS_ENDPOINT_URL_STS": self.sim.url,
            "AWS_ENDPOINT_URL_ORGANIZATIONS": self.sim.url,
            "AWS_REGION": "us-east-1",
            # Hermetic: never the real instance metadata service. Tests of
            # IMDS point AWS_EC2_METADATA_SERVICE_ENDPOINT at the sim.
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        # make check-asan's sanitizer settings reach the binary.
        env.update((k, v) for k, v in os.environ.items() if k in (
            "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"))
        for k, v in (overrides or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def __call__(self, args, env=None, input=None, faketime=None, timeout=60,
            program=None, cwd=None, no_config=False):
        prog = Path(program) if program else self.binary
        if not prog.exists():
            pytest.fail("%s does not exist: run `make` first" % prog)
        args = [str(a) for a in args]
        if "-c" not in args and "--config" not in args and \
                program is None and not no_config:
            args = ["-c", str(self.default_config)] + args
        cmd = [str(prog)] + args
        wrapper = os.environ.get("BEDROCK_TRAIL_WRAPPER")
        if wrapper and program is None:
            cmd = wrapper.split() + cmd
        e = self.env(env)
        if isinstance(faketime, (int, float)) and not isinstance(faketime,
                bool):
            faketime = time.strftime("@%Y-%m-%d %H:%M:%S",
                time.gmtime(faketime))
        if faketime:
            # libfaketime through its wrapper: "@TIME" starts the clock
            # there and lets it run; -m for the multi-threaded library;
            # the monotonic clock stays real so timeouts keep working.
            if not shutil.which("faketime"):
                pytest.fail("faketime is not installed")
            cmd = ["faketime", "-m", "-f", faketime] + cmd
            e["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        if isinstance(input, str):
            input = input.encode()
        try:
            p = subprocess.run(cmd, env=e, input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True, timeout=timeout,
                cwd=str(cwd or self.tmp))
        except subprocess.TimeoutExpired as ex:
            pytest.fail("%s timed out after %ss\nstdout:\n%s\nstderr:\n%s" % (
                cmd, timeout, (ex.stdout or b"").decode(errors="replace"),
                (ex.stderr or b"").decode(errors="replace")))
        return Result(cmd, p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


@pytest.fixture
def bt(sim, tmp_path):
    """Run ./bedrock-trail against `sim` in a clean environment; see Runner.
    env values of None remove a variable. Returns .rc, .out, .err,
    .records."""
    return Runner(sim, tmp_path)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long run (the kill test, "
        "a week of polls, timing); make check-asan leaves these out")


def pytest_report_header(config):
    return "bedrock-trail binary: %s%s" % (BINARY, "" if BINARY.exists()
        else " (not built)")

