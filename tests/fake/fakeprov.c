/*
 * fakeprov — a fake LLM provider for confab's tests and benchmarks.
 *
 *     fakeprov --port-file FILE [--log FILE] [--script FILE] [--lifetime SECONDS]
 *
 * Listens on 127.0.0.1 on a free port, writes the port to --port-file (through
 * a temporary name and rename), and answers HTTP/1.1 in the wire protocols of
 * Anthropic Messages, OpenAI Chat Completions, Gemini and Ollama's /api/chat,
 * streaming and whole, with faults injected from a script.  See README in
 * this folder for the script syntax.  Exits by itself after --lifetime
 * seconds (default 120); SIGTERM ends it at once, and its connection children
 * die with it (PR_SET_PDEATHSIG).
 *
 * One child per connection.  Script entries are taken in the order requests
 * finish arriving (a counter in shared memory, taken once a request's head
 * and body are read), so a connection that never sends a request uses none.
 * Each request is appended to --log as one JSON line with one write() on an
 * O_APPEND descriptor, before the reply goes out.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TEXT "Hello from fakeprov."
#define MAX_HEAD (1 << 20)
#define SLICE (1 << 20) /* chunk size of fast writes */

static const char *prog = "fakeprov";

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- growable byte buffers ---- */

typedef struct {
	char *p;
	size_t len, cap;
} buf;

static void grow(buf *b, size_t need)
{
	if (b->len + need <= b->cap)
		return;
	size_t c = b->cap ? b->cap : 4096;
	while (c < b->len + need)
		c *= 2;
	b->p = xrealloc(b->p, c);
	b->cap = c;
}

static void put(buf *b, const void *s, size_t n)
{
	if (!n)
		return;
	grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	grow(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A JSON string, quoted.  Bytes >= 0x80 pass through as they are. */
static void put_json(buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	grow(b, n + 2);
	b->p[b->len++] = '"';
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && (unsigned char)s[j] >= 0x20 && s[j] != '"' && s[j] != '\\')
			j++;
		put(b, s + i, j - i);
		if (j == n)
			break;
		unsigned char c = (unsigned char)s[j];
		char e[6] = {'\\', 0};
		size_t el = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			el = 6;
		}
		put(b, e, el);
		i = j + 1;
	}
	put(b, "\"", 1);
}

static void put_jsons(buf *b, const char *s)
{
	put_json(b, s, strlen(s));
}

/* ---- the script ---- */

typedef struct {
	int line;           /* line in the script; 0 for the default reply */
	int status;         /* 0: 200 (404 for an unknown route) */
	char *reason;       /* NULL: from the table */
	int nhdr;
	char **hdr;         /* "Name: value" */
	bool ctype_set;     /* a header= names Content-Type */
	char *body;         /* body=FILE contents */
	size_t body_len;
	const char *body_ctype;
	bool body_stream;   /* .sse/.ndjson: chunked, events for delay= */
	char *text;         /* text= */
	size_t text_len;
	long long gen_bytes;/* -1: unset */
	long long piece;    /* 0: default piece sizes */
	long long chunk, delay, fbd, cut, after; /* cut, after: -1 unset */
	bool hang, close, reset, malformed;
	char *error_event;
	int ntool;          /* tool-use=NAME:JSON, in order */
	char **tool_name, **tool_json;
} spec;

static spec *specs;
static long nspecs;
static spec default_spec;

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s in place; returns the length or -1 on a bad escape. */
static long pct_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int h = hexval((unsigned char)p[1]), l = h < 0 ? -1 : hexval((unsigned char)p[2]);
		if (h < 0 || l < 0)
			return -1;
		*o++ = (char)(h * 16 + l);
		p += 2;
	}
	*o = 0;
	return o - s;
}

static long long parse_num(const char *v, const char *key, const char *file, int line)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < 0)
		die("%s:%d: '%s' needs a whole number >= 0, not '%s'", file, line, key, v);
	return n;
}

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf b = {0};
	for (;;) {
		grow(&b, 65536);
		ssize_t r = read(fd, b.p + b.len, b.cap - b.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			free(b.p);
			return NULL;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	close(fd);
	grow(&b, 1);
	b.p[b.len] = 0;
	*len = b.len;
	return b.p;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && memcmp(s + a - b, suf, b) == 0;
}

static void spec_init(spec *s, int line)
{
	memset(s, 0, sizeof *s);
	s->line = line;
	s->gen_bytes = -1;
	s->cut = -1;
	s->after = -1;
}

static void parse_spec(spec *s, char *text, const char *file, int line)
{
	spec_init(s, line);
	for (char *tok = strtok(text, " \t"); tok; tok = strtok(NULL, " \t")) {
		char *v = strchr(tok, '=');
		if (v)
			*v++ = 0;
		const char *k = tok;
		long vlen = 0;
		if (v && (vlen = pct_decode(v)) < 0)
			die("%s:%d: bad percent escape in '%s'", file, line, k);
		bool flag = !v;
#define NEEDV() do { if (flag) die("%s:%d: '%s' needs a value", file, line, k); } while (0)
		if (!strcmp(k, "status")) {
			NEEDV();
			long long n = parse_num(v, k, file, line);
			if (n < 100 || n > 999)
				die("%s:%d: status %lld is not 100-999", file, line, n);
			s->status = (int)n;
		} else if (!strcmp(k, "reason")) {
			NEEDV();
			s->reason = xstrndup(v, (size_t)vlen);
		} else if (!strcmp(k, "header")) {
			NEEDV();
			char *c = memchr(v, ':', (size_t)vlen);
			if (!c || c == v)
				die("%s:%d: header= needs Name:Value", file, line);
			*c = 0;
			char *val = c + 1;
			while (*val == ' ')
				val++;
			if (!strcasecmp(v, "content-type"))
				s->ctype_set = true;
			s->hdr = xrealloc(s->hdr, (size_t)(s->nhdr + 1) * sizeof *s->hdr);
			size_t hl = strlen(v) + strlen(val) + 3;
			s->hdr[s->nhdr] = xrealloc(NULL, hl);
			snprintf(s->hdr[s->nhdr++], hl, "%s: %s", v, val);
		} else if (!strcmp(k, "body")) {
			NEEDV();
			s->body = read_file(v, &s->body_len);
			if (!s->body)
				die("%s:%d: cannot read '%s': %s", file, line, v, strerror(errno));
			if (ends_with(v, ".sse")) {
				s->body_ctype = "text/event-stream";
				s->body_stream = true;
			} else if (ends_with(v, ".ndjson")) {
				s->body_ctype = "application/x-ndjson";
				s->body_stream = true;
			} else if (ends_with(v, ".json")) {
				s->body_ctype = "application/json";
			} else {
				s->body_ctype = "application/octet-stream";
			}
		} else if (!strcmp(k, "text")) {
			NEEDV();
			s->text = xstrndup(v, (size_t)vlen);
			s->text_len = (size_t)vlen;
		} else if (!strcmp(k, "gen-bytes")) {
			NEEDV();
			s->gen_bytes = parse_num(v, k, file, line);
		} else if (!strcmp(k, "piece")) {
			NEEDV();
			s->piece = parse_num(v, k, file, line);
			if (!s->piece)
				die("%s:%d: piece= must be at least 1", file, line);
		} else if (!strcmp(k, "chunk")) {
			NEEDV();
			s->chunk = parse_num(v, k, file, line);
		} else if (!strcmp(k, "delay")) {
			NEEDV();
			s->delay = parse_num(v, k, file, line);
		} else if (!strcmp(k, "first-byte-delay")) {
			NEEDV();
			s->fbd = parse_num(v, k, file, line);
		} else if (!strcmp(k, "cut")) {
			NEEDV();
			s->cut = parse_num(v, k, file, line);
		} else if (!strcmp(k, "after")) {
			NEEDV();
			s->after = parse_num(v, k, file, line);
		} else if (!strcmp(k, "error-event")) {
			s->error_event = flag ? xstrndup("Overloaded", 10) : xstrndup(v, (size_t)vlen);
		} else if (!strcmp(k, "tool-use")) {
			NEEDV();
			char *c = strchr(v, ':');
			if (!c || c == v)
				die("%s:%d: tool-use= needs NAME:JSON", file, line);
			*c = 0;
			jv in = jv_parse(c + 1);
			bool obj = jv_get_kind(in) == JV_KIND_OBJECT;
			jv_free(in);
			if (!obj)
				die("%s:%d: tool-use=%s: the input is not a JSON object", file, line, v);
			s->tool_name = xrealloc(s->tool_name, (size_t)(s->ntool + 1) * sizeof *s->tool_name);
			s->tool_json = xrealloc(s->tool_json, (size_t)(s->ntool + 1) * sizeof *s->tool_json);
			s->tool_name[s->ntool] = xstrndup(v, strlen(v));
			s->tool_json[s->ntool++] = xstrndup(c + 1, strlen(c + 1));
		} else if (!strcmp(k, "hang") && flag) {
			s->hang = true;
		} else if (!strcmp(k, "close") && flag) {
			s->close = true;
		} else if (!strcmp(k, "reset") && flag) {
			s->reset = true;
		} else if (!strcmp(k, "malformed") && flag) {
			s->malformed = true;
		} else {
			die("%s:%d: unknown item '%s%s'", file, line, k, flag ? "" : "=...");
		}
#undef NEEDV
	}
}

static void load_script(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		die("cannot read '%s': %s", file, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int no = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		no++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		specs = xrealloc(specs, (size_t)(nspecs + 1) * sizeof *specs);
		parse_spec(&specs[nspecs++], p, file, no);
	}
	free(line);
	fclose(f);
}

/* ---- connections and requests ---- */

typedef struct {
	int fd;
	buf in; /* bytes read and not yet used */
} conn;

typedef struct {
	char *head; /* the request head, NUL-separated in place */
	char *method, *path, *query, *version;
	jv headers; /* lowercased name -> value */
	buf body;
	bool http11, keepalive;
} request;

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads more bytes into c->in: >0 read, 0 end of stream, <0 error. */
static ssize_t fill(conn *c)
{
	grow(&c->in, 65536);
	for (;;) {
		ssize_t r = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			c->in.len += (size_t)r;
		return r;
	}
}

static void consume(conn *c, size_t n)
{
	memmove(c->in.p, c->in.p + n, c->in.len - n);
	c->in.len -= n;
}

static const char *hdr(request *r, const char *name)
{
	jv v = jv_object_get(jv_copy(r->headers), jv_string(name));
	const char *s = NULL;
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v); /* borrowed: r->headers holds it */
	jv_free(v);
	return s;
}

