/* activity.c — the activity log: events from the shell, files and any
 * program (chat-activity), kept in the store for conversations to refer
 * to; and the queue that holds them while the store is busy. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"
#include "search_sql.h"

#define DAY_MS 86400000LL
#define DEFAULT_DAYS 30

const char *const cf_activity_kinds[] = {
	"error", "command", "file", "test", "note", "escalation", NULL,
};

int
cf_activity_kind_ok(const char *kind)
{
	for (int i = 0; kind && cf_activity_kinds[i]; i++)
		if (!strcmp(kind, cf_activity_kinds[i]))
			return 1;
	return 0;
}

static jv
bad(jv ev, const char *fmt, const char *arg)
{
	jv_free(ev);
	char kinds[128] = "";
	if (!arg) {
		for (int i = 0; cf_activity_kinds[i]; i++)
			snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds),
			         "%s%s", i ? ", " : "", cf_activity_kinds[i]);
		arg = kinds;
	}
	return cf_error(CF_EX_DATA, fmt, arg);
}

/* A field, null when it is missing. */
static jv
field(jv ev, const char *key)
{
	jv v = jv_object_get(jv_copy(ev), jv_string(key));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

static int
has_nul(jv s)
{
	return (size_t)jv_string_length_bytes(jv_copy(s)) != strlen(jv_string_value(s));
}

jv
cf_activity_check(jv ev)
{
	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return bad(ev, "malformed event: %s", "not a JSON object");
	/* the fields an event may have, so a misspelt one is not lost */
	jv keys = jv_keys(jv_copy(ev));
	jv_array_foreach(keys, i, k) {
		const char *s = jv_string_value(k);
		if (strcmp(s, "type") && strcmp(s, "id") && strcmp(s, "at") &&
		    strcmp(s, "kind") && strcmp(s, "source") && strcmp(s, "text") &&
		    strcmp(s, "data")) {
			jv e = cf_error(CF_EX_DATA, "malformed event: unknown field '%s' "
			                "(an event has kind, source, text, at, data)", s);
			jv_free(k);
			jv_free(keys);
			jv_free(ev);
			return e;
		}
		jv_free(k);
	}
	jv_free(keys);
	jv t = field(ev, "type");
	int type_ok = jv_get_kind(t) == JV_KIND_NULL ||
	              (jv_get_kind(t) == JV_KIND_STRING &&
	               !strcmp(jv_string_value(t), "activity"));
	jv_free(t);
	if (!type_ok)
		return bad(ev, "malformed event: %s", "its type is not \"activity\"");
	jv kind = field(ev, "kind");
	if (jv_get_kind(kind) != JV_KIND_STRING) {
		jv_free(kind);
		return bad(ev, "malformed event: no kind (one of %s)", NULL);
	}
	if (!cf_activity_kind_ok(jv_string_value(kind))) {
		jv_free(kind);
		return bad(ev, "malformed event: unknown kind (one of %s)", NULL);
	}
	jv text = field(ev, "text");
	if (jv_get_kind(text) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(text))) {
		jv_free(kind);
		jv_free(text);
		return bad(ev, "malformed event: %s", "no text (a string)");
	}
	jv source = field(ev, "source");
	if (jv_get_kind(source) == JV_KIND_NULL) {
		jv_free(source);
		source = jv_string("");
	} else if (jv_get_kind(source) != JV_KIND_STRING) {
		jv_free(kind);
		jv_free(text);
		jv_free(source);
		return bad(ev, "malformed event: %s", "its source is not a string");
	}
	/* the columns are bound as C strings: a NUL would cut the text short
	 * without a word */
	if (has_nul(text) || has_nul(source)) {
		jv_free(kind);
		jv_free(text);
		jv_free(source);
		return bad(ev, "malformed event: %s", "a NUL in its text or source");
	}
	jv data = field(ev, "data");
	if (jv_get_kind(data) == JV_KIND_NULL) {
		jv_free(data);
		data = jv_object();
	} else if (jv_get_kind(data) != JV_KIND_OBJECT) {
		jv_free(kind);
		jv_free(text);
		jv_free(source);
		jv_free(data);
		return bad(ev, "malformed event: %s", "its data is not an object");
	}
	int64_t at = 0;
	jv a = field(ev, "at");
	int at_ok = 1;
	if (jv_get_kind(a) == JV_KIND_NULL)
		at = cf_now_ms();
	else if (jv_get_kind(a) == JV_KIND_NUMBER &&
	         jv_number_value(a) >= 0 && jv_number_value(a) < 1e15)
		at = (int64_t)jv_number_value(a);
	else if (jv_get_kind(a) != JV_KIND_STRING ||
	         cf_time_parse(jv_string_value(a), &at) != 0)
		at_ok = 0;
	jv_free(a);
	char idbuf[37];
	jv id = field(ev, "id");
	int id_ok = 1;
	if (jv_get_kind(id) == JV_KIND_NULL) {
		jv_free(id);
		cf_uuid7(idbuf);
		id = jv_string(idbuf);
	} else if (jv_get_kind(id) != JV_KIND_STRING ||
	           jv_string_length_bytes(jv_copy(id)) != 36) {
		id_ok = 0;
	}
	if (!at_ok || !id_ok) {
		jv_free(kind);
		jv_free(text);
		jv_free(source);
		jv_free(data);
		jv_free(id);
		return bad(ev, "malformed event: %s", !at_ok ?
		           "its at is neither RFC 3339 nor milliseconds" :
		           "its id is not a UUID");
	}
	jv_free(ev);
	jv r = jv_object();
	r = jv_object_set(r, jv_string("id"), id);
	r = jv_object_set(r, jv_string("at"), jv_number((double)at));
	r = jv_object_set(r, jv_string("kind"), kind);
	r = jv_object_set(r, jv_string("source"), source);
	r = jv_object_set(r, jv_string("text"), text);
	r = jv_object_set(r, jv_string("data"), data);
	return r;
}

