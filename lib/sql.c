/* sql.c — a statement's calls, sent to its backend.  SQLite's are passed
 * straight through; PostgreSQL's are sql_pg.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_int.h"

cf_sql *
cf_sql_wrap_sqlite(sqlite3 *lite)
{
	cf_sql *db = calloc(1, sizeof *db);
	if (!db)
		abort();
	db->kind = CF_SQL_SQLITE;
	db->lite = lite;
	return db;
}

sqlite3 *
cf_sql_sqlite(cf_sql *db)
{
	return db && db->kind == CF_SQL_SQLITE ? db->lite : NULL;
}

void
cf_sql_close(cf_sql *db)
{
	if (!db)
		return;
	if (db->kind == CF_SQL_SQLITE)
		sqlite3_close(db->lite);
	else
		cf_pg_close(db->pg);
	free(db);
}

enum cf_sql_kind
cf_sql_kind(cf_sql *db)
{
	return db ? db->kind : CF_SQL_SQLITE;
}

cf_sql_stmt *
cf_sql_prepare(cf_sql *db, const char *sql)
{
	if (!db)
		return NULL;
	sqlite3_stmt *lite = NULL;
	struct pg_stmt *pg = NULL;
	if (db->kind == CF_SQL_SQLITE) {
		if (sqlite3_prepare_v3(db->lite, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                       &lite, NULL) != SQLITE_OK ||
		    !lite) {
			sqlite3_finalize(lite);
			return NULL;
		}
	} else if (!(pg = cf_pg_prepare(db, sql))) {
		return NULL;
	}
	cf_sql_stmt *s = malloc(sizeof *s);
	if (!s)
		abort();
	s->db = db;
	s->lite = lite;
	s->pg = pg;
	return s;
}

#define LITE(s) ((s)->lite)

int
cf_sql_step(cf_sql_stmt *s)
{
	if (!s)
		return CF_SQL_MISUSE;
	return LITE(s) ? sqlite3_step(s->lite) : cf_pg_step(s->pg);
}

int
cf_sql_reset(cf_sql_stmt *s)
{
	if (!s)
		return CF_SQL_OK;
	return LITE(s) ? sqlite3_reset(s->lite) : cf_pg_reset(s->pg);
}

int
cf_sql_clear_bindings(cf_sql_stmt *s)
{
	if (!s)
		return CF_SQL_OK;
	return LITE(s) ? sqlite3_clear_bindings(s->lite)
	               : cf_pg_clear_bindings(s->pg);
}

void
cf_sql_finalize(cf_sql_stmt *s)
{
	if (!s)
		return;
	if (LITE(s))
		sqlite3_finalize(s->lite);
	else
		cf_pg_finalize(s->pg);
	free(s);
}

int
cf_sql_busy(cf_sql_stmt *s)
{
	if (!s)
		return 0;
	return LITE(s) ? sqlite3_stmt_busy(s->lite) : cf_pg_busy(s->pg);
}

int
cf_sql_bind_null(cf_sql_stmt *s, int i)
{
	if (!s)
		return CF_SQL_MISUSE;
	return LITE(s) ? sqlite3_bind_null(s->lite, i)
	               : cf_pg_bind(s->pg, i, CF_SQL_NULL, NULL, 0, 0, 0, NULL);
}

int
cf_sql_bind_int64(cf_sql_stmt *s, int i, int64_t v)
{
	if (!s)
		return CF_SQL_MISUSE;
	return LITE(s) ? sqlite3_bind_int64(s->lite, i, v)
	               : cf_pg_bind(s->pg, i, CF_SQL_INTEGER, NULL, 0, v, 0, NULL);
}

int
cf_sql_bind_int(cf_sql_stmt *s, int i, int v)
{
	return cf_sql_bind_int64(s, i, v);
}

int
cf_sql_bind_double(cf_sql_stmt *s, int i, double v)
{
	if (!s)
		return CF_SQL_MISUSE;
	return LITE(s) ? sqlite3_bind_double(s->lite, i, v)
	               : cf_pg_bind(s->pg, i, CF_SQL_FLOAT, NULL, 0, 0, v, NULL);
}

static sqlite3_destructor_type
lite_free(cf_sql_free_fn f)
{
	if (f == CF_SQL_TRANSIENT)
		return SQLITE_TRANSIENT;
	return f ? f : SQLITE_STATIC;
}

int
cf_sql_bind_text(cf_sql_stmt *s, int i, const char *v, int64_t n,
                 cf_sql_free_fn f)
{
	if (!s) {
		if (f && f != CF_SQL_TRANSIENT)
			f((void *)v);
		return CF_SQL_MISUSE;
	}
	if (LITE(s) && n < 0)   /* SQLite then knows a NUL follows: FTS5 copies nothing */
		return sqlite3_bind_text(s->lite, i, v, -1, lite_free(f));
	if (LITE(s))
		return sqlite3_bind_text64(s->lite, i, v, (sqlite3_uint64)n,
		                           lite_free(f), SQLITE_UTF8);
	if (!v)
		return cf_pg_bind(s->pg, i, CF_SQL_NULL, NULL, 0, 0, 0, f);
	return cf_pg_bind(s->pg, i, CF_SQL_TEXT, v, n < 0 ? (int64_t)strlen(v) : n,
	                  0, 0, f);
}

