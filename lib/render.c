/* render.c — Markdown drawn on a terminal as a reply streams in.
 *
 * Lines are cut from the deltas as they complete (LF, CRLF or a lone CR,
 * the way cmark counts them), and a small scanner groups them into the
 * open block: it knows where a block closes (a blank line, an ATX heading,
 * a setext underline, a rule, a fence), and nothing more.  A closed block
 * alone is parsed by cmark-gfm and drawn; the scanner groups generously
 * where CommonMark is subtle (a list goes on over blank lines while its
 * lines are indented), since a bigger group only draws later, and cmark
 * reads whatever it is given correctly.  A fenced code block at the top is
 * drawn a line at a time, through the highlighter.  What is kept is the
 * open block and the line being cut, so a delta costs the same at the end
 * of a reply as at its start, and since every decision is made on whole
 * lines the bytes drawn do not depend on how the text was cut.
 *
 * Text is laid out as styled bytes (a style word per byte: attributes, a
 * color, a link) and wrapped by display width; escapes are written only
 * where the style changes, and every line ends with the attributes off
 * and its link closed, so prefixes, wraps and table borders stay plain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "export.h"
#include "render.h"

/* ---- styles ---- */

enum {
	A_BOLD = 1, A_DIM = 2, A_ITAL = 4, A_UNDER = 8, A_STRIKE = 16,
	A_MASK = 31,
};
enum { C_NONE, C_RED, C_GREEN, C_YELLOW, C_BLUE, C_MAGENTA, C_CYAN, C_GRAY };
#define ST_COLOR(s) (((s) >> 5) & 7)
#define ST_LINK(s) ((s) >> 8)
#define ST_MAKE(a, c, l) ((uint32_t)(a) | (uint32_t)(c) << 5 | (uint32_t)(l) << 8)
#define ST_LOOK(s) ((s) & 0xff)

static const char *const fg[] = {"", "31", "32", "33", "34", "35", "36", "90"};

/* ---- growing byte buffers ---- */

struct buf {
	char *p;
	size_t n, cap;
};

