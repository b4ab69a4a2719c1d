"""status: the configuration in force, the credential source with the key
id masked, the store and key file with their modes, and per region the
cursor and the next poll's window, as text and as JSON; without sending a
request, and without failing to show what it knows."""

import calendar
import json
import os
import time
from pathlib import Path

import pytest

import simctl
from connect_env import KEY, MASKED, SECRET, Conn

AUTH = "Invalid credentials or insufficient permissions"
NOW = "2026-11-24 07:00:00"            # faketime, frozen
NOW_EPOCH = calendar.timegm((2026, 11, 24, 7, 0, 0))


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@pytest.fixture
def conn(bt, sim, tmp_path):
    return Conn(bt, sim, tmp_path)


def write_state(conn, regions):
    conn.state.parent.mkdir(parents=True, exist_ok=True)
    conn.state.write_text(json.dumps({"version": 1, "regions": {
        r: ({"cursor": c, "seen": []} if c else {"seen": []})
        for r, c in regions.items()}}))
    conn.state.chmod(0o600)


ENV_CREDS = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_REGION": "us-east-1"}


def test_text_with_environment_credentials_and_no_store(conn, sim):
    r = conn(["status"], env=ENV_CREDS, faketime=NOW)
    assert r.rc == 0, r
    assert r.out == (
        "config file:  %s\n" % conn.config +
        "regions:      us-east-1 (from AWS_REGION)\n"
        "endpoint:     %s\n" % sim.url +
        "credentials:  environment, access key %s\n" % MASKED +
        "store:        %s (absent)\n" % conn.store +
        "key file:     %s (absent)\n" % conn.key +
        "state file:   %s\n" % conn.state +
        "output:       standard output\n"
        "us-east-1: never polled, next poll 2026-11-23T07:00:00Z to "
        "2026-11-24T07:00:00Z\n")
    assert r.err == ""
    assert sim.stats() == []


def test_text_after_connect_with_cursors(conn, sim):
    assert conn.connect(regions="us-east-1,eu-west-1").rc == 0
    sim.reset_stats()
    write_state(conn, {"us-east-1": "2026-11-24T06:00:00Z",
        "ap-south-1": "2026-11-20T00:00:00Z"})
    r = conn(["status"], faketime=NOW)
    assert r.rc == 0, r
    assert r.out == (
        "config file:  %s\n" % conn.config +
        "regions:      us-east-1, eu-west-1 (from stored connection)\n"
        "endpoint:     %s\n" % sim.url +
        "credentials:  stored connection (%s), access key %s\n" % (
            conn.store, MASKED) +
        "store:        %s (0600)\n" % conn.store +
        "key file:     %s (0600)\n" % conn.key +
        "state file:   %s\n" % conn.state +
        "output:       standard output\n"
        "us-east-1: cursor 2026-11-24T06:00:00Z, next poll "
        "2026-11-24T05:45:00Z to 2026-11-24T07:00:00Z\n"
        "eu-west-1: never polled, next poll 2026-11-23T07:00:00Z to "
        "2026-11-24T07:00:00Z\n")
    assert sim.stats() == []


def test_json_has_every_key(conn, sim):
    assert conn.connect(regions="us-east-1,eu-west-1").rc == 0
    write_state(conn, {"us-east-1": "2026-11-24T06:00:00Z"})
    r = conn(["status", "--format", "json"], faketime=NOW)
    assert r.rc == 0, r
    assert len(r.out.splitlines()) == 1
    assert json.loads(r.out) == {
        "config_file": str(conn.config),
        "regions": ["us-east-1", "eu-west-1"],
        "regions_from": "stored connection",
        "endpoint": sim.url,
        "credentials": {"source": "stored connection",
            "origin": str(conn.store), "access_key_id": MASKED,
            "identity": None, "expiration": None},
        "store": {"path": str(conn.store), "mode": "0600"},
        "key_file": {"path": str(conn.key), "mode": "0600"},
        "state_file": str(conn.state), "output": "-",
        "service_config_not_in_use": None,
        "cursors": [
            {"region": "us-east-1", "cursor": "2026-11-24T06:00:00Z",
                "next_window_start": "2026-11-24T05:45:00Z",
                "next_window_end": "2026-11-24T07:00:00Z"},
            {"region": "eu-west-1", "cursor": None,
                "next_window_start": "2026-11-23T07:00:00Z",
                "next_window_end": "2026-11-24T07:00:00Z"}]}


