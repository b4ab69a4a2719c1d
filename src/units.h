/*
 * The units of a poll (SPEC section 7): every account x region, each with
 * its own cursor, limiter and batch. units_plan finds the accounts (the
 * credentials' own, `accounts:`, or Organizations ListAccounts) and their
 * regions; units_credentials gives a unit its account's credentials,
 * assuming the member role once per run and again before it expires;
 * units_run runs them on a bounded pool of threads.
 *
 * Functions return 0 or a sysexits(3) code after reporting, unless said.
 */
#ifndef UNITS_H
#define UNITS_H

#include <pthread.h>
#include <stdbool.h>

#include "cloudtrail.h"
#include "config.h"
#include "credentials.h"
#include "fetch.h"

struct unit_account {
	char *id;		/* NULL: GetCallerIdentity failed */
	char *name;		/* accounts[].name or ListAccounts', or NULL */
	char *role_arn;		/* NULL: the credentials' own account */
	char *external_id;
	struct strlist regions;
	bool regions_all;	/* regions is the partition's `all` */
	/* Guarded by lock: the assumed role, or why it failed. */
	pthread_mutex_t lock;
	struct credentials creds;
	bool tried;
	int status;
	struct ct_error err;
};

struct unit {
	struct unit_account *account;
	const char *region;
	char label[64];		/* "us-east-1", or "123456789012/us-east-1" */
	struct fetch_job job;
	int status;		/* 0, or the exit code of err */
	struct ct_error err;
	bool skipped;		/* an opt-in region not enabled */
};

/* An account of the organisation that is not polled, and why. */
struct unit_skip {
	char *id, *name, *why;
};

struct units {
	/*
	 * The credentials' own account. NULL for one account when STS could
	 * not say (self_err): CloudTrail's own answer then tells the user
	 * what is wrong, and no unit commits without knowing its account.
	 */
	char *self;
	struct ct_error self_err;
	char *self_arn;
	char *partition;	/* "aws", from self_arn */
	bool many;		/* accounts: or organization: */
	size_t nfound;		/* accounts ListAccounts returned */
	struct unit_account *accounts;
	size_t naccounts;
	struct unit *v;
	size_t n;
	struct unit_skip *skipped;
	size_t nskipped;
};

/*
 * Finds the credentials' account (GetCallerIdentity), the accounts to
 * poll and their regions; fills u. A failure of ListAccounts, or of
 * GetCallerIdentity with many accounts, is the run's.
 */
int units_plan(const struct config *, const struct credentials *base,
    struct units *u);

/*
 * The credentials of the unit's account: base for the credentials' own
 * account, else the role assumed with base (once per run, under the
 * account's lock; credentials_current renews it before it expires). NULL
 * with err filled when the role cannot be assumed (already reported).
 */
const struct credentials *units_credentials(const struct config *,
    const struct credentials *base, struct unit_account *,
    struct ct_error *err);

/*
 * Runs fn on every unit, at most max_concurrency at once; tick (if not
 * NULL) is called by the calling thread every quarter second meanwhile.
 */
int units_run(struct units *, int max_concurrency,
    void (*fn)(struct unit *, void *), void (*tick)(void *), void *arg);

/*
 * Records err as the unit's failure, unless it says that an opt-in region
 * of `regions: all` is not enabled: then one note, and no failure.
 */
void units_fail(struct unit *, const struct ct_error *err);

/*
 * Reports each failed unit's error and, with many accounts, the count and
 * one line per failed unit. Returns the worst unit's status.
 */
int units_report(const struct units *);
/* With many accounts: "N of M units failed:" and a line for each. */
void units_summary(const struct units *);

/* The worse of two exit statuses: local failures, then data, auth... */
int units_worst(int a, int b);

void units_free(struct units *);

#endif
