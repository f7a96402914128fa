/* plugin.c — plugins: executables named chat-plugin-NAME, found in the
 * plugin folder and on PATH, run with an argv (never a shell), their
 * stdout read as JSON-lines records within a time and a size limit
 * (confab-plugin(7) is the protocol). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"

extern char **environ;

#define PREFIX "chat-plugin-"
/* What is kept of a plugin's stderr: its last words go into the error
 * line of a failure. */
#define ERR_KEEP 4096
/* After SIGTERM, how long a plugin has before SIGKILL. */
#define GRACE_MS 1000
/* The most --describe may take, whatever plugin-timeout says. */
#define DESCRIBE_MS 5000

static int
valid_name(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return 0;
	return n > 0 && n <= 64;
}

/* $XDG_DATA_HOME/confab/plugins, else ~/.local/share/confab/plugins;
 * "" when neither can be told. */
static const char *
plugin_dir(void)
{
	static char dir[PATH_MAX];
	const char *e;
	if ((e = getenv("XDG_DATA_HOME")) && *e == '/')
		snprintf(dir, sizeof dir, "%s/confab/plugins", e);
	else if ((e = getenv("HOME")) && *e == '/')
		snprintf(dir, sizeof dir, "%s/.local/share/confab/plugins", e);
	else
		dir[0] = '\0';
	return dir;
}

/* The folders searched, in order: the plugin folder, then PATH's.  Only
 * absolute ones: every plugin found is run for its description at each
 * turn (its tools), so an empty entry of PATH (the current folder, for
 * execvp) or a relative one would run whatever chat-plugin-NAME the
 * folder confab was started in holds, a repository just cloned say. */
static jv
search_dirs(void)
{
	jv dirs = jv_array();
	if (*plugin_dir())
		dirs = jv_array_append(dirs, jv_string(plugin_dir()));
	const char *p = getenv("PATH");
	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (1) {
		size_t n = strcspn(p, ":");
		if (n && *p == '/')
			dirs = jv_array_append(dirs, jv_string_sized(p, (int)n));
		if (!p[n])
			break;
		p += n + 1;
	}
	return dirs;
}

static int
runnable(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

static int
by_name(const void *a, const void *b)
{
	const jv *x = a, *y = b;
	return strcmp(cf_jstr(*x, "name"), cf_jstr(*y, "name"));
}

jv
cf_plugin_list(void)
{
	jv seen = jv_object(), list = jv_array();
	jv dirs = search_dirs();
	jv_array_foreach(dirs, i, d) {
		DIR *dp = opendir(jv_string_value(d));
		struct dirent *de;
		while (dp && (de = readdir(dp))) {
			const char *nm = de->d_name + strlen(PREFIX);
			if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) || !valid_name(nm))
				continue;
			jv has = jv_object_get(jv_copy(seen), jv_string(nm));
			int dup = jv_is_valid(has);
			jv_free(has);
			if (dup)
				continue;
			jv path = jv_string_fmt("%s/%s", jv_string_value(d), de->d_name);
			if (!runnable(jv_string_value(path))) {
				jv_free(path);
				continue;
			}
			seen = jv_object_set(seen, jv_string(nm), jv_true());
			jv r = jv_object_set(jv_object(), jv_string("name"), jv_string(nm));
			list = jv_array_append(list, jv_object_set(r, jv_string("path"), path));
		}
		if (dp)
			closedir(dp);
		jv_free(d);
		(void)i;
	}
	jv_free(dirs);
	jv_free(seen);
	int n = jv_array_length(jv_copy(list));
	jv *v = cf_xmalloc(sizeof *v * (size_t)(n + 1));
	for (int i = 0; i < n; i++)
		v[i] = jv_array_get(jv_copy(list), i);
	jv_free(list);
	qsort(v, (size_t)n, sizeof *v, by_name);
	list = jv_array();
	for (int i = 0; i < n; i++)
		list = jv_array_append(list, v[i]);
	free(v);
	return list;
}

jv
cf_plugin_find(const char *name)
{
	if (!valid_name(name))
		return cf_usage_error("invalid plugin name '%.64s': expected letters, "
		                      "digits, '-' and '_'", name);
	jv dirs = search_dirs(), found = jv_invalid(), there = jv_invalid();
	jv_array_foreach(dirs, i, d) {
		jv path = jv_string_fmt("%s/" PREFIX "%s", jv_string_value(d), name);
		jv_free(d);
		(void)i;
		if (jv_is_valid(found)) {
			jv_free(path);
			continue;
		}
		struct stat sb;
		if (runnable(jv_string_value(path))) {
			found = path;
		} else if (!jv_is_valid(there) && stat(jv_string_value(path), &sb) == 0 &&
		           !S_ISDIR(sb.st_mode)) {
			there = path;
		} else {
			jv_free(path);
		}
	}
	jv_free(dirs);
	if (jv_is_valid(found)) {
		jv_free(there);
		return found;
	}
	if (jv_is_valid(there)) {
		jv e = cf_error(CF_EX_FAIL, "plugin '%s': %s is not executable", name,
		                jv_string_value(there));
		jv_free(there);
		return e;
	}
	return cf_error(CF_EX_NOTFOUND, "no plugin '%s': no executable " PREFIX "%s in "
	                "%s or on PATH", name, name, *plugin_dir() ? plugin_dir() :
	                "the plugin folder");
}

/* ---- limits from the config ---- */

static jv
conf_long(const char *key, long dflt, long min, long max, long *out)
{
	const char *v = cf_config_get(key);
	*out = dflt;
	if (v && cf_parse_long(v, min, max, out) != 0)
		return cf_error(CF_EX_CONFIG, "%s: invalid %s '%s': expected %ld to %ld",
		                cf_config_path(), key, v, min, max);
	return jv_true();
}

