/* imp_llm.c — simonw/llm's logs.db in: 0.31's responses grouped by
 * conversation, 0.32's threads of messages, or both, read where the file
 * lies or from bytes in memory. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "import.h"

/* llm's logs.db is SQLite whatever our store is: its statements are
 * sqlite3's own. */
static void
lite_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

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

/* ---- what both schemas share ----
 *
 * llm 0.31 (migrations up to m021) keeps a conversation as rows of
 * responses, each a prompt and its reply, with the fragments, attachments
 * and options of that prompt beside it.  llm 0.32 (m023 on, since
 * 0.32rc1) writes no more responses: a thread points at the last of a
 * chain of messages (parent_hash), each made of parts, and a turn is one
 * call, the messages between its parent_message_hash and its
 * tip_message_hash being what the model wrote.  A store 0.31 began and
 * 0.32 went on with has both; a conversation continued under 0.32 is a
 * thread of the same id whose chain repeats the old history first. */

struct lr {
	struct rd *r;
	sqlite3 *db;
	sqlite3_stmt *pfrag, *patt;                 /* 0.31's fragments, attachments */
	sqlite3_stmt *msg, *parts, *frag, *patts, *tip, *tfrag, *tmodel, *ttip;
	jv threads_done;   /* thread ids read with their conversation */
};

static sqlite3_stmt *
prep(struct lr *l, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		imp_bad(l->r, "cannot read the database: %s", sqlite3_errmsg(l->db));
	return s;
}

static int
step(struct lr *l, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		imp_bad(l->r, "cannot read the database: %s", sqlite3_errmsg(l->db));
	return rc == SQLITE_ROW;
}

/* llm's options_json: an object (what was given, nulls left out), or
 * nothing.  Kept on the reply as metadata.options when not empty. */
static jv
options_of(struct lr *l, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	if (!t)
		return jv_invalid();
	jv o = jv_parse(t);
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		imp_bad(l->r, "options_json is not a JSON object");
	}
	if (!jv_object_length(jv_copy(o))) {
		jv_free(o);
		return jv_invalid();
	}
	return o;
}

/* A fragment as context.files lists it: where llm had it from (a path,
 * a URL, or null), its sha256 as llm keeps it, and whether it went into
 * the prompt or the system prompt.  Its text is in the message itself. */
static jv
fragment_ref(sqlite3_stmt *s, int kind, int source, int hash)
{
	jv f = jv_object();
	f = imp_set(f, "type", jv_string("llm-fragment"));
	f = imp_set(f, "kind", col_str(s, kind));
	f = imp_set(f, "source", col_str(s, source));
	f = imp_set(f, "hash", col_str(s, hash));
	return f;
}

/* An llm attachment as ours: its bytes when llm kept them (as text when
 * they are text), else only where it was (a URL or a path) as its name. */
static jv
attachment(struct lr *l, const char *mid, int n, sqlite3_stmt *s, int type,
           int path, int url, int content, const char *where)
{
	const char *mime = (const char *)sqlite3_column_text(s, type);
	const char *p = (const char *)sqlite3_column_text(s, path);
	const char *u = (const char *)sqlite3_column_text(s, url);
	const void *b = sqlite3_column_blob(s, content);
	long len = sqlite3_column_bytes(s, content);
	if (!mime || !*mime)
		mime = "application/octet-stream";
	const char *kind = !strncmp(mime, "image/", 6) ? "image" :
	                   !strncmp(mime, "text/", 5) ? "text" : "file";
	jv name;
	if (b && p)
		name = jv_string(strrchr(p, '/') ? strrchr(p, '/') + 1 : p);
	else if (p || u)
		name = jv_string(p ? p : u);
	else
		name = jv_string_fmt("attachment-%d", n);
	jv a = jv_object();
	char aid[37], nth[24];
	snprintf(nth, sizeof nth, "%d", n);
	imp_uuid5(aid, mid, "attachment", nth);
	a = imp_set(a, "id", jv_string(aid));
	if (b) {
		imp_check_size(l->r, where, jv_string_value(name), len);
		if (!strcmp(kind, "text") && cf_utf8_valid(b, (size_t)len))
			a = imp_set(a, "text", jv_string_sized(b, (int)len));
		else
			a = imp_set(a, "data", cf_base64(b, (size_t)len));
	} else {
		len = 0;
	}
	a = imp_set(a, "type", jv_string(kind));
	a = imp_set(a, "name", name);
	a = imp_set(a, "size", jv_number((double)len));
	a = imp_set(a, "mimeType", jv_string(mime));
	return a;
}

static jv
new_meta(jv model)
{
	jv meta = jv_object();
	meta = imp_set(meta, "tokens", jv_null());
	meta = imp_set(meta, "model", model);
	meta = imp_set(meta, "processing_time", jv_null());
	return meta;
}

