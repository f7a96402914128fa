/* sql_pg.c — the statement calls on PostgreSQL, through libpq.  (Stub:
 * being written; every call fails.) */
#include <stdlib.h>

#include "sql_int.h"

cf_sql *cf_pg_connect(const char *conninfo, char **err)
{ (void)conninfo; *err = NULL; return NULL; }
void cf_pg_close(struct pg_conn *c) { (void)c; }
struct pg_stmt *cf_pg_prepare(cf_sql *db, const char *sql) { (void)db; (void)sql; return NULL; }
int cf_pg_step(struct pg_stmt *s) { (void)s; return CF_SQL_MISUSE; }
int cf_pg_reset(struct pg_stmt *s) { (void)s; return CF_SQL_OK; }
int cf_pg_clear_bindings(struct pg_stmt *s) { (void)s; return CF_SQL_OK; }
void cf_pg_finalize(struct pg_stmt *s) { (void)s; }
int cf_pg_busy(struct pg_stmt *s) { (void)s; return 0; }
int cf_pg_bind(struct pg_stmt *s, int i, int type, const void *v, int64_t n,
               int64_t iv, double dv, cf_sql_free_fn f)
{ (void)s; (void)i; (void)type; (void)v; (void)n; (void)iv; (void)dv; (void)f; return CF_SQL_MISUSE; }
int cf_pg_column_count(struct pg_stmt *s) { (void)s; return 0; }
int cf_pg_column_type(struct pg_stmt *s, int i) { (void)s; (void)i; return CF_SQL_NULL; }
int64_t cf_pg_column_int64(struct pg_stmt *s, int i) { (void)s; (void)i; return 0; }
double cf_pg_column_double(struct pg_stmt *s, int i) { (void)s; (void)i; return 0; }
const unsigned char *cf_pg_column_text(struct pg_stmt *s, int i) { (void)s; (void)i; return NULL; }
const void *cf_pg_column_blob(struct pg_stmt *s, int i) { (void)s; (void)i; return NULL; }
int cf_pg_column_bytes(struct pg_stmt *s, int i) { (void)s; (void)i; return 0; }
int cf_pg_exec(struct pg_conn *c, const char *sql) { (void)c; (void)sql; return CF_SQL_ERROR; }
int64_t cf_pg_changes(struct pg_conn *c) { (void)c; return 0; }
int cf_pg_errcode(struct pg_conn *c) { (void)c; return CF_SQL_ERROR; }
const char *cf_pg_errmsg(struct pg_conn *c) { (void)c; return "PostgreSQL is not built in yet"; }
int cf_pg_autocommit(struct pg_conn *c) { (void)c; return 1; }
int64_t cf_pg_last_rowid(struct pg_conn *c) { (void)c; return 0; }
int cf_pg_bind_zeroblob(struct pg_stmt *s, int i, int64_t n) { (void)s; (void)i; (void)n; return CF_SQL_MISUSE; }
