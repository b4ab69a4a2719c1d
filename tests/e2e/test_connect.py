"""connect and disconnect against the simulator: the round trip to a cron
run without AWS variables, nothing stored when the check fails, the store
as an opaque 0600 file that refuses tampering, secrets kept out of argv,
output and state, and the resolution order."""

import os
import select
import subprocess
import time

import pytest

import simctl
from connect_env import (KEY, MASKED, NO_AWS, SECRET, Conn, all_files_text,
    mode, ok_lines)

AUTH = "Invalid credentials or insufficient permissions"


def lookups(sim):
    """The LookupEvents requests the simulator saw (not STS's)."""
    return [q for q in sim.stats() if q.get("action") == "LookupEvents"]


@pytest.fixture
def conn(bt, sim, tmp_path):
    return Conn(bt, sim, tmp_path)


def stored_line(c):
    return "stored the connection in %s (key file %s)\n" % (c.store, c.key)


# ------------------------------------------------------------ round trip

def test_round_trip_test_connection_and_poll_use_the_store(conn, sim):
    r = conn.connect(regions="us-east-1,eu-west-1")
    assert r.rc == 0, r
    assert r.out == (ok_lines(conn, "us-east-1", "eu-west-1") +
        stored_line(conn))
    assert mode(conn.store) == 0o600 and mode(conn.key) == 0o600
    assert conn.key.stat().st_size == 32
    assert [(q["access_key_id"], q["status"]) for q in sim.stats()] == [
        (KEY, 200), (KEY, 200)]

    # No AWS variable at all: the key and the regions come from the store.
    sim.reset_stats()
    r = conn(["test-connection"])
    assert r.rc == 0, r
    assert r.out == ok_lines(conn, "us-east-1", "eu-west-1")
    assert sorted((q["access_key_id"], q["region"]) for q in lookups(sim)) \
        == [(KEY, "eu-west-1"), (KEY, "us-east-1")]

    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 7200, end=now - 600,
        count=30, seed=7, delay_max=0)
    sim.generate(region="eu-west-1", start=now - 7200, end=now - 600,
        count=20, seed=8, delay_max=0)
    want = {e["eventID"] for reg in ("us-east-1", "eu-west-1")
        for e in sim.events(reg, "bedrock.amazonaws.com")}
    sim.reset_stats()
    r = conn(["poll"])
    assert r.rc == 0, r
    assert {x["eventID"] for x in r.records} == want and len(want) == 50
    assert {q["access_key_id"] for q in sim.stats()} == {KEY}
    assert conn.state.is_file()


def test_session_token_from_the_second_line(conn, sim):
    r = conn.connect(key=simctl.SESSION_KEY, secret=simctl.SESSION_SECRET,
        token=simctl.SESSION_TOKEN)
    assert r.rc == 0, r
    sim.reset_stats()
    r = conn(["test-connection"])
    assert r.rc == 0, r
    assert sim.stats()[0]["status"] == 200
    assert simctl.SESSION_TOKEN.encode() not in conn.store.read_bytes()


def test_crlf_line_ending_is_stripped(conn, sim):
    r = conn(["connect", "--access-key-id", KEY, "-r", "us-east-1"],
        input=SECRET + "\r\n")
    assert r.rc == 0, r
    assert conn(["test-connection"]).rc == 0


# ------------------------------------------------- a failing check stores nothing

def test_wrong_secret_stores_nothing(conn, sim):
    r = conn.connect(secret="not-the-secret")
    assert r.rc == 77, r
    assert r.err.splitlines()[0] == AUTH
    assert r.err.splitlines()[-1] == "nothing was stored"
    assert r.out == ok_lines(conn)          # which keys were tried
    assert not conn.store.exists() and not conn.key.exists()


def test_wrong_secret_leaves_an_earlier_store_intact(conn, sim):
    assert conn.connect().rc == 0
    before = conn.store.read_bytes()
    r = conn.connect(secret="not-the-secret")
    assert r.rc == 77, r
    assert conn.store.read_bytes() == before
    assert conn(["test-connection"]).rc == 0


def test_key_without_permission_stores_nothing(conn, sim):
    r = conn.connect(key=simctl.DENIED_KEY, secret=simctl.DENIED_SECRET)
    assert r.rc == 77, r
    assert "AccessDeniedException" in r.err
    assert not conn.store.exists()


