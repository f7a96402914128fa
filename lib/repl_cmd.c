/* repl_cmd.c — confab's slash commands and what Tab offers for them.
 *
 * Each command changes the session through the library calls the matching
 * chat-* program makes (cf_settings_store for chat-set, cf_session_branch
 * for chat-branch, cf_export_session for chat-export, cf_usage_list for
 * chat-cost, cf_message_list for chat-show), so a session changed here
 * is the session chat-set would have made.  A command checks everything
 * it was given before it changes anything: a wrong form is one error
 * value, and the chat goes on as it was.
 *
 * Calls that still end the process on an error (cf_die: a busy or full
 * store, an unknown or ambiguous reference) run under CF_TRY (guarded()),
 * which turns their end into an error value and rolls back what was
 * begun. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "priv.h"
#include "repl.h"

/* ---- small things ---- */

/* Runs fn with cf_die caught: its result, or the error it ended with,
 * after the transaction it may have begun is rolled back. */
static jv
guarded(struct cf_chat *c, jv (*fn)(struct cf_chat *c, void *ctx), void *ctx)
{
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(c->st);
		return cf_error(k.code ? k.code : CF_EX_FAIL, "%s", k.msg);
	}
	jv r = fn(c, ctx);
	cf_catch_pop(&k);
	return r;
}

/* An SGR sequence when the chat draws in color (not with --plain,
 * NO_COLOR or TERM=dumb), else "". */
static const char *
sgr(struct cf_chat *c, const char *seq)
{
	return c->color ? seq : "";
}

static struct cf_tab *
tab(struct cf_chat *c)
{
	return c->ntabs > 0 && c->cur >= 0 && c->cur < c->ntabs ?
	       &c->tabs[c->cur] : NULL;
}

/* A name for a message: cleaned, cut, never a terminal sequence. */
static const char *
label(jv rec, char *buf, size_t n)
{
	cf_clean(cf_jstr(rec, "name"), buf, n, 60, 0);
	return buf;
}

/* The words of s: blanks part them, '...' and "..." quote, a backslash
 * takes the next character as it is.  A jv array, or an error. */
static jv
words(const char *s)
{
	jv out = jv_array();
	size_t n = strlen(s);
	char *w = cf_xmalloc(n + 1);
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t k = 0;
		char q = 0;
		for (; *p && (q || (*p != ' ' && *p != '\t')); p++) {
			if (q && *p == q) {
				q = 0;
			} else if (!q && (*p == '\'' || *p == '"')) {
				q = *p;
			} else if (*p == '\\' && q != '\'' && p[1]) {
				w[k++] = *++p;
			} else {
				w[k++] = *p;
			}
		}
		if (q) {
			free(w);
			jv_free(out);
			return cf_error(CF_EX_USAGE, "unclosed %s", q == '"' ? "\"" : "'");
		}
		out = jv_array_append(out, jv_string_sized(w, (int)k));
	}
	free(w);
	return out;
}

jv
cf_chat_words(const char *s)
{
	return words(s);
}

/* One free argument (a name, a prompt, a path): the rest of the line as
 * typed, or the one quoted word it is ('' is empty). */
static jv
one(const char *s)
{
	if (*s == '\'' || *s == '"') {
		jv w = words(s);
		if (jv_is_valid(w) && jv_array_length(jv_copy(w)) == 1)
			return jv_array_get(w, 0);
		jv_free(w);
	}
	return jv_string(s);
}

/* ~ and ~/... from $HOME, as a shell would. */
static jv
expand(const char *path)
{
	const char *home = getenv("HOME");
	if (home && *home && path[0] == '~' && (!path[1] || path[1] == '/'))
		return jv_string_fmt("%s%s", home, path + 1);
	return jv_string(path);
}

static int
all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* The current session as the store has it now: another program may have
 * changed or deleted it.  The tab keeps what it read. */
static jv
fresh(struct cf_chat *c)
{
	struct cf_tab *t = tab(c);
	if (!t)
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	const char *id = cf_jstr(t->session, "id");
	jv rec = cf_session_get(c->st, id);
	if (!jv_is_valid(rec)) {
		char name[256];
		jv_free(rec);
		return cf_error(CF_EX_NOTFOUND, "session '%s' is gone: another "
		                "program deleted it", label(t->session, name, sizeof name));
	}
	jv_free(t->session);
	t->session = jv_copy(rec);
	return rec;
}

static jv
no_args(const char *cmd, const char *arg)
{
	if (*arg)
		return cf_error(CF_EX_USAGE, "%s takes no argument", cmd);
	return jv_true();
}

static jv
usage(const char *cmd, const char *args)
{
	return cf_error(CF_EX_USAGE, "usage: %s %s", cmd, args);
}

/* ---- the settings: chat-set's changes ---- */

struct change {
	const char *cmd;
	const struct cf_settings *s;
};

static jv
store_change(struct cf_chat *c, void *ctx)
{
	const struct change *ch = ctx;
	struct cf_tab *t = tab(c);
	jv_free(cf_bridge(cf_store_begin(c->st)));
	jv rec = cf_bridge(cf_settings_store(c->st, cf_jstr(t->session, "id"), ch->s));
	if (!jv_is_valid(rec)) {
		cf_store_rollback(c->st);
		jv_free(rec);
		char name[256];
		return cf_error(CF_EX_NOTFOUND, "session '%s' is gone: another "
		                "program deleted it", label(t->session, name, sizeof name));
	}
	jv_free(cf_bridge(cf_store_commit(c->st)));
	return rec;
}

/* Checks s, stores it in the current session, keeps the tab current. */
static jv
check_run(struct cf_chat *c, void *ctx)
{
	(void)c;
	/* a provider is looked for in the config, which may be malformed */
	return cf_settings_check(ctx);
}

static jv
change(struct cf_chat *c, const char *cmd, const struct cf_settings *s)
{
	jv ok = guarded(c, check_run, (void *)s);
	if (!jv_is_valid(ok)) {
		/* "invalid --temperature 'x': ..." names the option chat-set
		 * takes; here it is the command */
		jv m = cf_error_message(ok);
		int status = cf_error_status(ok);
		jv_free(ok);
		const char *ms = jv_string_value(m), *sp = strchr(ms, ' ');
		jv e = !strncmp(ms, "invalid --", 10) && sp && (sp = strchr(sp + 1, ' ')) ?
		       cf_error(status, "invalid %s %s", cmd, sp + 1) :
		       cf_error(status, "%s", ms);
		jv_free(m);
		return e;
	}
	jv_free(ok);
	if (!tab(c))
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	struct change ch = {cmd, s};
	jv rec = guarded(c, store_change, &ch);
	if (!jv_is_valid(rec))
		return rec;
	struct cf_tab *t = tab(c);
	jv_free(t->session);
	t->session = rec;
	return jv_true();
}

