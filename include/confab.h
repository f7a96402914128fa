/* confab.h — the library every chat-* program links: errors, times and ids,
 * the store, records, session references, output and config.
 *
 * Ownership follows jv's own rule (jv.h): a function that takes a jv consumes
 * it, and a function that returns a jv returns a new reference the caller
 * must free, unless the comment says "borrows".  Strings returned as
 * const char * are borrowed from the object named in the comment.
 *
 * Errors a user can cause (an unknown session, a malformed record, a busy or
 * newer database) end the program through cf_die() with an exit code from
 * the list below: every program is short-lived, and an open transaction is
 * rolled back by SQLite when the process goes away, so nothing half-done is
 * ever left in the store.
 */
#ifndef CONFAB_H
#define CONFAB_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <jv.h>

#define CF_VERSION "0.1.0"

/* ---- err.c: one error module, exit codes defined once ---- */

enum {
	CF_EX_OK = 0,
	CF_EX_FAIL = 1,      /* a runtime failure: I/O, write error, declined */
	CF_EX_USAGE = 2,     /* bad option or option value, bad jq program */
	CF_EX_NOTFOUND = 3,  /* no session or message matches a reference */
	CF_EX_AMBIGUOUS = 4, /* a prefix or name matches more than one */
	CF_EX_DATA = 5,      /* malformed input record or file */
	CF_EX_STORE = 6,     /* database busy, corrupt, full, or too new */
	CF_EX_CONFIG = 7,    /* malformed config file */
	CF_EX_PROVIDER = 8,  /* the provider refused or failed (400, 404, 5xx,
	                      * 529, an error event, a malformed reply) */
	CF_EX_AUTH = 9,      /* no key, or the key was refused (401, 403) */
	CF_EX_RATE = 10,     /* still rate-limited (429) after the retries */
	CF_EX_NETWORK = 11,  /* no connection, a timeout, a reply cut off */
	CF_EX_SIGINT = 130,  /* interrupted (Ctrl-C); what arrived is saved */
	CF_EX_SIGTERM = 143, /* terminated; what arrived is saved */
};

extern const char *cf_prog;
void cf_setprog(const char *argv0);
void cf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cf_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Usage errors also point at --help. */
_Noreturn void cf_usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* After getopt_long returned '?' or ':' (the option string starts with ':'):
 * one line naming the option, exit CF_EX_USAGE. */
_Noreturn void cf_bad_option(int c, char **argv);
/* While set, warnings and errors name where the input came from
 * ("stdin:3") after the program's name; NULL clears it. */
void cf_err_context(const char *where);

void *cf_xmalloc(size_t n);
void *cf_xrealloc(void *p, size_t n);
char *cf_xstrdup(const char *s);

/* ---- util.c: times, ids, numbers ---- */

int64_t cf_now_ms(void);
/* UUIDv7: 36 characters and a NUL; monotonic within one process. */
void cf_uuid7(char out[37]);
/* RFC 3339 UTC with milliseconds: "2026-11-24T07:43:26.123Z". */
void cf_time_fmt(int64_t ms, char out[25]);
jv cf_time_jv(int64_t ms);
/* Parses RFC 3339 (any offset, optional fraction) to ms; 0 on success. */
int cf_time_parse(const char *s, int64_t *ms);
/* --since/--until: RFC 3339, a date (YYYY-MM-DD, UTC), or an age such as
 * 30m, 12h, 7d, 2w.  A date given to --until means the end of that day
 * (end_of_day set).  0 on success. */
int cf_when_parse(const char *s, int end_of_day, int64_t *ms);
/* "3m ago", "yesterday", "2026-01-02": for people only. */
void cf_time_rel(int64_t ms, int64_t now, char *out, size_t n);

/* Whole-string numbers within [min, max]; 0 on success. */
int cf_parse_long(const char *s, long min, long max, long *out);
int cf_parse_double(const char *s, double min, double max, double *out);

/* ---- config.c: $XDG_CONFIG_HOME/confab/config (see confab.5) ---- */

/* Returns the value of "section.key" (or "key" for the [defaults] section),
 * borrowed from the loaded config, or NULL.  The file is read on first use;
 * a malformed file ends the program with CF_EX_CONFIG. */
const char *cf_config_get(const char *key);
/* The path that is (or would be) read. */
const char *cf_config_path(void);

/* ---- store.c: the SQLite file ---- */

#define CF_SCHEMA_VERSION 1

typedef struct sqlite3 sqlite3;
typedef struct cf_store cf_store;

/* path NULL: $CHAT_DB, else $XDG_DATA_HOME/confab/chat.db, else
 * ~/.local/share/confab/chat.db.  Creates folders and the file (0600),
 * applies migrations.  Dies on failure. */
cf_store *cf_store_open(const char *path);
void cf_store_close(cf_store *st);
sqlite3 *cf_store_db(cf_store *st);
/* The path resolution alone, for messages and tests (static buffer). */
const char *cf_store_default_path(void);

