/* exp_pdf.c — the pdf format: pango lays out each block of a message's
 * cmark tree and cairo writes each page as it fills, so the state kept
 * is one page's (where the pen is, the page number), never the session. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export.h"
#include "pdflibs.h"

#define U(v) ((double)(v) / PANGO_SCALE)
#define MARGIN (72 / 2.54 * 2)  /* 2 cm */
#define INDENT 18.0             /* a list or quote level */
#define CODE_PAD 5.0
#define CELL_PAD 3.0
#define MIN_COL 28.0            /* narrower columns: the table as text */
#define MAX_MARKS 16
#define MAX_QUOTES 16
#define MAX_DEPTH 40            /* nested lists and quotes drawn as such */

/* One description per role a piece of text plays, parsed once: fontconfig
 * falls back per character from these for scripts DejaVu lacks (CJK). */
enum { F_BODY, F_BOLD, F_MONO, F_SMALL, F_TITLE, F_ROLE,
       F_H1, F_H2, F_H3, F_H4, NFONT };
static const char *const font_names[NFONT] = {
	"DejaVu Sans 10", "DejaVu Sans Bold 10", "DejaVu Sans Mono 9",
	"DejaVu Sans 8", "DejaVu Sans Bold 18", "DejaVu Sans Bold 11",
	"DejaVu Sans Bold 15", "DejaVu Sans Bold 13", "DejaVu Sans Bold 11.5",
	"DejaVu Sans Bold 10.5",
};
#define MONO_FAMILY "DejaVu Sans Mono"

struct rgb { double r, g, b; };
static const struct rgb ink = {0.1, 0.1, 0.1}, muted = {0.4, 0.4, 0.4},
	rule = {0.78, 0.78, 0.78}, code_bg = {0.95, 0.95, 0.95},
	head_bg = {0.91, 0.91, 0.91};

/* A link in the text being built: bytes a..b, for the clickable area. */
struct link {
	unsigned a, b;
	char *uri;
};

/* A list marker waiting for the first line of its item, so that it sits
 * on that line's baseline whatever the item starts with. */
struct mark {
	char text[24];
	double right;
};

/* One layout drawn line by line: a paragraph, or a table cell beside
 * others. */
struct col {
	PangoLayout *l;
	double x;
	PangoLayoutIter *it;
	int top;                   /* the layout's y at this page's first line */
	int done, n;               /* n: lines that fit on this page */
	int all;                   /* and they are all there are */
	int lines, drawn;          /* lines: draw only so many (0: all) */
	double used;
	const struct link *link;   /* clickable areas, when the text is p's */
	int nlink, base;           /* base: where the layout's text starts in p's */
};

struct pdf {
	FILE *out;
	int err;                   /* errno of the write that failed */
	int dead;                  /* failed: write nothing more */
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoContext *ctx;
	PangoLayout *lay, *aux;    /* blocks; footers and markers */
	PangoLayout **cell;        /* table columns, grown to the widest table */
	int ncell;
	PangoFontDescription *font[NFONT];
	double pw, ph, left, top, bottom, width;
	double y;                  /* the pen */
	double line;               /* a line of body text */
	int page;
	char *footer_name;
	/* where the block being drawn sits */
	double indent, gap;        /* gap: owed before the next block */
	int fixed;                 /* the gap is exact, not a minimum */
	int tight, level;          /* level: of lists, for the bullets */
	int depth;                 /* of containers being drawn */
	double quote[MAX_QUOTES];
	int nquote;
	struct mark mark[MAX_MARKS];
	int nmark;
	/* the text of one block with its attributes */
	GString *text;
	PangoAttrList *attrs;
	struct link *link;
	int nlink, caplink;
	size_t *stack;
	int nstack, capstack;
};

static void
color(struct pdf *p, struct rgb c)
{
	cairo_set_source_rgb(p->cr, c.r, c.g, c.b);
}

static int
fresh(const struct pdf *p)
{
	return p->y <= p->top;
}

/* ---- pages ---- */

