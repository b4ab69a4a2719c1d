/*
 * The commands. main.c parses the whole command line into struct cli and
 * loads the configuration; each cmd_* orchestrates one command and returns
 * the process exit status (0 or a sysexits(3) code), having reported any
 * failure itself.
 */
#ifndef CMD_H
#define CMD_H

#include <stdbool.h>

#include "config.h"
#include "credentials.h"

enum report_format { FORMAT_DEFAULT, FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

struct cli {
	struct config_overrides over;	/* global options */
	const char *since, *until;	/* poll, report */
	const char *access_key_id;	/* connect */
	bool session_token_stdin;	/* connect */
	const char *role_arn;		/* connect --role-arn */
	const char *external_id;	/* connect --external-id */
	bool forget_key;		/* disconnect */
	enum report_format format;	/* status, report */
	bool inventory;			/* report */
	bool by_account;		/* report --by account */
	char **args;			/* operands after the command */
	int nargs;
};

int cmd_test_connection(struct cli *, struct config *);
int cmd_connect(struct cli *, struct config *);
int cmd_disconnect(struct cli *, struct config *);
int cmd_poll(struct cli *, struct config *);
int cmd_status(struct cli *, struct config *);
int cmd_report(struct cli *, struct config *);

/*
 * Run as root: refuses (EX_CONFIG, reported) when the command run would
 * write a state, store, key or output file of another user. 0 otherwise.
 */
int cmd_guard_files(int (*run)(struct cli *, struct config *),
    const struct cli *cli, const struct config *cfg);

/*
 * The check behind test-connection and connect: one LookupEvents call per
 * region of cfg with creds; prints a line per working region and reports
 * each failure with hints. Returns 0 or the first failure's exit code.
 */
int connection_check(const struct config *cfg,
    const struct credentials *creds);

#endif
