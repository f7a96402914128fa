/* turn.c — a reply's row: reserved right after its prompt when the request
 * goes out, written as the reply arrives, made whole (and indexed) at the
 * end; rows whose writer was killed are closed by the next writer. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"

/* The least time between two saves of what arrived: the progress
 * callback comes at least once a second, and a save costs only the new
 * bytes, so what arrived more than about a second before a kill -9 is in
 * the store. */
#define CHECKPOINT_GAP 0.2
/* A checkpoint never holds the stream up behind another writer for
 * longer than this; it tries again at the next tick. */
#define CHECKPOINT_BUSY_MS 50
/* SQLite's own, which the store keeps. */
#define WAL_AUTOCHECKPOINT 1000

static double
mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* When this process started, in clock ticks since boot (/proc/PID/stat,
 * field 22): with the pid it names one process, even after the pid is
 * reused.  0 when unknown. */
static unsigned long long
start_time(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');   /* the name may hold spaces */
	if (!p)
		return 0;
	unsigned long long t = 0;
	/* after ") ": state is field 3; start time is field 22 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
	           " %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

static void
host_name(char *out, size_t n)
{
	if (gethostname(out, n) != 0 || !*out)
		snprintf(out, n, "localhost");
	out[n - 1] = '\0';
	for (char *p = out; *p; p++)
		if (*p == ':')
			*p = '_';
}

void
cf_writer_tag(char out[320])
{
	char host[256];
	host_name(host, sizeof host);
	long pid = (long)getpid();
	snprintf(out, 320, "%s:%ld:%llu", host, pid, start_time(pid));
}

/* Is the writer a tag names gone?  Only a writer on this machine can be
 * told; one elsewhere (a shared store) is left alone. */
static int
writer_gone(const char *tag)
{
	char host[256];
	host_name(host, sizeof host);
	const char *c1 = strrchr(tag, ':');
	if (!c1 || c1 == tag)
		return 1;
	const char *c2 = c1 - 1;
	while (c2 > tag && *c2 != ':')
		c2--;
	if (*c2 != ':')
		return 1;
	if ((size_t)(c2 - tag) != strlen(host) || strncmp(tag, host, strlen(host)))
		return 0;
	long pid = strtol(c2 + 1, NULL, 10);
	unsigned long long t = strtoull(c1 + 1, NULL, 10);
	if (pid <= 0)
		return 1;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return 1;
	unsigned long long now = start_time(pid);
	return now && t && now != t;
}

void
cf_reply_reserve(cf_store *st, const char *sid, jv meta, struct cf_reply_row *r)
{
	static const char sql[] =
		"INSERT INTO messages (id, session_id, seq, role, content,"
		" timestamp, model, extra, pending, author) VALUES (?1, ?2,"
		" coalesce((SELECT max(seq) FROM messages WHERE session_id = ?2),"
		" 0) + 1, 'assistant', '', ?3, ?4, ?5, ?6, ?7)";
	jv tokens, model, ptime, extra;
	/* a reply's author is who asked for it, not its model (metadata.model
	 * says that): chat-ls --author finds the sessions one took part in,
	 * replies and all */
	jv author = cf_meta_author(st, jv_copy(meta));
	cf_raise(cf_meta_split(meta, &tokens, &model, &ptime, &extra));
	if (cf_is_error(author)) {
		jv_free(author);
		author = jv_string(cf_store_user(st));
	}
	jv_free(tokens);
	jv_free(ptime);
	memset(r, 0, sizeof *r);
	r->st = st;
	cf_uuid7(r->id);
	snprintf(r->sid, sizeof r->sid, "%s", sid);
	cf_writer_tag(r->tag);
	static const char was[] = "SELECT last_updated FROM sessions WHERE id = ?1";
	cf_sql_stmt *w = cf_stmt(st, was);
	cf_bind_text(w, 1, sid);
	if (cf_sql_step(w) == CF_SQL_ROW)
		r->before = cf_sql_column_int64(w, 0);
	cf_sql_reset(w);
	r->at = cf_now_ms();
	extra = jv_object_set(extra, jv_string("incomplete"), jv_true());
	extra = jv_object_set(extra, jv_string("stopReason"), jv_string("streaming"));
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, r->id);
	cf_bind_text(s, 2, sid);
	cf_sql_bind_int64(s, 3, r->at);
	cf_bind_jv(s, 4, model);
	cf_bind_jv(s, 5, extra);
	cf_bind_text(s, 6, r->tag);
	cf_bind_jv(s, 7, author);
	cf_raise(cf_exec_stmt(st, s, "reserving the reply"));
	r->last = mono();
}

