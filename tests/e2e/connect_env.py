"""A private set of files for the connect, disconnect and status tests.

The tests may run as root, where the default paths are /etc/bedrock-trail
and /var/lib/bedrock-trail: every run here goes through a config file
(-c) that puts the state, the store and the key file under tmp_path, and
the simulator's endpoint there too, so that "no AWS variables" can mean
exactly that.
"""

import os
import stat
from pathlib import Path

import simctl

# Every AWS variable the Runner sets, removed.
NO_AWS = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None, "AWS_REGION": None,
    "AWS_DEFAULT_REGION": None, "AWS_ENDPOINT_URL_CLOUDTRAIL": None,
    "AWS_CONFIG_FILE": None, "AWS_SHARED_CREDENTIALS_FILE": None}

KEY = simctl.ALLOWED_KEY
SECRET = simctl.ALLOWED_SECRET
MASKED = KEY[:4] + "****" + KEY[-4:]


class Conn:
    """bt with -c CONFIG in front of every call; .store, .key, .state."""

    def __init__(self, bt, sim, tmp_path, extra=""):
        self.bt = bt
        self.sim = sim
        base = tmp_path / "bt"
        self.state = base / "state" / "state.json"
        self.store = base / "state" / "credentials.enc"
        self.key = base / "keys" / "master.key"
        self.config = tmp_path / "config.yaml"
        self.config.write_text("state_file: %s\nkey_file: %s\n"
            "endpoint_url: %s\n%s" % (self.state, self.key, sim.url, extra))

    def __call__(self, args, env=None, input=None, **kw):
        e = dict(NO_AWS)
        e.update(env or {})
        return self.bt(["-c", self.config] + list(args), env=e, input=input,
            **kw)

    def connect(self, regions="us-east-1", key=KEY, secret=SECRET,
            token=None, env=None, extra_args=()):
        args = ["connect", "--access-key-id", key, "-r", regions]
        data = secret + "\n"
        if token is not None:
            args.append("--session-token-stdin")
            data += token + "\n"
        return self(args + list(extra_args), env=env, input=data)

    def argv(self, args):
        """The full command line, for Popen."""
        return [str(self.bt.binary), "-c", str(self.config)] + list(args)

    def env(self, overrides=None):
        e = dict(NO_AWS)
        e.update(overrides or {})
        return self.bt.env(e)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def ok_lines(conn, *regions, masked=MASKED, source="stored connection"):
    """test-connection's output: which credentials, then one line per
    region that works."""
    origin = " (%s)" % conn.store if source == "stored connection" else ""
    return "credentials: %s%s, access key %s\n" % (source, origin, masked) + \
        "".join("%s: connection to AWS CloudTrail works\n" % r
            for r in regions)


def all_files_text(*paths):
    out = b""
    for p in paths:
        p = Path(p)
        if p.is_file():
            out += p.read_bytes()
    return out
