/* The Responses protocol's parser (prov_openai_responses.c) driven
 * directly: each recorded stream, a byte at a time and whole, must give the
 * parts, usage and counters that its own response.completed lists, worked
 * out here from that object alone; hand-made streams with reasoning, text
 * and calls in one reply; whole replies from the output array. */
#include <glob.h>
#include <jq.h>

#include "unit.h"
#include "provider.h"

#define FIXTURES "../shared/fixtures/provider-streams"

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	char *s = cf_xmalloc(*n + 1);
	if (fread(s, 1, *n, f) != *n)
		*n = 0;
	s[*n] = '\0';
	fclose(f);
	return s;
}

static int
on_event(const char *ev, const char *data, size_t n, void *ctx)
{
	cf_call *c = ctx;
	return c->p->event(c, ev, data, n);
}

static void
call_new(cf_call *c, int stream)
{
	cf_call_init(c);
	c->p = &cf_prov_openai_responses;
	c->stream = stream;
}

/* Feeds an SSE body through the provider, `step` bytes at a time. */
static int
stream_through(cf_call *c, const char *s, size_t n, size_t step)
{
	cf_sse *p = cf_sse_new(on_event, c);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i += step)
		rc = cf_sse_feed(p, s + i, n - i < step ? n - i : step);
	cf_sse_finish(p);
	cf_sse_free(p);
	cf_call_parts_finish(c);
	return rc;
}

static jv
obj2(const char *k1, jv v1, const char *k2, jv v2)
{
	return jv_object_set(jv_object_set(jv_object(), jv_string(k1), v1), jv_string(k2), v2);
}

/* The parts a response object's output (consumed) stands for, null for
 * text alone. */
static jv
want_parts(jv resp)
{
	jv out = jv_array();
	int other = 0;
	jv items = jv_object_get(jv_copy(resp), jv_string("output"));
	jv_array_foreach(items, i, it) {
		const char *type = cf_jstr(it, "type");
		if (!strcmp(type, "message")) {
			jv t = jv_string("");
			jv content = jv_object_get(jv_copy(it), jv_string("content"));
			jv_array_foreach(content, j, p) {
				if (!strcmp(cf_jstr(p, "type"), "output_text"))
					t = jv_string_append_str(t, cf_jstr(p, "text"));
				jv_free(p);
			}
			jv_free(content);
			if (jv_string_length_bytes(jv_copy(t)))
				out = jv_array_append(out, obj2("type", jv_string("text"), "text", t));
			else
				jv_free(t);
		} else if (!strcmp(type, "function_call")) {
			other = 1;
			jv p = obj2("type", jv_string("tool_use"), "id", jv_string(cf_jstr(it, "call_id")));
			p = jv_object_set(p, jv_string("name"), jv_string(cf_jstr(it, "name")));
			p = jv_object_set(p, jv_string("input"), jv_parse(cf_jstr(it, "arguments")));
			out = jv_array_append(out, jv_object_set(p, jv_string("provider"),
			                                         jv_string("openai-responses")));
		} else if (!strcmp(type, "reasoning")) {
			other = 1;
			jv sum = jv_string("");
			jv ss = jv_object_get(jv_copy(it), jv_string("summary"));
			jv_array_foreach(ss, j, p) {
				if (j)
					sum = jv_string_append_str(sum, "\n\n");
				sum = jv_string_append_str(sum, cf_jstr(p, "text"));
				jv_free(p);
			}
			jv_free(ss);
			jv p = obj2("type", jv_string("reasoning"), "id", jv_string(cf_jstr(it, "id")));
			p = jv_object_set(p, jv_string("summary"), sum);
			jv e = jv_object_get(jv_copy(it), jv_string("encrypted_content"));
			if (jv_get_kind(e) == JV_KIND_STRING)
				p = jv_object_set(p, jv_string("encryptedContent"), e);
			else
				jv_free(e);
			out = jv_array_append(out, jv_object_set(p, jv_string("provider"),
			                                         jv_string("openai-responses")));
		}
		jv_free(it);
		(void)i;
	}
	jv_free(items);
	jv_free(resp);
	if (!other) {
		jv_free(out);
		return jv_null();
	}
	return out;
}

