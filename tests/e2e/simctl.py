"""Drive tests/sim/cloudtrail_sim.py from tests: start, stop, control API.

Also: a test CA and server certificate made with the openssl command line,
the simulator's built-in credentials, and `signed_post` for raw LookupEvents
requests signed by botocore (to poke at the wire protocol directly).
"""

import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIM_SCRIPT = REPO / "tests" / "sim" / "cloudtrail_sim.py"
PYTHON = "/usr/bin/python3"

LOOKUP_TARGET = ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
    "LookupEvents")

# The simulator's built-in credentials.
ALLOWED_KEY = "AKIDSIMULATOR0EXAMPLE"
ALLOWED_SECRET = "sim/Secret+Key/0123456789abcdefEXAMPLE"
DENIED_KEY = "AKIDNOPERMISSIONEXMP"
DENIED_SECRET = "sim/NoPermission/0123456789abcdefEXAMPLE"
SESSION_KEY = "ASIASIMSESSIONEXAMPL"
SESSION_SECRET = "sim/Session/0123456789abcdefEXAMPLE"
SESSION_TOKEN = "SimSessionToken//EXAMPLE+token="
EXPIRED_KEY = "ASIASIMEXPIREDEXAMPL"
EXPIRED_SECRET = "sim/Expired/0123456789abcdefEXAMPLE"
EXPIRED_TOKEN = "SimExpiredToken//EXAMPLE+token="

CREDENTIALS = {
    "allowed": (ALLOWED_KEY, ALLOWED_SECRET, None),
    "denied": (DENIED_KEY, DENIED_SECRET, None),
    "session": (SESSION_KEY, SESSION_SECRET, SESSION_TOKEN),
    "expired": (EXPIRED_KEY, EXPIRED_SECRET, EXPIRED_TOKEN),
}


class SimError(Exception):
    pass


