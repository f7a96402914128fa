/* chat-branch — a new session from an existing one. */
#include <getopt.h>
#include <stdlib.h>

#include "confab.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-branch [options] [SESSION]\n"
	"Start a new session from SESSION's messages, up to and including --at, and\n"
	"print it.  Without SESSION, or with -, one session record is read from stdin.\n"
	"\n";

static const struct cf_opt own[] = {
	{"at", 'a', required_argument, "MESSAGE",
	 "the last message to take (id or unique prefix;\n"
	 "default: all of them)"},
	{"name", 'n', required_argument, "NAME",
	 "name of the new session (default: NAME (branch),\n"
	 "or NAME (copy) with --duplicate)"},
	{"duplicate", 'd', no_argument, NULL,
	 "a copy, not a branch: no parent is recorded"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print a record even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

static int
last_id(jv m, void *ctx)
{
	jv *point = ctx;
	jv_free(*point);
	*point = jv_string(cf_jstr(m, "id"));
	jv_free(m);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *at = NULL, *name = NULL;
	int json = 0, dup = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'a': at = optarg; break;
		case 'n':
			if (!*optarg)
				cf_usage_die("invalid --name '': must not be empty");
			name = optarg;
			break;
		case 'd': dup = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	cf_store *st = cf_store_open(db);
	jv list = cf_sessions_from_args(st, argc - optind, argv + optind);
	if (jv_array_length(jv_copy(list)) != 1)
		cf_usage_die("expected one session, got %d",
		             jv_array_length(jv_copy(list)));
	jv src = jv_array_get(list, 0);
	const char *sid = cf_jstr(src, "id");

	jv point = jv_null();
	if (at) {
		jv m = cf_resolve_message(st, at, sid);
		point = jv_string(cf_jstr(m, "id"));
		jv_free(m);
	} else {
		/* the last message, so the branch point is recorded either way */
		cf_message_list(st, sid, 1, NULL, last_id, &point);
	}

	jv rec = jv_copy(src);
	rec = jv_object_delete(rec, jv_string("id"));
	rec = jv_object_delete(rec, jv_string("created"));
	rec = jv_object_delete(rec, jv_string("lastUpdated"));
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	meta = jv_object_set(meta, jv_string("starred"), jv_false());
	meta = jv_object_set(meta, jv_string("archived"), jv_false());
	rec = jv_object_set(rec, jv_string("metadata"), meta);
	rec = jv_object_set(rec, jv_string("name"), name ? jv_string(name) :
		jv_string_fmt("%s (%s)", cf_jstr(src, "name"), dup ? "copy" : "branch"));
	rec = jv_object_set(rec, jv_string("parentSessionId"),
	                    dup ? jv_null() : jv_string(sid));
	rec = jv_object_set(rec, jv_string("branchPoint"),
	                    dup ? jv_null() : jv_copy(point));

	cf_store_begin(st);
	rec = cf_session_insert(st, rec);
	cf_message_copy_all(st, sid, cf_jstr(rec, "id"),
	                    jv_get_kind(point) == JV_KIND_STRING ?
	                    jv_string_value(point) : NULL);
	jv out = cf_session_get(st, cf_jstr(rec, "id"));
	cf_store_commit(st);

	if (json || !cf_out_isatty())
		cf_out_record(out);
	else
		cf_human_sessions(st, jv_array_append(jv_array(), out));
	jv_free(rec);
	jv_free(point);
	jv_free(src);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
