/*
 * The bytes as a LookupEvents response body (ct_parse_page), every event
 * of a parsed page through record_reduce, and the same bytes as an error
 * response (ct_classify) under the statuses and headers that matter.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloudtrail.h"
#include "fuzz.h"
#include "record.h"
#include "record_check.h"

void
fuzz_target_init(void)
{
}

static void
check_page(const struct ct_page *page)
{
	struct record rec = { 0 };
	enum record_result r;
	size_t i;

	FUZZ_CHECK(page->nevents == 0 || page->events != NULL, "no events");
	FUZZ_CHECK(page->next_token == NULL || page->next_token[0] != '\0',
	    "empty NextToken kept");
	for (i = 0; i < page->nevents; i++) {
		const struct ct_event *ev = &page->events[i];

		FUZZ_CHECK(ev->event_id != NULL && ev->cloudtrail_event != NULL,
		    "event without its strings");
		FUZZ_CHECK(
		    strlen(ev->cloudtrail_event) == ev->cloudtrail_event_len,
		    "CloudTrailEvent length");
		r = record_reduce(
		    ev->cloudtrail_event, ev->cloudtrail_event_len, NULL, &rec);
		record_check(ev->cloudtrail_event, ev->cloudtrail_event_len,
		    NULL, r, &rec);
	}
	record_free(&rec);
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void
classify(long status, const char *header, const char *body)
{
	struct ct_error err;

	/* A fixed "now" keeps runs reproducible. */
	ct_classify(status, header, body, body, 1767225600, &err);
	FUZZ_CHECK(err.kind != CT_OK && err.kind <= CT_REQUEST, "kind");
	FUZZ_CHECK(memchr(err.code, '\0', sizeof(err.code)) != NULL &&
		err.code[0] != '\0' && printable(err.code),
	    "code");
	FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL &&
		printable(err.message),
	    "message");
	FUZZ_CHECK(err.http_status == status, "status");
	FUZZ_CHECK(!err.clock_skew || err.kind == CT_AUTH, "skew");
	if (status == 429)
		FUZZ_CHECK(err.kind == CT_THROTTLED, "429 not throttling");
	if (status == 403)
		FUZZ_CHECK(err.kind == CT_THROTTLED || err.kind == CT_AUTH,
		    "403 not auth");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const long statuses[] = { 200, 400, 403, 429, 500, 503 };
	struct ct_page page;
	char *body, *header, *nl;
	size_t i;

	fuzz_setup();
	if (ct_parse_page((const char *)data, len, &page) == 0)
		check_page(&page);
	else
		FUZZ_CHECK(page.events == NULL && page.nevents == 0 &&
			page.next_token == NULL,
		    "failed parse left a page");
	ct_page_free(&page);

	body = fuzz_strndup(data, len);
	/* The first line doubles as an x-amzn-ErrorType header. */
	header = fuzz_strndup(data, len);
	if ((nl = strchr(header, '\n')) != NULL)
		*nl = '\0';
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		classify(statuses[i], NULL, body);
	classify(400, header, body);
	classify(400, header, NULL);
	free(header);
	free(body);
	return 0;
}
