/* A turn as a library call (cf_turn_run), the way confab and the server
 * make one turn after another in one process: with the offline echo
 * provider, a real store, the text as it arrives, a /clear boundary, an
 * interrupt, and the errors a user can cause returned as values with
 * nothing stored.  Under the sanitizers, the leak check at exit covers
 * every path taken. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cmd.h"
#include "confab.h"

static char dir[] = "/tmp/confab-unit-XXXXXX";

struct seen {
	char text[4096];
	size_t len;
	int flushes, notes, sends;
	int stop_after;   /* pieces, then cf_interrupted (0: never) */
	int pieces;
};

static void
on_text(void *ctx, const char *s, size_t n)
{
	struct seen *w = ctx;
	if (w->len + n < sizeof w->text) {
		memcpy(w->text + w->len, s, n);
		w->len += n;
		w->text[w->len] = '\0';
	}
	if (++w->pieces == w->stop_after)
		cf_interrupted = 1;
}

static void
on_flush(void *ctx)
{
	((struct seen *)ctx)->flushes++;
}

static void
on_note(void *ctx, const char *line)
{
	(void)line;
	((struct seen *)ctx)->notes++;
}

static void
on_send(void *ctx)
{
	((struct seen *)ctx)->sends++;
}

static jv
echo_over(void)
{
	return jv_object_set(jv_object(), jv_string("provider"), jv_string("echo"));
}

/* One turn of text on session (consumed; the new one is put back). */
static jv
turn(cf_store *st, jv *session, const char *text, int reset, struct seen *w,
     struct cf_turn *t)
{
	cf_turn_init(t);
	t->st = st;
	t->session = *session;
	t->text = text;
	t->len = strlen(text);
	t->reset = reset;
	t->over = echo_over();
	t->on_text = on_text;
	t->on_flush = on_flush;
	t->on_note = on_note;
	t->on_send = on_send;
	t->ctx = w;
	jv r = cf_turn_run(t);
	*session = jv_copy(t->session);
	return r;
}

static double
input_tokens(jv reply)
{
	jv m = jv_object_get(jv_copy(reply), jv_string("metadata"));
	double v = cf_jnum(m, "inputTokens", -1);
	jv_free(m);
	return v;
}

static void
turns(cf_store *st)
{
	struct cf_turn t;
	struct seen w = {0};
	jv sess = jv_null();
	jv r = turn(st, &sess, "hello there", 0, &w, &t);
	CHECK(jv_get_kind(r) == JV_KIND_TRUE);
	CHECK(t.exit == CF_EX_OK);
	CHECK_STR(w.text, "echo: hello there");
	CHECK(w.flushes >= 2);
	CHECK(w.sends == 1);
	CHECK(strlen(t.user_id) == 36 && strlen(t.reply_id) == 36);
	CHECK_STR(t.provider, "echo");
	/* the new session is stored, named from the message, and put back */
	CHECK(jv_get_kind(sess) == JV_KIND_OBJECT);
	CHECK_STR(cf_jstr(sess, "name"), "hello there");
	CHECK_STR(cf_jstr(sess, "id"), t.session_id);
	CHECK_STR(cf_jstr(t.reply, "content"), "echo: hello there");
	CHECK_STR(cf_jstr(t.reply, "id"), t.reply_id);
	CHECK_STR(cf_jstr(t.user, "content"), "hello there");
	double first = input_tokens(t.reply);
	jv_free(r);
	cf_turn_release(&t);

	/* the context grows, turn by turn */
	memset(&w, 0, sizeof w);
	r = turn(st, &sess, "hello there", 0, &w, &t);
	CHECK(jv_get_kind(r) == JV_KIND_TRUE);
	double second = input_tokens(t.reply);
	CHECK(second > first);
	jv smeta = jv_object_get(jv_copy(t.session), jv_string("metadata"));
	CHECK(cf_jnum(smeta, "messageCount", 0) == 4);
	jv_free(smeta);
	jv_free(r);
	cf_turn_release(&t);

	/* after /clear the context is the message alone, as in the first turn,
	 * and the message says where the boundary is */
	memset(&w, 0, sizeof w);
	r = turn(st, &sess, "hello there", 1, &w, &t);
	CHECK(jv_get_kind(r) == JV_KIND_TRUE);
	CHECK(input_tokens(t.reply) == first);
	jv meta = jv_object_get(jv_copy(t.user), jv_string("metadata"));
	CHECK(cf_jbool(meta, "contextReset"));
	jv_free(meta);
	jv_free(r);
	cf_turn_release(&t);
	/* and the one after it starts there: its message and reply, then this */
	memset(&w, 0, sizeof w);
	r = turn(st, &sess, "hello there", 0, &w, &t);
	CHECK(input_tokens(t.reply) == second);
	jv_free(r);
	cf_turn_release(&t);

	/* Ctrl-C after two pieces: the partial reply is kept, marked */
	memset(&w, 0, sizeof w);
	w.stop_after = 2;
	r = turn(st, &sess, "one two three four five", 0, &w, &t);
	cf_interrupted = 0;
	CHECK(!jv_is_valid(r));
	CHECK(cf_error_status(r) == CF_EX_SIGINT);
	CHECK(t.exit == CF_EX_SIGINT && t.interrupted && t.incomplete);
	jv msg = cf_error_message(r);
	CHECK(strstr(jv_string_value(msg), "partial reply is saved") != NULL);
	jv_free(msg);
	CHECK_STR(cf_jstr(t.reply, "content"), w.text);
	meta = jv_object_get(jv_copy(t.reply), jv_string("metadata"));
	CHECK(cf_jbool(meta, "incomplete"));
	CHECK_STR(cf_jstr(meta, "stopReason"), "interrupted");
	jv_free(meta);
	jv_free(r);
	cf_turn_release(&t);

	/* without records asked for, none is read back */
	memset(&w, 0, sizeof w);
	cf_turn_init(&t);
	t.st = st;
	t.session = sess;
	t.text = "quiet";
	t.len = 5;
	t.over = echo_over();
	t.records = 0;
	t.on_text = on_text;
	t.ctx = &w;
	r = cf_turn_run(&t);
	CHECK(jv_get_kind(r) == JV_KIND_TRUE);
	CHECK(jv_get_kind(t.reply) == JV_KIND_NULL && jv_get_kind(t.user) == JV_KIND_NULL);
	CHECK_STR(w.text, "echo: quiet");
	sess = jv_copy(t.session);
	jv_free(r);
	cf_turn_release(&t);
	jv_free(sess);
}

