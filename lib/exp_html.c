/* exp_html.c — one self-contained HTML page: inline CSS for light and
 * dark schemes and narrow screens, no script, nothing fetched.
 *
 * Raw HTML in a message is never passed through: before rendering, every
 * HTML node becomes text (so <script> shows as text), images become links
 * (an image would be a request), and addresses with a scheme that runs
 * or reads something (javascript:, vbscript:, file:, data:) are dropped.
 * Nothing unsafe is left in the tree, so it is rendered with
 * CMARK_OPT_UNSAFE (which would pass raw HTML) and with cmark-gfm's
 * extensions: tables, <del>, and a task's disabled checkbox.
 *
 * cf_html_message renders one message's content the same way, as a
 * fragment for chat-serve's page, with two things more: an address must be
 * http, https, mailto or relative (the page is an origin with a session
 * cookie, not a file), and fenced code is colored by the highlighter with
 * classes, never style attributes (the page's CSP allows no inline style):
 * share/confab/web/static/highlight.css colors them. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export.h"
#include "highlight.h"

#include <cmark-gfm-extension_api.h>

/* What the page renders at most (cf_html_message), so that no message
 * holds chat-serve's one thread: cmark-gfm 0.29.0.gfm.6 makes every cell a
 * table's header promises in every row, and splits a row in time that
 * grows with the square of its cells, and a broken block is reparsed at
 * every line (lib/highlight.c bounds code's nesting for every caller).
 * Past these the text is still all there: tables as their text, code
 * plain. */
#define PAGE_CELLS 100000      /* a message's table cells, at most */
#define PAGE_COLUMNS 256       /* '|' on one line */
#define PAGE_CODE ((size_t)64 << 10)   /* bytes of code colored */

/* One thread writes: stdio's lock per call was a tenth of the time. */
#define fputc fputc_unlocked
#define fputs fputs_unlocked
#define fwrite fwrite_unlocked

static const char css[] =
	":root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--mute:#59636e;"
	"--line:#d1d9e0;--code:#f6f8fa;--user:#0969da;--asst:#1a7f37;--sys:#9a6700}"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;"
	"--mute:#9198a1;--line:#3d444d;--code:#151b23;--user:#4493f8;"
	"--asst:#3fb950;--sys:#d29922}}"
	"body{margin:0 auto;max-width:46rem;padding:1rem;color:var(--fg);"
	"background:var(--bg);font:16px/1.55 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Noto Sans',sans-serif;overflow-wrap:anywhere}"
	".head{border-bottom:1px solid var(--line);margin-bottom:1rem}"
	".head p,.meta{color:var(--mute);font-size:.875rem}"
	".msg{border-left:3px solid var(--line);padding:0 0 0 .9rem;margin:1.5rem 0}"
	".msg.user{border-color:var(--user)}.msg.assistant{border-color:var(--asst)}"
	".msg.system{border-color:var(--sys)}"
	".msg>h2{font-size:1rem;margin:0 0 .4rem}.msg>h2 .time{color:var(--mute);"
	"font-weight:normal;margin-left:.5rem}"
	"pre,code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
	"font-size:.875em;background:var(--code);border-radius:4px}"
	"code{padding:.1em .3em}pre{padding:.8rem;overflow-x:auto;position:relative}"
	"pre code{padding:0;background:none}"
	"pre[data-lang]::before{content:attr(data-lang);position:absolute;top:.2rem;"
	"right:.5rem;font-size:.75rem;color:var(--mute)}"
	"blockquote{margin:0;padding-left:1rem;border-left:3px solid var(--line);"
	"color:var(--mute)}"
	"table{border-collapse:collapse;display:block;overflow-x:auto}"
	"th,td{border:1px solid var(--line);padding:.3rem .6rem}"
	"a{color:var(--user)}"
	".msg{position:relative}.notes{font-size:.875rem;margin:.6rem 0}"
	".note{border:1px solid var(--line);border-left:3px solid var(--sys);"
	"border-radius:4px;padding:.3rem .6rem;margin:.4rem 0;background:var(--code)}"
	".note p{margin:.2rem 0}.note .by{color:var(--mute)}"
	"@media (min-width:78rem){.notes{position:absolute;top:0;left:100%;"
	"width:14rem;margin:0 0 0 1.5rem}}";

/* Escaped for text and attribute values alike; bytes XML cannot carry
 * (C0 controls but tab and newline) are dropped. */
static void
esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n')
				fputc(c, f);
		}
	}
}