/* A checked event into the caller's transaction.  DO NOTHING: a queued
 * batch stored twice (two drains at once, or one killed between its
 * commit and the unlink) is stored once. */
static jv
insert(cf_store *st, jv ev)
{
	static const char sql[] =
		"INSERT INTO activity (id, at, kind, source, text, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, cf_jstr(ev, "id"));
	cf_sql_bind_int64(s, 2, (int64_t)cf_jnum(ev, "at", 0));
	cf_bind_text(s, 3, cf_jstr(ev, "kind"));
	cf_bind_text(s, 4, cf_jstr(ev, "source"));
	cf_bind_text(s, 5, cf_jstr(ev, "text"));
	cf_bind_jv(s, 6, jv_object_get(jv_copy(ev), jv_string("data")));
	jv_free(ev);
	return cf_exec_stmt(st, s, "adding an event");
}

static long
keep_days(jv *err)
{
	long days = DEFAULT_DAYS;
	jv r = cf_config_load();
	if (cf_is_error(r)) {
		*err = r;
		return -1;
	}
	jv_free(r);
	const char *v = cf_config_get("activity-days");
	if (v && cf_parse_long(v, 0, 100000, &days)) {
		*err = cf_error(CF_EX_CONFIG, "%s: invalid activity-days '%s' (a "
		                "number of days, 0 to keep every event)",
		                cf_config_path(), v);
		return -1;
	}
	return days;
}

/* In the caller's transaction. */
static jv
prune_before(cf_store *st, int64_t before)
{
	static const char sql[] = "DELETE FROM activity WHERE at < ?1";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_sql_bind_int64(s, 1, before);
	jv r = cf_exec_stmt(st, s, "pruning old events");
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	return jv_number((double)cf_sql_changes(cf_store_db(st)));
}

/* In the caller's transaction: one read of the index's first entry says
 * whether anything is old enough to go. */
static jv
prune_due(cf_store *st)
{
	jv err = jv_invalid();
	long days = keep_days(&err);
	if (days < 0)
		return err;
	if (days == 0)
		return jv_number(0);
	int64_t cutoff = cf_now_ms() - days * DAY_MS;
	static const char sql[] = "SELECT min(at) FROM activity";
	cf_sql_stmt *s = cf_stmt(st, sql);
	int rc = cf_sql_step(s);
	if (rc != CF_SQL_ROW) {
		jv e = cf_store_error(st, "reading the oldest event");
		cf_sql_reset(s);
		return e;
	}
	int old = cf_sql_column_type(s, 0) != CF_SQL_NULL &&
	          cf_sql_column_int64(s, 0) < cutoff;
	cf_sql_reset(s);
	return old ? prune_before(st, cutoff) : jv_number(0);
}

