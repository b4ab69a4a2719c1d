#include "organizations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/crypto.h>

#include "http.h"
#include "log.h"
#include "sigv4.h"
#include "strset.h"
#include "util.h"

#define TARGET		"AWSOrganizationsV20161128.ListAccounts"
#define CONTENT_TYPE	"application/x-amz-json-1.1"
#define ORG_MAX_BODY	(4u * 1024 * 1024)

struct org_client {
	struct http_client *http;
	const struct credentials *creds;
	const char *region;	/* the signing region */
	char *url, *host, *path;
	int max_attempts;
};

/* The partition's endpoint and signing region, unless the environment says. */
static int
org_endpoint(struct org_client *c, const char *partition)
{
	const char *env = getenv("AWS_ENDPOINT_URL_ORGANIZATIONS");

	c->region = strcmp(partition, "aws-cn") == 0 ? "cn-northwest-1" :
	    strcmp(partition, "aws-us-gov") == 0 ? "us-gov-west-1" : "us-east-1";
	if (env == NULL || *env == '\0')
		env = getenv("AWS_ENDPOINT_URL");
	if (env != NULL && *env != '\0')
		c->url = xstrdup(env);
	else
		c->url = xasprintf("https://organizations.%s.amazonaws.com%s",
		    c->region, strcmp(partition, "aws-cn") == 0 ? ".cn" : "");
	return http_url_split(c->url, &c->host, &c->path);
}

static enum http_failure
org_send(struct org_client *c, const char *body, struct http_response *resp)
{
	struct sigv4_header h[5];
	size_t nh = 0, len = strlen(body), i;
	struct sigv4_request req = { "POST", c->path, "", h, 0, body, len };
	struct sigv4_signer s = { c->creds->access_key_id,
		c->creds->secret_access_key, c->region, "organizations",
		time(NULL) };
	char amzdate[17], *auth, *lines[6];
	enum http_failure f;

	sigv4_amz_date(s.time, amzdate);
	h[nh++] = (struct sigv4_header){ "Content-Type", CONTENT_TYPE };
	h[nh++] = (struct sigv4_header){ "Host", c->host };
	h[nh++] = (struct sigv4_header){ "X-Amz-Date", amzdate };
	h[nh++] = (struct sigv4_header){ "X-Amz-Target", TARGET };
	if (c->creds->session_token != NULL)
		h[nh++] = (struct sigv4_header){ "X-Amz-Security-Token",
			c->creds->session_token };
	req.nheaders = nh;
	if ((auth = sigv4_authorization(&s, &req)) == NULL)
		return HTTP_OTHER;
	for (i = 0; i < nh; i++)
		lines[i] = xasprintf("%s: %s", h[i].name, h[i].value);
	lines[nh] = xasprintf("Authorization: %s", auth);
	f = http_request(c->http, "POST", c->url, (const char *const *)lines,
	    nh + 1, body, len, ORG_MAX_BODY, resp);
	for (i = 0; i <= nh; i++) {
		OPENSSL_cleanse(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	free(auth);
	return f;
}

/* One page, retried on throttling, 5xx, timeouts and drops. */
static int
org_page(struct org_client *c, const char *body, struct org_accounts *out,
    char **next, struct ct_error *err)
{
	struct http_response resp;
	enum http_failure f;
	int rc = -1;

	for (int attempt = 1; attempt <= c->max_attempts && rc == -1;
	    attempt++) {
		if (attempt > 1)
			ct_backoff(attempt - 1);
		memset(err, 0, sizeof(*err));
		f = org_send(c, body, &resp);
		if (f != HTTP_OK)
			ct_transport_error(f, &resp, err);
		else if (resp.status == 200) {
			if (org_parse_page(resp.body, resp.len, out, next) == 0)
				rc = 0;
			else {
				err->kind = CT_MALFORMED;
				snprintf(err->message, sizeof(err->message),
				    "the response is not a ListAccounts result");
			}
		} else
			ct_classify(resp.status, resp.error_type, resp.body,
			    resp.date, time(NULL), err);
		http_response_free(&resp);
		err->attempts = attempt;
		if (rc == 0 || !ct_retryable(f, err))
			break;
		log_verbose("organizations: attempt %d of %d failed: %s",
		    attempt, c->max_attempts, err->code);
	}
	return rc;
}

int
org_list_accounts(const struct config *cfg, const char *partition,
    const struct credentials *creds, struct org_accounts *out,
    struct ct_error *err)
{
	struct org_client c = { 0 };
	struct strset tokens = { 0 };
	struct strbuf body = { 0 };
	char *token = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	c.creds = creds;
	c.max_attempts = cfg->max_attempts;
	if (org_endpoint(&c, partition) == -1 ||
	    (c.http = http_client_new(cfg->ca_bundle, cfg->timeout)) == NULL) {
		memset(err, 0, sizeof(*err));
		err->kind = CT_CONNECT;
		snprintf(err->code, sizeof(err->code), "BadEndpoint");
		snprintf(err->message, sizeof(err->message), "cannot set up "
		    "a client for %s", c.url ? c.url : "Organizations");
		goto out;
	}
	/* Pages may be empty with a NextToken: only its absence ends. */
	do {
		strbuf_reset(&body);
		strbuf_adds(&body, "{\"MaxResults\":20");
		if (token != NULL) {
			strbuf_adds(&body, ",\"NextToken\":");
			strbuf_add_json_string(&body, token);
		}
		strbuf_adds(&body, "}");
		free(token);
		token = NULL;
		if (org_page(&c, body.buf, out, &token, err) == -1)
			goto out;
		if (token != NULL && !strset_add(&tokens, token, 0)) {
			memset(err, 0, sizeof(*err));
			err->kind = CT_MALFORMED;
			snprintf(err->code, sizeof(err->code), "RepeatedNextToken");
			snprintf(err->message, sizeof(err->message), "ListAccounts "
			    "returned a NextToken it had returned before");
			goto out;
		}
	} while (token != NULL);
	rc = 0;
out:
	if (rc != 0)
		org_accounts_free(out);
	free(token);
	strset_free(&tokens);
	strbuf_free(&body);
	http_client_free(c.http);
	free(c.url);
	free(c.host);
	free(c.path);
	return rc;
}

static const char *
str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
org_parse_page(const char *body, size_t len, struct org_accounts *out,
    char **next_token)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "Accounts");
	const cJSON *a, *tok = cJSON_GetObjectItemCaseSensitive(root,
	    "NextToken");
	const char *id, *status;
	int rc = -1;

	*next_token = NULL;
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list) ||
	    (tok != NULL && !cJSON_IsNull(tok) && !cJSON_IsString(tok)))
		goto out;
	cJSON_ArrayForEach(a, list) {
		id = str(a, "Id");
		status = str(a, "Status");
		if (id == NULL || strlen(id) != 12 ||
		    strspn(id, "0123456789") != 12 || status == NULL)
			goto out;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n].id = xstrdup(id);
		out->v[out->n].name = str(a, "Name") ?
		    xstrdup(str(a, "Name")) : NULL;
		out->v[out->n++].status = xstrdup(status);
	}
	if (cJSON_IsString(tok) && tok->valuestring[0] != '\0')
		*next_token = xstrdup(tok->valuestring);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

void
org_accounts_free(struct org_accounts *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].id);
		free(a->v[i].name);
		free(a->v[i].status);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}
