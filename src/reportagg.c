/*
 * report's aggregation: a hash map of models, each with a hash map of its
 * principals and a set of its regions. Lines are parsed one at a time
 * with cJSON and dropped, so only the distinct keys stay in memory.
 */
#include "reportagg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "log.h"
#include "policy.h"
#include "strset.h"
#include "util.h"

struct model {
	unsigned long long calls, errors;
	struct strset principals;	/* -> unsigned long long calls */
	struct strset regions;
	struct strset models;		/* accounts only */
	time_t first, last;
};

struct reportagg {
	time_t since, until;
	struct strset models;	/* -> struct model */
	struct strset accounts;	/* -> struct model, by recipientAccountId */
	unsigned long long records, malformed;
	struct reportagg_result result;
	const char **regions;	/* every model's sorted regions, end to end */
	const struct strlist *allowed, *denied;	/* NULL: no policy */
	bool by_account;	/* models keyed "ACCOUNT MODEL" */
	struct strbuf key;
};

/* The value of key in a strset of values, or NULL. */
static void *
map_find(const struct strset *m, const char *key)
{
	const struct strset_entry *e = strset_find(m, key);

	return e != NULL ? e->value : NULL;
}

static void
model_free(void *p)
{
	struct model *mo = p;

	strset_free(&mo->principals);
	strset_free(&mo->regions);
	strset_free(&mo->models);
}

struct reportagg *
reportagg_new(time_t since, time_t until)
{
	struct reportagg *ra = xcalloc(1, sizeof(*ra));

	ra->since = since;
	ra->until = until;
	return ra;
}

static void
result_free(struct reportagg *ra)
{
	free(ra->result.models);
	free(ra->result.principals);
	free(ra->result.accounts);
	free(ra->regions);
	memset(&ra->result, 0, sizeof(ra->result));
	ra->regions = NULL;
}

void
reportagg_free(struct reportagg *ra)
{
	if (ra == NULL)
		return;
	result_free(ra);
	strbuf_free(&ra->key);
	strset_free_values(&ra->models, model_free);
	strset_free_values(&ra->accounts, model_free);
	free(ra);
}

/* A string member that says something, or NULL. */
/* One call into a model's or an account's figures. */
static void
count_into(struct model *mo, const cJSON *rec, time_t t, const char *name)
{
	const char *region = json_nonempty(rec, "awsRegion");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "errorCode");
	unsigned long long *pcalls;

	if (mo->calls == 0 || t < mo->first)
		mo->first = t;
	if (mo->calls == 0 || t > mo->last)
		mo->last = t;
	mo->calls++;
	if (err != NULL && !cJSON_IsNull(err))
		mo->errors++;
	if (region != NULL)
		strset_add(&mo->regions, region, 0);
	pcalls = strset_value(&mo->principals, json_record_principal(rec),
	    sizeof(*pcalls));
	(*pcalls)++;
	if (name != NULL)
		strset_add(&mo->models, name, 0);
}

static void
count_record(struct reportagg *ra, const cJSON *rec, time_t t)
{
	const char *name = json_nonempty(rec, "modelName");
	const char *acct = json_nonempty(rec, "recipientAccountId");
	const char *key = name != NULL ? name : "(none)";

	/* Account ids have no space: the key splits back at the first. */
	if (ra->by_account) {
		strbuf_reset(&ra->key);
		strbuf_addf(&ra->key, "%s %s", acct != NULL ? acct :
		    "(unknown)", key);
		key = ra->key.buf;
	}
	count_into(strset_value(&ra->models, key, sizeof(struct model)), rec,
	    t, NULL);
	/* An account's models are the named ones. */
	count_into(strset_value(&ra->accounts, acct != NULL ? acct :
	    "(unknown)", sizeof(struct model)), rec, t, name);
	ra->records++;
}

static bool
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

