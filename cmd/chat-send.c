/* chat-send — send a message, stream the reply, keep every word. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio_ext.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "render.h"
#include "opts.h"
#include "provider.h"

static const char usage[] =
	"usage: chat-send [options] [-s SESSION] [MESSAGE...]\n"
	"Send a message to a session's model and stream the reply to stdout.\n"
	"Without MESSAGE, the message is stdin; with it, stdin is read only when\n"
	"named: a - word stands for it, --stdin puts it after.  Without a session\n"
	"(or with --new) a new session is made, named from the message.\n"
	"\n";

enum { O_NEW = 256, O_CLEAR, O_PLAIN, O_FALLBACK, O_NOSTREAM, O_RETRIES,
       O_RETRYTIME, O_TIMEOUT, O_EDIT, O_RETRY, O_STDIN, O_ALLOWTOOL,
       O_ALLOWTOOLS, O_SCHEMA, O_CODE, O_THINKING, O_CONTEXT, O_CONTEXT_KIND,
       O_CONTEXT_AGAIN };

static const struct cf_opt own[] = {
	{"session", 's', required_argument, "SESSION",
	 "id, unique id prefix or name; - reads one\n"
	 "session record from stdin"},
	{"new", O_NEW, no_argument, NULL, "start a new session"},
	{"clear", O_CLEAR, no_argument, NULL,
	 "this message starts a new context: none\n"
	 "before it is sent"},
	{"edit", O_EDIT, required_argument, "MESSAGE",
	 "make MESSAGE (a user message) the text given\n"
	 "and go on from it; the replies after it are\n"
	 "kept in a branch"},
	{"retry", O_RETRY, no_argument, NULL,
	 "ask again for the session's last reply; the\n"
	 "old one is kept in its metadata.edits"},
	{.name = "provider", .key = CF_OPT_SHARED, .help =
	 "this message only: anthropic, openai, gemini,\n"
	 "ollama, openai-responses, echo, or one from the\n"
	 "config"},
	{.name = "model", .key = CF_OPT_SHARED, .help =
	 "this message only: the model"},
	{.name = "system", .key = CF_OPT_SHARED, .help =
	 "this message only: the system prompt"},
	{.name = "temperature", .key = CF_OPT_SHARED, .help =
	 "this message only: 0 to 2"},
	{.name = "max-tokens", .key = CF_OPT_SHARED, .help =
	 "this message only: most tokens in the reply"},
	{"option", 'o', required_argument, "KEY=VALUE",
	 "a provider option (repeatable): VALUE is JSON\n"
	 "when it parses, else a string; a.b=V nests;\n"
	 "KEY= leaves out the session's"},
	{"schema", O_SCHEMA, required_argument, "FILE|FIELDS",
	 "the reply is JSON matching this JSON Schema\n"
	 "(a file, or 'name, age int, tags [str]');\n"
	 "exit 5 when it does not"},
	{"stdin", O_STDIN, no_argument, NULL,
	 "the text on stdin after MESSAGE's (without\n"
	 "MESSAGE, stdin is read anyway)"},
	{"attach", 'a', required_argument, "FILE",
	 "attach a text file or an image (repeatable)"},
	{"context", O_CONTEXT, required_argument, "WINDOW",
	 "attach a summary of the activity events of\n"
	 "WINDOW (30m, 2h, today; chat-activity(1))\n"
	 "not sent to the session before"},
	{"context-kind", O_CONTEXT_KIND, required_argument, "KIND",
	 "with --context: only events of this kind"},
	{"context-again", O_CONTEXT_AGAIN, no_argument, NULL,
	 "with --context: events sent before too"},
	{"fallback", O_FALLBACK, required_argument, "PROV[:MODEL]",
	 "try this one when the others fail (repeatable)"},
	{"no-stream", O_NOSTREAM, no_argument, NULL,
	 "ask for the whole reply at once"},
	{"allow-tool", O_ALLOWTOOL, required_argument, "NAME",
	 "the model may run this plugin tool (its name,\n"
	 "or PLUGIN:TOOL; repeatable); others are denied"},
	{"allow-tools", O_ALLOWTOOLS, no_argument, NULL,
	 "the model may run every plugin tool"},
	{"retries", O_RETRIES, required_argument, "N",
	 "tries after the first on 429, 5xx, 529 and\n"
	 "connection failures (default 3)"},
	{"retry-time", O_RETRYTIME, required_argument, "SECONDS",
	 "most time the retries may take (default 60)"},
	{"timeout", O_TIMEOUT, required_argument, "SECONDS",
	 "give up after this long without a byte\n"
	 "(default 120)"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "delta records as they arrive, then the\n"
	 "message record"},
	{"plain", O_PLAIN, no_argument, NULL,
	 "on a terminal too, the reply's bytes as\n"
	 "they came"},
	{"thinking", O_THINKING, no_argument, NULL,
	 "off a terminal too, the reply's thinking\n"
	 "before it (on one it is shown dimmed)"},
	{"code", O_CODE, optional_argument, "LANG",
	 "print only the reply's fenced code (of LANG\n"
	 "only), once the reply is whole"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 29};

struct out {
	int json, tty;
	int code;           /* --code: nothing until the reply is whole */
	int thinking;       /* the thinking is shown, before the text */
	struct cf_thinking_out th;
	struct cf_turn *t;
	int last_nl;        /* the last byte shown was a newline */
	int shown;
	int dead;           /* stdout failed: the rest is only saved */
	size_t sent;        /* plain output: bytes of the reply written */
	int err;            /* why (errno) */
	cf_render *rd;      /* Markdown drawn for a terminal, or NULL */
	const char **allow; /* --allow-tool's names */
	int nallow, allow_all;
	int allow_checked;  /* each name looked for among the tools offered */
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
	cf_interrupted = 1;
}