static jv
setting(struct cf_chat *c, const char *cmd, const char *arg)
{
	struct cf_settings s;
	cf_settings_init(&s);
	jv v = one(arg);
	const char *a = jv_string_value(v);
	if (!strcmp(cmd, "/model")) s.model = a;
	else if (!strcmp(cmd, "/provider")) s.provider = a;
	else if (!strcmp(cmd, "/system")) s.system = a;
	else if (!strcmp(cmd, "/temperature")) s.temperature = a;
	else if (!strcmp(cmd, "/max-tokens")) s.max_tokens = a;
	else if (!strcmp(cmd, "/context-window")) s.context_window = a;
	else if (!strcmp(cmd, "/rename")) s.name = a;
	jv before = tab(c) ? jv_copy(tab(c)->session) : jv_null();
	jv r = change(c, cmd, &s);
	if (jv_is_valid(r)) {
		jv rec = tab(c)->session;
		jv set = jv_object_get(jv_copy(rec), jv_string("settings"));
		char buf[256];
		if (s.model || s.provider || s.name) {
			cf_clean(a, buf, sizeof buf, 80, 0);
			cf_chat_say(c, "%s: %s", s.model ? "model" : s.provider ?
			            "provider" : "name", buf);
			jv note = cf_settings_model_note(&s, before, rec);
			if (jv_is_valid(note)) {
				cf_clean(jv_string_value(note), buf, sizeof buf, 0, 0);
				cf_chat_say(c, "%s", buf);
			}
			jv_free(note);
		} else if (s.system) {
			if (*a)
				cf_chat_say(c, "system prompt set (%d characters)", cf_width(a));
			else
				cf_chat_say(c, "system prompt removed");
		} else if (s.temperature) {
			if (*a)
				cf_chat_say(c, "temperature: %g", cf_jnum(set, "temperature", 0));
			else
				cf_chat_say(c, "temperature: the provider's default");
		} else if (s.max_tokens) {
			cf_chat_say(c, "max-tokens: %.0f", cf_jnum(set, "maxTokens", 0));
		} else {
			cf_chat_say(c, "context-window: %.0f earlier messages",
			            cf_jnum(set, "contextWindow", 0));
		}
		jv_free(set);
	}
	jv_free(before);
	jv_free(v);
	return r;
}

static jv cmd_model(struct cf_chat *c, const char *a) { return setting(c, "/model", a); }
static jv cmd_provider(struct cf_chat *c, const char *a) { return setting(c, "/provider", a); }
static jv cmd_system(struct cf_chat *c, const char *a) { return setting(c, "/system", a); }
static jv cmd_temperature(struct cf_chat *c, const char *a) { return setting(c, "/temperature", a); }
static jv cmd_max_tokens(struct cf_chat *c, const char *a) { return setting(c, "/max-tokens", a); }
static jv cmd_context_window(struct cf_chat *c, const char *a) { return setting(c, "/context-window", a); }
static jv cmd_rename(struct cf_chat *c, const char *a) { return setting(c, "/rename", a); }

/* /option KEY=VALUE...: chat-set -o's session defaults; without one,
 * what they are. */
static jv
cmd_option(struct cf_chat *c, const char *arg)
{
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	struct cf_settings s;
	cf_settings_init(&s);
	jv_array_foreach(w, i, x) {
		cf_settings_add_option(&s, jv_string_value(x));   /* w holds x */
		jv_free(x);
		(void)i;
	}
	jv r = jv_true();
	if (s.noptions)
		r = change(c, "/option", &s);
	else if (!tab(c))
		r = cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	if (jv_is_valid(r)) {
		jv o = cf_jpath(tab(c)->session, "metadata.options");
		if (jv_get_kind(o) == JV_KIND_OBJECT && jv_object_length(jv_copy(o))) {
			jv d = jv_dump_string(o, 0);
			char buf[1024];
			cf_clean(jv_string_value(d), buf, sizeof buf, 0, 0);
			cf_chat_say(c, "options: %s", buf);
			jv_free(d);
		} else {
			jv_free(o);
			cf_chat_say(c, "options: none");
		}
	}
	free(s.options);
	jv_free(w);
	return r;
}

static jv
cmd_tag(struct cf_chat *c, const char *arg)
{
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	if (!jv_array_length(jv_copy(w))) {
		jv_free(w);
		return usage("/tag", "[-]TAG...");
	}
	struct cf_settings s;
	cf_settings_init(&s);
	jv_array_foreach(w, i, x) {
		const char *t = jv_string_value(x);
		if (t[0] == '-')
			cf_settings_add_tag(&s, t + 1, 1);
		else
			cf_settings_add_tag(&s, t, 0);
		jv_free(x);
		(void)i;
	}
	jv err = jv_true();
	for (int i = 0; i < s.nuntags; i++)
		if (!*s.untags[i])
			err = cf_error(CF_EX_USAGE, "invalid /tag '-': name the tag to remove");
	jv r = jv_is_valid(err) ? change(c, "/tag", &s) : err;
	if (jv_is_valid(r)) {
		jv meta = jv_object_get(jv_copy(tab(c)->session), jv_string("metadata"));
		jv tags = jv_object_get(meta, jv_string("tags"));
		jv joined = jv_string("");
		if (jv_get_kind(tags) == JV_KIND_ARRAY)
			jv_array_foreach(tags, i, t) {
				if (jv_get_kind(t) == JV_KIND_STRING)
					joined = jv_string_concat(joined, jv_string_fmt("%s#%s",
					         i ? " " : "", jv_string_value(t)));
				jv_free(t);
			}
		char buf[512];
		cf_clean(jv_string_value(joined), buf, sizeof buf, 200, 0);
		cf_chat_say(c, "tags: %s", *buf ? buf : "none");
		jv_free(joined);
		jv_free(tags);
	}
	free(s.tags);
	free(s.untags);
	jv_free(w);
	return r;
}

/* /star and /archive turn a flag over, as chat-set --star/--unstar do. */
static jv
flag(struct cf_chat *c, const char *cmd, const char *arg, const char *key)
{
	jv r = no_args(cmd, arg);
	if (!jv_is_valid(r))
		return r;
	jv rec = fresh(c);
	if (!jv_is_valid(rec))
		return rec;
	jv meta = jv_object_get(rec, jv_string("metadata"));
	int now = !cf_jbool(meta, key);
	jv_free(meta);
	struct cf_settings s;
	cf_settings_init(&s);
	if (!strcmp(key, "starred"))
		s.starred = now;
	else
		s.archived = now;
	r = change(c, cmd, &s);
	if (jv_is_valid(r)) {
		if (s.starred >= 0)
			cf_chat_say(c, now ? "starred" : "no longer starred");
		else
			cf_chat_say(c, now ? "archived: chat-ls hides it" :
			            "no longer archived");
	}
	return r;
}

static jv cmd_star(struct cf_chat *c, const char *a) { return flag(c, "/star", a, "starred"); }
static jv cmd_archive(struct cf_chat *c, const char *a) { return flag(c, "/archive", a, "archived"); }

/* ---- /clear, /attach, /quit ---- */

static jv
cmd_clear(struct cf_chat *c, const char *arg)
{
	jv r = no_args("/clear", arg);
	if (!jv_is_valid(r))
		return r;
	struct cf_tab *t = tab(c);
	if (!t)
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	t->reset = 1;
	cf_chat_say(c, "context cleared: the next message starts a new context "
	            "(nothing is deleted)");
	return jv_true();
}

static void
say_attached(struct cf_chat *c, jv list)
{
	int n = jv_array_length(jv_copy(list));
	if (!n) {
		cf_chat_say(c, "nothing attached");
		return;
	}
	jv names = jv_string("");
	jv_array_foreach(list, i, p) {
		const char *s = jv_string_value(p), *b = strrchr(s, '/');
		names = jv_string_concat(names, jv_string_fmt("%s%s", i ? ", " : "",
		                                              b ? b + 1 : s));
		jv_free(p);
	}
	char buf[512];
	cf_clean(jv_string_value(names), buf, sizeof buf, 200, 0);
	cf_chat_say(c, "attached for the next message: %s", buf);
	jv_free(names);
}

