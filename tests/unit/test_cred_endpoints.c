/*
 * The providers that fetch over HTTP (container endpoint, IMDSv2, web
 * identity through STS, SSO) against a scripted local server: what they
 * send, what they accept, and the exact first line of every refusal.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "cred_providers.h"
#include "log.h"
#include "stub_http.h"
#include "t.h"
#include "util.h"

#define CREDS_JSON "{\"AccessKeyId\":\"ASIAENDPOINTEXAMPLE\"," \
	"\"SecretAccessKey\":\"endpointSecret\",\"Token\":\"endpointToken\"," \
	"\"Expiration\":\"2026-12-03T15:23:13Z\"}"

/* SPEC section 5: every 77 starts with this line. */
#define AUTH	"Invalid credentials or insufficient permissions\n"

static const char *
answer(int slot, const char *status, const char *type, const char *body)
{
	static char *a[8];

	free(a[slot]);
	a[slot] = xasprintf("HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, type,
	    strlen(body), body);
	return a[slot];
}

static const char *
json200(int slot, const char *body)
{
	return answer(slot, "200 OK", "application/json", body);
}

static int
container(const char *const *answers, size_t n, const char *path,
    const char **log, const char **err, struct credentials *c)
{
	struct stub s;
	int rc;

	stub_start(&s, answers, n);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", stub_url(&s, path), 1);
	t_capture_start();
	rc = cred_container_fetch(NULL, c);
	*err = t_capture_end();
	*log = stub_stop(&s);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	return rc;
}

static void
test_container_full_uri(void)
{
	const char *a[] = { json200(0, CREDS_JSON) }, *log, *err;
	struct credentials c = { 0 };

	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer pod-token", 1);
	T_EQ_INT(container(a, 1, "/creds", &log, &err, &c), 0);
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	T_EQ_STR(c.access_key_id, "ASIAENDPOINTEXAMPLE");
	T_EQ_INT(c.source, CRED_CONTAINER);
	T_ASSERT(strncmp(log, "GET /creds HTTP/1.1\r\n", 21) == 0);
	T_ASSERT(strstr(log, "\r\nAuthorization: Bearer pod-token\r\n") != NULL);
	T_ASSERT(strstr(log, "\r\nAccept: application/json\r\n") != NULL);
	T_EQ_STR(err, "");
	credentials_clear(&c);
}

/* The token file is read on each call and sent as it is. */
static void
test_container_token_file(void)
{
	const char *a[] = { json200(0, CREDS_JSON) }, *log, *err;
	struct credentials c = { 0 };
	char path[] = "/tmp/bt-token-XXXXXX", want[256];
	int fd = mkstemp(path);

	T_ASSERT(write(fd, "eks-pod-identity-token", 22) == 22);
	close(fd);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored", 1);
	T_EQ_INT(container(a, 1, "/", &log, &err, &c), 0);
	T_ASSERT(strstr(log, "\r\nAuthorization: eks-pod-identity-token\r\n")
	    != NULL);
	credentials_clear(&c);
	/* a line break would be a second header: refused, nothing sent */
	fd = open(path, O_WRONLY | O_TRUNC);
	T_ASSERT(write(fd, "token\r\nX-Evil: 1", 16) == 16);
	close(fd);
	T_EQ_INT(container(a, 0, "/", &log, &err, &c), 78);
	snprintf(want, sizeof(want), "container credentials: the "
	    "authorization token (%s) contains a line break\n", path);
	T_EQ_STR(err, want);
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	/* botocore refuses a trailing newline too: so do we */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token\n", 1);
	T_EQ_INT(container(a, 0, "/", &log, &err, &c), 78);
	T_EQ_STR(err, "container credentials: the authorization token "
	    "(AWS_CONTAINER_AUTHORIZATION_TOKEN) contains a line break\n");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	T_ASSERT(c.access_key_id == NULL);
	unlink(path);
}

