/*
 * Run as root, a command that writes refuses before anything is written
 * when a file it would write is the service user's: root would take it
 * over, and the service's next run could not read it (owner.c says why
 * and what to run instead). status, test-connection and report only read,
 * and may run as root.
 */
#include "cmd.h"
#include "owner.h"

static int
guard_poll(const struct cli *cli, const struct config *cfg)
{
	bool use_state = cli->since == NULL && cli->until == NULL;
	int rc = 0;

	if (use_state)
		rc = owner_check_write(cfg->state_file, "state file");
	if (rc == 0)
		rc = owner_check_write(cfg->output, "output file");
	if (rc == 0 && use_state && cfg->discoveries_output != NULL)
		rc = owner_check_write(cfg->discoveries_output,
		    "discoveries file");
	return rc;
}

int
cmd_guard_files(int (*run)(struct cli *, struct config *),
    const struct cli *cli, const struct config *cfg)
{
	int rc = 0;

	if (run == cmd_poll)
		return guard_poll(cli, cfg);
	if (run == cmd_connect) {
		rc = owner_check_write(cfg->credentials_file,
		    "credential store");
		if (rc == 0)
			rc = owner_check_write(cfg->key_file, "key file");
	} else if (run == cmd_disconnect) {
		rc = owner_check_remove(cfg->credentials_file,
		    "credential store");
		if (rc == 0 && cli->forget_key)
			rc = owner_check_remove(cfg->key_file, "key file");
	}
	return rc;
}
