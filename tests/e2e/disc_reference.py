"""An independent reading of SPEC section 8 in Python: the discoveries a
stream of records (in the order they were written) must give. The tests
compare the tool's discoveries file with it."""

import fnmatch

KINDS = ("new_model", "new_principal", "new_principal_model", "new_region")


def principal(rec):
    ui = rec.get("userIdentity") or {}
    for k in ("arn", "userName", "type"):
        if isinstance(ui.get(k), str) and ui[k]:
            return ui[k]
    return "(unknown)"


def verdict(model, allowed=(), denied=()):
    if any(fnmatch.fnmatchcase(model, g) for g in denied):
        return "denied"
    if not allowed or any(fnmatch.fnmatchcase(model, g) for g in allowed):
        return "allowed"
    return "unlisted"


def discoveries(records, allowed=(), denied=()):
    """The discovery lines (dicts, without "baseline") records give."""
    seen = set()
    out = []
    for r in records:
        model = r.get("modelName")
        if not model:
            continue
        acct = r.get("recipientAccountId") or "(unknown)"
        who = principal(r)
        keys = [("m", acct, model), ("p", acct, who),
            ("pm", acct, who, model)]
        keys.append(("r", acct, r["awsRegion"]) if r.get("awsRegion")
            else None)
        line = {"accountId": r.get("recipientAccountId"),
            "awsRegion": r.get("awsRegion"), "modelName": model,
            "principal": who, "firstSeen": r["eventTime"],
            "eventID": r["eventID"]}
        for kind, key in zip(KINDS, keys):
            if key is not None and key not in seen:
                seen.add(key)
                out.append(dict({"discovery": kind}, **line))
        if verdict(model, allowed, denied) != "allowed" and \
                ("u", acct, who, model) not in seen:
            seen.add(("u", acct, who, model))
            out.append(dict({"discovery": "unapproved_model"}, **line))
    return out
