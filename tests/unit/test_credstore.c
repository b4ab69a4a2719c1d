/*
 * The encrypted store and its key file, in a fresh directory under /tmp:
 * round trips, what the file must not contain, tampering and truncation at
 * every byte, the wrong key, file modes, and what the messages say.
 */
#define _GNU_SOURCE	/* memmem */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "credstore.h"
#include "t.h"

#define KEY_ID	"AKIAIOSFODNN7EXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN	"FwoGZXIvYXdzEXAMPLESESSIONTOKEN+/=="

static char dir[64];
static char store[128], key[128];

static void
fresh_dir(void)
{
	char cmd[128];

	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	snprintf(dir, sizeof(dir), "/tmp/bt-credstore-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(store, sizeof(store), "%s/state/credentials.enc", dir);
	snprintf(key, sizeof(key), "%s/conf/master.key", dir);
}

/* stderr since t_capture_start (caller frees). */
static char *
capture_end(void)
{
	return strdup(t_capture_end());
}

static unsigned char *
read_bytes(const char *path, size_t *len)
{
	unsigned char *buf = malloc(1 << 20);
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (f != NULL) {
		*len = fread(buf, 1, 1 << 20, f);
		fclose(f);
	}
	return buf;
}

static void
write_bytes(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	(void)!write(fd, buf, len);
	fchmod(fd, mode);
	close(fd);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static void
creds_init(struct credentials *c, bool token, bool regions)
{
	memset(c, 0, sizeof(*c));
	c->access_key_id = strdup(KEY_ID);
	c->secret_access_key = strdup(SECRET);
	c->session_token = token ? strdup(TOKEN) : NULL;
	if (regions) {
		strlist_add(&c->regions, "us-east-1");
		strlist_add(&c->regions, "eu-central-2");
	}
}

/* Saves the standard credentials into a fresh directory. */
static void
save_standard(void)
{
	struct credentials c;

	fresh_dir();
	creds_init(&c, true, true);
	T_EQ_INT(credstore_save(store, key, &c), 0);
	credentials_clear(&c);
}

/* Loads a store expected to fail; returns the exit code and stderr. */
static int
load_failing(const char *keypath, char **err)
{
	struct credentials c = { 0 };
	bool found = true;
	int rc;

	t_capture_start();
	rc = credstore_load(store, keypath, &c, &found);
	*err = capture_end();
	T_ASSERT(!found);
	T_ASSERT(c.access_key_id == NULL);
	T_ASSERT(strstr(*err, SECRET) == NULL && strstr(*err, KEY_ID) == NULL);
	credentials_clear(&c);
	return rc;
}

static void
test_round_trip_with_token_and_regions(void)
{
	struct credentials out = { 0 };
	bool found = false;

	save_standard();
	T_EQ_INT(credstore_load(store, key, &out, &found), 0);
	T_ASSERT(found);
	T_EQ_STR(out.access_key_id, KEY_ID);
	T_EQ_STR(out.secret_access_key, SECRET);
	T_EQ_STR(out.session_token, TOKEN);
	T_EQ_INT(out.source, CRED_STORE);
	T_EQ_STR(out.origin, store);
	T_EQ_INT(out.regions.n, 2);
	if (out.regions.n == 2) {
		T_EQ_STR(out.regions.v[0], "us-east-1");
		T_EQ_STR(out.regions.v[1], "eu-central-2");
	}
	credentials_clear(&out);
}

/* A role stored with the keys; stores written before roles have none. */
static void
test_round_trip_with_a_role(void)
{
	struct credentials in, out = { 0 };
	bool found = false;

	fresh_dir();
	creds_init(&in, false, false);
	in.role_arn = strdup("arn:aws:iam::111122223333:role/Reader");
	in.external_id = strdup("ext-1234");
	T_EQ_INT(credstore_save(store, key, &in), 0);
	T_EQ_INT(credstore_load(store, key, &out, &found), 0);
	T_EQ_STR(out.role_arn, "arn:aws:iam::111122223333:role/Reader");
	T_EQ_STR(out.external_id, "ext-1234");
	T_EQ_STR(out.access_key_id, KEY_ID);
	credentials_clear(&out);
	credentials_clear(&in);
	save_standard();
	T_EQ_INT(credstore_load(store, key, &out, &found), 0);
	T_ASSERT(out.role_arn == NULL && out.external_id == NULL);
	credentials_clear(&out);
}

static void
test_round_trip_without_token_or_regions(void)
{
	struct credentials in, out = { 0 };
	bool found = false;

	fresh_dir();
	creds_init(&in, false, false);
	T_EQ_INT(credstore_save(store, key, &in), 0);
	T_EQ_INT(credstore_load(store, key, &out, &found), 0);
	T_ASSERT(found);
	T_EQ_STR(out.access_key_id, KEY_ID);
	T_EQ_STR(out.secret_access_key, SECRET);
	T_ASSERT(out.session_token == NULL);
	T_EQ_INT(out.regions.n, 0);
	credentials_clear(&in);
	credentials_clear(&out);
}

static void
test_file_holds_no_plaintext(void)
{
	unsigned char *buf;
	size_t len;

	save_standard();
	buf = read_bytes(store, &len);
	T_ASSERT(len > 5 + 12 + 16);
	T_ASSERT(memcmp(buf, "BTCS\x01", 5) == 0);
	T_ASSERT(memmem(buf, len, SECRET, strlen(SECRET)) == NULL);
	T_ASSERT(memmem(buf, len, KEY_ID, strlen(KEY_ID)) == NULL);
	T_ASSERT(memmem(buf, len, TOKEN, strlen(TOKEN)) == NULL);
	T_ASSERT(memmem(buf, len, "us-east-1", 9) == NULL);
	T_ASSERT(memmem(buf, len, "secret_access_key", 17) == NULL);
	free(buf);
}

static void
test_each_save_uses_a_fresh_nonce(void)
{
	struct credentials c;
	unsigned char *a, *b;
	size_t alen, blen;

	save_standard();
	a = read_bytes(store, &alen);
	creds_init(&c, true, true);
	T_EQ_INT(credstore_save(store, key, &c), 0);
	credentials_clear(&c);
	b = read_bytes(store, &blen);
	T_EQ_INT(alen, blen);
	T_ASSERT(memcmp(a + 5, b + 5, 12) != 0);	/* the nonces */
	T_ASSERT(memcmp(a + 17, b + 17, alen - 17) != 0);
	free(a);
	free(b);
}

static void
test_every_flipped_byte_is_detected(void)
{
	unsigned char *buf;
	size_t len, bad = 0;
	char *err = NULL;

	save_standard();
	buf = read_bytes(store, &len);
	T_ASSERT(len > 33);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		write_bytes(store, buf, len, 0600);
		buf[i] ^= 0x01;
		free(err);
		if (load_failing(key, &err) != EX_DATAERR) {
			T_FAIL("byte %zu flipped: not EX_DATAERR", i);
			bad++;
		}
	}
	T_EQ_INT(bad, 0);
	T_ASSERT(strstr(err, "credential store is corrupt or was written "
	    "with another key") != NULL);
	T_ASSERT(strncmp(err, store, strlen(store)) == 0);
	/* The untouched bytes still load: the flips were the cause. */
	write_bytes(store, buf, len, 0600);
	{
		struct credentials c = { 0 };
		bool found = false;

		T_EQ_INT(credstore_load(store, key, &c, &found), 0);
		T_ASSERT(found);
		credentials_clear(&c);
	}
	free(err);
	free(buf);
}

static void
test_truncation_is_detected(void)
{
	size_t cuts[] = { 0, 1, 4, 5, 6, 16, 17, 32, 33, 40 };
	unsigned char *buf;
	size_t len;
	char *err;

	save_standard();
	buf = read_bytes(store, &len);
	T_ASSERT(len > 40);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]) + 2; i++) {
		size_t cut = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] :
		    len - (i - sizeof(cuts) / sizeof(cuts[0]) + 1);

		write_bytes(store, buf, cut, 0600);
		if (load_failing(key, &err) != EX_DATAERR)
			T_FAIL("truncated to %zu bytes: not EX_DATAERR", cut);
		free(err);
	}
	/* Appended garbage shifts the tag: also corrupt. */
	memcpy(buf + len, "x", 1);
	write_bytes(store, buf, len + 1, 0600);
	T_EQ_INT(load_failing(key, &err), EX_DATAERR);
	free(err);
	free(buf);
}

