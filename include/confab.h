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

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <jv.h>

struct curl_slist;

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
	CF_EX_SPOOLED = 12,  /* the store could not take the turn: it is kept
	                      * in the spool, and stored by the next program
	                      * that opens the store with room */
	CF_EX_SIGHUP = 129,  /* the terminal went away; what arrived is saved */
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

/* Errors as values, jq's way: jv_invalid_with_msg({"status": CF_EX_*,
 * "message": "one line"}).  cf_error_status and cf_error_message borrow
 * the error (the message is a new reference). */
jv cf_error(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cf_error_status(jv err);
jv cf_error_message(jv err);

/* Until every library function returns its errors (the issue after this
 * one), a caller that must outlive one can catch cf_die: while armed,
 * cf_die() jumps back to CF_TRY with the code and message in the catch
 * instead of ending the process.  The caller then rolls back what it had
 * begun.  Disarm with cf_catch_pop on the way out of the happy path. */
struct cf_catch {
	jmp_buf jb;
	int code;
	char msg[1024];
	struct cf_catch *prev;
};
extern struct cf_catch *cf_catching;
void cf_catch_pop(struct cf_catch *k);
/* Arms k and returns its jmp_buf, so that setjmp is the whole expression
 * the standard allows it to be. */
jmp_buf *cf_catch_arm(struct cf_catch *k);
#define CF_TRY(k) setjmp(*cf_catch_arm(k))

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
/* The same for an option's value: a bad one ends the program with a usage
 * error naming the option. */
int64_t cf_when_arg(const char *opt, const char *s, int end_of_day);
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

#define CF_SCHEMA_VERSION 2
/* PRAGMA application_id of every store confab makes: "CFAB". */
#define CF_APP_ID 0x43464142
#define CF_APP_ID_SQL "1128677698"

typedef struct sqlite3 sqlite3;
typedef struct cf_store cf_store;

/* path NULL: $CHAT_DB, else $XDG_DATA_HOME/confab/chat.db, else
 * ~/.local/share/confab/chat.db.  Creates folders and the file (0600),
 * applies migrations.  Dies on failure. */
cf_store *cf_store_open(const char *path);
/* The same, for programs that only read (CF_STORE_READ): a store they may
 * not write (a read-only mount, another user's 0644 file) is opened
 * read-only, immutable when its WAL files cannot be made.  A writer
 * (CF_STORE_WRITE) on such a store dies "the store is read-only".  A file
 * that is another program's database (another application_id, or tables
 * and no confab schema) is refused untouched, exit CF_EX_STORE. */
enum { CF_STORE_WRITE, CF_STORE_READ };
cf_store *cf_store_open_mode(const char *path, int mode);
int cf_store_readonly(cf_store *st);
void cf_store_close(cf_store *st);
sqlite3 *cf_store_db(cf_store *st);
/* The path resolution alone, for messages and tests (static buffer). */
const char *cf_store_default_path(void);

/* One change, one transaction: begin waits for its turn among the writers,
 * in arrival order (PATH-lock), then takes the write lock up front (BEGIN
 * IMMEDIATE) so concurrent writers queue instead of failing on a lock
 * upgrade; it dies with CF_EX_STORE after busy-timeout (confab.5).  Commit
 * and rollback end the turn. */
void cf_store_begin(cf_store *st);
void cf_store_commit(cf_store *st);
/* Ends a transaction without its changes, if one is open; never fails. */
void cf_store_rollback(cf_store *st);
/* Dies with CF_EX_STORE, naming what failed and SQLite's message. */
_Noreturn void cf_store_fail(cf_store *st, const char *what);

/* ---- turn.c: a reply's row, from the request to the whole reply ---- */

/* The row a reply streams into: reserved after its prompt (in the
 * caller's transaction) when the request goes out, empty, marked
 * incomplete and pending with its writer's tag (host:pid:start), which
 * keeps it out of the full-text index until it is whole.  Whoever makes
 * a pending row whole indexes it (the triggers leave that to them). */
struct cf_reply_row {
	cf_store *st;
	char id[37], sid[37];
	char tag[320];
	size_t saved;          /* bytes of the reply in the row */
	double last;           /* when it was last written */
	int checkpoints, failed;
};
/* meta: what the row starts with (model, provider); consumed. */
void cf_reply_reserve(cf_store *st, const char *sid, jv meta,
                      struct cf_reply_row *r);
/* Appends what came since the last save to the row's parts, at most
 * every 0.2 s unless force (before the caller may block): a statement of its own that costs the new bytes, waits at
 * most 50 ms for another writer and never ends the program.  0, or
 * SQLite's code when it could not (tried again next time).  Readers see
 * a pending reply as its parts so far. */
int cf_reply_checkpoint(struct cf_reply_row *r, const char *buf, size_t len,
                        int force);
/* The reply whole, in one transaction: jv_true(), or an error value (a
 * full disk; CF_EX_NOTFOUND when its session was deleted meanwhile).
 * Consumes meta. */
jv cf_reply_finish(struct cf_reply_row *r, jv meta, const char *text,
                   size_t len);
/* A reserved row no reply came for goes (dies on a store error). */
void cf_reply_drop(struct cf_reply_row *r);
/* Closes the pending rows whose writer on this machine is gone (killed),
 * keeping what they hold, marked incomplete and "abandoned"; one that
 * never got a byte is removed.  Run by
 * cf_store_open; returns how many. */
int cf_reply_recover(cf_store *st);
/* This process's writer tag. */
void cf_writer_tag(char out[320]);

/* ---- spool.c: turns the store could not take ---- */

/* $XDG_STATE_HOME/confab/spool (~/.local/state/confab/spool); NULL
 * without HOME.  Static buffer. */
const char *cf_spool_dir(void);
/* Writes turn ({session, messages: [records, attachments with data]})
 * to a new file there, 0600, whole or not at all: its path, or an error
 * value.  Consumes turn. */
jv cf_spool_write(cf_store *st, jv turn, const char *reason);
/* Stores this store's spooled turns, each in one transaction, and
 * removes them: how many.  A turn that still does not fit stays for the
 * next time.  Run by cf_store_open. */
int cf_spool_replay(cf_store *st);

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
/* search.c: the words of a search (chat-ls(1)) as an FTS5 query, "" when
 * there is nothing to search for; NULL with *why saying what is wrong. */
char *cf_search_query(const char *text, const char **why);

/* ---- message.c: messages as records ---- */

/* Appends a message record to its session (rec.sessionId, or sid when not
 * NULL); fills id, timestamp and empty metadata; returns the stored record.
 * The session's messageCount, totalTokens and lastUpdated follow through
 * triggers. */
jv cf_message_insert(cf_store *st, const char *sid, jv rec);
/* The same without reading the record back (its id is put in id); text,
 * when not NULL, is the content (len bytes of valid UTF-8) in place of
 * rec.content, bound where it lies. */
void cf_message_add(cf_store *st, const char *sid, jv rec, const char *text,
                    size_t len, char id[37]);
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
/* A new session from src's messages up to and including message at (an
 * id or unique prefix within src; NULL: all of them), in one transaction:
 * named name, else "NAME (branch)" or, with dup, "NAME (copy)"; a branch
 * records its parent and branch point, a copy neither.  Borrows src;
 * returns the stored record (chat-branch, confab's /branch). */
jv cf_session_branch(cf_store *st, jv src, const char *at, const char *name,
                     int dup);

/* Stores a file's bytes as an attachment of a message; type is "text" or
 * "image". */
void cf_attachment_insert(cf_store *st, const char *msg_id, const char *type,
                          const char *name, const char *mime,
                          const void *data, size_t size);
/* A message's attachments with their content: [{type, name, mimeType,
 * text}] for text, [{..., data: base64}] for the rest. */
jv cf_attachments_of(cf_store *st, const char *msg_id);
/* The largest attachment chat-send attaches and chat-import takes, in
 * bytes: the config's attach-max, or 20 MiB; a bad value ends the program
 * with CF_EX_CONFIG. */
long cf_attach_max(void);
/* A size for people: "20 MiB", "1 KiB", "1025 bytes". */
void cf_size_text(long n, char *out, size_t len);
/* Base64 of n bytes, as a jv string. */
jv cf_base64(const void *data, size_t n);

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
/* For people: one message with a role header (a rule above it when it
 * starts a new context, its attachments and whether it is incomplete
 * under it), then its content: given to content when that is not NULL
 * (chat-show's renderer), else cleaned as written; and a session's
 * heading. */
void cf_human_message(jv msg);
void cf_human_message_with(jv msg, void (*content)(const char *s, size_t n, void *ctx),
                           void *ctx);
void cf_human_session_head(cf_store *st, jv rec);
/* Copies s into out (size n) with control characters made visible and at
 * most width terminal cells (0: no limit), a cut marked by an ellipsis;
 * newlines kept when keep_nl. */
void cf_clean(const char *s, char *out, size_t n, int width, int keep_nl);
/* Terminal cells: of the character at s (n bytes left, its length in
 * *len; two for CJK and emoji, none for combining marks, one for a stray
 * byte), of n bytes of text, of a string; and s padded to w cells, on
 * the left when right is set. */
int cf_char_cells(const char *s, size_t n, size_t *len);
int cf_cells(const char *s, size_t n);
int cf_width(const char *s);
void cf_pad(const char *s, int w, int right);
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
/* The same checks without a record: jv_true(), or the error value
 * (CF_EX_USAGE naming the option, CF_EX_CONFIG naming the file) that
 * cf_settings_apply would end the program with. */
jv cf_settings_check(const struct cf_settings *s);
/* A new session's record, not yet stored (chat-new, confab's /new):
 * built-in defaults, under the config's, under s. */
jv cf_settings_new(const struct cf_settings *s);
/* In the caller's transaction: session id with s applied, stored and read
 * back (chat-set, confab's commands); jv_invalid() when it is gone. */
jv cf_settings_store(cf_store *st, const char *id, const struct cf_settings *s);
/* The config's defaults ([defaults] provider, model, system, temperature,
 * max-tokens, context-window, auto-context, tags) applied to rec. */
jv cf_settings_defaults(jv rec);
/* With a provider and no model: the config's [PROVIDER] model. */
jv cf_settings_default_model(jv rec);
/* Known providers, for validation and messages. */
int cf_provider_known(const char *name);
const char *cf_provider_list(void);

/* ---- provider.c, call.c, prov_*.c: talking to models ---- */

typedef struct cf_call cf_call;

/* One wire protocol.  The tables live in prov_*.c; call.c does the HTTP. */
struct cf_provider {
	const char *name;
	const char *key_env[3];     /* variables a key is read from, in order */
	const char *base_env;       /* variable a base URL is read from */
	const char *base_default;
	const char *model_default;
	int ndjson;                 /* streamed as JSON lines, not SSE */
	/* The request: URL, headers (key included), body. */
	void (*url)(cf_call *c, char *buf, size_t n);
	struct curl_slist *(*headers)(cf_call *c, struct curl_slist *h);
	jv (*body)(cf_call *c);
	/* One streamed event or line: text goes to cf_call_text, usage and
	 * model into c->r.  Returns 0, or CF_CALL_EVENT when the provider
	 * sent an error (c->r.error set). */
	int (*event)(cf_call *c, const char *event, const char *data, size_t n);
	/* A whole reply body, for --no-stream. */
	int (*whole)(cf_call *c, const char *body, size_t n);
	/* The provider's own message from an error body, or jv_null(). */
	jv (*errmsg)(const char *body, size_t n);
	/* Set for providers that answer without a network (echo). */
	int (*local)(cf_call *c);
};

extern const struct cf_provider cf_prov_anthropic, cf_prov_openai,
	cf_prov_gemini, cf_prov_ollama, cf_prov_echo;

/* How a call ended. */
enum {
	CF_CALL_OK = 0,
	CF_CALL_HTTP,       /* an HTTP error status (c->status, c->r.error) */
	CF_CALL_NET,        /* no connection, or it broke */
	CF_CALL_TIMEOUT,    /* no byte for the idle timeout */
	CF_CALL_EVENT,      /* an error event inside the stream */
	CF_CALL_MALFORMED,  /* a reply we could not read */
	CF_CALL_INTR,       /* a signal asked us to stop */
};

struct cf_reply {
	char *buf;          /* the reply so far: valid UTF-8, not NUL-ended */
	size_t len, cap;
	jv model;           /* the model the provider says answered, or null */
	long in_tokens, out_tokens;   /* -1: not reported */
	jv stop;            /* the stop reason, or null */
	jv error;           /* the provider's error message, or null */
};

struct cf_call {
	const struct cf_provider *p;
	const char *name;           /* as configured: "groq" for a named server */
	const char *model, *system, *key, *base;
	jv messages;                /* [{role, content, images: [{mimeType, data}]}] */
	double temperature;
	int has_temperature;
	long max_tokens;
	int stream;
	long timeout;               /* seconds without a byte before giving up */
	/* the reply, as it arrives */
	struct cf_reply r;
	long status;                /* HTTP status */
	double retry_after;         /* seconds, -1: none given */
	char neterr[256];           /* libcurl's words for a network failure */
	void (*on_text)(cf_call *c, const char *s, size_t n);
	/* After each piece of the wire is handled (every delta in it passed
	 * to on_text): the moment to flush.  NULL: none. */
	void (*on_flush)(cf_call *c);
	/* Now and then while the call runs, data or not (libcurl's progress
	 * callback): the moment to save what has arrived.  NULL: none. */
	void (*on_tick)(cf_call *c);
	void *ctx;
	int malformed;              /* events skipped as unreadable */
	int done;                   /* the provider said the reply is whole */
};

/* Set from a signal handler: every call in progress stops soon after. */
extern volatile int cf_interrupted;

/* Decodes the JSON string that starts at s (after its opening quote) into
 * *buf (grown as needed, *cap bytes): returns the byte after its closing
 * quote and sets *len, or NULL for anything but a plain, valid string. */
const char *cf_json_unquote(const char *s, const char *end, char **buf,
                            size_t *cap, size_t *len);

/* Runs the call, streaming or whole; returns a CF_CALL_* outcome.  The
 * reply (text, usage, model) is in c->r whatever the outcome. */
int cf_call_run(cf_call *c);
void cf_call_init(cf_call *c);
void cf_call_release(cf_call *c);
/* Appends reply text and passes it to on_text. */
void cf_call_text(cf_call *c, const char *s, size_t n);
/* For a parser that decodes straight into the reply: room for n more
 * bytes at the reply's end (valid until the next call), then
 * cf_call_took for the n bytes it wrote there, as cf_call_text would. */
char *cf_call_room(cf_call *c, size_t n);
void cf_call_took(cf_call *c, size_t n);
/* Sets c->r.error (and the outcome) from a string. */
int cf_call_error(cf_call *c, int outcome, const char *msg);

/* Helpers for the prov_*.c files.  cf_event_json parses one event's data,
 * counting it in c->malformed (and returning jv_invalid()) when it is not
 * a JSON object.  cf_jpath borrows v and returns the value at a dotted
 * path ("choices.0.delta.content"), or jv_null().  cf_base_url joins a
 * base URL (a scheme added when missing, a trailing slash dropped) and a
 * path into buf. */
jv cf_event_json(cf_call *c, const char *data, size_t n);
/* For protocols whose streamed chunks and whole replies have one shape:
 * parses data (an unreadable event is counted and skipped; an unreadable
 * whole reply is CF_CALL_MALFORMED) and hands the object to fn.  A whole
 * reply is done once handled. */
int cf_event_with(cf_call *c, const char *data, size_t n,
                  int (*fn)(cf_call *c, jv d));
int cf_whole_with(cf_call *c, const char *body, size_t n,
                  int (*fn)(cf_call *c, jv d));
/* Replaces *slot with v when v is a string; frees v otherwise.  (A field
 * a chunk does not carry leaves what an earlier chunk said.) */
void cf_keep_str(jv *slot, jv v);
/* "message (kind)" from two dotted paths of d (borrowed), the message
 * alone, or jv_null() when there is no message. */
jv cf_error_text(jv d, const char *msg, const char *kind);
jv cf_jpath(jv v, const char *path);
long cf_jlong(jv v, const char *path);   /* -1 when absent */
void cf_base_url(const char *base, const char *path, char *buf, size_t n);
/* Roles a provider wants: system messages folded into the system prompt
 * and consecutive messages of one role joined, for the protocols that
 * insist on user/assistant turns.  Returns a new array; *system gets the
 * prompt to send (new reference, string or null). */
jv cf_turns(cf_call *c, jv *system);

/* The protocol behind a provider name: a built-in, or a config section
 * [NAME] with type = anthropic|openai|gemini|ollama.  NULL: unknown. */
const struct cf_provider *cf_provider_find(const char *name);
/* The key for a provider: its variables, then the config's api-key.
 * Sets *var to what was looked for (for messages).  NULL: none. */
const char *cf_provider_key(const char *name, const struct cf_provider *p,
                            const char **var);
/* The base URL: the config's base-url, its variable, or the default. */
const char *cf_provider_base(const char *name, const struct cf_provider *p);
/* The default model: the config's [NAME] model, or the built-in one. */
const char *cf_provider_model(const char *name, const struct cf_provider *p);
/* No provider named anywhere: the config's default, the first whose key is
 * in the environment, Ollama if it answers; NULL when none. */
const char *cf_provider_choose(void);

/* ---- send.c: a request with retries and fallbacks ---- */

struct cf_send {
	/* what to send */
	jv chain;            /* [{provider, model}]: the first, then fallbacks */
	jv messages;         /* as in cf_call; borrowed */
	const char *system;
	double temperature;
	int has_temperature;
	long max_tokens;
	int stream;
	long timeout;        /* idle seconds */
	long retries;        /* tries after the first, per provider */
	double retry_time;   /* seconds all retries of one provider may take */
	void (*on_text)(cf_call *c, const char *s, size_t n);
	void (*on_flush)(cf_call *c);
	void (*on_tick)(cf_call *c);
	/* Retries, fallbacks skipped or taken: one line for people, no
	 * program name.  NULL: cf_warn. */
	void (*on_note)(void *ctx, const char *line);
	void *ctx;
	/* what came of it */
	cf_call call;        /* the last attempt: its reply and outcome */
	int outcome;         /* CF_CALL_* */
	int exit;            /* CF_EX_* for that outcome */
	char error[1024];    /* one line for stderr, key-free; "" when fine */
	char provider[64];   /* who answered (or failed last) */
	char model[256];
	int fallbacks;       /* how many times the chain moved on */
	long elapsed_ms;
};
/* s (n bytes) with the key taken out, each stretch of it "[redacted]":
 * the key whole, as it is or percent-encoded (%XX in either case); for a
 * key of 8 bytes or more any run of 8 or more bytes of it too; and a start
 * of it of 4 bytes or more at a word's end, where a provider cut it.  A
 * key shorter than 4 bytes is taken out nowhere.  Returns a new string for
 * free(), NUL-ended; its length in *len when len is not NULL. */
char *cf_redact(const char *s, size_t n, const char *key, size_t *len);
/* Runs the chain: each provider with its retries (429, 5xx, 529 and
 * connection failures before the first byte, with backoff, jitter and
 * Retry-After), the next provider when one fails; never again once reply
 * text has been passed on. */
int cf_send_run(struct cf_send *s);
/* Checks the chain's first provider and its key without sending:
 * jv_true(), or an error value (CF_EX_USAGE for an unknown provider,
 * CF_EX_AUTH for a missing key) when it cannot be used.  A fallback
 * without a key is skipped, with a note, when its turn comes.  Keys are
 * needed by the real services only: a provider pointed at another
 * address may take none.  Borrows chain. */
jv cf_send_check(jv chain);

/* ---- chat.c: turn — one message and its reply, one library call ----
 *
 * chat-send, confab and the server each send a message the same way: the
 * context composed (the system prompt, the last contextWindow messages
 * since the latest /clear, this one with its attachments), the user's
 * message stored and the reply's row reserved, the reply streamed with
 * retries and fallbacks, saved as it comes and made whole at the end.  A
 * store that cannot take the turn sends it to the spool.  The caller
 * shows the text and owns the signals: its handler sets cf_interrupted,
 * and the partial reply is kept, marked incomplete.
 *
 * The /clear boundary is a field on the next message: metadata.
 * contextReset true (confab(7)).  Whoever composes a context starts it
 * at the latest message that carries one. */

/* Attachments read and checked before anything is stored: a caller that
 * wants a bad file refused before it opens the store loads them first. */
struct cf_files {
	jv list;            /* [{type, name, mimeType}] */
	struct cf_blob { char *p; size_t n; } *blobs;   /* the bytes of each */
	int n;
};
/* jv_true(), or an error value (CF_EX_USAGE: "cannot attach 'F': why");
 * f is empty and needs no cf_files_free on error. */
jv cf_files_load(struct cf_files *f, const char *const *paths, int n);
void cf_files_free(struct cf_files *f);

struct cf_turn_state;

struct cf_turn {
	/* in */
	cf_store *st;
	jv session;               /* the session record (consumed by cf_turn_run;
	                           * the updated one is put back here).
	                           * jv_null(): a new session from the config's
	                           * defaults, named from the message */
	const char *text; size_t len;          /* the user's message, valid UTF-8 */
	const char *const *attach; int nattach; /* file paths to attach to it */
	struct cf_files *files;   /* or these, loaded already (borrowed); when
	                           * set, attach is not read */
	int reset;                /* a /clear came before this message: it
	                           * starts a new context */
	jv over;                  /* per-turn overrides {provider, model, system,
	                           * temperature, maxTokens}, or jv_null();
	                           * temperature null: none sent; consumed */
	jv fallbacks;             /* [{provider, model}] or jv_null() (the
	                           * config's fallback); consumed */
	int stream; long retries, timeout; double retry_time;
	int records;              /* 1 (the default): user and reply are read
	                           * back from the store; 0: left null, which
	                           * spares a long reply's copy */
	void (*on_text)(void *ctx, const char *s, size_t n);  /* reply text as it arrives (may be NULL) */
	void (*on_flush)(void *ctx);                           /* after each network chunk (may be NULL) */
	void (*on_note)(void *ctx, const char *line);          /* retry/fallback notices for people (may be NULL:
	                                                        * cf_warn) */
	/* The reply has ended (whole or not) and is about to be saved: a
	 * program may stop listening to signals here (may be NULL). */
	void (*on_end)(void *ctx);
	void *ctx;
	/* out */
	jv user, reply;           /* the stored records (jv_null() when none); the caller frees them */
	int exit;                 /* CF_EX_* of the outcome (CF_EX_SIGINT... when interrupted, CF_EX_SPOOLED when spooled) */
	char provider[64], model[256];
	/* Set before the first on_text: the ids the turn's records get (the
	 * reply's even when it goes to the spool). */
	char session_id[37], user_id[37], reply_id[37];
	int incomplete;           /* the reply kept is not whole */
	int interrupted;          /* it stopped on cf_interrupted */
	struct cf_turn_state *state;   /* the library's, while it runs */
};
/* Defaults: stream, 3 retries over at most 60 s, a 120 s timeout,
 * records; every jv null. */
void cf_turn_init(struct cf_turn *t);
/* The config's retries and timeout (confab.5) into t: jv_true(), or an
 * error value (CF_EX_CONFIG) for a malformed one. */
jv cf_turn_config(struct cf_turn *t);
/* jv_true(), or an error value (cf_error: status + one line, no program name) — the partial reply is
   kept and marked incomplete on interrupt or a provider that hangs up; the turn is spooled when the
   store cannot take it. Never ends the process; frees everything on every path. */
jv cf_turn_run(struct cf_turn *t);
/* While cf_turn_run runs (from a callback): the reply so far, len bytes
 * of valid UTF-8, valid until the callback returns.  A fallback starts
 * it again from nothing. */
const char *cf_turn_text(struct cf_turn *t, size_t *len);
/* From a callback that waits (for a reader that stopped reading): saves
 * what arrived so far, at most every 0.2 s. */
void cf_turn_save(struct cf_turn *t);
void cf_turn_release(struct cf_turn *t);
/* "PROVIDER[:MODEL]" as a link of fallbacks ({provider, model}), or an
 * error value (CF_EX_USAGE). */
jv cf_turn_fallback(const char *spec);

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

/* ---- pricing.c: the price list, share/confab/pricing.json ---- */

/* The list is $CONFAB_PRICING, else pricing.json in the installed share
 * folder, else in ../share/confab beside the executable; it is read on
 * first use.  A missing or malformed list is one warning, and no model has
 * a price.  Prices are USD per million tokens. */

/* 1 and the prices when model has one, else 0.  The name matches exactly,
 * else the longest listed name it starts with followed by '-'
 * ("claude-sonnet-4-5-20250929" is "claude-sonnet-4-5"); a leading
 * "models/" (Gemini) is ignored. */
int cf_price(const char *model, double *in, double *out);
/* The models the list prices, sorted (for completion): a jv array of
 * strings, empty without a list. */
jv cf_price_models(void);
/* What tokens cost at the given prices, rounded to 1e-10 USD. */
double cf_cost_of(double in_tokens, double out_tokens, double in_price,
                  double out_price);
/* A reply's cost in USD as a jv number, or jv_null() when the model has no
 * price or either count is not a number.  Consumes the two counts. */
jv cf_cost(const char *model, jv input_tokens, jv output_tokens);

/* What the assistant's replies used and cost (chat-cost). */
struct cf_usage_query {
	int by_session;          /* a group per session too */
	int64_t since, until;    /* reply timestamps in ms; 0: no bound */
	jv sessions;             /* borrows: an array of session records or
	                          * ids to count, or jv_null() for all */
};
struct cf_usage {
	/* borrowed for the call; NULL when unknown.  provider is the one the
	 * reply records, else its session's */
	const char *session, *session_name, *session_provider;  /* by_session */
	const char *provider, *model;
	double messages, input_tokens, output_tokens;
	double total_tokens;     /* the replies' tokens, else input + output */
	double cost;             /* USD: the cost each reply was stored with;
	                          * one stored without a cost but with both
	                          * token counts is priced from the list */
	int64_t cost_units;      /* the same in whole units of 1e-10 USD, to
	                          * add up exactly */
	double unpriced;         /* replies with no cost either way */
};
/* Calls fn once per group of replies (session, then provider, then model,
 * in that order, sorted). */
void cf_usage_list(cf_store *st, const struct cf_usage_query *q,
                   void (*fn)(const struct cf_usage *u, void *ctx), void *ctx);

/* ---- import.c: other tools' histories in (chat-import) ---- */

enum { CF_IMPORT_AUTO, CF_IMPORT_CONFAB, CF_IMPORT_CHATGPT, CF_IMPORT_CLAUDE,
       CF_IMPORT_LLM };
/* "auto", "confab", "chatgpt", "claude" or "llm" as a CF_IMPORT_*; -1 when
 * it is none of them. */
int cf_import_format(const char *name);
/* Reads one file (path; NULL: stdin), named name in messages, in format
 * (CF_IMPORT_AUTO: told by its contents), and appends a plan per session
 * to plans, which it consumes and returns.  Nothing is written; a
 * malformed file ends the program (CF_EX_DATA) naming where it broke. */
jv cf_import_read(jv plans, const char *path, const char *name, int format);
/* Stores the plans in the caller's transaction.  A session whose id is
 * already in the store is skipped and counted in *skipped.  Consumes
 * plans; returns the stored session records, in order. */
jv cf_import_write(cf_store *st, jv plans, long *skipped);

#endif
