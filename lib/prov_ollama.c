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
	if ((t = cf_jstr_or_null(msg, "content")))
		cf_call_text(c, t, strlen(t));
	jv_free(msg);
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