static bool has_token(const char *v, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = v; p && *p;) {
		p += strspn(p, " \t,");
		size_t l = strcspn(p, " \t,");
		if (l == n && !strncasecmp(p, tok, n))
			return true;
		p += l;
	}
	return false;
}

/* Ensures c->in holds a CRLF-terminated line from offset `at`; returns its
 * length without the CRLF, or -1. */
static long need_line(conn *c, size_t at)
{
	for (;;) {
		char *e = c->in.len > at ? memmem(c->in.p + at, c->in.len - at, "\r\n", 2) : NULL;
		if (e)
			return e - (c->in.p + at);
		if (c->in.len - at > 65536 || fill(c) <= 0)
			return -1;
	}
}

static bool need_bytes(conn *c, size_t n)
{
	while (c->in.len < n)
		if (fill(c) <= 0)
			return false;
	return true;
}

/* Reads one request: 1 read, 0 the client closed before a request, -1 a
 * broken request (answered with 400 when it makes sense). */
static int read_request(conn *c, request *r)
{
	memset(r, 0, sizeof *r);
	r->headers = jv_object();
	char *end;
	for (;;) {
		end = c->in.len ? memmem(c->in.p, c->in.len, "\r\n\r\n", 4) : NULL;
		if (end)
			break;
		if (c->in.len > MAX_HEAD)
			return -1;
		ssize_t n = fill(c);
		if (n <= 0)
			return c->in.len == 0 && n == 0 ? 0 : -1;
	}
	size_t hl = (size_t)(end - c->in.p) + 4;
	r->head = xstrndup(c->in.p, hl - 4);
	consume(c, hl);

	char *save, *line = strtok_r(r->head, "\r\n", &save);
	if (!line)
		return -1;
	char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2)
		return -1;
	*sp1 = *sp2 = 0;
	r->method = line;
	r->path = sp1 + 1;
	r->version = sp2 + 1;
	char *q = strchr(r->path, '?');
	if (q) {
		*q = 0;
		r->query = q + 1;
	} else {
		r->query = "";
	}
	r->http11 = !strcmp(r->version, "HTTP/1.1");
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		for (char *p = line; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		char *v = colon + 1;
		v += strspn(v, " \t");
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = 0;
		jv old = jv_object_get(jv_copy(r->headers), jv_string(line));
		jv val = jv_get_kind(old) == JV_KIND_STRING
			? jv_string_fmt("%s, %s", jv_string_value(old), v) : jv_string(v);
		jv_free(old);
		r->headers = jv_object_set(r->headers, jv_string(line), val);
	}
	const char *conn_h = hdr(r, "connection");
	r->keepalive = r->http11 ? !(conn_h && has_token(conn_h, "close"))
		: (conn_h && has_token(conn_h, "keep-alive"));

	const char *te = hdr(r, "transfer-encoding");
	const char *cl = hdr(r, "content-length");
	bool chunked = te && has_token(te, "chunked");
	long long len = 0;
	if (!chunked && cl) {
		char *e;
		len = strtoll(cl, &e, 10);
		if (*e || len < 0)
			return -1;
	}
	const char *expect = hdr(r, "expect");
	if (expect && !strcasecmp(expect, "100-continue") && (chunked || len > 0) && c->in.len == 0)
		if (!write_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
			return -1;
	if (!chunked) {
		if (!need_bytes(c, (size_t)len))
			return -1;
		put(&r->body, c->in.p, (size_t)len);
		consume(c, (size_t)len);
		return 1;
	}
	for (;;) { /* a chunked request body */
		long l = need_line(c, 0);
		if (l < 0)
			return -1;
		char *e;
		unsigned long long n = strtoull(c->in.p, &e, 16);
		if (e == c->in.p)
			return -1;
		consume(c, (size_t)l + 2);
		if (n == 0) {
			while ((l = need_line(c, 0)) > 0) /* trailers */
				consume(c, (size_t)l + 2);
			if (l < 0)
				return -1;
			consume(c, 2);
			return 1;
		}
		if (!need_bytes(c, n + 2))
			return -1;
		put(&r->body, c->in.p, n);
		consume(c, n + 2);
	}
}

static void free_request(request *r)
{
	free(r->head);
	free(r->body.p);
	jv_free(r->headers);
}

/* ---- routes and the request's wishes ---- */

typedef enum { P_ANTHROPIC, P_OPENAI, P_GEMINI, P_OLLAMA, P_LIVE, P_NONE, P_RESPONSES } proto;

typedef struct {
	proto pr;
	long n;
	bool head;          /* a HEAD request: no body */
	bool stream;        /* the reply streams */
	bool sse;           /* gemini streaming with alt=sse (else a JSON array) */
	bool usage;         /* openai: stream_options.include_usage */
	char model[256];
	long long in_tokens;
	const char *live;   /* liveness body */
	const char *live_ctype;
	const char *list;   /* a models list in the protocol pr (GET .../models) */
	char notfound[512];
} reqinfo;

