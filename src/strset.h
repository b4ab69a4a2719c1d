/*
 * A set of strings with an optional time each (open addressing). Used for
 * event ids already emitted, NextTokens already followed, and distinct
 * models and principals. Memory grows with the members only.
 */
#ifndef STRSET_H
#define STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct strset_entry {
	char *key;	/* NULL: empty slot */
	time_t time;
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
/* Calls fn for every member, in no particular order. */
void strset_each(const struct strset *,
    void (*fn)(const char *key, time_t time, void *arg), void *arg);
void strset_free(struct strset *);

#endif
