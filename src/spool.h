/*
 * A region's records between fetching and writing: kept on disk, sorted
 * by (eventTime, eventID) with an external merge sort, so that memory does
 * not grow with the number of events. Duplicates (the same event on two
 * pages) come out once.
 *
 * Functions return 0, or -1 after reporting an I/O error.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <time.h>

struct spool;

struct spool *spool_new(void);
int spool_add(struct spool *, time_t event_time, const char *event_id,
    const char *line, size_t len);
size_t spool_count(const struct spool *);

/*
 * Calls fn for each record, oldest first, each event id once. fn returns
 * 0 to go on, -1 to stop (spool_drain then returns -1).
 */
int spool_drain(struct spool *,
    int (*fn)(time_t event_time, const char *event_id, const char *line,
	size_t len, void *arg), void *arg);

void spool_free(struct spool *);

#endif
