/* export.c — one session out in a format: the loop every format shares,
 * and the pieces of cmark's tree more than one renderer needs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "export.h"
#include "priv.h"

const struct cf_format *const cf_formats[] = {
	&cf_fmt_markdown, &cf_fmt_json, &cf_fmt_plaintext, &cf_fmt_html,
	&cf_fmt_pdf, &cf_fmt_docx, NULL,
};

const struct cf_format *
cf_format_named(const char *name)
{
	static const struct { const char *alias, *name; } aliases[] = {
		{"md", "markdown"}, {"txt", "plaintext"}, {"text", "plaintext"},
		{"htm", "html"},
	};
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
		if (!strcasecmp(name, aliases[i].alias))
			name = aliases[i].name;
	for (int i = 0; cf_formats[i]; i++)
		if (!strcasecmp(name, cf_formats[i]->name))
			return cf_formats[i];
	return NULL;
}

const struct cf_format *
cf_format_for_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');
	if (!dot || dot[1] == '\0')
		return NULL;
	return cf_format_named(dot + 1);
}

/* ---- the loop ---- */

struct run {
	cf_export *x;
	const struct cf_format *f;
	int rc;
};

static int
each(jv msg, const char *text, struct run *r)
{
	/* The store may hold what another tool wrote: bytes that are not
	 * UTF-8 become U+FFFD here, or pango refuses the page. */
	char *valid = NULL;
	if (text && !cf_utf8_valid(text, strlen(text)))
		text = valid = g_utf8_make_valid(text, -1);
	cmark_node *doc = r->f->raw ? NULL : cf_md_parse(text, strlen(text), r->x->opt);
	r->rc = r->f->message(r->x, msg, doc);
	if (doc)
		cmark_node_free(doc);
	g_free(valid);
	jv_free(msg);
	r->x->index++;
	return r->rc != 0;
}

static int
one(jv msg, void *ctx)
{
	return each(msg, NULL, ctx);
}

/* What a rendering format reads of a message, without the rest of the
 * record: the arrays, the extra metadata and the attachments subquery
 * were half of a long export's time. */
static jv
lean_row(sqlite3_stmt *s)
{
	jv md = jv_object();
	md = jv_object_set(md, jv_string("tokens"), sqlite3_column_type(s, 4) == SQLITE_NULL ?
	                   jv_null() : jv_number((double)sqlite3_column_int64(s, 4)));
	md = jv_object_set(md, jv_string("model"), cf_col_text(s, 5));
	md = jv_object_set(md, jv_string("processing_time"), sqlite3_column_type(s, 6) == SQLITE_NULL ?
	                   jv_null() : jv_number((double)sqlite3_column_int64(s, 6)));
	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("message"));
	r = jv_object_set(r, jv_string("id"), cf_col_text(s, 0));
	r = jv_object_set(r, jv_string("role"), cf_col_text(s, 1));
	/* no "content": made a jv string, it would be checked as UTF-8 once
	 * more (an eighth of the time); the tree holds it (cf_md_source) */
	r = jv_object_set(r, jv_string("timestamp"), cf_time_jv(sqlite3_column_int64(s, 3)));
	return jv_object_set(r, jv_string("metadata"), md);
}

int
cf_export_session(cf_store *st, jv session, const struct cf_format *f,
                  const struct cf_xopt *o, FILE *out)
{
	static const char sql[] =
		"SELECT m.id, m.role, " CF_MESSAGE_CONTENT ", m.timestamp, m.tokens,"
		" m.model, m.processing_time FROM messages m WHERE m.session_id = ?1"
		" ORDER BY m.seq";
	cf_export x = {.out = out, .opt = o, .st = st, .session = session};
	struct run r = {.x = &x, .f = f};
	errno = 0;
	if ((r.rc = f->begin(&x)) == 0) {
		/* rows come one at a time: memory does not follow the session */
		if (f->raw) {
			cf_message_list(st, cf_jstr(session, "id"), 0, NULL, one, &r);
		} else {
			sqlite3_stmt *s = cf_prepare(st, sql);
			cf_bind_text(s, 1, cf_jstr(session, "id"));
			int rc;
			while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
				const char *text = (const char *)sqlite3_column_text(s, 2);
				if (each(lean_row(s), text ? text : "", &r))
					break;
			}
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				cf_store_fail(st, "reading messages");
			sqlite3_finalize(s);
		}
		if (r.rc == 0)
			r.rc = f->end(&x);
	}
	if (r.rc == 0 && (fflush(out) != 0 || ferror(out)))
		r.rc = -1;
	if (r.rc && !errno)
		errno = EIO;
	jv_free(session);
	return r.rc;
}

