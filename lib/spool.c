/* spool.c — a turn the store could not take (a full disk, its session
 * deleted while the reply arrived) waits in a file of its own, and the
 * next program that opens the store with room stores it: whole or not at
 * all, and once, because storing it again changes nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"

#define CLAIM ".claim-"

const char *
cf_spool_dir(void)
{
	static char buf[PATH_MAX];
	const char *e;
	if ((e = getenv("XDG_STATE_HOME")) && *e == '/')
		snprintf(buf, sizeof buf, "%s/confab/spool", e);
	else if ((e = getenv("HOME")) && *e)
		snprintf(buf, sizeof buf, "%s/.local/state/confab/spool", e);
	else
		return NULL;
	return buf;
}

static int
mkdirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s/", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* The store's own name for itself, so a spool kept for one store is not
 * replayed into another. */
static void
store_key(cf_store *st, char out[PATH_MAX])
{
	if (!realpath(st->path, out))
		snprintf(out, PATH_MAX, "%s", st->path);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

jv
cf_spool_write(cf_store *st, jv turn, const char *reason)
{
	const char *dir = cf_spool_dir();
	if (!dir) {
		jv_free(turn);
		return cf_error(CF_EX_FAIL, "no spool folder: set HOME or XDG_STATE_HOME");
	}
	char key[PATH_MAX];
	store_key(st, key);
	turn = jv_object_set(turn, jv_string("type"), jv_string("spool"));
	turn = jv_object_set(turn, jv_string("version"), jv_number(1));
	turn = jv_object_set(turn, jv_string("store"), jv_string(key));
	turn = jv_object_set(turn, jv_string("reason"), jv_string(reason));
	turn = jv_object_set(turn, jv_string("created"), cf_time_jv(cf_now_ms()));
	jv msgs = jv_object_get(jv_copy(turn), jv_string("messages"));
	jv last = jv_array_get(msgs, -1);
	char name[PATH_MAX], tmp[PATH_MAX];
	char stamp[25];
	cf_time_fmt(cf_now_ms(), stamp);
	snprintf(name, sizeof name, "%s/%s-%s.json", dir, stamp,
	         jv_is_valid(last) ? cf_jstr(last, "id") : "turn");
	jv_free(last);
	snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir);
	if (mkdirs(dir) != 0) {
		jv_free(turn);
		return cf_error(CF_EX_FAIL, "cannot create the spool folder '%s': %s",
		                dir, strerror(errno));
	}
	mode_t old = umask(077);
	int fd = mkstemp(tmp);
	umask(old);
	if (fd < 0) {
		jv_free(turn);
		return cf_error(CF_EX_FAIL, "cannot write to the spool folder '%s': %s",
		                dir, strerror(errno));
	}
	size_t len;
	const char *j = cf_json_compact(turn, &len);
	int bad = write_all(fd, j, len) || write_all(fd, "\n", 1) || fsync(fd);
	int err = errno;
	if (close(fd) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (bad || rename(tmp, name) != 0) {
		if (!bad)
			err = errno;
		unlink(tmp);
		return cf_error(CF_EX_FAIL, "cannot write to the spool folder '%s': %s",
		                dir, strerror(err));
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return jv_string(name);
}

static jv
read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return jv_invalid();
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return jv_invalid();
	}
	size_t cap = (size_t)sb.st_size + 1, n = 0;
	char *buf = cf_xmalloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + n, cap - n)) > 0)
		if ((n += (size_t)r) == cap)
			buf = cf_xrealloc(buf, cap *= 2);
	close(fd);
	jv v = r < 0 ? jv_invalid() : jv_parse_sized(buf, (int)n);
	free(buf);
	return v;
}

/* One turn into the store, in the caller's transaction: the session when
 * it is gone, each message that is not there, and the reply as it was
 * kept (its reserved row, partial or closed as abandoned, takes it). */