static void
expect_forbidden(const char *uri, const char *host)
{
	struct credentials c = { 0 };
	char want[512];
	const char *err;

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
	t_capture_start();
	T_EQ_INT(cred_container_fetch(NULL, &c), 78);
	err = t_capture_end();
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	snprintf(want, sizeof(want), "container credentials: host '%s' of "
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not allowed: use https, or "
	    "http to a loopback address, 169.254.170.2, 169.254.170.23 or "
	    "fd00:ec2::23\n", host);
	T_EQ_STR(err, want);
}

static void
test_container_forbidden_hosts(void)
{
	expect_forbidden("http://169.254.169.254/latest/meta-data/",
	    "169.254.169.254");
	expect_forbidden("http://evil.example/creds", "evil.example");
	expect_forbidden("http://localhost.evil.example/", "localhost.evil.example");
	expect_forbidden("http://127.0.0.1.nip.io/", "127.0.0.1.nip.io");
	expect_forbidden("http://[fd00:ec2::24]/", "fd00:ec2::24");
	expect_forbidden("ftp://127.0.0.1/", "127.0.0.1");
}

static void
test_container_refusals(void)
{
	const char *a[] = {
		answer(0, "401 Unauthorized", "text/plain", "no"),
	}, *b[] = {
		answer(1, "500 Oops", "text/plain", "x"),
		answer(2, "500 Oops", "text/plain", "x"),
		answer(3, "500 Oops", "text/plain", "x"),
	}, *log, *err;
	struct credentials c = { 0 };

	/* a refusal is not retried; a 5xx is, three times */
	T_EQ_INT(container(a, 1, "/c", &log, &err, &c), 77);
	T_ASSERT(strstr(err, "/c answered HTTP 401\n") != NULL);
	T_ASSERT(strncmp(err, AUTH "container credentials: http://127.0.0.1:",
	    strlen(AUTH) + 40) == 0);
	T_EQ_INT(container(b, 3, "/c", &log, &err, &c), 69);
	T_ASSERT(strstr(err, "/c answered HTTP 500\n") != NULL);
}

static void
test_container_absent(void)
{
	struct credentials c = { 0 };

	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	T_EQ_INT(cred_container_fetch(NULL, &c), CRED_ABSENT);
}


static int
imds(const char *const *answers, size_t n, const char **log,
    const char **err, struct credentials *c)
{
	struct stub s;
	int rc;

	stub_start(&s, answers, n);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_url(&s, "/"), 1);
	t_capture_start();
	rc = cred_imds_fetch(c);
	*err = t_capture_end();
	*log = stub_stop(&s);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	return rc;
}

static void
test_imds_v2(void)
{
	const char *a[] = {
		answer(0, "200 OK", "text/plain", "imds-session-token"),
		answer(1, "200 OK", "text/plain", "web-01"),
		json200(2, "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
		    "\"AccessKeyId\":\"ASIAIMDSEXAMPLE\",\"SecretAccessKey\":"
		    "\"imdsSecret\",\"Token\":\"imdsToken\",\"Expiration\":"
		    "\"2026-12-03T15:23:13Z\"}"),
	}, *log, *err;
	struct credentials c = { 0 };
	const char *p;

	T_EQ_INT(imds(a, 3, &log, &err, &c), 0);
	T_EQ_STR(err, "");
	T_EQ_STR(c.access_key_id, "ASIAIMDSEXAMPLE");
	T_EQ_STR(c.origin, "web-01");
	T_EQ_INT(c.source, CRED_IMDS);
	T_EQ_INT(c.expiration, 1796311393);
	T_ASSERT(strncmp(log, "PUT /latest/api/token HTTP/1.1\r\n", 32) == 0);
	T_ASSERT(strstr(log, "\r\nX-aws-ec2-metadata-token-ttl-seconds: "
	    "21600\r\n") != NULL);
	p = strstr(log, "GET /latest/meta-data/iam/security-credentials/ ");
	T_ASSERT(p != NULL && strstr(p, "\r\nX-aws-ec2-metadata-token: "
	    "imds-session-token\r\n") != NULL);
	T_ASSERT(strstr(log, "GET /latest/meta-data/iam/security-credentials/"
	    "web-01 HTTP/1.1") != NULL);
	credentials_clear(&c);
}

