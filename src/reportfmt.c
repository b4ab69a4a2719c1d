/*
 * report's output: a table for people, JSON and CSV for programs. The
 * names come from CloudTrail records, i.e. from whoever called Bedrock
 * (a modelId is the caller's own text): the table never passes a control
 * character to the terminal, and JSON and CSV quote everything.
 */
#include "reportfmt.h"

#include <stdbool.h>
#include <string.h>

#include "util.h"

/* Column widths of the Models table: 44 + 1 + 10 + 1 + 10 + 1 + 11. */
#define W_MODEL		44
#define W_CALLS		10
#define W_ERRORS	10
#define W_PRINCIPALS	11
/* "unlisted" */
#define W_POLICY	8
/* Indent of the lines under a model, and of a principal after its calls. */
#define W_INDENT	4
#define W_PCALLS	10
#define W_ACCOUNT	(W_MODEL - W_ERRORS - 1)

/* Bytes in the UTF-8 sequence that starts with c (the input is valid). */
static size_t
u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static size_t
u8count(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s += u8len((unsigned char)*s))
		n++;
	return n;
}

/*
 * Characters that would steer the terminal rather than show: C0, DEL,
 * C1, and the bidirectional overrides that can make a name read as
 * another (U+200E-F, U+202A-E, U+2066-9).
 */
static bool
unsafe(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] < 0xa0))
		return true;
	if (p[0] != 0xe2)
		return false;
	return (p[1] == 0x80 && ((p[2] >= 0x8e && p[2] <= 0x8f) ||
	    (p[2] >= 0xaa && p[2] <= 0xae))) ||
	    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
}

/* Appends n characters of *s, the unsafe ones as '?'. */
static void
put_chars(struct strbuf *sb, const char **s, size_t n)
{
	for (; n > 0 && **s != '\0'; n--) {
		const unsigned char *p = (const unsigned char *)*s;
		size_t len = u8len(*p);

		if (unsafe(p))
			strbuf_add(sb, "?", 1);
		else
			strbuf_add(sb, p, len);
		*s += len;
	}
}

/* How much of the width a cut name keeps from its end. */
enum cut { CUT_MIDDLE, CUT_END };

/*
 * Appends s in at most width columns, padded to width when pad. A longer
 * s keeps its start and its end around "...": an ARN's account and its
 * session or resource id, "arn:aws:sts::123456789012:as...app/i-0abc".
 * CUT_END keeps two thirds from the end, for the narrow model column where
 * model ARNs all start alike and differ only at the end.
 */
static void
put_cell(struct strbuf *sb, const char *s, size_t width, enum cut cut,
    bool pad)
{
	size_t n = u8count(s), head, tail;

	if (n <= width) {
		put_chars(sb, &s, n);
		for (; pad && n < width; n++)
			strbuf_add(sb, " ", 1);
		return;
	}
	tail = cut == CUT_END ? (width - 3) * 2 / 3 : (width - 3) / 2;
	head = width - 3 - tail;
	put_chars(sb, &s, head);
	strbuf_adds(sb, "...");
	for (n -= head; n > tail; n--)
		s += u8len((unsigned char)*s);
	put_chars(sb, &s, tail);
}

static void
put_line(FILE *f, struct strbuf *sb)
{
	strbuf_add(sb, "\n", 1);
	fwrite(sb->buf, 1, sb->len, f);
	strbuf_reset(sb);
}

/* "    regions a, b, c", wrapped under the first region. */
static void
table_regions(FILE *f, struct strbuf *sb, const struct reportagg_model *m)
{
	static const char label[] = "    regions ";
	const size_t indent = sizeof(label) - 1;
	/* Room for the comma: a region never runs past the edge. */
	const size_t max = REPORTFMT_WIDTH - indent - 1;
	size_t col = indent;

	strbuf_adds(sb, label);
	if (m->nregions == 0)
		strbuf_adds(sb, "none");
	for (size_t i = 0; i < m->nregions; i++) {
		bool last = i + 1 == m->nregions;
		size_t w = u8count(m->regions[i]);

		w = (w < max ? w : max) + !last;
		if (i > 0 && col + 1 + w > REPORTFMT_WIDTH) {
			put_line(f, sb);
			strbuf_addf(sb, "%*s", (int)indent, "");
			col = indent;
		} else if (i > 0) {
			strbuf_adds(sb, " ");
			col++;
		}
		put_cell(sb, m->regions[i], max, CUT_MIDDLE, false);
		if (!last)
			strbuf_adds(sb, ",");
		col += w;
	}
	put_line(f, sb);
}

