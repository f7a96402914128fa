/* schema.c — JSON Schema for chat-send --schema: the argument read (a
 * file, inline JSON, or the short form), the schema checked before it is
 * sent, the reply validated against it, and the forms two providers want
 * (OpenAI's strict mode, Gemini's OpenAPI subset).  The validator is
 * sound rather than complete: a keyword it does not know never fails a
 * value, so a reply it calls invalid is invalid by the standard too. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confab.h"

/* Deep enough for any schema a person writes; a $ref that leads back to
 * itself without going into the value stops here. */
#define DEPTH_MAX 64
/* A value is validated as deep as it goes, a few steps a level (its
 * subschema, a $ref, an anyOf): far past what a model writes, well short
 * of the stack's end. */
#define VALUE_DEPTH_MAX 1000
/* Work enough for any schema a person writes against any reply a model
 * writes, a fraction of a second at worst. */
#define VALUE_STEPS_MAX 1000000
#define VALUE_STEPS_PER 100   /* and as many more for each value in the reply */
/* A schema file past this is no schema (and its length must fit an int). */
#define SCHEMA_FILE_MAX (16 << 20)

static const char *const types[] = {"string", "number", "integer", "boolean",
                                    "object", "array", "null"};

static int
is_type_name(const char *t)
{
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (!strcmp(t, types[i]))
			return 1;
	return 0;
}

/* ptr with one more reference token, escaped as RFC 6901 says. */
static jv
ptr_add(jv ptr, const char *tok)
{
	ptr = jv_string_append_str(ptr, "/");
	for (const char *p = tok; *p; p++) {
		if (*p == '~')
			ptr = jv_string_append_str(ptr, "~0");
		else if (*p == '/')
			ptr = jv_string_append_str(ptr, "~1");
		else
			ptr = jv_string_append_buf(ptr, p, 1);
	}
	return ptr;
}

static jv
ptr_index(jv ptr, int i)
{
	char n[16];
	snprintf(n, sizeof n, "%d", i);
	return ptr_add(ptr, n);
}

static const char *
where(jv ptr)
{
	const char *p = jv_string_value(ptr);
	return *p ? p : "the top";
}

static jv
get(jv o, const char *k)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(o), jv_string(k));
}

static int
has(jv o, const char *k)
{
	jv v = get(o, k);
	int r = jv_is_valid(v);
	jv_free(v);
	return r;
}

/* "#", "#/$defs/x": the part of root it names (a new reference), or
 * jv_invalid(). */
static jv
resolve(jv root, const char *ref)
{
	if (ref[0] != '#')
		return jv_invalid();
	jv at = jv_copy(root);
	const char *p = ref + 1;
	if (*p && *p != '/') {
		jv_free(at);
		return jv_invalid();
	}
	while (*p == '/') {
		p++;
		size_t n = strcspn(p, "/");
		jv tok = jv_string("");
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
				tok = jv_string_append_str(tok, p[i + 1] == '0' ? "~" : "/");
				i++;
			} else {
				tok = jv_string_append_buf(tok, p + i, 1);
			}
		}
		if (jv_get_kind(at) == JV_KIND_OBJECT) {
			at = jv_object_get(at, tok);
		} else if (jv_get_kind(at) == JV_KIND_ARRAY) {
			long k;
			if (cf_parse_long(jv_string_value(tok), 0, 1 << 30, &k) ||
			    k >= jv_array_length(jv_copy(at))) {
				jv_free(tok);
				jv_free(at);
				return jv_invalid();
			}
			jv_free(tok);
			at = jv_array_get(at, (int)k);
		} else {
			jv_free(tok);
			jv_free(at);
			return jv_invalid();
		}
		if (!jv_is_valid(at))
			return at;
		p += n;
	}
	return at;
}

/* ---- is it a schema? ---- */

static jv check_at(jv root, jv s, jv ptr, int depth);

static jv
bad_schema(jv ptr, const char *why)
{
	jv e = cf_error(CF_EX_USAGE, "invalid schema at %s: %s", where(ptr), why);
	jv_free(ptr);
	return e;
}

static int
is_count(jv v)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return 0;
	double d = jv_number_value(v);
	return d >= 0 && d == floor(d) && d < 1e15;
}

