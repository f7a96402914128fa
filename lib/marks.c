/* marks.c — what people put on messages and take off them: reactions
 * (metadata.reactions, {emoji, user, timestamp}), notes (metadata.notes
 * in messages.extra, {id, author, timestamp, text, quote?}) and deleting
 * messages (chat-react, chat-note, chat-rm --message; confab's /react,
 * /note, /rm).  Each change is one transaction that reads the row again
 * under the write lock, so twenty programs at once lose nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "priv.h"

/* ---- one emoji ---- */

static uint32_t
next_cp(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	size_t n = cf_utf8_len(s, end);   /* 0 for ASCII (the text is valid) */
	uint32_t c = n <= 1 ? s[0] : n == 2 ? s[0] & 0x1f : n == 3 ? s[0] & 0x0f : s[0] & 0x07;
	for (size_t i = 1; i < n; i++)
		c = c << 6 | (s[i] & 0x3f);
	*p = s + (n ? n : 1);
	return c;
}

static int
regional(uint32_t c)
{
	return c >= 0x1F1E6 && c <= 0x1F1FF;
}

static int
skin(uint32_t c)
{
	return c >= 0x1F3FB && c <= 0x1F3FF;
}

/* The blocks emoji come from (arrows, technical, geometric shapes, misc
 * symbols, dingbats, the supplementary planes' pictographs) and the few
 * strays elsewhere: a rule a person can check, not Unicode's table. */
static int
pictograph(uint32_t c)
{
	static const uint32_t strays[] = {0xA9, 0xAE, 0x203C, 0x2049, 0x2122, 0x2139,
	                                  0x24C2, 0x3030, 0x303D, 0x3297, 0x3299};
	for (size_t i = 0; i < sizeof strays / sizeof *strays; i++)
		if (c == strays[i])
			return 1;
	return (c >= 0x2190 && c <= 0x21FF) || (c >= 0x2300 && c <= 0x23FF) ||
	       (c >= 0x25A0 && c <= 0x27BF) || (c >= 0x2900 && c <= 0x297F) ||
	       (c >= 0x2B00 && c <= 0x2BFF) ||
	       (c >= 0x1F000 && c <= 0x1FAFF && !regional(c) && !skin(c));
}

int
cf_emoji_one(const char *text)
{
	size_t len = strlen(text);
	if (!len || len > 64 || !cf_utf8_valid(text, len))
		return 0;
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	uint32_t c = next_cp(&p, end);
	if (regional(c))   /* a flag: two regional indicators, nothing more */
		return p < end && regional(next_cp(&p, end)) && p == end;
	if ((c >= '0' && c <= '9') || c == '#' || c == '*') {   /* a keycap */
		uint32_t d = p < end ? next_cp(&p, end) : 0;
		if (d == 0xFE0F)
			d = p < end ? next_cp(&p, end) : 0;
		return d == 0x20E3 && p == end;
	}
	/* pictographs joined by ZWJ, each with an optional VS16 or skin tone
	 * and, for subdivision flags, a tag sequence */
	for (;;) {
		if (!pictograph(c))
			return 0;
		if (p == end)
			return 1;
		c = next_cp(&p, end);
		if (c == 0xFE0F || skin(c)) {
			if (p == end)
				return 1;
			c = next_cp(&p, end);
		}
		if (c >= 0xE0020 && c <= 0xE007E) {
			while (c >= 0xE0020 && c <= 0xE007E && p < end)
				c = next_cp(&p, end);
			return c == 0xE007F && p == end;
		}
		if (c != 0x200D || p == end)
			return 0;
		c = next_cp(&p, end);
	}
}

/* ---- the row ---- */

struct row {
	int found, pending;
	jv content, reactions, extra;
};

static void
row_free(struct row *r)
{
	jv_free(r->content);
	jv_free(r->reactions);
	jv_free(r->extra);
}

