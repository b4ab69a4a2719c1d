#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "util.h"

/* A run is sorted in memory up to this size, then written out. */
#define RUN_BYTES (4u << 20)
/* Each run's read buffer during the merge. */
#define READ_BYTES (32u << 10)
/* The buffer a sorted run is written out through. */
#define WRITE_BYTES (64u << 10)

/*
 * An entry is "KEY\tLINE\n" where KEY is "%020lld EVENTID": comparing keys
 * byte by byte up to the tab orders by time, then id ('\t' sorts first).
 */
struct run {
	off_t pos, end;
	char *buf;
	size_t cap, start, len;
	const char *cur;	/* the current entry, NULL when exhausted */
	size_t curlen;
};

struct spool {
	int fd;
	struct strbuf arena;	/* the run being built */
	size_t *offs;		/* entry offsets in arena */
	size_t nentries, cap;
	off_t *run_starts;
	size_t nruns;
	off_t filelen;
	size_t count;
};

struct spool *
spool_new(void)
{
	struct spool *s = xcalloc(1, sizeof(*s));

	s->fd = -1;
	return s;
}

size_t
spool_count(const struct spool *s)
{
	return s->count;
}

static int
key_cmp(const char *a, const char *b)
{
	for (; *a == *b; a++, b++)
		if (*a == '\t')
			return 0;
	return (unsigned char)*a - (unsigned char)*b;
}

