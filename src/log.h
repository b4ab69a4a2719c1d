/*
 * Messages on stderr. Lower case, no full stop, what failed first.
 * Safe to call from several threads: each message is one write.
 *
 * Two formats. Text: the message as it is, and when stderr is not a
 * terminal (cron, systemd) each line starts with an ISO 8601 UTC time, so
 * a log file says when. JSON (--log-format json): one object per line,
 * {"time", "level", "account", "region", "message"} and, for a summary,
 * its figures, for log shippers.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_QUIET,	/* -q: errors only */
	LOG_NORMAL,
	LOG_VERBOSE,	/* -v */
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

void log_set_level(enum log_level);
enum log_level log_get_level(void);

void log_set_format(enum log_format);
enum log_format log_get_format(void);
/* "text" or "json" into *out; -1 for anything else. */
int log_format_parse(const char *, enum log_format *out);
/*
 * Applies --log-format from the command line before it is parsed, so
 * that a usage error is already in that format. -1 with *bad the value
 * when it is neither text nor json.
 */
int log_format_from_args(int argc, char *const *argv, const char **bad);
/* Whether text lines start with the time (default: stderr not a tty). */
void log_set_timestamps(bool);

/*
 * The account and region the calling thread is working on, for the JSON
 * fields; NULL for none. The strings must outlive the context: clear it
 * (NULL, NULL) before they go.
 */
void log_set_context(const char *account, const char *region);

/* Printed whatever the level. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "warning: ..." unless -q. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Summaries and hints, unless -q. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -v. */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A poll's figures for one region, as its summary line gives them. */
struct log_figures {
	unsigned long pages;
	unsigned long fetched;	/* events on the pages, as -v counts them */
	unsigned long written;	/* records emitted by this poll */
	unsigned long already;	/* skipped: emitted by an earlier poll */
	unsigned long filtered;	/* not kept: event_names, event source */
	size_t models, principals;
	double seconds;
};

/* A summary (unless -q); in JSON the figures become fields. */
void log_summary(const struct log_figures *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "1 page", "2 pages": the noun for n. */
const char *log_plural(unsigned long n, const char *one, const char *many);

/*
 * Copies remote text (an AWS error message, a header) into dst for printing:
 * control characters become spaces, at most dstsize - 1 bytes, always
 * terminated. Returns dst.
 */
char *log_clean(char *dst, size_t dstsize, const char *src);

#endif
