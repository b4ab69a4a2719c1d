/*
 * The configuration in force: defaults for root and for a user (XDG), the
 * file (config_file.c), then the environment and the command line.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config_file.h"
#include "log.h"
#include "regions.h"

#define ROOT_CONFIG	"/etc/bedrock-trail/config.yaml"
#define ROOT_STATE	"/var/lib/bedrock-trail/state.json"
#define ROOT_KEY	"/etc/bedrock-trail/master.key"


static char *
config_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home == '/')
		return xstrdup(home);
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL &&
	    *pw->pw_dir == '/')
		return xstrdup(pw->pw_dir);
	return NULL;
}

/* $VAR when it is an absolute path (the XDG rule), else HOME/fallback. */
static char *
config_xdg(const char *var, const char *home, const char *fallback)
{
	const char *v = getenv(var);

	if (v != NULL && *v == '/')
		return xasprintf("%s/bedrock-trail", v);
	if (home == NULL)
		return NULL;
	return xasprintf("%s/%s/bedrock-trail", home, fallback);
}

/* Sets the built-in defaults. Returns the default config path, or NULL. */
static char *
config_defaults(struct config *cfg, bool as_root)
{
	char *home, *confdir, *statedir, *path = NULL;

	memset(cfg, 0, sizeof(*cfg));
	strlist_add(&cfg->event_sources, "bedrock.amazonaws.com");
	cfg->first_poll_lookback = 24 * 3600;
	cfg->overlap = 15 * 60;
	cfg->output = xstrdup("-");
	cfg->max_requests_per_second = 2;
	cfg->max_attempts = 8;
	cfg->timeout = 60;
	/*
	 * A unit spends most of its time waiting for its own limiter (2
	 * requests a second per account and region): 16 keeps 16 of AWS's
	 * per-unit budgets busy with 16 threads and connections, a load
	 * any host and proxy takes, and polls 1,000 units of a quiet
	 * organisation in about a minute.
	 */
	cfg->max_concurrency = 16;
	/* Well under a day, so that a stuck run ends before the next cron. */
	cfg->max_run_time = 6 * 3600;
	if (as_root) {
		cfg->state_file = xstrdup(ROOT_STATE);
		cfg->key_file = xstrdup(ROOT_KEY);
		return xstrdup(ROOT_CONFIG);
	}
	home = config_home();
	confdir = config_xdg("XDG_CONFIG_HOME", home, ".config");
	statedir = config_xdg("XDG_STATE_HOME", home, ".local/state");
	if (confdir != NULL) {
		path = xasprintf("%s/config.yaml", confdir);
		cfg->key_file = xasprintf("%s/master.key", confdir);
	}
	if (statedir != NULL)
		cfg->state_file = xasprintf("%s/state.json", statedir);
	free(home);
	free(confdir);
	free(statedir);
	return path;
}

static const char *
config_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
config_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Replaces the regions with list, validating each. Returns problems. */
static int
config_set_regions(struct config *cfg, const struct strlist *list,
    const char *from)
{
	char buf[128];
	int nerr = 0;

	strlist_free(&cfg->regions);
	cfg->regions_from = from;
	if (list->n == 1 && strcmp(list->v[0], "all") == 0) {
		config_regions_all(cfg, "aws");
		return 0;
	}
	cfg->regions_all = false;
	for (size_t i = 0; i < list->n; i++) {
		if (!config_region_valid(list->v[i])) {
			log_error("%s: invalid region '%s': " REGION_HINT, from,
			    log_clean(buf, sizeof(buf), list->v[i]));
			nerr++;
		}
		strlist_add(&cfg->regions, list->v[i]);
	}
	return nerr;
}

static int
config_env_region(struct config *cfg, const char *var)
{
	struct strlist one = { 0 };
	const char *v;
	int nerr;

	if ((v = config_env(var)) == NULL)
		return -1;
	strlist_add(&one, v);
	nerr = config_set_regions(cfg, &one, var);
	strlist_free(&one);
	return nerr;
}

/* Command line > environment > file, for the settings with all three. */
static int
config_overlay(struct config *cfg, const struct config_overrides *o)
{
	static const char *const url_vars[] = {
		"AWS_ENDPOINT_URL_CLOUDTRAIL", "AWS_ENDPOINT_URL",
	};
	const char *v, *from = NULL, *problem = NULL;
	char buf[128], why[128];
	int nerr = 0, n;

	if (cfg->regions.n > 0)
		cfg->regions_from = "config file";
	if (o->regions.n > 0)
		nerr += config_set_regions(cfg, &o->regions, "-r");
	else if ((n = config_env_region(cfg, "AWS_REGION")) >= 0 ||
	    (n = config_env_region(cfg, "AWS_DEFAULT_REGION")) >= 0)
		nerr += n;

	/*
	 * The profile the file names wins over AWS_PROFILE (issue 12: the
	 * `profile` key, else AWS_PROFILE, else default): a service's config
	 * says which profile it was set up with, whatever the login shell of
	 * the admin who runs it by hand exports.
	 */
	if (cfg->profile == NULL)
		cfg->profile = xstrdup((v = config_env("AWS_PROFILE")) != NULL ?
		    v : "default");

	if (cfg->endpoint_url != NULL)
		cfg->endpoint_from = "endpoint_url in the config file";
	if ((v = o->endpoint_url) != NULL)
		from = "--endpoint-url";
	for (size_t i = 0; v == NULL && i < 2; i++)
		if ((v = config_env(url_vars[i])) != NULL)
			from = url_vars[i];
	if (v != NULL &&
	    (problem = config_url_problem(v, why, sizeof(why))) != NULL) {
		log_error("%s: invalid endpoint url '%s': %s", from,
		    log_clean(buf, sizeof(buf), v), problem);
		nerr++;
	} else if (v != NULL) {
		config_set(&cfg->endpoint_url, v);
		cfg->endpoint_from = from;
	}

	if ((v = o->ca_bundle) != NULL || (v = config_env("AWS_CA_BUNDLE")))
		config_set(&cfg->ca_bundle, v);
	if (o->output != NULL)
		config_set(&cfg->output, o->output);
	if (o->state_file != NULL)
		config_set(&cfg->state_file, o->state_file);
	return nerr;
}

