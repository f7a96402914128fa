/* session.c — sessions: rows to records and back, listing with filters. */
#include <stdlib.h>
#include <string.h>

#include "priv.h"
#include "search_sql.h"

#define SESSION_COLS \
	"s.id, s.name, s.created, s.last_updated, s.provider, s.model," \
	" s.temperature, s.max_tokens, s.system_prompt, s.auto_context," \
	" s.context_window, s.message_count, s.total_tokens, s.tags," \
	" s.starred, s.archived, s.parent_session_id, s.branch_point, s.extra," \
	SESSION_REACTIONS ", s.send_history"
#define SESSION_NCOLS 21
/* Its messages' reactions, each with its messageId, by the partial index
 * messages_reacted (store.c): a probe that finds nothing for most. */
#define SESSION_REACTIONS \
	" (SELECT json_group_array(json_set(r.value, '$.messageId', m.id))" \
	"  FROM messages m, json_each(m.reactions) r" \
	"  WHERE m.session_id = s.id AND m.reactions <> '[]' AND r.type = 'object')"

static jv
col_num(cf_sql_stmt *s, int i)
{
	switch (cf_sql_column_type(s, i)) {
	case CF_SQL_NULL:
		return jv_null();
	case CF_SQL_INTEGER:
		return jv_number((double)cf_sql_column_int64(s, i));
	default:
		return jv_number(cf_sql_column_double(s, i));
	}
}

static jv
row_to_session(cf_sql_stmt *s)
{
	jv settings = jv_object();
	settings = jv_object_set(settings, jv_string("temperature"), col_num(s, 6));
	settings = jv_object_set(settings, jv_string("maxTokens"), col_num(s, 7));
	settings = jv_object_set(settings, jv_string("systemPrompt"), cf_col_text(s, 8));
	settings = jv_object_set(settings, jv_string("autoContext"),
	                         jv_bool(cf_sql_column_int(s, 9)));
	settings = jv_object_set(settings, jv_string("contextWindow"), col_num(s, 10));
	settings = jv_object_set(settings, jv_string("sendHistory"),
	                         jv_bool(cf_sql_column_int(s, 20)));

	jv meta = jv_object();
	meta = jv_object_set(meta, jv_string("messageCount"), col_num(s, 11));
	meta = jv_object_set(meta, jv_string("totalTokens"), col_num(s, 12));
	jv tags = cf_col_json(s, 13);
	if (jv_get_kind(tags) != JV_KIND_ARRAY) {
		jv_free(tags);
		tags = jv_array();
	}
	meta = jv_object_set(meta, jv_string("tags"), tags);
	meta = jv_object_set(meta, jv_string("starred"), jv_bool(cf_sql_column_int(s, 14)));
	meta = jv_object_set(meta, jv_string("archived"), jv_bool(cf_sql_column_int(s, 15)));
	jv extra = cf_col_json(s, 18);
	if (jv_get_kind(extra) == JV_KIND_OBJECT) {
		jv_object_foreach(extra, k, v)
			meta = jv_object_set(meta, k, v);
	}
	jv_free(extra);
	/* after extra: the messages' reactions are read, never stored here */
	jv reactions = cf_col_json(s, 19);
	if (jv_get_kind(reactions) != JV_KIND_ARRAY) {
		jv_free(reactions);
		reactions = jv_array();
	}
	meta = jv_object_set(meta, jv_string("reactions"), reactions);

	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("session"));
	r = jv_object_set(r, jv_string("id"), cf_col_text(s, 0));
	r = jv_object_set(r, jv_string("name"), cf_col_text(s, 1));
	r = jv_object_set(r, jv_string("created"), cf_time_jv(cf_sql_column_int64(s, 2)));
	r = jv_object_set(r, jv_string("lastUpdated"), cf_time_jv(cf_sql_column_int64(s, 3)));
	r = jv_object_set(r, jv_string("provider"), cf_col_text(s, 4));
	r = jv_object_set(r, jv_string("model"), cf_col_text(s, 5));
	r = jv_object_set(r, jv_string("settings"), settings);
	r = jv_object_set(r, jv_string("metadata"), meta);
	r = jv_object_set(r, jv_string("parentSessionId"), cf_col_text(s, 16));
	r = jv_object_set(r, jv_string("branchPoint"), cf_col_text(s, 17));
	return r;
}

