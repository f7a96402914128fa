/* exp_json.c — a session as one JSON document: its record with the
 * messages in "messages", each on its own line, attachments with their
 * bytes in base64.  chat-import reads it back with nothing lost; it is
 * written as the rows come, never held whole. */
#include <stdlib.h>
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

/* A message's attachments: each record without its bytes (as JSON text
 * to which ,"data":"..."} is added) and the row that holds them. */
static jv
attachments(cf_export *x, const char *mid)
{
	cf_store *st = x->st;
	static const char sql[] =
		"SELECT id, type, name, size, mime_type, n FROM attachments"
		" WHERE message_id = ?1 ORDER BY n";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, mid);
	jv list = jv_array();
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		jv a = jv_object();
		a = jv_object_set(a, jv_string("id"), cf_col_text(s, 0));
		a = jv_object_set(a, jv_string("type"), cf_col_text(s, 1));
		a = jv_object_set(a, jv_string("name"), cf_col_text(s, 2));
		a = jv_object_set(a, jv_string("size"), jv_number((double)cf_sql_column_int64(s, 3)));
		a = jv_object_set(a, jv_string("mimeType"), cf_col_text(s, 4));
		size_t n;
		const char *j = cf_json_compact(a, &n);
		jv e = jv_array_append(jv_array(), jv_string_sized(j, (int)n));
		e = jv_array_append(e, jv_number((double)cf_sql_column_int64(s, 5)));
		list = jv_array_append(list, e);
	}
	cf_sql_reset(s);
	if (rc != CF_SQL_DONE) {
		jv_free(list);
		cf_export_store_fail(x, "reading attachments");
		return jv_invalid();
	}
	return list;
}

/* An attachment's bytes as base64, read and written a few mebibytes at a
 * time: a 200 MB one is not held, nor its base64 (once took 760 MB). */
static int
put_base64(cf_export *x, int64_t row)
{
	enum { CHUNK = 3 << 18 };   /* a multiple of 3: no padding between */
	cf_sql_blob *b;
	if (cf_sql_blob_open(x->st->db, "attachments", "content",
	                      row, 0, &b) != CF_SQL_OK)
		return 0;   /* NULL: no bytes */
	int n = (int)cf_sql_blob_bytes(b);
	unsigned char *in = cf_xmalloc(CHUNK);
	for (int at = 0; at < n; at += CHUNK) {
		int k = n - at < CHUNK ? n - at : CHUNK;
		if (cf_sql_blob_read(b, in, k, at) != CF_SQL_OK) {
			free(in);
			cf_export_store_fail(x, "reading attachments");
			cf_sql_blob_close(b);
			return -1;
		}
		jv s = cf_base64(in, (size_t)k);
		fwrite(jv_string_value(s), 1, (size_t)jv_string_length_bytes(jv_copy(s)), x->out);
		jv_free(s);
	}
	free(in);
	cf_sql_blob_close(b);
	return 0;
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
		/* --history keeps the earlier versions even here */
		jv edits = cf_msg_marks(msg, "edits");
		if (x->opt->history && jv_array_length(jv_copy(edits)) > 0)
			l = jv_object_set(l, jv_string("edits"), edits);
		else
			jv_free(edits);
		put(x, l);
	} else {
		jv m = jv_copy(msg);
		jv md = jv_object_get(jv_copy(m), jv_string("metadata"));
		jv atts = jv_object_get(jv_copy(md), jv_string("attachments"));
		/* one query only for the messages that have any; the record is
		 * written around a mark where its attachments go */
		if (jv_get_kind(atts) == JV_KIND_ARRAY && jv_array_length(jv_copy(atts))) {
			jv list = attachments(x, cf_jstr(m, "id"));
			if (!jv_is_valid(list)) {
				jv_free(md);
				jv_free(atts);
				jv_free(m);
				return -1;
			}
			/* a control character and a random word: text no message
			 * holds, written as \u0001 where it stands */
			char id[37], mark[40];
			cf_uuid7(id);
			md = jv_object_set(md, jv_string("attachments"),
			                   jv_string_fmt("\001cf-%s", id + 24));
			m = jv_object_set(m, jv_string("metadata"), md);
			snprintf(mark, sizeof mark, "\"\\u0001cf-%s\"", id + 24);
			size_t n, k = strlen(mark);
			const char *j = cf_json_compact(m, &n);
			const char *at = memmem(j, n, mark, k);
			fwrite(j, 1, (size_t)(at - j), x->out);
			fputc('[', x->out);
			int bad = 0;
			jv_array_foreach(list, i, e) {
				jv rec = jv_array_get(jv_copy(e), 0);
				jv row = jv_array_get(e, 1);
				if (i)
					fputc(',', x->out);
				fwrite(jv_string_value(rec), 1,
				       (size_t)jv_string_length_bytes(jv_copy(rec)) - 1, x->out);
				fputs(",\"data\":\"", x->out);
				if (!bad)
					bad = put_base64(x, (int64_t)jv_number_value(row));
				fputs("\"}", x->out);
				jv_free(rec);
				jv_free(row);
			}
			jv_free(list);
			if (bad) {   /* m went with cf_json_compact */
				jv_free(atts);
				return -1;
			}
			fputc(']', x->out);
			fwrite(at + k, 1, n - (size_t)(at + k - j), x->out);
		} else {
			jv_free(md);
			put(x, m);
		}
		jv_free(atts);
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
