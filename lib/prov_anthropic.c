/* prov_anthropic.c — the Anthropic Messages API, streamed as SSE. */
#include <curl/curl.h>
#include <string.h>

#include "provider.h"

static void
url(cf_call *c, char *buf, size_t n)
{
	cf_base_url(c->base, "/v1/messages", buf, n);
}

static struct curl_slist *
headers(cf_call *c, struct curl_slist *h)
{
	char k[1024];
	snprintf(k, sizeof k, "x-api-key: %s", c->key ? c->key : "");
	h = curl_slist_append(h, k);
	h = curl_slist_append(h, "anthropic-version: 2023-06-01");
	if (c->stream)
		h = curl_slist_append(h, "Accept: text/event-stream");
	return h;
}

/* A message's typed parts as content blocks: thinking with its
 * signature, redacted_thinking, tool_use, tool_result and the server
 * tools' blocks as they came; text with its citations.  Empty text
 * blocks are refused by the API, so they are left out. */
static jv
blocks(jv content, jv parts)
{
	jv_array_foreach(parts, i, p) {
		const char *type = cf_jstr(p, "type");
		jv b = jv_invalid();
		if (!strcmp(type, "text")) {
			if (*cf_jstr(p, "text")) {
				b = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
				b = jv_object_set(b, jv_string("text"), jv_string(cf_jstr(p, "text")));
				jv cites = jv_object_get(jv_copy(p), jv_string("citations"));
				if (jv_get_kind(cites) == JV_KIND_ARRAY && jv_array_length(jv_copy(cites)))
					b = jv_object_set(b, jv_string("citations"), cites);
				else
					jv_free(cites);
			}
		} else if (!strcmp(type, "tool_use")) {
			b = jv_object_set(jv_object(), jv_string("type"), jv_string("tool_use"));
			b = jv_object_set(b, jv_string("id"), jv_string(cf_jstr(p, "id")));
			b = jv_object_set(b, jv_string("name"), jv_string(cf_jstr(p, "name")));
			jv in = jv_object_get(jv_copy(p), jv_string("input"));
			b = jv_object_set(b, jv_string("input"), jv_get_kind(in) == JV_KIND_OBJECT ?
			                  in : (jv_free(in), jv_object()));
		} else if (!strcmp(type, "tool_result")) {
			b = jv_object_set(jv_object(), jv_string("type"), jv_string("tool_result"));
			b = jv_object_set(b, jv_string("tool_use_id"), jv_string(cf_jstr(p, "toolUseId")));
			jv content = jv_object_get(jv_copy(p), jv_string("content"));
			b = jv_object_set(b, jv_string("content"), jv_is_valid(content) ?
			                  content : (jv_free(content), jv_string("")));
			if (cf_jbool(p, "isError"))
				b = jv_object_set(b, jv_string("is_error"), jv_true());
		} else if (!strcmp(type, "reasoning")) {
			/* another API's; cf_wire_parts keeps it only if ours */
		} else if (!strcmp(type, "thinking") && !*cf_jstr(p, "signature")) {
			/* a reply cut before its signature came: the API refuses
			 * a thinking block unsigned, so it stays home */
		} else if (*type) {
			/* thinking, redacted_thinking, server_tool_use,
			 * web_search_tool_result: back as they came, byte for byte
			 * (a cut call's unparsed arguments are not the API's) */
			b = jv_object_delete(jv_copy(p), jv_string("inputJson"));
		}
		if (jv_is_valid(b))
			content = jv_array_append(content, b);
		jv_free(p);
		(void)i;
	}
	jv_free(parts);
	return content;
}

