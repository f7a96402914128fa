/* serve_stream.c — sends and live streams: the hub.
 *
 * Per session the hub keeps the connections waiting on it (SSE streams,
 * sends), the turn in flight (a `chat-serve --turn` child and its pipes),
 * the sends queued behind it, and the log: the bytes of the events of
 * the current reply (and what a slow reader has not read yet), so a
 * client that comes mid-reply gets the reply so far.
 *
 * Threads (serve.h: only MHD's may touch a jv or the library):
 *   MHD's    routes, and each connection's content reader, which formats
 *            message events from srv->st and copies log bytes out;
 *   reader   polls every child's pipes, appends their bytes to the log,
 *            reaps the child (no zombie), starts the next queued send,
 *            resumes the connections; bytes and ints only;
 *   watcher  its own read-only sqlite3 connection: PRAGMA data_version
 *            every 50 ms, then one count per watched session, so a
 *            message added by anyone (chat-send in a terminal) wakes the
 *            streams; and the pings.
 * Waking is MHD_resume_connection on a connection we suspended, both
 * under the hub's lock, so a wake can never come before its suspend. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "priv.h"
#include "sql_int.h"

struct hsess;

/* One send: queued, then running as a child, then done. */
struct job {
	int refs;                  /* the hub's, and its connection's */
	int memfd;                 /* the request, the child's fd 0 */
	pid_t pid;
	int out, res, pidfd;       /* -1 once closed */
	int started, done, exited;
	int retry;                 /* its reply folds into an old one's row */
	int cut;                   /* the drain's cut signalled it */
	size_t log_start, log_end; /* its events in the session's log */
	char result[4096];         /* fd 3's line */
	size_t rlen;
	struct hsess *s;
	struct job *next;          /* the queue */
};

enum { SUB_STREAM, SUB_SEND_SSE, SUB_SEND_WAIT };

/* A connection waiting on a session. */
struct sub {
	struct cf_hub *h;
	struct hsess *s;
	struct cf_req *r;
	int kind;
	struct job *job;           /* the send's */
	size_t off;                /* its place in the log */
	int suspended;             /* by us: only then may it be resumed */
	int query;                 /* look for new messages */
	int ping, hello, final, closing;
	unsigned long changes;     /* s->changes it has told */
	long long last;            /* every message up to this seq was sent */
	long long *above;          /* seqs sent past a pending reply's */
	int nabove;
	char *ob;                  /* formatted events not written yet */
	size_t olen, opos;
	struct sub *prev, *next;
};

struct hsess {
	char id[37];
	struct sub *subs;
	int nsubs;
	struct job *running, *qhead, *qtail;
	char *log;                 /* bytes [base, base + len) of the log */
	size_t base, len, cap;
	unsigned long changes;     /* cf_srv_changed calls */
	long long sig[3];          /* the watcher's last count */
	struct hsess *next;
};

struct cf_hub {
	struct cf_srv *srv;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hsess *sessions;
	int evfd;                  /* wakes the reader */
	pthread_t reader, watcher;
	int threads;
	volatile int quit;
	int draining, closing;
	int cutting;               /* the grace is over: turns told to stop */
	int nsubs, busy;           /* connections; turns running or queued */
	char *exe, *db;
	char *conninfo;            /* PostgreSQL: the store's, password and all */
	long ping;                 /* seconds */
};

/* ---- the hub's state, under h->mu ---- */

static struct hsess *
sess_get(struct cf_hub *h, const char *id, int make)
{
	for (struct hsess *s = h->sessions; s; s = s->next)
		if (!strcmp(s->id, id))
			return s;
	if (!make)
		return NULL;
	struct hsess *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	snprintf(s->id, sizeof s->id, "%s", id);
	s->sig[0] = -1;
	s->next = h->sessions;
	h->sessions = s;
	return s;
}

static void
wake(struct sub *u)
{
	if (u->suspended) {
		u->suspended = 0;
		MHD_resume_connection(u->r->conn);
	}
}

static void
wake_all(struct hsess *s, int query)
{
	for (struct sub *u = s->subs; u; u = u->next) {
		/* a send hears only its own turn's start and end */
		if (u->job && !(u->kind == SUB_SEND_SSE ? u->job->started : u->job->done))
			continue;
		if (query)
			u->query = 1;
		wake(u);
	}
}

static void
job_unref(struct job *j)
{
	if (--j->refs > 0)
		return;
	if (j->memfd >= 0)
		close(j->memfd);
	free(j);
}

static int
log_append(struct hsess *s, const char *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *l = realloc(s->log, cap);
		if (!l)
			return -1;
		s->log = l;
		s->cap = cap;
	}
	memcpy(s->log + s->len, p, n);
	s->len += n;
	return 0;
}

/* A new turn's events start here: what every reader has read goes. */
static void
log_trim(struct hsess *s)
{
	size_t keep = s->base + s->len;
	for (struct sub *u = s->subs; u; u = u->next)
		if (u->kind == SUB_STREAM || (u->kind == SUB_SEND_SSE && u->job->started))
			if (u->off < keep)
				keep = u->off;
	if (keep < s->base)
		keep = s->base;
	size_t cut = keep - s->base;
	if (!cut)
		return;
	memmove(s->log, s->log + cut, s->len - cut);
	s->len -= cut;
	s->base = keep;
	if (!s->len && s->cap > 65536) {
		free(s->log);
		s->log = NULL;
		s->cap = 0;
	}
}

/* ---- the turn children (the reader thread) ---- */

static void
spawn(struct cf_hub *h, struct hsess *s, struct job *j)
{
	int out[2] = {-1, -1}, res[2] = {-1, -1};
	log_trim(s);
	j->log_start = s->base + s->len;
	j->started = 1;
	s->running = j;
	if (pipe2(out, O_CLOEXEC) || pipe2(res, O_CLOEXEC) ||
	    lseek(j->memfd, 0, SEEK_SET) != 0 || (j->pid = fork()) < 0) {
		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0) close(out[i]);
			if (res[i] >= 0) close(res[i]);
		}
		j->pid = -1;
		j->out = j->res = j->pidfd = -1;
		j->exited = 1;
		j->rlen = (size_t)snprintf(j->result, sizeof j->result,
			"{\"exit\":1,\"error\":\"cannot start the turn: %s\"}\n", strerror(errno));
		return;
	}
	if (j->pid == 0) {
		/* Only async-signal-safe calls here: another thread may hold
		 * malloc's lock.  A group of its own: the terminal's Ctrl-C is
		 * the server's to drain, not the turn's to cut. */
		dup2(j->memfd, 0);
		dup2(out[1], 1);
		dup2(res[1], 3);
		syscall(SYS_close_range, 4U, ~0U, 0);
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		char *argv[] = {h->exe, "--turn", "--db", h->db, NULL};
		execv(h->exe, argv);
		_exit(127);
	}
	close(out[1]);
	close(res[1]);
	close(j->memfd);
	j->memfd = -1;
	j->out = out[0];
	j->res = res[0];
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	fcntl(j->out, F_SETFL, O_NONBLOCK);
	fcntl(j->res, F_SETFL, O_NONBLOCK);
	/* a send waiting for its turn to start hears it now */
	wake_all(s, 0);
}

