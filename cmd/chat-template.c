/* chat-template — save, list, show and remove templates for new sessions. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-template save NAME [--from SESSION [--with-messages]] [options]\n"
	"       chat-template ls\n"
	"       chat-template show NAME\n"
	"       chat-template rm NAME...\n"
	"Templates for new sessions (chat-new --template, confab --template): settings\n"
	"and opening messages, kept in $XDG_CONFIG_HOME/confab/templates/NAME.json.\n"
	"Those shipped with confab are listed too; one of yours hides a shipped one\n"
	"of the same name.\n"
	"\n";

static const char after[] =
	"save takes the settings of SESSION, then the options over them.\n";

enum { O_FROM = 256, O_WITH, O_MESSAGE, O_DESC, O_FORCE };

static const struct cf_opt own[] = {
	{"from", O_FROM, required_argument, "SESSION",
	 "save: start from this session's settings"},
	{"with-messages", O_WITH, no_argument, NULL,
	 "save: and its messages, as opening messages"},
	{"message", O_MESSAGE, required_argument, "ROLE:TEXT",
	 "save: an opening message (user, assistant\n"
	 "or system; repeatable)"},
	{"description", O_DESC, required_argument, "TEXT",
	 "save: what the template is for"},
	{"force", 'f', no_argument, NULL, "save: replace a template of yours"},
	{.name = "provider", .key = CF_OPT_SHARED},
	{.name = "model", .key = CF_OPT_SHARED},
	{.name = "system", .key = CF_OPT_SHARED},
	{.name = "temperature", .key = CF_OPT_SHARED},
	{.name = "max-tokens", .key = CF_OPT_SHARED},
	{.name = "context-window", .key = CF_OPT_SHARED},
	{.name = "auto-context", .key = CF_OPT_SHARED},
	{.name = "no-auto-context", .key = CF_OPT_SHARED},
	{.name = "send-history", .key = CF_OPT_SHARED},
	{.name = "no-send-history", .key = CF_OPT_SHARED},
	{.name = "tag", .key = CF_OPT_SHARED},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print records even on a terminal"},
	{.name = "db", .key = CF_OPT_SHARED, .help =
	 "the database --from reads (default: $CHAT_DB,\n"
	 "else $XDG_DATA_HOME/confab/chat.db)"},
	{0},
};

static const struct cf_opts opts = {usage, own, after, 29};

static void
out(jv rec, int json, const char *said)
{
	if (json || !cf_out_isatty()) {
		cf_exit_on(cf_out_record(rec));
		return;
	}
	char name[256], path[4200];
	cf_clean(cf_jstr(rec, "name"), name, sizeof name, 0, 0);
	cf_clean(cf_jstr(rec, "path"), path, sizeof path, 0, 0);
	printf("%s template '%s' (%s)\n", said, name, path);
	jv_free(rec);
}

int
main(int argc, char **argv)
{
	struct cf_settings s;
	const char *db = NULL, *from = NULL, *desc = NULL;
	const char **msgs = NULL;
	int json = 0, with = 0, force = 0, nmsgs = 0, saving = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&s);
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case O_FROM: from = optarg; saving = 1; break;
		case O_WITH: with = 1; saving = 1; break;
		case O_MESSAGE:
			msgs = realloc(msgs, sizeof *msgs * (size_t)(nmsgs + 1));
			if (!msgs)
				cf_die(CF_EX_FAIL, "out of memory");
			msgs[nmsgs++] = optarg;
			saving = 1;
			break;
		case O_DESC: desc = optarg; saving = 1; break;
		case 'f': force = 1; saving = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default:
			if (!cf_opts_setting(&s, c, optarg))
				cf_bad_option(c, argv);
			saving = 1;
		}
	}
	if (optind >= argc)
		cf_usage_die("a command is needed: save, ls, show or rm");
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	int is_save = !strcmp(cmd, "save");
	if (!is_save && strcmp(cmd, "ls") && strcmp(cmd, "show") && strcmp(cmd, "rm"))
		cf_usage_die("unknown command '%s': save, ls, show or rm", cmd);
	if (!is_save && (saving || db))
		cf_usage_die("%s takes no options but --json", cmd);
	if (with && !from)
		cf_usage_die("--with-messages needs --from SESSION");

	if (!strcmp(cmd, "ls")) {
		if (nargs)
			cf_usage_die("ls takes no argument");
		jv list = cf_ok(cf_template_list());
		if (json || !cf_out_isatty()) {
			jv_array_foreach(list, i, r) {
				cf_exit_on(cf_out_record(r));
				(void)i;
			}
			jv_free(list);
		} else {
			cf_template_human_list(list);
		}
		return cf_out_finish(CF_EX_OK);
	}
	if (!strcmp(cmd, "show")) {
		if (nargs != 1)
			cf_usage_die("show takes one NAME");
		jv rec = cf_ok(cf_template_get(argv[optind]));
		if (json || !cf_out_isatty())
			cf_exit_on(cf_out_record(rec));
		else
			cf_template_human_show(rec);
		return cf_out_finish(CF_EX_OK);
	}
	if (!strcmp(cmd, "rm")) {
		if (!nargs)
			cf_usage_die("rm takes one NAME or more");
		/* all checked first, so a typo in the third removes none */
		for (int i = optind; i < argc; i++) {
			cf_exit_on(cf_template_name_check(argv[i]));
			char path[4200];
			snprintf(path, sizeof path, "%s/%s.json", cf_template_user_dir(), argv[i]);
			if (access(path, F_OK) != 0)
				cf_exit_on(cf_template_remove(argv[i]));   /* says why */
		}
		for (int i = optind; i < argc; i++)
			out(cf_ok(cf_template_remove(argv[i])), json, "removed");
		return cf_out_finish(CF_EX_OK);
	}

	if (nargs != 1)
		cf_usage_die("save takes one NAME");
	const char *name = argv[optind];
	cf_exit_on(cf_template_name_check(name));
	jv tpl = jv_object();
	if (from) {
		cf_store *st = cf_open(db, CF_STORE_READ);
		jv sess = cf_ok(cf_resolve_session(st, from));
		jv_free(tpl);
		tpl = cf_ok(cf_template_from_session(st, sess, with));
		cf_store_close(st);
	}
	if (desc)
		tpl = jv_object_set(tpl, jv_string("description"), jv_string(desc));
	for (int i = 0; i < nmsgs; i++)
		tpl = cf_ok(cf_template_add_message(tpl, msgs[i]));
	tpl = cf_ok(cf_template_apply(tpl, &s));
	out(cf_ok(cf_template_save(name, tpl, force)), json, "saved");
	free(msgs);
	free(s.tags);
	return cf_out_finish(CF_EX_OK);
}
