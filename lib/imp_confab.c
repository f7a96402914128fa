/* imp_confab.c — confab's own JSON (chat-export -f json) in: session
 * records with their messages, checked as the store would check them. */
#include <string.h>

#include "import.h"

static void
check_array_of(struct rd *r, jv obj, const char *path, const char *key,
               int kinds)
{
	jv a = imp_field(r, obj, path, key, K_ARR | K_NULL);
	if (jv_get_kind(a) == JV_KIND_ARRAY) {
		jv_array_foreach(a, i, e) {
			if (!(imp_kbit(e) & kinds))
				imp_bad(r, "%s%s[%d] is %s", path, key, i, imp_kname(imp_kbit(e)));
			jv_free(e);
		}
	}
	jv_free(a);
}

static void
check_attachments(struct rd *r, jv md, const char *path)
{
	jv atts = imp_field(r, md, path, "attachments", K_ARR | K_NULL);
	if (jv_get_kind(atts) != JV_KIND_ARRAY) {
		jv_free(atts);
		return;
	}
	jv_array_foreach(atts, i, a) {
		char p[96];
		snprintf(p, sizeof p, "%sattachments[%d].", path, i);
		if (jv_get_kind(a) != JV_KIND_OBJECT)
			imp_bad(r, "%sattachments[%d] is %s, expected an object", path, i,
			        imp_kname(imp_kbit(a)));
		jv_free(imp_field(r, a, p, "id", K_STR | K_NULL));
		jv_free(imp_field(r, a, p, "type", K_STR));
		jv name = imp_field(r, a, p, "name", K_STR);
		imp_check_count(r, a, p, "size");
		jv_free(imp_field(r, a, p, "mimeType", K_STR | K_NULL));
		jv t = imp_field(r, a, p, "text", K_STR | K_NULL);
		jv d = imp_field(r, a, p, "data", K_STR | K_NULL);
		long n = 0;
		struct spill *sp = imp_spill_of(d);
		if (sp) {
			if (sp->n < 0)
				sp->n = imp_spill_decode(sp, NULL, NULL);
			n = sp->n;
			if (n < 0)
				imp_bad(r, "%sdata is not base64", p);
		} else if (jv_get_kind(d) == JV_KIND_STRING) {
			n = cf_unbase64(jv_string_value(d), (size_t)jv_string_length_bytes(jv_copy(d)),
			                NULL);
			if (n < 0)
				imp_bad(r, "%sdata is not base64", p);
		} else if (jv_get_kind(t) == JV_KIND_STRING) {
			n = jv_string_length_bytes(jv_copy(t));
		}
		imp_check_size(r, path, jv_string_value(name), n);
		jv_free(name);
		jv_free(t);
		jv_free(d);
		jv_free(a);
	}
	jv_free(atts);
}

/* Checks a message record as chat-show prints it: what the store would
 * refuse is refused here, naming the message. */