static jv
gone(const char *id)
{
	return cf_error(CF_EX_NOTFOUND, "message '%s' was deleted; nothing changed", id);
}

/* Read in the caller's transaction: a missing message is gone(), a reply
 * still arriving refused. */
static jv
read_row(cf_store *st, const char *id, struct row *r)
{
	static const char sql[] =
		"SELECT content, reactions, extra, pending IS NOT NULL FROM messages"
		" WHERE id = ?1";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	memset(r, 0, sizeof *r);
	r->content = r->reactions = r->extra = jv_null();
	if (rc == CF_SQL_ROW) {
		r->found = 1;
		r->content = cf_col_text(s, 0);
		r->reactions = cf_col_json(s, 1);
		if (jv_get_kind(r->reactions) != JV_KIND_ARRAY) {
			jv_free(r->reactions);
			r->reactions = jv_array();
		}
		r->extra = cf_col_json(s, 2);
		if (jv_get_kind(r->extra) != JV_KIND_OBJECT) {
			jv_free(r->extra);
			r->extra = jv_object();
		}
		r->pending = cf_sql_column_int(s, 3);
	}
	jv e = rc == CF_SQL_ROW || rc == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "reading a message");
	cf_sql_reset(s);
	if (jv_is_valid(e) && !r->found) {
		jv_free(e);
		e = gone(id);
	} else if (jv_is_valid(e) && r->pending) {
		jv_free(e);
		e = cf_error(CF_EX_FAIL, "message '%s' is a reply still arriving; "
		             "nothing changed", id);
	}
	if (!jv_is_valid(e))
		row_free(r);
	return e;
}

static jv
begin(cf_store *st, const char *id, struct row *r)
{
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	e = read_row(st, id, r);
	if (!jv_is_valid(e))
		cf_store_rollback(st);
	return e;
}

/* Commits e's change (or rolls back on its error): then out, or the
 * error with out freed. */
static jv
finish(cf_store *st, jv e, jv out)
{
	if (!jv_is_valid(e)) {
		cf_store_rollback(st);
		jv_free(out);
		return e;
	}
	jv_free(e);
	jv c = cf_store_commit(st);
	if (!jv_is_valid(c)) {
		jv_free(out);
		return c;
	}
	jv_free(c);
	return out;
}

static jv
message_now(cf_store *st, const char *id)
{
	jv m = cf_message_get(st, id);
	return jv_is_valid(m) || cf_is_error(m) ? m : (jv_free(m), gone(id));
}

/* ---- reactions ---- */

/* The same emoji, VS16 (U+FE0F, EF B8 8F) aside: keyboards give ❤ and
 * ❤️ alike for one heart, and a user has one of each. */
static int
same_emoji(const char *a, const char *b)
{
	for (;;) {
		while (!strncmp(a, "\xef\xb8\x8f", 3))
			a += 3;
		while (!strncmp(b, "\xef\xb8\x8f", 3))
			b += 3;
		if (*a != *b)
			return 0;
		if (!*a)
			return 1;
		a++, b++;
	}
}

