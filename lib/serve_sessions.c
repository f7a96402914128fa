/* serve_sessions.c — the sessions of the API: the listing (chat-ls's
 * filters, full-text q, keyset cursors), create (chat-new), read, change
 * (chat-set), delete, branch and duplicate (chat-branch).  See serve.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "priv.h"
#include "serve.h"

#define LIST_DEFAULT 50
#define LIST_MAX 1000     /* and in largs_check's message */
#define TAGS_MAX 32

/* A growing byte buffer, kept between requests: the routes run on one
 * thread, and the listing is built in place rather than as one jv. */
struct buf {
	char *s;
	size_t n, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = cf_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* ---- the listing's parameters ---- */

struct largs {
	const char *tags[TAGS_MAX + 1];
	int ntags;
	const char *provider, *model, *parent, *q, *cursor;
	const char *since_s, *until_s, *limit_s, *starred_s, *archived_s;
	int64_t since, until, after_updated, after_n;
	int starred, archived;
	long limit;
	int lines;
	struct buf *err;      /* the first bad parameter's message */
};

static int
seen_twice(struct largs *a, const char *key, const char **slot,
           const char *value)
{
	if (*slot) {
		if (!a->err->n)
			a->err->n = (size_t)snprintf(a->err->s, a->err->cap,
			                             "parameter '%s' given twice", key);
		return 1;
	}
	*slot = value ? value : "";
	return 0;
}

static enum MHD_Result
one_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct largs *a = cls;
	(void)kind;
	if (a->err->n)
		return MHD_NO;
	static const char *const names[] = {"provider", "model", "parent", "q",
		"cursor", "since", "until", "limit", "starred", "archived"};
	const char **slots[] = {&a->provider, &a->model, &a->parent, &a->q,
		&a->cursor, &a->since_s, &a->until_s, &a->limit_s, &a->starred_s,
		&a->archived_s};
	if (!strcmp(key, "tag")) {
		if (a->ntags == TAGS_MAX) {
			a->err->n = (size_t)snprintf(a->err->s, a->err->cap,
			                             "too many tags (at most %d)", TAGS_MAX);
			return MHD_NO;
		}
		a->tags[a->ntags++] = value ? value : "";
		return MHD_YES;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(key, names[i]))
			return seen_twice(a, key, slots[i], value) ? MHD_NO : MHD_YES;
	a->err->n = (size_t)snprintf(a->err->s, a->err->cap,
	                             "unknown parameter '%.80s'", key);
	return MHD_NO;
}

static int
bad(struct largs *a, const char *fmt, const char *what, const char *val)
{
	a->err->n = (size_t)snprintf(a->err->s, a->err->cap, fmt, what, val);
	return -1;
}

/* The cursor: the last row's lastUpdated (ms) and row number, the
 * listing's order; opaque to clients. */
static void
cursor_fmt(char out[48], int64_t ms, int64_t n)
{
	snprintf(out, 48, "%" PRId64 "_%" PRId64, ms, n);
}

static int
cursor_parse(const char *s, int64_t *ms, int64_t *n)
{
	char *e;
	if (!*s || strlen(s) > 45)
		return -1;
	long long a = strtoll(s, &e, 10);
	if (e == s || *e != '_' || (s[0] != '-' && (s[0] < '0' || s[0] > '9')))
		return -1;
	const char *t = e + 1;
	if (*t < '1' || *t > '9')
		return -1;
	long long b = strtoll(t, &e, 10);
	if (*e || b <= 0)
		return -1;
	*ms = a;
	*n = b;
	return 0;
}

/* Checks and converts what the store is not needed for: 0, or -1 with
 * the message in a->err. */