jv
cf_session_get(cf_store *st, const char *id)
{
	static const char sql[] =
		"SELECT " SESSION_COLS " FROM sessions s WHERE s.id = ?";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	/* Reset at once: a statement left on its row keeps a read snapshot
	 * open, and a later BEGIN IMMEDIATE then fails with CF_SQL_BUSY
	 * (no busy wait) as soon as another program has written. */
	if (rc == CF_SQL_ROW) {
		jv r = row_to_session(s);
		cf_sql_reset(s);
		return r;
	}
	if (rc != CF_SQL_DONE) {
		jv e = cf_store_error(st, "reading a session");
		cf_sql_reset(s);
		return e;
	}
	return jv_invalid();
}

/* A time field of a record into *ms: absent or null gives dflt; anything
 * but an RFC 3339 string is malformed input (the error, else jv_true()). */
static jv
rec_time(jv rec, const char *key, int64_t dflt, int64_t *ms)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(key));
	jv r = jv_true();
	*ms = dflt;
	if (jv_get_kind(v) == JV_KIND_STRING) {
		if (cf_time_parse(jv_string_value(v), ms) != 0)
			r = cf_error(CF_EX_DATA, "invalid time '%s' in %s",
			             jv_string_value(v), key);
	} else if (jv_get_kind(v) != JV_KIND_NULL &&
	           jv_get_kind(v) != JV_KIND_INVALID) {
		r = cf_error(CF_EX_DATA, "%s is not a time", key);
	}
	jv_free(v);
	return r;
}

/* rec.a.b, consumed by nothing: returns a new reference. */
static jv
get2(jv rec, const char *a, const char *b)
{
	jv o = jv_object_get(jv_copy(rec), jv_string(a));
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return jv_null();
	}
	jv v = jv_object_get(o, jv_string(b));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

static jv
get1(jv rec, const char *a)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(a));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

static void
bind_settings(cf_sql_stmt *s, int i, jv rec)
{
	cf_bind_jv(s, i, get2(rec, "settings", "temperature"));
	cf_bind_jv(s, i + 1, get2(rec, "settings", "maxTokens"));
	cf_bind_jv(s, i + 2, get2(rec, "settings", "systemPrompt"));
	jv ac = get2(rec, "settings", "autoContext");
	cf_sql_bind_int(s, i + 3, jv_get_kind(ac) == JV_KIND_TRUE);
	jv_free(ac);
	cf_bind_jv(s, i + 4, get2(rec, "settings", "contextWindow"));
	jv tags = get2(rec, "metadata", "tags");
	if (jv_get_kind(tags) != JV_KIND_ARRAY) {
		jv_free(tags);
		tags = jv_array();
	}
	cf_bind_jv(s, i + 5, tags);
	jv b = get2(rec, "metadata", "starred");
	cf_sql_bind_int(s, i + 6, jv_get_kind(b) == JV_KIND_TRUE);
	jv_free(b);
	b = get2(rec, "metadata", "archived");
	cf_sql_bind_int(s, i + 7, jv_get_kind(b) == JV_KIND_TRUE);
	jv_free(b);
}

/* settings.sendHistory, bound last so the other columns keep their places */
static void
bind_send_history(cf_sql_stmt *s, int i, jv rec)
{
	jv b = get2(rec, "settings", "sendHistory");
	cf_sql_bind_int(s, i, jv_get_kind(b) == JV_KIND_TRUE);
	jv_free(b);
}

/* The keys of a session's metadata that have no column of their own (the
 * counts are the triggers', not the record's), for sessions.extra. */
static jv
session_extra(jv rec)
{
	static const char *const cols[] = {"messageCount", "totalTokens", "tags",
	                                   "starred", "archived", "reactions"};
	jv meta = get1(rec, "metadata"), extra = jv_object();
	if (jv_get_kind(meta) == JV_KIND_OBJECT) {
		jv_object_foreach(meta, k, v) {
			size_t i = 0;
			while (i < sizeof cols / sizeof *cols &&
			       strcmp(jv_string_value(k), cols[i]))
				i++;
			if (i == sizeof cols / sizeof *cols) {
				extra = jv_object_set(extra, k, v);
			} else {
				jv_free(k);
				jv_free(v);
			}
		}
	}
	jv_free(meta);
	return extra;
}

