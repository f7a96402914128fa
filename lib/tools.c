/* tools.c — the model calls the tools plugins offer: a turn goes on for
 * as many rounds as the model asks for tools (up to tool-rounds), each
 * call checked against its tool's input_schema and run only when the
 * program's callback (the user) allows it, each result stored as a
 * tool_result part of a message of its own and sent back.  chat-send and
 * confab call cf_turn_tools where they called cf_turn_run.  Arguments
 * are checked by schema.c, as --schema's replies are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "priv.h"
#include "provider.h"

/* ---- names on the wire ---- */

/* The providers take [A-Za-z0-9_-]{1,64} as a tool's name. */
static void
wire_name(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n && k < 64; s++)
		out[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		           (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ? *s : '_';
	out[k] = '\0';
}

static int
count_named(jv list, const char *name)
{
	int n = 0;
	jv_array_foreach(list, i, t) {
		char w[80];
		wire_name(cf_jstr(t, "name"), w, sizeof w);
		n += !strcmp(w, name);
		jv_free(t);
		(void)i;
	}
	return n;
}

jv
cf_tools_offered(jv list)
{
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		return jv_array();
	}
	jv out = jv_array();
	jv_array_foreach(list, i, t) {
		const char *plugin = cf_jstr(t, "plugin"), *tool = cf_jstr(t, "name");
		jv schema = jv_object_get(jv_copy(t), jv_string("input_schema"));
		if (!*plugin || !*tool || jv_get_kind(schema) != JV_KIND_OBJECT) {
			jv_free(schema);   /* a tool the model could not be told how to call */
			jv_free(t);
			continue;
		}
		/* the name the plugin gave, unless another plugin's tool has it
		 * too: then both go as PLUGIN__TOOL */
		char w[80], full[200];
		wire_name(tool, w, sizeof w);
		if (count_named(list, w) > 1) {
			snprintf(full, sizeof full, "%s__%s", plugin, tool);
			wire_name(full, w, sizeof w);
		}
		jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(w));
		o = jv_object_set(o, jv_string("plugin"), jv_string(plugin));
		o = jv_object_set(o, jv_string("tool"), jv_string(tool));
		o = jv_object_set(o, jv_string("description"), jv_string(cf_jstr(t, "description")));
		o = jv_object_set(o, jv_string("input_schema"), schema);
		out = jv_array_append(out, o);
		jv_free(t);
		(void)i;
	}
	jv_free(list);
	/* Names that still collide (one plugin's tool named OTHER__TOOL, two
	 * cut alike at 64) name no tool for sure: a call, or a permission
	 * given by name, would reach whichever came first.  None of them is
	 * offered (a provider refuses two tools of one name anyway). */
	jv uniq = jv_array();
	jv_array_foreach(out, i, t) {
		if (count_named(out, cf_jstr(t, "name")) == 1)
			uniq = jv_array_append(uniq, t);
		else
			jv_free(t);
		(void)i;
	}
	jv_free(out);
	return uniq;
}

/* The offered tool a call names (a new reference), or jv_invalid(). */
static jv
find_tool(jv offered, const char *name)
{
	jv_array_foreach(offered, i, t) {
		if (!strcmp(cf_jstr(t, "name"), name))
			return t;
		jv_free(t);
		(void)i;
	}
	return jv_invalid();
}

int
cf_tool_named(jv call, const char *name)
{
	char both[256];
	snprintf(both, sizeof both, "%s:%s", cf_jstr(call, "plugin"), cf_jstr(call, "tool"));
	return !strcmp(name, cf_jstr(call, "name")) || !strcmp(name, both);
}

/* ---- the context ---- */

int
cf_tool_answers(jv msg)
{
	jv parts = jv_object_get(jv_copy(msg), jv_string("parts"));
	int n = 0, answers = 0;
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		jv_array_foreach(parts, i, p) {
			n++;
			answers += !strcmp(cf_jstr(p, "type"), "tool_result");
			jv_free(p);
			(void)i;
		}
	}
	jv_free(parts);
	return n && answers == n;
}

/* What pairs a call with its answer: its id, or its name where the
 * protocol gives calls none (Gemini, Ollama). */
