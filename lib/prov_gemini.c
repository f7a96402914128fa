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

static jv
body(cf_call *c)
{
	jv sys;
	jv turns = cf_turns(c, &sys);
	jv contents = jv_array();
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
		parts = jv_array_append(parts, text_part(cf_jstr(m, "content")));
		const char *role = strcmp(cf_jstr(m, "role"), "assistant") ? "user" : "model";
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
		contents = jv_array_append(contents, jv_object_set(o, jv_string("parts"), parts));
		jv_free(m);
		(void)i;
	}
	jv_free(turns);
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
			/* thoughts are the model's notes, not its reply */
			if (!cf_jbool(p, "thought")) {
				const char *t = cf_jstr(p, "text");
				cf_call_text(c, t, strlen(t));
			}
			jv_free(p);
			(void)i;
		}
	}
	jv_free(parts);
	long in = cf_jlong(d, "usageMetadata.promptTokenCount");
	long out = cf_jlong(d, "usageMetadata.candidatesTokenCount");
	long think = cf_jlong(d, "usageMetadata.thoughtsTokenCount");
	if (in >= 0)
		c->r.in_tokens = in;
	if (out >= 0)
		c->r.out_tokens = out + (think > 0 ? think : 0);
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

const struct cf_provider cf_prov_gemini = {
	.name = "gemini",
	.key_env = {"GEMINI_API_KEY", "GOOGLE_API_KEY"},
	.base_env = "GOOGLE_GEMINI_BASE_URL",
	.base_default = "https://generativelanguage.googleapis.com",
	.model_default = "gemini-2.5-flash",
	.url = url,
	.headers = headers,
	.body = body,
	.event = event,
	.whole = whole,
	.errmsg = errmsg,
};
