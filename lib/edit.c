/* edit.c — a message's content replaced, each earlier version kept in
 * metadata.edits (ChatEdit: content, timestamp, editedBy; a retried
 * reply's also kind "retry" and its figures); chat-send --edit's branch
 * of the old line; the versions and going back to one. */
#include <stdlib.h>
#include <string.h>

#include "priv.h"

/* One row, read in the caller's transaction so that what is changed is
 * what is there now. */
struct row {
	int found, pending;
	int64_t seq;
	jv content, edits, role, sid, model, tokens, extra;
};

static void
row_free(struct row *r)
{
	jv vs[] = {r->content, r->edits, r->role, r->sid, r->model, r->tokens, r->extra};
	for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
		jv_free(vs[i]);
}

static jv
read_row(cf_store *st, const char *id, struct row *r)
{
	static const char sql[] =
		"SELECT content, edits, role, session_id, seq, pending IS NOT NULL,"
		" model, tokens, extra FROM messages WHERE id = ?1";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	memset(r, 0, sizeof *r);
	r->content = r->edits = r->role = r->sid = r->model = r->tokens = r->extra = jv_null();
	if (rc == CF_SQL_ROW) {
		r->found = 1;
		r->content = cf_col_text(s, 0);
		r->edits = cf_col_json(s, 1);
		if (jv_get_kind(r->edits) != JV_KIND_ARRAY) {
			jv_free(r->edits);
			r->edits = jv_array();
		}
		r->role = cf_col_text(s, 2);
		r->sid = cf_col_text(s, 3);
		r->seq = cf_sql_column_int64(s, 4);
		r->pending = cf_sql_column_int(s, 5);
		r->model = cf_col_text(s, 6);
		r->tokens = cf_sql_column_type(s, 7) == CF_SQL_NULL ? jv_null() :
		            jv_number((double)cf_sql_column_int64(s, 7));
		r->extra = cf_col_json(s, 8);
		if (jv_get_kind(r->extra) != JV_KIND_OBJECT) {
			jv_free(r->extra);
			r->extra = jv_object();
		}
	}
	jv e = rc == CF_SQL_ROW || rc == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "reading a message");
	cf_sql_reset(s);
	return e;
}

static jv
gone(const char *id)
{
	return cf_error(CF_EX_NOTFOUND, "message '%s' was deleted by another "
	                "program; nothing changed", id);
}

/* Message id as it is stored, or gone() when another program removed it. */
static jv
stored(cf_store *st, const char *id)
{
	jv m = cf_message_get(st, id);
	return jv_is_valid(m) || cf_is_error(m) ? m : (jv_free(m), gone(id));
}

static jv
now_jv(void)
{
	return cf_time_jv(cf_now_ms());
}

/* The ChatEdit for content being replaced now. */
static jv
edit_entry(cf_store *st, jv old_content)
{
	jv e = jv_object_set(jv_object(), jv_string("content"), old_content);
	e = jv_object_set(e, jv_string("timestamp"), now_jv());
	return jv_object_set(e, jv_string("editedBy"), jv_string(cf_store_user(st)));
}

/* A message's parts with its text edited: what goes back to a model is
 * the parts, so the new text takes the first text part's place and the
 * other text parts (and their citations, which quoted the old text) go;
 * the thinking and tool parts stay.  Null when only text is left, as a
 * message of text alone has no parts. */
static jv
edited_parts(jv parts, const char *text, size_t len)
{
	if (jv_get_kind(parts) != JV_KIND_ARRAY) {
		jv_free(parts);
		return jv_null();
	}
	jv out = jv_array();
	int placed = 0, other = 0;
	jv t = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
	t = jv_object_set(t, jv_string("text"), jv_string_sized(text, (int)len));
	jv_array_foreach(parts, i, p) {
		if (!strcmp(cf_jstr(p, "type"), "text")) {
			if (!placed++)
				out = jv_array_append(out, jv_copy(t));
			jv_free(p);
		} else {
			other = 1;
			out = jv_array_append(out, p);
		}
		(void)i;
	}
	if (!placed)
		out = jv_array_append(out, jv_copy(t));
	jv_free(t);
	jv_free(parts);
	if (!other) {
		jv_free(out);
		return jv_null();
	}
	return out;
}

