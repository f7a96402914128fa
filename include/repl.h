/* repl.h — confab, the interactive chat: its loop and input (repl.c) and
 * its slash commands (repl_cmd.c), over the same library calls as the
 * chat-* programs.  Nothing here ends the process: a command's failure
 * is an error value, shown as one line, and the chat goes on. */
#ifndef CONFAB_REPL_H
#define CONFAB_REPL_H

#include "confab.h"

/* One open conversation (the specification's "tab"). */
struct cf_tab {
	jv session;            /* its session record, kept current */
	jv attach;             /* [paths] for the next message */
	int reset;             /* /clear: the next message starts a new context */
	int made;              /* made by this confab: removed at the end when
	                        * it got no message (set it for /new too) */
	int fresh;             /* made unnamed: named from its first message */
	int opening;           /* the template's opening messages it was made
	                        * with: with no more, it is unused too */
	/* plugin_cmd.c: for the next message, the context plugins gave
	 * ([{name, content}]) and the commands run ([{plugin, command, args,
	 * at, exit}]); zeroed (no value) means none */
	jv plugin_ctx, plugin_cmds;
	/* repl_actctx.c: /context's selection for the next message
	 * (cf_actctx_select's); zeroed (no value) means none */
	jv activity;
};

struct cf_chat {
	/* what confab(1) was given: set by cmd/confab.c */
	const char *db;        /* --db, or NULL */
	const char *resume;    /* SESSION to resume, or NULL */
	int new_session;       /* --new or a setting given */
	struct cf_settings *over;   /* the new session's options */
	jv tmpl;               /* --template's record (cf_template_get), or
	                        * anything else for none */
	int bench_exit;        /* hidden --bench-exit-at-prompt */

	cf_store *st;
	struct cf_tab *tabs;   /* the open conversations, in the order opened */
	int ntabs, cur;
	int width;             /* terminal columns, kept by SIGWINCH */
	int color, plain;      /* rendering wanted; --plain */
	int quit;              /* /quit or Ctrl-D */
	jv draft;              /* the text /edit and /multi work on, or jv_null() */
	void *priv;            /* repl.c's own state (libedit, history) */
};

/* repl.c: the loop.  Opens the store and the session (a new one is
 * stored at start and removed at the end if it got no message), then
 * runs until /quit or Ctrl-D; the exit status (0, 129 after SIGHUP, 143
 * after SIGTERM).  repl.c itself handles the input commands /multi,
 * /end and /edit; every other line starting with '/' goes to
 * cf_chat_command ("//text" sends "/text"). */
int cf_chat_main(struct cf_chat *c);
/* Sends text as the current tab's next message and renders the reply. */
CF_MUST jv cf_chat_send(struct cf_chat *c, const char *text, size_t len);
/* Opens a session as a new tab (or switches to it when open) and
 * renders its last few messages. */
CF_MUST jv cf_chat_open(struct cf_chat *c, jv session);
/* Shows a message as confab does (its header, then its content drawn
 * by the renderer when the terminal wants it); consumes msg. */
