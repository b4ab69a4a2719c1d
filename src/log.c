#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level level = LOG_NORMAL;

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

/*
 * One write(2) per message so that lines from region threads never mix.
 * The attribute lets clang check callers' formats (-Wformat-nonliteral).
 */
static void __attribute__((format(printf, 2, 0)))
emit(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t n = strlen(prefix);
	int len;

	memcpy(buf, prefix, n);
	len = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (len < 0)
		return;
	n += (size_t)len < sizeof(buf) - n - 1 ? (size_t)len : sizeof(buf) - n - 2;
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (level != LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	emit("", fmt, ap);
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
