"""The LD_PRELOAD shim of shim/failio.c, built once per session: disk
failures on demand (a full disk under one path, an ftruncate that fails as
on an append-only file)."""

import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent / "shim" / "failio.c"


@pytest.fixture(scope="session")
def failio(tmp_path_factory):
    """Returns env(path, after=None, truncate=False, rename=None,
    kill=False): the environment that makes the shim fail writes to path
    after `after` bytes, with truncate every ftruncate of it, and with
    rename=N the Nth rename onto it; with kill, the process is killed
    there instead. path may be a directory prefix ending in '/' (not for
    rename)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler to build the failio shim")
    lib = tmp_path_factory.mktemp("failio") / "failio.so"
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", str(lib),
        str(SOURCE), "-ldl"], check=True)

    def env(path, after=None, truncate=False, rename=None, kill=False):
        e = {"LD_PRELOAD": str(lib), "BT_FAIL_PATH": str(path)}
        if kill:
            e["BT_FAIL_KILL"] = "1"
        if rename is not None:
            e["BT_FAIL_RENAME"] = str(rename)
        if after is not None:
            e["BT_FAIL_AFTER"] = str(after)
        if truncate:
            e["BT_FAIL_TRUNCATE"] = "1"
        return e
    return env
