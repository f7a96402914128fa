/* template.c — templates: a new session's settings and opening messages,
 * kept as a JSON file (chat-template(1), chat-new --template, confab's
 * /template).  The user's own are in $XDG_CONFIG_HOME/confab/templates,
 * the shipped ones in share/confab/templates; a user's template hides a
 * shipped one of the same name.
 *
 * A template is checked by the same code that checks options and the
 * config (cf_settings_apply, with the file as its origin), so a value
 * that chat-new would refuse is refused in a template too, naming the
 * file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"

#ifndef CF_SHAREDIR
#define CF_SHAREDIR "/usr/local/share/confab"
#endif

#define NAME_MAX_LEN 64

/* The keys a template may have, in the order a saved one lists them. */
static const char *const known[] = {
	"description", "provider", "model", "systemPrompt", "temperature",
	"maxTokens", "contextWindow", "autoContext", "tags", "messages",
	"sendHistory", NULL,
};

static const char *
known_list(void)
{
	static char buf[256];
	if (!buf[0])
		for (int i = 0; known[i]; i++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
			         i ? ", " : "", known[i]);
	return buf;
}

jv
cf_template_name_check(const char *name)
{
	size_t n = strlen(name);
	int ok = n > 0 && n <= NAME_MAX_LEN &&
	         ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	          (name[0] >= '0' && name[0] <= '9'));
	for (size_t i = 0; ok && i < n; i++) {
		char ch = name[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		     (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
	}
	if (ok)
		return jv_true();
	char shown[128];
	cf_clean(name, shown, sizeof shown, 40, 0);
	/* a name is a file name in one folder: nothing that leaves it */
	return cf_usage_error("invalid template name '%s': letters, digits, '.', "
	                      "'_' and '-', starting with a letter or digit, at "
	                      "most %d", shown, NAME_MAX_LEN);
}

const char *
cf_template_user_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		const char *conf = cf_config_path();
		const char *slash = strrchr(conf, '/');
		int len = slash ? (int)(slash - conf) : 0;
		snprintf(dir, sizeof dir, "%.*s/templates", len, conf);
	}
	return dir;
}

const char *
cf_template_shipped_dir(void)
{
	static char dir[PATH_MAX];
	if (dir[0])
		return dir;
	/* Beside the executable first (bin/../share/confab): that is the
	 * build tree's own folder and an installation's under any prefix,
	 * so a build is never shown the templates of an older install. */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char alt[sizeof exe + 32];
			snprintf(alt, sizeof alt, "%s/../share/confab/templates", exe);
			struct stat sb;
			char real[PATH_MAX];
			if (stat(alt, &sb) == 0 && S_ISDIR(sb.st_mode) && realpath(alt, real)) {
				memcpy(dir, real, sizeof dir);
				return dir;
			}
		}
	}
	snprintf(dir, sizeof dir, "%s/templates", CF_SHAREDIR);
	return dir;
}

/* jv_parse's message, "Expected separator between values at line 3,
 * column 4 (while parsing '...')", as "PATH:3:4: expected separator
 * between values": the place where an editor can jump to, the text once. */
static jv
parse_error(const char *path, jv err)
{
	jv m = jv_invalid_get_msg(err);
	char buf[512];
	snprintf(buf, sizeof buf, "%s", jv_get_kind(m) == JV_KIND_STRING ?
	         jv_string_value(m) : "not JSON");
	jv_free(m);
	char *w = strstr(buf, " (while parsing");
	if (w)
		*w = '\0';
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	int line, col;
	char *at = strstr(buf, " at line ");
	if (at && sscanf(at, " at line %d, column %d", &line, &col) == 2) {
		*at = '\0';
		return cf_error(CF_EX_CONFIG, "%s:%d:%d: %s", path, line, col, buf);
	}
	return cf_error(CF_EX_CONFIG, "%s: %s", path, buf);
}

