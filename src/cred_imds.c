/*
 * The EC2 instance role over IMDSv2 only, as botocore's
 * InstanceMetadataFetcher with IMDSv1 disabled: PUT a session token (TTL
 * 21600 s), GET the role name, GET its credentials, each with a one
 * second timeout and two attempts. Off EC2 nothing answers the link-local
 * address, which is CRED_ABSENT; an endpoint named in the environment that
 * does not answer is an error, since someone meant it.
 */
#include "cred_providers.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "config_file.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define IPV4_ENDPOINT	"http://169.254.169.254"
#define IPV6_ENDPOINT	"http://[fd00:ec2::254]"
#define TOKEN_PATH	"/latest/api/token"
#define CREDS_PATH	"/latest/meta-data/iam/security-credentials/"
#define TOKEN_TTL	"21600"
#define TIMEOUT		1
#define ATTEMPTS	2
#define MAX_BODY	(64 * 1024)

struct imds {
	struct http_client *http;
	char *base;		/* without a trailing slash */
	bool explicit;		/* named by the environment */
	char *token;
};

/* The endpoint: 0, or EX_CONFIG after saying why. */
static int
imds_base(struct imds *m)
{
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	size_t n;

	if (ep != NULL && *ep != '\0') {
		if (!config_url_valid(ep)) {
			log_error("AWS_EC2_METADATA_SERVICE_ENDPOINT: invalid "
			    "endpoint url '%s'", ep);
			return EX_CONFIG;
		}
		m->base = xstrdup(ep);
		m->explicit = true;
	} else if (mode == NULL || *mode == '\0' ||
	    strcasecmp(mode, "IPv4") == 0)
		m->base = xstrdup(IPV4_ENDPOINT);
	else if (strcasecmp(mode, "IPv6") == 0) {
		m->base = xstrdup(IPV6_ENDPOINT);
		m->explicit = true;
	} else {
		log_error("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: '%s' is "
		    "neither IPv4 nor IPv6", mode);
		return EX_CONFIG;
	}
	n = strlen(m->base);
	while (n > 0 && m->base[n - 1] == '/')
		m->base[--n] = '\0';
	return 0;
}

/*
 * One request, retried once on a 5xx or a dropped connection. Returns
 * 0 with a 200 in resp; CRED_ABSENT when nothing answered in time at the
 * default endpoint; else an exit code after saying what happened.
 */
static int
imds_request(struct imds *m, const char *method, const char *path,
    struct http_response *resp)
{
	char *url = xasprintf("%s%s", m->base, path), *hdr;
	enum http_failure f = HTTP_OK;
	int attempt;

	hdr = m->token ? xasprintf("X-aws-ec2-metadata-token: %s", m->token)
	    : xstrdup("X-aws-ec2-metadata-token-ttl-seconds: " TOKEN_TTL);
	for (attempt = 1; attempt <= ATTEMPTS; attempt++) {
		f = http_request(m->http, method, url,
		    (const char *const *)&hdr, 1, NULL, 0, MAX_BODY, resp);
		if (f == HTTP_OK && resp->status < 500)
			break;
		/* Only a 5xx or a drop is worth another try. */
		if (f != HTTP_OK && f != HTTP_DROPPED)
			break;
		if (f == HTTP_OK && attempt < ATTEMPTS)
			http_response_free(resp);
	}
	cred_wipe(hdr);
	if (f == HTTP_OK && resp->status == 200) {
		free(url);
		return 0;
	}
	/*
	 * Not on EC2, or (403, 404, 405 to the token PUT) an instance whose
	 * metadata service is off or IMDSv1-only, which we never use: the
	 * chain goes on, as botocore's does.
	 */
	if (!m->explicit && ((f == HTTP_TIMEOUT || f == HTTP_CONNECT) ||
	    (f == HTTP_OK && strcmp(method, "PUT") == 0 &&
	    (resp->status == 403 || resp->status == 404 ||
	    resp->status == 405)))) {
		log_verbose("instance metadata: %s %s: %s (HTTP %ld)", method,
		    url, resp->error, f == HTTP_OK ? resp->status : 0L);
		if (f == HTTP_OK)
			http_response_free(resp);
		free(url);
		return CRED_ABSENT;
	}
	if (f == HTTP_OK && (resp->status == 401 || resp->status == 403 ||
	    resp->status == 404))
		log_error(CRED_AUTH_FAILED);
	if (f != HTTP_OK)
		log_error("instance metadata: %s %s failed: %s", method, url,
		    resp->error);
	else
		log_error("instance metadata: %s %s answered HTTP %ld%s",
		    method, url, resp->status, resp->status == 404 &&
		    m->token != NULL ? ": no IAM role is attached to this "
		    "instance" : "");
	free(url);
	if (f == HTTP_OK) {
		http_response_free(resp);
		if (resp->status == 401 || resp->status == 403 ||
		    resp->status == 404)
			return EX_NOPERM;
	}
	return f == HTTP_TOO_LARGE ? EX_DATAERR : EX_UNAVAILABLE;
}

