/* prov_openai.c — OpenAI Chat Completions, and every server that speaks
 * it (Ollama's /v1, llama.cpp, vLLM, OpenRouter, Groq, Mistral). */
#include <curl/curl.h>
#include <string.h>

#include "provider.h"

static void
url(cf_call *c, char *buf, size_t n)
{
	cf_base_url(c->base, "/chat/completions", buf, n);
}

static struct curl_slist *
headers(cf_call *c, struct curl_slist *h)
{
	if (c->key) {
		char k[1024];
		snprintf(k, sizeof k, "Authorization: Bearer %s", c->key);
		h = curl_slist_append(h, k);
	}
	if (c->stream)
		h = curl_slist_append(h, "Accept: text/event-stream");
	return h;
}

/* A message with typed parts: an assistant's tool calls ride on it
 * (arguments as JSON text), each tool result is a message of role
 * "tool" of its own, before what else the user said; thinking is not
 * sent back (servers that return reasoning_content refuse it). */
static jv
with_parts(jv msgs, jv m, jv parts)
{
	const char *role = cf_jstr(m, "role");
	jv text = jv_string(""), calls = jv_array();
	jv_array_foreach(parts, i, p) {
		const char *type = cf_jstr(p, "type");
		if (!strcmp(type, "text")) {
			text = jv_string_append_str(text, cf_jstr(p, "text"));
		} else if (!strcmp(type, "tool_use")) {
			jv in = jv_object_get(jv_copy(p), jv_string("input"));
			if (jv_get_kind(in) != JV_KIND_OBJECT) {
				jv_free(in);
				in = jv_object();
			}
			jv fn = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(p, "name")));
			fn = jv_object_set(fn, jv_string("arguments"), jv_dump_string(in, 0));
			jv tc = jv_object_set(jv_object(), jv_string("id"), jv_string(cf_jstr(p, "id")));
			tc = jv_object_set(tc, jv_string("type"), jv_string("function"));
			calls = jv_array_append(calls, jv_object_set(tc, jv_string("function"), fn));
		} else if (!strcmp(type, "tool_result")) {
			jv r = jv_object_set(jv_object(), jv_string("role"), jv_string("tool"));
			r = jv_object_set(r, jv_string("tool_call_id"), jv_string(cf_jstr(p, "toolUseId")));
			jv content = jv_object_get(jv_copy(p), jv_string("content"));
			if (!jv_is_valid(content)) {
				jv_free(content);
				content = jv_string("");
			} else if (jv_get_kind(content) != JV_KIND_STRING) {
				content = jv_dump_string(content, 0);   /* blocks, as JSON text */
			}
			msgs = jv_array_append(msgs, jv_object_set(r, jv_string("content"), content));
		}
		jv_free(p);
		(void)i;
	}
	jv_free(parts);
	int ncalls = jv_array_length(jv_copy(calls));
	if (ncalls || jv_string_length_bytes(jv_copy(text)) || strcmp(role, "user")) {
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
		o = jv_object_set(o, jv_string("content"), ncalls &&
		                  !jv_string_length_bytes(jv_copy(text)) ?
		                  (jv_free(text), jv_null()) : text);
		if (ncalls)
			o = jv_object_set(o, jv_string("tool_calls"), calls);
		else
			jv_free(calls);
		msgs = jv_array_append(msgs, o);
	} else {
		jv_free(text);
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
	jv_array_foreach(c->messages, i, m) {
		jv parts = cf_wire_parts(c, m);
		if (jv_get_kind(parts) == JV_KIND_ARRAY) {
			msgs = with_parts(msgs, m, parts);
			jv_free(m);
			continue;
		}
		jv_free(parts);
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(cf_jstr(m, "role")));
		jv imgs = jv_object_get(jv_copy(m), jv_string("images"));
		if (jv_get_kind(imgs) == JV_KIND_ARRAY && jv_array_length(jv_copy(imgs))) {
			jv parts = jv_array();
			jv t = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
			parts = jv_array_append(parts, jv_object_set(t, jv_string("text"),
			                        jv_string(cf_jstr(m, "content"))));
			jv_array_foreach(imgs, j, img) {
				jv u = jv_object_set(jv_object(), jv_string("url"),
					jv_string_fmt("data:%s;base64,%s", cf_jstr(img, "mimeType"),
					              cf_jstr(img, "data")));
				jv p = jv_object_set(jv_object(), jv_string("type"), jv_string("image_url"));
				parts = jv_array_append(parts, jv_object_set(p, jv_string("image_url"), u));
				jv_free(img);
				(void)j;
			}
			o = jv_object_set(o, jv_string("content"), parts);
		} else {
			o = jv_object_set(o, jv_string("content"), jv_string(cf_jstr(m, "content")));
		}
		jv_free(imgs);
		msgs = jv_array_append(msgs, o);
		jv_free(m);
		(void)i;
	}
	jv b = jv_object();
	b = jv_object_set(b, jv_string("model"), jv_string(c->model));
	b = jv_object_set(b, jv_string("messages"), msgs);
	/* OpenAI's newer models refuse max_tokens; the servers that copy the
	 * API know max_tokens and may not know its successor */
	b = jv_object_set(b, jv_string(strcmp(c->name, "openai") ? "max_tokens" :
	                               "max_completion_tokens"),
	                  jv_number((double)c->max_tokens));
	if (c->has_temperature)
		b = jv_object_set(b, jv_string("temperature"), jv_number(c->temperature));
	if (c->stream) {
		b = jv_object_set(b, jv_string("stream"), jv_true());
		b = jv_object_set(b, jv_string("stream_options"),
			jv_object_set(jv_object(), jv_string("include_usage"), jv_true()));
	}
	return b;
}

