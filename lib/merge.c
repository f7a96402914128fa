/* merge.c — one session's messages into another (chat-merge, /merge). */
#include <stdlib.h>
#include <string.h>

#include "priv.h"

/* A message to place: its seq where it is, its time, and its seq after. */
struct mrow {
	int64_t seq, to;
	int64_t ts;
};

struct mrows {
	struct mrow *v;
	size_t n, cap;
	size_t notes;              /* rows whose extra holds notes */
};

static jv
read_rows(cf_store *st, cf_sql_stmt *s, struct mrows *out, const char *what)
{
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		if (out->n == out->cap)
			out->v = cf_xrealloc(out->v, sizeof *out->v *
			                     (out->cap = out->cap ? out->cap * 2 : 256));
		out->v[out->n].seq = cf_sql_column_int64(s, 0);
		out->v[out->n].ts = cf_sql_column_int64(s, 1);
		out->v[out->n].to = 0;
		out->notes += cf_sql_column_int(s, 2) != 0;
		out->n++;
	}
	jv r = rc == CF_SQL_DONE ? jv_true() : cf_store_error(st, what);
	cf_sql_reset(s);
	return r;
}

/* The seq, in session sid, of message id; 0 when it is not there. */
static jv
seq_of(cf_store *st, const char *id, const char *sid, int64_t *seq)
{
	static const char sql[] =
		"SELECT seq FROM messages WHERE id = ?1 AND session_id = ?2";
	*seq = 0;
	if (!id)
		return jv_true();
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	cf_bind_text(s, 2, sid);
	int rc = cf_sql_step(s);
	if (rc == CF_SQL_ROW)
		*seq = cf_sql_column_int64(s, 0);
	jv r = rc == CF_SQL_ROW || rc == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "reading a branch point");
	cf_sql_reset(s);
	return r;
}

/* from and its ancestors, nearest first, as [[id, least, point], ...]:
 * from's first least messages are copies of that ancestor's (the fewest
 * any branch on the way took), point the branch point in it; from itself
 * first, with least -1 (all). */
static jv
ancestors(cf_store *st, jv from, jv *out)
{
	*out = JV_ARRAY(JV_ARRAY(jv_string(cf_jstr(from, "id")), jv_number(-1),
	                         jv_null()));
	jv cur = jv_copy(from);
	double least = -1;
	/* bounded, should parents (imported) ever run in a circle */
	for (int depth = 0; depth < 256; depth++) {
		const char *parent = cf_jstr(cur, "parentSessionId");
		int64_t k = 0;
		jv r = seq_of(st, cf_jstr_or_null(cur, "branchPoint"), parent, &k);
		if (cf_is_error(r)) {
			jv_free(cur);
			return r;
		}
		if (!k)
			break;
		least = least >= 0 && least < (double)k ? least : (double)k;
		*out = jv_array_append(*out, JV_ARRAY(jv_string(parent),
		                       jv_number(least),
		                       jv_string(cf_jstr(cur, "branchPoint"))));
		jv next = cf_session_get(st, parent);
		jv_free(cur);
		cur = next;
		if (!jv_is_valid(cur))
			return cf_is_error(cur) ? cur : jv_true();
	}
	jv_free(cur);
	return jv_true();
}

/* How many of src's first messages are copies of dst's own (*after):
 * when one is a branch of the other, or both of one session, however far
 * up, the fewest either took from their nearest common ancestor; *point
 * the branch point in it.  0 for sessions not related. */
