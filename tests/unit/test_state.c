/*
 * state.c: the poll state file. Loading good and hostile fixtures from
 * tests/fixtures/state/, atomic saving, and the lock between processes.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "util.h"
#include "t.h"

#define FIXTURES "tests/fixtures/state"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* 2026-11-24T07:00:00Z */
#define T0 ((time_t)1795503600)
#define ACCT "123456789012"
#define ACCT2 "210987654321"

static char tmpdir[64];
/* The whole file, NUL-terminated; *len gets its size. NULL if unreadable. */
static char *
slurp(const char *path, size_t *len)
{
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	strbuf_add(&sb, "", 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return sb.buf;
}

static void
spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	T_ASSERT(fclose(f) == 0);
}

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* Names in dir, sorted and joined by spaces, for "nothing else is here". */
static char *
dir_listing(const char *dir)
{
	struct dirent **names;
	struct strbuf sb = { 0 };
	int n = scandir(dir, &names, NULL, alphasort);

	strbuf_add(&sb, "", 0);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			if (sb.len > 0)
				strbuf_adds(&sb, " ");
			strbuf_adds(&sb, names[i]->d_name);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return sb.buf;
}

static void
fresh_tmpdir(void)
{
	char *cmd;

	if (tmpdir[0] != '\0') {
		chmod(tmpdir, 0700);
		cmd = xasprintf("rm -rf '%s'", tmpdir);
		T_EQ_INT(system(cmd), 0);
		free(cmd);
	}
	strcpy(tmpdir, "/tmp/bt-test-state-XXXXXX");
	T_ASSERT(mkdtemp(tmpdir) != NULL);
}

static void
test_load_missing_file_is_empty_state(void)
{
	struct state st;
	char *path = tmp_path("none.json");

	t_capture_start();
	T_EQ_INT(state_load(path, &st), 0);
	T_EQ_STR(t_capture_end(), "");
	T_EQ_INT(st.nregions, 0);
	T_ASSERT(!st.pending.active);
	state_free(&st);
	free(path);
}

static void
test_load_good_file(void)
{
	struct state st;
	struct region_state *r;

	T_EQ_INT(state_load(FIXTURES "/good-full.json", &st), 0);
	T_EQ_INT(st.nregions, 3);
	if (st.nregions != 3)
		return;
	/* The file's order, not an alphabetical one. */
	T_EQ_STR(st.regions[0].region, "us-east-1");
	T_EQ_STR(st.regions[1].region, "eu-west-1");
	T_EQ_STR(st.regions[2].region, "ap-south-1");
	r = &st.regions[0];
	T_ASSERT(r->has_cursor);
	T_EQ_INT(r->cursor, T0);
	T_EQ_INT(r->seen.count, 2);
	T_ASSERT(strset_has(&r->seen, "11111111-aaaa-4bbb-8ccc-000000000001"));
	T_ASSERT(strset_has(&r->seen, "11111111-aaaa-4bbb-8ccc-000000000002"));
	T_ASSERT(!st.regions[1].has_cursor);
	T_EQ_INT(st.regions[1].seen.count, 0);
	T_ASSERT(st.regions[2].has_cursor);
	T_EQ_INT(st.regions[2].cursor, T0 - 1);

	T_ASSERT(st.pending.active);
	T_EQ_STR(st.pending.output, "/var/log/bedrock.jsonl");
	T_EQ_INT(st.pending.dev, 2049);
	T_EQ_INT(st.pending.ino, 1234567);
	T_EQ_INT(st.pending.offset, 4096);
	T_EQ_INT(st.pending.length, 512);
	T_EQ_STR(st.pending.sha256, SHA);
	T_EQ_STR(st.pending.after.region, "us-east-1");
	T_ASSERT(st.pending.after.has_cursor);
	T_EQ_INT(st.pending.after.cursor, T0 + 300);
	T_EQ_INT(st.pending.after.seen.count, 1);
	T_ASSERT(strset_has(&st.pending.after.seen,
	    "11111111-aaaa-4bbb-8ccc-000000000003"));
	state_free(&st);
}