static jv
body(cf_call *c)
{
	jv sys;
	jv turns = cf_turns(c, &sys);
	jv msgs = jv_array();
	jv_array_foreach(turns, i, m) {
		jv content = jv_array();
		jv imgs = jv_object_get(jv_copy(m), jv_string("images"));
		if (jv_get_kind(imgs) == JV_KIND_ARRAY) {
			jv_array_foreach(imgs, j, img) {
				jv src = jv_object();
				src = jv_object_set(src, jv_string("type"), jv_string("base64"));
				src = jv_object_set(src, jv_string("media_type"),
				                    jv_string(cf_jstr(img, "mimeType")));
				src = jv_object_set(src, jv_string("data"),
				                    jv_string(cf_jstr(img, "data")));
				jv b = jv_object_set(jv_object(), jv_string("type"), jv_string("image"));
				content = jv_array_append(content,
				                          jv_object_set(b, jv_string("source"), src));
				jv_free(img);
				(void)j;
			}
		}
		jv_free(imgs);
		jv parts = cf_wire_parts(c, m);
		int before = jv_array_length(jv_copy(content));
		if (jv_get_kind(parts) == JV_KIND_ARRAY)
			content = blocks(content, parts);
		else
			jv_free(parts);
		if (jv_array_length(jv_copy(content)) == before) {
			if (!jv_array_length(jv_copy(content)) && !*cf_jstr(m, "content")) {
				/* nothing the API takes (a reply cut in its unsigned
				 * thinking): an empty text block is refused, so the
				 * turn goes and its neighbours meet as one */
				jv_free(content);
				jv_free(m);
				continue;
			}
			jv t = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
			t = jv_object_set(t, jv_string("text"), jv_string(cf_jstr(m, "content")));
			content = jv_array_append(content, t);
		}
		int nm = jv_array_length(jv_copy(msgs));
		jv prev = nm ? jv_array_get(jv_copy(msgs), nm - 1) : jv_null();
		if (nm && !strcmp(cf_jstr(prev, "role"), cf_jstr(m, "role"))) {
			jv pc = jv_object_get(jv_copy(prev), jv_string("content"));
			prev = jv_object_set(prev, jv_string("content"), jv_array_concat(pc, content));
			msgs = jv_array_set(msgs, nm - 1, prev);
			jv_free(m);
			continue;
		}
		jv_free(prev);
		jv o = jv_object_set(jv_object(), jv_string("role"), jv_string(cf_jstr(m, "role")));
		msgs = jv_array_append(msgs, jv_object_set(o, jv_string("content"), content));
		jv_free(m);
		(void)i;
	}
	jv_free(turns);
	jv b = jv_object();
	b = jv_object_set(b, jv_string("model"), jv_string(c->model));
	b = jv_object_set(b, jv_string("max_tokens"), jv_number((double)c->max_tokens));
	if (jv_get_kind(sys) == JV_KIND_STRING)
		b = jv_object_set(b, jv_string("system"), sys);
	else
		jv_free(sys);
	if (c->has_temperature)
		b = jv_object_set(b, jv_string("temperature"), jv_number(c->temperature));
	b = jv_object_set(b, jv_string("messages"), msgs);
	if (c->stream)
		b = jv_object_set(b, jv_string("stream"), jv_true());
	return b;
}

/* The usage objects of message_start and message_delta, merged, then the
 * counts read from the whole: input_tokens leaves out the tokens read
 * from and written to the cache, which inputTokens counts (confab.7). */
static void
usage(cf_call *c, jv u)
{
	if (jv_get_kind(u) != JV_KIND_OBJECT) {
		jv_free(u);
		return;
	}
	cf_call_usage(c, u);
	jv a = c->r.usage;
	long in = cf_jlong(a, "input_tokens"), out = cf_jlong(a, "output_tokens");
	long cr = cf_jlong(a, "cache_read_input_tokens");
	long cw = cf_jlong(a, "cache_creation_input_tokens");
	long w5 = cf_jlong(a, "cache_creation.ephemeral_5m_input_tokens");
	long w1 = cf_jlong(a, "cache_creation.ephemeral_1h_input_tokens");
	if (in >= 0)
		c->r.in_tokens = in + (cr > 0 ? cr : 0) + (cw > 0 ? cw : 0);
	if (out >= 0)
		c->r.out_tokens = out;
	if (cr >= 0)
		c->r.cache_read = cr;
	/* without the split by lifetime, a write is the default 5 minutes */
	if (w5 >= 0 || w1 >= 0) {
		c->r.cache_write_5m = w5 > 0 ? w5 : 0;
		c->r.cache_write_1h = w1 > 0 ? w1 : 0;
	} else if (cw >= 0) {
		c->r.cache_write_5m = cw;
		c->r.cache_write_1h = 0;
	}
}

/* A content block that is not plain text starts a part of its own, as
 * the provider sent it (thinking, redacted_thinking, tool_use,
 * server_tool_use, web_search_tool_result, ...); a text block with
 * citations too, so they stay with its text. */
