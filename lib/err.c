/* err.c — the program's name as a prefix, one line to stderr, an exit code. */
#include <errno.h>
#include <getopt.h>
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

struct cf_catch *cf_catching;

_Noreturn void
cf_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct cf_catch *k = cf_catching;
	if (k) {
		/* the caller asked for the error as a value */
		vsnprintf(k->msg, sizeof k->msg, fmt, ap);
		va_end(ap);
		k->code = code;
		cf_catching = k->prev;
		longjmp(k->jb, 1);
	}
	vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

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

jv
cf_error(int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	jv e = jv_object_set(jv_object(), jv_string("status"), jv_number(status));
	e = jv_object_set(e, jv_string("message"), jv_string(buf));
	return jv_invalid_with_msg(e);
}

int
cf_error_status(jv err)
{
	jv m = jv_invalid_get_msg(jv_copy(err));
	int st = (int)cf_jnum(m, "status", CF_EX_FAIL);
	jv_free(m);
	return st;
}

jv
cf_error_message(jv err)
{
	jv m = jv_invalid_get_msg(jv_copy(err));
	jv s = jv_get_kind(m) == JV_KIND_OBJECT ?
	       jv_object_get(m, jv_string("message")) : (jv_free(m), jv_null());
	if (jv_get_kind(s) != JV_KIND_STRING) {
		jv_free(s);
		s = jv_string("unknown error");
	}
	return s;
}

_Noreturn void
cf_usage_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", cf_prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see '%s --help')\n", cf_prog);
	va_end(ap);
	exit(CF_EX_USAGE);
}

_Noreturn void
cf_bad_option(int c, char **argv)
{
	/* getopt's own messages name argv[0] as typed and are followed by the
	 * whole usage: one line naming the option instead */
	const char *arg = argv[optind - 1];
	int is_long = arg[0] == '-' && arg[1] == '-';
	if (c == ':') {
		if (is_long)
			cf_usage_die("option '%s' needs a value", arg);
		cf_usage_die("option '-%c' needs a value", optopt);
	}
	if (optopt && !is_long)
		cf_usage_die("unknown option '-%c'", optopt);
	if (optopt && strchr(arg, '='))
		cf_usage_die("option '%.*s' takes no value", (int)strcspn(arg, "="), arg);
	cf_usage_die("unknown option '%.*s'", (int)strcspn(arg, "="), arg);
}

void *
cf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		cf_die(CF_EX_FAIL, "out of memory");
	return p;
}

void *
cf_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		cf_die(CF_EX_FAIL, "out of memory");
	return p;
}

char *
cf_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		cf_die(CF_EX_FAIL, "out of memory");
	return p;
}
