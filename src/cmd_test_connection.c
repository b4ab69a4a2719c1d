/*
 * test-connection: one small LookupEvents call per unit (account x region;
 * MaxResults 1, the last hour, the first event source), with the
 * organisation's accounts found and skipped. Changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "cloudtrail.h"
#include "cmd.h"
#include "credentials.h"
#include "log.h"
#include "regions.h"
#include "units.h"

static int
check_region(const struct config *cfg, const struct credentials *creds,
    const char *region)
{
	struct ct_client *client = ct_client_new(cfg, creds, region);
	time_t now = time(NULL);
	struct ct_query q = { .event_source = cfg->event_sources.v[0],
		.start = now - 3600, .end = now, .max_results = 1 };
	struct ct_page page;
	struct ct_error err;
	int status = 0;

	if (client == NULL)
		return EX_CONFIG;
	log_verbose("%s: LookupEvents at %s", region, ct_client_endpoint(client));
	if (ct_lookup(client, &q, &page, &err) == -1) {
		if (cfg->regions_all && regions_not_enabled(region, err.code))
			printf("%s: skipped: an opt-in region this account has "
			    "not enabled (%s)\n", region, err.code);
		else {
			ct_report_error(region, &err, true);
			status = ct_exit_code(err.kind);
		}
	} else {
		printf("%s: connection to AWS CloudTrail works\n", region);
		ct_page_free(&page);
	}
	ct_client_free(client);
	return status;
}

int
connection_check(const struct config *cfg, const struct credentials *creds)
{
	char *d = credentials_describe(creds);
	int status = 0, rc;

	/* Which credentials, whose, and until when: before any verdict. */
	printf("credentials: %s\n", d);
	free(d);
	for (size_t i = 0; i < cfg->regions.n; i++) {
		log_set_context(NULL, cfg->regions.v[i]);
		rc = check_region(cfg, creds, cfg->regions.v[i]);
		log_set_context(NULL, NULL);
		if (rc != 0 && status == 0)
			status = rc;
	}
	return status;
}

struct check {
	const struct config *cfg;
	const struct credentials *base;
};

/* One unit, in a worker: the result is printed later, in order. */
static void
check_unit(struct unit *u, void *arg)
{
	const struct check *c = arg;
	const struct credentials *creds;
	struct ct_client *client = NULL;
	time_t now = time(NULL);
	struct ct_query q = { .event_source = c->cfg->event_sources.v[0],
		.start = now - 3600, .end = now, .max_results = 1 };
	struct ct_page page;

	if ((creds = units_credentials(c->cfg, c->base, u->account,
	    &u->err)) == NULL)
		u->status = ct_exit_code(u->err.kind);
	else if ((client = ct_client_new(c->cfg, creds, u->region)) == NULL)
		u->status = EX_CONFIG;
	else if (ct_lookup(client, &q, &page, &u->err) == -1)
		u->status = ct_exit_code(u->err.kind);
	else
		ct_page_free(&page);
	if (u->status != 0 && u->account->regions_all &&
	    regions_not_enabled(u->region, u->err.code)) {
		u->skipped = true;
		u->status = 0;
	}
	ct_client_free(client);
}

static void
print_unit(const struct unit *u, bool hints)
{
	if (u->skipped)
		printf("%s: skipped: an opt-in region this account has not "
		    "enabled (%s)\n", u->label, u->err.code);
	else if (u->status != 0 && u->err.kind != CT_OK)
		ct_report_error(u->label, &u->err, hints);
	else if (u->status != 0)
		return;
	else if (u->account->role_arn != NULL)
		printf("%s: connection to AWS CloudTrail works (role %s)\n",
		    u->label, u->account->role_arn);
	else
		printf("%s: connection to AWS CloudTrail works\n", u->label);
}

/* The organisation: how many accounts, which are polled, which not. */
static void
print_organization(const struct units *u)
{
	printf("organization: %zu accounts found, %zu polled, %zu skipped\n",
	    u->nfound, u->naccounts, u->nskipped);
	for (size_t i = 0; i < u->nskipped; i++)
		printf("%s%s%s%s: skipped: %s\n", u->skipped[i].id,
		    u->skipped[i].name ? " (" : "",
		    u->skipped[i].name ? u->skipped[i].name : "",
		    u->skipped[i].name ? ")" : "", u->skipped[i].why);
}

int
cmd_test_connection(struct cli *cli, struct config *cfg)
{
	struct credentials creds = { 0 };
	struct units units = { 0 };
	struct check c = { .cfg = cfg, .base = &creds };
	char *d;
	int status;

	(void)cli;
	if ((status = credentials_resolve(cfg, &creds)) != 0 ||
	    (status = config_default_regions(cfg, &creds.regions)) != 0 ||
	    (status = units_plan(cfg, &creds, &units)) != 0)
		goto out;
	/* Which credentials, whose, and until when: before any verdict. */
	d = credentials_describe(&creds);
	printf("credentials: %s\n", d);
	free(d);
	if (cfg->organization.enabled)
		print_organization(&units);
	status = units_run(&units, cfg->max_concurrency, check_unit, NULL, &c);
	for (size_t i = 0; i < units.n; i++) {
		print_unit(&units.v[i], !units.many);
		status = units_worst(status, units.v[i].status);
	}
	fflush(stdout);
	units_summary(&units);
out:
	units_free(&units);
	credentials_clear(&creds);
	return status;
}
