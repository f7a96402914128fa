/* models.c — the models each provider offers (chat-models): its models
 * endpoint read through libcurl (curl.c), kept for a day in
 * $XDG_CACHE_HOME/confab/models/PROVIDER.json, each model priced from
 * pricing.json as it is shown (so a new price list needs no refresh). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "provider.h"

enum {
	TTL_SECONDS = 24 * 3600,
	MAX_PAGES = 50,            /* a list that never ends is cut here */
};
#define MAX_BODY ((size_t)32 << 20)

struct body {
	char *p;
	size_t len, cap;
	size_t room;               /* what the pages before left of MAX_BODY */
	int over;                  /* past it: the transfer stops */
};

static size_t
on_data(char *d, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;
	if (b->len + n > b->room) {
		b->over = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = cf_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* An error line as people read it: "NAME: what", the key taken out and
 * the provider's newlines and controls (C1 ones too) made spaces, so it
 * is one line that does nothing to a terminal. */
static jv
fail(int status, const char *name, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static jv
fail(int status, const char *name, const char *key, const char *fmt, ...)
{
	char *m = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (rc < 0)
		abort();   /* out of memory, as cf_xmalloc */
	char *r = key && *key ? cf_redact(m, strlen(m), key, NULL) : cf_xstrdup(m);
	free(m);
	for (unsigned char *s = (unsigned char *)r; *s; s++)
		if (*s < ' ' || *s == 0x7f)
			*s = ' ';
		else if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0)
			s[0] = s[1] = ' ';   /* a C1 control: an escape to some terminals */
	jv e = cf_error(status, "%s: %s", name, r);
	free(r);
	return e;
}

/* Percent-encodes a page token or id for a query string. */
static void
qenc(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;
	for (; *s && k + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			out[k++] = (char)c;
		} else {
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	}
	out[k] = '\0';
}

/* One GET with the protocol's own headers (its key among them): the
 * parsed body, or an error.  With probe, a server that is not there is
 * jv_invalid() without a message, and it has a second to answer. */
static jv
get(const char *name, const struct cf_provider *p, const char *key,
    const char *url, int probe, size_t *room)
{
	cf_call c;
	cf_call_init(&c);
	c.p = p;
	c.name = name;
	c.key = key;
	c.stream = 0;
	struct curl_slist *h = p->headers ? p->headers(&c, NULL) : NULL;
	h = curl_slist_append(h, "Accept: application/json");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *k = curl_easy_init();
	if (!k) {
		curl_slist_free_all(h);
		cf_call_release(&c);
		return cf_error(CF_EX_FAIL, "%s: cannot start libcurl", name);
	}
	struct body b = {.room = *room};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "confab/" CF_VERSION);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, probe ? 1000L : 10000L);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, 60L);
	CURLcode rc = curl_easy_perform(k);
	long status = 0;
	curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(k);
	curl_slist_free_all(h);
	cf_call_release(&c);
	*room -= b.len;

	jv r;
	if (rc != CURLE_OK && !(b.over && status)) {
		r = probe && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
		              rc == CURLE_COULDNT_RESOLVE_HOST) ? jv_invalid() :
		    fail(CF_EX_NETWORK, name, key, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
	} else if (b.over) {
		r = fail(CF_EX_PROVIDER, name, key, "the models list is over %zu MB",
		         MAX_BODY >> 20);
	} else if (status >= 400) {
		jv m = p->errmsg ? p->errmsg(b.p ? b.p : "", b.len) : jv_null();
		int st = status == 401 || status == 403 ? CF_EX_AUTH :
		         status == 429 ? CF_EX_RATE : CF_EX_PROVIDER;
		char code[32];
		snprintf(code, sizeof code, "HTTP %ld", status);
		if (jv_get_kind(m) != JV_KIND_STRING)
			r = fail(st, name, key, "%s", code);
		else if (strstr(jv_string_value(m), code))
			r = fail(st, name, key, "%s", jv_string_value(m));
		else
			r = fail(st, name, key, "%s (%s)", jv_string_value(m), code);
		jv_free(m);
	} else {
		r = jv_parse_sized(b.p ? b.p : "", (int)b.len);
		if (jv_get_kind(r) != JV_KIND_OBJECT) {
			jv_free(r);
			r = fail(CF_EX_PROVIDER, name, key, "the models list is not a JSON object");
		}
	}
	free(b.p);
	return r;
}