static bool query_has(const char *q, const char *kv)
{
	size_t n = strlen(kv);
	for (const char *p = q; *p;) {
		size_t l = strcspn(p, "&");
		if (l == n && !memcmp(p, kv, n))
			return true;
		p += l + (p[l] == '&');
	}
	return false;
}

static bool field_true(jv v, const char *k1, const char *k2)
{
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return false;
	jv x = jv_object_get(jv_copy(v), jv_string(k1));
	if (k2 && jv_get_kind(x) == JV_KIND_OBJECT)
		x = jv_object_get(x, jv_string(k2));
	else if (k2) {
		jv_free(x);
		return false;
	}
	bool t = jv_get_kind(x) == JV_KIND_TRUE;
	jv_free(x);
	return t;
}

static bool field_false(jv v, const char *k)
{
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return false;
	jv x = jv_object_get(jv_copy(v), jv_string(k));
	bool f = jv_get_kind(x) == JV_KIND_FALSE;
	jv_free(x);
	return f;
}

static void route(request *r, jv body, reqinfo *ri)
{
	bool post = !strcmp(r->method, "POST");
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	ri->head = !strcmp(r->method, "HEAD");
	ri->in_tokens = (long long)r->body.len / 4;
	snprintf(ri->model, sizeof ri->model, "fakeprov-model");
	if (jv_get_kind(body) == JV_KIND_OBJECT) {
		jv m = jv_object_get(jv_copy(body), jv_string("model"));
		if (jv_get_kind(m) == JV_KIND_STRING)
			snprintf(ri->model, sizeof ri->model, "%s", jv_string_value(m));
		jv_free(m);
	}
	const char *p = r->path, *g = NULL;
	if (!strncmp(p, "/v1beta/models/", 15))
		g = p + 15;
	else if (!strncmp(p, "/v1/models/", 11))
		g = p + 11;
	const char *colon = g ? strchr(g, ':') : NULL;
	if (post && ends_with(p, "/v1/messages")) {
		ri->pr = P_ANTHROPIC;
		ri->stream = field_true(body, "stream", NULL);
	} else if (post && ends_with(p, "/chat/completions")) {
		ri->pr = P_OPENAI;
		ri->stream = field_true(body, "stream", NULL);
		ri->usage = ri->stream && field_true(body, "stream_options", "include_usage");
	} else if (post && ends_with(p, "/responses")) {
		ri->pr = P_RESPONSES;
		ri->stream = field_true(body, "stream", NULL);
	} else if (post && colon && colon > g && (!strcmp(colon, ":streamGenerateContent")
			|| !strcmp(colon, ":generateContent"))) {
		ri->pr = P_GEMINI;
		snprintf(ri->model, sizeof ri->model, "%.*s", (int)(colon - g), g);
		ri->stream = !strcmp(colon, ":streamGenerateContent");
		ri->sse = query_has(r->query, "alt=sse");
	} else if (post && !strcmp(p, "/api/chat")) {
		ri->pr = P_OLLAMA;
		ri->stream = !field_false(body, "stream");
	} else if (get && (ends_with(p, "/v1/models") || !strcmp(p, "/models"))) {
		/* one path, two protocols: Anthropic's requests say their version */
		if (hdr(r, "anthropic-version")) {
			ri->pr = P_ANTHROPIC;
			ri->list = "{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4-5-20250929\","
				"\"display_name\":\"Claude Sonnet 4.5\",\"created_at\":\"2025-09-29T00:00:00Z\"},"
				"{\"type\":\"model\",\"id\":\"claude-haiku-4-5-20251001\","
				"\"display_name\":\"Claude Haiku 4.5\",\"created_at\":\"2025-10-15T00:00:00Z\"}],"
				"\"has_more\":false,\"first_id\":\"claude-sonnet-4-5-20250929\","
				"\"last_id\":\"claude-haiku-4-5-20251001\"}";
		} else {
			ri->pr = P_OPENAI;
			ri->list = "{\"object\":\"list\",\"data\":["
				"{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1715367049,\"owned_by\":\"system\"},"
				"{\"id\":\"fakeprov-model\",\"object\":\"model\",\"created\":1767225600,"
				"\"owned_by\":\"fakeprov\"}]}";
		}
	} else if (get && !strcmp(p, "/v1beta/models")) {
		ri->pr = P_GEMINI;
		ri->list = "{\n  \"models\": [\n    {\"name\": \"models/gemini-2.5-flash\", \"version\": \"001\","
			" \"displayName\": \"Gemini 2.5 Flash\", \"inputTokenLimit\": 1048576,"
			" \"outputTokenLimit\": 65536, \"supportedGenerationMethods\": [\"generateContent\","
			" \"countTokens\"]},\n    {\"name\": \"models/text-embedding-004\", \"version\": \"004\","
			" \"displayName\": \"Text Embedding 004\", \"inputTokenLimit\": 2048,"
			" \"outputTokenLimit\": 1, \"supportedGenerationMethods\": [\"embedContent\"]}\n  ]\n}\n";
	} else if (get && !strcmp(p, "/")) {
		ri->pr = P_LIVE;
		ri->live = "Ollama is running";
		ri->live_ctype = "text/plain; charset=utf-8";
	} else if (get && !strcmp(p, "/api/version")) {
		ri->pr = P_LIVE;
		ri->live = "{\"version\":\"0.0.0-fakeprov\"}";
		ri->live_ctype = "application/json; charset=utf-8";
	} else if (get && !strcmp(p, "/api/tags")) {
		ri->pr = P_LIVE;
		ri->live = "{\"models\":[{\"name\":\"fakeprov:latest\",\"model\":\"fakeprov:latest\","
			"\"modified_at\":\"2026-01-01T00:00:00Z\",\"size\":0,\"digest\":\"\","
			"\"details\":{\"format\":\"gguf\",\"family\":\"fake\"}}]}";
		ri->live_ctype = "application/json; charset=utf-8";
	} else {
		ri->pr = P_NONE;
		buf b = {0};
		puts_(&b, "{\"error\":{\"type\":\"not_found\",\"message\":");
		char m[400];
		snprintf(m, sizeof m, "fakeprov: no route for %s %s", r->method, r->path);
		put_jsons(&b, m);
		puts_(&b, "}}");
		snprintf(ri->notfound, sizeof ri->notfound, "%.*s", (int)b.len, b.p);
		free(b.p);
	}
}

/* ---- replies ---- */

typedef struct {
	buf data;
	size_t *ev; /* event ends, for delay= without chunk= */
	size_t nev, evcap;
} body;

static void mark(body *bd)
{
	if (bd->nev == bd->evcap) {
		bd->evcap = bd->evcap ? bd->evcap * 2 : 64;
		bd->ev = xrealloc(bd->ev, bd->evcap * sizeof *bd->ev);
	}
	bd->ev[bd->nev++] = bd->data.len;
}

/* The end of the piece of text that starts at pos: `piece` bytes (extended to
 * a UTF-8 boundary), or by default a word-like token of at most 8 bytes that
 * breaks before a space. */
static size_t piece_end(const char *s, size_t len, size_t pos, long long piece)
{
	size_t e;
	if (piece > 0) {
		e = (size_t)piece >= len - pos ? len : pos + (size_t)piece;
	} else {
		e = pos + 1;
		while (e < len && e - pos < 8 && s[e] != ' ' && s[e - 1] != '\n')
			e++;
	}
	while (e < len && ((unsigned char)s[e] & 0xC0) == 0x80)
		e++;
	return e;
}

static long long count_pieces(const char *s, size_t len, long long piece)
{
	long long n = 0;
	for (size_t p = 0; p < len; p = piece_end(s, len, p, piece))
		n++;
	return n;
}

