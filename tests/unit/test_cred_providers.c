/*
 * The credential JSON readers and credential_process: the shapes the
 * AWS CLI documents, and processes that fail, lie, flood or hang.
 */
#include <stdlib.h>
#include <string.h>

#include "cred_providers.h"
#include "log.h"
#include "t.h"
#include "util.h"

#define PROC "tests/fixtures/process/"

/* SPEC section 5: every 77 starts with this line. */
#define AUTH	"Invalid credentials or insufficient permissions\n"

static int
parse(const char *json, int require_version, struct credentials *c)
{
	return cred_parse_json(json, strlen(json), require_version, c);
}

static void
test_process_json(void)
{
	struct credentials c = { 0 };

	T_EQ_INT(parse("{\"Version\":1,\"AccessKeyId\":\"AKIAEXAMPLE\","
	    "\"SecretAccessKey\":\"s3cr3t\"}", 1, &c), 0);
	T_EQ_STR(c.access_key_id, "AKIAEXAMPLE");
	T_EQ_STR(c.secret_access_key, "s3cr3t");
	T_ASSERT(c.session_token == NULL);
	T_EQ_INT(c.expiration, 0);
	credentials_clear(&c);
	T_EQ_INT(parse("{\"Version\":1,\"AccessKeyId\":\"ASIAEXAMPLE\","
	    "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\","
	    "\"Expiration\":\"2026-12-03T15:23:13Z\"}", 1, &c), 0);
	T_EQ_STR(c.session_token, "t");
	T_EQ_INT(c.expiration, 1796311393);
	credentials_clear(&c);
}

static void
test_process_json_refused(void)
{
	struct credentials c = { 0 };

	T_EQ_INT(parse("{\"Version\":2,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"s\"}", 1, &c), -2);
	T_EQ_INT(parse("{\"Version\":\"1\",\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"s\"}", 1, &c), -2);
	T_EQ_INT(parse("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", 1,
	    &c), -1);
	T_EQ_INT(parse("{\"Version\":1,\"AccessKeyId\":\"A\"}", 1, &c), -1);
	T_EQ_INT(parse("{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}", 1, &c), -1);
	T_EQ_INT(parse("[1]", 1, &c), -1);
	T_EQ_INT(parse("{\"Version\":1,", 1, &c), -1);
	T_EQ_INT(parse("", 1, &c), -1);
	T_ASSERT(c.access_key_id == NULL);
}

static void
test_endpoint_json(void)
{
	struct credentials c = { 0 };

	/* IMDS */
	T_EQ_INT(parse("{\"Code\":\"Success\",\"LastUpdated\":"
	    "\"2026-12-03T14:00:00Z\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":"
	    "\"ASIAIMDS\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
	    "\"Expiration\":\"2026-12-03T20:00:00Z\"}", 0, &c), 0);
	T_EQ_STR(c.session_token, "t");
	credentials_clear(&c);
	/* the container endpoint */
	T_EQ_INT(parse("{\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"t\",\"Expiration\":\"2026-12-03T20:00:00Z\","
	    "\"RoleArn\":\"arn:aws:iam::123456789012:role/task\"}", 0, &c), 0);
	T_EQ_STR(c.identity_arn, "arn:aws:iam::123456789012:role/task");
	credentials_clear(&c);
	T_EQ_INT(parse("{\"Code\":\"AssumeRoleUnauthorizedAccess\","
	    "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
	    "\"Expiration\":\"2026-12-03T20:00:00Z\"}", 0, &c), -1);
	/* long-term keys never come from these endpoints */
	T_EQ_INT(parse("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", 0,
	    &c), -1);
	T_EQ_INT(parse("<html><body>hello</body></html>", 0, &c), -1);
	/* a line break in a token would become a header of its own */
	T_EQ_INT(parse("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"t\\r\\nX-Evil: 1\",\"Expiration\":"
	    "\"2026-12-03T20:00:00Z\"}", 0, &c), -1);
}

static void
test_sso_json(void)
{
	const char *ok = "{\"roleCredentials\":{\"accessKeyId\":\"ASIASSO\","
	    "\"secretAccessKey\":\"s\",\"sessionToken\":\"t\","
	    "\"expiration\":1796311393000}}";
	const char *cache = "{\"startUrl\":\"https://d-1.awsapps.com/start\","
	    "\"region\":\"us-east-1\",\"accessToken\":\"bearer\","
	    "\"expiresAt\":\"2026-12-03T15:23:13Z\"}";
	struct credentials c = { 0 };
	char *token;
	time_t t;

	T_EQ_INT(cred_parse_sso_json(ok, strlen(ok), &c), 0);
	T_EQ_STR(c.access_key_id, "ASIASSO");
	T_EQ_INT(c.expiration, 1796311393);
	credentials_clear(&c);
	T_EQ_INT(cred_parse_sso_json("{\"roleCredentials\":{}}", 22, &c), -1);
	T_EQ_INT(cred_parse_sso_cache(cache, strlen(cache), &token, &t), 0);
	T_EQ_STR(token, "bearer");
	T_EQ_INT(t, 1796311393);
	cred_wipe(token);
	T_EQ_INT(cred_parse_sso_cache("{}", 2, &token, &t), -1);
}