static void
test_load_minimal_files(void)
{
	struct state st;

	T_EQ_INT(state_load(FIXTURES "/good-empty.json", &st), 0);
	T_EQ_INT(st.nregions, 0);
	T_ASSERT(!st.pending.active);
	state_free(&st);

	/* The template the corrupt-pending-* fixtures each break once. */
	T_EQ_INT(state_load(FIXTURES "/good-pending.json", &st), 0);
	T_ASSERT(st.pending.active);
	T_EQ_INT(st.pending.ino, 12);
	T_EQ_INT(st.pending.after.seen.count, 1);
	state_free(&st);
}

/* Every corrupt fixture and the reason it must be refused for. */
static const struct {
	const char *file, *why;
} corrupt[] = {
	{ "corrupt-binary-garbage.json", "not valid JSON" },
	{ "corrupt-cursor-date.json", "\"cursor\" is not an ISO 8601" },
	{ "corrupt-cursor-format.json", "\"cursor\" is not an ISO 8601" },
	{ "corrupt-cursor-number.json", "\"cursor\" is not an ISO 8601" },
	{ "corrupt-empty.json", "empty file" },
	{ "corrupt-not-json.json", "not valid JSON" },
	{ "corrupt-nul-byte.json", "NUL byte" },
	{ "corrupt-pending-bad-cursor.json", "pending: \"cursor\"" },
	{ "corrupt-pending-dev-missing.json", "\"dev\" is not an integer" },
	{ "corrupt-pending-dev-string.json", "\"dev\" is not an integer" },
	{ "corrupt-pending-ino-huge.json", "\"ino\" is not an integer" },
	{ "corrupt-pending-ino-2p53.json", "\"ino\" is not an integer" },
	{ "corrupt-pending-length-fraction.json", "\"length\" is not an int" },
	{ "corrupt-pending-negative-offset.json", "\"offset\" is not an int" },
	{ "corrupt-pending-not-object.json", "\"pending\" is not an object" },
	{ "corrupt-pending-output-number.json", "\"output\" is not a" },
	{ "corrupt-pending-sha-nonhex.json", "\"sha256\" is not 64" },
	{ "corrupt-pending-sha-short.json", "\"sha256\" is not 64" },
	{ "corrupt-pending-sha-upper.json", "\"sha256\" is not 64" },
	{ "corrupt-region-duplicate.json", "region \"us-east-1\" appears twice" },
	{ "corrupt-region-not-object.json", "region \"us-east-1\" is not an obj" },
	{ "corrupt-region-unknown-key.json", "unknown key \"cursour\"" },
	{ "corrupt-regions-array.json", "\"regions\" is not an object" },
	{ "corrupt-regions-missing.json", "\"regions\" is not an object" },
	{ "corrupt-seen-duplicate.json", "seen[1] repeats an earlier id" },
	{ "corrupt-seen-missing.json", "\"seen\" is not an array" },
	{ "corrupt-seen-object.json", "\"seen\" is not an array" },
	{ "corrupt-seen-swapped.json", "seen[0] is not an [id, time] pair" },
	{ "corrupt-seen-time-fraction.json", "seen[0] is not an [id, time]" },
	{ "corrupt-seen-time-string.json", "seen[0] is not an [id, time]" },
	{ "corrupt-seen-triple.json", "seen[0] is not an [id, time]" },
	{ "corrupt-top-array.json", "not a JSON object" },
	{ "corrupt-trailing-garbage.json", "not valid JSON" },
	{ "corrupt-truncated.json", "not valid JSON" },
	{ "corrupt-unknown-key.json", "unknown key \"extra\"" },
	{ "corrupt-version-3.json", "unsupported version" },
	{ "corrupt-version-fraction.json", "unsupported version" },
	{ "corrupt-version-missing.json", "no \"version\"" },
	{ "corrupt-version-string.json", "unsupported version" },
};
#define NCORRUPT (sizeof(corrupt) / sizeof(corrupt[0]))

