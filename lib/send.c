/* send.c — one message to a chain of providers: retries with backoff for
 * the failures that pass, the next provider for the ones that do not, and
 * never a second try once reply text has reached the user. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "provider.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps, but a signal cuts it short (the caller checks cf_interrupted). */
static void
pause_for(double secs)
{
	struct timespec ts = {(time_t)secs, (long)((secs - floor(secs)) * 1e9)};
	nanosleep(&ts, NULL);
}

static double
jitter(void)
{
	unsigned v = 0;
	if (getrandom(&v, sizeof v, 0) != sizeof v)
		v = (unsigned)time(NULL);
	return 0.5 + (v % 1000) / 2000.0;   /* 0.5 .. 1.0 */
}

static int
retryable(cf_call *c, int outcome)
{
	if (c->r.len > 0)
		return 0;   /* the user has seen part of a reply */
	if (outcome == CF_CALL_NET || outcome == CF_CALL_TIMEOUT)
		return 1;
	if (outcome == CF_CALL_HTTP)
		return c->status == 429 || c->status >= 500;
	return 0;
}

static int
exit_for(cf_call *c, int outcome)
{
	switch (outcome) {
	case CF_CALL_OK: return CF_EX_OK;
	case CF_CALL_NET:
	case CF_CALL_TIMEOUT: return CF_EX_NETWORK;
	case CF_CALL_HTTP:
		if (c->status == 401 || c->status == 403)
			return CF_EX_AUTH;
		if (c->status == 429)
			return CF_EX_RATE;
		return CF_EX_PROVIDER;
	case CF_CALL_INTR: return CF_EX_SIGINT;
	default: return CF_EX_PROVIDER;
	}
}

/* ---- the key out of what a provider says ----
 *
 * A provider's error message may quote the key, whole, cut short by the
 * provider ("sk-ant-api03-abc..."), split over lines, or percent-encoded
 * from a URL.  cf_redact takes it out of the whole text, before anything
 * is formatted or cut: a key cut at the end of a buffer leaves nothing
 * whole to find. */

#define REDACTED "[redacted]"
#define RUN 8        /* the shortest piece of a longer key taken out */
#define KEY_MIN 4    /* a shorter key is taken out nowhere */
#define STUB_MIN 4   /* the shortest start of a key taken out at a word's end */

static int
word_byte(unsigned char b)
{
	return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
}

/* The key percent-encoded as a URL's query would have it: every byte but
 * the unreserved ones as %XX, in upper or lower case hex.  NULL when that
 * is the key itself. */
static char *
pct_encode(const char *key, size_t k, int lower)
{
	const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
	char *e = cf_xmalloc(3 * k + 1), *o = e;
	int changed = 0;
	for (size_t i = 0; i < k; i++) {
		unsigned char b = (unsigned char)key[i];
		if (word_byte(b) || b == '-' || b == '.' || b == '_' || b == '~') {
			*o++ = (char)b;
		} else {
			*o++ = '%';
			*o++ = hex[b >> 4];
			*o++ = hex[b & 15];
			changed = 1;
		}
	}
	*o = '\0';
	if (!changed) {
		free(e);
		return NULL;
	}
	return e;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Marks in mark[] the bytes of s that are the key f (fl bytes) or part of
 * it: for a key of RUN bytes or more, every run of RUN bytes or more of
 * it (the whole key among them), found by its RUN-byte windows; for a
 * shorter one, the whole key.  And with stubs, either way, a start of the
 * key of STUB_MIN bytes or more standing as a word's end (the end of s, or
 * a byte not a letter or digit after it, "sk-ant-a..."), as a provider
 * that cuts a key leaves it.  (Not for an encoding: 4 bytes of "%2B%2F"
 * are hardly one character of the key.) */
