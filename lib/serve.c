/* serve.c — chat-serve's daemon: libmicrohttpd with one internal epoll
 * thread, the options and serve-* keys, the bearer token, the login code
 * and the cookie sessions, CSRF, route dispatch, the response helpers every
 * route uses, the page's static files, the request log and the limits.
 * See serve.h for how the files share the work. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"
#include "priv.h"
#include "export.h"

#ifndef CF_SHAREDIR
#define CF_SHAREDIR "/usr/local/share/confab"
#endif

/* ---- small things ---- */

static int
random_hex(char *out, size_t bytes)
{
	unsigned char b[64];
	if (bytes > sizeof b)
		return -1;
	size_t got = 0;
	while (got < bytes) {
		ssize_t n = getrandom(b + got, bytes - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * bytes] = '\0';
	return 0;
}

/* Equal strings, in a time that does not depend on where they differ: the
 * lengths are compared too, but that leaks only the length, which is
 * public (64 hex digits). */
static int
secret_eq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;
	size_t n = la < lb ? la : lb;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

/* A size: bytes, or k, M, G after the number (KiB, MiB, GiB). */
static int
parse_size(const char *v, long *out)
{
	char num[24];
	size_t n = strlen(v);
	long unit = 1;
	if (n && strchr("kKmMgG", v[n - 1])) {
		char u = (char)tolower((unsigned char)v[n - 1]);
		unit = u == 'k' ? 1L << 10 : u == 'm' ? 1L << 20 : 1L << 30;
		n--;
	}
	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, v, n);
	num[n] = '\0';
	long k;
	if (cf_parse_long(num, 1, LONG_MAX / unit, &k))
		return -1;
	*out = k * unit;
	return 0;
}

/* The config key into *out when the command line left it 0. */
static jv
config_num(const char *key, long *out, long dflt, int size, long min, long max)
{
	if (*out)
		return jv_true();
	const char *v = cf_config_get(key);
	if (!v) {
		*out = dflt;
		return jv_true();
	}
	long k;
	if (size ? parse_size(v, &k) || k < min || k > max : cf_parse_long(v, min, max, &k))
		return cf_error(CF_EX_CONFIG, "%s: %s is '%s', not %s from %ld to %ld",
		                cf_config_path(), key, v,
		                size ? "a size (bytes, or a number with k, M or G)" : "a number",
		                min, max);
	*out = k;
	return jv_true();
}

/* ---- the listening address ---- */

struct addr {
	char host[256];            /* as printed: "127.0.0.1", "[::1]" */
	unsigned port;
	struct sockaddr_storage sa;
	socklen_t salen;
	int v6, loopback;
};

static jv
parse_listen(const char *s, struct addr *a)
{
	memset(a, 0, sizeof *a);
	const char *colon;
	char host[256];
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
			goto bad;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	long port;
	if (!host[0] || cf_parse_long(colon + 1, 0, 65535, &port))
		goto bad;
	a->port = (unsigned)port;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE}, *res;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc)
		return cf_usage_error("--listen %s: %s", s, gai_strerror(rc));
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	freeaddrinfo(res);
	if (a->sa.ss_family == AF_INET6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->sa;
		v6->sin6_port = htons((uint16_t)port);
		a->v6 = 1;
		a->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		char b[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &v6->sin6_addr, b, sizeof b);
		snprintf(a->host, sizeof a->host, "[%s]", b);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&a->sa;
		v4->sin_port = htons((uint16_t)port);
		a->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		inet_ntop(AF_INET, &v4->sin_addr, a->host, sizeof a->host);
	}
	return jv_true();
bad:
	return cf_usage_error("--listen '%s' is not HOST:PORT (such as 127.0.0.1:8088 or [::1]:8088)", s);
}

/* ---- the token ---- */

/* The folder of the config file: $XDG_CONFIG_HOME/confab. */
static int
config_dir(char *buf, size_t n)
{
	const char *p = cf_config_path();
	const char *slash = strrchr(p, '/');
	if (!slash || (size_t)(slash - p) >= n || strncmp(p, "/nonexistent", 12) == 0)
		return -1;
	memcpy(buf, p, (size_t)(slash - p));
	buf[slash - p] = '\0';
	return 0;
}

static jv
read_token(int fd, const char *path, char out[65])
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cf_error(CF_EX_CONFIG, "%s is not a file", path);
	/* a token others can read is everyone's: not used */
	if (sb.st_mode & 077)
		return cf_error(CF_EX_CONFIG, "%s can be read by others: chmod 600 it "
		                "(or remove it for a new token)", path);
	char buf[80];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(errno));
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n != 64 || strspn(buf, "0123456789abcdef") != 64)
		return cf_error(CF_EX_CONFIG, "%s does not hold a token (64 hex digits): "
		                "remove it for a new one", path);
	memcpy(out, buf, 65);
	return jv_true();
}

