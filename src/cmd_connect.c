/*
 * connect: an access key, its secret and the regions, from the terminal
 * (the secret with echo off) or from standard input; the same check as
 * test-connection; and only when that passes, the encrypted store.
 *
 * A secret never comes from the command line, where ps(1) and
 * /proc/PID/cmdline would show it. Every buffer that held one is wiped.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmd.h"
#include "credentials.h"
#include "credstore.h"
#include "sts.h"
#include "log.h"
#include "util.h"

/*
 * Lines longer than this are no AWS key, secret or session token. getline
 * starts with a buffer this size, so it never reallocates and leaves an
 * unwiped copy of a secret behind.
 */
#define LINE_CAP	8192

/*
 * stdin's stdio buffer: ours, so that the copy of the secret it holds can
 * be wiped too.
 */
static char stdin_buf[LINE_CAP];

/* The terminal as it was before echo went off, for the signal handler. */
static struct termios saved_tty;
static volatile sig_atomic_t tty_altered;

static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NTTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* Gives the terminal its echo back before dying of the signal. */
static void
connect_tty_signal(int sig)
{
	if (tty_altered)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
connect_prompt(const char *prompt)
{
	fputs(prompt, stderr);
	fflush(stderr);
}

/*
 * One line of stdin without its "\n" or "\r\n", as a new string; NULL at
 * end of file or for a line too long to be a key. The line buffer is
 * wiped.
 */
static char *
connect_read_line(void)
{
	size_t cap = LINE_CAP;
	char *buf = xmalloc(cap), *line = NULL;
	ssize_t n;

	n = getline(&buf, &cap, stdin);
	if (n >= LINE_CAP - 1) {
		log_error("standard input: a line of %zd bytes is no access "
		    "key, secret or token", n);
		n = -1;
	}
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		line = xstrdup(buf);
	}
	OPENSSL_cleanse(buf, cap);
	free(buf);
	return line;
}

/*
 * A line read from the terminal with echo off. The terminal is restored on
 * every path, also when a signal ends the process, and the newline the
 * user typed (not echoed) is printed for them. TCSANOW keeps what was
 * typed ahead (a pasted region line) for the next prompt.
 */
static char *
connect_read_secret_tty(const char *prompt)
{
	struct termios quiet;
	struct sigaction sa, old[NTTY_SIGNALS];
	char *line;
	size_t i;

	connect_prompt(prompt);
	if (tcgetattr(STDIN_FILENO, &saved_tty) == -1)
		return connect_read_line();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = connect_tty_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NTTY_SIGNALS; i++)
		sigaction(tty_signals[i], &sa, &old[i]);
	quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tty_altered = 1;
	tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	line = connect_read_line();
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_altered = 0;
	for (i = 0; i < NTTY_SIGNALS; i++)
		sigaction(tty_signals[i], &old[i], NULL);
	fputc('\n', stderr);
	return line;
}

/*
 * Access key ids are letters and digits (AKIA..., ASIA...); checked before
 * the secret is asked for, and before the id goes into a request header.
 */
static int
connect_check_key_id(const char *id)
{
	size_t n = id == NULL ? 0 : strlen(id);
	bool ok = n > 0 && n <= 128;

	for (size_t i = 0; ok && i < n; i++)
		ok = isascii((unsigned char)id[i]) &&
		    isalnum((unsigned char)id[i]);
	if (ok)
		return 0;
	log_error("usage error: %s", n == 0 ? "no access key id given" :
	    "an access key id is letters and digits, such as "
	    "AKIAIOSFODNN7EXAMPLE");
	return EX_USAGE;
}

/* "us-east-1, eu-west-1" for the prompt's default. */
static char *
connect_join(const struct strlist *l)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < l->n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", l->v[i]);
	return sb.buf != NULL ? sb.buf : xstrdup("");
}

/*
 * Asks for the regions, the configured ones (else us-east-1) as the
 * default, and makes the answer cfg's region list. Codes are checked here:
 * config_load never saw them.
 */
static int
connect_ask_regions(struct config *cfg)
{
	char *def = connect_join(&cfg->regions), *answer, *save = NULL, *r;
	char *prompt = xasprintf("Region [%s]: ", *def ? def : "us-east-1");
	struct strlist list = { 0 };
	char buf[128];
	int status = 0;

	connect_prompt(prompt);
	answer = connect_read_line();
	if (answer == NULL || answer[strspn(answer, " \t")] == '\0') {
		free(answer);
		answer = xstrdup(*def ? def : "us-east-1");
	}
	for (r = strtok_r(answer, ", \t", &save); r != NULL;
	     r = strtok_r(NULL, ", \t", &save)) {
		if (!config_region_valid(r)) {
			log_error("invalid region '%s': use a region code "
			    "such as us-east-1", log_clean(buf, sizeof(buf), r));
			status = EX_CONFIG;
		} else if (!strlist_contains(&list, r))
			strlist_add(&list, r);
	}
	if (status == 0) {
		strlist_free(&cfg->regions);
		cfg->regions = list;
		cfg->regions_from = "connect";
	} else
		strlist_free(&list);
	free(answer);
	free(prompt);
	free(def);
	return status;
}

