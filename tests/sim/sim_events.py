"""The simulator's event store and its generator of realistic records."""

import bisect
import json
import uuid

from sim_common import dumps, iso, parse_iso

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

    def copy(self, old_account, account, eid):
        """This event in another account, under another eventID."""
        c = Event.__new__(Event)
        for k in ("t", "visible", "source", "name", "readonly", "username",
                "akid", "resources"):
            setattr(c, k, getattr(self, k))
        c.eid = eid
        c.key = (c.t, eid)
        c.entry = self.entry.replace(self.eid, eid).replace(old_account,
            account)
        return c

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


def principals(rng, account):
    """A small fixed cast of callers, so distinct principals stay few."""
    def akid(prefix):
        return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
            for _ in range(16))
    cast = []
    for name in ("svc-chatbot", "alice", "data-pipeline", "leaked-key-user"):
        cast.append({"type": "IAMUser",
            "principalId": "AIDA" + akid("")[:17],
            "arn": "arn:aws:iam::%s:user/%s" % (account, name),
            "accountId": account, "accessKeyId": akid("AKIA"),
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
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role,
                session),
            "accountId": account, "accessKeyId": akid("ASIA"),
            "sessionContext": {"sessionIssuer": {"type": "Role",
                "principalId": rolepid,
                "arn": "arn:aws:iam::%s:role/%s" % (account, role),
                "accountId": account, "userName": role},
                "attributes": {"creationDate": "2026-01-01T00:00:00Z",
                    "mfaAuthenticated": "false"}}})
    cast.append({"type": "Root", "principalId": account,
        "arn": "arn:aws:iam::%s:root" % account, "accountId": account,
        "accessKeyId": akid("ASIA"),
        "sessionContext": {"attributes": {
            "creationDate": "2026-01-01T02:00:00Z",
            "mfaAuthenticated": "true"}}})
    for name in ("bob", "carol"):
        cast.append({"type": "FederatedUser",
            "principalId": "%s:%s" % (account, name),
            "arn": "arn:aws:sts::%s:federated-user/%s" % (account, name),
            "accountId": account, "accessKeyId": akid("ASIA"),
            "sessionContext": {"sessionIssuer": {"type": "IAMUser",
                "principalId": "AIDAEXAMPLEUSERID0006",
                "arn": "arn:aws:iam::%s:user/federation-broker" % account,
                "accountId": account, "userName": "federation-broker"},
                "attributes": {"creationDate": "2026-01-01T03:00:00Z",
                    "mfaAuthenticated": "false"}}})
    cast.append({"type": "AWSService", "invokedBy": "bedrock.amazonaws.com"})
    return cast


def model_id(rng, region, account):
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
            account, rng.choice(PROFILES))
    if form == "app_profile":
        return "arn:aws:bedrock:%s:%s:application-inference-profile/%s" % (
            region, account, rng.choice(("abcd1234efgh", "zyxw9876vuts")))
    if form == "provisioned":
        return "arn:aws:bedrock:%s:%s:provisioned-model/%s" % (region,
            account, rng.choice(("abc123", "def456")))
    if form == "custom":
        return ("arn:aws:bedrock:%s:%s:custom-model/"
            "amazon.titan-text-express-v1:0:8k/ab12cd34ef56" % (region,
                account))
    return "my-imported-model-%d" % rng.randint(1, 3)


class Generator:
    """Seeded, realistic CloudTrail records (shapes of the samples)."""

    def __init__(self, rng, region, markers, marker_base, account):
        self.rng = rng
        self.region = region
        self.account = account
        self.markers = markers
        self.marker_n = marker_base
        self.cast = principals(rng, account)

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
        rec["recipientAccountId"] = self.account
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
        params = {"modelId": model_id(rng, self.region, self.account)}
        if name == "CreateModelInvocationJob":
            params["jobName"] = "nightly-batch-%04d" % rng.randint(1, 9999)
            params["roleArn"] = "arn:aws:iam::%s:role/bedrock-batch-role" % (
                self.account)
            params["inputDataConfig"] = {"s3InputDataConfig": {
                "s3Uri": "s3://example-bucket/in/"}}
            params["outputDataConfig"] = {"s3OutputDataConfig": {
                "s3Uri": "s3://example-bucket/out/"}}
            resp = {"jobArn": "arn:aws:bedrock:%s:%s:model-invocation-job/"
                "%012x" % (self.region, self.account, rng.getrandbits(48))}
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
