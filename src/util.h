/*
 * Small helpers shared by every module: allocation that cannot return NULL,
 * a growable string, UTC time formatting and parsing, durations.
 *
 * Allocation aborts rather than return NULL; parsers return 0, or -1 for
 * the caller to report.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Out of memory is not recoverable for a cron job: these abort, saying so. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A growable byte string, always NUL-terminated. Zero-initialise to start.
 * Fit for secrets: the old buffer is wiped when it grows, and the buffer
 * when it is freed.
 */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void strbuf_add(struct strbuf *, const void *, size_t);
void strbuf_adds(struct strbuf *, const char *);
void strbuf_addf(struct strbuf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void strbuf_add_json_string(struct strbuf *, const char *s);
void strbuf_reset(struct strbuf *);
/* Wipes the contents (they may be secret) and frees. */
void strbuf_free(struct strbuf *);

/* A list of owned strings. Zero-initialise to start. */
struct strlist {
	char **v;
	size_t n;
};
void strlist_add(struct strlist *, const char *);
bool strlist_contains(const struct strlist *, const char *);
void strlist_free(struct strlist *);

/* "2026-11-24T07:00:00Z" into out (at least 21 bytes). Returns out. */
char *time_format_iso8601(time_t, char *out, size_t outsize);
/*
 * Parses "2026-11-24T07:00:00Z" (optional fraction ".123" and "Z" or
 * "+00:00"). Returns 0 and sets *out, or -1.
 */
int time_parse_iso8601(const char *, time_t *out);
/*
 * Parses a duration: digits followed by s, m, h or d ("90m", "24h", "7d").
 * Returns 0 and sets *seconds, or -1.
 */
int duration_parse(const char *, long *seconds);
/* A TIME argument of --since/--until: ISO 8601 UTC or an age before now. */
int time_parse_arg(const char *, time_t now, time_t *out);

/*
 * The length of the valid UTF-8 sequence at s, which has n bytes left, or
 * 0 (RFC 3629: no overlong form, surrogate or code point past U+10FFFF).
 * 1 for an ASCII byte.
 */
size_t utf8_sequence_len(const unsigned char *s, size_t n);
/* True when the n bytes at s are valid UTF-8 throughout. */
bool utf8_valid(const char *s, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes, terminated). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* Monotonic seconds, for rate limiting and timing. */
double monotonic_now(void);
void sleep_seconds(double);

/* Owner-only file modes: true when group and others have no access. */
bool mode_is_private(unsigned int mode);

#endif
