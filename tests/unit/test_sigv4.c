/*
 * The SigV4 signer against AWS's published test suite
 * (tests/vectors/sigv4/CASE/CASE.{req,creq,sts,authz}), AWS's documented
 * IAM ListUsers example, and CloudTrail LookupEvents requests signed by
 * botocore (tests/vectors/sigv4-cloudtrail, made by make.py there). Every
 * stage is compared byte for byte.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sigv4.h"
#include "t.h"
#include "util.h"

#define SUITE_DIR	"tests/vectors/sigv4"
#define CLOUDTRAIL_DIR	"tests/vectors/sigv4-cloudtrail"
#define MAX_HEADERS	16

/* The suite's credentials and scope (its README, and every .authz). */
#define SUITE_AKID	"AKIDEXAMPLE"
#define SUITE_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME	"2015-08-30T12:36:00Z"
/* make.py signs at this time, as the "cloudtrail" service. */
#define CLOUDTRAIL_TIME	"2026-11-24T07:00:00Z"

/* A raw request file taken apart; every pointer points into buf. */
struct raw_request {
	char *buf;
	struct sigv4_request req;
	struct sigv4_header headers[MAX_HEADERS];
};

static char *
slurp(const char *path)
{
	struct strbuf sb = { 0 };
	char chunk[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		strbuf_add(&sb, chunk, n);
	fclose(fp);
	if (sb.buf == NULL)
		return xstrdup("");
	return sb.buf;
}

/*
 * "METHOD TARGET HTTP/1.1\nName:value\n...\n\nbody": the target may hold
 * spaces (get-space), so it runs up to the last space of the line.
 */
static int
parse_request(char *buf, struct raw_request *r)
{
	char *line, *next, *sp, *colon, *q;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->req.headers = r->headers;
	r->req.payload = "";
	if ((next = strstr(buf, "\n\n")) != NULL) {
		*next = '\0';
		r->req.payload = next + 2;
		r->req.payload_len = strlen(next + 2);
	}
	line = buf;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	r->req.method = line;
	r->req.path = sp + 1;
	if ((sp = strrchr(r->req.path, ' ')) == NULL)
		return -1;
	*sp = '\0';
	r->req.query = "";
	if ((q = strchr(r->req.path, '?')) != NULL) {
		*q = '\0';
		r->req.query = q + 1;
	}
	for (line = next; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((colon = strchr(line, ':')) == NULL ||
		    r->req.nheaders == MAX_HEADERS)
			return -1;
		*colon = '\0';
		r->headers[r->req.nheaders].name = line;
		r->headers[r->req.nheaders].value = colon + 1;
		r->req.nheaders++;
	}
	return 0;
}

static int
expect_same(const char *casename, const char *stage, const char *got,
    const char *want)
{
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return 0;
	T_FAIL("%s: %s differs\n--- got:\n%s\n--- want:\n%s", casename, stage,
	    got ? got : "(null)", want ? want : "(null)");
	return -1;
}

static void
signer_init(struct sigv4_signer *s, const char *service, const char *when)
{
	memset(s, 0, sizeof(*s));
	s->access_key_id = SUITE_AKID;
	s->secret_access_key = SUITE_SECRET;
	s->region = "us-east-1";
	s->service = service;
	if (time_parse_iso8601(when, &s->time) == -1)
		T_FAIL("cannot parse %s", when);
}

/* Signs dir/name/name.req and checks .creq, .sts and .authz. */
static void
check_case(const char *dir, const char *name, const struct sigv4_signer *s)
{
	struct raw_request r;
	char *path, *reqtext, *want_creq, *want_sts, *want_authz;
	char *creq = NULL, *sts = NULL, *authz = NULL;

	path = xasprintf("%s/%s/%s.req", dir, name, name);
	reqtext = slurp(path);
	free(path);
	path = xasprintf("%s/%s/%s.creq", dir, name, name);
	want_creq = slurp(path);
	free(path);
	path = xasprintf("%s/%s/%s.sts", dir, name, name);
	want_sts = slurp(path);
	free(path);
	path = xasprintf("%s/%s/%s.authz", dir, name, name);
	want_authz = slurp(path);
	free(path);
	if (reqtext == NULL || want_creq == NULL || want_sts == NULL ||
	    want_authz == NULL) {
		T_FAIL("%s: a vector file is missing", name);
		goto out;
	}
	if (parse_request(reqtext, &r) == -1) {
		T_FAIL("%s: cannot parse the request", name);
		goto out;
	}
	creq = sigv4_canonical_request(&r.req);
	expect_same(name, "canonical request", creq, want_creq);
	sts = sigv4_string_to_sign(s, want_creq);
	expect_same(name, "string to sign", sts, want_sts);
	authz = sigv4_authorization(s, &r.req);
	expect_same(name, "authorization", authz, want_authz);
 out:
	free(reqtext);
	free(want_creq);
	free(want_sts);
	free(want_authz);
	free(creq);
	free(sts);
	free(authz);
}

/* Runs every case directory under dir; returns how many. */
static int
check_dir(const char *dir, const struct sigv4_signer *s)
{
	struct dirent *de;
	struct stat st;
	char *path;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL) {
		T_FAIL("cannot open %s", dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			check_case(dir, de->d_name, s);
			n++;
		}
		free(path);
	}
	closedir(d);
	return n;
}