/* ---- the environment ---- */

/* A variable a provider's key may be in: never a plugin's unless its
 * pass-env names it. */
static int
secret_var(const char *name, size_t n, jv keyvars)
{
	static const char *const ends[] = {"_API_KEY", "_API_TOKEN", "_AUTH_TOKEN",
	                                   "_SECRET_KEY", NULL};
	for (int i = 0; ends[i]; i++) {
		size_t k = strlen(ends[i]);
		if (n >= k && !strncmp(name + n - k, ends[i], k))
			return 1;
	}
	int hit = 0;
	jv_array_foreach(keyvars, i, v) {
		if (!hit && (size_t)jv_string_length_bytes(jv_copy(v)) == n &&
		    !strncmp(jv_string_value(v), name, n))
			hit = 1;
		jv_free(v);
		(void)i;
	}
	return hit;
}

/* pass-env's list: names split at blanks and commas. */
static int
listed(const char *list, const char *name, size_t n)
{
	while (list && *list) {
		list += strspn(list, " \t,");
		size_t k = strcspn(list, " \t,");
		if (k && k == n && !strncmp(list, name, n))
			return 1;
		list += k;
	}
	return 0;
}

jv
cf_plugin_config_env(const char *name)
{
	char section[128];
	snprintf(section, sizeof section, "plugin.%s", name);
	jv sec = cf_config_section(section);
	jv pairs = jv_array();
	jv_object_foreach(sec, k, v) {
		const char *ks = jv_string_value(k);
		if (strcmp(ks, "pass-env")) {
			char var[256] = "CONFAB_PLUGIN_";
			size_t o = strlen(var);
			for (const char *p = ks; *p && o + 1 < sizeof var; p++)
				var[o++] = isalnum((unsigned char)*p) ?
					(char)toupper((unsigned char)*p) : '_';
			var[o] = '\0';
			pairs = jv_array_append(pairs, jv_array_append(jv_array_append(
				jv_array(), jv_string(var)), jv_copy(v)));
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(sec);
	return pairs;
}

/* The child's environment: ours without provider keys and without
 * variables of ours meant for another plugin, then CONFAB_SESSION,
 * CHAT_DB and the plugin's config section.  A NULL-ended array of
 * malloc'd strings. */
static char **
child_env(const char *name, const char *sid, const char *db, long timeout_ms)
{
	char section[128];
	snprintf(section, sizeof section, "plugin.%s.pass-env", name);
	const char *pass = cf_config_get(section);
	jv keyvars = jv_array();
	jv all = cf_config_all();
	jv_object_foreach(all, k, v) {
		const char *ks = jv_string_value(k);
		size_t n = strlen(ks);
		if (n > 12 && !strcmp(ks + n - 12, ".api-key-env"))
			keyvars = jv_array_append(keyvars, jv_copy(v));
		jv_free(k);
		jv_free(v);
	}
	jv_free(all);
	static const char *const builtin_keys[] = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY",
		"GEMINI_API_KEY", "GOOGLE_API_KEY", NULL};
	for (int i = 0; builtin_keys[i]; i++)
		keyvars = jv_array_append(keyvars, jv_string(builtin_keys[i]));
	jv extra = cf_plugin_config_env(name);
	size_t cap = 8 + (size_t)jv_array_length(jv_copy(extra)), n = 0;
	for (char **e = environ; e && *e; e++)
		cap++;
	char **env = cf_xmalloc(sizeof *env * cap);
	for (char **e = environ; e && *e; e++) {
		size_t k = strcspn(*e, "=");
		int ours = (k == 14 && !strncmp(*e, "CONFAB_SESSION", 14)) ||
		           (k == 7 && !strncmp(*e, "CHAT_DB", 7)) ||
		           (k == 17 && !strncmp(*e, "CONFAB_TIME_LIMIT", 17)) ||
		           !strncmp(*e, "CONFAB_PLUGIN_", 14);
		if (ours || (secret_var(*e, k, keyvars) && !listed(pass, *e, k)))
			continue;
		env[n++] = cf_xstrdup(*e);
	}
	jv_free(keyvars);
	if (sid) {
		jv s = jv_string_fmt("CONFAB_SESSION=%s", sid);
		env[n++] = cf_xstrdup(jv_string_value(s));
		jv_free(s);
	}
	if (db) {
		jv s = jv_string_fmt("CHAT_DB=%s", db);
		env[n++] = cf_xstrdup(jv_string_value(s));
		jv_free(s);
	}
	/* so that a plugin's own limits can fire first, with its own words */
	char lim[64];
	snprintf(lim, sizeof lim, "CONFAB_TIME_LIMIT=%g", timeout_ms / 1000.0);
	env[n++] = cf_xstrdup(lim);
	jv_array_foreach(extra, i, p) {
		jv k = jv_array_get(jv_copy(p), 0), v = jv_array_get(p, 1);
		jv s = jv_string_fmt("%s=%s", jv_string_value(k), jv_string_value(v));
		env[n++] = cf_xstrdup(jv_string_value(s));
		jv_free(s);
		jv_free(k);
		jv_free(v);
		(void)i;
	}
	jv_free(extra);
	env[n] = NULL;
	return env;
}

/* ---- running one ---- */

enum { R_DONE, R_TIMEOUT, R_TOOBIG, R_INTERRUPTED };

struct run {
	/* in */
	const char *name, *path;
	char **argv, **env;
	const char *in; size_t inlen;     /* its stdin */
	long timeout_ms, max;
	/* out */
	char *out; size_t outn;           /* its stdout (malloc'd, NUL after) */
	char err[2 * ERR_KEEP + 1]; size_t errn;   /* the end of its stderr */
	int status;                       /* waitpid's */
	int how;                          /* R_* */
	int64_t at;
};

static long
ms_since(struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Waits up to ms for pid to end, without reaping it (so its process
 * group cannot be another's yet): 1 when it has. */
static int
ended(pid_t pid, int pfd, long ms)
{
	siginfo_t si;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return 1;
		long left = ms - ms_since(&t0);
		if (left <= 0)
			return 0;
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			poll(&p, 1, (int)left);
		} else {
			struct timespec d = {0, 5000000};
			nanosleep(&d, NULL);
		}
	}
}

/* Ends the plugin's process group: SIGTERM, then SIGKILL after the
 * grace (or at once when the leader is gone, for what it left behind). */
static void
stop_group(pid_t pid, int pfd)
{
	kill(-pid, SIGTERM);
	ended(pid, pfd, GRACE_MS);
	kill(-pid, SIGKILL);
}

static _Noreturn void
child(struct run *r, int infd, int outw, int errw, int report)
{
	setpgid(0, 0);
	/* what we ignore or catch is not the plugin's business: a plugin
	 * whose pipelines saw SIGPIPE ignored would never see one end */
	static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	                           SIGCHLD, SIGWINCH, SIGTSTP, SIGTTOU, SIGTTIN};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way first: with our 0, 1 or 2 closed, a pipe or the
	 * memfd is one of them, and a dup2 onto itself would keep its
	 * close-on-exec (the plugin's stdin closed) or another's be lost. */
	int fds[4] = {infd, outw, errw, report};
	for (int i = 0; i < 4; i++) {
		int k = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
		if (k < 0)
			goto failed;
		fds[i] = k;
	}
	report = fds[3];
	if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], 2) < 0 ||
	    dup2(fds[3], 3) < 0)
		goto failed;
	report = 3;
	fcntl(report, F_SETFD, FD_CLOEXEC);
	/* nothing else of ours (the store's SQLite file) reaches the plugin */
	if (close_range(4, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 4; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
	}
	environ = r->env;
	execv(r->path, r->argv);
failed:;
	int e = errno;
	(void)!write(report, &e, sizeof e);
	_exit(127);
}