static jv
shared(cf_store *st, jv src, jv dst, int64_t *after, jv *point)
{
	jv as, ad;
	jv r = ancestors(st, src, &as);
	if (!cf_is_error(r)) {
		jv_free(r);
		r = ancestors(st, dst, &ad);
		if (cf_is_error(r))
			jv_free(ad);
	}
	if (cf_is_error(r)) {
		jv_free(as);
		return r;
	}
	int found = 0;
	jv_array_foreach(as, i, a) {
		jv_array_foreach(ad, j, d) {
			jv ai = jv_array_get(jv_copy(a), 0), di = jv_array_get(jv_copy(d), 0);
			if (!found && jv_equal(ai, di)) {
				found = 1;
				double ls = jv_number_value(jv_array_get(jv_copy(a), 1));
				double ld = jv_number_value(jv_array_get(jv_copy(d), 1));
				double n = ls < 0 ? ld : ld < 0 || ls < ld ? ls : ld;
				*after = n > 0 ? (int64_t)n : 0;
				jv_free(*point);
				/* the branch point where src (else dst) left it */
				*point = jv_array_get(jv_copy(i ? a : d), 2);
			}
			jv_free(d);
			(void)j;
		}
		jv_free(a);
	}
	jv_free(as);
	jv_free(ad);
	return r;
}

/* The merge of source into dst recorded in dst's metadata, or jv_null(). */
static jv
recorded(jv dst, const char *sid)
{
	jv merges = cf_jpath(dst, "metadata.merges");
	jv found = jv_null();
	if (jv_get_kind(merges) == JV_KIND_ARRAY) {
		jv_array_foreach(merges, i, m) {
			if (jv_get_kind(m) == JV_KIND_OBJECT &&
			    !strcmp(cf_jstr(m, "source"), sid)) {
				jv_free(found);
				found = m;
			} else {
				jv_free(m);
			}
		}
	}
	jv_free(merges);
	return found;
}

/* Where the sources's messages go: after dst's (append), or among them
 * by time, each side keeping its own order, dst's first at the same
 * time.  dst's rows from the first one that moves get their new seq in
 * .to (0: stays); *base is the seq after which everything moves. */
static void
place(struct mrows *src, struct mrows *dst, int interleave,
      int64_t *base)
{
	size_t i = 0, j = 0;
	int64_t last = dst->n ? dst->v[dst->n - 1].seq : 0;
	if (!interleave) {
		for (; j < src->n; j++)
			src->v[j].to = last + (int64_t)j + 1;
		*base = last;
		return;
	}
	/* dst's rows before the first source row stay where they are */
	while (i < dst->n && (!src->n || dst->v[i].ts <= src->v[0].ts))
		i++;
	*base = i ? dst->v[i - 1].seq : 0;
	int64_t next = *base;
	while (i < dst->n || j < src->n) {
		if (j < src->n && (i == dst->n || src->v[j].ts < dst->v[i].ts))
			src->v[j++].to = ++next;
		else
			dst->v[i++].to = ++next;
	}
}

/* [[seq, new seq, new id], ...] for json_each: one statement copies them
 * all, however many. */
static char *
map_json(const struct mrows *src)
{
	char *buf = cf_xmalloc(src->n * 80 + 3), *p = buf;
	*p++ = '[';
	for (size_t j = 0; j < src->n; j++) {
		char id[37];
		cf_uuid7(id);
		p += sprintf(p, "%s[%lld,%lld,\"%s\"]", j ? "," : "",
		             (long long)src->v[j].seq, (long long)src->v[j].to, id);
	}
	*p++ = ']';
	*p = '\0';
	return buf;
}

/* The copies' notes under new ids: a note's id names one note in the
 * store, for chat-note --rm. */
static jv
renew_notes(cf_store *st, const char *map)
{
	static const char sql[] =
		"UPDATE messages SET extra = json_set(extra, '$.notes',"
		" (SELECT json_group_array(CASE WHEN n.type = 'object' THEN"
		" json_set(n.value, '$.id', uuid7()) WHEN n.type = 'text' THEN"
		" json_quote(n.value) ELSE json(n.value) END)"
		" FROM json_each(messages.extra, '$.notes') n))"
		" WHERE id IN (SELECT json_extract(value, '$[2]') FROM json_each(?1))"
		" AND json_type(extra, '$.notes') = 'array'";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_sql_bind_text(s, 1, map, -1, CF_SQL_STATIC);
	jv r = cf_exec_stmt(st, s, "merging notes");
	cf_sql_bind_null(s, 1);
	return r;
}

/* The messages and their attachments, in the caller's transaction; dst's
 * rows from base on moved aside first, then to their places. */
