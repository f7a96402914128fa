/* confab.h — the library every chat-* program links: errors, times and ids,
 * the store, records, session references, output and config.  Talking to
 * models (protocols, calls, retries, stream parsers) is provider.h's;
 * exports and the Markdown tree are export.h's.
 *
 * Ownership follows jv's own rule (jv.h): a function that takes a jv consumes
 * it, and a function that returns a jv returns a new reference the caller
 * must free, unless the comment says "borrows".  Strings returned as
 * const char * are borrowed from the object named in the comment.
 *
 * Errors are values; no function here ends the process.  A function that
 * can fail returns a jv: what it makes (jv_true() when it makes nothing),
 * or an error from cf_error(), jq's jv_invalid_with_msg holding the exit
 * status (CF_EX_*, below) and a one-line message without the program's
 * name.  jv_invalid() without a message keeps jq's meaning, "no value"
 * (cf_session_get: no such session).  cf_is_error() tells the two apart.
 * A function that makes a C object (cf_store_open, cf_jq_compile) returns
 * it, or NULL with the error in its trailing `jv *err`.  On an error a
 * function has freed what it allocated, consumed its jv arguments as it
 * would have on success, and left no transaction of its own open
 * (cf_store_begin and cf_store_commit roll back when they fail); in a
 * caller's transaction, the caller rolls back (cf_store_rollback).  Only
 * cmd/ turns an error into "prog: message" and an exit (cmd/cmd.h).
 * Running out of memory aborts, as libjq does.
 */
#ifndef CONFAB_H
#define CONFAB_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <jv.h>

/* A jv a function returns is a reference the caller must free, or an
 * error it must look at: dropping one is a leak or a lost error. */
#define CF_MUST __attribute__((warn_unused_result))

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
/* While set, warnings (and the programs' error lines) name where the
 * input came from ("stdin:3") after the program's name; NULL clears it. */
void cf_err_context(const char *where);

/* Errors as values, jq's way: jv_invalid_with_msg({"status": CF_EX_*,
 * "message": "one line"}).  A usage error (CF_EX_USAGE) is also marked
 * "usage": the programs then point at --help.  cf_is_error,
 * cf_error_status, cf_error_usage and cf_error_message borrow the error
 * (the message is a new reference). */
