/* prov_openai_responses.c — OpenAI's Responses API (POST /v1/responses):
 * typed input items instead of chat messages, and a stream of named
 * events (response.output_text.delta, response.completed, ...) instead of
 * chunks of one shape. */
#include <curl/curl.h>
#include <string.h>

#include "provider.h"

static void
url(cf_call *c, char *buf, size_t n)
{
	/* the base ends at /v1, as for Chat Completions: one OPENAI_BASE_URL
	 * serves both */
	cf_base_url(c->base, "/responses", buf, n);
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

static jv
typed(const char *type, const char *key, jv v)
{
	jv o = jv_object_set(jv_object(), jv_string("type"), jv_string(type));
	return jv_object_set(o, jv_string(key), v);
}

/* One message (borrowed) as an input item: what the model said earlier
 * is output_text, everything else input_text (with its images). */
static jv
item(jv m)
{
	const char *role = cf_jstr(m, "role");
	int said = !strcmp(role, "assistant");
	jv content = jv_array_append(jv_array(), typed(said ? "output_text" : "input_text",
	                             "text", jv_string(cf_jstr(m, "content"))));
	jv imgs = jv_object_get(jv_copy(m), jv_string("images"));
	if (!said && jv_get_kind(imgs) == JV_KIND_ARRAY) {
		jv_array_foreach(imgs, j, img) {
			content = jv_array_append(content, typed("input_image", "image_url",
				jv_string_fmt("data:%s;base64,%s", cf_jstr(img, "mimeType"),
				              cf_jstr(img, "data"))));
			jv_free(img);
			(void)j;
		}
	}
	jv_free(imgs);
	jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
	return jv_object_set(o, jv_string("content"), content);
}

/* A tool result's content as the one string function_call_output takes:
 * the text of its text blocks, or its JSON when it is something else. */
static jv
output_of(jv part)
{
	jv out = jv_object_get(jv_copy(part), jv_string("content"));
	if (jv_get_kind(out) == JV_KIND_STRING)
		return out;
	if (jv_get_kind(out) == JV_KIND_ARRAY) {
		jv t = jv_string("");
		int all = 1;
		jv_array_foreach(out, i, b) {
			if (strcmp(cf_jstr(b, "type"), "text"))
				all = 0;
			else
				t = jv_string_append_str(t, cf_jstr(b, "text"));
			jv_free(b);
			(void)i;
		}
		if (all) {
			jv_free(out);
			return t;
		}
		jv_free(t);
	}
	return jv_dump_string(out, 0);
}

/* A message's parts as cf_wire_parts leaves them for this protocol: its
 * items in order.  Text is a message item; a tool call a function_call
 * and its result a function_call_output, whoever made them; reasoning
 * (ours only, by then) goes back by id with its encrypted content when
 * there was some.
 * m and parts borrowed; input consumed and returned. */
static jv
items_of(jv input, jv m, jv parts)
{
	const char *role = cf_jstr(m, "role");
	int said = !strcmp(role, "assistant");
	jv text = jv_array();   /* the text parts not yet in an item */
	jv held = jv_array();   /* reasoning items, sent only if an item follows */
	jv_array_foreach(parts, i, p) {
		const char *type = cf_jstr(p, "type");
		jv it = jv_null();
		if (!strcmp(type, "text")) {
			text = jv_array_append(text, typed(said ? "output_text" : "input_text",
			                       "text", jv_string(cf_jstr(p, "text"))));
		} else if (!strcmp(type, "tool_use")) {
			jv in = jv_object_get(jv_copy(p), jv_string("input"));
			it = typed("function_call", "call_id", jv_string(cf_jstr(p, "id")));
			it = jv_object_set(it, jv_string("name"), jv_string(cf_jstr(p, "name")));
			it = jv_object_set(it, jv_string("arguments"),
			                   jv_dump_string(jv_is_valid(in) && jv_get_kind(in) != JV_KIND_NULL ?
			                                  in : (jv_free(in), jv_object()), 0));
		} else if (!strcmp(type, "tool_result")) {
			it = typed("function_call_output", "call_id", jv_string(cf_jstr(p, "toolUseId")));
			it = jv_object_set(it, jv_string("output"), output_of(p));
		} else if (!strcmp(type, "reasoning") && *cf_jstr(p, "id")) {
			jv sum = jv_array();
			if (*cf_jstr(p, "summary"))
				sum = jv_array_append(sum, typed("summary_text", "text",
				                                 jv_string(cf_jstr(p, "summary"))));
			it = typed("reasoning", "id", jv_string(cf_jstr(p, "id")));
			it = jv_object_set(it, jv_string("summary"), sum);
			jv e = jv_object_get(jv_copy(p), jv_string("encryptedContent"));
			if (jv_get_kind(e) == JV_KIND_STRING)
				it = jv_object_set(it, jv_string("encrypted_content"), e);
			else
				jv_free(e);
		}
		if (jv_get_kind(it) == JV_KIND_OBJECT && jv_array_length(jv_copy(text))) {
			input = jv_array_concat(input, held);
			held = jv_array();
			jv msg = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
			input = jv_array_append(input, jv_object_set(msg, jv_string("content"), text));
			text = jv_array();
		}
		if (jv_get_kind(it) == JV_KIND_OBJECT && !strcmp(type, "reasoning")) {
			held = jv_array_append(held, it);
		} else if (jv_get_kind(it) == JV_KIND_OBJECT) {
			input = jv_array_append(jv_array_concat(input, held), it);
			held = jv_array();
		} else {
			jv_free(it);
		}
		jv_free(p);
		(void)i;
	}
	if (jv_array_length(jv_copy(text))) {
		input = jv_array_concat(input, held);
		held = jv_array();
		jv msg = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
		input = jv_array_append(input, jv_object_set(msg, jv_string("content"), text));
	} else {
		jv_free(text);
	}
	/* reasoning with nothing after it (a reply cut in it): the API
	 * refuses a reasoning item without the item it was made for */
	jv_free(held);
	return input;
}

static jv
body(cf_call *c)
{
	jv input = jv_array();
	jv_array_foreach(c->messages, i, m) {
		jv parts = cf_wire_parts(c, m);
		/* images stay with the plain way: parts hold none */
		jv imgs = jv_object_get(jv_copy(m), jv_string("images"));
		int has_imgs = jv_get_kind(imgs) == JV_KIND_ARRAY && jv_array_length(jv_copy(imgs));
		jv_free(imgs);
		if (jv_get_kind(parts) == JV_KIND_ARRAY && !has_imgs)
			input = items_of(input, m, parts);
		else
			input = jv_array_append(input, item(m));
		jv_free(parts);
		jv_free(m);
		(void)i;
	}
	jv b = jv_object();
	b = jv_object_set(b, jv_string("model"), jv_string(c->model));
	b = jv_object_set(b, jv_string("input"), input);
	if (c->system && *c->system)
		b = jv_object_set(b, jv_string("instructions"), jv_string(c->system));
	b = jv_object_set(b, jv_string("max_output_tokens"), jv_number((double)c->max_tokens));
	if (c->has_temperature)
		b = jv_object_set(b, jv_string("temperature"), jv_number(c->temperature));
	if (c->stream)
		b = jv_object_set(b, jv_string("stream"), jv_true());
	return b;
}

/* The error of a response.failed or error event, or of a whole reply:
 * {error: {message}} inside the response, or the event's own message. */
static int
error_in(cf_call *c, jv d)
{
	jv m = cf_jpath(d, "response.error.message");
	if (jv_get_kind(m) != JV_KIND_STRING) {
		jv_free(m);
		m = cf_jpath(d, "error.message");
	}
	if (jv_get_kind(m) != JV_KIND_STRING) {
		jv_free(m);
		m = jv_object_get(jv_copy(d), jv_string("message"));
	}
	jv_free(c->r.error);
	c->r.error = jv_get_kind(m) == JV_KIND_STRING ? m :
	             (jv_free(m), jv_string("error event"));
	return CF_CALL_EVENT;
}

/* The response object (in response.completed and its kin, or a whole
 * reply): the model, the usage, and why it stopped. */
static void
response(cf_call *c, jv r)
{
	cf_keep_str(&c->r.model, jv_object_get(jv_copy(r), jv_string("model")));
	long in = cf_jlong(r, "usage.input_tokens");
	long out = cf_jlong(r, "usage.output_tokens");
	long cached = cf_jlong(r, "usage.input_tokens_details.cached_tokens");
	long thought = cf_jlong(r, "usage.output_tokens_details.reasoning_tokens");
	/* input_tokens counts the cached ones and output_tokens the
	 * reasoning: both stay as OpenAI bills them */
	if (in >= 0)
		c->r.in_tokens = in;
	if (out >= 0)
		c->r.out_tokens = out;
	if (cached >= 0)
		c->r.cache_read = cached;
	if (thought >= 0)
		c->r.reasoning_tokens = thought;
	cf_call_usage(c, jv_object_get(jv_copy(r), jv_string("usage")));
	/* "completed", or for an incomplete reply the reason
	 * ("max_output_tokens", "content_filter") */
	jv why = cf_jpath(r, "incomplete_details.reason");
	if (jv_get_kind(why) == JV_KIND_STRING) {
		jv_free(c->r.stop);
		c->r.stop = why;
	} else {
		jv_free(why);
		jv st = jv_object_get(jv_copy(r), jv_string("status"));
		if (jv_get_kind(st) == JV_KIND_STRING &&
		    strcmp(jv_string_value(st), "in_progress") &&
		    strcmp(jv_string_value(st), "queued"))
			cf_keep_str(&c->r.stop, st);
		else
			jv_free(st);
	}
}

/* The texts of a reasoning item's summary, one paragraph each. */
static jv
summary_of(jv it)
{
	jv out = jv_string("");
	jv sum = jv_object_get(jv_copy(it), jv_string("summary"));
	if (jv_get_kind(sum) == JV_KIND_ARRAY) {
		jv_array_foreach(sum, i, p) {
			if (i)
				out = jv_string_append_str(out, "\n\n");
			out = jv_string_append_str(out, cf_jstr(p, "text"));
			jv_free(p);
		}
	}
	jv_free(sum);
	return out;
}

/* An output item that is not a message starts a part: a function call
 * (its arguments stream as JSON text), or reasoning (its summary streams;
 * its encrypted content, asked for, comes whole at its end). */
static void
item_begins(cf_call *c, jv it)
{
	const char *type = cf_jstr(it, "type");
	jv p = jv_object();
	if (!strcmp(type, "function_call")) {
		p = jv_object_set(p, jv_string("type"), jv_string("tool_use"));
		p = jv_object_set(p, jv_string("id"), jv_string(cf_jstr(it, "call_id")));
		p = jv_object_set(p, jv_string("name"), jv_string(cf_jstr(it, "name")));
		p = jv_object_set(p, jv_string("inputJson"), jv_string(cf_jstr(it, "arguments")));
	} else if (!strcmp(type, "reasoning")) {
		p = jv_object_set(p, jv_string("type"), jv_string("reasoning"));
		p = jv_object_set(p, jv_string("id"), jv_string(cf_jstr(it, "id")));
		p = jv_object_set(p, jv_string("summary"), summary_of(it));
	} else {
		jv_free(p);
		return;
	}
	cf_call_part_begin(c, p);
}

/* Is the open part the one this item (or this delta's kind) began?  The
 * items of a reply stream one after another, so the open part of the
 * right type is the item's; an item's done also names it by id. */
static int
open_is(cf_call *c, const char *type, const char *id)
{
	jv open = jv_copy(c->r.part_open);
	int ours = jv_get_kind(open) == JV_KIND_OBJECT && !strcmp(cf_jstr(open, "type"), type) &&
	           (!id || !strcmp(cf_jstr(open, "id"), id));
	jv_free(open);
	return ours;
}

/* The item whole: what it says at its end is what counts (the arguments
 * and summary in full, the encrypted content). */
static void
item_ends(cf_call *c, jv it)
{
	const char *type = cf_jstr(it, "type");
	int call = !strcmp(type, "function_call");
	if (!call && strcmp(type, "reasoning"))
		return;
	if (!open_is(c, call ? "tool_use" : "reasoning", cf_jstr(it, call ? "call_id" : "id")))
		item_begins(c, it);   /* a done without its added */
	if (!strcmp(type, "function_call")) {
		jv a = jv_object_get(jv_copy(it), jv_string("arguments"));
		if (jv_get_kind(a) == JV_KIND_STRING)
			cf_call_part_set(c, "inputJson", a);
		else
			jv_free(a);
	} else {
		jv sum = summary_of(it);
		if (jv_string_length_bytes(jv_copy(sum)))
			cf_call_part_set(c, "summary", sum);
		else
			jv_free(sum);
		jv e = jv_object_get(jv_copy(it), jv_string("encrypted_content"));
		if (jv_get_kind(e) == JV_KIND_STRING)
			cf_call_part_set(c, "encryptedContent", e);
		else
			jv_free(e);
	}
	cf_call_part_end(c);
}

/* A delta to the open part, when it is of the delta's kind. */
static void
item_delta(cf_call *c, jv d, const char *type, const char *field, const char *sep)
{
	if (!open_is(c, type, NULL))
		return;
	if (sep) {
		jv cur = jv_object_get(jv_copy(c->r.part_open), jv_string(field));
		int empty = jv_get_kind(cur) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(cur));
		jv_free(cur);
		if (!empty)
			cf_call_part_append(c, field, sep, strlen(sep));
		return;
	}
	jv t = jv_object_get(jv_copy(d), jv_string("delta"));
	if (jv_get_kind(t) == JV_KIND_STRING)
		cf_call_part_append(c, field, jv_string_value(t),
		                    (size_t)jv_string_length_bytes(jv_copy(t)));
	jv_free(t);
}

