/*
 * STS: the XML readers on AWS's documented answers and on hostile ones,
 * then the calls against a scripted server (the request sent, retries,
 * errors classified as CloudTrail's).
 */
#include <stdlib.h>
#include <string.h>

#include "cloudtrail.h"
#include "log.h"
#include "stub_http.h"
#include "sts.h"
#include "t.h"
#include "util.h"

#define FIX "tests/fixtures/sts/"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t n;

	if (f == NULL) {
		T_FAIL("cannot open %s", path);
		*len = 0;
		return xstrdup("");
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	if (sb.buf == NULL)
		strbuf_add(&sb, "", 0);
	*len = sb.len;
	return sb.buf;
}

/* Parses a fixture as an AssumeRole answer; returns the rc. */
static int
parse_fixture(const char *name, const char *result, struct credentials *c,
    struct ct_error *err)
{
	char path[256];
	size_t len;
	char *body;
	int rc;

	snprintf(path, sizeof(path), FIX "%s", name);
	body = slurp(path, &len);
	rc = sts_parse_credentials(body, len, result, c, err);
	free(body);
	return rc;
}

static void
test_assume_role_answer(void)
{
	struct credentials c = { 0 };
	struct ct_error err;

	T_EQ_INT(parse_fixture("assume_role.xml", "AssumeRoleResult", &c, &err),
	    0);
	T_EQ_STR(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	T_EQ_STR(c.secret_access_key,
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
	T_EQ_STR(c.session_token, "IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=");
	T_EQ_STR(c.identity_arn, "arn:aws:sts::111122223333:assumed-role/"
	    "BedrockTrailReader/bedrock-trail");
	T_EQ_INT(c.expiration, 1796311393);	/* 2026-12-03T15:23:13Z */
	credentials_clear(&c);
}

static void
test_web_identity_answer(void)
{
	struct credentials c = { 0 };
	struct ct_error err;

	T_EQ_INT(parse_fixture("web_identity.xml",
	    "AssumeRoleWithWebIdentityResult", &c, &err), 0);
	T_EQ_STR(c.access_key_id, "ASIAWEBIDENTITYEXAMPLE");
	T_EQ_STR(c.session_token, "FwoGZXIvYXdzEXAMPLEWEBTOKEN");
	T_EQ_STR(c.identity_arn,
	    "arn:aws:sts::444455556666:assumed-role/CiReader/ci-run");
	T_EQ_INT(c.expiration, 1796313600);
	credentials_clear(&c);
}

/* The answer of one action is not taken for another's. */
static void
test_result_of_another_action(void)
{
	struct credentials c = { 0 };
	struct ct_error err;

	T_EQ_INT(parse_fixture("assume_role.xml",
	    "AssumeRoleWithWebIdentityResult", &c, &err), -1);
	T_EQ_INT(err.kind, CT_MALFORMED);
	T_ASSERT(c.access_key_id == NULL);
}

static void
expect_malformed(const char *name, const char *why)
{
	struct credentials c = { 0 };
	struct ct_error err;

	T_EQ_INT(parse_fixture(name, "AssumeRoleResult", &c, &err), -1);
	T_EQ_INT(err.kind, CT_MALFORMED);
	T_EQ_INT(ct_exit_code(err.kind), 65);
	T_ASSERT(c.access_key_id == NULL && c.secret_access_key == NULL &&
	    c.session_token == NULL);
	if (strstr(err.message, why) == NULL)
		T_FAIL("%s: message '%s' lacks '%s'", name, err.message, why);
}

static void
test_hostile_answers(void)
{
	expect_malformed("truncated.xml", "not well-formed XML");
	expect_malformed("lookalike_result.xml", "missing or empty");
	expect_malformed("entities.xml", "document type declaration");
	expect_malformed("external_entity.xml", "document type declaration");
	expect_malformed("duplicated_field.xml", "duplicated field");
	expect_malformed("duplicated_credentials.xml", "duplicated field");
	expect_malformed("wrong_root.xml", "another document");
	expect_malformed("missing_token.xml", "missing or empty");
	expect_malformed("bad_expiration.xml", "Expiration that is not a time");
	expect_malformed("nested_field.xml", "element inside a field");
	expect_malformed("line_break_in_token.xml", "control character");
	expect_malformed("html.html", "another document");
	expect_malformed("error_access_denied.xml", "another document");
}

/* A valid answer padded to 1 MiB is refused for its size alone. */
static void
test_one_mebibyte_answer(void)
{
	struct credentials c = { 0 };
	struct ct_error err;
	size_t len, big = 1024 * 1024;
	char *body = slurp(FIX "assume_role.xml", &len);
	char *padded = xmalloc(big);

	memset(padded, ' ', big);
	memcpy(padded, body, len);
	T_EQ_INT(sts_parse_credentials(padded, big, "AssumeRoleResult", &c,
	    &err), -1);
	T_EQ_INT(err.kind, CT_MALFORMED);
	T_ASSERT(strstr(err.message, "too large") != NULL);
	free(padded);
	free(body);
}

static void
test_caller_identity(void)
{
	size_t len;
	char *body = slurp(FIX "caller_identity.xml", &len);
	char *account, *arn;
	struct ct_error err;

	T_EQ_INT(sts_parse_caller_identity(body, len, &account, &arn, &err), 0);
	T_EQ_STR(account, "123456789012");
	T_EQ_STR(arn, "arn:aws:iam::123456789012:user/bedrock-trail");
	free(account);
	free(arn);
	free(body);
}

static void
test_error_response(void)
{
	size_t len;
	char *body = slurp(FIX "error_access_denied.xml", &len);
	struct ct_error err;

	T_EQ_INT(sts_parse_error(body, len, &err), 0);
	T_EQ_STR(err.code, "AccessDenied");
	T_EQ_INT(err.kind, CT_AUTH);
	T_ASSERT(strncmp(err.message, "User: arn:aws:iam::123456789012:user/"
	    "bedrock-trail is not authorized to perform: sts:AssumeRole", 82)
	    == 0);
	free(body);
	body = slurp(FIX "error_throttling.xml", &len);
	T_EQ_INT(sts_parse_error(body, len, &err), 0);
	T_EQ_INT(err.kind, CT_THROTTLED);
	free(body);
}

/* The lookalike's text is part of the message; its keys go nowhere. */
static void
test_lookalike_in_message(void)
{
	size_t len;
	char *body = slurp(FIX "lookalike_error.xml", &len);
	struct credentials c = { 0 };
	struct ct_error err;

	T_EQ_INT(sts_parse_error(body, len, &err), 0);
	T_EQ_STR(err.code, "AccessDenied");
	T_EQ_STR(err.message, "denied  here");
	T_EQ_INT(sts_parse_credentials(body, len, "AssumeRoleResult", &c, &err),
	    -1);
	T_ASSERT(c.access_key_id == NULL);
	free(body);
}


/* An HTTP answer with body, as the stub sends it (static buffers). */
static const char *
answer(int slot, const char *status, const char *body)
{
	static char *a[4];

	free(a[slot]);
	a[slot] = xasprintf("HTTP/1.1 %s\r\nContent-Type: text/xml\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
	    strlen(body), body);
	return a[slot];
}

static const char *
answer_fixture(int slot, const char *status, const char *name)
{
	char path[256];
	size_t len;
	char *body;
	const char *a;

	snprintf(path, sizeof(path), FIX "%s", name);
	body = slurp(path, &len);
	a = answer(slot, status, body);
	free(body);
	return a;
}

static const struct credentials base = {
	.access_key_id = "AKIAIOSFODNN7EXAMPLE",
	.secret_access_key = "baseSecretKeyEXAMPLE",
	.session_token = "baseSessionTOKEN",
	.source = CRED_ENV,
};

static const struct sts_assume_role role = {
	"arn:aws:iam::111122223333:role/BedrockTrailReader", NULL, "ext-123",
	900
};

static int
call_assume_role(const char *const *answers, size_t n, const char **log,
    struct credentials *out, struct ct_error *err)
{
	struct sts_target t = { "us-east-1", NULL, NULL, 5, 3 };
	struct stub s;
	int rc;

	stub_start(&s, answers, n);
	setenv("AWS_ENDPOINT_URL_STS", stub_url(&s, ""), 1);
	rc = sts_assume_role(&t, &base, &role, out, err);
	*log = stub_stop(&s);
	unsetenv("AWS_ENDPOINT_URL_STS");
	return rc;
}

static void
test_call_assume_role(void)
{
	const char *a[] = { answer_fixture(0, "200 OK", "assume_role.xml") };
	struct credentials c = { 0 };
	struct ct_error err;
	const char *log;

	T_EQ_INT(call_assume_role(a, 1, &log, &c, &err), 0);
	T_EQ_STR(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	T_ASSERT(strncmp(log, "POST / HTTP/1.1\r\n", 17) == 0);
	T_ASSERT(strstr(log, "\r\n\r\nAction=AssumeRole&Version=2011-06-15"
	    "&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2F"
	    "BedrockTrailReader&RoleSessionName=bedrock-trail"
	    "&ExternalId=ext-123&DurationSeconds=900\n=====") != NULL);
	T_ASSERT(strstr(log, "Content-Type: application/x-www-form-urlencoded;"
	    " charset=utf-8\r\n") != NULL);
	T_ASSERT(strstr(log, "Authorization: AWS4-HMAC-SHA256 Credential="
	    "AKIAIOSFODNN7EXAMPLE/") != NULL);
	T_ASSERT(strstr(log, "/us-east-1/sts/aws4_request") != NULL);
	T_ASSERT(strstr(log, "X-Amz-Security-Token: baseSessionTOKEN\r\n")
	    != NULL);
	credentials_clear(&c);
}

/* A 500, then a dropped connection, then the answer: three attempts. */
static void
test_call_retries(void)
{
	const char *a[] = {
		answer(0, "500 Internal Server Error", "<html>oops</html>"),
		"CLOSE",
		answer_fixture(1, "200 OK", "assume_role.xml"),
	};
	struct credentials c = { 0 };
	struct ct_error err;
	const char *log;

	T_EQ_INT(call_assume_role(a, 3, &log, &c, &err), 0);
	T_EQ_STR(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	credentials_clear(&c);
}

static void
test_call_access_denied(void)
{
	const char *a[] = { answer_fixture(0, "403 Forbidden",
	    "error_access_denied.xml") };
	struct credentials c = { 0 };
	struct ct_error err;
	const char *log;

	T_EQ_INT(call_assume_role(a, 1, &log, &c, &err), -1);
	T_EQ_INT(err.kind, CT_AUTH);
	T_EQ_INT(err.http_status, 403);
	T_EQ_INT(err.attempts, 1);
	T_EQ_STR(err.code, "AccessDenied");
	T_ASSERT(strstr(err.message, "is not authorized to perform: "
	    "sts:AssumeRole") != NULL);
}

/* Throttled on every attempt: 75, after max_attempts. */
static void
test_call_throttled(void)
{
	const char *a[] = {
		answer_fixture(0, "400 Bad Request", "error_throttling.xml"),
		answer_fixture(1, "400 Bad Request", "error_throttling.xml"),
		answer_fixture(2, "400 Bad Request", "error_throttling.xml"),
	};
	struct credentials c = { 0 };
	struct ct_error err;
	const char *log;

	T_EQ_INT(call_assume_role(a, 3, &log, &c, &err), -1);
	T_EQ_INT(err.kind, CT_THROTTLED);
	T_EQ_INT(err.attempts, 3);
}

static void
test_call_hostile(void)
{
	const char *a[] = { answer_fixture(0, "200 OK", "entities.xml") };
	struct credentials c = { 0 };
	struct ct_error err;
	const char *log;
	char *huge = xmalloc(70 * 1024);

	T_EQ_INT(call_assume_role(a, 1, &log, &c, &err), -1);
	T_EQ_INT(err.kind, CT_MALFORMED);
	T_EQ_INT(err.attempts, 0);	/* answered: not a retry matter */

	a[0] = answer_fixture(0, "403 Forbidden", "entities.xml");
	T_EQ_INT(call_assume_role(a, 1, &log, &c, &err), -1);
	T_EQ_INT(err.kind, CT_MALFORMED);

	memset(huge, 'x', 70 * 1024 - 1);
	huge[70 * 1024 - 1] = '\0';
	a[0] = answer(0, "200 OK", huge);
	T_EQ_INT(call_assume_role(a, 1, &log, &c, &err), -1);
	T_EQ_INT(err.kind, CT_MALFORMED);
	T_EQ_STR(err.code, "ResponseTooLarge");
	T_EQ_STR(err.message, "response body larger than 64 KiB");
	free(huge);
}

/* Unsigned, with the token form-encoded in the body and nowhere else. */
static void
test_call_web_identity(void)
{
	const char *a[] = { answer_fixture(0, "200 OK", "web_identity.xml") };
	struct sts_target t = { "eu-west-1", NULL, NULL, 5, 1 };
	struct sts_assume_role r = { "arn:aws:iam::444455556666:role/CiReader",
		"ci-run", NULL, 0 };
	struct credentials c = { 0 };
	struct ct_error err;
	struct stub s;
	const char *log;

	stub_start(&s, a, 1);
	setenv("AWS_ENDPOINT_URL", stub_url(&s, ""), 1);
	T_EQ_INT(sts_assume_role_with_web_identity(&t, &r, "eyJ.tok+en/=",
	    &c, &err), 0);
	log = stub_stop(&s);
	unsetenv("AWS_ENDPOINT_URL");
	T_EQ_STR(c.access_key_id, "ASIAWEBIDENTITYEXAMPLE");
	T_ASSERT(strstr(log, "Authorization:") == NULL);
	T_ASSERT(strstr(log, "X-Amz-Security-Token") == NULL);
	T_ASSERT(strstr(log, "\r\n\r\nAction=AssumeRoleWithWebIdentity"
	    "&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A444455556666"
	    "%3Arole%2FCiReader&RoleSessionName=ci-run"
	    "&WebIdentityToken=eyJ.tok%2Ben%2F%3D\n=====") != NULL);
	credentials_clear(&c);
}

static void
test_call_caller_identity(void)
{
	const char *a[] = { answer_fixture(0, "200 OK", "caller_identity.xml") };
	struct sts_target t = { "us-east-1", NULL, NULL, 5, 1 };
	struct stub s;
	struct ct_error err;
	char *account, *arn;
	const char *log;

	stub_start(&s, a, 1);
	t.endpoint_url = stub_url(&s, "");
	T_EQ_INT(sts_get_caller_identity(&t, &base, &account, &arn, &err), 0);
	log = stub_stop(&s);
	T_EQ_STR(account, "123456789012");
	T_ASSERT(strstr(log, "\r\n\r\nAction=GetCallerIdentity"
	    "&Version=2011-06-15\n=====") != NULL);
	free(account);
	free(arn);
}

static void
test_invalid_endpoint_variable(void)
{
	struct sts_target t = { "us-east-1", NULL, NULL, 5, 1 };
	struct credentials c = { 0 };
	struct ct_error err;

	setenv("AWS_ENDPOINT_URL_STS", "ftp://sts.example", 1);
	T_EQ_INT(sts_assume_role(&t, &base, &role, &c, &err), -1);
	unsetenv("AWS_ENDPOINT_URL_STS");
	T_EQ_INT(err.kind, CT_REQUEST);
	T_EQ_STR(err.message, "AWS_ENDPOINT_URL_STS: invalid endpoint url "
	    "'ftp://sts.example'");
}

/* At -v, retries are logged; no secret or token is. */
static void
test_verbose_log_has_no_secret(void)
{
	const char *a[] = {
		answer(0, "503 Service Unavailable", "busy"),
		answer_fixture(1, "200 OK", "assume_role.xml"),
	};
	struct credentials c = { 0 };
	struct ct_error err;
	const char *log, *out;

	log_set_level(LOG_VERBOSE);
	t_capture_start();
	T_EQ_INT(call_assume_role(a, 2, &log, &c, &err), 0);
	out = t_capture_end();
	log_set_level(LOG_NORMAL);
	T_ASSERT(strstr(out, "sts: AssumeRole attempt 1 of 3 failed: "
	    "HTTP 503") != NULL);
	T_ASSERT(strstr(out, "baseSecretKey") == NULL);
	T_ASSERT(strstr(out, "baseSessionTOKEN") == NULL);
	T_ASSERT(strstr(out, "wJalrXUtnFEMI") == NULL);
	T_ASSERT(strstr(out, "IQoJb3JpZ2lu") == NULL);
	credentials_clear(&c);
}

static void
sts_calls_run(void)
{
	T_RUN(test_call_assume_role);
	T_RUN(test_call_retries);
	T_RUN(test_call_access_denied);
	T_RUN(test_call_throttled);
	T_RUN(test_call_hostile);
	T_RUN(test_call_web_identity);
	T_RUN(test_call_caller_identity);
	T_RUN(test_invalid_endpoint_variable);
	T_RUN(test_verbose_log_has_no_secret);
}

int
main(void)
{
	T_RUN(test_assume_role_answer);
	T_RUN(test_web_identity_answer);
	T_RUN(test_result_of_another_action);
	T_RUN(test_hostile_answers);
	T_RUN(test_one_mebibyte_answer);
	T_RUN(test_caller_identity);
	T_RUN(test_error_response);
	T_RUN(test_lookalike_in_message);
	sts_calls_run();
	return T_DONE();
}