/* One change, one transaction: begin takes the write lock up front
 * (BEGIN IMMEDIATE) so concurrent writers queue on the busy timeout instead
 * of failing on a lock upgrade. */
void cf_store_begin(cf_store *st);
void cf_store_commit(cf_store *st);
/* Dies with CF_EX_STORE, naming what failed and SQLite's message. */
_Noreturn void cf_store_fail(cf_store *st, const char *what);

/* ---- session.c: sessions as records ---- */

/* Reads one session record by full id; jv_invalid() when there is none. */
jv cf_session_get(cf_store *st, const char *id);
/* Inserts a session record.  Missing id, times, settings and metadata are
 * filled in; returns the stored record. */
jv cf_session_insert(cf_store *st, jv rec);
/* Writes name, provider, model, settings, tags, starred, archived of a
 * record whose id exists. */
void cf_session_update(cf_store *st, jv rec);
void cf_session_delete(cf_store *st, const char *id);

/* A shortest unique prefix of id (at least min characters), for people. */
void cf_session_short_id(cf_store *st, const char *id, int min, char out[37]);

struct cf_filter {
	const char **tags;       /* all must be present; NULL-terminated */
	const char *provider;
	const char *model;
	int starred;             /* 1: starred only */
	int archived;            /* 0: hide archived, 1: only archived, 2: all */
	int64_t since, until;    /* lastUpdated bounds in ms; 0: none */
	const char *parent;      /* full id */
	const char *search;      /* FTS over names and message content */
	int color;               /* snippet highlight with ANSI, else ** */
};

/* Calls fn for each matching session, most recently updated first; fn
 * consumes the record and returns nonzero to stop.  With a search, each
 * record carries "match": {"messageId", "snippet"}. */
void cf_session_list(cf_store *st, const struct cf_filter *f,
                     int (*fn)(jv rec, void *ctx), void *ctx);

/* ---- message.c: messages as records ---- */

/* Appends a message record to its session (rec.sessionId, or sid when not
 * NULL); fills id, timestamp and empty metadata; returns the stored record.
 * The session's messageCount, totalTokens and lastUpdated follow through
 * triggers. */
jv cf_message_insert(cf_store *st, const char *sid, jv rec);
/* By full id; jv_invalid() when there is none. */
jv cf_message_get(cf_store *st, const char *id);
/* Messages of a session in order.  last > 0: only the last `last`;
 * upto: stop after the message with this id (NULL: all). */
void cf_message_list(cf_store *st, const char *sid, long last,
                     const char *upto, int (*fn)(jv rec, void *ctx),
                     void *ctx);
/* Copies the messages of session from, up to and including the message
 * upto (NULL: all), with their attachments, into session to under new ids.
 * Returns how many were copied. */
long cf_message_copy_all(cf_store *st, const char *from, const char *to,
                         const char *upto);

/* ---- ref.c: naming sessions by argument or by record ---- */

/* A full id, a unique id prefix of 4 or more characters, or an exact name.
 * Returns the session record; dies CF_EX_NOTFOUND or CF_EX_AMBIGUOUS with
 * the candidates listed. */
jv cf_resolve_session(cf_store *st, const char *ref);
/* The same for messages, by id or prefix; sid limits the search to one
 * session when not NULL. */
jv cf_resolve_message(cf_store *st, const char *ref, const char *sid);

/* The sessions a program works on, in order: the arguments, or when there
 * are none (or one is "-") the session records read from stdin.  All are
 * read and resolved before any is returned, so a malformed line (an error
 * naming its line number) changes nothing.  stdin on a terminal with no
 * arguments is a usage error.  Returns a jv array of session records. */
jv cf_sessions_from_args(cf_store *st, int argc, char **argv);
/* Reads the next JSON record, one a line (blank lines skipped), into *out:
 * 1 when there is one, 0 at the end.  A line that is not one JSON object
 * ends the program (CF_EX_DATA) naming name:line.  *lineno counts lines. */
int cf_read_record(FILE *f, const char *name, long *lineno, jv *out);

/* ---- out.c: output for people and for pipes ---- */

/* Ignores SIGPIPE so a closed pipe is a write error we can see. */
void cf_out_init(void);
int cf_out_isatty(void);
/* Color on a terminal and without NO_COLOR. */
int cf_out_color(void);
/* Compact JSON, byte for byte what jv_dump_string(v, 0) gives, in a
 * buffer that lives until the next call; consumes v.  jq 1.6's dumper
 * writes a character at a time, which was most of a long listing's time. */
const char *cf_json_compact(jv v, size_t *len);
/* Writes one record and a newline to stdout; consumes rec. */
void cf_out_record(jv rec);
/* After writing: a closed pipe ends the program quietly with success, any
 * other write error is reported. */
void cf_out_check(void);
/* Flush and check; call before returning from main. */
int cf_out_finish(int status);

