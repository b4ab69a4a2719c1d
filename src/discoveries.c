#include "discoveries.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "log.h"
#include "policy.h"

/* The fields of a record that discoveries look at; NULL where absent. */
struct call {
	const char *account, *region, *model, *principal, *time, *id;
	time_t t;
};

static void
add_string(cJSON *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_must(cJSON_AddStringToObject(obj, key, value));
	else
		json_must(cJSON_AddNullToObject(obj, key));
}

static void
emit(struct discoveries *d, const char *kind, const struct call *c)
{
	cJSON *obj = json_must(cJSON_CreateObject());
	char *json;

	add_string(obj, "discovery", kind);
	add_string(obj, "accountId", c->account);
	add_string(obj, "awsRegion", c->region);
	add_string(obj, "modelName", c->model);
	add_string(obj, "principal", c->principal);
	add_string(obj, "firstSeen", c->time);
	add_string(obj, "eventID", c->id);
	if (d->baseline)
		json_must(cJSON_AddTrueToObject(obj, "baseline"));
	json = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	/* As json_must does, written out so that the analyzers see it. */
	if (json == NULL) {
		log_error("out of memory");
		abort();
	}
	strbuf_adds(&d->lines, json);
	strbuf_adds(&d->lines, "\n");
	cJSON_free(json);
	d->nlines++;
}

/* The call into the account's inventory, and a line for each new thing. */
static void
account_call(struct discoveries *d, const struct call *c)
{
	struct inv_account *a = inventory_account(&d->after,
	    c->account != NULL ? c->account : "(unknown)");
	bool new_model, new_principal, new_pair, new_region = false;
	struct inv_item *pair;
	enum policy_verdict v;

	inv_set_touch(&a->models, c->model, NULL, c->t, &new_model);
	inv_set_touch(&a->principals, c->principal, NULL, c->t,
	    &new_principal);
	pair = inv_set_touch(&a->pairs, c->principal, c->model, c->t,
	    &new_pair);
	if (c->region != NULL)
		inv_set_touch(&a->regions, c->region, NULL, c->t, &new_region);
	if (new_model)
		emit(d, "new_model", c);
	if (new_principal)
		emit(d, "new_principal", c);
	if (new_pair)
		emit(d, "new_principal_model", c);
	if (new_region)
		emit(d, "new_region", c);
	v = policy_check(&d->cfg->models_allowed, &d->cfg->models_denied,
	    c->model);
	if (v == POLICY_ALLOWED)
		return;
	d->outside++;
	if (!pair->unapproved) {
		pair->unapproved = true;
		emit(d, "unapproved_model", c);
	}
}

int
discoveries_add(struct discoveries *d, const char *line, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(line, len);
	struct call c = { 0 };
	int rc = -1;

	if (!cJSON_IsObject(rec))
		goto out;
	c.model = json_nonempty(rec, "modelName");
	c.time = json_nonempty(rec, "eventTime");
	c.id = json_nonempty(rec, "eventID");
	if (c.id == NULL || c.time == NULL ||
	    time_parse_iso8601(c.time, &c.t) == -1)
		goto out;
	rc = 0;
	if (c.model == NULL)
		goto out;
	c.account = json_nonempty(rec, "recipientAccountId");
	c.region = json_nonempty(rec, "awsRegion");
	c.principal = json_record_principal(rec);
	account_call(d, &c);
out:
	cJSON_Delete(rec);
	return rc;
}

void
discoveries_begin(struct discoveries *d, const struct config *cfg,
    const struct inventory *now, const char *unit)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	inventory_copy(&d->after, now);
	d->baseline = strset_add(&d->after.units, unit, 0);
}

void
discoveries_free(struct discoveries *d)
{
	if (d == NULL)
		return;
	inventory_free(&d->after);
	strbuf_free(&d->lines);
	memset(d, 0, sizeof(*d));
}
