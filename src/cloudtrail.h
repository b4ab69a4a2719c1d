/*
 * CloudTrail LookupEvents over http.c and sigv4.c: one region's client with
 * its rate limiter and retries, the request body, the response parsed into
 * our own structs, and every AWS error classified (SPEC section 5).
 *
 * Functions return 0, or -1 with a struct ct_error filled for the caller
 * to report (or a pointer, or NULL after reporting); ct_exit_code is where
 * an error kind becomes a sysexits(3) code.
 */
#ifndef CLOUDTRAIL_H
#define CLOUDTRAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "credentials.h"
#include "http.h"

enum ct_error_kind {
	CT_OK,
	CT_AUTH,	/* 77: invalid key, signature, expired token, denied */
	CT_CONNECT,	/* 69: DNS, TCP, TLS, timeout, 5xx after retries */
	CT_THROTTLED,	/* 75: throttled beyond max_attempts */
	CT_MALFORMED,	/* 65: not what LookupEvents returns */
	CT_REQUEST,	/* 65: another AWS error (InvalidTimeRange...) */
	CT_SIGNING,	/* 70: OpenSSL could not sign: nothing was sent */
	CT_LOCAL,	/* 74: a local file (the spool) failed, reported */
	CT_DEADLINE,	/* 75: the run's deadline came first */
};

struct ct_error {
	enum ct_error_kind kind;
	long http_status;	/* 0 when no response */
	char code[128];		/* "ExpiredTokenException", bare */
	char message[512];	/* AWS's message, control characters removed */
	bool clock_skew;	/* "Signature expired" / "not yet current" */
	long skew_seconds;	/* server Date - local time, when known */
	int attempts;
	double seconds;		/* from the first attempt to giving up */
	char endpoint[256];	/* the URL, for transport errors */
	const char *endpoint_from; /* "AWS_ENDPOINT_URL_CLOUDTRAIL"...; NULL:
				      derived from the region */
};

struct ct_query {
	const char *event_source;	/* the EventSource lookup attribute */
	time_t start, end;
	int max_results;		/* 1..50 */
	const char *next_token;		/* NULL on the first page */
};

struct ct_event {
	char *event_id;
	char *cloudtrail_event;	/* the record, a JSON text */
	size_t cloudtrail_event_len;
};

struct ct_page {
	struct ct_event *events;
	size_t nevents;
	char *next_token;	/* NULL on the last page */
};

struct ct_client;

/* Returns NULL (reported) when the client cannot be set up. */
struct ct_client *ct_client_new(const struct config *cfg,
    const struct credentials *creds, const char *region);
void ct_client_free(struct ct_client *);

/*
 * A monotonic_now() time after which ct_lookup sends nothing more and
 * fails with CT_DEADLINE; a request under way is cut off then. 0: none.
 */
void ct_client_set_deadline(struct ct_client *, double deadline);

/* The endpoint in use, for messages: "https://cloudtrail.us-east-1..." */
const char *ct_client_endpoint(const struct ct_client *);
/* Requests sent so far, retries included. */
unsigned long ct_client_requests(const struct ct_client *);

/*
 * One LookupEvents page, rate limited and retried (throttling, 5xx,
 * timeouts, dropped connections) up to max_attempts. Returns 0, or -1 with
 * err filled. Logs nothing but -v detail: the caller reports err.
 */
int ct_lookup(struct ct_client *, const struct ct_query *, struct ct_page *,
    struct ct_error *err);

void ct_page_free(struct ct_page *);

/* Parses a LookupEvents response body (exposed for tests and fuzzing). */
int ct_parse_page(const char *body, size_t len, struct ct_page *out);

/* Classifies an error response (exposed for tests). */
void ct_classify(long status, const char *error_type_header,
    const char *body, const char *date_header, time_t now,
    struct ct_error *err);

/*
 * Classifies err by its code (already bare) and status, as ct_classify
 * does; for other AWS services whose errors have the same meaning (STS).
 */
void ct_classify_code(long status, const char *date_header, time_t now,
    struct ct_error *err);

/*
 * The retry policy, shared with sts.c: a transport failure as an error,
 * whether a failure is worth another attempt (throttling, 5xx, timeouts,
 * drops), and the backoff before attempt + 1.
 */
void ct_transport_error(enum http_failure, const struct http_response *,
    struct ct_error *err);
bool ct_retryable(enum http_failure, const struct ct_error *err);
void ct_backoff(int attempt);

/* The sysexits(3) code for an error kind. */
int ct_exit_code(enum ct_error_kind);

/*
 * Reports err for region on stderr: the first line SPEC section 5 gives
 * for its kind, then the AWS code and message, then with hints the
 * troubleshooting steps that match.
 */
void ct_report_error(const char *region, const struct ct_error *err,
    bool hints);

#endif
