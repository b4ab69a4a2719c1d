/*
 * fileio.c: the directory of a path, mkdir -p at 0700 whatever the umask,
 * anonymous temporary files, and the atomic replacement of a file we own,
 * with the message each failure gives.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "fileio.h"
#include "t.h"
#include "util.h"

static char top[] = "/tmp/bt-test-fileio.XXXXXX";

static void
test_file_dir(void)
{
	char *d;

	T_EQ_STR(d = file_dir("/var/lib/x/state.json"), "/var/lib/x");
	free(d);
	T_EQ_STR(d = file_dir("state.json"), ".");
	free(d);
	T_EQ_STR(d = file_dir("/state.json"), "/");
	free(d);
}

static void
test_mkdirs_is_private_whatever_the_umask(void)
{
	char path[300];
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/a/b/c", top);
	T_EQ_INT(file_mkdirs(path), 0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/a", top);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0700);
	T_EQ_INT(file_mkdirs(path), 0);		/* exists: fine */
	umask(old);
}

static void
test_mkdirs_under_a_file_fails(void)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/plain", top);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	snprintf(path, sizeof(path), "%s/plain/sub", top);
	errno = 0;
	T_EQ_INT(file_mkdirs(path), -1);
	T_EQ_INT(errno, ENOTDIR);
}

static void
test_tmp_is_anonymous_private_and_in_tmpdir(void)
{
	char link[64], target[400];
	struct stat st;
	ssize_t n;
	int fd;

	setenv("TMPDIR", top, 1);
	T_EQ_STR(file_tmp_dir(), top);
	T_ASSERT((fd = file_tmp()) >= 0);
	T_EQ_INT(fstat(fd, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0600);
	T_EQ_INT(st.st_nlink, 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT(n > 0 && strncmp(target, top, strlen(top)) == 0);
	T_EQ_INT(file_write_all(fd, "abc", 3), 0);
	T_EQ_INT(lseek(fd, 0, SEEK_END), 3);
	close(fd);
	setenv("TMPDIR", "", 1);
	T_EQ_STR(file_tmp_dir(), "/tmp");
	unsetenv("TMPDIR");
	T_EQ_STR(file_tmp_dir(), "/tmp");
	setenv("TMPDIR", "/nonexistent-bt-test", 1);
	errno = 0;
	T_EQ_INT(file_tmp(), -1);
	T_EQ_INT(errno, ENOENT);
	unsetenv("TMPDIR");
}

static void
test_write_all_reports_errors(void)
{
	int fd = open("/dev/full", O_WRONLY);

	T_ASSERT(fd >= 0);
	errno = 0;
	T_EQ_INT(file_write_all(fd, "x", 1), -1);
	T_EQ_INT(errno, ENOSPC);
	close(fd);
	T_EQ_INT(file_write_all(-1, "x", 1), -1);
	T_EQ_INT(errno, EBADF);
}

static void
test_replace_writes_whole_private_files(void)
{
	char path[300], buf[16] = "";
	struct stat st;
	mode_t old = umask(0);
	int fd;

	snprintf(path, sizeof(path), "%s/new/dir/state.json", top);
	T_EQ_INT(file_replace(path, "first", 5, "the state"), 0);
	T_EQ_INT(file_replace(path, "second", 6, "the state"), 0);
	umask(old);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0600);
	T_EQ_INT(st.st_size, 6);
	fd = open(path, O_RDONLY);
	T_EQ_INT(read(fd, buf, sizeof(buf) - 1), 6);
	close(fd);
	T_EQ_STR(buf, "second");
	snprintf(path, sizeof(path), "%s/new/dir", top);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0700);
}

static void
test_replace_failures_name_the_file(void)
{
	char path[300], want[600];

	snprintf(path, sizeof(path), "%s/plain/state.json", top);
	t_capture_start();
	T_EQ_INT(file_replace(path, "x", 1, "the state"), EX_CANTCREAT);
	snprintf(want, sizeof(want), "%s/plain: cannot write the state: "
	    "Not a directory\n", top);
	T_EQ_STR(t_capture_end(), want);
	/* A directory where the file should be: the rename fails. */
	snprintf(path, sizeof(path), "%s/a", top);
	t_capture_start();
	T_EQ_INT(file_replace(path, "x", 1, "the state"), EX_CANTCREAT);
	snprintf(want, sizeof(want), "%s: cannot write the state: "
	    "Is a directory\n", path);
	T_EQ_STR(t_capture_end(), want);
}

int
main(void)
{
	char cmd[400];

	if (mkdtemp(top) == NULL)
		return 1;
	T_RUN(test_file_dir);
	T_RUN(test_mkdirs_is_private_whatever_the_umask);
	T_RUN(test_mkdirs_under_a_file_fails);
	T_RUN(test_tmp_is_anonymous_private_and_in_tmpdir);
	T_RUN(test_write_all_reports_errors);
	T_RUN(test_replace_writes_whole_private_files);
	T_RUN(test_replace_failures_name_the_file);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return 1;
	return T_DONE();
}
