/* options.c — provider options, the -o KEY=VALUE of chat-send and
 * chat-set: parsed (a dotted KEY nests, a VALUE is JSON when it parses as
 * JSON), laid over a session's own, and placed in a request's body where
 * its protocol takes them (each prov_*.c says where, through
 * cf_options_place). */
#include <math.h>
#include <string.h>

#include "provider.h"

/* The body's fields confab fills itself: an option over one would send
 * a reply confab cannot read (stream), another model than the one it
 * records (model), or throw the context away (messages, contents,
 * input); each has its own option. */
static const struct { const char *key, *instead; } owned[] = {
	{"model", "-m"}, {"stream", "--no-stream"}, {"messages", "the session's messages"},
	{"contents", "the session's messages"}, {"input", "the session's messages"},
	{"system", "chat-set --system"}, {"systemInstruction", "chat-set --system"},
};

jv
cf_option_parse(const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return cf_usage_error("invalid -o '%s': expected KEY=VALUE", kv);
	if (eq == kv)
		return cf_usage_error("invalid -o '%s': the key is empty", kv);
	jv path = jv_array();
	for (const char *p = kv; p <= eq;) {
		size_t n = strcspn(p, ".=");
		if (p + n > eq)
			n = (size_t)(eq - p);
		if (!n) {
			jv_free(path);
			return cf_usage_error("invalid -o '%s': an empty part in the key "
			                      "(KEY.KEY=VALUE nests)", kv);
		}
		if (jv_array_length(jv_copy(path)) == 32) {
			jv_free(path);
			return cf_usage_error("invalid -o '%.80s': more than 32 parts in the key", kv);
		}
		path = jv_array_append(path, jv_string_sized(p, (int)n));
		p += n + 1;
	}
	jv first = jv_array_get(jv_copy(path), 0);
	for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
		if (!strcmp(jv_string_value(first), owned[i].key)) {
			jv e = cf_usage_error("invalid -o '%.80s': %s is confab's own (%s)", kv,
			                      owned[i].key, owned[i].instead);
			jv_free(first);
			jv_free(path);
			return e;
		}
	jv_free(first);
	jv op = jv_object_set(jv_object(), jv_string("path"), path);
	const char *v = eq + 1;
	if (!*v)
		return op;   /* KEY=: the option goes */
	jv val = jv_parse(v);
	/* a word is a string ("high", not an error); so is "nan", which jq
	 * reads as a number JSON has not */
	if (!jv_is_valid(val) || (jv_get_kind(val) == JV_KIND_NUMBER &&
	                          isnan(jv_number_value(val)))) {
		jv_free(val);
		val = jv_string(v);
	}
	return jv_object_set(op, jv_string("value"), val);
}

jv
cf_options_apply(jv opts, jv ops)
{
	if (jv_get_kind(opts) != JV_KIND_OBJECT) {
		jv_free(opts);
		opts = jv_object();
	}
	if (jv_get_kind(ops) != JV_KIND_ARRAY)
		return opts;
	jv_array_foreach(ops, i, op) {
		jv path = jv_object_get(jv_copy(op), jv_string("path"));
		jv val = jv_object_get(jv_copy(op), jv_string("value"));
		if (jv_get_kind(path) == JV_KIND_ARRAY && jv_array_length(jv_copy(path))) {
			if (jv_is_valid(val)) {
				/* a dotted key through a value that is no object
				 * (-o a=1 -o a.b=2) makes it one */
				jv at = opts;
				int n = jv_array_length(jv_copy(path));
				jv stack[64];
				int depth = n < 64 ? n : 64;
				for (int k = 0; k < depth - 1; k++) {
					jv key = jv_array_get(jv_copy(path), k);
					jv next = jv_get_kind(at) == JV_KIND_OBJECT ?
					          jv_object_get(jv_copy(at), jv_copy(key)) : jv_invalid();
					if (jv_get_kind(next) != JV_KIND_OBJECT) {
						jv_free(next);
						next = jv_object();
					}
					stack[k] = at;
					at = next;
					jv_free(key);
				}
				if (jv_get_kind(at) != JV_KIND_OBJECT) {
					jv_free(at);
					at = jv_object();
				}
				at = jv_object_set(at, jv_array_get(jv_copy(path), depth - 1), val);
				for (int k = depth - 2; k >= 0; k--)
					at = jv_object_set(stack[k], jv_array_get(jv_copy(path), k), at);
				opts = at;
				val = jv_invalid();
			} else {
				jv left = jv_delpaths(jv_copy(opts),
				                      jv_array_append(jv_array(), jv_copy(path)));
				if (jv_is_valid(left)) {
					jv_free(opts);
					opts = left;
				} else {   /* through a value that is no object: not there */
					jv_free(left);
				}
			}
		}
		jv_free(val);
		jv_free(path);
		jv_free(op);
		(void)i;
	}
	return opts;
}

jv
cf_options_place(jv body, jv opts, const char *const *top, const char *inner)
{
	if (jv_get_kind(opts) != JV_KIND_OBJECT || !jv_object_length(jv_copy(opts)))
		return body;
	jv in = jv_object(), out = jv_object();
	jv_object_foreach(opts, k, v) {
		int here = !inner;
		for (const char *const *t = top; !here && t && *t; t++)
			here = !strcmp(*t, jv_string_value(k));
		if (here)
			out = jv_object_set(out, k, v);
		else
			in = jv_object_set(in, k, v);
	}
	if (jv_object_length(jv_copy(in))) {
		jv cur = jv_object_get(jv_copy(body), jv_string(inner));
		if (jv_get_kind(cur) != JV_KIND_OBJECT) {
			jv_free(cur);
			cur = jv_object();
		}
		body = jv_object_set(body, jv_string(inner), jv_object_merge_recursive(cur, in));
	} else {
		jv_free(in);
	}
	return jv_object_merge_recursive(body, out);
}
