/* exp_md.c — Markdown out: a title, a heading per message, the content
 * as written with its headings moved under the message's, so the
 * document's outline stays whole, and its tables rendered back from
 * cmark-gfm's tree as aligned pipe tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "export.h"

static int
level(cf_export *x)
{
	int h = x->opt->header_level;
	return h >= 1 && h <= 5 ? h : 1;
}

static void
hashes(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc('#', f);
	fputc(' ', f);
}

/* One line of inline Markdown: a name could hold a newline or start a
 * list; headings take neither. */
static void
put_line(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else if (strchr("\\`*_[]<>#|&", *s))
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

static void
meta_item(FILE *f, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(f, "- **%s:** ", label);
	put_line(f, value);
	fputc('\n', f);
}

static int
begin(cf_export *x)
{
	FILE *f = x->out;
	jv s = x->session;
	hashes(f, level(x));
	put_line(f, cf_jstr(s, "name"));
	fputs("\n\n", f);
	if (!x->opt->metadata)
		return 0;
	char when[40], num[64];
	meta_item(f, "Session", cf_jstr(s, "id"));
	cf_when_human(cf_jstr(s, "created"), when);
	meta_item(f, "Created", when);
	cf_when_human(cf_jstr(s, "lastUpdated"), when);
	meta_item(f, "Updated", when);
	meta_item(f, "Provider", cf_jstr_or_null(s, "provider"));
	meta_item(f, "Model", cf_jstr_or_null(s, "model"));
	jv md = jv_object_get(jv_copy(s), jv_string("metadata"));
	snprintf(num, sizeof num, "%ld", cf_jlong(md, "messageCount"));
	meta_item(f, "Messages", num);
	snprintf(num, sizeof num, "%ld", cf_jlong(md, "totalTokens"));
	meta_item(f, "Tokens", num);
	jv tags = jv_object_get(jv_copy(md), jv_string("tags"));
	if (jv_get_kind(tags) == JV_KIND_ARRAY && jv_array_length(jv_copy(tags))) {
		jv j = jv_string("");
		jv_array_foreach(tags, i, t) {
			j = jv_string_concat(j, i ? jv_string(", ") : jv_string(""));
			j = jv_string_concat(j, t);
		}
		meta_item(f, "Tags", jv_string_value(j));
		jv_free(j);
	}
	jv_free(tags);
	if (jv_get_kind(jv_object_get(jv_copy(md), jv_string("starred"))) == JV_KIND_TRUE)
		meta_item(f, "Starred", "yes");
	jv_free(md);
	meta_item(f, "Branched from", cf_jstr_or_null(s, "parentSessionId"));
	jv set = jv_object_get(jv_copy(s), jv_string("settings"));
	const char *sys = cf_jstr_or_null(set, "systemPrompt");
	if (sys && *sys) {
		/* a quote block keeps a prompt of several lines whole */
		fputs("- **System prompt:**\n\n", f);
		for (const char *p = sys; *p;) {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			fputs("  > ", f);
			fwrite(p, 1, n, f);
			fputc('\n', f);
			p += n + (e ? 1 : 0);
		}
	}
	jv_free(set);
	fputc('\n', f);
	return 0;
}

/* The content goes out as written, not rendered back: cmark's renderer
 * would escape what needs no escaping (snake\_case, 2 \* 3) and respace
 * lists.  The tree says where the two changes go: headings one level
 * below the message's own, and the language on fences that name none. */
struct edit {
	int line;        /* 1-based, as cmark counts */
	int col;         /* byte offset in the line */
	int drop;        /* the whole line goes (a setext underline) */
	char text[16];   /* inserted at col */
};

/* A table's lines, first to last, written back as text instead. */
struct swap {
	int first, last;
	char *text;
};

struct edits {
	struct edit *e;
	size_t n, cap;
	struct swap *sw;
	size_t nsw, capsw;
};

static void
add_edit(struct edits *es, int line, int col, int drop, const char *text)
{
	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 8;
		es->e = cf_xrealloc(es->e, es->cap * sizeof *es->e);
	}
	struct edit *e = &es->e[es->n++];
	e->line = line;
	e->col = col;
	e->drop = drop;
	snprintf(e->text, sizeof e->text, "%s", text);
}

