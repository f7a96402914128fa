/* follow.c — a session's messages as others add them (chat-show --follow).
 *
 * What is printed is always read from the rows: a wake-up only says
 * "look again".  Messages go out in seq order, each once, and a reply
 * still arriving (pending) holds back those after it until it is whole,
 * so the output is the session as it reads when it is done.
 *
 * The wake-up: on PostgreSQL, LISTEN confab_messages, which the
 * messages_notify trigger (store_pg.c, schema 2) signals at the commit of
 * a whole message, the payload "SESSION-ID SEQ"; on SQLite, PRAGMA
 * data_version, which changes when another connection commits, read every
 * few milliseconds (a page-cache check, no I/O).  A PostgreSQL connection
 * that drops is made again, LISTEN again, and then the rows are read
 * again from the last seq printed: nothing committed meanwhile is missed. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "priv.h"
#include "sql_int.h"

#define SQLITE_POLL_MS 4
#define PG_WAIT_MS 1000
#define RECONNECT_MS_MAX 2000

struct follow {
	cf_store *st;
	const char *sid;
	int64_t last;       /* the highest seq printed */
	int woken;
	int (*fn)(jv rec, void *ctx);
	void *ctx;
};

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* The seq up to which the session is whole: its last message, or the one
 * before its first reply still arriving.  -1 when the session is gone. */
static jv
whole_upto(struct follow *f, int64_t *upto)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM sessions WHERE id = ?1),"
		" coalesce((SELECT min(seq) FROM messages WHERE session_id = ?1"
		" AND seq > ?2 AND pending IS NOT NULL),"
		" (SELECT max(seq) + 1 FROM messages WHERE session_id = ?1), 0)";
	cf_sql_stmt *s = cf_stmt(f->st, sql);
	cf_bind_text(s, 1, f->sid);
	cf_sql_bind_int64(s, 2, f->last);
	jv r = jv_true();
	if (cf_sql_step(s) != CF_SQL_ROW)
		r = cf_store_error(f->st, "following the session");
	else if (cf_sql_column_int64(s, 0) == 0)
		r = cf_error(CF_EX_NOTFOUND, "the session was deleted");
	else
		*upto = cf_sql_column_int64(s, 1) - 1;
	cf_sql_reset(s);
	return r;
}

struct page {
	struct follow *f;
	int stop;
};

static int
one(jv rec, void *ctx)
{
	struct page *p = ctx;
	jv seq = jv_object_get(jv_copy(rec), jv_string("seq"));
	if (jv_get_kind(seq) == JV_KIND_NUMBER)
		p->f->last = (int64_t)jv_number_value(seq);
	jv_free(seq);
	rec = jv_object_delete(rec, jv_string("seq"));
	if (p->f->fn(rec, p->f->ctx))
		p->stop = 1;
	return p->stop;
}

/* What was committed since the last look, up to the first reply still
 * arriving; first: only the last `first` of them (0: all). */
static jv
catch_up(struct follow *f, long first, int *stop)
{
	int64_t upto = 0;
	jv r = whole_upto(f, &upto);
	if (!jv_is_valid(r) || upto <= f->last)
		return r;
	struct page p = {f, 0};
	r = cf_message_page(f->st, f->sid, f->last, upto + 1, first, first > 0,
	                    one, &p);
	*stop = p.stop;
	return r;
}

static void
on_notify(void *arg, const char *chan, const char *payload)
{
	struct follow *f = arg;
	size_t n = strlen(f->sid);
	(void)chan;
	if (payload && !strncmp(payload, f->sid, n) && payload[n] == ' ')
		f->woken = 1;
}

static int
pg_listen(cf_store *st)
{
	return cf_sql_exec(st->db, "LISTEN confab_messages");
}

/* The server went away: again until it answers. */
static void
pg_again(struct follow *f)
{
	struct pg_conn *pc = f->st->db->pg;
	for (long backoff = 50;
	     cf_pg_reconnect(pc) != CF_SQL_OK || pg_listen(f->st) != CF_SQL_OK;) {
		sleep_ms(backoff);
		backoff = backoff * 2 > RECONNECT_MS_MAX ? RECONNECT_MS_MAX : backoff * 2;
	}
}

/* Waits for the next wake-up; a dropped connection is made again (then
 * the caller reads again, which is the point of a wake-up too). */
static jv
pg_wait(struct follow *f)
{
	struct pg_conn *pc = f->st->db->pg;
	for (;;) {
		int k = cf_pg_notifications(pc, on_notify, f);
		if (k >= 0) {
			if (f->woken)
				return jv_true();
			struct pollfd pfd = {cf_pg_socket(pc), POLLIN, 0};
			if (pfd.fd >= 0 && poll(&pfd, 1, PG_WAIT_MS) != 0)
				continue;   /* input, or an error the next read tells */
			f->woken = 1;   /* a second's quiet: look anyway */
			return jv_true();
		}
		pg_again(f);
		f->woken = 1;
		return jv_true();
	}
}

static jv
lite_version(cf_store *st, int64_t *v)
{
	cf_sql_stmt *s = cf_stmt(st, "PRAGMA data_version");
	jv r = jv_true();
	if (cf_sql_step(s) == CF_SQL_ROW)
		*v = cf_sql_column_int64(s, 0);
	else
		r = cf_store_error(st, "following the session");
	cf_sql_reset(s);
	return r;
}

jv
cf_follow(cf_store *st, const char *sid, long first,
          int (*fn)(jv rec, void *ctx), void *ctx)
{
	struct follow f = {st, sid, 0, 0, fn, ctx};
	int pg = cf_sql_kind(st->db) == CF_SQL_PG, stop = 0;
	/* listening before the first read: a commit between the two is then
	 * both read and signalled, never neither */
	if (pg && pg_listen(st) != CF_SQL_OK)
		return cf_store_error(st, "listening for new messages");
	int64_t ver = 0, now = 0;
	jv r = pg ? jv_true() : lite_version(st, &ver);
	if (jv_is_valid(r))
		r = catch_up(&f, first, &stop);
	while (jv_is_valid(r) && !stop) {
		if (pg) {
			f.woken = 0;
			r = pg_wait(&f);
		} else {
			sleep_ms(SQLITE_POLL_MS);
			r = lite_version(st, &now);
			if (!jv_is_valid(r) || now == ver)
				continue;
			ver = now;
		}
		if (jv_is_valid(r))
			r = catch_up(&f, 0, &stop);
		/* a read the dropped connection cut short: read again once it is
		 * back, from the last seq printed */
		if (pg && !jv_is_valid(r) && cf_sql_errcode(st->db) == CF_SQL_IOERR) {
			jv_free(r);
			pg_again(&f);
			r = jv_true();
		}
	}
	return r;
}