typedef struct {
	body *bd;
	buf *b;
	const reqinfo *ri;
	const spec *sp;
	long long out;   /* output tokens: pieces */
	long long i;     /* pieces sent */
	long created;
	int elems;       /* gemini JSON-array elements so far */
	bool text_open;  /* anthropic: the text block is started, not stopped
	                  * (responses: the message item) */
	long long piece;
	const char *t;   /* responses: the whole text, for the events that repeat it */
	size_t tl;
	long seq;        /* responses: sequence_number */
} gen;

/* Responses API: `event: TYPE` and data {"type":TYPE, ...rest, "sequence_number":N}. */
static void resp_event(gen *g, const char *type)
{
	putf(g->b, "event: %s\ndata: {\"type\":\"%s\",", type, type);
}

static void resp_end(gen *g)
{
	putf(g->b, "\"sequence_number\":%ld}\n\n", g->seq++);
	mark(g->bd);
}

static void resp_message(gen *g, bool done)
{
	putf(g->b, "{\"id\":\"msg_fakeprov%06ld\",\"type\":\"message\",\"status\":\"%s\",\"content\":[",
		g->ri->n, done ? "completed" : "in_progress");
	if (done) {
		puts_(g->b, "{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":");
		put_json(g->b, g->t, g->tl);
		puts_(g->b, "}");
	}
	puts_(g->b, "],\"role\":\"assistant\"}");
}

/* A reply of tool calls alone has no message item. */
static bool resp_text(const gen *g)
{
	return g->tl || !g->sp->ntool;
}

/* Tool call K as a function_call item: its arguments "" while it streams. */
static void resp_call(gen *g, int k, bool done)
{
	putf(g->b, "{\"id\":\"fc_fakeprov%06ld_%d\",\"type\":\"function_call\",\"status\":\"%s\","
		"\"arguments\":", g->ri->n, k, done ? "completed" : "in_progress");
	put_jsons(g->b, done ? g->sp->tool_json[k] : "");
	putf(g->b, ",\"call_id\":\"call_fakeprov%06ld_%d\",\"name\":", g->ri->n, k);
	put_jsons(g->b, g->sp->tool_name[k]);
	puts_(g->b, "}");
}

/* The response object; when done with its output (message, calls) and
 * usage (out tokens). */
static void resp_object(gen *g, bool done, long long out)
{
	putf(g->b, "{\"id\":\"resp_fakeprov%06ld\",\"object\":\"response\",\"created_at\":%ld,"
		"\"status\":\"%s\",\"error\":null,\"incomplete_details\":null,\"model\":", g->ri->n,
		g->created, done ? "completed" : "in_progress");
	put_jsons(g->b, g->ri->model);
	puts_(g->b, ",\"output\":[");
	if (done && resp_text(g))
		resp_message(g, true);
	for (int k = 0; done && k < g->sp->ntool; k++) {
		if (k || resp_text(g))
			puts_(g->b, ",");
		resp_call(g, k, true);
	}
	puts_(g->b, "],\"usage\":");
	if (done)
		putf(g->b, "{\"input_tokens\":%lld,\"input_tokens_details\":{\"cached_tokens\":0},"
			"\"output_tokens\":%lld,\"output_tokens_details\":{\"reasoning_tokens\":0},"
			"\"total_tokens\":%lld}", g->ri->in_tokens, out, g->ri->in_tokens + out);
	else
		puts_(g->b, "null");
	puts_(g->b, "}");
}

static void ollama_time(buf *b)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char t[64];
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
	putf(b, "\"created_at\":\"%s.%09ldZ\"", t, ts.tv_nsec);
}

static void gemini_open(gen *g)
{
	if (g->ri->sse)
		puts_(g->b, "data: ");
	else
		puts_(g->b, g->elems++ ? "\n,\r\n" : "[");
}

static void gemini_close(gen *g)
{
	if (g->ri->sse)
		puts_(g->b, "\r\n\r\n");
	mark(g->bd);
}

