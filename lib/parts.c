/* parts.c — a reply's typed parts as the parsers find them: thinking,
 * signatures, tool calls, citations, kept in order around the text.
 *
 * The text itself never leaves c->r.buf while it streams: a text part is
 * an offset range of it, made a jv string only when a non-text part
 * starts and at the end.  A reply with no other part builds nothing, so
 * the text fast paths stay as fast as they were. */
#include <string.h>

#include "provider.h"

/* buf[from, len) as a text part, when there is any. */
static void
cut_text(cf_call *c)
{
	struct cf_reply *r = &c->r;
	if (r->len <= r->text_cut)
		return;
	jv t = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
	t = jv_object_set(t, jv_string("text"),
	                  jv_string_sized(r->buf + r->text_cut, (int)(r->len - r->text_cut)));
	r->parts = jv_array_append(r->parts, t);
	r->text_cut = r->len;
}

/* A tool call's arguments, streamed as JSON text, become its input. */
static jv
parse_input(jv part)
{
	jv raw = jv_object_get(jv_copy(part), jv_string("inputJson"));
	if (jv_get_kind(raw) != JV_KIND_STRING) {
		jv_free(raw);
		return part;
	}
	const char *s = jv_string_value(raw);
	int blank = strspn(s, " \t\r\n") == (size_t)jv_string_length_bytes(jv_copy(raw));
	jv in = blank ? jv_object() : jv_parse(s);
	if (jv_is_valid(in)) {
		part = jv_object_delete(part, jv_string("inputJson"));
		part = jv_object_set(part, jv_string("input"), in);
	} else {
		jv_free(in);   /* cut short: what came is kept to be seen */
		if (!jv_object_has(jv_copy(part), jv_string("input")))
			part = jv_object_set(part, jv_string("input"), jv_object());
	}
	jv_free(raw);
	return part;
}

void
cf_call_part_end(cf_call *c)
{
	struct cf_reply *r = &c->r;
	if (jv_get_kind(r->part_open) != JV_KIND_OBJECT)
		return;
	jv p = r->part_open;
	r->part_open = jv_null();
	if (!strcmp(cf_jstr(p, "type"), "text")) {
		/* its text is what came since it began */
		size_t from = r->part_from < r->len ? r->part_from : r->len;
		p = jv_object_set(p, jv_string("text"),
		                  jv_string_sized(r->buf + from, (int)(r->len - from)));
		r->text_cut = r->len;
	} else {
		p = parse_input(p);
	}
	r->parts = jv_array_append(r->parts, p);
}

void
cf_call_part_begin(cf_call *c, jv part)
{
	struct cf_reply *r = &c->r;
	if (jv_get_kind(part) != JV_KIND_OBJECT) {
		jv_free(part);
		return;
	}
	cf_call_part_end(c);
	if (jv_get_kind(r->parts) != JV_KIND_ARRAY) {
		jv_free(r->parts);
		r->parts = jv_array();
	}
	cut_text(c);
	if (c->p && c->p->name && !jv_object_has(jv_copy(part), jv_string("provider")))
		part = jv_object_set(part, jv_string("provider"), jv_string(c->p->name));
	r->part_open = part;
	r->part_from = r->len;
}

void
cf_call_part_append(cf_call *c, const char *field, const char *s, size_t n)
{
	jv *p = &c->r.part_open;
	if (jv_get_kind(*p) != JV_KIND_OBJECT)
		return;
	/* taken out of the object first, so the string is not shared and
	 * grows in place: a long thought is not copied at every delta */
	jv v = jv_object_get(jv_copy(*p), jv_string(field));
	*p = jv_object_delete(*p, jv_string(field));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		v = jv_string("");
	}
	*p = jv_object_set(*p, jv_string(field), jv_string_append_buf(v, s, (int)n));
}

void
cf_call_part_set(cf_call *c, const char *field, jv v)
{
	jv *p = &c->r.part_open;
	if (jv_get_kind(*p) != JV_KIND_OBJECT) {
		jv_free(v);
		return;
	}
	*p = jv_object_set(*p, jv_string(field), v);
}

void
cf_call_part_push(cf_call *c, const char *field, jv v)
{
	jv *p = &c->r.part_open;
	if (jv_get_kind(*p) != JV_KIND_OBJECT) {
		jv_free(v);
		return;
	}
	jv a = jv_object_get(jv_copy(*p), jv_string(field));
	*p = jv_object_delete(*p, jv_string(field));
	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		a = jv_array();
	}
	*p = jv_object_set(*p, jv_string(field), jv_array_append(a, v));
}

void
cf_call_parts_finish(cf_call *c)
{
	if (jv_get_kind(c->r.parts) != JV_KIND_ARRAY)
		return;
	cf_call_part_end(c);
	cut_text(c);
}

void
cf_call_usage(cf_call *c, jv u)
{
	if (jv_get_kind(u) != JV_KIND_OBJECT) {
		jv_free(u);
		return;
	}
	if (jv_get_kind(c->r.usage) != JV_KIND_OBJECT) {
		jv_free(c->r.usage);
		c->r.usage = u;
		return;
	}
	c->r.usage = jv_object_merge(c->r.usage, u);
}

void
cf_call_parts_reset(cf_call *c)
{
	struct cf_reply *r = &c->r;
	jv_free(r->parts);
	jv_free(r->part_open);
	jv_free(r->usage);
	r->parts = r->part_open = r->usage = jv_null();
	r->part_from = r->text_cut = 0;
	r->cache_read = r->cache_write_5m = r->cache_write_1h = r->reasoning_tokens = -1;
}