def test_window_follows_overlap_and_lookback_and_stops_at_90_days(bt, sim,
        tmp_path):
    conn = Conn(bt, sim, tmp_path, extra="overlap: 30m\n"
        "first_poll_lookback: 2h\nregions: [us-east-1, eu-west-1, "
        "ap-south-1]\n")
    write_state(conn, {"us-east-1": "2026-11-24T06:00:00Z",
        "ap-south-1": "2026-06-01T00:00:00Z"})
    r = conn(["status", "--format", "json"], faketime=NOW, env={
        "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["regions_from"] == "config file"
    assert [(c["region"], c["next_window_start"], c["next_window_end"])
        for c in doc["cursors"]] == [
        ("us-east-1", "2026-11-24T05:30:00Z", "2026-11-24T07:00:00Z"),
        ("eu-west-1", "2026-11-24T05:00:00Z", "2026-11-24T07:00:00Z"),
        ("ap-south-1", iso(NOW_EPOCH - 90 * 86400 + 60),
            "2026-11-24T07:00:00Z")]


def test_region_option_overrides_and_says_so(conn, sim):
    r = conn(["-r", "eu-west-1,us-west-2", "status"], env=ENV_CREDS,
        faketime=NOW)
    assert r.rc == 0, r
    assert "regions:      eu-west-1, us-west-2 (from -r)\n" in r.out


def test_no_credentials_shows_everything_then_exits_77(conn, sim):
    r = conn(["status"], env={"AWS_REGION": "us-east-1"}, faketime=NOW)
    assert r.rc == 77, r
    assert r.err.splitlines()[0] == AUTH
    assert "credentials:  none\n" in r.out
    assert r.out.splitlines()[-1].startswith("us-east-1: never polled")
    r = conn(["status", "--format", "json"], env={"AWS_REGION": "us-east-1"},
        faketime=NOW)
    assert r.rc == 77, r
    doc = json.loads(r.out)
    assert doc["credentials"] == {"source": "none", "origin": None,
        "access_key_id": None, "identity": None, "expiration": None}
    assert doc["regions"] == ["us-east-1"]
    assert doc["store"] == {"path": str(conn.store), "mode": None}
    assert sim.stats() == []


def test_no_region_anywhere_is_78_but_the_rest_is_shown(conn, sim):
    env = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    r = conn(["status", "--format", "json"], env=env)
    assert r.rc == 78, r
    assert r.err.startswith("no region configured"), r
    doc = json.loads(r.out)
    assert doc["regions"] == [] and doc["regions_from"] is None
    assert doc["cursors"] == []
    assert doc["credentials"]["source"] == "environment"
    r = conn(["status"], env=env)
    assert r.rc == 78, r
    assert "regions:      none\n" in r.out


def test_corrupt_state_is_65_but_the_rest_is_shown(conn, sim):
    conn.state.parent.mkdir(parents=True)
    conn.state.write_text('{"version":1,"regions":')
    r = conn(["status"], env=ENV_CREDS, faketime=NOW)
    assert r.rc == 65, r
    assert str(conn.state) in r.err
    assert "credentials:  environment, access key %s\n" % MASKED in r.out
    assert r.out.splitlines()[-1] == ("us-east-1: cursor unknown (the "
        "state file cannot be read)")
    r = conn(["status", "--format", "json"], env=ENV_CREDS, faketime=NOW)
    assert r.rc == 65, r
    doc = json.loads(r.out)
    assert doc["cursors"] is None and doc["state_file"] == str(conn.state)
    assert conn.state.read_text() == '{"version":1,"regions":'


def test_corrupt_store_is_65_and_not_a_fallback(conn, sim):
    assert conn.connect().rc == 0
    conn.store.write_bytes(conn.store.read_bytes()[:-1])
    r = conn(["status", "--format", "json"], env=ENV_CREDS)
    assert r.rc == 65, r
    assert str(conn.store) in r.err
    doc = json.loads(r.out)
    assert doc["credentials"]["source"] == "none"
    assert doc["store"]["mode"] == "0600"


def test_shared_credentials_file_with_its_profile(conn, sim, tmp_path):
    shared = tmp_path / "aws-credentials"
    shared.write_text("[default]\naws_access_key_id = AKIDWRONGPROFILE00000\n"
        "aws_secret_access_key = x\n[ops]\naws_access_key_id = %s\n"
        "aws_secret_access_key = %s\n" % (KEY, SECRET))
    r = conn(["status"], env={"AWS_SHARED_CREDENTIALS_FILE": shared,
        "AWS_PROFILE": "ops", "AWS_REGION": "us-east-1"})
    assert r.rc == 0, r
    assert ("credentials:  shared credentials file (%s [ops]), access key "
        "%s\n" % (shared, MASKED)) in r.out
    assert SECRET not in r.out + r.err


def test_store_and_key_modes_are_shown_in_octal(conn, sim):
    assert conn.connect().rc == 0
    conn.key.chmod(0o400)
    conn.store.chmod(0o400)
    r = conn(["status", "--format", "json"])
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["store"]["mode"] == "0400" and doc["key_file"]["mode"] == "0400"
    conn.store.chmod(0o644)
    r = conn(["status", "--format", "json"])
    assert r.rc == 78, r
    assert "0644" in r.err and str(conn.store) in r.err
    assert json.loads(r.out)["store"]["mode"] == "0644"


def test_after_a_poll_the_cursor_is_the_windows_end(conn, sim):
    assert conn.connect().rc == 0
    now = sim.clock()
    sim.generate(region="us-east-1", start=now - 3600, end=now - 60,
        count=5, seed=4, delay_max=0)
    r = conn(["poll"])
    assert r.rc == 0, r
    state = json.loads(conn.state.read_text())
    cursor = state["accounts"]["123456789012"]["regions"]["us-east-1"]["cursor"]
    r = conn(["status", "--format", "json"])
    assert r.rc == 0, r
    c = json.loads(r.out)["cursors"][0]
    assert c["cursor"] == cursor
    start = calendar.timegm(time.strptime(c["next_window_start"],
        "%Y-%m-%dT%H:%M:%SZ"))
    assert start == calendar.timegm(time.strptime(cursor[:19],
        "%Y-%m-%dT%H:%M:%S")) - 900


def test_built_in_defaults(bt, sim, tmp_path):
    # No -c: the default path, which as root is the system's. Should that
    # file exist on this machine, status must name it instead.
    default = Path("/etc/bedrock-trail/config.yaml") if os.geteuid() == 0 \
        else bt.config_home / "bedrock-trail" / "config.yaml"
    present = default.exists()
    state = tmp_path / "s" / "state.json"
    r = bt(["--state-file", state, "status", "--format", "json"],
        no_config=True)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["config_file"] == (str(default) if present else None)
    assert doc["state_file"] == str(state)
    assert doc["store"]["path"] == str(tmp_path / "s" / "credentials.enc")
    assert doc["credentials"]["source"] == "environment"
    assert doc["endpoint"] == sim.url
    r = bt(["--state-file", state, "status"], no_config=True)
    assert r.out.startswith("config file:  %s\n" % (
        default if present else "built-in defaults")), r


def test_default_endpoint_is_shown_as_a_pattern(bt, sim, tmp_path):
    r = bt(["status"], env={"AWS_ENDPOINT_URL_CLOUDTRAIL": None})
    assert r.rc == 0, r
    assert "endpoint:     https://cloudtrail.REGION.amazonaws.com\n" in r.out


def test_usage_errors(conn, sim):
    r = conn(["status", "--format", "csv"], env=ENV_CREDS)
    assert r.rc == 64 and r.err.startswith("usage error"), r
    r = conn(["status", "extra"], env=ENV_CREDS)
    assert r.rc == 64 and r.err.startswith("usage error"), r
    r = conn(["status", "--format", "yaml"], env=ENV_CREDS)
    assert r.rc == 64, r


def test_session_credentials_never_show_the_token(conn, sim):
    r = conn(["status", "--format", "json"], env={
        "AWS_ACCESS_KEY_ID": simctl.SESSION_KEY,
        "AWS_SECRET_ACCESS_KEY": simctl.SESSION_SECRET,
        "AWS_SESSION_TOKEN": simctl.SESSION_TOKEN,
        "AWS_REGION": "us-east-1"})
    assert r.rc == 0, r
    for s in (simctl.SESSION_TOKEN, simctl.SESSION_SECRET,
            simctl.SESSION_KEY):
        assert s not in r.out + r.err
    assert json.loads(r.out)["credentials"]["access_key_id"] == "ASIA****AMPL"