static void
store_turn(cf_store *st, jv turn)
{
	jv sess = jv_object_get(jv_copy(turn), jv_string("session"));
	const char *sid = cf_jstr(sess, "id");
	jv cur = cf_session_get(st, sid);
	if (!jv_is_valid(cur))
		jv_free(cf_session_insert(st, jv_copy(sess)));
	jv_free(cur);
	jv msgs = jv_object_get(jv_copy(turn), jv_string("messages"));
	jv_array_foreach(msgs, i, m) {
		const char *mid = cf_jstr(m, "id");
		jv have = cf_message_get(st, mid);
		jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
		if (jv_is_valid(have)) {
			if (!strcmp(cf_jstr(m, "role"), "assistant"))
				cf_reply_write(st, mid, sid, jv_copy(meta),
				               cf_jstr(m, "content"),
				               (size_t)jv_string_length_bytes(jv_object_get(
				                       jv_copy(m), jv_string("content"))));
		} else {
			jv atts = jv_object_get(jv_copy(meta), jv_string("attachments"));
			jv rec = jv_object_set(jv_copy(m), jv_string("metadata"),
			                       jv_object_delete(jv_copy(meta),
			                                        jv_string("attachments")));
			char id[37];
			cf_message_add(st, sid, rec, NULL, 0, id);
			if (jv_get_kind(atts) == JV_KIND_ARRAY) {
				jv_array_foreach(atts, k, a) {
					const char *d = cf_jstr(a, "data");
					size_t dl = strlen(d);
					unsigned char *bytes = cf_xmalloc(dl / 4 * 3 + 3);
					long n = cf_unbase64(d, dl, bytes);
					if (n >= 0)
						cf_attachment_insert(st, id, cf_jstr(a, "type"),
						                     cf_jstr(a, "name"),
						                     cf_jstr_or_null(a, "mimeType"),
						                     bytes, (size_t)n);
					free(bytes);
					jv_free(a);
					(void)k;
				}
			}
			jv_free(atts);
		}
		jv_free(meta);
		jv_free(have);
		jv_free(m);
		(void)i;
	}
	jv_free(msgs);
	jv_free(sess);
	jv_free(turn);
}

static int
claim_alive(const char *name)
{
	/* ".claim-PID-..." */
	long pid = strtol(name + strlen(CLAIM), NULL, 10);
	return pid > 0 && !(kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

int
cf_spool_replay(cf_store *st)
{
	const char *dir = cf_spool_dir();
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return 0;
	char key[PATH_MAX];
	store_key(st, key);
	jv names = jv_array();
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		size_t l = strlen(n);
		if (!strncmp(n, CLAIM, strlen(CLAIM)) && !claim_alive(n)) {
			/* its replayer died: storing it again changes nothing */
			const char *orig = strchr(n + strlen(CLAIM), '-');
			if (orig) {
				char a[PATH_MAX], b[PATH_MAX];
				snprintf(a, sizeof a, "%s/%s", dir, n);
				snprintf(b, sizeof b, "%s/%s", dir, orig + 1);
				if (rename(a, b) == 0)
					names = jv_array_append(names, jv_string(orig + 1));
			}
		} else if (n[0] != '.' && l > 5 && !strcmp(n + l - 5, ".json")) {
			names = jv_array_append(names, jv_string(n));
		}
	}
	closedir(d);
	names = jv_sort(names, jv_copy(names));
	volatile int stored = 0;
	jv_array_foreach(names, i, nm) {
		char path[PATH_MAX], claim[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, jv_string_value(nm));
		snprintf(claim, sizeof claim, "%s/" CLAIM "%ld-%s", dir,
		         (long)getpid(), jv_string_value(nm));
		jv_free(nm);
		(void)i;
		jv turn = read_file(path);
		if (jv_get_kind(turn) != JV_KIND_OBJECT ||
		    strcmp(cf_jstr(turn, "type"), "spool") ||
		    strcmp(cf_jstr(turn, "store"), key)) {
			jv_free(turn);
			continue;   /* another store's, or not ours to read */
		}
		if (rename(path, claim) != 0) {
			jv_free(turn);
			continue;   /* another program took it first */
		}
		struct cf_catch k;
		if (CF_TRY(&k)) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			rename(claim, path);   /* for the next program, with room */
			break;
		}
		cf_store_begin(st);
		store_turn(st, turn);
		cf_store_commit(st);
		cf_catch_pop(&k);
		unlink(claim);
		stored++;
		cf_warn("stored the turn kept in %s", path);
	}
	jv_free(names);
	return stored;
}