/* Every piece of reply text a person or a program reads passes here
 * (plain bytes excepted, which on_flush writes from the reply itself):
 * the one place where a terminal's rendering goes in. */
static void
sink(struct out *o, const char *s, size_t n)
{
	if (o->json) {
		jv d = jv_object();
		d = jv_object_set(d, jv_string("type"), jv_string("delta"));
		d = jv_object_set(d, jv_string("sessionId"), jv_string(o->t->session_id));
		d = jv_object_set(d, jv_string("messageId"), jv_string(o->t->reply_id));
		d = jv_object_set(d, jv_string("text"), jv_string_sized(s, (int)n));
		size_t len;
		const char *j = cf_json_compact(d, &len);
		fwrite(j, 1, len, stdout);
		putchar('\n');
	} else if (o->rd) {
		cf_render_feed(o->rd, s, n);
	} else if (o->tty) {
		char *t = cf_xmalloc(n + 1);
		memcpy(t, s, n);
		t[n] = '\0';
		cf_put_clean(t);
		free(t);
	}
}

/* The thinking that came since the last look, before any text after it. */
static void
think(struct out *o)
{
	if (!o->thinking || o->dead)
		return;
	jv parts, open;
	cf_turn_parts(o->t, &parts, &open);
	cf_thinking_follow(&o->th, parts, open);
}

/* Each piece goes out as it comes; on_flush pushes it to the reader. */
static void
put_rendered(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	fwrite(s, 1, n, stdout);
}

static void
on_text(void *ctx, const char *s, size_t n)
{
	struct out *o = ctx;
	if (o->code)
		return;
	think(o);
	if (o->th.any)
		cf_thinking_done(&o->th);   /* the text after an empty line */
	o->shown = 1;
	if (o->dead)
		return;
	errno = 0;
	sink(o, s, n);
	o->last_nl = s[n - 1] == '\n';
	if (ferror(stdout)) {
		o->dead = 1;
		o->err = errno ? errno : EIO;
	}
}

/* What a pipe on stdout takes now without blocking (and its size in
 * *cap); SIZE_MAX for anything else. */
static size_t
pipe_room(size_t *cap)
{
	static int fifo = -1;
	if (fifo < 0) {
		struct stat sb;
		fifo = fstat(STDOUT_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode);
	}
	int size, used;
	if (!fifo || (size = fcntl(STDOUT_FILENO, F_GETPIPE_SZ)) <= 0 ||
	    ioctl(STDOUT_FILENO, FIONREAD, &used) != 0)
		return *cap = SIZE_MAX;
	*cap = (size_t)size;
	return size > used ? (size_t)(size - used) : 0;
}

