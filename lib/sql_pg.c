/* sql_pg.c — the statement calls on PostgreSQL, through libpq.
 *
 * A statement keeps its SQL (placeholders turned into $N) and its
 * parameters; the first step runs it with PQexecParams and holds the
 * whole result, and later steps walk its rows.  Unnamed statements only:
 * a named prepared statement is session state, which PgBouncer in
 * transaction mode does not keep (HACKING.md, Growing).
 *
 * Every parameter goes as text.  A text value's type is left to the
 * server to infer from where it is used (a quoted literal's rule), so the
 * same SQL binds a string to a text column, a JSON column or a number;
 * integers and floats say int8 and float8.  A parameter the server cannot
 * place (only ever in "?1 IS NULL") is written CAST(?1 AS TEXT) in the
 * shared SQL, which both backends read.
 *
 * libpq is opened on the first connection (dynlib.h): every program links
 * this file, and a SQLite store should not load libpq, its TLS and its
 * Kerberos before main. */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "dynlib.h"
#include "sql_int.h"

#define INT8OID 20
#define FLOAT8OID 701
#define BOOLOID 16
#define INT2OID 21
#define INT4OID 23
#define FLOAT4OID 700
#define NUMERICOID 1700
#define BYTEAOID 17
#define OIDOID 26

static struct {
	PGconn *(*connectdb_params)(const char *const *, const char *const *, int);
	ConnStatusType (*status)(const PGconn *);
	char *(*error_message)(const PGconn *);
	void (*finish)(PGconn *);
	PGresult *(*exec)(PGconn *, const char *);
	PGresult *(*exec_params)(PGconn *, const char *, int, const Oid *,
	                         const char *const *, const int *, const int *, int);
	ExecStatusType (*result_status)(const PGresult *);
	char *(*result_error_field)(const PGresult *, int);
	char *(*result_error_message)(const PGresult *);
	void (*clear)(PGresult *);
	int (*ntuples)(const PGresult *);
	int (*nfields)(const PGresult *);
	char *(*getvalue)(const PGresult *, int, int);
	int (*getlength)(const PGresult *, int, int);
	int (*getisnull)(const PGresult *, int, int);
	Oid (*ftype)(const PGresult *, int);
	char *(*cmd_tuples)(PGresult *);
	PGTransactionStatusType (*transaction_status)(const PGconn *);
	PQnoticeProcessor (*set_notice_processor)(PGconn *, PQnoticeProcessor, void *);
	PQconninfoOption *(*conninfo_parse)(const char *, char **);
	void (*conninfo_free)(PQconninfoOption *);
	void (*freemem)(void *);
	int (*socket)(const PGconn *);
	int (*consume_input)(PGconn *);
	PGnotify *(*notifies)(PGconn *);
	char *(*user)(const PGconn *);
	void (*reset)(PGconn *);
} pq;

static struct cf_dynlib libs[] = {
	{ "libpq.so.5", "libpq5", NULL },
};

#define SYM(field, name) { 0, name, offsetof(__typeof__(pq), field) }
static const struct cf_dynsym syms[] = {
	SYM(connectdb_params, "PQconnectdbParams"),
	SYM(status, "PQstatus"),
	SYM(error_message, "PQerrorMessage"),
	SYM(finish, "PQfinish"),
	SYM(exec, "PQexec"),
	SYM(exec_params, "PQexecParams"),
	SYM(result_status, "PQresultStatus"),
	SYM(result_error_field, "PQresultErrorField"),
	SYM(result_error_message, "PQresultErrorMessage"),
	SYM(clear, "PQclear"),
	SYM(ntuples, "PQntuples"),
	SYM(nfields, "PQnfields"),
	SYM(getvalue, "PQgetvalue"),
	SYM(getlength, "PQgetlength"),
	SYM(getisnull, "PQgetisnull"),
	SYM(ftype, "PQftype"),
	SYM(cmd_tuples, "PQcmdTuples"),
	SYM(transaction_status, "PQtransactionStatus"),
	SYM(set_notice_processor, "PQsetNoticeProcessor"),
	SYM(conninfo_parse, "PQconninfoParse"),
	SYM(conninfo_free, "PQconninfoFree"),
	SYM(freemem, "PQfreemem"),
	SYM(socket, "PQsocket"),
	SYM(consume_input, "PQconsumeInput"),
	SYM(notifies, "PQnotifies"),
	SYM(user, "PQuser"),
	SYM(reset, "PQreset"),
};
#undef SYM
static int loaded;

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