static void
test_another_key_is_detected(void)
{
	unsigned char other[32];
	char otherkey[160], *err;

	save_standard();
	snprintf(otherkey, sizeof(otherkey), "%s/other.key", dir);
	RAND_bytes(other, sizeof(other));
	write_bytes(otherkey, other, sizeof(other), 0600);
	T_EQ_INT(load_failing(otherkey, &err), EX_DATAERR);
	T_ASSERT(strstr(err, "another key") != NULL);
	free(err);
}

static void
test_key_file_of_wrong_size(void)
{
	unsigned char bytes[33] = { 0 };
	char *err;

	save_standard();
	write_bytes(key, bytes, 31, 0600);
	T_EQ_INT(load_failing(key, &err), EX_DATAERR);
	T_ASSERT(strstr(err, key) != NULL);
	free(err);
	/* One byte too many: the size is the error, not the key. */
	write_bytes(key, bytes, 33, 0600);
	T_EQ_INT(load_failing(key, &err), EX_DATAERR);
	T_ASSERT(strstr(err, "key file must hold exactly 32 bytes") != NULL);
	free(err);
	write_bytes(key, bytes, 0, 0600);
	T_EQ_INT(load_failing(key, &err), EX_DATAERR);
	free(err);
}

static void
test_readable_key_file_is_refused(void)
{
	mode_t modes[] = { 0640, 0644, 0604, 0620 };
	char want[512], *err;

	save_standard();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		chmod(key, modes[i]);
		T_EQ_INT(load_failing(key, &err), EX_CONFIG);
		snprintf(want, sizeof(want), "%s: key file has mode %04o; it "
		    "must not be readable by group or others (chmod 600 %s)\n",
		    key, (unsigned int)modes[i], key);
		T_EQ_STR(err, want);
		free(err);
	}
	/* connect must not write with such a key either. */
	{
		struct credentials c;

		creds_init(&c, false, false);
		t_capture_start();
		T_EQ_INT(credstore_save(store, key, &c), EX_CONFIG);
		free(capture_end());
		credentials_clear(&c);
	}
}