/* The model and the usage: in every chunk of a stream, or the whole reply.
 * prompt_tokens counts the cached tokens and completion_tokens the
 * reasoning ones, as inputTokens and outputTokens do. */
static void
model_and_usage(cf_call *c, jv d)
{
	cf_keep_str(&c->r.model, jv_object_get(jv_copy(d), jv_string("model")));
	jv u = jv_object_get(jv_copy(d), jv_string("usage"));
	if (jv_get_kind(u) != JV_KIND_OBJECT) {
		jv_free(u);
		return;
	}
	long in = cf_jlong(u, "prompt_tokens");
	long out = cf_jlong(u, "completion_tokens");
	long cr = cf_jlong(u, "prompt_tokens_details.cached_tokens");
	long rs = cf_jlong(u, "completion_tokens_details.reasoning_tokens");
	if (in >= 0)
		c->r.in_tokens = in;
	if (out >= 0)
		c->r.out_tokens = out;
	if (cr >= 0)
		c->r.cache_read = cr;
	if (rs >= 0)
		c->r.reasoning_tokens = rs;
	cf_call_usage(c, u);
}

static int
open_is(cf_call *c, const char *type)
{
	return jv_get_kind(c->r.part_open) == JV_KIND_OBJECT &&
	       !strcmp(cf_jstr(c->r.part_open, "type"), type);
}

/* Reasoning text, where a server sends it (reasoning_content: DeepSeek,
 * vLLM; reasoning: OpenRouter, Ollama's /v1): one thinking part while
 * no text comes between. */
static void
reasoning(cf_call *c, jv m)
{
	jv t = jv_object_get(jv_copy(m), jv_string("reasoning_content"));
	if (jv_get_kind(t) != JV_KIND_STRING) {
		jv_free(t);
		t = jv_object_get(jv_copy(m), jv_string("reasoning"));
	}
	if (jv_get_kind(t) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(t))) {
		if (!open_is(c, "thinking") || c->r.len != c->r.part_from)
			cf_call_part_begin(c, jv_object_set(jv_object(), jv_string("type"),
			                                    jv_string("thinking")));
		cf_call_part_append(c, "thinking", jv_string_value(t),
		                    (size_t)jv_string_length_bytes(jv_copy(t)));
	}
	jv_free(t);
}

/* How many tool calls the reply has so far: a call's index in the
 * stream is its place among them. */
static int
tool_count(cf_call *c)
{
	int n = open_is(c, "tool_use");
	if (jv_get_kind(c->r.parts) == JV_KIND_ARRAY) {
		jv_array_foreach(c->r.parts, i, p) {
			n += !strcmp(cf_jstr(p, "type"), "tool_use");
			jv_free(p);
			(void)i;
		}
	}
	return n;
}

/* tool_calls, streamed (whole = 0: by index, arguments in pieces) or
 * whole: each a tool_use part, its arguments parsed at its end. */
