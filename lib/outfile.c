/* outfile.c — an output file that appears whole or not at all.
 *
 * A file named for output is written beside its final name and renamed
 * into place when whole: a failure, a full disk or a signal leaves no
 * partial file behind, and an old file of that name stays as it was.
 * The file has no name until it is whole (O_TMPFILE), so even kill -9
 * leaves nothing; where the file system cannot do that, it is named for
 * its writer, and the next output to that folder removes it once the
 * writer is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"

/* The temporary's name while one is being written and has a name, for
 * the signal handler; a process writes one output at a time. */
static char *volatile pending;
/* The signals cf_outfile_guard handles, held off while a whole file is
 * being given its name. */
static sigset_t handled;

static void
on_signal(int sig)
{
	char *p = pending;
	if (p)
		unlink(p);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
cf_outfile_guard(void)
{
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
}

static void
drop_temp(struct cf_outfile *o)
{
	if (o->temp) {
		/* unlinked before it is forgotten: a signal between the two
		 * only unlinks it again */
		unlink(o->temp);
		pending = NULL;
		free(o->temp);
		o->temp = NULL;
	}
}

jv
cf_outfile_error(const struct cf_outfile *o, int err)
{
	if (err == EPIPE && !o->temp)
		return cf_error(CF_EX_OK, "%s", "");   /* the reader went away, as | head does */
	return cf_error(CF_EX_FAIL, "writing %s: %s", o->name, strerror(err ? err : EIO));
}

jv
cf_outfile_failed(struct cf_outfile *o, int err)
{
	jv e = cf_outfile_error(o, err);
	cf_outfile_abort(o);
	return e;
}

void
cf_outfile_abort(struct cf_outfile *o)
{
	drop_temp(o);
	if (o->f && o->f != stdout)
		fclose(o->f);
	else if (o->f == NULL && o->anon >= 0)
		close(o->anon);
	o->f = NULL;
	o->anon = -1;
	free(o->path);
	o->path = NULL;
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

/* Where O_TMPFILE is missing, a killed writer's named temporary file
 * would stay for good: each output removes those in its folder whose
 * writer is gone.  Gone is no such pid here and no lock on the file, for
 * a writer on another machine sharing the folder, or in another pid
 * namespace, holds one.  Only this user's regular files, never through a
 * link. */
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

jv
cf_outfile_open(struct cf_outfile *o, const char *path)
{
	*o = (struct cf_outfile){.name = path ? path : "stdout", .anon = -1};
	if (!path) {
		o->f = stdout;
		return jv_true();
	}
	/* A link is followed: the file it names is the one replaced, and the
	 * link stays a link. */
	struct stat sb;
	char real[PATH_MAX];
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && realpath(path, real))
		path = real;
	int exists = stat(path, &sb) == 0;
	/* A device or a pipe (-o /dev/stdout, a fifo) is written as it is:
	 * a rename would put a regular file in its place. */
	if (exists && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode))
			return cf_error(CF_EX_FAIL, "cannot write %s: Is a directory", path);
		if (!(o->f = fopen(path, "wb")))
			return cf_error(CF_EX_FAIL, "cannot write %s: %s", path, strerror(errno));
		return jv_true();   /* nothing to rename */
	}
	/* what a shell's > would refuse, a rename must not do either */
	if (exists && access(path, W_OK) != 0)
		return cf_error(CF_EX_FAIL, "cannot write %s: %s", path, strerror(errno));
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
	o->path = cf_xstrdup(path);
	if (fd >= 0) {
		o->anon = fd;
	} else if (e == EOPNOTSUPP || e == EISDIR || e == EINVAL) {
		/* a file system or a kernel without O_TMPFILE */
		o->temp = temp_name(path);
		pending = o->temp;
		if ((fd = mkostemp(o->temp, O_CLOEXEC)) < 0) {
			e = errno;
			pending = NULL;
			free(o->temp);
			o->temp = NULL;
		}
	}
	if (fd < 0) {
		jv err = cf_error(CF_EX_FAIL, "cannot write %s: %s", path, strerror(e));
		cf_outfile_abort(o);
		return err;
	}
	/* what sweep asks of a writer on another machine */
	flock(fd, LOCK_EX | LOCK_NB);
	/* made 0600: a file replaced keeps its mode, a new one is an ordinary
	 * new file */
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, exists ? sb.st_mode & 07777 : 0666 & ~um);
	if (!(o->f = fdopen(fd, "wb"))) {
		if (o->anon < 0)
			close(fd);
		return cf_outfile_failed(o, errno);
	}
	return jv_true();
}

/* The whole O_TMPFILE file gets a temporary name (linkat cannot replace
 * a file) to be renamed over the path; the caller holds the signals off,
 * so none comes between the link and pending naming it. */
static int
name_anon(struct cf_outfile *o)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(o->f));
	char *t = temp_name(o->path);
	size_t n = strlen(t);
	static const char az[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int tries = 0;; tries++) {
		for (int i = 0; i < 6; i++)
			t[n - 6 + i] = az[g_random_int() % (sizeof az - 1)];
		if (linkat(AT_FDCWD, proc, AT_FDCWD, t, AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || tries == 100) {
			free(t);
			return -1;
		}
	}
	o->temp = t;
	pending = t;
	return 0;
}

jv
cf_outfile_commit(struct cf_outfile *o)
{
	errno = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		return cf_outfile_failed(o, errno);
	if (!o->path) {
		FILE *f = o->f;
		o->f = NULL;
		if (f != stdout && fclose(f) != 0)
			return cf_outfile_failed(o, errno);
		return jv_true();
	}
	if (fsync(fileno(o->f)) != 0 && errno != EINVAL)
		return cf_outfile_failed(o, errno);
	sigset_t old;
	sigprocmask(SIG_BLOCK, &handled, &old);
	int rc = 0, err = 0;
	if (o->anon >= 0 && name_anon(o) != 0) {
		rc = -1;
		err = errno;
	}
	FILE *f = o->f;
	o->f = NULL;
	o->anon = -1;
	if (fclose(f) != 0 && !rc) {
		rc = -1;
		err = errno;
	}
	if (!rc && rename(o->temp, o->path) != 0) {
		rc = -1;
		err = errno;
	}
	if (!rc) {
		pending = NULL;
		free(o->temp);
		o->temp = NULL;
		free(o->path);
		o->path = NULL;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc ? cf_outfile_failed(o, err) : jv_true();
}
