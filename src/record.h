/*
 * CloudTrailEvent (the JSON string inside a LookupEvents event) -> the
 * allowlisted record of SPEC section 4. Nothing else of the event is ever
 * copied out: the record is built key by key from the allowlist.
 *
 * record_reduce returns what became of the event (enum record_result);
 * nothing here reports: the caller says which event failed.
 */
#ifndef RECORD_H
#define RECORD_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "util.h"

struct json_arena;

struct record_options {
	const struct strlist *event_names;	/* empty: keep all */
	const enum extra_field *extra_fields;
	size_t nextra_fields;
	const char *account_name;	/* accountName; NULL: null */
};

/* What the caller needs besides the line, to sort, dedupe and summarise. */
struct record {
	struct strbuf line;	/* the JSON object, no newline */
	struct json_arena *arena;	/* record.c's, reused for each event */
	char event_id[128];
	char event_time[32];	/* as in the event, "2026-11-24T06:59:58Z" */
	time_t event_epoch;
	char model_name[256];	/* "" when null */
	char principal[512];	/* userIdentity.arn, "" when null */
	char event_source[128];
};

enum record_result {
	RECORD_OK,
	RECORD_FILTERED,	/* eventName not in event_names */
	RECORD_MALFORMED,	/* not JSON, not an object, no eventID/eventTime */
};

/*
 * Reduces json (len bytes, not necessarily terminated) into rec, reusing
 * rec->line's buffer. On RECORD_MALFORMED, rec is unspecified.
 */
enum record_result record_reduce(const char *json, size_t len,
    const struct record_options *opts, struct record *rec);

/*
 * modelName and modelProvider from a modelId (SPEC section 4). name gets
 * the model name ("" for NULL id); provider gets "" when it is null.
 */
void record_model_name(const char *model_id, char *name, size_t namesize,
    char *provider, size_t providersize);

void record_free(struct record *);

#endif
