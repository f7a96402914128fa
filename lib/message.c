/* message.c — messages: rows to records and back, in session order. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "priv.h"

#define MESSAGE_COLS \
	"m.id, m.session_id, m.role, " CF_MESSAGE_CONTENT ", m.timestamp, m.tokens," \
	" m.model, m.processing_time, m.reactions, m.edits, m.extra," \
	" m.activity_events, m.plugin_commands, m.files," \
	" (SELECT json_group_array(json_object('id', a.id, 'type', a.type," \
	"  'name', a.name, 'size', a.size, 'mimeType', a.mime_type))" \
	"  FROM attachments a WHERE a.message_id = m.id), m.parts, m.author"

static jv
col_int(cf_sql_stmt *s, int i)
{
	if (cf_sql_column_type(s, i) == CF_SQL_NULL)
		return jv_null();
	return jv_number((double)cf_sql_column_int64(s, i));
}

static jv
col_array(cf_sql_stmt *s, int i)
{
	jv v = cf_col_json(s, i);
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		return jv_array();
	}
	return v;
}

static jv
row_to_message(cf_sql_stmt *s)
{
	jv meta = jv_object();
	meta = jv_object_set(meta, jv_string("tokens"), col_int(s, 5));
	meta = jv_object_set(meta, jv_string("model"), cf_col_text(s, 6));
	meta = jv_object_set(meta, jv_string("processing_time"), col_int(s, 7));
	meta = jv_object_set(meta, jv_string("attachments"), col_array(s, 14));
	meta = jv_object_set(meta, jv_string("reactions"), col_array(s, 8));
	meta = jv_object_set(meta, jv_string("edits"), col_array(s, 9));
	/* only where known: a record of a message from before authors were
	 * kept reads as it always did, and exports of it compare equal */
	if (cf_sql_column_type(s, 16) != CF_SQL_NULL)
		meta = jv_object_set(meta, jv_string("author"), cf_col_text(s, 16));
	jv extra = cf_col_json(s, 10);
	if (jv_get_kind(extra) == JV_KIND_OBJECT) {
		jv_object_foreach(extra, k, v)
			meta = jv_object_set(meta, k, v);
	}
	jv_free(extra);

	jv ctx = jv_object();
	ctx = jv_object_set(ctx, jv_string("activityEvents"), col_array(s, 11));
	ctx = jv_object_set(ctx, jv_string("pluginCommands"), col_array(s, 12));
	ctx = jv_object_set(ctx, jv_string("files"), col_array(s, 13));

	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("message"));
	r = jv_object_set(r, jv_string("id"), cf_col_text(s, 0));
	r = jv_object_set(r, jv_string("sessionId"), cf_col_text(s, 1));
	r = jv_object_set(r, jv_string("role"), cf_col_text(s, 2));
	r = jv_object_set(r, jv_string("content"), cf_col_text(s, 3));
	r = jv_object_set(r, jv_string("timestamp"), cf_time_jv(cf_sql_column_int64(s, 4)));
	r = jv_object_set(r, jv_string("metadata"), meta);
	r = jv_object_set(r, jv_string("context"), ctx);
	/* only where there is a part that is not plain text (confab.7) */
	if (cf_sql_column_type(s, 15) != CF_SQL_NULL) {
		jv parts = cf_col_json(s, 15);
		if (jv_get_kind(parts) == JV_KIND_ARRAY)
			r = jv_object_set(r, jv_string("parts"), parts);
		else
			jv_free(parts);
	}
	return r;
}

jv
cf_message_get(cf_store *st, const char *id)
{
	static const char sql[] =
		"SELECT " MESSAGE_COLS " FROM messages m WHERE m.id = ?";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	/* Reset at once: a statement left on its row keeps a read snapshot
	 * open, and a later BEGIN IMMEDIATE then fails with CF_SQL_BUSY
	 * (no busy wait) as soon as another program has written. */
	if (rc == CF_SQL_ROW) {
		jv r = row_to_message(s);
		cf_sql_reset(s);
		return r;
	}
	if (rc != CF_SQL_DONE) {
		jv e = cf_store_error(st, "reading a message");
		cf_sql_reset(s);
		return e;
	}
	return jv_invalid();
}

