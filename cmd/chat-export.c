/* chat-export — sessions out as Markdown, JSON, plain text, HTML, PDF or
 * DOCX; several at once into one archive with a manifest.
 *
 * A file named with -o is written beside its final name and renamed into
 * place when whole: a failure, a full disk or a signal leaves no partial
 * file behind, and an old file of that name stays as it was.  The file
 * has no name until it is whole (O_TMPFILE), so even kill -9 leaves
 * nothing; where the file system cannot do that, it is named for its
 * writer, and the next export to that folder removes it once the writer
 * is gone. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-export [options] [SESSION...]\n"
	"Write sessions as documents.  SESSION is an id, a unique id prefix of 4 or\n"
	"more characters, or an exact name; without one, or with -, session records\n"
	"are read from stdin.  Several sessions, or -o ending in .zip, .tar.gz or\n"
	".tar.zst, make one archive: a file per session and a manifest.json.\n"
	"\n";

enum { O_ARCHIVE = 256, O_METADATA, O_NO_METADATA, O_TIMESTAMPS, O_HEADER_LEVEL,
       O_CODE_LANG, O_WIDTH, O_PAPER };

static const struct cf_opt own[] = {
	{"format", 'f', required_argument, "FORMAT",
	 "markdown, json, plaintext, html, pdf or docx\n"
	 "(default: from -o's extension, else markdown)"},
	{"output", 'o', required_argument, "FILE",
	 "write to FILE (default: stdout)"},
	{"archive", O_ARCHIVE, required_argument, "KIND",
	 "an archive even for one session, and the kind for\n"
	 "stdout: zip, tar.gz or tar.zst"},
	{"metadata", O_METADATA, no_argument, NULL,
	 "markdown: session and message metadata"},
	{"no-metadata", O_NO_METADATA, no_argument, NULL,
	 "json: roles, content and times only"},
	{"timestamps", O_TIMESTAMPS, no_argument, NULL,
	 "markdown: each message's time in its heading"},
	{"header-level", O_HEADER_LEVEL, required_argument, "N",
	 "markdown: the title's heading level, 1 to 5\n"
	 "(messages one below; default 1)"},
	{"code-lang", O_CODE_LANG, required_argument, "LANG",
	 "the language of code blocks that name none"},
	{"width", O_WIDTH, required_argument, "N",
	 "plaintext: wrap at N columns (default 80)"},
	{"paper", O_PAPER, required_argument, "SIZE",
	 "pdf, docx: a4 (default) or letter"},
	{.name = "json", .key = CF_OPT_OMIT},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

enum kind { SINGLE, ZIP, TGZ, TZST };

static const struct { const char *name, *suffix; enum kind kind; } kinds[] = {
	{"zip", ".zip", ZIP}, {"tar.gz", ".tar.gz", TGZ}, {"tgz", ".tgz", TGZ},
	{"tar.zst", ".tar.zst", TZST},
};

/* The temporary file's name while it has one, removed if we are stopped;
 * NULL while an O_TMPFILE file has none. */
static char *temp_path;
/* That file's descriptor when it is an O_TMPFILE file, else -1. */
static int anon_fd = -1;
/* The signals on_signal handles. */
static sigset_t handled;

static void
on_signal(int sig)
{
	if (temp_path)
		unlink(temp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static enum kind
kind_of_path(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		size_t k = strlen(kinds[i].suffix);
		if (n > k && !strcasecmp(path + n - k, kinds[i].suffix))
			return kinds[i].kind;
	}
	return SINGLE;
}

/* A fence's language: a word, nothing that ends or bends the fence line */
static int
lang_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '`' || *s == '~' || *s == 0x7f)
			return 0;
	return 1;
}

static _Noreturn void
unknown_format(const char *what, const char *name)
{
	char list[128] = "";
	for (int i = 0; cf_formats[i]; i++) {
		strcat(list, i ? ", " : "");
		strcat(list, cf_formats[i]->name);
	}
	cf_usage_die("%s '%s': the formats are %s", what, name, list);
}

/* ---- writing ---- */

static const char *out_name;   /* for messages: the file, or "stdout" */

static _Noreturn void
write_failed(int err)
{
	if (temp_path)
		unlink(temp_path);
	if (err == EPIPE && !temp_path)
		exit(CF_EX_OK);   /* the reader went away, as | head does */
	cf_die(CF_EX_FAIL, "writing %s: %s", out_name, strerror(err ? err : EIO));
}

/* Our temporary files are named ".NAME.confab-PID-XXXXXX", or
 * ".chat-export.confab-PID-XXXXXX" for a long NAME: the pid, if the name
 * is one of them, else 0. */
