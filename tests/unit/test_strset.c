/* strset.c: the set of event ids, NextTokens and summary keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"
#include "t.h"

#define MANY 20000

static void
test_empty_set_has_nothing(void)
{
	struct strset set = { 0 };

	T_ASSERT(!strset_has(&set, "x"));
	T_ASSERT(!strset_has(&set, ""));
	T_EQ_INT(set.count, 0);
	strset_free(&set);
	T_ASSERT(set.slots == NULL);
}

static void
test_add_then_has(void)
{
	struct strset set = { 0 };

	T_ASSERT(strset_add(&set, "event-1", 100));
	T_ASSERT(strset_add(&set, "event-2", 200));
	T_ASSERT(strset_has(&set, "event-1"));
	T_ASSERT(strset_has(&set, "event-2"));
	T_ASSERT(!strset_has(&set, "event-3"));
	T_ASSERT(!strset_has(&set, "event-"));
	T_ASSERT(!strset_has(&set, "EVENT-1"));
	T_EQ_INT(set.count, 2);
	strset_free(&set);
}

static void
test_key_is_copied(void)
{
	struct strset set = { 0 };
	char key[] = "mutable";

	strset_add(&set, key, 1);
	key[0] = 'M';
	T_ASSERT(strset_has(&set, "mutable"));
	T_ASSERT(!strset_has(&set, "Mutable"));
	strset_free(&set);
}

static void
keep_time(const char *key, time_t time, void *arg)
{
	if (strcmp(key, "dup") == 0)
		*(time_t *)arg = time;
}

/* A duplicate is refused and the first time stays. */
static void
test_duplicate_is_refused(void)
{
	struct strset set = { 0 };
	time_t t = 0;

	T_ASSERT(strset_add(&set, "dup", 10));
	T_ASSERT(!strset_add(&set, "dup", 20));
	T_EQ_INT(set.count, 1);
	strset_each(&set, keep_time, &t);
	T_EQ_INT(t, 10);
	T_ASSERT(strset_add(&set, "", 30));
	T_ASSERT(!strset_add(&set, "", 40));
	T_EQ_INT(set.count, 2);
	strset_free(&set);
}

static void
test_grows_past_thousands(void)
{
	struct strset set = { 0 };
	char key[32];
	int missing = 0, wrong = 0;

	for (int i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "id-%d", i);
		if (!strset_add(&set, key, i))
			wrong++;
	}
	T_EQ_INT(wrong, 0);
	T_EQ_INT(set.count, MANY);
	/* The table keeps free slots, or a miss would never end. */
	T_ASSERT(set.nslots > set.count);
	T_ASSERT((set.nslots & (set.nslots - 1)) == 0);
	for (int i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "id-%d", i);
		if (!strset_has(&set, key))
			missing++;
		if (strset_add(&set, key, 0))
			wrong++;
	}
	T_EQ_INT(missing, 0);
	T_EQ_INT(wrong, 0);
	T_EQ_INT(set.count, MANY);
	T_ASSERT(!strset_has(&set, "id-20000"));
	T_ASSERT(!strset_has(&set, "id--1"));
	strset_free(&set);
	T_EQ_INT(set.count, 0);
	T_EQ_INT(set.nslots, 0);
}

struct visit {
	int calls;
	unsigned char seen[MANY];
	int bad;
};

static void
visit(const char *key, time_t time, void *arg)
{
	struct visit *v = arg;
	int i;

	v->calls++;
	if (sscanf(key, "k%d", &i) != 1 || i < 0 || i >= MANY ||
	    time != (time_t)i * 3)
		v->bad++;
	else
		v->seen[i]++;
}

/* each visits every member once, with its own time. */
static void
test_each_visits_every_member_once(void)
{
	struct strset set = { 0 };
	static struct visit v;
	char key[32];
	int n = 5000, once = 0;

	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		strset_add(&set, key, (time_t)i * 3);
	}
	strset_each(&set, visit, &v);
	T_EQ_INT(v.calls, n);
	T_EQ_INT(v.bad, 0);
	for (int i = 0; i < n; i++)
		once += v.seen[i] == 1;
	T_EQ_INT(once, n);
	strset_free(&set);

	memset(&v, 0, sizeof(v));
	strset_each(&set, visit, &v);
	T_EQ_INT(v.calls, 0);
}

/* A freed set is empty and usable again. */
static void
test_reuse_after_free(void)
{
	struct strset set = { 0 };

	strset_add(&set, "a", 1);
	strset_free(&set);
	T_ASSERT(!strset_has(&set, "a"));
	T_ASSERT(strset_add(&set, "a", 2));
	T_EQ_INT(set.count, 1);
	strset_free(&set);
	strset_free(&set);
}

static int values_freed;

static void
count_free(void *v)
{
	values_freed += *(int *)v;
}

/* Values: zeroed when new, the same one after, kept as the set grows. */
static void
test_values_survive_growth_and_are_freed(void)
{
	struct strset s = { 0 };
	char key[32];
	int *v;

	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		v = strset_value(&s, key, sizeof(int));
		T_EQ_INT(*v, 0);
		*v = 1;
	}
	*(int *)strset_value(&s, "k7", sizeof(int)) += 1;
	T_EQ_INT(*(int *)strset_find(&s, "k7")->value, 2);
	T_EQ_INT(s.count, 1000);
	values_freed = 0;
	strset_free_values(&s, count_free);
	T_EQ_INT(values_freed, 1001);
	T_EQ_INT(s.count, 0);
}

int
main(void)
{
	T_RUN(test_empty_set_has_nothing);
	T_RUN(test_add_then_has);
	T_RUN(test_key_is_copied);
	T_RUN(test_duplicate_is_refused);
	T_RUN(test_grows_past_thousands);
	T_RUN(test_each_visits_every_member_once);
	T_RUN(test_reuse_after_free);
	T_RUN(test_values_survive_growth_and_are_freed);
	return T_DONE();
}