static jv
cmd_attach(struct cf_chat *c, const char *arg)
{
	struct cf_tab *t = tab(c);
	if (!t)
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	if (jv_get_kind(t->attach) != JV_KIND_ARRAY) {
		jv_free(t->attach);
		t->attach = jv_array();
	}
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	if (!jv_array_length(jv_copy(w))) {
		jv_free(w);
		say_attached(c, t->attach);
		return jv_true();
	}
	/* every file read and checked as chat-send checks its -a files
	 * (there, text or an image, within attach-max) before any is added */
	int n = jv_array_length(jv_copy(w));
	jv given = jv_array();
	const char **paths = cf_xmalloc(sizeof *paths * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		jv x = jv_array_get(jv_copy(w), i);
		given = jv_array_append(given, expand(jv_string_value(x)));
		jv_free(x);
	}
	for (int i = 0; i < n; i++) {
		jv x = jv_array_get(jv_copy(given), i);
		paths[i] = jv_string_value(x);   /* the array keeps the string */
		jv_free(x);
	}
	struct cf_files f;
	jv r = cf_files_load(&f, paths, n);
	if (jv_is_valid(r))
		cf_files_free(&f);
	jv add = jv_array();
	for (int i = 0; i < n && jv_is_valid(r); i++) {
		char real[PATH_MAX], shown[PATH_MAX];
		jv full = realpath(paths[i], real) ? jv_string(real) : jv_string(paths[i]);
		cf_clean(paths[i], shown, sizeof shown, 200, 0);
		jv all = jv_array_concat(jv_copy(t->attach), jv_copy(add));
		jv_array_foreach(all, j, y) {
			if (jv_is_valid(r) && !strcmp(jv_string_value(y), jv_string_value(full)))
				r = cf_error(CF_EX_USAGE, "'%s' is already attached", shown);
			jv_free(y);
			(void)j;
		}
		jv_free(all);
		add = jv_array_append(add, full);
	}
	free(paths);
	jv_free(given);
	jv_free(w);
	if (!jv_is_valid(r)) {
		jv_free(add);
		return r;
	}
	t->attach = jv_array_concat(t->attach, add);
	say_attached(c, t->attach);
	return jv_true();
}

static jv
cmd_detach(struct cf_chat *c, const char *arg)
{
	jv r = no_args("/detach", arg);
	if (!jv_is_valid(r))
		return r;
	struct cf_tab *t = tab(c);
	if (!t)
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	jv_free(t->attach);
	t->attach = jv_array();
	cf_chat_say(c, "nothing attached");
	return jv_true();
}

static jv
cmd_quit(struct cf_chat *c, const char *arg)
{
	jv r = no_args("/quit", arg);
	if (jv_is_valid(r))
		c->quit = 1;
	return r;
}

/* ---- /show, /cost ---- */

static int
show_one(jv msg, void *ctx)
{
	/* drawn as the loop draws replies and resumed messages */
	cf_chat_show_message(ctx, msg);
	return 0;
}

struct show {
	jv rec;
	long last;
};

static jv
show_run(struct cf_chat *c, void *ctx)
{
	struct show *sh = ctx;
	cf_human_session_head(c->st, sh->rec);
	jv_free(cf_bridge(cf_message_list(c->st, cf_jstr(sh->rec, "id"), sh->last, NULL, show_one, c)));
	return jv_true();
}

static jv
cmd_show(struct cf_chat *c, const char *arg)
{
	struct show sh = {.last = 0};
	if (*arg && cf_parse_long(arg, 1, 1L << 40, &sh.last))
		return cf_error(CF_EX_USAGE, "invalid /show '%s': expected a whole "
		                "number above 0", arg);
	sh.rec = fresh(c);
	if (!jv_is_valid(sh.rec))
		return sh.rec;
	jv r = guarded(c, show_run, &sh);
	jv_free(sh.rec);
	return r;
}

struct cost {
	double replies, in, out, unpriced;
	int64_t units;
	int rows;
};

static void
count_fmt(double v, char *out, size_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%.0f", v);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static void
cost_line(const char *what, double replies, double in, double out,
          double unpriced, int64_t units)
{
	char a[32], b[32], money[32];
	count_fmt(in, a, sizeof a);
	count_fmt(out, b, sizeof b);
	if (replies > unpriced)
		cf_money(units / 1e10, money, sizeof money);
	else
		snprintf(money, sizeof money, "no price");
	printf("  %s  %.0f %s, %s in, %s out, %s", what, replies,
	       replies == 1 ? "reply" : "replies", a, b, money);
	if (unpriced > 0 && replies > unpriced)
		printf(" (%.0f without a price)", unpriced);
	putchar('\n');
}

static void
cost_row(const struct cf_usage *u, void *ctx)
{
	struct cost *k = ctx;
	char what[256], m[160], p[80];
	cf_clean(u->model ? u->model : "unknown model", m, sizeof m, 60, 0);
	cf_clean(u->provider ? u->provider : "-", p, sizeof p, 30, 0);
	snprintf(what, sizeof what, "%s (%s)", m, p);
	cost_line(what, u->messages, u->input_tokens, u->output_tokens, u->unpriced,
	          u->cost_units);
	k->replies += u->messages;
	k->in += u->input_tokens;
	k->out += u->output_tokens;
	k->unpriced += u->unpriced;
	k->units += u->cost_units;
	k->rows++;
}

static jv
cost_run(struct cf_chat *c, void *ctx)
{
	struct cost *k = ctx;
	struct cf_usage_query q = {0};
	q.sessions = jv_array_append(jv_array(), jv_copy(tab(c)->session));
	jv_free(cf_bridge(cf_usage_list(c->st, &q, cost_row, k)));
	jv_free(q.sessions);
	return jv_true();
}

static jv
cmd_cost(struct cf_chat *c, const char *arg)
{
	jv r = no_args("/cost", arg);
	if (!jv_is_valid(r))
		return r;
	jv rec = fresh(c);
	if (!jv_is_valid(rec))
		return rec;
	jv_free(rec);
	struct cost k = {0};
	r = guarded(c, cost_run, &k);
	if (!jv_is_valid(r))
		return r;
	if (!k.rows)
		cf_chat_say(c, "no replies yet: nothing spent");
	else if (k.rows > 1)
		cost_line("total", k.replies, k.in, k.out, k.unpriced, k.units);
	return jv_true();
}

/* ---- /export ---- */

struct export {
	jv rec;
	const struct cf_format *f;
	const char *path;      /* the final name */
	char *tmp;             /* the temporary one beside it */
	FILE *out;
	int err;               /* errno of a failed write */
};

/* Written beside its final name and renamed into place when whole, as
 * chat-export -o does (and named as its temporary files are, so
 * chat-export's sweep removes one a killed confab left). */
static jv
export_run(struct cf_chat *c, void *ctx)
{
	struct export *x = ctx;
	struct cf_xopt o = {.header_level = 1, .width = 80};
	errno = 0;
	jv e = cf_export_session(c->st, jv_copy(x->rec), x->f, &o, x->out,
	                         cf_jstr(x->rec, "name"));
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	if (fflush(x->out) != 0 || ferror(x->out) || fsync(fileno(x->out)) != 0)
		x->err = errno ? errno : EIO;
	return jv_true();
}

/* The file a name would replace would be the store itself. */
static int
is_store(struct cf_chat *c, const char *path)
{
	struct stat o, d;
	const char *db = cf_store_file(c->st);
	if (!db || stat(path, &o) != 0)
		return 0;
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s%s", db, ext[i]);
		if (stat(p, &d) == 0 && d.st_dev == o.st_dev && d.st_ino == o.st_ino)
			return 1;
	}
	return 0;
}

/* A name in dir from the session's name that no file has yet:
 * "NAME.md", "NAME (2).md", ... */
static jv
default_name(const char *dir, jv rec, const struct cf_format *f)
{
	char *base = cf_safe_name(cf_jstr(rec, "name"), "");
	for (int i = 1;; i++) {
		const char *sep = *dir && dir[strlen(dir) - 1] != '/' ? "/" : "";
		jv p = i == 1 ? jv_string_fmt("%s%s%s.%s", dir, sep, base, f->ext) :
		       jv_string_fmt("%s%s%s (%d).%s", dir, sep, base, i, f->ext);
		struct stat sb;
		if (lstat(jv_string_value(p), &sb) != 0 || i == 1000) {
			free(base);
			return p;
		}
		jv_free(p);
	}
}

