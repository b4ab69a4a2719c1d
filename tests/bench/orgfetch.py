#!/usr/bin/python3
"""The minimal concurrent fetcher of make bench's organisation run (part 6).

It does what a poll of an organisation must do on the wire, and nothing
else: GetCallerIdentity, ListAccounts (every page), one AssumeRole per
member account, then every account x region unit's LookupEvents pages,
max_concurrency units at a time, each unit paced as bedrock-trail paces it
(request starts 1.02 / max_requests_per_second apart). It keeps the event
ids and nothing of the records: no state, no spool, no output.

Python is fast enough for a floor of wall time here: the run is bound by
the pacing (16 units x 2 requests/s is 32 requests/s), and one request
costs this script about 2 ms of CPU (botocore's signing, http.client,
json.loads of a 75 KiB page), so it keeps up with a tenth of a core. Its
CPU is not compared with anything.

usage: orgfetch.py SPEC.json OUT_IDS
SPEC.json: {"url", "regions", "role_name", "start", "end",
"max_concurrency", "max_requests_per_second", "source"}. Writes one
eventID a line to OUT_IDS and prints {"events", "requests",
"assume_roles", "units", "throttled"} as JSON.
"""

import json
import queue
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

import simctl  # noqa: E402


class Fetcher:
    def __init__(self, spec):
        self.spec = spec
        self.sim = simctl.Sim()
        self.sim.url = spec["url"]
        self.sim.port = int(spec["url"].rsplit(":", 1)[1])
        self.interval = 1.02 / spec["max_requests_per_second"]
        self.lock = threading.Lock()
        self.creds = {}
        self.account_locks = {}
        self.ids = []
        self.requests = 0
        self.throttled = 0
        self.assume_roles = 0
        self.errors = []

    def own_account(self):
        status, leaves = self.sim.sts_xml({"Action": "GetCallerIdentity"})
        if status != 200:
            raise SystemExit("orgfetch: GetCallerIdentity: HTTP %d" % status)
        return leaves["Account"]

    def accounts(self):
        out, token = [], None
        while True:
            body = {"MaxResults": 20}
            if token:
                body["NextToken"] = token
            status, _, data = self.sim.org_post("ListAccounts", body)
            if status != 200:
                raise SystemExit("orgfetch: ListAccounts: HTTP %d %r" % (
                    status, data[:200]))
            page = json.loads(data)
            out += [a["Id"] for a in page["Accounts"]
                if a["Status"] == "ACTIVE"]
            token = page.get("NextToken")
            if not token:
                return out

    def credentials(self, account):
        """The account's keys: its own for the caller's account, else one
        AssumeRole per account, whichever unit asks first."""
        with self.lock:
            lk = self.account_locks.setdefault(account, threading.Lock())
        with lk:
            if account not in self.creds:
                arn = "arn:aws:iam::%s:role/%s" % (account,
                    self.spec["role_name"])
                self.creds[account] = self.sim.assume_role(arn,
                    session="orgfetch")
                with self.lock:
                    self.assume_roles += 1
            return self.creds[account]

    def unit(self, conn, account, region):
        creds = "allowed" if account == self.self_account else \
            self.credentials(account)
        body = {"LookupAttributes": [{"AttributeKey": "EventSource",
            "AttributeValue": self.spec["source"]}],
            "StartTime": self.spec["start"], "EndTime": self.spec["end"],
            "MaxResults": 50}
        ids, next_start, requests, throttled = [], 0.0, 0, 0
        while True:
            now = time.monotonic()
            if now < next_start:
                time.sleep(next_start - now)
            next_start = time.monotonic() + self.interval
            status, _, data = self.sim.signed_post(body, region=region,
                creds=creds, conn=conn)
            requests += 1
            if status == 400 and b"Throttling" in data:
                throttled += 1
                continue
            if status != 200:
                raise RuntimeError("%s/%s: HTTP %d %r" % (account, region,
                    status, data[:200]))
            page = json.loads(data)
            ids += [e["EventId"] for e in page["Events"]]
            if not page.get("NextToken"):
                break
            body["NextToken"] = page["NextToken"]
        with self.lock:
            self.ids += ids
            self.requests += requests
            self.throttled += throttled

    def worker(self, units):
        conn = self.sim.connection(timeout=60)
        try:
            while True:
                try:
                    account, region = units.get_nowait()
                except queue.Empty:
                    return
                try:
                    self.unit(conn, account, region)
                except Exception as e:      # noqa: BLE001 (reported below)
                    with self.lock:
                        self.errors.append("%s/%s: %s" % (account, region,
                            e))
                    conn.close()
                    conn = self.sim.connection(timeout=60)
        finally:
            conn.close()

    def run(self):
        self.self_account = self.own_account()
        units = queue.Queue()
        accounts = self.accounts()
        for a in accounts:
            for r in self.spec["regions"]:
                units.put((a, r))
        n = units.qsize()
        threads = [threading.Thread(target=self.worker, args=(units,))
            for _ in range(min(self.spec["max_concurrency"], n))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self.errors:
            raise SystemExit("orgfetch: %d units failed, e.g. %s" % (
                len(self.errors), self.errors[0]))
        return n


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: orgfetch.py SPEC.json OUT_IDS")
    f = Fetcher(json.loads(Path(sys.argv[1]).read_text()))
    units = f.run()
    Path(sys.argv[2]).write_text("".join(i + "\n" for i in f.ids))
    print(json.dumps({"events": len(f.ids), "requests": f.requests,
        "assume_roles": f.assume_roles, "units": units,
        "throttled": f.throttled}))


if __name__ == "__main__":
    main()
