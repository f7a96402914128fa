/* marks_cmd.c — confab's /react, /note and /rm over marks.c: apart from
 * it, so chat-react and chat-note do not link confab's loop (libedit, the
 * renderer), as edit_cmd.c keeps chat-edit apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

static int
take_last(jv m, void *ctx)
{
	jv *out = ctx;
	jv_free(*out);
	*out = m;
	return 0;
}

/* The message ref names in this tab's session, or with none (NULL or
 * ""), its last message: the record, or an error. */
static jv
target(struct cf_chat *c, const char *ref)
{
	const char *sid = cf_chat_session_id(c);
	if (!*sid)
		return cf_error(CF_EX_USAGE, "no session is open: /new starts one");
	if (ref && *ref)
		return cf_resolve_message(c->st, ref, sid);
	jv last = jv_invalid();
	jv e = cf_message_list(c->st, sid, 1, NULL, take_last, &last);
	if (!jv_is_valid(e)) {
		jv_free(last);
		return e;
	}
	jv_free(e);
	if (!jv_is_valid(last))
		return cf_error(CF_EX_USAGE, "this session has no message yet");
	return last;
}

/* target()'s message id into id[37]: jv_true() or the error. */
static jv
target_id(struct cf_chat *c, const char *ref, char id[37])
{
	jv m = target(c, ref);
	if (!jv_is_valid(m))
		return m;
	snprintf(id, 37, "%s", cf_jstr(m, "id"));
	jv_free(m);
	return jv_true();
}

jv
cf_chat_cmd_react(struct cf_chat *c, const char *arg)
{
	char emoji[80], ref[80] = "", extra[2];
	int n = sscanf(arg, "%79s %79s %1s", emoji, ref, extra);
	if (n < 1 || n > 2)
		return cf_error(CF_EX_USAGE, "usage: /react EMOJI [MESSAGE]");
	int remove = 0;
	const char *e = emoji;
	if (emoji[0] == '-' && emoji[1]) {   /* /react -👍: take it off */
		remove = 1;
		e++;
	}
	if (!cf_emoji_one(e)) {
		char shown[96];
		cf_clean(e, shown, sizeof shown, 20, 0);
		return cf_error(CF_EX_USAGE, "invalid reaction '%s': expected one emoji "
		                "(/react -EMOJI takes yours off)", shown);
	}
	char id[37];
	jv r = target_id(c, ref, id);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	int changed;
	jv m = cf_react(c->st, id, e, remove, &changed);
	if (!jv_is_valid(m))
		return m;
	char *line = cf_marks_line(m, 1);
	jv_free(m);
	if (!changed)
		cf_chat_say(c, "(message %.8s %s your %s: nothing changed)", id,
		            remove ? "does not have" : "already has", e);
	else
		cf_chat_say(c, "(message %.8s: %s)", id, *line ? line : "no reactions");
	free(line);
	return jv_true();
}

jv
cf_chat_cmd_note(struct cf_chat *c, const char *arg)
{
	if (!*arg)
		return cf_error(CF_EX_USAGE, "usage: /note TEXT (a note on the last message)");
	char id[37];
	jv r = target_id(c, NULL, id);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	jv note = cf_note_add(c->st, id, arg, strlen(arg), NULL);
	if (!jv_is_valid(note))
		return note;
	cf_chat_say(c, "(note %s on message %.13s; chat-note --rm removes it)",
	            cf_jstr(note, "id"), id);
	jv_free(note);
	return jv_true();
}

jv
cf_chat_cmd_rm(struct cf_chat *c, const char *arg)
{
	if (strpbrk(arg, " \t"))
		return cf_error(CF_EX_USAGE, "usage: /rm [MESSAGE] (without MESSAGE, the last one)");
	char id[37];
	jv r = target_id(c, arg, id);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	r = cf_messages_delete(c->st, jv_array_append(jv_array(), jv_string(id)));
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	cf_chat_say(c, "(deleted message %s)", id);
	return jv_true();
}
