/*
 * The poll state: per region, the cursor and the ids of events already
 * emitted inside the overlap; and the one append that may be under way
 * (the exactly-once protocol of output.c). A JSON file, versioned,
 * replaced atomically, mode 0600, guarded by a lock file.
 *
 * File: {"version":2,"accounts":{"123456789012":{"regions":{"us-east-1":
 *   {"cursor":"2026-11-24T07:00:00Z","seen":[["EVENTID",1764000000],...]}}}},
 *   "pending":{"account":"123456789012","region":"us-east-1",
 *   "output":"/var/log/x.jsonl","dev":N,"ino":N,"offset":N,"length":N,
 *   "sha256":"HEX","cursor":"...","seen":[...],"inventory":{...},
 *   "discoveries":{"output":"/var/log/d.jsonl","dev":N,"ino":N,"offset":N,
 *   "lines":"..."}},
 *   "inventory":{...}}     ("pending" only while an append is under way;
 *   the inventory's format is in inventory.h). Version 1, written by
 *   releases that polled one account, has "regions" at the top and no
 *   account: it is read, and state_adopt gives its regions an account.
 *
 * Functions return 0 or a sysexits(3) code after reporting it.
 */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "disc_output.h"
#include "inventory.h"
#include "strset.h"

/*
 * Version 2 keys the cursors by account, then region; a version 1 file
 * (one account, regions at the top) is read and upgraded by state_adopt.
 */
#define STATE_VERSION	2

struct region_state {
	char *account;		/* NULL: from a version 1 file, not adopted */
	char *region;
	bool has_cursor;
	time_t cursor;
	struct strset seen;	/* event id -> eventTime */
};

/* What is about to be appended to a file, and the region state after it. */
struct pending_append {
	bool active;
	char *output;
	unsigned long long dev, ino;
	long long offset, length;
	char sha256[65];
	struct region_state after;	/* region, cursor, seen */
	bool has_inventory;
	struct inventory inventory;	/* the inventory after it */
	struct disc_pending disc;	/* the discoveries after it */
};

struct state {
	int version;		/* of the file read; 0 when there was none */
	struct region_state *regions;
	size_t nregions;
	struct pending_append pending;
	struct inventory inventory;	/* inventory.h */
};

/*
 * Loads path into st. A missing file is an empty state. Anything else
 * that is not a valid state file (bad JSON, wrong types, unknown version,
 * bad times) is EX_DATAERR with a message naming the file; the file is
 * never changed or reset.
 */
int state_load(const char *path, struct state *st);

/*
 * Replaces path atomically: temp file in the same directory (mode 0600),
 * write, fsync, rename, fsync of the directory. Creates the directory
 * (0700) if missing. EX_CANTCREAT or EX_IOERR on failure.
 */
int state_save(const char *path, const struct state *st);

/* The unit's entry (account, region), added if missing. */
struct region_state *state_region(struct state *st, const char *account,
    const char *region);
/* The unit's entry, or NULL. */
struct region_state *state_find(const struct state *st, const char *account,
    const char *region);

/*
 * Gives every entry of a version 1 file (and its pending append) to
 * account, the credentials' own, and keeps the old file as PATH.v1 (a
 * hard link, made once); the next state_save writes version 2. Returns
 * 0 or EX_CANTCREAT.
 */
int state_adopt(const char *path, struct state *st, const char *account);

/*
 * The key of the credentials' own account while STS cannot say which it
 * is (one account polled, GetCallerIdentity unreachable): the cursors are
 * kept under it, and state_rename_account gives them their id later.
 */
#define STATE_SELF	"self"

/* The one account a version 2 state holds entries of, else NULL. */
const char *state_only_account(const struct state *st);

/*
 * Gives from's entries (and a pending append of from) to account to;
 * where to already has the region, the later cursor wins.
 */
void state_rename_account(struct state *st, const char *from, const char *to);

/* Replaces dst's cursor and seen set with src's (src is emptied). */
void state_region_move(struct region_state *dst, struct region_state *src);

void state_region_free(struct region_state *);
void state_free(struct state *);

/*
 * Takes the lock "PATH.lock" (created 0600) without waiting; the lock is
 * held until the process exits or closes *fd. A held lock is EX_TEMPFAIL
 * with a message naming the holder's pid.
 */
int state_lock(const char *path, int *fd);

#endif
