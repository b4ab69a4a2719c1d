"""An independent reading of SPEC section 4 in Python: what the record of a
CloudTrail event must be. The tests compare the tool's output with it."""

import json
import re

GEO = ("us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.")
PROVIDER = re.compile(r"^[a-z][a-z0-9-]*\.[A-Za-z0-9._:-]+$")


def model_name(model_id):
    if model_id is None:
        return None, None
    name = model_id
    m = re.match(r"^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:"
        r"(foundation-model|inference-profile)/(.+)$", model_id)
    if m:
        name = m.group(2)
    if not name.startswith("arn:"):
        for g in GEO:
            if name.startswith(g) and PROVIDER.match(name[len(g):]):
                name = name[len(g):]
                break
    provider = name.split(".", 1)[0] if PROVIDER.match(name) else None
    return name, provider


def s(v):
    return v if isinstance(v, str) else None


def user_name(ui):
    t = ui.get("type")
    if t == "IAMUser":
        return s(ui.get("userName"))
    if t in ("AssumedRole", "FederatedUser"):
        arn = s(ui.get("arn"))
        return arn.rsplit("/", 1)[1] if arn and "/" in arn else None
    if t == "AWSService":
        return s(ui.get("invokedBy"))
    return s(ui.get("userName"))


def record(ev, extra=()):
    rp = ev.get("requestParameters") or {}
    mid = s(rp.get("modelId")) or s(rp.get("modelIdentifier"))
    name, provider = model_name(mid)
    ui = ev.get("userIdentity") or {}
    issuer = ((ui.get("sessionContext") or {}).get("sessionIssuer") or {})
    out = {
        "eventID": ev["eventID"], "eventTime": ev["eventTime"],
        "eventName": s(ev.get("eventName")),
        "eventSource": s(ev.get("eventSource")),
        "awsRegion": s(ev.get("awsRegion")),
        "recipientAccountId": s(ev.get("recipientAccountId")),
        "modelId": mid, "modelName": name, "modelProvider": provider,
        "userIdentity": {"type": s(ui.get("type")), "arn": s(ui.get("arn")),
            "accountId": s(ui.get("accountId")),
            "principalId": s(ui.get("principalId")),
            "userName": user_name(ui),
            "sessionIssuerArn": s(issuer.get("arn"))},
        "errorCode": s(ev.get("errorCode")),
    }
    for f in extra:
        if f == "inferenceRegion":
            out[f] = s((ev.get("additionalEventData") or {}).get(f))
        else:
            out[f] = s(ev.get(f))
    return out


def line(ev, extra=()):
    return json.dumps(record(ev, extra), separators=(",", ":"),
        ensure_ascii=False)