struct pg_conn {
	PGconn *c;
	int code;
	char *msg;
	int64_t changes;
};

struct param {
	char *v;        /* NULL: SQL NULL */
	Oid type;
};

struct pg_stmt {
	struct pg_conn *pc;
	char *sql;
	int nparam;
	struct param *p;
	PGresult *res;
	int row;        /* the row the columns read, -1 before the first */
	int nrow;
	int ran;
	/* column_blob's decoded bytea, for the current row */
	unsigned char *blob;
	size_t blob_len;
	int blob_col;
};

static void
set_error(struct pg_conn *pc, int code, const char *msg)
{
	free(pc->msg);
	/* one line: libpq's messages end in a newline and may hold several */
	size_t n = strlen(msg);
	char *m = malloc(n + 1);
	if (!m)
		abort();
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (msg[i] == '\n') {
			if (i + 1 < n && j > 0)
				m[j++] = ' ';
		} else if (msg[i] != '\r') {
			m[j++] = msg[i] == '\t' ? ' ' : msg[i];
		}
	}
	while (j > 0 && m[j - 1] == ' ')
		j--;
	/* runs of blanks (a newline then a tab) as one */
	size_t w = 0;
	for (size_t r = 0; r < j; r++)
		if (!(m[r] == ' ' && w > 0 && m[w - 1] == ' '))
			m[w++] = m[r];
	j = w;
	m[j] = '\0';
	pc->msg = m;
	pc->code = code;
}

/* SQLSTATE classes to the codes the store already tells apart. */
static int
code_of(const char *state)
{
	if (!state)
		return CF_SQL_IOERR;   /* no server answer: the connection went */
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
	    !strcmp(state, "55P03"))
		return CF_SQL_BUSY;
	if (!strncmp(state, "23", 2))
		return CF_SQL_CONSTRAINT;
	if (!strcmp(state, "53100"))
		return CF_SQL_FULL;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
		return CF_SQL_IOERR;
	if (!strcmp(state, "25006"))
		return CF_SQL_READONLY;
	return CF_SQL_ERROR;
}

