"""A request that cannot be signed is not sent (issue 10, defect 4):
sigv4_authorization returns NULL when OpenSSL fails, here because
OPENSSL_CONF leaves only the null provider (no SHA-256, no HMAC), as a
broken FIPS setup would."""

from pathlib import Path

import simctl

CONF = Path(__file__).resolve().parents[1] / "fixtures" / "openssl" / \
    "null-provider.cnf"


def test_unsignable_request_is_not_sent(bt, sim, tmp_path):
    r = bt(["test-connection"], env={"OPENSSL_CONF": CONF})
    assert r.rc == 70, r
    # GetCallerIdentity, signed first, fails the same way, quietly.
    lines = [l for l in r.err.splitlines() if l != "sigv4: sha-256 failed"]
    assert r.err.splitlines()[0] == "sigv4: sha-256 failed", r
    assert lines[:2] == ["cannot sign the LookupEvents request",
        "region us-east-1: SigningFailed: OpenSSL could not compute the "
        "SigV4 signature"], r
    assert [q for q in sim.stats() if q["target"] == simctl.LOOKUP_TARGET] \
        == []


def test_unsignable_poll_writes_nothing(bt, sim, tmp_path):
    out = tmp_path / "out.jsonl"
    r = bt(["poll", "-o", out], env={"OPENSSL_CONF": CONF})
    assert r.rc == 70, r
    assert r.err.splitlines()[0] == "sigv4: sha-256 failed", r
    assert not out.exists() or out.read_bytes() == b""
    assert sim.stats() == [] or all(q["target"] != simctl.LOOKUP_TARGET
        for q in sim.stats())
