/* serve_turn.c — the turn child, `chat-serve --turn`: one cf_turn run the
 * way chat-send runs it, in a process of its own because the server's
 * threads may not touch a jv (serve.h).  fd 0 is the request (the hub's
 * JSON), fd 1 takes the SSE events (start, delta, end) as they come, fd 3
 * the one result line the hub reads when the child is done.  A reader
 * that went away (the server killed) costs nothing but the writes: the
 * reply is still stored whole. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"
#include "priv.h"

struct child {
	struct cf_turn *t;
	int dead;          /* fd 1 failed: the rest is only stored */
	/* who is asked: the turn says who answered only at its end */
	char provider[64], model[256];
};

static void
on_signal(int sig)
{
	(void)sig;
	cf_interrupted = 1;
}

static void
listen_signals(void (*fn)(int))
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* One SSE event: its data is compact JSON, which has no raw newline. */
static void
event(struct child *c, const char *name, jv data)
{
	if (c->dead) {
		jv_free(data);
		return;
	}
	size_t len;
	const char *j = cf_json_compact(data, &len);
	size_t hn = strlen(name);
	char *buf = cf_xmalloc(hn + len + 20);
	size_t n = 0;
	memcpy(buf, "event: ", 7), n = 7;
	memcpy(buf + n, name, hn), n += hn;
	memcpy(buf + n, "\ndata: ", 7), n += 7;
	memcpy(buf + n, j, len), n += len;
	memcpy(buf + n, "\n\n", 2), n += 2;
	if (cf_write_all(STDOUT_FILENO, buf, n))
		c->dead = 1;
	free(buf);
}

static void
on_send(void *ctx)
{
	struct child *c = ctx;
	jv d = jv_object();
	d = jv_object_set(d, jv_string("sessionId"), jv_string(c->t->session_id));
	d = jv_object_set(d, jv_string("messageId"), jv_string(c->t->reply_id));
	d = jv_object_set(d, jv_string("userMessageId"), jv_string(c->t->user_id));
	d = jv_object_set(d, jv_string("provider"), jv_string(*c->t->provider ?
	                  c->t->provider : c->provider));
	d = jv_object_set(d, jv_string("model"), jv_string(*c->t->model ?
	                  c->t->model : c->model));
	/* a retry streams under the reply it replaces: the page shows it
	 * again though it had that record whole */
	if (c->t->replace)
		d = jv_object_set(d, jv_string("retry"), jv_true());
	event(c, "start", d);
	listen_signals(on_signal);
}

/* Each chunk goes out as it came, in a write of its own: the hub hands
 * it on at once, so nothing here may hold it back. */
static void
on_text(void *ctx, const char *s, size_t n)
{
	struct child *c = ctx;
	jv d = jv_object();
	d = jv_object_set(d, jv_string("messageId"), jv_string(c->t->reply_id));
	d = jv_object_set(d, jv_string("text"), jv_string_sized(s, (int)n));
	event(c, "delta", d);
}

static void
on_note(void *ctx, const char *line)
{
	(void)ctx;
	cf_warn("%s", line);
}

static void
on_end(void *ctx)
{
	(void)ctx;
	listen_signals(SIG_IGN);
}

/* The request's attachments: {name, mimeType, data} in base64, or
 * {name, text}.  The type is found from the bytes, as for a file. */
static jv
files_of(struct cf_files *f, jv atts)
{
	jv r = cf_files_load(f, NULL, 0);
	if (!jv_is_valid(r) || jv_get_kind(atts) != JV_KIND_ARRAY) {
		jv_free(atts);
		return r;
	}
	jv_free(r);
	r = jv_true();
	jv_array_foreach(atts, i, a) {
		const char *name = cf_jstr(a, "name");
		jv text = jv_object_get(jv_copy(a), jv_string("text"));
		if (jv_get_kind(text) == JV_KIND_STRING) {
			r = cf_files_add(f, name, jv_string_value(text),
			                 (size_t)jv_string_length_bytes(jv_copy(text)));
		} else {
			const char *b = cf_jstr(a, "data");
			size_t bl = strlen(b);
			unsigned char *bytes = cf_xmalloc(bl / 4 * 3 + 4);
			long n = cf_unbase64(b, bl, bytes);
			r = n < 0 ? cf_error(CF_EX_DATA, "attachment %d: data is not base64", i) :
			    cf_files_add(f, name, bytes, (size_t)n);
			free(bytes);
		}
		jv_free(text);
		jv_free(a);
		if (!jv_is_valid(r))
			break;
		jv_free(r);
		r = jv_true();
	}
	jv_free(atts);
	if (!jv_is_valid(r))
		cf_files_free(f);
	return r;
}

/* The one line the hub reads on fd 3. */
static void
result(struct cf_turn *t, int status, jv err)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("exit"), jv_number(status));
	if (!jv_is_valid(err))
		o = jv_object_set(o, jv_string("error"), cf_error_message(err));
	jv_free(err);
	o = jv_object_set(o, jv_string("userId"), jv_string(t->user_id));
	o = jv_object_set(o, jv_string("replyId"), jv_string(t->reply_id));
	o = jv_object_set(o, jv_string("incomplete"), jv_bool(t->incomplete));
	size_t len;
	const char *j = cf_json_compact(o, &len);
	char *line = cf_xmalloc(len + 1);
	memcpy(line, j, len);
	line[len] = '\n';
	cf_write_all(3, line, len + 1);
	free(line);
}

