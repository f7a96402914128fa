/* priv.h — what the library's files share and the programs do not. */
#ifndef CONFAB_PRIV_H
#define CONFAB_PRIV_H

#include <sqlite3.h>
#include "confab.h"

struct cf_store {
	sqlite3 *db;
	char *path;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[32];
	/* the writers' queue (store.c), set up by the first transaction */
	long wait_ms;     /* busy-timeout; 0 until then */
	int lock_fd;      /* PATH-lock; -1 when there is none */
	int64_t ticket;   /* this writer's place in it while it has one, else -1 */
};

/* A prepared statement for a static SQL string, reset and unbound: kept for
 * the life of the store so loops do not parse SQL again. */
sqlite3_stmt *cf_stmt(cf_store *st, const char *sql);
/* A one-off statement, to finalize after use. */
sqlite3_stmt *cf_prepare(cf_store *st, const char *sql);
/* Steps a statement that returns no rows; dies naming what on error. */
void cf_exec_stmt(cf_store *st, sqlite3_stmt *s, const char *what);
void cf_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Binds a jv: null, number, string; arrays and objects as JSON text.
 * Consumes v. */
void cf_bind_jv(sqlite3_stmt *s, int i, jv v);
/* A column of JSON text as a jv ("[]" and "{}" without parsing). */
jv cf_col_json(sqlite3_stmt *s, int i);
jv cf_col_text(sqlite3_stmt *s, int i);   /* NULL as jv_null() */

#endif
