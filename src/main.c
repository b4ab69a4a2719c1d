/*
 * bedrock-trail: which Amazon Bedrock models an AWS account uses, who calls
 * them and how often, from CloudTrail LookupEvents metadata.
 *
 * main parses the command line, sets up what every command shares, runs
 * the command from the table and turns its result into the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cmd.h"
#include "config.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "owner.h"
#include "suggest.h"
#include "util.h"

/* Options a command accepts besides the global ones. */
enum {
	OPT_OUTPUT = 1 << 0,
	OPT_STATE_FILE = 1 << 1,
	OPT_SINCE_UNTIL = 1 << 2,
	OPT_ACCESS_KEY_ID = 1 << 3,
	OPT_TOKEN_STDIN = 1 << 4,
	OPT_FORGET_KEY = 1 << 5,
	OPT_FORMAT = 1 << 6,
	OPT_INVENTORY = 1 << 7,
	OPT_ROLE = 1 << 8,
	OPT_BY = 1 << 9,
};

static const char *const option_names[] = {
	"--output", "--state-file", "--since/--until", "--access-key-id",
	"--session-token-stdin", "--forget-key", "--format", "--inventory",
	"--role-arn/--external-id", "--by",
};

struct command {
	const char *name;
	int (*run)(struct cli *, struct config *);
	int options;
	const char *summary;
	const char *synopsis;
	const char *help;
};

