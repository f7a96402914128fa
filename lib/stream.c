/* stream.c — incremental parsers for streamed replies: server-sent events
 * (the WHATWG event-stream format) and newline-delimited lines (NDJSON).
 *
 * Bytes arrive in whatever pieces the network gives.  Each parser keeps
 * only the unfinished line and, for SSE, the event being built, in buffers
 * that are reused: memory follows the largest event, and every byte is
 * looked at a bounded number of times however the stream is cut. */
#include <stdlib.h>
#include <string.h>

#include "provider.h"

/* A byte buffer that keeps room for a terminating NUL. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = cf_xrealloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* ---- server-sent events ---- */

static const char bom_bytes[] = "\xef\xbb\xbf";

struct cf_sse {
	cf_sse_cb cb;
	void *ctx;
	struct buf line;     /* a line not yet ended */
	struct buf data;     /* the event's data, each line followed by "\n" */
	struct buf event;    /* the event's type; empty means "message" */
	int fields;          /* a field line was seen since the last dispatch */
	int skip_lf;         /* the last chunk ended in CR: a first LF is its */
	int bom;             /* BOM bytes matched so far; -1 once past it */
	int stopped;         /* what cb returned when it stopped us */
};

cf_sse *
cf_sse_new(cf_sse_cb cb, void *ctx)
{
	cf_sse *p = cf_xmalloc(sizeof *p);
	memset(p, 0, sizeof *p);
	p->cb = cb;
	p->ctx = ctx;
	return p;
}

static int
sse_dispatch(cf_sse *p)
{
	int rc = 0;

	/* No data, no event: the type set for it is forgotten all the same. */
	if (p->data.len) {
		p->data.p[--p->data.len] = '\0';   /* the last line's "\n" */
		rc = p->cb(p->event.len ? p->event.p : "message", p->data.p,
		           p->data.len, p->ctx);
	}
	p->data.len = 0;
	p->event.len = 0;
	p->fields = 0;
	return rc;
}

static int
sse_line(cf_sse *p, const char *s, size_t n)
{
	if (n == 0)
		return sse_dispatch(p);
	if (s[0] == ':')
		return 0;
	p->fields = 1;

	const char *colon = memchr(s, ':', n);
	size_t flen = colon ? (size_t)(colon - s) : n;
	const char *v = colon ? colon + 1 : s + n;
	size_t vlen = (size_t)(s + n - v);
	if (vlen && *v == ' ') {
		v++;
		vlen--;
	}
	if (flen == 4 && !memcmp(s, "data", 4)) {
		buf_add(&p->data, v, vlen);
		buf_add(&p->data, "\n", 1);
	} else if (flen == 5 && !memcmp(s, "event", 5)) {
		/* The type reaches cb as a C string: it ends at a NUL, and one
		 * that is empty there is "message", as if none was given. */
		const char *nul = memchr(v, '\0', vlen);
		p->event.len = 0;
		buf_add(&p->event, v, nul ? (size_t)(nul - v) : vlen);
	}
	/* id and retry matter to a browser reconnecting, not to us; other
	 * fields are ignored, as the format says. */
	return 0;
}

/* Consumes the start of the stream while it could still be a BOM.  Bytes
 * that turn out not to be one are given back to the line: they hold no
 * line end, so they can only be the start of the first line. */
static size_t
sse_bom(cf_sse *p, const char *buf, size_t n)
{
	size_t i = 0;

	while (p->bom >= 0 && i < n) {
		if (buf[i] != bom_bytes[p->bom]) {
			buf_add(&p->line, bom_bytes, (size_t)p->bom);
			p->bom = -1;
			break;
		}
		i++;
		if (++p->bom == 3)
			p->bom = -1;
	}
	return i;
}

