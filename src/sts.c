/*
 * STS calls over the Query protocol (see sts.h): a form-encoded POST to
 * the regional endpoint, signed for service "sts" unless the action is
 * AssumeRoleWithWebIdentity, retried as CloudTrail requests are. The
 * request body of AssumeRoleWithWebIdentity holds the token and every
 * answer holds keys: both are wiped after use.
 */
#include "sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config_file.h"
#include "http.h"
#include "log.h"
#include "sigv4.h"
#include "util.h"

#define STS_VERSION	"2011-06-15"
#define CONTENT_TYPE	"application/x-www-form-urlencoded; charset=utf-8"
#define DEFAULT_SESSION	"bedrock-trail"

struct sts_call {
	const struct sts_target *t;
	const struct credentials *creds;	/* NULL: unsigned */
	const char *action;
	char *url, *host, *path;
	struct http_client *http;
};

/* A request that cannot be sent as configured: what, then the value. */
static int
config_error(struct ct_error *err, const char *what, const char *value)
{
	char clean[128];

	memset(err, 0, sizeof(*err));
	err->kind = CT_REQUEST;
	snprintf(err->code, sizeof(err->code), "InvalidParameter");
	snprintf(err->message, sizeof(err->message), "%s '%s'", what,
	    log_clean(clean, sizeof(clean), value));
	return -1;
}

/* The endpoint: the target's, the environment's, else the region's. */
static int
sts_url(const struct sts_target *t, char **url, struct ct_error *err)
{
	static const char *const vars[] = {
		"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"
	};
	const char *v = t->endpoint_url;

	for (size_t i = 0; v == NULL && i < 2; i++) {
		v = getenv(vars[i]);
		if (v != NULL && *v == '\0')
			v = NULL;
		if (v != NULL && !config_url_valid(v))
			return config_error(err, i == 0 ?
			    "AWS_ENDPOINT_URL_STS: invalid endpoint url" :
			    "AWS_ENDPOINT_URL: invalid endpoint url", v);
	}
	if (v != NULL)
		*url = xstrdup(v);
	else if (t->region == NULL || !config_region_valid(t->region))
		return config_error(err, "invalid region for STS",
		    t->region ? t->region : "");
	else if (strncmp(t->region, "cn-", 3) == 0)
		*url = xasprintf("https://sts.%s.amazonaws.com.cn", t->region);
	else
		*url = xasprintf("https://sts.%s.amazonaws.com", t->region);
	return 0;
}

/* Appends "&name=value", the value form-encoded. */
static void
add_param(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_addf(sb, "&%s=", name);
	sigv4_uri_encode(sb, value, strlen(value));
}

static void
add_role_params(struct strbuf *sb, const struct sts_assume_role *r)
{
	add_param(sb, "RoleArn", r->role_arn);
	add_param(sb, "RoleSessionName",
	    r->session_name ? r->session_name : DEFAULT_SESSION);
	if (r->external_id != NULL)
		add_param(sb, "ExternalId", r->external_id);
	if (r->duration_seconds > 0)
		strbuf_addf(sb, "&DurationSeconds=%d", r->duration_seconds);
}

/* Sends the body once; signed with c->creds when there are any. */
static enum http_failure
sts_send(struct sts_call *c, const struct strbuf *body,
    struct http_response *resp)
{
	char amzdate[17], *auth = NULL, *lines[6];
	struct sigv4_header h[4];
	size_t nh = 0, i;
	enum http_failure f;

