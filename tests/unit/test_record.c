/*
 * record.c: CloudTrailEvent -> allowlisted record. Fixtures live in
 * tests/fixtures/records/: NAME.json reduces to exactly NAME.expected
 * (one line and a newline), or is rejected as malformed.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "record.h"
#include "t.h"

#define FIXTURES "tests/fixtures/records/"

/* Deliberately not the natural order: the configured order is kept. */
static const enum extra_field all_extras[] = {
	EXTRA_USER_AGENT, EXTRA_INFERENCE_REGION, EXTRA_SOURCE_IP,
};
static const struct record_options opts_plain = { NULL, NULL, 0, NULL };
static const struct record_options opts_extras = { NULL, all_extras, 3, NULL };

static char *
slurp(const char *path, size_t *len)
{
	struct strbuf sb = { 0 };
	char chunk[65536];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		T_FAIL("cannot open %s", path);
		*len = 0;
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&sb, chunk, n);
	fclose(f);
	if (sb.buf == NULL)
		strbuf_add(&sb, "", 0);
	*len = sb.len;
	return sb.buf;
}

/* The line, or "" when a failed reduce left none: for strstr. */
static const char *
line(const struct record *rec)
{
	return rec->line.buf != NULL ? rec->line.buf : "";
}

static enum record_result
reduce_file(const char *name, const struct record_options *o,
    struct record *rec)
{
	char path[256];
	enum record_result r;
	size_t len;
	char *json;

	snprintf(path, sizeof(path), FIXTURES "%s.json", name);
	if ((json = slurp(path, &len)) == NULL)
		return RECORD_MALFORMED;
	r = record_reduce(json, len, o, rec);
	free(json);
	return r;
}

static const struct {
	const char *name;
	const struct record_options *opts;
} ok_fixtures[] = {
	{ "record-createmodelinvocationjob-federated", &opts_plain },
	{ "record-getfoundationmodel-root", &opts_plain },
	{ "record-invokemodel-assumedrole-app-profile", &opts_plain },
	{ "record-invokemodel-error-validation", &opts_plain },
	{ "spec-example", &opts_plain },
	{ "spec-example-extras", &opts_extras },
	{ "identity-root-username", &opts_plain },
	{ "identity-awsservice", &opts_plain },
	{ "identity-assumedrole-no-arn", &opts_plain },
	{ "identity-assumedrole-type-wrong-case", &opts_plain },
	{ "identity-missing", &opts_plain },
	{ "identity-not-object", &opts_plain },
	{ "identity-other-type", &opts_plain },
	{ "identity-wrong-types", &opts_plain },
	{ "model-plain-id", &opts_plain },
	{ "model-foundation-arn", &opts_plain },
	{ "model-profile-us", &opts_plain },
	{ "model-profile-eu", &opts_plain },
	{ "model-profile-apac", &opts_plain },
	{ "model-profile-us-gov", &opts_plain },
	{ "model-profile-global", &opts_plain },
	{ "model-profile-jp", &opts_plain },
	{ "model-profile-au", &opts_plain },
	{ "model-profile-arn", &opts_plain },
	{ "model-app-profile-arn", &opts_plain },
	{ "model-provisioned-arn", &opts_plain },
	{ "model-custom-arn", &opts_plain },
	{ "model-imported-arn", &opts_plain },
	{ "model-prompt-arn", &opts_plain },
	{ "model-identifier", &opts_plain },
	{ "model-id-over-identifier", &opts_plain },
	{ "model-id-wrong-type", &opts_plain },
	{ "model-none", &opts_plain },
	{ "model-params-not-object", &opts_plain },
	{ "fields-wrong-types", &opts_extras },
	{ "extras-all", &opts_extras },
	{ "extras-absent", &opts_extras },
	{ "hostile-control-chars", &opts_extras },
	{ "hostile-nul", &opts_extras },
	{ "hostile-invalid-utf8", &opts_extras },
	{ "hostile-unicode-escapes", &opts_extras },
	{ "leak-markers", &opts_extras },
};

