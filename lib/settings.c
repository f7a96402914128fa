/* settings.c — session settings from options and config, validated once. */
#include <stdlib.h>
#include <string.h>

#include "confab.h"
#include "priv.h"

static jv
set2(jv rec, const char *a, const char *b, jv v)
{
	jv o = jv_object_get(jv_copy(rec), jv_string(a));
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		o = jv_object();
	}
	o = jv_object_set(o, jv_string(b), v);
	return jv_object_set(rec, jv_string(a), o);
}

/* The error for a bad value; consumes rec. */
static jv
bad(jv rec, const struct cf_settings *s, const char *opt, const char *val,
    const char *why)
{
	jv_free(rec);
	if (s->origin)
		return cf_error(CF_EX_CONFIG, "%s: invalid %s '%s': %s", s->origin,
		                opt, val, why);
	return cf_usage_error("invalid --%s '%s': %s", opt, val, why);
}

/* The error for more tags than a session holds; consumes rec.  The bound
 * keeps a request's tags (a megabyte of them in one body to chat-serve)
 * from costing the square of their number to merge: 100,000 took six
 * minutes of the server's one thread. */
static jv
bad_count(jv rec, const struct cf_settings *s)
{
	jv_free(rec);
	if (s->origin)
		return cf_error(CF_EX_CONFIG, "%s: too many tags (at most %d)", s->origin, CF_TAGS_MAX);
	return cf_usage_error("too many tags (at most %d)", CF_TAGS_MAX);
}

jv
cf_settings_apply(jv rec, const struct cf_settings *s)
{
	if (s->name) {
		if (!*s->name)
			return bad(rec, s, "name", s->name, "must not be empty");
		rec = jv_object_set(rec, jv_string("name"), jv_string(s->name));
	}
	if (s->provider) {
		/* a named server is a config section */
		jv r = cf_config_load();
		if (cf_is_error(r)) {
			jv_free(rec);
			return r;
		}
		if (!cf_provider_known(s->provider)) {
			char why[200];
			snprintf(why, sizeof why, "known providers are %s",
			         cf_provider_list());
			return bad(rec, s, "provider", s->provider, why);
		}
		rec = jv_object_set(rec, jv_string("provider"), jv_string(s->provider));
	}
	if (s->model) {
		if (!*s->model)
			return bad(rec, s, "model", s->model, "must not be empty");
		rec = jv_object_set(rec, jv_string("model"), jv_string(s->model));
	}
	if (s->system)
		rec = set2(rec, "settings", "systemPrompt",
		           *s->system ? jv_string(s->system) : jv_null());
	if (s->temperature) {
		double d;
		if (!*s->temperature)
			rec = set2(rec, "settings", "temperature", jv_null());
		else if (cf_parse_double(s->temperature, 0, 2, &d))
			return bad(rec, s, "temperature", s->temperature,
			           "must be a number from 0 to 2");
		else
			rec = set2(rec, "settings", "temperature", jv_number(d));
	}
	if (s->max_tokens) {
		long n;
		if (cf_parse_long(s->max_tokens, 1, 100000000, &n))
			return bad(rec, s, "max-tokens", s->max_tokens,
			           "must be a whole number above 0");
		rec = set2(rec, "settings", "maxTokens", jv_number((double)n));
	}
	if (s->context_window) {
		long n;
		if (cf_parse_long(s->context_window, 0, 100000000, &n))
			return bad(rec, s, "context-window", s->context_window,
			           "must be a whole number of messages, 0 or more");
		rec = set2(rec, "settings", "contextWindow", jv_number((double)n));
	}
	if (s->auto_context >= 0)
		rec = set2(rec, "settings", "autoContext", jv_bool(s->auto_context));
	if (s->send_history >= 0)
		rec = set2(rec, "settings", "sendHistory", jv_bool(s->send_history));
	/* removals are not bounded: they cannot grow the set, and a session
	 * imported with more tags than this must stay editable */
	if (s->ntags > CF_TAGS_MAX)
		return bad_count(rec, s);
	if (s->ntags || s->nuntags) {
		jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
		jv tags = jv_get_kind(meta) == JV_KIND_OBJECT ?
			jv_object_get(meta, jv_string("tags")) : (jv_free(meta), jv_array());
		if (jv_get_kind(tags) != JV_KIND_ARRAY) {
			jv_free(tags);
			tags = jv_array();
		}
		int had = jv_array_length(jv_copy(tags));
		for (int i = 0; i < s->ntags; i++) {
			const char *t = s->tags[i];
			if (!*t || strpbrk(t, "\n\r,")) {
				jv_free(tags);
				return bad(rec, s, "tag", t, "must be non-empty, without "
				           "commas or newlines");
			}
			int found = 0;
			jv_array_foreach(tags, j, x) {
				found |= jv_get_kind(x) == JV_KIND_STRING &&
				         !strcmp(jv_string_value(x), t);
				jv_free(x);
				(void)j;
			}
			if (!found)
				tags = jv_array_append(tags, jv_string(t));
		}
		if (s->nuntags) {
			/* one pass: a removal list as long as a body allows
			 * costs a comparison a tag, not a new array a tag */
			jv kept = jv_array();
			jv_array_foreach(tags, j, x) {
				int drop = 0;
				for (int i = 0; i < s->nuntags && !drop; i++)
					drop = jv_get_kind(x) == JV_KIND_STRING &&
					       !strcmp(jv_string_value(x), s->untags[i]);
				if (drop)
					jv_free(x);
				else
					kept = jv_array_append(kept, x);
				(void)j;
			}
			jv_free(tags);
			tags = kept;
		}
		int now = jv_array_length(jv_copy(tags));
		if (now > CF_TAGS_MAX && now > had) {
			jv_free(tags);
			return bad_count(rec, s);
		}
		rec = set2(rec, "metadata", "tags", tags);
	}
	if (s->starred >= 0)
		rec = set2(rec, "metadata", "starred", jv_bool(s->starred));
	if (s->archived >= 0)
		rec = set2(rec, "metadata", "archived", jv_bool(s->archived));
	if (s->noptions) {
		jv ops = jv_array();
		for (int i = 0; i < s->noptions; i++) {
			jv op = cf_option_parse(s->options[i]);
			if (!jv_is_valid(op)) {
				jv_free(ops);
				jv_free(rec);
				return s->origin ? (jv_free(op), cf_error(CF_EX_CONFIG,
				       "%s: invalid option '%s'", s->origin, s->options[i])) : op;
			}
			ops = jv_array_append(ops, op);
		}
		jv opts = cf_options_apply(cf_jpath(rec, "metadata.options"), ops);
		jv_free(ops);
		rec = set2(rec, "metadata", "options", opts);
	}
	return rec;
}

