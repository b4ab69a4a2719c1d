#define _GNU_SOURCE	/* fopencookie */
#include "gzfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "log.h"
#include "util.h"

struct gzcookie {
	gzFile gz;
	char *path;
	bool failed;	/* reported once: stdio may read again */
};

static ssize_t
gz_cookie_read(void *arg, char *buf, size_t size)
{
	struct gzcookie *c = arg;
	unsigned int n = size > (1u << 30) ? 1u << 30 : (unsigned int)size;
	int got = gzread(c->gz, buf, n), err;
	const char *msg;

	if (got > 0)
		return got;
	msg = gzerror(c->gz, &err);
	if (got == 0 && err == Z_OK)
		return 0;
	if (err == Z_ERRNO)
		return -1;	/* read(2) failed: errno says why */
	/* zlib names the stream "<fd:3>: ": we have the path. */
	if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": ") != NULL)
		msg = strstr(msg, ": ") + 2;
	if (!c->failed)
		log_error("%s: corrupt gzip data: %s", c->path, msg);
	c->failed = true;
	errno = EIO;
	return -1;
}

static int
gz_cookie_close(void *arg)
{
	struct gzcookie *c = arg;
	int rc = gzclose_r(c->gz) == Z_OK ? 0 : -1;

	free(c->path);
	free(c);
	return rc;
}

FILE *
gzfile_open(const char *path)
{
	static const cookie_io_functions_t io = { gz_cookie_read, NULL, NULL,
		gz_cookie_close };
	struct gzcookie *c;
	struct stat st;
	FILE *f;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	/* A directory opens but does not read: say so as open would. */
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	/* "r" reads plain data through unchanged, as zcat -f does. */
	if ((c->gz = gzdopen(fd, "r")) == NULL) {
		close(fd);
		free(c->path);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	gzbuffer(c->gz, 128u << 10);
	if ((f = fopencookie(c, "r", io)) == NULL)
		gz_cookie_close(c);
	return f;
}

/* path.n, or path.n.gz when that is the one there; NULL for neither. */
static char *
rotation(const char *path, unsigned n)
{
	char *p = xasprintf("%s.%u", path, n);

	if (access(p, F_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s.%u.gz", path, n);
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return NULL;
}

size_t
gzfile_rotations(const char *path, struct strlist *out)
{
	size_t before = out->n;
	unsigned n = 0;
	char *p;

	/* logrotate's rotate count is the bound; 100000 is plenty. */
	while (n < 100000 && (p = rotation(path, n + 1)) != NULL) {
		free(p);
		n++;
	}
	for (; n > 0; n--) {
		p = rotation(path, n);
		strlist_add(out, p);
		free(p);
	}
	if (access(path, F_OK) == 0)
		strlist_add(out, path);
	return out->n - before;
}