enum reportagg_status
reportagg_add_line(struct reportagg *ra, const char *line, size_t len,
    const char **why)
{
	enum reportagg_status st = REPORTAGG_MALFORMED;
	const char *reason = NULL, *ts;
	cJSON *rec = NULL;
	time_t t;

	if (blank(line, len))
		return REPORTAGG_BLANK;
	if (len > REPORTAGG_LINE_MAX)
		reason = "longer than 1 MiB";
	/* Our JSON output must stay valid: such a line is malformed. */
	else if (memchr(line, '\0', len) != NULL || !utf8_valid(line, len))
		reason = "not UTF-8 text";
	/* The length covers the terminating NUL so trailing bytes fail. */
	else if ((rec = cJSON_ParseWithLengthOpts(line, len + 1, NULL,
	    true)) == NULL)
		reason = "not JSON";
	else if (!cJSON_IsObject(rec))
		reason = "not a JSON object";
	else if ((ts = json_nonempty(rec, "eventTime")) == NULL)
		reason = "no eventTime";
	else if (time_parse_iso8601(ts, &t) == -1)
		reason = "eventTime is not ISO 8601 UTC";
	else if (t < ra->since || t >= ra->until)
		st = REPORTAGG_FILTERED;
	else {
		count_record(ra, rec, t);
		st = REPORTAGG_COUNTED;
	}
	cJSON_Delete(rec);
	if (st == REPORTAGG_MALFORMED) {
		ra->malformed++;
		if (why != NULL)
			*why = reason;
	}
	return st;
}

/*
 * One line into *buf, at most REPORTAGG_LINE_MAX + 1 bytes kept so that a
 * huge line cannot grow memory; *len says how long it really was (capped
 * at REPORTAGG_LINE_MAX + 1). Returns false at the end of the input.
 */
static bool
read_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
	int c = EOF;
	size_t n = 0;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n > REPORTAGG_LINE_MAX)
			continue;
		if (n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			*buf = xrealloc(*buf, *cap);
		}
		(*buf)[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return false;
	if (*buf == NULL)
		*buf = xcalloc(1, *cap = 4096);
	(*buf)[n] = '\0';
	*len = n;
	return true;
}

int
reportagg_read(struct reportagg *ra, FILE *f, const char *name)
{
	char *buf = NULL;
	size_t cap = 0, len;
	unsigned long long lineno = 0;
	const char *why;
	int saved;

	while (read_line(f, &buf, &cap, &len)) {
		lineno++;
		if (reportagg_add_line(ra, buf, len, &why) !=
		    REPORTAGG_MALFORMED)
			continue;
		if (ra->malformed <= REPORTAGG_REPORT_MAX)
			log_error("%s:%llu: malformed record: %s", name, lineno,
			    why);
		if (ra->malformed == REPORTAGG_REPORT_MAX)
			log_error("further malformed records are counted but "
			    "not shown");
	}
	saved = errno;
	free(buf);
	if (ferror(f)) {
		log_error("%s: cannot read: %s", name, strerror(saved));
		return -1;
	}
	return 0;
}

void
reportagg_by_account(struct reportagg *ra)
{
	ra->by_account = true;
}

