/* prov_gemini.c — Gemini generateContent, streamed with alt=sse. */
#include <curl/curl.h>
#include <string.h>

#include "provider.h"

static void
url(cf_call *c, char *buf, size_t n)
{
	char path[512];
	const char *m = c->model;
	if (!strncmp(m, "models/", 7))
		m += 7;
	/* stream-format = json-array: the endpoint's own answer, one JSON
	 * array, for a proxy that passes no alt=sse */
	snprintf(path, sizeof path, "/v1beta/models/%s:%s", m,
	         !c->stream ? "generateContent" : c->json_array ?
	         "streamGenerateContent" : "streamGenerateContent?alt=sse");
	cf_base_url(c->base, path, buf, n);
}

static struct curl_slist *
headers(cf_call *c, struct curl_slist *h)
{
	char k[1024];
	snprintf(k, sizeof k, "x-goog-api-key: %s", c->key ? c->key : "");
	return curl_slist_append(h, k);
}

static jv
text_part(const char *t)
{
	return jv_object_set(jv_object(), jv_string("text"), jv_string(t));
}

/* Typed parts as Gemini's: thoughts (thought: true) and text with the
 * thoughtSignature each came with, tool calls as functionCall, results
 * as functionResponse under the name of the call they answer (names
 * holds id -> name for the calls so far). */
static jv
wire_parts(jv out, jv parts, jv *names)
{
	jv_array_foreach(parts, i, p) {
		const char *type = cf_jstr(p, "type");
		jv g = jv_invalid();
		if (!strcmp(type, "text")) {
			g = text_part(cf_jstr(p, "text"));
		} else if (!strcmp(type, "thinking")) {
			g = text_part(cf_jstr(p, "thinking"));
			g = jv_object_set(g, jv_string("thought"), jv_true());
		} else if (!strcmp(type, "tool_use")) {
			jv fc = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(p, "name")));
			jv in = jv_object_get(jv_copy(p), jv_string("input"));
			fc = jv_object_set(fc, jv_string("args"), jv_get_kind(in) == JV_KIND_OBJECT ?
			                   in : (jv_free(in), jv_object()));
			const char *id = cf_jstr_or_null(p, "id");
			if (id) {
				fc = jv_object_set(fc, jv_string("id"), jv_string(id));
				*names = jv_object_set(*names, jv_string(id), jv_string(cf_jstr(p, "name")));
			}
			g = jv_object_set(jv_object(), jv_string("functionCall"), fc);
		} else if (!strcmp(type, "tool_result")) {
			const char *id = cf_jstr(p, "toolUseId");
			jv name = jv_object_get(jv_copy(*names), jv_string(id));
			jv fr = jv_object_set(jv_object(), jv_string("name"),
			                      jv_get_kind(name) == JV_KIND_STRING ? name :
			                      (jv_free(name), jv_string(cf_jstr(p, "name"))));
			if (*id)
				fr = jv_object_set(fr, jv_string("id"), jv_string(id));
			jv content = jv_object_get(jv_copy(p), jv_string("content"));
			if (!jv_is_valid(content)) {
				jv_free(content);
				content = jv_string("");
			}
			jv r = jv_object_set(jv_object(), jv_string(cf_jbool(p, "isError") ?
			                     "error" : "content"), content);
			fr = jv_object_set(fr, jv_string("response"), r);
			g = jv_object_set(jv_object(), jv_string("functionResponse"), fr);
		}
		if (jv_is_valid(g)) {
			jv sig = jv_object_get(jv_copy(p), jv_string("thoughtSignature"));
			if (jv_get_kind(sig) == JV_KIND_STRING)
				g = jv_object_set(g, jv_string("thoughtSignature"), sig);
			else
				jv_free(sig);
			out = jv_array_append(out, g);
		}
		jv_free(p);
		(void)i;
	}
	jv_free(parts);
	return out;
}

static jv
body(cf_call *c)
{
	jv sys;
	jv turns = cf_turns(c, &sys);
	jv contents = jv_array();
	jv names = jv_object();
	jv_array_foreach(turns, i, m) {
		jv parts = jv_array();
		jv imgs = jv_object_get(jv_copy(m), jv_string("images"));
		if (jv_get_kind(imgs) == JV_KIND_ARRAY) {
			jv_array_foreach(imgs, j, img) {
				jv d = jv_object_set(jv_object(), jv_string("mime_type"),
				                     jv_string(cf_jstr(img, "mimeType")));
				d = jv_object_set(d, jv_string("data"), jv_string(cf_jstr(img, "data")));
				parts = jv_array_append(parts,
					jv_object_set(jv_object(), jv_string("inline_data"), d));
				jv_free(img);
				(void)j;
			}
		}
		jv_free(imgs);
		jv typed = cf_wire_parts(c, m);
		int before = jv_array_length(jv_copy(parts));
		if (jv_get_kind(typed) == JV_KIND_ARRAY)
			parts = wire_parts(parts, typed, &names);
		else
			jv_free(typed);
		/* no parts, or none of them ours: the text */
		if (jv_array_length(jv_copy(parts)) == before)
			parts = jv_array_append(parts, text_part(cf_jstr(m, "content")));
		const char *role = strcmp(cf_jstr(m, "role"), "assistant") ? "user" : "model";
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
		contents = jv_array_append(contents, jv_object_set(o, jv_string("parts"), parts));
		jv_free(m);
		(void)i;
	}
	jv_free(turns);
	jv_free(names);
	jv b = jv_object_set(jv_object(), jv_string("contents"), contents);
	if (jv_get_kind(sys) == JV_KIND_STRING)
		b = jv_object_set(b, jv_string("systemInstruction"),
			jv_object_set(jv_object(), jv_string("parts"),
			              jv_array_append(jv_array(), text_part(jv_string_value(sys)))));
	jv_free(sys);
	jv g = jv_object_set(jv_object(), jv_string("maxOutputTokens"),
	                     jv_number((double)c->max_tokens));
	if (c->has_temperature)
		g = jv_object_set(g, jv_string("temperature"), jv_number(c->temperature));
	return jv_object_set(b, jv_string("generationConfig"), g);
}