static void
mark_key(const char *s, size_t n, const char *f, size_t fl, int runs,
         int stubs, unsigned char *mark)
{
	if (runs && fl >= RUN && n >= RUN) {
		size_t nw = fl - RUN + 1, nu = 0;
		uint64_t *w = cf_xmalloc(nw * sizeof *w);
		for (size_t j = 0; j < nw; j++)
			memcpy(&w[j], f + j, RUN);
		qsort(w, nw, sizeof *w, cmp_u64);
		for (size_t j = 0; j < nw; j++)
			if (!nu || w[j] != w[nu - 1])
				w[nu++] = w[j];
		for (size_t i = 0; i + RUN <= n; i++) {
			uint64_t x;
			memcpy(&x, s + i, RUN);
			if (bsearch(&x, w, nu, sizeof *w, cmp_u64))
				memset(mark + i, 1, RUN);
		}
		free(w);
	} else {
		for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), f, fl));
		     p += fl)
			memset(mark + (p - s), 1, fl);
	}
	if (!stubs)
		return;
	/* a stub longer than a run is marked already: looking further than
	 * that would only cost time */
	size_t most = runs && fl >= RUN ? RUN : fl;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != f[0] || (i && word_byte((unsigned char)s[i - 1]) &&
		                     word_byte((unsigned char)f[0])))
			continue;
		size_t l = 0;
		while (l < most && i + l < n && s[i + l] == f[l])
			l++;
		if (l >= STUB_MIN && l < most &&
		    (i + l == n || !word_byte((unsigned char)s[i + l])))
			memset(mark + i, 1, l);
	}
}

char *
cf_redact(const char *s, size_t n, const char *key, size_t *out)
{
	size_t k = key ? strlen(key) : 0;
	if (k < KEY_MIN) {
		char *r = cf_xmalloc(n + 1);
		memcpy(r, s, n);
		r[n] = '\0';
		if (out)
			*out = n;
		return r;
	}
	unsigned char *mark = calloc(n + 1, 1);
	if (!mark)
		abort();   /* out of memory: as cf_xmalloc does */
	/* runs of a short key's encoding would be mostly "%XX": only whole */
	int runs = k >= RUN;
	mark_key(s, n, key, k, runs, 1, mark);
	for (int lower = 0; lower < 2; lower++) {
		char *e = pct_encode(key, k, lower);
		if (e) {
			mark_key(s, n, e, strlen(e), runs, 0, mark);
			free(e);
		}
	}
	/* what is taken out is whole characters: a key is bytes, and may
	 * begin or end inside one */
	for (size_t i = 0; i < n; i++) {
		if (!mark[i])
			continue;
		size_t j = i;
		while (j < n && mark[j])
			j++;
		while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
			mark[--i] = 1;
		while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80)
			mark[j++] = 1;
		i = j;
	}
	/* each stretch of marked bytes, however many pieces, is one word */
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		if (!mark[i])
			len++;
		else if (!i || !mark[i - 1])
			len += sizeof REDACTED - 1;
	char *r = cf_xmalloc(len + 1), *o = r;
	for (size_t i = 0; i < n; i++) {
		if (!mark[i]) {
			*o++ = s[i];
		} else if (!i || !mark[i - 1]) {
			memcpy(o, REDACTED, sizeof REDACTED - 1);
			o += sizeof REDACTED - 1;
		}
	}
	*o = '\0';
	if (out)
		*out = len;
	free(mark);
	return r;
}

/* The error line from the whole text: one line (line breaks, and a NUL a
 * provider sent, are spaces), cut to the buffer on a character boundary;
 * the provider's other control characters (an escape sequence, C1 ones
 * too) are spaces as well, since the line goes to a terminal. */