static int
model_cmp(const void *a, const void *b)
{
	const struct reportagg_model *x = a, *y = b;
	int c;

	if (x->account != NULL && y->account != NULL &&
	    (c = strcmp(x->account, y->account)) != 0)
		return c;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Within a model's rows: calls descending, then principal. */
static int
principal_cmp(const void *a, const void *b)
{
	const struct reportagg_principal *x = a, *y = b;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return strcmp(x->principal, y->principal);
}

static int
region_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct region_fill {
	const char **v;
	size_t n;
};

static void
region_add(const char *key, time_t t, void *arg)
{
	struct region_fill *rf = arg;

	(void)t;
	rf->v[rf->n++] = key;
}

/* The model's figures, its regions appended to rf. */
void
reportagg_policy(struct reportagg *ra, const struct strlist *allowed,
    const struct strlist *denied)
{
	ra->allowed = policy_configured(allowed, denied) ? allowed : NULL;
	ra->denied = denied;
}

/* "ACCOUNT MODEL" of --by account: the account's own string, and MODEL. */
static const char *
split_key(const struct reportagg *ra, const char *key, const char **account)
{
	const char *sp = strchr(key, ' ');
	char id[64];

	*account = NULL;
	if (!ra->by_account || sp == NULL || (size_t)(sp - key) >= sizeof(id))
		return key;
	memcpy(id, key, (size_t)(sp - key));
	id[sp - key] = '\0';
	*account = strset_find(&ra->accounts, id)->key;
	return sp + 1;
}

static void
fill_model(const struct reportagg *ra, struct reportagg_model *out,
    const char *name, const struct model *mo, struct region_fill *rf)
{
	name = split_key(ra, name, &out->account);
	out->name = name;
	out->policy = ra->allowed == NULL || strcmp(name, "(none)") == 0 ?
	    NULL : policy_verdict_name(policy_check(ra->allowed, ra->denied,
	    name));
	out->calls = mo->calls;
	out->errors = mo->errors;
	out->nprincipals = mo->principals.count;
	out->first = mo->first;
	out->last = mo->last;
	out->regions = rf->v + rf->n;
	strset_each(&mo->regions, region_add, rf);
	out->nregions = mo->regions.count;
	qsort(out->regions, out->nregions, sizeof(*out->regions), region_cmp);
}

static void
fill_principals(struct reportagg_result *r, const char *model,
    const char *account, const struct model *mo)
{
	struct reportagg_principal *first = r->principals + r->nprincipals;

	for (size_t i = 0; i < mo->principals.nslots; i++) {
		const struct strset_entry *s = &mo->principals.slots[i];
		struct reportagg_principal *p;

		if (s->key == NULL)
			continue;
		p = &r->principals[r->nprincipals++];
		p->principal = s->key;
		p->model = model;
		p->account = account;
		p->calls = *(const unsigned long long *)s->value;
	}
	qsort(first, mo->principals.count, sizeof(*first), principal_cmp);
}

static void
fill_accounts(const struct reportagg *ra, struct reportagg_result *r,
    struct region_fill *rf)
{
	r->accounts = xcalloc(ra->accounts.count + 1, sizeof(*r->accounts));
	for (size_t i = 0; i < ra->accounts.nslots; i++) {
		const struct strset_entry *s = &ra->accounts.slots[i];
		struct reportagg_model *a;

		if (s->key == NULL)
			continue;
		a = &r->accounts[r->naccounts++];
		fill_model(ra, a, s->key, s->value, rf);
		a->policy = NULL;
		a->nmodels = ((const struct model *)s->value)->models.count;
	}
	qsort(r->accounts, r->naccounts, sizeof(*r->accounts), model_cmp);
}

/* The map's key of a result row: "ACCOUNT MODEL" with --by account. */
static const char *
model_key(struct reportagg *ra, const struct reportagg_model *m)
{
	if (m->account == NULL)
		return m->name;
	strbuf_reset(&ra->key);
	strbuf_addf(&ra->key, "%s %s", m->account, m->name);
	return ra->key.buf;
}

const struct reportagg_result *
reportagg_result(struct reportagg *ra)
{
	struct reportagg_result *r = &ra->result;
	struct region_fill rf = { NULL, 0 };
	size_t nregions = 0, nprincipals = 0;

	result_free(ra);
	for (size_t i = 0; i < ra->models.nslots; i++) {
		const struct model *mo = ra->models.slots[i].value;

		if (ra->models.slots[i].key == NULL)
			continue;
		nregions += mo->regions.count;
		nprincipals += mo->principals.count;
	}
	for (size_t i = 0; i < ra->accounts.nslots; i++)
		if (ra->accounts.slots[i].key != NULL)
			nregions += ((const struct model *)
			    ra->accounts.slots[i].value)->regions.count;
	r->models = xcalloc(ra->models.count + 1, sizeof(*r->models));
	r->principals = xcalloc(nprincipals + 1, sizeof(*r->principals));
	ra->regions = rf.v = xcalloc(nregions + 1, sizeof(*rf.v));
	for (size_t i = 0; i < ra->models.nslots; i++) {
		const struct strset_entry *s = &ra->models.slots[i];

		if (s->key != NULL)
			fill_model(ra, &r->models[r->nmodels++], s->key, s->value,
			    &rf);
	}
	qsort(r->models, r->nmodels, sizeof(*r->models), model_cmp);
	/* Principal rows follow the models' order. */
	for (size_t i = 0; i < r->nmodels; i++) {
		fill_principals(r, r->models[i].name, r->models[i].account,
		    map_find(&ra->models, model_key(ra, &r->models[i])));
	}
	fill_accounts(ra, r, &rf);
	r->records = ra->records;
	r->malformed = ra->malformed;
	return r;
}
