/* schema.c and options.c: the validator (each keyword, where a mismatch
 * is said to be), the check that a schema is one, the short form, the
 * forms OpenAI and Gemini take, and -o's KEY=VALUE; under ASan, so every
 * path frees what it takes. */
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"
#include "confab.h"
#include "provider.h"

static jv
J(const char *s)
{
	jv v = jv_parse(s);
	if (!jv_is_valid(v)) {
		fprintf(stderr, "test-schema: bad JSON in a test: %s\n", s);
		exit(1);
	}
	return v;
}

/* schema and value as JSON text: valid (NULL) or the error's words. */
static void
matches(const char *schema, const char *value, const char *err, int line)
{
	jv s = J(schema), v = J(value);
	jv r = cf_schema_validate(s, v);
	if (!err) {
		if (jv_is_valid(r)) {
			unit_pass++;
		} else {
			jv m = cf_error_message(r);
			unit_fail++;
			fprintf(stderr, "line %d: %s against %s: unexpected \"%s\"\n", line, value,
			        schema, jv_string_value(m));
			jv_free(m);
		}
	} else {
		jv m = cf_is_error(r) ? cf_error_message(r) : jv_string("");
		if (cf_is_error(r) && cf_error_status(r) == CF_EX_DATA &&
		    strstr(jv_string_value(m), err)) {
			unit_pass++;
		} else {
			unit_fail++;
			fprintf(stderr, "line %d: %s against %s: expected \"%s\", got \"%s\"\n", line,
			        value, schema, err, jv_string_value(m));
		}
		jv_free(m);
	}
	jv_free(r);
	jv_free(s);
	jv_free(v);
}
#define MATCH(s, v) matches(s, v, NULL, __LINE__)
#define NOMATCH(s, v, e) matches(s, v, e, __LINE__)