/* ---- cmark's tree ---- */

cmark_node *
cf_md_parse(const char *text, size_t len, const struct cf_xopt *o)
{
	cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
	if (!doc)
		cf_die(CF_EX_FAIL, "out of memory parsing a message");
	/* a table's cells are read from the lines as written (cf_md_table) */
	cmark_node_set_user_data(doc, (void *)text);
	if (o && o->code_lang && *o->code_lang) {
		cmark_iter *it = cmark_iter_new(doc);
		cmark_event_type ev;
		while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
			cmark_node *n = cmark_iter_get_node(it);
			if (ev == CMARK_EVENT_ENTER &&
			    cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK &&
			    cmark_node_get_fence_info(n)[0] == '\0')
				cmark_node_set_fence_info(n, o->code_lang);
		}
		cmark_iter_free(it);
	}
	return doc;
}

/* The cells of one table row: split at pipes that are not escaped and
 * not inside a code span, trimmed; the outer pipes are optional. */
static jv
table_row(const char *s, size_t n)
{
	jv row = jv_array();
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n && *s == '|')
		s++, n--;
	if (n && s[n - 1] == '|' && !(n >= 2 && s[n - 2] == '\\'))
		n--;
	char *cell = cf_xmalloc(n + 1);
	size_t k = 0;
	int code = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || (s[i] == '|' && !code)) {
			size_t a = 0, b = k;
			while (a < b && (cell[a] == ' ' || cell[a] == '\t'))
				a++;
			while (b > a && (cell[b - 1] == ' ' || cell[b - 1] == '\t'))
				b--;
			row = jv_array_append(row, jv_string_sized(cell + a, (int)(b - a)));
			k = 0;
			continue;
		}
		if (s[i] == '`')
			code = !code;
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '|')
			cell[k++] = s[i++];   /* "\|" stays: the cell is Markdown */
		cell[k++] = s[i];
	}
	free(cell);
	return row;
}

static int
delimiter_row(jv row)
{
	int ok = jv_array_length(jv_copy(row)) > 0;
	jv_array_foreach(row, i, c) {
		const char *p = jv_string_value(c);
		int dashes = 0;
		if (*p == ':')
			p++;
		while (*p == '-')
			p++, dashes++;
		if (*p == ':')
			p++;
		if (*p || !dashes)
			ok = 0;
		jv_free(c);
		(void)i;
	}
	return ok;
}

/* Appends to a growing string. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = cf_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
cf_md_lines(const char *text, struct cf_md_linemap *ls)
{
	int cap = 64;
	ls->start = cf_xmalloc((size_t)cap * sizeof *ls->start);
	ls->len = cf_xmalloc((size_t)cap * sizeof *ls->len);
	ls->n = 0;
	size_t i = 0;
	while (text[i]) {
		size_t j = i + strcspn(text + i, "\r\n");
		if (ls->n == cap) {
			cap *= 2;
			ls->start = cf_xrealloc(ls->start, (size_t)cap * sizeof *ls->start);
			ls->len = cf_xrealloc(ls->len, (size_t)cap * sizeof *ls->len);
		}
		ls->start[ls->n] = i;
		ls->len[ls->n++] = j - i;
		if (text[j] == '\r' && text[j + 1] == '\n')
			j++;
		i = text[j] ? j + 1 : j;
	}
}

void
cf_md_lines_free(struct cf_md_linemap *ls)
{
	free(ls->start);
	free(ls->len);
}

/* The paragraph's lines as written, from the source cf_md_parse kept
 * on the document: what a cell says (emphasis, code, an escaped pipe)
 * survives.  Inside a quote or a list the lines lose what is left of
 * the paragraph's first column.  NULL without a source. */
