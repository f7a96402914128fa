/* imp_llm.c — simonw/llm's logs.db in: its responses grouped by
 * conversation, read where the file lies or from bytes in memory. */
#include <stdio.h>
#include <string.h>

#include "import.h"

static int
has_column(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
	                       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, col, -1, SQLITE_STATIC);
	int yes = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return yes;
}

static jv
col_str(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? jv_string_sized(t, sqlite3_column_bytes(s, i)) : jv_null();
}

/* A column that holds a count or null, checked as a JSON number is
 * (check_num); text or bytes in it are malformed. */
static jv
col_num(struct rd *r, sqlite3_stmt *s, int i, const char *name)
{
	int t = sqlite3_column_type(s, i);
	if (t == SQLITE_TEXT || t == SQLITE_BLOB)
		imp_bad(r, "%s is %s, expected a number or null", name,
		        t == SQLITE_TEXT ? "text" : "a blob");
	if (t == SQLITE_NULL)
		return jv_null();
	return imp_check_num(r, jv_number(sqlite3_column_double(s, i)), name, 0,
	                     COUNT_MAX, 1);
}

/* The session of the conversation before; where names it. */
static void
llm_flush(struct rd *r, jv *sess, jv *msgs, const char *where)
{
	if (!jv_is_valid(*sess))
		return;
	snprintf(r->where, sizeof r->where, "%s", where);
	r->plans = jv_array_append(r->plans, imp_new_plan(r, *sess, *msgs));
	*sess = jv_invalid();
	*msgs = jv_invalid();
}

/* The columns llm has had since its migration m010 made conversations and
 * responses; the token counts (m013) and the model that answered
 * (resolved_model) came later, and an older file lacks them. */