static int
entry_cmp(const void *x, const void *y)
{
	return key_cmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorts the run in memory; the arena is stable now, so pointers are safe. */
static const char **
sort_run(struct spool *s)
{
	const char **v = xmalloc(s->nentries * sizeof(*v));

	for (size_t i = 0; i < s->nentries; i++)
		v[i] = s->arena.buf + s->offs[i];
	qsort(v, s->nentries, sizeof(*v), entry_cmp);
	return v;
}

static size_t
entry_len(const char *e)
{
	return (size_t)(strchr(e, '\n') - e) + 1;
}

/* Writes the sorted run to the spool file and starts a new one. */
static int
flush_run(struct spool *s)
{
	const char **v;
	char *buf;
	size_t buflen = 0;
	int rc = 0;

	if (s->nentries == 0)
		return 0;
	if (s->fd == -1 && (s->fd = file_tmp()) == -1) {
		log_error("cannot create the spool file in %s: %m",
		    file_tmp_dir());
		return -1;
	}
	v = sort_run(s);
	s->run_starts = xrealloc(s->run_starts,
	    (s->nruns + 1) * sizeof(*s->run_starts));
	s->run_starts[s->nruns++] = s->filelen;
	/*
	 * Entries go out through a buffer: one write(2) per entry made a
	 * system call per event (50,000 of them for 50,000 events), about
	 * a tenth of a poll's CPU time.
	 */
	buf = xmalloc(WRITE_BYTES);
	for (size_t i = 0; i < s->nentries && rc == 0; i++) {
		size_t n = entry_len(v[i]);

		if (buflen + n > WRITE_BYTES) {
			rc = file_write_all(s->fd, buf, buflen);
			buflen = 0;
		}
		if (rc == 0 && n > WRITE_BYTES)
			rc = file_write_all(s->fd, v[i], n);
		else if (rc == 0) {
			memcpy(buf + buflen, v[i], n);
			buflen += n;
		}
		s->filelen += (off_t)n;
	}
	if (rc == 0)
		rc = file_write_all(s->fd, buf, buflen);
	free(buf);
	free(v);
	if (rc == -1)
		log_error("cannot write the spool file in %s: %m",
		    file_tmp_dir());
	strbuf_reset(&s->arena);
	s->nentries = 0;
	return rc;
}

/*
 * Appends an entry's key: "%020lld " of the time, then the id. Formatted
 * by hand, and the id copied whole: strbuf_addf (two vsnprintf calls) and
 * a strbuf_add per character of the id made up most of spool_add.
 */
static void
add_key(struct strbuf *sb, time_t event_time, const char *event_id)
{
	long long t = (long long)event_time;
	char digits[21];
	size_t start;

	if (t < 0)
		strbuf_addf(sb, "%020lld ", t);
	else {
		for (int i = 19; i >= 0; i--, t /= 10)
			digits[i] = (char)('0' + t % 10);
		digits[20] = ' ';
		strbuf_add(sb, digits, sizeof(digits));
	}
	start = sb->len;
	strbuf_adds(sb, event_id);
	/* The key must hold no tab or newline: those frame the entry. */
	for (char *p = sb->buf + start; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = '_';
}

int
spool_add(struct spool *s, time_t event_time, const char *event_id,
    const char *line, size_t len)
{
	size_t off;

	if (s->arena.len + len + 160 > RUN_BYTES && flush_run(s) == -1)
		return -1;
	off = s->arena.len;
	add_key(&s->arena, event_time, event_id);
	strbuf_add(&s->arena, "\t", 1);
	strbuf_add(&s->arena, line, len);
	strbuf_add(&s->arena, "\n", 1);
	if (s->nentries == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->offs = xrealloc(s->offs, s->cap * sizeof(*s->offs));
	}
	s->offs[s->nentries++] = off;
	s->count++;
	return 0;
}

/*
 * Hands one entry to fn unless it repeats the previous key (last holds
 * that key). The entry is ours to scribble on: its tab becomes the id's
 * terminator while fn runs.
 */
static int
emit(char *e, char *last, size_t lastsize, int (*fn)(time_t, const char *,
    const char *, size_t, void *), void *arg)
{
	char *tab, *nl;
	size_t keylen;
	int rc;

	/*
	 * Not strchr: an entry in a merge run's read buffer is not followed
	 * by a NUL, and every entry has its tab and newline.
	 */
	for (tab = e; *tab != '\t'; tab++)
		;
	for (nl = tab; *nl != '\n'; nl++)
		;
	keylen = (size_t)(tab - e) + 1;

	if (last[0] != '\0' && key_cmp(last, e) == 0)
		return 0;
	if (keylen < lastsize) {
		memcpy(last, e, keylen);
		last[keylen] = '\0';
	}
	*tab = '\0';
	rc = fn((time_t)strtoll(e, NULL, 10), e + 21, tab + 1,
	    (size_t)(nl - tab - 1), arg);
	*tab = '\t';
	return rc;
}

/* Makes r->cur the next whole entry of the run, reading more as needed. */
static int
run_next(struct spool *s, struct run *r)
{
	char *nl;

	r->start += r->curlen;
	r->len -= r->curlen;
	r->cur = NULL;
	r->curlen = 0;
	while ((nl = memchr(r->buf + r->start, '\n', r->len)) == NULL) {
		size_t want;
		ssize_t n;

		if (r->pos >= r->end)
			return 0;
		memmove(r->buf, r->buf + r->start, r->len);
		r->start = 0;
		if (r->len == r->cap) {
			r->cap *= 2;
			r->buf = xrealloc(r->buf, r->cap);
		}
		want = r->cap - r->len;
		if ((off_t)want > r->end - r->pos)
			want = (size_t)(r->end - r->pos);
		n = pread(s->fd, r->buf + r->len, want, r->pos);
		if (n <= 0) {
			log_error("cannot read the spool file in %s: %m",
			    file_tmp_dir());
			return -1;
		}
		r->len += (size_t)n;
		r->pos += n;
	}
	r->cur = r->buf + r->start;
	r->curlen = (size_t)(nl - r->cur) + 1;
	return 0;
}

static int
drain_memory(struct spool *s, int (*fn)(time_t, const char *, const char *,
    size_t, void *), void *arg)
{
	const char **v = s->nentries ? sort_run(s) : NULL;
	char last[256] = "";
	int rc = 0;

	for (size_t i = 0; i < s->nentries && rc == 0; i++)
		rc = emit((char *)v[i], last, sizeof(last), fn, arg);
	free(v);
	return rc;
}

static int
drain_merge(struct spool *s, int (*fn)(time_t, const char *, const char *,
    size_t, void *), void *arg)
{
	struct run *runs = xcalloc(s->nruns, sizeof(*runs));
	char last[256] = "";
	int rc = 0;

	for (size_t i = 0; i < s->nruns && rc == 0; i++) {
		runs[i].pos = s->run_starts[i];
		runs[i].end = i + 1 < s->nruns ? s->run_starts[i + 1]
		    : s->filelen;
		runs[i].cap = READ_BYTES;
		runs[i].buf = xmalloc(READ_BYTES);
		rc = run_next(s, &runs[i]);
	}
	while (rc == 0) {
		struct run *min = NULL;

		for (size_t i = 0; i < s->nruns; i++)
			if (runs[i].cur != NULL && (min == NULL ||
			    key_cmp(runs[i].cur, min->cur) < 0))
				min = &runs[i];
		if (min == NULL)
			break;
		rc = emit((char *)min->cur, last, sizeof(last), fn, arg);
		if (rc == 0)
			rc = run_next(s, min);
	}
	for (size_t i = 0; i < s->nruns; i++)
		free(runs[i].buf);
	free(runs);
	return rc;
}

int
spool_drain(struct spool *s, int (*fn)(time_t, const char *, const char *,
    size_t, void *), void *arg)
{
	if (s->nruns == 0)
		return drain_memory(s, fn, arg);
	if (flush_run(s) == -1)
		return -1;
	return drain_merge(s, fn, arg);
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	strbuf_free(&s->arena);
	free(s->offs);
	free(s->run_starts);
	free(s);
}