/* Runs command with stderr captured; returns the code. */
static int
run_process(const char *command, struct credentials *c, const char **err)
{
	int rc;

	t_capture_start();
	rc = cred_process_fetch(command, c);
	*err = t_capture_end();
	return rc;
}

static void
test_process_good(void)
{
	struct credentials c = { 0 };
	const char *err;

	T_EQ_INT(run_process(PROC "good.sh", &c, &err), 0);
	T_EQ_STR(c.access_key_id, "ASIAPROCESSEXAMPLE01");
	T_EQ_STR(c.session_token, "processTokenEXAMPLE");
	T_EQ_INT(c.expiration, 1796311393);
	T_EQ_INT(c.source, CRED_PROCESS);
	T_EQ_STR(err, "");
	credentials_clear(&c);
	/* a bare name is looked up on PATH, as execvp does */
	T_EQ_INT(run_process("sh " PROC "good.sh", &c, &err), 0);
	T_EQ_STR(c.access_key_id, "ASIAPROCESSEXAMPLE01");
	credentials_clear(&c);
	T_EQ_INT(run_process("no-such-program-on-path x", &c, &err), 78);
	T_EQ_STR(err, "credential_process: cannot run no-such-program-on-path: "
	    "No such file or directory\n");
	T_EQ_INT(run_process("tests/fixtures/sts/assume_role.xml", &c, &err),
	    78);
	T_EQ_STR(err, "credential_process: cannot run tests/fixtures/sts/"
	    "assume_role.xml: Permission denied\n");
}

/* Split as shlex.split: quotes, escapes; stdin is empty. */
static void
test_process_splitting(void)
{
	struct credentials c = { 0 };
	const char *err;

	T_EQ_INT(run_process("  " PROC "args.sh 'a b' \"c\\$d\"'e' g\\ h  ",
	    &c, &err), 0);
	T_EQ_STR(c.access_key_id, "3|a b|c$de|g h|eof");
	credentials_clear(&c);
	T_EQ_INT(run_process(PROC "args.sh \"\" '' x", &c, &err), 0);
	T_EQ_STR(c.access_key_id, "3|||x|eof");
	credentials_clear(&c);
	T_EQ_INT(run_process(PROC "args.sh 'unclosed", &c, &err), 78);
	T_EQ_STR(err, "credential_process: cannot split the command: "
	    "unclosed quote or trailing backslash\n");
	T_EQ_INT(run_process("   ", &c, &err), 78);
}

static void
test_process_failures(void)
{
	struct credentials c = { 0 };
	const char *err;

	T_EQ_INT(run_process(PROC "fail.sh", &c, &err), 77);
	T_EQ_STR(err, AUTH "credential_process: " PROC "fail.sh exited with "
	    "status 1: the vault session has expired\n");
	T_EQ_INT(run_process(PROC "garbage.sh", &c, &err), 77);
	T_EQ_STR(err, AUTH "credential_process: " PROC "garbage.sh did not print "
	    "credentials JSON: warning: something odd\n");
	T_EQ_INT(run_process(PROC "version2.sh", &c, &err), 77);
	T_EQ_STR(err, AUTH "credential_process: " PROC "version2.sh printed a "
	    "Version other than 1\n");
	T_EQ_INT(run_process(PROC "huge.sh", &c, &err), 77);
	T_EQ_STR(err, AUTH "credential_process: " PROC "huge.sh wrote more than "
	    "64 KiB\n");
	T_EQ_INT(run_process(PROC "no-such-program", &c, &err), 78);
	T_EQ_STR(err, "credential_process: cannot run " PROC "no-such-program:"
	    " No such file or directory\n");
	T_ASSERT(c.access_key_id == NULL);
}

/* Killed, with the child it started, at the limit. */
static void
test_process_hangs(void)
{
	struct credentials c = { 0 };
	const char *err;
	double start = monotonic_now();

	cred_process_set_timeout(1);
	T_EQ_INT(run_process(PROC "hang.sh", &c, &err), 77);
	cred_process_set_timeout(60);
	T_ASSERT(monotonic_now() - start < 5);
	T_EQ_STR(err, AUTH "credential_process: " PROC "hang.sh was killed after "
	    "1 s\n");
}

int
main(void)
{
	T_RUN(test_process_json);
	T_RUN(test_process_json_refused);
	T_RUN(test_endpoint_json);
	T_RUN(test_sso_json);
	T_RUN(test_process_good);
	T_RUN(test_process_splitting);
	T_RUN(test_process_failures);
	T_RUN(test_process_hangs);
	return T_DONE();
}