jv
cf_activity_prune_due(cf_store *st)
{
	jv r = cf_store_begin(st);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	jv n = prune_due(st);
	if (!jv_is_valid(n)) {
		cf_store_rollback(st);
		return n;
	}
	r = cf_store_commit(st);
	if (!jv_is_valid(r)) {
		jv_free(n);
		return r;
	}
	jv_free(r);
	return n;
}

jv
cf_activity_prune(cf_store *st, int64_t before_ms)
{
	jv r = cf_store_begin(st);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	jv n = prune_before(st, before_ms);
	if (!jv_is_valid(n)) {
		cf_store_rollback(st);
		return n;
	}
	r = cf_store_commit(st);
	if (!jv_is_valid(r)) {
		jv_free(n);
		return r;
	}
	jv_free(r);
	return n;
}

jv
cf_activity_add_each(cf_store *st, jv (*next)(void *ctx), void *ctx,
                     long wait_ms, long *n, int *busy)
{
	*n = 0;
	if (busy)
		*busy = 0;
	jv r = cf_store_begin_within(st, wait_ms);
	if (!jv_is_valid(r)) {
		if (busy && !cf_store_readonly(st))
			*busy = 1;
		return r;
	}
	jv_free(r);
	long added = 0;
	for (;;) {
		jv ev = next(ctx);
		if (!jv_is_valid(ev)) {
			if (jv_invalid_has_msg(jv_copy(ev))) {
				cf_store_rollback(st);
				return ev;
			}
			jv_free(ev);
			break;
		}
		ev = cf_activity_check(ev);
		if (jv_is_valid(ev))
			ev = insert(st, ev);
		if (!jv_is_valid(ev)) {
			cf_store_rollback(st);
			return ev;
		}
		jv_free(ev);
		/* not one a queued batch already stored */
		added += cf_sql_changes(cf_store_db(st));
	}
	r = prune_due(st);
	if (jv_is_valid(r)) {
		jv_free(r);
		r = cf_store_commit(st);
	} else {
		cf_store_rollback(st);
	}
	if (jv_is_valid(r))
		*n = added;
	return r;
}

struct array_src {
	jv events, ids;
	int i, n;
};

static jv
from_array(void *ctx)
{
	struct array_src *a = ctx;
	if (a->i >= a->n)
		return jv_invalid();
	jv ev = cf_activity_check(jv_array_get(jv_copy(a->events), a->i++));
	if (!jv_is_valid(ev)) {
		jv m = cf_error_message(ev);
		jv e = cf_error(CF_EX_DATA, "event %d: %s", a->i, jv_string_value(m));
		jv_free(m);
		jv_free(ev);
		return e;
	}
	a->ids = jv_array_append(a->ids, jv_object_get(jv_copy(ev), jv_string("id")));
	return ev;
}

jv
cf_activity_add(cf_store *st, jv events)
{
	if (jv_get_kind(events) != JV_KIND_ARRAY) {
		jv_free(events);
		return cf_error(CF_EX_DATA, "events: not an array");
	}
	struct array_src a = {events, jv_array(), 0, jv_array_length(jv_copy(events))};
	long n;
	jv r = cf_activity_add_each(st, from_array, &a, 0, &n, NULL);
	jv_free(events);
	if (!jv_is_valid(r)) {
		jv_free(a.ids);
		return r;
	}
	jv_free(r);
	return a.ids;
}

/* ---- reading ---- */

static jv
record(cf_sql_stmt *s)
{
	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("activity"));
	r = jv_object_set(r, jv_string("id"), cf_col_text(s, 0));
	r = jv_object_set(r, jv_string("at"), cf_time_jv(cf_sql_column_int64(s, 1)));
	r = jv_object_set(r, jv_string("kind"), cf_col_text(s, 2));
	r = jv_object_set(r, jv_string("source"), cf_col_text(s, 3));
	r = jv_object_set(r, jv_string("text"), cf_col_text(s, 4));
	jv d = cf_col_json(s, 5);
	if (jv_get_kind(d) != JV_KIND_OBJECT) {
		jv_free(d);
		d = jv_object();
	}
	return jv_object_set(r, jv_string("data"), d);
}

#define COLS "SELECT id, at, kind, source, text, data FROM activity"
/* PostgreSQL cannot type a parameter only tested for NULL: the cast */
#define WHERE(search) " WHERE at >= ?1 AND (?2 IS NULL OR kind = ?2) AND" search
#define WHERE_PG(search) " WHERE at >= ?1 AND (CAST(?2 AS text) IS NULL OR kind = ?2) AND" search

