"""A week of discoveries against the simulator (make demo-week): a day of
generated traffic as the baseline, then six daily polls with more of it,
a new model on day 3, a new person on a denied model on day 5 and a first
call in a new region on day 6; then report --inventory."""

import calendar
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))

import simctl  # noqa: E402

DAY = 86400
T0 = calendar.timegm((2026, 11, 24, 7, 0, 0))
ACCOUNT = simctl.ACCOUNT  # the account the simulator generates for


def call(t, model, who, region):
    return {"eventTime": t, "eventName": "InvokeModel",
        "recipientAccountId": ACCOUNT, "awsRegion": region,
        "requestParameters": {"modelId": model},
        "userIdentity": {"type": "IAMUser", "userName": who,
            "accountId": ACCOUNT,
            "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, who)}}


def main():
    work = Path(tempfile.mkdtemp())
    sim = simctl.Sim(work / "sim")
    sim.start()
    try:
        run(sim, work)
    finally:
        sim.stop()


def run(sim, work):
    cfg = work / "config.yaml"
    cfg.write_text("state_file: %s/state.json\noutput: %s/records.jsonl\n"
        "discoveries_output: %s/discoveries.jsonl\nmax_requests_per_second:"
        " 100\nmodels_allowed: [\"anthropic.*\", \"amazon.*\"]\n"
        "models_denied: [\"*llama*\"]\n" % (work, work, work))
    env = dict(os.environ, AWS_ACCESS_KEY_ID=simctl.ALLOWED_KEY,
        AWS_SECRET_ACCESS_KEY=simctl.ALLOWED_SECRET, HOME=str(work),
        AWS_ENDPOINT_URL_CLOUDTRAIL=sim.url, TZ="UTC")
    sim.config(rate_limit=0)
    bt = [str(TOP / "bedrock-trail"), "-c", str(cfg), "-r",
        "us-east-1,eu-central-1"]
    disc = work / "discoveries.jsonl"
    for day in range(7):
        now = T0 + day * DAY
        sim.set_clock(now)
        sim.generate(region="us-east-1", start=now - DAY, end=now - 60,
            count=300, seed=day, delay_max=0)
        planted = {3: [call(now - 5 * 3600, "writer.palmyra-x5-v1:0",
            "data-team", "us-east-1")], 5: [call(now - 4 * 3600,
            "meta.llama4-scout-17b-instruct-v1:0", "contractor", "us-east-1")],
            6: [call(now - 3 * 3600, "anthropic.claude-3-haiku-20240307-v1:0",
            "data-team", "eu-central-1")]}.get(day, [])
        for ev in planted:
            sim.add_events(ev["awsRegion"], [ev])
        before = len(disc.read_text().splitlines()) if disc.exists() else 0
        r = subprocess.run(["faketime", "-m", "-f", time.strftime(
            "@%Y-%m-%d %H:%M:%S", time.gmtime(now))] + bt + ["poll"],
            env=dict(env, FAKETIME_DONT_FAKE_MONOTONIC="1"),
            capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(r.stderr)
        new = [json.loads(l) for l in disc.read_text().splitlines()[before:]]
        counts = {}
        for d in new:
            counts[d["discovery"]] = counts.get(d["discovery"], 0) + 1
        print("== day %d, poll at %s: %s%s" % (day, time.strftime(
            "%Y-%m-%dT%H:%MZ", time.gmtime(now)), ", ".join("%d %s" % (n, k)
            for k, n in sorted(counts.items())) or "nothing new",
            " (all baseline)" if new and all(d.get("baseline")
            for d in new) else ""))
        for d in new:
            if day > 0 and d["discovery"] in ("new_model", "new_principal",
                    "new_region"):
                print("  " + json.dumps(d, separators=(",", ":")))
    print("\n$ bedrock-trail report --inventory --format table")
    sys.stdout.flush()
    subprocess.run(bt + ["report", "--inventory", "--format", "table"],
        env=env)
    print("\n$ bedrock-trail report --format table records.jsonl")
    sys.stdout.flush()
    subprocess.run(bt + ["report", "--format", "table",
        str(work / "records.jsonl")], env=env)


if __name__ == "__main__":
    main()