static void
test_imds_faults(void)
{
	const char *tok = answer(0, "200 OK", "text/plain", "t");
	const char *html[] = { tok, answer(1, "200 OK", "text/html",
	    "<html><body>Login</body></html>") };
	const char *html2[] = { tok, answer(2, "200 OK", "text/plain", "web-01"),
	    answer(3, "200 OK", "text/html", "<html>x</html>") };
	const char *e500[] = { answer(4, "500 Oops", "text/plain", "x"),
	    answer(5, "500 Oops", "text/plain", "x") };
	const char *norole[] = { tok, answer(6, "404 Not Found",
	    "text/plain", "") };
	const char *portal[] = { answer(7, "200 OK", "text/html",
	    "<?xml version=\"1.0\"?>\n<html>sign in</html>") };
	const char *hang[] = { "HANG" }, *log, *err;
	struct credentials c = { 0 };
	double start;

	T_EQ_INT(imds(portal, 1, &log, &err, &c), 65);
	T_EQ_STR(err, "instance metadata: the session token answered is not a "
	    "token\n");
	T_EQ_INT(imds(html, 2, &log, &err, &c), 65);
	T_EQ_STR(err, "instance metadata: the role name answered is not an "
	    "IAM role name\n");
	T_EQ_INT(imds(html2, 3, &log, &err, &c), 65);
	T_EQ_STR(err, "instance metadata: the credentials of role web-01 are "
	    "not credentials JSON\n");
	T_EQ_INT(imds(e500, 2, &log, &err, &c), 69);
	T_ASSERT(strstr(err, "/latest/api/token answered HTTP 500\n") != NULL);
	T_EQ_INT(imds(norole, 2, &log, &err, &c), 77);
	T_ASSERT(strstr(err, "security-credentials/ answered HTTP 404: no IAM "
	    "role is attached to this instance\n") != NULL);
	start = monotonic_now();
	T_EQ_INT(imds(hang, 1, &log, &err, &c), 69);
	T_ASSERT(monotonic_now() - start < 3);
	T_ASSERT(strstr(err, "instance metadata: PUT http://127.0.0.1:") == err);
	T_ASSERT(strstr(err, "/latest/api/token failed: ") != NULL);
	T_ASSERT(c.access_key_id == NULL);
}

static void
test_imds_settings(void)
{
	struct credentials c = { 0 };
	const char *err;

	setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
	T_EQ_INT(cred_imds_fetch(&c), CRED_ABSENT);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5", 1);
	t_capture_start();
	T_EQ_INT(cred_imds_fetch(&c), 78);
	err = t_capture_end();
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	T_EQ_STR(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv5' is "
	    "neither IPv4 nor IPv6\n");
}

static const char web_identity_xml[] =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/"
    "doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><AssumedRoleUser>"
    "<Arn>arn:aws:sts::444455556666:assumed-role/CiReader/bedrock-trail"
    "</Arn></AssumedRoleUser><Credentials><AccessKeyId>ASIAWEBID</AccessKeyId>"
    "<SecretAccessKey>webSecret</SecretAccessKey><SessionToken>webToken"
    "</SessionToken><Expiration>2026-12-03T15:23:13Z</Expiration>"
    "</Credentials></AssumeRoleWithWebIdentityResult>"
    "</AssumeRoleWithWebIdentityResponse>";

static const char denied_xml[] = "<ErrorResponse><Error><Type>Sender</Type>"
    "<Code>InvalidIdentityToken</Code><Message>Token expired: current date/"
    "time 1796311393 must be before the expiration date/time1796300000"
    "</Message></Error></ErrorResponse>";