class Sim:
    """One simulator process and a client for its /_sim/ control API."""

    def __init__(self, workdir=None, seed=0, verbose=False, extra_args=()):
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="ctsim-"))
        self.seed = seed
        self.verbose = verbose
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.url = None
        self.tls = None
        self.ca_path = None
        self._ssl = None
        self._log = None
        self._offset = 0.0  # sim clock minus real clock, as last set

    # ---- process

    def start(self, tls=None):
        """tls: None, or (cert_path, key_path[, ca_path])."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        port_file = self.workdir / "sim.port"
        if port_file.exists():
            port_file.unlink()
        cmd = [PYTHON, str(SIM_SCRIPT), "--port", "0", "--port-file",
            str(port_file), "--seed", str(self.seed)] + self.extra_args
        if self.verbose:
            cmd.append("--verbose")
        if tls:
            cmd += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
            self.tls = tls
            self.ca_path = str(tls[2]) if len(tls) > 2 else None
        self._log = open(self.workdir / "sim.log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if self.proc.poll() is not None:
                raise SimError("simulator exited with %s: %s" % (
                    self.proc.returncode, self.log_text()))
            if time.monotonic() > deadline:
                self.stop()
                raise SimError("simulator did not start: " + self.log_text())
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        scheme = "https" if tls else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        if tls:
            self._ssl = ssl.create_default_context(cafile=self.ca_path) \
                if self.ca_path else ssl._create_unverified_context()
        self.ping()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        self._offset = 0.0  # sim clock minus real clock, as last set

    def log_text(self):
        try:
            return (self.workdir / "sim.log").read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- control API

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
            method=method, headers={"Content-Type": "application/json"})
        # Never through a proxy, whatever the environment says.
        handlers = [urllib.request.ProxyHandler({})]
        if self._ssl:
            handlers.append(urllib.request.HTTPSHandler(context=self._ssl))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise SimError("%s %s: %s %s" % (method, path, e.code,
                e.read().decode(errors="replace"))) from None

    def ping(self):
        return self.call("GET", "/_sim/ping")

    def reset(self):
        self._offset = 0.0
        return self.call("POST", "/_sim/reset", {})

    def config(self, **kw):
        return self.call("POST", "/_sim/config", kw)

    def clock(self):
        return self._note(self.call("GET", "/_sim/clock")["now"])

    def set_clock(self, epoch):
        return self._note(self.call("POST", "/_sim/clock",
            {"now": epoch})["now"])

    def advance(self, seconds):
        return self._note(self.call("POST", "/_sim/clock",
            {"advance": seconds})["now"])

    def _note(self, now):
        self._offset = now - time.time()
        return now

    def amz_now(self):
        """The sim clock as X-Amz-Date (from the last known offset)."""
        return time.strftime("%Y%m%dT%H%M%SZ",
            time.gmtime(time.time() + self._offset))

    def add_events(self, region, events, delay=0):
        return self.call("POST", "/_sim/events", {"region": region,
            "events": events, "delay": delay})

    def generate(self, **kw):
        return self.call("POST", "/_sim/generate", kw)

    def events(self, region, source=None, full=False):
        q = "?region=" + region
        if source:
            q += "&source=" + source
        if full:
            q += "&full=1"
        return self.call("GET", "/_sim/events" + q)["events"]

    def faults(self, faults):
        return self.call("POST", "/_sim/faults", {"faults": list(faults)})

    def pending_faults(self):
        return self.call("GET", "/_sim/faults")["faults"]

    def clear_faults(self):
        return self.call("DELETE", "/_sim/faults")

    def add_credentials(self, access_key_id, secret_access_key,
            session_token=None, allowed=True, expired=False, user_arn=None):
        body = {"access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "session_token": session_token, "allowed": allowed,
            "expired": expired}
        if user_arn:
            body["user_arn"] = user_arn
        return self.call("POST", "/_sim/credentials", body)

    def stats(self):
        return self.call("GET", "/_sim/stats")["requests"]

    def reset_stats(self):
        return self.call("POST", "/_sim/stats/reset", {})

    # ---- helpers for tests

    def expected_ids(self, region, source="bedrock.amazonaws.com",
            start=None, end=None, at=None):
        """eventIDs LookupEvents should return, newest first."""
        at = self.clock() if at is None else at
        evs = [e for e in self.events(region, source)
            if e["visibleAt"] <= at
            and (start is None or e["eventTimeEpoch"] >= start)
            and (end is None or e["eventTimeEpoch"] <= end)]
        evs.sort(key=lambda e: (e["eventTimeEpoch"], e["eventID"]),
            reverse=True)
        return [e["eventID"] for e in evs]

    def signed_post(self, body, region="us-east-1", creds="allowed",
            amz_date=None, headers=None, target=LOOKUP_TARGET, conn=None):
        """A LookupEvents request signed by botocore at amz_date (default:
        the sim's clock); returns (status, headers dict with lower-case
        names, body bytes). headers override the signed ones."""
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        if isinstance(creds, str):
            creds = CREDENTIALS[creds]
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = AWSRequest(method="POST", url=self.url + "/", data=data,
            headers={"X-Amz-Target": target,
                "Content-Type": "application/x-amz-json-1.1"})
        signer = _Signer(Credentials(*creds), "cloudtrail", region)
        signer.amz_date = amz_date or self.amz_now()
        signer.add_auth(req)
        hdrs = dict(req.headers.items())
        hdrs.update(headers or {})
        own = conn is None
        if own:
            conn = self.connection()
        try:
            conn.request("POST", "/", body=data, headers=hdrs)
            r = conn.getresponse()
            out = (r.status, {k.lower(): v for k, v in r.getheaders()},
                r.read())
        finally:
            if own:
                conn.close()
        return out

    def connection(self, timeout=30):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port,
                timeout=timeout, context=self._ssl)
        return http.client.HTTPConnection("127.0.0.1", self.port,
            timeout=timeout)


def _signer_class():
    from botocore.auth import SigV4Auth

    class Signer(SigV4Auth):
        """botocore's SigV4, at a chosen time when amz_date is set."""
        amz_date = None

        def add_auth(self, request):
            if self.amz_date is None:
                return super().add_auth(request)
            request.context["timestamp"] = self.amz_date
            self._modify_request_before_signing(request)
            cr = self.canonical_request(request)
            sig = self.signature(self.string_to_sign(request, cr), request)
            self._inject_signature_to_request(request, sig)
    return Signer


class _LazySigner:
    def __call__(self, *a):
        return _signer_class()(*a)


_Signer = _LazySigner()


# ---------------------------------------------------------------- TLS

def _openssl(*args, cwd):
    r = subprocess.run(("openssl",) + args, cwd=cwd, capture_output=True)
    if r.returncode != 0:
        raise SimError("openssl %s: %s" % (args[0], r.stderr.decode()))


def make_test_ca(tmpdir):
    """A CA and a server certificate for 127.0.0.1 and localhost.
    Returns dict(ca=, cert=, key=) of paths (strings)."""
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    ext = d / "server.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj",
        "/CN=bedrock-trail test CA", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext",
        "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-days", "30", "-out", "server.pem",
        "-extfile", str(ext), cwd=d)
    return {"ca": str(d / "ca.pem"), "cert": str(d / "server.pem"),
        "key": str(d / "server.key")}


def make_untrusted_cert(tmpdir):
    """A self-signed server certificate for 127.0.0.1 and localhost, that
    nothing trusts. Returns dict(cert=, key=)."""
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-keyout", "untrusted.key", "-out", "untrusted.pem", "-subj",
        "/CN=localhost", "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=d)
    return {"cert": str(d / "untrusted.pem"), "key": str(d / "untrusted.key")}


if __name__ == "__main__":
    # Handy by hand: python3 tests/e2e/simctl.py  -> starts a sim and waits.
    with Sim(verbose=True).start() as s:
        print(s.url, flush=True)
        try:
            s.proc.wait()
        except KeyboardInterrupt:
            pass
    sys.exit(0)
