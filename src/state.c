#include "state.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cJSON.h>

#include "fileio.h"
#include "json.h"
#include "log.h"
#include "owner.h"
#include "util.h"

/*
 * A JSON number is a double in cJSON: beyond 2^53 - 1 two integers in the
 * file could load as the same one.
 */
#define STATE_INT_MAX	9007199254740991LL
#define WHY_SIZE	256

static const char *const root_keys_v1[] = { "version", "regions",
	"pending", "inventory", NULL };
static const char *const root_keys[] = { "version", "accounts", "pending",
	"inventory", NULL };
static const char *const account_keys[] = { "regions", NULL };
static const char *const region_keys[] = { "cursor", "seen", NULL };
static const char *const pending_keys[] = { "account", "region", "output",
    "dev", "ino", "offset", "length", "sha256", "cursor", "seen",
    "inventory", "discoveries", NULL };

/* Fills why (WHY_SIZE bytes) with the reason a file is corrupt. */
static int __attribute__((format(printf, 2, 3)))
bad(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_SIZE, fmt, ap);
	va_end(ap);
	return -1;
}

/* An integral JSON number in [min, STATE_INT_MAX]. */
static int
get_int(const cJSON *item, long long min, long long *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	/* The range test also turns away NaN, so the cast below is defined. */
	if (!(d >= (double)min && d <= (double)STATE_INT_MAX))
		return -1;
	if ((double)(long long)d != d)
		return -1;
	*out = (long long)d;
	return 0;
}

/* A hand-edited file should not have its typos silently ignored. */
static int
check_keys(const cJSON *obj, const char *const *allowed, const char *where,
    char *why)
{
	const char *key = json_unknown_key(obj, allowed);
	char name[64];

	if (key != NULL)
		return bad(why, "%s: unknown key \"%s\"", where,
		    log_clean(name, sizeof(name), key));
	return 0;
}

static int
parse_cursor(const cJSON *item, struct region_state *rs, const char *where,
    char *why)
{
	if (item == NULL)
		return 0;
	if (!cJSON_IsString(item) ||
	    time_parse_iso8601(item->valuestring, &rs->cursor) == -1)
		return bad(why, "%s: \"cursor\" is not an ISO 8601 UTC time",
		    where);
	rs->has_cursor = true;
	return 0;
}

static int
parse_seen(const cJSON *arr, struct strset *seen, const char *where,
    char *why)
{
	const cJSON *pair, *id, *t;
	long long v;
	int i = 0;

	if (!cJSON_IsArray(arr))
		return bad(why, "%s: \"seen\" is not an array", where);
	cJSON_ArrayForEach(pair, arr) {
		id = cJSON_GetArrayItem(pair, 0);
		t = cJSON_GetArrayItem(pair, 1);
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
		    !cJSON_IsString(id) || id->valuestring[0] == '\0' ||
		    get_int(t, -STATE_INT_MAX, &v) == -1)
			return bad(why, "%s: seen[%d] is not an [id, time] pair",
			    where, i);
		if (!strset_add(seen, id->valuestring, (time_t)v))
			return bad(why, "%s: seen[%d] repeats an earlier id",
			    where, i);
		i++;
	}
	return 0;
}

/* The cursor and seen ids of a region or of a pending append. */
static int
parse_region(const cJSON *obj, struct region_state *rs, const char *where,
    char *why)
{
	if (parse_cursor(cJSON_GetObjectItemCaseSensitive(obj, "cursor"), rs,
	    where, why) == -1)
		return -1;
	return parse_seen(cJSON_GetObjectItemCaseSensitive(obj, "seen"),
	    &rs->seen, where, why);
}

static int
parse_regions(const cJSON *obj, struct state *st, const char *account,
    char *why)
{
	const cJSON *item;
	char name[64], where[80];
	size_t n;

	if (!cJSON_IsObject(obj))
		return bad(why, "\"regions\" is not an object");
	cJSON_ArrayForEach(item, obj) {
		log_clean(name, sizeof(name), item->string);
		snprintf(where, sizeof(where), "region \"%s\"", name);
		if (item->string[0] == '\0')
			return bad(why, "a region has an empty name");
		n = st->nregions;
		if (state_region(st, account, item->string) != &st->regions[n])
			return bad(why, "%s appears twice", where);
		if (!cJSON_IsObject(item))
			return bad(why, "%s is not an object", where);
		if (check_keys(item, region_keys, where, why) == -1 ||
		    parse_region(item, &st->regions[n], where, why) == -1)
			return -1;
	}
	return 0;
}