/* IAM role names: letters, digits and +=,.@_- (at most 64). */
static bool
role_name_valid(const char *s, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-";

	return n > 0 && n <= 64 && strspn(s, ok) == n;
}

static int
imds_role(struct imds *m, char **role)
{
	struct http_response resp;
	size_t n;
	int rc;

	if ((rc = imds_request(m, "GET", CREDS_PATH, &resp)) != 0)
		return rc;
	n = strcspn(resp.body, "\r\n");
	resp.body[n] = '\0';
	if (!role_name_valid(resp.body, n)) {
		log_error("instance metadata: the role name answered is not "
		    "an IAM role name");
		http_response_free(&resp);
		return EX_DATAERR;
	}
	*role = xstrdup(resp.body);
	http_response_free(&resp);
	return 0;
}

static int
imds_credentials(struct imds *m, const char *role, struct credentials *out)
{
	struct http_response resp;
	char *path = xasprintf(CREDS_PATH "%s", role);
	int rc;

	rc = imds_request(m, "GET", path, &resp);
	free(path);
	if (rc != 0)
		return rc;
	if (cred_parse_json(resp.body, resp.len, 0, out) != 0) {
		log_error("instance metadata: the credentials of role %s are "
		    "not credentials JSON", role);
		rc = EX_DATAERR;
	}
	http_response_free(&resp);
	return rc;
}

/* Tokens are base64: printable, no blanks (a captive portal's page is not). */
static bool
token_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 4096)
		return false;
	for (; *t != '\0'; t++)
		if (*t <= ' ' || *t > '~')
			return false;
	return true;
}

static int
imds_fetch(struct imds *m, struct credentials *out)
{
	struct http_response resp;
	char *role = NULL;
	int rc;

	if ((rc = imds_request(m, "PUT", TOKEN_PATH, &resp)) != 0)
		return rc;
	m->token = xstrndup(resp.body, strcspn(resp.body, "\r\n"));
	http_response_free(&resp);
	if (!token_valid(m->token)) {
		log_error("instance metadata: the session token answered is "
		    "not a token");
		return EX_DATAERR;
	}
	if ((rc = imds_role(m, &role)) == 0 &&
	    (rc = imds_credentials(m, role, out)) == 0) {
		out->source = CRED_IMDS;
		out->origin = role;
		role = NULL;
	}
	free(role);
	return rc;
}

int
cred_imds_fetch(struct credentials *out)
{
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	struct imds m = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (off != NULL && strcasecmp(off, "true") == 0)
		return CRED_ABSENT;
	if ((rc = imds_base(&m)) != 0)
		return rc;
	if ((m.http = http_client_new(NULL, TIMEOUT)) == NULL) {
		free(m.base);
		return EX_SOFTWARE;
	}
	rc = imds_fetch(&m, out);
	if (rc != 0)
		credentials_clear(out);
	http_client_free(m.http);
	cred_wipe(m.token);
	free(m.base);
	return rc;
}