jv
cf_session_insert(cf_store *st, jv rec)
{
	static const char sql[] =
		"INSERT INTO sessions (id, name, created, last_updated, provider,"
		" model, temperature, max_tokens, system_prompt, auto_context,"
		" context_window, tags, starred, archived, parent_session_id,"
		" branch_point, extra, send_history)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	char id[37];
	const char *rid = cf_jstr_or_null(rec, "id");
	if (rid)
		snprintf(id, sizeof id, "%s", rid);
	else
		cf_uuid7(id);
	int64_t created, updated;
	jv r = rec_time(rec, "created", cf_now_ms(), &created);
	if (!cf_is_error(r))
		r = rec_time(rec, "lastUpdated", created, &updated);
	if (cf_is_error(r)) {
		jv_free(rec);
		return r;
	}
	const char *name = cf_jstr_or_null(rec, "name");

	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	cf_bind_text(s, 2, name ? name : "untitled");
	cf_sql_bind_int64(s, 3, created);
	cf_sql_bind_int64(s, 4, updated);
	cf_bind_jv(s, 5, get1(rec, "provider"));
	cf_bind_jv(s, 6, get1(rec, "model"));
	bind_settings(s, 7, rec);
	cf_bind_jv(s, 15, get1(rec, "parentSessionId"));
	cf_bind_jv(s, 16, get1(rec, "branchPoint"));
	cf_bind_jv(s, 17, session_extra(rec));
	bind_send_history(s, 18, rec);
	r = cf_exec_stmt(st, s, "creating a session");
	jv_free(rec);
	if (cf_is_error(r))
		return r;
	return cf_session_get(st, id);
}

jv
cf_session_update(cf_store *st, jv rec)
{
	static const char sql[] =
		"UPDATE sessions SET name = ?, provider = ?, model = ?,"
		" temperature = ?, max_tokens = ?, system_prompt = ?,"
		" auto_context = ?, context_window = ?, tags = ?, starred = ?,"
		" archived = ?, last_updated = max(last_updated, ?),"
		" send_history = ? WHERE id = ?";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_jv(s, 1, get1(rec, "name"));
	cf_bind_jv(s, 2, get1(rec, "provider"));
	cf_bind_jv(s, 3, get1(rec, "model"));
	bind_settings(s, 4, rec);
	cf_sql_bind_int64(s, 12, cf_now_ms());
	bind_send_history(s, 13, rec);
	cf_bind_text(s, 14, cf_jstr(rec, "id"));
	jv r = cf_exec_stmt(st, s, "updating a session");
	jv_free(rec);
	return r;
}

jv
cf_session_delete(cf_store *st, const char *id)
{
	static const char sql[] = "DELETE FROM sessions WHERE id = ?";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	jv r = cf_exec_stmt(st, s, "deleting a session");
	if (!jv_is_valid(r) || cf_sql_kind(st->db) != CF_SQL_PG ||
	    cf_sql_changes(st->db))
		return r;
	/* PostgreSQL's policy lets only the owner delete a session (schema 3)
	 * and hides the row from a sharee's DELETE instead of failing: a
	 * session still there was not the deleter's. */
	s = cf_prepare(st, "SELECT owner FROM sessions WHERE id = ?1");
	cf_bind_text(s, 1, id);
	if (cf_sql_step(s) == CF_SQL_ROW) {
		jv_free(r);
		r = cf_error(CF_EX_STORE, "%s: session '%s' is %s's: only its owner "
		             "may delete it", st->path, id,
		             (const char *)cf_sql_column_text(s, 0));
	}
	cf_sql_finalize(s);
	return r;
}

static size_t
common(const char *a, const char *b)
{
	size_t i = 0;
	while (a[i] && a[i] == b[i])
		i++;
	return i;
}