/* The file's JSON, jv_invalid() when there is no such file, or an error. */
static jv
read_json(const char *path)
{
	/* O_NONBLOCK: a FIFO is not waited on for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return jv_invalid();
		return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(errno));
	}
	/* nor is /dev/zero read until memory runs out */
	struct stat sb;
	if (fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
		close(fd);
		return cf_error(CF_EX_CONFIG, "%s: not a regular file", path);
	}
	size_t len;
	char *buf = cf_read_all(fd, &len);
	int e = errno;
	close(fd);
	if (!buf)
		return cf_error(CF_EX_FAIL, "%s: %s", path, strerror(e));
	if (len > 16 << 20) {
		free(buf);
		return cf_error(CF_EX_CONFIG, "%s: larger than 16 MiB", path);
	}
	jv v = jv_parse_sized(buf, (int)len);
	free(buf);
	if (!jv_is_valid(v))
		return parse_error(path, v);
	return v;
}

/* ---- a template's values as settings ---- */

/* The settings a template holds, as strings cf_settings_apply reads (the
 * numbers written out here, the strings borrowed from the template). */
struct tset {
	struct cf_settings s;
	char temp[64], maxt[32], ctxw[32];
};

/* A string the C side would cut at a NUL ("\u0000" in the JSON). */
static int
has_nul(jv v)
{
	return strlen(jv_string_value(v)) != (size_t)jv_string_length_bytes(jv_copy(v));
}

/* Has any of object o's string values a NUL?  o stays the caller's. */
static int
object_nul(jv o)
{
	int nul = 0;
	jv_object_foreach(o, k, v) {
		nul |= jv_get_kind(v) == JV_KIND_STRING && has_nul(v);
		jv_free(k);
		jv_free(v);
	}
	return nul;
}

static int
is_whole(double d)
{
	return d == (double)(long long)d;
}

/* Checks tpl's keys and kinds and fills t; tpl stays borrowed by t.
 * jv_true() or an error naming where. */