static const struct command commands[] = {
	{ "test-connection", cmd_test_connection, 0,
	  "check that the credentials can call cloudtrail:LookupEvents", "",
	  "Check that the credentials can call cloudtrail:LookupEvents in each\n"
	  "configured region. Changes nothing.\n" },
	{ "connect", cmd_connect, OPT_ACCESS_KEY_ID | OPT_TOKEN_STDIN |
	  OPT_ROLE,
	  "test credentials, then store them encrypted",
	  " [--access-key-id ID] [--region REGION] [--session-token-stdin]"
	  " [--role-arn ARN [--external-id ID]]",
	  "Ask for (or read from standard input) an access key, test it like\n"
	  "test-connection, and only then store it encrypted (AES-256-GCM).\n"
	  "The secret access key is never taken from the command line.\n"
	  "--role-arn stores a role to assume with the key (and its external\n"
	  "id), tested the same way.\n" },
	{ "disconnect", cmd_disconnect, OPT_FORGET_KEY,
	  "delete the stored credentials", " [--forget-key]",
	  "Delete the stored credentials (and the key file with --forget-key).\n" },
	{ "poll", cmd_poll, OPT_OUTPUT | OPT_STATE_FILE | OPT_SINCE_UNTIL,
	  "fetch the events since the last poll, emit records",
	  " [-o|--output FILE] [--state-file FILE] [--since TIME]"
	  " [--until TIME]",
	  "Fetch the Bedrock events since the last successful poll, print one\n"
	  "JSON record per call, and advance the state. --since/--until run a\n"
	  "one-off window (ISO 8601 UTC or an age such as 90m, 24h, 7d) that\n"
	  "neither reads nor advances the state.\n" },
	{ "status", cmd_status, OPT_STATE_FILE | OPT_FORMAT,
	  "show the configuration, credential source and cursors",
	  " [--state-file FILE] [--format text|json]",
	  "Show the configuration in force, the credential source (access key\n"
	  "id masked) and each region's cursor.\n" },
	{ "report", cmd_report, OPT_SINCE_UNTIL | OPT_FORMAT | OPT_INVENTORY |
	  OPT_STATE_FILE | OPT_BY,
	  "summarise records: which models, by whom, how often",
	  " [--format table|json|csv] [--by account] [--since TIME]\n"
	  "       [--until TIME] [FILE...]\n"
	  "       bedrock-trail [GLOBAL OPTIONS] report --inventory"
	  " [--state-file FILE] [--format table|json|csv]",
	  "Summarise records (stdin by default): per model, calls, errors,\n"
	  "principals, regions, first and last seen; per principal and model,\n"
	  "calls; with a model policy, each model's verdict; --by account: the\n"
	  "same per account. --inventory prints\n"
	  "what poll's state knows instead: per account, models, principals,\n"
	  "regions and principal x model pairs, first and last seen, calls.\n" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_help[] =
    "Global options (before or after the command):\n"
    "  -c, --config FILE      configuration file\n"
    "  -r, --region REGION    region code, repeatable or comma-separated\n"
    "      --endpoint-url URL CloudTrail endpoint instead of AWS's\n"
    "      --ca-bundle FILE   trust these CA certificates too\n"
    "  -q, --quiet            errors only\n"
    "  -v, --verbose          more detail (never secrets)\n"
    "      --log-format FMT   text (the default) or json: one object per line\n"
    "  -h, --help             this help\n"
    "      --version          the version\n";

static void
usage_all(FILE *f)
{
	fprintf(f, "usage: bedrock-trail [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-17s%s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "  %-17s%s\n\n%s\nSee bedrock-trail(1).\n", "help [COMMAND]",
	    "this help, or a command's", global_help);
}

static void
usage_command(FILE *f, const struct command *c)
{
	fprintf(f, "usage: bedrock-trail [GLOBAL OPTIONS] %s%s\n\n%s\n%s",
	    c->name, c->synopsis, c->help, global_help);
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* A usage error, with the nearest valid word when arg looks like a typo. */
static int
usage_error_near(const char *what, const char *arg, const char *near)
{
	log_error("usage error: %s%s%s", what, arg ? " " : "", arg ? arg : "");
	if (near != NULL)
		log_error("did you mean '%s'?", near);
	log_error("Try 'bedrock-trail --help'.");
	return EX_USAGE;
}

static int
usage_error(const char *what, const char *arg)
{
	return usage_error_near(what, arg, NULL);
}

static int
unknown_command(const char *name)
{
	const char *names[NCOMMANDS + 1];

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = "help";
	return usage_error_near("unknown command", name,
	    suggest_nearest(name, names, NCOMMANDS + 1));
}

static void
add_regions(struct strlist *l, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;

	for (char *r = strtok_r(copy, ",", &save); r != NULL;
	     r = strtok_r(NULL, ",", &save))
		if (*r != '\0')
			strlist_add(l, r);
	free(copy);
}

static int
parse_format(const char *s, enum report_format *out)
{
	if (strcmp(s, "table") == 0 || strcmp(s, "text") == 0)
		*out = FORMAT_TABLE;
	else if (strcmp(s, "json") == 0)
		*out = FORMAT_JSON;
	else if (strcmp(s, "csv") == 0)
		*out = FORMAT_CSV;
	else
		return -1;
	return 0;
}

enum { LO_ENDPOINT = 256, LO_CA, LO_VERSION, LO_STATE, LO_SINCE, LO_UNTIL,
	LO_KEY_ID, LO_TOKEN_STDIN, LO_FORGET_KEY, LO_FORMAT, LO_LOG_FORMAT,
	LO_INVENTORY, LO_ROLE_ARN, LO_EXTERNAL_ID, LO_BY };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "region", required_argument, NULL, 'r' },
	{ "endpoint-url", required_argument, NULL, LO_ENDPOINT },
	{ "ca-bundle", required_argument, NULL, LO_CA },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, LO_VERSION },
	{ "output", required_argument, NULL, 'o' },
	{ "state-file", required_argument, NULL, LO_STATE },
	{ "since", required_argument, NULL, LO_SINCE },
	{ "until", required_argument, NULL, LO_UNTIL },
	{ "access-key-id", required_argument, NULL, LO_KEY_ID },
	{ "session-token-stdin", no_argument, NULL, LO_TOKEN_STDIN },
	{ "role-arn", required_argument, NULL, LO_ROLE_ARN },
	{ "external-id", required_argument, NULL, LO_EXTERNAL_ID },
	{ "forget-key", no_argument, NULL, LO_FORGET_KEY },
	{ "format", required_argument, NULL, LO_FORMAT },
	{ "log-format", required_argument, NULL, LO_LOG_FORMAT },
	{ "inventory", no_argument, NULL, LO_INVENTORY },
	{ "by", required_argument, NULL, LO_BY },
	{ NULL, 0, NULL, 0 },
};
#define NLONG (sizeof(long_options) / sizeof(long_options[0]) - 1)

struct parsed {
	struct cli cli;
	int used;		/* OPT_* bits seen */
	bool help, version, quiet, verbose;
	bool log_format_set;	/* --log-format: the config cannot change it */
};

