/* provider.h — talking to models: the wire protocols (prov_*.c), one
 * HTTP call (call.c), the chain of providers with its retries (send.c),
 * and the parsers for streamed replies (stream.c).  What a program needs
 * of a provider by name (is it known, the list for messages) is in
 * confab.h; this is for the library's files that speak to one, and for a
 * program or test that drives a call itself.
 *
 * Ownership as in confab.h. */
#ifndef CONFAB_PROVIDER_H
#define CONFAB_PROVIDER_H

#include "confab.h"

struct curl_slist;

/* ---- provider.c, call.c, prov_*.c: talking to models ---- */

typedef struct cf_call cf_call;

/* One wire protocol.  The tables live in prov_*.c; call.c does the HTTP. */
struct cf_provider {
	const char *name;
	const char *key_env[3];     /* variables a key is read from, in order */
	const char *base_env;       /* variable a base URL is read from */
	const char *base_default;
	const char *model_default;
	int ndjson;                 /* streamed as JSON lines, not SSE */
	/* The request: URL, headers (key included), body. */
	void (*url)(cf_call *c, char *buf, size_t n);
	struct curl_slist *(*headers)(cf_call *c, struct curl_slist *h);
	jv (*body)(cf_call *c);
	/* The body (consumed) with c->options and c->schema put where the
	 * protocol takes them (options.c's cf_options_place, and the
	 * protocol's own way to shape a reply); the new body.  NULL: none
	 * taken.  Called by call.c after body. */
	jv (*options)(cf_call *c, jv body);
	/* One streamed event or line: text goes to cf_call_text, usage and
	 * model into c->r.  Returns 0, or CF_CALL_EVENT when the provider
	 * sent an error (c->r.error set). */
	int (*event)(cf_call *c, const char *event, const char *data, size_t n);
	/* A whole reply body, for --no-stream. */
	int (*whole)(cf_call *c, const char *body, size_t n);
	/* The provider's own message from an error body, or jv_null(). */
	jv (*errmsg)(const char *body, size_t n);
	/* Set for providers that answer without a network (echo). */
	int (*local)(cf_call *c);
	/* The tools offered to the model ([{name, description,
	 * input_schema}], name as it goes on the wire; consumed) added to
	 * body (consumed) in the protocol's form.  NULL: it takes none. */
	jv (*tools)(cf_call *c, jv body, jv tools);
};

extern const struct cf_provider cf_prov_anthropic, cf_prov_openai,
	cf_prov_gemini, cf_prov_ollama, cf_prov_echo, cf_prov_openai_responses;

/* How a call ended. */
enum {
	CF_CALL_OK = 0,
	CF_CALL_HTTP,       /* an HTTP error status (c->status, c->r.error) */
	CF_CALL_NET,        /* no connection, or it broke */
	CF_CALL_TIMEOUT,    /* no byte for the idle timeout */
	CF_CALL_EVENT,      /* an error event inside the stream */
	CF_CALL_MALFORMED,  /* a reply we could not read */
	CF_CALL_INTR,       /* a signal asked us to stop */
};

struct cf_reply {
	char *buf;          /* the reply so far: valid UTF-8, not NUL-ended */
	size_t len, cap;
	jv model;           /* the model the provider says answered, or null */
	long in_tokens, out_tokens;   /* -1: not reported */
	int out_early;      /* out_tokens is the stream's first figure (Anthropic's
	                     * message_start says 1), not the reply's count */
	jv stop;            /* the stop reason, or null */
	jv error;           /* the provider's error message, or null */
	/* Typed parts (parts.c): null until a non-text part arrives, so a
	 * text-only reply builds none; then the parts in order, text parts
	 * cut from buf.  Whole once cf_call_run returns. */
	jv parts;
	jv usage;           /* the provider's usage object, merged over a stream, or null */
	long cache_read, cache_write_5m, cache_write_1h, reasoning_tokens;   /* -1: not reported */
	/* parts.c's own: the part begun last and not ended (null: none), where
	 * its text began in buf, and how much of buf is in parts already */
	jv part_open;
	size_t part_from, text_cut;
};

