#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* FNV-1a: short keys, no adversary controls which slot collides costly. */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct strset_entry *
find_slot(struct strset_entry *slots, size_t nslots, const char *key)
{
	size_t i = hash(key) & (nslots - 1);

	while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static void
grow(struct strset *set)
{
	size_t n = set->nslots ? set->nslots * 2 : 64;
	struct strset_entry *slots = xcalloc(n, sizeof(*slots));

	for (size_t i = 0; i < set->nslots; i++)
		if (set->slots[i].key != NULL)
			*find_slot(slots, n, set->slots[i].key) = set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->nslots = n;
}

/* The member's slot, added (key copied) if new; *added says which. */
static struct strset_entry *
insert(struct strset *set, const char *key, bool *added)
{
	struct strset_entry *e;

	if ((set->count + 1) * 4 > set->nslots * 3)
		grow(set);
	e = find_slot(set->slots, set->nslots, key);
	*added = e->key == NULL;
	if (*added) {
		e->key = xstrdup(key);
		set->count++;
	}
	return e;
}

bool
strset_add(struct strset *set, const char *key, time_t time)
{
	bool added;
	struct strset_entry *e = insert(set, key, &added);

	if (added)
		e->time = time;
	return added;
}

void *
strset_value(struct strset *set, const char *key, size_t size)
{
	bool added;
	struct strset_entry *e = insert(set, key, &added);

	if (added)
		e->value = xcalloc(1, size);
	return e->value;
}

bool
strset_has(const struct strset *set, const char *key)
{
	if (set->nslots == 0)
		return false;
	return find_slot(set->slots, set->nslots, key)->key != NULL;
}

const struct strset_entry *
strset_find(const struct strset *set, const char *key)
{
	const struct strset_entry *e;

	if (set->nslots == 0)
		return NULL;
	e = find_slot(set->slots, set->nslots, key);
	return e->key != NULL ? e : NULL;
}

void
strset_each(const struct strset *set,
    void (*fn)(const char *key, time_t time, void *arg), void *arg)
{
	for (size_t i = 0; i < set->nslots; i++)
		if (set->slots[i].key != NULL)
			fn(set->slots[i].key, set->slots[i].time, arg);
}

void
strset_free_values(struct strset *set, void (*value_free)(void *))
{
	for (size_t i = 0; i < set->nslots; i++) {
		if (set->slots[i].key == NULL)
			continue;
		if (value_free != NULL && set->slots[i].value != NULL)
			value_free(set->slots[i].value);
		free(set->slots[i].value);
		free(set->slots[i].key);
	}
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

void
strset_free(struct strset *set)
{
	strset_free_values(set, NULL);
}
