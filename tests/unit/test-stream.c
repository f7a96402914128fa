/* The stream parsers: SSE and lines fed whole, a byte at a time and in
 * random pieces, which must all give the same events; hand-written cases
 * with exact expectations; every recorded provider stream in
 * ../shared/fixtures, checked against facts found without the parser; a
 * 10 MB stream fed a byte at a time, which only a linear parser survives. */
#include <glob.h>
#include <stdint.h>
#include <sys/stat.h>
#include <jq.h>

#include "unit.h"
#include "provider.h"

#define FIXTURES "../shared/fixtures/provider-streams"

struct ev {
	char *type;          /* NULL for lines */
	char *data;
	size_t len;
};

/* What one run delivered. */
struct got {
	struct ev *ev;
	size_t count, cap;
	int count_only;      /* keep nothing but the counts (the big stream) */
	size_t bytes;        /* data bytes delivered */
	size_t stop_at;      /* the callback returns 7 on this event; 0 never */
	int bad;             /* the parser broke its contract */
	int feed_rc, finish_rc;
};

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->count && !g->count_only; i++) {
		free(g->ev[i].type);
		free(g->ev[i].data);
	}
	free(g->ev);
	memset(g, 0, sizeof *g);
}

static int
keep(struct got *g, const char *type, const char *data, size_t len)
{
	if (data[len] != '\0' || (type && !*type))
		g->bad = 1;
	g->bytes += len;
	if (!g->count_only) {
		if (g->count == g->cap) {
			g->cap = g->cap ? 2 * g->cap : 16;
			g->ev = cf_xrealloc(g->ev, g->cap * sizeof *g->ev);
		}
		struct ev *e = &g->ev[g->count];
		e->type = type ? cf_xstrdup(type) : NULL;
		e->data = cf_xmalloc(len + 1);
		memcpy(e->data, data, len + 1);
		e->len = len;
	}
	g->count++;
	return g->stop_at && g->count == g->stop_at ? 7 : 0;
}

static int
on_event(const char *type, const char *data, size_t len, void *ctx)
{
	return keep(ctx, type, data, len);
}

static int
on_line(const char *line, size_t len, void *ctx)
{
	return keep(ctx, NULL, line, len);
}

static int
same(const struct got *a, const struct got *b)
{
	if (a->count != b->count || a->finish_rc != b->finish_rc)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		const struct ev *x = &a->ev[i], *y = &b->ev[i];
		if ((x->type == NULL) != (y->type == NULL) ||
		    (x->type && strcmp(x->type, y->type)) || x->len != y->len ||
		    memcmp(x->data, y->data, x->len))
			return 0;
	}
	return 1;
}

/* How the input is cut: fixed pieces of `fixed` bytes (SIZE_MAX: whole),
 * or with fixed 0 random sizes from seed, now and then empty or large. */
struct cut {
	size_t fixed;
	uint32_t x;
};

static size_t
cut_next(struct cut *c)
{
	if (c->fixed)
		return c->fixed;
	c->x ^= c->x << 13;
	c->x ^= c->x >> 17;
	c->x ^= c->x << 5;
	switch (c->x % 8) {
	case 0:
		return 0;
	case 1:
		return 1 + (c->x >> 8) % 8192;
	default:
		return 1 + (c->x >> 8) % 48;
	}
}

static void
run(int sse, const char *in, size_t n, size_t fixed, uint32_t seed,
    struct got *g)
{
	struct cut c = { fixed, seed * 2654435761u + 1 };
	cf_sse *s = sse ? cf_sse_new(on_event, g) : NULL;
	cf_lines *l = sse ? NULL : cf_lines_new(on_line, g);
	size_t i = 0;
	int rc = 0;

	while (i < n && !rc) {
		size_t k = cut_next(&c);
		if (k > n - i)
			k = n - i;
		rc = sse ? cf_sse_feed(s, in + i, k) : cf_lines_feed(l, in + i, k);
		i += k;
	}
	g->feed_rc = rc;
	if (rc) {
		/* a parser that was stopped stays stopped */
		size_t before = g->count;
		int again = sse ? cf_sse_feed(s, "data: x\n\n", 9) :
		            cf_lines_feed(l, "x\n", 2);
		if (again != rc || g->count != before)
			g->bad = 1;
	}
	g->finish_rc = sse ? cf_sse_finish(s) : cf_lines_finish(l);
	cf_sse_free(s);
	cf_lines_free(l);
}

/* The ways every input is fed: whole, a byte at a time, six random. */
#define NWAYS 8
static void
run_way(int sse, const char *in, size_t n, int way, struct got *g)
{
	if (way == 0)
		run(sse, in, n, SIZE_MAX, 0, g);
	else if (way == 1)
		run(sse, in, n, 1, 0, g);
	else
		run(sse, in, n, 0, (uint32_t)way, g);
}

/* Events as text for exact expectations: "[type]data" for each event,
 * "[line]" for each line, with \n, \r, \0 and other bytes escaped. */