/* A field of d (borrowed) into m under another name, when it is of kind. */
static jv
take(jv m, jv d, const char *from, const char *to, jv_kind kind)
{
	jv v = jv_object_get(jv_copy(d), jv_string(from));
	if (jv_get_kind(v) == kind)
		return jv_object_set(m, jv_string(to), v);
	jv_free(v);
	return m;
}

/* Gemini lists embedding and other models beside the chat ones: a model
 * that says what it supports is listed when it generates content. */
static int
generates(jv d)
{
	jv ms = jv_object_get(jv_copy(d), jv_string("supportedGenerationMethods"));
	int yes = jv_get_kind(ms) != JV_KIND_ARRAY;
	if (!yes)
		jv_array_foreach(ms, i, s) {
			if (jv_get_kind(s) == JV_KIND_STRING &&
			    !strcmp(jv_string_value(s), "generateContent"))
				yes = 1;
			jv_free(s);
		}
	jv_free(ms);
	return yes;
}

/* One page's models in our shape, appended to out; the next page's
 * token in *next (a jv string) when there is one. */
static jv
page(const struct cf_provider *p, jv d, jv out, jv *next)
{
	int gem = p == &cf_prov_gemini, oll = p == &cf_prov_ollama;
	jv list = jv_object_get(jv_copy(d), jv_string(gem || oll ? "models" : "data"));
	*next = jv_null();
	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, x) {
			jv id = jv_object_get(jv_copy(x), jv_string(gem || oll ? "name" : "id"));
			if (jv_get_kind(id) != JV_KIND_STRING || (gem && !generates(x))) {
				jv_free(id);
				jv_free(x);
				continue;
			}
			const char *s = jv_string_value(id);
			if (gem && !strncmp(s, "models/", 7))
				s += 7;
			jv m = jv_object_set(jv_object(), jv_string("model"), jv_string(s));
			jv_free(id);
			if (p == &cf_prov_anthropic) {
				m = take(m, x, "created_at", "created", JV_KIND_STRING);
				m = take(m, x, "display_name", "displayName", JV_KIND_STRING);
			} else if (gem) {
				m = take(m, x, "displayName", "displayName", JV_KIND_STRING);
				m = take(m, x, "inputTokenLimit", "contextWindow", JV_KIND_NUMBER);
				m = take(m, x, "outputTokenLimit", "maxOutputTokens", JV_KIND_NUMBER);
			} else if (oll) {
				m = take(m, x, "modified_at", "modified", JV_KIND_STRING);
			} else {
				/* OpenAI's created is Unix seconds */
				double t = cf_jnum(x, "created", -1);
				if (t > 0 && t < 1e11)
					m = jv_object_set(m, jv_string("created"),
					                  cf_time_jv((int64_t)t * 1000));
			}
			out = jv_array_append(out, m);
			jv_free(x);
		}
	jv_free(list);
	if (p == &cf_prov_anthropic && cf_jbool(d, "has_more") && cf_jstr_or_null(d, "last_id"))
		*next = jv_string(cf_jstr(d, "last_id"));
	else if (gem && cf_jstr_or_null(d, "nextPageToken") && *cf_jstr(d, "nextPageToken"))
		*next = jv_string(cf_jstr(d, "nextPageToken"));
	return out;
}

/* Every page of a provider's list, or an error (or, probing, nothing).
 * A list that does not end (a page token seen before, more pages than
 * MAX_PAGES, a token too long to send) is what came, with *note saying
 * so and *cut set, so that it is not cached as the whole list. */
