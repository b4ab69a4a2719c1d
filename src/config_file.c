/*
 * The configuration file: YAML read with libyaml, strictly. Every key has
 * a kind; an unknown key, a wrong type or a bad value is reported with the
 * file, line and column, and all problems in the file are reported at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <yaml.h>

#include "config.h"
#include "config_file.h"
#include "log.h"
#include "regions.h"

enum key_kind {
	KEY_REGIONS,
	KEY_LIST,		/* may be empty */
	KEY_NONEMPTY_LIST,
	KEY_EXTRA,
	KEY_DURATION,
	KEY_STRING,
	KEY_ROLE_ARN,
	KEY_URL,
	KEY_RATE,
	KEY_ATTEMPTS,
	KEY_CONCURRENCY,
	KEY_ACCOUNTS,
	KEY_ORGANIZATION,
};

struct config_key {
	const char *name;
	enum key_kind kind;
	size_t off;		/* of the field in struct config */
	long min, max;		/* durations, in seconds */
	const char *example;	/* durations: "a duration such as ..." */
	const char *range;	/* durations: "between 1s and 1h" */
};

#define K(name, kind, field) \
	{ name, kind, offsetof(struct config, field), 0, 0, NULL, NULL }
#define D(name, field, min, max, example, range) \
	{ name, KEY_DURATION, offsetof(struct config, field), min, max, \
	    example, range }
static const struct config_key config_keys[] = {
	K("regions", KEY_REGIONS, regions),
	K("event_sources", KEY_NONEMPTY_LIST, event_sources),
	K("event_names", KEY_LIST, event_names),
	D("first_poll_lookback", first_poll_lookback, 1, 90 * 86400, "24h",
	    "between 1s and 90d"),
	D("overlap", overlap, 0, 90 * 86400, "15m", "between 0s and 90d"),
	K("output", KEY_STRING, output),
	K("discoveries_output", KEY_STRING, discoveries_output),
	K("models_allowed", KEY_LIST, models_allowed),
	K("models_denied", KEY_LIST, models_denied),
	K("state_file", KEY_STRING, state_file),
	K("credentials_file", KEY_STRING, credentials_file),
	K("key_file", KEY_STRING, key_file),
	K("profile", KEY_STRING, profile),
	K("role_arn", KEY_ROLE_ARN, role_arn),
	K("external_id", KEY_STRING, external_id),
	K("role_session_name", KEY_STRING, role_session_name),
	K("endpoint_url", KEY_URL, endpoint_url),
	K("ca_bundle", KEY_STRING, ca_bundle),
	K("max_requests_per_second", KEY_RATE, max_requests_per_second),
	K("max_attempts", KEY_ATTEMPTS, max_attempts),
	D("timeout", timeout, 1, 3600, "60s", "between 1s and 1h"),
	D("max_run_time", max_run_time, 1, 86400, "6h", "between 1s and 1d"),
	K("extra_fields", KEY_EXTRA, extra_fields),
	K("accounts", KEY_ACCOUNTS, accounts),
	K("organization", KEY_ORGANIZATION, organization),
	K("role_name", KEY_STRING, role_name),
	K("max_concurrency", KEY_CONCURRENCY, max_concurrency),
	K("log_format", KEY_STRING, log_format),
};
#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))
#undef K
#undef D

static const char *const extra_names[] = {
	[EXTRA_SOURCE_IP] = "sourceIPAddress",
	[EXTRA_USER_AGENT] = "userAgent",
	[EXTRA_INFERENCE_REGION] = "inferenceRegion",
	[EXTRA_ACCOUNT_NAME] = "accountName",
};
#define NEXTRA (sizeof(extra_names) / sizeof(extra_names[0]))

void
config_error_at(struct config_parse *p, yaml_mark_t mark, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%zu:%zu: %s", p->file, mark.line + 1, mark.column + 1,
	    msg);
	p->nerr++;
}