int
cf_reply_checkpoint(struct cf_reply_row *r, const char *buf, size_t len,
                    int force)
{
	/* only the bytes that came since the last time, and only while the
	 * row is still this writer's */
	static const char sql[] =
		"INSERT INTO reply_parts (message_id, text) SELECT ?1, ?2"
		" WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND pending = ?3)";
	if (!r->st || len <= r->saved)
		return 0;
	double now = mono();
	if (!force && now - r->last < CHECKPOINT_GAP)
		return 0;
	struct cf_catch k;
	if (CF_TRY(&k)) {
		/* a statement that could not even be prepared: the reply goes
		 * on, and is stored whole at its end */
		cf_store_busy_default(r->st);
		r->failed++;
		r->last = now;
		return CF_SQL_ERROR;
	}
	/* A single statement outside any transaction of ours: its own,
	 * short, never waiting long for the lock, and synced only as far as
	 * a killed process needs (WAL with synchronous=NORMAL). */
	sqlite3 *db = r->st->lite;
	if (db) {
		sqlite3_busy_timeout(db, CHECKPOINT_BUSY_MS);
		sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	/* Nor does it copy the log into the database when the log has grown
	 * long (two syncs and the log's size in writes, while the reply
	 * waits): the reply's own commit does that once, at its end. */
		sqlite3_wal_autocheckpoint(db, 0);
	}
	cf_sql_stmt *s = cf_stmt(r->st, sql);
	cf_bind_text(s, 1, r->id);
	cf_sql_bind_text(s, 2, buf + r->saved, (int64_t)(len - r->saved), CF_SQL_STATIC);
	cf_bind_text(s, 3, r->tag);
	int rc = cf_sql_step(s);
	cf_sql_reset(s);
	cf_sql_bind_null(s, 2);
	if (db) {
		sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
		sqlite3_wal_autocheckpoint(db, WAL_AUTOCHECKPOINT);
		cf_store_busy_default(r->st);
	}
	cf_catch_pop(&k);
	r->checkpoints++;
	r->last = now;
	if (rc != CF_SQL_DONE) {
		r->failed++;
		return rc;
	}
	r->saved = len;
	return 0;
}

/* A pending row becomes whole: the triggers leave that change to whoever
 * makes it, so the text is indexed here from where it lies (text NULL:
 * from the row), and its parts go. */
static void
index_closed(cf_store *st, const char *id, const char *text, size_t len)
{
	/* VALUES, not INSERT ... SELECT, which would copy the text */
	static const char from_text[] =
		"INSERT INTO messages_fts (rowid, content) VALUES"
		" ((SELECT n FROM messages WHERE id = ?1), ?2)";
	static const char from_row[] =
		"INSERT INTO messages_fts (rowid, content)"
		" SELECT n, content FROM messages WHERE id = ?1";
	static const char parts[] = "DELETE FROM reply_parts WHERE message_id = ?1";
	cf_sql_stmt *s;
	/* PostgreSQL's index is a generated column: the row's change is it */
	if (cf_sql_kind(st->db) != CF_SQL_SQLITE)
		goto parts_go;
	s = cf_stmt(st, text ? from_text : from_row);
	cf_bind_text(s, 1, id);
	/* FTS5 reads the text with sqlite3_value_text, which copies a string
	 * SQLite does not know to end in a NUL, to add one: a long reply's
	 * whole size again.  Bound with its length left to SQLite, the NUL
	 * that follows it is known (unless the text holds one itself). */
	if (text && text[len] == '\0' && !memchr(text, '\0', len) && len <= INT_MAX)
		cf_sql_bind_text(s, 2, text, -1, CF_SQL_STATIC);
	else if (text)
		cf_sql_bind_text(s, 2, text, (int64_t)(len), CF_SQL_STATIC);
	cf_raise(cf_exec_stmt(st, s, "indexing the reply"));
	cf_sql_bind_null(s, 2);
parts_go:
	s = cf_stmt(st, parts);
	cf_bind_text(s, 1, id);
	cf_raise(cf_exec_stmt(st, s, "indexing the reply"));
}

