/* plugin_cmd.c — confab's /plugin and /NAME COMMAND over plugin.c: the
 * records shown, the context kept for the next message (as text
 * attachments of it, so it reaches the model and stays with the
 * message), every command run recorded in that message's
 * context.pluginCommands. */
#include <stdlib.h>
#include <string.h>

#include "repl.h"

static struct cf_tab *
tab_of(struct cf_chat *c)
{
	return c->ntabs ? &c->tabs[c->cur] : NULL;
}

static int
is_array(jv v)
{
	return jv_get_kind(v) == JV_KIND_ARRAY;
}

/* A list of the tab's, made an array when it is none yet. */
static jv *
tab_list(jv *l)
{
	if (!is_array(*l)) {
		jv_free(*l);
		*l = jv_array();
	}
	return l;
}

/* The names a plugin's commands are, for messages: "a, b, c". */
static jv
command_names(jv d, jv *names)
{
	jv s = jv_string("");
	jv cl = jv_object_get(jv_copy(d), jv_string("commands"));
	if (names)
		*names = jv_array();
	jv_array_foreach(cl, i, k) {
		s = jv_string_append_str(s, i ? ", " : "");
		s = jv_string_append_str(s, cf_jstr(k, "name"));
		if (names)
			*names = jv_array_append(*names, jv_string(cf_jstr(k, "name")));
		jv_free(k);
	}
	jv_free(cl);
	return s;
}

static jv
list_plugins(struct cf_chat *c)
{
	(void)c;
	jv list = cf_plugin_list();
	if (!jv_array_length(jv_copy(list))) {
		jv_free(list);
		printf("no plugins (chat-plugin-NAME executables on PATH or in the "
		       "plugin folder: confab-plugin(7))\n");
		return jv_true();
	}
	jv_array_foreach(list, i, p) {
		char name[128], what[512];
		cf_clean(cf_jstr(p, "name"), name, sizeof name, 40, 0);
		jv d = cf_plugin_describe(cf_jstr(p, "name"));
		if (jv_is_valid(d)) {
			jv s = command_names(d, NULL);
			cf_clean(jv_string_value(s), what, sizeof what, 60, 0);
			jv_free(s);
		} else {
			jv m = cf_error_message(d);
			cf_clean(jv_string_value(m), what, sizeof what, 60, 0);
			jv_free(m);
		}
		jv_free(d);
		printf("  %-16s %s\n", name, what);
		jv_free(p);
		(void)i;
	}
	jv_free(list);
	return jv_true();
}

static jv
show_commands(const char *name)
{
	jv d = cf_plugin_describe(name);
	if (!jv_is_valid(d))
		return d;
	jv cl = jv_object_get(d, jv_string("commands"));
	jv_array_foreach(cl, i, k) {
		char head[256], desc[512];
		jv h = jv_string_fmt("/%s %s %s", name, cf_jstr(k, "name"), cf_jstr(k, "usage"));
		cf_clean(jv_string_value(h), head, sizeof head, 40, 0);
		cf_clean(cf_jstr(k, "description"), desc, sizeof desc, 0, 0);
		printf("  %-30s %s\n", head, desc);
		jv_free(h);
		jv_free(k);
		(void)i;
	}
	if (!jv_array_length(jv_copy(cl)))
		printf("plugin '%s' has no commands\n", name);
	jv_free(cl);
	return jv_true();
}

/* The command run, into the tab's list for the next message. */
static void
record_command(struct cf_tab *t, const char *name, jv w, struct cf_plugin_out *o)
{
	jv args = jv_array();
	int n = jv_array_length(jv_copy(w));
	for (int i = 2; i < n; i++)
		args = jv_array_append(args, jv_array_get(jv_copy(w), i));
	jv r = jv_object_set(jv_object(), jv_string("plugin"), jv_string(name));
	r = jv_object_set(r, jv_string("command"), jv_array_get(jv_copy(w), 1));
	r = jv_object_set(r, jv_string("args"), args);
	r = jv_object_set(r, jv_string("at"), cf_time_jv(o->at));
	r = jv_object_set(r, jv_string("exit"), jv_number(o->exit));
	if (o->added)
		r = jv_object_set(r, jv_string("added"), jv_number(o->added));
	jv *l = tab_list(&t->plugin_cmds);
	*l = jv_array_append(*l, r);
}