static jv
confab_message(struct rd *r, jv m, int i)
{
	char path[48];
	snprintf(path, sizeof path, "message %d: ", i + 1);
	if (jv_get_kind(m) != JV_KIND_OBJECT)
		imp_bad(r, "message %d is %s, expected an object", i + 1, imp_kname(imp_kbit(m)));
	jv type = imp_field(r, m, path, "type", K_STR | K_NULL);
	if (jv_get_kind(type) == JV_KIND_STRING && strcmp(jv_string_value(type), "message"))
		imp_bad(r, "message %d: expected a message record, got type '%s'", i + 1,
		        jv_string_value(type));
	jv_free(type);
	jv id = imp_field(r, m, path, "id", K_STR | K_NULL);
	if (jv_get_kind(id) == JV_KIND_STRING &&
	    (jv_string_length_bytes(jv_copy(id)) == 0 || jv_string_length_bytes(jv_copy(id)) > 36))
		imp_bad(r, "message %d: id '%s' is not an id", i + 1, jv_string_value(id));
	jv_free(id);
	jv role = imp_field(r, m, path, "role", K_STR);
	const char *rs = jv_string_value(role);
	if (strcmp(rs, "user") && strcmp(rs, "assistant") && strcmp(rs, "system"))
		imp_bad(r, "message %d: role '%s' is not user, assistant or system", i + 1, rs);
	jv_free(role);
	jv_free(imp_field(r, m, path, "content", K_STR | K_NULL));
	imp_time_field(r, m, path, "timestamp", 0);

	char mp[64];
	snprintf(mp, sizeof mp, "%smetadata.", path);
	jv md = imp_field(r, m, path, "metadata", K_OBJ | K_NULL);
	imp_check_count(r, md, mp, "tokens");
	jv_free(imp_field(r, md, mp, "model", K_STR | K_NULL));
	jv_free(imp_field(r, md, mp, "author", K_STR | K_NULL));
	imp_check_count(r, md, mp, "processing_time");
	/* what chat-send stores and chat-cost sums */
	imp_check_count(r, md, mp, "inputTokens");
	imp_check_count(r, md, mp, "outputTokens");
	imp_check_count(r, md, mp, "cacheReadTokens");
	imp_check_count(r, md, mp, "cacheWrite5mTokens");
	imp_check_count(r, md, mp, "cacheWrite1hTokens");
	imp_check_count(r, md, mp, "reasoningTokens");
	jv_free(imp_num_field(r, md, mp, "cost", 0, COST_MAX, 0));
	jv_free(imp_field(r, md, mp, "reactions", K_ARR | K_NULL));
	jv_free(imp_field(r, md, mp, "edits", K_ARR | K_NULL));
	check_attachments(r, md, mp);
	jv_free(md);
	snprintf(mp, sizeof mp, "%scontext.", path);
	jv cx = imp_field(r, m, path, "context", K_OBJ | K_NULL);
	jv_free(imp_field(r, cx, mp, "activityEvents", K_ARR | K_NULL));
	jv_free(imp_field(r, cx, mp, "pluginCommands", K_ARR | K_NULL));
	jv_free(imp_field(r, cx, mp, "files", K_ARR | K_NULL));
	jv_free(cx);
	jv parts = imp_field(r, m, path, "parts", K_ARR | K_NULL);
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		jv_array_foreach(parts, i, p) {
			int ok = jv_get_kind(p) == JV_KIND_OBJECT && *cf_jstr(p, "type");
			jv_free(p);
			if (!ok) {
				jv_free(parts);
				imp_bad(r, "%sparts.%d is not an object with a type", path, i);
			}
		}
	}
	jv_free(parts);
	/* the session it belongs to is the one it is imported into */
	m = jv_object_delete(m, jv_string("sessionId"));
	return jv_object_delete(m, jv_string("type"));
}

/* An export written before sendHistory existed (it has no such key) meant
 * by autoContext what sendHistory means now: sending the context window
 * (confab.7, Changed).  Its autoContext is taken as that, and the new
 * autoContext, attaching activity, starts off. */
static jv
old_auto_context(jv s)
{
	jv set = jv_object_get(jv_copy(s), jv_string("settings"));
	if (jv_get_kind(set) != JV_KIND_OBJECT ||
	    jv_object_has(jv_copy(set), jv_string("sendHistory"))) {
		jv_free(set);
		return s;
	}
	jv ac = jv_object_get(jv_copy(set), jv_string("autoContext"));
	set = jv_object_set(set, jv_string("sendHistory"),
	                    jv_bool(jv_get_kind(ac) == JV_KIND_TRUE));
	set = jv_object_set(set, jv_string("autoContext"), jv_false());
	jv_free(ac);
	return jv_object_set(s, jv_string("settings"), set);
}

