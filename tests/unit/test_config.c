/*
 * config: defaults, the YAML file, the environment and the command line,
 * and every message a bad configuration produces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "t.h"

#define FIX "tests/fixtures/config/"

static char home[] = "/tmp/test_config.XXXXXX";

/* A fake HOME and none of the variables config reads. */
static void
reset_env(void)
{
	static const char *const vars[] = {
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDTRAIL",
		"AWS_CA_BUNDLE", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", home, 1);
}

/* Loads path as a non-root user would; returns the status, stderr in t_captured. */
static int
load(const char *path, struct config *cfg)
{
	struct config_overrides o = { 0 };
	int rc;

	o.config_path = path;
	t_capture_start();
	rc = config_load_as(cfg, &o, false);
	t_capture_end();
	return rc;
}

static void
expect_error(const char *file, const char *want)
{
	struct config c;

	reset_env();
	T_EQ_INT(load(file, &c), EX_CONFIG);
	T_EQ_STR(t_captured, want);
	T_ASSERT(c.path == NULL && c.regions.n == 0);
	config_free(&c);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* `regions: all` is every commercial region, or the stored partition's. */
static void
test_regions_all(void)
{
	struct strlist cn = { 0 };
	struct config c;
	char path[300];

	reset_env();
	snprintf(path, sizeof(path), "%s/all.yaml", home);
	write_file(path, "regions: all\n");
	T_EQ_INT(load(path, &c), 0);
	T_ASSERT(c.regions_all);
	T_ASSERT(c.regions.n > 30);
	T_ASSERT(strlist_contains(&c.regions, "eu-central-1"));
	strlist_add(&cn, "cn-north-1");
	T_EQ_INT(config_default_regions(&c, &cn), 0);
	T_EQ_INT(c.regions.n, 2);
	T_EQ_STR(c.regions.v[1], "cn-northwest-1");
	strlist_free(&cn);
	config_free(&c);
	unlink(path);
}

static void
test_good_file_sets_every_key(void)
{
	struct config c;

	reset_env();
	T_EQ_INT(load(FIX "good.yaml", &c), 0);
	T_EQ_STR(t_captured, "");
	T_EQ_STR(config_describe(&c), FIX "good.yaml");
	T_EQ_INT(c.regions.n, 2);
	T_EQ_STR(c.regions.v[0], "eu-west-1");
	T_EQ_STR(c.regions.v[1], "us-gov-west-1");
	T_EQ_STR(c.regions_from, "config file");
	T_EQ_INT(c.event_sources.n, 2);
	T_EQ_STR(c.event_sources.v[1], "bedrock-mantle.amazonaws.com");
	T_EQ_INT(c.event_names.n, 2);
	T_EQ_STR(c.event_names.v[0], "InvokeModel");
	T_EQ_STR(c.event_names.v[1], "Converse");
	T_EQ_INT(c.first_poll_lookback, 7 * 86400);
	T_EQ_INT(c.overlap, 600);
	T_EQ_STR(c.output, "/var/log/bedrock-trail/records.jsonl");
	T_EQ_STR(c.state_file, "/tmp/bt/state.json");
	T_EQ_STR(c.credentials_file, "/tmp/bt/creds.enc");
	T_EQ_STR(c.key_file, "/tmp/bt/master.key");
	T_EQ_STR(c.profile, "audit");
	T_EQ_STR(c.endpoint_url, "http://127.0.0.1:8080");
	T_EQ_STR(c.ca_bundle, "/tmp/bt/ca.pem");
	T_ASSERT(c.max_requests_per_second == 1.5);
	T_EQ_INT(c.max_attempts, 3);
	T_EQ_INT(c.timeout, 120);
	T_EQ_INT(c.nextra_fields, 2);
	T_EQ_INT(c.extra_fields[0], EXTRA_INFERENCE_REGION);
	T_EQ_INT(c.extra_fields[1], EXTRA_SOURCE_IP);
	config_free(&c);
}

/* The defaults every non-path key has, whoever runs the tool. */
static void
check_builtin_values(const struct config *c)
{
	T_EQ_INT(c->regions.n, 0);
	T_ASSERT(c->regions_from == NULL);
	T_EQ_INT(c->event_sources.n, 1);
	T_EQ_STR(c->event_sources.v[0], "bedrock.amazonaws.com");
	T_EQ_INT(c->event_names.n, 0);
	T_EQ_INT(c->first_poll_lookback, 86400);
	T_EQ_INT(c->overlap, 900);
	T_EQ_STR(c->output, "-");
	T_EQ_STR(c->profile, "default");
	T_ASSERT(c->endpoint_url == NULL);
	T_ASSERT(c->ca_bundle == NULL);
	T_ASSERT(c->max_requests_per_second == 2);
	T_EQ_INT(c->max_attempts, 8);
	T_EQ_INT(c->timeout, 60);
	T_EQ_INT(c->max_run_time, 6 * 3600);
	T_EQ_INT(c->nextra_fields, 0);
}

static void
check_user_paths(const struct config *c, const char *confdir,
    const char *statedir)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/bedrock-trail/state.json", statedir);
	T_EQ_STR(c->state_file, want);
	snprintf(want, sizeof(want), "%s/bedrock-trail/credentials.enc",
	    statedir);
	T_EQ_STR(c->credentials_file, want);
	snprintf(want, sizeof(want), "%s/bedrock-trail/master.key", confdir);
	T_EQ_STR(c->key_file, want);
}

static void
test_empty_file_gives_defaults(void)
{
	char confdir[256], statedir[256];
	struct config c;

	reset_env();
	snprintf(confdir, sizeof(confdir), "%s/.config", home);
	snprintf(statedir, sizeof(statedir), "%s/.local/state", home);
	T_EQ_INT(load(FIX "empty.yaml", &c), 0);
	T_EQ_STR(t_captured, "");
	T_EQ_STR(config_describe(&c), FIX "empty.yaml");
	check_builtin_values(&c);
	check_user_paths(&c, confdir, statedir);
	config_free(&c);
}

static void
test_comments_and_document_marker_give_defaults(void)
{
	struct config c;

	reset_env();
	T_EQ_INT(load(FIX "comments_only.yaml", &c), 0);
	T_EQ_STR(t_captured, "");
	check_builtin_values(&c);
	config_free(&c);
}

static void
test_missing_default_file_means_builtin_defaults(void)
{
	struct config c;

	reset_env();
	T_EQ_INT(load(NULL, &c), 0);
	T_EQ_STR(t_captured, "");
	T_ASSERT(c.path == NULL);
	T_EQ_STR(config_describe(&c), "built-in defaults");
	check_builtin_values(&c);
	config_free(&c);
}

static void
test_default_file_is_read_from_xdg_config_home(void)
{
	char dir[256], path[300];
	struct config c;

	reset_env();
	snprintf(dir, sizeof(dir), "%s/xdgconf", home);
	mkdir(dir, 0700);
	setenv("XDG_CONFIG_HOME", dir, 1);
	snprintf(dir, sizeof(dir), "%s/xdgconf/bedrock-trail", home);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	write_file(path, "timeout: 5s\n");
	T_EQ_INT(load(NULL, &c), 0);
	T_EQ_STR(config_describe(&c), path);
	T_EQ_INT(c.timeout, 5);
	config_free(&c);
	unlink(path);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/xdgconf", home);
	rmdir(dir);
}

static void
test_xdg_variables_choose_the_paths(void)
{
	struct config c;

	reset_env();
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	T_EQ_INT(load(NULL, &c), 0);
	check_user_paths(&c, "/x/conf", "/x/state");
	config_free(&c);
}

/* The XDG spec says relative values are invalid and to be ignored. */
static void
test_relative_xdg_variables_are_ignored(void)
{
	char confdir[256], statedir[256];
	struct config c;

	reset_env();
	setenv("XDG_CONFIG_HOME", "conf", 1);
	setenv("XDG_STATE_HOME", "state", 1);
	snprintf(confdir, sizeof(confdir), "%s/.config", home);
	snprintf(statedir, sizeof(statedir), "%s/.local/state", home);
	T_EQ_INT(load(NULL, &c), 0);
	check_user_paths(&c, confdir, statedir);
	config_free(&c);
}

static void
test_root_uses_system_paths(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.config_path = FIX "empty.yaml";
	T_EQ_INT(config_load_as(&c, &o, true), 0);
	check_builtin_values(&c);
	T_EQ_STR(c.state_file, "/var/lib/bedrock-trail/state.json");
	T_EQ_STR(c.credentials_file, "/var/lib/bedrock-trail/credentials.enc");
	T_EQ_STR(c.key_file, "/etc/bedrock-trail/master.key");
	config_free(&c);
}

/*
 * As root, the default file is /etc/bedrock-trail/config.yaml, not XDG's.
 * Whatever this machine has in /etc, the XDG file must not be read: it
 * holds an unknown key, so reading it would be an error that names it.
 */
static void
test_root_reads_etc_not_xdg(void)
{
	const char *etc = "/etc/bedrock-trail/config.yaml";
	char dir[256], path[300];
	struct config c;
	int rc;

	reset_env();
	snprintf(dir, sizeof(dir), "%s/rootxdg", home);
	mkdir(dir, 0700);
	setenv("XDG_CONFIG_HOME", dir, 1);
	snprintf(dir, sizeof(dir), "%s/rootxdg/bedrock-trail", home);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	write_file(path, "regoins: [us-east-1]\n");
	t_capture_start();
	rc = config_load_as(&c, NULL, true);
	T_ASSERT(strstr(t_capture_end(), path) == NULL);
	if (rc == 0) {
		T_ASSERT(c.path == NULL || strcmp(c.path, etc) == 0);
		config_free(&c);
	}
	unlink(path);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/rootxdg", home);
	rmdir(dir);
}

/* config_load decides root-or-not by the effective uid. */
static void
test_config_load_follows_euid(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	setenv("XDG_STATE_HOME", "/x/state", 1);
	o.config_path = FIX "empty.yaml";
	T_EQ_INT(config_load(&c, &o), 0);
	T_EQ_STR(c.state_file, geteuid() == 0 ?
	    "/var/lib/bedrock-trail/state.json" :
	    "/x/state/bedrock-trail/state.json");
	config_free(&c);
}

static void
test_missing_file_named_with_c_is_an_error(void)
{
	expect_error(FIX "no-such.yaml", FIX "no-such.yaml: cannot read "
	    "config file: No such file or directory\n");
}

static void
test_directory_as_config_is_an_error(void)
{
	expect_error(FIX, FIX ": cannot read config file: Is a directory\n");
}

static void
test_unknown_key(void)
{
	expect_error(FIX "unknown_key.yaml",
	    FIX "unknown_key.yaml:1:1: unknown key 'regoins'\n");
}

/* All the problems of a file are reported at once. */
static void
test_wrong_types(void)
{
	expect_error(FIX "wrong_type.yaml",
	    FIX "wrong_type.yaml:1:10: 'regions' must be a list of region codes or 'all'\n"
	    FIX "wrong_type.yaml:2:9: 'output' must be a string\n"
	    FIX "wrong_type.yaml:3:26: 'max_requests_per_second' must be a "
	    "number greater than 0 and at most 100\n"
	    FIX "wrong_type.yaml:4:15: 'max_attempts' must be a whole number "
	    "from 1 to 20\n"
	    FIX "wrong_type.yaml:7:5: 'event_names' must be a list of "
	    "strings\n"
	    FIX "wrong_type.yaml:8:9: 'profile' must be a string\n");
}

static void
test_bad_duration(void)
{
	expect_error(FIX "bad_duration.yaml", FIX "bad_duration.yaml:3:11: "
	    "'timeout' must be a duration such as 60s\n");
}

static void
test_values_out_of_range(void)
{
	expect_error(FIX "out_of_range.yaml",
	    FIX "out_of_range.yaml:1:10: 'timeout' must be between 1s and 1h\n"
	    FIX "out_of_range.yaml:2:10: 'overlap' must be between 0s and 90d\n"
	    FIX "out_of_range.yaml:3:22: 'first_poll_lookback' must be "
	    "between 1s and 90d\n"
	    FIX "out_of_range.yaml:4:26: 'max_requests_per_second' must be a "
	    "number greater than 0 and at most 100\n"
	    FIX "out_of_range.yaml:5:15: 'max_attempts' must be a whole number "
	    "from 1 to 20\n");
}

static void
test_bad_region_in_file(void)
{
	expect_error(FIX "bad_region.yaml",
	    FIX "bad_region.yaml:3:5: invalid region 'US East': use a region "
	    "code such as us-east-1\n"
	    FIX "bad_region.yaml:4:5: invalid region 'us-east-1a': use a "
	    "region code such as us-east-1\n");
}

/* event_names and extra_fields may be empty; regions and sources not. */
static void
test_empty_lists(void)
{
	expect_error(FIX "empty_list.yaml",
	    FIX "empty_list.yaml:1:10: 'regions' must not be empty\n"
	    FIX "empty_list.yaml:2:16: 'event_sources' must not be empty\n");
}

static void
test_duplicate_key(void)
{
	expect_error(FIX "duplicate_key.yaml",
	    FIX "duplicate_key.yaml:3:1: duplicate key 'regions'\n");
}

static void
test_duplicate_list_item(void)
{
	expect_error(FIX "duplicate_item.yaml", FIX "duplicate_item.yaml:1:40: "
	    "'event_sources' lists 'bedrock.amazonaws.com' twice\n");
}

static void
test_syntax_error(void)
{
	expect_error(FIX "syntax_error.yaml", FIX "syntax_error.yaml:2:8: "
	    "invalid yaml: did not find expected ',' or ']' while parsing a "
	    "flow sequence\n");
}

static void
test_invalid_utf8(void)
{
	expect_error(FIX "bad_utf8.yaml", FIX "bad_utf8.yaml:2:12: "
	    "invalid yaml: incomplete UTF-8 octet sequence\n");
}

static void
test_top_level_not_a_mapping(void)
{
	expect_error(FIX "non_mapping.yaml", FIX "non_mapping.yaml:1:1: "
	    "top level must be a mapping of keys to values\n");
}

static void
test_bad_extra_field(void)
{
	expect_error(FIX "bad_extra_field.yaml", FIX "bad_extra_field.yaml:1:27: "
	    "unknown extra field 'sourceIp': use sourceIPAddress, userAgent, "
	    "inferenceRegion or accountName\n");
}

static void
test_bad_endpoint_url_in_file(void)
{
	expect_error(FIX "bad_endpoint.yaml", FIX "bad_endpoint.yaml:1:15: "
	    "invalid endpoint_url 'cloudtrail.us-east-1.amazonaws.com': use a "
	    "URL that starts with https://\n");
}

static void
test_second_document(void)
{
	expect_error(FIX "two_documents.yaml", FIX "two_documents.yaml:3:1: "
	    "only one yaml document is allowed\n");
}

/* -r > AWS_REGION > AWS_DEFAULT_REGION > file. */
static void
test_region_precedence(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.config_path = FIX "good.yaml";
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_INT(c.regions.n, 1);
	T_EQ_STR(c.regions.v[0], "ap-south-1");
	T_EQ_STR(c.regions_from, "AWS_DEFAULT_REGION");
	config_free(&c);

	setenv("AWS_REGION", "il-central-1", 1);
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.regions.v[0], "il-central-1");
	T_EQ_STR(c.regions_from, "AWS_REGION");
	config_free(&c);

	strlist_add(&o.regions, "cn-north-1");
	strlist_add(&o.regions, "us-isob-east-1");
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_INT(c.regions.n, 2);
	T_EQ_STR(c.regions.v[0], "cn-north-1");
	T_EQ_STR(c.regions.v[1], "us-isob-east-1");
	T_EQ_STR(c.regions_from, "-r");
	config_free(&c);
	strlist_free(&o.regions);
}

