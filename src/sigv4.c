/*
 * AWS Signature Version 4 (header signing), in the three stages of the
 * AWS documentation: canonical request, string to sign, authorization.
 * Pure: the time comes in through struct sigv4_signer, nothing is read
 * from the clock or the disk.
 */
#include "sigv4.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "util.h"

#define SIGV4_ALGORITHM	"AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SHA256_LEN	32

/* One header after lower-casing and trimming, with its place in the input. */
struct sigv4_hdr {
	char *name;
	char *value;
	size_t index;
};

/* One query parameter, name and value already URI-encoded. */
struct sigv4_param {
	char *name;
	char *value;
};

/*
 * SHA-256 and HMAC, fetched from OpenSSL once per process. Passing
 * EVP_sha256() or a name on every call makes OpenSSL 3 look the
 * algorithm up by name each time: seven look-ups per request, most of
 * the signer's cost. The HMAC context below only serves as a template
 * with its digest set: each MAC works on a copy of it, so that threads
 * signing at once share nothing they write.
 */
static pthread_once_t sigv4_once = PTHREAD_ONCE_INIT;
static EVP_MD *sigv4_md;
static EVP_MAC_CTX *sigv4_hmac_template;

static void
sigv4_fetch(void)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	sigv4_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((sigv4_hmac_template = EVP_MAC_CTX_new(mac)) != NULL &&
	    !EVP_MAC_CTX_set_params(sigv4_hmac_template, params)) {
		EVP_MAC_CTX_free(sigv4_hmac_template);
		sigv4_hmac_template = NULL;
	}
	/* The context holds its own reference to the algorithm. */
	EVP_MAC_free(mac);
}

static int
sigv4_sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int mdlen = 0;

	pthread_once(&sigv4_once, sigv4_fetch);
	if (sigv4_md == NULL ||
	    !EVP_Digest(data, len, md, &mdlen, sigv4_md, NULL) ||
	    mdlen != SHA256_LEN) {
		log_error("sigv4: sha-256 failed");
		return -1;
	}
	hex_encode(md, mdlen, out);
	return 0;
}

static int
sigv4_hmac(const void *key, size_t keylen, const char *msg,
    unsigned char out[SHA256_LEN])
{
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0;
	int rc = -1;

	pthread_once(&sigv4_once, sigv4_fetch);
	/* The copy holds the key: EVP_MAC_CTX_free wipes it. */
	if (sigv4_hmac_template != NULL &&
	    (ctx = EVP_MAC_CTX_dup(sigv4_hmac_template)) != NULL &&
	    EVP_MAC_init(ctx, key, keylen, NULL) &&
	    EVP_MAC_update(ctx, (const unsigned char *)msg, strlen(msg)) &&
	    EVP_MAC_final(ctx, out, &outlen, SHA256_LEN) &&
	    outlen == SHA256_LEN)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	if (rc == -1)
		log_error("sigv4: hmac-sha256 failed");
	return rc;
}

/*
 * URI-encodes len bytes of s the way SigV4 wants: every byte outside
 * A-Z a-z 0-9 - _ . ~ becomes %XX with upper-case hex, '/' included.
 */
void
sigv4_uri_encode(struct strbuf *sb, const char *s, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;
	char esc[3];

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			strbuf_add(sb, &s[i], 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = digits[c >> 4];
		esc[2] = digits[c & 0xf];
		strbuf_add(sb, esc, 3);
	}
}

/*
 * The canonical URI of a non-S3 service: dot segments removed and empty
 * segments dropped (RFC 3986 section 5.2.4, plus AWS's collapse of "//"),
 * then each segment encoded again. A trailing slash, or a final "." or
 * "..", leaves the result ending in "/".
 */
static void
sigv4_canonical_uri(struct strbuf *sb, const char *path)
{
	struct strlist segs = { 0 };
	const char *p, *end;
	char *seg;
	size_t i, len;
	int trailing = 0;

	for (p = path; *p != '\0'; p = *end == '/' ? end + 1 : end) {
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		trailing = (*end == '/') ||
		    (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.');
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (segs.n > 0)
				free(segs.v[--segs.n]);
			continue;
		}
		seg = xstrndup(p, len);
		strlist_add(&segs, seg);
		free(seg);
	}
	for (i = 0; i < segs.n; i++) {
		strbuf_adds(sb, "/");
		sigv4_uri_encode(sb, segs.v[i], strlen(segs.v[i]));
	}
	if (segs.n == 0 || trailing)
		strbuf_adds(sb, "/");
	strlist_free(&segs);
}