static jv
cmd_export(struct cf_chat *c, const char *arg)
{
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	int n = jv_array_length(jv_copy(w));
	if (n < 1 || n > 2) {
		jv_free(w);
		return usage("/export", "FORMAT [FILE]");
	}
	jv fname = jv_array_get(jv_copy(w), 0);
	struct export x = {.f = cf_format_named(jv_string_value(fname))};
	if (!x.f) {
		char list[128] = "", shown[128];
		for (int i = 0; cf_formats[i]; i++) {
			strcat(list, i ? ", " : "");
			strcat(list, cf_formats[i]->name);
		}
		cf_clean(jv_string_value(fname), shown, sizeof shown, 40, 0);
		jv_free(fname);
		jv_free(w);
		return cf_error(CF_EX_USAGE, "unknown format '%s': the formats are %s",
		                shown, list);
	}
	jv_free(fname);
	x.rec = fresh(c);
	if (!jv_is_valid(x.rec)) {
		jv_free(w);
		return x.rec;
	}
	jv path;
	struct stat sb;
	if (n == 2) {
		jv given = jv_array_get(jv_copy(w), 1);
		path = expand(jv_string_value(given));
		jv_free(given);
		if (!*jv_string_value(path)) {
			jv_free(path);
			jv_free(w);
			jv_free(x.rec);
			return cf_error(CF_EX_USAGE, "/export: empty file name");
		}
		/* a folder gets the default name inside it */
		if (stat(jv_string_value(path), &sb) == 0 && S_ISDIR(sb.st_mode)) {
			jv d = path;
			path = default_name(jv_string_value(d), x.rec, x.f);
			jv_free(d);
		}
	} else {
		path = default_name("", x.rec, x.f);
	}
	jv_free(w);
	/* a link is followed, as chat-export -o does: the file it names is
	 * replaced, and the link stays a link */
	struct stat lb;
	char real[PATH_MAX];
	if (lstat(jv_string_value(path), &lb) == 0 && S_ISLNK(lb.st_mode) &&
	    realpath(jv_string_value(path), real)) {
		jv_free(path);
		path = jv_string(real);
	}
	x.path = jv_string_value(path);
	char shown[PATH_MAX];
	cf_clean(x.path, shown, sizeof shown, 200, 0);
	jv r = jv_true();
	int exists = stat(x.path, &sb) == 0;
	if (is_store(c, x.path))
		r = cf_error(CF_EX_USAGE, "/export: '%s' is the store itself", shown);
	else if (exists && !S_ISREG(sb.st_mode))
		r = cf_error(CF_EX_FAIL, "cannot write %s: not a regular file", shown);
	else if (exists && access(x.path, W_OK) != 0)
		r = cf_error(CF_EX_FAIL, "cannot write %s: %s", shown, strerror(errno));
	if (!jv_is_valid(r))
		goto out;

	const char *slash = strrchr(x.path, '/');
	int dn = slash ? (int)(slash - x.path) + 1 : 0;
	jv t = jv_string_fmt("%.*s.%s.confab-%ld-XXXXXX", dn, x.path,
	                     strlen(x.path + dn) > 200 ? "chat-export" : x.path + dn,
	                     (long)getpid());
	x.tmp = cf_xstrdup(jv_string_value(t));
	jv_free(t);
	int fd = mkostemp(x.tmp, O_CLOEXEC);
	if (fd < 0) {
		r = cf_error(CF_EX_FAIL, "cannot write %s: %s", shown, strerror(errno));
		goto out;
	}
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, exists ? sb.st_mode & 07777 : 0666 & ~um);
	x.out = fdopen(fd, "wb");
	if (!x.out) {
		close(fd);
		r = cf_error(CF_EX_FAIL, "cannot write %s: %s", shown, strerror(errno));
		goto out;
	}
	r = guarded(c, export_run, &x);
	if (fclose(x.out) != 0 && !x.err)
		x.err = errno;
	if (jv_is_valid(r) && x.err)
		r = cf_error(CF_EX_FAIL, "writing %s: %s", shown, strerror(x.err));
	if (jv_is_valid(r) && rename(x.tmp, x.path) != 0)
		r = cf_error(CF_EX_FAIL, "writing %s: %s", shown, strerror(errno));
	if (!jv_is_valid(r)) {
		unlink(x.tmp);
		goto out;
	}
	if (stat(x.path, &sb) == 0) {
		char size[32];
		cf_size_text((long)sb.st_size, size, sizeof size);
		cf_chat_say(c, "exported to %s (%s, %s)", shown, x.f->name, size);
	}
out:
	free(x.tmp);
	jv_free(path);
	jv_free(x.rec);
	return r;
}

/* ---- /branch ---- */

struct branch {
	jv src;
	const char *at;
};

static jv
branch_run(struct cf_chat *c, void *ctx)
{
	struct branch *b = ctx;
	return cf_session_branch(c->st, b->src, b->at, NULL, 0);
}

static jv
cmd_branch(struct cf_chat *c, const char *arg)
{
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	int n = jv_array_length(jv_copy(w));
	if (n > 1) {
		jv_free(w);
		return usage("/branch", "[MESSAGE]");
	}
	struct branch b = {.src = fresh(c)};
	if (!jv_is_valid(b.src)) {
		jv_free(w);
		return b.src;
	}
	jv at = n ? jv_array_get(jv_copy(w), 0) : jv_null();
	b.at = n ? jv_string_value(at) : NULL;
	jv rec = guarded(c, branch_run, &b);
	jv_free(at);
	jv_free(w);
	jv_free(b.src);
	if (!jv_is_valid(rec))
		return rec;
	/* the chat moves: this tab goes on in the branch */
	struct cf_tab *t = tab(c);
	char name[256], id[37];
	cf_session_short_id(c->st, cf_jstr(rec, "id"), 8, id);
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	cf_chat_say(c, "now on the branch '%s' (%s), %.0f messages",
	            label(rec, name, sizeof name), id, cf_jnum(meta, "messageCount", 0));
	jv_free(meta);
	jv_free(t->session);
	t->session = rec;
	return jv_true();
}

/* ---- /merge ---- */

struct merge {
	jv src, dst;
	long taken;
};

static jv
merge_run(struct cf_chat *c, void *ctx)
{
	struct merge *m = ctx;
	return cf_session_merge(c->st, m->src, m->dst, 0, &m->taken);
}

/* chat-merge SOURCE into this session: the same call, the chat goes on */
static jv
cmd_merge(struct cf_chat *c, const char *arg)
{
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	if (jv_array_length(jv_copy(w)) != 1) {
		jv_free(w);
		return usage("/merge", "SOURCE");
	}
	struct merge m = {.dst = fresh(c)};
	if (!jv_is_valid(m.dst)) {
		jv_free(w);
		return m.dst;
	}
	jv ref = jv_array_get(w, 0);
	m.src = cf_resolve_session(c->st, jv_string_value(ref));
	jv_free(ref);
	jv rec = jv_is_valid(m.src) ? guarded(c, merge_run, &m) : jv_copy(m.src);
	jv_free(m.dst);
	if (!jv_is_valid(rec)) {
		jv_free(m.src);
		return rec;
	}
	char name[256];
	label(m.src, name, sizeof name);
	if (m.taken < 0)
		cf_chat_say(c, "'%s' is already merged into this session: nothing "
		            "changed", name);
	else
		cf_chat_say(c, "merged %ld message%s of '%s'", m.taken,
		            m.taken == 1 ? "" : "s", name);
	jv_free(m.src);
	struct cf_tab *t = tab(c);
	jv_free(t->session);
	t->session = rec;
	return jv_true();
}

/* ---- tabs: /new, /switch, /sessions, /search, /open ---- */

enum { N_TEMP = 256, N_MAXTOK, N_CTXWIN, N_AUTO, N_NOAUTO, N_HIST, N_NOHIST };