static const char *const malformed_fixtures[] = {
	"malformed-array", "malformed-empty", "malformed-eventid-empty",
	"malformed-eventid-number", "malformed-eventtime-impossible",
	"malformed-eventtime-number", "malformed-eventtime-text",
	"malformed-eventtime-too-long", "malformed-lone-surrogate",
	"malformed-no-eventid", "malformed-no-eventtime", "malformed-null",
	"malformed-string", "malformed-trailing-comma",
	"malformed-trailing-garbage", "malformed-truncated",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The fixture's kind from its file name: 'o'k, 'm'alformed or 0. */
static int
fixture_kind(const char *file)
{
	const char *dot = strrchr(file, '.');
	size_t n = dot != NULL ? (size_t)(dot - file) : 0;
	size_t i;

	for (i = 0; dot != NULL && i < NELEM(ok_fixtures); i++)
		if (strlen(ok_fixtures[i].name) == n &&
		    strncmp(file, ok_fixtures[i].name, n) == 0 &&
		    (strcmp(dot, ".json") == 0 || strcmp(dot, ".expected") == 0))
			return 'o';
	for (i = 0; dot != NULL && i < NELEM(malformed_fixtures); i++)
		if (strlen(malformed_fixtures[i]) == n &&
		    strncmp(file, malformed_fixtures[i], n) == 0 &&
		    strcmp(dot, ".json") == 0)
			return 'm';
	return 0;
}

/*
 * The lists above and the directory agree: every file is some case's
 * input or expected output, and the count is exactly one .json and one
 * .expected per good case and one .json per malformed case, so a
 * misspelt, missing or forgotten fixture fails here.
 */
static void
test_every_fixture_is_listed_and_present(void)
{
	DIR *d = opendir(FIXTURES);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL) {
		T_FAIL("cannot open %s", FIXTURES);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (fixture_kind(e->d_name) == 0)
			T_FAIL("%s%s: not a listed fixture", FIXTURES, e->d_name);
	}
	closedir(d);
	T_EQ_INT(n, 2 * NELEM(ok_fixtures) + NELEM(malformed_fixtures));
}

static void
test_fixtures_reduce_to_expected_bytes(void)
{
	struct record rec = { 0 };
	char path[256];
	size_t i, len;
	char *want;

	for (i = 0; i < NELEM(ok_fixtures); i++) {
		const char *name = ok_fixtures[i].name;

		if (reduce_file(name, ok_fixtures[i].opts, &rec) !=
		    RECORD_OK) {
			T_FAIL("%s: not reduced", name);
			continue;
		}
		snprintf(path, sizeof(path), FIXTURES "%s.expected", name);
		if ((want = slurp(path, &len)) == NULL)
			continue;	/* slurp has failed the test */
		strbuf_add(&rec.line, "\n", 1);
		if (rec.line.len != len || memcmp(rec.line.buf, want, len) != 0)
			T_FAIL("%s:\n  got  %s  want %s", name, rec.line.buf,
			    want);
		free(want);
	}
	record_free(&rec);
}

static void
test_malformed_fixtures_are_rejected(void)
{
	struct record rec = { 0 };
	size_t i;

	for (i = 0; i < NELEM(malformed_fixtures); i++)
		if (reduce_file(malformed_fixtures[i], &opts_extras, &rec) !=
		    RECORD_MALFORMED)
			T_FAIL("%s: not rejected", malformed_fixtures[i]);
	record_free(&rec);
}

