#!/usr/bin/python3
"""A local AWS CloudTrail LookupEvents simulator for bedrock-trail's tests.

One port serves every region (the region comes from the SigV4 credential
scope) and a JSON control API under /_sim/ (see tests/sim/README.md).
Signatures are verified with botocore's own SigV4 code, so the simulator
agrees with a real AWS client byte for byte.

Standard library and botocore only; run with /usr/bin/python3.
"""

import argparse
import base64
import bisect
import email.utils
import hashlib
import hmac
import json
import math
import os
import random
import socket
import ssl
import sys
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
LOOKUP_EVENTS = TARGET_PREFIX + "LookupEvents"
JSON11 = "application/x-amz-json-1.1"
RETENTION = 90 * 86400
CORAL = "com.amazon.coral.service#"
CT_NS = "com.amazonaws.cloudtrail.v20131101#"

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

ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username",
    "ResourceType", "ResourceName", "EventSource", "AccessKeyId")

ACCOUNT = "111122223333"

BUILTIN_CREDENTIALS = (
    {"access_key_id": "AKIDSIMULATOR0EXAMPLE",
     "secret_access_key": "sim/Secret+Key/0123456789abcdefEXAMPLE",
     "session_token": None, "allowed": True, "expired": False,
     "user_arn": "arn:aws:iam::111122223333:user/sim-reader"},
    {"access_key_id": "AKIDNOPERMISSIONEXMP",
     "secret_access_key": "sim/NoPermission/0123456789abcdefEXAMPLE",
     "session_token": None, "allowed": False, "expired": False,
     "user_arn": "arn:aws:iam::111122223333:user/sim-no-permission"},
    {"access_key_id": "ASIASIMSESSIONEXAMPL",
     "secret_access_key": "sim/Session/0123456789abcdefEXAMPLE",
     "session_token": "SimSessionToken//EXAMPLE+token=",
     "allowed": True, "expired": False,
     "user_arn": "arn:aws:sts::111122223333:assumed-role/sim-role/sim-session"},
    {"access_key_id": "ASIASIMEXPIREDEXAMPL",
     "secret_access_key": "sim/Expired/0123456789abcdefEXAMPLE",
     "session_token": "SimExpiredToken//EXAMPLE+token=",
     "allowed": True, "expired": True,
     "user_arn": "arn:aws:sts::111122223333:assumed-role/sim-role/expired"},
)

DEFAULT_CONFIG = {
    "rate_limit": 2,            # requests per (key, region) per 1.0 s; 0 = off
    "throttle_probability": 0.0,
    "page_size_max": 50,        # the sim never returns more per page
    "skew_past": 300,           # X-Amz-Date may lag the clock this much
    "skew_future": 900,         # and lead it this much (as AWS does)
}

FAULT_KINDS = ("status", "throttle", "drop_before_headers", "drop_mid_body",
    "slow", "truncated", "malformed", "wrong_types", "huge", "error")
WRONG_TYPES = ("events_not_list", "event_time_string",
    "cloudtrail_event_object", "cloudtrail_event_not_json",
    "next_token_number", "top_level_list", "events_missing")

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


# ---------------------------------------------------------------- events

class Event:
    """One stored event; its LookupEvents entry is serialised once."""
    __slots__ = ("t", "eid", "key", "visible", "source", "name", "readonly",
        "username", "akid", "resources", "entry")

    def __init__(self, rec, delay):
        self.t = float(parse_iso(rec["eventTime"]))
        self.eid = rec["eventID"]
        self.key = (self.t, self.eid)
        self.visible = self.t + float(delay)
        self.source = rec.get("eventSource")
        self.name = rec.get("eventName")
        ro = rec.get("readOnly")
        self.readonly = "true" if ro is True or ro == "true" else "false"
        ident = rec.get("userIdentity") or {}
        self.username = lookup_username(ident)
        self.akid = ident.get("accessKeyId")
        self.resources = []
        for r in rec.get("resources") or []:
            self.resources.append({"ResourceType": r.get("type"),
                "ResourceName": r.get("ARN")})
        entry = {"EventId": self.eid, "EventName": self.name,
            "ReadOnly": self.readonly}
        if self.akid:
            entry["AccessKeyId"] = self.akid
        entry["EventTime"] = self.t
        entry["EventSource"] = self.source
        if self.username:
            entry["Username"] = self.username
        entry["Resources"] = self.resources
        entry["CloudTrailEvent"] = dumps(rec)
        self.entry = dumps(entry)

    def record(self):
        return json.loads(json.loads(self.entry)["CloudTrailEvent"])

    def matches(self, key, value):
        if key is None:
            return True
        if key == "EventId":
            return self.eid == value
        if key == "EventName":
            return self.name == value
        if key == "ReadOnly":
            return self.readonly == value
        if key == "Username":
            return self.username == value
        if key == "EventSource":
            return self.source == value
        if key == "AccessKeyId":
            return self.akid == value
        if key == "ResourceType":
            return any(r["ResourceType"] == value for r in self.resources)
        if key == "ResourceName":
            return any(r["ResourceName"] == value for r in self.resources)
        return False


def lookup_username(ident):
    typ = ident.get("type")
    if typ == "IAMUser":
        return ident.get("userName")
    if typ in ("AssumedRole", "FederatedUser") and ident.get("arn"):
        return ident["arn"].rsplit("/", 1)[-1]
    if typ == "Root":
        return "root"
    if typ == "AWSService":
        return ident.get("invokedBy")
    return ident.get("userName")


