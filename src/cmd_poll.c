/*
 * poll: for each unit (account x region, SPEC sections 3 and 7), on a
 * bounded pool of threads, fetch the window since the unit's cursor; then,
 * one unit at a time, write its records oldest first and advance its
 * cursor. A unit that fails writes nothing and keeps its cursor; the
 * others go on; the exit status is the worst unit's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "credentials.h"
#include "discoveries.h"
#include "fetch.h"
#include "log.h"
#include "output.h"
#include "policy.h"
#include "regions.h"
#include "state.h"
#include "units.h"
#include "util.h"
#include "window.h"

struct poll {
	struct config *cfg;
	struct credentials creds;
	struct state state;
	bool use_state;		/* false for a --since/--until window */
	bool progress;		/* the progress line is on the terminal */
	int lock_fd;
	struct output out;
	bool discover;		/* discoveries_output is open as dout */
	struct output dout;
	struct units units;
	pthread_mutex_t commit;	/* the outputs and the state: one batch */
	atomic_size_t done;	/* units finished, for the progress line */
	atomic_ulong pages, events;
	time_t now;
	double started;		/* monotonic: max_run_time counts from here */
	time_t since, until;	/* the one-off window */
};

/*
 * The region's window: from the cursor less the overlap (or the first-poll
 * lookback), or the one-off window; never older than CloudTrail keeps.
 */
static void
unit_window(const struct poll *p, const struct region_state *rs,
    const char *label, struct fetch_job *job)
{
	time_t oldest;
	char a[32], b[32];

	if (!p->use_state) {
		job->start = p->since;
		job->end = p->until;
	} else {
		job->start = window_start(rs, p->cfg->overlap,
		    p->cfg->first_poll_lookback, p->now);
		job->end = p->now;
	}
	if ((oldest = window_clamp(job->start, p->now)) == job->start)
		return;
	log_warn("%s: CloudTrail keeps 90 days of events: the window starts "
	    "at %s instead of %s, and the events between were skipped",
	    label, time_format_iso8601(oldest, a, sizeof(a)),
	    time_format_iso8601(job->start, b, sizeof(b)));
	job->start = oldest;
}

/* A kill during an earlier poll may have left an append half done. */
static int
recover(struct poll *p)
{
	struct pending_append *pa = &p->state.pending;
	bool applied;
	int rc;

	if (!pa->active)
		return 0;
	if ((rc = output_recover(pa, &applied)) != 0)
		return rc;
	if ((rc = disc_output_recover(&pa->disc, applied)) != 0)
		return rc;
	if (applied)
		state_region_move(state_region(&p->state, pa->after.account,
		    pa->after.region), &pa->after);
	if (applied && pa->has_inventory)
		inventory_move(&p->state.inventory, &pa->inventory);
	log_verbose("recovered an interrupted append to %s (%s)", pa->output,
	    applied ? "complete" : "discarded");
	pa->active = false;
	return state_save(p->cfg->state_file, &p->state);
}

/* Every unit's state entry first: adding one may move the others. */
static void
setup_units(struct poll *p)
{
	for (size_t i = 0; p->use_state && i < p->units.n; i++)
		state_region(&p->state, p->units.v[i].account->id,
		    p->units.v[i].region);
}

/* Shows, on a terminal, how far the poll has come. */
static void
show_progress(void *arg)
{
	const struct poll *p = arg;
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "\r\033[K");
	if (arg != NULL) {
		unsigned long pages = atomic_load(&p->pages);
		unsigned long events = atomic_load(&p->events);

		strbuf_addf(&sb, "%zu of %zu units done, %lu %s, %lu %s",
		    atomic_load(&p->done), p->units.n, pages,
		    log_plural(pages, "page", "pages"), events,
		    log_plural(events, "event", "events"));
	}
	(void)!write(STDERR_FILENO, sb.buf, sb.len);
	strbuf_free(&sb);
}

struct drain_ctx {
	struct batch *batch;
	struct strset *keep;
	time_t keep_from;
	struct discoveries *disc;	/* NULL without a state */
};

