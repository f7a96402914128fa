/* export.c — one session out in a format: the loop every format shares,
 * and the pieces of cmark's tree more than one renderer needs. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

int
cf_msg_reset(jv msg)
{
	jv md = jv_object_get(jv_copy(msg), jv_string("metadata"));
	int yes = jv_get_kind(md) == JV_KIND_OBJECT && cf_jbool(md, "contextReset");
	jv_free(md);
	return yes;
}

/* The /clear boundary as the message's first block, so every format that
 * renders the tree shows it as it shows the rest (Markdown, which renders
 * from the source, writes it itself). */
/* What export.c adds to a message's tree (the /clear note, --history's
 * earlier versions, the marks) is told from the message's own blocks by
 * this mark in each added block's user data. */
static char added;

int
cf_md_added(cmark_node *n)
{
	return n && cmark_node_get_user_data(n) == &added;
}

static cmark_node *
added_block(cmark_node *n)
{
	cmark_node_set_user_data(n, &added);
	return n;
}

static void
reset_note(cmark_node *doc)
{
	cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
	cmark_node *em = cmark_node_new(CMARK_NODE_EMPH);
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	cmark_node_set_literal(t, cf_reset_note);
	cmark_node_append_child(em, t);
	cmark_node_append_child(p, em);
	cmark_node_prepend_child(doc, added_block(p));
}

static cmark_node *
text_node(const char *s)
{
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	cmark_node_set_literal(t, s);
	return t;
}

/* A note's text as inlines: its lines kept apart by hard breaks, nothing
 * in it read as Markdown. */
static void
add_lines(cmark_node *p, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *line = strndup(s, n);
		cmark_node_append_child(p, text_node(line));
		free(line);
		s += n;
		if (*s == '\n') {
			s++;
			if (*s)
				cmark_node_append_child(p, cmark_node_new(CMARK_NODE_LINEBREAK));
		}
	}
}

/* Edits, reactions and notes after the message's own blocks, so every
 * format that renders the tree shows them as it shows the rest: one line
 * "(edited 2×) · 👍 2  🎉 1" in italics, then each note as a quote. */
static void
marks_tree(cmark_node *doc, jv msg, int notes_too)
{
	char *line = cf_marks_line(msg, 0);
	if (*line) {
		cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
		cmark_node *em = cmark_node_new(CMARK_NODE_EMPH);
		cmark_node_append_child(em, text_node(line));
		cmark_node_append_child(p, em);
		cmark_node_append_child(doc, added_block(p));
	}
	free(line);
	jv notes = notes_too ? cf_msg_marks(msg, "notes") : jv_array();
	jv_array_foreach(notes, i, n) {
		cmark_node *q = cmark_node_new(CMARK_NODE_BLOCK_QUOTE);
		cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
		cmark_node *b = cmark_node_new(CMARK_NODE_STRONG);
		cmark_node_append_child(b, text_node("Note"));
		cmark_node_append_child(p, b);
		char *head = cf_note_head(n);
		cmark_node_append_child(p, text_node(head));
		free(head);
		add_lines(p, cf_jstr(n, "text"));
		cmark_node_append_child(q, p);
		const char *quote = cf_jstr_or_null(n, "quote");
		if (quote && *quote) {
			p = cmark_node_new(CMARK_NODE_PARAGRAPH);
			cmark_node_append_child(p, text_node("on \u201c"));
			add_lines(p, quote);
			cmark_node_append_child(p, text_node("\u201d"));
			cmark_node_append_child(q, p);
		}
		cmark_node_append_child(doc, added_block(q));
		jv_free(n);
	}
	jv_free(notes);
}

cmark_node *
cf_md_parse_any(const char *text, const struct cf_xopt *o, char **keep)
{
	/* The store may hold what another tool wrote: bytes that are not
	 * UTF-8 become U+FFFD here, or pango refuses the page. */
	*keep = NULL;
	if (!cf_utf8_valid(text, strlen(text)))
		text = *keep = g_utf8_make_valid(text, -1);
	return cf_md_parse(text, strlen(text), o);
}