static void
finish(struct cf_hub *h, struct hsess *s, struct job *j)
{
	if (!j->rlen) {
		/* it died before its result: the streams still hear an end;
		 * one the drain's cut signalled, the server stopped */
		const char *why = j->cut ? "the server stopped the turn" :
		                  "the turn ended unexpectedly";
		char end[160];
		int n = snprintf(end, sizeof end, "event: end\ndata: {\"messageId\":null,"
		                 "\"incomplete\":true,\"error\":\"%s\"}\n\n", why);
		log_append(s, end, (size_t)n);
		j->rlen = (size_t)snprintf(j->result, sizeof j->result,
			"{\"exit\":%d,\"error\":\"%s\"}\n", j->cut ? CF_EX_SIGTERM : 1, why);
	}
	j->log_end = s->base + s->len;
	j->done = 1;
	if (s->running == j)
		s->running = NULL;
	h->busy--;
	/* a retry's record keeps the old reply's seq, past every stream's
	 * mark: the streams say change, and the pages read it again */
	if (j->retry)
		s->changes++;
	wake_all(s, 1);   /* the reply is whole: its message event */
	job_unref(j);
	pthread_cond_broadcast(&h->cv);
}

/* Returns 1 when the fd is done with (EOF or an error). */
static int
pump(struct cf_hub *h, struct hsess *s, struct job *j, int fd)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		if (fd == j->out) {
			int first = s->base + s->len == j->log_start;
			log_append(s, buf, (size_t)n);
			/* the user's message is stored before the start event:
			 * the streams tell it first */
			wake_all(s, first);
		} else {
			size_t room = sizeof j->result - 1 - j->rlen;
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(j->result + j->rlen, buf, take);
			j->rlen += take;
			j->result[j->rlen] = '\0';
		}
	}
	(void)h;
}

static void *
reader_main(void *arg)
{
	struct cf_hub *h = arg;
	struct pollfd *p = NULL;
	struct job **who = NULL;
	int cap = 0;
	pthread_mutex_lock(&h->mu);
	while (!h->quit) {
		/* start what may start, then listen to every child */
		int n = 1;
		for (struct hsess *s = h->sessions; s; s = s->next) {
			if (!s->running && s->qhead) {
				struct job *j = s->qhead;
				s->qhead = j->next;
				if (!s->qhead)
					s->qtail = NULL;
				j->next = NULL;
				spawn(h, s, j);
			}
			if (s->running)
				n += 3;
		}
		if (n > cap) {
			cap = n * 2;
			p = realloc(p, sizeof *p * (size_t)cap);
			who = realloc(who, sizeof *who * (size_t)cap);
			if (!p || !who)
				break;
		}
		int k = 0;
		p[k++] = (struct pollfd){.fd = h->evfd, .events = POLLIN};
		int timeout = -1;
		for (struct hsess *s = h->sessions; s; s = s->next) {
			struct job *j = s->running;
			if (!j)
				continue;
			int fds[3] = {j->out, j->res, j->exited ? -1 : j->pidfd};
			for (int i = 0; i < 3; i++)
				if (fds[i] >= 0) {
					who[k] = j;
					p[k++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
				}
			if (!j->exited && j->pidfd < 0)
				timeout = 20;   /* no pidfd: look for its exit now and then */
			if (j->out < 0 && j->res < 0 && j->exited)
				timeout = 0;
		}
		pthread_mutex_unlock(&h->mu);
		poll(p, (nfds_t)k, timeout);
		pthread_mutex_lock(&h->mu);
		if (p[0].revents) {
			uint64_t v;
			if (read(h->evfd, &v, sizeof v) < 0) {
				/* nothing: a wake is a wake */
			}
		}
		for (int i = 1; i < k; i++) {
			struct job *j = who[i];
			if (!p[i].revents)
				continue;
			if (p[i].fd == j->out && pump(h, j->s, j, j->out)) {
				close(j->out);
				j->out = -1;
			} else if (p[i].fd == j->res && pump(h, j->s, j, j->res)) {
				close(j->res);
				j->res = -1;
			} else if (p[i].fd == j->pidfd) {
				int st;
				if (waitpid(j->pid, &st, WNOHANG) != 0)
					j->exited = 1;
			}
		}
		for (struct hsess *s = h->sessions; s; s = s->next) {
			struct job *j = s->running;
			if (!j)
				continue;
			if (!j->exited && j->pidfd < 0) {
				int st;
				if (waitpid(j->pid, &st, WNOHANG) != 0)
					j->exited = 1;
			}
			if (j->out < 0 && j->res < 0 && j->exited) {
				if (j->pidfd >= 0)
					close(j->pidfd);
				j->pidfd = -1;
				finish(h, s, j);
			}
		}
	}
	pthread_mutex_unlock(&h->mu);
	free(p);
	free(who);
	return NULL;
}

static void
poke(struct cf_hub *h)
{
	uint64_t one = 1;
	if (write(h->evfd, &one, sizeof one) < 0) {
		/* the counter is full: the reader is awake anyway */
	}
}

/* ---- the watcher (its own connection, bytes only) ---- */

/* a watcher's tick is 50 ms: a second without a notification */
#define PG_QUIET_TICKS 20

static void
pg_woken(void *arg, const char *chan, const char *payload)
{
	(void)chan;
	(void)payload;
	*(int *)arg = 1;
}

static void *
watcher_main(void *arg)
{
	struct cf_hub *h = arg;
	sqlite3 *db = NULL;
	sqlite3_stmt *ver = NULL, *count = NULL;
	/* PostgreSQL: LISTEN confab_messages on a connection of the
	 * watcher's own, as chat-show --follow does (follow.c); a
	 * notification, a reconnect, or a second without one has the watched
	 * sessions' signatures read again.  The second catches what the
	 * trigger does not signal: a reply still arriving in another process,
	 * whose deltas are not whole messages yet. */
	cf_sql *pg = NULL;
	cf_sql_stmt *pcount = NULL;
	long long tick = 0;
	int quiet = 0, woke = 1;
	if (h->conninfo) {
		char *msg = NULL;
		pg = cf_pg_connect(h->conninfo, &msg);
		free(msg);   /* no watcher: streams still get their pings */
		if (pg && cf_sql_exec(pg, "LISTEN confab_messages") != CF_SQL_OK) {
			cf_sql_close(pg);
			pg = NULL;
		}
		if (pg)
			pcount = cf_sql_prepare(pg, "SELECT count(*), coalesce(max(seq), 0),"
			                        " count(pending) FROM messages"
			                        " WHERE session_id = ?1");
	} else if (sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	                           NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 20);
		sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &ver, NULL);
		sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(seq), 0), count(pending)"
		                   " FROM messages WHERE session_id = ?1", -1, &count, NULL);
	}
	long long seen = -1;
	struct timespec last_ping;
	clock_gettime(CLOCK_MONOTONIC, &last_ping);
	struct hsess **list = NULL;
	int cap = 0;
	while (!h->quit) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		long long v = -1;
		if (ver && sqlite3_step(ver) == SQLITE_ROW)
			v = sqlite3_column_int64(ver, 0);
		sqlite3_reset(ver);
		if (pcount) {
			int k = cf_pg_notifications(pg->pg, pg_woken, &woke);
			/* gone: made again (a try a tick), LISTEN again, and
			 * everything read again, as nothing signalled meanwhile
			 * is known */
			if (k < 0 && cf_pg_reconnect(pg->pg) == CF_SQL_OK &&
			    cf_sql_exec(pg, "LISTEN confab_messages") == CF_SQL_OK)
				woke = 1;
			if (++quiet >= PG_QUIET_TICKS)
				woke = 1;
			if (woke) {
				woke = quiet = 0;
				v = ++tick;
			} else
				v = seen;
		}
		if (v != seen && (count || pcount)) {
			seen = v;
			/* sessions are never freed while the hub runs: their
			 * pointers and ids hold outside the lock */
			int n = 0;
			pthread_mutex_lock(&h->mu);
			for (struct hsess *s = h->sessions; s; s = s->next)
				if (s->nsubs) {
					if (n == cap) {
						cap = cap ? cap * 2 : 16;
						struct hsess **l = realloc(list, sizeof *l * (size_t)cap);
						if (!l)
							break;
						list = l;
					}
					list[n++] = s;
				}
			pthread_mutex_unlock(&h->mu);
			for (int i = 0; i < n; i++) {
				long long sig[3] = {0, 0, 0};
				if (pcount) {
					cf_sql_bind_text(pcount, 1, list[i]->id, -1, CF_SQL_STATIC);
					if (cf_sql_step(pcount) == CF_SQL_ROW)
						for (int c = 0; c < 3; c++)
							sig[c] = cf_sql_column_int64(pcount, c);
					cf_sql_reset(pcount);
				} else {
					sqlite3_bind_text(count, 1, list[i]->id, -1, SQLITE_STATIC);
					if (sqlite3_step(count) == SQLITE_ROW)
						for (int c = 0; c < 3; c++)
							sig[c] = sqlite3_column_int64(count, c);
					sqlite3_reset(count);
				}
				pthread_mutex_lock(&h->mu);
				if (memcmp(sig, list[i]->sig, sizeof sig)) {
					memcpy(list[i]->sig, sig, sizeof sig);
					wake_all(list[i], 1);
				}
				pthread_mutex_unlock(&h->mu);
			}
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - last_ping.tv_sec >= h->ping) {
			last_ping = now;
			pthread_mutex_lock(&h->mu);
			for (struct hsess *s = h->sessions; s; s = s->next)
				for (struct sub *u = s->subs; u; u = u->next)
					if (u->kind != SUB_SEND_WAIT) {
						u->ping = 1;
						wake(u);
					}
			pthread_mutex_unlock(&h->mu);
		}
	}
	free(list);
	sqlite3_finalize(ver);
	sqlite3_finalize(count);
	sqlite3_close(db);
	cf_sql_finalize(pcount);
	cf_sql_close(pg);
	return NULL;
}