/* A reader that stops reading (a pager, `| sleep`) would block the write,
 * and with it every tick that saves the reply: wait for room in the pipe
 * instead, saving as the ticks come.  Returns what may be written now
 * (at most want; SIZE_MAX when stdout is no pipe), or 0 when a signal
 * came meanwhile. */
static size_t
room_for(struct out *o, size_t want)
{
	for (;;) {
		size_t cap, room = pipe_room(&cap);
		if (room == SIZE_MAX || room >= want || (room && room >= cap))
			return room;
		if (room && want > cap)
			return room;   /* plain text goes in pieces */
		struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
		poll(&p, 1, 200);
		if (cf_interrupted)
			return 0;
		cf_turn_save(o->t);
		if (p.revents & (POLLERR | POLLHUP))
			return SIZE_MAX;   /* the write says what went wrong */
	}
}

/* What arrived together goes out together, at once.  A reader that went
 * away (| head) or a full disk must not cost the reply: stop writing, keep
 * receiving, save it, report at the end. */
static void
on_flush(void *ctx)
{
	struct out *o = ctx;
	if (o->dead || o->code)
		return;
	think(o);
	errno = 0;
	if (__fpending(stdout) && !room_for(o, __fpending(stdout))) {
		o->dead = 1;   /* a signal: the reply is what matters now */
		o->err = EPIPE;
		return;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		o->dead = 1;
		o->err = errno ? errno : EIO;
		return;
	}
	if (o->json || o->tty)
		return;
	/* Plain text goes from the reply's buffer to fd 1 with no stdio copy
	 * between: a long reply is written as fast as it is read. */
	size_t len;
	const char *buf = cf_turn_text(o->t, &len);
	if (o->sent > len)
		o->sent = 0;   /* another call: a fallback, before any text */
	while (o->sent < len) {
		size_t n = room_for(o, len - o->sent);
		if (!n) {
			o->dead = 1;
			o->err = EPIPE;
			return;
		}
		if (n > len - o->sent)
			n = len - o->sent;
		ssize_t w = write(STDOUT_FILENO, buf + o->sent, n);
		if (w < 0 && errno == EINTR && !cf_interrupted)
			continue;
		if (w <= 0) {
			o->dead = 1;
			o->err = w < 0 ? errno : EIO;
			return;
		}
		o->sent += (size_t)w;
	}
}

static void
on_note(void *ctx, const char *line)
{
	(void)ctx;
	cf_warn("%s", line);
}

static void
listen_signals(void (*fn)(int))
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* A closed terminal (SIGHUP) is a stop like any other: what arrived is
 * kept.  Before the request, a signal ends the program at once, with
 * nothing half-done. */
static void
on_send(void *ctx)
{
	struct out *o = ctx;
	o->sent = 0;   /* a round after tool calls: a reply of its own */
	/* whose parts count from 0 again: the thinking followed from there */
	o->th.part = -1;
	o->th.off = 0;
	if (!o->allow_checked && jv_get_kind(o->t->tools) == JV_KIND_ARRAY) {
		/* a name no tool has (a typo) would only see every call denied */
		o->allow_checked = 1;
		for (int i = 0; i < o->nallow; i++) {
			int found = 0;
			jv_array_foreach(o->t->tools, k, tool) {
				found = found || cf_tool_named(tool, o->allow[i]);
				jv_free(tool);
				(void)k;
			}
			if (!found) {
				char name[128];
				cf_clean(o->allow[i], name, sizeof name, 64, 0);
				cf_warn("--allow-tool %s: no tool of that name is offered "
				        "(chat-plugin ls; PLUGIN:TOOL or the name the model sees)", name);
			}
		}
	}
	if (o->shown && !o->last_nl && !o->json && !o->rd && !o->dead) {
		fputc('\n', stdout);   /* and a line of its own */
		fflush(stdout);
		o->last_nl = 1;
	}
	listen_signals(on_signal);
}

/* May the model run this tool?  Only what --allow-tool or --allow-tools
 * named: a script has nobody to ask. */
static int
on_tool(void *ctx, jv call)
{
	struct out *o = ctx;
	int yes = o->allow_all;
	for (int i = 0; i < o->nallow && !yes; i++)
		yes = cf_tool_named(call, o->allow[i]);
	if (yes)
		listen_signals(on_signal);   /* a signal stops the tool, as a reply */
	return yes ? CF_TOOL_ALLOW : CF_TOOL_DENY;
}