jv
cf_settings_check(const struct cf_settings *s)
{
	jv r = cf_settings_apply(jv_object(), s);
	if (!jv_is_valid(r))
		return r;
	jv_free(r);
	return jv_true();
}

jv
cf_settings_new(const struct cf_settings *s)
{
	/* Built-in defaults, under the config's, under the options. */
	jv settings = jv_object();
	settings = jv_object_set(settings, jv_string("maxTokens"), jv_number(4096));
	settings = jv_object_set(settings, jv_string("contextWindow"), jv_number(50));
	jv rec = jv_object_set(jv_object(), jv_string("settings"), settings);
	rec = cf_settings_defaults(rec);
	if (!jv_is_valid(rec))
		return rec;
	if (s->provider)   /* a provider named here takes its own model default */
		rec = jv_object_delete(rec, jv_string("model"));
	rec = cf_settings_apply(rec, s);
	if (!jv_is_valid(rec))
		return rec;
	return cf_settings_default_model(rec);
}

/* metadata.options lives in sessions.extra, which cf_session_update
 * leaves alone; none left removes the key. */
static jv
store_options(cf_store *st, jv rec)
{
	static const char sql[] =
		/* the cast: PostgreSQL cannot type a parameter only tested
		 * for NULL */
		"UPDATE sessions SET extra = CASE WHEN CAST(?1 AS TEXT) IS NULL"
		" THEN json_remove(coalesce(extra, '{}'), '$.options')"
		" ELSE json_set(coalesce(extra, '{}'), '$.options', json(?1)) END WHERE id = ?2";
	jv o = cf_jpath(rec, "metadata.options");
	int none = jv_get_kind(o) != JV_KIND_OBJECT || !jv_object_length(jv_copy(o));
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_jv(s, 1, none ? (jv_free(o), jv_null()) : o);
	cf_bind_text(s, 2, cf_jstr(rec, "id"));
	return cf_exec_stmt(st, s, "updating a session's options");
}

jv
cf_settings_store(cf_store *st, const char *id, const struct cf_settings *s)
{
	jv cur = cf_session_get(st, id);
	if (!jv_is_valid(cur))
		return cur;
	/* Another provider's model is one this provider does not have
	 * (gpt-4o-mini sent to Anthropic): without -m, its default. */
	const char *was = cf_jstr_or_null(cur, "provider");
	int moved = s->provider && !s->model && (!was || strcmp(was, s->provider));
	if (moved)
		cur = jv_object_set(cur, jv_string("model"), jv_null());
	cur = cf_settings_apply(cur, s);
	if (!jv_is_valid(cur))
		return cur;
	if (moved)
		cur = cf_settings_default_model(cur);
	jv e = cf_session_update(st, jv_copy(cur));
	if (jv_is_valid(e) && s->noptions) {
		jv_free(e);
		e = store_options(st, cur);
	}
	if (!jv_is_valid(e)) {
		jv_free(cur);
		return e;
	}
	jv_free(e);
	jv out = cf_session_get(st, cf_jstr(cur, "id"));
	jv_free(cur);
	return out;
}