/* ---- connections (MHD's thread) ---- */

static void
out_add(struct sub *u, const char *p, size_t n)
{
	u->ob = cf_xrealloc(u->ob, u->olen + n + 1);
	memcpy(u->ob + u->olen, p, n);
	u->olen += n;
}

static void
out_event(struct sub *u, const char *name, long long id, jv data)
{
	if (jv_get_kind(data) != JV_KIND_OBJECT) {
		jv_free(data);   /* a store error reading it: the next look tries again */
		return;
	}
	size_t len;
	const char *j = cf_json_compact(data, &len);
	char head[96];
	int hn = id >= 0 ? snprintf(head, sizeof head, "event: %s\nid: %lld\ndata: ", name, id) :
	         snprintf(head, sizeof head, "event: %s\ndata: ", name);
	out_add(u, head, (size_t)hn);
	out_add(u, j, len);
	out_add(u, "\n\n", 2);
}

static int
sent_above(struct sub *u, long long seq)
{
	for (int i = 0; i < u->nabove; i++)
		if (u->above[i] == seq)
			return 1;
	return 0;
}

/* The messages past u->last as events.  A reply still arriving is left
 * for later, and holds u->last below it, so it is not missed when it
 * ends; what comes after it is sent and remembered in u->above, with the
 * event id kept at u->last, so a reconnect with it misses nothing
 * (and may see those again). */
static void
out_messages(struct sub *u)
{
	cf_store *st = u->h->srv->st;
	static const char sql[] =
		"SELECT id, seq, pending IS NOT NULL FROM messages"
		" WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 100";
	struct { char id[37]; long long seq; int pending; } row[100];
	int n = 0;
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, u->s->id);
	cf_sql_bind_int64(s, 2, u->last);
	while (n < 100 && cf_sql_step(s) == CF_SQL_ROW) {
		const unsigned char *id = cf_sql_column_text(s, 0);
		snprintf(row[n].id, sizeof row[n].id, "%s", id ? (const char *)id : "");
		row[n].seq = cf_sql_column_int64(s, 1);
		row[n].pending = cf_sql_column_int(s, 2);
		n++;
	}
	cf_sql_reset(s);
	int held = 0;
	for (int i = 0; i < n; i++) {
		if (row[i].pending) {
			held = 1;
			continue;
		}
		int again = held && sent_above(u, row[i].seq);
		if (!held)
			u->last = row[i].seq;
		if (again)
			continue;
		jv m = cf_message_get(st, row[i].id);
		if (jv_get_kind(m) != JV_KIND_OBJECT) {
			jv_free(m);   /* gone meanwhile */
			continue;
		}
		if (held) {
			u->above = cf_xrealloc(u->above, sizeof *u->above * (size_t)(u->nabove + 1));
			u->above[u->nabove++] = row[i].seq;
		}
		out_event(u, "message", u->last, cf_srv_message_out(u->r, m, 0));
	}
	/* what the mark has passed need not be remembered */
	int k = 0;
	for (int i = 0; i < u->nabove; i++)
		if (u->above[i] > u->last)
			u->above[k++] = u->above[i];
	u->nabove = k;
	if (n == 100 && !held)
		u->query = 1;   /* more than a page came: the rest next */
}