static void
validator(void)
{
	MATCH("{}", "[1, {\"a\": null}]");
	MATCH("true", "3");
	NOMATCH("{\"not\": {}}", "3", "at the top: matches the schema of not");
	/* types, integers among numbers */
	MATCH("{\"type\": \"number\"}", "3");
	MATCH("{\"type\": \"integer\"}", "3.0");
	NOMATCH("{\"type\": \"integer\"}", "3.5", "at the top: expected integer, got number");
	NOMATCH("{\"type\": \"string\"}", "null", "expected string, got null");
	MATCH("{\"type\": [\"string\", \"null\"]}", "null");
	NOMATCH("{\"type\": [\"string\", \"null\"]}", "false", "expected string or null, got boolean");
	MATCH("{\"type\": \"string\", \"nullable\": true}", "null");
	/* objects */
	const char *person = "{\"type\": \"object\", \"required\": [\"name\"],"
		" \"properties\": {\"name\": {\"type\": \"string\", \"minLength\": 2},"
		" \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"maxItems\": 2}},"
		" \"additionalProperties\": false}";
	MATCH(person, "{\"name\": \"Ann\", \"tags\": [\"x\"]}");
	NOMATCH(person, "{\"tags\": []}", "at the top: 'name' is missing");
	NOMATCH(person, "{\"name\": \"A\"}", "at /name: 1 characters, fewer than 2");
	NOMATCH(person, "{\"name\": \"Ann\", \"tags\": [\"x\", 3]}", "at /tags/1: expected string");
	NOMATCH(person, "{\"name\": \"Ann\", \"tags\": [\"x\", \"y\", \"z\"]}", "at /tags: 3 items, more");
	NOMATCH(person, "{\"name\": \"Ann\", \"age\": 3}", "at the top: 'age' is not allowed");
	MATCH("{\"additionalProperties\": {\"type\": \"integer\"}}", "{\"a\": 1}");
	NOMATCH("{\"additionalProperties\": {\"type\": \"integer\"}}", "{\"a/b~\": \"x\"}",
	        "at /a~1b~0: expected integer");
	/* patterns are not matched, so keys beside them are let pass */
	MATCH("{\"patternProperties\": {\"^x\": {}}, \"additionalProperties\": false}", "{\"y\": 1}");
	NOMATCH("{\"minProperties\": 2}", "{\"a\": 1}", "1 properties, fewer than 2");
	/* strings count characters, not bytes */
	MATCH("{\"maxLength\": 2}", "\"\xc3\xa9\xc3\xa9\"");
	NOMATCH("{\"maxLength\": 1}", "\"\xc3\xa9\xc3\xa9\"", "2 characters, more than 1");
	/* numbers */
	MATCH("{\"minimum\": 1, \"maximum\": 3}", "3");
	NOMATCH("{\"minimum\": 1}", "0.5", "0.5 is below the minimum 1");
	NOMATCH("{\"maximum\": 1}", "2", "above the maximum");
	NOMATCH("{\"exclusiveMinimum\": 1}", "1", "1 is not above 1");
	NOMATCH("{\"minimum\": 1, \"exclusiveMinimum\": true}", "1", "below the minimum");
	NOMATCH("{\"exclusiveMaximum\": 1}", "1", "1 is not below 1");
	MATCH("{\"multipleOf\": 0.5}", "1.5");
	NOMATCH("{\"multipleOf\": 2}", "3", "not a multiple of 2");
	MATCH("{\"minimum\": 1}", "\"not a number\"");   /* applies to numbers only */
	/* enum, const */
	MATCH("{\"enum\": [1, \"a\", {\"b\": [2]}]}", "{\"b\": [2]}");
	NOMATCH("{\"enum\": [1, \"a\"]}", "\"b\"", "not one of the values of enum");
	MATCH("{\"const\": null}", "null");
	NOMATCH("{\"const\": [1]}", "[2]", "not the value of const");
	/* arrays */
	MATCH("{\"prefixItems\": [{\"type\": \"string\"}], \"items\": {\"type\": \"integer\"}}", "[\"a\", 1, 2]");
	NOMATCH("{\"prefixItems\": [{\"type\": \"string\"}], \"items\": {\"type\": \"integer\"}}",
	        "[\"a\", 1, \"c\"]", "at /2: expected integer");
	NOMATCH("{\"items\": [{\"type\": \"string\"}]}", "[1]", "at /0: expected string");
	NOMATCH("{\"minItems\": 1}", "[]", "0 items, fewer than 1");
	NOMATCH("{\"uniqueItems\": true}", "[1, {\"a\": 2}, {\"a\": 2}]", "items 1 and 2 are the same");
	/* combinations */
	const char *any = "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}";
	MATCH(any, "3");
	NOMATCH(any, "[]", "matches none of the 2 schemas of anyOf");
	const char *one = "{\"oneOf\": [{\"type\": \"number\"}, {\"type\": \"integer\"}]}";
	MATCH(one, "1.5");
	NOMATCH(one, "1", "matches 2 of the schemas of oneOf");
	NOMATCH("{\"allOf\": [{\"type\": \"integer\"}, {\"minimum\": 5}]}", "4", "below the minimum 5");
	/* $ref, into $defs and definitions, recursive, and a loop */
	const char *tree = "{\"$defs\": {\"node\": {\"type\": \"object\", \"properties\": {"
		"\"kids\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/node\"}}}}},"
		" \"$ref\": \"#/$defs/node\"}";
	MATCH(tree, "{\"kids\": [{\"kids\": []}, {}]}");
	NOMATCH(tree, "{\"kids\": [{\"kids\": [3]}]}", "at /kids/0/kids/0: expected object");
	/* a deep value is followed as deep as it goes */
	char deep[4096] = "";
	for (int i = 0; i < 60; i++)
		strcat(deep, "{\"kids\": [");
	strcat(deep, "{}");
	for (int i = 0; i < 60; i++)
		strcat(deep, "]}");
	MATCH(tree, deep);
	MATCH("{\"definitions\": {\"a\": {\"type\": \"string\"}}, \"items\": {\"$ref\": \"#/definitions/a\"}}",
	      "[\"x\"]");
	NOMATCH("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}", "1",
	        "'#/$defs/a' leads back to itself");
	/* a value deeper than the validator goes: said, not a crash */
	{
		jv d = jv_object();
		for (int i = 0; i < 400; i++)
			d = jv_object_set(jv_object(), jv_string("kids"), jv_array_append(jv_array(), d));
		jv s = J(tree);
		ERR_MSG(CF_EX_DATA, "goes deeper than", cf_schema_validate(s, d));
		jv_free(s);
		jv_free(d);
	}
	/* what it does not know never fails a value */
	MATCH("{\"type\": \"string\", \"pattern\": \"^x$\", \"format\": \"email\"}", "\"nope\"");
	NOMATCH("false", "1", "nothing is allowed here");
	/* a $ref back to itself, twice at each level: caught at once, not
	 * followed down every branch (2^500 of them) */
	NOMATCH("{\"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}]}", "1",
	        "leads back to itself");
	/* and a loop under not is no match either: not is not fooled */
	NOMATCH("{\"not\": {\"$ref\": \"#\"}}", "1", "leads back to itself");
	/* a recursive schema that goes into the value is followed */
	const char *rtree = "{\"type\": \"object\", \"properties\": {\"kids\": {\"type\": \"array\","
		" \"items\": {\"$ref\": \"#\"}}, \"n\": {\"type\": \"integer\"}}}";
	MATCH(rtree, "{\"n\": 1, \"kids\": [{\"n\": 2, \"kids\": [{\"kids\": []}]}]}");
	NOMATCH(rtree, "{\"kids\": [{\"kids\": [{\"n\": \"x\"}]}]}", "at /kids/0/kids/0/n: expected integer");
	/* no loop, but each of 40 levels doubles the work: a bound, said */
	{
		jv d = jv_object();
		for (int i = 0; i < 40; i++) {
			char to[32];
			snprintf(to, sizeof to, "#/$defs/d%d", i + 1);
			jv r = jv_object_set(jv_object(), jv_string("$ref"), jv_string(to));
			jv a = jv_array_append(jv_array_append(jv_array(), jv_copy(r)), r);
			d = jv_object_set(d, jv_string_fmt("d%d", i),
			                  jv_object_set(jv_object(), jv_string("anyOf"), a));
		}
		d = jv_object_set(d, jv_string("d40"), jv_false());
		jv s = jv_object_set(jv_object(), jv_string("$defs"), d);
		s = jv_object_set(s, jv_string("$ref"), jv_string("#/$defs/d0"));
		ERR_MSG(CF_EX_DATA, "steps to check", cf_schema_validate(s, jv_number(1)));
		jv_free(s);
	}
	/* a long reply is no costly schema: 150000 numbers through an anyOf
	 * of eight, 1.35 million steps, are checked, not refused */
	{
		jv a = jv_array();
		for (int i = 0; i < 150000; i++)
			a = jv_array_append(a, jv_number(i));
		jv u = J("{\"items\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"},"
		         " {\"type\": \"object\"}, {\"type\": \"array\"}, {\"type\": \"boolean\"},"
		         " {\"const\": \"x\"}, {\"enum\": [\"y\"]}, {\"type\": \"integer\"}]}}");
		OK(cf_schema_validate(u, a));
		jv_free(a);
		jv_free(u);
	}
	/* uniqueItems over a long array: sorted, not every pair compared (1.25e9 of them) */
	{
		jv a = jv_array();
		for (int i = 0; i < 50000; i++)
			a = jv_array_append(a, jv_number(i));
		jv u = J("{\"uniqueItems\": true}");
		OK(cf_schema_validate(u, a));
		a = jv_array_append(a, jv_number(7.0));
		ERR_MSG(CF_EX_DATA, "items 7 and 50000 are the same", cf_schema_validate(u, a));
		jv_free(a);
		jv_free(u);
	}
	/* strings count code points, a NUL among them */
	NOMATCH("{\"maxLength\": 2}", "\"a\\u0000bcd\"", "5 characters, more than 2");
	MATCH("{\"minLength\": 3}", "\"a\\u0000b\"");
	/* NaN is no JSON number (jq reads nan): no number schema takes it */
	NOMATCH("{\"maximum\": 5}", "nan", "not a number JSON has");
	NOMATCH("{\"type\": \"number\"}", "nan", "not a number JSON has");
}

