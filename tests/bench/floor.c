/*
 * The floor under any cJSON-based poller: parse each saved LookupEvents
 * page and every CloudTrailEvent inside it with cJSON, and nothing else.
 * The pages are read into memory first and only the parsing is timed,
 * with the process CPU clock.
 *
 * usage: floor [-p PERIOD] ROUNDS PAGE...
 *
 * -p PERIOD paces the parsing: page i starts PERIOD seconds after page
 * i - 1 (sleeping in between), the cadence of a poll that waits for its
 * rate limiter. CPU time per unit of work is not the same at both
 * cadences: a process that sleeps between pages starts each one with cold
 * caches, so a poll is compared with a floor at its own cadence too.
 *
 * Prints: events=N pages=N cpu=SECONDS (the median of ROUNDS rounds)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

struct page {
	char *buf;
	size_t len;
};

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static double
clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

/* Parses one page and each CloudTrailEvent in it; returns the events. */
static long
parse_page(const struct page *p)
{
	cJSON *root = cJSON_ParseWithLength(p->buf, p->len);
	cJSON *events = cJSON_GetObjectItemCaseSensitive(root, "Events");
	cJSON *ev;
	long n = 0;

	if (!cJSON_IsArray(events)) {
		fprintf(stderr, "floor: a page without Events\n");
		exit(1);
	}
	cJSON_ArrayForEach(ev, events) {
		cJSON *s = cJSON_GetObjectItemCaseSensitive(ev,
		    "CloudTrailEvent");
		cJSON *rec;

		if (!cJSON_IsString(s) ||
		    !cJSON_IsObject(rec = cJSON_Parse(s->valuestring))) {
			fprintf(stderr, "floor: a malformed CloudTrailEvent\n");
			exit(1);
		}
		cJSON_Delete(rec);
		n++;
	}
	cJSON_Delete(root);
	return n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct page *pages;
	double period = 0, *cpu;
	long events = 0;
	int rounds, npages, c;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c != 'p')
			goto usage;
		period = atof(optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || (rounds = atoi(argv[0])) < 1)
		goto usage;
	npages = argc - 1;
	pages = calloc((size_t)npages, sizeof(*pages));
	cpu = calloc((size_t)rounds, sizeof(*cpu));
	if (pages == NULL || cpu == NULL)
		return 1;
	for (int i = 0; i < npages; i++)
		pages[i].buf = slurp(argv[i + 1], &pages[i].len);
	for (int r = 0; r < rounds; r++) {
		double start = clock_seconds(CLOCK_MONOTONIC), t;

		events = 0;
		for (int i = 0; i < npages; i++) {
			if (period > 0)
				sleep_until(start + period * i);
			t = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
			events += parse_page(&pages[i]);
			cpu[r] += clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - t;
		}
	}
	qsort(cpu, (size_t)rounds, sizeof(*cpu), cmp_double);
	printf("events=%ld pages=%d cpu=%.6f\n", events, npages,
	    cpu[rounds / 2]);
	return 0;
usage:
	fprintf(stderr, "usage: floor [-p PERIOD] ROUNDS PAGE...\n");
	return 2;
}
