#include "window.h"

/* LookupEvents answers for the last 90 days; keep a minute of margin. */
#define WINDOW_MAX_AGE (90L * 86400 - 60)

time_t
window_start(const struct region_state *rs, long overlap, long lookback,
    time_t now)
{
	if (rs != NULL && rs->has_cursor)
		return rs->cursor - overlap;
	return now - lookback;
}

time_t
window_clamp(time_t start, time_t now)
{
	time_t oldest = now - WINDOW_MAX_AGE;

	return start < oldest ? oldest : start;
}
