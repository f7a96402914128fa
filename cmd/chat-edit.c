/* chat-edit — replace a message's content, keeping what it was. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-edit [options] MESSAGE [TEXT...]\n"
	"Replace MESSAGE's content with TEXT, else with stdin, else (on a terminal)\n"
	"with what $VISUAL or $EDITOR leaves, and print the message.  The old content\n"
	"is kept in metadata.edits; the same text changes nothing.\n"
	"\n";

enum { O_HISTORY = 256, O_REVERT };

static const struct cf_opt own[] = {
	{"history", O_HISTORY, no_argument, NULL,
	 "list the message's versions, oldest first"},
	{"revert", O_REVERT, required_argument, "N",
	 "bring version N back (recorded as an edit)"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print records even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

static void
show_versions(jv vs, int json)
{
	jv_array_foreach(vs, i, v) {
		if (json) {
			cf_exit_on(cf_out_record(v));
			continue;
		}
		char by[128];
		cf_clean(cf_jstr(v, "replacedBy"), by, sizeof by, 40, 0);
		printf("%s%d%s  ", cf_c(CF_BOLD), (int)cf_jnum(v, "version", 0), cf_c(CF_RESET));
		if (cf_jbool(v, "current"))
			printf("%s(current)%s\n", cf_c(CF_GREEN), cf_c(CF_RESET));
		else
			printf("%sreplaced %s by %s%s%s%s\n", cf_c(CF_DIM),
			       cf_jstr(v, "replaced"), by,
			       cf_jstr_or_null(v, "kind") ? " (" : "", cf_jstr(v, "kind"),
			       cf_jstr_or_null(v, "kind") ? ")" : "");
		cf_put_clean(cf_jstr(v, "content"));
		printf("%s\n", i + 1 < jv_array_length(jv_copy(vs)) ? "\n" : "");
		jv_free(v);
	}
	jv_free(vs);
	cf_out_check();
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *revert = NULL;
	int json = 0, history = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case O_HISTORY: history = 1; break;
		case O_REVERT: revert = optarg; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	if (optind >= argc)
		cf_usage_die("no message given");
	long version = 0;
	if (revert && cf_parse_long(revert, 1, 1000000, &version))
		cf_usage_die("invalid --revert '%s': expected a version number", revert);
	if (history && revert)
		cf_usage_die("--history and --revert do not go together");
	if ((history || revert) && argc - optind > 1)
		cf_usage_die("--%s takes no text", history ? "history" : "revert");
	json = json || !cf_out_isatty();

	/* the text, when it is given, before the store is opened */
	jv text = jv_invalid();
	int loose = 0;
	if (argc - optind > 1) {
		text = jv_string("");
		for (int i = optind + 1; i < argc; i++)
			text = jv_string_concat(text, jv_string_fmt("%s%s",
			                        i > optind + 1 ? " " : "", argv[i]));
	} else if (!history && !revert && !isatty(STDIN_FILENO)) {
		text = cf_ok(cf_read_text(STDIN_FILENO));
		loose = 1;
	}

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv msg = cf_ok(cf_resolve_message(st, argv[optind], NULL));
	char id[37];
	snprintf(id, sizeof id, "%s", cf_jstr(msg, "id"));
	if (history) {
		show_versions(cf_edit_versions(msg), json);
		jv_free(msg);
		cf_store_close(st);
		return cf_out_finish(CF_EX_OK);
	}
	if (!revert && !jv_is_valid(text)) {
		jv got = cf_editor_run(cf_jstr(msg, "content"), "chat-edit");
		if (!jv_is_valid(got)) {
			jv m = cf_error_message(got);
			cf_die(cf_error_status(got), "%s; nothing changed", jv_string_value(m));
		}
		text = got;
		loose = 1;
	}
	jv_free(msg);

	int changed = 0;
	if (revert) {
		msg = cf_ok(cf_edit_revert(st, id, version, &changed));
	} else {
		/* stdin's and an editor's last newlines are the file's, not the
		 * message's */
		size_t n = (size_t)jv_string_length_bytes(jv_copy(text));
		const char *s = jv_string_value(text);
		while (loose && n && s[n - 1] == '\n')
			n--;
		msg = cf_ok(cf_edit_message(st, id, s, n, loose, &changed));
	}
	jv_free(text);
	if (!changed)
		cf_warn("message '%s' already has that text: nothing changed", id);
	if (json)
		cf_exit_on(cf_out_record(msg));
	else
		cf_human_message(msg);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