/* Runs r to its end or a limit: jv_true() (r->how says which), or an
 * error when it could not start. */
static jv
run_child(struct run *r)
{
	r->out = NULL;
	r->outn = r->errn = 0;
	r->how = R_DONE;
	r->status = 0;
	r->at = cf_now_ms();
	int infd = memfd_create("confab-plugin-stdin", MFD_CLOEXEC);
	if (infd < 0)
		return cf_error(CF_EX_FAIL, "plugin '%s': %s", r->name, strerror(errno));
	for (size_t w = 0; w < r->inlen;) {
		ssize_t k = write(infd, r->in + w, r->inlen - w);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = errno;
			close(infd);
			return cf_error(CF_EX_FAIL, "plugin '%s': %s", r->name, strerror(e));
		}
		w += (size_t)k;
	}
	lseek(infd, 0, SEEK_SET);
	int op[2], ep[2], rp[2];
	if (pipe2(op, O_CLOEXEC) < 0) {
		close(infd);
		return cf_error(CF_EX_FAIL, "plugin '%s': %s", r->name, strerror(errno));
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(infd), close(op[0]), close(op[1]);
		return cf_error(CF_EX_FAIL, "plugin '%s': %s", r->name, strerror(errno));
	}
	if (pipe2(rp, O_CLOEXEC) < 0) {
		close(infd), close(op[0]), close(op[1]), close(ep[0]), close(ep[1]);
		return cf_error(CF_EX_FAIL, "plugin '%s': %s", r->name, strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0)
		child(r, infd, op[1], ep[1], rp[1]);
	int fe = errno;
	close(infd), close(op[1]), close(ep[1]), close(rp[1]);
	if (pid < 0) {
		close(op[0]), close(ep[0]), close(rp[0]);
		return cf_error(CF_EX_FAIL, "plugin '%s': cannot start: %s", r->name,
		                strerror(fe));
	}
	setpgid(pid, pid);   /* the child does too: whoever comes first */
	int e = 0;
	ssize_t k;
	while ((k = read(rp[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(rp[0]);
	if (k == (ssize_t)sizeof e) {
		close(op[0]), close(ep[0]);
		waitpid(pid, NULL, 0);
		return cf_error(CF_EX_FAIL, "plugin '%s': cannot run %s: %s", r->name,
		                r->path, strerror(e));
	}
	int pfd = pidfd_open(pid, 0);
	size_t cap = 65536;
	r->out = cf_xmalloc(cap + 1);
	/* the leader's end too: what it left running may hold the pipes */
	struct pollfd p[3] = {{.fd = op[0], .events = POLLIN}, {.fd = ep[0], .events = POLLIN},
	                      {.fd = pfd, .events = POLLIN}};
	int gone = 0, held = 0;   /* held: a pipe still open once it was gone */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char buf[65536];
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (cf_interrupted) {
			r->how = R_INTERRUPTED;
			break;
		}
		long left = r->timeout_ms - ms_since(&t0);
		if (left <= 0) {
			r->how = R_TIMEOUT;
			break;
		}
		/* slices, so a signal that came just before poll is seen */
		int n = poll(p, 3, left < 200 ? (int)left : 200);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p[2].fd >= 0 && p[2].revents) {
			/* ended: what it wrote is in the pipes, read now without
			 * waiting for a child it left with them open */
			gone = 1;
			p[2].fd = -1;
			for (int i = 0; i < 2; i++)
				if (p[i].fd >= 0)
					fcntl(p[i].fd, F_SETFL, O_NONBLOCK);
		}
		/* once it is gone, each pipe to its end or to what is there now,
		 * a bounded number of reads (a child could write on and on) */
		for (int tries = 0; p[0].fd >= 0 && (p[0].revents || gone) && tries < (gone ? 64 : 1);
		     tries++) {
			k = read(op[0], buf, sizeof buf);
			if (k > 0) {
				if (r->outn + (size_t)k > (size_t)r->max) {
					r->how = R_TOOBIG;
					break;
				}
				while (r->outn + (size_t)k > cap)
					cap *= 2;
				r->out = cf_xrealloc(r->out, cap + 1);
				memcpy(r->out + r->outn, buf, (size_t)k);
				r->outn += (size_t)k;
			} else if (k == 0 || errno != EINTR) {
				held |= k < 0 && errno == EAGAIN;
				close(op[0]);
				p[0].fd = -1;
			}
		}
		if (r->how != R_DONE)
			break;
		for (int tries = 0; p[1].fd >= 0 && (p[1].revents || gone) && tries < (gone ? 64 : 1);
		     tries++) {
			k = read(ep[0], buf, sizeof buf);
			if (k > 0) {
				/* only the end is kept */
				size_t m = (size_t)k > ERR_KEEP ? ERR_KEEP : (size_t)k;
				if (r->errn + m > 2 * ERR_KEEP) {
					memmove(r->err, r->err + r->errn - ERR_KEEP, ERR_KEEP);
					r->errn = ERR_KEEP;
				}
				memcpy(r->err + r->errn, buf + k - m, m);
				r->errn += m;
			} else if (k == 0 || errno != EINTR) {
				held |= k < 0 && errno == EAGAIN;
				close(ep[0]);
				p[1].fd = -1;
			}
		}
		if (gone)
			break;
	}
	/* what it left holding the pipes goes (the leader is not reaped yet,
	 * so its group is still its own) */
	if (gone && r->how == R_DONE && (held || p[0].fd >= 0 || p[1].fd >= 0))
		kill(-pid, SIGKILL);
	if (r->how != R_DONE) {
		stop_group(pid, pfd);
	} else {
		/* its output has ended; it still has the rest of the time */
		long left = r->timeout_ms - ms_since(&t0);
		while (!ended(pid, pfd, left > 200 ? 200 : left)) {
			left = r->timeout_ms - ms_since(&t0);
			if (cf_interrupted || left <= 0) {
				r->how = cf_interrupted ? R_INTERRUPTED : R_TIMEOUT;
				stop_group(pid, pfd);
				break;
			}
		}
	}
	if (p[0].fd >= 0)
		close(op[0]);
	if (p[1].fd >= 0)
		close(ep[0]);
	if (pfd >= 0)
		close(pfd);
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	r->out[r->outn] = '\0';
	r->err[r->errn] = '\0';
	return jv_true();
}

/* The last line of its stderr, cleaned, or "". */
static void
last_words(struct run *r, char *out, size_t n)
{
	size_t e = r->errn;
	while (e && isspace((unsigned char)r->err[e - 1]))
		e--;
	size_t b = e;
	while (b && r->err[b - 1] != '\n')
		b--;
	char line[ERR_KEEP + 1];
	snprintf(line, sizeof line, "%.*s", (int)(e - b), r->err + b);
	cf_clean(line, out, n, 200, 0);
}

static jv
human_ms(long ms)
{
	return ms % 1000 ? jv_string_fmt("%.1f s", ms / 1000.0) : jv_string_fmt("%ld s", ms / 1000);
}

static jv plugin_said(const char *name, const char *what, const char *s);

/* The message of the first error record among the lines of r's output
 * that are records, or invalid: a plugin that fails says why there (and
 * exits non-zero), which is better than its exit status. */
static jv
said_error(struct run *r)
{
	jv said = jv_invalid();
	for (size_t o = 0; o < r->outn && !jv_is_valid(said);) {
		const char *nl = memchr(r->out + o, '\n', r->outn - o);
		size_t e = nl ? (size_t)(nl - r->out) : r->outn;
		jv recs = cf_plugin_records(r->out + o, e - o, r->name);
		o = nl ? e + 1 : r->outn;
		if (jv_is_valid(recs) && jv_array_length(jv_copy(recs)) == 1) {
			jv rec = jv_array_get(jv_copy(recs), 0);
			if (!strcmp(cf_jstr(rec, "type"), "error"))
				said = jv_string(cf_jstr(rec, "message"));
			jv_free(rec);
		}
		jv_free(recs);
	}
	return said;
}

/* What became of r as one error line, or jv_true() when it ended well
 * (exit 0).  out->exit set. */
static jv
outcome(struct run *r, struct cf_plugin_out *out)
{
	if (out)
		out->exit = WIFEXITED(r->status) ? WEXITSTATUS(r->status) :
		            WIFSIGNALED(r->status) ? 128 + WTERMSIG(r->status) : -1;
	if (r->how == R_INTERRUPTED)
		return cf_error(CF_EX_SIGINT, "plugin '%s' interrupted: stopped", r->name);
	if (r->how == R_TIMEOUT) {
		jv t = human_ms(r->timeout_ms);
		jv e = cf_error(CF_EX_FAIL, "plugin '%s' did not end within %s "
		                "(plugin-timeout): stopped", r->name, jv_string_value(t));
		jv_free(t);
		return e;
	}
	if (r->how == R_TOOBIG) {
		jv m = cf_error(CF_EX_DATA, "plugin '%s' wrote more than %ld bytes "
		                "(plugin-output-max): stopped", r->name, r->max);
		return m;
	}
	char words[256];
	last_words(r, words, sizeof words);
	if (WIFSIGNALED(r->status))
		return cf_error(CF_EX_FAIL, "plugin '%s' was killed by signal %d (%s)%s%s",
		                r->name, WTERMSIG(r->status), strsignal(WTERMSIG(r->status)),
		                *words ? ": " : "", words);
	jv said = WIFEXITED(r->status) && WEXITSTATUS(r->status) ? said_error(r) : jv_invalid();
	if (jv_is_valid(said)) {
		jv e = plugin_said(r->name, "", jv_string_value(said));
		jv_free(said);
		return e;
	}
	jv_free(said);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status))
		return cf_error(CF_EX_FAIL, "plugin '%s' failed (exit %d)%s%s", r->name,
		                WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1,
		                *words ? ": " : "", words);
	return jv_true();
}