static void
buf_grow(struct buf *b, size_t more)
{
	if (b->n + more > b->cap) {
		b->cap = 2 * (b->n + more) + 256;
		b->p = cf_xrealloc(b->p, b->cap);
	}
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (!n)
		return;
	buf_grow(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_rep(struct buf *b, const char *s, int times)
{
	size_t n = strlen(s);
	for (int i = 0; i < times; i++)
		buf_add(b, s, n);
}

/* Styled text: the bytes (valid UTF-8, no control character) and a style
 * word for each. */
struct stext {
	char *s;
	uint32_t *st;
	size_t n, cap;
};

static void
st_add(struct stext *t, const char *s, size_t n, uint32_t style)
{
	if (!n)
		return;
	if (t->n + n > t->cap) {
		t->cap = 2 * (t->n + n) + 64;
		t->s = cf_xrealloc(t->s, t->cap);
		t->st = cf_xrealloc(t->st, t->cap * sizeof *t->st);
	}
	memcpy(t->s + t->n, s, n);
	for (size_t i = 0; i < n; i++)
		t->st[t->n + i] = style;
	t->n += n;
}

static void
st_free(struct stext *t)
{
	free(t->s);
	free(t->st);
	memset(t, 0, sizeof *t);
}

/* Text the model wrote, made safe: C0 and C1 controls and DEL (ESC
 * starts every escape sequence) and bytes that are not UTF-8 become
 * U+FFFD, a tab becomes spaces (up to the next multiple of tab cells when
 * tab is set, else one); *col counts cells for the tabs. */
static void
st_clean(struct stext *t, const char *s, size_t n, uint32_t style, int tab, int *col)
{
	static const char bad[] = "\xef\xbf\xbd";
	size_t i = 0, run = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t l = 1;
		int ok, w = 1;
		if (c < 0x80) {
			ok = c >= 0x20 && c != 0x7f;
		} else {
			w = cf_char_cells(s + i, n - i, &l);
			/* a stray byte is one; C1 controls are U+0080..U+009F */
			ok = l > 1 && !(c == 0xc2 && (unsigned char)s[i + 1] < 0xa0);
		}
		if (ok) {
			i += l;
			run += l;
			*col += w;
			continue;
		}
		st_add(t, s + i - run, run, style);
		run = 0;
		if (c == '\t') {
			int k = tab ? tab - *col % tab : 1;
			for (int j = 0; j < k; j++)
				st_add(t, " ", 1, style);
			*col += k;
		} else {
			st_add(t, bad, 3, style);
			*col += 1;
		}
		i += l;
	}
	st_add(t, s + i - run, run, style);
}

/* ---- the renderer's state ---- */

enum kind { K_NONE, K_PARA, K_LIST, K_ICODE, K_QUOTE };

/* A container being drawn: its piece of each line's prefix (first: on
 * its first line, rest: after), display cells wide; items number. */
struct frame {
	char first[96], rest[96];
	int w, started, quote;
	int is_list, ordered, tight, num, numw, bullets;
	cmark_node *node;
};

struct line {
	size_t a, b;
	int w;
};

struct cf_render {
	struct cf_render_opt o;
	int width;
	struct buf out;
	/* the line being cut, and whether a CR just ended one */
	struct buf line;
	int cr;
	/* the open block */
	struct buf chunk;
	enum kind kind;
	int blanks;           /* blank lines held while a list may go on */
	char nfch;            /* a fence open inside the list being held */
	size_t nflen;
	/* the fenced code block being drawn a line at a time */
	int fence;
	char fch;
	size_t flen, findent;
	cf_hl *hl;
	int drawn;            /* a block was drawn: a blank line before the next */
	/* drawing */
	struct frame *fr;
	int nfr, capfr;
	char **links;
	size_t nlinks, caplinks;
	struct stext text;
	struct line *lines;
	size_t nlines, caplines;
};

static int
clamp_width(int w)
{
	return w <= 0 ? 80 : w < 10 ? 10 : w > 1000 ? 1000 : w;
}

cf_render *
cf_render_new(const struct cf_render_opt *o)
{
	cf_render *r = cf_xmalloc(sizeof *r);
	memset(r, 0, sizeof *r);
	r->o = *o;
	r->width = clamp_width(o->width);
	return r;
}

void
cf_render_set_width(cf_render *r, int width)
{
	r->width = clamp_width(width);
}

static void
flush_out(cf_render *r)
{
	if (r->out.n && r->o.put)
		r->o.put(r->o.ctx, r->out.p, r->out.n);
	r->out.n = 0;
}

static void
out(cf_render *r, const char *s, size_t n)
{
	buf_add(&r->out, s, n);
}

static void
outs(cf_render *r, const char *s)
{
	buf_add(&r->out, s, strlen(s));
}

/* ---- styles to escapes ---- */

static void
sgr(struct buf *b, uint32_t s)
{
	static const char *const attr[] = {"1", "2", "3", "4", "9"};
	char seq[64] = "\033[";
	int any = 0;
	for (int i = 0; i < 5; i++)
		if (s & (1u << i)) {
			strcat(seq, any ? ";" : "");
			strcat(seq, attr[i]);
			any = 1;
		}
	if (ST_COLOR(s)) {
		strcat(seq, any ? ";" : "");
		strcat(seq, fg[ST_COLOR(s)]);
		any = 1;
	}
	if (any) {
		strcat(seq, "m");
		buf_str(b, seq);
	}
}

/* From style a to style b, into buffer o. */
static void
restyle(cf_render *r, struct buf *o, uint32_t a, uint32_t b)
{
	int links = r->o.hyperlinks;
	if (links && ST_LINK(a) && ST_LINK(a) != ST_LINK(b))
		buf_str(o, "\033]8;;\033\\");
	if (r->o.color && ST_LOOK(a) != ST_LOOK(b)) {
		if (ST_LOOK(a))
			buf_str(o, "\033[0m");
		sgr(o, b);
	}
	if (links && ST_LINK(b) && ST_LINK(a) != ST_LINK(b)) {
		buf_str(o, "\033]8;;");
		buf_str(o, r->links[ST_LINK(b) - 1]);
		buf_str(o, "\033\\");
	}
}

/* A piece of plain text in one style (borders, markers, prefixes). */
static void
piece(cf_render *r, struct buf *o, const char *s, uint32_t style)
{
	restyle(r, o, 0, style);
	buf_str(o, s);
	restyle(r, o, style, 0);
}

static void
put_range(cf_render *r, const struct stext *t, size_t a, size_t b)
{
	uint32_t cur = 0;
	size_t run = a;
	if (a == b)
		return;
	for (size_t i = a; i < b; i++) {
		if (t->st[i] == cur)
			continue;
		out(r, t->s + run, i - run);
		run = i;
		restyle(r, &r->out, cur, t->st[i]);
		cur = t->st[i];
	}
	out(r, t->s + run, b - run);
	restyle(r, &r->out, cur, 0);
}

/* ---- wrapping ---- */

static void
add_line(cf_render *r, size_t a, size_t b, int w)
{
	if (r->nlines == r->caplines) {
		r->caplines = 2 * r->caplines + 16;
		r->lines = cf_xrealloc(r->lines, r->caplines * sizeof *r->lines);
	}
	r->lines[r->nlines++] = (struct line){a, b, w};
}

/* Cuts t[a, b) into lines of at most width cells, appended to r->lines:
 * at spaces (dropped at the cut) when words, else anywhere; a '\n'
 * always ends a line.  A character wider than the width still takes a
 * line of its own, so the cut always moves on. */
static void
wrap(cf_render *r, const struct stext *t, size_t a, size_t b, int width, int words)
{
	if (width < 1)
		width = 1;
	size_t i = a;
	if (a == b)
		add_line(r, a, a, 0);
	while (i < b) {
		size_t start = i, brk = 0, l;
		int w = 0, wbrk = 0, cut = 0;
		while (i < b) {
			char c = t->s[i];
			if (c == '\n') {
				add_line(r, start, i, w);
				i++;
				cut = 1;
				if (i == b)
					add_line(r, i, i, 0);
				break;
			}
			int cw = cf_char_cells(t->s + i, b - i, &l);
			if (w + cw > width && i > start) {
				if (words && c == ' ') {
					/* the word before fits, to the last cell */
					add_line(r, start, i, w);
				} else if (words && brk > start) {
					add_line(r, start, brk, wbrk);
					i = brk;
				} else {
					add_line(r, start, i, w);
				}
				if (words)
					while (i < b && t->s[i] == ' ')
						i++;
				cut = 1;
				break;
			}
			if (c == ' ' && words) {
				/* the break before a run of spaces */
				if (!(i > start && t->s[i - 1] == ' ')) {
					brk = i;
					wbrk = w;
				}
			}
			w += cw;
			i += l;
		}
		if (!cut) {
			/* the last line, trailing spaces dropped */
			size_t e = i;
			int we = w;
			if (words)
				while (e > start && t->s[e - 1] == ' ') {
					e--;
					we--;
				}
			add_line(r, start, e, we);
		}
	}
}

/* ---- prefixes ---- */

static int
prefix_width(cf_render *r)
{
	int w = 0;
	for (int i = 0; i < r->nfr; i++)
		w += r->fr[i].w;
	return w;
}

static int
avail(cf_render *r)
{
	int a = r->width - prefix_width(r);
	return a < 4 ? 4 : a;
}

static void
put_prefix(cf_render *r)
{
	for (int i = 0; i < r->nfr; i++) {
		struct frame *f = &r->fr[i];
		outs(r, f->started ? f->rest : f->first);
		f->started = 1;
	}
}

/* A blank line inside the containers: the quote bars, nothing after. */
static void
blank_line(cf_render *r)
{
	int last = -1;
	for (int i = 0; i < r->nfr; i++)
		if (r->fr[i].quote && r->fr[i].w)
			last = i;
	for (int i = 0; i < last; i++)
		outs(r, r->fr[i].rest);
	if (last >= 0)
		piece(r, &r->out, "┃", ST_MAKE(0, C_GREEN, 0));
	outs(r, "\n");
}

static void
push(cf_render *r, struct frame *f)
{
	if (r->nfr == r->capfr) {
		r->capfr = 2 * r->capfr + 8;
		r->fr = cf_xrealloc(r->fr, (size_t)r->capfr * sizeof *r->fr);
	}
	/* nesting past half the width indents no further */
	if (f->w && prefix_width(r) + f->w > r->width / 2) {
		f->first[0] = f->rest[0] = '\0';
		f->w = 0;
	}
	r->fr[r->nfr++] = *f;
}

static void
draw_lines(cf_render *r, const struct stext *t)
{
	for (size_t i = 0; i < r->nlines; i++) {
		put_prefix(r);
		put_range(r, t, r->lines[i].a, r->lines[i].b);
		outs(r, "\n");
	}
	r->nlines = 0;
}

/* ---- links ---- */

static int
clickable(const char *url)
{
	static const char *const ok[] = {"http:", "https:", "mailto:", "ftp:"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (!strncasecmp(url, ok[i], strlen(ok[i])))
			return 1;
	return 0;
}

/* A link for OSC 8: its index + 1, or 0 when it is not one to follow.
 * Every byte outside printable ASCII is percent-encoded, so no control
 * character (an ESC or BEL would end the sequence) gets through. */
static uint32_t
add_link(cf_render *r, const char *url)
{
	size_t n = strlen(url);
	if (!r->o.hyperlinks || !clickable(url) || n > 2000 ||
	    r->nlinks >= (1u << 23))
		return 0;
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c > 0x20 && c < 0x7f) {
			buf_add(&b, url + i, 1);
		} else {
			char hex[4];
			snprintf(hex, sizeof hex, "%%%02X", c);
			buf_add(&b, hex, 3);
		}
	}
	buf_add(&b, "", 1);
	if (r->nlinks == r->caplinks) {
		r->caplinks = 2 * r->caplinks + 8;
		r->links = cf_xrealloc(r->links, r->caplinks * sizeof *r->links);
	}
	r->links[r->nlinks++] = b.p;
	return (uint32_t)r->nlinks;
}

