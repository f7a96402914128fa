/* plugkit.h — the plugin's side of confab-plugin(7), for the plugins
 * confab ships (chat-plugin-git, chat-plugin-sh, chat-plugin-file): each
 * is a table (its commands, its tools and what runs them) and one call,
 * cf_plug_main, that answers --describe, --tool TOOL or COMMAND ARGS with
 * records on stdout.  The host's side (finding, running and reading
 * plugins) is confab.h's cf_plugin_*. */
#ifndef CONFAB_PLUGKIT_H
#define CONFAB_PLUGKIT_H

#include "confab.h"

struct cf_plug_cmd {
	const char *name, *usage, *description;
};

struct cf_plug_tool {
	const char *name, *description;
	const char *schema;   /* its input_schema, as JSON text */
};

struct cf_plugin_def {
	const char *name;
	const struct cf_plug_cmd *commands;   /* a NULL name ends each table */
	const struct cf_plug_tool *tools;
	/* COMMAND ARGS (the command is one of commands): an array of
	 * records, or an error value */
	jv (*command)(const char *command, int argc, char **argv);
	/* TOOL (one of tools) with its input, an object (consumed): an array
	 * of records, or an error value */
	jv (*tool)(const char *tool, jv input);
};

extern const struct cf_plugin_def cf_plugin_git, cf_plugin_sh, cf_plugin_file;

enum cf_plug_mode { CF_PLUG_DESCRIBE, CF_PLUG_TOOL, CF_PLUG_COMMAND };

/* One run: --describe's object (name NULL), the tool name's result (its
 * input read from stdin, one JSON object), or the command name with its
 * argc words (stdin's session records read to the end and left alone).
 * Writes the records, or on failure one {"type":"error"} record (and its
 * message as one line on stderr), and returns the exit status (CF_EX_*)
 * for main. */
int cf_plug_main(const struct cf_plugin_def *p, enum cf_plug_mode mode,
                 const char *name, int argc, char **argv);

#endif
