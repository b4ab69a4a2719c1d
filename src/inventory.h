/*
 * What poll has seen, per account (recipientAccountId): the models,
 * principals, regions and principal x model pairs of calls that name a
 * model, each with its first and last call and a count (SPEC section 8).
 * It lives in the state file beside the cursors and is committed with
 * them; nothing is ever pruned from it.
 *
 * In the state file, "inventory":
 *   {"units":["us-east-1",...],
 *    "accounts":{"123456789012":{
 *      "models":{"NAME":[FIRST,LAST,CALLS],...},
 *      "principals":{...}, "regions":{...},
 *      "pairs":[["PRINCIPAL","MODEL",FIRST,LAST,CALLS,UNAPPROVED],...]}}}
 * with times in seconds since the epoch and UNAPPROVED 1 once an
 * unapproved_model line was written for the pair. "units" are the polled
 * units (regions) whose first batch is in: a later batch is no baseline.
 */
#ifndef INVENTORY_H
#define INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "strset.h"

struct cJSON;

struct inv_item {
	char *name;		/* model, principal or region; pair: principal */
	char *model;		/* pairs only */
	time_t first, last;
	unsigned long long calls;
	bool unapproved;	/* pairs: an unapproved_model line was written */
};

/* Items in the order first seen; index maps a key to its position. */
struct inv_set {
	struct inv_item *items;
	size_t n, cap;
	struct strset index;
};

struct inv_account {
	char *id;
	struct inv_set models, principals, regions, pairs;
};

struct inventory {
	struct inv_account *accounts;
	size_t naccounts;
	struct strset units;
};

/* The account's entry, added (empty) if missing. */
struct inv_account *inventory_account(struct inventory *, const char *id);

/*
 * Counts a call at t to name (a pair: principal name and model); returns
 * the item, and sets *is_new when it was not there before.
 */
struct inv_item *inv_set_touch(struct inv_set *, const char *name,
    const char *model, time_t t, bool *is_new);

/* dst becomes a deep copy of src (dst is freed first). */
void inventory_copy(struct inventory *dst, const struct inventory *src);
/* dst takes src's contents; src is left empty. */
void inventory_move(struct inventory *dst, struct inventory *src);
void inventory_free(struct inventory *);

/*
 * From the state file's "inventory" object; -1 with the reason in why
 * (whysize bytes) when it is not one.
 */
int inventory_parse(const struct cJSON *, struct inventory *, char *why,
    size_t whysize);
/* Adds the inventory to obj as key name. */
void inventory_format(struct cJSON *obj, const char *name,
    const struct inventory *);

#endif
