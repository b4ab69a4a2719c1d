"""Transient network errors and the messages that point at the fix.

DNS failures and refused connections are retried with the same backoff
as timeouts, up to max_attempts (bounded: 0.5 s doubling to at most 20 s
between attempts, about 50 s in all with the default 8), then 69. The
DNS cases run under an LD_PRELOAD resolver (dns_shim.c) that fails
*.amazonaws.com always and a test name until a flag file appears.
"""

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

import simctl
from conftest import REPO, strip_timestamps

HERE = Path(__file__).resolve().parent
NAME = "cloudtrail.bt-test.invalid"


@pytest.fixture(scope="module")
def named_sim(tmp_path_factory):
    """A simulator over HTTPS with a certificate for NAME (plain http is
    for loopback addresses only); .ca_path is its CA."""
    ca = simctl.make_test_ca(tmp_path_factory.mktemp("ca"),
        names=("localhost", NAME))
    s = simctl.Sim(tmp_path_factory.mktemp("named-sim"))
    s.start(tls=(ca["cert"], ca["key"], ca["ca"]))
    s.ca = ca["ca"]
    yield s
    s.stop()


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    so = tmp_path_factory.mktemp("shim") / "dns_shim.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(so),
        str(HERE / "dns_shim.c"), "-ldl"], check=True)
    return so


def shim_env(bt, shim, flag, extra=None):
    env = {"LD_PRELOAD": str(shim), "BT_DNS_NAME": NAME,
        "BT_DNS_FLAG": str(flag),
        # A sanitizer build wants its runtime first; the shim is harmless.
        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
            ":verify_asan_link_order=0"}
    env.update(extra or {})
    return bt.env(env)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_poll(bt, cfg, env, verbose=True):
    return subprocess.Popen([str(bt.binary), "-c", str(cfg)] +
        (["-v"] if verbose else []) + ["poll", "--since", "1h"], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(bt.tmp))


def finish(p, timeout=90):
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out.decode(), strip_timestamps(err.decode())


def test_refused_connection_retried_until_the_endpoint_listens(bt,
        tmp_path):
    port = free_port()
    cfg = bt.config("max_attempts: 8\n")
    env = bt.env({"AWS_ENDPOINT_URL_CLOUDTRAIL":
        "http://127.0.0.1:%d" % port})
    p = start_poll(bt, cfg, env)
    time.sleep(1.0)
    late = simctl.Sim(tmp_path / "late-sim", extra_args=["--port",
        str(port)])
    late.start()
    try:
        rc, out, err = finish(p)
    finally:
        late.stop()
    assert rc == 0, err
    assert "us-east-1: attempt 1 of 8 failed: ConnectionFailed: Failed to " \
        "connect to 127.0.0.1 port %d: Couldn't connect to server\n" % port \
        in err, err
    assert re.search(r"^us-east-1: \S+ to \S+, 1 page, 0 events fetched, ",
        err, re.M), err


def test_refused_connection_for_longer_is_69_after_the_bounded_time(bt):
    port = free_port()
    cfg = bt.config("max_attempts: 4\n")
    env = bt.env({"AWS_ENDPOINT_URL_CLOUDTRAIL":
        "http://127.0.0.1:%d" % port})
    t = time.monotonic()
    rc, out, err = finish(start_poll(bt, cfg, env, verbose=False))
    took = time.monotonic() - t
    assert (rc, out) == (69, "")
    # Backoff before attempts 2, 3, 4: 0.5, 1 and 2 s, each half random.
    assert 1.75 <= took < 10, took
    lines = err.splitlines()
    assert len(lines) == 4 and lines[:3] == ["Failed to connect to AWS CloudTrail",
        "region us-east-1: ConnectionFailed: Failed to connect to 127.0.0.1 "
        "port %d: Couldn't connect to server" % port,
        "endpoint http://127.0.0.1:%d (from AWS_ENDPOINT_URL_CLOUDTRAIL)" %
        port], err
    assert re.fullmatch(r"gave up after 4 attempts in [234] s", lines[3]), \
        lines


def test_dns_failure_retried_until_the_name_resolves(bt, named_sim, shim,
        tmp_path):
    flag = tmp_path / "dns-up"
    cfg = bt.config("max_attempts: 8\n")
    env = shim_env(bt, shim, flag, {"AWS_ENDPOINT_URL_CLOUDTRAIL":
        "https://%s:%d" % (NAME, named_sim.port),
        "AWS_CA_BUNDLE": named_sim.ca})
    p = start_poll(bt, cfg, env)
    time.sleep(1.0)
    flag.touch()
    rc, out, err = finish(p)
    assert rc == 0, err
    assert "us-east-1: attempt 1 of 8 failed: ConnectionFailed: Could not " \
        "resolve host: %s\n" % NAME in err, err


def test_dns_failure_for_longer_is_69_naming_the_endpoint(bt, named_sim,
        shim, tmp_path):
    cfg = bt.config("max_attempts: 3\n")
    env = shim_env(bt, shim, tmp_path / "never", {
        "AWS_ENDPOINT_URL_CLOUDTRAIL": "https://%s:%d" % (NAME,
            named_sim.port), "AWS_CA_BUNDLE": named_sim.ca})
    t = time.monotonic()
    rc, out, err = finish(start_poll(bt, cfg, env, verbose=False))
    assert (rc, out) == (69, "")
    assert 0.75 <= time.monotonic() - t < 10
    lines = err.splitlines()
    assert re.fullmatch(r"gave up after 3 attempts in [12] s", lines[3])
    assert len(lines) == 4 and lines[:3] == ["Failed to connect to AWS CloudTrail",
        "region us-east-1: ConnectionFailed: Could not resolve host: %s" %
        NAME,
        "endpoint https://%s:%d (from AWS_ENDPOINT_URL_CLOUDTRAIL)" % (NAME,
            named_sim.port)], err