static jv
pair_key(jv part, const char *idfield)
{
	const char *id = cf_jstr(part, idfield);
	return *id ? jv_string_fmt("id:%s", id) : jv_string_fmt("name:%s", cf_jstr(part, "name"));
}

/* The keys of msg's parts of a type, as an object; "" when it has none. */
static jv
keys_of(jv msg, const char *type, const char *idfield, int *n)
{
	jv parts = jv_object_get(jv_copy(msg), jv_string("parts"));
	jv keys = jv_object();
	*n = 0;
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		jv_array_foreach(parts, i, p) {
			if (!strcmp(cf_jstr(p, "type"), type)) {
				keys = jv_object_set(keys, pair_key(p, idfield), jv_true());
				++*n;
			}
			jv_free(p);
			(void)i;
		}
	}
	jv_free(parts);
	return keys;
}

static int
answers_any(jv msg, jv calls)
{
	int n, hit = 0;
	jv keys = keys_of(msg, "tool_result", "toolUseId", &n);
	jv_object_foreach(keys, k, v) {
		hit = hit || jv_object_has(jv_copy(calls), jv_copy(k));
		jv_free(k);
		jv_free(v);
	}
	jv_free(keys);
	return hit;
}

/* msg (consumed) without its tool_use parts, or jv_null() when nothing
 * else would be left. */
static jv
without_calls(jv msg)
{
	jv parts = jv_object_get(jv_copy(msg), jv_string("parts"));
	jv keep = jv_array();
	jv_array_foreach(parts, i, p) {
		if (strcmp(cf_jstr(p, "type"), "tool_use"))
			keep = jv_array_append(keep, p);
		else
			jv_free(p);
		(void)i;
	}
	jv_free(parts);
	if (!jv_array_length(jv_copy(keep)) && !*cf_jstr(msg, "content")) {
		jv_free(keep);
		jv_free(msg);
		return jv_null();
	}
	return jv_object_set(msg, jv_string("parts"), keep);
}

jv
cf_tool_pairs(jv msgs)
{
	int n = jv_array_length(jv_copy(msgs));
	char *used = calloc((size_t)n + 1, 1);
	if (!used)
		return msgs;
	jv out = jv_array();
	for (int i = 0; i < n; i++) {
		if (used[i])
			continue;
		jv m = jv_array_get(jv_copy(msgs), i);
		if (cf_tool_answers(m)) {
			jv_free(m);   /* its calls are not before it */
			continue;
		}
		int ncalls;
		jv calls = keys_of(m, "tool_use", "id", &ncalls);
		if (!ncalls) {
			jv_free(calls);
			out = jv_array_append(out, m);
			continue;
		}
		int j = i + 1;
		for (; j < n; j++) {
			if (used[j])
				continue;
			jv a = jv_array_get(jv_copy(msgs), j);
			int yes = cf_tool_answers(a) && answers_any(a, calls);
			jv_free(a);
			if (yes)
				break;
		}
		jv_free(calls);
		if (j < n) {
			out = jv_array_append(out, m);
			out = jv_array_append(out, jv_array_get(jv_copy(msgs), j));
			used[j] = 1;
		} else {
			m = without_calls(m);
			if (jv_get_kind(m) == JV_KIND_NULL)
				jv_free(m);
			else
				out = jv_array_append(out, m);
		}
	}
	free(used);
	jv_free(msgs);
	return out;
}

/* ---- showing them ---- */

char *
cf_tool_calls_text(jv msg)
{
	jv parts = jv_object_get(jv_copy(msg), jv_string("parts"));
	jv text = jv_string("");
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		jv_array_foreach(parts, i, p) {
			if (!strcmp(cf_jstr(p, "type"), "tool_use")) {
				size_t n;
				jv in = jv_object_get(jv_copy(p), jv_string("input"));
				const char *j = jv_is_valid(in) ? cf_json_compact(in, &n) :
				                (jv_free(in), "{}");
				text = jv_string_concat(text, jv_string_fmt("tool call: %s %s\n",
				                        cf_jstr(p, "name"), j));
			}
			jv_free(p);
			(void)i;
		}
	}
	jv_free(parts);
	char *out = cf_xstrdup(jv_string_value(text));
	jv_free(text);
	return out;
}