static jv
with_context(jv m, jv files)
{
	if (jv_array_length(jv_copy(files)) == 0) {
		jv_free(files);
		return m;
	}
	jv ctx = jv_object();
	ctx = imp_set(ctx, "activityEvents", jv_array());
	ctx = imp_set(ctx, "pluginCommands", jv_array());
	ctx = imp_set(ctx, "files", files);
	return imp_set(m, "context", ctx);
}

static int
has_text(jv s)
{
	return jv_get_kind(s) == JV_KIND_STRING && !imp_blank(s);
}

/* ---- llm 0.32: threads, turns, messages, parts ---- */

/* A text part's text: the text column, or its text_ref's literals and
 * fragments put back together, as llm reads them. */
static jv
part_text(struct lr *l, sqlite3_stmt *s)
{
	jv t = col_str(s, 2);
	if (jv_get_kind(t) == JV_KIND_STRING)
		return t;
	jv_free(t);
	const char *pj = (const char *)sqlite3_column_text(s, 3);
	jv p = pj ? jv_parse(pj) : jv_null();
	if (jv_get_kind(p) != JV_KIND_OBJECT) {
		jv_free(p);
		if (pj)
			imp_bad(l->r, "part %lld: payload is not a JSON object",
			        (long long)sqlite3_column_int64(s, 0));
		return jv_string("");
	}
	jv direct = jv_object_get(jv_copy(p), jv_string("text"));
	if (jv_get_kind(direct) == JV_KIND_STRING) {
		jv_free(p);
		return direct;
	}
	jv_free(direct);
	jv refs = jv_object_get(p, jv_string("text_ref"));
	jv out = jv_string("");
	if (jv_get_kind(refs) == JV_KIND_ARRAY) {
		jv_array_foreach(refs, i, piece) {
			jv lit = jv_get_kind(piece) == JV_KIND_OBJECT ?
			         jv_object_get(jv_copy(piece), jv_string("literal")) : jv_null();
			jv fid = jv_get_kind(piece) == JV_KIND_OBJECT ?
			         jv_object_get(jv_copy(piece), jv_string("fragment")) : jv_null();
			if (jv_get_kind(lit) == JV_KIND_STRING) {
				out = jv_string_concat(out, jv_copy(lit));
			} else if (jv_get_kind(fid) == JV_KIND_NUMBER) {
				sqlite3_reset(l->frag);
				sqlite3_bind_int64(l->frag, 1, (sqlite3_int64)jv_number_value(fid));
				if (!step(l, l->frag))
					imp_bad(l->r, "part %lld: fragment %.0f is not in fragments",
					        (long long)sqlite3_column_int64(s, 0), jv_number_value(fid));
				jv c = col_str(l->frag, 0);
				if (jv_get_kind(c) == JV_KIND_STRING)
					out = jv_string_concat(out, c);
				else
					jv_free(c);
			}
			jv_free(lit);
			jv_free(fid);
			jv_free(piece);
			(void)i;
		}
	}
	jv_free(refs);
	return out;
}

/* One message of a chain: its role, its text (its text parts joined, as
 * llm joins a reply's pieces) and its attachments; reasoning, tool calls
 * and tool results are not carried. */
static jv
chain_message(struct lr *l, const char *hash, const char *role, const char *sid)
{
	char mid[37];
	imp_uuid5(mid, sid, hash, NULL);
	snprintf(l->r->where, sizeof l->r->where, "message %.60s", hash);
	jv text = jv_string(""), atts = jv_array();
	sqlite3_reset(l->parts);
	lite_text(l->parts, 1, hash);
	while (step(l, l->parts)) {
		const char *type = (const char *)sqlite3_column_text(l->parts, 1);
		if (!type)
			continue;
		if (!strcmp(type, "text")) {
			text = jv_string_concat(text, part_text(l, l->parts));
		} else if (!strcmp(type, "attachment")) {
			sqlite3_reset(l->patts);
			sqlite3_bind_int64(l->patts, 1, sqlite3_column_int64(l->parts, 0));
			while (step(l, l->patts))
				atts = jv_array_append(atts, attachment(l, mid,
					jv_array_length(jv_copy(atts)) + 1, l->patts, 0, 1, 2, 3, ""));
		}
	}
	jv meta = new_meta(jv_null());
	meta = imp_set(meta, "attachments", atts);
	jv m = imp_new_message(role, text, 0, meta);
	m = imp_set(m, "id", jv_string(mid));
	return imp_set(m, "_hash", jv_string(hash));
}

/* The columns of l->tip: the turn that ended on a message, looked up by
 * the message (forks share messages, so it may be another thread's), the
 * first when llm logged it twice. */
enum { T_ID, T_PARENT, T_MODEL, T_RESOLVED, T_OPTIONS, T_IN, T_OUT, T_DUR, T_WHEN };