/* Each value of an object of schemas (properties, $defs); m borrowed. */
static jv
check_map(jv root, jv m, jv ptr, int depth)
{
	if (jv_get_kind(m) != JV_KIND_OBJECT)
		return bad_schema(ptr, "expected an object of schemas");
	jv r = jv_true();
	jv_object_foreach(m, k, v) {
		if (jv_is_valid(r)) {
			jv_free(r);
			r = check_at(root, jv_copy(v), ptr_add(jv_copy(ptr), jv_string_value(k)),
			             depth + 1);
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(ptr);
	return r;
}

static jv
check_list(jv root, jv l, jv ptr, int depth, int nonempty)
{
	if (jv_get_kind(l) != JV_KIND_ARRAY)
		return bad_schema(ptr, "expected an array of schemas");
	if (nonempty && !jv_array_length(jv_copy(l)))
		return bad_schema(ptr, "expected at least one schema");
	jv r = jv_true();
	jv_array_foreach(l, i, v) {
		if (jv_is_valid(r)) {
			jv_free(r);
			r = check_at(root, jv_copy(v), ptr_index(jv_copy(ptr), i), depth + 1);
		}
		jv_free(v);
	}
	jv_free(ptr);
	return r;
}

/* t borrowed. */
static jv
check_type(jv t, jv ptr)
{
	char why[200];
	if (jv_get_kind(t) == JV_KIND_STRING) {
		if (is_type_name(jv_string_value(t))) {
			jv_free(ptr);
			return jv_true();
		}
		snprintf(why, sizeof why, "unknown type '%.60s' (string, number, integer, "
		         "boolean, object, array, null)", jv_string_value(t));
		return bad_schema(ptr, why);
	}
	if (jv_get_kind(t) != JV_KIND_ARRAY || !jv_array_length(jv_copy(t)))
		return bad_schema(ptr, "expected a type name or an array of them");
	jv r = jv_true();
	jv_array_foreach(t, i, x) {
		if (jv_is_valid(r)) {
			jv_free(r);
			r = check_type(x, ptr_index(jv_copy(ptr), i));
		}
		jv_free(x);
	}
	jv_free(ptr);
	return r;
}

/* Borrows root and ptr's copy is consumed; s consumed. */
static jv
check_at(jv root, jv s, jv ptr, int depth)
{
	jv r = jv_true();
	if (depth > DEPTH_MAX) {
		jv_free(s);
		return bad_schema(ptr, "nested too deep");
	}
	if (jv_get_kind(s) == JV_KIND_TRUE || jv_get_kind(s) == JV_KIND_FALSE) {
		jv_free(s);
		jv_free(ptr);
		return r;
	}
	if (jv_get_kind(s) != JV_KIND_OBJECT) {
		jv_free(s);
		return bad_schema(ptr, "a schema is an object (or true or false)");
	}
	static const char *const counts[] = {"minLength", "maxLength", "minItems",
		"maxItems", "minProperties", "maxProperties"};
	static const char *const nums[] = {"minimum", "maximum", "multipleOf"};
	static const char *const one[] = {"additionalProperties", "not", "additionalItems",
		"contains", "propertyNames", "if", "then", "else"};
	static const char *const many[] = {"allOf", "anyOf", "oneOf"};
	static const char *const maps[] = {"properties", "$defs", "definitions",
		"patternProperties"};
	jv_object_foreach(s, k, v) {
		const char *key = jv_string_value(k);
		jv at = ptr_add(jv_copy(ptr), key);
		jv_free(r);
		r = jv_true();
		size_t i;
		if (!strcmp(key, "type")) {
			r = check_type(v, at);
			at = jv_invalid();
		} else if (!strcmp(key, "required")) {
			int okk = jv_get_kind(v) == JV_KIND_ARRAY;
			if (okk)
				jv_array_foreach(v, j, x) {
					okk &= jv_get_kind(x) == JV_KIND_STRING;
					jv_free(x);
					(void)j;
				}
			if (!okk) {
				r = bad_schema(at, "expected an array of property names");
				at = jv_invalid();
			}
		} else if (!strcmp(key, "enum")) {
			if (jv_get_kind(v) != JV_KIND_ARRAY) {
				r = bad_schema(at, "expected an array of values");
				at = jv_invalid();
			}
		} else if (!strcmp(key, "$ref")) {
			jv to = jv_get_kind(v) == JV_KIND_STRING ?
			        resolve(root, jv_string_value(v)) : jv_invalid();
			if (!jv_is_valid(to)) {
				r = bad_schema(at, jv_get_kind(v) != JV_KIND_STRING ?
				               "expected a string" :
				               "names no part of this schema (only #/... is followed)");
				at = jv_invalid();
			}
			jv_free(to);
		} else if (!strcmp(key, "nullable") || !strcmp(key, "uniqueItems")) {
			if (jv_get_kind(v) != JV_KIND_TRUE && jv_get_kind(v) != JV_KIND_FALSE) {
				r = bad_schema(at, "expected true or false");
				at = jv_invalid();
			}
		} else if (!strcmp(key, "exclusiveMinimum") || !strcmp(key, "exclusiveMaximum")) {
			jv_kind kd = jv_get_kind(v);
			if (kd != JV_KIND_NUMBER && kd != JV_KIND_TRUE && kd != JV_KIND_FALSE) {
				r = bad_schema(at, "expected a number");
				at = jv_invalid();
			}
		} else if (!strcmp(key, "items")) {
			if (jv_get_kind(v) == JV_KIND_ARRAY)
				r = check_list(root, v, at, depth, 0);
			else
				r = check_at(root, jv_copy(v), at, depth + 1);
			at = jv_invalid();
		} else if (!strcmp(key, "prefixItems")) {
			r = check_list(root, v, at, depth, 0);
			at = jv_invalid();
		} else {
			for (i = 0; i < sizeof counts / sizeof *counts; i++)
				if (!strcmp(key, counts[i]) && !is_count(v)) {
					r = bad_schema(at, "expected a whole number, 0 or more");
					at = jv_invalid();
					break;
				}
			for (i = 0; jv_is_valid(at) && i < sizeof nums / sizeof *nums; i++)
				if (!strcmp(key, nums[i]) && jv_get_kind(v) != JV_KIND_NUMBER) {
					r = bad_schema(at, "expected a number");
					at = jv_invalid();
				}
			for (i = 0; jv_is_valid(at) && i < sizeof one / sizeof *one; i++)
				if (!strcmp(key, one[i])) {
					r = check_at(root, jv_copy(v), at, depth + 1);
					at = jv_invalid();
				}
			for (i = 0; jv_is_valid(at) && i < sizeof many / sizeof *many; i++)
				if (!strcmp(key, many[i])) {
					r = check_list(root, v, at, depth, 1);
					at = jv_invalid();
				}
			for (i = 0; jv_is_valid(at) && i < sizeof maps / sizeof *maps; i++)
				if (!strcmp(key, maps[i])) {
					r = check_map(root, v, at, depth);
					at = jv_invalid();
				}
		}
		jv_free(at);
		jv_free(k);
		jv_free(v);
		if (!jv_is_valid(r))
			break;
	}
	jv_free(s);
	jv_free(ptr);
	return r;
}

jv
cf_schema_check(jv schema)
{
	if (jv_get_kind(schema) != JV_KIND_OBJECT)
		return cf_error(CF_EX_USAGE, "invalid schema at the top: a schema is an object");
	return check_at(schema, jv_copy(schema), jv_string(""), 0);
}

/* ---- does a value match? ---- */

static const char *
kind_of(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: return "null";
	case JV_KIND_TRUE: case JV_KIND_FALSE: return "boolean";
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		return d == floor(d) ? "integer" : "number";
	}
	case JV_KIND_STRING: return "string";
	case JV_KIND_ARRAY: return "array";
	case JV_KIND_OBJECT: return "object";
	default: return "nothing";
	}
}