/* One line on stderr a call: what ran, what was refused and why. */
static void
on_tool_result(void *ctx, jv call, jv res)
{
	struct out *o = ctx;
	listen_signals(SIG_IGN);
	char name[128], args[160];
	cf_clean(cf_jstr(call, "name"), name, sizeof name, 64, 0);
	jv in = jv_object_get(jv_copy(call), jv_string("input"));
	size_t len;
	const char *j = cf_json_compact(in, &len);
	cf_clean(j, args, sizeof args, 100, 0);
	const char *outcome = cf_jstr(res, "outcome");
	if (o->tty && !o->rd && o->shown && !o->last_nl && !o->dead) {
		/* the reply's text ends its line before ours starts */
		fputc('\n', stdout);
		fflush(stdout);
		o->last_nl = 1;
	}
	if (!strcmp(outcome, "denied"))
		cf_warn("tool %s %s denied: allow it with --allow-tool %s", name, args, name);
	else if (!strcmp(outcome, "ran"))
		cf_warn("tool %s %s ran%s", name, args, cf_jbool(res, "isError") ?
		        ", and failed" : "");
	else {
		char why[256];
		cf_clean(cf_jstr(res, "content"), why, sizeof why, 160, 0);
		cf_warn("tool %s %s not run: %s", name, args, why);
	}
}

/* --json: each reply that asked for tools and the results message, as
 * the store has them, before the next round's deltas. */
static void
on_tool_round(void *ctx, jv reply, jv results)
{
	struct out *o = ctx;
	if (!o->json || o->dead)
		return;
	jv both[2] = {reply, results};
	for (int i = 0; i < 2; i++) {
		size_t len;
		const char *j = cf_json_compact(jv_copy(both[i]), &len);
		fwrite(j, 1, len, stdout);
		putchar('\n');
	}
	fflush(stdout);
}

/* Block the signals again: what arrived is saved whatever comes now. */
static void
on_end(void *ctx)
{
	struct out *o = ctx;
	think(o);   /* a reply cut off while it thought */
	listen_signals(SIG_IGN);
}

/* An error from the library, as this program reports it: a usage error
 * about the options points at --help (help set). */
_Noreturn static void
fail(jv err, int help)
{
	jv m = cf_error_message(err);
	int st = cf_error_status(err);
	if (st == CF_EX_USAGE && help)
		cf_usage_die("%s", jv_string_value(m));
	cf_die(st, "%s", jv_string_value(m));
}

