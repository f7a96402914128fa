/* config.c — the config file: "key = value" lines under [section] headers
 * (confab.5).  Keys before any header, or under [defaults], are the
 * defaults; others are read as "section.key". */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"

static jv config;   /* object: key -> string; invalid until loaded */
static jv sections; /* the [section] names, in the file's order, once each */
static int loaded;
static char path[PATH_MAX];

const char *
cf_config_path(void)
{
	const char *e;
	if (path[0])
		return path;
	if ((e = getenv("XDG_CONFIG_HOME")) && *e == '/')
		snprintf(path, sizeof path, "%s/confab/config", e);
	else if ((e = getenv("HOME")) && *e)
		snprintf(path, sizeof path, "%s/.config/confab/config", e);
	else
		snprintf(path, sizeof path, "/nonexistent/confab/config");
	return path;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
valid_key(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int
listed(const char *name)
{
	jv_array_foreach(sections, i, v) {
		int same = !strcmp(jv_string_value(v), name);
		jv_free(v);
		if (same)
			return 1;
	}
	return 0;
}

static jv bad;   /* the file's error, kept for every caller; else invalid */

static jv
parse(FILE *f)
{
	char *line = NULL, section[128] = "";
	size_t cap = 0;
	long n = 0;
	jv err = jv_invalid();
	while (!cf_is_error(err) && getline(&line, &cap, f) >= 0) {
		n++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e || e[1] || e - s - 1 >= (long)sizeof section) {
				err = cf_error(CF_EX_CONFIG, "%s:%ld: malformed section "
				               "header", path, n);
				break;
			}
			*e = '\0';
			snprintf(section, sizeof section, "%s", trim(s + 1));
			if (!valid_key(section))
				err = cf_error(CF_EX_CONFIG, "%s:%ld: malformed section "
				               "name", path, n);
			if (!strcmp(section, "defaults"))
				section[0] = '\0';
			else if (!cf_is_error(err) && !listed(section))
				sections = jv_array_append(sections, jv_string(section));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			err = cf_error(CF_EX_CONFIG, "%s:%ld: expected 'key = value'",
			               path, n);
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		if (!valid_key(k)) {
			err = cf_error(CF_EX_CONFIG, "%s:%ld: malformed key '%s'",
			               path, n, k);
			break;
		}
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v[vl - 1] = '\0';
			v++;
		}
		jv key = section[0] ? jv_string_fmt("%s.%s", section, k) : jv_string(k);
		config = jv_object_set(config, key, jv_string(v));
	}
	/* getline's end and its failure look alike: a folder, an I/O error */
	if (!cf_is_error(err) && ferror(f))
		err = cf_error(CF_EX_CONFIG, "%s: %s", path, strerror(errno));
	free(line);
	return err;
}

jv
cf_config_load(void)
{
	if (!loaded) {
		loaded = 1;
		config = jv_object();
		sections = jv_array();
		bad = jv_invalid();
		FILE *f = fopen(cf_config_path(), "r");
		if (f) {
			bad = parse(f);
			fclose(f);
		} else if (errno != ENOENT) {
			bad = cf_error(CF_EX_CONFIG, "%s: %s", path, strerror(errno));
		}
		if (cf_is_error(bad)) {
			/* nothing of a file that is wrong is used */
			jv_free(config);
			config = jv_object();
			jv_free(sections);
			sections = jv_array();
		}
	}
	return cf_is_error(bad) ? jv_copy(bad) : jv_true();
}

const char *
cf_config_get(const char *key)
{
	if (!loaded)
		jv_free(cf_config_load());
	return cf_jstr_or_null(config, key);
}

jv
cf_config_sections(void)
{
	if (!loaded)
		jv_free(cf_config_load());
	return jv_copy(sections);
}

/* The role of the first PostgreSQL store this process opened, kept once
 * and never changed after: chat-serve's threads read it while others may
 * open stores, and every store a program opens is CHAT_DB's, one role. */
static char pg_role_buf[256];
static const char *_Atomic pg_role;
static pthread_mutex_t pg_role_lock = PTHREAD_MUTEX_INITIALIZER;

