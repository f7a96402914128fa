/* unit.h — a small test harness for the library's C unit tests: CHECK
 * counts and reports, DIES runs code in a child and checks its exit code. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "confab.h"
#include "sql.h"
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#define UNIT_NO_LEAK_CHECK() __lsan_disable()
#else
#define UNIT_NO_LEAK_CHECK() ((void)0)
#endif

static int unit_pass, unit_fail;

#define CHECK(cond) do { \
	if (cond) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && !strcmp(a_, b_)) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: failed: %s == %s (\"%s\" vs \"%s\")\n", \
	       __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

/* Runs the statement in a child with stderr silenced; checks it exits
 * with code.  What a dying program still holds is not a leak. */
#define DIES(code, stmt) do { \
	fflush(NULL); \
	pid_t p_ = fork(); \
	if (p_ == 0) { if (!getenv("UNIT_VERBOSE")) freopen("/dev/null", "w", stderr); UNIT_NO_LEAK_CHECK(); stmt; _exit(250); } \
	int st_ = 0; waitpid(p_, &st_, 0); \
	CHECK(WIFEXITED(st_) && WEXITSTATUS(st_) == (code)); \
} while (0)

/* expr returns an error value with this status (and, for ERR_MSG, a
 * message containing text); the value is freed. */
#define ERR_MSG(code, text, expr) do { \
	jv e_ = (expr); \
	jv m_ = cf_is_error(e_) ? cf_error_message(e_) : jv_string(""); \
	const char *t_ = (text); \
	if (cf_is_error(e_) && cf_error_status(e_) == (code) && \
	    (!t_ || strstr(jv_string_value(m_), t_))) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: failed: %s is error %d%s%s (got %s%d: \"%s\")\n", \
	       __FILE__, __LINE__, #expr, (code), t_ ? " with " : "", t_ ? t_ : "", \
	       cf_is_error(e_) ? "error " : "no error ", cf_is_error(e_) ? cf_error_status(e_) : 0, \
	       jv_string_value(m_)); } \
	jv_free(m_); jv_free(e_); \
} while (0)
#define ERR(code, expr) ERR_MSG(code, NULL, expr)
/* expr returns no error; the value is freed. */
#define OK(expr) do { jv o_ = (expr); CHECK(!cf_is_error(o_)); jv_free(o_); } while (0)

/* A store that must open; the test ends when it does not. */
/* The first column of the first row of sql, an integer; -1 when there is
 * none or the statement fails. */
static inline long
unit_scalar(cf_store *st, const char *sql)
{
	cf_sql_stmt *s = cf_sql_prepare(cf_store_db(st), sql);
	long v = -1;
	if (cf_sql_step(s) == CF_SQL_ROW)
		v = cf_sql_column_int64(s, 0);
	cf_sql_finalize(s);
	return v;
}

static inline cf_store *
unit_open(const char *path, int mode)
{
	jv err = jv_invalid();
	cf_store *st = cf_store_open_mode(path, mode, &err);
	if (!st) {
		jv m = cf_error_message(err);
		fprintf(stderr, "cannot open %s: %s\n", path, jv_string_value(m));
		exit(1);
	}
	return st;
}

/* What opening path fails with (the store must not open). */
static inline jv
unit_open_error(const char *path, int mode)
{
	jv err = jv_invalid();
	cf_store *st = cf_store_open_mode(path, mode, &err);
	if (st) {
		cf_store_close(st);
		return jv_true();
	}
	return err;
}

static int
unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail != 0;
}

#endif
