/* chat-activity — the activity log: record events, list them, the shell
 * hook, and watching folders (confab(7), ACTIVITY). */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-activity add [--kind KIND] [--source NAME] [options] [TEXT...]\n"
	"       chat-activity ls [--since WHEN] [--kind KIND] [--search WORDS] [--limit N]\n"
	"       chat-activity prune [--before WHEN]\n"
	"       chat-activity hook bash|zsh|fish\n"
	"       chat-activity watch [--source NAME] DIR...\n"
	"Record what happened on this machine (an error, a failed command, a file\n"
	"changed, a test run, a note, an escalation) for conversations to refer to.\n"
	"add records TEXT, or without it the JSON lines on stdin ({kind, source, text,\n"
	"at, data}), all or nothing.  Kinds: error, command, file, test, note,\n"
	"escalation.  A busy store: the events wait in a queue, stored by the next\n"
	"chat-activity (exit 12).  hook prints a snippet for the shell's rc file.\n"
	"\n";

enum { O_AT = 256, O_STATUS, O_CWD, O_DURATION, O_DATA, O_QUEUE, O_SINCE,
       O_SEARCH, O_LIMIT, O_BEFORE };

static const struct cf_opt own[] = {
	{"kind", 'k', required_argument, "KIND",
	 "add: the event's kind (note when not given);\n"
	 "ls: only events of this kind"},
	{"source", 'S', required_argument, "NAME",
	 "add, watch: what the event comes from"},
	{"at", O_AT, required_argument, "TIME",
	 "add: when it happened (RFC 3339 or ms since\n"
	 "the epoch; now when not given)"},
	{"status", O_STATUS, required_argument, "N",
	 "add: an exit status, in the event's data"},
	{"cwd", O_CWD, required_argument, "DIR",
	 "add: a working folder, in the event's data"},
	{"duration-ms", O_DURATION, required_argument, "MS",
	 "add: how long it took, in the event's data"},
	{"data", O_DATA, required_argument, "JSON",
	 "add: a JSON object of details"},
	{"queue", O_QUEUE, no_argument, NULL,
	 "add: queue the events, never opening the\n"
	 "store; its next reader stores them (the hook)"},
	{"since", O_SINCE, required_argument, "WHEN",
	 "ls: events since WHEN (30m, 2h, today,\n"
	 "yesterday, a date, RFC 3339)"},
	{"search", O_SEARCH, required_argument, "WORDS",
	 "ls: events whose text or source has WORDS"},
	{"limit", O_LIMIT, required_argument, "N",
	 "ls: only the newest N"},
	{"before", O_BEFORE, required_argument, "WHEN",
	 "prune: remove the events before WHEN (not\n"
	 "given: older than activity-days)"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "ls: print records even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

/* a busy store's wait: the hook's --queue runs in the background, so it
 * may wait for another of its kind, not for a long writer */
#define QUEUE_WAIT_MS 200
#define ADD_WAIT_MS 2000

struct src {
	int argv_event;   /* the one event of the arguments, not yet given */
	jv event;
	jv dflt;
	long lineno;
	jv err;
};

static jv
next(void *ctx)
{
	struct src *s = ctx;
	if (s->argv_event) {
		s->argv_event = 0;
		return jv_copy(s->event);
	}
	if (jv_is_valid(s->event))
		return jv_invalid();
	return cf_activity_read(stdin, "stdin", &s->lineno, s->dflt);
}

/* st NULL: the store at db, never opened (--queue). */
static int
queue_all(cf_store *st, const char *db, struct src *s, const char *why)
{
	jv err = jv_invalid();
	cf_activity_q *qq = st ? cf_activity_queue_open(st, &err) :
	                    cf_activity_queue_open_path(db, db ? CF_STORE_EXISTING : 0, &err);
	if (!qq)
		cf_exit_on(err);
	long n = 0;
	for (;;) {
		jv ev = next(s);
		if (!jv_is_valid(ev)) {
			if (jv_invalid_has_msg(jv_copy(ev))) {
				cf_activity_queue_discard(qq);
				cf_exit_on(ev);
			}
			jv_free(ev);
			break;
		}
		jv r = cf_activity_queue_put(qq, ev);
		if (!jv_is_valid(r)) {
			cf_activity_queue_discard(qq);
			cf_exit_on(r);
		}
		jv_free(r);
		n++;
	}
	if (!n) {
		cf_activity_queue_discard(qq);
		return CF_EX_OK;
	}
	jv path = cf_ok(cf_activity_queue_close(qq));
	/* --queue: queued is what was asked, not a busy store */
	if (!st) {
		jv_free(path);
		return CF_EX_OK;
	}
	cf_warn("%s: %ld event%s queued in %s, for the next chat-activity to store",
	        why, n, n == 1 ? "" : "s", jv_string_value(path));
	jv_free(path);
	return CF_EX_SPOOLED;
}

static int
add(cf_store *st, struct src *s, int queue)
{
	long n = 0;
	int busy = 0;
	jv r = cf_activity_add_each(st, next, s, queue ? QUEUE_WAIT_MS : ADD_WAIT_MS,
	                            &n, &busy);
	if (!jv_is_valid(r) && busy) {
		jv m = cf_error_message(r);
		jv_free(r);
		int code = queue_all(st, NULL, s, queue ? "the store is busy" : jv_string_value(m));
		jv_free(m);
		return code;
	}
	cf_exit_on(r);
	/* what waited in the queue, now that the store is had */
	jv_free(cf_activity_drain(st, queue ? QUEUE_WAIT_MS : ADD_WAIT_MS));
	return CF_EX_OK;
}

static jv
print_record(void *ctx, jv rec)
{
	(void)ctx;
	return cf_out_record(rec);
}

static jv
print_row(void *ctx, jv rec)
{
	(void)ctx;
	char when[32], kind[16], source[24], text[512];
	int64_t ms = 0;
	cf_time_parse(cf_jstr(rec, "at"), &ms);
	cf_time_rel(ms, cf_now_ms(), when, sizeof when);
	cf_clean(cf_jstr(rec, "kind"), kind, sizeof kind, 10, 0);
	cf_clean(cf_jstr(rec, "source"), source, sizeof source, 16, 0);
	cf_clean(cf_jstr(rec, "text"), text, sizeof text, 72, 0);
	jv d = jv_object_get(jv_copy(rec), jv_string("data"));
	jv st = jv_object_get(d, jv_string("status"));
	char status[16] = "";
	if (jv_get_kind(st) == JV_KIND_NUMBER)
		snprintf(status, sizeof status, "%d", (int)jv_number_value(st));
	jv_free(st);
	printf("%-10s  %-10s  %-16s  %4s  %s\n", when, kind, source, status, text);
	jv_free(rec);
	return cf_out_error();
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *kind = NULL, *source = NULL, *at = NULL,
	           *cwd = NULL, *data = NULL, *since = NULL, *search = NULL,
	           *before = NULL;
	long status = LONG_MIN, duration = -1, limit = 0;
	int json = 0, queue = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'S': source = optarg; break;
		case O_AT: at = optarg; break;
		case O_STATUS:
			if (cf_parse_long(optarg, -1000000, 1000000, &status))
				cf_usage_die("--status: not a number: '%s'", optarg);
			break;
		case O_CWD: cwd = optarg; break;
		case O_DURATION:
			if (cf_parse_long(optarg, 0, LONG_MAX, &duration))
				cf_usage_die("--duration-ms: not a number of ms: '%s'", optarg);
			break;
		case O_DATA: data = optarg; break;
		case O_QUEUE: queue = 1; break;
		case O_SINCE: since = optarg; break;
		case O_SEARCH: search = optarg; break;
		case O_LIMIT:
			if (cf_parse_long(optarg, 1, LONG_MAX, &limit))
				cf_usage_die("--limit: not a positive number: '%s'", optarg);
			break;
		case O_BEFORE: before = optarg; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	if (optind >= argc)
		cf_usage_die("a command is needed: add, ls, prune, hook or watch");
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	char **args = argv + optind;
	int is_add = !strcmp(cmd, "add"), is_ls = !strcmp(cmd, "ls"),
	    is_watch = !strcmp(cmd, "watch"), is_prune = !strcmp(cmd, "prune");
	if (!is_add && !is_ls && !is_watch && !is_prune && strcmp(cmd, "hook"))
		cf_usage_die("unknown command '%s': add, ls, prune, hook or watch", cmd);
	if (!is_add && (at || cwd || data || queue || status != LONG_MIN || duration >= 0))
		cf_usage_die("--at, --status, --cwd, --duration-ms, --data and --queue "
		             "are add's");
	if (!is_ls && (since || search || limit || json))
		cf_usage_die("--since, --search, --limit and --json are ls's");
	if (!is_add && !is_watch && source)
		cf_usage_die("--source is add's and watch's");
	if (!is_add && !is_ls && kind)
		cf_usage_die("--kind is add's and ls's");
	if (!is_prune && before)
		cf_usage_die("--before is prune's");
	if (kind && !cf_activity_kind_ok(kind))
		cf_usage_die("--kind: unknown kind '%s' (error, command, file, test, "
		             "note, escalation)", kind);

	if (!strcmp(cmd, "hook")) {
		if (nargs != 1)
			cf_usage_die("hook takes one shell: bash, zsh or fish");
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n <= 0)
			cf_die(CF_EX_FAIL, "cannot tell where chat-activity is");
		self[n] = '\0';
		jv s = cf_ok(cf_activity_hook(args[0], self));
		fputs(jv_string_value(s), stdout);
		jv_free(s);
		return cf_out_finish(CF_EX_OK);
	}

	if (is_watch) {
		if (!nargs)
			cf_usage_die("watch: no folder given");
		cf_store *st = cf_open(db, CF_STORE_WRITE);
		cf_exit_on(cf_activity_watch(st, (const char *const *)args, nargs, source));
		cf_store_close(st);
		return cf_out_finish(CF_EX_OK);
	}

	if (is_prune) {
		if (nargs)
			cf_usage_die("prune takes no argument");
		int64_t t = before ? cf_when_arg("--before", before, 0) : 0;
		cf_store *st = cf_open(db, CF_STORE_WRITE);
		/* a queued event is pruned as a stored one would be */
		jv_free(cf_activity_drain(st, QUEUE_WAIT_MS));
		jv n = cf_ok(before ? cf_activity_prune(st, t) : cf_activity_prune_due(st));
		if (cf_out_isatty())
			printf("%d event%s removed\n", (int)jv_number_value(n),
			       jv_number_value(n) == 1 ? "" : "s");
		jv_free(n);
		cf_store_close(st);
		return cf_out_finish(CF_EX_OK);
	}

	if (is_ls) {
		if (nargs)
			cf_usage_die("ls takes no argument (--search WORDS finds words)");
		int64_t t = 0;
		if (since && cf_activity_since(since, &t))
			cf_usage_die("--since: not a time: '%s' (30m, 2h, today, a date, "
			             "RFC 3339)", since);
		cf_store *st = cf_open(db, CF_STORE_READ);
		if (!cf_store_readonly(st))
			jv_free(cf_activity_drain(st, QUEUE_WAIT_MS));
		json = json || !cf_out_isatty();
		cf_exit_on(cf_activity_each(st, t, kind, search, limit,
		                            json ? print_record : print_row, NULL));
		cf_store_close(st);
		return cf_out_finish(CF_EX_OK);
	}

	/* add: the arguments' event, or stdin's */
	struct src s = {0, jv_invalid(), jv_null(), 0, jv_invalid()};
	if (nargs) {
		size_t n = 0;
		for (int i = 0; i < nargs; i++)
			n += strlen(args[i]) + 1;
		char *text = cf_xmalloc(n + 1), *o = text;
		for (int i = 0; i < nargs; i++)
			o += sprintf(o, "%s%s", i ? " " : "", args[i]);
		jv ev = jv_object();
		ev = jv_object_set(ev, jv_string("kind"), jv_string(kind ? kind : "note"));
		ev = jv_object_set(ev, jv_string("text"), jv_string(text));
		free(text);
		if (source)
			ev = jv_object_set(ev, jv_string("source"), jv_string(source));
		if (at && at[strspn(at, "0123456789")] == '\0')
			ev = jv_object_set(ev, jv_string("at"), jv_number(strtod(at, NULL)));
		else if (at)
			ev = jv_object_set(ev, jv_string("at"), jv_string(at));
		jv d = jv_object();
		if (data) {
			jv_free(d);
			d = jv_parse(data);
			if (jv_get_kind(d) != JV_KIND_OBJECT)
				cf_usage_die("--data: not a JSON object: '%s'", data);
		}
		if (status != LONG_MIN)
			d = jv_object_set(d, jv_string("status"), jv_number((double)status));
		if (cwd)
			d = jv_object_set(d, jv_string("cwd"), jv_string(cwd));
		if (duration >= 0)
			d = jv_object_set(d, jv_string("durationMs"), jv_number((double)duration));
		ev = jv_object_set(ev, jv_string("data"), d);
		/* checked before the store is opened: a bad --at changes nothing */
		jv ok = cf_activity_check(jv_copy(ev));
		if (!jv_is_valid(ok)) {
			jv m = cf_error_message(ok);
			jv_free(ok);
			cf_usage_die("%s", jv_string_value(m));
		}
		jv_free(ok);
		s.event = ev;
		s.argv_event = 1;
	} else {
		if (isatty(STDIN_FILENO))
			cf_usage_die("add: no TEXT, and stdin is a terminal (records are "
			             "read from a pipe)");
		if (at || cwd || data || status != LONG_MIN || duration >= 0)
			cf_usage_die("--at, --status, --cwd, --duration-ms and --data "
			             "are for an event given as TEXT");
		s.dflt = jv_object();
		if (kind)
			s.dflt = jv_object_set(s.dflt, jv_string("kind"), jv_string(kind));
		if (source)
			s.dflt = jv_object_set(s.dflt, jv_string("source"), jv_string(source));
	}
	/* the hook's: a terminal closed right after the command failed must
	 * not take its event with it */
	if (queue)
		signal(SIGHUP, SIG_IGN);
	/* The hook's: never SQLite (its open and commit are most of an add's
	 * time); every reader drains the queue first.  A --db that names no
	 * file is a typo, as cf_open says. */
	if (queue) {
		int code = queue_all(NULL, db, &s, NULL);
		jv_free(s.event);
		jv_free(s.dflt);
		return cf_out_finish(code);
	}
	cf_store *st = cf_open(db, CF_STORE_WRITE);
	int code = add(st, &s, queue);
	jv_free(s.event);
	jv_free(s.dflt);
	cf_store_close(st);
	return cf_out_finish(code);
}