static void
checked(void)
{
	static const struct { const char *schema, *err; } bad[] = {
		{"[]", "at the top: a schema is an object"},
		{"{\"type\": \"int\"}", "at /type: unknown type 'int'"},
		{"{\"type\": []}", "at /type: expected a type name"},
		{"{\"type\": [\"string\", 3]}", "at /type/1: expected a type name"},
		{"{\"required\": \"a\"}", "at /required: expected an array of property names"},
		{"{\"required\": [1]}", "at /required: expected"},
		{"{\"properties\": {\"a\": {\"type\": \"date\"}}}", "at /properties/a/type: unknown type"},
		{"{\"properties\": {\"a/b\": 3}}", "at /properties/a~1b: a schema is an object"},
		{"{\"properties\": []}", "at /properties: expected an object of schemas"},
		{"{\"items\": {\"minItems\": -1}}", "at /items/minItems: expected a whole number"},
		{"{\"items\": [{}, {\"type\": 1}]}", "at /items/1/type"},
		{"{\"anyOf\": []}", "at /anyOf: expected at least one schema"},
		{"{\"oneOf\": {}}", "at /oneOf: expected an array of schemas"},
		{"{\"allOf\": [{}, {\"enum\": 1}]}", "at /allOf/1/enum: expected an array"},
		{"{\"$ref\": \"#/$defs/x\"}", "at /$ref: names no part"},
		{"{\"$ref\": \"http://x/y\"}", "at /$ref: names no part"},
		{"{\"$ref\": 3}", "at /$ref: expected a string"},
		{"{\"$defs\": {\"x\": {\"minimum\": \"1\"}}}", "at /$defs/x/minimum: expected a number"},
		{"{\"nullable\": 1}", "at /nullable: expected true or false"},
		{"{\"additionalProperties\": 3}", "at /additionalProperties: a schema is an object"},
		{"{\"not\": []}", "at /not: a schema is an object"},
		{"{\"exclusiveMinimum\": \"a\"}", "at /exclusiveMinimum: expected a number"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		jv s = J(bad[i].schema);
		ERR_MSG(CF_EX_USAGE, bad[i].err, cf_schema_check(s));
		jv_free(s);
	}
	const char *good[] = {"{}", "{\"type\": [\"string\", \"null\"], \"maxLength\": 3}",
		"{\"$ref\": \"#\"}", "{\"items\": [{\"$ref\": \"#/items/0\"}]}",
		"{\"properties\": {\"a\": true, \"b\": false}, \"required\": [],"
		" \"description\": 3, \"x-unknown\": {\"type\": \"nothing\"}}",
		"{\"exclusiveMaximum\": true, \"maximum\": 1, \"uniqueItems\": false}"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		jv s = J(good[i]);
		OK(cf_schema_check(s));
		jv_free(s);
	}
}

static void
same(jv got, const char *want, int line)
{
	jv w = J(want);
	jv g = jv_copy(got);
	if (jv_equal(g, jv_copy(w))) {
		unit_pass++;
	} else {
		unit_fail++;
		jv d = jv_dump_string(jv_copy(got), 0);
		fprintf(stderr, "line %d: got %s, want %s\n", line, jv_string_value(d), want);
		jv_free(d);
	}
	jv_free(w);
	jv_free(got);
}
#define SAME(got, want) same(got, want, __LINE__)

static void
concise(void)
{
	SAME(cf_schema_concise("name, age int, tags [str], score float: how sure, ok bool, n [[int]]"),
	     "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"},"
	     " \"age\": {\"type\": \"integer\"}, \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
	     " \"score\": {\"type\": \"number\", \"description\": \"how sure\"},"
	     " \"ok\": {\"type\": \"boolean\"}, \"n\": {\"type\": \"array\", \"items\":"
	     " {\"type\": \"array\", \"items\": {\"type\": \"integer\"}}}},"
	     " \"required\": [\"name\", \"age\", \"tags\", \"score\", \"ok\", \"n\"],"
	     " \"additionalProperties\": false}");
	SAME(cf_schema_concise("  title string : a title, short\n\n  count integer:\n"),
	     "{\"type\": \"object\", \"properties\": {\"title\": {\"type\": \"string\","
	     " \"description\": \"a title, short\"}, \"count\": {\"type\": \"integer\"}},"
	     " \"required\": [\"title\", \"count\"], \"additionalProperties\": false}");
	SAME(cf_schema_concise("a,"), "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}},"
	     " \"required\": [\"a\"], \"additionalProperties\": false}");
	ERR_MSG(CF_EX_USAGE, "field 2: unknown type 'date'", cf_schema_concise("a, b date"));
	ERR_MSG(CF_EX_USAGE, "field 1: unknown type '[str'", cf_schema_concise("a [str"));
	ERR_MSG(CF_EX_USAGE, "field 1: 'a.b' is no name", cf_schema_concise("a.b"));
	ERR_MSG(CF_EX_USAGE, "field 2 has no name", cf_schema_concise("a, : text"));
	/* a name that starts with what no name holds is said as such, not as none */
	ERR_MSG(CF_EX_USAGE, "field 1: '\xc3\xa9t\xc3\xa9' is no name", cf_schema_concise("\xc3\xa9t\xc3\xa9 int"));
	ERR_MSG(CF_EX_USAGE, "field 2: '\"b\"' is no name", cf_schema_concise("a, \"b\""));
	ERR_MSG(CF_EX_USAGE, "field 2: 'a' is named twice", cf_schema_concise("a, a int"));
	ERR_MSG(CF_EX_USAGE, "no fields", cf_schema_concise(" \n\n "));
	ERR_MSG(CF_EX_USAGE, "field 1: ',' is no name", cf_schema_concise(" , \n"));
	ERR_MSG(CF_EX_USAGE, "no fields", cf_schema_concise(""));
	/* the argument: inline JSON, a file, else the short form */
	SAME(cf_schema_arg(" {\"type\": \"array\"}"), "{\"type\": \"array\"}");
	ERR_MSG(CF_EX_USAGE, "invalid --schema: not JSON", cf_schema_arg("{\"type\":"));
	ERR_MSG(CF_EX_USAGE, "at /type: unknown type", cf_schema_arg("{\"type\": \"x\"}"));
	char path[] = "/tmp/test-schema-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "{\"enum\": [1]}", 13) == 13);
	close(fd);
	SAME(cf_schema_arg(path), "{\"enum\": [1]}");
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "[1,\n", 4) == 4);
	close(fd);
	jv e = cf_schema_arg(path);
	ERR_MSG(CF_EX_USAGE, "not JSON", jv_copy(e));
	jv m = cf_error_message(e);
	CHECK(!strchr(jv_string_value(m), '\n'));   /* one line */
	jv_free(m);
	jv_free(e);
	unlink(path);
	ERR_MSG(CF_EX_USAGE, "--schema '/tmp': Is a directory", cf_schema_arg("/tmp"));
	/* no file to read: said, never waited on (a FIFO with no writer) */
	ERR_MSG(CF_EX_USAGE, "--schema '/dev/null': not a regular file", cf_schema_arg("/dev/null"));
	char fifo[] = "/tmp/test-schema-fifo-XXXXXX";
	CHECK(mkdtemp(fifo) != NULL);
	char fp[64];
	snprintf(fp, sizeof fp, "%s/f", fifo);
	CHECK(mkfifo(fp, 0600) == 0);
	ERR_MSG(CF_EX_USAGE, "not a regular file", cf_schema_arg(fp));
	snprintf(fp, sizeof fp, "%s/big", fifo);
	fd = open(fp, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && ftruncate(fd, 17 << 20) == 0);   /* sparse: nothing written */
	close(fd);
	ERR_MSG(CF_EX_USAGE, "larger than 16 MB", cf_schema_arg(fp));
	unlink(fp);
	snprintf(fp, sizeof fp, "%s/f", fifo);
	unlink(fp);
	rmdir(fifo);
}