/* The store lives beside the final state file unless the file says where. */
static void
config_credentials_default(struct config *cfg)
{
	const char *slash;

	if (cfg->credentials_file != NULL || cfg->state_file == NULL)
		return;
	if ((slash = strrchr(cfg->state_file, '/')) == NULL)
		cfg->credentials_file = xstrdup("credentials.enc");
	else
		cfg->credentials_file = xasprintf("%.*s/credentials.enc",
		    (int)(slash - cfg->state_file), cfg->state_file);
}

static int
config_check_log_format(const struct config *cfg)
{
	enum log_format f;
	char buf[64];

	if (cfg->log_format == NULL || log_format_parse(cfg->log_format, &f) == 0)
		return 0;
	log_error("%s: invalid log_format '%s': use text or json",
	    config_describe(cfg), log_clean(buf, sizeof(buf), cfg->log_format));
	return 1;
}

int
config_load_as(struct config *cfg, const struct config_overrides *o,
    bool as_root)
{
	static const struct config_overrides none;
	char *defpath;
	int nerr = 0;

	if (o == NULL)
		o = &none;
	defpath = config_defaults(cfg, as_root);
	if (o->config_path != NULL)
		nerr += config_read_file(cfg, o->config_path, true) != 0;
	else if (defpath != NULL)
		nerr += config_read_file(cfg, defpath, false) != 0;
	free(defpath);
	nerr += config_overlay(cfg, o);
	nerr += config_accounts_check(cfg);
	config_credentials_default(cfg);
	nerr += config_check_log_format(cfg);
	if (cfg->state_file == NULL || cfg->key_file == NULL) {
		log_error("cannot find the home directory: set HOME");
		nerr++;
	}
	if (nerr > 0) {
		config_free(cfg);
		return EX_CONFIG;
	}
	return 0;
}

int
config_load(struct config *cfg, const struct config_overrides *o)
{
	return config_load_as(cfg, o, geteuid() == 0);
}

void
config_regions_all(struct config *cfg, const char *partition)
{
	strlist_free(&cfg->regions);
	(void)regions_all(partition, &cfg->regions);
	cfg->regions_all = true;
}

void
config_regions_partition(struct config *cfg, const char *partition)
{
	struct strlist list = { 0 };

	if (!cfg->regions_all || partition == NULL ||
	    regions_all(partition, &list) == -1) {
		strlist_free(&list);
		return;
	}
	strlist_free(&cfg->regions);
	cfg->regions = list;
}

int
config_default_regions(struct config *cfg, const struct strlist *stored)
{
	/* The stored connection's region tells the partition of its keys. */
	if (cfg->regions_all && stored != NULL && stored->n > 0)
		config_regions_partition(cfg, regions_partition(stored->v[0]));
	if (cfg->regions.n == 0 && stored != NULL && stored->n > 0 &&
	    config_set_regions(cfg, stored, "stored connection") > 0)
		return EX_CONFIG;
	if (cfg->regions.n == 0) {
		log_error("no region configured: use -r REGION (a region code "
		    "such as us-east-1), 'regions' in %s, AWS_REGION, or "
		    "bedrock-trail connect", cfg->path ? cfg->path
		    : "the config file");
		return EX_CONFIG;
	}
	return 0;
}

const char *
config_service_file_unused_at(const char *service_path,
    const struct config_overrides *o, bool as_root)
{
	if (as_root || o->config_path != NULL || access(service_path, F_OK) != 0)
		return NULL;
	return service_path;
}

const char *
config_service_file_unused(const struct config_overrides *o)
{
	return config_service_file_unused_at(ROOT_CONFIG, o, geteuid() == 0);
}

const char *
config_describe(const struct config *cfg)
{
	return cfg->path != NULL ? cfg->path : "built-in defaults";
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	strlist_free(&cfg->regions);
	strlist_free(&cfg->event_sources);
	strlist_free(&cfg->event_names);
	free(cfg->output);
	free(cfg->discoveries_output);
	strlist_free(&cfg->models_allowed);
	strlist_free(&cfg->models_denied);
	free(cfg->state_file);
	free(cfg->credentials_file);
	free(cfg->key_file);
	free(cfg->profile);
	free(cfg->role_arn);
	free(cfg->external_id);
	free(cfg->role_session_name);
	free(cfg->endpoint_url);
	free(cfg->ca_bundle);
	for (size_t i = 0; i < cfg->naccounts; i++) {
		free(cfg->accounts[i].id);
		free(cfg->accounts[i].role_arn);
		free(cfg->accounts[i].external_id);
		free(cfg->accounts[i].name);
		strlist_free(&cfg->accounts[i].regions);
	}
	free(cfg->accounts);
	strlist_free(&cfg->organization.include);
	strlist_free(&cfg->organization.exclude);
	free(cfg->role_name);
	free(cfg->log_format);
	memset(cfg, 0, sizeof(*cfg));
}
