/* tests/bench/hl.c — code highlighting a line at a time (lib/highlight.c):
 * a 10,000-line block per case, each line timed, the medians of the first
 * and the last 10% printed in ms.  The highlighter is
 * made once before the timing, so the query's compilation is left out.
 * Means too, "CASE FIRST LAST FIRST_MEAN LAST_MEAN": a document restarts
 * every 64 lines at most, and the lines before a restart cost more.  Each
 * case runs three times and keeps its least figures: other work on the
 * machine only ever adds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "highlight.h"

enum { N = 10000 };

static double
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
least(double a, double b)
{
	return a < b ? a : b;
}

static int
run(const char *name, const char *lang, const char *open, const char *fmt)
{
	static double t[N];
	double r[4] = {1e9, 1e9, 1e9, 1e9};
	for (int rep = 0; rep < 3; rep++) {
	cf_hl *h = cf_hl_new(lang);
	if (!h) {
		fprintf(stderr, "bench-hl: no highlighter for '%s' (make deps)\n", lang);
		return 1;
	}
	const struct cf_span *sp;
	if (open)
		cf_hl_line(h, open, strlen(open), &sp);
	for (int i = 0; i < N; i++) {
		char line[160];
		int n = snprintf(line, sizeof line, fmt, i, i);
		double a = now_ms();
		cf_hl_line(h, line, n, &sp);
		t[i] = now_ms() - a;
	}
	double m0 = 0, m1 = 0;
	for (int i = 0; i < N / 10; i++) {
		m0 += t[i] / (N / 10);
		m1 += t[N - N / 10 + i] / (N / 10);
	}
	r[0] = least(r[0], median(t, N / 10));
	r[1] = least(r[1], median(t + N - N / 10, N / 10));
	r[2] = least(r[2], m0);
	r[3] = least(r[3], m1);
	cf_hl_free(h);
	}
	printf("%s %.4f %.4f %.4f %.4f\n", name, r[0], r[1], r[2], r[3]);
	return 0;
}

int
main(void)
{
	int bad = 0;
	bad |= run("c-items", "c", NULL, "static int x%d = %d; /* a comment */");
	bad |= run("c-function", "c", "int main(void) {", "\tif (x%d > %d) return g(\"s\"); // c");
	bad |= run("python-items", "python", NULL, "x%d = f(%d, 'a')  # c");
	bad |= run("python-function", "python", "def f():", "    y%d = g(%d) + 1  # c");
	bad |= run("json-array", "json", "[", "  {\"k%d\": [%d, \"v\", true]},");
	return bad;
}
