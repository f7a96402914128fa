/* plug_git.c — chat-plugin-git: the repository's state as context (diff,
 * log, show, status), git run with an argv, never through a shell. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plug.h"

#define LOG_DEFAULT 10
#define LOG_MAX 200
#define UNTRACKED_SHOWN 50

static const struct cf_plug_cmd commands[] = {
	{"diff", "[PATH...]",
	 "attach the changes not yet committed: staged, then not staged (of the PATHs only, when given)"},
	{"log", "[N]",
	 "attach the last N commits (default 10, at most 200)"},
	{"show", "REF",
	 "attach a commit (or tag, tree, blob) with its patch"},
	{"status", "",
	 "attach the branch and the changed and untracked files"},
	{0},
};

static const struct cf_plug_tool tools[] = {
	{"git_status", "The current branch of the user's git repository and its changed, staged "
	 "and untracked files (git status --short --branch). Read-only.",
	 "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"},
	{"git_diff", "The uncommitted changes in the user's git repository as unified diffs: "
	 "staged (git diff --cached), then not staged (git diff), and the untracked files' "
	 "names. Read-only.",
	 "{\"type\":\"object\",\"properties\":{\"paths\":{\"type\":\"array\",\"items\":"
	 "{\"type\":\"string\",\"minLength\":1},\"description\":\"only these files or folders, "
	 "relative to the repository's working directory\"}},\"additionalProperties\":false}"},
	{"git_log", "The most recent commits of the user's git repository (git log): hash, "
	 "author, date and message. Read-only.",
	 "{\"type\":\"object\",\"properties\":{\"count\":{\"type\":\"integer\",\"minimum\":1,"
	 "\"maximum\":200,\"description\":\"how many commits, 10 when not given\"}},"
	 "\"additionalProperties\":false}"},
	{"git_show", "One commit, tag, tree or file version of the user's git repository "
	 "(git show REF): a commit with its message and patch. Read-only.",
	 "{\"type\":\"object\",\"properties\":{\"ref\":{\"type\":\"string\",\"minLength\":1,"
	 "\"description\":\"a commit hash, branch, tag, HEAD~2, or REV:PATH\"}},"
	 "\"required\":[\"ref\"],\"additionalProperties\":false}"},
	{0},
};

/* The repository: CONFAB_PLUGIN_REPO, else where we were started. */
static const char *
repo_dir(void)
{
	const char *d = getenv("CONFAB_PLUGIN_REPO");
	return d && *d ? d : ".";
}

/* git's own complaint, one line, without its "fatal: ". */
static jv
git_error(int status, const char *what, const struct plug_run *r)
{
	const char *s = r->errlen ? r->err : r->out;
	const char *line = s;
	/* the line that says what is wrong, not the hints around it */
	for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, "fatal: ", 7) || !strncmp(p, "error: ", 7)) {
			line = p + 7;
			break;
		}
	int n = (int)strcspn(line, "\n");
	if (!n)
		return cf_error(status, "%s failed (exit %d)", what,
		                WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128);
	return cf_error(status, "%s: %.*s", what, n > 300 ? 300 : n, line);
}

/* git ARGS in the repository: output in *r, or an error (git's message;
 * a time limit or a signal ours). */
static jv
git(const char *const *args, const struct plug_limits *l, struct plug_run *r)
{
	/* a repository's config runs no program of its own for us: no
	 * pager, and no core.fsmonitor hook (status and diff would run it) */
	const char *argv[40] = {"git", "--no-pager", "-c", "color.ui=false",
	                        "-c", "core.quotepath=off", "-c", "core.fsmonitor=false"};
	enum { SUB = 8 };   /* where the subcommand is */
	int n = SUB;
	while (*args && n < 39)
		argv[n++] = *args++;
	argv[n] = NULL;
	jv ok = plug_spawn(argv, repo_dir(), 0, l, r);
	if (!jv_is_valid(ok))
		return ok;
	if (r->timed_out) {
		jv e = cf_error(CF_EX_FAIL, "git %s took longer than %g s (CONFAB_PLUGIN_TIMEOUT)",
		                argv[SUB], l->timeout);
		plug_run_free(r);
		return e;
	}
	if (!r->truncated && !(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)) {
		char what[64];
		snprintf(what, sizeof what, "git %s", argv[SUB]);
		jv e = git_error(CF_EX_FAIL, what, r);
		plug_run_free(r);
		return e;
	}
	return jv_true();
}

