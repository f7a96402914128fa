/* serve_messages.c — a session's messages page by page, and one message:
 * read, edited (with its history), deleted, reacted to, noted, reverted.
 * Each route makes the library call the program does (chat-show,
 * chat-edit, chat-rm --message, chat-react, chat-note) and only
 * translates: query and body in, records and statuses out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "export.h"

/* A page holds at most this many messages (?limit, ?last). */
#define PAGE_MAX 1000
#define PAGE_DEFAULT 100

jv
cf_srv_message_rec(cf_store *st, jv msg, int html)
{
	if (!jv_is_valid(msg))
		return msg;
	jv seq = jv_object_get(jv_copy(msg), jv_string("seq"));
	if (jv_get_kind(seq) != JV_KIND_NUMBER) {
		jv_free(seq);
		seq = cf_message_seq(st, cf_jstr(msg, "id"));
		if (!jv_is_valid(seq)) {
			if (!cf_is_error(seq)) {
				jv_free(seq);
				seq = cf_error(CF_EX_NOTFOUND, "message '%s' was deleted",
				               cf_jstr(msg, "id"));
			}
			jv_free(msg);
			return seq;
		}
	}
	msg = jv_object_set(msg, jv_string("seq"), seq);
	if (html) {
		jv c = jv_object_get(jv_copy(msg), jv_string("content"));
		char *h = jv_get_kind(c) == JV_KIND_STRING ?
		          cf_html_message(jv_string_value(c),
		                          (size_t)jv_string_length_bytes(jv_copy(c))) :
		          cf_html_message("", 0);
		jv_free(c);
		msg = jv_object_set(msg, jv_string("html"), jv_string(h));
		free(h);
	}
	return msg;
}

/* ?html=1 (or true) asks for rendered content; anything but 0, 1, true
 * and false is refused by the routes before this is asked. */
static int
html_asked(struct cf_req *r)
{
	const char *v = cf_srv_arg(r, "html");
	return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

jv
cf_srv_message_out(struct cf_req *r, jv msg, int html)
{
	return cf_srv_message_rec(r->srv->st, msg, html || html_asked(r));
}

/* ---- what the routes share ---- */

static jv
bad_html(struct cf_req *r)
{
	const char *v = cf_srv_arg(r, "html");
	if (v && strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "true") &&
	    strcmp(v, "false"))
		return cf_error(CF_EX_USAGE, "invalid html '%.40s': expected 1 or 0", v);
	return jv_true();
}

/* A whole-number query parameter from lo to hi into *out, left alone
 * when absent. */
static jv
arg_long(struct cf_req *r, const char *key, long lo, long hi, long *out)
{
	const char *v = cf_srv_arg(r, key);
	if (!v)
		return jv_true();
	if (cf_parse_long(v, lo, hi, out))
		return cf_error(CF_EX_USAGE, "invalid %s '%.40s': expected a whole "
		                "number from %ld to %ld", key, v, lo, hi);
	return jv_true();
}

/* The body's string field key: the string, jv_null() when absent (or
 * null) and not required, else an error naming the field. */
static jv
body_string(jv body, const char *key, int required)
{
	jv v = jv_object_get(jv_copy(body), jv_string(key));
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_STRING)
		return v;
	jv_free(v);
	if ((k == JV_KIND_INVALID || k == JV_KIND_NULL) && !required)
		return jv_null();
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
		return cf_error(CF_EX_USAGE, "missing %s: expected a string", key);
	return cf_error(CF_EX_USAGE, "invalid %s: expected a string, not %s", key,
	                jv_kind_name(k));
}

/* An error of a change: a reply still arriving (the library's CF_EX_FAIL
 * for edits, reactions, notes and deletes) is a conflict, 409, not the
 * server's failure; the library words some for its programs' options,
 * which are fields here. */