static void
free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* The limits and the environment, then the run: jv_true() with r run,
 * or an error with nothing run. */
static jv
start(struct run *r, const char *name, char **argv, const char *sid, const char *db,
      const char *in, size_t inlen)
{
	memset(r, 0, sizeof *r);
	r->name = name;
	r->argv = argv;
	r->in = in;
	r->inlen = inlen;
	jv e = cf_config_load();
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	e = conf_long("plugin-timeout", CF_PLUGIN_TIMEOUT, 1, 86400, &r->timeout_ms);
	if (jv_is_valid(e)) {
		jv_free(e);
		e = conf_long("plugin-output-max", CF_PLUGIN_OUTPUT_MAX, 1, 1L << 30, &r->max);
	}
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	r->timeout_ms *= 1000;
	/* a description is asked for at Tab: it may not keep the prompt
	 * waiting long */
	if (argv[1] && !strcmp(argv[1], "--describe") && r->timeout_ms > DESCRIBE_MS)
		r->timeout_ms = DESCRIBE_MS;
	jv path = cf_plugin_find(name);
	if (!jv_is_valid(path))
		return path;
	r->path = cf_xstrdup(jv_string_value(path));
	jv_free(path);
	r->env = child_env(name, sid, db, r->timeout_ms);
	e = run_child(r);
	if (!jv_is_valid(e)) {
		free((char *)r->path);
		free_strv(r->env);
		r->path = NULL;
		r->env = NULL;
	}
	return e;
}

