/* ref.c — naming sessions and messages: ids, prefixes, names, records. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

#define MAX_LISTED 8

static int
looks_like_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 36)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

static void
lower(char *dst, const char *src, size_t n)
{
	size_t i;
	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Runs a query of (id, label) rows bound to a and b; one row is the answer
 * (*found 1), none is jv_invalid() (*found 0), more are listed in the
 * error; a store error is returned as it is. */
static jv
unique(cf_store *st, const char *sql, const char *a, const char *b,
       const char *what, const char *ref, int *found)
{
	cf_sql_stmt *s = cf_prepare(st, sql);
	cf_bind_text(s, 1, a);
	if (b)
		cf_bind_text(s, 2, b);
	jv ids = jv_array(), labels = jv_array();
	int n = 0, rc;
	/* every match counted, the first few kept to be listed */
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		if (n < MAX_LISTED) {
			ids = jv_array_append(ids, cf_col_text(s, 0));
			labels = jv_array_append(labels, cf_col_text(s, 1));
		}
		n++;
	}
	*found = n;
	if (rc != CF_SQL_DONE) {
		jv e = cf_store_error(st, "finding a session or message");
		cf_sql_finalize(s);
		jv_free(ids);
		jv_free(labels);
		*found = -1;
		return e;
	}
	cf_sql_finalize(s);
	if (n == 1) {
		jv_free(labels);
		return jv_array_get(ids, 0);
	}
	if (n > 1) {
		char msg[2048];
		size_t len = 0;
		for (int i = 0; i < n && i < MAX_LISTED; i++) {
			jv id = jv_array_get(jv_copy(ids), i);
			jv l = jv_array_get(jv_copy(labels), i);
			len += (size_t)snprintf(msg + len, sizeof msg - len > len ? sizeof msg - len : 0,
			                        "%s%s (%.40s)", i ? ", " : "",
			                        jv_string_value(id),
			                        jv_get_kind(l) == JV_KIND_STRING ? jv_string_value(l) : "");
			jv_free(id);
			jv_free(l);
			if (len >= sizeof msg)
				break;
		}
		jv_free(ids);
		jv_free(labels);
		/* "session prefix" matches sessions */
		int noun = (int)strcspn(what, " ");
		return cf_error(CF_EX_AMBIGUOUS, "ambiguous %s '%s' matches %d %.*ss: %s%s",
		                what, ref, n, noun, what, msg,
		                n > MAX_LISTED ? ", ..." : "");
	}
	jv_free(ids);
	jv_free(labels);
	return jv_invalid();
}

jv
cf_resolve_session(cf_store *st, const char *ref)
{
	int n;
	char lo[40];
	if (strlen(ref) == 36) {
		lower(lo, ref, sizeof lo);
		jv r = cf_session_get(st, lo);
		if (jv_is_valid(r) || cf_is_error(r))
			return r;
		jv_free(r);
	}
	jv id = unique(st, "SELECT id, name FROM sessions WHERE name = ?"
	                   " ORDER BY last_updated DESC",
	               ref, NULL, "session name", ref, &n);
	if (cf_is_error(id))
		return id;
	if (!n && looks_like_id(ref)) {
		lower(lo, ref, sizeof lo);
		jv_free(id);
		id = unique(st, "SELECT id, name FROM sessions WHERE id >= ?1"
		                " AND id < ?1 || 'z' ORDER BY id",
		            lo, NULL, "session prefix", ref, &n);
		if (cf_is_error(id))
			return id;
	}
	if (!n) {
		jv_free(id);
		if (strlen(ref) < 4 && strspn(ref, "0123456789abcdefABCDEF-") == strlen(ref))
			return cf_error(CF_EX_NOTFOUND, "unknown session '%s' (an id "
			                "prefix needs at least 4 characters)", ref);
		return cf_error(CF_EX_NOTFOUND, "unknown session '%s'", ref);
	}
	jv r = cf_session_get(st, jv_string_value(id));
	jv_free(id);
	if (jv_get_kind(r) == JV_KIND_INVALID && !cf_is_error(r)) {
		/* deleted since the query that found it */
		jv_free(r);
		return cf_error(CF_EX_NOTFOUND, "unknown session '%s'", ref);
	}
	return r;
}

jv
cf_resolve_message(cf_store *st, const char *ref, const char *sid)
{
	int n = 0;
	char lo[40];
	jv id = jv_invalid();
	if (looks_like_id(ref)) {
		lower(lo, ref, sizeof lo);
		if (sid)
			id = unique(st, "SELECT id, role FROM messages WHERE id >= ?1"
			                " AND id < ?1 || 'z' AND session_id = ?2"
			                " ORDER BY id",
			            lo, sid, "message prefix", ref, &n);
		else
			id = unique(st, "SELECT id, role FROM messages WHERE id >= ?1"
			                " AND id < ?1 || 'z' ORDER BY id",
			            lo, NULL, "message prefix", ref, &n);
	}
	if (cf_is_error(id))
		return id;
	if (!n) {
		jv_free(id);
		return cf_error(CF_EX_NOTFOUND, "unknown message '%s'%s", ref,
		                sid ? " in this session" : "");
	}
	jv r = cf_message_get(st, jv_string_value(id));
	jv_free(id);
	if (jv_get_kind(r) == JV_KIND_INVALID && !cf_is_error(r)) {
		jv_free(r);
		return cf_error(CF_EX_NOTFOUND, "unknown message '%s'%s", ref,
		                sid ? " in this session" : "");
	}
	return r;
}

