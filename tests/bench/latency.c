/* latency — chat-send's streaming figures: a one-connection HTTP server on
 * 127.0.0.1 that speaks Anthropic's event stream and is, at the same time,
 * the reader of its client's stdout.
 *
 *     latency [-r] [-e FILE] [-o FILE] MODE N -- cmd args...
 *
 * Listens on 127.0.0.1, port 0, and runs cmd (fork + execvp, no shell) with
 * every "{PORT}" in its arguments and in the values of the environment
 * replaced by the port, stdin from /dev/null, stdout on a pipe and stderr
 * to FILE (default /dev/null).  It accepts one connection, reads one request
 * (headers and a Content-Length body) and answers 200, Content-Type
 * text/event-stream, chunked, TCP_NODELAY: message_start and
 * content_block_start, then content_block_delta events, then
 * content_block_stop, message_delta (stop_reason, usage), message_stop and
 * the last, empty chunk.
 *
 * MODE latency: N deltas ("w1 ", "w2 ", ...), each one event in one chunk
 * in one write.  It takes t0 (CLOCK_MONOTONIC) just before each write (on
 * loopback the client can have the bytes, and print them, before write(2)
 * returns), waits (poll) until the client's stdout holds the delta's
 * bytes, reads them, takes t1, and sends the next delta only then.  Prints
 *
 *     median_us=41.2 p90_us=55.0 min_us=30.1 max_us=120.4 deltas=200 out_bytes=1092 maxrss_kib=9000 total_ms=10.2 cpu_ms=8.1
 *
 * MODE throughput: a reply of N bytes of text in deltas of about 1000 bytes
 * (words, a newline escaped as \n every dozen words), one event a chunk.
 * The whole response is built while the client starts, before the clock
 * does, then written in the largest pieces the socket takes while the
 * client's stdout is drained in the same poll loop.  Prints
 *
 *     total_s=0.412 stream_s=0.300 mb_per_s=24.27 stream_mb_per_s=33.33 text_bytes=10000000 out_bytes=10000001 maxrss_kib=40000 cpu_s=0.390
 *
 * total_s runs from accept to the client's exit with all its output read
 * (mb_per_s is text_bytes / 1e6 / total_s); stream_s from accept to the
 * moment the last byte of the reply was read from its stdout.
 *
 * What the client should print: the reply's text (chat-send), or with -r
 * the response body as it came, without the chunk framing (curl -N).
 * With -o FILE the client writes it into FILE instead (curl -o, for the
 * floor of a client that stores the reply before it exits): FILE is read
 * and checked once the client has exited, and stream_s is total_s.  The
 * output is checked: it must start with exactly that (a client may add a
 * final newline).  maxrss_kib is the client's ru_maxrss from wait4, and
 * cpu its user + system time.
 *
 * Exits 1 if the client fails (non-zero status, a signal, no connection,
 * nothing printed for 30 s) or prints something else, naming what; 2 on a
 * usage error. */
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

#define WAIT_MS 30000   /* the longest wait for the client to do anything */

static pid_t child = -1;

static void
fail(const char *fmt, ...)
{
	va_list ap;
	fputs("latency: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (child > 0)
		kill(child, SIGKILL);
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
	size_t cap = b->cap ? b->cap : 4096;
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

/* ---- the stream ---- */

static struct buf resp;    /* bytes to send */
static struct buf expect;  /* what the client should print */
static int raw;            /* the client prints the body, not the text */
static const char *outfile;  /* -o: the client's output is there */

/* One event as one chunk; the body (or, for a delta, its text) is what the
 * client is to print. */
static void
event(const char *type, const char *data, const char *text, size_t tlen)
{
	struct buf body = {0};
	addf(&body, "event: %s\ndata: %s\n\n", type, data);
	addf(&resp, "%zx\r\n", body.len);
	add(&resp, body.p, body.len);
	add(&resp, "\r\n", 2);
	if (raw)
		add(&expect, body.p, body.len);
	else if (text)
		add(&expect, text, tlen);
	free(body.p);
}

static void
head(void)
{
	static const char h[] = "HTTP/1.1 200 OK\r\n"
		"Content-Type: text/event-stream\r\n"
		"Cache-Control: no-cache\r\n"
		"Transfer-Encoding: chunked\r\n\r\n";
	add(&resp, h, sizeof h - 1);
	event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":"
	      "\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
	      "\"claude-bench\",\"content\":[],\"stop_reason\":null,"
	      "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}", NULL, 0);
	event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
	      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}", NULL, 0);
}

