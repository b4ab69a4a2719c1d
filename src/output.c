#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fileio.h"
#include "log.h"
#include "owner.h"
#include "util.h"

#define BATCH_BUF (256u << 10)
#define COPY_BUF (256u << 10)

int
batch_begin(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if ((b->fd = file_tmp()) == -1) {
		log_error("cannot create the batch file in %s: %m",
		    file_tmp_dir());
		return EX_CANTCREAT;
	}
	b->md = EVP_MD_CTX_new();
	if (b->md == NULL || !EVP_DigestInit_ex(b->md, EVP_sha256(), NULL)) {
		log_error("cannot initialise SHA-256");
		return EX_SOFTWARE;
	}
	b->buf = xmalloc(BATCH_BUF);
	return 0;
}

static int
batch_flush(struct batch *b)
{
	if (file_write_all(b->fd, b->buf, b->buflen) == -1) {
		log_error("cannot write the batch file in %s: %m",
		    file_tmp_dir());
		return EX_IOERR;
	}
	b->buflen = 0;
	return 0;
}

int
batch_add(struct batch *b, const char *line, size_t len)
{
	int rc;

	if (b->buflen + len + 1 > BATCH_BUF && (rc = batch_flush(b)) != 0)
		return rc;
	if (len + 1 > BATCH_BUF) {
		if (file_write_all(b->fd, line, len) == -1 ||
		    file_write_all(b->fd, "\n", 1) == -1) {
			log_error("cannot write the batch file in %s: %m",
		    file_tmp_dir());
			return EX_IOERR;
		}
	} else {
		memcpy(b->buf + b->buflen, line, len);
		b->buf[b->buflen + len] = '\n';
		b->buflen += len + 1;
	}
	EVP_DigestUpdate(b->md, line, len);
	EVP_DigestUpdate(b->md, "\n", 1);
	b->length += (long long)len + 1;
	return 0;
}

int
batch_end(struct batch *b)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc;

	if ((rc = batch_flush(b)) != 0)
		return rc;
	EVP_DigestFinal_ex(b->md, d, &n);
	hex_encode(d, n, b->sha256);
	return 0;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	if (b->fd != -1)
		close(b->fd);
	EVP_MD_CTX_free(b->md);
	free(b->buf);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

int
output_open(const char *path, struct output *o)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		return 0;
	}
	o->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (o->fd == -1 && owner_is_permission_errno(errno))
		return owner_permission_error(path, "output file", "open");
	if (o->fd == -1 || fstat(o->fd, &st) == -1) {
		log_error("%s: cannot open output file: %m", path);
		if (o->fd != -1)
			close(o->fd);
		return EX_CANTCREAT;
	}
	o->path = xstrdup(path);
	o->dev = (unsigned long long)st.st_dev;
	o->ino = (unsigned long long)st.st_ino;
	return 0;
}

int
output_offset(const struct output *o, long long *offset)
{
	struct stat st;

	*offset = 0;
	if (o->path == NULL)
		return 0;
	/* Never guess: this offset is where a failed append is cut back to. */
	if (fstat(o->fd, &st) == -1) {
		log_error("%s: cannot read the output file's size: %m", o->path);
		return EX_IOERR;
	}
	*offset = (long long)st.st_size;
	return 0;
}

int
output_append(struct output *o, const struct batch *b)
{
	char *buf = xmalloc(COPY_BUF);
	off_t pos = 0;
	ssize_t n = 0;
	int rc = 0;

	while (pos < b->length && rc == 0) {
		n = pread(b->fd, buf, COPY_BUF, pos);
		if (n <= 0)
			rc = -1;
		else if (file_write_all(o->fd, buf, (size_t)n) == -1)
			rc = -2;
		pos += n;
	}
	free(buf);
	if (rc == -1)
		log_error("cannot read the batch file in %s: %m",
		    file_tmp_dir());
	if (rc == -2 || (rc == 0 && o->path != NULL && fsync(o->fd) == -1)) {
		log_error("%s: cannot write output: %m",
		    o->path ? o->path : "standard output");
		rc = -2;
	}
	return rc == 0 ? 0 : EX_IOERR;
}

void
output_close(struct output *o)
{
	if (o->path != NULL)
		close(o->fd);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

int
output_rollback(struct output *o, long long offset)
{
	struct stat st;

	if (o->path == NULL)
		return 0;
	/* Nothing reached the file (a full disk, /dev/full): nothing to cut. */
	if (fstat(o->fd, &st) == 0 && (long long)st.st_size == offset)
		return 0;
	if (ftruncate(o->fd, (off_t)offset) == -1 || fsync(o->fd) == -1) {
		log_error("%s: cannot cut off a partial batch: %m", o->path);
		return EX_IOERR;
	}
	return 0;
}

/* SHA-256 of length bytes at offset of fd; -1 if they cannot be read. */
static int
digest_range(int fd, long long offset, long long length, char *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	char *buf = xmalloc(COPY_BUF);
	int rc = -1;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		goto out;
	while (length > 0) {
		size_t want = length < COPY_BUF ? (size_t)length : COPY_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)offset);

		if (n <= 0)
			goto out;
		EVP_DigestUpdate(md, buf, (size_t)n);
		offset += n;
		length -= n;
	}
	EVP_DigestFinal_ex(md, d, &dn);
	hex_encode(d, dn, out);
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

int
output_recover(const struct pending_append *p, bool *applied)
{
	struct stat st;
	char sha[65];
	int fd, rc = 0;

	*applied = false;
	fd = open(p->output, O_RDWR | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_warn("%s: the output file of an interrupted poll is gone; "
		    "its last batch will be fetched again", p->output);
		goto out;
	}
	if ((unsigned long long)st.st_dev != p->dev ||
	    (unsigned long long)st.st_ino != p->ino) {
		log_warn("%s: replaced since an interrupted poll (rotated?); "
		    "its last batch will be written again", p->output);
		goto out;
	}
	if (st.st_size >= p->offset + p->length &&
	    digest_range(fd, p->offset, p->length, sha) == 0 &&
	    strcmp(sha, p->sha256) == 0) {
		*applied = true;
		goto out;
	}
	/* A partial batch: cut it off so that no line is left half written. */
	if (st.st_size > p->offset && st.st_size < p->offset + p->length) {
		if (ftruncate(fd, (off_t)p->offset) == -1 || fsync(fd) == -1) {
			log_error("%s: cannot cut off a partial batch: %m",
			    p->output);
			rc = EX_IOERR;
		}
	} else if (st.st_size > p->offset)
		log_warn("%s: does not hold the interrupted poll's batch at "
		    "offset %lld; it will be written again", p->output,
		    p->offset);
out:
	if (fd != -1)
		close(fd);
	return rc;
}
