/* edit_cmd.c — confab's /edit MESSAGE and /retry over edit.c: apart from
 * it, so chat-edit does not link confab's loop (libedit, the renderer and
 * their thirty libraries: two thirds of its start-up). */
#include <stdio.h>
#include <string.h>

#include "repl.h"

/* ---- confab: /edit MESSAGE, /retry ---- */

const char *
cf_chat_session_id(struct cf_chat *c)
{
	return c->ntabs > 0 && c->cur >= 0 && c->cur < c->ntabs ?
	       cf_jstr(c->tabs[c->cur].session, "id") : "";
}

jv
cf_chat_edit_message(struct cf_chat *c, const char *arg)
{
	if (strpbrk(arg, " \t"))
		return jv_false();
	jv m = cf_resolve_message(c->st, arg, cf_chat_session_id(c));
	if (!jv_is_valid(m)) {
		if (cf_error_status(m) != CF_EX_NOTFOUND)
			return m;
		jv_free(m);
		return jv_false();
	}
	char id[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	jv got = cf_editor_run(cf_jstr(m, "content"), "confab-edit");
	jv_free(m);
	if (!jv_is_valid(got)) {
		jv msg = cf_error_message(got);
		jv e = cf_error(cf_error_status(got), "%s; nothing changed", jv_string_value(msg));
		jv_free(msg);
		jv_free(got);
		return e;
	}
	size_t n = (size_t)jv_string_length_bytes(jv_copy(got));
	const char *s = jv_string_value(got);
	while (n && s[n - 1] == '\n')
		n--;
	int changed;
	jv rec = cf_edit_message(c->st, id, s, n, 1, &changed);
	jv_free(got);
	if (!jv_is_valid(rec))
		return rec;
	if (!changed) {
		jv_free(rec);
		cf_chat_say(c, "(the message is unchanged: nothing recorded)");
		return jv_true();
	}
	cf_chat_show_message(c, rec);
	cf_chat_say(c, "(edited; chat-edit --history %s lists its versions)", id);
	return jv_true();
}

jv
cf_chat_cmd_retry(struct cf_chat *c, const char *arg)
{
	jv over = jv_null();
	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (*arg) {
		if (strpbrk(arg, " \t"))
			return cf_error(CF_EX_USAGE, "usage: /retry [PROVIDER[:MODEL]]");
		over = cf_turn_fallback(arg);
		if (!jv_is_valid(over))
			return over;
	}
	char prompt[37], reply[37];
	jv e = cf_retry_target(c->st, cf_chat_session_id(c), prompt, reply);
	if (!jv_is_valid(e)) {
		jv_free(over);
		return e;
	}
	jv_free(e);
	return cf_chat_send_again(c, prompt, *reply ? reply : NULL, over);
}
