/* chat-set — change a session's name, settings, tags, star and archive. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"

static const char usage[] =
	"usage: chat-set [options] [SESSION...]\n"
	"Change sessions and print them.  Without SESSION, or with -, session\n"
	"records are read from stdin.\n"
	"\n"
	"  -n, --name NAME            rename\n"
	"  -p, --provider NAME        anthropic, openai, gemini, ollama, echo, or one\n"
	"                             from the config\n"
	"  -m, --model NAME           model\n"
	"  -S, --system TEXT          system prompt ('' removes it)\n"
	"      --temperature N        0 to 2 ('' for the provider's default)\n"
	"      --max-tokens N         most tokens in a reply\n"
	"      --context-window N     earlier messages sent with each request\n"
	"      --auto-context         send the context window automatically\n"
	"      --no-auto-context      do not\n"
	"  -t, --tag TAG              add a tag (repeatable)\n"
	"  -u, --untag TAG            remove a tag (repeatable)\n"
	"      --star, --unstar       star or unstar\n"
	"      --archive, --unarchive archive (hidden from chat-ls) or bring back\n"
	"      --json                 print records even on a terminal\n"
	"      --db PATH              the database\n"
	"  -h, --help                 show this help\n"
	"      --version              show the version\n";

enum { O_TEMP = 256, O_MAXTOK, O_CTXWIN, O_AUTO, O_NOAUTO, O_STAR, O_UNSTAR,
       O_ARCHIVE, O_UNARCHIVE, O_JSON, O_DB, O_VERSION };

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
	{"untag", required_argument, NULL, 'u'},
	{"star", no_argument, NULL, O_STAR},
	{"unstar", no_argument, NULL, O_UNSTAR},
	{"archive", no_argument, NULL, O_ARCHIVE},
	{"unarchive", no_argument, NULL, O_UNARCHIVE},
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
	int json = 0, changes = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&s);
	while ((c = getopt_long(argc, argv, ":n:p:m:S:t:u:h", longopts, NULL)) != -1) {
		changes++;
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
		case 'u': cf_settings_add_tag(&s, optarg, 1); break;
		case O_STAR: s.starred = 1; break;
		case O_UNSTAR: s.starred = 0; break;
		case O_ARCHIVE: s.archived = 1; break;
		case O_UNARCHIVE: s.archived = 0; break;
		case O_JSON: json = 1; changes--; break;
		case O_DB: db = optarg; changes--; break;
		case 'h': fputs(usage, stdout); return cf_out_finish(CF_EX_OK);
		case O_VERSION: return cf_version();
		default: cf_bad_option(c, argv);
		}
	}
	if (!changes)
		cf_usage_die("nothing to change");
	/* Validate the values once, before any session is read. */
	cf_exit_on(cf_settings_apply(jv_object(), &s));

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv list = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));
	jv out = jv_array();
	cf_exit_on(cf_store_begin(st));
	jv_array_foreach(list, i, rec) {
		/* Named twice in one call: the second sees the first's change. */
		jv got = cf_ok(cf_settings_store(st, cf_jstr(rec, "id"), &s));
		if (!jv_is_valid(got))
			cf_die(CF_EX_NOTFOUND, "session '%s' is gone", cf_jstr(rec, "id"));
		out = jv_array_append(out, got);
		jv_free(rec);
		(void)i;
	}
	cf_exit_on(cf_store_commit(st));
	jv_free(list);

	if (json || !cf_out_isatty()) {
		jv_array_foreach(out, i, r) {
			cf_exit_on(cf_out_record(r));
			(void)i;
		}
		jv_free(out);
	} else {
		cf_human_sessions(st, out);
	}
	cf_store_close(st);
	free(s.tags);
	free(s.untags);
	return cf_out_finish(CF_EX_OK);
}
