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

/* Attachments written and read a chunk at a time (message.c): a row whose
 * content is bytes zeros (NULL when bytes < 0), returning its rowid; its
 * content opened for sqlite3_blob I/O; n bytes written at offset at. */
sqlite3_int64 cf_attachment_row(cf_store *st, const char *id,
                                const char *msg_id, const char *type,
                                const char *name, sqlite3_int64 size,
                                const char *mime, sqlite3_int64 bytes);
sqlite3_blob *cf_blob_open(cf_store *st, sqlite3_int64 row, int write);
void cf_blob_write(cf_store *st, sqlite3_blob *b, const void *p, size_t n,
                   size_t at);

#endif
