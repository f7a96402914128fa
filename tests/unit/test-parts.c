/* The reply parts API (parts.c): text cut from the reply buffer around
 * the parts begun between it, in order; nothing built for a text-only
 * reply; streamed tool arguments parsed at the end; usage merged. */
#include <fcntl.h>
#include <glob.h>

#include "unit.h"
#include "provider.h"

#define FIXTURES "../shared/fixtures/provider-streams"

static jv
part(const char *type)
{
	return jv_object_set(jv_object(), jv_string("type"), jv_string(type));
}

/* c->r.parts as compact JSON, for comparing whole. */
static const char *
dump(cf_call *c)
{
	static char buf[4096];
	jv s = jv_dump_string(jv_copy(c->r.parts), JV_PRINT_SORTED);
	snprintf(buf, sizeof buf, "%s", jv_string_value(s));
	jv_free(s);
	return buf;
}

static const struct cf_provider fake = {.name = "anthropic"};

static void
text_only(void)
{
	cf_call c;
	cf_call_init(&c);
	c.p = &fake;
	cf_call_text(&c, "hello ", 6);
	cf_call_text(&c, "world", 5);
	cf_call_parts_finish(&c);
	CHECK(jv_get_kind(c.r.parts) == JV_KIND_NULL);   /* no parts for plain text */
	CHECK(c.r.len == 11);
	CHECK(jv_get_kind(c.r.usage) == JV_KIND_NULL);
	CHECK(c.r.cache_read == -1 && c.r.cache_write_5m == -1 &&
	      c.r.cache_write_1h == -1 && c.r.reasoning_tokens == -1);
	cf_call_release(&c);
}

static void
thinking_then_text(void)
{
	cf_call c;
	cf_call_init(&c);
	c.p = &fake;
	cf_call_text(&c, "before", 6);
	cf_call_part_begin(&c, part("thinking"));
	cf_call_part_append(&c, "thinking", "Let me ", 7);
	cf_call_part_append(&c, "thinking", "think.", 6);
	cf_call_part_append(&c, "signature", "EqQB", 4);
	cf_call_part_end(&c);
	cf_call_text(&c, "after", 5);
	cf_call_parts_finish(&c);
	CHECK_STR(dump(&c), "[{\"text\":\"before\",\"type\":\"text\"},"
	          "{\"provider\":\"anthropic\",\"signature\":\"EqQB\",\"thinking\":\"Let me think.\",\"type\":\"thinking\"},"
	          "{\"text\":\"after\",\"type\":\"text\"}]");
	/* the visible text is whole in buf still */
	CHECK(c.r.len == 11 && !memcmp(c.r.buf, "beforeafter", 11));
	/* a second finish adds only what came since */
	cf_call_parts_finish(&c);
	CHECK(jv_array_length(jv_copy(c.r.parts)) == 3);
	cf_call_text(&c, "!", 1);
	cf_call_parts_finish(&c);
	CHECK(jv_array_length(jv_copy(c.r.parts)) == 4);
	cf_call_release(&c);
}

static void
tool_input(void)
{
	cf_call c;
	cf_call_init(&c);
	c.p = &fake;
	/* begun and not ended: the next begin ends it */
	jv t = part("tool_use");
	t = jv_object_set(t, jv_string("id"), jv_string("toolu_1"));
	t = jv_object_set(t, jv_string("name"), jv_string("get"));
	t = jv_object_set(t, jv_string("input"), jv_object());
	cf_call_part_begin(&c, t);
	cf_call_part_append(&c, "inputJson", "{\"city\":", 8);
	cf_call_part_append(&c, "inputJson", " \"Paris\"}", 9);
	cf_call_part_begin(&c, part("tool_use"));
	cf_call_part_append(&c, "inputJson", "", 0);    /* "" means {} */
	cf_call_part_begin(&c, part("tool_use"));
	cf_call_part_append(&c, "inputJson", "{\"a\":[1,", 8);   /* cut short */
	cf_call_parts_finish(&c);
	CHECK_STR(dump(&c), "[{\"id\":\"toolu_1\",\"input\":{\"city\":\"Paris\"},\"name\":\"get\",\"provider\":\"anthropic\",\"type\":\"tool_use\"},"
	          "{\"input\":{},\"provider\":\"anthropic\",\"type\":\"tool_use\"},"
	          "{\"input\":{},\"inputJson\":\"{\\\"a\\\":[1,\",\"provider\":\"anthropic\",\"type\":\"tool_use\"}]");
	cf_call_release(&c);
}