jv
cf_read_record(FILE *f, const char *name, long *lineno)
{
	static char *line;
	static size_t cap;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		++*lineno;
		size_t i = 0;
		while (i < (size_t)len && isspace((unsigned char)line[i]))
			i++;
		if (i == (size_t)len)
			continue;
		jv v = jv_parse_sized(line, (int)len);
		if (!jv_is_valid(v)) {
			jv m = jv_invalid_get_msg(v);
			const char *ms = jv_get_kind(m) == JV_KIND_STRING ?
				jv_string_value(m) : "invalid JSON";
			/* jq appends where it broke within what it was given; the
			 * line number we give says where */
			int cut = (int)strlen(ms);
			const char *at = strstr(ms, " at line ");
			if (!at)
				at = strstr(ms, " (while parsing");
			if (at)
				cut = (int)(at - ms);
			/* jq's words ("Invalid numeric literal") say what broke,
			 * not what was wanted */
			jv e = cf_error(CF_EX_DATA, "%s:%ld: malformed record: expected a "
			                "JSON record (session or message), one a line: %.*s",
			                name, *lineno, cut, ms);
			jv_free(m);
			return e;
		}
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			return cf_error(CF_EX_DATA, "%s:%ld: malformed record: not a "
			                "JSON object", name, *lineno);
		}
		return v;
	}
	if (ferror(f))
		return cf_error(CF_EX_FAIL, "%s: read error", name);
	return jv_invalid();
}

/* Appends the sessions of the records on stdin to list (consumed); the
 * list, or the first error.  A message record stands for its session
 * (sessionId), so chat-show's output names sessions too; each session
 * once, in the order it first appears. */
static jv
stdin_sessions(cf_store *st, jv list)
{
	long lineno = 0;
	jv rec, err = jv_invalid(), seen = jv_object();
	while (jv_is_valid(rec = cf_read_record(stdin, "stdin", &lineno))) {
		const char *type = cf_jstr_or_null(rec, "type");
		int msg = type && !strcmp(type, "message");
		const char *id = cf_jstr_or_null(rec, msg ? "sessionId" : "id");
		jv s = jv_invalid();
		if (!type || (strcmp(type, "session") && !msg))
			err = cf_error(CF_EX_DATA, "stdin:%ld: expected a session or "
			               "message record, got type '%s'", lineno,
			               type ? type : "(none)");
		else if (!id)
			err = cf_error(CF_EX_DATA, "stdin:%ld: %s record has no %s",
			               lineno, type, msg ? "sessionId" : "id");
		else if (jv_object_has(jv_copy(seen), jv_string(id))) {
			jv_free(rec);
			continue;
		} else if (cf_is_error(s = cf_session_get(st, id)))
			err = s;
		else if (!jv_is_valid(s))
			err = cf_error(CF_EX_NOTFOUND, "stdin:%ld: unknown session '%s'",
			               lineno, id);
		if (!cf_is_error(err))
			seen = jv_object_set(seen, jv_string(id), jv_true());
		jv_free(rec);
		if (cf_is_error(err)) {
			jv_free(seen);
			jv_free(list);
			return err;
		}
		list = jv_array_append(list, s);
	}
	jv_free(seen);
	if (cf_is_error(rec)) {
		jv_free(list);
		return rec;
	}
	return list;
}

jv
cf_sessions_from_args(cf_store *st, int argc, char **argv)
{
	jv list = jv_array();
	int used_stdin = 0;
	if (argc == 0) {
		if (isatty(STDIN_FILENO)) {
			jv_free(list);
			return cf_usage_error("no session given");
		}
		return stdin_sessions(st, list);
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-")) {
			if (!used_stdin++ && cf_is_error(list = stdin_sessions(st, list)))
				return list;
			continue;
		}
		jv s = cf_resolve_session(st, argv[i]);
		if (cf_is_error(s)) {
			jv_free(list);
			return s;
		}
		list = jv_array_append(list, s);
	}
	return list;
}

/* Appends the messages of the message records on stdin to list
 * (consumed), each resolved by its full id; the list, or the first
 * error. */
static jv
stdin_messages(cf_store *st, jv list)
{
	long lineno = 0;
	jv rec;
	while (jv_is_valid(rec = cf_read_record(stdin, "stdin", &lineno))) {
		const char *type = cf_jstr_or_null(rec, "type");
		const char *id = cf_jstr_or_null(rec, "id");
		jv m;
		if (!type || strcmp(type, "message"))
			m = cf_error(CF_EX_DATA, "stdin:%ld: expected a message record, "
			             "got type '%s'", lineno, type ? type : "(none)");
		else if (!id)
			m = cf_error(CF_EX_DATA, "stdin:%ld: message record has no id",
			             lineno);
		else
			m = cf_resolve_message(st, id, NULL);
		jv_free(rec);
		if (cf_is_error(m)) {
			jv_free(list);
			return m;
		}
		list = jv_array_append(list, m);
	}
	if (cf_is_error(rec)) {
		jv_free(list);
		return rec;
	}
	jv_free(rec);
	return list;
}

jv
cf_messages_from_args(cf_store *st, int argc, char **argv)
{
	jv list = jv_array();
	if (argc == 0 && isatty(STDIN_FILENO)) {
		jv_free(list);
		return cf_usage_error("no message given");
	}
	if (argc == 0)
		return stdin_messages(st, list);
	int used_stdin = 0;
	for (int i = 0; i < argc; i++) {
		jv m = !strcmp(argv[i], "-") ?
			(used_stdin++ ? jv_copy(list) : stdin_messages(st, jv_copy(list))) :
			cf_resolve_message(st, argv[i], NULL);
		if (cf_is_error(m)) {
			jv_free(list);
			return m;
		}
		if (!strcmp(argv[i], "-")) {
			jv_free(list);
			list = m;
		} else {
			list = jv_array_append(list, m);
		}
	}
	return list;
}
