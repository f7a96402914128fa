/* confab — hold a conversation in the terminal. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "repl.h"

static const char usage[] =
	"usage: confab [options] [SESSION]\n"
	"Chat in the terminal.  Without SESSION a new session is opened with the\n"
	"config's defaults (or the options below); SESSION (id, unique id prefix\n"
	"or name) resumes one.  Type /help for the commands.\n"
	"\n"
	"      --new                  open a new session (the default without\n"
	"                             SESSION); the options below make one too\n"
	"  -n, --name NAME            the new session's name\n"
	"  -p, --provider NAME        anthropic, openai, gemini, ollama, echo, or a\n"
	"                             provider defined in the config\n"
	"  -m, --model NAME           model\n"
	"  -S, --system TEXT          system prompt\n"
	"      --temperature N        sampling temperature, 0 to 2\n"
	"      --max-tokens N         most tokens in a reply\n"
	"      --context-window N     earlier messages sent with each request\n"
	"  -t, --tag TAG              add a tag (repeatable)\n"
	"      --plain                show replies as the model wrote them\n"
	"      --db PATH              the database\n"
	"  -h, --help                 show this help\n"
	"      --version              show the version\n"
	"\n"
	"It needs a terminal: to send from a script or a pipe, use chat-send(1).\n";

enum { O_NEW = 256, O_TEMP, O_MAXTOK, O_CTXWIN, O_PLAIN, O_DB, O_VERSION,
       O_BENCH };

static const struct option longopts[] = {
	{"new", no_argument, NULL, O_NEW},
	{"name", required_argument, NULL, 'n'},
	{"provider", required_argument, NULL, 'p'},
	{"model", required_argument, NULL, 'm'},
	{"system", required_argument, NULL, 'S'},
	{"temperature", required_argument, NULL, O_TEMP},
	{"max-tokens", required_argument, NULL, O_MAXTOK},
	{"context-window", required_argument, NULL, O_CTXWIN},
	{"tag", required_argument, NULL, 't'},
	{"plain", no_argument, NULL, O_PLAIN},
	{"db", required_argument, NULL, O_DB},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, O_VERSION},
	/* hidden: make bench times the start to the first prompt */
	{"bench-exit-at-prompt", no_argument, NULL, O_BENCH},
	{0},
};

int
main(int argc, char **argv)
{
	struct cf_settings over;
	struct cf_chat o = {.over = &over};
	int c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&over);
	while ((c = getopt_long(argc, argv, ":n:p:m:S:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_NEW: o.new_session = 1; break;
		case 'n': over.name = optarg; o.new_session = 1; break;
		case 'p': over.provider = optarg; o.new_session = 1; break;
		case 'm': over.model = optarg; o.new_session = 1; break;
		case 'S': over.system = optarg; o.new_session = 1; break;
		case O_TEMP: over.temperature = optarg; o.new_session = 1; break;
		case O_MAXTOK: over.max_tokens = optarg; o.new_session = 1; break;
		case O_CTXWIN: over.context_window = optarg; o.new_session = 1; break;
		case 't': cf_settings_add_tag(&over, optarg, 0); o.new_session = 1; break;
		case O_PLAIN: o.plain = 1; break;
		case O_DB: o.db = optarg; break;
		case O_BENCH: o.bench_exit = 1; break;
		case 'h': fputs(usage, stdout); return cf_out_finish(CF_EX_OK);
		case O_VERSION: return cf_version();
		default: cf_bad_option(c, argv);
		}
	}
	if (optind < argc)
		o.resume = argv[optind++];
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);
	if (o.resume && o.new_session)
		cf_usage_die("a session to resume and the options of a new one "
		             "do not go together");
	if (!o.bench_exit && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		cf_die(CF_EX_USAGE, "not a terminal: confab is interactive; "
		       "to send from a pipe or a script, use chat-send");
	int status = cf_chat_main(&o);
	free(over.tags);
	return status;
}