static void
test_empty_aws_region_counts_as_unset(void)
{
	struct config c;

	reset_env();
	setenv("AWS_REGION", "", 1);
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	T_EQ_INT(load(NULL, &c), 0);
	T_EQ_STR(c.regions.v[0], "eu-north-1");
	config_free(&c);
}

static void
test_invalid_region_from_r(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	/* Not used, so not checked: -r wins. */
	setenv("AWS_REGION", "bogus", 1);
	strlist_add(&o.regions, "us-east-1");
	strlist_add(&o.regions, "US East");
	t_capture_start();
	T_EQ_INT(config_load_as(&c, &o, false), EX_CONFIG);
	T_EQ_STR(t_capture_end(), "-r: invalid region 'US East': use a region "
	    "code such as us-east-1\n");
	config_free(&c);
	strlist_free(&o.regions);
}

static void
test_invalid_region_from_environment(void)
{
	struct config c;

	reset_env();
	setenv("AWS_REGION", "useast1", 1);
	T_EQ_INT(load(NULL, &c), EX_CONFIG);
	T_EQ_STR(t_captured, "AWS_REGION: invalid region 'useast1': use a region "
	    "code such as us-east-1\n");
	unsetenv("AWS_REGION");
	setenv("AWS_DEFAULT_REGION", "Europe", 1);
	T_EQ_INT(load(NULL, &c), EX_CONFIG);
	T_EQ_STR(t_captured, "AWS_DEFAULT_REGION: invalid region 'Europe': use a "
	    "region code such as us-east-1\n");
}