static void
tool_calls(cf_call *c, jv calls, int whole)
{
	if (jv_get_kind(calls) != JV_KIND_ARRAY) {
		jv_free(calls);
		return;
	}
	jv_array_foreach(calls, i, tc) {
		if (jv_get_kind(tc) != JV_KIND_OBJECT) {
			c->malformed++;
			jv_free(tc);
			continue;
		}
		int at = whole ? -1 : (int)cf_jnum(tc, "index", 0);
		int n = whole ? 0 : tool_count(c);
		/* Gemini's compatible endpoint sends no index: an id other
		 * than the open call's starts a call, no id goes on with it */
		const char *tid = cf_jstr_or_null(tc, "id");
		int fresh = !whole && !jv_object_has(jv_copy(tc), jv_string("index")) &&
		            tid && *tid && open_is(c, "tool_use") &&
		            strcmp(tid, cf_jstr(c->r.part_open, "id"));
		if (fresh)
			at = n;
		else if (!whole && !jv_object_has(jv_copy(tc), jv_string("index")) && n)
			at = n - 1;
		if (whole || at >= n || !open_is(c, "tool_use")) {
			jv p = jv_object_set(jv_object(), jv_string("type"), jv_string("tool_use"));
			p = jv_object_set(p, jv_string("input"), jv_object());
			cf_call_part_begin(c, p);
		} else if (at != n - 1) {
			/* a call already ended: servers send them in order */
			c->malformed++;
			jv_free(tc);
			continue;
		}
		const char *id = cf_jstr_or_null(tc, "id");
		jv fn = jv_object_get(jv_copy(tc), jv_string("function"));
		if (jv_get_kind(fn) != JV_KIND_OBJECT) {   /* a delta of metadata alone */
			jv_free(fn);
			fn = jv_object();
		}
		const char *name = cf_jstr_or_null(fn, "name");
		if (id && *id)
			cf_call_part_set(c, "id", jv_string(id));
		if (name && *name)
			cf_call_part_set(c, "name", jv_string(name));
		jv args = jv_object_get(jv_copy(fn), jv_string("arguments"));
		if (jv_get_kind(args) == JV_KIND_STRING)
			cf_call_part_append(c, "inputJson", jv_string_value(args),
			                    (size_t)jv_string_length_bytes(jv_copy(args)));
		jv_free(args);
		jv_free(fn);
		if (whole)
			cf_call_part_end(c);
		jv_free(tc);
		(void)i;
	}
	jv_free(calls);
}

static int
error_of(cf_call *c, jv d)
{
	jv e = jv_object_get(jv_copy(d), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_NULL || !jv_is_valid(e)) {
		jv_free(e);
		return 0;
	}
	jv m = jv_get_kind(e) == JV_KIND_STRING ? jv_copy(e) :
	       jv_object_get(jv_copy(e), jv_string("message"));
	jv_free(c->r.error);
	c->r.error = jv_get_kind(m) == JV_KIND_STRING ? m :
	             (jv_free(m), jv_string("error event"));
	jv_free(e);
	return CF_CALL_EVENT;
}

static int
event(cf_call *c, const char *ev, const char *data, size_t n)
{
	(void)ev;
	if (n == 6 && !memcmp(data, "[DONE]", 6)) {
		c->done = 1;
		return 0;
	}
	jv d = cf_event_json(c, data, n);
	if (!jv_is_valid(d))
		return 0;
	int rc = error_of(c, d);
	if (!rc) {
		/* only the first choice: n > 1 is not something we ask for */
		jv choices = jv_object_get(jv_copy(d), jv_string("choices"));
		if (jv_get_kind(choices) == JV_KIND_ARRAY) {
			jv_array_foreach(choices, i, ch) {
				if (cf_jnum(ch, "index", 0) == 0) {
					jv delta = jv_object_get(jv_copy(ch), jv_string("delta"));
					if (jv_get_kind(delta) == JV_KIND_OBJECT)
						reasoning(c, delta);
					jv t = cf_jpath(ch, "delta.content");
					if (jv_get_kind(t) == JV_KIND_STRING)
						cf_call_text(c, jv_string_value(t),
						             (size_t)jv_string_length_bytes(jv_copy(t)));
					jv_free(t);
					if (jv_get_kind(delta) == JV_KIND_OBJECT)
						tool_calls(c, jv_object_get(jv_copy(delta),
						           jv_string("tool_calls")), 0);
					jv_free(delta);
					cf_keep_str(&c->r.stop, jv_object_get(jv_copy(ch), jv_string("finish_reason")));
				}
				jv_free(ch);
				(void)i;
			}
		}
		jv_free(choices);
		model_and_usage(c, d);
	}
	jv_free(d);
	return rc;
}