static void
test_aws_suite_every_case_matches_at_every_stage(void)
{
	struct sigv4_signer s;

	signer_init(&s, "service", SUITE_TIME);
	/* 27 cases are vendored; fewer means one went missing. */
	T_ASSERT(check_dir(SUITE_DIR, &s) >= 27);
}

static void
test_cloudtrail_lookup_events_matches_botocore(void)
{
	struct sigv4_signer s;

	signer_init(&s, "cloudtrail", CLOUDTRAIL_TIME);
	check_case(CLOUDTRAIL_DIR, "lookup-events", &s);
}

static void
test_cloudtrail_lookup_events_with_session_token_matches_botocore(void)
{
	struct sigv4_signer s;

	signer_init(&s, "cloudtrail", CLOUDTRAIL_TIME);
	check_case(CLOUDTRAIL_DIR, "lookup-events-session-token", &s);
}

static const struct sigv4_header iam_headers[] = {
	{ "Host", "iam.amazonaws.com" },
	{ "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
	{ "X-Amz-Date", "20150830T123600Z" },
};

static const struct sigv4_request iam_request = {
	.method = "GET",
	.path = "/",
	.query = "Action=ListUsers&Version=2010-05-08",
	.headers = iam_headers,
	.nheaders = 3,
	.payload = "",
	.payload_len = 0,
};

/* docs.aws.amazon.com, "Examples of how to derive a signing key for SigV4". */
static void
test_iam_list_users_documentation_example(void)
{
	struct sigv4_signer s;
	char *creq, *sts, *authz;

	signer_init(&s, "iam", SUITE_TIME);
	creq = sigv4_canonical_request(&iam_request);
	T_EQ_STR(creq, "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
	    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	    "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	    "content-type;host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sts = sigv4_string_to_sign(&s, creq != NULL ? creq : "");
	T_EQ_STR(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n"
	    "20150830/us-east-1/iam/aws4_request\n"
	    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
	authz = sigv4_authorization(&s, &iam_request);
	T_EQ_STR(authz, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/iam/aws4_request, SignedHeaders=content-type;host;"
	    "x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c"
	    "82c400e06b5924a6f2b5d7");
	free(creq);
	free(sts);
	free(authz);
}

/* The signature of the IAM example after one change to one input. */
static char *
iam_signature_with(const struct sigv4_signer *s, const struct sigv4_request *r)
{
	char *authz, *sig, *ret;

	if ((authz = sigv4_authorization(s, r)) == NULL)
		return xstrdup("(null)");
	sig = strstr(authz, "Signature=");
	ret = xstrdup(sig != NULL ? sig : authz);
	free(authz);
	return ret;
}

static void
expect_signature_changes(const char *what, const struct sigv4_signer *s,
    const struct sigv4_request *r)
{
	char *sig = iam_signature_with(s, r);

	if (strcmp(sig, "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb"
	    "4c82c400e06b5924a6f2b5d7") == 0)
		T_FAIL("changing the %s left the signature unchanged", what);
	free(sig);
}

static void
test_any_change_to_any_input_changes_the_signature(void)
{
	struct sigv4_signer base, s;
	struct sigv4_request r;
	struct sigv4_header h[3];

	signer_init(&base, "iam", SUITE_TIME);
	/* Last character of the secret: ...EXAMPLEKEY -> ...EXAMPLEKEZ. */
	s = base;
	s.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";
	expect_signature_changes("secret", &s, &iam_request);
	s = base;
	s.region = "us-east-2";
	expect_signature_changes("region", &s, &iam_request);
	s = base;
	s.service = "iaM";
	expect_signature_changes("service", &s, &iam_request);
	s = base;
	s.time += 86400;	/* the date in the scope and the string to sign */
	expect_signature_changes("date", &s, &iam_request);
	s = base;
	s.time += 1;		/* only the timestamp in the string to sign */
	expect_signature_changes("time", &s, &iam_request);

	r = iam_request;
	r.method = "POST";
	expect_signature_changes("method", &base, &r);
	r = iam_request;
	r.path = "/x";
	expect_signature_changes("path", &base, &r);
	r = iam_request;
	r.query = "Action=ListUsers&Version=2010-05-09";
	expect_signature_changes("query", &base, &r);
	r = iam_request;
	r.payload = "x";
	r.payload_len = 1;
	expect_signature_changes("payload", &base, &r);
	memcpy(h, iam_headers, sizeof(h));
	h[0].value = "iam.amazonaws.con";
	r = iam_request;
	r.headers = h;
	expect_signature_changes("host header", &base, &r);
	r.nheaders = 2;
	expect_signature_changes("set of signed headers", &base, &r);
}

static void
test_access_key_id_and_scope_appear_in_the_credential(void)
{
	const char *want = "AWS4-HMAC-SHA256 Credential="
	    "AKIAOTHER/20150830/eu-central-2/iam/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date, Signature=";
	struct sigv4_signer s;
	char *authz;

	signer_init(&s, "iam", SUITE_TIME);
	s.access_key_id = "AKIAOTHER";
	s.region = "eu-central-2";
	authz = sigv4_authorization(&s, &iam_request);
	T_ASSERT(authz != NULL && strncmp(authz, want, strlen(want)) == 0);
	T_ASSERT(authz != NULL && strlen(authz) == strlen(want) + 64);
	free(authz);
}

static void
test_amz_date_is_utc_basic_format(void)
{
	char out[17];

	sigv4_amz_date(0, out);
	T_EQ_STR(out, "19700101T000000Z");
	sigv4_amz_date(1440938160, out);
	T_EQ_STR(out, "20150830T123600Z");
	sigv4_amz_date(1795503600, out);
	T_EQ_STR(out, "20261124T070000Z");
}

/* The second line of the canonical request of GET path?query. */
static char *
canonical_line(const char *path, const char *query, int lineno)
{
	struct sigv4_header h = { "Host", "example.amazonaws.com" };
	struct sigv4_request r = { .method = "GET", .path = path,
	    .query = query, .headers = &h, .nheaders = 1 };
	char *creq, *p, *end, *ret;
	int i;

	if ((creq = sigv4_canonical_request(&r)) == NULL)
		return xstrdup("(null)");
	for (p = creq, i = 0; i < lineno && p != NULL; i++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	if (p == NULL)
		p = creq + strlen(creq);
	end = strchr(p, '\n');
	ret = xstrndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
	free(creq);
	return ret;
}

static void
check_uri(const char *path, const char *want)
{
	char *got = canonical_line(path, "", 1);

	if (strcmp(got, want) != 0)
		T_FAIL("canonical uri of \"%s\" is \"%s\", want \"%s\"", path,
		    got, want);
	free(got);
}

static void
check_query(const char *query, const char *want)
{
	char *got = canonical_line("/", query, 2);

	if (strcmp(got, want) != 0)
		T_FAIL("canonical query of \"%s\" is \"%s\", want \"%s\"", query,
		    got, want);
	free(got);
}

static void
test_path_is_normalised_and_encoded_again(void)
{
	check_uri("/", "/");
	check_uri("", "/");
	check_uri("/a/b/../c/./d", "/a/c/d");
	check_uri("/a/b/..", "/a/");
	check_uri("/../a", "/a");
	check_uri("/a//b/", "/a/b/");
	/* Non-S3 paths are encoded twice: once on the wire, once here. */
	check_uri("/a%20b", "/a%2520b");
	check_uri("/\xe1\x88\xb4", "/%E1%88%B4");
	check_uri("/a+b=c:d", "/a%2Bb%3Dc%3Ad");
}

static void
test_query_is_encoded_and_sorted(void)
{
	check_query("", "");
	check_query("b=2&a=1", "a=1&b=2");
	check_query("a", "a=");
	check_query("a=&&b", "a=&b=");
	check_query("k=x y&j=%/+", "j=%25%2F%2B&k=x%20y");
	check_query("a=b=c", "a=b%3Dc");
	check_query("Z=1&a=1&_=1", "Z=1&_=1&a=1");
}

int
main(void)
{
	T_RUN(test_aws_suite_every_case_matches_at_every_stage);
	T_RUN(test_cloudtrail_lookup_events_matches_botocore);
	T_RUN(test_cloudtrail_lookup_events_with_session_token_matches_botocore);
	T_RUN(test_iam_list_users_documentation_example);
	T_RUN(test_any_change_to_any_input_changes_the_signature);
	T_RUN(test_access_key_id_and_scope_appear_in_the_credential);
	T_RUN(test_amz_date_is_utc_basic_format);
	T_RUN(test_path_is_normalised_and_encoded_again);
	T_RUN(test_query_is_encoded_and_sorted);
	return T_DONE();
}
