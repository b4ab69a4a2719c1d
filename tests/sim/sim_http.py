"""The simulator's HTTP front: one handler for every service.

A request goes to the control API (/_sim/), IMDS (/latest/), the container
endpoint (/_container/), the SSO portal (/federation/), or by X-Amz-Target / form body to CloudTrail,
Organizations or STS. Faults are taken here, per service, before the
service sees the request.
"""

import email.utils
import socket
import ssl
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import sim_common
import sim_control
from sim_common import JSON11, dumps, log, scope_of

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudtrail-sim"
    disable_nagle_algorithm = True
    timeout = 300

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            self.request.do_handshake()
        super().setup()

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError) as e:
            log("connection: %s", e)
            self.close_connection = True

    def log_message(self, fmt, *args):
        log("%s " + fmt, self.address_string(), *args)

    @property
    def sim(self):
        return self.server.sim

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is not None:
            return self.rfile.read(int(n))
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def write_head(self, status, headers, length):
        reason = self.responses.get(status, ("Unknown",))[0]
        lines = ["HTTP/1.1 %d %s" % (status, reason)]
        for k, v in headers.items():
            lines.append("%s: %s" % (k, v))
        lines.append("Content-Length: %d" % length)
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, status, body, headers=None, ctype=JSON11, sim_date=True):
        h = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": ctype,
            "Date": email.utils.formatdate(self.sim.now() if sim_date else
                time.time(), usegmt=True)}
        h.update(headers or {})
        head = self.write_head(status, h, len(body))
        if len(body) > (1 << 20):
            self.wfile.write(head)
            mv = memoryview(body)
            for i in range(0, len(body), 1 << 20):
                self.wfile.write(mv[i:i + (1 << 20)])
        else:
            self.wfile.write(head + body)
        self.log_request(status, len(body))

    def send_json(self, status, obj):
        self.send(status, dumps(obj).encode(), ctype="application/json",
            sim_date=False)

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- dispatch

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        body = self.read_body()
        u = urlsplit(self.path)
        if u.path.startswith("/_sim/"):
            try:
                self.control(method, u.path, parse_qs(u.query), body)
            except (ValueError, KeyError, TypeError) as e:
                self.send_json(400, {"error": str(e)})
            return
        self.api(method, body)

    def api(self, method, body):
        sim = self.sim
        u = urlsplit(self.path)
        name = service_of(method, u.path, self.headers)
        svc = self.server.services[name]
        st = {"t": time.monotonic(), "sim_time": sim.now(), "method": method,
            "path": self.path, "target": self.headers.get("X-Amz-Target"),
            "service": name, "action": svc.action_of(self, u, body),
            "region": None, "access_key_id": None, "account": None,
            "status": None, "error": None, "fault": None, "events": None,
            "params": None, "role_arn": None, "external_id": None,
            "caller": None, "scanned": None}
        akid, region = scope_of(self.headers.get("Authorization"))
        st["region"], st["access_key_id"] = region, akid
        st["account"] = sim.account_of_key(akid)
        st["params"] = svc.params_of(self, u, body)
        f = None
        if svc.faultable(self, method, st):
            f = sim.take_fault(name, st["action"], region, akid)
        if f:
            st["fault"] = f["kind"]
            log("fault %s", f)
        try:
            if f and f["kind"] == "drop_before_headers":
                self.drop()
                return
            if f and f["kind"] == "slow":
                time.sleep(float(f.get("seconds", 5)))
            if f and f["kind"] not in ("slow", "truncated", "drop_mid_body"):
                r = svc.fault_response(f, region)
            else:
                r = svc.handle(self, method, body, st)
            st["status"], st["error"] = r.status, r.error
            # Counted before the answer leaves, so that a test reading the
            # stats right after the client exits sees every request.
            self.count(st)
            if f and f["kind"] == "truncated":
                self.send(200, r.body[:len(r.body) // 2], r.headers, r.ctype)
            elif f and f["kind"] == "drop_mid_body":
                h = {"x-amzn-RequestId": str(uuid.uuid4()),
                    "Content-Type": r.ctype, "Date": email.utils.formatdate(
                        sim.now(), usegmt=True)}
                h.update(r.headers)
                self.wfile.write(self.write_head(r.status, h, len(r.body)) +
                    r.body[:len(r.body) // 2])
                self.drop()
            else:
                self.send(r.status, r.body, r.headers, r.ctype)
        finally:
            self.count(st)

    def count(self, st):
        if st.get("_counted"):
            return
        st["_counted"] = True
        with self.sim.lock:
            self.sim.stats.append(st)

    def control(self, method, path, query, body):
        sim_control.control(self, method, path, query, body)


def service_of(method, path, headers):
    if path.startswith("/latest/"):
        return "imds"
    if path.startswith("/_container/"):
        return "container"
    if path.startswith("/federation/"):
        return "sso"
    target = headers.get("X-Amz-Target")
    if target:
        if target.startswith("AWSOrganizationsV20161128."):
            return "organizations"
        return "cloudtrail"
    ctype = (headers.get("Content-Type") or "").lower()
    if "x-www-form-urlencoded" in ctype or (method == "GET" and
            "Action=" in path):
        return "sts"
    return "cloudtrail"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        if sim_common.VERBOSE:
            super().handle_error(request, client_address)