def test_unreachable_endpoint_stores_nothing(conn, sim, tmp_path):
    # DNS failures are retried: two attempts keep the test short.
    (tmp_path / "two").mkdir()
    conn = Conn(conn.bt, sim, tmp_path / "two", extra="max_attempts: 2\n")
    r = conn.connect(env={"AWS_ENDPOINT_URL_CLOUDTRAIL":
        "https://cloudtrail.invalid"})
    assert r.rc == 69, r
    assert r.err.splitlines()[0] == "Failed to connect to AWS CloudTrail"
    assert not conn.store.exists()


# ------------------------------------------------------- command line

def test_without_a_terminal_key_id_and_region_are_required(conn, sim):
    r = conn(["connect"], input=SECRET + "\n")
    assert r.rc == 64, r
    assert r.err == ("usage error: standard input is not a terminal: give "
        "--access-key-id\nusage error: standard input is not a terminal: "
        "give --region\nTry 'bedrock-trail connect --help'.\n")
    r = conn(["connect", "-r", "us-east-1"], input=SECRET + "\n")
    assert r.rc == 64 and "--access-key-id" in r.err and \
        "--region" not in r.err, r
    r = conn(["connect", "--access-key-id", KEY], input=SECRET + "\n")
    assert r.rc == 64 and "give --region" in r.err, r
    assert sim.stats() == [] and not conn.store.exists()


@pytest.mark.parametrize("data", ["", "\n", "\r\n"])
def test_empty_secret_is_a_usage_error(conn, sim, data):
    r = conn(["connect", "--access-key-id", KEY, "-r", "us-east-1"],
        input=data)
    assert r.rc == 64, r
    assert r.err.splitlines()[0] == ("usage error: the secret access key "
        "must be the first line of standard input")
    assert sim.stats() == [] and not conn.store.exists()


def test_overlong_secret_line_is_refused(conn, sim):
    r = conn(["connect", "--access-key-id", KEY, "-r", "us-east-1"],
        input="x" * 9000 + "\n")
    assert r.rc == 64, r
    assert r.err.splitlines()[0] == ("standard input: a line of 9001 bytes "
        "is no access key, secret or token")
    assert "x" * 20 not in r.err
    assert sim.stats() == [] and not conn.store.exists()


def test_session_token_line_missing(conn, sim):
    r = conn(["connect", "--access-key-id", KEY, "-r", "us-east-1",
        "--session-token-stdin"], input=SECRET + "\n")
    assert r.rc == 64, r
    assert "session token must be the second line" in r.err
    assert sim.stats() == [] and not conn.store.exists()


def test_secret_on_the_command_line_is_refused(conn, sim):
    for opt in ("--secret-access-key", "--aws-secret-access-key",
            "--secret"):
        r = conn(["connect", "--access-key-id", KEY, "-r", "us-east-1",
            opt, SECRET], input=SECRET + "\n")
        assert r.rc == 64, r
        assert r.err.startswith("usage error"), r
        assert SECRET not in r.err
    r = conn(["connect", "--access-key-id", KEY, "-r", "us-east-1", SECRET],
        input=SECRET + "\n")
    assert r.rc == 64, r
    assert sim.stats() == [] and not conn.store.exists()


def test_access_key_id_must_be_letters_and_digits(conn, sim):
    r = conn(["connect", "--access-key-id", "AKID\r\nX-Evil: 1",
        "-r", "us-east-1"], input=SECRET + "\n")
    assert r.rc == 64, r
    assert "letters and digits" in r.err
    assert sim.stats() == []


def test_invalid_region_before_any_request(conn, sim):
    r = conn(["connect", "--access-key-id", KEY, "-r", "US East"],
        input=SECRET + "\n")
    assert r.rc == 78, r
    assert "invalid region 'US East'" in r.err and "us-east-1" in r.err
    assert sim.stats() == [] and not conn.store.exists()


def test_region_from_the_environment_is_enough(conn, sim):
    r = conn(["connect", "--access-key-id", KEY], input=SECRET + "\n",
        env={"AWS_REGION": "eu-central-1"})
    assert r.rc == 0, r
    assert r.out.startswith(ok_lines(conn, "eu-central-1"))
    r = conn(["test-connection"])
    assert r.out == ok_lines(conn, "eu-central-1"), r


# --------------------------------------------------------------- the store

def test_store_holds_neither_secret_nor_key_id_in_clear(conn, sim):
    assert conn.connect().rc == 0
    data = conn.store.read_bytes()
    assert data[:5] == b"BTCS\x01"
    for s in (SECRET, KEY, KEY[4:], SECRET[:12], "us-east-1"):
        assert s.encode() not in data
        assert s.encode("utf-16-le") not in data
    assert SECRET.encode() not in conn.key.read_bytes()