jv
cf_activity_each(cf_store *st, int64_t since_ms, const char *kind,
                 const char *search, long limit,
                 jv (*fn)(void *ctx, jv rec), void *ctx)
{
	/* each backend's search: search_sql.h */
	static const char *const all[] = {
		[CF_SQL_SQLITE] = COLS WHERE(CF_SEARCH_ACTIVITY_FTS5) " ORDER BY at, n",
		[CF_SQL_PG] = COLS WHERE_PG(CF_SEARCH_ACTIVITY_PG) " ORDER BY at, n",
	};
	/* the newest limit, by the index backwards, then put in order; a
	 * subquery has no rowid on PostgreSQL, so there it keeps n */
	static const char *const last[] = {
		[CF_SQL_SQLITE] = "SELECT * FROM (" COLS WHERE(CF_SEARCH_ACTIVITY_FTS5)
			" ORDER BY at DESC, n DESC LIMIT ?4) ORDER BY at, rowid",
		[CF_SQL_PG] = "SELECT * FROM (SELECT id, at, kind, source, text, data, n"
			" FROM activity" WHERE_PG(CF_SEARCH_ACTIVITY_PG)
			" ORDER BY at DESC, n DESC LIMIT ?4) t ORDER BY at, n",
	};
	int k = cf_sql_kind(cf_store_db(st)) == CF_SQL_PG ? CF_SQL_PG : CF_SQL_SQLITE;
	char *q = NULL;
	if (search) {
		const char *why = NULL;
		q = cf_search_query_for(st, search, &why);
		if (!q)
			return cf_usage_error("--search: %s", why ? why : "cannot search for that");
		if (!*q) {
			free(q);
			q = NULL;
		}
	}
	cf_sql_stmt *s = cf_stmt(st, limit > 0 ? last[k] : all[k]);
	cf_sql_bind_int64(s, 1, since_ms);
	cf_bind_text(s, 2, kind);
	cf_bind_text(s, 3, q);
	if (limit > 0)
		cf_sql_bind_int64(s, 4, limit);
	free(q);
	int rc;
	jv r = jv_true();
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		jv_free(r);
		r = fn(ctx, record(s));
		if (!jv_is_valid(r))
			break;
	}
	if (rc != CF_SQL_ROW && rc != CF_SQL_DONE) {
		jv_free(r);
		r = !strncmp(cf_sql_errmsg(cf_store_db(st)), "fts5:", 5) ?
		    cf_usage_error("--search: %s", cf_sql_errmsg(cf_store_db(st))) :
		    cf_store_error(st, "reading events");
	}
	cf_sql_reset(s);
	return r;
}

static jv
collect(void *ctx, jv rec)
{
	jv *a = ctx;
	*a = jv_array_append(*a, rec);
	return jv_true();
}

jv
cf_activity_list(cf_store *st, int64_t since_ms, const char *kind,
                 const char *search, long limit)
{
	jv a = jv_array();
	jv r = cf_activity_each(st, since_ms, kind, search, limit, collect, &a);
	if (!jv_is_valid(r)) {
		jv_free(a);
		return r;
	}
	jv_free(r);
	return a;
}

jv
cf_activity_get(cf_store *st, jv ids)
{
	static const char sql[] = COLS " WHERE id = ?1";
	jv out = jv_array();
	if (jv_get_kind(ids) != JV_KIND_ARRAY) {
		jv_free(ids);
		return out;
	}
	jv_array_foreach(ids, i, id) {
		if (jv_get_kind(id) == JV_KIND_STRING) {
			cf_sql_stmt *s = cf_stmt(st, sql);
			cf_bind_text(s, 1, jv_string_value(id));
			int rc = cf_sql_step(s);
			if (rc == CF_SQL_ROW) {
				out = jv_array_append(out, record(s));
			} else if (rc != CF_SQL_DONE) {
				jv e = cf_store_error(st, "reading an event");
				cf_sql_reset(s);
				jv_free(id);
				jv_free(ids);
				jv_free(out);
				return e;
			}
			cf_sql_reset(s);
		}
		jv_free(id);
	}
	jv_free(ids);
	return out;
}

int
cf_activity_since(const char *s, int64_t *ms)
{
	int back = !strcmp(s, "yesterday");
	if (back || !strcmp(s, "today")) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday -= back;
		tm.tm_isdst = -1;
		*ms = (int64_t)mktime(&tm) * 1000;
		return 0;
	}
	return cf_when_parse(s, 0, ms);
}