/* A thread's messages, oldest first, as records of session sid: the chain
 * from the root to tip, dated by the turns that wrote them (a turn's
 * input at its start, its output at its start plus its duration), a
 * reply with its turn's model, tokens, duration and options, the turn's
 * fragments on the prompt's context.files.  A system message that says
 * what the one before said is left out; so are tool messages, and
 * messages left empty once reasoning and tool calls are. */
static jv
chain_read(struct lr *l, const char *tip, const char *sid, int64_t dflt)
{
	jv hashes = jv_array(), roles = jv_array(), seen = jv_object();
	jv cur = tip ? jv_string(tip) : jv_null();
	while (jv_get_kind(cur) == JV_KIND_STRING) {
		const char *h = jv_string_value(cur);
		if (jv_object_has(jv_copy(seen), jv_copy(cur)))
			imp_bad(l->r, "message %.60s: its chain of parents loops", h);
		seen = jv_object_set(seen, jv_copy(cur), jv_true());
		sqlite3_reset(l->msg);
		lite_text(l->msg, 1, h);
		if (!step(l, l->msg))
			imp_bad(l->r, "message %.60s is not in messages", h);
		hashes = jv_array_append(hashes, jv_copy(cur));
		roles = jv_array_append(roles, col_str(l->msg, 1));
		jv next = col_str(l->msg, 0);
		jv_free(cur);
		cur = next;
	}
	jv_free(cur);
	jv_free(seen);
	int n = jv_array_length(jv_copy(hashes));
	/* oldest first */
	jv H = jv_array(), R = jv_array();
	for (int i = n - 1; i >= 0; i--) {
		H = jv_array_append(H, jv_array_get(jv_copy(hashes), i));
		R = jv_array_append(R, jv_array_get(jv_copy(roles), i));
	}
	jv_free(hashes);
	jv_free(roles);

	jv out = jv_array(), sys = jv_null();
	int start = 0;
	int64_t last = dflt;
	for (int i = 0; i < n; i++) {
		jv hi = jv_array_get(jv_copy(H), i);
		sqlite3_reset(l->tip);
		lite_text(l->tip, 1, jv_string_value(hi));
		jv_free(hi);
		int closes = step(l, l->tip);
		if (!closes && i < n - 1)
			continue;
		int p = i - 1;   /* the last message of the turn's input */
		int64_t begin = last, done = last;
		jv model = jv_null(), options = jv_invalid(), files = jv_array();
		jv in = jv_null(), outt = jv_null(), dur = jv_null();
		if (closes) {
			jv parent = col_str(l->tip, T_PARENT);
			if (jv_get_kind(parent) == JV_KIND_STRING) {
				for (p = i - 1; p >= start; p--) {
					jv hp = jv_array_get(jv_copy(H), p);
					int eq = jv_equal(hp, jv_copy(parent));
					if (eq)
						break;
				}
				if (p < start)
					p = i - 1;
			}
			jv_free(parent);
			jv tid = col_str(l->tip, T_ID);
			snprintf(l->r->where, sizeof l->r->where, "turn %.60s",
			         jv_get_kind(tid) == JV_KIND_STRING ? jv_string_value(tid) : "?");
			const char *when = (const char *)sqlite3_column_text(l->tip, T_WHEN);
			if (!when)
				imp_bad(l->r, "datetime_utc is missing");
			begin = imp_parse_time(l->r, "", "datetime_utc", when);
			dur = col_num(l->r, l->tip, T_DUR, "duration_ms");
			in = col_num(l->r, l->tip, T_IN, "input_tokens");
			outt = col_num(l->r, l->tip, T_OUT, "output_tokens");
			done = begin;
			if (jv_get_kind(dur) == JV_KIND_NUMBER && jv_number_value(dur) > 0)
				done += (int64_t)jv_number_value(dur);
			if (done > TIME_MAX_MS)
				imp_bad(l->r, "datetime_utc plus duration_ms is past the year 9999");
			model = col_str(l->tip, T_RESOLVED);
			if (jv_get_kind(model) != JV_KIND_STRING) {
				jv_free(model);
				model = col_str(l->tip, T_MODEL);
			}
			options = options_of(l, l->tip, T_OPTIONS);
			sqlite3_reset(l->tfrag);
			lite_text(l->tfrag, 1, jv_string_value(tid));
			while (step(l, l->tfrag))
				files = jv_array_append(files, fragment_ref(l->tfrag, 0, 1, 2));
			jv_free(tid);
		} else {
			p = i;   /* no turn wrote the end of the chain: all input */
		}
		/* the figures go on the turn's last reply with text */
		int last_reply = -1;
		jv seg = jv_array();
		for (int k = start; k <= i; k++) {
			jv hk = jv_array_get(jv_copy(H), k);
			jv rk = jv_array_get(jv_copy(R), k);
			const char *role = jv_get_kind(rk) == JV_KIND_STRING ? jv_string_value(rk) : "";
			if (strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "system")) {
				jv_free(hk);
				jv_free(rk);
				continue;
			}
			jv m = chain_message(l, jv_string_value(hk), role, sid);
			jv_free(hk);
			jv_free(rk);
			jv c = jv_object_get(jv_copy(m), jv_string("content"));
			jv md = jv_object_get(jv_copy(m), jv_string("metadata"));
			int natt = jv_array_length(jv_object_get(md, jv_string("attachments")));
			int keep = has_text(c) || (natt && strcmp(role, "system"));
			if (keep && !strcmp(role, "system")) {
				keep = !jv_equal(jv_copy(c), jv_copy(sys));
				if (keep) {
					jv_free(sys);
					sys = jv_copy(c);
				}
			}
			jv_free(c);
			if (!keep) {
				jv_free(m);
				continue;
			}
			int output = k > p;
			m = imp_set(m, "timestamp", cf_time_jv(output ? done : begin));
			if (output && !strcmp(role, "assistant")) {
				jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
				meta = imp_set(meta, "model", jv_copy(model));
				m = imp_set(m, "metadata", meta);
				last_reply = jv_array_length(jv_copy(seg));
			}
			seg = jv_array_append(seg, imp_set(m, "_input", jv_bool(!output)));
		}
		/* the fragments on the turn's prompt: its last input from the user */
		int prompt = -1;
		jv_array_foreach(seg, k, m) {
			if (!strcmp(cf_jstr(m, "role"), "user") &&
			    jv_get_kind(jv_object_get(jv_copy(m), jv_string("_input"))) == JV_KIND_TRUE)
				prompt = k;
			jv_free(m);
		}
		jv_array_foreach(seg, k, m) {
			m = jv_object_delete(m, jv_string("_input"));
			if (k == prompt && closes) {
				m = with_context(m, jv_copy(files));
			}
			if (k == last_reply) {
				int kin = jv_get_kind(in) == JV_KIND_NUMBER;
				int kout = jv_get_kind(outt) == JV_KIND_NUMBER;
				jv tokens = !kin && !kout ? jv_null() :
				            imp_check_num(l->r, jv_number((kin ? jv_number_value(in) : 0) +
				                                          (kout ? jv_number_value(outt) : 0)),
				                          "input_tokens and output_tokens", 0, COUNT_MAX, 1);
				jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
				meta = imp_set(meta, "tokens", tokens);
				meta = imp_set(meta, "processing_time", jv_copy(dur));
				meta = imp_set(meta, "inputTokens", jv_copy(in));
				meta = imp_set(meta, "outputTokens", jv_copy(outt));
				if (jv_is_valid(options))
					meta = imp_set(meta, "options", jv_copy(options));
				m = imp_set(m, "metadata", meta);
			}
			out = jv_array_append(out, m);
		}
		jv_free(seg);
		jv_free(files);
		jv_free(options);
		jv_free(model);
		jv_free(in);
		jv_free(outt);
		jv_free(dur);
		last = done;
		start = i + 1;
	}
	jv_free(sys);
	jv_free(H);
	jv_free(R);
	l->r->where[0] = '\0';
	return out;
}

