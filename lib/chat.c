/* chat.c — a turn: one message and its reply, from the context to the
 * stored records, in one call that never ends the process.  chat-send,
 * confab and the server differ only in how they show the text. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"
#include "provider.h"

struct cf_turn_state {
	struct cf_turn *t;
	struct cf_files own;      /* the attachments this turn read itself */
	struct cf_files *files;
	struct cf_send s;
	struct cf_reply_row row;  /* row.st NULL: none reserved */
	jv text, over, fallbacks, chain, sess, um, msgs, settings, provider, model;
	jv options, schema;       /* what -o and --schema ask of the reply */
	jv value, verdict;        /* the reply parsed, and jv_true() or why it
	                           * does not match the schema (null: not judged) */
	int newsess;
	int begun;                /* the message is stored or bound for the spool */
	char spooling[1024];      /* why the turn goes to the spool, or "" */
};

/* ---- notes ---- */

static void
note(struct cf_turn *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
note(struct cf_turn *t, const char *fmt, ...)
{
	char *buf;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->on_note)
		t->on_note(t->ctx, buf);
	else
		cf_warn("%s", buf);
	free(buf);
}

static void
send_note(void *ctx, const char *line)
{
	struct cf_turn *t = ctx;
	note(t, "%s", line);
}

/* cf_error for a line of any length: a provider's message may fill a
 * line of its own before the turn adds to it. */
static jv
error_line(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static jv
error_line(int status, const char *fmt, ...)
{
	char *line;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cf_error(status, "out of memory");
	jv e = jv_object_set(jv_object(), jv_string("status"), jv_number(status));
	e = jv_object_set(e, jv_string("message"), jv_string(line));
	free(line);
	return jv_invalid_with_msg(e);
}

/* ---- attachments ---- */

/* What a file is, from its first bytes (its name may lie: notes saved
 * as x.png are text), or NULL. */
static const char *
magic_type(const unsigned char *p, size_t n)
{
	static const struct { const char *magic; size_t at, len; const char *type; } m[] = {
		{"\x89PNG\r\n\x1a\n", 0, 8, "image/png"},
		{"\xff\xd8\xff", 0, 3, "image/jpeg"},
		{"GIF87a", 0, 6, "image/gif"},
		{"GIF89a", 0, 6, "image/gif"},
		{"WEBP", 8, 4, "image/webp"},   /* after "RIFF" and a size */
		{"%PDF-", 0, 5, "application/pdf"},
	};
	for (size_t i = 0; i < sizeof m / sizeof *m; i++)
		if (n >= m[i].at + m[i].len && !memcmp(p + m[i].at, m[i].magic, m[i].len) &&
		    (m[i].at == 0 || !memcmp(p, "RIFF", 4)))
			return m[i].type;
	return NULL;
}

/* A file's bytes as they are: a jv string would mend invalid UTF-8, and
 * an image is nothing but.  -1 with errno on a read error. */
static int
read_bytes(int fd, struct cf_blob *b)
{
	b->p = cf_read_all(fd, &b->n);
	return b->p ? 0 : -1;
}

static jv
load_one(struct cf_files *f, const char *path, long max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		jv e = cf_error(CF_EX_USAGE, "cannot attach '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return e;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return cf_error(CF_EX_USAGE, "cannot attach '%s': not a file", path);
	}
	if (sb.st_size > max) {
		close(fd);
		char m[32];
		cf_size_text(max, m, sizeof m);
		return cf_error(CF_EX_USAGE, "cannot attach '%s': larger than %s "
		                "(attach-max)", path, m);
	}
	struct cf_blob *b = &f->blobs[f->n];
	int rc = read_bytes(fd, b);
	int err = errno;
	close(fd);
	f->n++;   /* its bytes are the files' to free from here on */
	if (rc != 0)
		return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(err));
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *img = magic_type((const unsigned char *)b->p, b->n);
	if (img && !strcmp(img, "application/pdf"))
		return cf_error(CF_EX_USAGE, "cannot attach '%s': a PDF, which is not sent "
		                "yet: attach its text, or an image (png, jpeg, gif, webp)", path);
	if (!img && !cf_utf8_valid(b->p, b->n))
		return cf_error(CF_EX_USAGE, "cannot attach '%s': neither text nor "
		                "an image (png, jpeg, gif, webp)", path);
	jv a = jv_object();
	a = jv_object_set(a, jv_string("type"), jv_string(img ? "image" : "text"));
	a = jv_object_set(a, jv_string("name"), jv_string(base));
	a = jv_object_set(a, jv_string("mimeType"), jv_string(img ? img : "text/plain"));
	f->list = jv_array_append(f->list, a);
	return jv_true();
}

jv
cf_files_load(struct cf_files *f, const char *const *paths, int n)
{
	memset(f, 0, sizeof *f);
	f->list = jv_array();
	f->blobs = cf_xmalloc(sizeof *f->blobs * (size_t)(n + 1));
	struct cf_catch k;
	if (CF_TRY(&k)) {   /* a malformed attach-max in the config */
		cf_files_free(f);
		return cf_error(k.code, "%s", k.msg);
	}
	long max = cf_attach_max();
	cf_catch_pop(&k);
	for (int i = 0; i < n; i++) {
		jv r = load_one(f, paths[i], max);
		if (!jv_is_valid(r)) {
			cf_files_free(f);
			return r;
		}
	}
	return jv_true();
}

/* The same checks as a file's, for bytes that came some other way (an
 * upload to chat-serve): the server has no path to hand over. */
jv
cf_files_add(struct cf_files *f, const char *name, const void *p, size_t n)
{
	long max;
	jv r = cf_attach_limit(&max);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	const char *base = name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : name && *name ? name : "attachment";
	if (n > (size_t)max) {
		char m[32];
		cf_size_text(max, m, sizeof m);
		return cf_error(CF_EX_USAGE, "cannot attach '%s': larger than %s "
		                "(attach-max)", base, m);
	}
	const char *img = magic_type(p, n);
	if (img && !strcmp(img, "application/pdf"))
		return cf_error(CF_EX_USAGE, "cannot attach '%s': a PDF, which is not sent "
		                "yet: attach its text, or an image (png, jpeg, gif, webp)", base);
	if (!img && !cf_utf8_valid(p, n))
		return cf_error(CF_EX_USAGE, "cannot attach '%s': neither text nor "
		                "an image (png, jpeg, gif, webp)", base);
	f->blobs = cf_xrealloc(f->blobs, sizeof *f->blobs * (size_t)(f->n + 2));
	struct cf_blob *b = &f->blobs[f->n++];
	b->p = cf_xmalloc(n + 1);
	memcpy(b->p, p, n);
	b->p[n] = '\0';
	b->n = n;
	jv a = jv_object();
	a = jv_object_set(a, jv_string("type"), jv_string(img ? "image" : "text"));
	a = jv_object_set(a, jv_string("name"), jv_string(base));
	a = jv_object_set(a, jv_string("mimeType"), jv_string(img ? img : "text/plain"));
	f->list = jv_array_append(f->list, a);
	return jv_true();
}

