/*
 * AWS STS over the Query protocol (form-encoded POST, XML answer):
 * AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity. The answer
 * is read with libexpat; nothing here parses XML by hand. STS is called at
 * the regional endpoint of the given region (AWS_ENDPOINT_URL_STS, else
 * AWS_ENDPOINT_URL, overrides it).
 *
 * Functions return 0 on success or -1 with err filled; they print nothing
 * but -v detail. An STS ErrorResponse fills err->code and err->message and
 * is classified like a CloudTrail error (AccessDenied, ExpiredToken,
 * InvalidClientTokenId... are CT_AUTH), so it reaches the same reporting
 * path (ct_report_error). A body over STS_MAX_BODY, a missing or
 * duplicated field, or a document that is not STS's is CT_MALFORMED.
 */
#ifndef STS_H
#define STS_H

#include <stddef.h>
#include <time.h>

#include "cloudtrail.h"
#include "config.h"
#include "credentials.h"

#define STS_MAX_BODY	(64u * 1024)

/* Where and how to reach STS. */
struct sts_target {
	const char *region;		/* signing region and regional endpoint */
	const char *endpoint_url;	/* NULL: from the environment or derived */
	const char *ca_bundle;		/* NULL: the system's */
	long timeout;			/* seconds */
	int max_attempts;		/* 5xx, throttling, timeouts, drops */
};

struct sts_assume_role {
	const char *role_arn;
	const char *session_name;	/* "bedrock-trail" when NULL */
	const char *external_id;	/* NULL: none sent */
	int duration_seconds;		/* 0: STS's default (3600) */
};

/*
 * AssumeRole signed with base. On success out holds the temporary keys,
 * expiration and identity_arn (AssumedRoleUser/Arn); out->source is left
 * to the caller.
 */
int sts_assume_role(const struct sts_target *, const struct credentials *base,
    const struct sts_assume_role *, struct credentials *out,
    struct ct_error *err);

/* AssumeRoleWithWebIdentity: unsigned, with the token's text. */
int sts_assume_role_with_web_identity(const struct sts_target *,
    const struct sts_assume_role *, const char *web_identity_token,
    struct credentials *out, struct ct_error *err);

/* GetCallerIdentity: *account and *arn are malloc'd on success. */
int sts_get_caller_identity(const struct sts_target *,
    const struct credentials *, char **account, char **arn,
    struct ct_error *err);

/*
 * The XML readers behind the calls, exposed for tests and fuzzing.
 * result is "AssumeRoleResult" or "AssumeRoleWithWebIdentityResult".
 * A status other than 2xx with an ErrorResponse body fills err's code and
 * message. Returns 0 or -1.
 */
int sts_parse_credentials(const char *body, size_t len, const char *result,
    struct credentials *out, struct ct_error *err);
int sts_parse_caller_identity(const char *body, size_t len, char **account,
    char **arn, struct ct_error *err);
int sts_parse_error(const char *body, size_t len, struct ct_error *err);

#endif