static jv
copy_in(cf_store *st, const char *sid, const char *did, struct mrows *src,
        struct mrows *dst, int64_t base, int interleave)
{
	/* mergedFrom says where each came from; a reply still arriving is
	 * taken as far as it has come, whole and marked incomplete, as a
	 * branch takes it */
	static const char msgs[] =
		"INSERT INTO messages (id, session_id, seq, role, content,"
		" timestamp, tokens, model, processing_time, reactions, edits,"
		" extra, activity_events, plugin_commands, files, parts, author)"
		" SELECT json_extract(j.value, '$[2]'), ?2,"
		" CAST(json_extract(j.value, '$[1]') AS BIGINT), m.role, " CF_MESSAGE_CONTENT ","
		" m.timestamp, m.tokens, m.model, m.processing_time, m.reactions,"
		" m.edits, json_set(CASE WHEN m.pending IS NULL THEN m.extra ELSE"
		" CAST(json_set(m.extra, '$.incomplete', json('true')) AS TEXT) END,"
		" '$.mergedFrom', json_object('session', ?1, 'message', m.id, 'origin',"
		" coalesce(json_extract(m.extra, '$.mergedFrom.origin'), m.id))),"
		" m.activity_events, m.plugin_commands, m.files, m.parts, m.author"
		" FROM json_each(?3) j JOIN messages m ON m.session_id = ?1"
		" AND m.seq = CAST(json_extract(j.value, '$[0]') AS BIGINT) ORDER BY j.key";
	static const char which[] =
		"SELECT a.n, json_extract(j.value, '$[2]'), a.type, a.name, a.size,"
		" a.mime_type, typeof(a.content), length(a.content)"
		" FROM json_each(?2) j JOIN messages om ON om.session_id = ?1"
		" AND om.seq = CAST(json_extract(j.value, '$[0]') AS BIGINT)"
		" JOIN attachments a ON a.message_id = om.id ORDER BY j.key, a.n";
	static const char aside[] =
		"UPDATE messages SET seq = -seq WHERE session_id = ?1 AND seq > ?2";
	static const char back[] =
		"UPDATE messages SET seq = ?3 WHERE session_id = ?1 AND seq = ?2";
	jv r = cf_store_bulk(st, did);
	cf_sql_stmt *s;
	/* UNIQUE(session_id, seq): the rows that move go to -seq while the
	 * new ones take their places */
	if (!cf_is_error(r) && interleave && dst->n && dst->v[dst->n - 1].seq > base) {
		s = cf_stmt(st, aside);
		cf_bind_text(s, 1, did);
		cf_sql_bind_int64(s, 2, base);
		r = cf_exec_stmt(st, s, "merging messages");
	}
	char *map = map_json(src);
	if (!cf_is_error(r)) {
		s = cf_stmt(st, msgs);
		cf_bind_text(s, 1, sid);
		cf_bind_text(s, 2, did);
		cf_sql_bind_text(s, 3, map, -1, CF_SQL_STATIC);
		r = cf_exec_stmt(st, s, "merging messages");
	}
	if (!cf_is_error(r) && (size_t)cf_sql_changes(st->db) != src->n)
		r = cf_error(CF_EX_STORE, "%s: merging messages: %lld of %zu copied",
		             st->path, (long long)cf_sql_changes(st->db), src->n);
	for (size_t i = 0; interleave && !cf_is_error(r) && i < dst->n; i++) {
		if (!dst->v[i].to)
			continue;
		s = cf_stmt(st, back);
		cf_bind_text(s, 1, did);
		cf_sql_bind_int64(s, 2, -dst->v[i].seq);
		cf_sql_bind_int64(s, 3, dst->v[i].to);
		r = cf_exec_stmt(st, s, "merging messages");
	}
	if (!cf_is_error(r)) {
		s = cf_stmt(st, which);
		cf_bind_text(s, 1, sid);
		cf_sql_bind_text(s, 2, map, -1, CF_SQL_STATIC);
		r = cf_attachments_copy(st, s);
		cf_sql_bind_null(s, 2);
	}
	/* 10,000 lookups by id found nothing to do when no row has notes:
	 * 10 ms of a 200 ms merge */
	if (!cf_is_error(r) && src->notes)
		r = renew_notes(st, map);
	if (!cf_is_error(r))
		r = cf_store_bulk(st, NULL);
	s = cf_stmt(st, msgs);
	cf_sql_bind_null(s, 3);   /* no pointer left to what is freed now */
	free(map);
	return r;
}

