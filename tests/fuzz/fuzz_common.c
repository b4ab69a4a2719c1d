/* Helpers shared by the fuzz targets: see fuzz.h. */
#include "fuzz.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char scratch[256];
static int report_fd = STDERR_FILENO;

/* Everything in the scratch directory is ours: remove it all. */
static void
fuzz_cleanup(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (scratch[0] == '\0' || (d = opendir(scratch)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", scratch, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(scratch);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const unset[] = {
		"AWS_REGION",
		"AWS_DEFAULT_REGION",
		"AWS_PROFILE",
		"AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_CLOUDTRAIL",
		"AWS_CA_BUNDLE",
		"AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN",
		"AWS_SHARED_CREDENTIALS_FILE",
		"XDG_CONFIG_HOME",
		"XDG_STATE_HOME",
	};
	const char *tmp = getenv("TMPDIR");
	size_t i;

	(void)argc;
	(void)argv;
	if ((report_fd = dup(STDERR_FILENO)) == -1)
		report_fd = STDERR_FILENO;
	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	snprintf(scratch, sizeof(scratch), "%s/bt-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(scratch) == NULL) {
		perror(scratch);
		abort();
	}
	setenv("HOME", scratch, 1);
	atexit(fuzz_cleanup);
	fuzz_target_init();
	return 0;
}

void
fuzz_setup(void)
{
	static int done;

	if (done)
		return;
	if (fcntl(STDERR_FILENO, F_GETFD) == -1 &&
	    open("/dev/null", O_WRONLY) != STDERR_FILENO)
		abort();
	done = 1;
}

const char *
fuzz_path(const char *name)
{
	static char paths[8][512];
	static const char *names[8];
	size_t i;

	for (i = 0; i < 8 && names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return paths[i];
	if (i == 8)
		abort();
	names[i] = name;
	snprintf(paths[i], sizeof(paths[i]), "%s/%s", scratch, name);
	return paths[i];
}

void
fuzz_write_file(
    const char *path, const void *data, size_t len, unsigned int mode)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode)) ==
		-1 ||
	    fchmod(fd, (mode_t)mode) == -1 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) == -1) {
		perror(path);
		abort();
	}
}

char *
fuzz_strndup(const uint8_t *data, size_t len)
{
	char *s = xmalloc(len + 1);

	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void
fuzz_fail(const char *msg, const char *file, int line)
{
	dprintf(report_fd, "%s:%d: invariant: %s\n", file, line, msg);
	abort();
}
