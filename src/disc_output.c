#include "disc_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <cJSON.h>

#include "fileio.h"
#include "log.h"
#include "output.h"
#include "util.h"

#define DISC_INT_MAX	9007199254740991LL

static const char *const disc_keys[] = { "output", "dev", "ino", "offset",
	"lines", NULL };

static int
get_count(const cJSON *obj, const char *key, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0 && d <= (double)DISC_INT_MAX) ||
	    (double)(long long)d != d)
		return -1;
	*out = (long long)d;
	return 0;
}

static const char *
get_string(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : NULL;
}

static bool
known_keys(const cJSON *obj)
{
	const cJSON *item;
	size_t i;

	cJSON_ArrayForEach(item, obj) {
		for (i = 0; disc_keys[i] != NULL; i++)
			if (strcmp(item->string, disc_keys[i]) == 0)
				break;
		if (disc_keys[i] == NULL)
			return false;
	}
	return true;
}

int
disc_pending_parse(const cJSON *obj, struct disc_pending *p, char *why,
    size_t whysize)
{
	const char *out = get_string(obj, "output");
	const char *lines = get_string(obj, "lines");
	long long dev, ino;

	if (!cJSON_IsObject(obj) || !known_keys(obj) || out == NULL ||
	    lines == NULL || lines[strlen(lines) - 1] != '\n' ||
	    get_count(obj, "dev", &dev) == -1 ||
	    get_count(obj, "ino", &ino) == -1 ||
	    get_count(obj, "offset", &p->offset) == -1) {
		snprintf(why, whysize, "pending: \"discoveries\" is not an "
		    "object of output, dev, ino, offset and lines");
		return -1;
	}
	p->output = xstrdup(out);
	p->lines = xstrdup(lines);
	p->dev = (unsigned long long)dev;
	p->ino = (unsigned long long)ino;
	p->active = true;
	return 0;
}

static void
add_int(cJSON *obj, const char *key, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	if (cJSON_AddRawToObject(obj, key, buf) == NULL) {
		log_error("out of memory");
		abort();
	}
}

void
disc_pending_format(cJSON *parent, const struct disc_pending *p)
{
	cJSON *obj = cJSON_AddObjectToObject(parent, "discoveries");

	if (obj == NULL || cJSON_AddStringToObject(obj, "output",
	    p->output) == NULL) {
		log_error("out of memory");
		abort();
	}
	add_int(obj, "dev", (long long)p->dev);
	add_int(obj, "ino", (long long)p->ino);
	add_int(obj, "offset", p->offset);
	if (cJSON_AddStringToObject(obj, "lines", p->lines) == NULL) {
		log_error("out of memory");
		abort();
	}
}

void
disc_pending_clear(struct disc_pending *p)
{
	free(p->output);
	free(p->lines);
	memset(p, 0, sizeof(*p));
}

int
disc_output_write(struct output *o, const char *lines, size_t len)
{
	if (file_write_all(o->fd, lines, len) == -1 ||
	    (o->path != NULL && fsync(o->fd) == -1)) {
		log_error("%s: cannot write discoveries: %m",
		    o->path ? o->path : "standard output");
		return EX_IOERR;
	}
	return 0;
}

/* True when the file holds exactly the lines at the offset. */
static bool
holds_lines(int fd, const struct disc_pending *p, long long size)
{
	size_t len = strlen(p->lines);
	char *buf;
	bool same;

	if (size < p->offset + (long long)len)
		return false;
	buf = xmalloc(len);
	same = pread(fd, buf, len, (off_t)p->offset) == (ssize_t)len &&
	    memcmp(buf, p->lines, len) == 0;
	free(buf);
	return same;
}

/* The file is gone or replaced: the lines go to the file there now. */
static int
recover_elsewhere(const struct disc_pending *p)
{
	int fd = open(p->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	int rc = 0;

	log_warn("%s: replaced since an interrupted poll (rotated?); its "
	    "discoveries are written to the new file", p->output);
	if (fd == -1 || file_write_all(fd, p->lines, strlen(p->lines)) == -1 ||
	    fsync(fd) == -1) {
		log_error("%s: cannot write discoveries: %m", p->output);
		rc = EX_IOERR;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

int
disc_output_recover(const struct disc_pending *p, bool applied)
{
	struct stat st;
	int fd, rc = 0;

	if (!p->active)
		return 0;
	fd = open(p->output, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 ||
	    (unsigned long long)st.st_dev != p->dev ||
	    (unsigned long long)st.st_ino != p->ino) {
		if (fd != -1)
			close(fd);
		return applied ? recover_elsewhere(p) : 0;
	}
	if (applied && holds_lines(fd, p, (long long)st.st_size))
		goto out;
	/* A partial tail is cut off; the records decide what follows. */
	if (st.st_size > p->offset && (ftruncate(fd, (off_t)p->offset) == -1 ||
	    fsync(fd) == -1)) {
		log_error("%s: cannot cut off partial discoveries: %m",
		    p->output);
		rc = EX_IOERR;
	} else if (applied && (file_write_all(fd, p->lines,
	    strlen(p->lines)) == -1 || fsync(fd) == -1)) {
		log_error("%s: cannot write discoveries: %m", p->output);
		rc = EX_IOERR;
	}
out:
	close(fd);
	return rc;
}