static int
open_is(cf_call *c, const char *type)
{
	return jv_get_kind(c->r.part_open) == JV_KIND_OBJECT &&
	       !strcmp(cf_jstr(c->r.part_open, "type"), type);
}

/* One part of a candidate.  Thoughts (thought: true) are the model's
 * notes: a thinking part, the chunks of one thought joined.  A part
 * with a thoughtSignature keeps it where it came, which is where
 * Gemini wants it back; plain text goes to the reply as it is. */
static void
one_part(cf_call *c, jv p)
{
	const char *t = cf_jstr(p, "text");
	jv sig = jv_object_get(jv_copy(p), jv_string("thoughtSignature"));
	int has_sig = jv_get_kind(sig) == JV_KIND_STRING;
	jv fc = jv_object_get(jv_copy(p), jv_string("functionCall"));
	if (jv_get_kind(fc) == JV_KIND_OBJECT) {
		jv u = jv_object_set(jv_object(), jv_string("type"), jv_string("tool_use"));
		jv id = jv_object_get(jv_copy(fc), jv_string("id"));
		if (jv_get_kind(id) == JV_KIND_STRING)
			u = jv_object_set(u, jv_string("id"), id);
		else
			jv_free(id);
		u = jv_object_set(u, jv_string("name"),
		                  jv_string(cf_jstr(fc, "name")));
		jv args = jv_object_get(jv_copy(fc), jv_string("args"));
		u = jv_object_set(u, jv_string("input"), jv_get_kind(args) == JV_KIND_OBJECT ?
		                  args : (jv_free(args), jv_object()));
		if (has_sig)
			u = jv_object_set(u, jv_string("thoughtSignature"), jv_copy(sig));
		cf_call_part_begin(c, u);
		cf_call_part_end(c);
	} else if (cf_jbool(p, "thought")) {
		if (!open_is(c, "thinking") || c->r.len != c->r.part_from ||
		    jv_object_has(jv_copy(c->r.part_open), jv_string("thoughtSignature")))
			cf_call_part_begin(c, jv_object_set(jv_object(), jv_string("type"),
			                                    jv_string("thinking")));
		cf_call_part_append(c, "thinking", t, strlen(t));
		if (has_sig)
			cf_call_part_set(c, "thoughtSignature", jv_copy(sig));
	} else if (has_sig) {
		jv x = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
		cf_call_part_begin(c, jv_object_set(x, jv_string("thoughtSignature"),
		                                    jv_copy(sig)));
		cf_call_text(c, t, strlen(t));
		cf_call_part_end(c);
	} else {
		cf_call_text(c, t, strlen(t));
	}
	jv_free(fc);
	jv_free(sig);
}

/* One chunk, streamed or whole: they have the same shape. */
static int
chunk(cf_call *c, jv d)
{
	jv e = jv_object_get(jv_copy(d), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		jv m = jv_object_get(e, jv_string("message"));
		jv_free(c->r.error);
		c->r.error = jv_get_kind(m) == JV_KIND_STRING ? m :
		             (jv_free(m), jv_string("error event"));
		return CF_CALL_EVENT;
	}
	jv_free(e);
	jv parts = cf_jpath(d, "candidates.0.content.parts");
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		jv_array_foreach(parts, i, p) {
			if (jv_get_kind(p) == JV_KIND_OBJECT)
				one_part(c, p);
			else
				c->malformed++;   /* no part: nothing in it to read */
			jv_free(p);
			(void)i;
		}
	}
	jv_free(parts);
	/* promptTokenCount counts the cached tokens, as inputTokens does;
	 * candidatesTokenCount leaves out the thoughts, which outputTokens
	 * counts (they are billed as output) */
	long in = cf_jlong(d, "usageMetadata.promptTokenCount");
	long out = cf_jlong(d, "usageMetadata.candidatesTokenCount");
	long think = cf_jlong(d, "usageMetadata.thoughtsTokenCount");
	long cached = cf_jlong(d, "usageMetadata.cachedContentTokenCount");
	if (in >= 0)
		c->r.in_tokens = in;
	if (out >= 0)
		c->r.out_tokens = out + (think > 0 ? think : 0);
	if (think >= 0)
		c->r.reasoning_tokens = think;
	if (cached >= 0)
		c->r.cache_read = cached;
	cf_call_usage(c, jv_object_get(jv_copy(d), jv_string("usageMetadata")));
	cf_keep_str(&c->r.model, jv_object_get(jv_copy(d), jv_string("modelVersion")));
	jv st = cf_jpath(d, "candidates.0.finishReason");
	if (jv_get_kind(st) == JV_KIND_STRING) {
		jv_free(c->r.stop);
		c->r.stop = st;
		c->done = 1;
	} else {
		jv_free(st);
	}
	return 0;
}