/* ---- a round of calls ---- */

static jv
result_part(jv call, const char *content, int is_error)
{
	jv p = jv_object_set(jv_object(), jv_string("type"), jv_string("tool_result"));
	p = jv_object_set(p, jv_string("toolUseId"), jv_string(cf_jstr(call, "id")));
	p = jv_object_set(p, jv_string("name"), jv_string(cf_jstr(call, "name")));
	p = jv_object_set(p, jv_string("content"), jv_string(content));
	return jv_object_set(p, jv_string("isError"), jv_bool(is_error));
}

/* The tool_use parts of a stored reply, each as a call: {id, name,
 * input, plugin, tool} (plugin and tool when the name is offered). */
static jv
calls_of(jv reply, jv offered)
{
	jv parts = jv_object_get(jv_copy(reply), jv_string("parts"));
	jv calls = jv_array();
	if (jv_get_kind(parts) == JV_KIND_ARRAY) {
		jv_array_foreach(parts, i, p) {
			if (!strcmp(cf_jstr(p, "type"), "tool_use")) {
				/* Gemini's and Ollama's calls may have no id: their
				 * answers go by name (and order) */
				jv c = jv_object_set(jv_object(), jv_string("id"),
				                     jv_string(cf_jstr(p, "id")));
				c = jv_object_set(c, jv_string("name"), jv_string(cf_jstr(p, "name")));
				jv in = jv_object_get(jv_copy(p), jv_string("input"));
				c = jv_object_set(c, jv_string("input"), jv_is_valid(in) ? in :
				                  (jv_free(in), jv_null()));
				/* arguments that did not parse (parts.c keeps their text) */
				jv raw = jv_object_get(jv_copy(p), jv_string("inputJson"));
				if (jv_get_kind(raw) == JV_KIND_STRING)
					c = jv_object_set(c, jv_string("inputJson"), raw);
				else
					jv_free(raw);
				jv t = find_tool(offered, cf_jstr(p, "name"));
				if (jv_is_valid(t)) {
					c = jv_object_set(c, jv_string("plugin"), jv_string(cf_jstr(t, "plugin")));
					c = jv_object_set(c, jv_string("tool"), jv_string(cf_jstr(t, "tool")));
					c = jv_object_set(c, jv_string("description"),
					                  jv_string(cf_jstr(t, "description")));
				}
				jv_free(t);
				calls = jv_array_append(calls, c);
			}
			jv_free(p);
			(void)i;
		}
	}
	jv_free(parts);
	return calls;
}

/* One call: checked, asked about, run.  *stop is set when the user
 * stopped (the rest are not asked about).  Returns its tool_result. */
static jv
one_call(struct cf_turn *t, jv offered, jv call, int *stop, const char *why_not)
{
	const char *name = cf_jstr(call, "name");
	jv tool = find_tool(offered, name);
	jv res;
	const char *outcome;
	if (!jv_is_valid(tool)) {
		jv m = jv_string_fmt("there is no tool named '%s'", name);
		res = result_part(call, jv_string_value(m), 1);
		jv_free(m);
		outcome = "unknown";
	} else if (why_not || *stop) {
		res = result_part(call, why_not ? why_not :
		                  "not run: the user stopped the tool calls", 1);
		outcome = "not run";
	} else {
		jv schema = jv_object_get(jv_copy(tool), jv_string("input_schema"));
		jv in = jv_object_get(jv_copy(call), jv_string("input"));
		/* schema.c's checks, as for --schema's replies */
		jv bad = jv_null();
		if (jv_object_has(jv_copy(call), jv_string("inputJson"))) {
			bad = jv_string("the arguments are not JSON");
		} else if (jv_get_kind(in) != JV_KIND_OBJECT) {
			/* what a tool reads is an object (confab-plugin(7)),
			 * and what every provider takes back as a call's input */
			bad = jv_string("the arguments are not a JSON object");
		} else {
			jv v = cf_schema_validate(schema, in);
			if (!jv_is_valid(v))
				bad = cf_error_message(v);
			jv_free(v);
		}
		jv_free(schema);
		if (jv_get_kind(bad) == JV_KIND_STRING) {
			jv m = jv_string_fmt("invalid arguments for '%s': %s", name,
			                     jv_string_value(bad));
			res = result_part(call, jv_string_value(m), 1);
			jv_free(m);
			outcome = "invalid";
		} else {
			int answer = t->on_tool ? t->on_tool(t->ctx, call) : CF_TOOL_DENY;
			if (answer == CF_TOOL_STOP)
				*stop = 1;
			if (answer != CF_TOOL_ALLOW && answer != CF_TOOL_ALWAYS) {
				res = result_part(call, "denied: the user did not allow this "
				                  "tool to run", 1);
				outcome = "denied";
			} else {
				jv r = cf_plugin_tool(cf_jstr(tool, "plugin"), cf_jstr(tool, "tool"),
				                      jv_copy(in));
				if (jv_is_valid(r)) {
					res = result_part(call, cf_jstr(r, "content"), cf_jbool(r, "isError"));
				} else {
					jv m = cf_error_message(r);
					res = result_part(call, jv_string_value(m), 1);
					jv_free(m);
				}
				jv_free(r);
				outcome = "ran";
			}
		}
		jv_free(bad);
		jv_free(in);
	}
	jv_free(tool);
	res = jv_object_set(res, jv_string("outcome"), jv_string(outcome));
	if (t->on_tool_result)
		t->on_tool_result(t->ctx, call, res);
	return res;
}