static void
links_free(cf_render *r)
{
	for (size_t i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	r->nlinks = 0;
}

/* ---- inlines ---- */

static int
is_type(cmark_node *n, const char *name)
{
	return !strcmp(cmark_node_get_type_string(n), name);
}

/* The inlines under node as styled text, appended to t in style base. */
static void
inlines(cf_render *r, cmark_node *node, struct stext *t, uint32_t base)
{
	uint32_t *stack = NULL;
	size_t *starts = NULL;
	size_t depth = 0, cap = 0;
	uint32_t cur = base;
	int col = 0;
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (n == node)
			continue;
		cmark_node_type ty = cmark_node_get_type(n);
		const char *lit;
		if (ev == CMARK_EVENT_ENTER) {
			switch (ty) {
			case CMARK_NODE_TEXT:
				lit = cmark_node_get_literal(n);
				st_clean(t, lit, strlen(lit), cur, 0, &col);
				continue;
			case CMARK_NODE_CODE:
				lit = cmark_node_get_literal(n);
				if (!r->o.color)
					st_add(t, "`", 1, cur);
				st_clean(t, lit, strlen(lit),
				         (cur & ~(uint32_t)0xe0) | ST_MAKE(0, C_YELLOW, 0), 0, &col);
				if (!r->o.color)
					st_add(t, "`", 1, cur);
				continue;
			case CMARK_NODE_HTML_INLINE:
				lit = cmark_node_get_literal(n);
				st_clean(t, lit, strlen(lit), cur | A_DIM, 0, &col);
				continue;
			case CMARK_NODE_SOFTBREAK:
				st_add(t, " ", 1, cur);
				continue;
			case CMARK_NODE_LINEBREAK:
				st_add(t, "\n", 1, cur);
				continue;
			default:
				break;
			}
			/* a container: its style for what is under it */
			if (depth == cap) {
				cap = 2 * cap + 8;
				stack = cf_xrealloc(stack, cap * sizeof *stack);
				starts = cf_xrealloc(starts, cap * sizeof *starts);
			}
			stack[depth] = cur;
			starts[depth++] = t->n;
			if (ty == CMARK_NODE_EMPH)
				cur |= A_ITAL;
			else if (ty == CMARK_NODE_STRONG)
				cur |= A_BOLD;
			else if (is_type(n, "strikethrough")) {
				cur |= A_STRIKE;
				if (!r->o.color)
					st_add(t, "~~", 2, cur);
			} else if (ty == CMARK_NODE_LINK || ty == CMARK_NODE_IMAGE) {
				uint32_t l = add_link(r, cmark_node_get_url(n));
				cur = (cur & 0xff & ~(uint32_t)0xe0) | A_UNDER |
				      ST_MAKE(0, C_BLUE, l);
				if (ty == CMARK_NODE_IMAGE)
					st_add(t, "[image: ", 8, cur);
			}
			continue;
		}
		/* the end of a container */
		if (!depth)
			continue;
		size_t from = starts[--depth];
		uint32_t inner = cur;
		cur = stack[depth];
		if (is_type(n, "strikethrough") && !r->o.color)
			st_add(t, "~~", 2, inner);
		if (ty == CMARK_NODE_IMAGE)
			st_add(t, "]", 1, inner);
		if ((ty == CMARK_NODE_LINK || ty == CMARK_NODE_IMAGE) && !ST_LINK(inner)) {
			/* not a hyperlink: the address as text, unless the text
			 * is the address already (an autolink) */
			const char *url = cmark_node_get_url(n);
			size_t tl = t->n - from, ul = strlen(url);
			const char *txt = t->s + from;
			int same = (tl == ul && !memcmp(txt, url, ul)) ||
			           (!strncmp(url, "mailto:", 7) && tl == ul - 7 &&
			            !memcmp(txt, url + 7, tl));
			if (*url && !same) {
				st_add(t, " (", 2, cur | A_DIM);
				st_clean(t, url, ul, cur | A_DIM, 0, &col);
				st_add(t, ")", 1, cur | A_DIM);
			}
		}
	}
	cmark_iter_free(it);
	free(stack);
	free(starts);
}

