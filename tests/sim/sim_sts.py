"""STS (Query protocol, XML answers): AssumeRole, AssumeRoleWithWebIdentity,
GetCallerIdentity, with AWS's own documents and error texts.

Requests are form-encoded POSTs (or GETs with the same query); signed ones
are verified by the simulator's botocore SigV4 (service sts, any valid
region). AssumeRoleWithWebIdentity is unsigned.
"""

import hashlib
import re
import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from sim_common import ApiError, Response, iso

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
XML = "text/xml"
ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity")
SESSION_RE = re.compile(r"[\w+=,.@-]*\Z")
EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]*\Z")

# The simulator's authentication errors (CloudTrail's JSON names) as STS
# words them: (code, HTTP status, message or None to keep it).
AUTH_ERRORS = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken",
        403, "Request is missing Authentication Token"),
    "IncompleteSignatureException": ("IncompleteSignature", 400, None),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403, None),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403, None),
    "ExpiredTokenException": ("ExpiredToken", 400, None),
}


class StsError(Exception):
    def __init__(self, status, code, message, typ="Sender"):
        super().__init__(message)
        self.status, self.code, self.message, self.typ = (status, code,
            message, typ)


def error_doc(code, message, typ="Sender", inner=""):
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
        '    <Code>%s</Code>\n    <Message>%s%s</Message>\n  </Error>\n'
        '  <RequestId>%s</RequestId>\n</ErrorResponse>\n' % (NS, typ, code,
            escape(message), inner, uuid.uuid4())).encode()


def error_response(e):
    r = Response(e.status, error_doc(e.code, e.message, e.typ), ctype=XML)
    r.error = e.code
    return r


def validation(errors):
    """AWS's "N validation error(s) detected: ...; ..." message."""
    n = len(errors)
    return StsError(400, "ValidationError", "%d validation error%s "
        "detected: %s" % (n, "" if n == 1 else "s", "; ".join(errors)))


def constraint(value, field, text):
    shown = "null" if value is None else "'%s'" % value
    return "Value %s at '%s' failed to satisfy constraint: Member must %s" % (
        shown, field, text)


def check_string(errors, value, field, lo, hi, pattern=None, pat_text=None,
        required=True):
    if value is None:
        if required:
            errors.append(constraint(None, field, "not be null"))
        return
    if len(value) < lo:
        errors.append(constraint(value, field, "have length greater than "
            "or equal to %d" % lo))
    elif len(value) > hi:
        errors.append(constraint(value, field, "have length less than or "
            "equal to %d" % hi))
    if pattern is not None and not pattern.match(value):
        errors.append(constraint(value, field, "satisfy regular expression "
            "pattern: " + pat_text))


def check_duration(errors, raw):
    if raw is None:
        return 3600
    try:
        d = int(raw)
    except ValueError:
        raise StsError(400, "MalformedInput", "Invalid value for "
            "DurationSeconds: " + raw)
    if d < 900:
        errors.append(constraint(d, "durationSeconds", "have value greater "
            "than or equal to 900"))
    elif d > 43200:
        errors.append(constraint(d, "durationSeconds", "have value less "
            "than or equal to 43200"))
    return d


def check_common(p, errors):
    check_string(errors, p.get("RoleArn"), "roleArn", 20, 2048)
    check_string(errors, p.get("RoleSessionName"), "roleSessionName", 2, 64,
        SESSION_RE, r"[\w+=,.@-]*")
    return check_duration(errors, p.get("DurationSeconds"))


def role_id(arn):
    h = hashlib.sha256(arn.encode()).hexdigest().upper()
    return "AROA" + "".join(c if c.isalpha() else "QRSTUVWXYZ"[int(c)]
        for c in h[:17])


def user_id(cred):
    arn = cred["user_arn"]
    if ":assumed-role/" in arn:
        return "%s:%s" % (role_id(cred.get("role_arn") or arn),
            arn.rsplit("/", 1)[-1])
    h = hashlib.sha256(arn.encode()).hexdigest().upper()
    return "AIDA" + "".join(c if c.isalpha() else "ABCDEFGHIJ"[int(c)]
        for c in h[:17])


def trusts(role, cred):
    """Does the role's trust policy name this caller (account id, the
    caller's ARN, the role behind an assumed-role session, or the
    account's root)?"""
    if role["trusted"] is None:
        return True
    names = {cred["account"], cred["user_arn"],
        "arn:aws:iam::%s:root" % cred["account"]}
    if cred.get("role_arn"):
        names.add(cred["role_arn"])
    return bool(names & set(role["trusted"]))


def denied(cred, role_arn):
    return StsError(403, "AccessDenied", "User: %s is not authorized to "
        "perform: sts:AssumeRole on resource: %s" % (cred["user_arn"],
            role_arn))


def credentials_xml(c, order=("AccessKeyId", "SecretAccessKey",
        "SessionToken", "Expiration")):
    """AssumeRole's order; AWS's AssumeRoleWithWebIdentity example has
    another (WEB_ORDER): a reader must not depend on it."""
    v = {"AccessKeyId": c["access_key_id"], "SecretAccessKey":
        escape(c["secret_access_key"]), "SessionToken":
        escape(c["session_token"]), "Expiration": iso(c["expires"])}
    return "    <Credentials>\n" + "".join("      <%s>%s</%s>\n" % (k, v[k],
        k) for k in order) + "    </Credentials>\n"


WEB_ORDER = ("SessionToken", "SecretAccessKey", "Expiration", "AccessKeyId")


