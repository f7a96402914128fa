/* exp_docx.c — chat-export's docx: Office Open XML (WordprocessingML),
 * zipped by libarchive.
 *
 * What grows with the session (document.xml's body, the hyperlinks'
 * relationships, one numbering instance per numbered list) goes to
 * temporary files as messages arrive, so memory stays flat; end knows
 * every part's size and streams the zip, which a pipe can take. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <glib.h>

#include "export.h"
#include "arclib.h"

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PR "http://schemas.openxmlformats.org/package/2006/relationships"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

/* Relationship ids rId1..rId3 are the fixed parts; hyperlinks follow. */
#define FIXED_RELS 3
/* numId 1 is every bullet list; numbered lists get 2, 3, ... so each
 * restarts at its own start. */
#define BULLETS 1
#define STEP 720         /* twips of indent per list or quote level */
#define MAX_LEVEL 8      /* Word's deepest list level */

struct docx {
	FILE *body;      /* document.xml between <w:body> and <w:sectPr> */
	FILE *rels;      /* hyperlink <Relationship>s */
	FILE *nums;      /* <w:num>s of the numbered lists */
	FILE *cmts;      /* comments.xml's <w:comment>s: the notes */
	FILE *null;      /* where the measuring walk writes (see anchors) */
	long links, lists, comments;
};

/* Where a comment starts or ends, in bytes of the message's text as its
 * runs hold it (each paragraph's end counted as a newline). */
struct mark {
	size_t at;
	int end;
	long id;
};

/* A list's outer state, put back when it ends. */
struct outer {
	int level, num, ind;
};

/* Where the walk through a message's tree is: lists, quotes, inline
 * formatting.  cmark's iterator, not recursion, so no nesting a message
 * can write runs the stack out. */
struct ctx {
	struct docx *d;
	FILE *f;
	int width;       /* of the text, twips */
	int level;       /* list level, -1 outside lists */
	int num;         /* numId of the innermost list */
	int first;       /* the next paragraph starts a list item: it carries
	                  * the bullet or number */
	int quote;       /* block quote depth */
	int ind;         /* left indent of the blocks here, twips */
	struct outer *outer;
	size_t nouter, capouter;
	int bold, italic, strike;
	int task;        /* the item's box for its first paragraph (cf_md_task) */
	cmark_node *link;  /* the node whose <w:hyperlink> is open */
	/* the message's own text (not what export.c added), counted so the
	 * notes' comments can be put around their words */
	int count;       /* in the message's own blocks */
	size_t at;       /* bytes of it so far */
	FILE *text;      /* the measuring walk: the text itself, else NULL */
	size_t first_end;  /* the measuring walk: where the first paragraph
	                  * with text ends, 0 before */
	int seen;        /* the measuring walk: text other than spaces so far */
	const struct mark *marks;
	size_t nmarks, next;
};

/* ---- text to XML ---- */

enum { X_RUN, X_PLAIN, X_ATTR };

/* Writes n bytes of UTF-8 as XML character data.  Characters XML 1.0
 * refuses (C0 controls but tab, newline and CR; U+FFFE, U+FFFF) are
 * dropped, since one of them makes Word reject the whole file, and so are
 * DEL and the C1 controls, which XML allows but nothing shows; bytes that
 * are not UTF-8 become U+FFFD.  In a run (X_RUN) a tab and a newline are
 * Word's own <w:tab/> and <w:br/>: inside <w:t> they would be spaces;
 * in an attribute's value (X_ATTR, quoted with '"') a '"' is escaped. */
static void
xml(FILE *f, const char *s, size_t n, int mode)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n, *run = p;
	while (p < e) {
		unsigned c = *p;
		const char *rep = NULL;
		size_t len = 1;
		if (c >= 0x80) {
			unsigned lo = 0x80, hi = 0xbf;
			if (c >= 0xc2 && c <= 0xdf)
				len = 2;
			else if (c >= 0xe0 && c <= 0xef)
				len = 3;
			else if (c >= 0xf0 && c <= 0xf4)
				len = 4;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;         /* surrogates */
			else if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
			size_t k = 1;
			if (len > 1 && (size_t)(e - p) >= len && p[1] >= lo && p[1] <= hi)
				for (k = 2; k < len && p[k] >= 0x80 && p[k] <= 0xbf; k++)
					;
			if (len == 1 || k < len) {
				rep = "\xef\xbf\xbd";
				len = 1;
			} else if ((c == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) ||
			           (c == 0xc2 && p[1] <= 0x9f)) {
				rep = "";          /* U+FFFE, U+FFFF, C1 controls */
			} else {
				p += len;
				continue;
			}
		} else if (c == '<') {
			rep = "&lt;";
		} else if (c == '>') {
			rep = "&gt;";
		} else if (c == '&') {
			rep = "&amp;";
		} else if (c == '"' && mode == X_ATTR) {
			rep = "&quot;";
		} else if (c == '\t' || c == '\n') {
			if (mode != X_RUN) {
				p++;
				continue;
			}
			rep = c == '\t' ? "</w:t><w:tab/><w:t xml:space=\"preserve\">" :
			                  "</w:t><w:br/><w:t xml:space=\"preserve\">";
		} else if (c < 0x20 || c == 0x7f) {
			rep = "";          /* CR too: a newline already breaks */
		} else {
			p++;
			continue;
		}
		fwrite(run, 1, (size_t)(p - run), f);
		fputs(rep, f);
		p += len;
		run = p;
	}
	fwrite(run, 1, (size_t)(p - run), f);
}

static void
xmls(FILE *f, const char *s, int mode)
{
	xml(f, s, strlen(s), mode);
}

/* A link's target as a URI: Word refuses a package whose relationship
 * target is not one, so spaces, controls, non-ASCII bytes, a '%' that
 * starts no escape and a second '#' are percent-encoded (as cmark's HTML
 * writer does) before XML escaping. */
