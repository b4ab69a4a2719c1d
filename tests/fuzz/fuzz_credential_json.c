/*
 * The bytes as the JSON of credential_process, the container endpoint,
 * IMDS, SSO's GetRoleCredentials and SSO's token cache. Whatever is
 * accepted has a key id and secret; what fails leaves nothing behind.
 */
#include <stdlib.h>
#include <string.h>

#include "cred_providers.h"
#include "fuzz.h"

void
fuzz_target_init(void)
{
}

static void
check(int rc, struct credentials *c, int need_token)
{
	if (rc == 0) {
		FUZZ_CHECK(
		    c->access_key_id != NULL && *c->access_key_id != '\0',
		    "no key id");
		FUZZ_CHECK(c->secret_access_key != NULL &&
			*c->secret_access_key != '\0',
		    "no secret");
		FUZZ_CHECK(!need_token || c->session_token != NULL,
		    "temporary credentials without a token");
		FUZZ_CHECK(c->session_token == NULL ||
			strpbrk(c->session_token, "\r\n") == NULL,
		    "a line break in a token");
	} else
		FUZZ_CHECK(c->access_key_id == NULL &&
			c->secret_access_key == NULL &&
			c->session_token == NULL,
		    "failure left credentials");
	credentials_clear(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *s = (const char *)data;
	struct credentials c = { 0 };
	char *token;
	time_t t;
	int rc;

	fuzz_setup();
	rc = cred_parse_json(s, len, 1, &c);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2, "result");
	check(rc, &c, 0);
	check(cred_parse_json(s, len, 0, &c), &c, 1);
	check(cred_parse_sso_json(s, len, &c), &c, 1);
	if (cred_parse_sso_cache(s, len, &token, &t) == 0) {
		FUZZ_CHECK(token != NULL && *token != '\0', "empty token");
		cred_wipe(token);
	} else
		FUZZ_CHECK(token == NULL, "failure left a token");
	return 0;
}