int
cf_serve_turn_main(const char *db)
{
	struct cf_turn t;
	struct child c = {.t = &t};
	/* the server going away must not end the turn: its writes fail, and
	 * signals until the request goes out are for the server alone */
	signal(SIGPIPE, SIG_IGN);
	listen_signals(SIG_IGN);
	cf_turn_init(&t);
	jv r = cf_turn_config(&t);
	size_t n = 0;
	char *in = NULL;
	jv req = jv_invalid();
	if (jv_is_valid(r)) {
		in = cf_read_all(STDIN_FILENO, &n);
		req = in ? jv_parse_sized(in, (int)n) : jv_invalid();
		free(in);
		jv_free(r);
		r = jv_get_kind(req) == JV_KIND_OBJECT ? jv_true() :
		    cf_error(CF_EX_DATA, "the turn's request is not a JSON object");
	}
	struct cf_files files = {.list = jv_null()};
	if (jv_is_valid(r)) {
		jv_free(r);
		r = files_of(&files, jv_object_get(jv_copy(req), jv_string("attachments")));
	}
	cf_store *st = NULL;
	jv sess = jv_null();
	if (jv_is_valid(r)) {
		jv_free(r);
		jv err = jv_invalid();
		st = cf_store_open(db, &err);
		r = st ? (jv_free(err), jv_true()) : err;
	}
	if (jv_is_valid(r)) {
		jv_free(r);
		r = jv_true();
		sess = cf_session_get(st, cf_jstr(req, "sessionId"));
		if (jv_get_kind(sess) != JV_KIND_OBJECT) {
			jv_free(r);
			if (jv_invalid_has_msg(jv_copy(sess))) {
				r = sess;
			} else {
				jv_free(sess);
				r = cf_error(CF_EX_NOTFOUND, "no session %s", cf_jstr(req, "sessionId"));
			}
			sess = jv_null();
		}
	}
	if (!jv_is_valid(r)) {
		int status = cf_error_status(r);
		result(&t, status ? status : CF_EX_FAIL, r);
		jv_free(req);
		cf_turn_release(&t);
		if (jv_get_kind(files.list) != JV_KIND_NULL)
			cf_files_free(&files);
		if (st)
			cf_store_close(st);
		return status ? status : CF_EX_FAIL;
	}
	jv_free(r);

	/* retry: as chat-send --retry, the last reply asked for again and the
	 * old one kept in its metadata.edits */
	char prompt[37] = "", reply[37] = "";
	if (cf_jbool(req, "retry")) {
		r = cf_retry_target(st, cf_jstr(sess, "id"), prompt, reply);
		if (!jv_is_valid(r)) {
			int status = cf_error_status(r);
			result(&t, status ? status : CF_EX_FAIL, r);
			jv_free(req);
			jv_free(sess);
			cf_turn_release(&t);
			cf_files_free(&files);
			cf_store_close(st);
			return status ? status : CF_EX_FAIL;
		}
		jv_free(r);
		t.again = prompt;
		t.replace = *reply ? reply : NULL;
	}

	jv ov = jv_object_get(jv_copy(req), jv_string("over"));
	const char *p = jv_get_kind(ov) == JV_KIND_OBJECT ? cf_jstr(ov, "provider") : "";
	const char *m = jv_get_kind(ov) == JV_KIND_OBJECT ? cf_jstr(ov, "model") : "";
	snprintf(c.provider, sizeof c.provider, "%s", *p ? p : cf_jstr(sess, "provider"));
	snprintf(c.model, sizeof c.model, "%s", *m ? m : cf_jstr(sess, "model"));
	jv_free(ov);
	const char *text = cf_jstr(req, "content");
	t.st = st;
	t.session = sess;
	t.text = text;
	t.len = strlen(text);
	t.files = &files;
	t.reset = cf_jbool(req, "clear");
	jv over = jv_object_get(jv_copy(req), jv_string("over"));
	t.over = jv_get_kind(over) == JV_KIND_OBJECT ? over : (jv_free(over), jv_null());
	t.records = 0;
	t.on_text = on_text;
	t.on_note = on_note;
	t.on_send = on_send;
	t.on_end = on_end;
	/* Nobody is there to ask whether a tool may run: none is offered,
	 * and on_tool NULL denies a call a model makes anyway. */
	jv_free(t.tools);
	t.tools = jv_array();
	t.ctx = &c;
	r = cf_turn_tools(&t);
	int status = t.exit;
	if (t.interrupted && status == CF_EX_SIGINT)
		status = CF_EX_SIGTERM;
	if (*t.reply_id || !jv_is_valid(r)) {
		jv d = jv_object();
		d = jv_object_set(d, jv_string("messageId"),
		                  *t.reply_id ? jv_string(t.reply_id) : jv_null());
		d = jv_object_set(d, jv_string("incomplete"), jv_bool(t.incomplete));
		if (!jv_is_valid(r))
			d = jv_object_set(d, jv_string("error"), cf_error_message(r));
		event(&c, "end", d);
	}
	close(STDOUT_FILENO);
	result(&t, status, r);
	jv_free(req);
	cf_turn_release(&t);
	cf_files_free(&files);
	cf_store_close(st);
	return status;
}