/* ---- leaf blocks ---- */

static void
draw_para(cf_render *r, cmark_node *n, uint32_t base)
{
	r->text.n = 0;
	inlines(r, n, &r->text, base);
	wrap(r, &r->text, 0, r->text.n, avail(r), 1);
	draw_lines(r, &r->text);
}

static void
draw_heading(cf_render *r, cmark_node *n)
{
	int level = cmark_node_get_heading_level(n);
	uint32_t st = ST_MAKE(A_BOLD, level == 1 ? C_MAGENTA : level == 2 ? C_CYAN : C_NONE, 0);
	r->text.n = 0;
	if (level > 2) {
		char marks[8];
		snprintf(marks, sizeof marks, "%.*s ", level, "######");
		st_add(&r->text, marks, strlen(marks), ST_MAKE(A_DIM, 0, 0));
	}
	inlines(r, n, &r->text, st);
	wrap(r, &r->text, 0, r->text.n, avail(r), 1);
	int w = 0;
	for (size_t i = 0; i < r->nlines; i++)
		if (r->lines[i].w > w)
			w = r->lines[i].w;
	draw_lines(r, &r->text);
	if (level <= 2 && w > 0) {
		struct buf b = {0};
		buf_rep(&b, level == 1 ? "═" : "─", w);
		buf_add(&b, "", 1);
		put_prefix(r);
		piece(r, &r->out, b.p, ST_MAKE(A_DIM, 0, 0));
		outs(r, "\n");
		free(b.p);
	}
}

static void
draw_rule(cf_render *r)
{
	struct buf b = {0};
	buf_rep(&b, "─", avail(r));
	buf_add(&b, "", 1);
	put_prefix(r);
	piece(r, &r->out, b.p, ST_MAKE(A_DIM, 0, 0));
	outs(r, "\n");
	free(b.p);
}

/* ---- code ---- */

static const uint32_t frame_style = ST_MAKE(A_DIM, 0, 0);

static uint32_t
capture_style(const char *c)
{
	static const struct {
		const char *name;
		uint32_t style;
	} map[] = {
		{"variable.builtin", ST_MAKE(0, C_RED, 0)},
		{"constant.builtin", ST_MAKE(0, C_CYAN, 0)},
		{"keyword", ST_MAKE(0, C_MAGENTA, 0)},
		{"string", ST_MAKE(0, C_GREEN, 0)},
		{"comment", ST_MAKE(A_ITAL, C_GRAY, 0)},
		{"function", ST_MAKE(0, C_BLUE, 0)},
		{"method", ST_MAKE(0, C_BLUE, 0)},
		{"constructor", ST_MAKE(0, C_YELLOW, 0)},
		{"type", ST_MAKE(0, C_YELLOW, 0)},
		{"tag", ST_MAKE(0, C_BLUE, 0)},
		{"attribute", ST_MAKE(0, C_YELLOW, 0)},
		{"number", ST_MAKE(0, C_CYAN, 0)},
		{"float", ST_MAKE(0, C_CYAN, 0)},
		{"boolean", ST_MAKE(0, C_CYAN, 0)},
		{"constant", ST_MAKE(0, C_CYAN, 0)},
		{"escape", ST_MAKE(0, C_CYAN, 0)},
	};
	if (!c)
		return 0;
	for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
		size_t l = strlen(map[i].name);
		if (!strncmp(c, map[i].name, l) && (c[l] == '\0' || c[l] == '.'))
			return map[i].style;
	}
	return 0;
}

static void
code_open(cf_render *r, const char *info, size_t n)
{
	/* the language: the info string's first word */
	size_t l = 0;
	while (l < n && info[l] != ' ' && info[l] != '\t' && info[l] != '{')
		l++;
	char lang[64];
	if (l >= sizeof lang)
		l = sizeof lang - 1;
	memcpy(lang, info, l);
	lang[l] = '\0';
	r->hl = *lang ? cf_hl_new(lang) : NULL;

	int w = avail(r);
	struct stext t = {0};
	int col = 0, used;
	st_add(&t, "╭─", strlen("╭─"), frame_style);
	if (*lang) {
		st_add(&t, " ", 1, frame_style);
		st_clean(&t, lang, l, ST_MAKE(A_BOLD, C_CYAN, 0), 0, &col);
		st_add(&t, " ", 1, frame_style);
	}
	used = 2 + (*lang ? col + 2 : 0);
	for (; used < w; used++)
		st_add(&t, "─", strlen("─"), frame_style);
	put_prefix(r);
	r->nlines = 0;
	wrap(r, &t, 0, t.n, w, 0);
	put_range(r, &t, r->lines[0].a, r->lines[0].b);
	r->nlines = 0;
	outs(r, "\n");
	st_free(&t);
}

