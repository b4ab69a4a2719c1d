/* window.c: the one computation of a poll's window, which status shows. */
#include "t.h"
#include "window.h"

#define NOW 1795503600L		/* 2026-11-24T07:00:00Z */
#define DAY 86400L

static void
test_from_the_cursor_less_the_overlap(void)
{
	struct region_state rs = { .has_cursor = true, .cursor = NOW - 3600 };

	T_EQ_INT(window_start(&rs, 900, DAY, NOW), NOW - 3600 - 900);
}

static void
test_first_poll_looks_back(void)
{
	struct region_state rs = { 0 };

	T_EQ_INT(window_start(&rs, 900, DAY, NOW), NOW - DAY);
	T_EQ_INT(window_start(NULL, 900, 7 * DAY, NOW), NOW - 7 * DAY);
}

static void
test_never_older_than_90_days_less_a_minute(void)
{
	T_EQ_INT(window_clamp(NOW - 100 * DAY, NOW), NOW - 90 * DAY + 60);
	T_EQ_INT(window_clamp(NOW - 90 * DAY + 60, NOW), NOW - 90 * DAY + 60);
	T_EQ_INT(window_clamp(NOW - DAY, NOW), NOW - DAY);
}

int
main(void)
{
	T_RUN(test_from_the_cursor_less_the_overlap);
	T_RUN(test_first_poll_looks_back);
	T_RUN(test_never_older_than_90_days_less_a_minute);
	return T_DONE();
}