static jv
load_token(char out[65])
{
	char dir[PATH_MAX - 32], path[PATH_MAX];
	if (config_dir(dir, sizeof dir))
		return cf_error(CF_EX_CONFIG, "no place for the token: set HOME or XDG_CONFIG_HOME");
	snprintf(path, sizeof path, "%s/serve-token", dir);
	for (int tries = 0; tries < 2; tries++) {
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			jv r = read_token(fd, path, out);
			close(fd);
			return r;
		}
		if (errno != ENOENT)
			return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(errno));
		if (cf_mkdirs(dir) < 0)
			return cf_error(CF_EX_FAIL, "%s: %s", dir, strerror(errno));
		/* O_EXCL: two servers starting at once agree on one token */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(errno));
		}
		char line[66];
		if (random_hex(line, 32)) {
			close(fd);
			unlink(path);
			return cf_error(CF_EX_FAIL, "no random bytes: %s", strerror(errno));
		}
		memcpy(out, line, 65);
		line[64] = '\n';
		ssize_t w = write(fd, line, 65);
		if (w != 65 || close(fd) < 0) {
			int e = w < 0 ? errno : EIO;
			unlink(path);
			return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(e));
		}
		return jv_true();
	}
	return cf_error(CF_EX_FAIL, "%s: made and removed while reading it", path);
}

/* ---- cookie sessions and the login code ---- */

#define AUTH_SESSIONS 64

struct auth {
	char code[65];             /* the one login code, "" once used */
	struct {
		char sid[65], csrf[65];
		int64_t made;
	} s[AUTH_SESSIONS];
};

static void
new_code(struct cf_srv *s)
{
	struct auth *a = s->auth;
	if (random_hex(a->code, 32))
		a->code[0] = '\0';
}

/* A new cookie session in the slot of the oldest. */
static int
new_session(struct cf_srv *s, const char **sid, const char **csrf)
{
	struct auth *a = s->auth;
	int k = 0;
	for (int i = 1; i < AUTH_SESSIONS; i++)
		if (a->s[i].made < a->s[k].made)
			k = i;
	if (random_hex(a->s[k].sid, 32) || random_hex(a->s[k].csrf, 32)) {
		a->s[k].sid[0] = a->s[k].csrf[0] = '\0';
		return -1;
	}
	a->s[k].made = cf_now_ms();
	*sid = a->s[k].sid;
	*csrf = a->s[k].csrf;
	return 0;
}

/* The cookie's session, or -1: every slot is looked at, whatever matches. */
static int
find_session(struct cf_srv *s, const char *sid)
{
	struct auth *a = s->auth;
	int found = -1;
	if (!sid)
		return -1;
	for (int i = 0; i < AUTH_SESSIONS; i++)
		if (a->s[i].sid[0] && secret_eq(a->s[i].sid, sid))
			found = i;
	return found;
}

/* ---- the server's state, one per process ---- */

struct srv_priv {
	struct cf_srv srv;
	struct auth auth;
	struct addr addr;
	char base[300];            /* "http://127.0.0.1:8088" */
	char web_dir[PATH_MAX];    /* realpath, or "" when there is none */
	const char *web_missing;   /* the place looked for, when none */
};

static struct srv_priv *priv_of(struct cf_srv *s) { return (struct srv_priv *)s; }

/* ---- responses ---- */

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static int
is_api(const char *url)
{
	return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/login") == 0;
}