static char *
source_lines(cmark_node *para)
{
	cmark_node *doc = para;
	while (cmark_node_parent(doc))
		doc = cmark_node_parent(doc);
	const char *src = cmark_node_get_user_data(doc);
	int first = cmark_node_get_start_line(para), last = cmark_node_get_end_line(para);
	int col = cmark_node_get_start_column(para);
	if (!src || first < 1 || last < first)
		return NULL;
	struct cf_md_linemap ls;
	cf_md_lines(src, &ls);
	struct sbuf b = {0};
	sb_add(&b, "", 0);
	for (int l = first; l <= last && l <= ls.n; l++) {
		const char *p = src + ls.start[l - 1];
		size_t n = ls.len[l - 1], skip = 0;
		while (skip + 1 < (size_t)col && skip < n &&
		       (p[skip] == ' ' || p[skip] == '>' || p[skip] == '\t'))
			skip++;
		if (l > first)
			sb_add(&b, "\n", 1);
		sb_add(&b, p + skip, n - skip);
	}
	cf_md_lines_free(&ls);
	return b.p;
}

/* A pipe in the paragraph's own text (not in code): without one it is
 * no table, and most paragraphs are told so without a copy. */
static int
has_pipe(cmark_node *para)
{
	for (cmark_node *c = cmark_node_first_child(para); c; c = cmark_node_next(c))
		if (cmark_node_get_type(c) == CMARK_NODE_TEXT &&
		    strchr(cmark_node_get_literal(c), '|'))
			return 1;
	return 0;
}

jv
cf_md_table(cmark_node *para)
{
	if (cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH || !has_pipe(para))
		return jv_invalid();
	char *src = source_lines(para);
	if (!src)
		src = cf_md_text(para);
	jv rows = jv_array();
	int ok = 1, line = 0;
	for (char *p = src; ok && *p; line++) {
		char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!memchr(p, '|', n)) {
			ok = 0;
			break;
		}
		jv row = table_row(p, n);
		if (line == 1) {
			ok = delimiter_row(row);
			jv_free(row);
		} else {
			rows = jv_array_append(rows, row);
		}
		p += n + (e ? 1 : 0);
	}
	free(src);
	if (!ok || line < 2) {
		jv_free(rows);
		return jv_invalid();
	}
	return rows;
}

char *
cf_md_cell_text(const char *cell)
{
	/* most cells say nothing Markdown would change: no inline markup
	 * anywhere, and no start that makes a block of it ("- x", "1. x") */
	if (!cell[strcspn(cell, "*_`[]\\<>&!")] && !strchr("#>-+=~0123456789", cell[0]))
		return cf_xstrdup(cell);
	cmark_node *d = cmark_parse_document(cell, strlen(cell), CMARK_OPT_DEFAULT);
	char *r = cf_md_plain(d);
	cmark_node_free(d);
	return r;
}

char *
cf_md_plain(cmark_node *node)
{
	struct sbuf b = {0};
	sb_add(&b, "", 0);
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type ty = cmark_node_get_type(n);
		if (ev == CMARK_EVENT_EXIT) {
			/* plain text keeps where a link went, unless it says so */
			if (n != node && (ty == CMARK_NODE_LINK || ty == CMARK_NODE_IMAGE)) {
				const char *url = cmark_node_get_url(n);
				char *txt = cf_md_text(n);
				if (url && *url && strcmp(url, txt)) {
					sb_add(&b, " (", 2);
					sb_add(&b, url, strlen(url));
					sb_add(&b, ")", 1);
				}
				free(txt);
			}
			continue;
		}
		const char *l;
		size_t len;
		switch (ty) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_HTML_BLOCK:   /* "<b>" alone is a block to cmark */
		case CMARK_NODE_CODE_BLOCK:
			l = cmark_node_get_literal(n);
			len = strlen(l);
			sb_add(&b, l, len && l[len - 1] == '\n' ? len - 1 : len);
			break;
		case CMARK_NODE_SOFTBREAK:
			sb_add(&b, " ", 1);
			break;
		case CMARK_NODE_LINEBREAK:
			sb_add(&b, "\n", 1);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	return b.p;
}