static int
web_identity(const char *const *answers, size_t n, const char *token,
    const char **log, const char **err, struct credentials *c)
{
	struct sts_target t = { "us-east-1", NULL, NULL, 5, 1 };
	char path[] = "/tmp/bt-webid-XXXXXX";
	int fd = mkstemp(path), rc;
	struct stub s;

	T_ASSERT(write(fd, token, strlen(token)) == (ssize_t)strlen(token));
	close(fd);
	stub_start(&s, answers, n);
	t.endpoint_url = stub_url(&s, "");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::444455556666:role/CiReader", 1);
	t_capture_start();
	rc = cred_web_identity_fetch(&t, NULL, NULL, NULL, c);
	*err = t_capture_end();
	*log = stub_stop(&s);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_ARN");
	unlink(path);
	return rc;
}

static void
test_web_identity(void)
{
	const char *a[] = { answer(0, "200 OK", "text/xml", web_identity_xml) };
	const char *d[] = { answer(1, "400 Bad Request", "text/xml",
	    denied_xml) }, *log, *err;
	struct credentials c = { 0 };

	T_EQ_INT(web_identity(a, 1, "oidc.jwt.token\n", &log, &err, &c), 0);
	T_EQ_STR(err, "");
	T_EQ_STR(c.access_key_id, "ASIAWEBID");
	T_EQ_INT(c.source, CRED_WEB_IDENTITY);
	T_EQ_STR(c.identity_arn,
	    "arn:aws:sts::444455556666:assumed-role/CiReader/bedrock-trail");
	T_ASSERT(strstr(log, "&RoleSessionName=bedrock-trail"
	    "&WebIdentityToken=oidc.jwt.token\n=====") != NULL);
	T_ASSERT(strstr(log, "Authorization") == NULL);
	credentials_clear(&c);
	T_EQ_INT(web_identity(d, 1, "old.jwt", &log, &err, &c), 77);
	T_EQ_STR(err, AUTH "web identity: cannot assume arn:aws:iam::444455556666:"
	    "role/CiReader: InvalidIdentityToken: Token expired: current date/"
	    "time 1796311393 must be before the expiration date/time1796300000"
	    "\n");
}

static void
test_web_identity_settings(void)
{
	struct sts_target t = { "us-east-1", NULL, NULL, 5, 1 };
	struct credentials c = { 0 };
	const char *err;

	T_EQ_INT(cred_web_identity_fetch(&t, NULL, NULL, NULL, &c),
	    CRED_ABSENT);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	t_capture_start();
	T_EQ_INT(cred_web_identity_fetch(&t, NULL, NULL, NULL, &c), 78);
	err = t_capture_end();
	T_EQ_STR(err, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but no "
	    "role: set AWS_ROLE_ARN\n");
	t_capture_start();
	T_EQ_INT(cred_web_identity_fetch(&t, NULL, "arn:aws:iam::1:role/r",
	    NULL, &c), 78);
	err = t_capture_end();
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	T_EQ_STR(err, "web identity: cannot read the token file "
	    "/nonexistent/token: No such file or directory\n");
}

/* Writes HOME/.aws/sso/cache/SHA1(key).json. */
static void
sso_cache(const char *home, const char *key, const char *json)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char hex[41], *dir, *path;
	FILE *f;

	SHA1((const unsigned char *)key, strlen(key), md);
	hex_encode(md, sizeof(md), hex);
	dir = xasprintf("mkdir -p %s/.aws/sso/cache", home);
	T_EQ_INT(system(dir), 0);
	path = xasprintf("%s/.aws/sso/cache/%s.json", home, hex);
	f = fopen(path, "w");
	fputs(json, f);
	fclose(f);
	free(dir);
	free(path);
}

