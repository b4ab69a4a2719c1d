/*
 * The AWS shared config and credentials files, as the AWS CLI reads them
 * (Python's configparser): "[section]", "key = value" or "key: value",
 * whole-line "#" and ";" comments, key names in any case. In the config
 * file a profile is "[profile NAME]" (or "[default]") and "[sso-session
 * NAME]" names an SSO session; in the credentials file a profile is
 * "[NAME]". A repeated section adds to the first. Indented lines under a key with an empty value are a nested
 * block (s3 = ...) and are skipped.
 *
 * The file is read into one buffer that every value points into, and that
 * buffer is wiped when the file is freed: it may hold secret keys.
 */
#ifndef CRED_INI_H
#define CRED_INI_H

#include <stdbool.h>
#include <stddef.h>

enum ini_kind { INI_PROFILE, INI_SSO_SESSION, INI_OTHER };

struct ini_kv {
	char *key;			/* lower case */
	char *value;			/* trimmed; "" when empty */
};

struct ini_section {
	enum ini_kind kind;
	char *name;
	struct ini_kv *kv;
	size_t n, cap;
};

struct ini_file {
	char *path;
	char *buf;
	size_t size;
	struct ini_section *s;
	size_t n, cap;
};

/*
 * Reads path; config_syntax chooses "[profile NAME]" sections. Returns 0,
 * 1 when there is no such file (f is then empty), or EX_CONFIG after
 * reporting (unreadable, not a regular file, over 1 MiB).
 */
int ini_read(const char *path, bool config_syntax, struct ini_file *f);

/* The section of that kind and name, or NULL. */
const struct ini_section *ini_section(const struct ini_file *,
    enum ini_kind, const char *name);

/*
 * The value of key in s (the last one given wins), or NULL when it is
 * absent or empty; s may be NULL.
 */
const char *ini_get(const struct ini_section *s, const char *key);

/* Wipes the buffer and frees everything; accepts an empty file. */
void ini_free(struct ini_file *);

#endif
