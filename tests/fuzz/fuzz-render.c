/* fuzz-render.c — libFuzzer harness for the terminal renderer (make fuzz).
 *
 * Input: byte 0 holds how many chunk sizes follow (low 4 bits) and the
 * width (high 4 bits: 10 + 6 each); byte 1 color (bit 0) and hyperlinks
 * (bit 1); then the sizes, used in turn (0 feeds an empty chunk); then the
 * Markdown.  What is drawn must be the same fed whole and fed in those
 * chunks, hold no escape but the renderer's own (SGR, OSC 8 with a
 * printable address), and no line wider than the width. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confab.h"
#include "render.h"

struct sink {
	char *p;
	size_t n, cap;
};

static void
put(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;
	if (k->n + n > k->cap) {
		k->cap = 2 * (k->n + n) + 64;
		k->p = cf_xrealloc(k->p, k->cap);
	}
	memcpy(k->p + k->n, s, n);
	k->n += n;
}

/* Checks the escapes and the width of every line; aborts if not kept. */
static void
check(const struct sink *k, int width)
{
	if (!k->n)
		return;
	const unsigned char *p = (const unsigned char *)k->p, *e = p + k->n;
	int cells = 0;
	while (p < e) {
		if (*p == '\n') {
			if (cells > width)
				abort();
			cells = 0;
			p++;
			continue;
		}
		if (*p == 0x1b) {
			if (p + 1 < e && p[1] == '[') {
				p += 2;
				while (p < e && ((*p >= '0' && *p <= '9') || *p == ';'))
					p++;
				if (p >= e || *p != 'm')
					abort();
				p++;
			} else if (e - p >= 5 && !memcmp(p + 1, "]8;;", 4)) {
				p += 5;
				while (p < e && *p > 0x20 && *p < 0x7f)
					p++;
				if (e - p < 2 || p[0] != 0x1b || p[1] != '\\')
					abort();
				p += 2;
			} else {
				abort();
			}
			continue;
		}
		if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p + 1 < e && p[1] < 0xa0))
			abort();
		size_t l;
		cells += cf_char_cells((const char *)p, (size_t)(e - p), &l);
		p += l;
	}
	if (k->n && e[-1] != '\n')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 2)
		return 0;
	size_t nsizes = in[0] & 15;
	int width = 10 + 6 * (in[0] >> 4);
	if (size < 2 + nsizes)
		return 0;
	const uint8_t *sizes = in + 2;
	const char *d = (const char *)in + 2 + nsizes;
	size_t n = size - 2 - nsizes;
	struct sink whole = {0}, pieces = {0};
	struct cf_render_opt o = {width, in[1] & 1, (in[1] >> 1) & 1, put, &whole};

	cf_render *r = cf_render_new(&o);
	cf_render_feed(r, d, n);
	cf_render_finish(r);
	cf_render_free(r);

	o.ctx = &pieces;
	r = cf_render_new(&o);
	for (size_t i = 0, k = 0; i < n; k++) {
		size_t c = nsizes ? sizes[k % nsizes] : 1;
		if (c == 0) {
			cf_render_feed(r, d + i, 0);
			c = 1;
		}
		if (c > n - i)
			c = n - i;
		cf_render_feed(r, d + i, c);
		i += c;
	}
	cf_render_finish(r);
	cf_render_free(r);

	if (whole.n != pieces.n || (whole.n && memcmp(whole.p, pieces.p, whole.n)))
		abort();
	check(&whole, width);
	free(whole.p);
	free(pieces.p);
	return 0;
}