static jv
write_content(cf_store *st, const char *id, const char *text, size_t len, jv edits)
{
	static const char get[] = "SELECT parts FROM messages WHERE id = ?1";
	static const char sql[] =
		"UPDATE messages SET content = ?2, edits = ?3, parts = ?4 WHERE id = ?1";
	cf_sql_stmt *s = cf_stmt(st, get);
	cf_bind_text(s, 1, id);
	jv parts = cf_sql_step(s) == CF_SQL_ROW ? cf_col_json(s, 0) : jv_null();
	cf_sql_reset(s);
	parts = edited_parts(parts, text, len);
	s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	cf_sql_bind_text(s, 2, text, (int64_t)len, CF_SQL_STATIC);
	cf_bind_jv(s, 3, edits);
	cf_bind_jv(s, 4, parts);
	jv r = cf_exec_stmt(st, s, "editing a message");
	cf_sql_bind_null(s, 2);
	return r;
}

/* Is text the content there?  Trailing newlines aside when loose (an
 * editor adds one). */
static int
same_text(jv content, const char *text, size_t len, int loose)
{
	const char *c = jv_string_value(content);
	size_t cl = (size_t)jv_string_length_bytes(jv_copy(content));
	if (loose) {
		while (cl && c[cl - 1] == '\n')
			cl--;
		while (len && text[len - 1] == '\n')
			len--;
	}
	return cl == len && !memcmp(c, text, len);
}

jv
cf_edit_in(cf_store *st, const char *id, const char *text, size_t len,
           int loose, int *changed)
{
	*changed = 0;
	if (!len)
		return cf_error(CF_EX_USAGE, "no text: a message cannot be empty; "
		                "nothing changed");
	if (!cf_utf8_valid(text, len))
		return cf_error(CF_EX_DATA, "the text is not valid UTF-8; nothing changed");
	struct row r;
	jv e = read_row(st, id, &r);
	if (!jv_is_valid(e) || !r.found) {
		row_free(&r);
		return jv_is_valid(e) ? (jv_free(e), gone(id)) : e;
	}
	jv_free(e);
	if (r.pending) {
		row_free(&r);
		return cf_error(CF_EX_FAIL, "message '%s' is a reply still arriving; "
		                "nothing changed", id);
	}
	if (same_text(r.content, text, len, loose)) {
		row_free(&r);
		return jv_true();
	}
	jv edits = jv_array_append(jv_copy(r.edits), edit_entry(st, jv_copy(r.content)));
	e = write_content(st, id, text, len, edits);
	row_free(&r);
	if (jv_is_valid(e))
		*changed = 1;
	return e;
}

/* Begin, f, read the message back, commit: the record, or the error with
 * nothing changed. */
static jv
in_transaction(cf_store *st, const char *id, jv r)
{
	if (!jv_is_valid(r)) {
		cf_store_rollback(st);
		return r;
	}
	jv_free(r);
	jv m = stored(st, id);
	if (!jv_is_valid(m)) {
		cf_store_rollback(st);
		return m;
	}
	jv c = cf_store_commit(st);
	if (!jv_is_valid(c)) {
		jv_free(m);
		return c;
	}
	jv_free(c);
	return m;
}

jv
cf_edit_message(cf_store *st, const char *id, const char *text, size_t len,
                int loose, int *changed)
{
	*changed = 0;
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	return in_transaction(st, id, cf_edit_in(st, id, text, len, loose, changed));
}

/* obj's string at key, whole; "" when it is not one. */
static jv
str_field(jv obj, const char *key)
{
	jv v = jv_get_kind(obj) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(obj), jv_string(key)) : jv_invalid();
	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	jv_free(v);
	return jv_string("");
}