static int
begin(cf_export *x)
{
	FILE *f = x->out;
	const char *name = cf_jstr(x->session, "name");
	char when[40];
	cf_when_human(cf_jstr(x->session, "created"), when);
	fputs("<!DOCTYPE html>\n<html lang=\"und\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"color-scheme\" content=\"light dark\">\n"
	      "<meta name=\"generator\" content=\"confab " CF_VERSION "\">\n<title>", f);
	esc(f, name);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<div class=\"head\">\n<h1>", css);
	esc(f, name);
	fputs("</h1>\n<p>", f);
	esc(f, when);
	const char *model = cf_jstr_or_null(x->session, "model");
	if (model) {
		fputs(" · ", f);
		esc(f, model);
	}
	fputs("</p>\n</div>\n<div class=\"main\">\n", f);
	return ferror(f) ? -1 : 0;
}

static int
dangerous(const char *url)
{
	static const char *const bad[] = {"javascript:", "vbscript:", "file:", "data:"};
	while (*url == ' ' || *url == '\t' || *url == '\n')
		url++;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (!strncasecmp(url, bad[i], strlen(bad[i])))
			return 1;
	return 0;
}

/* For the page: anything before the first ':' that comes ahead of any
 * '/', '?' or '#' is a scheme (a browser drops tabs and newlines inside
 * one, so a scheme with anything odd in it is refused, not read). */
static int
offsite(const char *url)
{
	size_t n = strcspn(url, ":/?#");
	if (url[n] != ':')
		return 0;
	return !((n == 4 && !strncasecmp(url, "http", 4)) ||
	         (n == 5 && !strncasecmp(url, "https", 5)) ||
	         (n == 6 && !strncasecmp(url, "mailto", 6)));
}

/* Makes the tree safe to render unsafely; see the top of the file.
 * page: chat-serve's page, where only offsite()'s addresses stay. */
static void
defuse(cmark_node *doc, int page)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	cmark_node *dead = NULL;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (dead) {
			cmark_node_free(dead);
			dead = NULL;
		}
		if (ev != CMARK_EVENT_ENTER && cmark_node_get_type(n) != CMARK_NODE_IMAGE)
			continue;
		cmark_node *r = NULL;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HTML_BLOCK:
			r = cmark_node_new(CMARK_NODE_CODE_BLOCK);
			cmark_node_set_literal(r, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_HTML_INLINE:
			r = cmark_node_new(CMARK_NODE_TEXT);
			cmark_node_set_literal(r, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_LINK:
			if (dangerous(cmark_node_get_url(n)) ||
			    (page && offsite(cmark_node_get_url(n))))
				cmark_node_set_url(n, "");
			break;
		case CMARK_NODE_IMAGE:
			/* on the way out, when its children (the alt text) are known */
			if (ev == CMARK_EVENT_EXIT) {
				r = cmark_node_new(CMARK_NODE_LINK);
				const char *url = cmark_node_get_url(n);
				cmark_node_set_url(r, dangerous(url) || (page && offsite(url)) ? "" : url);
				cmark_node_set_title(r, cmark_node_get_title(n));
				cmark_node *c;
				while ((c = cmark_node_first_child(n)))
					cmark_node_append_child(r, c);
			}
			break;
		default:
			break;
		}
		if (r) {
			cmark_node_replace(n, r);
			/* freed once the iterator has moved past it */
			dead = n;
			cmark_iter_reset(it, r, CMARK_EVENT_EXIT);
		}
	}
	if (dead)
		cmark_node_free(dead);
	cmark_iter_free(it);
}

/* Headings inside a message go below the message's own (h2). */
static void
shift(cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_HEADING) {
			int l = cmark_node_get_heading_level(n) + 2;
			cmark_node_set_heading_level(n, l > 6 ? 6 : l);
		}
	}
	cmark_iter_free(it);
}

/* cmark marks a fence's language with a class; the language is also put
 * where the page's CSS shows it. */
/* cmark escapes markup, not control characters, which HTML forbids. */
static void
put_text(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 ? c != 0x7f : (c == '\t' || c == '\n' || c == '\r'))
			fputc(c, f);
	}
}

static void
put_html(FILE *f, const char *h)
{
	static const char pre[] = "<pre><code class=\"language-";
	const char *p;
	while ((p = strstr(h, pre))) {
		put_text(f, h, (size_t)(p - h));
		const char *lang = p + sizeof pre - 1, *q = strchr(lang, '"');
		if (!q)
			break;
		fputs("<pre data-lang=\"", f);
		put_text(f, lang, (size_t)(q - lang));
		fputs("\"><code class=\"language-", f);
		put_text(f, lang, (size_t)(q - lang));
		fputc('"', f);
		h = q + 1;
	}
	put_text(f, h, strlen(h));
}

/* Code's bytes escaped as cmark escapes them, controls dropped. */
static void
esc_code(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if (c >= 0x20 ? c != 0x7f : (c == '\t' || c == '\n' || c == '\r'))
				fputc(c, f);
		}
	}
}

/* One code line in the highlighter's spans, each a <span> whose class is
 * "hl-" and the theme's name for its capture ("string.special" is
 * hl-string-special). */