/* The text a person reads for the results (the parts are what goes to
 * the model). */
static jv
results_text(jv parts)
{
	jv text = jv_string("");
	jv_array_foreach(parts, i, p) {
		text = jv_string_concat(text, jv_string_fmt("%s[tool %s: %s]\n%s", i ? "\n\n" : "",
			cf_jstr(p, "name"), cf_jstr(p, "outcome"), cf_jstr(p, "content")));
		jv_free(p);
	}
	jv_free(parts);
	return text;
}

/* The results go in as a user message whose parts are tool_result ones
 * (Anthropic's convention, which the other protocols' bodies translate);
 * id gets its id. */
static jv
store_results(struct cf_turn *t, jv parts, char id[37])
{
	jv clean = jv_array();
	jv_array_foreach(parts, i, p) {
		clean = jv_array_append(clean, jv_object_delete(p, jv_string("outcome")));
		(void)i;
	}
	jv m = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	m = jv_object_set(m, jv_string("content"), results_text(parts));
	m = jv_object_set(m, jv_string("parts"), clean);
	m = jv_object_set(m, jv_string("metadata"), jv_object_set(jv_object(),
	                  jv_string("toolResults"), jv_true()));
	cf_uuid7(id);
	m = jv_object_set(m, jv_string("id"), jv_string(id));
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(t->st);
		return cf_error(k.code, "%s", k.msg);
	}
	jv e = cf_store_begin(t->st);
	if (jv_is_valid(e)) {
		jv_free(e);
		e = cf_message_insert(t->st, t->session_id, m);
		m = jv_null();
		if (jv_is_valid(e)) {
			jv_free(e);
			e = cf_store_commit(t->st);
		} else {
			cf_store_rollback(t->st);
		}
	}
	jv_free(m);
	cf_catch_pop(&k);
	return e;
}

/* A stored message, or jv_invalid() (spooled, deleted). */
static jv
get_message(struct cf_turn *t, const char *id)
{
	struct cf_catch k;
	if (CF_TRY(&k))
		return cf_error(k.code, "%s", k.msg);
	jv r = cf_message_get(t->st, id);
	cf_catch_pop(&k);
	return r;
}

static void
note(struct cf_turn *t, const char *line)
{
	if (t->on_note)
		t->on_note(t->ctx, line);
	else
		cf_warn("%s", line);
}

/* The plugins' tools into t->tools, named for the wire; an error listing
 * them is a note, and none offered. */
static void
offer_plugins(struct cf_turn *t)
{
	if (jv_get_kind(t->tools) == JV_KIND_NULL) {
		jv_free(t->tools);
		t->tools = cf_plugin_tools();
		if (!jv_is_valid(t->tools)) {
			jv m = cf_error_message(t->tools);
			char line[1024];
			snprintf(line, sizeof line, "tools: %s; none are offered", jv_string_value(m));
			jv_free(m);
			note(t, line);
			t->tools = jv_array();
		}
	}
	t->tools = cf_tools_offered(t->tools);
}