static void
uri_attr(FILE *f, const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	int frag = 0;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		unsigned c = *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || strchr("-._~:/?[]@!$'()*+,;=", c);
		if (c == '#')
			keep = !frag++;
		else if (c == '%')
			keep = isxdigit(p[1]) && isxdigit(p[2]);
		if (keep)
			fputc((int)c, f);
		else if (c == '&')
			fputs("&amp;", f);
		else
			fprintf(f, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* ---- runs ---- */

enum { F_BOLD = 1, F_ITALIC = 2, F_CODE = 4, F_LINK = 8, F_DIM = 16, F_STRIKE = 32 };

/* A run's formatting and its opened <w:t>; text, then run_close. */
static void
run_open(FILE *f, int fl)
{
	fputs("<w:r>", f);
	if (fl) {
		int link_code = (fl & (F_CODE | F_LINK)) == (F_CODE | F_LINK);
		fputs("<w:rPr>", f);
		if (fl & F_CODE)
			fputs("<w:rStyle w:val=\"VerbatimChar\"/>", f);
		else if (fl & F_LINK)
			fputs("<w:rStyle w:val=\"Hyperlink\"/>", f);
		if (fl & F_BOLD)
			fputs("<w:b/><w:bCs/>", f);
		else if (fl & F_DIM)
			fputs("<w:b w:val=\"0\"/><w:bCs w:val=\"0\"/>", f);
		if (fl & F_ITALIC)
			fputs("<w:i/><w:iCs/>", f);
		if (fl & F_STRIKE)
			fputs("<w:strike/>", f);
		/* rPr's children in the schema's order */
		if (link_code)
			fputs("<w:color w:val=\"0563C1\"/>", f);
		else if (fl & F_DIM)
			fputs("<w:color w:val=\"767676\"/>", f);
		if (fl & F_DIM)
			fputs("<w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/>", f);
		if (link_code)
			fputs("<w:u w:val=\"single\"/>", f);
		fputs("</w:rPr>", f);
	}
	fputs("<w:t xml:space=\"preserve\">", f);
}

static void
run_close(FILE *f)
{
	fputs("</w:t></w:r>", f);
}

static void
run(FILE *f, int fl, const char *s, size_t n)
{
	if (!n)
		return;
	run_open(f, fl);
	xml(f, s, n, X_RUN);
	run_close(f);
}

static void
runs(FILE *f, int fl, const char *s)
{
	run(f, fl, s, strlen(s));
}

/* A new external relationship for url; returns its number. */
static long
link_rel(struct docx *d, const char *url)
{
	long id = FIXED_RELS + ++d->links;
	fprintf(d->rels, "<Relationship Id=\"rId%ld\" Type=\"" NS_R "/hyperlink\" "
	        "Target=\"", id);
	uri_attr(d->rels, url);
	fputs("\" TargetMode=\"External\"/>", d->rels);
	return id;
}

/* ---- the message's text, and the comments around its words ---- */

static void
mark_write(FILE *f, const struct mark *m)
{
	if (m->end)
		fprintf(f, "<w:commentRangeEnd w:id=\"%ld\"/>"
		        "<w:r><w:commentReference w:id=\"%ld\"/></w:r>", m->id, m->id);
	else
		fprintf(f, "<w:commentRangeStart w:id=\"%ld\"/>", m->id);
}

/* A run of the message's text: split where a comment starts or ends in
 * it.  A start goes before the byte it is at, an end after the byte
 * before it, so a comment never holds an empty run at either end. */
static void
ctext(struct ctx *c, int fl, const char *s, size_t n)
{
	if (!c->count) {
		run(c->f, fl, s, n);
		return;
	}
	if (c->text) {
		fwrite(s, 1, n, c->text);
		for (size_t i = 0; i < n && !c->seen; i++)
			c->seen = !strchr(" \t\n\r", s[i]);
	}
	size_t done = 0;
	while (c->next < c->nmarks) {
		const struct mark *m = &c->marks[c->next];
		if (m->end ? m->at > c->at + n : m->at >= c->at + n)
			break;
		size_t k = m->at > c->at ? m->at - c->at : 0;
		if (k > done) {
			run(c->f, fl, s + done, k - done);
			done = k;
		}
		mark_write(c->f, m);
		c->next++;
	}
	run(c->f, fl, s + done, n - done);
	c->at += n;
}

static void
ctexts(struct ctx *c, int fl, const char *s)
{
	ctext(c, fl, s, strlen(s));
}

/* A break in the message's text that is no run's: a line break, or a
 * paragraph's end (end). */
static void
cbreak(struct ctx *c, int end)
{
	if (!c->count)
		return;
	if (c->text) {
		fputc('\n', c->text);
		if (end && c->seen && !c->first_end)
			c->first_end = c->at;
	}
	c->at++;
}

/* ---- blocks ---- */

/* Deep quotes and lists stop moving right here, so text stays readable. */
#define MAX_IND (8 * STEP)

static int
indent(struct ctx *c)
{
	return c->ind < MAX_IND ? c->ind : MAX_IND;
}

/* Opens a paragraph: its style, and the bullet or number when it starts a
 * list item.  Indents are explicit so quotes and lists nest in any order. */
static void
para(struct ctx *c, const char *style)
{
	FILE *f = c->f;
	fputs("<w:p><w:pPr>", f);
	if (!style)
		style = c->quote ? "Quote" : c->level >= 0 ? "ListParagraph" : NULL;
	if (style)
		fprintf(f, "<w:pStyle w:val=\"%s\"/>", style);
	if (c->first) {
		fprintf(f, "<w:numPr><w:ilvl w:val=\"%d\"/><w:numId w:val=\"%d\"/></w:numPr>"
		        "<w:ind w:left=\"%d\" w:hanging=\"360\"/>", c->level, c->num,
		        indent(c));
		c->first = 0;
	} else if (c->ind) {
		fprintf(f, "<w:ind w:left=\"%d\"/>", indent(c));
	}
	fputs("</w:pPr>", f);
}

/* Code as written: one run, each line after a <w:br/>, spaces kept. */
static void
code(struct ctx *c, const char *lit)
{
	size_t n = strlen(lit);
	if (n && lit[n - 1] == '\n')
		n--;
	para(c, "SourceCode");
	ctext(c, 0, lit, n);
	cbreak(c, 1);
	fputs("</w:p>", c->f);
}

static void enter(struct ctx *c, cmark_iter *it, cmark_node *n);
static void leave(struct ctx *c, cmark_node *n);

/* A table from cmark-gfm's tree: a w:tbl on a fixed grid of equal
 * columns, the header row repeated on each page, each cell aligned as
 * its column's delimiter says, its inlines run as a paragraph's are. */
static void
table(struct ctx *c, cmark_node *tbl)
{
	FILE *f = c->f;
	int ncol = cf_md_columns(tbl);
	if (ncol < 1)
		ncol = 1;
	int cw = (c->width - indent(c)) / ncol;
	if (cw < 200)
		cw = 200;
	if (c->first) {
		/* the item's bullet, on a line of its own: a table takes none */
		para(c, NULL);
		fputs("</w:p>", f);
	}
	fprintf(f, "<w:tbl><w:tblPr><w:tblW w:w=\"%d\" w:type=\"dxa\"/>"
	        "<w:tblInd w:w=\"%d\" w:type=\"dxa\"/><w:tblBorders>", cw * ncol,
	        indent(c));
	static const char *const sides[] = {"top", "left", "bottom", "right",
	                                    "insideH", "insideV"};
	for (int i = 0; i < 6; i++)
		fprintf(f, "<w:%s w:val=\"single\" w:sz=\"4\" w:space=\"0\" "
		        "w:color=\"A6A6A6\"/>", sides[i]);
	fputs("</w:tblBorders><w:tblLayout w:type=\"fixed\"/>"
	      "<w:tblLook w:val=\"0020\" w:firstRow=\"1\" w:lastRow=\"0\" "
	      "w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/>"
	      "</w:tblPr><w:tblGrid>", f);
	for (int i = 0; i < ncol; i++)
		fprintf(f, "<w:gridCol w:w=\"%d\"/>", cw);
	fputs("</w:tblGrid>", f);
	for (cmark_node *r = cmark_node_first_child(tbl); r; r = cmark_node_next(r)) {
		if (!cf_md_is_row(r))
			continue;
		int head = cf_md_header_row(r);
		fputs(head ? "<w:tr><w:trPr><w:tblHeader/></w:trPr>" : "<w:tr>", f);
		cmark_node *cell = cmark_node_first_child(r);
		/* Word wants every row on the grid: cmark-gfm fills short rows */
		for (int i = 0; i < ncol; i++) {
			int a = cf_md_align(tbl, i);
			fprintf(f, "<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/>%s</w:tcPr>"
			        "<w:p><w:pPr><w:pStyle w:val=\"TableText\"/>%s</w:pPr>", cw,
			        head ? "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"EDEDED\"/>" : "",
			        a == 'c' ? "<w:jc w:val=\"center\"/>" :
			        a == 'r' ? "<w:jc w:val=\"right\"/>" : "");
			if (cell) {
				c->bold += head;
				cmark_iter *it = cmark_iter_new(cell);
				cmark_event_type ev;
				while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
					cmark_node *n = cmark_iter_get_node(it);
					if (n == cell)
						continue;
					if (ev == CMARK_EVENT_ENTER)
						enter(c, it, n);
					else
						leave(c, n);
				}
				cmark_iter_free(it);
				c->bold -= head;
				cell = cmark_node_next(cell);
			}
			cbreak(c, 1);
			fputs("</w:p></w:tc>", f);
		}
		fputs("</w:tr>", f);
	}
	/* a paragraph between tables, or Word joins them into one */
	fputs("</w:tbl><w:p><w:pPr><w:pStyle w:val=\"TableText\"/></w:pPr></w:p>", f);
}

static void
list_enter(struct ctx *c, cmark_node *n)
{
	if (c->nouter == c->capouter) {
		c->capouter = c->capouter ? 2 * c->capouter : 8;
		c->outer = cf_xrealloc(c->outer, c->capouter * sizeof *c->outer);
	}
	c->outer[c->nouter++] = (struct outer){c->level, c->num, c->ind};
	if (c->level < MAX_LEVEL)
		c->level++;
	c->num = BULLETS;
	if (cmark_node_get_list_type(n) == CMARK_ORDERED_LIST) {
		/* Word numbers lists from at most 32767 */
		int start = cmark_node_get_list_start(n);
		c->num = BULLETS + (int)++c->d->lists;
		fprintf(c->d->nums, "<w:num w:numId=\"%d\"><w:abstractNumId w:val=\"1\"/>"
		        "<w:lvlOverride w:ilvl=\"%d\"><w:startOverride w:val=\"%d\"/>"
		        "</w:lvlOverride></w:num>", c->num, c->level,
		        start < 0 ? 0 : start > 32767 ? 32767 : start);
	}
}

static void
list_exit(struct ctx *c)
{
	struct outer o = c->outer[--c->nouter];
	c->level = o.level;
	c->num = o.num;
	c->ind = o.ind;
	c->first = 0;
}

static int
flags(struct ctx *c)
{
	return (c->bold ? F_BOLD : 0) | (c->italic ? F_ITALIC : 0) |
	       (c->strike ? F_STRIKE : 0) | (c->link ? F_LINK : 0);
}

static void
enter(struct ctx *c, cmark_iter *it, cmark_node *n)
{
	static const char *const heading[] = {"Heading2", "Heading3", "Heading4"};
	FILE *f = c->f;
	const char *url;
	int lv;
	if (cf_md_is(n, "table")) {
		table(c, n);
		cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
		return;
	}
	if (cf_md_is(n, "strikethrough")) {
		c->strike++;
		return;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		para(c, NULL);
		if (c->task >= 0) {
			/* a ballot box, crossed when done (what pandoc reads as a task) */
			ctexts(c, flags(c), c->task ? "\u2612 " : "\u2610 ");
			c->task = -1;
		}
		break;
	case CMARK_NODE_HEADING:
		/* the message's own heading is Heading1: its headings go under */
		lv = cmark_node_get_heading_level(n);
		para(c, heading[lv < 1 ? 0 : lv > 3 ? 2 : lv - 1]);
		break;
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_HTML_BLOCK:
		code(c, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		para(c, "Rule");
		fputs("</w:p>", f);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		c->quote++;
		c->ind += STEP;
		break;
	case CMARK_NODE_LIST:
		list_enter(c, n);
		break;
	case CMARK_NODE_ITEM:
		c->ind = c->outer[c->nouter - 1].ind + STEP;
		c->first = 1;
		c->task = cf_md_task(n);
		break;
	case CMARK_NODE_TEXT:
	case CMARK_NODE_HTML_INLINE:
		ctexts(c, flags(c), cmark_node_get_literal(n));
		break;
	case CMARK_NODE_CODE:
		ctexts(c, flags(c) | F_CODE, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_SOFTBREAK:
		ctext(c, flags(c), " ", 1);
		break;
	case CMARK_NODE_LINEBREAK:
		cbreak(c, 0);
		fputs("<w:r><w:br/></w:r>", f);
		break;
	case CMARK_NODE_EMPH:
		c->italic++;
		break;
	case CMARK_NODE_STRONG:
		c->bold++;
		break;
	case CMARK_NODE_LINK:
	case CMARK_NODE_IMAGE:
		/* An image cannot be fetched into the file: its alt text links
		 * to it.  A hyperlink cannot hold another, and a target that is
		 * empty or only a fragment names nothing outside the document.
		 * Only web and mail addresses are clickable (see leave). */
		url = cmark_node_get_url(n);
		if (!c->link && url && *url && *url != '#' && cf_link_clickable(url)) {
			fprintf(f, "<w:hyperlink r:id=\"rId%ld\" w:history=\"1\">",
			        link_rel(c->d, url));
			c->link = n;
		}
		break;
	default:
		break;
	}
}

static void
leave(struct ctx *c, cmark_node *n)
{
	FILE *f = c->f;
	if (cf_md_is(n, "strikethrough")) {
		c->strike--;
		return;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
	case CMARK_NODE_HEADING:
		cbreak(c, 1);
		fputs("</w:p>", f);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		c->quote--;
		c->ind -= STEP;
		break;
	case CMARK_NODE_LIST:
		list_exit(c);
		break;
	case CMARK_NODE_ITEM:
		c->task = -1;
		if (c->first) {     /* an empty item still shows its number */
			para(c, NULL);
			fputs("</w:p>", f);
		}
		break;
	case CMARK_NODE_EMPH:
		c->italic--;
		break;
	case CMARK_NODE_STRONG:
		c->bold--;
		break;
	case CMARK_NODE_LINK:
	case CMARK_NODE_IMAGE:
		if (c->link == n) {
			if (!cmark_node_first_child(n))
				ctexts(c, flags(c), cmark_node_get_url(n));
			fputs("</w:hyperlink>", f);
			c->link = NULL;
		} else if (!c->link) {
			/* not clickable: the address after the text, as text */
			const char *url = cmark_node_get_url(n);
			if (!url || !*url || *url == '#')
				break;
			if (!cmark_node_first_child(n)) {
				ctexts(c, flags(c), url);
				break;
			}
			char *text = cf_md_text(n);
			if (!cf_link_says(url, text)) {
				ctext(c, flags(c), " (", 2);
				ctexts(c, flags(c), url);
				ctext(c, flags(c), ")", 1);
			}
			free(text);
		}
		break;
	default:
		break;
	}
}

static void
render(struct ctx *c, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_parent(n) == doc)
			c->count = !cf_md_added(n);
		if (ev == CMARK_EVENT_ENTER)
			enter(c, it, n);
		else
			leave(c, n);
	}
	cmark_iter_free(it);
}

/* ---- begin, message, end ---- */

static void
docx_free(struct docx *d)
{
	if (!d)
		return;
	if (d->body)
		fclose(d->body);
	if (d->rels)
		fclose(d->rels);
	if (d->nums)
		fclose(d->nums);
	if (d->cmts)
		fclose(d->cmts);
	if (d->null)
		fclose(d->null);
	free(d);
}

static int
fail(cf_export *x, int err)
{
	docx_free(x->priv);
	x->priv = NULL;
	errno = err ? err : EIO;
	return -1;
}

/* "2026-11-24 07:51 UTC" as chat-show writes it, or "" for a time that
 * does not parse. */
static void
when(const char *stamp, const char *fmt, char *out, size_t n)
{
	int64_t ms;
	struct tm tm;
	time_t t;
	out[0] = '\0';
	if (cf_time_parse(stamp, &ms) != 0)
		return;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm))
		strftime(out, n, fmt, &tm);
}

