/* See record_check.h. */
#include "record_check.h"

#include <stdbool.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz.h"

static const char *const base_keys[] = { "eventID", "eventTime", "eventName",
	"eventSource", "awsRegion", "recipientAccountId", "modelId",
	"modelName", "modelProvider", "userIdentity", "errorCode" };
static const char *const identity_keys[] = { "type", "arn", "accountId",
	"principalId", "userName", "sessionIssuerArn" };

static const cJSON *
obj_at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsObject(v) ? v : NULL;
}

static const char *
str_at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* out is in, each byte of an invalid UTF-8 sequence possibly a '?'. */
static bool
same_sanitized(const char *out, const char *in)
{
	size_t i, n = strlen(in);

	if (strlen(out) != n)
		return false;
	for (i = 0; i < n; i++)
		if (out[i] != in[i] &&
		    !(out[i] == '?' && (unsigned char)in[i] >= 0x80))
			return false;
	return true;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return m <= n && strcmp(s + n - m, suffix) == 0;
}

/* Strict RFC 3629 UTF-8 with no raw control characters. */
static bool
utf8_clean(const unsigned char *p)
{
	while (*p != '\0') {
		unsigned int c = *p, n, i, cp;

		if (c < 0x20)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* The output value under key: null exactly when the input has no string. */
static const char *
check_copied(const cJSON *item, const char *in)
{
	if (in == NULL) {
		FUZZ_CHECK(cJSON_IsNull(item), item->string);
		return NULL;
	}
	FUZZ_CHECK(cJSON_IsString(item), item->string);
	FUZZ_CHECK(same_sanitized(item->valuestring, in), item->string);
	return item->valuestring;
}

/* Each child of o has the next name of keys, and there are n of them. */
static void
check_keys(const cJSON *o, const char *const *keys, size_t n)
{
	const cJSON *item;
	size_t i = 0;

	cJSON_ArrayForEach (item, o) {
		FUZZ_CHECK(i < n, "more keys than the allowlist");
		FUZZ_CHECK(
		    item->string != NULL && strcmp(item->string, keys[i]) == 0,
		    "key out of order");
		FUZZ_CHECK(cJSON_IsNull(item) || cJSON_IsString(item) ||
			strcmp(keys[i], "userIdentity") == 0,
		    "value neither string nor null");
		i++;
	}
	FUZZ_CHECK(i == n, "fewer keys than the allowlist");
}

static const cJSON *
child(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void
check_identity(const cJSON *out, const cJSON *in)
{
	const cJSON *uid = obj_at(in, "userIdentity");
	const cJSON *issuer =
	    obj_at(obj_at(uid, "sessionContext"), "sessionIssuer");
	const cJSON *name = child(out, "userName");
	const char *arn;

	FUZZ_CHECK(cJSON_IsObject(out), "userIdentity not an object");
	check_keys(out, identity_keys,
	    sizeof(identity_keys) / sizeof(identity_keys[0]));
	check_copied(child(out, "type"), str_at(uid, "type"));
	arn = check_copied(child(out, "arn"), str_at(uid, "arn"));
	check_copied(child(out, "accountId"), str_at(uid, "accountId"));
	check_copied(child(out, "principalId"), str_at(uid, "principalId"));
	check_copied(child(out, "sessionIssuerArn"), str_at(issuer, "arn"));
	if (cJSON_IsNull(name))
		return;
	FUZZ_CHECK(cJSON_IsString(name), "userName not a string");
	/* userName, invokedBy, or the last part of the arn. */
	if (str_at(uid, "userName") != NULL &&
	    same_sanitized(name->valuestring, str_at(uid, "userName")))
		return;
	if (str_at(uid, "invokedBy") != NULL &&
	    same_sanitized(name->valuestring, str_at(uid, "invokedBy")))
		return;
	FUZZ_CHECK(arn != NULL && name->valuestring[0] != '\0' &&
		has_suffix(arn, name->valuestring) &&
		arn[strlen(arn) - strlen(name->valuestring) - 1] == '/',
	    "userName from outside userIdentity");
}

static void
check_model(const cJSON *out, const cJSON *in)
{
	const cJSON *params = obj_at(in, "requestParameters");
	const cJSON *name = child(out, "modelName");
	const cJSON *provider = child(out, "modelProvider");
	const char *id;
	size_t plen;

	id = str_at(params, "modelId");
	if (id == NULL)
		id = str_at(params, "modelIdentifier");
	id = check_copied(child(out, "modelId"), id);
	if (id == NULL) {
		FUZZ_CHECK(cJSON_IsNull(name) && cJSON_IsNull(provider),
		    "model name without a modelId");
		return;
	}
	/* "" for an id of "" (cJSON turns a bad \u escape into a NUL). */
	FUZZ_CHECK(cJSON_IsString(name) && has_suffix(id, name->valuestring) &&
		(name->valuestring[0] != '\0' || id[0] == '\0'),
	    "modelName not in modelId");
	if (cJSON_IsNull(provider))
		return;
	plen = strlen(provider->valuestring);
	FUZZ_CHECK(plen > 0 &&
		strncmp(name->valuestring, provider->valuestring, plen) == 0 &&
		name->valuestring[plen] == '.',
	    "modelProvider not in modelName");
}

static void
check_extras(const cJSON *out, const cJSON *in)
{
	const cJSON *extra = obj_at(in, "additionalEventData");
	const cJSON *item;

	for (item = child(out, "errorCode")->next; item != NULL;
	     item = item->next) {
		if (strcmp(item->string, "sourceIPAddress") == 0)
			check_copied(item, str_at(in, "sourceIPAddress"));
		else if (strcmp(item->string, "userAgent") == 0)
			check_copied(item, str_at(in, "userAgent"));
		else
			check_copied(item, str_at(extra, "inferenceRegion"));
	}
}

/* Base keys, then each configured extra once, in the configured order. */
static size_t
expected_keys(const struct record_options *opts, const char **keys)
{
	size_t n = 0, i, j;

	for (i = 0; i < sizeof(base_keys) / sizeof(base_keys[0]); i++)
		keys[n++] = base_keys[i];
	for (i = 0; i < opts->nextra_fields; i++) {
		const char *k = extra_field_name(opts->extra_fields[i]);

		for (j = 0; j < n && strcmp(keys[j], k) != 0; j++)
			;
		if (j == n)
			keys[n++] = k;
	}
	return n;
}

static void
check_line(const cJSON *in, const struct record_options *opts,
    const struct record *rec)
{
	const char *keys[32];
	const char *name;
	cJSON *out;

	FUZZ_CHECK(opts->nextra_fields <= 16, "test options too long");
	FUZZ_CHECK(
	    rec->line.buf != NULL && strlen(rec->line.buf) == rec->line.len,
	    "line with a NUL");
	FUZZ_CHECK(utf8_clean((const unsigned char *)rec->line.buf),
	    "line not clean UTF-8");
	out = cJSON_ParseWithOpts(rec->line.buf, NULL, 1);
	FUZZ_CHECK(cJSON_IsObject(out), "line not a JSON object");
	check_keys(out, keys, expected_keys(opts, keys));
	FUZZ_CHECK(
	    strcmp(check_copied(child(out, "eventID"), str_at(in, "eventID")),
		rec->event_id) == 0,
	    "eventID");
	FUZZ_CHECK(strcmp(check_copied(
			      child(out, "eventTime"), str_at(in, "eventTime")),
		       rec->event_time) == 0,
	    "eventTime");
	name = check_copied(child(out, "eventName"), str_at(in, "eventName"));
	if (opts->event_names != NULL && opts->event_names->n > 0)
		FUZZ_CHECK(
		    name != NULL && strlist_contains(opts->event_names, name),
		    "eventName not in event_names");
	check_copied(child(out, "eventSource"), str_at(in, "eventSource"));
	check_copied(child(out, "awsRegion"), str_at(in, "awsRegion"));
	check_copied(
	    child(out, "recipientAccountId"), str_at(in, "recipientAccountId"));
	check_copied(child(out, "errorCode"), str_at(in, "errorCode"));
	check_model(out, in);
	check_identity(child(out, "userIdentity"), in);
	check_extras(out, in);
	cJSON_Delete(out);
}

void
record_check(const char *json, size_t len, const struct record_options *opts,
    enum record_result r, const struct record *rec)
{
	static const struct record_options none = { 0 };
	const char *end = NULL, *id, *p;
	cJSON *in;

	if (opts == NULL)
		opts = &none;
	in = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!cJSON_IsObject(in)) {
		FUZZ_CHECK(r == RECORD_MALFORMED, "accepted a non-object");
		goto out;
	}
	for (p = end; p < json + len; p++)
		if (strchr(" \t\r\n", *p) == NULL || *p == '\0') {
			FUZZ_CHECK(
			    r == RECORD_MALFORMED, "accepted trailing garbage");
			goto out;
		}
	id = str_at(in, "eventID");
	if (id == NULL || *id == '\0' || str_at(in, "eventTime") == NULL)
		FUZZ_CHECK(r == RECORD_MALFORMED,
		    "accepted an event without "
		    "eventID or eventTime");
	if (r == RECORD_FILTERED) {
		FUZZ_CHECK(
		    opts->event_names != NULL && opts->event_names->n > 0,
		    "filtered without event_names");
		FUZZ_CHECK(str_at(in, "eventName") == NULL ||
			!strlist_contains(
			    opts->event_names, str_at(in, "eventName")),
		    "filtered a wanted eventName");
	}
	if (r == RECORD_OK)
		check_line(in, opts, rec);
out:
	cJSON_Delete(in);
}