/* The thinking before the message's blocks, a quote under a bold
 * "Thinking", its words not read as Markdown: text, PDF and DOCX show it
 * as a labelled section (HTML and Markdown write theirs collapsed). */
static void
thinking_tree(cmark_node *doc, jv msg)
{
	jv l = cf_thinking_parts(msg);
	if (jv_array_length(jv_copy(l)) > 0) {
		cmark_node *q = cmark_node_new(CMARK_NODE_BLOCK_QUOTE);
		cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
		cmark_node *b = cmark_node_new(CMARK_NODE_STRONG);
		cmark_node_append_child(b, text_node("Thinking"));
		cmark_node_append_child(p, b);
		cmark_node_append_child(q, p);
		jv_array_foreach(l, i, t) {
			const char *s = jv_string_value(t);
			while (*s) {
				const char *e = strstr(s, "\n\n");
				size_t n = e ? (size_t)(e - s) : strlen(s);
				if (n) {
					char *para = strndup(s, n);
					p = cmark_node_new(CMARK_NODE_PARAGRAPH);
					add_lines(p, para);
					cmark_node_append_child(q, p);
					free(para);
				}
				s += n;
				while (*s == '\n')
					s++;
			}
			jv_free(t);
		}
		cmark_node_prepend_child(doc, added_block(q));
	}
	jv_free(l);
}

static cmark_node *
head_para(const char *s)
{
	cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
	cmark_node *em = cmark_node_new(CMARK_NODE_EMPH);
	cmark_node_append_child(em, text_node(s));
	cmark_node_append_child(p, em);
	return added_block(p);
}

/* --history: each earlier version's blocks before the message's own, each
 * under an italic line as chat-show --history words it, and a line over
 * the current one.  A version's blocks are moved whole into doc (a text
 * node's literal lives in its block), so its own tree can go. */
static int
versions_tree(cmark_node *doc, jv msg, const struct cf_xopt *o)
{
	jv edits = cf_msg_marks(msg, "edits");
	int n = jv_array_length(jv_copy(edits)), rc = 0;
	cmark_node *first = cmark_node_first_child(doc);
	for (int i = 0; n && i <= n && !rc; i++) {
		jv e = i < n ? jv_array_get(jv_copy(edits), i) : jv_null();
		char *head = cf_version_head(e, i, n + 1);
		cmark_node *h = head_para(head);
		free(head);
		if (first)
			cmark_node_insert_before(first, h);
		else
			cmark_node_append_child(doc, h);
		char *keep;
		cmark_node *old = i < n ? cf_md_parse_any(cf_jstr(e, "content"), o, &keep) : NULL;
		if (i < n && !old)
			rc = -1;
		for (cmark_node *b; old && (b = cmark_node_first_child(old));) {
			cmark_node_unlink(b);
			if (first)
				cmark_node_insert_before(first, added_block(b));
			else
				cmark_node_append_child(doc, added_block(b));
		}
		if (old)
			cmark_node_free(old);
		if (i < n)
			g_free(keep);
		jv_free(e);
	}
	jv_free(edits);
	return rc;
}

/* A reply's tool calls after its text, a line each in italics: its
 * text alone may be nothing. */
static void
calls_tree(cmark_node *doc, jv msg)
{
	char *calls = cf_tool_calls_text(msg);
	if (*calls) {
		calls[strlen(calls) - 1] = '\0';
		cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
		cmark_node *em = cmark_node_new(CMARK_NODE_EMPH);
		add_lines(em, calls);
		cmark_node_append_child(p, em);
		cmark_node_append_child(doc, added_block(p));
	}
	free(calls);
}

/* What context a message carried, a line in italics (cf_context_line). */
static void
context_tree(cmark_node *doc, jv msg)
{
	char *line = cf_context_line(msg);
	if (*line) {
		cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
		cmark_node *em = cmark_node_new(CMARK_NODE_EMPH);
		cmark_node_append_child(em, text_node(line));
		cmark_node_append_child(p, em);
		cmark_node_append_child(doc, added_block(p));
	}
	free(line);
}

