/*
 * The discoveries file, under the exactly-once protocol of output.h: the
 * pending append in the state also holds the discovery lines, their file
 * and offset. Records go first, then discoveries; so after a kill,
 * records in full mean the discoveries are completed from the state, and
 * records not in full mean a partial discoveries tail is cut off (the
 * batch is fetched and discovered again).
 *
 * Functions return 0 or a sysexits(3) code after reporting.
 */
#ifndef DISC_OUTPUT_H
#define DISC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct output;

struct disc_pending {
	bool active;
	char *output;
	unsigned long long dev, ino;
	long long offset;
	char *lines;		/* whole lines, each with its newline */
};

/* From the pending append's "discoveries"; -1 with the reason in why. */
int disc_pending_parse(const struct cJSON *, struct disc_pending *,
    char *why, size_t whysize);
/* Adds "discoveries" to the pending append's object. */
void disc_pending_format(struct cJSON *obj, const struct disc_pending *);
void disc_pending_clear(struct disc_pending *);

/* Writes len bytes to o; a file is fsynced before this returns. */
int disc_output_write(struct output *o, const char *lines, size_t len);

/*
 * Settles the discoveries of an interrupted append: applied (the records
 * are in) completes them, otherwise a partial tail is cut off.
 */
int disc_output_recover(const struct disc_pending *, bool applied);

#endif
