/* plug_file.c — chat-plugin-file: a text file, the lines matching a
 * pattern, or a folder's tree as context.  Folders are walked without
 * following symbolic links (so a loop is just a link), .git left out. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plug.h"

#define GREP_MATCHES 200
#define GREP_LINE 240
#define WALK_FILES 20000
#define WALK_DEPTH 32
#define TREE_DEPTH 3
#define TREE_DEPTH_MAX 10
#define TREE_ENTRIES 1000
#define SNIFF 8192

static const struct cf_plug_cmd commands[] = {
	{"read", "PATH",
	 "attach a text file (UTF-8), fenced in its language; the words are one path"},
	{"grep", "[-F] [-i] PATTERN [PATH...]",
	 "attach the lines matching PATTERN, a POSIX extended regular expression (-F: a fixed "
	 "string; -i: any case), in the files and folders named (.), with line numbers"},
	{"tree", "[DIR [DEPTH]]",
	 "attach the files under DIR (.), DEPTH folders deep (3)"},
	{0},
};

static const struct cf_plug_tool tools[] = {
	{"file_read", "The contents of a text file under the user's working directory, "
	 "with its line count; binary and non-UTF-8 files are refused, long ones cut. Read-only.",
	 "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"minLength\":1,"
	 "\"description\":\"the file, relative to the working directory\"}},"
	 "\"required\":[\"path\"],\"additionalProperties\":false}"},
	{"file_grep", "The lines matching a pattern in the files under a folder of the user's "
	 "working directory (recursive; .git and binary files skipped), as path:line:text. "
	 "Read-only.",
	 "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\",\"minLength\":1,"
	 "\"description\":\"a POSIX extended regular expression, or a plain string with fixed\"},"
	 "\"path\":{\"type\":\"string\",\"minLength\":1,\"description\":\"a file or folder "
	 "relative to the working directory; . when not given\"},"
	 "\"fixed\":{\"type\":\"boolean\",\"description\":\"the pattern is a plain string\"},"
	 "\"ignore_case\":{\"type\":\"boolean\",\"description\":\"match in any case\"}},"
	 "\"required\":[\"pattern\"],\"additionalProperties\":false}"},
	{"file_tree", "The files and folders under a folder of the user's working directory, "
	 "indented by depth (.git left out, symbolic links shown, not followed). Read-only.",
	 "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"minLength\":1,"
	 "\"description\":\"the folder, relative to the working directory; . when not given\"},"
	 "\"depth\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,\"description\":"
	 "\"how many folders deep, 3 when not given\"}},\"additionalProperties\":false}"},
	{0},
};

/* ---- paths ---- */

static jv
no_file(const char *path, int e)
{
	if (e == ENOENT || e == ENOTDIR)
		return cf_error(CF_EX_NOTFOUND, "no such file or folder: '%s'", path);
	return cf_error(CF_EX_FAIL, "cannot read '%s': %s", path, strerror(e));
}

/* A tool (the model, not the user) reads only under the working folder:
 * jv_true(), or why not. */
static jv
confine(const char *path)
{
	char *here = realpath(".", NULL), *there = realpath(path, NULL);
	jv res = jv_true();
	if (!there) {
		res = no_file(path, errno);
	} else if (!here) {
		res = cf_error(CF_EX_FAIL, "the working folder is gone: %s", strerror(errno));
	} else {
		size_t n = strlen(here);
		if (strncmp(there, here, n) || (there[n] && there[n] != '/' && strcmp(here, "/")))
			res = cf_usage_error("'%s' is outside the working folder %s, where the file "
			                     "tools stay", path, here);
	}
	free(here);
	free(there);
	return res;
}

/* confine() again for what fd is open on: a link swapped in between the
 * check of a path and its open would otherwise be read. */
