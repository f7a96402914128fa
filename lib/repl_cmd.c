/* repl_cmd.c — confab's slash commands.  A stand-in with /help and /quit
 * only, until the commands' own file replaces it. */
#include <string.h>

#include "repl.h"

static const char *const names[] = {"/help", "/quit", "/multi", "/end", "/edit", NULL};

const char *const *
cf_chat_command_names(void)
{
	return names;
}

jv
cf_chat_command(struct cf_chat *c, const char *line)
{
	size_t w = strcspn(line, " \t");
	if (w == 5 && !strncmp(line, "/quit", 5)) {
		c->quit = 1;
		return jv_true();
	}
	if (w == 5 && !strncmp(line, "/help", 5)) {
		cf_chat_say(c, "/help  /quit  /multi ... /end  /edit  (//text sends /text)");
		return jv_true();
	}
	return cf_error(CF_EX_USAGE, "unknown command '%.*s' (see /help)", (int)w, line);
}

jv
cf_chat_complete(struct cf_chat *c, const char *line, size_t cursor)
{
	(void)c;
	jv out = jv_array();
	if (line[0] != '/' || memchr(line, ' ', cursor))
		return out;
	for (int i = 0; names[i]; i++)
		if (!strncmp(names[i], line, cursor))
			out = jv_array_append(out, jv_string(names[i]));
	return out;
}
