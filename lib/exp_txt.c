/* exp_txt.c — plain text out, for a terminal or an email: no markup,
 * every line within the width (cmark-gfm's own plain renderer keeps no
 * table, so the tree is walked here).  Widths are terminal columns: a CJK
 * character or an emoji takes two, a combining accent none. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "export.h"

/* One thread writes: stdio's lock per call was a tenth of the time. */
#define fputc fputc_unlocked
#define fputs fputs_unlocked
#define fwrite fwrite_unlocked

struct txt {
	FILE *f;
	int width;
	char *line;          /* the output line being filled */
	size_t n, cap;
	int depth;           /* of nested quotes and lists */
};

/* The length of the character at s, at most n bytes (1 for a byte that
 * starts none). */
static size_t
clen(const char *s, size_t n)
{
	unsigned char c = (unsigned char)*s;
	size_t k = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return k > n ? n : k;
}

/* Bytes of s (whole characters) that take at most w columns; at least
 * one character when s has one, so a wide one in a narrow space still
 * moves the text on. */
static size_t
bytes_for(const char *s, size_t n, int w)
{
	size_t i = 0;
	int used = 0;
	while (i < n) {
		size_t k = clen(s + i, n - i);
		int c = cf_md_width(s + i, k);
		if (used + c > w && i > 0)
			break;
		used += c;
		i += k;
		if (used >= w) {
			/* what goes on the same column (accents, joiners) */
			while (i < n && (k = clen(s + i, n - i)) && cf_md_width(s + i, k) == 0 &&
			       (unsigned char)s[i] >= 0x80)
				i += k;
			break;
		}
	}
	return i;
}

/* Writes prefix without its trailing spaces (an empty line stays empty). */
static void
put_prefix_bare(FILE *f, const char *p)
{
	size_t n = strlen(p);
	while (n && p[n - 1] == ' ')
		n--;
	fwrite(p, 1, n, f);
}

/* The line being filled, written whole when it ends. */
static void
lb_add(struct txt *t, const char *s, size_t n)
{
	if (!n)
		return;
	if (t->n + n > t->cap) {
		t->cap = (t->n + n) * 2 + 256;
		t->line = cf_xrealloc(t->line, t->cap);
	}
	memcpy(t->line + t->n, s, n);
	t->n += n;
}

static void
lb_end(struct txt *t)
{
	lb_add(t, "\n", 1);
	fwrite(t->line, 1, t->n, t->f);
	t->n = 0;
}

/* Words of text filled into lines of t->width, the first line after p1
 * and the rest after p2; '\n' in text is a hard break.  A word longer
 * than a line is cut, never left to run over. */