static void
finish(struct run *r)
{
	free((char *)r->path);
	free_strv(r->env);
	free(r->out);
	memset(r, 0, sizeof *r);
}

/* ---- records ---- */

static int
is_str(jv o, const char *key)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	int k = jv_get_kind(v) == JV_KIND_STRING;
	jv_free(v);
	return k;
}

/* What is wrong with record o, or NULL. */
static const char *
record_problem(jv o)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return "is not a JSON object";
	if (!is_str(o, "type"))
		return "has no string 'type'";
	const char *t = cf_jstr(o, "type");
	if ((!strcmp(t, "text") || !strcmp(t, "context")) && !is_str(o, "content"))
		return "has no string 'content'";
	if (!strcmp(t, "message")) {
		const char *role = cf_jstr(o, "role");
		if (strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "system"))
			return "has no role user, assistant or system";
		if (!is_str(o, "content"))
			return "has no string 'content'";
	}
	if (!strcmp(t, "error") && !is_str(o, "message"))
		return "has no string 'message'";
	if (!strcmp(t, "activity") && (!is_str(o, "kind") || !is_str(o, "text")))
		return "has no string 'kind' and 'text'";
	return NULL;
}

/* Whether every string of s (n bytes) opens where JSON allows one: at
 * the start or after '{', '[', ',' or ':'.  libjq 1.6 leaks the string
 * when one follows a value directly ({"a" "b"}), so such a line, which is
 * no JSON anyway, is refused before jq sees it. */
static int
strings_placed(const char *s, size_t n)
{
	char prev = '[';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] != '"') {
			prev = s[i];
			continue;
		}
		if (!strchr("{[,:", prev))
			return 0;
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		prev = '"';
	}
	return 1;
}

jv
cf_plugin_records(const char *buf, size_t n, const char *name)
{
	jv recs = jv_array();
	long line = 0;
	for (size_t o = 0; o < n;) {
		const char *nl = memchr(buf + o, '\n', n - o);
		size_t e = nl ? (size_t)(nl - buf) : n;
		line++;
		size_t b = o;
		o = nl ? e + 1 : n;
		while (b < e && isspace((unsigned char)buf[b]))
			b++;
		if (b == e)
			continue;
		if (memchr(buf + b, '\0', e - b) || !cf_utf8_valid(buf + b, e - b)) {
			jv_free(recs);
			return cf_error(CF_EX_DATA, "plugin '%s': line %ld of its output is "
			                "not UTF-8 text", name, line);
		}
		jv v = strings_placed(buf + b, e - b) ? jv_parse_sized(buf + b, (int)(e - b)) :
		       jv_invalid();
		if (!jv_is_valid(v)) {
			jv_free(v);
			jv_free(recs);
			return cf_error(CF_EX_DATA, "plugin '%s': line %ld of its output is "
			                "not JSON", name, line);
		}
		const char *why = record_problem(v);
		if (why) {
			jv_free(v);
			jv_free(recs);
			return cf_error(CF_EX_DATA, "plugin '%s': line %ld of its output %s",
			                name, line, why);
		}
		recs = jv_array_append(recs, v);
	}
	return recs;
}

/* A plugin's own words for an error line: one line, no escapes. */
static jv
plugin_said(const char *name, const char *what, const char *s)
{
	char clean[512];
	cf_clean(s, clean, sizeof clean, 300, 0);
	return cf_error(CF_EX_FAIL, "plugin '%s'%s: %s", name, what, clean);
}

/* ---- --describe ---- */

static jv described;   /* name -> describe result or error; invalid until used */