/* A send's own records, after its end event (stream=true); res is
 * borrowed. */
static void
out_turn_messages(struct sub *u, jv res)
{
	const char *ids[2] = {cf_jstr(res, "userId"), cf_jstr(res, "replyId")};
	for (int i = 0; i < 2; i++) {
		if (!*ids[i])
			continue;
		jv m = cf_message_get(u->h->srv->st, ids[i]);
		if (jv_get_kind(m) != JV_KIND_OBJECT) {
			jv_free(m);
			continue;
		}
		jv o = cf_srv_message_out(u->r, m, 0);
		long long seq = (long long)cf_jnum(o, "seq", -1);
		out_event(u, "message", seq, o);
	}
}

static ssize_t
fill(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sub *u = cls;
	struct cf_hub *h = u->h;
	size_t n = 0;
	(void)pos;
	for (;;) {
		if (u->ob) {
			size_t take = u->olen - u->opos < max - n ? u->olen - u->opos : max - n;
			memcpy(buf + n, u->ob + u->opos, take);
			n += take;
			u->opos += take;
			if (u->opos < u->olen)
				return (ssize_t)n;
			free(u->ob);
			u->ob = NULL;
			u->olen = u->opos = 0;
		}
		if (!u->hello) {
			u->hello = 1;
			out_add(u, ": hello\n\n", 9);
			continue;
		}
		pthread_mutex_lock(&h->mu);
		struct hsess *s = u->s;
		struct job *j = u->job;
		int query = u->query && u->kind == SUB_STREAM;
		u->query = 0;
		if (h->closing && !u->closing && u->kind == SUB_STREAM) {
			u->closing = 1;
			query = 1;   /* the replies drain stored: their messages */
		}
		if (query) {
			pthread_mutex_unlock(&h->mu);
			out_messages(u);
			continue;
		}
		if (u->kind == SUB_STREAM && u->changes != s->changes) {
			u->changes = s->changes;
			pthread_mutex_unlock(&h->mu);
			jv d = jv_object_set(jv_object(), jv_string("sessionId"), jv_string(s->id));
			out_event(u, "change", -1, d);
			continue;
		}
		size_t end = s->base + s->len;
		if (j) {
			if (!j->started)
				end = 0;
			else if (u->off < j->log_start)
				u->off = j->log_start;
			if (j->done)
				end = j->log_end;
		}
		if (u->off < s->base)
			u->off = s->base;
		if (u->off < end && n < max) {
			size_t take = end - u->off < max - n ? end - u->off : max - n;
			memcpy(buf + n, s->log + (u->off - s->base), take);
			u->off += take;
			n += take;
			pthread_mutex_unlock(&h->mu);
			return (ssize_t)n;
		}
		if (u->ping) {
			u->ping = 0;
			pthread_mutex_unlock(&h->mu);
			out_add(u, ": ping\n\n", 8);
			continue;
		}
		if (j && j->done && !u->final) {
			u->final = 1;
			jv res = jv_parse(j->result);
			/* a turn that never ran (the server stopping, a fork
			 * that failed) wrote no end event: its error is one */
			int silent = j->log_start == j->log_end;
			pthread_mutex_unlock(&h->mu);
			if (jv_get_kind(res) == JV_KIND_OBJECT && silent && cf_jnum(res, "exit", 0)) {
				jv d = jv_object_set(jv_object(), jv_string("messageId"), jv_null());
				d = jv_object_set(d, jv_string("incomplete"), jv_false());
				d = jv_object_set(d, jv_string("error"),
				                  jv_string(cf_jstr(res, "error")));
				out_event(u, "end", -1, d);
			} else if (jv_get_kind(res) == JV_KIND_OBJECT) {
				out_turn_messages(u, res);
			}
			jv_free(res);
			continue;
		}
		if ((j && j->done) || (u->kind == SUB_STREAM && u->closing)) {
			pthread_mutex_unlock(&h->mu);
			return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (n) {
			pthread_mutex_unlock(&h->mu);
			return (ssize_t)n;
		}
		if (!s->running && s->len)
			log_trim(s);   /* a long reply's bytes go once all have read them */
		u->suspended = 1;
		MHD_suspend_connection(u->r->conn);
		pthread_mutex_unlock(&h->mu);
		return 0;
	}
}

/* The request log counts a stream's bytes too. */
static ssize_t
content(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sub *u = cls;
	ssize_t n = fill(cls, pos, buf, max);
	if (n > 0)
		u->r->sent += (unsigned long long)n;
	return n;
}

static void
sub_free(void *ctx)
{
	struct sub *u = ctx;
	struct cf_hub *h = u->h;
	pthread_mutex_lock(&h->mu);
	if (u->prev)
		u->prev->next = u->next;
	else
		u->s->subs = u->next;
	if (u->next)
		u->next->prev = u->prev;
	u->s->nsubs--;
	h->nsubs--;
	if (u->job)
		job_unref(u->job);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	free(u->ob);
	free(u->above);
	free(u);
}

/* Under h->mu. */
static struct sub *
sub_new(struct cf_hub *h, struct hsess *s, struct cf_req *r, int kind)
{
	struct sub *u = cf_xmalloc(sizeof *u);
	memset(u, 0, sizeof *u);
	u->h = h;
	u->s = s;
	u->r = r;
	u->kind = kind;
	u->changes = s->changes;
	u->hello = kind != SUB_STREAM;
	u->next = s->subs;
	if (s->subs)
		s->subs->prev = u;
	s->subs = u;
	s->nsubs++;
	h->nsubs++;
	r->ctx = u;
	r->ctx_free = sub_free;
	return u;
}

static enum MHD_Result
sse(struct cf_req *r, struct sub *u)
{
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 4096, content, u, NULL);
	if (!resp)
		return MHD_NO;
	cf_srv_sse_headers(resp);
	return cf_srv_queue(r, 200, resp);
}

/* ---- GET /api/chat/sessions/:id/stream ---- */

