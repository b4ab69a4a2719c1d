/*
 * The bytes as an STS answer, read as AssumeRole, web identity and
 * GetCallerIdentity results and as an ErrorResponse. Credentials are
 * taken only from a document that declares no DOCTYPE, each field is
 * text that occurs in the input, and a failure leaves nothing behind.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sts.h"

void
fuzz_target_init(void)
{
}

static bool
contains(const uint8_t *data, size_t len, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i + n <= len; i++)
		if (memcmp(data + i, s, n) == 0)
			return true;
	return false;
}

/* Text that came through an entity or reference need not be verbatim. */
static void
check_field(const char *v, const uint8_t *data, size_t len)
{
	FUZZ_CHECK(v != NULL && *v != '\0', "empty field");
	for (const char *p = v; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "control character in a field");
	FUZZ_CHECK(contains(data, len, "&") || contains(data, len, v) ||
		contains(data, len, "<![CDATA["),
	    "field not in the input");
}

static void
read_credentials(const uint8_t *data, size_t len, const char *result)
{
	struct credentials c = { 0 };
	struct ct_error err;
	int rc;

	rc = sts_parse_credentials((const char *)data, len, result, &c, &err);
	if (rc == 0) {
		check_field(c.access_key_id, data, len);
		check_field(c.secret_access_key, data, len);
		check_field(c.session_token, data, len);
		check_field(c.identity_arn, data, len);
		FUZZ_CHECK(!contains(data, len, "<!DOCTYPE"),
		    "credentials from a document with a DOCTYPE");
		FUZZ_CHECK(len <= STS_MAX_BODY, "credentials over the cap");
		FUZZ_CHECK(contains(data, len, result), "result not named");
	} else {
		FUZZ_CHECK(rc == -1 && err.kind == CT_MALFORMED, "error kind");
		FUZZ_CHECK(c.access_key_id == NULL &&
			c.secret_access_key == NULL &&
			c.session_token == NULL && c.identity_arn == NULL,
		    "failure left credentials");
	}
	credentials_clear(&c);
}

static void
read_error(const uint8_t *data, size_t len)
{
	struct ct_error err;

	if (sts_parse_error((const char *)data, len, &err) == 0) {
		FUZZ_CHECK(err.code[0] != '\0', "empty code");
		for (const char *p = err.message; *p != '\0'; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20,
			    "control character in the message");
	} else
		FUZZ_CHECK(err.kind == CT_MALFORMED, "error kind");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *account, *arn;
	struct ct_error err;

	fuzz_setup();
	read_credentials(data, len, "AssumeRoleResult");
	read_credentials(data, len, "AssumeRoleWithWebIdentityResult");
	read_error(data, len);
	if (sts_parse_caller_identity(
		(const char *)data, len, &account, &arn, &err) == 0) {
		check_field(account, data, len);
		check_field(arn, data, len);
		free(account);
		free(arn);
	} else
		FUZZ_CHECK(account == NULL && arn == NULL, "failure left ids");
	return 0;
}
