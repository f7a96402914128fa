/* chat-import — sessions in from confab's own JSON export, ChatGPT's and
 * Claude.ai's data exports, and simonw/llm's logs.db. */
#include <getopt.h>
#include <locale.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-import [options] [FILE...]\n"
	"Import the sessions in each FILE (stdin when there is none, or for -) and\n"
	"print them.  The format is told from the contents: confab's JSON export,\n"
	"ChatGPT's or Claude.ai's conversations.json, or llm's logs.db.  A session\n"
	"already in the store is skipped, so importing a file again adds nothing.\n"
	"All files go in one transaction: a malformed one stores nothing.\n"
	"\n";

static const struct cf_opt own[] = {
	{"format", 'f', required_argument, "FORMAT",
	 "confab, chatgpt, claude, llm or auto (the default)"},
	{"dry-run", 'n', no_argument, NULL,
	 "read and check everything, store nothing"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

static _Noreturn void
die_with(jv err)
{
	jv m = cf_error_message(err);
	cf_die(cf_error_status(err), "%s", jv_string_value(m));
}

int
main(int argc, char **argv)
{
	const char *db = NULL;
	int format = CF_IMPORT_AUTO, dry = 0, json = 0, opt;

	cf_setprog(argv[0]);
	/* libarchive converts member names through the locale's character
	 * set; in the C locale a name such as "café.json" is a warning */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'f':
			format = cf_import_format(optarg);
			if (format < 0)
				cf_usage_die("invalid --format '%s': expected confab, chatgpt, "
				             "claude, llm or auto", optarg);
			break;
		case 'n': dry = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (optind == argc && isatty(STDIN_FILENO))
		cf_usage_die("no file given, and stdin is a terminal");

	/* Every file is read and checked before the store is touched. */
	jv plans = jv_array();
	if (optind == argc)
		plans = cf_import_read(plans, NULL, "stdin", format);
	for (int i = optind; i < argc && jv_is_valid(plans); i++) {
		int in = !strcmp(argv[i], "-");
		plans = cf_import_read(plans, in ? NULL : argv[i], in ? "stdin" : argv[i],
		                       format);
	}
	if (!jv_is_valid(plans))
		die_with(plans);
	if (!jv_array_length(jv_copy(plans))) {
		/* each file said why it had nothing; the store is not touched */
		jv_free(plans);
		return cf_out_finish(CF_EX_OK);
	}

	cf_store *st = cf_open(db, CF_STORE_WRITE | CF_STORE_CREATE);
	long skipped;
	cf_exit_on(cf_store_begin(st));
	jv out = cf_import_write(st, plans, &skipped);
	if (!jv_is_valid(out))
		die_with(out);   /* the transaction is rolled back as we exit */
	if (dry)
		cf_store_rollback(st);
	else
		cf_exit_on(cf_store_commit(st));
	if (skipped)
		cf_warn("%ld session%s already in the store, skipped", skipped,
		        skipped == 1 ? "" : "s");

	if (json || !cf_out_isatty()) {
		jv_array_foreach(out, i, rec) {
			cf_exit_on(cf_out_record(rec));
			(void)i;
		}
		jv_free(out);
	} else if (jv_array_length(jv_copy(out))) {
		cf_human_sessions(st, out);
	} else {
		jv_free(out);
	}
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