/* Every line has exactly the allowlisted keys, in order, whatever came in. */
static void
check_keys(const char *name, const char *line, size_t nextra)
{
	static const char *const top[] = {
		"eventID", "eventTime", "eventName", "eventSource",
		"awsRegion", "recipientAccountId", "modelId", "modelName",
		"modelProvider", "userIdentity", "errorCode",
		"userAgent", "inferenceRegion", "sourceIPAddress",
	};
	static const char *const uid[] = {
		"type", "arn", "accountId", "principalId", "userName",
		"sessionIssuerArn",
	};
	cJSON *obj = cJSON_Parse(line);
	const cJSON *v;
	size_t i = 0;

	if (!cJSON_IsObject(obj)) {
		T_FAIL("%s: output is not a JSON object", name);
		goto out;
	}
	cJSON_ArrayForEach(v, obj) {
		if (i >= 11 + nextra || strcmp(v->string, top[i]) != 0)
			T_FAIL("%s: key %zu is %s", name, i, v->string);
		if (!cJSON_IsString(v) && !cJSON_IsNull(v) &&
		    !(i == 9 && cJSON_IsObject(v)))
			T_FAIL("%s: %s is not a string or null", name,
			    v->string);
		i++;
	}
	T_EQ_INT(i, 11 + nextra);
	i = 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(obj, "userIdentity")) {
		if (i >= NELEM(uid) || strcmp(v->string, uid[i]) != 0 ||
		    (!cJSON_IsString(v) && !cJSON_IsNull(v)))
			T_FAIL("%s: userIdentity key %zu is %s", name, i,
			    v->string);
		i++;
	}
	T_EQ_INT(i, NELEM(uid));
out:
	cJSON_Delete(obj);
}

static void
test_every_line_has_the_allowlisted_keys_in_order(void)
{
	struct record rec = { 0 };
	size_t i;

	for (i = 0; i < NELEM(ok_fixtures); i++) {
		if (reduce_file(ok_fixtures[i].name, ok_fixtures[i].opts,
		    &rec) != RECORD_OK) {
			T_FAIL("%s: not reduced", ok_fixtures[i].name);
			continue;
		}
		check_keys(ok_fixtures[i].name, rec.line.buf,
		    ok_fixtures[i].opts->nextra_fields);
	}
	record_free(&rec);
}

static void
test_leak_fixture_markers_never_appear(void)
{
	struct record rec = { 0 };

	T_EQ_INT(reduce_file("leak-markers", &opts_extras, &rec), RECORD_OK);
	T_ASSERT(strstr(line(&rec), "LEAK") == NULL);
	/* The allowlisted values around them did get through. */
	T_ASSERT(strstr(line(&rec), "\"sourceIPAddress\":\"198.51.100.50\""));
	T_ASSERT(strstr(line(&rec), "\"inferenceRegion\":\"us-west-2\""));
	T_ASSERT(strstr(line(&rec), "\"userName\":\"sess\""));
	record_free(&rec);
}

/*
 * Paths that may reach the output; every other leaf gets a marker. Which
 * userIdentity field names the user depends on its type.
 */
static bool
allowlisted(const char *path, const char *type)
{
	static const char *const allow[] = {
		"eventID", "eventTime", "eventName", "eventSource",
		"awsRegion", "recipientAccountId", "errorCode",
		"sourceIPAddress", "userAgent",
		"requestParameters.modelId",
		"requestParameters.modelIdentifier",
		"additionalEventData.inferenceRegion",
		"userIdentity.type", "userIdentity.arn",
		"userIdentity.accountId", "userIdentity.principalId",
		"userIdentity.sessionContext.sessionIssuer.arn",
	};
	bool derived = strcmp(type, "AssumedRole") == 0 ||
	    strcmp(type, "FederatedUser") == 0;
	bool service = strcmp(type, "AWSService") == 0;
	size_t i;

	for (i = 0; i < NELEM(allow); i++)
		if (strcmp(path, allow[i]) == 0)
			return true;
	if (strcmp(path, "userIdentity.userName") == 0)
		return !derived && !service;
	if (strcmp(path, "userIdentity.invokedBy") == 0)
		return service;
	return false;
}

static void
plant_markers(cJSON *node, const char *path, const char *type, int *count)
{
	char sub[512];
	cJSON *child, *marker;
	int i = 0;

	for (child = node->child; child != NULL; child = child->next, i++) {
		if (cJSON_IsObject(node))
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    *path ? "." : "", child->string);
		else
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if (!cJSON_IsObject(child) && !cJSON_IsArray(child)) {
			if (allowlisted(sub, type))
				continue;
			snprintf(sub, sizeof(sub), "MARK%dMARK", (*count)++);
			marker = cJSON_CreateString(sub);
			/* The replacement does not inherit the key. */
			if (child->string != NULL)
				marker->string = xstrdup(child->string);
			cJSON_ReplaceItemViaPointer(node, child, marker);
			child = marker;
		} else
			plant_markers(child, sub, type, count);
	}
}

