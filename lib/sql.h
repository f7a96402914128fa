/* sql.h — the store's statements, on either backend.
 *
 * Everything above the store speaks this, never sqlite3_* or PQ*: a
 * connection (cf_sql) and its statements (cf_sql_stmt), shaped like
 * SQLite's own calls so that a loop reads the same on both backends, as
 * Dovecot's lib-sql has one driver per database.  sql.c dispatches; the
 * backends are sql_sqlite.c (a statement is a sqlite3_stmt) and sql_pg.c
 * (libpq: a statement's SQL is kept, its parameters bound, and the first
 * step runs it with PQexecParams and holds the result; later steps walk
 * its rows).
 *
 * SQL handed to cf_sql_prepare is the portable dialect: ?N placeholders
 * (sql_pg.c turns them into $N), ON CONFLICT ... DO NOTHING/UPDATE,
 * RETURNING, row values, coalesce, and the SQLite JSON functions that the
 * PostgreSQL schema defines for us (json_extract, json_each, ...: see
 * store_pg.c).  What cannot be written once lives in the backend files as
 * a cf_dialect entry (search, upserts that differ, time). */
#ifndef CONFAB_SQL_H
#define CONFAB_SQL_H

#include <stddef.h>
#include <stdint.h>

typedef struct cf_sql cf_sql;
typedef struct cf_sql_stmt cf_sql_stmt;

enum cf_sql_kind { CF_SQL_SQLITE = 1, CF_SQL_PG = 2 };

/* Result codes: SQLite's numbers, so that SQLite's are passed through. */
enum {
	CF_SQL_OK = 0,
	CF_SQL_ERROR = 1,
	CF_SQL_BUSY = 5,       /* PostgreSQL: serialization failure, deadlock, lock timeout */
	CF_SQL_LOCKED = 6,
	CF_SQL_READONLY = 8,
	CF_SQL_IOERR = 10,     /* PostgreSQL: the connection was lost */
	CF_SQL_FULL = 13,      /* PostgreSQL: disk full (53100) */
	CF_SQL_CANTOPEN = 14,
	CF_SQL_CONSTRAINT = 19,
	CF_SQL_MISUSE = 21,
	CF_SQL_ROW = 100,
	CF_SQL_DONE = 101,
};
/* Column types, as sqlite3_column_type has them. */
enum {
	CF_SQL_INTEGER = 1,
	CF_SQL_FLOAT = 2,
	CF_SQL_TEXT = 3,
	CF_SQL_BLOB = 4,
	CF_SQL_NULL = 5,
};
/* bind_text/bind_blob: the caller keeps the bytes until the step
 * (STATIC) or they are copied now (TRANSIENT). */
typedef void (*cf_sql_free_fn)(void *);
#define CF_SQL_STATIC ((cf_sql_free_fn)0)
#define CF_SQL_TRANSIENT ((cf_sql_free_fn)-1)

enum cf_sql_kind cf_sql_kind(cf_sql *db);

/* NULL on failure, with cf_sql_errmsg(db) saying why.  A NULL statement is
 * harmless to every call below (binds do nothing, step says MISUSE). */
cf_sql_stmt *cf_sql_prepare(cf_sql *db, const char *sql);
int cf_sql_step(cf_sql_stmt *s);
int cf_sql_reset(cf_sql_stmt *s);        /* keeps the bindings */
int cf_sql_clear_bindings(cf_sql_stmt *s);
void cf_sql_finalize(cf_sql_stmt *s);
int cf_sql_busy(cf_sql_stmt *s);         /* stepped and not yet reset or done */

int cf_sql_bind_null(cf_sql_stmt *s, int i);
int cf_sql_bind_int64(cf_sql_stmt *s, int i, int64_t v);
int cf_sql_bind_int(cf_sql_stmt *s, int i, int v);
int cf_sql_bind_double(cf_sql_stmt *s, int i, double v);
/* n < 0: up to the NUL */
int cf_sql_bind_text(cf_sql_stmt *s, int i, const char *v, int64_t n,
                     cf_sql_free_fn f);
int cf_sql_bind_blob(cf_sql_stmt *s, int i, const void *v, int64_t n,
                     cf_sql_free_fn f);

/* n zero bytes, for blob I/O to fill (store.c's attachments) */
int cf_sql_bind_zeroblob(cf_sql_stmt *s, int i, int64_t n);

/* An attachment's bytes a chunk at a time, neither side holding the whole
 * (SQLite's incremental blob I/O; on PostgreSQL substring() and overlay()
 * on the row).  The row is the table's key n, the blob made by binding
 * cf_sql_bind_zeroblob; writes go in order on PostgreSQL.  open: CF_SQL_OK
 * or the code (NULL: no bytes). */
typedef struct cf_sql_blob cf_sql_blob;
int cf_sql_blob_open(cf_sql *db, const char *table, const char *column,
                     int64_t row, int write, cf_sql_blob **out);
int64_t cf_sql_blob_bytes(cf_sql_blob *b);
int cf_sql_blob_read(cf_sql_blob *b, void *buf, int n, int64_t at);
int cf_sql_blob_write(cf_sql_blob *b, const void *buf, int n, int64_t at);
int cf_sql_blob_close(cf_sql_blob *b);

int cf_sql_column_count(cf_sql_stmt *s);
int cf_sql_column_type(cf_sql_stmt *s, int i);
int64_t cf_sql_column_int64(cf_sql_stmt *s, int i);
int cf_sql_column_int(cf_sql_stmt *s, int i);
double cf_sql_column_double(cf_sql_stmt *s, int i);
/* NUL-terminated, valid until the next step, reset or finalize; NULL for
 * NULL */
const unsigned char *cf_sql_column_text(cf_sql_stmt *s, int i);
const void *cf_sql_column_blob(cf_sql_stmt *s, int i);
int cf_sql_column_bytes(cf_sql_stmt *s, int i);

/* Runs statements that return nothing (several, separated by ';', on
 * both): CF_SQL_OK or the code. */
int cf_sql_exec(cf_sql *db, const char *sql);
/* Outside a transaction? */
int cf_sql_autocommit(cf_sql *db);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t cf_sql_changes(cf_sql *db);
/* The code and message of the last failure on this connection.  The
 * message never holds a password: libpq's connection errors name the
 * host and user, not the secret. */
int cf_sql_errcode(cf_sql *db);
const char *cf_sql_errmsg(cf_sql *db);

#endif