/* Problems in the file and in the environment come out together. */
static void
test_file_and_environment_problems_reported_together(void)
{
	struct config c;

	reset_env();
	setenv("AWS_ENDPOINT_URL", "localhost:4566", 1);
	T_EQ_INT(load(FIX "unknown_key.yaml", &c), EX_CONFIG);
	T_EQ_STR(t_captured, FIX "unknown_key.yaml:1:1: unknown key 'regoins'\n"
	    "AWS_ENDPOINT_URL: invalid endpoint url 'localhost:4566': use a "
	    "URL that starts with https://\n");
}

static void
test_profile_file_beats_environment(void)
{
	struct config c;

	reset_env();
	setenv("AWS_PROFILE", "ops", 1);
	T_EQ_INT(load(FIX "good.yaml", &c), 0);
	T_EQ_STR(c.profile, "audit");
	config_free(&c);
	T_EQ_INT(load(FIX "empty.yaml", &c), 0);
	T_EQ_STR(c.profile, "ops");
	config_free(&c);
}

/* --endpoint-url > AWS_ENDPOINT_URL_CLOUDTRAIL > AWS_ENDPOINT_URL > file. */
static void
test_endpoint_precedence(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.config_path = FIX "good.yaml";
	setenv("AWS_ENDPOINT_URL", "https://generic.example", 1);
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.endpoint_url, "https://generic.example");
	config_free(&c);
	setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", "https://ct.example", 1);
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.endpoint_url, "https://ct.example");
	config_free(&c);
	o.endpoint_url = "http://localhost:9000";
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.endpoint_url, "http://localhost:9000");
	config_free(&c);
}

