/* chat-plugin-git — the plugin that attaches a git repository's state
 * (diff, log, show, status) to a chat; confab-plugin(7) is its protocol. */
#include "cmd.h"
#include "plugkit.h"

static const char usage[] =
	"usage: chat-plugin-git COMMAND [ARGS...]\n"
	"       chat-plugin-git --describe\n"
	"       chat-plugin-git --tool TOOL < INPUT\n"
	"A confab plugin: writes the repository's state as records for the chat\n"
	"(confab-plugin(7)), running git without a shell.  COMMAND is one of\n"
	"  diff [PATH...]   the changes not committed, staged then not staged\n"
	"  log [N]          the last N commits (10)\n"
	"  show REF         a commit with its patch\n"
	"  status           the branch, changed and untracked files\n"
	"TOOL is git_status, git_diff, git_log or git_show.\n"
	"\n";

int
main(int argc, char **argv)
{
	return cf_plug_cmd(&cf_plugin_git, usage, argc, argv);
}
