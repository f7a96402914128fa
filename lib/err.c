/* err.c — the program's name as a prefix, one line to stderr, an exit code. */
#include <errno.h>
#include <getopt.h>
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

_Noreturn void
cf_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(code);
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
