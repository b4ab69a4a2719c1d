/* The spool: oldest first, each event once, across on-disk runs. */
#include <stdlib.h>
#include <string.h>

#include "spool.h"
#include "t.h"
#include "util.h"

struct seen {
	time_t last_t;
	char last_id[64];
	size_t n;
	int out_of_order;
	int line_mismatch;
};

static int
check(time_t t, const char *id, const char *line, size_t len, void *arg)
{
	struct seen *s = arg;
	char want[200];

	if (s->n > 0 && (t < s->last_t || (t == s->last_t &&
	    strcmp(id, s->last_id) <= 0)))
		s->out_of_order++;
	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"pad\":\"%0100d\"}", id,
	    0);
	if (len != strlen(want) || memcmp(line, want, len) != 0)
		s->line_mismatch++;
	s->last_t = t;
	snprintf(s->last_id, sizeof(s->last_id), "%s", id);
	s->n++;
	return 0;
}

static void
add_events(struct spool *sp, int n, unsigned seed)
{
	srand(seed);
	for (int i = 0; i < n; i++) {
		char id[32], line[160];
		/* Few distinct times, so that ties are ordered by id. */
		time_t t = 1764000000 + rand() % 5000;

		snprintf(id, sizeof(id), "ev-%07d", i);
		snprintf(line, sizeof(line),
		    "{\"id\":\"%s\",\"pad\":\"%0100d\"}", id, 0);
		T_EQ_INT(spool_add(sp, t, id, line,
		    strlen(line)), 0);
	}
}

static void
test_small_spool_in_memory(void)
{
	struct spool *sp = spool_new();
	struct seen s = { 0 };

	add_events(sp, 1000, 1);
	T_EQ_INT(spool_drain(sp, check, &s), 0);
	T_EQ_INT(s.n, 1000);
	T_EQ_INT(s.out_of_order, 0);
	T_EQ_INT(s.line_mismatch, 0);
	spool_free(sp);
}

static void
test_large_spool_merges_runs_from_disk(void)
{
	struct spool *sp = spool_new();
	struct seen s = { 0 };

	/* About 15 MiB: several 4 MiB runs. */
	add_events(sp, 100000, 2);
	T_EQ_INT(spool_count(sp), 100000);
	T_EQ_INT(spool_drain(sp, check, &s), 0);
	T_EQ_INT(s.n, 100000);
	T_EQ_INT(s.out_of_order, 0);
	T_EQ_INT(s.line_mismatch, 0);
	spool_free(sp);
}

static int
count(time_t t, const char *id, const char *line, size_t len, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static void
test_the_same_event_twice_comes_out_once(void)
{
	struct spool *sp = spool_new();
	const char *line = "{\"id\":\"a\"}";
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		spool_add(sp, 100, "a", line, strlen(line));
	spool_add(sp, 100, "b", line, strlen(line));
	spool_add(sp, 99, "a2", line, strlen(line));
	T_EQ_INT(spool_drain(sp, count, &n), 0);
	T_EQ_INT(n, 3);
	spool_free(sp);
}

static int
stop_after_two(time_t t, const char *id, const char *line, size_t len,
    void *arg)
{
	return ++*(size_t *)arg == 2 ? -1 : 0;
}

static void
test_callback_can_stop_the_drain(void)
{
	struct spool *sp = spool_new();
	size_t n = 0;

	add_events(sp, 10, 3);
	T_EQ_INT(spool_drain(sp, stop_after_two, &n), -1);
	T_EQ_INT(n, 2);
	spool_free(sp);
}

int
main(void)
{
	T_RUN(test_small_spool_in_memory);
	T_RUN(test_large_spool_merges_runs_from_disk);
	T_RUN(test_the_same_event_twice_comes_out_once);
	T_RUN(test_callback_can_stop_the_drain);
	return T_DONE();
}