static int
docx_begin(cf_export *x)
{
	struct docx *d = calloc(1, sizeof *d);
	if (!d)
		return fail(x, ENOMEM);
	x->priv = d;
	if (!(d->body = tmpfile()) || !(d->rels = tmpfile()) || !(d->nums = tmpfile()))
		return fail(x, errno);
	FILE *f = d->body;
	jv s = x->session;
	fputs("<w:p><w:pPr><w:pStyle w:val=\"Title\"/></w:pPr>", f);
	runs(f, 0, cf_jstr(s, "name"));
	fputs("</w:p>", f);
	/* the session's facts under the title, the ones it has */
	char created[32];
	when(cf_jstr(s, "created"), "%Y-%m-%d %H:%M UTC", created, sizeof created);
	const char *facts[] = {created, cf_jstr(s, "provider"), cf_jstr(s, "model")};
	int any = 0;
	for (int i = 0; i < 3; i++) {
		if (!*facts[i])
			continue;
		if (!any++) {
			fputs("<w:p><w:pPr><w:pStyle w:val=\"SessionInfo\"/></w:pPr>", f);
			run_open(f, 0);
		} else {
			fputs(" · ", f);
		}
		xmls(f, facts[i], X_RUN);
	}
	if (any) {
		run_close(f);
		fputs("</w:p>", f);
	}
	return ferror(f) ? fail(x, EIO) : 0;
}

