/*
 * disconnect: deletes the stored connection, and with --forget-key the key
 * file too. The access key itself stays valid in AWS until it is deleted
 * in IAM: that is what revokes access, and the message says so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "credstore.h"
#include "log.h"
#include "owner.h"

static int
disconnect_forget_key(const char *path)
{
	if (unlink(path) == 0)
		printf("removed the key file %s\n", path);
	else if (errno == ENOENT)
		printf("no key file at %s\n", path);
	else if (owner_is_permission_errno(errno))
		return owner_permission_error(path, "key file", "remove");
	else {
		log_error("%s: cannot remove: %s", path, strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

int
cmd_disconnect(struct cli *cli, struct config *cfg)
{
	bool existed;
	int status;

	if (cli->nargs > 0) {
		log_error("usage error: disconnect takes no operands");
		return EX_USAGE;
	}
	if ((status = credstore_remove(cfg->credentials_file, &existed)) != 0)
		return status;
	if (existed) {
		printf("removed the stored connection %s\n",
		    cfg->credentials_file);
		log_info("the access key stays valid in AWS: to revoke it, "
		    "delete it in IAM");
	} else
		printf("no stored connection at %s\n", cfg->credentials_file);
	if (cli->forget_key)
		status = disconnect_forget_key(cfg->key_file);
	return status;
}