static int
on_record(time_t t, const char *id, const char *line, size_t len, void *arg)
{
	struct drain_ctx *c = arg;

	if (t >= c->keep_from)
		strset_add(c->keep, id, t);
	/* Our own record lines: one that did not parse counts for nothing. */
	if (c->disc != NULL)
		(void)discoveries_add(c->disc, line, len);
	return batch_add(c->batch, line, len) == 0 ? 0 : -1;
}

static void
keep_recent(const char *id, time_t t, void *arg)
{
	struct drain_ctx *c = arg;

	if (t >= c->keep_from)
		strset_add(c->keep, id, t);
}

/*
 * The region state after this batch: cursor at the window's end, and the
 * ids the next poll's overlap will see again; with a state, also the
 * inventory after it and its discoveries.
 */
static int
render(struct poll *p, const struct unit *u, struct batch *b,
    struct region_state *after, struct discoveries *d)
{
	const struct fetch_job *job = &u->job;
	struct drain_ctx c = { .batch = b, .keep = &after->seen,
		.keep_from = job->end - p->cfg->overlap,
		.disc = p->use_state ? d : NULL };
	int rc;

	/*
	 * An account's first batch in a region is its baseline; the key is
	 * the unit's label, which for one account is the region alone, as
	 * states written before many accounts have it.
	 */
	if (p->use_state)
		discoveries_begin(d, p->cfg, &p->state.inventory, u->label);
	after->region = xstrdup(job->region);
	after->account = NULL;
	after->has_cursor = true;
	after->cursor = job->end;
	if ((rc = batch_begin(b)) != 0)
		return rc;
	if (spool_drain(job->spool, on_record, &c) == -1)
		return EX_IOERR;
	if (job->emitted != NULL)
		strset_each(job->emitted, keep_recent, &c);
	return batch_end(b);
}

static void
pending_clear(struct pending_append *pa)
{
	free(pa->output);
	pa->output = NULL;
	state_region_free(&pa->after);
	inventory_free(&pa->inventory);
	pa->has_inventory = false;
	disc_pending_clear(&pa->disc);
	pa->active = false;
}

/*
 * The batch's discoveries ride its pending append: to a file they are
 * written after the records and completed from the state after a kill;
 * to standard output (records in a file) they go first, so that a kill
 * can repeat them but never lose them.
 */
static int
pending_discoveries(struct poll *p, struct discoveries *d)
{
	struct pending_append *pa = &p->state.pending;
	long long offset;
	int rc;

	pa->has_inventory = true;
	inventory_move(&pa->inventory, &d->after);
	if (!p->discover || d->nlines == 0)
		return 0;
	if (p->dout.path == NULL)
		return disc_output_write(&p->dout, d->lines.buf, d->lines.len);
	if ((rc = output_offset(&p->dout, &offset)) != 0)
		return rc;
	pa->disc = (struct disc_pending){ .active = true,
		.output = xstrdup(p->dout.path), .dev = p->dout.dev,
		.ino = p->dout.ino, .offset = offset,
		.lines = xstrdup(d->lines.buf) };
	return 0;
}

/*
 * A failed append is cut back and forgotten. If a file cannot be cut
 * back, the pending record must stay in the state: the next poll then
 * finds the partial batch and cuts it off, where a forgotten one would be
 * followed by the whole batch again, after half a line.
 */
static int
undo_append(struct poll *p)
{
	struct pending_append *pa = &p->state.pending;
	int rc = output_rollback(&p->out, pa->offset);

	if (pa->disc.active && output_rollback(&p->dout, pa->disc.offset) != 0)
		rc = -1;
	if (rc != 0) {
		log_error("the partial batch stays recorded in %s for the next "
		    "poll to cut off", p->cfg->state_file);
		return -1;
	}
	pending_clear(pa);
	(void)state_save(p->cfg->state_file, &p->state);
	return 0;
}

