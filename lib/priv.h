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
	int search_fns;         /* cf_search_fns has run */
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

/* search.c: registers cf_snippet(fts_table, open, close, ellipsis, ntok)
 * on the store's connection, once: snippet() (ntok > 0) and highlight()
 * (ntok 0) in time that follows the text. */
void cf_search_fns(cf_store *st);

#endif