static cairo_status_t
write_out(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf *p = closure;
	if (p->dead)
		return CAIRO_STATUS_WRITE_ERROR;
	errno = 0;
	if (len && fwrite(data, 1, len, p->out) != len) {
		p->err = errno ? errno : EIO;
		p->dead = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* The width of a one-line layout. */
static double
line_width(PangoLayout *l)
{
	PangoRectangle r;
	pango_layout_line_get_extents(pango_layout_get_line_readonly(l, 0), NULL, &r);
	return U(r.width);
}

static void
footer(struct pdf *p)
{
	char num[32];
	snprintf(num, sizeof num, " \u2014 page %d", p->page);
	PangoLayout *l = p->aux;
	pango_layout_set_font_description(l, p->font[F_SMALL]);
	pango_layout_set_attributes(l, NULL);
	pango_layout_set_width(l, -1);
	pango_layout_set_text(l, num, -1);
	double wnum = line_width(l);
	/* the name gives way to the page number when they do not fit */
	pango_layout_set_text(l, p->footer_name, -1);
	pango_layout_set_width(l, (int)((p->width - wnum) * PANGO_SCALE));
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	double wname = line_width(l);
	PangoRectangle r;
	pango_layout_get_extents(l, NULL, &r);
	double x = p->left + (p->width - wname - wnum) / 2;
	double y = p->ph - MARGIN / 2 - U(r.height) / 2;
	color(p, muted);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_NONE);
	pango_layout_set_width(l, -1);
	pango_layout_set_text(l, num, -1);
	cairo_move_to(p->cr, x + wname, y);
	pango_cairo_show_layout(p->cr, l);
}

static void
new_page(struct pdf *p)
{
	footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = p->top;
}

/* The quote rules beside y0..y1 of this page. */
static void
rules(struct pdf *p, double y0, double y1)
{
	if (!p->nquote || y1 <= y0)
		return;
	color(p, rule);
	cairo_set_line_width(p->cr, 2);
	for (int i = 0; i < p->nquote; i++) {
		cairo_move_to(p->cr, p->quote[i], y0);
		cairo_line_to(p->cr, p->quote[i], y1);
	}
	cairo_stroke(p->cr);
}

/* Vertical space, none at the top of a page. */
static void
space(struct pdf *p, double h)
{
	if (fresh(p))
		return;
	if (p->y + h >= p->bottom) {
		new_page(p);
		return;
	}
	rules(p, p->y, p->y + h);
	p->y += h;
}

/* The space before a block: the larger of its own and what the block
 * before owes, or exactly the owed one after a heading or at the start of
 * a list or quote (which have spaced already). */
static void
open_block(struct pdf *p, double before)
{
	space(p, p->fixed || p->gap > before ? p->gap : before);
	p->gap = 0;
	p->fixed = 0;
}

static void
owe(struct pdf *p, double gap, int fixed)
{
	p->gap = gap;
	p->fixed = fixed;
}

/* What comes next must start on the next page unless h fits on this
 * one: a heading goes with the lines under it. */
static void
need(struct pdf *p, double h)
{
	if (!fresh(p) && p->y + h > p->bottom)
		new_page(p);
}

/* ---- lines ---- */

static void
draw_marks(struct pdf *p, double baseline)
{
	PangoLayout *l = p->aux;
	pango_layout_set_font_description(l, p->font[F_BODY]);
	pango_layout_set_width(l, -1);
	pango_layout_set_attributes(l, NULL);
	for (int i = 0; i < p->nmark; i++) {
		pango_layout_set_text(l, p->mark[i].text, -1);
		PangoRectangle r;
		pango_layout_get_extents(l, NULL, &r);
		color(p, ink);
		cairo_move_to(p->cr, p->mark[i].right - U(r.width),
		              baseline - U(pango_layout_get_baseline(l)));
		pango_cairo_show_layout(p->cr, l);
	}
	p->nmark = 0;
}

/* Makes the parts of links on this line clickable: cairo takes the areas
 * as rectangles, since the text is drawn a line at a time. */
static void
link_areas(struct pdf *p, const struct col *c, PangoLayoutLine *line,
           double x, double y, double h)
{
	int a = pango_layout_line_get_start_index(line);
	int b = a + pango_layout_line_get_length(line);
	for (int i = 0; i < c->nlink; i++) {
		const struct link *k = &c->link[i];
		int ka = (int)k->a - c->base, kb = (int)k->b - c->base;
		if (kb <= a || ka >= b || !cf_link_clickable(k->uri))
			continue;
		int *r, n;
		pango_layout_line_get_x_ranges(line, ka > a ? ka : a, kb < b ? kb : b,
		                               &r, &n);
		if (n > 0) {
			/* whole numbers: cairo parses them the same in any locale */
			GString *s = g_string_new("rect=[");
			for (int j = 0; j < n; j++)
				g_string_append_printf(s, "%ld %ld %ld %ld ",
				                       (long)(x + U(r[2 * j])), (long)y,
				                       (long)(U(r[2 * j + 1] - r[2 * j]) + 1.5),
				                       (long)(h + 0.5));
			/* cairo 1.16 writes the address into the file as it
			 * gets it, and an unbalanced parenthesis breaks the
			 * file: the rest is percent-encoded, as in a URI */
			g_string_append(s, "] uri='");
			for (const unsigned char *u = (const unsigned char *)k->uri; *u; u++) {
				if (g_ascii_isalnum(*u) || strchr("-._~:/?#[]@!$&*+,;=%", *u))
					g_string_append_c(s, (char)*u);
				else
					g_string_append_printf(s, "%%%02X", *u);
			}
			g_string_append_c(s, '\'');
			cairo_tag_begin(p->cr, CAIRO_TAG_LINK, s->str);
			cairo_tag_end(p->cr, CAIRO_TAG_LINK);
			g_string_free(s, TRUE);
		}
		g_free(r);
	}
}

/* How many of c's next lines fit in avail points (one at least when
 * forced), and their height. */
static void
measure(struct col *c, double avail, int force)
{
	PangoLayoutIter *m = pango_layout_iter_copy(c->it);
	int y0, y1;
	pango_layout_iter_get_line_yrange(m, &c->top, &y1);
	c->n = 0;
	c->used = 0;
	c->all = 0;
	for (;;) {
		pango_layout_iter_get_line_yrange(m, &y0, &y1);
		if (U(y1 - c->top) > avail && !(force && c->n == 0))
			break;
		c->used = U(y1 - c->top);
		c->n++;
		if ((c->lines && c->drawn + c->n >= c->lines) ||
		    !pango_layout_iter_next_line(m)) {
			c->all = 1;
			break;
		}
	}
	pango_layout_iter_free(m);
}

static void
draw_lines(struct pdf *p, struct col *c, double y, int marks)
{
	color(p, ink);
	for (int i = 0; i < c->n; i++) {
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(c->it);
		PangoRectangle r;
		int y0, y1;
		pango_layout_iter_get_line_extents(c->it, NULL, &r);
		pango_layout_iter_get_line_yrange(c->it, &y0, &y1);
		double base = y + U(pango_layout_iter_get_baseline(c->it) - c->top);
		cairo_move_to(p->cr, c->x + U(r.x), base);
		pango_cairo_show_layout_line(p->cr, line);
		if (c->nlink)
			link_areas(p, c, line, c->x, y + U(y0 - c->top), U(y1 - y0));
		if (marks && i == 0 && p->nmark) {
			draw_marks(p, base);
			color(p, ink);
		}
		c->drawn++;
		if (!pango_layout_iter_next_line(c->it) ||
		    (c->lines && c->drawn >= c->lines))
			c->done = 1;
	}
}

typedef void under_fn(struct pdf *p, double y, double h, void *ctx);

/* Draws n layouts side by side from the pen on, breaking pages between
 * lines, so a block of any length prints.  under draws each page's part
 * of the box or grid (h high, padding included) before its text.  The
 * padding is pad on the inner edges of a page break, top and bottom at
 * the block's own ends (0 where the block goes on in another flow), and
 * pad is always kept free at the foot of the page so a box can close. */
static void
flow(struct pdf *p, struct col *c, int n, double top, double bottom,
     double pad, under_fn *under, void *ctx)
{
	for (int i = 0; i < n; i++) {
		c[i].it = pango_layout_get_iter(c[i].l);
		c[i].done = 0;
		c[i].drawn = 0;
	}
	for (int first = 1, force = 0;; first = 0) {
		double avail = p->bottom - p->y - top - pad, h = 0;
		int any = 0, more = 0;
		for (int i = 0; i < n; i++) {
			c[i].n = 0;
			c[i].used = 0;
			if (!c[i].done) {
				/* on a fresh page a line taller than the page
				 * prints anyway */
				measure(&c[i], avail, force);
				any |= c[i].n > 0;
				more |= !c[i].all;
			}
		}
		force = 0;
		if (!any) {
			/* the box begun by the flow before closes on this page */
			if (!fresh(p) && first && top == 0 && pad > 0 && under) {
				under(p, p->y - 1, pad + 1, ctx);
				rules(p, p->y, p->y + pad);
			}
			if (fresh(p))
				force = 1;
			else
				new_page(p);
			top = pad;
			continue;
		}
		for (int i = 0; i < n; i++)
			if (c[i].used > h)
				h = c[i].used;
		double end = more ? pad : bottom;
		/* a box going on from the flow before overlaps it a little, so
		 * no seam shows between them */
		int joined = first && top == 0 && pad > 0;
		if (under)
			under(p, p->y - joined, top + h + end + joined, ctx);
		rules(p, p->y, p->y + top + h + end);
		for (int i = 0; i < n; i++)
			if (c[i].n)
				draw_lines(p, &c[i], p->y + top, i == 0);
		p->y += top + h + end;
		if (!more)
			break;
		new_page(p);
		top = pad;
	}
	for (int i = 0; i < n; i++)
		pango_layout_iter_free(c[i].it);
}

/* ---- text with attributes ---- */

/* Pango marks a word broken at a line's end with a hyphen that is not in
 * the text: in a URL or in code it would read as part of it. */
static void
no_hyphens(PangoAttrList *a)
{
	PangoAttribute *h = pango_attr_insert_hyphens_new(FALSE);
	h->start_index = 0;
	h->end_index = PANGO_ATTR_INDEX_TO_TEXT_END;
	pango_attr_list_insert(a, h);
}

static void
text_reset(struct pdf *p)
{
	g_string_truncate(p->text, 0);
	if (p->attrs)
		pango_attr_list_unref(p->attrs);
	p->attrs = pango_attr_list_new();
	no_hyphens(p->attrs);
	for (int i = 0; i < p->nlink; i++)
		free(p->link[i].uri);
	p->nlink = 0;
	p->nstack = 0;
}

static void
add(struct pdf *p, const char *s)
{
	g_string_append(p->text, s);
}

static void
attr(struct pdf *p, PangoAttribute *a, size_t start)
{
	a->start_index = (guint)start;
	a->end_index = (guint)p->text->len;
	pango_attr_list_insert(p->attrs, a);
}

static void
add_link(struct pdf *p, size_t start, const char *uri)
{
	if (p->nlink == p->caplink) {
		p->caplink = p->caplink ? p->caplink * 2 : 8;
		p->link = cf_xrealloc(p->link, p->caplink * sizeof *p->link);
	}
	p->link[p->nlink++] = (struct link){(unsigned)start,
		(unsigned)p->text->len, cf_xstrdup(uri)};
}

static void
push(struct pdf *p, size_t v)
{
	if (p->nstack == p->capstack) {
		p->capstack = p->capstack ? p->capstack * 2 : 16;
		p->stack = cf_xrealloc(p->stack, p->capstack * sizeof *p->stack);
	}
	p->stack[p->nstack++] = v;
}

static void
muted_from(struct pdf *p, size_t start)
{
	attr(p, pango_attr_foreground_new(0x6666, 0x6666, 0x6666), start);
}

/* A block's inlines into p->text with attributes.  Everything is text:
 * no markup language is ever parsed, so raw HTML shows as written. */
static void
inlines(struct pdf *p, cmark_node *node)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		int enter = ev == CMARK_EVENT_ENTER;
		size_t start;
		const char *url;
		if (n == node)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_HTML_INLINE:
			add(p, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
			add(p, " ");
			break;
		case CMARK_NODE_LINEBREAK:
			add(p, "\n");
			break;
		case CMARK_NODE_CODE:
			start = p->text->len;
			add(p, cmark_node_get_literal(n));
			attr(p, pango_attr_family_new(MONO_FAMILY), start);
			attr(p, pango_attr_scale_new(0.92), start);
			attr(p, pango_attr_background_new(0xeeee, 0xeeee, 0xeeee), start);
			break;
		case CMARK_NODE_EMPH:
		case CMARK_NODE_STRONG:
		case CMARK_NODE_LINK:
			if (enter) {
				push(p, p->text->len);
				break;
			}
			start = p->stack[--p->nstack];
			if (cmark_node_get_type(n) == CMARK_NODE_EMPH) {
				attr(p, pango_attr_style_new(PANGO_STYLE_ITALIC), start);
				break;
			}
			if (cmark_node_get_type(n) == CMARK_NODE_STRONG) {
				attr(p, pango_attr_weight_new(PANGO_WEIGHT_BOLD), start);
				break;
			}
			attr(p, pango_attr_foreground_new(0x1a1a, 0x4f4f, 0xb5b5), start);
			attr(p, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE), start);
			url = cmark_node_get_url(n);
			/* the address is printed too: paper has no hover */
			if (url && *url && !cf_link_says(url, p->text->str + start)) {
				size_t u = p->text->len;
				add(p, " (");
				add(p, url);
				add(p, ")");
				muted_from(p, u);
			}
			if (url && *url)
				add_link(p, start, url);
			break;
		case CMARK_NODE_IMAGE:
			if (enter) {
				push(p, p->text->len);
				add(p, "[image: ");
				break;
			}
			start = p->stack[--p->nstack];
			if (p->text->len == start + 8)
				g_string_truncate(p->text, start + 6);
			add(p, "]");
			url = cmark_node_get_url(n);
			if (url && *url) {
				add(p, " (");
				add(p, url);
				add(p, ")");
			}
			muted_from(p, start);
			break;
		default:
			if (!cf_md_is(n, "strikethrough"))
				break;
			if (enter) {
				push(p, p->text->len);
				break;
			}
			start = p->stack[--p->nstack];
			attr(p, pango_attr_strikethrough_new(TRUE), start);
			break;
		}
	}
	cmark_iter_free(it);
	/* trailing newlines (a code block's last) would add an empty line */
	while (p->text->len && p->text->str[p->text->len - 1] == '\n')
		g_string_truncate(p->text, p->text->len - 1);
}