static jv
fetch(const char *name, const struct cf_provider *p, const char *key,
      const char *base, int probe, jv *note, int *cut)
{
	const char *path = p == &cf_prov_anthropic ? "/v1/models?limit=1000" :
	                   p == &cf_prov_gemini ? "/v1beta/models?pageSize=1000" :
	                   p == &cf_prov_ollama ? "/api/tags" : "/models";
	const char *more = p == &cf_prov_anthropic ? "&after_id=" : "&pageToken=";
	char url[4096], tok[1024];
	cf_base_url(base, path, url, sizeof url);
	size_t at = strlen(url), room = MAX_BODY;
	jv out = jv_array(), seen = jv_object();
	char why[64] = "";
	*cut = 0;
	for (int n = 0;; n++) {
		jv d = get(name, p, key, url, probe && !n, &room);
		if (!jv_is_valid(d)) {
			jv_free(out);
			jv_free(seen);
			return d;
		}
		jv next;
		out = page(p, d, out, &next);
		jv_free(d);
		if (jv_get_kind(next) != JV_KIND_STRING)
			break;
		const char *t = jv_string_value(next);
		jv was = jv_object_get(jv_copy(seen), jv_copy(next));
		int again = jv_is_valid(was);
		jv_free(was);
		if (again)
			snprintf(why, sizeof why, "a page token came again");
		else if (n + 1 >= MAX_PAGES)
			snprintf(why, sizeof why, "more than %d pages", MAX_PAGES);
		else if (strlen(t) * 3 + at + strlen(more) + 1 > sizeof url ||
		         strlen(t) * 3 + 1 > sizeof tok)
			snprintf(why, sizeof why, "a page token is too long");
		if (*why) {
			jv_free(next);
			break;
		}
		qenc(t, tok, sizeof tok);
		snprintf(url + at, sizeof url - at, "%s%s", more, tok);
		seen = jv_object_set(seen, next, jv_true());
	}
	jv_free(seen);
	if (*why) {
		/* a page that came again lists its models again */
		jv once = jv_array(), ids = jv_object();
		jv_array_foreach(out, i, m) {
			jv id = jv_object_get(jv_copy(m), jv_string("model"));
			jv was = jv_object_get(jv_copy(ids), jv_copy(id));
			if (jv_is_valid(was)) {
				jv_free(m);
				jv_free(id);
			} else {
				ids = jv_object_set(ids, id, jv_true());
				once = jv_array_append(once, m);
			}
			jv_free(was);
		}
		jv_free(ids);
		jv_free(out);
		out = once;
		*cut = 1;
		if (jv_get_kind(*note) != JV_KIND_STRING)
			*note = jv_string_fmt("%s: the models list does not end (%s): what came "
			                      "is shown, not cached", name, why);
	}
	return out;
}

/* ---- the cache ---- */

static void
cache_path(const char *name, char *buf, size_t n, int dir_only)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[2048];
	if (x && *x == '/')
		snprintf(dir, sizeof dir, "%s/confab/models", x);
	else
		snprintf(dir, sizeof dir, "%s/.cache/confab/models", home && *home ? home : "/tmp");
	if (dir_only) {
		snprintf(buf, n, "%s", dir);
		return;
	}
	/* a config section's name is letters, digits, - _ and .; no folder */
	char safe[256];
	size_t k = 0;
	for (; *name && k + 1 < sizeof safe; name++)
		safe[k++] = *name == '/' ? '_' : *name;
	safe[k] = '\0';
	snprintf(buf, n, "%s/%s.json", dir, !strcmp(safe, ".") || !strcmp(safe, "..") ? "_" : safe);
}

/* The base URL as the cache names it: without a user and password
 * (http://user:pass@host/), which are as secret as a key. */
static char *
base_plain(const char *base)
{
	const char *a = strstr(base, "://");
	a = a ? a + 3 : base;
	size_t n = strcspn(a, "/?#");
	const char *at = memrchr(a, '@', n);
	char *r = cf_xmalloc(strlen(base) + 1);
	size_t k = (size_t)(a - base);
	memcpy(r, base, k);
	strcpy(r + k, at ? at + 1 : a);
	return r;
}

/* The cached list when it is of this base URL: its models, and how old
 * the file is in *age (seconds); jv_invalid() when there is none. */
static jv
cache_read(const char *name, const char *base, double *age)
{
	char path[2400];
	cache_path(name, path, sizeof path, 0);
	struct stat sb;
	/* not blocking: a FIFO put there would wait for a writer forever */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return jv_invalid();
	size_t len;
	char *s = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? cf_read_all(fd, &len) : NULL;
	close(fd);
	if (!s)
		return jv_invalid();
	jv d = jv_parse_sized(s, (int)len);
	free(s);
	jv models = jv_invalid();
	char *plain = base_plain(base);
	if (jv_get_kind(d) == JV_KIND_OBJECT && !strcmp(cf_jstr(d, "baseUrl"), plain)) {
		models = jv_object_get(jv_copy(d), jv_string("models"));
		if (jv_get_kind(models) != JV_KIND_ARRAY) {
			jv_free(models);
			models = jv_invalid();
		}
	}
	free(plain);
	jv_free(d);
	*age = difftime(time(NULL), sb.st_mtime);
	return models;
}