void
cf_settings_init(struct cf_settings *s)
{
	memset(s, 0, sizeof *s);
	s->auto_context = s->starred = s->archived = -1;
	s->send_history = -1;
}

/* The room a list of n options, or of n tags and its NULL, has: a power
 * of two, so it is found again from n, and growing costs a copy per
 * doubling.  Grown a slot an item, a body of 100,000 tags under ASan
 * (whose realloc always moves) took longer than the test's 20 s. */
static size_t
list_room(int n)
{
	size_t r = 8;
	while (n && r < (size_t)n + 1)
		r *= 2;
	return n ? r : 0;
}

void
cf_settings_add_option(struct cf_settings *s, const char *kv)
{
	if (list_room(s->noptions + 1) != list_room(s->noptions))
		s->options = cf_xrealloc(s->options,
		                         sizeof *s->options * list_room(s->noptions + 1));
	s->options[s->noptions++] = kv;
}

void
cf_settings_add_tag(struct cf_settings *s, const char *t, int remove)
{
	const char ***v = remove ? &s->untags : &s->tags;
	int *n = remove ? &s->nuntags : &s->ntags;
	if (list_room(*n + 1) != list_room(*n))
		*v = cf_xrealloc(*v, sizeof **v * list_room(*n + 1));
	(*v)[(*n)++] = t;
	(*v)[*n] = NULL;
}

/* 1 or 0, or -1 when v is neither */
static int
config_bool(const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		return 0;
	return -1;
}

jv
cf_settings_defaults(jv rec)
{
	jv r = cf_config_load();
	if (cf_is_error(r)) {
		jv_free(rec);
		return r;
	}
	struct cf_settings s;
	cf_settings_init(&s);
	s.origin = cf_config_path();
	s.provider = cf_config_get("provider");
	s.model = cf_config_get("model");
	s.system = cf_config_get("system");
	s.temperature = cf_config_get("temperature");
	s.max_tokens = cf_config_get("max-tokens");
	s.context_window = cf_config_get("context-window");
	const char *ac = cf_config_get("auto-context");
	if (ac && (s.auto_context = config_bool(ac)) < 0) {
		jv_free(rec);
		return cf_error(CF_EX_CONFIG, "%s: invalid %s '%s': must be true or "
		                "false", cf_config_path(), "auto-context", ac);
	}
	const char *sh = cf_config_get("send-history");
	if (sh && (s.send_history = config_bool(sh)) < 0) {
		jv_free(rec);
		return cf_error(CF_EX_CONFIG, "%s: invalid %s '%s': must be true or "
		                "false", cf_config_path(), "send-history", sh);
	}
	char *tags = NULL;
	const char *t = cf_config_get("tags");
	if (t) {
		tags = cf_xstrdup(t);
		for (char *tok = strtok(tags, ","); tok; tok = strtok(NULL, ",")) {
			while (*tok == ' ')
				tok++;
			char *e = tok + strlen(tok);
			while (e > tok && e[-1] == ' ')
				*--e = '\0';
			if (*tok)
				cf_settings_add_tag(&s, tok, 0);
		}
	}
	rec = cf_settings_apply(rec, &s);
	free(tags);
	free(s.tags);
	return rec;
}

jv
cf_settings_default_model(jv rec)
{
	const char *p = cf_jstr_or_null(rec, "provider");
	if (!p || cf_jstr_or_null(rec, "model"))
		return rec;
	char key[160];
	snprintf(key, sizeof key, "%s.model", p);
	const char *m = cf_config_get(key);
	if (m && *m)
		rec = jv_object_set(rec, jv_string("model"), jv_string(m));
	return rec;
}

jv
cf_settings_model_note(const struct cf_settings *s, jv before, jv after)
{
	if (!s->provider || s->model)
		return jv_invalid();
	const char *p = cf_jstr_or_null(after, "provider");
	const char *was = cf_jstr_or_null(before, "model");
	const char *now = cf_jstr_or_null(after, "model");
	if (!p || !was || (now && !strcmp(was, now)))
		return jv_invalid();
	if (!now)
		now = cf_provider_default_model(p);
	return jv_string_fmt("model '%s' is not %s's: now %s%s%s", was, p,
	                     now ? "'" : "its default", now ? now : "",
	                     now ? "', its default (-m names another)" : "");
}
