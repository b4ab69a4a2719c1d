"""endpoint_url is checked when the configuration is read (issue 10,
defects 3 and 6): libcurl's URL parser decides what is a URL, and plain
http:// is only for a loopback host, whichever source the URL comes from.
Either way it is exit 78 before any lock, state or request."""

import pytest

PLAIN = ("plain http:// would send the credentials in clear: use https://, "
    "or http:// only for a loopback host (127.0.0.1, ::1, localhost)")


def assert_nothing_happened(bt, sim, out):
    assert not bt.state_path.exists()
    assert not bt.state_path.with_name("state.json.lock").exists()
    assert not out.exists()
    assert sim.stats() == []


def test_an_endpoint_libcurl_refuses_fails_before_the_lock(bt, sim,
        tmp_path):
    out = tmp_path / "out.jsonl"
    r = bt(["--endpoint-url", "https://bad host", "poll", "-o", out])
    assert r.rc == 78, r
    assert r.err.splitlines() == ["--endpoint-url: invalid endpoint url "
        "'https://bad host': bad hostname"], r
    assert_nothing_happened(bt, sim, out)


def test_an_endpoint_in_the_file_names_the_key(bt, sim, tmp_path):
    out = tmp_path / "out.jsonl"
    cfg = bt.config("endpoint_url: https://bad host\n")
    r = bt(["-c", cfg, "poll", "-o", out],
        env={"AWS_ENDPOINT_URL_CLOUDTRAIL": None})
    assert r.rc == 78, r
    assert r.err.splitlines() == ["%s:4:15: invalid endpoint_url "
        "'https://bad host': bad hostname" % cfg], r
    assert_nothing_happened(bt, sim, out)


@pytest.mark.parametrize("source", ["--endpoint-url", "endpoint_url",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDTRAIL"])
def test_plain_http_to_another_host_is_refused(bt, sim, tmp_path, source):
    url = "http://cloudtrail.example.invalid:4566"
    out = tmp_path / "out.jsonl"
    env = {"AWS_ENDPOINT_URL_CLOUDTRAIL": None}
    args = ["poll", "-o", out]
    if source == "--endpoint-url":
        args = ["--endpoint-url", url] + args
        want = "--endpoint-url: invalid endpoint url '%s': %s" % (url, PLAIN)
    elif source == "endpoint_url":
        cfg = bt.config("endpoint_url: %s\n" % url)
        args = ["-c", cfg] + args
        want = "%s:4:15: invalid endpoint_url '%s': %s" % (cfg, url, PLAIN)
    else:
        env[source] = url
        want = "%s: invalid endpoint url '%s': %s" % (source, url, PLAIN)
    r = bt(args, env=env)
    assert r.rc == 78, r
    assert r.err.splitlines() == [want], r
    assert_nothing_happened(bt, sim, out)


def test_plain_http_to_loopback_is_fine(bt, sim, tmp_path):
    assert sim.url.startswith("http://127.0.0.1:")
    r = bt(["poll", "-o", tmp_path / "out.jsonl"])
    assert r.rc == 0, r
    local = sim.url.replace("127.0.0.1", "localhost")
    r = bt(["--endpoint-url", local, "test-connection"])
    assert r.rc == 0, r
