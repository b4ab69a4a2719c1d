/*
 * The encrypted credential store and its key file: see credstore.h.
 *
 * Every buffer that holds a key or plaintext is wiped with OPENSSL_cleanse
 * before it is freed. JSON is printed into a buffer we allocate, so that
 * cJSON never reallocates (and leaves behind) a copy of a secret.
 */
#include "credstore.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "json.h"
#include "log.h"
#include "owner.h"
#include "util.h"

#define STORE_MAGIC	"BTCS"
#define STORE_VERSION	1
#define HEADER_LEN	5
#define NONCE_LEN	12
#define TAG_LEN		16
#define KEY_LEN		32
#define STORE_MIN	(HEADER_LEN + NONCE_LEN + TAG_LEN)
/* A store holds a few short strings: anything this large is not ours. */
#define STORE_MAX	(1024 * 1024)

static void
wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

/*
 * Reads a file that only its owner may read, without following a symbolic
 * link. Returns 0 with *buf (max + 1 bytes, *len of them used; *len > max
 * means the file is larger), 1 when the file does not exist, or an exit
 * code after reporting.
 */
static int
private_read(const char *path, const char *what, size_t max,
    unsigned char **bufp, size_t *lenp)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP) {
			log_error("%s: %s is a symbolic link; refusing to "
			    "follow it", path, what);
			return EX_CONFIG;
		}
		if (owner_is_permission_errno(errno))
			return owner_permission_error(path, what, "read");
		log_error("%s: %s", path, strerror(errno));
		return EX_IOERR;
	}
	if (fstat(fd, &st) == -1) {
		log_error("%s: %s", path, strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: %s is not a regular file", path, what);
		rc = EX_CONFIG;
		goto out;
	}
	if (!mode_is_private(st.st_mode)) {
		log_error("%s: %s has mode %04o; it must not be readable by "
		    "group or others (chmod 600 %s)", path, what,
		    (unsigned int)(st.st_mode & 07777), path);
		rc = EX_CONFIG;
		goto out;
	}
	buf = xmalloc(max + 1);
	while (len <= max) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("%s: %s", path, strerror(errno));
			rc = EX_IOERR;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	wipe_free(buf, max + 1);
	close(fd);
	return rc;
}

/* 0 with key filled, 1 when there is no key file, or an exit code. */
static int
key_read(const char *path, unsigned char key[KEY_LEN])
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = private_read(path, "key file", KEY_LEN, &buf, &len)) != 0)
		return rc;
	if (len != KEY_LEN) {
		log_error("%s: key file must hold exactly %d bytes", path,
		    KEY_LEN);
		rc = EX_DATAERR;
	} else
		memcpy(key, buf, KEY_LEN);
	wipe_free(buf, KEY_LEN + 1);
	return rc;
}

