/* fuzz-sse.c — libFuzzer harness for the SSE parser (make fuzz).
 *
 * Input: byte 0 holds how many chunk sizes follow (low 4 bits) and on
 * which event the callback stops the parser (high 4 bits, 0: never); then
 * the sizes, used in turn (0 feeds an empty chunk); then the stream.  The
 * events must be the same fed whole, fed in those chunks, and found by a
 * plain reference parser that sees the whole input at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"

/* Events written one after another: type, NUL, length, data. */
struct log {
	char *p;
	size_t len, cap;
	size_t count, bytes, stop_at;
};

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
same(const struct log *a, const struct log *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

static int
on_event(const char *type, const char *data, size_t len, void *ctx)
{
	struct log *l = ctx;

	if (!type[0] || data[len] != '\0')
		abort();
	log_add(l, type, strlen(type) + 1);
	log_add(l, &len, sizeof len);
	log_add(l, data, len);
	l->bytes += len;
	return ++l->count == l->stop_at ? 9 : 0;
}

/* The format's steps, one line at a time, over the whole input. */
static int
reference(const char *d, size_t n, struct log *out)
{
	char *data = malloc(n + 2), *type = malloc(n + 1);
	size_t dlen = 0, tlen = 0, i = 0;
	int fields = 0, pending = 0;

	if (n >= 3 && !memcmp(d, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n) {
		size_t j = i;
		while (j < n && d[j] != '\r' && d[j] != '\n')
			j++;
		if (j == n) {
			pending = d[i] != ':';
			break;
		}
		const char *line = d + i;
		size_t len = j - i;
		i = j + 1;
		if (d[j] == '\r' && i < n && d[i] == '\n')
			i++;

		if (len == 0) {
			if (dlen) {
				data[--dlen] = '\0';
				type[tlen] = '\0';
				if (on_event(tlen ? type : "message", data, dlen, out))
					goto out;
			}
			dlen = tlen = 0;
			fields = 0;
			continue;
		}
		if (line[0] == ':')
			continue;
		fields = 1;
		size_t c = 0;
		while (c < len && line[c] != ':')
			c++;
		size_t v = c < len ? c + 1 : len;
		if (v < len && line[v] == ' ')
			v++;
		if (c == 4 && !memcmp(line, "data", 4)) {
			memcpy(data + dlen, line + v, len - v);
			dlen += len - v;
			data[dlen++] = '\n';
		} else if (c == 5 && !memcmp(line, "event", 5)) {
			for (tlen = 0; v < len && line[v]; v++)
				type[tlen++] = line[v];
		}
	}
	pending |= fields || dlen;
out:
	free(data);
	free(type);
	return pending;
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

	cf_sse *p = cf_sse_new(on_event, &whole);
	if (cf_sse_feed(p, d, n) != 0)
		abort();
	int whole_pending = cf_sse_finish(p);
	cf_sse_free(p);

	p = cf_sse_new(on_event, &pieces);
	for (size_t i = 0, k = 0; i < n; k++) {
		size_t c = nsizes ? sizes[k % nsizes] : 1;
		if (c == 0) {           /* an empty chunk, then on */
			if (cf_sse_feed(p, d + i, 0) != 0)
				abort();
			c = 1;
		}
		if (c > n - i)
			c = n - i;
		if (cf_sse_feed(p, d + i, c) != 0)
			abort();
		i += c;
	}
	int pieces_pending = cf_sse_finish(p);
	cf_sse_free(p);

	int ref_pending = reference(d, n, &ref);

	if (!same(&whole, &pieces) || whole_pending != pieces_pending)
		abort();
	if (!same(&whole, &ref) || whole_pending != ref_pending)
		abort();
	if (whole.bytes > n)
		abort();

	/* Stopped on event stop_at: the events up to it, then nothing. */
	if (stop_at) {
		stopped.stop_at = stop_at;
		p = cf_sse_new(on_event, &stopped);
		int rc = 0;
		for (size_t i = 0; i < n && !rc; i++)
			rc = cf_sse_feed(p, d + i, 1);
		if ((rc != 0) != (whole.count >= stop_at) ||
		    (rc && (rc != 9 || cf_sse_feed(p, "data: x\n\n", 9) != 9)) ||
		    stopped.count != (whole.count < stop_at ? whole.count : stop_at) ||
		    stopped.len > whole.len ||
		    (stopped.len && memcmp(stopped.p, whole.p, stopped.len)))
			abort();
		cf_sse_finish(p);
		cf_sse_free(p);
	}

	free(whole.p);
	free(pieces.p);
	free(ref.p);
	free(stopped.p);
	return 0;
}
