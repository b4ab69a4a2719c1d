/*
 * Writing records: a region's batch is first rendered into a temporary
 * file (its length and SHA-256 known before a byte reaches the output),
 * then appended whole.
 *
 * Exactly once to a file: poll records in the state what it is about to
 * append and where (struct pending_append), appends and fsyncs, then
 * commits the state. After a kill, output_recover looks at the file: the
 * whole batch is there (same file, same bytes at that offset) and the
 * state is rolled forward; or it is partly there and the file is cut back
 * to the offset, and the batch is fetched again. To stdout there is no
 * going back: a record is repeated only when a run dies while writing.
 *
 * Functions return 0 or a sysexits(3) code after reporting.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdbool.h>

#include "state.h"

/*
 * Start from BATCH_INIT (fd -1, nothing allocated): batch_free is then
 * safe whether or not batch_begin ran or succeeded.
 */
struct batch {
	int fd;		/* the temporary file; -1 when none */
	long long length;
	char sha256[65];
	void *md;		/* the running digest */
	char *buf;		/* lines not yet written to fd */
	size_t buflen;
};

#define BATCH_INIT { .fd = -1 }

int batch_begin(struct batch *);
int batch_add(struct batch *, const char *line, size_t len);
int batch_end(struct batch *);
void batch_free(struct batch *);

struct output {
	char *path;		/* NULL for stdout */
	int fd;
	unsigned long long dev, ino;
};

/* "-" is stdout; a file is opened for appending, created 0600. */
int output_open(const char *path, struct output *);
/* The file's size now, where the next batch will start (0 for stdout). */
int output_offset(const struct output *, long long *offset);
/* Appends the whole batch; a file is fsynced before this returns. */
int output_append(struct output *, const struct batch *);
/* Cuts the file back to offset (and syncs) after a failed append. */
int output_rollback(struct output *, long long offset);
void output_close(struct output *);

/*
 * Settles an append that a killed poll left pending: *applied is true when
 * the whole batch is in the file (roll the state forward), false when it
 * is not (a partial batch is cut off; the events will be fetched again).
 */
int output_recover(const struct pending_append *, bool *applied);

#endif
