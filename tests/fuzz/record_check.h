/*
 * The invariant of record_reduce, checked against a separate parse of the
 * same event (used by fuzz_record and fuzz_lookup_response).
 */
#ifndef RECORD_CHECK_H
#define RECORD_CHECK_H

#include <stddef.h>

#include "record.h"

/*
 * Aborts unless r and rec are what SPEC section 4 allows for json: a
 * RECORD_OK line is a JSON object with exactly the allowlisted keys in
 * order, each value null or the string at its allowlisted path (invalid
 * UTF-8 bytes as '?'), or derived from one (modelName, modelProvider,
 * userName): never a string from anywhere else in the event.
 */
void record_check(const char *json, size_t len,
    const struct record_options *opts, enum record_result r,
    const struct record *rec);

#endif
