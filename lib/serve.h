/* serve.h — what chat-serve's files share, and nothing else includes.
 *
 * serve.c          the daemon (libmicrohttpd, one internal epoll thread),
 *                  options, the token and the login cookie, CSRF, routes,
 *                  the page's static files, the request log, limits
 * serve_sessions.c GET/POST /api/chat/sessions, GET/PUT/DELETE .../:id,
 *                  branch, duplicate
 * serve_messages.c GET .../:id/messages, PUT/DELETE /api/chat/messages/:id,
 *                  reactions, notes
 * serve_export.c   POST .../:id/export and /api/chat/export/bulk
 * serve_stream.c   POST .../:id/messages (sends, queued per session), GET
 *                  .../:id/stream (SSE), the hub, the store watcher, drain
 * serve_turn.c     the turn child: `chat-serve --turn` runs one cf_turn and
 *                  writes its deltas as SSE bytes
 *
 * Threads: every route runs on libmicrohttpd's one thread, with the one
 * store srv->st.  jv refcounts are not atomic and the library keeps jv
 * globals (the config, pricing), so no other thread may touch a jv or call
 * the library: a turn runs in a child process (serve_turn.c) and the
 * threads of serve_stream.c move bytes only. */
#ifndef CF_SERVE_H
#define CF_SERVE_H

#include <signal.h>
#include <stdio.h>
#include <microhttpd.h>

#include "confab.h"

/* chat-serve's options; the config's serve-* keys fill what the command
 * line left 0/NULL (confab.5). */
struct cf_serve_opts {
	const char *listen;        /* "HOST:PORT"; default 127.0.0.1:8088 */
	const char *db;            /* --db, or NULL for CHAT_DB / the default */
	const char *tls_cert, *tls_key;   /* PEM files, or NULL */
	int insecure_public;       /* a non-loopback address without TLS */
	int check;                 /* --check: validate config and store, return */
	long body_max;             /* a request body (serve-body-max, 1 MiB) */
	long upload_max;           /* a body of a CF_ROUTE_UPLOAD route
	                            * (serve-upload-max: attach-max's base64
	                            * plus 1 MiB) */
	long max_connections;      /* serve-max-connections, 2048 */
	long timeout;              /* seconds a connection may stay silent
	                            * (serve-timeout, 30; suspended streams
	                            * are exempt, they ping) */
	const char *web_dir;       /* the page (CONFAB_WEB_DIR, else the
	                            * install's share/confab/web, else the
	                            * checkout's share/confab/web beside bin/) */
	const char *exe;           /* this program, for the turn children */
	int quiet;                 /* no request log */
	long grace;                /* seconds SIGTERM waits for the turns
	                            * in flight (serve-grace, 60) */
};

/* Runs until SIGTERM or SIGINT, then drains: jv_true(), or an error value
 * (CF_EX_USAGE for a bad address or a public one without TLS, CF_EX_STORE,
 * CF_EX_CONFIG). */
CF_MUST jv cf_serve_run(struct cf_serve_opts *o);

struct cf_hub;                     /* serve_stream.c's */

/* The running server. */
struct cf_srv {
	struct cf_serve_opts *o;
	struct MHD_Daemon *d;
	cf_store *st;                  /* the MHD thread's store */
	char token[65];                /* the bearer token (hex) */
	int tls;
	volatile int stopping;         /* SIGTERM came: no new sends */
	struct cf_hub *hub;
	void *auth;                    /* serve.c's cookie sessions */
};

/* One request, from its first callback to its completion. */
struct cf_req {
	struct cf_srv *srv;
	struct MHD_Connection *conn;
	const char *method;            /* "GET", "POST", ... */
	const char *url;               /* the path, without the query */
	char id[192];                  /* the route's :id (URL-decoded), or "" */
	int auth;                      /* CF_AUTH_* it came with */
	char *body;                    /* the whole body, NUL-terminated (never NULL
	                                * once the route runs), len bytes */
	size_t len, cap;
	int too_large;
	unsigned status;               /* the status queued, for the log */
	unsigned long long sent;       /* body bytes queued, for the log */
	double start;                  /* cf_now_ms() when it came */
	const struct cf_route *route;
	/* A route's own state kept past its call (a stream, a waiting send):
	 * ctx_free(ctx) runs when the request completes, however it ends. */
	void *ctx;
	void (*ctx_free)(void *ctx);
};
enum { CF_AUTH_NONE, CF_AUTH_BEARER, CF_AUTH_COOKIE };

typedef enum MHD_Result (*cf_route_fn)(struct cf_req *r);
struct cf_route {
	const char *method;            /* NULL ends a table */
	const char *pattern;           /* "/api/chat/sessions/:id/branch": at most one :id */
	cf_route_fn fn;
	int flags;
};
/* CF_ROUTE_UPLOAD: the body may be upload_max, not body_max.
 * CF_ROUTE_PUBLIC: no credentials asked (the page's files, /login). */