static long
temp_owner(const char *name)
{
	const char *p = NULL, *q;
	if (name[0] != '.')
		return 0;
	for (q = name; (q = strstr(q, ".confab-")); q++)
		p = q + 8;
	if (!p || *p < '1' || *p > '9')
		return 0;
	long pid = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((pid = pid * 10 + (*p - '0')) > INT_MAX)
			return 0;
	if (*p++ != '-' || strlen(p) != 6)
		return 0;
	for (; *p; p++)
		if (!g_ascii_isalnum(*p))
			return 0;
	return pid;
}

/* Where O_TMPFILE is missing, a killed export's named temporary file would
 * stay for good: each export removes those in its folder whose writer is
 * gone.  Gone is no such pid here and no lock on the file, for a writer on
 * another machine sharing the folder, or in another pid namespace, holds
 * one.  Only this user's regular files, never through a link. */
static void
sweep(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		long pid = temp_owner(e->d_name);
		if (!pid || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		int fl = O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
		/* NFS locks exclusively only what is open for writing */
		int fd = openat(dirfd(d), e->d_name, O_RDWR | fl);
		if (fd < 0 && errno == EACCES)
			fd = openat(dirfd(d), e->d_name, O_RDONLY | fl);
		if (fd < 0)
			continue;
		struct stat sb, now;
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
		    (flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK) &&
		    fstatat(dirfd(d), e->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino == sb.st_ino && now.st_dev == sb.st_dev)
			unlinkat(dirfd(d), e->d_name, 0);
		close(fd);
	}
	closedir(d);
}

/* The name of path's temporary file, its last six characters to fill. */
static char *
temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dn = slash ? (size_t)(slash - path) + 1 : 0, n = strlen(path) + 48;
	char *t = cf_xmalloc(n);
	/* a long name would be too long with the temporary's additions */
	if (strlen(path + dn) > 200)
		snprintf(t, n, "%.*s.chat-export.confab-%ld-XXXXXX", (int)dn, path, (long)getpid());
	else
		snprintf(t, n, "%.*s.%s.confab-%ld-XXXXXX", (int)dn, path, path + dn, (long)getpid());
	return t;
}

/* A temporary file beside path, or stdout when path is NULL. */
static FILE *
open_out(const char **pathp)
{
	const char *path = *pathp;
	if (!path)
		return stdout;
	/* A link is followed: the file it names is the one replaced, and the
	 * link stays a link. */
	struct stat sb;
	static char real[PATH_MAX];
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && realpath(path, real))
		*pathp = path = real;
	int exists = stat(path, &sb) == 0;
	/* A device or a pipe (-o /dev/stdout, a fifo) is written as it is:
	 * a rename would put a regular file in its place. */
	if (exists && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode))
			cf_die(CF_EX_FAIL, "cannot write %s: Is a directory", path);
		FILE *f = fopen(path, "wb");
		if (!f)
			cf_die(CF_EX_FAIL, "cannot write %s: %s", path, strerror(errno));
		*pathp = NULL;   /* nothing to rename */
		return f;
	}
	/* what a shell's > would refuse, a rename must not do either */
	if (exists && access(path, W_OK) != 0)
		cf_die(CF_EX_FAIL, "cannot write %s: %s", path, strerror(errno));
	const char *slash = strrchr(path, '/');
	char *dir = slash ? g_strndup(path, (size_t)(slash - path) + 1) : g_strdup(".");
	sweep(dir);
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	int e = errno;
	g_free(dir);
	/* linkat names it through /proc: without /proc, a named file */
	char proc[64];
	if (fd >= 0) {
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		if (access(proc, F_OK) != 0) {
			close(fd);
			fd = -1;
			e = EOPNOTSUPP;
		}
	}
	if (fd >= 0) {
		anon_fd = fd;
	} else if (e == EOPNOTSUPP || e == EISDIR || e == EINVAL) {
		/* a file system or a kernel without O_TMPFILE */
		temp_path = temp_name(path);
		if ((fd = mkostemp(temp_path, O_CLOEXEC)) < 0)
			e = errno;
	}
	if (fd < 0) {
		free(temp_path);
		temp_path = NULL;
		cf_die(CF_EX_FAIL, "cannot write %s: %s", path, strerror(e));
	}
	/* what sweep asks of a writer on another machine */
	flock(fd, LOCK_EX | LOCK_NB);
	/* made 0600: a file replaced keeps its mode, a new one is an ordinary
	 * new file */
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, exists ? sb.st_mode & 07777 : 0666 & ~um);
	FILE *f = fdopen(fd, "wb");
	if (!f)
		write_failed(errno);
	return f;
}