/* A fixture added to the directory must also be listed above. */
static void
test_every_corrupt_fixture_is_listed(void)
{
	char *listing = dir_listing(FIXTURES), *p;
	size_t n = 0;

	for (p = listing; (p = strstr(p, "corrupt-")) != NULL; p++)
		n++;
	T_EQ_INT(n, NCORRUPT);
	for (size_t i = 0; i < NCORRUPT; i++)
		if (strstr(listing, corrupt[i].file) == NULL)
			T_FAIL("%s is listed but missing", corrupt[i].file);
	free(listing);
}

static void
test_corrupt_files_are_refused_and_left_alone(void)
{
	struct state st;

	for (size_t i = 0; i < NCORRUPT; i++) {
		char *path = xasprintf("%s/%s", FIXTURES, corrupt[i].file);
		char *want = xasprintf("%s: corrupt state file: ", path);
		char *before, *after;
		size_t blen = 0, alen = 0;
		const char *err;
		int rc;

		before = slurp(path, &blen);
		T_ASSERT(before != NULL);
		t_capture_start();
		rc = state_load(path, &st);
		err = t_capture_end();
		if (rc != EX_DATAERR)
			T_FAIL("%s: state_load == %d, want EX_DATAERR", path, rc);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, corrupt[i].why) == NULL)
			T_FAIL("%s: message \"%s\" lacks \"%s\"", path, err,
			    corrupt[i].why);
		if (strstr(err, "\nfix or move it aside; it is never reset "
		    "automatically\n") == NULL)
			T_FAIL("%s: no advice in \"%s\"", path, err);
		T_EQ_INT(st.nregions, 0);
		T_ASSERT(st.regions == NULL && !st.pending.active);
		after = slurp(path, &alen);
		T_ASSERT(after != NULL && alen == blen &&
		    memcmp(before, after, blen) == 0);
		state_free(&st);
		free(before);
		free(after);
		free(want);
		free(path);
	}
}

static void
test_load_unreadable_is_noinput(void)
{
	struct state st;
	char *path = tmp_path("state.json");
	const char *err;

	/* A directory cannot be read even by root. */
	T_EQ_INT(mkdir(path, 0700), 0);
	t_capture_start();
	T_EQ_INT(state_load(path, &st), EX_NOINPUT);
	err = t_capture_end();
	T_ASSERT(strstr(err, ": cannot read state file: ") != NULL);
	T_ASSERT(strncmp(err, path, strlen(path)) == 0);
	T_EQ_INT(st.nregions, 0);
	rmdir(path);

	if (geteuid() != 0) {
		spit(path, "{\"version\":1,\"regions\":{}}\n");
		chmod(path, 0);
		t_capture_start();
		T_EQ_INT(state_load(path, &st), EX_NOINPUT);
		err = t_capture_end();
		T_ASSERT(strstr(err, "cannot read state file: Permission "
		    "denied") != NULL);
		unlink(path);
	}
	free(path);
}

/* Several regions in an order that is not alphabetical, and an append. */
static void
build_state(struct state *st)
{
	struct region_state *r;
	char id[64];

	memset(st, 0, sizeof(*st));
	r = state_region(st, ACCT, "us-west-2");
	r->has_cursor = true;
	r->cursor = T0;
	for (int i = 0; i < 2500; i++) {
		snprintf(id, sizeof(id), "id-\"quoted\"\\-%04d", i);
		strset_add(&r->seen, id, T0 - 900 + i % 900);
	}
	r = state_region(st, ACCT2, "ap-northeast-1");
	r = state_region(st, ACCT, "eu-central-1");
	r->has_cursor = true;
	r->cursor = T0 + 59;
	strset_add(&r->seen, "only-one", T0);

	st->pending.active = true;
	st->pending.output = xstrdup("/var/log/bedrock \"x\".jsonl");
	st->pending.dev = 64769;
	st->pending.ino = 9007199254740991ULL;	/* 2^53 - 1, the largest */
	st->pending.offset = 1LL << 40;
	st->pending.length = 0;
	memcpy(st->pending.sha256, SHA, sizeof(st->pending.sha256));
	st->pending.after.account = xstrdup(ACCT);
	st->pending.after.region = xstrdup("eu-central-1");
	st->pending.after.has_cursor = true;
	st->pending.after.cursor = T0 + 120;
	strset_add(&st->pending.after.seen, "only-one", T0);
	strset_add(&st->pending.after.seen, "and-two", T0 + 120);
}