/* The messages' newest time, or dflt (msgs consumed). */
static int64_t
newest(jv msgs, int64_t dflt)
{
	jv_array_foreach(msgs, i, m) {
		int64_t t;
		if (!cf_time_parse(cf_jstr(m, "timestamp"), &t) && t > dflt)
			dflt = t;
		jv_free(m);
		(void)i;
	}
	jv_free(msgs);
	return dflt;
}

static jv
strip_hashes(jv msgs)
{
	jv out = jv_array();
	jv_array_foreach(msgs, i, m) {
		out = jv_array_append(out, jv_object_delete(m, jv_string("_hash")));
		(void)i;
	}
	jv_free(msgs);
	return out;
}

/* The hashes of a thread's chain, as the keys of an object. */
static jv
chain_set(struct lr *l, const char *thread)
{
	jv set = jv_object();
	sqlite3_reset(l->ttip);
	lite_text(l->ttip, 1, thread);
	jv cur = step(l, l->ttip) ? col_str(l->ttip, 0) : jv_null();
	while (jv_get_kind(cur) == JV_KIND_STRING && !jv_object_has(jv_copy(set), jv_copy(cur))) {
		set = jv_object_set(set, jv_copy(cur), jv_true());
		sqlite3_reset(l->msg);
		lite_text(l->msg, 1, jv_string_value(cur));
		jv next = step(l, l->msg) ? col_str(l->msg, 0) : jv_null();
		jv_free(cur);
		cur = next;
	}
	jv_free(cur);
	return set;
}

/* Each thread not read with a conversation of the same id is a session:
 * named as the thread is, with the model of its latest turn (what
 * 'llm -c' goes on with); a first system message before anything else is
 * the session's system prompt.  A fork (forked_from) is a branch of the
 * thread it came from, at the last message they share. */