void
cf_files_free(struct cf_files *f)
{
	jv_free(f->list);
	for (int i = 0; i < f->n; i++)
		free(f->blobs[i].p);
	free(f->blobs);
	memset(f, 0, sizeof *f);
	f->list = jv_null();
}

/* ---- the context ---- */

jv
cf_session_name_from(const char *text)
{
	while (*text == ' ' || *text == '\n' || *text == '\t')
		text++;
	size_t n = strcspn(text, "\n");
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
		n--;
	/* the first line alone, so the cut (and its ellipsis) is made in it */
	char line[256], buf[256];
	snprintf(line, sizeof line, "%.*s", (int)(n < 255 ? n : 255), text);
	cf_clean(line, buf, sizeof buf, 60, 0);
	return jv_string(*buf ? buf : "untitled");
}

/* A message of the context as the providers take it: its text with its
 * text attachments, and its images. */
static jv
context_turn(cf_store *st, jv m)
{
	jv t = jv_object();
	t = jv_object_set(t, jv_string("role"), jv_string(cf_jstr(m, "role")));
	jv content = jv_string(cf_jstr(m, "content"));
	jv images = jv_array();
	jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
	jv atts = jv_object_get(meta, jv_string("attachments"));
	if (jv_get_kind(atts) == JV_KIND_ARRAY && jv_array_length(jv_copy(atts))) {
		jv full = cf_attachments_of(st, cf_jstr(m, "id"));
		if (!jv_is_valid(full)) {
			cf_raise(full);   /* to compose's CF_TRY */
			full = jv_array();
		}
		jv_array_foreach(full, i, a) {
			if (!strcmp(cf_jstr(a, "type"), "text"))
				content = jv_string_concat(content, jv_string_fmt(
					"\n\n<file name=\"%s\">\n%s\n</file>", cf_jstr(a, "name"),
					cf_jstr(a, "text")));
			else
				images = jv_array_append(images, jv_copy(a));
			jv_free(a);
			(void)i;
		}
		jv_free(full);
	}
	jv_free(atts);
	/* typed parts go back as they came (cf_wire_parts), and whose they
	 * are is the provider that answered; text attached to the message
	 * after them */
	jv parts = jv_object_get(jv_copy(m), jv_string("parts"));
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		size_t own = strlen(cf_jstr(m, "content"));
		size_t all = (size_t)jv_string_length_bytes(jv_copy(content));
		if (all > own) {
			jv x = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
			parts = jv_array_append(parts, jv_object_set(x, jv_string("text"),
				jv_string_sized(jv_string_value(content) + own, (int)(all - own))));
		}
		t = jv_object_set(t, jv_string("parts"), parts);
		jv md = jv_object_get(jv_copy(m), jv_string("metadata"));
		const char *prov = cf_jstr_or_null(md, "provider");
		if (prov)
			t = jv_object_set(t, jv_string("provider"), jv_string(prov));
		jv_free(md);
	} else {
		jv_free(parts);
	}
	t = jv_object_set(t, jv_string("content"), content);
	return jv_object_set(t, jv_string("images"), images);
}

/* A reply another program is still receiving, or one that never got a
 * word: as context it would be an empty turn, which providers refuse. */
static int
unfinished(jv m)
{
	jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
	int streaming = !strcmp(cf_jstr(meta, "stopReason"), "streaming");
	jv_free(meta);
	return streaming || (!strcmp(cf_jstr(m, "role"), "assistant") &&
	                     !*cf_jstr(m, "content") &&
	                     !jv_object_has(jv_copy(m), jv_string("parts")));
}

/* The first message after a /clear (confab(7)). */
static int
starts_context(jv m)
{
	jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
	int reset = jv_get_kind(meta) == JV_KIND_OBJECT && cf_jbool(meta, "contextReset");
	jv_free(meta);
	return reset;
}

/* The message being sent, as the providers take it, from what the user
 * gave (the store may not have it: a full disk). */
static jv
this_turn(jv text, struct cf_files *f)
{
	jv t = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	jv content = jv_copy(text);
	jv images = jv_array();
	jv_array_foreach(f->list, i, a) {
		if (!strcmp(cf_jstr(a, "type"), "text"))
			content = jv_string_concat(content, jv_string_fmt(
				"\n\n<file name=\"%s\">\n%.*s\n</file>", cf_jstr(a, "name"),
				(int)f->blobs[i].n, f->blobs[i].p));
		else
			images = jv_array_append(images, jv_object_set(jv_copy(a),
				jv_string("data"), cf_base64(f->blobs[i].p, f->blobs[i].n)));
		jv_free(a);
	}
	t = jv_object_set(t, jv_string("content"), content);
	return jv_object_set(t, jv_string("images"), images);
}

static int
collect(jv m, void *ctx)
{
	jv *list = ctx;
	*list = jv_array_append(*list, m);
	return 0;
}

/* The turns of hist (consumed) from the latest that starts a context on,
 * leaving out the unfinished ones and skip (this turn's own prompt, which
 * goes last as it was given). */
static jv
since_reset(cf_store *st, jv hist, const char *skip)
{
	int from = 0;
	jv_array_foreach(hist, i, m) {
		if ((!skip || strcmp(cf_jstr(m, "id"), skip)) && starts_context(m))
			from = i;
		jv_free(m);
	}
	jv msgs = jv_array();
	jv_array_foreach(hist, i, m) {
		if (i >= from && (!skip || strcmp(cf_jstr(m, "id"), skip)) && !unfinished(m) &&
		    (jv_array_length(jv_copy(msgs)) || !cf_tool_answers(m)))
			msgs = jv_array_append(msgs, context_turn(st, m));
		jv_free(m);
	}
	jv_free(hist);
	return msgs;
}

/* The context: the last contextWindow messages before this one, from
 * the latest that starts a context on, read through the (session_id,
 * seq) index, then this one as it was given. */
static jv
compose(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	cf_store *st = t->st;
	double cw = cf_jnum(ts->settings, "contextWindow", 50);
	jv hist = jv_array();
	if (t->again) {
		/* the message answered again is the context's last, from the
		 * store with its attachments */
		jv e = cf_message_list(st, cf_jstr(ts->sess, "id"), cw >= 1 ? (long)cw + 1 : 1,
		                       t->again, collect, &hist);
		if (!jv_is_valid(e)) {
			jv_free(hist);
			return e;
		}
		jv_free(e);
		return cf_tool_pairs(since_reset(st, hist, NULL));
	}
	if (cw >= 1 && !ts->newsess && !t->reset) {
		jv e = cf_message_list(st, cf_jstr(ts->sess, "id"), (long)cw + !*ts->spooling,
		                       *ts->spooling ? NULL : t->user_id, collect, &hist);
		if (!jv_is_valid(e)) {
			jv_free(hist);
			return e;
		}
		jv_free(e);
	}
	return jv_array_append(cf_tool_pairs(since_reset(st, hist, t->user_id)),
	                       this_turn(ts->text, ts->files));
}

