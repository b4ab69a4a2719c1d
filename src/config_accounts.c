/*
 * The keys of many accounts (SPEC section 7): `accounts:`, a list of
 * {id, role_arn, external_id, regions, name}, and `organization:`,
 * {include_accounts, exclude_accounts, include_self}. Checked as strictly
 * as the rest of the file: every problem names the file, line and key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "config_file.h"
#include "log.h"
#include "regions.h"

#define DIGITS	"0123456789"
/* IAM's characters for role names, paths and external ids. */
#define IAM_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	DIGITS "+=,.@_-"

static bool
account_id_valid(const char *s)
{
	return strlen(s) == 12 && strspn(s, DIGITS) == 12;
}

/* arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME */
static bool
role_arn_valid(const char *s, const char *account)
{
	static const char *const parts[] = { "aws", "aws-cn", "aws-us-gov" };
	const char *rest = NULL;
	size_t n;

	if (strncmp(s, "arn:", 4) != 0)
		return false;
	for (size_t i = 0; i < 3; i++) {
		n = strlen(parts[i]);
		if (strncmp(s + 4, parts[i], n) == 0 && s[4 + n] == ':')
			rest = s + 5 + n;
	}
	if (rest == NULL || strncmp(rest, "iam::", 5) != 0 ||
	    !(strspn(rest + 5, DIGITS) == 12 && rest[17] == ':') ||
	    (account != NULL && strncmp(rest + 5, account, 12) != 0))
		return false;
	rest += 18;
	return strncmp(rest, "role/", 5) == 0 && rest[5] != '\0' &&
	    strspn(rest + 5, IAM_CHARS "/") == strlen(rest + 5) &&
	    rest[strlen(rest) - 1] != '/' && strlen(rest + 5) <= 576;
}

static const yaml_node_t *
node(const struct config_parse *p, yaml_node_item_t i)
{
	return yaml_document_get_node(p->doc, i);
}

/* A list of account ids, into out. */
static void
id_list(struct config_parse *p, const yaml_node_t *n, const char *key,
    struct strlist *out)
{
	char buf[64];
	const char *s;

	if (n->type != YAML_SEQUENCE_NODE) {
		config_error_at(p, n->start_mark, "'%s' must be a list of "
		    "12-digit account ids", key);
		return;
	}
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++) {
		const yaml_node_t *e = node(p, *i);

		if ((s = config_scalar(p, e, key, "a list of 12-digit "
		    "account ids")) == NULL)
			continue;
		if (!account_id_valid(s))
			config_error_at(p, e->start_mark, "'%s': '%s' is not a "
			    "12-digit account id", key,
			    log_clean(buf, sizeof(buf), s));
		else if (strlist_contains(out, s))
			config_error_at(p, e->start_mark, "'%s' lists '%s' "
			    "twice", key, s);
		else
			strlist_add(out, s);
	}
}

static void
regions_of(struct config_parse *p, const yaml_node_t *n,
    struct account_config *a)
{
	char buf[64];
	const char *s;

	if (n->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)n->data.scalar.value, "all") == 0) {
		a->regions_all = true;
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.start == n->data.sequence.items.top) {
		config_error_at(p, n->start_mark, "'regions' must be a "
		    "non-empty list of region codes or 'all'");
		return;
	}
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++) {
		const yaml_node_t *e = node(p, *i);

		if ((s = config_scalar(p, e, "regions", "a list of region "
		    "codes")) == NULL)
			continue;
		if (!config_region_valid(s))
			config_error_at(p, e->start_mark, "invalid region "
			    "'%s': " REGION_HINT, log_clean(buf, sizeof(buf), s));
		else if (!strlist_contains(&a->regions, s))
			strlist_add(&a->regions, s);
	}
}

/* A string field of an account: id, role_arn, external_id or name. */
static void
account_string(struct config_parse *p, const yaml_node_t *n,
    const char *key, char **field)
{
	char buf[128];
	const char *s;

	if ((s = config_scalar(p, n, key, "a string")) == NULL)
		return;
	log_clean(buf, sizeof(buf), s);
	if (strcmp(key, "id") == 0 && !account_id_valid(s))
		config_error_at(p, n->start_mark, "'id': '%s' is not a 12-digit "
		    "account id", buf);
	else if (strcmp(key, "role_arn") == 0 && !role_arn_valid(s, NULL))
		config_error_at(p, n->start_mark, "'role_arn': '%s' is not an "
		    "IAM role ARN (arn:aws:iam::123456789012:role/NAME)", buf);
	else if (strcmp(key, "external_id") == 0 && (strlen(s) < 2 ||
	    strlen(s) > 1224 || strspn(s, IAM_CHARS ":/") != strlen(s)))
		config_error_at(p, n->start_mark, "'external_id' must be 2 to "
		    "1224 letters, digits or +=,.@:/_-");
	else if (*s == '\0')
		config_error_at(p, n->start_mark, "'%s' must not be empty", key);
	else {
		free(*field);
		*field = xstrdup(s);
	}
}