static void
delta(const char *json_text, const char *text, size_t tlen)
{
	struct buf d = {0};
	addf(&d, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	     "{\"type\":\"text_delta\",\"text\":\"%s\"}}", json_text);
	event("content_block_delta", d.p, text, tlen);
	free(d.p);
}

static void
tail(long deltas)
{
	char d[256];
	event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}",
	      NULL, 0);
	snprintf(d, sizeof d, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	         "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":%ld}}",
	         deltas);
	event("message_delta", d, NULL, 0);
	event("message_stop", "{\"type\":\"message_stop\"}", NULL, 0);
	add(&resp, "0\r\n\r\n", 5);
}

/* ---- the client ---- */

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

static int outfd = -1;       /* the client's stdout */
static struct buf out;       /* what it printed */
static int out_eof;

/* Reads what the client's stdout holds now; returns the bytes read. */
static size_t
drain(void)
{
	size_t total = 0;
	for (;;) {
		reserve(&out, 65536);
		ssize_t n = read(outfd, out.p + out.len, 65536);
		if (n > 0) {
			out.len += (size_t)n;
			total += (size_t)n;
			if ((size_t)n < 65536)
				return total;
			continue;
		}
		if (n == 0) {
			out_eof = 1;
			return total;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return total;
		fail("reading the client's stdout: %s", strerror(errno));
	}
}

/* Waits until the client has printed `want` bytes in all; (size_t)-1 waits
 * for the end of its output. */
static void
wait_output(size_t want)
{
	while (out.len < want) {
		struct pollfd p = {outfd, POLLIN, 0};
		int r = poll(&p, 1, WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("poll: %s", strerror(errno));
		if (r == 0)
			fail("the client printed %zu bytes and then nothing for %d s "
			     "(expected %zu)", out.len, WAIT_MS / 1000, want);
		drain();
		if (out_eof && want == (size_t)-1)
			return;
		if (out_eof && out.len < want)
			fail("the client closed its stdout after %zu bytes (expected %zu)",
			     out.len, want);
	}
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail("writing to the client: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Reads the request: headers, then Content-Length bytes of body. */
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
			fail("no whole request within %d s", WAIT_MS / 1000);
		reserve(&req, 65536);
		ssize_t n = read(fd, req.p + req.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("the client closed the connection before its request ended");
		req.len += (size_t)n;
		req.p[req.len] = '\0';
	}
	if (strncmp(req.p, "POST ", 5))
		fail("expected a POST, got '%.40s'", req.p);
	free(req.p);
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

static double cpu_s;   /* the client's user + system time */

/* Reaps the client; fails unless it exited 0.  Returns its ru_maxrss. */
static long
reap(void)
{
	int status;
	struct rusage ru;
	pid_t r;
	while ((r = wait4(child, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	if (r < 0)
		fail("wait4: %s", strerror(errno));
	child = -1;
	cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (WIFSIGNALED(status))
		fail("the client was killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status))
		fail("the client exited with status %d", WEXITSTATUS(status));
	return ru.ru_maxrss;
}

static void
check_output(void)
{
	if (outfile) {
		int fd = open(outfile, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("%s: %s", outfile, strerror(errno));
		out.len = 0;
		for (;;) {
			reserve(&out, 65536);
			ssize_t n = read(fd, out.p + out.len, 65536);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				fail("%s: %s", outfile, strerror(errno));
			if (n == 0)
				break;
			out.len += (size_t)n;
		}
		close(fd);
	}
	if (out.len < expect.len || memcmp(out.p, expect.p, expect.len)) {
		size_t i = 0;
		while (i < out.len && i < expect.len && out.p[i] == expect.p[i])
			i++;
		fail("the client printed %zu bytes, not the %zu expected: they differ "
		     "at byte %zu ('%.20s' for '%.20s')", out.len, expect.len, i,
		     i < out.len ? out.p + i : "", expect.p + i);
	}
	if (out.len > expect.len + 1)
		fail("the client printed %zu bytes more than expected",
		     out.len - expect.len);
}

static const char *words[] = {
	"the", "reply", "streams", "to", "stdout", "as", "it", "arrives,",
	"flushed", "per", "delta;", "nothing", "is", "lost", "when", "a",
	"provider", "fails", "midway", "through", "its", "answer.",
};

/* n bytes of text in pieces of about 1000: the JSON form and the text. */
static void
build_reply(long n)
{
	struct buf text = {0}, json = {0};
	long made = 0, deltas = 0;
	unsigned w = 0;
	while (made < n) {
		text.len = json.len = 0;
		add(&text, "", 0);
		add(&json, "", 0);
		while ((long)text.len < 1000 && made + (long)text.len < n) {
			const char *word = words[w % (sizeof words / sizeof *words)];
			int nl = ++w % 12 == 0;
			size_t k = strlen(word);
			long room = n - made - (long)text.len;
			if ((long)k + 1 > room) {   /* the last piece: exactly n */
				add(&text, "xxxxxxxxxx", (size_t)room < 10 ? (size_t)room : 10);
				add(&json, "xxxxxxxxxx", (size_t)room < 10 ? (size_t)room : 10);
				continue;
			}
			add(&text, word, k);
			add(&json, word, k);
			add(&text, nl ? "\n" : " ", 1);
			add(&json, nl ? "\\n" : " ", nl ? 2 : 1);
		}
		delta(json.p, text.p, text.len);
		made += (long)text.len;
		deltas++;
	}
	tail(deltas);
	free(text.p);
	free(json.p);
}

int
main(int argc, char **argv)
{
	const char *errpath = "/dev/null";
	int opt;
	while ((opt = getopt(argc, argv, "+re:o:")) != -1) {
		switch (opt) {
		case 'r': raw = 1; break;
		case 'o': outfile = optarg; break;
		case 'e': errpath = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind < 4 || strcmp(argv[optind + 2], "--")) {
usage:
		fprintf(stderr, "usage: latency [-r] [-e FILE] [-o FILE] latency|throughput N -- cmd [args...]\n");
		return 2;
	}
	const char *mode = argv[optind];
	int thru = !strcmp(mode, "throughput");
	if (!thru && strcmp(mode, "latency"))
		goto usage;
	char *endp;
	long n = strtol(argv[optind + 1], &endp, 10);
	if (*endp || n < 1 || n > (thru ? 1000000000L : 1000000L)) {
		fprintf(stderr, "latency: invalid N '%s'\n", argv[optind + 1]);
		return 2;
	}
	char **cmd = argv + optind + 3;
	signal(SIGPIPE, SIG_IGN);

	/* the server's end */
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof sa;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(lfd, 4) || getsockname(lfd, (struct sockaddr *)&sa, &slen))
		fail("cannot listen on 127.0.0.1: %s", strerror(errno));
	char port[16];
	snprintf(port, sizeof port, "%u", ntohs(sa.sin_port));

	/* the client, with its port */
	int ncmd = argc - optind - 3;
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
	int pfd[2];
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (devnull < 0 || errfd < 0 || pipe2(pfd, O_CLOEXEC))
		fail("cannot set up the client: %s", strerror(errno));
	fflush(NULL);
	if ((child = fork()) < 0)
		fail("fork: %s", strerror(errno));
	if (child == 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		environ = cenv;
		execvp(cargv[0], cargv);
		fprintf(stderr, "latency: %s: %s\n", cargv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	close(devnull);
	close(errfd);
	outfd = pfd[0];
	fcntl(outfd, F_SETFL, fcntl(outfd, F_GETFL) | O_NONBLOCK);

	/* A throughput reply is made while the client starts, before the
	 * clock does (and after the fork: the child's ru_maxrss would count
	 * the pages it shared with us until its exec). */
	size_t text_bytes = (size_t)n;
	if (thru) {
		head();
		size_t start_len = expect.len;
		build_reply(n);
		if (!raw && expect.len - start_len != text_bytes)
			fail("built %zu bytes of text, not %zu", expect.len - start_len,
			     text_bytes);
	}

	/* its connection; its stdout closing first means it gave up */
	for (;;) {
		struct pollfd p[2] = {{lfd, POLLIN, 0}, {outfd, POLLIN, 0}};
		int r = poll(p, 2, WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("%s did not connect within %d s", cargv[0], WAIT_MS / 1000);
		if (p[0].revents)
			break;
		drain();
		if (out_eof) {
			reap();
			fail("%s exited without connecting", cargv[0]);
		}
	}
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		fail("accept: %s", strerror(errno));
	double t_accept = now_us();
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	read_request(fd);

	if (!thru) {
		double *t = malloc(sizeof *t * (size_t)n);
		head();
		write_all(fd, resp.p, resp.len);
		wait_output(expect.len);
		for (long i = 0; i < n; i++) {
			char w[32];
			int k = snprintf(w, sizeof w, "w%ld ", i + 1);
			resp.len = 0;
			delta(w, w, (size_t)k);
			double t0 = now_us();
			write_all(fd, resp.p, resp.len);
			wait_output(expect.len);
			t[i] = now_us() - t0;
		}
		resp.len = 0;
		tail(n);
		write_all(fd, resp.p, resp.len);
		wait_output((size_t)-1);   /* to its end */
		long rss = reap();
		double total = now_us() - t_accept;
		close(fd);
		check_output();
		qsort(t, (size_t)n, sizeof *t, cmp_double);
		printf("median_us=%.1f p90_us=%.1f min_us=%.1f max_us=%.1f deltas=%ld "
		       "out_bytes=%zu maxrss_kib=%ld total_ms=%.1f cpu_ms=%.1f\n",
		       percentile(t, n, 50), percentile(t, n, 90), t[0], t[n - 1], n,
		       out.len, rss, total / 1e3, cpu_s * 1e3);
		free(t);
		return 0;
	}

	/* throughput: everything written as fast as the socket takes it, the
	 * client's stdout drained in the same loop */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	size_t off = 0;
	double t_stream = 0;
	while (!out_eof) {
		struct pollfd p[2] = {{outfd, POLLIN, 0}, {fd, POLLOUT, 0}};
		int r = poll(p, off < resp.len ? 2 : 1, WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("poll: %s", strerror(errno));
		if (r == 0)
			fail("the client printed %zu bytes and then nothing for %d s",
			     out.len, WAIT_MS / 1000);
		if (p[0].revents) {
			drain();
			if (!t_stream && out.len >= expect.len)
				t_stream = now_us();
		}
		if (off < resp.len && p[1].revents) {
			ssize_t w = write(fd, resp.p + off, resp.len - off);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				fail("writing to the client: %s", strerror(errno));
			if (w > 0)
				off += (size_t)w;
		}
	}
	long rss = reap();
	double t_exit = now_us();
	close(fd);
	if (off < resp.len)
		fail("the client exited with %zu bytes of the reply unsent",
		     resp.len - off);
	check_output();
	if (outfile)
		t_stream = t_exit;
	double total = (t_exit - t_accept) / 1e6, stream = (t_stream - t_accept) / 1e6;
	printf("total_s=%.3f stream_s=%.3f mb_per_s=%.2f stream_mb_per_s=%.2f "
	       "text_bytes=%zu out_bytes=%zu maxrss_kib=%ld cpu_s=%.3f\n", total,
	       stream, (double)text_bytes / 1e6 / total,
	       (double)text_bytes / 1e6 / stream, text_bytes, out.len, rss, cpu_s);
	return 0;
}
