/* call.c — one request to a provider over HTTP with libcurl: the reply is
 * parsed as the bytes arrive (SSE or JSON lines) and passed on a piece at a
 * time; signals, idle timeouts and cut connections end it with what had
 * arrived kept in c->r. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider.h"

volatile int cf_interrupted;

#define ERRBODY_MAX (64 * 1024)

struct state {
	cf_call *c;
	int pend;      /* text arrived that on_flush has not pushed out yet */
	size_t flushed;   /* the reply's length at the last flush */
	CURL *curl;
	cf_sse *sse;
	cf_lines *lines;
	cf_jsonarray *array;
	jv body;        /* a whole reply, or an error body */
	int outcome;    /* set by a callback that stopped the transfer */
	double last;    /* when a byte last went or came (monotonic seconds) */
	curl_off_t dl, ul;
};

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
cf_call_init(cf_call *c)
{
	memset(c, 0, sizeof *c);
	c->messages = jv_array();
	c->timeout = 120;
	c->max_tokens = 4096;
	c->retry_after = -1;
	c->r.model = jv_null();
	c->r.stop = jv_null();
	c->r.error = jv_null();
	c->r.in_tokens = c->r.out_tokens = -1;
	c->tools = jv_null();
	c->options = c->schema = jv_null();
	c->r.parts = c->r.usage = c->r.part_open = jv_null();
	c->r.cache_read = c->r.cache_write_5m = c->r.cache_write_1h =
		c->r.reasoning_tokens = -1;
}

void
cf_call_release(cf_call *c)
{
	jv_free(c->messages);
	free(c->r.buf);
	c->r.buf = NULL;
	c->r.len = c->r.cap = 0;
	jv_free(c->r.model);
	jv_free(c->r.stop);
	jv_free(c->r.error);
	c->messages = c->r.model = c->r.stop = c->r.error = jv_null();
	jv_free(c->tools);
	c->tools = jv_null();
	cf_call_parts_reset(c);
}

char *
cf_call_room(cf_call *c, size_t n)
{
	/* A byte buffer, not a jv string: jv_string_append_buf checks the
	 * whole piece as UTF-8 again (the parsers did), ~30 instructions a
	 * byte.  Large blocks grow by mremap, without a copy. */
	if (c->r.len + n > c->r.cap) {
		size_t cap = c->r.cap ? c->r.cap : 4096;
		while (cap < c->r.len + n)
			cap *= 2;
		c->r.buf = cf_xrealloc(c->r.buf, cap);
		c->r.cap = cap;
	}
	return c->r.buf + c->r.len;
}

void
cf_call_took(cf_call *c, size_t n)
{
	if (!n)
		return;
	const char *s = c->r.buf + c->r.len;
	c->r.len += n;
	if (c->on_text)
		c->on_text(c, s, n);
}

void
cf_call_text(cf_call *c, const char *s, size_t n)
{
	if (!n)
		return;
	memcpy(cf_call_room(c, n), s, n);
	cf_call_took(c, n);
}

int
cf_call_error(cf_call *c, int outcome, const char *msg)
{
	jv_free(c->r.error);
	c->r.error = jv_string(msg);
	return outcome;
}

static int
on_event(const char *event, const char *data, size_t n, void *ctx)
{
	struct state *s = ctx;
	return s->c->p->event(s->c, event, data, n);
}

static int
on_line(const char *line, size_t n, void *ctx)
{
	struct state *s = ctx;
	return s->c->p->event(s->c, "message", line, n);
}

static int
on_elem(const char *elem, size_t n, void *ctx)
{
	struct state *s = ctx;
	return s->c->p->event(s->c, "message", elem, n);
}

/* While more has come, curl reads on (up to 100 reads) before its
 * progress call: a fast reply's text also goes out each time this much
 * has come, half a pipe's default 64 KiB, so that the reader drains one
 * write while the next is read (to its last byte: 450 MB/s without, 590
 * with, curl -N 640). */