/* Version 2: {"ACCOUNT": {"regions": {...}}, ...}. */
static int
parse_accounts(const cJSON *obj, struct state *st, char *why)
{
	const cJSON *item;
	char name[64], where[80];

	if (!cJSON_IsObject(obj))
		return bad(why, "\"accounts\" is not an object");
	cJSON_ArrayForEach(item, obj) {
		log_clean(name, sizeof(name), item->string);
		snprintf(where, sizeof(where), "account \"%s\"", name);
		if (item->string[0] == '\0')
			return bad(why, "an account has an empty id");
		if (!cJSON_IsObject(item))
			return bad(why, "%s is not an object", where);
		if (check_keys(item, account_keys, where, why) == -1 ||
		    parse_regions(cJSON_GetObjectItemCaseSensitive(item,
		    "regions"), st, item->string, why) == -1)
			return -1;
	}
	return 0;
}

static int
get_string(const cJSON *obj, const char *key, char **out, char *why)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
		return bad(why, "pending: \"%s\" is not a non-empty string",
		    key);
	*out = xstrdup(item->valuestring);
	return 0;
}

static int
get_count(const cJSON *obj, const char *key, long long *out, char *why)
{
	if (get_int(cJSON_GetObjectItemCaseSensitive(obj, key), 0, out) == -1)
		return bad(why, "pending: \"%s\" is not an integer from 0 to "
		    "2^53 - 1", key);
	return 0;
}

static int
parse_sha256(const cJSON *item, char *out, char *why)
{
	const char *s = cJSON_IsString(item) ? item->valuestring : NULL;

	if (s == NULL || strlen(s) != 64 ||
	    strspn(s, "0123456789abcdef") != 64)
		return bad(why, "pending: \"sha256\" is not 64 lowercase hex "
		    "digits");
	memcpy(out, s, 65);
	return 0;
}

/* What the discoveries add to a pending append: both optional. */
static int
parse_pending_more(const cJSON *obj, struct pending_append *p, char *why)
{
	const cJSON *inv = cJSON_GetObjectItemCaseSensitive(obj, "inventory");
	const cJSON *disc = cJSON_GetObjectItemCaseSensitive(obj,
	    "discoveries");

	if (inv != NULL) {
		p->has_inventory = true;
		if (inventory_parse(inv, &p->inventory, why, WHY_SIZE) == -1)
			return -1;
	}
	if (disc != NULL)
		return disc_pending_parse(disc, &p->disc, why, WHY_SIZE);
	return 0;
}

static int
parse_pending(const cJSON *obj, struct pending_append *p, int st_version,
    char *why)
{
	long long dev = 0, ino = 0;

	if (!cJSON_IsObject(obj))
		return bad(why, "\"pending\" is not an object");
	if (check_keys(obj, pending_keys, "pending", why) == -1 ||
	    (st_version == 2 && get_string(obj, "account", &p->after.account,
	    why) == -1) ||
	    get_string(obj, "region", &p->after.region, why) == -1 ||
	    get_string(obj, "output", &p->output, why) == -1 ||
	    get_count(obj, "dev", &dev, why) == -1 ||
	    get_count(obj, "ino", &ino, why) == -1 ||
	    get_count(obj, "offset", &p->offset, why) == -1 ||
	    get_count(obj, "length", &p->length, why) == -1 ||
	    parse_sha256(cJSON_GetObjectItemCaseSensitive(obj, "sha256"),
	    p->sha256, why) == -1 ||
	    parse_region(obj, &p->after, "pending", why) == -1 ||
	    parse_pending_more(obj, p, why) == -1)
		return -1;
	p->dev = (unsigned long long)dev;
	p->ino = (unsigned long long)ino;
	p->active = true;
	return 0;
}