/* ---- the queue ---- */

const char *
cf_activity_queue_dir(void)
{
	static char buf[PATH_MAX];
	return cf_state_path("activity-queue", buf, sizeof buf);
}

/* The store's own name, so a batch queued for one store is not stored in
 * another. */
static void
store_key(cf_store *st, char out[PATH_MAX])
{
	const char *p = st->path;
	if (!p || !*p || !realpath(p, out))
		snprintf(out, PATH_MAX, "%s", p ? p : "");
}

struct cf_activity_q {
	FILE *f;
	char tmp[PATH_MAX];
	char dir[PATH_MAX];
};

static cf_activity_q *queue_open_key(const char *key, jv *err);

cf_activity_q *
cf_activity_queue_open(cf_store *st, jv *err)
{
	char key[PATH_MAX];
	store_key(st, key);
	return queue_open_key(key, err);
}

/* The name store_key gives the store once it is open, from its path
 * alone: the hook's add queues without opening SQLite at all.  A store not
 * made yet has no realpath; its absolute path is what SQLite will name it.
 * A PostgreSQL store's is the URI as cf_store_open shows it, which holds
 * no password (the queue is a file). */
cf_activity_q *
cf_activity_queue_open_path(const char *path, int mode, jv *err)
{
	if (!path)
		path = cf_store_default_path();
	if (!path) {
		*err = cf_error(CF_EX_STORE, "no database: set CHAT_DB or HOME");
		return NULL;
	}
	path = cf_store_name(path);
	if (cf_store_is_pg(path)) {
		char *shown = cf_pg_display(path);
		cf_activity_q *q = queue_open_key(shown, err);
		free(shown);
		return q;
	}
	struct stat sb;
	if ((mode & CF_STORE_EXISTING) && stat(path, &sb) != 0) {
		*err = cf_store_missing(path);
		return NULL;
	}
	char key[PATH_MAX], cwd[PATH_MAX];
	if (!realpath(path, key)) {
		if (*path != '/' && getcwd(cwd, sizeof cwd)) {
			if (snprintf(key, sizeof key, "%s/%s", cwd, path) >= (int)sizeof key) {
				*err = cf_error(CF_EX_STORE, "a store path too long: %s", path);
				return NULL;
			}
		} else
			snprintf(key, sizeof key, "%s", path);
	}
	return queue_open_key(key, err);
}

static cf_activity_q *
queue_open_key(const char *key, jv *err)
{
	const char *dir = cf_activity_queue_dir();
	if (!dir) {
		*err = cf_error(CF_EX_FAIL, "no place for the queue: set "
		                "XDG_STATE_HOME or HOME");
		return NULL;
	}
	cf_activity_q *q = cf_xmalloc(sizeof *q);
	snprintf(q->dir, sizeof q->dir, "%s", dir);
	snprintf(q->tmp, sizeof q->tmp, "%s/.tmp-XXXXXX", dir);
	int fd = -1;
	if (cf_mkdirs(dir) != 0 || (fd = mkstemp(q->tmp)) < 0 ||
	    !(q->f = fdopen(fd, "w"))) {
		*err = cf_error(CF_EX_FAIL, "cannot queue events in %s: %s", dir,
		                strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(q->tmp);
		}
		free(q);
		return NULL;
	}
	jv head = jv_dump_string(jv_object_set(jv_object(), jv_string("store"),
	                                       jv_string(key)), 0);
	fprintf(q->f, "%s\n", jv_string_value(head));
	jv_free(head);
	return q;
}

jv
cf_activity_queue_put(cf_activity_q *q, jv ev)
{
	ev = cf_activity_check(ev);
	if (!jv_is_valid(ev))
		return ev;
	jv line = jv_dump_string(ev, 0);
	int ok = fprintf(q->f, "%s\n", jv_string_value(line)) >= 0;
	jv_free(line);
	if (!ok)
		return cf_error(CF_EX_FAIL, "cannot queue events in %s: %s", q->dir,
		                strerror(errno));
	return jv_true();
}

void
cf_activity_queue_discard(cf_activity_q *q)
{
	if (!q)
		return;
	fclose(q->f);
	unlink(q->tmp);
	free(q);
}