static int
text_width(const struct cf_xopt *o)
{
	return (o && o->letter ? 12240 : 11906) - 2 * 1440;
}

/* ---- notes as Word's comments ---- */

/* s without its spaces at either end, each run of spaces between words
 * one ' ', and (when from is not NULL) the byte of s each byte of it
 * comes from: a quote is found whatever breaks its lines. */
static char *
squeeze(const char *s, size_t n, size_t **from, size_t *len)
{
	char *o = cf_xmalloc(n + 1);
	size_t *m = from ? cf_xmalloc((n + 1) * sizeof *m) : NULL, k = 0;
	int space = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			space = 1;
			continue;
		}
		if (space && k) {
			if (m)
				m[k] = i;
			o[k++] = ' ';
		}
		space = 0;
		if (m)
			m[k] = i;
		o[k++] = s[i];
	}
	o[k] = '\0';
	*len = k;
	if (from)
		*from = m;
	return o;
}

/* The first letter of each of a name's words, capitals, at most four:
 * "Ada Lovelace" is "AL". */
static void
initials(FILE *f, const char *who)
{
	int n = 0, word = 1;
	for (const char *p = who; *p && n < 4;) {
		gunichar u = g_utf8_get_char_validated(p, -1);
		if (u == (gunichar)-1 || u == (gunichar)-2) {
			p++;
			word = 1;
			continue;
		}
		if (g_unichar_isalnum(u)) {
			if (word) {
				char b[8];
				int k = g_unichar_to_utf8(g_unichar_toupper(u), b);
				xml(f, b, (size_t)k, X_ATTR);
				n++;
			}
			word = 0;
		} else {
			word = 1;
		}
		p = g_utf8_next_char(p);
	}
}

