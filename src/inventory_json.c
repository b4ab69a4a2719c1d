/*
 * The inventory's section of the state file (format in inventory.h): read
 * strictly, like the rest of the state, and written with cJSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "inventory.h"
#include "json.h"
#include "log.h"
#include "util.h"

/* As in state.c: integers a double holds exactly. */
#define INV_INT_MAX	9007199254740991LL

struct why {
	char *buf;
	size_t size;
};

static int __attribute__((format(printf, 2, 3)))
bad(struct why *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->buf, w->size, fmt, ap);
	va_end(ap);
	return -1;
}

static int
get_int(const cJSON *item, long long min, long long *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (!(d >= (double)min && d <= (double)INV_INT_MAX) ||
	    (double)(long long)d != d)
		return -1;
	*out = (long long)d;
	return 0;
}

/* [FIRST, LAST, CALLS] starting at arr's item i. */
static int
parse_counts(const cJSON *arr, int i, struct inv_item *it)
{
	long long first, last, calls;

	if (get_int(cJSON_GetArrayItem(arr, i), -INV_INT_MAX, &first) == -1 ||
	    get_int(cJSON_GetArrayItem(arr, i + 1), first, &last) == -1 ||
	    get_int(cJSON_GetArrayItem(arr, i + 2), 1, &calls) == -1)
		return -1;
	it->first = (time_t)first;
	it->last = (time_t)last;
	it->calls = (unsigned long long)calls;
	return 0;
}

static int
parse_set(const cJSON *obj, struct inv_set *set, const char *where,
    const char *what, struct why *w)
{
	const cJSON *item;
	struct inv_item *it;
	bool is_new;
	char name[64];

	if (obj == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return bad(w, "%s: \"%s\" is not an object", where, what);
	cJSON_ArrayForEach(item, obj) {
		log_clean(name, sizeof(name), item->string);
		if (item->string[0] == '\0')
			return bad(w, "%s: %s: an empty name", where, what);
		it = inv_set_touch(set, item->string, NULL, 0, &is_new);
		if (!is_new)
			return bad(w, "%s: %s \"%s\" appears twice", where,
			    what, name);
		if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3 ||
		    parse_counts(item, 0, it) == -1)
			return bad(w, "%s: %s \"%s\" is not [first, last, "
			    "calls]", where, what, name);
	}
	return 0;
}

static int
parse_pair(const cJSON *pair, struct inv_set *set, struct why *w)
{
	const cJSON *p = cJSON_GetArrayItem(pair, 0);
	const cJSON *m = cJSON_GetArrayItem(pair, 1);
	struct inv_item *it;
	long long flag;
	bool is_new;

	if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 6 ||
	    !cJSON_IsString(p) || p->valuestring[0] == '\0' ||
	    !cJSON_IsString(m) || m->valuestring[0] == '\0' ||
	    get_int(cJSON_GetArrayItem(pair, 5), 0, &flag) == -1 || flag > 1)
		return -1;
	it = inv_set_touch(set, p->valuestring, m->valuestring, 0, &is_new);
	if (!is_new)
		return bad(w, "repeats an earlier pair");
	it->unapproved = flag == 1;
	return parse_counts(pair, 2, it);
}

static int
parse_pairs(const cJSON *arr, struct inv_set *set, const char *where,
    struct why *w)
{
	const cJSON *pair;
	int i = 0;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return bad(w, "%s: \"pairs\" is not an array", where);
	cJSON_ArrayForEach(pair, arr) {
		if (parse_pair(pair, set, w) == -1)
			return bad(w, "%s: pairs[%d] is not [principal, model, "
			    "first, last, calls, 0 or 1] or repeats one",
			    where, i);
		i++;
	}
	return 0;
}

static int
check_keys(const cJSON *obj, const char *const *allowed, const char *where,
    struct why *w)
{
	const char *key = json_unknown_key(obj, allowed);
	char name[64];

	if (key != NULL)
		return bad(w, "%s: unknown key \"%s\"", where,
		    log_clean(name, sizeof(name), key));
	return 0;
}

static int
parse_account(const cJSON *obj, struct inv_account *a, const char *where,
    struct why *w)
{
	static const char *const keys[] = { "models", "principals",
		"regions", "pairs", NULL };

	if (!cJSON_IsObject(obj))
		return bad(w, "%s is not an object", where);
	if (check_keys(obj, keys, where, w) == -1 ||
	    parse_set(cJSON_GetObjectItemCaseSensitive(obj, "models"),
	    &a->models, where, "model", w) == -1 ||
	    parse_set(cJSON_GetObjectItemCaseSensitive(obj, "principals"),
	    &a->principals, where, "principal", w) == -1 ||
	    parse_set(cJSON_GetObjectItemCaseSensitive(obj, "regions"),
	    &a->regions, where, "region", w) == -1)
		return -1;
	return parse_pairs(cJSON_GetObjectItemCaseSensitive(obj, "pairs"),
	    &a->pairs, where, w);
}