static void
code_line(cf_render *r, const char *s, size_t n)
{
	const struct cf_span *sp = NULL;
	size_t ns = r->hl ? cf_hl_line(r->hl, s, n, &sp) : 0;
	r->text.n = 0;
	int col = 0;
	size_t i = 0;
	/* the line in runs of one capture each: a byte takes the last span
	 * over it, so a narrower capture inside a wider one wins */
	while (i < n) {
		uint32_t style = 0;
		size_t end = n;
		for (size_t k = 0; k < ns; k++) {
			if (sp[k].start >= sp[k].end || sp[k].end > n)
				continue;
			if (sp[k].start <= i && i < sp[k].end)
				style = capture_style(sp[k].capture);
			if (sp[k].start > i && sp[k].start < end)
				end = sp[k].start;
			if (sp[k].end > i && sp[k].end < end)
				end = sp[k].end;
		}
		/* not inside a UTF-8 sequence */
		while (end < n && ((unsigned char)s[end] & 0xc0) == 0x80)
			end++;
		st_clean(&r->text, s + i, end - i, style, 4, &col);
		i = end;
	}
	wrap(r, &r->text, 0, r->text.n, avail(r) - 2, 0);
	for (size_t k = 0; k < r->nlines; k++) {
		put_prefix(r);
		piece(r, &r->out, "│ ", frame_style);
		put_range(r, &r->text, r->lines[k].a, r->lines[k].b);
		outs(r, "\n");
	}
	r->nlines = 0;
}

static void
code_close(cf_render *r)
{
	struct buf b = {0};
	buf_str(&b, "╰");
	buf_rep(&b, "─", avail(r) - 1);
	buf_add(&b, "", 1);
	put_prefix(r);
	piece(r, &r->out, b.p, frame_style);
	outs(r, "\n");
	free(b.p);
	if (r->hl)
		cf_hl_free(r->hl);
	r->hl = NULL;
}

static void
draw_code(cf_render *r, cmark_node *n)
{
	const char *info = cmark_node_get_fence_info(n);
	const char *lit = cmark_node_get_literal(n);
	code_open(r, info ? info : "", info ? strlen(info) : 0);
	size_t len = strlen(lit);
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(lit + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - lit) : len;
		code_line(r, lit + i, e - i);
		i = e + 1;
	}
	code_close(r);
}

static void
draw_html(cf_render *r, cmark_node *n)
{
	const char *lit = cmark_node_get_literal(n);
	size_t len = strlen(lit);
	while (len && lit[len - 1] == '\n')
		len--;
	r->text.n = 0;
	int col = 0;
	for (size_t i = 0; i < len; i++) {
		size_t e = i;
		while (e < len && lit[e] != '\n')
			e++;
		st_clean(&r->text, lit + i, e - i, ST_MAKE(A_DIM, 0, 0), 4, &col);
		if (e < len)
			st_add(&r->text, "\n", 1, 0);
		col = 0;
		i = e;
	}
	wrap(r, &r->text, 0, r->text.n, avail(r), 0);
	draw_lines(r, &r->text);
}

/* ---- tables ---- */

static void
border(cf_render *r, const int *cw, int nc, const char *l, const char *m, const char *rt)
{
	struct buf b = {0};
	buf_str(&b, l);
	for (int c = 0; c < nc; c++) {
		buf_rep(&b, "─", cw[c] + 2);
		buf_str(&b, c + 1 < nc ? m : rt);
	}
	buf_add(&b, "", 1);
	put_prefix(r);
	piece(r, &r->out, b.p, frame_style);
	outs(r, "\n");
	free(b.p);
}

/* A table too wide for even two cells a column: each row as lines of
 * "header: value", a blank line between rows. */
static void
stacked(cf_render *r, struct stext *cell, const char *head, int nr, int nc)
{
	int body = 0;
	for (int ri = 0; ri < nr; ri++) {
		if (head[ri] && nr > 1)
			continue;
		if (body++)
			blank_line(r);
		for (int c = 0; c < nc; c++) {
			struct stext *t = &cell[ri * nc + c];
			r->text.n = 0;
			if (!head[ri] && head[0]) {
				struct stext *h = &cell[c];
				st_add(&r->text, h->s, h->n, A_BOLD);
				st_add(&r->text, ": ", 2, 0);
			}
			if (t->n) {
				st_add(&r->text, t->s, t->n, 0);
				memcpy(r->text.st + r->text.n - t->n, t->st, t->n * sizeof *t->st);
			}
			wrap(r, &r->text, 0, r->text.n, avail(r), 1);
			draw_lines(r, &r->text);
		}
	}
}