void
cf_session_short_id(cf_store *st, const char *id, int min, char out[37])
{
	static const char before[] =
		"SELECT id FROM sessions WHERE id < ? ORDER BY id DESC LIMIT 1";
	static const char after[] =
		"SELECT id FROM sessions WHERE id > ? ORDER BY id LIMIT 1";
	const char *q[] = {before, after};
	size_t need = (size_t)min;
	for (int k = 0; k < 2; k++) {
		cf_sql_stmt *s = cf_stmt(st, q[k]);
		cf_bind_text(s, 1, id);
		if (cf_sql_step(s) == CF_SQL_ROW) {
			size_t c = common(id, (const char *)cf_sql_column_text(s, 0)) + 1;
			if (c > need)
				need = c;
		}
		cf_sql_reset(s);
	}
	/* never end on the dash: it would read as a typo */
	if (need < 36 && id[need - 1] == '-')
		need++;
	snprintf(out, 37, "%.*s", (int)need, id);
}

struct sqlbuf {
	char *s;
	size_t len, cap;
};

static void
sb_add(struct sqlbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = cf_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* The snippets of a batch of matching rows of one FTS table (rowids
 * key[0..n), 0 for none, the others distinct), in one pass over the
 * matches.  FTS5 answers "MATCH ? AND rowid = ?" by reading the term's
 * whole doclist, so a query per result row costs O(matches) each time; the
 * unary + keeps the rowid test out of FTS5's hands, and cf_snippet
 * (search.c) runs only for the rows asked for. */
struct want {
	int64_t key;
	int i;
};

static int
want_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct want *)a)->key;
	int64_t y = ((const struct want *)b)->key;
	return (x > y) - (x < y);
}

/* each backend's, by cf_sql_kind: search_sql.h */
static const char *const message_snippets[] = {
	[CF_SQL_SQLITE] = CF_SEARCH_MESSAGE_SNIPPETS_FTS5,
	[CF_SQL_PG] = CF_SEARCH_MESSAGE_SNIPPETS_PG,
};
/* a session whose name matched: its name with the words highlighted */
static const char *const name_snippets[] = {
	[CF_SQL_SQLITE] = CF_SEARCH_NAME_SNIPPETS_FTS5,
	[CF_SQL_PG] = CF_SEARCH_NAME_SNIPPETS_PG,
};

/* A row of CF_PG_HEADLINE's (search_sql.h): n, t, m, the headline, cut. */
static jv
pg_snippet(cf_sql_stmt *s, const char *open, const char *close, const char *ell)
{
	const char *t = (const char *)cf_sql_column_text(s, 1);
	const char *m = (const char *)cf_sql_column_text(s, 2);
	const char *h = (const char *)cf_sql_column_text(s, 3);
	if (!t || !m || !h)
		return jv_null();
	return cf_pg_headline(t, m, h, cf_sql_column_int(s, 4), open, close, ell);
}

static jv
snippets(cf_store *st, const char *sql, const char *q, const char *open,
         const char *close, const char *ell, const int64_t *key, int n,
         jv *out)
{
	int pg = cf_sql_kind(st->db) == CF_SQL_PG;
	jv r = jv_true();
	struct want *w = cf_xmalloc(sizeof *w * (size_t)n);
	char *ids = cf_xmalloc((size_t)n * 21 + 3), *p = ids;
	int k = 0;
	*p++ = '[';
	for (int i = 0; i < n; i++) {
		if (!key[i])
			continue;
		w[k].key = key[i];
		w[k].i = i;
		p += sprintf(p, "%s%lld", k ? "," : "", (long long)key[i]);
		k++;
	}
	*p++ = ']';
	*p = '\0';
	if (k) {
		qsort(w, (size_t)k, sizeof *w, want_cmp);
		cf_sql_stmt *s = cf_stmt(st, sql);
		cf_bind_text(s, 1, q);
		if (pg) {   /* the marks are put on in C (cf_pg_headline) */
			cf_bind_text(s, 2, ids);
		} else {
			cf_bind_text(s, 2, open);
			cf_bind_text(s, 3, close);
			cf_bind_text(s, 4, ids);
		}
		int rc, j = 0;
		/* rows come in rowid order (FTS5's, the PostgreSQL
		 * statement's ORDER BY): walk w alongside */
		while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
			int64_t r = cf_sql_column_int64(s, 0);
			while (j < k && w[j].key < r)
				j++;
			if (j < k && w[j].key == r)
				out[w[j].i] = pg ? pg_snippet(s, open, close, ell) : cf_col_text(s, 1);
		}
		if (rc != CF_SQL_DONE)
			r = cf_store_error(st, "reading snippets");
		cf_sql_reset(s);
	}
	free(w);
	free(ids);
	return r;
}