static int
largs_check(struct largs *a)
{
	if (a->since_s && cf_when_parse(a->since_s, 0, &a->since))
		return bad(a, "invalid %s '%.80s': expected a date, a time or an "
		           "age like 7d", "since", a->since_s);
	if (a->until_s && cf_when_parse(a->until_s, 1, &a->until))
		return bad(a, "invalid %s '%.80s': expected a date, a time or an "
		           "age like 7d", "until", a->until_s);
	a->limit = LIST_DEFAULT;
	if (a->limit_s && cf_parse_long(a->limit_s, 1, LIST_MAX, &a->limit))
		return bad(a, "invalid %s '%.80s': expected a whole number from 1 "
		           "to 1000", "limit", a->limit_s);
	if (a->starred_s) {
		const char *v = a->starred_s;
		if (!*v || !strcmp(v, "1") || !strcmp(v, "true"))
			a->starred = 1;
		else if (strcmp(v, "0") && strcmp(v, "false"))
			return bad(a, "invalid %s '%.80s': expected 1 or 0", "starred", v);
	}
	if (a->archived_s) {
		const char *v = a->archived_s;
		if (!strcmp(v, "0") || !strcmp(v, "false"))
			a->archived = 0;
		else if (!strcmp(v, "1") || !strcmp(v, "true"))
			a->archived = 1;
		else if (!strcmp(v, "all"))
			a->archived = 2;
		else
			return bad(a, "invalid %s '%.80s': expected 0, 1 or all",
			           "archived", v);
	}
	if (a->q && !*a->q)
		a->q = NULL;   /* a search box emptied: everything */
	if (a->q) {
		const char *why;
		char *q = cf_search_query(a->q, &why);
		if (!q) {
			a->err->n = (size_t)snprintf(a->err->s, a->err->cap,
			                             "invalid q '%.80s': %s", a->q, why);
			return -1;
		}
		free(q);
	}
	if (a->cursor && cursor_parse(a->cursor, &a->after_updated, &a->after_n))
		return bad(a, "invalid %s '%.80s'", "cursor", a->cursor);
	for (int i = 0; i < a->ntags; i++)
		if (!*a->tags[i])
			return bad(a, "invalid %s '%s': must not be empty", "tag", "");
	return 0;
}

/* The request as the cache's key: every value with its length, and the
 * times as ms, since an age ("7d") means another time at each request. */
static void
key_put(struct buf *k, char tag, const char *v)
{
	char head[32];
	int n = snprintf(head, sizeof head, "%c%zu:", tag, v ? strlen(v) : 0);
	put(k, head, (size_t)n);
	if (v)
		puts_(k, v);
}

static void
largs_key(const struct largs *a, struct buf *k)
{
	char t[64];
	k->n = 0;
	snprintf(t, sizeof t, "%d %d %d %ld %" PRId64 " %" PRId64, a->lines,
	         a->starred, a->archived, a->limit, a->since, a->until);
	key_put(k, 'o', t);
	for (int i = 0; i < a->ntags; i++)
		key_put(k, 't', a->tags[i]);
	key_put(k, 'p', a->provider);
	key_put(k, 'm', a->model);
	key_put(k, 'P', a->parent);
	key_put(k, 'q', a->q);
	key_put(k, 'c', a->cursor);
}

/* ---- the listing ---- */

struct lrun {
	struct buf *body;
	long limit, n;
	int lines, more;
	int64_t key[2], last[2];
};

static int
list_one(jv rec, void *p)
{
	struct lrun *c = p;
	if (c->n == c->limit) {   /* one past the page: there is a next */
		jv_free(rec);
		c->more = 1;
		return 1;
	}
	size_t len;
	const char *s = cf_json_compact(rec, &len);
	if (c->n && !c->lines)
		put(c->body, ",", 1);
	put(c->body, s, len);
	if (c->lines)
		put(c->body, "\n", 1);
	c->last[0] = c->key[0];
	c->last[1] = c->key[1];
	c->n++;
	return 0;
}

/* Runs the listing into body (the whole response body) and next (the
 * cursor, "" when this is the last page): jv_true() or an error. */
