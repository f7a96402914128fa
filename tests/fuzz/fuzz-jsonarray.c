/* fuzz-jsonarray.c — libFuzzer harness for the JSON-array stream parser
 * (make fuzz).
 *
 * Input as fuzz-lines.c's: byte 0 holds how many chunk sizes follow (low 4
 * bits) and on which element the callback stops the parser (high 4 bits,
 * 0: never); then the sizes, used in turn (0 feeds an empty chunk); then
 * the stream.  The elements must be the same fed whole and in those
 * chunks, stretches of the stream in order, and an object or array element
 * fed again alone must come back whole.  (That they are the elements jq
 * finds is test-stream's, on the recording: jq 1.6 leaks on some broken
 * input, which a fuzzer finds at once.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"

struct log {
	char *p;
	size_t len, cap;
	size_t count, stop_at;
};

static int
same(const struct log *a, const struct log *b)
{
	return a->len == b->len && a->count == b->count && (!a->len || !memcmp(a->p, b->p, a->len));
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
on_elem(const char *e, size_t len, void *ctx)
{
	struct log *l = ctx;

	if (len == 0 || e[len] != '\0')
		abort();
	log_add(l, &len, sizeof len);
	log_add(l, e, len);
	return ++l->count == l->stop_at ? 9 : 0;
}

/* Each element logged is a stretch of d, in order and apart; fed alone
 * inside brackets it comes back as it was. */
static int
in_order(const struct log *l, const char *d, size_t n)
{
	size_t at = 0, from = 0;
	for (size_t i = 0; i < l->count; i++) {
		size_t len;
		memcpy(&len, l->p + at, sizeof len);
		at += sizeof len;
		const char *e = l->p + at;
		at += len;
		const char *hit = from + len <= n ? memmem(d + from, n - from, e, len) : NULL;
		if (!hit)
			return 0;
		from = (size_t)(hit - d) + len;
		struct log again = { 0 };
		cf_jsonarray *p = cf_jsonarray_new(on_elem, &again);
		cf_jsonarray_feed(p, "[", 1);
		cf_jsonarray_feed(p, e, len);
		cf_jsonarray_feed(p, "]", 1);
		cf_jsonarray_finish(p);
		cf_jsonarray_free(p);
		/* a broken element may split or merge: only a whole one must */
		int ok = (e[0] != '{' && e[0] != '[') || again.count != 1 ||
		         (again.len == sizeof len + len && !memcmp(again.p + sizeof len, e, len));
		free(again.p);
		if (!ok)
			return 0;
	}
	return 1;
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

	struct log whole = { 0 }, pieces = { 0 }, stopped = { 0 };

	cf_jsonarray *p = cf_jsonarray_new(on_elem, &whole);
	if (cf_jsonarray_feed(p, d, n) != 0)
		abort();
	int fin = cf_jsonarray_finish(p);
	cf_jsonarray_free(p);

	p = cf_jsonarray_new(on_elem, &pieces);
	for (size_t i = 0, k = 0; i < n; k++) {
		size_t c = nsizes ? sizes[k % nsizes] : 1;
		if (c == 0) {
			if (cf_jsonarray_feed(p, d + i, 0) != 0)
				abort();
			c = 1;
		}
		if (c > n - i)
			c = n - i;
		if (cf_jsonarray_feed(p, d + i, c) != 0)
			abort();
		i += c;
	}
	if (cf_jsonarray_finish(p) != fin)
		abort();
	cf_jsonarray_free(p);

	if (!same(&whole, &pieces))
		abort();

	if (!in_order(&whole, d, n))
		abort();

	if (stop_at) {
		stopped.stop_at = stop_at;
		p = cf_jsonarray_new(on_elem, &stopped);
		int rc = 0;
		for (size_t i = 0; i < n && !rc; i++)
			rc = cf_jsonarray_feed(p, d + i, 1);
		if (!rc)
			rc = cf_jsonarray_finish(p) == 9 ? 9 : 0;
		if ((rc != 0) != (whole.count >= stop_at) ||
		    (rc && cf_jsonarray_feed(p, ",1,", 3) != 9) ||
		    stopped.count != (whole.count < stop_at ? whole.count : stop_at) ||
		    stopped.len > whole.len ||
		    (stopped.len && memcmp(stopped.p, whole.p, stopped.len)))
			abort();
		cf_jsonarray_free(p);
	}

	free(whole.p);
	free(pieces.p);
	free(stopped.p);
	return 0;
}