static int
whole(cf_call *c, const char *body, size_t n)
{
	jv d = cf_event_json(c, body, n);
	if (!jv_is_valid(d))
		return cf_call_error(c, CF_CALL_MALFORMED, "the reply is not JSON");
	int rc = error_of(c, d);
	if (!rc) {
		jv msg = cf_jpath(d, "choices.0.message");
		if (jv_get_kind(msg) == JV_KIND_OBJECT)
			reasoning(c, msg);
		cf_call_part_end(c);
		jv t = cf_jpath(d, "choices.0.message.content");
		if (jv_get_kind(t) == JV_KIND_STRING)
			cf_call_text(c, jv_string_value(t),
			             (size_t)jv_string_length_bytes(jv_copy(t)));
		jv_free(t);
		if (jv_get_kind(msg) == JV_KIND_OBJECT)
			tool_calls(c, jv_object_get(jv_copy(msg), jv_string("tool_calls")), 1);
		jv_free(msg);
		cf_keep_str(&c->r.stop, cf_jpath(d, "choices.0.finish_reason"));
		model_and_usage(c, d);
		c->done = 1;
	}
	jv_free(d);
	return rc;
}

static jv
errmsg(const char *body, size_t n)
{
	jv d = jv_parse_sized(body, (int)n);
	jv m = cf_jpath(d, "error.message");
	if (jv_get_kind(m) != JV_KIND_STRING) {
		jv_free(m);
		m = cf_jpath(d, "error");   /* some servers send a bare string */
	}
	jv_free(d);
	if (jv_get_kind(m) != JV_KIND_STRING) {
		jv_free(m);
		return jv_null();
	}
	return m;
}

static jv tools(cf_call *c, jv body, jv list);
/* -o's options at the top of the body (effort=X is reasoning_effort);
 * --schema as response_format json_schema, strict when the schema
 * qualifies (every object closed and its properties all required). */
static jv
options(cf_call *c, jv b)
{
	jv o = jv_get_kind(c->options) == JV_KIND_OBJECT ? jv_copy(c->options) : jv_object();
	jv eff = jv_object_get(jv_copy(o), jv_string("effort"));
	if (jv_is_valid(eff)) {
		o = jv_object_delete(o, jv_string("effort"));
		o = jv_object_merge_recursive(jv_object_set(jv_object(),
		                              jv_string("reasoning_effort"), eff), o);
	} else {
		jv_free(eff);
	}
	if (jv_get_kind(c->schema) == JV_KIND_OBJECT) {
		jv js = jv_object_set(jv_object(), jv_string("name"), jv_string("reply"));
		js = jv_object_set(js, jv_string("schema"), jv_copy(c->schema));
		if (cf_schema_strict(c->schema))
			js = jv_object_set(js, jv_string("strict"), jv_true());
		jv rf = jv_object_set(jv_object(), jv_string("type"), jv_string("json_schema"));
		b = jv_object_set(b, jv_string("response_format"),
		                  jv_object_set(rf, jv_string("json_schema"), js));
	}
	b = cf_options_place(b, o, NULL, NULL);
	jv_free(o);
	return b;
}

const struct cf_provider cf_prov_openai = {
	.name = "openai",
	.key_env = {"OPENAI_API_KEY"},
	.base_env = "OPENAI_BASE_URL",
	.base_default = "https://api.openai.com/v1",
	.model_default = "gpt-4o-mini",
	.url = url,
	.headers = headers,
	.body = body,
	.options = options,
	.event = event,
	.whole = whole,
	.errmsg = errmsg,
	.tools = tools,
};

/* Chat Completions (and Ollama, which copies it) want each tool as a
 * function. */
jv
cf_tools_as_functions(jv list)
{
	jv out = jv_array();
	jv_array_foreach(list, i, t) {
		jv f = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(t, "name")));
		f = jv_object_set(f, jv_string("description"), jv_string(cf_jstr(t, "description")));
		f = jv_object_set(f, jv_string("parameters"),
		                  jv_object_get(jv_copy(t), jv_string("input_schema")));
		jv o = jv_object_set(jv_object(), jv_string("type"), jv_string("function"));
		out = jv_array_append(out, jv_object_set(o, jv_string("function"), f));
		jv_free(t);
		(void)i;
	}
	jv_free(list);
	return out;
}

static jv
tools(cf_call *c, jv body, jv list)
{
	(void)c;
	return jv_object_set(body, jv_string("tools"), cf_tools_as_functions(list));
}
