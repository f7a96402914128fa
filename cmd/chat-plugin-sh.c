/* chat-plugin-sh — the plugin that runs a command line through a shell,
 * /bin/sh -c, and attaches its output and exit status to a chat;
 * confab-plugin(7) is its protocol. */
#include "cmd.h"
#include "plugkit.h"

static const char usage[] =
	"usage: chat-plugin-sh COMMAND [ARGS...]\n"
	"       chat-plugin-sh --describe\n"
	"       chat-plugin-sh --tool TOOL < INPUT\n"
	"A confab plugin: `run COMMAND...` joins the words into one command line\n"
	"and runs it through a shell, /bin/sh -c, here, with stdin /dev/null and\n"
	"a time limit (CONFAB_PLUGIN_TIMEOUT), and writes its output and exit\n"
	"status as records for the chat (confab-plugin(7)).  TOOL is sh_run.\n"
	"\n";

int
main(int argc, char **argv)
{
	return cf_plug_cmd(&cf_plugin_sh, usage, argc, argv);
}
