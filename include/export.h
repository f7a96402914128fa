/* export.h — sessions out as documents (chat-export).  (chat-import's
 * entry points are in confab.h: it needs no cmark.)
 *
 * An export is a session record, then its messages in order, streamed
 * from the store one row at a time: a format sees begin, one message call
 * per message, end, and keeps only what it must between them.  Message
 * content is Markdown, parsed once with cmark-gfm (markdown.c); every
 * format renders from that tree, its tables too (see cf_md_* for the
 * pieces they share). */
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
	int history;           /* every version of an edited message */
};

typedef struct cf_export cf_export;
struct cf_export {
	FILE *out;
	const struct cf_xopt *opt;
	cf_store *st;
	jv session;            /* the session record */
	long index;            /* of the message being written, from 0 */
	void *priv;            /* the format's own state */
	jv err;                /* set by cf_export_store_fail: the failure
	                        * was the store's, not a write's */
};

/* For a format that could not read the store: records the error and
 * returns -1, for the format's callback to return. */
int cf_export_store_fail(cf_export *x, const char *what);

struct cf_format {
	const char *name;      /* markdown, json, ... */
	const char *ext;       /* md, json, ... (no dot) */
	int binary;            /* not for a terminal */
	int raw;               /* takes no tree: its doc is NULL */
	/* The libraries it opens on first use (pdflibs.h, arclib.h), or
	 * NULL: jv_true(), or the error saying which is missing for what
	 * ("PDF export"). */
	jv (*load)(const char *what);
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

/* Errors are values (cf_error): an error whose status is CF_EX_OK says
 * the reader went away (EPIPE, as "| head" does), and has nothing to
 * tell; a program ends quietly on it. */

/* Writes one session in format f to out, named name in messages
 * ("writing NAME: No space left on device").  Returns jv_true(), or the
 * error: CF_EX_FAIL for a write, CF_EX_STORE for the store. */
CF_MUST jv cf_export_session(cf_store *st, jv session, const struct cf_format *f,
                     const struct cf_xopt *o, FILE *out, const char *name);

/* ---- output files (outfile.c) ----
 * Written beside the final name and renamed into place when whole: no
 * partial file is ever seen under the name, and an old one stays as it
 * was on failure.  O_TMPFILE where the file system has it (nothing left
 * even after kill -9), else a temporary named for its writer's pid, which
 * the next output to that folder removes once the writer is gone.  A
 * device or a fifo is written in place; NULL is stdout. */
struct cf_outfile {
	FILE *f;            /* write here */
	const char *name;   /* for messages: the path as given, or "stdout" */
	char *path;         /* the name it gets when whole; NULL: written in place */
	char *temp;         /* its temporary name while it has one */
	int anon;           /* the O_TMPFILE descriptor until it is named, or -1 */
};
/* Signals that end the process remove a named temporary first; SIGPIPE
 * and SIGXFSZ become errors.  For a program that ends when a signal
 * comes (chat-export), not for one that handles them itself. */
void cf_outfile_guard(void);
CF_MUST jv cf_outfile_open(struct cf_outfile *o, const char *path);
/* Flushes, syncs and renames into place; on failure removes what it wrote. */
CF_MUST jv cf_outfile_commit(struct cf_outfile *o);
/* Gives up: the temporary goes, an old file stays. */
void cf_outfile_abort(struct cf_outfile *o);
/* The error for a failed write (errno err), without and with giving up. */
CF_MUST jv cf_outfile_error(const struct cf_outfile *o, int err);
CF_MUST jv cf_outfile_failed(struct cf_outfile *o, int err);

/* ---- archives (archive.c) ---- */
enum { CF_ARC_NONE, CF_ARC_ZIP, CF_ARC_TGZ, CF_ARC_TZST };
/* By name (zip, tar.gz, tgz, tar.zst) or by a path's suffix; CF_ARC_NONE
 * when none matches. */
int cf_arc_named(const char *name);
int cf_arc_for_path(const char *path);
/* The sessions of list (consumed) in format fmt, a file each, named after
 * the session and never twice (as file systems that fold case compare),
 * and a manifest.json, as an archive of kind on out.  On failure out is
 * given up (cf_outfile_abort). */
CF_MUST jv cf_archive_write(cf_store *st, jv list, const struct cf_format *fmt,
                    const struct cf_xopt *o, int kind, struct cf_outfile *out);

/* ---- a whole export (export.c) ---- */
struct cf_xrun {
	const struct cf_format *fmt;
	int archive;           /* CF_ARC_*; CF_ARC_NONE: one document */
	const char *output;    /* the file; NULL: stdout */
	int tty;               /* stdout is a terminal: no archive or binary
	                        * format there, and text without control codes */
	struct cf_xopt opt;
};
/* Fills in fmt and archive from what was asked: -f's name (or NULL),
 * --archive's kind (or NULL) and r->output's extension.  Usage errors. */
CF_MUST jv cf_export_plan(struct cf_xrun *r, const char *format, const char *archive);
/* Exports the sessions of list (consumed, at least one) as planned. */
CF_MUST jv cf_export_run(cf_store *st, jv list, const struct cf_xrun *r);

/* ---- shared by the renderers (export.c) ---- */

/* Borrows msg: does it start a new context (metadata.contextReset, after
 * /clear in confab or chat-send --clear)?  Every format but JSON (which
 * keeps the record whole) shows cf_reset_note above such a message's
 * text. */
int cf_msg_reset(jv msg);
extern const char cf_reset_note[];

/* Parses Markdown into cmark-gfm's tree (cf_gfm_parse: tables,
 * strikethrough, autolinks, task lists), with o->code_lang set on fences
 * that name no language; NULL when out of memory.  text (NUL-ended) must
 * outlive the tree: cf_md_source gives it back. */
cmark_node *cf_md_parse(const char *text, size_t len, const struct cf_xopt *o);
/* cf_md_parse of text that may not be UTF-8: what is not becomes U+FFFD
 * in a copy, *keep, to g_free once the tree is gone (NULL when text was
 * UTF-8). */
cmark_node *cf_md_parse_any(const char *text, const struct cf_xopt *o, char **keep);
/* A block export.c added to a message's tree, not one of the message's
 * own: the /clear note, --history's earlier versions and the lines over
 * them, the marks line, the notes. */
int cf_md_added(cmark_node *n);

/* The extensions' nodes have no fixed cmark_node_type, only a name:
 * "table", "table_row", "table_cell", "strikethrough", "tasklist" (an
 * item with a box). */
int cf_md_is(cmark_node *n, const char *type);
/* A table's row, the header row included; the header row. */
int cf_md_is_row(cmark_node *n);
int cf_md_header_row(cmark_node *row);
/* A table's columns (every row has that many cells), and column col's
 * alignment from the delimiter row: 'l', 'c', 'r', or 0 for none. */
int cf_md_columns(cmark_node *table);
int cf_md_align(cmark_node *table, int col);
/* A list item's box: -1 when it has none, 0 open ("[ ]"), 1 done. */
int cf_md_task(cmark_node *item);
/* The terminal columns the first n bytes of UTF-8 s take: CJK and emoji
 * two, combining marks none, a byte that starts no character one. */
int cf_md_width(const char *s, size_t n);

/* The plain text of a node's inlines, for people: no marks but struck
 * text's "~~", a link's address after its text, a soft break a space, a
 * hard one a newline (malloc'd). */
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

/* A link's text already says its address (as an autolink's does), so
 * printing the address after it would say it twice. */
int cf_link_says(const char *url, const char *text);

/* The Markdown a tree from cf_md_parse was parsed from. */
const char *cf_md_source(cmark_node *doc);

/* The plain text under a node (code spans and breaks included). */
char *cf_md_text(cmark_node *node);

/* An RFC 3339 time as people read it: "2026-11-24 09:44:40 UTC". */
void cf_when_human(const char *rfc3339, char out[40]);

/* The role as a heading says it: "User", "Assistant", "System". */
const char *cf_role_title(const char *role);
/* A message's heading: its role's title, then " · alice" (a reply:
 * " · for alice") when the export gave it metadata.author, which it does
 * in a session of more than one author.  Into buf; returns it. */
const char *cf_msg_heading(jv msg, char *buf, size_t n);

/* A session's name made safe as a file name: no '/', no "..", no control
 * characters, not empty, at most 100 bytes; ext is appended. */
char *cf_safe_name(const char *name, const char *ext);

/* exp_html.c: a message's content (Markdown) as an HTML fragment, for
 * chat-serve's page: rendered and highlighted as the HTML export renders
 * it, and sanitized as it is (raw HTML escaped, links that could run
 * script defused).  Never NULL; the caller frees it. */
char *cf_html_message(const char *text, size_t len);

#endif