static void
check_seen_in(const char *key, time_t time, void *arg)
{
	const struct strset *other = arg;
	const struct strset_entry *e = NULL;

	for (size_t i = 0; i < other->nslots; i++)
		if (other->slots[i].key != NULL &&
		    strcmp(other->slots[i].key, key) == 0)
			e = &other->slots[i];
	if (e == NULL || e->time != time)
		T_FAIL("seen id %s (time %lld) not kept", key, (long long)time);
}

static void
region_eq(const struct region_state *a, const struct region_state *b)
{
	T_EQ_STR(a->account, b->account);
	T_EQ_STR(a->region, b->region);
	T_EQ_INT(a->has_cursor, b->has_cursor);
	T_EQ_INT(a->cursor, b->cursor);
	T_EQ_INT(a->seen.count, b->seen.count);
	strset_each(&a->seen, check_seen_in, (void *)&b->seen);
}

/*
 * A version 1 file (one account) is upgraded: every cursor, seen id and
 * the pending append go to the given account; the old file stays beside
 * it, once; the next save writes version 2.
 */
static void
test_adopt_upgrades_a_version_1_file(void)
{
	struct state st, back;
	char *path = tmp_path("v1.json"), *old = tmp_path("v1.json.v1");
	char *orig, *kept, *text;
	size_t n1 = 0, n2 = 0;

	orig = slurp(FIXTURES "/good-full.json", &n1);
	spit(path, orig);
	T_EQ_INT(state_load(path, &st), 0);
	T_EQ_INT(st.version, 1);
	T_ASSERT(st.regions[0].account == NULL);
	log_set_level(LOG_VERBOSE);
	t_capture_start();
	T_EQ_INT(state_adopt(path, &st, ACCT), 0);
	T_ASSERT(strstr(t_capture_end(), "upgraded to version 2") != NULL);
	for (size_t i = 0; i < st.nregions; i++)
		T_EQ_STR(st.regions[i].account, ACCT);
	T_EQ_STR(st.pending.after.account, ACCT);
	T_EQ_INT(state_save(path, &st), 0);
	kept = slurp(old, &n2);
	T_ASSERT(kept != NULL && n1 == n2 && memcmp(orig, kept, n1) == 0);
	T_EQ_INT(state_load(path, &back), 0);
	T_EQ_INT(back.version, 2);
	T_EQ_INT(back.nregions, 3);
	for (size_t i = 0; i < st.nregions && i < back.nregions; i++)
		region_eq(&st.regions[i], &back.regions[i]);
	region_eq(&st.pending.after, &back.pending.after);
	/* Loaded again, nothing more is kept or announced. */
	t_capture_start();
	T_EQ_INT(state_adopt(path, &back, ACCT2), 0);
	T_EQ_STR(t_capture_end(), "");
	log_set_level(LOG_NORMAL);
	T_EQ_STR(back.regions[0].account, ACCT);
	text = slurp(path, &n2);
	T_ASSERT(text != NULL && strstr(text, "\"accounts\":{\"" ACCT
	    "\":{\"regions\":{\"us-east-1\":") != NULL);
	free(text);
	free(kept);
	free(orig);
	state_free(&st);
	state_free(&back);
	unlink(old);
	unlink(path);
	free(old);
	free(path);
}

