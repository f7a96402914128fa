/* chat-plugin-file — the plugin that attaches a text file, the lines
 * matching a pattern, or a folder's tree to a chat; confab-plugin(7) is
 * its protocol. */
#include <getopt.h>

#include "cmd.h"
#include "opts.h"
#include "plugkit.h"

static const char usage[] =
	"usage: chat-plugin-file COMMAND [ARGS...]\n"
	"       chat-plugin-file --describe\n"
	"       chat-plugin-file --tool TOOL < INPUT\n"
	"A confab plugin: writes files' text as records for the chat\n"
	"(confab-plugin(7)).  COMMAND is one of\n"
	"  read PATH                          a text file, fenced in its language\n"
	"  grep [-F] [-i] PATTERN [PATH...]   matching lines (a POSIX extended\n"
	"                                     regex; -F a fixed string), recursive\n"
	"  tree [DIR [DEPTH]]                 the files under DIR, 3 deep\n"
	"TOOL is file_read, file_grep or file_tree.\n"
	"\n";

static const struct cf_opt own[] = {
	{"describe", 'd', no_argument, NULL, "print the plugin's commands and tools"},
	{"tool", 't', required_argument, "TOOL", "run TOOL on the JSON object on stdin"},
	{.name = "json", .key = CF_OPT_OMIT},
	{.name = "db", .key = CF_OPT_OMIT},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

int
main(int argc, char **argv)
{
	const char *tool = NULL;
	int describe = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	/* COMMAND ARGS are the user's words, options of theirs included */
	if (argc > 1 && argv[1][0] != '-')
		return cf_out_finish(cf_plug_main(&cf_plugin_file, CF_PLUG_COMMAND, argv[1],
		                                  argc - 2, argv + 2));
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 'd': describe = 1; break;
		case 't': tool = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);
	if (describe == !!tool)
		cf_usage_die(describe ? "--describe and --tool are one or the other"
		                      : "no command given");
	return cf_out_finish(cf_plug_main(&cf_plugin_file, describe ? CF_PLUG_DESCRIBE : CF_PLUG_TOOL,
	                                  tool, 0, NULL));
}
