/* actctx.c — activity events as the context of a message: chosen for a
 * session (never one it was sent before, unless asked), summed up in
 * bounded lines for the model, their ids kept in the message's
 * context.activityEvents, which is also the record of what was sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>

#include "priv.h"

/* A summary line's text is cut here (bytes, at a character's start). */
#define TEXT_MAX 200

/* The newest events of the window the session has not had, newest first.
 * json_each over the session's messages that carry any ids: a session's
 * messages are few beside the events, and the NOT IN list is built once
 * per statement, so the window's rows cost one probe each. */
static const char pick[] =
	"SELECT id, at, kind, source, text, data FROM activity"
	" WHERE at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR kind = ?2)"
	" AND (?3 <> 0 OR CAST(?4 AS TEXT) IS NULL OR id NOT IN (SELECT e.value FROM messages m,"
	"  json_each(m.activity_events) e"
	"  WHERE m.session_id = ?4 AND m.activity_events <> '[]'))"
	" ORDER BY at DESC, n DESC";

/* How many of the window's events are new to the session, for the count
 * of those left out, without stepping them: the window through the time
 * index, less those its messages carry (each by the id index; +at keeps
 * the planner off the time index there). */
static const char count_new[] =
	"SELECT (SELECT count(*) FROM activity WHERE at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR kind = ?2))"
	" - CASE WHEN ?3 <> 0 OR CAST(?4 AS TEXT) IS NULL THEN 0 ELSE (SELECT count(*) FROM activity"
	"  WHERE id IN (SELECT e.value FROM messages m, json_each(m.activity_events) e"
	"   WHERE m.session_id = ?4 AND m.activity_events <> '[]')"
	"  AND +at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR kind = ?2)) END";

/* a session without messages: since it was made, not every event kept */
static const char last_sql[] =
	"SELECT coalesce((SELECT max(timestamp) FROM messages WHERE session_id = ?1),"
	" (SELECT created FROM sessions WHERE id = ?1), 0)";

int64_t
cf_actctx_last(cf_store *st, const char *session_id)
{
	if (!session_id)
		return 0;
	cf_sql_stmt *s = cf_stmt(st, last_sql);
	cf_bind_text(s, 1, session_id);
	int64_t ms = 0;
	if (cf_sql_step(s) == CF_SQL_ROW)
		ms = cf_sql_column_int64(s, 0);
	cf_sql_reset(s);
	return ms;
}

/* One line of the summary: local time, kind, source, the text on one line,
 * cut; the exit status of a failed command after it. */