int
main(int argc, char **argv)
{
	struct cf_settings over;
	struct cf_turn t;
	const char *db = NULL, *sref = NULL, *edit = NULL;
	const char **attach = NULL, **allow = NULL;
	int nallow = 0, allow_all = 0;
	int nattach = 0, newsess = 0, json = 0, plain = 0, retry = 0, opt;
	int want_stdin = 0, code = 0, thinking = 0;
	const char *code_lang = NULL;
	const char *ctx_window = NULL, *ctx_kind = NULL;
	int ctx_again = 0;
	int64_t ctx_since = 0;
	jv fallbacks = jv_null(), r, ops = jv_array(), schema = jv_null();

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&over);
	cf_turn_init(&t);
	/* the config's, then the options' */
	if (!jv_is_valid(r = cf_turn_config(&t)))
		fail(r, 0);
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 's': sref = optarg; break;
		case O_NEW: newsess = 1; break;
		case O_EDIT: edit = optarg; break;
		case O_RETRY: retry = 1; break;
		case O_STDIN: want_stdin = 1; break;
		case O_CLEAR: t.reset = 1; break;
		case 'a':
			attach = cf_xrealloc(attach, sizeof *attach * (size_t)(nattach + 1));
			attach[nattach++] = optarg;
			break;
		case O_FALLBACK:
			if (!jv_is_valid(r = cf_turn_fallback(optarg)))
				fail(r, 1);
			fallbacks = jv_array_append(jv_get_kind(fallbacks) == JV_KIND_ARRAY ?
			                            fallbacks : jv_array(), r);
			break;
		case 'o':
			if (!jv_is_valid(r = cf_option_parse(optarg)))
				fail(r, 1);
			ops = jv_array_append(ops, r);
			break;
		case O_SCHEMA:
			if (!jv_is_valid(r = cf_schema_arg(optarg)))
				fail(r, 0);
			jv_free(schema);
			schema = r;
			break;
		case O_NOSTREAM: t.stream = 0; break;
		case O_ALLOWTOOL:
			allow = cf_xrealloc(allow, sizeof *allow * (size_t)(nallow + 1));
			allow[nallow++] = optarg;
			break;
		case O_ALLOWTOOLS: allow_all = 1; break;
		case O_RETRIES:
			if (cf_parse_long(optarg, 0, 100, &t.retries))
				cf_usage_die("invalid --retries '%s': expected 0 to 100", optarg);
			break;
		case O_RETRYTIME:
			if (cf_parse_double(optarg, 0, 86400, &t.retry_time))
				cf_usage_die("invalid --retry-time '%s': expected seconds", optarg);
			break;
		case O_TIMEOUT:
			if (cf_parse_long(optarg, 1, 86400, &t.timeout))
				cf_usage_die("invalid --timeout '%s': expected whole seconds", optarg);
			break;
		case CF_O_JSON: json = 1; break;
		case O_PLAIN: plain = 1; break;
		case O_THINKING: thinking = 1; break;
		case O_CONTEXT:
			if (cf_activity_since(optarg, &ctx_since))
				cf_usage_die("invalid --context '%s': an age (30m, 2h), today, "
				             "yesterday or a time", optarg);
			ctx_window = optarg;
			break;
		case O_CONTEXT_KIND:
			if (!cf_activity_kind_ok(optarg))
				cf_usage_die("invalid --context-kind '%s'", optarg);
			ctx_kind = optarg;
			break;
		case O_CONTEXT_AGAIN: ctx_again = 1; break;
		case O_CODE: code = 1; code_lang = optarg && *optarg ? optarg : NULL; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default:
			if (!cf_opts_setting(&over, opt, optarg))
				cf_bad_option(opt, argv);
		}
	}
	if (newsess && sref)
		cf_usage_die("--new and --session do not go together");
	if ((ctx_kind || ctx_again) && !ctx_window)
		cf_usage_die("%s needs --context", ctx_kind ? "--context-kind" : "--context-again");
	if (ctx_window && (edit || retry))
		cf_usage_die("--context and %s do not go together", edit ? "--edit" : "--retry");
	if (edit || retry) {
		const char *o = edit ? "--edit" : "--retry";
		if (edit && retry)
			cf_usage_die("--edit and --retry do not go together");
		if (newsess || t.reset || nattach)
			cf_usage_die("%s and %s do not go together", o,
			             newsess ? "--new" : t.reset ? "--clear" : "--attach");
		if (retry && optind < argc)
			cf_usage_die("--retry takes no message: it asks again for the last reply");
	}

	/* Everything the user gave is read and checked before the store or
	 * the network is touched. */
	jv_free(cf_ok(cf_settings_apply(jv_object(), &over)));
	jv o_over = jv_object();
	if (over.provider)
		o_over = jv_object_set(o_over, jv_string("provider"), jv_string(over.provider));
	if (over.model)
		o_over = jv_object_set(o_over, jv_string("model"), jv_string(over.model));
	if (over.system)
		o_over = jv_object_set(o_over, jv_string("system"), jv_string(over.system));
	double d;
	long mt;
	if (over.temperature)   /* empty: none this time */
		o_over = jv_object_set(o_over, jv_string("temperature"),
			*over.temperature && !cf_parse_double(over.temperature, 0, 2, &d) ?
			jv_number(d) : jv_null());
	if (over.max_tokens && !cf_parse_long(over.max_tokens, 1, 100000000, &mt))
		o_over = jv_object_set(o_over, jv_string("maxTokens"), jv_number((double)mt));
	o_over = jv_object_set(o_over, jv_string("options"), ops);
	if (jv_get_kind(schema) == JV_KIND_OBJECT)
		o_over = jv_object_set(o_over, jv_string("schema"), schema);
	else
		jv_free(schema);
	/* With MESSAGE, stdin is read only when named (a - word, --stdin):
	 * `... | while read s; do chat-send -s "$s" hi; done` must not lose
	 * the loop's lines to the first chat-send. */
	int stdin_records = sref && !strcmp(sref, "-"), dash = -1;
	for (int i = optind; i < argc; i++)
		if (!strcmp(argv[i], "-")) {
			if (dash >= 0 || want_stdin)
				cf_usage_die("stdin is named twice (- and --stdin, or - twice)");
			dash = i;
		}
	if (stdin_records && (dash >= 0 || want_stdin))
		cf_usage_die("-s - reads the session from stdin; the message cannot "
		             "come from it too");
	if (retry && (dash >= 0 || want_stdin))
		cf_usage_die("--retry takes no message: it asks again for the last reply");
	jv in = jv_string("");
	if (dash >= 0 || want_stdin ||
	    (optind == argc && !stdin_records && !retry && !isatty(STDIN_FILENO))) {
		in = cf_read_text(STDIN_FILENO);
		if (!jv_is_valid(in)) {
			jv m = cf_error_message(in);
			cf_die(cf_error_status(in), "stdin: %s", jv_string_value(m));
		}
	}
	if (dash >= 0 && dash < argc - 1) {   /* its last newlines end a paragraph */
		const char *b = jv_string_value(in);
		int n = jv_string_length_bytes(jv_copy(in));
		while (n > 0 && b[n - 1] == '\n')
			n--;
		jv cut = jv_string_sized(b, n);
		jv_free(in);
		in = cut;
	}
	/* the words joined by spaces, stdin's text a paragraph of its own
	 * where - stands (at the end for --stdin) */
	jv text = jv_string("");
	int para = 0;
	for (int i = optind; i <= argc; i++) {
		int here = i == dash || (i == argc && dash < 0);
		if (here && jv_string_length_bytes(jv_copy(in))) {
			if (jv_string_length_bytes(jv_copy(text)))
				text = jv_string_append_str(text, "\n\n");
			text = jv_string_concat(text, jv_copy(in));
			para = 1;
		} else if (i < argc && i != dash) {
			if (jv_string_length_bytes(jv_copy(text)))
				text = jv_string_append_str(text, para ? "\n\n" : " ");
			text = jv_string_append_str(text, argv[i]);
			para = 0;
		}
	}
	jv_free(in);
	struct cf_files files;
	if (!jv_is_valid(r = cf_files_load(&files, attach, nattach)))
		fail(r, 0);
	if (!jv_string_length_bytes(jv_copy(text)) && !nattach && !retry)
		cf_usage_die("no message: give it as arguments or on stdin");

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv sess = jv_null();
	if (sref) {
		char *one[] = {(char *)sref};
		jv l = cf_ok(cf_sessions_from_args(st, 1, one));
		if (jv_array_length(jv_copy(l)) != 1)
			cf_usage_die("expected one session, got %d", jv_array_length(jv_copy(l)));
		sess = jv_array_get(l, 0);
	}
	char prompt[37], reply[37], mid[37];
	if (edit) {
		jv m = cf_ok(cf_resolve_message(st, edit, sref ? cf_jstr(sess, "id") : NULL));
		snprintf(mid, sizeof mid, "%s", cf_jstr(m, "id"));
		if (!sref)
			sess = cf_ok(cf_session_of(st, cf_jstr(m, "sessionId")));
		jv_free(m);
		t.again = mid;
		t.edit = 1;
	} else if (retry) {
		if (!sref)
			sess = cf_ok(cf_session_of(st, NULL));
		cf_exit_on(cf_retry_target(st, cf_jstr(sess, "id"), prompt, reply));
		t.again = prompt;
		t.replace = *reply ? reply : NULL;
	}

	cf_actctx_files(&t.msg_context, attach, nattach);
	if (ctx_window) {
		jv sel = cf_ok(cf_actctx_select(st, jv_get_kind(sess) == JV_KIND_OBJECT ?
		                                cf_jstr(sess, "id") : NULL, ctx_since,
		                                ctx_kind, ctx_again));
		jv l = cf_actctx_line(sel, ctx_window);
		cf_warn("%s", jv_string_value(l));
		jv_free(l);
		t.activity = sel;
	}

	struct out o = {.json = json, .tty = cf_out_isatty() && !json && !plain,
	                .t = &t, .last_nl = 1, .allow = allow, .nallow = nallow,
	                .allow_all = allow_all, .code = code};
	/* on a terminal, dimmed; in plain text only when asked; the records
	 * and --code have it in the message's parts */
	o.thinking = !json && !code && (o.tty || thinking);
	o.th = (struct cf_thinking_out){.f = stdout, .color = o.tty && cf_out_color(),
	                                .bol = 1, .part = -1};
	if (o.tty && !code && cf_render_wanted(STDOUT_FILENO, plain))
		o.rd = cf_render_new(&(struct cf_render_opt){
			.width = cf_render_term_width(STDOUT_FILENO), .color = 1,
			.hyperlinks = 1, .put = put_rendered});
	t.st = st;
	t.session = sess;
	t.text = jv_string_value(text);
	t.len = (size_t)jv_string_length_bytes(jv_copy(text));
	t.files = &files;
	t.over = o_over;
	t.fallbacks = fallbacks;
	t.records = json || code;   /* a long reply is not read back only to be dropped */
	t.on_text = on_text;
	t.on_flush = on_flush;
	t.on_note = on_note;
	t.on_send = on_send;
	t.on_end = on_end;
	t.on_tool = on_tool;
	t.on_tool_result = on_tool_result;
	t.on_tool_round = on_tool_round;
	t.ctx = &o;
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

	/* A script that can allow no call would only see each one denied:
	 * it is offered none, unless the config asks (tools = on). */
	const char *offer = cf_config_get("tools");
	if (!allow_all && !nallow && !(offer && !strcmp(offer, "on"))) {
		jv_free(t.tools);
		t.tools = jv_array();
	}
	r = cf_turn_tools(&t);
	int status = t.exit;
	if (o.th.any && !o.dead)
		cf_thinking_done(&o.th);   /* thinking and no text after it */
	if (o.rd) {
		/* the last block, drawn whole; the renderer ends its lines */
		if (!o.dead)
			cf_render_finish(o.rd);
		cf_render_free(o.rd);
		o.last_nl = 1;
	}
	if (!jv_is_valid(r) && status == CF_EX_USAGE)
		fail(r, 1);   /* refused before anything was stored or sent */
	int nocode = 0;
	if (code) {
		/* what was kept, even of a reply cut short: the status says so */
		struct cf_code_out co = {.f = stdout, .tty = cf_out_isatty() && !json,
		                         .json = json, .nl = 1};
		if (jv_get_kind(t.reply) == JV_KIND_OBJECT) {
			jv e = cf_code_message(&co, jv_copy(t.reply), code_lang);
			if (!jv_is_valid(e)) {
				o.dead = 1;
				o.err = cf_error_status(e) ? EIO : EPIPE;
			}
			jv_free(e);
		}
		cf_code_end(&co);
		nocode = !co.count && jv_get_kind(t.reply) == JV_KIND_OBJECT;
	} else if (!o.dead) {
		if (json && jv_get_kind(t.reply) == JV_KIND_OBJECT) {
			size_t len;
			const char *j = cf_json_compact(jv_copy(t.reply), &len);
			fwrite(j, 1, len, stdout);
			putchar('\n');
		} else if (!json && o.shown && !o.last_nl) {
			putchar('\n');
		}
	}
	if (t.interrupted && status == CF_EX_SIGINT)
		status = got_signal == SIGTERM ? CF_EX_SIGTERM :
		         got_signal == SIGHUP ? CF_EX_SIGHUP : CF_EX_SIGINT;
	if (jv_get_kind(t.branch) == JV_KIND_OBJECT) {
		char name[256];
		cf_clean(cf_jstr(t.branch, "name"), name, sizeof name, 80, 0);
		cf_warn("the replies after the edited message are kept in the branch "
		        "'%s' (%s)", name, cf_jstr(t.branch, "id"));
	}
	if (!jv_is_valid(r)) {
		jv m = cf_error_message(r);
		cf_warn("%s", jv_string_value(m));
		jv_free(m);
	}
	if (nocode) {
		/* the reply is kept; a script testing for code sees none */
		cf_warn("no code in the reply");
		if (!status)
			status = CF_EX_FAIL;
	}
	jv_free(r);
	cf_turn_release(&t);
	jv_free(text);
	cf_files_free(&files);
	cf_store_close(st);
	free(attach);
	free(allow);
	if (o.dead) {
		/* stdout failed mid-reply and the reply is saved: a reader that
		 * went away is no error, another write error is */
		if (o.err == EPIPE)
			return status;
		cf_warn("write error: %s", strerror(o.err));
		return status ? status : CF_EX_FAIL;
	}
	return cf_out_finish(status);
}
