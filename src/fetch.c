#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "record.h"
#include "util.h"

static void
fail(struct fetch_job *job, enum ct_error_kind kind, const char *code,
    const char *message)
{
	memset(&job->err, 0, sizeof(job->err));
	job->err.kind = kind;
	snprintf(job->err.code, sizeof(job->err.code), "%s", code);
	log_clean(job->err.message, sizeof(job->err.message), message);
	job->status = ct_exit_code(kind);
}

/* One event of a page: reduced, checked, and spooled unless seen before. */
static int
take_event(struct fetch_job *job, const struct ct_event *ev,
    const struct record_options *opts, struct record *rec)
{
	char msg[300];

	switch (record_reduce(ev->cloudtrail_event, ev->cloudtrail_event_len,
	    opts, rec)) {
	case RECORD_FILTERED:
		return 0;
	case RECORD_MALFORMED:
		snprintf(msg, sizeof(msg), "event %.128s: CloudTrailEvent is "
		    "not a CloudTrail record", ev->event_id);
		fail(job, CT_MALFORMED, "MalformedEvent", msg);
		return -1;
	case RECORD_OK:
		break;
	}
	/* An allowlist of sources too: LookupEvents filtered, we check. */
	if (!strlist_contains(&job->cfg->event_sources, rec->event_source))
		return 0;
	if (job->emitted != NULL && strset_has(job->emitted, rec->event_id)) {
		job->skipped++;
		return 0;
	}
	if (spool_add(job->spool, rec->event_epoch, rec->event_id,
	    rec->line.buf, rec->line.len) == -1) {
		/* spool_add said which file and why. */
		fail(job, CT_LOCAL, "SpoolError",
		    "the spool file failed (see above)");
		return -1;
	}
	if (rec->model_name[0] != '\0')
		strset_add(&job->models, rec->model_name, 0);
	if (rec->principal[0] != '\0')
		strset_add(&job->principals, rec->principal, 0);
	atomic_fetch_add(&job->events, 1);
	return 0;
}

/* Every page of one event source, following NextToken to the end. */
static int
fetch_source(struct fetch_job *job, struct ct_client *client,
    const char *source, const struct record_options *opts,
    struct record *rec)
{
	struct strset tokens = { 0 };
	struct ct_query q = { .event_source = source, .start = job->start,
		.end = job->end, .max_results = 50 };
	struct ct_page page = { 0 };
	char *token = NULL;
	int rc = 0;

	for (;;) {
		q.next_token = token;
		if (ct_lookup(client, &q, &page, &job->err) == -1) {
			if (job->err.kind == CT_DEADLINE)
				snprintf(job->err.message, sizeof(job->err.message),
				    "unfinished after %lds; its cursor stays where "
				    "it was", job->cfg->max_run_time);
			job->status = ct_exit_code(job->err.kind);
			rc = -1;
			break;
		}
		atomic_fetch_add(&job->pages, 1);
		job->fetched += page.nevents;
		log_verbose("%s: %s page %lu: %zu events%s", job->region, source,
		    atomic_load(&job->pages), page.nevents,
		    page.next_token ? ", more to come" : "");
		for (size_t i = 0; i < page.nevents && rc == 0; i++)
			rc = take_event(job, &page.events[i], opts, rec);
		free(token);
		token = page.next_token ? xstrdup(page.next_token) : NULL;
		ct_page_free(&page);
		if (rc != 0 || token == NULL)
			break;
		if (!strset_add(&tokens, token, 0)) {
			fail(job, CT_MALFORMED, "RepeatedNextToken",
			    "CloudTrail returned a NextToken it had returned "
			    "before; stopping");
			rc = -1;
			break;
		}
	}
	free(token);
	strset_free(&tokens);
	return rc;
}

void *
fetch_region(void *arg)
{
	struct fetch_job *job = arg;
	double t0 = monotonic_now();
	struct record_options opts = { .event_names = &job->cfg->event_names,
		.extra_fields = job->cfg->extra_fields,
		.nextra_fields = job->cfg->nextra_fields,
		.account_name = job->account_name };
	struct record rec = { 0 };
	struct ct_client *client;

	log_set_context(NULL, job->region);
	job->spool = spool_new();
	client = ct_client_new(job->cfg, job->creds, job->region);
	if (client == NULL) {
		fail(job, CT_CONNECT, "BadEndpoint", "cannot set up the client");
		job->status = EX_CONFIG;
		goto out;
	}
	ct_client_set_deadline(client, job->deadline);
	for (size_t i = 0; i < job->cfg->event_sources.n; i++)
		if (fetch_source(job, client, job->cfg->event_sources.v[i],
		    &opts, &rec) == -1)
			break;
	job->requests = ct_client_requests(client);
out:
	record_free(&rec);
	ct_client_free(client);
	job->seconds = monotonic_now() - t0;
	atomic_store(&job->done, 1);
	log_set_context(NULL, NULL);
	return NULL;
}

void
fetch_job_free(struct fetch_job *job)
{
	if (job == NULL)
		return;
	spool_free(job->spool);
	strset_free(&job->models);
	strset_free(&job->principals);
}