/* chat-new's options */
static const struct option new_opts[] = {
	{"name", required_argument, NULL, 'n'},
	{"provider", required_argument, NULL, 'p'},
	{"model", required_argument, NULL, 'm'},
	{"system", required_argument, NULL, 'S'},
	{"temperature", required_argument, NULL, N_TEMP},
	{"max-tokens", required_argument, NULL, N_MAXTOK},
	{"context-window", required_argument, NULL, N_CTXWIN},
	{"auto-context", no_argument, NULL, N_AUTO},
	{"no-auto-context", no_argument, NULL, N_NOAUTO},
	{"send-history", no_argument, NULL, N_HIST},
	{"no-send-history", no_argument, NULL, N_NOHIST},
	{"tag", required_argument, NULL, 't'},
	{0},
};

struct created {
	const struct cf_settings *s;
};

static jv
new_run(struct cf_chat *c, void *ctx)
{
	const struct created *n = ctx;
	jv rec = cf_bridge(cf_settings_new(n->s));
	jv_free(cf_bridge(cf_store_begin(c->st)));
	rec = cf_bridge(cf_session_insert(c->st, rec));
	jv_free(cf_bridge(cf_store_commit(c->st)));
	return rec;
}

static jv
cmd_new(struct cf_chat *c, const char *arg)
{
	jv w = words(arg);
	if (!jv_is_valid(w))
		return w;
	int argc = jv_array_length(jv_copy(w)) + 1;
	char **argv = cf_xmalloc(sizeof *argv * (size_t)(argc + 1));
	argv[0] = cf_xstrdup("/new");
	for (int i = 1; i < argc; i++) {
		jv x = jv_array_get(jv_copy(w), i - 1);
		argv[i] = cf_xstrdup(jv_string_value(x));
		jv_free(x);
	}
	argv[argc] = NULL;
	jv_free(w);
	/* getopt_long keeps pointers into argv: the strings outlive it */
	char **keep = cf_xmalloc(sizeof *keep * (size_t)(argc + 1));
	memcpy(keep, argv, sizeof *keep * (size_t)(argc + 1));

	struct cf_settings s;
	cf_settings_init(&s);
	jv r = jv_true();
	int saved_ind = optind, saved_err = opterr, o;
	optind = 0;   /* glibc: start afresh */
	opterr = 0;
	while (jv_is_valid(r) &&
	       (o = getopt_long(argc, argv, ":n:p:m:S:t:", new_opts, NULL)) != -1) {
		switch (o) {
		case 'n': s.name = optarg; break;
		case 'p': s.provider = optarg; break;
		case 'm': s.model = optarg; break;
		case 'S': s.system = optarg; break;
		case N_TEMP: s.temperature = optarg; break;
		case N_MAXTOK: s.max_tokens = optarg; break;
		case N_CTXWIN: s.context_window = optarg; break;
		case N_AUTO: s.auto_context = 1; break;
		case N_NOAUTO: s.auto_context = 0; break;
		case N_HIST: s.send_history = 1; break;
		case N_NOHIST: s.send_history = 0; break;
		case 't': cf_settings_add_tag(&s, optarg, 0); break;
		default: {
			const char *a = argv[optind - 1];
			int is_long = a[0] == '-' && a[1] == '-';
			int cut = (int)strcspn(a, "=");
			if (o == ':')
				r = is_long ? cf_error(CF_EX_USAGE, "/new: option '%s' needs a value", a) :
				    cf_error(CF_EX_USAGE, "/new: option '-%c' needs a value", optopt);
			else if (optopt && !is_long)
				r = cf_error(CF_EX_USAGE, "/new: unknown option '-%c'", optopt);
			else if (optopt && strchr(a, '='))
				r = cf_error(CF_EX_USAGE, "/new: option '%.*s' takes no value", cut, a);
			else
				r = cf_error(CF_EX_USAGE, "/new: unknown option '%.*s'", cut, a);
		}
		}
	}
	if (jv_is_valid(r) && optind < argc)
		r = cf_error(CF_EX_USAGE, "/new: unexpected argument '%s'", argv[optind]);
	optind = saved_ind;
	opterr = saved_err;
	if (jv_is_valid(r)) {
		jv ok = guarded(c, check_run, &s);
		if (!jv_is_valid(ok)) {
			jv m = cf_error_message(ok);
			r = cf_error(cf_error_status(ok), "/new: %s", jv_string_value(m));
			jv_free(m);
			jv_free(ok);
		} else {
			jv_free(ok);
			struct created n = {&s};
			jv rec = guarded(c, new_run, &n);
			r = jv_is_valid(rec) ? cf_chat_open(c, rec) : rec;
			if (jv_is_valid(r)) {
				/* as the session confab starts with: gone at the end
				 * if it got no message, named from its first one */
				tab(c)->made = 1;
				tab(c)->fresh = !s.name;
			}
		}
	}
	free(s.tags);
	for (int i = 0; i < argc; i++)
		free(keep[i]);
	free(keep);
	free(argv);
	return r;
}

struct resolve {
	const char *ref;
};

static jv
resolve_run(struct cf_chat *c, void *ctx)
{
	return cf_resolve_session(c->st, ((struct resolve *)ctx)->ref);
}

static jv
cmd_switch(struct cf_chat *c, const char *arg)
{
	jv v = one(arg);
	const char *a = jv_string_value(v);
	jv r;
	long n;
	if (!*a) {
		r = usage("/switch", "SESSION|N");
	} else if (all_digits(a) && !cf_parse_long(a, 1, c->ntabs, &n)) {
		r = cf_chat_open(c, jv_copy(c->tabs[n - 1].session));
	} else {
		struct resolve rs = {a};
		jv rec = guarded(c, resolve_run, &rs);
		r = jv_is_valid(rec) ? cf_chat_open(c, rec) : rec;
	}
	jv_free(v);
	return r;
}

static jv
cmd_sessions(struct cf_chat *c, const char *arg)
{
	jv r = no_args("/sessions", arg);
	if (!jv_is_valid(r))
		return r;
	for (int i = 0; i < c->ntabs; i++) {
		jv rec = c->tabs[i].session;
		char name[256], pm[200], model[200], id[37];
		label(rec, name, sizeof name);
		const char *p = cf_jstr_or_null(rec, "provider");
		const char *m = cf_jstr_or_null(rec, "model");
		snprintf(pm, sizeof pm, "%s%s%s", p ? p : "-", m ? "/" : "", m ? m : "");
		cf_clean(pm, model, sizeof model, 60, 0);
		cf_session_short_id(c->st, cf_jstr(rec, "id"), 8, id);
		jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
		int natt = jv_get_kind(c->tabs[i].attach) == JV_KIND_ARRAY ?
		           jv_array_length(jv_copy(c->tabs[i].attach)) : 0;
		printf("%s%2d  %s%s%s  %s%s%s  %s  %.0f messages", i == c->cur ? "*" : " ",
		       i + 1, sgr(c, CF_BOLD), name, sgr(c, CF_RESET), sgr(c, CF_YELLOW), id,
		       sgr(c, CF_RESET), model, cf_jnum(meta, "messageCount", 0));
		if (natt)
			printf(", %d attached", natt);
		if (c->tabs[i].reset)
			printf(", context cleared");
		putchar('\n');
		jv_free(meta);
	}
	if (!c->ntabs)
		cf_chat_say(c, "no session is open: /new starts one");
	return jv_true();
}

/* The last /search's results, for /open N: one chat per process. */
static jv found;
#define FOUND_MAX 20

static int
found_one(jv rec, void *ctx)
{
	jv *list = ctx;
	*list = jv_array_append(*list, rec);
	return jv_array_length(jv_copy(*list)) >= FOUND_MAX;
}

