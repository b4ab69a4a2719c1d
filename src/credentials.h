/*
 * The credential chain (SPEC section 2), first found wins: the stored
 * connection, the environment, the shared credentials file at the profile.
 *
 * Functions return 0 on success or a sysexits(3) code after reporting.
 */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include <time.h>

#include "config.h"

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
};

/*
 * Resolves the chain for cfg. No credentials anywhere is EX_NOPERM; a
 * corrupt store EX_DATAERR; a store or key file readable by others
 * EX_CONFIG; an unreadable shared file EX_CONFIG.
 */
int credentials_resolve(const struct config *cfg, struct credentials *out);

/* Reads the shared credentials file (INI) at profile. 1 if not found. */
int credentials_from_shared_file(const char *path, const char *profile,
    struct credentials *out);

/* "stored connection (PATH)", "environment", "shared credentials file ..." */
const char *credentials_source_name(enum credential_source);

/* "AKIA****WXYZ": first four and last four characters. */
void credentials_mask_key_id(const char *id, char *out, size_t outsize);

void credentials_clear(struct credentials *);

#endif
