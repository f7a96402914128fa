/* fuzz-lines.c — libFuzzer harness for the line (NDJSON) parser (make fuzz).
 *
 * Input: byte 0 holds how many chunk sizes follow (low 4 bits) and on
 * which line the callback stops the parser (high 4 bits, 0: never); then
 * the sizes, used in turn (0 feeds an empty chunk); then the stream.  The
 * lines must be the same fed whole, fed in those chunks, and cut by a
 * plain reference that sees the whole input at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"

/* Lines written one after another: length, bytes. */
struct log {
	char *p;
	size_t len, cap;
	size_t count, bytes, stop_at;
};

static int
same(const struct log *a, const struct log *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

static void
log_add(struct log *l, const void *s, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = 2 * (l->len + n) + 64;
		l->p = cf_xrealloc(l->p, l->cap);
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static int
on_line(const char *line, size_t len, void *ctx)
{
	struct log *l = ctx;

	if (len == 0 || line[len] != '\0' ||
	    memchr(line, '\n', len))
		abort();
	log_add(l, &len, sizeof len);
	log_add(l, line, len);
	l->bytes += len;
	return ++l->count == l->stop_at ? 9 : 0;
}

static void
reference(const char *d, size_t n, struct log *out)
{
	char *line = malloc(n + 1);

	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && d[j] != '\n')
			j++;
		size_t len = j - i;
		memcpy(line, d + i, len);
		if (len && line[len - 1] == '\r')
			len--;
		line[len] = '\0';
		if (len)
			on_line(line, len, out);
		i = j + 1;
	}
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size == 0)
		return 0;
	size_t nsizes = in[0] & 15, stop_at = in[0] >> 4;
	if (size < 1 + nsizes)
		return 0;
	const uint8_t *sizes = in + 1;
	const char *d = (const char *)in + 1 + nsizes;
	size_t n = size - 1 - nsizes;

	struct log whole = { 0 }, pieces = { 0 }, ref = { 0 }, stopped = { 0 };

	cf_lines *p = cf_lines_new(on_line, &whole);
	if (cf_lines_feed(p, d, n) != 0 || cf_lines_finish(p) != 0)
		abort();
	cf_lines_free(p);

	p = cf_lines_new(on_line, &pieces);
	for (size_t i = 0, k = 0; i < n; k++) {
		size_t c = nsizes ? sizes[k % nsizes] : 1;
		if (c == 0) {           /* an empty chunk, then on */
			if (cf_lines_feed(p, d + i, 0) != 0)
				abort();
			c = 1;
		}
		if (c > n - i)
			c = n - i;
		if (cf_lines_feed(p, d + i, c) != 0)
			abort();
		i += c;
	}
	if (cf_lines_finish(p) != 0)
		abort();
	cf_lines_free(p);

	reference(d, n, &ref);

	if (!same(&whole, &pieces) || !same(&whole, &ref) || whole.bytes > n)
		abort();

	/* Stopped on line stop_at: the lines up to it, then nothing. */
	if (stop_at) {
		stopped.stop_at = stop_at;
		p = cf_lines_new(on_line, &stopped);
		int rc = 0;
		for (size_t i = 0; i < n && !rc; i++)
			rc = cf_lines_feed(p, d + i, 1);
		if (!rc)
			rc = cf_lines_finish(p);
		if ((rc != 0) != (whole.count >= stop_at) ||
		    (rc && (rc != 9 || cf_lines_feed(p, "x\n", 2) != 9)) ||
		    stopped.count != (whole.count < stop_at ? whole.count : stop_at) ||
		    stopped.len > whole.len ||
		    (stopped.len && memcmp(stopped.p, whole.p, stopped.len)))
			abort();
		cf_lines_free(p);
	}

	free(whole.p);
	free(pieces.p);
	free(ref.p);
	free(stopped.p);
	return 0;
}