/* To a file: announce the append in the state, append, then commit. */
static int
append_file(struct poll *p, struct batch *b, struct region_state *after,
    struct region_state *rs, struct discoveries *d)
{
	struct pending_append *pa = &p->state.pending;
	long long offset;
	int rc;

	if ((rc = output_offset(&p->out, &offset)) != 0)
		return rc;
	pending_clear(pa);
	*pa = (struct pending_append){ .active = true,
		.output = xstrdup(p->out.path), .dev = p->out.dev,
		.ino = p->out.ino, .offset = offset, .length = b->length };
	memcpy(pa->sha256, b->sha256, sizeof(pa->sha256));
	state_region_move(&pa->after, after);
	pa->after.account = xstrdup(rs->account);
	pa->after.region = xstrdup(rs->region);
	if ((rc = pending_discoveries(p, d)) != 0 ||
	    (rc = state_save(p->cfg->state_file, &p->state)) != 0)
		goto out;
	if ((rc = output_append(&p->out, b)) != 0 || (pa->disc.active &&
	    (rc = disc_output_write(&p->dout, pa->disc.lines,
	    strlen(pa->disc.lines))) != 0)) {
		if (undo_append(p) == -1)
			return rc;	/* the pending record stays */
		goto out;
	}
	state_region_move(rs, &pa->after);
	inventory_move(&p->state.inventory, &pa->inventory);
	pending_clear(pa);
	rc = state_save(p->cfg->state_file, &p->state);
out:
	pending_clear(pa);
	return rc;
}

static int
write_unit(struct poll *p, struct unit *u, struct discoveries *d)
{
	struct fetch_job *job = &u->job;
	struct batch b = BATCH_INIT;
	struct region_state after = { 0 };
	struct region_state *rs;
	int rc;

	/* A batch that could not be cut back stays the last in the file. */
	if (p->state.pending.active) {
		log_error("region %s: not written: %s ends in a partial batch",
		    job->region, p->out.path);
		return EX_IOERR;
	}
	if ((rc = render(p, u, &b, &after, d)) != 0)
		goto out;
	if (!p->use_state) {
		rc = b.length > 0 ? output_append(&p->out, &b) : 0;
		goto out;
	}
	rs = state_region(&p->state, u->account->id, job->region);
	if (b.length > 0 && p->out.path != NULL) {
		rc = append_file(p, &b, &after, rs, d);
		goto out;
	}
	/* Stdout: written before the state moves, so nothing is ever lost. */
	if ((b.length > 0 && (rc = output_append(&p->out, &b)) != 0) ||
	    (p->discover && d->nlines > 0 &&
	    (rc = disc_output_write(&p->dout, d->lines.buf,
	    d->lines.len)) != 0))
		goto out;
	state_region_move(rs, &after);
	inventory_move(&p->state.inventory, &d->after);
	rc = state_save(p->cfg->state_file, &p->state);
out:
	batch_free(&b);
	state_region_free(&after);
	return rc;
}

/*
 * The figures agree with -v's page lines: every event on a page is
 * counted as fetched, then as written, already written or filtered out.
 */
static void
summarise(const struct poll *p, const struct unit *u,
    const struct discoveries *d)
{
	const struct fetch_job *job = &u->job;
	struct log_figures f = { .pages = atomic_load(&job->pages),
		.fetched = job->fetched, .written = spool_count(job->spool),
		.already = job->skipped, .models = job->models.count,
		.principals = job->principals.count, .seconds = job->seconds };
	char a[32], b[32], filtered[64] = "", more[96] = "";

	f.filtered = f.fetched - f.written - f.already;
	if (f.filtered > 0)
		snprintf(filtered, sizeof(filtered), ", %lu filtered out",
		    f.filtered);
	if (p->discover)
		snprintf(more, sizeof(more), ", %zu %s", d->nlines,
		    log_plural(d->nlines, "discovery", "discoveries"));
	if (policy_configured(&p->cfg->models_allowed,
	    &p->cfg->models_denied))
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
		    ", %lu %s outside the model policy", d->outside,
		    log_plural(d->outside, "call", "calls"));
	log_summary(&f, "%s%s: %s to %s, %lu %s, %lu %s fetched, %lu written, "
	    "%lu already written%s, %zu %s, %zu %s%s, %.1f s",
	    p->progress ? "\r\033[K" : "", u->label,
	    time_format_iso8601(job->start, a, sizeof(a)),
	    time_format_iso8601(job->end, b, sizeof(b)),
	    f.pages, log_plural(f.pages, "page", "pages"),
	    f.fetched, log_plural(f.fetched, "event", "events"),
	    f.written, f.already, filtered,
	    f.models, log_plural(f.models, "model", "models"),
	    f.principals, log_plural(f.principals, "principal", "principals"),
	    more, f.seconds);
}

