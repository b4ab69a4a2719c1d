"""Fault answers for STS, Organizations, IMDS and the container endpoint.

(CloudTrail's are in cloudtrail_sim.py.) A fault that answers at once
comes here; `slow`, `truncated` and `drop_mid_body` wrap the real answer
and the drops close the connection, in sim_http.
"""

from sim_common import Response, dumps
import sim_sts

FAKE = {"access_key_id": "ASIAFAKEFAKEFAKEFAKE",
    "secret_access_key": "fake/Secret/Key/0123456789abcdefEXAMPLE",
    "session_token": "FakeSessionToken//lookalike+token=",
    "expires": 1800000000}

HTML = (b'<?xml version="1.0" encoding="iso-8859-1"?>\n'
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
    b'\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
    b' <head>\n  <title>Captive portal</title>\n </head>\n <body>\n'
    b'  <h1>Please sign in to the hotel network</h1>\n </body>\n</html>\n')

MALFORMED_XML = (b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/'
    b'2011-06-15/">\n  <AssumeRoleResult>\n    <Credentials>\n      '
    b'<AccessKeyId>ASIA<<broken</SecretAccessKey>\n  </Credentials'
    b' \x00 & not xml')
MALFORMED_JSON = b'{"AccessKeyId": "ASIA, "Token": [}} \x00 not json'


def pad_to(text, marker, size):
    pad = max(0, size - (len(text) - len(marker)))
    return text.replace(marker, " " * pad).encode()


def sts_credentials_doc(inner_prefix=""):
    _, user_xml = sim_sts.assumed_xml({"account": "123456789012",
        "name": "lookalike", "arn":
        "arn:aws:iam::123456789012:role/lookalike"}, "s")
    return sim_sts.document("AssumeRole", inner_prefix + user_xml +
        sim_sts.credentials_xml(FAKE)).decode()


def sts_entities(variant):
    if variant == "external":
        dtd = ('<!DOCTYPE AssumeRoleResponse [\n  <!ENTITY xxe SYSTEM '
            '"file:///etc/passwd">\n]>\n')
        ref = "&xxe;"
    else:
        dtd = '<!DOCTYPE AssumeRoleResponse [\n  <!ENTITY a0 "ASIALAUGH">\n'
        for i in range(1, 10):
            dtd += '  <!ENTITY a%d "%s">\n' % (i, ("&a%d;" % (i - 1)) * 10)
        dtd += "]>\n"
        ref = "&a9;"
    doc = sts_credentials_doc().replace("<AccessKeyId>%s" %
        FAKE["access_key_id"], "<AccessKeyId>" + ref)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + dtd + doc).encode()


def sts_fault(f):
    kind = f["kind"]
    if kind == "status":
        st = int(f.get("status", 500))
        if "body" in f:
            return Response(st, f["body"].encode(), ctype=f.get(
                "content_type", "text/html"))
        code, msg = {503: ("ServiceUnavailable", "Service is unable to "
            "handle request.")}.get(st, ("InternalFailure", "An internal "
                "error occurred."))
        return err(sim_sts.StsError(st, f.get("code", code), f.get(
            "message", msg), "Receiver"))
    if kind == "throttle":
        return err(sim_sts.StsError(400, "Throttling", "Rate exceeded"))
    if kind == "error":
        return err(sim_sts.StsError(int(f.get("status", 400)), f.get("code",
            "InternalFailure"), f.get("message", "")))
    if kind in ("malformed", "wrong_types"):
        return Response(200, MALFORMED_XML, ctype="text/xml")
    if kind == "html":
        return Response(200, HTML, ctype="text/html")
    if kind == "huge":
        doc = sts_credentials_doc("@@PAD@@\n")
        return Response(200, pad_to(doc, "@@PAD@@", int(f.get("bytes",
            1 << 20))), ctype="text/xml")
    if kind == "lookalike":
        inner = ("<Credentials><AccessKeyId>%s</AccessKeyId>"
            "<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s"
            "</SessionToken><Expiration>2027-01-01T00:00:00Z</Expiration>"
            "</Credentials>" % (FAKE["access_key_id"],
                FAKE["secret_access_key"], FAKE["session_token"]))
        st = int(f.get("status", 403))
        r = Response(st, sim_sts.error_doc("AccessDenied", "User: "
            "arn:aws:iam::123456789012:user/x is not authorized to perform: "
            "sts:AssumeRole ", inner=inner), ctype="text/xml")
        r.error = "AccessDenied"
        return r
    if kind == "entities":
        return Response(200, sts_entities(f.get("variant", "laughs")),
            ctype="text/xml")
    raise ValueError("fault %s does not apply to sts" % kind)