static void
text_part_with_citations(void)
{
	cf_call c;
	cf_call_init(&c);
	c.p = &fake;
	cf_call_text(&c, "plain ", 6);
	jv t = part("text");
	t = jv_object_set(t, jv_string("citations"), jv_array());
	cf_call_part_begin(&c, t);
	cf_call_part_push(&c, "citations", jv_string("c1"));
	cf_call_text(&c, "cited", 5);
	cf_call_part_push(&c, "citations", jv_string("c2"));
	cf_call_part_end(&c);
	cf_call_text(&c, " tail", 5);
	/* set replaces; a part given its own provider keeps it */
	jv r = part("reasoning");
	r = jv_object_set(r, jv_string("provider"), jv_string("openai-responses"));
	cf_call_part_begin(&c, r);
	cf_call_part_set(&c, "summary", jv_string("s"));
	cf_call_parts_finish(&c);
	CHECK_STR(dump(&c), "[{\"text\":\"plain \",\"type\":\"text\"},"
	          "{\"citations\":[\"c1\",\"c2\"],\"provider\":\"anthropic\",\"text\":\"cited\",\"type\":\"text\"},"
	          "{\"text\":\" tail\",\"type\":\"text\"},"
	          "{\"provider\":\"openai-responses\",\"summary\":\"s\",\"type\":\"reasoning\"}]");
	cf_call_release(&c);
}

static void
no_part_open(void)
{
	cf_call c;
	cf_call_init(&c);
	c.p = &fake;
	/* nothing begun: appends and sets go nowhere, and build nothing */
	cf_call_part_append(&c, "thinking", "x", 1);
	cf_call_part_set(&c, "x", jv_string("y"));
	cf_call_part_push(&c, "x", jv_string("y"));
	cf_call_part_end(&c);
	cf_call_part_begin(&c, jv_string("not an object"));
	cf_call_parts_finish(&c);
	CHECK(jv_get_kind(c.r.parts) == JV_KIND_NULL);
	cf_call_release(&c);
}

static void
usage_merge(void)
{
	cf_call c;
	cf_call_init(&c);
	cf_call_usage(&c, jv_parse("{\"input_tokens\":46,\"output_tokens\":1,\"cache_read_input_tokens\":0}"));
	cf_call_usage(&c, jv_null());
	cf_call_usage(&c, jv_parse("{\"output_tokens\":90}"));
	jv s = jv_dump_string(jv_copy(c.r.usage), JV_PRINT_SORTED);
	CHECK_STR(jv_string_value(s), "{\"cache_read_input_tokens\":0,\"input_tokens\":46,\"output_tokens\":90}");
	jv_free(s);
	cf_call_release(&c);
	CHECK(jv_get_kind(c.r.usage) == JV_KIND_NULL);
}

/* A long thought streamed in small deltas: appends grow one string, so
 * this finishes at once (a copy per delta would be 10^10 bytes moved). */
static void
long_thought(void)
{
	cf_call c;
	cf_call_init(&c);
	c.p = &fake;
	cf_call_part_begin(&c, part("thinking"));
	for (int i = 0; i < 200000; i++)
		cf_call_part_append(&c, "thinking", "abcdefgh", 8);
	cf_call_parts_finish(&c);
	jv p = jv_array_get(jv_copy(c.r.parts), 0);
	CHECK(jv_string_length_bytes(jv_object_get(p, jv_string("thinking"))) == 1600000);
	cf_call_release(&c);
}