static int
type_is(jv v, const char *t)
{
	const char *k = kind_of(v);
	return !strcmp(t, k) || (!strcmp(t, "number") && !strcmp(k, "integer"));
}

static jv
mismatch(jv ptr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static jv
mismatch(jv ptr, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	jv e = cf_error(CF_EX_DATA, "at %s: %s", where(ptr), why);
	jv_free(ptr);
	return e;
}

/* One validation's state.  refs: the $refs followed since the last step
 * into the value; one met again there would be followed forever.  steps
 * bounds the work a schema of many anyOf branches can ask (each level
 * doubling it) even without a loop.  why: what is wrong with the schema
 * itself, the answer whatever a branch made of it (a not, an anyOf must
 * not turn it into a match). */
struct vx {
	jv root, refs;
	long steps;
	char why[200];
};

static jv valid_at(struct vx *x, jv s, jv v, jv ptr, int depth);

/* A step into the value (an item, a property): the $refs before it
 * cannot loop with those after. */
static jv
valid_into(struct vx *vx, jv s, jv v, jv ptr, int depth)
{
	jv refs = vx->refs;
	vx->refs = jv_array();
	jv r = valid_at(vx, s, v, ptr, depth);
	jv_free(vx->refs);
	vx->refs = refs;
	return r;
}

static double
num(jv s, const char *k, int *have)
{
	jv x = get(s, k);
	*have = jv_get_kind(x) == JV_KIND_NUMBER;
	double d = *have ? jv_number_value(x) : 0;
	jv_free(x);
	return d;
}

static int
flag(jv s, const char *k)
{
	jv x = get(s, k);
	int t = jv_get_kind(x) == JV_KIND_TRUE;
	jv_free(x);
	return t;
}

static jv
valid_type(jv s, jv v, jv ptr)
{
	jv t = get(s, "type");
	int okk = 1;
	jv want = jv_string("");
	if (jv_get_kind(t) == JV_KIND_STRING) {
		okk = type_is(v, jv_string_value(t));
		want = jv_string_append_str(want, jv_string_value(t));
	} else if (jv_get_kind(t) == JV_KIND_ARRAY) {
		okk = 0;
		jv_array_foreach(t, i, x) {
			if (jv_get_kind(x) == JV_KIND_STRING) {
				okk |= type_is(v, jv_string_value(x));
				if (i)
					want = jv_string_append_str(want, " or ");
				want = jv_string_append_str(want, jv_string_value(x));
			}
			jv_free(x);
		}
	}
	jv_free(t);
	jv r = okk ? (jv_free(ptr), jv_true()) :
	       mismatch(ptr, "expected %s, got %s", jv_string_value(want), kind_of(v));
	jv_free(want);
	return r;
}

/* Code points, a NUL among them (jv's strings may hold one). */
static size_t
chars(jv str)
{
	return (size_t)jv_string_length_codepoints(jv_copy(str));
}

static jv
valid_scalar(jv s, jv v, jv ptr)
{
	int h;
	double d;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double x = jv_number_value(v);
		/* jq reads nan, which no comparison refuses */
		if (isnan(x))
			return mismatch(ptr, "NaN is not a number JSON has");
		int excl = flag(s, "exclusiveMinimum");   /* draft 4's form */
		d = num(s, "minimum", &h);
		if (h && (x < d || (excl && x == d)))
			return mismatch(ptr, "%g is below the minimum %g", x, d);
		excl = flag(s, "exclusiveMaximum");
		d = num(s, "maximum", &h);
		if (h && (x > d || (excl && x == d)))
			return mismatch(ptr, "%g is above the maximum %g", x, d);
		d = num(s, "exclusiveMinimum", &h);
		if (h && x <= d)
			return mismatch(ptr, "%g is not above %g", x, d);
		d = num(s, "exclusiveMaximum", &h);
		if (h && x >= d)
			return mismatch(ptr, "%g is not below %g", x, d);
		d = num(s, "multipleOf", &h);
		if (h && d > 0 && fabs(x / d - floor(x / d + 0.5)) > 1e-9)
			return mismatch(ptr, "%g is not a multiple of %g", x, d);
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		size_t n = chars(v);
		d = num(s, "minLength", &h);
		if (h && (double)n < d)
			return mismatch(ptr, "%zu characters, fewer than %g", n, d);
		d = num(s, "maxLength", &h);
		if (h && (double)n > d)
			return mismatch(ptr, "%zu characters, more than %g", n, d);
	}
	jv_free(ptr);
	return jv_true();
}