CF_MUST jv cf_error(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
CF_MUST jv cf_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
int cf_is_error(jv v);
int cf_error_status(jv err);
int cf_error_usage(jv err);
CF_MUST jv cf_error_message(jv err);

/* The bridge for the code that is not converted yet (turn.c, spool.c,
 * send.c, import.c, export.c and chat-send.c; remove it with their last
 * use).  cf_raise(v) frees v and returns when it is not an error;
 * an error jumps back to the innermost CF_TRY, with the code and message
 * in the catch, or, with none armed, goes to cf_uncaught, which cmd/cmd.c
 * sets to print it and exit.  cf_store_fail raises cf_store_error. */
struct cf_catch {
	jmp_buf jb;
	int code;
	char msg[1024];
	struct cf_catch *prev;
};
extern struct cf_catch *cf_catching;
extern void (*cf_uncaught)(jv err);
void cf_raise(jv v);
void cf_catch_pop(struct cf_catch *k);
/* Arms k and returns its jmp_buf, so that setjmp is the whole expression
 * the standard allows it to be. */
jmp_buf *cf_catch_arm(struct cf_catch *k);
#define CF_TRY(k) setjmp(*cf_catch_arm(k))
/* Defined in cmd/cmd.c, for the files above until they return errors. */
_Noreturn void cf_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void cf_usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

void *cf_xmalloc(size_t n);
void *cf_xrealloc(void *p, size_t n);
char *cf_xstrdup(const char *s);

/* ---- util.c: times, ids, numbers ---- */

int64_t cf_now_ms(void);
/* UUIDv7: 36 characters and a NUL; monotonic within one process. */
void cf_uuid7(char out[37]);
/* RFC 3339 UTC with milliseconds: "2026-11-24T07:43:26.123Z". */
void cf_time_fmt(int64_t ms, char out[25]);
CF_MUST jv cf_time_jv(int64_t ms);
/* Parses RFC 3339 (any offset, optional fraction) to ms; 0 on success. */
int cf_time_parse(const char *s, int64_t *ms);
/* --since/--until: RFC 3339, a date (YYYY-MM-DD, UTC), or an age such as
 * 30m, 12h, 7d, 2w.  A date given to --until means the end of that day
 * (end_of_day set).  0 on success. */
int cf_when_parse(const char *s, int end_of_day, int64_t *ms);
/* "3m ago", "yesterday", "2026-01-02": for people only. */
void cf_time_rel(int64_t ms, int64_t now, char *out, size_t n);

/* The UTF-8 sequence at s (end > s): its length, or 0 when it is not a
 * valid one (overlong forms, surrogates and code points past U+10FFFF
 * are not). */
size_t cf_utf8_len(const unsigned char *s, const unsigned char *end);
/* Is s (n bytes) all valid UTF-8, without a NUL? */
int cf_utf8_valid(const char *s, size_t n);

/* Every byte from fd to its end (EINTR retried), the whole of it at once:
 * pieces would each mend a UTF-8 sequence cut at their edge.  A malloc'd
 * buffer with a NUL after its *len bytes, or NULL with errno set. */
char *cf_read_all(int fd, size_t *len);
/* Every byte of p to fd (EINTR retried): 0, or -1 with errno. */
int cf_write_all(int fd, const char *p, size_t n);
/* The same as a jv string (invalid UTF-8 mended), or an error value
 * (CF_EX_FAIL, strerror's words). */
CF_MUST jv cf_read_text(int fd);

/* Whole-string numbers within [min, max]; 0 on success. */
int cf_parse_long(const char *s, long min, long max, long *out);
int cf_parse_double(const char *s, double min, double max, double *out);

/* ---- config.c: $XDG_CONFIG_HOME/confab/config (see confab.5) ---- */

/* Reads the file, on the first call only: jv_true(), or its error
 * (CF_EX_CONFIG, naming path:line), the same each time it is asked. */
CF_MUST jv cf_config_load(void);
/* Returns the value of "section.key" (or "key" for the [defaults] section),
 * borrowed from the loaded config, or NULL.  The file is read on first use;
 * a malformed file holds no keys: a function that reads the config returns
 * cf_config_load()'s error first. */
const char *cf_config_get(const char *key);
/* The path that is (or would be) read. */
const char *cf_config_path(void);
/* The names of the file's sections but [defaults], in its order, each
 * once: a jv array of strings (chat-models: the configured providers). */
CF_MUST jv cf_config_sections(void);
/* Who is making a change, for messages, edits, reactions and notes: the
 * config's "user", else the role of the first PostgreSQL store the process
 * opened (cf_store_open), else cf_user_login().  Borrowed; never NULL.
 * The library's writers ask cf_store_user() instead, which goes by the
 * store they write to. */
const char *cf_user_name(void);
/* $USER, else the login name of the real uid, else "unknown". */
const char *cf_user_login(void);

/* ---- store.c: the SQLite file ---- */

#define CF_SCHEMA_VERSION 7
/* PRAGMA application_id of every store confab makes: "CFAB". */
#define CF_APP_ID 0x43464142
#define CF_APP_ID_SQL "1128677698"

typedef struct cf_sql cf_sql;
typedef struct cf_store cf_store;
/* store.c: who writes to st: the config's "user", else on PostgreSQL the
 * role st is connected as, else cf_user_login().  Borrowed; never NULL. */
const char *cf_store_user(cf_store *st);

/* path NULL: $CHAT_DB, else $XDG_DATA_HOME/confab/chat.db, else
 * ~/.local/share/confab/chat.db.  Creates folders and the file (0600),
 * applies migrations.  NULL with *err (CF_EX_STORE, or CF_EX_CONFIG for a
 * bad config) on failure. */
cf_store *cf_store_open(const char *path, jv *err);
/* The same, for programs that only read (CF_STORE_READ): a store they may
 * not write (a read-only mount, another user's 0644 file) is opened
 * read-only, immutable when its WAL files cannot be made.  A writer
 * (CF_STORE_WRITE) on such a store fails "the store is read-only".  A
 * file that is another program's database (another application_id, or
 * tables and no confab schema) is refused untouched, CF_EX_STORE. */
enum { CF_STORE_WRITE, CF_STORE_READ };
/* Or'ed into the mode: CF_STORE_EXISTING refuses a file that is not there
 * (CF_EX_STORE) rather than creating it and its folders, for a path the
 * user typed; cf_open (cmd/) adds it for every --db but where the program
 * was given CF_STORE_CREATE (chat-new, chat-import). */
enum { CF_STORE_EXISTING = 4, CF_STORE_CREATE = 8 };
/* CF_STORE_REPLICA (with CF_STORE_READ): path is a PostgreSQL hot standby,
 * read as it is.  Nothing is written there: no migration (a schema other
 * than this program's is refused, CF_EX_STORE, with what to do), no spool
 * replayed; a path that is not PostgreSQL is refused (CF_EX_USAGE). */
enum { CF_STORE_REPLICA = 16 };
cf_store *cf_store_open_mode(const char *path, int mode, jv *err);
int cf_store_readonly(cf_store *st);
void cf_store_close(cf_store *st);
cf_sql *cf_store_db(cf_store *st);
/* The path resolution alone, for messages and tests (static buffer);
 * NULL when there is neither CHAT_DB nor HOME. */
const char *cf_store_default_path(void);
/* A PostgreSQL connection string (postgresql://, postgres://, or libpq's
 * key=value pairs) rather than a SQLite file? */
int cf_store_is_pg(const char *path);
/* A store's name without the sqlite:// that chat-import's sources may
 * carry (sqlite:///abs/path is /abs/path): a SQLite file's path, or a
 * PostgreSQL connection string (cf_store_is_pg). */
const char *cf_store_name(const char *name);
/* The error for a store file that is not there, where the user named it
 * (CF_STORE_EXISTING). */
CF_MUST jv cf_store_missing(const char *file);

/* One change, one transaction: begin waits for its turn among the writers,
 * in arrival order (PATH-lock), then takes the write lock up front (BEGIN
 * IMMEDIATE) so concurrent writers queue instead of failing on a lock
 * upgrade; after busy-timeout (confab.5) it gives up with CF_EX_STORE.
 * Both return jv_true() or an error; a failed begin or commit leaves no
 * transaction open and the turn given back.  Commit and rollback end the
 * turn. */
CF_MUST jv cf_store_begin(cf_store *st);
CF_MUST jv cf_store_commit(cf_store *st);
/* Ends a transaction without its changes, if one is open; never fails. */
void cf_store_rollback(cf_store *st);
/* Many messages about to be written into session sid (NULL: no more), in
 * the open transaction: PostgreSQL adds them to the session's counts
 * once, at the next cf_store_bulk or the commit, rather than a row at a
 * time (whose row versions make a long write slower with each row).
 * Until then the session's counts and last_updated are stale: end the
 * bulk before reading or changing the session's row.  Nothing on SQLite. */
CF_MUST jv cf_store_bulk(cf_store *st, const char *sid);
/* The error (CF_EX_STORE) for what failed, with SQLite's message and, for
 * a full disk or a busy store, what to do. */
CF_MUST jv cf_store_error(cf_store *st, const char *what);
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
	/* the session's last_updated before the row and the row's time: a
	 * row dropped unused puts the first back (a failed --retry changes
	 * nothing) */
	long long before, at;
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
 * text[len] must be readable: a NUL there spares the index a copy of a
 * long reply.  Consumes meta. */
CF_MUST jv cf_reply_finish(struct cf_reply_row *r, jv meta, const char *text,
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
CF_MUST jv cf_spool_write(cf_store *st, jv turn, const char *reason);
/* Stores this store's spooled turns, each in one transaction, and
 * removes them: how many.  A turn that still does not fit stays for the
 * next time.  Run by cf_store_open. */
int cf_spool_replay(cf_store *st);

/* ---- session.c: sessions as records ---- */

/* Reads one session record by full id; jv_invalid() when there is none,
 * or an error. */
CF_MUST jv cf_session_get(cf_store *st, const char *id);
/* Inserts a session record.  Missing id, times, settings and metadata are
 * filled in; returns the stored record, or an error (CF_EX_DATA for a
 * malformed time, CF_EX_STORE). */
CF_MUST jv cf_session_insert(cf_store *st, jv rec);
/* Writes name, provider, model, settings, tags, starred, archived of a
 * record whose id exists: jv_true() or an error.  So does delete. */
CF_MUST jv cf_session_update(cf_store *st, jv rec);
CF_MUST jv cf_session_delete(cf_store *st, const char *id);

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
	const char *author;      /* with a message whose author this is */
	const char *search;      /* FTS over names and message content */
	int color;               /* snippet highlight with ANSI, else ** */
	/* Paging (chat-serve's cursor): with after_n > 0, only the rows after
	 * the one whose (lastUpdated ms, row number) is (after_updated,
	 * after_n) in the listing's order; key, when not NULL, gets each row's
	 * own pair just before fn is given the row. */
	int64_t after_updated, after_n;
	int64_t *key;
	/* At most this many rows (0: all), for a caller whose fn stops at
	 * that many: PostgreSQL makes every row of a query at its first step,
	 * SQLite as they are stepped. */
	int64_t limit;
};

/* Calls fn for each matching session, most recently updated first; fn
 * consumes the record and returns nonzero to stop.  With a search, each
 * record carries "match": {"messageId", "snippet"}.  jv_true(), or an
 * error (a usage error for a search FTS5 cannot read). */
CF_MUST jv cf_session_list(cf_store *st, const struct cf_filter *f,
                     int (*fn)(jv rec, void *ctx), void *ctx);
/* search.c: the words of a search (chat-ls(1)) as an FTS5 query, "" when
 * there is nothing to search for; NULL with *why saying what is wrong. */
char *cf_search_query(const char *text, const char **why);

/* ---- message.c: messages as records ---- */

/* Appends a message record to its session (rec.sessionId, or sid when not
 * NULL); fills id, timestamp and empty metadata; returns the stored record,
 * or an error (CF_EX_DATA for a malformed record, CF_EX_STORE).  The
 * session's messageCount, totalTokens and lastUpdated follow through
 * triggers. */
CF_MUST jv cf_message_insert(cf_store *st, const char *sid, jv rec);
/* How many people wrote sid's messages (distinct known authors), a jv
 * number, or an error. */
CF_MUST jv cf_session_authors(cf_store *st, const char *sid);
/* The same without reading the record back (its id is put in id); text,
 * when not NULL, is the content (len bytes of valid UTF-8) in place of
 * rec.content, bound where it lies.  jv_true() or an error. */
CF_MUST jv cf_message_add(cf_store *st, const char *sid, jv rec, const char *text,
                  size_t len, char id[37]);
/* By full id; jv_invalid() when there is none, or an error. */
CF_MUST jv cf_message_get(cf_store *st, const char *id);
/* Messages of a session in order.  last > 0: only the last `last`;
 * upto: stop after the message with this id (NULL: all).  jv_true() or
 * an error (what fn was given before it is consumed). */
CF_MUST jv cf_message_list(cf_store *st, const char *sid, long last,
                   const char *upto, int (*fn)(jv rec, void *ctx),
                   void *ctx);
/* A page of session sid's messages in order, each record with "seq" (its
 * place in the session, chat-serve's event id): those with after < seq <
 * before (0: no bound), the first limit of them, or with from_end the
 * last limit (limit <= 0: all).  As cf_message_list for fn. */
/* chat-show --follow: the last `first` messages (0: all), then each one
 * as it is committed, by anyone, until fn returns non-zero or the session
 * is deleted (CF_EX_NOTFOUND).  A reply still arriving is passed once it
 * is whole; a dropped PostgreSQL connection is made again, nothing
 * missed (follow.c). */
CF_MUST jv cf_follow(cf_store *st, const char *sid, long first,
                     int (*fn)(jv rec, void *ctx), void *ctx);
CF_MUST jv cf_message_page(cf_store *st, const char *sid, int64_t after,
                           int64_t before, long limit, int from_end,
                           int (*fn)(jv rec, void *ctx), void *ctx);
/* Message id's seq: a number, jv_invalid() when there is no such
 * message, or an error. */
CF_MUST jv cf_message_seq(cf_store *st, const char *id);
/* Copies the messages of session from, up to and including the message
 * upto (NULL: all), with their attachments, into session to under new ids.
 * Returns how many were copied (a number), or an error. */
CF_MUST jv cf_message_copy_all(cf_store *st, const char *from, const char *to,
                       const char *upto);
/* A new session from src's messages up to and including message at (an
 * id or unique prefix within src; NULL: all of them), in one transaction:
 * named name, else "NAME (branch)" or, with dup, "NAME (copy)"; a branch
 * records its parent and branch point, a copy neither.  Borrows src;
 * returns the stored record (chat-branch, confab's /branch). */
CF_MUST jv cf_session_branch(cf_store *st, jv src, const char *at, const char *name,
                     int dup);

/* merge.c: session src's messages into dst in one transaction (chat-merge,
 * confab's /merge), with their attachments, under new ids, each with
 * metadata.mergedFrom {session, message}: after dst's (or, with
 * CF_MERGE_INTERLEAVE, among them by timestamp, each side keeping its
 * order, seq renumbered); from a branch of dst (or into one of src) only
 * those after the branch point.  dst's metadata.merges records it
 * ({source, sourceName, messages, at, interleave, after, sourceRemoved});
 * CF_MERGE_REMOVE deletes src.  Merged before and nothing new since:
 * nothing changes and *taken is -1; else *taken is how many.  Borrows src
 * and dst (read again under the lock); returns dst's record, or an error
 * (a usage error for a session into itself, CF_EX_NOTFOUND when one went
 * meanwhile), the store unchanged. */
enum { CF_MERGE_INTERLEAVE = 1, CF_MERGE_REMOVE = 2 };
CF_MUST jv cf_session_merge(cf_store *st, jv src, jv dst, int flags, long *taken);

/* Stores a file's bytes as an attachment of a message; type is "text" or
 * "image".  jv_true() or an error. */
CF_MUST jv cf_attachment_insert(cf_store *st, const char *msg_id, const char *type,
                        const char *name, const char *mime,
                        const void *data, size_t size);
/* A message's attachments with their content: [{type, name, mimeType,
 * text}] for text, [{..., data: base64}] for the rest; or an error. */
CF_MUST jv cf_attachments_of(cf_store *st, const char *msg_id);
/* The largest attachment chat-send attaches and chat-import takes, in
 * bytes, in *max: the config's attach-max, or 20 MiB; a bad value is
 * CF_EX_CONFIG. */
CF_MUST jv cf_attach_limit(long *max);
/* The same through the bridge (cf_raise), for chat-send.c. */
long cf_attach_max(void);
/* A size for people: "20 MiB", "1 KiB", "1025 bytes". */
void cf_size_text(long n, char *out, size_t len);
/* Base64 of n bytes, as a jv string (base64.c, with the decoders). */
CF_MUST jv cf_base64(const void *data, size_t n);

/* ---- ref.c: naming sessions by argument or by record ---- */

/* A full id, a unique id prefix of 4 or more characters, or an exact name.
 * Returns the session record, or an error: CF_EX_NOTFOUND, or
 * CF_EX_AMBIGUOUS with the candidates listed. */
CF_MUST jv cf_resolve_session(cf_store *st, const char *ref);
/* The same for messages, by id or prefix; sid limits the search to one
 * session when not NULL.  */
CF_MUST jv cf_resolve_message(cf_store *st, const char *ref, const char *sid);

/* The sessions a program works on, in order: the arguments, or when there
 * are none (or one is "-") the session records read from stdin.  All are
 * read and resolved before any is returned, so a malformed line (an error
 * naming its line number) changes nothing.  stdin on a terminal with no
 * arguments is a usage error.  Returns a jv array of session records, or
 * the first error. */
CF_MUST jv cf_sessions_from_args(cf_store *st, int argc, char **argv);
/* The same for messages (chat-rm --message): ids or prefixes, or message
 * records (chat-show --json's) on stdin, resolved before any is
 * returned. */
CF_MUST jv cf_messages_from_args(cf_store *st, int argc, char **argv);
/* Reads the next JSON record, one a line (blank lines skipped): the
 * record, jv_invalid() at the end, or an error (CF_EX_DATA naming
 * name:line for a line that is not one JSON object; CF_EX_FAIL for a read
 * error).  *lineno counts lines. */
CF_MUST jv cf_read_record(FILE *f, const char *name, long *lineno);

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
/* After writing: jv_true(), or what went wrong with stdout: a closed pipe
 * is an error of status CF_EX_OK (stop, quietly, with success), any other
 * write error CF_EX_FAIL. */
CF_MUST jv cf_out_error(void);
/* Writes one record and a newline to stdout, consuming rec; then as
 * cf_out_error. */
CF_MUST jv cf_out_record(jv rec);
/* Flush and check; call before returning from main. */
int cf_out_finish(int status);

/* cmd/cmd.c: cf_out_error as an exit (human.c's bridge until it returns
 * its errors). */
void cf_out_check(void);
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
/* The one terminal sanitiser, for text that comes in pieces: n bytes of s
 * to out, each control character (C0 but newline and tab, DEL, C1) a
 * space, or nothing when drop is set.  With c2 (0 at the start), a piece
 * that ends in the lead byte of a C1 control leaves it to the next; write
 * 0xc2 yourself if *c2 is still set at the end. */
void cf_clean_write(FILE *out, const char *s, size_t n, int *c2, int drop);

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
/* The value at a dotted path of v (borrowed), "choices.0.delta.content",
 * or jv_null(); cf_jlong the number there, -1 when it is none (or is no
 * count: negative, or past 2^53). */
CF_MUST jv cf_jpath(jv v, const char *path);
long cf_jlong(jv v, const char *path);

/* ---- filter.c: jq programs as filters ---- */

typedef struct cf_jq cf_jq;
/* Compiles a jq program: NULL with *err for a syntax error (CF_EX_USAGE,
 * jq's message prefixed by opt). */
cf_jq *cf_jq_compile(const char *program, const char *opt, jv *err);
/* Borrows rec: is the program's first output neither false nor null?
 * jv_true() or jv_false(), or an error for a runtime error (CF_EX_DATA). */
CF_MUST jv cf_jq_true(cf_jq *q, jv rec);
void cf_jq_free(cf_jq *q);

/* ---- settings.c: the options chat-new and chat-set share ---- */

/* The most tags a session holds (cf_settings_apply refuses more). */
#define CF_TAGS_MAX 256

/* Session fields set from the command line or the config: NULL / -1
 * fields stay as they are.  An empty temperature or system clears it. */
struct cf_settings {
	const char *origin;      /* NULL: options; else the config's path */
	const char *name, *provider, *model, *system;
	const char *temperature, *max_tokens, *context_window;
	int auto_context, starred, archived;   /* -1 unset, 0 off, 1 on */
	const char **tags, **untags;           /* NULL-terminated */
	int ntags, nuntags;
	const char **options; int noptions;    /* -o KEY=VALUE (KEY= removes), in order:
	                                        * metadata.options, the provider options
	                                        * every message of the session sends */
	int send_history;                      /* settings.sendHistory: -1 unset, 0, 1 */
};
void cf_settings_init(struct cf_settings *s);
void cf_settings_add_tag(struct cf_settings *s, const char *tag, int remove);
void cf_settings_add_option(struct cf_settings *s, const char *kv);
/* Applies the settings to a session record (consumed), validating each
 * value: the new record, or an error (CF_EX_USAGE naming the option, or
 * CF_EX_CONFIG naming the file). */
CF_MUST jv cf_settings_apply(jv rec, const struct cf_settings *s);
/* The same checks without a record: jv_true(), or the error value
 * (CF_EX_USAGE naming the option, CF_EX_CONFIG naming the file). */
CF_MUST jv cf_settings_check(const struct cf_settings *s);
/* A new session's record, not yet stored (chat-new, confab's /new):
 * built-in defaults, under the config's, under s; or an error. */
CF_MUST jv cf_settings_new(const struct cf_settings *s);
/* In the caller's transaction: session id with s applied, stored and read
 * back (chat-set, confab's commands); jv_invalid() when it is gone, or an
 * error. */
CF_MUST jv cf_settings_store(cf_store *st, const char *id, const struct cf_settings *s);
/* access.c: who sees a session on a PostgreSQL store (confab(7),
 * Sharing), asked of the database, whose row-level security decides.
 * ops in the order given: share (1) or unshare (0) a role; private_ -1
 * unchanged, 0 public, 1 private.  Roles are borrowed; free(a.ops). */
struct cf_access {
	struct { const char *role; int share; } *ops;
	int nops;
	int private_;
};
void cf_access_init(struct cf_access *a);
void cf_access_add(struct cf_access *a, const char *role, int share);
int cf_access_any(const struct cf_access *a);
/* jv_true(), or CF_EX_USAGE when a change is asked of a SQLite store,
 * which has no roles. */
CF_MUST jv cf_access_check(cf_store *st, const struct cf_access *a);
/* In the caller's transaction: the changes made to session id; jv_true(),
 * or an error: CF_EX_USAGE as cf_access_check, CF_EX_NOTFOUND, CF_EX_STORE
 * when the database refuses (not the owner; no such role). */
CF_MUST jv cf_access_store(cf_store *st, const char *id, const struct cf_access *a);
/* The config's defaults ([defaults] provider, model, system, temperature,
 * max-tokens, context-window, auto-context, tags) applied to rec, as
 * cf_settings_apply does. */
CF_MUST jv cf_settings_defaults(jv rec);
/* With a provider and no model: the config's [PROVIDER] model. */
CF_MUST jv cf_settings_default_model(jv rec);
/* What s, stored by cf_settings_store, did to the model without being
 * asked (a new provider takes its own default): a line saying so, for
 * stderr or confab's screen, or jv_invalid() when the model was named or
 * kept.  Borrows the session before and after. */
jv cf_settings_model_note(const struct cf_settings *s, jv before, jv after);
/* provider.c: known providers, for validation and messages: a built-in
 * protocol or a config section with a type; the built-ins' names,
 * "anthropic, openai, ...", from the one table of them. */
int cf_provider_known(const char *name);
const char *cf_provider_list(void);
/* The model provider name answers with when a session names none (the
 * config's [NAME] model, else its protocol's), or NULL; never raises. */
const char *cf_provider_default_model(const char *name);

/* A new session's name from the first line of its first message: cleaned
 * of control characters, at most 60 columns, "untitled" when empty. */
CF_MUST jv cf_session_name_from(const char *text);

/* Set from a signal handler: every call in progress stops soon after
 * (call.c), and the turn keeps what had arrived. */
extern volatile int cf_interrupted;

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
CF_MUST jv cf_files_load(struct cf_files *f, const char *const *paths, int n);
void cf_files_free(struct cf_files *f);
/* One attachment more from n bytes in memory named name (its last path
 * part kept), with the checks cf_files_load makes: jv_true(), or an error
 * (CF_EX_USAGE: over attach-max, or neither text nor an
 * image).  f comes from cf_files_load (n 0 for an empty one). */
CF_MUST jv cf_files_add(struct cf_files *f, const char *name, const void *p, size_t n);

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
	jv msg_context;           /* fields of the user message's context
	                           * ({pluginCommands: [...]}), or jv_null();
	                           * freed by cf_turn_release */
	int stream; long retries, timeout; double retry_time;
	int records;              /* 1 (the default): user and reply are read
	                           * back from the store; 0: left null, which
	                           * spares a long reply's copy */
	void (*on_text)(void *ctx, const char *s, size_t n);  /* reply text as it arrives (may be NULL) */
	void (*on_flush)(void *ctx);                           /* after each network chunk (may be NULL) */
	void (*on_note)(void *ctx, const char *line);          /* retry/fallback notices for people (may be NULL:
	                                                        * cf_warn) */
	/* The message is stored (or bound for the spool) and the request
	 * goes out now: from here a signal that sets cf_interrupted keeps
	 * what arrived; a program may start listening here (may be NULL). */
	void (*on_send)(void *ctx);
	/* The reply has ended (whole or not) and is about to be saved: a
	 * program may stop listening to signals here (may be NULL). */
	void (*on_end)(void *ctx);
	void *ctx;
	/* chat-send --edit and --retry: again names a stored message to
	 * answer again (nothing new is stored; the context ends with it).
	 * With edit, text (len) is first made its content and the messages
	 * after it go, kept as a branch (cf_edit_resend_in), in the turn's
	 * first transaction.  replace names the reply the new one takes the
	 * place of (cf_retry_fold), or is NULL. */
	const char *again, *replace;
	int edit;
	/* Tools (tools.c, cf_turn_tools): offered to the model, [{plugin,
	 * name, description, input_schema}], or jv_null() for the plugins'
	 * (cf_plugin_tools); cf_turn_tools makes it cf_tools_offered's
	 * list, which cf_turn_run sends.  tool_rounds: the most rounds of
	 * calls run in one turn (config tool-rounds, default 8). */
	jv tools;
	long tool_rounds;
	/* May a call run?  call {id, name, plugin, tool, description,
	 * input} is borrowed; returns a CF_TOOL_*.  NULL: every call is
	 * denied. */
	int (*on_tool)(void *ctx, jv call);
	/* After each call: its tool_result part with outcome ("ran",
	 * "denied", "invalid", "unknown", "not run"), borrowed (may be NULL). */
	void (*on_tool_result)(void *ctx, jv call, jv result);
	/* After a round's results are stored: the reply that asked and the
	 * results message, borrowed (may be NULL). */
	void (*on_tool_round)(void *ctx, jv reply, jv results);
	/* Activity context (actctx.c): a selection to attach to the message
	 * (consumed), or jv_null(): then a session whose autoContext is on
	 * attaches the events since its last message, said through on_note. */
	jv activity;
	/* out */
	jv branch;                /* the branch --edit kept the old line in, or jv_null() */
	jv user, reply;           /* the stored records (jv_null() when none); the caller frees them */
	int exit;                 /* CF_EX_* of the outcome (CF_EX_SIGINT... when interrupted, CF_EX_SPOOLED when spooled) */
	char provider[64], model[256];
	/* Set before on_send: the ids the turn's records get (the reply's
	 * even when it goes to the spool).  user_id stays empty unless the
	 * message was stored or is bound for the spool. */
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
CF_MUST jv cf_turn_config(struct cf_turn *t);
/* jv_true(), or an error value (cf_error: status + one line, no program name) — the partial reply is
   kept and marked incomplete on interrupt or a provider that hangs up; the turn is spooled when the
   store cannot take it. Never ends the process; frees everything on every path. */
CF_MUST jv cf_turn_run(struct cf_turn *t);
/* While cf_turn_run runs (from a callback): the reply so far, len bytes
 * of valid UTF-8, valid until the callback returns.  A fallback starts
 * it again from nothing. */
const char *cf_turn_text(struct cf_turn *t, size_t *len);
/* The same for the reply's typed parts: the parts ended so far (its
 * r.parts: null until a non-text part came) and the one still open (or
 * null), both borrowed until the callback returns (thinking shown as it
 * streams, cf_thinking_follow). */
void cf_turn_parts(struct cf_turn *t, jv *parts, jv *open);
/* From a callback that waits (for a reader that stopped reading): saves
 * what arrived so far, at most every 0.2 s. */
void cf_turn_save(struct cf_turn *t);
void cf_turn_release(struct cf_turn *t);
/* "PROVIDER[:MODEL]" as a link of fallbacks ({provider, model}), or an
 * error value (CF_EX_USAGE). */
CF_MUST jv cf_turn_fallback(const char *spec);

/* ---- tools.c: the model calls plugins' tools ---- */

/* What on_tool answers: no, yes, yes (and the caller need not ask about
 * this tool again), or no to this and every call left in the round, and
 * no round after it. */
enum { CF_TOOL_DENY, CF_TOOL_ALLOW, CF_TOOL_ALWAYS, CF_TOOL_STOP };
/* cf_turn_run, then as long as the reply asks for tools: each call
 * answered (run when on_tool allows it) and the results stored as a
 * message, and the turn run again to answer them, up to t->tool_rounds
 * rounds.  A tool that does not exist or arguments its input_schema
 * refuses are answered as an error, never run.  Returns the last round's
 * cf_turn_run result, or the store's error for a results message. */
CF_MUST jv cf_turn_tools(struct cf_turn *t);
/* The plugins' tools (consumed) as they are offered: each with its
 * name on the wire ([A-Za-z0-9_-], at most 64; PLUGIN__TOOL where two
 * plugins' tools share a name) in name, and plugin, tool, description,
 * input_schema; tools without a plugin, a name or a schema left out. */
CF_MUST jv cf_tools_offered(jv list);
/* Does name (from --allow-tool) name the offered call's tool: its wire
 * name, or PLUGIN:TOOL?  Borrows call. */
int cf_tool_named(jv call, const char *name);
/* The tool calls of a message (borrowed), a line each, "tool call: NAME
 * ARGUMENTS\n", for the views and exports that show a reply whose text
 * alone says nothing of them; "" when it has none.  For free(); not
 * cleaned (each view cleans or escapes it its own way). */
char *cf_tool_calls_text(jv msg);
/* Is msg (borrowed) only answers to tool calls (tool_result parts)?  The
 * context does not start with one: the calls it answers are before the
 * context window, and a provider refuses an answer to no call. */
int cf_tool_answers(jv msg);
/* The context (consumed) with each reply's tool calls followed by the
 * message answering them: answers stored later (another program sent
 * to the session while a tool ran) moved up to their calls; calls never
 * answered (a program killed while its tool ran) left out of their
 * reply, and a reply of nothing else with them; answers to no call left
 * out.  A provider refuses a call without its answer, an answer without
 * its call, and anything between the two. */
CF_MUST jv cf_tool_pairs(jv msgs);

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
CF_MUST jv cf_price_models(void);
/* usd as people read it: "$0" for nothing, 4 decimals from a cent up
 * ("$1.2345"), 3 significant digits below ("$0.0000186", not "$0.0000"). */
void cf_money(double usd, char *out, size_t n);
/* What tokens cost at the given prices, rounded to 1e-10 USD. */
double cf_cost_of(double in_tokens, double out_tokens, double in_price,
                  double out_price);
/* A reply's cost in USD as a jv number, or jv_null() when the model has no
 * price or either count is not a number.  Consumes the two counts. */
CF_MUST jv cf_cost(const char *model, jv input_tokens, jv output_tokens);
/* A model's prices, each per million tokens: what the list gives, else
 * the rate it falls back to (cache reads and writes: input; reasoning:
 * output).  0 when the model has no price. */
struct cf_prices {
	double input, output, cache_read, cache_write_5m, cache_write_1h, reasoning;
};
int cf_prices(const char *model, struct cf_prices *p);
/* The prices the list gives a model (as cf_price finds its entry), only
 * those it names: {input, output, cacheRead?, cacheWrite5m?,
 * cacheWrite1h?, reasoning?}; jv_null() when it has none (chat-models). */
CF_MUST jv cf_price_entry(const char *model);
/* What tokens cost, each kind at its own rate, rounded to 1e-10 USD.
 * in and out are all the input and output tokens: the cache reads and
 * writes are part of in, the reasoning tokens part of out (confab.7). */
double cf_cost_split(const struct cf_prices *p, double in, double out,
                     double cache_read, double cache_write_5m,
                     double cache_write_1h, double reasoning);
/* A reply's cost from its metadata (borrowed: inputTokens, outputTokens
 * and the cache and reasoning counts), or jv_null() as cf_cost. */
CF_MUST jv cf_cost_meta(const char *model, jv meta);

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
	double estimated;        /* replies whose output tokens are a guess
	                          * (tokensEstimated: cut mid-stream) */
	/* the parts of input_tokens read from and written to a prompt cache,
	 * and of output_tokens spent reasoning */
	double cache_read, cache_write_5m, cache_write_1h, reasoning_tokens;
};
/* Calls fn once per group of replies (session, then provider, then model,
 * in that order, sorted); jv_true() or an error. */