static int
by_place(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return x->line != y->line ? x->line - y->line : x->col - y->col;
}

/* An underline of a setext heading: up to three spaces, a run of '=' or
 * '-', spaces. */
static int
underline_line(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && p[i] == ' ')
		i++;
	if (i == n || (p[i] != '=' && p[i] != '-'))
		return 0;
	char c = p[i];
	while (i < n && p[i] == c)
		i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i == n;
}

/* The cell's Markdown as written, trimmed: escapes, code spans and
 * emphasis stay what they were.  NULL when cmark's positions do not fit
 * the line (the table is then left as it was written). */
static char *
cell_source(const char *line, size_t len, cmark_node *cell)
{
	int sc = cmark_node_get_start_column(cell), ec = cmark_node_get_end_column(cell);
	if (sc == 0)
		return cf_xstrdup("");   /* a cell cmark-gfm filled in */
	if (sc < 1 || (size_t)sc > len + 1)
		return NULL;
	size_t a = (size_t)sc - 1, b = ec < sc ? a : (size_t)ec;
	if (b > len)
		b = len;
	while (a < b && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	char *c = cf_xmalloc(b - a + 1);
	memcpy(c, line + a, b - a);
	c[b - a] = '\0';
	return c;
}

static void
pad(GString *g, char c, int n)
{
	for (; n > 0; n--)
		g_string_append_c(g, c);
}

/* A table rendered back from cmark-gfm's tree as a pipe table: each
 * cell's Markdown as written, columns padded to their widest cell in
 * terminal columns and aligned as the delimiter row says, the outer
 * pipes always there.  A row's line keeps what stood before the table
 * (a quote's '>', a list item's marker or indent).  NULL when the lines
 * are not the rows cmark-gfm says they are. */
static char *
table_back(const char *text, const struct cf_md_linemap *ls, cmark_node *tbl)
{
	int ncol = cf_md_columns(tbl), first = cmark_node_get_start_line(tbl);
	int nrow = 0;
	for (cmark_node *r = cmark_node_first_child(tbl); r; r = cmark_node_next(r)) {
		if (!cf_md_is_row(r))
			return NULL;
		/* the header, the delimiter row, then a row a line */
		if (cmark_node_get_start_line(r) != first + nrow + (nrow > 0))
			return NULL;
		nrow++;
	}
	int col0 = cmark_node_get_start_column(cmark_node_first_child(tbl)) - 1;
	if (ncol < 1 || nrow < 1 || col0 < 0 || first + nrow > ls->n ||
	    cmark_node_get_end_line(tbl) != first + nrow)
		return NULL;
	/* the delimiter row says nothing but its dashes, colons and pipes */
	const char *dl = text + ls->start[first];
	size_t dn = ls->len[first];
	if ((size_t)col0 > dn || col0 + strspn(dl + col0, "|:- \t") != dn)
		return NULL;

	char **cell = calloc((size_t)nrow * (size_t)ncol, sizeof *cell);
	int *w = calloc((size_t)ncol, sizeof *w), ok = 1, i = 0;
	if (!cell || !w)
		ok = 0;
	for (cmark_node *r = cmark_node_first_child(tbl); ok && r; r = cmark_node_next(r), i++) {
		int l = cmark_node_get_start_line(r);
		const char *line = text + ls->start[l - 1];
		int j = 0;
		for (cmark_node *c = cmark_node_first_child(r); ok && c && j < ncol;
		     c = cmark_node_next(c), j++) {
			char *src = cell_source(line, ls->len[l - 1], c);
			if (!src) {
				ok = 0;
				break;
			}
			cell[i * ncol + j] = src;
			int k = cf_md_width(src, strlen(src));
			if (k > w[j])
				w[j] = k;
		}
	}
	GString *g = NULL;
	if (ok) {
		g = g_string_new(NULL);
		for (int j = 0; j < ncol; j++)
			if (w[j] < 3)
				w[j] = 3;   /* room for ":-:" */
		i = 0;
		for (cmark_node *r = cmark_node_first_child(tbl); r; r = cmark_node_next(r), i++) {
			int l = cmark_node_get_start_line(r);
			int c0 = cmark_node_get_start_column(r) - 1;
			const char *line = text + ls->start[l - 1];
			g_string_append_len(g, line, c0 > 0 ? c0 : 0);
			g_string_append_c(g, '|');
			for (int j = 0; j < ncol; j++) {
				const char *c = cell[i * ncol + j] ? cell[i * ncol + j] : "";
				int room = w[j] - cf_md_width(c, strlen(c)), a = cf_md_align(tbl, j);
				int before = a == 'r' ? room : a == 'c' ? room / 2 : 0;
				g_string_append_c(g, ' ');
				pad(g, ' ', before);
				g_string_append(g, c);
				pad(g, ' ', room - before);
				g_string_append(g, " |");
			}
			g_string_append_c(g, '\n');
			if (i == 0) {
				g_string_append_len(g, dl, col0);
				g_string_append_c(g, '|');
				for (int j = 0; j < ncol; j++) {
					int a = cf_md_align(tbl, j);
					g_string_append_c(g, ' ');
					g_string_append_c(g, a == 'l' || a == 'c' ? ':' : '-');
					pad(g, '-', w[j] - 2);
					g_string_append_c(g, a == 'r' || a == 'c' ? ':' : '-');
					g_string_append(g, " |");
				}
				g_string_append_c(g, '\n');
			}
		}
	}
	if (cell)
		for (int k = 0; k < nrow * ncol; k++)
			free(cell[k]);
	free(cell);
	free(w);
	return g ? g_string_free(g, FALSE) : NULL;
}

static void
add_swap(struct edits *es, int first, int last, char *text)
{
	if (es->nsw == es->capsw) {
		es->capsw = es->capsw ? es->capsw * 2 : 4;
		es->sw = cf_xrealloc(es->sw, es->capsw * sizeof *es->sw);
	}
	es->sw[es->nsw++] = (struct swap){first, last, text};
}

/* A fence that was opened and never closed: its character and length,
 * so the document can close it after the message (0: none). */
struct open_fence {
	char c;
	size_t n;
};

static void
plan(struct edits *es, const char *text, const struct cf_md_linemap *ls, cmark_node *doc,
     int shift, const char *lang, struct open_fence *open)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	open->n = 0;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (cf_md_is(n, "table")) {
			char *t = table_back(text, ls, n);
			if (t)
				add_swap(es, cmark_node_get_start_line(n),
				         cmark_node_get_end_line(n), t);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			continue;
		}
		cmark_node_type ty = cmark_node_get_type(n);
		if (ty != CMARK_NODE_HEADING && ty != CMARK_NODE_CODE_BLOCK)
			continue;
		int l = cmark_node_get_start_line(n), c = cmark_node_get_start_column(n) - 1;
		if (l < 1 || l > ls->n || c < 0 || (size_t)c >= ls->len[l - 1])
			continue;
		const char *p = text + ls->start[l - 1];
		size_t len = ls->len[l - 1];
		if (ty == CMARK_NODE_HEADING) {
			int from = cmark_node_get_heading_level(n), to = from + shift;
			char h[16];
			if (to > 6)
				to = 6;
			if (p[c] == '#') {
				memset(h, '#', (size_t)(to - from));
				h[to - from] = '\0';
				add_edit(es, l, c, 0, h);
				continue;
			}
			/* setext: made ATX, its underline dropped.  cmark may
			 * give the end a line late, so the underline is looked for,
			 * never assumed. */
			int e = cmark_node_get_end_line(n);
			for (int u = l + 1; u <= e && u <= ls->n; u++) {
				if (underline_line(text + ls->start[u - 1], ls->len[u - 1])) {
					memset(h, '#', (size_t)to);
					h[to] = ' ';
					h[to + 1] = '\0';
					add_edit(es, l, c, 0, h);
					add_edit(es, u, 0, 1, "");
					break;
				}
			}
		} else if (p[c] == '`' || p[c] == '~') {
			/* a fence, three or more, and not an indented block whose
			 * text starts with backticks: that text is the literal's */
			size_t k = (size_t)c;
			while (k < len && p[k] == p[c])
				k++;
			const char *lit = cmark_node_get_literal(n);
			size_t first = strcspn(lit, "\r\n");
			if (k - (size_t)c < 3 || (first && first <= len - (size_t)c &&
			                          !strncmp(p + c, lit, first)))
				continue;
			/* unclosed when its last line is not a fence of its kind */
			int e = cmark_node_get_end_line(n);
			if (e >= 1 && e <= ls->n) {
				const char *q = text + ls->start[e - 1];
				size_t ql = ls->len[e - 1], m = 0;
				while (m < ql && m < 3 && q[m] == ' ')
					m++;
				size_t run = 0;
				while (m + run < ql && q[m + run] == p[c])
					run++;
				if (e == l || run < k - (size_t)c) {
					open->c = p[c];
					open->n = k - (size_t)c;
				}
			}
			if (!lang)
				continue;
			size_t r = k;
			while (r < len && (p[r] == ' ' || p[r] == '\t'))
				r++;
			if (r == len)
				add_edit(es, l, (int)k, 0, "");   /* marks: lang goes here */
		}
	}
	cmark_iter_free(it);
	if (es->n)
		qsort(es->e, es->n, sizeof *es->e, by_place);
}