static void
block_start(cf_call *c, jv b)
{
	const char *type = cf_jstr(b, "type");
	if (!strcmp(type, "text")) {
		if (jv_object_has(jv_copy(b), jv_string("citations")))
			cf_call_part_begin(c, jv_object_delete(b, jv_string("text")));
		else
			jv_free(b);
		return;
	}
	/* --schema's forced call is the reply, its input the text: a
	 * tool_use part would go back with no tool_result after it, which
	 * Anthropic refuses */
	if (!*type || (jv_get_kind(c->schema) == JV_KIND_OBJECT && !strcmp(type, "tool_use") &&
	               !strcmp(cf_jstr(b, "name"), CF_REPLY_TOOL))) {
		jv_free(b);
		return;
	}
	cf_call_part_begin(c, b);
}

static int
open_is(cf_call *c, const char *type)
{
	return jv_get_kind(c->r.part_open) == JV_KIND_OBJECT &&
	       !strcmp(cf_jstr(c->r.part_open, "type"), type);
}

static void
delta_str(cf_call *c, jv delta, const char *key, const char *field)
{
	jv t = jv_object_get(jv_copy(delta), jv_string(key));
	if (jv_get_kind(t) == JV_KIND_STRING)
		cf_call_part_append(c, field, jv_string_value(t),
		                    (size_t)jv_string_length_bytes(jv_copy(t)));
	jv_free(t);
}

/* A text delta as Anthropic writes it, read without building a jv:
 * {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}
 * (with the spaces it pads some events with).  Anything else, or anything
 * unusual inside the string, returns 0 and goes to the JSON parser. */
static int
fast_delta(cf_call *c, const char *data, size_t n)
{
	static const char pre[] = "{\"type\":\"content_block_delta\",\"index\":";
	static const char mid[] = ",\"delta\":{\"type\":\"text_delta\",\"text\":\"";
	const char *p = data, *end = data + n;
	size_t len;
	if (n < sizeof pre + sizeof mid || memcmp(p, pre, sizeof pre - 1))
		return 0;
	p += sizeof pre - 1;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if ((size_t)(end - p) < sizeof mid || memcmp(p, mid, sizeof mid - 1))
		return 0;
	/* decoded where the reply goes, and kept only if the rest fits:
	 * the text is never longer than its JSON */
	p += sizeof mid - 1;
	size_t cap = (size_t)(end - p) + 1;
	char *buf = cf_call_room(c, cap);
	if (!(p = cf_json_unquote(p, end, &buf, &cap, &len)))
		return 0;
	int braces = 0;
	for (; p < end; p++) {
		if (*p == '}' && braces < 2)
			braces++;
		else if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	}
	if (braces != 2)
		return 0;
	cf_call_took(c, len);
	return 1;
}

