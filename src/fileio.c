#define _GNU_SOURCE	/* O_TMPFILE */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "owner.h"
#include "util.h"

char *
file_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
file_mkdirs(const char *dir)
{
	struct stat sb;
	mode_t old;
	char *p, *s;
	int rc = 0;

	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	old = umask(077);
	/* Each prefix in turn; one that exists already is left as it is. */
	p = s = xstrdup(dir);
	while (rc == 0 && (s = strchr(s + 1, '/')) != NULL) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) == -1 && errno != EEXIST)
		rc = -1;
	umask(old);
	free(p);
	return rc;
}

int
file_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_sync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

const char *
file_tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL && *dir != '\0' ? dir : "/tmp";
}

int
file_tmp(void)
{
	const char *dir = file_tmp_dir();
	char *path;
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	/* Filesystems without O_TMPFILE: a named file, unlinked at once. */
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
	path = xasprintf("%s/bedrock-trail.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

static int
failed(const char *file, const char *what, int rc)
{
	if (owner_is_permission_errno(errno))
		return owner_permission_error(file, what, "write");
	log_error("%s: cannot write %s: %s", file, what, strerror(errno));
	return rc;
}

int
file_replace(const char *path, const void *buf, size_t len, const char *what)
{
	char *dir = file_dir(path), *tmp = xasprintf("%s.XXXXXX", path);
	mode_t old;
	int fd = -1, rc = 0;

	if (file_mkdirs(dir) == -1) {
		rc = failed(dir, what, EX_CANTCREAT);
		goto out;
	}
	old = umask(077);
	fd = mkstemp(tmp);
	umask(old);
	if (fd == -1) {
		rc = failed(dir, what, EX_CANTCREAT);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) == -1 || file_write_all(fd, buf, len) == -1 ||
	    fsync(fd) == -1) {
		rc = failed(path, what, EX_IOERR);
		goto out;
	}
	/* On NFS a failed write can surface only at close. */
	rc = close(fd);
	fd = -1;
	if (rc == -1) {
		rc = failed(path, what, EX_IOERR);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		rc = failed(path, what, EX_CANTCREAT);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (file_sync_dir(dir) == -1)
		rc = failed(dir, what, EX_IOERR);
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}