static void
llm_read(struct rd *r, sqlite3 *db)
{
	static const char *const need[] = {"id", "model", "prompt", "system",
		"response", "conversation_id", "duration_ms", "datetime_utc"};
	if (!has_column(db, "responses", "id"))
		imp_bad(r, "not an llm logs.db: it has no responses table");
	for (size_t i = 0; i < sizeof need / sizeof *need; i++)
		if (!has_column(db, "responses", need[i]))
			imp_bad(r, "not an llm logs.db: responses has no column %s", need[i]);
	if (!has_column(db, "conversations", "id") ||
	    !has_column(db, "conversations", "name") ||
	    !has_column(db, "conversations", "model"))
		imp_bad(r, "not an llm logs.db: it has no conversations table");
	int tok = has_column(db, "responses", "input_tokens") &&
	          has_column(db, "responses", "output_tokens");
	int res = has_column(db, "responses", "resolved_model");
	/* one of four fixed queries: the optional columns or NULL in their place */
	static const char *const sql[2][2] = {
#define LLM_SQL(TOK, RES) \
		"SELECT r.id, r.conversation_id, c.name, c.model, r.model, r.prompt," \
		" r.system, r.response, r.duration_ms, r.datetime_utc, " TOK ", " RES \
		" FROM responses r LEFT JOIN conversations c ON c.id = r.conversation_id" \
		" ORDER BY coalesce(r.conversation_id, r.id), r.datetime_utc, r.rowid"
		{LLM_SQL("NULL, NULL", "NULL"), LLM_SQL("NULL, NULL", "r.resolved_model")},
		{LLM_SQL("r.input_tokens, r.output_tokens", "NULL"),
		 LLM_SQL("r.input_tokens, r.output_tokens", "r.resolved_model")},
#undef LLM_SQL
	};
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql[tok][res], -1, &s, NULL) != SQLITE_OK)
		imp_bad(r, "cannot read responses: %s", sqlite3_errmsg(db));
	r->stmt = s;
	jv sess = jv_invalid(), msgs = jv_invalid(), group = jv_null();
	int64_t lastms = 0;
	char swhere[sizeof r->where] = "", sid[37] = "";
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		jv rid = col_str(s, 0), conv = col_str(s, 1);
		if (jv_get_kind(rid) != JV_KIND_STRING)
			imp_bad(r, "a response has no id");
		snprintf(r->where, sizeof r->where, "response %.60s", jv_string_value(rid));
		jv key = jv_get_kind(conv) == JV_KIND_STRING ? jv_copy(conv) :
		         jv_string_fmt("response:%s", jv_string_value(rid));
		const char *when = (const char *)sqlite3_column_text(s, 9);
		int64_t ms;
		if (!when)
			imp_bad(r, "datetime_utc is missing");
		ms = imp_parse_time(r, "", "datetime_utc", when);
		jv dur = col_num(r, s, 8, "duration_ms");
		jv in = col_num(r, s, 10, "input_tokens"), out = col_num(r, s, 11, "output_tokens");
		int kin = jv_get_kind(in) == JV_KIND_NUMBER;
		int kout = jv_get_kind(out) == JV_KIND_NUMBER;
		/* as chat-send counts a reply: what went in and came out */
		jv tokens = !kin && !kout ? jv_null() :
		            imp_check_num(r, jv_number((kin ? jv_number_value(in) : 0) +
		                                       (kout ? jv_number_value(out) : 0)),
		                      "input_tokens and output_tokens", 0, COUNT_MAX, 1);
		if (!jv_equal(jv_copy(key), jv_copy(group))) {
			llm_flush(r, &sess, &msgs, swhere);
			jv_free(group);
			group = jv_copy(key);
			imp_uuid5(sid, "llm", jv_string_value(key), NULL);
			jv model = col_str(s, 3);
			if (jv_get_kind(model) != JV_KIND_STRING) {
				jv_free(model);
				model = col_str(s, 4);
			}
			sess = imp_new_session(jv_string(sid), col_str(s, 2), ms, ms, NULL,
			                       model, jv_null());
			msgs = jv_array();
			lastms = ms;
		}
		if (jv_get_kind(conv) == JV_KIND_STRING)
			snprintf(r->where, sizeof r->where, "conversation %.60s", jv_string_value(conv));
		snprintf(swhere, sizeof swhere, "%s", r->where);
		/* the first system prompt is the session's */
		jv system = col_str(s, 6);
		jv settings = jv_object_get(jv_copy(sess), jv_string("settings"));
		if (jv_get_kind(system) == JV_KIND_STRING && !imp_blank(system) &&
		    !cf_jstr_or_null(settings, "systemPrompt")) {
			settings = imp_set(settings, "systemPrompt", jv_copy(system));
			sess = imp_set(sess, "settings", jv_copy(settings));
		}
		jv_free(settings);
		jv_free(system);

		char mid[37];
		jv prompt = col_str(s, 5);
		if (jv_get_kind(prompt) == JV_KIND_STRING && !imp_blank(prompt)) {
			imp_uuid5(mid, sid, jv_string_value(rid), "prompt");
			jv meta = jv_object();
			meta = imp_set(meta, "tokens", jv_null());
			meta = imp_set(meta, "model", jv_null());
			meta = imp_set(meta, "processing_time", jv_null());
			jv m = imp_new_message("user", prompt, ms, meta);
			msgs = jv_array_append(msgs, imp_set(m, "id", jv_string(mid)));
		} else {
			jv_free(prompt);
		}
		jv reply = col_str(s, 7);
		int64_t done = ms;
		if (jv_get_kind(dur) == JV_KIND_NUMBER && jv_number_value(dur) > 0)
			done += (int64_t)jv_number_value(dur);
		if (done > TIME_MAX_MS)
			imp_bad(r, "datetime_utc plus duration_ms is past the year 9999");
		if (jv_get_kind(reply) == JV_KIND_STRING && !imp_blank(reply)) {
			imp_uuid5(mid, sid, jv_string_value(rid), "response");
			jv model = col_str(s, 12);
			if (jv_get_kind(model) != JV_KIND_STRING) {
				jv_free(model);
				model = col_str(s, 4);
			}
			jv meta = jv_object();
			meta = imp_set(meta, "tokens", tokens);
			meta = imp_set(meta, "model", model);
			meta = imp_set(meta, "processing_time", jv_copy(dur));
			if (tok) {
				meta = imp_set(meta, "inputTokens", in);
				meta = imp_set(meta, "outputTokens", out);
			} else {
				jv_free(in);
				jv_free(out);
			}
			jv m = imp_new_message("assistant", reply, done, meta);
			msgs = jv_array_append(msgs, imp_set(m, "id", jv_string(mid)));
		} else {
			jv_free(reply);
			jv_free(tokens);
			jv_free(in);
			jv_free(out);
		}
		jv_free(dur);
		if (done > lastms) {
			lastms = done;
			sess = imp_set(sess, "lastUpdated", cf_time_jv(lastms));
		}
		jv_free(rid);
		jv_free(conv);
		jv_free(key);
	}
	if (rc != SQLITE_DONE)
		imp_bad(r, "cannot read responses: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	r->stmt = NULL;
	llm_flush(r, &sess, &msgs, swhere);
	jv_free(group);
	r->where[0] = '\0';
}

static void
read_llm(struct rd *r, const char *path, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	int rc;
	if (path) {
		rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	} else {
		/* stdin: the bytes as a read-only database in memory.  A WAL
		 * file's header says so (bytes 18 and 19); SQLite would look for
		 * the -wal file it cannot have. */
		if (len >= 20 && buf[18] == 2)
			buf[18] = buf[19] = 1;
		rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_deserialize(db, "main", (unsigned char *)buf,
			                         (sqlite3_int64)len, (sqlite3_int64)len,
			                         SQLITE_DESERIALIZE_READONLY);
	}
	r->db = db;   /* sqlite3_open_v2 makes one even when it fails */
	if (rc != SQLITE_OK)
		imp_bad(r, "cannot open the database: %s", db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 5000);
	llm_read(r, db);
	sqlite3_close(db);
	r->db = NULL;
}

static const char sqlite_magic[16] = "SQLite format 3";   /* and its NUL */

static int
is_sqlite(const char *buf, size_t len)
{
	return len >= sizeof sqlite_magic && !memcmp(buf, sqlite_magic, sizeof sqlite_magic);
}

const struct cf_importer imp_llm = {
	.format = CF_IMPORT_LLM, .name = "llm", .noun = "item",
	.sniff = is_sqlite, .file = read_llm,
	.misnamed = "an SQLite database, not JSON (an llm logs.db is --format llm)",
	.unsniffed = "not an SQLite database, so not an llm logs.db",
};