/* Puts p->text on layout l, width points wide. */
static void
set_text(struct pdf *p, PangoLayout *l, int font, double width)
{
	pango_layout_set_font_description(l, p->font[font]);
	pango_layout_set_width(l, width < 0 ? -1 : (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(l, p->text->str, (int)p->text->len);
	pango_layout_set_attributes(l, p->attrs);
}

/* Pango lays out a text's paragraphs (its hard line breaks) in time
 * that grows with the square of their number: a 30,000-line code block
 * took 28 s in one layout.  So a long text goes through in runs of this
 * many paragraphs, which lay out the same as the whole. */
#define CHUNK_LINES 200
/* One paragraph, too, takes time in the square of its length when it is
 * a long word broken anywhere (200 KB took 25 s), and past about 250 KB
 * pango lays it out as a single line, the rest lost.  So a run ends
 * after this many bytes at the latest: it is laid out, all its lines but
 * the last are drawn, and the next run starts where that line did, so
 * the lines are the ones the whole paragraph would have. */
#define CHUNK_BYTES 4096

/* p->text from the pen on, x from the left, width wide; with pad > 0 on
 * a box under(). */
static void
flow_chunks(struct pdf *p, int font, double x, double width, double pad,
            under_fn *under)
{
	const char *s = p->text->str;
	size_t len = p->text->len, pos = 0;
	do {
		size_t end = pos, next;
		int cut = 0;
		for (int nl = 0; end < len; end++) {
			if (end - pos >= CHUNK_BYTES) {
				cut = 1;
				break;
			}
			if (s[end] == '\n' && ++nl == CHUNK_LINES)
				break;
		}
		/* not inside a character */
		while (cut && end > pos + 1 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
		PangoLayout *l = p->lay;
		pango_layout_set_font_description(l, p->font[font]);
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_text(l, s + pos, (int)(end - pos));
		if (pos == 0) {
			pango_layout_set_attributes(l, p->attrs);
		} else {
			PangoAttrList *a = pango_attr_list_copy(p->attrs);
			pango_attr_list_update(a, 0, (int)pos, 0);
			no_hyphens(a);
			pango_layout_set_attributes(l, a);
			pango_attr_list_unref(a);
		}
		struct col c = {.l = l, .x = x, .link = p->link, .nlink = p->nlink,
		                .base = (int)pos};
		next = end + 1;
		if (cut) {
			/* the last line may go on past the cut: it starts the
			 * next run (a line of 4 KB alone is cut where it is) */
			int n = pango_layout_get_line_count(l);
			next = end;
			if (n > 1) {
				c.lines = n - 1;
				next = pos + (size_t)pango_layout_line_get_start_index(
					pango_layout_get_line_readonly(l, n - 1));
			}
		}
		flow(p, &c, 1, pos == 0 ? pad : 0, next >= len ? pad : 0, pad,
		     under, NULL);
		pos = next;
	} while (pos < len);
}

static void
flow_text(struct pdf *p, int font)
{
	flow_chunks(p, font, p->left + p->indent, p->width - p->indent, 0, NULL);
}

static void
box_under(struct pdf *p, double y, double h, void *ctx)
{
	(void)ctx;
	color(p, code_bg);
	cairo_rectangle(p->cr, p->left + p->indent, y, p->width - p->indent, h);
	cairo_fill(p->cr);
}

/* Preformatted text: fenced code on a grey box, raw HTML without one. */
static void
literal(struct pdf *p, const char *s, int box)
{
	text_reset(p);
	add(p, s);
	while (p->text->len && p->text->str[p->text->len - 1] == '\n')
		g_string_truncate(p->text, p->text->len - 1);
	double pad = box ? CODE_PAD : 0;
	flow_chunks(p, F_MONO, p->left + p->indent + pad,
	            p->width - p->indent - 2 * pad, pad, box ? box_under : NULL);
}

/* ---- tables ---- */

struct grid {
	int ncol, header;
	double x[64], w[64];
};

static void
grid_under(struct pdf *p, double y, double h, void *ctx)
{
	struct grid *g = ctx;
	double x0 = g->x[0], x1 = g->x[g->ncol - 1] + g->w[g->ncol - 1];
	if (g->header) {
		color(p, head_bg);
		cairo_rectangle(p->cr, x0, y, x1 - x0, h);
		cairo_fill(p->cr);
	}
	color(p, rule);
	cairo_set_line_width(p->cr, 0.6);
	for (int i = 0; i < g->ncol; i++)
		cairo_rectangle(p->cr, g->x[i], y, g->w[i], h);
	cairo_stroke(p->cr);
}

/* Cell i of a row of cmark-gfm's table, its inlines drawn as in any
 * paragraph. */
static void
cell_text(struct pdf *p, cmark_node *row, int i)
{
	text_reset(p);
	cmark_node *c = cmark_node_first_child(row);
	while (c && i-- > 0)
		c = cmark_node_next(c);
	if (c)
		inlines(p, c);
	/* the clickable areas are drawn for whole blocks only */
	for (int k = 0; k < p->nlink; k++)
		free(p->link[k].uri);
	p->nlink = 0;
}

static PangoAlignment
cell_align(cmark_node *tbl, int i)
{
	int a = cf_md_align(tbl, i);
	return a == 'c' ? PANGO_ALIGN_CENTER : a == 'r' ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
}

/* A row's cells on the column layouts; returns the tallest's height. */
static double
row_cells(struct pdf *p, cmark_node *tbl, cmark_node *row, const struct grid *g,
          struct col *c)
{
	double h = 0;
	int head = cf_md_header_row(row);
	for (int i = 0; i < g->ncol; i++) {
		cell_text(p, row, i);
		set_text(p, p->cell[i], head ? F_BOLD : F_BODY, g->w[i] - 2 * CELL_PAD);
		pango_layout_set_alignment(p->cell[i], cell_align(tbl, i));
		c[i] = (struct col){.l = p->cell[i], .x = g->x[i] + CELL_PAD};
		PangoRectangle e;
		pango_layout_get_extents(p->cell[i], NULL, &e);
		if (U(e.height) > h)
			h = U(e.height);
	}
	return h;
}

/* A table from cmark-gfm's tree; returns 0 when its columns would be
 * too narrow to draw. */
static int
table(struct pdf *p, cmark_node *tbl)
{
	int ncol = cf_md_columns(tbl);
	cmark_node *head = NULL;
	for (cmark_node *r = cmark_node_first_child(tbl); r && !head; r = cmark_node_next(r))
		if (cf_md_is_row(r))
			head = r;
	double avail = p->width - p->indent;
	if (ncol == 0 || ncol > 64 || avail / ncol < MIN_COL)
		return 0;
	if (ncol > p->ncell) {
		p->cell = cf_xrealloc(p->cell, ncol * sizeof *p->cell);
		while (p->ncell < ncol)
			p->cell[p->ncell++] = pango_layout_new(p->ctx);
	}

	/* columns as wide as their widest cell when they all fit; else the
	 * narrow ones keep theirs and the rest share what is left */
	struct grid g = {.ncol = ncol};
	double nat[64] = {0};
	for (cmark_node *row = head; row; row = cmark_node_next(row)) {
		if (!cf_md_is_row(row))
			continue;
		for (int i = 0; i < ncol; i++) {
			cell_text(p, row, i);
			set_text(p, p->aux, cf_md_header_row(row) ? F_BOLD : F_BODY, -1);
			PangoRectangle e;
			pango_layout_get_extents(p->aux, NULL, &e);
			if (U(e.width) + 2 * CELL_PAD + 1 > nat[i])
				nat[i] = U(e.width) + 2 * CELL_PAD + 1;
		}
	}
	pango_layout_set_attributes(p->aux, NULL);
	double sum = 0, rest = avail;
	int left = ncol;
	char fixed[64] = {0};
	for (int i = 0; i < ncol; i++)
		sum += nat[i];
	if (sum <= avail) {
		for (int i = 0; i < ncol; i++)
			g.w[i] = nat[i];
	} else {
		for (int moved = 1; moved && left;) {
			moved = 0;
			double fair = rest / left;
			for (int i = 0; i < ncol; i++)
				if (!fixed[i] && nat[i] <= fair) {
					g.w[i] = nat[i];
					fixed[i] = 1;
					rest -= nat[i];
					left--;
					moved = 1;
				}
		}
		for (int i = 0; i < ncol; i++)
			if (!fixed[i])
				g.w[i] = rest / left;
	}
	g.x[0] = p->left + p->indent;
	for (int i = 1; i < ncol; i++)
		g.x[i] = g.x[i - 1] + g.w[i - 1];

	struct col c[64];
	for (cmark_node *row = head; row; row = cmark_node_next(row)) {
		if (!cf_md_is_row(row))
			continue;
		int first = row == head;
		double h = row_cells(p, tbl, row, &g, c) + 2 * CELL_PAD;
		/* a row that fits on a page is not cut, and the header goes
		 * with the first row */
		double want = first ? h + p->line + 2 * CELL_PAD : h;
		if (want <= p->bottom - p->top)
			need(p, want);
		if (!first && fresh(p)) {
			/* the header again at the top of each page */
			row_cells(p, tbl, head, &g, c);
			g.header = 1;
			flow(p, c, ncol, CELL_PAD, CELL_PAD, CELL_PAD, grid_under, &g);
			row_cells(p, tbl, row, &g, c);
		}
		g.header = first;
		flow(p, c, ncol, CELL_PAD, CELL_PAD, CELL_PAD, grid_under, &g);
	}
	return 1;
}

/* ---- blocks ---- */

static void block(struct pdf *p, cmark_node *n);

/* Below MAX_DEPTH containers, the leaf blocks of n in order, each drawn
 * as it is but where the pen is: quotes and lists nested deeper add no
 * indent, rule or marker.  A walk, not a recursion: a message of 100,000
 * '>' nests that deep, and a call per level ran out of stack. */
static void
flat(struct pdf *p, cmark_node *n)
{
	cmark_iter *it = cmark_iter_new(n);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *c = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || c == n)
			continue;
		if (cf_md_is(c, "table")) {
			block(p, c);
			cmark_iter_reset(it, c, CMARK_EVENT_EXIT);
			continue;
		}
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_THEMATIC_BREAK:
			block(p, c);
			cmark_iter_reset(it, c, CMARK_EVENT_EXIT);
			break;
		default:           /* a container: its blocks come next */
			break;
		}
	}
	cmark_iter_free(it);
}