/* ---- the parsers and bodies, under the sanitizers ----
 * Every recording goes through its protocol's parser as chat-send would
 * feed it (the bats suite 166 checks what they make against jq); here a
 * leak, a double free or a bad read in them fails, and what they made
 * is sent back through each protocol's body(). */

static int
feed_event(const char *event, const char *data, size_t n, void *ctx)
{
	cf_call *c = ctx;
	return c->p->event(c, event, data, n);
}

static int
feed_line(const char *line, size_t n, void *ctx)
{
	cf_call *c = ctx;
	return c->p->event(c, "message", line, n);
}

static const struct cf_provider *const protos[] = {
	&cf_prov_anthropic, &cf_prov_openai, &cf_prov_gemini, &cf_prov_ollama,
};

/* The reply's parts and text sent back through every protocol's body: a
 * well-formed request each time, the signature only where it came from. */
static void
send_back(cf_call *from)
{
	jv reply = jv_object_set(jv_object(), jv_string("role"), jv_string("assistant"));
	reply = jv_object_set(reply, jv_string("content"),
	                      jv_string_sized(from->r.buf ? from->r.buf : "", (int)from->r.len));
	reply = jv_object_set(reply, jv_string("parts"), jv_copy(from->r.parts));
	reply = jv_object_set(reply, jv_string("provider"), jv_string(from->p->name));
	jv user = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	user = jv_object_set(user, jv_string("content"), jv_string("again"));
	for (size_t i = 0; i < sizeof protos / sizeof *protos; i++) {
		cf_call c;
		cf_call_init(&c);
		c.p = protos[i];
		c.name = protos[i]->name;
		c.model = "m";
		/* a tool's result and the next prompt: one user turn where
		 * turns are joined, the parts of both kept */
		jv result = jv_parse("{\"role\":\"user\",\"content\":\"\",\"parts\":"
		                     "[{\"type\":\"tool_result\",\"toolUseId\":\"t1\",\"content\":\"42\"},"
		                     /* no content: still a well-formed request */
		                     "{\"type\":\"tool_result\",\"toolUseId\":\"t2\",\"isError\":true}]}");
		c.messages = jv_array_append(jv_array_append(jv_array_append(jv_array_append(
			c.messages, jv_copy(user)), jv_copy(reply)), result), jv_copy(user));
		jv b = c.p->body(&c);
		CHECK(jv_get_kind(b) == JV_KIND_OBJECT);
		jv d = jv_dump_string(b, 0);
		const char *text = jv_string_value(d);
		CHECK(strstr(text, "42") != NULL && strstr(text, "again") != NULL);
		/* Anthropic's signatures go to Anthropic alone */
		jv had = jv_dump_string(jv_copy(from->r.parts), 0);
		if (from->p == &cf_prov_anthropic && strstr(jv_string_value(had), "\"signature\":\"E"))
			CHECK((strstr(text, "\"signature\"") != NULL) == (protos[i] == &cf_prov_anthropic));
		jv_free(had);
		jv_free(d);
		cf_call_release(&c);
	}
	jv_free(reply);
	jv_free(user);
}