/* w: [NAME, COMMAND, ARGS...]. */
static jv
run_command(struct cf_chat *c, jv w)
{
	struct cf_tab *t = tab_of(c);
	jv name = jv_array_get(jv_copy(w), 0), cmd = jv_array_get(jv_copy(w), 1);
	const char *nm = jv_string_value(name), *cm = jv_string_value(cmd);
	/* Ctrl-C stops a plugin that takes its time to describe itself too */
	cf_chat_busy(1);
	jv d = cf_plugin_describe(nm);
	cf_chat_busy(0);
	jv res = jv_true();
	if (!jv_is_valid(d)) {
		res = d;
		goto out;
	}
	jv names;
	jv list = command_names(d, &names);
	int known = 0;
	jv_array_foreach(names, i, x) {
		known |= !strcmp(jv_string_value(x), cm);
		jv_free(x);
		(void)i;
	}
	jv_free(names);
	jv_free(d);
	if (!known) {
		char shown[64], all[256];
		cf_clean(cm, shown, sizeof shown, 30, 0);
		cf_clean(jv_string_value(list), all, sizeof all, 80, 0);
		jv_free(list);
		res = cf_error(CF_EX_USAGE, "plugin '%s' has no command '%s' (its commands: %s)",
		               nm, shown, *all ? all : "none");
		goto out;
	}
	jv_free(list);
	int n = jv_array_length(jv_copy(w));
	const char **args = cf_xmalloc(sizeof *args * (size_t)(n > 2 ? n - 2 : 1));
	jv keep = jv_array();   /* the args' strings, alive while they run */
	for (int i = 2; i < n; i++) {
		jv a = jv_array_get(jv_copy(w), i);
		args[i - 2] = jv_string_value(a);
		keep = jv_array_append(keep, a);
	}
	struct cf_plugin_out o;
	cf_chat_busy(1);
	jv recs = cf_plugin_run(c->st, nm, cm, args, n - 2, jv_copy(t->session), &o);
	cf_chat_busy(0);
	free(args);
	jv_free(keep);
	if (o.exit >= 0)
		record_command(t, nm, w, &o);
	if (!jv_is_valid(recs)) {
		res = recs;
		goto out;
	}
	jv label = jv_string_fmt("%s %s", nm, cm);
	for (int i = 2; i < n; i++) {
		jv a = jv_array_get(jv_copy(w), i);
		label = jv_string_append_str(jv_string_append_str(label, " "), jv_string_value(a));
		jv_free(a);
	}
	jv_array_foreach(recs, i, r) {
		const char *type = cf_jstr(r, "type");
		if (!strcmp(type, "text")) {
			const char *s = cf_jstr(r, "content");
			cf_put_clean(s);
			if (*s && s[strlen(s) - 1] != '\n')
				fputc('\n', stdout);
			jv_free(r);
		} else if (!strcmp(type, "context")) {
			jv e = jv_object_set(jv_object(), jv_string("name"), jv_copy(label));
			e = jv_object_set(e, jv_string("content"), jv_string(cf_jstr(r, "content")));
			/* the files it read (confab-plugin(7)), for context.files */
			jv fl = jv_object_get(jv_copy(r), jv_string("files"));
			if (jv_get_kind(fl) == JV_KIND_ARRAY)
				e = jv_object_set(e, jv_string("files"), fl);
			else
				jv_free(fl);
			jv *l = tab_list(&t->plugin_ctx);
			*l = jv_array_append(*l, e);
			char shown[128], size[32];
			cf_clean(jv_string_value(label), shown, sizeof shown, 60, 0);
			cf_size_text((long)strlen(cf_jstr(r, "content")), size, sizeof size);
			cf_chat_say(c, "attached for the next message: %s (%s)", shown, size);
			jv_free(r);
		} else if (!strcmp(type, "message")) {
			cf_chat_show_message(c, r);
		} else {
			jv_free(r);   /* a later protocol's: not ours to show */
		}
		(void)i;
	}
	jv_free(label);
	jv_free(recs);
	if (o.added) {
		jv s = cf_session_get(c->st, cf_jstr(t->session, "id"));
		if (jv_get_kind(s) == JV_KIND_OBJECT) {
			jv_free(t->session);
			t->session = s;
		} else {
			jv_free(s);
		}
	}
out:
	jv_free(name);
	jv_free(cmd);
	jv_free(w);
	return res;
}

