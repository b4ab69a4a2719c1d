#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

static enum log_level level = LOG_NORMAL;
static enum log_format format = LOG_FORMAT_TEXT;
static int timestamps = -1;	/* -1: decide from stderr on first use */

static _Thread_local const char *ctx_account, *ctx_region;

void
log_set_level(enum log_level l)
{
	level = l;
}

enum log_level
log_get_level(void)
{
	return level;
}

void
log_set_format(enum log_format f)
{
	format = f;
}

enum log_format
log_get_format(void)
{
	return format;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

int
log_format_from_args(int argc, char *const *argv, const char **bad)
{
	enum log_format f;
	const char *v = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (strncmp(argv[i], "--log-format=", 13) == 0)
			v = argv[i] + 13;
	}
	if (v == NULL)
		return 0;
	if (log_format_parse(v, &f) == -1) {
		*bad = v;
		return -1;
	}
	log_set_format(f);
	return 0;
}

void
log_set_timestamps(bool on)
{
	timestamps = on;
}

void
log_set_context(const char *account, const char *region)
{
	ctx_account = account;
	ctx_region = region;
}

const char *
log_plural(unsigned long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void
now_iso8601(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", (long long)t);
}

/* One write(2) per line, so that lines from region threads never mix. */
static void
put_line(const char *s, size_t n)
{
	char buf[4200];

	if (n > sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

static void
add_string_or_null(cJSON *o, const char *name, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void
add_figures(cJSON *o, const struct log_figures *f)
{
	cJSON_AddNumberToObject(o, "pages", (double)f->pages);
	cJSON_AddNumberToObject(o, "events", (double)f->written);
	cJSON_AddNumberToObject(o, "fetched", (double)f->fetched);
	cJSON_AddNumberToObject(o, "already_written", (double)f->already);
	cJSON_AddNumberToObject(o, "filtered", (double)f->filtered);
	cJSON_AddNumberToObject(o, "models", (double)f->models);
	cJSON_AddNumberToObject(o, "principals", (double)f->principals);
	/* Tenths of a second, as the text line shows them. */
	cJSON_AddNumberToObject(o, "seconds",
	    (double)(long long)(f->seconds * 10 + 0.5) / 10);
}

static void
emit_json(const char *lvl, const char *time_s, const char *msg,
    const struct log_figures *fig)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "time", time_s);
	cJSON_AddStringToObject(o, "level", lvl);
	add_string_or_null(o, "account", ctx_account);
	add_string_or_null(o, "region", ctx_region);
	cJSON_AddStringToObject(o, "message", msg);
	if (fig != NULL)
		add_figures(o, fig);
	if ((s = cJSON_PrintUnformatted(o)) != NULL)
		put_line(s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

/*
 * The attribute lets clang check callers' formats (-Wformat-nonliteral).
 * prefix ("warning: ") is part of a text line only: JSON has the level.
 */
static void __attribute__((format(printf, 4, 0)))
emit(const char *lvl, const char *prefix, const struct log_figures *fig,
    const char *fmt, va_list ap)
{
	char msg[4096], line[4200], t[32];
	int len;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (timestamps == -1)
		timestamps = !isatty(STDERR_FILENO);
	now_iso8601(t);
	if (format == LOG_FORMAT_JSON) {
		emit_json(lvl, t, msg, fig);
		return;
	}
	len = snprintf(line, sizeof(line), "%s%s%s%s", timestamps ? t : "",
	    timestamps ? " " : "", prefix, msg);
	if (len > 0)
		put_line(line, (size_t)len < sizeof(line) ? (size_t)len
		    : sizeof(line) - 1);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error", "", NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	emit("warning", "warning: ", NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	emit("info", "", NULL, fmt, ap);
	va_end(ap);
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (level != LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	emit("debug", "", NULL, fmt, ap);
	va_end(ap);
}

void
log_summary(const struct log_figures *fig, const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	emit("info", "", fig, fmt, ap);
	va_end(ap);
}

char *
log_clean(char *dst, size_t dstsize, const char *src)
{
	size_t i;

	if (dstsize == 0)
		return dst;
	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstsize; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}