int
cf_reply_write(cf_store *st, const char *id, const char *sid, jv meta,
               const char *text, size_t len, int64_t ts)
{
	static const char was[] =
		"SELECT pending IS NOT NULL FROM messages WHERE id = ?1";
	static const char upd[] =
		"UPDATE messages SET content = ?2, tokens = ?3, model = ?4,"
		" processing_time = ?5, extra = ?6, timestamp = ?7, pending = NULL,"
		" parts = ?8, author = coalesce(?9, author) WHERE id = ?1";
	static const char touch[] =
		"UPDATE sessions SET last_updated = max(last_updated, ?2)"
		" WHERE id = ?1";
	cf_sql_stmt *s = cf_stmt(st, was);
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	int pending = rc == CF_SQL_ROW && cf_sql_column_int(s, 0);
	cf_sql_reset(s);
	if (rc != CF_SQL_ROW && rc != CF_SQL_DONE)
		cf_store_fail(st, "storing the reply");
	if (rc == CF_SQL_DONE) {
		jv_free(meta);
		return 0;
	}
	/* the typed parts, when the reply has any, come in the meta (chat.c)
	 * and go to their own column */
	jv parts = jv_get_kind(meta) == JV_KIND_OBJECT ?
	           jv_object_get(jv_copy(meta), jv_string("parts")) : jv_invalid();
	if (jv_get_kind(parts) != JV_KIND_ARRAY) {
		jv_free(parts);
		parts = jv_null();
	} else {
		meta = jv_object_delete(meta, jv_string("parts"));
	}
	jv tokens, model, ptime, extra;
	/* the author reserve_reply set, unless the meta names one (a spooled
	 * reply stored by whoever opens the store next) */
	jv author = jv_get_kind(meta) == JV_KIND_OBJECT ?
	            jv_object_get(jv_copy(meta), jv_string("author")) : jv_invalid();
	if (jv_get_kind(author) != JV_KIND_STRING) {
		jv_free(author);
		author = jv_null();
	}
	cf_raise(cf_meta_split(meta, &tokens, &model, &ptime, &extra));
	if (!ts)
		ts = cf_now_ms();
	s = cf_stmt(st, upd);
	cf_bind_text(s, 1, id);
	cf_sql_bind_text(s, 2, text ? text : "", (int64_t)(len), CF_SQL_STATIC);
	cf_bind_jv(s, 3, tokens);
	cf_bind_jv(s, 4, model);
	cf_bind_jv(s, 5, ptime);
	cf_bind_jv(s, 6, extra);
	cf_sql_bind_int64(s, 7, ts);
	cf_bind_jv(s, 8, parts);
	cf_bind_jv(s, 9, author);
	rc = cf_sql_step(s);
	if (rc != CF_SQL_DONE)
		cf_store_fail(st, "storing the reply");   /* before the reset
		                                            * clears the error */
	cf_sql_reset(s);
	cf_sql_bind_null(s, 2);
	if (pending)
		index_closed(st, id, text ? text : "", len);
	s = cf_stmt(st, touch);
	cf_bind_text(s, 1, sid);
	cf_sql_bind_int64(s, 2, ts);
	cf_raise(cf_exec_stmt(st, s, "storing the reply"));
	return 1;
}

jv
cf_reply_finish(struct cf_reply_row *r, jv meta, const char *text, size_t len)
{
	cf_store *st = r->st;
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(st);
		return cf_error(k.code, "%s", k.msg);
	}
	cf_raise(cf_store_begin(st));
	if (!cf_reply_write(st, r->id, r->sid, meta, text, len, 0)) {
		cf_catch_pop(&k);
		cf_store_rollback(st);
		return cf_error(CF_EX_NOTFOUND, "the session was deleted while "
		                "the reply arrived");
	}
	cf_raise(cf_store_commit(st));
	cf_catch_pop(&k);
	r->saved = len;
	return jv_true();
}

