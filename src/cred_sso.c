/*
 * IAM Identity Center (SSO), as botocore's SSOProvider: the access token
 * that `aws sso login` cached in ~/.aws/sso/cache/SHA1.json (SHA-1 hex of
 * the sso_session name, else of the start URL), exchanged with
 * GetRoleCredentials. Never a browser and never a prompt: a missing or
 * expired login is 77 naming the command that renews it.
 */
#include "cred_providers.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "http.h"
#include "log.h"
#include "sigv4.h"
#include "util.h"

#define CACHE_MAX	(256 * 1024)
#define MAX_BODY	(64 * 1024)
#define TIMEOUT		30
#define ATTEMPTS	3

static char *
cache_path(const struct cred_sso *s)
{
	const char *key = s->session_name ? s->session_name : s->start_url;
	const char *home = getenv("HOME");
	const struct passwd *pw;
	unsigned char md[SHA_DIGEST_LENGTH];
	char hex[2 * SHA_DIGEST_LENGTH + 1];

	if (home == NULL || *home == '\0')
		home = (pw = getpwuid(getuid())) ? pw->pw_dir : "/";
	SHA1((const unsigned char *)key, strlen(key), md);
	hex_encode(md, sizeof(md), hex);
	return xasprintf("%s/.aws/sso/cache/%s.json", home, hex);
}

static int
need_login(const char *profile, const char *why)
{
	log_error(CRED_AUTH_FAILED);
	log_error("sso: %s: run `aws sso login --profile %s`", why,
	    profile ? profile : "default");
	return EX_NOPERM;
}

/* The cached access token: 0, or 77 saying how to log in again. */
static int
cached_token(const struct cred_sso *s, const char *profile, char **token)
{
	char *path = cache_path(s), *body = NULL;
	size_t len;
	time_t expires;
	int r = cred_read_file(path, CACHE_MAX, &body, &len);

	*token = NULL;
	if (r != 0) {
		log_verbose("sso: %s: %s", path, r == -2 ? "too large" :
		    strerror(errno));
		free(path);
		return need_login(profile, "no cached login");
	}
	free(path);
	r = cred_parse_sso_cache(body, len, token, &expires);
	cred_wipe(body);
	if (r != 0)
		return need_login(profile, "the cached login is unreadable");
	if (expires <= time(NULL) || strpbrk(*token, "\r\n") != NULL) {
		cred_wipe(*token);
		*token = NULL;
		return need_login(profile, expires <= time(NULL) ?
		    "the cached login has expired" :
		    "the cached login is unreadable");
	}
	return 0;
}

static char *
role_url(const struct cred_sso *s)
{
	const char *ep = getenv("AWS_ENDPOINT_URL_SSO");
	struct strbuf sb = { 0 };

	if (ep != NULL && *ep != '\0')
		strbuf_adds(&sb, ep);
	else
		strbuf_addf(&sb, "https://portal.sso.%s.amazonaws.com%s",
		    s->sso_region, strncmp(s->sso_region, "cn-", 3) == 0 ?
		    ".cn" : "");
	while (sb.len > 0 && sb.buf[sb.len - 1] == '/')
		sb.buf[--sb.len] = '\0';
	strbuf_adds(&sb, "/federation/credentials?role_name=");
	sigv4_uri_encode(&sb, s->role_name, strlen(s->role_name));
	strbuf_adds(&sb, "&account_id=");
	sigv4_uri_encode(&sb, s->account_id, strlen(s->account_id));
	return sb.buf;
}

/* GetRoleCredentials with retries on 5xx and drops. */
static int
get_role_credentials(const struct cred_sso *s, const char *url,
    const char *token, const char *ca_bundle, const char *profile,
    struct credentials *out)
{
	struct http_client *http = http_client_new(ca_bundle, TIMEOUT);
	char *hdr = xasprintf("x-amz-sso_bearer_token: %s", token);
	struct http_response resp = { 0 };
	enum http_failure f = HTTP_OTHER;
	char why[128];
	int rc = EX_UNAVAILABLE;

	for (int attempt = 1; http != NULL && attempt <= ATTEMPTS; attempt++) {
		if (attempt > 1)
			sleep_seconds(attempt - 1.0);
		f = http_request(http, "GET", url, (const char *const *)&hdr,
		    1, NULL, 0, MAX_BODY, &resp);
		if (f == HTTP_OK && resp.status < 500)
			break;
		if (f != HTTP_TIMEOUT && f != HTTP_DROPPED && f != HTTP_OK)
			break;
		http_response_free(&resp);
	}
	cred_wipe(hdr);
	http_client_free(http);
	if (f != HTTP_OK)
		log_error("sso: GetRoleCredentials failed: %s", resp.error);
	else if (resp.status == 401)
		rc = need_login(profile, "the login was refused");
	else if (resp.status == 403) {
		/* Logged in, but the role is not assigned to this user. */
		log_error(CRED_AUTH_FAILED);
		log_error("sso: no access to role %s in account %s: %s",
		    s->role_name, s->account_id, resp.error_type[0] ?
		    log_clean(why, sizeof(why), resp.error_type) : "HTTP 403");
		rc = EX_NOPERM;
	}
	else if (resp.status != 200)
		log_error("sso: GetRoleCredentials answered HTTP %ld",
		    resp.status);
	else if (cred_parse_sso_json(resp.body, resp.len, out) != 0) {
		log_error("sso: the GetRoleCredentials answer is not "
		    "role credentials");
		rc = EX_DATAERR;
	} else
		rc = 0;
	http_response_free(&resp);
	return rc;
}

int
cred_sso_fetch(const struct cred_sso *s, const char *profile,
    const char *ca_bundle, struct credentials *out)
{
	char *token = NULL, *url;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->start_url == NULL || s->sso_region == NULL ||
	    s->account_id == NULL || s->role_name == NULL) {
		log_error("sso: profile %s needs sso_start_url, sso_region, "
		    "sso_account_id and sso_role_name",
		    profile ? profile : "default");
		return EX_CONFIG;
	}
	if ((rc = cached_token(s, profile, &token)) != 0)
		return rc;
	url = role_url(s);
	rc = get_role_credentials(s, url, token, ca_bundle, profile, out);
	cred_wipe(token);
	free(url);
	if (rc == 0) {
		out->source = CRED_SSO;
		out->origin = xstrdup(s->session_name ? s->session_name :
		    s->start_url);
	}
	return rc;
}
