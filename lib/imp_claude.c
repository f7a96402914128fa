/* imp_claude.c — Claude.ai's conversations.json in: the text blocks of
 * each message, and uploaded files' text as attachments. */
#include <stdio.h>
#include <string.h>

#include "import.h"

static void
claude_item(struct rd *r, jv c)
{
	jv name = imp_field(r, c, "", "name", K_STR | K_NULL);
	imp_set_where(r, "conversation", jv_get_kind(name) == JV_KIND_STRING ?
	              jv_string_value(name) : NULL);
	jv uuid = imp_field(r, c, "", "uuid", K_STR);
	if (!jv_string_length_bytes(jv_copy(uuid)))
		imp_bad(r, "uuid is empty");
	jv sid = imp_id_from("claude", jv_string_value(uuid));
	int64_t created = imp_time_field(r, c, "", "created_at", -1);
	int64_t updated = imp_time_field(r, c, "", "updated_at", -1);
	jv model = imp_field(r, c, "", "model", K_STR | K_NULL);
	jv in = imp_field(r, c, "", "chat_messages", K_ARR);
	int64_t t0 = created >= 0 ? created : updated >= 0 ? updated : cf_now_ms();
	int64_t lastms = t0, firstms = -1;
	jv msgs = jv_array();
	jv_array_foreach(in, i, m) {
		char path[48];
		snprintf(path, sizeof path, "message %d: ", i + 1);
		if (jv_get_kind(m) != JV_KIND_OBJECT)
			imp_bad(r, "message %d is %s, expected an object", i + 1, imp_kname(imp_kbit(m)));
		jv sender = imp_field(r, m, path, "sender", K_STR);
		const char *role = jv_string_value(sender);
		if (!strcmp(role, "human"))
			role = "user";
		else if (strcmp(role, "assistant"))
			imp_bad(r, "message %d: sender '%s' is not human or assistant", i + 1, role);
		int64_t ms = imp_time_field(r, m, path, "created_at", lastms);
		/* the text blocks, without thinking or tools; a message without
		 * blocks (older exports) has only its text */
		jv content = imp_field(r, m, path, "content", K_ARR | K_NULL);
		jv text = jv_invalid();
		if (jv_get_kind(content) == JV_KIND_ARRAY && jv_array_length(jv_copy(content))) {
			text = jv_string("");
			int n = 0;
			jv_array_foreach(content, k, b) {
				char bp[128];
				snprintf(bp, sizeof bp, "%scontent[%d].", path, k);
				if (jv_get_kind(b) != JV_KIND_OBJECT)
					imp_bad(r, "%.*s is %s, expected an object", (int)strlen(bp) - 1, bp,
					        imp_kname(imp_kbit(b)));
				jv type = imp_field(r, b, bp, "type", K_STR);
				if (!strcmp(jv_string_value(type), "text")) {
					jv t = imp_field(r, b, bp, "text", K_STR);
					if (jv_string_length_bytes(jv_copy(t))) {
						if (n++)
							text = jv_string_append_str(text, "\n\n");
						text = jv_string_concat(text, t);
					} else {
						jv_free(t);
					}
				}
				jv_free(type);
				jv_free(b);
			}
		} else {
			text = imp_field(r, m, path, "text", K_STR | K_NULL);
			if (jv_get_kind(text) == JV_KIND_NULL) {
				jv_free(text);
				text = jv_string("");
			}
		}
		jv_free(content);
		/* the text of uploaded files, as attachments */
		jv atts = imp_field(r, m, path, "attachments", K_ARR | K_NULL);
		jv list = jv_array();
		if (jv_get_kind(atts) == JV_KIND_ARRAY) {
			jv_array_foreach(atts, k, a) {
				char ap[128];
				snprintf(ap, sizeof ap, "%sattachments[%d].", path, k);
				jv ex = imp_field(r, a, ap, "extracted_content", K_STR | K_NULL);
				jv fname = imp_field(r, a, ap, "file_name", K_STR | K_NULL);
				jv ftype = imp_field(r, a, ap, "file_type", K_STR | K_NULL);
				if (jv_get_kind(ex) == JV_KIND_STRING) {
					jv an = jv_get_kind(fname) == JV_KIND_STRING ?
					        jv_copy(fname) : jv_string_fmt("attachment-%d.txt", k + 1);
					imp_check_size(r, path, jv_string_value(an),
					               jv_string_length_bytes(jv_copy(ex)));
					jv e = jv_object();
					e = imp_set(e, "type", jv_string("text"));
					e = imp_set(e, "name", an);
					e = imp_set(e, "size", jv_number(jv_string_length_bytes(jv_copy(ex))));
					e = imp_set(e, "mimeType", jv_get_kind(ftype) == JV_KIND_STRING &&
					            strchr(jv_string_value(ftype), '/') ? jv_copy(ftype) :
					        jv_string("text/plain"));
					e = imp_set(e, "text", jv_copy(ex));
					list = jv_array_append(list, e);
				}
				jv_free(ex);
				jv_free(fname);
				jv_free(ftype);
				jv_free(a);
			}
		}
		jv_free(atts);
		if (!imp_blank(text) || jv_array_length(jv_copy(list))) {
			const char *uid = cf_jstr_or_null(m, "uuid");
			char num[24];
			snprintf(num, sizeof num, "%d", i + 1);
			jv mid = imp_id_from(jv_string_value(sid), uid ? uid : num);
			jv named = jv_array();
			jv_array_foreach(list, k, a) {
				char aid[37], nth[24];
				snprintf(nth, sizeof nth, "%d", k + 1);
				imp_uuid5(aid, jv_string_value(mid), "attachment", nth);
				named = jv_array_append(named, imp_set(a, "id", jv_string(aid)));
			}
			jv_free(list);
			jv meta = jv_object();
			meta = imp_set(meta, "tokens", jv_null());
			meta = imp_set(meta, "model", jv_null());
			meta = imp_set(meta, "processing_time", jv_null());
			meta = imp_set(meta, "attachments", named);
			jv rec = imp_set(imp_new_message(role, text, ms, meta), "id", mid);
			msgs = jv_array_append(msgs, rec);
			if (firstms < 0)
				firstms = ms;
			if (ms > lastms)
				lastms = ms;
		} else {
			jv_free(text);
			jv_free(list);
		}
		jv_free(sender);
		jv_free(m);
	}
	jv_free(in);
	if (created < 0)
		created = firstms >= 0 ? firstms : t0;
	if (updated < lastms)
		updated = lastms;
	jv s = imp_new_session(sid, name, created, updated, "anthropic", model, jv_null());
	r->plans = jv_array_append(r->plans, imp_new_plan(r, s, msgs));
	jv_free(uuid);
	jv_free(c);
}

static int
detect(jv v)
{
	return jv_object_has(jv_copy(v), jv_string("chat_messages"));
}

const struct cf_importer imp_claude = {
	.format = CF_IMPORT_CLAUDE, .name = "claude", .noun = "conversation",
	.detect = detect, .item = claude_item,
};
