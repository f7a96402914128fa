/* err.c — errors as values (jq's jv_invalid_with_msg), warnings, and
 * allocation that never returns NULL.  Nothing here ends the process: the
 * programs turn an error into a message and an exit (cmd/cmd.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "confab.h"

const char *cf_prog = "confab";
static char context[64];

void
cf_setprog(const char *argv0)
{
	const char *s = strrchr(argv0, '/');
	cf_prog = s ? s + 1 : argv0;
}

static void
vwarn(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cf_prog);
	if (context[0])
		fprintf(stderr, "%s: ", context);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cf_err_context(const char *where)
{
	snprintf(context, sizeof context, "%s", where ? where : "");
}

void
cf_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

static jv
verror(int status, int usage, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	jv e = jv_object_set(jv_object(), jv_string("status"), jv_number(status));
	e = jv_object_set(e, jv_string("message"), jv_string(buf));
	if (usage)
		e = jv_object_set(e, jv_string("usage"), jv_true());
	return jv_invalid_with_msg(e);
}

jv
cf_error(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jv e = verror(status, 0, fmt, ap);
	va_end(ap);
	return e;
}

jv
cf_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jv e = verror(CF_EX_USAGE, 1, fmt, ap);
	va_end(ap);
	return e;
}

int
cf_is_error(jv v)
{
	return jv_get_kind(v) == JV_KIND_INVALID && jv_invalid_has_msg(jv_copy(v));
}

int
cf_error_status(jv err)
{
	jv m = jv_invalid_get_msg(jv_copy(err));
	int st = jv_get_kind(m) == JV_KIND_OBJECT ?
	         (int)cf_jnum(m, "status", CF_EX_FAIL) : CF_EX_FAIL;
	jv_free(m);
	return st;
}

int
cf_error_usage(jv err)
{
	jv m = jv_invalid_get_msg(jv_copy(err));
	int u = jv_get_kind(m) == JV_KIND_OBJECT && cf_jbool(m, "usage");
	jv_free(m);
	return u;
}

jv
cf_error_message(jv err)
{
	jv m = jv_invalid_get_msg(jv_copy(err));
	jv s = jv_get_kind(m) == JV_KIND_OBJECT ?
	       jv_object_get(m, jv_string("message")) :
	       jv_get_kind(m) == JV_KIND_STRING ? m : (jv_free(m), jv_null());
	if (jv_get_kind(s) != JV_KIND_STRING) {
		jv_free(s);
		s = jv_string("unknown error");
	}
	return s;
}

/* ---- the bridge for code not converted yet (see confab.h) ---- */

struct cf_catch *cf_catching;
void (*cf_uncaught)(jv err);

jmp_buf *
cf_catch_arm(struct cf_catch *k)
{
	k->code = 0;
	k->msg[0] = '\0';
	k->prev = cf_catching;
	cf_catching = k;
	return &k->jb;
}

void
cf_catch_pop(struct cf_catch *k)
{
	if (cf_catching == k)
		cf_catching = k->prev;
}

void
cf_raise(jv v)
{
	if (!cf_is_error(v)) {
		jv_free(v);
		return;
	}
	struct cf_catch *k = cf_catching;
	if (k) {
		jv m = cf_error_message(v);
		snprintf(k->msg, sizeof k->msg, "%s", jv_string_value(m));
		jv_free(m);
		k->code = cf_error_status(v);
		jv_free(v);
		cf_catching = k->prev;
		longjmp(k->jb, 1);
	}
	if (cf_uncaught)
		cf_uncaught(v);
	/* no program said what an error nobody catches does: a bug */
	jv m = cf_error_message(v);
	cf_warn("%s", jv_string_value(m));
	abort();
}

_Noreturn void
cf_store_fail(cf_store *st, const char *what)
{
	cf_raise(cf_store_error(st, what));
	abort();
}

/* Out of memory aborts, as libjq's own allocator does: no caller could
 * do better, and every jv operation would fail the same way. */
void *
cf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *
cf_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *
cf_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}