static jv
field(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_null();
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

/* An array field, or [] when absent; anything else is malformed. */
static jv
array_field(jv obj, const char *key)
{
	jv v = field(obj, key);
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return jv_array();
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		return cf_error(CF_EX_DATA, "message field %s is not an array", key);
	}
	return v;
}

/* Each part an object saying its type: every reader of parts (the
 * protocols sending them back, the renderers) goes by it, and takes an
 * item as an object. */
static jv
typed_parts(jv parts)
{
	if (jv_get_kind(parts) != JV_KIND_ARRAY)
		return parts;
	jv_array_foreach(parts, i, p) {
		int ok = jv_get_kind(p) == JV_KIND_OBJECT && *cf_jstr(p, "type");
		jv_free(p);
		if (!ok) {
			jv_free(parts);
			return cf_error(CF_EX_DATA, "message field parts: item %d is not "
			                "an object with a type", i);
		}
	}
	return parts;
}

static jv
int_field(jv obj, const char *key)
{
	jv v = field(obj, key);
	if (jv_get_kind(v) != JV_KIND_NULL && jv_get_kind(v) != JV_KIND_NUMBER) {
		jv_free(v);
		return cf_error(CF_EX_DATA, "message field %s is not a number", key);
	}
	return v;
}

jv
cf_meta_split(jv meta, jv *tokens, jv *model, jv *ptime, jv *extra)
{
	*extra = jv_object();
	if (jv_get_kind(meta) == JV_KIND_OBJECT) {
		jv_object_foreach(meta, k, v) {
			const char *ks = jv_string_value(k);
			if (strcmp(ks, "tokens") && strcmp(ks, "model") &&
			    strcmp(ks, "processing_time") && strcmp(ks, "attachments") &&
			    strcmp(ks, "reactions") && strcmp(ks, "edits") &&
			    strcmp(ks, "author"))
				*extra = jv_object_set(*extra, k, v);
			else {
				jv_free(k);
				jv_free(v);
			}
		}
	}
	jv err = jv_true();
	*model = field(meta, "model");
	if (jv_get_kind(*model) != JV_KIND_NULL && jv_get_kind(*model) != JV_KIND_STRING) {
		jv_free(*model);
		*model = jv_null();
		err = cf_error(CF_EX_DATA, "message field model is not a string");
	}
	/* on an error every field is still a value to bind or free */
	jv *num[] = {tokens, ptime};
	const char *key[] = {"tokens", "processing_time"};
	for (int i = 0; i < 2; i++) {
		*num[i] = int_field(meta, key[i]);
		if (cf_is_error(*num[i])) {
			if (cf_is_error(err))
				jv_free(*num[i]);
			else
				err = *num[i];
			*num[i] = jv_null();
		}
	}
	jv_free(meta);
	return err;
}

jv
cf_meta_author(cf_store *st, jv meta)
{
	if (jv_get_kind(meta) != JV_KIND_OBJECT ||
	    !jv_object_has(jv_copy(meta), jv_string("author"))) {
		jv_free(meta);
		return st ? jv_string(cf_store_user(st)) : jv_null();
	}
	jv a = jv_object_get(meta, jv_string("author"));
	if (jv_get_kind(a) == JV_KIND_STRING && !jv_string_length_bytes(jv_copy(a))) {
		jv_free(a);
		return jv_null();
	}
	if (jv_get_kind(a) != JV_KIND_NULL && jv_get_kind(a) != JV_KIND_STRING) {
		jv_free(a);
		return cf_error(CF_EX_DATA, "message field author is not a string");
	}
	return a;
}

jv
cf_message_insert(cf_store *st, const char *sid, jv rec)
{
	char id[37];
	jv r = cf_message_add(st, sid, rec, NULL, 0, id);
	if (cf_is_error(r))
		return r;
	return cf_message_get(st, id);
}

jv
cf_session_authors(cf_store *st, const char *sid)
{
	static const char sql[] = "SELECT count(DISTINCT author) FROM messages"
	                          " WHERE session_id = ?1";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, sid);
	jv r = cf_sql_step(s) == CF_SQL_ROW ?
	       jv_number((double)cf_sql_column_int64(s, 0)) :
	       cf_store_error(st, "counting a session's authors");
	cf_sql_reset(s);
	return r;
}

/* Frees rec and returns err. */
static jv
refuse(jv rec, jv err)
{
	jv_free(rec);
	return err;
}