/* dst's metadata.merges with this merge at its end, and dst touched. */
static jv
record(cf_store *st, jv src, jv dst, long n, jv after, int flags)
{
	static const char sql[] =
		"UPDATE sessions SET extra = json_set(extra, '$.merges', json(?2)),"
		" last_updated = max(last_updated, ?3) WHERE id = ?1";
	int64_t now = cf_now_ms();
	jv m = jv_object();
	m = jv_object_set(m, jv_string("source"), jv_string(cf_jstr(src, "id")));
	m = jv_object_set(m, jv_string("sourceName"), jv_string(cf_jstr(src, "name")));
	m = jv_object_set(m, jv_string("messages"), jv_number((double)n));
	m = jv_object_set(m, jv_string("at"), cf_time_jv(now));
	m = jv_object_set(m, jv_string("interleave"),
	                  jv_bool(flags & CF_MERGE_INTERLEAVE));
	m = jv_object_set(m, jv_string("after"), after);
	m = jv_object_set(m, jv_string("sourceRemoved"),
	                  jv_bool(flags & CF_MERGE_REMOVE));
	jv merges = cf_jpath(dst, "metadata.merges");
	if (jv_get_kind(merges) != JV_KIND_ARRAY) {
		jv_free(merges);
		merges = jv_array();
	}
	merges = jv_array_append(merges, m);
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, cf_jstr(dst, "id"));
	cf_bind_jv(s, 2, merges);
	cf_sql_bind_int64(s, 3, now);
	return cf_exec_stmt(st, s, "recording the merge");
}

static jv
gone(jv rec)
{
	return cf_error(CF_EX_NOTFOUND, "session '%s' is gone", cf_jstr(rec, "name"));
}

/* Both sessions read again under the write lock: *s and *d, or an error. */
static jv
reread(cf_store *st, jv src, jv dst, jv *s, jv *d)
{
	*s = cf_session_get(st, cf_jstr(src, "id"));
	*d = jv_invalid();
	if (!jv_is_valid(*s))
		return cf_is_error(*s) ? jv_copy(*s) : gone(src);
	*d = cf_session_get(st, cf_jstr(dst, "id"));
	if (!jv_is_valid(*d))
		return cf_is_error(*d) ? jv_copy(*d) : gone(dst);
	return jv_true();
}

