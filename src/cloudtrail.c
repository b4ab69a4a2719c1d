#include "cloudtrail.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "http.h"
#include "log.h"
#include "sigv4.h"
#include "util.h"

#define TARGET \
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define BACKOFF_BASE 0.5	/* seconds before the second attempt */
#define CT_MAX_RATE 100	/* max_requests_per_second's upper bound */
#define BACKOFF_CAP 20.0

struct ct_client {
	struct http_client *http;
	const struct credentials *creds;
	char *region;
	char *url;		/* the endpoint, as given or derived */
	char *host;		/* host[:port], as sent and signed */
	char *path;		/* "/" unless the endpoint has a path */
	int max_attempts;
	double interval;	/* seconds between request starts */
	double next_start;	/* monotonic time the limiter allows next */
	/* When the last `window` requests finished (a ring), for arrivals. */
	double done[CT_MAX_RATE];
	size_t window, ndone;
	double deadline;	/* monotonic; 0: none */
	unsigned long requests;
	const char *endpoint_from;	/* cfg's, for messages */
};

struct ct_client *
ct_client_new(const struct config *cfg, const struct credentials *creds,
    const char *region)
{
	struct ct_client *c = xcalloc(1, sizeof(*c));

	c->creds = creds;
	c->region = xstrdup(region);
	if (cfg->endpoint_url != NULL)
		c->url = xstrdup(cfg->endpoint_url);
	else if (strncmp(region, "cn-", 3) == 0)
		c->url = xasprintf("https://cloudtrail.%s.amazonaws.com.cn", region);
	else
		c->url = xasprintf("https://cloudtrail.%s.amazonaws.com", region);
	if (http_url_split(c->url, &c->host, &c->path) == -1) {
		log_error("invalid endpoint URL '%s'", c->url);
		ct_client_free(c);
		return NULL;
	}
	c->http = http_client_new(cfg->ca_bundle, cfg->timeout);
	if (c->http == NULL) {
		log_error("cannot initialise libcurl");
		ct_client_free(c);
		return NULL;
	}
	c->max_attempts = cfg->max_attempts;
	c->endpoint_from = cfg->endpoint_url != NULL ? cfg->endpoint_from
	    : NULL;
	/*
	 * 2% of slack over 1/rate keeps request arrivals at AWS under the
	 * limit even when one request leaves late and the next on time.
	 */
	c->interval = 1.02 / cfg->max_requests_per_second;
	c->window = cfg->max_requests_per_second >= 1 ?
	    (size_t)cfg->max_requests_per_second : 1;
	if (c->window > CT_MAX_RATE)
		c->window = CT_MAX_RATE;
	return c;
}

void
ct_client_free(struct ct_client *c)
{
	if (c == NULL)
		return;
	http_client_free(c->http);
	free(c->region);
	free(c->url);
	free(c->host);
	free(c->path);
	free(c);
}

void
ct_client_set_deadline(struct ct_client *c, double deadline)
{
	c->deadline = deadline;
	http_client_set_deadline(c->http, deadline);
}

const char *
ct_client_endpoint(const struct ct_client *c)
{
	return c->url;
}

unsigned long
ct_client_requests(const struct ct_client *c)
{
	return c->requests;
}

static char *
request_body(const struct ct_query *q, size_t *len)
{
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "{\"LookupAttributes\":[{\"AttributeKey\":\"EventSource\","
	    "\"AttributeValue\":");
	strbuf_add_json_string(&sb, q->event_source);
	strbuf_addf(&sb, "}],\"StartTime\":%lld,\"EndTime\":%lld,"
	    "\"MaxResults\":%d", (long long)q->start, (long long)q->end,
	    q->max_results);
	if (q->next_token != NULL) {
		strbuf_adds(&sb, ",\"NextToken\":");
		strbuf_add_json_string(&sb, q->next_token);
	}
	strbuf_adds(&sb, "}");
	*len = sb.len;
	return sb.buf;
}

static void
add_header(struct sigv4_header *h, size_t *nh, const char *name,
    const char *value)
{
	h[(*nh)++] = (struct sigv4_header){ .name = name, .value = value };
}

/*
 * Signs and sends one request with k, the credentials current now; the
 * headers live only for this call. Returns -1, sending nothing, when the
 * request cannot be signed.
 */
static int
send_signed(struct ct_client *c, const struct credentials *k,
    const char *body, size_t len, struct http_response *resp,
    enum http_failure *f)
{
	char amzdate[17];
	struct sigv4_header h[5];
	size_t nh = 0;
	struct sigv4_request req = { .method = "POST", .path = c->path,
		.query = "", .headers = h, .payload = body, .payload_len = len };
	struct sigv4_signer s = { .access_key_id = k->access_key_id,
		.secret_access_key = k->secret_access_key,
		.region = c->region, .service = "cloudtrail", .time = time(NULL) };
	char *auth, *lines[6];
	size_t i;

