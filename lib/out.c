/* out.c — records for pipes, color for terminals, and a closed pipe that
 * ends the program quietly. */
#include <errno.h>
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

void
cf_out_check(void)
{
	if (!ferror(stdout))
		return;
	if (errno == EPIPE)
		exit(CF_EX_OK);
	cf_die(CF_EX_FAIL, "write error: %s", strerror(errno));
}

void
cf_out_record(jv rec)
{
	jv_dumpf(rec, stdout, 0);
	putchar('\n');
	cf_out_check();
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
