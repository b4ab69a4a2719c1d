/*
 * The credential chain: see credentials.h. Secrets are copied once into the
 * struct, every buffer that held them is wiped, and no message ever prints
 * one: key ids are shown masked, secrets not at all.
 */
#include "credentials.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "credstore.h"
#include "log.h"
#include "util.h"

/* Nobody's credentials file is this large; refuse rather than read it. */
#define SHARED_MAX	(1024 * 1024)

static void
wipe_str(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
credentials_clear(struct credentials *c)
{
	if (c == NULL)
		return;
	wipe_str(c->access_key_id);
	wipe_str(c->secret_access_key);
	wipe_str(c->session_token);
	free(c->origin);
	free(c->identity_arn);
	strlist_free(&c->regions);
	memset(c, 0, sizeof(*c));
}

const char *
credentials_source_name(enum credential_source s)
{
	switch (s) {
	case CRED_STORE:
		return "stored connection";
	case CRED_ENV:
		return "environment";
	case CRED_SHARED:
		return "shared credentials file";
	case CRED_PROCESS:
		return "credential_process";
	case CRED_SSO:
		return "IAM Identity Center (SSO)";
	case CRED_WEB_IDENTITY:
		return "web identity";
	case CRED_CONTAINER:
		return "container credentials";
	case CRED_IMDS:
		return "instance role";
	case CRED_ASSUMED_ROLE:
		return "assumed role";
	case CRED_NONE:
		break;
	}
	return "none";
}

/*
 * Ids shorter than 12 characters would show most of themselves, so they
 * are masked entirely.
 */
void
credentials_mask_key_id(const char *id, char *out, size_t outsize)
{
	size_t len = id == NULL ? 0 : strlen(id);

	if (outsize == 0)
		return;
	if (len < 12)
		snprintf(out, outsize, "****");
	else
		snprintf(out, outsize, "%.4s****%s", id, id + len - 4);
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Reads the whole file into one buffer of the file's size, so that no
 * reallocation leaves a copy of a secret behind. 1 if there is no file.
 */
static int
shared_read(const char *path, char **bufp, size_t *sizep)
{
	struct stat st;
	size_t size, len = 0;
	char *buf = NULL;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		log_error("%s: %s", path, strerror(errno));
		return EX_CONFIG;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > SHARED_MAX) {
		log_error("%s: not a readable credentials file", path);
		rc = EX_CONFIG;
		goto out;
	}
	size = (size_t)st.st_size + 1;
	buf = xmalloc(size);
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("%s: %s", path, strerror(errno));
			OPENSSL_cleanse(buf, size);
			free(buf);
			rc = EX_CONFIG;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*sizep = size;
out:
	close(fd);
	return rc;
}

struct shared_profile {
	bool found;
	char *id, *secret, *token;	/* point into the file's buffer */
};

/* INI: [section], key = value, # and ; comments, keys in any case. */
static void
shared_parse(char *text, const char *profile, struct shared_profile *p)
{
	bool in_profile = false;
	char *line, *next;

	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	for (line = text; line != NULL; line = next) {
		char *eq, *key, *value;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');

			if (end != NULL) {
				*end = '\0';
				in_profile = strcmp(trim(line + 1), profile) == 0;
				p->found |= in_profile;
			}
			continue;
		}
		if (!in_profile || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if (*value == '\0')
			value = NULL;
		if (strcasecmp(key, "aws_access_key_id") == 0)
			p->id = value;
		else if (strcasecmp(key, "aws_secret_access_key") == 0)
			p->secret = value;
		else if (strcasecmp(key, "aws_session_token") == 0)
			p->token = value;
	}
}

int
credentials_from_shared_file(const char *path, const char *profile,
    struct credentials *out)
{
	struct shared_profile p = { 0 };
	char *buf = NULL;
	size_t size = 0;
	int rc;

	if ((rc = shared_read(path, &buf, &size)) != 0)
		return rc;
	shared_parse(buf, profile, &p);
	if (!p.found || (p.id == NULL && p.secret == NULL)) {
		rc = 1;
		goto out;
	}
	if (p.id == NULL || p.secret == NULL) {
		log_error("%s: profile [%s] has %s but no %s", path, profile,
		    p.id ? "aws_access_key_id" : "aws_secret_access_key",
		    p.id ? "aws_secret_access_key" : "aws_access_key_id");
		rc = EX_CONFIG;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->access_key_id = xstrdup(p.id);
	out->secret_access_key = xstrdup(p.secret);
	if (p.token != NULL)
		out->session_token = xstrdup(p.token);
	out->source = CRED_SHARED;
	out->origin = xasprintf("%s [%s]", path, profile);
out:
	OPENSSL_cleanse(buf, size);
	free(buf);
	return rc;
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* 0 with out filled, 1 when neither variable is set, or EX_CONFIG. */
static int
credentials_from_env(struct credentials *out)
{
	const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = env_nonempty("AWS_SESSION_TOKEN");

	if (id == NULL && secret == NULL)
		return 1;
	if (id == NULL || secret == NULL) {
		log_error("%s is set but %s is not",
		    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return EX_CONFIG;
	}
	memset(out, 0, sizeof(*out));
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	if (token != NULL)
		out->session_token = xstrdup(token);
	out->source = CRED_ENV;
	out->origin = xstrdup("environment");
	return 0;
}

/* AWS_SHARED_CREDENTIALS_FILE (~ expanded), else ~/.aws/credentials. */
static char *
shared_path(void)
{
	const char *file = env_nonempty("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = env_nonempty("HOME");

	if (file != NULL && strncmp(file, "~/", 2) == 0 && home != NULL)
		return xasprintf("%s/%s", home, file + 2);
	if (file != NULL)
		return xstrdup(file);
	if (home != NULL)
		return xasprintf("%s/.aws/credentials", home);
	return NULL;
}

int
credentials_resolve(const struct config *cfg, struct credentials *out)
{
	const char *profile = cfg->profile != NULL && *cfg->profile != '\0' ?
	    cfg->profile : "default";
	char *path = NULL;
	bool found = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (cfg->credentials_file != NULL) {
		rc = credstore_load(cfg->credentials_file, cfg->key_file, out,
		    &found);
		if (rc != 0 || found)
			goto out;
	}
	if ((rc = credentials_from_env(out)) != 1)
		goto out;
	if ((path = shared_path()) != NULL &&
	    (rc = credentials_from_shared_file(path, profile, out)) != 1)
		goto out;
	log_error("Invalid credentials or insufficient permissions");
	log_error("no AWS credentials found: run 'bedrock-trail connect', or "
	    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a "
	    "profile to ~/.aws/credentials");
	rc = EX_NOPERM;
out:
	if (rc == 0)
		log_verbose("credentials: %s (%s)",
		    credentials_source_name(out->source), out->origin);
	free(path);
	return rc;
}
