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

#include <cjson/cJSON.h>

#include "log.h"
#include "policy.h"
#include "strset.h"
#include "util.h"

/* Open addressing from a string to a zeroed value of a fixed size. */
struct map_slot {
	char *key;		/* NULL: empty */
	void *val;
};

struct map {
	struct map_slot *slots;
	size_t nslots, count;
};

struct model {
	unsigned long long calls, errors;
	struct map principals;	/* -> unsigned long long calls */
	struct strset regions;
	time_t first, last;
};

struct reportagg {
	time_t since, until;
	struct map models;	/* -> struct model */
	unsigned long long records, malformed;
	struct reportagg_result result;
	const char **regions;	/* every model's sorted regions, end to end */
	const struct strlist *allowed, *denied;	/* NULL: no policy */
};

/* FNV-1a, as strset: the keys come from our own poll output. */
static size_t
map_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct map_slot *
map_slot(struct map_slot *slots, size_t nslots, const char *key)
{
	size_t i = map_hash(key) & (nslots - 1);

	while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static void
map_grow(struct map *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 16;
	struct map_slot *slots = xcalloc(n, sizeof(*slots));

	for (size_t i = 0; i < m->nslots; i++)
		if (m->slots[i].key != NULL)
			*map_slot(slots, n, m->slots[i].key) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
}

/* The value for key, added zeroed (valsize bytes) when new. */
static void *
map_get(struct map *m, const char *key, size_t valsize)
{
	struct map_slot *s;

	if ((m->count + 1) * 4 > m->nslots * 3)
		map_grow(m);
	s = map_slot(m->slots, m->nslots, key);
	if (s->key == NULL) {
		s->key = xstrdup(key);
		s->val = xcalloc(1, valsize);
		m->count++;
	}
	return s->val;
}

static void *
map_find(const struct map *m, const char *key)
{
	const struct map_slot *s;

	if (m->nslots == 0)
		return NULL;
	s = map_slot(m->slots, m->nslots, key);
	return s->key != NULL ? s->val : NULL;
}

/* Frees the keys and, through val_free when not NULL, the values. */
static void
map_free(struct map *m, void (*val_free)(void *))
{
	for (size_t i = 0; i < m->nslots; i++) {
		if (m->slots[i].key == NULL)
			continue;
		if (val_free != NULL)
			val_free(m->slots[i].val);
		free(m->slots[i].key);
		free(m->slots[i].val);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static void
model_free(void *p)
{
	struct model *mo = p;

	map_free(&mo->principals, NULL);
	strset_free(&mo->regions);
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
	map_free(&ra->models, model_free);
	free(ra);
}

/*
 * RFC 3629 UTF-8: no overlongs, surrogates or code points past U+10FFFF.
 * Our JSON output must stay valid, so such a line is malformed.
 */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return false;
		if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += n + 1;
	}
	return true;
}

static const char *
string_field(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : NULL;
}

/* Who called: the ARN where there is one, else a name, else the type. */
static const char *
principal_of(const cJSON *rec)
{
	const cJSON *ui = cJSON_GetObjectItemCaseSensitive(rec, "userIdentity");
	const char *p;

	if (!cJSON_IsObject(ui))
		return "(unknown)";
	if ((p = string_field(ui, "arn")) != NULL ||
	    (p = string_field(ui, "userName")) != NULL ||
	    (p = string_field(ui, "type")) != NULL)
		return p;
	return "(unknown)";
}

static void
count_record(struct reportagg *ra, const cJSON *rec, time_t t)
{
	const char *name = string_field(rec, "modelName");
	const char *region = string_field(rec, "awsRegion");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "errorCode");
	struct model *mo;
	unsigned long long *pcalls;

	mo = map_get(&ra->models, name != NULL ? name : "(none)",
	    sizeof(*mo));
	if (mo->calls == 0 || t < mo->first)
		mo->first = t;
	if (mo->calls == 0 || t > mo->last)
		mo->last = t;
	mo->calls++;
	if (err != NULL && !cJSON_IsNull(err))
		mo->errors++;
	if (region != NULL)
		strset_add(&mo->regions, region, 0);
	pcalls = map_get(&mo->principals, principal_of(rec), sizeof(*pcalls));
	(*pcalls)++;
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
	else if (memchr(line, '\0', len) != NULL ||
	    !utf8_valid((const unsigned char *)line, len))
		reason = "not UTF-8 text";
	/* The length covers the terminating NUL so trailing bytes fail. */
	else if ((rec = cJSON_ParseWithLengthOpts(line, len + 1, NULL,
	    true)) == NULL)
		reason = "not JSON";
	else if (!cJSON_IsObject(rec))
		reason = "not a JSON object";
	else if ((ts = string_field(rec, "eventTime")) == NULL)
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

static int
model_cmp(const void *a, const void *b)
{
	const struct reportagg_model *x = a, *y = b;

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

static void
fill_model(const struct reportagg *ra, struct reportagg_model *out,
    const char *name, const struct model *mo, struct region_fill *rf)
{
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
    const struct model *mo)
{
	struct reportagg_principal *first = r->principals + r->nprincipals;

	for (size_t i = 0; i < mo->principals.nslots; i++) {
		const struct map_slot *s = &mo->principals.slots[i];
		struct reportagg_principal *p;

		if (s->key == NULL)
			continue;
		p = &r->principals[r->nprincipals++];
		p->principal = s->key;
		p->model = model;
		p->calls = *(const unsigned long long *)s->val;
	}
	qsort(first, mo->principals.count, sizeof(*first), principal_cmp);
}

const struct reportagg_result *
reportagg_result(struct reportagg *ra)
{
	struct reportagg_result *r = &ra->result;
	struct region_fill rf = { NULL, 0 };
	size_t nregions = 0, nprincipals = 0;

	result_free(ra);
	for (size_t i = 0; i < ra->models.nslots; i++) {
		const struct model *mo = ra->models.slots[i].val;

		if (ra->models.slots[i].key == NULL)
			continue;
		nregions += mo->regions.count;
		nprincipals += mo->principals.count;
	}
	r->models = xcalloc(ra->models.count + 1, sizeof(*r->models));
	r->principals = xcalloc(nprincipals + 1, sizeof(*r->principals));
	ra->regions = rf.v = xcalloc(nregions + 1, sizeof(*rf.v));
	for (size_t i = 0; i < ra->models.nslots; i++) {
		const struct map_slot *s = &ra->models.slots[i];

		if (s->key != NULL)
			fill_model(ra, &r->models[r->nmodels++], s->key, s->val,
			    &rf);
	}
	qsort(r->models, r->nmodels, sizeof(*r->models), model_cmp);
	/* Principal rows follow the models' order. */
	for (size_t i = 0; i < r->nmodels; i++) {
		fill_principals(r, r->models[i].name,
		    map_find(&ra->models, r->models[i].name));
	}
	r->records = ra->records;
	r->malformed = ra->malformed;
	return r;
}