static void
test_readable_store_is_refused(void)
{
	mode_t modes[] = { 0640, 0644 };
	char want[512], *err;

	save_standard();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		chmod(store, modes[i]);
		T_EQ_INT(load_failing(key, &err), EX_CONFIG);
		snprintf(want, sizeof(want), "%s: store file has mode %04o; "
		    "it must not be readable by group or others (chmod 600 "
		    "%s)\n", store, (unsigned int)modes[i], store);
		T_EQ_STR(err, want);
		free(err);
	}
}

static void
test_created_files_are_private(void)
{
	char sub[160];

	save_standard();
	T_EQ_INT(mode_of(store), 0600);
	T_EQ_INT(mode_of(key), 0600);
	snprintf(sub, sizeof(sub), "%s/state", dir);
	T_EQ_INT(mode_of(sub), 0700);
	snprintf(sub, sizeof(sub), "%s/conf", dir);
	T_EQ_INT(mode_of(sub), 0700);
	{
		size_t len;
		unsigned char *k = read_bytes(key, &len);

		T_EQ_INT(len, 32);
		free(k);
	}
}

static void
test_save_leaves_no_temp_file(void)
{
	char sub[160];
	struct dirent *e;
	DIR *d;
	int n = 0;

	save_standard();
	save_standard();
	snprintf(sub, sizeof(sub), "%s/state", dir);
	T_ASSERT((d = opendir(sub)) != NULL);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		T_EQ_STR(e->d_name, "credentials.enc");
		n++;
	}
	if (d != NULL)
		closedir(d);
	T_EQ_INT(n, 1);
}

static void
test_save_keeps_existing_key(void)
{
	unsigned char *a, *b;
	size_t alen, blen;
	struct credentials c;

	save_standard();
	a = read_bytes(key, &alen);
	creds_init(&c, false, false);
	T_EQ_INT(credstore_save(store, key, &c), 0);
	credentials_clear(&c);
	b = read_bytes(key, &blen);
	T_EQ_INT(blen, 32);
	T_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);
}

static void
test_writable_key_directory_is_refused(void)
{
	struct credentials c;
	char sub[160], *err;

	fresh_dir();
	snprintf(sub, sizeof(sub), "%s/conf", dir);
	mkdir(sub, 0700);
	chmod(sub, 0770);
	creds_init(&c, false, false);
	t_capture_start();
	T_EQ_INT(credstore_save(store, key, &c), EX_CONFIG);
	err = capture_end();
	T_ASSERT(strncmp(err, sub, strlen(sub)) == 0);
	T_ASSERT(strstr(err, "writable by group or others") != NULL);
	T_ASSERT(access(key, F_OK) == -1);
	T_ASSERT(access(store, F_OK) == -1);
	credentials_clear(&c);
	free(err);
}

static void
test_missing_store_is_not_found(void)
{
	struct credentials c = { 0 };
	bool found = true;

	fresh_dir();
	/* No key file either: it is not needed to learn there is no store. */
	T_EQ_INT(credstore_load(store, key, &c, &found), 0);
	T_ASSERT(!found);
	T_ASSERT(c.access_key_id == NULL);
}