static enum MHD_Result
stream_get(struct cf_req *r)
{
	struct cf_srv *srv = r->srv;
	struct cf_hub *h = srv->hub;
	if (!h)   /* the daemon answers before the hub has started */
		return cf_srv_fail(r, 503, "the server is starting");
	jv sess = cf_resolve_session(srv->st, r->id);
	if (!jv_is_valid(sess))
		return cf_srv_error(r, sess);
	const char *from = cf_srv_header(r, "Last-Event-ID");
	if (!from || !*from)
		from = cf_srv_arg(r, "lastEventId");
	long long last = -1;
	if (from && *from) {
		char *end;
		errno = 0;
		last = strtoll(from, &end, 10);
		if (errno || *end || last < 0) {
			jv_free(sess);
			return cf_srv_fail(r, 400, "Last-Event-ID: expected a message seq");
		}
	} else {
		/* from now on, but below a reply still arriving */
		static const char sql[] =
			"SELECT coalesce((SELECT min(seq) - 1 FROM messages WHERE session_id = ?1"
			" AND pending IS NOT NULL), (SELECT max(seq) FROM messages"
			" WHERE session_id = ?1), 0)";
		cf_sql_stmt *s = cf_stmt(srv->st, sql);
		cf_bind_text(s, 1, cf_jstr(sess, "id"));
		last = cf_sql_step(s) == CF_SQL_ROW ? cf_sql_column_int64(s, 0) : 0;
		cf_sql_reset(s);
	}
	pthread_mutex_lock(&h->mu);
	struct hsess *s = sess_get(h, cf_jstr(sess, "id"), 1);
	jv_free(sess);
	if (!s) {
		pthread_mutex_unlock(&h->mu);
		return cf_srv_fail(r, 500, "out of memory");
	}
	struct sub *u = sub_new(h, s, r, SUB_STREAM);
	u->last = last;
	u->query = 1;
	/* mid-reply: the reply so far */
	u->off = s->running ? s->running->log_start : s->base + s->len;
	pthread_mutex_unlock(&h->mu);
	return sse(r, u);
}

/* ---- POST /api/chat/sessions/:id/messages ---- */

struct form {
	jv fields;                 /* name -> string */
	jv files;                  /* [{name, data: base64}] */
	char *buf;                 /* the file being read */
	size_t len, cap;
	char name[256];
	int in_file;
	long max;
	int too_big;
};

static void
form_file_end(struct form *f)
{
	if (!f->in_file)
		return;
	jv a = jv_object();
	a = jv_object_set(a, jv_string("name"), jv_string(f->name));
	a = jv_object_set(a, jv_string("data"), cf_base64(f->buf ? f->buf : "", f->len));
	f->files = jv_array_append(f->files, a);
	f->in_file = 0;
	f->len = 0;
}

static enum MHD_Result
form_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
          const char *ctype, const char *enc, const char *data, uint64_t off,
          size_t size)
{
	struct form *f = cls;
	(void)kind; (void)ctype; (void)enc;
	if (filename) {
		if (off == 0) {
			form_file_end(f);
			f->in_file = 1;
			snprintf(f->name, sizeof f->name, "%s", filename);
		}
		if (f->len + size > (size_t)f->max) {
			f->too_big = 1;
			return MHD_NO;
		}
		if (f->len + size > f->cap) {
			f->cap = (f->len + size) * 2;
			f->buf = cf_xrealloc(f->buf, f->cap);
		}
		memcpy(f->buf + f->len, data, size);
		f->len += size;
		return MHD_YES;
	}
	form_file_end(f);
	jv k = jv_string(key);
	jv old = jv_object_get(jv_copy(f->fields), jv_copy(k));
	jv v = jv_is_valid(old) ? jv_string_concat(old, jv_string_sized(data, (int)size)) :
	       (jv_free(old), jv_string_sized(data, (int)size));
	f->fields = jv_object_set(f->fields, k, v);
	return MHD_YES;
}

/* multipart/form-data as the JSON body would be: the fields' strings,
 * the files as base64 attachments. */
static jv
form_body(struct cf_req *r, long max, unsigned *status)
{
	*status = 400;
	struct form f = {.fields = jv_object(), .files = jv_array(), .max = max};
	struct MHD_PostProcessor *pp = MHD_create_post_processor(r->conn, 65536, form_part, &f);
	if (!pp) {
		jv_free(f.fields);
		jv_free(f.files);
		return cf_error(CF_EX_DATA, "a multipart body without a boundary");
	}
	enum MHD_Result ok = MHD_post_process(pp, r->body, r->len);
	MHD_destroy_post_processor(pp);
	form_file_end(&f);
	free(f.buf);
	if (f.too_big || ok != MHD_YES) {
		jv_free(f.fields);
		jv_free(f.files);
		if (f.too_big) {
			char m[32];
			cf_size_text(max, m, sizeof m);
			*status = 413;
			return cf_error(CF_EX_DATA, "an attachment is larger than %s (attach-max)", m);
		}
		return cf_error(CF_EX_DATA, "a malformed multipart body");
	}
	jv b = f.fields;
	jv atts = jv_object_get(jv_copy(b), jv_string("attachments"));
	if (jv_get_kind(atts) == JV_KIND_STRING) {   /* a JSON field, for text ones */
		jv p = jv_parse(jv_string_value(atts));
		jv_free(atts);
		atts = jv_get_kind(p) == JV_KIND_ARRAY ? p : (jv_free(p), jv_array());
	} else {
		jv_free(atts);
		atts = jv_array();
	}
	atts = jv_array_concat(atts, f.files);
	b = jv_object_set(b, jv_string("attachments"), atts);
	/* numbers and flags came as text */
	static const char *num[] = {"temperature", "maxTokens"};
	for (int i = 0; i < 2; i++) {
		jv v = jv_object_get(jv_copy(b), jv_string(num[i]));
		if (jv_get_kind(v) == JV_KIND_STRING) {
			jv p = *jv_string_value(v) ? jv_parse(jv_string_value(v)) : jv_null();
			b = jv_object_set(b, jv_string(num[i]), jv_is_valid(p) ? p :
			                  (jv_free(p), jv_copy(v)));
		}
		jv_free(v);
	}
	static const char *flag[] = {"clear", "stream", "retry"};
	for (int i = 0; i < 3; i++) {
		jv v = jv_object_get(jv_copy(b), jv_string(flag[i]));
		if (jv_get_kind(v) == JV_KIND_STRING) {
			const char *t = jv_string_value(v);
			b = jv_object_set(b, jv_string(flag[i]),
			                  jv_bool(!strcmp(t, "1") || !strcmp(t, "true") || !strcmp(t, "on")));
		}
		jv_free(v);
	}
	return b;
}

static int
is_true(jv b, const char *key)
{
	jv v = jv_object_get(jv_copy(b), jv_string(key));
	int yes = jv_get_kind(v) == JV_KIND_TRUE;
	jv_free(v);
	return yes;
}

