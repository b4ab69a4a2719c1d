/*
 * fetch.c against a local server (tserver.h): every page of a window is
 * followed to the end, each event spooled once, and every failure is
 * reported as what it is: a repeated NextToken, a malformed event, a
 * spool file that cannot be written (issue 10, defect 3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cJSON.h>

#include "fetch.h"
#include "http.h"
#include "t.h"
#include "tserver.h"
#include "util.h"

#define PAGE_FIXTURE "tests/fixtures/responses/lookupevents-response-page.json"

static char *one_event;		/* Events[0] of the fixture, as JSON */

struct pages {
	size_t n;		/* pages to serve */
	int events;		/* events on each */
	bool repeat_token;	/* the second page's token is the first's */
	bool malformed;		/* the event's CloudTrailEvent is not a record */
};

static char *
page(size_t i, const char *request, void *arg)
{
	const struct pages *p = arg;
	struct strbuf body = { 0 };
	char *resp;

	strbuf_adds(&body, "{\"Events\":[");
	for (int e = 0; e < p->events; e++) {
		strbuf_adds(&body, e ? "," : "");
		strbuf_adds(&body, p->malformed ? "{\"EventId\":\"x\","
		    "\"CloudTrailEvent\":\"[1]\"}" : one_event);
	}
	strbuf_adds(&body, "]");
	if (i + 1 < p->n)
		strbuf_addf(&body, ",\"NextToken\":\"t%zu\"",
		    p->repeat_token ? (size_t)0 : i);
	strbuf_adds(&body, "}");
	resp = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/x-amz-json-1.1\r\nContent-Length: %zu\r\n\r\n%s",
	    body.len, body.buf);
	strbuf_free(&body);
	return resp;
}

struct fixture {
	struct tserver server;
	struct config cfg;
	struct credentials creds;
	struct fetch_job job;
};

static void
setup(struct fixture *f, struct pages *p)
{
	memset(f, 0, sizeof(*f));
	T_EQ_INT(tserver_start(&f->server, page, p), 0);
	strlist_add(&f->cfg.event_sources, "bedrock.amazonaws.com");
	f->cfg.endpoint_url = xasprintf("http://127.0.0.1:%d",
	    f->server.port);
	f->cfg.max_attempts = 1;
	f->cfg.timeout = 10;
	f->cfg.max_requests_per_second = 10000;
	f->creds.access_key_id = "AKIDEXAMPLE";
	f->creds.secret_access_key = "secret";
	f->job.cfg = &f->cfg;
	f->job.creds = &f->creds;
	f->job.region = "us-east-1";
	f->job.start = 1767225600;
	f->job.end = 1767229200;
}

static void
teardown(struct fixture *f)
{
	tserver_stop(&f->server);
	fetch_job_free(&f->job);
	strlist_free(&f->cfg.event_sources);
	free(f->cfg.endpoint_url);
}

static void
test_every_page_is_followed(void)
{
	struct pages p = { .n = 3, .events = 2 };
	struct fixture f;

	setup(&f, &p);
	fetch_region(&f.job);
	T_EQ_INT(f.job.status, 0);
	T_EQ_INT(f.server.nrequests, 3);
	T_EQ_INT(atomic_load(&f.job.pages), 3);
	T_EQ_INT(spool_count(f.job.spool), 6);
	T_ASSERT(strstr(f.server.last_request, "\"NextToken\":\"t1\"") != NULL);
	teardown(&f);
}

static void
test_a_repeated_token_stops_the_region(void)
{
	struct pages p = { .n = 10, .events = 1, .repeat_token = true };
	struct fixture f;

	setup(&f, &p);
	fetch_region(&f.job);
	T_EQ_INT(f.job.status, EX_DATAERR);
	T_EQ_STR(f.job.err.code, "RepeatedNextToken");
	T_EQ_INT(f.server.nrequests, 2);
	teardown(&f);
}

static void
test_a_malformed_event_fails_the_region(void)
{
	struct pages p = { .n = 1, .events = 1, .malformed = true };
	struct fixture f;

	setup(&f, &p);
	fetch_region(&f.job);
	T_EQ_INT(f.job.status, EX_DATAERR);
	T_EQ_INT(f.job.err.kind, CT_MALFORMED);
	T_EQ_STR(f.job.err.code, "MalformedEvent");
	teardown(&f);
}

/*
 * A spool that cannot be written is a local I/O error that names the
 * spool file's directory and the errno, not a malformed response. The
 * spool goes to disk past 4 MiB: 200 pages of 50 events get there.
 */
static void
test_a_spool_failure_says_so(void)
{
	struct pages p = { .n = 200, .events = 50 };
	struct fixture f;
	const char *err;

	setenv("TMPDIR", "/nonexistent-bt-test", 1);
	setup(&f, &p);
	t_capture_start();
	fetch_region(&f.job);
	err = t_capture_end();
	T_EQ_INT(f.job.status, EX_IOERR);
	T_EQ_INT(f.job.err.kind, CT_LOCAL);
	T_EQ_STR(f.job.err.code, "SpoolError");
	T_EQ_STR(err, "cannot create the spool file in /nonexistent-bt-test: "
	    "No such file or directory\n");
	t_capture_start();
	ct_report_error("us-east-1", &f.job.err, false);
	T_EQ_STR(t_capture_end(), "cannot keep the fetched records\n"
	    "region us-east-1: SpoolError: the spool file failed (see above)\n");
	unsetenv("TMPDIR");
	teardown(&f);
}

static int
load_event(void)
{
	FILE *fp = fopen(PAGE_FIXTURE, "r");
	static char buf[1 << 16];
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	cJSON *root, *ev;

	if (fp != NULL)
		fclose(fp);
	buf[n] = '\0';
	root = cJSON_Parse(buf);
	ev = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "Events"), 0);
	one_event = ev ? cJSON_PrintUnformatted(ev) : NULL;
	cJSON_Delete(root);
	return one_event != NULL ? 0 : -1;
}

int
main(void)
{
	if (http_global_init() != 0 || load_event() != 0) {
		fprintf(stderr, "cannot set up: %s\n", PAGE_FIXTURE);
		return 1;
	}
	T_RUN(test_every_page_is_followed);
	T_RUN(test_a_repeated_token_stops_the_region);
	T_RUN(test_a_malformed_event_fails_the_region);
	T_RUN(test_a_spool_failure_says_so);
	cJSON_free(one_event);
	http_global_cleanup();
	return T_DONE();
}
