/*
 * status: what a poll would use, without a request to CloudTrail (the
 * chain may ask STS or a metadata service for temporary keys): the config
 * file, regions, endpoint, credential source (key id masked), the store
 * and key file with their modes, and per region the cursor and the window
 * the next poll would cover. Text, or one JSON object with --format json.
 *
 * Everything known is shown even when the credentials or the state cannot
 * be read; the exit status is then that failure's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <cJSON.h>

#include "cmd.h"
#include "credentials.h"
#include "log.h"
#include "state.h"
#include "util.h"
#include "window.h"

/* As poll: LookupEvents answers for the last 90 days, less a minute. */

#define STATUS_ENDPOINT	"https://cloudtrail.REGION.amazonaws.com"

struct status_file {
	const char *path;
	char mode[32];		/* "0600", "absent" or the stat error */
	bool present;
};

struct status {
	struct config *cfg;
	struct credentials creds;
	int creds_status;
	struct state state;
	int state_status;
	struct status_file store, key;
	time_t now;
	const char *service_config;	/* exists, but not in use */
};

static void
status_stat(struct status_file *f, const char *path)
{
	struct stat st;

	f->path = path;
	f->present = stat(path, &st) == 0;
	if (f->present)
		snprintf(f->mode, sizeof(f->mode), "%04o",
		    (unsigned int)(st.st_mode & 07777));
	else if (errno == ENOENT)
		snprintf(f->mode, sizeof(f->mode), "absent");
	else
		snprintf(f->mode, sizeof(f->mode), "%s", strerror(errno));
}

/*
 * One account: status sends no request, so it cannot ask whose the
 * credentials are; the state's entry for the region is the account's
 * (a state file of one account, as single-account polls write).
 */
static const struct region_state *
status_region(const struct status *s, const char *region)
{
	for (size_t i = 0; i < s->state.nregions; i++)
		if (strcmp(s->state.regions[i].region, region) == 0)
			return &s->state.regions[i];
	return NULL;
}

/* The next poll's window, through poll's own functions. */
static void
status_window(const struct status *s, const struct region_state *rs,
    time_t *start, time_t *end)
{
	*start = window_clamp(window_start(rs, s->cfg->overlap,
	    s->cfg->first_poll_lookback, s->now), s->now);
	*end = s->now;
}

static void
status_print_unit(const struct status *s, const struct region_state *rs,
    const char *indent)
{
	char a[32], b[32], c[32];
	time_t start, end;

	status_window(s, rs, &start, &end);
	if (rs->has_cursor)
		time_format_iso8601(rs->cursor, a, sizeof(a));
	printf("%s%s: %s%s, next poll %s to %s\n", indent, rs->region,
	    rs->has_cursor ? "cursor " : "never polled",
	    rs->has_cursor ? a : "", time_format_iso8601(start, b, sizeof(b)),
	    time_format_iso8601(end, c, sizeof(c)));
}

/* Many accounts: what the state knows, grouped by account. */
static void
status_print_accounts(const struct status *s)
{
	const struct state *st = &s->state;

	if (s->state_status != 0) {
		printf("cursors unknown (the state file cannot be read)\n");
		return;
	}
	if (st->nregions == 0)
		printf("no account polled yet\n");
	for (size_t i = 0; i < st->nregions; i++) {
		const char *acct = st->regions[i].account;
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(st->regions[j].account ? st->regions[j]
			    .account : "", acct ? acct : "") == 0)
				break;
		if (j < i)
			continue;
		printf("account %s:\n", acct ? acct : "(the credentials' own)");
		for (j = i; j < st->nregions; j++)
			if (strcmp(st->regions[j].account ? st->regions[j]
			    .account : "", acct ? acct : "") == 0)
				status_print_unit(s, &st->regions[j], "  ");
	}
}

static const char *
status_endpoint(const struct config *cfg)
{
	return cfg->endpoint_url != NULL ? cfg->endpoint_url : STATUS_ENDPOINT;
}

