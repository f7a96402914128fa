/* repl_tools.c — confab asks before a tool runs: the call shown (tool,
 * plugin, arguments, cleaned of control characters), one key read from
 * the terminal: y runs it, n denies it, a runs it and every later call of
 * that tool in this session while confab runs, Ctrl-C denies it and stops
 * the round.  Kept apart from repl.c, which only wires it to the turn. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "repl.h"

/* [SESSION, PLUGIN, TOOL] of each tool answered always: for the process only (a
 * permission outliving the confab that gave it would run a tool nobody
 * watched). */
static jv always;

static jv
always_key(struct cf_chat *c, jv call)
{
	/* the plugin and its own name for the tool, not the name the model
	 * calls it by: that name can be another plugin's tool next turn (one
	 * plugin gone, another's tool of that name no longer colliding) */
	jv k = jv_array_append(jv_array(), jv_string(cf_chat_session_id(c)));
	k = jv_array_append(k, jv_string(cf_jstr(call, "plugin")));
	k = jv_array_append(k, jv_string(cf_jstr(call, "tool")));
	return jv_dump_string(k, 0);   /* JSON: no name can forge the separator */
}

/* One key from the terminal, not echoed, signals off (Ctrl-C is a key
 * here): what was typed before the question is dropped, so a key meant
 * for the reply cannot answer it.  -1 when the terminal is gone. */
static int
read_key(void)
{
	struct termios old, raw;
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	unsigned char ch = 0;
	ssize_t n;
	do
		n = read(STDIN_FILENO, &ch, 1);
	while (n < 0 && errno == EINTR && !cf_interrupted);
	tcsetattr(STDIN_FILENO, TCSADRAIN, &old);
	return n == 1 ? ch : -1;
}

int
cf_chat_ask_tool(struct cf_chat *c, jv call)
{
	char name[128], plugin[128], args[1024];
	cf_clean(cf_jstr(call, "name"), name, sizeof name, 64, 0);
	cf_clean(cf_jstr(call, "plugin"), plugin, sizeof plugin, 64, 0);
	jv in = jv_object_get(jv_copy(call), jv_string("input"));
	size_t len;
	cf_clean(cf_json_compact(in, &len), args, sizeof args, 400, 0);
	const char *b = c->color ? CF_BOLD : "", *d = c->color ? CF_DIM : "",
	           *z = c->color ? CF_RESET : "";
	if (jv_get_kind(always) != JV_KIND_OBJECT)
		always = jv_object();
	jv key = always_key(c, call);
	int known = jv_object_has(jv_copy(always), jv_copy(key));
	printf("%stool%s %s%s%s (plugin %s) %s\n", d, z, b, name, z, plugin, args);
	if (known) {
		jv_free(key);
		printf("%sallowed: always, in this session%s\n", d, z);
		fflush(stdout);
		return CF_TOOL_ALLOW;
	}
	if (!isatty(STDIN_FILENO)) {
		jv_free(key);
		printf("%sdenied: no terminal to ask on%s\n", d, z);
		fflush(stdout);
		return CF_TOOL_DENY;
	}
	printf("run it? %sy%ses, %sn%so, %sa%slways for this tool in this session: ",
	       b, z, b, z, b, z);
	fflush(stdout);
	int answer = -1;
	while (answer < 0) {
		int k = cf_interrupted ? 3 : read_key();
		switch (k) {
		case 'y': case 'Y': answer = CF_TOOL_ALLOW; break;
		case 'n': case 'N': case '\r': case '\n': case 4: answer = CF_TOOL_DENY; break;
		case 'a': case 'A': answer = CF_TOOL_ALWAYS; break;
		case 3: case -1: answer = CF_TOOL_STOP; break;
		default: break;   /* another key: the question stands */
		}
	}
	static const char *const said[] = {"no", "yes", "always", "stopped"};
	printf("%s\n", said[answer]);
	fflush(stdout);
	if (answer == CF_TOOL_ALWAYS)
		always = jv_object_set(always, key, jv_true());
	else
		jv_free(key);
	return answer;
}

void
cf_chat_tool_result(struct cf_chat *c, jv call, jv res)
{
	const char *d = c->color ? CF_DIM : "", *z = c->color ? CF_RESET : "";
	const char *outcome = cf_jstr(res, "outcome");
	char what[256], name[128];
	cf_clean(cf_jstr(res, "content"), what, sizeof what, 120, 0);
	cf_clean(cf_jstr(call, "name"), name, sizeof name, 64, 0);
	if (!strcmp(outcome, "ran"))
		printf("%s%s: %s%s\n", d, cf_jbool(res, "isError") ? "failed" : "ran", what, z);
	else if (strcmp(outcome, "denied"))   /* never asked: say why */
		printf("%stool %s: %s%s\n", d, name, what, z);
	fflush(stdout);
}
