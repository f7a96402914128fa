/* imp_chatgpt.c — ChatGPT's conversations.json in: each conversation's
 * tree of messages as the session it showed last, and a branch for every
 * other leaf. */
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* The text a message shows: the string parts of text and multimodal_text
 * (and what was said, for voice), code as a fenced block; jv_invalid()
 * for every other kind (images, tool output, reasoning, context). */
static jv
gpt_text(struct rd *r, jv content, const char *path)
{
	jv type = imp_field(r, content, path, "content_type", K_STR);
	const char *t = jv_string_value(type);
	jv out = jv_invalid();
	if (!strcmp(t, "text") || !strcmp(t, "multimodal_text")) {
		jv parts = imp_field(r, content, path, "parts", K_ARR);
		out = jv_string("");
		int n = 0;
		jv_array_foreach(parts, i, part) {
			jv piece = jv_invalid();
			if (jv_get_kind(part) == JV_KIND_STRING) {
				piece = jv_copy(part);
			} else if (jv_get_kind(part) == JV_KIND_OBJECT) {
				const char *ct = cf_jstr_or_null(part, "content_type");
				const char *tx = cf_jstr_or_null(part, "text");
				if (ct && tx && !strcmp(ct, "audio_transcription"))
					piece = jv_string(tx);
			}
			if (jv_is_valid(piece) && jv_string_length_bytes(jv_copy(piece))) {
				if (n++)
					out = jv_string_append_str(out, "\n");
				out = jv_string_concat(out, piece);
			} else {
				jv_free(piece);
			}
			jv_free(part);
			(void)i;
		}
		jv_free(parts);
	} else if (!strcmp(t, "code")) {
		jv text = imp_field(r, content, path, "text", K_STR);
		const char *lang = cf_jstr_or_null(content, "language");
		if (!lang || !strcmp(lang, "unknown"))
			lang = "";
		out = jv_string_fmt("```%s\n%s\n```", lang, jv_string_value(text));
		jv_free(text);
	}
	jv_free(type);
	if (jv_is_valid(out) && imp_blank(out)) {
		jv_free(out);
		out = jv_invalid();
	}
	return out;
}

/* A mapping node's message as a record without an id, or jv_invalid()
 * when it is not part of the conversation as it was shown: no message,
 * hidden, a tool's, addressed to a tool, or nothing but what is skipped. */
static jv
gpt_message(struct rd *r, jv node, const char *key, int64_t ms)
{
	char at[96], path[128], cpath[144], apath[144], mpath[144];
	snprintf(at, sizeof at, "mapping node %.60s: ", key);
	snprintf(path, sizeof path, "%smessage.", at);
	snprintf(cpath, sizeof cpath, "%scontent.", path);
	snprintf(apath, sizeof apath, "%sauthor.", path);
	snprintf(mpath, sizeof mpath, "%smetadata.", path);
	jv msg = imp_field(r, node, at, "message", K_OBJ | K_NULL);
	if (jv_get_kind(msg) == JV_KIND_NULL)
		return jv_invalid();
	jv out = jv_invalid();
	jv author = imp_field(r, msg, path, "author", K_OBJ);
	jv role = imp_field(r, author, apath, "role", K_STR);
	jv md = imp_field(r, msg, path, "metadata", K_OBJ | K_NULL);
	jv recip = imp_field(r, msg, path, "recipient", K_STR | K_NULL);
	const char *rs = jv_string_value(role);
	if ((!strcmp(rs, "user") || !strcmp(rs, "assistant") || !strcmp(rs, "system")) &&
	    !cf_jbool(md, "is_visually_hidden_from_conversation") &&
	    (jv_get_kind(recip) != JV_KIND_STRING || !strcmp(jv_string_value(recip), "all"))) {
		jv content = imp_field(r, msg, path, "content", K_OBJ);
		jv text = gpt_text(r, content, cpath);
		jv_free(content);
		if (jv_is_valid(text)) {
			jv meta = jv_object();
			meta = imp_set(meta, "tokens", jv_null());
			const char *model = cf_jstr_or_null(md, "model_slug");
			meta = imp_set(meta, "model", model && !strcmp(rs, "assistant") ?
			               jv_string(model) : jv_null());
			meta = imp_set(meta, "processing_time", jv_null());
			if (!strcmp(rs, "assistant")) {
				const char *status = cf_jstr_or_null(msg, "status");
				jv fd = imp_field(r, md, mpath, "finish_details", K_OBJ | K_NULL);
				const char *stop = cf_jstr_or_null(fd, "type");
				if (status)
					meta = imp_set(meta, "incomplete",
					               jv_bool(strcmp(status, "finished_successfully") != 0));
				if (stop)
					meta = imp_set(meta, "stopReason", jv_string(stop));
				jv_free(fd);
			}
			out = imp_new_message(rs, text, ms, meta);
		} else {
			jv_free(text);
		}
	}
	jv_free(msg);
	jv_free(author);
	jv_free(role);
	jv_free(md);
	jv_free(recip);
	return out;
}

