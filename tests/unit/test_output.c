/*
 * The exactly-once protocol's file side: after a kill at any point of an
 * append, output_recover tells a whole batch from a partial one and cuts a
 * partial one off.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/bt-test-output.XXXXXX";
static char path[256];

static const char *lines[] = { "{\"a\":1}", "{\"b\":2}", "{\"c\":3}" };
static const char before[] = "{\"old\":0}\n";

static void
make_batch(struct batch *b)
{
	T_EQ_INT(batch_begin(b), 0);
	for (size_t i = 0; i < 3; i++)
		T_EQ_INT(batch_add(b, lines[i], strlen(lines[i])), 0);
	T_EQ_INT(batch_end(b), 0);
}

/* A file holding `before`, and the pending record for appending b to it. */
static void
prepare(struct batch *b, struct pending_append *pa)
{
	struct output o;

	unlink(path);
	T_EQ_INT(output_open(path, &o), 0);
	T_EQ_INT(write(o.fd, before, strlen(before)), strlen(before));
	make_batch(b);
	memset(pa, 0, sizeof(*pa));
	pa->active = true;
	pa->output = path;
	pa->dev = o.dev;
	pa->ino = o.ino;
	T_EQ_INT(output_offset(&o, &pa->offset), 0);
	pa->length = b->length;
	memcpy(pa->sha256, b->sha256, sizeof(pa->sha256));
	output_close(&o);
}

static long long
file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void
test_whole_batch_is_recognised(void)
{
	struct batch b = BATCH_INIT;
	struct pending_append pa;
	struct output o;
	bool applied = false;

	prepare(&b, &pa);
	T_EQ_INT(output_open(path, &o), 0);
	T_EQ_INT(output_append(&o, &b), 0);
	output_close(&o);
	T_EQ_INT(output_recover(&pa, &applied), 0);
	T_ASSERT(applied);
	T_EQ_INT(file_size(), (long long)strlen(before) + b.length);
	batch_free(&b);
}

static void
test_partial_batch_is_cut_off_at_every_length(void)
{
	struct batch b = BATCH_INIT;
	struct pending_append pa;

	prepare(&b, &pa);
	for (long long cut = 0; cut < b.length; cut++) {
		bool applied = true;
		char *buf = xmalloc((size_t)b.length);
		int fd = open(path, O_WRONLY | O_APPEND);

		T_EQ_INT(pread(b.fd, buf, (size_t)cut, 0), cut);
		T_EQ_INT(write(fd, buf, (size_t)cut), cut);
		close(fd);
		free(buf);
		T_EQ_INT(output_recover(&pa, &applied), 0);
		T_ASSERT(!applied);
		T_EQ_INT(file_size(), (long long)strlen(before));
	}
	batch_free(&b);
}

static void
test_rotated_file_is_left_alone(void)
{
	struct batch b = BATCH_INIT;
	struct pending_append pa;
	char rotated[300];
	bool applied = true;
	int fd;

	prepare(&b, &pa);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	T_EQ_INT(rename(path, rotated), 0);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	T_EQ_INT(write(fd, "x\n", 2), 2);
	close(fd);
	t_capture_start();
	T_EQ_INT(output_recover(&pa, &applied), 0);
	T_ASSERT(strstr(t_capture_end(), "replaced since an interrupted poll"));
	T_ASSERT(!applied);
	T_EQ_INT(file_size(), 2);
	unlink(rotated);
	batch_free(&b);
}

static void
test_missing_file_means_not_written(void)
{
	struct batch b = BATCH_INIT;
	struct pending_append pa;
	bool applied = true;

	prepare(&b, &pa);
	unlink(path);
	t_capture_start();
	T_EQ_INT(output_recover(&pa, &applied), 0);
	T_ASSERT(strstr(t_capture_end(), "is gone"));
	T_ASSERT(!applied);
	batch_free(&b);
}

static void
test_other_bytes_at_the_offset_are_not_ours(void)
{
	struct batch b = BATCH_INIT;
	struct pending_append pa;
	bool applied = true;
	int fd;
	char junk[256];

	prepare(&b, &pa);
	memset(junk, 'z', sizeof(junk));
	fd = open(path, O_WRONLY | O_APPEND);
	T_EQ_INT(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	t_capture_start();
	T_EQ_INT(output_recover(&pa, &applied), 0);
	T_ASSERT(strstr(t_capture_end(), "will be written again"));
	T_ASSERT(!applied);
	/* Someone else's data is never cut. */
	T_EQ_INT(file_size(), (long long)strlen(before) + 256);
	batch_free(&b);
}

static void
test_output_file_is_created_private(void)
{
	struct output o;
	struct stat st;

	unlink(path);
	umask(0);
	T_EQ_INT(output_open(path, &o), 0);
	output_close(&o);
	umask(022);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0600);
}

/* Issue 10, defect 2: 0 would be the offset a rollback cuts the file to. */
static void
test_offset_is_an_error_when_fstat_fails(void)
{
	struct output o;
	long long offset = 42;
	char want[400];

	unlink(path);
	T_EQ_INT(output_open(path, &o), 0);
	T_EQ_INT(write(o.fd, before, strlen(before)), strlen(before));
	t_capture_start();
	close(o.fd);
	T_EQ_INT(output_offset(&o, &offset), 74);
	snprintf(want, sizeof(want), "%s: cannot read the output file's size: "
	    "Bad file descriptor\n", path);
	T_EQ_STR(t_capture_end(), want);
	o.fd = open("/dev/null", O_RDONLY);
	output_close(&o);
	T_EQ_INT(file_size(), (long long)strlen(before));
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/records.jsonl", dir);
	T_RUN(test_whole_batch_is_recognised);
	T_RUN(test_partial_batch_is_cut_off_at_every_length);
	T_RUN(test_rotated_file_is_left_alone);
	T_RUN(test_missing_file_means_not_written);
	T_RUN(test_other_bytes_at_the_offset_are_not_ours);
	T_RUN(test_output_file_is_created_private);
	T_RUN(test_offset_is_an_error_when_fstat_fails);
	unlink(path);
	rmdir(dir);
	return T_DONE();
}
