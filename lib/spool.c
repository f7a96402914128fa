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
	return cf_state_path("spool", buf, sizeof buf);
}

/* The store's own name for itself, so a spool kept for one store is not
 * replayed into another. */
static void
store_key(cf_store *st, char out[PATH_MAX])
{
	if (!realpath(st->path, out))
		snprintf(out, PATH_MAX, "%s", st->path);
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
	int nmsg = jv_array_length(jv_copy(msgs));
	jv last = nmsg ? jv_array_get(msgs, nmsg - 1) : (jv_free(msgs), jv_null());
	char ids[40];
	snprintf(ids, sizeof ids, "%s", jv_get_kind(last) == JV_KIND_OBJECT ?
	         cf_jstr(last, "id") : "turn");
	jv_free(last);
	for (char *p = ids; *p; p++)   /* a name, whatever the id holds */
		if (*p == '/' || *p == '.')
			*p = '_';
	char name[PATH_MAX], tmp[PATH_MAX];
	char stamp[25];
	cf_time_fmt(cf_now_ms(), stamp);
	snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir);
	if (cf_mkdirs(dir) != 0) {
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
	int bad = cf_write_all(fd, j, len) || cf_write_all(fd, "\n", 1) || fsync(fd);
	int err = errno;
	if (close(fd) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	/* link, not rename: a name taken by another turn (the same id and
	 * millisecond) is never replaced */
	for (int i = 0; !bad; i++) {
		snprintf(name, sizeof name, "%s/%s-%s-%ld-%d.json", dir, stamp, ids,
		         (long)getpid(), i);
		if (link(tmp, name) == 0)
			break;
		if (errno != EEXIST || i > 1000) {
			bad = 1;
			err = errno;
		}
	}
	unlink(tmp);
	if (bad)
		return cf_error(CF_EX_FAIL, "cannot write to the spool folder '%s': %s",
		                dir, strerror(err));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return jv_string(name);
}

/* A spool file as JSON: a plain file (not a link, a FIFO or a device:
 * opening one must not hang every program), of a size jq can parse. */
static jv
read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return jv_invalid();
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size >= INT_MAX) {
		close(fd);
		return jv_invalid_with_msg(jv_string("not a plain file of under 2 GiB"));
	}
	size_t cap = (size_t)sb.st_size + 1, n = 0;
	char *buf = cf_xmalloc(cap);
	ssize_t r;
	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(fd);
	jv v = n >= cap ? jv_invalid_with_msg(jv_string("it grew while read")) :
	       jv_parse_sized(buf, (int)n);
	free(buf);
	return v;
}

static int
is(jv v, const char *key, jv_kind kind)
{
	jv f = jv_object_get(jv_copy(v), jv_string(key));
	int ok = jv_get_kind(f) == kind;
	jv_free(f);
	return ok;
}

static int
id_ok(jv v)
{
	const char *id = cf_jstr(v, "id");
	return is(v, "id", JV_KIND_STRING) && *id && strlen(id) <= 36;
}

/* What a spool file must hold before it is stored: a session record with
 * an id, and messages with ids, roles, text and metadata objects (and
 * attachments with their data).  The rest is checked by the store. */
static const char *
check_turn(jv t)
{
	if (!is(t, "session", JV_KIND_OBJECT) || !is(t, "messages", JV_KIND_ARRAY))
		return "no session or messages";
	jv sess = jv_object_get(jv_copy(t), jv_string("session"));
	int ok = id_ok(sess);
	jv_free(sess);
	if (!ok)
		return "a session without an id";
	const char *why = NULL;
	jv msgs = jv_object_get(jv_copy(t), jv_string("messages"));
	jv_array_foreach(msgs, i, m) {
		const char *role = cf_jstr(m, "role");
		if (!why && (jv_get_kind(m) != JV_KIND_OBJECT || !id_ok(m) ||
		             !is(m, "content", JV_KIND_STRING) ||
		             (strcmp(role, "user") && strcmp(role, "assistant") &&
		              strcmp(role, "system"))))
			why = "a message without an id, a role or its text";
		if (!why && !is(m, "metadata", JV_KIND_OBJECT))
			why = "a message without metadata";
		if (!why) {
			jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
			jv atts = jv_object_get(meta, jv_string("attachments"));
			if (jv_get_kind(atts) == JV_KIND_ARRAY) {
				jv_array_foreach(atts, k, a) {
					if (!why && (jv_get_kind(a) != JV_KIND_OBJECT ||
					             !is(a, "data", JV_KIND_STRING) ||
					             !is(a, "name", JV_KIND_STRING) ||
					             !is(a, "type", JV_KIND_STRING)))
						why = "an attachment without its name, type or data";
					jv_free(a);
					(void)k;
				}
			} else if (jv_get_kind(atts) != JV_KIND_INVALID &&
			           jv_get_kind(atts) != JV_KIND_NULL) {
				why = "attachments that are not a list";
			}
			jv_free(atts);
		}
		jv_free(m);
		(void)i;
	}
	jv_free(msgs);
	return why;
}

/* One turn into the store, in the caller's transaction: the session when
 * it is gone (without a parent that is gone too), each message that is
 * not there, and the reply as it was kept (its reserved row, partial or
 * closed as abandoned, takes it).  Borrows turn. */