static void
put_code_line(FILE *f, cf_hl *hl, const char *s, size_t n)
{
	const struct cf_span *sp = NULL;
	size_t ns = hl ? cf_hl_line(hl, s, n, &sp) : 0, at = 0;
	for (size_t k = 0; k < ns; k++) {
		const char *cls = cf_hl_class(sp[k].capture);
		if (!cls || sp[k].start < at || sp[k].start >= sp[k].end || sp[k].end > n)
			continue;
		esc_code(f, s + at, sp[k].start - at);
		fputs("<span class=\"hl-", f);
		for (const char *c = cls; *c; c++)
			fputc(*c == '.' ? '-' : *c, f);
		fputs("\">", f);
		esc_code(f, s + sp[k].start, sp[k].end - sp[k].start);
		fputs("</span>", f);
		at = sp[k].end;
	}
	esc_code(f, s + at, n - at);
}

/* Is the code small enough to color (see PAGE_CODE)?  Takes its size
 * from *budget when it is.  Its depth the highlighter bounds itself. */
static int
colourable(const char *code, size_t *budget)
{
	size_t n = code ? strlen(code) : 0;
	if (!n || n > *budget)
		return 0;
	*budget -= n;
	return 1;
}

/* A code block as cmark writes it (the class of its fence's first word),
 * its lines through the highlighter; NULL when out of memory. */
static char *
code_html(cmark_node *n, size_t *budget)
{
	const char *info = cmark_node_get_fence_info(n), *code = cmark_node_get_literal(n);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	cf_hl *hl = NULL;
	if (info && *info) {
		size_t w = strcspn(info, " \t\n\v\f\r");
		fputs("<pre><code class=\"language-", f);
		esc_code(f, info, w);
		fputs("\">", f);
		char *word = strndup(info, w);
		hl = word && *word && colourable(code, budget) ? cf_hl_new(word) : NULL;
		free(word);
	} else {
		fputs("<pre><code>", f);
	}
	for (const char *s = code ? code : ""; *s;) {
		size_t k = strcspn(s, "\n");
		size_t m = k && s[k - 1] == '\r' ? k - 1 : k;
		put_code_line(f, hl, s, m);
		esc_code(f, s + m, k - m);
		s += k;
		if (*s == '\n') {
			fputc('\n', f);
			s++;
		}
	}
	fputs("</code></pre>\n", f);
	if (hl)
		cf_hl_free(hl);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Each code block becomes the HTML code_html makes of it: after defuse,
 * so the only raw HTML left in the tree is ours. */
static void
colour(cmark_node *doc)
{
	size_t budget = PAGE_CODE;
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	cmark_node *dead = NULL;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (dead) {
			cmark_node_free(dead);
			dead = NULL;
		}
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK)
			continue;
		char *h = code_html(n, &budget);
		if (!h)
			continue;
		cmark_node *r = cmark_node_new(CMARK_NODE_HTML_BLOCK);
		cmark_node_set_literal(r, h);
		free(h);
		cmark_node_replace(n, r);
		dead = n;
		cmark_iter_reset(it, r, CMARK_EVENT_EXIT);
	}
	if (dead)
		cmark_node_free(dead);
	cmark_iter_free(it);
}

/* A message's own blocks: the export's (page 0), or the page's
 * (cf_html_message: addresses offsite() allows, code colored). */
static void
put_content(FILE *f, cmark_node *doc, int page)
{
	defuse(doc, page);
	shift(doc);
	if (page)
		colour(doc);
	char *h = cmark_render_html(doc, CMARK_OPT_UNSAFE, cf_gfm_extensions());
	put_html(f, h);
	free(h);
}

/* A note's words escaped, its lines kept apart: a newline is no break
 * in HTML. */
static void
esc_lines(FILE *f, const char *s)
{
	while (*s) {
		size_t k = strcspn(s, "\n");
		char *l = strndup(s, k);
		esc(f, l);
		free(l);
		s += k;
		if (*s == '\n' && *++s)
			fputs("<br>\n", f);
	}
}

/* The notes beside the message (under it on a narrow screen), every
 * word of them escaped. */
static void
put_notes(FILE *f, jv msg)
{
	jv notes = cf_msg_marks(msg, "notes");
	if (jv_array_length(jv_copy(notes)) > 0) {
		fputs("<aside class=\"notes\">\n", f);
		jv_array_foreach(notes, i, n) {
			char when[40];
			cf_when_human(cf_jstr(n, "timestamp"), when);
			fputs("<div class=\"note\" id=\"n-", f);
			esc(f, cf_jstr(n, "id"));
			fputs("\"><p class=\"by\"><b>Note</b> ", f);
			esc(f, cf_jstr(n, "author"));
			fputs(" \u00b7 ", f);
			esc(f, when);
			fputs("</p>", f);
			const char *quote = cf_jstr_or_null(n, "quote");
			if (quote && *quote) {
				fputs("<p class=\"on\">on \u201c<q>", f);
				esc_lines(f, quote);
				fputs("</q>\u201d</p>", f);
			}
			fputs("<p>", f);
			esc_lines(f, cf_jstr(n, "text"));
			fputs("</p></div>\n", f);
			jv_free(n);
		}
		fputs("</aside>\n", f);
	}
	jv_free(notes);
}