static int
sigv4_param_cmp(const void *a, const void *b)
{
	const struct sigv4_param *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

/*
 * "b=2&a=1&c" becomes "a=1&b=2&c=": each name and value encoded, sorted
 * by name and then value, '=' always present. Empty parameters ("&&")
 * carry nothing and are dropped.
 */
static void
sigv4_canonical_query(struct strbuf *sb, const char *query)
{
	struct sigv4_param *params = NULL;
	struct strbuf enc = { 0 };
	const char *p, *end, *eq;
	size_t i, n = 0;

	for (p = query; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			continue;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			eq = end;
		params = xrealloc(params, (n + 1) * sizeof(*params));
		strbuf_reset(&enc);
		sigv4_uri_encode(&enc, p, (size_t)(eq - p));
		params[n].name = xstrdup(enc.buf != NULL ? enc.buf : "");
		strbuf_reset(&enc);
		if (eq < end)
			sigv4_uri_encode(&enc, eq + 1, (size_t)(end - eq - 1));
		params[n].value = xstrdup(enc.buf != NULL ? enc.buf : "");
		n++;
	}
	if (n > 0)
		qsort(params, n, sizeof(*params), sigv4_param_cmp);
	for (i = 0; i < n; i++) {
		strbuf_addf(sb, "%s%s=%s", i > 0 ? "&" : "", params[i].name,
		    params[i].value);
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
	strbuf_free(&enc);
}

static int
sigv4_hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_hdr *x = a, *y = b;
	int c;

	/* Ties keep the caller's order: duplicates join in the order given. */
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The value with leading and trailing blanks cut, inner runs folded to one. */
static char *
sigv4_trim_value(const char *v)
{
	char *out = xmalloc(strlen(v) + 1), *o = out;
	int blank = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			blank = 1;
			continue;
		}
		if (blank && o != out)
			*o++ = ' ';
		blank = 0;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

/* The request's headers, lower-cased, trimmed and sorted by name. */
static struct sigv4_hdr *
sigv4_sorted_headers(const struct sigv4_request *req)
{
	struct sigv4_hdr *h;
	size_t i, j;

	h = xcalloc(req->nheaders ? req->nheaders : 1, sizeof(*h));
	for (i = 0; i < req->nheaders; i++) {
		h[i].name = xstrdup(req->headers[i].name);
		for (j = 0; h[i].name[j] != '\0'; j++)
			if (h[i].name[j] >= 'A' && h[i].name[j] <= 'Z')
				h[i].name[j] += 'a' - 'A';
		h[i].value = sigv4_trim_value(req->headers[i].value);
		h[i].index = i;
	}
	if (req->nheaders > 0)
		qsort(h, req->nheaders, sizeof(*h), sigv4_hdr_cmp);
	return h;
}

static void
sigv4_headers_free(struct sigv4_hdr *h, size_t n)
{
	size_t i;

	if (h == NULL)
		return;
	/* The values include the session token. */
	for (i = 0; i < n; i++) {
		free(h[i].name);
		OPENSSL_cleanse(h[i].value, strlen(h[i].value));
		free(h[i].value);
	}
	free(h);
}

/* "name:v1,v2\n" per distinct name into canon; "a;b;c" into signed. */
static void
sigv4_canonical_headers(const struct sigv4_request *req, struct strbuf *canon,
    struct strbuf *signed_headers)
{
	struct sigv4_hdr *h;
	size_t i;

	h = sigv4_sorted_headers(req);
	for (i = 0; i < req->nheaders; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			strbuf_addf(canon, ",%s", h[i].value);
			continue;
		}
		if (i > 0) {
			strbuf_adds(canon, "\n");
			strbuf_adds(signed_headers, ";");
		}
		strbuf_addf(canon, "%s:%s", h[i].name, h[i].value);
		strbuf_adds(signed_headers, h[i].name);
	}
	if (req->nheaders > 0)
		strbuf_adds(canon, "\n");
	sigv4_headers_free(h, req->nheaders);
}

char *
sigv4_canonical_request(const struct sigv4_request *req)
{
	struct strbuf sb = { 0 }, canon = { 0 }, signed_headers = { 0 };
	char payload_hash[2 * SHA256_LEN + 1];
	char *ret = NULL;

	if (sigv4_sha256_hex(req->payload != NULL ? req->payload : "",
	    req->payload_len, payload_hash) == -1)
		goto out;
	sigv4_canonical_headers(req, &canon, &signed_headers);

	strbuf_addf(&sb, "%s\n", req->method);
	sigv4_canonical_uri(&sb, req->path != NULL ? req->path : "/");
	strbuf_adds(&sb, "\n");
	sigv4_canonical_query(&sb, req->query != NULL ? req->query : "");
	strbuf_addf(&sb, "\n%s\n%s\n%s",
	    canon.buf != NULL ? canon.buf : "",
	    signed_headers.buf != NULL ? signed_headers.buf : "",
	    payload_hash);
	ret = xstrdup(sb.buf);
 out:
	strbuf_free(&sb);
	strbuf_free(&canon);
	strbuf_free(&signed_headers);
	return ret;
}

void
sigv4_amz_date(time_t t, char *out)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		strcpy(out, "19700101T000000Z");
}