static void
replay_one(const struct cf_provider *p, const char *path, int whole)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	size_t n;
	char *buf = cf_read_all(fd, &n);
	close(fd);
	cf_call c;
	cf_call_init(&c);
	c.p = p;
	c.stream = !whole;
	int rc;
	if (whole) {
		rc = p->whole(&c, buf, n);
	} else if (p->ndjson) {
		cf_lines *l = cf_lines_new(feed_line, &c);
		rc = cf_lines_feed(l, buf, n);
		if (!rc)
			rc = cf_lines_finish(l);
		cf_lines_free(l);
	} else {
		cf_sse *s = cf_sse_new(feed_event, &c);
		rc = cf_sse_feed(s, buf, n);
		cf_sse_finish(s);
		cf_sse_free(s);
	}
	cf_call_parts_finish(&c);
	if (rc || !c.done)
		fprintf(stderr, "%s: rc %d done %d\n", path, rc, c.done);
	CHECK(rc == 0 && c.done);
	CHECK(jv_get_kind(c.r.usage) == JV_KIND_OBJECT);
	/* the text parts, joined, are the reply's text */
	if (jv_get_kind(c.r.parts) == JV_KIND_ARRAY) {
		jv t = jv_string("");
		jv_array_foreach(c.r.parts, i, x) {
			if (!strcmp(cf_jstr(x, "type"), "text"))
				t = jv_string_append_str(t, cf_jstr(x, "text"));
			jv_free(x);
			(void)i;
		}
		CHECK((size_t)jv_string_length_bytes(jv_copy(t)) == c.r.len &&
		      (!c.r.len || !memcmp(jv_string_value(t), c.r.buf, c.r.len)));
		jv_free(t);
	}
	send_back(&c);
	cf_call_release(&c);
	free(buf);
}

static void
replays(void)
{
	static const struct {
		const char *pattern;
		const struct cf_provider *p;
		int whole;
	} sets[] = {
		{FIXTURES "/anthropic/*.sse", &cf_prov_anthropic, 0},
		{FIXTURES "/anthropic/messages-nonstream.json", &cf_prov_anthropic, 1},
		{FIXTURES "/openai-chat/*.sse", &cf_prov_openai, 0},
		{FIXTURES "/openai-chat/chat-nonstream-text.json", &cf_prov_openai, 1},
		{FIXTURES "/openai-compatible/*.sse", &cf_prov_openai, 0},
		{FIXTURES "/gemini/stream-sse-*.sse", &cf_prov_gemini, 0},
		{FIXTURES "/gemini/generate-content.json", &cf_prov_gemini, 1},
		{FIXTURES "/ollama/chat-*.ndjson", &cf_prov_ollama, 0},
		{FIXTURES "/ollama/chat-nonstream.json", &cf_prov_ollama, 1},
	};
	int seen = 0;
	for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
		glob_t gl;
		if (glob(sets[i].pattern, 0, NULL, &gl) != 0)
			continue;
		for (size_t k = 0; k < gl.gl_pathc; k++, seen++)
			replay_one(sets[i].p, gl.gl_pathv[k], sets[i].whole);
		globfree(&gl);
	}
	if (!seen)
		fprintf(stderr, "test-parts: no recordings in %s: the replays are skipped\n", FIXTURES);
	else
		CHECK(seen >= 15);
}

/* Usage numbers no provider means: too big for a count, negative, not
 * whole.  None may overflow a sum (UBSan stops on that) or be kept as a
 * count. */
static void
usage_odd_numbers(void)
{
	static const char *const bodies[] = {
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],"
		"\"usage\":{\"input_tokens\":9e18,\"cache_read_input_tokens\":9e18,"
		"\"cache_creation_input_tokens\":9e18,\"output_tokens\":1e300}}",
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],"
		"\"usage\":{\"input_tokens\":-7,\"cache_read_input_tokens\":-3,\"output_tokens\":2.5}}",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		cf_call c;
		cf_call_init(&c);
		c.p = &cf_prov_anthropic;
		CHECK(c.p->whole(&c, bodies[i], strlen(bodies[i])) == 0);
		CHECK(c.r.in_tokens == -1 && c.r.cache_read == -1 && c.r.cache_write_5m == -1);
		CHECK(c.r.out_tokens == (i ? 2 : -1));
		CHECK(jv_get_kind(c.r.usage) == JV_KIND_OBJECT);   /* the object itself, whole */
		cf_call_release(&c);
	}
}

/* Gemini's OpenAI-compatible endpoint streams tool calls without their
 * index: a call with an id of its own is a new call, one without an id
 * goes on with the open one. */