/* The reply c holds is the one resp (consumed) describes. */
static int
matches(cf_call *c, jv resp, const char *what)
{
	int ok = 1;
	jv parts = want_parts(jv_copy(resp));
	if (!jv_equal(jv_copy(parts), jv_copy(c->r.parts))) {
		jv a = jv_dump_string(jv_copy(c->r.parts), 0), b = jv_dump_string(jv_copy(parts), 0);
		fprintf(stderr, "%s: parts %s, want %s\n", what, jv_string_value(a), jv_string_value(b));
		jv_free(a);
		jv_free(b);
		ok = 0;
	}
	jv_free(parts);
	jv usage = jv_object_get(jv_copy(resp), jv_string("usage"));
	ok = ok && jv_equal(jv_copy(usage), jv_copy(c->r.usage));
	ok = ok && c->r.in_tokens == cf_jlong(usage, "input_tokens") &&
	     c->r.out_tokens == cf_jlong(usage, "output_tokens") &&
	     c->r.cache_read == cf_jlong(usage, "input_tokens_details.cached_tokens") &&
	     c->r.reasoning_tokens == cf_jlong(usage, "output_tokens_details.reasoning_tokens");
	jv_free(usage);
	ok = ok && !strcmp(jv_string_value(c->r.model), cf_jstr(resp, "model"));
	ok = ok && !strcmp(jv_string_value(c->r.stop), cf_jstr(resp, "status"));
	jv_free(resp);
	if (!ok)
		fprintf(stderr, "%s: does not match its response\n", what);
	return ok;
}

/* The response object of a stream's response.completed event. */
static jv
completed(const char *s)
{
	const char *at = strstr(s, "data: {\"type\":\"response.completed\"");
	if (!at)
		return jv_null();
	at += 6;
	const char *end = strchr(at, '\n');
	jv d = jv_parse_sized(at, (int)(end - at));
	return jv_object_get(d, jv_string("response"));
}

static void
recordings(void)
{
	glob_t g;
	if (glob(FIXTURES "/openai-responses/*.sse", 0, NULL, &g)) {
		fprintf(stderr, "test-responses: no %s/openai-responses: recordings skipped\n", FIXTURES);
		return;
	}
	CHECK(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t n;
		char *s = slurp(g.gl_pathv[i], &n);
		size_t steps[] = {1, 7, n};
		for (int k = 0; k < 3; k++) {
			cf_call c;
			call_new(&c, 1);
			CHECK(stream_through(&c, s, n, steps[k]) == 0);
			CHECK(c.done && !c.malformed);
			CHECK(matches(&c, completed(s), g.gl_pathv[i]));
			cf_call_release(&c);
		}
		free(s);
	}
	globfree(&g);

	size_t n;
	char *s = slurp(FIXTURES "/openai-responses/responses-nonstream.json", &n);
	if (s) {
		cf_call c;
		call_new(&c, 0);
		CHECK(c.p->whole(&c, s, n) == 0);
		cf_call_parts_finish(&c);
		CHECK(c.r.len == 4 && !memcmp(c.r.buf, "pong", 4));
		CHECK(matches(&c, jv_parse(s), "responses-nonstream.json"));
		cf_call_release(&c);
		free(s);
	}
}

#define EV(type, json) "event: " type "\ndata: {\"type\":\"" type "\"," json "}\n\n"

/* Reasoning with two summary paragraphs and encrypted content, text, then
 * a call: in that order, every field. */
