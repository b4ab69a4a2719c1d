/*
 * The bytes as the credential store, read with a fixed key. AES-GCM makes
 * a valid store unforgeable, so the invariant is exact: credstore_load
 * succeeds on precisely the stores that verify under the key (checked here
 * with EVP on its own), those hold the credentials this target sealed, and
 * every bit flip, truncation or extension of such a store is refused.
 *
 * The seed tests/fuzz/corpus/fuzz_credstore/valid.store is a store this
 * target sealed: FUZZ_CREDSTORE_SEED=PATH ./build/fuzz/fuzz_credstore
 * writes a fresh one to PATH and exits.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "credstore.h"
#include "fuzz.h"
#include "util.h"

#define HEADER_LEN 5
#define NONCE_LEN  12
#define TAG_LEN	   16

/* Not a secret: a key for fuzzing only, eight bytes a line. */
/* clang-format off */
static const unsigned char key[32] = {
	0x62, 0x74, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d,
	0x6b, 0x65, 0x79, 0x00, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
	0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
};
/* clang-format on */
static const char *const sealed_id = "AKIAIOSFODNN7EXAMPLE";
static const char *const sealed_secret =
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
static const char *const sealed_token = "FwoGZXIvYXdzEXAMPLETOKEN";

static void
seal_seed(const char *path)
{
	struct credentials c = { 0 };

	c.access_key_id = xstrdup(sealed_id);
	c.secret_access_key = xstrdup(sealed_secret);
	c.session_token = xstrdup(sealed_token);
	strlist_add(&c.regions, "us-east-1");
	strlist_add(&c.regions, "eu-central-2");
	if (credstore_save(path, fuzz_path("master.key"), &c) != 0)
		abort();
	credentials_clear(&c);
}

void
fuzz_target_init(void)
{
	const char *seed = getenv("FUZZ_CREDSTORE_SEED");

	fuzz_write_file(fuzz_path("master.key"), key, sizeof(key), 0600);
	if (seed != NULL) {
		seal_seed(seed);
		exit(0);
	}
}

/* AES-256-GCM open of "BTCS" 1 | nonce | ct | tag, header as AAD. */
static bool
verifies(const uint8_t *blob, size_t len)
{
	unsigned char *pt;
	EVP_CIPHER_CTX *ctx;
	size_t ctlen;
	int n, ok;

	if (len < HEADER_LEN + NONCE_LEN + TAG_LEN ||
	    memcmp(blob, "BTCS\1", HEADER_LEN) != 0)
		return false;
	ctlen = len - HEADER_LEN - NONCE_LEN - TAG_LEN;
	pt = xmalloc(ctlen + 1);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
	    EVP_DecryptInit_ex(
		ctx, EVP_aes_256_gcm(), NULL, key, blob + HEADER_LEN) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, blob, HEADER_LEN) == 1 &&
	    EVP_DecryptUpdate(
		ctx, pt, &n, blob + HEADER_LEN + NONCE_LEN, (int)ctlen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
		(void *)(blob + len - TAG_LEN)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, pt + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	free(pt);
	return ok;
}

/* credstore_load on exactly these bytes; 0 only when found. */
static int
load(const uint8_t *data, size_t len, struct credentials *c)
{
	const char *path = fuzz_path("credentials.enc");
	bool found = false;
	int rc;

	fuzz_write_file(path, data, len, 0600);
	rc = credstore_load(path, fuzz_path("master.key"), c, &found);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR, "credstore_load result");
	FUZZ_CHECK(rc != 0 || found, "an existing store not found");
	return rc;
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Every single-bit flip of a byte, a truncation and an extension. */
static void
check_mutations(const uint8_t *data, size_t len)
{
	struct credentials c = { 0 };
	uint8_t *m = xmalloc(len + 1);
	size_t i;

	memcpy(m, data, len);
	for (i = 0; i < len; i++) {
		m[i] ^= (uint8_t)(1u << (i % 8));
		FUZZ_CHECK(load(m, len, &c) != 0, "accepted a flipped bit");
		m[i] = data[i];
	}
	FUZZ_CHECK(load(m, len - 1, &c) != 0, "accepted a truncated store");
	m[len] = 0;
	FUZZ_CHECK(load(m, len + 1, &c) != 0, "accepted an extended store");
	credentials_clear(&c);
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct credentials c = { 0 };
	bool genuine = verifies(data, len);
	int rc;

	fuzz_setup();
	rc = load(data, len, &c);
	FUZZ_CHECK((rc == 0) == genuine, "load disagrees with AES-GCM");
	if (rc == 0) {
		FUZZ_CHECK(same(c.access_key_id, sealed_id) &&
			same(c.secret_access_key, sealed_secret) &&
			same(c.session_token, sealed_token) &&
			c.regions.n == 2 && c.source == CRED_STORE,
		    "decoded credentials differ from the sealed ones");
		check_mutations(data, len);
	}
	credentials_clear(&c);
	return 0;
}
