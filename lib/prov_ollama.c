/* prov_ollama.c — Ollama's native /api/chat, streamed as JSON lines. */
#include <curl/curl.h>
#include <string.h>

#include "provider.h"

static void
url(cf_call *c, char *buf, size_t n)
{
	cf_base_url(c->base, "/api/chat", buf, n);
}

static struct curl_slist *
headers(cf_call *c, struct curl_slist *h)
{
	if (c->key) {   /* a proxy in front of Ollama may want one */
		char k[1024];
		snprintf(k, sizeof k, "Authorization: Bearer %s", c->key);
		h = curl_slist_append(h, k);
	}
	return curl_slist_append(h, "Accept: application/x-ndjson");
}

/* A message with typed parts: the assistant's thinking (when it was
 * Ollama's) and tool calls (arguments an object) on it; each tool
 * result a message of role "tool", named by the call it answers (names:
 * id -> name of the calls so far). */
static jv
with_parts(jv msgs, jv m, jv parts, jv *names)
{
	const char *role = cf_jstr(m, "role");
	jv text = jv_string(""), think = jv_string(""), calls = jv_array();
	jv_array_foreach(parts, i, p) {
		const char *type = cf_jstr(p, "type");
		if (!strcmp(type, "text")) {
			text = jv_string_append_str(text, cf_jstr(p, "text"));
		} else if (!strcmp(type, "thinking")) {
			think = jv_string_append_str(think, cf_jstr(p, "thinking"));
		} else if (!strcmp(type, "tool_use")) {
			jv in = jv_object_get(jv_copy(p), jv_string("input"));
			jv fn = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(p, "name")));
			fn = jv_object_set(fn, jv_string("arguments"), jv_get_kind(in) == JV_KIND_OBJECT ?
			                   in : (jv_free(in), jv_object()));
			jv tc = jv_object_set(jv_object(), jv_string("function"), fn);
			const char *id = cf_jstr_or_null(p, "id");
			if (id) {
				tc = jv_object_set(tc, jv_string("id"), jv_string(id));
				*names = jv_object_set(*names, jv_string(id), jv_string(cf_jstr(p, "name")));
			}
			calls = jv_array_append(calls, tc);
		} else if (!strcmp(type, "tool_result")) {
			jv r = jv_object_set(jv_object(), jv_string("role"), jv_string("tool"));
			jv content = jv_object_get(jv_copy(p), jv_string("content"));
			if (!jv_is_valid(content)) {
				jv_free(content);
				content = jv_string("");
			} else if (jv_get_kind(content) != JV_KIND_STRING) {
				content = jv_dump_string(content, 0);
			}
			r = jv_object_set(r, jv_string("content"), content);
			jv name = jv_object_get(jv_copy(*names), jv_string(cf_jstr(p, "toolUseId")));
			if (jv_get_kind(name) == JV_KIND_STRING)
				r = jv_object_set(r, jv_string("tool_name"), name);
			else if (jv_free(name), *cf_jstr(p, "name"))   /* a call without an id */
				r = jv_object_set(r, jv_string("tool_name"), jv_string(cf_jstr(p, "name")));
			msgs = jv_array_append(msgs, r);
		}
		jv_free(p);
		(void)i;
	}
	jv_free(parts);
	int ncalls = jv_array_length(jv_copy(calls));
	if (ncalls || jv_string_length_bytes(jv_copy(text)) || strcmp(role, "user")) {
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
		o = jv_object_set(o, jv_string("content"), text);
		if (jv_string_length_bytes(jv_copy(think)))
			o = jv_object_set(o, jv_string("thinking"), think);
		else
			jv_free(think);
		if (ncalls)
			o = jv_object_set(o, jv_string("tool_calls"), calls);
		else
			jv_free(calls);
		msgs = jv_array_append(msgs, o);
	} else {
		jv_free(text);
		jv_free(think);
		jv_free(calls);
	}
	return msgs;
}