static void
threads_read(struct lr *l)
{
	struct rd *r = l->r;
	sqlite3_stmt *s = prep(l, "SELECT id, name, tip_message_hash, forked_from,"
	                          " datetime_utc FROM threads ORDER BY datetime_utc, id");
	r->stmt = s;
	while (step(l, s)) {
		jv id = col_str(s, 0);
		if (jv_get_kind(id) != JV_KIND_STRING)
			imp_bad(r, "a thread has no id");
		if (jv_object_has(jv_copy(l->threads_done), jv_copy(id))) {
			jv_free(id);
			continue;
		}
		snprintf(r->where, sizeof r->where, "thread %.60s", jv_string_value(id));
		const char *when = (const char *)sqlite3_column_text(s, 4);
		int64_t created = when ? imp_parse_time(r, "", "datetime_utc", when) : 0;
		char sid[37];
		imp_uuid5(sid, "llm", jv_string_value(id), NULL);
		const char *tip = (const char *)sqlite3_column_text(s, 2);
		jv msgs = chain_read(l, tip, sid, created);
		snprintf(r->where, sizeof r->where, "thread %.60s", jv_string_value(id));
		if (!jv_array_length(jv_copy(msgs))) {
			jv_free(msgs);
			jv_free(id);
			continue;
		}
		jv system = jv_null();
		jv first = jv_array_get(jv_copy(msgs), 0);
		if (!strcmp(cf_jstr(first, "role"), "system")) {
			system = jv_object_get(jv_copy(first), jv_string("content"));
			jv rest = jv_array();
			jv_array_foreach(msgs, i, m) {
				if (i)
					rest = jv_array_append(rest, m);
				else
					jv_free(m);
			}
			jv_free(msgs);
			msgs = rest;
		}
		jv_free(first);
		int64_t t0 = created;
		if (jv_array_length(jv_copy(msgs))) {
			jv m0 = jv_array_get(jv_copy(msgs), 0);
			if (!when)
				cf_time_parse(cf_jstr(m0, "timestamp"), &t0);
			jv_free(m0);
		}
		sqlite3_reset(l->tmodel);
		lite_text(l->tmodel, 1, jv_string_value(id));
		jv model = step(l, l->tmodel) ? col_str(l->tmodel, 0) : jv_null();
		jv sess = imp_new_session(jv_string(sid), col_str(s, 1), t0,
		                          newest(jv_copy(msgs), t0), NULL, model, system);
		jv from = col_str(s, 3);
		jv point = jv_null();
		if (jv_get_kind(from) == JV_KIND_STRING) {
			/* the last message this one shares with the thread it
			 * forked from, by the id it has there */
			jv shared = chain_set(l, jv_string_value(from));
			char psid[37];
			imp_uuid5(psid, "llm", jv_string_value(from), NULL);
			jv_array_foreach(msgs, i, m) {
				const char *mh = cf_jstr_or_null(m, "_hash");
				if (mh && jv_object_has(jv_copy(shared), jv_string(mh))) {
					char pm[37];
					imp_uuid5(pm, psid, mh, NULL);
					jv_free(point);
					point = jv_string(pm);
				}
				jv_free(m);
				(void)i;
			}
			jv_free(shared);
		}
		jv plan = imp_new_plan(r, sess, strip_hashes(msgs));
		r->plans = jv_array_append(r->plans, plan);
		if (jv_get_kind(from) == JV_KIND_STRING && jv_get_kind(point) == JV_KIND_STRING) {
			int last = jv_array_length(jv_copy(r->plans)) - 1;
			jv p = jv_array_get(jv_copy(r->plans), last);
			char psid[37];
			imp_uuid5(psid, "llm", jv_string_value(from), NULL);
			p = imp_set(p, "parent", jv_string(psid));
			p = imp_set(p, "branchPoint", point);
			point = jv_null();
			r->plans = jv_array_set(r->plans, last, p);
		}
		jv_free(point);
		jv_free(from);
		jv_free(id);
	}
	sqlite3_finalize(s);
	r->stmt = NULL;
	r->where[0] = '\0';
}

/* ---- llm 0.31 and before: conversations and responses ---- */

/* Python's str.strip() of ASCII blanks, as llm strips system prompts. */
static jv
trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return jv_string_sized(s, (int)n);
}

/* The conversation before, ended: when llm 0.32 went on with it (a
 * thread of its id), what the thread adds after the history it repeats. */