char *
sigv4_string_to_sign(const struct sigv4_signer *s, const char *creq)
{
	char amzdate[17], hash[2 * SHA256_LEN + 1];

	if (sigv4_sha256_hex(creq, strlen(creq), hash) == -1)
		return NULL;
	sigv4_amz_date(s->time, amzdate);
	return xasprintf(SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/" SIGV4_TERMINATOR
	    "\n%s", amzdate, amzdate, s->region, s->service, hash);
}

/*
 * The signing key: HMAC("AWS4" + secret, date), then region, service and
 * "aws4_request" in turn. Every intermediate key is secret and is wiped.
 */
static int
sigv4_signing_key(const struct sigv4_signer *s, const char *date,
    unsigned char key[SHA256_LEN])
{
	unsigned char k1[SHA256_LEN], k2[SHA256_LEN], k3[SHA256_LEN];
	char *secret;
	size_t len;
	int rc = -1;

	len = strlen(s->secret_access_key) + 4;
	secret = xmalloc(len + 1);
	memcpy(secret, "AWS4", 4);
	memcpy(secret + 4, s->secret_access_key, len - 4 + 1);

	if (sigv4_hmac(secret, len, date, k1) == -1 ||
	    sigv4_hmac(k1, sizeof(k1), s->region, k2) == -1 ||
	    sigv4_hmac(k2, sizeof(k2), s->service, k3) == -1 ||
	    sigv4_hmac(k3, sizeof(k3), SIGV4_TERMINATOR, key) == -1)
		goto out;
	rc = 0;
 out:
	OPENSSL_cleanse(secret, len + 1);
	free(secret);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	return rc;
}

char *
sigv4_authorization(const struct sigv4_signer *s,
    const struct sigv4_request *req)
{
	struct strbuf canon = { 0 }, signed_headers = { 0 };
	unsigned char key[SHA256_LEN], sig[SHA256_LEN];
	char amzdate[17], date[9], sighex[2 * SHA256_LEN + 1];
	char *creq = NULL, *sts = NULL, *ret = NULL;

	if ((creq = sigv4_canonical_request(req)) == NULL ||
	    (sts = sigv4_string_to_sign(s, creq)) == NULL)
		goto out;
	sigv4_amz_date(s->time, amzdate);
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	if (sigv4_signing_key(s, date, key) == -1 ||
	    sigv4_hmac(key, sizeof(key), sts, sig) == -1)
		goto out;
	hex_encode(sig, sizeof(sig), sighex);
	sigv4_canonical_headers(req, &canon, &signed_headers);
	ret = xasprintf(SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/"
	    SIGV4_TERMINATOR ", SignedHeaders=%s, Signature=%s",
	    s->access_key_id, date, s->region, s->service,
	    signed_headers.buf != NULL ? signed_headers.buf : "", sighex);
 out:
	OPENSSL_cleanse(key, sizeof(key));
	/* The canonical request holds every header, the token too. */
	if (creq != NULL)
		OPENSSL_cleanse(creq, strlen(creq));
	free(creq);
	free(sts);
	strbuf_free(&canon);
	strbuf_free(&signed_headers);
	return ret;
}
