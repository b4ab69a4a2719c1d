#include "http.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util.h"

struct http_client {
	CURL *curl;
	char *ca_bundle;
	long timeout;
	double deadline;	/* monotonic; 0: none */
};

/* The body being received, with the cap that keeps a hostile server small. */
struct body {
	struct strbuf sb;
	size_t max;
	int too_large;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > b->max - b->sb.len) {
		b->too_large = 1;
		return 0;	/* makes curl stop with CURLE_WRITE_ERROR */
	}
	strbuf_add(&b->sb, data, n);
	return n;
}

/* Keeps the two headers we use: the AWS error type and the server's Date. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response *resp = arg;
	size_t n = size * nmemb, namelen;
	const char *colon = memchr(data, ':', n);
	char *dst;
	size_t dstsize, vlen;

	if (colon == NULL)
		return n;
	namelen = (size_t)(colon - data);
	if (namelen == 16 && strncasecmp(data, "x-amzn-ErrorType", 16) == 0) {
		dst = resp->error_type;
		dstsize = sizeof(resp->error_type);
	} else if (namelen == 4 && strncasecmp(data, "Date", 4) == 0) {
		dst = resp->date;
		dstsize = sizeof(resp->date);
	} else
		return n;
	colon++;
	vlen = n - (size_t)(colon - data);
	while (vlen > 0 && (*colon == ' ' || *colon == '\t'))
		colon++, vlen--;
	while (vlen > 0 && (colon[vlen - 1] == '\r' || colon[vlen - 1] == '\n' ||
	    colon[vlen - 1] == ' '))
		vlen--;
	if (vlen >= dstsize)
		vlen = dstsize - 1;
	memcpy(dst, colon, vlen);
	dst[vlen] = '\0';
	return n;
}

/*
 * --ca-bundle adds trust rather than replacing it: the bundle's
 * certificates join the system store that curl has already loaded.
 */
static CURLcode
add_ca_bundle(CURL *curl, void *sslctx, void *arg)
{
	X509_STORE *store = SSL_CTX_get_cert_store(sslctx);

	(void)curl;
	if (X509_STORE_load_file(store, arg) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

/*
 * libcurl's memory, wiped before it is freed: it copies the request
 * headers, the session token among them, into buffers of its own.
 */
static void
http_wiping_free(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void *
http_wiping_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	old = malloc_usable_size(p);
	if ((q = malloc(n ? n : 1)) == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	http_wiping_free(p);
	return q;
}

int
http_global_init(void)
{
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc,
	    http_wiping_free, http_wiping_realloc, strdup,
	    calloc) == CURLE_OK ? 0 : -1;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* The header list holds the token: wiped, whatever curl's allocator. */
static void
http_headers_free(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

struct http_client *
http_client_new(const char *ca_bundle, long timeout)
{
	struct http_client *c = xcalloc(1, sizeof(*c));

	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return NULL;
	}
	c->ca_bundle = ca_bundle ? xstrdup(ca_bundle) : NULL;
	c->timeout = timeout;
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->ca_bundle);
	free(c);
}

void
http_client_set_deadline(struct http_client *c, double deadline)
{
	c->deadline = deadline;
}

/* The request's time limit in ms: the timeout, or less before a deadline. */
static long
time_limit_ms(const struct http_client *c)
{
	long ms = c->timeout * 1000;
	double left;

	if (c->deadline > 0) {
		left = (c->deadline - monotonic_now()) * 1000;
		if (left < (double)ms)
			ms = left < 1 ? 1 : (long)left;
	}
	return ms;
}

static void
set_options(struct http_client *c, struct body *b, struct http_response *resp)
{
	CURL *curl = c->curl;
	long limit = time_limit_ms(c);
	long connect_timeout = limit < 30000 ? limit : 30000;

	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->ca_bundle != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, add_ca_bundle);
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, c->ca_bundle);
	}
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, limit);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	/*
	 * A LookupEvents page of 50 events is about 75 KiB: read it in one
	 * recv(2) rather than five of curl's default 16 KiB.
	 */
	curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 128L << 10);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bedrock-trail/" VERSION);
}

static enum http_failure
classify(CURLcode rc, const struct body *b)
{
	switch (rc) {
	case CURLE_OK:
		return HTTP_OK;
	/*
	 * A resolver or a network that is not up yet at 07:00 is transient,
	 * as the AWS SDKs treat it: retried like a timeout.
	 */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTP_UNREACHABLE;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTP_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return HTTP_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		return b->too_large ? HTTP_TOO_LARGE : HTTP_OTHER;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return HTTP_DROPPED;
	default:
		return HTTP_OTHER;
	}
}

/* Sets the method and the body to send, if any. */
static void
set_method(CURL *curl, const char *method, const char *body, size_t len)
{
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
		return;
	}
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)(body != NULL ? len : 0));
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
}

static void
describe_failure(enum http_failure f, CURLcode rc, const char *errbuf,
    size_t max, struct http_response *resp)
{
	if (f == HTTP_TOO_LARGE && max % (1024 * 1024) == 0)
		snprintf(resp->error, sizeof(resp->error),
		    "response body larger than %zu MiB", max / (1024 * 1024));
	else if (f == HTTP_TOO_LARGE)
		snprintf(resp->error, sizeof(resp->error),
		    "response body larger than %zu KiB", max / 1024);
	else
		snprintf(resp->error, sizeof(resp->error), "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
}

enum http_failure
http_request(struct http_client *c, const char *method, const char *url,
    const char *const *headers, size_t nheaders, const char *body,
    size_t body_len, size_t max_body, struct http_response *resp)
{
	struct curl_slist *list = NULL;
	struct body b = { { 0 }, max_body ? max_body : HTTP_MAX_BODY, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	enum http_failure f;
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	for (size_t i = 0; i < nheaders; i++)
		list = curl_slist_append(list, headers[i]);
	/* curl would otherwise send "Expect: 100-continue" on large bodies. */
	list = curl_slist_append(list, "Expect:");

	curl_easy_reset(c->curl);
	set_options(c, &b, resp);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, list);
	set_method(c->curl, method, body, body_len);

	rc = curl_easy_perform(c->curl);
	http_headers_free(list);
	f = classify(rc, &b);
	if (f != HTTP_OK) {
		describe_failure(f, rc, errbuf, b.max, resp);
		strbuf_free(&b.sb);
		return f;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (b.sb.buf == NULL)
		strbuf_add(&b.sb, "", 0);
	resp->body = b.sb.buf;
	resp->len = b.sb.len;
	return HTTP_OK;
}

enum http_failure
http_post(struct http_client *c, const char *url, const char *const *headers,
    size_t nheaders, const char *body, size_t body_len,
    struct http_response *resp)
{
	return http_request(c, "POST", url, headers, nheaders, body, body_len,
	    0, resp);
}

/*
 * The body may have been credentials (STS, IMDS, a container endpoint):
 * wipe it, as every other copy of a secret is.
 */
void
http_response_free(struct http_response *resp)
{
	if (resp == NULL)
		return;
	if (resp->body != NULL)
		OPENSSL_cleanse(resp->body, resp->len);
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

int
http_url_split(const char *url, char **hostp, char **pathp)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	int rc = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	*hostp = port ? xasprintf("%s:%s", host, port) : xstrdup(host);
	*pathp = xstrdup(path && *path ? path : "/");
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}