static enum MHD_Result
change_error(struct cf_req *r, jv err)
{
	jv m = cf_error_message(err);
	const char *s = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "";
	const char *opt = strstr(s, "--quote") ? "--quote" :
	                  strstr(s, "--revert") ? "--revert" : NULL;
	if (cf_error_status(err) != CF_EX_FAIL && !opt) {
		jv_free(m);
		return cf_srv_error(r, err);
	}
	unsigned status = cf_error_status(err) == CF_EX_FAIL ? 409 :
	                  cf_srv_status_of(cf_error_status(err));
	jv_free(err);
	const char *at = opt ? strstr(s, opt) : NULL;
	enum MHD_Result res = !at ? cf_srv_fail(r, status, "%s", s) :
		cf_srv_fail(r, status, "%.*s%s%s", (int)(at - s), s,
		            !strcmp(opt, "--quote") ? "quote" : "version",
		            at + strlen(opt));
	jv_free(m);
	return res;
}

/* Message :id as chat-edit and the rest name it (an id or a prefix):
 * the record, or an error. */
static jv
the_message(struct cf_req *r)
{
	return cf_resolve_message(r->srv->st, r->id, NULL);
}

static enum MHD_Result
message_reply(struct cf_req *r, unsigned status, jv msg)
{
	jv out = cf_srv_message_out(r, msg, 0);
	if (cf_is_error(out))
		return cf_srv_error(r, out);
	return cf_srv_json(r, status, out);
}

/* A list as {"type": TYPE, KEY: [...]}, or one a line for JSON lines. */
static enum MHD_Result
list_reply(struct cf_req *r, const char *type, const char *key, jv list)
{
	if (cf_srv_wants_lines(r))
		return cf_srv_lines(r, 200, list);
	jv o = jv_object_set(jv_object(), jv_string("type"), jv_string(type));
	return cf_srv_json(r, 200, jv_object_set(o, jv_string(key), list));
}

/* ---- GET /api/chat/sessions/:id/messages ---- */

struct page {
	jv list;
	long n;
};

static int
page_take(jv rec, void *ctx)
{
	struct page *p = ctx;
	p->list = jv_array_append(p->list, rec);
	p->n++;
	return 0;
}

/* ?before= or ?after=: a message of session sid (an id or a prefix unique
 * in it) as its seq in *seq, 0 when the parameter is absent. */
static jv
bound(struct cf_req *r, const char *key, const char *sid, int64_t *seq)
{
	const char *v = cf_srv_arg(r, key);
	*seq = 0;
	if (!v)
		return jv_true();
	if (!*v)
		return cf_error(CF_EX_USAGE, "invalid %s '': expected a message id", key);
	jv m = cf_resolve_message(r->srv->st, v, sid);
	if (!jv_is_valid(m))
		return m;
	jv s = cf_message_seq(r->srv->st, cf_jstr(m, "id"));
	if (!jv_is_valid(s) && !cf_is_error(s)) {
		jv_free(s);
		s = cf_error(CF_EX_NOTFOUND, "message '%s' was deleted", cf_jstr(m, "id"));
	}
	jv_free(m);
	if (!jv_is_valid(s))
		return s;
	*seq = (int64_t)jv_number_value(s);
	jv_free(s);
	return jv_true();
}

/* The page written here, not by cf_srv_json: out.c's writer (the same
 * bytes as jq's dumper, which writes a character at a time) halves the
 * time of a 100-message page.  JSON lines carry more in a header, as the
 * sessions' cursor is. */