static void
draw_table(cf_render *r, cmark_node *table)
{
	int nc = cmark_gfm_extensions_get_table_columns(table);
	uint8_t *align = cmark_gfm_extensions_get_table_alignments(table);
	int nr = 0;
	for (cmark_node *row = cmark_node_first_child(table); row; row = cmark_node_next(row))
		nr++;
	if (nc <= 0 || nr == 0)
		return;
	struct stext *cell = calloc((size_t)nr * (size_t)nc, sizeof *cell);
	int *nat = calloc((size_t)nc, sizeof *nat), *cw = calloc((size_t)nc, sizeof *cw);
	char *head = calloc((size_t)nr, 1);
	if (!cell || !nat || !cw || !head)
		abort();
	int ri = 0;
	for (cmark_node *row = cmark_node_first_child(table); row;
	     row = cmark_node_next(row), ri++) {
		head[ri] = (char)cmark_gfm_extensions_get_table_row_is_header(row);
		int ci = 0;
		for (cmark_node *c = cmark_node_first_child(row); c && ci < nc;
		     c = cmark_node_next(c), ci++) {
			struct stext *t = &cell[ri * nc + ci];
			inlines(r, c, t, head[ri] ? A_BOLD : 0);
			/* a line break in a cell is a space here */
			for (size_t i = 0; i < t->n; i++)
				if (t->s[i] == '\n')
					t->s[i] = ' ';
			int w = cf_cells(t->s, t->n);
			if (w > nat[ci])
				nat[ci] = w;
		}
	}
	/* widths: the natural ones, or all columns cut down to one cap, the
	 * widest first, so that the table fits */
	int room = avail(r) - (3 * nc + 1), total = 0, maxw = 1;
	for (int c = 0; c < nc; c++) {
		if (nat[c] < 1)
			nat[c] = 1;
		total += nat[c];
		if (nat[c] > maxw)
			maxw = nat[c];
	}
	if (room < 2 * nc) {
		stacked(r, cell, head, nr, nc);
		goto done;
	}
	int lo = 2, hi = maxw;
	if (total > room) {
		while (lo < hi) {
			int mid = lo + (hi - lo + 1) / 2, sum = 0;
			for (int c = 0; c < nc; c++)
				sum += nat[c] < mid ? nat[c] : mid;
			if (sum <= room)
				lo = mid;
			else
				hi = mid - 1;
		}
	} else {
		lo = maxw;
	}
	if (lo > maxw)
		lo = maxw;
	int sum = 0;
	for (int c = 0; c < nc; c++)
		sum += cw[c] = nat[c] < lo ? nat[c] : lo;
	for (int c = 0; c < nc && sum < room; c++)
		if (cw[c] < nat[c]) {
			cw[c]++;
			sum++;
		}

	border(r, cw, nc, "┌", "┬", "┐");
	struct line *cl = NULL;
	size_t *first = calloc((size_t)nc + 1, sizeof *first);
	for (ri = 0; ri < nr; ri++) {
		/* each cell wrapped to its width, then drawn side by side */
		r->nlines = 0;
		size_t height = 0;
		for (int c = 0; c < nc; c++) {
			first[c] = r->nlines;
			struct stext *t = &cell[ri * nc + c];
			wrap(r, t, 0, t->n, cw[c], 1);
			if (r->nlines - first[c] > height)
				height = r->nlines - first[c];
		}
		first[nc] = r->nlines;
		cl = cf_xrealloc(cl, (r->nlines + 1) * sizeof *cl);
		memcpy(cl, r->lines, r->nlines * sizeof *cl);
		r->nlines = 0;
		for (size_t h = 0; h < height; h++) {
			put_prefix(r);
			piece(r, &r->out, "│", frame_style);
			for (int c = 0; c < nc; c++) {
				struct stext *t = &cell[ri * nc + c];
				size_t k = first[c] + h;
				int w = 0;
				struct line ln = {0, 0, 0};
				if (k < first[c + 1]) {
					ln = cl[k];
					w = ln.w;
				}
				int pad = cw[c] - w, left = 0;
				if (pad < 0)
					pad = 0;
				char a = align && c < nc ? (char)align[c] : 0;
				if (a == 'r')
					left = pad;
				else if (a == 'c')
					left = pad / 2;
				outs(r, " ");
				for (int i = 0; i < left; i++)
					outs(r, " ");
				if (k < first[c + 1])
					put_range(r, t, ln.a, ln.b);
				for (int i = 0; i < pad - left; i++)
					outs(r, " ");
				outs(r, " ");
				piece(r, &r->out, "│", frame_style);
			}
			outs(r, "\n");
		}
		if (head[ri] && ri + 1 < nr)
			border(r, cw, nc, "├", "┼", "┤");
	}
	border(r, cw, nc, "└", "┴", "┘");
	free(first);
	free(cl);
done:
	for (int i = 0; i < nr * nc; i++)
		st_free(&cell[i]);
	free(cell);
	free(nat);
	free(cw);
	free(head);
}

/* ---- blocks ---- */

static int
in_tight(cmark_node *n)
{
	cmark_node *p = cmark_node_parent(n);
	if (!p)
		return 0;
	if (cmark_node_get_type(p) == CMARK_NODE_LIST)
		return cmark_node_get_list_tight(p);
	if (cmark_node_get_type(p) == CMARK_NODE_ITEM) {
		cmark_node *l = cmark_node_parent(p);
		return l && cmark_node_get_list_tight(l);
	}
	return 0;
}

/* The blank line between a block and the one before it. */
static void
separate(cf_render *r, cmark_node *n)
{
	if (cmark_node_previous(n)) {
		if (!in_tight(n))
			blank_line(r);
	} else if (cmark_node_get_type(cmark_node_parent(n)) == CMARK_NODE_DOCUMENT &&
	           r->drawn) {
		blank_line(r);
	}
}

static void
enter_item(cf_render *r, cmark_node *item)
{
	struct frame *l = r->nfr ? &r->fr[r->nfr - 1] : NULL;
	struct frame f = {0};
	f.node = item;
	char mark[48];
	int mw;
	if (l && l->is_list && l->ordered) {
		long num = (long)l->num++;
		char delim = cmark_node_get_list_delim(l->node) == CMARK_PAREN_DELIM ? ')' : '.';
		snprintf(mark, sizeof mark, "%*ld%c ", l->numw, num, delim);
		mw = l->numw + 2;
	} else {
		static const char *const bullets[] = {"•", "◦", "▪"};
		int depth = l ? l->bullets : 0;
		snprintf(mark, sizeof mark, "%s ", bullets[(depth > 0 ? depth - 1 : 0) % 3]);
		mw = 2;
	}
	struct buf b = {0};
	piece(r, &b, mark, ST_MAKE(0, C_YELLOW, 0));
	if (is_type(item, "tasklist")) {
		int done = cmark_gfm_extensions_get_tasklist_item_checked(item);
		piece(r, &b, done ? "[x]" : "[ ]", ST_MAKE(A_BOLD, done ? C_GREEN : C_NONE, 0));
		buf_str(&b, " ");
		mw += 4;
	}
	buf_add(&b, "", 1);
	if (b.n <= sizeof f.first && mw < (int)sizeof f.rest) {
		memcpy(f.first, b.p, b.n);
		memset(f.rest, ' ', (size_t)mw);
		f.rest[mw] = '\0';
		f.w = mw;
	}
	free(b.p);
	push(r, &f);
}