static jv
to_settings(jv tpl, const char *where, struct tset *t)
{
	cf_settings_init(&t->s);
	t->s.origin = where;
	if (jv_get_kind(tpl) != JV_KIND_OBJECT)
		return cf_error(CF_EX_CONFIG, "%s: a template is a JSON object", where);
	jv bad = jv_null();
	jv_object_foreach(tpl, k, v) {
		const char *key = jv_string_value(k);
		int i = 0;
		while (known[i] && strcmp(known[i], key))
			i++;
		jv_kind kind = jv_get_kind(v);
		const char *want = NULL;
		if (!known[i]) {
			if (jv_get_kind(bad) == JV_KIND_NULL) {
				char shown[128];
				cf_clean(key, shown, sizeof shown, 40, 0);
				bad = cf_error(CF_EX_CONFIG, "%s: unknown key '%s' (a template "
				               "has %s)", where, shown, known_list());
			}
		} else if (kind == JV_KIND_NULL) {
			;   /* as if absent */
		} else if (!strcmp(key, "description") || !strcmp(key, "provider") ||
		           !strcmp(key, "model") || !strcmp(key, "systemPrompt")) {
			if (kind != JV_KIND_STRING)
				want = "a string";
			else if (has_nul(v))
				want = "a string without a NUL";
			else if (!strcmp(key, "provider"))
				t->s.provider = jv_string_value(v);
			else if (!strcmp(key, "model"))
				t->s.model = jv_string_value(v);
			else if (!strcmp(key, "systemPrompt"))
				t->s.system = jv_string_value(v);
		} else if (!strcmp(key, "temperature")) {
			if (kind != JV_KIND_NUMBER)
				want = "a number";
			else
				snprintf(t->temp, sizeof t->temp, "%.17g", jv_number_value(v)),
				t->s.temperature = t->temp;
		} else if (!strcmp(key, "maxTokens") || !strcmp(key, "contextWindow")) {
			char *buf = key[0] == 'm' ? t->maxt : t->ctxw;
			if (kind != JV_KIND_NUMBER || !is_whole(jv_number_value(v)) ||
			    jv_number_value(v) > 1e15 || jv_number_value(v) < -1e15) {
				want = "a whole number";
			} else {
				snprintf(buf, sizeof t->maxt, "%.0f", jv_number_value(v));
				if (key[0] == 'm')
					t->s.max_tokens = buf;
				else
					t->s.context_window = buf;
			}
		} else if (!strcmp(key, "autoContext") || !strcmp(key, "sendHistory")) {
			if (kind != JV_KIND_TRUE && kind != JV_KIND_FALSE)
				want = "true or false";
			else if (key[0] == 'a')
				t->s.auto_context = kind == JV_KIND_TRUE;
			else
				t->s.send_history = kind == JV_KIND_TRUE;
		} else if (!strcmp(key, "tags")) {
			int ok = kind == JV_KIND_ARRAY, nul = 0;
			if (ok)
				jv_array_foreach(v, j, x) {
					ok &= jv_get_kind(x) == JV_KIND_STRING;
					nul |= ok && has_nul(x);
					jv_free(x);
					(void)j;
				}
			if (!ok || nul)
				want = nul ? "an array of strings without a NUL" :
				       "an array of strings";
			else
				jv_array_foreach(v, j, x) {
					/* tpl holds the string */
					cf_settings_add_tag(&t->s, jv_string_value(x), 0);
					jv_free(x);
					(void)j;
				}
		} else if (!strcmp(key, "messages")) {
			int ok = kind == JV_KIND_ARRAY, n = 0;
			const char *why = "an array of {\"role\", \"content\"} objects";
			if (ok)
				jv_array_foreach(v, j, m) {
					if (!ok) {
						jv_free(m);
						continue;
					}
					n = j;
					const char *role = cf_jstr_or_null(m, "role");
					const char *content = cf_jstr_or_null(m, "content");
					int nkeys = jv_get_kind(m) == JV_KIND_OBJECT ?
					            jv_object_length(jv_copy(m)) : 0;
					if (!role || !content || nkeys != 2)
						ok = 0;
					else if (strcmp(role, "user") && strcmp(role, "assistant") &&
					         strcmp(role, "system"))
						ok = 0, why = "a role of user, assistant or system";
					else if (!*content)
						ok = 0, why = "content that is not empty";
					else if (object_nul(m))
						ok = 0, why = "a role and content without a NUL";
					jv_free(m);
				}
			if (!ok && jv_get_kind(bad) == JV_KIND_NULL)
				bad = kind == JV_KIND_ARRAY ?
				      cf_error(CF_EX_CONFIG, "%s: messages[%d] must have %s",
				               where, n, why) :
				      cf_error(CF_EX_CONFIG, "%s: 'messages' must be %s", where, why);
		}
		if (want && jv_get_kind(bad) == JV_KIND_NULL)
			bad = cf_error(CF_EX_CONFIG, "%s: '%s' must be %s", where, key, want);
		jv_free(k);
		jv_free(v);
	}
	if (jv_get_kind(bad) != JV_KIND_NULL) {
		free(t->s.tags);
		t->s.tags = NULL;
		return bad;
	}
	jv r = cf_settings_check(&t->s);
	if (!jv_is_valid(r)) {
		free(t->s.tags);
		t->s.tags = NULL;
	}
	return r;
}

jv
cf_template_check(jv tpl, const char *where)
{
	struct tset t;
	jv r = to_settings(tpl, where, &t);
	free(t.s.tags);
	if (!jv_is_valid(r)) {
		jv_free(tpl);
		return r;
	}
	jv_free(r);
	return tpl;
}

/* ---- finding them ---- */

static jv
path_of(const char *dir, const char *name)
{
	return jv_string_fmt("%s/%s.json", dir, name);
}

/* A template's record: {type, name, origin, path, template}. */
static jv
record(const char *name, const char *origin, jv path, jv tpl)
{
	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("template"));
	r = jv_object_set(r, jv_string("name"), jv_string(name));
	r = jv_object_set(r, jv_string("origin"), jv_string(origin));
	r = jv_object_set(r, jv_string("path"), path);
	return jv_object_set(r, jv_string("template"), tpl);
}

/* The template in one folder: its record, jv_invalid() when it is not
 * there, or an error. */