int
cf_sse_feed(cf_sse *p, const char *buf, size_t n)
{
	size_t i = 0;
	int rc;

	if (p->stopped)
		return p->stopped;
	if (p->bom >= 0)
		i = sse_bom(p, buf, n);
	if (p->skip_lf && i < n) {
		p->skip_lf = 0;
		if (buf[i] == '\n')
			i++;
	}
	while (i < n) {
		/* the line's end: the first LF, or a CR before it (memchr, not
		 * a loop a byte at a time: a long reply is mostly line) */
		const char *lf = memchr(buf + i, '\n', n - i);
		size_t j = lf ? (size_t)(lf - buf) : n;
		const char *cr = memchr(buf + i, '\r', j - i);
		if (cr)
			j = (size_t)(cr - buf);
		if (j == n) {
			buf_add(&p->line, buf + i, n - i);
			break;
		}
		/* A line wholly inside this chunk is parsed where it lies. */
		if (p->line.len) {
			buf_add(&p->line, buf + i, j - i);
			rc = sse_line(p, p->line.p, p->line.len);
			p->line.len = 0;
		} else {
			rc = sse_line(p, buf + i, j - i);
		}
		if (buf[j] == '\r') {
			if (j + 1 == n)
				p->skip_lf = 1;
			else if (buf[j + 1] == '\n')
				j++;
		}
		i = j + 1;
		if (rc)
			return p->stopped = rc;
	}
	return 0;
}

int
cf_sse_finish(cf_sse *p)
{
	int pending = p->fields || p->data.len ||
	              (p->line.len && p->line.p[0] != ':') || p->bom > 0;

	p->line.len = p->data.len = p->event.len = 0;
	p->fields = p->skip_lf = 0;
	if (p->bom > 0)
		p->bom = -1;
	return pending;
}

void
cf_sse_free(cf_sse *p)
{
	if (!p)
		return;
	free(p->line.p);
	free(p->data.p);
	free(p->event.p);
	free(p);
}

/* ---- lines ---- */

struct cf_lines {
	cf_lines_cb cb;
	void *ctx;
	struct buf line;
	int stopped;
};

cf_lines *
cf_lines_new(cf_lines_cb cb, void *ctx)
{
	cf_lines *p = cf_xmalloc(sizeof *p);
	memset(p, 0, sizeof *p);
	p->cb = cb;
	p->ctx = ctx;
	return p;
}

/* Hands over the line in p->line without its CR, if anything is left. */
static int
lines_emit(cf_lines *p)
{
	struct buf *b = &p->line;
	int rc = 0;

	if (b->len && b->p[b->len - 1] == '\r')
		b->p[--b->len] = '\0';
	if (b->len)
		rc = p->cb(b->p, b->len, p->ctx);
	b->len = 0;
	return rc;
}

int
cf_lines_feed(cf_lines *p, const char *buf, size_t n)
{
	const char *end = buf + n;
	int rc;

	if (p->stopped)
		return p->stopped;
	while (buf < end) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		if (!nl) {
			buf_add(&p->line, buf, (size_t)(end - buf));
			break;
		}
		/* The callback wants a NUL after the line, so it is copied even
		 * when whole: one memcpy per byte in all. */
		buf_add(&p->line, buf, (size_t)(nl - buf));
		buf = nl + 1;
		if ((rc = lines_emit(p)))
			return p->stopped = rc;
	}
	return 0;
}

int
cf_lines_finish(cf_lines *p)
{
	int rc;

	if (p->stopped) {
		p->line.len = 0;
		return p->stopped;
	}
	if ((rc = lines_emit(p)))
		p->stopped = rc;
	return rc;
}

void
cf_lines_free(cf_lines *p)
{
	if (!p)
		return;
	free(p->line.p);
	free(p);
}

/* ---- one JSON array, an element at a time ---- */

/* Gemini's streamGenerateContent without alt=sse answers one JSON array
 * whose elements arrive as they are made.  Only the structure is followed
 * here (depth, strings, escapes), enough to know where an element ends;
 * reading it is the callback's business, so an element that is not valid
 * JSON reaches it as it is, and a parse there counts it. */

enum { JA_BEFORE, JA_BETWEEN, JA_IN, JA_AFTER };

struct cf_jsonarray {
	cf_jsonarray_cb cb;
	void *ctx;
	struct buf elem;     /* the element being read */
	int state;
	int bare;            /* the stream is one object, not an array */
	long depth;          /* open { and [ inside the element */
	int str;             /* inside a string */
	int esc;             /* the byte before was a backslash in one */
	int bom;             /* BOM bytes matched so far; -1 once past it */
	int stopped;
};

cf_jsonarray *
cf_jsonarray_new(cf_jsonarray_cb cb, void *ctx)
{
	cf_jsonarray *p = cf_xmalloc(sizeof *p);
	memset(p, 0, sizeof *p);
	p->cb = cb;
	p->ctx = ctx;
	return p;
}