static int
each(jv msg, const char *text, struct run *r)
{
	char *valid = NULL;
	cmark_node *doc = r->f->raw ? NULL : cf_md_parse_any(text, r->x->opt, &valid);
	if (!r->f->raw && !doc) {
		errno = ENOMEM;
		r->rc = -1;
	} else if (doc && r->f != &cf_fmt_markdown && r->x->opt->history &&
	           versions_tree(doc, msg, r->x->opt)) {
		errno = ENOMEM;
		r->rc = -1;
	} else {
		if (doc && r->f != &cf_fmt_markdown && r->f != &cf_fmt_html)
			thinking_tree(doc, msg);
		if (doc && r->f != &cf_fmt_markdown && cf_msg_reset(msg))
			reset_note(doc);
		if (doc && r->f != &cf_fmt_markdown) {
			calls_tree(doc, msg);
			context_tree(doc, msg);
		}
		if (doc && r->f != &cf_fmt_markdown)
			/* HTML puts notes beside the message itself, DOCX
			 * makes them comments */
			marks_tree(doc, msg, r->f != &cf_fmt_html && r->f != &cf_fmt_docx);
		r->rc = r->f->message(r->x, msg, doc);
	}
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
const char cf_reset_note[] =
	"Context cleared: this message and those after it were sent without the ones before.";

static jv
lean_row(cf_sql_stmt *s)
{
	jv md = jv_object();
	md = jv_object_set(md, jv_string("tokens"), cf_sql_column_type(s, 4) == CF_SQL_NULL ?
	                   jv_null() : jv_number((double)cf_sql_column_int64(s, 4)));
	md = jv_object_set(md, jv_string("model"), cf_col_text(s, 5));
	md = jv_object_set(md, jv_string("processing_time"), cf_sql_column_type(s, 6) == CF_SQL_NULL ?
	                   jv_null() : jv_number((double)cf_sql_column_int64(s, 6)));
	if (cf_sql_column_int(s, 7))
		md = jv_object_set(md, jv_string("contextReset"), jv_true());
	if (cf_sql_column_type(s, 13) != CF_SQL_NULL)
		md = jv_object_set(md, jv_string("author"), cf_col_text(s, 13));
	/* the marks only when there are any: most messages have none, and
	 * parsing "[]" three times a row was measurable */
	static const char *const marks[] = {"edits", "reactions", "notes"};
	for (int i = 0; i < 3; i++) {
		if (cf_sql_column_type(s, 8 + i) == CF_SQL_NULL)
			continue;
		jv a = cf_col_json(s, 8 + i);
		if (jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) > 0)
			md = jv_object_set(md, jv_string(marks[i]), a);
		else
			jv_free(a);
	}
	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("message"));
	r = jv_object_set(r, jv_string("id"), cf_col_text(s, 0));
	r = jv_object_set(r, jv_string("role"), cf_col_text(s, 1));
	/* no "content": made a jv string, it would be checked as UTF-8 once
	 * more (an eighth of the time); the tree holds it (cf_md_source) */
	r = jv_object_set(r, jv_string("timestamp"), cf_time_jv(cf_sql_column_int64(s, 3)));
	if (cf_sql_column_type(s, 12) != CF_SQL_NULL)
		r = jv_object_set(r, jv_string("context"), cf_col_json(s, 12));
	/* typed parts (thinking, tool calls) for the formats that show them */
	if (cf_sql_column_type(s, 11) != CF_SQL_NULL) {
		jv p = cf_col_json(s, 11);
		if (jv_get_kind(p) == JV_KIND_ARRAY)
			r = jv_object_set(r, jv_string("parts"), p);
		else
			jv_free(p);
	}
	return jv_object_set(r, jv_string("metadata"), md);
}