struct cf_call {
	const struct cf_provider *p;
	const char *name;           /* as configured: "groq" for a named server */
	const char *model, *system, *key, *base;
	jv messages;                /* [{role, content, images: [{mimeType, data}]}] */
	double temperature;
	int has_temperature;
	long max_tokens;
	int stream;
	long timeout;               /* seconds without a byte before giving up */
	jv options, schema;         /* -o's object and --schema's schema, or
	                             * anything else for none; borrowed */
	/* the reply, as it arrives */
	struct cf_reply r;
	long status;                /* HTTP status */
	double retry_after;         /* seconds, -1: none given */
	char neterr[256];           /* libcurl's words for a network failure */
	void (*on_text)(cf_call *c, const char *s, size_t n);
	/* After each piece of the wire is handled (every delta in it passed
	 * to on_text): the moment to flush.  NULL: none. */
	void (*on_flush)(cf_call *c);
	/* Now and then while the call runs, data or not (libcurl's progress
	 * callback): the moment to save what has arrived.  NULL: none. */
	void (*on_tick)(cf_call *c);
	void *ctx;
	int malformed;              /* events skipped as unreadable */
	int done;                   /* the provider said the reply is whole */
	jv tools;                   /* offered to the model (see struct
	                             * cf_provider's tools), or jv_null() */
	int json_array;             /* the stream is one JSON array (Gemini
	                             * without alt=sse), not SSE */
};


/* Decodes the JSON string that starts at s (after its opening quote) into
 * *buf (grown as needed, *cap bytes): returns the byte after its closing
 * quote and sets *len, or NULL for anything but a plain, valid string. */
const char *cf_json_unquote(const char *s, const char *end, char **buf,
                            size_t *cap, size_t *len);

/* Runs the call, streaming or whole; returns a CF_CALL_* outcome.  The
 * reply (text, usage, model) is in c->r whatever the outcome. */
int cf_call_run(cf_call *c);
void cf_call_init(cf_call *c);
void cf_call_release(cf_call *c);
/* Appends reply text and passes it to on_text. */
void cf_call_text(cf_call *c, const char *s, size_t n);
/* For a parser that decodes straight into the reply: room for n more
 * bytes at the reply's end (valid until the next call), then
 * cf_call_took for the n bytes it wrote there, as cf_call_text would. */
char *cf_call_room(cf_call *c, size_t n);
void cf_call_took(cf_call *c, size_t n);
/* Sets c->r.error (and the outcome) from a string. */
int cf_call_error(cf_call *c, int outcome, const char *msg);

/* ---- parts.c: a reply's typed parts (thinking, tool calls, ...) ----
 * Reply text still goes through cf_call_text into c->r.buf; these say
 * where a part that is not plain text starts.  The first one makes
 * c->r.parts an array, with the text that came before it as a text part;
 * text arriving after a part is begun comes after it.  A part gets
 * "provider" (c->p->name) when it has none, so what is protocol-specific
 * (signatures) goes back only there.
 *
 * A part of type "text" begun explicitly takes the text that arrives
 * until it is ended (one Anthropic text block, so its citations stay
 * with it); its "text" is set when it ends. */
/* A part starts (consumed); the one still open is ended first. */
void cf_call_part_begin(cf_call *c, jv part);
/* Appends n bytes to a string field of the part begun last (created
 * when absent).  No part open: nothing. */
void cf_call_part_append(cf_call *c, const char *field, const char *s, size_t n);
/* Sets a field of the part begun last (v consumed). */
void cf_call_part_set(cf_call *c, const char *field, jv v);
/* Appends v (consumed) to an array field of the part begun last, e.g.
 * a text block's citations. */
void cf_call_part_push(cf_call *c, const char *field, jv v);
/* Ends the open part: a string field "inputJson" (a tool call's streamed
 * arguments) is parsed into "input" ("" is {}) and dropped; when it does
 * not parse (a cut stream) it stays beside "input": {}. */
void cf_call_part_end(cf_call *c);
/* Ends the open part and cuts the text after the last part from buf:
 * c->r.parts is then whole.  cf_call_run calls it whatever the outcome;
 * calling it again adds only what arrived since. */
void cf_call_parts_finish(cf_call *c);
/* Drops the parts, usage and counters of a reply (a retry starts afresh). */
void cf_call_parts_reset(cf_call *c);
/* Merges a provider's usage object (consumed; not an object: ignored)
 * over c->r.usage, key by key. */
void cf_call_usage(cf_call *c, jv u);

/* Helpers for the prov_*.c files.  cf_event_json parses one event's data,
 * counting it in c->malformed (and returning jv_invalid()) when it is not
 * a JSON object (cf_jpath, in confab.h, reads what it holds).  cf_base_url
 * joins a base URL (a scheme added when missing, a trailing slash dropped)
 * and a path into buf. */