static void
llm_flush(struct lr *l, jv *sess, jv *msgs, jv conv, const char *where, int store)
{
	struct rd *r = l->r;
	if (!jv_is_valid(*sess)) {
		jv_free(conv);
		return;
	}
	if (store && jv_get_kind(conv) == JV_KIND_STRING) {
		sqlite3_reset(l->ttip);
		lite_text(l->ttip, 1, jv_string_value(conv));
		if (step(l, l->ttip)) {
			l->threads_done = jv_object_set(l->threads_done, jv_copy(conv), jv_true());
			jv tip = col_str(l->ttip, 0);
			const char *sid = cf_jstr(*sess, "id");
			int64_t last = 0;
			cf_time_parse(cf_jstr(*sess, "lastUpdated"), &last);
			jv chain = chain_read(l, jv_get_kind(tip) == JV_KIND_STRING ?
			                      jv_string_value(tip) : NULL, sid, last);
			jv_free(tip);
			/* the history as the responses gave it, the session's
			 * system prompt first */
			jv old = jv_array();
			jv st = jv_object_get(jv_copy(*sess), jv_string("settings"));
			const char *sp = cf_jstr_or_null(st, "systemPrompt");
			if (sp)
				old = jv_array_append(old, imp_set(imp_set(jv_object(), "role",
					jv_string("system")), "content", jv_string(sp)));
			jv_free(st);
			jv_array_foreach(*msgs, i, m) {
				old = jv_array_append(old, m);
				(void)i;
			}
			int n = jv_array_length(jv_copy(chain)), k = 0;
			int no = jv_array_length(jv_copy(old));
			for (; k < n && k < no; k++) {
				jv a = jv_array_get(jv_copy(chain), k), b = jv_array_get(jv_copy(old), k);
				int same = !strcmp(cf_jstr(a, "role"), cf_jstr(b, "role")) &&
				           !strcmp(cf_jstr(a, "content"), cf_jstr(b, "content"));
				jv_free(a);
				jv_free(b);
				if (!same)
					break;
			}
			jv_free(old);
			for (; k < n; k++)
				*msgs = jv_array_append(*msgs, jv_object_delete(
					jv_array_get(jv_copy(chain), k), jv_string("_hash")));
			jv_free(chain);
			int64_t upd = newest(jv_copy(*msgs), last);
			*sess = imp_set(*sess, "lastUpdated", cf_time_jv(upd));
		}
	}
	jv_free(conv);
	snprintf(r->where, sizeof r->where, "%s", where);
	r->plans = jv_array_append(r->plans, imp_new_plan(r, *sess, *msgs));
	*sess = jv_invalid();
	*msgs = jv_invalid();
}

/* The columns llm has had since its migration m010 made conversations and
 * responses; the token counts (m013) and the model that answered
 * (resolved_model) came later, and an older file lacks them, as it lacks
 * the fragments of m015. */