/* The working tree's top, or the one error for "not a repository". */
static jv
toplevel(const struct plug_limits *l)
{
	struct stat sb;
	if (stat(repo_dir(), &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cf_error(CF_EX_NOTFOUND, "no such folder: '%s' (CONFAB_PLUGIN_REPO)",
		                repo_dir());
	struct plug_run r;
	const char *argv[] = {"git", "-c", "core.fsmonitor=false", "rev-parse", "--show-toplevel",
	                      NULL};
	jv ok = plug_spawn(argv, repo_dir(), 0, l, &r);
	if (!jv_is_valid(ok))
		return ok;
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0 || !r.len) {
		jv e;
		if (strstr(r.err, "not a git repository") || !strncmp(r.err, "fatal: cannot change", 20)) {
			char *here = realpath(repo_dir(), NULL);
			e = cf_error(CF_EX_NOTFOUND, "not a git repository: '%s'",
			             here ? here : repo_dir());
			free(here);
		} else {
			e = git_error(CF_EX_FAIL, "git rev-parse", &r);
		}
		plug_run_free(&r);
		return e;
	}
	jv top = jv_string_sized(r.out, (int)strcspn(r.out, "\n"));
	plug_run_free(&r);
	return top;
}

/* A truncation's note, or NULL. */
static const char *
cut_note(const struct plug_run *r, const struct plug_limits *l, char *buf, size_t n)
{
	if (!r->truncated)
		return NULL;
	char sz[32];
	snprintf(buf, n, "(cut: longer than %s, CONFAB_PLUGIN_MAX_BYTES)",
	         plug_size(l->max_bytes, sz, sizeof sz));
	return buf;
}

static jv
do_diff(const char *const *paths, int npaths, int tool)
{
	struct plug_limits l;
	jv ok = plug_limits(&l);
	if (!jv_is_valid(ok))
		return ok;
	if (npaths > 20)   /* an argv of ours has room for that many */
		return cf_usage_error("too many paths (%d): diff takes at most 20", npaths);
	jv top = toplevel(&l);
	if (!jv_is_valid(top))
		return top;
	const char *args[32];
	int n = 0;
	struct plug_run staged, unstaged, untracked;
	args[n++] = "diff";
	args[n++] = "--cached";
	args[n++] = "--no-ext-diff";
	args[n++] = "--no-textconv";
	args[n++] = "--";
	for (int i = 0; i < npaths; i++)
		args[n++] = paths[i];
	args[n] = NULL;
	ok = git(args, &l, &staged);
	if (!jv_is_valid(ok)) {
		jv_free(top);
		return ok;
	}
	/* one budget for both */
	struct plug_limits rest = l;
	rest.max_bytes = l.max_bytes - staged.len;
	memmove(args + 1, args + 2, sizeof *args * (size_t)(n - 1));
	if (staged.truncated || !rest.max_bytes) {
		memset(&unstaged, 0, sizeof unstaged);
		unstaged.out = cf_xstrdup("");
		ok = jv_true();
	} else {
		ok = git(args, &rest, &unstaged);
	}
	if (!jv_is_valid(ok)) {
		plug_run_free(&staged);
		jv_free(top);
		return ok;
	}
	const char *ls[32] = {"ls-files", "--others", "--exclude-standard", "--"};
	for (int i = 0; i < npaths; i++)
		ls[4 + i] = paths[i];
	ls[4 + npaths] = NULL;
	struct plug_limits small = l;
	small.max_bytes = 16384;
	ok = git(ls, &small, &untracked);
	if (!jv_is_valid(ok)) {
		untracked.len = 0;
		untracked.out = NULL;
		untracked.err = NULL;
		jv_free(ok);
	}
	long nuntracked = untracked.len ? plug_lines(untracked.out, untracked.len) : 0;
	jv names = jv_string("");
	for (long i = 0, off = 0; i < nuntracked && i < UNTRACKED_SHOWN; i++) {
		size_t k = strcspn(untracked.out + off, "\n");
		names = jv_string_append_str(names, i ? ", " : "");
		names = jv_string_concat(names, jv_string_sized(untracked.out + off, (int)k));
		off += (long)k + 1;
	}
	if (nuntracked > UNTRACKED_SHOWN || untracked.truncated)
		names = jv_string_append_str(names, ", and more");

	jv recs = jv_array();
	int truncated = staged.truncated || unstaged.truncated;
	long lines = plug_lines(staged.out, staged.len) + plug_lines(unstaged.out, unstaged.len);
	if (!staged.len && !unstaged.len && !truncated) {
		jv content = nuntracked
			? jv_string_fmt("git diff in %s: no changes to tracked files. Untracked files "
			                "(not in a diff): %s", jv_string_value(top), jv_string_value(names))
			: jv_string_fmt("git diff in %s: no changes; the working tree and the index "
			                "match HEAD", jv_string_value(top));
		if (tool)
			recs = jv_array_append(recs, plug_context(content));
		else {
			jv_free(content);
			recs = jv_array_append(recs, nuntracked
				? plug_text("git diff: no changes to tracked files (%ld untracked, "
				            "nothing attached)", nuntracked)
				: plug_text("git diff: no changes, nothing attached"));
		}
	} else {
		char note[128];
		jv c = jv_string_fmt("git diff in %s%s:\n\n", jv_string_value(top),
		                     npaths ? " (of the paths named)" : "");
		if (staged.len || staged.truncated) {
			jv part = plug_fenced("Staged (git diff --cached):", "diff", staged.out,
			                      staged.truncated ? plug_tidy(staged.out, staged.len)
			                                       : staged.len,
			                      cut_note(&staged, &l, note, sizeof note));
			c = jv_string_append_str(jv_string_concat(c, part), "\n");
		}
		if (unstaged.len || unstaged.truncated) {
			jv part = plug_fenced("Not staged (git diff):", "diff", unstaged.out,
			                      unstaged.truncated ? plug_tidy(unstaged.out, unstaged.len)
			                                         : unstaged.len,
			                      cut_note(&unstaged, &l, note, sizeof note));
			c = jv_string_append_str(jv_string_concat(c, part), "\n");
		} else if (staged.truncated) {
			c = jv_string_append_str(c, "The changes not staged were left out: the "
			                         "staged ones filled CONFAB_PLUGIN_MAX_BYTES.\n");
		}
		if (nuntracked)
			c = jv_string_concat(c, jv_string_fmt("Untracked files (not in the diff): %s\n",
			                                      jv_string_value(names)));
		recs = jv_array_append(recs, plug_context(c));
		if (!tool) {
			char sz[32];
			recs = jv_array_append(recs, plug_text("attached git diff (%ld line%s%s%s)",
				lines, lines == 1 ? "" : "s", truncated ? ", cut at " : "",
				truncated ? plug_size(l.max_bytes, sz, sizeof sz) : ""));
		}
	}
	jv_free(names);
	jv_free(top);
	plug_run_free(&staged);
	plug_run_free(&unstaged);
	plug_run_free(&untracked);
	return recs;
}

/* What the user is told of an output: its commits, its changed files or
 * its lines. */
enum { LINES, COMMITS, ENTRIES };

static void
summary(const struct plug_run *r, int kind, char *buf, size_t n)
{
	long lines = plug_lines(r->out, r->len), k = 0;
	for (const char *p = r->out; kind != LINES && p && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		k += kind == COMMITS ? !strncmp(p, "commit ", 7) : strncmp(p, "## ", 3) != 0;
	if (kind == COMMITS)
		snprintf(buf, n, "%ld commit%s, %ld lines", k, k == 1 ? "" : "s", lines);
	else if (kind == ENTRIES)
		snprintf(buf, n, k ? "%ld changed or untracked file%s" : "clean", k, k == 1 ? "" : "s");
	else
		snprintf(buf, n, "%ld line%s", lines, lines == 1 ? "" : "s");
}

/* One git command's output as a fenced block; when ref is given, the
 * object it names must exist first. */
static jv
attach(const char *const *args, const char *ref, const char *head, const char *lang,
       const char *said, int kind, int tool)
{
	struct plug_limits l;
	jv ok = plug_limits(&l);
	if (!jv_is_valid(ok))
		return ok;
	jv top = toplevel(&l);
	if (!jv_is_valid(top))
		return top;
	struct plug_run r;
	if (ref) {
		const char *check[] = {"cat-file", "-e", "--end-of-options", ref, NULL};
		ok = git(check, &l, &r);
		if (!jv_is_valid(ok)) {
			jv_free(top);
			if (cf_error_status(ok) != CF_EX_FAIL)
				return ok;
			jv_free(ok);
			return cf_error(CF_EX_NOTFOUND, "no commit or object '%s' in the repository",
			                ref);
		}
		plug_run_free(&r);
	}
	ok = git(args, &l, &r);
	if (!jv_is_valid(ok)) {
		jv_free(top);
		return ok;
	}
	char note[128];
	jv h = jv_string_fmt("%s in %s:", head, jv_string_value(top));
	jv recs = jv_array_append(jv_array(), plug_context(plug_fenced(jv_string_value(h), lang,
		r.out, r.truncated ? plug_tidy(r.out, r.len) : r.len,
		cut_note(&r, &l, note, sizeof note))));
	if (!tool) {
		char sz[32], what[96];
		summary(&r, kind, what, sizeof what);
		recs = jv_array_append(recs, plug_text("attached %s (%s%s%s)", said, what,
			r.truncated ? ", cut at " : "",
			r.truncated ? plug_size(l.max_bytes, sz, sizeof sz) : ""));
	}
	jv_free(h);
	jv_free(top);
	plug_run_free(&r);
	return recs;
}

static jv
do_log(long count, int tool)
{
	char n[24], head[64];
	snprintf(n, sizeof n, "-n%ld", count);
	snprintf(head, sizeof head, "git log -n %ld", count);
	const char *args[] = {"log", n, "--decorate=short", "--no-show-signature", NULL};
	return attach(args, NULL, head, "text", "git log", COMMITS, tool);
}

static jv
do_show(const char *ref, int tool)
{
	/* a ref is never taken as one of git's options (--output=FILE) */
	if (!*ref || *ref == '-')
		return cf_usage_error("invalid ref '%s'", ref);
	char head[300];
	snprintf(head, sizeof head, "git show %s", ref);
	const char *args[] = {"show", "--no-ext-diff", "--no-textconv", "--decorate=short",
	                      "--no-show-signature", "--end-of-options", ref, "--", NULL};
	return attach(args, ref, head, "diff", head, LINES, tool);
}

static jv
do_status(int tool)
{
	const char *args[] = {"status", "--short", "--branch", "--untracked-files=normal", NULL};
	return attach(args, NULL, "git status --short --branch", "text", "git status", ENTRIES,
	              tool);
}

/* git asks nobody anything, and a status takes no lock from the user's
 * own git running beside us */
static void
quiet_git(void)
{
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	setenv("GIT_OPTIONAL_LOCKS", "0", 1);
}

static jv
command(const char *name, int argc, char **argv)
{
	quiet_git();
	if (!strcmp(name, "diff"))
		return do_diff((const char *const *)argv, argc, 0);
	if (!strcmp(name, "log")) {
		long count = LOG_DEFAULT;
		if (argc > 1)
			return cf_usage_error("unexpected argument '%s': log takes one count", argv[1]);
		if (argc == 1 && cf_parse_long(argv[0], 1, LOG_MAX, &count))
			return cf_usage_error("invalid count '%s': expected a number from 1 to %d",
			                      argv[0], LOG_MAX);
		return do_log(count, 0);
	}
	if (!strcmp(name, "show")) {
		if (argc != 1)
			return cf_usage_error(argc ? "unexpected argument '%s': show takes one ref"
			                           : "show needs a ref%s", argc ? argv[1] : "");
		return do_show(argv[0], 0);
	}
	if (argc)
		return cf_usage_error("unexpected argument '%s': status takes none", argv[0]);
	return do_status(0);
}

static jv
tool(const char *name, jv input)
{
	jv err = jv_true(), res;
	quiet_git();
	if (!strcmp(name, "git_diff")) {
		jv paths = jv_object_get(jv_copy(input), jv_string("paths"));
		const char *list[20];
		int n = 0;
		if (jv_get_kind(paths) == JV_KIND_ARRAY) {
			jv_array_foreach(paths, i, p) {
				if (jv_get_kind(p) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(p)) ||
				    n == 20) {
					jv_free(err);
					err = cf_usage_error("invalid 'paths' in the input: expected at most "
					                     "20 file names");
				} else {
					list[n++] = jv_string_value(p);   /* paths keeps it */
				}
				jv_free(p);
			}
		} else if (jv_get_kind(paths) != JV_KIND_INVALID && jv_get_kind(paths) != JV_KIND_NULL) {
			jv_free(err);
			err = cf_usage_error("invalid 'paths' in the input: expected an array of strings");
		}
		res = jv_is_valid(err) ? do_diff(list, n, 1) : jv_copy(err);
		jv_free(paths);
	} else if (!strcmp(name, "git_log")) {
		long count = plug_input_long(input, "count", LOG_DEFAULT, 1, LOG_MAX, &err);
		res = jv_is_valid(err) ? do_log(count, 1) : jv_copy(err);
	} else if (!strcmp(name, "git_show")) {
		const char *ref = plug_input_str(input, "ref", 1, &err);
		res = jv_is_valid(err) ? do_show(ref, 1) : jv_copy(err);
	} else {
		res = do_status(1);
	}
	jv_free(err);
	jv_free(input);
	return res;
}

const struct cf_plugin_def cf_plugin_git = {"git", commands, tools, command, tool};