CF_MUST jv cf_event_json(cf_call *c, const char *data, size_t n);
/* For protocols whose streamed chunks and whole replies have one shape:
 * parses data (an unreadable event is counted and skipped; an unreadable
 * whole reply is CF_CALL_MALFORMED) and hands the object to fn.  A whole
 * reply is done once handled. */
int cf_event_with(cf_call *c, const char *data, size_t n,
                  int (*fn)(cf_call *c, jv d));
int cf_whole_with(cf_call *c, const char *body, size_t n,
                  int (*fn)(cf_call *c, jv d));
/* Replaces *slot with v when v is a string; frees v otherwise.  (A field
 * a chunk does not carry leaves what an earlier chunk said.) */
void cf_keep_str(jv *slot, jv v);
/* "message (kind)" from two dotted paths of d (borrowed), the message
 * alone, or jv_null() when there is no message. */
CF_MUST jv cf_error_text(jv d, const char *msg, const char *kind);
void cf_base_url(const char *base, const char *path, char *buf, size_t n);
/* Roles a provider wants: system messages folded into the system prompt
 * and consecutive messages of one role joined, for the protocols that
 * insist on user/assistant turns.  Returns a new array; *system gets the
 * prompt to send (new reference, string or null). */
CF_MUST jv cf_turns(cf_call *c, jv *system);
/* The tools ([{name, description, input_schema}], consumed) as Chat
 * Completions and Ollama take them: [{type: function, function: {name,
 * description, parameters}}] (prov_openai.c). */
CF_MUST jv cf_tools_as_functions(jv list);
/* The typed parts of a context message m (borrowed) to send to c's
 * protocol: those another protocol made lose what only it can read
 * (thinking, signatures, citations, its server tools), tool calls and
 * results kept; "provider" taken off.  jv_null() when m has no parts:
 * its content is what it says. */
CF_MUST jv cf_wire_parts(cf_call *c, jv m);

/* The protocol behind a provider name: a built-in, or a config section
 * [NAME] with type = anthropic|openai|openai-responses|gemini|ollama.
 * NULL: unknown. */
const struct cf_provider *cf_provider_find(const char *name);
/* The key for a provider: its variables, then the config's api-key.
 * Sets *var to what was looked for (for messages).  NULL: none. */
const char *cf_provider_key(const char *name, const struct cf_provider *p,
                            const char **var);
/* The base URL: the config's base-url, its variable, or the default. */
const char *cf_provider_base(const char *name, const struct cf_provider *p);
/* The default model: the config's [NAME] model, or the built-in one. */
const char *cf_provider_model(const char *name, const struct cf_provider *p);
/* How a provider's reply streams, from its section's stream-format: 0 for
 * the protocol's own way (SSE, or JSON lines), 1 for json-array (Gemini
 * only), -1 for a value that is neither (a config error). */
int cf_provider_json_array(const char *name, const struct cf_provider *p);
/* No provider named anywhere: the config's default, the first whose key is
 * in the environment, Ollama if it answers; NULL when none. */
const char *cf_provider_choose(void);

/* ---- send.c: a request with retries and fallbacks ---- */

struct cf_send {
	/* what to send */
	jv chain;            /* [{provider, model}]: the first, then fallbacks */
	jv messages;         /* as in cf_call; borrowed */
	const char *system;
	double temperature;
	int has_temperature;
	long max_tokens;
	int stream;
	long timeout;        /* idle seconds */
	jv options, schema;  /* as in cf_call; borrowed */
	long retries;        /* tries after the first, per provider */
	double retry_time;   /* seconds all retries of one provider may take */
	void (*on_text)(cf_call *c, const char *s, size_t n);
	void (*on_flush)(cf_call *c);
	void (*on_tick)(cf_call *c);
	/* Retries, fallbacks skipped or taken: one line for people, no
	 * program name.  NULL: cf_warn. */
	void (*on_note)(void *ctx, const char *line);
	void *ctx;
	jv tools;            /* the tools offered, as cf_call's; borrowed
	                      * (jv_null() or unset: none) */
	/* what came of it */
	cf_call call;        /* the last attempt: its reply and outcome */
	int outcome;         /* CF_CALL_* */
	int exit;            /* CF_EX_* for that outcome */
	char error[1024];    /* one line for stderr, key-free; "" when fine */
	char provider[64];   /* who answered (or failed last) */
	char model[256];
	int fallbacks;       /* how many times the chain moved on */
	long elapsed_ms;
};
/* s (n bytes) with the key taken out, each stretch of it "[redacted]":
 * the key whole, as it is or percent-encoded (%XX in either case); for a
 * key of 8 bytes or more any run of 8 or more bytes of it too; and a start
 * of it of 4 bytes or more at a word's end, where a provider cut it.  A
 * key shorter than 4 bytes is taken out nowhere.  Returns a new string for
 * free(), NUL-ended; its length in *len when len is not NULL. */