static enum MHD_Result
page_reply(struct cf_req *r, jv out, int more)
{
	static const char head[] = "{\"type\":\"messages\",\"messages\":[";
	int lines = cf_srv_wants_lines(r);
	size_t len = 0, cap = 4096;
	char *buf = cf_xmalloc(cap);
	if (!lines) {
		memcpy(buf, head, sizeof head - 1);
		len = sizeof head - 1;
	}
	jv_array_foreach(out, i, m) {
		size_t n;
		const char *j = cf_json_compact(m, &n);
		while (len + n + 32 > cap)
			buf = cf_xrealloc(buf, cap *= 2);
		if (!lines && i)
			buf[len++] = ',';
		memcpy(buf + len, j, n);
		len += n;
		if (lines)
			buf[len++] = '\n';
	}
	jv_free(out);
	if (!lines)
		len += (size_t)snprintf(buf + len, cap - len, "],\"more\":%s}\n",
		                        more ? "true" : "false");
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf,
	                                     MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", lines ?
	                        "application/x-ndjson" : "application/json");
	if (lines)
		MHD_add_response_header(resp, "X-More", more ? "true" : "false");
	r->sent += len;
	return cf_srv_queue(r, 200, resp);
}

/* A window of the session (after < seq < before) read from its start,
 * or from its end with ?last or with ?before alone, one message more
 * than asked: that one, when it comes, says there is more in the
 * direction of reading, and is dropped. */
static enum MHD_Result
get_messages(struct cf_req *r)
{
	cf_store *st = r->srv->st;
	long limit = PAGE_DEFAULT, last = 0;
	jv e = bad_html(r);
	if (jv_is_valid(e))
		e = arg_long(r, "limit", 1, PAGE_MAX, &limit);
	if (jv_is_valid(e))
		e = arg_long(r, "last", 1, PAGE_MAX, &last);
	if (!jv_is_valid(e))
		return cf_srv_error(r, e);
	jv s = cf_resolve_session(st, r->id);
	if (!jv_is_valid(s))
		return cf_srv_error(r, s);
	char sid[37];
	snprintf(sid, sizeof sid, "%s", cf_jstr(s, "id"));
	jv_free(s);
	int64_t after, before;
	e = bound(r, "after", sid, &after);
	if (jv_is_valid(e))
		e = bound(r, "before", sid, &before);
	if (!jv_is_valid(e))
		return cf_srv_error(r, e);

	long want = last ? last : limit;
	int from_end = last || (before && !cf_srv_arg(r, "after"));
	struct page p = {jv_array(), 0};
	e = cf_message_page(st, sid, after, before, want + 1, from_end, page_take, &p);
	if (!jv_is_valid(e)) {
		jv_free(p.list);
		return cf_srv_error(r, e);
	}
	int more = p.n > want;
	if (more)
		p.list = jv_array_slice(p.list, from_end ? 1 : 0,
		                        from_end ? (int)p.n : (int)want);
	int html = html_asked(r);
	jv out = jv_array();
	jv_array_foreach(p.list, i, m) {
		(void)i;
		jv rec = cf_srv_message_rec(st, m, html);
		if (!jv_is_valid(rec)) {
			jv_free(out);
			jv_free(p.list);
			return cf_srv_error(r, rec);
		}
		out = jv_array_append(out, rec);
	}
	jv_free(p.list);

	return page_reply(r, out, more);
}

/* ---- /api/chat/messages/:id ---- */

static enum MHD_Result
get_message(struct cf_req *r)
{
	jv e = bad_html(r);
	if (!jv_is_valid(e))
		return cf_srv_error(r, e);
	jv m = the_message(r);
	if (!jv_is_valid(m))
		return cf_srv_error(r, m);
	return message_reply(r, 200, m);
}

/* chat-edit MESSAGE TEXT: the text exactly as given (not stdin's, whose
 * last newlines are the file's), the old one kept in metadata.edits with
 * cf_store_user() as its editor: the server acts for whoever holds its
 * token, recorded as the one who runs it (on PostgreSQL its role). */