/* An error naming the first key of o that is not in known, else null. */
static jv
unknown_key(jv o, const char **known, size_t n, const char *where)
{
	jv r = jv_null();
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return r;
	}
	jv_object_foreach(o, k, v) {
		size_t i = 0;
		while (i < n && strcmp(jv_string_value(k), known[i]))
			i++;
		if (i == n && jv_is_valid(r)) {
			jv_free(r);
			r = cf_error(CF_EX_DATA, "%sunknown field '%.100s'", where, jv_string_value(k));
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(o);
	return r;
}

/* The child's request from the body, checked: an error value with the
 * HTTP status in *status when it is wrong. */
static jv
turn_request(jv b, const char *sid, long max, unsigned *status)
{
	*status = 400;
	/* A misspelt option ("max_tokens") would otherwise be dropped and
	 * the message sent with the session's settings: refused, as the
	 * session routes refuse one. */
	static const char *known[] = {"content", "attachments", "provider", "model", "system",
	                              "temperature", "maxTokens", "clear", "retry", "stream"};
	static const char *att_known[] = {"name", "data", "text", "mimeType"};
	jv bad = unknown_key(jv_copy(b), known, sizeof known / sizeof *known, "");
	jv atts0 = jv_object_get(jv_copy(b), jv_string("attachments"));
	if (jv_is_valid(bad) && jv_get_kind(atts0) == JV_KIND_ARRAY) {
		jv_array_foreach(atts0, i, a) {
			char where[32];
			snprintf(where, sizeof where, "attachment %d: ", i);
			if (jv_is_valid(bad) && jv_get_kind(a) == JV_KIND_OBJECT) {
				jv_free(bad);
				bad = unknown_key(jv_copy(a), att_known, sizeof att_known / sizeof *att_known,
				                  where);
			}
			jv_free(a);
		}
	}
	jv_free(atts0);
	if (!jv_is_valid(bad)) {
		jv_free(b);
		return bad;
	}
	jv_free(bad);
	jv req = jv_object();
	req = jv_object_set(req, jv_string("sessionId"), jv_string(sid));
	jv c = jv_object_get(jv_copy(b), jv_string("content"));
	int kc = jv_get_kind(c);
	if (kc != JV_KIND_STRING && kc != JV_KIND_NULL && kc != JV_KIND_INVALID) {
		jv_free(c), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "content: expected a string");
	}
	if (kc == JV_KIND_STRING && strlen(jv_string_value(c)) !=
	    (size_t)jv_string_length_bytes(jv_copy(c))) {
		jv_free(c), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "content: a NUL byte");
	}
	req = jv_object_set(req, jv_string("content"), kc == JV_KIND_STRING ? c :
	                    (jv_free(c), jv_string("")));
	jv atts = jv_object_get(jv_copy(b), jv_string("attachments"));
	jv list = jv_array();
	if (jv_get_kind(atts) == JV_KIND_ARRAY) {
		jv_array_foreach(atts, i, a) {
			const char *err = NULL;
			int too_big = 0;
			jv name = jv_object_get(jv_copy(a), jv_string("name"));
			jv data = jv_object_get(jv_copy(a), jv_string("data"));
			jv text = jv_object_get(jv_copy(a), jv_string("text"));
			jv one = jv_object();
			if (jv_get_kind(a) != JV_KIND_OBJECT)
				err = "expected an object";
			else if (jv_get_kind(name) != JV_KIND_STRING && jv_get_kind(name) != JV_KIND_NULL &&
			         jv_get_kind(name) != JV_KIND_INVALID)
				err = "name: expected a string";
			else if (jv_get_kind(text) == JV_KIND_STRING) {
				if (jv_string_length_bytes(jv_copy(text)) > max)
					too_big = 1;
				else
					one = jv_object_set(one, jv_string("text"), jv_copy(text));
			} else if (jv_get_kind(data) == JV_KIND_STRING) {
				const char *d = jv_string_value(data);
				size_t dl = (size_t)jv_string_length_bytes(jv_copy(data));
				long n = dl / 4 * 3 > (size_t)max + 3 ? max + 1 : cf_unbase64(d, dl, NULL);
				if (n > max)
					too_big = 1;
				else if (n < 0)
					err = "data: not base64";
				else
					one = jv_object_set(one, jv_string("data"), jv_copy(data));
			} else {
				err = "expected data (base64) or text";
			}
			if (!err && !too_big)
				one = jv_object_set(one, jv_string("name"), jv_get_kind(name) == JV_KIND_STRING ?
				                    jv_copy(name) : jv_string("attachment"));
			jv_free(name), jv_free(data), jv_free(text), jv_free(a);
			if (err || too_big) {
				jv_free(one), jv_free(list), jv_free(atts), jv_free(req), jv_free(b);
				if (too_big) {
					char m[32];
					cf_size_text(max, m, sizeof m);
					*status = 413;
					return cf_error(CF_EX_DATA, "attachment %d is larger than %s "
					                "(attach-max)", i, m);
				}
				return cf_error(CF_EX_DATA, "attachment %d: %s", i, err);
			}
			list = jv_array_append(list, one);
		}
	} else if (jv_get_kind(atts) != JV_KIND_NULL && jv_get_kind(atts) != JV_KIND_INVALID) {
		jv_free(atts), jv_free(list), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "attachments: expected an array");
	}
	jv_free(atts);
	if (is_true(b, "retry") && (*cf_jstr(req, "content") || jv_array_length(jv_copy(list)))) {
		jv_free(list), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "retry takes no content: it asks again for the last reply");
	}
	if (!is_true(b, "retry") && !*cf_jstr(req, "content") && !jv_array_length(jv_copy(list))) {
		jv_free(list), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "no message: content or an attachment is needed");
	}
	req = jv_object_set(req, jv_string("attachments"), list);
	/* this message only: as chat-send's options */
	jv over = jv_object();
	static const char *strs[] = {"provider", "model", "system"};
	for (int i = 0; i < 3; i++) {
		jv v = jv_object_get(jv_copy(b), jv_string(strs[i]));
		int k = jv_get_kind(v);
		if (k == JV_KIND_STRING && *jv_string_value(v))
			over = jv_object_set(over, jv_string(strs[i]), v);
		else {
			jv_free(v);
			if (k != JV_KIND_STRING && k != JV_KIND_NULL && k != JV_KIND_INVALID) {
				jv_free(over), jv_free(req), jv_free(b);
				return cf_error(CF_EX_DATA, "%s: expected a string", strs[i]);
			}
		}
	}
	jv t = jv_object_get(jv_copy(b), jv_string("temperature"));
	if (jv_get_kind(t) == JV_KIND_NUMBER) {
		double d = jv_number_value(t);
		if (!(d >= 0 && d <= 2)) {
			jv_free(t), jv_free(over), jv_free(req), jv_free(b);
			return cf_error(CF_EX_DATA, "temperature: expected 0 to 2");
		}
		over = jv_object_set(over, jv_string("temperature"), t);
	} else if (jv_get_kind(t) != JV_KIND_NULL && jv_get_kind(t) != JV_KIND_INVALID) {
		jv_free(t), jv_free(over), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "temperature: expected a number");
	} else {
		jv_free(t);
	}
	jv m = jv_object_get(jv_copy(b), jv_string("maxTokens"));
	if (jv_get_kind(m) == JV_KIND_NUMBER) {
		double d = jv_number_value(m);
		if (!(d >= 1 && d <= 100000000) || d != (double)(long)d) {
			jv_free(m), jv_free(over), jv_free(req), jv_free(b);
			return cf_error(CF_EX_DATA, "maxTokens: expected a whole number, 1 or more");
		}
		over = jv_object_set(over, jv_string("maxTokens"), m);
	} else if (jv_get_kind(m) != JV_KIND_NULL && jv_get_kind(m) != JV_KIND_INVALID) {
		jv_free(m), jv_free(over), jv_free(req), jv_free(b);
		return cf_error(CF_EX_DATA, "maxTokens: expected a number");
	} else {
		jv_free(m);
	}
	req = jv_object_set(req, jv_string("over"), over);
	req = jv_object_set(req, jv_string("clear"), jv_bool(is_true(b, "clear")));
	req = jv_object_set(req, jv_string("retry"), jv_bool(is_true(b, "retry")));
	jv_free(b);
	*status = 0;
	return req;
}