static jv
confine_fd(int fd, const char *path)
{
	char proc[64], there[PATH_MAX];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(proc, there, sizeof there - 1);
	if (k < 0)
		return cf_error(CF_EX_FAIL, "cannot tell where '%s' is: %s", path, strerror(errno));
	there[k] = '\0';
	char *here = realpath(".", NULL);
	jv res = jv_true();
	if (!here) {
		res = cf_error(CF_EX_FAIL, "the working folder is gone: %s", strerror(errno));
	} else {
		size_t n = strlen(here);
		if (strncmp(there, here, n) || (there[n] && there[n] != '/' && strcmp(here, "/")))
			res = cf_usage_error("'%s' is outside the working folder %s, where the file "
			                     "tools stay", path, here);
	}
	free(here);
	return res;
}

/* The fence's language for a file name. */
static const char *
lang_of(const char *path)
{
	static const char *const by_ext[][2] = {
		{"c", "c"}, {"h", "c"}, {"cc", "cpp"}, {"cpp", "cpp"}, {"cxx", "cpp"},
		{"hpp", "cpp"}, {"hh", "cpp"}, {"py", "python"}, {"js", "javascript"},
		{"mjs", "javascript"}, {"cjs", "javascript"}, {"jsx", "javascript"},
		{"ts", "typescript"}, {"tsx", "tsx"}, {"go", "go"}, {"rs", "rust"},
		{"java", "java"}, {"sh", "bash"}, {"bash", "bash"}, {"bats", "bash"},
		{"zsh", "zsh"}, {"fish", "fish"}, {"json", "json"}, {"html", "html"},
		{"htm", "html"}, {"css", "css"}, {"rb", "ruby"}, {"md", "markdown"},
		{"yml", "yaml"}, {"yaml", "yaml"}, {"toml", "toml"}, {"xml", "xml"},
		{"sql", "sql"}, {"diff", "diff"}, {"patch", "diff"}, {"mk", "make"},
		{"lua", "lua"}, {"php", "php"}, {"pl", "perl"}, {"swift", "swift"},
		{"kt", "kotlin"}, {"cs", "csharp"}, {"hs", "haskell"}, {"ml", "ocaml"},
		{"ini", "ini"}, {"tex", "latex"}, {"txt", "text"},
	};
	static const char *const by_name[][2] = {
		{"Makefile", "make"}, {"GNUmakefile", "make"}, {"makefile", "make"},
		{"Dockerfile", "dockerfile"}, {"CMakeLists.txt", "cmake"},
	};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof by_name / sizeof *by_name; i++)
		if (!strcmp(base, by_name[i][0]))
			return by_name[i][1];
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return "";
	for (size_t i = 0; i < sizeof by_ext / sizeof *by_ext; i++)
		if (!strcasecmp(dot + 1, by_ext[i][0]))
			return by_ext[i][1];
	return "";
}

/* ---- read ---- */

static jv
do_read(const char *path, int tool)
{
	struct plug_limits l;
	jv ok = plug_limits(&l);
	if (!jv_is_valid(ok) || (tool && !jv_is_valid(ok = confine(path))))
		return ok;
	jv_free(ok);
	/* not blocking on a FIFO nobody writes */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return no_file(path, errno);
	if (tool && !jv_is_valid(ok = confine_fd(fd, path))) {
		close(fd);
		return ok;
	}
	jv_free(ok);
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return no_file(path, e);
	}
	if (!S_ISREG(sb.st_mode)) {
		int dir = S_ISDIR(sb.st_mode);
		close(fd);
		return dir ? cf_usage_error("'%s' is a folder: tree lists it", path)
		           : cf_usage_error("'%s' is not a regular file", path);
	}
	size_t cap = l.max_bytes + 1, n = 0;
	char *buf = cf_xmalloc(cap + 1);
	ssize_t got = 0;
	while (n < cap && ((got = read(fd, buf + n, cap - n)) > 0 || (got < 0 && errno == EINTR)))
		if (got > 0)
			n += (size_t)got;
	int e = errno;
	close(fd);
	if (got < 0) {
		free(buf);
		return no_file(path, e);
	}
	int cut = n > l.max_bytes;
	if (cut)
		n = plug_tidy(buf, l.max_bytes);
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		free(buf);
		return cf_error(CF_EX_DATA, "'%s' is a binary file (it holds NUL bytes), not text",
		                path);
	}
	if (!cf_utf8_valid(buf, n)) {
		free(buf);
		return cf_error(CF_EX_DATA, "'%s' is not UTF-8 text", path);
	}
	long lines = plug_lines(buf, n);
	char sz[32], total[32], head[4200], note[200];
	if (cut)
		snprintf(note, sizeof note, "(cut: only its first %ld lines, of %s in all; "
		         "CONFAB_PLUGIN_MAX_BYTES is %s)", lines,
		         plug_size((size_t)sb.st_size, total, sizeof total),
		         plug_size(l.max_bytes, sz, sizeof sz));
	jv content;
	if (!n) {
		content = jv_string_fmt("The file %s is empty.\n", path);
	} else {
		snprintf(head, sizeof head, "The file %s (%ld line%s):", path, lines,
		         lines == 1 ? "" : "s");
		content = plug_fenced(head, lang_of(path), buf, n, cut ? note : NULL);
	}
	free(buf);
	jv recs = jv_array_append(jv_array(), plug_context(content));
	if (!tool)
		recs = jv_array_append(recs, cut
			? plug_text("attached %s (its first %ld lines, cut at %s)", path, lines,
			            plug_size(l.max_bytes, sz, sizeof sz))
			: plug_text("attached %s (%ld line%s)", path, lines, lines == 1 ? "" : "s"));
	return recs;
}

