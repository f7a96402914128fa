/* chat-plugin-file — the plugin that attaches a text file, the lines
 * matching a pattern, or a folder's tree to a chat; confab-plugin(7) is
 * its protocol. */
#include "cmd.h"
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

int
main(int argc, char **argv)
{
	return cf_plug_cmd(&cf_plugin_file, usage, argc, argv);
}
