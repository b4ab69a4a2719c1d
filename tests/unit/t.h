/*
 * A tiny test harness: each tests/unit/test_MODULE.c links the real module
 * and lists its cases in main() with T_RUN. The last line printed is
 * "N passed, N failed"; the exit status is non-zero when anything failed.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int t_failed_asserts;
static int t_passed, t_failed;

#define T_FAIL(...)                                                          \
	do {                                                                 \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);            \
		fprintf(stderr, __VA_ARGS__);                                \
		fputc('\n', stderr);                                         \
		t_failed_asserts++;                                          \
	} while (0)

#define T_ASSERT(cond)                                                       \
	do {                                                                 \
		if (!(cond))                                                 \
			T_FAIL("assertion failed: %s", #cond);               \
	} while (0)

#define T_EQ_INT(got, want)                                                  \
	do {                                                                 \
		long long t_g = (long long)(got), t_w = (long long)(want);   \
		if (t_g != t_w)                                              \
			T_FAIL("%s == %lld, want %lld", #got, t_g, t_w);     \
	} while (0)

#define T_EQ_STR(got, want)                                                  \
	do {                                                                 \
		const char *t_g = (got), *t_w = (want);                      \
		if (t_g == NULL || t_w == NULL ? t_g != t_w                  \
					       : strcmp(t_g, t_w) != 0)      \
			T_FAIL("%s == \"%s\", want \"%s\"", #got,            \
			    t_g ? t_g : "(null)", t_w ? t_w : "(null)");     \
	} while (0)

#define T_RUN(fn)                                                            \
	do {                                                                 \
		int t_before = t_failed_asserts;                             \
		fn();                                                        \
		if (t_failed_asserts == t_before) {                          \
			t_passed++;                                          \
		} else {                                                     \
			t_failed++;                                          \
			fprintf(stderr, "FAIL %s\n", #fn);                   \
		}                                                            \
	} while (0)

#define T_DONE()                                                             \
	(printf("%s: %d passed, %d failed\n", __FILE__, t_passed, t_failed), \
	    t_failed != 0)

/*
 * stderr goes to a temporary file from t_capture_start until t_capture_end,
 * which returns what was written (valid until the next capture).
 */
static char t_captured[65536];
static int t_saved_stderr = -1;
static FILE *t_capture_file;

static inline void
t_capture_start(void)
{
	fflush(stderr);
	/* Messages as a terminal shows them: no time at the start of lines. */
	log_set_timestamps(false);
	t_capture_file = tmpfile();
	t_saved_stderr = dup(2);
	dup2(fileno(t_capture_file), 2);
}

static inline const char *
t_capture_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(t_saved_stderr, 2);
	close(t_saved_stderr);
	rewind(t_capture_file);
	n = fread(t_captured, 1, sizeof(t_captured) - 1, t_capture_file);
	t_captured[n] = '\0';
	fclose(t_capture_file);
	return t_captured;
}

#endif