static jv
valid_array(struct vx *vx, jv s, jv v, jv ptr, int depth)
{
	int h, n = jv_array_length(jv_copy(v));
	double d = num(s, "minItems", &h);
	if (h && n < d)
		return mismatch(ptr, "%d items, fewer than %g", n, d);
	d = num(s, "maxItems", &h);
	if (h && n > d)
		return mismatch(ptr, "%d items, more than %g", n, d);
	if (flag(s, "uniqueItems") && n > 1) {
		/* sorted, the same items are neighbours: n log n, where every
		 * pair of a long reply's array would take minutes */
		jv sorted = jv_sort(jv_copy(v), jv_copy(v));
		jv dup = jv_invalid();
		for (int i = 1; i < n && !jv_is_valid(dup); i++) {
			jv a = jv_array_get(jv_copy(sorted), i - 1);
			if (jv_equal(jv_copy(a), jv_array_get(jv_copy(sorted), i)))
				dup = a;
			else
				jv_free(a);
		}
		jv_free(sorted);
		if (jv_is_valid(dup)) {
			int at[2] = {-1, -1}, k = 0;
			for (int i = 0; i < n && k < 2; i++)
				if (jv_equal(jv_copy(dup), jv_array_get(jv_copy(v), i)))
					at[k++] = i;
			jv_free(dup);
			return mismatch(ptr, "items %d and %d are the same", at[0], at[1]);
		}
		jv_free(dup);
	}
	jv prefix = get(s, "prefixItems"), items = get(s, "items");
	if (jv_get_kind(items) == JV_KIND_ARRAY) {   /* draft 4's tuples */
		jv_free(prefix);
		prefix = items;
		items = jv_invalid();
	}
	int np = jv_get_kind(prefix) == JV_KIND_ARRAY ? jv_array_length(jv_copy(prefix)) : 0;
	jv r = jv_true();
	for (int i = 0; i < n && jv_is_valid(r); i++) {
		jv sub = i < np ? jv_array_get(jv_copy(prefix), i) :
		         jv_is_valid(items) ? jv_copy(items) : jv_invalid();
		if (jv_is_valid(sub)) {
			jv_free(r);
			r = valid_into(vx, sub, jv_array_get(jv_copy(v), i),
			             ptr_index(jv_copy(ptr), i), depth + 1);
		}
	}
	jv_free(prefix);
	jv_free(items);
	jv_free(ptr);
	return r;
}

static jv
valid_object(struct vx *vx, jv s, jv v, jv ptr, int depth)
{
	jv req = get(s, "required");
	if (jv_get_kind(req) == JV_KIND_ARRAY) {
		jv_array_foreach(req, i, k) {
			if (jv_get_kind(k) == JV_KIND_STRING && !has(v, jv_string_value(k))) {
				jv e = mismatch(jv_copy(ptr), "'%s' is missing", jv_string_value(k));
				jv_free(k);
				jv_free(req);
				jv_free(ptr);
				return e;
			}
			jv_free(k);
			(void)i;
		}
	}
	jv_free(req);
	int h, n = jv_object_length(jv_copy(v));
	double d = num(s, "minProperties", &h);
	if (h && n < d)
		return mismatch(ptr, "%d properties, fewer than %g", n, d);
	d = num(s, "maxProperties", &h);
	if (h && n > d)
		return mismatch(ptr, "%d properties, more than %g", n, d);
	jv props = get(s, "properties"), extra = get(s, "additionalProperties");
	/* patternProperties would need regular expressions: with them, a
	 * key outside properties is let pass */
	int patterns = has(s, "patternProperties");
	jv r = jv_true();
	jv_object_foreach(v, k, x) {
		if (jv_is_valid(r)) {
			jv sub = get(props, jv_string_value(k));
			if (!jv_is_valid(sub) && !patterns && jv_is_valid(extra)) {
				if (jv_get_kind(extra) == JV_KIND_FALSE) {
					jv_free(r);
					r = mismatch(jv_copy(ptr), "'%s' is not allowed",
					             jv_string_value(k));
				} else {
					sub = jv_copy(extra);
				}
			}
			if (jv_is_valid(sub)) {
				jv_free(r);
				r = valid_into(vx, sub, jv_copy(x),
				             ptr_add(jv_copy(ptr), jv_string_value(k)), depth + 1);
			}
		}
		jv_free(k);
		jv_free(x);
	}
	jv_free(props);
	jv_free(extra);
	jv_free(ptr);
	return r;
}