/* One option; returns 0 or EX_USAGE. */
static int
parse_option(int ch, struct parsed *p)
{
	struct cli *c = &p->cli;

	switch (ch) {
	case 'c':
		c->over.config_path = optarg;
		return 0;
	case 'r':
		add_regions(&c->over.regions, optarg);
		return 0;
	case LO_ENDPOINT:
		c->over.endpoint_url = optarg;
		return 0;
	case LO_CA:
		c->over.ca_bundle = optarg;
		return 0;
	case 'q':
		p->quiet = true;
		return 0;
	case 'v':
		p->verbose = true;
		return 0;
	case 'h':
		p->help = true;
		return 0;
	case LO_VERSION:
		p->version = true;
		return 0;
	case 'o':
		c->over.output = optarg;
		p->used |= OPT_OUTPUT;
		return 0;
	case LO_STATE:
		c->over.state_file = optarg;
		p->used |= OPT_STATE_FILE;
		return 0;
	case LO_SINCE:
	case LO_UNTIL:
		*(ch == LO_SINCE ? &c->since : &c->until) = optarg;
		p->used |= OPT_SINCE_UNTIL;
		return 0;
	case LO_KEY_ID:
		c->access_key_id = optarg;
		p->used |= OPT_ACCESS_KEY_ID;
		return 0;
	case LO_TOKEN_STDIN:
		c->session_token_stdin = true;
		p->used |= OPT_TOKEN_STDIN;
		return 0;
	case LO_ROLE_ARN:
	case LO_EXTERNAL_ID:
		*(ch == LO_ROLE_ARN ? &c->role_arn : &c->external_id) = optarg;
		p->used |= OPT_ROLE;
		return 0;
	case LO_FORGET_KEY:
		c->forget_key = true;
		p->used |= OPT_FORGET_KEY;
		return 0;
	case LO_FORMAT:
		if (parse_format(optarg, &c->format) == -1)
			return usage_error("unknown --format", optarg);
		p->used |= OPT_FORMAT;
		return 0;
	case LO_INVENTORY:
		c->inventory = true;
		p->used |= OPT_INVENTORY;
		return 0;
	case LO_BY:
		if (strcmp(optarg, "account") != 0)
			return usage_error("unknown --by (use --by account)",
			    optarg);
		c->by_account = true;
		p->used |= OPT_BY;
		return 0;
	case LO_LOG_FORMAT:
		/* Already applied by early_log_format, before any message. */
		p->log_format_set = true;
		return 0;
	default:
		return usage_error("unknown or incomplete option", NULL);
	}
}

/* "--outptu=x" or "-x": the nearest long option, for a typo. */
static int
unknown_option(const char *bad)
{
	const char *names[NLONG], *near = NULL;
	char *copy = xstrdup(bad), *eq = strchr(copy, '=');
	int rc;

	if (eq != NULL)
		*eq = '\0';
	for (size_t i = 0; i < NLONG; i++)
		names[i] = long_options[i].name;
	if (strncmp(copy, "--", 2) == 0 && copy[2] != '\0')
		near = suggest_nearest(copy + 2, names, NLONG);
	if (near != NULL) {
		char *opt = xasprintf("--%s", near);

		rc = usage_error_near("unknown option", bad, opt);
		free(opt);
	} else
		rc = usage_error("unknown option", bad);
	free(copy);
	return rc;
}

/*
 * --log-format takes effect before the command line is parsed, so that a
 * usage error is already in the format asked for. A bad value is itself
 * a usage error, in text.
 */
static int
early_log_format(int argc, char **argv)
{
	const char *bad;

	if (log_format_from_args(argc, argv, &bad) == -1)
		return usage_error("--log-format must be text or json, not", bad);
	return 0;
}

static int
parse_args(int argc, char **argv, struct parsed *p)
{
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:r:qvho:", long_options,
	    NULL)) != -1) {
		if (ch == ':')
			return usage_error("option needs a value:",
			    argv[optind - 1]);
		if (ch == '?')
			return unknown_option(argv[optind - 1]);
		if ((rc = parse_option(ch, p)) != 0)
			return rc;
	}
	p->cli.args = argv + optind;
	p->cli.nargs = argc - optind;
	return 0;
}

