/*
 * Web identity (EKS IRSA, GitHub Actions and other OIDC): the token file
 * and role from the environment or a profile, exchanged with STS's
 * unsigned AssumeRoleWithWebIdentity. The file is read on every call
 * because the platform rotates the token; its text is wiped after use.
 */
#include "cred_providers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "util.h"

#define TOKEN_MAX	(64 * 1024)

static const char *
env_or(const char *given, const char *name)
{
	const char *v;

	if (given != NULL && *given != '\0')
		return given;
	v = getenv(name);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* The token without the trailing line break editors and echo add. */
static int
read_token(const char *path, char **token)
{
	size_t len;
	int r = cred_read_file(path, TOKEN_MAX, token, &len);

	if (r != 0) {
		log_error("web identity: cannot read the token file %s: %s",
		    path, r == -2 ? "larger than 64 KiB" : strerror(errno));
		return EX_CONFIG;
	}
	while (len > 0 && strchr(" \t\r\n", (*token)[len - 1]) != NULL)
		(*token)[--len] = '\0';
	if (len == 0) {
		log_error(CRED_AUTH_FAILED);
		log_error("web identity: the token file %s is empty", path);
		cred_wipe(*token);
		*token = NULL;
		return EX_NOPERM;
	}
	return 0;
}

int
cred_web_identity_fetch(const struct sts_target *t, const char *token_file,
    const char *role_arn, const char *session_name, struct credentials *out)
{
	struct sts_assume_role r = { 0 };
	struct ct_error err;
	char *token = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	token_file = env_or(token_file, "AWS_WEB_IDENTITY_TOKEN_FILE");
	r.role_arn = env_or(role_arn, "AWS_ROLE_ARN");
	r.session_name = env_or(session_name, "AWS_ROLE_SESSION_NAME");
	if (token_file == NULL)
		return CRED_ABSENT;
	if (r.role_arn == NULL) {
		log_error("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set "
		    "but no role: set AWS_ROLE_ARN");
		return EX_CONFIG;
	}
	if ((rc = read_token(token_file, &token)) != 0)
		return rc;
	rc = sts_assume_role_with_web_identity(t, &r, token, out, &err);
	cred_wipe(token);
	if (rc != 0) {
		if (err.kind == CT_AUTH)
			log_error(CRED_AUTH_FAILED);
		log_error("web identity: cannot assume %s: %s%s%s", r.role_arn,
		    err.code, err.message[0] ? ": " : "", err.message);
		return ct_exit_code(err.kind);
	}
	out->source = CRED_WEB_IDENTITY;
	out->origin = xstrdup(token_file);
	return 0;
}
