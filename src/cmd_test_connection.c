/*
 * test-connection: one small LookupEvents call per region (MaxResults 1,
 * the last hour, the first event source). Changes nothing.
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

int
cmd_test_connection(struct cli *cli, struct config *cfg)
{
	struct credentials creds = { 0 };
	int status;

	(void)cli;
	if ((status = credentials_resolve(cfg, &creds)) != 0)
		goto out;
	if ((status = config_default_regions(cfg, &creds.regions)) != 0)
		goto out;
	status = connection_check(cfg, &creds);
out:
	credentials_clear(&creds);
	return status;
}
