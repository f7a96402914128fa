/* chat-ls — list sessions, most recently updated first. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-ls [options]\n"
	"List sessions, most recently updated first (records when stdout is not a\n"
	"terminal).\n"
	"\n";

static const char after[] =
	"WHEN is a date (2026-01-31, UTC; --until includes the whole day), an RFC 3339\n"
	"time (2026-01-31T12:00:00Z), or an age: 90s, 30m, 12h, 7d, 2w.\n";

enum { O_STARRED = 256, O_ARCHIVED, O_SINCE, O_UNTIL, O_PARENT, O_AUTHOR };

static const struct cf_opt own[] = {
	{"tag", 't', required_argument, "TAG",
	 "with this tag (repeatable: all of them)"},
	{"provider", 'p', required_argument, "NAME", "with this provider"},
	{"model", 'm', required_argument, "NAME", "with this model"},
	{"starred", O_STARRED, no_argument, NULL, "starred sessions only"},
	{"archived", O_ARCHIVED, no_argument, NULL, "archived sessions only"},
	{"all", 'a', no_argument, NULL, "archived sessions too"},
	{"since", O_SINCE, required_argument, "WHEN",
	 "updated at or after WHEN"},
	{"until", O_UNTIL, required_argument, "WHEN",
	 "updated at or before WHEN"},
	{"parent", O_PARENT, required_argument, "SESSION",
	 "branches of SESSION"},
	{"author", O_AUTHOR, required_argument, "NAME",
	 "with a message written (or asked for) by NAME"},
	{"search", 's', required_argument, "TEXT",
	 "sessions whose name or messages contain every\n"
	 "word of TEXT, with a snippet of the match;\n"
	 "\"a phrase\", prefix*, OR, NOT (chat-ls(1))"},
	{"where", 'w', required_argument, "JQ",
	 "sessions for which the jq program JQ is true,\n"
	 "e.g. '.metadata.totalTokens > 1000'"},
	{"limit", 'n', required_argument, "N", "at most N sessions"},
	{.name = "db-read", .key = CF_OPT_SHARED},
	{0},
};

static const struct cf_opts opts = {usage, own, after, 25};

struct ctx {
	cf_jq *where;
	long limit, n;
	int human;
	jv rows;
};

static int
each(jv rec, void *p)
{
	struct ctx *c = p;
	if (c->where &&
	    jv_get_kind(cf_ok(cf_jq_true(c->where, rec))) == JV_KIND_FALSE) {
		jv_free(rec);
		return 0;
	}
	if (c->human)
		c->rows = jv_array_append(c->rows, rec);
	else
		cf_exit_on(cf_out_record(rec));
	return c->limit && ++c->n >= c->limit;
}

int
main(int argc, char **argv)
{
	struct cf_filter f = {0};
	struct ctx c = {0};
	const char **tags = NULL, *db = NULL, *db_read = NULL, *parent = NULL, *where = NULL;
	int ntags = 0, json = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 't':
			tags = cf_xrealloc(tags, sizeof *tags * (size_t)(ntags + 2));
			tags[ntags++] = optarg;
			tags[ntags] = NULL;
			break;
		case 'p': f.provider = optarg; break;
		case 'm': f.model = optarg; break;
		case O_STARRED: f.starred = 1; break;
		case O_ARCHIVED: f.archived = 1; break;
		case 'a': f.archived = 2; break;
		case O_SINCE:
			f.since = cf_when_arg("--since", optarg, 0);
			break;
		case O_UNTIL:
			f.until = cf_when_arg("--until", optarg, 1);
			break;
		case O_PARENT: parent = optarg; break;
		case O_AUTHOR: f.author = optarg; break;
		case 's': f.search = optarg; break;
		case 'w': where = optarg; break;
		case 'n':
			if (cf_parse_long(optarg, 1, 1L << 40, &c.limit))
				cf_usage_die("invalid --limit '%s': expected a whole number above 0", optarg);
			break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_O_DB_READ: db_read = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);
	f.tags = tags;
	if (f.search) {
		/* read now, so a bad one fails before the store is opened */
		const char *why;
		char *q = cf_search_query(f.search, &why);
		if (!q)
			cf_usage_die("invalid --search '%s': %s", f.search, why);
		free(q);
	}
	if (where) {
		jv err = jv_invalid();
		if (!(c.where = cf_jq_compile(where, "--where", &err)))
			cf_exit_on(err);
	}
	c.human = !json && cf_out_isatty();
	f.color = c.human && cf_out_color();
	c.rows = jv_array();

	cf_store *st = cf_open_read(db, db_read);
	jv p = jv_invalid();
	if (parent) {
		p = cf_ok(cf_resolve_session(st, parent));
		f.parent = cf_jstr(p, "id");
	}
	f.limit = c.where ? 0 : c.limit;   /* --where picks from the rows */
	cf_exit_on(cf_session_list(st, &f, each, &c));
	if (c.human)
		cf_human_sessions(st, c.rows);
	else
		jv_free(c.rows);
	jv_free(p);
	cf_jq_free(c.where);
	cf_store_close(st);
	free(tags);
	return cf_out_finish(CF_EX_OK);
}