static void
test_store_without_key_file(void)
{
	char *err;

	save_standard();
	unlink(key);
	T_EQ_INT(load_failing(key, &err), EX_CONFIG);
	T_ASSERT(strstr(err, key) != NULL);
	free(err);
}

static void
test_symlinked_store_is_refused(void)
{
	char link[160], *err;

	save_standard();
	snprintf(link, sizeof(link), "%s/state/real.enc", dir);
	rename(store, link);
	T_EQ_INT(symlink(link, store), 0);
	T_EQ_INT(load_failing(key, &err), EX_CONFIG);
	T_ASSERT(strstr(err, "symbolic link") != NULL);
	free(err);
}

/* Encrypts any plaintext the way the store does, with the key file's key. */
static void
seal_plaintext(const char *pt)
{
	unsigned char k[32], out[4096], *ct = out + 17;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t klen;
	unsigned char *kb = read_bytes(key, &klen);
	int n, m;

	memcpy(k, kb, 32);
	free(kb);
	memcpy(out, "BTCS\x01", 5);
	RAND_bytes(out + 5, 12);
	EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, out + 5);
	EVP_EncryptUpdate(ctx, NULL, &n, out, 5);
	EVP_EncryptUpdate(ctx, ct, &n, (const unsigned char *)pt,
	    (int)strlen(pt));
	EVP_EncryptFinal_ex(ctx, ct + n, &m);
	EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, ct + n + m);
	EVP_CIPHER_CTX_free(ctx);
	write_bytes(store, out, 17 + (size_t)(n + m) + 16, 0600);
}

static void
test_sealed_plaintext_is_validated(void)
{
	const char *bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"access_key_id\":\"" KEY_ID "\",\"regions\":[]}",
		"{\"secret_access_key\":\"" SECRET "\",\"regions\":[]}",
		"{\"access_key_id\":1,\"secret_access_key\":\"" SECRET "\"}",
		"{\"access_key_id\":\"\",\"secret_access_key\":\"" SECRET "\"}",
		"{\"access_key_id\":\"" KEY_ID "\",\"secret_access_key\":\""
		    SECRET "\",\"regions\":\"us-east-1\"}",
		"{\"access_key_id\":\"" KEY_ID "\",\"secret_access_key\":\""
		    SECRET "\",\"regions\":[1]}",
		"{\"access_key_id\":\"" KEY_ID "\",\"secret_access_key\":\""
		    SECRET "\",\"session_token\":7}",
	};
	struct credentials c = { 0 };
	bool found = false;
	char *err;

	save_standard();
	/* The helper writes what the store reads: a good one loads. */
	seal_plaintext("{\"access_key_id\":\"AKIAOTHER0000000WXYZ\","
	    "\"secret_access_key\":\"s\",\"regions\":[\"eu-west-1\"]}");
	T_EQ_INT(credstore_load(store, key, &c, &found), 0);
	T_ASSERT(found);
	T_EQ_STR(c.access_key_id, "AKIAOTHER0000000WXYZ");
	T_EQ_INT(c.regions.n, 1);
	credentials_clear(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		seal_plaintext(bad[i]);
		if (load_failing(key, &err) != EX_DATAERR)
			T_FAIL("plaintext %zu accepted", i);
		free(err);
	}
}

static void
test_remove(void)
{
	bool existed = false;

	save_standard();
	T_EQ_INT(credstore_remove(store, &existed), 0);
	T_ASSERT(existed);
	T_ASSERT(access(store, F_OK) == -1);
	T_EQ_INT(credstore_remove(store, &existed), 0);
	T_ASSERT(!existed);
}

int
main(void)
{
	char cmd[128];

	T_RUN(test_round_trip_with_token_and_regions);
	T_RUN(test_round_trip_without_token_or_regions);
	T_RUN(test_round_trip_with_a_role);
	T_RUN(test_file_holds_no_plaintext);
	T_RUN(test_each_save_uses_a_fresh_nonce);
	T_RUN(test_every_flipped_byte_is_detected);
	T_RUN(test_truncation_is_detected);
	T_RUN(test_another_key_is_detected);
	T_RUN(test_key_file_of_wrong_size);
	T_RUN(test_readable_key_file_is_refused);
	T_RUN(test_readable_store_is_refused);
	T_RUN(test_created_files_are_private);
	T_RUN(test_save_leaves_no_temp_file);
	T_RUN(test_save_keeps_existing_key);
	T_RUN(test_writable_key_directory_is_refused);
	T_RUN(test_missing_store_is_not_found);
	T_RUN(test_store_without_key_file);
	T_RUN(test_symlinked_store_is_refused);
	T_RUN(test_sealed_plaintext_is_validated);
	T_RUN(test_remove);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	return T_DONE();
}
