/* provider.c — which protocol, key, base URL and model a provider name
 * means, and which provider to use when none is named. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "provider.h"

static const struct cf_provider *const builtin[] = {
	&cf_prov_anthropic, &cf_prov_openai, &cf_prov_gemini, &cf_prov_ollama,
	/* after the first three: cf_provider_choose looks for their keys,
	 * and this one's is OpenAI's */
	&cf_prov_openai_responses,
	&cf_prov_echo, NULL,
};

static const char *
conf(const char *name, const char *key)
{
	char k[200];
	snprintf(k, sizeof k, "%s.%s", name, key);
	return cf_config_get(k);
}

int
cf_provider_known(const char *name)
{
	for (int i = 0; builtin[i]; i++)
		if (!strcmp(builtin[i]->name, name))
			return 1;
	/* a named OpenAI-compatible server: [groq] type = openai */
	return conf(name, "type") != NULL;
}

/* The names in the table's order, joined by ", "; with remote set only
 * those that go over the network (what a config section's type may be). */
static const char *
names(int remote, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0; builtin[i]; i++)
		if (!remote || !builtin[i]->local)
			at += (size_t)snprintf(buf + at, at < n ? n - at : 0, "%s%s",
			                       at ? ", " : "", builtin[i]->name);
	return buf;
}

const char *
cf_provider_list(void)
{
	static char list[128];
	return list[0] ? list : names(0, list, sizeof list);
}

const struct cf_provider *
cf_provider_find(const char *name)
{
	for (int i = 0; builtin[i]; i++)
		if (!strcmp(builtin[i]->name, name))
			return builtin[i];
	const char *type = conf(name, "type");
	if (!type)
		return NULL;
	for (int i = 0; builtin[i]; i++)
		if (!strcmp(builtin[i]->name, type))
			return builtin[i];
	/* the bridge until send.c and chat-send.c take the error */
	char remote[128];
	cf_raise(cf_error(CF_EX_CONFIG, "%s: [%s] type '%s' is not one of %s", cf_config_path(),
	                  name, type, names(1, remote, sizeof remote)));
	return NULL;
}

const char *
cf_provider_key(const char *name, const struct cf_provider *p, const char **var)
{
	*var = NULL;
	/* a named server reads its own variable, not OpenAI's */
	const char *env = conf(name, "api-key-env");
	if (env) {
		*var = env;
		const char *v = getenv(env);
		if (v && *v)
			return v;
	} else if (!strcmp(name, p->name)) {
		for (int i = 0; i < 3 && p->key_env[i]; i++) {
			if (!*var)
				*var = p->key_env[i];
			const char *v = getenv(p->key_env[i]);
			if (v && *v)
				return v;
		}
	}
	const char *k = conf(name, "api-key");
	return k && *k ? k : NULL;
}

const char *
cf_provider_base(const char *name, const struct cf_provider *p)
{
	const char *b = conf(name, "base-url");
	if (b && *b)
		return b;
	if (!strcmp(name, p->name) && p->base_env) {
		b = getenv(p->base_env);
		if (b && *b)
			return b;
	}
	return p->base_default;
}

const char *
cf_provider_model(const char *name, const struct cf_provider *p)
{
	const char *m = conf(name, "model");
	return m && *m ? m : p->model_default;
}

const char *
cf_provider_default_model(const char *name)
{
	const char *m = conf(name, "model"), *type = conf(name, "type");
	if (m && *m)
		return m;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; builtin[i]; i++)
			if (!strcmp(builtin[i]->name, pass ? (type ? type : "") : name))
				return builtin[i]->model_default;
	return NULL;
}

int
cf_provider_json_array(const char *name, const struct cf_provider *p)
{
	const char *f = conf(name, "stream-format");
	if (!f || !*f || !strcmp(f, "sse"))
		return 0;
	/* only Gemini answers streamGenerateContent with an array */
	return !strcmp(f, "json-array") && p == &cf_prov_gemini ? 1 : -1;
}

/* Is Ollama listening?  A short GET, so a machine without it costs a
 * fraction of a second, not a timeout. */
static int
ollama_answers(void)
{
	const char *base = cf_provider_base("ollama", &cf_prov_ollama);
	char url[1024];
	snprintf(url, sizeof url, "%s%s/api/version",
	         strstr(base, "://") ? "" : "http://", base);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *k = curl_easy_init();
	if (!k)
		return 0;
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, 500L);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	long status = 0;
	if (curl_easy_perform(k) == CURLE_OK)
		curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(k);
	return status == 200;
}

const char *
cf_provider_choose(void)
{
	const char *p = cf_config_get("provider");
	if (p && *p)
		return p;
	const char *var;
	for (int i = 0; i < 3; i++)
		if (cf_provider_key(builtin[i]->name, builtin[i], &var))
			return builtin[i]->name;
	if (ollama_answers())
		return "ollama";
	return NULL;
}

jv
cf_event_json(cf_call *c, const char *data, size_t n)
{
	jv v = jv_parse_sized(data, (int)n);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		c->malformed++;
		return jv_invalid();
	}
	return v;
}

