/* chat-export — sessions out as Markdown, JSON, plain text, HTML, PDF or
 * DOCX; several at once into one archive with a manifest.  The work is
 * the library's (cf_export_run: lib/export.c, lib/outfile.c for -o's
 * file written whole or not at all, lib/archive.c); here are the options
 * and the exit. */
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "export.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-export [options] [SESSION...]\n"
	"Write sessions as documents.  SESSION is an id, a unique id prefix of 4 or\n"
	"more characters, or an exact name; without one, or with -, session records\n"
	"are read from stdin.  Several sessions, or -o ending in .zip, .tar.gz or\n"
	".tar.zst, make one archive: a file per session and a manifest.json.\n"
	"\n";

enum { O_ARCHIVE = 256, O_METADATA, O_NO_METADATA, O_TIMESTAMPS, O_HEADER_LEVEL,
       O_CODE_LANG, O_WIDTH, O_PAPER, O_HISTORY };

static const struct cf_opt own[] = {
	{"format", 'f', required_argument, "FORMAT",
	 "markdown, json, plaintext, html, pdf or docx\n"
	 "(default: from -o's extension, else markdown)"},
	{"output", 'o', required_argument, "FILE",
	 "write to FILE (default: stdout)"},
	{"archive", O_ARCHIVE, required_argument, "KIND",
	 "an archive even for one session, and the kind for\n"
	 "stdout: zip, tar.gz or tar.zst"},
	{"metadata", O_METADATA, no_argument, NULL,
	 "markdown: session and message metadata"},
	{"no-metadata", O_NO_METADATA, no_argument, NULL,
	 "json: roles, content and times only"},
	{"timestamps", O_TIMESTAMPS, no_argument, NULL,
	 "markdown: each message's time in its heading"},
	{"header-level", O_HEADER_LEVEL, required_argument, "N",
	 "markdown: the title's heading level, 1 to 5\n"
	 "(messages one below; default 1)"},
	{"code-lang", O_CODE_LANG, required_argument, "LANG",
	 "the language of code blocks that name none"},
	{"width", O_WIDTH, required_argument, "N",
	 "plaintext: wrap at N columns (default 80)"},
	{"paper", O_PAPER, required_argument, "SIZE",
	 "pdf, docx: a4 (default) or letter"},
	{"history", O_HISTORY, no_argument, NULL,
	 "every version of edited messages, oldest first"},
	{.name = "db-read", .key = CF_OPT_SHARED},
	{.name = "json", .key = CF_OPT_OMIT},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

/* A fence's language: a word, nothing that ends or bends the fence line */
static int
lang_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '`' || *s == '~' || *s == 0x7f)
			return 0;
	return 1;
}

/* The library's error as the program's exit: usage errors point at
 * --help, and a reader that went away (status 0) ends it quietly. */
static _Noreturn void
fail(jv err)
{
	int status = cf_error_status(err);
	jv msg = cf_error_message(err);
	jv_free(err);
	if (status == CF_EX_OK)
		exit(CF_EX_OK);
	if (status == CF_EX_USAGE)
		cf_usage_die("%s", jv_string_value(msg));
	cf_die(status, "%s", jv_string_value(msg));
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *db_read = NULL, *output = NULL, *format = NULL, *archive = NULL;
	struct cf_xopt o = {.header_level = 1, .width = 80};
	int opt;
	long n;

	cf_setprog(argv[0]);
	/* libarchive converts entry names through the locale's character set;
	 * in the C locale a name such as "café" cannot be written at all */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case O_ARCHIVE: archive = optarg; break;
		case O_METADATA: o.metadata = 1; break;
		case O_NO_METADATA: o.lean = 1; break;
		case O_TIMESTAMPS: o.timestamps = 1; break;
		case O_HISTORY: o.history = 1; break;
		case O_HEADER_LEVEL:
			if (cf_parse_long(optarg, 1, 5, &n))
				cf_usage_die("invalid --header-level '%s': expected 1 to 5", optarg);
			o.header_level = (int)n;
			break;
		case O_CODE_LANG:
			if (!lang_ok(optarg))
				cf_usage_die("invalid --code-lang '%s': expected a word such as python", optarg);
			o.code_lang = optarg;
			break;
		case O_WIDTH:
			if (cf_parse_long(optarg, 20, 10000, &n))
				cf_usage_die("invalid --width '%s': expected 20 to 10000", optarg);
			o.width = (int)n;
			break;
		case O_PAPER:
			if (!strcasecmp(optarg, "letter"))
				o.letter = 1;
			else if (strcasecmp(optarg, "a4"))
				cf_usage_die("invalid --paper '%s': expected a4 or letter", optarg);
			break;
		case CF_O_DB: db = optarg; break;
		case CF_O_DB_READ: db_read = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	struct cf_xrun r = {.output = output, .tty = isatty(STDOUT_FILENO), .opt = o};
	jv e = cf_export_plan(&r, format, archive);
	if (!jv_is_valid(e))
		fail(e);

	cf_store *st = cf_open_read(db, db_read);
	jv list = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));
	if (jv_array_length(jv_copy(list)) == 0) {
		/* an empty listing is not an error in a pipeline */
		cf_warn("no sessions on stdin: nothing written");
		jv_free(list);
		cf_store_close(st);
		return CF_EX_OK;
	}
	cf_outfile_guard();
	e = cf_export_run(st, list, &r);
	cf_store_close(st);
	if (!jv_is_valid(e))
		fail(e);
	return CF_EX_OK;
}