jv
cf_activity_queue_close(cf_activity_q *q)
{
	static unsigned seq;
	char name[PATH_MAX + 64];
	int err = 0;
	if (fflush(q->f) != 0 || fsync(fileno(q->f)) != 0)
		err = errno;
	/* by time, so the batches are stored in the order they came */
	snprintf(name, sizeof name, "%s/%013lld-%ld-%u.jsonl", q->dir,
	         (long long)cf_now_ms(), (long)getpid(), seq++);
	if (fclose(q->f) != 0 && !err)
		err = errno;
	if (!err && rename(q->tmp, name) != 0)
		err = errno;
	if (err) {
		unlink(q->tmp);
		jv e = cf_error(CF_EX_FAIL, "cannot queue events in %s: %s", q->dir,
		                strerror(err));
		free(q);
		return e;
	}
	free(q);
	return jv_string(name);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct file_src {
	FILE *f;
	char *line;
	size_t cap;
};

static jv
from_file(void *ctx)
{
	struct file_src *fs = ctx;
	ssize_t len = getline(&fs->line, &fs->cap, fs->f);
	if (len < 0)
		return jv_invalid();
	jv v = jv_parse_sized(fs->line, (int)len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		return cf_error(CF_EX_DATA, "a line that is not JSON");
	}
	return v;
}

static void
set_aside(const char *dir, const char *name, const char *path, const char *why)
{
	char aside[PATH_MAX + 300];
	snprintf(aside, sizeof aside, "%s/.unusable-%s", dir, name);
	cf_warn("the queued events %s cannot be stored (%s): kept as %s",
	        path, why, aside);
	rename(path, aside);
}

/* A queued event: the queue's writer gave each its id, which is what
 * makes two drains of one batch store it once; without one, each drain
 * would give it a new id and store it again. */
static jv
from_queue(void *ctx)
{
	jv v = from_file(ctx);
	if (jv_is_valid(v) && !cf_jstr_or_null(v, "id")) {
		jv_free(v);
		return cf_error(CF_EX_DATA, "an event with no id");
	}
	return v;
}

/* One batch: 1 stored (or not this store's: 0), 0 when the store is busy
 * (it waits), or an error for a batch that cannot be stored, set aside. */
static jv
drain_one(cf_store *st, const char *dir, const char *name, const char *key,
          long wait_ms, long *stored)
{
	char path[PATH_MAX + 256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	/* Only a regular file of our own: a FIFO would hold every add (the
	 * shell hook's) forever, and a symlink or another user's file in the
	 * folder is not a batch we queued. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return jv_true();   /* another drain took it, or a symlink */
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
		close(fd);
		return jv_true();
	}
	struct file_src fs = {fdopen(fd, "r"), NULL, 0};
	if (!fs.f) {
		close(fd);
		return jv_true();
	}
	jv head = from_file(&fs);
	/* a batch with no header cannot be told to be ours or another
	 * store's: left where it is, every add would read it for ever */
	int headed = jv_is_valid(head) && cf_jstr_or_null(head, "store");
	int ours = headed && !strcmp(cf_jstr(head, "store"), key);
	jv_free(head);
	jv r = jv_true();
	if (!headed) {
		set_aside(dir, name, path, "its first line is not a queue header");
	} else if (ours) {
		long n = 0;
		int busy = 0;
		r = cf_activity_add_each(st, from_queue, &fs, wait_ms, &n, &busy);
		if (jv_is_valid(r)) {
			unlink(path);
			*stored += n;
		} else if (busy) {
			jv_free(r);
			r = jv_false();
		} else {
			jv m = cf_error_message(r);
			set_aside(dir, name, path, jv_string_value(m));
			jv_free(m);
			jv_free(r);
			r = jv_true();
		}
	}
	free(fs.line);
	fclose(fs.f);
	return r;
}

jv
cf_activity_drain(cf_store *st, long wait_ms)
{
	const char *dir = cf_activity_queue_dir();
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return jv_number(0);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 7 || strcmp(e->d_name + l - 6, ".jsonl"))
			continue;
		if (n == cap)
			names = cf_xrealloc(names, (cap = cap ? 2 * cap : 16) * sizeof *names);
		names[n++] = cf_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	char key[PATH_MAX];
	store_key(st, key);
	long stored = 0;
	jv r = jv_true();
	for (size_t i = 0; i < n; i++) {
		if (jv_get_kind(r) == JV_KIND_TRUE) {
			jv_free(r);
			r = drain_one(st, dir, names[i], key, wait_ms, &stored);
		}
		free(names[i]);
	}
	free(names);
	jv_free(r);
	return jv_number((double)stored);
}