jv
cf_edit_versions(jv msg)
{
	/* the strings themselves, not as C strings: a NUL is content too */
	jv meta = jv_object_get(jv_copy(msg), jv_string("metadata"));
	jv edits = jv_get_kind(meta) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(meta), jv_string("edits")) : jv_array();
	jv_free(meta);
	if (jv_get_kind(edits) != JV_KIND_ARRAY) {
		jv_free(edits);
		edits = jv_array();
	}
	jv out = jv_array();
	int n = jv_array_length(jv_copy(edits));
	for (int i = 0; i <= n; i++) {
		jv v = jv_object_set(jv_object(), jv_string("type"), jv_string("version"));
		v = jv_object_set(v, jv_string("messageId"), jv_string(cf_jstr(msg, "id")));
		v = jv_object_set(v, jv_string("version"), jv_number(i + 1));
		v = jv_object_set(v, jv_string("current"), jv_bool(i == n));
		if (i < n) {
			jv ed = jv_array_get(jv_copy(edits), i);
			/* what replaced it, and when: the edit that holds it */
			v = jv_object_set(v, jv_string("content"), str_field(ed, "content"));
			v = jv_object_set(v, jv_string("replaced"), jv_string(cf_jstr(ed, "timestamp")));
			v = jv_object_set(v, jv_string("replacedBy"), jv_string(cf_jstr(ed, "editedBy")));
			if (cf_jstr_or_null(ed, "kind"))
				v = jv_object_set(v, jv_string("kind"), jv_string(cf_jstr(ed, "kind")));
			if (cf_jstr_or_null(ed, "model"))
				v = jv_object_set(v, jv_string("model"), jv_string(cf_jstr(ed, "model")));
			jv_free(ed);
		} else {
			v = jv_object_set(v, jv_string("content"), str_field(msg, "content"));
			v = jv_object_set(v, jv_string("replaced"), jv_null());
			v = jv_object_set(v, jv_string("replacedBy"), jv_null());
		}
		out = jv_array_append(out, v);
	}
	jv_free(edits);
	return out;
}

jv
cf_edit_revert(cf_store *st, const char *id, long version, int *changed)
{
	*changed = 0;
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	jv m = stored(st, id);
	if (!jv_is_valid(m)) {
		cf_store_rollback(st);
		return m;
	}
	jv vs = cf_edit_versions(m);
	jv_free(m);
	int n = jv_array_length(jv_copy(vs));
	if (version < 1 || version > n) {
		jv_free(vs);
		cf_store_rollback(st);
		return n > 1 ?
		       cf_error(CF_EX_USAGE, "invalid --revert %ld: message '%s' has "
		                "versions 1 to %d", version, id, n) :
		       cf_error(CF_EX_USAGE, "invalid --revert %ld: message '%s' has "
		                "version 1", version, id);
	}
	jv v = jv_array_get(vs, (int)version - 1);
	const char *t = cf_jstr(v, "content");
	jv r = cf_edit_in(st, id, t, strlen(t), 0, changed);
	jv_free(v);
	return in_transaction(st, id, r);
}

/* ---- chat-send --edit: the old line kept as a branch ---- */

