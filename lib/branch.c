/* branch.c — a session from another's messages (chat-branch, /branch). */
#include "confab.h"

static int
last_id(jv m, void *ctx)
{
	jv *point = ctx;
	jv_free(*point);
	*point = jv_string(cf_jstr(m, "id"));
	jv_free(m);
	return 0;
}

jv
cf_session_branch(cf_store *st, jv src, const char *at, const char *name,
                  int dup)
{
	const char *sid = cf_jstr(src, "id");
	jv point = jv_null();
	if (at) {
		jv m = cf_resolve_message(st, at, sid);
		point = jv_string(cf_jstr(m, "id"));
		jv_free(m);
	} else {
		/* the last message, so the branch point is recorded either way */
		cf_message_list(st, sid, 1, NULL, last_id, &point);
	}

	jv rec = jv_copy(src);
	rec = jv_object_delete(rec, jv_string("id"));
	rec = jv_object_delete(rec, jv_string("created"));
	rec = jv_object_delete(rec, jv_string("lastUpdated"));
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	meta = jv_object_set(meta, jv_string("starred"), jv_false());
	meta = jv_object_set(meta, jv_string("archived"), jv_false());
	rec = jv_object_set(rec, jv_string("metadata"), meta);
	rec = jv_object_set(rec, jv_string("name"), name ? jv_string(name) :
		jv_string_fmt("%s (%s)", cf_jstr(src, "name"), dup ? "copy" : "branch"));
	rec = jv_object_set(rec, jv_string("parentSessionId"),
	                    dup ? jv_null() : jv_string(sid));
	rec = jv_object_set(rec, jv_string("branchPoint"),
	                    dup ? jv_null() : jv_copy(point));

	cf_store_begin(st);
	rec = cf_session_insert(st, rec);
	cf_message_copy_all(st, sid, cf_jstr(rec, "id"),
	                    jv_get_kind(point) == JV_KIND_STRING ?
	                    jv_string_value(point) : NULL);
	jv out = cf_session_get(st, cf_jstr(rec, "id"));
	cf_store_commit(st);
	jv_free(rec);
	jv_free(point);
	return out;
}
