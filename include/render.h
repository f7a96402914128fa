/* render.h — Markdown for people on a terminal, drawn as it streams in
 * (render.c), and the syntax highlighter its code blocks go through
 * (highlight.c).  Only the programs that render include this header, so
 * only they link cmark-gfm, glib and tree-sitter. */
#ifndef CONFAB_RENDER_H
#define CONFAB_RENDER_H

#include <stddef.h>

/* ---- highlight.c: tree-sitter grammars, a code line at a time ---- */

typedef struct cf_hl cf_hl;
/* NULL: the language is unknown, and the code is shown plain. */
cf_hl *cf_hl_new(const char *lang);
/* A byte range of the line last given, with the capture that named it
 * ("keyword", "string", "comment", "function", "type", "number",
 * "constant", "variable.builtin", ...). */
struct cf_span {
	size_t start, end;
	const char *capture;
};
/* One complete code line (no newline) appended to the block; returns the
 * number of spans, *spans being h's, valid until the next call. */
size_t cf_hl_line(cf_hl *h, const char *line, size_t n,
                  const struct cf_span **spans);
void cf_hl_free(cf_hl *h);

/* ---- render.c: the streaming renderer ---- */

/* What the renderer draws on: width in cells; color: SGR attributes;
 * hyperlinks: links as OSC 8 (else their address is shown after them);
 * put receives every byte drawn, in order. */
struct cf_render_opt {
	int width;
	int color;
	int hyperlinks;
	void (*put)(void *ctx, const char *s, size_t n);
	void *ctx;
};

typedef struct cf_render cf_render;

/* Everything drawn is a closed block: a paragraph once its blank line
 * has come, a code block a line at a time as each line is whole.  Nothing
 * drawn is ever redrawn (no cursor movement), and only the open block is
 * kept, so a delta costs the same at the end of a long reply as at its
 * start.  The bytes drawn do not depend on how the text was cut into
 * deltas.  Control characters and escape sequences the text holds never
 * reach put, nor does one inside a link's address. */
cf_render *cf_render_new(const struct cf_render_opt *o);
/* A delta of Markdown, cut anywhere (even inside a UTF-8 sequence). */
void cf_render_feed(cf_render *r, const char *s, size_t n);
/* Draws the block still open (an unclosed fence is closed); r may then
 * take another text. */
void cf_render_finish(cf_render *r);
/* The width for what is drawn from now on (SIGWINCH); 0 or less: 80. */
void cf_render_set_width(cf_render *r, int width);
void cf_render_free(cf_render *r);

/* Whether output to fd is for the renderer: a terminal, NO_COLOR unset
 * or empty, TERM not "dumb", and plain (--plain) not given.  Otherwise the
 * bytes go out as written. */
int cf_render_wanted(int fd, int plain);
/* fd's terminal width in cells, else $COLUMNS, else 80. */
int cf_render_term_width(int fd);
/* A whole text at once: new, feed, finish, free. */
void cf_render_text(const struct cf_render_opt *o, const char *s, size_t n);

#endif