def err(e):
    return sim_sts.error_response(e)


def json_fault(f, service):
    """Organizations (JSON 1.1) and the container endpoint (JSON)."""
    kind = f["kind"]
    ctype = "application/x-amz-json-1.1" if service == "organizations" \
        else "application/json"
    if kind == "status":
        st = int(f.get("status", 500))
        if "body" in f:
            return Response(st, f["body"].encode(), ctype=f.get(
                "content_type", "text/html"))
        typ = {503: "ServiceException"}.get(st, "ServiceException")
        return json_error(st, f.get("__type", typ), f.get("message",
            "AWS Organizations can't complete your request because of an "
            "internal service error. Try again later." if service ==
            "organizations" else "internal error"), ctype)
    if kind == "throttle":
        if service == "organizations":
            return json_error(400, "TooManyRequestsException", "You have "
                "sent too many requests in too short a period of time. The "
                "quota helps protect against denial-of-service attacks. Try "
                "again later.", ctype, {"Type": "AWSOrganizations"})
        return json_error(429, "TooManyRequests", "Rate exceeded", ctype)
    if kind == "error":
        return json_error(int(f.get("status", 400)), f.get("__type",
            "ServiceException"), f.get("message"), ctype)
    if kind in ("malformed", "wrong_types", "entities", "lookalike"):
        return Response(200, MALFORMED_JSON, ctype=ctype)
    if kind == "html":
        return Response(200, HTML, ctype="text/html")
    if kind == "huge":
        body = {"Accounts": [], "Pad": "@@PAD@@"} if service == \
            "organizations" else {"AccessKeyId": FAKE["access_key_id"],
            "SecretAccessKey": FAKE["secret_access_key"], "Token":
            FAKE["session_token"], "Expiration": "2027-01-01T00:00:00Z",
            "RoleArn": "@@PAD@@"}
        return Response(200, pad_to(dumps(body), "@@PAD@@", int(f.get(
            "bytes", 1 << 20))), ctype=ctype)
    raise ValueError("fault %s does not apply to %s" % (kind, service))


def json_error(status, typ, message, ctype, extra=None):
    b = {"__type": typ}
    if message is not None:
        b["Message"] = message
    b.update(extra or {})
    r = Response(status, dumps(b).encode(), {"x-amzn-ErrorType": typ},
        ctype=ctype)
    r.error = typ
    return r


def imds_fault(f):
    kind = f["kind"]
    if kind == "status":
        st = int(f.get("status", 500))
        return Response(st, f.get("body", "").encode() or HTML,
            ctype=f.get("content_type", "text/html"))
    if kind == "throttle":
        return Response(429, b"", ctype="text/plain")
    if kind == "error":
        return Response(int(f.get("status", 400)), f.get("message",
            "").encode(), ctype="text/plain")
    if kind == "html":
        return Response(200, HTML, ctype="text/html")
    if kind in ("malformed", "wrong_types", "entities", "lookalike"):
        return Response(200, MALFORMED_JSON, ctype="text/plain")
    if kind == "huge":
        body = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId":
            FAKE["access_key_id"], "SecretAccessKey":
            FAKE["secret_access_key"], "Token": "@@PAD@@", "Expiration":
            "2027-01-01T00:00:00Z"}
        return Response(200, pad_to(dumps(body), "@@PAD@@", int(f.get(
            "bytes", 1 << 20))), ctype="text/plain")
    raise ValueError("fault %s does not apply to imds" % kind)