struct node {
	jv key, val;      /* the mapping's entry */
	int parent;       /* index; -1: a root */
	int depth;        /* -1: not known yet, -2: on the walk under way */
	int children;
	int main;         /* on the path from the root to current_node */
	int pos;          /* on that path: the index in the main session's
	                   * messages of the last kept one at or above it, or -1 */
	int64_t ms;       /* its time, or its parent's when it has none */
	jv rec;           /* its message as a record, or jv_invalid() */
};

static int
node_index(jv idx, const char *key)
{
	jv v = jv_object_get(jv_copy(idx), jv_string(key));
	int i = jv_get_kind(v) == JV_KIND_NUMBER ? (int)jv_number_value(v) : -1;
	jv_free(v);
	return i;
}

/* The path from the root to node i, as indexes (root first); *n set. */
static int *
path_to(struct node *nodes, int i, int *n)
{
	int *p = cf_xmalloc(sizeof *p * (size_t)(nodes[i].depth + 1));
	*n = nodes[i].depth + 1;
	for (int k = *n - 1; k >= 0; k--, i = nodes[i].parent)
		p[k] = i;
	return p;
}

static void
gpt_item(struct rd *r, jv c)
{
	jv title = imp_field(r, c, "", "title", K_STR | K_NULL);
	imp_set_where(r, "conversation", jv_get_kind(title) == JV_KIND_STRING ?
	              jv_string_value(title) : NULL);
	jv cid = imp_field(r, c, "", "conversation_id", K_STR | K_NULL);
	if (jv_get_kind(cid) == JV_KIND_NULL) {
		jv_free(cid);
		cid = imp_field(r, c, "", "id", K_STR | K_NULL);
	}
	if (jv_get_kind(cid) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(cid)))
		imp_bad(r, "conversation_id and id are missing");
	jv sid = imp_id_from("chatgpt", jv_string_value(cid));
	int64_t created = imp_unix_field(r, c, "", "create_time", -1);
	int64_t updated = imp_unix_field(r, c, "", "update_time", -1);
	jv model = imp_field(r, c, "", "default_model_slug", K_STR | K_NULL);
	jv mapping = imp_field(r, c, "", "mapping", K_OBJ);
	jv cur = imp_field(r, c, "", "current_node", K_STR | K_NULL);

	int n = jv_object_length(jv_copy(mapping));
	struct node *nodes = cf_xmalloc(sizeof *nodes * (size_t)(n ? n : 1));
	jv idx = jv_object();
	int i = 0;
	jv_object_foreach(mapping, k, v) {
		if (jv_get_kind(v) != JV_KIND_OBJECT)
			imp_bad(r, "mapping node %s is %s, expected an object",
			        jv_string_value(k), imp_kname(imp_kbit(v)));
		nodes[i] = (struct node){.key = k, .val = v, .depth = -1, .pos = -1,
		                         .rec = jv_invalid()};
		idx = jv_object_set(idx, jv_copy(k), jv_number(i));
		i++;
	}
	for (i = 0; i < n; i++) {
		const char *key = jv_string_value(nodes[i].key);
		jv p = jv_object_get(jv_copy(nodes[i].val), jv_string("parent"));
		if (jv_get_kind(p) == JV_KIND_NULL) {
			nodes[i].parent = -1;
		} else if (jv_get_kind(p) == JV_KIND_STRING) {
			nodes[i].parent = node_index(idx, jv_string_value(p));
			if (nodes[i].parent < 0)
				imp_bad(r, "mapping node %s: parent %s is not in the mapping",
				        key, jv_string_value(p));
			nodes[nodes[i].parent].children++;
		} else {
			imp_bad(r, "mapping node %s has no parent", key);
		}
		jv_free(p);
	}

	/* Depths and times, walking up from each node to the first one known:
	 * every node once, and a cycle is a node met again on its own walk. */
	int64_t t0 = created >= 0 ? created : updated >= 0 ? updated : cf_now_ms();
	int *walk = cf_xmalloc(sizeof *walk * (size_t)(n ? n : 1));
	for (i = 0; i < n; i++) {
		int w = 0, j = i;
		while (j >= 0 && nodes[j].depth == -1) {
			nodes[j].depth = -2;
			walk[w++] = j;
			j = nodes[j].parent;
		}
		if (j >= 0 && nodes[j].depth == -2)
			imp_bad(r, "mapping has a cycle through node %s",
			        jv_string_value(nodes[j].key));
		int d = j >= 0 ? nodes[j].depth : -1;
		int64_t ms = j >= 0 ? nodes[j].ms : t0;
		while (w > 0) {
			struct node *x = &nodes[walk[--w]];
			char path[160];
			snprintf(path, sizeof path, "mapping node %.60s: message.",
			         jv_string_value(x->key));
			jv msg = jv_object_get(jv_copy(x->val), jv_string("message"));
			x->ms = imp_unix_field(r, msg, path, "create_time", ms);
			jv_free(msg);
			x->depth = ++d;
			ms = x->ms;
		}
	}
	free(walk);
	for (i = 0; i < n; i++)
		nodes[i].rec = gpt_message(r, nodes[i].val, jv_string_value(nodes[i].key),
		                           nodes[i].ms);

	/* The conversation as it was last shown: root to current_node; without
	 * one, to the latest leaf. */
	int current = -1;
	if (jv_get_kind(cur) == JV_KIND_STRING) {
		current = node_index(idx, jv_string_value(cur));
		if (current < 0)
			imp_bad(r, "current_node %s is not in the mapping", jv_string_value(cur));
	} else {
		for (i = 0; i < n; i++)
			if (!nodes[i].children && (current < 0 || nodes[i].ms >= nodes[current].ms))
				current = i;
	}
	jv msgs = jv_array();
	int nmain = 0, last = -1;
	int64_t firstms = -1, lastms = t0;
	if (current >= 0) {
		int len, *p = path_to(nodes, current, &len);
		for (int k = 0; k < len; k++) {
			struct node *x = &nodes[p[k]];
			x->main = 1;
			if (jv_is_valid(x->rec)) {
				jv m = imp_set(jv_copy(x->rec), "id",
				               imp_id_from(jv_string_value(sid), jv_string_value(x->key)));
				msgs = jv_array_append(msgs, m);
				last = nmain++;
				if (firstms < 0)
					firstms = x->ms;
				lastms = x->ms;
			}
			x->pos = last;
		}
		free(p);
	}
	if (created < 0)
		created = firstms >= 0 ? firstms : t0;
	if (updated < lastms)
		updated = lastms;
	jv main = imp_new_session(jv_copy(sid), jv_copy(title), created, updated, "openai",
	                          jv_copy(model), jv_null());
	jv plan = imp_new_plan(r, main, msgs);
	/* branches are named after the main session, however it was named */
	jv mainname = jv_object_get(jv_object_get(jv_copy(plan), jv_string("session")),
	                            jv_string("name"));
	const char *ts = jv_string_value(mainname);
	r->plans = jv_array_append(r->plans, plan);

	/* Every other leaf: a branch from the main session, holding its whole
	 * path as chat-branch would, made at the last message the two share. */
	int nb = 0;
	for (i = 0; i < n; i++) {
		if (nodes[i].children || nodes[i].main)
			continue;
		int len, *p = path_to(nodes, i, &len), fork = -1, own = 0;
		for (int k = 0; k < len; k++) {
			if (nodes[p[k]].main)
				fork = p[k];
			else if (jv_is_valid(nodes[p[k]].rec))
				own++;
		}
		if (!own) {   /* nothing shown that the main session lacks */
			free(p);
			continue;
		}
		char bid[37];
		imp_uuid5(bid, "chatgpt", jv_string_value(cid), jv_string_value(nodes[i].key));
		jv bmsgs = jv_array();
		int64_t bcreated = -1, bupdated = t0;
		for (int k = 0; k < len; k++) {
			struct node *x = &nodes[p[k]];
			if (!jv_is_valid(x->rec))
				continue;
			char mid[37];
			imp_uuid5(mid, bid, jv_string_value(x->key), NULL);
			bmsgs = jv_array_append(bmsgs, imp_set(jv_copy(x->rec), "id", jv_string(mid)));
			if (!x->main && bcreated < 0)
				bcreated = x->ms;
			bupdated = x->ms;
		}
		free(p);
		jv name = jv_string_fmt("%s (branch %d)", ts, ++nb);
		jv bs = imp_new_session(jv_string(bid), name, bcreated, bupdated, "openai",
		                        jv_copy(model), jv_null());
		jv plan = imp_new_plan(r, bs, bmsgs);
		plan = imp_set(plan, "parent", jv_copy(sid));
		if (fork >= 0 && nodes[fork].pos >= 0) {
			plan = imp_set(plan, "branchIndex", jv_number(nodes[fork].pos));
			/* for a parent stored by an earlier import, whose messages
			 * need not be the ones counted here */
			plan = imp_set(plan, "branchMessage",
			               imp_id_from(jv_string_value(sid), jv_string_value(nodes[fork].key)));
		}
		r->plans = jv_array_append(r->plans, plan);
	}

	for (i = 0; i < n; i++) {
		jv_free(nodes[i].key);
		jv_free(nodes[i].val);
		jv_free(nodes[i].rec);
	}
	free(nodes);
	jv_free(idx);
	jv_free(mainname);
	jv_free(mapping);
	jv_free(cur);
	jv_free(model);
	jv_free(title);
	jv_free(cid);
	jv_free(sid);
	jv_free(c);
}

static int
detect(jv v)
{
	return jv_object_has(jv_copy(v), jv_string("mapping"));
}

const struct cf_importer imp_chatgpt = {
	.format = CF_IMPORT_CHATGPT, .name = "chatgpt", .noun = "conversation",
	.detect = detect, .item = gpt_item,
};
