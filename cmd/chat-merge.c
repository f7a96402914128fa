/* chat-merge — one session's messages into another. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-merge [options] SOURCE TARGET\n"
	"Append SOURCE's messages to TARGET in one transaction (from a branch of\n"
	"TARGET, only those after the branch point), with their attachments, and\n"
	"print TARGET.  TARGET's metadata.merges records the merge; merging the same\n"
	"session again takes only what is new since, and nothing changes when\n"
	"nothing is.\n"
	"\n";

enum { O_REMOVE = 256 };

static const struct cf_opt own[] = {
	{"interleave", 'i', no_argument, NULL,
	 "place them among TARGET's by time, each session\n"
	 "keeping its own order"},
	{"remove-source", O_REMOVE, no_argument, NULL,
	 "delete SOURCE once it is merged"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print a record even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

int
main(int argc, char **argv)
{
	const char *db = NULL;
	int json = 0, flags = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'i': flags |= CF_MERGE_INTERLEAVE; break;
		case O_REMOVE: flags |= CF_MERGE_REMOVE; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (argc - optind != 2)
		cf_usage_die("expected SOURCE and TARGET, got %d session%s",
		             argc - optind, argc - optind == 1 ? "" : "s");
	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv src = cf_ok(cf_resolve_session(st, argv[optind]));
	jv dst = cf_ok(cf_resolve_session(st, argv[optind + 1]));
	long taken = 0;
	jv out = cf_ok(cf_session_merge(st, src, dst, flags, &taken));
	if (taken < 0)
		cf_warn("'%s' is already merged into '%s': nothing changed",
		        cf_jstr(src, "name"), cf_jstr(out, "name"));

	if (json || !cf_out_isatty()) {
		cf_exit_on(cf_out_record(out));
	} else {
		if (taken >= 0) {
			printf("merged %ld message%s of ", taken, taken == 1 ? "" : "s");
			cf_put_clean(cf_jstr(src, "name"));
			printf("%s\n", flags & CF_MERGE_REMOVE ? " (removed)" : "");
		}
		cf_human_sessions(st, jv_array_append(jv_array(), out));
	}
	jv_free(src);
	jv_free(dst);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