enum MHD_Result
cf_srv_queue(struct cf_req *r, unsigned status, struct MHD_Response *resp)
{
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (is_api(r->url) && !MHD_get_response_header(resp, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	r->status = status;
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
queue_buf(struct cf_req *r, unsigned status, const char *ctype, char *buf,
          size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(buf);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	r->sent += len;
	return cf_srv_queue(r, status, resp);
}

enum MHD_Result
cf_srv_json(struct cf_req *r, unsigned status, jv body)
{
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	/* cf_json_compact: jq's dumper writes a character at a time, about
	 * half of a 100-message page's time */
	size_t n;
	const char *j = cf_json_compact(body, &n);
	char *buf = cf_xmalloc(n + 1);
	memcpy(buf, j, n);
	buf[n] = '\n';
	return queue_buf(r, status, "application/json", buf, n + 1, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result
cf_srv_lines(struct cf_req *r, unsigned status, jv array)
{
	if (!jv_is_valid(array))
		return cf_srv_error(r, array);
	size_t cap = 4096, len = 0;
	char *buf = cf_xmalloc(cap);
	jv_array_foreach(array, i, v) {
		size_t n;
		const char *j = cf_json_compact(v, &n);
		if (len + n + 1 > cap) {
			while (len + n + 1 > cap)
				cap *= 2;
			buf = cf_xrealloc(buf, cap);
		}
		memcpy(buf + len, j, n);
		len += n;
		buf[len++] = '\n';
	}
	jv_free(array);
	return queue_buf(r, status, "application/x-ndjson", buf, len, MHD_RESPMEM_MUST_FREE);
}

unsigned
cf_srv_status_of(int st)
{
	switch (st) {
	case CF_EX_NOTFOUND: return 404;
	case CF_EX_AMBIGUOUS: return 409;
	case CF_EX_DATA: case CF_EX_USAGE: return 400;
	case CF_EX_STORE: case CF_EX_SPOOLED: return 503;
	case CF_EX_PROVIDER: case CF_EX_AUTH: return 502;
	case CF_EX_RATE: return 429;
	case CF_EX_NETWORK: return 504;
	default: return 500;
	}
}

static enum MHD_Result
error_body(struct cf_req *r, unsigned status, const char *msg)
{
	jv b = jv_object_set(jv_object(), jv_string("type"), jv_string("error"));
	b = jv_object_set(b, jv_string("status"), jv_number(status));
	b = jv_object_set(b, jv_string("message"), jv_string(msg));
	return cf_srv_json(r, status, b);
}

enum MHD_Result
cf_srv_error(struct cf_req *r, jv err)
{
	if (jv_is_valid(err)) {
		jv_free(err);
		return error_body(r, 500, "internal error: no error to report");
	}
	if (!cf_is_error(err)) {
		jv m = jv_invalid_get_msg(err);
		enum MHD_Result ret = error_body(r, 500, jv_get_kind(m) == JV_KIND_STRING ?
		                                 jv_string_value(m) : "internal error");
		jv_free(m);
		return ret;
	}
	unsigned status = cf_srv_status_of(cf_error_status(err));
	jv m = cf_error_message(err);
	jv_free(err);
	/* a too-large error says so in its words (no CF_EX_ of its own) */
	enum MHD_Result ret = error_body(r, status, jv_string_value(m));
	jv_free(m);
	return ret;
}

enum MHD_Result
cf_srv_fail(struct cf_req *r, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error_body(r, status, msg);
}

/* Content-Disposition: the ASCII name cf_safe_name makes, without what a
 * quoted string would need escaped, and the whole name as RFC 5987's
 * filename* for the clients that read it. */
static char *
disposition(const char *filename)
{
	/* the extension apart, so that cutting a long name keeps it */
	const char *dot = strrchr(filename, '.'), *ext = "";
	char *base = cf_xstrdup(filename);
	if (dot && dot != filename && dot[1] && strlen(dot + 1) <= 8) {
		int ok = 1;
		for (const char *e = dot + 1; *e; e++)
			ok &= isalnum((unsigned char)*e) != 0;
		if (ok) {
			base[dot - filename] = '\0';
			ext = dot + 1;
		}
	}
	char *safe = cf_safe_name(base, ext);
	free(base);
	size_t n = 0;
	for (char *p = safe; *p; p++)
		if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f &&
		    *p != '"' && *p != '\\' && *p != '%' && *p != ';')
			safe[n++] = *p;
	safe[n] = '\0';
	if (!n) {
		free(safe);
		safe = cf_xstrdup("download");
	}
	size_t fl = strlen(filename);
	char *out = cf_xmalloc(64 + strlen(safe) + 3 * fl);
	char *o = out + sprintf(out, "attachment; filename=\"%s\"; filename*=UTF-8''", safe);
	static const char hx[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)filename; *p; p++) {
		if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hx[*p >> 4];
			*o++ = hx[*p & 15];
		}
	}
	*o = '\0';
	free(safe);
	return out;
}

enum MHD_Result
cf_srv_bytes(struct cf_req *r, unsigned status, const char *ctype,
             const void *data, size_t len, const char *filename)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data,
	                                                            MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	if (filename) {
		char *d = disposition(filename);
		MHD_add_response_header(resp, "Content-Disposition", d);
		free(d);
	}
	r->sent += len;
	return cf_srv_queue(r, status, resp);
}

char *
cf_srv_disposition(const char *filename)
{
	return disposition(filename);
}

void
cf_srv_sse_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
}

/* ---- requests ---- */

