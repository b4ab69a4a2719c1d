/*
 * One HTTPS request over libcurl: TLS always verified (1.2 or later), an
 * optional extra CA bundle, proxies from the environment, a timeout, and a
 * cap on the response body. No retries here: cloudtrail.c decides.
 *
 * Functions return an enum http_failure (HTTP_OK or what failed, with
 * curl's words in the response), 0 or -1, or a pointer or NULL; they
 * report nothing themselves.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#define HTTP_MAX_BODY (16u * 1024 * 1024)

enum http_failure {
	HTTP_OK,
	HTTP_CONNECT,	/* bad URL or protocol: never retried */
	HTTP_TLS,	/* handshake or certificate: never retried */
	HTTP_TIMEOUT,	/* retryable */
	HTTP_DROPPED,	/* connection closed early, short body: retryable */
	HTTP_TOO_LARGE,	/* body over HTTP_MAX_BODY: a malformed response */
	HTTP_OTHER,
	HTTP_UNREACHABLE, /* DNS failure, connection refused: retryable */
};

struct http_client;

/*
 * curl_global_init, once, before any thread starts, with an allocator that
 * wipes what libcurl frees (it keeps copies of the request headers).
 * Returns 0, or -1.
 */
int http_global_init(void);
void http_global_cleanup(void);

struct http_response {
	long status;
	char *body;		/* NUL-terminated, owned */
	size_t len;
	char error_type[128];	/* x-amzn-ErrorType header, "" if none */
	char date[64];		/* Date header, "" if none */
	char error[256];	/* curl's words when failure != HTTP_OK */
};

/* ca_bundle may be NULL. timeout in seconds. Returns NULL on failure. */
struct http_client *http_client_new(const char *ca_bundle, long timeout);
void http_client_free(struct http_client *);
/* A monotonic_now() time that no request may run past; 0: none. */
void http_client_set_deadline(struct http_client *, double deadline);

/*
 * POSTs body to url with headers ("Name: value"). Reuses the connection.
 * Returns the failure kind; resp is filled for HTTP_OK (any status).
 */
enum http_failure http_post(struct http_client *, const char *url,
    const char *const *headers, size_t nheaders, const char *body,
    size_t body_len, struct http_response *resp);

/*
 * The same for any method ("GET", "PUT", "POST"; body may be NULL) with
 * its own cap on the body (0: HTTP_MAX_BODY), for STS and the credential
 * endpoints.
 */
enum http_failure http_request(struct http_client *, const char *method,
    const char *url, const char *const *headers, size_t nheaders,
    const char *body, size_t body_len, size_t max_body,
    struct http_response *resp);

/* Wipes the body (it may hold credentials) and frees it. */
void http_response_free(struct http_response *);

/*
 * Splits url with libcurl's parser into host[:port] (as sent and signed)
 * and path ("/" when empty); both malloc'd. Returns 0, or -1 if url does
 * not parse.
 */
int http_url_split(const char *url, char **host, char **path);

#endif