static void
blocks(struct pdf *p, cmark_node *n)
{
	if (p->depth >= MAX_DEPTH) {
		flat(p, n);
		return;
	}
	p->depth++;
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c))
		block(p, c);
	p->depth--;
}

/* Indents by d unless that leaves too narrow a column: deep nesting
 * stops moving right instead of squeezing the text to nothing. */
static double
indent(struct pdf *p, double d)
{
	if (p->indent + d > p->width / 2)
		return 0;
	p->indent += d;
	return d;
}

/* An item's marker: its number or bullet; a task's box (a ballot box,
 * checked or not) in place of the bullet, or after the number.  task is
 * cf_md_task's. */
static void
marker(struct pdf *p, cmark_node *list, int num, int task, char out[24])
{
	const char *box = task < 0 ? "" : task ? "\u2611" : "\u2610";
	if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST)
		snprintf(out, 24, "%d%c%s%s", num,
		         cmark_node_get_list_delim(list) == CMARK_PAREN_DELIM ? ')' : '.',
		         *box ? " " : "", box);
	else if (*box)
		snprintf(out, 24, "%s", box);
	else
		/* one bullet per level, as browsers draw them */
		snprintf(out, 24, "%s",
		         (const char *[]){"\u2022", "\u25e6", "\u25aa"}[(p->level + 2) % 3]);
}

