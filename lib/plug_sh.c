/* plug_sh.c — chat-plugin-sh: a command line run by /bin/sh -c, on
 * purpose (the one shell between confab and a child), its output and exit
 * status as context. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plug.h"

static const struct cf_plug_cmd commands[] = {
	{"run", "COMMAND...",
	 "run the words as one command line through a shell, /bin/sh -c, and attach its "
	 "output and exit status"},
	{0},
};

static const struct cf_plug_tool tools[] = {
	{"sh_run", "Runs a shell command: the command line is given to /bin/sh -c in the user's "
	 "working directory, with an empty stdin and a time limit, and its combined stdout and "
	 "stderr and its exit status come back. It is a real shell with the user's rights: it "
	 "can change and delete files.",
	 "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\",\"minLength\":1,"
	 "\"description\":\"the command line, as typed at a POSIX shell prompt\"}},"
	 "\"required\":[\"command\"],\"additionalProperties\":false}"},
	{0},
};

/* The command line as the user is shown it: one line, not too long. */
static void
shown(const char *line, char *buf, size_t n)
{
	cf_clean(line, buf, n, 60, 0);
}

static jv
sh_run(const char *line, int tool)
{
	struct plug_limits l;
	jv ok = plug_limits(&l);
	if (!jv_is_valid(ok))
		return ok;
	const char *argv[] = {"/bin/sh", "-c", line, NULL};
	struct plug_run r;
	ok = plug_spawn(argv, NULL, 1, &l, &r);
	if (!jv_is_valid(ok))
		return ok;
	char show[256], sz[32], status[128];
	shown(line, show, sizeof show);
	if (r.timed_out) {
		plug_run_free(&r);
		return cf_error(CF_EX_FAIL, "'%s' took longer than %g s (CONFAB_PLUGIN_TIMEOUT): "
		                "the shell and what it started were killed", show, l.timeout);
	}
	if (r.truncated)
		snprintf(status, sizeof status, "none: its output passed %s "
		         "(CONFAB_PLUGIN_MAX_BYTES), so it was killed with what it started",
		         plug_size(l.max_bytes, sz, sizeof sz));
	else if (WIFEXITED(r.status))
		snprintf(status, sizeof status, "%d", WEXITSTATUS(r.status));
	else
		snprintf(status, sizeof status, "none: killed by signal %d (%s)",
		         WTERMSIG(r.status), strsignal(WTERMSIG(r.status)));

	char *cwd = getcwd(NULL, 0);
	jv c = jv_string_fmt("A shell command, run by /bin/sh -c in %s:", cwd ? cwd : ".");
	free(cwd);
	jv cmd = plug_fenced(jv_string_value(c), "sh", line, strlen(line), NULL);
	jv_free(c);
	size_t keep = r.truncated ? plug_tidy(r.out, r.len) : r.len;
	if (keep) {
		cmd = jv_string_concat(jv_string_append_str(cmd, "\n"),
			plug_fenced("Its output (stdout and stderr together):", "text", r.out, keep, NULL));
	} else {
		cmd = jv_string_append_str(cmd, "\nIt printed nothing.\n");
	}
	cmd = jv_string_concat(cmd, jv_string_fmt("\nExit status: %s\n", status));
	jv recs = jv_array_append(jv_array(), plug_context(cmd));
	if (!tool) {
		long lines = plug_lines(r.out, keep);
		char what[64];
		if (lines)
			snprintf(what, sizeof what, "%ld line%s of output attached", lines,
			         lines == 1 ? "" : "s");
		else
			snprintf(what, sizeof what, "no output");
		recs = jv_array_append(recs, WIFEXITED(r.status) && !r.truncated
			? plug_text("ran '%s' with /bin/sh -c: exit status %d, %s", show,
			            WEXITSTATUS(r.status), what)
			: plug_text("ran '%s' with /bin/sh -c: %s; %s", show,
			            r.truncated ? "stopped at the output limit" : "killed by a signal",
			            what));
	}
	plug_run_free(&r);
	return recs;
}

static jv
command(const char *name, int argc, char **argv)
{
	(void)name;
	if (!argc)
		return cf_usage_error("run needs a command");
	/* One word is the line as typed.  Several are joined again for the
	 * shell; a word with a blank or a quote in it was quoted where it was
	 * typed (the host split the line), so it is quoted again. */
	jv line = jv_string(argc == 1 ? argv[0] : "");
	for (int i = 0; argc > 1 && i < argc; i++) {
		const char *w = argv[i];
		if (i)
			line = jv_string_append_str(line, " ");
		if (*w && !strpbrk(w, " \t\n'\"")) {
			line = jv_string_append_str(line, w);
			continue;
		}
		line = jv_string_append_str(line, "'");
		for (const char *q; (q = strchr(w, '\'')); w = q + 1)
			line = jv_string_append_str(jv_string_append_buf(line, w, (int)(q - w)), "'\\''");
		line = jv_string_append_str(jv_string_append_str(line, w), "'");
	}
	jv res = sh_run(jv_string_value(line), 0);
	jv_free(line);
	return res;
}

static jv
tool(const char *name, jv input)
{
	(void)name;
	jv err = jv_true();
	const char *line = plug_input_str(input, "command", 1, &err);
	jv res = !jv_is_valid(err) ? jv_copy(err)
	         : !*line ? cf_usage_error("the input's 'command' is empty")
	         : sh_run(line, 1);
	jv_free(err);
	jv_free(input);
	return res;
}

const struct cf_plugin_def cf_plugin_sh = {"sh", commands, tools, command, tool};