static void
text_of(cf_call *c, jv d, const char *field)
{
	jv t = jv_object_get(jv_copy(d), jv_string(field));
	if (jv_get_kind(t) == JV_KIND_STRING)
		cf_call_text(c, jv_string_value(t), (size_t)jv_string_length_bytes(jv_copy(t)));
	jv_free(t);
}

static int
handle(cf_call *c, const char *type, jv d)
{
	if (!strcmp(type, "response.output_text.delta")) {
		text_of(c, d, "delta");
		return 0;
	}
	if (!strcmp(type, "error") || !strcmp(type, "response.failed"))
		return error_in(c, d);
	if (!strcmp(type, "response.function_call_arguments.delta")) {
		item_delta(c, d, "tool_use", "inputJson", NULL);
		return 0;
	}
	if (!strcmp(type, "response.reasoning_summary_text.delta")) {
		item_delta(c, d, "reasoning", "summary", NULL);
		return 0;
	}
	/* a second summary part is a paragraph of its own */
	if (!strcmp(type, "response.reasoning_summary_part.added")) {
		item_delta(c, d, "reasoning", "summary", "\n\n");
		return 0;
	}
	if (!strcmp(type, "response.output_item.added") ||
	    !strcmp(type, "response.output_item.done")) {
		jv it = jv_object_get(jv_copy(d), jv_string("item"));
		if (jv_get_kind(it) == JV_KIND_OBJECT) {
			if (!strcmp(type, "response.output_item.added"))
				item_begins(c, it);
			else
				item_ends(c, it);
		}
		jv_free(it);
		return 0;
	}
	jv r = jv_object_get(jv_copy(d), jv_string("response"));
	if (jv_get_kind(r) == JV_KIND_OBJECT) {
		response(c, r);
		if (!strcmp(type, "response.completed") || !strcmp(type, "response.incomplete"))
			c->done = 1;
	}
	jv_free(r);
	return 0;
}