char *cf_redact(const char *s, size_t n, const char *key, size_t *len);
/* Runs the chain: each provider with its retries (429, 5xx, 529 and
 * connection failures before the first byte, with backoff, jitter and
 * Retry-After), the next provider when one fails; never again once reply
 * text has been passed on. */
int cf_send_run(struct cf_send *s);
/* Checks the chain's first provider and its key without sending:
 * jv_true(), or an error value (CF_EX_USAGE for an unknown provider,
 * CF_EX_AUTH for a missing key) when it cannot be used.  A fallback
 * without a key is skipped, with a note, when its turn comes.  Keys are
 * needed by the real services only: a provider pointed at another
 * address may take none.  Borrows chain. */
CF_MUST jv cf_send_check(jv chain);

/* ---- stream.c: incremental parsers for streamed replies ---- */

/* Server-sent events (the WHATWG event-stream format): bytes go in with
 * any chunking, one byte at a time gives the same events.  Lines end with
 * CRLF, LF or CR; "data:" lines of one event are joined with "\n"; lines
 * starting with ":" are comments; unknown fields are ignored; a leading BOM
 * is skipped.  cb gets the event's type ("message" when none was given) and
 * its data (NUL-terminated, len bytes); a nonzero return stops the parser
 * and is returned by cf_sse_feed. */
typedef int (*cf_sse_cb)(const char *event, const char *data, size_t len,
                         void *ctx);
typedef struct cf_sse cf_sse;
cf_sse *cf_sse_new(cf_sse_cb cb, void *ctx);
int cf_sse_feed(cf_sse *p, const char *buf, size_t n);
/* End of the stream: an event without its closing blank line is dropped,
 * as the format says.  Returns 1 when bytes of one were pending. */
int cf_sse_finish(cf_sse *p);
void cf_sse_free(cf_sse *p);

/* Lines (NDJSON): cb gets each line without its LF or CRLF, NUL-terminated;
 * empty lines are skipped.  cf_lines_finish delivers a last line that had
 * no newline. */
typedef int (*cf_lines_cb)(const char *line, size_t len, void *ctx);
typedef struct cf_lines cf_lines;
cf_lines *cf_lines_new(cf_lines_cb cb, void *ctx);
int cf_lines_feed(cf_lines *p, const char *buf, size_t n);
int cf_lines_finish(cf_lines *p);
void cf_lines_free(cf_lines *p);

/* ---- options.c: provider options in a request (-o, --schema) ---- */

/* The tool Anthropic is made to call for --schema: its input is the reply. */
#define CF_REPLY_TOOL "respond"

/* opts (borrowed; an object from cf_options_apply) merged into body
 * (consumed), each key at the top when inner is NULL or the key is one of
 * top (NULL-ended, or NULL), else inside body's object inner (made when
 * missing); objects on both sides are merged, anything else replaced.
 * The new body. */
CF_MUST jv cf_options_place(jv body, jv opts, const char *const *top,
                            const char *inner);
/* One JSON array streamed an element at a time (Gemini's
 * streamGenerateContent without alt=sse): cb gets each element of the
 * top-level array once its last byte is in, NUL-terminated, without the
 * white space and commas around it, whatever the chunking.  Only the
 * structure is followed (depth, strings, escapes): an element that is not
 * valid JSON reaches cb all the same.  A stream that is one object instead
 * of an array gives that object.  Bytes after the closing ] are ignored.
 * cf_jsonarray_finish returns cb's stop code, else 1 when an element was
 * cut short (it is dropped), else 0. */
typedef int (*cf_jsonarray_cb)(const char *elem, size_t len, void *ctx);
typedef struct cf_jsonarray cf_jsonarray;
cf_jsonarray *cf_jsonarray_new(cf_jsonarray_cb cb, void *ctx);
int cf_jsonarray_feed(cf_jsonarray *p, const char *buf, size_t n);
int cf_jsonarray_finish(cf_jsonarray *p);
void cf_jsonarray_free(cf_jsonarray *p);

#endif
