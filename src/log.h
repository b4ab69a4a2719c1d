/*
 * Messages on stderr. Lower case, no full stop, what failed first.
 * Safe to call from several threads: each message is one write.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level {
	LOG_QUIET,	/* -q: errors only */
	LOG_NORMAL,
	LOG_VERBOSE,	/* -v */
};

void log_set_level(enum log_level);
enum log_level log_get_level(void);

/* Printed whatever the level. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "warning: ..." unless -q. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Summaries and hints, unless -q. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -v. */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copies remote text (an AWS error message, a header) into dst for printing:
 * control characters become spaces, at most dstsize - 1 bytes, always
 * terminated. Returns dst.
 */
char *log_clean(char *dst, size_t dstsize, const char *src);

#endif
