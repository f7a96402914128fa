/* exp_json.c — a session as one JSON document: its record with the
 * messages in "messages", each on its own line, attachments with their
 * bytes in base64.  chat-import reads it back with nothing lost; it is
 * written as the rows come, never held whole. */
#include <string.h>

#include "export.h"
#include "priv.h"

static void
put(cf_export *x, jv v)
{
	size_t n;
	const char *s = cf_json_compact(v, &n);
	fwrite(s, 1, n, x->out);
}

static int
begin(cf_export *x)
{
	jv s = jv_copy(x->session);
	s = jv_object_delete(s, jv_string("match"));
	if (x->opt->lean) {
		jv l = jv_object();
		static const char *const keep[] = {"type", "id", "name", "created", "lastUpdated"};
		for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
			l = jv_object_set(l, jv_string(keep[i]),
			                  jv_object_get(jv_copy(s), jv_string(keep[i])));
		jv_free(s);
		s = l;
	}
	/* the record without its closing brace, then the messages */
	size_t n;
	const char *j = cf_json_compact(s, &n);
	fwrite(j, 1, n - 1, x->out);
	fputs(",\"messages\":[\n", x->out);
	return ferror(x->out) ? -1 : 0;
}

/* A message's attachments, each with its bytes. */
static jv
attachments(cf_store *st, const char *mid)
{
	static const char sql[] =
		"SELECT id, type, name, size, mime_type, content FROM attachments"
		" WHERE message_id = ?1 ORDER BY n";
	sqlite3_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, mid);
	jv list = jv_array();
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		jv a = jv_object();
		a = jv_object_set(a, jv_string("id"), cf_col_text(s, 0));
		a = jv_object_set(a, jv_string("type"), cf_col_text(s, 1));
		a = jv_object_set(a, jv_string("name"), cf_col_text(s, 2));
		a = jv_object_set(a, jv_string("size"), jv_number((double)sqlite3_column_int64(s, 3)));
		a = jv_object_set(a, jv_string("mimeType"), cf_col_text(s, 4));
		a = jv_object_set(a, jv_string("data"),
		                  cf_base64(sqlite3_column_blob(s, 5),
		                            (size_t)sqlite3_column_bytes(s, 5)));
		list = jv_array_append(list, a);
	}
	if (rc != SQLITE_DONE)
		cf_store_fail(st, "reading attachments");
	sqlite3_reset(s);
	return list;
}

static int
message(cf_export *x, jv msg, cmark_node *doc)
{
	(void)doc;
	if (x->index)
		fputc(',', x->out);
	if (x->opt->lean) {
		jv l = jv_object();
		l = jv_object_set(l, jv_string("role"), jv_object_get(jv_copy(msg), jv_string("role")));
		l = jv_object_set(l, jv_string("content"), jv_object_get(jv_copy(msg), jv_string("content")));
		l = jv_object_set(l, jv_string("timestamp"), jv_object_get(jv_copy(msg), jv_string("timestamp")));
		put(x, l);
	} else {
		jv m = jv_copy(msg);
		jv md = jv_object_get(jv_copy(m), jv_string("metadata"));
		jv atts = jv_object_get(jv_copy(md), jv_string("attachments"));
		/* one query only for the messages that have any */
		if (jv_get_kind(atts) == JV_KIND_ARRAY && jv_array_length(jv_copy(atts))) {
			md = jv_object_set(md, jv_string("attachments"),
			                   attachments(x->st, cf_jstr(m, "id")));
			m = jv_object_set(m, jv_string("metadata"), md);
		} else {
			jv_free(md);
		}
		jv_free(atts);
		put(x, m);
	}
	fputc('\n', x->out);
	return ferror(x->out) ? -1 : 0;
}

static int
end(cf_export *x)
{
	fputs("]}\n", x->out);
	return ferror(x->out) ? -1 : 0;
}

const struct cf_format cf_fmt_json = {
	.name = "json", .ext = "json", .raw = 1,
	.begin = begin, .message = message, .end = end,
};