const char *
cf_srv_arg(struct cf_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *
cf_srv_header(struct cf_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

jv
cf_srv_body_json(struct cf_req *r)
{
	size_t i = 0;
	while (i < r->len && isspace((unsigned char)r->body[i]))
		i++;
	if (i == r->len)
		return jv_object();
	if (r->len > INT_MAX)
		return cf_error(CF_EX_DATA, "the body is too large for JSON");
	jv v = jv_parse_sized(r->body, (int)r->len);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		jv e = cf_error(CF_EX_DATA, "the body is not JSON: %s",
		                jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?");
		jv_free(m);
		return e;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return cf_error(CF_EX_DATA, "the body is not a JSON object");
	}
	return v;
}

int
cf_srv_wants_lines(struct cf_req *r)
{
	const char *a = cf_srv_header(r, "Accept");
	return a && strstr(a, "application/x-ndjson") != NULL;
}

/* ---- the page ---- */

static const char *
content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".woff2", "font/woff2"},
		{".json", "application/json"},
		{".txt", "text/plain; charset=utf-8"},
		{".webmanifest", "application/manifest+json"},
	};
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof types / sizeof *types; i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* rel: a path under the web folder, checked here: no empty, hidden or
 * ".." segment, and no way out of the folder through a link. */
static enum MHD_Result
send_file(struct cf_req *r, const char *rel)
{
	struct srv_priv *p = priv_of(r->srv);
	if (!p->web_dir[0])
		return cf_srv_fail(r, 404, "the page is not installed (no %s): the API still works",
		                   p->web_missing);
	for (const char *s = rel; ; ) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || s[0] == '.' || memchr(s, '\\', n))
			return cf_srv_fail(r, 404, "no such file");
		if (!e)
			break;
		s = e + 1;
	}
	char path[PATH_MAX * 2], real[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", p->web_dir, rel);
	size_t wl = strlen(p->web_dir);
	if (!realpath(path, real) || strncmp(real, p->web_dir, wl) != 0 || real[wl] != '/')
		return cf_srv_fail(r, 404, "no such file");
	int fd = open(real, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		return cf_srv_fail(r, 404, "no such file");
	}
	char etag[64];
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)sb.st_size,
	         (unsigned long long)sb.st_mtim.tv_sec * 1000000000ULL +
	         (unsigned long long)sb.st_mtim.tv_nsec);
	const char *inm = cf_srv_header(r, "If-None-Match");
	struct MHD_Response *resp;
	unsigned status = 200;
	if (inm && strcmp(inm, etag) == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		status = 304;
	} else {
		resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
		if (!resp) {
			close(fd);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type", content_type(real));
		r->sent += (unsigned long long)sb.st_size;
	}
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	return cf_srv_queue(r, status, resp);
}

static enum MHD_Result
route_index(struct cf_req *r)
{
	return send_file(r, "index.html");
}

static enum MHD_Result
route_static(struct cf_req *r)
{
	return send_file(r, r->url + 1);   /* "static/..." */
}

/* ---- login ---- */

static enum MHD_Result
unauthorized(struct cf_req *r)
{
	return error_body(r, 401, "unauthorized");
}

/* GET /login?code=: the code once, then a cookie session. */
static enum MHD_Result
route_login_get(struct cf_req *r)
{
	struct srv_priv *p = priv_of(r->srv);
	const char *code = cf_srv_arg(r, "code");
	if (!p->auth.code[0] || !secret_eq(code, p->auth.code))
		return unauthorized(r);
	p->auth.code[0] = '\0';
	const char *sid, *csrf;
	if (new_session(r->srv, &sid, &csrf))
		return cf_srv_fail(r, 500, "no random bytes");
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	const char *sec = r->srv->tls ? "; Secure" : "";
	char c[200];
	snprintf(c, sizeof c, "confab_auth=%s; HttpOnly; SameSite=Strict; Path=/%s", sid, sec);
	MHD_add_response_header(resp, "Set-Cookie", c);
	snprintf(c, sizeof c, "confab_csrf=%s; SameSite=Strict; Path=/%s", csrf, sec);
	MHD_add_response_header(resp, "Set-Cookie", c);
	MHD_add_response_header(resp, "Location", "/");
	return cf_srv_queue(r, 303, resp);
}

/* POST /api/chat/login (the bearer only): a new one-time code, the last
 * one forgotten. */
static enum MHD_Result
route_login_post(struct cf_req *r)
{
	struct srv_priv *p = priv_of(r->srv);
	if (r->auth != CF_AUTH_BEARER)
		return unauthorized(r);
	new_code(r->srv);
	if (!p->auth.code[0])
		return cf_srv_fail(r, 500, "no random bytes");
	char url[512];
	snprintf(url, sizeof url, "%s/login?code=%s", p->base, p->auth.code);
	return cf_srv_json(r, 200, jv_object_set(jv_object(), jv_string("url"), jv_string(url)));
}

/* serve.c's own routes, tried first.  A last segment of "*" takes any
 * rest (the page's files only). */