static void
test_invalid_endpoint_from_command_line(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.endpoint_url = "ftp://x";
	t_capture_start();
	T_EQ_INT(config_load_as(&c, &o, false), EX_CONFIG);
	T_EQ_STR(t_capture_end(), "--endpoint-url: invalid endpoint url "
	    "'ftp://x': use a URL that starts with https://\n");
}

#define PLAIN_HTTP "plain http:// would send the credentials in clear: " \
	"use https://, or http:// only for a loopback host (127.0.0.1, ::1, " \
	"localhost)"

/* Issue 10, defect 3: what libcurl would refuse fails here, not in a poll. */
static void
test_endpoint_libcurl_refuses_is_a_config_error(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.endpoint_url = "https://bad host";
	t_capture_start();
	T_EQ_INT(config_load_as(&c, &o, false), EX_CONFIG);
	T_EQ_STR(t_capture_end(), "--endpoint-url: invalid endpoint url "
	    "'https://bad host': bad hostname\n");
	o.endpoint_url = "https://ct.example/?a=b";
	t_capture_start();
	T_EQ_INT(config_load_as(&c, &o, false), EX_CONFIG);
	T_EQ_STR(t_capture_end(), "--endpoint-url: invalid endpoint url "
	    "'https://ct.example/?a=b': an endpoint has no user name, query or "
	    "fragment\n");
}