/* arn:PARTITION:iam::ACCOUNT:role/NAME, ACCOUNT twelve digits. */
bool
config_role_arn_valid(const char *s)
{
	const char *p;

	if (strncmp(s, "arn:aws", 7) != 0 || (p = strchr(s + 4, ':')) == NULL ||
	    strncmp(p, ":iam::", 6) != 0)
		return false;
	p += 6;
	if (strspn(p, "0123456789") != 12 || strncmp(p + 12, ":role/", 6) != 0)
		return false;
	p += 18;
	return *p != '\0' && strlen(p) <= 512 && strspn(p,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "+=,.@_-/") == strlen(p);
}

bool
config_region_valid(const char *s)
{
	size_t groups = 0, n;

	/* ^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$ */
	if (strlen(s) > 40 || strspn(s, "abcdefghijklmnopqrstuvwxyz") != 2)
		return false;
	for (s += 2; *s == '-'; s += n, groups++) {
		s++;
		n = strspn(s, "0123456789");
		if (n > 0)
			return groups > 0 && n <= 2 && s[n] == '\0';
		n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
		if (n == 0)
			return false;
	}
	return false;
}

bool
config_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	v = (const char *)n->data.scalar.value;
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

/* The text of a scalar, or NULL after saying "'KEY' must be WANT". */
const char *
config_scalar(struct config_parse *p, const yaml_node_t *n, const char *key,
    const char *want)
{
	if (n->type != YAML_SCALAR_NODE || config_is_null(n) ||
	    strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		config_error_at(p, n->start_mark, "'%s' must be %s", key, want);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static void
config_list_item(struct config_parse *p, const struct config_key *k,
    const yaml_node_t *n, const char *s, struct strlist *seen)
{
	char buf[128];
	size_t i;

	if (strlist_contains(seen, s)) {
		config_error_at(p, n->start_mark, "'%s' lists '%s' twice",
		    k->name, log_clean(buf, sizeof(buf), s));
		return;
	}
	strlist_add(seen, s);
	if (k->kind == KEY_REGIONS && !config_region_valid(s)) {
		config_error_at(p, n->start_mark, "invalid region '%s': "
		    REGION_HINT, log_clean(buf, sizeof(buf), s));
		return;
	}
	if (k->kind != KEY_EXTRA)
		return;
	for (i = 0; i < NEXTRA; i++)
		if (strcmp(s, extra_names[i]) == 0)
			break;
	if (i == NEXTRA) {
		config_error_at(p, n->start_mark, "unknown extra field '%s': "
		    "use sourceIPAddress, userAgent, inferenceRegion or "
		    "accountName",
		    log_clean(buf, sizeof(buf), s));
		return;
	}
	p->cfg->extra_fields[p->cfg->nextra_fields++] = (enum extra_field)i;
}

static void
config_list(struct config_parse *p, const struct config_key *k,
    const yaml_node_t *n)
{
	struct strlist items = { 0 };
	yaml_node_item_t *i;
	const char *s;
	int nerr = p->nerr;

	if (k->kind == KEY_REGIONS && n->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)n->data.scalar.value, "all") == 0) {
		config_regions_all(p->cfg, "aws");
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		config_error_at(p, n->start_mark, k->kind == KEY_REGIONS ?
		    "'%s' must be a list of region codes or 'all'" :
		    "'%s' must be a list of strings", k->name);
		return;
	}
	if (n->data.sequence.items.start == n->data.sequence.items.top &&
	    (k->kind == KEY_REGIONS || k->kind == KEY_NONEMPTY_LIST)) {
		config_error_at(p, n->start_mark, "'%s' must not be empty",
		    k->name);
		return;
	}
	if (k->kind == KEY_EXTRA)
		p->cfg->nextra_fields = 0;
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	    i++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *i);

		if ((s = config_scalar(p, e, k->name, "a list of strings")))
			config_list_item(p, k, e, s, &items);
	}
	if (k->kind == KEY_EXTRA || p->nerr != nerr) {
		strlist_free(&items);
		return;
	}
	strlist_free((struct strlist *)((char *)p->cfg + k->off));
	*(struct strlist *)((char *)p->cfg + k->off) = items;
	if (k->kind == KEY_REGIONS)
		p->cfg->regions_all = false;
}

