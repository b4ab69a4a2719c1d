/*
 * The configuration in force: built-in defaults, then the YAML file, then
 * the environment, then the command line (SPEC section 2).
 *
 * Functions return 0 on success, or a sysexits(3) code after reporting the
 * problem with log_error (EX_CONFIG for everything here).
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum extra_field {
	EXTRA_SOURCE_IP,	/* "sourceIPAddress" */
	EXTRA_USER_AGENT,	/* "userAgent" */
	EXTRA_INFERENCE_REGION,	/* "inferenceRegion" */
	EXTRA_ACCOUNT_NAME,	/* "accountName": ListAccounts or accounts[] */
};

/* One entry of `accounts:` (SPEC section 7). */
struct account_config {
	char *id;		/* 12 digits */
	char *role_arn;		/* NULL: arn:PARTITION:iam::ID:role/ROLE_NAME */
	char *external_id;	/* NULL: none sent */
	char *name;		/* NULL: from ListAccounts, if any */
	struct strlist regions;	/* empty: the top-level regions */
	bool regions_all;
};

/* `organization:`: the accounts come from Organizations ListAccounts. */
struct org_config {
	bool enabled;
	struct strlist include;	/* empty: every ACTIVE account */
	struct strlist exclude;
	bool include_self;	/* the credentials' own account; default true */
};

/* What the command line said; NULL / 0 where it said nothing. */
struct config_overrides {
	const char *config_path;	/* -c */
	struct strlist regions;		/* -r, already split on commas */
	const char *endpoint_url;
	const char *ca_bundle;
	const char *output;		/* poll -o */
	const char *state_file;		/* poll --state-file */
};

struct config {
	char *path;		/* the file read, or NULL: built-in defaults */
	struct strlist regions;	/* may be empty until the store is consulted */
	bool regions_all;	/* "all": every region of the partition */
	/* Where regions came from, for status: "-r", "AWS_REGION", ... or NULL. */
	const char *regions_from;
	struct strlist event_sources;
	struct strlist event_names;
	enum extra_field extra_fields[8];
	size_t nextra_fields;
	long first_poll_lookback;	/* seconds */
	long overlap;			/* seconds */
	char *output;
	char *discoveries_output;	/* NULL: none */
	struct strlist models_allowed;	/* globs on modelName */
	struct strlist models_denied;
	char *state_file;
	char *credentials_file;
	char *key_file;
	char *profile;
	char *role_arn;		/* a role to assume with what the chain found */
	char *external_id;
	char *role_session_name;	/* NULL: bedrock-trail */
	char *endpoint_url;	/* NULL: https://cloudtrail.REGION.amazonaws.com */
	/* Where endpoint_url came from, for messages: "--endpoint-url"... */
	const char *endpoint_from;
	char *ca_bundle;	/* NULL: the system's */
	double max_requests_per_second;
	int max_attempts;
	long timeout;		/* seconds */
	struct account_config *accounts;
	size_t naccounts;
	struct org_config organization;
	char *role_name;	/* member accounts' role, for both above */
	int max_concurrency;	/* units (account x region) polled at once */
	long max_run_time;	/* seconds: poll stops unfinished regions then */
	char *log_format;	/* "text" or "json"; NULL: text */
};

/* Many accounts: `accounts:` or `organization:` is set. */
bool config_many_accounts(const struct config *cfg);

/*
 * Fills cfg from the defaults (root or XDG paths, by geteuid()), the file
 * (o->config_path, else the default path: missing is fine there, not with
 * -c), the environment and o. Validates every region code. Errors name
 * the file, line and column: "FILE:LINE:COL: unknown key 'regoins'".
 */
int config_load(struct config *cfg, const struct config_overrides *o);
/* config_load with the root-or-not decision made by the caller (tests). */
int config_load_as(struct config *cfg, const struct config_overrides *o,
    bool as_root);

/*
 * Uses regions (from the stored connection) when neither the command line,
 * the file nor the environment named any. Validates them. No region at
 * all is a configuration error.
 */
int config_default_regions(struct config *cfg, const struct strlist *stored);

/*
 * Sets the regions to every region of partition ("aws", "aws-cn",
 * "aws-us-gov") and marks them as `all`.
 */
void config_regions_all(struct config *cfg, const char *partition);

/*
 * With `regions: all`, the regions of the credentials' partition instead
 * of the commercial ones (partition from an identity ARN or a region).
 */
void config_regions_partition(struct config *cfg, const char *partition);

/* True for region codes like us-east-1, eu-central-2, us-gov-west-1. */
bool config_region_valid(const char *region);

/* True for arn:aws:iam::111122223333:role/NAME (any partition). */
bool config_role_arn_valid(const char *arn);

/*
 * The service's configuration (service_path, for root) when it exists and
 * this user, not root and without -c, does not read it: status warns that
 * it is not the one in use. NULL otherwise. config_service_file_unused
 * passes /etc/bedrock-trail/config.yaml and geteuid().
 */
const char *config_service_file_unused_at(const char *service_path,
    const struct config_overrides *o, bool as_root);
const char *config_service_file_unused(const struct config_overrides *o);

/* "FILE" or "built-in defaults", for status. */
const char *config_describe(const struct config *cfg);

const char *extra_field_name(enum extra_field);

void config_free(struct config *cfg);

#endif