static void
test_save_then_load_round_trips(void)
{
	struct state st, back;
	char *path = tmp_path("state.json"), *text;
	size_t len = 0;

	build_state(&st);
	T_EQ_INT(state_save(path, &st), 0);
	T_EQ_INT(state_load(path, &back), 0);
	T_EQ_INT(back.nregions, 3);
	/* Grouped by account in the file: found by account and region. */
	for (size_t i = 0; i < st.nregions; i++) {
		const struct region_state *b = state_find(&back,
		    st.regions[i].account, st.regions[i].region);

		T_ASSERT(b != NULL);
		if (b != NULL)
			region_eq(&st.regions[i], b);
	}
	T_ASSERT(back.pending.active);
	T_EQ_STR(back.pending.output, st.pending.output);
	T_EQ_INT(back.pending.dev, st.pending.dev);
	T_ASSERT(back.pending.ino == st.pending.ino);
	T_EQ_INT(back.pending.offset, st.pending.offset);
	T_EQ_INT(back.pending.length, 0);
	T_EQ_STR(back.pending.sha256, SHA);
	region_eq(&st.pending.after, &back.pending.after);

	/* Compact: one line; integers in digits, not 9.007e+15. */
	text = slurp(path, &len);
	T_ASSERT(text != NULL && len > 0 && text[len - 1] == '\n');
	T_ASSERT(text != NULL && strchr(text, '\n') == text + len - 1);
	T_ASSERT(text != NULL &&
	    strstr(text, "\"ino\":9007199254740991,") != NULL);
	T_ASSERT(text != NULL && strncmp(text, "{\"version\":2,", 13) == 0);
	free(text);

	/* Saving what was loaded keeps it loadable and without a pending. */
	state_free(&back);
	free(st.pending.output);
	st.pending.output = NULL;
	state_region_free(&st.pending.after);
	st.pending.active = false;
	T_EQ_INT(state_save(path, &st), 0);
	T_EQ_INT(state_load(path, &back), 0);
	T_ASSERT(!back.pending.active);
	T_EQ_INT(back.nregions, 3);
	state_free(&back);
	state_free(&st);
	free(path);
}

static void
test_save_is_private_and_leaves_no_temp(void)
{
	struct state st;
	struct stat sb;
	char *path = tmp_path("state.json"), *listing;
	mode_t old = umask(0);

	/* An old file with loose permissions is replaced by a private one. */
	spit(path, "{}\n");
	chmod(path, 0644);
	build_state(&st);
	T_EQ_INT(state_save(path, &st), 0);
	umask(old);
	T_EQ_INT(stat(path, &sb), 0);
	T_EQ_INT(sb.st_mode & 07777, 0600);
	listing = dir_listing(tmpdir);
	T_EQ_STR(listing, "state.json");
	free(listing);
	state_free(&st);
	free(path);
}

static void
test_save_creates_missing_directories(void)
{
	struct state st;
	struct stat sb;
	char *dir = tmp_path("a"), *path = tmp_path("a/b/state.json");

	build_state(&st);
	T_EQ_INT(state_save(path, &st), 0);
	T_EQ_INT(stat(dir, &sb), 0);
	T_EQ_INT(sb.st_mode & 07777, 0700);
	T_EQ_INT(stat(path, &sb), 0);
	state_free(&st);
	free(path);
	free(dir);
}

/*
 * A save that cannot create its temp file fails before touching the state
 * file. Root writes into a read-only directory, so as root the parent of
 * the path is a regular file instead.
 */