static void
test_endpoint_in_file_is_checked_by_libcurl(void)
{
	char path[300], want[400];

	snprintf(path, sizeof(path), "%s/bad_host.yaml", home);
	write_file(path, "endpoint_url: https://bad host\n");
	snprintf(want, sizeof(want), "%s:1:15: invalid endpoint_url "
	    "'https://bad host': bad hostname\n", path);
	expect_error(path, want);
	unlink(path);
}

/* Issue 10, defect 6: a session token must not cross a network in clear. */
static void
test_plain_http_only_for_loopback(void)
{
	static const char *const ok[] = { "http://127.0.0.1:8080",
		"http://127.9.8.7/", "http://localhost:4566", "http://[::1]:9/",
		"https://cloudtrail.example" };
	static const char *const bad[] = { "http://cloudtrail.example",
		"http://10.0.0.1:4566", "http://127.0.0.1.example.com/",
		"http://localhost.example.com", "http://[::2]/" };
	struct config_overrides o = { 0 };
	struct config c;
	char want[300];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		reset_env();
		setenv("AWS_ENDPOINT_URL", ok[i], 1);
		T_EQ_INT(config_load_as(&c, &o, false), 0);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_env();
		setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", bad[i], 1);
		t_capture_start();
		T_EQ_INT(config_load_as(&c, &o, false), EX_CONFIG);
		snprintf(want, sizeof(want), "AWS_ENDPOINT_URL_CLOUDTRAIL: "
		    "invalid endpoint url '%s': " PLAIN_HTTP "\n", bad[i]);
		T_EQ_STR(t_capture_end(), want);
	}
	reset_env();
	o.endpoint_url = "http://cloudtrail.example";
	t_capture_start();
	T_EQ_INT(config_load_as(&c, &o, false), EX_CONFIG);
	T_EQ_STR(t_capture_end(), "--endpoint-url: invalid endpoint url "
	    "'http://cloudtrail.example': " PLAIN_HTTP "\n");
}

