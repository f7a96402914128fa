/* chat-ls — list sessions, most recently updated first. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"

static const char usage[] =
	"usage: chat-ls [options]\n"
	"List sessions, most recently updated first (records when stdout is not a\n"
	"terminal).\n"
	"\n"
	"  -t, --tag TAG          with this tag (repeatable: all of them)\n"
	"  -p, --provider NAME    with this provider\n"
	"  -m, --model NAME       with this model\n"
	"      --starred          starred sessions only\n"
	"      --archived         archived sessions only\n"
	"  -a, --all              archived sessions too\n"
	"      --since WHEN       updated at or after WHEN\n"
	"      --until WHEN       updated at or before WHEN\n"
	"      --parent SESSION   branches of SESSION\n"
	"  -s, --search TEXT      sessions whose name or messages contain every\n"
	"                         word of TEXT, with a snippet of the match;\n"
	"                         \"a phrase\", prefix*, OR, NOT (chat-ls(1))\n"
	"  -w, --where JQ         sessions for which the jq program JQ is true,\n"
	"                         e.g. '.metadata.totalTokens > 1000'\n"
	"  -n, --limit N          at most N sessions\n"
	"      --json             print records even on a terminal\n"
	"      --db PATH          the database\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"WHEN is a date (2026-01-31, UTC; --until includes the whole day), an RFC 3339\n"
	"time (2026-01-31T12:00:00Z), or an age: 90s, 30m, 12h, 7d, 2w.\n";

enum { O_STARRED = 256, O_ARCHIVED, O_SINCE, O_UNTIL, O_PARENT, O_JSON, O_DB,
       O_VERSION };

static const struct option longopts[] = {
	{"tag", required_argument, NULL, 't'},
	{"provider", required_argument, NULL, 'p'},
	{"model", required_argument, NULL, 'm'},
	{"starred", no_argument, NULL, O_STARRED},
	{"archived", no_argument, NULL, O_ARCHIVED},
	{"all", no_argument, NULL, 'a'},
	{"since", required_argument, NULL, O_SINCE},
	{"until", required_argument, NULL, O_UNTIL},
	{"parent", required_argument, NULL, O_PARENT},
	{"search", required_argument, NULL, 's'},
	{"where", required_argument, NULL, 'w'},
	{"limit", required_argument, NULL, 'n'},
	{"json", no_argument, NULL, O_JSON},
	{"db", required_argument, NULL, O_DB},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, O_VERSION},
	{0},
};

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
	const char **tags = NULL, *db = NULL, *parent = NULL, *where = NULL;
	int ntags = 0, json = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = getopt_long(argc, argv, ":t:p:m:as:w:n:h", longopts, NULL)) != -1) {
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
		case 's': f.search = optarg; break;
		case 'w': where = optarg; break;
		case 'n':
			if (cf_parse_long(optarg, 1, 1L << 40, &c.limit))
				cf_usage_die("invalid --limit '%s': expected a whole number above 0", optarg);
			break;
		case O_JSON: json = 1; break;
		case O_DB: db = optarg; break;
		case 'h': fputs(usage, stdout); return cf_out_finish(CF_EX_OK);
		case O_VERSION: return cf_version();
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

	cf_store *st = cf_open(db, CF_STORE_READ);
	jv p = jv_invalid();
	if (parent) {
		p = cf_ok(cf_resolve_session(st, parent));
		f.parent = cf_jstr(p, "id");
	}
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