/* Under the lock: the merge, or (*taken -1) nothing when it is done. */
static jv
merge_in(cf_store *st, jv src, jv dst, int flags, long *taken)
{
	static const char src_rows[] =
		"SELECT m.seq, m.timestamp, CASE WHEN json_type(m.extra, '$.notes') = 'array'"
		" THEN 1 ELSE 0 END FROM messages m WHERE m.session_id = ?1"
		" AND m.seq > ?2 AND (?3 = 0 OR m.id NOT IN (SELECT"
		" json_extract(t.extra, '$.mergedFrom.message') FROM messages t"
		" WHERE t.session_id = ?4 AND json_extract(t.extra,"
		" '$.mergedFrom.session') = ?1 AND json_extract(t.extra,"
		" '$.mergedFrom.message') IS NOT NULL))"
		" AND json_extract(m.extra, '$.mergedFrom.session') IS DISTINCT FROM ?4"
		" AND coalesce(json_extract(m.extra, '$.mergedFrom.origin'), m.id) NOT IN"
		" (SELECT coalesce(json_extract(t.extra, '$.mergedFrom.origin'), t.id)"
		" FROM messages t WHERE t.session_id = ?4)"
		" ORDER BY m.seq";
	/* copies of dst's own messages, merged into src before: what src
	 * holds of dst already, not to be copied back */
	static const char src_copies[] =
		"SELECT EXISTS (SELECT 1 FROM messages WHERE session_id = ?1"
		" AND json_extract(extra, '$.mergedFrom.session') = ?2)";
	static const char dst_rows[] =
		"SELECT seq, timestamp, 0 FROM messages WHERE session_id = ?1"
		" ORDER BY seq";
	static const char dst_last[] =
		"SELECT seq, timestamp, 0 FROM messages WHERE session_id = ?1"
		" ORDER BY seq DESC LIMIT 1";
	const char *sid = cf_jstr(src, "id"), *did = cf_jstr(dst, "id");
	/* a branch of dst (or dst a branch of it), or a branch of a branch,
	 * holds copies of the messages up to its branch point: only those
	 * after it are new */
	int64_t after = 0;
	jv point = jv_null();
	jv r = shared(st, src, dst, &after, &point);
	if (cf_is_error(r)) {
		jv_free(point);
		return r;
	}
	jv was = recorded(dst, sid);
	int again = jv_get_kind(was) == JV_KIND_OBJECT;
	jv_free(was);
	if (!again) {
		cf_sql_stmt *c = cf_stmt(st, src_copies);
		cf_bind_text(c, 1, sid);
		cf_bind_text(c, 2, did);
		int rc = cf_sql_step(c);
		if (rc == CF_SQL_ROW)
			again = cf_sql_column_int(c, 0);
		r = rc == CF_SQL_ROW ? jv_true() :
		    cf_store_error(st, "reading messages to merge");
		cf_sql_reset(c);
		if (cf_is_error(r))
			return r;
	}

	struct mrows sr = {0}, dr = {0};
	cf_sql_stmt *s = cf_stmt(st, src_rows);
	cf_bind_text(s, 1, sid);
	cf_sql_bind_int64(s, 2, after);
	cf_sql_bind_int(s, 3, again);
	cf_bind_text(s, 4, did);
	r = read_rows(st, s, &sr, "reading messages to merge");
	if (!cf_is_error(r) && again && !sr.n) {
		*taken = -1;
	} else if (!cf_is_error(r)) {
		int inter = (flags & CF_MERGE_INTERLEAVE) != 0;
		s = cf_stmt(st, inter ? dst_rows : dst_last);
		cf_bind_text(s, 1, did);
		r = read_rows(st, s, &dr, "reading messages to merge");
		int64_t base = 0;
		if (!cf_is_error(r)) {
			place(&sr, &dr, inter, &base);
			r = copy_in(st, sid, did, &sr, &dr, base, inter);
		}
		*taken = (long)sr.n;
		if (!cf_is_error(r))
			r = record(st, src, dst, *taken, after ? jv_copy(point) : jv_null(),
			           flags);
		if (!cf_is_error(r) && (flags & CF_MERGE_REMOVE))
			r = cf_session_delete(st, sid);
	}
	free(sr.v);
	free(dr.v);
	jv_free(point);
	return r;
}

jv
cf_session_merge(cf_store *st, jv src, jv dst, int flags, long *taken)
{
	*taken = 0;
	if (!strcmp(cf_jstr(src, "id"), cf_jstr(dst, "id")))
		return cf_usage_error("cannot merge session '%s' into itself",
		                      cf_jstr(src, "name"));
	jv r = cf_store_begin(st);
	if (cf_is_error(r))
		return r;
	jv_free(r);
	jv s, d;
	r = reread(st, src, dst, &s, &d);
	if (!cf_is_error(r))
		r = merge_in(st, s, d, flags, taken);
	jv_free(s);
	if (cf_is_error(r)) {
		jv_free(d);
		cf_store_rollback(st);
		return r;
	}
	jv_free(r);
	if (*taken < 0) {
		cf_store_rollback(st);   /* nothing was written */
		return d;
	}
	jv_free(d);
	r = cf_store_commit(st);
	if (cf_is_error(r))
		return r;
	jv_free(r);
	d = cf_session_get(st, cf_jstr(dst, "id"));
	return jv_is_valid(d) || cf_is_error(d) ? d : gone(dst);
}