/* Events that repeat what the deltas said (a whole text again, 10 MB for
 * a 10 MB reply): not parsed at all when the event line names them. */
static const char *const echoes[] = {
	"response.output_text.done", "response.content_part.done",
	"response.content_part.added", "response.reasoning_summary_text.done",
	"response.reasoning_summary_part.done", "response.function_call_arguments.done",
	NULL,
};

static int
event(cf_call *c, const char *ev, const char *data, size_t n)
{
	for (int i = 0; echoes[i]; i++)
		if (!strcmp(ev, echoes[i]))
			return 0;
	jv d = cf_event_json(c, data, n);
	if (!jv_is_valid(d))
		return 0;
	/* the data names its type too; it is the one to trust when a proxy
	 * drops the event: lines */
	jv t = jv_object_get(jv_copy(d), jv_string("type"));
	int rc = handle(c, jv_get_kind(t) == JV_KIND_STRING ? jv_string_value(t) : ev, d);
	jv_free(t);
	jv_free(d);
	return rc;
}

static int
whole_of(cf_call *c, jv d)
{
	jv e = jv_object_get(jv_copy(d), jv_string("error"));
	int failed = jv_get_kind(e) == JV_KIND_OBJECT;
	jv_free(e);
	if (failed)
		return error_in(c, d);
	jv out = jv_object_get(jv_copy(d), jv_string("output"));
	if (jv_get_kind(out) == JV_KIND_ARRAY) {
		jv_array_foreach(out, i, it) {
			jv content = jv_object_get(jv_copy(it), jv_string("content"));
			if (!strcmp(cf_jstr(it, "type"), "message") &&
			    jv_get_kind(content) == JV_KIND_ARRAY) {
				jv_array_foreach(content, j, p) {
					if (!strcmp(cf_jstr(p, "type"), "output_text"))
						text_of(c, p, "text");
					jv_free(p);
					(void)j;
				}
			} else {
				item_ends(c, it);
			}
			jv_free(content);
			jv_free(it);
			(void)i;
		}
	}
	jv_free(out);
	response(c, d);
	return 0;
}