#ifndef CF_HAVE_WATCH
/* A stand-in until lib/watch.c (the inotify watcher) is in the tree: the
 * Makefile defines CF_HAVE_WATCH then.  Not a weak symbol: a library
 * member is never pulled in over a definition the linker already has. */
jv
cf_activity_watch(cf_store *st, const char *const *dirs, int ndirs,
                  const char *source)
{
	(void)st;
	(void)dirs;
	(void)ndirs;
	(void)source;
	return cf_usage_error("watch: not built into this confab");
}
#endif

/* For a writer with messages to add in the same transaction (plugins'
 * activity records, plugin.c). */
jv
cf_activity_add_in(cf_store *st, jv event)
{
	jv ev = cf_activity_check(event);
	if (!jv_is_valid(ev))
		return ev;
	jv id = jv_object_get(jv_copy(ev), jv_string("id"));
	jv r = insert(st, ev);
	if (!jv_is_valid(r)) {
		jv_free(id);
		return r;
	}
	jv_free(r);
	return id;
}

/* ---- reading events, and the shell hooks ---- */

jv
cf_activity_read(FILE *f, const char *name, long *lineno, jv dflt)
{
	static char *line;
	static size_t cap;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		++*lineno;
		size_t i = 0;
		while (i < (size_t)len && strchr(" \t\r\n", line[i]))
			i++;
		if (i == (size_t)len)
			continue;
		/* jq would put U+FFFD for the bad bytes: the event stored would
		 * not be the one given */
		if (!cf_utf8_valid(line, (size_t)len))
			return cf_error(CF_EX_DATA, "%s:%ld: malformed event: not valid "
			                "UTF-8", name, *lineno);
		jv v = jv_parse_sized(line, (int)len);
		if (!jv_is_valid(v)) {
			jv m = jv_invalid_get_msg(v);
			const char *ms = jv_get_kind(m) == JV_KIND_STRING ?
				jv_string_value(m) : "invalid JSON";
			int cut = (int)strlen(ms);
			const char *at = strstr(ms, " at line ");
			if (!at)
				at = strstr(ms, " (while parsing");
			if (at)
				cut = (int)(at - ms);
			jv e = cf_error(CF_EX_DATA, "%s:%ld: malformed event: expected a "
			                "JSON object {kind, source, text}, one a line: %.*s",
			                name, *lineno, cut, ms);
			jv_free(m);
			return e;
		}
		if (jv_get_kind(v) == JV_KIND_OBJECT && jv_get_kind(dflt) == JV_KIND_OBJECT) {
			jv_object_foreach(jv_copy(dflt), k, dv) {
				jv have = jv_object_get(jv_copy(v), jv_copy(k));
				int missing = jv_get_kind(have) == JV_KIND_NULL ||
				              jv_get_kind(have) == JV_KIND_INVALID;
				jv_free(have);
				if (missing)
					v = jv_object_set(v, k, dv);
				else {
					jv_free(k);
					jv_free(dv);
				}
			}
		}
		v = cf_activity_check(v);
		if (!jv_is_valid(v)) {
			jv m = cf_error_message(v);
			jv e = cf_error(CF_EX_DATA, "%s:%ld: %s", name, *lineno,
			                jv_string_value(m));
			jv_free(m);
			jv_free(v);
			return e;
		}
		return v;
	}
	if (ferror(f))
		return cf_error(CF_EX_FAIL, "%s: read error", name);
	return jv_invalid();
}

/* prog as a word of the shell's, in single quotes. */
static void
quoted(jv *out, const char *prog, int fish)
{
	*out = jv_string_append_str(*out, "'");
	for (const char *p = prog; *p; p++) {
		if (*p == '\'')
			*out = jv_string_append_str(*out, fish ? "\\'" : "'\\''");
		else if (fish && *p == '\\')
			*out = jv_string_append_str(*out, "\\\\");
		else
			*out = jv_string_append_buf(*out, p, 1);
	}
	*out = jv_string_append_str(*out, "'");
}

/* Each snippet runs chat-activity in the background, detached from the
 * shell's jobs (no "[1] 1234", no "Done"), with --queue: a locked store
 * costs the shell nothing, and the event waits in the queue.  Only the
 * failed commands are recorded; an empty line records nothing. */