static void
set_line(struct cf_send *s, const char *line)
{
	size_t n = strlen(line);
	if (n >= sizeof s->error) {
		n = sizeof s->error - 1;
		while (n > 0 && ((unsigned char)line[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(s->error, line, n);
	s->error[n] = '\0';
	for (unsigned char *q = (unsigned char *)s->error; *q; q++) {
		if (*q < 0x20 || *q == 0x7f)
			*q = ' ';
		else if (*q == 0xc2 && q[1] >= 0x80 && q[1] <= 0x9f)
			q[0] = q[1] = ' ';
	}
}

/* A part of the line that came from outside, the key taken out, with a NUL
 * inside it a space, so that what follows it is not lost. */
static char *
outside(const char *t, size_t n, const char *key)
{
	size_t len;
	char *r = cf_redact(t, n, key, &len);
	for (size_t i = 0; i < len; i++)
		if (!r[i])
			r[i] = ' ';
	return r;
}

static void
describe(struct cf_send *s, cf_call *c, int outcome)
{
	char *e = NULL;
	if (jv_get_kind(c->r.error) == JV_KIND_STRING)
		e = outside(jv_string_value(c->r.error),
		            (size_t)jv_string_length_bytes(jv_copy(c->r.error)), c->key);
	/* libcurl's words name no URL today; were they to, the key stays out */
	char *net = outside(c->neterr, strlen(c->neterr), c->key);
	int shown = c->r.len > 0;
	char *line = NULL;
	int rc = 0;
	switch (outcome) {
	case CF_CALL_HTTP:
	{
		/* a body with no message of its own is already "HTTP 404" */
		char code[32];
		snprintf(code, sizeof code, "HTTP %ld", c->status);
		if (e && strstr(e, code))
			rc = asprintf(&line, "%s: %s", c->name, e);
		else
			rc = asprintf(&line, "%s: %s (%s)", c->name,
			              e ? e : "request failed", code);
		break;
	}
	case CF_CALL_NET:
	case CF_CALL_TIMEOUT:
		rc = asprintf(&line, "%s: %s%s", c->name,
		              shown ? "connection lost mid-reply: " : "", net);
		break;
	case CF_CALL_EVENT:
		rc = asprintf(&line, "%s: error in the reply: %s", c->name,
		              e ? e : "unknown");
		break;
	case CF_CALL_MALFORMED:
		rc = asprintf(&line, "%s: %s", c->name, e ? e : "unreadable reply");
		break;
	case CF_CALL_INTR:
		line = cf_xstrdup("interrupted");
		break;
	default:
		line = cf_xstrdup("");
	}
	if (rc < 0)
		abort();   /* out of memory: as cf_xmalloc does */
	set_line(s, line);
	free(line);
	free(net);
	free(e);
}

static void
setup(struct cf_send *s, cf_call *c, const char *name, const char *model)
{
	const struct cf_provider *p = cf_provider_find(name);
	cf_call_init(c);
	jv_free(c->messages);
	c->messages = jv_copy(s->messages);
	c->p = p;
	c->name = name;
	c->model = model && *model ? model : cf_provider_model(name, p);
	const char *var;
	c->key = cf_provider_key(name, p, &var);
	c->base = p->base_default ? cf_provider_base(name, p) : NULL;
	c->system = s->system;
	c->temperature = s->temperature;
	c->has_temperature = s->has_temperature;
	c->max_tokens = s->max_tokens;
	c->stream = s->stream;
	c->json_array = cf_provider_json_array(name, p) == 1;
	c->timeout = s->timeout;
	c->options = s->options;
	c->schema = s->schema;
	c->on_text = s->on_text;
	c->on_flush = s->on_flush;
	c->on_tick = s->on_tick;
	c->ctx = s->ctx;
	if (jv_get_kind(s->tools) == JV_KIND_ARRAY) {
		jv_free(c->tools);
		c->tools = jv_copy(s->tools);
	}
}

/* A key is needed by the real services; a server at another address
 * (Ollama's /v1, llama.cpp, vLLM, a proxy) may take none. */
static const char *
missing_key(const char *name, const struct cf_provider *p)
{
	const char *var;
	if (!p->key_env[0] || cf_provider_key(name, p, &var))
		return NULL;
	if (strcmp(name, p->name) ||
	    strcmp(cf_provider_base(name, p), p->base_default))
		return NULL;
	return var ? var : p->key_env[0];
}

jv
cf_send_check(jv chain)
{
	jv link = jv_array_get(jv_copy(chain), 0);
	const char *name = cf_jstr(link, "provider");
	const struct cf_provider *p = cf_provider_find(name);
	jv err = jv_true();
	const char *var;
	if (!p)
		err = cf_error(CF_EX_USAGE, "unknown provider '%s' (known: %s)", name,
		               cf_provider_list());
	else if ((var = missing_key(name, p)))
		err = cf_error(CF_EX_AUTH, "no API key for %s: set %s, or api-key "
		               "under [%s] in %s", name, var, name, cf_config_path());
	else if (cf_provider_json_array(name, p) < 0)
		err = cf_error(CF_EX_CONFIG, "%s: [%s] stream-format must be sse%s", cf_config_path(),
		               name, p == &cf_prov_gemini ? " or json-array" : "");
	jv_free(link);
	/* a fallback's key is looked for when its turn comes; its name now */
	jv_array_foreach(chain, i, l) {
		if (i && jv_is_valid(err) && !cf_provider_find(cf_jstr(l, "provider"))) {
			jv_free(err);
			err = cf_error(CF_EX_USAGE, "unknown fallback provider '%s' "
			               "(known: %s)", cf_jstr(l, "provider"),
			               cf_provider_list());
		}
		jv_free(l);
	}
	return err;
}

/* Retry and fallback notices: to the caller's on_note, else stderr. */
static void
note(struct cf_send *s, const char *fmt, ...)
{
	char *buf;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (s->on_note)
		s->on_note(s->ctx, buf);
	else
		cf_warn("%s", buf);
	free(buf);
}

int
cf_send_run(struct cf_send *s)
{
	double t0 = now_s();
	int n = jv_array_length(jv_copy(s->chain));
	int outcome = CF_CALL_OK;
	int started = 0;
	/* fallbacks without a key, said with the failure that made them
	 * wanted, not before it */
	char skipped[512] = "";
	for (int i = 0; i < n; i++) {
		jv link = jv_array_get(jv_copy(s->chain), i);
		const char *name = cf_jstr(link, "provider");
		const char *model = cf_jstr_or_null(link, "model");
		if (started) {
			const struct cf_provider *p = cf_provider_find(name);
			const char *var = p ? missing_key(name, p) : "a known provider";
			if (var) {
				size_t at = strlen(skipped);
				snprintf(skipped + at, sizeof skipped - at, "%s%s (no %s)",
				         at ? ", " : "", name, var);
				jv_free(link);
				continue;
			}
			cf_call_release(&s->call);
			s->fallbacks++;
			note(s, "%s; falling back to %s%s%s%s%s%s", s->error, name,
			        model ? ":" : "", model ? model : "",
			        *skipped ? " (skipped " : "", skipped, *skipped ? ")" : "");
			skipped[0] = '\0';
		}
		started = 1;
		setup(s, &s->call, name, model);
		snprintf(s->provider, sizeof s->provider, "%s", name);
		snprintf(s->model, sizeof s->model, "%s", s->call.model);
		double tp = now_s();
		for (long attempt = 0;; attempt++) {
			outcome = cf_call_run(&s->call);
			describe(s, &s->call, outcome);
			if (outcome == CF_CALL_OK || outcome == CF_CALL_INTR ||
			    !retryable(&s->call, outcome) || attempt >= s->retries)
				break;
			double wait = 0.5 * pow(2, (double)attempt) * jitter();
			if (wait > 30)
				wait = 30;
			/* the server's word wins, within the time we were given */
			if (s->call.retry_after >= 0)
				wait = s->call.retry_after;
			if (now_s() - tp + wait > s->retry_time)
				break;
			note(s, "%s; retrying in %.1f s (%ld of %ld)", s->error, wait,
			        attempt + 1, s->retries);
			pause_for(wait);
			if (cf_interrupted) {
				outcome = CF_CALL_INTR;
				describe(s, &s->call, outcome);
				break;
			}
			/* a fresh reply for the next try */
			jv_free(s->call.r.error);
			s->call.r.error = jv_null();
			s->call.status = 0;
			s->call.retry_after = -1;
			s->call.done = 0;
			/* parts and usage a failed try had (thinking before the
			 * cut) are not the next one's */
			cf_call_parts_reset(&s->call);
		}
		jv_free(link);
		/* no fallback for a reply the user has seen part of, nor after
		 * being asked to stop */
		if (outcome == CF_CALL_OK || outcome == CF_CALL_INTR ||
		    s->call.r.len > 0)
			break;
	}
	if (*skipped && outcome != CF_CALL_OK)
		note(s, "%s failed; no fallback tried: skipped %s", s->provider, skipped);
	s->outcome = outcome;
	s->exit = exit_for(&s->call, outcome);
	s->elapsed_ms = (long)((now_s() - t0) * 1000);
	return outcome;
}