/* ---- walking ---- */

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
wanted(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && strcmp(d->d_name, ".git");
}

/* dir/name, without "./" in front */
static char *
join(const char *dir, const char *name)
{
	if (!strcmp(dir, "."))
		return cf_xstrdup(name);
	size_t n = strlen(dir);
	char *p = cf_xmalloc(n + strlen(name) + 2);
	sprintf(p, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	return p;
}

/* ---- grep ---- */

struct grep {
	regex_t re;
	const char *fixed;   /* or a plain string */
	int icase;
	jv out;              /* path:line:text lines */
	size_t bytes, max_bytes;
	long matches, files_matched, files, binary, unreadable;
	int full;            /* stopped at a bound */
	int tool;            /* every file opened checked to be under the folder */
};

static int
line_matches(struct grep *g, const char *line)
{
	if (g->fixed)
		return (g->icase ? strcasestr(line, g->fixed) : strstr(line, g->fixed)) != NULL;
	return regexec(&g->re, line, 0, NULL, 0) == 0;
}

/* walked: path was seen by lstat as a regular file, and is read only if
 * it still is one, not a link or a FIFO put in its place since. */
static void
grep_file(struct grep *g, const char *path, int walked)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
	              (walked ? O_NOFOLLOW : 0));
	struct stat sb;
	FILE *f = NULL;
	if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		jv ok = g->tool ? confine_fd(fd, path) : jv_true();
		if (jv_is_valid(ok))
			f = fdopen(fd, "r");
		jv_free(ok);
	}
	if (!f) {
		if (fd >= 0)
			close(fd);
		g->unreadable++;
		return;
	}
	g->files++;
	char sniff[SNIFF];
	size_t got = fread(sniff, 1, sizeof sniff, f);
	if (memchr(sniff, '\0', got)) {
		g->binary++;
		fclose(f);
		return;
	}
	rewind(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long no = 0, here = 0;
	while (!g->full && (len = getline(&line, &cap, f)) >= 0) {
		no++;
		if (memchr(line, '\0', (size_t)len)) {
			g->binary++;
			break;
		}
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!line_matches(g, line))
			continue;
		size_t keep = (size_t)len > GREP_LINE ? plug_tidy(line, GREP_LINE) : (size_t)len;
		jv l = jv_string_fmt("%s:%ld:", path, no);
		l = jv_string_concat(l, jv_string_sized(line, (int)keep));
		l = jv_string_append_str(l, keep < (size_t)len ? " …\n" : "\n");
		size_t n = (size_t)jv_string_length_bytes(jv_copy(l));
		if (g->bytes + n > g->max_bytes) {
			jv_free(l);
			g->full = 1;
			break;
		}
		g->bytes += n;
		g->out = jv_string_concat(g->out, l);
		here++;
		if (++g->matches >= GREP_MATCHES)
			g->full = 1;
	}
	g->files_matched += here > 0;
	free(line);
	fclose(f);
}

