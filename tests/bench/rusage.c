/*
 * Runs a command and reports its resource usage, as /usr/bin/time does,
 * for tests/bench/bench.py.
 *
 * usage: rusage OUTFILE COMMAND [ARG...]
 * writes to OUTFILE: "STATUS USER_SECONDS SYS_SECONDS MAXRSS_KIB"
 * and exits 0 (or 127 when COMMAND cannot be run).
 *
 * Why not os.wait4 in Python: Linux carries a process's peak RSS across
 * execve, so a child forked from a large Python process reports the
 * parent's size as its own ru_maxrss. Forked from this small program, the
 * command's ru_maxrss is its own.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static double
seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	if ((pid = fork()) == -1) {
		perror("rusage: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1) {
		perror("rusage: wait4");
		return 127;
	}
	if ((out = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 127;
	}
	fprintf(out, "%d %.6f %.6f %ld\n", WIFEXITED(status) ?
	    WEXITSTATUS(status) : 128 + WTERMSIG(status), seconds(ru.ru_utime),
	    seconds(ru.ru_stime), ru.ru_maxrss);
	return fclose(out) == 0 ? 0 : 127;
}