def test_unreachable_default_endpoint_hints_at_dns_not_regions(bt, shim,
        tmp_path):
    cfg = bt.config("max_attempts: 1\n")
    env = shim_env(bt, shim, tmp_path / "never",
        {"AWS_ENDPOINT_URL_CLOUDTRAIL": None})
    r = subprocess.run([str(bt.binary), "-c", str(cfg), "test-connection"],
        env=env, capture_output=True, timeout=60)
    assert r.returncode == 69
    url = "https://cloudtrail.us-east-1.amazonaws.com"
    assert strip_timestamps(r.stderr.decode()) == (
        "Failed to connect to AWS CloudTrail\n"
        "region us-east-1: ConnectionFailed: Could not resolve host: "
        "cloudtrail.us-east-1.amazonaws.com\n"
        "endpoint %s (the default for us-east-1)\n"
        "  - check the network and the proxy (HTTPS_PROXY, NO_PROXY)\n"
        "  - check that this host resolves and reaches %s (DNS, firewall)\n"
        % (url, url))


def test_refused_endpoint_from_the_config_file(bt):
    port = free_port()
    cfg = bt.config("max_attempts: 1\nendpoint_url: http://127.0.0.1:%d\n"
        % port)
    r = bt(["-c", cfg, "test-connection"],
        env={"AWS_ENDPOINT_URL_CLOUDTRAIL": None})
    assert r.rc == 69
    assert r.err == (
        "Failed to connect to AWS CloudTrail\n"
        "region us-east-1: ConnectionFailed: Failed to connect to 127.0.0.1 "
        "port %d: Couldn't connect to server\n"
        "endpoint http://127.0.0.1:%d (from endpoint_url in the config "
        "file)\n"
        "  - check the network and the proxy (HTTPS_PROXY, NO_PROXY)\n"
        "  - check the endpoint set by endpoint_url in the config file\n"
        % (port, port))


def test_wrong_secret_says_the_secret_is_wrong(bt, sim):
    r = bt(["test-connection"], env={"AWS_SECRET_ACCESS_KEY":
        simctl.ALLOWED_SECRET + "x"})
    assert r.rc == 77
    lines = r.err.splitlines()
    assert lines[0] == "Invalid credentials or insufficient permissions"
    assert lines[1].startswith("region us-east-1: InvalidSignatureException: ")
    assert lines[2:] == ["  - the secret access key is wrong for this access "
        "key id: check it for a copy-and-paste mistake, or create a new "
        "access key and run connect again"], r.err


def test_access_denied_points_at_the_installed_policy(bt, sim):
    policy = (REPO / "build" / "docdir.stamp").read_text().strip()
    assert policy.startswith("/") and \
        policy.endswith("/share/doc/bedrock-trail/examples/iam-policy.json")
    r = bt(["test-connection"], env={"AWS_ACCESS_KEY_ID": simctl.DENIED_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.DENIED_SECRET})
    assert r.rc == 77
    lines = r.err.splitlines()
    assert lines[0] == "Invalid credentials or insufficient permissions"
    assert lines[1].startswith("region us-east-1: AccessDeniedException: ")
    assert lines[2:] == [
        "  - check that the IAM user has a policy allowing "
        "cloudtrail:LookupEvents (see %s)" % policy,
        "  - check for SCPs that block CloudTrail in this account or region"]


def test_unknown_key_id_says_aws_does_not_know_it(bt, sim):
    r = bt(["test-connection"], env={"AWS_ACCESS_KEY_ID":
        "AKIAUNKNOWNKEY000000"})
    assert r.rc == 77
    lines = r.err.splitlines()
    assert lines[0] == "Invalid credentials or insufficient permissions"
    assert lines[2:] == ["  - AWS does not know this access key id: check "
        "it, and that the key is active and not deleted in IAM"], r.err


@pytest.mark.parametrize("args,bad,near", [
    (["pol"], "unknown command pol", "poll"),
    (["stauts"], "unknown command stauts", "status"),
    (["help", "reprot"], "unknown command reprot", "report"),
    (["poll", "--outptu", "x"], "unknown option --outptu", "--output"),
    (["poll", "--sinse=1h"], "unknown option --sinse=1h", "--since"),
    (["--verbsoe", "status"], "unknown option --verbsoe", "--verbose"),
])
def test_a_typo_suggests_the_nearest_command_or_option(bt, args, bad, near):
    r = bt(args)
    assert (r.rc, r.out) == (64, "")
    assert r.err == "usage error: %s\ndid you mean '%s'?\n" \
        "Try 'bedrock-trail --help'.\n" % (bad, near)


def test_nothing_near_suggests_nothing(bt):
    r = bt(["frobnicate"])
    assert r.rc == 64
    assert r.err == "usage error: unknown command frobnicate\n" \
        "Try 'bedrock-trail --help'.\n"