/* How far a list's items are indented: enough for its widest number,
 * so that the numbers stay inside the margin and the items line up. */
static double
list_step(struct pdf *p, cmark_node *list)
{
	if (cmark_node_get_list_type(list) != CMARK_ORDERED_LIST)
		return INDENT;
	int n = 0, start = cmark_node_get_list_start(list), task = -1;
	for (cmark_node *c = cmark_node_first_child(list); c; c = cmark_node_next(c)) {
		n++;
		if (cf_md_task(c) >= 0)
			task = 0;
	}
	char widest[24];
	marker(p, list, start + (n ? n - 1 : 0), task, widest);
	PangoLayout *l = p->aux;
	pango_layout_set_font_description(l, p->font[F_BODY]);
	pango_layout_set_width(l, -1);
	pango_layout_set_attributes(l, NULL);
	pango_layout_set_text(l, widest, -1);
	PangoRectangle r;
	pango_layout_get_extents(l, NULL, &r);
	return U(r.width) + 8 > INDENT ? U(r.width) + 8 : INDENT;
}

static void
item(struct pdf *p, cmark_node *list, cmark_node *n, int num, double step)
{
	double d = indent(p, step);
	if (p->nmark < MAX_MARKS) {
		struct mark *m = &p->mark[p->nmark++];
		marker(p, list, num, cf_md_task(n), m->text);
		m->right = p->left + p->indent - 5;
	}
	blocks(p, n);
	if (p->nmark) {
		/* an item with no lines of its own still shows its marker */
		text_reset(p);
		flow_text(p, F_BODY);
	}
	p->indent -= d;
}

