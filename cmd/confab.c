/* confab — hold a conversation in the terminal. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"
#include "repl.h"

static const char usage[] =
	"usage: confab [options] [SESSION]\n"
	"Chat in the terminal.  Without SESSION a new session is opened with the\n"
	"config's defaults (or the options below); SESSION (id, unique id prefix\n"
	"or name) resumes one.  Type /help for the commands.\n"
	"\n";

static const char after[] =
	"It needs a terminal: to send from a script or a pipe, use chat-send(1).\n";

enum { O_NEW = 256, O_PLAIN, O_BENCH, O_TEMPLATE };

static const struct cf_opt own[] = {
	{"new", O_NEW, no_argument, NULL,
	 "open a new session (the default without\n"
	 "SESSION); the options below make one too"},
	{"template", O_TEMPLATE, required_argument, "NAME",
	 "a new session from this template\n"
	 "(chat-template(1)); the options below override it"},
	{.name = "name", .key = CF_OPT_SHARED, .help = "the new session's name"},
	{.name = "provider", .key = CF_OPT_SHARED},
	{.name = "model", .key = CF_OPT_SHARED, .help = "model"},
	{.name = "system", .key = CF_OPT_SHARED},
	{.name = "temperature", .key = CF_OPT_SHARED},
	{.name = "max-tokens", .key = CF_OPT_SHARED},
	{.name = "context-window", .key = CF_OPT_SHARED},
	{.name = "tag", .key = CF_OPT_SHARED},
	{"plain", O_PLAIN, no_argument, NULL,
	 "show replies as the model wrote them"},
	{.name = "json", .key = CF_OPT_OMIT},
	/* hidden (no help): make bench times the start to the first prompt */
	{"bench-exit-at-prompt", O_BENCH, no_argument, NULL, NULL},
	{0},
};

static const struct cf_opts opts = {usage, own, after, 29};

int
main(int argc, char **argv)
{
	struct cf_settings over;
	struct cf_chat o = {.over = &over};
	const char *tmpl = NULL;
	int c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&over);
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case O_NEW: o.new_session = 1; break;
		case O_PLAIN: o.plain = 1; break;
		case O_TEMPLATE: tmpl = optarg; o.new_session = 1; break;
		case CF_O_DB: o.db = optarg; break;
		case O_BENCH: o.bench_exit = 1; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default:
			if (!cf_opts_setting(&over, c, optarg))
				cf_bad_option(c, argv);
			o.new_session = 1;   /* a setting: for a new session */
		}
	}
	if (optind < argc)
		o.resume = argv[optind++];
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);
	if (o.resume && o.new_session)
		cf_usage_die("a session to resume and the options of a new one "
		             "do not go together");
	/* a template that is not there or is broken: said before the chat */
	o.tmpl = tmpl ? cf_ok(cf_template_get(tmpl)) : jv_null();
	if (!o.bench_exit && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		cf_die(CF_EX_USAGE, "not a terminal: confab is interactive; "
		       "to send from a pipe or a script, use chat-send");
	int status = cf_chat_main(&o);
	free(over.tags);
	jv_free(o.tmpl);
	return status;
}
