/* chat-diff — where two sessions agree and where they part, or what an
 * edit changed in a message. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-diff [options] SESSION-A SESSION-B\n"
	"       chat-diff [options] MESSAGE\n"
	"Show where two sessions agree and where they part, as a unified diff: their\n"
	"common part, then each message removed, added or changed (word by word).\n"
	"With one MESSAGE, its earlier version against its current one.  A session\n"
	"given as -, or none, is a session record read from stdin.  Exit status 0: the\n"
	"same; 1: different; 2 or more: trouble.\n"
	"\n";

enum { O_STAT = 256, O_FROM, O_PLAIN };

static const struct cf_opt own[] = {
	{"stat", O_STAT, no_argument, NULL,
	 "only a summary: how many messages and words differ"},
	{"from", O_FROM, required_argument, "N",
	 "with MESSAGE: version N (chat-edit --history's\n"
	 "numbers) against the current one (default: the\n"
	 "one before it)"},
	{"plain", O_PLAIN, no_argument, NULL, "no color, even on a terminal"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "records (same, remove, add, change; stat with --stat)"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

/* As cf_ok, but 1 means "different" here: a failure of status 1 (a read
 * error) ends the program with 2, as diff(1)'s trouble does. */
static jv
ok(jv v)
{
	if (cf_is_error(v) && cf_error_status(v) == CF_EX_FAIL) {
		jv m = cf_error_message(v);
		jv e = cf_error(CF_EX_USAGE, "%s", jv_string_value(m));
		jv_free(m);
		jv_free(v);
		v = e;
	}
	return cf_ok(v);
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *from = NULL;
	int json = 0, stat = 0, plain = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case O_STAT: stat = 1; break;
		case O_FROM: from = optarg; break;
		case O_PLAIN: plain = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	int nargs = argc - optind;
	int message = nargs == 1 && strcmp(argv[optind], "-");
	long version = 0;
	if (from && !message)
		cf_usage_die("--from goes with one MESSAGE");
	if (from && cf_parse_long(from, 1, 1000000, &version))
		cf_usage_die("invalid --from '%s': expected a version number", from);
	if (nargs > 2)
		cf_usage_die("expected two sessions or one message, got %d arguments", nargs);

	cf_store *st = cf_open(db, CF_STORE_READ);
	cf_diff *d = NULL;
	if (message) {
		jv msg = cf_resolve_message(st, argv[optind], NULL);
		if (cf_is_error(msg) && cf_error_status(msg) == CF_EX_NOTFOUND) {
			/* a session alone is half of what was meant */
			jv sess = cf_resolve_session(st, argv[optind]);
			if (jv_is_valid(sess))
				cf_usage_die("'%s' is a session: give two sessions, or one "
				             "message", argv[optind]);
			jv_free(sess);
		}
		msg = ok(msg);
		jv_free(ok(cf_diff_versions(msg, version, &d)));
		jv_free(msg);
	} else {
		jv list = ok(cf_sessions_from_args(st, nargs, argv + optind));
		if (jv_array_length(jv_copy(list)) != 2)
			cf_usage_die("expected two sessions, got %d",
			             jv_array_length(jv_copy(list)));
		jv a = jv_array_get(jv_copy(list), 0), b = jv_array_get(list, 1);
		jv_free(ok(cf_diff_sessions(st, a, b, &d)));
		jv_free(a);
		jv_free(b);
	}
	int status = cf_diff_differ(d) ? 1 : 0;
	int mode = json ? (stat ? CF_DIFF_JSON_STAT : CF_DIFF_JSON) :
	           stat ? CF_DIFF_STAT : CF_DIFF_TEXT;
	jv r = cf_diff_write(d, stdout, mode, !plain && cf_out_color());
	cf_diff_free(d);
	cf_store_close(st);
	/* a reader that went away heard enough: the answer stands */
	if (cf_is_error(r) && cf_error_status(r) == CF_EX_OK) {
		jv_free(r);
		return status;
	}
	jv_free(ok(r));
	return status;
}
