/*
 * report: read records from the files given (gzip or not; "-" for
 * standard input), else from standard input when it is a pipe, else from
 * the configured output and its rotations; count them per model and per
 * principal, and print the figures as a table, JSON or CSV.
 *
 * Exit status: 0; 64 for a bad --since/--until; 66 when a file cannot be
 * opened (the others are still read and the report printed); 74 on a read
 * error; 65 when malformed lines were skipped.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "gzfile.h"
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
	int rc = 0;

	if (strcmp(path, "-") == 0)
		return reportagg_read(ra, stdin, "(stdin)") == 0 ? 0 : EX_IOERR;
	/* Rotated files may be compressed: read them as zcat -f would. */
	if ((f = gzfile_open(path)) == NULL) {
		log_error("%s: cannot open: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	if (reportagg_read(ra, f, path) == -1)
		rc = EX_IOERR;
	if (fclose(f) != 0 && rc == 0) {
		log_error("%s: cannot read: %s", path, strerror(errno));
		rc = EX_IOERR;
	}
	return rc;
}

/*
 * No FILE and a person at the terminal: the records poll writes, with
 * their rotations, oldest first, rather than wait for input that will not
 * come. A pipe on stdin is read as before.
 */
static int
report_default_input(struct reportagg *ra, const struct config *cfg,
    bool *nothing)
{
	struct strlist files = { 0 };
	int status = 0, rc;

	*nothing = false;
	if (!isatty(STDIN_FILENO))
		return report_file(ra, "-");
	*nothing = true;
	if (strcmp(cfg->output, "-") == 0) {
		log_error("usage error: no FILE given and no output file "
		    "configured: name a file, set 'output' in %s, or pipe "
		    "records in", config_describe(cfg));
		return EX_USAGE;
	}
	if (gzfile_rotations(cfg->output, &files) == 0) {
		log_error("%s: cannot open: %s", cfg->output, strerror(ENOENT));
		return EX_NOINPUT;
	}
	*nothing = false;
	for (size_t i = 0; i < files.n; i++) {
		log_verbose("reading %s", files.v[i]);
		if ((rc = report_file(ra, files.v[i])) != 0 && status == 0)
			status = rc;
	}
	strlist_free(&files);
	return status;
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
	bool nothing = false;
	int status, rc;

	if (cli->inventory)
		return report_inventory(cli, cfg);
	if ((status = report_window(cli, &since, &until)) != 0)
		return status;
	ra = reportagg_new(since, until);
	reportagg_policy(ra, &cfg->models_allowed, &cfg->models_denied);
	if (cli->by_account)
		reportagg_by_account(ra);
	if (cli->nargs == 0 &&
	    ((status = report_default_input(ra, cfg, &nothing)), nothing)) {
		reportagg_free(ra);
		return status;
	}
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
