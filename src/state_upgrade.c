/*
 * The upgrade of a version 1 state file, written by releases that polled
 * one account: its regions become the credentials' own account's.
 */
#include <errno.h>
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
