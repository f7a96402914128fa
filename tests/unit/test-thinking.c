/* A reply's thinking followed as it streams (thinking.c): each piece once,
 * parts apart, a new round's parts from 0, controls made harmless. */
#include "unit.h"
#include "confab.h"

static jv
think(const char *s)
{
	jv p = jv_object_set(jv_object(), jv_string("type"), jv_string("thinking"));
	return jv_object_set(p, jv_string("thinking"), jv_string(s));
}

int
main(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cf_thinking_out o = {.f = f, .bol = 1, .part = -1};
	jv none = jv_array();
	/* the open part grows: what is new each time */
	jv open = think("one");
	cf_thinking_follow(&o, none, open);
	jv_free(open);
	open = think("one two\nthree");
	cf_thinking_follow(&o, none, open);
	jv_free(open);
	/* it ends; a tool call beside it shows nothing */
	jv parts = jv_array_append(jv_array(), think("one two\nthree"));
	parts = jv_array_append(parts, jv_object_set(jv_object(), jv_string("type"),
	                                             jv_string("tool_use")));
	cf_thinking_follow(&o, parts, jv_null());
	jv_free(parts);
	/* the next round counts its parts from 0 again */
	o.part = -1;
	o.off = 0;
	parts = jv_array_append(jv_array(), think("x\x1b[31my"));
	cf_thinking_follow(&o, parts, jv_null());
	jv_free(parts);
	cf_thinking_done(&o);
	fclose(f);
	CHECK_STR(buf, CF_THINKING_MARK "one two\n" CF_THINKING_MARK "three\n"
	          CF_THINKING_MARK "\n" CF_THINKING_MARK "x [31my\n\n");
	free(buf);
	jv_free(none);
	return unit_done("test-thinking");
}