static jv
list_run(cf_store *st, const struct largs *a, struct buf *body, char next[48])
{
	struct cf_filter f = {0};
	struct lrun c = {.body = body, .limit = a->limit, .lines = a->lines};
	jv p = jv_invalid();
	const char *tags[TAGS_MAX + 1];

	memcpy(tags, a->tags, sizeof *tags * (size_t)a->ntags);
	tags[a->ntags] = NULL;
	f.tags = a->ntags ? tags : NULL;
	f.provider = a->provider;
	f.model = a->model;
	f.starred = a->starred;
	f.archived = a->archived;
	f.since = a->since;
	f.until = a->until;
	f.search = a->q;
	f.after_updated = a->after_updated;
	f.after_n = a->after_n;
	f.key = c.key;
	f.limit = a->limit + 1;   /* one past the page says there is a next */
	if (a->parent) {
		p = cf_resolve_session(st, a->parent);
		if (!jv_is_valid(p))
			return p;
		f.parent = cf_jstr(p, "id");
	}
	body->n = 0;
	if (!a->lines)
		puts_(body, "{\"type\":\"sessions\",\"sessions\":[");
	jv r = cf_session_list(st, &f, list_one, &c);
	jv_free(p);
	if (!jv_is_valid(r))
		return r;
	*next = '\0';
	if (c.more)
		cursor_fmt(next, c.last[0], c.last[1]);
	if (!a->lines) {
		puts_(body, "],\"next\":");
		if (*next) {
			put(body, "\"", 1);
			puts_(body, next);
			put(body, "\"", 1);
		} else {
			puts_(body, "null");
		}
		put(body, "}\n", 2);   /* as cf_srv_json ends its bodies */
	}
	return r;
}

/* Responses to the same listing, while the store stays as it was.  Most
 * of a listing's time is its records made as jv values (about 250 us for
 * 20 on the bench store); a page asked for again costs a lookup.  The
 * cache holds while PRAGMA data_version (which moves when any other
 * connection, of this process or another, commits) and this connection's
 * total_changes (its own writes) are what they were; any change empties
 * it all.  Both are read before the listing runs, so a commit that lands
 * meanwhile leaves entries that the next request throws away. */
#define CACHE_N 32
#define CACHE_BODY_MAX (512 * 1024)
#define CACHE_BYTES_MAX (4 * 1024 * 1024)

struct centry {
	char *key, *body;
	size_t klen, blen;
	char next[48];
	unsigned long used;
};

static struct {
	cf_store *st;
	int64_t version, changes;
	int valid;
	struct centry e[CACHE_N];
	size_t bytes;
	unsigned long clock;
} cache;

static void
cache_clear(void)
{
	for (int i = 0; i < CACHE_N; i++) {
		free(cache.e[i].key);
		free(cache.e[i].body);
		cache.e[i] = (struct centry){0};
	}
	cache.bytes = 0;
}

/* Is the cache still the store's?  Empties it when not; 0 when the store
 * cannot say (then nothing is cached). */
static int
cache_check(cf_store *st)
{
	/* PostgreSQL has no data_version to say another connection wrote:
	 * nothing is cached there */
	if (!st->lite) {
		cache_clear();
		cache.valid = 0;
		return 0;
	}
	cf_sql_stmt *s = cf_stmt(st, "PRAGMA data_version");
	int rc = cf_sql_step(s);
	int64_t v = rc == CF_SQL_ROW ? cf_sql_column_int64(s, 0) : -1;
	cf_sql_reset(s);
	int64_t c = sqlite3_total_changes64(st->lite);
	if (rc != CF_SQL_ROW) {
		cache_clear();
		cache.valid = 0;
		return 0;
	}
	if (!cache.valid || cache.st != st || cache.version != v ||
	    cache.changes != c) {
		cache_clear();
		cache.st = st;
		cache.version = v;
		cache.changes = c;
		cache.valid = 1;
	}
	return 1;
}

static struct centry *
cache_get(const struct buf *k)
{
	for (int i = 0; i < CACHE_N; i++) {
		struct centry *e = &cache.e[i];
		if (e->key && e->klen == k->n && !memcmp(e->key, k->s, k->n)) {
			e->used = ++cache.clock;
			return e;
		}
	}
	return NULL;
}

