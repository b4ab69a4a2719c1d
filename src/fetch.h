/*
 * One region's share of a poll: every page of every event source in the
 * window, each event reduced to its record and spooled. Runs in its own
 * thread; touches nothing outside its job.
 *
 * Nothing here returns a status: fetch_region leaves it in the job
 * (status: 0 or a sysexits(3) code, err: what to report).
 */
#ifndef FETCH_H
#define FETCH_H

#include <stdatomic.h>
#include <time.h>

#include "cloudtrail.h"
#include "config.h"
#include "credentials.h"
#include "spool.h"
#include "strset.h"

struct fetch_job {
	/* Inputs. */
	const struct config *cfg;
	const struct credentials *creds;
	const char *region;
	time_t start, end;
	const struct strset *emitted;	/* ids earlier polls emitted */
	const char *account_name;	/* for accountName, or NULL */
	double deadline;		/* monotonic_now() time; 0: none */

	/* Results. */
	struct spool *spool;
	struct strset models, principals;
	unsigned long fetched;		/* events on the pages, all kinds */
	unsigned long skipped;		/* already emitted */
	unsigned long requests;
	struct ct_error err;
	int status;			/* 0 or the exit code of err */
	double seconds;

	/* Progress, read by the main thread while the job runs. */
	atomic_ulong pages, events;
	atomic_int done;
};

/* The thread body: fills the results. Returns NULL. */
void *fetch_region(void *job);

void fetch_job_free(struct fetch_job *);

#endif