static jv
load_from(const char *dir, const char *origin, const char *name)
{
	jv path = path_of(dir, name);
	jv v = read_json(jv_string_value(path));
	if (jv_is_valid(v))
		v = cf_template_check(v, jv_string_value(path));
	if (!jv_is_valid(v)) {
		jv_free(path);
		return v;
	}
	return record(name, origin, path, v);
}

jv
cf_template_get(const char *name)
{
	jv r = cf_template_name_check(name);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	r = load_from(cf_template_user_dir(), "user", name);
	if (jv_is_valid(r) || cf_is_error(r))
		return r;
	r = load_from(cf_template_shipped_dir(), "shipped", name);
	if (jv_is_valid(r) || cf_is_error(r))
		return r;
	return cf_error(CF_EX_NOTFOUND, "no template '%s' (chat-template ls lists "
	                "them)", name);
}

/* The names of the templates in dir (NAME.json, NAME a valid name). */
static jv
names_in(const char *dir)
{
	jv out = jv_object();
	DIR *d = opendir(dir);
	if (!d)
		return out;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		jv name = jv_string_sized(e->d_name, (int)n - 5);
		jv ok = cf_template_name_check(jv_string_value(name));
		if (jv_is_valid(ok))
			out = jv_object_set(out, name, jv_true());
		else
			jv_free(name);
		jv_free(ok);
	}
	closedir(d);
	return out;
}

jv
cf_template_list(void)
{
	jv user = names_in(cf_template_user_dir());
	jv shipped = names_in(cf_template_shipped_dir());
	jv all = jv_object_merge(jv_copy(shipped), jv_copy(user));
	jv keys = jv_keys(all);   /* sorted */
	jv out = jv_array();
	jv_array_foreach(keys, i, k) {
		const char *name = jv_string_value(k);
		int mine = jv_object_has(jv_copy(user), jv_copy(k));
		const char *dir = mine ? cf_template_user_dir() : cf_template_shipped_dir();
		jv rec = load_from(dir, mine ? "user" : "shipped", name);
		if (!jv_is_valid(rec)) {
			/* a broken one is listed with why, not left out */
			jv m = cf_error_message(rec);
			jv_free(rec);
			rec = record(name, mine ? "user" : "shipped", path_of(dir, name), jv_null());
			rec = jv_object_set(rec, jv_string("error"), m);
		}
		if (mine && jv_object_has(jv_copy(shipped), jv_copy(k)))
			rec = jv_object_set(rec, jv_string("overrides"),
			                    path_of(cf_template_shipped_dir(), name));
		out = jv_array_append(out, rec);
		jv_free(k);
		(void)i;
	}
	jv_free(keys);
	jv_free(user);
	jv_free(shipped);
	return out;
}

/* ---- making them ---- */

/* A session record's settings as a template's keys (into tpl). */
static jv
from_record(jv tpl, jv rec)
{
	jv set = jv_object_get(jv_copy(rec), jv_string("settings"));
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	static const char *const top[] = {"provider", "model", NULL};
	static const char *const inner[] = {"systemPrompt", "temperature", "maxTokens",
	                                    "contextWindow", "autoContext", "sendHistory",
	                                    NULL};
	for (int i = 0; top[i]; i++) {
		jv v = jv_object_get(jv_copy(rec), jv_string(top[i]));
		if (jv_get_kind(v) == JV_KIND_STRING)
			tpl = jv_object_set(tpl, jv_string(top[i]), v);
		else
			jv_free(v), tpl = jv_object_delete(tpl, jv_string(top[i]));
	}
	for (int i = 0; inner[i]; i++) {
		jv v = jv_get_kind(set) == JV_KIND_OBJECT ?
		       jv_object_get(jv_copy(set), jv_string(inner[i])) : jv_invalid();
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
			tpl = jv_object_set(tpl, jv_string(inner[i]), v);
		else
			jv_free(v), tpl = jv_object_delete(tpl, jv_string(inner[i]));
	}
	jv tags = jv_get_kind(meta) == JV_KIND_OBJECT ?
	          jv_object_get(jv_copy(meta), jv_string("tags")) : jv_invalid();
	if (jv_get_kind(tags) == JV_KIND_ARRAY && jv_array_length(jv_copy(tags)) > 0)
		tpl = jv_object_set(tpl, jv_string("tags"), tags);
	else
		jv_free(tags), tpl = jv_object_delete(tpl, jv_string("tags"));
	jv_free(set);
	jv_free(meta);
	return tpl;
}

