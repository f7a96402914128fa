/* render.c — what the terminal renderer adds to each delta of a reply
 * (make bench, tests/bench/run's "render" section).
 *
 * A reply of 1 MB of Markdown as models write it (paragraphs, headings,
 * lists, quotes, tables, fenced code) is cut into deltas of 8 to 72 bytes
 * (pseudo-random, the same every run).  Each delta is written to
 * /dev/null as it is (the raw output), then fed to a renderer that writes
 * to /dev/null; the time of each, from the monotonic clock.  Prints the
 * medians of the added time (render - raw, in ms) over all deltas, over
 * the first 10% and over the last 10%, the median raw time, the largest
 * added time (a delta that closes a big block) and the deltas' count. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confab.h"
#include "render.h"

static int devnull;

static void
put(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (write(devnull, s, n) < 0)
		abort();
}

static double
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static unsigned seed = 7;
static unsigned
rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

static const char *const words[] = {
	"the", "renderer", "draws", "each", "block", "once", "it", "is", "closed",
	"*emphasis*", "**strong**", "`code`", "[a link](https://example.org/x)",
	"~~struck~~", "terminal", "width", "日本語", "stream", "delta", "reply",
};

static void
add(char **p, size_t *n, size_t *cap, const char *s)
{
	size_t l = strlen(s);
	if (*n + l + 1 > *cap) {
		*cap = 2 * (*n + l) + 4096;
		*p = cf_xrealloc(*p, *cap);
	}
	memcpy(*p + *n, s, l + 1);
	*n += l;
}

static void
sentence(char **p, size_t *n, size_t *cap, int count)
{
	for (int i = 0; i < count; i++) {
		add(p, n, cap, words[rnd(sizeof words / sizeof *words)]);
		add(p, n, cap, i + 1 < count ? " " : ".");
	}
}

static char *
reply(size_t size, size_t *len)
{
	char *p = NULL, line[128];
	size_t n = 0, cap = 0;
	for (int b = 0; n < size; b++) {
		switch (b % 6) {
		case 0:
			add(&p, &n, &cap, "## A heading\n\n");
			for (int i = 0; i < 3; i++) {
				sentence(&p, &n, &cap, 12);
				add(&p, &n, &cap, i < 2 ? "\n" : "\n\n");
			}
			break;
		case 1:
			for (int i = 0; i < 6; i++) {
				add(&p, &n, &cap, i % 3 == 2 ? "  - " : "- ");
				sentence(&p, &n, &cap, 8);
				add(&p, &n, &cap, "\n");
			}
			add(&p, &n, &cap, "\n");
			break;
		case 2:
			add(&p, &n, &cap, "```c\n");
			for (int i = 0; i < 15; i++) {
				snprintf(line, sizeof line,
				         "static int f%d(int x) { return x * %d + 1; } /* note */\n",
				         i, i);
				add(&p, &n, &cap, line);
			}
			add(&p, &n, &cap, "```\n\n");
			break;
		case 3:
			add(&p, &n, &cap, "| name | value | note |\n|:--|--:|:-:|\n");
			for (int i = 0; i < 6; i++) {
				snprintf(line, sizeof line, "| row %d | %d | 日本 %d |\n", i, i * 37, i);
				add(&p, &n, &cap, line);
			}
			add(&p, &n, &cap, "\n");
			break;
		case 4:
			add(&p, &n, &cap, "> ");
			sentence(&p, &n, &cap, 20);
			add(&p, &n, &cap, "\n\n");
			break;
		default:
			for (int i = 0; i < 4; i++) {
				snprintf(line, sizeof line, "%d. ", i + 1);
				add(&p, &n, &cap, line);
				sentence(&p, &n, &cap, 6);
				add(&p, &n, &cap, "\n");
			}
			add(&p, &n, &cap, "\n");
			break;
		}
	}
	*len = n;
	return p;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
median(const double *v, size_t n)
{
	double *c = cf_xmalloc(n * sizeof *c);
	memcpy(c, v, n * sizeof *c);
	qsort(c, n, sizeof *c, cmp);
	double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

int
main(int argc, char **argv)
{
	size_t size = argc > 1 ? (size_t)atol(argv[1]) : 1000000, len;
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0)
		return 1;
	char *text = reply(size, &len);
	size_t cap = len / 8 + 1, nd = 0;
	double *added = cf_xmalloc(cap * sizeof *added), *raw = cf_xmalloc(cap * sizeof *raw);
	struct cf_render_opt o = {100, 1, 1, put, NULL};
	cf_render *r = cf_render_new(&o);
	for (size_t i = 0; i < len;) {
		size_t d = 8 + rnd(65);
		if (d > len - i)
			d = len - i;
		double t0 = now_ms();
		put(NULL, text + i, d);
		double t1 = now_ms();
		cf_render_feed(r, text + i, d);
		double t2 = now_ms();
		raw[nd] = t1 - t0;
		added[nd++] = (t2 - t1) - (t1 - t0);
		i += d;
	}
	cf_render_finish(r);
	cf_render_free(r);
	size_t tenth = nd / 10, at = 0;
	double max = 0, first = 0, last = 0;
	for (size_t i = 0; i < nd; i++)
		if (added[i] > max) {
			max = added[i];
			at = i;
		}
	for (size_t i = 0; i < tenth; i++) {
		first += added[i] / (double)tenth;
		last += added[nd - tenth + i] / (double)tenth;
	}
	double *s = cf_xmalloc(nd * sizeof *s);
	memcpy(s, added, nd * sizeof *s);
	qsort(s, nd, sizeof *s, cmp);
	printf("deltas=%zu bytes=%zu median_ms=%.4f first_ms=%.4f last_ms=%.4f"
	       " mean_first_ms=%.4f mean_last_ms=%.4f p99_ms=%.4f raw_ms=%.4f max_ms=%.3f max_at=%zu\n",
	       nd, len, median(added, nd), median(added, tenth), median(added + nd - tenth, tenth),
	       first, last, s[nd * 99 / 100], median(raw, nd), max, at);
	free(s);
	free(text);
	free(added);
	free(raw);
	return 0;
}
