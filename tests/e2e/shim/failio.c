/*
 * An LD_PRELOAD shim for the end-to-end tests: makes the disk fail under
 * one path, for the failures that no real file system gives on demand.
 *
 *   BT_FAIL_PATH   a path, or a prefix ending in "/": the files it applies to
 *   BT_FAIL_AFTER  bytes that write(2) may still put there before failing
 *                  with ENOSPC (the last write is cut short, as on a full
 *                  disk); unset: writes are not touched
 *   BT_FAIL_TRUNCATE  when set, ftruncate(2) there fails with EPERM, as on
 *                  an append-only (chattr +a) file
 *   BT_FAIL_RENAME N  the Nth rename(2) onto the path (1 is the first)
 *                  fails with EIO: one chosen save of an atomically
 *                  replaced file
 *   BT_FAIL_KILL   when set, the process is killed (SIGKILL) where the
 *                  write or the rename above would fail: after the last
 *                  byte that had room, or instead of the Nth rename; an
 *                  exact instant for a kill
 *
 * Built by the tests (tests/e2e/failio.py), never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static atomic_llong written;

static int
targeted(int fd)
{
	const char *want = getenv("BT_FAIL_PATH");
	char link[64], path[4096];
	ssize_t n;
	size_t wl;

	if (want == NULL || *want == '\0')
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 0)
		return 0;
	path[n] = '\0';
	wl = strlen(want);
	if (want[wl - 1] == '/')
		return strncmp(path, want, wl) == 0;
	return strcmp(path, want) == 0;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	const char *after = getenv("BT_FAIL_AFTER");
	long long room;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	if (after == NULL || !targeted(fd))
		return real(fd, buf, len);
	room = atoll(after) - atomic_load(&written);
	if (getenv("BT_FAIL_KILL") != NULL && (long long)len > room) {
		if (room > 0)
			real(fd, buf, (size_t)room);
		raise(SIGKILL);
	}
	if (room <= 0) {
		errno = ENOSPC;
		return -1;
	}
	if ((long long)len > room)
		len = (size_t)room;
	atomic_fetch_add(&written, (long long)len);
	return real(fd, buf, len);
}

static int
fail_truncate(int fd)
{
	return getenv("BT_FAIL_TRUNCATE") != NULL && targeted(fd);
}

int
ftruncate(int fd, off_t length)
{
	static int (*real)(int, off_t);

	if (real == NULL)
		real = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
	if (fail_truncate(fd)) {
		errno = EPERM;
		return -1;
	}
	return real(fd, length);
}

int
ftruncate64(int fd, off_t length)
{
	return ftruncate(fd, length);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	static atomic_int renames;
	const char *want = getenv("BT_FAIL_PATH");
	const char *nth = getenv("BT_FAIL_RENAME");

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		    "rename");
	if (nth != NULL && want != NULL && strcmp(to, want) == 0 &&
	    atomic_fetch_add(&renames, 1) + 1 == atoi(nth)) {
		if (getenv("BT_FAIL_KILL") != NULL)
			raise(SIGKILL);
		errno = EIO;
		return -1;
	}
	return real(from, to);
}