/* Too many columns to draw: a row a line, its cells between pipes. */
static void
table_as_text(struct pdf *p, cmark_node *tbl)
{
	GString *s = g_string_new(NULL);
	for (cmark_node *r = cmark_node_first_child(tbl); r; r = cmark_node_next(r)) {
		int j = 0;
		for (cmark_node *c = cmark_node_first_child(r); c; c = cmark_node_next(c)) {
			char *t = cf_md_plain(c);
			g_string_append(s, j++ ? " | " : "| ");
			g_string_append(s, t);
			free(t);
		}
		g_string_append(s, " |\n");
	}
	literal(p, s->str, 0);
	g_string_free(s, TRUE);
}

static void
block(struct pdf *p, cmark_node *n)
{
	double d;
	int tight, num, first;
	if (cf_md_is(n, "table")) {
		open_block(p, p->tight ? 2 : 6);
		if (p->nmark) {
			text_reset(p);
			flow_text(p, F_BODY);
		}
		if (!table(p, n))
			table_as_text(p, n);
		owe(p, 6, 0);
		return;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		open_block(p, p->tight ? 2 : 6);
		text_reset(p);
		inlines(p, n);
		flow_text(p, F_BODY);
		break;
	case CMARK_NODE_HEADING: {
		int level = cmark_node_get_heading_level(n);
		int font = level <= 1 ? F_H1 : level == 2 ? F_H2 : level == 3 ? F_H3 : F_H4;
		open_block(p, level <= 2 ? 14 : 10);
		text_reset(p);
		inlines(p, n);
		set_text(p, p->lay, font, p->width - p->indent);
		PangoRectangle e;
		pango_layout_get_extents(p->lay, NULL, &e);
		need(p, U(e.height) + 2 * p->line);
		flow_text(p, font);
		owe(p, 4, 1);
		break;
	}
	case CMARK_NODE_CODE_BLOCK:
		open_block(p, 6);
		if (p->nmark) {
			/* the marker on the item's line, then the box below it */
			text_reset(p);
			flow_text(p, F_BODY);
		}
		literal(p, cmark_node_get_literal(n), 1);
		owe(p, 6, 0);
		break;
	case CMARK_NODE_HTML_BLOCK:
		open_block(p, 6);
		literal(p, cmark_node_get_literal(n), 0);
		owe(p, 6, 0);
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		open_block(p, 6);
		need(p, 10);
		rules(p, p->y, p->y + 10);
		color(p, rule);
		cairo_set_line_width(p->cr, 0.8);
		cairo_move_to(p->cr, p->left + p->indent, p->y + 5);
		cairo_line_to(p->cr, p->left + p->width, p->y + 5);
		cairo_stroke(p->cr);
		p->y += 10;
		owe(p, 6, 0);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		open_block(p, 6);
		d = indent(p, INDENT - 4);
		/* past the deepest indent, quotes get no rule of their own */
		first = d && p->nquote < MAX_QUOTES;
		if (first)
			p->quote[p->nquote++] = p->left + p->indent - d + 3;
		owe(p, 0, 1);
		blocks(p, n);
		if (first)
			p->nquote--;
		p->indent -= d;
		owe(p, 6, 0);
		break;
	case CMARK_NODE_LIST:
		open_block(p, p->tight ? 2 : 6);
		tight = p->tight;
		p->tight = cmark_node_get_list_tight(n);
		num = cmark_node_get_list_start(n);
		first = 1;
		p->level++;
		d = list_step(p, n);
		for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
			if (first)
				owe(p, 0, 1);
			first = 0;
			item(p, n, c, num++, d);
		}
		p->level--;
		p->tight = tight;
		owe(p, tight ? 2 : 6, 0);
		break;
	default:
		blocks(p, n);
		break;
	}
}

