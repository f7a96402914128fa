/* priv.h — what the library's files share and the programs do not. */
#ifndef CONFAB_PRIV_H
#define CONFAB_PRIV_H

#include <sqlite3.h>   /* the attachments' blob I/O, until it has a backend call */
#include "confab.h"
#include "sql.h"

struct cf_store {
	cf_sql *db;         /* the connection, on either backend (sql.h) */
	struct sqlite3 *lite; /* the SQLite handle under it; NULL on PostgreSQL */
	char *path;
	int readonly;       /* opened read-only (cf_store_open_mode) */
	int full;           /* ... because its disk is full */
	int replica;        /* a standby's: CF_STORE_REPLICA */
	struct {
		const char *sql;
		cf_sql_stmt *stmt;
		unsigned long used;   /* cf_stmt's clock when last handed out */
	} cache[128];  /* the static statements a long confab may use, each once */
	unsigned long clock;
	int search_fns;         /* cf_search_fns has run */
	/* the writers' queue (store.c), set up by the first transaction */
	long wait_ms;     /* busy-timeout; 0 until then */
	int lock_fd;      /* PATH-lock; -1 when there is none */
	int64_t ticket;   /* this writer's place in it while it has one, else -1 */
	long wait_once;   /* cf_store_begin_within's wait, for one begin */
	char bulk[37];    /* the session cf_store_bulk writes into, or "" */
};

/* The SQLite file, for checks that compare paths with it; NULL on
 * PostgreSQL, whose store is no file of ours. */
static inline const char *
cf_store_file(cf_store *st)
{
	return st->lite ? st->path : NULL;
}

/* store_pg.c: the PostgreSQL schema, entry i taking it from version i to
 * i + 1 (run whole with PQexec; then UPDATE confab_schema SET version). */
extern const char *const cf_pg_migrations[];
/* config.c: store.c tells it the role a PostgreSQL store connected as,
 * for cf_user_name(). */
void cf_user_note_role(const char *role);
extern const int cf_pg_schema_version;

/* A message's content in SQL, for a row named m: a reply still arriving
 * is its parts so far (turn.c). */
#define CF_MESSAGE_CONTENT \
	"CASE WHEN m.pending IS NULL THEN m.content ELSE coalesce((SELECT" \
	" group_concat(p.text, '') FROM (SELECT text FROM reply_parts" \
	" WHERE message_id = m.id ORDER BY n) p), '') END"

/* A prepared statement for a static SQL string, reset and unbound: kept for
 * the life of the store so loops do not parse SQL again.  NULL when it
 * cannot be prepared: SQLite's calls take a NULL statement harmlessly
 * (binds do nothing, sqlite3_step says SQLITE_MISUSE), so the step that
 * follows fails, and cf_store_error still has the prepare's message. */
cf_sql_stmt *cf_stmt(cf_store *st, const char *sql);
/* util.c: $XDG_STATE_HOME/confab/SUB (else ~/.local/state/confab/SUB)
 * into buf, or NULL when neither variable helps: the spool's and the
 * activity queue's folder.  cf_mkdirs makes a folder and those above it,
 * 0700, -1 (errno) when one cannot be made. */
char *cf_state_path(const char *sub, char *buf, size_t n);
int cf_mkdirs(const char *path);
/* A one-off statement, to finalize after use; NULL as cf_stmt. */
cf_sql_stmt *cf_prepare(cf_store *st, const char *sql);
/* Steps a statement that returns no rows: jv_true(), or the store's error
 * naming what. */
CF_MUST jv cf_exec_stmt(cf_store *st, cf_sql_stmt *s, const char *what);
void cf_bind_text(cf_sql_stmt *s, int i, const char *v);
/* Binds a jv: null, number, string; arrays and objects as JSON text.
 * Consumes v. */
void cf_bind_jv(cf_sql_stmt *s, int i, jv v);
/* A column of JSON text as a jv ("[]" and "{}" without parsing). */
CF_MUST jv cf_col_json(cf_sql_stmt *s, int i);
CF_MUST jv cf_col_text(cf_sql_stmt *s, int i);   /* NULL as jv_null() */
/* A message's metadata as its columns (tokens, model, processing_time)
 * and the rest (extra; attachments, reactions and edits have their own
 * homes).  Consumes meta.  jv_true(), or CF_EX_DATA for a field of the
 * wrong type (which is then null). */