jv
cf_export_session(cf_store *st, jv session, const struct cf_format *f,
                  const struct cf_xopt *o, FILE *out, const char *name)
{
	static const char sql[] =
		"SELECT m.id, m.role, " CF_MESSAGE_CONTENT ", m.timestamp, m.tokens,"
		" m.model, m.processing_time,"
		" m.extra IS NOT NULL AND json_type(m.extra, '$.contextReset') = 'true',"
		" nullif(m.edits, '[]'), nullif(m.reactions, '[]'),"
		" CASE WHEN m.extra <> '{}' THEN json_extract(m.extra, '$.notes') END,"
		" m.parts,"
		/* the context a message carried, only where it has any */
		" CASE WHEN m.activity_events <> '[]' OR m.files <> '[]' OR m.plugin_commands <> '[]'"
		"  THEN json_object('activityEvents', json(m.activity_events), 'files', json(m.files),"
		"  'pluginCommands', json(m.plugin_commands)) END,"
		/* the author, only where the session has more than one: a
		 * session of one person's exports as it did before authors */
		" CASE WHEN (SELECT count(DISTINCT a.author) FROM messages a"
		"  WHERE a.session_id = ?1) > 1 THEN m.author END"
		" FROM messages m WHERE m.session_id = ?1 ORDER BY m.seq";
	cf_export x = {.out = out, .opt = o, .st = st, .session = session,
	               .err = jv_null()};
	struct run r = {.x = &x, .f = f};
	jv err = jv_true();
	if (f->load) {
		char what[32];
		snprintf(what, sizeof what, "%s export", f->name);
		for (char *c = what; *c != ' '; c++)
			*c = (char)toupper((unsigned char)*c);
		err = f->load(what);
		if (!jv_is_valid(err)) {
			jv_free(x.err);
			jv_free(session);
			return err;
		}
	}
	errno = 0;
	if ((r.rc = f->begin(&x)) == 0) {
		/* rows come one at a time: memory does not follow the session */
		if (f->raw) {
			jv e = cf_message_list(st, cf_jstr(session, "id"), 0, NULL, one, &r);
			if (!jv_is_valid(e) && r.rc == 0) {
				jv_free(x.err);
				x.err = e;
				r.rc = -1;
			} else {
				jv_free(e);
			}
		} else {
			cf_sql_stmt *s = cf_prepare(st, sql);
			cf_bind_text(s, 1, cf_jstr(session, "id"));
			int rc;
			while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
				const char *text = (const char *)cf_sql_column_text(s, 2);
				if (each(lean_row(s), text ? text : "", &r))
					break;
			}
			if (rc != CF_SQL_ROW && rc != CF_SQL_DONE)
				r.rc = cf_export_store_fail(&x, "reading messages");
			cf_sql_finalize(s);
		}
		if (r.rc == 0)
			r.rc = f->end(&x);
	}
	if (r.rc == 0 && (fflush(out) != 0 || ferror(out)))
		r.rc = -1;
	if (r.rc && !jv_is_valid(x.err)) {
		jv_free(err);
		err = x.err;
	} else if (r.rc) {
		int e = errno ? errno : EIO;
		jv_free(err);
		jv_free(x.err);
		err = e == EPIPE ? cf_error(CF_EX_OK, "%s", "") :
		      cf_error(CF_EX_FAIL, "writing %s: %s", name, strerror(e));
	} else {
		jv_free(x.err);
	}
	jv_free(session);
	return err;
}

int
cf_export_store_fail(cf_export *x, const char *what)
{
	cf_sql *db = cf_store_db(x->st);
	const char *path = x->st->path;
	jv_free(x->err);
	x->err = cf_error(CF_EX_STORE, "%s: %s: %s", path && *path ? path : "the store",
	                  what, cf_sql_errmsg(db));
	return -1;
}

/* ---- a whole export: one document or an archive, to a file or stdout ---- */

static jv
unknown_format(const char *what, const char *name)
{
	char list[128] = "";
	for (int i = 0; cf_formats[i]; i++) {
		strcat(list, i ? ", " : "");
		strcat(list, cf_formats[i]->name);
	}
	return cf_error(CF_EX_USAGE, "%s '%s': the formats are %s", what, name, list);
}

