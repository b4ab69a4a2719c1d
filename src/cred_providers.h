/*
 * The credential providers that fetch temporary credentials from something
 * outside the process: web identity (through STS), the ECS/EKS container
 * endpoint, the EC2 instance metadata service (IMDSv2 only), an external
 * credential_process, and AWS IAM Identity Center (SSO) from its cached
 * token. Each behaves as the AWS CLI v2's provider of the same name, reads
 * its own environment variables, and fills a struct credentials with keys,
 * session token, expiration and, where known, identity_arn and origin.
 *
 * Return convention for every function here: 0 when out is filled;
 * CRED_ABSENT when the provider is not configured in this environment (the
 * chain goes on to the next one); otherwise a sysexits(3) code after
 * reporting the problem with log_error (77 for a provider that answers
 * but refuses or needs a person, 69 for one that cannot be reached, 65 for
 * an answer that is not what it should be, 78 for a configuration that
 * cannot be right, such as a container URI on a forbidden host).
 */
#ifndef CRED_PROVIDERS_H
#define CRED_PROVIDERS_H

#include "credentials.h"
#include "sts.h"

#define CRED_ABSENT	1

/* SPEC section 5's first line of every 77, before a provider's own words. */
#define CRED_AUTH_FAILED "Invalid credentials or insufficient permissions"

/*
 * AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), or
 * the same from a profile (token_file, role_arn, session_name non-NULL
 * override the environment). The token file is read again on every call,
 * since the platform rotates it.
 */
int cred_web_identity_fetch(const struct sts_target *, const char *token_file,
    const char *role_arn, const char *session_name, struct credentials *out);

/*
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2) or _FULL_URI
 * (https to any host; http only to loopback, 169.254.170.2,
 * 169.254.170.23 or fd00:ec2::23, anything else 78), with Authorization
 * from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call) or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN; CR or LF in it is refused.
 */
int cred_container_fetch(const char *ca_bundle, struct credentials *out);

/*
 * IMDSv2: PUT /latest/api/token, then the role name and its credentials.
 * AWS_EC2_METADATA_DISABLED=true makes it CRED_ABSENT;
 * AWS_EC2_METADATA_SERVICE_ENDPOINT and _ENDPOINT_MODE (IPv4 / IPv6)
 * choose the endpoint. Never falls back to IMDSv1. Short timeouts, as the
 * SDKs use; no answer at all is CRED_ABSENT (not on EC2).
 */
int cred_imds_fetch(struct credentials *out);

/*
 * Runs command (split as the AWS CLI splits it, no shell) with a time
 * limit and its stdout capped; reads Version 1 JSON. Non-zero exit, bad
 * JSON or another Version is 77 with the first line of its stderr.
 */
int cred_process_fetch(const char *command, struct credentials *out);

/*
 * The time limit on credential_process, in seconds (default 60); the
 * chain may set it from the configured timeout, tests shorten it.
 */
void cred_process_set_timeout(double seconds);

/*
 * Shared by the providers, exposed for tests and fuzzing. The JSON
 * readers return 0 or -1 (out left empty).
 *
 * cred_parse_json reads credential_process / container / IMDS JSON:
 * AccessKeyId, SecretAccessKey, SessionToken or Token, Expiration (ISO
 * 8601), RoleArn into identity_arn, IMDS's Code must be "Success". With
 * require_version, Version must be 1 (-2 for another) and the token and
 * Expiration are optional; without, both are required.
 */
int cred_parse_json(const char *body, size_t len, int require_version,
    struct credentials *out);
/* GetRoleCredentials's {"roleCredentials": {...}}. */
int cred_parse_sso_json(const char *body, size_t len, struct credentials *);
/* An SSO cache file: *token malloc'd (wipe it), *expires from expiresAt. */
int cred_parse_sso_cache(const char *body, size_t len, char **token,
    time_t *expires);
/* A whole small file: 0; -1 with errno; -2 when larger than max. */
int cred_read_file(const char *path, size_t max, char **out, size_t *len);
/* OPENSSL_cleanse, then free; NULL is fine. */
void cred_wipe(char *);

/* An SSO profile's settings (sso_session or legacy keys). */
struct cred_sso {
	const char *start_url;
	const char *sso_region;
	const char *account_id;
	const char *role_name;
	const char *session_name;	/* sso_session's name, or NULL */
};

/*
 * GetRoleCredentials with the cached token from ~/.aws/sso/cache/ (file
 * name: SHA-1 hex of the session name, else of the start URL). Never opens
 * a browser: a missing or expired token is 77 naming
 * `aws sso login --profile NAME`.
 */
int cred_sso_fetch(const struct cred_sso *, const char *profile,
    const char *ca_bundle, struct credentials *out);

#endif