static void
config_duration(struct config_parse *p, const struct config_key *k,
    const yaml_node_t *n)
{
	char want[64];
	const char *s;
	long v;

	snprintf(want, sizeof(want), "a duration such as %s", k->example);
	if ((s = config_scalar(p, n, k->name, want)) == NULL)
		return;
	/* A plain number is seconds, as in most cron-era configs. */
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) <= 9)
		v = strtol(s, NULL, 10);
	else if (duration_parse(s, &v) == -1) {
		config_error_at(p, n->start_mark, "'%s' must be %s", k->name,
		    want);
		return;
	}
	if (v < k->min || v > k->max) {
		config_error_at(p, n->start_mark, "'%s' must be %s", k->name,
		    k->range);
		return;
	}
	*(long *)((char *)p->cfg + k->off) = v;
}

/* Numbers must be plain YAML numbers: a quoted "2" is a string. */
static void
config_number(struct config_parse *p, const struct config_key *k,
    const yaml_node_t *n)
{
	bool rate = k->kind == KEY_RATE;
	long max = k->kind == KEY_CONCURRENCY ? 256 : 20;
	char want[64];
	const char *s;
	char *end;
	double v;

	if (rate)
		snprintf(want, sizeof(want), "a number greater than 0 and at "
		    "most 100");
	else
		snprintf(want, sizeof(want), "a whole number from 1 to %ld",
		    max);
	if ((s = config_scalar(p, n, k->name, want)) == NULL)
		return;
	v = strtod(s, &end);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    strspn(s, rate ? "0123456789." : "0123456789") != strlen(s) ||
	    *s == '.' || *end != '\0' ||
	    (rate ? !(v > 0 && v <= 100) : !(v >= 1 && v <= (double)max))) {
		config_error_at(p, n->start_mark, "'%s' must be %s", k->name,
		    want);
		return;
	}
	if (rate)
		p->cfg->max_requests_per_second = v;
	else
		*(int *)((char *)p->cfg + k->off) = (int)v;
}

static void
config_string(struct config_parse *p, const struct config_key *k,
    const yaml_node_t *n)
{
	char buf[128], why[128], **field = (char **)((char *)p->cfg + k->off);
	const char *s, *problem;

	if ((s = config_scalar(p, n, k->name, "a string")) == NULL)
		return;
	if (*s == '\0') {
		config_error_at(p, n->start_mark, "'%s' must not be empty",
		    k->name);
		return;
	}
	if (k->kind == KEY_URL &&
	    (problem = config_url_problem(s, why, sizeof(why))) != NULL) {
		config_error_at(p, n->start_mark, "invalid %s '%s': %s",
		    k->name, log_clean(buf, sizeof(buf), s), problem);
		return;
	}
	if (k->kind == KEY_ROLE_ARN && !config_role_arn_valid(s)) {
		config_error_at(p, n->start_mark, "invalid role arn '%s': "
		    ROLE_ARN_HINT, log_clean(buf, sizeof(buf), s));
		return;
	}
	free(*field);
	*field = xstrdup(s);
}

static void
config_value(struct config_parse *p, const struct config_key *k,
    const yaml_node_t *n)
{
	switch (k->kind) {
	case KEY_REGIONS:
	case KEY_LIST:
	case KEY_NONEMPTY_LIST:
	case KEY_EXTRA:
		config_list(p, k, n);
		break;
	case KEY_DURATION:
		config_duration(p, k, n);
		break;
	case KEY_STRING:
	case KEY_URL:
	case KEY_ROLE_ARN:
		config_string(p, k, n);
		break;
	case KEY_RATE:
	case KEY_ATTEMPTS:
	case KEY_CONCURRENCY:
		config_number(p, k, n);
		break;
	case KEY_ACCOUNTS:
		config_accounts(p, n);
		break;
	case KEY_ORGANIZATION:
		config_organization(p, n);
		break;
	}
}

