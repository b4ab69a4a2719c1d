# SPEC section 4 in jq: the record of each Bedrock event in the output of
# `aws cloudtrail lookup-events`, for comparing bedrock-trail with the AWS
# CLI (tests/bench/bench.py). Use: jq -c -f records.jq
#
# Only the built-in fields (no extra_fields); records come out in the
# CLI's order (newest first), not sorted.

# A value of the wrong type is null, not an error.
def str: if type == "string" then . else null end;
def get($k): if type == "object" then .[$k] else null end;

# The geography prefixes SPEC names for inference profiles.
def strip_geo:
  . as $id
  | first(("us.", "eu.", "apac.", "us-gov.", "global.")
      | select(. as $g | $id | startswith($g))) as $g
  | $id[($g | length):];
def strip_geo_if_any: first(strip_geo, .);

# modelName: the foundation-model id behind a modelId.
def model_name:
  if . == null then null
  elif test("^arn:[^:]*:bedrock:[^:]*:[^:]*:foundation-model/.")
    then sub("^arn:[^:]*:bedrock:[^:]*:[^:]*:foundation-model/"; "")
  elif test("^arn:[^:]*:bedrock:[^:]*:[^:]*:inference-profile/.")
    then sub("^arn:[^:]*:bedrock:[^:]*:[^:]*:inference-profile/"; "")
      | strip_geo_if_any
  elif startswith("arn:") then .
  else strip_geo_if_any
  end;

# modelProvider: the part before the first "." of a foundation-model id.
def model_provider:
  if . != null and test("^[a-z][a-z0-9-]*\\.[A-Za-z0-9._:-]+$")
  then split(".")[0] else null end;

# userIdentity.userName: who, in words.
def user_name:
  (get("type") | str) as $t
  | if $t == "AssumedRole" or $t == "FederatedUser" then
      (get("arn") | str) as $arn
      | if $arn != null and ($arn | contains("/"))
        then ($arn | split("/") | last | if . == "" then null else . end)
        else null end
    elif $t == "AWSService" then get("invokedBy") | str
    else get("userName") | str
    end;

.Events[]
| .CloudTrailEvent | fromjson
| select(.eventSource == "bedrock.amazonaws.com")
| (get("requestParameters") | (get("modelId") | str)
    // (get("modelIdentifier") | str)) as $id
| ($id | model_name) as $name
| (get("userIdentity") | if type == "object" then . else {} end) as $u
| {
    eventID: get("eventID") | str,
    eventTime: get("eventTime") | str,
    eventName: get("eventName") | str,
    eventSource: get("eventSource") | str,
    awsRegion: get("awsRegion") | str,
    recipientAccountId: get("recipientAccountId") | str,
    modelId: $id,
    modelName: $name,
    modelProvider: ($name | model_provider),
    userIdentity: {
      type: $u | get("type") | str,
      arn: $u | get("arn") | str,
      accountId: $u | get("accountId") | str,
      principalId: $u | get("principalId") | str,
      userName: $u | user_name,
      sessionIssuerArn: $u | get("sessionContext") | get("sessionIssuer")
        | get("arn") | str
    },
    errorCode: get("errorCode") | str
  }