static int
parse_window(struct poll *p, const struct cli *cli)
{
	p->use_state = cli->since == NULL && cli->until == NULL;
	if (p->use_state)
		return 0;
	if (cli->since == NULL) {
		log_error("usage error: --until needs --since");
		return EX_USAGE;
	}
	if (time_parse_arg(cli->since, p->now, &p->since) == -1 ||
	    (cli->until != NULL &&
	    time_parse_arg(cli->until, p->now, &p->until) == -1)) {
		log_error("usage error: TIME must be ISO 8601 UTC "
		    "(2026-11-24T07:00:00Z) or an age (90m, 24h, 7d)");
		return EX_USAGE;
	}
	if (cli->until == NULL)
		p->until = p->now;
	if (p->since >= p->until) {
		log_error("usage error: --since must be before --until");
		return EX_USAGE;
	}
	return 0;
}

/*
 * discoveries_output, with a state only: "-" is standard output, which
 * cannot then also carry the records; a file must not be the records'.
 */
static int
open_discoveries(struct poll *p)
{
	const char *path = p->cfg->discoveries_output;
	int rc;

	if (!p->use_state || path == NULL)
		return 0;
	if (strcmp(path, "-") == 0 && p->out.path == NULL) {
		log_error("discoveries_output '-' needs the records in a file: "
		    "set output or -o");
		return EX_CONFIG;
	}
	if ((rc = output_open(path, &p->dout)) != 0)
		return rc;
	p->discover = true;
	if (p->dout.path != NULL && p->out.path != NULL &&
	    p->dout.dev == p->out.dev && p->dout.ino == p->out.ino) {
		log_error("%s: discoveries_output is the records' output "
		    "file: give it a file of its own", path);
		return EX_CONFIG;
	}
	return 0;
}

/* Takes the lock and loads the state. */
static int
open_state(struct poll *p)
{
	int rc;

	if (!p->use_state)
		return 0;
	if ((rc = state_lock(p->cfg->state_file, &p->lock_fd)) != 0)
		return rc;
	if ((rc = state_load(p->cfg->state_file, &p->state)) != 0)
		return rc;
	/*
	 * Prove now, before any request, that the state can be written; a
	 * version 1 file is first written once it has its account.
	 */
	if (p->state.version == 1)
		return 0;
	return state_save(p->cfg->state_file, &p->state);
}

/*
 * The key of the credentials' own account in the state. One account needs
 * no STS: when GetCallerIdentity could not say, the account this state
 * already polls is still the one, and a new state keeps it as "self"
 * until a run that reaches STS gives it its id.
 */
static void
own_account(struct poll *p)
{
	const char *key;

	if (p->units.self != NULL) {
		state_rename_account(&p->state, STATE_SELF, p->units.self);
		return;
	}
	if ((key = state_only_account(&p->state)) == NULL)
		key = STATE_SELF;
	p->units.self = xstrdup(key);
	for (size_t i = 0; i < p->units.naccounts; i++)
		if (p->units.accounts[i].id == NULL)
			p->units.accounts[i].id = xstrdup(key);
}

/*
 * Gives a single-account state file to the credentials' own account,
 * settles an interrupted append, and proves that the state can be
 * written: records on stdout cannot be taken back if the state then
 * failed to move past them.
 */
