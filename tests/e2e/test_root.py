"""Run as root against the service user's files: every command that would
write refuses (78) with a message that names the file, its owner and the
runuser command to use; nothing changes on disk; read-only commands still
work; the same commands through runuser work. And as the service user,
a file root took over is a 78 that says who owns it and the chown fix."""

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import simctl
from conftest import strip_timestamps

USER = "bt-ops-test"
RUNUSER = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin")

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
    reason="needs root: it adds a user and runs commands as root")


@pytest.fixture(scope="module")
def service_user():
    subprocess.run(["userdel", USER], capture_output=True)
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
        "/usr/sbin/nologin", USER], check=True)
    try:
        yield pwd.getpwnam(USER)
    finally:
        subprocess.run(["userdel", USER], check=True)


class Service:
    """A config whose state, store, key and output are in a directory of
    the service user, as README's set-up makes them."""

    def __init__(self, bt, sim, user):
        self.bt, self.sim, self.user = bt, sim, user
        self.base = Path(tempfile.mkdtemp(prefix="bt-root-", dir="/tmp"))
        self.base.chmod(0o755)
        self.files = self.base / "lib"
        self.files.mkdir(mode=0o700)
        os.chown(self.files, user.pw_uid, user.pw_gid)
        self.state = self.files / "state.json"
        self.store = self.files / "credentials.enc"
        self.key = self.files / "master.key"
        self.output = self.files / "records.jsonl"
        self.config = self.base / "config.yaml"
        self.config.write_text("state_file: %s\ncredentials_file: %s\n"
            "key_file: %s\noutput: %s\nregions: [us-east-1]\n"
            "endpoint_url: %s\n" % (self.state, self.store, self.key,
            self.output, sim.url))
        self.config.chmod(0o644)

    def argv(self, args):
        return [str(self.bt.binary), "-c", str(self.config)] + \
            [str(a) for a in args]

    def run(self, args, as_user=False, input=None):
        cmd = self.argv(args)
        if as_user:
            cmd = [RUNUSER, "-u", USER, "--"] + cmd
        env = self.bt.env({"AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None, "AWS_ENDPOINT_URL_CLOUDTRAIL": None,
            "AWS_REGION": None})
        p = subprocess.run(cmd, env=env, input=(input or "").encode(),
            capture_output=True, cwd="/", timeout=60)
        return p.returncode, p.stdout.decode(), \
            strip_timestamps(p.stderr.decode())

    def snapshot(self):
        out = {}
        for f in sorted(self.files.iterdir()):
            st = f.lstat()
            out[f.name] = (st.st_uid, st.st_gid, st.st_mode, st.st_mtime_ns,
                hashlib.sha256(f.read_bytes()).hexdigest())
        return out

    def remove(self):
        shutil.rmtree(self.base)


@pytest.fixture
def svc(bt, sim, service_user):
    s = Service(bt, sim, service_user)
    yield s
    s.remove()


def connected_and_polled(svc):
    now = svc.sim.clock()
    svc.sim.generate(start=now - 3600, end=now - 60, count=20, seed=41,
        delay_max=0)
    rc, out, err = svc.run(["connect", "--access-key-id", simctl.ALLOWED_KEY],
        as_user=True, input=simctl.ALLOWED_SECRET + "\n")
    assert rc == 0, err
    rc, out, err = svc.run(["poll"], as_user=True)
    assert rc == 0, err
    uid = svc.user.pw_uid
    for f in (svc.state, svc.store, svc.key, svc.output):
        assert f.stat().st_uid == uid, f


def refusal(svc, path, what, args, doing="write"):
    return ("%s: the %s belongs to %s: refusing to %s it as root\n"
        "run the command as %s: runuser -u %s -- %s\n" % (path, what, USER,
        doing, USER, USER, " ".join(svc.argv(args))))


@pytest.mark.parametrize("args,path,what,doing", [
    (["poll"], "state", "state file", "write"),
    (["poll", "--since", "1h"], "output", "output file", "write"),
    (["poll", "--since", "1h", "-o", "-"], None, None, None),
    (["connect", "--access-key-id", simctl.ALLOWED_KEY], "store",
        "credential store", "write"),
    (["disconnect"], "store", "credential store", "remove"),
], ids=["poll", "poll-window-to-file", "poll-window-to-stdout", "connect",
    "disconnect"])
def test_root_refuses_to_write_the_service_users_files(svc, args, path,
        what, doing):
    connected_and_polled(svc)
    before = svc.snapshot()
    rc, out, err = svc.run(args, input=simctl.ALLOWED_SECRET + "\n")
    if path is None:
        # A one-off window to stdout writes none of the service's files.
        assert rc == 0, err
    else:
        assert (rc, out) == (78, ""), err
        assert err == refusal(svc, getattr(svc, path), what, args, doing)
    assert svc.snapshot() == before


def test_root_refuses_to_forget_the_service_users_key(svc):
    connected_and_polled(svc)
    svc.store.unlink()
    before = svc.snapshot()
    rc, out, err = svc.run(["disconnect", "--forget-key"])
    assert (rc, out) == (78, "")
    assert err == refusal(svc, svc.key, "key file", ["disconnect",
        "--forget-key"], "remove")
    assert svc.snapshot() == before