static const char *
render(const struct got *g)
{
	static char *out;
	static size_t cap;
	size_t len = 0;

	for (size_t i = 0; i < g->count; i++) {
		const struct ev *e = &g->ev[i];
		size_t need = len + 4 * e->len + (e->type ? strlen(e->type) : 0) + 8;
		if (need > cap) {
			cap = 2 * need;
			out = cf_xrealloc(out, cap);
		}
		len += (size_t)sprintf(out + len, "[%s%s", e->type ? e->type : "",
		                       e->type ? "]" : "");
		for (size_t j = 0; j < e->len; j++) {
			unsigned char ch = (unsigned char)e->data[j];
			if (ch == '\n')
				len += (size_t)sprintf(out + len, "\\n");
			else if (ch == '\r')
				len += (size_t)sprintf(out + len, "\\r");
			else if (ch == '\0')
				len += (size_t)sprintf(out + len, "\\0");
			else if (ch < 0x20 || ch > 0x7e)
				len += (size_t)sprintf(out + len, "\\x%02x", ch);
			else
				out[len++] = (char)ch;
		}
		if (!e->type)
			out[len++] = ']';
	}
	if (!out)
		out = cf_xmalloc(cap = 64);
	out[len] = '\0';
	return out;
}

static void
verdict(int ok, int line, const char *fmt, const char *a, const char *b)
{
	if (ok) {
		unit_pass++;
	} else {
		unit_fail++;
		fprintf(stderr, "test-stream.c:%d: failed: ", line);
		fprintf(stderr, fmt, a, b);
		fputc('\n', stderr);
	}
}

/* Every way of feeding in must give want, finish must return fin and the
 * parser must not stop. */
static void
input_case(int line, int sse, const char *in, size_t n, const char *want,
           int fin)
{
	int ok = 1;
	for (int way = 0; way < NWAYS; way++) {
		struct got g = { 0 };
		run_way(sse, in, n, way, &g);
		const char *r = render(&g);
		if (strcmp(r, want) || g.finish_rc != fin || g.feed_rc || g.bad) {
			ok = 0;
			fprintf(stderr, "test-stream.c:%d: way %d: got \"%s\" finish %d, "
			        "want \"%s\" finish %d\n", line, way, r, g.finish_rc,
			        want, fin);
		}
		got_free(&g);
	}
	verdict(ok, line, "%s%s", "input case", "");
}

#define SSE(in, want, fin) input_case(__LINE__, 1, in, sizeof in - 1, want, fin)
#define LINES(in, want, fin) input_case(__LINE__, 0, in, sizeof in - 1, want, fin)

/* Pieces given exactly, to put a boundary where it hurts. */
static void
pieces_case(int line, int sse, const char *const *pieces, const char *want,
            int fin)
{
	struct got g = { 0 };
	cf_sse *s = sse ? cf_sse_new(on_event, &g) : NULL;
	cf_lines *l = sse ? NULL : cf_lines_new(on_line, &g);
	int rc = 0;

	for (; *pieces; pieces++)
		rc |= sse ? cf_sse_feed(s, *pieces, strlen(*pieces)) :
		      cf_lines_feed(l, *pieces, strlen(*pieces));
	g.finish_rc = sse ? cf_sse_finish(s) : cf_lines_finish(l);
	const char *r = render(&g);
	verdict(!strcmp(r, want) && g.finish_rc == fin && !rc && !g.bad, line,
	        "got \"%s\", want \"%s\"", r, want);
	cf_sse_free(s);
	cf_lines_free(l);
	got_free(&g);
}

#define SSE_PIECES(want, fin, ...) pieces_case(__LINE__, 1, \
	(const char *const[]){ __VA_ARGS__, NULL }, want, fin)
#define LINES_PIECES(want, fin, ...) pieces_case(__LINE__, 0, \
	(const char *const[]){ __VA_ARGS__, NULL }, want, fin)