/* Each bad turn is one error value, and the process goes on. */
static void
errors(cf_store *st)
{
	static const struct { const char *over, *fallbacks, *attach; int status;
	                      const char *says; } cases[] = {
		{"{\"provider\":\"nosuch\"}", NULL, NULL, CF_EX_USAGE, "unknown provider 'nosuch'"},
		{"{\"provider\":\"echo\"}", "[{\"provider\":\"nosuch\"}]", NULL, CF_EX_USAGE,
		 "unknown fallback provider 'nosuch'"},
		{"{\"provider\":\"echo\"}", "[{\"model\":\"m\"}]", NULL, CF_EX_USAGE, "invalid fallback"},
		{"{\"provider\":\"echo\",\"temperature\":5}", NULL, NULL, CF_EX_USAGE, "temperature"},
		{"{\"provider\":\"echo\",\"maxTokens\":0}", NULL, NULL, CF_EX_USAGE, "maxTokens"},
		{"{\"provider\":\"echo\"}", NULL, "/nonexistent/file.txt", CF_EX_USAGE,
		 "cannot attach '/nonexistent/file.txt'"},
		{"{\"provider\":\"echo\"}", NULL, "/tmp", CF_EX_USAGE, "not a file"},
		{"{\"provider\":\"anthropic\"}", NULL, NULL, CF_EX_AUTH, "no API key for anthropic"},
	};
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("ANTHROPIC_BASE_URL");
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			struct cf_turn t;
			cf_turn_init(&t);
			t.st = st;
			t.text = "hi";
			t.len = 2;
			t.over = jv_parse(cases[i].over);
			if (cases[i].fallbacks)
				t.fallbacks = jv_parse(cases[i].fallbacks);
			const char *paths[] = {cases[i].attach};
			if (cases[i].attach) {
				t.attach = paths;
				t.nattach = 1;
			}
			jv r = cf_turn_run(&t);
			CHECK(!jv_is_valid(r));
			CHECK(cf_error_status(r) == cases[i].status);
			CHECK(t.exit == cases[i].status);
			CHECK(t.user_id[0] == '\0');   /* nothing was stored */
			jv m = cf_error_message(r);
			if (!strstr(jv_string_value(m), cases[i].says)) {
				fprintf(stderr, "case %zu: %s\n", i, jv_string_value(m));
				CHECK(0);
			}
			jv_free(m);
			jv_free(r);
			cf_turn_release(&t);
		}
	}
}


int
main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char p[300];
	snprintf(p, sizeof p, "%s/home", dir);
	setenv("HOME", p, 1);
	snprintf(p, sizeof p, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	snprintf(p, sizeof p, "%s/state", dir);
	setenv("XDG_STATE_HOME", p, 1);
	snprintf(p, sizeof p, "%s/chat.db", dir);
	setenv("CONFAB_PRICING", "share/confab/pricing.json", 1);
	cf_setprog("test-turn");
	cf_store *st = cf_open(p, CF_STORE_WRITE | CF_STORE_CREATE);
	turns(st);
	long msgs = unit_scalar(st, "SELECT count(*) FROM messages");
	long sessions = unit_scalar(st, "SELECT count(*) FROM sessions");
	CHECK(msgs == 12 && sessions == 1);
	errors(st);
	/* none of them stored a thing */
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages") == msgs);
	CHECK(unit_scalar(st, "SELECT count(*) FROM sessions") == sessions);
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages WHERE pending IS NOT NULL") == 0);
	cf_store_close(st);
	return unit_done("turn");
}
