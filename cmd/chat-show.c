/* chat-show — a session's messages in order. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"
#include "render.h"

static const char usage[] =
	"usage: chat-show [options] [SESSION...]\n"
	"Show the messages of sessions, in order.  SESSION is an id, a unique id\n"
	"prefix of 4 or more characters, or an exact name; without one, or with -,\n"
	"session records are read from stdin.\n"
	"\n";

enum { O_PLAIN = 256, O_HISTORY, O_CODE };
static int follow;

static const struct cf_opt own[] = {
	{"last", 'n', required_argument, "N",
	 "only the last N messages of each session"},
	{"follow", 'f', no_argument, NULL,
	 "then print each message as it is added, by\n"
	 "anyone, until interrupted (one session)"},
	{"message", 'M', required_argument, "ID",
	 "only this message (id or unique prefix)"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print message records even on a terminal"},
	{"plain", O_PLAIN, no_argument, NULL,
	 "on a terminal, the content as written, not rendered"},
	{"history", O_HISTORY, no_argument, NULL,
	 "every version of edited messages, and who reacted"},
	{"code", O_CODE, optional_argument, "LANG",
	 "only the fenced code of the replies shown (of\n"
	 "the message --message names), of LANG only"},
	{.name = "db-read", .key = CF_OPT_SHARED, .help =
	 "read from this PostgreSQL replica (default:\n"
	 "$CHAT_DB_READ); --follow listens on the primary"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

static int human, rendered;
static int code;              /* --code: only the fenced code */
static const char *code_lang; /* --code=LANG */
static int one_message;       /* --message: its code whatever its role */
static struct cf_code_out code_out;

static void
put(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	fwrite(s, 1, n, stdout);
}

/* Markdown drawn for the terminal, at its width now. */
static void
render(const char *s, size_t n, void *ctx)
{
	(void)ctx;
	struct cf_render_opt o = {cf_render_term_width(STDOUT_FILENO), 1, 1, put, NULL};
	cf_render_text(&o, s, n);
}

/* A reply's fenced code, or the one message --message names. */
static void
code_of(jv msg)
{
	const char *role = cf_jstr(msg, "role");
	if (!one_message && (!role || strcmp(role, "assistant"))) {
		jv_free(msg);
		return;
	}
	cf_exit_on(cf_code_message(&code_out, msg, code_lang));
}

/* --follow: the authors are turned on when a second one writes */
static char first_author[128];

static int
each(jv msg, void *ctx)
{
	(void)ctx;
	if (follow && human) {
		jv md = jv_object_get(jv_copy(msg), jv_string("metadata"));
		const char *a = cf_jstr_or_null(md, "author");
		if (a && !*first_author)
			snprintf(first_author, sizeof first_author, "%s", a);
		else if (a && strcmp(a, first_author))
			cf_human_authors(1);
		jv_free(md);
	}
	if (code)
		code_of(msg);
	else if (human)
		cf_human_message_with(msg, rendered ? render : NULL, NULL);
	else
		cf_exit_on(cf_out_record(msg));
	/* a follower's reader waits for each line, not for a buffer */
	if (follow && fflush(stdout) != 0)
		return 1;
	return 0;
}

/* Authors in the headings only where a session has more than one: one
 * person's session reads as it always did. */
static void
authors_of(cf_store *st, const char *sid)
{
	jv n = cf_ok(cf_session_authors(st, sid));
	cf_human_authors(jv_number_value(n) > 1);
	jv_free(n);
}

/* With --code, finding none is a failure a script can test
 * (`chat-show --code s > x.sh && sh x.sh`). */
static int
finish(void)
{
	if (code) {
		cf_code_end(&code_out);
		if (!code_out.count)
			cf_die(CF_EX_FAIL, "no code in the messages shown");
	}
	return cf_out_finish(CF_EX_OK);
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *db_read = NULL, *message = NULL;
	long last = 0;
	int json = 0, plain = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'n':
			if (cf_parse_long(optarg, 1, 1L << 40, &last))
				cf_usage_die("invalid --last '%s': expected a whole number above 0", optarg);
			break;
		case 'M': message = optarg; break;
		case 'f': follow = 1; break;
		case CF_O_JSON: json = 1; break;
		case O_PLAIN: plain = 1; break;
		case O_HISTORY: cf_human_history(1); break;
		case O_CODE: code = 1; code_lang = optarg && *optarg ? optarg : NULL; break;
		case CF_O_DB: db = optarg; break;
		case CF_O_DB_READ: db_read = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	human = !json && cf_out_isatty();
	rendered = human && cf_render_wanted(STDOUT_FILENO, plain);
	if (code) {
		/* --code prints code (or its records), for people or not */
		human = !json;
		rendered = 0;
		code_out = (struct cf_code_out){.f = stdout, .tty = !json && cf_out_isatty(),
		                             .json = json, .nl = 1};
	}
	if (follow && message)
		cf_usage_die("--follow shows a session, not one --message");
	one_message = message != NULL;
	/* a standby runs no LISTEN */
	cf_store *st = follow ? cf_open(db, CF_STORE_READ) : cf_open_read(db, db_read);

	if (message) {
		/* One message: within the one session named, or anywhere. */
		if (argc - optind > 1)
			cf_usage_die("--message takes at most one session");
		jv sess = jv_invalid();
		if (optind < argc) {
			/* "-" is a session record on stdin, as everywhere */
			jv l = cf_ok(cf_sessions_from_args(st, 1, argv + optind));
			if (jv_array_length(jv_copy(l)) != 1)
				cf_usage_die("--message: expected one session, got %d",
				             jv_array_length(jv_copy(l)));
			sess = jv_array_get(l, 0);
		}
		jv m = cf_ok(cf_resolve_message(st, message,
		                          jv_is_valid(sess) ? cf_jstr(sess, "id") : NULL));
		if (human)
			authors_of(st, cf_jstr(m, "sessionId"));
		each(m, NULL);
		jv_free(sess);
		cf_store_close(st);
		return finish();
	}

	jv list = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));
	if (follow) {
		if (jv_array_length(jv_copy(list)) != 1)
			cf_usage_die("--follow: expected one session, got %d",
			             jv_array_length(jv_copy(list)));
		jv s = jv_array_get(list, 0);
		if (human && !code) {
			cf_human_session_head(st, s);
			authors_of(st, cf_jstr(s, "id"));
		}
		cf_exit_on(cf_follow(st, cf_jstr(s, "id"), last, each, NULL));
		jv_free(s);
		cf_store_close(st);
		return finish();
	}
	jv_array_foreach(list, i, s) {
		if (human && !code) {
			if (i)
				putchar('\n');
			cf_human_session_head(st, s);
			authors_of(st, cf_jstr(s, "id"));
		}
		cf_exit_on(cf_message_list(st, cf_jstr(s, "id"), last, NULL, each, NULL));
		jv_free(s);
	}
	jv_free(list);
	cf_store_close(st);
	return finish();
}
