/*
 * The window a poll asks LookupEvents for, computed in one place: poll
 * fetches it, status shows the next one. Pure functions of their inputs.
 */
#ifndef WINDOW_H
#define WINDOW_H

#include <time.h>

#include "state.h"

/*
 * Where rs's next window starts: its cursor less overlap, or now less
 * lookback when rs (which may be NULL) has no cursor. Not yet clamped.
 */
time_t window_start(const struct region_state *rs, long overlap,
    long lookback, time_t now);

/*
 * start, or the oldest time LookupEvents answers for at now (90 days,
 * less a minute of margin), whichever is later.
 */
time_t window_clamp(time_t start, time_t now);

#endif
