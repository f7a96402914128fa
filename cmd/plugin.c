/* plugin.c — the main of the plugins confab ships (cmd/chat-plugin-*.c),
 * linked into them only: their options, then cf_plug_main. */
#include <getopt.h>

#include "cmd.h"
#include "opts.h"
#include "plugkit.h"

static const struct cf_opt own[] = {
	{"describe", 'd', no_argument, NULL, "print the plugin's commands and tools"},
	{"tool", 't', required_argument, "TOOL", "run TOOL on the JSON object on stdin"},
	{.name = "json", .key = CF_OPT_OMIT},
	{.name = "db", .key = CF_OPT_OMIT},
	{0},
};

int
cf_plug_cmd(const struct cf_plugin_def *p, const char *usage, int argc, char **argv)
{
	const struct cf_opts opts = {usage, own, NULL, 25};
	const char *tool = NULL;
	int describe = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	/* COMMAND ARGS are the user's words, options of theirs included */
	if (argc > 1 && argv[1][0] != '-')
		return cf_out_finish(cf_plug_main(p, CF_PLUG_COMMAND, argv[1], argc - 2, argv + 2));
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
	return cf_out_finish(cf_plug_main(p, describe ? CF_PLUG_DESCRIBE : CF_PLUG_TOOL, tool,
	                                  0, NULL));
}