static void
cache_put(const struct buf *k, const struct buf *body, const char *next)
{
	if (body->n > CACHE_BODY_MAX)
		return;
	struct centry *e = &cache.e[0];
	for (int i = 0; i < CACHE_N; i++) {
		if (!cache.e[i].key) {
			e = &cache.e[i];
			break;
		}
		if (cache.e[i].used < e->used)
			e = &cache.e[i];
	}
	while (e->key || cache.bytes + body->n + k->n > CACHE_BYTES_MAX) {
		if (e->key) {
			cache.bytes -= e->klen + e->blen;
			free(e->key);
			free(e->body);
			*e = (struct centry){0};
		}
		if (cache.bytes + body->n + k->n <= CACHE_BYTES_MAX)
			break;
		/* the least recently used of the rest makes room */
		struct centry *o = NULL;
		for (int i = 0; i < CACHE_N; i++)
			if (cache.e[i].key && (!o || cache.e[i].used < o->used))
				o = &cache.e[i];
		if (!o)
			break;
		cache.bytes -= o->klen + o->blen;
		free(o->key);
		free(o->body);
		*o = (struct centry){0};
	}
	e->key = cf_xmalloc(k->n ? k->n : 1);
	memcpy(e->key, k->s, k->n);
	e->klen = k->n;
	e->body = cf_xmalloc(body->n ? body->n : 1);
	memcpy(e->body, body->s, body->n);
	e->blen = body->n;
	snprintf(e->next, sizeof e->next, "%s", next);
	e->used = ++cache.clock;
	cache.bytes += e->klen + e->blen;
}

static enum MHD_Result
list_send(struct cf_req *r, int lines, const char *body, size_t len,
          const char *next)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        lines ? "application/x-ndjson" : "application/json");
	if (lines && *next)
		MHD_add_response_header(resp, "X-Next-Cursor", next);
	r->sent += len;
	return cf_srv_queue(r, MHD_HTTP_OK, resp);
}

static enum MHD_Result
sessions_list(struct cf_req *r)
{
	static struct buf err, key, body;
	struct largs a = {0};
	char next[48];

	if (!err.cap) {
		err.cap = 256;
		err.s = cf_xmalloc(err.cap);
	}
	err.n = 0;
	a.err = &err;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, one_arg, &a);
	if (err.n || largs_check(&a))
		return cf_srv_fail(r, MHD_HTTP_BAD_REQUEST, "%s", err.s);
	a.lines = cf_srv_wants_lines(r);

	cf_store *st = r->srv->st;
	int cached = cache_check(st);
	if (cached) {
		largs_key(&a, &key);
		struct centry *e = cache_get(&key);
		if (e)
			return list_send(r, a.lines, e->body, e->blen, e->next);
	}
	jv res = list_run(st, &a, &body, next);
	if (!jv_is_valid(res))
		return cf_srv_error(r, res);
	jv_free(res);
	if (cached)
		cache_put(&key, &body, next);
	return list_send(r, a.lines, body.s, body.n, next);
}

/* ---- bodies: JSON fields to the settings chat-new and chat-set take ---- */

struct fields {
	struct cf_settings s;
	char temp[40], maxt[32], ctxw[32];
	jv set_tags;          /* "tags" of a PUT: the whole new set, or invalid */
	int n;                /* fields given */
};

static jv
ftype(const char *k, const char *what)
{
	return cf_error(CF_EX_DATA, "field '%s' must be %s", k, what);
}

/* A string field without NULs (C strings end there); borrowed from v. */
static jv
fstring(const char *k, jv v, const char **out)
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return ftype(k, "a string");
	const char *s = jv_string_value(v);
	if ((size_t)jv_string_length_bytes(jv_copy(v)) != strlen(s))
		return cf_error(CF_EX_DATA, "field '%s' must not contain NUL", k);
	*out = s;
	return jv_true();
}

/* A number as the option's text: the shortest that reads back the same,
 * so the library's message shows what was sent. */
static jv
fnumber(const char *k, jv v, char *out, size_t n)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return ftype(k, "a number");
	double d = jv_number_value(v);
	for (int p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return jv_true();
}