/* A note as comments.xml's w:comment: who, when, their initials, the
 * text; and the words it is on when the message does not hold them (they
 * cannot be what the comment marks). */
static void
comment(FILE *f, long id, jv note, const char *lost)
{
	char date[32];
	when(cf_jstr(note, "timestamp"), "%Y-%m-%dT%H:%M:%SZ", date, sizeof date);
	const char *who = cf_jstr(note, "author");
	fprintf(f, "<w:comment w:id=\"%ld\" w:author=\"", id);
	xmls(f, who, X_ATTR);
	fputc('"', f);
	if (*date)
		fprintf(f, " w:date=\"%s\"", date);
	fputs(" w:initials=\"", f);
	initials(f, who);
	fputs("\"><w:p><w:r><w:annotationRef/></w:r>", f);
	runs(f, 0, cf_jstr(note, "text"));
	fputs("</w:p>", f);
	if (lost) {
		fputs("<w:p>", f);
		runs(f, F_ITALIC, "on \u201c");
		runs(f, F_ITALIC, lost);
		runs(f, F_ITALIC, "\u201d");
		fputs("</w:p>", f);
	}
	fputs("</w:comment>", f);
}

static int
by_place(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->end != y->end)
		return x->end ? -1 : 1;     /* one ends where the next starts */
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Each note a comment, and where it goes: around the first place its
 * quote is in the message's text, else around the message's first
 * paragraph with text.  The text is what a walk of the tree writes into
 * runs, measured by a walk whose output goes nowhere (d's relationships
 * and lists put back after it), so the comments split the runs at the
 * very bytes the real walk writes.  Returns the marks, sorted, 2 a note
 * (*n of them), or NULL when the message has no text at all: the
 * comments go on its heading then, ids *first.. (*n / 2 of them). */
static struct mark *
anchors(struct docx *d, cmark_node *doc, jv notes, int width, size_t *n, long *first)
{
	char *t = NULL;
	size_t tn = 0, sn, *map;
	FILE *m = open_memstream(&t, &tn);
	if (!m)
		return NULL;
	struct ctx c = {.d = d, .f = d->null, .width = width, .level = -1, .task = -1,
	                .text = m};
	FILE *rels = d->rels, *nums = d->nums;
	long links = d->links, lists = d->lists;
	d->rels = d->nums = d->null;
	render(&c, doc);
	d->rels = rels;
	d->nums = nums;
	d->links = links;
	d->lists = lists;
	free(c.outer);
	if (fclose(m) != 0)
		tn = 0;
	char *sq = squeeze(t ? t : "", tn, &map, &sn);
	/* the first paragraph with text, without the spaces at its ends */
	size_t a0 = sn ? map[0] : 0, b0 = c.first_end ? c.first_end : tn;
	while (b0 > a0 && strchr(" \t\n\r", t[b0 - 1]))
		b0--;
	int k = jv_array_length(jv_copy(notes));
	struct mark *mk = sn ? cf_xmalloc(2 * (size_t)k * sizeof *mk) : NULL;
	*first = d->comments;
	*n = 0;
	jv_array_foreach(notes, i, note) {
		long id = d->comments++;
		const char *q = cf_jstr_or_null(note, "quote"), *lost = NULL;
		size_t a = a0, b = b0, qn = 0;
		char *qs = squeeze(q ? q : "", q ? strlen(q) : 0, NULL, &qn);
		const char *hit = qn && sn ? memmem(sq, sn, qs, qn) : NULL;
		if (hit) {
			a = map[hit - sq];
			b = map[hit - sq + qn - 1] + 1;
		} else if (qn) {
			lost = q;
		}
		free(qs);
		comment(d->cmts, id, note, lost);
		if (mk) {
			mk[(*n)++] = (struct mark){a, 0, id};
			mk[(*n)++] = (struct mark){b, 1, id};
		} else {
			*n += 2;
		}
		jv_free(note);
	}
	if (mk)
		qsort(mk, *n, sizeof *mk, by_place);
	free(sq);
	free(map);
	free(t);
	return mk;
}