enum { CF_ROUTE_UPLOAD = 1, CF_ROUTE_PUBLIC = 2 };

/* Each file's routes, tried in this order by serve.c. */
extern const struct cf_route cf_serve_routes_sessions[];
extern const struct cf_route cf_serve_routes_messages[];
extern const struct cf_route cf_serve_routes_export[];
extern const struct cf_route cf_serve_routes_stream[];

/* ---- serve.c: what every route uses ---- */

/* A query parameter (URL-decoded), or NULL. */
const char *cf_srv_arg(struct cf_req *r, const char *key);
const char *cf_srv_header(struct cf_req *r, const char *name);
/* The body as one JSON object: {} for an empty body; an error (CF_EX_DATA,
 * so 400) for anything else. */
CF_MUST jv cf_srv_body_json(struct cf_req *r);
/* Does the client ask for JSON lines (Accept: application/x-ndjson)? */
int cf_srv_wants_lines(struct cf_req *r);
/* The HTTP status for a CF_EX_* (404 not found, 409 ambiguous, 400
 * malformed or usage, 413 too large, 502 provider, 503 store, ...). */
unsigned cf_srv_status_of(int exit_status);

/* Responses: each queues one, consumes its jv and returns MHD's result.
 * Every response gets the common headers (Content-Security-Policy,
 * X-Content-Type-Options, Referrer-Policy, Cache-Control: no-store for the
 * API) and never an Access-Control-* one. */
enum MHD_Result cf_srv_json(struct cf_req *r, unsigned status, jv body);
/* JSON lines: each element of the array on a line of its own. */
enum MHD_Result cf_srv_lines(struct cf_req *r, unsigned status, jv array);
/* An error value as {"type":"error","status":HTTP,"message":...}, its
 * status from cf_srv_status_of. */
enum MHD_Result cf_srv_error(struct cf_req *r, jv err);
enum MHD_Result cf_srv_fail(struct cf_req *r, unsigned status,
                            const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Bytes (copied) with a content type; filename, when not NULL, becomes a
 * Content-Disposition attachment made safe (cf_safe_name's rules, and
 * RFC 6266's filename* for the rest). */
enum MHD_Result cf_srv_bytes(struct cf_req *r, unsigned status,
                             const char *ctype, const void *data, size_t len,
                             const char *filename);
/* The Content-Disposition value cf_srv_bytes gives filename (malloc'd),
 * for a response made another way (serve_export.c's, sent from a file). */
char *cf_srv_disposition(const char *filename);
/* Any response: the common headers added, queued, destroyed. */
enum MHD_Result cf_srv_queue(struct cf_req *r, unsigned status,
                             struct MHD_Response *resp);
/* The SSE headers (Cache-Control: no-cache, X-Accel-Buffering: no,
 * text/event-stream) on a response, for serve_stream.c. */
void cf_srv_sse_headers(struct MHD_Response *resp);

/* A message record as the API gives it: with "seq" (its place in the
 * session, the SSE event id) and, when the request asks (?html=1) or
 * html is set, "html": its content rendered by cf_html_message.
 * Consumes msg. */
CF_MUST jv cf_srv_message_out(struct cf_req *r, jv msg, int html);
/* The same without a request, for the streams (serve_messages.c): a
 * record that has "seq" (cf_message_page's) is not read again; a message
 * deleted meanwhile is CF_EX_NOTFOUND. */
CF_MUST jv cf_srv_message_rec(cf_store *st, jv msg, int html);

/* ---- serve_stream.c: what the other files tell the streams ---- */

/* Something in session sid changed through this server (an edit, a
 * delete, a reaction, a note, a rename): its streams look again. */
void cf_srv_changed(struct cf_srv *s, const char *sid);
/* Start (after the daemon) and stop the hub's threads: the reader, the
 * store watcher, the pings.  drain waits for the turns in flight to end and be
 * stored (SIGTERM): for serve-grace seconds, or until a signal of again
 * comes, and then stops them. */
CF_MUST jv cf_hub_start(struct cf_srv *s);
void cf_hub_drain(struct cf_srv *s, const sigset_t *again);
void cf_hub_stop(struct cf_srv *s);
/* After MHD_stop_daemon, whose last routes and completed callbacks use
 * the hub: its sessions, jobs and lock freed. */
void cf_hub_free(struct cf_srv *s);

/* ---- serve_turn.c: the child ---- */

/* `chat-serve --turn`: reads one request (serve_stream.c's JSON) from fd
 * 0, runs the turn on the store, writes SSE events (delta) to fd 1 as
 * they come and one JSON result line to fd 3.  The process's exit status
 * is the turn's CF_EX_*. */
int cf_serve_turn_main(const char *db);

#endif