static int
event(cf_call *c, const char *ev, const char *data, size_t n)
{
	if (!strcmp(ev, "ping"))
		return 0;
	if (fast_delta(c, data, n))
		return 0;
	jv d = cf_event_json(c, data, n);
	if (!jv_is_valid(d))
		return 0;
	const char *type = cf_jstr(d, "type");
	int rc = 0;
	if (!strcmp(type, "content_block_delta")) {
		jv delta = jv_object_get(jv_copy(d), jv_string("delta"));
		const char *dt = cf_jstr(delta, "type");
		if (!strcmp(dt, "text_delta")) {
			jv t = jv_object_get(jv_copy(delta), jv_string("text"));
			if (jv_get_kind(t) == JV_KIND_STRING)
				cf_call_text(c, jv_string_value(t),
				             (size_t)jv_string_length_bytes(jv_copy(t)));
			jv_free(t);
		} else if (jv_get_kind(c->schema) == JV_KIND_OBJECT &&
		           !strcmp(dt, "input_json_delta")) {
			const char *t = cf_jstr(delta, "partial_json");
			cf_call_text(c, t, strlen(t));   /* --schema's tool: its input is the reply */
		} else if (!strcmp(dt, "thinking_delta")) {
			delta_str(c, delta, "thinking", "thinking");
		} else if (!strcmp(dt, "signature_delta")) {
			delta_str(c, delta, "signature", "signature");
		} else if (!strcmp(dt, "input_json_delta")) {
			delta_str(c, delta, "partial_json", "inputJson");
		} else if (!strcmp(dt, "citations_delta")) {
			if (!open_is(c, "text"))   /* a block that did not say it cites */
				cf_call_part_begin(c, jv_object_set(jv_object(),
					jv_string("type"), jv_string("text")));
			cf_call_part_push(c, "citations",
			                  jv_object_get(jv_copy(delta), jv_string("citation")));
		}
		jv_free(delta);
	} else if (!strcmp(type, "content_block_start")) {
		block_start(c, jv_object_get(jv_copy(d), jv_string("content_block")));
	} else if (!strcmp(type, "content_block_stop")) {
		cf_call_part_end(c);
	} else if (!strcmp(type, "message_start")) {
		cf_keep_str(&c->r.model, cf_jpath(d, "message.model"));
		usage(c, cf_jpath(d, "message.usage"));
		c->r.out_early = 1;
	} else if (!strcmp(type, "message_delta")) {
		usage(c, jv_object_get(jv_copy(d), jv_string("usage")));
		c->r.out_early = 0;
		cf_keep_str(&c->r.stop, cf_jpath(d, "delta.stop_reason"));
	} else if (!strcmp(type, "message_stop")) {
		c->done = 1;
	} else if (!strcmp(type, "error")) {
		jv e = cf_error_text(d, "error.message", "error.type");
		jv_free(c->r.error);
		c->r.error = jv_get_kind(e) == JV_KIND_STRING ? e : jv_string("error");
		rc = CF_CALL_EVENT;
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
	jv content = jv_object_get(jv_copy(d), jv_string("content"));
	if (jv_get_kind(content) == JV_KIND_ARRAY) {
		jv_array_foreach(content, i, b) {
			if (!strcmp(cf_jstr(b, "type"), "text")) {
				/* a block with citations is its own part, as streamed */
				block_start(c, jv_copy(b));
				const char *t = cf_jstr(b, "text");
				cf_call_text(c, t, strlen(t));
			} else if (jv_get_kind(c->schema) == JV_KIND_OBJECT &&
			           !strcmp(cf_jstr(b, "type"), "tool_use")) {
				size_t len;
				const char *t = cf_json_compact(jv_object_get(jv_copy(b),
				                                jv_string("input")), &len);
				cf_call_text(c, t, len);
			} else {
				block_start(c, jv_copy(b));
			}
			cf_call_part_end(c);
			jv_free(b);
			(void)i;
		}
	}
	jv_free(content);
	cf_keep_str(&c->r.model, jv_object_get(jv_copy(d), jv_string("model")));
	usage(c, jv_object_get(jv_copy(d), jv_string("usage")));
	cf_keep_str(&c->r.stop, jv_object_get(jv_copy(d), jv_string("stop_reason")));
	c->done = 1;
	jv_free(d);
	return CF_CALL_OK;
}

static jv
errmsg(const char *body, size_t n)
{
	jv d = jv_parse_sized(body, (int)n);
	jv r = cf_error_text(d, "error.message", "error.type");
	jv_free(d);
	return r;
}

static jv tools(cf_call *c, jv body, jv list);

/* The API refuses a request whose messages have tool_use or tool_result
 * blocks and that defines no tools (chat-send offering none, tools = off,
 * the round answering a call made anyway): the tools the messages call
 * are declared, and none may be called. */
static jv
history_tools(jv b)
{
	jv have = jv_object_get(jv_copy(b), jv_string("tools"));
	int offered = jv_get_kind(have) == JV_KIND_ARRAY && jv_array_length(jv_copy(have));
	jv_free(have);
	if (offered)
		return b;
	jv names = jv_object();
	int any = 0;
	jv msgs = jv_object_get(jv_copy(b), jv_string("messages"));
	jv_array_foreach(msgs, i, m) {
		jv content = jv_object_get(m, jv_string("content"));
		if (jv_get_kind(content) == JV_KIND_ARRAY) {
			jv_array_foreach(content, k, blk) {
				const char *type = cf_jstr(blk, "type");
				any = any || !strcmp(type, "tool_result");
				if (!strcmp(type, "tool_use")) {
					/* a name as the API takes one */
					char w[65];
					const char *n = cf_jstr(blk, "name");
					size_t j = 0;
					for (; n[j] && j < 64; j++)
						w[j] = (n[j] >= 'a' && n[j] <= 'z') || (n[j] >= 'A' && n[j] <= 'Z') ||
						       (n[j] >= '0' && n[j] <= '9') || n[j] == '_' || n[j] == '-' ?
						       n[j] : '_';
					w[j] = '\0';
					names = jv_object_set(names, jv_string(*w ? w : "tool"), jv_true());
				}
				jv_free(blk);
				(void)k;
			}
		}
		jv_free(content);
		(void)i;
	}
	jv_free(msgs);
	if (any && !jv_object_length(jv_copy(names)))   /* an answer alone needs one too */
		names = jv_object_set(names, jv_string("tool"), jv_true());
	if (!jv_object_length(jv_copy(names))) {
		jv_free(names);
		return b;
	}
	jv list = jv_array();
	jv_object_foreach(names, k, v) {
		jv t = jv_object_set(jv_object(), jv_string("name"), k);
		t = jv_object_set(t, jv_string("description"),
		                  jv_string("A tool called earlier, not offered now."));
		t = jv_object_set(t, jv_string("input_schema"), jv_object_set(jv_object(),
		                  jv_string("type"), jv_string("object")));
		list = jv_array_append(list, t);
		jv_free(v);
	}
	jv_free(names);
	b = jv_object_set(b, jv_string("tools"), list);
	return jv_object_set(b, jv_string("tool_choice"), jv_object_set(jv_object(),
	                     jv_string("type"), jv_string("none")));
}
/* -o's options at the top of the body (thinking_budget=N is extended
 * thinking with that budget); --schema as a tool the model must call,
 * whose input is the reply (event and whole take its JSON as the text). */
static jv
options(cf_call *c, jv b)
{
	jv o = jv_get_kind(c->options) == JV_KIND_OBJECT ? jv_copy(c->options) : jv_object();
	jv tb = jv_object_get(jv_copy(o), jv_string("thinking_budget"));
	if (jv_is_valid(tb)) {
		o = jv_object_delete(o, jv_string("thinking_budget"));
		jv th = jv_object_set(jv_object(), jv_string("type"), jv_string("enabled"));
		th = jv_object_set(th, jv_string("budget_tokens"), tb);
		/* a thinking.* given as well is said more exactly: it wins */
		o = jv_object_merge_recursive(jv_object_set(jv_object(), jv_string("thinking"), th), o);
	} else {
		jv_free(tb);
	}
	b = cf_options_place(b, o, NULL, NULL);
	jv_free(o);
	if (jv_get_kind(c->schema) != JV_KIND_OBJECT)
		return history_tools(b);
	jv tool = jv_object_set(jv_object(), jv_string("name"), jv_string(CF_REPLY_TOOL));
	tool = jv_object_set(tool, jv_string("description"), jv_string(
		"Give your reply by calling this tool: its input is the reply."));
	tool = jv_object_set(tool, jv_string("input_schema"), jv_copy(c->schema));
	jv tools = jv_object_get(jv_copy(b), jv_string("tools"));
	if (jv_get_kind(tools) != JV_KIND_ARRAY) {
		jv_free(tools);
		tools = jv_array();
	}
	b = jv_object_set(b, jv_string("tools"), jv_array_append(tools, tool));
	jv choice = jv_object_set(jv_object(), jv_string("type"), jv_string("tool"));
	choice = jv_object_set(choice, jv_string("name"), jv_string(CF_REPLY_TOOL));
	return jv_object_set(b, jv_string("tool_choice"), choice);
}

const struct cf_provider cf_prov_anthropic = {
	.name = "anthropic",
	.key_env = {"ANTHROPIC_API_KEY"},
	.base_env = "ANTHROPIC_BASE_URL",
	.base_default = "https://api.anthropic.com",
	.model_default = "claude-sonnet-4-5",
	.url = url,
	.headers = headers,
	.body = body,
	.options = options,
	.event = event,
	.whole = whole,
	.errmsg = errmsg,
	.tools = tools,
};

/* Anthropic takes the tools as we keep them. */
static jv
tools(cf_call *c, jv body, jv list)
{
	(void)c;
	jv out = jv_array();
	jv_array_foreach(list, i, t) {
		jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(t, "name")));
		o = jv_object_set(o, jv_string("description"), jv_string(cf_jstr(t, "description")));
		o = jv_object_set(o, jv_string("input_schema"),
		                  jv_object_get(jv_copy(t), jv_string("input_schema")));
		out = jv_array_append(out, o);
		jv_free(t);
		(void)i;
	}
	jv_free(list);
	return jv_object_set(body, jv_string("tools"), out);
}