/* ---- the format ---- */

static void
drop(cf_export *x)
{
	struct pdf *p = x->priv;
	if (!p)
		return;
	/* a failed export writes nothing more, not even the trailer */
	p->dead = 1;
	text_reset(p);
	pango_attr_list_unref(p->attrs);
	g_string_free(p->text, TRUE);
	free(p->link);
	free(p->stack);
	for (int i = 0; i < p->ncell; i++)
		g_object_unref(p->cell[i]);
	free(p->cell);
	if (p->lay)
		g_object_unref(p->lay);
	if (p->aux)
		g_object_unref(p->aux);
	if (p->ctx)
		g_object_unref(p->ctx);
	for (int i = 0; i < NFONT; i++)
		if (p->font[i])
			pango_font_description_free(p->font[i]);
	if (p->cr)
		cairo_destroy(p->cr);
	if (p->surf)
		cairo_surface_destroy(p->surf);
	free(p->footer_name);
	free(p);
	x->priv = NULL;
}

/* 0 while everything was written; else frees the state and sets errno. */
static int
check(cf_export *x)
{
	struct pdf *p = x->priv;
	cairo_status_t s = cairo_surface_status(p->surf);
	if (s == CAIRO_STATUS_SUCCESS)
		s = cairo_status(p->cr);
	if (s == CAIRO_STATUS_SUCCESS && !p->err)
		return 0;
	int e = p->err ? p->err : s == CAIRO_STATUS_NO_MEMORY ? ENOMEM : EIO;
	drop(x);
	errno = e;
	return -1;
}

