#include "inventory_report.h"

#include <string.h>

#include "policy.h"
#include "reportfmt.h"
#include "util.h"

/* NAME FIRST LAST CALLS POLICY: 39 + 2 + 10 + 2 + 10 + 1 + 7 + 1 + 8. */
#define W_NAME	39
#define W_CALLS	7
#define W_POLICY 8

struct ctx {
	FILE *f;
	const struct config *cfg;
	bool policy;
	struct strbuf sb;
};

static const char *
verdict(const struct ctx *c, const char *model)
{
	if (!c->policy || model == NULL)
		return NULL;
	return policy_verdict_name(policy_check(&c->cfg->models_allowed,
	    &c->cfg->models_denied, model));
}

static void
flush(struct ctx *c)
{
	fwrite(c->sb.buf, 1, c->sb.len, c->f);
	strbuf_reset(&c->sb);
}

static void
table_row(struct ctx *c, const struct inv_item *it, const char *model)
{
	char first[32], last[32];
	const char *v = verdict(c, model);

	reportfmt_cell(&c->sb, it->name, W_NAME, true);
	time_format_iso8601(it->first, first, sizeof(first));
	time_format_iso8601(it->last, last, sizeof(last));
	strbuf_addf(&c->sb, "  %.10s  %.10s %*llu%s%s\n", first, last,
	    W_CALLS, it->calls, v ? " " : "", v ? v : "");
	/* A pair's model on a line of its own, under the principal. */
	if (it->model != NULL) {
		strbuf_adds(&c->sb, "    ");
		reportfmt_cell(&c->sb, it->model, REPORTFMT_WIDTH - 4, false);
		strbuf_adds(&c->sb, "\n");
	}
	flush(c);
}

static void
table_set(struct ctx *c, const char *title, const struct inv_set *set,
    bool models)
{
	bool policy = c->policy && (models || set->n == 0 ||
	    set->items[0].model != NULL);

	fprintf(c->f, "%s\n%-*s  %-10s  %-10s %*s%s\n", title, W_NAME,
	    "NAME", "FIRST SEEN", "LAST SEEN", W_CALLS, "CALLS",
	    policy ? " POLICY" : "");
	for (size_t i = 0; i < set->n; i++)
		table_row(c, &set->items[i], models ? set->items[i].name
		    : set->items[i].model);
}

static void
report_table(struct ctx *c, const struct inventory *inv)
{
	if (inv->naccounts == 0)
		fputs("no inventory: poll has not written any call yet\n",
		    c->f);
	for (size_t i = 0; i < inv->naccounts; i++) {
		const struct inv_account *a = &inv->accounts[i];

		fprintf(c->f, "%sAccount %s\n\n", i ? "\n" : "", a->id);
		table_set(c, "Models", &a->models, true);
		table_set(c, "\nPrincipals", &a->principals, false);
		table_set(c, "\nRegions", &a->regions, false);
		table_set(c, "\nPrincipals by model", &a->pairs, false);
	}
}

static void
json_item(struct ctx *c, const char *key, const struct inv_item *it,
    const char *model)
{
	char first[32], last[32];
	const char *v = verdict(c, model);

	strbuf_addf(&c->sb, "{\"%s\":", key);
	strbuf_add_json_string(&c->sb, it->name);
	if (it->model != NULL) {
		strbuf_adds(&c->sb, ",\"modelName\":");
		strbuf_add_json_string(&c->sb, it->model);
	}
	strbuf_addf(&c->sb, ",\"firstSeen\":\"%s\",\"lastSeen\":\"%s\","
	    "\"calls\":%llu", time_format_iso8601(it->first, first,
	    sizeof(first)), time_format_iso8601(it->last, last, sizeof(last)),
	    it->calls);
	if (it->model != NULL)
		strbuf_addf(&c->sb, ",\"unapproved\":%s",
		    it->unapproved ? "true" : "false");
	if (v != NULL)
		strbuf_addf(&c->sb, ",\"policy\":\"%s\"", v);
	strbuf_adds(&c->sb, "}");
}

static void
json_set(struct ctx *c, const char *name, const char *key,
    const struct inv_set *set, bool models)
{
	strbuf_addf(&c->sb, ",\"%s\":[", name);
	for (size_t i = 0; i < set->n; i++) {
		if (i > 0)
			strbuf_adds(&c->sb, ",");
		json_item(c, key, &set->items[i], models ? set->items[i].name
		    : set->items[i].model);
		flush(c);
	}
	strbuf_adds(&c->sb, "]");
}

static void
report_json(struct ctx *c, const struct inventory *inv)
{
	strbuf_adds(&c->sb, "{\"accounts\":[");
	for (size_t i = 0; i < inv->naccounts; i++) {
		const struct inv_account *a = &inv->accounts[i];

		strbuf_adds(&c->sb, i ? ",{\"accountId\":" :
		    "{\"accountId\":");
		strbuf_add_json_string(&c->sb, a->id);
		json_set(c, "models", "modelName", &a->models, true);
		json_set(c, "principals", "principal", &a->principals, false);
		json_set(c, "regions", "awsRegion", &a->regions, false);
		json_set(c, "pairs", "principal", &a->pairs, false);
		strbuf_adds(&c->sb, "}");
	}
	strbuf_adds(&c->sb, "]}\n");
	flush(c);
}

static void
csv_set(struct ctx *c, const char *id, const char *kind,
    const struct inv_set *set, bool models)
{
	char first[32], last[32];

	for (size_t i = 0; i < set->n; i++) {
		const struct inv_item *it = &set->items[i];
		const char *v = verdict(c, models ? it->name : it->model);

		strbuf_adds(&c->sb, kind);
		reportfmt_csv_field(&c->sb, id);
		reportfmt_csv_field(&c->sb, it->name);
		reportfmt_csv_field(&c->sb, it->model ? it->model : "");
		strbuf_addf(&c->sb, ",%s,%s,%llu,%s\r\n",
		    time_format_iso8601(it->first, first, sizeof(first)),
		    time_format_iso8601(it->last, last, sizeof(last)),
		    it->calls, v ? v : "");
		flush(c);
	}
}

static void
report_csv(struct ctx *c, const struct inventory *inv)
{
	fputs("kind,accountId,name,modelName,firstSeen,lastSeen,calls,"
	    "policy\r\n", c->f);
	for (size_t i = 0; i < inv->naccounts; i++) {
		const struct inv_account *a = &inv->accounts[i];

		csv_set(c, a->id, "model", &a->models, true);
		csv_set(c, a->id, "principal", &a->principals, false);
		csv_set(c, a->id, "region", &a->regions, false);
		csv_set(c, a->id, "pair", &a->pairs, false);
	}
}

void
inventory_report(FILE *f, const struct inventory *inv,
    const struct config *cfg, enum inventory_format fmt)
{
	struct ctx c = { f, cfg, policy_configured(&cfg->models_allowed,
		&cfg->models_denied), { 0 } };

	if (fmt == INVENTORY_TABLE)
		report_table(&c, inv);
	else if (fmt == INVENTORY_JSON)
		report_json(&c, inv);
	else
		report_csv(&c, inv);
	strbuf_free(&c.sb);
}