/*
 * Every leaf of a realistic event outside the allowlist, whatever its
 * type, is replaced by a unique marker string: none may be output.
 */
static void
test_planted_markers_in_every_other_field_never_appear(void)
{
	static const char *const sources[] = {
		"leak-markers", "spec-example",
		"record-invokemodel-assumedrole-app-profile",
		"record-createmodelinvocationjob-federated",
		"record-getfoundationmodel-root", "identity-awsservice",
		"record-invokemodel-error-validation", "identity-other-type",
		"extras-all",
	};
	struct record rec = { 0 };
	char path[256], *json, *planted;
	const char *type;
	cJSON *event;
	size_t i, len;
	int count;

	for (i = 0; i < NELEM(sources); i++) {
		snprintf(path, sizeof(path), FIXTURES "%s.json", sources[i]);
		if ((json = slurp(path, &len)) == NULL)
			continue;
		event = cJSON_ParseWithLength(json, len);
		free(json);
		type = cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(event, "userIdentity"), "type"));
		T_ASSERT(type != NULL);
		count = 0;
		plant_markers(event, "", type != NULL ? type : "", &count);
		T_ASSERT(count > 2);
		planted = cJSON_PrintUnformatted(event);
		T_ASSERT(strstr(planted, "\"eventVersion\":\"MARK") != NULL);
		T_EQ_INT(record_reduce(planted, strlen(planted), &opts_extras,
		    &rec), RECORD_OK);
		if (strstr(line(&rec), "MARK") != NULL)
			T_FAIL("%s: marker output: %s", sources[i],
			    line(&rec));
		cJSON_free(planted);
		cJSON_Delete(event);
	}
	record_free(&rec);
}

static void
test_record_fields_for_the_caller(void)
{
	struct record rec = { 0 };

	T_EQ_INT(reduce_file("spec-example", NULL, &rec), RECORD_OK);
	T_EQ_STR(rec.event_id, "6f1b...");
	T_EQ_STR(rec.event_time, "2026-11-24T06:59:58Z");
	T_EQ_INT(rec.event_epoch, 1795503598);
	T_EQ_STR(rec.model_name, "anthropic.claude-3-5-sonnet-20240620-v1:0");
	T_EQ_STR(rec.principal,
	    "arn:aws:sts::123456789012:assumed-role/app/i-0abc");
	T_EQ_STR(rec.event_source, "bedrock.amazonaws.com");

	T_EQ_INT(reduce_file("identity-awsservice", NULL, &rec), RECORD_OK);
	T_EQ_STR(rec.principal, "bedrock.amazonaws.com");

	T_EQ_INT(reduce_file("extras-all", NULL, &rec), RECORD_OK);
	T_EQ_STR(rec.event_time, "2026-03-01T00:09:00.123Z");
	T_EQ_INT(rec.event_epoch, 1772323740);

	T_EQ_INT(reduce_file("model-none", NULL, &rec), RECORD_OK);
	T_EQ_STR(rec.model_name, "");
	T_EQ_INT(reduce_file("identity-missing", NULL, &rec), RECORD_OK);
	T_EQ_STR(rec.principal, "");
	T_EQ_INT(reduce_file("fields-wrong-types", NULL, &rec), RECORD_OK);
	T_EQ_STR(rec.event_source, "");
	record_free(&rec);
}

static void
test_event_names_filter(void)
{
	struct strlist names = { 0 };
	struct record_options o = { &names, NULL, 0, NULL };
	struct record rec = { 0 };

	/* An empty list keeps everything. */
	T_EQ_INT(reduce_file("record-createmodelinvocationjob-federated", &o,
	    &rec), RECORD_OK);
	strlist_add(&names, "InvokeModel");
	strlist_add(&names, "Converse");
	T_EQ_INT(reduce_file("record-invokemodel-error-validation", &o, &rec),
	    RECORD_OK);
	T_EQ_INT(reduce_file("model-plain-id", &o, &rec), RECORD_OK);
	T_EQ_INT(reduce_file("record-createmodelinvocationjob-federated", &o,
	    &rec), RECORD_FILTERED);
	T_EQ_INT(reduce_file("record-invokemodel-assumedrole-app-profile", &o,
	    &rec), RECORD_FILTERED);
	/* No eventName, or one of the wrong type, is not in any list. */
	T_EQ_INT(reduce_file("fields-wrong-types", &o, &rec), RECORD_FILTERED);
	/* A broken event is reported as such, listed or not. */
	T_EQ_INT(reduce_file("malformed-no-eventid", &o, &rec),
	    RECORD_MALFORMED);
	strlist_free(&names);
	record_free(&rec);
}

