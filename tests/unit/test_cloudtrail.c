/*
 * The LookupEvents response parser and the error classifier, on the sample
 * shapes AWS documents and on hostile bodies.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cJSON.h>

#include "cloudtrail.h"
#include "t.h"
#include "util.h"

#define FIX "tests/fixtures/responses/"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	if (sb.buf == NULL)
		strbuf_add(&sb, "", 0);
	*len = sb.len;
	return sb.buf;
}

static void
test_sample_page(void)
{
	size_t len;
	char *body = slurp(FIX "lookupevents-response-page.json", &len);
	struct ct_page page;

	T_ASSERT(body != NULL);
	T_EQ_INT(ct_parse_page(body, len, &page), 0);
	T_EQ_INT(page.nevents, 2);
	T_EQ_STR(page.events[0].event_id,
	    "0b1c2d3e-1111-4aaa-8bbb-000000000001");
	T_ASSERT(strncmp(page.events[0].cloudtrail_event,
	    "{\"eventVersion\":\"1.09\"", 22) == 0);
	T_EQ_INT(page.events[0].cloudtrail_event_len,
	    strlen(page.events[0].cloudtrail_event));
	T_EQ_STR(page.next_token, "ZHVtbXktb3BhcXVlLXRva2VuLXRpZWQtdG8tb3JpZ2luYWwtcGFyYW1ldGVycw==");
	ct_page_free(&page);
	free(body);
}

static void
test_empty_page_has_no_token(void)
{
	size_t len;
	char *body = slurp(FIX "good-empty.json", &len);
	struct ct_page page;

	T_EQ_INT(ct_parse_page(body, len, &page), 0);
	T_EQ_INT(page.nevents, 0);
	T_ASSERT(page.next_token == NULL);
	ct_page_free(&page);
	free(body);
}

/* Every bad-*.json is something LookupEvents never returns. */
static void
test_hostile_pages_are_refused(void)
{
	DIR *d = opendir(FIX);
	struct dirent *e;
	int seen = 0;

	T_ASSERT(d != NULL);
	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[512];
		size_t len;
		char *body;
		struct ct_page page;

		if (strncmp(e->d_name, "bad-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), FIX "%s", e->d_name);
		body = slurp(path, &len);
		if (ct_parse_page(body, len, &page) != -1)
			T_FAIL("%s was accepted", e->d_name);
		T_ASSERT(page.events == NULL && page.next_token == NULL);
		free(body);
		seen++;
	}
	if (d != NULL)
		closedir(d);
	T_ASSERT(seen >= 7);
}

struct want {
	const char *name;
	enum ct_error_kind kind;
	const char *code;
	int skew;
};

static const struct want wants[] = {
	{ "throttling", CT_THROTTLED, "ThrottlingException", 0 },
	{ "invalid_time_range", CT_REQUEST, "InvalidTimeRangeException", 0 },
	{ "invalid_lookup_attributes", CT_REQUEST,
	  "InvalidLookupAttributesException", 0 },
	{ "invalid_next_token", CT_REQUEST, "InvalidNextTokenException", 0 },
	{ "unrecognized_client", CT_AUTH, "UnrecognizedClientException", 0 },
	{ "expired_token", CT_AUTH, "ExpiredTokenException", 0 },
	{ "bad_signature", CT_AUTH, "InvalidSignatureException", 0 },
	{ "clock_skew_past", CT_AUTH, "InvalidSignatureException", 1 },
	{ "clock_skew_future", CT_AUTH, "InvalidSignatureException", 1 },
	{ "missing_auth", CT_AUTH, "MissingAuthenticationTokenException", 0 },
	{ "incomplete_signature", CT_AUTH, "IncompleteSignatureException", 0 },
	{ "access_denied", CT_AUTH, "AccessDeniedException", 0 },
	{ "internal", CT_CONNECT, "InternalFailure", 0 },
	{ "unavailable", CT_CONNECT, "ServiceUnavailableException", 0 },
};

static void
test_sample_errors_are_classified(void)
{
	size_t len;
	char *text = slurp(FIX "lookupevents-error-bodies.json", &len);
	cJSON *all = cJSON_Parse(text);

	T_ASSERT(all != NULL);
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		cJSON *c = cJSON_GetObjectItem(all, wants[i].name);
		cJSON *hdr = cJSON_GetObjectItem(cJSON_GetObjectItem(c,
		    "headers"), "x-amzn-ErrorType");
		char *body = cJSON_PrintUnformatted(cJSON_GetObjectItem(c,
		    "body"));
		struct ct_error err;

		ct_classify((long)cJSON_GetObjectItem(c, "status")->valuedouble,
		    hdr ? hdr->valuestring : "", body,
		    "Thu, 01 Jan 2026 00:15:00 GMT", 1767225600, &err);
		if (err.kind != wants[i].kind)
			T_FAIL("%s: kind %d, want %d", wants[i].name, err.kind,
			    wants[i].kind);
		T_EQ_STR(err.code, wants[i].code);
		T_ASSERT(err.message[0] != '\0');
		T_EQ_INT(err.clock_skew, wants[i].skew);
		if (wants[i].skew)
			T_EQ_INT(err.skew_seconds, 900);
		free(body);
	}
	cJSON_Delete(all);
	free(text);
}

static void
test_error_type_from_header_only(void)
{
	struct ct_error err;

	ct_classify(400, "com.amazon.coral.service#ExpiredTokenException:"
	    "http://internal.amazon.com/coral/", "", "", 0, &err);
	T_EQ_INT(err.kind, CT_AUTH);
	T_EQ_STR(err.code, "ExpiredTokenException");
}

static void
test_control_characters_are_removed_from_messages(void)
{
	struct ct_error err;

	ct_classify(400, "", "{\"__type\":\"AccessDeniedException\","
	    "\"Message\":\"no\\u001b[31m\\nway\"}", "", 0, &err);
	T_EQ_STR(err.message, "no [31m way");
}

static void
test_not_cloudtrail_at_all(void)
{
	struct ct_error err;

	ct_classify(404, "", "<html>Not Found</html>", "", 0, &err);
	T_EQ_INT(err.kind, CT_CONNECT);
	T_EQ_STR(err.code, "HTTP 404");
	ct_classify(403, "", "", "", 0, &err);
	T_EQ_INT(err.kind, CT_AUTH);
	ct_classify(429, "", "", "", 0, &err);
	T_EQ_INT(err.kind, CT_THROTTLED);
}

static void
test_exit_codes(void)
{
	T_EQ_INT(ct_exit_code(CT_AUTH), EX_NOPERM);
	T_EQ_INT(ct_exit_code(CT_CONNECT), EX_UNAVAILABLE);
	T_EQ_INT(ct_exit_code(CT_THROTTLED), EX_TEMPFAIL);
	T_EQ_INT(ct_exit_code(CT_MALFORMED), EX_DATAERR);
	T_EQ_INT(ct_exit_code(CT_REQUEST), EX_DATAERR);
	T_EQ_INT(ct_exit_code(CT_SIGNING), EX_SOFTWARE);
}

int
main(void)
{
	T_RUN(test_sample_page);
	T_RUN(test_empty_page_has_no_token);
	T_RUN(test_hostile_pages_are_refused);
	T_RUN(test_sample_errors_are_classified);
	T_RUN(test_error_type_from_header_only);
	T_RUN(test_control_characters_are_removed_from_messages);
	T_RUN(test_not_cloudtrail_at_all);
	T_RUN(test_exit_codes);
	return T_DONE();
}