static int
event(cf_call *c, const char *ev, const char *data, size_t n)
{
	(void)ev;
	return cf_event_with(c, data, n, chunk);
}

static int
whole(cf_call *c, const char *body, size_t n)
{
	return cf_whole_with(c, body, n, chunk);
}

static jv
errmsg(const char *body, size_t n)
{
	jv d = jv_parse_sized(body, (int)n);
	if (jv_get_kind(d) == JV_KIND_ARRAY)   /* some errors come in a list */
		d = jv_array_get(d, 0);
	jv r = cf_error_text(d, "error.message", "error.status");
	jv_free(d);
	return r;
}

static jv tools(cf_call *c, jv body, jv list);
/* -o's options inside generationConfig, but for the request's own
 * top-level fields; thinking_budget=N and effort=X are thinkingConfig's
 * thinkingBudget and thinkingLevel.  --schema as responseSchema (in
 * Gemini's OpenAPI subset) with a JSON reply; options come after it, so
 * one given by name wins. */
static jv
options(cf_call *c, jv b)
{
	static const char *const top[] = {"contents", "tools", "toolConfig",
		"safetySettings", "systemInstruction", "generationConfig",
		"cachedContent", "labels", NULL};
	static const struct { const char *alias, *field; } think[] = {
		{"thinking_budget", "thinkingBudget"}, {"effort", "thinkingLevel"}};
	jv o = jv_get_kind(c->options) == JV_KIND_OBJECT ? jv_copy(c->options) : jv_object();
	for (size_t i = 0; i < sizeof think / sizeof *think; i++) {
		jv v = jv_object_get(jv_copy(o), jv_string(think[i].alias));
		if (!jv_is_valid(v)) {
			jv_free(v);
			continue;
		}
		o = jv_object_delete(o, jv_string(think[i].alias));
		jv tc = jv_object_set(jv_object(), jv_string(think[i].field), v);
		o = jv_object_merge_recursive(jv_object_set(jv_object(),
		                              jv_string("thinkingConfig"), tc), o);
	}
	if (jv_get_kind(c->schema) == JV_KIND_OBJECT) {
		jv g = jv_object_get(jv_copy(b), jv_string("generationConfig"));
		if (jv_get_kind(g) != JV_KIND_OBJECT) {
			jv_free(g);
			g = jv_object();
		}
		g = jv_object_set(g, jv_string("responseMimeType"), jv_string("application/json"));
		g = jv_object_set(g, jv_string("responseSchema"), cf_schema_openapi(c->schema));
		b = jv_object_set(b, jv_string("generationConfig"), g);
	}
	b = cf_options_place(b, o, top, "generationConfig");
	jv_free(o);
	return b;
}

const struct cf_provider cf_prov_gemini = {
	.name = "gemini",
	.key_env = {"GEMINI_API_KEY", "GOOGLE_API_KEY"},
	.base_env = "GOOGLE_GEMINI_BASE_URL",
	.base_default = "https://generativelanguage.googleapis.com",
	.model_default = "gemini-2.5-flash",
	.url = url,
	.headers = headers,
	.body = body,
	.options = options,
	.event = event,
	.whole = whole,
	.errmsg = errmsg,
	.tools = tools,
};

/* Gemini's functionDeclarations: parametersJsonSchema takes JSON Schema
 * as the plugins write it (parameters takes only OpenAPI's subset and
 * refuses keywords such as additionalProperties). */
static jv
tools(cf_call *c, jv body, jv list)
{
	(void)c;
	jv decls = jv_array();
	jv_array_foreach(list, i, t) {
		jv f = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(t, "name")));
		f = jv_object_set(f, jv_string("description"), jv_string(cf_jstr(t, "description")));
		f = jv_object_set(f, jv_string("parametersJsonSchema"),
		                  jv_object_get(jv_copy(t), jv_string("input_schema")));
		decls = jv_array_append(decls, f);
		jv_free(t);
		(void)i;
	}
	jv_free(list);
	jv g = jv_object_set(jv_object(), jv_string("functionDeclarations"), decls);
	return jv_object_set(body, jv_string("tools"), jv_array_append(jv_array(), g));
}
