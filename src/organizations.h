/*
 * AWS Organizations ListAccounts (JSON 1.1, SigV4 service "organizations"):
 * every account of the organisation, following NextToken through empty
 * pages, backing off on TooManyRequestsException. The endpoint is
 * AWS_ENDPOINT_URL_ORGANIZATIONS, else the partition's (us-east-1 for
 * the commercial partition).
 *
 * Functions return 0, or -1 with err filled (classified like a CloudTrail
 * error, so ct_report_error reports it); they print nothing but -v detail.
 */
#ifndef ORGANIZATIONS_H
#define ORGANIZATIONS_H

#include <stddef.h>

#include "cloudtrail.h"
#include "config.h"
#include "credentials.h"

struct org_account {
	char *id;
	char *name;
	char *status;		/* "ACTIVE", "SUSPENDED", "PENDING_CLOSURE" */
};

struct org_accounts {
	struct org_account *v;
	size_t n;
};

/* partition: "aws", "aws-cn" or "aws-us-gov". */
int org_list_accounts(const struct config *cfg, const char *partition,
    const struct credentials *creds, struct org_accounts *out,
    struct ct_error *err);

/* One ListAccounts page into out (appended); *next_token malloc'd or NULL. */
int org_parse_page(const char *body, size_t len, struct org_accounts *out,
    char **next_token);

void org_accounts_free(struct org_accounts *);

#endif