/* allOf, anyOf, oneOf, not. */
static jv
valid_combined(struct vx *vx, jv s, jv v, jv ptr, int depth)
{
	jv l = get(s, "allOf");
	if (jv_get_kind(l) == JV_KIND_ARRAY) {
		jv_array_foreach(l, i, sub) {
			jv r = valid_at(vx, sub, jv_copy(v), jv_copy(ptr), depth + 1);
			if (!jv_is_valid(r)) {
				jv_free(l);
				jv_free(ptr);
				return r;
			}
			jv_free(r);
			(void)i;
		}
	}
	jv_free(l);
	const char *kinds[] = {"anyOf", "oneOf"};
	for (int w = 0; w < 2; w++) {
		l = get(s, kinds[w]);
		if (jv_get_kind(l) != JV_KIND_ARRAY) {
			jv_free(l);
			continue;
		}
		int matched = 0, n = jv_array_length(jv_copy(l));
		jv_array_foreach(l, i, sub) {
			jv r = valid_at(vx, sub, jv_copy(v), jv_copy(ptr), depth + 1);
			matched += jv_is_valid(r);
			jv_free(r);
			(void)i;
		}
		jv_free(l);
		if (!matched)
			return mismatch(ptr, "matches none of the %d schemas of %s", n, kinds[w]);
		if (w == 1 && matched > 1)
			return mismatch(ptr, "matches %d of the schemas of oneOf, not one", matched);
	}
	jv no = get(s, "not");
	if (jv_is_valid(no)) {
		jv r = valid_at(vx, no, jv_copy(v), jv_copy(ptr), depth + 1);
		int matched = jv_is_valid(r);
		jv_free(r);
		if (matched)
			return mismatch(ptr, "matches the schema of not");
	} else {
		jv_free(no);
	}
	jv_free(ptr);
	return jv_true();
}

/* s, v and ptr consumed. */
static jv
valid_at(struct vx *vx, jv s, jv v, jv ptr, int depth)
{
	jv r;
	if (*vx->why || ++vx->steps > VALUE_STEPS_MAX || depth > VALUE_DEPTH_MAX) {
		if (*vx->why)
			;
		else if (depth > VALUE_DEPTH_MAX)
			snprintf(vx->why, sizeof vx->why, "the schema goes deeper than %d steps",
			         VALUE_DEPTH_MAX);
		else
			snprintf(vx->why, sizeof vx->why, "the schema takes more than %d steps "
			         "to check (and %d a value)", VALUE_STEPS_MAX, VALUE_STEPS_PER);
		r = mismatch(ptr, "%s", vx->why);
		goto out;
	}
	if (jv_get_kind(s) == JV_KIND_TRUE || jv_get_kind(s) != JV_KIND_OBJECT) {
		r = jv_get_kind(s) == JV_KIND_FALSE ? mismatch(ptr, "nothing is allowed here") :
		    (jv_free(ptr), jv_true());
		goto out;
	}
	jv ref = get(s, "$ref");
	if (jv_get_kind(ref) == JV_KIND_STRING) {
		/* draft 7: a $ref's siblings are not looked at (2020-12 would
		 * apply them too; leaving them out never refuses a valid value) */
		jv to = resolve(vx->root, jv_string_value(ref));
		jv_free(s);
		if (!jv_is_valid(to)) {
			jv_free(ref);
			jv_free(v);
			jv_free(to);
			return mismatch(ptr, "the schema's $ref names nothing");
		}
		int again = 0;
		jv_array_foreach(vx->refs, i, x) {
			again |= jv_equal(x, jv_copy(ref));
			(void)i;
		}
		if (again) {
			snprintf(vx->why, sizeof vx->why, "the schema's $ref '%.100s' leads back to "
			         "itself without going into the value", jv_string_value(ref));
			jv_free(ref);
			jv_free(v);
			jv_free(to);
			return mismatch(ptr, "%s", vx->why);
		}
		int n = jv_array_length(jv_copy(vx->refs));
		vx->refs = jv_array_append(vx->refs, ref);
		r = valid_at(vx, to, v, ptr, depth + 1);
		vx->refs = jv_array_slice(vx->refs, 0, n);
		return r;
	}
	jv_free(ref);
	if (jv_get_kind(v) == JV_KIND_NULL && flag(s, "nullable")) {
		jv_free(ptr);
		r = jv_true();
		goto out;
	}
	r = valid_type(s, v, jv_copy(ptr));
	if (!jv_is_valid(r))
		goto done;
	jv_free(r);
	jv e = get(s, "enum");
	if (jv_get_kind(e) == JV_KIND_ARRAY) {
		int found = 0;
		jv_array_foreach(e, i, x) {
			found |= jv_equal(x, jv_copy(v));
			(void)i;
		}
		if (!found) {
			jv_free(e);
			r = mismatch(jv_copy(ptr), "not one of the values of enum");
			goto done;
		}
	}
	jv_free(e);
	jv c = get(s, "const");
	if (jv_is_valid(c)) {
		if (!jv_equal(c, jv_copy(v))) {
			r = mismatch(jv_copy(ptr), "not the value of const");
			goto done;
		}
	} else {
		jv_free(c);
	}
	r = valid_scalar(s, v, jv_copy(ptr));
	if (jv_is_valid(r) && jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_free(r);
		r = valid_array(vx, s, v, jv_copy(ptr), depth);
	}
	if (jv_is_valid(r) && jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_free(r);
		r = valid_object(vx, s, v, jv_copy(ptr), depth);
	}
	if (jv_is_valid(r)) {
		jv_free(r);
		r = valid_combined(vx, s, v, jv_copy(ptr), depth);
	}
done:
	jv_free(ptr);
out:
	jv_free(s);
	jv_free(v);
	return r;
}