static int
parse_root(const cJSON *root, struct state *st, char *why)
{
	const cJSON *version, *pending, *inv;
	long long v;

	if (!cJSON_IsObject(root))
		return bad(why, "not a JSON object");
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (version == NULL)
		return bad(why, "no \"version\"");
	if (get_int(version, 0, &v) == -1 || v < 1 || v > STATE_VERSION)
		return bad(why, "unsupported version (this program reads "
		    "versions 1 to %d)", STATE_VERSION);
	st->version = (int)v;
	if (check_keys(root, v == 1 ? root_keys_v1 : root_keys, "top level",
	    why) == -1)
		return -1;
	if (v == 1 && parse_regions(cJSON_GetObjectItemCaseSensitive(root,
	    "regions"), st, NULL, why) == -1)
		return -1;
	if (v == 2 && parse_accounts(cJSON_GetObjectItemCaseSensitive(root,
	    "accounts"), st, why) == -1)
		return -1;
	inv = cJSON_GetObjectItemCaseSensitive(root, "inventory");
	if (inv != NULL &&
	    inventory_parse(inv, &st->inventory, why, WHY_SIZE) == -1)
		return -1;
	pending = cJSON_GetObjectItemCaseSensitive(root, "pending");
	if (pending != NULL)
		return parse_pending(pending, &st->pending, (int)v, why);
	return 0;
}

static int
read_all(int fd, struct strbuf *sb)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		strbuf_add(sb, buf, (size_t)n);
	}
}

/* Checks the text in full and fills st; -1 with the reason in why. */
static int
state_parse(const struct strbuf *sb, struct state *st, char *why)
{
	cJSON *root;
	const char *end = NULL;
	int rc;

	if (sb->len == 0)
		return bad(why, "empty file");
	if (memchr(sb->buf, '\0', sb->len) != NULL)
		return bad(why, "contains a NUL byte");
	/* Counting the terminator makes cJSON refuse trailing garbage. */
	root = cJSON_ParseWithLengthOpts(sb->buf, sb->len + 1, &end, 1);
	if (root == NULL)
		return bad(why, "not valid JSON (at byte %zu)",
		    end != NULL ? (size_t)(end - sb->buf) : (size_t)0);
	rc = parse_root(root, st, why);
	cJSON_Delete(root);
	return rc;
}

int
state_load(const char *path, struct state *st)
{
	struct strbuf sb = { 0 };
	char why[WHY_SIZE];
	int fd, rc = 0;

	memset(st, 0, sizeof(*st));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		if (owner_is_permission_errno(errno))
			return owner_permission_error(path, "state file", "read");
		log_error("%s: cannot read state file: %s", path,
		    strerror(errno));
		return EX_NOINPUT;
	}
	if (read_all(fd, &sb) == -1) {
		log_error("%s: cannot read state file: %s", path,
		    strerror(errno));
		rc = EX_NOINPUT;
	} else if (state_parse(&sb, st, why) == -1) {
		log_error("%s: corrupt state file: %s", path, why);
		log_error("fix or move it aside; it is never reset "
		    "automatically");
		rc = EX_DATAERR;
	}
	if (rc != 0)
		state_free(st);
	close(fd);
	strbuf_free(&sb);
	return rc;
}

/* Exact decimal digits, rather than cJSON's "1e+15" for a double. */
static void
add_int(cJSON *parent, const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	if (name != NULL)
		json_must(cJSON_AddRawToObject(parent, name, buf));
	else if (!cJSON_AddItemToArray(parent,
	    json_must(cJSON_CreateRaw(buf))))
		json_must(NULL);
}

static void
add_seen(const char *key, time_t time, void *arg)
{
	cJSON *pair = json_must(cJSON_CreateArray());

	if (!cJSON_AddItemToArray(pair, json_must(cJSON_CreateString(key))))
		json_must(NULL);
	add_int(pair, NULL, (long long)time);
	if (!cJSON_AddItemToArray(arg, pair))
		json_must(NULL);
}

static void
add_region(cJSON *obj, const struct region_state *rs)
{
	char when[32];

	if (rs->has_cursor)
		json_must(cJSON_AddStringToObject(obj, "cursor",
		    time_format_iso8601(rs->cursor, when, sizeof(when))));
	strset_each(&rs->seen, add_seen,
	    json_must(cJSON_AddArrayToObject(obj, "seen")));
}

static void
add_pending(cJSON *root, const struct pending_append *p)
{
	cJSON *obj = json_must(cJSON_AddObjectToObject(root, "pending"));

	json_must(cJSON_AddStringToObject(obj, "account", p->after.account));
	json_must(cJSON_AddStringToObject(obj, "region", p->after.region));
	json_must(cJSON_AddStringToObject(obj, "output", p->output));
	add_int(obj, "dev", (long long)p->dev);
	add_int(obj, "ino", (long long)p->ino);
	add_int(obj, "offset", p->offset);
	add_int(obj, "length", p->length);
	json_must(cJSON_AddStringToObject(obj, "sha256", p->sha256));
	add_region(obj, &p->after);
	if (p->has_inventory)
		inventory_format(obj, "inventory", &p->inventory);
	if (p->disc.active)
		disc_pending_format(obj, &p->disc);
}