static void
status_print_creds(const struct status *s)
{
	const struct credentials *c = &s->creds;
	char *d;

	if (s->creds_status != 0 || c->source == CRED_NONE) {
		printf("credentials:  none\n");
		return;
	}
	d = credentials_describe(c);
	printf("credentials:  %s\n", d);
	free(d);
	if (c->source == CRED_STORE && getenv("AWS_ACCESS_KEY_ID") != NULL)
		printf("              (AWS_ACCESS_KEY_ID is set too: the "
		    "stored connection comes first)\n");
}

static void
status_print_text(const struct status *s)
{
	const struct config *cfg = s->cfg;
	char a[32], b[32], c[32];
	time_t start, end;

	printf("config file:  %s\n", config_describe(cfg));
	if (s->service_config != NULL)
		printf("              (not %s, the service's: to use it, run "
		    "as the service user with -c %s)\n", s->service_config,
		    s->service_config);
	printf("regions:      ");
	for (size_t i = 0; i < cfg->regions.n; i++)
		printf("%s%s", i ? ", " : "", cfg->regions.v[i]);
	if (cfg->regions.n == 0)
		printf("none\n");
	else
		printf(" (from %s)\n", cfg->regions_from ? cfg->regions_from :
		    "defaults");
	printf("endpoint:     %s\n", status_endpoint(cfg));
	status_print_creds(s);
	printf("store:        %s (%s)\n", s->store.path, s->store.mode);
	printf("key file:     %s (%s)\n", s->key.path, s->key.mode);
	printf("state file:   %s\n", cfg->state_file);
	printf("output:       %s\n", strcmp(cfg->output, "-") == 0 ?
	    "standard output" : cfg->output);
	if (config_many_accounts(cfg)) {
		status_print_accounts(s);
		return;
	}
	for (size_t i = 0; i < cfg->regions.n; i++) {
		const struct region_state *rs =
		    status_region(s, cfg->regions.v[i]);

		if (s->state_status != 0) {
			printf("%s: cursor unknown (the state file cannot be "
			    "read)\n", cfg->regions.v[i]);
			continue;
		}
		status_window(s, rs, &start, &end);
		if (rs != NULL && rs->has_cursor)
			time_format_iso8601(rs->cursor, a, sizeof(a));
		printf("%s: %s%s, next poll %s to %s\n", cfg->regions.v[i],
		    rs != NULL && rs->has_cursor ? "cursor " : "never polled",
		    rs != NULL && rs->has_cursor ? a : "",
		    time_format_iso8601(start, b, sizeof(b)),
		    time_format_iso8601(end, c, sizeof(c)));
	}
}

static cJSON *
status_json_string(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *
status_json_time(time_t t)
{
	char buf[32];

	return cJSON_CreateString(time_format_iso8601(t, buf, sizeof(buf)));
}

static cJSON *
status_json_file(const struct status_file *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "path", status_json_string(f->path));
	cJSON_AddItemToObject(o, "mode",
	    status_json_string(f->present ? f->mode : NULL));
	return o;
}

static cJSON *
status_json_creds(const struct status *s)
{
	const struct credentials *c = &s->creds;
	bool have = s->creds_status == 0 && c->source != CRED_NONE;
	cJSON *o = cJSON_CreateObject();
	char masked[32];

	credentials_mask_key_id(have ? c->access_key_id : NULL, masked,
	    sizeof(masked));
	cJSON_AddStringToObject(o, "source",
	    credentials_source_name(have ? c->source : CRED_NONE));
	cJSON_AddItemToObject(o, "origin",
	    status_json_string(have ? c->origin : NULL));
	cJSON_AddItemToObject(o, "access_key_id",
	    status_json_string(have ? masked : NULL));
	cJSON_AddItemToObject(o, "identity",
	    status_json_string(have ? c->identity_arn : NULL));
	cJSON_AddItemToObject(o, "expiration", have && c->expiration != 0 ?
	    status_json_time(c->expiration) : cJSON_CreateNull());
	return o;
}

static void
status_json_window(cJSON *o, const struct region_state *rs, time_t start,
    time_t end)
{
	cJSON_AddItemToObject(o, "cursor", rs->has_cursor ?
	    status_json_time(rs->cursor) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "next_window_start", status_json_time(start));
	cJSON_AddItemToObject(o, "next_window_end", status_json_time(end));
}