#define FLUSH_EARLY ((size_t)32 * 1024)

static void
flush(struct state *s)
{
	s->pend = 0;
	s->flushed = s->c->r.len;
	if (s->c->on_flush)
		s->c->on_flush(s->c);
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct state *s = ud;
	cf_call *c = s->c;
	size_t n = size * nmemb;
	if (cf_interrupted) {
		s->outcome = CF_CALL_INTR;
		return 0;
	}
	if (!c->status)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status >= 300 || !c->stream) {
		if (jv_string_length_bytes(jv_copy(s->body)) < ERRBODY_MAX ||
		    c->status < 300)
			s->body = jv_string_append_buf(s->body, p, (int)n);
		return n;
	}
	int rc = s->array ? cf_jsonarray_feed(s->array, p, n) :
	         c->p->ndjson ? cf_lines_feed(s->lines, p, n) :
	                        cf_sse_feed(s->sse, p, n);
	/* One flush for all the deltas that arrived together, in on_progress,
	 * which curl calls after each round of reading (transfer.c's
	 * Curl_readwrite), not here: curl hands over a chunked body a chunk at
	 * a time, and a provider sends an event a chunk, so a 10 MB reply
	 * that came in 45 reads was 10,000 writes to stdout; it is about 300
	 * now (FLUSH_EARLY), its last byte out in less than half the time.  A
	 * delta is no later (the bench's delta-to-stdout row). */
	s->pend = 1;
	if (c->r.len - s->flushed >= FLUSH_EARLY)   /* the reply only grows */
		flush(s);
	if (rc) {
		s->outcome = rc;
		return 0;
	}
	return n;
}

/* Retry-After: seconds, or an HTTP date. */
static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct state *s = ud;
	size_t n = size * nmemb;
	s->last = now_s();
	if (n > 12 && !strncasecmp(p, "retry-after:", 12)) {
		char v[128];
		size_t k = n - 12 < sizeof v - 1 ? n - 12 : sizeof v - 1;
		memcpy(v, p + 12, k);
		v[k] = '\0';
		char *end;
		double secs = strtod(v, &end);
		if (end != v && secs >= 0) {
			s->c->retry_after = secs;
		} else {
			time_t t = curl_getdate(v, NULL);
			if (t > 0) {
				double d = difftime(t, time(NULL));
				s->c->retry_after = d > 0 ? d : 0;
			}
		}
	} else if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		s->c->status = 0;          /* a new response: read it afresh */
		s->c->retry_after = -1;
	}
	return n;
}

/* The idle timeout: no byte either way for c->timeout seconds, a wait for
 * the first byte included.  (curl's low-speed check averages over several
 * seconds, so a burst hides a stall after it, and the request's upload a
 * slow first byte.) */
static int
on_progress(void *ud, curl_off_t a, curl_off_t dl, curl_off_t c, curl_off_t ul)
{
	struct state *s = ud;
	(void)a; (void)c;
	if (cf_interrupted)
		return 1;
	if (s->pend)
		flush(s);
	if (s->c->on_tick)
		s->c->on_tick(s->c);
	double now = now_s();
	if (dl != s->dl || ul != s->ul) {
		s->dl = dl;
		s->ul = ul;
		s->last = now;
	} else if (now - s->last >= (double)s->c->timeout) {
		snprintf(s->c->neterr, sizeof s->c->neterr, "no reply for %ld s",
		         s->c->timeout);
		s->outcome = CF_CALL_TIMEOUT;
		return 1;
	}
	return 0;
}