static void
calls_without_index(void)
{
	static const char sse[] =
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"\\\"Oslo\\\"}\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"time\",\"arguments\":\"{}\"}},"
		"{\"id\":\"c3\",\"type\":\"function\",\"function\":{\"name\":\"date\",\"arguments\":\"{\\\"tz\\\":1}\"}}]}}]}\n\n"
		/* a delta with no function (Gemini's metadata alone) */
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"extra_content\":{\"google\":{}}}]}}]}\n\n"
		/* not a call at all: counted, not read */
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[7,\"x\",null]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
		"data: [DONE]\n\n";
	cf_call c;
	cf_call_init(&c);
	c.p = &cf_prov_openai;
	c.stream = 1;
	cf_sse *s = cf_sse_new(feed_event, &c);
	CHECK(cf_sse_feed(s, sse, sizeof sse - 1) == 0);
	cf_sse_finish(s);
	cf_sse_free(s);
	cf_call_parts_finish(&c);
	jv want = jv_parse("[{\"type\":\"tool_use\",\"id\":\"c1\",\"name\":\"weather\",\"input\":{\"city\":\"Oslo\"},\"provider\":\"openai\"},"
	                   "{\"type\":\"tool_use\",\"id\":\"c2\",\"name\":\"time\",\"input\":{},\"provider\":\"openai\"},"
	                   "{\"type\":\"tool_use\",\"id\":\"c3\",\"name\":\"date\",\"input\":{\"tz\":1},\"provider\":\"openai\"}]");
	jv w = jv_dump_string(want, JV_PRINT_SORTED);
	if (strcmp(dump(&c), jv_string_value(w)))
		fprintf(stderr, "got  %s\nwant %s\n", dump(&c), jv_string_value(w));
	CHECK(!strcmp(dump(&c), jv_string_value(w)));
	CHECK(c.malformed == 3);
	jv_free(w);
	cf_call_release(&c);
}

/* Ollama tool calls that are not what its docs show: no function, not
 * an object.  Read as far as they go, never a stop. */
static void
ollama_odd_calls(void)
{
	static const char *const lines[] = {
		"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"a\"},7,{\"function\":3}]},\"done\":false}",
		"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"ok\",\"tool_calls\":\"no\"},\"done\":true,\"eval_count\":2}",
	};
	cf_call c;
	cf_call_init(&c);
	c.p = &cf_prov_ollama;
	c.stream = 1;
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
		feed_line(lines[i], strlen(lines[i]), &c);
	cf_call_parts_finish(&c);
	CHECK(c.done && c.r.len == 2);
	CHECK(jv_get_kind(c.r.parts) == JV_KIND_ARRAY);
	CHECK(jv_array_length(jv_copy(c.r.parts)) == 3);   /* the two calls read, the text */
	cf_call_release(&c);
}

/* A Gemini chunk whose parts are not objects: skipped, counted. */
static void
gemini_odd_parts(void)
{
	static const char chunk[] =
		"{\"candidates\":[{\"content\":{\"parts\":[1,\"x\",null,{\"text\":\"ok\"}],\"role\":\"model\"},"
		"\"finishReason\":\"STOP\"}]}";
	cf_call c;
	cf_call_init(&c);
	c.p = &cf_prov_gemini;
	c.stream = 1;
	CHECK(c.p->event(&c, "message", chunk, sizeof chunk - 1) == 0);
	cf_call_parts_finish(&c);
	CHECK(c.done && c.r.len == 2 && c.malformed == 3);
	cf_call_release(&c);
}

int
main(void)
{
	text_only();
	thinking_then_text();
	tool_input();
	text_part_with_citations();
	no_part_open();
	usage_merge();
	long_thought();
	replays();
	usage_odd_numbers();
	calls_without_index();
	ollama_odd_calls();
	gemini_odd_parts();
	return unit_done("test-parts");
}