/* What state_load would refuse is not written either. */
static bool
pending_ok(const struct pending_append *p)
{
	const unsigned long long max = STATE_INT_MAX;

	return p->output != NULL && p->output[0] != '\0' &&
	    p->after.account != NULL && p->after.account[0] != '\0' &&
	    p->after.region != NULL && p->after.region[0] != '\0' &&
	    p->dev <= max && p->ino <= max &&
	    p->offset >= 0 && p->offset <= STATE_INT_MAX &&
	    p->length >= 0 && p->length <= STATE_INT_MAX &&
	    strnlen(p->sha256, sizeof(p->sha256)) == 64;
}

/* The file as one line and a newline. */
static char *
state_format(const struct state *st)
{
	const struct pending_append *p = &st->pending;
	cJSON *root = json_must(cJSON_CreateObject());
	cJSON *accounts, *acct, *regions;
	const struct region_state *rs;
	char *json, *text;

	add_int(root, "version", STATE_VERSION);
	accounts = json_must(cJSON_AddObjectToObject(root, "accounts"));
	for (size_t i = 0; i < st->nregions; i++) {
		rs = &st->regions[i];
		acct = cJSON_GetObjectItemCaseSensitive(accounts, rs->account);
		if (acct == NULL) {
			acct = json_must(cJSON_AddObjectToObject(accounts,
			    rs->account));
			json_must(cJSON_AddObjectToObject(acct, "regions"));
		}
		regions = cJSON_GetObjectItemCaseSensitive(acct, "regions");
		add_region(json_must(cJSON_AddObjectToObject(regions,
		    rs->region)), rs);
	}
	if (p->active)
		add_pending(root, p);
	if (st->inventory.units.count > 0 || st->inventory.naccounts > 0)
		inventory_format(root, "inventory", &st->inventory);
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (json == NULL)
		json_must(NULL);
	text = xasprintf("%s\n", json);
	cJSON_free(json);
	return text;
}

int
state_save(const char *path, const struct state *st)
{
	char *text;
	int rc;

	for (size_t i = 0; i < st->nregions; i++)
		if (st->regions[i].account == NULL) {
			log_error("%s: cannot write state file: region %s has "
			    "no account", path, st->regions[i].region);
			return EX_SOFTWARE;
		}
	if (st->pending.active && !pending_ok(&st->pending)) {
		log_error("%s: cannot write state file: the pending append is "
		    "incomplete or out of range", path);
		return EX_SOFTWARE;
	}
	text = state_format(st);
	rc = file_replace(path, text, strlen(text), "state file");
	free(text);
	return rc;
}

static bool
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

struct region_state *
state_find(const struct state *st, const char *account, const char *region)
{
	for (size_t i = 0; i < st->nregions; i++)
		if (same(st->regions[i].account, account) &&
		    strcmp(st->regions[i].region, region) == 0)
			return &st->regions[i];
	return NULL;
}

struct region_state *
state_region(struct state *st, const char *account, const char *region)
{
	struct region_state *rs;

	if ((rs = state_find(st, account, region)) != NULL)
		return rs;
	st->regions = xrealloc(st->regions,
	    (st->nregions + 1) * sizeof(*st->regions));
	rs = &st->regions[st->nregions++];
	memset(rs, 0, sizeof(*rs));
	rs->account = account ? xstrdup(account) : NULL;
	rs->region = xstrdup(region);
	return rs;
}

void
state_region_move(struct region_state *dst, struct region_state *src)
{
	strset_free(&dst->seen);
	dst->seen = src->seen;
	memset(&src->seen, 0, sizeof(src->seen));
	dst->has_cursor = src->has_cursor;
	dst->cursor = src->cursor;
	src->has_cursor = false;
	src->cursor = 0;
}

void
state_region_free(struct region_state *rs)
{
	if (rs == NULL)
		return;
	free(rs->account);
	free(rs->region);
	strset_free(&rs->seen);
	memset(rs, 0, sizeof(*rs));
}

void
state_free(struct state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nregions; i++)
		state_region_free(&st->regions[i]);
	free(st->regions);
	free(st->pending.output);
	state_region_free(&st->pending.after);
	inventory_free(&st->pending.inventory);
	disc_pending_clear(&st->pending.disc);
	inventory_free(&st->inventory);
	memset(st, 0, sizeof(*st));
}