static void
put_content(FILE *f, const char *text, cmark_node *doc, int shift, const char *lang)
{
	struct edits es = {0};
	struct cf_md_linemap ls;
	struct open_fence open = {0, 0};
	cf_md_lines(text, &ls);
	plan(&es, text, &ls, doc, shift, lang, &open);
	size_t k = 0, sw = 0;
	for (int l = 1; l <= ls.n; l++) {
		if (sw < es.nsw && es.sw[sw].first == l) {
			fputs(es.sw[sw].text, f);
			l = es.sw[sw].last;
			while (k < es.n && es.e[k].line <= l)
				k++;
			sw++;
			continue;
		}
		const char *p = text + ls.start[l - 1];
		size_t n = ls.len[l - 1];
		int drop = 0;
		size_t at = 0;
		for (size_t j = k; j < es.n && es.e[j].line == l; j++)
			drop |= es.e[j].drop;
		if (!drop) {
			for (; k < es.n && es.e[k].line == l; k++) {
				size_t c = (size_t)es.e[k].col;
				fwrite(p + at, 1, c - at, f);
				fputs(es.e[k].text[0] || !lang ? es.e[k].text : lang, f);
				at = c;
			}
			fwrite(p + at, 1, n - at, f);
			fputc('\n', f);
		}
		while (k < es.n && es.e[k].line == l)
			k++;
	}
	/* a reply cut off inside a code block must not take the messages
	 * after it into the block */
	if (open.n) {
		for (size_t i = 0; i < open.n; i++)
			fputc(open.c, f);
		fputc('\n', f);
	}
	free(es.e);
	for (size_t i = 0; i < es.nsw; i++)
		g_free(es.sw[i].text);
	free(es.sw);
	cf_md_lines_free(&ls);
}

