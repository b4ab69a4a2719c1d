/*
 * credential_process, as the AWS CLI runs it: the command split as
 * Python's shlex.split does on POSIX (botocore's compat_shell_split), run
 * with posix_spawn (the program found on PATH as execvp would) and no
 * shell, stdin from /dev/null so that it can never prompt from cron. Its stdout (capped) is Version 1 JSON; its
 * stderr's first line explains a failure. A process that outlives the
 * time limit is killed with its whole process group.
 */
#include "cred_providers.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "util.h"

#define OUT_MAX		(64 * 1024)
#define ERR_KEEP	1024

extern char **environ;

static double time_limit = 60;

void
cred_process_set_timeout(double seconds)
{
	time_limit = seconds;
}

/*
 * shlex.split(s) with posix=True: blanks separate words; '...' is
 * literal; in "..." a backslash escapes only \ " $ ` and newline; outside
 * quotes a backslash escapes any character. 0, or -1 for an unclosed
 * quote or a trailing backslash.
 */
static int
split_command(const char *s, struct strlist *argv)
{
	struct strbuf w = { 0 };
	int in_word = 0, rc = 0;
	char q;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			if (in_word)
				strlist_add(argv, w.buf ? w.buf : "");
			strbuf_reset(&w);
			in_word = 0;
			continue;
		}
		in_word = 1;
		if (*s == '\\') {
			if (*++s == '\0')
				goto bad;
			strbuf_add(&w, s, 1);
		} else if (*s == '\'' || *s == '"') {
			for (q = *s++; *s != q; s++) {
				if (*s == '\0')
					goto bad;
				if (q == '"' && *s == '\\' && s[1] != '\0' &&
				    strchr("\\\"$`\n", s[1]) != NULL)
					s++;
				strbuf_add(&w, s, 1);
			}
			strbuf_add(&w, "", 0);
		} else
			strbuf_add(&w, s, 1);
	}
	if (in_word)
		strlist_add(argv, w.buf ? w.buf : "");
	goto out;
bad:
	rc = -1;
out:
	strbuf_free(&w);
	return rc;
}

struct child {
	pid_t pid;
	int out, err;		/* read ends */
	struct strbuf stdout_text, stderr_text;
	int too_large, timed_out, status;
};

/* pipe2 is not POSIX: the read ends must not leak into other children. */
static int
pipe_cloexec(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * The program as execvp would find it, looked up here rather than by
 * posix_spawnp so that "not found" is an error we can name, not an exit
 * status 127 some C libraries (and valgrind) turn it into. 0 and *path
 * set, or -1 and errno.
 */
static int
find_program(const char *name, char **path)
{
	const char *dirs = getenv("PATH"), *p, *end;
	struct stat st;

	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) == -1)
			return -1;
		*path = xstrdup(name);
		return 0;
	}
	for (p = dirs && *dirs ? dirs : "/usr/bin:/bin"; ; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		/* An empty element is the current directory, as for execvp. */
		if (end == p)
			*path = xasprintf("./%s", name);
		else
			*path = xasprintf("%.*s/%s", (int)(end - p), p, name);
		if (stat(*path, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(*path, X_OK) == 0)
			return 0;
		free(*path);
		*path = NULL;
		if (*end == '\0') {
			errno = ENOENT;
			return -1;
		}
	}
}