char *
cf_md_text(cmark_node *node)
{
	struct sbuf b = {0};
	sb_add(&b, "", 0);
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		const char *lit;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_HTML_INLINE:
			lit = cmark_node_get_literal(n);
			sb_add(&b, lit, strlen(lit));
			break;
		case CMARK_NODE_CODE:
			/* as written, so a table cell keeps its code span */
			lit = cmark_node_get_literal(n);
			sb_add(&b, "`", 1);
			sb_add(&b, lit, strlen(lit));
			sb_add(&b, "`", 1);
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			sb_add(&b, "\n", 1);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	return b.p;
}

/* An allow-list, not a deny-list: file: to a remote share sends the
 * reader's login hash when clicked, and javascript:, data:, search-ms:
 * and whatever comes next run or fetch something. */
int
cf_link_clickable(const char *url)
{
	static const char *const ok[] = {"http://", "https://", "mailto:", "ftp://"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (!strncasecmp(url, ok[i], strlen(ok[i])))
			return 1;
	return 0;
}

void
cf_when_human(const char *t, char out[40])
{
	/* the record's own form, cut to the second: no time zone database
	 * and no locale between the store and the page */
	if (strlen(t) >= 19 && t[10] == 'T')
		snprintf(out, 40, "%.10s %.8s UTC", t, t + 11);
	else
		snprintf(out, 40, "%s", t);
}

const char *
cf_md_source(cmark_node *doc)
{
	const char *s = cmark_node_get_user_data(doc);
	return s ? s : "";
}

const char *
cf_role_title(const char *role)
{
	if (!strcmp(role, "user"))
		return "User";
	if (!strcmp(role, "assistant"))
		return "Assistant";
	if (!strcmp(role, "system"))
		return "System";
	return role;
}

char *
cf_safe_name(const char *name, const char *ext)
{
	size_t n = strlen(name), max = 100;
	char *o = cf_xmalloc(max + strlen(ext) + 8);
	size_t k = 0;
	for (size_t i = 0; i < n && k < max;) {
		unsigned char c = (unsigned char)name[i];
		/* whole UTF-8 characters only, so a cut never leaves half of one */
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (i + len > n || k + len > max)
			break;
		/* C1 controls are two bytes in UTF-8: 0xc2 0x80..0x9f; and the
		 * characters that reorder or hide text (U+200B..U+200F,
		 * U+202A..U+202E, U+2066..U+2069, U+FEFF) would disguise a
		 * name: "invoice\u202Efdp.exe" */
		const unsigned char *u = (const unsigned char *)name + i;
		int c1 = c == 0xc2 && i + 1 < n && u[1] < 0xa0;
		if (len == 3 && ((u[0] == 0xe2 && u[1] == 0x80 &&
		                  ((u[2] >= 0x8b && u[2] <= 0x8f) || (u[2] >= 0xaa && u[2] <= 0xae))) ||
		                 (u[0] == 0xe2 && u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9) ||
		                 (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)))
			c1 = 1;
		if (c1 || c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' ||
		    c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|') {
			/* one '-' for a run of them */
			if (k && o[k - 1] != '-')
				o[k++] = '-';
		} else {
			memcpy(o + k, name + i, len);
			k += len;
		}
		i += len;
	}
	/* no leading dots (hidden files, ".."), no trailing dots or spaces */
	size_t a = 0;
	while (a < k && (o[a] == '.' || o[a] == ' ' || o[a] == '-'))
		a++;
	while (k > a && (o[k - 1] == '.' || o[k - 1] == ' ' || o[k - 1] == '-'))
		k--;
	memmove(o, o + a, k - a);
	k -= a;
	if (!k) {
		memcpy(o, "session", 7);
		k = 7;
	}
	o[k] = '\0';
	/* names Windows keeps for devices, with or without an extension */
	static const char *const dev[] = {"con", "prn", "aux", "nul", "com1", "com2",
		"com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
		"lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"};
	size_t stem = strcspn(o, ".");
	for (size_t d = 0; d < sizeof dev / sizeof *dev; d++)
		if (stem == strlen(dev[d]) && !strncasecmp(o, dev[d], stem)) {
			memmove(o + stem + 1, o + stem, k - stem + 1);
			o[stem] = '_';
			k++;
			break;
		}
	if (*ext) {
		strcat(o, ".");
		strcat(o, ext);
	}
	return o;
}