/* At a terminal: whatever the command line did not give. */
static int
connect_ask(struct cli *cli, struct config *cfg, struct credentials *c)
{
	int status;

	if (cli->access_key_id != NULL)
		c->access_key_id = xstrdup(cli->access_key_id);
	else {
		connect_prompt("AWS access key id: ");
		c->access_key_id = connect_read_line();
	}
	if ((status = connect_check_key_id(c->access_key_id)) != 0)
		return status;
	c->secret_access_key = connect_read_secret_tty(
	    "AWS secret access key: ");
	if (c->secret_access_key == NULL || *c->secret_access_key == '\0') {
		log_error("usage error: no secret access key given");
		return EX_USAGE;
	}
	if (cli->session_token_stdin) {
		c->session_token = connect_read_secret_tty(
		    "AWS session token: ");
		if (c->session_token == NULL || *c->session_token == '\0') {
			log_error("usage error: no session token given");
			return EX_USAGE;
		}
	}
	if (cfg->regions_from != NULL && strcmp(cfg->regions_from, "-r") == 0)
		return 0;
	return connect_ask_regions(cfg);
}

/*
 * Without a terminal nobody can answer a prompt: the key id and regions
 * come from the command line (or the configuration), the secret and token
 * from standard input, one line each.
 */
static int
connect_read_stdin(struct cli *cli, struct config *cfg,
    struct credentials *c)
{
	int status = 0;

	if (cli->access_key_id == NULL) {
		log_error("usage error: standard input is not a terminal: "
		    "give --access-key-id");
		status = EX_USAGE;
	} else if (connect_check_key_id(cli->access_key_id) != 0)
		status = EX_USAGE;
	if (cfg->regions.n == 0) {
		log_error("usage error: standard input is not a terminal: "
		    "give --region");
		status = EX_USAGE;
	}
	if (status != 0)
		return status;
	c->access_key_id = xstrdup(cli->access_key_id);
	c->secret_access_key = connect_read_line();
	if (c->secret_access_key == NULL || *c->secret_access_key == '\0') {
		log_error("usage error: the secret access key must be the "
		    "first line of standard input");
		return EX_USAGE;
	}
	if (cli->session_token_stdin) {
		c->session_token = connect_read_line();
		if (c->session_token == NULL || *c->session_token == '\0') {
			log_error("usage error: --session-token-stdin: the "
			    "session token must be the second line of "
			    "standard input");
			return EX_USAGE;
		}
	}
	return 0;
}

/* --external-id belongs to a role; a role ARN must look like one. */
static int
connect_check_role(const struct cli *cli)
{
	char buf[128];

	if (cli->external_id != NULL && cli->role_arn == NULL) {
		log_error("usage error: --external-id needs --role-arn");
		return EX_USAGE;
	}
	if (cli->role_arn != NULL && !config_role_arn_valid(cli->role_arn)) {
		log_error("usage error: invalid role arn '%s': use a role ARN "
		    "such as arn:aws:iam::111122223333:role/BedrockTrailReader",
		    log_clean(buf, sizeof(buf), cli->role_arn));
		return EX_USAGE;
	}
	if (cli->external_id != NULL && *cli->external_id == '\0') {
		log_error("usage error: --external-id must not be empty");
		return EX_USAGE;
	}
	return 0;
}

/* The check test-connection runs, through the role when there is one. */
static int
connect_check(const struct config *cfg, const struct credentials *keys)
{
	struct sts_assume_role role = {
		.role_arn = keys->role_arn,
		.session_name = cfg->role_session_name,
		.external_id = keys->external_id,
	};
	struct credentials assumed = { 0 };
	struct sts_target t;
	int status;

	if (keys->role_arn == NULL)
		return connection_check(cfg, keys);
	/* connect always has a region by now; us-east-1 keeps STS defined. */
	credentials_sts_target(cfg, cfg->regions.n > 0 ? cfg->regions.v[0] :
	    "us-east-1", &t);
	if ((status = credentials_assume_role(keys, &t, &role,
	    &assumed)) == 0)
		status = connection_check(cfg, &assumed);
	credentials_clear(&assumed);
	return status;
}

int
cmd_connect(struct cli *cli, struct config *cfg)
{
	struct credentials creds = { 0 };
	int status;

	/* Not echoed: an operand here may well be a secret. */
	if (cli->nargs > 0) {
		log_error("usage error: connect takes no operands; the secret "
		    "access key is read from standard input");
		log_error("Try 'bedrock-trail connect --help'.");
		return EX_USAGE;
	}
	if ((status = connect_check_role(cli)) != 0) {
		log_error("Try 'bedrock-trail connect --help'.");
		return status;
	}
	setvbuf(stdin, stdin_buf, _IOFBF, sizeof(stdin_buf));
	if (isatty(STDIN_FILENO))
		status = connect_ask(cli, cfg, &creds);
	else
		status = connect_read_stdin(cli, cfg, &creds);
	OPENSSL_cleanse(stdin_buf, sizeof(stdin_buf));
	if (status == EX_USAGE)
		log_error("Try 'bedrock-trail connect --help'.");
	if (status != 0)
		goto out;
	/* The credentials under test are the ones the store will hold. */
	creds.source = CRED_STORE;
	creds.origin = xstrdup(cfg->credentials_file);
	creds.role_arn = cli->role_arn ? xstrdup(cli->role_arn) : NULL;
	creds.external_id = cli->external_id ? xstrdup(cli->external_id) :
	    NULL;
	if ((status = connect_check(cfg, &creds)) != 0) {
		log_error("nothing was stored");
		goto out;
	}
	for (size_t i = 0; i < cfg->regions.n; i++)
		strlist_add(&creds.regions, cfg->regions.v[i]);
	if ((status = credstore_save(cfg->credentials_file, cfg->key_file,
	    &creds)) != 0)
		goto out;
	printf("stored the connection in %s (key file %s)\n",
	    cfg->credentials_file, cfg->key_file);
out:
	credentials_clear(&creds);
	return status;
}
