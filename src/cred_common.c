/*
 * What the credential providers share: the JSON readers (the only place
 * they use cJSON), a small-file reader for token files, and the one
 * function that turns a GET of a credential endpoint into a body. Every
 * string cJSON held is wiped before the tree is freed: they are keys.
 */
#include "cred_providers.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/crypto.h>

#include "json.h"
#include "util.h"

/* Wipes every string in the tree, then frees it. */
static void
json_wipe_delete(cJSON *root)
{
	cJSON *stack[32], *item;
	size_t n = 0;

	if (root == NULL)
		return;
	stack[n++] = root;
	while (n > 0) {
		item = stack[--n];
		for (; item != NULL; item = item->next) {
			if (item->valuestring != NULL)
				OPENSSL_cleanse(item->valuestring,
				    strlen(item->valuestring));
			if (item->child != NULL && n < 32)
				stack[n++] = item->child;
		}
	}
	cJSON_Delete(root);
}

/*
 * A non-empty string member without control characters, or NULL: a
 * token with a line break would become a second header.
 */
static const char *
clean_member(const cJSON *obj, const char *name)
{
	const char *v = json_nonempty(obj, name);

	for (const char *p = v; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return v;
}

/*
 * The shape credential_process, the container endpoint and IMDS share:
 * AccessKeyId, SecretAccessKey, SessionToken or Token, Expiration. IMDS
 * adds Code ("Success"), credential_process Version (1), the container
 * RoleArn. Returns 0, -1 for anything missing or wrong, -2 for a Version
 * other than 1 when require_version.
 */
int
cred_parse_json(const char *body, size_t len, int require_version,
    struct credentials *out)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "Version");
	const char *key, *secret, *token, *expires, *code, *arn;
	time_t t = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(root))
		goto out;
	if (require_version && (!cJSON_IsNumber(version) ||
	    version->valuedouble != 1)) {
		rc = version == NULL ? -1 : -2;
		goto out;
	}
	key = clean_member(root, "AccessKeyId");
	secret = clean_member(root, "SecretAccessKey");
	if ((token = clean_member(root, "SessionToken")) == NULL)
		token = clean_member(root, "Token");
	expires = clean_member(root, "Expiration");
	code = clean_member(root, "Code");
	arn = clean_member(root, "RoleArn");
	if (key == NULL || secret == NULL || (code != NULL &&
	    strcmp(code, "Success") != 0) ||
	    (expires != NULL && time_parse_iso8601(expires, &t) == -1))
		goto out;
	/* The container endpoint and IMDS only ever give temporary keys. */
	if (!require_version && (token == NULL || expires == NULL))
		goto out;
	out->access_key_id = xstrdup(key);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token ? xstrdup(token) : NULL;
	out->expiration = t;
	out->identity_arn = arn ? xstrdup(arn) : NULL;
	rc = 0;
out:
	json_wipe_delete(root);
	return rc;
}

/* GetRoleCredentials: {"roleCredentials": {..., "expiration": ms}}. */
int
cred_parse_sso_json(const char *body, size_t len, struct credentials *out)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *rc_obj = cJSON_GetObjectItemCaseSensitive(root,
	    "roleCredentials");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(rc_obj,
	    "expiration");
	const char *key, *secret, *token;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	key = clean_member(rc_obj, "accessKeyId");
	secret = clean_member(rc_obj, "secretAccessKey");
	token = clean_member(rc_obj, "sessionToken");
	if (key == NULL || secret == NULL || token == NULL ||
	    !cJSON_IsNumber(exp) || exp->valuedouble < 1e12 ||
	    exp->valuedouble > 1e14)
		goto out;
	out->access_key_id = xstrdup(key);
	out->secret_access_key = xstrdup(secret);
	out->session_token = xstrdup(token);
	out->expiration = (time_t)(exp->valuedouble / 1000);
	rc = 0;
out:
	json_wipe_delete(root);
	return rc;
}

/* The SSO cache file: accessToken and expiresAt. */
int
cred_parse_sso_cache(const char *body, size_t len, char **token,
    time_t *expires)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const char *tok = clean_member(root, "accessToken");
	const char *at = clean_member(root, "expiresAt");
	int rc = -1;

	*token = NULL;
	if (tok == NULL || at == NULL || time_parse_iso8601(at, expires) == -1)
		goto out;
	*token = xstrdup(tok);
	rc = 0;
out:
	json_wipe_delete(root);
	return rc;
}

/*
 * Reads a small file whole (a token, a cache entry) into one buffer of
 * its size, so no reallocation leaves a copy. Returns 0; -1 with errno
 * set; -2 when it is larger than max.
 */
int
cred_read_file(const char *path, size_t max, char **out, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size > max) {
		close(fd);
		return errno = EFBIG, -2;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	return 0;
}

/* Wipes and frees a string that held a secret. */
void
cred_wipe(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}
