/*
 * CloudTrailEvent -> record (SPEC section 4). The line is written key by
 * key from a fixed allowlist; values are picked out of each object in one
 * walk over its members and copied as JSON strings, so no other part of
 * the event can reach the output.
 */
#include "record.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"


/*
 * Geography prefixes of system-defined cross-region inference profiles:
 * those SPEC names, plus jp. and au. (AWS CDK's
 * CrossRegionInferenceProfileRegion lists JP and AU besides US, EU, APAC,
 * US_GOV and GLOBAL). Other prefixes seen in the wild are unconfirmed.
 */
static const char *const record_geo_prefixes[] = {
	"us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.",
};

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *
strip_geo_prefix(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(record_geo_prefixes) /
	    sizeof(record_geo_prefixes[0]); i++)
		if (has_prefix(id, record_geo_prefixes[i]))
			return id + strlen(record_geo_prefixes[i]);
	return id;
}

/*
 * The resource part of a Bedrock ARN (after
 * arn:PARTITION:bedrock:REGION:ACCOUNT:), or NULL for anything else.
 */
static const char *
bedrock_arn_resource(const char *arn)
{
	const char *p = arn;
	int i;

	for (i = 0; i < 5; i++) {
		if ((p = strchr(p, ':')) == NULL)
			return NULL;
		p++;
		/* p now starts field i + 1; field 2 is the service. */
		if (i == 1 && !has_prefix(p, "bedrock:"))
			return NULL;
	}
	return p;
}

/*
 * The foundation-model id behind a modelId: always a suffix of id, so the
 * caller can print it without copying. The resource type must match as a
 * whole: "application-inference-profile/..." merely ends in
 * "inference-profile/" and names no foundation model.
 */
static const char *
model_name_of(const char *id)
{
	const char *res, *name;

	if (has_prefix(id, "arn:")) {
		if ((res = bedrock_arn_resource(id)) == NULL)
			return id;
		if (has_prefix(res, "foundation-model/"))
			name = res + strlen("foundation-model/");
		else if (has_prefix(res, "inference-profile/"))
			name = strip_geo_prefix(res +
			    strlen("inference-profile/"));
		else
			return id;
	} else
		name = strip_geo_prefix(id);
	return *name != '\0' ? name : id;
}

/*
 * Length of the provider of a foundation-model id ("anthropic" in
 * "anthropic.claude-v2"), or 0 when name is not one. A provider is
 * lower-case letters, digits and hyphens starting with a letter (amazon,
 * ai21, meta, ...), then a '.' and a model of the characters Bedrock ids
 * use. That rules out ARNs (the ':' before any '.'), application profile
 * ids (no '.'), and garbage such as an id with a newline in it.
 */