/* The result's failure, or CF_SQL_OK. */
static int
check(struct pg_conn *pc, PGresult *r)
{
	ExecStatusType st = r ? pq.result_status(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		pc->code = CF_SQL_OK;
		return CF_SQL_OK;
	}
	const char *state = r ? pq.result_error_field(r, PG_DIAG_SQLSTATE) : NULL;
	const char *prim = r ? pq.result_error_field(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int code = code_of(state);
	if (pq.status(pc->c) != CONNECTION_OK)
		code = CF_SQL_IOERR;
	if (prim && *prim)
		set_error(pc, code, prim);
	else
		set_error(pc, code, *pq.error_message(pc->c)
		                        ? pq.error_message(pc->c)
		                        : "the server did not answer");
	return code;
}

static void
quiet(void *arg, const char *message)
{
	/* NOTICEs ("relation already exists, skipping") are not for users */
	(void)arg;
	(void)message;
}

char *
cf_pg_display(const char *conninfo)
{
	/* Rebuilt from what libpq parses, so that a password, wherever it
	 * was written, is never part of it. */
	char *perr = NULL;
	PQconninfoOption *o = NULL;
	jv r = cf_dynlib_load("a PostgreSQL store", libs, 1, syms,
	                      (int)(sizeof syms / sizeof *syms), &pq, &loaded);
	if (jv_is_valid(r))
		o = pq.conninfo_parse(conninfo, &perr);
	jv_free(r);
	if (perr)
		pq.freemem(perr);
	if (!o)
		return strdup("postgresql://(a connection string libpq cannot read)");
	const char *user = NULL, *host = NULL, *port = NULL, *db = NULL, *svc = NULL;
	for (PQconninfoOption *p = o; p->keyword; p++) {
		if (!p->val || !*p->val)
			continue;
		if (!strcmp(p->keyword, "user"))
			user = p->val;
		else if (!strcmp(p->keyword, "host"))
			host = p->val;
		else if (!strcmp(p->keyword, "port"))
			port = p->val;
		else if (!strcmp(p->keyword, "dbname"))
			db = p->val;
		else if (!strcmp(p->keyword, "service"))
			svc = p->val;
	}
	char *s = NULL;
	if (svc && !host)
		s = fmt("postgresql://?service=%s", svc);
	else
		s = fmt("postgresql://%s%s%s%s%s/%s", user ? user : "",
		                 user ? "@" : "", host && *host != '/' ? host : "",
		                 port ? ":" : "", port ? port : "", db ? db : "");
	pq.conninfo_free(o);
	return s;
}

cf_sql *
cf_pg_connect(const char *conninfo, char **err)
{
	*err = NULL;
	jv r = cf_dynlib_load("a PostgreSQL store", libs, 1, syms,
	                      (int)(sizeof syms / sizeof *syms), &pq, &loaded);
	if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(r);
		*err = strdup(jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m)
		                                               : "cannot load libpq");
		jv_free(m);
		return NULL;
	}
	jv_free(r);
	/* expand_dbname: conninfo may be a URI or key=value pairs; the
	 * application name lets a DBA see who holds a connection */
	const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *const vals[] = { conninfo, cf_prog, NULL };
	PGconn *c = pq.connectdb_params(keys, vals, 1);
	if (!c) {
		*err = strdup("out of memory connecting to PostgreSQL");
		return NULL;
	}
	if (pq.status(c) != CONNECTION_OK) {
		struct pg_conn tmp = { 0 };
		set_error(&tmp, CF_SQL_CANTOPEN, pq.error_message(c));
		*err = tmp.msg;
		pq.finish(c);
		return NULL;
	}
	pq.set_notice_processor(c, quiet, NULL);
	struct pg_conn *pc = calloc(1, sizeof *pc);
	cf_sql *db = calloc(1, sizeof *db);
	if (!pc || !db)
		abort();
	pc->c = c;
	db->kind = CF_SQL_PG;
	db->pg = pc;
	return db;
}

void
cf_pg_close(struct pg_conn *pc)
{
	if (!pc)
		return;
	pq.finish(pc->c);
	free(pc->msg);
	free(pc);
}

/* ?N to $N, and a bare ? to one more than the highest so far (SQLite's
 * rule), outside quoted strings, quoted names and comments; and the one
 * SQLite function PostgreSQL has under another name. */
/* Whether the call whose arguments start at p has two of them: the one
 * form of group_concat that string_agg is. */
static int
two_args(const char *p)
{
	int depth = 1, commas = 0;
	for (; *p && depth > 0; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			while (p[1] && p[1] != q)
				p++;
			if (p[1])
				p++;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			depth--;
		} else if (*p == ',' && depth == 1) {
			commas++;
		}
	}
	return commas == 1;
}

static char *
rewrite(const char *sql, int *nparam)
{
	size_t n = strlen(sql);
	char *out = malloc(n * 2 + 16);
	if (!out)
		abort();
	size_t j = 0;
	int max = 0;
	for (size_t i = 0; i < n;) {
		char c = sql[i];
		if (c == '\'' || c == '"') {
			size_t k = i + 1;
			while (k < n && !(sql[k] == c && !(k + 1 < n && sql[k + 1] == c)))
				k += sql[k] == c ? 2 : 1;
			k = k < n ? k + 1 : n;
			memcpy(out + j, sql + i, k - i);
			j += k - i;
			i = k;
		} else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
			while (i < n && sql[i] != '\n')
				out[j++] = sql[i++];
		} else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
			const char *e = strstr(sql + i + 2, "*/");
			size_t k = e ? (size_t)(e - sql) + 2 : n;
			memcpy(out + j, sql + i, k - i);
			j += k - i;
			i = k;
		} else if ((c == 'g' || c == 'G') && !strncasecmp(sql + i, "group_concat(", 13) &&
		           (i == 0 || !(isalnum((unsigned char)sql[i - 1]) || sql[i - 1] == '_')) &&
		           two_args(sql + i + 13)) {
			/* SQLite's group_concat(x, sep) is string_agg (store_pg.c
			 * says why it is not an aggregate of ours) */
			memcpy(out + j, "string_agg(", 11);
			j += 11;
			i += 13;
		} else if (c == '?') {
			i++;
			int num = 0;
			if (i < n && sql[i] >= '0' && sql[i] <= '9') {
				while (i < n && sql[i] >= '0' && sql[i] <= '9')
					num = num * 10 + (sql[i++] - '0');
			} else {
				num = max + 1;
			}
			if (num > max)
				max = num;
			j += (size_t)sprintf(out + j, "$%d", num);
		} else {
			out[j++] = sql[i++];
		}
	}
	out[j] = '\0';
	*nparam = max;
	return out;
}