void
cf_base_url(const char *base, const char *path, char *buf, size_t n)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(buf, n, "%s%.*s%s", strstr(base, "://") ? "" : "http://",
	         (int)bl, base, path);
}

/* The protocol behind a provider name, without failing on a bad config
 * (a message's provider may be one configured no more). */
static const char *
protocol_of(const char *name)
{
	if (!name || !*name)
		return NULL;
	for (int i = 0; builtin[i]; i++)
		if (!strcmp(builtin[i]->name, name))
			return builtin[i]->name;
	return conf(name, "type");
}

/* Where a part came from: its own provider, else its message's. */
static int
part_here(cf_call *c, jv part, jv m)
{
	const char *p = cf_jstr_or_null(part, "provider");
	if (!p)
		p = protocol_of(cf_jstr_or_null(m, "provider"));
	return p && !strcmp(p, c->p->name);
}

jv
cf_wire_parts(cf_call *c, jv m)
{
	jv parts = jv_object_get(jv_copy(m), jv_string("parts"));
	if (jv_get_kind(parts) != JV_KIND_ARRAY) {
		jv_free(parts);
		return jv_null();
	}
	jv out = jv_array();
	jv_array_foreach(parts, i, p) {
		const char *type = cf_jstr(p, "type");
		int here = part_here(c, p, m);
		jv q = jv_object_delete(jv_copy(p), jv_string("provider"));
		if (!here) {
			/* what only its own protocol can read goes; tool calls and
			 * their results mean the same to every protocol */
			q = jv_object_delete(q, jv_string("thoughtSignature"));
			q = jv_object_delete(q, jv_string("citations"));
			if (strcmp(type, "text") && strcmp(type, "tool_use") &&
			    strcmp(type, "tool_result")) {
				jv_free(q);
				q = jv_invalid();
			}
		}
		if (jv_is_valid(q))
			out = jv_array_append(out, q);
		jv_free(p);
		(void)i;
	}
	jv_free(parts);
	return out;
}

/* A message's parts, or its content as the one text part it means. */
static jv
as_parts(jv m)
{
	jv p = jv_object_get(jv_copy(m), jv_string("parts"));
	if (jv_get_kind(p) == JV_KIND_ARRAY) {
		/* each part says whose it is before messages are joined */
		const char *prov = cf_jstr_or_null(m, "provider");
		if (!prov)
			return p;
		jv out = jv_array();
		jv_array_foreach(p, i, x) {
			if (!jv_object_has(jv_copy(x), jv_string("provider")) &&
			    protocol_of(prov))
				x = jv_object_set(x, jv_string("provider"),
				                  jv_string(protocol_of(prov)));
			out = jv_array_append(out, x);
			(void)i;
		}
		jv_free(p);
		return out;
	}
	jv_free(p);
	jv t = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
	return jv_array_append(jv_array(), jv_object_set(t, jv_string("text"),
	                       jv_string(cf_jstr(m, "content"))));
}

jv
cf_turns(cf_call *c, jv *system)
{
	jv out = jv_array();
	jv sys = c->system && *c->system ? jv_string(c->system) : jv_null();
	jv_array_foreach(c->messages, i, m) {
		const char *role = cf_jstr(m, "role");
		if (!strcmp(role, "system")) {
			const char *t = cf_jstr(m, "content");
			jv ns = jv_get_kind(sys) == JV_KIND_STRING ?
				jv_string_fmt("%s\n\n%s", jv_string_value(sys), t) :
				jv_string(t);
			jv_free(sys);
			sys = ns;
			jv_free(m);
			continue;
		}
		int n = jv_array_length(jv_copy(out));
		jv last = n ? jv_array_get(jv_copy(out), n - 1) : jv_null();
		if (n && !strcmp(cf_jstr(last, "role"), role)) {
			jv joined = jv_string_fmt("%s\n\n%s", cf_jstr(last, "content"),
			                          cf_jstr(m, "content"));
			jv imgs = jv_object_get(jv_copy(last), jv_string("images"));
			jv more = jv_object_get(jv_copy(m), jv_string("images"));
			if (jv_get_kind(imgs) != JV_KIND_ARRAY) {
				jv_free(imgs);
				imgs = jv_array();
			}
			if (jv_get_kind(more) == JV_KIND_ARRAY)
				imgs = jv_array_concat(imgs, more);
			else
				jv_free(more);
			last = jv_object_set(last, jv_string("content"), joined);
			last = jv_object_set(last, jv_string("images"), imgs);
			/* typed parts stay, each message's in its order */
			if (jv_object_has(jv_copy(last), jv_string("parts")) ||
			    jv_object_has(jv_copy(m), jv_string("parts")))
				last = jv_object_set(last, jv_string("parts"), jv_array_concat(
					as_parts(last), as_parts(m)));
			out = jv_array_set(out, n - 1, last);
			jv_free(m);
		} else {
			jv_free(last);
			out = jv_array_append(out, m);
		}
		(void)i;
	}
	*system = sys;
	return out;
}