class SortedEvents:
    """Events ascending by (eventTime, eventID), with bisectable keys."""

    def __init__(self):
        self.keys = []
        self.events = []

    def add(self, evs):
        if len(evs) < 64:
            for e in evs:
                i = bisect.bisect_right(self.keys, e.key)
                self.keys.insert(i, e.key)
                self.events.insert(i, e)
            return
        self.events.extend(evs)
        self.events.sort(key=lambda e: e.key)
        self.keys = [e.key for e in self.events]


class Region:
    def __init__(self):
        self.all = SortedEvents()
        self.by_source = {}
        self.ids = set()


# ---------------------------------------------------------------- generator

MODELS = (
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-v2",
    "amazon.titan-text-express-v1",
    "amazon.nova-pro-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "mistral.mistral-large-2402-v1:0",
    "cohere.command-r-plus-v1:0",
    "ai21.jamba-1-5-large-v1:0",
    "deepseek.r1-v1:0",
)
PROFILES = (
    "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
    "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "apac.amazon.nova-lite-v1:0",
    "global.anthropic.claude-sonnet-4-20250514-v1:0",
    "us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "us.meta.llama3-1-70b-instruct-v1:0",
)
RUNTIME_NAMES = ("InvokeModel", "InvokeModelWithResponseStream", "Converse",
    "ConverseStream")
BEDROCK_NAMES = (("InvokeModel", 34), ("InvokeModelWithResponseStream", 14),
    ("Converse", 20), ("ConverseStream", 10), ("GetFoundationModel", 8),
    ("ListFoundationModels", 8), ("CreateModelInvocationJob", 6))
MANTLE_NAMES = (("CreateChatCompletion", 60), ("CreateResponse", 30),
    ("ListModels", 10))
MANTLE_MODELS = ("openai.gpt-oss-120b-1:0", "openai.gpt-oss-20b-1:0")
OTHER_SOURCES = (
    ("s3.amazonaws.com", ("GetBucketAcl", "ListBuckets", "PutBucketPolicy")),
    ("sts.amazonaws.com", ("AssumeRole", "GetCallerIdentity")),
    ("ec2.amazonaws.com", ("DescribeInstances", "RunInstances")),
    ("iam.amazonaws.com", ("ListUsers", "CreateAccessKey")),
    ("sagemaker.amazonaws.com", ("InvokeEndpoint",)),
)
ERRORS = (
    ("ValidationException", "max_tokens_to_sample: range: 1..1,000,000"),
    ("AccessDeniedException", "You don't have access to the model with "
        "the specified model ID."),
    ("ThrottlingException", "Too many requests, please wait before trying "
        "again."),
    ("ResourceNotFoundException", "Model not found."),
)
USER_AGENTS = (
    "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.12",
    "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22",
    "aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.1",
    "aws-sdk-java/2.25.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/21",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
)


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def rid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def principals(rng):
    """A small fixed cast of callers, so distinct principals stay few."""
    def akid(prefix):
        return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
            for _ in range(16))
    cast = []
    for name in ("svc-chatbot", "alice", "data-pipeline", "leaked-key-user"):
        cast.append({"type": "IAMUser",
            "principalId": "AIDA" + akid("")[:17],
            "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, name),
            "accountId": ACCOUNT, "accessKeyId": akid("AKIA"),
            "userName": name})
    roles = (("chatbot-backend-role", "i-0123456789abcdef0", "Role"),
        ("AWSReservedSSO_BedrockUsers_0123456789abcdef", "alice@example.com",
            "Role"),
        ("AWSReservedSSO_BedrockUsers_0123456789abcdef", "bob@example.com",
            "Role"),
        ("summarizer-lambda-role", "summarizer-fn", "Role"))
    for role, session, _ in roles:
        rolepid = "AROA" + akid("")[:17]
        cast.append({"type": "AssumedRole",
            "principalId": "%s:%s" % (rolepid, session),
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCOUNT, role,
                session),
            "accountId": ACCOUNT, "accessKeyId": akid("ASIA"),
            "sessionContext": {"sessionIssuer": {"type": "Role",
                "principalId": rolepid,
                "arn": "arn:aws:iam::%s:role/%s" % (ACCOUNT, role),
                "accountId": ACCOUNT, "userName": role},
                "attributes": {"creationDate": "2026-01-01T00:00:00Z",
                    "mfaAuthenticated": "false"}}})
    cast.append({"type": "Root", "principalId": ACCOUNT,
        "arn": "arn:aws:iam::%s:root" % ACCOUNT, "accountId": ACCOUNT,
        "accessKeyId": akid("ASIA"),
        "sessionContext": {"attributes": {
            "creationDate": "2026-01-01T02:00:00Z",
            "mfaAuthenticated": "true"}}})
    for name in ("bob", "carol"):
        cast.append({"type": "FederatedUser",
            "principalId": "%s:%s" % (ACCOUNT, name),
            "arn": "arn:aws:sts::%s:federated-user/%s" % (ACCOUNT, name),
            "accountId": ACCOUNT, "accessKeyId": akid("ASIA"),
            "sessionContext": {"sessionIssuer": {"type": "IAMUser",
                "principalId": "AIDAEXAMPLEUSERID0006",
                "arn": "arn:aws:iam::%s:user/federation-broker" % ACCOUNT,
                "accountId": ACCOUNT, "userName": "federation-broker"},
                "attributes": {"creationDate": "2026-01-01T03:00:00Z",
                    "mfaAuthenticated": "false"}}})
    cast.append({"type": "AWSService", "invokedBy": "bedrock.amazonaws.com"})
    return cast


