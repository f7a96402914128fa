/* export.h — sessions out as documents (chat-export).  (chat-import's
 * entry points are in confab.h: it needs no cmark.)
 *
 * An export is a session record, then its messages in order, streamed
 * from the store one row at a time: a format sees begin, one message call
 * per message, end, and keeps only what it must between them.  Message
 * content is Markdown, parsed once with cmark; every format renders from
 * that tree (see cf_md_* for the pieces they share). */
#ifndef CONFAB_EXPORT_H
#define CONFAB_EXPORT_H

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <stdio.h>

#include "confab.h"

/* markdown.c: Markdown as models write it (GFM tables, strikethrough,
 * autolinks, task lists), parsed in one place.  cf_gfm_extensions is the
 * list cmark_render_html needs to render those nodes; it lives as long as
 * the process.  The parser and the tree are the caller's to free. */
cmark_llist *cf_gfm_extensions(void);
cmark_parser *cf_gfm_parser(int options);
cmark_node *cf_gfm_parse(const char *text, size_t len, int options);

/* What the user asked for; each format reads the fields it knows. */
struct cf_xopt {
	int metadata;          /* markdown: session and message metadata */
	int lean;              /* json: --no-metadata */
	int timestamps;        /* markdown: each message's time */
	int header_level;      /* markdown: the session title's level (1..5);
	                        * messages are one below */
	const char *code_lang; /* language for fences that name none */
	int width;             /* plaintext: wrap at (default 80) */
	int letter;            /* pdf: US letter, else A4 */
};

typedef struct cf_export cf_export;
struct cf_export {
	FILE *out;
	const struct cf_xopt *opt;
	cf_store *st;
	jv session;            /* the session record */
	long index;            /* of the message being written, from 0 */
	void *priv;            /* the format's own state */
};

struct cf_format {
	const char *name;      /* markdown, json, ... */
	const char *ext;       /* md, json, ... (no dot) */
	int binary;            /* not for a terminal */
	int raw;               /* takes no tree: its doc is NULL */
	/* Each returns 0, or nonzero when it could not write (errno set). */
	int (*begin)(cf_export *x);
	/* msg is the message (for a raw format the whole record; for the
	 * others type, id, role, timestamp and metadata {tokens, model,
	 * processing_time}, the content being cf_md_source(doc)) and doc
	 * its content as cmark's tree
	 * (code_lang applied), both the caller's, freed after the call. */
	int (*message)(cf_export *x, jv msg, cmark_node *doc);
	int (*end)(cf_export *x);
};

extern const struct cf_format cf_fmt_markdown, cf_fmt_json, cf_fmt_plaintext,
	cf_fmt_html, cf_fmt_pdf, cf_fmt_docx;
/* All of them, NULL-ended, in the order help lists them. */
extern const struct cf_format *const cf_formats[];

/* By name, or by a file name's extension; NULL when none matches. */
const struct cf_format *cf_format_named(const char *name);
const struct cf_format *cf_format_for_path(const char *path);

/* Writes one session in format f to out.  Returns 0, or nonzero when
 * writing failed (errno set). */
int cf_export_session(cf_store *st, jv session, const struct cf_format *f,
                      const struct cf_xopt *o, FILE *out);

/* ---- shared by the renderers (export.c) ---- */

/* Parses Markdown into cmark's tree, with o->code_lang set on fences
 * that name no language.  text (NUL-ended) must outlive the tree: tables
 * are read from it. */
cmark_node *cf_md_parse(const char *text, size_t len, const struct cf_xopt *o);

/* A paragraph written as a pipe table (a header row, a delimiter row of
 * dashes and colons, rows): cmark itself knows no tables.  Returns the
 * cells as a jv array of arrays of strings, each the cell's Markdown as
 * written (the first row is the header), or jv_invalid() when the
 * paragraph is not one. */
jv cf_md_table(cmark_node *para);
/* A cell's Markdown as plain text (malloc'd). */
char *cf_md_cell_text(const char *cell);
/* The plain text of a node's inlines, for people: no marks, a link's
 * address after its text, a soft break a space, a hard one a newline
 * (malloc'd). */
char *cf_md_plain(cmark_node *node);

/* The lines of a text as cmark counts them: ended by LF, CRLF or a lone
 * CR; line i + 1 is start[i], len[i] bytes. */
struct cf_md_linemap {
	size_t *start, *len;
	int n;
};
void cf_md_lines(const char *text, struct cf_md_linemap *ls);
void cf_md_lines_free(struct cf_md_linemap *ls);

/* An address a document may make clickable: http, https, mailto, ftp. */
int cf_link_clickable(const char *url);

/* The Markdown a tree from cf_md_parse was parsed from. */
const char *cf_md_source(cmark_node *doc);

/* The plain text under a node (code spans and breaks included). */
char *cf_md_text(cmark_node *node);

/* An RFC 3339 time as people read it: "2026-11-24 09:44:40 UTC". */
void cf_when_human(const char *rfc3339, char out[40]);

/* The role as a heading says it: "User", "Assistant", "System". */
const char *cf_role_title(const char *role);

/* A session's name made safe as a file name: no '/', no "..", no control
 * characters, not empty, at most 100 bytes; ext is appended. */
char *cf_safe_name(const char *name, const char *ext);

#endif
