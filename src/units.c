#include "units.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "log.h"
#include "organizations.h"
#include "regions.h"
#include "sts.h"
#include "util.h"

static void
sts_target_of(const struct config *cfg, const char *partition,
    struct sts_target *t)
{
	*t = (struct sts_target){
		.region = strcmp(partition, "aws-cn") == 0 ? "cn-north-1" :
		    strcmp(partition, "aws-us-gov") == 0 ? "us-gov-west-1" :
		    "us-east-1",
		.ca_bundle = cfg->ca_bundle,
		.timeout = cfg->timeout,
		.max_attempts = cfg->max_attempts,
	};
}

/* "arn:aws-cn:sts::..." -> "aws-cn"; "aws" when it cannot tell. */
static char *
arn_partition(const char *arn)
{
	const char *p = strncmp(arn, "arn:", 4) == 0 ? arn + 4 : NULL;

	if (p == NULL || strchr(p, ':') == NULL)
		return xstrdup("aws");
	return xstrndup(p, (size_t)(strchr(p, ':') - p));
}

static const struct account_config *
configured(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].id, id) == 0)
			return &cfg->accounts[i];
	return NULL;
}

/* An account to poll, with the settings of accounts[] where it has some. */
static void
add_account(struct units *u, const struct config *cfg, const char *id,
    const char *name)
{
	const struct account_config *ac = id ? configured(cfg, id) : NULL;
	struct unit_account *a;
	const struct strlist *regions = &cfg->regions;
	bool all = cfg->regions_all;

	u->accounts = xrealloc(u->accounts,
	    (u->naccounts + 1) * sizeof(*u->accounts));
	a = &u->accounts[u->naccounts++];
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	a->id = id ? xstrdup(id) : NULL;
	if (ac != NULL && ac->name != NULL)
		name = ac->name;
	a->name = name ? xstrdup(name) : NULL;
	/* The credentials' own account is polled with them, without a role. */
	if (id != NULL && strcmp(id, u->self) != 0)
		a->role_arn = ac != NULL && ac->role_arn != NULL ?
		    xstrdup(ac->role_arn) : xasprintf("arn:%s:iam::%s:role/%s",
		    u->partition, id, cfg->role_name);
	if (ac != NULL && ac->external_id != NULL)
		a->external_id = xstrdup(ac->external_id);
	if (ac != NULL && (ac->regions_all || ac->regions.n > 0)) {
		regions = &ac->regions;
		all = ac->regions_all;
	}
	a->regions_all = all;
	if (all)
		(void)regions_all(u->partition, &a->regions);
	else
		for (size_t i = 0; i < regions->n; i++)
			strlist_add(&a->regions, regions->v[i]);
}

static void
skip(struct units *u, const struct org_account *oa, const char *why)
{
	u->skipped = xrealloc(u->skipped,
	    (u->nskipped + 1) * sizeof(*u->skipped));
	u->skipped[u->nskipped++] = (struct unit_skip){
		.id = xstrdup(oa->id),
		.name = oa->name ? xstrdup(oa->name) : NULL,
		.why = xstrdup(why),
	};
}

/* The organisation's ACTIVE accounts, filtered as configured. */
static int
plan_organization(struct units *u, const struct config *cfg,
    const struct credentials *base)
{
	const struct org_config *o = &cfg->organization;
	struct credentials k = { 0 };
	struct org_accounts list;
	struct ct_error err;
	int rc;

	if ((rc = credentials_current(base, &k)) != 0)
		return rc;
	rc = org_list_accounts(cfg, u->partition, &k, &list, &err);
	credentials_clear(&k);
	if (rc == -1) {
		ct_report_error("organizations", &err, false);
		return ct_exit_code(err.kind);
	}
	u->nfound = list.n;
	for (size_t i = 0; i < list.n; i++) {
		const struct org_account *oa = &list.v[i];

		if (strcmp(oa->status, "ACTIVE") != 0)
			skip(u, oa, oa->status);
		else if (strlist_contains(&o->exclude, oa->id))
			skip(u, oa, "in exclude_accounts");
		else if (o->include.n > 0 &&
		    !strlist_contains(&o->include, oa->id))
			skip(u, oa, "not in include_accounts");
		else if (strcmp(oa->id, u->self) == 0 && !o->include_self)
			skip(u, oa, "the credentials' own account, and "
			    "include_self is false");
		else
			add_account(u, cfg, oa->id, oa->name);
	}
	org_accounts_free(&list);
	return 0;
}

