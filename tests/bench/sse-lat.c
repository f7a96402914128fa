/* sse-lat — chat-serve's stream figures: one process that is at once the
 * fake Anthropic provider a turn talks to and the SSE clients of
 * GET /api/chat/sessions/:id/stream, so that one clock (CLOCK_MONOTONIC)
 * times a delta from its write on the provider's socket to its bytes on a
 * client's.
 *
 *     sse-lat [-c CLIENTS] [-n DELTAS] [-e FILE] -s SESSION -t TOKENFILE
 *             -- chat-serve args...
 *     sse-lat hold N HOST:PORT TOKEN SESSION
 *
 * The first form listens on 127.0.0.1, port 0, for the provider and runs
 * chat-serve (fork + execvp, no shell) with every "{PORT}" in its
 * arguments and in the values of its environment replaced by that port
 * (ANTHROPIC_BASE_URL=http://127.0.0.1:{PORT}), its stderr to FILE
 * (default build/bench/serve/sse-lat.err), which is read until the line
 * `chat-serve: listening on http://HOST:PORT`; the bearer token is then
 * read from TOKENFILE.  It opens CLIENTS (default 1) streams of SESSION
 * and waits for each one's 200, then POSTs a send ({"content":"hi",
 * "stream":true}: its answer is the turn's SSE) on a connection of its
 * own, read as the streams are, accepts the turn's
 * connection to the provider and answers as Anthropic does (200,
 * text/event-stream, chunked): message_start, content_block_start, then
 * DELTAS (default 200) content_block_delta events "w1 ", "w2 ", ..., each
 * one event in one chunk in one write.  It takes t0 just before each
 * write and sends the next delta only once every client holds this one's
 * text (the delta events' text, put together, reaches it: a server that
 * merged two deltas into one event is not wrong); t1 is when the first
 * client had it, tlast when the last did.  Then the end of the message,
 * and it waits for every client's `end` event and the send's (200).
 * Every client must have received every delta's text, in order; anything
 * else exits 1, naming the client.  Prints
 *
 *     median_us=120.5 p90_us=150.2 p99_us=300.1 min_us=90.0 max_us=400.0 last_median_us=130.0 last_p99_us=350.0 deltas=200 clients=1 events_min=200 events_max=200
 *
 * (median_us ... max_us: to the first client; last_*: to the last one;
 * events: the fewest and most delta events a client got), then SIGTERMs
 * chat-serve and reaps it.
 *
 * The second form holds N idle streams of SESSION on a running chat-serve:
 * it connects them all (RLIMIT_NOFILE raised to its hard limit), waits
 * for every 200, prints `held=N` and flushes, then waits for its stdin to
 * reach end of file, reading (and dropping) whatever the streams send
 * (pings); a stream the server closes meanwhile is an error.
 *
 * Exits 1 on any failure (nothing for 30 s, a status other than 200, a
 * closed connection), 2 on a usage error. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define WAIT_MS 30000   /* the longest wait for anything */

static pid_t child = -1;

