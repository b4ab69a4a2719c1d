/*
 * The bytes as the shared config file (AWS_CONFIG_FILE), with a fixed
 * credentials file beside it, resolved at a few profiles as the chain
 * resolves them. Whatever the text: an answer the header allows (0,
 * CRED_ABSENT, EX_CONFIG, EX_NOPERM), nothing left in the plan on
 * failure, never more roles than CRED_MAX_ROLES, and every role an ARN
 * that the file holds.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cred_plan.h"
#include "fuzz.h"

static const char credentials[] =
    "[base]\naws_access_key_id = AKIAFUZZBASE00000001\n"
    "aws_secret_access_key = fuzzSECRETfuzzSECRETfuzzSECRETfuzz0001\n";

void
fuzz_target_init(void)
{
}

static bool
contains(const uint8_t *data, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(data + i, s, n) == 0)
			return true;
	return false;
}

static void
resolve(const char *profile, bool named, const uint8_t *data, size_t len)
{
	struct cred_plan plan;
	int rc;

	memset(&plan, 0, sizeof(plan));
	rc = cred_profile_plan(profile, named, &plan);
	FUZZ_CHECK(
	    rc == 0 || rc == CRED_ABSENT || rc == EX_CONFIG || rc == EX_NOPERM,
	    "result");
	FUZZ_CHECK(plan.nroles <= CRED_MAX_ROLES, "too many roles");
	if (rc != 0)
		FUZZ_CHECK(plan.base == CRED_NONE && plan.nroles == 0 &&
			plan.keys.access_key_id == NULL,
		    "failure left a plan");
	else
		FUZZ_CHECK(plan.base != CRED_NONE, "success without a source");
	for (size_t i = 0; i < plan.nroles; i++)
		FUZZ_CHECK(plan.roles[i].role_arn != NULL &&
			contains(data, len, plan.roles[i].role_arn),
		    "a role the file does not name");
	cred_plan_free(&plan);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *config = fuzz_path("config");
	const char *creds = fuzz_path("credentials");

	fuzz_setup();
	fuzz_write_file(config, data, len, 0600);
	fuzz_write_file(creds, credentials, sizeof(credentials) - 1, 0600);
	setenv("AWS_CONFIG_FILE", config, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	resolve("default", false, data, len);
	resolve("a", true, data, len);
	resolve("b", true, data, len);
	return 0;
}