CF_MUST jv cf_usage_list(cf_store *st, const struct cf_usage_query *q,
                 void (*fn)(const struct cf_usage *u, void *ctx), void *ctx);

/* ---- import.c: other tools' histories in (chat-import) ---- */

enum { CF_IMPORT_AUTO, CF_IMPORT_CONFAB, CF_IMPORT_CHATGPT, CF_IMPORT_CLAUDE,
       CF_IMPORT_LLM };
/* "auto", "confab", "chatgpt", "claude" or "llm" as a CF_IMPORT_*; -1 when
 * it is none of them. */
int cf_import_format(const char *name);
/* Reads one file (path; NULL: stdin), named name in messages, in format
 * (CF_IMPORT_AUTO: told by its contents), and appends a plan per session
 * to plans, which it consumes and returns.  Nothing is written.  A
 * malformed file is an error value (cf_error: CF_EX_DATA naming where it
 * broke; CF_EX_FAIL when it cannot be read), plans freed with it.  (What
 * the failed item held is not all given back: the checks jump out of it.) */
CF_MUST jv cf_import_read(jv plans, const char *path, const char *name, int format);
/* Stores the plans in the caller's transaction.  A session whose id is
 * already in the store is skipped and counted in *skipped.  Consumes
 * plans; returns the stored session records, in order, or an error value
 * (an attachment's file changed while it was read) for the caller to
 * roll back. */