struct pg_stmt *
cf_pg_prepare(cf_sql *db, const char *sql)
{
	struct pg_stmt *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->pc = db->pg;
	s->sql = rewrite(sql, &s->nparam);
	if (s->nparam > 0 && !(s->p = calloc((size_t)s->nparam, sizeof *s->p)))
		abort();
	s->row = -1;
	s->blob_col = -1;
	return s;
}

static void
drop_result(struct pg_stmt *s)
{
	if (s->res)
		pq.clear(s->res);
	s->res = NULL;
	s->ran = 0;
	s->row = -1;
	s->nrow = 0;
	free(s->blob);
	s->blob = NULL;
	s->blob_col = -1;
}

int
cf_pg_step(struct pg_stmt *s)
{
	if (!s)
		return CF_SQL_MISUSE;
	if (!s->ran) {
		const char **vals = NULL;
		Oid *types = NULL;
		if (s->nparam > 0) {
			vals = calloc((size_t)s->nparam, sizeof *vals);
			types = calloc((size_t)s->nparam, sizeof *types);
			if (!vals || !types)
				abort();
			for (int i = 0; i < s->nparam; i++) {
				vals[i] = s->p[i].v;
				types[i] = s->p[i].type;
			}
		}
		s->res = pq.exec_params(s->pc->c, s->sql, s->nparam, types,
		                        (const char *const *)vals, NULL, NULL, 0);
		free(vals);
		free(types);
		s->ran = 1;
		int rc = check(s->pc, s->res);
		if (rc != CF_SQL_OK) {
			pq.clear(s->res);
			s->res = NULL;
			return rc;
		}
		const char *t = pq.cmd_tuples(s->res);
		if (pq.result_status(s->res) == PGRES_TUPLES_OK) {
			s->nrow = pq.ntuples(s->res);
			/* RETURNING counts too, as SQLite's changes() does */
			if (t && *t)
				s->pc->changes = strtoll(t, NULL, 10);
		} else {
			s->pc->changes = t && *t ? strtoll(t, NULL, 10) : 0;
		}
	}
	if (!s->res)
		return CF_SQL_MISUSE;
	free(s->blob);
	s->blob = NULL;
	s->blob_col = -1;
	if (s->row + 1 < s->nrow) {
		s->row++;
		return CF_SQL_ROW;
	}
	s->row = s->nrow;
	return CF_SQL_DONE;
}

int
cf_pg_reset(struct pg_stmt *s)
{
	if (s)
		drop_result(s);
	return CF_SQL_OK;
}

int
cf_pg_clear_bindings(struct pg_stmt *s)
{
	if (!s)
		return CF_SQL_MISUSE;
	for (int i = 0; i < s->nparam; i++) {
		free(s->p[i].v);
		s->p[i].v = NULL;
		s->p[i].type = 0;
	}
	return CF_SQL_OK;
}

void
cf_pg_finalize(struct pg_stmt *s)
{
	if (!s)
		return;
	drop_result(s);
	cf_pg_clear_bindings(s);
	free(s->p);
	free(s->sql);
	free(s);
}

int
cf_pg_busy(struct pg_stmt *s)
{
	return s && s->ran && s->res && s->row < s->nrow;
}

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static const char hex[] = "0123456789abcdef";