static jv
line_of(cf_sql_stmt *s)
{
	time_t t = (time_t)(cf_sql_column_int64(s, 1) / 1000);
	struct tm tm, now_tm;
	time_t now = time(NULL);
	localtime_r(&t, &tm);
	localtime_r(&now, &now_tm);
	char when[32];
	strftime(when, sizeof when, tm.tm_yday == now_tm.tm_yday && tm.tm_year == now_tm.tm_year ?
	         "%H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
	const char *kind = (const char *)cf_sql_column_text(s, 2);
	const char *src = (const char *)cf_sql_column_text(s, 3);
	const char *text = (const char *)cf_sql_column_text(s, 4);
	if (!text)
		text = "";
	size_t n = strlen(text), cut = n > TEXT_MAX ? TEXT_MAX : n;
	while (cut < n && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
		cut--;
	char *flat = cf_xmalloc(cut + 1);
	for (size_t i = 0; i < cut; i++)
		flat[i] = text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i];
	flat[cut] = '\0';
	jv l = jv_string_fmt("%s %s %s: %s%s", when, kind ? kind : "",
	                     src && *src ? src : "-", flat, cut < n ? "…" : "");
	free(flat);
	jv data = cf_col_json(s, 5);
	if (jv_get_kind(data) == JV_KIND_OBJECT) {
		jv st = jv_object_get(jv_copy(data), jv_string("status"));
		if (jv_get_kind(st) == JV_KIND_NUMBER)
			l = jv_string_concat(l, jv_string_fmt(" (exit %d)", (int)jv_number_value(st)));
		jv_free(st);
	}
	jv_free(data);
	return l;
}

jv
cf_actctx_select(cf_store *st, const char *session_id, int64_t since_ms,
                 const char *kind, int again)
{
	/* the shell hook's events wait in the queue (chat-activity add
	 * --queue): stored first so none is missed.  Not inside a caller's
	 * transaction, and an empty queue costs one opendir. */
	if (!cf_store_readonly(st) && cf_sql_autocommit(cf_store_db(st)))
		jv_free(cf_activity_drain(st, 200));
	cf_sql_stmt *s = cf_stmt(st, pick);
	cf_sql_bind_int64(s, 1, since_ms);
	cf_bind_text(s, 2, kind);
	cf_sql_bind_int(s, 3, again != 0);
	cf_bind_text(s, 4, session_id);
	jv ids = jv_array(), lines = jv_array();
	long omitted = 0, bytes = 0;
	int rc;
	int full = 0;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		if (jv_array_length(jv_copy(ids)) >= CF_ACTCTX_MAX_EVENTS) {
			full = 1;
			rc = CF_SQL_DONE;
			break;
		}
		jv l = line_of(s);
		long len = jv_string_length_bytes(jv_copy(l)) + 1;
		if (bytes + len > CF_ACTCTX_MAX_BYTES) {
			jv_free(l);
			full = 1;
			rc = CF_SQL_DONE;
			break;
		}
		bytes += len;
		ids = jv_array_append(ids, cf_col_text(s, 0));
		lines = jv_array_append(lines, l);
	}
	if (rc != CF_SQL_DONE) {
		jv e = cf_store_error(st, "reading events");
		cf_sql_reset(s);
		jv_free(ids);
		jv_free(lines);
		return e;
	}
	cf_sql_reset(s);
	int n = jv_array_length(jv_copy(ids));
	if (full) {
		cf_sql_stmt *c = cf_stmt(st, count_new);
		cf_sql_bind_int64(c, 1, since_ms);
		cf_bind_text(c, 2, kind);
		cf_sql_bind_int(c, 3, again != 0);
		cf_bind_text(c, 4, session_id);
		if (cf_sql_step(c) == CF_SQL_ROW)
			omitted = (long)cf_sql_column_int64(c, 0) - n;
		cf_sql_reset(c);
		if (omitted < 0)
			omitted = 0;
	}
	/* oldest first, as they happened */
	jv oids = jv_array(), text = jv_string("");
	if (n)
		text = jv_string_fmt("Activity on this machine: %d event%s, oldest first%s\n",
		                     n, n == 1 ? "" : "s", omitted ? "" : ".");
	if (n && omitted) {
		jv_free(text);
		text = jv_string_fmt("Activity on this machine: %d event%s, oldest first "
		                     "(%ld older left out).\n", n, n == 1 ? "" : "s", omitted);
	}
	for (int i = n - 1; i >= 0; i--) {
		oids = jv_array_append(oids, jv_array_get(jv_copy(ids), i));
		text = jv_string_concat(text, jv_array_get(jv_copy(lines), i));
		text = jv_string_append_str(text, "\n");
	}
	jv_free(ids);
	jv r = jv_object_set(jv_object(), jv_string("ids"), oids);
	jv ordered = jv_array();
	for (int i = n - 1; i >= 0; i--)
		ordered = jv_array_append(ordered, jv_array_get(jv_copy(lines), i));
	jv_free(lines);
	r = jv_object_set(r, jv_string("lines"), ordered);
	r = jv_object_set(r, jv_string("omitted"), jv_number((double)omitted));
	return jv_object_set(r, jv_string("summary"), text);
}

int
cf_actctx_count(jv sel)
{
	if (jv_get_kind(sel) != JV_KIND_OBJECT)
		return 0;
	jv ids = jv_object_get(jv_copy(sel), jv_string("ids"));
	int n = jv_get_kind(ids) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ids)) : 0;
	jv_free(ids);
	return n;
}

void
cf_actctx_attach(jv sel, struct cf_files *f, jv *msg_context)
{
	if (!cf_actctx_count(sel)) {
		jv_free(sel);
		return;
	}
	const char *s = cf_jstr(sel, "summary");
	size_t len = strlen(s);
	char *p = cf_xmalloc(len + 1);
	memcpy(p, s, len + 1);
	if (jv_get_kind(f->list) != JV_KIND_ARRAY) {
		jv_free(f->list);
		f->list = jv_array();
	}
	f->blobs = cf_xrealloc(f->blobs, sizeof *f->blobs * (size_t)(f->n + 1));
	f->blobs[f->n++] = (struct cf_blob){p, len};
	jv a = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
	a = jv_object_set(a, jv_string("name"), jv_string("activity"));
	a = jv_object_set(a, jv_string("mimeType"), jv_string("text/plain"));
	f->list = jv_array_append(f->list, a);
	if (jv_get_kind(*msg_context) != JV_KIND_OBJECT) {
		jv_free(*msg_context);
		*msg_context = jv_object();
	}
	*msg_context = jv_object_set(*msg_context, jv_string("activityEvents"),
	                             jv_object_get(sel, jv_string("ids")));
}