/* "ACCOUNT MODEL" with --by account, else the model. */
static const char *
row_name(struct strbuf *sb, const char *account, const char *model)
{
	if (account == NULL)
		return model;
	strbuf_reset(sb);
	strbuf_addf(sb, "%s %s", account, model);
	return sb->buf;
}

/* With a model policy, the model column makes room for its verdict. */
static bool
has_policy(const struct reportagg_result *r)
{
	for (size_t i = 0; i < r->nmodels; i++)
		if (r->models[i].policy != NULL)
			return true;
	return false;
}

static void
table_models(FILE *f, struct strbuf *sb, const struct reportagg_result *r)
{
	bool policy = has_policy(r);
	int wmodel = policy ? W_MODEL - W_POLICY - 1 : W_MODEL;
	char first[32], last[32];
	struct strbuf name = { 0 };

	fprintf(f, "Models\n%-*s %*s %*s %*s%s\n", wmodel, "MODEL", W_CALLS,
	    "CALLS", W_ERRORS, "ERRORS", W_PRINCIPALS, "PRINCIPALS",
	    policy ? " POLICY" : "");
	if (r->nmodels == 0)
		fputs("no records\n", f);
	for (size_t i = 0; i < r->nmodels; i++) {
		const struct reportagg_model *m = &r->models[i];

		put_cell(sb, row_name(&name, m->account, m->name),
		    (size_t)wmodel, CUT_END, true);
		strbuf_addf(sb, " %*llu %*llu %*zu", W_CALLS, m->calls,
		    W_ERRORS, m->errors, W_PRINCIPALS, m->nprincipals);
		if (policy)
			strbuf_addf(sb, " %s", m->policy ? m->policy : "");
		put_line(f, sb);
		table_regions(f, sb, m);
		fprintf(f, "%*sfirst seen %s   last seen %s\n", W_INDENT, "",
		    time_format_iso8601(m->first, first, sizeof(first)),
		    time_format_iso8601(m->last, last, sizeof(last)));
	}
	strbuf_free(&name);
}

static void
table_principals(FILE *f, struct strbuf *sb,
    const struct reportagg_result *r)
{
	const struct reportagg_principal *prev = NULL;
	struct strbuf name = { 0 };

	fprintf(f, "Principals by model\n%*s  %s\n", W_PCALLS, "CALLS",
	    "PRINCIPAL");
	if (r->nprincipals == 0)
		fputs("no records\n", f);
	for (size_t i = 0; i < r->nprincipals; i++) {
		const struct reportagg_principal *p = &r->principals[i];

		if (prev == NULL || strcmp(prev->model, p->model) != 0 ||
		    prev->account != p->account) {
			prev = p;
			put_cell(sb, row_name(&name, p->account, p->model),
			    REPORTFMT_WIDTH, CUT_MIDDLE, false);
			put_line(f, sb);
		}
		strbuf_addf(sb, "%*llu  ", W_PCALLS, p->calls);
		put_cell(sb, p->principal, REPORTFMT_WIDTH - W_PCALLS - 2,
		    CUT_MIDDLE, false);
		put_line(f, sb);
	}
	strbuf_free(&name);
}

/* Many accounts (SPEC section 7): each account's figures. */
static void
table_accounts(FILE *f, struct strbuf *sb, const struct reportagg_result *r)
{
	char first[32], last[32];

	fprintf(f, "Accounts\n%-*s %*s %*s %*s %*s\n", W_ACCOUNT, "ACCOUNT",
	    W_CALLS, "CALLS", W_ERRORS, "ERRORS", W_ERRORS, "MODELS",
	    W_PRINCIPALS, "PRINCIPALS");
	for (size_t i = 0; i < r->naccounts; i++) {
		const struct reportagg_model *a = &r->accounts[i];

		put_cell(sb, a->name, W_ACCOUNT, CUT_END, true);
		strbuf_addf(sb, " %*llu %*llu %*zu %*zu", W_CALLS, a->calls,
		    W_ERRORS, a->errors, W_ERRORS, a->nmodels, W_PRINCIPALS,
		    a->nprincipals);
		put_line(f, sb);
		table_regions(f, sb, a);
		fprintf(f, "%*sfirst seen %s   last seen %s\n", W_INDENT, "",
		    time_format_iso8601(a->first, first, sizeof(first)),
		    time_format_iso8601(a->last, last, sizeof(last)));
	}
}