static void
test_extra_field_configured_twice_is_output_once(void)
{
	static const enum extra_field twice[] = {
		EXTRA_SOURCE_IP, EXTRA_USER_AGENT, EXTRA_SOURCE_IP,
	};
	struct record_options o = { NULL, twice, 3, NULL };
	struct record rec = { 0 };
	const char *p;

	T_EQ_INT(reduce_file("extras-all", &o, &rec), RECORD_OK);
	p = strstr(line(&rec), "\"sourceIPAddress\"");
	T_ASSERT(p != NULL && strstr(p + 1, "\"sourceIPAddress\"") == NULL);
	T_ASSERT(strstr(line(&rec), "\"errorCode\":\"ThrottlingException\","
	    "\"sourceIPAddress\":\"198.51.100.31\",\"userAgent\":") != NULL);
	record_free(&rec);
}

static void
test_line_buffer_is_reused(void)
{
	struct record rec = { 0 };
	char *first;

	T_EQ_INT(reduce_file("spec-example", NULL, &rec), RECORD_OK);
	first = rec.line.buf;
	T_EQ_INT(reduce_file("model-plain-id", NULL, &rec), RECORD_OK);
	T_ASSERT(rec.line.buf == first);
	T_EQ_INT(reduce_file("spec-example", NULL, &rec), RECORD_OK);
	T_ASSERT(rec.line.buf == first);
	record_free(&rec);
	T_ASSERT(rec.line.buf == NULL);
	record_free(&rec);
	record_free(NULL);
}

static const char event_head[] =
    "{\"eventID\":\"e1\",\"eventTime\":\"2026-03-01T00:00:00Z\"";

static enum record_result
reduce_string(const char *s, struct record *rec)
{
	return record_reduce(s, strlen(s), &opts_extras, rec);
}

static void
test_deep_nesting_is_rejected_without_crashing(void)
{
	struct strbuf sb = { 0 };
	struct record rec = { 0 };
	int i;

	strbuf_adds(&sb, event_head);
	strbuf_adds(&sb, ",\"requestParameters\":{\"x\":");
	for (i = 0; i < 200000; i++)
		strbuf_add(&sb, "[", 1);
	T_EQ_INT(reduce_string(sb.buf, &rec), RECORD_MALFORMED);

	/* Nesting that cJSON accepts is reduced, and none of it output. */
	strbuf_reset(&sb);
	strbuf_adds(&sb, event_head);
	strbuf_adds(&sb, ",\"requestParameters\":{\"modelId\":\"meta.x\","
	    "\"deep\":");
	for (i = 0; i < 400; i++)
		strbuf_add(&sb, "{\"a\":[", 6);
	strbuf_adds(&sb, "\"LEAK\"");
	for (i = 0; i < 400; i++)
		strbuf_add(&sb, "]}", 2);
	strbuf_adds(&sb, "}}");
	T_EQ_INT(reduce_string(sb.buf, &rec), RECORD_OK);
	T_ASSERT(strstr(line(&rec), "LEAK") == NULL);
	T_ASSERT(strstr(line(&rec), "\"modelProvider\":\"meta\"") != NULL);
	strbuf_free(&sb);
	record_free(&rec);
}

static bool
independent_utf8_check(const char *s)
{
	/* cJSON_Parse does not check; iconv-free check of the lead bytes. */
	const unsigned char *p = (const unsigned char *)s;
	int more = 0;

	for (; *p != '\0'; p++) {
		if (more > 0) {
			if ((*p & 0xc0) != 0x80)
				return false;
			more--;
		} else if (*p >= 0xf0 && *p <= 0xf4)
			more = 3;
		else if (*p >= 0xe0 && *p <= 0xef)
			more = 2;
		else if (*p >= 0xc2 && *p <= 0xdf)
			more = 1;
		else if (*p >= 0x80)
			return false;
	}
	return more == 0;
}