static const struct cf_route core_routes[] = {
	{"GET", "/", route_index, CF_ROUTE_PUBLIC},
	{"GET", "/index.html", route_index, CF_ROUTE_PUBLIC},
	{"GET", "/static/*", route_static, CF_ROUTE_PUBLIC},
	{"GET", "/login", route_login_get, CF_ROUTE_PUBLIC},
	{"POST", "/api/chat/login", route_login_post, 0},
	{0},
};

/* ---- dispatch ---- */

/* Does url fit pattern?  url is the path as the request line has it, still
 * escaped, so an id holding "/" (%2F) is one segment; the :id segment goes
 * to id as it came, for id_decode. */
static int
match(const char *pat, const char *url, char *id, size_t idn)
{
	while (*pat && *url) {
		if (pat[0] == '*' && pat[1] == '\0')
			return url[0] != '\0';
		if (pat[0] == ':') {
			const char *pe = strchr(pat, '/');
			const char *ue = strchr(url, '/');
			size_t n = ue ? (size_t)(ue - url) : strlen(url);
			if (n == 0 || n >= idn)
				return 0;
			memcpy(id, url, n);
			id[n] = '\0';
			pat = pe ? pe : pat + strlen(pat);
			url += n;
			continue;
		}
		if (*pat != *url)
			return 0;
		pat++;
		url++;
	}
	return *pat == '\0' && *url == '\0';
}

/* A segment's %XX escapes decoded in place, by MHD's own decoder (an
 * escape that is not one stays as it came); -1 for %00, which no name
 * holds and a C string would cut short. */
static int
id_decode(char *id)
{
	return MHD_http_unescape(id) == strlen(id) ? 0 : -1;
}

static const struct cf_route *const tables[] = {
	core_routes, cf_serve_routes_sessions, cf_serve_routes_messages,
	cf_serve_routes_export, cf_serve_routes_stream,
};

/* The route for method and url; *other set when the path is known with
 * another method. */
static const struct cf_route *
find_route(struct cf_req *r, const char *raw, int *other)
{
	const char *m = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	*other = 0;
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
		for (const struct cf_route *rt = tables[t]; rt->method; rt++) {
			char id[sizeof r->id * 3];   /* escaped, each byte may be three */
			*id = '\0';
			if (!match(rt->pattern, raw, id, sizeof id))
				continue;
			if (strcmp(rt->method, m) != 0) {
				*other = 1;
				continue;
			}
			if (id_decode(id) < 0 || strlen(id) >= sizeof r->id)
				continue;   /* begin refused %00; a name this long is none */
			memcpy(r->id, id, sizeof r->id);
			return rt;
		}
	return NULL;
}

/* An escaped NUL anywhere in the request target: MHD's decoded path or
 * value ends there, and "a%00b" would name session "a". */
static int
escaped_nul(const char *raw)
{
	for (const char *p = raw; (p = strchr(p, '%')); p++)
		if (p[1] == '0' && p[2] == '0')
			return 1;
	return 0;
}

/* The Host a browser sends to a loopback server: anything else is a name
 * that resolves to us (DNS rebinding) or a confused client. */
static int
host_ok(struct cf_req *r)
{
	struct srv_priv *p = priv_of(r->srv);
	if (!p->addr.loopback)
		return 1;
	const char *h = cf_srv_header(r, "Host");
	if (!h)
		return 0;
	char want[64];
	static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(want, sizeof want, "%s:%u", names[i], p->addr.port);
		if (strcasecmp(h, want) == 0)
			return 1;
	}
	return 0;
}

/* What credentials came: the bearer token, or a cookie session (with its
 * CSRF header when the method changes something); CF_AUTH_NONE else. */
static int
credentials(struct cf_req *r)
{
	const char *a = cf_srv_header(r, "Authorization");
	if (a) {
		if (strncasecmp(a, "Bearer ", 7) == 0 && secret_eq(a + 7, r->srv->token))
			return CF_AUTH_BEARER;
		return CF_AUTH_NONE;   /* a wrong token is not saved by a cookie */
	}
	const char *sid = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "confab_auth");
	int k = find_session(r->srv, sid);
	if (k < 0)
		return CF_AUTH_NONE;
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		const char *t = cf_srv_header(r, "X-Confab-CSRF");
		if (!secret_eq(t, priv_of(r->srv)->auth.s[k].csrf))
			return CF_AUTH_NONE;
	}
	return CF_AUTH_COOKIE;
}