def test_two_writes_of_the_same_credentials_differ(conn, sim):
    assert conn.connect().rc == 0
    first = conn.store.read_bytes()
    key = conn.key.read_bytes()
    assert conn.connect().rc == 0
    second = conn.store.read_bytes()
    assert len(first) == len(second) and first != second
    assert first[5:17] != second[5:17]      # the nonce
    assert conn.key.read_bytes() == key     # the key file is kept
    assert conn(["test-connection"]).rc == 0


def stored(conn):
    assert conn.connect().rc == 0
    conn.sim.reset_stats()
    return conn.store.read_bytes()


def test_every_single_byte_flip_is_refused_without_a_request(conn, sim):
    data = stored(conn)
    # The environment holds working credentials: a bad store must not
    # quietly fall back to them.
    env = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01 if i % 2 else 0xFF
        conn.store.write_bytes(bytes(bad))
        r = conn(["test-connection"], env=env)
        assert r.rc == 65, (i, r)
        assert str(conn.store) in r.err, (i, r)
        assert SECRET not in r.err + r.out and KEY not in r.err + r.out
    assert sim.stats() == []


def test_truncated_store_is_refused(conn, sim):
    data = stored(conn)
    for n in sorted({0, 1, 4, 5, 16, 17, 18, 33, len(data) - 16,
            len(data) - 1}):
        conn.store.write_bytes(data[:n])
        r = conn(["test-connection"])
        assert r.rc == 65, (n, r)
        assert str(conn.store) in r.err, (n, r)
    conn.store.write_bytes(data + b"\0")
    assert conn(["test-connection"]).rc == 65
    assert sim.stats() == []


def test_store_made_with_another_key_is_refused(conn, sim):
    stored(conn)
    conn.key.write_bytes(os.urandom(32))
    r = conn(["test-connection"])
    assert r.rc == 65, r
    assert str(conn.store) in r.err
    r = conn(["poll"])
    assert r.rc == 65, r
    assert r.out == ""
    assert sim.stats() == []


@pytest.mark.parametrize("which", ["store", "key"])
@pytest.mark.parametrize("bits", [0o640, 0o644, 0o604])
def test_store_or_key_readable_by_others_is_refused(conn, sim, which, bits):
    stored(conn)
    path = conn.store if which == "store" else conn.key
    path.chmod(bits)
    r = conn(["test-connection"])
    assert r.rc == 78, r
    assert str(path) in r.err and "%04o" % bits in r.err, r
    assert sim.stats() == []
    r = conn(["status"])
    assert r.rc == 78, r


def test_connect_refuses_a_world_writable_key_directory(conn, sim):
    conn.key.parent.mkdir(parents=True)
    conn.key.parent.chmod(0o777)
    r = conn.connect()
    assert r.rc != 0, r
    assert str(conn.key.parent) in r.err
    assert not conn.store.exists() and not conn.key.exists()


# ------------------------------------------------------- secrets stay secret

def test_secret_never_in_the_command_line_of_the_process(conn, sim):
    p = subprocess.Popen(conn.argv(["-v", "connect", "--access-key-id", KEY,
        "-r", "us-east-1"]), env=conn.env(), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(conn.bt.tmp))
    try:
        # It is waiting for the secret: its command line is final.
        cmdline = b""
        deadline = time.monotonic() + 10
        while KEY.encode() not in cmdline and time.monotonic() < deadline:
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                cmdline = f.read()
            time.sleep(0.01)
        assert KEY.encode() in cmdline          # the right process
        assert SECRET.encode() not in cmdline
        p.stdin.write(SECRET.encode() + b"\n")
        p.stdin.flush()
        time.sleep(0.2)
        if p.poll() is None:
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                assert SECRET.encode() not in f.read()
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert SECRET.encode() not in out + err


def test_secret_never_printed_at_any_verbosity_nor_in_the_state(conn, sim):
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 3600, end=now - 60,
        count=20, seed=9, delay_max=0)
    texts = []
    for flags in ([], ["-v"], ["-q"]):
        for secret in ("wrong-secret-PROBE-123", SECRET):
            r = conn(flags + ["connect", "--access-key-id", KEY, "-r",
                "us-east-1"], input=secret + "\n")
            texts.append(r.out + r.err)
        for cmd in (["test-connection"], ["status"], ["poll"],
                ["status", "--format", "json"]):
            r = conn(flags + cmd)
            assert r.rc == 0, r
            texts.append(r.out + r.err)
    files = all_files_text(conn.state, conn.store, conn.key)
    for s in (SECRET, "wrong-secret-PROBE-123", SECRET[4:20]):
        assert all(s not in t for t in texts), s
        assert s.encode() not in files
    # The key id is only ever shown masked.
    assert all(KEY not in t for t in texts)
    assert any(MASKED in t for t in texts)