/* The whole O_TMPFILE file gets a temporary name (linkat cannot replace
 * a file) and is renamed over path; the signals wait, so none comes
 * between the link and temp_path naming it. */
static void
name_anon(const char *path)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", anon_fd);
	char *t = temp_name(path);
	size_t n = strlen(t);
	static const char az[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int tries = 0;; tries++) {
		for (int i = 0; i < 6; i++)
			t[n - 6 + i] = az[g_random_int() % (sizeof az - 1)];
		if (linkat(AT_FDCWD, proc, AT_FDCWD, t, AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || tries == 100)
			write_failed(errno);
	}
	temp_path = t;
}

/* -o naming the store (or its -wal or -shm) would replace the sessions
 * being read with their export. */
static void
not_the_store(cf_store *st, const char *output)
{
	struct stat o, d;
	const char *db = sqlite3_db_filename(cf_store_db(st), "main");
	if (!output || !db || stat(output, &o) != 0)
		return;
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s%s", db, ext[i]);
		if (stat(p, &d) == 0 && d.st_dev == o.st_dev && d.st_ino == o.st_ino)
			cf_usage_die("-o '%s' is the store itself", output);
	}
}

/* On a terminal, what a message holds must not drive it: escape and
 * control sequences are dropped (C0 but tab and newline, DEL, C1). */
static void
copy_clean(FILE *from)
{
	char buf[65536];
	size_t n;
	int c2 = 0;
	rewind(from);
	while ((n = fread(buf, 1, sizeof buf, from)) > 0)
		cf_clean_write(stdout, buf, n, &c2, 1);
	if (c2)
		putchar(0xc2);
}