/* The activity events the message carries: the caller's selection, else
 * with the session's autoContext those since its last message (the
 * specification's meaning of autoContext; confab.7). */
static void
activity_context(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	jv sel = t->activity;
	t->activity = jv_null();
	if (jv_get_kind(sel) == JV_KIND_NULL && jv_get_kind(ts->sess) == JV_KIND_OBJECT) {
		jv set = jv_object_get(jv_copy(ts->sess), jv_string("settings"));
		jv ac = jv_get_kind(set) == JV_KIND_OBJECT ?
		        jv_object_get(set, jv_string("autoContext")) : (jv_free(set), jv_null());
		int on = jv_get_kind(ac) == JV_KIND_TRUE;
		jv_free(ac);
		if (on) {
			const char *sid = cf_jstr(ts->sess, "id");
			sel = cf_actctx_select(t->st, sid, cf_actctx_last(t->st, sid) + 1, NULL, 0);
			if (!jv_is_valid(sel)) {
				jv m = cf_error_message(sel);
				note(t, "autoContext: %s", jv_string_value(m));
				jv_free(m);
				sel = jv_null();
			} else if (cf_actctx_count(sel)) {
				jv l = cf_actctx_line(sel, NULL);
				note(t, "%s", jv_string_value(l));
				jv_free(l);
			}
		}
	}
	cf_actctx_attach(sel, ts->files, &t->msg_context);
}

/* ---- who answers ---- */

jv
cf_turn_fallback(const char *spec)
{
	const char *colon = strchr(spec, ':');
	if (colon == spec || !*spec)
		return cf_error(CF_EX_USAGE, "invalid fallback '%s': expected "
		                "PROVIDER[:MODEL]", spec);
	jv p = colon ? jv_string_sized(spec, (int)(colon - spec)) : jv_string(spec);
	jv link = jv_object_set(jv_object(), jv_string("provider"), p);
	if (colon && colon[1])
		link = jv_object_set(link, jv_string("model"), jv_string(colon + 1));
	return link;
}

/* This message's provider, the session's, or a choice; and its model. */
static jv
choose(struct cf_turn_state *ts)
{
	jv sess = ts->sess;
	int have = jv_get_kind(sess) == JV_KIND_OBJECT;
	const char *oprov = cf_jstr_or_null(ts->over, "provider");
	const char *sprov = have ? cf_jstr_or_null(sess, "provider") : NULL;
	const char *cfgprov = cf_config_get("provider");
	const char *provider = oprov ? oprov : sprov ? sprov :
		(cfgprov && *cfgprov) ? cfgprov : cf_provider_choose();
	if (!provider)
		return cf_error(CF_EX_CONFIG, "no provider: set ANTHROPIC_API_KEY, "
		                "OPENAI_API_KEY or GEMINI_API_KEY, start Ollama, or set "
		                "provider in %s (--provider echo works offline)",
		                cf_config_path());
	const char *model = cf_jstr_or_null(ts->over, "model");
	if (!model && have && sprov && !strcmp(sprov, provider))
		model = cf_jstr_or_null(sess, "model");
	if (!model && !oprov && !sprov && cfgprov && !strcmp(provider, cfgprov))
		model = cf_config_get("model");   /* the config's model is its provider's */
	if (!cf_provider_find(provider)) {
		if (oprov)
			return cf_error(CF_EX_USAGE, "unknown provider '%s' (known: %s)",
			                provider, cf_provider_list());
		return cf_error(CF_EX_CONFIG, "unknown provider '%s' (from %s)", provider,
		                sprov ? "the session" : cf_config_path());
	}
	ts->provider = jv_string(provider);
	ts->model = model ? jv_string(model) : jv_null();
	jv first = jv_object_set(jv_object(), jv_string("provider"), jv_copy(ts->provider));
	if (model)
		first = jv_object_set(first, jv_string("model"), jv_copy(ts->model));
	ts->chain = jv_array_append(jv_array(), first);
	if (jv_get_kind(ts->fallbacks) == JV_KIND_ARRAY) {
		jv_array_foreach(ts->fallbacks, i, l) {
			if (jv_get_kind(l) != JV_KIND_OBJECT ||
			    !*cf_jstr(l, "provider")) {
				jv_free(l);
				return cf_error(CF_EX_USAGE, "invalid fallback %d: expected "
				                "{provider, model}", i + 1);
			}
			ts->chain = jv_array_append(ts->chain, l);
		}
	} else {
		const char *v = cf_config_get("fallback");
		char *copy = cf_xstrdup(v ? v : "");
		for (char *w = strtok(copy, ", "); w; w = strtok(NULL, ", ")) {
			jv l = cf_turn_fallback(w);
			if (!jv_is_valid(l)) {
				free(copy);
				return l;
			}
			ts->chain = jv_array_append(ts->chain, l);
		}
		free(copy);
	}
	return cf_send_check(ts->chain);
}

/* The system prompt, temperature and reply length: this message's, else
 * the session's. */
static jv
tune(struct cf_turn_state *ts)
{
	struct cf_send *s = &ts->s;
	jv over = ts->over;
	int have = jv_get_kind(over) == JV_KIND_OBJECT;
	jv sys = have ? jv_object_get(jv_copy(over), jv_string("system")) : jv_invalid();
	int own = jv_get_kind(sys) == JV_KIND_STRING;
	jv_free(sys);
	s->system = own ? cf_jstr(over, "system") : cf_jstr_or_null(ts->settings, "systemPrompt");
	jv temp = have ? jv_object_get(jv_copy(over), jv_string("temperature")) : jv_invalid();
	if (!jv_is_valid(temp)) {
		jv_free(temp);
		temp = jv_object_get(jv_copy(ts->settings), jv_string("temperature"));
	}
	if (jv_get_kind(temp) == JV_KIND_NUMBER) {
		s->temperature = jv_number_value(temp);
		s->has_temperature = 1;
	}
	jv_free(temp);
	double mt = have ? cf_jnum(over, "maxTokens", -1) : -1;
	if (have && mt < 0) {
		jv m = jv_object_get(jv_copy(over), jv_string("maxTokens"));
		int bad = jv_is_valid(m) && jv_get_kind(m) != JV_KIND_NULL;
		jv_free(m);
		if (bad)
			return cf_error(CF_EX_USAGE, "invalid maxTokens: expected 1 to 100000000");
	}
	if (mt >= 0 && (mt < 1 || mt > 100000000 || mt != (double)(long)mt))
		return cf_error(CF_EX_USAGE, "invalid maxTokens: expected 1 to 100000000");
	s->max_tokens = mt >= 1 ? (long)mt : (long)cf_jnum(ts->settings, "maxTokens", 4096);
	if (s->has_temperature && !(s->temperature >= 0 && s->temperature <= 2))
		return cf_error(CF_EX_USAGE, "invalid temperature: expected 0 to 2");
	return jv_true();
}

