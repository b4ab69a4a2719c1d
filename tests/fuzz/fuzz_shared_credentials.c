/*
 * The bytes as a shared credentials file (INI), read at two profiles.
 * Found credentials must be copied from the file at that profile: a key
 * id, secret or token never comes from anywhere else, never has the
 * white space around it, and never spans lines.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "credentials.h"
#include "fuzz.h"

void
fuzz_target_init(void)
{
}

/* memmem is a GNU extension; the build asks for POSIX. */
static bool
contains(const uint8_t *data, size_t len, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i + n <= len; i++)
		if (memcmp(data + i, s, n) == 0)
			return true;
	return false;
}

static void
check_value(const char *v, const uint8_t *data, size_t len)
{
	size_t n;

	FUZZ_CHECK(v != NULL && *v != '\0', "empty value");
	n = strlen(v);
	FUZZ_CHECK(strchr(v, '\n') == NULL, "value spans lines");
	FUZZ_CHECK(v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' &&
		v[n - 1] != '\t' && v[n - 1] != '\r',
	    "value not trimmed");
	FUZZ_CHECK(contains(data, len, v), "value not in the file");
}

static void
read_profile(
    const char *path, const char *profile, const uint8_t *data, size_t len)
{
	struct credentials c = { 0 };
	int rc;

	rc = credentials_from_shared_file(path, profile, &c);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == EX_CONFIG, "result");
	if (rc == 0) {
		check_value(c.access_key_id, data, len);
		check_value(c.secret_access_key, data, len);
		if (c.session_token != NULL)
			check_value(c.session_token, data, len);
		FUZZ_CHECK(c.source == CRED_SHARED, "source");
		FUZZ_CHECK(contains(data, len, profile),
		    "found a profile the file does not name");
	} else
		FUZZ_CHECK(
		    c.access_key_id == NULL && c.secret_access_key == NULL,
		    "failure left credentials");
	credentials_clear(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *path = fuzz_path("credentials");

	fuzz_setup();
	fuzz_write_file(path, data, len, 0600);
	read_profile(path, "default", data, len);
	read_profile(path, "prod", data, len);
	return 0;
}