static size_t
model_provider_len(const char *name)
{
	static const char provider_chars[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789-";
	static const char model_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "-._:";
	const char *model;
	size_t n;

	if (*name < 'a' || *name > 'z')
		return 0;
	n = strspn(name, provider_chars);
	if (name[n] != '.')
		return 0;
	model = name + n + 1;
	if (*model == '\0' || model[strspn(model, model_chars)] != '\0')
		return 0;
	return n;
}

/* Copies at most dstsize - 1 bytes, never splitting a UTF-8 sequence. */
static void
copy_truncated(char *dst, size_t dstsize, const char *src, size_t n)
{
	if (dstsize == 0)
		return;
	if (n >= dstsize) {
		n = dstsize - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
record_model_name(const char *model_id, char *name, size_t namesize,
    char *provider, size_t providersize)
{
	const char *n = model_id != NULL ? model_name_of(model_id) : "";
	size_t plen = model_provider_len(n);

	copy_truncated(name, namesize, n, strlen(n));
	copy_truncated(provider, providersize, n, plen);
}

/*
 * The output is UTF-8 whatever the event holds: each byte of an invalid
 * sequence becomes '?'. Done in place in the parsed tree, which is ours,
 * so that no allocation is needed.
 */
static void
utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t left, n;

	/* Nearly every value is ASCII: no call per byte for that part. */
	while (*p != '\0' && *p < 0x80)
		p++;
	for (left = strlen((char *)p); left > 0; p += n, left -= n)
		if ((n = utf8_sequence_len(p, left)) == 0) {
			*p = '?';
			n = 1;
		}
}

/*
 * The members of obj named in keys, found in one pass over obj: items[i]
 * is the member named keys[i], or NULL. The first of two members of the
 * same name wins, as with cJSON_GetObjectItemCaseSensitive, which this
 * replaces: looking each key up in turn walked the event once per field.
 */
static void
walk_object(const cJSON *obj, const char *const *keys, size_t n,
    const cJSON **items)
{
	const cJSON *c;
	size_t i, left = n;

	for (i = 0; i < n; i++)
		items[i] = NULL;
	if (!cJSON_IsObject(obj))
		return;
	for (c = obj->child; c != NULL && left > 0; c = c->next) {
		if (c->string == NULL)
			continue;
		for (i = 0; i < n; i++)
			if (items[i] == NULL && c->string[0] == keys[i][0] &&
			    strcmp(c->string, keys[i]) == 0) {
				items[i] = c;
				left--;
				break;
			}
	}
}

/* obj[key], for an object of which one member is read. */
static const cJSON *
member(const cJSON *obj, const char *key)
{
	const cJSON *item;

	walk_object(obj, &key, 1, &item);
	return item;
}

static const cJSON *
as_object(const cJSON *item)
{
	return cJSON_IsObject(item) ? item : NULL;
}

/*
 * The item when it is a string, else NULL: a value of the wrong type is
 * null, not an error. A "\u0000" inside ends the C string there, so such
 * a value comes out cut short, never with what followed.
 */
static const char *
as_string(const cJSON *item)
{
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return NULL;
	utf8_sanitize(item->valuestring);
	return item->valuestring;
}

/* The members of a CloudTrailEvent that the record reads. */
enum {
	EV_ID, EV_TIME, EV_NAME, EV_SOURCE, EV_REGION, EV_ACCOUNT, EV_PARAMS,
	EV_IDENTITY, EV_ERROR, EV_SOURCE_IP, EV_USER_AGENT, EV_ADDITIONAL,
	EV_N
};
static const char *const event_keys[EV_N] = {
	"eventID", "eventTime", "eventName", "eventSource", "awsRegion",
	"recipientAccountId", "requestParameters", "userIdentity",
	"errorCode", "sourceIPAddress", "userAgent", "additionalEventData",
};

/* And those of its userIdentity. */
enum {
	UID_TYPE, UID_ARN, UID_ACCOUNT, UID_PRINCIPAL, UID_USER_NAME,
	UID_INVOKED_BY, UID_SESSION, UID_N
};
static const char *const identity_keys[UID_N] = {
	"type", "arn", "accountId", "principalId", "userName", "invokedBy",
	"sessionContext",
};

/* Appends "key":value, with the comma unless first in its object. */
static void
add_key(struct strbuf *sb, const char *key)
{
	if (sb->len > 0 && sb->buf[sb->len - 1] != '{')
		strbuf_add(sb, ",", 1);
	strbuf_add(sb, "\"", 1);
	strbuf_adds(sb, key);
	strbuf_add(sb, "\":", 2);
}

static void
add_string(struct strbuf *sb, const char *key, const char *value)
{
	add_key(sb, key);
	if (value == NULL)
		strbuf_add(sb, "null", 4);
	else
		strbuf_add_json_string(sb, value);
}

/* The last '/'-separated part of an ARN, or NULL. */
static const char *
arn_last_part(const char *arn)
{
	const char *slash;

	if (arn == NULL || (slash = strrchr(arn, '/')) == NULL ||
	    slash[1] == '\0')
		return NULL;
	return slash + 1;
}

/* userIdentity.userName of the record: who, in words (SPEC section 4). */
static const char *
identity_user_name(const cJSON *const *uid, const char *type,
    const char *arn)
{
	if (type != NULL && (strcmp(type, "AssumedRole") == 0 ||
	    strcmp(type, "FederatedUser") == 0))
		return arn_last_part(arn);
	if (type != NULL && strcmp(type, "AWSService") == 0)
		return as_string(uid[UID_INVOKED_BY]);
	return as_string(uid[UID_USER_NAME]);
}

static void
add_identity(struct strbuf *sb, const cJSON *identity, struct record *rec)
{
	const cJSON *uid[UID_N], *issuer;
	const char *type, *arn, *invoked_by, *principal;

	walk_object(as_object(identity), identity_keys, UID_N, uid);
	type = as_string(uid[UID_TYPE]);
	arn = as_string(uid[UID_ARN]);
	invoked_by = as_string(uid[UID_INVOKED_BY]);
	issuer = as_object(member(as_object(uid[UID_SESSION]),
	    "sessionIssuer"));

	add_key(sb, "userIdentity");
	strbuf_add(sb, "{", 1);
	add_string(sb, "type", type);
	add_string(sb, "arn", arn);
	add_string(sb, "accountId", as_string(uid[UID_ACCOUNT]));
	add_string(sb, "principalId", as_string(uid[UID_PRINCIPAL]));
	add_string(sb, "userName", identity_user_name(uid, type, arn));
	add_string(sb, "sessionIssuerArn", as_string(member(issuer, "arn")));
	strbuf_add(sb, "}", 1);

	principal = arn;
	if (type != NULL && strcmp(type, "AWSService") == 0 &&
	    invoked_by != NULL)
		principal = invoked_by;
	if (principal == NULL)
		principal = "";
	copy_truncated(rec->principal, sizeof(rec->principal), principal,
	    strlen(principal));
}

static void
add_model(struct strbuf *sb, const cJSON *params, struct record *rec)
{
	static const char *const keys[] = { "modelId", "modelIdentifier" };
	const cJSON *ids[2];
	const char *id, *name = NULL;
	size_t plen = 0;

	walk_object(as_object(params), keys, 2, ids);
	if ((id = as_string(ids[0])) == NULL)
		id = as_string(ids[1]);
	if (id != NULL) {
		name = model_name_of(id);
		plen = model_provider_len(name);
	}
	add_string(sb, "modelId", id);
	add_string(sb, "modelName", name);
	add_key(sb, "modelProvider");
	if (plen == 0)
		strbuf_add(sb, "null", 4);
	else {
		/* Letters, digits and hyphens: nothing to escape. */
		strbuf_add(sb, "\"", 1);
		strbuf_add(sb, name, plen);
		strbuf_add(sb, "\"", 1);
	}
	name = name != NULL ? name : "";
	copy_truncated(rec->model_name, sizeof(rec->model_name), name,
	    strlen(name));
}

static void
add_extra_fields(struct strbuf *sb, const cJSON *const *ev,
    const struct record_options *opts)
{
	unsigned int done = 0;
	size_t i;

	for (i = 0; i < opts->nextra_fields; i++) {
		enum extra_field f = opts->extra_fields[i];

		/* A field configured twice would repeat its key. */
		if ((unsigned int)f >= 8 * sizeof(done) ||
		    (done & (1u << f)) != 0)
			continue;
		done |= 1u << f;
		switch (f) {
		case EXTRA_SOURCE_IP:
			add_string(sb, "sourceIPAddress",
			    as_string(ev[EV_SOURCE_IP]));
			break;
		case EXTRA_USER_AGENT:
			add_string(sb, "userAgent",
			    as_string(ev[EV_USER_AGENT]));
			break;
		case EXTRA_INFERENCE_REGION:
			add_string(sb, "inferenceRegion", as_string(member(
			    as_object(ev[EV_ADDITIONAL]), "inferenceRegion")));
			break;
		case EXTRA_ACCOUNT_NAME:
			add_string(sb, "accountName", opts->account_name);
			break;
		}
	}
}

/* cJSON stops after the value; only white space may follow it. */
static bool
only_white_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

/* eventID and eventTime: without them an event cannot be deduplicated. */
static int
record_identify(const char *id, const char *t, const char *src,
    struct record *rec)
{
	if (id == NULL || *id == '\0' || strlen(id) >= sizeof(rec->event_id) ||
	    t == NULL || strlen(t) >= sizeof(rec->event_time) ||
	    time_parse_iso8601(t, &rec->event_epoch) == -1)
		return -1;
	memcpy(rec->event_id, id, strlen(id) + 1);
	memcpy(rec->event_time, t, strlen(t) + 1);
	src = src != NULL ? src : "";
	copy_truncated(rec->event_source, sizeof(rec->event_source), src,
	    strlen(src));
	return 0;
}

enum record_result
record_reduce(const char *json, size_t len,
    const struct record_options *opts, struct record *rec)
{
	static const struct record_options none = { 0 };
	enum record_result result = RECORD_MALFORMED;
	const cJSON *ev[EV_N];
	const char *end = NULL;
	const char *name, *source;
	cJSON *event;

	if (opts == NULL)
		opts = &none;
	strbuf_reset(&rec->line);
	if (rec->arena == NULL)
		rec->arena = xcalloc(1, sizeof(*rec->arena));
	/* The tree lives only in this call: its nodes come from the arena. */
	json_arena_begin(rec->arena);
	event = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!cJSON_IsObject(event) || !only_white_space(end, json + len))
		goto out;
	walk_object(event, event_keys, EV_N, ev);
	source = as_string(ev[EV_SOURCE]);
	if (record_identify(as_string(ev[EV_ID]), as_string(ev[EV_TIME]),
	    source, rec) == -1)
		goto out;

	name = as_string(ev[EV_NAME]);
	if (opts->event_names != NULL && opts->event_names->n > 0 &&
	    (name == NULL || !strlist_contains(opts->event_names, name))) {
		result = RECORD_FILTERED;
		goto out;
	}

	strbuf_add(&rec->line, "{", 1);
	add_string(&rec->line, "eventID", rec->event_id);
	add_string(&rec->line, "eventTime", rec->event_time);
	add_string(&rec->line, "eventName", name);
	add_string(&rec->line, "eventSource", source);
	add_string(&rec->line, "awsRegion", as_string(ev[EV_REGION]));
	add_string(&rec->line, "recipientAccountId",
	    as_string(ev[EV_ACCOUNT]));
	add_model(&rec->line, ev[EV_PARAMS], rec);
	add_identity(&rec->line, ev[EV_IDENTITY], rec);
	add_string(&rec->line, "errorCode", as_string(ev[EV_ERROR]));
	add_extra_fields(&rec->line, ev, opts);
	strbuf_add(&rec->line, "}", 1);
	result = RECORD_OK;
out:
	cJSON_Delete(event);
	json_arena_end(rec->arena);
	return result;
}

void
record_free(struct record *rec)
{
	if (rec == NULL)
		return;
	strbuf_free(&rec->line);
	json_arena_free(rec->arena);
	free(rec->arena);
	rec->arena = NULL;
}