static int
mkdirs(const char *dir)
{
	char p[2048];
	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Whole or not at all: a temporary file beside it, renamed over it.  A
 * cache that cannot be written costs the next run a request, nothing
 * more, so its failure is a note. */
static void
cache_write(const char *name, const char *base, jv models, jv *note)
{
	char dir[2048], path[2400], tmp[2500];
	cache_path(name, dir, sizeof dir, 1);
	cache_path(name, path, sizeof path, 0);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	jv d = jv_object();
	d = jv_object_set(d, jv_string("provider"), jv_string(name));
	char *plain = base_plain(base);
	d = jv_object_set(d, jv_string("baseUrl"), jv_string(plain));
	free(plain);
	d = jv_object_set(d, jv_string("fetchedAt"), cf_time_jv(cf_now_ms()));
	d = jv_object_set(d, jv_string("models"), jv_copy(models));
	size_t len;
	const char *j = cf_json_compact(d, &len);
	int fd = mkdirs(dir) ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, j, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) == 0)
		return;
	int e = errno;
	if (fd >= 0)
		unlink(tmp);
	if (jv_get_kind(*note) != JV_KIND_STRING)
		*note = jv_string_fmt("%s: the list is not cached: %s: %s", name, path, strerror(e));
}

/* ---- the records ---- */

static jv
records(const char *name, jv models, int cached)
{
	jv out = jv_array();
	jv_array_foreach(models, i, m) {
		/* a cache file edited or cut may hold anything: a model is an
		 * object with its id, and its provider is the one asked */
		if (jv_get_kind(m) != JV_KIND_OBJECT || !cf_jstr_or_null(m, "model")) {
			jv_free(m);
			continue;
		}
		jv r = jv_object_set(jv_object(), jv_string("provider"), jv_string(name));
		jv_object_foreach(m, k, v) {
			const char *f = jv_string_value(k);
			if (strcmp(f, "provider") && strcmp(f, "prices") && strcmp(f, "cached")) {
				r = jv_object_set(r, k, v);
			} else {
				jv_free(k);
				jv_free(v);
			}
		}
		r = jv_object_set(r, jv_string("prices"), cf_price_entry(cf_jstr(r, "model")));
		r = jv_object_set(r, jv_string("cached"), jv_bool(cached));
		out = jv_array_append(out, r);
		jv_free(m);
	}
	jv_free(models);
	return out;
}

jv
cf_models_list(const char *name, int refresh, int probe, jv *note)
{
	*note = jv_null();
	jv chain = jv_array_append(jv_array(), jv_object_set(jv_object(),
	                            jv_string("provider"), jv_string(name)));
	jv ok = cf_send_check(chain);   /* unknown (2), no key (9): as chat-send */
	jv_free(chain);
	if (!jv_is_valid(ok))
		return ok;
	jv_free(ok);
	const struct cf_provider *p = cf_provider_find(name);
	if (p->local) {
		/* echo answers from here: its one model */
		jv m = jv_object_set(jv_object(), jv_string("model"),
		                     jv_string(cf_provider_model(name, p)));
		return records(name, jv_array_append(jv_array(), m), 0);
	}
	const char *key = cf_provider_key(name, p, &(const char *){NULL});
	const char *base = cf_provider_base(name, p);
	double age = 0;
	jv cached = cache_read(name, base, &age);
	if (jv_is_valid(cached) && !refresh && age >= 0 && age < TTL_SECONDS)
		return records(name, cached, 1);
	int cut;
	jv got = fetch(name, p, key, base, probe, note, &cut);
	if (jv_is_valid(got)) {
		jv_free(cached);
		if (!cut)
			cache_write(name, base, got, note);
		return records(name, got, 0);
	}
	if (!cf_is_error(got) || !jv_is_valid(cached)) {
		jv_free(cached);
		return got;   /* not there (probing), or an error with no list to fall back on */
	}
	jv m = cf_error_message(got);
	char when[64];
	long h = (long)(age / 3600);
	if (h >= 48)
		snprintf(when, sizeof when, "%ld days", h / 24);
	else if (h >= 1)
		snprintf(when, sizeof when, "%ld h", h);
	else
		snprintf(when, sizeof when, "%ld min", (long)(age / 60));
	*note = jv_string_fmt("%s; the cached list of %s ago is shown", jv_string_value(m), when);
	jv_free(m);
	jv_free(got);
	return records(name, cached, 1);
}