jv
cf_chat_cmd_plugin(struct cf_chat *c, const char *arg)
{
	jv w = cf_chat_words(arg);
	if (!jv_is_valid(w))
		return w;
	int n = jv_array_length(jv_copy(w));
	jv w0 = n ? jv_array_get(jv_copy(w), 0) : jv_string("");
	const char *a0 = jv_string_value(w0);
	jv res;
	if (!n || !strcmp(a0, "ls")) {
		res = n > 1 ? cf_error(CF_EX_USAGE, "/plugin ls takes no argument") :
		      list_plugins(c);
		jv_free(w);
	} else if (!strcmp(a0, "config")) {
		if (n != 4) {
			res = cf_error(CF_EX_USAGE, "/plugin config takes NAME KEY VALUE");
		} else {
			jv nm = jv_array_get(jv_copy(w), 1), k = jv_array_get(jv_copy(w), 2),
			   v = jv_array_get(jv_copy(w), 3);
			res = cf_plugin_config_set(jv_string_value(nm), jv_string_value(k),
			                           jv_string_value(v));
			if (jv_is_valid(res)) {
				char key[128];
				cf_clean(jv_string_value(k), key, sizeof key, 40, 0);
				/* the value is not echoed: it may be a token */
				cf_chat_say(c, "set %s in [plugin.%s] of %s", key,
				            jv_string_value(nm), cf_config_path());
			}
			jv_free(nm);
			jv_free(k);
			jv_free(v);
		}
		jv_free(w);
	} else if (n == 1) {
		res = show_commands(a0);
		jv_free(w);
	} else if (!tab_of(c)) {
		res = cf_error(CF_EX_USAGE, "/plugin: no session open");
		jv_free(w);
	} else {
		res = run_command(c, w);
	}
	jv_free(w0);
	return res;
}

jv
cf_chat_plugin_line(struct cf_chat *c, const char *name, size_t n, const char *rest)
{
	char nm[128];
	if (n >= sizeof nm)
		return jv_false();
	memcpy(nm, name, n);
	nm[n] = '\0';
	jv path = cf_plugin_find(nm);
	int is = jv_is_valid(path);
	jv_free(path);
	if (!is)
		return jv_false();
	jv line = jv_string_fmt("%s %s", nm, rest);
	jv r = cf_chat_cmd_plugin(c, jv_string_value(line));
	jv_free(line);
	return r;
}

/* ---- completion ---- */

static int
builtin(const char *slashed)
{
	for (const char *const *k = cf_chat_command_names(); *k; k++)
		if (!strcmp(*k, slashed))
			return 1;
	return 0;
}

static jv
append_matching(jv out, jv cands, const char *pre, const char *word, size_t wl)
{
	jv_array_foreach(cands, i, x) {
		jv s = jv_string_fmt("%s%s", pre, jv_string_value(x));
		if (!strncmp(jv_string_value(s), word, wl))
			out = jv_array_append(out, s);
		else
			jv_free(s);
		jv_free(x);
		(void)i;
	}
	jv_free(cands);
	return out;
}

static jv
plugin_names(int slashed)
{
	jv list = cf_plugin_list(), names = jv_array();
	jv_array_foreach(list, i, p) {
		jv s = jv_string_fmt("/%s", cf_jstr(p, "name"));
		if (!slashed || !builtin(jv_string_value(s)))
			names = jv_array_append(names, jv_string(cf_jstr(p, "name")));
		jv_free(s);
		jv_free(p);
		(void)i;
	}
	jv_free(list);
	return names;
}

static jv
commands_of(const char *name)
{
	jv d = cf_plugin_describe(name), names = jv_array();
	if (jv_is_valid(d)) {
		jv s = command_names(d, &names);
		jv_free(s);
	}
	jv_free(d);
	return names;
}

