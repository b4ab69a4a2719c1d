/*
 * The lock that keeps one poll at a time per state file: an fcntl(2)
 * write lock on "STATE.lock", which F_GETLK can name the holder of.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "owner.h"
#include "state.h"
#include "util.h"

/*
 * Takes the write lock on fd, or reports who holds it. The holder may let
 * go between F_SETLK and F_GETLK, so a vanished holder means try again.
 */
static int
lock_fd(int fd, const char *lock)
{
	struct flock fl;

	for (int tries = 0; tries < 3; tries++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES) {
			log_error("%s: cannot lock: %s", lock,
			    strerror(errno));
			return EX_IOERR;
		}
		if (fcntl(fd, F_GETLK, &fl) == -1) {
			log_error("%s: cannot lock: %s", lock,
			    strerror(errno));
			return EX_IOERR;
		}
		if (fl.l_type != F_UNLCK) {
			log_error("another poll is running (pid %ld, lock %s)",
			    (long)fl.l_pid, lock);
			return EX_TEMPFAIL;
		}
	}
	log_error("another poll is running (lock %s)", lock);
	return EX_TEMPFAIL;
}

int
state_lock(const char *path, int *fdp)
{
	char *lock = xasprintf("%s.lock", path), *dir = file_dir(path);
	char pid[32];
	int fd = -1, rc, n;

	*fdp = -1;
	if (file_mkdirs(dir) == -1) {
		if (owner_is_permission_errno(errno))
			rc = owner_permission_error(dir, "lock file", "create");
		else {
			log_error("%s: cannot create lock file: %s", dir,
			    strerror(errno));
			rc = EX_CANTCREAT;
		}
		goto out;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 && owner_is_permission_errno(errno)) {
		rc = owner_permission_error(lock, "lock file", "open");
		goto out;
	}
	if (fd == -1) {
		log_error("%s: cannot create lock file: %s", lock,
		    strerror(errno));
		rc = EX_CANTCREAT;
		goto out;
	}
	if ((rc = lock_fd(fd, lock)) != 0)
		goto out;
	/* The pid is for people looking at the file; the lock is fcntl's. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n) {
		log_error("%s: cannot write lock file: %s", lock,
		    strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	*fdp = fd;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	free(lock);
	free(dir);
	return rc;
}