jv
cf_export_plan(struct cf_xrun *r, const char *format, const char *archive)
{
	const char *output = r->output;
	if (output && !*output)
		return cf_error(CF_EX_USAGE, "-o: empty file name");
	r->archive = output ? cf_arc_for_path(output) : CF_ARC_NONE;
	if (archive) {
		int k = cf_arc_named(archive);
		if (k == CF_ARC_NONE)
			return cf_error(CF_EX_USAGE, "invalid --archive '%s': expected zip, "
			                "tar.gz or tar.zst", archive);
		if (r->archive != CF_ARC_NONE && r->archive != k)
			return cf_error(CF_EX_USAGE, "--archive %s does not match -o '%s'",
			                archive, output);
		r->archive = k;
	}
	r->fmt = &cf_fmt_markdown;
	if (format) {
		if (!(r->fmt = cf_format_named(format)))
			return unknown_format("unknown format", format);
	} else if (output && r->archive == CF_ARC_NONE) {
		if (!(r->fmt = cf_format_for_path(output))) {
			const char *dot = strrchr(output, '.');
			if (dot && !strchr(dot, '/'))
				return unknown_format("cannot tell the format from", output);
			r->fmt = &cf_fmt_markdown;
		}
	}
	return jv_true();
}

/* -o naming the store (or its -wal or -shm) would replace the sessions
 * being read with their export. */
static jv
not_the_store(cf_store *st, const char *output)
{
	struct stat o, d;
	const char *db = cf_store_file(st);
	if (!output || !db || stat(output, &o) != 0)
		return jv_true();
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s%s", db, ext[i]);
		if (stat(p, &d) == 0 && d.st_dev == o.st_dev && d.st_ino == o.st_ino)
			return cf_error(CF_EX_USAGE, "-o '%s' is the store itself", output);
	}
	return jv_true();
}

/* On a terminal, what a message holds must not drive it: escape and
 * control sequences are dropped (C0 but tab and newline, DEL, C1). */
static int
copy_clean(FILE *from, FILE *to)
{
	char buf[65536];
	size_t n;
	int c2 = 0;   /* the last byte was 0xc2, the lead of a C1 control */
	rewind(from);
	while ((n = fread(buf, 1, sizeof buf, from)) > 0) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];
			if (c2) {
				c2 = 0;
				if (c >= 0x80 && c < 0xa0)
					continue;
				putc_unlocked(0xc2, to);
			}
			if (c == 0xc2) {
				c2 = 1;
				continue;
			}
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				continue;
			putc_unlocked(c, to);
		}
	}
	if (c2)
		putc_unlocked(0xc2, to);
	return ferror(from) ? -1 : 0;
}

jv
cf_export_run(cf_store *st, jv list, const struct cf_xrun *r)
{
	int count = jv_array_length(jv_copy(list));
	const char *kind = r->archive != CF_ARC_NONE ? "an archive" : r->fmt->name;
	jv e = jv_true();
	if (count > 1 && r->archive == CF_ARC_NONE)
		e = cf_error(CF_EX_USAGE, "%d sessions go into one archive: name it with "
		             "-o FILE.zip (.tar.gz, .tar.zst) or give --archive", count);
	else if (!r->output && r->tty && (r->archive != CF_ARC_NONE || r->fmt->binary))
		e = cf_error(CF_EX_USAGE, "%s is not for a terminal: use -o FILE or a redirect",
		             kind);
	else
		e = not_the_store(st, r->output);
	if (!jv_is_valid(e)) {
		jv_free(list);
		return e;
	}

	struct cf_outfile out;
	e = cf_outfile_open(&out, r->output);
	if (!jv_is_valid(e)) {
		jv_free(list);
		return e;
	}
	if (r->archive != CF_ARC_NONE) {
		e = cf_archive_write(st, list, r->fmt, &r->opt, r->archive, &out);
	} else if (!r->output && r->tty) {
		FILE *tmp = tmpfile();
		if (!tmp) {
			e = cf_outfile_error(&out, errno);
		} else {
			e = cf_export_session(st, jv_array_get(jv_copy(list), 0), r->fmt, &r->opt,
			                      tmp, out.name);
			if (jv_is_valid(e) && copy_clean(tmp, out.f) != 0)
				e = cf_outfile_error(&out, errno);
			fclose(tmp);
		}
		jv_free(list);
	} else {
		e = cf_export_session(st, jv_array_get(jv_copy(list), 0), r->fmt, &r->opt,
		                      out.f, out.name);
		jv_free(list);
	}
	if (!jv_is_valid(e)) {
		cf_outfile_abort(&out);
		return e;
	}
	return cf_outfile_commit(&out);
}