/* base64.c.  Base64 (standard or URL-safe; white space skipped, padding
 * optional) into out, room for len / 4 * 3 + 3 bytes (NULL: only count);
 * the length, or -1 when s is not base64. */
long cf_unbase64(const char *s, size_t len, unsigned char *out);
/* The same taken in pieces: feed each (returns the bytes it put in out),
 * then cf_b64_end is 0 when all of it was base64 and ended where it may. */
struct cf_b64 {
	unsigned v;
	int bits, pad, bad;
};
size_t cf_b64_feed(struct cf_b64 *d, const char *s, size_t len, unsigned char *out);
int cf_b64_end(const struct cf_b64 *d);
/* In the caller's transaction: a reply's row made whole (text[len]
 * readable, as for cf_reply_finish; content, the
 * metadata's columns and the rest, no longer pending, so indexed), with
 * timestamp ts (0: now); the number of rows changed (0: it is gone).
 * Consumes meta. */
int cf_reply_write(cf_store *st, const char *id, const char *sid, jv meta,
                   const char *text, size_t len, int64_t ts);
/* The busy timeout the store was opened with, back after a short one. */
void cf_store_busy_default(cf_store *st);
CF_MUST jv cf_meta_split(jv meta, jv *tokens, jv *model, jv *ptime, jv *extra);
/* A record's metadata.author, for its column: a string, null (unknown:
 * null or "" in the record), or, when the record has no author key, the
 * one writing to st (cf_store_user; null when st is NULL); an error when
 * it is another type.  Consumes meta. */
CF_MUST jv cf_meta_author(cf_store *st, jv meta);

/* Attachments written and read a chunk at a time (message.c): a row whose
 * content is bytes zeros (NULL when bytes < 0), returning its rowid (0
 * with *err on failure); its content opened for sqlite3_blob I/O (NULL on
 * failure, which the next cf_blob_write reports); n bytes written at
 * offset at (jv_true() or the error). */
int64_t cf_attachment_row(cf_store *st, const char *id,
                                const char *msg_id, const char *type,
                                const char *name, int64_t size,
                                const char *mime, int64_t bytes,
                                jv *err);
cf_sql_blob *cf_blob_open(cf_store *st, int64_t row, int write);
/* Copies the attachments a bound statement selects, each row (its rowid,
 * the new message's id, type, name, size, mime type, typeof(content),
 * length(content)) read before any is written, the bytes a chunk at a
 * time: jv_true() or the error.  Resets s. */
CF_MUST jv cf_attachments_copy(cf_store *st, cf_sql_stmt *s);
CF_MUST jv cf_blob_write(cf_store *st, cf_sql_blob *b, const void *p, size_t n,
                 size_t at);

/* search.c: registers cf_snippet(fts_table, open, close, ellipsis, ntok)
 * on the store's connection, once: snippet() (ntok > 0) and highlight()
 * (ntok 0) in time that follows the text. */
CF_MUST jv cf_search_fns(cf_store *st);
/* search.c: a PostgreSQL snippet, FTS5's snippet() as cf_snippet makes it
 * on SQLite: h, ts_headline over m (cf_words of the text t, made in SQL,
 * chr(1) and chr(2) its marks), shown in t's own characters, the hits
 * between o and c, ell where t goes on before or after (always after when
 * cut: t is the start of a longer text). */
jv cf_pg_headline(const char *t, const char *m, const char *h, int cut,
                  const char *o, const char *c, const char *ell);
/* The words of a search as the store's backend reads them: an FTS5 query
 * (cf_search_query's) on SQLite, a tsquery for to_tsquery('simple', ...)
 * on PostgreSQL; "" and NULL as cf_search_query has them. */
char *cf_search_query_for(cf_store *st, const char *text, const char **why);
char *cf_pg_display(const char *conninfo);

#endif
