#include "inventory.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A pair's index key: the model's length keeps any two pairs apart. */
static char *
set_key(const char *name, const char *model)
{
	if (model == NULL)
		return xstrdup(name);
	return xasprintf("%zu:%s%s", strlen(model), model, name);
}

struct inv_item *
inv_set_touch(struct inv_set *set, const char *name, const char *model,
    time_t t, bool *is_new)
{
	char *key = set_key(name, model);
	const struct strset_entry *e = strset_find(&set->index, key);
	struct inv_item *it;

	*is_new = e == NULL;
	if (e != NULL) {
		it = &set->items[e->time];
		if (t < it->first)
			it->first = t;
		if (t > it->last)
			it->last = t;
	} else {
		if (set->n == set->cap) {
			set->cap = set->cap ? set->cap * 2 : 16;
			set->items = xrealloc(set->items,
			    set->cap * sizeof(*set->items));
		}
		strset_add(&set->index, key, (time_t)set->n);
		it = &set->items[set->n++];
		memset(it, 0, sizeof(*it));
		it->name = xstrdup(name);
		it->model = model != NULL ? xstrdup(model) : NULL;
		it->first = it->last = t;
	}
	it->calls++;
	free(key);
	return it;
}

static void
inv_set_free(struct inv_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].name);
		free(set->items[i].model);
	}
	free(set->items);
	strset_free(&set->index);
	memset(set, 0, sizeof(*set));
}

static void
inv_set_copy(struct inv_set *dst, const struct inv_set *src)
{
	bool is_new;

	for (size_t i = 0; i < src->n; i++) {
		const struct inv_item *s = &src->items[i];
		struct inv_item *d = inv_set_touch(dst, s->name, s->model,
		    s->first, &is_new);

		*d = (struct inv_item){ .name = d->name, .model = d->model,
			.first = s->first, .last = s->last, .calls = s->calls,
			.unapproved = s->unapproved };
	}
}

struct inv_account *
inventory_account(struct inventory *inv, const char *id)
{
	struct inv_account *a;

	for (size_t i = 0; i < inv->naccounts; i++)
		if (strcmp(inv->accounts[i].id, id) == 0)
			return &inv->accounts[i];
	inv->accounts = xrealloc(inv->accounts,
	    (inv->naccounts + 1) * sizeof(*inv->accounts));
	a = &inv->accounts[inv->naccounts++];
	memset(a, 0, sizeof(*a));
	a->id = xstrdup(id);
	return a;
}

static void
add_unit(const char *key, time_t t, void *arg)
{
	strset_add(arg, key, t);
}

void
inventory_copy(struct inventory *dst, const struct inventory *src)
{
	inventory_free(dst);
	for (size_t i = 0; i < src->naccounts; i++) {
		const struct inv_account *s = &src->accounts[i];
		struct inv_account *d = inventory_account(dst, s->id);

		inv_set_copy(&d->models, &s->models);
		inv_set_copy(&d->principals, &s->principals);
		inv_set_copy(&d->regions, &s->regions);
		inv_set_copy(&d->pairs, &s->pairs);
	}
	strset_each(&src->units, add_unit, &dst->units);
}

void
inventory_move(struct inventory *dst, struct inventory *src)
{
	inventory_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void
inventory_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	for (size_t i = 0; i < inv->naccounts; i++) {
		struct inv_account *a = &inv->accounts[i];

		free(a->id);
		inv_set_free(&a->models);
		inv_set_free(&a->principals);
		inv_set_free(&a->regions);
		inv_set_free(&a->pairs);
	}
	free(inv->accounts);
	strset_free(&inv->units);
	memset(inv, 0, sizeof(*inv));
}
