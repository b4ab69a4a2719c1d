"""`regions: all`: the built-in table of every region per partition, checked
against the partition data botocore ships, and a poll of every region where
the opt-in regions the account has not enabled are skipped with a note."""

import json
import re
from pathlib import Path

import pytest

import simctl

REPO = Path(__file__).resolve().parents[2]
ENDPOINTS = Path("/usr/lib/python3/dist-packages/botocore/data/endpoints.json")

# Regions AWS opened after the botocore of Debian 12 was cut: the table is
# kept current, so it lists them; when botocore learns one, it moves out of
# here (the test below fails until it does).
NEWER_THAN_BOTOCORE = {
    "aws": {"ap-east-2", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
        "ap-southeast-7", "ca-west-1", "il-central-1", "mx-central-1"},
    "aws-cn": set(),
    "aws-us-gov": set(),
}
TABLES = {"aws": "aws", "aws-cn": "aws_cn", "aws-us-gov": "aws_us_gov"}

DISABLED = ["af-south-1", "ap-east-1", "me-south-1", "il-central-1"]


def table(name):
    src = (REPO / "src" / "regions.c").read_text()
    m = re.search(r"static const char \*const %s\[\] = \{(.*?)\};" % name,
        src, re.S)
    assert m, "no table %s in src/regions.c" % name
    return re.findall(r'"([a-z0-9-]+)"', m.group(1))


def botocore_regions():
    data = json.loads(ENDPOINTS.read_text())
    return {p["partition"]: set(p["regions"]) for p in data["partitions"]}


@pytest.mark.parametrize("partition", sorted(TABLES))
def test_table_matches_the_partition_data_botocore_ships(partition):
    ours = table(TABLES[partition])
    assert len(ours) == len(set(ours)), "a region is listed twice"
    boto = botocore_regions()[partition]
    newer = NEWER_THAN_BOTOCORE[partition]
    assert not (newer & boto), "botocore knows these now: drop them from " \
        "NEWER_THAN_BOTOCORE: %s" % sorted(newer & boto)
    assert set(ours) == boto | newer


def test_opt_in_regions_are_all_in_the_commercial_table():
    assert set(table("opt_in")) <= set(table("aws"))


def disable(sim, regions):
    """What AWS answers in an opt-in region the account has not enabled."""
    sim.faults([{"kind": "error", "region": r, "status": 400,
        "__type": "UnrecognizedClientException",
        "message": "The security token included in the request is invalid.",
        "count": 1000} for r in regions])


def test_poll_all_regions_skips_disabled_opt_in_regions_with_a_note(bt, sim):
    now = sim.clock()
    for region in ("us-east-1", "eu-west-3", "ap-southeast-4"):
        sim.generate(region=region, start=now - 7200, end=now - 600,
            count=20, seed=len(region), delay_max=0)
    sim.config(rate_limit=0)
    disable(sim, DISABLED)
    cfg = bt.config("regions: all\n")
    r = bt(["-c", cfg, "poll"], env={"AWS_REGION": None}, timeout=120)
    assert r.rc == 0, r
    got = sorted(x["eventID"] for x in r.records)
    want = sorted(i for region in ("us-east-1", "eu-west-3", "ap-southeast-4")
        for i in sim.expected_ids(region, start=now - 86400, end=now))
    assert got == want and len(got) == 60
    notes = [l for l in r.err.splitlines() if "skipped" in l]
    assert sorted(notes) == sorted("%s: skipped: an opt-in region this "
        "account has not enabled (UnrecognizedClientException)" % x
        for x in DISABLED)
    polled = {s["region"] for s in sim.stats()}
    assert polled == set(table("aws"))
    state = json.loads(bt.state_path.read_text())
    cursors = {k for k, v in state["accounts"]["123456789012"]["regions"].items() if "cursor" in v}
    assert cursors == set(table("aws")) - set(DISABLED)


def test_a_rejected_key_in_a_region_that_is_not_opt_in_is_a_failure(bt, sim):
    sim.config(rate_limit=0)
    disable(sim, ["us-west-2"])
    cfg = bt.config("regions: all\n")
    r = bt(["-c", cfg, "poll"], env={"AWS_REGION": None}, timeout=120)
    assert r.rc == 77, r
    assert "skipped" not in r.err


def test_test_connection_all_regions_notes_the_disabled_ones(bt, sim):
    sim.config(rate_limit=0)
    disable(sim, DISABLED)
    r = bt(["-r", "all", "test-connection"], timeout=120)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines.pop(0) == "credentials: environment, access key %s" % (
        simctl.ALLOWED_KEY[:4] + "****" + simctl.ALLOWED_KEY[-4:])
    assert len(lines) == len(table("aws"))
    for region in table("aws"):
        want = ("%s: skipped: an opt-in region this account has not enabled "
            "(UnrecognizedClientException)" % region if region in DISABLED
            else "%s: connection to AWS CloudTrail works" % region)
        assert [l for l in lines if l.startswith(region + ":")][0] \
            .startswith(want)


def test_regions_must_be_a_list_or_all(bt, sim):
    cfg = bt.config("regions: every\n")
    r = bt(["-c", cfg, "status"])
    assert r.rc == 78, r
    assert r.err.splitlines()[0] == "%s:4:10: 'regions' must be a list of " \
        "region codes or 'all'" % cfg