/* An account of unknown id (GetCallerIdentity failed) matches none. */
static bool
planned(const struct units *u, const char *id)
{
	for (size_t i = 0; i < u->naccounts; i++)
		if (u->accounts[i].id != NULL &&
		    strcmp(u->accounts[i].id, id) == 0)
			return true;
	return false;
}

static void
plan_units(struct units *u)
{
	for (size_t i = 0; i < u->naccounts; i++) {
		struct unit_account *a = &u->accounts[i];

		for (size_t j = 0; j < a->regions.n; j++) {
			struct unit *un;

			u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
			un = &u->v[u->n++];
			memset(un, 0, sizeof(*un));
			un->account = a;
			un->region = a->regions.v[j];
			if (u->many)
				snprintf(un->label, sizeof(un->label), "%s/%s",
				    a->id, un->region);
			else
				snprintf(un->label, sizeof(un->label), "%s",
				    un->region);
		}
	}
}

int
units_plan(const struct config *cfg, const struct credentials *base,
    struct units *u)
{
	struct credentials k = { 0 };
	struct sts_target t;
	int rc;

	memset(u, 0, sizeof(*u));
	u->many = config_many_accounts(cfg);
	/* STS of the configured regions' partition, in the first of them. */
	sts_target_of(cfg, regions_partition(cfg->regions.n > 0 ?
	    cfg->regions.v[0] : "us-east-1"), &t);
	if (cfg->regions.n > 0)
		t.region = cfg->regions.v[0];
	/*
	 * One account only keys the state with its id, and must not depend
	 * on STS being reachable (a CloudTrail-only endpoint, a firewall):
	 * one quick try; cmd_poll keeps the cursors without it.
	 */
	if (!u->many) {
		t.max_attempts = 1;
		t.timeout = t.timeout < 5 ? t.timeout : 5;
	}
	if ((rc = credentials_current(base, &k)) != 0)
		return rc;
	rc = sts_get_caller_identity(&t, &k, &u->self, &u->self_arn,
	    &u->self_err);
	credentials_clear(&k);
	if (rc == -1) {
		if (u->many) {
			ct_report_error("sts", &u->self_err, false);
			return ct_exit_code(u->self_err.kind);
		}
		log_verbose("sts: GetCallerIdentity failed: %s: %s",
		    u->self_err.code, u->self_err.message);
		u->partition = xstrdup(regions_partition(t.region));
		add_account(u, cfg, NULL, NULL);
		plan_units(u);
		return 0;
	}
	u->partition = arn_partition(u->self_arn);
	log_verbose("credentials: account %s (%s)", u->self, u->self_arn);
	if (cfg->organization.enabled &&
	    (rc = plan_organization(u, cfg, base)) != 0)
		return rc;
	for (size_t i = 0; i < cfg->naccounts; i++)
		if (!cfg->organization.enabled &&
		    !planned(u, cfg->accounts[i].id))
			add_account(u, cfg, cfg->accounts[i].id, NULL);
	if (!u->many)
		add_account(u, cfg, u->self, NULL);
	plan_units(u);
	return 0;
}

/* AssumeRole for the account, refreshed by credentials.c; under a->lock. */
static void
assume(const struct config *cfg, const struct credentials *base,
    struct unit_account *a)
{
	struct sts_assume_role r = {
		.role_arn = a->role_arn,
		.session_name = cfg->role_session_name ?
		    cfg->role_session_name : "bedrock-trail",
		.external_id = a->external_id,
	};
	struct sts_target t;
	char *partition = arn_partition(a->role_arn);

	sts_target_of(cfg, partition, &t);
	free(partition);
	a->tried = true;
	a->status = credentials_assume_role(base, &t, &r, &a->creds);
	if (a->status == 0) {
		log_verbose("%s: assumed %s", a->id, a->role_arn);
		return;
	}
	memset(&a->err, 0, sizeof(a->err));
	a->err.kind = a->status == EX_NOPERM ? CT_AUTH :
	    a->status == EX_TEMPFAIL ? CT_THROTTLED :
	    a->status == EX_UNAVAILABLE ? CT_CONNECT : CT_MALFORMED;
	snprintf(a->err.code, sizeof(a->err.code), "AssumeRole");
	snprintf(a->err.message, sizeof(a->err.message), "cannot assume %s",
	    a->role_arn);
}

const struct credentials *
units_credentials(const struct config *cfg, const struct credentials *base,
    struct unit_account *a, struct ct_error *err)
{
	const struct credentials *c = &a->creds;