/* ---- cmark's tree ---- */

cmark_node *
cf_md_parse(const char *text, size_t len, const struct cf_xopt *o)
{
	cmark_node *doc = cf_gfm_parse(text, len, CMARK_OPT_DEFAULT);
	if (!doc)
		return NULL;
	/* the Markdown format writes the source, not the tree (cf_md_source) */
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

/* The columns one character takes. */
static int
char_cols(gunichar c)
{
	if (c < 0x20 || (c >= 0x7f && c < 0xa0) || g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

int
cf_md_width(const char *s, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {   /* ASCII, control bytes too, without decoding */
			w++;
			i++;
			continue;
		}
		size_t k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (k > n - i)
			k = n - i;
		gunichar u = g_utf8_get_char_validated(s + i, (gssize)k);
		w += u == (gunichar)-1 || u == (gunichar)-2 ? 1 : char_cols(u);
		i += c < 0xc0 ? 1 : k;
	}
	return w;
}

int
cf_md_is(cmark_node *n, const char *type)
{
	const char *t = cmark_node_get_type_string(n);
	return t && !strcmp(t, type);
}

int
cf_md_is_row(cmark_node *n)
{
	/* the header row is a "table_header" to cmark-gfm 0.29, a
	 * "table_row" marked as the header to later versions */
	return cf_md_is(n, "table_row") || cf_md_is(n, "table_header");
}

int
cf_md_header_row(cmark_node *row)
{
	return cf_md_is(row, "table_header") ||
	       (cf_md_is(row, "table_row") && cmark_gfm_extensions_get_table_row_is_header(row));
}

int
cf_md_columns(cmark_node *table)
{
	return cf_md_is(table, "table") ? cmark_gfm_extensions_get_table_columns(table) : 0;
}

int
cf_md_align(cmark_node *table, int col)
{
	if (col < 0 || col >= cf_md_columns(table))
		return 0;
	uint8_t *a = cmark_gfm_extensions_get_table_alignments(table);
	return a && (a[col] == 'l' || a[col] == 'c' || a[col] == 'r') ? a[col] : 0;
}

int
cf_md_task(cmark_node *item)
{
	if (!cf_md_is(item, "tasklist"))
		return -1;
	return cmark_gfm_extensions_get_tasklist_item_checked(item) ? 1 : 0;
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
		if (cf_md_is(n, "strikethrough")) {
			/* struck text is not gone: it stays marked as struck */
			sb_add(&b, "~~", 2);
			continue;
		}
		if (ev == CMARK_EVENT_EXIT) {
			/* plain text keeps where a link went, unless it says so */
			if (n != node && (ty == CMARK_NODE_LINK || ty == CMARK_NODE_IMAGE)) {
				const char *url = cmark_node_get_url(n);
				char *txt = cf_md_text(n);
				if (url && *url && !cf_link_says(url, txt)) {
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

int
cf_link_says(const char *url, const char *text)
{
	/* what an autolink adds to what was written: www.x.org is
	 * http://www.x.org, a@b.org is mailto:a@b.org */
	static const char *const added[] = {"", "http://", "mailto:"};
	for (size_t i = 0; i < sizeof added / sizeof *added; i++) {
		size_t k = strlen(added[i]);
		if (!strncmp(url, added[i], k) && !strcmp(url + k, text))
			return 1;
	}
	return 0;
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

const char *
cf_msg_heading(jv msg, char *buf, size_t n)
{
	const char *title = cf_role_title(cf_jstr(msg, "role"));
	jv md = jv_object_get(jv_copy(msg), jv_string("metadata"));
	const char *a = cf_jstr_or_null(md, "author");
	if (!a || !*a) {
		jv_free(md);
		snprintf(buf, n, "%s", title);
		return buf;
	}
	char who[120];
	cf_clean(a, who, sizeof who, 60, 0);
	/* a reply is for the one who asked: its writer is the model */
	snprintf(buf, n, "%s \u00b7 %s%s", title,
	         strcmp(cf_jstr(msg, "role"), "assistant") ? "" : "for ", who);
	jv_free(md);
	return buf;
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