static jv
fbool(const char *k, jv v, int *out)
{
	if (jv_get_kind(v) != JV_KIND_TRUE && jv_get_kind(v) != JV_KIND_FALSE)
		return ftype(k, "true or false");
	*out = jv_get_kind(v) == JV_KIND_TRUE;
	return jv_true();
}

static jv
ftags(const char *k, jv v, struct cf_settings *s, int remove)
{
	if (jv_get_kind(v) != JV_KIND_ARRAY)
		return ftype(k, "an array of strings");
	jv r = jv_true();
	jv_array_foreach(v, i, t) {
		const char *str;
		jv e = jv_is_valid(r) ? fstring(k, t, &str) : jv_true();
		if (jv_is_valid(r) && !jv_is_valid(e)) {
			jv_free(e);
			jv_free(r);
			r = ftype(k, "an array of strings");
		} else if (jv_is_valid(r)) {
			jv_free(e);
			cf_settings_add_tag(s, str, remove);
		} else {
			jv_free(e);
		}
		jv_free(t);   /* the string stays alive in v */
		(void)i;
	}
	return r;
}

/* Reads body (borrowed: the settings point into it) into f: jv_true(), or
 * CF_EX_DATA naming the field that is unknown or of the wrong type.
 * change: chat-set's fields too (tags as a whole, addTags, removeTags,
 * starred, archived). */
static jv
fields_read(jv body, struct fields *f, int change)
{
	cf_settings_init(&f->s);
	f->set_tags = jv_invalid();
	jv r = jv_true();
	int add = 0;
	jv_object_foreach(body, key, v) {
		const char *k = jv_string_value(key);
		jv e;
		int nul = jv_get_kind(v) == JV_KIND_NULL;
		if (!strcmp(k, "name"))
			e = fstring(k, v, &f->s.name);
		else if (!strcmp(k, "provider"))
			e = fstring(k, v, &f->s.provider);
		else if (!strcmp(k, "model"))
			e = fstring(k, v, &f->s.model);
		else if (!strcmp(k, "systemPrompt"))
			e = nul ? (f->s.system = "", jv_true()) : fstring(k, v, &f->s.system);
		else if (!strcmp(k, "temperature"))
			e = nul ? (f->s.temperature = "", jv_true()) :
			    fnumber(k, v, f->temp, sizeof f->temp);
		else if (!strcmp(k, "maxTokens"))
			e = fnumber(k, v, f->maxt, sizeof f->maxt);
		else if (!strcmp(k, "contextWindow"))
			e = fnumber(k, v, f->ctxw, sizeof f->ctxw);
		else if (!strcmp(k, "autoContext"))
			e = fbool(k, v, &f->s.auto_context);
		else if (!strcmp(k, "sendHistory"))
			e = fbool(k, v, &f->s.send_history);
		else if (!strcmp(k, "tags") && !change)
			e = ftags(k, v, &f->s, 0);
		else if (!strcmp(k, "tags")) {
			e = ftags(k, v, &f->s, 0);
			if (jv_is_valid(e))
				f->set_tags = jv_copy(v);
		} else if (change && !strcmp(k, "addTags")) {
			e = ftags(k, v, &f->s, 0);
			add = 1;
		} else if (change && !strcmp(k, "removeTags"))
			e = ftags(k, v, &f->s, 1);
		else if (change && !strcmp(k, "starred"))
			e = fbool(k, v, &f->s.starred);
		else if (change && !strcmp(k, "archived"))
			e = fbool(k, v, &f->s.archived);
		else
			e = cf_error(CF_EX_DATA, "unknown field '%s'", k);
		if (!jv_is_valid(e) && jv_is_valid(r)) {
			jv_free(r);
			r = e;
		} else {
			jv_free(e);
		}
		f->n++;
		jv_free(key);
		jv_free(v);
	}
	if (jv_is_valid(r) && f->temp[0])
		f->s.temperature = f->temp;
	if (jv_is_valid(r) && f->maxt[0])
		f->s.max_tokens = f->maxt;
	if (jv_is_valid(r) && f->ctxw[0])
		f->s.context_window = f->ctxw;
	if (jv_is_valid(r) && jv_is_valid(f->set_tags) && (add || f->s.nuntags)) {
		jv_free(r);
		r = cf_error(CF_EX_DATA, "field 'tags' sets them all: not with "
		             "addTags or removeTags");
	}
	return r;
}