CF_MUST jv cf_import_write(cf_store *st, jv plans, long *skipped);

/* ---- editor.c, edit.c: editing messages (chat-edit, chat-send --edit
 * and --retry, confab's /edit and /retry) ---- */

/* text in $VISUAL, else $EDITOR, else vi, started with execvp (its words
 * split on blanks, no shell) on a new 0600 file in $TMPDIR named
 * NAME-XXXXXX.md: what the editor left there, or an error value
 * (CF_EX_FAIL: it could not start, failed or was killed). */
CF_MUST jv cf_editor_run(const char *text, const char *name);

/* Message id's content replaced by text (len bytes), the old content
 * appended to metadata.edits as a ChatEdit (content, timestamp, editedBy:
 * cf_user_name()), the full-text index following through the triggers.
 * The same text changes nothing (*changed 0); with loose, trailing
 * newlines do not count (an editor's).  Empty text is CF_EX_USAGE; a
 * message gone (deleted by another program) CF_EX_NOTFOUND; a reply still
 * arriving CF_EX_FAIL.  cf_edit_in works in the caller's transaction and
 * returns jv_true(); cf_edit_message in its own, returning the message's
 * record as it is now. */
CF_MUST jv cf_edit_in(cf_store *st, const char *id, const char *text, size_t len,
                      int loose, int *changed);
