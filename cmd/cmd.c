/* cmd.c — errors become exits here, and only here. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

_Noreturn static void
exit_with(jv err)
{
	int code = cf_error_status(err);
	if (code == CF_EX_OK) {
		/* a closed stdout: the reader has what it wanted */
		jv_free(err);
		exit(CF_EX_OK);
	}
	jv m = cf_error_message(err);
	if (cf_error_usage(err))
		fprintf(stderr, "%s: %s (see '%s --help')\n", cf_prog,
		        jv_string_value(m), cf_prog);
	else
		cf_warn("%s", jv_string_value(m));
	jv_free(m);
	jv_free(err);
	exit(code);
}

static void
uncaught(jv err)
{
	exit_with(err);
}

/* The library's bridge (cf_raise) ends here when nothing catches. */
__attribute__((constructor)) static void
init(void)
{
	cf_uncaught = uncaught;
}

jv
cf_ok(jv v)
{
	if (cf_is_error(v)) {
		if (cf_catching && cf_error_status(v) != CF_EX_OK)
			cf_raise(v);
		exit_with(v);
	}
	return v;
}

void
cf_exit_on(jv v)
{
	jv_free(cf_ok(v));
}

void
cf_out_check(void)
{
	cf_exit_on(cf_out_error());
}

int64_t
cf_when_arg(const char *opt, const char *s, int end_of_day)
{
	int64_t ms;
	if (cf_when_parse(s, end_of_day, &ms))
		cf_usage_die("invalid %s '%s': expected a date, a time or an age "
		             "like 7d", opt, s);
	return ms;
}

cf_store *
cf_open(const char *path, int mode)
{
	jv err = jv_invalid();
	/* a --db path may be a typo: only the programs that make stores
	 * create one there */
	if (path && !(mode & CF_STORE_CREATE))
		mode |= CF_STORE_EXISTING;
	cf_store *st = cf_store_open_mode(path, mode & ~CF_STORE_CREATE, &err);
	if (!st)
		cf_exit_on(err);
	return st;
}

cf_store *
cf_open_read(const char *path, const char *replica)
{
	if (!replica || !*replica)
		replica = getenv("CHAT_DB_READ");
	if (!replica || !*replica)
		return cf_open(path, CF_STORE_READ);
	jv err = jv_invalid();
	cf_store *st = cf_store_open_mode(replica, CF_STORE_READ | CF_STORE_EXISTING |
	                                  CF_STORE_REPLICA, &err);
	if (!st)
		cf_exit_on(err);
	return st;
}

_Noreturn void
cf_die(int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cf_ok(cf_error(code, "%s", buf));
	abort();
}

_Noreturn void
cf_usage_die(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* never caught: a usage error is the program's, not a turn's */
	exit_with(cf_usage_error("%s", buf));
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
