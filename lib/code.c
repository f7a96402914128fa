/* code.c — the fenced code of a message (chat-send --code, chat-show
 * --code): found by cmark-gfm's parser, so a fence inside a list item or a
 * quote, a ~~~ fence and an indented fence are read as CommonMark reads
 * them, and a ``` inside a longer fence is text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export.h"
#include "highlight.h"

/* The info string's first word, the language a fence names. */
static jv
first_word(const char *info)
{
	size_t n = info ? strcspn(info, " \t") : 0;
	return jv_string_sized(info ? info : "", (int)n);
}

/* Whether a fence naming word is of the language asked for: the same
 * word in any case, or two words the highlighter takes for one language
 * (sh and bash, py and python). */
static int
lang_is(const char *word, const char *want)
{
	if (!strcasecmp(word, want))
		return 1;
	const char *a = cf_hl_lang_of(word), *b = cf_hl_lang_of(want);
	return a && b && !strcmp(a, b);
}

/* cmark ends every line of a code block's literal with "\n", whatever
 * ended it in the text: the line ends of the text's lines (ends[i] of
 * line i from 0: 1 "\n", 2 "\r\n", 3 "\r", 0 none) given back, line for
 * line, so that a CRLF file comes out as it was written.  NULL when the
 * text has no carriage return, where nothing is to be given back. */
static unsigned char *
line_ends(const char *text, size_t len, size_t *nlines)
{
	*nlines = 0;
	if (!memchr(text, '\r', len))
		return NULL;
	size_t cap = 64, n = 0;
	unsigned char *e = cf_xmalloc(cap);
	for (size_t i = 0; i < len; i++) {
		unsigned char k = text[i] == '\n' ? 1 : text[i] != '\r' ? 0 :
		                  i + 1 < len && text[i + 1] == '\n' ? 2 : 3;
		if (!k)
			continue;
		if (n == cap)
			e = cf_xrealloc(e, cap *= 2);
		e[n++] = k;
		i += k == 2;
	}
	*nlines = n;
	return e;
}

/* The literal of a block whose fence is on line first (from 1), each
 * line ended as in the text. */
static jv
with_ends(const char *code, int first, const unsigned char *ends, size_t nlines)
{
	jv out = jv_string("");
	size_t line = first > 0 ? (size_t)first : 0;   /* its first line, from 0 */
	while (*code) {
		size_t k = strcspn(code, "\n");
		out = jv_string_append_buf(out, code, (int)k);
		if (!code[k])
			break;
		unsigned char e = line < nlines ? ends[line] : 1;
		out = jv_string_append_str(out, e == 2 ? "\r\n" : e == 3 ? "\r" : "\n");
		code += k + 1;
		line++;
	}
	return out;
}

jv
cf_code_blocks(const char *text, size_t len, const char *lang)
{
	size_t nlines;
	unsigned char *ends = line_ends(text, len, &nlines);
	jv out = jv_array();
	cmark_node *doc = cf_gfm_parse(text, len, CMARK_OPT_DEFAULT);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		int flen, foff;
		char fch;   /* cmark writes these without looking for NULL */
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK ||
		    !cmark_node_get_fenced(n, &flen, &foff, &fch))
			continue;
		const char *info = cmark_node_get_fence_info(n);
		jv word = first_word(info);
		if (lang && !lang_is(jv_string_value(word), lang)) {
			jv_free(word);
			continue;
		}
		const char *code = cmark_node_get_literal(n);
		jv b = jv_object();
		b = jv_object_set(b, jv_string("lang"), word);
		b = jv_object_set(b, jv_string("info"), jv_string(info ? info : ""));
		b = jv_object_set(b, jv_string("code"),
		                  ends && code ? with_ends(code, cmark_node_get_start_line(n),
		                                           ends, nlines) :
		                  jv_string(code ? code : ""));
		out = jv_array_append(out, b);
	}
	free(ends);
	cmark_iter_free(it);
	cmark_node_free(doc);
	return out;
}

/* The separator is written before each block after the first, so a lone
 * block is its bytes and nothing else. */
void
cf_code_put(struct cf_code_out *o, const char *code, size_t n)
{
	if (o->count) {
		if (!o->nl)
			cf_code_raw(o, "\n", 1);
		cf_code_raw(o, "\n", 1);
	}
	cf_code_raw(o, code, n);
	if (n)
		o->nl = code[n - 1] == '\n';
	else
		o->nl = 1;
	o->count++;
}

void
cf_code_end(struct cf_code_out *o)
{
	if (o->count > 1 && !o->nl)
		cf_code_raw(o, "\n", 1);
	if (o->tty && o->c2)
		fputc(0xc2, o->f);
	o->c2 = 0;
}

void
cf_code_raw(struct cf_code_out *o, const char *s, size_t n)
{
	if (o->err)
		return;   /* the reader went away: the rest would fail as well */
	errno = 0;
	if (o->tty) {
		/* a CRLF line's CR would be a space at its end */
		const char *e = s + n, *q;
		while ((q = memmem(s, (size_t)(e - s), "\r\n", 2))) {
			cf_clean_write(o->f, s, (size_t)(q - s), &o->c2, 0);
			s = q + 1;
		}
		cf_clean_write(o->f, s, (size_t)(e - s), &o->c2, 0);
	} else
		fwrite(s, 1, n, o->f);
	/* kept now: by the end, errno says what a later call did */
	if (ferror(o->f))
		o->err = errno ? errno : EIO;
}

jv
cf_code_message(struct cf_code_out *o, jv msg, const char *lang)
{
	const char *text = cf_jstr(msg, "content");
	jv blocks = cf_code_blocks(text ? text : "", text ? strlen(text) : 0, lang);
	jv r = jv_true();
	jv_array_foreach(blocks, i, b) {
		if (o->json && jv_is_valid(r)) {
			jv rec = jv_object();
			rec = jv_object_set(rec, jv_string("type"), jv_string("code"));
			rec = jv_object_set(rec, jv_string("sessionId"),
			                    jv_object_get(jv_copy(msg), jv_string("sessionId")));
			rec = jv_object_set(rec, jv_string("messageId"),
			                    jv_object_get(jv_copy(msg), jv_string("id")));
			rec = jv_object_set(rec, jv_string("index"), jv_number(i));
			jv_object_foreach(b, k, v)
				rec = jv_object_set(rec, k, v);
			jv_free(r);
			r = cf_out_record(rec);
			o->count++;
		} else if (!o->json) {
			const char *c = cf_jstr(b, "code");
			cf_code_put(o, c, strlen(c));
		}
		jv_free(b);
	}
	jv_free(blocks);
	jv_free(msg);
	if (o->err && jv_is_valid(r)) {
		jv_free(r);
		r = o->err == EPIPE ? cf_error(CF_EX_OK, "stdout was closed") :
		    cf_error(CF_EX_FAIL, "write error: %s", strerror(o->err));
	}
	return r;
}
