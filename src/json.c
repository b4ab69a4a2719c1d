#include "json.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* The arena's first block, and the most it grows to. */
#define ARENA_MIN	(32u << 10)
#define ARENA_MAX	(1u << 20)

/*
 * Under AddressSanitizer the arena keeps what malloc would have caught:
 * the block is poisoned, each allocation unpoisoned, and a gap left
 * after it, so reading past a node or a string still stops the test.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSON_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define JSON_ASAN 1
#endif
#ifdef JSON_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_GAP	32u
#define ARENA_POISON(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_GAP	0u
#define ARENA_POISON(p, n)	((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n)	((void)(p), (void)(n))
#endif

char *
json_string(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *
json_nonempty(const cJSON *obj, const char *key)
{
	const char *v = json_string(obj, key);

	return v != NULL && *v != '\0' ? v : NULL;
}

const char *
json_record_principal(const cJSON *record)
{
	const cJSON *ui = cJSON_GetObjectItemCaseSensitive(record,
	    "userIdentity");
	const char *p;

	if (!cJSON_IsObject(ui))
		return "(unknown)";
	if ((p = json_nonempty(ui, "arn")) != NULL ||
	    (p = json_nonempty(ui, "userName")) != NULL ||
	    (p = json_nonempty(ui, "type")) != NULL)
		return p;
	return "(unknown)";
}

const char *
json_unknown_key(const cJSON *obj, const char *const *allowed)
{
	const cJSON *item;
	size_t i;

	cJSON_ArrayForEach(item, obj) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(item->string, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return item->string;
	}
	return NULL;
}

cJSON *
json_must(cJSON *item)
{
	if (item == NULL) {
		log_error("out of memory");
		abort();
	}
	return item;
}

/*
 * The arena in use by this thread, or NULL. Parsing a CloudTrailEvent
 * makes a hundred or more small allocations, freed together right after:
 * with malloc, and the one arena that every thread shares (main.c), they
 * were the largest single cost of a poll after parsing itself.
 */
static _Thread_local struct json_arena *json_current;

static void *
json_alloc(size_t n)
{
	struct json_arena *a = json_current;
	size_t at;

	if (a == NULL || a->buf == NULL)
		return malloc(n);
	at = (a->used + alignof(max_align_t) - 1) &
	    ~(alignof(max_align_t) - 1);
	if (at > a->cap || n + ARENA_GAP > a->cap - at) {
		a->spilled += n + ARENA_GAP;
		return malloc(n);
	}
	a->used = at + n + ARENA_GAP;
	ARENA_UNPOISON(a->buf + at, n);
	return a->buf + at;
}

/* Memory of the arena goes back with json_arena_end, the rest to free. */
static void
json_dealloc(void *p)
{
	struct json_arena *a = json_current;

	if (a != NULL && a->buf != NULL && (char *)p >= a->buf &&
	    (char *)p < a->buf + a->cap)
		return;
	free(p);
}

void
json_arena_hooks(void)
{
	cJSON_Hooks hooks = { json_alloc, json_dealloc };

	cJSON_InitHooks(&hooks);
}

void
json_arena_begin(struct json_arena *a)
{
	if (a->buf == NULL) {
		a->cap = ARENA_MIN;
		a->buf = xmalloc(a->cap);
	}
	a->used = 0;
	a->spilled = 0;
	ARENA_POISON(a->buf, a->cap);
	json_current = a;
}

void
json_arena_end(struct json_arena *a)
{
	size_t want = a->used + a->spilled;

	json_current = NULL;
	ARENA_UNPOISON(a->buf, a->cap);
	/* Room for a tree this size next time, within reason. */
	if (a->spilled > 0 && a->cap < ARENA_MAX) {
		while (a->cap < want && a->cap < ARENA_MAX)
			a->cap *= 2;
		free(a->buf);
		a->buf = xmalloc(a->cap);
	}
	a->used = 0;
}

void
json_arena_free(struct json_arena *a)
{
	if (a == NULL)
		return;
	free(a->buf);
	a->buf = NULL;
	a->cap = a->used = a->spilled = 0;
}
