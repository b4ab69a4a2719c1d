/* inventory.c and inventory_json.c: counting calls, the state section. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "inventory.h"
#include "t.h"

static void
test_touch_counts_and_widens_the_times(void)
{
	struct inventory inv = { 0 };
	struct inv_account *a = inventory_account(&inv, "123456789012");
	struct inv_item *it;
	bool is_new;

	it = inv_set_touch(&a->models, "m", NULL, 100, &is_new);
	T_ASSERT(is_new);
	it = inv_set_touch(&a->models, "m", NULL, 50, &is_new);
	T_ASSERT(!is_new);
	it = inv_set_touch(&a->models, "m", NULL, 200, &is_new);
	T_EQ_INT(it->first, 50);
	T_EQ_INT(it->last, 200);
	T_EQ_INT(it->calls, 3);
	T_EQ_INT(a->models.n, 1);
	T_ASSERT(inventory_account(&inv, "123456789012") == a);
	inventory_free(&inv);
}

static void
test_pairs_never_collide(void)
{
	struct inventory inv = { 0 };
	struct inv_account *a = inventory_account(&inv, "1");
	bool n1, n2, n3;

	inv_set_touch(&a->pairs, "bc", "a", 1, &n1);
	inv_set_touch(&a->pairs, "c", "ab", 1, &n2);
	inv_set_touch(&a->pairs, "bc", "a", 2, &n3);
	T_ASSERT(n1 && n2 && !n3);
	T_EQ_INT(a->pairs.n, 2);
	inventory_free(&inv);
}

static void
test_accounts_are_kept_apart(void)
{
	struct inventory inv = { 0 };
	bool is_new;

	inv_set_touch(&inventory_account(&inv, "1")->models, "m", NULL, 1,
	    &is_new);
	inv_set_touch(&inventory_account(&inv, "2")->models, "m", NULL, 1,
	    &is_new);
	T_ASSERT(is_new);
	T_EQ_INT(inv.naccounts, 2);
	inventory_free(&inv);
}

static char *
format(const struct inventory *inv)
{
	cJSON *root = cJSON_CreateObject();
	char *s;

	inventory_format(root, "inventory", inv);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(root, "inventory"));
	cJSON_Delete(root);
	return s;
}

static int
parse(const char *text, struct inventory *inv, char *why)
{
	cJSON *obj = cJSON_Parse(text);
	int rc;

	memset(inv, 0, sizeof(*inv));
	rc = inventory_parse(obj, inv, why, 256);
	cJSON_Delete(obj);
	return rc;
}

static void
test_round_trip_through_the_state_section(void)
{
	static const char text[] = "{\"units\":[\"us-east-1\"],\"accounts\":"
	    "{\"123456789012\":{\"models\":{\"m\":[1,2,3]},\"principals\":"
	    "{\"p\":[1,1,1]},\"regions\":{\"us-east-1\":[5,9007199254740991,"
	    "2]},\"pairs\":[[\"p\",\"m\",1,2,3,1]]}}}";
	struct inventory inv, copy = { 0 };
	char why[256], *out;

	T_EQ_INT(parse(text, &inv, why), 0);
	inventory_copy(&copy, &inv);
	out = format(&copy);
	T_EQ_STR(out, text);
	T_ASSERT(copy.accounts[0].pairs.items[0].unapproved);
	free(out);
	inventory_free(&inv);
	inventory_free(&copy);
}

static void
test_hostile_sections_are_refused_with_a_reason(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "[]", "\"inventory\" is not an object" },
		{ "{\"extra\":1}", "inventory: unknown key \"extra\"" },
		{ "{\"units\":[\"a\",\"a\"]}", "inventory: \"units\" holds a "
		    "repeated, empty or non-string entry" },
		{ "{\"accounts\":{\"1\":{\"models\":{\"m\":[2,1,1]}}}}",
		    "inventory: account \"1\": model \"m\" is not [first, "
		    "last, calls]" },
		{ "{\"accounts\":{\"1\":{\"models\":{\"m\":[1,1,0]}}}}",
		    "inventory: account \"1\": model \"m\" is not [first, "
		    "last, calls]" },
		{ "{\"accounts\":{\"1\":{\"models\":{\"m\":[1,1,1],"
		    "\"m\":[1,1,1]}}}}",
		    "inventory: account \"1\": model \"m\" appears twice" },
		{ "{\"accounts\":{\"1\":{\"pairs\":[[\"p\",\"m\",1,1,1,2]]}}}",
		    "inventory: account \"1\": pairs[0] is not [principal, "
		    "model, first, last, calls, 0 or 1] or repeats one" },
		{ "{\"accounts\":{\"1\":{\"pairs\":[[\"p\",\"m\",1,1,1,0],"
		    "[\"p\",\"m\",1,1,1,0]]}}}",
		    "inventory: account \"1\": pairs[1] is not [principal, "
		    "model, first, last, calls, 0 or 1] or repeats one" },
		{ "{\"accounts\":{\"1\":{\"regions\":{\"r\":[1.5,2,1]}}}}",
		    "inventory: account \"1\": region \"r\" is not [first, "
		    "last, calls]" },
		{ "{\"accounts\":{\"\":{}}}",
		    "inventory: an account has an empty id" },
	};
	struct inventory inv;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		T_EQ_INT(parse(cases[i].text, &inv, why), -1);
		T_EQ_STR(why, cases[i].why);
		inventory_free(&inv);
	}
}

int
main(void)
{
	T_RUN(test_touch_counts_and_widens_the_times);
	T_RUN(test_pairs_never_collide);
	T_RUN(test_accounts_are_kept_apart);
	T_RUN(test_round_trip_through_the_state_section);
	T_RUN(test_hostile_sections_are_refused_with_a_reason);
	return T_DONE();
}