jv
cf_session_list(cf_store *st, const struct cf_filter *f,
                int (*fn)(jv rec, void *ctx), void *ctx)
{
	struct sqlbuf b = {0};
	char *q = NULL;
	int np = 0;
	const char *params[64];
	int64_t times[2] = {0, 0};
	int has_since = 0, has_until = 0, has_after = 0, has_limit = 0;
	int pg = cf_sql_kind(st->db) == CF_SQL_PG;

	if (f->search) {
		const char *why;
		q = cf_search_query_for(st, f->search, &why);
		if (!q)
			return cf_usage_error("invalid --search '%s': %s", f->search, why);
		if (!*q) {
			free(q);
			return jv_true();
		}
		/* Drive from the matches, newest matching message per session,
		 * then the few filters below on that small set. */
		sb_add(&b, "SELECT " SESSION_COLS ", h.mn, s.n, h.mid");
		sb_add(&b, pg ? CF_SEARCH_SESSIONS_PG : CF_SEARCH_SESSIONS_FTS5);
		sb_add(&b, " WHERE 1 = 1");
		params[np++] = q;
		jv r = pg ? jv_true() : cf_search_fns(st);
		if (cf_is_error(r)) {
			free(b.s);
			free(q);
			return r;
		}
	} else {
		sb_add(&b, "SELECT " SESSION_COLS ", NULL, s.n FROM sessions s WHERE 1 = 1");
	}
	if (f->archived == 0)
		sb_add(&b, " AND s.archived = 0");
	else if (f->archived == 1)
		sb_add(&b, " AND s.archived = 1");
	if (f->starred)
		sb_add(&b, " AND s.starred = 1");
	if (f->provider) {
		sb_add(&b, " AND s.provider = ?");
		params[np++] = f->provider;
	}
	if (f->model) {
		sb_add(&b, " AND s.model = ?");
		params[np++] = f->model;
	}
	if (f->parent) {
		sb_add(&b, " AND s.parent_session_id = ?");
		params[np++] = f->parent;
	}
	/* its messages, not its marks: a reaction or a note on a session is
	 * no part in its conversation (edits are kept with their editor, and
	 * --where finds reactions by user) */
	if (f->author) {
		sb_add(&b, " AND EXISTS (SELECT 1 FROM messages ma"
		           " WHERE ma.author = ? AND ma.session_id = s.id)");
		params[np++] = f->author;
	}
	for (int i = 0; f->tags && f->tags[i] && np < 60; i++) {
		sb_add(&b, " AND EXISTS (SELECT 1 FROM json_each(s.tags)"
		           " WHERE value = ?)");
		params[np++] = f->tags[i];
	}
	if (f->since) {
		sb_add(&b, " AND s.last_updated >= ?");
		times[0] = f->since;
		has_since = ++np;
	}
	if (f->until) {
		sb_add(&b, " AND s.last_updated <= ?");
		times[1] = f->until;
		has_until = ++np;
	}
	if (f->after_n > 0) {
		/* a row value: SQLite walks the index from there */
		sb_add(&b, " AND (s.last_updated, s.n) < (?, ?)");
		has_after = ++np;
		np++;
	}
	sb_add(&b, " ORDER BY s.last_updated DESC, s.n DESC");
	/* SQLite makes rows as they are stepped, PostgreSQL all of them at
	 * the first step: 20 of 100,000 sessions took 1.1 s there without */
	if (f->limit > 0) {
		sb_add(&b, " LIMIT ?");
		has_limit = ++np;
	}

	cf_sql_stmt *s = cf_prepare(st, b.s);
	free(b.s);
	for (int i = 0; i < np; i++) {
		if (i + 1 == has_since)
			cf_sql_bind_int64(s, i + 1, times[0]);
		else if (i + 1 == has_until)
			cf_sql_bind_int64(s, i + 1, times[1]);
		else if (i + 1 == has_after)
			cf_sql_bind_int64(s, i + 1, f->after_updated);
		else if (i == has_after && has_after)
			cf_sql_bind_int64(s, i + 1, f->after_n);
		else if (i + 1 == has_limit)
			cf_sql_bind_int64(s, i + 1, f->limit);
		else
			cf_bind_text(s, i + 1, params[i]);
	}
	/* With a search, rows come in batches (32, 64, ... 4096) so that the
	 * snippets of a batch take one pass over the matches, and a --limit
	 * of a few rows costs one small batch. */
	const char *open = f->color ? CF_BOLD CF_YELLOW : "**";
	const char *close = f->color ? CF_RESET : "**";
	int cap = q ? 32 : 1, rc = CF_SQL_ROW, stop = 0;
	jv err = jv_true();
	jv *recs = cf_xmalloc(sizeof *recs * 4096);
	jv *mid = cf_xmalloc(sizeof *mid * 4096);
	jv *snip = cf_xmalloc(sizeof *snip * 4096);
	int64_t *mn = cf_xmalloc(sizeof *mn * 4096);
	int64_t *sn = cf_xmalloc(sizeof *sn * 4096);
	int64_t (*key)[2] = f->key ? cf_xmalloc(sizeof *key * 4096) : NULL;
	while (!stop && rc == CF_SQL_ROW) {
		int n = 0;
		while (n < cap && (rc = cf_sql_step(s)) == CF_SQL_ROW) {
			recs[n] = row_to_session(s);
			if (key) {
				key[n][0] = cf_sql_column_int64(s, 3);
				key[n][1] = cf_sql_column_int64(s, SESSION_NCOLS + 1);
			}
			if (q) {
				mn[n] = cf_sql_column_int64(s, SESSION_NCOLS);
				mid[n] = cf_col_text(s, SESSION_NCOLS + 2);
				sn[n] = mn[n] ? 0 : cf_sql_column_int64(s, SESSION_NCOLS + 1);
				snip[n] = jv_null();
			}
			n++;
		}
		if (q && n) {
			int k = pg ? CF_SQL_PG : CF_SQL_SQLITE;
			err = snippets(st, message_snippets[k], q, open, close, "…", mn, n, snip);
			if (!cf_is_error(err))
				err = snippets(st, name_snippets[k], q, open, close, "", sn, n, snip);
			stop = cf_is_error(err);   /* the batch is freed, not passed on */
		}
		for (int i = 0; i < n; i++) {
			jv rec = recs[i];
			if (q) {
				jv m = jv_object();
				m = jv_object_set(m, jv_string("messageId"), mid[i]);
				m = jv_object_set(m, jv_string("snippet"), snip[i]);
				rec = jv_object_set(rec, jv_string("match"), m);
			}
			if (stop) {
				jv_free(rec);
				continue;
			}
			if (key) {
				f->key[0] = key[i][0];
				f->key[1] = key[i][1];
			}
			stop = fn(rec, ctx);
		}
		if (cap < 4096)
			cap *= 2;
	}
	free(recs);
	free(mid);
	free(snip);
	free(mn);
	free(sn);
	free(key);
	/* cf_search_query_for writes only what FTS5 reads; should it ever
	 * not, the search is named, not only SQLite's words */
	if (cf_is_error(err)) {
		/* the snippets' error */
	} else if (q && rc == CF_SQL_ERROR &&
	         !strncmp(cf_sql_errmsg(cf_store_db(st)), "fts5:", 5))
		err = cf_usage_error("invalid --search '%s': %s", f->search,
		                     cf_sql_errmsg(cf_store_db(st)));
	else if (rc != CF_SQL_ROW && rc != CF_SQL_DONE)
		err = cf_store_error(st, "listing sessions");
	cf_sql_finalize(s);
	free(q);
	return err;
}