static void
account_key(struct config_parse *p, const yaml_node_t *kn,
    const yaml_node_t *vn, struct account_config *a)
{
	const char *k = (const char *)kn->data.scalar.value;
	char buf[64];

	if (strcmp(k, "id") == 0)
		account_string(p, vn, k, &a->id);
	else if (strcmp(k, "role_arn") == 0)
		account_string(p, vn, k, &a->role_arn);
	else if (strcmp(k, "external_id") == 0)
		account_string(p, vn, k, &a->external_id);
	else if (strcmp(k, "name") == 0)
		account_string(p, vn, k, &a->name);
	else if (strcmp(k, "regions") == 0)
		regions_of(p, vn, a);
	else
		config_error_at(p, kn->start_mark, "unknown key '%s' in "
		    "'accounts' (id, role_arn, external_id, regions, name)",
		    log_clean(buf, sizeof(buf), k));
}

static void
account_one(struct config_parse *p, const yaml_node_t *n)
{
	struct config *cfg = p->cfg;
	struct account_config *a;

	if (n->type != YAML_MAPPING_NODE) {
		config_error_at(p, n->start_mark, "each of 'accounts' must be a "
		    "mapping with at least 'id'");
		return;
	}
	cfg->accounts = xrealloc(cfg->accounts,
	    (cfg->naccounts + 1) * sizeof(*cfg->accounts));
	a = &cfg->accounts[cfg->naccounts++];
	memset(a, 0, sizeof(*a));
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *kn = node(p, pr->key);

		if (kn->type != YAML_SCALAR_NODE)
			config_error_at(p, kn->start_mark, "keys must be strings");
		else
			account_key(p, kn, node(p, pr->value), a);
	}
	if (a->id == NULL)
		config_error_at(p, n->start_mark, "an entry of 'accounts' has "
		    "no 'id'");
	else if (a->role_arn != NULL && !role_arn_valid(a->role_arn, a->id))
		config_error_at(p, n->start_mark, "'role_arn' of account %s "
		    "names another account", a->id);
	for (size_t i = 0; a->id != NULL && i + 1 < cfg->naccounts; i++)
		if (cfg->accounts[i].id != NULL &&
		    strcmp(cfg->accounts[i].id, a->id) == 0)
			config_error_at(p, n->start_mark, "'accounts' lists "
			    "%s twice", a->id);
}

void
config_accounts(struct config_parse *p, const yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.start == n->data.sequence.items.top) {
		config_error_at(p, n->start_mark, "'accounts' must be a "
		    "non-empty list of {id, role_arn, external_id, regions, "
		    "name}");
		return;
	}
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++)
		account_one(p, node(p, *i));
}

static void
org_key(struct config_parse *p, const yaml_node_t *kn, const yaml_node_t *vn)
{
	struct org_config *o = &p->cfg->organization;
	const char *k = (const char *)kn->data.scalar.value, *s;
	char buf[64];

	if (strcmp(k, "include_accounts") == 0)
		id_list(p, vn, k, &o->include);
	else if (strcmp(k, "exclude_accounts") == 0)
		id_list(p, vn, k, &o->exclude);
	else if (strcmp(k, "include_self") == 0) {
		s = config_scalar(p, vn, k, "true or false");
		if (s != NULL && strcmp(s, "true") != 0 &&
		    strcmp(s, "false") != 0)
			config_error_at(p, vn->start_mark, "'%s' must be true "
			    "or false", k);
		else if (s != NULL)
			o->include_self = strcmp(s, "true") == 0;
	} else
		config_error_at(p, kn->start_mark, "unknown key '%s' in "
		    "'organization' (include_accounts, exclude_accounts, "
		    "include_self)", log_clean(buf, sizeof(buf), k));
}

void
config_organization(struct config_parse *p, const yaml_node_t *n)
{
	p->cfg->organization.enabled = true;
	p->cfg->organization.include_self = true;
	/* `organization: {}` or an empty `organization:` is every account. */
	if (config_is_null(n))
		return;
	if (n->type != YAML_MAPPING_NODE) {
		config_error_at(p, n->start_mark, "'organization' must be a "
		    "mapping (include_accounts, exclude_accounts, "
		    "include_self)");
		return;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *kn = node(p, pr->key);

		if (kn->type != YAML_SCALAR_NODE)
			config_error_at(p, kn->start_mark, "keys must be strings");
		else
			org_key(p, kn, node(p, pr->value));
	}
}

int
config_accounts_check(const struct config *cfg)
{
	int nerr = 0;

	if (cfg->role_name != NULL && (strlen(cfg->role_name) > 64 ||
	    strspn(cfg->role_name, IAM_CHARS) != strlen(cfg->role_name))) {
		log_error("%s: 'role_name' must be an IAM role name (up to 64 "
		    "letters, digits or +=,.@_-)", config_describe(cfg));
		nerr++;
	}
	if (cfg->organization.enabled && cfg->role_name == NULL) {
		log_error("%s: 'organization' needs 'role_name': the role to "
		    "assume in each member account", config_describe(cfg));
		nerr++;
	}
	for (size_t i = 0; i < cfg->naccounts; i++)
		if (cfg->accounts[i].role_arn == NULL &&
		    cfg->role_name == NULL) {
			log_error("%s: account %s: no 'role_arn', and no "
			    "'role_name' to make one", config_describe(cfg),
			    cfg->accounts[i].id ? cfg->accounts[i].id : "?");
			nerr++;
		}
	return nerr;
}

bool
config_many_accounts(const struct config *cfg)
{
	return cfg->naccounts > 0 || cfg->organization.enabled;
}