	sigv4_amz_date(s.time, amzdate);
	add_header(h, &nh, "Content-Type", CONTENT_TYPE);
	add_header(h, &nh, "Host", c->host);
	add_header(h, &nh, "X-Amz-Date", amzdate);
	add_header(h, &nh, "X-Amz-Target", TARGET);
	if (k->session_token != NULL)
		add_header(h, &nh, "X-Amz-Security-Token", k->session_token);
	req.nheaders = nh;
	if ((auth = sigv4_authorization(&s, &req)) == NULL)
		return -1;
	for (i = 0; i < nh; i++)
		lines[i] = xasprintf("%s: %s", h[i].name, h[i].value);
	lines[nh] = xasprintf("Authorization: %s", auth);
	*f = http_post(c->http, c->url, (const char *const *)lines, nh + 1,
	    body, len, resp);
	/* The token is a credential: do not leave it in freed memory. */
	for (i = 0; i <= nh; i++) {
		OPENSSL_cleanse(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	free(auth);
	return 0;
}

static void
signing_error(struct ct_error *err)
{
	memset(err, 0, sizeof(*err));
	err->kind = CT_SIGNING;
	snprintf(err->code, sizeof(err->code), "SigningFailed");
	snprintf(err->message, sizeof(err->message),
	    "OpenSSL could not compute the SigV4 signature");
}

/* A refresh that failed has been reported; the request is not sent. */
static void
refresh_error(int rc, struct ct_error *err)
{
	memset(err, 0, sizeof(*err));
	err->kind = rc == EX_UNAVAILABLE ? CT_CONNECT : rc == EX_DATAERR ?
	    CT_MALFORMED : CT_AUTH;
	snprintf(err->code, sizeof(err->code), "CredentialRefreshFailed");
	snprintf(err->message, sizeof(err->message), "the credentials expire "
	    "and could not be fetched again (see above)");
}

/*
 * Spacing departures is not enough: a request slowed on its way arrives
 * next to the one after it. So a request also waits until the one
 * `window` (the rate) before it finished a second ago: AWS received that
 * one before it answered, and this one after it is sent, so no second at
 * AWS ever sees more than the rate, however the network delays them.
 */
static void
wait_for_slot(struct ct_client *c)
{
	double now = monotonic_now(), at = c->next_start;

	if (c->ndone >= c->window && c->done[c->ndone % c->window] + 1.0 > at)
		at = c->done[c->ndone % c->window] + 1.0;
	if (at > now)
		sleep_seconds(at - now);
	now = monotonic_now();
	c->next_start = now + c->interval;
}

static bool
past_deadline(const struct ct_client *c, struct ct_error *err)
{
	if (c->deadline <= 0 || monotonic_now() < c->deadline)
		return false;
	memset(err, 0, sizeof(*err));
	err->kind = CT_DEADLINE;
	snprintf(err->code, sizeof(err->code), "DeadlineExceeded");
	return true;
}

/* Exponential backoff with jitter: half fixed, half random. */
static double
backoff_delay(int attempt)
{
	double d = BACKOFF_BASE;
	uint32_t r = 0;

	for (int i = 1; i < attempt && d < BACKOFF_CAP; i++)
		d *= 2;
	if (d > BACKOFF_CAP)
		d = BACKOFF_CAP;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	return d / 2 + d / 2 * ((double)r / 4294967296.0);
}

void
ct_backoff(int attempt)
{
	sleep_seconds(backoff_delay(attempt));
}

/* The backoff, cut short at the client's deadline. */
static void
backoff(const struct ct_client *c, int attempt)
{
	double d = backoff_delay(attempt);

	if (c->deadline > 0 && monotonic_now() + d > c->deadline)
		d = c->deadline - monotonic_now();
	sleep_seconds(d);
}

void
ct_transport_error(enum http_failure f, const struct http_response *resp,
    struct ct_error *err)
{
	char *after, *ms;

	memset(err, 0, sizeof(*err));
	err->kind = f == HTTP_TOO_LARGE ? CT_MALFORMED : CT_CONNECT;
	snprintf(err->code, sizeof(err->code), "%s",
	    f == HTTP_TIMEOUT ? "Timeout" : f == HTTP_TLS ? "TLSError"
	    : f == HTTP_DROPPED ? "ConnectionDropped"
	    : f == HTTP_TOO_LARGE ? "ResponseTooLarge" : "ConnectionFailed");
	log_clean(err->message, sizeof(err->message), resp->error);
	/* curl's "port 1 after 0 ms: ": the time says nothing to a reader. */
	if ((after = strstr(err->message, " after ")) != NULL &&
	    (ms = strstr(after, " ms: ")) != NULL)
		memmove(after, ms + 3, strlen(ms + 3) + 1);
}

bool
ct_retryable(enum http_failure f, const struct ct_error *err)
{
	if (f == HTTP_TIMEOUT || f == HTTP_DROPPED || f == HTTP_UNREACHABLE)
		return true;
	if (f != HTTP_OK)
		return false;
	return err->kind == CT_THROTTLED || err->http_status >= 500;
}

int
ct_lookup(struct ct_client *c, const struct ct_query *q, struct ct_page *page,
    struct ct_error *err)
{
	size_t len;
	char *body = request_body(q, &len);
	struct http_response resp;
	enum http_failure f;
	int attempt, rc = -1;

	double t0 = monotonic_now();

	memset(page, 0, sizeof(*page));
	for (attempt = 1; attempt <= c->max_attempts; attempt++) {
		struct credentials k;
		int krc;

		if (attempt > 1)
			backoff(c, attempt - 1);
		if (past_deadline(c, err)) {
			err->attempts = attempt - 1;
			break;
		}
		wait_for_slot(c);
		if ((krc = credentials_current(c->creds, &k)) != 0) {
			refresh_error(krc, err);
			err->attempts = attempt;
			break;
		}
		krc = send_signed(c, &k, body, len, &resp, &f);
		c->done[c->ndone++ % c->window] = monotonic_now();
		credentials_clear(&k);
		if (krc == -1) {
			signing_error(err);
			err->attempts = attempt;
			break;
		}
		c->requests++;
		if (f != HTTP_OK)
			ct_transport_error(f, &resp, err);
		else if (resp.status == 200) {
			if (ct_parse_page(resp.body, resp.len, page) == 0)
				rc = 0;
			else {
				memset(err, 0, sizeof(*err));
				err->kind = CT_MALFORMED;
				err->http_status = 200;
				snprintf(err->message, sizeof(err->message),
				    "the response is not a LookupEvents result");
			}
		} else
			ct_classify(resp.status, resp.error_type, resp.body,
			    resp.date, time(NULL), err);
		http_response_free(&resp);
		err->attempts = attempt;
		if (rc == 0 || !ct_retryable(f, err))
			break;
		log_verbose("%s: attempt %d of %d failed: %s%s%s", c->region,
		    attempt, c->max_attempts, err->code,
		    err->message[0] ? ": " : "", err->message);
	}
	if (rc != 0) {
		err->seconds = monotonic_now() - t0;
		snprintf(err->endpoint, sizeof(err->endpoint), "%s", c->url);
		err->endpoint_from = c->endpoint_from;
	}
	free(body);
	return rc;
}

/*
 * Takes a string out of a cJSON item without copying: the item gives up
 * its buffer, so that a page of 50 large CloudTrailEvents is never copied.
 */
static char *
steal_string(cJSON *item)
{
	char *s = item->valuestring;

	item->valuestring = NULL;
	return s;
}

static int
parse_event(cJSON *ev, struct ct_event *out)
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "EventId");
	cJSON *rec = cJSON_GetObjectItemCaseSensitive(ev, "CloudTrailEvent");
	cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "EventTime");

	/* The fields we rely on, and EventTime: a number on the wire. */
	if (!cJSON_IsObject(ev) || !cJSON_IsString(id) ||
	    !cJSON_IsString(rec) || (t != NULL && !cJSON_IsNumber(t)))
		return -1;
	out->event_id = steal_string(id);
	out->cloudtrail_event = steal_string(rec);
	out->cloudtrail_event_len = strlen(out->cloudtrail_event);
	return 0;
}