static int
ja_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Hands over the element, its trailing white space left out. */
static int
ja_emit(cf_jsonarray *p)
{
	struct buf *b = &p->elem;
	while (b->len && ja_ws(b->p[b->len - 1]))
		b->len--;
	int rc = 0;
	if (b->len) {
		b->p[b->len] = '\0';
		rc = p->cb(b->p, b->len, p->ctx);
	}
	b->len = 0;
	p->depth = 0;
	p->str = p->esc = 0;
	return rc;
}

int
cf_jsonarray_feed(cf_jsonarray *p, const char *buf, size_t n)
{
	size_t i = 0;
	int rc;

	if (p->stopped)
		return p->stopped;
	while (p->bom >= 0 && i < n) {
		if (buf[i] != bom_bytes[p->bom]) {
			p->bom = -1;   /* bytes of a broken BOM are not JSON: dropped */
			break;
		}
		i++;
		if (++p->bom == 3)
			p->bom = -1;
	}
	while (i < n) {
		if (p->state == JA_AFTER)
			return 0;   /* past the closing ]: nothing more is ours */
		if (p->state != JA_IN) {
			char c = buf[i];
			if (ja_ws(c)) {
				i++;
			} else if (p->state == JA_BEFORE && c == '[') {
				p->state = JA_BETWEEN;
				i++;
			} else if (c == ',' && p->state == JA_BETWEEN) {
				i++;
			} else if (c == ']' && p->state == JA_BETWEEN) {
				p->state = JA_AFTER;
				i++;
			} else {
				/* an object where the array should be is taken as
				 * its only element (an error body, say) */
				if (p->state == JA_BEFORE)
					p->bare = 1;
				p->state = JA_IN;
			}
			continue;
		}
		/* Inside an element: copy a run up to the next byte that
		 * matters, then look at that byte. */
		size_t j = i;
		if (p->str && p->esc) {
			buf_add(&p->elem, buf + i, 1);   /* the escaped byte */
			p->esc = 0;
			i++;
			continue;
		}
		if (p->str) {
			while (j < n && buf[j] != '"' && buf[j] != '\\')
				j++;
		} else {
			while (j < n && buf[j] != '"' && buf[j] != '{' && buf[j] != '}' &&
			       buf[j] != '[' && buf[j] != ']' && buf[j] != ',')
				j++;
		}
		buf_add(&p->elem, buf + i, j - i);
		i = j;
		if (i == n)
			break;
		char c = buf[i];
		if (p->str) {
			buf_add(&p->elem, buf + i, 1);
			i++;
			if (c == '\\')
				p->esc = 1;
			else
				p->str = 0;
			continue;
		}
		int closed = 0;
		if (c == '"') {
			p->str = 1;
		} else if (c == '{' || c == '[') {
			p->depth++;
		} else if (p->depth == 0 && c != '}') {
			/* a , or ] at the element's own level ends a scalar
			 * element (or follows a broken one) */
			if ((rc = ja_emit(p)))
				return p->stopped = rc;
			p->state = p->bare ? JA_AFTER : JA_BETWEEN;
			continue;   /* the , or ] is read again between elements */
		} else if (c != ',' && p->depth > 0) {
			closed = --p->depth == 0;
		}   /* a } at depth 0 is a stray byte, kept */
		buf_add(&p->elem, buf + i, 1);
		i++;
		if (closed) {
			if ((rc = ja_emit(p)))
				return p->stopped = rc;
			p->state = p->bare ? JA_AFTER : JA_BETWEEN;
		}
	}
	return 0;
}

int
cf_jsonarray_finish(cf_jsonarray *p)
{
	int pending = p->elem.len > 0 || p->state == JA_IN || p->bom > 0;
	/* a scalar element at the very end, with no ] after it */
	if (p->state == JA_IN && !p->depth && !p->str && !p->stopped && p->elem.len) {
		int rc = ja_emit(p);
		p->state = JA_AFTER;
		if (rc)
			return p->stopped = rc;
		pending = 0;
	}
	p->elem.len = 0;
	return p->stopped ? p->stopped : pending;
}

void
cf_jsonarray_free(cf_jsonarray *p)
{
	if (!p)
		return;
	free(p->elem.p);
	free(p);
}