/* "chat-ls (confab) 0.1.0" on stdout. */
int cf_version(void);
/* For people: a table of session records (an array), aligned, with relative
 * times; control characters in names never reach the terminal. */
void cf_human_sessions(cf_store *st, jv list);
/* For people: one message with a role header, and a session's heading. */
void cf_human_message(jv msg);
void cf_human_session_head(cf_store *st, jv rec);
/* Copies s into out (size n) with control characters made visible and at
 * most width code points (0: no limit); newlines kept when keep_nl. */
void cf_clean(const char *s, char *out, size_t n, int width, int keep_nl);
/* Writes s to stdout with control characters other than newline and tab
 * made harmless. */
void cf_put_clean(const char *s);

/* ANSI sequences, or "" without color. */
const char *cf_c(const char *seq);
#define CF_BOLD "\033[1m"
#define CF_DIM "\033[2m"
#define CF_RESET "\033[0m"
#define CF_YELLOW "\033[33m"
#define CF_CYAN "\033[36m"
#define CF_GREEN "\033[32m"
#define CF_MAGENTA "\033[35m"

/* jv accessors that borrow: the string or "" / NULL, the number or dflt. */
const char *cf_jstr(jv obj, const char *key);
const char *cf_jstr_or_null(jv obj, const char *key);
double cf_jnum(jv obj, const char *key, double dflt);
int cf_jbool(jv obj, const char *key);

/* ---- filter.c: jq programs as filters ---- */

typedef struct cf_jq cf_jq;
/* Compiles a jq program; a syntax error ends the program (CF_EX_USAGE)
 * with jq's message, prefixed by opt. */
cf_jq *cf_jq_compile(const char *program, const char *opt);
/* Borrows rec: is the program's first output neither false nor null?  A
 * runtime error ends the program (CF_EX_DATA). */
int cf_jq_true(cf_jq *q, jv rec);
void cf_jq_free(cf_jq *q);

/* ---- settings.c: the options chat-new and chat-set share ---- */

/* Session fields set from the command line or the config: NULL / -1
 * fields stay as they are.  An empty temperature or system clears it. */
struct cf_settings {
	const char *origin;      /* NULL: options; else the config's path */
	const char *name, *provider, *model, *system;
	const char *temperature, *max_tokens, *context_window;
	int auto_context, starred, archived;   /* -1 unset, 0 off, 1 on */
	const char **tags, **untags;           /* NULL-terminated */
	int ntags, nuntags;
};
void cf_settings_init(struct cf_settings *s);
void cf_settings_add_tag(struct cf_settings *s, const char *tag, int remove);
/* Applies the settings to a session record, validating each value (dies
 * CF_EX_USAGE naming the option, or CF_EX_CONFIG naming the file); returns
 * the new record. */
jv cf_settings_apply(jv rec, const struct cf_settings *s);
/* The config's defaults ([defaults] provider, model, system, temperature,
 * max-tokens, context-window, auto-context, tags) applied to rec. */
jv cf_settings_defaults(jv rec);
/* With a provider and no model: the config's [PROVIDER] model. */
jv cf_settings_default_model(jv rec);
/* Known providers, for validation and messages. */
int cf_provider_known(const char *name);
const char *cf_provider_list(void);

/* ---- stream.c: incremental parsers for streamed replies ---- */

/* Server-sent events (the WHATWG event-stream format): bytes go in with
 * any chunking, one byte at a time gives the same events.  Lines end with
 * CRLF, LF or CR; "data:" lines of one event are joined with "\n"; lines
 * starting with ":" are comments; unknown fields are ignored; a leading BOM
 * is skipped.  cb gets the event's type ("message" when none was given) and
 * its data (NUL-terminated, len bytes); a nonzero return stops the parser
 * and is returned by cf_sse_feed. */
typedef int (*cf_sse_cb)(const char *event, const char *data, size_t len,
                         void *ctx);
typedef struct cf_sse cf_sse;
cf_sse *cf_sse_new(cf_sse_cb cb, void *ctx);
int cf_sse_feed(cf_sse *p, const char *buf, size_t n);
/* End of the stream: an event without its closing blank line is dropped,
 * as the format says.  Returns 1 when bytes of one were pending. */
int cf_sse_finish(cf_sse *p);
void cf_sse_free(cf_sse *p);

/* Lines (NDJSON): cb gets each line without its LF or CRLF, NUL-terminated;
 * empty lines are skipped.  cf_lines_finish delivers a last line that had
 * no newline. */
typedef int (*cf_lines_cb)(const char *line, size_t len, void *ctx);
typedef struct cf_lines cf_lines;
cf_lines *cf_lines_new(cf_lines_cb cb, void *ctx);
int cf_lines_feed(cf_lines *p, const char *buf, size_t n);
int cf_lines_finish(cf_lines *p);
void cf_lines_free(cf_lines *p);

#endif