static void
enter_list(cf_render *r, cmark_node *list)
{
	struct frame f = {0};
	f.node = list;
	f.is_list = 1;
	f.ordered = cmark_node_get_list_type(list) == CMARK_ORDERED_LIST;
	f.tight = cmark_node_get_list_tight(list);
	f.num = cmark_node_get_list_start(list);
	f.bullets = 1;
	for (int i = 0; i < r->nfr; i++)
		if (r->fr[i].is_list && !r->fr[i].ordered)
			f.bullets++;
	long items = 0;
	for (cmark_node *c = cmark_node_first_child(list); c; c = cmark_node_next(c))
		items++;
	char digits[32];
	f.numw = snprintf(digits, sizeof digits, "%ld", (long)f.num + (items ? items - 1 : 0));
	f.started = 1;
	push(r, &f);
}

static void
enter_quote(cf_render *r, cmark_node *q)
{
	struct frame f = {0};
	f.node = q;
	f.quote = 1;
	struct buf b = {0};
	piece(r, &b, "┃ ", ST_MAKE(0, C_GREEN, 0));
	buf_add(&b, "", 1);
	if (b.n <= sizeof f.first) {
		memcpy(f.first, b.p, b.n);
		memcpy(f.rest, b.p, b.n);
		f.w = 2;
	}
	free(b.p);
	push(r, &f);
}

static void
leave(cf_render *r)
{
	struct frame *f = &r->fr[r->nfr - 1];
	/* an item with nothing in it still shows its marker */
	if (!f->is_list && !f->quote && !f->started) {
		put_prefix(r);
		outs(r, "\n");
	}
	if (f->started && r->nfr > 1)
		r->fr[r->nfr - 2].started = 1;
	r->nfr--;
}

static void
draw_doc(cf_render *r, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type ty = cmark_node_get_type(n);
		if (ty == CMARK_NODE_DOCUMENT)
			continue;
		if (ev == CMARK_EVENT_EXIT) {
			if (ty == CMARK_NODE_BLOCK_QUOTE || ty == CMARK_NODE_LIST ||
			    ty == CMARK_NODE_ITEM)
				leave(r);
			continue;
		}
		separate(r, n);
		switch (ty) {
		case CMARK_NODE_BLOCK_QUOTE: enter_quote(r, n); continue;
		case CMARK_NODE_LIST: enter_list(r, n); continue;
		case CMARK_NODE_ITEM: enter_item(r, n); continue;
		case CMARK_NODE_PARAGRAPH: draw_para(r, n, 0); break;
		case CMARK_NODE_HEADING: draw_heading(r, n); break;
		case CMARK_NODE_CODE_BLOCK: draw_code(r, n); break;
		case CMARK_NODE_HTML_BLOCK: draw_html(r, n); break;
		case CMARK_NODE_THEMATIC_BREAK: draw_rule(r); break;
		default:
			if (is_type(n, "table"))
				draw_table(r, n);
			else if (cmark_node_first_child(n) &&
			         (cmark_node_get_type(cmark_node_first_child(n)) &
			          CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_INLINE)
				draw_para(r, n, 0);
			break;
		}
		links_free(r);
		/* a leaf is drawn whole: on to its next sibling */
		cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
	}
	cmark_iter_free(it);
	links_free(r);
}

/* ---- the scanner: lines into blocks ---- */

static size_t
indent_of(const char *l, size_t n, size_t *pos)
{
	size_t col = 0, i = 0;
	for (; i < n && (l[i] == ' ' || l[i] == '\t'); i++)
		col = l[i] == '\t' ? col + 4 - col % 4 : col + 1;
	*pos = i;
	return col;
}

static int
blank(const char *l, size_t n)
{
	size_t p;
	indent_of(l, n, &p);
	return p == n;
}

/* A fence at l[p]: its character and length; info is what follows. */
static int
fence_open(const char *l, size_t n, size_t p, char *ch, size_t *len)
{
	if (p >= n || (l[p] != '`' && l[p] != '~'))
		return 0;
	size_t k = p;
	while (k < n && l[k] == l[p])
		k++;
	if (k - p < 3)
		return 0;
	if (l[p] == '`' && memchr(l + k, '`', n - k))
		return 0;
	*ch = l[p];
	*len = k - p;
	return 1;
}

static int
fence_close(const char *l, size_t n, size_t p, char ch, size_t len)
{
	size_t k = p;
	while (k < n && l[k] == ch)
		k++;
	if (k - p < len)
		return 0;
	return blank(l + k, n - k);
}

static int
atx(const char *l, size_t n, size_t p)
{
	size_t k = p;
	while (k < n && l[k] == '#')
		k++;
	return k > p && k - p <= 6 && (k == n || l[k] == ' ' || l[k] == '\t');
}

/* A line of one character c (three or more, spaces between allowed when
 * spaced), else 0. */
static char
rule_of(const char *l, size_t n, size_t p, const char *chars, int spaced)
{
	if (p >= n || !strchr(chars, l[p]))
		return 0;
	char c = l[p];
	int count = 0, gap = 0;
	for (size_t k = p; k < n; k++) {
		if (l[k] == c) {
			if (gap && !spaced)
				return 0;
			count++;
		} else if (l[k] == ' ' || l[k] == '\t') {
			gap = 1;
		} else {
			return 0;
		}
	}
	return count >= (spaced ? 3 : 1) ? c : 0;
}

/* The end of a list marker at l[p] (and the spaces after it), or 0. */
static size_t
list_marker(const char *l, size_t n, size_t p)
{
	size_t k = p;
	if (k < n && (l[k] == '-' || l[k] == '+' || l[k] == '*')) {
		k++;
	} else {
		while (k < n && k - p < 9 && l[k] >= '0' && l[k] <= '9')
			k++;
		if (k == p || k >= n || (l[k] != '.' && l[k] != ')'))
			return 0;
		k++;
	}
	if (k < n && l[k] != ' ' && l[k] != '\t')
		return 0;
	while (k < n && (l[k] == ' ' || l[k] == '\t'))
		k++;
	return k;
}

