/*
 * report: read records from the files given (standard input by default,
 * "-" for it among files), count them per model and per principal, and
 * print the figures as a table, JSON or CSV.
 *
 * Exit status: 0; 64 for a bad --since/--until; 66 when a file cannot be
 * opened (the others are still read and the report printed); 74 on a read
 * error; 65 when malformed lines were skipped.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "inventory_report.h"
#include "log.h"
#include "reportagg.h"
#include "reportfmt.h"
#include "state.h"

/* The window [since, until) from --since/--until; open where not given. */
static int
report_window(const struct cli *cli, time_t *since, time_t *until)
{
	time_t now = time(NULL);

	*since = 0;
	*until = (time_t)LLONG_MAX;
	if ((cli->since != NULL &&
	    time_parse_arg(cli->since, now, since) == -1) ||
	    (cli->until != NULL &&
	    time_parse_arg(cli->until, now, until) == -1)) {
		log_error("usage error: TIME must be ISO 8601 UTC "
		    "(2026-11-24T07:00:00Z) or an age (90m, 24h, 7d)");
		return EX_USAGE;
	}
	if (*since >= *until) {
		log_error("usage error: --since must be before --until");
		return EX_USAGE;
	}
	return 0;
}

/* One operand into ra; returns 0 or the exit status it calls for. */
static int
report_file(struct reportagg *ra, const char *path)
{
	FILE *f;
	struct stat st;
	int rc = 0;

	if (strcmp(path, "-") == 0)
		return reportagg_read(ra, stdin, "(stdin)") == 0 ? 0 : EX_IOERR;
	if ((f = fopen(path, "r")) == NULL) {
		log_error("%s: cannot open: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	/* A directory opens but does not read: say so the same way. */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("%s: cannot open: %s", path, strerror(EISDIR));
		rc = EX_NOINPUT;
	} else if (reportagg_read(ra, f, path) == -1)
		rc = EX_IOERR;
	fclose(f);
	return rc;
}

static void
report_print(const struct cli *cli, const struct reportagg_result *r)
{
	enum report_format fmt = cli->format;

	if (fmt == FORMAT_DEFAULT)
		fmt = isatty(STDOUT_FILENO) ? FORMAT_TABLE : FORMAT_JSON;
	if (fmt == FORMAT_TABLE)
		reportfmt_table(stdout, r);
	else if (fmt == FORMAT_CSV)
		reportfmt_csv(stdout, r);
	else
		reportfmt_json(stdout, r);
}

/* --inventory: the state's inventory, read without the lock (the file
 * is only ever replaced whole). */
static int
report_inventory(const struct cli *cli, const struct config *cfg)
{
	static const enum inventory_format fmts[] = {
		[FORMAT_TABLE] = INVENTORY_TABLE, [FORMAT_JSON] = INVENTORY_JSON,
		[FORMAT_CSV] = INVENTORY_CSV };
	enum report_format fmt = cli->format;
	struct state st;
	int rc;

	if (cli->nargs > 0 || cli->since != NULL || cli->until != NULL) {
		log_error("usage error: --inventory reads the state file: no "
		    "FILE, --since or --until");
		return EX_USAGE;
	}
	if ((rc = state_load(cfg->state_file, &st)) != 0)
		return rc;
	if (fmt == FORMAT_DEFAULT)
		fmt = isatty(STDOUT_FILENO) ? FORMAT_TABLE : FORMAT_JSON;
	inventory_report(stdout, &st.inventory, cfg, fmts[fmt]);
	state_free(&st);
	return 0;
}

int
cmd_report(struct cli *cli, struct config *cfg)
{
	struct reportagg *ra = NULL;
	const struct reportagg_result *r;
	time_t since, until;
	int status, rc;

	if (cli->inventory)
		return report_inventory(cli, cfg);
	if ((status = report_window(cli, &since, &until)) != 0)
		return status;
	ra = reportagg_new(since, until);
	reportagg_policy(ra, &cfg->models_allowed, &cfg->models_denied);
	if (cli->nargs == 0)
		status = report_file(ra, "-");
	/* Every file is read even after a failure: the report covers the rest. */
	for (int i = 0; i < cli->nargs; i++)
		if ((rc = report_file(ra, cli->args[i])) != 0 && status == 0)
			status = rc;
	r = reportagg_result(ra);
	report_print(cli, r);
	if (r->malformed > 0) {
		log_error("%llu malformed line%s skipped", r->malformed,
		    r->malformed == 1 ? "" : "s");
		if (status == 0)
			status = EX_DATAERR;
	}
	reportagg_free(ra);
	return status;
}