/* First call of a request: everything decided from the headers. */
struct req_state {
	struct cf_req r;
	char *path;                /* the request line's path as sent, for the routes */
	char *raw;                 /* the same, controls masked, for the log */
	int nul;                   /* an escaped NUL in the path or the query */
	int bad;                   /* a byte no request target holds (RFC 3986):
	                            * a control, a space, '#' */
	int begun;
	size_t bound;              /* the body's, for this route */
};

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)conn;
	struct req_state *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->r.srv = cls;
	q->r.url = "";
	q->r.method = "";
	q->r.start = (double)cf_now_ms();
	q->nul = escaped_nul(uri);
	for (const char *c = uri; *c; c++)
		q->bad |= (unsigned char)*c <= 0x20 || *c == 0x7f || *c == '#';
	size_t n = strcspn(uri, "?");
	q->path = malloc(n + 1);
	q->raw = malloc(n + 1);
	if (q->raw && q->path) {
		memcpy(q->path, uri, n);
		q->path[n] = '\0';
		for (size_t i = 0; i < n; i++)
			q->raw[i] = (unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f ? '?' : uri[i];
		q->raw[n] = '\0';
	} else {
		free(q->path);   /* begin answers 500, the log says "-" */
		free(q->raw);
		q->path = q->raw = NULL;
	}
	return q;
}

static enum MHD_Result
begin(struct req_state *q)
{
	struct cf_req *r = &q->r;
	struct cf_srv *s = r->srv;
	if (!host_ok(r))
		return cf_srv_fail(r, 400, "unexpected Host header");
	if (strcmp(r->method, "OPTIONS") == 0)
		return cf_srv_fail(r, 405, "OPTIONS is not answered: no cross-origin requests");
	if (!q->path)
		return cf_srv_fail(r, 500, "out of memory");
	if (q->nul)
		return cf_srv_fail(r, 400, "the path or query holds a NUL byte (%%00)");
	/* MHD takes them as they come, and "/sessions/a b" must not reach
	 * "a?b" nor "/sessions/a#b" reach "a" */
	if (q->bad)
		return cf_srv_fail(r, 400, "the path holds a control byte, a space or '#': "
		                   "percent-encode them");
	const char *raw = q->path;
	int other;
	r->route = find_route(r, raw, &other);
	int public = r->route && (r->route->flags & CF_ROUTE_PUBLIC);
	if (!public) {
		/* a path outside the API is the page's: no credentials to say
		 * it is not there */
		if (!r->route && strncmp(r->url, "/api/", 5) && !other)
			return cf_srv_fail(r, 404, "no such page");
		r->auth = credentials(r);
		if (r->auth == CF_AUTH_NONE)
			return unauthorized(r);
	}
	if (!r->route) {
		if (other)
			return cf_srv_fail(r, 405, "%s is not a method of %s", r->method, r->url);
		return cf_srv_fail(r, 404, "no such endpoint: %s", r->url);
	}
	q->bound = (size_t)(r->route->flags & CF_ROUTE_UPLOAD ? s->o->upload_max : s->o->body_max);
	const char *cl = cf_srv_header(r, "Content-Length");
	long n;
	if (cl && !cf_parse_long(cl, 0, LONG_MAX, &n) && (unsigned long)n > q->bound)
		return cf_srv_fail(r, 413, "the body is larger than %zu bytes", q->bound);
	return MHD_YES;
}

/* Held by the main thread from the daemon's start until the hub's. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int started;

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct req_state *q = *con_cls;
	if (!q) {
		q = uri_logger(cls, url, conn);
		if (!q)
			return MHD_NO;
		*con_cls = q;
	}
	struct cf_req *r = &q->r;
	if (!q->begun) {
		if (!started) {
			/* the main thread is still in cf_hub_start, and only one
			 * thread may use jv at a time: wait for it */
			pthread_mutex_lock(&start_lock);
			pthread_mutex_unlock(&start_lock);
		}
		q->begun = 1;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->body = cf_xmalloc(1);
		r->body[0] = '\0';
		r->cap = 1;
		return begin(q);
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->status)
			return MHD_YES;   /* answered from the headers */
		if (r->too_large || r->len + n > q->bound) {
			r->too_large = 1;
			/* a body without a Content-Length that goes on and on is
			 * read to its end for the 413, but not forever */
			r->len += n;
			return r->len > q->bound + (16u << 20) ? MHD_NO : MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			while (r->len + n + 1 > r->cap)
				r->cap *= 2;
			r->body = cf_xrealloc(r->body, r->cap);
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	/* the whole body is in; a route that suspended the connection
	 * without answering is called again when it is resumed, and finds
	 * its r->ctx */
	if (r->status)
		return MHD_YES;
	if (r->too_large)
		return cf_srv_fail(r, 413, "the body is larger than %zu bytes", q->bound);
	return r->route->fn(r);
}