static int
docx_message(cf_export *x, jv msg, cmark_node *doc)
{
	struct docx *d = x->priv;
	struct ctx c = {.d = d, .f = d->body, .width = text_width(x->opt), .level = -1,
	                .task = -1};
	FILE *f = d->body;
	jv notes = cf_msg_marks(msg, "notes");
	struct mark *marks = NULL;
	size_t nmarks = 0;
	long first = 0;
	int head = 0;   /* comments on the heading: the message has no text */
	if (jv_array_length(jv_copy(notes)) > 0) {
		if ((!d->cmts && !(d->cmts = tmpfile())) ||
		    (!d->null && !(d->null = fopen("/dev/null", "w")))) {
			jv_free(notes);
			return fail(x, errno);
		}
		marks = anchors(d, doc, notes, c.width, &nmarks, &first);
		head = !marks;
		c.marks = marks;
		c.nmarks = marks ? nmarks : 0;
	}
	jv_free(notes);
	const char *role = cf_jstr(msg, "role");
	jv meta = jv_object_get(jv_copy(msg), jv_string("metadata"));
	const char *model = cf_jstr_or_null(meta, "model");
	char stamp[32];
	when(cf_jstr(msg, "timestamp"), "%Y-%m-%d %H:%M UTC", stamp, sizeof stamp);

	fputs("<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr>", f);
	for (size_t i = 0; head && i < nmarks / 2; i++)
		mark_write(f, &(struct mark){0, 0, first + (long)i});
	char title[200];
	runs(f, 0, cf_msg_heading(msg, title, sizeof title));
	int model_too = model && *model && strcmp(role, "user");
	if (model_too || *stamp) {
		run_open(f, F_DIM);
		if (model_too) {
			fputs(" · ", f);
			xmls(f, model, X_RUN);
		}
		if (*stamp)
			fprintf(f, "  %s", stamp);
		run_close(f);
	}
	for (size_t i = 0; head && i < nmarks / 2; i++)
		mark_write(f, &(struct mark){0, 1, first + (long)i});
	fputs("</w:p>", f);
	jv_free(meta);

	render(&c, doc);
	if (c.next < c.nmarks) {
		/* a mark the text did not reach (it always should): closed
		 * here, so no comment is left open */
		fputs("<w:p>", f);
		while (c.next < c.nmarks)
			mark_write(f, &c.marks[c.next++]);
		fputs("</w:p>", f);
	}
	free(marks);
	free(c.outer);
	if (ferror(d->body) || ferror(d->rels) || ferror(d->nums) ||
	    (d->cmts && ferror(d->cmts)))
		return fail(x, EIO);
	return 0;
}

/* ---- the package ---- */

static const char content_types[] = XML_DECL
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	"<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
	"<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
	"<Override PartName=\"/word/numbering.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>"
	"<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
	"<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>"
	"<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
	"<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>";

/* Only a document with notes has comments: the others' bytes stay as
 * they were. */
static const char comments_type[] =
	"<Override PartName=\"/word/comments.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml\"/>"
	"</Types>";
static const char comments_rel[] =
	"<Relationship Id=\"rIdComments\" Type=\"" NS_R "/comments\" Target=\"comments.xml\"/>"
	"</Relationships>";
static const char comments_head[] = XML_DECL
	"<w:comments xmlns:w=\"" NS_W "\">";

static const char package_rels[] = XML_DECL
	"<Relationships xmlns=\"" NS_PR "\">"
	"<Relationship Id=\"rId1\" Type=\"" NS_R "/officeDocument\" Target=\"word/document.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" NS_R "/extended-properties\" Target=\"docProps/app.xml\"/>"
	"</Relationships>";

static const char document_head[] = XML_DECL
	"<w:document xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\"><w:body>";

static const char document_rels_head[] = XML_DECL
	"<Relationships xmlns=\"" NS_PR "\">"
	"<Relationship Id=\"rId1\" Type=\"" NS_R "/styles\" Target=\"styles.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"" NS_R "/numbering\" Target=\"numbering.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" NS_R "/fontTable\" Target=\"fontTable.xml\"/>";

static const char app_xml[] = XML_DECL
	"<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
	"<Application>confab " CF_VERSION "</Application></Properties>";

static const char settings_xml[] = XML_DECL
	"<w:settings xmlns:w=\"" NS_W "\"><w:defaultTabStop w:val=\"720\"/>"
	"<w:characterSpacingControl w:val=\"doNotCompress\"/><w:compat>"
	"<w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/>"
	"</w:compat></w:settings>";

/* altName and family guide the substitution where a font is missing
 * (LibreOffice on Linux has no Consolas). */
static const char fonts_xml[] = XML_DECL
	"<w:fonts xmlns:w=\"" NS_W "\">"
	"<w:font w:name=\"Calibri\"><w:altName w:val=\"Carlito\"/><w:family w:val=\"swiss\"/><w:pitch w:val=\"variable\"/></w:font>"
	"<w:font w:name=\"Arial\"><w:altName w:val=\"Liberation Sans\"/><w:family w:val=\"swiss\"/><w:pitch w:val=\"variable\"/></w:font>"
	"<w:font w:name=\"Consolas\"><w:altName w:val=\"DejaVu Sans Mono\"/><w:family w:val=\"modern\"/><w:pitch w:val=\"fixed\"/></w:font>"
	"</w:fonts>";

#define MONO "<w:rFonts w:ascii=\"Consolas\" w:hAnsi=\"Consolas\" w:cs=\"Consolas\"/>"
#define PSTYLE(id, name) "<w:style w:type=\"paragraph\" w:styleId=\"" id "\"><w:name w:val=\"" name "\"/>" \
	"<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>"
#define HEADING(n, outline, before, size, color) PSTYLE("Heading" #n, "heading " #n) \
	"<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"" before "\" w:after=\"120\"/>" \
	"<w:outlineLvl w:val=\"" #outline "\"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val=\"" color "\"/>" \
	"<w:sz w:val=\"" size "\"/><w:szCs w:val=\"" size "\"/></w:rPr></w:style>"

/* Style names are Word's built-in ones ("heading 1", "Title", "Quote",
 * "List Paragraph", "Hyperlink") and pandoc's for code ("Source Code",
 * "Verbatim Char"), so Word, LibreOffice and pandoc know what they are. */