static int
key_create(const char *path, const char *dir, unsigned char key[KEY_LEN])
{
	mode_t old = umask(077);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	umask(old);
	if (fd == -1 && errno == EEXIST) {
		/* Another connect made it first: use theirs. */
		int rc = key_read(path, key);

		if (rc != 1)
			return rc;
		errno = EEXIST;
	}
	if (fd == -1 && owner_is_permission_errno(errno))
		return owner_permission_error(path, "key file", "create");
	if (fd == -1) {
		log_error("%s: cannot create key file: %s", path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (RAND_bytes(key, KEY_LEN) != 1) {
		log_error("cannot get random bytes for a new key");
		close(fd);
		unlink(path);
		return EX_SOFTWARE;
	}
	if (file_write_all(fd, key, KEY_LEN) == -1 || fsync(fd) == -1) {
		log_error("%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return EX_IOERR;
	}
	if (close(fd) == -1 || file_sync_dir(dir) == -1) {
		log_error("%s: %s", path, strerror(errno));
		unlink(path);
		return EX_IOERR;
	}
	return 0;
}

/* Reads the key file, or makes one in a directory only we can write. */
static int
key_obtain(const char *path, unsigned char key[KEY_LEN])
{
	char *dir = file_dir(path);
	struct stat st;
	int rc;

	if (file_mkdirs(dir) == -1 || stat(dir, &st) == -1) {
		log_error("%s: cannot create key directory: %s", dir,
		    strerror(errno));
		rc = EX_CANTCREAT;
		goto out;
	}
	/* Whoever can write the directory can swap the key under us. */
	if ((st.st_mode & 022) != 0) {
		log_error("%s: key directory is writable by group or others "
		    "(chmod go-w %s)", dir, dir);
		rc = EX_CONFIG;
		goto out;
	}
	if ((rc = key_read(path, key)) == 1)
		rc = key_create(path, dir, key);
out:
	free(dir);
	return rc;
}

/* Overwrites every string in a parsed or built tree before cJSON_Delete. */
static void
json_wipe(cJSON *item)
{
	for (; item != NULL; item = item->next) {
		if (item->valuestring != NULL)
			OPENSSL_cleanse(item->valuestring,
			    strlen(item->valuestring));
		json_wipe(item->child);
	}
}

static size_t
json_room(const char *s)
{
	/* Every byte may become \u00XX; quotes, key and comma around it. */
	return s == NULL ? 0 : 6 * strlen(s) + 32;
}

static int
store_encode(const struct credentials *c, char **jsonp, size_t *sizep)
{
	cJSON *root = cJSON_CreateObject(), *regions = NULL;
	size_t size = 64;
	char *json = NULL;
	bool ok = root != NULL;
	int rc = 0;

	ok = ok && cJSON_AddStringToObject(root, "access_key_id",
	    c->access_key_id) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "secret_access_key",
	    c->secret_access_key) != NULL;
	if (c->session_token != NULL)
		ok = ok && cJSON_AddStringToObject(root, "session_token",
		    c->session_token) != NULL;
	if (c->role_arn != NULL)
		ok = ok && cJSON_AddStringToObject(root, "role_arn",
		    c->role_arn) != NULL;
	if (c->external_id != NULL)
		ok = ok && cJSON_AddStringToObject(root, "external_id",
		    c->external_id) != NULL;
	ok = ok && (regions = cJSON_AddArrayToObject(root, "regions")) != NULL;
	for (size_t i = 0; ok && i < c->regions.n; i++) {
		cJSON *r = cJSON_CreateString(c->regions.v[i]);

		ok = r != NULL && cJSON_AddItemToArray(regions, r);
		size += json_room(c->regions.v[i]);
	}
	size += json_room(c->access_key_id) + json_room(c->secret_access_key) +
	    json_room(c->session_token) + json_room(c->role_arn) +
	    json_room(c->external_id);
	if (ok && size < INT32_MAX) {
		json = xmalloc(size);
		ok = cJSON_PrintPreallocated(root, json, (int)size, 0);
	}
	if (!ok || size >= INT32_MAX) {
		log_error("cannot encode the credential store");
		wipe_free(json, size);
		json = NULL;
		rc = EX_SOFTWARE;
	}
	json_wipe(root);
	cJSON_Delete(root);
	*jsonp = json;
	*sizep = size;
	return rc;
}

/* header | nonce | ciphertext | tag, the header bound in as AAD. */
static int
store_seal(const unsigned char key[KEY_LEN], const char *pt, size_t ptlen,
    unsigned char **blobp, size_t *lenp)
{
	unsigned char *blob = xmalloc(STORE_MIN + ptlen);
	unsigned char *nonce = blob + HEADER_LEN, *ct = nonce + NONCE_LEN;
	EVP_CIPHER_CTX *ctx = NULL;
	int n, m, rc = EX_SOFTWARE;

	memcpy(blob, STORE_MAGIC, 4);
	blob[4] = STORE_VERSION;
	if (ptlen > INT32_MAX || RAND_bytes(nonce, NONCE_LEN) != 1 ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) ||
	    !EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) ||
	    !EVP_EncryptUpdate(ctx, NULL, &n, blob, HEADER_LEN) ||
	    !EVP_EncryptUpdate(ctx, ct, &n, (const unsigned char *)pt,
	    (int)ptlen) ||
	    !EVP_EncryptFinal_ex(ctx, ct + n, &m) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    ct + n + m)) {
		log_error("cannot encrypt the credential store");
		free(blob);
		goto out;
	}
	*blobp = blob;
	*lenp = STORE_MIN + (size_t)n + (size_t)m;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static int
store_corrupt(const char *path)
{
	log_error("%s: credential store is corrupt or was written with "
	    "another key", path);
	return EX_DATAERR;
}

/* Checks the header and the tag; *ptp gets ptlen + 1 bytes, terminated. */
static int
store_open(const char *path, const unsigned char key[KEY_LEN],
    const unsigned char *blob, size_t len, char **ptp, size_t *ptlenp)
{
	const unsigned char *nonce = blob + HEADER_LEN, *ct = nonce + NONCE_LEN;
	size_t ctlen = len - STORE_MIN;
	unsigned char *pt = xmalloc(ctlen + 1);
	EVP_CIPHER_CTX *ctx = NULL;
	int n, m, rc;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) ||
	    !EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) ||
	    !EVP_DecryptUpdate(ctx, NULL, &n, blob, HEADER_LEN) ||
	    !EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    (void *)(ct + ctlen)) ||
	    EVP_DecryptFinal_ex(ctx, pt + n, &m) <= 0) {
		wipe_free(pt, ctlen + 1);
		rc = store_corrupt(path);
		goto out;
	}
	pt[n + m] = '\0';
	*ptp = (char *)pt;
	*ptlenp = (size_t)n + (size_t)m;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* The decrypted JSON into out; anything missing or mistyped is corrupt. */