# ------------------------------------------------------- resolution order

OTHER_KEY = "AKIDSECONDUSER0EXAMPL"
OTHER_SECRET = "second/User+Secret/0123456789EXAMPLE"


def test_store_wins_over_environment_then_disconnect_falls_back(conn, sim):
    sim.add_credentials(OTHER_KEY, OTHER_SECRET)
    env = {"AWS_ACCESS_KEY_ID": OTHER_KEY,
        "AWS_SECRET_ACCESS_KEY": OTHER_SECRET, "AWS_REGION": "us-east-1"}
    assert conn.connect(env=env).rc == 0
    sim.reset_stats()

    r = conn(["status"], env=env)
    assert r.rc == 0, r
    assert ("credentials:  stored connection (%s), access key %s\n" % (
        conn.store, MASKED)) in r.out
    assert "AWS_ACCESS_KEY_ID is set too: the stored connection comes " \
        "first" in r.out
    r = conn(["test-connection"], env=env)
    assert r.rc == 0 and r.out == ok_lines(conn, "us-east-1"), r
    assert [q["access_key_id"] for q in lookups(sim)] == [KEY]

    r = conn(["disconnect"], env=env)
    assert r.rc == 0, r
    assert r.out == "removed the stored connection %s\n" % conn.store
    assert "delete it in IAM" in r.err
    assert not conn.store.exists() and conn.key.exists()

    other_masked = OTHER_KEY[:4] + "****" + OTHER_KEY[-4:]
    r = conn(["status"], env=env)
    assert r.rc == 0, r
    assert "credentials:  environment, access key %s\n" % other_masked \
        in r.out
    sim.reset_stats()
    r = conn(["test-connection"], env=env)
    assert r.rc == 0, r
    assert r.out == ok_lines(conn, "us-east-1", masked=other_masked,
        source="environment")
    assert [q["access_key_id"] for q in lookups(sim)] == [OTHER_KEY]


def test_configured_regions_win_over_the_stored_ones(conn, sim):
    assert conn.connect(regions="eu-west-1").rc == 0
    r = conn(["-r", "ap-south-1", "test-connection"])
    assert r.out == ok_lines(conn, "ap-south-1"), r
    r = conn(["test-connection"], env={"AWS_REGION": "us-west-2"})
    assert r.out == ok_lines(conn, "us-west-2"), r
    r = conn(["test-connection"])
    assert r.out == ok_lines(conn, "eu-west-1"), r


# ------------------------------------------------------------- disconnect

def test_disconnect_without_a_store(conn, sim):
    r = conn(["disconnect"])
    assert r.rc == 0, r
    assert r.out == "no stored connection at %s\n" % conn.store
    assert r.err == ""


def test_disconnect_keeps_the_key_unless_forget_key(conn, sim):
    assert conn.connect().rc == 0
    key = conn.key.read_bytes()
    assert conn(["disconnect"]).rc == 0
    assert conn.key.read_bytes() == key
    assert conn.connect().rc == 0
    assert conn.key.read_bytes() == key     # reused by the next connect
    r = conn(["disconnect", "--forget-key"])
    assert r.rc == 0, r
    assert r.out == ("removed the stored connection %s\nremoved the key "
        "file %s\n" % (conn.store, conn.key))
    assert not conn.store.exists() and not conn.key.exists()
    r = conn(["disconnect", "--forget-key"])
    assert r.out == ("no stored connection at %s\nno key file at %s\n" % (
        conn.store, conn.key)), r
    r = conn(["test-connection"])
    assert r.rc == 77, r                    # nothing left anywhere
    assert r.err.splitlines()[0] == AUTH


def test_disconnect_removes_a_corrupt_store(conn, sim):
    stored(conn)
    conn.store.write_bytes(b"garbage")
    assert conn(["test-connection"]).rc == 65
    r = conn(["disconnect"])
    assert r.rc == 0 and not conn.store.exists(), r