/* stream=false, once its turn is done: the records, or its error. */
static enum MHD_Result
send_answer(struct cf_req *r, struct sub *u)
{
	pthread_mutex_lock(&u->h->mu);
	jv res = jv_parse(u->job->result);
	pthread_mutex_unlock(&u->h->mu);
	if (jv_get_kind(res) != JV_KIND_OBJECT) {
		jv_free(res);
		return cf_srv_fail(r, 500, "the turn gave no result");
	}
	int ex = (int)cf_jnum(res, "exit", 1);
	if (ex) {
		const char *why = cf_jstr(res, "error");
		unsigned st = ex == CF_EX_SIGTERM || ex == CF_EX_SIGINT ? 503 : cf_srv_status_of(ex);
		enum MHD_Result ret = cf_srv_fail(r, st, "%s", *why ? why : "the turn failed");
		jv_free(res);
		return ret;
	}
	jv out = jv_object_set(jv_object(), jv_string("type"), jv_string("turn"));
	static const char *key[] = {"user", "reply"}, *idk[] = {"userId", "replyId"};
	for (int i = 0; i < 2; i++) {
		jv m = cf_message_get(r->srv->st, cf_jstr(res, idk[i]));
		out = jv_object_set(out, jv_string(key[i]), jv_get_kind(m) == JV_KIND_OBJECT ?
		                    cf_srv_message_out(r, m, 0) : (jv_free(m), jv_null()));
	}
	jv_free(res);
	return cf_srv_json(r, 201, out);
}

static enum MHD_Result
send_post(struct cf_req *r)
{
	struct cf_srv *srv = r->srv;
	struct cf_hub *h = srv->hub;
	if (r->ctx && r->ctx_free == sub_free) {
		/* resumed: a stream=false send whose turn is done */
		struct sub *u = r->ctx;
		pthread_mutex_lock(&h->mu);
		int done = u->job->done;
		if (!done) {
			u->suspended = 1;
			MHD_suspend_connection(r->conn);
		}
		pthread_mutex_unlock(&h->mu);
		return done ? send_answer(r, u) : MHD_YES;
	}
	if (!h)
		return cf_srv_fail(r, 503, "the server is starting");
	if (srv->stopping || h->draining)
		return cf_srv_fail(r, 503, "the server is stopping");
	jv sess = cf_resolve_session(srv->st, r->id);
	if (!jv_is_valid(sess))
		return cf_srv_error(r, sess);
	long max;
	jv lim = cf_attach_limit(&max);
	if (!jv_is_valid(lim)) {
		jv_free(sess);
		return cf_srv_error(r, lim);
	}
	jv_free(lim);
	const char *ct = cf_srv_header(r, "Content-Type");
	jv b;
	if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
		unsigned st;
		b = form_body(r, max, &st);
		if (!jv_is_valid(b)) {
			jv m = cf_error_message(b);
			enum MHD_Result ret = cf_srv_fail(r, st, "%s", jv_string_value(m));
			jv_free(m);
			jv_free(b);
			jv_free(sess);
			return ret;
		}
	} else {
		b = cf_srv_body_json(r);
	}
	if (!jv_is_valid(b)) {
		jv_free(sess);
		return cf_srv_error(r, b);
	}
	const char *qs = cf_srv_arg(r, "stream");
	int stream = is_true(b, "stream") || (qs && (!strcmp(qs, "1") || !strcmp(qs, "true")));
	unsigned status;
	jv req = turn_request(b, cf_jstr(sess, "id"), max, &status);
	if (!jv_is_valid(req)) {
		jv m = cf_error_message(req);
		enum MHD_Result ret = cf_srv_fail(r, status, "%s", jv_string_value(m));
		jv_free(m);
		jv_free(req);
		jv_free(sess);
		return ret;
	}
	/* The request waits in a memfd, not our heap: a queued send with
	 * 20 MiB of attachments costs no memory of ours, and the child reads
	 * it at its pace. */
	int retry = jv_get_kind(jv_object_get(jv_copy(req), jv_string("retry"))) == JV_KIND_TRUE;
	int fd = memfd_create("confab-turn", MFD_CLOEXEC);
	size_t len;
	const char *j = cf_json_compact(req, &len);
	size_t done = 0;
	while (fd >= 0 && done < len) {
		ssize_t w = write(fd, j + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			fd = -1;
		} else {
			done += (size_t)w;
		}
	}
	if (fd < 0) {
		jv_free(sess);
		return cf_srv_fail(r, 500, "cannot hold the request: %s", strerror(errno));
	}
	struct job *job = calloc(1, sizeof *job);
	if (!job) {
		close(fd);
		jv_free(sess);
		return cf_srv_fail(r, 500, "out of memory");
	}
	job->memfd = fd;
	job->retry = retry;
	job->out = job->res = job->pidfd = -1;
	job->pid = -1;
	job->refs = 2;
	pthread_mutex_lock(&h->mu);
	/* the drain may have begun since the look above, and may be done:
	 * a job queued now would never run, nor be cut */
	struct hsess *s = h->draining ? NULL : sess_get(h, cf_jstr(sess, "id"), 1);
	jv_free(sess);
	if (!s) {
		int late = h->draining;
		pthread_mutex_unlock(&h->mu);
		close(fd);
		free(job);
		return late ? cf_srv_fail(r, 503, "the server is stopping") :
		       cf_srv_fail(r, 500, "out of memory");
	}
	job->s = s;
	if (s->qtail)
		s->qtail->next = job;
	else
		s->qhead = job;
	s->qtail = job;
	h->busy++;
	struct sub *u = sub_new(h, s, r, stream ? SUB_SEND_SSE : SUB_SEND_WAIT);
	u->job = job;
	if (!stream) {
		u->suspended = 1;
		MHD_suspend_connection(r->conn);
	}
	pthread_mutex_unlock(&h->mu);
	poke(h);
	return stream ? sse(r, u) : MHD_YES;
}