def test_root_refuses_to_create_files_in_the_service_users_directory(svc):
    rc, out, err = svc.run(["poll"])
    assert (rc, out) == (78, "")
    assert err == ("%s: the directory of the state file belongs to %s: "
        "refusing to create %s in it as root\n"
        "run the command as %s: runuser -u %s -- %s\n" % (svc.files, USER,
        svc.state, USER, USER, " ".join(svc.argv(["poll"]))))
    assert list(svc.files.iterdir()) == []


def test_read_only_commands_work_as_root(svc):
    connected_and_polled(svc)
    before = svc.snapshot()
    rc, out, err = svc.run(["status"])
    assert rc == 0 and "us-east-1" in out, err
    rc, out, err = svc.run(["test-connection"])
    assert rc == 0 and "connection to AWS CloudTrail works" in out, err
    rc, out, err = svc.run(["report", "--format", "json", svc.output])
    assert rc == 0 and '"records":20' in out, err
    assert svc.snapshot() == before


def test_the_same_commands_work_through_runuser(svc):
    connected_and_polled(svc)
    svc.sim.advance(120)
    for args in (["poll"], ["poll", "--since", "1h"],
            ["connect", "--access-key-id", simctl.ALLOWED_KEY],
            ["disconnect", "--forget-key"]):
        rc, out, err = svc.run(args, as_user=True,
            input=simctl.ALLOWED_SECRET + "\n")
        assert rc == 0, (args, err)
    uid = svc.user.pw_uid
    assert all(f.stat().st_uid == uid for f in svc.files.iterdir())


def test_a_file_root_took_over_is_a_config_error_naming_the_fix(svc):
    connected_and_polled(svc)
    os.chown(svc.state, 0, 0)
    rc, out, err = svc.run(["poll"], as_user=True)
    assert (rc, out) == (78, ""), err
    group = subprocess.run(["id", "-gn", USER], capture_output=True,
        text=True).stdout.strip()
    assert err == ("%s: cannot read the state file: Permission denied\n"
        "%s is owned by root:root with mode 0600, and bedrock-trail runs "
        "as %s\n"
        "fix: chown %s:%s %s (as root)\n" % (
        svc.state, svc.state, USER, USER, group, svc.state))


def test_a_store_root_took_over_is_a_config_error_naming_the_fix(svc):
    connected_and_polled(svc)
    os.chown(svc.store, 0, 0)
    rc, out, err = svc.run(["poll"], as_user=True)
    assert (rc, out) == (78, ""), err
    assert err.startswith("%s: cannot read the store file: "
        "Permission denied\n%s is owned by root:root with mode 0600, and "
        "bedrock-trail runs as %s\nfix: chown %s:" % (svc.store, svc.store,
        USER, USER)), err


def status_with_a_service_config(svc, args, as_user):
    """status with /etc/bedrock-trail/config.yaml present, in a private
    mount namespace whose /etc is an overlay: the real /etc is untouched."""
    upper, work = svc.base / "etc-upper", svc.base / "etc-work"
    (upper / "bedrock-trail").mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    (upper / "bedrock-trail" / "config.yaml").write_text(
        svc.config.read_text())
    (upper / "bedrock-trail" / "config.yaml").chmod(0o644)
    home = svc.base / "home"
    home.mkdir(exist_ok=True)
    os.chown(home, svc.user.pw_uid, svc.user.pw_gid)
    cmd = [str(svc.bt.binary)] + args + ["status"]
    if as_user:
        cmd = [RUNUSER, "-u", USER, "--"] + cmd
    script = ("mount -t overlay overlay -o lowerdir=/etc,upperdir=%s,"
        "workdir=%s /etc && exec \"$@\"" % (upper, work))
    env = svc.bt.env({"HOME": home, "XDG_CONFIG_HOME": home / "config",
        "XDG_STATE_HOME": home / "state", "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None})
    p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh"] + cmd,
        env=env, capture_output=True, timeout=60, cwd="/")
    return p.returncode, p.stdout.decode(), p.stderr.decode()


NOTE = ("              (not /etc/bedrock-trail/config.yaml, the service's: "
    "to use it, run as the service user with -c "
    "/etc/bedrock-trail/config.yaml)\n")


def test_status_of_a_user_says_the_service_config_is_not_in_use(svc):
    rc, out, err = status_with_a_service_config(svc, [], as_user=True)
    home = svc.base / "home"
    assert out.startswith("config file:  built-in defaults\n" + NOTE), \
        (out, err)
    assert "state file:   %s/state/bedrock-trail/state.json\n" % home in out
    # With -c, or as root (whose default it is), there is nothing to say.
    rc, out, err = status_with_a_service_config(svc, ["-c", svc.config],
        as_user=True)
    assert out.startswith("config file:  %s\nregions:" % svc.config), out
    rc, out, err = status_with_a_service_config(svc, [], as_user=False)
    assert out.startswith("config file:  /etc/bedrock-trail/config.yaml\n"
        "regions:"), (out, err)
    assert "output:       %s\n" % svc.output in out