static void
store_turn(cf_store *st, jv turn)
{
	jv sess = jv_object_get(jv_copy(turn), jv_string("session"));
	const char *sid = cf_jstr(sess, "id");
	jv cur = cf_session_get(st, sid);
	if (!jv_is_valid(cur)) {
		jv rec = jv_copy(sess);
		const char *parent = cf_jstr_or_null(rec, "parentSessionId");
		jv p = parent ? cf_session_get(st, parent) : jv_invalid();
		if (!jv_is_valid(p)) {
			rec = jv_object_set(rec, jv_string("parentSessionId"), jv_null());
			rec = jv_object_set(rec, jv_string("branchPoint"), jv_null());
		}
		jv_free(p);
		cf_raise(cf_session_insert(st, rec));
	}
	jv_free(cur);
	jv msgs = jv_object_get(jv_copy(turn), jv_string("messages"));
	jv_array_foreach(msgs, i, m) {
		const char *mid = cf_jstr(m, "id");
		jv have = cf_message_get(st, mid);
		jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
		if (jv_is_valid(have)) {
			int64_t ts = 0;
			const char *t = cf_jstr_or_null(m, "timestamp");
			if (t && cf_time_parse(t, &ts) != 0)
				ts = 0;
			jv text = jv_object_get(jv_copy(m), jv_string("content"));
			jv parts = jv_object_get(jv_copy(m), jv_string("parts"));
			jv rm = jv_get_kind(parts) == JV_KIND_ARRAY ?
			        jv_object_set(jv_copy(meta), jv_string("parts"), parts) :
			        (jv_free(parts), jv_copy(meta));
			if (!strcmp(cf_jstr(m, "role"), "assistant"))
				cf_reply_write(st, mid, sid, jv_copy(rm), jv_string_value(text),
				               (size_t)jv_string_length_bytes(jv_copy(text)), ts);
			jv_free(rm);
			jv_free(text);
		} else {
			jv atts = jv_object_get(jv_copy(meta), jv_string("attachments"));
			jv rec = jv_object_set(jv_object_delete(jv_copy(m), jv_string("replaces")),
			                       jv_string("metadata"),
			                       jv_object_delete(jv_copy(meta),
			                                        jv_string("attachments")));
			char id[37];
			cf_raise(cf_message_add(st, sid, rec, NULL, 0, id));
			if (jv_get_kind(atts) == JV_KIND_ARRAY) {
				jv_array_foreach(atts, k, a) {
					const char *d = cf_jstr(a, "data");
					size_t dl = strlen(d);
					unsigned char *bytes = cf_xmalloc(dl / 4 * 3 + 3);
					long n = cf_unbase64(d, dl, bytes);
					if (n >= 0)
						cf_raise(cf_attachment_insert(st, id, cf_jstr(a, "type"),
						                     cf_jstr(a, "name"),
						                     cf_jstr_or_null(a, "mimeType"),
						                     bytes, (size_t)n));
					free(bytes);
					jv_free(a);
					(void)k;
				}
			}
			jv_free(atts);
		}
		/* chat-send --retry's reply folded over the one it replaces, as
		 * it would have been had the store taken it (gone: kept apart) */
		const char *old = cf_jstr_or_null(m, "replaces");
		jv was = old && !strcmp(cf_jstr(m, "role"), "assistant") ?
		         cf_message_get(st, old) : jv_invalid();
		if (jv_is_valid(was))
			cf_raise(cf_retry_fold(st, old, mid));
		jv_free(was);
		jv_free(meta);
		jv_free(have);
		jv_free(m);
		(void)i;
	}
	jv_free(msgs);
	jv_free(sess);
}

/* A file that cannot be stored as it is stays, under a name no program
 * replays, with one line saying why: it must not stop the files after it,
 * nor every program, forever. */
static void
set_aside(const char *dir, const char *from, const char *name, const char *why)
{
	char to[PATH_MAX];
	snprintf(to, sizeof to, "%s/.unusable-%s", dir, name);
	if (rename(from, to) == 0)
		cf_warn("the spooled turn %s/%s cannot be stored (%s): kept as %s",
		        dir, name, why, to);
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
	int count = jv_array_length(jv_copy(names));
	for (int i = 0; i < count; i++) {
		jv nm = jv_array_get(jv_copy(names), i);
		char name[NAME_MAX + 1], path[PATH_MAX], claim[PATH_MAX];
		snprintf(name, sizeof name, "%s", jv_string_value(nm));
		jv_free(nm);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		snprintf(claim, sizeof claim, "%s/" CLAIM "%ld-%s", dir,
		         (long)getpid(), name);
		jv turn = read_file(path);
		if (jv_get_kind(turn) == JV_KIND_OBJECT &&
		    (strcmp(cf_jstr(turn, "type"), "spool") ||
		     strcmp(cf_jstr(turn, "store"), key))) {
			jv_free(turn);
			continue;   /* another store's */
		}
		if (rename(path, claim) != 0) {
			jv_free(turn);
			continue;   /* another program took it first */
		}
		const char *why = jv_get_kind(turn) == JV_KIND_OBJECT ?
		                  check_turn(turn) : "not a spooled turn";
		if (why) {
			set_aside(dir, claim, name, why);
			jv_free(turn);
			continue;
		}
		struct cf_catch k;
		if (CF_TRY(&k)) {
			/* a full or busy store: this and the rest wait for the next
			 * program; anything else is this file's fault */
			int rc = cf_sql_errcode(st->db);
			cf_store_rollback(st);
			jv_free(turn);
			if (rc == CF_SQL_FULL || rc == CF_SQL_IOERR || rc == CF_SQL_BUSY ||
			    rc == CF_SQL_LOCKED || rc == CF_SQL_READONLY || st->full ||
			    st->readonly) {
				rename(claim, path);
				break;
			}
			set_aside(dir, claim, name, k.msg);
			continue;
		}
		cf_raise(cf_store_begin(st));
		store_turn(st, turn);
		cf_raise(cf_store_commit(st));
		cf_catch_pop(&k);
		jv_free(turn);
		unlink(claim);
		stored++;
		cf_warn("stored the turn kept in %s", path);
	}
	jv_free(names);
	return stored;
}