static void
chunk_add(cf_render *r, const char *l, size_t n)
{
	buf_add(&r->chunk, l, n);
	buf_add(&r->chunk, "\n", 1);
}

static void
flush_chunk(cf_render *r)
{
	if (r->chunk.n) {
		cmark_node *doc = cf_gfm_parse(r->chunk.p, r->chunk.n, CMARK_OPT_DEFAULT);
		if (cmark_node_first_child(doc)) {
			draw_doc(r, doc);
			r->drawn = 1;
		}
		cmark_node_free(doc);
	}
	r->chunk.n = 0;
	r->kind = K_NONE;
	r->blanks = 0;
	r->nfch = 0;
}

static void
scan(cf_render *r, const char *l, size_t n)
{
	size_t p, ind;
	if (r->fence) {
		ind = indent_of(l, n, &p);
		if (ind <= 3 && fence_close(l, n, p, r->fch, r->flen)) {
			code_close(r);
			r->fence = 0;
			return;
		}
		/* the fence's own indentation is not the code's */
		size_t k = 0;
		while (k < n && k < r->findent && l[k] == ' ')
			k++;
		code_line(r, l + k, n - k);
		return;
	}
	if (r->nfch) {
		/* inside a fence inside the list being held: its blank lines
		 * are code */
		chunk_add(r, l, n);
		indent_of(l, n, &p);
		if (fence_close(l, n, p, r->nfch, r->nflen))
			r->nfch = 0;
		return;
	}
	int is_blank = blank(l, n);
	ind = indent_of(l, n, &p);
	if (r->blanks) {
		if (is_blank) {
			r->blanks++;
			return;
		}
		int on = r->kind == K_ICODE ? ind >= 4 : ind >= 1;
		if (on) {
			for (; r->blanks; r->blanks--)
				chunk_add(r, "", 0);
		} else {
			flush_chunk(r);
		}
	}
	if (is_blank) {
		if (r->kind == K_LIST || r->kind == K_ICODE)
			r->blanks = 1;
		else if (r->kind != K_NONE)
			flush_chunk(r);
		return;
	}
	if (r->kind == K_ICODE && ind < 4)
		flush_chunk(r);
	if (r->kind == K_NONE && ind >= 4) {
		r->kind = K_ICODE;
		chunk_add(r, l, n);
		return;
	}
	if (r->kind == K_ICODE) {
		chunk_add(r, l, n);
		return;
	}
	if (ind <= 3 && !(r->kind == K_LIST && ind >= 1)) {
		char ch, rc;
		size_t len;
		if (fence_open(l, n, p, &ch, &len)) {
			flush_chunk(r);
			if (r->drawn)
				blank_line(r);
			r->fence = 1;
			r->fch = ch;
			r->flen = len;
			r->findent = ind;
			size_t k = p + len;
			while (k < n && (l[k] == ' ' || l[k] == '\t'))
				k++;
			code_open(r, l + k, n - k);
			r->drawn = 1;
			return;
		}
		if (atx(l, n, p)) {
			flush_chunk(r);
			chunk_add(r, l, n);
			flush_chunk(r);
			return;
		}
		if ((rc = rule_of(l, n, p, "*_-", 1))) {
			/* under a paragraph, dashes with no space between make
			 * it a heading */
			if (!(rc == '-' && r->kind == K_PARA && rule_of(l, n, p, "-", 0)))
				flush_chunk(r);
			chunk_add(r, l, n);
			flush_chunk(r);
			return;
		}
		if (r->kind == K_PARA && rule_of(l, n, p, "=-", 0)) {
			chunk_add(r, l, n);
			flush_chunk(r);
			return;
		}
		if (list_marker(l, n, p))
			r->kind = K_LIST;
		else if (r->kind == K_NONE)
			r->kind = l[p] == '>' ? K_QUOTE : K_PARA;
	}
	chunk_add(r, l, n);
	if (r->kind == K_LIST) {
		/* a fence opened in an item */
		size_t m = list_marker(l, n, p);
		size_t q = m ? m : p;
		char ch;
		size_t len;
		if (fence_open(l, n, q, &ch, &len)) {
			r->nfch = ch;
			r->nflen = len;
		}
	}
}

/* ---- deltas into lines ---- */

void
cf_render_feed(cf_render *r, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (r->cr) {
			r->cr = 0;
			if (s[i] == '\n') {
				i++;
				continue;
			}
		}
		size_t k = i;
		while (k < n && s[k] != '\n' && s[k] != '\r')
			k++;
		buf_add(&r->line, s + i, k - i);
		if (k == n)
			break;
		scan(r, r->line.p ? r->line.p : "", r->line.n);
		r->line.n = 0;
		r->cr = s[k] == '\r';
		i = k + 1;
	}
	flush_out(r);
}

void
cf_render_finish(cf_render *r)
{
	if (r->line.n)
		scan(r, r->line.p, r->line.n);
	r->line.n = 0;
	r->cr = 0;
	if (r->fence) {
		code_close(r);
		r->fence = 0;
	}
	flush_chunk(r);
	flush_out(r);
}

void
cf_render_free(cf_render *r)
{
	if (!r)
		return;
	if (r->hl)
		cf_hl_free(r->hl);
	links_free(r);
	free(r->links);
	free(r->out.p);
	free(r->line.p);
	free(r->chunk.p);
	free(r->fr);
	st_free(&r->text);
	free(r->lines);
	free(r);
}

void
cf_render_text(const struct cf_render_opt *o, const char *s, size_t n)
{
	cf_render *r = cf_render_new(o);
	cf_render_feed(r, s, n);
	cf_render_finish(r);
	cf_render_free(r);
}

int
cf_render_wanted(int fd, int plain)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	return !plain && isatty(fd) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

int
cf_render_term_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	long v;
	if (c && !cf_parse_long(c, 1, 10000, &v))
		return (int)v;
	return 80;
}