static void
config_mapping(struct config_parse *p, const yaml_node_t *root)
{
	unsigned int seen = 0;
	yaml_node_pair_t *pair;
	char buf[128];
	size_t i;

	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pair->value);
		const char *name;

		if (kn->type != YAML_SCALAR_NODE) {
			config_error_at(p, kn->start_mark,
			    "keys must be strings");
			continue;
		}
		name = (const char *)kn->data.scalar.value;
		for (i = 0; i < NKEYS; i++)
			if (strcmp(name, config_keys[i].name) == 0)
				break;
		if (i == NKEYS || strlen(name) != kn->data.scalar.length) {
			config_error_at(p, kn->start_mark, "unknown key '%s'",
			    log_clean(buf, sizeof(buf), name));
			continue;
		}
		if (seen & (1u << i)) {
			config_error_at(p, kn->start_mark,
			    "duplicate key '%s'", name);
			continue;
		}
		seen |= 1u << i;
		config_value(p, &config_keys[i], vn);
	}
}

/*
 * libyaml gives a byte offset for encoding errors: turn it into a line and
 * column like every other message.
 */
static yaml_mark_t
config_offset_mark(FILE *f, size_t offset)
{
	yaml_mark_t m = { 0 };
	int c;

	rewind(f);
	for (; m.index < offset && (c = getc(f)) != EOF; m.index++) {
		if (c == '\n') {
			m.line++;
			m.column = 0;
		} else if ((c & 0xc0) != 0x80)
			m.column++;
	}
	return m;
}

static void
config_syntax_error(struct config_parse *p, yaml_parser_t *y, FILE *f)
{
	yaml_mark_t m = y->problem_mark;

	if (y->error == YAML_READER_ERROR)
		m = config_offset_mark(f, y->problem_offset);
	config_error_at(p, m, "invalid yaml: %s%s%s",
	    y->problem ? y->problem : "unknown error",
	    y->context ? " " : "", y->context ? y->context : "");
}

static void
config_document(struct config_parse *p, yaml_parser_t *y, FILE *f)
{
	yaml_document_t doc, more;
	yaml_node_t *root;

	if (!yaml_parser_load(y, &doc)) {
		config_syntax_error(p, y, f);
		return;
	}
	p->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* An empty file, or one with only comments or "---", is defaults. */
	if (root != NULL && root->type == YAML_MAPPING_NODE)
		config_mapping(p, root);
	else if (root != NULL && !config_is_null(root))
		config_error_at(p, root->start_mark,
		    "top level must be a mapping of keys to values");
	yaml_document_delete(&doc);
	p->doc = NULL;

	if (!yaml_parser_load(y, &more)) {
		config_syntax_error(p, y, f);
		return;
	}
	if ((root = yaml_document_get_root_node(&more)) != NULL)
		config_error_at(p, root->start_mark,
		    "only one yaml document is allowed");
	yaml_document_delete(&more);
}

int
config_read_file(struct config *cfg, const char *path, bool must_exist)
{
	struct config_parse p = { path, NULL, cfg, 0 };
	yaml_parser_t y;
	struct stat st;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		log_error("%s: cannot read config file: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("%s: cannot read config file: %s", path,
		    strerror(EISDIR));
		fclose(f);
		return -1;
	}
	cfg->path = xstrdup(path);
	if (!yaml_parser_initialize(&y)) {
		log_error("%s: out of memory", path);
		fclose(f);
		return -1;
	}
	yaml_parser_set_input_file(&y, f);
	config_document(&p, &y, f);
	yaml_parser_delete(&y);
	fclose(f);
	return p.nerr > 0 ? -1 : 0;
}

const char *
extra_field_name(enum extra_field f)
{
	if ((size_t)f < NEXTRA)
		return extra_names[f];
	return "?";
}