	if (a->role_arn == NULL)
		return base;
	pthread_mutex_lock(&a->lock);
	if (!a->tried)
		assume(cfg, base, a);
	if (a->status != 0) {
		*err = a->err;
		c = NULL;
	}
	pthread_mutex_unlock(&a->lock);
	return c;
}

struct pool {
	struct units *u;
	atomic_size_t next;
	atomic_size_t finished;	/* threads that ran out of units */
	void (*fn)(struct unit *, void *);
	void *arg;
};

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->u->n)
		p->fn(&p->u->v[i], p->arg);
	atomic_fetch_add(&p->finished, 1);
	return NULL;
}

int
units_run(struct units *u, int max_concurrency,
    void (*fn)(struct unit *, void *), void (*tick)(void *), void *arg)
{
	size_t nthreads = u->n < (size_t)max_concurrency ? u->n :
	    (size_t)max_concurrency, started;
	pthread_t *threads = xcalloc(nthreads + 1, sizeof(*threads));
	struct pool p = { u, 0, 0, fn, arg };
	int rc = 0;

	for (started = 0; started < nthreads; started++)
		if (pthread_create(&threads[started], NULL, worker, &p) != 0) {
			log_error("cannot start a thread");
			rc = EX_OSERR;
			break;
		}
	/* With no thread at all, nothing would run: run them here. */
	if (started == 0)
		worker(&p);
	while (tick != NULL && atomic_load(&p.finished) < started) {
		tick(arg);
		sleep_seconds(0.25);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return rc;
}

/*
 * With `regions: all`, an opt-in region the account has not enabled is
 * not a failure: there is nothing to poll there.
 */
void
units_fail(struct unit *u, const struct ct_error *err)
{
	u->err = *err;
	u->status = ct_exit_code(err->kind);
	if (!u->account->regions_all ||
	    !regions_not_enabled(u->region, u->err.code))
		return;
	log_info("%s: skipped: an opt-in region this account has not "
	    "enabled (%s)", u->label, u->err.code);
	u->skipped = true;
	u->status = 0;
}

static void
context(const struct units *us, const struct unit *u)
{
	log_set_context(us->many ? u->account->id : NULL, u->region);
}

int
units_report(const struct units *us)
{
	int status = 0;

	for (size_t i = 0; i < us->n; i++) {
		const struct unit *u = &us->v[i];

		if (u->status == 0)
			continue;
		status = units_worst(status, u->status);
		context(us, u);
		if (u->err.kind != CT_OK)
			ct_report_error(u->label, &u->err, false);
		log_set_context(NULL, NULL);
	}
	units_summary(us);
	return status;
}

void
units_summary(const struct units *us)
{
	size_t nfailed = 0;

	for (size_t i = 0; i < us->n; i++)
		nfailed += us->v[i].status != 0;
	if (nfailed == 0 || !us->many)
		return;
	log_error("%zu of %zu units failed:", nfailed, us->n);
	for (size_t i = 0; i < us->n; i++)
		if (us->v[i].status != 0)
			log_error("  %s: %s (exit %d)", us->v[i].label,
			    us->v[i].err.code[0] ? us->v[i].err.code :
			    "local error", us->v[i].status);
}

/* Higher is worse: a temporary condition least, a local failure most. */
static int
rank(int status)
{
	switch (status) {
	case 0: return 0;
	case EX_TEMPFAIL: return 1;
	case EX_UNAVAILABLE: return 2;
	case EX_NOPERM: return 3;
	case EX_DATAERR: return 4;
	case EX_CONFIG: return 5;
	default: return 6;
	}
}

int
units_worst(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

void
units_free(struct units *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->n; i++)
		fetch_job_free(&u->v[i].job);
	free(u->v);
	for (size_t i = 0; i < u->naccounts; i++) {
		struct unit_account *a = &u->accounts[i];

		free(a->id);
		free(a->name);
		free(a->role_arn);
		free(a->external_id);
		strlist_free(&a->regions);
		credentials_clear(&a->creds);
		pthread_mutex_destroy(&a->lock);
	}
	free(u->accounts);
	for (size_t i = 0; i < u->nskipped; i++) {
		free(u->skipped[i].id);
		free(u->skipped[i].name);
		free(u->skipped[i].why);
	}
	free(u->skipped);
	free(u->self);
	free(u->self_arn);
	free(u->partition);
	memset(u, 0, sizeof(*u));
}