struct search {
	const char *text;
	jv list;
};

static jv
search_run(struct cf_chat *c, void *ctx)
{
	struct search *se = ctx;
	struct cf_filter f = {.limit = FOUND_MAX};
	f.search = se->text;
	jv_free(cf_bridge(cf_session_list(c->st, &f, found_one, &se->list)));
	return jv_true();
}

/* A snippet with cf_snippet's ** around the matched words: cleaned, and
 * the marks bold when there is color. */
static void
put_snippet(struct cf_chat *c, const char *s)
{
	char buf[1024];
	cf_clean(s, buf, sizeof buf, 0, 0);
	if (!c->color) {
		fputs(buf, stdout);
		return;
	}
	int on = 0;
	for (const char *p = buf; *p; p++) {
		if (p[0] == '*' && p[1] == '*') {
			fputs(on ? CF_RESET : CF_BOLD CF_YELLOW, stdout);
			on = !on;
			p++;
		} else {
			putchar(*p);
		}
	}
	if (on)
		fputs(CF_RESET, stdout);
}

static jv
cmd_search(struct cf_chat *c, const char *arg)
{
	if (!*arg)
		return usage("/search", "WORDS");
	const char *why = NULL;
	char *q = cf_search_query(arg, &why);
	char shown[256];
	cf_clean(arg, shown, sizeof shown, 80, 0);
	if (!q)
		return cf_error(CF_EX_USAGE, "invalid /search '%s': %s", shown, why);
	int empty = !*q;
	free(q);
	if (empty)
		return cf_error(CF_EX_USAGE, "/search '%s': nothing to search for", shown);
	struct search se = {arg, jv_array()};
	jv r = guarded(c, search_run, &se);
	if (!jv_is_valid(r)) {
		jv_free(se.list);
		return r;
	}
	int n = jv_array_length(jv_copy(se.list));
	jv_array_foreach(se.list, i, rec) {
		char name[256], id[37];
		cf_session_short_id(c->st, cf_jstr(rec, "id"), 8, id);
		jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
		printf("%3d  %s%s%s  %s%s%s  %.0f messages\n", i + 1, sgr(c, CF_BOLD),
		       label(rec, name, sizeof name), sgr(c, CF_RESET), sgr(c, CF_YELLOW), id,
		       sgr(c, CF_RESET), cf_jnum(meta, "messageCount", 0));
		jv_free(meta);
		jv m = jv_object_get(rec, jv_string("match"));
		const char *snip = cf_jstr_or_null(m, "snippet");
		if (snip) {
			fputs("     ", stdout);
			put_snippet(c, snip);
			putchar('\n');
		}
		jv_free(m);
	}
	if (!n) {
		cf_chat_say(c, "no session matches '%s'", shown);
		jv_free(se.list);
	} else {
		cf_chat_say(c, "%s: /open N opens one", n >= FOUND_MAX ?
		            "the first 20" : n == 1 ? "one session" : "these");
		jv_free(found);
		found = se.list;
	}
	return jv_true();
}

static jv
cmd_open(struct cf_chat *c, const char *arg)
{
	long n, have = jv_get_kind(found) == JV_KIND_ARRAY ?
	               jv_array_length(jv_copy(found)) : 0;
	if (!*arg)
		return usage("/open", "N");
	if (!have)
		return cf_error(CF_EX_USAGE, "/open %s: no results to open: /search "
		                "WORDS first", arg);
	if (cf_parse_long(arg, 1, have, &n))
		return cf_error(CF_EX_USAGE, "invalid /open '%s': expected a result "
		                "number from 1 to %ld", arg, have);
	jv hit = jv_array_get(jv_copy(found), (int)n - 1);
	jv rec = cf_session_get(c->st, cf_jstr(hit, "id"));
	if (!jv_is_valid(rec)) {
		char name[256];
		jv_free(rec);
		rec = cf_error(CF_EX_NOTFOUND, "session '%s' is gone: another program "
		               "deleted it", label(hit, name, sizeof name));
		jv_free(hit);
		return rec;
	}
	jv_free(hit);
	return cf_chat_open(c, rec);
}

/* ---- /diff: this session against another, as chat-diff shows them ---- */

static jv
cmd_diff(struct cf_chat *c, const char *arg)
{
	jv v = one(arg);
	if (!*jv_string_value(v)) {
		jv_free(v);
		return usage("/diff", "SESSION");
	}
	jv other = cf_resolve_session(c->st, jv_string_value(v));
	jv_free(v);
	if (!jv_is_valid(other))
		return other;
	jv self = fresh(c);
	if (!jv_is_valid(self)) {
		jv_free(other);
		return self;
	}
	cf_diff *d = NULL;
	jv r = cf_diff_sessions(c->st, self, other, &d);
	jv_free(self);
	jv_free(other);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	r = cf_diff_write(d, stdout, CF_DIFF_TEXT, c->color);
	cf_diff_free(d);
	return r;
}

/* ---- the table ---- */

enum comp { C_NONE, C_SESSION, C_FORMAT, C_PROVIDER, C_MODEL, C_PATH, C_COMMAND,
            C_NEW, C_TAG, C_TEMPLATE, C_PLUGIN };

static jv cmd_help(struct cf_chat *c, const char *arg);