static void
forms(void)
{
	jv s = cf_schema_concise("a, b [int]");
	CHECK(cf_schema_strict(s));
	jv_free(s);
	static const struct { const char *schema; int strict; } st[] = {
		{"{\"type\": \"object\", \"properties\": {\"a\": {}}, \"required\": [\"a\"]}", 0},
		{"{\"type\": \"object\", \"properties\": {\"a\": {}}, \"additionalProperties\": false}", 0},
		{"{\"type\": \"array\"}", 0},
		{"{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"a\"],"
		 " \"properties\": {\"a\": {\"type\": \"object\", \"properties\": {\"b\": {}}}}}", 0},
		{"{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"a\"],"
		 " \"properties\": {\"a\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
		 " \"properties\": {}, \"additionalProperties\": false}}}}", 1},
		{"{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {},"
		 " \"$defs\": {\"x\": {\"type\": \"object\"}}}", 0},
		/* strict mode refuses a required name that is no property */
		{"{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {\"a\": {}},"
		 " \"required\": [\"a\", \"b\"]}", 0},
	};
	for (size_t i = 0; i < sizeof st / sizeof *st; i++) {
		jv x = J(st[i].schema);
		if (cf_schema_strict(x) == st[i].strict)
			unit_pass++;
		else {
			unit_fail++;
			fprintf(stderr, "strict of %s is not %d\n", st[i].schema, st[i].strict);
		}
		jv_free(x);
	}
	jv g = J("{\"$schema\": \"x\", \"type\": \"object\", \"additionalProperties\": false,"
	         " \"properties\": {\"id\": {\"$ref\": \"#/$defs/n\"}, \"k\": {\"type\": [\"string\", \"null\"]},"
	         " \"u\": {\"type\": [\"string\", \"integer\"]}, \"c\": {\"const\": \"x\"},"
	         " \"o\": {\"oneOf\": [{\"type\": \"string\"}]}, \"l\": {\"items\": {\"$ref\": \"#\"}}},"
	         " \"required\": [\"id\"], \"$defs\": {\"n\": {\"type\": \"integer\", \"minimum\": 1}}}");
	jv o = cf_schema_openapi(g);
	jv l = cf_jpath(o, "properties.l.items.properties.l.items");
	CHECK(jv_get_kind(l) == JV_KIND_OBJECT);   /* recursion is cut, not followed forever */
	jv_free(l);
	o = jv_object_set(o, jv_string("properties"), jv_object_delete(cf_jpath(o, "properties"),
	                  jv_string("l")));
	SAME(o, "{\"type\": \"OBJECT\", \"required\": [\"id\"], \"properties\": {"
	     "\"id\": {\"type\": \"INTEGER\", \"minimum\": 1}, \"k\": {\"type\": \"STRING\", \"nullable\": true},"
	     "\"u\": {\"anyOf\": [{\"type\": \"STRING\"}, {\"type\": \"INTEGER\"}]},"
	     "\"c\": {\"enum\": [\"x\"]}, \"o\": {\"anyOf\": [{\"type\": \"STRING\"}]}}}");
	jv_free(g);
	/* a schema whose every property refers back to it: Gemini's form
	 * inlines each $ref a bounded number of times, not 6^32 of them */
	g = J("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#\"}, \"b\": {\"$ref\": \"#\"},"
	      " \"c\": {\"$ref\": \"#\"}, \"d\": {\"$ref\": \"#\"}, \"e\": {\"$ref\": \"#\"},"
	      " \"f\": {\"anyOf\": [{\"$ref\": \"#\"}, {\"type\": \"null\"}]}}}");
	o = cf_schema_openapi(g);
	jv d = jv_dump_string(o, 0);
	CHECK(jv_string_length_bytes(jv_copy(d)) < 100000);
	jv_free(d);
	jv_free(g);
	/* no loop, but each of 30 levels refers to the next twice: bounded too */
	jv defs = jv_object();
	for (int i = 0; i < 30; i++) {
		char to[32];
		snprintf(to, sizeof to, "#/$defs/d%d", i + 1);
		jv r = jv_object_set(jv_object(), jv_string("$ref"), jv_string(to));
		jv p = jv_object_set(jv_object_set(jv_object(), jv_string("x"), jv_copy(r)),
		                     jv_string("y"), r);
		defs = jv_object_set(defs, jv_string_fmt("d%d", i),
		                     jv_object_set(jv_object(), jv_string("properties"), p));
	}
	g = jv_object_set(jv_object(), jv_string("$defs"), defs);
	g = jv_object_set(g, jv_string("$ref"), jv_string("#/$defs/d0"));
	o = cf_schema_openapi(g);
	d = jv_dump_string(o, 0);
	CHECK(jv_string_length_bytes(jv_copy(d)) < 2000000);
	jv_free(d);
	jv_free(g);
}