static jv
one(const char *name, int probe)
{
	jv o = jv_object_set(jv_object(), jv_string("name"), jv_string(name));
	return jv_object_set(o, jv_string("probe"), jv_bool(probe));
}

jv
cf_models_providers(void)
{
	jv out = jv_array();
	static const char *const remote[] = {"anthropic", "openai", "gemini"};
	jv secs = cf_config_sections();
	for (size_t i = 0; i < sizeof remote / sizeof *remote; i++) {
		const struct cf_provider *p = cf_provider_find(remote[i]);
		const char *var;
		int named = 0;
		jv_array_foreach(secs, k, s) {
			named |= !strcmp(jv_string_value(s), remote[i]);
			jv_free(s);
		}
		if (named || cf_provider_key(remote[i], p, &var))
			out = jv_array_append(out, one(remote[i], 0));
	}
	/* Ollama named somewhere is asked; else only when it answers */
	int ollama = getenv("OLLAMA_HOST") && *getenv("OLLAMA_HOST");
	jv_array_foreach(secs, k, s) {
		const char *n = jv_string_value(s);
		char tk[300];
		snprintf(tk, sizeof tk, "%s.type", n);
		if (!strcmp(n, "ollama"))
			ollama = 1;
		else if (cf_config_get(tk))
			out = jv_array_append(out, one(n, 0));
		jv_free(s);
	}
	jv_free(secs);
	out = jv_array_append(out, one("ollama", !ollama));
	return out;
}

/* ---- for people ---- */

void
cf_models_table(jv list)
{
	int n = jv_array_length(jv_copy(list));
	int wp = 8, wm = 5;
	if (!n)
		return;   /* the errors said why */
	char (*prov)[64] = cf_xmalloc(sizeof *prov * (size_t)(n ? n : 1));
	char (*model)[200] = cf_xmalloc(sizeof *model * (size_t)(n ? n : 1));
	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(list), i);
		cf_clean(cf_jstr(r, "provider"), prov[i], sizeof prov[i], 20, 0);
		cf_clean(cf_jstr(r, "model"), model[i], sizeof model[i], 60, 0);
		if (cf_width(prov[i]) > wp) wp = cf_width(prov[i]);
		if (cf_width(model[i]) > wm) wm = cf_width(model[i]);
		jv_free(r);
	}
	printf("%s", cf_c(CF_BOLD));
	cf_pad("PROVIDER", wp + 2, 0);
	cf_pad("MODEL", wm + 2, 0);
	printf("%9s  %9s  %9s  %s%s\n", "CONTEXT", "INPUT $/M", "OUTPUT", "CREATED",
	       cf_c(CF_RESET));
	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(list), i);
		cf_pad(prov[i], wp + 2, 0);
		cf_pad(model[i], wm + 2, 0);
		double cw = cf_jnum(r, "contextWindow", -1);
		char ctx[32] = "-", in[32] = "-", out[32] = "-", made[32] = "-";
		if (cw >= 1000000)
			snprintf(ctx, sizeof ctx, "%.3gM", cw / 1000000);
		else if (cw >= 1000)
			snprintf(ctx, sizeof ctx, "%ldk", (long)(cw / 1000));
		else if (cw >= 0)
			snprintf(ctx, sizeof ctx, "%ld", (long)cw);
		jv pr = jv_object_get(jv_copy(r), jv_string("prices"));
		if (jv_get_kind(pr) == JV_KIND_OBJECT) {
			snprintf(in, sizeof in, "%g", cf_jnum(pr, "input", 0));
			snprintf(out, sizeof out, "%g", cf_jnum(pr, "output", 0));
		}
		jv_free(pr);
		const char *c = cf_jstr_or_null(r, "created");
		if (!c)
			c = cf_jstr_or_null(r, "modified");
		if (c) {
			char day[16];
			snprintf(day, sizeof day, "%.10s", c);
			cf_clean(day, made, sizeof made, 0, 0);
		}
		printf("%9s  %9s  %9s  %s\n", ctx, in, out, made);
		jv_free(r);
	}
	free(prov);
	free(model);
}
