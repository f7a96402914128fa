/* chat-branch — a new session from an existing one. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-branch [options] [SESSION]\n"
	"Start a new session from SESSION's messages, up to and including --at, and\n"
	"print it.  Without SESSION, or with -, one session record is read from stdin.\n"
	"\n";

static const struct cf_opt own[] = {
	{"at", 'a', required_argument, "MESSAGE",
	 "the last message to take (id or unique prefix;\n"
	 "default: all of them)"},
	{"name", 'n', required_argument, "NAME",
	 "name of the new session (default: NAME (branch),\n"
	 "or NAME (copy) with --duplicate)"},
	{"duplicate", 'd', no_argument, NULL,
	 "a copy, not a branch: no parent is recorded"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print a record even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

int
main(int argc, char **argv)
{
	const char *db = NULL, *at = NULL, *name = NULL;
	int json = 0, dup = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'a': at = optarg; break;
		case 'n':
			if (!*optarg)
				cf_usage_die("invalid --name '': must not be empty");
			name = optarg;
			break;
		case 'd': dup = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv list = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));
	if (jv_array_length(jv_copy(list)) != 1)
		cf_usage_die("expected one session, got %d",
		             jv_array_length(jv_copy(list)));
	jv src = jv_array_get(list, 0);
	jv out = cf_ok(cf_session_branch(st, src, at, name, dup));

	if (json || !cf_out_isatty())
		cf_exit_on(cf_out_record(out));
	else
		cf_human_sessions(st, jv_array_append(jv_array(), out));
	jv_free(src);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