static void
test_huge_strings_are_copied_whole_and_truncated_safely(void)
{
	struct strbuf sb = { 0 }, id = { 0 };
	struct record rec = { 0 };
	int i;

	strbuf_adds(&id, "anthropic.xy");
	for (i = 0; i < 500000; i++)
		strbuf_adds(&id, "\xc3\xa9");	/* é: two bytes */
	strbuf_adds(&sb, event_head);
	strbuf_adds(&sb, ",\"requestParameters\":{\"modelId\":\"");
	strbuf_adds(&sb, id.buf);
	strbuf_adds(&sb, "\"},\"userIdentity\":{\"arn\":\"arn:");
	strbuf_adds(&sb, id.buf);
	strbuf_adds(&sb, "\"}}");
	T_EQ_INT(reduce_string(sb.buf, &rec), RECORD_OK);
	T_ASSERT(strstr(line(&rec), id.buf) != NULL);
	T_ASSERT(independent_utf8_check(line(&rec)));
	/* 255 bytes would split an é: 12 + 2 * 121 = 254 bytes fit. */
	T_EQ_INT(strlen(rec.model_name), 254);
	T_ASSERT(independent_utf8_check(rec.model_name));
	T_ASSERT(strncmp(rec.model_name, id.buf, 254) == 0);
	/* "arn:" + 12 bytes + 2 * 247 = 510 of 511. */
	T_EQ_INT(strlen(rec.principal), 510);
	T_ASSERT(independent_utf8_check(rec.principal));
	strbuf_free(&sb);
	strbuf_free(&id);
	record_free(&rec);
}

static void
test_event_id_length_limit(void)
{
	struct strbuf sb = { 0 };
	struct record rec = { 0 };
	char id[129];

	memset(id, 'a', 128);
	id[127] = '\0';
	strbuf_addf(&sb, "{\"eventID\":\"%s\",\"eventTime\":"
	    "\"2026-03-01T00:00:00Z\"}", id);
	T_EQ_INT(reduce_string(sb.buf, &rec), RECORD_OK);
	T_EQ_STR(rec.event_id, id);
	id[127] = 'a';
	id[128] = '\0';
	strbuf_reset(&sb);
	strbuf_addf(&sb, "{\"eventID\":\"%s\",\"eventTime\":"
	    "\"2026-03-01T00:00:00Z\"}", id);
	T_EQ_INT(reduce_string(sb.buf, &rec), RECORD_MALFORMED);
	strbuf_free(&sb);
	record_free(&rec);
}

static void
test_input_is_bounded_by_len(void)
{
	/* Not terminated where len ends: only len bytes are read. */
	static const char two[] =
	    "{\"eventID\":\"e1\",\"eventTime\":\"2026-03-01T00:00:00Z\"}"
	    "{\"eventID\":\"e2\"";
	static const char nul[] =
	    "{\"eventID\":\"e1\",\"eventTime\":\"2026-03-01T00:00:00Z\"}\0x";
	struct record rec = { 0 };

	T_EQ_INT(record_reduce(two, strlen(event_head) + 1, NULL, &rec),
	    RECORD_OK);
	T_EQ_STR(rec.event_id, "e1");
	T_EQ_INT(record_reduce(two, sizeof(two) - 1, NULL, &rec),
	    RECORD_MALFORMED);
	/* A NUL byte inside the input is not the end of it. */
	T_EQ_INT(record_reduce(nul, sizeof(nul) - 1, NULL, &rec),
	    RECORD_MALFORMED);
	T_EQ_INT(record_reduce(nul, 0, NULL, &rec), RECORD_MALFORMED);
	/* White space around the object is fine. */
	T_EQ_INT(reduce_string(" \n{\"eventID\":\"e1\",\"eventTime\":"
	    "\"2026-03-01T00:00:00Z\"}\r\n\t ", &rec), RECORD_OK);
	record_free(&rec);
}