int
cf_pg_bind(struct pg_stmt *s, int i, int type, const void *v, int64_t n,
           int64_t iv, double dv, cf_sql_free_fn f)
{
	int rc = CF_SQL_OK;
	char *val = NULL;
	Oid oid = 0;
	if (!s || i < 1 || i > s->nparam) {
		rc = CF_SQL_MISUSE;
		goto out;
	}
	switch (type) {
	case CF_SQL_NULL:
		break;
	case CF_SQL_INTEGER:
		val = fmt("%" PRId64, iv);
		oid = INT8OID;
		break;
	case CF_SQL_FLOAT:
		val = fmt("%.17g", dv);
		oid = FLOAT8OID;
		break;
	case CF_SQL_TEXT: {
		/* text holds no NUL: it ends at the first one */
		const char *z = memchr(v, '\0', (size_t)n);
		size_t len = z ? (size_t)(z - (const char *)v) : (size_t)n;
		if (!(val = malloc(len + 1)))
			abort();
		memcpy(val, v, len);
		val[len] = '\0';
		break;
	}
	case CF_SQL_BLOB: {
		/* bytea's hex input form, so that every parameter is text */
		const unsigned char *b = v;
		if (!(val = malloc((size_t)n * 2 + 3)))
			abort();
		val[0] = '\\';
		val[1] = 'x';
		for (int64_t k = 0; k < n; k++) {
			val[2 + 2 * k] = hex[b[k] >> 4];
			val[3 + 2 * k] = hex[b[k] & 15];
		}
		val[2 + 2 * n] = '\0';
		oid = BYTEAOID;
		break;
	}
	default:
		rc = CF_SQL_MISUSE;
	}
	if (rc == CF_SQL_OK) {
		free(s->p[i - 1].v);
		s->p[i - 1].v = val;
		s->p[i - 1].type = oid;
	}
out:
	if (f && f != CF_SQL_TRANSIENT && v)
		f((void *)v);
	return rc;
}

int
cf_pg_bind_zeroblob(struct pg_stmt *s, int i, int64_t n)
{
	/* empty, not n zeros: cf_sql_blob_write's overlay() then appends
	 * each chunk in turn instead of rewriting n bytes each time */
	(void)n;
	return cf_pg_bind(s, i, CF_SQL_BLOB, "", 0, 0, 0, CF_SQL_STATIC);
}

static int
have(struct pg_stmt *s, int i)
{
	/* a row, a column in it, and a value that is not NULL */
	return s && s->res && s->row >= 0 && s->row < s->nrow && i >= 0 &&
	       i < pq.nfields(s->res) && !pq.getisnull(s->res, s->row, i);
}

int
cf_pg_column_count(struct pg_stmt *s)
{
	return s && s->res ? pq.nfields(s->res) : 0;
}

int
cf_pg_column_type(struct pg_stmt *s, int i)
{
	if (!have(s, i))
		return CF_SQL_NULL;
	switch (pq.ftype(s->res, i)) {
	case INT2OID: case INT4OID: case INT8OID: case OIDOID: case BOOLOID:
		return CF_SQL_INTEGER;
	case FLOAT4OID: case FLOAT8OID: case NUMERICOID:
		return CF_SQL_FLOAT;
	case BYTEAOID:
		return CF_SQL_BLOB;
	default:
		return CF_SQL_TEXT;
	}
}

int64_t
cf_pg_column_int64(struct pg_stmt *s, int i)
{
	if (!have(s, i))
		return 0;
	const char *v = pq.getvalue(s->res, s->row, i);
	if (pq.ftype(s->res, i) == BOOLOID)
		return *v == 't';
	if (cf_pg_column_type(s, i) == CF_SQL_FLOAT)
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

double
cf_pg_column_double(struct pg_stmt *s, int i)
{
	if (!have(s, i))
		return 0;
	const char *v = pq.getvalue(s->res, s->row, i);
	if (pq.ftype(s->res, i) == BOOLOID)
		return *v == 't';
	return strtod(v, NULL);
}

static int
unhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A bytea column's bytes (the server's hex output), once per row and
 * column; NUL-terminated so that column_text may hand them out too. */