def model_id(rng, region):
    form = weighted(rng, (("plain", 40), ("fm_arn", 8), ("profile", 25),
        ("profile_arn", 8), ("app_profile", 6), ("provisioned", 5),
        ("custom", 4), ("unknown", 4)))
    if form == "plain":
        return rng.choice(MODELS)
    if form == "fm_arn":
        return "arn:aws:bedrock:%s::foundation-model/%s" % (region,
            rng.choice(MODELS))
    if form == "profile":
        return rng.choice(PROFILES)
    if form == "profile_arn":
        return "arn:aws:bedrock:%s:%s:inference-profile/%s" % (region,
            ACCOUNT, rng.choice(PROFILES))
    if form == "app_profile":
        return "arn:aws:bedrock:%s:%s:application-inference-profile/%s" % (
            region, ACCOUNT, rng.choice(("abcd1234efgh", "zyxw9876vuts")))
    if form == "provisioned":
        return "arn:aws:bedrock:%s:%s:provisioned-model/%s" % (region,
            ACCOUNT, rng.choice(("abc123", "def456")))
    if form == "custom":
        return ("arn:aws:bedrock:%s:%s:custom-model/"
            "amazon.titan-text-express-v1:0:8k/ab12cd34ef56" % (region,
                ACCOUNT))
    return "my-imported-model-%d" % rng.randint(1, 3)


class Generator:
    """Seeded, realistic CloudTrail records (shapes of the samples)."""

    def __init__(self, rng, region, markers, marker_base):
        self.rng = rng
        self.region = region
        self.markers = markers
        self.marker_n = marker_base
        self.cast = principals(rng)

    def marker(self):
        self.marker_n += 1
        return "PAYLOAD-MARKER-%d" % self.marker_n

    def base(self, t, source, name, ident, host):
        rng = self.rng
        rec = {"eventVersion": "1.09" if rng.random() < 0.8 else "1.08",
            "userIdentity": ident, "eventTime": iso(t),
            "eventSource": source, "eventName": name,
            "awsRegion": self.region}
        if ident["type"] == "AWSService":
            rec["sourceIPAddress"] = ident["invokedBy"]
            rec["userAgent"] = ident["invokedBy"]
        else:
            rec["sourceIPAddress"] = rng.choice(("198.51.100.%d",
                "203.0.113.%d", "192.0.2.%d", "10.0.1.%d")) % rng.randint(
                    1, 254)
            rec["userAgent"] = rng.choice(USER_AGENTS)
        rec["_host"] = host
        return rec

    def finish(self, rec):
        rng = self.rng
        host = rec.pop("_host")
        rec["requestID"] = rid(rng)
        rec["eventID"] = rid(rng)
        rec["readOnly"] = rec.pop("_readonly", True)
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = True
        rec["recipientAccountId"] = ACCOUNT
        rec["eventCategory"] = "Management"
        if rec["userIdentity"]["type"] != "AWSService":
            rec["tlsDetails"] = {"tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": host}
        return rec

    def bedrock(self, t, source):
        rng = self.rng
        if source == "bedrock.amazonaws.com":
            name = weighted(rng, BEDROCK_NAMES)
        else:
            name = weighted(rng, MANTLE_NAMES)
        runtime = name in RUNTIME_NAMES or source != "bedrock.amazonaws.com"
        cast = self.cast if name == "InvokeModel" else self.cast[:-1]
        ident = dict(rng.choice(cast))
        host = ("bedrock-runtime.%s.amazonaws.com" if runtime else
            "bedrock.%s.amazonaws.com") % self.region
        if source != "bedrock.amazonaws.com":
            host = "%s.%s.api.aws" % (source.split(".")[0], self.region)
        rec = self.base(t, source, name, ident, host)
        err = rng.random() < 0.08
        if err:
            code, msg = rng.choice(ERRORS)
            rec["errorCode"] = code
            rec["errorMessage"] = msg + (" " + self.marker() if self.markers
                else "")
        params, resp, extra = self.payload(name, source)
        rec["requestParameters"] = params
        rec["responseElements"] = None if err else resp
        if extra:
            rec["additionalEventData"] = extra
        rec["_readonly"] = name != "CreateModelInvocationJob"
        return self.finish(rec)

    def payload(self, name, source):
        rng = self.rng
        m = self.marker if self.markers else None
        extra = {}
        resp = None
        if source != "bedrock.amazonaws.com":
            params = {} if name == "ListModels" else {
                "modelId": rng.choice(MANTLE_MODELS)}
            if m and name != "ListModels":
                params["messages"] = [{"role": "user", "content": m()}]
                resp = {"choices": [{"message": {"content": m()}}]}
            return params, resp, extra
        if name == "ListFoundationModels":
            params = rng.choice((None, {}, {"byOutputModality": "TEXT"}))
            if m:
                resp = {"modelSummaries": [{"note": m()}]}
            return params, resp, extra
        if name == "GetFoundationModel":
            params = {"modelIdentifier": rng.choice(MODELS)}
            if m:
                resp = {"modelDetails": {"description": m()}}
            return params, resp, extra
        params = {"modelId": model_id(rng, self.region)}
        if name == "CreateModelInvocationJob":
            params["jobName"] = "nightly-batch-%04d" % rng.randint(1, 9999)
            params["roleArn"] = "arn:aws:iam::%s:role/bedrock-batch-role" % (
                ACCOUNT)
            params["inputDataConfig"] = {"s3InputDataConfig": {
                "s3Uri": "s3://example-bucket/in/"}}
            params["outputDataConfig"] = {"s3OutputDataConfig": {
                "s3Uri": "s3://example-bucket/out/"}}
            resp = {"jobArn": "arn:aws:bedrock:%s:%s:model-invocation-job/"
                "%012x" % (self.region, ACCOUNT, rng.getrandbits(48))}
            if m:
                params["clientRequestToken"] = m()
            return params, resp, extra
        if m:
            if name.startswith("Converse"):
                params["messages"] = [{"role": "user",
                    "content": [{"text": m()}]}]
                params["system"] = [{"text": m()}]
                params["inferenceConfig"] = {"maxTokens": 512}
                resp = {"output": {"message": {"role": "assistant",
                    "content": [{"text": m()}]}}, "stopReason": "end_turn"}
            else:
                params["body"] = "{\"prompt\":\"%s\"}" % m()
                params["contentType"] = "application/json"
                resp = {"body": m()}
            extra["requestPayload"] = m()
        tail = params["modelId"].rsplit("/", 1)[-1]
        if tail.split(".")[0] in ("us", "eu", "apac", "global", "us-gov") or \
                "inference-profile" in params["modelId"]:
            if rng.random() < 0.7:
                extra["inferenceRegion"] = rng.choice(("us-east-1",
                    "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
                    "ap-northeast-1"))
        return params, resp, extra

    def other(self, t, sources):
        rng = self.rng
        source = rng.choice(sources)
        names = dict(OTHER_SOURCES).get(source)
        if names is None:
            return self.bedrock(t, source)
        ident = dict(rng.choice(self.cast[:-1]))
        rec = self.base(t, source, rng.choice(names), ident,
            "%s.%s.amazonaws.com" % (source.split(".")[0], self.region))
        rec["requestParameters"] = {"bucketName": "example-bucket"} if \
            source.startswith("s3") else {"modelId": rng.choice(MODELS)} if \
            source.startswith("sagemaker") else None
        rec["responseElements"] = None
        rec["_readonly"] = rng.random() < 0.7
        return self.finish(rec)


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

    def __init__(self, creds, region, signed, values):
        super().__init__(creds, "cloudtrail", region)
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