def test_rotation_by_connecting_again(conn, sim):
    sim.add_credentials(OTHER_KEY, OTHER_SECRET)
    assert conn.connect().rc == 0
    assert conn.connect(key=OTHER_KEY, secret=OTHER_SECRET).rc == 0
    sim.reset_stats()
    assert conn(["test-connection"]).rc == 0
    assert [q["access_key_id"] for q in lookups(sim)] == [OTHER_KEY]


# ---------------------------------------------------------------- terminal

class Tty:
    """connect with a pseudo-terminal on stdin; stdout and stderr piped."""

    def __init__(self, conn, args, env=None):
        import pty
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen(conn.argv(args), env=conn.env(env),
            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=str(conn.bt.tmp), start_new_session=True)
        os.close(slave)
        self.echo = b""

    def read_echo(self, seconds=0.3):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if r:
                try:
                    self.echo += os.read(self.master, 4096)
                except OSError:
                    break

    def type(self, line):
        self.read_echo()
        os.write(self.master, line.encode() + b"\n")

    def finish(self):
        self.read_echo()
        try:
            out, err = self.p.communicate(timeout=30)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            os.close(self.master)
        return self.p.returncode, out.decode(), err.decode()


def test_terminal_prompts_with_the_secret_unechoed(conn, sim):
    t = Tty(conn, ["connect"])
    t.type(KEY)
    t.type(SECRET)
    t.type("")                      # the default region
    rc, out, err = t.finish()
    assert rc == 0, err
    assert err == ("AWS access key id: AWS secret access key: \n"
        "Region [us-east-1]: ")
    assert out == ok_lines(conn, "us-east-1") + stored_line(conn)
    assert KEY.encode() in t.echo               # echo was on for the id
    assert SECRET.encode() not in t.echo        # and off for the secret
    assert conn(["test-connection"]).out == ok_lines(conn, "us-east-1")


def test_terminal_region_list_answer(conn, sim):
    t = Tty(conn, ["connect"])
    t.type(KEY)
    t.type(SECRET)
    t.type("eu-west-1, ap-south-1")
    rc, out, err = t.finish()
    assert rc == 0, err
    assert out == (ok_lines(conn, "eu-west-1", "ap-south-1") +
        stored_line(conn))
    assert conn(["test-connection"]).out == ok_lines(conn, "eu-west-1",
        "ap-south-1")


def test_terminal_region_default_is_the_configured_region(conn, sim):
    t = Tty(conn, ["connect", "--access-key-id", KEY],
        env={"AWS_REGION": "eu-west-1"})
    t.type(SECRET)
    t.type("")
    rc, out, err = t.finish()
    assert rc == 0, err
    assert err == "AWS secret access key: \nRegion [eu-west-1]: "
    assert out == ok_lines(conn, "eu-west-1") + stored_line(conn)


def test_terminal_with_region_option_asks_no_region(conn, sim):
    t = Tty(conn, ["connect", "-r", "eu-west-1", "--access-key-id", KEY])
    t.type(SECRET)
    rc, out, err = t.finish()
    assert rc == 0, err
    assert err == "AWS secret access key: \n"
    assert out == ok_lines(conn, "eu-west-1") + stored_line(conn)


def test_terminal_invalid_region_is_a_configuration_error(conn, sim):
    t = Tty(conn, ["connect"])
    t.type(KEY)
    t.type(SECRET)
    t.type("US East")
    rc, out, err = t.finish()
    assert rc == 78, err
    assert "invalid region 'US'" in err and "us-east-1" in err
    assert sim.stats() == [] and not conn.store.exists()


def test_terminal_echo_is_restored_after_the_secret(conn, sim):
    import termios
    t = Tty(conn, ["connect", "--access-key-id", KEY])
    t.read_echo()
    # While the secret is asked for, echo is off ...
    assert not termios.tcgetattr(t.master)[3] & termios.ECHO
    t.type(SECRET)
    t.read_echo()
    # ... and on again for the region.
    assert termios.tcgetattr(t.master)[3] & termios.ECHO
    t.type("us-east-1")
    rc, out, err = t.finish()
    assert rc == 0, err


def test_terminal_interrupt_restores_echo(conn, sim):
    import signal
    import termios
    t = Tty(conn, ["connect", "--access-key-id", KEY])
    t.read_echo()
    assert not termios.tcgetattr(t.master)[3] & termios.ECHO
    t.p.send_signal(signal.SIGINT)
    t.p.wait(10)
    assert termios.tcgetattr(t.master)[3] & termios.ECHO
    assert t.p.returncode == -signal.SIGINT
    os.close(t.master)
    assert not conn.store.exists()