static const struct cmd {
	const char *name, *args, *help;
	jv (*run)(struct cf_chat *c, const char *arg);
	enum comp comp;
} cmds[] = {
	{"/help", "[COMMAND]", "the commands, or what one does", cmd_help, C_COMMAND},
	{"/clear", "", "a new context: later messages are sent without the ones "
	 "before (nothing is deleted)", cmd_clear, C_NONE},
	{"/export", "FORMAT [FILE]", "write this session as markdown, json, "
	 "plaintext, html, pdf or docx; FILE defaults to the session's name here",
	 cmd_export, C_FORMAT},
	{"/branch", "[MESSAGE]", "a new session of this one's messages, up to "
	 "MESSAGE (id or prefix; default all); the chat goes on in it",
	 cmd_branch, C_NONE},
	{"/merge", "SOURCE", "append SOURCE's messages to this session, as "
	 "chat-merge does (a branch of it: those after the branch point)",
	 cmd_merge, C_SESSION},
	{"/model", "MODEL", "the model for the next replies", cmd_model, C_MODEL},
	{"/provider", "PROVIDER", "the provider for the next replies", cmd_provider,
	 C_PROVIDER},
	{"/system", "[TEXT]", "the system prompt; without TEXT, none", cmd_system,
	 C_NONE},
	{"/temperature", "[T]", "0 to 2; without T, the provider's default",
	 cmd_temperature, C_NONE},
	{"/max-tokens", "N", "most tokens in a reply", cmd_max_tokens, C_NONE},
	{"/context-window", "N", "earlier messages sent with each request",
	 cmd_context_window, C_NONE},
	{"/context", "[15m|2h|today] [--kind KIND] [--again] [--show]",
	 "attach a summary of the activity events of a window (default 15m) not "
	 "sent before to the next message; --show: what is attached",
	 cf_chat_cmd_context, C_NONE},
	{"/attach", "[FILE...]", "attach files to the next message; without FILE, "
	 "what is attached", cmd_attach, C_PATH},
	{"/detach", "", "attach nothing to the next message", cmd_detach, C_NONE},
	{"/show", "[N]", "this session's messages, or its last N", cmd_show, C_NONE},
	{"/cost", "", "what this session's replies used and cost", cmd_cost, C_NONE},
	{"/rename", "NAME", "rename this session", cmd_rename, C_NONE},
	{"/tag", "[-]TAG...", "add tags; -TAG removes one", cmd_tag, C_TAG},
	{"/option", "[KEY=VALUE...]", "provider options every message sends, as "
	 "chat-set -o (KEY= removes one); without any, what they are", cmd_option, C_NONE},
	{"/star", "", "star this session, or unstar it", cmd_star, C_NONE},
	{"/archive", "", "archive this session (chat-ls hides it), or bring it "
	 "back", cmd_archive, C_NONE},
	{"/new", "[OPTIONS]", "a new session in a new tab, with chat-new's options "
	 "(-n -p -m -S --temperature --max-tokens --context-window -t ...)",
	 cmd_new, C_NEW},
	{"/template", "NAME", "a new session in a new tab from a template "
	 "(chat-template ls lists them)", cf_chat_cmd_template, C_TEMPLATE},
	{"/save-template", "[-f] [-m] NAME", "save this session's settings as a "
	 "template (-m: with its messages; -f: replace one)",
	 cf_chat_cmd_save_template, C_TEMPLATE},
	{"/switch", "SESSION|N", "go to tab N of /sessions, or open SESSION (an "
	 "id, a prefix or a name)", cmd_switch, C_SESSION},
	{"/diff", "SESSION", "this session against SESSION, as chat-diff shows "
	 "them: the common part, then what differs", cmd_diff, C_SESSION},
	{"/sessions", "", "the open tabs, numbered; * marks this one",
	 cmd_sessions, C_NONE},
	{"/search", "WORDS", "search the sessions' messages and names, as "
	 "chat-ls --search does; numbered results", cmd_search, C_NONE},
	{"/open", "N", "open result N of the last /search", cmd_open, C_NONE},
	{"/multi", "", "a message of several lines, up to a line /end", NULL, C_NONE},
	{"/edit", "[MESSAGE]", "write the message in $VISUAL or $EDITOR; with "
	 "MESSAGE (an id or prefix in this session), change that stored message",
	 NULL, C_NONE},
	{"/retry", "[PROVIDER[:MODEL]]", "ask again for the last reply, the "
	 "earlier one kept in its edits", cf_chat_cmd_retry, C_PROVIDER},
	{"/react", "[-]EMOJI [MESSAGE]", "your reaction on the last message, or "
	 "on MESSAGE; -EMOJI takes it off", cf_chat_cmd_react, C_NONE},
	{"/note", "TEXT", "a note on the last message (never sent to a model)",
	 cf_chat_cmd_note, C_NONE},
	{"/rm", "[MESSAGE]", "delete the last message, or MESSAGE (an id or "
	 "prefix in this session)", cf_chat_cmd_rm, C_NONE},
	{"/quit", "", "leave (Ctrl-D too)", cmd_quit, C_NONE},
	{"/plugin", "[NAME [COMMAND ARGS...]]", "run a plugin's command (also as "
	 "/NAME COMMAND); alone, the plugins; /plugin config NAME KEY VALUE sets "
	 "its config", cf_chat_cmd_plugin, C_PLUGIN},
};
#define NCMDS (sizeof cmds / sizeof *cmds)

static const struct cmd *
find(const char *name, size_t n)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strlen(cmds[i].name) == n && !strncmp(cmds[i].name, name, n))
			return &cmds[i];
	return NULL;
}

static void
help_line(struct cf_chat *c, const struct cmd *k)
{
	char head[64];
	snprintf(head, sizeof head, "%s%s%s", k->name, *k->args ? " " : "", k->args);
	printf("  %s%-26s%s %s\n", sgr(c, CF_BOLD), head, sgr(c, CF_RESET), k->help);
}

static jv
cmd_help(struct cf_chat *c, const char *arg)
{
	if (*arg) {
		const char *a = arg[0] == '/' ? arg : NULL;
		char name[64];
		if (!a) {
			snprintf(name, sizeof name, "/%s", arg);
			a = name;
		}
		const struct cmd *k = find(a, strlen(a));
		if (!k) {
			char shown[64];
			cf_clean(arg, shown, sizeof shown, 30, 0);
			return cf_error(CF_EX_USAGE, "/help: no command '%s' (/help lists them)",
			                shown);
		}
		help_line(c, k);
		return jv_true();
	}
	printf("Commands (a line that is not one is sent as a message):\n");
	for (size_t i = 0; i < NCMDS; i++)
		help_line(c, &cmds[i]);
	printf("Quote an argument that holds blanks: /attach 'my notes.txt'.\n"
	       "A line ending in \\ goes on on the next line.  Tab completes commands\n"
	       "and their arguments.  confab(1) says more.\n");
	return jv_true();
}

const char *const *
cf_chat_command_names(void)
{
	static const char *names[NCMDS + 1];
	if (!names[0])
		for (size_t i = 0; i < NCMDS; i++)
			names[i] = cmds[i].name;
	return names;
}

jv
cf_chat_command(struct cf_chat *c, const char *line)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, " \t\r\n");
	const struct cmd *k = *p == '/' ? find(p, n) : NULL;
	if (!k && *p == '/' && n > 1) {
		/* a plugin's name, where no command has it */
		jv r = cf_chat_plugin_line(c, p + 1, n - 1, p + n);
		fflush(stdout);
		if (jv_get_kind(r) != JV_KIND_FALSE)
			return r;
	}
	if (!k) {
		char shown[64];
		snprintf(shown, sizeof shown, "%.*s", (int)(n < 40 ? n : 40), p);
		char clean[128];
		cf_clean(shown, clean, sizeof clean, 40, 0);
		return cf_error(CF_EX_USAGE, "unknown command '%s' (/help lists them)", clean);
	}
	if (!k->run)
		return cf_error(CF_EX_USAGE, "%s works at the prompt only", k->name);
	/* the argument: the rest of the line, without the blanks around it */
	const char *a = p + n;
	while (*a == ' ' || *a == '\t')
		a++;
	size_t len = strlen(a);
	while (len && strchr(" \t\r\n", a[len - 1]))
		len--;
	char *arg = cf_xmalloc(len + 1);
	memcpy(arg, a, len);
	arg[len] = '\0';
	jv r = k->run(c, arg);
	free(arg);
	fflush(stdout);
	return r;
}

/* ---- completion ---- */

/* Appends to out each of cands (consumed) that starts with the len bytes
 * of prefix, less its first skip bytes: the word being completed starts
 * skip bytes into the argument. */
static jv
matching(jv out, jv cands, const char *prefix, size_t len, size_t skip)
{
	jv_array_foreach(cands, i, x) {
		if (jv_get_kind(x) == JV_KIND_STRING) {
			const char *s = jv_string_value(x);
			if (!strncmp(s, prefix, len) && strlen(s) >= skip)
				out = jv_array_append(out, jv_string(s + skip));
		}
		jv_free(x);
		(void)i;
	}
	jv_free(cands);
	return out;
}

static jv
provider_names(void)
{
	jv out = jv_array();
	const char *l = cf_provider_list();
	while (*l) {
		size_t n = strcspn(l, ", ");
		if (n)
			out = jv_array_append(out, jv_string_sized(l, (int)n));
		l += n;
		l += strspn(l, ", ");
	}
	return out;
}

struct names {
	const char *prefix;
	jv list;
};

static jv
names_run(struct cf_chat *c, void *ctx)
{
	struct names *nm = ctx;
	cf_sql_stmt *s = cf_prepare(c->st,
		"SELECT name FROM sessions WHERE substr(name, 1, length(?1)) = ?1"
		" GROUP BY name ORDER BY max(last_updated) DESC LIMIT 100");
	cf_bind_text(s, 1, nm->prefix);
	while (cf_sql_step(s) == CF_SQL_ROW)
		nm->list = jv_array_append(nm->list, cf_col_text(s, 0));
	cf_sql_finalize(s);
	return jv_true();
}

