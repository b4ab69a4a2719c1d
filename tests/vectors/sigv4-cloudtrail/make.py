#!/usr/bin/python3
"""
Regenerates the CloudTrail LookupEvents signing fixtures in this directory
with botocore's SigV4Auth, so that the expected values come from AWS's own
SDK and not from our signer. Run from anywhere with Debian's Python:

    /usr/bin/python3 tests/vectors/sigv4-cloudtrail/make.py

Each case directory gets the same four files as the AWS test suite:
CASE.req (the request, headers as botocore sends them, body after a blank
line), CASE.creq, CASE.sts and CASE.authz. No file ends in a newline.
"""
import datetime
import json
import os
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))

# Must match tests/unit/test_sigv4.c.
ACCESS_KEY_ID = "AKIDEXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = ("IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"
                 "EXAMPLEtoken+with/slashes=")
REGION = "us-east-1"
SERVICE = "cloudtrail"
TIME = datetime.datetime(2026, 11, 24, 7, 0, 0)   # 20261124T070000Z

BODY = json.dumps({
    "LookupAttributes": [{"AttributeKey": "EventSource",
                          "AttributeValue": "bedrock.amazonaws.com"}],
    "StartTime": "2026-11-23T07:00:00Z",
    "EndTime": "2026-11-24T07:00:00Z",
    "MaxResults": 50,
}, separators=(",", ":"))


class RecordingSigV4Auth(SigV4Auth):
    """SigV4Auth that keeps the intermediate stages it computed."""

    def canonical_request(self, request):
        self.creq = super().canonical_request(request)
        return self.creq

    def string_to_sign(self, request, canonical_request):
        self.sts = super().string_to_sign(request, canonical_request)
        return self.sts


def sign(token):
    request = AWSRequest(
        method="POST",
        url="https://cloudtrail.us-east-1.amazonaws.com/",
        data=BODY.encode(),
        headers={
            "Host": "cloudtrail.us-east-1.amazonaws.com",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101."
                            "CloudTrail_20131101.LookupEvents",
        })
    auth = RecordingSigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, token),
                     SERVICE, REGION)
    with mock.patch("botocore.auth.datetime") as fake:
        fake.datetime.utcnow.return_value = TIME
        auth.add_auth(request)
    lines = ["POST / HTTP/1.1"]
    lines += ["%s:%s" % (k, v) for k, v in request.headers.items()
              if k.lower() != "authorization"]
    req = "\n".join(lines) + "\n\n" + BODY
    return req, auth.creq, auth.sts, request.headers["Authorization"]


def write(case, token):
    d = os.path.join(HERE, case)
    os.makedirs(d, exist_ok=True)
    for ext, text in zip(("req", "creq", "sts", "authz"), sign(token)):
        with open(os.path.join(d, "%s.%s" % (case, ext)), "wb") as f:
            f.write(text.encode())


write("lookup-events", None)
write("lookup-events-session-token", SESSION_TOKEN)