jv
cf_message_add(cf_store *st, const char *sid, jv rec, const char *text,
               size_t tlen, char id[37])
{
	static const char sql[] =
		"INSERT INTO messages (id, session_id, seq, role, content,"
		" timestamp, tokens, model, processing_time, reactions, edits,"
		" extra, activity_events, plugin_commands, files, parts, author)"
		" VALUES (?1, ?2,"
		" coalesce((SELECT max(seq) FROM messages WHERE session_id = ?2),"
		" 0) + 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		" ?16)";
	const char *rid = cf_jstr_or_null(rec, "id");
	if (rid)
		snprintf(id, 37, "%s", rid);
	else
		cf_uuid7(id);
	if (!sid)
		sid = cf_jstr_or_null(rec, "sessionId");
	if (!sid)
		return refuse(rec, cf_error(CF_EX_DATA, "message has no sessionId"));
	const char *role = cf_jstr_or_null(rec, "role");
	if (!role || (strcmp(role, "user") && strcmp(role, "assistant") &&
	              strcmp(role, "system")))
		return refuse(rec, cf_error(CF_EX_DATA, "message role must be user, "
		                            "assistant or system"));
	jv content = field(rec, "content");
	if (jv_get_kind(content) == JV_KIND_NULL) {
		jv_free(content);
		content = jv_string("");
	} else if (jv_get_kind(content) != JV_KIND_STRING) {
		jv_free(content);
		return refuse(rec, cf_error(CF_EX_DATA, "message content is not a "
		                            "string"));
	}
	int64_t ts = cf_now_ms();
	const char *t = cf_jstr_or_null(rec, "timestamp");
	if (t && cf_time_parse(t, &ts) != 0) {
		jv_free(content);
		return refuse(rec, cf_error(CF_EX_DATA, "invalid time '%s' in "
		                            "timestamp", t));
	}

	jv meta = field(rec, "metadata");
	jv ctx = field(rec, "context");
	jv tokens, model, ptime, extra;
	jv err = cf_meta_split(jv_copy(meta), &tokens, &model, &ptime, &extra);
	jv author = cf_meta_author(st, jv_copy(meta));
	if (cf_is_error(author)) {
		if (cf_is_error(err))
			jv_free(author);
		else
			jv_free(err), err = author;
		author = jv_null();
	}
	/* the arrays, checked before anything is bound */
	jv arr[6] = {array_field(meta, "reactions"), array_field(meta, "edits"),
	             array_field(ctx, "activityEvents"),
	             array_field(ctx, "pluginCommands"), array_field(ctx, "files"),
	             array_field(rec, "parts")};
	arr[5] = typed_parts(arr[5]);
	for (int i = 0; i < 6; i++) {
		if (cf_is_error(arr[i]) && !cf_is_error(err)) {
			jv_free(err);
			err = jv_copy(arr[i]);
		}
	}
	if (cf_is_error(err)) {
		jv vs[] = {tokens, model, ptime, extra, author, content, meta, ctx,
		           arr[0], arr[1], arr[2], arr[3], arr[4], arr[5]};
		for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
			jv_free(vs[i]);
		return refuse(rec, err);
	}

	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	cf_bind_text(s, 2, sid);
	cf_bind_text(s, 3, role);
	/* bound where it lies (CF_SQL_STATIC): a long reply is not copied */
	if (text)
		cf_sql_bind_text(s, 4, text, (int64_t)tlen, CF_SQL_STATIC);
	else
		cf_sql_bind_text(s, 4, jv_string_value(content),
		                  jv_string_length_bytes(jv_copy(content)), CF_SQL_STATIC);
	cf_sql_bind_int64(s, 5, ts);
	cf_bind_jv(s, 6, tokens);
	cf_bind_jv(s, 7, model);
	cf_bind_jv(s, 8, ptime);
	cf_bind_jv(s, 9, arr[0]);
	cf_bind_jv(s, 10, arr[1]);
	cf_bind_jv(s, 11, extra);
	cf_bind_jv(s, 12, arr[2]);
	cf_bind_jv(s, 13, arr[3]);
	cf_bind_jv(s, 14, arr[4]);
	/* none, or [] (what a program that read the record wrote back): the
	 * message is its content, and stores no parts */
	if (!jv_array_length(jv_copy(arr[5]))) {
		jv_free(arr[5]);
		arr[5] = jv_null();
	}
	cf_bind_jv(s, 15, arr[5]);
	cf_bind_jv(s, 16, author);
	err = cf_exec_stmt(st, s, "adding a message");
	cf_sql_bind_null(s, 4);   /* no pointer left to what is freed now */
	jv_free(content);
	jv_free(meta);
	jv_free(ctx);
	jv_free(rec);
	return err;
}

