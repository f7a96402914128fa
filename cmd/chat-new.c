/* chat-new — create a session and print it. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"

static const char usage[] =
	"usage: chat-new [options]\n"
	"Create a chat session and print it (a record when stdout is not a terminal).\n"
	"\n"
	"  -n, --name NAME            session name (default: untitled)\n"
	"  -p, --provider NAME        anthropic, openai, gemini, ollama, echo, or a\n"
	"                             provider defined in the config\n"
	"  -m, --model NAME           model (default: the config's, else chosen on send)\n"
	"  -S, --system TEXT          system prompt\n"
	"      --temperature N        sampling temperature, 0 to 2\n"
	"      --max-tokens N         most tokens in a reply\n"
	"      --context-window N     earlier messages sent with each request\n"
	"      --auto-context         send the context window automatically\n"
	"      --no-auto-context      do not\n"
	"  -t, --tag TAG              add a tag (repeatable)\n"
	"      --json                 print a record even on a terminal\n"
	"      --db PATH              the database (default: $CHAT_DB, else\n"
	"                             $XDG_DATA_HOME/confab/chat.db)\n"
	"  -h, --help                 show this help\n"
	"      --version              show the version\n"
	"\n"
	"Defaults come from the config file (see confab(5)).\n";

enum { O_TEMP = 256, O_MAXTOK, O_CTXWIN, O_AUTO, O_NOAUTO, O_JSON, O_DB, O_VERSION };

static const struct option longopts[] = {
	{"name", required_argument, NULL, 'n'},
	{"provider", required_argument, NULL, 'p'},
	{"model", required_argument, NULL, 'm'},
	{"system", required_argument, NULL, 'S'},
	{"temperature", required_argument, NULL, O_TEMP},
	{"max-tokens", required_argument, NULL, O_MAXTOK},
	{"context-window", required_argument, NULL, O_CTXWIN},
	{"auto-context", no_argument, NULL, O_AUTO},
	{"no-auto-context", no_argument, NULL, O_NOAUTO},
	{"tag", required_argument, NULL, 't'},
	{"json", no_argument, NULL, O_JSON},
	{"db", required_argument, NULL, O_DB},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, O_VERSION},
	{0},
};

int
main(int argc, char **argv)
{
	struct cf_settings s;
	const char *db = NULL;
	int json = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&s);
	while ((c = getopt_long(argc, argv, ":n:p:m:S:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': s.name = optarg; break;
		case 'p': s.provider = optarg; break;
		case 'm': s.model = optarg; break;
		case 'S': s.system = optarg; break;
		case O_TEMP: s.temperature = optarg; break;
		case O_MAXTOK: s.max_tokens = optarg; break;
		case O_CTXWIN: s.context_window = optarg; break;
		case O_AUTO: s.auto_context = 1; break;
		case O_NOAUTO: s.auto_context = 0; break;
		case 't': cf_settings_add_tag(&s, optarg, 0); break;
		case O_JSON: json = 1; break;
		case O_DB: db = optarg; break;
		case 'h': fputs(usage, stdout); return cf_out_finish(CF_EX_OK);
		case O_VERSION: return cf_version();
		default: cf_bad_option(c, argv);
		}
	}
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);

	/* Validate everything before the store is touched. */
	jv rec = cf_ok(cf_settings_new(&s));

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	cf_exit_on(cf_store_begin(st));
	rec = cf_ok(cf_session_insert(st, rec));
	cf_exit_on(cf_store_commit(st));

	if (json || !cf_out_isatty())
		cf_exit_on(cf_out_record(rec));
	else
		cf_human_sessions(st, jv_array_append(jv_array(), rec));
	cf_store_close(st);
	free(s.tags);
	return cf_out_finish(CF_EX_OK);
}
