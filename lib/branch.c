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
		if (!jv_is_valid(m))
			return m;
		point = jv_string(cf_jstr(m, "id"));
		jv_free(m);
	} else {
		/* the last message, so the branch point is recorded either way */
		jv e = cf_message_list(st, sid, 1, NULL, last_id, &point);
		if (!jv_is_valid(e)) {
			jv_free(point);
			return e;
		}
		jv_free(e);
	}

	jv e = cf_store_begin(st);
	if (!jv_is_valid(e)) {
		jv_free(point);
		return e;
	}
	jv_free(e);
	const char *p = jv_get_kind(point) == JV_KIND_STRING ? jv_string_value(point) : NULL;
	jv out = cf_session_branch_in(st, src, p, p, name, dup);
	if (jv_is_valid(out)) {
		e = cf_store_commit(st);
		if (!jv_is_valid(e)) {
			jv_free(out);
			out = e;
		} else {
			jv_free(e);
		}
	} else {
		cf_store_rollback(st);
	}
	jv_free(point);
	return out;
}

jv
cf_session_branch_in(cf_store *st, jv src, const char *point, const char *upto,
                     const char *name, int dup)
{
	const char *sid = cf_jstr(src, "id");
	jv rec = jv_copy(src);
	rec = jv_object_delete(rec, jv_string("id"));
	rec = jv_object_delete(rec, jv_string("created"));
	rec = jv_object_delete(rec, jv_string("lastUpdated"));
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	meta = jv_object_set(meta, jv_string("starred"), jv_false());
	meta = jv_object_set(meta, jv_string("archived"), jv_false());
	/* what was merged into src is not merged into the branch: its copies
	 * of merged messages still say where they came from (mergedFrom) */
	meta = jv_object_delete(meta, jv_string("merges"));
	rec = jv_object_set(rec, jv_string("metadata"), meta);
	rec = jv_object_set(rec, jv_string("name"), name ? jv_string(name) :
		jv_string_fmt("%s (%s)", cf_jstr(src, "name"), dup ? "copy" : "branch"));
	rec = jv_object_set(rec, jv_string("parentSessionId"),
	                    dup ? jv_null() : jv_string(sid));
	rec = jv_object_set(rec, jv_string("branchPoint"),
	                    dup || !point ? jv_null() : jv_string(point));
	jv out = cf_session_insert(st, rec);
	if (!jv_is_valid(out))
		return out;
	jv e = cf_message_copy_all(st, sid, cf_jstr(out, "id"), upto);
	if (!jv_is_valid(e)) {
		jv_free(out);
		return e;
	}
	jv_free(e);
	jv got = cf_session_get(st, cf_jstr(out, "id"));
	jv_free(out);
	return got;
}