int
ct_parse_page(const char *body, size_t len, struct ct_page *out)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	cJSON *events, *token, *ev;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(root))
		goto out;
	events = cJSON_GetObjectItemCaseSensitive(root, "Events");
	token = cJSON_GetObjectItemCaseSensitive(root, "NextToken");
	if (!cJSON_IsArray(events) ||
	    (token != NULL && !cJSON_IsString(token) && !cJSON_IsNull(token)))
		goto out;
	out->events = xcalloc((size_t)cJSON_GetArraySize(events) + 1,
	    sizeof(*out->events));
	cJSON_ArrayForEach(ev, events) {
		if (parse_event(ev, &out->events[out->nevents]) == -1)
			goto out;
		out->nevents++;
	}
	if (cJSON_IsString(token) && token->valuestring[0] != '\0')
		out->next_token = steal_string(token);
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		ct_page_free(out);
	return rc;
}

void
ct_page_free(struct ct_page *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nevents; i++) {
		cJSON_free(p->events[i].event_id);
		cJSON_free(p->events[i].cloudtrail_event);
	}
	free(p->events);
	cJSON_free(p->next_token);
	memset(p, 0, sizeof(*p));
}

/* "com.amazon.coral.service#ExpiredTokenException:http://..." -> bare name. */
static void
bare_code(const char *raw, char *out, size_t outsize)
{
	const char *hash = strrchr(raw, '#');
	size_t n;

	if (hash != NULL)
		raw = hash + 1;
	n = strcspn(raw, ":");
	if (n >= outsize)
		n = outsize - 1;
	memcpy(out, raw, n);
	out[n] = '\0';
	log_clean(out, outsize, out);
}

