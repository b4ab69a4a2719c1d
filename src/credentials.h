/*
 * The credential chain (SPEC sections 2 and 7), first found wins: the
 * stored connection, the environment, the profile in the shared config and
 * credentials files, web identity, the container endpoint, the EC2
 * instance role. A role named by the configuration (or stored by connect)
 * is then assumed with what was found.
 *
 * Temporary credentials carry the way to fetch them again: every request
 * asks credentials_current for the ones to sign with, which are fetched
 * again (the provider re-run, every role on top re-assumed) when they
 * expire within five minutes, or within half their life when they live
 * less than ten. Nothing here is ever written to disk.
 *
 * Functions return 0 on success or a sysexits(3) code after reporting.
 */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include <time.h>

#include "config.h"

struct cred_refresh;
struct sts_target;
struct sts_assume_role;

enum credential_source {
	CRED_NONE,
	CRED_STORE,	/* credentials_file, written by connect */
	CRED_ENV,	/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY */
	CRED_SHARED,	/* ~/.aws/credentials or AWS_SHARED_CREDENTIALS_FILE */
	CRED_PROCESS,	/* a profile's credential_process */
	CRED_SSO,	/* a profile's IAM Identity Center cached token */
	CRED_WEB_IDENTITY, /* AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN */
	CRED_CONTAINER,	/* the ECS/EKS container endpoint */
	CRED_IMDS,	/* the EC2 instance role, IMDSv2 */
	CRED_ASSUMED_ROLE, /* a role assumed with one of the above */
};

/* Owns every string; credentials_clear wipes and frees them. */
struct credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;		/* NULL unless temporary */
	time_t expiration;		/* 0: long-term, never refreshed */
	char *identity_arn;		/* e.g. the assumed-role ARN, if known */
	enum credential_source source;
	char *origin;			/* store path, or "FILE [profile]" */
	struct strlist regions;		/* the stored connection's regions */
	char *role_arn;			/* the stored connection's role */
	char *external_id;		/* and its external id */
	struct cred_refresh *refresh;	/* NULL: never fetched again */
};

/*
 * Resolves the chain for cfg. No credentials anywhere is EX_NOPERM; a
 * corrupt store EX_DATAERR; a store or key file readable by others
 * EX_CONFIG; an unreadable shared file EX_CONFIG.
 */
int credentials_resolve(const struct config *cfg, struct credentials *out);

/*
 * The credentials to sign a request with now: a copy (the caller clears
 * it) of c's keys, fetched again first when they are about to expire.
 * Safe from several threads at once. A refresh that fails while the old
 * keys still have a minute to live keeps them, with a warning. Returns 0,
 * or the exit code after reporting.
 */
int credentials_current(const struct credentials *c,
    struct credentials *copy);

/*
 * Assumes role with base's credentials (taken through credentials_current)
 * at target; out is refreshed the same way, and base must outlive it.
 * Reports an STS error as ct_report_error does, with the role's ARN.
 */
int credentials_assume_role(const struct credentials *base,
    const struct sts_target *target, const struct sts_assume_role *role,
    struct credentials *out);

/* STS at region, with cfg's CA bundle, timeout and attempts. */
void credentials_sts_target(const struct config *cfg, const char *region,
    struct sts_target *t);

/*
 * What status and test-connection show: "environment, access key
 * AKIA****WXYZ", "assumed role ARN via instance role web-01 (expires
 * 08:12Z)". Never a secret. The caller frees it.
 */
char *credentials_describe(const struct credentials *);

/* Reads the shared credentials file (INI) at profile. 1 if not found. */
int credentials_from_shared_file(const char *path, const char *profile,
    struct credentials *out);

/* "stored connection (PATH)", "environment", "shared credentials file ..." */
const char *credentials_source_name(enum credential_source);

/* "AKIA****WXYZ": first four and last four characters. */
void credentials_mask_key_id(const char *id, char *out, size_t outsize);

void credentials_clear(struct credentials *);

#endif
