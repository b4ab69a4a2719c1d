/*
 * The upgrade of a version 1 state file, written by releases that polled
 * one account: its regions become the credentials' own account's; and
 * the cursors kept under STATE_SELF, while STS could not say whose they
 * were, getting their account's id.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "util.h"

int
state_adopt(const char *path, struct state *st, const char *account)
{
	char *old;
	int rc = 0;

	for (size_t i = 0; i < st->nregions; i++)
		if (st->regions[i].account == NULL)
			st->regions[i].account = xstrdup(account);
	if (st->pending.active && st->pending.after.account == NULL)
		st->pending.after.account = xstrdup(account);
	if (st->version != 1)
		return 0;
	/*
	 * The old file stays beside the new one, once: a hard link made
	 * before the new file is renamed over it. Never replaced later.
	 */
	old = xasprintf("%s.v1", path);
	if (link(path, old) == -1 && errno != EEXIST) {
		log_error("%s: cannot keep the version 1 state file: %s", old,
		    strerror(errno));
		rc = EX_CANTCREAT;
	} else
		log_verbose("%s: upgraded to version %d, cursors kept for "
		    "account %s; the old file is %s", path, STATE_VERSION, account, old);
	free(old);
	if (rc == 0)
		st->version = STATE_VERSION;
	return rc;
}

static bool
is_account(const char *account, const char *id)
{
	return account != NULL && strcmp(account, id) == 0;
}

const char *
state_only_account(const struct state *st)
{
	const char *only = NULL;

	for (size_t i = 0; i < st->nregions; i++) {
		const char *a = st->regions[i].account;

		if (a == NULL || (only != NULL && strcmp(a, only) != 0))
			return NULL;
		only = a;
	}
	return only;
}

void
state_rename_account(struct state *st, const char *from, const char *to)
{
	size_t i = 0;

	while (i < st->nregions) {
		struct region_state *rs = &st->regions[i], *dst;

		if (!is_account(rs->account, from)) {
			i++;
			continue;
		}
		if ((dst = state_find(st, to, rs->region)) == NULL) {
			free(rs->account);
			rs->account = xstrdup(to);
			i++;
			continue;
		}
		if (rs->has_cursor && (!dst->has_cursor ||
		    rs->cursor > dst->cursor))
			state_region_move(dst, rs);
		state_region_free(rs);
		st->regions[i] = st->regions[--st->nregions];
	}
	if (st->pending.active && is_account(st->pending.after.account, from)) {
		free(st->pending.after.account);
		st->pending.after.account = xstrdup(to);
	}
}