jv
cf_message_list(cf_store *st, const char *sid, long last, const char *upto,
                int (*fn)(jv rec, void *ctx), void *ctx)
{
	static const char all[] =
		"SELECT " MESSAGE_COLS " FROM messages m WHERE m.session_id = ?1"
		" AND m.seq <= coalesce((SELECT seq FROM messages WHERE id = ?2),"
		" 9223372036854775807) ORDER BY m.seq";
	/* The inner query walks the (session_id, seq) index backwards, so the
	 * cost is the number of messages asked for, not the session's size. */
	static const char tail[] =
		"SELECT * FROM (SELECT " MESSAGE_COLS ", m.seq AS k FROM messages m"
		" WHERE m.session_id = ?1 AND m.seq <= coalesce((SELECT seq FROM"
		" messages WHERE id = ?2), 9223372036854775807)"
		" ORDER BY m.seq DESC LIMIT ?3) AS t ORDER BY k";
	cf_sql_stmt *s = cf_stmt(st, last > 0 ? tail : all);
	cf_bind_text(s, 1, sid);
	cf_bind_text(s, 2, upto);
	if (last > 0)
		cf_sql_bind_int64(s, 3, last);
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW)
		if (fn(row_to_message(s), ctx))
			break;
	jv r = rc == CF_SQL_ROW || rc == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "reading messages");
	cf_sql_reset(s);
	return r;
}

/* Both orders walk the (session_id, seq) index from where
 * they start, so a page costs its own rows, not the session's. */
jv
cf_message_page(cf_store *st, const char *sid, int64_t after, int64_t before,
                long limit, int from_end, int (*fn)(jv rec, void *ctx), void *ctx)
{
	static const char head[] =
		"SELECT " MESSAGE_COLS ", m.seq FROM messages m WHERE m.session_id = ?1"
		" AND m.seq > ?2 AND m.seq < ?3 ORDER BY m.seq LIMIT ?4";
	static const char tail[] =
		"SELECT * FROM (SELECT " MESSAGE_COLS ", m.seq AS k FROM messages m"
		" WHERE m.session_id = ?1 AND m.seq > ?2 AND m.seq < ?3"
		" ORDER BY m.seq DESC LIMIT ?4) AS t ORDER BY k";
	cf_sql_stmt *s = cf_stmt(st, from_end ? tail : head);
	cf_bind_text(s, 1, sid);
	cf_sql_bind_int64(s, 2, after > 0 ? after : INT64_MIN);
	cf_sql_bind_int64(s, 3, before > 0 ? before : INT64_MAX);
	cf_sql_bind_int64(s, 4, limit > 0 ? limit : INT64_MAX);
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		jv r = row_to_message(s);
		r = jv_object_set(r, jv_string("seq"), col_int(s, 17));
		if (fn(r, ctx))
			break;
	}
	jv r = rc == CF_SQL_ROW || rc == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "reading messages");
	cf_sql_reset(s);
	return r;
}

jv
cf_message_seq(cf_store *st, const char *id)
{
	cf_sql_stmt *s = cf_stmt(st, "SELECT seq FROM messages WHERE id = ?");
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	jv r = rc == CF_SQL_ROW ? col_int(s, 0) :
	       rc == CF_SQL_DONE ? jv_invalid() :
	       cf_store_error(st, "reading a message");
	cf_sql_reset(s);
	return r;
}

/* Blobs move a mebibyte at a time: a value bound or read whole is held
 * whole, by us and again in the record SQLite builds from it. */
#define BLOB_CHUNK (1 << 20)

cf_sql_blob *
cf_blob_open(cf_store *st, int64_t row, int write)
{
	cf_sql_blob *b;
	if (cf_sql_blob_open(st->db, "attachments", "content", row,
	                      write, &b) != CF_SQL_OK) {
		cf_sql_blob_close(b);
		return NULL;
	}
	return b;
}

