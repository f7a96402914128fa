/* plug_kit.c — the shipped plugins' side of confab-plugin(7): --describe,
 * --tool and COMMAND dispatched from a plugin's table, limits from its
 * config, children run bounded in time and output, and fenced records. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plug.h"

#define DEFAULT_MAX_BYTES (256 * 1024)
#define DEFAULT_TIMEOUT 30.0
#define ERR_KEEP 4096

static double now_s(void);

/* When the plugin first asked for its limits: the time limit is the
 * whole command's, however many children it runs (git diff runs four),
 * or the host's limit would be passed first after all. */
static double started;

jv
plug_limits(struct plug_limits *l)
{
	if (!started)
		started = now_s();
	l->max_bytes = DEFAULT_MAX_BYTES;
	l->timeout = DEFAULT_TIMEOUT;
	const char *s = getenv("CONFAB_PLUGIN_MAX_BYTES");
	long n;
	if (s && *s) {
		if (cf_parse_long(s, 1024, 64L * 1024 * 1024, &n))
			return cf_error(CF_EX_CONFIG, "invalid CONFAB_PLUGIN_MAX_BYTES '%s': "
			                "expected a number of bytes from 1024 to 67108864", s);
		l->max_bytes = (size_t)n;
	}
	/* the host's own limit (confab-plugin(7)): ours a little shorter, so
	 * that what ran too long is told in our words, not the host's */
	s = getenv("CONFAB_TIME_LIMIT");
	double host;
	if (s && *s && !cf_parse_double(s, 0.001, 1e9, &host)) {
		double margin = host / 10 > 2 ? 2 : host / 10;
		if (host - margin < l->timeout)
			l->timeout = host - margin;
	}
	s = getenv("CONFAB_PLUGIN_TIMEOUT");
	if (s && *s && cf_parse_double(s, 0.1, 86400, &l->timeout))
		return cf_error(CF_EX_CONFIG, "invalid CONFAB_PLUGIN_TIMEOUT '%s': "
		                "expected seconds from 0.1 to 86400", s);
	return jv_true();
}

/* ---- children ---- */

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads what fd has into *buf, keeping at most keep bytes: 2 when it read
 * some, 1 when there was nothing yet, 0 at the end; -1 when more than keep
 * came and over is set (else the rest is dropped). */
static int
take(int fd, char **buf, size_t *len, size_t keep, int over)
{
	char chunk[65536];
	ssize_t got = read(fd, chunk, sizeof chunk);
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (got == 0)
		return 0;
	size_t room = keep - *len, use = (size_t)got < room ? (size_t)got : room;
	if (use) {
		*buf = cf_xrealloc(*buf, *len + use + 1);
		memcpy(*buf + *len, chunk, use);
		*len += use;
		(*buf)[*len] = '\0';
	}
	return use < (size_t)got && over ? -1 : 2;
}

static const char *
signame(int sig)
{
	return sig == SIGINT ? "an interrupt" : sig == SIGHUP ? "a hangup" : "a termination signal";
}