/* list[key] of o as an array of checked objects, or an error. */
static jv
described_list(const char *name, jv o, const char *key, const char *const *fields)
{
	jv l = jv_object_get(jv_copy(o), jv_string(key));
	if (!jv_is_valid(l) || jv_get_kind(l) == JV_KIND_NULL) {
		jv_free(l);
		return jv_array();
	}
	if (jv_get_kind(l) != JV_KIND_ARRAY) {
		jv_free(l);
		return cf_error(CF_EX_DATA, "plugin '%s': --describe's %s is not an array",
		                name, key);
	}
	jv out = jv_array(), err = jv_invalid();
	jv_array_foreach(l, i, c) {
		if (cf_is_error(err) || jv_get_kind(c) != JV_KIND_OBJECT ||
		    !is_str(c, "name") || !valid_name(cf_jstr(c, "name"))) {
			if (!cf_is_error(err))
				err = cf_error(CF_EX_DATA, "plugin '%s': --describe's %s[%d] has "
				               "no name of letters, digits, '-' and '_'", name, key, i);
			jv_free(c);
			continue;
		}
		/* two of a name: which one runs could not be told, and a model's
		 * provider refuses a request whose tools share a name */
		int dup = -1;
		jv_array_foreach(out, j, o) {
			if (dup < 0 && !strcmp(cf_jstr(o, "name"), cf_jstr(c, "name")))
				dup = j;
			jv_free(o);
		}
		if (dup >= 0) {
			if (!cf_is_error(err))
				err = cf_error(CF_EX_DATA, "plugin '%s': --describe's %s[%d] has the "
				               "name of %s[%d], '%s'", name, key, i, key, dup,
				               cf_jstr(c, "name"));
			jv_free(c);
			continue;
		}
		jv d = jv_object_set(jv_object(), jv_string("name"), jv_string(cf_jstr(c, "name")));
		for (int f = 0; fields[f]; f++) {
			jv v = jv_object_get(jv_copy(c), jv_string(fields[f]));
			if (!strcmp(fields[f], "input_schema")) {
				if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
					jv_free(v);
					v = jv_object_set(jv_object(), jv_string("type"), jv_string("object"));
				} else if (jv_get_kind(v) != JV_KIND_OBJECT && !cf_is_error(err)) {
					err = cf_error(CF_EX_DATA, "plugin '%s': --describe's %s[%d]'s "
					               "input_schema is not an object", name, key, i);
				}
			} else if (jv_get_kind(v) != JV_KIND_STRING) {
				jv_free(v);
				v = jv_string("");
			}
			d = jv_object_set(d, jv_string(fields[f]), v);
		}
		out = jv_array_append(out, d);
		jv_free(c);
	}
	jv_free(l);
	if (cf_is_error(err)) {
		jv_free(out);
		return err;
	}
	return out;
}

static jv
describe_now(const char *name)
{
	struct run r;
	jv dname = jv_string_fmt(PREFIX "%s", name);
	char *argv[] = {(char *)jv_string_value(dname), "--describe", NULL};
	jv e = start(&r, name, argv, NULL, NULL, NULL, 0);
	if (!jv_is_valid(e)) {
		jv_free(dname);
		return e;
	}

	e = outcome(&r, NULL);
	jv d = jv_invalid();
	if (jv_is_valid(e)) {
		d = strings_placed(r.out, r.outn) ? jv_parse_sized(r.out, (int)r.outn) :
		    jv_invalid();
		if (jv_get_kind(d) != JV_KIND_OBJECT) {
			jv_free(d);
			d = cf_error(CF_EX_DATA, "plugin '%s': --describe did not print one "
			             "JSON object", name);
		}
	} else {
		d = e;
		e = jv_true();
	}
	jv_free(e);
	finish(&r);
	jv_free(dname);
	if (!jv_is_valid(d))
		return d;
	if (!is_str(d, "name") || strcmp(cf_jstr(d, "name"), name)) {
		char said[96];
		cf_clean(cf_jstr(d, "name"), said, sizeof said, 40, 0);
		jv_free(d);
		return cf_error(CF_EX_DATA, "plugin '%s': --describe names it '%s'", name, said);
	}
	static const char *const cmd_fields[] = {"usage", "description", NULL};
	static const char *const tool_fields[] = {"description", "input_schema", NULL};
	jv cmds = described_list(name, d, "commands", cmd_fields);
	jv tools = jv_is_valid(cmds) ? described_list(name, d, "tools", tool_fields) : jv_array();
	jv_free(d);
	if (!jv_is_valid(cmds) || !jv_is_valid(tools)) {
		jv bad = jv_is_valid(cmds) ? tools : cmds;
		jv_free(jv_is_valid(cmds) ? cmds : tools);
		return bad;
	}
	jv path = cf_plugin_find(name);
	jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(name));
	o = jv_object_set(o, jv_string("path"), jv_is_valid(path) ? path : (jv_free(path), jv_string("")));
	o = jv_object_set(o, jv_string("commands"), cmds);
	return jv_object_set(o, jv_string("tools"), tools);
}

jv
cf_plugin_describe(const char *name)
{
	if (!valid_name(name))
		return cf_plugin_find(name);
	if (!jv_is_valid(described))
		described = jv_object();
	jv d = jv_object_get(jv_copy(described), jv_string(name));
	if (jv_is_valid(d)) {
		/* an error is kept as {error, status}: a jv object holds no
		 * invalid value */
		if (!is_str(d, "error"))
			return d;
		jv e = cf_error((int)cf_jnum(d, "status", CF_EX_FAIL), "%s", cf_jstr(d, "error"));
		jv_free(d);
		return e;
	}
	jv_free(d);
	d = describe_now(name);
	if (jv_is_valid(d)) {
		described = jv_object_set(described, jv_string(name), jv_copy(d));
	} else if (cf_error_status(d) != CF_EX_SIGINT) {
		/* an interruption is no answer to keep */
		jv m = cf_error_message(d);
		jv k = jv_object_set(jv_object(), jv_string("error"), m);
		k = jv_object_set(k, jv_string("status"), jv_number(cf_error_status(d)));
		described = jv_object_set(described, jv_string(name), k);
	}
	return d;
}