static jv
body(cf_call *c)
{
	jv msgs = jv_array();
	if (c->system && *c->system) {
		jv s = jv_object_set(jv_object(), jv_string("role"), jv_string("system"));
		msgs = jv_array_append(msgs, jv_object_set(s, jv_string("content"),
		                                           jv_string(c->system)));
	}
	jv names = jv_object();
	jv_array_foreach(c->messages, i, m) {
		jv parts = cf_wire_parts(c, m);
		if (jv_get_kind(parts) == JV_KIND_ARRAY) {
			msgs = with_parts(msgs, m, parts, &names);
			jv_free(m);
			continue;
		}
		jv_free(parts);
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(cf_jstr(m, "role")));
		o = jv_object_set(o, jv_string("content"), jv_string(cf_jstr(m, "content")));
		jv imgs = jv_object_get(jv_copy(m), jv_string("images"));
		if (jv_get_kind(imgs) == JV_KIND_ARRAY && jv_array_length(jv_copy(imgs))) {
			jv data = jv_array();
			jv_array_foreach(imgs, j, img) {
				data = jv_array_append(data, jv_string(cf_jstr(img, "data")));
				jv_free(img);
				(void)j;
			}
			o = jv_object_set(o, jv_string("images"), data);
		}
		jv_free(imgs);
		msgs = jv_array_append(msgs, o);
		jv_free(m);
		(void)i;
	}
	jv_free(names);
	jv opts = jv_object_set(jv_object(), jv_string("num_predict"),
	                        jv_number((double)c->max_tokens));
	if (c->has_temperature)
		opts = jv_object_set(opts, jv_string("temperature"), jv_number(c->temperature));
	jv b = jv_object();
	b = jv_object_set(b, jv_string("model"), jv_string(c->model));
	b = jv_object_set(b, jv_string("messages"), msgs);
	b = jv_object_set(b, jv_string("stream"), jv_bool(c->stream));
	return jv_object_set(b, jv_string("options"), opts);
}

static int
open_is(cf_call *c, const char *type)
{
	return jv_get_kind(c->r.part_open) == JV_KIND_OBJECT &&
	       !strcmp(cf_jstr(c->r.part_open, "type"), type);
}

/* message.thinking (a thinking model's notes) and message.tool_calls,
 * which Ollama sends whole, arguments an object. */
static void
parts_of(cf_call *c, jv msg)
{
	const char *th = cf_jstr_or_null(msg, "thinking");
	if (th && *th) {
		if (!open_is(c, "thinking") || c->r.len != c->r.part_from)
			cf_call_part_begin(c, jv_object_set(jv_object(), jv_string("type"),
			                                    jv_string("thinking")));
		cf_call_part_append(c, "thinking", th, strlen(th));
	}
	jv calls = jv_object_get(jv_copy(msg), jv_string("tool_calls"));
	if (jv_get_kind(calls) == JV_KIND_ARRAY) {
		jv_array_foreach(calls, i, tc) {
			if (jv_get_kind(tc) != JV_KIND_OBJECT) {
				c->malformed++;
				jv_free(tc);
				continue;
			}
			jv fn = jv_object_get(jv_copy(tc), jv_string("function"));
			if (jv_get_kind(fn) != JV_KIND_OBJECT) {
				jv_free(fn);
				fn = jv_object();
			}
			jv u = jv_object_set(jv_object(), jv_string("type"), jv_string("tool_use"));
			const char *id = cf_jstr_or_null(tc, "id");
			if (id)
				u = jv_object_set(u, jv_string("id"), jv_string(id));
			u = jv_object_set(u, jv_string("name"), jv_string(cf_jstr(fn, "name")));
			jv args = jv_object_get(jv_copy(fn), jv_string("arguments"));
			if (jv_get_kind(args) == JV_KIND_STRING) {   /* some builds: JSON text */
				u = jv_object_set(u, jv_string("inputJson"), args);
			} else {
				u = jv_object_set(u, jv_string("input"), jv_get_kind(args) ==
				                  JV_KIND_OBJECT ? args : (jv_free(args), jv_object()));
			}
			cf_call_part_begin(c, u);
			cf_call_part_end(c);
			jv_free(fn);
			jv_free(tc);
			(void)i;
		}
	}
	jv_free(calls);
}