void
reportfmt_table(FILE *f, const struct reportagg_result *r)
{
	struct strbuf sb = { 0 };

	table_models(f, &sb, r);
	fputc('\n', f);
	table_principals(f, &sb, r);
	if (r->naccounts > 1) {
		fputc('\n', f);
		table_accounts(f, &sb, r);
	}
	fprintf(f, "\n%llu record%s, %zu model%s\n", r->records,
	    r->records == 1 ? "" : "s", r->nmodels, r->nmodels == 1 ? "" : "s");
	strbuf_free(&sb);
}

/* --by account: "accountId" first in each row. */
static void
json_account_id(struct strbuf *sb, const char *account)
{
	if (account == NULL)
		return;
	strbuf_adds(sb, "\"accountId\":");
	strbuf_add_json_string(sb, account);
	strbuf_adds(sb, ",");
}

static void
json_model(struct strbuf *sb, const struct reportagg_model *m)
{
	char first[32], last[32];

	strbuf_adds(sb, "{");
	json_account_id(sb, m->account);
	strbuf_adds(sb, "\"modelName\":");
	strbuf_add_json_string(sb, m->name);
	strbuf_addf(sb, ",\"calls\":%llu,\"errors\":%llu,\"principals\":%zu,"
	    "\"regions\":[", m->calls, m->errors, m->nprincipals);
	for (size_t i = 0; i < m->nregions; i++) {
		if (i > 0)
			strbuf_adds(sb, ",");
		strbuf_add_json_string(sb, m->regions[i]);
	}
	strbuf_addf(sb, "],\"firstSeen\":\"%s\",\"lastSeen\":\"%s\"",
	    time_format_iso8601(m->first, first, sizeof(first)),
	    time_format_iso8601(m->last, last, sizeof(last)));
	if (m->policy != NULL)
		strbuf_addf(sb, ",\"policy\":\"%s\"", m->policy);
	strbuf_adds(sb, "}");
}

static void
json_principal(struct strbuf *sb, const struct reportagg_principal *p)
{
	strbuf_adds(sb, "{");
	json_account_id(sb, p->account);
	strbuf_adds(sb, "\"principal\":");
	strbuf_add_json_string(sb, p->principal);
	strbuf_adds(sb, ",\"modelName\":");
	strbuf_add_json_string(sb, p->model);
	strbuf_addf(sb, ",\"calls\":%llu}", p->calls);
}

static void
json_account(struct strbuf *sb, const struct reportagg_model *a)
{
	char first[32], last[32];

	strbuf_adds(sb, "{\"accountId\":");
	strbuf_add_json_string(sb, a->name);
	strbuf_addf(sb, ",\"calls\":%llu,\"errors\":%llu,\"models\":%zu,"
	    "\"principals\":%zu,\"regions\":[", a->calls, a->errors,
	    a->nmodels, a->nprincipals);
	for (size_t i = 0; i < a->nregions; i++) {
		if (i > 0)
			strbuf_adds(sb, ",");
		strbuf_add_json_string(sb, a->regions[i]);
	}
	strbuf_addf(sb, "],\"firstSeen\":\"%s\",\"lastSeen\":\"%s\"}",
	    time_format_iso8601(a->first, first, sizeof(first)),
	    time_format_iso8601(a->last, last, sizeof(last)));
}

