/* lsquery — chat-ls --limit 20's own query time, in process: the floor of
 * GET /api/chat/sessions?limit=20 in the serve section of tests/bench/run.
 *
 *     lsquery DB LIMIT RUNS
 *
 * Opens DB for reading once, as chat-ls does, then RUNS times lists the
 * LIMIT most recent sessions that are not archived through
 * cf_session_list (what chat-ls and the API both call) and turns each
 * record into its compact JSON (cf_json_compact), each run timed on
 * CLOCK_MONOTONIC; a tenth as many runs first, untimed.  What is left out
 * is what only a process pays (start, opening the store, exit), and what
 * only HTTP pays.  Prints
 *
 *     median_us=61.3 p90_us=70.2 p99_us=95.0 min_us=55.1 records=20 bytes=9000 runs=2000
 *
 * Exits 1 if the store cannot be read or a run lists other than LIMIT
 * records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "confab.h"

struct ctx {
	long limit, n;
	size_t bytes;
};

static int
each(jv rec, void *p)
{
	struct ctx *c = p;
	size_t len;
	cf_json_compact(rec, &len);
	c->bytes += len + 1;
	return ++c->n >= c->limit;
}

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
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
	if (argc != 4) {
		fprintf(stderr, "usage: lsquery DB LIMIT RUNS\n");
		return 2;
	}
	long limit = atol(argv[2]), runs = atol(argv[3]);
	if (limit < 1 || runs < 1) {
		fprintf(stderr, "lsquery: LIMIT and RUNS are whole numbers above 0\n");
		return 2;
	}
	jv err;
	cf_store *st = cf_store_open_mode(argv[1], CF_STORE_READ | CF_STORE_EXISTING, &err);
	if (!st) {
		size_t len;
		fprintf(stderr, "lsquery: %s: %s\n", argv[1],
		        cf_json_compact(jv_invalid_get_msg(err), &len));
		return 1;
	}
	struct cf_filter f = {0};
	double *t = malloc(sizeof *t * (size_t)runs);
	struct ctx c = {0};
	for (long i = -(runs / 10); i < runs; i++) {
		c = (struct ctx){.limit = limit};
		double t0 = now_us();
		jv r = cf_session_list(st, &f, each, &c);
		double t1 = now_us();
		if (!jv_is_valid(r) || c.n != limit) {
			fprintf(stderr, "lsquery: listed %ld sessions, not %ld\n", c.n, limit);
			return 1;
		}
		jv_free(r);
		if (i >= 0)
			t[i] = t1 - t0;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	printf("median_us=%.1f p90_us=%.1f p99_us=%.1f min_us=%.1f records=%ld bytes=%zu runs=%ld\n",
	       t[runs / 2], t[runs * 9 / 10], t[runs * 99 / 100], t[0], c.n, c.bytes, runs);
	cf_store_close(st);
	return 0;
}
