/*
 * The bytes as a file of records for report: reportagg_read over the
 * file, and reportagg_add_line over the same lines split here, must agree
 * line for line; the figures must add up (every counted record in exactly
 * one model and one principal row) and come sorted as reportagg.h says.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "reportagg.h"

/* 2100-01-01: every time a four-digit year can reach before it counts. */
#define UNTIL 4102444800

void
fuzz_target_init(void)
{
}

static void
check_models(const struct reportagg_result *r)
{
	unsigned long long calls = 0;
	size_t i, j;

	for (i = 0; i < r->nmodels; i++) {
		const struct reportagg_model *m = &r->models[i];

		calls += m->calls;
		FUZZ_CHECK(m->name != NULL && m->calls > 0, "empty model");
		FUZZ_CHECK(m->errors <= m->calls, "more errors than calls");
		FUZZ_CHECK(m->first <= m->last, "first after last");
		if (i > 0)
			FUZZ_CHECK(r->models[i - 1].calls > m->calls ||
				(r->models[i - 1].calls == m->calls &&
				    strcmp(r->models[i - 1].name, m->name) < 0),
			    "models out of order");
		for (j = 1; j < m->nregions; j++)
			FUZZ_CHECK(strcmp(m->regions[j - 1], m->regions[j]) < 0,
			    "regions not sorted and distinct");
	}
	FUZZ_CHECK(calls == r->records, "model calls do not add up");
}

/* Rows grouped by model in the models' order, each group sorted. */
static void
check_principals(const struct reportagg_result *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->nmodels; i++) {
		const struct reportagg_model *m = &r->models[i];
		unsigned long long calls = 0;
		size_t rows = 0;

		for (; k < r->nprincipals &&
		     strcmp(r->principals[k].model, m->name) == 0;
		     k++, rows++) {
			const struct reportagg_principal *p = &r->principals[k];

			FUZZ_CHECK(p->principal != NULL && p->calls > 0,
			    "empty principal row");
			calls += p->calls;
			if (rows > 0)
				FUZZ_CHECK(p[-1].calls > p->calls ||
					(p[-1].calls == p->calls &&
					    strcmp(p[-1].principal,
						p->principal) < 0),
				    "principal rows out of order");
		}
		FUZZ_CHECK(rows == m->nprincipals, "principal count");
		FUZZ_CHECK(calls == m->calls, "principal calls do not add up");
	}
	FUZZ_CHECK(k == r->nprincipals, "principal row of no model");
}

/* The same lines one by one: what reportagg_read must have counted. */
static void
add_lines(struct reportagg *ra, const uint8_t *data, size_t len,
    unsigned long long *counted, unsigned long long *malformed)
{
	const uint8_t *p = data, *end = data + len, *nl;
	const char *why;

	*counted = *malformed = 0;
	while (p < end) {
		size_t n;
		char *line;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		line = fuzz_strndup(p, n);
		why = NULL;
		switch (reportagg_add_line(ra, line, n, &why)) {
		case REPORTAGG_COUNTED:
			(*counted)++;
			break;
		case REPORTAGG_MALFORMED:
			FUZZ_CHECK(why != NULL, "malformed without a reason");
			(*malformed)++;
			break;
		case REPORTAGG_FILTERED:
		case REPORTAGG_BLANK:
			break;
		}
		free(line);
		p += n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *path = fuzz_path("records.jsonl");
	struct reportagg *whole = reportagg_new(0, UNTIL);
	struct reportagg *lines = reportagg_new(0, UNTIL);
	const struct reportagg_result *r;
	unsigned long long counted, malformed;
	FILE *f;

	fuzz_setup();
	fuzz_write_file(path, data, len, 0600);
	if ((f = fopen(path, "r")) == NULL)
		abort();
	FUZZ_CHECK(reportagg_read(whole, f, path) == 0, "read failed");
	fclose(f);
	add_lines(lines, data, len, &counted, &malformed);

	r = reportagg_result(whole);
	FUZZ_CHECK(r->records == counted && r->malformed == malformed,
	    "reportagg_read and reportagg_add_line disagree");
	check_models(r);
	check_principals(r);
	r = reportagg_result(lines);
	FUZZ_CHECK(r->records == counted && r->malformed == malformed,
	    "result does not match the lines added");
	check_models(r);
	check_principals(r);
	reportagg_free(whole);
	reportagg_free(lines);
	return 0;
}