/* -o's options over the session's own (metadata.options, chat-set -o)
 * and --schema's schema, for the request; both kept on the user's
 * message (metadata.options, metadata.schema): what was asked of the
 * reply stays with the asking, whatever comes of it. */
static jv
shape(struct cf_turn_state *ts)
{
	int have = jv_get_kind(ts->over) == JV_KIND_OBJECT;
	jv ops = have ? jv_object_get(jv_copy(ts->over), jv_string("options")) : jv_null();
	ts->options = cf_options_apply(cf_jpath(ts->sess, "metadata.options"), ops);
	jv_free(ops);
	ts->schema = have ? jv_object_get(jv_copy(ts->over), jv_string("schema")) : jv_null();
	if (jv_get_kind(ts->schema) != JV_KIND_OBJECT) {
		jv_free(ts->schema);
		ts->schema = jv_null();
	} else {
		jv r = cf_schema_check(ts->schema);
		if (!jv_is_valid(r))
			return r;
		jv_free(r);
	}
	jv meta = jv_object_get(jv_copy(ts->um), jv_string("metadata"));
	if (jv_get_kind(meta) != JV_KIND_OBJECT) {
		jv_free(meta);
		meta = jv_object();
	}
	if (jv_object_length(jv_copy(ts->options)))
		meta = jv_object_set(meta, jv_string("options"), jv_copy(ts->options));
	if (jv_get_kind(ts->schema) == JV_KIND_OBJECT)
		meta = jv_object_set(meta, jv_string("schema"), jv_copy(ts->schema));
	if (jv_object_length(jv_copy(meta)))
		ts->um = jv_object_set(ts->um, jv_string("metadata"), meta);
	else
		jv_free(meta);
	return jv_true();
}

/* A reply that is one fenced block and nothing more (```json ... ```,
 * as models without a native JSON mode write it): the text inside it. */
static const char *
unfenced(const char *b, size_t *n)
{
	size_t a = 0, z = *n;
	while (a < z && isspace((unsigned char)b[a]))
		a++;
	while (z > a && isspace((unsigned char)b[z - 1]))
		z--;
	if (z - a < 7 || memcmp(b + a, "```", 3) || memcmp(b + z - 3, "```", 3))
		return b;
	const char *nl = memchr(b + a, '\n', z - a);
	if (!nl || (size_t)(nl - b) >= z - 3 || memchr(b + a + 3, '`', (size_t)(nl - b - a - 3)))
		return b;
	*n = z - 3 - (size_t)(nl + 1 - b);
	return nl + 1;
}

/* A whole reply asked for with --schema: parsed into ts->value and
 * checked, the outcome in its metadata (schemaValid, schemaError). */
static jv
judge(struct cf_turn_state *ts, jv meta)
{
	cf_call *c = &ts->s.call;
	if (jv_get_kind(ts->schema) != JV_KIND_OBJECT || ts->s.outcome != CF_CALL_OK)
		return meta;
	size_t len = c->r.len;
	const char *text = unfenced(c->r.buf ? c->r.buf : "", &len);
	jv v = jv_parse_sized(text, (int)len);
	jv r;
	if (jv_is_valid(v)) {
		r = cf_schema_validate(ts->schema, v);
		jv_free(ts->value);
		ts->value = v;
	} else {
		/* jq's words, without the reply it quotes: one line */
		jv m = jv_invalid_get_msg(v);
		const char *w = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "empty";
		char raw[256], line[256];
		snprintf(raw, sizeof raw, "%.*s", (int)strcspn(w, "("), w);
		cf_clean(raw, line, sizeof line, 0, 0);
		size_t n = strlen(line);
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
		r = cf_error(CF_EX_DATA, "not JSON (%s)", line);
		jv_free(m);
	}
	meta = jv_object_set(meta, jv_string("schemaValid"), jv_bool(jv_is_valid(r)));
	if (!jv_is_valid(r))
		meta = jv_object_set(meta, jv_string("schemaError"), cf_error_message(r));
	jv_free(ts->verdict);
	ts->verdict = r;
	return meta;
}

/* The reply kept, and what --schema made of it: its parsed value on the
 * reply record (value), or CF_EX_DATA when it does not match. */
static jv
schema_outcome(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	if (jv_get_kind(ts->verdict) == JV_KIND_NULL)
		return jv_true();
	if (jv_get_kind(t->reply) == JV_KIND_OBJECT && jv_is_valid(ts->value))
		t->reply = jv_object_set(t->reply, jv_string("value"), jv_copy(ts->value));
	if (jv_is_valid(ts->verdict))
		return jv_true();
	t->exit = CF_EX_DATA;
	jv why = cf_error_message(ts->verdict);
	jv e = error_line(CF_EX_DATA, "the reply does not match the schema: %s (it is "
	                  "kept, marked schemaValid false)", jv_string_value(why));
	jv_free(why);
	return e;
}

/* Everything but the store: who answers, with what, the records to be.
 * The older functions it calls may still end in cf_die; their errors
 * come back here as values. */