/*
 * Cron may start us with 0, 1 or 2 closed: never let a file we open take
 * their place.
 */
static void
open_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* Secrets pass through this process: keep them out of core files. */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Whether stdout is a pipe whose reader has gone (`report | head`). */
static bool
stdout_reader_gone(void)
{
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	return errno == EPIPE ||
	    (poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0);
}

/*
 * A full disk must not look like success. A reader that stopped reading
 * is the normal end of a filter, as for any Unix tool in a pipeline.
 */
static int
finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (stdout_reader_gone())
			return status;
		log_error("cannot write to standard output: %m");
		return status != 0 ? status : EX_IOERR;
	}
	return status;
}

static int
run(const struct command *cmd, struct parsed *p)
{
	struct config cfg = { 0 };
	int status;

	for (size_t i = 0; i < sizeof(option_names) / sizeof(*option_names);
	     i++) {
		if ((p->used & ~cmd->options & (1 << i)) == 0)
			continue;
		log_error("usage error: %s does not apply to %s",
		    option_names[i], cmd->name);
		log_error("Try 'bedrock-trail %s --help'.", cmd->name);
		return EX_USAGE;
	}
	status = config_load(&cfg, &p->cli.over);
	if (status == 0 && !p->log_format_set && cfg.log_format != NULL)
		log_set_format(strcmp(cfg.log_format, "json") == 0 ?
		    LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	if (status == 0)
		status = cmd_guard_files(cmd->run, &p->cli, &cfg);
	if (status == 0)
		status = cmd->run(&p->cli, &cfg);
	config_free(&cfg);
	return status;
}

static int
help_command(struct parsed *p)
{
	const struct command *cmd;

	if (p->cli.nargs < 2) {
		usage_all(stdout);
		return 0;
	}
	if ((cmd = find_command(p->cli.args[1])) == NULL)
		return unknown_command(p->cli.args[1]);
	usage_command(stdout, cmd);
	return 0;
}

static int
dispatch(struct parsed *p)
{
	const struct command *cmd;

	if (p->version) {
		printf("bedrock-trail %s\n", VERSION);
		return 0;
	}
	if (p->cli.nargs == 0) {
		if (p->help) {
			usage_all(stdout);
			return 0;
		}
		/* The whole usage for a person; one line for a log. */
		if (isatty(STDERR_FILENO) && log_get_format() == LOG_FORMAT_TEXT) {
			usage_all(stderr);
			return EX_USAGE;
		}
		return usage_error("no command given", NULL);
	}
	if (strcmp(p->cli.args[0], "help") == 0)
		return help_command(p);
	if ((cmd = find_command(p->cli.args[0])) == NULL)
		return unknown_command(p->cli.args[0]);
	if (p->help) {
		usage_command(stdout, cmd);
		return 0;
	}
	p->cli.args++;
	p->cli.nargs--;
	return run(cmd, p);
}

int
main(int argc, char **argv)
{
	struct parsed p = { 0 };
	int status;

	open_std_fds();
	no_core_dumps();
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit must fail a write (EFBIG), not kill mid-batch. */
	signal(SIGXFSZ, SIG_IGN);
#ifdef M_ARENA_MAX
	/*
	 * One malloc arena for every thread. glibc reserves 64 MiB of address
	 * space for each thread's own arena; under a ulimit -v that leaves no
	 * room for it, it tries again (mmap, munmap) on every malloc of the
	 * thread, and a poll of 100,000 events takes ten times as long.
	 */
	mallopt(M_ARENA_MAX, 1);
#endif
	/* Before any thread: cJSON's allocator is global. */
	json_arena_hooks();
	if (http_global_init() != 0) {
		log_error("cannot initialise libcurl");
		return EX_SOFTWARE;
	}
	owner_set_argv(argc, argv);
	status = early_log_format(argc, argv);
	if (status == 0)
		status = parse_args(argc, argv, &p);
	if (status == 0) {
		if (p.quiet)
			log_set_level(LOG_QUIET);
		else if (p.verbose)
			log_set_level(LOG_VERBOSE);
		status = dispatch(&p);
	}
	strlist_free(&p.cli.over.regions);
	http_global_cleanup();
	return finish_stdout(status);
}