/* "cursors" is null when the state file cannot be read. */
static cJSON *
status_json_cursors(const struct status *s)
{
	const struct config *cfg = s->cfg;
	cJSON *a, *o;
	time_t start, end;

	if (s->state_status != 0)
		return cJSON_CreateNull();
	a = cJSON_CreateArray();
	/* Many accounts: every unit the state knows, with its account. */
	for (size_t i = 0; config_many_accounts(cfg) &&
	    i < s->state.nregions; i++) {
		const struct region_state *rs = &s->state.regions[i];

		status_window(s, rs, &start, &end);
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "account",
		    status_json_string(rs->account));
		cJSON_AddStringToObject(o, "region", rs->region);
		status_json_window(o, rs, start, end);
		cJSON_AddItemToArray(a, o);
	}
	for (size_t i = 0; !config_many_accounts(cfg) &&
	    i < cfg->regions.n; i++) {
		const struct region_state *rs =
		    status_region(s, cfg->regions.v[i]);

		status_window(s, rs, &start, &end);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "region", cfg->regions.v[i]);
		cJSON_AddItemToObject(o, "cursor", rs != NULL &&
		    rs->has_cursor ? status_json_time(rs->cursor) :
		    cJSON_CreateNull());
		cJSON_AddItemToObject(o, "next_window_start",
		    status_json_time(start));
		cJSON_AddItemToObject(o, "next_window_end",
		    status_json_time(end));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void
status_print_json(const struct status *s)
{
	const struct config *cfg = s->cfg;
	cJSON *o = cJSON_CreateObject(), *regions = cJSON_CreateArray();
	char *text;

	for (size_t i = 0; i < cfg->regions.n; i++)
		cJSON_AddItemToArray(regions,
		    cJSON_CreateString(cfg->regions.v[i]));
	cJSON_AddItemToObject(o, "config_file", status_json_string(cfg->path));
	cJSON_AddItemToObject(o, "regions", regions);
	cJSON_AddItemToObject(o, "regions_from",
	    status_json_string(cfg->regions.n ? cfg->regions_from : NULL));
	cJSON_AddStringToObject(o, "endpoint", status_endpoint(cfg));
	cJSON_AddItemToObject(o, "credentials", status_json_creds(s));
	cJSON_AddItemToObject(o, "store", status_json_file(&s->store));
	cJSON_AddItemToObject(o, "key_file", status_json_file(&s->key));
	cJSON_AddStringToObject(o, "state_file", cfg->state_file);
	cJSON_AddStringToObject(o, "output", cfg->output);
	cJSON_AddItemToObject(o, "service_config_not_in_use",
	    status_json_string(s->service_config));
	cJSON_AddItemToObject(o, "cursors", status_json_cursors(s));
	if ((text = cJSON_PrintUnformatted(o)) == NULL) {
		log_error("out of memory");
		abort();
	}
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

int
cmd_status(struct cli *cli, struct config *cfg)
{
	struct status s = { .cfg = cfg, .now = time(NULL) };
	int status, regions_status = 0;

	if (cli->nargs > 0) {
		log_error("usage error: status takes no operands");
		return EX_USAGE;
	}
	if (cli->format == FORMAT_CSV) {
		log_error("usage error: status prints text or json, not csv");
		return EX_USAGE;
	}
	s.service_config = config_service_file_unused(&cli->over);
	s.state_status = state_load(cfg->state_file, &s.state);
	s.creds_status = credentials_resolve(cfg, &s.creds);
	/* Without credentials the stored regions are unknown: no verdict. */
	if (s.creds_status == 0)
		regions_status = config_default_regions(cfg,
		    &s.creds.regions);
	status_stat(&s.store, cfg->credentials_file);
	status_stat(&s.key, cfg->key_file);
	if (cli->format == FORMAT_JSON)
		status_print_json(&s);
	else
		status_print_text(&s);
	status = s.state_status != 0 ? s.state_status :
	    s.creds_status != 0 ? s.creds_status : regions_status;
	credentials_clear(&s.creds);
	state_free(&s.state);
	return status;
}