static void
test_sso(void)
{
	const struct cred_sso s = { "https://d-1234.awsapps.com/start",
		"eu-west-1", "111122223333", "ReadOnly", "my-sso" };
	const char *a[] = { json200(0, "{\"roleCredentials\":{\"accessKeyId\":"
	    "\"ASIASSO\",\"secretAccessKey\":\"ssoSecret\",\"sessionToken\":"
	    "\"ssoToken\",\"expiration\":1796311393000}}") }, *log, *err;
	char home[] = "/tmp/bt-home-XXXXXX", *old = getenv("HOME"), *path;
	struct credentials c = { 0 };
	struct stub st;
	char *saved = old ? xstrdup(old) : NULL;

	T_ASSERT(mkdtemp(home) != NULL);
	setenv("HOME", home, 1);
	t_capture_start();
	T_EQ_INT(cred_sso_fetch(&s, "dev", NULL, &c), 77);
	err = t_capture_end();
	T_EQ_STR(err, AUTH "sso: no cached login: run `aws sso login --profile "
	    "dev`\n");
	sso_cache(home, "my-sso", "{\"accessToken\":\"bearer-1\","
	    "\"expiresAt\":\"2020-01-01T00:00:00Z\"}");
	t_capture_start();
	T_EQ_INT(cred_sso_fetch(&s, "dev", NULL, &c), 77);
	err = t_capture_end();
	T_EQ_STR(err, AUTH "sso: the cached login has expired: run `aws sso login "
	    "--profile dev`\n");
	sso_cache(home, "my-sso", "{\"accessToken\":\"bearer-1\","
	    "\"expiresAt\":\"2999-01-01T00:00:00Z\"}");
	stub_start(&st, a, 1);
	setenv("AWS_ENDPOINT_URL_SSO", stub_url(&st, "/"), 1);
	t_capture_start();
	T_EQ_INT(cred_sso_fetch(&s, "dev", NULL, &c), 0);
	err = t_capture_end();
	log = stub_stop(&st);
	unsetenv("AWS_ENDPOINT_URL_SSO");
	T_EQ_STR(err, "");
	T_EQ_STR(c.access_key_id, "ASIASSO");
	T_EQ_INT(c.source, CRED_SSO);
	T_ASSERT(strncmp(log, "GET /federation/credentials?role_name=ReadOnly"
	    "&account_id=111122223333 HTTP/1.1\r\n", 81) == 0);
	T_ASSERT(strstr(log, "\r\nx-amz-sso_bearer_token: bearer-1\r\n") != NULL);
	credentials_clear(&c);
	/* logged in, but the role is not this user's */
	a[0] = "HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: ForbiddenException"
	    "\r\nContent-Length: 23\r\nConnection: close\r\n\r\n"
	    "{\"message\":\"No access\"}";
	stub_start(&st, a, 1);
	setenv("AWS_ENDPOINT_URL_SSO", stub_url(&st, "/"), 1);
	t_capture_start();
	T_EQ_INT(cred_sso_fetch(&s, "dev", NULL, &c), 77);
	err = t_capture_end();
	stub_stop(&st);
	unsetenv("AWS_ENDPOINT_URL_SSO");
	T_EQ_STR(err, AUTH "sso: no access to role ReadOnly in account 111122223333: "
	    "ForbiddenException\n");
	if (saved != NULL)
		setenv("HOME", saved, 1);
	free(saved);
	path = xasprintf("rm -rf %s", home);
	T_EQ_INT(system(path), 0);
	free(path);
}

int
main(void)
{
	T_RUN(test_container_full_uri);
	T_RUN(test_container_token_file);
	T_RUN(test_container_forbidden_hosts);
	T_RUN(test_container_refusals);
	T_RUN(test_container_absent);
	T_RUN(test_imds_v2);
	T_RUN(test_imds_faults);
	T_RUN(test_imds_settings);
	T_RUN(test_web_identity);
	T_RUN(test_web_identity_settings);
	T_RUN(test_sso);
	return T_DONE();
}
