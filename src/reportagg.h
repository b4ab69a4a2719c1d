/*
 * report's aggregation: records as poll writes them (one JSON object a
 * line, SPEC section 4) in; per model and per principal and model, the
 * figures out. Streaming: memory grows with the distinct models,
 * principals and regions, never with the number of records.
 *
 * A record counts under its modelName ("(none)" when that is null or
 * absent) and its principal: userIdentity.arn, else userIdentity.userName,
 * else userIdentity.type, else "(unknown)". It is an error when errorCode
 * is present and not null. A line that is not UTF-8, not a JSON object,
 * has no parseable eventTime or is longer than REPORTAGG_LINE_MAX is
 * malformed: it is reported on stderr with its file and line, counted and
 * skipped. Blank lines are skipped silently.
 *
 * Functions return 0, or -1 after reporting, or a status or a pointer as
 * each says.
 */
#ifndef REPORTAGG_H
#define REPORTAGG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

#define REPORTAGG_LINE_MAX	(1024 * 1024)
/* Malformed lines reported one by one; the rest are only counted. */
#define REPORTAGG_REPORT_MAX	100

struct reportagg_model {
	const char *name;
	unsigned long long calls, errors;
	size_t nprincipals;
	const char **regions;		/* distinct awsRegion, sorted */
	size_t nregions;
	time_t first, last;		/* eventTime */
	const char *policy;	/* "allowed", "denied", "unlisted"; or NULL */
	size_t nmodels;		/* accounts only: distinct modelName */
	const char *account;	/* --by account: the recipientAccountId */
};

struct reportagg_principal {
	const char *principal;
	const char *model;
	const char *account;	/* --by account: the recipientAccountId */
	unsigned long long calls;
};

/*
 * Models by calls descending, then name; principal rows grouped by model
 * in that order, within a model by calls descending, then principal.
 * The strings belong to the struct reportagg.
 */
struct reportagg_result {
	struct reportagg_model *models;
	size_t nmodels;
	struct reportagg_principal *principals;
	size_t nprincipals;
	/*
	 * Per recipientAccountId ("(unknown)" without one), by calls: name
	 * is the account id, nprincipals and nmodels its distinct ones.
	 */
	struct reportagg_model *accounts;
	size_t naccounts;
	unsigned long long records;	/* counted: well formed and in range */
	unsigned long long malformed;
};

enum reportagg_status {
	REPORTAGG_COUNTED,
	REPORTAGG_FILTERED,	/* eventTime outside [since, until) */
	REPORTAGG_BLANK,
	REPORTAGG_MALFORMED,
};

/* Counts records with since <= eventTime < until. */
struct reportagg *reportagg_new(time_t since, time_t until);
void reportagg_free(struct reportagg *);

/*
 * --by account: a model's figures per account, the models sorted by
 * account, then as usual; each row carries its account. Before any line.
 */
void reportagg_by_account(struct reportagg *);

/*
 * With a model policy (policy.h), each model of the result gets its
 * verdict; the lists must outlive ra.
 */
void reportagg_policy(struct reportagg *, const struct strlist *allowed,
    const struct strlist *denied);

/*
 * One line of len bytes, without its newline, NUL-terminated. On
 * REPORTAGG_MALFORMED *why (when not NULL) says what is wrong with it;
 * the line is counted as malformed but not reported.
 */
enum reportagg_status reportagg_add_line(struct reportagg *,
    const char *line, size_t len, const char **why);

/*
 * Every line of f, reporting malformed ones as "NAME:LINE: malformed
 * record: WHY". Returns 0, or -1 after reporting a read error.
 */
int reportagg_read(struct reportagg *, FILE *f, const char *name);

/* The figures so far, sorted; valid until the next add or the free. */
const struct reportagg_result *reportagg_result(struct reportagg *);

#endif