static void
test_model_name_table(void)
{
	static const struct {
		const char *id, *name, *provider;
	} cases[] = {
		{ "anthropic.claude-v2", "anthropic.claude-v2", "anthropic" },
		{ "amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", "amazon" },
		{ "ai21.jamba-1-5-large-v1:0", "ai21.jamba-1-5-large-v1:0",
		    "ai21" },
		{ "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		    "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic" },
		{ "eu.meta.llama3-2-3b-instruct-v1:0",
		    "meta.llama3-2-3b-instruct-v1:0", "meta" },
		{ "apac.amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0",
		    "amazon" },
		{ "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
		    "anthropic.claude-3-haiku-20240307-v1:0", "anthropic" },
		{ "global.anthropic.claude-sonnet-4-20250514-v1:0",
		    "anthropic.claude-sonnet-4-20250514-v1:0", "anthropic" },
		{ "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
		    "anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic" },
		{ "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
		    "anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic" },
		{ "arn:aws:bedrock:us-east-1::foundation-model/"
		    "cohere.command-r-v1:0", "cohere.command-r-v1:0",
		    "cohere" },
		{ "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/"
		    "amazon.titan-text-express-v1", "amazon.titan-text-express-v1",
		    "amazon" },
		{ "arn:aws:bedrock:us-east-1:111122223333:inference-profile/"
		    "us.deepseek.r1-v1:0", "deepseek.r1-v1:0", "deepseek" },
		{ "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/"
		    "eu.mistral.pixtral-large-2502-v1:0",
		    "mistral.pixtral-large-2502-v1:0", "mistral" },
		/* Only a geography is stripped, and only once. */
		{ "us.us.anthropic.x", "us.anthropic.x", "us" },
		{ "usa.anthropic.x", "usa.anthropic.x", "usa" },
		/* Not foundation models: unchanged, no provider. */
		{ "arn:aws:bedrock:us-east-1:111122223333:"
		    "application-inference-profile/abcd1234efgh",
		    "arn:aws:bedrock:us-east-1:111122223333:"
		    "application-inference-profile/abcd1234efgh", "" },
		{ "arn:aws:bedrock:us-east-1:111122223333:"
		    "provisioned-model/abcd1234efgh",
		    "arn:aws:bedrock:us-east-1:111122223333:"
		    "provisioned-model/abcd1234efgh", "" },
		{ "arn:aws:bedrock:us-east-1:111122223333:custom-model/"
		    "amazon.titan-text-express-v1:0:8k/abcd1234efgh",
		    "arn:aws:bedrock:us-east-1:111122223333:custom-model/"
		    "amazon.titan-text-express-v1:0:8k/abcd1234efgh", "" },
		{ "arn:aws:bedrock:us-east-1:111122223333:imported-model/abc",
		    "arn:aws:bedrock:us-east-1:111122223333:imported-model/abc",
		    "" },
		{ "arn:aws:bedrock:us-east-1:111122223333:prompt/P1:1",
		    "arn:aws:bedrock:us-east-1:111122223333:prompt/P1:1", "" },
		{ "arn:aws:sagemaker:us-east-1:111122223333:"
		    "inference-profile/us.anthropic.x",
		    "arn:aws:sagemaker:us-east-1:111122223333:"
		    "inference-profile/us.anthropic.x", "" },
		{ "arn:aws:bedrock:us-east-1", "arn:aws:bedrock:us-east-1", "" },
		{ "arn:aws:bedrock:us-east-1:1:inference-profile/",
		    "arn:aws:bedrock:us-east-1:1:inference-profile/", "" },
		{ "abcd1234efgh", "abcd1234efgh", "" },
		{ "Anthropic.claude", "Anthropic.claude", "" },
		{ "1abc.model", "1abc.model", "" },
		{ "anthropic.", "anthropic.", "" },
		{ ".claude", ".claude", "" },
		{ "anthropic.claude v2", "anthropic.claude v2", "" },
		{ "anthropic.claude\n", "anthropic.claude\n", "" },
		{ "us.", "us.", "" },
		{ "", "", "" },
		{ NULL, "", "" },
	};
	char name[256], provider[64];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		record_model_name(cases[i].id, name, sizeof(name), provider,
		    sizeof(provider));
		if (strcmp(name, cases[i].name) != 0 ||
		    strcmp(provider, cases[i].provider) != 0)
			T_FAIL("%s: got \"%s\" \"%s\", want \"%s\" \"%s\"",
			    cases[i].id ? cases[i].id : "(null)", name,
			    provider, cases[i].name, cases[i].provider);
	}
}

