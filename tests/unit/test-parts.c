/* The reply parts API (parts.c): text cut from the reply buffer around
 * the parts begun between it, in order; nothing built for a text-only
 * reply; streamed tool arguments parsed at the end; usage merged. */
#include "unit.h"
#include "provider.h"

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
	return unit_done("test-parts");
}