jv
cf_actctx_window_words(const char *window)
{
	if (!window)
		return jv_string("since the last message");
	if (!strcmp(window, "today") || !strcmp(window, "yesterday"))
		return jv_string_fmt("from %s on", window);
	char *end;
	long n = strtol(window, &end, 10);
	static const struct { char c; const char *one, *many; } u[] = {
		{'s', "second", "seconds"}, {'m', "minute", "minutes"},
		{'h', "hour", "hours"}, {'d', "day", "days"}, {'w', "week", "weeks"},
	};
	if (end != window && n > 0 && end[0] && !end[1])
		for (size_t i = 0; i < sizeof u / sizeof *u; i++)
			if (u[i].c == end[0])
				return n == 1 ? jv_string_fmt("from the last %s", u[i].one) :
				       jv_string_fmt("from the last %ld %s", n, u[i].many);
	return jv_string_fmt("since %s", window);
}

jv
cf_actctx_line(jv sel, const char *window)
{
	int n = cf_actctx_count(sel);
	jv w = cf_actctx_window_words(window);
	jv l;
	if (!n)
		l = jv_string_fmt("no activity events %s not sent before: nothing attached",
		                  jv_string_value(w));
	else
		l = jv_string_fmt("attached %d event%s %s", n, n == 1 ? "" : "s",
		                  jv_string_value(w));
	double om = cf_jnum(sel, "omitted", 0);
	if (n && om > 0)
		l = jv_string_concat(l, jv_string_fmt(" (%.0f more left out)", om));
	jv_free(w);
	return l;
}

void
cf_actctx_files(jv *msg_context, const char *const *paths, int n)
{
	if (n <= 0)
		return;
	if (jv_get_kind(*msg_context) != JV_KIND_OBJECT) {
		jv_free(*msg_context);
		*msg_context = jv_object();
	}
	jv files = jv_object_get(jv_copy(*msg_context), jv_string("files"));
	if (jv_get_kind(files) != JV_KIND_ARRAY) {
		jv_free(files);
		files = jv_array();
	}
	for (int i = 0; i < n; i++) {
		char *abs = realpath(paths[i], NULL);
		files = jv_array_append(files, jv_string(abs ? abs : paths[i]));
		free(abs);
	}
	*msg_context = jv_object_set(*msg_context, jv_string("files"), files);
}

static int
ctx_len(jv ctx, const char *key)
{
	jv a = jv_object_get(jv_copy(ctx), jv_string(key));
	int n = jv_get_kind(a) == JV_KIND_ARRAY ? jv_array_length(jv_copy(a)) : 0;
	jv_free(a);
	return n;
}

char *
cf_context_line(jv msg)
{
	jv ctx = jv_object_get(jv_copy(msg), jv_string("context"));
	if (jv_get_kind(ctx) != JV_KIND_OBJECT) {
		jv_free(ctx);
		return cf_xstrdup("");
	}
	jv l = jv_string("");
	int ev = ctx_len(ctx, "activityEvents"), fl = ctx_len(ctx, "files");
	if (ev)
		l = jv_string_concat(l, jv_string_fmt("%d activity event%s", ev, ev == 1 ? "" : "s"));
	if (fl)
		l = jv_string_concat(l, jv_string_fmt("%s%d file%s", ev ? ", " : "", fl,
		                                      fl == 1 ? "" : "s"));
	jv cmds = jv_object_get(jv_copy(ctx), jv_string("pluginCommands"));
	if (jv_get_kind(cmds) == JV_KIND_ARRAY) {
		jv_array_foreach(cmds, i, c) {
			const char *p = cf_jstr_or_null(c, "plugin"), *k = cf_jstr_or_null(c, "command");
			if (p) {
				char clean[128];
				jv w = jv_string_fmt("plugin %s%s%s", p, k ? " " : "", k ? k : "");
				cf_clean(jv_string_value(w), clean, sizeof clean, 60, 0);
				jv_free(w);
				l = jv_string_concat(l, jv_string_fmt("%s%s",
				                     jv_string_length_bytes(jv_copy(l)) ? ", " : "", clean));
			}
			jv_free(c);
			(void)i;
		}
	}
	jv_free(cmds);
	jv_free(ctx);
	if (!jv_string_length_bytes(jv_copy(l))) {
		jv_free(l);
		return cf_xstrdup("");
	}
	jv w = jv_string_fmt("context: %s", jv_string_value(l));
	char *out = cf_xstrdup(jv_string_value(w));
	jv_free(w);
	jv_free(l);
	return out;
}