static enum MHD_Result
put_message(struct cf_req *r)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	jv text = body_string(body, "content", 1);
	jv_free(body);
	if (!jv_is_valid(text))
		return cf_srv_error(r, text);
	jv m = the_message(r);
	if (!jv_is_valid(m)) {
		jv_free(text);
		return cf_srv_error(r, m);
	}
	char id[37], sid[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	snprintf(sid, sizeof sid, "%s", cf_jstr(m, "sessionId"));
	jv_free(m);
	int changed = 0;
	m = cf_edit_message(r->srv->st, id, jv_string_value(text),
	                    (size_t)jv_string_length_bytes(jv_copy(text)), 0, &changed);
	jv_free(text);
	if (!jv_is_valid(m))
		return change_error(r, m);
	if (changed)
		cf_srv_changed(r->srv, sid);
	return message_reply(r, 200, m);
}

/* chat-rm --force --message MESSAGE. */
static enum MHD_Result
delete_message(struct cf_req *r)
{
	jv m = the_message(r);
	if (!jv_is_valid(m))
		return cf_srv_error(r, m);
	char sid[37];
	snprintf(sid, sizeof sid, "%s", cf_jstr(m, "sessionId"));
	jv ids = jv_array_append(jv_array(), jv_string(cf_jstr(m, "id")));
	jv_free(m);
	jv e = cf_messages_delete(r->srv->st, ids);
	if (!jv_is_valid(e))
		return change_error(r, e);
	jv_free(e);
	cf_srv_changed(r->srv, sid);
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL,
	                                     MHD_RESPMEM_PERSISTENT);
	return cf_srv_queue(r, 204, resp);
}

/* ---- reactions: chat-react MESSAGE EMOJI, and --remove ---- */

