/*
 * How to obtain credentials, decided before any request: a base provider
 * and the roles assumed on top of it, in order. The chain (credentials.c)
 * and the profile reader (cred_profile.c) build a plan; cred_refresh.c
 * carries it out, and again for each layer that is about to expire.
 * Internal to the credential modules.
 */
#ifndef CRED_PLAN_H
#define CRED_PLAN_H

#include <stdbool.h>

#include "cred_providers.h"
#include "credentials.h"

#define CRED_MAX_ROLES		16
#define CRED_SESSION_NAME	"bedrock-trail"
#define CRED_MIN_DURATION	900
#define CRED_MAX_DURATION	43200

struct cred_role {
	char *role_arn;
	char *external_id;		/* NULL: none sent */
	char *session_name;		/* NULL: CRED_SESSION_NAME */
	int duration_seconds;		/* 0: STS's default */
};

struct cred_plan_sso {
	char *start_url, *region, *account_id, *role_name;
	char *session;			/* the sso-session's name, or NULL */
};

struct cred_plan {
	enum credential_source base;	/* CRED_NONE: nothing found */
	struct credentials keys;	/* STORE, ENV, SHARED: static keys */
	char *profile;			/* the profile it came from, or NULL */
	char *process;			/* CRED_PROCESS: the command line */
	struct cred_plan_sso sso;	/* CRED_SSO */
	/* CRED_WEB_IDENTITY from a profile; NULL: the environment's. */
	char *token_file, *token_role_arn, *token_session_name;
	struct cred_role roles[CRED_MAX_ROLES];
	size_t nroles;
};

/* Appends a role (copies its strings); -1 past CRED_MAX_ROLES. */
int cred_plan_add_role(struct cred_plan *, const char *role_arn,
    const char *external_id, const char *session_name, int duration);

/* Wipes the keys and frees every string; accepts an empty plan. */
void cred_plan_free(struct cred_plan *);

/*
 * Fetches the base provider's credentials, then assumes each role in turn
 * at t, into out; temporary results carry their refresher, which takes
 * over what it needs of plan (the caller still frees plan). Returns 0,
 * CRED_ABSENT when the base provider is not configured here (nothing
 * reported), or the exit code after reporting.
 */
int cred_plan_run(struct cred_plan *plan, const struct sts_target *t,
    struct credentials *out);

/* Frees a refresher and the layers below it (credentials_clear calls it). */
void cred_refresh_free(struct cred_refresh *);

/*
 * The profile in the shared config and credentials files (AWS_CONFIG_FILE,
 * AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials),
 * as the AWS CLI v2 resolves it, into plan. Returns 0 with plan filled,
 * CRED_ABSENT when the profile is in neither file or gives no credentials
 * and was not named explicitly, or a sysexits(3) code after reporting:
 * EX_CONFIG for a named profile that does not exist, a source_profile loop,
 * both or neither of source_profile and credential_source, a bad
 * duration_seconds, half a key pair; EX_NOPERM for mfa_serial.
 */
int cred_profile_plan(const char *profile, bool named,
    struct cred_plan *plan);

#endif
