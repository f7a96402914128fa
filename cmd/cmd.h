/* cmd.h — what only the programs do: turn an error into one line on
 * stderr and an exit.  The library returns its errors (confab.h); cmd.c is
 * linked into every program and never into the library. */
#ifndef CONFAB_CMD_H
#define CONFAB_CMD_H

#include "confab.h"

/* "prog: message" (and the input's place, cf_err_context), exit code.
 * While a CF_TRY is armed, the error goes there instead. */
_Noreturn void cf_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Usage errors also point at --help. */
_Noreturn void cf_usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* After getopt_long returned '?' or ':' (the option string starts with ':'):
 * one line naming the option, exit CF_EX_USAGE. */
_Noreturn void cf_bad_option(int c, char **argv);

/* v itself when it is not an error; an error ends the program with its
 * message and status, as cf_die would. */
jv cf_ok(jv v);
/* The same for a result the caller does not keep: frees v. */
void cf_exit_on(jv v);
/* After writing: a closed pipe ends the program quietly with success, any
 * other write error is reported (exit 1). */
void cf_out_check(void);
/* --since/--until's value (cf_when_parse): a bad one is a usage error
 * naming the option. */
int64_t cf_when_arg(const char *opt, const char *s, int end_of_day);
/* The store, or the program ends with why it cannot be opened.  A path
 * named (--db) must exist unless mode has CF_STORE_CREATE; NULL is
 * $CHAT_DB or the default path, created when missing. */
cf_store *cf_open(const char *path, int mode);
/* For what a program only reads: replica (--db-read), else
 * $CHAT_DB_READ, opened as a PostgreSQL standby (CF_STORE_REPLICA), else
 * cf_open(path, CF_STORE_READ). */
cf_store *cf_open_read(const char *path, const char *replica);

/* cmd/plugin.c, linked into the shipped plugins only: the main of plugin
 * p (include/plugkit.h), usage its --help text before the options. */
struct cf_plugin_def;
int cf_plug_cmd(const struct cf_plugin_def *p, const char *usage, int argc, char **argv);

#endif