CF_MUST jv cf_edit_message(cf_store *st, const char *id, const char *text,
                           size_t len, int loose, int *changed);
/* A message record's versions, oldest first, the current one last:
 * [{type: "version", messageId, version (from 1), current, content,
 * replaced, replacedBy (null for the current one), kind, model (a
 * retried reply's)}].  Borrows msg. */
CF_MUST jv cf_edit_versions(jv msg);
/* Version n of message id back as its content, recorded as an edit, in
 * one transaction: the record, or an error (CF_EX_USAGE for no such
 * version). */
CF_MUST jv cf_edit_revert(cf_store *st, const char *id, long version, int *changed);
/* chat-send --edit, in the caller's transaction: user message id gets
 * text (recorded as an edit unless it is the same), and the messages
 * after it go, kept first as the old line whole in a new session
 * "NAME (before edit)", a branch of this one (parentSessionId) made at
 * the message before id (branchPoint; null when id is the first).  That
 * branch's record in *branch, or jv_null() when nothing came after id. */
CF_MUST jv cf_edit_resend_in(cf_store *st, const char *id, const char *text,
                             size_t len, jv *branch);
/* chat-send --retry: what session sid asks again.  Its last message a
 * reply: reply its id, prompt the message before it; a user message (no
 * reply came): prompt its id, reply "".  CF_EX_USAGE when there is
 * nothing to retry. */
CF_MUST jv cf_retry_target(cf_store *st, const char *sid, char prompt[37],
                           char reply[37]);
/* In the caller's transaction: reply old_id takes new_id's content and
 * figures (new_id, a whole reply row, goes), the old ones appended to its
 * edits as a ChatEdit of kind "retry" with model, tokens, inputTokens,
 * outputTokens, cost, provider and stopReason (those it had). */
CF_MUST jv cf_retry_fold(cf_store *st, const char *old_id, const char *new_id);
/* chat-send --edit's and --retry's session: by full id, or (id NULL)
 * the one most recently updated, archived ones aside; CF_EX_NOTFOUND when
 * there is none. */
CF_MUST jv cf_session_of(cf_store *st, const char *id);
/* branch.c: cf_session_branch's work in the caller's transaction: a new
 * session from src (borrowed) with its messages up to and including upto
 * (NULL: all), recorded as a branch made at message point (NULL: none)
 * unless dup.  The stored record, or an error. */
CF_MUST jv cf_session_branch_in(cf_store *st, jv src, const char *point,
                                const char *upto, const char *name, int dup);
/* ---- diff.c: comparing sessions, and a message's versions (chat-diff,
 * confab's /diff) ---- */

/* Myers' shortest edit script between n items of a and m of b, equal
 * items given as equal numbers: in *script (malloc'd, the caller frees
 * it), a byte an item in order, '=' (in both), '-' (a's only), '+' (b's
 * only); its length, or -1 (nothing allocated) when it would take more
 * than max_d removes and adds (max_d < 0: no limit). */
long cf_diff_script(const uint32_t *a, size_t n, const uint32_t *b, size_t m,
                    long max_d, char **script);
/* The word-level diff of a (na bytes) and b (nb bytes), in pieces: op
 * '=' (len bytes at a + a, the same at b + b), '-' (at a + a, a's only),
 * '+' (at b + b, b's only).  The '=' and '-' pieces in order spell a, the
 * '=' and '+' pieces spell b.  A token is a word (a run of letters,
 * digits, '_' and bytes of UTF-8 sequences) or any other character, with
 * the blanks after it; a piece never cuts a word.  Texts more than 1,000 tokens apart (after their
 * common ends), or whose middles are over 256 KiB, are one piece removed
 * and one added.  The count; *out is malloc'd. */
struct cf_wdiff {
	char op;
	size_t a, b, len;
};
size_t cf_word_diff(const char *a, size_t na, const char *b, size_t nb,
                    struct cf_wdiff **out);
/* Two sessions (records, borrowed) compared: their common part (the
 * equal messages, same role and content, they start with), then what
 * differs.  Memory follows what differs, not the common part.  jv_true()
 * and *out, or an error. */
typedef struct cf_diff cf_diff;
CF_MUST jv cf_diff_sessions(cf_store *st, jv a, jv b, cf_diff **out);
/* A message record's version (from 1, as chat-edit --history numbers
 * them; 0: the one before the current) against its current one;
 * CF_EX_USAGE when it was never edited or has no such version.  Borrows
 * msg. */
CF_MUST jv cf_diff_versions(jv msg, long version, cf_diff **out);
/* 1 when anything was added, removed or changed. */
int cf_diff_differ(const cf_diff *d);
/* d written to f for people (a unified diff, color in SGR when color is
 * set), as a summary, or as records (chat-diff(1)); jv_true(), or the
 * write error (on stdout, cf_out_error's). */
enum { CF_DIFF_TEXT, CF_DIFF_STAT, CF_DIFF_JSON, CF_DIFF_JSON_STAT };
CF_MUST jv cf_diff_write(const cf_diff *d, FILE *f, int mode, int color);
void cf_diff_free(cf_diff *d);
/* ---- template.c: templates for new sessions (chat-template) ----
 *
 * A template is a JSON object (chat-template(1) has the keys): settings
 * and opening messages.  The user's are $XDG_CONFIG_HOME/confab/
 * templates/NAME.json; the shipped ones share/confab/templates/NAME.json,
 * found beside the executable (bin/../share/confab) or in the installed
 * share folder; a user's hides a shipped one of the same name.  Records:
 * {"type": "template", "name", "origin": "user"|"shipped", "path",
 * "template": {...}}.  A broken file is CF_EX_CONFIG, "PATH:LINE:COL:
 * what" for bad JSON, "PATH: ..." naming the key otherwise. */