	h[nh++] = (struct sigv4_header){ "Content-Type", CONTENT_TYPE };
	h[nh++] = (struct sigv4_header){ "Host", c->host };
	if (c->creds != NULL) {
		struct sigv4_request req = { "POST", c->path, "", h, 0,
			body->buf, body->len };
		struct sigv4_signer s = { c->creds->access_key_id,
			c->creds->secret_access_key, c->t->region, "sts",
			time(NULL) };

		sigv4_amz_date(s.time, amzdate);
		h[nh++] = (struct sigv4_header){ "X-Amz-Date", amzdate };
		if (c->creds->session_token != NULL)
			h[nh++] = (struct sigv4_header){ "X-Amz-Security-Token",
				c->creds->session_token };
		req.nheaders = nh;
		auth = sigv4_authorization(&s, &req);
	}
	for (i = 0; i < nh; i++)
		lines[i] = xasprintf("%s: %s", h[i].name, h[i].value);
	if (auth != NULL)
		lines[nh++] = xasprintf("Authorization: %s", auth);
	f = http_request(c->http, "POST", c->url, (const char *const *)lines,
	    nh, body->buf, body->len, STS_MAX_BODY, resp);
	for (i = 0; i < nh; i++) {
		OPENSSL_cleanse(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	free(auth);
	return f;
}

/* An answer other than 2xx: STS's error, or what the status says. */
static void
sts_failure(const struct http_response *resp, struct ct_error *err)
{
	if (sts_parse_error(resp->body, resp->len, err) == 0 ||
	    strcmp(err->code, "NotSTS") != 0) {
		if (err->kind != CT_MALFORMED)
			ct_classify_code(resp->status, resp->date, time(NULL),
			    err);
		err->http_status = resp->status;
		return;
	}
	/* Not STS's words at all (a proxy, a load balancer): the status. */
	memset(err, 0, sizeof(*err));
	ct_classify_code(resp->status, resp->date, time(NULL), err);
}

/* Sends with retries; 0 with resp holding a 2xx answer, else -1. */
static int
sts_exchange(struct sts_call *c, const struct strbuf *body,
    struct http_response *resp, struct ct_error *err)
{
	int attempts = c->t->max_attempts > 0 ? c->t->max_attempts : 1;
	enum http_failure f;

	for (int attempt = 1; attempt <= attempts; attempt++) {
		if (attempt > 1)
			ct_backoff(attempt - 1);
		f = sts_send(c, body, resp);
		if (f == HTTP_OK && resp->status / 100 == 2)
			return 0;
		if (f != HTTP_OK)
			ct_transport_error(f, resp, err);
		else
			sts_failure(resp, err);
		http_response_free(resp);
		err->attempts = attempt;
		if (!ct_retryable(f, err))
			break;
		log_verbose("sts: %s attempt %d of %d failed: %s%s%s",
		    c->action, attempt, attempts, err->code,
		    err->message[0] ? ": " : "", err->message);
	}
	return -1;
}

/*
 * One action: builds the body from params (already "&name=value..."),
 * exchanges it and hands a 2xx body to parse. The body is wiped.
 */
static int
sts_run(const struct sts_target *t, const struct credentials *creds,
    const char *action, struct strbuf *params, struct http_response *resp,
    struct ct_error *err)
{
	struct sts_call c = { t, creds, action, NULL, NULL, NULL, NULL };
	struct strbuf body = { 0 };
	int rc = -1;

	memset(err, 0, sizeof(*err));
	memset(resp, 0, sizeof(*resp));
	if (sts_url(t, &c.url, err) == -1)
		goto out;
	if (http_url_split(c.url, &c.host, &c.path) == -1) {
		config_error(err, "invalid STS endpoint url", c.url);
		goto out;
	}
	c.http = http_client_new(t->ca_bundle, t->timeout > 0 ? t->timeout : 30);
	if (c.http == NULL) {
		config_error(err, "cannot initialise libcurl for", c.url);
		goto out;
	}
	strbuf_addf(&body, "Action=%s&Version=" STS_VERSION, action);
	strbuf_add(&body, params->buf ? params->buf : "", params->len);
	log_verbose("sts: %s at %s", action, c.url);
	rc = sts_exchange(&c, &body, resp, err);
out:
	strbuf_free(&body);
	http_client_free(c.http);
	free(c.url);
	free(c.host);
	free(c.path);
	return rc;
}

int
sts_assume_role(const struct sts_target *t, const struct credentials *base,
    const struct sts_assume_role *r, struct credentials *out,
    struct ct_error *err)
{
	struct strbuf params = { 0 };
	struct http_response resp;
	int rc;

	memset(out, 0, sizeof(*out));
	add_role_params(&params, r);
	rc = sts_run(t, base, "AssumeRole", &params, &resp, err);
	if (rc == 0)
		rc = sts_parse_credentials(resp.body, resp.len,
		    "AssumeRoleResult", out, err);
	http_response_free(&resp);
	strbuf_free(&params);
	return rc;
}

int
sts_assume_role_with_web_identity(const struct sts_target *t,
    const struct sts_assume_role *r, const char *token,
    struct credentials *out, struct ct_error *err)
{
	struct strbuf params = { 0 };
	struct http_response resp;
	int rc;

	memset(out, 0, sizeof(*out));
	add_role_params(&params, r);
	add_param(&params, "WebIdentityToken", token);
	rc = sts_run(t, NULL, "AssumeRoleWithWebIdentity", &params, &resp,
	    err);
	if (rc == 0)
		rc = sts_parse_credentials(resp.body, resp.len,
		    "AssumeRoleWithWebIdentityResult", out, err);
	http_response_free(&resp);
	strbuf_free(&params);
	return rc;
}

int
sts_get_caller_identity(const struct sts_target *t,
    const struct credentials *creds, char **account, char **arn,
    struct ct_error *err)
{
	struct strbuf params = { 0 };
	struct http_response resp;
	int rc;

	*account = *arn = NULL;
	rc = sts_run(t, creds, "GetCallerIdentity", &params, &resp, err);
	if (rc == 0)
		rc = sts_parse_caller_identity(resp.body, resp.len, account,
		    arn, err);
	http_response_free(&resp);
	return rc;
}