static enum MHD_Result
react(struct cf_req *r, int remove)
{
	jv emoji = jv_null();
	const char *q = remove ? cf_srv_arg(r, "emoji") : NULL;
	if (q) {
		emoji = jv_string(q);
	} else {
		jv body = cf_srv_body_json(r);
		if (!jv_is_valid(body))
			return cf_srv_error(r, body);
		emoji = body_string(body, "emoji", 1);
		jv_free(body);
		if (!jv_is_valid(emoji))
			return cf_srv_error(r, emoji);
	}
	const char *em = jv_string_value(emoji);
	if (!cf_emoji_one(em)) {
		char shown[96];
		cf_clean(em, shown, sizeof shown, 20, 0);
		jv_free(emoji);
		return cf_srv_fail(r, 400, "invalid reaction '%s': expected one emoji",
		                   shown);
	}
	jv m = the_message(r);
	if (!jv_is_valid(m)) {
		jv_free(emoji);
		return cf_srv_error(r, m);
	}
	char id[37], sid[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	snprintf(sid, sizeof sid, "%s", cf_jstr(m, "sessionId"));
	jv_free(m);
	int changed = 0;
	m = cf_react(r->srv->st, id, em, remove, &changed);
	jv_free(emoji);
	if (!jv_is_valid(m))
		return change_error(r, m);
	if (changed)
		cf_srv_changed(r->srv, sid);
	return message_reply(r, 200, m);
}

static enum MHD_Result
post_reaction(struct cf_req *r)
{
	return react(r, 0);
}

static enum MHD_Result
delete_reaction(struct cf_req *r)
{
	return react(r, 1);
}

/* ---- notes: chat-note MESSAGE TEXT [--quote], --ls, --rm ---- */

static enum MHD_Result
get_notes(struct cf_req *r)
{
	jv m = the_message(r);
	if (!jv_is_valid(m))
		return cf_srv_error(r, m);
	jv notes = cf_note_list(r->srv->st, cf_jstr(m, "id"));
	jv_free(m);
	if (!jv_is_valid(notes))
		return cf_srv_error(r, notes);
	return list_reply(r, "notes", "notes", notes);
}

static enum MHD_Result
post_note(struct cf_req *r)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	jv text = body_string(body, "text", 1);
	jv quote = jv_is_valid(text) ? body_string(body, "quote", 0) : jv_null();
	jv_free(body);
	if (!jv_is_valid(text) || !jv_is_valid(quote)) {
		jv e = jv_is_valid(text) ? quote : text;
		jv_free(jv_is_valid(text) ? text : quote);
		return cf_srv_error(r, e);
	}
	jv m = the_message(r);
	if (!jv_is_valid(m)) {
		jv_free(text);
		jv_free(quote);
		return cf_srv_error(r, m);
	}
	char id[37], sid[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	snprintf(sid, sizeof sid, "%s", cf_jstr(m, "sessionId"));
	jv_free(m);
	jv note = cf_note_add(r->srv->st, id, jv_string_value(text),
	                      (size_t)jv_string_length_bytes(jv_copy(text)),
	                      jv_get_kind(quote) == JV_KIND_STRING ?
	                      jv_string_value(quote) : NULL);
	jv_free(text);
	jv_free(quote);
	if (!jv_is_valid(note))
		return change_error(r, note);
	cf_srv_changed(r->srv, sid);
	return cf_srv_json(r, 201, note);
}

static enum MHD_Result
delete_note(struct cf_req *r)
{
	const char *ref = cf_srv_arg(r, "note");
	if (!ref || !*ref)
		return cf_srv_fail(r, 400, "missing note: give ?note=ID");
	jv m = the_message(r);
	if (!jv_is_valid(m))
		return cf_srv_error(r, m);
	char id[37], sid[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	snprintf(sid, sizeof sid, "%s", cf_jstr(m, "sessionId"));
	jv_free(m);
	jv note = cf_note_rm(r->srv->st, ref, id);
	if (!jv_is_valid(note))
		return change_error(r, note);
	cf_srv_changed(r->srv, sid);
	return cf_srv_json(r, 200, note);
}

/* ---- versions: chat-edit --history and --revert N ---- */

static enum MHD_Result
get_edits(struct cf_req *r)
{
	jv m = the_message(r);
	if (!jv_is_valid(m))
		return cf_srv_error(r, m);
	jv vs = cf_edit_versions(m);
	jv_free(m);
	if (!jv_is_valid(vs))
		return cf_srv_error(r, vs);
	return list_reply(r, "versions", "versions", vs);
}

static enum MHD_Result
post_revert(struct cf_req *r)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	jv v = jv_object_get(body, jv_string("version"));
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_kind k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
		return cf_srv_fail(r, 400, "missing version: expected a version number");
	if (k != JV_KIND_NUMBER || d != floor(d) || d < 1 || d > 1000000)
		return cf_srv_fail(r, 400, "invalid version: expected a version "
		                   "number from 1");
	jv m = the_message(r);
	if (!jv_is_valid(m))
		return cf_srv_error(r, m);
	char id[37], sid[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	snprintf(sid, sizeof sid, "%s", cf_jstr(m, "sessionId"));
	jv_free(m);
	int changed = 0;
	m = cf_edit_revert(r->srv->st, id, (long)d, &changed);
	if (!jv_is_valid(m))
		return change_error(r, m);
	if (changed)
		cf_srv_changed(r->srv, sid);
	return message_reply(r, 200, m);
}

const struct cf_route cf_serve_routes_messages[] = {
	{"GET", "/api/chat/sessions/:id/messages", get_messages, 0},
	{"GET", "/api/chat/messages/:id", get_message, 0},
	{"PUT", "/api/chat/messages/:id", put_message, 0},
	{"DELETE", "/api/chat/messages/:id", delete_message, 0},
	{"POST", "/api/chat/messages/:id/reactions", post_reaction, 0},
	{"DELETE", "/api/chat/messages/:id/reactions", delete_reaction, 0},
	{"GET", "/api/chat/messages/:id/notes", get_notes, 0},
	{"POST", "/api/chat/messages/:id/notes", post_note, 0},
	{"DELETE", "/api/chat/messages/:id/notes", delete_note, 0},
	{"GET", "/api/chat/messages/:id/edits", get_edits, 0},
	{"POST", "/api/chat/messages/:id/revert", post_revert, 0},
	{0},
};