/* Ollama's counters, kept as they come: the last line has them. */
static void
counters(cf_call *c, jv d)
{
	static const char *const keys[] = {"total_duration", "load_duration",
		"prompt_eval_count", "prompt_eval_duration", "eval_count",
		"eval_duration"};
	jv u = jv_object();
	int any = 0;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		jv v = jv_object_get(jv_copy(d), jv_string(keys[i]));
		if (jv_get_kind(v) == JV_KIND_NUMBER) {
			u = jv_object_set(u, jv_string(keys[i]), v);
			any = 1;
		} else {
			jv_free(v);
		}
	}
	if (any)
		cf_call_usage(c, u);
	else
		jv_free(u);
}

static int
line(cf_call *c, jv d)
{
	jv e = jv_object_get(jv_copy(d), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_STRING) {
		jv_free(c->r.error);
		c->r.error = e;
		return CF_CALL_EVENT;
	}
	jv_free(e);
	const char *t = NULL;
	jv msg = jv_object_get(jv_copy(d), jv_string("message"));
	if (jv_get_kind(msg) == JV_KIND_OBJECT)
		parts_of(c, msg);
	if ((t = cf_jstr_or_null(msg, "content")))
		cf_call_text(c, t, strlen(t));
	jv_free(msg);
	counters(c, d);
	cf_keep_str(&c->r.model, jv_object_get(jv_copy(d), jv_string("model")));
	if (cf_jbool(d, "done")) {
		c->done = 1;
		c->r.in_tokens = cf_jlong(d, "prompt_eval_count");
		c->r.out_tokens = cf_jlong(d, "eval_count");
		cf_keep_str(&c->r.stop, jv_object_get(jv_copy(d), jv_string("done_reason")));
	}
	return 0;
}

static int
event(cf_call *c, const char *ev, const char *data, size_t n)
{
	(void)ev;
	return cf_event_with(c, data, n, line);
}

static int
whole(cf_call *c, const char *body, size_t n)
{
	return cf_whole_with(c, body, n, line);
}

static jv
errmsg(const char *body, size_t n)
{
	jv d = jv_parse_sized(body, (int)n);
	jv m = cf_jpath(d, "error");
	jv_free(d);
	if (jv_get_kind(m) != JV_KIND_STRING) {
		jv_free(m);
		return jv_null();
	}
	return m;
}

static jv tools(cf_call *c, jv body, jv list);
/* -o's options in the body's "options" (the model's parameters: top_p,
 * seed, stop, num_ctx, ...), but for /api/chat's own top-level fields
 * (think, format, keep_alive, ...); effort=X is think: X.  --schema as
 * format; a format given with -o wins. */
static jv
options(cf_call *c, jv b)
{
	static const char *const top[] = {"model", "messages", "tools", "format",
		"options", "stream", "keep_alive", "think", "template", "raw", NULL};
	jv o = jv_get_kind(c->options) == JV_KIND_OBJECT ? jv_copy(c->options) : jv_object();
	jv eff = jv_object_get(jv_copy(o), jv_string("effort"));
	if (jv_is_valid(eff)) {
		o = jv_object_delete(o, jv_string("effort"));
		o = jv_object_merge_recursive(jv_object_set(jv_object(), jv_string("think"), eff), o);
	} else {
		jv_free(eff);
	}
	if (jv_get_kind(c->schema) == JV_KIND_OBJECT)
		b = jv_object_set(b, jv_string("format"), jv_copy(c->schema));
	b = cf_options_place(b, o, top, "options");
	jv_free(o);
	return b;
}

const struct cf_provider cf_prov_ollama = {
	.name = "ollama",
	.base_env = "OLLAMA_HOST",
	.base_default = "http://127.0.0.1:11434",
	.model_default = "llama3.2",
	.ndjson = 1,
	.url = url,
	.headers = headers,
	.body = body,
	.options = options,
	.event = event,
	.whole = whole,
	.errmsg = errmsg,
	.tools = tools,
};

static jv
tools(cf_call *c, jv body, jv list)
{
	(void)c;
	return jv_object_set(body, jv_string("tools"), cf_tools_as_functions(list));
}