static jv
prepare(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	struct cf_catch k;
	if (CF_TRY(&k))
		return cf_error(k.code, "%s", k.msg);
	jv r = choose(ts);
	if (!jv_is_valid(r)) {
		cf_catch_pop(&k);
		return r;
	}
	jv_free(r);
	jv um = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	um = jv_object_set(um, jv_string("content"), jv_copy(ts->text));
	if (t->again)
		snprintf(t->user_id, sizeof t->user_id, "%s", t->again);
	else
		cf_uuid7(t->user_id);
	um = jv_object_set(um, jv_string("id"), jv_string(t->user_id));
	um = jv_object_set(um, jv_string("timestamp"), cf_time_jv(cf_now_ms()));
	if (t->reset)
		um = jv_object_set(um, jv_string("metadata"), jv_object_set(jv_object(),
		                   jv_string("contextReset"), jv_true()));
	if (jv_get_kind(t->msg_context) == JV_KIND_OBJECT)
		um = jv_object_set(um, jv_string("context"), jv_copy(t->msg_context));
	ts->um = um;
	if (jv_get_kind(ts->sess) != JV_KIND_OBJECT) {
		jv rec = jv_object();
		jv settings = jv_object();
		settings = jv_object_set(settings, jv_string("maxTokens"), jv_number(4096));
		settings = jv_object_set(settings, jv_string("contextWindow"), jv_number(50));
		rec = jv_object_set(rec, jv_string("settings"), settings);
		rec = cf_settings_defaults(rec);
		if (!jv_is_valid(rec)) {
			cf_catch_pop(&k);
			return rec;
		}
		char sid[37];
		cf_uuid7(sid);
		rec = jv_object_set(rec, jv_string("id"), jv_string(sid));
		rec = jv_object_set(rec, jv_string("name"), cf_session_name_from(jv_string_value(ts->text)));
		rec = jv_object_set(rec, jv_string("provider"), jv_copy(ts->provider));
		rec = jv_object_set(rec, jv_string("model"), jv_copy(ts->model));
		jv_free(ts->sess);
		ts->sess = rec;
		ts->newsess = 1;
	}
	snprintf(t->session_id, sizeof t->session_id, "%s", cf_jstr(ts->sess, "id"));
	jv_free(ts->settings);
	ts->settings = jv_object_get(jv_copy(ts->sess), jv_string("settings"));
	cf_catch_pop(&k);
	jv sh = shape(ts);
	if (!jv_is_valid(sh))
		return sh;
	jv_free(sh);
	return tune(ts);
}

/* The first transaction: the session when it is new, the user's message
 * and its attachments, and the reply's row reserved after it.  A store
 * that cannot take them (a full disk, a session deleted meanwhile) does
 * not stop the turn: why goes into spooling and the turn, at its end,
 * into the spool.  Any other error is returned, nothing changed. */
/* A store error in the first transaction: rolled back; one the store
 * could not take (CF_EX_STORE) sends the turn on its way to the spool,
 * any other is the turn's error.  Consumes err. */
static jv
begin_failed(struct cf_turn_state *ts, jv err)
{
	cf_store_rollback(ts->t->st);
	memset(&ts->row, 0, sizeof ts->row);
	/* a message asked again is in the store already: nothing to spool */
	if (cf_error_status(err) != CF_EX_STORE || ts->t->again)
		return err;
	jv m = cf_error_message(err);
	jv_free(err);
	snprintf(ts->spooling, sizeof ts->spooling, "%s", jv_string_value(m));
	jv_free(m);
	note(ts->t, "%s: the message goes out and the turn will be kept in the spool",
	     ts->spooling);
	return jv_true();
}

/* In the first transaction of a message asked again: the edit (with
 * the branch of the old line) or a look that the message, and the reply
 * to replace, are still there. */
static jv
again_first(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	if (t->edit) {
		jv_free(t->branch);
		t->branch = jv_null();
		return cf_edit_resend_in(t->st, t->again, t->text, t->len, &t->branch);
	}
	const char *ids[] = {t->again, t->replace};
	for (int i = 0; i < 2 && ids[i]; i++) {
		jv m = cf_message_get(t->st, ids[i]);
		if (!jv_is_valid(m))
			return cf_is_error(m) ? m : (jv_free(m), cf_error(CF_EX_NOTFOUND,
				"message '%s' was deleted by another program; nothing "
				"was sent", ids[i]));
		jv_free(m);
	}
	return jv_true();
}

static jv
begin_turn(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	cf_store *st = t->st;
	struct cf_catch k;
	/* what still raises rather than returns (cf_reply_reserve's
	 * statements) comes here */
	if (CF_TRY(&k))
		return begin_failed(ts, cf_error(k.code, "%s", k.msg));
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e))
		goto failed;
	jv_free(e);
	if (ts->newsess) {
		jv stored = cf_session_insert(st, jv_copy(ts->sess));
		if (!jv_is_valid(stored)) {
			e = stored;
			goto failed;
		}
		jv_free(ts->sess);
		ts->sess = stored;
	}
	const char *sid = cf_jstr(ts->sess, "id");
	if (t->again) {
		e = again_first(ts);
		if (!jv_is_valid(e))
			goto failed;
		jv_free(e);
	} else {
		e = cf_message_insert(st, sid, jv_copy(ts->um));
		if (!jv_is_valid(e))
			goto failed;
		jv_free(e);
	}
	int n = t->again ? 0 : jv_array_length(jv_copy(ts->files->list));
	for (int i = 0; i < n; i++) {
		jv a = jv_array_get(jv_copy(ts->files->list), i);
		e = cf_attachment_insert(st, t->user_id, cf_jstr(a, "type"),
		                         cf_jstr(a, "name"), cf_jstr(a, "mimeType"),
		                         ts->files->blobs[i].p, ts->files->blobs[i].n);
		jv_free(a);
		if (!jv_is_valid(e))
			goto failed;
		jv_free(e);
	}
	jv rmeta = jv_object_set(jv_object(), jv_string("provider"), jv_copy(ts->provider));
	rmeta = jv_object_set(rmeta, jv_string("model"), jv_copy(ts->model));
	cf_reply_reserve(st, sid, rmeta, &ts->row);
	e = cf_store_commit(st);
	if (!jv_is_valid(e))
		goto failed;
	jv_free(e);
	cf_catch_pop(&k);
	return jv_true();
failed:
	cf_catch_pop(&k);
	return begin_failed(ts, e);
}

/* The turn the store could not take, into the spool: 1 when it is kept
 * there, -1 when even that failed; line says which, for people. */
