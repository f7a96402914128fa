/* chat-rm — delete sessions with their messages and attachments. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-rm [options] [SESSION...]\n"
	"       chat-rm [options] --message [MESSAGE...]\n"
	"Delete sessions with their messages and attachments.  Without SESSION, or\n"
	"with -, session records are read from stdin (with --message, message\n"
	"records).  On a terminal, asks first.\n"
	"Branches of a deleted session keep their own messages.\n"
	"\n";

static const struct cf_opt own[] = {
	{"force", 'f', no_argument, NULL, "do not ask"},
	{"message", 'm', no_argument, NULL,
	 "delete the messages named (ids or prefixes), not\n"
	 "sessions"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print the deleted sessions as records even on a\n"
	 "terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

/* Asks on the terminal: stdin when it is one, else the controlling terminal
 * when stderr is one (stdin then carries records).  No terminal, no
 * question: scripts and cron are not asked. */
static int
confirm(const char *what)
{
	FILE *in = NULL;
	if (isatty(STDIN_FILENO))
		in = stdin;
	else if (isatty(STDERR_FILENO))
		in = fopen("/dev/tty", "r");
	if (!in)
		return 1;
	fprintf(stderr, "%s: delete %s? [y/N] ", cf_prog, what);
	char buf[16] = "";
	int answered = fgets(buf, sizeof buf, in) != NULL;
	if (!answered)   /* end of input: end the prompt's line */
		fputc('\n', stderr);
	int yes = answered && (buf[0] == 'y' || buf[0] == 'Y');
	if (in != stdin)
		fclose(in);
	return yes;
}

/* --message: each named message, once, deleted in one transaction. */
static int
rm_messages(const char *db, int argc, char **argv, int force, int json)
{
	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv all = cf_ok(cf_messages_from_args(st, argc, argv));
	jv list = jv_array(), ids = jv_array(), seen = jv_object();
	jv_array_foreach(all, i, m) {
		(void)i;
		jv id = jv_string(cf_jstr(m, "id"));
		if (jv_object_has(jv_copy(seen), jv_copy(id))) {
			jv_free(id);
			jv_free(m);
			continue;
		}
		seen = jv_object_set(seen, jv_copy(id), jv_true());
		ids = jv_array_append(ids, id);
		list = jv_array_append(list, m);
	}
	jv_free(all);
	jv_free(seen);
	int n = jv_array_length(jv_copy(list));
	char what[64];
	snprintf(what, sizeof what, "%d message%s", n, n == 1 ? "" : "s");
	if (!force && !confirm(what)) {
		jv_free(list);
		jv_free(ids);
		cf_store_close(st);
		cf_die(CF_EX_FAIL, "nothing deleted");
	}
	cf_exit_on(cf_messages_delete(st, ids));
	jv_array_foreach(list, i, m) {
		if (json) {
			cf_exit_on(cf_out_record(m));
		} else {
			printf("deleted message %s\n", cf_jstr(m, "id"));
			jv_free(m);
		}
		(void)i;
	}
	jv_free(list);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}

int
main(int argc, char **argv)
{
	const char *db = NULL;
	int force = 0, json = 0, messages = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'f': force = 1; break;
		case 'm': messages = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	json = json || !cf_out_isatty();
	if (messages)
		return rm_messages(db, argc - optind, argv + optind, force, json);
	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv list = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));

	/* The same session named twice is deleted once. */
	jv uniq = jv_array(), seen = jv_object();
	long msgs = 0;
	jv_array_foreach(list, i, s) {
		jv id = jv_object_get(jv_copy(s), jv_string("id"));
		if (jv_object_has(jv_copy(seen), jv_copy(id))) {
			jv_free(id);
			jv_free(s);
			continue;
		}
		seen = jv_object_set(seen, id, jv_true());
		jv meta = jv_object_get(jv_copy(s), jv_string("metadata"));
		msgs += (long)cf_jnum(meta, "messageCount", 0);
		jv_free(meta);
		uniq = jv_array_append(uniq, s);
		(void)i;
	}
	jv_free(list);
	jv_free(seen);
	int n = jv_array_length(jv_copy(uniq));

	char what[96];
	snprintf(what, sizeof what, "%d session%s and %ld message%s", n,
	         n == 1 ? "" : "s", msgs, msgs == 1 ? "" : "s");
	if (!force && n && !confirm(what)) {
		jv_free(uniq);
		cf_store_close(st);
		cf_die(CF_EX_FAIL, "nothing deleted");
	}
	cf_exit_on(cf_store_begin(st));
	jv_array_foreach(uniq, i, s) {
		cf_exit_on(cf_session_delete(st, cf_jstr(s, "id")));
		jv_free(s);
		(void)i;
	}
	cf_exit_on(cf_store_commit(st));

	jv_array_foreach(uniq, i, s) {
		if (json) {
			cf_exit_on(cf_out_record(s));
		} else {
			char name[200];
			cf_clean(cf_jstr(s, "name"), name, sizeof name, 60, 0);
			printf("deleted %s  %s\n", cf_jstr(s, "id"), name);
			jv_free(s);
		}
		(void)i;
	}
	jv_free(uniq);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
