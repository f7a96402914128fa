/* send.c — one message to a chain of providers: retries with backoff for
 * the failures that pass, the next provider for the ones that do not, and
 * never a second try once reply text has reached the user. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "confab.h"

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

/* Whatever a provider said about itself, with the key taken out: some echo
 * part of it back. */
static void
scrub(char *msg, const char *key)
{
	/* copied, so a key inside "[redacted]" cannot match again, and cut
	 * to the buffer, so a short key cannot grow the message past it */
	size_t k = key ? strlen(key) : 0;
	if (k >= 4 && strstr(msg, key)) {
		char buf[sizeof ((struct cf_send *)0)->error];
		size_t o = 0;
		for (const char *q = msg; *q && o < sizeof buf - 1;) {
			if (!strncmp(q, key, k)) {
				size_t m = sizeof buf - 1 - o < 10 ? sizeof buf - 1 - o : 10;
				memcpy(buf + o, "[redacted]", m);
				o += m;
				q += k;
			} else {
				buf[o++] = *q++;
			}
		}
		buf[o] = '\0';
		memcpy(msg, buf, o + 1);
	}
	for (char *q = msg; *q; q++)   /* one line, with or without a key */
		if (*q == '\n' || *q == '\r')
			*q = ' ';
}

static void
describe(struct cf_send *s, cf_call *c, int outcome)
{
	const char *e = jv_get_kind(c->r.error) == JV_KIND_STRING ?
	                jv_string_value(c->r.error) : NULL;
	int shown = c->r.len > 0;
	switch (outcome) {
	case CF_CALL_HTTP:
		snprintf(s->error, sizeof s->error, "%s: %s (HTTP %ld)", c->name,
		         e ? e : "request failed", c->status);
		break;
	case CF_CALL_NET:
	case CF_CALL_TIMEOUT:
		snprintf(s->error, sizeof s->error, "%s: %s%s", c->name,
		         shown ? "connection lost mid-reply: " : "", c->neterr);
		break;
	case CF_CALL_EVENT:
		snprintf(s->error, sizeof s->error, "%s: error in the reply: %s",
		         c->name, e ? e : "unknown");
		break;
	case CF_CALL_MALFORMED:
		snprintf(s->error, sizeof s->error, "%s: %s", c->name,
		         e ? e : "unreadable reply");
		break;
	case CF_CALL_INTR:
		snprintf(s->error, sizeof s->error, "interrupted");
		break;
	default:
		s->error[0] = '\0';
	}
	scrub(s->error, c->key);
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
	c->timeout = s->timeout;
	c->on_text = s->on_text;
	c->on_flush = s->on_flush;
	c->on_tick = s->on_tick;
	c->ctx = s->ctx;
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

void
cf_send_check(jv chain)
{
	jv link = jv_array_get(jv_copy(chain), 0);
	const char *name = cf_jstr(link, "provider");
	const struct cf_provider *p = cf_provider_find(name);
	if (!p)
		cf_usage_die("unknown provider '%s' (known: %s)", name,
		             cf_provider_list());
	const char *var = missing_key(name, p);
	if (var)
		cf_die(CF_EX_AUTH, "no API key for %s: set %s, or api-key under "
		       "[%s] in %s", name, var, name, cf_config_path());
	jv_free(link);
	/* a fallback's key is looked for when its turn comes; its name now */
	jv_array_foreach(chain, i, l) {
		if (i && !cf_provider_find(cf_jstr(l, "provider")))
			cf_usage_die("unknown fallback provider '%s' (known: %s)",
			             cf_jstr(l, "provider"), cf_provider_list());
		jv_free(l);
	}
}

int
cf_send_run(struct cf_send *s)
{
	double t0 = now_s();
	int n = jv_array_length(jv_copy(s->chain));
	int outcome = CF_CALL_OK;
	int started = 0;
	for (int i = 0; i < n; i++) {
		jv link = jv_array_get(jv_copy(s->chain), i);
		const char *name = cf_jstr(link, "provider");
		const char *model = cf_jstr_or_null(link, "model");
		if (started) {
			const struct cf_provider *p = cf_provider_find(name);
			const char *var = p ? missing_key(name, p) : "a known provider";
			if (var) {
				cf_warn("skipping fallback %s: no %s", name, var);
				jv_free(link);
				continue;
			}
			cf_call_release(&s->call);
			s->fallbacks++;
			cf_warn("%s; falling back to %s%s%s", s->error, name,
			        model ? ":" : "", model ? model : "");
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
			cf_warn("%s; retrying in %.1f s (%ld of %ld)", s->error, wait,
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
		}
		jv_free(link);
		/* no fallback for a reply the user has seen part of, nor after
		 * being asked to stop */
		if (outcome == CF_CALL_OK || outcome == CF_CALL_INTR ||
		    s->call.r.len > 0)
			break;
	}
	s->outcome = outcome;
	s->exit = exit_for(&s->call, outcome);
	s->elapsed_ms = (long)((now_s() - t0) * 1000);
	return outcome;
}