static void
log_line(struct req_state *q)
{
	struct cf_req *r = &q->r;
	char when[25], line[1200];
	cf_time_fmt(cf_now_ms(), when);
	double ms = (double)cf_now_ms() - r->start;
	char method[24];
	snprintf(method, sizeof method, "%s", r->method[0] ? r->method : "-");
	for (char *m = method; *m; m++)
		if ((unsigned char)*m <= 0x20 || (unsigned char)*m >= 0x7f)
			*m = '?';
	int n = snprintf(line, sizeof line, "%s %s %s %u %llu %.0f\n", when,
	                 method, q->raw ? q->raw : "-",
	                 r->status, r->sent, ms);
	if (n > (int)sizeof line - 1) {
		n = (int)sizeof line - 1;
		line[n - 1] = '\n';
	}
	/* one write: the line is not cut by another writer's */
	ssize_t w = write(2, line, (size_t)n);
	(void)w;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
	(void)conn; (void)toe;
	struct cf_srv *s = cls;
	struct req_state *q = *con_cls;
	if (!q)
		return;
	*con_cls = NULL;
	if (q->r.ctx_free)
		q->r.ctx_free(q->r.ctx);
	if (!s->o->quiet)
		log_line(q);
	free(q->r.body);
	free(q->raw);
	free(q->path);
	free(q);
}

/* libmicrohttpd's own messages: before the daemon runs, the last one is
 * kept for the one error line (a port in use, a bad certificate); after,
 * each is a warning. */
static char mhd_early[512];
static int mhd_running;

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct cf_srv *s = cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (!mhd_running)
		memcpy(mhd_early, msg, sizeof msg);
	else if (!s->o->quiet)
		cf_warn("microhttpd: %s", msg);
}

/* ---- the run ---- */

static void
find_web_dir(struct srv_priv *p)
{
	static char where[PATH_MAX + 64];
	const char *o = p->srv.o->web_dir;
	char cand[PATH_MAX + 64];
	if (!o) {
		const char *e = getenv("CONFAB_WEB_DIR");
		if (e && *e)
			o = e;
	}
	if (o) {
		snprintf(where, sizeof where, "%s/index.html", o);
		p->web_missing = where;
		if (!realpath(o, p->web_dir))
			p->web_dir[0] = '\0';
		return;
	}
	snprintf(cand, sizeof cand, "%s/web", CF_SHAREDIR);
	if (realpath(cand, p->web_dir))
		return;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof cand, "%s/../share/confab/web", exe);
			if (realpath(cand, p->web_dir))
				return;
		}
	}
	p->web_dir[0] = '\0';
	snprintf(where, sizeof where, "%s/web/index.html", CF_SHAREDIR);
	p->web_missing = where;
}

static jv
read_pem(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cf_usage_error("%s: %s", path, strerror(errno));
	size_t len;
	*out = cf_read_all(fd, &len);
	int e = errno;
	close(fd);
	if (!*out)
		return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(e));
	return jv_true();
}

static jv
settle_options(struct cf_serve_opts *o, struct addr *a)
{
	jv r = cf_config_load();
	if (cf_is_error(r))
		return r;
	jv_free(r);
	if (!o->listen)
		o->listen = cf_config_get("serve-listen");
	if (!o->listen)
		o->listen = "127.0.0.1:8088";
	long attach;
	r = cf_attach_limit(&attach);
	if (cf_is_error(r))
		return r;
	jv_free(r);
#define TRY(x) do { jv t_ = (x); if (cf_is_error(t_)) return t_; jv_free(t_); } while (0)
	TRY(config_num("serve-body-max", &o->body_max, 1L << 20, 1, 1024, 1L << 40));
	TRY(config_num("serve-upload-max", &o->upload_max, attach / 3 * 4 + 4 + (1L << 20),
	               1, 1024, 1L << 40));
	TRY(config_num("serve-max-connections", &o->max_connections, 2048, 0, 1, 1000000));
	TRY(config_num("serve-timeout", &o->timeout, 30, 0, 1, 86400));
	TRY(config_num("serve-grace", &o->grace, 60, 0, 0, 86400));
#undef TRY
	if (!o->tls_cert != !o->tls_key)
		return cf_usage_error("--tls-cert and --tls-key go together");
	if (o->tls_cert && !MHD_is_feature_supported(MHD_FEATURE_TLS))
		return cf_error(CF_EX_CONFIG, "this libmicrohttpd has no TLS");
	r = parse_listen(o->listen, a);
	if (cf_is_error(r))
		return r;
	jv_free(r);
	if (!a->loopback && !o->tls_cert && !o->insecure_public)
		return cf_usage_error("%s is not a loopback address: give --tls-cert and "
		                      "--tls-key, or --insecure-public to serve it unencrypted",
		                      o->listen);
	return jv_true();
}

static void
raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