void
cf_reply_drop(struct cf_reply_row *r)
{
	static const char sql[] =
		"DELETE FROM messages WHERE id = ?1 AND pending = ?2";
	cf_sql_stmt *s = cf_stmt(r->st, sql);
	cf_bind_text(s, 1, r->id);
	cf_bind_text(s, 2, r->tag);
	cf_raise(cf_exec_stmt(r->st, s, "removing the reserved reply"));
	if (!cf_sql_changes(r->st->db) || !r->before)
		return;
	/* unless something since has moved it on */
	static const char back[] = "UPDATE sessions SET last_updated = ?2"
		" WHERE id = ?1 AND last_updated = ?3 AND ?3 > ?2";
	s = cf_stmt(r->st, back);
	cf_bind_text(s, 1, r->sid);
	cf_sql_bind_int64(s, 2, r->before);
	cf_sql_bind_int64(s, 3, r->at);
	cf_raise(cf_exec_stmt(r->st, s, "removing the reserved reply"));
}

int
cf_reply_recover(cf_store *st)
{
	static const char list[] =
		"SELECT id, pending FROM messages WHERE pending IS NOT NULL";
	static const char drop_empty[] =
		"DELETE FROM messages WHERE id = ?1 AND pending = ?2 AND NOT EXISTS"
		" (SELECT 1 FROM reply_parts WHERE message_id = ?1)";
	static const char close_row[] =
		"UPDATE messages SET pending = NULL, content = coalesce((SELECT"
		" group_concat(p.text, '') FROM (SELECT text FROM reply_parts"
		" WHERE message_id = ?1 ORDER BY n) p), ''), extra = json_set(extra,"
		" '$.incomplete', json('true'), '$.stopReason', 'abandoned',"
		" '$.error', 'the program receiving it ended before the reply was"
		" whole') WHERE id = ?1 AND pending = ?2";
	cf_sql_stmt *s = cf_stmt(st, list);
	jv gone = jv_array();
	while (cf_sql_step(s) == CF_SQL_ROW) {
		const char *tag = (const char *)cf_sql_column_text(s, 1);
		if (tag && writer_gone(tag))
			gone = jv_array_append(gone, jv_array_append(jv_array_append(
				jv_array(), cf_col_text(s, 0)), cf_col_text(s, 1)));
	}
	cf_sql_reset(s);
	int n = jv_array_length(jv_copy(gone));
	if (n) {
		/* a store that cannot take it now is tried again next time */
		struct cf_catch k;
		if (CF_TRY(&k)) {
			cf_sql_exec(st->db, "ROLLBACK");
			jv_free(gone);
			return 0;
		}
		cf_raise(cf_store_begin(st));
		jv_array_foreach(gone, i, row) {
			/* a reply that never got a byte goes, as chat-send drops it:
			 * an empty turn would be context a provider refuses */
			s = cf_stmt(st, drop_empty);
			cf_bind_jv(s, 1, jv_array_get(jv_copy(row), 0));
			cf_bind_jv(s, 2, jv_array_get(jv_copy(row), 1));
			cf_raise(cf_exec_stmt(st, s, "closing an abandoned reply"));
			s = cf_stmt(st, close_row);
			cf_bind_jv(s, 1, jv_array_get(jv_copy(row), 0));
			cf_bind_jv(s, 2, jv_array_get(jv_copy(row), 1));
			cf_raise(cf_exec_stmt(st, s, "closing an abandoned reply"));
			if (cf_sql_changes(st->db)) {
				jv id = jv_array_get(jv_copy(row), 0);
				index_closed(st, jv_string_value(id), NULL, 0);
				jv_free(id);
			}
			jv_free(row);
			(void)i;
		}
		cf_raise(cf_store_commit(st));
		cf_catch_pop(&k);
	}
	jv_free(gone);
	return n;
}