/* The keys in known[]'s order, so that saved files read alike. */
static jv
ordered(jv tpl)
{
	jv out = jv_object();
	for (int i = 0; known[i]; i++) {
		jv v = jv_object_get(jv_copy(tpl), jv_string(known[i]));
		if (jv_is_valid(v))
			out = jv_object_set(out, jv_string(known[i]), v);
		else
			jv_free(v);
	}
	jv_free(tpl);
	return out;
}

jv
cf_template_apply(jv tpl, const struct cf_settings *s)
{
	jv ok = cf_settings_check(s);
	if (!jv_is_valid(ok)) {
		jv_free(tpl);
		return ok;
	}
	jv_free(ok);
	/* through a session record, so each value is read as chat-set reads it */
	jv rec = jv_object();
	jv set = jv_object(), meta = jv_object();
	static const char *const inner[] = {"systemPrompt", "temperature", "maxTokens",
	                                    "contextWindow", "autoContext", "sendHistory",
	                                    NULL};
	for (int i = 0; inner[i]; i++) {
		jv v = jv_object_get(jv_copy(tpl), jv_string(inner[i]));
		if (jv_is_valid(v))
			set = jv_object_set(set, jv_string(inner[i]), v);
		else
			jv_free(v);
	}
	jv tags = jv_object_get(jv_copy(tpl), jv_string("tags"));
	if (jv_is_valid(tags))
		meta = jv_object_set(meta, jv_string("tags"), tags);
	else
		jv_free(tags);
	for (const char *k = "provider"; k; k = strcmp(k, "provider") ? NULL : "model") {
		jv v = jv_object_get(jv_copy(tpl), jv_string(k));
		if (jv_is_valid(v))
			rec = jv_object_set(rec, jv_string(k), v);
		else
			jv_free(v);
	}
	rec = jv_object_set(rec, jv_string("settings"), set);
	rec = jv_object_set(rec, jv_string("metadata"), meta);
	/* another provider without a model: that provider's default, not
	 * the model of the one before */
	if (s->provider && !s->model)
		rec = jv_object_delete(rec, jv_string("model"));
	rec = cf_settings_apply(rec, s);
	if (!jv_is_valid(rec)) {
		jv_free(tpl);
		return rec;
	}
	tpl = from_record(tpl, rec);
	jv_free(rec);
	return ordered(tpl);
}

struct collect {
	jv list;
};

static int
collect_one(jv m, void *ctx)
{
	struct collect *c = ctx;
	const char *content = cf_jstr(m, "content");
	if (*content)
		c->list = jv_array_append(c->list, jv_object_set(
			jv_object_set(jv_object(), jv_string("role"),
			              jv_string(cf_jstr(m, "role"))),
			jv_string("content"), jv_string(content)));
	jv_free(m);
	return 0;
}

jv
cf_template_from_session(cf_store *st, jv session, int with_messages)
{
	char name[256];
	cf_clean(cf_jstr(session, "name"), name, sizeof name, 60, 0);
	jv tpl = jv_object_set(jv_object(), jv_string("description"),
	                       jv_string_fmt("from the session '%s'", name));
	tpl = from_record(tpl, session);
	if (with_messages) {
		struct collect c = {jv_array()};
		jv r = cf_message_list(st, cf_jstr(session, "id"), 0, NULL, collect_one, &c);
		if (!jv_is_valid(r)) {
			jv_free(c.list);
			jv_free(tpl);
			jv_free(session);
			return r;
		}
		jv_free(r);
		if (jv_array_length(jv_copy(c.list)) > 0)
			tpl = jv_object_set(tpl, jv_string("messages"), c.list);
		else
			jv_free(c.list);
	}
	jv_free(session);
	return ordered(tpl);
}