static void
grep_walk(struct grep *g, const char *dir, int depth)
{
	struct dirent **names;
	int n = scandir(dir, &names, wanted, by_name);
	if (n < 0) {
		g->unreadable++;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (!g->full && g->files < WALK_FILES) {
			char *p = join(dir, names[i]->d_name);
			struct stat sb;
			if (lstat(p, &sb) == 0) {
				if (S_ISDIR(sb.st_mode) && depth < WALK_DEPTH)
					grep_walk(g, p, depth + 1);
				else if (S_ISREG(sb.st_mode))
					grep_file(g, p, 1);
			}
			free(p);
		} else {
			g->full = 1;
		}
		free(names[i]);
	}
	free(names);
}

static jv
do_grep(const char *pattern, const char *const *paths, int npaths, int fixed, int icase,
        int tool)
{
	struct plug_limits l;
	jv ok = plug_limits(&l);
	if (!jv_is_valid(ok))
		return ok;
	static const char *const here[] = {"."};
	if (!npaths) {
		paths = (const char *const *)here;
		npaths = 1;
	}
	for (int i = 0; i < npaths; i++) {
		struct stat sb;
		if (stat(paths[i], &sb) != 0)
			return no_file(paths[i], errno);
		/* a FIFO would be waited on */
		if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
			return cf_usage_error("'%s' is not a regular file or a folder", paths[i]);
		if (tool && !jv_is_valid(ok = confine(paths[i])))
			return ok;
	}
	struct grep g = {.fixed = fixed ? pattern : NULL, .icase = icase, .out = jv_string(""),
	                 .max_bytes = l.max_bytes, .tool = tool};
	if (!fixed) {
		int rc = regcomp(&g.re, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
		if (rc) {
			char why[200];
			regerror(rc, &g.re, why, sizeof why);
			jv_free(g.out);
			return cf_usage_error("invalid pattern '%s': %s", pattern, why);
		}
	}
	for (int i = 0; i < npaths && !g.full; i++) {
		struct stat sb;
		if (stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			grep_walk(&g, paths[i], 0);
		else
			grep_file(&g, paths[i], 0);
	}
	if (!fixed)
		regfree(&g.re);

	jv where = jv_string(paths[0]);
	for (int i = 1; i < npaths; i++)
		where = jv_string_append_str(jv_string_append_str(where, ", "), paths[i]);
	const char *kind = fixed ? "the string" : "the regular expression";
	jv notes = jv_string("");
	if (g.full)
		notes = jv_string_concat(notes, jv_string_fmt("Stopped at %ld matches (at most %d, "
			"within CONFAB_PLUGIN_MAX_BYTES): there may be more.\n", g.matches, GREP_MATCHES));
	if (g.binary)
		notes = jv_string_concat(notes, jv_string_fmt("%ld binary file%s skipped.\n",
			g.binary, g.binary == 1 ? "" : "s"));
	if (g.unreadable)
		notes = jv_string_concat(notes, jv_string_fmt("%ld file%s or folder%s could not be "
			"read.\n", g.unreadable, g.unreadable == 1 ? "" : "s", g.unreadable == 1 ? "" : "s"));
	jv recs = jv_array();
	if (!g.matches) {
		jv c = jv_string_fmt("No line matches %s \"%s\"%s in %s (%ld file%s searched).\n",
			kind, pattern, icase ? " in any case" : "", jv_string_value(where), g.files,
			g.files == 1 ? "" : "s");
		c = jv_string_concat(c, jv_copy(notes));
		if (tool)
			recs = jv_array_append(recs, plug_context(c));
		else {
			jv_free(c);
			recs = jv_array_append(recs, plug_text("no matches for '%s' in %s (%ld file%s "
				"searched), nothing attached", pattern, jv_string_value(where), g.files,
				g.files == 1 ? "" : "s"));
		}
	} else {
		jv head = jv_string_fmt("The lines matching %s \"%s\"%s in %s, as path:line:text "
			"(%ld match%s in %ld file%s):", kind, pattern, icase ? " in any case" : "",
			jv_string_value(where), g.matches, g.matches == 1 ? "" : "es", g.files_matched,
			g.files_matched == 1 ? "" : "s");
		jv c = plug_fenced(jv_string_value(head), "text", jv_string_value(g.out),
		                   g.bytes, NULL);
		jv_free(head);
		if (jv_string_length_bytes(jv_copy(notes)))
			c = jv_string_concat(jv_string_append_str(c, "\n"), jv_copy(notes));
		recs = jv_array_append(recs, plug_context(c));
		if (!tool)
			recs = jv_array_append(recs, plug_text("attached %ld match%s for '%s' in %ld "
				"file%s%s", g.matches, g.matches == 1 ? "" : "es", pattern, g.files_matched,
				g.files_matched == 1 ? "" : "s", g.full ? " (stopped there: there may be more)"
				: ""));
	}
	jv_free(notes);
	jv_free(where);
	jv_free(g.out);
	return recs;
}

/* ---- tree ---- */

struct tree {
	jv out;
	long entries;
	int max_depth, full;
};

static void
tree_walk(struct tree *t, const char *dir, int depth)
{
	struct dirent **names;
	int n = scandir(dir, &names, wanted, by_name);
	if (n < 0) {
		t->out = jv_string_concat(t->out, jv_string_fmt("%*s(cannot be read: %s)\n",
			2 * depth, "", strerror(errno)));
		return;
	}
	for (int i = 0; i < n; i++) {
		if (t->entries >= TREE_ENTRIES) {
			t->full = 1;
		} else {
			t->entries++;
			char *p = join(dir, names[i]->d_name);
			struct stat sb;
			const char *name = names[i]->d_name;
			if (lstat(p, &sb) != 0) {
				t->out = jv_string_concat(t->out, jv_string_fmt("%*s%s\n", 2 * depth, "", name));
			} else if (S_ISLNK(sb.st_mode)) {
				char to[4096];
				ssize_t k = readlink(p, to, sizeof to - 1);
				to[k > 0 ? k : 0] = '\0';
				t->out = jv_string_concat(t->out, jv_string_fmt("%*s%s -> %s\n", 2 * depth,
					"", name, to));
			} else if (S_ISDIR(sb.st_mode)) {
				if (depth + 1 < t->max_depth) {
					t->out = jv_string_concat(t->out, jv_string_fmt("%*s%s/\n", 2 * depth,
						"", name));
					tree_walk(t, p, depth + 1);
				} else {
					/* how much lies below, without going there */
					struct dirent **below;
					int m = scandir(p, &below, wanted, NULL);
					for (int j = 0; j < m; j++)
						free(below[j]);
					if (m >= 0)
						free(below);
					t->out = jv_string_concat(t->out, m > 0
						? jv_string_fmt("%*s%s/ (%d entr%s below, not shown)\n", 2 * depth,
						                "", name, m, m == 1 ? "y" : "ies")
						: jv_string_fmt("%*s%s/\n", 2 * depth, "", name));
				}
			} else {
				t->out = jv_string_concat(t->out, jv_string_fmt("%*s%s\n", 2 * depth, "", name));
			}
			free(p);
		}
		free(names[i]);
	}
	free(names);
}

static jv
do_tree(const char *dir, long depth, int tool)
{
	struct stat sb;
	if (stat(dir, &sb) != 0)
		return no_file(dir, errno);
	if (!S_ISDIR(sb.st_mode))
		return cf_usage_error("'%s' is not a folder: read shows a file", dir);
	jv ok = tool ? confine(dir) : jv_true();
	if (!jv_is_valid(ok))
		return ok;
	jv_free(ok);
	struct tree t = {.out = jv_string(""), .max_depth = (int)depth};
	tree_walk(&t, dir, 0);
	jv head = jv_string_fmt("The files under %s, %ld folder%s deep (.git left out; folders "
		"end in /, symbolic links are shown as name -> target):", dir, depth,
		depth == 1 ? "" : "s");
	char note[128];
	snprintf(note, sizeof note, "(stopped at %d entries: there are more)", TREE_ENTRIES);
	jv c = t.entries
		? plug_fenced(jv_string_value(head), "text", jv_string_value(t.out),
		              (size_t)jv_string_length_bytes(jv_copy(t.out)), t.full ? note : NULL)
		: jv_string_fmt("The folder %s is empty.\n", dir);
	jv_free(head);
	jv_free(t.out);
	jv recs = jv_array_append(jv_array(), plug_context(c));
	if (!tool)
		recs = jv_array_append(recs, plug_text("attached the tree of %s (%ld entr%s%s)", dir,
			t.entries, t.entries == 1 ? "y" : "ies", t.full ? ", stopped there" : ""));
	return recs;
}

/* ---- the plugin ---- */

static jv
command(const char *name, int argc, char **argv)
{
	if (!strcmp(name, "read")) {
		if (!argc)
			return cf_usage_error("read needs a path");
		/* the words are one path, spaces and all */
		jv path = jv_string(argv[0]);
		for (int i = 1; i < argc; i++)
			path = jv_string_append_str(jv_string_append_str(path, " "), argv[i]);
		jv res = do_read(jv_string_value(path), 0);
		jv_free(path);
		return res;
	}
	if (!strcmp(name, "grep")) {
		int fixed = 0, icase = 0, i = 0;
		for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
			if (!strcmp(argv[i], "--")) {
				i++;
				break;
			}
			for (const char *f = argv[i] + 1; *f; f++)
				if (*f == 'F')
					fixed = 1;
				else if (*f == 'i')
					icase = 1;
				else
					return cf_usage_error("unknown grep option '-%c': expected -F or -i", *f);
		}
		if (i >= argc)
			return cf_usage_error("grep needs a pattern");
		if (!*argv[i])
			return cf_usage_error("the pattern is empty");
		return do_grep(argv[i], (const char *const *)argv + i + 1, argc - i - 1, fixed,
		               icase, 0);
	}
	long depth = TREE_DEPTH;
	if (argc > 2)
		return cf_usage_error("unexpected argument '%s': tree takes a folder and a depth",
		                      argv[2]);
	if (argc == 2 && cf_parse_long(argv[1], 1, TREE_DEPTH_MAX, &depth))
		return cf_usage_error("invalid depth '%s': expected a number from 1 to %d", argv[1],
		                      TREE_DEPTH_MAX);
	return do_tree(argc ? argv[0] : ".", depth, 0);
}

static jv
tool(const char *name, jv input)
{
	jv err = jv_true(), res;
	if (!strcmp(name, "file_read")) {
		const char *path = plug_input_str(input, "path", 1, &err);
		res = jv_is_valid(err) ? do_read(path, 1) : jv_copy(err);
	} else if (!strcmp(name, "file_grep")) {
		const char *pattern = plug_input_str(input, "pattern", 1, &err);
		const char *path = plug_input_str(input, "path", 0, &err);
		int fixed = plug_input_bool(input, "fixed", &err);
		int icase = plug_input_bool(input, "ignore_case", &err);
		if (jv_is_valid(err) && !*pattern)
			res = cf_usage_error("the input's 'pattern' is empty");
		else
			res = jv_is_valid(err) ? do_grep(pattern, path ? &path : NULL, path ? 1 : 0,
			                                 fixed, icase, 1) : jv_copy(err);
	} else {
		const char *path = plug_input_str(input, "path", 0, &err);
		long depth = plug_input_long(input, "depth", TREE_DEPTH, 1, TREE_DEPTH_MAX, &err);
		res = jv_is_valid(err) ? do_tree(path ? path : ".", depth, 1) : jv_copy(err);
	}
	jv_free(err);
	jv_free(input);
	return res;
}

const struct cf_plugin_def cf_plugin_file = {"file", commands, tools, command, tool};
