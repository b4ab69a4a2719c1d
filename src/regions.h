/*
 * Every AWS region, per partition: what `regions: all` means (SPEC section
 * 2). A built-in table, kept current by hand and checked against the
 * partition data the AWS SDKs ship (tests/e2e/test_regions.py).
 */
#ifndef REGIONS_H
#define REGIONS_H

#include <stdbool.h>

#include "util.h"

/* "aws", "aws-cn" or "aws-us-gov": the partition a region code is in. */
const char *regions_partition(const char *region);

/*
 * Adds every region of partition to out, in the table's order. Returns 0,
 * or -1 for a partition the table does not know.
 */
int regions_all(const char *partition, struct strlist *out);

/* True for a region an account must enable before using it (opt-in). */
bool regions_opt_in(const char *region);

/*
 * True when an AWS error code from an opt-in region means that the
 * account has not enabled the region: AWS answers as if the key were
 * unknown there (UnrecognizedClientException, InvalidClientTokenId,
 * AuthFailure) or says so (OptInRequired).
 */
bool regions_not_enabled(const char *region, const char *code);

#endif
