/*
 * A set of strings with an optional time or value each: the one hash table
 * (FNV-1a, open addressing) of the program. Used for event ids already
 * emitted, NextTokens already followed, distinct models and principals,
 * and report's per-model counts. Memory grows with the members only.
 *
 * Functions return a pointer or NULL, or true or false, as each says.
 */
#ifndef STRSET_H
#define STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct strset_entry {
	char *key;	/* NULL: empty slot */
	time_t time;
	void *value;	/* strset_value's, owned; else NULL */
};

struct strset {
	struct strset_entry *slots;
	size_t nslots, count;
};

/* Adds key (copied) with time; returns false if it was already there. */
bool strset_add(struct strset *, const char *key, time_t time);
bool strset_has(const struct strset *, const char *key);
/* The member's entry, or NULL. */
const struct strset_entry *strset_find(const struct strset *,
    const char *key);
/*
 * The member's value, the member (and a zeroed value of size bytes) added
 * when new. Use one size for every member of a set.
 */
void *strset_value(struct strset *, const char *key, size_t size);
/* Calls fn for every member, in no particular order. */
void strset_each(const struct strset *,
    void (*fn)(const char *key, time_t time, void *arg), void *arg);
void strset_free(struct strset *);
/* strset_free, with value_free called on each value before it is freed. */
void strset_free_values(struct strset *, void (*value_free)(void *));

#endif
