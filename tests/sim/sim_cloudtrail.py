"""CloudTrail LookupEvents: the signer's account's events in the scope's
region, newest first, in pages bound to their query by an HMAC'd token;
and CloudTrail's own faults.
"""

import base64
import bisect
import hashlib
import hmac
import json

from sim_common import (ACCOUNT, ApiError, CORAL, JSON11, Response, dumps,
    err_ct, err_throttle, error_response, parse_iso, parse_time_value)

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
LOOKUP_EVENTS = TARGET_PREFIX + "LookupEvents"
RETENTION = 90 * 86400
CT_NS = "com.amazonaws.cloudtrail.v20131101#"
WRONG_TYPES = ("events_not_list", "event_time_string",
    "cloudtrail_event_object", "cloudtrail_event_not_json",
    "next_token_number", "top_level_list", "events_missing")

ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username",
    "ResourceType", "ResourceName", "EventSource", "AccessKeyId")

# The account of the built-in keys, and of events and requests that name


# ---------------------------------------------------------------- lookup

def token_for(sim, qhash, start, end, last):
    payload = dumps({"g": sim.generation, "q": qhash, "s": start,
        "e": end, "t": last.t, "i": last.eid}).encode()
    mac = hmac.new(sim.token_key, payload, hashlib.sha256).digest()[:16]
    return base64.b64encode(mac + payload).decode()

def token_parse(sim, tok, qhash):
    try:
        raw = base64.b64decode(tok.encode(), validate=True)
        mac, payload = raw[:16], raw[16:]
        good = hmac.new(sim.token_key, payload,
            hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, good):
            raise ValueError("bad mac")
        d = json.loads(payload)
    except (ValueError, UnicodeError):
        raise err_ct("InvalidNextTokenException", "Invalid next token.")
    if d.get("g") != sim.generation or d.get("q") != qhash:
        raise err_ct("InvalidNextTokenException", "Invalid next token.")
    return d

def lookup(sim, account, region, body):
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
        return {"Events": []}, 0, 0
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
    qhash = hashlib.sha256(dumps([account, region, akey, aval, start_raw,
        end_raw]).encode()).hexdigest()[:24]
    with sim.lock:
        now = sim.now()
        pos = None
        if tok:
            d = token_parse(sim, tok, qhash)
            start, end, pos = d["s"], d["e"], (d["t"], d["i"])
        else:
            end = now if end_raw is None else end_raw
            start = now - RETENTION if start_raw is None else start_raw
            if start > end:
                raise err_ct("InvalidTimeRangeException",
                    "Start time must be before end time.", ns=CT_NS)
        floor = max(start, now - RETENTION)
        limit = min(mr, int(sim.config["page_size_max"]))
        page, more, scanned = walk(sim, account, region, akey, aval,
            floor, end, pos, now, limit)
        body = '{"Events":[' + ",".join(e.entry for e in page) + "]"
        if more:
            body += ',"NextToken":' + dumps(token_for(sim, qhash, start,
                end, page[-1]))
        return body + "}", len(page), scanned

def walk(sim, account, region, akey, aval, floor, end, pos, now, limit):
    """One page from the (account, region)'s index: (events, more,
    number of stored events looked at)."""
    r = sim.regions.get((account, region))
    if r is None:
        return [], False, 0
    if akey == "EventSource":
        lst = r.by_source.get(aval)
        if lst is None:
            return [], False, 0
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
                return out, True, hi - i
            out.append(e)
        i -= 1
    return out, False, hi - i - 1


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


# ---------------------------------------------------------------- service

def json_params(body):
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def access_denied_lookup(cred):
    return ApiError(400, "AccessDeniedException", "User: %s is not "
        "authorized to perform: cloudtrail:LookupEvents because no "
        "identity-based policy allows the cloudtrail:LookupEvents action" %
        cred["user_arn"], key="Message", header="AccessDeniedException")


class CloudTrail:
    """LookupEvents: the signer's account's events in the scope's region."""

    @staticmethod
    def action_of(h, u, body):
        t = h.headers.get("X-Amz-Target") or ""
        return t[len(TARGET_PREFIX):] if t.startswith(TARGET_PREFIX) else t

    @staticmethod
    def params_of(h, u, body):
        return json_params(body)

    @staticmethod
    def faultable(h, method, st):
        return st["target"] == LOOKUP_EVENTS and method == "POST"

    @staticmethod
    def fault_response(f, region):
        return fault_response(f, region)

    @staticmethod
    def handle(h, method, body, st):
        sim = h.sim
        try:
            cred, region = sim.authenticate(h.headers, method, h.path, body)
            if not cred.get("allowed", True):
                raise access_denied_lookup(cred)
            target = h.headers.get("X-Amz-Target")
            if target != LOOKUP_EVENTS:
                raise ApiError(400, CORAL + "UnknownOperationException",
                    None, header="UnknownOperationException:"
                    "http://internal.amazon.com/coral/com.amazon.coral.service/")
            if not sim.admit(("cloudtrail", cred["account"], region)):
                raise err_throttle()
            ctype = (h.headers.get("Content-Type") or "").split(";")[0]
            if ctype.strip().lower() != JSON11:
                raise ApiError(400, "SerializationException", "Content-Type "
                    "must be %s" % JSON11, header="SerializationException")
            text, n, scanned = lookup(sim, cred["account"], region, body)
            st["events"], st["scanned"] = n, scanned
            return Response(200, text.encode() if isinstance(text, str)
                else dumps(text).encode())
        except ApiError as e:
            return error_response(e)
