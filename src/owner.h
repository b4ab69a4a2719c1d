/*
 * Whose files these are. Run as root, bedrock-trail must not take over
 * the files of the service user: a state or store that root rewrites
 * becomes root's, and every later cron poll of the service then fails.
 * And when a file cannot be opened for lack of permission, the message
 * says who owns it and how to fix it, not a bare "Permission denied".
 */
#ifndef OWNER_H
#define OWNER_H

/* Keeps the command line, for the runuser command a refusal suggests. */
void owner_set_argv(int argc, char *const *argv);

/*
 * Run as root: refuses to write path when the file, or the directory it
 * would be created in, belongs to another user, naming the file, the
 * owner and the command to run instead. Returns 0 (not root, root's own
 * files, nothing there at all) or EX_CONFIG after reporting. what names
 * the file: "state file".
 */
int owner_check_write(const char *path, const char *what);

/* The same for a command that would delete path: only an existing file. */
int owner_check_remove(const char *path, const char *what);

/*
 * Reports a permission error (errno EACCES) on path: doing
 * ("read", "write", "create", "remove") what, who owns the file or the
 * directory in the way and its mode, the user we run as, and the chown
 * that fixes it. Returns EX_CONFIG.
 */
int owner_permission_error(const char *path, const char *what,
    const char *doing);

/* True for the errno values that owner_permission_error explains. */
int owner_is_permission_errno(int err);

#endif
