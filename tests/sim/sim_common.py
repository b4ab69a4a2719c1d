"""Shared pieces of the simulator: time, JSON, AWS error shapes, SigV4.

Imported by cloudtrail_sim.py and its service modules (sim_sts, sim_org,
sim_metadata); standard library and botocore only.
"""

import json
import sys
from datetime import datetime, timezone

from botocore.auth import SigV4Auth
from botocore.compat import HTTPHeaders

JSON11 = "application/x-amz-json-1.1"
CORAL = "com.amazon.coral.service#"

# The account of the built-in keys, and of events and requests that name
# none.
ACCOUNT = "123456789012"

# Commercial, China and GovCloud regions. A credential scope naming anything
# else is refused the way AWS does.
REGIONS = frozenset("""
us-east-1 us-east-2 us-west-1 us-west-2 af-south-1 ap-east-1 ap-east-2
ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3
ap-southeast-4 ap-southeast-5 ap-southeast-6 ap-southeast-7 ap-northeast-1
ap-northeast-2 ap-northeast-3 ca-central-1 ca-west-1 eu-central-1
eu-central-2 eu-west-1 eu-west-2 eu-west-3 eu-south-1 eu-south-2 eu-north-1
il-central-1 me-south-1 me-central-1 mx-central-1 sa-east-1 us-gov-west-1
us-gov-east-1 cn-north-1 cn-northwest-1
""".split())

VERBOSE = False


def log(fmt, *args):
    if VERBOSE:
        sys.stderr.write("cloudtrail_sim: " + (fmt % args) + "\n")


# ---------------------------------------------------------------- time

def iso(t):
    return datetime.fromtimestamp(int(t), timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def amz(t):
    return datetime.fromtimestamp(int(t), timezone.utc).strftime(
        "%Y%m%dT%H%M%SZ")


def parse_iso(s):
    """ISO 8601 (Z, offsets, fractions, date only) to epoch seconds."""
    s = s.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    d = datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


def parse_time_value(v):
    """A LookupEvents timestamp: epoch number or ISO 8601 string."""
    if isinstance(v, bool):
        raise ValueError("boolean timestamp")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return parse_iso(v)
    raise ValueError("timestamp of type %s" % type(v).__name__)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---------------------------------------------------------------- errors

class ApiError(Exception):
    def __init__(self, status, typ, message, key="message", header=None):
        super().__init__(message)
        self.status = status
        self.typ = typ
        self.message = message
        self.key = key
        self.header = header

    @property
    def name(self):
        return self.typ.rsplit("#", 1)[-1]

    def body(self):
        b = {"__type": self.typ}
        if self.message is not None:
            b[self.key] = self.message
        return dumps(b).encode()


def err_throttle():
    return ApiError(400, "ThrottlingException", "Rate exceeded",
        header="ThrottlingException")


def err_auth(name, message, ns=""):
    # Authentication errors come from the coral front end: the header names
    # the namespace after a colon, as AWS does.
    return ApiError(400, ns + name, message, header=name +
        ":http://internal.amazon.com/coral/com.amazon.coral.service/")


def err_ct(name, message, ns=""):
    return ApiError(400, ns + name, message, key="Message", header=name)


def err_bad_signature():
    return err_auth("InvalidSignatureException", "The request signature we "
        "calculated does not match the signature you provided. Check your "
        "AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.")


class Response:
    def __init__(self, status, body, headers=None, ctype=JSON11):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.ctype = ctype
        self.error = None


def error_response(e):
    r = Response(e.status, e.body())
    if e.header:
        r.headers["x-amzn-ErrorType"] = e.header
    r.error = e.name
    return r


# ---------------------------------------------------------------- signing

class _Verifier(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client signed."""

    def __init__(self, creds, region, signed, values, service="cloudtrail"):
        super().__init__(creds, service, region)
        self._signed = signed
        self._values = values

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            for v in self._values.get(name, ()):
                hm[name] = v
        return hm


def parse_authorization(value):
    if not value.startswith("AWS4-HMAC-SHA256 "):
        raise err_auth("IncompleteSignatureException", "Authorization header "
            "requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization=" + value.split(" ")[0])
    params = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, sep, v = part.strip().partition("=")
        if sep:
            params[k] = v
    missing = [k for k in ("Credential", "Signature", "SignedHeaders")
        if not params.get(k)]
    if missing:
        raise err_auth("IncompleteSignatureException", " ".join(
            "Authorization header requires '%s' parameter." % k
            for k in missing))
    return params


def scope_of(auth):
    """Best-effort (access key id, region) for faults and statistics."""
    try:
        cred = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        return cred[0], cred[2]
    except (AttributeError, IndexError):
        return None, None