static void
title(struct pdf *p, jv s, const char *name)
{
	text_reset(p);
	add(p, name);
	flow_text(p, F_TITLE);

	char when[40];
	text_reset(p);
	cf_when_human(cf_jstr(s, "created"), when);
	add(p, "Created ");
	add(p, when);
	const char *prov = cf_jstr_or_null(s, "provider");
	const char *model = cf_jstr_or_null(s, "model");
	if (prov) {
		add(p, " \u00b7 ");
		add(p, prov);
	}
	if (model) {
		add(p, " \u00b7 ");
		add(p, model);
	}
	muted_from(p, 0);
	space(p, 4);
	flow_text(p, F_SMALL);
	owe(p, 10, 0);
}

static int
pdf_begin(cf_export *x)
{
	struct pdf *p = calloc(1, sizeof *p);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	x->priv = p;
	p->out = x->out;
	int letter = x->opt && x->opt->letter;
	p->pw = letter ? 612 : 595.28;
	p->ph = letter ? 792 : 841.89;
	p->left = p->top = MARGIN;
	p->width = p->pw - 2 * MARGIN;
	p->bottom = p->ph - MARGIN;
	p->y = p->top;
	p->page = 1;
	p->text = g_string_new(NULL);
	text_reset(p);

	const char *name = cf_jstr(x->session, "name");
	if (!*name)
		name = "Untitled";
	/* the footer is one line */
	p->footer_name = cf_xstrdup(name);
	for (char *c = p->footer_name; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';

	p->surf = cairo_pdf_surface_create_for_stream(write_out, p, p->pw, p->ph);
	p->cr = cairo_create(p->surf);
	if (check(x))
		return -1;
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_TITLE, name);
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATOR,
	                               "confab chat-export");
	/* the session's time, not the export's: the same session exports
	 * to the same bytes */
	const char *created = cf_jstr(x->session, "created");
	if (strlen(created) >= 19) {
		char date[24];
		snprintf(date, sizeof date, "%.19sZ", created);
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATE_DATE, date);
	}

	p->ctx = pango_cairo_create_context(p->cr);
	/* rounding to whole points suits screens; on paper it spaces text
	 * unevenly */
	pango_context_set_round_glyph_positions(p->ctx, FALSE);
	p->lay = pango_layout_new(p->ctx);
	p->aux = pango_layout_new(p->ctx);
	for (int i = 0; i < NFONT; i++)
		p->font[i] = pango_font_description_from_string(font_names[i]);
	PangoFontMetrics *m = pango_context_get_metrics(p->ctx, p->font[F_BODY], NULL);
	p->line = U(pango_font_metrics_get_height(m));
	pango_font_metrics_unref(m);
	if (p->line <= 0)
		p->line = 12;

	title(p, x->session, name);
	return check(x);
}

static int
pdf_message(cf_export *x, jv msg, cmark_node *doc)
{
	struct pdf *p = x->priv;
	p->indent = 0;
	p->nquote = p->nmark = p->level = p->tight = p->depth = 0;

	/* the heading: the role, then when and which model, quieter */
	text_reset(p);
	char head[200];
	add(p, cf_msg_heading(msg, head, sizeof head));
	size_t meta = p->text->len;
	char when[40];
	const char *ts = cf_jstr(msg, "timestamp");
	if (*ts) {
		cf_when_human(ts, when);
		add(p, "   ");
		add(p, when);
	}
	jv md = jv_object_get(jv_copy(msg), jv_string("metadata"));
	const char *model = cf_jstr_or_null(md, "model");
	if (model && *model) {
		add(p, " \u00b7 ");
		add(p, model);
	}
	jv_free(md);
	if (p->text->len > meta) {
		attr(p, pango_attr_weight_new(PANGO_WEIGHT_NORMAL), meta);
		attr(p, pango_attr_size_new(8 * PANGO_SCALE), meta);
		muted_from(p, meta);
	}
	set_text(p, p->lay, F_ROLE, p->width);
	PangoRectangle e;
	pango_layout_get_extents(p->lay, NULL, &e);
	space(p, p->gap > 14 ? p->gap : 14);
	p->gap = 0;
	need(p, U(e.height) + 8 + 2 * p->line);
	color(p, rule);
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, p->left, p->y);
	cairo_line_to(p->cr, p->left + p->width, p->y);
	cairo_stroke(p->cr);
	p->y += 5;
	flow_text(p, F_ROLE);
	owe(p, 4, 1);

	blocks(p, doc);
	return check(x);
}

static int
pdf_end(cf_export *x)
{
	struct pdf *p = x->priv;
	footer(p);
	cairo_show_page(p->cr);
	if (check(x))
		return -1;
	cairo_surface_finish(p->surf);
	if (check(x))
		return -1;
	drop(x);
	return 0;
}

const struct cf_format cf_fmt_pdf = {
	.name = "pdf", .ext = "pdf", .binary = 1, .load = cf_pdf_load,
	.begin = pdf_begin, .message = pdf_message, .end = pdf_end,
};