static const char mixed[] =
	EV("response.created", "\"response\":{\"model\":\"gpt-5\",\"status\":\"in_progress\",\"usage\":null}")
	EV("response.output_item.added", "\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}")
	EV("response.reasoning_summary_part.added", "\"item_id\":\"rs_1\",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":\"\"}")
	EV("response.reasoning_summary_text.delta", "\"item_id\":\"rs_1\",\"delta\":\"Think\"")
	EV("response.reasoning_summary_text.delta", "\"item_id\":\"rs_1\",\"delta\":\"ing.\"")
	EV("response.reasoning_summary_part.added", "\"item_id\":\"rs_1\",\"summary_index\":1,\"part\":{\"type\":\"summary_text\",\"text\":\"\"}")
	EV("response.reasoning_summary_text.delta", "\"item_id\":\"rs_1\",\"delta\":\"More.\"")
	EV("response.output_item.done", "\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\","
	   "\"summary\":[{\"type\":\"summary_text\",\"text\":\"Thinking.\"},{\"type\":\"summary_text\",\"text\":\"More.\"}],"
	   "\"encrypted_content\":\"gAAAA-enc\"}")
	EV("response.output_item.added", "\"output_index\":1,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"content\":[]}")
	EV("response.output_text.delta", "\"item_id\":\"msg_1\",\"delta\":\"Let me \"")
	EV("response.output_text.delta", "\"item_id\":\"msg_1\",\"delta\":\"multiply.\"")
	EV("response.output_item.done", "\"output_index\":1,\"item\":{\"id\":\"msg_1\",\"type\":\"message\","
	   "\"content\":[{\"type\":\"output_text\",\"text\":\"Let me multiply.\"}]}")
	EV("response.output_item.added", "\"output_index\":2,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\","
	   "\"call_id\":\"call_9\",\"name\":\"multiply\",\"arguments\":\"\"}")
	EV("response.function_call_arguments.delta", "\"item_id\":\"fc_1\",\"delta\":\"{\\\"a\\\":\"")
	EV("response.function_call_arguments.delta", "\"item_id\":\"fc_1\",\"delta\":\"2}\"")
	EV("response.output_item.done", "\"output_index\":2,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\","
	   "\"call_id\":\"call_9\",\"name\":\"multiply\",\"arguments\":\"{\\\"a\\\":2}\"}")
	EV("response.completed", "\"response\":{\"model\":\"gpt-5-2025\",\"status\":\"completed\",\"output\":["
	   "{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"Thinking.\"},"
	   "{\"type\":\"summary_text\",\"text\":\"More.\"}],\"encrypted_content\":\"gAAAA-enc\"},"
	   "{\"id\":\"msg_1\",\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"Let me multiply.\"}]},"
	   "{\"id\":\"fc_1\",\"type\":\"function_call\",\"call_id\":\"call_9\",\"name\":\"multiply\",\"arguments\":\"{\\\"a\\\":2}\"}],"
	   "\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"cached_tokens\":32},"
	   "\"output_tokens\":70,\"output_tokens_details\":{\"reasoning_tokens\":40},\"total_tokens\":120}}");