jv
cf_react(cf_store *st, const char *id, const char *emoji, int remove, int *changed)
{
	static const char upd[] = "UPDATE messages SET reactions = ?2 WHERE id = ?1";
	*changed = 0;
	if (!cf_emoji_one(emoji))
		return cf_error(CF_EX_USAGE, "invalid reaction '%s': expected one emoji "
		                "(chat-react(1)); nothing changed", emoji);
	struct row r;
	jv e = begin(st, id, &r);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	const char *user = cf_store_user(st);
	jv out = jv_array();
	int had = 0;
	jv_array_foreach(r.reactions, i, x) {
		int mine = jv_get_kind(x) == JV_KIND_OBJECT &&
		           same_emoji(cf_jstr(x, "emoji"), emoji) && !strcmp(cf_jstr(x, "user"), user);
		had |= mine;
		if (mine && remove)
			jv_free(x);
		else
			out = jv_array_append(out, x);
		(void)i;
	}
	if (had == remove) {
		if (!remove) {
			jv x = jv_object_set(jv_object(), jv_string("emoji"), jv_string(emoji));
			x = jv_object_set(x, jv_string("user"), jv_string(user));
			x = jv_object_set(x, jv_string("timestamp"), cf_time_jv(cf_now_ms()));
			out = jv_array_append(out, x);
		}
		cf_sql_stmt *s = cf_stmt(st, upd);
		cf_bind_text(s, 1, id);
		cf_bind_jv(s, 2, out);
		e = cf_exec_stmt(st, s, "changing a message's reactions");
		*changed = jv_is_valid(e);
	} else {
		jv_free(out);
		e = jv_true();
	}
	row_free(&r);
	if (!jv_is_valid(e)) {
		*changed = 0;
		return finish(st, e, jv_null());
	}
	jv m = message_now(st, id);
	if (!jv_is_valid(m)) {
		*changed = 0;
		return finish(st, m, jv_null());
	}
	jv done = finish(st, e, m);
	if (!jv_is_valid(done))
		*changed = 0;
	return done;
}

/* ---- notes ---- */

static jv
notes_of(jv extra)
{
	jv n = jv_object_get(jv_copy(extra), jv_string("notes"));
	if (jv_get_kind(n) != JV_KIND_ARRAY) {
		jv_free(n);
		return jv_array();
	}
	return n;
}

/* extra with notes (consumed), the key gone when there are none, so the
 * partial index messages_noted (store.c) holds only messages with notes */
static jv
write_notes(cf_store *st, const char *id, jv extra, jv notes)
{
	static const char upd[] = "UPDATE messages SET extra = ?2 WHERE id = ?1";
	if (jv_array_length(jv_copy(notes)) > 0) {
		extra = jv_object_set(extra, jv_string("notes"), notes);
	} else {
		jv_free(notes);
		extra = jv_object_delete(extra, jv_string("notes"));
	}
	cf_sql_stmt *s = cf_stmt(st, upd);
	cf_bind_text(s, 1, id);
	cf_bind_jv(s, 2, extra);
	return cf_exec_stmt(st, s, "changing a message's notes");
}

static jv
note_record(jv note, const char *mid, const char *sid)
{
	jv r = jv_object_set(jv_object(), jv_string("type"), jv_string("note"));
	r = jv_object_set(r, jv_string("messageId"), jv_string(mid));
	if (sid)
		r = jv_object_set(r, jv_string("sessionId"), jv_string(sid));
	if (jv_get_kind(note) == JV_KIND_OBJECT) {
		jv_object_foreach(note, k, v)
			r = jv_object_set(r, k, v);
	}
	jv_free(note);
	return r;
}

static int
contains(jv content, const char *q, size_t qn)
{
	const char *c = jv_string_value(content);
	size_t cn = (size_t)jv_string_length_bytes(jv_copy(content));
	return qn && memmem(c, cn, q, qn) != NULL;
}