static int
settle_state(struct poll *p)
{
	bool upgrade = p->state.version == 1;
	int rc;

	if (!p->use_state)
		return 0;
	own_account(p);
	if ((rc = state_adopt(p->cfg->state_file, &p->state,
	    p->units.self)) != 0 || (rc = recover(p)) != 0)
		return rc;
	/* open_state proved the others writable; a version 1 file, now. */
	return upgrade ? state_save(p->cfg->state_file, &p->state) : 0;
}

/* The log lines' fields: the account only when there are several. */
static void
unit_context(const struct poll *p, const struct unit *u)
{
	log_set_context(p->units.many ? u->account->id : NULL, u->region);
}

/* One unit, in a worker thread: fetch, then commit under the lock. */
static void
poll_unit(struct unit *u, void *arg)
{
	struct poll *p = arg;
	const struct credentials *creds;
	struct region_state *rs = NULL;
	struct discoveries d = { 0 };
	struct ct_error err;

	unit_context(p, u);
	if ((creds = units_credentials(p->cfg, &p->creds, u->account,
	    &err)) == NULL) {
		units_fail(u, &err);
		goto out;
	}
	u->job.cfg = p->cfg;
	u->job.creds = creds;
	u->job.region = u->region;
	u->job.account_name = u->account->name;
	u->job.deadline = p->started + (double)p->cfg->max_run_time;
	if (p->use_state) {
		rs = state_find(&p->state, u->account->id, u->region);
		u->job.emitted = &rs->seen;
	}
	unit_window(p, rs, u->label, &u->job);
	fetch_region(&u->job);
	unit_context(p, u);
	atomic_fetch_add(&p->pages, atomic_load(&u->job.pages));
	atomic_fetch_add(&p->events, atomic_load(&u->job.events));
	if (u->job.status != 0) {
		units_fail(u, &u->job.err);
		goto out;
	}
	/* Without its account a unit cannot be committed: say why. */
	if (p->use_state && u->account->id == NULL) {
		units_fail(u, &p->units.self_err);
		goto out;
	}
	pthread_mutex_lock(&p->commit);
	if ((u->status = write_unit(p, u, &d)) == 0)
		summarise(p, u, &d);
	pthread_mutex_unlock(&p->commit);
out:
	discoveries_free(&d);
	log_set_context(NULL, NULL);
	/* A thousand units must not hold a thousand spools open. */
	fetch_job_free(&u->job);
	u->job.spool = NULL;
	atomic_fetch_add(&p->done, 1);
}

static int
poll_units(struct poll *p)
{
	int rc;

	p->progress = isatty(STDERR_FILENO) && log_get_level() != LOG_QUIET;
	setup_units(p);
	pthread_mutex_init(&p->commit, NULL);
	rc = units_run(&p->units, p->cfg->max_concurrency, poll_unit,
	    p->progress ? show_progress : NULL, p);
	if (p->progress)
		show_progress(NULL);
	pthread_mutex_destroy(&p->commit);
	return rc != 0 ? rc : units_report(&p->units);
}

int
cmd_poll(struct cli *cli, struct config *cfg)
{
	struct poll p = { .cfg = cfg, .lock_fd = -1, .now = time(NULL),
		.started = monotonic_now() };
	int rc;

	if ((rc = parse_window(&p, cli)) != 0 ||
	    (rc = open_state(&p)) != 0 ||
	    (rc = credentials_resolve(cfg, &p.creds)) != 0 ||
	    (rc = config_default_regions(cfg, &p.creds.regions)) != 0 ||
	    (rc = output_open(cfg->output, &p.out)) != 0 ||
	    (rc = open_discoveries(&p)) != 0 ||
	    (rc = units_plan(cfg, &p.creds, &p.units)) != 0 ||
	    (rc = settle_state(&p)) != 0)
		goto out;
	rc = poll_units(&p);
out:
	units_free(&p.units);
	output_close(&p.out);
	if (p.discover)
		output_close(&p.dout);
	credentials_clear(&p.creds);
	state_free(&p.state);
	if (p.lock_fd != -1)
		close(p.lock_fd);
	return rc;
}