static void
sse_written(void)
{
	/* line ends */
	SSE("data: a\r\n\r\n", "[message]a", 0);
	SSE("data: a\n\n", "[message]a", 0);
	SSE("data: a\r\rdata: b\r\r", "[message]a[message]b", 0);
	SSE("data: a\r\ndata: b\rdata: c\n\r\n", "[message]a\\nb\\nc", 0);
	SSE("data: a\r\r\n", "[message]a", 0);
	SSE("data: a\n\rdata: b\n\n", "[message]a[message]b", 0);
	SSE("data: a\r\n\r", "[message]a", 0);
	SSE_PIECES("[message]e\\nf", 0, "data: e\r", "\ndata: f\r", "\n\r", "\n");
	SSE_PIECES("[message]e", 0, "data: e\r", "\r", "\n");
	SSE_PIECES("[message]e\\nf", 0, "data: e\r", "", "\ndata: f\n\n");
	SSE_PIECES("[a]z", 0, "event: a\r", "\n", "data: z\r", "\n\r", "\n");
	SSE_PIECES("[message]abc", 0, "da", "ta: a", "bc\n", "\n");

	/* data lines */
	SSE("data: one\ndata: two\ndata: three\n\n", "[message]one\\ntwo\\nthree", 0);
	SSE("data: one\ndata:\ndata: three\n\n", "[message]one\\n\\nthree", 0);
	SSE("data\n\n", "[message]", 0);
	SSE("data\ndata\n\n", "[message]\\n", 0);
	SSE("data:z\n\n", "[message]z", 0);
	SSE("data:  z\n\n", "[message] z", 0);
	SSE("data: z \n\n", "[message]z ", 0);
	SSE("data: a: b\n\n", "[message]a: b", 0);
	SSE("data: a\0b\n\n", "[message]a\\0b", 0);
	SSE("data: \xe2\x82\xac\n\n", "[message]\\xe2\\x82\\xac", 0);

	/* comments and fields we do not use */
	SSE(": hello\ndata: x\n: in between\n\n", "[message]x", 0);
	SSE(":\n\n: ping\n\n", "", 0);
	SSE(": only a comment", "", 0);
	SSE("foo: bar\nid: 7\nretry: 100\nDATA: no\nData: no\ndata: y\n\n",
	    "[message]y", 0);
	SSE("id: 1\n\n", "", 0);
	SSE("data : x\n\n", "", 0);

	/* event types */
	SSE("event: add\ndata: 1\n\ndata: 2\n\n", "[add]1[message]2", 0);
	SSE("event:\ndata: 3\n\n", "[message]3", 0);
	SSE("event: a\nevent: b\ndata: 4\n\n", "[b]4", 0);
	SSE("data: 5\nevent: late\n\n", "[late]5", 0);
	SSE("event:  sp\ndata: 6\n\n", "[ sp]6", 0);
	SSE("event\ndata: 7\n\n", "[message]7", 0);
	SSE("event: \0x\ndata: 8\n\n", "[message]8", 0);
	SSE("event: a\0b\ndata: 9\n\n", "[a]9", 0);

	/* a blank line with no data dispatches nothing, and forgets the type */
	SSE("event: x\n\ndata: q\n\n", "[message]q", 0);
	SSE("\n\n\n\r\n", "", 0);
	SSE("", "", 0);

	/* the end of the stream: an unfinished event is dropped */
	SSE("data: a\n\ndata: b\n", "[message]a", 1);
	SSE("data: a\n\ndata: b", "[message]a", 1);
	SSE("data: a\r", "", 1);
	SSE("event: x\n", "", 1);
	SSE("data: a\n\n", "[message]a", 0);
	SSE("data: a\n\n: bye\n", "[message]a", 0);
	SSE("data: a\n\n: bye", "[message]a", 0);

	/* a byte order mark, only at the very start */
	SSE("\xef\xbb\xbf" "data: a\n\n", "[message]a", 0);
	SSE("\xef\xbb\xbf\xef\xbb\xbf" "data: a\n\n", "", 0);
	SSE("data: \xef\xbb\xbf\n\n", "[message]\\xef\\xbb\\xbf", 0);
	SSE("\xef\xbb" "data: a\n\n", "", 0);
	SSE("\xef" "data: a\n\n", "", 0);
	SSE("\xef\xbb\ndata: a\n\n", "[message]a", 0);
	SSE("\xef\xbb\xbf", "", 0);
	SSE("\xef\xbb", "", 1);
	SSE("\xef\xbb\xbf" "\n\ndata: b\n\n", "[message]b", 0);
	SSE_PIECES("[message]a", 0, "\xef", "\xbb", "\xbf" "data: a\n\n");
	SSE_PIECES("[message]a", 0, "\xef\xbb", "\xbf", "data: a\n\n");
	SSE_PIECES("[message]a", 0, "\xef", "", "\xbb\xbf", "data: a\n", "\n");
	SSE_PIECES("", 0, "\xef", "\xbb", "data: a\n\n");
}

static void
lines_written(void)
{
	LINES("a\nb\n", "[a][b]", 0);
	LINES("a\r\nb\r\n", "[a][b]", 0);
	LINES("a\n\n\r\n\nb", "[a][b]", 0);
	LINES("a\rb\n", "[a\\rb]", 0);
	LINES("\r", "", 0);
	LINES("x\r", "[x]", 0);
	LINES("", "", 0);
	LINES("\n\n\n", "", 0);
	LINES("a\0b\n", "[a\\0b]", 0);
	LINES("{\"a\":1}\n{\"b\":2}", "[{\"a\":1}][{\"b\":2}]", 0);
	LINES_PIECES("[x][y]", 0, "x\r", "\ny");
	LINES_PIECES("[abc]", 0, "ab", "", "c\n");
	LINES_PIECES("[a][b]", 0, "a", "\n", "\r\n", "b\r", "\n");
}

