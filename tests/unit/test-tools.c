/* tools.c's pure parts: the wire names offered (collisions go as
 * PLUGIN__TOOL, names still alike go unoffered) and the context's calls
 * kept with their answers (cf_tool_pairs). */
#include "unit.h"

static jv
parse(const char *s)
{
	jv v = jv_parse(s);
	if (!jv_is_valid(v)) {
		fprintf(stderr, "test-tools: bad JSON in the test: %s\n", s);
		exit(2);
	}
	return v;
}

/* f(input) compared whole with want, as compact JSON with sorted keys. */
static void
same(jv got, const char *want, int line)
{
	jv w = parse(want);
	int ok = jv_equal(jv_copy(got), jv_copy(w));
	if (!ok) {
		jv s = jv_dump_string(jv_copy(got), JV_PRINT_SORTED);
		fprintf(stderr, "test-tools.c:%d: got %s\n", line, jv_string_value(s));
		jv_free(s);
	}
	CHECK(ok);
	jv_free(got);
	jv_free(w);
}
#define SAME(got, want) same((got), (want), __LINE__)

static void
offered(void)
{
	/* b's and c's search collide: b__search, c__search; a's tool named
	 * b__search is then two tools' name: neither of them goes */
	jv l = parse("[{\"plugin\":\"b\",\"name\":\"search\",\"input_schema\":{}},"
	             "{\"plugin\":\"c\",\"name\":\"search\",\"input_schema\":{}},"
	             "{\"plugin\":\"a\",\"name\":\"b__search\",\"input_schema\":{}},"
	             "{\"plugin\":\"a\",\"name\":\"x.y\",\"input_schema\":{}},"
	             "{\"plugin\":\"a\",\"name\":\"noschema\"}]");
	jv o = cf_tools_offered(l);
	jv names = jv_array();
	jv_array_foreach(o, i, t) {
		names = jv_array_append(names, jv_object_get(t, jv_string("name")));
		(void)i;
	}
	jv_free(o);
	SAME(names, "[\"c__search\",\"x_y\"]");
}

#define CALL(id, name) "{\"type\":\"tool_use\",\"id\":\"" id "\",\"name\":\"" name "\",\"input\":{}}"
#define ANSWER(id, name) "{\"type\":\"tool_result\",\"toolUseId\":\"" id "\",\"name\":\"" name "\",\"content\":\"r\"}"
#define USER(t) "{\"role\":\"user\",\"content\":\"" t "\"}"

static void
pairs(void)
{
	/* in order: as it was */
	SAME(cf_tool_pairs(parse("[" USER("hi") ",{\"role\":\"assistant\",\"content\":\"\","
	     "\"parts\":[" CALL("1", "f") "]},{\"role\":\"user\",\"content\":\"x\",\"parts\":["
	     ANSWER("1", "f") "]}]")),
	     "[" USER("hi") ",{\"role\":\"assistant\",\"content\":\"\",\"parts\":[" CALL("1", "f")
	     "]},{\"role\":\"user\",\"content\":\"x\",\"parts\":[" ANSWER("1", "f") "]}]");
	/* another send between: the answer moves up to its call */
	SAME(cf_tool_pairs(parse("[{\"role\":\"assistant\",\"content\":\"\",\"parts\":["
	     CALL("1", "f") "]}," USER("other") ",{\"role\":\"user\",\"content\":\"x\",\"parts\":["
	     ANSWER("1", "f") "]}]")),
	     "[{\"role\":\"assistant\",\"content\":\"\",\"parts\":[" CALL("1", "f") "]},"
	     "{\"role\":\"user\",\"content\":\"x\",\"parts\":[" ANSWER("1", "f") "]}," USER("other") "]");
	/* never answered: the call goes, the reply's text stays; a reply of
	 * nothing else goes whole */
	SAME(cf_tool_pairs(parse("[{\"role\":\"assistant\",\"content\":\"t\",\"parts\":["
	     "{\"type\":\"text\",\"text\":\"t\"}," CALL("1", "f") "]}," USER("a") ","
	     "{\"role\":\"assistant\",\"content\":\"\",\"parts\":[" CALL("2", "g") "]}]")),
	     "[{\"role\":\"assistant\",\"content\":\"t\",\"parts\":[{\"type\":\"text\",\"text\":\"t\"}]},"
	     USER("a") "]");
	/* an answer to no call before it goes; calls without ids pair by name */
	SAME(cf_tool_pairs(parse("[{\"role\":\"user\",\"content\":\"x\",\"parts\":[" ANSWER("9", "f")
	     "]},{\"role\":\"assistant\",\"content\":\"\",\"parts\":[" CALL("", "g") "]},"
	     "{\"role\":\"user\",\"content\":\"y\",\"parts\":[" ANSWER("", "g") "]}]")),
	     "[{\"role\":\"assistant\",\"content\":\"\",\"parts\":[" CALL("", "g") "]},"
	     "{\"role\":\"user\",\"content\":\"y\",\"parts\":[" ANSWER("", "g") "]}]");
	SAME(cf_tool_pairs(jv_array()), "[]");
}

int
main(void)
{
	offered();
	pairs();
	return unit_done("test-tools");
}
