#include "owner.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "util.h"

static char *command_line;

/* Words a shell takes as they are; anything else is single-quoted. */
static void
add_quoted(struct strbuf *sb, const char *arg)
{
	const char *safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_./:=,@%+-";

	if (*arg != '\0' && strspn(arg, safe) == strlen(arg)) {
		strbuf_adds(sb, arg);
		return;
	}
	strbuf_adds(sb, "'");
	for (; *arg != '\0'; arg++)
		if (*arg == '\'')
			strbuf_adds(sb, "'\\''");
		else
			strbuf_add(sb, arg, 1);
	strbuf_adds(sb, "'");
}

void
owner_set_argv(int argc, char *const *argv)
{
	struct strbuf sb = { 0 };

	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strbuf_adds(&sb, " ");
		add_quoted(&sb, argv[i]);
	}
	free(command_line);
	command_line = sb.buf;
}

static char *
user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		return xstrdup(pw->pw_name);
	return xasprintf("%lu", (unsigned long)uid);
}

static char *
group_name(gid_t gid)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL && gr->gr_name != NULL)
		return xstrdup(gr->gr_name);
	return xasprintf("%lu", (unsigned long)gid);
}

/*
 * path, or when it cannot be stat'ed, the nearest directory above it that
 * can. With missing_only, only a missing path moves up: that is where it
 * (and any directory between) would be made. Returns the path, or NULL.
 */
static char *
existing_above(const char *path, struct stat *st, bool missing_only)
{
	char *p = xstrdup(path), *up;

	while (stat(p, st) == -1) {
		if ((missing_only && errno != ENOENT) || strcmp(p, "/") == 0 ||
		    strcmp(p, ".") == 0) {
			free(p);
			return NULL;
		}
		up = file_dir(p);
		free(p);
		p = up;
	}
	return p;
}

static int
owner_check(const char *path, const char *what, bool removing)
{
	struct stat st;
	char *at, *owner;
	int rc = 0;

	if (geteuid() != 0 || path == NULL || strcmp(path, "-") == 0)
		return 0;
	if ((at = existing_above(path, &st, true)) == NULL || st.st_uid == 0 ||
	    (removing && strcmp(at, path) != 0)) {
		free(at);
		return 0;
	}
	owner = user_name(st.st_uid);
	if (strcmp(at, path) == 0)
		log_error("%s: the %s belongs to %s: refusing to %s it as "
		    "root", path, what, owner, removing ? "remove" : "write");
	else
		log_error("%s: the directory of the %s belongs to %s: refusing "
		    "to create %s in it as root", at, what, owner, path);
	log_error("run the command as %s: runuser -u %s -- %s", owner, owner,
	    command_line != NULL ? command_line : "bedrock-trail ...");
	rc = EX_CONFIG;
	free(owner);
	free(at);
	return rc;
}

int
owner_check_write(const char *path, const char *what)
{
	return owner_check(path, what, false);
}

int
owner_check_remove(const char *path, const char *what)
{
	return owner_check(path, what, true);
}

int
owner_is_permission_errno(int err)
{
	return err == EACCES;
}

int
owner_permission_error(const char *path, const char *what, const char *doing)
{
	struct stat st;
	char *at = existing_above(path, &st, false), *owner = NULL, *group = NULL;
	char *me = user_name(geteuid()), *mygroup = group_name(getegid());

	log_error("%s: cannot %s the %s: %s", path, doing, what,
	    strerror(EACCES));
	if (at == NULL)
		goto out;
	owner = user_name(st.st_uid);
	group = group_name(st.st_gid);
	log_error("%s is owned by %s:%s with mode %04o, and bedrock-trail runs "
	    "as %s", at, owner, group, (unsigned int)(st.st_mode & 07777), me);
	/* Root's file was root's mistake: giving it back is the fix. */
	if (st.st_uid == 0)
		log_error("fix: chown %s:%s %s (as root)", me, mygroup, at);
	else if (st.st_uid != geteuid())
		log_error("fix: chown %s:%s %s (as root), or run bedrock-trail "
		    "as %s", me, mygroup, at, owner);
	else
		log_error("fix: chmod u+rw%s %s", S_ISDIR(st.st_mode) ? "x" : "",
		    at);
out:
	free(at);
	free(owner);
	free(group);
	free(me);
	free(mygroup);
	return EX_CONFIG;
}