jv
cf_edit_resend_in(cf_store *st, const char *id, const char *text, size_t len,
                  jv *branch)
{
	static const char before[] =
		"SELECT id FROM messages WHERE session_id = ?1 AND seq < ?2"
		" ORDER BY seq DESC LIMIT 1";
	static const char after[] =
		"SELECT count(*) FROM messages WHERE session_id = ?1 AND seq > ?2";
	static const char drop[] =
		"DELETE FROM messages WHERE session_id = ?1 AND seq > ?2";
	static const char arriving[] =
		"SELECT id FROM messages WHERE session_id = ?1 AND seq > ?2"
		" AND pending IS NOT NULL LIMIT 1";
	*branch = jv_null();
	if (!len)
		return cf_error(CF_EX_USAGE, "no message: give the new text as "
		                "arguments or on stdin");
	struct row r;
	jv e = read_row(st, id, &r);
	if (!jv_is_valid(e) || !r.found) {
		row_free(&r);
		return jv_is_valid(e) ? (jv_free(e), gone(id)) : e;
	}
	jv_free(e);
	if (strcmp(jv_string_value(r.role), "user")) {
		jv err = cf_error(CF_EX_USAGE, "message '%s' is a%s %s message: --edit "
		                  "takes a user message (chat-edit changes any)", id,
		                  strcmp(jv_string_value(r.role), "assistant") ? "" : "n",
		                  jv_string_value(r.role));
		row_free(&r);
		return err;
	}
	/* the answers to a reply's tool calls: its parts are what goes out,
	 * so new text would be stored and never sent */
	static const char answers[] =
		"SELECT 1 FROM messages WHERE id = ?1 AND parts IS NOT NULL"
		" AND EXISTS (SELECT 1 FROM json_each(parts)"
		"  WHERE json_extract(value, '$.type') = 'tool_result')";
	cf_sql_stmt *a = cf_stmt(st, answers);
	cf_bind_text(a, 1, id);
	int tool = cf_sql_step(a) == CF_SQL_ROW;
	cf_sql_reset(a);
	if (tool) {
		row_free(&r);
		return cf_error(CF_EX_USAGE, "message '%s' holds the results of tool calls: "
		                "--edit takes a message the user wrote", id);
	}
	const char *sid = jv_string_value(r.sid);
	/* a reply still arriving would lose its row to the branch and its
	 * writer would spool it back after the edited message */
	cf_sql_stmt *s = cf_stmt(st, arriving);
	cf_bind_text(s, 1, sid);
	cf_sql_bind_int64(s, 2, r.seq);
	int rc = cf_sql_step(s);
	jv busy = rc == CF_SQL_ROW ? cf_col_text(s, 0) : jv_null();
	cf_sql_reset(s);
	if (rc != CF_SQL_ROW && rc != CF_SQL_DONE) {
		row_free(&r);
		return cf_store_error(st, "editing a message");
	}
	if (rc == CF_SQL_ROW) {
		jv err = cf_error(CF_EX_FAIL, "message '%s' is a reply still arriving; "
		                  "nothing changed", jv_string_value(busy));
		jv_free(busy);
		row_free(&r);
		return err;
	}
	jv_free(busy);
	s = cf_stmt(st, after);
	cf_bind_text(s, 1, sid);
	cf_sql_bind_int64(s, 2, r.seq);
	rc = cf_sql_step(s);
	long later = rc == CF_SQL_ROW ? (long)cf_sql_column_int64(s, 0) : -1;
	cf_sql_reset(s);
	if (later < 0) {
		row_free(&r);
		return cf_store_error(st, "editing a message");
	}
	if (later > 0) {
		/* the line as it was, whole, as a branch made where the two part:
		 * at the message before this one (none: before the first) */
		s = cf_stmt(st, before);
		cf_bind_text(s, 1, sid);
		cf_sql_bind_int64(s, 2, r.seq);
		rc = cf_sql_step(s);
		jv point = rc == CF_SQL_ROW ? cf_col_text(s, 0) : jv_null();
		cf_sql_reset(s);
		if (rc != CF_SQL_ROW && rc != CF_SQL_DONE) {
			jv_free(point);
			row_free(&r);
			return cf_store_error(st, "editing a message");
		}
		jv src = cf_session_get(st, sid);
		if (!jv_is_valid(src)) {
			jv_free(point);
			row_free(&r);
			return cf_is_error(src) ? src : (jv_free(src), gone(id));
		}
		jv name = jv_string_fmt("%s (before edit)", cf_jstr(src, "name"));
		jv b = cf_session_branch_in(st, src, jv_get_kind(point) == JV_KIND_STRING ?
		                            jv_string_value(point) : NULL, NULL,
		                            jv_string_value(name), 0);
		jv_free(name);
		jv_free(src);
		jv_free(point);
		if (!jv_is_valid(b)) {
			row_free(&r);
			return b;
		}
		*branch = b;
		s = cf_stmt(st, drop);
		cf_bind_text(s, 1, sid);
		cf_sql_bind_int64(s, 2, r.seq);
		e = cf_exec_stmt(st, s, "editing a message");
		if (!jv_is_valid(e)) {
			row_free(&r);
			return e;
		}
		jv_free(e);
	}
	row_free(&r);
	int changed;
	return cf_edit_in(st, id, text, len, 0, &changed);
}

/* ---- chat-send --retry ---- */

static int
collect(jv m, void *ctx)
{
	jv *list = ctx;
	*list = jv_array_append(*list, m);
	return 0;
}