static void
test_ca_bundle_precedence(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.config_path = FIX "good.yaml";
	setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1);
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.ca_bundle, "/env/ca.pem");
	config_free(&c);
	o.ca_bundle = "/flag/ca.pem";
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.ca_bundle, "/flag/ca.pem");
	config_free(&c);
}

static void
test_output_and_state_file_flags_beat_file(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.config_path = FIX "good.yaml";
	o.output = "-";
	o.state_file = "/flag/state.json";
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.output, "-");
	T_EQ_STR(c.state_file, "/flag/state.json");
	/* The file named credentials_file itself: it stays. */
	T_EQ_STR(c.credentials_file, "/tmp/bt/creds.enc");
	config_free(&c);
}

/* The store follows the final state file when nothing names it. */
static void
test_credentials_file_beside_final_state_file(void)
{
	struct config_overrides o = { 0 };
	struct config c;

	reset_env();
	o.state_file = "/srv/bt/cursors.json";
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.credentials_file, "/srv/bt/credentials.enc");
	config_free(&c);
	o.state_file = "cursors.json";
	T_EQ_INT(config_load_as(&c, &o, false), 0);
	T_EQ_STR(c.credentials_file, "credentials.enc");
	config_free(&c);
}

static void
test_stored_regions_only_when_none_configured(void)
{
	struct strlist stored = { 0 };
	struct config c;

	reset_env();
	strlist_add(&stored, "eu-central-2");
	T_EQ_INT(load(NULL, &c), 0);
	T_EQ_INT(config_default_regions(&c, &stored), 0);
	T_EQ_INT(c.regions.n, 1);
	T_EQ_STR(c.regions.v[0], "eu-central-2");
	T_EQ_STR(c.regions_from, "stored connection");
	config_free(&c);

	T_EQ_INT(load(FIX "good.yaml", &c), 0);
	T_EQ_INT(config_default_regions(&c, &stored), 0);
	T_EQ_STR(c.regions.v[0], "eu-west-1");
	T_EQ_STR(c.regions_from, "config file");
	config_free(&c);
	strlist_free(&stored);

	/* Nowhere a region: a configuration error, before any request. */
	T_EQ_INT(load(NULL, &c), 0);
	T_EQ_INT(config_default_regions(&c, &stored), EX_CONFIG);
	T_EQ_INT(c.regions.n, 0);
	config_free(&c);
}

static void
test_invalid_stored_region(void)
{
	struct strlist stored = { 0 };
	struct config c;

	reset_env();
	strlist_add(&stored, "us east 1");
	T_EQ_INT(load(NULL, &c), 0);
	t_capture_start();
	T_EQ_INT(config_default_regions(&c, &stored), EX_CONFIG);
	T_EQ_STR(t_capture_end(), "stored connection: invalid region "
	    "'us east 1': use a region code such as us-east-1\n");
	config_free(&c);
	strlist_free(&stored);
}