jv
cf_serve_run(struct cf_serve_opts *o)
{
	struct srv_priv *p = calloc(1, sizeof *p);
	if (!p)
		return cf_error(CF_EX_FAIL, "out of memory");
	struct cf_srv *s = &p->srv;
	s->o = o;
	s->auth = &p->auth;
	char *cert = NULL, *key = NULL;
	jv ret = settle_options(o, &p->addr);
	if (cf_is_error(ret))
		goto out;
	jv_free(ret);
	if (o->tls_cert) {
		ret = read_pem(o->tls_cert, &cert);
		if (cf_is_error(ret))
			goto out;
		jv_free(ret);
		ret = read_pem(o->tls_key, &key);
		if (cf_is_error(ret))
			goto out;
		jv_free(ret);
		s->tls = 1;
	}
	int mode = CF_STORE_WRITE | (o->db ? CF_STORE_EXISTING : 0);
	jv err = jv_invalid();
	s->st = cf_store_open_mode(o->db, mode, &err);
	if (!s->st) {
		ret = err;
		goto out;
	}
	jv_free(err);
	find_web_dir(p);
	if (o->check) {
		/* the certificate and key tried, with nothing listened on */
		if (s->tls) {
			errno = 0;
			struct MHD_Daemon *t = MHD_start_daemon(
				MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0,
				NULL, NULL, handler, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
				MHD_OPTION_END);
			if (!t) {
				size_t n = strlen(mhd_early);
				if (n && mhd_early[n - 1] == '.')
					mhd_early[n - 1] = '\0';
				ret = cf_error(CF_EX_FAIL, "%s and %s are not a PEM certificate and "
				               "its key (microhttpd: %s)", o->tls_cert, o->tls_key,
				               mhd_early[0] ? mhd_early : "refused");
				goto out;
			}
			MHD_stop_daemon(t);
		}
		ret = jv_true();
		goto out;
	}
	ret = load_token(s->token);
	if (cf_is_error(ret))
		goto out;
	jv_free(ret);
	new_code(s);
	raise_nofile();

	/* the signals go to this thread's sigwait, never to MHD's or the
	 * hub's threads, which inherit the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_mutex_lock(&start_lock);
	errno = 0;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (p->addr.v6)
		flags |= MHD_USE_IPv6;
	if (s->tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tlsopts[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, key},
		{MHD_OPTION_END, 0, NULL},
	};
	s->d = MHD_start_daemon(flags, (uint16_t)p->addr.port, NULL, NULL, handler, s,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&p->addr.sa,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	                        MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
	                        MHD_OPTION_ARRAY, s->tls ? tlsopts : tlsopts + 2,
	                        MHD_OPTION_END);
	if (!s->d) {
		int e = errno;
		ret = cf_error(CF_EX_FAIL, "cannot listen on %s: %s", o->listen,
		               e ? strerror(e) : mhd_early[0] ? mhd_early : "libmicrohttpd refused");
		pthread_mutex_unlock(&start_lock);
		goto unmask;
	}
	mhd_running = 1;
	if (p->addr.port == 0) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
		if (di)
			p->addr.port = di->port;
	}
	snprintf(p->base, sizeof p->base, "%s://%s:%u", s->tls ? "https" : "http",
	         p->addr.host, p->addr.port);
	ret = cf_hub_start(s);
	if (cf_is_error(ret)) {
		pthread_mutex_unlock(&start_lock);
		MHD_stop_daemon(s->d);
		goto unmask;
	}
	jv_free(ret);
	started = 1;
	pthread_mutex_unlock(&start_lock);
	fprintf(stderr, "%s: listening on %s\n", cf_prog, p->base);
	fprintf(stderr, "%s: log in at %s/login?code=%s\n", cf_prog, p->base, p->auth.code);
	if (!p->web_dir[0])
		cf_warn("no page (%s): the API still works", p->web_missing);
	fflush(stderr);

	int sig;
	while (sigwait(&set, &sig) != 0)
		;
	s->stopping = 1;
	MHD_socket lfd = MHD_quiesce_daemon(s->d);
	/* MHD's thread still runs the open connections' routes: the hub's
	 * drain and stop wait for them, they touch no jv of their own here.
	 * The hub is freed only once MHD has stopped: a route that began
	 * before the drain, and each connection's completed callback, use
	 * it to the end. */
	cf_hub_drain(s, &set);
	cf_hub_stop(s);
	MHD_stop_daemon(s->d);
	cf_hub_free(s);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	/* The signals stay blocked: one more, after the drain's last look,
	 * would end us at the unmask with 143 and the store open.  The
	 * program exits after this. */
	ret = jv_true();
	goto out;
unmask:
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
out:
	if (s->st)
		cf_store_close(s->st);
	free(cert);
	free(key);
	explicit_bzero(s->token, sizeof s->token);
	free(p);
	return ret;
}