void
cf_user_note_role(const char *role)
{
	if (!role || !*role || pg_role)
		return;
	pthread_mutex_lock(&pg_role_lock);
	if (!pg_role) {
		snprintf(pg_role_buf, sizeof pg_role_buf, "%s", role);
		pg_role = pg_role_buf;
	}
	pthread_mutex_unlock(&pg_role_lock);
}

const char *
cf_user_name(void)
{
	const char *u = cf_config_get("user");
	if (u && *u)
		return u;
	/* on PostgreSQL the server knows who connected: $USER may be a
	 * shared service account, or another machine's name for the person */
	u = pg_role;
	if (u && *u)
		return u;
	return cf_user_login();
}

const char *
cf_user_login(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return u;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "unknown";
}

/* ---- writing one key (chat-plugin config, confab's /plugin config) ---- */

/* The section a header line names ("" for none), or NULL when line is
 * no header. */
static const char *
header_of(const char *line, char *buf, size_t n)
{
	while (isspace((unsigned char)*line))
		line++;
	if (*line != '[')
		return NULL;
	const char *e = strchr(line, ']');
	if (!e)
		return NULL;
	snprintf(buf, n, "%.*s", (int)(e - line - 1), line + 1);
	return trim(buf);
}

/* The key of a "key = value" line, into buf; NULL for anything else. */
static const char *
key_of(const char *line, char *buf, size_t n)
{
	const char *eq = strchr(line, '=');
	if (!eq || *line == '#' || *line == ';')
		return NULL;
	snprintf(buf, n, "%.*s", (int)(eq - line), line);
	char *k = trim(buf);
	return *k == '#' || *k == ';' ? NULL : k;
}

/* The file a config path names: itself, or what its symbolic links
 * lead to (a config kept with one's dotfiles is a link), there or not
 * yet; into out (PATH_MAX).  -1 with errno for a loop or a name too long. */
static int
link_target(const char *p, char *out)
{
	char cur[PATH_MAX], to[PATH_MAX];
	snprintf(cur, sizeof cur, "%s", p);
	for (int hops = 0; hops < 40; hops++) {
		ssize_t k = readlink(cur, to, sizeof to - 1);
		if (k < 0) {
			if (errno != EINVAL && errno != ENOENT)
				return -1;
			snprintf(out, PATH_MAX, "%s", cur);
			return 0;
		}
		to[k] = '\0';
		if (to[0] == '/') {
			snprintf(cur, sizeof cur, "%s", to);
		} else {
			char *slash = strrchr(cur, '/');
			size_t d = slash ? (size_t)(slash - cur) + 1 : 0;
			if (d + (size_t)k + 1 > sizeof cur) {
				errno = ENAMETOOLONG;
				return -1;
			}
			memcpy(cur + d, to, (size_t)k + 1);
		}
	}
	errno = ELOOP;
	return -1;
}