static void
close_out(FILE *f, const char *path)
{
	errno = 0;
	if (fflush(f) != 0 || ferror(f))
		write_failed(errno);
	if (!path) {
		if (f != stdout && fclose(f) != 0)
			write_failed(errno);
		return;
	}
	if (fsync(fileno(f)) != 0 && errno != EINVAL)
		write_failed(errno);
	sigset_t old;
	sigprocmask(SIG_BLOCK, &handled, &old);
	if (anon_fd >= 0)
		name_anon(path);
	if (fclose(f) != 0)
		write_failed(errno);
	if (rename(temp_path, path) != 0)
		write_failed(errno);
	free(temp_path);
	temp_path = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- archives ---- */

static void
arc_check(struct archive *a, int rc)
{
	if (rc < ARCHIVE_WARN) {
		int e = archive_errno(a);
		if (temp_path)
			unlink(temp_path);
		if (e == EPIPE && !temp_path)
			exit(CF_EX_OK);
		/* the system's reason when there is one: "Write error" says less
		 * than "No space left on device" */
		const char *why = e > 0 ? strerror(e) :
		                  archive_error_string(a) ? archive_error_string(a) : "failed";
		cf_die(CF_EX_FAIL, "writing %s: %s", out_name, why);
	}
}

static void
arc_file(struct archive *a, const char *name, FILE *src, long size, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	arc_check(a, archive_write_header(a, e));
	archive_entry_free(e);
	char buf[65536];
	size_t n;
	rewind(src);
	while ((n = fread(buf, 1, sizeof buf, src)) > 0)
		if (archive_write_data(a, buf, n) < 0)
			arc_check(a, ARCHIVE_FATAL);
	if (ferror(src))
		write_failed(errno);
}

/* What a name is to file systems that fold case (Windows, macOS) or
 * normalize (macOS): "Ä" is "ä", and "é" is "e" and a combining accent. */
static char *
name_key(const char *name)
{
	if (!g_utf8_validate(name, -1, NULL))
		return g_ascii_strdown(name, -1);
	char *fold = g_utf8_casefold(name, -1);
	char *key = g_utf8_normalize(fold, -1, G_NORMALIZE_DEFAULT);
	g_free(fold);
	return key ? key : g_ascii_strdown(name, -1);
}

/* Composed (NFC), as libarchive writes names: the manifest must name
 * what the archive holds.  Consumes s. */
static char *
composed(char *s)
{
	char *c = g_utf8_validate(s, -1, NULL) ?
	          g_utf8_normalize(s, -1, G_NORMALIZE_DEFAULT_COMPOSE) : NULL;
	if (!c)
		return s;
	free(s);
	s = cf_xstrdup(c);
	g_free(c);
	return s;
}

/* A name not yet in the archive: "name.md", "name (2).md", ... compared
 * as name_key compares them.  Composed before the cut at 100 bytes (NFC
 * can lengthen: U+0958 is three bytes, composed six) and after it (what
 * was taken out may have stood between a letter and its accent). */
static char *
unique(jv *used, const char *name, const char *ext)
{
	char *nfc = composed(cf_xstrdup(name));
	char *base = composed(cf_safe_name(nfc, ""));
	free(nfc);
	for (int i = 1;; i++) {
		char *full = cf_xmalloc(strlen(base) + strlen(ext) + 24);
		if (i == 1)
			sprintf(full, "%s%s%s", base, *ext ? "." : "", ext);
		else
			sprintf(full, "%s (%d)%s%s", base, i, *ext ? "." : "", ext);
		char *key = name_key(full);
		jv seen = jv_object_get(jv_copy(*used), jv_string(key));
		int taken = jv_is_valid(seen);
		jv_free(seen);
		if (!taken) {
			*used = jv_object_set(*used, jv_string(key), jv_true());
			g_free(key);
			free(base);
			return full;
		}
		g_free(key);
		free(full);
	}
}

static time_t
mtime_of(jv s)
{
	int64_t ms;
	if (cf_time_parse(cf_jstr(s, "lastUpdated"), &ms) == 0)
		return (time_t)(ms / 1000);
	return time(NULL);
}

static void
export_archive(cf_store *st, jv list, const struct cf_format *fmt,
               const struct cf_xopt *o, enum kind kind, FILE *out)
{
	struct archive *a = archive_write_new();
	int rc = kind == ZIP ? archive_write_set_format_zip(a) :
	                       archive_write_set_format_pax_restricted(a);
	arc_check(a, rc);
	/* names are UTF-8 whatever the locale: zip flags them so, and pax
	 * headers carry them for tar */
	if (kind == ZIP)
		arc_check(a, archive_write_set_format_option(a, "zip", "hdrcharset", "UTF-8"));
	if (kind == TGZ)
		arc_check(a, archive_write_add_filter_gzip(a));
	else if (kind == TZST)
		arc_check(a, archive_write_add_filter_zstd(a));
	/* the output's own block size, not tar's 10 KiB records padded out */
	archive_write_set_bytes_in_last_block(a, 1);
	arc_check(a, archive_write_open_FILE(a, out));

	jv used = jv_object(), manifest = jv_array();
	used = jv_object_set(used, jv_string("manifest.json"), jv_true());
	jv_array_foreach(list, i, s) {
		FILE *tmp = tmpfile();
		if (!tmp)
			write_failed(errno);
		if (cf_export_session(st, jv_copy(s), fmt, o, tmp))
			write_failed(errno);
		char *file = unique(&used, cf_jstr(s, "name"), fmt->ext);
		arc_file(a, file, tmp, ftell(tmp), mtime_of(s));
		fclose(tmp);
		jv md = jv_object_get(jv_copy(s), jv_string("metadata"));
		jv e = jv_object();
		e = jv_object_set(e, jv_string("file"), jv_string(file));
		e = jv_object_set(e, jv_string("id"), jv_object_get(jv_copy(s), jv_string("id")));
		e = jv_object_set(e, jv_string("name"), jv_object_get(jv_copy(s), jv_string("name")));
		e = jv_object_set(e, jv_string("created"), jv_object_get(jv_copy(s), jv_string("created")));
		e = jv_object_set(e, jv_string("lastUpdated"), jv_object_get(jv_copy(s), jv_string("lastUpdated")));
		e = jv_object_set(e, jv_string("messageCount"), jv_object_get(md, jv_string("messageCount")));
		manifest = jv_array_append(manifest, e);
		free(file);
		jv_free(s);
		(void)i;
	}
	jv m = jv_object();
	m = jv_object_set(m, jv_string("generator"), jv_string("confab " CF_VERSION));
	m = jv_object_set(m, jv_string("format"), jv_string(fmt->name));
	m = jv_object_set(m, jv_string("exported"), cf_time_jv(cf_now_ms()));
	m = jv_object_set(m, jv_string("sessions"), manifest);
	jv dumped = jv_dump_string(m, JV_PRINT_PRETTY | JV_PRINT_SPACE1);
	FILE *tmp = tmpfile();
	if (!tmp)
		write_failed(errno);
	fputs(jv_string_value(dumped), tmp);
	fputc('\n', tmp);
	jv_free(dumped);
	arc_file(a, "manifest.json", tmp, ftell(tmp), time(NULL));
	fclose(tmp);
	arc_check(a, archive_write_close(a));
	archive_write_free(a);
	jv_free(used);
	jv_free(list);
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *output = NULL, *format = NULL, *archive = NULL;
	struct cf_xopt o = {.header_level = 1, .width = 80};
	int opt;
	long n;

	cf_setprog(argv[0]);
	/* libarchive converts entry names through the locale's character set;
	 * in the C locale a name such as "café" cannot be written at all */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case O_ARCHIVE: archive = optarg; break;
		case O_METADATA: o.metadata = 1; break;
		case O_NO_METADATA: o.lean = 1; break;
		case O_TIMESTAMPS: o.timestamps = 1; break;
		case O_HEADER_LEVEL:
			if (cf_parse_long(optarg, 1, 5, &n))
				cf_usage_die("invalid --header-level '%s': expected 1 to 5", optarg);
			o.header_level = (int)n;
			break;
		case O_CODE_LANG:
			if (!lang_ok(optarg))
				cf_usage_die("invalid --code-lang '%s': expected a word such as python", optarg);
			o.code_lang = optarg;
			break;
		case O_WIDTH:
			if (cf_parse_long(optarg, 20, 10000, &n))
				cf_usage_die("invalid --width '%s': expected 20 to 10000", optarg);
			o.width = (int)n;
			break;
		case O_PAPER:
			if (!strcasecmp(optarg, "letter"))
				o.letter = 1;
			else if (strcasecmp(optarg, "a4"))
				cf_usage_die("invalid --paper '%s': expected a4 or letter", optarg);
			break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (output && !*output)
		cf_usage_die("-o: empty file name");

	enum kind kind = output ? kind_of_path(output) : SINGLE;
	if (archive) {
		enum kind k = SINGLE;
		for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
			if (!strcasecmp(archive, kinds[i].name))
				k = kinds[i].kind;
		if (k == SINGLE)
			cf_usage_die("invalid --archive '%s': expected zip, tar.gz or tar.zst", archive);
		if (kind != SINGLE && kind != k)
			cf_usage_die("--archive %s does not match -o '%s'", archive, output);
		kind = k;
	}

	const struct cf_format *fmt = NULL;
	if (format) {
		if (!(fmt = cf_format_named(format)))
			unknown_format("unknown format", format);
	} else if (output && kind == SINGLE) {
		if (!(fmt = cf_format_for_path(output))) {
			const char *dot = strrchr(output, '.');
			if (dot && !strchr(dot, '/'))
				unknown_format("cannot tell the format from", output);
			fmt = &cf_fmt_markdown;
		}
	} else {
		fmt = &cf_fmt_markdown;
	}

	cf_store *st = cf_store_open_mode(db, CF_STORE_READ);
	jv list = cf_sessions_from_args(st, argc - optind, argv + optind);
	int count = jv_array_length(jv_copy(list));
	if (count == 0) {
		/* an empty listing is not an error in a pipeline */
		cf_warn("no sessions on stdin: nothing written");
		jv_free(list);
		cf_store_close(st);
		return CF_EX_OK;
	}
	if (count > 1 && kind == SINGLE)
		cf_usage_die("%d sessions go into one archive: name it with -o FILE.zip "
		             "(.tar.gz, .tar.zst) or give --archive", count);
	if (!output && isatty(STDOUT_FILENO) && (kind != SINGLE || fmt->binary))
		cf_usage_die("%s is not for a terminal: use -o FILE or a redirect",
		             kind != SINGLE ? "an archive" : fmt->name);

	out_name = output ? output : "stdout";
	not_the_store(st, output);
	struct sigaction sa = {0}, old;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
	sigemptyset(&handled);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		sigaddset(&handled, sigs[i]);
		sigaction(sigs[i], &sa, &old);
		if (old.sa_handler == SIG_IGN)   /* nohup, a background job */
			sigaction(sigs[i], &old, NULL);
	}
	signal(SIGPIPE, SIG_IGN);   /* a closed reader is an EPIPE, handled */
	signal(SIGXFSZ, SIG_IGN);   /* past ulimit -f: EFBIG, an error we report */

	const char *final = output;
	FILE *out = open_out(&final);
	if (kind == SINGLE && !output && isatty(STDOUT_FILENO)) {
		FILE *tmp = tmpfile();
		if (!tmp || cf_export_session(st, jv_array_get(jv_copy(list), 0), fmt, &o, tmp))
			write_failed(errno);
		copy_clean(tmp);
		fclose(tmp);
	} else if (kind == SINGLE) {
		if (cf_export_session(st, jv_array_get(jv_copy(list), 0), fmt, &o, out))
			write_failed(errno);
	} else {
		export_archive(st, jv_copy(list), fmt, &o, kind, out);
	}
	close_out(out, final);
	jv_free(list);
	cf_store_close(st);
	return CF_EX_OK;
}