static void
legacy_read(struct lr *l, int store)
{
	struct rd *r = l->r;
	sqlite3 *db = l->db;
	static const char *const need[] = {"id", "model", "prompt", "system",
		"response", "conversation_id", "duration_ms", "datetime_utc"};
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
	int opt = has_column(db, "responses", "options_json");
	if (has_column(db, "prompt_fragments", "response_id") &&
	    has_column(db, "system_fragments", "response_id") &&
	    has_column(db, "fragments", "source"))
		l->pfrag = prep(l,
			"SELECT 'system', f.source, f.hash, f.content, sf.\"order\""
			" FROM system_fragments sf JOIN fragments f ON f.id = sf.fragment_id"
			" WHERE sf.response_id = ?1 UNION ALL"
			" SELECT 'prompt', f.source, f.hash, f.content, pf.\"order\""
			" FROM prompt_fragments pf JOIN fragments f ON f.id = pf.fragment_id"
			" WHERE pf.response_id = ?1 ORDER BY 1 DESC, 5");
	if (has_column(db, "prompt_attachments", "response_id") &&
	    has_column(db, "attachments", "content"))
		l->patt = prep(l,
			"SELECT a.type, a.path, a.url, a.content FROM prompt_attachments pa"
			" JOIN attachments a ON a.id = pa.attachment_id"
			" WHERE pa.response_id = ? ORDER BY pa.\"order\"");
	/* one of eight fixed queries: the optional columns or NULL in their place */
	static const char *const sql[2][2][2] = {
#define LLM_SQL(TOK, RES, OPT) \
		"SELECT r.id, r.conversation_id, c.name, c.model, r.model, r.prompt," \
		" r.system, r.response, r.duration_ms, r.datetime_utc, " TOK ", " RES \
		", " OPT " FROM responses r LEFT JOIN conversations c ON c.id = r.conversation_id" \
		" ORDER BY coalesce(r.conversation_id, r.id), r.datetime_utc, r.rowid"
		{{LLM_SQL("NULL, NULL", "NULL", "NULL"), LLM_SQL("NULL, NULL", "NULL", "r.options_json")},
		 {LLM_SQL("NULL, NULL", "r.resolved_model", "NULL"),
		  LLM_SQL("NULL, NULL", "r.resolved_model", "r.options_json")}},
		{{LLM_SQL("r.input_tokens, r.output_tokens", "NULL", "NULL"),
		  LLM_SQL("r.input_tokens, r.output_tokens", "NULL", "r.options_json")},
		 {LLM_SQL("r.input_tokens, r.output_tokens", "r.resolved_model", "NULL"),
		  LLM_SQL("r.input_tokens, r.output_tokens", "r.resolved_model", "r.options_json")}},
#undef LLM_SQL
	};
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql[tok][res][opt], -1, &s, NULL) != SQLITE_OK)
		imp_bad(r, "cannot read responses: %s", sqlite3_errmsg(db));
	r->stmt = s;
	jv sess = jv_invalid(), msgs = jv_invalid(), group = jv_null(), gconv = jv_null();
	jv cursys = jv_null();
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
		jv options = options_of(l, s, 13);
		int kin = jv_get_kind(in) == JV_KIND_NUMBER;
		int kout = jv_get_kind(out) == JV_KIND_NUMBER;
		/* as chat-send counts a reply: what went in and came out */
		jv tokens = !kin && !kout ? jv_null() :
		            imp_check_num(r, jv_number((kin ? jv_number_value(in) : 0) +
		                                       (kout ? jv_number_value(out) : 0)),
		                      "input_tokens and output_tokens", 0, COUNT_MAX, 1);
		if (!jv_equal(jv_copy(key), jv_copy(group))) {
			llm_flush(l, &sess, &msgs, gconv, swhere, store);
			jv_free(group);
			group = jv_copy(key);
			gconv = jv_copy(conv);
			jv_free(cursys);
			cursys = jv_null();
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
		char rwhere[sizeof r->where];
		snprintf(rwhere, sizeof rwhere, "%s", r->where);
		if (jv_get_kind(conv) == JV_KIND_STRING)
			snprintf(r->where, sizeof r->where, "conversation %.60s", jv_string_value(conv));
		snprintf(swhere, sizeof swhere, "%s", r->where);

		/* what llm sent: the fragments, then the prompt, a line each;
		 * the system fragments, then the system prompt, stripped, a
		 * blank line between */
		jv prompt = col_str(s, 5), system = col_str(s, 6);
		jv ptext = jv_string(""), stext = jv_string(""), files = jv_array();
		int np = 0, ns = 0;
		if (l->pfrag) {
			sqlite3_reset(l->pfrag);
			lite_text(l->pfrag, 1, jv_string_value(rid));
			while (step(l, l->pfrag)) {
				files = jv_array_append(files, fragment_ref(l->pfrag, 0, 1, 2));
				const char *c = (const char *)sqlite3_column_text(l->pfrag, 3);
				size_t cn = (size_t)sqlite3_column_bytes(l->pfrag, 3);
				if (!c)
					continue;
				if (*sqlite3_column_text(l->pfrag, 0) == 'p') {
					ptext = jv_string_concat(np++ ? jv_string_concat(ptext, jv_string("\n")) :
					                         ptext, jv_string_sized(c, (int)cn));
				} else {
					jv t = trimmed(c, cn);
					if (jv_string_length_bytes(jv_copy(t)))
						stext = jv_string_concat(ns++ ? jv_string_concat(stext,
							jv_string("\n\n")) : stext, t);
					else
						jv_free(t);
				}
			}
		}
		if (jv_get_kind(prompt) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(prompt)))
			ptext = jv_string_concat(np++ ? jv_string_concat(ptext, jv_string("\n")) : ptext,
			                         jv_copy(prompt));
		if (jv_get_kind(system) == JV_KIND_STRING) {
			jv t = trimmed(jv_string_value(system),
			               (size_t)jv_string_length_bytes(jv_copy(system)));
			if (jv_string_length_bytes(jv_copy(t)))
				stext = jv_string_concat(ns++ ? jv_string_concat(stext, jv_string("\n\n")) :
				                         stext, t);
			else
				jv_free(t);
		}
		jv_free(prompt);
		jv_free(system);

		/* the first system prompt is the session's; one that differs
		 * from the one in effect is a system message where it changed */
		if (ns && !jv_equal(jv_copy(stext), jv_copy(cursys))) {
			if (jv_get_kind(cursys) == JV_KIND_NULL && !jv_array_length(jv_copy(msgs))) {
				jv settings = jv_object_get(jv_copy(sess), jv_string("settings"));
				settings = imp_set(settings, "systemPrompt", jv_copy(stext));
				sess = imp_set(sess, "settings", settings);
			} else {
				char mid[37];
				imp_uuid5(mid, sid, jv_string_value(rid), "system");
				jv m = imp_new_message("system", jv_copy(stext), ms, new_meta(jv_null()));
				msgs = jv_array_append(msgs, imp_set(m, "id", jv_string(mid)));
			}
			jv_free(cursys);
			cursys = jv_copy(stext);
		}
		jv_free(stext);

		char mid[37];
		imp_uuid5(mid, sid, jv_string_value(rid), "prompt");
		jv atts = jv_array();
		if (l->patt) {
			sqlite3_reset(l->patt);
			lite_text(l->patt, 1, jv_string_value(rid));
			while (step(l, l->patt))
				atts = jv_array_append(atts, attachment(l, mid,
					jv_array_length(jv_copy(atts)) + 1, l->patt, 0, 1, 2, 3, ""));
		}
		jv reply = col_str(s, 7);
		int replied = jv_get_kind(reply) == JV_KIND_STRING && !imp_blank(reply);
		if (!imp_blank(ptext) || jv_array_length(jv_copy(atts))) {
			jv meta = new_meta(jv_null());
			meta = imp_set(meta, "attachments", atts);
			if (!replied && jv_is_valid(options))
				meta = imp_set(meta, "options", jv_copy(options));
			jv m = imp_new_message("user", ptext, ms, meta);
			m = with_context(m, files);
			msgs = jv_array_append(msgs, imp_set(m, "id", jv_string(mid)));
		} else {
			jv_free(ptext);
			jv_free(atts);
			jv_free(files);
		}
		int64_t done = ms;
		if (jv_get_kind(dur) == JV_KIND_NUMBER && jv_number_value(dur) > 0)
			done += (int64_t)jv_number_value(dur);
		if (done > TIME_MAX_MS) {
			snprintf(r->where, sizeof r->where, "%s", rwhere);
			imp_bad(r, "datetime_utc plus duration_ms is past the year 9999");
		}
		if (replied) {
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
			if (jv_is_valid(options))
				meta = imp_set(meta, "options", jv_copy(options));
			jv m = imp_new_message("assistant", reply, done, meta);
			msgs = jv_array_append(msgs, imp_set(m, "id", jv_string(mid)));
		} else {
			jv_free(reply);
			jv_free(tokens);
			jv_free(in);
			jv_free(out);
		}
		jv_free(options);
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
	llm_flush(l, &sess, &msgs, gconv, swhere, store);
	jv_free(group);
	jv_free(cursys);
	r->where[0] = '\0';
}