/* jv_true(), or a usage error: a name is letters, digits, '.', '_' and
 * '-', starting with a letter or digit, at most 64 bytes. */
CF_MUST jv cf_template_name_check(const char *name);
/* The two folders (the shipped one even when it is not there). */
const char *cf_template_user_dir(void);
const char *cf_template_shipped_dir(void);
/* Checks a template's keys and values (where names it in errors);
 * consumes tpl, returns it or the error. */
CF_MUST jv cf_template_check(jv tpl, const char *where);
/* The template NAME's record, the user's first: CF_EX_NOTFOUND when there
 * is none, CF_EX_CONFIG when it is broken. */
CF_MUST jv cf_template_get(const char *name);
/* Every template's record, sorted by name; a broken one has no
 * "template" but an "error", one the user's hides "overrides" (the
 * shipped file's path). */
CF_MUST jv cf_template_list(void);
/* A template of session's settings (consumed), and its messages' roles
 * and contents with with_messages. */
CF_MUST jv cf_template_from_session(cf_store *st, jv session, int with_messages);
/* s over tpl's settings (consumed), checked as chat-set checks them. */
CF_MUST jv cf_template_apply(jv tpl, const struct cf_settings *s);
/* "ROLE:TEXT" appended to tpl's opening messages; a usage error for
 * another form. */
CF_MUST jv cf_template_add_message(jv tpl, const char *spec);
/* Writes tpl (consumed) as the user's NAME.json, 0600, whole or not at
 * all; an existing one only with replace.  Its record, or an error. */
CF_MUST jv cf_template_save(const char *name, jv tpl, int replace);
/* Removes the user's NAME.json: its record ("uncovers": the shipped file
 * now seen), CF_EX_NOTFOUND, or CF_EX_FAIL for a shipped one. */
CF_MUST jv cf_template_remove(const char *name);
/* A new session from a template's record (or jv_null(): none), consumed,
 * and options: {"session": the record, not stored, "messages": [...]};
 * built-in defaults under the config's under the template's under s. */
CF_MUST jv cf_template_plan(jv trec, const struct cf_settings *s);
/* In the caller's transaction: the plan's session and its opening
 * messages stored; the session record as stored. */
CF_MUST jv cf_template_start(cf_store *st, jv plan);
/* For people: a table of records (consumed); one record (consumed). */
void cf_template_human_list(jv list);
void cf_template_human_show(jv rec);
/* ---- code.c: the fenced code of a message (chat-send --code, chat-show
 * --code) ---- */
/* The fenced code blocks of Markdown text as CommonMark reads it, in
 * order: [{lang, info, code}], info the fence's info string, lang its
 * first word ("" when none), code the content as written (the fence's
 * own indentation taken off each line, as CommonMark says).  Indented
 * code blocks are not fences and are not among them.  With lang not NULL,
 * only the blocks of that language: the same word in any case, or a
 * word the highlighter takes for the same language (sh, bash, shell). */
jv cf_code_blocks(const char *text, size_t len, const char *lang);
/* Code to a file, block by block: one block is its bytes exactly;
 * several end each with a newline and have an empty line between them.
 * On a terminal (tty set) control characters are made harmless as
 * cf_clean_write does. */
struct cf_code_out {
	FILE *f;
	int tty;
	int json;      /* cf_code_message: records to stdout instead */
	int count;     /* blocks written */
	int nl, c2;    /* the last ended with a newline; cf_clean_write's */
	int err;       /* the errno of the first write that failed, or 0 */
};
void cf_code_put(struct cf_code_out *o, const char *code, size_t n);
void cf_code_end(struct cf_code_out *o);
void cf_code_raw(struct cf_code_out *o, const char *s, size_t n);
/* A message record's code (consumed) through o, or with o->json a record
 * each to stdout: {type: "code", sessionId, messageId, index (from 0 in
 * the message), lang, info, code}.  jv_true(), or cf_out_record's error
 * (or, writing code, the same error for o->err). */
CF_MUST jv cf_code_message(struct cf_code_out *o, jv msg, const char *lang);

/* ---- models.c: the models providers offer (chat-models) ---- */
/* The providers chat-models asks when none is named, in order:
 * [{name, probe}]: anthropic, openai and gemini when a key is set or the
 * config has their section, each config section with a type, then
 * ollama, with probe set unless OLLAMA_HOST or an [ollama] section names
 * it (then it is listed only when it answers). */
CF_MUST jv cf_models_providers(void);
/* One provider's models from its models endpoint, or from
 * $XDG_CACHE_HOME/confab/models/NAME.json when that is younger than a day
 * and of the same base URL (never with refresh): [{provider, model,
 * created?, displayName?, contextWindow?, maxOutputTokens?, modified?,
 * prices: cf_price_entry's | null, cached}].  A failed fetch with a cache
 * gives the cache and a line in *note (a string, else null; also a cache
 * that could not be written).  Errors, one key-free line each:
 * CF_EX_USAGE an unknown provider, CF_EX_AUTH no key or a key refused,
 * CF_EX_PROVIDER, CF_EX_RATE, CF_EX_NETWORK.  With probe, a server that
 * is not there is jv_invalid() without a message. */
CF_MUST jv cf_models_list(const char *name, int refresh, int probe, jv *note);
/* Records from cf_models_list as a table for people (borrowed). */
void cf_models_table(jv list);

/* ---- thinking.c: a reply's thinking, for people ---- */
/* What a redacted thinking part shows, and the mark before each line of
 * thinking on a terminal. */
#define CF_THINKING_REDACTED "(redacted thinking)"
#define CF_THINKING_MARK "\u250a "
/* The thinking of a message record (borrowed) in order, a jv array of
 * strings: each thinking part's text, a redacted one as
 * CF_THINKING_REDACTED, a reasoning part's summary; parts with no words
 * (a signature alone) left out.  Empty without parts. */
CF_MUST jv cf_thinking_parts(jv msg);
/* The same joined by empty lines, malloc'd; NULL when there is none. */
char *cf_thinking_of(jv msg);
/* Thinking to a terminal as it comes: each line after CF_THINKING_MARK,
 * dimmed when color, controls made harmless (cf_clean_write); done ends
 * the last line and leaves an empty one before the reply's text. */
struct cf_thinking_out {
	FILE *f;
	int color;
	int bol, any, c2;   /* bol: 1 at the start */
	int part;           /* cf_thinking_follow's: -1 at the start */
	size_t off;
};
void cf_thinking_feed(struct cf_thinking_out *o, const char *s, size_t n);
void cf_thinking_done(struct cf_thinking_out *o);
/* A reply's thinking while it streams: of its parts so far (a reply's
 * r.parts, borrowed) and the part still open (borrowed, or null), what
 * was not fed yet is fed. */
void cf_thinking_follow(struct cf_thinking_out *o, jv parts, jv open);
/* A stored message's thinking, whole, as feed and done write it. */
void cf_thinking_show(jv msg, FILE *f, int color);

/* ---- human.c: edits, reactions and notes as people read them (chat-show
 * and every export but JSON) ---- */

/* Borrows msg: metadata[key] ("edits", "reactions", "notes") as an array,
 * [] when it has none. */
jv cf_msg_marks(jv msg, const char *key);
/* "(edited 2×) · 👍 2  🎉 1", or with who "👍 alice, bob": what a message
 * has of these; "" when nothing (malloc'd). */
char *cf_marks_line(jv msg, int who);
/* chat-show --history: every version of an edited message, and who
 * gave each reaction, in cf_human_message's output from now on. */
void cf_human_history(int on);
/* Each message's author in its heading ("user · alice", "assistant ·
 * model · for alice") from now on: chat-show turns it on for a session
 * of more than one author (cf_session_authors). */
void cf_human_authors(int on);
/* Borrows edit: the line over version i (from 0) of n in --history,
 * "version 1 of 3 · replaced 2026-11-24 07:51:00 UTC by alice" for an
 * edit of metadata.edits, "version 3 of 3 · current" for anything else
 * (jv_null()); chat-show and the exports word it alike (malloc'd). */
char *cf_version_head(jv edit, int i, int n);
/* Borrows note: " (alice, 2026-11-24 08:05:00 UTC): " (malloc'd). */
char *cf_note_head(jv note);

/* ---- marks.c: reactions, notes, deleting messages (chat-react,
 * chat-note, chat-rm --message; confab's /react, /note, /rm) ---- */

/* The longest note, in bytes (chat-note(1)). */
#define CF_NOTE_MAX 65536
/* 1 when s is one emoji as chat-react(1) words the rule: a pictograph
 * (with VS16, a skin tone, a tag sequence) or several joined by ZWJ, two
 * regional indicators, or a keycap. */