static void
test_save_to_unwritable_place_is_cantcreat(void)
{
	struct state st;
	bool root = geteuid() == 0;
	char *dir = tmp_path(root ? "plain" : "ro");
	char *path = xasprintf("%s/state.json", dir);
	char *guard = root ? dir : path;
	char *want = xasprintf("%s: cannot write state file: %s", dir,
	    root ? "Not a directory" : "Permission denied");
	char *before, *after, *listing;
	size_t blen = 0, alen = 0;
	const char *err;
	int rc;

	build_state(&st);
	if (root) {
		spit(dir, "not a directory\n");
	} else {
		T_EQ_INT(state_save(path, &st), 0);
		T_EQ_INT(chmod(dir, 0500), 0);
	}
	before = slurp(guard, &blen);
	t_capture_start();
	rc = state_save(path, &st);
	err = t_capture_end();
	T_EQ_INT(rc, EX_CANTCREAT);
	T_ASSERT(strncmp(err, want, strlen(want)) == 0);
	after = slurp(guard, &alen);
	T_ASSERT(before != NULL && after != NULL && alen == blen &&
	    memcmp(before, after, blen) == 0);
	listing = dir_listing(root ? tmpdir : dir);
	T_EQ_STR(listing, root ? "plain" : "state.json");
	chmod(dir, 0700);
	free(listing);
	free(before);
	free(after);
	free(want);
	free(path);
	free(dir);
	state_free(&st);
}

/* A number a double cannot hold exactly is refused, not rounded. */
static void
test_save_refuses_inexact_numbers(void)
{
	struct state st;
	char *path = tmp_path("state.json"), *before, *after;
	size_t blen = 0, alen = 0;
	const char *err;

	build_state(&st);
	T_EQ_INT(state_save(path, &st), 0);
	before = slurp(path, &blen);
	st.pending.ino = 9007199254740992ULL;
	t_capture_start();
	T_EQ_INT(state_save(path, &st), EX_SOFTWARE);
	err = t_capture_end();
	T_ASSERT(strncmp(err, path, strlen(path)) == 0);
	T_ASSERT(strstr(err, "pending append is incomplete or out of range") !=
	    NULL);
	after = slurp(path, &alen);
	T_ASSERT(before != NULL && after != NULL && alen == blen &&
	    memcmp(before, after, blen) == 0);
	free(before);
	free(after);
	state_free(&st);
	free(path);
}

/* rename over a directory fails after the temp file is written. */
static void
test_failed_rename_removes_temp(void)
{
	struct state st;
	char *path = tmp_path("state.json"), *listing;
	const char *err;

	T_EQ_INT(mkdir(path, 0700), 0);
	build_state(&st);
	t_capture_start();
	T_EQ_INT(state_save(path, &st), EX_CANTCREAT);
	err = t_capture_end();
	T_ASSERT(strncmp(err, path, strlen(path)) == 0);
	T_ASSERT(strstr(err, ": cannot write state file: ") != NULL);
	listing = dir_listing(tmpdir);
	T_EQ_STR(listing, "state.json");
	free(listing);
	rmdir(path);
	state_free(&st);
	free(path);
}

static void
test_region_lookup_and_move(void)
{
	struct state st = { 0 };
	struct region_state tmp = { 0 };
	struct region_state *r;

	r = state_region(&st, ACCT, "us-east-1");
	T_EQ_STR(r->region, "us-east-1");
	T_ASSERT(!r->has_cursor);
	T_EQ_INT(r->seen.count, 0);
	strset_add(&r->seen, "old", T0);
	state_region(&st, ACCT, "eu-west-1");
	T_EQ_INT(st.nregions, 2);
	r = state_region(&st, ACCT, "us-east-1");
	T_EQ_INT(st.nregions, 2);
	T_ASSERT(r == &st.regions[0]);

	tmp.region = xstrdup("us-east-1");
	tmp.has_cursor = true;
	tmp.cursor = T0;
	strset_add(&tmp.seen, "new", T0);
	state_region_move(r, &tmp);
	T_ASSERT(r->has_cursor);
	T_EQ_INT(r->cursor, T0);
	T_ASSERT(strset_has(&r->seen, "new"));
	T_ASSERT(!strset_has(&r->seen, "old"));
	T_EQ_STR(r->region, "us-east-1");
	T_ASSERT(!tmp.has_cursor);
	T_EQ_INT(tmp.seen.count, 0);
	T_ASSERT(!strset_has(&tmp.seen, "new"));
	state_region_free(&tmp);
	T_ASSERT(tmp.region == NULL);
	state_region_free(NULL);
	state_free(&st);
	T_ASSERT(st.regions == NULL && st.nregions == 0);
	state_free(NULL);
}

