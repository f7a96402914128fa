/* chat-set — change a session's name, settings, tags, star and archive,
 * and on PostgreSQL who sees it. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-set [options] [SESSION...]\n"
	"Change sessions and print them.  Without SESSION, or with -, session\n"
	"records are read from stdin.\n"
	"\n";

enum { O_STAR = 256, O_UNSTAR, O_ARCHIVE, O_UNARCHIVE, O_SHARE, O_UNSHARE,
       O_PRIVATE, O_PUBLIC };

static const struct cf_opt own[] = {
	{.name = "name", .key = CF_OPT_SHARED, .help = "rename"},
	{.name = "provider", .key = CF_OPT_SHARED, .help =
	 "anthropic, openai, gemini, ollama,\n"
	 "openai-responses, echo, or one from the config"},
	{.name = "model", .key = CF_OPT_SHARED, .help = "model"},
	{.name = "system", .key = CF_OPT_SHARED, .help =
	 "system prompt ('' removes it)"},
	{.name = "temperature", .key = CF_OPT_SHARED, .help =
	 "0 to 2 ('' for the provider's default)"},
	{.name = "max-tokens", .key = CF_OPT_SHARED},
	{.name = "context-window", .key = CF_OPT_SHARED},
	{.name = "auto-context", .key = CF_OPT_SHARED},
	{.name = "no-auto-context", .key = CF_OPT_SHARED},
	{.name = "send-history", .key = CF_OPT_SHARED},
	{.name = "no-send-history", .key = CF_OPT_SHARED},
	{.name = "tag", .key = CF_OPT_SHARED},
	{"untag", 'u', required_argument, "TAG", "remove a tag (repeatable)"},
	{"option", 'o', required_argument, "KEY=VALUE",
	 "a provider option every message sends\n"
	 "(repeatable; as chat-send's -o); KEY= removes it"},
	{"star", O_STAR, no_argument, NULL, "star or unstar"},
	{"unstar", O_UNSTAR, no_argument, NULL, ""},
	{"archive", O_ARCHIVE, no_argument, NULL,
	 "archive (hidden from chat-ls) or bring back"},
	{"unarchive", O_UNARCHIVE, no_argument, NULL, ""},
	{"share", O_SHARE, required_argument, "ROLE",
	 "let a PostgreSQL role (and its members) see\n"
	 "and change it (repeatable; owner only)"},
	{"unshare", O_UNSHARE, required_argument, "ROLE",
	 "no longer (repeatable)"},
	{"private", O_PRIVATE, no_argument, NULL,
	 "only its owner and shares see it, or every\n"
	 "role of the database (PostgreSQL; owner only)"},
	{"public", O_PUBLIC, no_argument, NULL, ""},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 29};

int
main(int argc, char **argv)
{
	struct cf_settings s;
	const char *db = NULL;
	struct cf_access a;
	int json = 0, changes = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&s);
	cf_access_init(&a);
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		changes++;
		switch (c) {
		case 'u': cf_settings_add_tag(&s, optarg, 1); break;
		case 'o': cf_settings_add_option(&s, optarg); break;
		case O_STAR: s.starred = 1; break;
		case O_UNSTAR: s.starred = 0; break;
		case O_ARCHIVE: s.archived = 1; break;
		case O_UNARCHIVE: s.archived = 0; break;
		case O_SHARE: cf_access_add(&a, optarg, 1); changes--; break;
		case O_UNSHARE: cf_access_add(&a, optarg, 0); changes--; break;
		case O_PRIVATE: a.private_ = 1; changes--; break;
		case O_PUBLIC: a.private_ = 0; changes--; break;
		case CF_O_JSON: json = 1; changes--; break;
		case CF_O_DB: db = optarg; changes--; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default:
			if (!cf_opts_setting(&s, c, optarg))
				cf_bad_option(c, argv);
		}
	}
	if (!changes && !cf_access_any(&a))
		cf_usage_die("nothing to change");
	/* Validate the values once, before any session is read. */
	cf_exit_on(cf_settings_apply(jv_object(), &s));

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	cf_exit_on(cf_access_check(st, &a));
	jv list = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));
	jv out = jv_array();
	cf_exit_on(cf_store_begin(st));
	jv_array_foreach(list, i, rec) {
		cf_exit_on(cf_access_store(st, cf_jstr(rec, "id"), &a));
		/* Named twice in one call: the second sees the first's change.
		 * Who sees a session is no change to it: lastUpdated stays. */
		jv got = cf_ok(changes ? cf_settings_store(st, cf_jstr(rec, "id"), &s)
		                       : cf_session_get(st, cf_jstr(rec, "id")));
		if (!jv_is_valid(got))
			cf_die(CF_EX_NOTFOUND, "session '%s' is gone", cf_jstr(rec, "id"));
		jv note = cf_settings_model_note(&s, rec, got);
		if (jv_is_valid(note)) {
			char line[512];
			cf_clean(jv_string_value(note), line, sizeof line, 0, 0);
			cf_warn("%s", line);
		}
		jv_free(note);
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
	free(s.options);
	free(a.ops);
	return cf_out_finish(CF_EX_OK);
}