void cf_chat_show_message(struct cf_chat *c, jv msg);
/* Writes s for people (sanitised, newline added). */
void cf_chat_say(struct cf_chat *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* repl_cmd.c: the slash commands. */
/* line starts with '/': runs it; jv_true(), or an error value. */
CF_MUST jv cf_chat_command(struct cf_chat *c, const char *line);
/* The command names ("/help", ...), NULL-ended, for completion. */
const char *const *cf_chat_command_names(void);
/* The candidates for the word at the cursor (a command name, or its
 * argument: session names, export formats, providers, models in
 * pricing.json, file paths): a jv array of strings. */
CF_MUST jv cf_chat_complete(struct cf_chat *c, const char *line, size_t cursor);

/* repl_tmpl.c: /template NAME (a new tab from a template, as /new makes
 * one) and /save-template [-f] [-m] NAME (this session's settings, and
 * with -m its messages, as chat-template save --from); the template
 * names, for Tab. */
CF_MUST jv cf_chat_cmd_template(struct cf_chat *c, const char *arg);
CF_MUST jv cf_chat_cmd_save_template(struct cf_chat *c, const char *arg);
CF_MUST jv cf_chat_template_names(void);

/* For code that runs under CF_TRY (confab's commands): an error value is
 * raised back to that CF_TRY, which rolls back and shows it; anything
 * else is returned as it is. */
static inline jv
cf_bridge(jv v)
{
	if (cf_is_error(v))
		cf_raise(v);
	return v;
}

/* repl.c: /retry's turn: message again (stored) answered again, the
 * reply replace (or NULL) replaced, with over's provider and model
 * ({provider, model} or jv_null(); consumed); rendered as cf_chat_send
 * does. */
CF_MUST jv cf_chat_send_again(struct cf_chat *c, const char *again,
                              const char *replace, jv over);
/* edit_cmd.c: /edit MESSAGE: when arg is one word naming a message of this
 * tab's session, that message in the editor and stored as an edit
 * (cf_edit_message): jv_true() or an error; jv_false() when arg names no
 * message (it is a draft's text).  /retry [PROVIDER[:MODEL]]. */
CF_MUST jv cf_chat_edit_message(struct cf_chat *c, const char *arg);
CF_MUST jv cf_chat_cmd_retry(struct cf_chat *c, const char *arg);
/* The current tab's session id, "" with none open. */
const char *cf_chat_session_id(struct cf_chat *c);
/* marks_cmd.c: /react [-]EMOJI [MESSAGE], /note TEXT (on the last
 * message), /rm [MESSAGE] (without it, the last), over marks.c. */
CF_MUST jv cf_chat_cmd_react(struct cf_chat *c, const char *arg);
CF_MUST jv cf_chat_cmd_note(struct cf_chat *c, const char *arg);
CF_MUST jv cf_chat_cmd_rm(struct cf_chat *c, const char *arg);
/* repl_tools.c: before a tool runs, the call shown and one key read
 * (y, n, a: always for this tool in this session while confab runs,
 * Ctrl-C: stop): a CF_TOOL_*.  After it, one line saying what came of
 * it (call and res borrowed). */
int cf_chat_ask_tool(struct cf_chat *c, jv call);
void cf_chat_tool_result(struct cf_chat *c, jv call, jv res);
/* repl_cmd.c: the words of an argument as commands read them (quotes,
 * backslashes): a jv array, or an error. */
CF_MUST jv cf_chat_words(const char *s);
/* repl.c: while a plugin runs, a Ctrl-C sets cf_interrupted (on) and is
 * forgotten after (off). */
void cf_chat_busy(int on);

/* plugin_cmd.c: /plugin [ls], /plugin NAME [COMMAND ARGS...], /plugin
 * config NAME KEY VALUE. */
CF_MUST jv cf_chat_cmd_plugin(struct cf_chat *c, const char *arg);
/* /NAME ... (name n bytes, rest the rest of the line) when NAME is a
 * plugin's: its command run; jv_false() when no plugin has the name. */
CF_MUST jv cf_chat_plugin_line(struct cf_chat *c, const char *name, size_t n,
                               const char *rest);
/* Tab: with cmd NULL, "/NAME" of each plugin whose name no command has
 * that starts with word; else the candidates for word after /cmd (cmd
 * cn bytes, "plugin" or a plugin's name; args an bytes before word):
 * appended to out (consumed). */
CF_MUST jv cf_chat_plugin_complete(jv out, const char *cmd, size_t cn, const char *args,
                                   size_t an, const char *word, size_t wl);
/* The next message's turn: what plugins gave (context as text
 * attachments beside paths' files, into f, and tu->files set; the
 * commands in tu->msg_context): jv_true(), jv_false() with nothing to
 * add (f untouched), or an error (a file of paths). */
CF_MUST jv cf_chat_plugin_turn(struct cf_tab *t, struct cf_turn *tu,
                               const char *const *paths, int n, struct cf_files *f);
/* The message went: what plugins gave is used.  Also at a tab's end. */
void cf_chat_plugin_sent(struct cf_tab *t);
/* Appends " + name, ..." of the context waiting to the prompt's text. */
void cf_chat_plugin_prompt(struct cf_tab *t, char *att, size_t n);

/* repl_actctx.c: /context [WINDOW] [--kind KIND] [--again] [--show]. */
CF_MUST jv cf_chat_cmd_context(struct cf_chat *c, const char *arg);
/* The next message's turn gets /context's selection (a copy: the tab
 * keeps it until cf_chat_activity_sent, so a turn that fails loses none). */
void cf_chat_activity_turn(struct cf_tab *t, struct cf_turn *tu);
void cf_chat_activity_sent(struct cf_tab *t);

#endif
