/* repl_actctx.c — confab's /context: activity events chosen now, shown,
 * and attached to the next message by its turn (actctx.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

static struct cf_tab *
this_tab(struct cf_chat *c)
{
	return c->ntabs > 0 && c->cur >= 0 && c->cur < c->ntabs ?
	       &c->tabs[c->cur] : NULL;
}

static void
show(struct cf_chat *c, struct cf_tab *t)
{
	if (jv_get_kind(t->activity) != JV_KIND_OBJECT || !cf_actctx_count(t->activity)) {
		cf_chat_say(c, "no activity events attached");
		return;
	}
	cf_chat_say(c, "attached for the next message: %d activity event%s",
	            cf_actctx_count(t->activity), cf_actctx_count(t->activity) == 1 ? "" : "s");
	jv lines = jv_object_get(jv_copy(t->activity), jv_string("lines"));
	jv_array_foreach(lines, i, l) {
		char clean[512];
		cf_clean(jv_string_value(l), clean, sizeof clean, 200, 0);
		printf("  %s\n", clean);
		jv_free(l);
		(void)i;
	}
	jv_free(lines);
}

jv
cf_chat_cmd_context(struct cf_chat *c, const char *arg)
{
	struct cf_tab *t = this_tab(c);
	if (!t)
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	char *copy = cf_xstrdup(arg ? arg : "");
	const char *window = NULL, *kind = NULL;
	int again = 0, want_show = 0;
	jv r = jv_true();
	for (char *w = strtok(copy, " \t"); w && jv_is_valid(r); w = strtok(NULL, " \t")) {
		if (!strcmp(w, "--show"))
			want_show = 1;
		else if (!strcmp(w, "--again"))
			again = 1;
		else if (!strcmp(w, "--kind")) {
			kind = strtok(NULL, " \t");
			if (!kind || !cf_activity_kind_ok(kind))
				r = cf_error(CF_EX_USAGE, "/context: --kind needs one of error, "
				             "command, file, test, note, escalation");
		} else if (w[0] == '-' || window) {
			char shown[64];
			cf_clean(w, shown, sizeof shown, 30, 0);
			r = cf_error(CF_EX_USAGE, "/context: unexpected '%s'", shown);
		} else
			window = w;
	}
	if (!jv_is_valid(r)) {
		free(copy);
		return r;
	}
	jv_free(r);
	if (want_show && !window && !kind && !again) {
		free(copy);
		show(c, t);
		return jv_true();
	}
	int64_t since;
	if (!window)
		window = "15m";
	if (cf_activity_since(window, &since)) {
		char shown[64];
		cf_clean(window, shown, sizeof shown, 30, 0);
		free(copy);
		return cf_error(CF_EX_USAGE, "/context: invalid window '%s': an age (15m, 2h), "
		                "today, yesterday or a time", shown);
	}
	const char *sid = jv_get_kind(t->session) == JV_KIND_OBJECT ?
	                  cf_jstr(t->session, "id") : NULL;
	jv sel = cf_actctx_select(c->st, sid, since, kind, again);
	if (!jv_is_valid(sel)) {
		free(copy);
		return sel;
	}
	jv l = cf_actctx_line(sel, window);
	cf_chat_say(c, "%s", jv_string_value(l));
	jv_free(l);
	free(copy);
	if (!cf_actctx_count(sel)) {
		jv_free(sel);
		return jv_true();
	}
	jv_free(t->activity);
	t->activity = sel;
	if (want_show)
		show(c, t);
	return jv_true();
}

void
cf_chat_activity_turn(struct cf_tab *t, struct cf_turn *tu)
{
	if (jv_get_kind(t->activity) == JV_KIND_OBJECT) {
		jv_free(tu->activity);
		tu->activity = jv_copy(t->activity);
	}
}

void
cf_chat_activity_sent(struct cf_tab *t)
{
	jv_free(t->activity);
	t->activity = jv_invalid();
}
