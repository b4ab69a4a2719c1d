/*
 * poll: for each region, concurrently, fetch the window since the cursor;
 * then, region by region, write its records oldest first and advance its
 * cursor (SPEC section 3). A region that fails writes nothing and keeps
 * its cursor; the others go on.
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
#include "util.h"
#include "window.h"

struct poll {
	struct config *cfg;
	struct credentials creds;
	struct state state;
	bool use_state;		/* false for a --since/--until window */
	int lock_fd;
	struct output out;
	bool discover;		/* discoveries_output is open as dout */
	struct output dout;
	struct fetch_job *jobs;
	size_t njobs;
	time_t now;
	double started;		/* monotonic: max_run_time counts from here */
	time_t since, until;	/* the one-off window */
};

/*
 * The region's window: from the cursor less the overlap (or the first-poll
 * lookback), or the one-off window; never older than CloudTrail keeps.
 */
static void
region_window(const struct poll *p, const struct region_state *rs,
    struct fetch_job *job)
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
	    job->region, time_format_iso8601(oldest, a, sizeof(a)),
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
		state_region_move(state_region(&p->state, pa->after.region),
		    &pa->after);
	if (applied && pa->has_inventory)
		inventory_move(&p->state.inventory, &pa->inventory);
	log_verbose("recovered an interrupted append to %s (%s)", pa->output,
	    applied ? "complete" : "discarded");
	pa->active = false;
	return state_save(p->cfg->state_file, &p->state);
}

static void
setup_jobs(struct poll *p)
{
	double deadline = p->started + (double)p->cfg->max_run_time;

	p->njobs = p->cfg->regions.n;
	p->jobs = xcalloc(p->njobs, sizeof(*p->jobs));
	/* Every region's entry first: adding one may move the others. */
	for (size_t i = 0; p->use_state && i < p->njobs; i++)
		state_region(&p->state, p->cfg->regions.v[i]);
	for (size_t i = 0; i < p->njobs; i++) {
		struct fetch_job *job = &p->jobs[i];
		struct region_state *rs = NULL;

		job->cfg = p->cfg;
		job->creds = &p->creds;
		job->region = p->cfg->regions.v[i];
		job->deadline = deadline;
		if (p->use_state) {
			rs = state_region(&p->state, job->region);
			job->emitted = &rs->seen;
		}
		log_set_context(NULL, job->region);
		region_window(p, rs, job);
		log_set_context(NULL, NULL);
	}
}

/* Shows, on a terminal, how far each region has come. */
static void
show_progress(const struct poll *p, bool final)
{
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "\r\033[K");
	for (size_t i = 0; !final && i < p->njobs; i++) {
		unsigned long pages = atomic_load(&p->jobs[i].pages);
		unsigned long events = atomic_load(&p->jobs[i].events);

		strbuf_addf(&sb, "%s%s: %lu %s, %lu %s", i ? "; " : "",
		    p->jobs[i].region, pages, log_plural(pages, "page",
		    "pages"), events, log_plural(events, "event", "events"));
	}
	(void)!write(STDERR_FILENO, sb.buf, sb.len);
	strbuf_free(&sb);
}

static bool
all_done(const struct poll *p)
{
	for (size_t i = 0; i < p->njobs; i++)
		if (!atomic_load(&p->jobs[i].done))
			return false;
	return true;
}

/* Each region has its own rate limit at AWS: fetch them side by side. */
static int
fetch_all(struct poll *p)
{
	pthread_t *threads = xcalloc(p->njobs, sizeof(*threads));
	bool progress = isatty(STDERR_FILENO) && log_get_level() != LOG_QUIET;
	size_t started;
	int rc = 0;

	for (started = 0; started < p->njobs; started++)
		if (pthread_create(&threads[started], NULL, fetch_region,
		    &p->jobs[started]) != 0) {
			log_error("cannot start a thread");
			rc = EX_OSERR;
			break;
		}
	while (progress && rc == 0 && !all_done(p)) {
		show_progress(p, false);
		sleep_seconds(0.25);
	}
	if (progress)
		show_progress(p, true);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return rc;
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
render(struct poll *p, struct fetch_job *job, struct batch *b,
    struct region_state *after, struct discoveries *d)
{
	struct drain_ctx c = { .batch = b, .keep = &after->seen,
		.keep_from = job->end - p->cfg->overlap,
		.disc = p->use_state ? d : NULL };
	int rc;

	/* The unit whose first batch is a baseline: the region, for now. */
	if (p->use_state)
		discoveries_begin(d, p->cfg, &p->state.inventory, job->region);
	after->region = xstrdup(job->region);
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
write_region(struct poll *p, struct fetch_job *job, struct discoveries *d)
{
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
	if ((rc = render(p, job, &b, &after, d)) != 0)
		goto out;
	if (!p->use_state) {
		rc = b.length > 0 ? output_append(&p->out, &b) : 0;
		goto out;
	}
	rs = state_region(&p->state, job->region);
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
summarise(const struct poll *p, const struct fetch_job *job,
    const struct discoveries *d)
{
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
	log_summary(&f, "%s: %s to %s, %lu %s, %lu %s fetched, %lu written, "
	    "%lu already written%s, %zu %s, %zu %s%s, %.1f s", job->region,
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

/* Takes the lock, loads the state and settles an interrupted append. */
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
	if ((rc = recover(p)) != 0)
		return rc;
	/*
	 * Prove now that the state can be written: records on stdout cannot
	 * be taken back if the state then failed to move past them.
	 */
	return state_save(p->cfg->state_file, &p->state);
}

/*
 * With `regions: all`, an opt-in region the account has not enabled is
 * not a failure: there is nothing to poll there.
 */
static bool
skip_disabled(const struct config *cfg, const char *region,
    const struct ct_error *err)
{
	if (!cfg->regions_all || !regions_not_enabled(region, err->code))
		return false;
	log_info("%s: skipped: an opt-in region this account has not "
	    "enabled (%s)", region, err->code);
	return true;
}

/* Writes each region that fetched everything; the first failure decides. */
static int
write_all_regions(struct poll *p)
{
	int status = 0, rc;

	for (size_t i = 0; i < p->njobs; i++) {
		struct fetch_job *job = &p->jobs[i];
		struct discoveries d = { 0 };

		log_set_context(NULL, job->region);
		rc = job->status;
		if (rc != 0 && skip_disabled(p->cfg, job->region, &job->err))
			continue;
		if (rc != 0)
			ct_report_error(job->region, &job->err, false);
		else if ((rc = write_region(p, job, &d)) == 0)
			summarise(p, job, &d);
		discoveries_free(&d);
		log_set_context(NULL, NULL);
		if (rc != 0 && status == 0)
			status = rc;
	}
	return status;
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
	    (rc = open_discoveries(&p)) != 0)
		goto out;
	setup_jobs(&p);
	if ((rc = fetch_all(&p)) == 0)
		rc = write_all_regions(&p);
out:
	for (size_t i = 0; i < p.njobs; i++)
		fetch_job_free(&p.jobs[i]);
	free(p.jobs);
	output_close(&p.out);
	if (p.discover)
		output_close(&p.dout);
	credentials_clear(&p.creds);
	state_free(&p.state);
	if (p.lock_fd != -1)
		close(p.lock_fd);
	return rc;
}