static int
parse_accounts(const cJSON *obj, struct inventory *inv, struct why *w)
{
	const cJSON *item;
	char name[64], where[96];
	size_t n;

	if (obj == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return bad(w, "inventory: \"accounts\" is not an object");
	cJSON_ArrayForEach(item, obj) {
		snprintf(where, sizeof(where), "inventory: account \"%s\"",
		    log_clean(name, sizeof(name), item->string));
		if (item->string[0] == '\0')
			return bad(w, "inventory: an account has an empty id");
		n = inv->naccounts;
		if (inventory_account(inv, item->string) != &inv->accounts[n])
			return bad(w, "%s appears twice", where);
		if (parse_account(item, &inv->accounts[n], where, w) == -1)
			return -1;
	}
	return 0;
}

static int
parse_units(const cJSON *arr, struct inventory *inv, struct why *w)
{
	const cJSON *u;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return bad(w, "inventory: \"units\" is not an array");
	cJSON_ArrayForEach(u, arr)
		if (!cJSON_IsString(u) || u->valuestring[0] == '\0' ||
		    !strset_add(&inv->units, u->valuestring, 0))
			return bad(w, "inventory: \"units\" holds a repeated, "
			    "empty or non-string entry");
	return 0;
}

int
inventory_parse(const cJSON *obj, struct inventory *inv, char *why,
    size_t whysize)
{
	static const char *const keys[] = { "units", "accounts", NULL };
	struct why w = { why, whysize };

	if (!cJSON_IsObject(obj))
		return bad(&w, "\"inventory\" is not an object");
	if (check_keys(obj, keys, "inventory", &w) == -1 ||
	    parse_units(cJSON_GetObjectItemCaseSensitive(obj, "units"), inv,
	    &w) == -1)
		return -1;
	return parse_accounts(cJSON_GetObjectItemCaseSensitive(obj,
	    "accounts"), inv, &w);
}

static void
add(cJSON *arr, cJSON *item)
{
	if (!cJSON_AddItemToArray(arr, json_must(item)))
		json_must(NULL);
}

/* Exact digits, not cJSON's "1e+15" for a double. */
static void
add_counts(cJSON *arr, const struct inv_item *it)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)it->first);
	add(arr, cJSON_CreateRaw(buf));
	snprintf(buf, sizeof(buf), "%lld", (long long)it->last);
	add(arr, cJSON_CreateRaw(buf));
	snprintf(buf, sizeof(buf), "%llu", it->calls);
	add(arr, cJSON_CreateRaw(buf));
}

static void
format_set(cJSON *obj, const char *key, const struct inv_set *set)
{
	cJSON *o = json_must(cJSON_AddObjectToObject(obj, key));

	for (size_t i = 0; i < set->n; i++)
		add_counts(json_must(cJSON_AddArrayToObject(o,
		    set->items[i].name)), &set->items[i]);
}

static void
format_pairs(cJSON *obj, const struct inv_set *set)
{
	cJSON *arr = json_must(cJSON_AddArrayToObject(obj, "pairs")), *pair;

	for (size_t i = 0; i < set->n; i++) {
		const struct inv_item *it = &set->items[i];

		pair = json_must(cJSON_CreateArray());
		add(pair, cJSON_CreateString(it->name));
		add(pair, cJSON_CreateString(it->model));
		add_counts(pair, it);
		add(pair, cJSON_CreateRaw(it->unapproved ? "1" : "0"));
		add(arr, pair);
	}
}

static void
format_unit(const char *key, time_t t, void *arg)
{
	(void)t;
	add(arg, cJSON_CreateString(key));
}

void
inventory_format(cJSON *obj, const char *name, const struct inventory *inv)
{
	cJSON *o = json_must(cJSON_AddObjectToObject(obj, name));
	cJSON *accounts;

	strset_each(&inv->units, format_unit,
	    json_must(cJSON_AddArrayToObject(o, "units")));
	accounts = json_must(cJSON_AddObjectToObject(o, "accounts"));
	for (size_t i = 0; i < inv->naccounts; i++) {
		const struct inv_account *a = &inv->accounts[i];
		cJSON *ao = json_must(cJSON_AddObjectToObject(accounts, a->id));

		format_set(ao, "models", &a->models);
		format_set(ao, "principals", &a->principals);
		format_set(ao, "regions", &a->regions);
		format_pairs(ao, &a->pairs);
	}
}