jv
cf_template_add_message(jv tpl, const char *spec)
{
	const char *colon = strchr(spec, ':');
	size_t rl = colon ? (size_t)(colon - spec) : 0;
	const char *role = NULL;
	static const char *const roles[] = {"user", "assistant", "system", NULL};
	for (int i = 0; colon && roles[i]; i++)
		if (strlen(roles[i]) == rl && !strncmp(spec, roles[i], rl))
			role = roles[i];
	if (!role || !colon[1]) {
		jv_free(tpl);
		char shown[64];
		cf_clean(spec, shown, sizeof shown, 30, 0);
		return cf_usage_error("invalid --message '%s': must be ROLE:TEXT, ROLE "
		                      "user, assistant or system, TEXT not empty", shown);
	}
	jv msgs = jv_object_get(jv_copy(tpl), jv_string("messages"));
	if (jv_get_kind(msgs) != JV_KIND_ARRAY) {
		jv_free(msgs);
		msgs = jv_array();
	}
	jv m = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
	m = jv_object_set(m, jv_string("content"), jv_string(colon + 1));
	return jv_object_set(tpl, jv_string("messages"), jv_array_append(msgs, m));
}

/* mkdir -p, each new folder 0700. */
static int
make_dirs(const char *dir)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", dir);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

jv
cf_template_save(const char *name, jv tpl, int replace)
{
	jv r = cf_template_name_check(name);
	if (!jv_is_valid(r)) {
		jv_free(tpl);
		return r;
	}
	jv_free(r);
	const char *dir = cf_template_user_dir();
	jv path = path_of(dir, name);
	tpl = cf_template_check(ordered(tpl), jv_string_value(path));
	if (!jv_is_valid(tpl)) {
		jv_free(path);
		return tpl;
	}
	const char *p = jv_string_value(path);
	if (!replace && access(p, F_OK) == 0) {
		jv_free(tpl);
		jv_free(path);
		return cf_error(CF_EX_FAIL, "template '%s' exists: --force replaces it", name);
	}
	if (make_dirs(dir) != 0) {
		jv e = cf_error(CF_EX_FAIL, "%s: %s", dir, strerror(errno));
		jv_free(tpl);
		jv_free(path);
		return e;
	}
	/* whole or not at all: written beside it, then renamed over it.  0600
	 * as the store is: a template made from a session holds its words */
	jv tmp = jv_string_fmt("%s/.%s.json.%ld.tmp", dir, name, (long)getpid());
	int fd = open(jv_string_value(tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	              O_NOFOLLOW, 0600);
	jv err = jv_null();
	if (fd < 0) {
		err = cf_error(CF_EX_FAIL, "%s: %s", jv_string_value(tmp), strerror(errno));
	} else {
		jv text = jv_dump_string(jv_copy(tpl), JV_PRINT_PRETTY | JV_PRINT_INDENT_FLAGS(2));
		text = jv_string_append_str(text, "\n");
		const char *s = jv_string_value(text);
		size_t n = (size_t)jv_string_length_bytes(jv_copy(text)), off = 0;
		while (off < n) {
			ssize_t w = write(fd, s + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		jv_free(text);
		if (off < n || fsync(fd) != 0 || close(fd) != 0) {
			err = cf_error(CF_EX_FAIL, "%s: %s", jv_string_value(tmp),
			               strerror(errno ? errno : EIO));
			if (off < n)
				close(fd);
		} else if (rename(jv_string_value(tmp), p) != 0) {
			err = cf_error(CF_EX_FAIL, "%s: %s", p, strerror(errno));
		}
		if (jv_get_kind(err) != JV_KIND_NULL)
			unlink(jv_string_value(tmp));
	}
	jv_free(tmp);
	if (jv_get_kind(err) != JV_KIND_NULL) {
		jv_free(tpl);
		jv_free(path);
		return err;
	}
	return record(name, "user", path, tpl);
}

jv
cf_template_remove(const char *name)
{
	jv r = cf_template_name_check(name);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	jv path = path_of(cf_template_user_dir(), name);
	if (unlink(jv_string_value(path)) == 0) {
		jv rec = record(name, "user", path, jv_null());
		jv shipped = path_of(cf_template_shipped_dir(), name);
		if (access(jv_string_value(shipped), F_OK) == 0)
			rec = jv_object_set(rec, jv_string("uncovers"), shipped);
		else
			jv_free(shipped);
		return jv_object_delete(rec, jv_string("template"));
	}
	int e = errno;
	jv_free(path);
	if (e != ENOENT)
		return cf_error(CF_EX_FAIL, "%s/%s.json: %s", cf_template_user_dir(), name,
		                strerror(e));
	jv shipped = path_of(cf_template_shipped_dir(), name);
	int is_shipped = access(jv_string_value(shipped), F_OK) == 0;
	jv_free(shipped);
	if (is_shipped)
		return cf_error(CF_EX_FAIL, "template '%s' is shipped with confab and "
		                "cannot be removed; a template of your own of that name "
		                "replaces it", name);
	return cf_error(CF_EX_NOTFOUND, "no template '%s' of yours (chat-template ls "
	                "lists them)", name);
}

/* ---- a session from one ---- */

jv
cf_template_plan(jv trec, const struct cf_settings *s)
{
	struct cf_settings none;
	cf_settings_init(&none);
	jv tpl = jv_get_kind(trec) == JV_KIND_OBJECT ?
	         jv_object_get(jv_copy(trec), jv_string("template")) : jv_null();
	jv path = jv_get_kind(trec) == JV_KIND_OBJECT ?
	          jv_object_get(jv_copy(trec), jv_string("path")) : jv_null();
	jv_free(trec);
	if (jv_get_kind(tpl) != JV_KIND_OBJECT) {
		jv_free(tpl);
		jv_free(path);
		jv rec = cf_settings_new(s);
		if (!jv_is_valid(rec))
			return rec;
		return jv_object_set(jv_object_set(jv_object(), jv_string("session"), rec),
		                     jv_string("messages"), jv_array());
	}
	struct tset t;
	cf_settings_init(&t.s);
	jv r = to_settings(tpl, jv_get_kind(path) == JV_KIND_STRING ?
	                   jv_string_value(path) : "template", &t);
	jv rec = jv_is_valid(r) ? cf_settings_new(&none) : r;
	if (jv_is_valid(r))
		jv_free(r);
	/* built-in defaults, under the config's, under the template's, under
	 * the options; a provider named without a model takes its own
	 * default model, not the one of the layer below */
	if (jv_is_valid(rec) && t.s.provider && !t.s.model)
		rec = jv_object_delete(rec, jv_string("model"));
	if (jv_is_valid(rec))
		rec = cf_settings_apply(rec, &t.s);
	if (jv_is_valid(rec) && s->provider && !s->model)
		rec = jv_object_delete(rec, jv_string("model"));
	if (jv_is_valid(rec))
		rec = cf_settings_apply(rec, s);
	if (jv_is_valid(rec))
		rec = cf_settings_default_model(rec);
	free(t.s.tags);
	jv msgs = jv_object_get(jv_copy(tpl), jv_string("messages"));
	jv_free(tpl);
	jv_free(path);
	if (!jv_is_valid(rec)) {
		jv_free(msgs);
		return rec;
	}
	if (jv_get_kind(msgs) != JV_KIND_ARRAY) {
		jv_free(msgs);
		msgs = jv_array();
	}
	jv plan = jv_object_set(jv_object(), jv_string("session"), rec);
	return jv_object_set(plan, jv_string("messages"), msgs);
}

jv
cf_template_start(cf_store *st, jv plan)
{
	jv rec = cf_session_insert(st, jv_object_get(jv_copy(plan), jv_string("session")));
	if (!jv_is_valid(rec)) {
		jv_free(plan);
		return rec;
	}
	jv msgs = jv_object_get(plan, jv_string("messages"));
	const char *sid = cf_jstr(rec, "id");
	jv_array_foreach(msgs, i, m) {
		char id[37];
		jv one = jv_object_set(jv_object(), jv_string("role"),
		                       jv_object_get(jv_copy(m), jv_string("role")));
		one = jv_object_set(one, jv_string("content"),
		                    jv_object_get(m, jv_string("content")));
		jv e = cf_message_add(st, sid, one, NULL, 0, id);
		if (!jv_is_valid(e)) {
			jv_free(msgs);
			jv_free(rec);
			return e;
		}
		jv_free(e);
		(void)i;
	}
	int n = jv_array_length(msgs);
	if (!n)
		return rec;
	jv now = cf_session_get(st, sid);
	jv_free(rec);
	return now;
}

/* ---- for people ---- */

void
cf_template_human_list(jv list)
{
	int wn = 4, wo = 6;
	jv_array_foreach(list, i, r) {
		int a = cf_width(cf_jstr(r, "name")), b = cf_width(cf_jstr(r, "origin"));
		wn = a > wn ? a : wn;
		wo = b > wo ? b : wo;
		jv_free(r);
		(void)i;
	}
	printf("%s", cf_c(CF_BOLD));
	cf_pad("NAME", wn + 2, 0);
	cf_pad("ORIGIN", wo + 2, 0);
	printf("DESCRIPTION%s\n", cf_c(CF_RESET));
	jv_array_foreach(list, i, r) {
		char name[256], text[512];
		cf_clean(cf_jstr(r, "name"), name, sizeof name, 0, 0);
		cf_pad(name, wn + 2, 0);
		cf_pad(cf_jstr(r, "origin"), wo + 2, 0);
		jv tpl = jv_object_get(jv_copy(r), jv_string("template"));
		const char *err = cf_jstr_or_null(r, "error");
		if (err) {
			cf_clean(err, text, sizeof text, 100, 0);
			printf("%sbroken: %s%s\n", cf_c(CF_YELLOW), text, cf_c(CF_RESET));
		} else {
			cf_clean(cf_jstr(tpl, "description"), text, sizeof text, 70, 0);
			printf("%s%s\n", text, cf_jstr_or_null(r, "overrides") ?
			       " (over the shipped one)" : "");
		}
		jv_free(tpl);
		jv_free(r);
		(void)i;
	}
	jv_free(list);
}

void
cf_template_human_show(jv rec)
{
	char name[256], path[PATH_MAX + 64];
	cf_clean(cf_jstr(rec, "name"), name, sizeof name, 0, 0);
	cf_clean(cf_jstr(rec, "path"), path, sizeof path, 0, 0);
	printf("%s%s%s (%s: %s)\n", cf_c(CF_BOLD), name, cf_c(CF_RESET),
	       cf_jstr(rec, "origin"), path);
	jv tpl = jv_object_get(rec, jv_string("template"));
	jv_object_foreach(tpl, k, v) {
		const char *key = jv_string_value(k);
		printf("%s%s:%s", cf_c(CF_DIM), key, cf_c(CF_RESET));
		if (!strcmp(key, "systemPrompt") && jv_get_kind(v) == JV_KIND_STRING) {
			printf("\n");
			cf_put_clean(jv_string_value(v));
			printf("\n");
		} else if (!strcmp(key, "messages") && jv_get_kind(v) == JV_KIND_ARRAY) {
			printf("\n");
			jv_array_foreach(v, i, m) {
				printf("%s[%s]%s ", cf_c(CF_CYAN), cf_jstr(m, "role"), cf_c(CF_RESET));
				cf_put_clean(cf_jstr(m, "content"));
				printf("\n");
				jv_free(m);
				(void)i;
			}
		} else if (jv_get_kind(v) == JV_KIND_STRING) {
			printf(" ");
			cf_put_clean(jv_string_value(v));
			printf("\n");
		} else {
			/* numbers, booleans, tags: JSON's escapes keep controls out */
			jv text = jv_dump_string(jv_copy(v), 0);
			printf(" %s\n", jv_string_value(text));
			jv_free(text);
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(tpl);
}
