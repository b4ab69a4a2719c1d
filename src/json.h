/*
 * Reading the cJSON trees a module has parsed (the trees themselves stay
 * in that module), and an arena for the trees that live only as long as
 * one call. Functions return a pointer into the tree, or NULL.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include <cJSON.h>

/*
 * obj[key] when it is a string, else NULL: a missing member and one of
 * another type read the same. The string belongs to the tree.
 */
char *json_string(const cJSON *obj, const char *key);

/* json_string, and NULL for an empty string too. */
const char *json_nonempty(const cJSON *obj, const char *key);

/*
 * Who made a call, in one of our record lines: userIdentity.arn, else its
 * userName, else its type, else "(unknown)". The one definition that
 * report and discoveries share, so that both name the same person.
 */
const char *json_record_principal(const cJSON *record);

/*
 * The first member of obj whose name is not in allowed (NULL-terminated),
 * or NULL: the state's readers refuse a hand-edited file's typos.
 */
const char *json_unknown_key(const cJSON *obj, const char *const *allowed);

/* item, or "out of memory" and abort() when cJSON returned NULL. */
cJSON *json_must(cJSON *item);

/*
 * A block that a tree parsed and deleted within one call is carved from,
 * instead of a malloc and a free per node. Reused from call to call;
 * starts zeroed; json_arena_free releases it.
 */
struct json_arena {
	char *buf;
	size_t cap;
	size_t used;
	size_t spilled;		/* bytes that did not fit, this time */
};

/*
 * Routes cJSON's allocations through the arenas. Call once, before any
 * thread starts; without it the arenas are simply not used.
 */
void json_arena_hooks(void);

/*
 * Between begin and end, this thread's cJSON allocations come from a;
 * every tree parsed in between must be deleted before end. What does not
 * fit is malloc'd as usual, and the block grows for the next time.
 */
void json_arena_begin(struct json_arena *a);
void json_arena_end(struct json_arena *a);
void json_arena_free(struct json_arena *a);

#endif
