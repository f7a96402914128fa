/* chat-react — put a reaction on a message, or take yours off. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-react [options] MESSAGE EMOJI\n"
	"Put EMOJI on MESSAGE (an id or a prefix) as your reaction, once however\n"
	"often it is given, and print the message's reactions.  EMOJI is one emoji\n"
	"(chat-react(1) says which).\n"
	"\n";

static const struct cf_opt own[] = {
	{"remove", 'r', no_argument, NULL, "take your EMOJI off instead"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print the message as a record even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

int
main(int argc, char **argv)
{
	const char *db = NULL;
	int json = 0, remove = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 'r': remove = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	if (argc - optind < 2)
		cf_usage_die(optind < argc ? "no emoji given" : "no message given");
	if (argc - optind > 2)
		cf_usage_die("unexpected argument '%s'", argv[optind + 2]);
	const char *emoji = argv[optind + 1];
	if (!cf_emoji_one(emoji)) {
		char shown[96];   /* as /react shows it: one line, no escapes */
		cf_clean(emoji, shown, sizeof shown, 20, 0);
		cf_usage_die("invalid reaction '%s': expected one emoji", shown);
	}

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv msg = cf_ok(cf_resolve_message(st, argv[optind], NULL));
	char id[37];
	snprintf(id, sizeof id, "%s", cf_jstr(msg, "id"));
	jv_free(msg);
	int changed;
	msg = cf_ok(cf_react(st, id, emoji, remove, &changed));
	if (!changed)
		cf_warn("message '%s' %s your %s: nothing changed", id,
		        remove ? "does not have" : "already has", emoji);
	if (json || !cf_out_isatty()) {
		cf_exit_on(cf_out_record(msg));
	} else {
		char *line = cf_marks_line(msg, 1), buf[1024];
		cf_clean(line, buf, sizeof buf, 0, 0);
		printf("%s  %s\n", id, *buf ? buf : "(no reactions)");
		free(line);
		jv_free(msg);
	}
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