int
cf_sql_bind_blob(cf_sql_stmt *s, int i, const void *v, int64_t n,
                 cf_sql_free_fn f)
{
	if (!s) {
		if (f && f != CF_SQL_TRANSIENT)
			f((void *)v);
		return CF_SQL_MISUSE;
	}
	if (LITE(s))
		return sqlite3_bind_blob64(s->lite, i, v, (sqlite3_uint64)n,
		                           lite_free(f));
	return cf_pg_bind(s->pg, i, CF_SQL_BLOB, v, n, 0, 0, f);
}

int
cf_sql_column_count(cf_sql_stmt *s)
{
	if (!s)
		return 0;
	return LITE(s) ? sqlite3_column_count(s->lite) : cf_pg_column_count(s->pg);
}

int
cf_sql_column_type(cf_sql_stmt *s, int i)
{
	if (!s)
		return CF_SQL_NULL;
	return LITE(s) ? sqlite3_column_type(s->lite, i)
	               : cf_pg_column_type(s->pg, i);
}

int64_t
cf_sql_column_int64(cf_sql_stmt *s, int i)
{
	if (!s)
		return 0;
	return LITE(s) ? sqlite3_column_int64(s->lite, i)
	               : cf_pg_column_int64(s->pg, i);
}

int
cf_sql_column_int(cf_sql_stmt *s, int i)
{
	return (int)cf_sql_column_int64(s, i);
}

double
cf_sql_column_double(cf_sql_stmt *s, int i)
{
	if (!s)
		return 0;
	return LITE(s) ? sqlite3_column_double(s->lite, i)
	               : cf_pg_column_double(s->pg, i);
}

const unsigned char *
cf_sql_column_text(cf_sql_stmt *s, int i)
{
	if (!s)
		return NULL;
	return LITE(s) ? sqlite3_column_text(s->lite, i)
	               : cf_pg_column_text(s->pg, i);
}

const void *
cf_sql_column_blob(cf_sql_stmt *s, int i)
{
	if (!s)
		return NULL;
	return LITE(s) ? sqlite3_column_blob(s->lite, i)
	               : cf_pg_column_blob(s->pg, i);
}

int
cf_sql_column_bytes(cf_sql_stmt *s, int i)
{
	if (!s)
		return 0;
	return LITE(s) ? sqlite3_column_bytes(s->lite, i)
	               : cf_pg_column_bytes(s->pg, i);
}

int
cf_sql_exec(cf_sql *db, const char *sql)
{
	if (!db)
		return CF_SQL_MISUSE;
	if (db->kind == CF_SQL_SQLITE)
		return sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
	return cf_pg_exec(db->pg, sql);
}

int64_t
cf_sql_changes(cf_sql *db)
{
	if (!db)
		return 0;
	return db->kind == CF_SQL_SQLITE ? sqlite3_changes64(db->lite)
	                                 : cf_pg_changes(db->pg);
}

int
cf_sql_errcode(cf_sql *db)
{
	if (!db)
		return CF_SQL_MISUSE;
	return db->kind == CF_SQL_SQLITE ? sqlite3_errcode(db->lite)
	                                 : cf_pg_errcode(db->pg);
}

const char *
cf_sql_errmsg(cf_sql *db)
{
	if (!db)
		return "no connection";
	return db->kind == CF_SQL_SQLITE ? sqlite3_errmsg(db->lite)
	                                 : cf_pg_errmsg(db->pg);
}

int
cf_sql_bind_zeroblob(cf_sql_stmt *s, int i, int64_t n)
{
	if (!s)
		return CF_SQL_MISUSE;
	return LITE(s) ? sqlite3_bind_zeroblob64(s->lite, i, (sqlite3_uint64)n)
	               : cf_pg_bind_zeroblob(s->pg, i, n);
}

int
cf_sql_autocommit(cf_sql *db)
{
	if (!db)
		return 1;
	return db->kind == CF_SQL_SQLITE ? sqlite3_get_autocommit(db->lite)
	                                 : cf_pg_autocommit(db->pg);
}

int64_t
cf_sql_last_rowid(cf_sql *db)
{
	if (!db)
		return 0;
	return db->kind == CF_SQL_SQLITE ? sqlite3_last_insert_rowid(db->lite)
	                                 : cf_pg_last_rowid(db->pg);
}

