/*
 * Files we own: written whole or not at all. Atomic replacement as in
 * acme-client: a temporary file beside the target (mode 0600), write,
 * fsync, checked close, rename, then fsync of the directory so that the
 * rename itself survives a crash.
 *
 * Functions return 0, or -1 with errno set, for the caller to report;
 * file_replace alone reports and returns a sysexits(3) code, as the state
 * and the store that call it do.
 */
#ifndef FILEIO_H
#define FILEIO_H

#include <stddef.h>

/* The directory holding path ("." for a bare name); the caller frees. */
char *file_dir(const char *path);

/* mkdir -p with mode 0700 whatever the umask; -1 with errno set. */
int file_mkdirs(const char *dir);

/* write(2) until done; -1 with errno set. */
int file_write_all(int fd, const void *buf, size_t len);

/* fsync of a directory, for renames and new files; -1 with errno set. */
int file_sync_dir(const char *dir);

/*
 * An anonymous file in file_tmp_dir(), mode 0600, already unlinked: it
 * vanishes with the process however it ends. -1 with errno set.
 */
int file_tmp(void);
/* $TMPDIR, else /tmp: where file_tmp's files are, for messages. */
const char *file_tmp_dir(void);

/*
 * Replaces path with len bytes of buf, mode 0600, creating its directory
 * (0700) if needed. Returns 0, or after reporting "FILE: cannot write
 * WHAT: reason": EX_CANTCREAT when the file cannot be created or renamed
 * into place, EX_IOERR when writing or syncing fails.
 */
int file_replace(const char *path, const void *buf, size_t len,
    const char *what);

#endif