static void
fields_free(struct fields *f)
{
	free(f->s.tags);
	free(f->s.untags);
	jv_free(f->set_tags);
}

/* ---- the routes ---- */

static enum MHD_Result
sessions_create(struct cf_req *r)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	struct fields f = {0};
	jv e = fields_read(body, &f, 0);
	if (!jv_is_valid(e)) {
		fields_free(&f);
		jv_free(body);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	/* as chat-new: validated and made whole before the store is touched */
	jv rec = cf_settings_new(&f.s);
	fields_free(&f);
	jv_free(body);
	if (!jv_is_valid(rec))
		return cf_srv_error(r, rec);
	cf_store *st = r->srv->st;
	e = cf_store_begin(st);
	if (!jv_is_valid(e)) {
		jv_free(rec);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	rec = cf_session_insert(st, rec);
	if (!jv_is_valid(rec)) {
		cf_store_rollback(st);
		return cf_srv_error(r, rec);
	}
	e = cf_store_commit(st);
	if (!jv_is_valid(e)) {
		jv_free(rec);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	cf_srv_changed(r->srv, cf_jstr(rec, "id"));
	return cf_srv_json(r, MHD_HTTP_CREATED, rec);
}

static enum MHD_Result
session_get(struct cf_req *r)
{
	jv rec = cf_resolve_session(r->srv->st, r->id);
	if (!jv_is_valid(rec))
		return cf_srv_error(r, rec);
	return cf_srv_json(r, MHD_HTTP_OK, rec);
}

/* The tags a PUT's "tags" replaces: all the session has now, read in the
 * transaction. */
static jv
untag_all(cf_store *st, const char *id)
{
	jv cur = cf_session_get(st, id);
	if (!jv_is_valid(cur))
		return cur;
	struct cf_settings s;
	cf_settings_init(&s);
	jv tags = cf_jpath(cur, "metadata.tags");
	jv_array_foreach(tags, i, t) {
		if (jv_get_kind(t) == JV_KIND_STRING)
			cf_settings_add_tag(&s, jv_string_value(t), 1);
		jv_free(t);   /* still held by tags */
		(void)i;
	}
	jv got = s.nuntags ? cf_settings_store(st, id, &s) : cur;
	if (s.nuntags)
		jv_free(cur);
	free(s.untags);
	jv_free(tags);
	return got;
}

static enum MHD_Result
session_put(struct cf_req *r)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	struct fields f = {0};
	jv e = fields_read(body, &f, 1);
	if (jv_is_valid(e) && !f.n) {
		jv_free(e);
		e = cf_error(CF_EX_DATA, "nothing to change");
	}
	/* as chat-set: every value checked before a session is read */
	if (jv_is_valid(e)) {
		jv_free(e);
		e = cf_settings_check(&f.s);
	}
	if (!jv_is_valid(e)) {
		fields_free(&f);
		jv_free(body);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	cf_store *st = r->srv->st;
	jv cur = cf_resolve_session(st, r->id);
	if (!jv_is_valid(cur)) {
		fields_free(&f);
		jv_free(body);
		return cf_srv_error(r, cur);
	}
	char id[37];
	snprintf(id, sizeof id, "%s", cf_jstr(cur, "id"));
	jv_free(cur);
	jv got = cf_store_begin(st);
	if (!jv_is_valid(got)) {   /* it rolled back itself */
		fields_free(&f);
		jv_free(body);
		return cf_srv_error(r, got);
	}
	jv_free(got);
	/* both in one transaction: "tags" empties the set, then the rest
	 * (the new tags among it) applies over that */
	got = jv_is_valid(f.set_tags) ? untag_all(st, id) : jv_true();
	if (jv_is_valid(got)) {
		jv_free(got);
		got = cf_settings_store(st, id, &f.s);
	}
	fields_free(&f);
	jv_free(body);
	if (!jv_is_valid(got)) {
		cf_store_rollback(st);
		if (!cf_is_error(got)) {
			jv_free(got);
			got = cf_error(CF_EX_NOTFOUND, "session '%s' is gone", id);
		}
		return cf_srv_error(r, got);
	}
	e = cf_store_commit(st);
	if (!jv_is_valid(e)) {
		jv_free(got);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	cf_srv_changed(r->srv, id);
	return cf_srv_json(r, MHD_HTTP_OK, got);
}

static enum MHD_Result
session_delete(struct cf_req *r)
{
	cf_store *st = r->srv->st;
	jv cur = cf_resolve_session(st, r->id);
	if (!jv_is_valid(cur))
		return cf_srv_error(r, cur);
	char id[37];
	snprintf(id, sizeof id, "%s", cf_jstr(cur, "id"));
	jv_free(cur);
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e))
		return cf_srv_error(r, e);
	jv_free(e);
	e = cf_session_delete(st, id);
	if (!jv_is_valid(e)) {
		cf_store_rollback(st);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	e = cf_store_commit(st);
	if (!jv_is_valid(e))
		return cf_srv_error(r, e);
	jv_free(e);
	cf_srv_changed(r->srv, id);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	return cf_srv_queue(r, MHD_HTTP_NO_CONTENT, resp);
}

/* branch (dup 0) and duplicate (dup 1): as chat-branch [--duplicate]. */
static enum MHD_Result
session_copy(struct cf_req *r, int dup)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	const char *at = NULL, *name = NULL;
	jv e = jv_true();
	jv_object_foreach(body, key, v) {
		const char *k = jv_string_value(key);
		jv one;
		if (!strcmp(k, "name"))
			one = fstring(k, v, &name);
		else if (!dup && !strcmp(k, "fromMessageId"))
			one = fstring(k, v, &at);
		else
			one = cf_error(CF_EX_DATA, "unknown field '%s'", k);
		if (!jv_is_valid(one) && jv_is_valid(e)) {
			jv_free(e);
			e = one;
		} else {
			jv_free(one);
		}
		jv_free(key);
		jv_free(v);
	}
	if (jv_is_valid(e) && name && !*name) {
		jv_free(e);
		e = cf_error(CF_EX_DATA, "field 'name' must not be empty");
	}
	if (jv_is_valid(e) && at && !*at) {
		jv_free(e);
		e = cf_error(CF_EX_DATA, "field 'fromMessageId' must not be empty");
	}
	if (!jv_is_valid(e)) {
		jv_free(body);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	cf_store *st = r->srv->st;
	jv src = cf_resolve_session(st, r->id);
	if (!jv_is_valid(src)) {
		jv_free(body);
		return cf_srv_error(r, src);
	}
	jv out = cf_session_branch(st, src, at, name, dup);
	jv_free(src);
	jv_free(body);
	if (!jv_is_valid(out))
		return cf_srv_error(r, out);
	cf_srv_changed(r->srv, cf_jstr(out, "id"));
	return cf_srv_json(r, MHD_HTTP_CREATED, out);
}

static enum MHD_Result
session_branch(struct cf_req *r)
{
	return session_copy(r, 0);
}

static enum MHD_Result
session_duplicate(struct cf_req *r)
{
	return session_copy(r, 1);
}

const struct cf_route cf_serve_routes_sessions[] = {
	{"GET", "/api/chat/sessions", sessions_list, 0},
	{"POST", "/api/chat/sessions", sessions_create, 0},
	{"GET", "/api/chat/sessions/:id", session_get, 0},
	{"PUT", "/api/chat/sessions/:id", session_put, 0},
	{"DELETE", "/api/chat/sessions/:id", session_delete, 0},
	{"POST", "/api/chat/sessions/:id/branch", session_branch, 0},
	{"POST", "/api/chat/sessions/:id/duplicate", session_duplicate, 0},
	{0},
};