static void
llm_read(struct rd *r, sqlite3 *db)
{
	/* a damaged file fails every look at its tables: said as such, not
	 * as a file without llm's */
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW)
		imp_bad(r, "cannot read the database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	struct lr l = {.r = r, .db = db, .threads_done = jv_object()};
	int legacy = has_column(db, "responses", "id");
	int store = has_column(db, "threads", "tip_message_hash") &&
	            has_column(db, "turns", "tip_message_hash") &&
	            has_column(db, "messages", "parent_hash") &&
	            has_column(db, "parts", "message_hash");
	if (!legacy && !store)
		imp_bad(r, "not an llm logs.db: it has no responses table");
	int before = jv_array_length(jv_copy(r->plans));
	if (store) {
		l.msg = prep(&l, "SELECT parent_hash, role FROM messages WHERE hash = ?");
		l.parts = prep(&l, "SELECT id, type, text, payload FROM parts"
		                   " WHERE message_hash = ? ORDER BY position");
		l.frag = prep(&l, "SELECT content FROM fragments WHERE id = ?");
		l.patts = prep(&l, "SELECT a.type, a.path, a.url, a.content FROM part_attachments pa"
		                   " JOIN attachments a ON a.id = pa.attachment_id"
		                   " WHERE pa.part_id = ? ORDER BY pa.\"order\"");
		l.tip = prep(&l, "SELECT id, parent_message_hash, model, resolved_model,"
		                 " options_json, input_tokens, output_tokens, duration_ms,"
		                 " datetime_utc FROM turns WHERE tip_message_hash = ?"
		                 " ORDER BY datetime_utc, id LIMIT 1");
		l.tfrag = prep(&l, "SELECT tf.kind, f.source, f.hash FROM turn_fragments tf"
		                   " JOIN fragments f ON f.id = tf.fragment_id"
		                   " WHERE tf.turn_id = ? ORDER BY tf.kind DESC, tf.\"order\"");
		l.tmodel = prep(&l, "SELECT model FROM turns WHERE thread_id = ?"
		                    " ORDER BY datetime_utc DESC, id DESC LIMIT 1");
		l.ttip = prep(&l, "SELECT tip_message_hash FROM threads WHERE id = ?");
	}
	if (legacy)
		legacy_read(&l, store);
	if (store)
		threads_read(&l);
	jv_free(l.threads_done);
	/* the statements are finalized by read_llm's close, or failed()'s */
	if (jv_array_length(jv_copy(r->plans)) == before)
		cf_warn("%s: an llm logs.db with no conversations, nothing to import", r->name);
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
	for (sqlite3_stmt *q; (q = sqlite3_next_stmt(db, NULL));)
		sqlite3_finalize(q);
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
