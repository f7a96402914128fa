/* out.c — records for pipes, color for terminals, and a closed pipe that
 * ends the program quietly. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confab.h"

static int tty = -1, color = -1;

void
cf_out_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

int
cf_out_isatty(void)
{
	if (tty < 0)
		tty = isatty(STDOUT_FILENO);
	return tty;
}

int
cf_out_color(void)
{
	if (color < 0) {
		const char *nc = getenv("NO_COLOR");
		const char *term = getenv("TERM");
		color = cf_out_isatty() && !(nc && *nc) &&
		        !(term && !strcmp(term, "dumb"));
	}
	return color;
}

const char *
cf_c(const char *seq)
{
	return cf_out_color() ? seq : "";
}

jv
cf_out_error(void)
{
	if (!ferror(stdout))
		return jv_true();
	if (errno == EPIPE)
		return cf_error(CF_EX_OK, "stdout was closed");
	return cf_error(CF_EX_FAIL, "write error: %s", strerror(errno));
}

/* A record as compact JSON into one buffer, byte for byte what
 * jv_dumpf(rec, F, 0) prints: jq 1.6's dumper writes every character of
 * every string with its own fwrite() and formats every number with dtoa,
 * which was most of chat-ls's time for a long listing. */
struct obuf {
	char *s;
	size_t n, cap;
};

static void
ob_grow(struct obuf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return;
	b->cap = (b->n + more) * 2;
	b->s = cf_xrealloc(b->s, b->cap);
}

static void
ob_put(struct obuf *b, const char *s, size_t n)
{
	ob_grow(b, n);
	memcpy(b->s + b->n, s, n);
	b->n += n;
}

static void
ob_string(struct obuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	ob_grow(b, n + 2);
	b->s[b->n++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			ob_grow(b, 1);
			b->s[b->n++] = (char)c;
			continue;
		}
		char e[6] = {'\\', 0};
		size_t k = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			k = 6;
		}
		ob_put(b, e, k);
	}
	ob_grow(b, 1);
	b->s[b->n++] = '"';
}

static void
ob_value(struct obuf *b, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		ob_put(b, "null", 4);
		break;
	case JV_KIND_TRUE:
		ob_put(b, "true", 4);
		break;
	case JV_KIND_FALSE:
		ob_put(b, "false", 5);
		break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (d == (double)(long long)d && d > -1e15 && d < 1e15 &&
		    !(d == 0 && signbit(d))) {
			char t[24];
			int k = snprintf(t, sizeof t, "%lld", (long long)d);
			ob_put(b, t, (size_t)k);
		} else {   /* fractions, huge, NaN: jq's own format */
			jv t = jv_dump_string(jv_copy(v), 0);
			ob_put(b, jv_string_value(t), strlen(jv_string_value(t)));
			jv_free(t);
		}
		break;
	}
	case JV_KIND_STRING:
		ob_string(b, jv_string_value(v),
		          (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY:
		ob_put(b, "[", 1);
		jv_array_foreach(v, i, e) {
			if (i)
				ob_put(b, ",", 1);
			ob_value(b, e);
			jv_free(e);
		}
		ob_put(b, "]", 1);
		break;
	case JV_KIND_OBJECT: {
		int first = 1;
		ob_put(b, "{", 1);
		jv_object_foreach(v, k, e) {
			if (!first)
				ob_put(b, ",", 1);
			first = 0;
			ob_string(b, jv_string_value(k),
			          (size_t)jv_string_length_bytes(jv_copy(k)));
			ob_put(b, ":", 1);
			ob_value(b, e);
			jv_free(k);
			jv_free(e);
		}
		ob_put(b, "}", 1);
		break;
	}
	default:   /* invalid: what jv_dumpf prints for it */
		{
			jv t = jv_dump_string(jv_copy(v), 0);
			ob_put(b, jv_string_value(t), strlen(jv_string_value(t)));
			jv_free(t);
		}
	}
}

const char *
cf_json_compact(jv v, size_t *len)
{
	static struct obuf b;
	b.n = 0;
	ob_value(&b, v);
	jv_free(v);
	ob_put(&b, "\n", 1);
	b.s[--b.n] = '\0';
	*len = b.n;
	return b.s;
}

jv
cf_out_record(jv rec)
{
	size_t n;
	const char *s = cf_json_compact(rec, &n);
	fwrite(s, 1, n, stdout);
	putchar('\n');
	return cf_out_error();
}

int
cf_out_finish(int status)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return status;
		cf_warn("write error: %s", errno ? strerror(errno) : "unknown");
		return status ? status : CF_EX_FAIL;
	}
	return status;
}

const char *
cf_jstr_or_null(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return NULL;
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
	jv_free(v);   /* obj keeps the string alive */
	return s;
}

const char *
cf_jstr(jv obj, const char *key)
{
	const char *s = cf_jstr_or_null(obj, key);
	return s ? s : "";
}

double
cf_jnum(jv obj, const char *key, double dflt)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return dflt;
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : dflt;
	jv_free(v);
	return d;
}

int
cf_jbool(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return 0;
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	int b = jv_get_kind(v) == JV_KIND_TRUE;
	jv_free(v);
	return b;
}

jv
cf_jpath(jv v, const char *path)
{
	jv cur = jv_copy(v);
	char part[64];
	while (*path && jv_is_valid(cur)) {
		size_t k = strcspn(path, ".");
		snprintf(part, sizeof part, "%.*s", (int)k, path);
		path += k + (path[k] == '.');
		if (jv_get_kind(cur) == JV_KIND_OBJECT) {
			cur = jv_object_get(cur, jv_string(part));
		} else if (jv_get_kind(cur) == JV_KIND_ARRAY && part[0] >= '0' &&
		           part[0] <= '9') {
			int i = atoi(part);
			if (i < jv_array_length(jv_copy(cur)))
				cur = jv_array_get(cur, i);
			else {
				jv_free(cur);
				cur = jv_invalid();
			}
		} else {
			jv_free(cur);
			cur = jv_invalid();
		}
	}
	if (!jv_is_valid(cur)) {
		jv_free(cur);
		return jv_null();
	}
	return cur;
}

long
cf_jlong(jv v, const char *path)
{
	jv x = cf_jpath(v, path);
	/* every use is a count: a negative one, or one past 2^53 (where a
	 * double stops counting by ones, and a cast or a sum of a few would
	 * overflow), is none */
	double d = jv_get_kind(x) == JV_KIND_NUMBER ? jv_number_value(x) : -1;
	long r = d >= 0 && d <= 9007199254740992.0 ? (long)d : -1;
	jv_free(x);
	return r;
}