static bool
code_in(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return true;
	return false;
}

static const char *const auth_codes[] = {
	"UnrecognizedClientException", "InvalidSignatureException",
	"SignatureDoesNotMatch", "IncompleteSignatureException",
	"IncompleteSignature", "MissingAuthenticationTokenException",
	"MissingAuthenticationToken", "AccessDeniedException", "AccessDenied",
	"ExpiredTokenException", "ExpiredToken", "InvalidClientTokenId",
	"InvalidAccessKeyId", "NotAuthorized", "UnauthorizedOperation",
	"AuthFailure", "RequestExpired", "OptInRequired",
	/* STS refusing a web identity token: the token's owner must act. */
	"InvalidIdentityToken", "IDPRejectedClaim", NULL
};

static const char *const throttle_codes[] = {
	"ThrottlingException", "Throttling", "ThrottledException",
	"RequestThrottled", "RequestThrottledException",
	"TooManyRequestsException", "RequestLimitExceeded",
	"SlowDown", NULL
};

/* The server's Date against our clock, for a clock-skew message. */
static void
note_skew(const char *date_header, time_t now, struct ct_error *err)
{
	time_t server;

	err->clock_skew = strstr(err->message, "Signature expired") != NULL ||
	    strstr(err->message, "Signature not yet current") != NULL;
	if (!err->clock_skew || date_header == NULL || *date_header == '\0')
		return;
	server = curl_getdate(date_header, NULL);
	if (server != -1)
		err->skew_seconds = (long)(server - now);
}

void
ct_classify(long status, const char *error_type_header, const char *body,
    const char *date_header, time_t now, struct ct_error *err)
{
	cJSON *root = body ? cJSON_Parse(body) : NULL;
	cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "__type");
	cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");

	memset(err, 0, sizeof(*err));
	if (!cJSON_IsString(msg))
		msg = cJSON_GetObjectItemCaseSensitive(root, "Message");
	if (cJSON_IsString(type))
		bare_code(type->valuestring, err->code, sizeof(err->code));
	else if (error_type_header != NULL && *error_type_header != '\0')
		bare_code(error_type_header, err->code, sizeof(err->code));
	if (cJSON_IsString(msg))
		log_clean(err->message, sizeof(err->message), msg->valuestring);
	cJSON_Delete(root);
	ct_classify_code(status, date_header, now, err);
}

void
ct_classify_code(long status, const char *date_header, time_t now,
    struct ct_error *err)
{
	err->http_status = status;
	if (code_in(err->code, throttle_codes) || status == 429)
		err->kind = CT_THROTTLED;
	else if (code_in(err->code, auth_codes) || status == 401 ||
	    status == 403)
		err->kind = CT_AUTH;
	else if (status >= 500)
		err->kind = CT_CONNECT;
	else if (err->code[0] != '\0')
		err->kind = CT_REQUEST;
	else	/* no AWS error at all: this endpoint is not CloudTrail */
		err->kind = CT_CONNECT;
	if (err->code[0] == '\0')
		snprintf(err->code, sizeof(err->code), "HTTP %ld", status);
	if (err->kind == CT_AUTH)
		note_skew(date_header, now, err);
}

int
ct_exit_code(enum ct_error_kind kind)
{
	switch (kind) {
	case CT_OK: return 0;
	case CT_AUTH: return EX_NOPERM;
	case CT_CONNECT: return EX_UNAVAILABLE;
	case CT_THROTTLED: return EX_TEMPFAIL;
	case CT_MALFORMED: return EX_DATAERR;
	case CT_REQUEST: return EX_DATAERR;
	case CT_SIGNING: return EX_SOFTWARE;
	case CT_LOCAL: return EX_IOERR;
	case CT_DEADLINE: return EX_TEMPFAIL;
	}
	return EX_SOFTWARE;
}
