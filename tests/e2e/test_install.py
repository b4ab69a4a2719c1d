"""make install / make uninstall with DESTDIR and PREFIX: the exact file
list with its modes, man(1) finds the pages, and uninstall leaves no file
behind."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

EXPECTED = {
    "usr/bin/bedrock-trail": 0o755,
    "usr/share/man/man1/bedrock-trail.1": 0o644,
    "usr/share/man/man5/bedrock-trail.yaml.5": 0o644,
    "usr/share/doc/bedrock-trail/README.md": 0o644,
    "usr/share/doc/bedrock-trail/LICENSE": 0o644,
    "usr/share/doc/bedrock-trail/examples/config.yaml": 0o644,
    "usr/share/doc/bedrock-trail/examples/service-config.yaml": 0o644,
    "usr/share/doc/bedrock-trail/examples/iam-policy.json": 0o644,
    "usr/share/doc/bedrock-trail/examples/role-trust-policy.json": 0o644,
    "usr/share/doc/bedrock-trail/examples/bedrock-trail-poll.service": 0o644,
    "usr/share/doc/bedrock-trail/examples/bedrock-trail-poll.timer": 0o644,
    "usr/share/doc/bedrock-trail/examples/bedrock-trail-alert.service":
        0o644,
    "usr/share/doc/bedrock-trail/examples/logrotate.conf": 0o644,
    "usr/share/doc/bedrock-trail/examples/jq-recipes.md": 0o644,
    "usr/share/doc/bedrock-trail/examples/vector.toml": 0o644,
    "usr/share/doc/bedrock-trail/examples/discoveries.yaml": 0o644,
    "usr/share/doc/bedrock-trail/examples/vector-discoveries.toml": 0o644,
    "usr/share/doc/bedrock-trail/examples/organization.yaml": 0o644,
    "usr/share/doc/bedrock-trail/examples/org-management-policy.json": 0o644,
    "usr/share/doc/bedrock-trail/examples/member-role-policy.json": 0o644,
    "usr/share/doc/bedrock-trail/examples/member-role-trust-policy.json":
        0o644,
    "usr/share/doc/bedrock-trail/examples/member-role-stackset.yaml": 0o644,
    "usr/share/doc/bedrock-trail/examples/cron.d/bedrock-trail": 0o644,
}

# Directories install may create and uninstall leaves: they are shared
# with every other package on a real system.
SHARED_DIRS = {"usr", "usr/bin", "usr/share", "usr/share/man",
    "usr/share/man/man1", "usr/share/man/man5", "usr/share/doc"}


def make(*args):
    if not (REPO / "bedrock-trail").exists():
        pytest.fail("bedrock-trail does not exist: run `make` first")
    r = subprocess.run(["make", "--no-print-directory"] + list(args),
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def tree(root):
    files, dirs = {}, set()
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            dirs.add(os.path.relpath(os.path.join(dirpath, d), root))
        for f in filenames:
            p = os.path.join(dirpath, f)
            files[os.path.relpath(p, root)] = stat.S_IMODE(os.lstat(p).st_mode)
    return files, dirs


@pytest.mark.parametrize("relative", [False, True],
    ids=["absolute-destdir", "relative-destdir"])
def test_install_then_uninstall(tmp_path, relative):
    dest = tmp_path / "root"
    destdir = os.path.relpath(dest, REPO) if relative else str(dest)
    make("install", "DESTDIR=" + destdir, "PREFIX=/usr")
    files, _ = tree(dest)
    assert files == EXPECTED
    for rel in EXPECTED:
        src = {"usr/bin/bedrock-trail": "build/install/bedrock-trail",
            "usr/share/man/man1/bedrock-trail.1": "man/bedrock-trail.1",
            "usr/share/man/man5/bedrock-trail.yaml.5":
                "man/bedrock-trail.yaml.5",
            "usr/share/doc/bedrock-trail/examples/cron.d/bedrock-trail":
                "cron.d/bedrock-trail"}.get(rel)
        if src is None:
            src = rel.replace("usr/share/doc/bedrock-trail/", "")
        assert (dest / rel).read_bytes() == (REPO / src).read_bytes(), rel

    # Its AccessDenied hint names the IAM policy where it was installed.
    policy = b"/usr/share/doc/bedrock-trail/examples/iam-policy.json"
    assert policy in (dest / "usr/bin/bedrock-trail").read_bytes()
    assert (dest / policy.decode().lstrip("/")).is_file()

    # `man bedrock-trail` finds both pages where they were put.
    man = dest / "usr/share/man"
    for name, section in (("bedrock-trail", "1"),
            ("bedrock-trail.yaml", "5")):
        r = subprocess.run(["man", "-M", str(man), "-w", section, name],
            capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == str(man / ("man" + section) /
            ("%s.%s" % (name, section)))

    r = make("uninstall", "DESTDIR=" + destdir, "PREFIX=/usr")
    # It says what the set-up made that it leaves.
    said = " ".join(r.stdout.split())
    for left in ("/etc/cron.d/bedrock-trail", "/etc/logrotate.d/bedrock-trail",
            "/etc/systemd/system", "the bedrock-trail user",
            "/etc/bedrock-trail (config and key)",
            "/var/lib/bedrock-trail (state and store)",
            "/var/log/bedrock-trail (records)", "Tear-down in README.md"):
        assert left in said, r.stdout
    files, dirs = tree(dest)
    assert files == {}
    assert dirs <= SHARED_DIRS, dirs - SHARED_DIRS


def test_uninstall_keeps_files_it_did_not_install(tmp_path):
    dest = tmp_path / "root"
    make("install", "DESTDIR=" + str(dest), "PREFIX=/usr")
    mine = dest / "usr/share/doc/bedrock-trail/examples/local-notes.txt"
    mine.write_text("an admin's own file\n")
    mine.chmod(0o644)
    make("uninstall", "DESTDIR=" + str(dest), "PREFIX=/usr")
    files, _ = tree(dest)
    assert files == {os.path.relpath(mine, dest): 0o644}


def test_prefix_moves_everything(tmp_path):
    dest = tmp_path / "root"
    make("install", "DESTDIR=" + str(dest), "PREFIX=/opt/bt")
    files, _ = tree(dest)
    assert set(files) == {"opt/bt/" + f[len("usr/"):] for f in EXPECTED}
    make("uninstall", "DESTDIR=" + str(dest), "PREFIX=/opt/bt")
    assert tree(dest)[0] == {}