static void
confab_item(struct rd *r, jv s)
{
	const char *name = cf_jstr_or_null(s, "name");
	imp_set_where(r, "session", name);
	/* what confab writes says so: a record of another kind, or another
	 * tool's export named confab by mistake, is not read as sessions */
	jv type = imp_field(r, s, "", "type", K_STR);
	if (strcmp(jv_string_value(type), "session"))
		imp_bad(r, "expected a session record, got type '%s'", jv_string_value(type));
	jv_free(type);
	jv id = imp_field(r, s, "", "id", K_STR | K_NULL);
	if (jv_get_kind(id) == JV_KIND_STRING &&
	    (jv_string_length_bytes(jv_copy(id)) == 0 || jv_string_length_bytes(jv_copy(id)) > 36))
		imp_bad(r, "id '%s' is not an id", jv_string_value(id));
	/* ids as ours: a UUID in lower case, anything else made one; a record
	 * with none gets one from what it holds, so a second import of it
	 * is still found */
	if (jv_get_kind(id) == JV_KIND_STRING) {
		s = imp_set(s, "id", imp_id_from("confab", jv_string_value(id)));
	} else {
		jv d = jv_dump_string(jv_copy(s), 0);
		s = imp_set(s, "id", imp_id_from("confab", jv_string_value(d)));
		jv_free(d);
	}
	jv_free(id);
	jv_free(imp_field(r, s, "", "name", K_STR | K_NULL));
	int64_t created = imp_time_field(r, s, "", "created", cf_now_ms());
	imp_time_field(r, s, "", "lastUpdated", created);
	jv_free(imp_field(r, s, "", "provider", K_STR | K_NULL));
	jv_free(imp_field(r, s, "", "model", K_STR | K_NULL));
	jv st = imp_field(r, s, "", "settings", K_OBJ | K_NULL);
	if (jv_get_kind(st) == JV_KIND_NULL) {
		/* --no-metadata: chat-new's settings */
		st = jv_object();
		st = imp_set(st, "maxTokens", jv_number(4096));
		st = imp_set(st, "contextWindow", jv_number(50));
		s = imp_set(s, "settings", jv_copy(st));
	}
	/* as chat-new takes them (settings.c) */
	jv_free(imp_num_field(r, st, "settings.", "temperature", 0, 2, 0));
	jv_free(imp_num_field(r, st, "settings.", "maxTokens", 1, 100000000, 1));
	jv_free(imp_field(r, st, "settings.", "systemPrompt", K_STR | K_NULL));
	jv_free(imp_field(r, st, "settings.", "autoContext", K_BOOL | K_NULL));
	jv_free(imp_field(r, st, "settings.", "sendHistory", K_BOOL | K_NULL));
	jv_free(imp_num_field(r, st, "settings.", "contextWindow", 0, 100000000, 1));
	jv_free(st);
	jv md = imp_field(r, s, "", "metadata", K_OBJ | K_NULL);
	check_array_of(r, md, "metadata.", "tags", K_STR);
	jv_free(imp_field(r, md, "metadata.", "starred", K_BOOL | K_NULL));
	jv_free(imp_field(r, md, "metadata.", "archived", K_BOOL | K_NULL));
	jv_free(md);
	jv parent = imp_field(r, s, "", "parentSessionId", K_STR | K_NULL);
	jv point = imp_field(r, s, "", "branchPoint", K_STR | K_NULL);

	jv in = imp_field(r, s, "", "messages", K_ARR | K_NULL);
	jv msgs = jv_array();
	if (jv_get_kind(in) == JV_KIND_ARRAY) {
		jv_array_foreach(in, i, m)
			msgs = jv_array_append(msgs, confab_message(r, m, i));
	}
	jv_free(in);
	s = old_auto_context(s);
	s = jv_object_delete(s, jv_string("messages"));
	s = jv_object_delete(s, jv_string("type"));
	s = jv_object_delete(s, jv_string("match"));
	s = jv_object_delete(s, jv_string("parentSessionId"));
	s = jv_object_delete(s, jv_string("branchPoint"));
	jv p = imp_new_plan(r, s, msgs);
	p = imp_set(p, "parent", parent);
	p = imp_set(p, "branchPoint", point);
	r->plans = jv_array_append(r->plans, p);
}

static int
detect(jv v)
{
	const char *t = cf_jstr_or_null(v, "type");
	return t && !strcmp(t, "session");
}

const struct cf_importer imp_confab = {
	.format = CF_IMPORT_CONFAB, .name = "confab", .noun = "session",
	.detect = detect, .item = confab_item,
};