int cf_emoji_one(const char *s);
/* cf_user_name()'s emoji on message id, {emoji, user, timestamp} in
 * metadata.reactions, once per user and emoji; with remove, taken off.
 * One transaction; the message record as it is now, *changed 0 when it
 * already was so.  Not one emoji: CF_EX_USAGE; a message gone:
 * CF_EX_NOTFOUND; a reply still arriving: CF_EX_FAIL. */
CF_MUST jv cf_react(cf_store *st, const char *id, const char *emoji, int remove,
                    int *changed);
/* A note (text, len bytes; quote, words of the content it is about, or
 * NULL) on message id, in metadata.notes: the note's record ({type:
 * "note", messageId, id, author, timestamp, text, quote?}).  Empty, over
 * CF_NOTE_MAX, or a quote the content lacks: CF_EX_USAGE; not UTF-8:
 * CF_EX_DATA; as cf_react for the message. */
CF_MUST jv cf_note_add(cf_store *st, const char *id, const char *text, size_t len,
                       const char *quote);
/* The notes of message id (NULL: of every message, by session) as note
 * records with sessionId: an array. */
CF_MUST jv cf_note_list(cf_store *st, const char *id);
/* The note whose id is ref or starts with it (4 characters at least)
 * taken off its message (msg, a full id; NULL: any message); its record.
 * CF_EX_NOTFOUND, CF_EX_AMBIGUOUS (also one id on several messages, as a
 * branch copies notes). */
CF_MUST jv cf_note_rm(cf_store *st, const char *ref, const char *msg);
/* The messages of ids (an array of full ids, consumed) deleted in one
 * transaction, with their attachments; counts, tokens and the index
 * follow through the triggers, and a branch made at one of them loses
 * only its branchPoint.  All or nothing: a message gone or still
 * arriving is an error with nothing deleted. */
CF_MUST jv cf_messages_delete(cf_store *st, jv ids);

/* ---- plugin.c: plugins, executables named chat-plugin-NAME
 * (confab-plugin(7) is the protocol; chat-plugin(1), confab's /plugin) ---- */

/* The defaults of plugin-timeout (seconds) and plugin-output-max (bytes,
 * of the plugin's stdout), confab.5; plugin-messages: how many of the
 * session's last messages (since its latest /clear) go on stdin. */
#define CF_PLUGIN_TIMEOUT 30
#define CF_PLUGIN_OUTPUT_MAX (1L << 20)
#define CF_PLUGIN_MESSAGES 50

/* What a run did besides its records. */
struct cf_plugin_out {
	int exit;          /* its exit status, 128 + N when signal N ended it,
	                    * -1 when it did not start */
	int64_t at;        /* when it started, ms since the epoch */
	int added;         /* message records added to the session */
};

/* Every plugin: [{name, path}] sorted by name, one per name, the first
 * found winning: $XDG_DATA_HOME/confab/plugins/ (else
 * ~/.local/share/confab/plugins/) before each folder of $PATH in order.
 * Only executable regular files (or links to them) count. */
CF_MUST jv cf_plugin_list(void);
/* The path of plugin name, or CF_EX_NOTFOUND (an invalid name:
 * CF_EX_USAGE). */
CF_MUST jv cf_plugin_find(const char *name);
/* `chat-plugin-NAME --describe`, checked: {name, path, commands:
 * [{name, usage, description}], tools: [{name, description,
 * input_schema}]} (missing strings "", missing lists []); cached for the
 * process, errors included.  An error value (one line) for a plugin that
 * fails, hangs, or describes itself wrongly (CF_EX_DATA). */
CF_MUST jv cf_plugin_describe(const char *name);
/* `chat-plugin-NAME COMMAND ARGS...`: stdin the session record then its
 * last plugin-messages messages since its latest /clear (session: a
 * session record, consumed, or jv_null(): stdin empty, no
 * CONFAB_SESSION); the environment as confab-plugin(7) says.  Returns
 * the records it wrote, in order ([{type: text|context|message|...}];
 * message records as stored, with their ids), or one error value:
 * CF_EX_NOTFOUND (no such plugin), CF_EX_FAIL (not executable, exit not
 * 0, a signal, the time limit, an error record: its message),
 * CF_EX_DATA (output past plugin-output-max, a line that is not a
 * record), CF_EX_SIGINT (cf_interrupted was set: its process group is
 * killed), CF_EX_STORE.  The message records are added to the session
 * in one transaction after the plugin ended well, else none (st may be
 * NULL only when session is null).  out may be NULL. */
CF_MUST jv cf_plugin_run(cf_store *st, const char *name, const char *command,
                         const char *const *args, int nargs, jv session,
                         struct cf_plugin_out *out);
/* Every plugin's tools: [{plugin, name, description, input_schema}];
 * a plugin whose --describe fails is left out, with one warning. */
CF_MUST jv cf_plugin_tools(void);
/* `chat-plugin-NAME --tool TOOL`, stdin input (an object, consumed) as
 * one JSON line: {content, isError}, content its text and context
 * records joined by newlines.  Exit not 0, an error record, a crash, the
 * time limit, bad output: {content: the one line saying so, isError:
 * true}.  Error values only for no such plugin (CF_EX_NOTFOUND) and an
 * interruption (CF_EX_SIGINT). */
CF_MUST jv cf_plugin_tool(const char *plugin, const char *tool, jv input);
/* The record reader: n bytes of a plugin's output, one JSON object a
 * line (blank lines skipped, a last line without newline taken), each
 * with a string "type"; text, context (content string), message (role
 * user|assistant|system, content string) and error (message string)
 * checked, other types passed through.  The array, or CF_EX_DATA naming
 * plugin name and the line. */
CF_MUST jv cf_plugin_records(const char *buf, size_t n, const char *name);
/* [plugin.NAME] of the config as the plugin's environment: the pairs
 * ["CONFAB_PLUGIN_KEY", value], KEY uppercased with every character not a
 * letter or digit made '_' (pass-env excepted: confab.5). */
CF_MUST jv cf_plugin_config_env(const char *name);
/* Writes key = value into [plugin.NAME] of the config (cf_config_set). */
CF_MUST jv cf_plugin_config_set(const char *name, const char *key, const char *value);

/* config.c: key = value written into [section] of the config file, in
 * place of the key's last line there, else at the end of the section's
 * last header's lines, else in a new section at the end; the rest of
 * the file kept byte for byte.  Whole or not at all (a new file renamed
 * over it), 0600.  The next cf_config_get reads the new file.  A key or
 * section that is not [A-Za-z0-9._-]+, or a value holding a newline:
 * CF_EX_USAGE. */
CF_MUST jv cf_config_set(const char *section, const char *key, const char *value);
/* The keys of [section] with their values: an object of strings (a
 * key of [section.sub] is "sub.key" there). */
CF_MUST jv cf_config_section(const char *section);
/* Every key of the config ("section.key": value). */
CF_MUST jv cf_config_all(void);
/* ---- schema.c: replies shaped by a JSON Schema (chat-send --schema) ----
 *
 * A sound subset of JSON Schema: what it checks it checks as the standard
 * says (type, also a list of types; properties, required,
 * additionalProperties, items, prefixItems, enum, const, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems,
 * maxItems, anyOf, oneOf, allOf, not, $ref into the schema itself, and
 * OpenAPI's nullable); what it does not know (pattern, format, ...) it
 * lets pass.  Paths in messages are JSON pointers ("/tags/0"). */

/* --schema's argument: a file holding a JSON Schema, a schema written
 * inline (it starts with '{'), or the short form (cf_schema_concise).
 * The schema, checked by cf_schema_check, or an error (CF_EX_USAGE). */
CF_MUST jv cf_schema_arg(const char *arg);
/* The short form: fields separated by commas (or by newlines, when there
 * are any, so descriptions may hold commas), each "NAME [TYPE][: DESCRIPTION]",
 * TYPE str (the default), int, float, bool, or [TYPE] for a list of them.
 * An object schema with every field required and no others allowed;
 * or an error (CF_EX_USAGE naming the field). */
CF_MUST jv cf_schema_concise(const char *text);
/* Borrows schema: jv_true(), or an error (CF_EX_USAGE) naming where it is
 * not a JSON Schema: "invalid schema at /properties/age/type: ...". */
CF_MUST jv cf_schema_check(jv schema);
/* Borrows both: jv_true() when value matches schema, else an error
 * (CF_EX_DATA) naming the first place that does not: "at /age: expected
 * integer, got string". */
CF_MUST jv cf_schema_validate(jv schema, jv value);
/* Borrows schema: does it qualify for OpenAI's strict mode (every object
 * closed with additionalProperties false and all its properties required)? */
int cf_schema_strict(jv schema);
/* Borrows schema: the subset Gemini's responseSchema takes (OpenAPI's):
 * $refs put in place, a list of types made one type and nullable, const
 * an enum of one, the keywords it refuses dropped.  A new value. */
CF_MUST jv cf_schema_openapi(jv schema);