static int
whole(cf_call *c, const char *body, size_t n)
{
	return cf_whole_with(c, body, n, whole_of);
}

static jv
errmsg(const char *body, size_t n)
{
	jv d = jv_parse_sized(body, (int)n);
	jv r = cf_error_text(d, "error.message", NULL);
	jv_free(d);
	return r;
}

/* -o's options at the top of the body, as for Chat Completions, but
 * effort=X is reasoning.effort here (a reasoning.* given too wins);
 * --schema is text.format, strict when the schema qualifies (strict
 * refuses a schema with an open object or an optional property). */
static jv
options(cf_call *c, jv b)
{
	jv o = jv_get_kind(c->options) == JV_KIND_OBJECT ? jv_copy(c->options) : jv_object();
	jv eff = jv_object_get(jv_copy(o), jv_string("effort"));
	if (jv_is_valid(eff)) {
		o = jv_object_delete(o, jv_string("effort"));
		jv r = jv_object_set(jv_object(), jv_string("effort"), eff);
		o = jv_object_merge_recursive(jv_object_set(jv_object(), jv_string("reasoning"), r), o);
	} else {
		jv_free(eff);
	}
	if (jv_get_kind(c->schema) == JV_KIND_OBJECT) {
		jv f = jv_object_set(jv_object(), jv_string("type"), jv_string("json_schema"));
		f = jv_object_set(f, jv_string("name"), jv_string("reply"));
		f = jv_object_set(f, jv_string("schema"), jv_copy(c->schema));
		if (cf_schema_strict(c->schema))
			f = jv_object_set(f, jv_string("strict"), jv_true());
		b = jv_object_set(b, jv_string("text"),
		                  jv_object_set(jv_object(), jv_string("format"), f));
	}
	b = cf_options_place(b, o, NULL, NULL);
	jv_free(o);
	return b;
}

/* Each tool a function, flat (no nested function object as in Chat
 * Completions).  strict is said either way: it defaults to true here,
 * and a plugin's schema that does not qualify would be refused. */
static jv
tools(cf_call *c, jv body, jv list)
{
	(void)c;
	jv out = jv_array();
	jv_array_foreach(list, i, t) {
		jv schema = jv_object_get(jv_copy(t), jv_string("input_schema"));
		jv f = typed("function", "name", jv_string(cf_jstr(t, "name")));
		f = jv_object_set(f, jv_string("description"), jv_string(cf_jstr(t, "description")));
		f = jv_object_set(f, jv_string("strict"), jv_bool(cf_schema_strict(schema)));
		f = jv_object_set(f, jv_string("parameters"), schema);
		out = jv_array_append(out, f);
		jv_free(t);
		(void)i;
	}
	jv_free(list);
	return jv_object_set(body, jv_string("tools"), out);
}

const struct cf_provider cf_prov_openai_responses = {
	.name = "openai-responses",
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