/* The callback's nonzero return stops the parser and comes back. */
static void
stops(void)
{
	static const char sse[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	static const char lines[] = "1\n2\n3\n";
	int ok = 1;

	for (int way = 0; way < NWAYS; way++) {
		struct got g = { .stop_at = 2 };
		run_way(1, sse, sizeof sse - 1, way, &g);
		ok &= g.feed_rc == 7 && !g.bad &&
		      !strcmp(render(&g), "[message]1[message]2");
		got_free(&g);
		g = (struct got){ .stop_at = 2 };
		run_way(0, lines, sizeof lines - 1, way, &g);
		ok &= g.feed_rc == 7 && !g.bad && !strcmp(render(&g), "[1][2]");
		got_free(&g);
	}
	CHECK(ok);

	/* the last line, delivered by finish, can stop too */
	struct got g = { .stop_at = 2 };
	run(0, "1\n2", 3, SIZE_MAX, 0, &g);
	CHECK(g.feed_rc == 0 && g.finish_rc == 7 && g.count == 2);
	got_free(&g);
}

/* ---- the recorded streams ---- */

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0;

	*n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*n + 65536 > cap)
			p = cf_xrealloc(p, cap = 2 * cap + 65536);
		size_t r = fread(p + *n, 1, cap - *n - 1, f);
		if (r == 0)
			break;
		*n += r;
	}
	fclose(f);
	p[*n] = '\0';
	return p;
}

/* Facts about the recordings, found with the jq program line by line on
 * the data lines, without this parser:
 *   sed -n 's/^data: \{0,1\}//p' FILE | tr -d '\r' | grep -v '^\[DONE\]$' |
 *   jq -j PROGRAM
 * (the .ndjson files straight into jq -j).  The test runs the same program
 * through libjq on each event the parser gives and joins the outputs; long
 * texts are held to their length in bytes (wc -c). */
