/* sql.c — a statement's calls, sent to its backend.  SQLite's are passed
 * straight through; PostgreSQL's are sql_pg.c's. */
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