/* Item by item, so the output is never held whole in memory. */
void
reportfmt_json(FILE *f, const struct reportagg_result *r)
{
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "{\"models\":[");
	for (size_t i = 0; i < r->nmodels; i++) {
		if (i > 0)
			strbuf_adds(&sb, ",");
		json_model(&sb, &r->models[i]);
		fwrite(sb.buf, 1, sb.len, f);
		strbuf_reset(&sb);
	}
	strbuf_adds(&sb, "],\"principals\":[");
	for (size_t i = 0; i < r->nprincipals; i++) {
		if (i > 0)
			strbuf_adds(&sb, ",");
		json_principal(&sb, &r->principals[i]);
		fwrite(sb.buf, 1, sb.len, f);
		strbuf_reset(&sb);
	}
	strbuf_adds(&sb, "]");
	for (size_t i = 0; r->naccounts > 1 && i < r->naccounts; i++) {
		strbuf_adds(&sb, i > 0 ? "," : ",\"accounts\":[");
		json_account(&sb, &r->accounts[i]);
		fwrite(sb.buf, 1, sb.len, f);
		strbuf_reset(&sb);
	}
	strbuf_addf(&sb, "%s,\"records\":%llu,\"malformed\":%llu}\n",
	    r->naccounts > 1 ? "]" : "", r->records, r->malformed);
	fwrite(sb.buf, 1, sb.len, f);
	strbuf_free(&sb);
}

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void
csv_field(struct strbuf *sb, const char *s)
{
	strbuf_adds(sb, ",");
	if (strpbrk(s, ",\"\r\n") == NULL) {
		strbuf_adds(sb, s);
		return;
	}
	strbuf_adds(sb, "\"");
	/* Each quote is doubled: written with the run before it, then again. */
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		strbuf_add(sb, s, (size_t)(q - s + 1));
		strbuf_adds(sb, "\"");
	}
	strbuf_adds(sb, s);
	strbuf_adds(sb, "\"");
}

static void
csv_model(struct strbuf *sb, const struct reportagg_model *m, bool policy)
{
	struct strbuf regions = { 0 };
	char first[32], last[32];

	for (size_t i = 0; i < m->nregions; i++) {
		if (i > 0)
			strbuf_adds(&regions, " ");
		strbuf_adds(&regions, m->regions[i]);
	}
	strbuf_adds(sb, "model");
	if (m->account != NULL)
		csv_field(sb, m->account);
	csv_field(sb, m->name);
	strbuf_addf(sb, ",,%llu,%llu,%zu", m->calls, m->errors,
	    m->nprincipals);
	csv_field(sb, regions.buf != NULL ? regions.buf : "");
	strbuf_addf(sb, ",%s,%s%s%s\r\n",
	    time_format_iso8601(m->first, first, sizeof(first)),
	    time_format_iso8601(m->last, last, sizeof(last)),
	    policy ? "," : "", policy && m->policy ? m->policy : "");
	strbuf_free(&regions);
}

void
reportfmt_csv(FILE *f, const struct reportagg_result *r)
{
	struct strbuf sb = { 0 };
	bool policy = has_policy(r);
	bool by = r->nmodels > 0 && r->models[0].account != NULL;

	fprintf(f, "section,%smodelName,principal,calls,errors,principals,"
	    "regions,firstSeen,lastSeen%s\r\n", by ? "accountId," : "",
	    policy ? ",policy" : "");
	for (size_t i = 0; i < r->nmodels; i++) {
		csv_model(&sb, &r->models[i], policy);
		fwrite(sb.buf, 1, sb.len, f);
		strbuf_reset(&sb);
	}
	for (size_t i = 0; i < r->nprincipals; i++) {
		strbuf_adds(&sb, "principal");
		if (r->principals[i].account != NULL)
			csv_field(&sb, r->principals[i].account);
		csv_field(&sb, r->principals[i].model);
		csv_field(&sb, r->principals[i].principal);
		strbuf_addf(&sb, ",%llu,,,,,%s\r\n", r->principals[i].calls,
		    policy ? "," : "");
		fwrite(sb.buf, 1, sb.len, f);
		strbuf_reset(&sb);
	}
	strbuf_free(&sb);
}

void
reportfmt_cell(struct strbuf *sb, const char *s, size_t width, bool pad)
{
	put_cell(sb, s, width, CUT_MIDDLE, pad);
}

void
reportfmt_csv_field(struct strbuf *sb, const char *s)
{
	csv_field(sb, s);
}
