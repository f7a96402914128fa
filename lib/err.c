/* err.c — the program's name as a prefix, one line to stderr, an exit code. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "confab.h"

const char *cf_prog = "confab";

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
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