static int
spool_turn(struct cf_turn_state *ts, const char *rid, jv meta, const char *text,
           size_t len, size_t in_store, const char *why, char line[4096])
{
	struct cf_turn *t = ts->t;
	struct cf_files *f = ts->files;
	const char *sid = cf_jstr(ts->sess, "id");
	jv list = jv_array();
	jv_array_foreach(f->list, i, a) {
		list = jv_array_append(list, jv_object_set(jv_copy(a),
			jv_string("data"), cf_base64(f->blobs[i].p, f->blobs[i].n)));
		jv_free(a);
	}
	jv m = jv_object_set(jv_copy(ts->um), jv_string("sessionId"), jv_string(sid));
	jv mm = jv_object_get(jv_copy(m), jv_string("metadata"));
	if (jv_get_kind(mm) != JV_KIND_OBJECT) {
		jv_free(mm);
		mm = jv_object();
	}
	m = jv_object_set(m, jv_string("metadata"), jv_object_set(mm,
	                  jv_string("attachments"), list));
	jv msgs = jv_array_append(jv_array(), m);
	if (rid) {
		jv r = jv_object_set(jv_object(), jv_string("id"), jv_string(rid));
		r = jv_object_set(r, jv_string("sessionId"), jv_string(sid));
		r = jv_object_set(r, jv_string("role"), jv_string("assistant"));
		r = jv_object_set(r, jv_string("content"), jv_string_sized(text ? text : "", (int)len));
		r = jv_object_set(r, jv_string("timestamp"), cf_time_jv(cf_now_ms()));
		r = jv_object_set(r, jv_string("metadata"), jv_object_delete(jv_copy(meta),
		                  jv_string("parts")));
		jv parts = jv_object_get(jv_copy(meta), jv_string("parts"));
		if (jv_get_kind(parts) == JV_KIND_ARRAY)
			r = jv_object_set(r, jv_string("parts"), parts);
		else
			jv_free(parts);
		/* a retried reply still goes in the old one's place when the
		 * spool is stored (spool.c) */
		if (t->replace)
			r = jv_object_set(r, jv_string("replaces"), jv_string(t->replace));
		msgs = jv_array_append(msgs, r);
	}
	jv turn = jv_object_set(jv_object(), jv_string("session"), jv_copy(ts->sess));
	turn = jv_object_set(turn, jv_string("messages"), msgs);
	jv path = cf_spool_write(t->st, turn, why);
	int ok = jv_is_valid(path);
	if (ok) {
		snprintf(line, 4096, "%s: the %s is kept in %s, and will be stored when "
		         "the store is next opened with room", why, rid ? "turn" : "message",
		         jv_string_value(path));
	} else {
		jv e = cf_error_message(path);
		if (in_store)
			snprintf(line, 4096, "%s, and %s: the reply is not saved whole; its "
			         "first %zu bytes are in the store, marked incomplete", why,
			         jv_string_value(e), in_store);
		else
			snprintf(line, 4096, "%s, and %s: the %s was not saved", why,
			         jv_string_value(e), rid ? "reply" : "message");
		jv_free(e);
	}
	jv_free(path);
	return ok ? 1 : -1;
}

/* A session made without a provider gets the one that answered.  The
 * reply is stored by now, so a store error here is only a note. */
static void
answered_by(struct cf_turn_state *ts, const char *provider, const char *model)
{
	cf_store *st = ts->t->st;
	struct cf_catch k;
	jv e;
	if (CF_TRY(&k)) {
		e = cf_error(k.code, "%s", k.msg);
		goto failed;
	}
	if (!jv_is_valid(e = cf_store_begin(st)))
		goto failed;
	jv_free(e);
	jv cur = cf_session_get(st, ts->t->session_id);
	if (jv_is_valid(cur)) {
		if (!cf_jstr_or_null(cur, "provider"))
			cur = jv_object_set(cur, jv_string("provider"), jv_string(provider));
		if (!cf_jstr_or_null(cur, "model"))
			cur = jv_object_set(cur, jv_string("model"), jv_string(model));
		if (!jv_is_valid(e = cf_session_update(st, cur)))
			goto failed;
		jv_free(e);
	} else {
		jv_free(cur);
	}
	if (!jv_is_valid(e = cf_store_commit(st)))
		goto failed;
	jv_free(e);
	cf_catch_pop(&k);
	return;
failed:
	cf_catch_pop(&k);
	cf_store_rollback(st);
	jv m = cf_error_message(e);
	jv_free(e);
	note(ts->t, "%s", jv_string_value(m));
	jv_free(m);
}

/* Nothing came: the reserved row goes, as if never made.  One the store
 * cannot remove now is closed as abandoned by the next writer (or, in a
 * program that keeps running, by the next one after it). */
static void
drop_row(struct cf_reply_row *row)
{
	struct cf_catch k;
	if (CF_TRY(&k))
		return;
	cf_reply_drop(row);
	cf_catch_pop(&k);
	row->st = NULL;
}

/* The records as stored, and the session as it is now, for the caller. */
static void
read_back(struct cf_turn_state *ts, int replied)
{
	struct cf_turn *t = ts->t;
	struct cf_catch k;
	if (CF_TRY(&k))
		return;   /* the turn is stored; only the copies are missing */
	if (t->records) {
		jv u = cf_message_get(t->st, t->user_id);
		t->user = jv_is_valid(u) ? u : (jv_free(u), jv_null());
		if (replied) {
			jv r = cf_message_get(t->st, t->reply_id);
			t->reply = jv_is_valid(r) ? r : (jv_free(r), jv_null());
		}
	}
	jv s = cf_session_get(t->st, t->session_id);
	if (jv_is_valid(s)) {
		jv_free(ts->sess);
		ts->sess = s;
	} else {
		jv_free(s);
	}
	cf_catch_pop(&k);
}

/* ---- the reply as it comes ---- */

static void
on_text(cf_call *c, const char *s, size_t n)
{
	struct cf_turn *t = c->ctx;
	if (t->on_text)
		t->on_text(t->ctx, s, n);
}

/* What has arrived goes into its row now and then, so a kill -9 costs
 * at most the last second of it. */
static void
on_tick(cf_call *c)
{
	struct cf_turn *t = c->ctx;
	struct cf_turn_state *ts = t->state;
	if (ts->row.st)
		cf_reply_checkpoint(&ts->row, c->r.buf, c->r.len, 0);
}

/* The text goes out first, then into the store: a reader waits for no
 * save. */
static void
on_flush(cf_call *c)
{
	struct cf_turn *t = c->ctx;
	if (t->on_flush)
		t->on_flush(t->ctx);
	on_tick(c);
}

const char *
cf_turn_text(struct cf_turn *t, size_t *len)
{
	struct cf_turn_state *ts = t->state;
	if (!ts || !ts->s.call.r.buf) {
		*len = 0;
		return "";
	}
	*len = ts->s.call.r.len;
	return ts->s.call.r.buf;
}

void
cf_turn_parts(struct cf_turn *t, jv *parts, jv *open)
{
	struct cf_turn_state *ts = t->state;
	*parts = ts ? ts->s.call.r.parts : jv_null();
	*open = ts ? ts->s.call.r.part_open : jv_null();
}

void
cf_turn_save(struct cf_turn *t)
{
	if (t->state)
		on_tick(&t->state->s.call);
}

/* ---- the turn ---- */

void
cf_turn_init(struct cf_turn *t)
{
	memset(t, 0, sizeof *t);
	t->session = jv_null();
	t->over = jv_null();
	t->fallbacks = jv_null();
	t->msg_context = jv_null();
	t->activity = jv_null();
	t->user = jv_null();
	t->reply = jv_null();
	t->branch = jv_null();
	t->stream = 1;
	t->retries = 3;
	t->timeout = 120;
	t->retry_time = 60;
	t->records = 1;
	t->tools = jv_null();
	t->tool_rounds = 8;
}