jv
cf_note_add(cf_store *st, const char *id, const char *text, size_t len,
            const char *quote)
{
	/* blanks only, as from "$unset" words, say nothing to anyone */
	size_t b = 0;
	while (b < len && strchr(" \t\r\n\v\f", text[b]) && text[b])
		b++;
	if (b == len)
		return cf_error(CF_EX_USAGE, "no text: a note cannot be empty; nothing changed");
	if (len > CF_NOTE_MAX)
		return cf_error(CF_EX_USAGE, "the note is %zu bytes, more than %d; "
		                "nothing changed", len, CF_NOTE_MAX);
	if (!cf_utf8_valid(text, len))
		return cf_error(CF_EX_DATA, "the note is not valid UTF-8; nothing changed");
	size_t qn = quote ? strlen(quote) : 0;
	if (quote && !qn)
		return cf_error(CF_EX_USAGE, "an empty --quote anchors nothing; nothing changed");
	struct row r;
	jv e = begin(st, id, &r);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	if (quote && !contains(r.content, quote, qn)) {
		row_free(&r);
		cf_store_rollback(st);
		char shown[96];
		cf_clean(quote, shown, sizeof shown, 40, 0);
		return cf_error(CF_EX_USAGE, "--quote '%s' is not in message '%s'; "
		                "nothing changed", shown, id);
	}
	char nid[37];
	cf_uuid7(nid);
	jv note = jv_object_set(jv_object(), jv_string("id"), jv_string(nid));
	note = jv_object_set(note, jv_string("author"), jv_string(cf_store_user(st)));
	note = jv_object_set(note, jv_string("timestamp"), cf_time_jv(cf_now_ms()));
	note = jv_object_set(note, jv_string("text"), jv_string_sized(text, (int)len));
	if (quote)
		note = jv_object_set(note, jv_string("quote"), jv_string(quote));
	jv notes = jv_array_append(notes_of(r.extra), jv_copy(note));
	e = write_notes(st, id, jv_copy(r.extra), notes);
	row_free(&r);
	return finish(st, e, note_record(note, id, NULL));
}

struct lister {
	jv out;
};

/* The messages holding notes, by the partial index: one message, or all. */
static const char noted_one[] =
	"SELECT m.id, m.session_id, m.extra FROM messages m"
	" WHERE m.id = ?1 AND json_type(m.extra, '$.notes') IS NOT NULL";
static const char noted_all[] =
	"SELECT m.id, m.session_id, m.extra FROM messages m"
	" WHERE json_type(m.extra, '$.notes') IS NOT NULL ORDER BY m.session_id, m.seq";

static jv
noted(cf_store *st, const char *id, const char *prefix, jv *out)
{
	cf_sql_stmt *s = cf_stmt(st, id ? noted_one : noted_all);
	if (id)
		cf_bind_text(s, 1, id);
	int rc;
	size_t pn = prefix ? strlen(prefix) : 0;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		jv mid = cf_col_text(s, 0), sid = cf_col_text(s, 1);
		jv extra = cf_col_json(s, 2);
		jv notes = jv_get_kind(extra) == JV_KIND_OBJECT ? notes_of(extra) : jv_array();
		jv_free(extra);
		jv_array_foreach(notes, i, n) {
			if (!prefix || !strncmp(cf_jstr(n, "id"), prefix, pn))
				*out = jv_array_append(*out, note_record(n, jv_string_value(mid),
				                                         jv_string_value(sid)));
			else
				jv_free(n);
			(void)i;
		}
		jv_free(notes);
		jv_free(mid);
		jv_free(sid);
	}
	jv e = rc == CF_SQL_DONE ? jv_true() : cf_store_error(st, "reading notes");
	cf_sql_reset(s);
	return e;
}

jv
cf_note_list(cf_store *st, const char *id)
{
	jv out = jv_array();
	jv e = noted(st, id, NULL, &out);
	if (!jv_is_valid(e)) {
		jv_free(out);
		return e;
	}
	jv_free(e);
	return out;
}

/* every note in found has the same id: copies of one note */
static int
one_id(jv found)
{
	int same = 1;
	jv a = jv_array_get(jv_copy(found), 0);
	jv_array_foreach(found, i, n) {
		same &= !strcmp(cf_jstr(n, "id"), cf_jstr(a, "id"));
		jv_free(n);
		(void)i;
	}
	jv_free(a);
	return same;
}