static int
store_decode(const char *path, const char *pt, size_t ptlen,
    struct credentials *out)
{
	cJSON *root = cJSON_ParseWithLength(pt, ptlen);
	const cJSON *regions, *r, *tok, *role, *ext;
	const char *id, *secret;
	int rc = 0;

	/* Stores written before roles have neither; both are optional. */
	role = cJSON_GetObjectItemCaseSensitive(root, "role_arn");
	ext = cJSON_GetObjectItemCaseSensitive(root, "external_id");
	id = json_string(root, "access_key_id");
	secret = json_string(root, "secret_access_key");
	tok = cJSON_GetObjectItemCaseSensitive(root, "session_token");
	regions = cJSON_GetObjectItemCaseSensitive(root, "regions");
	if (!cJSON_IsObject(root) || id == NULL || *id == '\0' ||
	    secret == NULL || *secret == '\0' ||
	    (tok != NULL && !cJSON_IsString(tok) && !cJSON_IsNull(tok)) ||
	    (regions != NULL && !cJSON_IsArray(regions)) ||
	    (role != NULL && !cJSON_IsString(role)) ||
	    (ext != NULL && !cJSON_IsString(ext))) {
		rc = store_corrupt(path);
		goto out;
	}
	cJSON_ArrayForEach(r, regions) {
		if (!cJSON_IsString(r)) {
			rc = store_corrupt(path);
			goto out;
		}
	}
	memset(out, 0, sizeof(*out));
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	if (cJSON_IsString(tok) && *tok->valuestring != '\0')
		out->session_token = xstrdup(tok->valuestring);
	if (role != NULL)
		out->role_arn = xstrdup(role->valuestring);
	if (ext != NULL)
		out->external_id = xstrdup(ext->valuestring);
	out->source = CRED_STORE;
	out->origin = xstrdup(path);
	cJSON_ArrayForEach(r, regions)
		strlist_add(&out->regions, r->valuestring);
out:
	json_wipe(root);
	cJSON_Delete(root);
	return rc;
}

int
credstore_load(const char *store_path, const char *key_path,
    struct credentials *out, bool *found)
{
	unsigned char key[KEY_LEN];
	unsigned char *blob = NULL;
	char *pt = NULL;
	size_t len = 0, ptlen = 0;
	int rc;

	*found = false;
	rc = private_read(store_path, "store file", STORE_MAX, &blob, &len);
	if (rc == 1)
		return 0;
	if (rc != 0)
		return rc;
	if (len < STORE_MIN || len > STORE_MAX ||
	    memcmp(blob, STORE_MAGIC, 4) != 0 || blob[4] != STORE_VERSION) {
		rc = store_corrupt(store_path);
		goto out;
	}
	if (key_path == NULL || (rc = key_read(key_path, key)) == 1) {
		log_error("%s: key file not found; it is needed to read %s",
		    key_path != NULL ? key_path : "key_file", store_path);
		rc = EX_CONFIG;
	}
	if (rc != 0)
		goto out;
	if ((rc = store_open(store_path, key, blob, len, &pt, &ptlen)) != 0)
		goto out;
	if ((rc = store_decode(store_path, pt, ptlen, out)) == 0)
		*found = true;
out:
	OPENSSL_cleanse(key, sizeof(key));
	wipe_free(pt, ptlen + 1);
	wipe_free(blob, STORE_MAX + 1);
	return rc;
}

int
credstore_save(const char *store_path, const char *key_path,
    const struct credentials *creds)
{
	unsigned char key[KEY_LEN];
	unsigned char *blob = NULL;
	char *json = NULL;
	size_t jsonsize = 0, bloblen = 0;
	int rc;

	if (creds->access_key_id == NULL || creds->secret_access_key == NULL) {
		log_error("cannot store incomplete credentials");
		return EX_SOFTWARE;
	}
	if ((rc = key_obtain(key_path, key)) != 0)
		goto out;
	if ((rc = store_encode(creds, &json, &jsonsize)) != 0)
		goto out;
	rc = store_seal(key, json, strlen(json), &blob, &bloblen);
	if (rc == 0)
		rc = file_replace(store_path, blob, bloblen, "credential store");
out:
	OPENSSL_cleanse(key, sizeof(key));
	wipe_free(json, jsonsize);
	free(blob);
	return rc;
}

int
credstore_remove(const char *store_path, bool *existed)
{
	*existed = false;
	if (unlink(store_path) == -1) {
		if (errno == ENOENT)
			return 0;
		if (owner_is_permission_errno(errno))
			return owner_permission_error(store_path,
			    "credential store", "remove");
		log_error("%s: cannot remove: %s", store_path,
		    strerror(errno));
		return EX_IOERR;
	}
	*existed = true;
	return 0;
}