/* The values in v, v among them. */
static long
values(jv v)
{
	long n = 1;
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, x) {
			n += values(x);
			jv_free(x);
			(void)i;
		}
	} else if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_object_foreach(v, k, x) {
			n += values(x);
			jv_free(k);
			jv_free(x);
		}
	}
	return n;
}

jv
cf_schema_validate(jv schema, jv value)
{
	/* the budget grows with the value: a long reply is no costly schema */
	struct vx vx = {.root = schema, .refs = jv_array(),
	                .steps = -VALUE_STEPS_PER * values(value)};
	jv r = valid_at(&vx, jv_copy(schema), jv_copy(value), jv_string(""), 0);
	jv_free(vx.refs);
	if (*vx.why) {   /* wherever a branch met it, it is the answer */
		jv_free(r);
		r = cf_error(CF_EX_DATA, "%s", vx.why);
	}
	return r;
}

/* ---- the short form ---- */

static jv
concise_type(const char *t, size_t n)
{
	static const struct { const char *name, *type; } names[] = {
		{"str", "string"}, {"string", "string"}, {"int", "integer"},
		{"integer", "integer"}, {"float", "number"}, {"number", "number"},
		{"bool", "boolean"}, {"boolean", "boolean"},
	};
	if (n >= 2 && t[0] == '[' && t[n - 1] == ']') {
		jv item = concise_type(t + 1, n - 2);
		if (!jv_is_valid(item))
			return item;
		jv a = jv_object_set(jv_object(), jv_string("type"), jv_string("array"));
		return jv_object_set(a, jv_string("items"), item);
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i].name) == n && !memcmp(t, names[i].name, n))
			return jv_object_set(jv_object(), jv_string("type"),
			                     jv_string(names[i].type));
	return jv_invalid();
}

/* One field, "name [type][: description]", trimmed; field counts from 1. */
static jv
concise_field(const char *f, size_t n, int field, jv *props, jv *req)
{
	while (n && isspace((unsigned char)*f))
		f++, n--;
	while (n && isspace((unsigned char)f[n - 1]))
		n--;
	const char *colon = memchr(f, ':', n);
	size_t head = colon ? (size_t)(colon - f) : n;
	while (head && isspace((unsigned char)f[head - 1]))
		head--;
	size_t nl = 0;
	while (nl < head && (isalnum((unsigned char)f[nl]) || f[nl] == '_' || f[nl] == '-'))
		nl++;
	if (!nl && !head)
		return cf_error(CF_EX_USAGE, "invalid --schema: field %d has no name "
		                "(expected NAME [TYPE][: DESCRIPTION])", field);
	if (!nl) {   /* 'été', '"b"': the word up to a space is what is no name */
		size_t w = strcspn(f, " \t\n");
		return cf_error(CF_EX_USAGE, "invalid --schema: field %d: '%.*s' is no name "
		                "(letters, digits, _ and -)", field, (int)(w < head ? w : head), f);
	}
	size_t ts = nl;
	while (ts < head && isspace((unsigned char)f[ts]))
		ts++;
	if (ts == nl && ts < head)
		return cf_error(CF_EX_USAGE, "invalid --schema: field %d: '%.*s' is no name "
		                "(letters, digits, _ and -)", field, (int)head, f);
	jv s = ts < head ? concise_type(f + ts, head - ts) :
	       jv_object_set(jv_object(), jv_string("type"), jv_string("string"));
	if (!jv_is_valid(s))
		return cf_error(CF_EX_USAGE, "invalid --schema: field %d: unknown type '%.*s' "
		                "(str, int, float, bool, or [TYPE] for a list)", field,
		                (int)(head - ts), f + ts);
	if (colon) {
		const char *d = colon + 1;
		size_t dn = n - (size_t)(d - f);
		while (dn && isspace((unsigned char)*d))
			d++, dn--;
		if (dn)
			s = jv_object_set(s, jv_string("description"), jv_string_sized(d, (int)dn));
	}
	jv name = jv_string_sized(f, (int)nl);
	if (has(*props, jv_string_value(name))) {
		jv e = cf_error(CF_EX_USAGE, "invalid --schema: field %d: '%s' is named twice",
		                field, jv_string_value(name));
		jv_free(name);
		jv_free(s);
		return e;
	}
	*req = jv_array_append(*req, jv_copy(name));
	*props = jv_object_set(*props, name, s);
	return jv_true();
}