static const char styles_xml[] = XML_DECL
	"<w:styles xmlns:w=\"" NS_W "\">"
	"<w:docDefaults><w:rPrDefault><w:rPr>"
	"<w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:cs=\"Arial\"/>"
	"<w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/><w:lang w:val=\"en-US\"/></w:rPr></w:rPrDefault>"
	"<w:pPrDefault><w:pPr><w:spacing w:after=\"140\" w:line=\"264\" w:lineRule=\"auto\"/>"
	"</w:pPr></w:pPrDefault></w:docDefaults>"
	"<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
	"<w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\">"
	"<w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/></w:style>"
	"<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>"
	"<w:semiHidden/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar>"
	"<w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>"
	"<w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/>"
	"</w:tblCellMar></w:tblPr></w:style>"
	"<w:style w:type=\"numbering\" w:default=\"1\" w:styleId=\"NoList\"><w:name w:val=\"No List\"/><w:semiHidden/></w:style>"
	PSTYLE("Title", "Title")
	"<w:pPr><w:spacing w:after=\"120\"/><w:contextualSpacing/></w:pPr>"
	"<w:rPr><w:color w:val=\"1F3864\"/><w:kern w:val=\"28\"/><w:sz w:val=\"52\"/><w:szCs w:val=\"52\"/></w:rPr></w:style>"
	PSTYLE("SessionInfo", "Session Info")
	"<w:pPr><w:spacing w:after=\"240\"/></w:pPr>"
	"<w:rPr><w:color w:val=\"767676\"/><w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/></w:rPr></w:style>"
	HEADING(1, 0, "360", "30", "1F3864")
	HEADING(2, 1, "240", "26", "2F5496")
	HEADING(3, 2, "200", "24", "2F5496")
	HEADING(4, 3, "200", "22", "404040")
	PSTYLE("SourceCode", "Source Code")
	"<w:pPr><w:pBdr><w:top w:val=\"single\" w:sz=\"4\" w:space=\"4\" w:color=\"E0E0E0\"/>"
	"<w:left w:val=\"single\" w:sz=\"4\" w:space=\"4\" w:color=\"E0E0E0\"/>"
	"<w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"4\" w:color=\"E0E0E0\"/>"
	"<w:right w:val=\"single\" w:sz=\"4\" w:space=\"4\" w:color=\"E0E0E0\"/></w:pBdr>"
	"<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F5F5F5\"/>"
	"<w:spacing w:before=\"60\" w:after=\"200\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr>"
	"<w:rPr>" MONO "<w:sz w:val=\"19\"/><w:szCs w:val=\"19\"/></w:rPr></w:style>"
	PSTYLE("Quote", "Quote")
	"<w:pPr><w:pBdr><w:left w:val=\"single\" w:sz=\"18\" w:space=\"8\" w:color=\"BFBFBF\"/></w:pBdr>"
	"<w:ind w:left=\"720\"/></w:pPr><w:rPr><w:color w:val=\"595959\"/></w:rPr></w:style>"
	PSTYLE("ListParagraph", "List Paragraph")
	"<w:pPr><w:spacing w:after=\"60\"/><w:ind w:left=\"720\"/><w:contextualSpacing/></w:pPr></w:style>"
	PSTYLE("TableText", "Table Text")
	"<w:pPr><w:spacing w:before=\"40\" w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:style>"
	PSTYLE("Rule", "Horizontal Line")
	"<w:pPr><w:pBdr><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"A6A6A6\"/></w:pBdr>"
	"<w:spacing w:before=\"120\" w:after=\"240\"/></w:pPr><w:rPr><w:sz w:val=\"8\"/></w:rPr></w:style>"
	"<w:style w:type=\"character\" w:styleId=\"VerbatimChar\"><w:name w:val=\"Verbatim Char\"/>"
	"<w:basedOn w:val=\"DefaultParagraphFont\"/><w:rPr>" MONO "<w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/>"
	"<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F0F0F0\"/></w:rPr></w:style>"
	"<w:style w:type=\"character\" w:styleId=\"Hyperlink\"><w:name w:val=\"Hyperlink\"/>"
	"<w:basedOn w:val=\"DefaultParagraphFont\"/><w:unhideWhenUsed/>"
	"<w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>"
	"</w:styles>";

/* The two abstract lists, bullets (0) and decimal (1), nine levels each;
 * the paragraphs carry their own indents, these are for editing later. */