/* ---- commands ---- */

struct buf { char *p; size_t n, cap; };

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = cf_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
buf_record(struct buf *b, jv v)
{
	size_t n;
	const char *s = cf_json_compact(v, &n);
	buf_add(b, s, n);
	buf_add(b, "\n", 1);
}

static int
gather(jv m, void *ctx)
{
	jv *l = ctx;
	*l = jv_array_append(*l, m);
	return 0;
}

/* stdin of a command: the session record, then its last messages from
 * the latest that starts a context (a /clear) on. */
static jv
session_input(cf_store *st, jv session, struct buf *b)
{
	long last;
	jv e = conf_long("plugin-messages", CF_PLUGIN_MESSAGES, 0, 100000, &last);
	if (!jv_is_valid(e)) {
		jv_free(session);
		return e;
	}
	jv_free(e);
	jv msgs = jv_array();
	if (last > 0) {
		e = cf_message_list(st, cf_jstr(session, "id"), last, NULL, gather, &msgs);
		if (!jv_is_valid(e)) {
			jv_free(msgs);
			jv_free(session);
			return e;
		}
		jv_free(e);
	}
	buf_record(b, session);
	int from = 0;
	jv_array_foreach(msgs, i, m) {
		jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
		if (jv_get_kind(meta) == JV_KIND_OBJECT && cf_jbool(meta, "contextReset"))
			from = i;
		jv_free(meta);
		jv_free(m);
	}
	jv_array_foreach(msgs, i, m) {
		if (i >= from)
			buf_record(b, m);
		else
			jv_free(m);
	}
	jv_free(msgs);
	return jv_true();
}

/* The message records of recs added to session sid in one transaction:
 * recs with them as stored, or an error with none added. */
static jv
add_messages(cf_store *st, const char *sid, const char *name, jv recs, int *added)
{
	int any = 0, acts = 0;
	jv_array_foreach(recs, i, r) {
		any |= !strcmp(cf_jstr(r, "type"), "message");
		acts |= !strcmp(cf_jstr(r, "type"), "activity");
		jv_free(r);
		(void)i;
	}
	if (!any && !(acts && st))
		return recs;
	if (any && (!st || !sid)) {
		jv_free(recs);
		return cf_error(CF_EX_USAGE, "plugin '%s' wrote messages, and there is no "
		                "session to add them to", name);
	}
	jv e = cf_store_begin(st);
	if (!jv_is_valid(e)) {
		jv_free(recs);
		return e;
	}
	jv_free(e);
	jv out = jv_array();
	int n = 0;
	jv_array_foreach(recs, i, r) {
		if (jv_is_valid(out) && !strcmp(cf_jstr(r, "type"), "message")) {
			jv m = jv_object_set(jv_object(), jv_string("role"), jv_string(cf_jstr(r, "role")));
			m = jv_object_set(m, jv_string("content"), jv_string(cf_jstr(r, "content")));
			m = jv_object_set(m, jv_string("metadata"), jv_object_set(jv_object(),
			                  jv_string("plugin"), jv_string(name)));
			jv stored = cf_message_insert(st, sid, m);
			jv_free(r);
			if (!jv_is_valid(stored)) {
				jv_free(out);
				out = stored;
				continue;
			}
			n++;
			r = stored;
		} else if (jv_is_valid(out) && !strcmp(cf_jstr(r, "type"), "activity")) {
			/* the plugin is the source, whatever the record says */
			jv ev = jv_object_set(jv_object(), jv_string("type"), jv_string("activity"));
			ev = jv_object_set(ev, jv_string("kind"), jv_string(cf_jstr(r, "kind")));
			ev = jv_object_set(ev, jv_string("text"), jv_string(cf_jstr(r, "text")));
			ev = jv_object_set(ev, jv_string("source"), jv_string(name));
			jv d = jv_object_get(jv_copy(r), jv_string("data"));
			if (jv_get_kind(d) != JV_KIND_OBJECT) {
				jv_free(d);
				d = jv_object();
			}
			ev = jv_object_set(ev, jv_string("data"), d);
			/* made here (cf_activity_check reads a missing key as wrong) */
			ev = jv_object_set(ev, jv_string("at"), jv_number((double)cf_now_ms()));
			ev = jv_object_set(ev, jv_string("id"), jv_null());
			jv id = cf_activity_add_in(st, ev);
			if (!jv_is_valid(id)) {
				jv m = cf_error_message(id);
				jv_free(out);
				out = cf_error(CF_EX_DATA, "plugin '%s': activity record: %s", name,
				               jv_string_value(m));
				jv_free(m);
				jv_free(r);
				continue;
			}
			r = jv_object_set(r, jv_string("id"), id);
		}
		out = jv_is_valid(out) ? jv_array_append(out, r) : (jv_free(r), out);
		(void)i;
	}
	jv_free(recs);
	if (jv_is_valid(out)) {
		e = cf_store_commit(st);
		if (!jv_is_valid(e)) {
			jv_free(out);
			return e;
		}
		jv_free(e);
		*added = n;
	} else {
		cf_store_rollback(st);
	}
	return out;
}

/* The first error record's message as the run's error, else recs. */
static jv
error_record(const char *name, jv recs)
{
	jv err = jv_invalid();
	jv_array_foreach(recs, i, r) {
		if (!cf_is_error(err) && !strcmp(cf_jstr(r, "type"), "error"))
			err = plugin_said(name, "", cf_jstr(r, "message"));
		jv_free(r);
		(void)i;
	}
	if (cf_is_error(err)) {
		jv_free(recs);
		return err;
	}
	return recs;
}