# ---------------------------------------------------------------- state

class Sim:
    def __init__(self, seed=0):
        self.lock = threading.RLock()
        self.seed = seed
        self.token_key = os.urandom(32)
        self.reset()

    def reset(self):
        with self.lock:
            self.offset = 0.0
            self.config = dict(DEFAULT_CONFIG)
            self.regions = {}
            self.faults = []
            self.creds = {c["access_key_id"]: dict(c)
                for c in BUILTIN_CREDENTIALS}
            self.windows = {}
            self.stats = deque(maxlen=200000)
            self.rng = random.Random(self.seed)
            self.generation = getattr(self, "generation", 0) + 1
            self.gen_calls = 0
            self.marker_n = 0

    def now(self):
        return time.time() + self.offset

    # ---- events

    def region(self, name):
        r = self.regions.get(name)
        if r is None:
            r = self.regions[name] = Region()
        return r

    def add_records(self, region, recs):
        """recs: list of (record dict, delay). All or nothing."""
        evs = []
        with self.lock:
            r = self.region(region)
            seen = set()
            for rec, delay in recs:
                e = Event(rec, delay)
                if e.eid in r.ids or e.eid in seen:
                    raise ValueError("duplicate eventID %s in %s" % (e.eid,
                        region))
                seen.add(e.eid)
                evs.append(e)
            r.ids |= seen
            r.all.add(evs)
            groups = {}
            for e in evs:
                groups.setdefault(e.source, []).append(e)
            for src, g in groups.items():
                r.by_source.setdefault(src, SortedEvents()).add(g)
        return evs

    def generate(self, region="us-east-1", start=None, end=None, count=100,
            seed=None, markers=False, other_sources=False, delay_max=900,
            event_source="bedrock.amazonaws.com", delay_min=None):
        with self.lock:
            now = self.now()
            end = now if end is None else float(end)
            start = end - 86400 if start is None else float(start)
            if start > end:
                raise ValueError("start after end")
            if seed is None:
                seed = "%s:%d" % (self.seed, self.gen_calls)
            self.gen_calls += 1
            rng = random.Random("%s/%s/%s" % (seed, region, event_source))
            gen = Generator(rng, region, markers, self.marker_n)
            if other_sources is True:
                others = [s for s, _ in OTHER_SOURCES]
                n_other = max(1, count // 4)
            elif isinstance(other_sources, list):
                others = other_sources
                n_other = max(1, count // 4)
            else:
                others, n_other = [], 0
            dmin = min(60.0, delay_max) if delay_min is None else delay_min
            lo, hi = math.ceil(start), math.floor(end)
            if lo > hi:
                raise ValueError("no whole second between start and end")
            recs = []
            for i in range(int(count) + n_other):
                t = rng.randint(lo, hi)
                if i < count:
                    rec = gen.bedrock(t, event_source)
                else:
                    rec = gen.other(t, others)
                delay = rng.uniform(dmin, delay_max) if delay_max > 0 else 0
                recs.append((rec, delay))
            self.add_records(region, recs)
            self.marker_n = gen.marker_n
            return {"added": len(recs), "matching": int(count)}

    def list_events(self, region, source, full):
        out = []
        with self.lock:
            names = [region] if region else sorted(self.regions)
            for name in names:
                r = self.regions.get(name)
                if r is None:
                    continue
                lst = r.by_source.get(source) if source else r.all
                for e in (lst.events if lst else ()):
                    d = {"eventID": e.eid, "eventTime": iso(e.t),
                        "eventTimeEpoch": e.t, "visibleAt": e.visible,
                        "eventSource": e.source, "eventName": e.name,
                        "region": name}
                    if full:
                        d["record"] = e.record()
                    out.append(d)
        return out

    # ---- faults

    def take_fault(self, region, akid):
        with self.lock:
            hit = None
            for f in self.faults:
                if f.get("region") not in (None, region):
                    continue
                if f.get("access_key_id") not in (None, akid):
                    continue
                if f["after"] > 0:
                    f["after"] -= 1
                    continue
                if hit is None:
                    hit = dict(f)
                    f["count"] -= 1
            self.faults = [f for f in self.faults if f["count"] > 0]
            return hit

    def add_faults(self, faults):
        clean = []
        for f in faults:
            if not isinstance(f, dict) or f.get("kind") not in FAULT_KINDS:
                raise ValueError("unknown fault %r (kinds: %s)" % (f,
                    ", ".join(FAULT_KINDS)))
            f = dict(f)
            f["after"] = int(f.get("after", 0))
            f["count"] = int(f.get("count", 1))
            if f["kind"] == "wrong_types" and f.get("variant",
                    WRONG_TYPES[0]) not in WRONG_TYPES:
                raise ValueError("unknown wrong_types variant (%s)" %
                    ", ".join(WRONG_TYPES))
            clean.append(f)
        with self.lock:
            self.faults.extend(clean)

    # ---- rate limiting

    def admit(self, akid, region):
        """Sliding 1.0 s window; throttled requests do not use it up."""
        with self.lock:
            limit = int(self.config["rate_limit"])
            p = float(self.config["throttle_probability"])
            if p > 0 and self.rng.random() < p:
                return False
            if limit <= 0:
                return True
            now = time.monotonic()
            w = self.windows.setdefault((akid, region), deque())
            while w and w[0] <= now - 1.0:
                w.popleft()
            if len(w) >= limit:
                return False
            w.append(now)
            return True

    # ---- LookupEvents

    def authenticate(self, h, method, path, body):
        auth = h.get("Authorization")
        if not auth:
            raise err_auth("MissingAuthenticationTokenException",
                "Missing Authentication Token")
        params = parse_authorization(auth)
        scope = params["Credential"].split("/")
        if len(scope) != 5:
            raise err_auth("IncompleteSignatureException", "Credential should "
                "have exactly 5 slash-separated parts, not %d." % len(scope))
        akid, date8, region, service, term = scope
        if term != "aws4_request":
            raise err_auth("InvalidSignatureException", "Credential should be "
                "scoped with a valid terminator: 'aws4_request', not '%s'. "
                % term)
        if region not in REGIONS:
            raise err_auth("InvalidSignatureException",
                "Credential should be scoped to a valid region. ")
        if service != "cloudtrail":
            raise err_auth("InvalidSignatureException", "Credential should be "
                "scoped to correct service: 'cloudtrail'. ")
        amzdate = h.get("X-Amz-Date")
        if not amzdate:
            raise err_auth("IncompleteSignatureException", "Authorization "
                "header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header. Authorization=" + auth.split(",")[0])
        try:
            t_req = datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise err_auth("IncompleteSignatureException", "Date must be in "
                "ISO-8601 'basic format'. Got '%s'. See "
                "http://en.wikipedia.org/wiki/ISO_8601" % amzdate)
        if date8 != amzdate[:8]:
            raise err_auth("InvalidSignatureException", "Date in Credential "
                "scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '%s' != '%s', from '%s'." % (date8, amzdate[:8],
                    amzdate))
        signed = params["SignedHeaders"].split(";")
        if "host" not in signed:
            raise err_auth("InvalidSignatureException", "'Host' or "
                "':authority' must be a 'SignedHeader' in the AWS "
                "Authorization.")
        with self.lock:
            cred = self.creds.get(akid)
            cred = dict(cred) if cred else None
            skew_past = float(self.config["skew_past"])
            skew_future = float(self.config["skew_future"])
            now = self.now()
        if cred is None:
            raise err_auth("UnrecognizedClientException",
                "The security token included in the request is invalid.")
        token = h.get("X-Amz-Security-Token")
        if (cred.get("session_token") or None) != (token or None):
            raise err_auth("UnrecognizedClientException",
                "The security token included in the request is invalid.")
        if cred.get("expired"):
            raise err_auth("ExpiredTokenException", "The security token "
                "included in the request is expired", ns=CORAL)
        if t_req < now - skew_past:
            raise err_auth("InvalidSignatureException", "Signature expired: "
                "%s is now earlier than %s (%s - %d min.)" % (amzdate,
                    amz(now - skew_past), amz(now), skew_past // 60))
        if t_req > now + skew_future:
            raise err_auth("InvalidSignatureException", "Signature not yet "
                "current: %s is still later than %s (%s + %d min.)" % (
                    amzdate, amz(now + skew_future), amz(now),
                    skew_future // 60))
        if token and "x-amz-security-token" not in signed:
            raise err_bad_signature()
        values = {}
        for name in signed:
            v = h.get_all(name)
            if not v:
                raise err_bad_signature()
            values[name] = v
        sha = h.get("X-Amz-Content-SHA256")
        if sha is not None and sha != hashlib.sha256(body).hexdigest():
            raise err_bad_signature()
        v = _Verifier(Credentials(akid, cred["secret_access_key"], token),
            region, signed, values)
        req = AWSRequest(method=method, url="http://sim" + path, data=body)
        if sha is not None and "x-amz-content-sha256" in signed:
            req.headers["X-Amz-Content-SHA256"] = sha
        req.context["timestamp"] = amzdate
        cr = v.canonical_request(req)
        sig = v.signature(v.string_to_sign(req, cr), req)
        log("canonical request:\n%s", cr)
        if not hmac.compare_digest(sig, params["Signature"]):
            raise err_bad_signature()
        if not cred.get("allowed", True):
            raise ApiError(400, "AccessDeniedException", "User: %s is not "
                "authorized to perform: cloudtrail:LookupEvents because no "
                "identity-based policy allows the cloudtrail:LookupEvents "
                "action" % cred.get("user_arn", "arn:aws:iam::%s:user/%s" % (
                    ACCOUNT, akid)), key="Message",
                header="AccessDeniedException")
        return akid, region

    def token_for(self, qhash, start, end, last):
        payload = dumps({"g": self.generation, "q": qhash, "s": start,
            "e": end, "t": last.t, "i": last.eid}).encode()
        mac = hmac.new(self.token_key, payload, hashlib.sha256).digest()[:16]
        return base64.b64encode(mac + payload).decode()

    def token_parse(self, tok, qhash):
        try:
            raw = base64.b64decode(tok.encode(), validate=True)
            mac, payload = raw[:16], raw[16:]
            good = hmac.new(self.token_key, payload,
                hashlib.sha256).digest()[:16]
            if not hmac.compare_digest(mac, good):
                raise ValueError("bad mac")
            d = json.loads(payload)
        except (ValueError, UnicodeError):
            raise err_ct("InvalidNextTokenException", "Invalid next token.")
        if d.get("g") != self.generation or d.get("q") != qhash:
            raise err_ct("InvalidNextTokenException", "Invalid next token.")
        return d

    def lookup(self, region, body):
        try:
            req = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeError):
            raise ApiError(400, "SerializationException", None)
        if not isinstance(req, dict):
            raise ApiError(400, "SerializationException", None)
        if "EventCategory" in req:
            if req["EventCategory"] != "insight":
                raise err_ct("InvalidEventCategoryException",
                    "Invalid event category.")
            return {"Events": []}, 0
        attrs = req.get("LookupAttributes") or []
        if not isinstance(attrs, list):
            raise ApiError(400, "SerializationException", None)
        if len(attrs) > 1:
            raise err_ct("InvalidLookupAttributesException",
                "Only one lookup attribute is allowed.")
        akey = aval = None
        if attrs:
            a = attrs[0]
            if not isinstance(a, dict):
                raise ApiError(400, "SerializationException", None)
            akey, aval = a.get("AttributeKey"), a.get("AttributeValue")
            if akey not in ATTRIBUTE_KEYS:
                raise ApiError(400, "ValidationException", "1 validation "
                    "error detected: Value '%s' at 'lookupAttributes.1.member"
                    ".attributeKey' failed to satisfy constraint: Member must "
                    "satisfy enum value set: [%s]" % (akey,
                        ", ".join(ATTRIBUTE_KEYS)), header="ValidationException")
            if not isinstance(aval, str) or not aval:
                raise err_ct("InvalidLookupAttributesException",
                    "AttributeValue must be a non-empty string.")
        try:
            start_raw = parse_time_value(req["StartTime"]) \
                if req.get("StartTime") is not None else None
            end_raw = parse_time_value(req["EndTime"]) \
                if req.get("EndTime") is not None else None
        except (ValueError, OverflowError):
            raise ApiError(400, "SerializationException", "Invalid timestamp")
        mr = req.get("MaxResults", 50)
        if isinstance(mr, bool) or not isinstance(mr, int):
            raise ApiError(400, "SerializationException", None)
        if not 1 <= mr <= 50:
            raise err_ct("InvalidMaxResultsException",
                "MaxResults must be between 1 and 50.")
        tok = req.get("NextToken")
        if tok is not None and not isinstance(tok, str):
            raise ApiError(400, "SerializationException", None)
        qhash = hashlib.sha256(dumps([region, akey, aval, start_raw,
            end_raw]).encode()).hexdigest()[:24]
        with self.lock:
            now = self.now()
            pos = None
            if tok:
                d = self.token_parse(tok, qhash)
                start, end, pos = d["s"], d["e"], (d["t"], d["i"])
            else:
                end = now if end_raw is None else end_raw
                start = now - RETENTION if start_raw is None else start_raw
                if start > end:
                    raise err_ct("InvalidTimeRangeException",
                        "Start time must be before end time.", ns=CT_NS)
            floor = max(start, now - RETENTION)
            limit = min(mr, int(self.config["page_size_max"]))
            page, more = self.walk(region, akey, aval, floor, end, pos, now,
                limit)
            body = '{"Events":[' + ",".join(e.entry for e in page) + "]"
            if more:
                body += ',"NextToken":' + dumps(self.token_for(qhash, start,
                    end, page[-1]))
            return body + "}", len(page)

    def walk(self, region, akey, aval, floor, end, pos, now, limit):
        r = self.regions.get(region)
        if r is None:
            return [], False
        if akey == "EventSource":
            lst = r.by_source.get(aval)
            if lst is None:
                return [], False
            akey = None
        else:
            lst = r.all
        keys, evs = lst.keys, lst.events
        if pos is not None:
            hi = bisect.bisect_left(keys, tuple(pos))
        else:
            hi = bisect.bisect_right(keys, (end, "\U0010ffff"))
        out = []
        i = hi - 1
        while i >= 0:
            e = evs[i]
            if e.t < floor:
                break
            if e.t <= end and e.visible <= now and e.matches(akey, aval):
                if len(out) == limit:
                    return out, True
                out.append(e)
            i -= 1
        return out, False


# ---------------------------------------------------------------- faults

def fault_response(f, region):
    kind = f["kind"]
    if kind == "throttle":
        return error_response(err_throttle())
    if kind == "status":
        st = int(f.get("status", 500))
        typ, msg = {503: ("ServiceUnavailableException",
            "Service unavailable")}.get(st, ("InternalFailure",
                "An internal error occurred."))
        if "body" in f:
            r = Response(st, f["body"].encode(), ctype=f.get(
                "content_type", "text/html"))
            return r
        e = ApiError(st, f.get("__type", typ), f.get("message", msg),
            header=f.get("__type", typ))
        return error_response(e)
    if kind == "error":
        e = ApiError(int(f.get("status", 400)), f.get("__type",
            "InternalFailure"), f.get("message"), key=f.get("message_key",
            "message"), header=f.get("__type") if f.get("header", True)
            else None)
        return error_response(e)
    if kind == "malformed":
        return Response(200, b'{"Events": [ {"EventId": "0b1c2d3e-1111-'
            b'4aaa-8bbb-00000000000", "EventTime": 17@@@ <html> garbage }}]]'
            b' \x00 not json')
    if kind == "wrong_types":
        return Response(200, wrong_types_body(f.get("variant",
            WRONG_TYPES[0]), region))
    if kind == "huge":
        return Response(200, huge_body(int(f.get("bytes", 20 << 20)),
            region))
    raise AssertionError(kind)


def synthetic_entry(region, event_id, record_extra=None):
    rec = {"eventVersion": "1.09", "userIdentity": {"type": "IAMUser",
        "principalId": "AIDAEXAMPLEUSERID0009",
        "arn": "arn:aws:iam::%s:user/synthetic" % ACCOUNT,
        "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEEXAMPLE09",
        "userName": "synthetic"}, "eventTime": "2026-11-24T06:00:00Z",
        "eventSource": "bedrock.amazonaws.com", "eventName": "InvokeModel",
        "awsRegion": region, "requestParameters": {
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0"},
        "responseElements": None, "eventID": event_id, "readOnly": True,
        "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT}
    if record_extra:
        rec["requestParameters"].update(record_extra)
    return {"EventId": event_id, "EventName": "InvokeModel",
        "ReadOnly": "true", "AccessKeyId": "AKIAEXAMPLEEXAMPLE09",
        "EventTime": parse_iso(rec["eventTime"]),
        "EventSource": "bedrock.amazonaws.com", "Username": "synthetic",
        "Resources": [], "CloudTrailEvent": dumps(rec)}


def wrong_types_body(variant, region):
    ent = synthetic_entry(region, "0b1c2d3e-0000-4000-8000-0000000000aa")
    if variant == "events_not_list":
        return b'{"Events":"not a list"}'
    if variant == "top_level_list":
        return dumps([ent]).encode()
    if variant == "events_missing":
        return b'{"Something":[]}'
    if variant == "next_token_number":
        return dumps({"Events": [ent], "NextToken": 12345}).encode()
    if variant == "event_time_string":
        ent["EventTime"] = "2026-11-24T06:00:00Z"
    elif variant == "cloudtrail_event_object":
        ent["CloudTrailEvent"] = json.loads(ent["CloudTrailEvent"])
    elif variant == "cloudtrail_event_not_json":
        ent["CloudTrailEvent"] = "{not json"
    return dumps({"Events": [ent]}).encode()


def huge_body(size, region):
    ent = synthetic_entry(region, "0b1c2d3e-0000-4000-8000-0000000000bb",
        {"body": "@@PAD@@"})
    text = dumps({"Events": [ent]})
    pad = max(0, size - (len(text) - len("@@PAD@@")))
    return text.replace("@@PAD@@", "x" * pad).encode()


# ---------------------------------------------------------------- HTTP

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
        st = {"t": time.monotonic(), "sim_time": sim.now(), "method": method,
            "path": self.path, "target": self.headers.get("X-Amz-Target"),
            "region": None, "access_key_id": None, "status": None,
            "error": None, "fault": None, "events": None, "params": None}
        akid, region = scope_of(self.headers.get("Authorization"))
        st["region"], st["access_key_id"] = region, akid
        try:
            st["params"] = json.loads(body) if body else None
        except ValueError:
            pass
        f = None
        if st["target"] == LOOKUP_EVENTS and method == "POST":
            f = sim.take_fault(region, akid)
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
                r = fault_response(f, region)
            else:
                r = self.process(method, body, st)
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

    def process(self, method, body, st):
        sim = self.sim
        try:
            akid, region = sim.authenticate(self.headers, method, self.path,
                body)
            target = self.headers.get("X-Amz-Target")
            if target != LOOKUP_EVENTS:
                raise ApiError(400, CORAL + "UnknownOperationException",
                    None, header="UnknownOperationException:"
                    "http://internal.amazon.com/coral/com.amazon.coral.service/")
            if not sim.admit(akid, region):
                raise err_throttle()
            ctype = (self.headers.get("Content-Type") or "").split(";")[0]
            if ctype.strip().lower() != JSON11:
                raise ApiError(400, "SerializationException", "Content-Type "
                    "must be %s" % JSON11, header="SerializationException")
            text, n = sim.lookup(region, body)
            st["events"] = n
            return Response(200, text.encode() if isinstance(text, str)
                else dumps(text).encode())
        except ApiError as e:
            return error_response(e)

    # ---- control API

    def control(self, method, path, query, body):
        sim = self.sim
        req = json.loads(body) if body.strip() else {}
        if not isinstance(req, dict):
            raise ValueError("request body must be a JSON object")
        ok = {"ok": True}
        if (method, path) == ("POST", "/_sim/reset"):
            sim.reset()
            return self.send_json(200, ok)
        if path == "/_sim/config":
            if method == "POST":
                with sim.lock:
                    for k, v in req.items():
                        if k not in DEFAULT_CONFIG:
                            raise ValueError("unknown config key %s" % k)
                        sim.config[k] = type(DEFAULT_CONFIG[k])(v)
            return self.send_json(200, sim.config)
        if path == "/_sim/clock":
            if method == "POST":
                with sim.lock:
                    if "now" in req:
                        sim.offset = float(req["now"]) - time.time()
                    if "advance" in req:
                        sim.offset += float(req["advance"])
            return self.send_json(200, {"now": sim.now()})
        if path == "/_sim/events" and method == "GET":
            q = {k: v[0] for k, v in query.items()}
            return self.send_json(200, {"events": sim.list_events(
                q.get("region"), q.get("source"),
                q.get("full") in ("1", "true"))})
        if (method, path) == ("POST", "/_sim/events"):
            return self.send_json(200, self.add_events(req))
        if (method, path) == ("POST", "/_sim/generate"):
            keys = ("region", "start", "end", "count", "seed", "markers",
                "other_sources", "delay_max", "delay_min", "event_source")
            for k in req:
                if k not in keys:
                    raise ValueError("unknown generate key %s" % k)
            return self.send_json(200, sim.generate(**req))
        if path == "/_sim/faults":
            if method == "POST":
                sim.add_faults(req.get("faults", []))
            elif method == "DELETE":
                with sim.lock:
                    sim.faults = []
            with sim.lock:
                return self.send_json(200, {"faults": list(sim.faults)})
        if path == "/_sim/credentials":
            if method == "POST":
                c = {"access_key_id": req["access_key_id"],
                    "secret_access_key": req["secret_access_key"],
                    "session_token": req.get("session_token"),
                    "allowed": bool(req.get("allowed", True)),
                    "expired": bool(req.get("expired", False)),
                    "user_arn": req.get("user_arn",
                        "arn:aws:iam::%s:user/%s" % (ACCOUNT,
                            req["access_key_id"]))}
                with sim.lock:
                    sim.creds[c["access_key_id"]] = c
            elif method == "DELETE":
                with sim.lock:
                    sim.creds.pop(req["access_key_id"], None)
            with sim.lock:
                return self.send_json(200, {"credentials": sorted(sim.creds)})
        if (method, path) == ("GET", "/_sim/stats"):
            with sim.lock:
                return self.send_json(200, {"requests": [{k: v for k, v in q.items()
                    if k != "_counted"} for q in sim.stats]})
        if (method, path) == ("POST", "/_sim/stats/reset"):
            with sim.lock:
                sim.stats.clear()
                sim.windows.clear()
            return self.send_json(200, ok)
        if (method, path) == ("GET", "/_sim/ping"):
            return self.send_json(200, ok)
        return self.send_json(404, {"error": "no such control endpoint %s %s"
            % (method, path)})

    def add_events(self, req):
        region = req.get("region", "us-east-1")
        delay = float(req.get("delay", 0))
        recs = []
        for ev in req.get("events", []):
            ev = dict(ev)
            d = float(ev.pop("_delay", delay))
            if isinstance(ev.get("eventTime"), (int, float)):
                ev["eventTime"] = iso(ev["eventTime"])
            if "eventTime" not in ev:
                ev["eventTime"] = iso(self.sim.now())
            ev.setdefault("eventID", str(uuid.uuid4()))
            ev.setdefault("eventSource", "bedrock.amazonaws.com")
            ev.setdefault("awsRegion", region)
            parse_iso(ev["eventTime"])
            recs.append((ev, d))
        evs = self.sim.add_records(region, recs)
        return {"added": len(evs), "eventIDs": [e.eid for e in evs]}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        if VERBOSE:
            super().handle_error(request, client_address)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--demo-hours", type=float, default=24)
    ap.add_argument("--demo-region", action="append")
    ap.add_argument("--demo-events", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    VERBOSE = a.verbose

    sim = Sim(a.seed)
    if a.demo_events:
        regions = [r for v in (a.demo_region or ["us-east-1"])
            for r in v.split(",") if r]
        now = sim.now()
        for r in regions:
            sim.generate(region=r, start=now - a.demo_hours * 3600, end=now,
                count=a.demo_events, other_sources=True)
    srv = Server((a.host, a.port), Handler)
    srv.sim = sim
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
            do_handshake_on_connect=False)
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    log("listening on %s:%d%s", a.host, port, " (TLS)" if a.tls_cert else "")
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