static void
wrap(struct txt *t, const char *text, const char *p1, const char *p2)
{
	const char *pre = p1;
	size_t p2n = strlen(p2);
	int avail0 = t->width - cf_md_width(p2, p2n);
	if (avail0 < 1)
		avail0 = 1;
	for (const char *line = text;;) {
		const char *nl = strchr(line, '\n');
		size_t ln = nl ? (size_t)(nl - line) : strlen(line);
		int avail = t->width - cf_md_width(pre, strlen(pre)), col = 0;
		if (avail < 1)
			avail = 1;
		lb_add(t, pre, strlen(pre));
		size_t i = 0;
		while (i < ln) {
			while (i < ln && line[i] == ' ')
				i++;
			const char *sp = i < ln ? memchr(line + i, ' ', ln - i) : NULL;
			size_t j = sp ? (size_t)(sp - line) : ln;
			if (j == i)
				break;
			const char *w = line + i;
			size_t wn = j - i;
			int ww = cf_md_width(w, wn);
			if (col && col + 1 + ww > avail) {
				lb_end(t);
				pre = p2;
				avail = avail0;
				lb_add(t, p2, p2n);
				col = 0;
			}
			if (col) {
				lb_add(t, " ", 1);
				col++;
			}
			while (ww > avail - col) {
				size_t k = bytes_for(w, wn, avail - col);
				lb_add(t, w, k);
				lb_end(t);
				pre = p2;
				avail = avail0;
				lb_add(t, p2, p2n);
				col = 0;
				w += k;
				wn -= k;
				ww = cf_md_width(w, wn);
			}
			lb_add(t, w, wn);
			col += ww;
			i = j;
		}
		lb_end(t);
		pre = p2;
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* A literal (code) line by line, cut at the width, never filled. */
static void
literal(struct txt *t, const char *s, const char *p1, const char *p2)
{
	const char *pre = p1;
	int avail = t->width - cf_md_width(p2, strlen(p2));
	if (avail < 1)
		avail = 1;
	size_t n = strlen(s);
	if (n && s[n - 1] == '\n')
		n--;
	for (size_t i = 0; i <= n;) {
		const char *e = memchr(s + i, '\n', n - i);
		size_t ln = e ? (size_t)(e - (s + i)) : n - i;
		const char *l = s + i;
		do {
			size_t k = bytes_for(l, ln, avail);
			if (k) {
				fputs(pre, t->f);
				fwrite(l, 1, k, t->f);
			} else {
				put_prefix_bare(t->f, pre);
			}
			fputc('\n', t->f);
			pre = p2;
			l += k;
			ln -= k;
		} while (ln);
		i += (size_t)(l - (s + i)) + 1;
		if (!e)
			break;
	}
}

static char *
cat(const char *a, const char *b)
{
	char *r = cf_xmalloc(strlen(a) + strlen(b) + 1);
	strcpy(r, a);
	strcat(r, b);
	return r;
}

static void block(struct txt *t, cmark_node *n, const char *p1, const char *p2);

/* A prefix one level deeper, unless it would take more than half the
 * width: deep nesting then stops indenting rather than overflow. */
static char *
nest(struct txt *t, const char *p, const char *add)
{
	if (cf_md_width(p, strlen(p)) + cf_md_width(add, strlen(add)) > t->width / 2) {
		/* keep the marker's width, so following lines still align */
		char *r = cf_xmalloc(strlen(p) + 1);
		strcpy(r, p);
		return r;
	}
	return cat(p, add);
}

/* Children one after another, a blank line between (none in a tight
 * list's items). */
static void
children(struct txt *t, cmark_node *n, const char *p1, const char *p2, int tight)
{
	int first = 1;
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
		if (!first && !tight) {
			put_prefix_bare(t->f, p2);
			fputc('\n', t->f);
		}
		block(t, c, first ? p1 : p2, p2);
		first = 0;
	}
}

/* A table from cmark-gfm's tree: columns as wide as their widest cell,
 * a rule under the header; a table wider than the page goes out a row a
 * line instead. */
static void
table(struct txt *t, cmark_node *tbl, const char *p1, const char *p2)
{
	int ncol = cf_md_columns(tbl), nrow = 0;
	for (cmark_node *r = cmark_node_first_child(tbl); r; r = cmark_node_next(r))
		nrow += cf_md_is_row(r);
	if (ncol < 1 || nrow < 1)
		return;
	char **cell = calloc((size_t)nrow * (size_t)ncol, sizeof *cell);
	int *w = calloc((size_t)ncol, sizeof *w), total = 0, i = 0;
	if (!cell || !w) {
		free(cell);
		free(w);
		return;
	}
	for (cmark_node *r = cmark_node_first_child(tbl); r; r = cmark_node_next(r)) {
		if (!cf_md_is_row(r))
			continue;
		int j = 0;
		for (cmark_node *c = cmark_node_first_child(r); c && j < ncol; c = cmark_node_next(c)) {
			char *s = cf_md_plain(c);
			/* a cell is one line, whatever its breaks were */
			for (char *q = s; *q; q++)
				if (*q == '\n' || *q == '\t')
					*q = ' ';
			cell[i * ncol + j] = s;
			int k = cf_md_width(s, strlen(s));
			if (k > w[j])
				w[j] = k;
			j++;
		}
		i++;
	}
	for (int j = 0; j < ncol; j++)
		total += w[j] + (j ? 3 : 0);
	const char *pre = p1;
	if (total + cf_md_width(p2, strlen(p2)) > t->width) {
		for (int r = 0; r < nrow; r++) {
			jv line = jv_string("");
			for (int j = 0; j < ncol; j++) {
				const char *s = cell[r * ncol + j] ? cell[r * ncol + j] : "";
				line = jv_string_concat(line, jv_string(j ? " | " : ""));
				line = jv_string_concat(line, jv_string(s));
			}
			wrap(t, jv_string_value(line), pre, p2);
			pre = p2;
			jv_free(line);
		}
	} else {
		for (int r = 0; r < nrow; r++) {
			fputs(pre, t->f);
			pre = p2;
			/* the last cells that say nothing leave no spaces behind */
			int last = ncol;
			while (last > 1 && !*(cell[r * ncol + last - 1] ? cell[r * ncol + last - 1] : ""))
				last--;
			for (int j = 0; j < last; j++) {
				const char *s = cell[r * ncol + j] ? cell[r * ncol + j] : "";
				fputs(j ? " | " : "", t->f);
				fputs(s, t->f);
				if (j + 1 < last)
					for (int k = cf_md_width(s, strlen(s)); k < w[j]; k++)
						fputc(' ', t->f);
			}
			fputc('\n', t->f);
			if (r == 0) {
				fputs(p2, t->f);
				for (int k = 0; k < total; k++)
					fputc('-', t->f);
				fputc('\n', t->f);
			}
		}
	}
	for (int k = 0; k < nrow * ncol; k++)
		free(cell[k]);
	free(cell);
	free(w);
}

static void
block(struct txt *t, cmark_node *n, const char *p1, const char *p2)
{
	char *s, *a, *b;
	/* Forty levels of quotes or lists is more than anyone reads; past
	 * them the text goes on flat, and the walk never runs out of stack
	 * on a message of 100,000 '>'. */
	if (t->depth > 40) {
		s = cf_md_text(n);
		for (char *q = s; *q; q++)
			if (*q == '\n')
				*q = ' ';
		wrap(t, s, p1, p2);
		free(s);
		return;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		s = cf_md_plain(n);
		wrap(t, s, p1, p2);
		free(s);
		break;
	case CMARK_NODE_HEADING: {
		s = cf_md_plain(n);
		wrap(t, s, p1, p2);
		if (cmark_node_get_heading_level(n) <= 2) {
			int w = cf_md_width(s, strlen(s)), max = t->width - cf_md_width(p2, strlen(p2));
			fputs(p2, t->f);
			for (int i = 0; i < (w < max ? w : max); i++)
				fputc(cmark_node_get_heading_level(n) == 1 ? '=' : '-', t->f);
			fputc('\n', t->f);
		}
		free(s);
		break;
	}
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_HTML_BLOCK:
		a = nest(t, p1, "    ");
		b = nest(t, p2, "    ");
		literal(t, cmark_node_get_literal(n), a, b);
		free(a);
		free(b);
		break;
	case CMARK_NODE_THEMATIC_BREAK: {
		int w = t->width - cf_md_width(p2, strlen(p2));
		fputs(p1, t->f);
		for (int i = 0; i < (w < 40 ? w : 40); i++)
			fputc('-', t->f);
		fputc('\n', t->f);
		break;
	}
	case CMARK_NODE_BLOCK_QUOTE:
		a = nest(t, p1, "| ");
		b = nest(t, p2, "| ");
		t->depth++;
		children(t, n, a, b, 0);
		t->depth--;
		free(a);
		free(b);
		break;
	case CMARK_NODE_LIST: {
		int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
		int num = cmark_node_get_list_start(n), tight = cmark_node_get_list_tight(n);
		const char *pre = p1;
		for (cmark_node *it = cmark_node_first_child(n); it; it = cmark_node_next(it)) {
			char mark[40], pad[40];
			int task = cf_md_task(it);
			if (ordered)
				snprintf(mark, sizeof mark, "%d. %s", num++,
				         task < 0 ? "" : task ? "[x] " : "[ ] ");
			else
				snprintf(mark, sizeof mark, "- %s",
				         task < 0 ? "" : task ? "[x] " : "[ ] ");
			memset(pad, ' ', strlen(mark));
			pad[strlen(mark)] = '\0';
			if (pre != p1 && !tight) {
				put_prefix_bare(t->f, p2);
				fputc('\n', t->f);
			}
			/* the marker shows, unless markers of items that start on
			 * one line would leave no room for the text */
			a = cf_md_width(pre, strlen(pre)) + (int)strlen(mark) > t->width - 10 ?
			    cat(pre, "") : cat(pre, mark);
			b = nest(t, p2, pad);
			t->depth++;
			children(t, it, a, b, tight);
			t->depth--;
			free(a);
			free(b);
			pre = p2;
		}
		break;
	}
	default:
		if (cf_md_is(n, "table"))
			table(t, n, p1, p2);
		else
			children(t, n, p1, p2, 0);
		break;
	}
}

static void
underline(FILE *f, const char *s, char c, int max)
{
	int w = cf_md_width(s, strlen(s));
	for (int i = 0; i < (w < max ? w : max); i++)
		fputc(c, f);
	fputc('\n', f);
}

static int
begin(cf_export *x)
{
	struct txt *t = cf_xmalloc(sizeof *t);
	memset(t, 0, sizeof *t);
	t->f = x->out;
	t->width = x->opt->width > 0 ? x->opt->width : 80;
	x->priv = t;
	/* a name is one line, however it was typed */
	char *name = strdup(cf_jstr(x->session, "name"));
	for (char *p = name; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	wrap(t, name, "", "");
	underline(t->f, name, '=', t->width);
	free(name);
	char when[40];
	cf_when_human(cf_jstr(x->session, "created"), when);
	wrap(t, when, "", "");
	return ferror(t->f) ? -1 : 0;
}

static int
message(cf_export *x, jv msg, cmark_node *doc)
{
	struct txt *t = x->priv;
	char head[280], when[40], title[200];
	cf_when_human(cf_jstr(msg, "timestamp"), when);
	snprintf(head, sizeof head, "%s · %s", cf_msg_heading(msg, title, sizeof title), when);
	fputc('\n', t->f);
	wrap(t, head, "", "");
	underline(t->f, head, '-', t->width);
	if (cmark_node_first_child(doc)) {
		fputc('\n', t->f);
		children(t, doc, "", "", 0);
	}
	if (ferror(t->f)) {
		free(t->line);
		free(t);
		x->priv = NULL;
		return -1;
	}
	return 0;
}

static int
end(cf_export *x)
{
	struct txt *t = x->priv;
	free(t->line);
	free(t);
	x->priv = NULL;
	return ferror(x->out) ? -1 : 0;
}

const struct cf_format cf_fmt_plaintext = {
	.name = "plaintext", .ext = "txt",
	.begin = begin, .message = message, .end = end,
};