static void
test_region_codes(void)
{
	static const char *const good[] = {
		"us-east-1", "eu-central-2", "ap-southeast-3", "us-gov-west-1",
		"cn-north-1", "il-central-1", "us-isob-east-1", "ca-west-1",
		"ap-northeast-12",
	};
	static const char *const bad[] = {
		"", "US East", "us-east", "us-east-1a", "useast1", "us-1",
		"us-east-123", "US-EAST-1", "u-east-1", "use-east-1",
		"us--east-1", "us-east-1-", "-us-east-1", "us-east-1 ",
		"us_east_1", "us-east1",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!config_region_valid(good[i]))
			T_FAIL("'%s' should be valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_region_valid(bad[i]))
			T_FAIL("'%s' should be invalid", bad[i]);
}

static void
test_role_arns(void)
{
	static const char *const good[] = {
		"arn:aws:iam::111122223333:role/BedrockTrailReader",
		"arn:aws-us-gov:iam::111122223333:role/path/to/Reader",
		"arn:aws-cn:iam::111122223333:role/a+b=c,d.e@f_g-h",
	};
	static const char *const bad[] = {
		"", "BedrockTrailReader", "arn:aws:iam::11112222333:role/R",
		"arn:aws:iam::111122223333:user/R", "arn:aws:sts::111122223333:"
		"assumed-role/R/s", "arn:aws:iam::111122223333:role/",
		"arn:aws:iam::111122223333:role/bad name",
		"arn:azure:iam::111122223333:role/R",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!config_role_arn_valid(good[i]))
			T_FAIL("'%s' should be valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_role_arn_valid(bad[i]))
			T_FAIL("'%s' should be invalid", bad[i]);
}

static void
test_extra_field_names(void)
{
	T_EQ_STR(extra_field_name(EXTRA_SOURCE_IP), "sourceIPAddress");
	T_EQ_STR(extra_field_name(EXTRA_USER_AGENT), "userAgent");
	T_EQ_STR(extra_field_name(EXTRA_INFERENCE_REGION), "inferenceRegion");
}

static void
test_free_accepts_null_and_freed(void)
{
	struct config c;

	reset_env();
	config_free(NULL);
	T_EQ_INT(load(FIX "good.yaml", &c), 0);
	config_free(&c);
	config_free(&c);
	T_ASSERT(c.path == NULL && c.output == NULL);
}

/* The example holds the defaults: loading it changes nothing. */
static void
test_example_config_is_the_defaults(void)
{
	struct config c;

	reset_env();
	T_EQ_INT(load("examples/config.yaml", &c), 0);
	T_EQ_STR(t_captured, "");
	check_builtin_values(&c);
	config_free(&c);
}

/* "#key: value" lines are real settings once uncommented; all keys appear. */
static void
test_example_config_names_every_key(void)
{
	static const char *const keys[] = {
		"regions", "event_sources", "event_names",
		"first_poll_lookback", "overlap", "output", "state_file",
		"credentials_file", "key_file", "profile", "endpoint_url",
		"ca_bundle", "max_requests_per_second", "max_attempts",
		"timeout", "max_run_time", "extra_fields", "role_arn",
		"external_id", "role_session_name",
	};
	char line[512], tmp[300];
	struct strbuf all = { 0 };
	struct config c;
	FILE *in, *out;

	reset_env();
	snprintf(tmp, sizeof(tmp), "%s/uncommented.yaml", home);
	in = fopen("examples/config.yaml", "r");
	out = fopen(tmp, "w");
	T_ASSERT(in != NULL && out != NULL);
	if (in == NULL || out == NULL)
		return;
	while (fgets(line, sizeof(line), in) != NULL) {
		const char *s = line;

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z')
			s++;
		fputs(s, out);
		strbuf_adds(&all, "\n");
		strbuf_adds(&all, s);
	}
	fclose(in);
	fclose(out);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n%s:", keys[i]);
		if (strstr(all.buf, want) == NULL)
			T_FAIL("examples/config.yaml lacks '%s'", keys[i]);
	}
	strbuf_free(&all);
	T_EQ_INT(load(tmp, &c), 0);
	T_EQ_STR(t_captured, "");
	T_EQ_INT(c.regions.n, 2);
	T_EQ_STR(c.key_file, "/etc/bedrock-trail/master.key");
	T_EQ_STR(c.role_arn, "arn:aws:iam::111122223333:role/"
	    "BedrockTrailReader");
	T_EQ_STR(c.external_id, "bt-7f3c9a1e-2b64-4c0e-9d5a-31e8c0f4a6b2");
	T_EQ_STR(c.role_session_name, "bedrock-trail");
	config_free(&c);
	unlink(tmp);
}

static void
test_service_config_unused_only_for_a_user_without_c(void)
{
	struct config_overrides none = { 0 }, with_c = { 0 };
	char path[] = "/tmp/bt-test-service-XXXXXX";
	int fd = mkstemp(path);

	T_ASSERT(fd >= 0);
	close(fd);
	with_c.config_path = path;
	T_EQ_STR(config_service_file_unused_at(path, &none, false), path);
	T_EQ_STR(config_service_file_unused_at(path, &none, true), NULL);
	T_EQ_STR(config_service_file_unused_at(path, &with_c, false), NULL);
	unlink(path);
	T_EQ_STR(config_service_file_unused_at(path, &none, false), NULL);
}

int
main(void)
{
	if (mkdtemp(home) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(test_good_file_sets_every_key);
	T_RUN(test_regions_all);
	T_RUN(test_empty_file_gives_defaults);
	T_RUN(test_comments_and_document_marker_give_defaults);
	T_RUN(test_missing_default_file_means_builtin_defaults);
	T_RUN(test_default_file_is_read_from_xdg_config_home);
	T_RUN(test_xdg_variables_choose_the_paths);
	T_RUN(test_relative_xdg_variables_are_ignored);
	T_RUN(test_root_uses_system_paths);
	T_RUN(test_root_reads_etc_not_xdg);
	T_RUN(test_config_load_follows_euid);
	T_RUN(test_missing_file_named_with_c_is_an_error);
	T_RUN(test_directory_as_config_is_an_error);
	T_RUN(test_unknown_key);
	T_RUN(test_wrong_types);
	T_RUN(test_bad_duration);
	T_RUN(test_values_out_of_range);
	T_RUN(test_bad_region_in_file);
	T_RUN(test_empty_lists);
	T_RUN(test_duplicate_key);
	T_RUN(test_duplicate_list_item);
	T_RUN(test_syntax_error);
	T_RUN(test_invalid_utf8);
	T_RUN(test_top_level_not_a_mapping);
	T_RUN(test_bad_extra_field);
	T_RUN(test_bad_endpoint_url_in_file);
	T_RUN(test_second_document);
	T_RUN(test_region_precedence);
	T_RUN(test_empty_aws_region_counts_as_unset);
	T_RUN(test_invalid_region_from_r);
	T_RUN(test_invalid_region_from_environment);
	T_RUN(test_file_and_environment_problems_reported_together);
	T_RUN(test_profile_file_beats_environment);
	T_RUN(test_endpoint_precedence);
	T_RUN(test_invalid_endpoint_from_command_line);
	T_RUN(test_endpoint_libcurl_refuses_is_a_config_error);
	T_RUN(test_endpoint_in_file_is_checked_by_libcurl);
	T_RUN(test_plain_http_only_for_loopback);
	T_RUN(test_ca_bundle_precedence);
	T_RUN(test_output_and_state_file_flags_beat_file);
	T_RUN(test_credentials_file_beside_final_state_file);
	T_RUN(test_stored_regions_only_when_none_configured);
	T_RUN(test_invalid_stored_region);
	T_RUN(test_region_codes);
	T_RUN(test_role_arns);
	T_RUN(test_extra_field_names);
	T_RUN(test_free_accepts_null_and_freed);
	T_RUN(test_example_config_is_the_defaults);
	T_RUN(test_example_config_names_every_key);
	T_RUN(test_service_config_unused_only_for_a_user_without_c);
	if (rmdir(home) == -1)
		perror(home);
	return T_DONE();
}