static struct fact {
	const char *file, *prog, *want;
	size_t len;
	int seen;
} facts[] = {
	{ "anthropic/messages-stream-text.sse",
	  "select(.type==\"content_block_delta\" and .delta.type==\"text_delta\") | .delta.text",
	  "- Captain\n- Scoop", 0, 0 },
	{ "anthropic/messages-stream-text.sse",
	  "select(.type==\"message_delta\") | .usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "17 10", 0, 0 },
	{ "anthropic/messages-stream-thinking.sse",
	  "select(.delta.type==\"thinking_delta\") | .delta.thinking", NULL, 218, 0 },
	{ "anthropic/messages-stream-thinking.sse",
	  "select(.delta.type==\"text_delta\") | .delta.text", "- Captain\n- Scoop", 0, 0 },
	{ "anthropic/messages-stream-thinking.sse",
	  "select(.type==\"message_delta\") | .usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "46 84", 0, 0 },
	{ "anthropic/messages-stream-tool-use.sse",
	  "select(.type==\"content_block_start\") | .content_block.name + \",\"",
	  "pelican_name_generator,pelican_name_generator,", 0, 0 },
	{ "anthropic/messages-stream-tool-use.sse",
	  "select(.type==\"message_delta\") | .usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "542 62", 0, 0 },
	{ "anthropic/messages-stream-web-search.sse",
	  "select(.delta.type==\"text_delta\") | .delta.text", NULL, 653, 0 },
	{ "anthropic/messages-stream-web-search.sse",
	  "select(.type==\"message_delta\") | .usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "10423 341", 0, 0 },
	{ "gemini/stream-sse-text.sse", ".candidates[0].content.parts[].text",
	  "The capital of Canada is Ottawa.\nFinal Answer: Ottawa\n", 0, 0 },
	{ "gemini/stream-sse-text.sse",
	  ".usageMetadata.candidatesTokenCount // empty | tostring", "13", 0, 0 },
	{ "gemini/stream-sse-thinking.sse",
	  ".candidates[0].content.parts[] | select(.thought != true) | .text", NULL, 2675, 0 },
	{ "gemini/stream-sse-thinking.sse",
	  "select(.candidates[0].finishReason) | .usageMetadata | \"\\(.candidatesTokenCount) \\(.totalTokenCount)\"",
	  "608 1554", 0, 0 },
	{ "openai-chat/chat-stream-text-include-usage.sse",
	  ".choices[0].delta.content // empty", "1, 2, 3, 4, 5", 0, 0 },
	{ "openai-chat/chat-stream-text-include-usage.sse",
	  ".usage // empty | \"\\(.prompt_tokens) \\(.completion_tokens)\"", "14 13", 0, 0 },
	{ "openai-chat/chat-stream-tool-call-include-usage.sse",
	  ".choices[0].delta.tool_calls[]?.function.arguments", "{\"a\":1231,\"b\":2331}", 0, 0 },
	{ "openai-chat/chat-stream-tool-call-include-usage.sse",
	  ".choices[0].delta.tool_calls[]?.function.name // empty", "multiply", 0, 0 },
	{ "openai-chat/chat-stream-tool-call-include-usage.sse",
	  ".usage // empty | \"\\(.prompt_tokens) \\(.completion_tokens)\"", "54 20", 0, 0 },
	{ "openai-chat/chat-stream-parallel-tool-calls-include-usage.sse",
	  ".choices[0].delta.tool_calls[]? | select(.index == 0) | .function.arguments",
	  "{\"location\": \"Seattle, WA\"}", 0, 0 },
	{ "openai-chat/chat-stream-parallel-tool-calls-include-usage.sse",
	  ".choices[0].delta.tool_calls[]? | select(.index == 1) | .function.arguments",
	  "{\"location\": \"San Francisco, CA\"}", 0, 0 },
	{ "openai-chat/chat-stream-n2-multiple-choices.sse",
	  ".choices[] | select(.index == 0) | .delta.content // empty", NULL, 277, 0 },
	{ "openai-chat/chat-stream-n2-multiple-choices.sse",
	  ".choices[] | select(.index == 1) | .delta.content // empty", NULL, 283, 0 },
	{ "openai-chat/chat-stream-n2-multiple-choices.sse",
	  ".usage // empty | \"\\(.prompt_tokens) \\(.completion_tokens)\"", "26 104", 0, 0 },
	{ "openai-compatible/mistral-stream.sse", ".choices[0].delta.content // empty",
	  "The current weather in Berlin at coordinates (52.5200, 13.4050) is "
	  "**15\xc2\xb0" "C** with a wind speed of **10 km/h**.", 0, 0 },
	{ "openai-compatible/mistral-stream.sse",
	  ".usage // empty | \"\\(.prompt_tokens) \\(.completion_tokens)\"", "222 43", 0, 0 },
	{ "openai-responses/responses-stream-text.sse",
	  "select(.type == \"response.output_text.delta\") | .delta", "pong", 0, 0 },
	{ "openai-responses/responses-stream-text.sse",
	  "select(.type == \"response.completed\") | .response.usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "11 5", 0, 0 },
	{ "openai-responses/responses-stream-text-2.sse",
	  "select(.type == \"response.output_text.delta\") | .delta", "This is a test.", 0, 0 },
	{ "openai-responses/responses-stream-text-2.sse",
	  "select(.type == \"response.completed\") | .response.usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "22 6", 0, 0 },
	{ "openai-responses/responses-stream-tool-call.sse",
	  "select(.type == \"response.function_call_arguments.delta\") | .delta",
	  "{\"a\":1231,\"b\":2331}", 0, 0 },
	{ "openai-responses/responses-stream-tool-call.sse",
	  "select(.type == \"response.completed\") | .response.usage | \"\\(.input_tokens) \\(.output_tokens)\"",
	  "58 23", 0, 0 },
	{ "ollama/chat-stream.ndjson", ".message.content",
	  "Okay, here we go!\n\n1, 2, 3, 4, 5\n", 0, 0 },
	{ "ollama/chat-stream.ndjson",
	  "select(.done) | \"\\(.prompt_eval_count) \\(.eval_count)\"", "16 22", 0, 0 },
	{ "ollama/generate-stream.ndjson", ".response",
	  "Okay, here we go!\n\n1, 2, 3, 4, 5\n", 0, 0 },
	{ "ollama/generate-stream.ndjson",
	  "select(.done) | \"\\(.prompt_eval_count) \\(.eval_count)\"", "16 22", 0, 0 },
	{ "ollama/chat-stream-thinking.ndjson", ".message.thinking // empty", NULL, 3070, 0 },
	{ "ollama/chat-stream-thinking.ndjson", ".message.content", "1\n2\n3\n4\n5", 0, 0 },
	{ "ollama/chat-stream-thinking.ndjson",
	  "select(.done) | \"\\(.prompt_eval_count) \\(.eval_count)\"", "21 889", 0, 0 },
};

static void
fact_check(struct fact *f, const char *path, const struct got *g)
{
	jq_state *jq = jq_init();
	char *out = NULL;
	size_t len = 0;
	int ok = jq && jq_compile(jq, f->prog);

	f->seen = 1;
	for (size_t i = 0; ok && i < g->count; i++) {
		jv v = jv_parse_sized(g->ev[i].data, (int)g->ev[i].len);
		if (!jv_is_valid(v)) {         /* "[DONE]": checked elsewhere */
			jv_free(v);
			continue;
		}
		jq_start(jq, v, 0);
		jv r;
		while (jv_is_valid(r = jq_next(jq))) {
			jv s = jv_get_kind(r) == JV_KIND_STRING ? r : jv_dump_string(r, 0);
			size_t n = (size_t)jv_string_length_bytes(jv_copy(s));
			out = cf_xrealloc(out, len + n + 1);
			memcpy(out + len, jv_string_value(s), n);
			len += n;
			jv_free(s);
		}
		if (jv_invalid_has_msg(jv_copy(r)))
			ok = 0;
		jv_free(r);
	}
	if (out)
		out[len] = '\0';
	if (f->want)
		ok &= out && len == strlen(f->want) && !memcmp(out, f->want, len);
	else
		ok &= len == f->len;
	if (!ok)
		fprintf(stderr, "test-stream.c: %s: jq '%s' gave %zu bytes \"%s\"\n",
		        path, f->prog, len, out ? out : "");
	verdict(ok, __LINE__, "%s: %s", path, f->prog);
	free(out);
	if (jq)
		jq_teardown(&jq);
}

/* What the file says without the parser: the "data:" lines and the values
 * of the "event:" lines, each line cut at LF with one CR before it
 * dropped.  The recordings end lines with LF or CRLF, never a lone CR. */
struct scan {
	size_t data_lines, nlines;
	char **events;
	size_t nevents;
};

static void
scan_file(char *in, size_t n, struct scan *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->events = cf_xmalloc((n + 1) * sizeof *sc->events);
	for (char *p = in, *end = in + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		size_t len = (size_t)(e - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len)
			sc->nlines++;
		if (len >= 5 && !memcmp(p, "data:", 5))
			sc->data_lines++;
		if (len >= 6 && !memcmp(p, "event:", 6)) {
			char *v = p + 6;
			if (v < p + len && *v == ' ')
				v++;
			sc->events[sc->nevents] = cf_xmalloc((size_t)(p + len - v) + 1);
			memcpy(sc->events[sc->nevents], v, (size_t)(p + len - v));
			sc->events[sc->nevents++][p + len - v] = '\0';
		}
		p = e + 1;
	}
}

static void
fixture(const char *path)
{
	int sse = strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".sse");
	const char *name = path + strlen(FIXTURES) + 1;
	size_t n;
	char *in = slurp(path, &n);

	verdict(in != NULL, __LINE__, "cannot read %s%s", path, "");
	if (!in)
		return;

	/* the same events however the bytes arrive */
	struct got whole = { 0 };
	run_way(sse, in, n, 0, &whole);
	int ok = whole.count > 0 && !whole.bad && whole.finish_rc == 0 &&
	         !whole.feed_rc;
	for (int way = 1; way < NWAYS; way++) {
		struct got g = { 0 };
		run_way(sse, in, n, way, &g);
		ok &= same(&whole, &g) && !g.bad;
		got_free(&g);
	}
	verdict(ok, __LINE__, "%s: %s", name, "events differ by chunking");

	struct scan sc;
	scan_file(in, n, &sc);
	if (sse) {
		/* each data line adds one line to its event's data */
		size_t lines = 0, done = 0, json = 0;
		for (size_t i = 0; i < whole.count; i++) {
			const struct ev *e = &whole.ev[i];
			lines++;
			for (size_t j = 0; j < e->len; j++)
				lines += e->data[j] == '\n';
			jv v = jv_parse_sized(e->data, (int)e->len);
			if (jv_is_valid(v))
				json++;
			else if (!strcmp(e->data, "[DONE]") && i == whole.count - 1)
				done++;
			jv_free(v);
		}
		verdict(lines == sc.data_lines, __LINE__, "%s: %s", name,
		        "data lines and event data disagree");
		verdict(json + done == whole.count, __LINE__, "%s: %s", name,
		        "an event's data is not JSON");

		/* the types are the event: lines in order, or all "message" */
		ok = sc.nevents == 0 || sc.nevents == whole.count;
		for (size_t i = 0; ok && i < whole.count; i++)
			ok = !strcmp(whole.ev[i].type,
			             sc.nevents ? sc.events[i] : "message");
		verdict(ok, __LINE__, "%s: %s", name, "event types differ from the file");
	} else {
		size_t json = 0;
		for (size_t i = 0; i < whole.count; i++) {
			jv v = jv_parse_sized(whole.ev[i].data, (int)whole.ev[i].len);
			json += jv_get_kind(v) == JV_KIND_OBJECT;
			jv_free(v);
		}
		verdict(whole.count == sc.nlines && json == whole.count, __LINE__,
		        "%s: %s", name, "lines differ from the file");
	}

	for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
		if (!strcmp(facts[i].file, name))
			fact_check(&facts[i], name, &whole);

	for (size_t i = 0; i < sc.nevents; i++)
		free(sc.events[i]);
	free(sc.events);
	got_free(&whole);
	free(in);
}

static void
fixtures(void)
{
	struct stat sb;
	glob_t gl;

	if (stat(FIXTURES, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "test-stream: recorded-stream cases skipped: %s "
		        "not found (it lives in shared/ beside the repository)\n",
		        FIXTURES);
		return;
	}
	if (glob(FIXTURES "/*/*.sse", 0, NULL, &gl) == 0) {
		for (size_t i = 0; i < gl.gl_pathc; i++)
			fixture(gl.gl_pathv[i]);
		globfree(&gl);
	}
	if (glob(FIXTURES "/*/*.ndjson", 0, NULL, &gl) == 0) {
		for (size_t i = 0; i < gl.gl_pathc; i++)
			fixture(gl.gl_pathv[i]);
		globfree(&gl);
	}
	for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
		verdict(facts[i].seen, __LINE__, "no recording %s for %s",
		        facts[i].file, facts[i].prog);
}

/* ---- size ---- */

/* 10 MB of small events, some typed, some with CRLF and two data lines;
 * fed a byte at a time a parser that rescans its buffer would not finish. */
static void
big(void)
{
	size_t cap = 10 << 20, n = 0, want = 0, events = 0;
	char *in = cf_xmalloc(cap + 256);
	uint32_t x = 12345;

	while (n < cap) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t k = 1 + x % 60;
		const char *eol = x % 3 ? "\n" : "\r\n";
		if (x % 5 == 0)
			n += (size_t)sprintf(in + n, "event: delta%s", eol);
		n += (size_t)sprintf(in + n, "data: ");
		memset(in + n, 'x', k);
		n += k;
		if (x % 7 == 0) {
			n += (size_t)sprintf(in + n, "%sdata: yy", eol);
			k += 3;
		}
		n += (size_t)sprintf(in + n, "%s%s", eol, eol);
		want += k;
		events++;
	}

	size_t sizes[] = { 1, 16384 };
	for (size_t i = 0; i < 2; i++) {
		struct got g = { .count_only = 1 };
		run(1, in, n, sizes[i], 0, &g);
		CHECK(g.bytes == want && g.count == events && !g.bad &&
		      g.finish_rc == 0);
	}

	/* the same as lines: every "data: ..." line and every "event: ..." */
	size_t lines = 0, lbytes = 0;
	for (char *p = in, *end = in + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);
		if (len && p[len - 1] == '\r')
			len--;
		lines += len > 0;
		lbytes += len;
		p = nl + 1;
	}
	for (size_t i = 0; i < 2; i++) {
		struct got g = { .count_only = 1 };
		run(0, in, n, sizes[i], 0, &g);
		CHECK(g.bytes == lbytes && g.count == lines && !g.bad);
	}

	/* one event of 4 MB, a byte at a time */
	n = (size_t)sprintf(in, "data: ");
	memset(in + n, 'z', 4 << 20);
	n += 4 << 20;
	n += (size_t)sprintf(in + n, "\n\n");
	struct got g = { .count_only = 1 };
	run(1, in, n, 1, 0, &g);
	CHECK(g.count == 1 && g.bytes == 4 << 20);
	free(in);
}

/* ---- the JSON-array parser ---- */

static int
on_elem(const char *elem, size_t len, void *ctx)
{
	return keep(ctx, NULL, elem, len);
}

static void
ja_run(const char *in, size_t n, size_t fixed, uint32_t seed, struct got *g)
{
	struct cut c = { fixed, seed * 2654435761u + 1 };
	cf_jsonarray *p = cf_jsonarray_new(on_elem, g);
	size_t i = 0;
	int rc = 0;

	while (i < n && !rc) {
		size_t k = cut_next(&c);
		if (k > n - i)
			k = n - i;
		rc = cf_jsonarray_feed(p, in + i, k);
		i += k;
	}
	g->feed_rc = rc;
	if (rc) {
		size_t before = g->count;
		if (cf_jsonarray_feed(p, ",{}", 3) != rc || g->count != before)
			g->bad = 1;
	}
	g->finish_rc = cf_jsonarray_finish(p);
	cf_jsonarray_free(p);
}

static void
ja_run_way(const char *in, size_t n, int way, struct got *g)
{
	ja_run(in, n, way == 0 ? SIZE_MAX : way == 1 ? 1 : 0, (uint32_t)way, g);
}

static void
ja_case(int line, const char *in, size_t n, const char *want, int fin)
{
	int ok = 1;
	for (int way = 0; way < NWAYS; way++) {
		struct got g = { 0 };
		ja_run_way(in, n, way, &g);
		const char *r = render(&g);
		if (strcmp(r, want) || g.finish_rc != fin || g.feed_rc || g.bad) {
			ok = 0;
			fprintf(stderr, "test-stream.c:%d: way %d: got \"%s\" finish %d, "
			        "want \"%s\" finish %d\n", line, way, r, g.finish_rc,
			        want, fin);
		}
		got_free(&g);
	}
	verdict(ok, line, "%s%s", "json-array case", "");
}

#define JA(in, want, fin) ja_case(__LINE__, in, sizeof in - 1, want, fin)

static void
jsonarray_written(void)
{
	/* Gemini's separators, and brackets inside strings */
	JA("[{\"a\":1}\n,\r\n{\"b\":\"x]}\"}\n]", "[{\"a\":1}][{\"b\":\"x]}\"}]", 0);
	JA("[{\n  \"a\": [1, {\"b\": 2}]\n}\n]",
	   "[{\\n  \"a\": [1, {\"b\": 2}]\\n}]", 0);
	/* escapes: a quote and a backslash that do not end the string */
	JA("[{\"s\":\"a\\\"}b\\\\\"},{\"t\":\"\\\\\\\"]\"}]",
	   "[{\"s\":\"a\\\"}b\\\\\"}][{\"t\":\"\\\\\\\"]\"}]", 0);
	/* elements that are not objects */
	JA("[1, \"two\" , true,null,[3,[4]] ,-5e2]",
	   "[1][\"two\"][true][null][[3,[4]]][-5e2]", 0);
	JA("[]", "", 0);
	JA("  \r\n[ \n ]  \n", "", 0);
	JA("", "", 0);
	/* a BOM before it */
	JA("\xef\xbb\xbf[{\"a\":1}]", "[{\"a\":1}]", 0);
	/* what follows the closing ] is not ours */
	JA("[{\"a\":1}]\n[{\"b\":2}]", "[{\"a\":1}]", 0);
	/* cut: the complete elements, and finish says one was pending */
	JA("[{\"a\":1},{\"b\":", "[{\"a\":1}]", 1);
	JA("[{\"a\":1},{\"b\":\"x\\", "[{\"a\":1}]", 1);
	/* the array not closed, but no element pending */
	JA("[{\"a\":1},", "[{\"a\":1}]", 0);
	/* an object instead of an array: an error body, say */
	JA("{\"error\":{\"code\":400}}\n", "[{\"error\":{\"code\":400}}]", 0);
	/* not JSON: handed on as it is, for the reader to refuse */
	JA("[{\"a\":1},oops,{\"b\":2}]", "[{\"a\":1}][oops][{\"b\":2}]", 0);
	JA("[}{\"a\":1},{\"b\":2}]", "[}{\"a\":1}][{\"b\":2}]", 0);
	JA("[1,,2]", "[1][2]", 0);
	/* a stray byte at the end: a last scalar with no ] after it */
	JA("[1,2", "[1][2]", 0);

	/* a stop from the callback, in every way of feeding */
	for (int way = 0; way < NWAYS; way++) {
		static const char in[] = "[{\"a\":1},{\"b\":2},{\"c\":3}]";
		struct got g = { .stop_at = 2 };
		ja_run_way(in, sizeof in - 1, way, &g);
		CHECK(g.count == 2 && g.feed_rc == 7 && g.finish_rc == 7 && !g.bad);
		got_free(&g);
	}
}

/* The recorded Gemini array: its elements are the ones jq finds. */
static void
jsonarray_fixture(void)
{
	char *in;
	size_t n;
	const char *path = FIXTURES "/gemini/stream-json-array-thinking.json";
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "test-stream: %s missing, its case skipped\n", path);
		return;
	}
	fseek(f, 0, SEEK_END);
	n = (size_t)ftell(f);
	rewind(f);
	in = cf_xmalloc(n + 1);
	CHECK(fread(in, 1, n, f) == n);
	fclose(f);
	jv whole = jv_parse_sized(in, (int)n);
	CHECK(jv_get_kind(whole) == JV_KIND_ARRAY);
	int want = jv_array_length(jv_copy(whole));
	CHECK(want == 3);
	for (int way = 0; way < NWAYS; way++) {
		struct got g = { 0 };
		ja_run_way(in, n, way, &g);
		int ok = (int)g.count == want && !g.bad && !g.finish_rc && !g.feed_rc;
		for (size_t i = 0; ok && i < g.count; i++) {
			jv e = jv_parse_sized(g.ev[i].data, (int)g.ev[i].len);
			ok = jv_equal(e, jv_array_get(jv_copy(whole), (int)i));
		}
		CHECK(ok);
		got_free(&g);
	}
	jv_free(whole);
	free(in);
}

/* 10 MB of small objects with strings full of brackets, a byte at a time. */
static void
jsonarray_big(void)
{
	size_t cap = 10 << 20, n = 0, count = 0, bytes = 0;
	char *in = cf_xmalloc(cap + 256);
	uint32_t x = 777;
	in[n++] = '[';
	while (n < cap) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (count)
			n += (size_t)sprintf(in + n, "%s", x % 2 ? "\n,\r\n" : ",");
		size_t at = n;
		n += (size_t)sprintf(in + n, "{\"t\":\"%.*s\\\"]}\",\"n\":[%u]}",
		                     (int)(x % 40), "{[]}{[]}{[]}{[]}{[]}{[]}{[]}{[]}{[]}{[]}", x);
		bytes += n - at;
		count++;
	}
	in[n++] = ']';
	size_t sizes[] = { 1, 16384 };
	for (size_t i = 0; i < 2; i++) {
		struct got g = { .count_only = 1 };
		ja_run(in, n, sizes[i], 0, &g);
		CHECK(g.count == count && g.bytes == bytes && !g.bad && !g.finish_rc);
	}
	free(in);
}

int
main(void)
{
	sse_written();
	lines_written();
	stops();
	fixtures();
	big();
	jsonarray_written();
	jsonarray_fixture();
	jsonarray_big();
	return unit_done("test-stream");
}
