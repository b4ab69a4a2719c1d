/*
 * record_reduce on any bytes, under three option sets: none; every extra
 * field, one twice, in an unnatural order; an event_names filter with one
 * extra. Each result must satisfy record_check, and the three must agree.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "json.h"
#include "record.h"
#include "record_check.h"

static const enum extra_field extras[] = { EXTRA_INFERENCE_REGION,
	EXTRA_SOURCE_IP, EXTRA_INFERENCE_REGION, EXTRA_USER_AGENT };
static struct strlist names;
static struct record_options opts[3] = { { NULL, NULL, 0, NULL },
	{ NULL, extras, 4, NULL }, { &names, extras + 1, 1, NULL } };

void
fuzz_target_init(void)
{
	strlist_add(&names, "InvokeModel");
	strlist_add(&names, "Converse");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct record rec = { 0 };
	enum record_result r[3];
	size_t i;

	fuzz_setup();
	/* As main() runs it: the event's tree in the record's arena. */
	json_arena_hooks();
	for (i = 0; i < 3; i++) {
		r[i] = record_reduce((const char *)data, len, &opts[i], &rec);
		record_check((const char *)data, len, &opts[i], r[i], &rec);
	}
	FUZZ_CHECK(r[0] != RECORD_FILTERED && r[1] == r[0],
	    "extra fields changed the result");
	FUZZ_CHECK(
	    r[2] == r[0] || (r[0] == RECORD_OK && r[2] == RECORD_FILTERED),
	    "a filter changed more than filtering");
	record_free(&rec);
	return 0;
}
