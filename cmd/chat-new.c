/* chat-new — create a session and print it. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-new [options]\n"
	"Create a chat session and print it (a record when stdout is not a terminal).\n"
	"With --template, the session starts with the template's settings and its\n"
	"opening messages.\n"
	"\n";

static const char after[] =
	"Defaults come from the config file (see confab(5)).\n";

enum { O_TEMPLATE = 256 };

static const struct cf_opt own[] = {
	{"template", O_TEMPLATE, required_argument, "NAME",
	 "start from this template (chat-template(1));\n"
	 "the options below override it"},
	{.name = "name", .key = CF_OPT_SHARED},
	{.name = "provider", .key = CF_OPT_SHARED},
	{.name = "model", .key = CF_OPT_SHARED},
	{.name = "system", .key = CF_OPT_SHARED},
	{.name = "temperature", .key = CF_OPT_SHARED},
	{.name = "max-tokens", .key = CF_OPT_SHARED},
	{.name = "context-window", .key = CF_OPT_SHARED},
	{.name = "auto-context", .key = CF_OPT_SHARED},
	{.name = "no-auto-context", .key = CF_OPT_SHARED},
	{.name = "send-history", .key = CF_OPT_SHARED},
	{.name = "no-send-history", .key = CF_OPT_SHARED},
	{.name = "tag", .key = CF_OPT_SHARED},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print a record even on a terminal"},
	{.name = "db", .key = CF_OPT_SHARED, .help =
	 "the database (default: $CHAT_DB, else\n"
	 "$XDG_DATA_HOME/confab/chat.db)"},
	{0},
};

static const struct cf_opts opts = {usage, own, after, 29};

int
main(int argc, char **argv)
{
	struct cf_settings s;
	const char *db = NULL, *tmpl = NULL;
	int json = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&s);
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case O_TEMPLATE: tmpl = optarg; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default:
			if (!cf_opts_setting(&s, c, optarg))
				cf_bad_option(c, argv);
		}
	}
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);

	/* Validate everything before the store is touched. */
	jv plan = cf_ok(cf_template_plan(tmpl ? cf_ok(cf_template_get(tmpl)) : jv_null(), &s));

	cf_store *st = cf_open(db, CF_STORE_WRITE | CF_STORE_CREATE);
	cf_exit_on(cf_store_begin(st));
	jv rec = cf_ok(cf_template_start(st, plan));
	cf_exit_on(cf_store_commit(st));

	if (json || !cf_out_isatty())
		cf_exit_on(cf_out_record(rec));
	else
		cf_human_sessions(st, jv_array_append(jv_array(), rec));
	cf_store_close(st);
	free(s.tags);
	return cf_out_finish(CF_EX_OK);
}
