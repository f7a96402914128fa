/* plug.h — what the shipped plugins' files (plug_git.c, plug_sh.c,
 * plug_file.c) share with plug_kit.c: their limits, a child run bounded in
 * time and output, and the records they answer with. */
#ifndef CONFAB_PLUG_H
#define CONFAB_PLUG_H

#include <stddef.h>

#include "plugkit.h"

/* CONFAB_PLUGIN_MAX_BYTES (default 256 KiB) and CONFAB_PLUGIN_TIMEOUT
 * (seconds, default 30), the plugin's config section as the host passes
 * it: jv_true(), or CF_EX_CONFIG naming the variable. */
struct plug_limits {
	size_t max_bytes;
	double timeout;
};
CF_MUST jv plug_limits(struct plug_limits *l);

/* What a child wrote and how it ended. */
struct plug_run {
	char *out;          /* stdout (and stderr, when merged): at most max
	                     * bytes, NUL after them */
	size_t len;
	int truncated;      /* it wrote more, and was stopped there */
	char *err;          /* stderr when not merged, its first 4 KiB */
	size_t errlen;
	int status;         /* waitpid's */
	int timed_out;      /* killed at the time limit */
};

/* Runs argv (execvp: no shell but the one argv names) in dir (NULL: here),
 * stdin /dev/null, in a process group of its own that is killed when the
 * time limit passes, when its output passes max bytes, and once the child
 * itself has ended (what it left running in the background).  stderr
 * into the same buffer as stdout when merge.  jv_true() with *r filled
 * (plug_run_free it), or an error: the program could not be started
 * (CF_EX_NOTFOUND when it is not installed), or a signal came
 * (CF_EX_SIGINT, CF_EX_SIGTERM, CF_EX_SIGHUP). */
CF_MUST jv plug_spawn(const char *const *argv, const char *dir, int merge,
                      const struct plug_limits *l, struct plug_run *r);
void plug_run_free(struct plug_run *r);

/* The first n bytes of a longer text, tidied for showing: up to their
 * last newline when it is in their second half, else without a last
 * UTF-8 character cut in two.  The bytes to keep. */
size_t plug_tidy(const char *s, size_t n);
/* Lines in n bytes (a last one without its newline counts). */
long plug_lines(const char *s, size_t n);
/* "256 KiB", "12 bytes", "1.5 MiB" into buf. */
const char *plug_size(size_t n, char *buf, size_t size);

/* A fenced block of n bytes of body after head (a line, or NULL), its
 * fence longer than any run of backticks in it, lang its info string
 * ("" for none), then tail (a line, or NULL): a jv string. */
CF_MUST jv plug_fenced(const char *head, const char *lang, const char *body,
                       size_t n, const char *tail);
/* Records: {"type":"context","content":content} (consumed), and
 * {"type":"text","content":...}. */
CF_MUST jv plug_context(jv content);
CF_MUST jv plug_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A tool's input field: the string (borrowed from input), or NULL when it
 * is absent or null; *err is set (a usage error naming the field) when it
 * is there and not a string, or missing and required. */
const char *plug_input_str(jv input, const char *field, int required, jv *err);
/* The same for an integer field in [min, max]; dflt when absent. */
long plug_input_long(jv input, const char *field, long dflt, long min, long max,
                     jv *err);
/* A boolean field; 0 when absent. */
int plug_input_bool(jv input, const char *field, jv *err);

#endif