jv
cf_blob_write(cf_store *st, cf_sql_blob *b, const void *p, size_t n, size_t at)
{
	const char *c = p;
	while (n) {
		int k = n < BLOB_CHUNK ? (int)n : BLOB_CHUNK;
		if (!b || cf_sql_blob_write(b, c, k, (int)at) != CF_SQL_OK)
			return cf_store_error(st, "storing an attachment");
		c += k;
		at += (size_t)k;
		n -= (size_t)k;
	}
	return jv_true();
}

int64_t
cf_attachment_row(cf_store *st, const char *id, const char *msg_id,
                  const char *type, const char *name, int64_t size,
                  const char *mime, int64_t bytes, jv *err)
{
	static const char sql[] =
		"INSERT INTO attachments (id, message_id, type, name, size,"
		" mime_type, content) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING n";
	if (bytes > INT_MAX) {   /* sqlite3_blob counts in int */
		*err = cf_error(CF_EX_DATA, "attachment '%s' is larger than 2 GiB", name);
		return 0;
	}
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	cf_bind_text(s, 2, msg_id);
	cf_bind_text(s, 3, type);
	cf_bind_text(s, 4, name);
	cf_sql_bind_int64(s, 5, size);
	cf_bind_text(s, 6, mime);
	if (bytes >= 0)
		cf_sql_bind_zeroblob(s, 7, (sqlite3_uint64)bytes);
	/* RETURNING, not last_insert_rowid: PostgreSQL's lastval() would be
	 * the sequence's, in a session that may have drawn none */
	int64_t row = 0;
	if (cf_sql_step(s) == CF_SQL_ROW)
		row = cf_sql_column_int64(s, 0);
	if (!row)
		*err = cf_store_error(st, "storing an attachment");
	cf_sql_reset(s);
	return row;
}

/* One attachment's bytes from row to row, a chunk at a time. */
static jv
copy_blob(cf_store *st, int64_t from, int64_t to)
{
	cf_sql_blob *src = cf_blob_open(st, from, 0), *dst = cf_blob_open(st, to, 1);
	jv r = src && dst ? jv_true() : cf_store_error(st, "copying attachments");
	int n = src ? (int)cf_sql_blob_bytes(src) : 0;
	char *buf = cf_xmalloc(BLOB_CHUNK);
	for (int at = 0; !cf_is_error(r) && at < n; at += BLOB_CHUNK) {
		int k = n - at < BLOB_CHUNK ? n - at : BLOB_CHUNK;
		if (cf_sql_blob_read(src, buf, k, at) != CF_SQL_OK)
			r = cf_store_error(st, "copying attachments");
		else
			r = cf_blob_write(st, dst, buf, (size_t)k, (size_t)at);
	}
	free(buf);
	cf_sql_blob_close(src);
	if (dst && cf_sql_blob_close(dst) != CF_SQL_OK && !cf_is_error(r))
		r = cf_store_error(st, "copying attachments");
	return r;
}