struct cf_sql_blob {
	cf_sql *db;
	sqlite3_blob *lite;
	char *table, *column;
	int64_t row, bytes;
};

int
cf_sql_blob_open(cf_sql *db, const char *table, const char *column,
                 int64_t row, int write, cf_sql_blob **out)
{
	*out = NULL;
	if (!db)
		return CF_SQL_MISUSE;
	cf_sql_blob *b = calloc(1, sizeof *b);
	if (!b)
		abort();
	b->db = db;
	b->row = row;
	if (db->kind == CF_SQL_SQLITE) {
		int rc = sqlite3_blob_open(db->lite, "main", table, column, row, write,
		                           &b->lite);
		if (rc != SQLITE_OK) {
			sqlite3_blob_close(b->lite);
			free(b);
			return rc;
		}
		b->bytes = sqlite3_blob_bytes(b->lite);
		*out = b;
		return CF_SQL_OK;
	}
	b->table = strdup(table);
	b->column = strdup(column);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT octet_length(%s) FROM %s WHERE n = ?1",
	         column, table);
	cf_sql_stmt *s = cf_sql_prepare(db, sql);
	cf_sql_bind_int64(s, 1, row);
	int rc = cf_sql_step(s);
	if (rc == CF_SQL_ROW && cf_sql_column_type(s, 0) != CF_SQL_NULL) {
		b->bytes = cf_sql_column_int64(s, 0);
		rc = CF_SQL_OK;
	} else if (rc == CF_SQL_ROW || rc == CF_SQL_DONE) {
		rc = CF_SQL_ERROR;   /* as SQLite: no row, or no blob in it */
	}
	cf_sql_finalize(s);
	if (rc != CF_SQL_OK) {
		cf_sql_blob_close(b);
		return rc;
	}
	*out = b;
	return CF_SQL_OK;
}

int64_t
cf_sql_blob_bytes(cf_sql_blob *b)
{
	return b ? b->bytes : 0;
}

int
cf_sql_blob_read(cf_sql_blob *b, void *buf, int n, int64_t at)
{
	if (!b || n < 0 || at < 0 || at + n > b->bytes)
		return CF_SQL_ERROR;
	if (b->lite)
		return sqlite3_blob_read(b->lite, buf, n, (int)at);
	char sql[256];
	/* substring's FROM and FOR are int4, as overlay's below */
	snprintf(sql, sizeof sql, "SELECT substring(%s FROM CAST(?1 AS INTEGER)"
	         " FOR CAST(?2 AS INTEGER)) FROM %s WHERE n = ?3", b->column,
	         b->table);
	cf_sql_stmt *s = cf_sql_prepare(b->db, sql);
	cf_sql_bind_int64(s, 1, at + 1);
	cf_sql_bind_int64(s, 2, n);
	cf_sql_bind_int64(s, 3, b->row);
	int rc = cf_sql_step(s);
	if (rc == CF_SQL_ROW && cf_sql_column_bytes(s, 0) == n) {
		memcpy(buf, cf_sql_column_blob(s, 0), (size_t)n);
		rc = CF_SQL_OK;
	} else if (rc == CF_SQL_ROW || rc == CF_SQL_DONE) {
		rc = CF_SQL_ERROR;
	}
	cf_sql_finalize(s);
	return rc;
}

int
cf_sql_blob_write(cf_sql_blob *b, const void *buf, int n, int64_t at)
{
	if (!b || n < 0 || at < 0)
		return CF_SQL_ERROR;
	if (b->lite)
		return sqlite3_blob_write(b->lite, buf, n, (int)at);
	char sql[256];
	/* overlay's FROM is an int4: an int8 parameter finds no overlay() */
	snprintf(sql, sizeof sql, "UPDATE %s SET %s = overlay(%s PLACING ?1"
	         " FROM CAST(?2 AS INTEGER)) WHERE n = ?3", b->table, b->column,
	         b->column);
	cf_sql_stmt *s = cf_sql_prepare(b->db, sql);
	cf_sql_bind_blob(s, 1, buf, n, CF_SQL_STATIC);
	cf_sql_bind_int64(s, 2, at + 1);
	cf_sql_bind_int64(s, 3, b->row);
	int rc = cf_sql_step(s);
	cf_sql_finalize(s);
	if (rc == CF_SQL_DONE && at + n > b->bytes)
		b->bytes = at + n;
	return rc == CF_SQL_DONE ? CF_SQL_OK : rc;
}

int
cf_sql_blob_close(cf_sql_blob *b)
{
	if (!b)
		return CF_SQL_OK;
	int rc = b->lite ? sqlite3_blob_close(b->lite) : CF_SQL_OK;
	free(b->table);
	free(b->column);
	free(b);
	return rc;
}
