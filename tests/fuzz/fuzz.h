/*
 * Shared by the libFuzzer targets: a private scratch directory, files
 * written from the fuzzer's bytes, and a check that aborts with a message
 * so that a broken invariant is a crash libFuzzer saves and reports.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * LLVMFuzzerInitialize (in fuzz_common.c) makes a scratch directory
 * (removed at exit), keeps a copy of stderr for invariant messages, and
 * clears the AWS_* variables that would change what the code reads.
 * fuzz_setup, first thing in each input: when libFuzzer's -close_fd_mask=2
 * closed stderr to silence the code's messages, /dev/null takes fd 2, so
 * that fd 2 is never a file the code under test opened.
 */
void fuzz_setup(void);

/* Each target's own set-up, called once by LLVMFuzzerInitialize. */
void fuzz_target_init(void);

/* "SCRATCH/name", valid until the next call with the same name slot. */
const char *fuzz_path(const char *name);

/* Replaces path with exactly len bytes of data, with mode. */
void fuzz_write_file(
    const char *path, const void *data, size_t len, unsigned int mode);

/* A NUL-terminated copy of data (the caller frees it). */
char *fuzz_strndup(const uint8_t *data, size_t len);

/* Aborts with "FILE:LINE: invariant: MSG" when cond is false. */
#define FUZZ_CHECK(cond, msg) \
	do { \
		if (!(cond)) \
			fuzz_fail((msg), __FILE__, __LINE__); \
	} while (0)
void fuzz_fail(const char *msg, const char *file, int line)
    __attribute__((noreturn));

#endif