jv
cf_schema_concise(const char *text)
{
	char sep = strchr(text, '\n') ? '\n' : ',';
	jv props = jv_object(), req = jv_array();
	int field = 0;
	for (const char *p = text;;) {
		size_t n = strcspn(p, sep == '\n' ? "\n" : ",");
		const char *q = p;
		size_t k = n;
		while (k && isspace((unsigned char)*q))
			q++, k--;
		if (k) {   /* a blank field (a trailing comma, an empty line) is none */
			jv r = concise_field(p, n, ++field, &props, &req);
			if (!jv_is_valid(r)) {
				jv_free(props);
				jv_free(req);
				return r;
			}
			jv_free(r);
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	if (!field) {
		jv_free(props);
		jv_free(req);
		return cf_error(CF_EX_USAGE, "invalid --schema: no fields (expected "
		                "NAME [TYPE][: DESCRIPTION], ...)");
	}
	jv s = jv_object_set(jv_object(), jv_string("type"), jv_string("object"));
	s = jv_object_set(s, jv_string("properties"), props);
	s = jv_object_set(s, jv_string("required"), req);
	return jv_object_set(s, jv_string("additionalProperties"), jv_false());
}

/* jq's words for JSON that does not parse, without the text it quotes
 * (which may run over lines); consumes the invalid value. */
static jv
not_json(jv v, const char *what)
{
	jv m = jv_invalid_get_msg(v);
	const char *t = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?";
	const char *cut = strstr(t, " (while parsing");
	int n = cut ? (int)(cut - t) : (int)strlen(t);
	char raw[256], line[256];
	snprintf(raw, sizeof raw, "%.*s", n > 200 ? 200 : n, t);
	cf_clean(raw, line, sizeof line, 0, 0);
	jv e = cf_error(CF_EX_USAGE, "%s: not JSON: %s", what, line);
	jv_free(m);
	return e;
}

jv
cf_schema_arg(const char *arg)
{
	const char *p = arg;
	while (isspace((unsigned char)*p))
		p++;
	struct stat sb;
	jv s;
	if (*p == '{') {
		s = jv_parse(p);
		if (!jv_is_valid(s))
			return not_json(s, "invalid --schema");
	} else if (stat(arg, &sb) == 0) {
		/* what is no regular file is not opened: a FIFO would wait for
		 * a writer, /dev/zero never end */
		if (S_ISDIR(sb.st_mode))
			return cf_error(CF_EX_USAGE, "--schema '%s': %s", arg, strerror(EISDIR));
		if (!S_ISREG(sb.st_mode))
			return cf_error(CF_EX_USAGE, "--schema '%s': not a regular file", arg);
		if (sb.st_size > SCHEMA_FILE_MAX)
			return cf_error(CF_EX_USAGE, "--schema '%s': larger than %d MB", arg,
			                SCHEMA_FILE_MAX >> 20);
		int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		size_t n = 0;
		char *b = fd >= 0 ? cf_read_all(fd, &n) : NULL;
		int err = errno;
		if (fd >= 0)
			close(fd);
		if (!b)
			return cf_error(CF_EX_USAGE, "--schema '%s': %s", arg, strerror(err));
		if (n > SCHEMA_FILE_MAX) {   /* it grew since */
			free(b);
			return cf_error(CF_EX_USAGE, "--schema '%s': larger than %d MB", arg,
			                SCHEMA_FILE_MAX >> 20);
		}
		s = jv_parse_sized(b, (int)n);
		free(b);
		if (!jv_is_valid(s)) {
			char what[300];
			snprintf(what, sizeof what, "--schema '%.200s'", arg);
			return not_json(s, what);
		}
	} else {
		return cf_schema_concise(arg);
	}
	jv r = cf_schema_check(s);
	if (!jv_is_valid(r)) {
		jv_free(s);
		return r;
	}
	jv_free(r);
	return s;
}

/* ---- what providers want ---- */

static int
strict_at(jv s, int depth)
{
	if (depth > DEPTH_MAX)
		return 0;
	if (jv_get_kind(s) != JV_KIND_OBJECT)
		return jv_get_kind(s) == JV_KIND_TRUE ? 0 : 1;
	int okk = 1;
	jv props = get(s, "properties");
	jv t = get(s, "type");
	int object = jv_get_kind(props) == JV_KIND_OBJECT ||
	             (jv_get_kind(t) == JV_KIND_STRING && !strcmp(jv_string_value(t), "object"));
	jv_free(t);
	if (object) {
		jv ap = get(s, "additionalProperties");
		okk = jv_get_kind(ap) == JV_KIND_FALSE;
		jv_free(ap);
		jv req = get(s, "required");
		if (okk && jv_get_kind(props) == JV_KIND_OBJECT) {
			jv_object_foreach(props, k, v) {
				int found = 0;
				if (jv_get_kind(req) == JV_KIND_ARRAY)
					jv_array_foreach(req, i, x) {
						found |= jv_equal(x, jv_copy(k));
						(void)i;
					}
				okk &= found && strict_at(jv_copy(v), depth + 1);
				jv_free(k);
				jv_free(v);
			}
		}
		/* and it names no other ("Extra required key supplied") */
		if (okk && jv_get_kind(req) == JV_KIND_ARRAY)
			jv_array_foreach(req, i, x) {
				okk &= jv_get_kind(x) == JV_KIND_STRING &&
				       has(props, jv_string_value(x));
				jv_free(x);
				(void)i;
			}
		jv_free(req);
	}
	jv_free(props);
	static const char *const subs[] = {"items", "$defs", "definitions", "anyOf", "allOf", "oneOf"};
	for (size_t i = 0; okk && i < sizeof subs / sizeof *subs; i++) {
		jv x = get(s, subs[i]);
		if (jv_get_kind(x) == JV_KIND_ARRAY) {
			jv_array_foreach(x, j, y) {
				okk &= strict_at(y, depth + 1);
				(void)j;
			}
		} else if (jv_get_kind(x) == JV_KIND_OBJECT && i > 0 && i < 3) {
			jv_object_foreach(x, k, y) {
				okk &= strict_at(y, depth + 1);
				jv_free(k);
			}
		} else if (jv_is_valid(x) && i == 0) {
			okk &= strict_at(jv_copy(x), depth + 1);
		}
		jv_free(x);
	}
	jv_free(s);
	return okk;
}

int
cf_schema_strict(jv schema)
{
	jv t = get(schema, "type");
	int object = jv_get_kind(t) == JV_KIND_STRING && !strcmp(jv_string_value(t), "object");
	jv_free(t);
	return object && strict_at(jv_copy(schema), 0);
}

/* Gemini's form has no $ref: each is put in place.  A recursive one is
 * put in place OPENAPI_REPEAT times down a path, then is anything; and a
 * schema whose $refs fan out (each level naming the next twice) stops
 * growing at OPENAPI_NODES schemas, the rest anything. */
#define OPENAPI_REPEAT 2
#define OPENAPI_NODES 20000
struct ox {
	jv root, refs;   /* the $refs being put in place, outermost first */
	long nodes;
};

static jv
openapi_at(struct ox *ox, jv s, int depth)
{
	if (jv_get_kind(s) != JV_KIND_OBJECT || depth > 32 || ++ox->nodes > OPENAPI_NODES) {
		/* true, or a recursion Gemini's schemas cannot say: anything */
		jv_free(s);
		return jv_object();
	}
	jv ref = get(s, "$ref");
	if (jv_get_kind(ref) == JV_KIND_STRING) {
		jv to = resolve(ox->root, jv_string_value(ref));
		jv_free(s);
		int seen = 0;
		jv_array_foreach(ox->refs, i, r) {
			seen += jv_equal(r, jv_copy(ref));
			(void)i;
		}
		if (!jv_is_valid(to) || seen >= OPENAPI_REPEAT) {
			jv_free(to);
			jv_free(ref);
			return jv_object();
		}
		int n = jv_array_length(jv_copy(ox->refs));
		ox->refs = jv_array_append(ox->refs, ref);
		jv o = openapi_at(ox, to, depth + 1);
		ox->refs = jv_array_slice(ox->refs, 0, n);
		return o;
	}
	jv_free(ref);
	static const char *const kept[] = {"format", "title", "description", "nullable",
		"enum", "maxItems", "minItems", "minProperties", "maxProperties", "minLength",
		"maxLength", "pattern", "minimum", "maximum", "required", "propertyOrdering",
		"default", "example"};
	jv o = jv_object();
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		jv x = get(s, kept[i]);
		if (jv_is_valid(x))
			o = jv_object_set(o, jv_string(kept[i]), x);
		else
			jv_free(x);
	}
	jv c = get(s, "const");
	if (jv_is_valid(c))
		o = jv_object_set(o, jv_string("enum"), jv_array_append(jv_array(), c));
	else
		jv_free(c);
	jv t = get(s, "type");
	jv names = jv_array();
	if (jv_get_kind(t) == JV_KIND_STRING)
		names = jv_array_append(names, jv_copy(t));
	else if (jv_get_kind(t) == JV_KIND_ARRAY)
		jv_array_foreach(t, i, x) {
			if (jv_get_kind(x) == JV_KIND_STRING && !strcmp(jv_string_value(x), "null"))
				o = jv_object_set(o, jv_string("nullable"), jv_true());
			else
				names = jv_array_append(names, jv_copy(x));
			jv_free(x);
			(void)i;
		}
	jv_free(t);
	int nt = jv_array_length(jv_copy(names));
	jv alts = jv_array();
	jv_array_foreach(names, i, x) {
		char up[16] = "";
		const char *n = jv_string_value(x);
		for (size_t k = 0; n[k] && k < sizeof up - 1; k++)
			up[k] = (char)toupper((unsigned char)n[k]), up[k + 1] = 0;
		if (nt == 1)
			o = jv_object_set(o, jv_string("type"), jv_string(up));
		else
			alts = jv_array_append(alts, jv_object_set(jv_object(),
			                       jv_string("type"), jv_string(up)));
		jv_free(x);
		(void)i;
	}
	jv_free(names);
	jv props = get(s, "properties");
	if (jv_get_kind(props) == JV_KIND_OBJECT) {
		jv p = jv_object();
		jv_object_foreach(props, k, v)
			p = jv_object_set(p, k, openapi_at(ox, v, depth + 1));
		o = jv_object_set(o, jv_string("properties"), p);
	}
	jv_free(props);
	jv items = get(s, "items");
	if (jv_is_valid(items) && jv_get_kind(items) != JV_KIND_ARRAY)
		o = jv_object_set(o, jv_string("items"), openapi_at(ox, items, depth + 1));
	else
		jv_free(items);
	const char *anys[] = {"anyOf", "oneOf"};
	for (int w = 0; w < 2; w++) {
		jv l = get(s, anys[w]);
		if (jv_get_kind(l) == JV_KIND_ARRAY)
			jv_array_foreach(l, i, x) {
				alts = jv_array_append(alts, openapi_at(ox, x, depth + 1));
				(void)i;
			}
		jv_free(l);
	}
	if (jv_array_length(jv_copy(alts)))
		o = jv_object_set(o, jv_string("anyOf"), alts);
	else
		jv_free(alts);
	jv_free(s);
	return o;
}

jv
cf_schema_openapi(jv schema)
{
	struct ox x = {.root = schema, .refs = jv_array()};
	jv o = openapi_at(&x, jv_copy(schema), 0);
	jv_free(x.refs);
	return o;
}