static void
options(void)
{
	SAME(cf_option_parse("a=1"), "{\"path\": [\"a\"], \"value\": 1}");
	SAME(cf_option_parse("a.b.c=[1, \"x\"]"), "{\"path\": [\"a\", \"b\", \"c\"], \"value\": [1, \"x\"]}");
	SAME(cf_option_parse("a=high"), "{\"path\": [\"a\"], \"value\": \"high\"}");
	SAME(cf_option_parse("a=\"1\""), "{\"path\": [\"a\"], \"value\": \"1\"}");
	SAME(cf_option_parse("a=nan"), "{\"path\": [\"a\"], \"value\": \"nan\"}");
	SAME(cf_option_parse("a=1 2"), "{\"path\": [\"a\"], \"value\": \"1 2\"}");
	SAME(cf_option_parse("a=x=y"), "{\"path\": [\"a\"], \"value\": \"x=y\"}");
	SAME(cf_option_parse("a="), "{\"path\": [\"a\"]}");
	ERR_MSG(CF_EX_USAGE, "expected KEY=VALUE", cf_option_parse("a"));
	ERR_MSG(CF_EX_USAGE, "the key is empty", cf_option_parse("=1"));
	ERR_MSG(CF_EX_USAGE, "an empty part", cf_option_parse("a..b=1"));
	/* what confab sends itself is no option: overriding it breaks the reply's reading */
	ERR_MSG(CF_EX_USAGE, "invalid -o 'stream=false': stream is confab's own (--no-stream)",
	        cf_option_parse("stream=false"));
	ERR_MSG(CF_EX_USAGE, "model is confab's own (-m)", cf_option_parse("model=x"));
	ERR_MSG(CF_EX_USAGE, "messages is confab's own", cf_option_parse("messages.0=x"));
	ERR_MSG(CF_EX_USAGE, "contents is confab's own", cf_option_parse("contents="));
	ERR_MSG(CF_EX_USAGE, "system is confab's own", cf_option_parse("system=x"));
	ERR_MSG(CF_EX_USAGE, "systemInstruction is confab's own", cf_option_parse("systemInstruction.parts=[]"));
	SAME(cf_option_parse("streaming=1"), "{\"path\": [\"streaming\"], \"value\": 1}");
	SAME(cf_option_parse("options.model=1"), "{\"path\": [\"options\", \"model\"], \"value\": 1}");
	ERR_MSG(CF_EX_USAGE, "an empty part", cf_option_parse("a.=1"));
	ERR_MSG(CF_EX_USAGE, "an empty part", cf_option_parse(".a=1"));
	ERR_MSG(CF_EX_USAGE, "more than 32 parts", cf_option_parse(
		"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a=1"));
	jv ops = jv_array();
	const char *kv[] = {"a=1", "t.x=1", "t.y=2", "a.b=3", "t.x=", "gone.deep=", "a.b.c=", "t.y.z="};
	for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
		ops = jv_array_append(ops, cf_option_parse(kv[i]));
	SAME(cf_options_apply(J("{\"keep\": true, \"t\": {\"w\": 0}}"), ops),
	     "{\"keep\": true, \"t\": {\"w\": 0, \"y\": 2}, \"a\": {\"b\": 3}}");
	SAME(cf_options_apply(jv_null(), jv_null()), "{}");
	jv_free(ops);
	/* placement: at the top, or inside where the protocol wants */
	static const char *const top[] = {"tools", NULL};
	jv o = J("{\"tools\": [1], \"topK\": 5, \"g\": {\"x\": 1}}");
	SAME(cf_options_place(J("{\"g\": {\"y\": 2}, \"tools\": [0]}"), o, top, "g"),
	     "{\"g\": {\"y\": 2, \"topK\": 5, \"g\": {\"x\": 1}}, \"tools\": [1]}");
	SAME(cf_options_place(J("{\"g\": {\"y\": 2}}"), o, NULL, NULL),
	     "{\"g\": {\"y\": 2, \"x\": 1}, \"tools\": [1], \"topK\": 5}");
	SAME(cf_options_place(J("{\"a\": 1}"), jv_null(), NULL, NULL), "{\"a\": 1}");
	jv_free(o);
}

int
main(void)
{
	validator();
	checked();
	concise();
	forms();
	options();
	return unit_done("test-schema");
}