/* The open tabs' names first, then the store's, newest first. */
static jv
session_names(struct cf_chat *c, const char *prefix)
{
	struct names nm = {prefix, jv_array()};
	for (int i = 0; i < c->ntabs; i++)
		nm.list = jv_array_append(nm.list,
			jv_object_get(jv_copy(c->tabs[i].session), jv_string("name")));
	jv r = guarded(c, names_run, &nm);
	jv_free(r);
	return nm.list;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Paths starting with word: a folder's entries (hidden ones when the
 * word's last part starts with '.'), folders ending in '/'. */
static jv
paths(jv out, const char *word, size_t len)
{
	char *w = cf_xmalloc(len + 1);
	memcpy(w, word, len);
	w[len] = '\0';
	const char *slash = strrchr(w, '/');
	size_t dn = slash ? (size_t)(slash - w) + 1 : 0;
	jv dir = dn ? jv_string_sized(w, (int)dn) : jv_string(".");
	jv real = expand(jv_string_value(dir));
	const char *base = w + dn;
	DIR *d = opendir(jv_string_value(real));
	char **found_names = NULL;
	size_t n = 0, cap = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) && n < 1000) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (e->d_name[0] == '.' && base[0] != '.')
				continue;
			if (strncmp(e->d_name, base, strlen(base)))
				continue;
			jv full = jv_string_fmt("%s/%s", jv_string_value(real), e->d_name);
			struct stat sb;
			int isdir = stat(jv_string_value(full), &sb) == 0 && S_ISDIR(sb.st_mode);
			jv_free(full);
			if (n == cap)
				found_names = cf_xrealloc(found_names, sizeof *found_names *
				                          (cap = cap ? cap * 2 : 16));
			/* a blank or a quote backslashed, as words() reads it:
			 * /attach and /export take the name as one word */
			jv esc = jv_string("");
			for (const char *q = e->d_name; *q; q++) {
				if (strchr(" \t'\"\\", *q))
					esc = jv_string_append_str(esc, "\\");
				esc = jv_string_append_buf(esc, q, 1);
			}
			jv cand = jv_string_fmt("%.*s%s%s", (int)dn, w, jv_string_value(esc),
			                        isdir ? "/" : "");
			jv_free(esc);
			found_names[n++] = cf_xstrdup(jv_string_value(cand));
			jv_free(cand);
		}
		closedir(d);
	}
	qsort(found_names, n, sizeof *found_names, by_string);
	for (size_t i = 0; i < n; i++) {
		out = jv_array_append(out, jv_string(found_names[i]));
		free(found_names[i]);
	}
	free(found_names);
	jv_free(real);
	jv_free(dir);
	free(w);
	return out;
}

static jv
format_names(void)
{
	jv out = jv_array();
	for (int i = 0; cf_formats[i]; i++)
		out = jv_array_append(out, jv_string(cf_formats[i]->name));
	return out;
}

jv
cf_chat_complete(struct cf_chat *c, const char *line, size_t cursor)
{
	size_t n = strnlen(line, cursor);
	jv out = jv_array();
	/* the word before the cursor, back to the last blank */
	size_t ws = n;
	while (ws > 0 && line[ws - 1] != ' ' && line[ws - 1] != '\t')
		ws--;
	const char *word = line + ws;
	size_t wl = n - ws;
	size_t cs = strspn(line, " \t");
	if (cs >= n || line[cs] != '/')
		return out;
	size_t ce = cs;
	while (ce < n && line[ce] != ' ' && line[ce] != '\t')
		ce++;
	if (ws <= cs) {
		for (size_t i = 0; i < NCMDS; i++)
			if (!strncmp(cmds[i].name, word, wl))
				out = jv_array_append(out, jv_string(cmds[i].name));
		return cf_chat_plugin_complete(out, NULL, 0, NULL, 0, word, wl);
	}
	const struct cmd *k = find(line + cs, ce - cs);
	if (!k)
		return cf_chat_plugin_complete(out, line + cs + 1, ce - cs - 1,
		                               line + ce, ws - ce, word, wl);
	size_t as = ce + strspn(line + ce, " \t");
	/* which word of the argument this is, from 0 */
	int index = 0;
	for (size_t i = as; i < ws; i++)
		if ((line[i] == ' ' || line[i] == '\t') && line[i - 1] != ' ' &&
		    line[i - 1] != '\t')
			index++;
	char prev[64] = "";
	if (index > 0) {
		/* the word before this one, for /new's options */
		size_t pe = ws;
		while (pe > as && (line[pe - 1] == ' ' || line[pe - 1] == '\t'))
			pe--;
		size_t ps = pe;
		while (ps > as && line[ps - 1] != ' ' && line[ps - 1] != '\t')
			ps--;
		snprintf(prev, sizeof prev, "%.*s", (int)(pe - ps), line + ps);
	}
	switch (k->comp) {
	case C_SESSION: {
		/* a name may hold blanks: the whole argument is matched */
		char *pre = cf_xmalloc(n - as + 1);
		memcpy(pre, line + as, n - as);
		pre[n - as] = '\0';
		jv names = session_names(c, pre);
		jv got = matching(jv_array(), names, pre, n - as, ws - as);
		/* once each, in the order found */
		jv seen = jv_object();
		jv_array_foreach(got, i, x) {
			jv had = jv_object_get(jv_copy(seen), jv_copy(x));
			if (!jv_is_valid(had)) {
				seen = jv_object_set(seen, jv_copy(x), jv_true());
				out = jv_array_append(out, x);
			} else {
				jv_free(x);
			}
			jv_free(had);
			(void)i;
		}
		jv_free(seen);
		jv_free(got);
		free(pre);
		break;
	}
	case C_FORMAT:
		if (index == 0)
			out = matching(out, format_names(), word, wl, 0);
		else if (index == 1)
			out = paths(out, word, wl);
		break;
	case C_PROVIDER:
		if (index == 0)
			out = matching(out, provider_names(), word, wl, 0);
		break;
	case C_MODEL:
		if (index == 0)
			out = matching(out, cf_price_models(), word, wl, 0);
		break;
	case C_PATH:
		out = paths(out, word, wl);
		break;
	case C_COMMAND:
		if (index == 0) {
			jv names = jv_array();
			for (size_t i = 0; i < NCMDS; i++)
				names = jv_array_append(names, jv_string(cmds[i].name + 1));
			out = matching(out, names, word, wl, 0);
		}
		break;
	case C_NEW:
		if (!strcmp(prev, "-p") || !strcmp(prev, "--provider")) {
			out = matching(out, provider_names(), word, wl, 0);
		} else if (!strcmp(prev, "-m") || !strcmp(prev, "--model")) {
			out = matching(out, cf_price_models(), word, wl, 0);
		} else if (wl && word[0] == '-') {
			jv opts = jv_array();
			for (const struct option *o = new_opts; o->name; o++)
				opts = jv_array_append(opts, jv_string_fmt("--%s", o->name));
			out = matching(out, opts, word, wl, 0);
		}
		break;
	case C_TAG:
		/* -TAG: the session's own tags */
		if (wl && word[0] == '-' && tab(c)) {
			jv meta = jv_object_get(jv_copy(tab(c)->session), jv_string("metadata"));
			jv tags = jv_object_get(meta, jv_string("tags"));
			jv minus = jv_array();
			if (jv_get_kind(tags) == JV_KIND_ARRAY)
				jv_array_foreach(tags, i, t) {
					if (jv_get_kind(t) == JV_KIND_STRING)
						minus = jv_array_append(minus,
							jv_string_fmt("-%s", jv_string_value(t)));
					jv_free(t);
				}
			jv_free(tags);
			out = matching(out, minus, word, wl, 0);
		}
		break;
	case C_TEMPLATE:
		if (!(wl && word[0] == '-'))
			out = matching(out, cf_chat_template_names(), word, wl, 0);
		break;
	case C_PLUGIN:
		out = cf_chat_plugin_complete(out, "plugin", 6, line + ce, ws - ce, word, wl);
		break;
	case C_NONE:
		break;
	}
	return out;
}
