#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void
out_of_memory(void)
{
	fputs("out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void strbuf_grow(struct strbuf *, size_t);

/* Appends the formatted text; -1 (nothing added) if it cannot be formatted. */
static int __attribute__((format(printf, 2, 0)))
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		strbuf_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, again);
		sb->len += (size_t)n;
	}
	va_end(again);
	return n < 0 ? -1 : 0;
}

char *
xasprintf(const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (rc == -1)
		out_of_memory();
	if (sb.buf == NULL)
		strbuf_add(&sb, "", 0);
	return sb.buf;
}

/*
 * Not realloc: it may move the bytes and free the old block as it was,
 * and a strbuf may hold a secret (a signed request, a session token).
 * The old block is wiped before it is freed.
 */
static void
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1, cap = sb->cap ? sb->cap : 64;
	char *buf;

	if (need <= sb->cap)
		return;
	while (cap < need)
		cap *= 2;
	buf = xmalloc(cap);
	if (sb->buf != NULL) {
		memcpy(buf, sb->buf, sb->len + 1);
		OPENSSL_cleanse(sb->buf, sb->cap);
		free(sb->buf);
	}
	sb->buf = buf;
	sb->cap = cap;
}

void
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
strbuf_add_json_string(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	strbuf_add(sb, "\"", 1);
	for (; *p != '\0'; p++) {
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
		size_t elen = 2;

		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		strbuf_add(sb, run, (size_t)(p - run));
		run = p + 1;
		switch (*p) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			elen = 6;
		}
		strbuf_add(sb, esc, elen);
	}
	strbuf_add(sb, run, (size_t)(p - run));
	strbuf_add(sb, "\"", 1);
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

void
strbuf_free(struct strbuf *sb)
{
	if (sb->buf != NULL)
		OPENSSL_cleanse(sb->buf, sb->cap);
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

char *
time_format_iso8601(time_t t, char *out, size_t outsize)
{
	struct tm tm;
	int n;

	/*
	 * Not strftime's %Y: it writes the year 475 as "475", which
	 * time_parse_iso8601 (four digits) refuses to read back.
	 */
	if (gmtime_r(&t, &tm) == NULL || (n = snprintf(out, outsize,
	    "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec)) < 0 || (size_t)n >= outsize)
		snprintf(out, outsize, "?");
	return out;
}

static int
parse_digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

int
time_parse_iso8601(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec;
	time_t t;

	if (parse_digits(&s, 4, &y) || *s++ != '-' ||
	    parse_digits(&s, 2, &mo) || *s++ != '-' ||
	    parse_digits(&s, 2, &d) || (*s != 'T' && *s != 't') ||
	    (s++, parse_digits(&s, 2, &h)) || *s++ != ':' ||
	    parse_digits(&s, 2, &mi) || *s++ != ':' ||
	    parse_digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (strcmp(s, "Z") != 0 && strcmp(s, "z") != 0 &&
	    strcmp(s, "+00:00") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	/* timegm normalises 2026-02-31 into March: reject such dates. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*out = t;
	return 0;
}

int
duration_parse(const char *s, long *seconds)
{
	char *end;
	long v, unit;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (v > 100L * 365 * 86400 / unit)
		return -1;
	*seconds = v * unit;
	return 0;
}

int
time_parse_arg(const char *s, time_t now, time_t *out)
{
	long age;

	if (time_parse_iso8601(s, out) == 0)
		return 0;
	if (duration_parse(s, &age) == 0) {
		*out = now - (time_t)age;
		return 0;
	}
	return -1;
}

size_t
utf8_sequence_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	for (; n > 0; p += len, n -= len)
		if ((len = utf8_sequence_len(p, n)) == 0)
			return false;
	return true;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
mode_is_private(unsigned int mode)
{
	return (mode & 077) == 0;
}