const struct cf_route cf_serve_routes_stream[] = {
	{"POST", "/api/chat/sessions/:id/messages", send_post, CF_ROUTE_UPLOAD},
	{"GET", "/api/chat/sessions/:id/stream", stream_get, 0},
	{0},
};

/* ---- what the other files call ---- */

void
cf_srv_changed(struct cf_srv *srv, const char *sid)
{
	struct cf_hub *h = srv->hub;
	if (!h || !sid)
		return;
	pthread_mutex_lock(&h->mu);
	struct hsess *s = sess_get(h, sid, 0);
	if (s) {
		s->changes++;
		wake_all(s, 1);
	}
	pthread_mutex_unlock(&h->mu);
}

jv
cf_hub_start(struct cf_srv *srv)
{
	struct cf_hub *h = calloc(1, sizeof *h);
	if (!h)
		return cf_error(CF_EX_FAIL, "out of memory");
	h->srv = srv;
	h->ping = 15;
	const char *p = cf_config_get("serve-ping");
	if (p && *p && cf_parse_long(p, 1, 86400, &h->ping)) {
		free(h);
		return cf_error(CF_EX_CONFIG, "serve-ping: expected seconds, 1 to 86400");
	}
	/* argv[0] may be a bare name found on PATH: the children run this
	 * very program, whatever PATH says later */
	char self[4096];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sn > 0)
		self[sn] = '\0';
	h->exe = strdup(sn > 0 ? self : srv->o->exe ? srv->o->exe : "chat-serve");
	h->db = strdup(srv->st->path);
	/* st->path is the display name, without the password: the watcher
	 * connects with what the store was opened with */
	if (!srv->st->lite) {
		const char *ci = srv->o->db ? srv->o->db : cf_store_default_path();
		h->conninfo = ci ? strdup(ci) : NULL;
	}
	h->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (h->evfd < 0 || !h->exe || !h->db) {
		jv e = cf_error(CF_EX_FAIL, "the stream hub: %s", strerror(errno));
		free(h->exe);
		free(h->db);
	free(h->conninfo);
		if (h->evfd >= 0)
			close(h->evfd);
		free(h);
		return e;
	}
	srv->hub = h;
	/* the threads take no signal: SIGTERM is the main thread's */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int e1 = pthread_create(&h->reader, NULL, reader_main, h);
	int e2 = e1 ? e1 : pthread_create(&h->watcher, NULL, watcher_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e1 || e2) {
		if (!e1) {
			h->quit = 1;
			poke(h);
			pthread_join(h->reader, NULL);
		}
		srv->hub = NULL;
		close(h->evfd);
		free(h->exe);
		free(h->db);
	free(h->conninfo);
		free(h);
		return cf_error(CF_EX_FAIL, "the stream hub: %s", strerror(e1 ? e1 : e2));
	}
	h->threads = 1;
	return jv_true();
}

static void
deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* The grace is over.  A running turn is sent SIGTERM, and keeps its
 * partial reply marked incomplete as chat-send does (SIGKILL, later, for
 * one that does not end: its reply is recovered by the next program that
 * opens the store); a queued one ends unsent, its sender told 503. */
static void
cut_turns(struct cf_hub *h, int sig)
{
	for (struct hsess *s = h->sessions; s; s = s->next) {
		struct job *r = s->running;
		if (r && r->pid > 0 && !r->exited) {
			r->cut = 1;
			if (kill(-r->pid, sig))
				kill(r->pid, sig);   /* before its setpgid */
		}
		while (s->qhead) {
			struct job *j = s->qhead;
			s->qhead = j->next;
			j->next = NULL;
			j->started = 1;
			j->retry = 0;   /* it changed no row: no change event */
			j->log_start = s->base + s->len;
			j->rlen = (size_t)snprintf(j->result, sizeof j->result,
				"{\"exit\":%d,\"error\":\"the server is stopping: the message "
				"was not sent\"}\n", CF_EX_SIGTERM);
			finish(h, s, j);
		}
		s->qtail = NULL;
	}
}

static int
past(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

void
cf_hub_drain(struct cf_srv *srv, const sigset_t *again)
{
	struct cf_hub *h = srv->hub;
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->draining = 1;
	/* every turn started or queued ends and is stored, within the grace
	 * or until a second signal; then they are stopped */
	struct timespec grace, kill_at;
	deadline(&grace, (int)(srv->o->grace > 86400 ? 86400 : srv->o->grace) * 1000);
	while (h->busy) {
		static const struct timespec now = {0, 0};
		int second = sigtimedwait(again, NULL, &now) > 0;
		if (!h->cutting && (second || past(&grace))) {
			h->cutting = 1;
			fprintf(stderr, "%s: %s: stopping %d turn%s (each keeps what it "
			        "received)\n", cf_prog, second ? "a second signal" :
			        "serve-grace is over", h->busy, h->busy == 1 ? "" : "s");
			cut_turns(h, SIGTERM);
			deadline(&kill_at, 10000);
		} else if (h->cutting == 1 && past(&kill_at)) {
			h->cutting = 2;
			cut_turns(h, SIGKILL);
		}
		struct timespec slice;
		deadline(&slice, 100);
		pthread_cond_timedwait(&h->cv, &h->mu, &slice);
	}
	/* then the streams end, after what is left to tell them (a slow
	 * reader gets a few seconds, then MHD's stop closes it) */
	h->closing = 1;
	for (struct hsess *s = h->sessions; s; s = s->next)
		wake_all(s, 1);
	struct timespec ts;
	deadline(&ts, 3000);
	while (h->nsubs && pthread_cond_timedwait(&h->cv, &h->mu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&h->mu);
}

void
cf_hub_stop(struct cf_srv *srv)
{
	struct cf_hub *h = srv->hub;
	if (!h || !h->threads)
		return;
	h->quit = 1;
	poke(h);
	pthread_join(h->reader, NULL);
	pthread_join(h->watcher, NULL);
	h->threads = 0;
}

void
cf_hub_free(struct cf_srv *srv)
{
	struct cf_hub *h = srv->hub;
	if (!h)
		return;
	cf_hub_stop(srv);
	/* a turn still running (stop without drain) is left to finish: it
	 * stores its reply by itself */
	while (h->sessions) {
		struct hsess *s = h->sessions;
		h->sessions = s->next;
		struct job *j = s->running;
		if (j) {
			if (j->out >= 0) close(j->out);
			if (j->res >= 0) close(j->res);
			if (j->pidfd >= 0) close(j->pidfd);
			job_unref(j);
		}
		while (s->qhead) {
			struct job *q = s->qhead;
			s->qhead = q->next;
			job_unref(q);
		}
		free(s->log);
		free(s);
	}
	close(h->evfd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->exe);
	free(h->db);
	free(h->conninfo);
	free(h);
	srv->hub = NULL;
}