static void g_start(gen *g)
{
	buf *b = g->b;
	const reqinfo *ri = g->ri;
	switch (ri->pr) {
	case P_ANTHROPIC:
		putf(b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
			"{\"id\":\"msg_fakeprov%06ld\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", ri->n);
		put_jsons(b, ri->model);
		putf(b, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
			"{\"input_tokens\":%lld,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
			"\"output_tokens\":1}}}\n\n", ri->in_tokens);
		mark(g->bd);
		if (g->sp->ntool && !g->sp->text)
			break;   /* a reply of tool calls alone: no text block */
		puts_(b, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
			"\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
		mark(g->bd);
		g->text_open = true;
		puts_(b, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
		mark(g->bd);
		break;
	case P_OPENAI:
		putf(b, "data: {\"id\":\"chatcmpl-fakeprov%06ld\",\"object\":\"chat.completion.chunk\","
			"\"created\":%ld,\"model\":", ri->n, g->created);
		put_jsons(b, ri->model);
		puts_(b, ",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
			"\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]");
		puts_(b, ri->usage ? ",\"usage\":null}\n\n" : "}\n\n");
		mark(g->bd);
		break;
	case P_RESPONSES:
		resp_event(g, "response.created");
		puts_(b, "\"response\":");
		resp_object(g, false, 0);
		puts_(b, ",");
		resp_end(g);
		resp_event(g, "response.in_progress");
		puts_(b, "\"response\":");
		resp_object(g, false, 0);
		puts_(b, ",");
		resp_end(g);
		if (!resp_text(g))
			break;
		g->text_open = true;
		resp_event(g, "response.output_item.added");
		puts_(b, "\"output_index\":0,\"item\":");
		resp_message(g, false);
		puts_(b, ",");
		resp_end(g);
		resp_event(g, "response.content_part.added");
		putf(b, "\"item_id\":\"msg_fakeprov%06ld\",\"output_index\":0,\"content_index\":0,"
			"\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":\"\"},", ri->n);
		resp_end(g);
		break;
	default:
		break;
	}
}

static void openai_chunk_head(gen *g)
{
	putf(g->b, "data: {\"id\":\"chatcmpl-fakeprov%06ld\",\"object\":\"chat.completion.chunk\","
		"\"created\":%ld,\"model\":", g->ri->n, g->created);
	put_jsons(g->b, g->ri->model);
	puts_(g->b, ",\"system_fingerprint\":null,\"choices\":[");
}

static void gemini_chunk(gen *g, const char *s, size_t n, bool last)
{
	buf *b = g->b;
	gemini_open(g);
	puts_(b, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":");
	put_json(b, s, n);
	puts_(b, "}],\"role\":\"model\"}");
	if (last)
		puts_(b, ",\"finishReason\":\"STOP\"");
	putf(b, ",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":%lld", g->ri->in_tokens);
	if (last)
		putf(b, ",\"candidatesTokenCount\":%lld,\"totalTokenCount\":%lld}", g->out,
			g->ri->in_tokens + g->out);
	else
		putf(b, ",\"totalTokenCount\":%lld}", g->ri->in_tokens);
	puts_(b, ",\"modelVersion\":");
	put_jsons(b, g->ri->model);
	putf(b, ",\"responseId\":\"fakeprov%06ld\"}", g->ri->n);
	gemini_close(g);
}

static void g_delta(gen *g, const char *s, size_t n)
{
	buf *b = g->b;
	bool last = ++g->i == g->out;
	switch (g->ri->pr) {
	case P_ANTHROPIC:
		puts_(b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
			"\"delta\":{\"type\":\"text_delta\",\"text\":");
		put_json(b, s, n);
		puts_(b, "}}\n\n");
		break;
	case P_OPENAI:
		openai_chunk_head(g);
		puts_(b, "{\"index\":0,\"delta\":{\"content\":");
		put_json(b, s, n);
		puts_(b, "},\"logprobs\":null,\"finish_reason\":null}]");
		puts_(b, g->ri->usage ? ",\"usage\":null}\n\n" : "}\n\n");
		break;
	case P_GEMINI:
		gemini_chunk(g, s, n, last);
		return;
	case P_RESPONSES:
		resp_event(g, "response.output_text.delta");
		putf(b, "\"item_id\":\"msg_fakeprov%06ld\",\"output_index\":0,\"content_index\":0,"
			"\"delta\":", g->ri->n);
		put_json(b, s, n);
		puts_(b, ",\"logprobs\":[],");
		resp_end(g);
		return;
	case P_OLLAMA:
		puts_(b, "{\"model\":");
		put_jsons(b, g->ri->model);
		puts_(b, ",");
		ollama_time(b);
		puts_(b, ",\"message\":{\"role\":\"assistant\",\"content\":");
		put_json(b, s, n);
		puts_(b, "},\"done\":false}\n");
		break;
	default:
		break;
	}
	mark(g->bd);
}

static void g_malformed(gen *g)
{
	switch (g->ri->pr) {
	case P_ANTHROPIC:
		puts_(g->b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
			"\"delta\":{this is not JSON\n\n");
		break;
	case P_OPENAI:
		puts_(g->b, "data: {\"id\":\"chatcmpl-fakeprov\",this is not JSON\n\n");
		break;
	case P_GEMINI:
		gemini_open(g);
		puts_(g->b, "{\"candidates\":[{this is not JSON");
		gemini_close(g);
		return;
	case P_OLLAMA:
		puts_(g->b, "{\"model\":this is not JSON\n");
		break;
	case P_RESPONSES:
		puts_(g->b, "event: response.output_text.delta\ndata: {\"type\":this is not JSON\n\n");
		break;
	default:
		break;
	}
	mark(g->bd);
}

static void g_error(gen *g, const char *msg)
{
	buf *b = g->b;
	switch (g->ri->pr) {
	case P_ANTHROPIC:
		puts_(b, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":");
		put_jsons(b, msg);
		puts_(b, "}}\n\n");
		break;
	case P_OPENAI:
		puts_(b, "data: {\"error\":{\"message\":");
		put_jsons(b, msg);
		puts_(b, ",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");
		break;
	case P_GEMINI:
		gemini_open(g);
		puts_(b, "{\"error\":{\"code\":500,\"message\":");
		put_jsons(b, msg);
		puts_(b, ",\"status\":\"INTERNAL\"}}");
		if (!g->ri->sse)
			puts_(b, "\n]");
		gemini_close(g);
		return;
	case P_OLLAMA:
		puts_(b, "{\"error\":");
		put_jsons(b, msg);
		puts_(b, "}\n");
		break;
	case P_RESPONSES:
		resp_event(g, "error");
		puts_(b, "\"code\":\"server_error\",\"message\":");
		put_jsons(b, msg);
		puts_(b, ",\"param\":null,");
		resp_end(g);
		return;
	default:
		break;
	}
	mark(g->bd);
}

/* The Responses message item ends before any function_call item starts. */
static void resp_text_done(gen *g)
{
	if (!g->text_open)
		return;
	resp_event(g, "response.output_text.done");
	putf(g->b, "\"item_id\":\"msg_fakeprov%06ld\",\"output_index\":0,\"content_index\":0,"
		"\"text\":", g->ri->n);
	put_json(g->b, g->t, g->tl);
	puts_(g->b, ",\"logprobs\":[],");
	resp_end(g);
	resp_event(g, "response.output_item.done");
	puts_(g->b, "\"output_index\":0,\"item\":");
	resp_message(g, true);
	puts_(g->b, ",");
	resp_end(g);
	g->text_open = false;
}

/* Anthropic's text block ends before any tool_use block starts. */
static void text_stop(gen *g)
{
	if (!g->text_open)
		return;
	puts_(g->b, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
	mark(g->bd);
	g->text_open = false;
}

/* The tool-use= calls after the text, as each protocol streams them: the
 * input's JSON text in pieces where the protocol sends it so (Anthropic's
 * input_json_delta, OpenAI's arguments), whole where it does not (Gemini's
 * functionCall, Ollama's tool_calls). */
static void g_tools(gen *g)
{
	buf *b = g->b;
	const spec *sp = g->sp;
	const reqinfo *ri = g->ri;
	if (!sp->ntool)
		return;
	int base = sp->text ? 1 : 0;
	switch (ri->pr) {
	case P_ANTHROPIC:
		text_stop(g);
		for (int k = 0; k < sp->ntool; k++) {
			const char *j = sp->tool_json[k];
			size_t jl = strlen(j);
			putf(b, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":%d,"
				"\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_fakeprov%06ld_%d\",\"name\":",
				base + k, ri->n, k);
			put_jsons(b, sp->tool_name[k]);
			puts_(b, ",\"input\":{}}}\n\n");
			mark(g->bd);
			for (size_t pos = 0; pos < jl;) {
				size_t e = piece_end(j, jl, pos, g->piece);
				putf(b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":%d,"
					"\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":", base + k);
				put_json(b, j + pos, e - pos);
				puts_(b, "}}\n\n");
				mark(g->bd);
				pos = e;
			}
			putf(b, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":%d}\n\n",
				base + k);
			mark(g->bd);
		}
		break;
	case P_OPENAI:
		for (int k = 0; k < sp->ntool; k++) {
			const char *j = sp->tool_json[k];
			size_t jl = strlen(j);
			openai_chunk_head(g);
			putf(b, "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%d,\"id\":\"call_fakeprov%06ld_%d\","
				"\"type\":\"function\",\"function\":{\"name\":", k, ri->n, k);
			put_jsons(b, sp->tool_name[k]);
			puts_(b, ",\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]");
			puts_(b, ri->usage ? ",\"usage\":null}\n\n" : "}\n\n");
			mark(g->bd);
			for (size_t pos = 0; pos < jl;) {
				size_t e = piece_end(j, jl, pos, g->piece);
				openai_chunk_head(g);
				putf(b, "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%d,\"function\":"
					"{\"arguments\":", k);
				put_json(b, j + pos, e - pos);
				puts_(b, "}}]},\"logprobs\":null,\"finish_reason\":null}]");
				puts_(b, ri->usage ? ",\"usage\":null}\n\n" : "}\n\n");
				mark(g->bd);
				pos = e;
			}
		}
		break;
	case P_RESPONSES:
		resp_text_done(g);
		for (int k = 0; k < sp->ntool; k++) {
			const char *j = sp->tool_json[k];
			size_t jl = strlen(j);
			resp_event(g, "response.output_item.added");
			putf(b, "\"output_index\":%d,\"item\":", (int)resp_text(g) + k);
			resp_call(g, k, false);
			puts_(b, ",");
			resp_end(g);
			for (size_t pos = 0; pos < jl;) {
				size_t e = piece_end(j, jl, pos, g->piece);
				resp_event(g, "response.function_call_arguments.delta");
				puts_(b, "\"delta\":");
				put_json(b, j + pos, e - pos);
				putf(b, ",\"item_id\":\"fc_fakeprov%06ld_%d\",\"output_index\":%d,",
					ri->n, k, (int)resp_text(g) + k);
				resp_end(g);
				pos = e;
			}
			resp_event(g, "response.function_call_arguments.done");
			puts_(b, "\"arguments\":");
			put_jsons(b, j);
			putf(b, ",\"item_id\":\"fc_fakeprov%06ld_%d\",\"output_index\":%d,",
				ri->n, k, (int)resp_text(g) + k);
			resp_end(g);
			resp_event(g, "response.output_item.done");
			putf(b, "\"output_index\":%d,\"item\":", (int)resp_text(g) + k);
			resp_call(g, k, true);
			puts_(b, ",");
			resp_end(g);
		}
		break;
	case P_GEMINI:
		for (int k = 0; k < sp->ntool; k++) {
			bool last = k == sp->ntool - 1;
			gemini_open(g);
			puts_(b, "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":");
			put_jsons(b, sp->tool_name[k]);
			puts_(b, ",\"args\":");
			puts_(b, sp->tool_json[k]);
			puts_(b, "}}],\"role\":\"model\"}");
			if (last)
				puts_(b, ",\"finishReason\":\"STOP\"");
			putf(b, ",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":%lld", ri->in_tokens);
			if (last)
				putf(b, ",\"candidatesTokenCount\":%lld,\"totalTokenCount\":%lld}", g->out,
					ri->in_tokens + g->out);
			else
				putf(b, ",\"totalTokenCount\":%lld}", ri->in_tokens);
			puts_(b, ",\"modelVersion\":");
			put_jsons(b, ri->model);
			putf(b, ",\"responseId\":\"fakeprov%06ld\"}", ri->n);
			gemini_close(g);
		}
		break;
	case P_OLLAMA:
		puts_(b, "{\"model\":");
		put_jsons(b, ri->model);
		puts_(b, ",");
		ollama_time(b);
		puts_(b, ",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[");
		for (int k = 0; k < sp->ntool; k++) {
			putf(b, "%s{\"function\":{\"name\":", k ? "," : "");
			put_jsons(b, sp->tool_name[k]);
			puts_(b, ",\"arguments\":");
			puts_(b, sp->tool_json[k]);
			puts_(b, "}}");
		}
		puts_(b, "]},\"done\":false}\n");
		mark(g->bd);
		break;
	default:
		break;
	}
}

static void g_finish(gen *g)
{
	buf *b = g->b;
	const reqinfo *ri = g->ri;
	switch (ri->pr) {
	case P_ANTHROPIC:
		text_stop(g);
		putf(b, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
			"\"%s\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":%lld,"
			"\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":%lld}}\n\n",
			g->sp->ntool ? "tool_use" : "end_turn", ri->in_tokens, g->out);
		mark(g->bd);
		puts_(b, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
		break;
	case P_OPENAI:
		openai_chunk_head(g);
		putf(b, "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"%s\"}]",
			g->sp->ntool ? "tool_calls" : "stop");
		puts_(b, ri->usage ? ",\"usage\":null}\n\n" : "}\n\n");
		mark(g->bd);
		if (ri->usage) {
			openai_chunk_head(g);
			putf(b, "],\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
				"\"total_tokens\":%lld}}\n\n", ri->in_tokens, g->out, ri->in_tokens + g->out);
			mark(g->bd);
		}
		puts_(b, "data: [DONE]\n\n");
		break;
	case P_RESPONSES:
		resp_text_done(g);
		resp_event(g, "response.completed");
		puts_(b, "\"response\":");
		resp_object(g, true, g->out);
		puts_(b, ",");
		resp_end(g);
		return;
	case P_GEMINI:
		if (g->out == 0)
			gemini_chunk(g, "", 0, true);
		if (!ri->sse) {
			puts_(b, "\n]");
			mark(g->bd);
		}
		return;
	case P_OLLAMA:
		puts_(b, "{\"model\":");
		put_jsons(b, ri->model);
		puts_(b, ",");
		ollama_time(b);
		putf(b, ",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\","
			"\"done\":true,\"total_duration\":%lld,\"load_duration\":1000000,"
			"\"prompt_eval_count\":%lld,\"prompt_eval_duration\":1000000,\"eval_count\":%lld,"
			"\"eval_duration\":%lld}\n", 2000000 + g->out * 1000000, ri->in_tokens, g->out,
			g->out * 1000000);
		break;
	default:
		break;
	}
	mark(g->bd);
}

/* Output tokens of the tool calls: the pieces of their inputs' JSON. */
static long long tool_pieces(const spec *sp, long long piece)
{
	long long n = 0;
	for (int k = 0; k < sp->ntool; k++)
		n += count_pieces(sp->tool_json[k], strlen(sp->tool_json[k]), piece);
	return n;
}

static void gen_stream(body *bd, const reqinfo *ri, const spec *sp, const char *t, size_t tl,
	long long piece)
{
	gen g = {.bd = bd, .b = &bd->data, .ri = ri, .sp = sp, .created = (long)time(NULL),
		.piece = piece, .t = t, .tl = tl};
	g.out = count_pieces(t, tl, piece) + tool_pieces(sp, piece);
	long long at = sp->after >= 0 ? sp->after : g.out > 3 ? 2 : g.out > 1 ? g.out - 1 : 0;
	bool inject = sp->malformed || sp->error_event;
	g_start(&g);
	size_t pos = 0;
	for (long long k = 0;; k++) {
		if (inject && k == at) {
			if (sp->malformed)
				g_malformed(&g);
			if (sp->error_event) {
				g_error(&g, sp->error_event);
				return;
			}
		}
		if (pos >= tl)
			break;
		size_t e = piece_end(t, tl, pos, piece);
		g_delta(&g, t + pos, e - pos);
		pos = e;
	}
	g_tools(&g);
	g_finish(&g);
}

static void gen_whole(buf *b, const reqinfo *ri, const spec *sp, const char *t, size_t tl,
	long long piece)
{
	long long out = count_pieces(t, tl, piece) + tool_pieces(sp, piece), in = ri->in_tokens;
	bool text = !sp->ntool || sp->text;   /* tool calls alone: no text */
	switch (ri->pr) {
	case P_ANTHROPIC:
		putf(b, "{\"id\":\"msg_fakeprov%06ld\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", ri->n);
		put_jsons(b, ri->model);
		puts_(b, ",\"content\":[");
		if (text) {
			puts_(b, "{\"type\":\"text\",\"text\":");
			put_json(b, t, tl);
			puts_(b, "}");
		}
		for (int k = 0; k < sp->ntool; k++) {
			putf(b, "%s{\"type\":\"tool_use\",\"id\":\"toolu_fakeprov%06ld_%d\",\"name\":",
				text || k ? "," : "", ri->n, k);
			put_jsons(b, sp->tool_name[k]);
			putf(b, ",\"input\":%s}", sp->tool_json[k]);
		}
		putf(b, "],\"stop_reason\":\"%s\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":%lld,"
			"\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":%lld}}",
			sp->ntool ? "tool_use" : "end_turn", in, out);
		break;
	case P_OPENAI:
		putf(b, "{\"id\":\"chatcmpl-fakeprov%06ld\",\"object\":\"chat.completion\",\"created\":%ld,"
			"\"model\":", ri->n, (long)time(NULL));
		put_jsons(b, ri->model);
		puts_(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
		if (text)
			put_json(b, t, tl);
		else
			puts_(b, "null");
		if (sp->ntool) {
			puts_(b, ",\"tool_calls\":[");
			for (int k = 0; k < sp->ntool; k++) {
				putf(b, "%s{\"id\":\"call_fakeprov%06ld_%d\",\"type\":\"function\",\"function\":"
					"{\"name\":", k ? "," : "", ri->n, k);
				put_jsons(b, sp->tool_name[k]);
				puts_(b, ",\"arguments\":");
				put_jsons(b, sp->tool_json[k]);
				puts_(b, "}}");
			}
			puts_(b, "]");
		}
		putf(b, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"%s\"}],"
			"\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld},"
			"\"system_fingerprint\":null}\n", sp->ntool ? "tool_calls" : "stop", in, out, in + out);
		break;
	case P_GEMINI:
		puts_(b, "{\"candidates\":[{\"content\":{\"parts\":[");
		if (text) {
			puts_(b, "{\"text\":");
			put_json(b, t, tl);
			puts_(b, "}");
		}
		for (int k = 0; k < sp->ntool; k++) {
			puts_(b, text || k ? ",{\"functionCall\":{\"name\":" : "{\"functionCall\":{\"name\":");
			put_jsons(b, sp->tool_name[k]);
			putf(b, ",\"args\":%s}}", sp->tool_json[k]);
		}
		putf(b, "],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":"
			"{\"promptTokenCount\":%lld,\"candidatesTokenCount\":%lld,\"totalTokenCount\":%lld},"
			"\"modelVersion\":", in, out, in + out);
		put_jsons(b, ri->model);
		putf(b, ",\"responseId\":\"fakeprov%06ld\"}\n", ri->n);
		break;
	case P_RESPONSES: {
		body bd = {0};
		gen g = {.bd = &bd, .b = b, .ri = ri, .sp = sp, .created = (long)time(NULL), .t = t,
			.tl = tl};
		resp_object(&g, true, out);
		puts_(b, "\n");
		free(bd.ev);
		break;
	}
	case P_OLLAMA:
		puts_(b, "{\"model\":");
		put_jsons(b, ri->model);
		puts_(b, ",");
		ollama_time(b);
		puts_(b, ",\"message\":{\"role\":\"assistant\",\"content\":");
		put_json(b, t, tl);
		if (sp->ntool) {
			puts_(b, ",\"tool_calls\":[");
			for (int k = 0; k < sp->ntool; k++) {
				puts_(b, k ? ",{\"function\":{\"name\":" : "{\"function\":{\"name\":");
				put_jsons(b, sp->tool_name[k]);
				putf(b, ",\"arguments\":%s}}", sp->tool_json[k]);
			}
			puts_(b, "]");
		}
		putf(b, "},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":%lld,"
			"\"load_duration\":1000000,\"prompt_eval_count\":%lld,\"prompt_eval_duration\":1000000,"
			"\"eval_count\":%lld,\"eval_duration\":%lld}", 2000000 + out * 1000000, in, out,
			out * 1000000);
		break;
	default:
		break;
	}
}

static const char *reason_for(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return ""; /* as Anthropic's recorded 529 */
	default: return "Unknown";
	}
}

/* The provider's own error body for a status >= 400. */
static void gen_error_body(buf *b, const reqinfo *ri, int status, const char *msg)
{
	char dflt[128];
	if (!msg) {
		const char *r = reason_for(status);
		snprintf(dflt, sizeof dflt, "fakeprov: %d %s", status, *r ? r : "Overloaded");
		msg = dflt;
	}
	const char *t;
	switch (ri->pr) {
	case P_ANTHROPIC:
		t = status == 400 ? "invalid_request_error" : status == 401 ? "authentication_error"
			: status == 403 ? "permission_error" : status == 404 ? "not_found_error"
			: status == 413 ? "request_too_large" : status == 429 ? "rate_limit_error"
			: status == 529 ? "overloaded_error" : status >= 500 ? "api_error"
			: "invalid_request_error";
		putf(b, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":", t);
		put_jsons(b, msg);
		putf(b, "},\"request_id\":\"req_fakeprov%06ld\"}", ri->n);
		break;
	case P_GEMINI:
		t = status == 400 ? "INVALID_ARGUMENT" : status == 401 ? "UNAUTHENTICATED"
			: status == 403 ? "PERMISSION_DENIED" : status == 404 ? "NOT_FOUND"
			: status == 429 ? "RESOURCE_EXHAUSTED" : status == 503 ? "UNAVAILABLE"
			: status == 504 ? "DEADLINE_EXCEEDED" : status >= 500 ? "INTERNAL"
			: "FAILED_PRECONDITION";
		putf(b, "{\n  \"error\": {\n    \"code\": %d,\n    \"message\": ", status);
		put_jsons(b, msg);
		putf(b, ",\n    \"status\": \"%s\"\n  }\n}\n", t);
		break;
	case P_OLLAMA:
	case P_LIVE:
		puts_(b, "{\"error\":");
		put_jsons(b, msg);
		puts_(b, "}");
		break;
	default: /* openai and the rest */
		t = status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
		puts_(b, "{\n  \"error\": {\n    \"message\": ");
		put_jsons(b, msg);
		putf(b, ",\n    \"type\": \"%s\",\n    \"param\": null,\n    \"code\": %s\n  }\n}\n", t,
			status == 401 ? "\"invalid_api_key\"" : status == 429 ? "\"rate_limit_exceeded\""
			: status == 404 ? "\"model_not_found\"" : "null");
	}
}

/* Event ends of a recorded body: after each blank line (SSE) or line (NDJSON). */
static void split_events(body *bd, bool sse)
{
	const char *p = bd->data.p;
	size_t n = bd->data.len;
	size_t saved = bd->data.len;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		size_t e = 0;
		if (!sse)
			e = i + 1;
		else if (i + 1 < n && p[i + 1] == '\n')
			e = i + 2;
		else if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			e = i + 3;
		if (e) {
			bd->data.len = e;
			mark(bd);
			i = e - 1;
		}
	}
	bd->data.len = saved;
	if (!bd->nev || bd->ev[bd->nev - 1] != n)
		mark(bd);
}

static void add_chunk(buf *out, const char *p, size_t n, bool chunked)
{
	if (!n)
		return;
	if (chunked)
		putf(out, "%zx\r\n", n);
	put(out, p, n);
	if (chunked)
		put(out, "\r\n", 2);
}

static _Noreturn void cut_now(int fd)
{
	shutdown(fd, SHUT_RDWR);
	close(fd);
	_exit(0);
}

/* Waits until the client goes away, then ends the child. */
static _Noreturn void hang(conn *c)
{
	for (;;) {
		c->in.len = 0;
		if (fill(c) <= 0)
			_exit(0);
	}
}

/* Answers one request; returns whether the connection may carry another. */
static bool respond(conn *c, request *rq, jv reqbody, long n, const spec *sp)
{
	reqinfo ri = {.n = n};
	route(rq, reqbody, &ri);
	int status = sp->status ? sp->status : ri.pr == P_NONE ? 404 : 200;
	const char *ctype = "application/json";
	bool stream = false;
	body bd = {0};
	if (sp->hang)
		hang(c);

	if (sp->body) {
		put(&bd.data, sp->body, sp->body_len);
		ctype = sp->body_ctype;
		stream = sp->body_stream;
		if (stream && sp->delay)
			split_events(&bd, !strcmp(ctype, "text/event-stream"));
	} else if (ri.pr == P_NONE) {
		puts_(&bd.data, ri.notfound);
	} else if (status >= 400) {
		gen_error_body(&bd.data, &ri, status, sp->text);
	} else if (ri.pr == P_LIVE) {
		puts_(&bd.data, ri.live);
		ctype = ri.live_ctype;
	} else if (ri.list) {
		puts_(&bd.data, ri.list);
	} else {
		const char *t = DEFAULT_TEXT;
		size_t tl = strlen(t);
		long long piece = sp->piece;
		char *filler = NULL;
		if (sp->gen_bytes >= 0) {
			static const char pat[] = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
				"sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n";
			size_t pl = sizeof pat - 1;
			filler = xrealloc(NULL, (size_t)sp->gen_bytes + 1);
			for (size_t i = 0; i < (size_t)sp->gen_bytes; i += pl)
				memcpy(filler + i, pat, (size_t)sp->gen_bytes - i < pl ? (size_t)sp->gen_bytes - i : pl);
			t = filler;
			tl = (size_t)sp->gen_bytes;
			if (!piece)
				piece = 1000;
		} else if (sp->text) {
			t = sp->text;
			tl = sp->text_len;
		} else if (sp->ntool) {
			t = "";   /* tool calls alone */
			tl = 0;
		}
		if (ri.stream) {
			stream = true;
			ctype = ri.pr == P_OLLAMA ? "application/x-ndjson"
				: ri.pr == P_GEMINI && !ri.sse ? "application/json; charset=UTF-8"
				: "text/event-stream; charset=utf-8";
			gen_stream(&bd, &ri, sp, t, tl, piece);
		} else {
			gen_whole(&bd.data, &ri, sp, t, tl, piece);
			if (sp->malformed)
				bd.data.len /= 2;
			if (ri.pr == P_OLLAMA)
				ctype = "application/json; charset=utf-8";
		}
		free(filler);
	}

	/* the head */
	bool chunked = stream && rq->http11;
	bool keep = rq->keepalive;
	buf out = {0};
	putf(&out, "HTTP/1.1 %d %s\r\n", status, sp->reason ? sp->reason : reason_for(status));
	if (!sp->ctype_set)
		putf(&out, "Content-Type: %s\r\n", ctype);
	if (chunked)
		puts_(&out, "Transfer-Encoding: chunked\r\n");
	else
		putf(&out, "Content-Length: %zu\r\n", bd.data.len);
	if (stream)
		puts_(&out, "Cache-Control: no-cache\r\n");
	if (ri.pr == P_ANTHROPIC)
		putf(&out, "request-id: req_fakeprov%06ld\r\n", n);
	else if (ri.pr == P_OPENAI || ri.pr == P_RESPONSES)
		putf(&out, "x-request-id: req_fakeprov%06ld\r\n", n);
	for (int i = 0; i < sp->nhdr; i++)
		putf(&out, "%s\r\n", sp->hdr[i]);
	putf(&out, "Connection: %s\r\n\r\n", keep ? "keep-alive" : "close");

	if (sp->fbd)
		sleep_ms((long)sp->fbd);
	if (sp->close) {
		close(c->fd);
		_exit(0);
	}
	if (sp->reset) {
		struct linger lg = {1, 0};
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(c->fd);
		_exit(0);
	}

	const char *p = bd.data.p;
	size_t len = ri.head ? 0 : bd.data.len;
	bool ok = true;
	if (!sp->chunk && !sp->delay && sp->cut < 0) {
		/* as fast as possible: everything in large writes */
		for (size_t at = 0; at < len; at += SLICE) {
			add_chunk(&out, p + at, len - at < SLICE ? len - at : SLICE, chunked);
			if (out.len >= SLICE) {
				ok = ok && write_all(c->fd, out.p, out.len);
				out.len = 0;
			}
		}
		if (chunked && !ri.head)
			puts_(&out, "0\r\n\r\n");
		ok = ok && write_all(c->fd, out.p, out.len);
	} else {
		/* in pieces: chunk= bytes, else one event each when delayed */
		size_t cut = sp->cut >= 0 && (size_t)sp->cut < len ? (size_t)sp->cut : SIZE_MAX;
		size_t at = 0, ev = 0;
		bool first = true;
		while (ok) {
			size_t end;
			if (sp->chunk)
				end = len - at < (size_t)sp->chunk ? len : at + (size_t)sp->chunk;
			else if (sp->delay && bd.nev) {
				while (ev < bd.nev && bd.ev[ev] <= at)
					ev++;
				end = ev < bd.nev ? bd.ev[ev] : len;
			} else
				end = len;
			if (end > len)
				end = len;
			if (end > cut)
				end = cut;
			if (!first && sp->delay)
				sleep_ms((long)sp->delay);
			add_chunk(&out, p + at, end - at, chunked);
			at = end;
			first = false;
			if (at == cut) {
				write_all(c->fd, out.p, out.len);
				cut_now(c->fd);
			}
			if (at >= len) {
				if (chunked && !ri.head)
					puts_(&out, "0\r\n\r\n");
				ok = write_all(c->fd, out.p, out.len);
				break;
			}
			ok = write_all(c->fd, out.p, out.len);
			out.len = 0;
		}
	}
	free(out.p);
	free(bd.data.p);
	free(bd.ev);
	return ok && keep;
}

/* ---- the log ---- */

static int logfd = -1;

static void log_request(long n, request *r, jv body)
{
	if (logfd < 0)
		return;
	jv o = jv_object();
	o = jv_object_set(o, jv_string("n"), jv_number((double)n));
	o = jv_object_set(o, jv_string("method"), jv_string(r->method));
	o = jv_object_set(o, jv_string("path"), jv_string(r->path));
	o = jv_object_set(o, jv_string("query"), jv_string(r->query));
	o = jv_object_set(o, jv_string("headers"), jv_copy(r->headers));
	o = jv_object_set(o, jv_string("body"), jv_copy(body));
	jv s = jv_dump_string(o, 0);
	buf b = {0};
	put(&b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	put(&b, "\n", 1);
	jv_free(s);
	if (!write_all(logfd, b.p, b.len))
		fprintf(stderr, "%s: cannot write the log: %s\n", prog, strerror(errno));
	free(b.p);
}

/* ---- serving ---- */

static long *next_index; /* shared by all children */
static long long deadline;

static _Noreturn void serve(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	conn c = {.fd = fd};
	for (;;) {
		request rq;
		int got = read_request(&c, &rq);
		if (got <= 0) {
			static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
				"Content-Length: 0\r\nConnection: close\r\n\r\n";
			if (got < 0)
				write_all(fd, bad, sizeof bad - 1);
			free_request(&rq);
			break;
		}
		long n = __atomic_fetch_add(next_index, 1, __ATOMIC_SEQ_CST);
		jv body = rq.body.len ? jv_parse_sized(rq.body.p, (int)rq.body.len) : jv_null();
		if (!jv_is_valid(body)) {
			jv_free(body);
			body = jv_string_sized(rq.body.p, (int)rq.body.len);
		}
		log_request(n, &rq, body);
		const spec *sp = n < nspecs ? &specs[n] : &default_spec;
		bool more = respond(&c, &rq, body, n, sp);
		jv_free(body);
		free_request(&rq);
		if (!more)
			break;
	}
	close(fd);
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s --port-file FILE [--log FILE] [--script FILE] [--lifetime SECONDS]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *port_file = NULL, *log_file = NULL, *script = NULL;
	long long lifetime = 120;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage();
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--port-file"))
			port_file = v;
		else if (!strcmp(a, "--log"))
			log_file = v;
		else if (!strcmp(a, "--script"))
			script = v;
		else if (!strcmp(a, "--lifetime"))
			lifetime = parse_num(v, "--lifetime", "the command line", i);
		else
			usage();
	}
	if (!port_file)
		usage();
	spec_init(&default_spec, 0);
	if (script)
		load_script(script);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);

	next_index = mmap(NULL, sizeof *next_index, PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (next_index == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	*next_index = 0;
	if (log_file && (logfd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		die("cannot open '%s': %s", log_file, strerror(errno));

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 512) < 0
		|| getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		die("cannot listen on 127.0.0.1: %s", strerror(errno));

	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", port_file, (long)getpid());
	FILE *pf = fopen(tmp, "w");
	if (!pf || fprintf(pf, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(pf) != 0
		|| rename(tmp, port_file) < 0)
		die("cannot write '%s': %s", port_file, strerror(errno));

	pid_t parent = getpid();
	deadline = now_ms() + lifetime * 1000;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		int r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r <= 0)
			continue;
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			close(lfd);
			long long rest = deadline - now_ms();
			alarm((unsigned)(rest > 0 ? rest / 1000 + 1 : 1));
			serve(cfd);
		}
		if (pid < 0)
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		close(cfd);
	}
	return 0;
}
