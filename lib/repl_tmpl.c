/* repl_tmpl.c — confab's /template and /save-template: chat-new
 * --template and chat-template save from inside the chat.  Apart from
 * template.c, so that the programs linking templates (chat-new,
 * chat-template) do not pull in the chat and libedit with it. */
#include <stdlib.h>
#include <string.h>

#include "repl.h"

/* err with the command's name in front; consumes err. */
static jv
named(const char *cmd, jv err)
{
	jv m = cf_error_message(err);
	jv e = cf_error(cf_error_status(err), "%s: %s", cmd, jv_string_value(m));
	jv_free(m);
	jv_free(err);
	return e;
}

jv
cf_chat_cmd_template(struct cf_chat *c, const char *arg)
{
	if (!*arg || strpbrk(arg, " \t"))
		return cf_error(CF_EX_USAGE, "usage: /template NAME");
	jv trec = cf_template_get(arg);
	if (!jv_is_valid(trec))
		return named("/template", trec);
	jv origin = jv_object_get(jv_copy(trec), jv_string("origin"));
	struct cf_settings none;
	cf_settings_init(&none);
	jv plan = cf_template_plan(trec, &none);
	if (!jv_is_valid(plan)) {
		jv_free(origin);
		return named("/template", plan);
	}
	int opening = jv_array_length(jv_object_get(jv_copy(plan), jv_string("messages")));
	jv r = cf_store_begin(c->st);
	if (!jv_is_valid(r)) {
		jv_free(plan);
		jv_free(origin);
		return r;
	}
	jv_free(r);
	jv rec = cf_template_start(c->st, plan);
	if (!jv_is_valid(rec)) {
		cf_store_rollback(c->st);
		jv_free(origin);
		return rec;
	}
	r = cf_store_commit(c->st);
	if (!jv_is_valid(r)) {
		jv_free(rec);
		jv_free(origin);
		return r;
	}
	jv_free(r);
	cf_chat_say(c, "a new session from the %s template '%s'", jv_string_value(origin), arg);
	jv_free(origin);
	r = cf_chat_open(c, rec);
	if (jv_is_valid(r)) {
		/* as /new's: gone at the end if nothing was added to it, named
		 * from the first message sent */
		struct cf_tab *t = &c->tabs[c->cur];
		t->made = 1;
		t->fresh = 1;
		t->opening = opening;
	}
	return r;
}

jv
cf_chat_cmd_save_template(struct cf_chat *c, const char *arg)
{
	int force = 0, with = 0;
	const char *name = NULL;
	char *buf = cf_xstrdup(arg);
	jv r = jv_true();
	for (char *w = strtok(buf, " \t"); w && jv_is_valid(r); w = strtok(NULL, " \t")) {
		if (!strcmp(w, "-f") || !strcmp(w, "--force"))
			force = 1;
		else if (!strcmp(w, "-m") || !strcmp(w, "--with-messages"))
			with = 1;
		else if (w[0] == '-' || name)
			r = cf_error(CF_EX_USAGE, "usage: /save-template [-f] [-m] NAME");
		else
			name = w;
	}
	if (jv_is_valid(r) && !name)
		r = cf_error(CF_EX_USAGE, "usage: /save-template [-f] [-m] NAME");
	if (jv_is_valid(r) && (c->ntabs <= 0 || c->cur < 0 || c->cur >= c->ntabs))
		r = cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	if (jv_is_valid(r)) {
		r = cf_template_name_check(name);
		if (!jv_is_valid(r))
			r = named("/save-template", r);
	}
	if (!jv_is_valid(r)) {
		free(buf);
		return r;
	}
	jv_free(r);
	jv sess = cf_session_get(c->st, cf_jstr(c->tabs[c->cur].session, "id"));
	if (!jv_is_valid(sess)) {
		free(buf);
		if (cf_is_error(sess))
			return sess;
		return cf_error(CF_EX_NOTFOUND, "/save-template: this session is gone: "
		                "another program deleted it");
	}
	jv tpl = cf_template_from_session(c->st, sess, with);
	if (jv_is_valid(tpl))
		tpl = cf_template_save(name, tpl, force);
	if (!jv_is_valid(tpl)) {
		jv m = cf_error_message(tpl);
		/* the chat has no --force: say its own flag */
		const char *s = jv_string_value(m);
		const char *f = strstr(s, "--force replaces it");
		jv e = f ? cf_error(cf_error_status(tpl), "/save-template: %.*s/save-template "
		                    "-f %s replaces it", (int)(f - s), s, name) :
		       cf_error(cf_error_status(tpl), "/save-template: %s", s);
		jv_free(m);
		jv_free(tpl);
		free(buf);
		return e;
	}
	char path[4200];
	cf_clean(cf_jstr(tpl, "path"), path, sizeof path, 0, 0);
	cf_chat_say(c, "saved the template '%s' (%s)", name, path);
	jv_free(tpl);
	free(buf);
	return jv_true();
}

jv
cf_chat_template_names(void)
{
	jv out = jv_array();
	jv list = cf_template_list();
	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, r) {
			out = jv_array_append(out, jv_object_get(r, jv_string("name")));
			(void)i;
		}
	jv_free(list);
	return out;
}