static int
hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d = c >= '0' && c <= '9' ? c - '0' :
		        c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		        c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

const char *
cf_json_unquote(const char *s, const char *end, char **buf, size_t *cap,
                size_t *len)
{
	if (*cap < (size_t)(end - s) + 1) {
		*cap = (size_t)(end - s) + 1;
		*buf = cf_xrealloc(*buf, *cap);
	}
	char *o = *buf;
	while (s < end) {
		/* Most of a reply is plain ASCII: copy it sixteen bytes at a
		 * time (eight without SSE2) up to the first byte that is not
		 * (under 0x20, over 0x7e, a quote, a backslash).  A block is
		 * stored whole and only its plain part counted: o never runs
		 * ahead of s, and *buf has room for all of the input. */
#ifdef __SSE2__
		if (end - s >= 16) {
			const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'),
			              sp = _mm_set1_epi8(0x1f);
			__m128i x = _mm_loadu_si128((const __m128i *)s);
			_mm_storeu_si128((__m128i *)o, x);
			/* signed: bytes over 0x7f are negative, so "> 0x1f" fails
			 * for them and for control bytes alike */
			unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)),
				_mm_cmpeq_epi8(_mm_cmpgt_epi8(x, sp), _mm_setzero_si128())));
			if (!m) {
				o += 16;
				s += 16;
				continue;
			}
			o += __builtin_ctz(m);
			s += __builtin_ctz(m);   /* to the byte that is not plain */
		}
#else
		const char *r = s;
		const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
		while (end - r >= 8) {
			uint64_t x, q, b;
			memcpy(&x, r, 8);
			q = x ^ (ones * '"');
			b = x ^ (ones * '\\');
			if (((x - ones * 0x20) | x | ((q - ones) & ~q) |
			     ((b - ones) & ~b)) & high)
				break;
			r += 8;
		}
		if (r > s) {
			memcpy(o, s, (size_t)(r - s));
			o += r - s;
			s = r;
			continue;
		}
#endif
		unsigned char c = (unsigned char)*s;
		if (c == '"') {
			*len = (size_t)(o - *buf);
			return s + 1;
		}
		if (c < 0x20)
			return NULL;
		if (c < 0x80 && c != '\\') {
			*o++ = (char)c;
			s++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = cf_utf8_len((const unsigned char *)s, (const unsigned char *)end);
			if (!k)
				return NULL;
			memcpy(o, s, k);
			o += k;
			s += k;
			continue;
		}
		if (end - s < 2)
			return NULL;
		unsigned cp;
		switch (s[1]) {
		case '"': case '\\': case '/': *o++ = s[1]; s += 2; continue;
		case 'b': *o++ = '\b'; s += 2; continue;
		case 'f': *o++ = '\f'; s += 2; continue;
		case 'n': *o++ = '\n'; s += 2; continue;
		case 'r': *o++ = '\r'; s += 2; continue;
		case 't': *o++ = '\t'; s += 2; continue;
		case 'u':
			if (end - s < 6 || hex4(s + 2, &cp))
				return NULL;
			s += 6;
			if (cp >= 0xd800 && cp < 0xdc00) {   /* a pair, or refuse */
				unsigned lo;
				if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				    hex4(s + 2, &lo) || lo < 0xdc00 || lo >= 0xe000)
					return NULL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return NULL;
			}
			if (!cp)
				return NULL;   /* a NUL: jq's way, please */
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xc0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*o++ = (char)(0xe0 | cp >> 12);
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*o++ = (char)(0xf0 | cp >> 18);
				*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			}
			continue;
		default:
			return NULL;
		}
	}
	return NULL;
}

void
cf_keep_str(jv *slot, jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING) {
		jv_free(*slot);
		*slot = v;
	} else {
		jv_free(v);
	}
}

jv
cf_error_text(jv d, const char *msg, const char *kind)
{
	jv m = cf_jpath(d, msg);
	jv k = kind ? cf_jpath(d, kind) : jv_null();
	jv r = jv_null();
	if (jv_get_kind(m) == JV_KIND_STRING)
		r = jv_get_kind(k) == JV_KIND_STRING ?
			jv_string_fmt("%s (%s)", jv_string_value(m), jv_string_value(k)) :
			jv_copy(m);
	jv_free(m);
	jv_free(k);
	return r;
}

int
cf_event_with(cf_call *c, const char *data, size_t n, int (*fn)(cf_call *c, jv d))
{
	jv d = cf_event_json(c, data, n);
	if (!jv_is_valid(d))
		return 0;
	int rc = fn(c, d);
	jv_free(d);
	return rc;
}

int
cf_whole_with(cf_call *c, const char *body, size_t n, int (*fn)(cf_call *c, jv d))
{
	jv d = cf_event_json(c, body, n);
	if (!jv_is_valid(d))
		return cf_call_error(c, CF_CALL_MALFORMED, "the reply is not JSON");
	int rc = fn(c, d);
	c->done = 1;
	jv_free(d);
	return rc;
}