static void
test_model_name_truncates_on_a_character_boundary(void)
{
	char name[8], provider[4];

	/* "amazon\xc3\xa9x" is 9 bytes: the é does not fit whole in 7. */
	record_model_name("us.amazon\xc3\xa9x", name, sizeof(name), provider,
	    sizeof(provider));
	T_EQ_STR(name, "amazon");
	T_EQ_STR(provider, "");
	record_model_name("us.amazon.nova-pro-v1:0", name, sizeof(name),
	    provider, sizeof(provider));
	T_EQ_STR(name, "amazon.");
	T_EQ_STR(provider, "ama");
	record_model_name("us.amazon.x", name, sizeof(name), provider, 0);
	T_EQ_STR(name, "amazon.");
}

/*
 * Once with cJSON's own malloc and free, once with the arena hooks that
 * main() installs: the records must not depend on where the tree lives.
 */
static void
run_all(void)
{
	T_RUN(test_every_fixture_is_listed_and_present);
	T_RUN(test_fixtures_reduce_to_expected_bytes);
	T_RUN(test_malformed_fixtures_are_rejected);
	T_RUN(test_every_line_has_the_allowlisted_keys_in_order);
	T_RUN(test_leak_fixture_markers_never_appear);
	T_RUN(test_planted_markers_in_every_other_field_never_appear);
	T_RUN(test_record_fields_for_the_caller);
	T_RUN(test_event_names_filter);
	T_RUN(test_extra_field_configured_twice_is_output_once);
	T_RUN(test_line_buffer_is_reused);
	T_RUN(test_deep_nesting_is_rejected_without_crashing);
	T_RUN(test_huge_strings_are_copied_whole_and_truncated_safely);
	T_RUN(test_event_id_length_limit);
	T_RUN(test_input_is_bounded_by_len);
	T_RUN(test_model_name_table);
	T_RUN(test_model_name_truncates_on_a_character_boundary);
}

/* An event bigger than the arena spills to malloc, and the arena grows. */
static void
test_arena_spills_then_grows(void)
{
	struct record plain = { 0 }, arena = { 0 };
	struct strbuf ev = { 0 };
	size_t cap, i;

	strbuf_adds(&ev, "{\"eventID\":\"big\",\"eventTime\":"
	    "\"2026-11-24T06:59:58Z\",\"userAgent\":\"");
	for (i = 0; i < 100000; i++)
		strbuf_add(&ev, "a", 1);
	strbuf_adds(&ev, "\"}");

	cJSON_InitHooks(NULL);
	T_EQ_INT(record_reduce(ev.buf, ev.len, &opts_extras, &plain),
	    RECORD_OK);
	json_arena_hooks();
	T_EQ_INT(record_reduce(ev.buf, ev.len, &opts_extras, &arena),
	    RECORD_OK);
	T_ASSERT(arena.arena != NULL && arena.arena->cap > 100000);
	T_EQ_STR(arena.line.buf, plain.line.buf);
	/* The grown arena serves the same event again without spilling. */
	cap = arena.arena->cap;
	T_EQ_INT(record_reduce(ev.buf, ev.len, &opts_extras, &arena),
	    RECORD_OK);
	T_EQ_INT(arena.arena->cap, cap);
	T_EQ_INT(arena.arena->spilled, 0);
	T_EQ_STR(arena.line.buf, plain.line.buf);
	record_free(&plain);
	record_free(&arena);
	strbuf_free(&ev);
}

int
main(void)
{
	run_all();
	json_arena_hooks();
	run_all();
	T_RUN(test_arena_spills_then_grows);
	cJSON_InitHooks(NULL);
	return T_DONE();
}