/* The thinking before the reply, collapsed: open it to read it.  Its
 * words are escaped; it is no Markdown of the message's. */
static void
put_thinking(FILE *f, jv msg)
{
	jv l = cf_thinking_parts(msg);
	if (jv_array_length(jv_copy(l)) > 0) {
		fputs("<details class=\"thinking\"><summary>Thinking</summary>\n", f);
		jv_array_foreach(l, i, t) {
			fputs("<p>", f);
			esc_lines(f, jv_string_value(t));
			fputs("</p>\n", f);
			jv_free(t);
		}
		fputs("</details>\n", f);
	}
	jv_free(l);
}

static int
message(cf_export *x, jv msg, cmark_node *doc)
{
	FILE *f = x->out;
	const char *role = cf_jstr(msg, "role"), *ts = cf_jstr(msg, "timestamp");
	char when[40];
	cf_when_human(ts, when);
	fputs("<div class=\"msg ", f);
	esc(f, role);
	fputs("\" id=\"m-", f);
	esc(f, cf_jstr(msg, "id"));
	fputs("\">\n<h2>", f);
	char head[200];
	esc(f, cf_msg_heading(msg, head, sizeof head));
	fputs(" <span class=\"time\" title=\"", f);
	esc(f, ts);
	fputs("\">", f);
	esc(f, when);
	fputs("</span></h2>\n", f);
	put_thinking(f, msg);
	put_content(f, doc, 0);
	put_notes(f, msg);
	fputs("</div>\n", f);
	return ferror(f) ? -1 : 0;
}

static int
end(cf_export *x)
{
	fputs("</div>\n</body>\n</html>\n", x->out);
	return ferror(x->out) ? -1 : 0;
}

const struct cf_format cf_fmt_html = {
	.name = "html", .ext = "html",
	.begin = begin, .message = message, .end = end,
};

/* Could the tables of s cost more than PAGE_CELLS cells or a row more than
 * PAGE_COLUMNS?  A table's rows run from its delimiter row (a line with a
 * '-') to a blank line, each as wide as the widest line of that stretch:
 * more than it can be, never less. */
static int
too_wide(const char *s)
{
	size_t cells = 0, lines = 0, widest = 0;
	int dash = 0;
	for (;;) {
		size_t k = strcspn(s, "\n"), pipes = 0;
		int blank = 1;
		for (size_t i = 0; i < k; i++) {
			pipes += s[i] == '|';
			dash |= s[i] == '-';
			blank &= s[i] == ' ' || s[i] == '\t' || s[i] == '\r';
		}
		if (pipes > PAGE_COLUMNS)
			return 1;
		if (!blank) {
			lines++;
			if (pipes + 1 > widest)
				widest = pipes + 1;
		}
		if (blank || !s[k]) {
			if (dash && widest > 1)
				cells += lines * widest;
			if (cells > PAGE_CELLS)
				return 1;
			lines = widest = 0;
			dash = 0;
		}
		if (!s[k])
			return 0;
		s += k + 1;
	}
}

/* The tree of cf_md_parse, without the table extension. */
static cmark_node *
parse_no_tables(const char *s)
{
	cmark_llist *exts = cf_gfm_extensions();   /* registers them first */
	cmark_syntax_extension *table = cmark_find_syntax_extension("table");
	cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
	for (cmark_llist *l = exts; l; l = l->next)
		if (l->data != table)
			cmark_parser_attach_syntax_extension(p, l->data);
	cmark_parser_feed(p, s, strlen(s));
	cmark_node *doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	return doc;
}

char *
cf_html_message(const char *text, size_t len)
{
	/* valid UTF-8 without NUL bytes, whatever came (each bad byte and each
	 * NUL a U+FFFD), so what cmark and the highlighter see is text */
	char *s = g_utf8_make_valid(text ? text : "", text ? (gssize)len : 0);
	cmark_node *doc = too_wide(s) ? parse_no_tables(s) : cf_md_parse(s, strlen(s), NULL);
	char *buf = NULL;
	size_t n = 0;
	FILE *f = doc ? open_memstream(&buf, &n) : NULL;
	if (f) {
		put_content(f, doc, 1);
		if (fclose(f)) {
			free(buf);
			buf = NULL;
		}
	}
	if (doc)
		cmark_node_free(doc);
	g_free(s);
	return buf ? buf : cf_xstrdup("");
}