static void
fail(const char *fmt, ...)
{
	va_list ap;
	fputs("sse-lat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	exit(1);
}

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* ---- a growing byte buffer ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void
reserve(struct buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (!(b->p = realloc(b->p, cap)))
		fail("out of memory");
	b->cap = cap;
}

static void
add(struct buf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

static void
write_all(int fd, const char *p, size_t n, const char *what)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail("writing to %s: %s", what, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static int
dial(const char *host, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		fail("not an IPv4 address: %s", host);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
		fail("cannot connect to %s:%d: %s", host, port, strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* ---- an HTTP client of chat-serve: the status, then the body, chunked
 * or not, taken apart into SSE events ---- */

struct client {
	int fd;
	int status;             /* 0 until the headers are in */
	int chunked, eof;
	struct buf raw;         /* bytes read, not yet decoded */
	long chunk_left;        /* of the chunk being read; -1: its size line next */
	int chunk_crlf;         /* the CRLF after a chunk's data is due */
	struct buf body;        /* decoded, not yet taken as events */
	struct buf text;        /* the delta events' text, put together */
	long events;            /* delta events */
	int ended;              /* an end event came */
};

static char host[64] = "127.0.0.1";
static int sport;
static char token[256];

static void
client_open(struct client *c, const char *method, const char *path,
            const char *body)
{
	struct buf req = {0};
	memset(c, 0, sizeof *c);
	c->chunk_left = -1;
	c->fd = dial(host, sport);
	addf(&req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n",
	     method, path, host, sport, token);
	if (body)
		addf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(body), body);
	else
		addf(&req, "Accept: text/event-stream\r\n\r\n");
	write_all(c->fd, req.p, req.len, "chat-serve");
	free(req.p);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

/* The JSON string at "key": in s, decoded enough for our texts (escapes
 * of one character; \u as '?'), appended to out. */
static int
json_str(const char *s, const char *key, struct buf *out)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *p = strstr(s, pat);
	if (!p)
		return 0;
	p += strlen(pat);
	p += strspn(p, " \t");
	if (*p++ != ':')
		return 0;
	p += strspn(p, " \t");
	if (*p++ != '"')
		return 0;
	for (; *p && *p != '"'; p++) {
		char ch = *p;
		if (ch == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'u': ch = '?'; p += 4; break;
			default: ch = *p;
			}
		}
		add(out, &ch, 1);
	}
	return 1;
}

/* Takes the whole events in c->body. */
static void
client_events(struct client *c)
{
	for (;;) {
		char *end = strstr(c->body.p ? c->body.p : "", "\n\n");
		if (!end)
			return;
		*end = '\0';
		char type[32] = "message";
		struct buf data = {0};
		add(&data, "", 0);
		for (char *l = c->body.p; l && *l;) {
			char *nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			size_t k = strlen(l);
			if (k && l[k - 1] == '\r')
				l[--k] = '\0';
			if (!strncmp(l, "event:", 6))
				snprintf(type, sizeof type, "%s", l + 6 + (l[6] == ' '));
			else if (!strncmp(l, "data:", 5))
				add(&data, l + 5 + (l[5] == ' '), strlen(l + 5 + (l[5] == ' ')));
			l = nl ? nl + 1 : NULL;
		}
		if (!strcmp(type, "delta")) {
			if (!json_str(data.p, "text", &c->text))
				fail("a delta event without text: %.80s", data.p);
			c->events++;
		} else if (!strcmp(type, "end"))
			c->ended = 1;
		free(data.p);
		consume(&c->body, (size_t)(end - c->body.p) + 2);
	}
}

/* Decodes what c->raw holds into c->body. */
static void
client_decode(struct client *c)
{
	if (!c->status) {
		char *end = strstr(c->raw.p ? c->raw.p : "", "\r\n\r\n");
		if (!end)
			return;
		if (strncmp(c->raw.p, "HTTP/1.", 7) || !c->raw.p[8])
			fail("not an HTTP response: '%.40s'", c->raw.p);
		c->status = atoi(c->raw.p + 9);
		*end = '\0';
		for (char *l = c->raw.p; l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
			if (!strncasecmp(l, "transfer-encoding:", 18) && strcasestr(l, "chunked"))
				c->chunked = 1;
		consume(&c->raw, (size_t)(end - c->raw.p) + 4);
	}
	if (!c->chunked) {
		add(&c->body, c->raw.p ? c->raw.p : "", c->raw.len);
		c->raw.len = 0;
		client_events(c);
		return;
	}
	for (;;) {
		if (c->chunk_crlf) {
			if (c->raw.len < 2)
				break;
			consume(&c->raw, 2);
			c->chunk_crlf = 0;
		}
		if (c->chunk_left < 0) {
			char *nl = strstr(c->raw.p ? c->raw.p : "", "\r\n");
			if (!nl)
				break;
			c->chunk_left = strtol(c->raw.p, NULL, 16);
			consume(&c->raw, (size_t)(nl - c->raw.p) + 2);
			if (c->chunk_left == 0) {   /* the last chunk */
				c->eof = 1;
				break;
			}
		}
		size_t k = c->raw.len < (size_t)c->chunk_left ? c->raw.len : (size_t)c->chunk_left;
		if (!k)
			break;
		add(&c->body, c->raw.p, k);
		consume(&c->raw, k);
		c->chunk_left -= (long)k;
		if (!c->chunk_left) {
			c->chunk_left = -1;
			c->chunk_crlf = 1;
		}
	}
	client_events(c);
}

/* Reads what the client's socket holds now. */
static void
client_read(struct client *c, int i)
{
	for (;;) {
		reserve(&c->raw, 65536);
		ssize_t n = read(c->fd, c->raw.p + c->raw.len, 65536);
		if (n > 0) {
			c->raw.len += (size_t)n;
			c->raw.p[c->raw.len] = '\0';
			continue;
		}
		if (n == 0) {
			c->eof = 1;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		fail("client %d: reading: %s", i, strerror(errno));
	}
	client_decode(c);
}

/* ---- the provider ---- */

static struct buf resp;

static void
event(const char *type, const char *data)
{
	struct buf body = {0};
	addf(&body, "event: %s\ndata: %s\n\n", type, data);
	addf(&resp, "%zx\r\n", body.len);
	add(&resp, body.p, body.len);
	add(&resp, "\r\n", 2);
	free(body.p);
}

static void
read_request(int fd)
{
	struct buf req = {0};
	size_t need = 0;
	char *end = NULL;
	for (;;) {
		if (!end && (end = strstr(req.p ? req.p : "", "\r\n\r\n"))) {
			size_t hlen = (size_t)(end - req.p) + 4;
			long cl = 0;
			for (char *l = req.p; l < end; l = strstr(l, "\r\n") + 2)
				if (!strncasecmp(l, "content-length:", 15))
					cl = strtol(l + 15, NULL, 10);
			need = hlen + (size_t)cl;
		}
		if (end && req.len >= need)
			break;
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("the turn sent no whole request within %d s", WAIT_MS / 1000);
		reserve(&req, 65536);
		ssize_t n = read(fd, req.p + req.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("the turn closed its connection before its request ended");
		req.len += (size_t)n;
		req.p[req.len] = '\0';
	}
	if (strncmp(req.p, "POST ", 5))
		fail("the turn sent '%.40s', not a POST", req.p);
	free(req.p);
}

/* ---- waiting on the clients ---- */

static struct client *cl;
static int ncl;
static struct pollfd *pfds;

/* Polls every client (and the send, cl[ncl]) once, up to ms. */
static void
poll_clients(int with_send, int ms)
{
	int n = ncl + with_send;
	for (int i = 0; i < n; i++)
		pfds[i] = (struct pollfd){cl[i].eof ? -1 : cl[i].fd, POLLIN, 0};
	int r = poll(pfds, (nfds_t)n, ms);
	if (r < 0 && errno != EINTR)
		fail("poll: %s", strerror(errno));
	if (r == 0)
		return;
	for (int i = 0; i < n; i++)
		if (pfds[i].revents)
			client_read(&cl[i], i);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
percentile(const double *v, long n, double p)
{
	double pos = p / 100.0 * (double)(n - 1);
	long i = (long)pos;
	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

static char *
subst(const char *s, const char *port)
{
	struct buf b = {0};
	const char *p;
	add(&b, "", 0);
	while ((p = strstr(s, "{PORT}"))) {
		add(&b, s, (size_t)(p - s));
		add(&b, port, strlen(port));
		s = p + 6;
	}
	add(&b, s, strlen(s));
	return b.p;
}

static void
raise_nofile(void)
{
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static long
number(const char *s, long max)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*end || n < 1 || n > max) {
		fprintf(stderr, "sse-lat: invalid number '%s'\n", s);
		exit(2);
	}
	return n;
}

/* ---- hold: N idle streams ---- */

static int
hold(int argc, char **argv)
{
	if (argc != 6)
		return 2;
	ncl = (int)number(argv[2], 100000);
	char *colon = strrchr(argv[3], ':');
	if (!colon || (size_t)(colon - argv[3]) >= sizeof host)
		return 2;
	snprintf(host, sizeof host, "%.*s", (int)(colon - argv[3]), argv[3]);
	sport = (int)number(colon + 1, 65535);
	snprintf(token, sizeof token, "%s", argv[4]);
	char path[512];
	snprintf(path, sizeof path, "/api/chat/sessions/%s/stream", argv[5]);
	raise_nofile();
	cl = calloc((size_t)ncl + 1, sizeof *cl);
	pfds = calloc((size_t)ncl + 2, sizeof *pfds);
	for (int i = 0; i < ncl; i++)
		client_open(&cl[i], "GET", path, NULL);
	double t0 = now_us();
	for (;;) {
		int in = 0;
		for (int i = 0; i < ncl; i++) {
			if (cl[i].status && cl[i].status != 200)
				fail("stream %d: status %d", i, cl[i].status);
			if (cl[i].eof)
				fail("stream %d: closed by the server before its headers", i);
			in += cl[i].status == 200;
		}
		if (in == ncl)
			break;
		if (now_us() - t0 > WAIT_MS * 1e3)
			fail("%d of %d streams answered within %d s", in, ncl, WAIT_MS / 1000);
		poll_clients(0, 1000);
	}
	printf("held=%d\n", ncl);
	fflush(stdout);
	/* idle until stdin ends; a stream that closes meanwhile is an error */
	pfds[ncl] = (struct pollfd){0, POLLIN, 0};
	for (;;) {
		for (int i = 0; i < ncl; i++)
			pfds[i] = (struct pollfd){cl[i].fd, POLLIN, 0};
		pfds[ncl] = (struct pollfd){0, POLLIN, 0};
		int r = poll(pfds, (nfds_t)ncl + 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("poll: %s", strerror(errno));
		if (pfds[ncl].revents) {
			char b[256];
			ssize_t n = read(0, b, sizeof b);
			if (n <= 0)
				break;
		}
		for (int i = 0; i < ncl; i++)
			if (pfds[i].revents) {
				client_read(&cl[i], i);
				if (cl[i].eof)
					fail("stream %d: closed by the server while held", i);
			}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "hold")) {
		int s = hold(argc, argv);
		if (s == 2)
			fprintf(stderr, "usage: sse-lat hold N HOST:PORT TOKEN SESSION\n");
		return s;
	}
	long nclients = 1, n = 200;
	const char *errpath = "build/bench/serve/sse-lat.err", *sid = NULL, *tokfile = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+c:n:e:s:t:")) != -1) {
		switch (opt) {
		case 'c': nclients = number(optarg, 100000); break;
		case 'n': n = number(optarg, 1000000); break;
		case 'e': errpath = optarg; break;
		case 's': sid = optarg; break;
		case 't': tokfile = optarg; break;
		default: goto usage;
		}
	}
	/* getopt takes the "--" itself */
	if (!sid || !tokfile || argc - optind < 1 || strcmp(argv[optind - 1], "--")) {
usage:
		fprintf(stderr, "usage: sse-lat [-c CLIENTS] [-n DELTAS] [-e FILE] -s SESSION "
		        "-t TOKENFILE -- chat-serve args...\n"
		        "       sse-lat hold N HOST:PORT TOKEN SESSION\n");
		return 2;
	}
	raise_nofile();
	char **cmd = argv + optind;
	int ncmd = argc - optind;

	/* the provider's end */
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof sa;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(lfd, 16) || getsockname(lfd, (struct sockaddr *)&sa, &slen))
		fail("cannot listen on 127.0.0.1: %s", strerror(errno));
	char port[16];
	snprintf(port, sizeof port, "%u", ntohs(sa.sin_port));

	/* chat-serve, with the provider's port */
	char **cargv = calloc((size_t)ncmd + 1, sizeof *cargv);
	for (int i = 0; i < ncmd; i++)
		cargv[i] = subst(cmd[i], port);
	int nenv = 0;
	while (environ[nenv])
		nenv++;
	char **cenv = calloc((size_t)nenv + 1, sizeof *cenv);
	for (int i = 0; i < nenv; i++) {
		char *eq = strchr(environ[i], '=');
		cenv[i] = eq && strstr(eq, "{PORT}") ? subst(environ[i], port) : environ[i];
	}
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (devnull < 0 || errfd < 0)
		fail("%s: %s", errpath, strerror(errno));
	fflush(NULL);
	if ((child = fork()) < 0)
		fail("fork: %s", strerror(errno));
	if (child == 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		environ = cenv;
		execvp(cargv[0], cargv);
		fprintf(stderr, "sse-lat: %s: %s\n", cargv[0], strerror(errno));
		_exit(127);
	}
	close(devnull);
	close(errfd);

	/* its listening line, in its stderr's file */
	const char *mark = "chat-serve: listening on http://";
	for (double t0 = now_us();; usleep(10000)) {
		FILE *f = fopen(errpath, "r");
		char line[512];
		int found = 0;
		while (f && fgets(line, sizeof line, f)) {
			char *p = strstr(line, mark);
			if (!p)
				continue;
			p += strlen(mark);
			char *colon = strrchr(p, ':');
			if (colon && (size_t)(colon - p) < sizeof host) {
				snprintf(host, sizeof host, "%.*s", (int)(colon - p), p);
				sport = atoi(colon + 1);
				found = sport > 0;
			}
		}
		if (f)
			fclose(f);
		if (found)
			break;
		int st;
		if (waitpid(child, &st, WNOHANG) == child) {
			child = -1;
			fail("chat-serve exited before listening (its stderr: %s)", errpath);
		}
		if (now_us() - t0 > WAIT_MS * 1e3)
			fail("chat-serve did not listen within %d s", WAIT_MS / 1000);
	}
	FILE *tf = fopen(tokfile, "r");
	if (!tf || !fgets(token, sizeof token, tf))
		fail("cannot read the token in %s", tokfile);
	fclose(tf);
	token[strcspn(token, " \r\n")] = '\0';

	/* the streams, each answered, then the send */
	ncl = (int)nclients;
	cl = calloc((size_t)ncl + 1, sizeof *cl);
	pfds = calloc((size_t)ncl + 2, sizeof *pfds);
	char path[512];
	snprintf(path, sizeof path, "/api/chat/sessions/%s/stream", sid);
	for (int i = 0; i < ncl; i++)
		client_open(&cl[i], "GET", path, NULL);
	for (double t0 = now_us();;) {
		int in = 0;
		for (int i = 0; i < ncl; i++) {
			if (cl[i].status && cl[i].status != 200)
				fail("stream %d: status %d", i, cl[i].status);
			if (cl[i].eof)
				fail("stream %d: closed before its headers", i);
			in += cl[i].status == 200;
		}
		if (in == ncl)
			break;
		if (now_us() - t0 > WAIT_MS * 1e3)
			fail("%d of %d streams answered within %d s", in, ncl, WAIT_MS / 1000);
		poll_clients(0, 100);
	}
	snprintf(path, sizeof path, "/api/chat/sessions/%s/messages", sid);
	client_open(&cl[ncl], "POST", path, "{\"content\":\"hi\",\"stream\":true}");

	/* the turn's connection; the send failing meanwhile is the end */
	for (double t0 = now_us();;) {
		struct pollfd p[2] = {{lfd, POLLIN, 0}, {cl[ncl].fd, POLLIN, 0}};
		int r = poll(p, 2, 1000);
		if (r < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (p[0].revents)
			break;
		if (p[1].revents) {
			client_read(&cl[ncl], ncl);
			if ((cl[ncl].status && cl[ncl].status != 200) || cl[ncl].eof)
				fail("the send got %d%s before the provider was called: %.200s",
				     cl[ncl].status, cl[ncl].eof ? " and its end" : "",
				     cl[ncl].body.p ? cl[ncl].body.p : "");
		}
		if (now_us() - t0 > WAIT_MS * 1e3)
			fail("no turn called the provider within %d s", WAIT_MS / 1000);
	}
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		fail("accept: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	read_request(fd);
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
	add(&resp, head, sizeof head - 1);
	event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":"
	      "\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
	      "\"claude-bench\",\"content\":[],\"stop_reason\":null,"
	      "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}");
	event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
	      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
	write_all(fd, resp.p, resp.len, "the turn");

	double *t1 = malloc(sizeof *t1 * (size_t)n), *tl = malloc(sizeof *tl * (size_t)n);
	double *got = malloc(sizeof *got * (size_t)ncl);
	struct buf expect = {0};
	add(&expect, "", 0);
	for (long i = 0; i < n; i++) {
		char w[32], d[256];
		snprintf(w, sizeof w, "w%ld ", i + 1);
		add(&expect, w, strlen(w));
		snprintf(d, sizeof d, "{\"type\":\"content_block_delta\",\"index\":0,"
		         "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}", w);
		resp.len = 0;
		event("content_block_delta", d);
		for (int k = 0; k < ncl; k++)
			got[k] = 0;
		int have = 0;
		double t0 = now_us();
		write_all(fd, resp.p, resp.len, "the turn");
		while (have < ncl) {
			poll_clients(1, 1000);
			double t = now_us();
			for (int k = 0; k < ncl; k++) {
				if (got[k])
					continue;
				if (cl[k].text.len >= expect.len) {
					if (memcmp(cl[k].text.p, expect.p, expect.len))
						fail("stream %d got '%.40s', not '%.40s'", k,
						     cl[k].text.p, expect.p);
					got[k] = t;
					have++;
				} else if (cl[k].eof)
					fail("stream %d ended after %zu bytes of delta text "
					     "(delta %ld of %ld due)", k, cl[k].text.len, i + 1, n);
			}
			if (have < ncl && t - t0 > WAIT_MS * 1e3)
				fail("%d of %d streams got delta %ld within %d s", have, ncl,
				     i + 1, WAIT_MS / 1000);
		}
		double first = got[0], last = got[0];
		for (int k = 1; k < ncl; k++) {
			if (got[k] < first)
				first = got[k];
			if (got[k] > last)
				last = got[k];
		}
		t1[i] = (ncl == 1 ? got[0] : first) - t0;
		tl[i] = last - t0;
	}
	resp.len = 0;
	event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
	char d[256];
	snprintf(d, sizeof d, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	         "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":%ld}}", n);
	event("message_delta", d);
	event("message_stop", "{\"type\":\"message_stop\"}");
	add(&resp, "0\r\n\r\n", 5);
	write_all(fd, resp.p, resp.len, "the turn");

	/* every end event and the send's answer */
	for (double t0 = now_us();;) {
		int done = 0;
		for (int k = 0; k < ncl; k++) {
			if (cl[k].text.len != expect.len)
				fail("stream %d got %zu bytes of delta text, not %zu", k,
				     cl[k].text.len, expect.len);
			done += cl[k].ended;
		}
		if (cl[ncl].status && cl[ncl].status != 200)
			fail("the send got %d: %.200s", cl[ncl].status,
			     cl[ncl].body.p ? cl[ncl].body.p : "");
		if (cl[ncl].status == 200 && cl[ncl].text.len != expect.len && cl[ncl].ended)
			fail("the send's own stream got %zu bytes of delta text, not %zu",
			     cl[ncl].text.len, expect.len);
		if (done == ncl && cl[ncl].status == 200 && cl[ncl].ended)
			break;
		if (now_us() - t0 > WAIT_MS * 1e3)
			fail("%d of %d streams had their end event, the send %s, after %d s",
			     done, ncl, cl[ncl].status ? "answered" : "no answer", WAIT_MS / 1000);
		poll_clients(1, 1000);
	}
	long emin = cl[0].events, emax = cl[0].events;
	for (int k = 1; k < ncl; k++) {
		if (cl[k].events < emin)
			emin = cl[k].events;
		if (cl[k].events > emax)
			emax = cl[k].events;
	}
	close(fd);
	kill(child, SIGTERM);
	int st;
	waitpid(child, &st, 0);
	child = -1;
	qsort(t1, (size_t)n, sizeof *t1, cmp_double);
	qsort(tl, (size_t)n, sizeof *tl, cmp_double);
	printf("median_us=%.1f p90_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f "
	       "last_median_us=%.1f last_p99_us=%.1f deltas=%ld clients=%d "
	       "events_min=%ld events_max=%ld\n",
	       percentile(t1, n, 50), percentile(t1, n, 90), percentile(t1, n, 99),
	       t1[0], t1[n - 1], percentile(tl, n, 50), percentile(tl, n, 99), n,
	       ncl, emin, emax);
	return 0;
}