static void
written(void)
{
	size_t steps[] = {1, 3, sizeof mixed - 1};
	for (int k = 0; k < 3; k++) {
		cf_call c;
		call_new(&c, 1);
		CHECK(stream_through(&c, mixed, sizeof mixed - 1, steps[k]) == 0);
		CHECK(c.r.len == 16 && !memcmp(c.r.buf, "Let me multiply.", 16));
		CHECK(c.r.cache_read == 32 && c.r.reasoning_tokens == 40);
		CHECK(matches(&c, completed(mixed), "mixed"));
		cf_call_release(&c);
	}
	/* the same reply whole */
	const char *r = strstr(mixed, "data: {\"type\":\"response.completed\"") + 6;
	jv resp = jv_object_get(jv_parse_sized(r, (int)(strchr(r, '\n') - r)), jv_string("response"));
	jv body = jv_dump_string(jv_copy(resp), 0);
	cf_call c;
	call_new(&c, 0);
	CHECK(c.p->whole(&c, jv_string_value(body), (size_t)jv_string_length_bytes(jv_copy(body))) == 0);
	cf_call_parts_finish(&c);
	CHECK(matches(&c, resp, "mixed, whole"));
	cf_call_release(&c);
	jv_free(body);

	/* cut inside the call: what came is kept, its arguments unparsed */
	const char *cut = strstr(mixed, "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"output_index\":2");
	call_new(&c, 1);
	stream_through(&c, mixed, (size_t)(cut - mixed), 5);
	CHECK(!c.done);
	jv last = jv_array_get(jv_copy(c.r.parts), 2);
	CHECK(jv_equal(last, jv_parse("{\"type\":\"tool_use\",\"id\":\"call_9\",\"name\":\"multiply\","
		"\"input\":{\"a\":2},\"provider\":\"openai-responses\"}")));
	CHECK(jv_array_length(jv_copy(c.r.parts)) == 3);
	cf_call_release(&c);
	/* cut inside the arguments: the part keeps what came, unparsed */
	cut = strstr(mixed, "event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"delta\":\"2}");
	call_new(&c, 1);
	stream_through(&c, mixed, (size_t)(cut - mixed), 5);
	last = jv_array_get(jv_copy(c.r.parts), 2);
	CHECK(!strcmp(cf_jstr(last, "inputJson"), "{\"a\":") && !strcmp(cf_jstr(last, "name"), "multiply"));
	jv_free(last);
	cf_call_release(&c);

	/* incomplete: the reason is the stop reason */
	static const char inc[] =
		EV("response.output_text.delta", "\"delta\":\"Half\"")
		EV("response.incomplete", "\"response\":{\"model\":\"m\",\"status\":\"incomplete\","
		   "\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"usage\":{\"input_tokens\":1,\"output_tokens\":9}}");
	call_new(&c, 1);
	CHECK(stream_through(&c, inc, sizeof inc - 1, 2) == 0);
	CHECK(c.done && !strcmp(jv_string_value(c.r.stop), "max_output_tokens") && c.r.out_tokens == 9);
	CHECK(jv_get_kind(c.r.parts) == JV_KIND_NULL);
	cf_call_release(&c);

	/* failed and error events: the provider's words */
	static const char failed[] =
		EV("response.output_text.delta", "\"delta\":\"Hi\"")
		EV("response.failed", "\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"It broke\"}}");
	call_new(&c, 1);
	CHECK(stream_through(&c, failed, sizeof failed - 1, 4) == CF_CALL_EVENT);
	CHECK(!strcmp(jv_string_value(c.r.error), "It broke") && c.r.len == 2);
	cf_call_release(&c);
	static const char error[] = EV("error", "\"code\":\"rate_limit_exceeded\",\"message\":\"Slow down\",\"param\":null");
	call_new(&c, 1);
	CHECK(stream_through(&c, error, sizeof error - 1, 1) == CF_CALL_EVENT);
	CHECK(!strcmp(jv_string_value(c.r.error), "Slow down"));
	cf_call_release(&c);
}

/* The request body, from messages with a system prompt, an earlier reply
 * and an image. */
static void
request(void)
{
	cf_call c;
	call_new(&c, 1);
	c.model = "gpt-x";
	c.system = "Be kind.";
	c.max_tokens = 77;
	jv_free(c.messages);
	c.messages = jv_parse("[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
		"{\"role\":\"user\",\"content\":\"c\",\"images\":[{\"mimeType\":\"image/png\",\"data\":\"AAA=\"}]}]");
	jv b = c.p->body(&c);
	jv want = jv_parse("{\"model\":\"gpt-x\",\"instructions\":\"Be kind.\",\"max_output_tokens\":77,\"stream\":true,"
		"\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"a\"}]},"
		"{\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"b\"}]},"
		"{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"c\"},"
		"{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,AAA=\"}]}]}");
	CHECK(jv_equal(jv_copy(b), want));
	jv_free(c.messages);
	/* a reply with parts from this protocol and others, then the result */
	c.messages = jv_parse("[{\"role\":\"user\",\"content\":\"go\"},"
		"{\"role\":\"assistant\",\"content\":\"Let me.\",\"parts\":["
		"{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"sig\",\"provider\":\"anthropic\"},"
		"{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":\"S.\",\"encryptedContent\":\"enc\",\"provider\":\"openai-responses\"},"
		"{\"type\":\"reasoning\",\"id\":\"rs_x\",\"summary\":\"other\",\"provider\":\"elsewhere\"},"
		"{\"type\":\"text\",\"text\":\"Let me.\"},"
		"{\"type\":\"tool_use\",\"id\":\"call_9\",\"name\":\"multiply\",\"input\":{\"a\":2},\"provider\":\"openai-responses\"}]},"
		"{\"role\":\"user\",\"content\":\"\",\"parts\":["
		"{\"type\":\"tool_result\",\"toolUseId\":\"call_9\",\"content\":\"4\"},"
		"{\"type\":\"tool_result\",\"toolUseId\":\"call_8\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]},"
		"{\"type\":\"tool_result\",\"toolUseId\":\"call_7\",\"content\":[{\"type\":\"image\"}]}]}]");
	jv_free(b);
	b = c.p->body(&c);
	want = jv_parse("[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"go\"}]},"
		"{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"S.\"}],\"encrypted_content\":\"enc\"},"
		"{\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Let me.\"}]},"
		"{\"type\":\"function_call\",\"call_id\":\"call_9\",\"name\":\"multiply\",\"arguments\":\"{\\\"a\\\":2}\"},"
		"{\"type\":\"function_call_output\",\"call_id\":\"call_9\",\"output\":\"4\"},"
		"{\"type\":\"function_call_output\",\"call_id\":\"call_8\",\"output\":\"x\"},"
		"{\"type\":\"function_call_output\",\"call_id\":\"call_7\",\"output\":\"[{\\\"type\\\":\\\"image\\\"}]\"}]");
	jv got = jv_object_get(b, jv_string("input"));
	if (!jv_equal(jv_copy(got), jv_copy(want))) {
		jv d = jv_dump_string(jv_copy(got), 0);
		fprintf(stderr, "input: %s\n", jv_string_value(d));
		jv_free(d);
	}
	CHECK(jv_equal(got, want));
	char url[256];
	c.base = "http://127.0.0.1:9/v1/";
	c.p->url(&c, url, sizeof url);
	CHECK_STR(url, "http://127.0.0.1:9/v1/responses");
	cf_call_release(&c);
}