static int
spawn(const struct strlist *argv, struct child *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc;
	char **args = xcalloc(argv->n + 1, sizeof(*args)), *path = NULL;

	memcpy(args, argv->v, argv->n * sizeof(*args));
	if (find_program(args[0], &path) == -1) {
		rc = errno;
		goto out;
	}
	if (pipe_cloexec(po) == -1 || pipe_cloexec(pe) == -1) {
		rc = errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawnattr_init(&attr);
	/* Its own group, so that a timeout kills what it started too. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&c->pid, path, &fa, &attr, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
out:
	if (po[1] != -1)
		close(po[1]);
	if (pe[1] != -1)
		close(pe[1]);
	c->out = po[0];
	c->err = pe[0];
	free(path);
	free(args);
	return rc;
}

/* Reads both pipes until they close, the output is too large or time. */
static void
collect(struct child *c, double deadline)
{
	double left;
	struct pollfd p[2] = { { c->out, POLLIN, 0 }, { c->err, POLLIN, 0 } };
	char buf[4096];
	ssize_t n;

	while (p[0].fd != -1 || p[1].fd != -1) {
		if ((left = deadline - monotonic_now()) <= 0) {
			c->timed_out = 1;
			break;
		}
		if (poll(p, 2, (int)(left * 1000) + 1) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				p[i].fd = -1;
				continue;
			}
			if (i == 1) {
				if (c->stderr_text.len < ERR_KEEP)
					strbuf_add(&c->stderr_text, buf,
					    (size_t)n);
			} else if (c->stdout_text.len + (size_t)n > OUT_MAX) {
				c->too_large = 1;
				p[0].fd = p[1].fd = -1;
			} else
				strbuf_add(&c->stdout_text, buf, (size_t)n);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* Waits for the child until the deadline, then kills its group. */
static void
finish(struct child *c, double deadline)
{
	pid_t r;

	close(c->out);
	close(c->err);
	while ((r = waitpid(c->pid, &c->status, WNOHANG)) == 0 &&
	    !c->timed_out && !c->too_large) {
		if (monotonic_now() >= deadline)
			c->timed_out = 1;
		else
			sleep_seconds(0.01);
	}
	if (r == 0) {
		kill(-c->pid, SIGKILL);
		while (waitpid(c->pid, &c->status, 0) == -1 && errno == EINTR)
			;
	}
}

/* The first line of what it wrote on stderr, cleaned, or "". */
static const char *
first_line(struct child *c, char *buf, size_t size)
{
	const char *s = c->stderr_text.buf ? c->stderr_text.buf : "";
	size_t n = strcspn(s, "\r\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return log_clean(buf, size, buf);
}

/* Says why the run failed; returns the exit code. */
static int
report(struct child *c, const char *prog, int parsed)
{
	char line[256], what[128];
	const char *sep;

	first_line(c, line, sizeof(line));
	sep = line[0] != '\0' ? ": " : "";
	if (c->timed_out)
		snprintf(what, sizeof(what), "was killed after %g s",
		    time_limit);
	else if (c->too_large)
		snprintf(what, sizeof(what), "wrote more than %d KiB",
		    OUT_MAX / 1024);
	else if (WIFSIGNALED(c->status))
		snprintf(what, sizeof(what), "was killed by signal %d",
		    WTERMSIG(c->status));
	else if (WEXITSTATUS(c->status) != 0)
		snprintf(what, sizeof(what), "exited with status %d",
		    WEXITSTATUS(c->status));
	else if (parsed == -2)
		snprintf(what, sizeof(what), "printed a Version other than 1");
	else
		snprintf(what, sizeof(what), "did not print credentials JSON");
	log_error(CRED_AUTH_FAILED);
	log_error("credential_process: %s %s%s%s", prog, what, sep, line);
	return EX_NOPERM;
}

static int
run(const struct strlist *argv, struct credentials *out)
{
	struct child c = { 0 };
	double deadline;
	int rc, parsed = -1;

	if ((rc = spawn(argv, &c)) != 0) {
		log_error("credential_process: cannot run %s: %s", argv->v[0],
		    strerror(rc));
		if (c.out != -1)
			close(c.out);
		if (c.err != -1)
			close(c.err);
		return EX_CONFIG;
	}
	deadline = monotonic_now() + time_limit;
	collect(&c, deadline);
	finish(&c, deadline);
	if (!c.timed_out && !c.too_large && WIFEXITED(c.status) &&
	    WEXITSTATUS(c.status) == 0)
		parsed = cred_parse_json(c.stdout_text.buf ? c.stdout_text.buf
		    : "", c.stdout_text.len, 1, out);
	rc = parsed == 0 ? 0 : report(&c, argv->v[0], parsed);
	strbuf_free(&c.stdout_text);
	strbuf_free(&c.stderr_text);
	return rc;
}

int
cred_process_fetch(const char *command, struct credentials *out)
{
	struct strlist argv = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (command == NULL || *command == '\0')
		return CRED_ABSENT;
	if (split_command(command, &argv) == -1 || argv.n == 0) {
		log_error("credential_process: cannot split the command: %s",
		    argv.n == 0 ? "it is empty" : "unclosed quote or "
		    "trailing backslash");
		strlist_free(&argv);
		return EX_CONFIG;
	}
	rc = run(&argv, out);
	if (rc == 0)
		out->source = CRED_PROCESS;
	strlist_free(&argv);
	return rc;
}