/*
 * fcntl locks belong to a process, so only another process can find the
 * lock held: a child tries and reports its exit code and message.
 */
static int
lock_in_child(const char *path, char *msg, size_t msgsize)
{
	int pipefd[2], status, fd;
	ssize_t n;
	pid_t pid;

	T_EQ_INT(pipe(pipefd), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], STDERR_FILENO);
		_exit(state_lock(path, &fd));
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, msgsize - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	T_EQ_INT(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_lock_excludes_another_process(void)
{
	char *path = tmp_path("sub/state.json"), *lock, *want, *text;
	char msg[512], pid[32];
	struct stat sb;
	size_t len = 0;
	int fd = -1;

	lock = xasprintf("%s.lock", path);
	T_EQ_INT(state_lock(path, &fd), 0);
	T_ASSERT(fd >= 0);
	T_EQ_INT(stat(lock, &sb), 0);
	T_EQ_INT(sb.st_mode & 07777, 0600);
	want = xasprintf("another poll is running (pid %ld, lock %s)\n",
	    (long)getpid(), lock);
	T_EQ_INT(lock_in_child(path, msg, sizeof(msg)), EX_TEMPFAIL);
	T_EQ_STR(msg, want);

	/*
	 * Reading the lock file only now: closing any descriptor of it
	 * would drop this process's lock.
	 */
	close(fd);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	text = slurp(lock, &len);
	T_EQ_STR(text, pid);
	free(text);
	T_EQ_INT(lock_in_child(path, msg, sizeof(msg)), 0);
	T_EQ_STR(msg, "");
	free(want);
	free(lock);
	free(path);
}

static void
test_lock_refuses_symlink(void)
{
	char *path = tmp_path("state.json"), *lock, *target;
	const char *err;
	int fd = 7;

	lock = xasprintf("%s.lock", path);
	target = tmp_path("elsewhere");
	T_EQ_INT(symlink(target, lock), 0);
	t_capture_start();
	T_EQ_INT(state_lock(path, &fd), EX_CANTCREAT);
	err = t_capture_end();
	T_EQ_INT(fd, -1);
	T_ASSERT(strncmp(err, lock, strlen(lock)) == 0);
	T_ASSERT(access(target, F_OK) == -1);
	free(target);
	free(lock);
	free(path);
}

int
main(void)
{
	fresh_tmpdir();
	T_RUN(test_load_missing_file_is_empty_state);
	T_RUN(test_load_good_file);
	T_RUN(test_adopt_upgrades_a_version_1_file);
	T_RUN(test_load_minimal_files);
	T_RUN(test_every_corrupt_fixture_is_listed);
	T_RUN(test_corrupt_files_are_refused_and_left_alone);
	fresh_tmpdir();
	T_RUN(test_load_unreadable_is_noinput);
	fresh_tmpdir();
	T_RUN(test_save_then_load_round_trips);
	fresh_tmpdir();
	T_RUN(test_save_is_private_and_leaves_no_temp);
	fresh_tmpdir();
	T_RUN(test_save_creates_missing_directories);
	fresh_tmpdir();
	T_RUN(test_save_to_unwritable_place_is_cantcreat);
	fresh_tmpdir();
	T_RUN(test_save_refuses_inexact_numbers);
	fresh_tmpdir();
	T_RUN(test_failed_rename_removes_temp);
	T_RUN(test_region_lookup_and_move);
	fresh_tmpdir();
	T_RUN(test_lock_excludes_another_process);
	fresh_tmpdir();
	T_RUN(test_lock_refuses_symlink);
	fresh_tmpdir();
	rmdir(tmpdir);
	return T_DONE();
}