static char *
numbering_head(void)
{
	static const char *const bullets[] = {"\xe2\x80\xa2", "\xe2\x97\xa6", "\xe2\x96\xaa"};
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	fputs(XML_DECL "<w:numbering xmlns:w=\"" NS_W "\">", m);
	for (int a = 0; a < 2; a++) {
		fprintf(m, "<w:abstractNum w:abstractNumId=\"%d\">"
		        "<w:multiLevelType w:val=\"hybridMultilevel\"/>", a);
		for (int l = 0; l <= MAX_LEVEL; l++) {
			fprintf(m, "<w:lvl w:ilvl=\"%d\"><w:start w:val=\"1\"/>", l);
			if (a == 0)
				fprintf(m, "<w:numFmt w:val=\"bullet\"/><w:lvlText w:val=\"%s\"/>",
				        bullets[l % 3]);
			else
				fprintf(m, "<w:numFmt w:val=\"decimal\"/><w:lvlText w:val=\"%%%d.\"/>",
				        l + 1);
			fprintf(m, "<w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"%d\" "
			        "w:hanging=\"360\"/></w:pPr></w:lvl>", STEP * (l + 1));
		}
		fputs("</w:abstractNum>", m);
	}
	fprintf(m, "<w:num w:numId=\"%d\"><w:abstractNumId w:val=\"0\"/></w:num>", BULLETS);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *
core_xml(jv s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	char created[32], modified[32];
	when(cf_jstr(s, "created"), "%Y-%m-%dT%H:%M:%SZ", created, sizeof created);
	when(cf_jstr(s, "lastUpdated"), "%Y-%m-%dT%H:%M:%SZ", modified, sizeof modified);
	fputs(XML_DECL "<cp:coreProperties "
	      "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
	      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
	      "xmlns:dcterms=\"http://purl.org/dc/terms/\" "
	      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>", m);
	xmls(m, cf_jstr(s, "name"), X_PLAIN);
	fputs("</dc:title>", m);
	/* the session's tags, where Word shows keywords */
	jv meta = jv_object_get(jv_copy(s), jv_string("metadata"));
	jv tags = jv_get_kind(meta) == JV_KIND_OBJECT ?
	          jv_object_get(jv_copy(meta), jv_string("tags")) : jv_invalid();
	if (jv_get_kind(tags) == JV_KIND_ARRAY && jv_array_length(jv_copy(tags)) > 0) {
		fputs("<cp:keywords>", m);
		jv_array_foreach(tags, i, t) {
			if (jv_get_kind(t) == JV_KIND_STRING) {
				fputs(i ? ", " : "", m);
				xmls(m, jv_string_value(t), X_PLAIN);
			}
			jv_free(t);
		}
		fputs("</cp:keywords>", m);
	}
	jv_free(tags);
	jv_free(meta);
	if (*created)
		fprintf(m, "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%s</dcterms:created>",
		        created);
	if (*modified || *created)
		fprintf(m, "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">%s</dcterms:modified>",
		        *modified ? modified : created);
	fputs("</cp:coreProperties>", m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Where the zip goes.  A failed write is remembered, not reported to
 * libarchive: an archive that fails mid-entry never frees its deflate
 * state, so it runs to its end writing nothing and end reports then. */
struct sink {
	FILE *f;
	int err;
};

static la_ssize_t
out_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct sink *s = ctx;
	(void)a;
	if (!s->err && fwrite(buf, 1, n, s->f) != n)
		s->err = errno ? errno : EIO;
	return (la_ssize_t)n;
}

static int
put_bytes(struct archive *a, const void *p, size_t n)
{
	while (n) {
		la_ssize_t w = archive_write_data(a, p, n);
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* One part: head, then the whole of f (when not NULL), then tail.  The
 * size goes in the entry first, so the zip needs no seeking back. */
static int
put(struct archive *a, struct archive_entry *e, const char *name,
    const char *head, FILE *f, const char *tail)
{
	size_t hn = strlen(head), tn = tail ? strlen(tail) : 0;
	off_t fn = 0;
	if (f) {
		if (fflush(f) != 0 || fseeko(f, 0, SEEK_END) != 0 || (fn = ftello(f)) < 0 ||
		    fseeko(f, 0, SEEK_SET) != 0)
			return -1;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)(hn + (size_t)fn + tn));
	if (archive_write_header(a, e) != ARCHIVE_OK || put_bytes(a, head, hn))
		return -1;
	if (f) {
		char buf[65536];
		size_t k;
		while ((k = fread(buf, 1, sizeof buf, f)) > 0)
			if (put_bytes(a, buf, k))
				return -1;
		if (ferror(f))
			return -1;
	}
	return put_bytes(a, tail, tn);
}

static int
docx_end(cf_export *x)
{
	struct docx *d = x->priv;
	x->priv = NULL;
	int letter = x->opt && x->opt->letter;
	char sect[320];
	snprintf(sect, sizeof sect,
	         "<w:sectPr><w:pgSz w:w=\"%d\" w:h=\"%d\"/><w:pgMar w:top=\"1440\" "
	         "w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" w:header=\"708\" "
	         "w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
	         letter ? 12240 : 11906, letter ? 15840 : 16838);
	char *numbering = numbering_head(), *core = core_xml(x->session);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct sink out = {.f = x->out};
	int rc = -1, err = ENOMEM;
	if (!numbering || !core || !a || !e)
		goto out;

	/* the same session gives the same bytes: entries carry its time */
	int64_t ms = 0;
	if (cf_time_parse(cf_jstr(x->session, "lastUpdated"), &ms) != 0)
		cf_time_parse(cf_jstr(x->session, "created"), &ms);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)(ms / 1000), 0);

	err = EIO;
	/* no padding of the last block: bytes after a zip's end are garbage
	 * to some readers */
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &out, NULL, out_write, NULL) != ARCHIVE_OK)
		goto fail;
	int notes = d->comments > 0;
	if (put(a, e, "[Content_Types].xml", content_types, NULL,
	        notes ? comments_type : "</Types>") ||
	    put(a, e, "_rels/.rels", package_rels, NULL, NULL) ||
	    put(a, e, "docProps/core.xml", core, NULL, NULL) ||
	    put(a, e, "docProps/app.xml", app_xml, NULL, NULL) ||
	    put(a, e, "word/document.xml", document_head, d->body, sect) ||
	    put(a, e, "word/_rels/document.xml.rels", document_rels_head, d->rels,
	        notes ? comments_rel : "</Relationships>") ||
	    (notes && put(a, e, "word/comments.xml", comments_head, d->cmts,
	                  "</w:comments>")) ||
	    put(a, e, "word/styles.xml", styles_xml, NULL, NULL) ||
	    put(a, e, "word/numbering.xml", numbering, d->nums, "</w:numbering>") ||
	    put(a, e, "word/settings.xml", settings_xml, NULL, NULL) ||
	    put(a, e, "word/fontTable.xml", fonts_xml, NULL, NULL) ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	if (out.err) {
		err = out.err;
		goto out;
	}
	rc = 0;
	goto out;
fail:
	if (archive_errno(a))
		err = archive_errno(a);
out:
	if (a)
		archive_write_free(a);
	if (e)
		archive_entry_free(e);
	free(numbering);
	free(core);
	docx_free(d);
	if (rc)
		errno = err;
	return rc;
}

const struct cf_format cf_fmt_docx = {
	.name = "docx", .ext = "docx", .binary = 1, .load = cf_arc_load,
	.begin = docx_begin, .message = docx_message, .end = docx_end,
};