static const unsigned char *
blob(struct pg_stmt *s, int i)
{
	if (s->blob_col == i)
		return s->blob;
	free(s->blob);
	const char *v = pq.getvalue(s->res, s->row, i);
	size_t len = strlen(v);
	s->blob = malloc(len / 2 + 1);
	if (!s->blob)
		abort();
	size_t n = 0;
	if (v[0] == '\\' && v[1] == 'x') {
		for (size_t k = 2; k + 1 < len; k += 2) {
			int h = unhex(v[k]), l = unhex(v[k + 1]);
			if (h < 0 || l < 0)
				break;
			s->blob[n++] = (unsigned char)(h << 4 | l);
		}
	}
	s->blob[n] = '\0';
	s->blob_len = n;
	s->blob_col = i;
	return s->blob;
}

const unsigned char *
cf_pg_column_text(struct pg_stmt *s, int i)
{
	if (!have(s, i))
		return NULL;
	Oid t = pq.ftype(s->res, i);
	if (t == BOOLOID)
		return (const unsigned char *)(*pq.getvalue(s->res, s->row, i) == 't'
		                                   ? "1" : "0");
	if (t == BYTEAOID)
		return blob(s, i);
	return (const unsigned char *)pq.getvalue(s->res, s->row, i);
}

const void *
cf_pg_column_blob(struct pg_stmt *s, int i)
{
	if (!have(s, i))
		return NULL;
	if (pq.ftype(s->res, i) == BYTEAOID)
		return blob(s, i);
	return pq.getvalue(s->res, s->row, i);
}

int
cf_pg_column_bytes(struct pg_stmt *s, int i)
{
	if (!have(s, i))
		return 0;
	Oid t = pq.ftype(s->res, i);
	if (t == BYTEAOID) {
		blob(s, i);
		return (int)s->blob_len;
	}
	if (t == BOOLOID)
		return 1;
	return pq.getlength(s->res, s->row, i);
}

int
cf_pg_exec(struct pg_conn *pc, const char *sql)
{
	PGresult *r = pq.exec(pc->c, sql);
	int rc = check(pc, r);
	if (rc == CF_SQL_OK) {
		const char *t = pq.cmd_tuples(r);
		pc->changes = t && *t ? strtoll(t, NULL, 10) : 0;
	}
	pq.clear(r);
	return rc;
}

int64_t
cf_pg_changes(struct pg_conn *pc)
{
	return pc->changes;
}

int
cf_pg_autocommit(struct pg_conn *pc)
{
	return pq.transaction_status(pc->c) == PQTRANS_IDLE;
}

int
cf_pg_errcode(struct pg_conn *pc)
{
	return pc->code;
}

const char *
cf_pg_errmsg(struct pg_conn *pc)
{
	return pc->msg ? pc->msg : "not an error";
}

int
cf_pg_socket(struct pg_conn *pc)
{
	return pq.socket(pc->c);
}

/* The notifications that have arrived: each one's payload to fn, then
 * the count, or -1 when the connection is gone. */
int
cf_pg_notifications(struct pg_conn *pc, void (*fn)(void *, const char *, const char *),
                    void *arg)
{
	if (!pq.consume_input(pc->c)) {
		set_error(pc, CF_SQL_IOERR, pq.error_message(pc->c));
		return -1;
	}
	int k = 0;
	PGnotify *n;
	while ((n = pq.notifies(pc->c))) {
		fn(arg, n->relname, n->extra);
		pq.freemem(n);
		k++;
	}
	return k;
}

const char *
cf_pg_user(struct pg_conn *pc)
{
	return pq.user(pc->c);
}

int
cf_pg_reconnect(struct pg_conn *pc)
{
	pq.reset(pc->c);
	if (pq.status(pc->c) != CONNECTION_OK) {
		set_error(pc, CF_SQL_IOERR, pq.error_message(pc->c));
		return CF_SQL_IOERR;
	}
	pq.set_notice_processor(pc->c, quiet, NULL);
	return CF_SQL_OK;
}