/* Text that is not Markdown, written so it stays text: punctuation that
 * could start markup is escaped. */
static void
put_esc(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\`*_[]<>#|~&", s[i]))
			fputc('\\', f);
		if (s[i] != '\r')
			fputc(s[i], f);
	}
}

/* Lines of text in a quote: each escaped, a hard break and the quote's
 * "> " between them, so every line stays in the quote and apart. */
static void
put_esc_lines(FILE *f, const char *t)
{
	for (int first = 1; *t; first = 0) {
		size_t k = strcspn(t, "\n"), at = 0;
		/* what would start a list or underline a heading at a line's
		 * start ("- x", "1. x", "==="), which put_esc leaves alone */
		while (!first && at < k && (t[at] == ' ' || t[at] == '\t'))
			at++;
		size_t d = at;
		while (!first && d < k && d - at < 9 && t[d] >= '0' && t[d] <= '9')
			d++;
		if (!first && at < k && (strchr("-+=", t[at]) ||
		                         (d > at && d < k && (t[d] == '.' || t[d] == ')')))) {
			size_t m = strchr("-+=", t[at]) ? at : d;
			put_esc(f, t, m);
			fputc('\\', f);
			put_esc(f, t + m, k - m);
		} else {
			put_esc(f, t, k);
		}
		t += k;
		if (*t == '\n' && *++t)
			fputs("\\\n> ", f);
	}
}

/* Edits and reactions on a line in italics, then each note as a marked
 * quote:  > **Note** (alice, 2026-11-24 08:05:00 UTC): text
 *         > on “the words”  */
static void
put_marks(FILE *f, jv msg)
{
	char *line = cf_marks_line(msg, 0);
	if (*line) {
		fputc('*', f);
		put_esc(f, line, strlen(line));
		fputs("*\n\n", f);
	}
	free(line);
	jv notes = cf_msg_marks(msg, "notes");
	jv_array_foreach(notes, i, n) {
		char *head = cf_note_head(n);
		fputs("> **Note**", f);
		put_esc(f, head, strlen(head));
		free(head);
		put_esc_lines(f, cf_jstr(n, "text"));
		fputc('\n', f);
		const char *quote = cf_jstr_or_null(n, "quote");
		if (quote && *quote) {
			fputs("> on \u201c", f);
			put_esc_lines(f, quote);
			fputs("\u201d\n", f);
		}
		fputc('\n', f);
		jv_free(n);
	}
	jv_free(notes);
}

/* --history: each earlier version as written, under an italic line as
 * chat-show --history words it; then the line over the current one. */
static int
put_versions(FILE *f, jv msg, int h, const struct cf_xopt *o)
{
	jv edits = cf_msg_marks(msg, "edits");
	int n = jv_array_length(jv_copy(edits)), rc = 0;
	for (int i = 0; n && i <= n && !rc; i++) {
		jv e = i < n ? jv_array_get(jv_copy(edits), i) : jv_null();
		char *head = cf_version_head(e, i, n + 1);
		fputc('*', f);
		put_esc(f, head, strlen(head));
		fputs("*\n\n", f);
		free(head);
		if (i < n) {
			char *keep;
			cmark_node *old = cf_md_parse_any(cf_jstr(e, "content"), o, &keep);
			if (old) {
				const char *text = cf_md_source(old);
				put_content(f, text, old, h, o->code_lang);
				if (*text)
					fputc('\n', f);
				cmark_node_free(old);
			} else {
				errno = ENOMEM;
				rc = -1;
			}
			g_free(keep);
		}
		jv_free(e);
	}
	jv_free(edits);
	return rc;
}

/* The thinking before the reply, in a <details> block (GFM keeps it
 * closed; other readers show a quote): each part a quote, its
 * paragraphs apart, every word escaped. */
static void
put_thinking(FILE *f, jv msg)
{
	jv l = cf_thinking_parts(msg);
	if (jv_array_length(jv_copy(l)) > 0) {
		fputs("<details>\n<summary>Thinking</summary>\n\n", f);
		jv_array_foreach(l, i, t) {
			const char *s = jv_string_value(t);
			int first = 1;
			while (*s) {
				/* a paragraph: the lines up to an empty one */
				const char *e = s;
				while (*e && !(e[0] == '\n' && (e[1] == '\n' || !e[1])))
					e++;
				if (e > s) {
					/* a paragraph's indent would make it code (four
					 * spaces) or a list ("  - x") in the quote, its
					 * escapes shown: a paragraph's lines lose theirs
					 * in Markdown anyway */
					const char *from = s + strspn(s, " \t");
					if (from > e)
						from = e;
					char *para = strndup(from, (size_t)(e - from));
					fputs(first ? "> " : ">\n> ", f);
					/* a list or a heading's underline at its start
					 * stays text, as put_esc_lines keeps its others */
					size_t d = strspn(para, "0123456789");
					if (strchr("-+=", para[0]) && para[0])
						fputc('\\', f);
					else if (d && d < 10 && (para[d] == '.' || para[d] == ')')) {
						put_esc(f, para, d);
						memmove(para, para + d, strlen(para + d) + 1);
						fputc('\\', f);
					}
					put_esc_lines(f, para);
					fputc('\n', f);
					free(para);
					first = 0;
				}
				s = e;
				while (*s == '\n')
					s++;
			}
			fputc('\n', f);
			jv_free(t);
		}
		fputs("</details>\n\n", f);
	}
	jv_free(l);
}

static int
message(cf_export *x, jv msg, cmark_node *doc)
{
	FILE *f = x->out;
	int h = level(x) + 1;
	hashes(f, h);
	char head[200];
	fputs(cf_msg_heading(msg, head, sizeof head), f);
	if (x->opt->timestamps) {
		char when[40];
		cf_when_human(cf_jstr(msg, "timestamp"), when);
		fprintf(f, " · %s", when);
	}
	fputs("\n\n", f);
	if (x->opt->metadata) {
		jv md = jv_object_get(jv_copy(msg), jv_string("metadata"));
		const char *model = cf_jstr_or_null(md, "model");
		long tokens = cf_jlong(md, "tokens"), ms = cf_jlong(md, "processing_time");
		int any = 0;
		if (model) {
			fputs("*", f);
			put_line(f, model);
			any = 1;
		}
		if (tokens >= 0) {
			fprintf(f, "%s%ld tokens", any ? " · " : "*", tokens);
			any = 1;
		}
		if (ms >= 0) {
			fprintf(f, "%s%.1f s", any ? " · " : "*", ms / 1000.0);
			any = 1;
		}
		if (any)
			fputs("*\n\n", f);
		jv_free(md);
	}
	if (cf_msg_reset(msg))
		fprintf(f, "*%s*\n\n", cf_reset_note);
	if (x->opt->history && put_versions(f, msg, h, x->opt))
		return -1;
	put_thinking(f, msg);
	const char *text = cf_md_source(doc);
	put_content(f, text, doc, h, x->opt->code_lang);
	if (*text)
		fputc('\n', f);
	char *calls = cf_tool_calls_text(msg);   /* a reply's tool calls, in italics */
	for (char *l = calls, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		fputc('*', f);
		put_esc(f, l, (size_t)(e - l));
		fputs("*\n\n", f);
	}
	free(calls);
	char *carried = cf_context_line(msg);   /* what it was sent with */
	if (*carried) {
		fputc('*', f);
		put_esc(f, carried, strlen(carried));
		fputs("*\n\n", f);
	}
	free(carried);
	put_marks(f, msg);
	return ferror(f) ? -1 : 0;
}

static int
end(cf_export *x)
{
	return ferror(x->out) ? -1 : 0;
}

const struct cf_format cf_fmt_markdown = {
	.name = "markdown", .ext = "md",
	.begin = begin, .message = message, .end = end,
};