jv
plug_spawn(const char *const *argv, const char *dir, int merge,
           const struct plug_limits *l, struct plug_run *r)
{
	memset(r, 0, sizeof *r);
	r->out = cf_xstrdup("");
	r->err = cf_xstrdup("");
	int out[2] = {-1, -1}, err[2] = {-1, -1}, why[2] = {-1, -1};
	if (pipe2(out, O_CLOEXEC) || (!merge && pipe2(err, O_CLOEXEC)) ||
	    pipe2(why, O_CLOEXEC)) {
		jv e = cf_error(CF_EX_FAIL, "cannot run '%s': %s", argv[0], strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0) close(out[i]);
			if (err[i] >= 0) close(err[i]);
			if (why[i] >= 0) close(why[i]);
		}
		return e;
	}
	/* a signal to us ends the child's whole group, not only us */
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			signal(sigs[i], SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		/* killed with us should the host kill us outright */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* its own copy closes at exec; dup2's fd 0 stays */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* nothing of ours but 0, 1 and 2 reaches the program */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		/* errno for exec, its negative for what comes before */
		int e = 0;
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(merge ? out[1] : err[1], 2) < 0 || (dir && chdir(dir) != 0))
			e = -errno;
		else
			execvp(argv[0], (char *const *)argv);
		if (!e)
			e = errno;
		/* the parent learns why through the pipe exec would have closed */
		if (write(why[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(out[1]);
	if (!merge)
		close(err[1]);
	close(why[1]);
	jv res = jv_true();
	if (pid < 0) {
		res = cf_error(CF_EX_FAIL, "cannot run '%s': %s", argv[0], strerror(errno));
		close(out[0]);
		if (!merge)
			close(err[0]);
		close(why[0]);
		goto restore;
	}
	/* both sides, so that the group exists before anything kills it */
	setpgid(pid, pid);
	int e = 0;
	ssize_t got;
	while ((got = read(why[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(why[0]);
	if (got == (ssize_t)sizeof e) {
		waitpid(pid, &r->status, 0);
		close(out[0]);
		if (!merge)
			close(err[0]);
		res = e == ENOENT
			? cf_error(CF_EX_NOTFOUND, "cannot run '%s': it is not installed", argv[0])
			: e < 0
			? cf_error(-e == ENOENT ? CF_EX_NOTFOUND : CF_EX_FAIL, "cannot run '%s'%s%s: %s",
			           argv[0], dir ? " in " : "", dir ? dir : "", strerror(-e))
			: cf_error(CF_EX_FAIL, "cannot run '%s': %s", argv[0], strerror(e));
		goto restore;
	}

	/* the child's end, seen even while what it started keeps the pipes */
	int pfd = pidfd_open(pid, 0);
	struct pollfd fds[3] = {{out[0], POLLIN, 0}, {merge ? -1 : err[0], POLLIN, 0},
	                        {pfd, POLLIN, 0}};
	double deadline = now_s() + l->timeout;
	if (started && started + l->timeout < deadline)
		deadline = started + l->timeout;
	int ended = 0;
	for (;;) {
		if (fds[0].fd < 0 && fds[1].fd < 0 && (ended || pfd < 0))
			break;
		if (got_signal || r->truncated)
			break;
		double left = deadline - now_s();
		if (left <= 0) {
			r->timed_out = 1;
			break;
		}
		int n = poll(fds, 3, (int)ceil(left * 1000));
		if (n < 0 && errno != EINTR) {
			res = cf_error(CF_EX_FAIL, "cannot read '%s': %s", argv[0], strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (fds[2].fd >= 0 && fds[2].revents) {
			/* gone: all it wrote is in the pipes, to be read without
			 * waiting for what it left running */
			ended = 1;
			fds[2].fd = -1;
			for (int i = 0; i < 2; i++)
				if (fds[i].fd >= 0)
					fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents || ended))
				continue;
			int t;
			do
				t = i == 0 ? take(fds[0].fd, &r->out, &r->len, l->max_bytes, 1)
				           : take(fds[1].fd, &r->err, &r->errlen, ERR_KEEP, 0);
			while (t == 2 && ended);
			if (t < 0) {
				r->truncated = 1;
				fds[0].fd = fds[1].fd = -1;
			} else if (t == 0 || ended) {
				fds[i].fd = -1;
			}
		}
		if (ended)
			break;
	}
	if (r->timed_out || r->truncated || got_signal || !jv_is_valid(res))
		kill(-pid, SIGKILL);
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	/* what it left running in the background goes with it */
	kill(-pid, SIGKILL);
	if (pfd >= 0)
		close(pfd);
	close(out[0]);
	if (!merge)
		close(err[0]);
	if (got_signal && jv_is_valid(res)) {
		int sig = got_signal;
		res = cf_error(sig == SIGINT ? CF_EX_SIGINT : sig == SIGHUP ? CF_EX_SIGHUP
		               : CF_EX_SIGTERM, "'%s' stopped by %s", argv[0], signame(sig));
	}
restore:
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (!jv_is_valid(res))
		plug_run_free(r);
	return res;
}

void
plug_run_free(struct plug_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->len = r->errlen = 0;
}

/* ---- text ---- */

size_t
plug_tidy(const char *s, size_t n)
{
	const char *nl = n ? memrchr(s, '\n', n) : NULL;
	if (nl && (size_t)(nl - s) >= n / 2)
		return (size_t)(nl - s) + 1;
	/* else drop a last character cut in two */
	size_t j = n;
	while (j > 0 && n - j < 4 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
		j--;
	if (j > 0 && (unsigned char)s[j - 1] >= 0xc0 &&
	    cf_utf8_len((const unsigned char *)s + j - 1, (const unsigned char *)s + n) == 0)
		return j - 1;
	return n;
}

long
plug_lines(const char *s, size_t n)
{
	long lines = 0;
	for (const char *p = s, *end = s + n; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		lines++;
		if (!nl)
			break;
		p = nl;
	}
	return lines;
}

const char *
plug_size(size_t n, char *buf, size_t size)
{
	if (n < 1024)
		snprintf(buf, size, "%zu byte%s", n, n == 1 ? "" : "s");
	else if (n < 1024 * 1024)
		snprintf(buf, size, n % 1024 ? "%.1f KiB" : "%.0f KiB", n / 1024.0);
	else
		snprintf(buf, size, n % (1024 * 1024) ? "%.1f MiB" : "%.0f MiB",
		         n / (1024.0 * 1024));
	return buf;
}

jv
plug_fenced(const char *head, const char *lang, const char *body, size_t n,
            const char *tail)
{
	/* a fence outlasts every run of backticks inside it */
	size_t run = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		run = body[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t width = longest >= 3 ? longest + 1 : 3;
	jv s = head ? jv_string_fmt("%s\n\n", head) : jv_string("");
	jv fence = jv_string("");
	for (size_t i = 0; i < width; i++)
		fence = jv_string_append_str(fence, "`");
	s = jv_string_concat(s, jv_copy(fence));
	s = jv_string_append_str(s, lang);
	s = jv_string_append_str(s, "\n");
	s = jv_string_concat(s, jv_string_sized(body, (int)n));
	if (n && body[n - 1] != '\n')
		s = jv_string_append_str(s, "\n");
	s = jv_string_concat(s, fence);
	s = jv_string_append_str(s, "\n");
	if (tail)
		s = jv_string_append_str(jv_string_append_str(s, tail), "\n");
	return s;
}

jv
plug_context(jv content)
{
	return jv_object_set(jv_object_set(jv_object(), jv_string("type"), jv_string("context")),
	                     jv_string("content"), content);
}

jv
plug_text(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return jv_object_set(jv_object_set(jv_object(), jv_string("type"), jv_string("text")),
	                     jv_string("content"), jv_string(buf));
}

/* ---- tool input ---- */

const char *
plug_input_str(jv input, const char *field, int required, jv *err)
{
	jv v = jv_object_get(jv_copy(input), jv_string(field));
	jv_kind k = jv_get_kind(v);
	const char *s = k == JV_KIND_STRING ? jv_string_value(v) : NULL;
	jv_free(v);   /* input keeps the string alive */
	if (k == JV_KIND_STRING || (!required && (k == JV_KIND_INVALID || k == JV_KIND_NULL)))
		return s;
	if (jv_is_valid(*err)) {
		jv_free(*err);
		*err = k == JV_KIND_INVALID || k == JV_KIND_NULL
			? cf_usage_error("the input has no '%s'", field)
			: cf_usage_error("invalid '%s' in the input: expected a string", field);
	}
	return NULL;
}

long
plug_input_long(jv input, const char *field, long dflt, long min, long max, jv *err)
{
	jv v = jv_object_get(jv_copy(input), jv_string(field));
	jv_kind k = jv_get_kind(v);
	long n = dflt;
	if (k == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (d >= min && d <= max && d == floor(d))
			n = (long)d;
		else
			k = JV_KIND_STRING;   /* as wrong as a string */
	}
	jv_free(v);
	if (k != JV_KIND_NUMBER && k != JV_KIND_INVALID && k != JV_KIND_NULL &&
	    jv_is_valid(*err)) {
		jv_free(*err);
		*err = cf_usage_error("invalid '%s' in the input: expected an integer "
		                      "from %ld to %ld", field, min, max);
	}
	return n;
}

int
plug_input_bool(jv input, const char *field, jv *err)
{
	jv v = jv_object_get(jv_copy(input), jv_string(field));
	jv_kind k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_TRUE)
		return 1;
	if (k != JV_KIND_FALSE && k != JV_KIND_INVALID && k != JV_KIND_NULL &&
	    jv_is_valid(*err)) {
		jv_free(*err);
		*err = cf_usage_error("invalid '%s' in the input: expected true or false", field);
	}
	return 0;
}

/* ---- the protocol ---- */

static jv
describe(const struct cf_plugin_def *p)
{
	jv cmds = jv_array(), tools = jv_array();
	for (const struct cf_plug_cmd *c = p->commands; c->name; c++)
		cmds = jv_array_append(cmds, jv_object_set(jv_object_set(jv_object_set(jv_object(),
			jv_string("name"), jv_string(c->name)),
			jv_string("usage"), jv_string(c->usage)),
			jv_string("description"), jv_string(c->description)));
	for (const struct cf_plug_tool *t = p->tools; t->name; t++) {
		jv schema = jv_parse(t->schema);
		if (!jv_is_valid(schema)) {
			jv_free(schema);
			jv_free(cmds);
			jv_free(tools);
			return cf_error(CF_EX_FAIL, "the input schema of tool '%s' is not JSON",
			                t->name);
		}
		tools = jv_array_append(tools, jv_object_set(jv_object_set(jv_object_set(jv_object(),
			jv_string("name"), jv_string(t->name)),
			jv_string("description"), jv_string(t->description)),
			jv_string("input_schema"), schema));
	}
	jv d = jv_object_set(jv_object(), jv_string("name"), jv_string(p->name));
	d = jv_object_set(d, jv_string("commands"), cmds);
	return jv_array_append(jv_array(), jv_object_set(d, jv_string("tools"), tools));
}

/* "diff, log, show or status" */
static jv
names(const struct cf_plugin_def *p, int tools)
{
	int n = 0;
	if (tools)
		while (p->tools[n].name) n++;
	else
		while (p->commands[n].name) n++;
	jv s = jv_string("");
	for (int i = 0; i < n; i++) {
		const char *name = tools ? p->tools[i].name : p->commands[i].name;
		s = jv_string_append_str(s, i == 0 ? "" : i == n - 1 ? " or " : ", ");
		s = jv_string_append_str(s, name);
	}
	return s;
}

/* The session records a command is given: read to their end, so the host
 * can write them all, and not used.  A terminal is not read at all. */
static void
drain_stdin(void)
{
	char buf[65536];
	if (isatty(0))
		return;
	ssize_t got;
	while ((got = read(0, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
		;
}

static jv
tool_input(void)
{
	if (isatty(0))
		return jv_object();
	size_t n;
	char *buf = cf_read_all(0, &n);
	if (!buf)
		return cf_error(CF_EX_FAIL, "cannot read the tool's input: %s", strerror(errno));
	jv v = n ? jv_parse_sized(buf, (int)n) : jv_object();
	free(buf);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		const char *why = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "malformed";
		/* libjq quotes the whole input after its reason: one line, ours */
		const char *quoted = strstr(why, " (while parsing");
		jv e = cf_error(CF_EX_DATA, "the tool's input is not JSON: %.*s",
		                quoted ? (int)(quoted - why) : (int)strcspn(why, "\n"), why);
		jv_free(m);
		return e;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return cf_error(CF_EX_DATA, "the tool's input is not a JSON object");
	}
	return v;
}

static jv
run(const struct cf_plugin_def *p, enum cf_plug_mode mode, const char *name,
    int argc, char **argv)
{
	if (mode == CF_PLUG_DESCRIBE)
		return describe(p);
	if (mode == CF_PLUG_TOOL) {
		const struct cf_plug_tool *t = p->tools;
		while (t->name && strcmp(t->name, name))
			t++;
		if (!t->name) {
			jv all = names(p, 1);
			jv e = cf_usage_error("unknown tool '%s': %s has %s", name, p->name,
			                      jv_string_value(all));
			jv_free(all);
			return e;
		}
		jv input = tool_input();
		if (!jv_is_valid(input))
			return input;
		return p->tool(t->name, input);
	}
	drain_stdin();
	const struct cf_plug_cmd *c = p->commands;
	while (c->name && strcmp(c->name, name))
		c++;
	if (!c->name) {
		jv all = names(p, 0);
		jv e = cf_usage_error("unknown command '%s': expected %s", name,
		                      jv_string_value(all));
		jv_free(all);
		return e;
	}
	return p->command(c->name, argc, argv);
}

int
cf_plug_main(const struct cf_plugin_def *p, enum cf_plug_mode mode,
             const char *name, int argc, char **argv)
{
	jv recs = run(p, mode, name, argc, argv);
	if (!jv_is_valid(recs)) {
		int status = cf_error_status(recs);
		jv m = cf_error_message(recs);
		jv_free(recs);
		/* and as the last line of stderr, which a host that looks only at
		 * the exit status shows after it */
		cf_warn("%s", jv_string_value(m));
		jv rec = jv_object_set(jv_object_set(jv_object(), jv_string("type"),
			jv_string("error")), jv_string("message"), m);
		jv w = cf_out_record(rec);
		jv_free(w);
		return status ? status : CF_EX_FAIL;
	}
	jv_array_foreach(recs, i, rec) {
		jv w = cf_out_record(rec);
		if (!jv_is_valid(w)) {
			int status = cf_error_status(w);
			jv_free(w);
			jv_free(recs);
			/* a reader that went away has what it wanted */
			return status;
		}
	}
	jv_free(recs);
	return CF_EX_OK;
}
