/* sql_int.h — what sql.c and its two backends share, and nothing above
 * the store sees. */
#ifndef CONFAB_SQL_INT_H
#define CONFAB_SQL_INT_H

#include <sqlite3.h>
#include "sql.h"

struct pg_conn;
struct pg_stmt;

struct cf_sql {
	enum cf_sql_kind kind;
	sqlite3 *lite;          /* CF_SQL_SQLITE */
	struct pg_conn *pg;     /* CF_SQL_PG */
};

struct cf_sql_stmt {
	cf_sql *db;
	sqlite3_stmt *lite;
	struct pg_stmt *pg;
};

/* sql.c: a connection over an open sqlite3 handle (which it then owns). */
cf_sql *cf_sql_wrap_sqlite(sqlite3 *db);
/* The handle under a SQLite connection, for store_sqlite.c's pragmas,
 * blobs and functions; NULL on PostgreSQL. */
sqlite3 *cf_sql_sqlite(cf_sql *db);
void cf_sql_close(cf_sql *db);

/* sql_pg.c: the same calls for PostgreSQL (sql.c dispatches). */
cf_sql *cf_pg_connect(const char *conninfo, char **err);
void cf_pg_close(struct pg_conn *c);
struct pg_stmt *cf_pg_prepare(cf_sql *db, const char *sql);
int cf_pg_step(struct pg_stmt *s);
int cf_pg_reset(struct pg_stmt *s);
int cf_pg_clear_bindings(struct pg_stmt *s);
void cf_pg_finalize(struct pg_stmt *s);
int cf_pg_busy(struct pg_stmt *s);
int cf_pg_bind(struct pg_stmt *s, int i, int type, const void *v, int64_t n,
               int64_t iv, double dv, cf_sql_free_fn f);
int cf_pg_column_count(struct pg_stmt *s);
int cf_pg_column_type(struct pg_stmt *s, int i);
int64_t cf_pg_column_int64(struct pg_stmt *s, int i);
double cf_pg_column_double(struct pg_stmt *s, int i);
const unsigned char *cf_pg_column_text(struct pg_stmt *s, int i);
const void *cf_pg_column_blob(struct pg_stmt *s, int i);
int cf_pg_column_bytes(struct pg_stmt *s, int i);
int cf_pg_exec(struct pg_conn *c, const char *sql);
int64_t cf_pg_changes(struct pg_conn *c);
int cf_pg_autocommit(struct pg_conn *c);
int cf_pg_bind_zeroblob(struct pg_stmt *s, int i, int64_t n);
int cf_pg_errcode(struct pg_conn *c);
const char *cf_pg_errmsg(struct pg_conn *c);
/* The connection string as users may see it: user, host, port and
 * database, never a password (malloc'd). */
char *cf_pg_display(const char *conninfo);
/* For --follow and the server's stream: LISTEN's socket, and the
 * notifications it has brought (-1: the connection is gone). */
int cf_pg_socket(struct pg_conn *c);
int cf_pg_notifications(struct pg_conn *c,
                        void (*fn)(void *, const char *chan, const char *payload),
                        void *arg);
const char *cf_pg_user(struct pg_conn *c);
int cf_pg_reconnect(struct pg_conn *c);

#endif