jv
cf_turn_tools(struct cf_turn *t)
{
	/* tools = off: none offered (a model that takes none, a server that
	 * refuses the field); nor with --schema, whose reply is one value */
	const char *off = cf_config_get("tools");
	jv schema = jv_get_kind(t->over) == JV_KIND_OBJECT ?
	            jv_object_get(jv_copy(t->over), jv_string("schema")) : jv_null();
	int none = jv_get_kind(schema) == JV_KIND_OBJECT ||
	           (off && (!strcmp(off, "off") || !strcmp(off, "no") ||
	                    !strcmp(off, "false")));
	jv_free(schema);
	if (none) {
		jv_free(t->tools);
		t->tools = jv_array();
	}
	/* an empty list from the caller (chat-send, for a script that can
	 * allow no call) offers none */
	offer_plugins(t);
	if (!jv_array_length(jv_copy(t->tools)))
		return cf_turn_run(t);

	/* each round is the turn again, answering the results: what the
	 * caller set for the first is put back for the next */
	const char *again = t->again, *replace = t->replace;
	const char *text = t->text;
	size_t len = t->len;
	int edit = t->edit, reset = t->reset;
	jv over = jv_copy(t->over), fallbacks = jv_copy(t->fallbacks);
	jv r = cf_turn_run(t);
	char results_id[37];
	for (long round = 1; jv_is_valid(r); round++) {
		jv reply = get_message(t, t->reply_id);
		if (!jv_is_valid(reply)) {
			jv_free(reply);   /* spooled, or gone: nothing to answer */
			break;
		}
		jv calls = calls_of(reply, t->tools);
		jv_free(reply);
		int n = jv_array_length(jv_copy(calls));
		if (!n) {
			jv_free(calls);
			break;
		}
		/* the calls of a reply are answered even when they are not run:
		 * a tool_use without its result makes the next request fail */
		char limit[256];
		const char *why_not = NULL;
		if (t->interrupted || t->incomplete) {
			why_not = "not run: the reply was cut off";
		} else if (round > t->tool_rounds) {
			snprintf(limit, sizeof limit, "not run: the limit of %ld tool "
			         "rounds (tool-rounds) was reached", t->tool_rounds);
			why_not = limit;
		}
		int stop = 0;
		jv parts = jv_array();
		jv_array_foreach(calls, i, c) {
			parts = jv_array_append(parts, one_call(t, t->tools, c, &stop, why_not));
			jv_free(c);
			(void)i;
		}
		jv_free(calls);
		if (cf_interrupted && !why_not) {
			stop = 1;   /* a tool was stopped: nothing more goes out */
			t->interrupted = 1;
			t->exit = CF_EX_SIGINT;
		}
		jv e = store_results(t, jv_copy(parts), results_id);
		if (!jv_is_valid(e)) {
			jv_free(parts);
			jv_free(r);
			r = e;
			break;
		}
		if (t->on_tool_round) {
			jv stored = get_message(t, t->reply_id);
			jv res = get_message(t, results_id);
			if (jv_is_valid(stored) && jv_is_valid(res))
				t->on_tool_round(t->ctx, stored, res);
			jv_free(stored);
			jv_free(res);
		}
		jv_free(parts);
		jv_free(e);
		if (why_not == limit) {
			snprintf(limit, sizeof limit, "stopped after %ld tool round%s "
			         "(tool-rounds): the last calls were answered as not run",
			         t->tool_rounds, t->tool_rounds == 1 ? "" : "s");
			note(t, limit);
		}
		if (why_not || stop)
			break;
		jv_free(r);
		jv_free(t->over);
		jv_free(t->fallbacks);
		t->over = jv_copy(over);
		t->fallbacks = jv_copy(fallbacks);
		t->again = results_id;
		t->replace = NULL;
		t->edit = t->reset = 0;
		t->text = "";
		t->len = 0;
		r = cf_turn_run(t);
	}
	t->again = again;
	t->replace = replace;
	t->edit = edit;
	t->reset = reset;
	t->text = text;
	t->len = len;
	jv_free(over);
	jv_free(fallbacks);
	return r;
}
