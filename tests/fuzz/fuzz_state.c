/*
 * The bytes as the state file. state_load must accept or refuse them with
 * EX_DATAERR; a state it accepts, once state_adopt has given a version 1
 * file an account, must survive state_save and a second state_load
 * unchanged, so that a poll never loses a cursor, a seen id or
 * a pending append through a save.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "fuzz.h"
#include "state.h"

void
fuzz_target_init(void)
{
}

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The time key has in set, by a scan: the set's layout is public. */
static bool
set_time(const struct strset *set, const char *key, time_t *t)
{
	size_t i;

	for (i = 0; i < set->nslots; i++)
		if (set->slots[i].key != NULL &&
		    strcmp(set->slots[i].key, key) == 0) {
			*t = set->slots[i].time;
			return true;
		}
	return false;
}

static bool
same_set(const struct strset *a, const struct strset *b)
{
	size_t i;
	time_t t;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->nslots; i++)
		if (a->slots[i].key != NULL &&
		    (!set_time(b, a->slots[i].key, &t) ||
			t != a->slots[i].time))
			return false;
	return true;
}

static bool
same_region(const struct region_state *a, const struct region_state *b)
{
	return same_str(a->account, b->account) &&
	    same_str(a->region, b->region) && a->has_cursor == b->has_cursor &&
	    (!a->has_cursor || a->cursor == b->cursor) &&
	    same_set(&a->seen, &b->seen);
}

static bool
same_items(const struct inv_set *a, const struct inv_set *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct inv_item *x = &a->items[i], *y = &b->items[i];

		if (!same_str(x->name, y->name) ||
		    !same_str(x->model, y->model) || x->first != y->first ||
		    x->last != y->last || x->calls != y->calls ||
		    x->unapproved != y->unapproved)
			return false;
	}
	return true;
}

/* Accounts and items keep their order: the arrays are compared as such. */
static bool
same_inventory(const struct inventory *a, const struct inventory *b)
{
	size_t i;

	if (a->naccounts != b->naccounts || !same_set(&a->units, &b->units))
		return false;
	for (i = 0; i < a->naccounts; i++) {
		const struct inv_account *x = &a->accounts[i];
		const struct inv_account *y = &b->accounts[i];

		if (!same_str(x->id, y->id) ||
		    !same_items(&x->models, &y->models) ||
		    !same_items(&x->principals, &y->principals) ||
		    !same_items(&x->regions, &y->regions) ||
		    !same_items(&x->pairs, &y->pairs))
			return false;
	}
	return true;
}

static bool
same_disc(const struct disc_pending *a, const struct disc_pending *b)
{
	if (a->active != b->active)
		return false;
	return !a->active ||
	    (same_str(a->output, b->output) && a->dev == b->dev &&
		a->ino == b->ino && a->offset == b->offset &&
		same_str(a->lines, b->lines));
}

static bool
same_pending(const struct pending_append *a, const struct pending_append *b)
{
	if (a->active != b->active)
		return false;
	if (!a->active)
		return true;
	return same_str(a->output, b->output) && a->dev == b->dev &&
	    a->ino == b->ino && a->offset == b->offset &&
	    a->length == b->length && strcmp(a->sha256, b->sha256) == 0 &&
	    same_region(&a->after, &b->after) &&
	    a->has_inventory == b->has_inventory &&
	    same_inventory(&a->inventory, &b->inventory) &&
	    same_disc(&a->disc, &b->disc);
}

static void
check_same(const struct state *a, const struct state *b)
{
	size_t i, j;

	FUZZ_CHECK(a->nregions == b->nregions, "region count changed");
	for (i = 0; i < a->nregions; i++) {
		/* The same (account, region): version 2 keys by both. */
		for (j = 0; j < b->nregions; j++)
			if (same_str(
				a->regions[i].account, b->regions[j].account) &&
			    same_str(
				a->regions[i].region, b->regions[j].region))
				break;
		FUZZ_CHECK(j < b->nregions, "region lost");
		FUZZ_CHECK(same_region(&a->regions[i], &b->regions[j]),
		    "region changed");
	}
	FUZZ_CHECK(same_pending(&a->pending, &b->pending), "pending changed");
	FUZZ_CHECK(
	    same_inventory(&a->inventory, &b->inventory), "inventory changed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *path = fuzz_path("state.json");
	const char *copy = fuzz_path("saved.json");
	struct state a, b;
	int rc;

	fuzz_setup();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fuzz_write_file(path, data, len, 0600);
	rc = state_load(path, &a);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR, "state_load result");
	if (rc == 0) {
		/* As poll does before its first save: a version 1 file's
		 * entries become the credentials' own account's. */
		FUZZ_CHECK(state_adopt(path, &a, "123456789012") == 0,
		    "state_adopt failed");
		FUZZ_CHECK(state_save(copy, &a) == 0, "state_save failed");
		FUZZ_CHECK(state_load(copy, &b) == 0, "saved state refused");
		check_same(&a, &b);
	}
	state_free(&a);
	state_free(&b);
	return 0;
}