jv
cf_note_rm(cf_store *st, const char *ref, const char *msg)
{
	char lo[40];
	size_t n = strlen(ref);
	if (n < 4 || n > 36 || strspn(ref, "0123456789abcdefABCDEF-") != n)
		return cf_error(CF_EX_NOTFOUND, "unknown note '%s'%s", ref,
		                n < 4 ? " (an id prefix needs at least 4 characters)" : "");
	for (size_t i = 0; i <= n; i++)
		lo[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	jv found = jv_array();
	e = noted(st, msg, lo, &found);
	int k = jv_is_valid(e) ? jv_array_length(jv_copy(found)) : 0;
	if (jv_is_valid(e) && k != 1) {
		jv_free(e);
		jv a = jv_array_get(jv_copy(found), 0), b = jv_array_get(jv_copy(found), 1);
		if (!k && msg) {
			e = cf_error(CF_EX_NOTFOUND, "unknown note '%s' on message '%s'", ref, msg);
		} else if (!k) {
			e = cf_error(CF_EX_NOTFOUND, "unknown note '%s'", ref);
		} else if (one_id(found)) {
			/* one note copied with its message (chat-branch, chat-merge):
			 * the id alone cannot say which copy */
			e = cf_error(CF_EX_AMBIGUOUS, "note '%s' is on %d messages, %s %s %s%s: "
			             "name the message after it", cf_jstr(a, "id"), k,
			             cf_jstr(a, "messageId"), k > 2 ? "," : "and",
			             cf_jstr(b, "messageId"), k > 2 ? ", ..." : "");
		} else {
			e = cf_error(CF_EX_AMBIGUOUS, "ambiguous note prefix '%s' matches %s, %s%s",
			             ref, cf_jstr(a, "id"), cf_jstr(b, "id"), k > 2 ? ", ..." : "");
		}
		jv_free(a);
		jv_free(b);
	}
	if (!jv_is_valid(e)) {
		jv_free(found);
		cf_store_rollback(st);
		return e;
	}
	jv_free(e);
	jv note = jv_array_get(found, 0);
	char mid[37];
	snprintf(mid, sizeof mid, "%s", cf_jstr(note, "messageId"));
	struct row r;
	e = read_row(st, mid, &r);
	if (!jv_is_valid(e))
		return finish(st, e, note);
	jv_free(e);
	jv keep = jv_array(), notes = notes_of(r.extra);
	jv_array_foreach(notes, i, x) {
		if (strcmp(cf_jstr(x, "id"), cf_jstr(note, "id")))
			keep = jv_array_append(keep, x);
		else
			jv_free(x);
		(void)i;
	}
	jv_free(notes);
	e = write_notes(st, mid, jv_copy(r.extra), keep);
	row_free(&r);
	return finish(st, e, note);
}

/* ---- deleting messages ---- */

jv
cf_messages_delete(cf_store *st, jv ids)
{
	static const char del[] = "DELETE FROM messages WHERE id = ?1";
	/* a branch made at the message keeps its own copies; the point it
	 * names goes, as when its parent is deleted (store.c's sessions_bd) */
	static const char point[] =
		"UPDATE sessions SET branch_point = NULL WHERE parent_session_id ="
		" (SELECT session_id FROM messages WHERE id = ?1) AND branch_point = ?1";
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e)) {
		jv_free(ids);
		return e;
	}
	jv_array_foreach(ids, i, x) {
		const char *id = jv_string_value(x);
		struct row r;
		jv_free(e);
		e = read_row(st, id, &r);
		if (jv_is_valid(e)) {
			row_free(&r);
			jv_free(e);
			cf_sql_stmt *s = cf_stmt(st, point);
			cf_bind_text(s, 1, id);
			e = cf_exec_stmt(st, s, "deleting a message");
		}
		if (jv_is_valid(e)) {
			jv_free(e);
			cf_sql_stmt *s = cf_stmt(st, del);
			cf_bind_text(s, 1, id);
			e = cf_exec_stmt(st, s, "deleting a message");
		}
		jv_free(x);
		if (!jv_is_valid(e))
			break;
		(void)i;
	}
	jv_free(ids);
	return finish(st, e, jv_true());
}