jv
cf_retry_target(cf_store *st, const char *sid, char prompt[37], char reply[37])
{
	prompt[0] = reply[0] = '\0';
	jv two = jv_array();
	jv e = cf_message_list(st, sid, 2, NULL, collect, &two);
	if (!jv_is_valid(e)) {
		jv_free(two);
		return e;
	}
	jv_free(e);
	int n = jv_array_length(jv_copy(two));
	jv last = n ? jv_array_get(jv_copy(two), n - 1) : jv_null();
	jv prev = n > 1 ? jv_array_get(jv_copy(two), 0) : jv_null();
	jv_free(two);
	const char *role = n ? cf_jstr(last, "role") : "";
	if (!strcmp(role, "assistant") && n > 1 &&
	    strcmp(cf_jstr(prev, "role"), "user")) {
		e = cf_error(CF_EX_USAGE, "nothing to retry: the last reply does "
		             "not follow a user message");
	} else if (!strcmp(role, "assistant") && n > 1) {
		snprintf(reply, 37, "%s", cf_jstr(last, "id"));
		snprintf(prompt, 37, "%s", cf_jstr(prev, "id"));
		/* its writer would store its own reply over the one folded in */
		struct row r;
		e = read_row(st, reply, &r);
		if (jv_is_valid(e) && r.pending) {
			jv_free(e);
			e = cf_error(CF_EX_FAIL, "message '%s' is a reply still arriving; "
			             "nothing was sent", reply);
		}
		row_free(&r);
	} else if (!strcmp(role, "user")) {
		/* a message left without a reply (the provider failed): asked
		 * again, nothing to replace */
		snprintf(prompt, 37, "%s", cf_jstr(last, "id"));
		e = jv_true();
	} else {
		e = cf_error(CF_EX_USAGE, "nothing to retry: the session %s",
		             !n ? "has no messages" : !strcmp(role, "system") ?
		             "ends with a system message" : "has no message before its reply");
	}
	jv_free(last);
	jv_free(prev);
	return e;
}

jv
cf_retry_fold(cf_store *st, const char *old_id, const char *new_id)
{
	static const char upd[] =
		"UPDATE messages SET (content, tokens, model, processing_time,"
		" timestamp, extra, edits, parts) = (SELECT n.content, n.tokens, n.model,"
		" n.processing_time, n.timestamp, json_patch(json_remove(messages.extra,"
		" '$.usage', '$.cacheReadTokens', '$.cacheWrite5mTokens',"
		" '$.cacheWrite1hTokens', '$.reasoningTokens', '$.schemaValid', '$.schemaError',"
		" '$.error'), n.extra),"
		" ?3, n.parts FROM messages n WHERE n.id = ?2) WHERE id = ?1";
	static const char drop[] = "DELETE FROM messages WHERE id = ?1";
	struct row r;
	jv e = read_row(st, old_id, &r);
	if (!jv_is_valid(e) || !r.found) {
		row_free(&r);
		return jv_is_valid(e) ? (jv_free(e), gone(old_id)) : e;
	}
	jv_free(e);
	jv ed = edit_entry(st, jv_copy(r.content));
	ed = jv_object_set(ed, jv_string("kind"), jv_string("retry"));
	ed = jv_object_set(ed, jv_string("model"), jv_copy(r.model));
	ed = jv_object_set(ed, jv_string("tokens"), jv_copy(r.tokens));
	static const char *const keep[] = {"inputTokens", "outputTokens", "cost",
	                                   "provider", "stopReason", "cacheReadTokens",
	                                   "cacheWrite5mTokens", "cacheWrite1hTokens",
	                                   "reasoningTokens"};
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
		jv v = jv_object_get(jv_copy(r.extra), jv_string(keep[i]));
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
			ed = jv_object_set(ed, jv_string(keep[i]), v);
		else
			jv_free(v);
	}
	jv edits = jv_array_append(jv_copy(r.edits), ed);
	row_free(&r);
	cf_sql_stmt *s = cf_stmt(st, upd);
	cf_bind_text(s, 1, old_id);
	cf_bind_text(s, 2, new_id);
	cf_bind_jv(s, 3, edits);
	e = cf_exec_stmt(st, s, "keeping the retried reply");
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	s = cf_stmt(st, drop);
	cf_bind_text(s, 1, new_id);
	return cf_exec_stmt(st, s, "keeping the retried reply");
}

static int
first(jv rec, void *ctx)
{
	jv *out = ctx;
	*out = rec;
	return 1;
}

jv
cf_session_of(cf_store *st, const char *id)
{
	jv s = jv_invalid();
	if (id) {
		s = cf_session_get(st, id);
	} else {
		struct cf_filter f = {.limit = 1};
		jv e = cf_session_list(st, &f, first, &s);
		if (!jv_is_valid(e)) {
			jv_free(s);
			return e;
		}
		jv_free(e);
	}
	if (jv_is_valid(s) || cf_is_error(s))
		return s;
	return id ? cf_error(CF_EX_NOTFOUND, "session '%s' was deleted by another "
	                     "program", id) :
	       cf_error(CF_EX_NOTFOUND, "no session to retry in (give one with -s)");
}
