/*
 * AWS Signature Version 4, as a pure function of its inputs: no clock, no
 * I/O. Three stages, each callable from a test (as in aws-c-auth):
 * canonical request, string to sign, authorization header.
 *
 * Functions return a malloc'd string, or NULL after reporting that
 * OpenSSL failed.
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

struct sigv4_header {
	const char *name;	/* any case; lower-cased for signing */
	const char *value;	/* trimmed, inner spaces folded for signing */
};

/*
 * The request as sent. The signer adds no header: the caller includes
 * Host, X-Amz-Date (sigv4_amz_date of the signer's time) and, with a
 * session token, X-Amz-Security-Token, and sends exactly these.
 */
struct sigv4_request {
	const char *method;		/* "POST" */
	/*
	 * "/", as on the wire (already URI-encoded once). Signed the non-S3
	 * way: dot segments and empty segments removed, each segment
	 * URI-encoded again.
	 */
	const char *path;
	/*
	 * "" or "a=b&c=d" in any order, names and values not yet
	 * URI-encoded: the signer encodes and sorts them.
	 */
	const char *query;
	const struct sigv4_header *headers;	/* all headers to sign */
	size_t nheaders;
	const void *payload;
	size_t payload_len;
};

struct sigv4_signer {
	const char *access_key_id;
	const char *secret_access_key;
	const char *region;
	const char *service;		/* "cloudtrail" */
	time_t time;			/* the request time, UTC */
};

/*
 * Each returns a malloc'd string the caller frees, or NULL (reported) if
 * OpenSSL fails. The canonical request holds every header value, the
 * session token too: wipe it before freeing it.
 */
char *sigv4_canonical_request(const struct sigv4_request *);
char *sigv4_string_to_sign(const struct sigv4_signer *,
    const char *canonical_request);
/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." */
char *sigv4_authorization(const struct sigv4_signer *,
    const struct sigv4_request *);

/*
 * Appends len bytes of s URI-encoded as SigV4 wants (RFC 3986: all but
 * A-Z a-z 0-9 - _ . ~ as upper-case %XX), which is also what a
 * form-encoded Query protocol body accepts.
 */
struct strbuf;
void sigv4_uri_encode(struct strbuf *, const char *s, size_t len);

/* "20261124T070000Z" into out (at least 17 bytes). */
void sigv4_amz_date(time_t, char *out);

#endif
