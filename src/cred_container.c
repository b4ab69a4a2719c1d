/*
 * The ECS / EKS Pod Identity container endpoint, as botocore's
 * ContainerMetadataFetcher: a relative URI under http://169.254.170.2, or
 * a full URI that is https, or http to a loopback address or one of the
 * hosts the platforms use. The Authorization value comes from a file the
 * platform rotates (read on every call) or the environment, and a CR or
 * LF in it is refused rather than sent as a second header. Three
 * attempts, two seconds each, a second apart.
 */
#include "cred_providers.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <curl/curl.h>

#include "http.h"
#include "log.h"
#include "util.h"

#define ECS_HOST	"http://169.254.170.2"
#define TIMEOUT		2
#define ATTEMPTS	3
#define MAX_BODY	(64 * 1024)
#define TOKEN_MAX	(16 * 1024)

/* A literal loopback address, or a host the platforms serve from. */
static bool
host_allowed(const char *host)
{
	static const char *const hosts[] = {
		"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost"
	};
	unsigned char a[16], b[16];
	size_t i;

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127 || strcmp(host, hosts[0]) == 0 ||
		    strcmp(host, hosts[1]) == 0;
	if (inet_pton(AF_INET6, host, a) == 1) {
		inet_pton(AF_INET6, hosts[2], b);
		return memcmp(a, &in6addr_loopback, 16) == 0 ||
		    memcmp(a, b, 16) == 0;
	}
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (strcasecmp(host, hosts[i]) == 0)
			return true;
	return false;
}

/* 0 if url may be used, else EX_CONFIG after saying why. */
static int
check_full_uri(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, clean[256];
	size_t n;
	int rc = EX_CONFIG;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		log_error("container credentials: invalid "
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s'",
		    log_clean(clean, sizeof(clean), url));
		goto out;
	}
	n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (strcmp(scheme, "https") == 0 ||
	    (strcmp(scheme, "http") == 0 && host_allowed(host)))
		rc = 0;
	else
		log_error("container credentials: host '%s' of "
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not allowed: use "
		    "https, or http to a loopback address, 169.254.170.2, "
		    "169.254.170.23 or fd00:ec2::23",
		    log_clean(clean, sizeof(clean), host));
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The Authorization value, or NULL: 0, or EX_CONFIG after saying why. */
static int
auth_token(char **out)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *env = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	size_t len;
	int r;

	*out = NULL;
	if (file != NULL && *file != '\0') {
		if ((r = cred_read_file(file, TOKEN_MAX, out, &len)) != 0) {
			log_error("container credentials: cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
			    file, r == -2 ? "larger than 16 KiB" :
			    strerror(errno));
			return EX_CONFIG;
		}
	} else if (env != NULL)
		*out = xstrdup(env);
	if (*out != NULL && strpbrk(*out, "\r\n") != NULL) {
		log_error("container credentials: the authorization token "
		    "(%s) contains a line break", file != NULL && *file != '\0'
		    ? file : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
		cred_wipe(*out);
		*out = NULL;
		return EX_CONFIG;
	}
	return 0;
}

/* One GET: 0 with out filled, else the exit code it would be. */
static int
fetch_once(struct http_client *http, const char *url, const char *token,
    struct credentials *out, char *why, size_t whysize)
{
	struct http_response resp;
	char *hdr[2] = { "Accept: application/json", NULL };
	enum http_failure f;
	int rc;

	if (token != NULL)
		hdr[1] = xasprintf("Authorization: %s", token);
	f = http_request(http, "GET", url, (const char *const *)hdr,
	    token ? 2 : 1, NULL, 0, MAX_BODY, &resp);
	cred_wipe(hdr[1]);
	if (f != HTTP_OK) {
		log_clean(why, whysize, resp.error);
		return f == HTTP_TOO_LARGE ? EX_DATAERR : EX_UNAVAILABLE;
	}
	if (resp.status != 200) {
		snprintf(why, whysize, "answered HTTP %ld", resp.status);
		rc = resp.status == 401 || resp.status == 403 ? EX_NOPERM
		    : EX_UNAVAILABLE;
	} else if (cred_parse_json(resp.body, resp.len, 0, out) != 0) {
		snprintf(why, whysize, "the answer is not credentials JSON");
		rc = EX_DATAERR;
	} else
		rc = 0;
	http_response_free(&resp);
	return rc;
}

static int
fetch(const char *url, const char *ca_bundle, struct credentials *out)
{
	struct http_client *http = http_client_new(ca_bundle, TIMEOUT);
	char why[256] = "", *token = NULL;
	int rc, attempt;

	if (http == NULL)
		return EX_SOFTWARE;
	for (attempt = 1; attempt <= ATTEMPTS; attempt++) {
		if (attempt > 1)
			sleep_seconds(1);
		if ((rc = auth_token(&token)) != 0)
			break;
		rc = fetch_once(http, url, token, out, why, sizeof(why));
		cred_wipe(token);
		token = NULL;
		if (rc == 0 || rc == EX_NOPERM)
			break;
		log_verbose("container credentials: attempt %d of %d: %s",
		    attempt, ATTEMPTS, why);
	}
	http_client_free(http);
	if (rc == 0) {
		out->source = CRED_CONTAINER;
		out->origin = xstrdup(url);
	} else if (rc != EX_CONFIG) {
		if (rc == EX_NOPERM)
			log_error(CRED_AUTH_FAILED);
		log_error("container credentials: %s %s", url, why);
	}
	return rc;
}

int
cred_container_fetch(const char *ca_bundle, struct credentials *out)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char *url;
	int rc;

	memset(out, 0, sizeof(*out));
	if (rel != NULL && *rel != '\0')
		url = xasprintf("%s%s", ECS_HOST, rel);
	else if (full != NULL && *full != '\0') {
		if ((rc = check_full_uri(full)) != 0)
			return rc;
		url = xstrdup(full);
	} else
		return CRED_ABSENT;
	rc = fetch(url, ca_bundle, out);
	free(url);
	return rc;
}