jv
cf_plugin_run(cf_store *st, const char *name, const char *command,
              const char *const *args, int nargs, jv session,
              struct cf_plugin_out *out)
{
	struct cf_plugin_out dummy;
	if (!out)
		out = &dummy;
	memset(out, 0, sizeof *out);
	out->exit = -1;
	out->at = cf_now_ms();
	if (!valid_name(name)) {
		jv_free(session);
		return cf_plugin_find(name);
	}
	struct buf in = {0};
	char sid[64] = "";
	if (jv_get_kind(session) == JV_KIND_OBJECT && !st) {
		jv_free(session);
		return cf_usage_error("plugin '%s': a session needs its store", name);
	}
	if (jv_get_kind(session) == JV_KIND_OBJECT) {
		snprintf(sid, sizeof sid, "%s", cf_jstr(session, "id"));
		jv e = session_input(st, session, &in);
		if (!jv_is_valid(e)) {
			free(in.p);
			return e;
		}
		jv_free(e);
	} else {
		jv_free(session);
	}
	jv dname = jv_string_fmt(PREFIX "%s", name);
	char **argv = cf_xmalloc(sizeof *argv * (size_t)(nargs + 3));
	argv[0] = (char *)jv_string_value(dname);
	argv[1] = (char *)command;
	for (int i = 0; i < nargs; i++)
		argv[2 + i] = (char *)args[i];
	argv[2 + nargs] = NULL;
	struct run r;
	jv e = start(&r, name, argv, *sid ? sid : NULL, st ? st->path : NULL, in.p, in.n);
	jv res;
	if (!jv_is_valid(e)) {
		res = e;
	} else {
		jv_free(e);
		out->at = r.at;
		res = outcome(&r, out);
		if (jv_is_valid(res)) {
			jv_free(res);
			res = cf_plugin_records(r.out, r.outn, name);
			if (jv_is_valid(res))
				res = error_record(name, res);
			if (jv_is_valid(res))
				res = add_messages(st, *sid ? sid : NULL, name, res, &out->added);
		}
		finish(&r);
	}
	free(in.p);
	free(argv);
	jv_free(dname);
	return res;
}

/* ---- tools ---- */

jv
cf_plugin_tools(void)
{
	static jv warned;   /* the plugins already warned about */
	if (!jv_is_valid(warned))
		warned = jv_object();
	jv list = cf_plugin_list(), tools = jv_array();
	jv_array_foreach(list, i, p) {
		const char *name = cf_jstr(p, "name");
		jv d = cf_plugin_describe(name);
		if (!jv_is_valid(d)) {
			jv w = jv_object_get(jv_copy(warned), jv_string(name));
			if (!jv_is_valid(w)) {
				jv m = cf_error_message(d);
				cf_warn("%s: its tools are left out", jv_string_value(m));
				jv_free(m);
				warned = jv_object_set(warned, jv_string(name), jv_true());
			}
			jv_free(w);
			jv_free(d);
			jv_free(p);
			continue;
		}
		jv tl = jv_object_get(d, jv_string("tools"));
		jv_array_foreach(tl, j, t) {
			tools = jv_array_append(tools, jv_object_set(t, jv_string("plugin"),
			                                             jv_string(name)));
			(void)j;
		}
		jv_free(tl);
		jv_free(p);
		(void)i;
	}
	jv_free(list);
	return tools;
}

static jv
tool_result(jv content, int is_error)
{
	jv r = jv_object_set(jv_object(), jv_string("content"), content);
	return jv_object_set(r, jv_string("isError"), jv_bool(is_error));
}

/* An error as a tool's result: its line, isError. */
static jv
as_tool_error(jv err)
{
	jv m = cf_error_message(err);
	jv_free(err);
	return tool_result(m, 1);
}

jv
cf_plugin_tool(const char *plugin, const char *tool, jv input)
{
	jv path = cf_plugin_find(plugin);
	if (!jv_is_valid(path)) {
		jv_free(input);
		return path;
	}
	jv_free(path);
	struct buf in = {0};
	buf_record(&in, input);
	jv dname = jv_string_fmt(PREFIX "%s", plugin);
	char *argv[] = {(char *)jv_string_value(dname), "--tool", (char *)tool, NULL};
	struct run r;
	jv e = start(&r, plugin, argv, NULL, NULL, in.p, in.n);
	jv res;
	if (!jv_is_valid(e)) {
		res = cf_error_status(e) == CF_EX_SIGINT || cf_error_status(e) == CF_EX_NOTFOUND ?
		      e : as_tool_error(e);
	} else {
		jv_free(e);
		res = outcome(&r, NULL);
		if (jv_is_valid(res)) {
			jv_free(res);
			res = cf_plugin_records(r.out, r.outn, plugin);
			if (jv_is_valid(res))
				res = error_record(plugin, res);
		}
		if (jv_is_valid(res)) {
			jv text = jv_string("");
			int any = 0;
			jv_array_foreach(res, i, rec) {
				const char *t = cf_jstr(rec, "type");
				if (!strcmp(t, "text") || !strcmp(t, "context")) {
					if (any++)
						text = jv_string_append_str(text, "\n");
					text = jv_string_append_str(text, cf_jstr(rec, "content"));
				}
				jv_free(rec);
				(void)i;
			}
			jv_free(res);
			res = tool_result(text, 0);
		} else if (cf_error_status(res) != CF_EX_SIGINT) {
			res = as_tool_error(res);
		}
		finish(&r);
	}
	free(in.p);
	jv_free(dname);
	return res;
}

/* ---- config ---- */

jv
cf_plugin_config_set(const char *name, const char *key, const char *value)
{
	if (!valid_name(name))
		return cf_plugin_find(name);
	char section[128];
	snprintf(section, sizeof section, "plugin.%s", name);
	return cf_config_set(section, key, value);
}
