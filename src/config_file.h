/*
 * Shared by config.c (defaults, environment, command line) and
 * config_file.c (the YAML file); not for other modules.
 *
 * Functions return 0, or -1 after reporting every problem they found
 * (config_load turns that into EX_CONFIG), or as each says.
 */
#ifndef CONFIG_FILE_H
#define CONFIG_FILE_H

#include <stdbool.h>

#include <yaml.h>

#include "config.h"

#define REGION_HINT	"use a region code such as us-east-1"
#define ROLE_ARN_HINT	"use a role ARN such as " \
    "arn:aws:iam::111122223333:role/BedrockTrailReader"
#define URL_HINT	"use a URL that starts with https://"

/*
 * Reads path into cfg over its defaults, reporting every problem in it. A
 * missing file is fine unless must_exist.
 */
int config_read_file(struct config *cfg, const char *path, bool must_exist);

/*
 * NULL when url will do as endpoint_url, else why not (in buf, of size,
 * or a constant): not a URL libcurl accepts, a scheme other than https://
 * (http:// only for a loopback host), a user name, query or fragment.
 */
const char *config_url_problem(const char *url, char *buf, size_t size);
/* config_url_problem(url) == NULL, for callers that give their own words. */
bool config_url_valid(const char *url);

/* One file being read: problems are counted, not fatal, to report them all. */
struct config_parse {
	const char *file;
	yaml_document_t *doc;
	struct config *cfg;
	int nerr;
};

/* "FILE:LINE:COL: message", counted in p->nerr. */
void config_error_at(struct config_parse *, yaml_mark_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));
bool config_is_null(const yaml_node_t *);
/* The text of a scalar, or NULL after saying "'KEY' must be WANT". */
const char *config_scalar(struct config_parse *, const yaml_node_t *,
    const char *key, const char *want);

/* config_accounts.c: the keys of many accounts (SPEC section 7). */
void config_accounts(struct config_parse *, const yaml_node_t *);
void config_organization(struct config_parse *, const yaml_node_t *);
/* After the file: every account has a role to assume. */
int config_accounts_check(const struct config *);

#endif
