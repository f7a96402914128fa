/* opts.h — one option layer for every program.
 *
 * An option is said once, in a table: its long name, what getopt returns
 * for it (its short letter, or a key), whether it takes a value, the
 * value's name and its line in the usage.  From the tables come the
 * getopt_long arrays, the option lines of --help, and --list-options
 * (hidden: every option the program takes but the hidden ones, for the
 * docs and completions tests and for anything else that wants to know).
 *
 * Two groups are shared: cf_opts_common (--json, --db, --help, --version:
 * every program) and cf_opts_settings (a session's settings: chat-new,
 * chat-set, chat-send, confab).  A program's own table names the options
 * only it has, in the order its usage lists them; an entry whose key is
 * CF_OPT_SHARED takes a group's option by name (its help, when given,
 * worded for the program), one with CF_OPT_OMIT leaves a common option
 * out.  The common options a program's table does not name come last.
 *
 *     static const struct cf_opt own[] = {
 *         {"session", 's', required_argument, "SESSION", "the session"},
 *         {"model", CF_OPT_SHARED, .help = "this message only: the model"},
 *         {0},
 *     };
 *     static const struct cf_opts opts = {usage_head, own, NULL, 29};
 *     while ((c = cf_getopt(argc, argv, &opts)) != -1)
 *         switch (c) {
 *         case 's': ...; break;
 *         case CF_O_JSON: json = 1; break;
 *         case CF_O_DB: db = optarg; break;
 *         case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
 *         default:
 *             if (!cf_opts_setting(&settings, c, optarg))   (-m lands here)
 *                 cf_bad_option(c, argv);
 *         }
 */
#ifndef CONFAB_OPTS_H
#define CONFAB_OPTS_H

#include <getopt.h>
#include <stdio.h>

struct cf_settings;

struct cf_opt {
	const char *name;   /* the long name; NULL ends a table */
	int key;            /* what cf_getopt returns: the short letter, or
	                     * a key of 256 or more; in a program's table
	                     * also CF_OPT_SHARED or CF_OPT_OMIT */
	int arg;            /* no_argument or required_argument (or
	                     * optional_argument: --name[=META], no short) */
	const char *meta;   /* the value in the usage: "NAME" */
	const char *help;   /* its usage text; '\n' starts another line.
	                     * "": on the line of the option before it
	                     * ("--star, --unstar").  An option of the
	                     * program's own with none is hidden: taken, but
	                     * in neither --help nor --list-options (for
	                     * tools such as make bench, not for people) */
};

enum {
	CF_OPT_SHARED = -2,
	CF_OPT_OMIT = -3,
	/* cf_getopt printed the help, the version or the option list: the
	 * program ends with cf_out_finish(CF_EX_OK) */
	CF_OPT_DONE = -4,
};

/* Keys of the shared options that have no short letter.  Programs' own
 * keys start at 256 and stay below these. */
enum {
	CF_O_JSON = 0x1000, CF_O_DB, CF_O_VERSION,
	CF_O_TEMPERATURE, CF_O_MAX_TOKENS, CF_O_CONTEXT_WINDOW,
	CF_O_AUTO_CONTEXT, CF_O_NO_AUTO_CONTEXT,
	CF_O_SEND_HISTORY, CF_O_NO_SEND_HISTORY, CF_O_DB_READ,
};

extern const struct cf_opt cf_opts_common[], cf_opts_settings[];
/* --db-read, taken by name (CF_OPT_SHARED) by the programs that only
 * read: cf_open_read (cmd/) */
extern const struct cf_opt cf_opts_read[];

struct cf_opts {
	const char *usage;        /* the synopsis and what it does, before
	                           * the options (ends with a blank line) */
	const struct cf_opt *own; /* the program's table */
	const char *after;        /* after the options (a blank line first),
	                           * or NULL */
	int col;                  /* where help text starts; 0: column 25 */
};

/* getopt_long over every option the program takes (optstring starts
 * with ':', so a missing value is ':' for cf_bad_option).  --help,
 * --version and --list-options are printed here and return
 * CF_OPT_DONE. */
int cf_getopt(int argc, char **argv, const struct cf_opts *o);
/* A settings option's value into s (cf_settings_apply checks it later):
 * 1 when key is one of cf_opts_settings', else 0.  A program's table
 * decides which of them getopt can return at all. */
int cf_opts_setting(struct cf_settings *s, int key, const char *arg);
/* The whole --help text. */
void cf_opts_usage(const struct cf_opts *o, FILE *f);
/* Every option but the hidden ones, one a line: "--model=ARG -m" (the
 * long form, "=ARG" when it takes a value, then the short one if there
 * is one). */
void cf_opts_list(const struct cf_opts *o, FILE *f);

#endif