jv
cf_chat_plugin_complete(jv out, const char *cmd, size_t cn, const char *args, size_t an,
                        const char *word, size_t wl)
{
	if (!cmd)
		return append_matching(out, plugin_names(1), "/", word, wl);
	/* the words before the one completed */
	jv before = jv_array();
	for (size_t i = 0; i < an;) {
		while (i < an && (args[i] == ' ' || args[i] == '\t'))
			i++;
		size_t b = i;
		while (i < an && args[i] != ' ' && args[i] != '\t')
			i++;
		if (i > b)
			before = jv_array_append(before, jv_string_sized(args + b, (int)(i - b)));
	}
	int index = jv_array_length(jv_copy(before));
	char name[128];
	snprintf(name, sizeof name, "%.*s", (int)(cn < 127 ? cn : 127), cmd);
	if (strcmp(name, "plugin")) {
		char slashed[130];
		snprintf(slashed, sizeof slashed, "/%s", name);
		if (index == 0 && !builtin(slashed))
			out = append_matching(out, commands_of(name), "", word, wl);
	} else if (index == 0) {
		jv cands = jv_array_append(jv_array_append(jv_array(), jv_string("ls")),
		                           jv_string("config"));
		out = append_matching(out, jv_array_concat(cands, plugin_names(0)), "", word, wl);
	} else {
		jv w0 = jv_array_get(jv_copy(before), 0);
		if (!strcmp(jv_string_value(w0), "config")) {
			if (index == 1)
				out = append_matching(out, plugin_names(0), "", word, wl);
		} else if (index == 1 && strcmp(jv_string_value(w0), "ls")) {
			out = append_matching(out, commands_of(jv_string_value(w0)), "", word, wl);
		}
		jv_free(w0);
	}
	jv_free(before);
	return out;
}

/* ---- the next message ---- */

jv
cf_chat_plugin_turn(struct cf_tab *t, struct cf_turn *tu, const char *const *paths,
                    int n, struct cf_files *f)
{
	int nctx = is_array(t->plugin_ctx) ? jv_array_length(jv_copy(t->plugin_ctx)) : 0;
	if (is_array(t->plugin_cmds) && jv_array_length(jv_copy(t->plugin_cmds))) {
		jv_free(tu->msg_context);
		tu->msg_context = jv_object_set(jv_object(), jv_string("pluginCommands"),
		                                jv_copy(t->plugin_cmds));
	}
	if (!nctx)
		return jv_false();
	jv e = cf_files_load(f, paths, n);
	if (!jv_is_valid(e))
		return e;
	jv_free(e);
	f->blobs = cf_xrealloc(f->blobs, sizeof *f->blobs * (size_t)(f->n + nctx));
	jv_array_foreach(t->plugin_ctx, i, x) {
		jv fl = jv_object_get(jv_copy(x), jv_string("files"));
		if (jv_get_kind(fl) == JV_KIND_ARRAY) {
			jv_array_foreach(fl, j, p) {
				if (jv_get_kind(p) == JV_KIND_STRING) {
					const char *one = jv_string_value(p);
					cf_actctx_files(&tu->msg_context, &one, 1);
				}
				jv_free(p);
				(void)j;
			}
		}
		jv_free(fl);
		const char *s = cf_jstr(x, "content");
		size_t len = strlen(s);
		char *p = cf_xmalloc(len + 1);
		memcpy(p, s, len + 1);
		f->blobs[f->n++] = (struct cf_blob){p, len};
		jv a = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
		/* the name the model reads it under: which command gave it */
		a = jv_object_set(a, jv_string("name"), jv_string_fmt("plugin %s",
		                  cf_jstr(x, "name")));
		a = jv_object_set(a, jv_string("mimeType"), jv_string("text/plain"));
		f->list = jv_array_append(f->list, a);
		jv_free(x);
		(void)i;
	}
	tu->files = f;
	return jv_true();
}

void
cf_chat_plugin_sent(struct cf_tab *t)
{
	jv_free(t->plugin_ctx);
	jv_free(t->plugin_cmds);
	t->plugin_ctx = jv_invalid();
	t->plugin_cmds = jv_invalid();
}

void
cf_chat_plugin_prompt(struct cf_tab *t, char *att, size_t n)
{
	if (!is_array(t->plugin_ctx))
		return;
	size_t o = strlen(att);
	jv_array_foreach(t->plugin_ctx, i, x) {
		char clean[128];
		cf_clean(cf_jstr(x, "name"), clean, sizeof clean, 30, 0);
		if (o < n)
			o += (size_t)snprintf(att + o, n - o, "%s%s", o ? ", " : " + ", clean);
		jv_free(x);
		(void)i;
	}
}