jv
cf_message_copy_all(cf_store *st, const char *from, const char *to,
                    const char *upto)
{
	/* In SQL, with uuid7() registered by the store: a 100,000-message
	 * branch is one statement, not 100,000 round trips.  A reply still
	 * arriving is copied as far as it has come, whole (not pending) and
	 * marked incomplete: the branch does not follow it.  Both arms of the
	 * CASE are json, which PostgreSQL's CASE needs (it will not mix json
	 * and text); in SQLite json() of stored JSON is that JSON. */
	static const char msgs[] =
		"INSERT INTO messages (id, session_id, seq, role, content,"
		" timestamp, tokens, model, processing_time, reactions, edits,"
		" extra, activity_events, plugin_commands, files, parts, author)"
		" SELECT uuid7(), ?2, m.seq, m.role, " CF_MESSAGE_CONTENT ","
		" m.timestamp, m.tokens, m.model, m.processing_time, m.reactions,"
		" m.edits, CASE WHEN m.pending IS NULL THEN json(m.extra) ELSE"
		" json_set(m.extra, '$.incomplete', json('true')) END,"
		" m.activity_events, m.plugin_commands, m.files, m.parts, m.author"
		" FROM messages m"
		" WHERE m.session_id = ?1 AND m.seq <= coalesce((SELECT seq FROM"
		" messages WHERE id = ?3), 9223372036854775807) ORDER BY m.seq";
	/* Attachments one by one, with VALUES: INSERT ... SELECT reads each
	 * blob whole into memory and builds a record of it (seven times a
	 * 200 MB blob at the peak), and from the table it inserts into it
	 * fills a temporary table first.  typeof() and length() read no blob. */
	static const char which[] =
		"SELECT a.n, nm.id, a.type, a.name, a.size, a.mime_type,"
		" typeof(a.content), length(a.content)"
		" FROM attachments a JOIN messages om ON om.id = a.message_id"
		" JOIN messages nm ON nm.session_id = ?2 AND nm.seq = om.seq"
		" WHERE om.session_id = ?1 ORDER BY a.n";
	/* a note's id names one note in the store (chat-note --rm): the
	 * copies' notes get ids of their own.  Each arm is JSON, as PostgreSQL's
	 * CASE wants: a string quoted, true and false from their type (SQLite's
	 * json_each gives them as 1 and 0). */
	static const char notes[] =
		"UPDATE messages SET extra = json_set(extra, '$.notes',"
		" (SELECT json_group_array(CASE WHEN n.type = 'object' THEN"
		" json_set(n.value, '$.id', uuid7()) WHEN n.type = 'text' THEN"
		" json_quote(n.value) WHEN n.type IN ('true', 'false') THEN"
		" json(n.type) ELSE json(n.value) END)"
		" FROM json_each(messages.extra, '$.notes') n))"
		" WHERE session_id = ?1 AND json_type(extra, '$.notes') = 'array'";
	jv r = cf_store_bulk(st, to);
	if (cf_is_error(r))
		return r;
	cf_sql_stmt *s = cf_stmt(st, msgs);
	cf_bind_text(s, 1, from);
	cf_bind_text(s, 2, to);
	cf_bind_text(s, 3, upto);
	r = cf_exec_stmt(st, s, "copying messages");
	if (cf_is_error(r))
		return r;
	long n = cf_sql_changes(st->db);
	r = cf_store_bulk(st, NULL);
	if (cf_is_error(r))
		return r;
	s = cf_stmt(st, notes);
	cf_bind_text(s, 1, to);
	r = cf_exec_stmt(st, s, "copying notes");
	if (cf_is_error(r))
		return r;

	s = cf_stmt(st, which);
	cf_bind_text(s, 1, from);
	cf_bind_text(s, 2, to);
	r = cf_attachments_copy(st, s);
	return cf_is_error(r) ? r : jv_number((double)n);
}

jv
cf_attachments_copy(cf_store *st, cf_sql_stmt *s)
{
	static const char other[] =
		"UPDATE attachments SET content = (SELECT content FROM attachments"
		" WHERE n = ?1) WHERE n = ?2";
	jv r = jv_true();
	/* the rows first (a few names each), so no query reads the table
	 * while it grows */
	struct att {
		int64_t n, size, len;
		int blob;
		char *text[4];   /* message id, type, name, mime type */
	} *rows = NULL;
	size_t na = 0, cap = 0;
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		if (na == cap)
			rows = cf_xrealloc(rows, sizeof *rows * (cap = cap ? cap * 2 : 16));
		struct att *a = &rows[na++];
		a->n = cf_sql_column_int64(s, 0);
		for (int k = 0; k < 4; k++) {
			const char *t = (const char *)cf_sql_column_text(s, k < 3 ? k + 1 : 5);
			a->text[k] = t ? cf_xstrdup(t) : NULL;
		}
		a->size = cf_sql_column_int64(s, 4);
		a->blob = !strcmp((const char *)cf_sql_column_text(s, 6), "blob");
		a->len = cf_sql_column_int64(s, 7);
	}
	if (rc != CF_SQL_DONE)
		r = cf_store_error(st, "copying attachments");
	cf_sql_reset(s);
	for (size_t i = 0; i < na; i++) {
		struct att *a = &rows[i];
		char id[37];
		cf_uuid7(id);
		int64_t row = cf_is_error(r) ? 0 :
			cf_attachment_row(st, id, a->text[0], a->text[1], a->text[2],
			                  a->size, a->text[3], a->blob ? a->len : -1, &r);
		if (!row) {
			/* r holds the error */
		} else if (a->blob && a->len > 0) {
			r = copy_blob(st, a->n, row);
		} else if (!a->blob) {
			/* NULL, or text some other program stored: small, as it is */
			s = cf_stmt(st, other);
			cf_sql_bind_int64(s, 1, a->n);
			cf_sql_bind_int64(s, 2, row);
			r = cf_exec_stmt(st, s, "copying attachments");
		}
		for (int k = 0; k < 4; k++)
			free(a->text[k]);
	}
	free(rows);
	return r;
}

