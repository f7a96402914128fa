/* chat-plugin — list, describe, run and configure plugins
 * (confab-plugin(7)). */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-plugin ls\n"
	"       chat-plugin describe NAME\n"
	"       chat-plugin run NAME COMMAND [ARGS...] [-s SESSION]\n"
	"       chat-plugin config NAME KEY VALUE\n"
	"Plugins are executables named chat-plugin-NAME in $XDG_DATA_HOME/confab/plugins\n"
	"or on PATH (confab-plugin(7)).  run prints the records the plugin writes and\n"
	"adds its messages to SESSION; config writes KEY = VALUE into [plugin.NAME] of\n"
	"the config file.  ARGS beginning with '-' go after '--'.\n"
	"\n";

static const struct cf_opt own[] = {
	{"session", 's', required_argument, "SESSION",
	 "run: the session the plugin is given and\n"
	 "adds messages to"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print records even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

static void
on_signal(int sig)
{
	(void)sig;
	cf_interrupted = 1;
}

static void
print_clean(const char *s)
{
	cf_put_clean(s);
	if (*s && s[strlen(s) - 1] != '\n')
		fputc('\n', stdout);
}

static int
ls(int json)
{
	jv list = cf_plugin_list();
	jv rows = jv_array();
	jv_array_foreach(list, i, p) {
		jv d = cf_plugin_describe(cf_jstr(p, "name"));
		jv cmds = jv_array();
		if (jv_is_valid(d)) {
			jv cl = jv_object_get(d, jv_string("commands"));
			jv_array_foreach(cl, j, c) {
				cmds = jv_array_append(cmds, jv_object_get(c, jv_string("name")));
				(void)j;
			}
			jv_free(cl);
		} else {
			p = jv_object_set(p, jv_string("error"), cf_error_message(d));
			jv_free(d);
		}
		rows = jv_array_append(rows, jv_object_set(p, jv_string("commands"), cmds));
		(void)i;
	}
	jv_free(list);
	if (json || !cf_out_isatty()) {
		jv_array_foreach(rows, i, r) {
			cf_exit_on(cf_out_record(r));
			(void)i;
		}
		jv_free(rows);
		return CF_EX_OK;
	}
	int wn = 4, wp = 4;
	jv_array_foreach(rows, i, r) {
		int n = (int)strlen(cf_jstr(r, "name")), p = (int)strlen(cf_jstr(r, "path"));
		wn = n > wn ? n : wn;
		wp = p > wp ? p : wp;
		jv_free(r);
		(void)i;
	}
	printf("%-*s  %-*s  %s\n", wn, "NAME", wp, "PATH", "COMMANDS");
	jv_array_foreach(rows, i, r) {
		char name[256], path[4200], cmds[1024] = "";
		cf_clean(cf_jstr(r, "name"), name, sizeof name, 0, 0);
		cf_clean(cf_jstr(r, "path"), path, sizeof path, 0, 0);
		if (cf_jstr_or_null(r, "error")) {
			cf_clean(cf_jstr(r, "error"), cmds, sizeof cmds, 80, 0);
		} else {
			jv cl = jv_object_get(jv_copy(r), jv_string("commands"));
			size_t o = 0;
			jv_array_foreach(cl, j, c) {
				if (o < sizeof cmds)
					o += (size_t)snprintf(cmds + o, sizeof cmds - o, "%s%s",
					                      j ? " " : "", jv_string_value(c));
				jv_free(c);
			}
			jv_free(cl);
		}
		printf("%-*s  %-*s  %s\n", wn, name, wp, path, cmds);
		jv_free(r);
		(void)i;
	}
	jv_free(rows);
	return CF_EX_OK;
}

static void
human_describe(jv d)
{
	char buf[4200];
	cf_clean(cf_jstr(d, "name"), buf, sizeof buf, 0, 0);
	printf("%s", buf);
	cf_clean(cf_jstr(d, "path"), buf, sizeof buf, 0, 0);
	printf("  %s\n", buf);
	static const char *const lists[] = {"commands", "tools"};
	for (int l = 0; l < 2; l++) {
		jv cl = jv_object_get(jv_copy(d), jv_string(lists[l]));
		if (jv_array_length(jv_copy(cl)))
			printf("%s:\n", lists[l]);
		jv_array_foreach(cl, j, c) {
			char name[256], use[1024], desc[2048];
			cf_clean(cf_jstr(c, "name"), name, sizeof name, 0, 0);
			cf_clean(cf_jstr(c, "usage"), use, sizeof use, 0, 0);
			cf_clean(cf_jstr(c, "description"), desc, sizeof desc, 0, 0);
			printf("  %s%s%s%s%s\n", name, *use ? " " : "", use, *desc ? "  " : "", desc);
			jv_free(c);
			(void)j;
		}
		jv_free(cl);
	}
	jv_free(d);
}

static void
human_record(jv r)
{
	const char *t = cf_jstr(r, "type");
	if (!strcmp(t, "text")) {
		print_clean(cf_jstr(r, "content"));
	} else if (!strcmp(t, "context")) {
		printf("--- context (for the next message) ---\n");
		print_clean(cf_jstr(r, "content"));
		printf("---\n");
	} else if (!strcmp(t, "message")) {
		char role[32];
		cf_clean(cf_jstr(r, "role"), role, sizeof role, 0, 0);
		printf("added %s message %s\n", role, cf_jstr(r, "id"));
	}
	jv_free(r);
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *sref = NULL;
	int json = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 's': sref = optarg; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	if (optind >= argc)
		cf_usage_die("a command is needed: ls, describe, run or config");
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	char **args = argv + optind;
	int is_run = !strcmp(cmd, "run");
	if (!is_run && strcmp(cmd, "ls") && strcmp(cmd, "describe") && strcmp(cmd, "config"))
		cf_usage_die("unknown command '%s': ls, describe, run or config", cmd);
	if (!is_run && (sref || db))
		cf_usage_die("%s takes no --session or --db", cmd);

	if (!strcmp(cmd, "ls")) {
		if (nargs)
			cf_usage_die("ls takes no argument");
		return cf_out_finish(ls(json));
	}
	if (!strcmp(cmd, "describe")) {
		if (nargs != 1)
			cf_usage_die("describe takes one NAME");
		jv d = cf_ok(cf_plugin_describe(args[0]));
		if (json || !cf_out_isatty())
			cf_exit_on(cf_out_record(d));
		else
			human_describe(d);
		return cf_out_finish(CF_EX_OK);
	}
	if (!strcmp(cmd, "config")) {
		if (nargs != 3)
			cf_usage_die("config takes NAME KEY VALUE");
		cf_exit_on(cf_plugin_config_set(args[0], args[1], args[2]));
		/* the value is not echoed: it may be a token */
		jv r = jv_object_set(jv_object(), jv_string("plugin"), jv_string(args[0]));
		r = jv_object_set(r, jv_string("key"), jv_string(args[1]));
		r = jv_object_set(r, jv_string("path"), jv_string(cf_config_path()));
		if (json || !cf_out_isatty()) {
			cf_exit_on(cf_out_record(r));
		} else {
			char key[256], path[4200];
			cf_clean(args[1], key, sizeof key, 0, 0);
			cf_clean(cf_config_path(), path, sizeof path, 0, 0);
			printf("set %s in [plugin.%s] of %s\n", key, args[0], path);
			jv_free(r);
		}
		return cf_out_finish(CF_EX_OK);
	}

	if (nargs < 2)
		cf_usage_die(nargs ? "no COMMAND given" : "no plugin NAME given");
	cf_store *st = NULL;
	jv session = jv_null();
	if (sref) {
		st = cf_open(db, CF_STORE_WRITE);
		session = cf_ok(cf_resolve_session(st, sref));
	} else if (db) {
		cf_usage_die("--db needs --session");
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	jv recs = cf_ok(cf_plugin_run(st, args[0], args[1], (const char *const *)args + 2,
	                              nargs - 2, session, NULL));
	int human = !json && cf_out_isatty();
	jv_array_foreach(recs, i, r) {
		if (human)
			human_record(r);
		else
			cf_exit_on(cf_out_record(r));
		(void)i;
	}
	jv_free(recs);
	if (st)
		cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