/* ---- options.c: provider options (chat-send -o, chat-set -o) ----
 *
 * Options are an object of what goes into a request, nested where a key
 * was dotted: -o thinking.budget_tokens=2000 is {"thinking":
 * {"budget_tokens": 2000}}.  Each protocol places them (struct
 * cf_provider's options, in provider.h). */

/* One "KEY=VALUE": {"path": [KEY's parts], "value": VALUE as JSON when it
 * parses as JSON, else as a string}; "KEY=" is {"path"} alone, which
 * removes the option.  No '=', an empty key or an empty part of one:
 * an error (CF_EX_USAGE). */
CF_MUST jv cf_option_parse(const char *kv);
/* opts (an object, or null for none; consumed) with each of ops (an array
 * of cf_option_parse's, borrowed) set or removed in order: an object. */
CF_MUST jv cf_options_apply(jv opts, jv ops);

/* ---- activity.c: what happened on the machine (chat-activity) ----
 *
 * An event: {kind, source, text, at?, data?} going in; its record coming
 * out is {"type": "activity", id (UUIDv7), at (RFC 3339), kind, source,
 * text, data (an object: status, cwd, durationMs, path, ...)}.  Kinds are
 * those of cf_activity_kinds; the store keeps them in the activity table
 * (schema 5), indexed by time and by words (text and source). */

/* "error", "command", "file", "test", "note", "escalation", NULL-ended. */
extern const char *const cf_activity_kinds[];
int cf_activity_kind_ok(const char *kind);
/* An event (consumed) checked and made whole: {id, at (ms, a number),
 * kind, source, text, data}.  at may be RFC 3339 or ms; missing: now; an
 * id given is kept (a queued event keeps its own).  CF_EX_DATA naming the
 * field that is wrong. */
CF_MUST jv cf_activity_check(jv event);
/* Events (an array, consumed) in one transaction, all or nothing: the
 * array of their ids, or an error (CF_EX_DATA "event N: why", N from 1;
 * CF_EX_STORE) with nothing added. */
CF_MUST jv cf_activity_add(cf_store *st, jv events);
/* The same for as many events as next gives, without holding them: next
 * returns an event, jv_invalid() without a message at the end, or an error
 * (which ends it).  Each is checked and inserted as it comes, in one
 * transaction; any error rolls back all of them.  wait_ms: how long to
 * wait for the write lock (<= 0: busy-timeout, confab.5).  *n: how many
 * were added (an id already stored is not added again, nor counted).  jv_true() or the error; a busy store is CF_EX_STORE with
 * *busy set (nothing read from next yet), so the caller may queue. */
CF_MUST jv cf_activity_add_each(cf_store *st, jv (*next)(void *ctx), void *ctx,
                                long wait_ms, long *n, int *busy);
/* Each event at or after since_ms (0: all), of kind (NULL: any), matching
 * the words of search (chat-ls(1)'s syntax; NULL: any), oldest first; with
 * limit > 0 only the newest limit of them.  fn gets each record (consumed)
 * and returns jv_true() to go on, or an error, which stops and is
 * returned. */
CF_MUST jv cf_activity_each(cf_store *st, int64_t since_ms, const char *kind,
                            const char *search, long limit,
                            jv (*fn)(void *ctx, jv rec), void *ctx);
/* The same as an array of records. */
CF_MUST jv cf_activity_list(cf_store *st, int64_t since_ms, const char *kind,
                            const char *search, long limit);
/* The records of these ids (an array of strings, consumed), in the ids'
 * order; an id not found is left out. */
CF_MUST jv cf_activity_get(cf_store *st, jv ids);
/* Deletes the events before before_ms, in a transaction of its own: the
 * number deleted. */
CF_MUST jv cf_activity_prune(cf_store *st, int64_t before_ms);
/* Pruning as the config asks (activity-days, confab.5; 30 by default, 0
 * keeps all): only when the oldest event is older than that, so it costs
 * one indexed read.  The number deleted. */
CF_MUST jv cf_activity_prune_due(cf_store *st);
/* A window's start: an age (15m, 2h, 7d), "today" (local midnight),
 * "yesterday", a date or RFC 3339.  0 on success. */
int cf_activity_since(const char *s, int64_t *ms);

/* The queue: events a busy store could not take, kept in
 * $XDG_STATE_HOME/confab/activity-queue/ (~/.local/state/...), a file a
 * batch, and stored by the next chat-activity that gets the store.  NULL
 * when there is neither XDG_STATE_HOME nor HOME (static buffer). */
const char *cf_activity_queue_dir(void);
/* A queue file for this store, written as events come (each checked):
 * open, put each (consumed), then close (renamed into place: a reader
 * never sees half a batch) or discard. */
typedef struct cf_activity_q cf_activity_q;
cf_activity_q *cf_activity_queue_open(cf_store *st, jv *err);
/* The same for the store at path (NULL: the default), never opening it:
 * chat-activity add --queue, the shell hook's.  mode CF_STORE_EXISTING
 * refuses a SQLite file that is not there, as cf_store_open_mode does. */
cf_activity_q *cf_activity_queue_open_path(const char *path, int mode, jv *err);
CF_MUST jv cf_activity_queue_put(cf_activity_q *q, jv event);
CF_MUST jv cf_activity_queue_close(cf_activity_q *q);   /* its path */
void cf_activity_queue_discard(cf_activity_q *q);
/* Stores this store's queued events, a file a transaction, waiting at most
 * wait_ms for the lock (busy: left for the next time): the number stored. */
CF_MUST jv cf_activity_drain(cf_store *st, long wait_ms);

/* The next event of a JSON-lines stream (blank lines skipped), checked
 * as cf_activity_check does: jv_invalid() at its end, or an error naming
 * the line ("stdin:3: malformed event: ...", CF_EX_DATA).  Fields the
 * record lacks are taken from dflt (borrowed; null for none): chat-activity
 * add's --kind and --source. */
CF_MUST jv cf_activity_read(FILE *f, const char *name, long *lineno, jv dflt);
/* chat-activity hook: the rc-file snippet for shell (bash, zsh, fish)
 * that records each failed command by running prog (an absolute path) in
 * the background; an error (CF_EX_USAGE) for another shell. */
CF_MUST jv cf_activity_hook(const char *shell, const char *prog);

/* watch.c (branch watch): records file changes under dirs until a signal
 * stops it; source names them (NULL: "watch").  Without it built, a weak
 * default says so (CF_EX_USAGE). */
CF_MUST jv cf_activity_watch(cf_store *st, const char *const *dirs, int ndirs,
                             const char *source);

/* store.c: cf_store_begin waiting at most ms for its turn and the lock
 * (ms <= 0: busy-timeout); SQLite's busy error or the queue's when it
 * cannot. */
CF_MUST jv cf_store_begin_within(cf_store *st, long ms);

/* activity.c: one event (consumed) checked and added in the caller's
 * transaction: its id, or the error (CF_EX_DATA naming the field). */
CF_MUST jv cf_activity_add_in(cf_store *st, jv event);

/* ---- actctx.c: activity events as a message's context ----
 *
 * A selection is {ids: [event ids, oldest first], lines: [summary lines],
 * omitted: N, summary: the text the model reads}: at most
 * CF_ACTCTX_MAX_EVENTS of the newest events, their lines within
 * CF_ACTCTX_MAX_BYTES; those left out are counted. */
#define CF_ACTCTX_MAX_EVENTS 50
#define CF_ACTCTX_MAX_BYTES 8192
/* The events at or after since_ms of kind (NULL: any) that no message of
 * session_id (NULL: a new session) carries in context.activityEvents,
 * unless again: a selection, or an error. */
CF_MUST jv cf_actctx_select(cf_store *st, const char *session_id, int64_t since_ms,
                            const char *kind, int again);
/* The time (ms) of the session's last message; 0 when it has none. */
int64_t cf_actctx_last(cf_store *st, const char *session_id);
/* How many events a selection (borrowed) holds. */
int cf_actctx_count(jv sel);
/* A selection (consumed) onto a message: its summary a text attachment
 * named "activity" in f (as plugin context is), its ids msg_context's
 * activityEvents (*msg_context made an object when null). */
void cf_actctx_attach(jv sel, struct cf_files *f, jv *msg_context);
/* The line for people: "attached 12 events from the last 30 minutes", or
 * that there were none; window NULL: autoContext's, since the last message. */
CF_MUST jv cf_actctx_line(jv sel, const char *window);
CF_MUST jv cf_actctx_window_words(const char *window);
/* The files a message carried (-a, /attach, a plugin's context record's
 * files), appended to *msg_context's files as absolute paths where they
 * resolve (*msg_context made an object when null). */
void cf_actctx_files(jv *msg_context, const char *const *paths, int n);
/* What context a message (borrowed) carried, for chat-show and the
 * exports: "context: 12 activity events, 2 files, plugin git diff", or ""
 * when none (malloc'd). */
char *cf_context_line(jv msg);

#endif