jv
cf_attachment_insert(cf_store *st, const char *msg_id, const char *type,
                     const char *name, const char *mime, const void *data,
                     size_t size)
{
	char id[37];
	cf_uuid7(id);
	jv r = jv_true();
	int64_t row = cf_attachment_row(st, id, msg_id, type, name,
	                                      (int64_t)size, mime,
	                                      (int64_t)size, &r);
	if (!row)
		return r;
	if (size) {
		cf_sql_blob *b = cf_blob_open(st, row, 1);
		r = cf_blob_write(st, b, data, size, 0);
		if (b && cf_sql_blob_close(b) != CF_SQL_OK && !cf_is_error(r))
			r = cf_store_error(st, "storing an attachment");
	}
	return r;
}

jv
cf_attach_limit(long *out)
{
	static long max;
	if (max) {
		*out = max;
		return jv_true();
	}
	jv r = cf_config_load();
	if (cf_is_error(r))
		return r;
	const char *v = cf_config_get("attach-max");
	if (!v) {
		*out = max = 20L << 20;
		return jv_true();
	}
	/* a number of bytes, or of KiB, MiB or GiB with k, M or G after it */
	char num[24];
	size_t n = strlen(v);
	long unit = 1, k;
	if (n && strchr("kKmMgG", v[n - 1])) {
		unit = strchr("kK", v[n - 1]) ? 1L << 10 : strchr("mM", v[n - 1]) ? 1L << 20 : 1L << 30;
		n--;
	}
	if (n >= sizeof num || (memcpy(num, v, n), num[n] = '\0',
	                        cf_parse_long(num, 1, (1L << 30) / unit, &k)))
		return cf_error(CF_EX_CONFIG, "%s: invalid attach-max '%s': expected "
		                "a size from 1 to 1G, such as 20M", cf_config_path(), v);
	*out = max = k * unit;
	return jv_true();
}

long
cf_attach_max(void)
{
	long max = 0;
	cf_raise(cf_attach_limit(&max));
	return max;
}

void
cf_size_text(long n, char *out, size_t len)
{
	if (n && n % (1L << 30) == 0)
		snprintf(out, len, "%ld GiB", n >> 30);
	else if (n && n % (1L << 20) == 0)
		snprintf(out, len, "%ld MiB", n >> 20);
	else if (n && n % (1L << 10) == 0)
		snprintf(out, len, "%ld KiB", n >> 10);
	else
		snprintf(out, len, "%ld bytes", n);
}

jv
cf_attachments_of(cf_store *st, const char *msg_id)
{
	static const char sql[] =
		"SELECT type, name, mime_type, content FROM attachments"
		" WHERE message_id = ? ORDER BY n";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, msg_id);
	jv out = jv_array();
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		jv a = jv_object();
		const char *type = (const char *)cf_sql_column_text(s, 0);
		a = jv_object_set(a, jv_string("type"), cf_col_text(s, 0));
		a = jv_object_set(a, jv_string("name"), cf_col_text(s, 1));
		a = jv_object_set(a, jv_string("mimeType"), cf_col_text(s, 2));
		const void *b = cf_sql_column_blob(s, 3);
		size_t n = (size_t)cf_sql_column_bytes(s, 3);
		if (type && !strcmp(type, "text"))
			a = jv_object_set(a, jv_string("text"), jv_string_sized(b ? b : "", (int)n));
		else
			a = jv_object_set(a, jv_string("data"), cf_base64(b ? b : "", n));
		out = jv_array_append(out, a);
	}
	if (rc != CF_SQL_DONE) {
		jv_free(out);
		out = cf_store_error(st, "reading attachments");
	}
	cf_sql_reset(s);
	return out;
}