/* -o, --schema and tools through the hooks call.c runs after body: where
 * each lands, and nothing leaked or freed twice on the way. */
static void
hooks(void)
{
	cf_call c;
	call_new(&c, 0);
	c.model = "gpt-x";
	c.max_tokens = 5;
	jv_free(c.messages);
	c.messages = jv_parse("[{\"role\":\"user\",\"content\":\"a\"}]");
	c.options = jv_parse("{\"effort\":\"low\",\"reasoning\":{\"summary\":\"auto\"},"
		"\"text\":{\"verbosity\":\"low\"},\"seed\":3}");
	c.schema = jv_parse("{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
		"\"required\":[\"n\"],\"additionalProperties\":false}");
	jv list = jv_parse("[{\"name\":\"add\",\"description\":\"adds\",\"input_schema\":{\"type\":\"object\"}},"
		"{\"name\":\"mul\",\"description\":\"muls\",\"input_schema\":{\"type\":\"object\","
		"\"properties\":{},\"additionalProperties\":false}}]");
	jv b = c.p->tools(&c, c.p->body(&c), list);
	b = c.p->options(&c, b);
	jv want = jv_parse("{\"model\":\"gpt-x\",\"max_output_tokens\":5,\"seed\":3,"
		"\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"a\"}]}],"
		"\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},"
		"\"text\":{\"verbosity\":\"low\",\"format\":{\"type\":\"json_schema\",\"name\":\"reply\","
		"\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
		"\"required\":[\"n\"],\"additionalProperties\":false}}},"
		"\"tools\":[{\"type\":\"function\",\"name\":\"add\",\"description\":\"adds\",\"strict\":false,"
		"\"parameters\":{\"type\":\"object\"}},"
		"{\"type\":\"function\",\"name\":\"mul\",\"description\":\"muls\",\"strict\":true,"
		"\"parameters\":{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}}]}");
	if (!jv_equal(jv_copy(b), jv_copy(want))) {
		jv d = jv_dump_string(jv_copy(b), 0);
		fprintf(stderr, "body: %s\n", jv_string_value(d));
		jv_free(d);
	}
	CHECK(jv_equal(b, want));
	/* none given: the body as it was */
	jv_free(c.options);
	jv_free(c.schema);
	c.options = c.schema = jv_null();
	b = c.p->body(&c);
	want = jv_copy(b);
	CHECK(jv_equal(c.p->options(&c, b), want));
	cf_call_release(&c);
}

int
main(void)
{
	recordings();
	written();
	request();
	hooks();
	return unit_done("test-responses");
}