int
cf_call_run(cf_call *c)
{
	if (c->p->local) {
		int rc = c->p->local(c);
		cf_call_parts_finish(c);
		return rc;
	}

	static int inited;
	if (!inited++)
		curl_global_init(CURL_GLOBAL_DEFAULT);

	struct state s = {.c = c, .body = jv_string(""), .flushed = c->r.len};
	char url[2048];
	c->p->url(c, url, sizeof url);
	jv body = c->p->body(c);
	if (c->p->tools && jv_get_kind(c->tools) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(c->tools)))
		body = c->p->tools(c, body, jv_copy(c->tools));
	if (c->p->options)
		body = c->p->options(c, body);
	size_t blen;
	const char *btext = cf_json_compact(body, &blen);
	char *payload = cf_xmalloc(blen + 1);
	memcpy(payload, btext, blen + 1);

	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");   /* no 100-continue round trip */
	h = c->p->headers(c, h);

	s.curl = curl_easy_init();
	if (!s.curl)
		cf_raise(cf_error(CF_EX_FAIL, "cannot start libcurl"));   /* the bridge, for now */
	if (c->json_array)
		s.array = cf_jsonarray_new(on_elem, &s);
	else if (c->p->ndjson)
		s.lines = cf_lines_new(on_line, &s);
	else
		s.sse = cf_sse_new(on_event, &s);
	CURL *k = s.curl;
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "confab/" CF_VERSION);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(k, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_TCP_NODELAY, 1L);
	/* The default 16 KiB read is a callback, a parse pass and a write per
	 * 16 KiB; curl(1) reads 100 KiB at a time.  A read returns whatever
	 * has arrived, so a delta is no later for it. */
	curl_easy_setopt(k, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, c->timeout < 10 ? c->timeout : 10L);
	/* idle timeout: less than one byte a second for that long */
	curl_easy_setopt(k, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(k, CURLOPT_LOW_SPEED_TIME, c->timeout);
	curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");

	s.last = now_s();
	CURLcode rc = curl_easy_perform(k);
	/* the last round's text, where the transfer ended without the progress
	 * call after it (a write error, a cut connection, on_progress's own
	 * abort); a round after tool calls starts afresh */
	if (s.pend)
		flush(&s);
	if (!c->status)
		curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &c->status);

	int outcome = CF_CALL_OK;
	if (s.outcome) {
		outcome = s.outcome;
	} else if (cf_interrupted || rc == CURLE_ABORTED_BY_CALLBACK) {
		outcome = CF_CALL_INTR;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(c->neterr, sizeof c->neterr, "no reply for %ld s",
		         c->timeout);
		outcome = CF_CALL_TIMEOUT;
	} else if (rc != CURLE_OK) {
		snprintf(c->neterr, sizeof c->neterr, "%s",
		         curl_easy_strerror(rc));
		outcome = CF_CALL_NET;
	} else if (c->status >= 300 || c->status < 200) {
		jv m = c->p->errmsg(jv_string_value(s.body),
		                    (size_t)jv_string_length_bytes(jv_copy(s.body)));
		if (jv_get_kind(m) != JV_KIND_STRING) {
			jv_free(m);
			m = jv_string_fmt("HTTP %ld", c->status);
		}
		jv_free(c->r.error);
		c->r.error = m;
		outcome = CF_CALL_HTTP;
	} else if (!c->stream) {
		outcome = c->p->whole(c, jv_string_value(s.body),
		                      (size_t)jv_string_length_bytes(jv_copy(s.body)));
	} else {
		/* the stream ended: a last line without its newline still counts */
		if (s.lines)
			outcome = cf_lines_finish(s.lines);
		else if (s.array)
			cf_jsonarray_finish(s.array);   /* a cut element is lost */
		else
			cf_sse_finish(s.sse);
		if (!outcome && !c->done) {
			snprintf(c->neterr, sizeof c->neterr,
			         "the reply ended before the provider finished it");
			outcome = CF_CALL_NET;
		}
	}
	curl_easy_cleanup(k);
	curl_slist_free_all(h);
	cf_sse_free(s.sse);
	cf_lines_free(s.lines);
	cf_jsonarray_free(s.array);
	jv_free(s.body);
	free(payload);
	cf_call_parts_finish(c);   /* what arrived, interrupted or not */
	return outcome;
}