def assumed_xml(role, session):
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (role["account"],
        role["name"], session)
    return arn, ("    <AssumedRoleUser>\n      <Arn>%s</Arn>\n"
        "      <AssumedRoleId>%s:%s</AssumedRoleId>\n    </AssumedRoleUser>\n"
        % (escape(arn), role_id(role["arn"]), escape(session)))


def document(action, result):
    return ('<%sResponse xmlns="%s">\n  <%sResult>\n%s  </%sResult>\n'
        '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
        '  </ResponseMetadata>\n</%sResponse>\n' % (action, NS, action,
            result, action, uuid.uuid4(), action)).encode()


def issue(sim, role, session, duration, source):
    arn, user_xml = assumed_xml(role, session)
    c = sim.issue(role["account"], arn, role["allowed"], duration,
        role["arn"], source)
    return c, user_xml


def assume_role(sim, cred, p, st):
    errors = []
    duration = check_common(p, errors)
    ext = p.get("ExternalId")
    check_string(errors, ext, "externalId", 2, 1224, EXTERNAL_ID_RE,
        r"[\w+=,.@:\/-]*", required=False)
    if errors:
        raise validation(errors)
    arn = p["RoleArn"]
    st["role_arn"], st["external_id"] = arn, ext
    with sim.lock:
        role = sim.roles.get(arn)
    if role is None or not trusts(role, cred):
        raise denied(cred, arn)
    if role["external_id"] is not None and ext != role["external_id"]:
        raise denied(cred, arn)
    if "DurationSeconds" in p:
        if cred.get("role_arn") and duration > 3600:
            raise StsError(400, "ValidationError", "The requested "
                "DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining.")
        if duration > role["max_duration"]:
            raise StsError(400, "ValidationError", "The requested "
                "DurationSeconds exceeds the MaxSessionDuration set for this "
                "role.")
    c, user_xml = issue(sim, role, p["RoleSessionName"], duration, "sts")
    return document("AssumeRole", user_xml + credentials_xml(c) +
        "    <PackedPolicySize>0</PackedPolicySize>\n")


def web_identity(sim, p, st):
    errors = []
    duration = check_common(p, errors)
    tok = p.get("WebIdentityToken")
    check_string(errors, tok, "webIdentityToken", 4, 20000)
    if errors:
        raise validation(errors)
    arn = p["RoleArn"]
    st["role_arn"] = arn
    with sim.lock:
        reg = sim.web_tokens.get(tok)
        role = sim.roles.get(arn)
        now = sim.now()
    if reg is None:
        raise StsError(400, "InvalidIdentityToken", "Couldn't retrieve "
            "verification key from your identity provider,  please "
            "reference AssumeRoleWithWebIdentity documentation for "
            "requirements")
    st["caller"] = "web-identity:" + reg["subject"]
    if reg["expired"]:
        raise StsError(400, "ExpiredTokenException", "Token expired: current "
            "date/time %d must be before the expiration date/time%d" % (
                now, now - 60))
    if role is None or not role["web_identity"]:
        raise StsError(403, "AccessDenied", "Not authorized to perform "
            "sts:AssumeRoleWithWebIdentity")
    if "DurationSeconds" in p and duration > role["max_duration"]:
        raise StsError(400, "ValidationError", "The requested "
            "DurationSeconds exceeds the MaxSessionDuration set for this "
            "role.")
    st["account"] = role["account"]
    c, user_xml = issue(sim, role, p["RoleSessionName"], duration,
        "web_identity")
    head = ("    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>"
        "\n    <Audience>%s</Audience>\n" % (escape(reg["subject"]),
            escape(reg["audience"])))
    tail = "    <Provider>%s</Provider>\n" % escape(reg["provider"])
    return document("AssumeRoleWithWebIdentity", head + user_xml +
        credentials_xml(c, WEB_ORDER) + tail)


def caller_identity(cred):
    return document("GetCallerIdentity", "    <Arn>%s</Arn>\n"
        "    <UserId>%s</UserId>\n    <Account>%s</Account>\n" % (
            escape(cred["user_arn"]), user_id(cred), cred["account"]))


def form(h, u, body):
    """The Query parameters (POST form body, else the URL's query)."""
    try:
        text = body.decode("utf-8") if body else u.query
        return {k: v[0] for k, v in parse_qs(text,
            keep_blank_values=True).items()}
    except UnicodeError:
        return {}


class Sts:
    @staticmethod
    def action_of(h, u, body):
        return form(h, u, body).get("Action")

    @staticmethod
    def params_of(h, u, body):
        return form(h, u, body)

    @staticmethod
    def faultable(h, method, st):
        return True

    @staticmethod
    def fault_response(f, region):
        import sim_faults
        return sim_faults.sts_fault(f)

    @staticmethod
    def handle(h, method, body, st):
        try:
            return Sts.process(h, method, body, st)
        except StsError as e:
            return error_response(e)

    @staticmethod
    def process(h, method, body, st):
        sim = h.sim
        p = dict(st["params"] or {})
        action = p.get("Action")
        if action not in ACTIONS or p.get("Version") != VERSION:
            raise StsError(400, "InvalidAction", "Could not find operation "
                "%s for version %s" % (action, p.get("Version")))
        if action == "AssumeRoleWithWebIdentity":
            return Response(200, web_identity(sim, p, st), ctype=XML)
        try:
            cred, region = sim.authenticate(h.headers, method, h.path, body,
                service="sts")
        except ApiError as e:
            code, status, msg = AUTH_ERRORS.get(e.name, (e.name, 400, None))
            raise StsError(status, code, msg or e.message)
        st["account"], st["caller"] = cred["account"], cred["user_arn"]
        if action == "GetCallerIdentity":
            return Response(200, caller_identity(cred), ctype=XML)
        return Response(200, assume_role(sim, cred, p, st), ctype=XML)