jv
cf_config_set(const char *section, const char *key, const char *value)
{
	if (!valid_key(section) || !valid_key(key))
		return cf_usage_error("invalid config key '%s.%s': expected letters, "
		                      "digits, '.', '-' and '_'", section, key);
	if (strpbrk(value, "\r\n"))
		return cf_usage_error("a config value cannot hold a newline");
	const char *shown = cf_config_path();
	char p[PATH_MAX];
	if (link_target(shown, p) < 0)
		return cf_error(CF_EX_CONFIG, "%s: %s", shown, strerror(errno));
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	snprintf(dir, sizeof dir, "%s", p);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	for (char *q = dir + 1; *q; q++) {   /* the folders, as the store does */
		if (*q == '/') {
			*q = '\0';
			mkdir(dir, 0700);
			*q = '/';
		}
	}
	mkdir(dir, 0700);
	/* one writer at a time, from reading the file to renaming the new one
	 * over it, or two at once would each drop the other's key; the folder
	 * is locked, the file being replaced */
	int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return cf_error(CF_EX_CONFIG, "cannot write %s: %s", shown, strerror(errno));
	while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
		;
	size_t len = 0;
	char *old = NULL;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		old = cf_read_all(fd, &len);
		int e = errno;
		close(fd);
		if (!old) {
			close(lock);
			return cf_error(CF_EX_CONFIG, "%s: %s", shown, strerror(e));
		}
	} else if (errno != ENOENT) {
		int e = errno;
		close(lock);
		return cf_error(CF_EX_CONFIG, "%s: %s", shown, strerror(e));
	} else {
		old = cf_xstrdup("");
	}
	/* blanks at either end, or quotes of its own, would be read away */
	size_t vl = strlen(value);
	int quote = vl && (isspace((unsigned char)value[0]) ||
	                   isspace((unsigned char)value[vl - 1]) || value[0] == '"');
	char *line = cf_xmalloc(strlen(key) + vl + 8);
	sprintf(line, quote ? "%s = \"%s\"\n" : "%s = %s\n", key, value);
	int defaults = !strcmp(section, "defaults");
	/* where the key is (its line's start and end), else where the
	 * section's last header's lines end */
	size_t at = (size_t)-1, at_end = 0, sec_end = (size_t)-1;
	char cur[256] = "";
	int in = defaults;   /* before any header: the defaults */
	for (size_t o = 0; o < len;) {
		const char *nl = memchr(old + o, '\n', len - o);
		size_t e = nl ? (size_t)(nl - old) + 1 : len;
		char buf[512], lb[512];
		snprintf(lb, sizeof lb, "%.*s", (int)(e - o), old + o);
		const char *h = header_of(lb, buf, sizeof buf);
		if (h) {
			snprintf(cur, sizeof cur, "%s", h);
			in = !strcmp(cur, section) || (defaults && !*cur);
		} else if (in) {
			const char *k = key_of(trim(lb), buf, sizeof buf);
			if (k && !strcmp(k, key)) {
				at = o;
				at_end = e;
			}
			if (*trim(lb))
				sec_end = e;
		}
		if (h && in)
			sec_end = e;
		o = e;
	}
	jv out = jv_string("");
	if (at != (size_t)-1) {
		out = jv_string_append_buf(out, old, (int)at);
		out = jv_string_append_str(out, line);
		out = jv_string_append_buf(out, old + at_end, (int)(len - at_end));
	} else if (sec_end != (size_t)-1) {
		out = jv_string_append_buf(out, old, (int)sec_end);
		if (sec_end && old[sec_end - 1] != '\n')
			out = jv_string_append_str(out, "\n");
		out = jv_string_append_str(out, line);
		out = jv_string_append_buf(out, old + sec_end, (int)(len - sec_end));
	} else {
		out = jv_string_append_buf(out, old, (int)len);
		if (len && old[len - 1] != '\n')
			out = jv_string_append_str(out, "\n");
		out = jv_string_append_str(out, len ? "\n[" : "[");
		out = jv_string_append_str(out, section);
		out = jv_string_append_str(out, "]\n");
		out = jv_string_append_str(out, line);
	}
	free(old);
	free(line);
	/* a new file beside it, renamed over it: whole or not at all */
	snprintf(tmp, sizeof tmp, "%s/.config.%ld.XXXXXX", dir, (long)getpid());
	fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		jv_free(out);
		close(lock);
		return cf_error(CF_EX_CONFIG, "cannot write %s: %s", shown, strerror(e));
	}
	fchmod(fd, 0600);
	const char *s = jv_string_value(out);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(out)), w = 0;
	while (w < n) {
		ssize_t k = write(fd, s + w, n - w);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		w += (size_t)k;
	}
	int e = w < n ? (errno ? errno : EIO) : 0;
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	jv_free(out);
	if (!e && rename(tmp, p) < 0)
		e = errno;
	if (e)
		unlink(tmp);
	close(lock);
	if (e)
		return cf_error(CF_EX_CONFIG, "cannot write %s: %s", shown, strerror(e));
	/* read again on next use */
	if (loaded) {
		jv_free(config);
		jv_free(sections);
		jv_free(bad);
		loaded = 0;
	}
	return jv_true();
}

jv
cf_config_section(const char *section)
{
	if (!loaded)
		jv_free(cf_config_load());
	jv r = jv_object();
	size_t n = strlen(section);
	jv_object_foreach(config, k, v) {
		const char *ks = jv_string_value(k);
		if (!strncmp(ks, section, n) && ks[n] == '.' && ks[n + 1])
			r = jv_object_set(r, jv_string(ks + n + 1), v);
		else
			jv_free(v);
		jv_free(k);
	}
	return r;
}

jv
cf_config_all(void)
{
	if (!loaded)
		jv_free(cf_config_load());
	return jv_copy(config);
}