jv
cf_turn_config(struct cf_turn *t)
{
	struct cf_catch k;
	if (CF_TRY(&k))
		return cf_error(k.code, "%s", k.msg);
	const char *v;
	jv r = jv_true();
	if ((v = cf_config_get("retries")) && cf_parse_long(v, 0, 100, &t->retries))
		r = cf_error(CF_EX_CONFIG, "%s: invalid retries '%s'", cf_config_path(), v);
	else if ((v = cf_config_get("timeout")) && cf_parse_long(v, 1, 86400, &t->timeout))
		r = cf_error(CF_EX_CONFIG, "%s: invalid timeout '%s'", cf_config_path(), v);
	else if ((v = cf_config_get("tool-rounds")) && cf_parse_long(v, 0, 1000, &t->tool_rounds))
		r = cf_error(CF_EX_CONFIG, "%s: invalid tool-rounds '%s'", cf_config_path(), v);
	cf_catch_pop(&k);
	return r;
}

/* The reply's metadata as it is stored. */
static jv
reply_meta(struct cf_turn_state *ts)
{
	struct cf_send *s = &ts->s;
	cf_call *c = &s->call;
	long in = c->r.in_tokens, outk = c->r.out_tokens;
	/* Cut before the provider's final count: what streamed, at about 4
	 * bytes a token, marked as a guess (confab.7) */
	int guessed = s->outcome != CF_CALL_OK && c->r.out_early && c->r.len > 0;
	if (guessed)
		outk = (long)((c->r.len + 3) / 4);
	const char *answered = jv_get_kind(c->r.model) == JV_KIND_STRING ?
		jv_string_value(c->r.model) : s->model;
	jv meta = jv_object();
	meta = jv_object_set(meta, jv_string("tokens"),
		in < 0 && outk < 0 ? jv_null() :
		jv_number((double)((in > 0 ? in : 0) + (outk > 0 ? outk : 0))));
	meta = jv_object_set(meta, jv_string("model"), jv_string(answered));
	meta = jv_object_set(meta, jv_string("processing_time"),
	                     jv_number((double)s->elapsed_ms));
	meta = jv_object_set(meta, jv_string("provider"), jv_string(s->provider));
	meta = jv_object_set(meta, jv_string("inputTokens"),
	                     in < 0 ? jv_null() : jv_number((double)in));
	meta = jv_object_set(meta, jv_string("outputTokens"),
	                     outk < 0 ? jv_null() : jv_number((double)outk));
	if (guessed)
		meta = jv_object_set(meta, jv_string("tokensEstimated"), jv_true());
	/* the provider's own figures whole, and the ones priced apart */
	if (jv_get_kind(c->r.usage) == JV_KIND_OBJECT)
		meta = jv_object_set(meta, jv_string("usage"), jv_copy(c->r.usage));
	const char *const sub[] = {"cacheReadTokens", "cacheWrite5mTokens",
	                           "cacheWrite1hTokens", "reasoningTokens"};
	long subv[] = {c->r.cache_read, c->r.cache_write_5m, c->r.cache_write_1h,
	               c->r.reasoning_tokens};
	for (int i = 0; i < 4; i++)
		if (subv[i] >= 0)
			meta = jv_object_set(meta, jv_string(sub[i]), jv_number((double)subv[i]));
	meta = jv_object_set(meta, jv_string("cost"), cf_cost_meta(answered, meta));
	meta = jv_object_set(meta, jv_string("incomplete"),
	                     jv_bool(s->outcome != CF_CALL_OK));
	meta = jv_object_set(meta, jv_string("stopReason"),
		s->outcome == CF_CALL_INTR ? jv_string("interrupted") :
		s->outcome != CF_CALL_OK ? jv_string("error") : jv_copy(c->r.stop));
	meta = jv_object_set(meta, jv_string("error"),
		s->outcome != CF_CALL_OK && s->outcome != CF_CALL_INTR ?
		jv_string(s->error) : jv_null());
	return jv_object_set(meta, jv_string("fallback"), jv_bool(s->fallbacks > 0));
}

/* A retried reply: made whole, then it takes the old one's place, the
 * old one kept in its edits, in one transaction. */
static jv
finish_retry(struct cf_turn_state *ts, jv meta, const char *text, size_t len)
{
	struct cf_turn *t = ts->t;
	cf_store *st = t->st;
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(st);
		return cf_error(k.code, "%s", k.msg);
	}
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e)) {
		cf_catch_pop(&k);
		jv_free(meta);
		return e;
	}
	jv_free(e);
	if (!cf_reply_write(st, ts->row.id, ts->row.sid, meta, text, len, 0)) {
		cf_catch_pop(&k);
		cf_store_rollback(st);
		return cf_error(CF_EX_NOTFOUND, "the session was deleted while "
		                "the reply arrived");
	}
	e = cf_retry_fold(st, t->replace, ts->row.id);
	if (jv_is_valid(e)) {
		jv_free(e);
		e = cf_store_commit(st);
	} else {
		cf_store_rollback(st);
	}
	cf_catch_pop(&k);
	if (!jv_is_valid(e))
		return e;
	ts->row.saved = len;
	snprintf(t->reply_id, sizeof t->reply_id, "%s", t->replace);
	return e;
}

/* The reply, whole or not, into its row or the spool; the outcome as an
 * exit code and the last line for people. */
