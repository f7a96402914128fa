/* thinking.c — a reply's thinking as people see it: on a terminal before
 * its text, each line dimmed after a mark (so it stays apart from the
 * reply where NO_COLOR leaves no dimming), sanitised as all model text
 * is; in exports a section of its own (export.c, exp_html.c, exp_md.c). */
#include <stdlib.h>
#include <string.h>

#include "confab.h"

/* A reasoning part's summary: a string, or OpenAI's [{type, text}]. */
static jv
summary(jv p)
{
	jv s = jv_object_get(jv_copy(p), jv_string("summary"));
	if (jv_get_kind(s) == JV_KIND_STRING)
		return s;
	jv out = jv_string("");
	if (jv_get_kind(s) == JV_KIND_ARRAY)
		jv_array_foreach(s, i, x) {
			const char *t = jv_get_kind(x) == JV_KIND_OBJECT ? cf_jstr_or_null(x, "text") :
			                jv_get_kind(x) == JV_KIND_STRING ? jv_string_value(x) : NULL;
			if (t && *t)
				out = jv_string_append_str(jv_string_length_bytes(jv_copy(out)) ?
				                           jv_string_append_str(out, "\n\n") : out, t);
			jv_free(x);
		}
	jv_free(s);
	return out;
}

/* A part's words as thinking, or jv_invalid() when it is none. */
static jv
words(jv p)
{
	const char *type = jv_get_kind(p) == JV_KIND_OBJECT ? cf_jstr(p, "type") : "";
	if (!strcmp(type, "thinking")) {
		/* the part's own string, not a copy: a part still streaming is
		 * looked at after every piece, and copying it each time made a
		 * long thinking quadratic */
		jv t = jv_object_get(jv_copy(p), jv_string("thinking"));
		if (jv_get_kind(t) == JV_KIND_STRING)
			return t;
		jv_free(t);
		return jv_string("");
	}
	if (!strcmp(type, "redacted_thinking"))
		return jv_string(CF_THINKING_REDACTED);
	if (!strcmp(type, "reasoning"))
		return summary(p);
	return jv_invalid();
}

jv
cf_thinking_parts(jv msg)
{
	jv out = jv_array();
	jv parts = jv_get_kind(msg) == JV_KIND_OBJECT ?
	           jv_object_get(jv_copy(msg), jv_string("parts")) : jv_null();
	if (jv_get_kind(parts) == JV_KIND_ARRAY)
		jv_array_foreach(parts, i, p) {
			jv t = words(p);
			/* a signature-only part (Gemini's, OpenAI's encrypted
			 * reasoning) has no words to show */
			if (jv_is_valid(t) && jv_string_length_bytes(jv_copy(t)))
				out = jv_array_append(out, t);
			else
				jv_free(t);
			jv_free(p);
		}
	jv_free(parts);
	return out;
}

char *
cf_thinking_of(jv msg)
{
	jv l = cf_thinking_parts(msg);
	if (!jv_array_length(jv_copy(l))) {
		jv_free(l);
		return NULL;
	}
	jv all = jv_string("");
	jv_array_foreach(l, i, t) {
		if (i)
			all = jv_string_append_str(all, "\n\n");
		all = jv_string_concat(all, t);
	}
	jv_free(l);
	char *s = cf_xstrdup(jv_string_value(all));
	jv_free(all);
	return s;
}

void
cf_thinking_feed(struct cf_thinking_out *o, const char *s, size_t n)
{
	while (n) {
		if (o->bol) {
			fprintf(o->f, "%s" CF_THINKING_MARK, o->color ? CF_DIM : "");
			o->bol = 0;
		}
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) : n;
		cf_clean_write(o->f, s, k, &o->c2, 0);
		if (nl) {
			fprintf(o->f, "%s\n", o->color ? CF_RESET : "");
			o->bol = 1;
			k++;
		}
		s += k;
		n -= k;
		o->any = 1;
	}
}

void
cf_thinking_done(struct cf_thinking_out *o)
{
	if (!o->any)
		return;
	if (!o->bol)
		fprintf(o->f, "%s\n", o->color ? CF_RESET : "");
	fputc('\n', o->f);   /* the reply's text after an empty line */
	o->bol = 1;
	o->any = 0;
	o->c2 = 0;
}

void
cf_thinking_show(jv msg, FILE *f, int color)
{
	char *t = cf_thinking_of(msg);
	if (!t)
		return;
	struct cf_thinking_out o = {.f = f, .color = color, .bol = 1};
	cf_thinking_feed(&o, t, strlen(t));
	cf_thinking_done(&o);
	free(t);
}

/* One part's words from where they were shown to; a part after another
 * starts after an empty line. */
static void
follow_one(struct cf_thinking_out *o, int i, jv p)
{
	jv t = words(p);
	if (!jv_is_valid(t))
		return;
	size_t n = (size_t)jv_string_length_bytes(jv_copy(t));
	if (i != o->part) {
		if (o->any && n)
			cf_thinking_feed(o, "\n\n", o->bol ? 1 : 2);
		o->part = i;
		o->off = 0;
	}
	if (n > o->off) {
		cf_thinking_feed(o, jv_string_value(t) + o->off, n - o->off);
		o->off = n;
	}
	jv_free(t);
}

void
cf_thinking_follow(struct cf_thinking_out *o, jv parts, jv open)
{
	int n = jv_get_kind(parts) == JV_KIND_ARRAY ? jv_array_length(jv_copy(parts)) : 0;
	for (int i = o->part < 0 ? 0 : o->part; i < n; i++) {
		jv p = jv_array_get(jv_copy(parts), i);
		follow_one(o, i, p);
		jv_free(p);
	}
	/* the part still open becomes the next one when it ends */
	if (jv_get_kind(open) == JV_KIND_OBJECT)
		follow_one(o, n, open);
}