static const char bash_a[] =
	"# confab: record each failed command in the activity log (chat-activity(1)).\n"
	"# PS0 is expanded as a command starts: it notes the time, printing nothing.\n"
	"__confab_t0=\n"
	"# set -u safe, and sourced twice it is added once.\n"
	"case ${PS0-} in *__confab_t0*) ;; *) PS0='${__confab_t0:0:$((__confab_t0=${EPOCHREALTIME/[.,]/},0))}'\"${PS0-}\" ;; esac\n"
	"# A command kept out of the history (HISTCONTROL=ignorespace) leaves HISTCMD\n"
	"# as it was: history 1 would name the one before it, so it is not recorded.\n"
	"__confab_hc=\n"
	"__confab_prompt() {\n"
	"\tlocal s=$? t0=$__confab_t0 hc=$__confab_hc line\n"
	"\t__confab_t0= __confab_hc=${HISTCMD-}\n"
	"\tif [ -n \"$t0\" ] && [ \"$s\" -ne 0 ] && [ \"$hc\" != \"${HISTCMD-}\" ]; then\n"
	"\t\tline=$(HISTTIMEFORMAT= builtin history 1)\n"
	"\t\tline=${line#\"${line%%[![:space:][:digit:]]*}\"}\n"
	"\t\t(";
static const char bash_b[] =
	" add --queue --kind command --source bash --status \"$s\" --cwd \"$PWD\""
	" --at $(( ${EPOCHREALTIME/[.,]/} / 1000 ))"
	" --duration-ms $(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) -- \"$line\""
	" </dev/null >/dev/null 2>&1 &)\n"
	"\tfi\n"
	"\treturn $s\n"
	"}\n"
	"case ${PROMPT_COMMAND-} in *__confab_prompt*) ;; *) PROMPT_COMMAND=\"__confab_prompt${PROMPT_COMMAND:+;$PROMPT_COMMAND}\" ;; esac\n";
static const char zsh_a[] =
	"# confab: record each failed command in the activity log (chat-activity(1)).\n"
	"zmodload zsh/datetime\n"
	"typeset -g __confab_t0= __confab_cmd=\n"
	"__confab_preexec() { __confab_cmd=$1; __confab_t0=$EPOCHREALTIME }\n"
	"__confab_precmd() {\n"
	"\tlocal s=$? t0=$__confab_t0\n"
	"\t__confab_t0=\n"
	"\tif [[ -n $t0 ]] && (( s != 0 )); then\n"
	"\t\tlocal -i ms=$(( (EPOCHREALTIME - t0) * 1000 )) now=$(( EPOCHREALTIME * 1000 ))\n"
	"\t\t";
static const char zsh_b[] =
	" add --queue --kind command --source zsh --status $s --cwd \"$PWD\""
	" --at $now"
	" --duration-ms $ms -- \"$__confab_cmd\" </dev/null >/dev/null 2>&1 &!\n"
	"\tfi\n"
	"}\n"
	"autoload -Uz add-zsh-hook\n"
	"add-zsh-hook preexec __confab_preexec\n"
	"add-zsh-hook precmd __confab_precmd\n";
static const char fish_a[] =
	"# confab: record each failed command in the activity log (chat-activity(1)).\n"
	"function __confab_postexec --on-event fish_postexec\n"
	"\tset -l s $status\n"
	"\tif test $s -ne 0; and test -n \"$argv[1]\"\n"
	"\t\t";
static const char fish_b[] =
	" add --queue --kind command --source fish --status $s --cwd $PWD"
	" --duration-ms $CMD_DURATION -- $argv[1] </dev/null >/dev/null 2>&1 &\n"
	"\t\tdisown $last_pid 2>/dev/null\n"
	"\tend\n"
	"end\n";

jv
cf_activity_hook(const char *shell, const char *prog)
{
	const char *a, *b;
	int fish = 0;
	if (!strcmp(shell, "bash"))
		a = bash_a, b = bash_b;
	else if (!strcmp(shell, "zsh"))
		a = zsh_a, b = zsh_b;
	else if (!strcmp(shell, "fish"))
		a = fish_a, b = fish_b, fish = 1;
	else
		return cf_usage_error("hook: no hook for '%s' (bash, zsh or fish)", shell);
	jv out = jv_string(a);
	quoted(&out, prog, fish);
	return jv_string_append_str(out, b);
}