static jv
finish(struct cf_turn_state *ts)
{
	struct cf_turn *t = ts->t;
	struct cf_send *s = &ts->s;
	cf_call *c = &s->call;
	/* a reply of thinking or a tool call alone is a reply too */
	int have = c->r.len > 0 || jv_get_kind(c->r.parts) == JV_KIND_ARRAY;
	int spooled = 0, replied = 0;
	char line[4096] = "";
	if (have || s->outcome == CF_CALL_OK) {
		jv meta = judge(ts, reply_meta(ts));
		/* the typed parts ride in the meta to their column (turn.c) */
		if (jv_get_kind(c->r.parts) == JV_KIND_ARRAY)
			meta = jv_object_set(meta, jv_string("parts"), jv_copy(c->r.parts));
		/* a NUL after the reply, for cf_reply_finish */
		*cf_call_room(c, 1) = '\0';
		/* the reply is stored from where it lies, not copied into a jv */
		jv r = !ts->row.st ? cf_error(CF_EX_STORE, "%s", ts->spooling) :
		       t->replace ? finish_retry(ts, jv_copy(meta), c->r.buf, c->r.len) :
		       cf_reply_finish(&ts->row, jv_copy(meta), c->r.buf, c->r.len);
		if (jv_is_valid(r)) {
			replied = 1;
			/* a session made without a provider gets the one that
			 * answered; the reply is safe whatever happens to this */
			if (!cf_jstr_or_null(ts->sess, "provider") || !cf_jstr_or_null(ts->sess, "model"))
				answered_by(ts, s->provider, s->model);
		} else {
			/* kept whole in a file of its own, for the next program
			 * that opens the store with room */
			jv why = cf_error_message(r);
			spooled = spool_turn(ts, t->replace ? ts->row.id : t->reply_id,
			                     meta, c->r.buf, c->r.len,
			                     ts->row.st ? ts->row.saved : 0,
			                     jv_string_value(why), line);
			jv_free(why);
		}
		jv_free(r);
		jv_free(meta);
	} else if (ts->row.st) {
		drop_row(&ts->row);
	} else if (*ts->spooling) {
		spooled = spool_turn(ts, NULL, jv_null(), NULL, 0, 0, ts->spooling, line);
	}
	if (!spooled)
		read_back(ts, replied);

	if (spooled && s->outcome != CF_CALL_OK)
		note(t, "%s", line);
	if (c->malformed && s->outcome != CF_CALL_MALFORMED)   /* not a whole reply's */
		note(t, "%s sent %d unreadable event%s; skipped", s->provider,
		     c->malformed, c->malformed == 1 ? "" : "s");
	if (s->outcome == CF_CALL_OK && s->fallbacks)
		note(t, "answered by %s:%s after a fallback", s->provider, s->model);
	snprintf(t->provider, sizeof t->provider, "%s", s->provider);
	snprintf(t->model, sizeof t->model, "%s", s->model);
	t->incomplete = have && s->outcome != CF_CALL_OK;
	t->interrupted = s->outcome == CF_CALL_INTR;
	t->exit = s->exit;
	if (spooled)
		t->exit = spooled > 0 ? CF_EX_SPOOLED : CF_EX_STORE;
	if (s->outcome != CF_CALL_OK)
		return error_line(t->exit, "%s%s", s->error, have && !spooled ?
		                " (the partial reply is saved, marked incomplete)" : "");
	if (spooled)
		return error_line(t->exit, "%s", line);
	return schema_outcome(ts);
}

static void
state_free(struct cf_turn_state *ts)
{
	cf_call_release(&ts->s.call);
	cf_files_free(&ts->own);
	jv_free(ts->text);
	jv_free(ts->over);
	jv_free(ts->fallbacks);
	jv_free(ts->chain);
	jv_free(ts->um);
	jv_free(ts->msgs);
	jv_free(ts->settings);
	jv_free(ts->provider);
	jv_free(ts->model);
	jv_free(ts->sess);
	jv_free(ts->options);
	jv_free(ts->schema);
	jv_free(ts->value);
	jv_free(ts->verdict);
	free(ts);
}

jv
cf_turn_run(struct cf_turn *t)
{
	struct cf_turn_state *ts = cf_xmalloc(sizeof *ts);
	memset(ts, 0, sizeof *ts);
	ts->t = t;
	ts->own.list = jv_null();
	ts->text = jv_string_sized(t->text ? t->text : "", (int)t->len);
	ts->over = t->over;
	ts->fallbacks = t->fallbacks;
	ts->sess = t->session;
	t->over = t->fallbacks = t->session = jv_null();
	ts->chain = ts->um = ts->msgs = ts->settings = jv_null();
	ts->provider = ts->model = jv_null();
	ts->options = ts->schema = ts->value = ts->verdict = jv_null();
	jv_free(t->user);
	jv_free(t->reply);
	t->user = t->reply = jv_null();
	t->exit = CF_EX_FAIL;
	t->incomplete = t->interrupted = 0;
	cf_call_init(&ts->s.call);
	cf_uuid7(t->reply_id);
	t->state = ts;

	jv r;
	if (t->files) {
		ts->files = t->files;
		r = jv_true();
	} else {
		ts->files = &ts->own;
		r = cf_files_load(&ts->own, t->attach, t->nattach);
	}
	if (jv_is_valid(r) && !t->len && !(t->again && !t->edit) &&
	    !jv_array_length(jv_copy(ts->files->list))) {
		jv_free(r);
		r = cf_error(CF_EX_USAGE, "no message: give it as arguments or on stdin");
	}
	if (jv_is_valid(r) && !t->again)
		activity_context(ts);
	if (jv_is_valid(r)) {
		jv_free(r);
		r = prepare(ts);
	}
	if (jv_is_valid(r)) {
		jv_free(r);
		r = begin_turn(ts);
		ts->begun = jv_is_valid(r);
	}
	if (jv_is_valid(r)) {
		jv_free(r);
		struct cf_catch k;
		if (CF_TRY(&k)) {
			r = cf_error(k.code, "%s", k.msg);
			if (ts->row.st)
				drop_row(&ts->row);
		} else {
			jv msgs = compose(ts);
			cf_catch_pop(&k);
			if (jv_is_valid(msgs)) {
				ts->msgs = msgs;
				r = jv_true();
			} else {
				r = msgs;
				if (ts->row.st)
					drop_row(&ts->row);
			}
		}
	}
	if (!jv_is_valid(r)) {
		t->exit = cf_error_status(r);
		if (!ts->begun)
			t->user_id[0] = '\0';
		t->session = ts->sess;
		ts->sess = jv_null();
		t->state = NULL;
		state_free(ts);
		return r;
	}
	jv_free(r);
	if (ts->row.st)
		memcpy(t->reply_id, ts->row.id, sizeof t->reply_id);
	if (t->replace)   /* where the reply ends up */
		snprintf(t->reply_id, sizeof t->reply_id, "%s", t->replace);

	struct cf_send *s = &ts->s;
	cf_call_release(&s->call);   /* cf_send_run makes its own */
	s->chain = ts->chain;
	s->messages = ts->msgs;
	s->stream = t->stream;
	s->timeout = t->timeout;
	s->retries = t->retries;
	s->retry_time = t->retry_time;
	s->options = ts->options;
	s->schema = ts->schema;
	s->on_text = on_text;
	s->on_flush = on_flush;
	s->on_tick = on_tick;
	s->on_note = send_note;
	s->ctx = t;
	s->tools = t->tools;
	if (t->on_send)
		t->on_send(t->ctx);
	cf_send_run(s);
	/* a whole reply (--no-stream's, echo's) goes out; it is saved whole
	 * next, not in a part first */
	if (t->on_flush)
		t->on_flush(t->ctx);
	if (t->on_end)
		t->on_end(t->ctx);

	r = finish(ts);
	t->session = ts->sess;
	ts->sess = jv_null();
	t->state = NULL;
	state_free(ts);
	return r;
}

void
cf_turn_release(struct cf_turn *t)
{
	jv_free(t->session);
	jv_free(t->over);
	jv_free(t->fallbacks);
	jv_free(t->user);
	jv_free(t->reply);
	jv_free(t->branch);
	jv_free(t->msg_context);
	t->msg_context = jv_null();
	jv_free(t->activity);
	t->activity = jv_null();
	t->session = t->over = t->fallbacks = t->user = t->reply = t->branch = jv_null();
	jv_free(t->tools);
	t->tools = jv_null();
}
