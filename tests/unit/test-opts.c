/* The option layer: a program's table and the shared groups make one set
 * of options, in usage order, for getopt, --help and --list-options. */
#include "unit.h"
#include "confab.h"
#include "opts.h"

enum { O_NEW = 256, O_LAST, O_STAR, O_UNSTAR, O_SECRET };

static const struct cf_opt own[] = {
	{"session", 's', required_argument, "SESSION", "the session;\nor - for stdin"},
	{"new", O_NEW, no_argument, NULL, "a new one"},
	{"last", O_LAST, no_argument, NULL, "the last one"},
	{"star", O_STAR, no_argument, NULL, "star or not"},
	{"unstar", O_UNSTAR, no_argument, NULL, ""},
	{"secret", O_SECRET, no_argument, NULL, NULL},
	{.name = "model", .key = CF_OPT_SHARED, .help = "this message only"},
	{.name = "temperature", .key = CF_OPT_SHARED},
	{.name = "json", .key = CF_OPT_OMIT},
	{.name = "db", .key = CF_OPT_SHARED, .help = "where"},
	{0},
};
static const struct cf_opts opts = {"usage: t [options]\n\n", own, "After.\n", 0};

static char *
text(void (*fn)(const struct cf_opts *, FILE *))
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	fn(&opts, f);
	fclose(f);
	return buf;
}

static void
made(void)
{
	char *list = text(cf_opts_list);
	CHECK_STR(list, "--session=ARG -s\n--new\n--last\n--star\n--unstar\n"
	                "--model=ARG -m\n--temperature=ARG\n"
	                "--db=ARG\n--help -h\n--version\n");
	free(list);
	char *usage = text(cf_opts_usage);
	CHECK_STR(usage,
		"usage: t [options]\n\n"
		"  -s, --session SESSION  the session;\n"
		"                         or - for stdin\n"
		"      --new              a new one\n"
		"      --last             the last one\n"
		"      --star, --unstar   star or not\n"
		"  -m, --model NAME       this message only\n"
		"      --temperature N    sampling temperature, 0 to 2\n"
		"      --db PATH          where\n"
		"  -h, --help             show this help\n"
		"      --version          show the version\n"
		"\nAfter.\n");
	free(usage);
}

static void
parsed(void)
{
	char *argv[] = {"t", "-s", "x", "--new", "--temperature=1", "-m", "y",
	                "--db", "d", "rest", NULL};
	int argc = 10, c, seen = 0;
	optind = 1;
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 's': CHECK_STR(optarg, "x"); seen |= 1; break;
		case O_NEW: seen |= 2; break;
		case CF_O_TEMPERATURE: CHECK_STR(optarg, "1"); seen |= 4; break;
		case 'm': CHECK_STR(optarg, "y"); seen |= 8; break;
		case CF_O_DB: CHECK_STR(optarg, "d"); seen |= 16; break;
		default: CHECK(0);
		}
	}
	CHECK(seen == 31);
	CHECK(optind == 9);
	/* an omitted common option is unknown; a missing value is ':' */
	char *bad[] = {"t", "--json", NULL};
	optind = 1;
	opterr = 0;
	CHECK(cf_getopt(2, bad, &opts) == '?');
	char *novalue[] = {"t", "-s", NULL};
	optind = 1;
	CHECK(cf_getopt(2, novalue, &opts) == ':');
	/* a hidden option is taken; --list-options abbreviates nothing */
	char *hidden[] = {"t", "--secret", "--l", "--un", NULL};
	optind = 1;
	CHECK(cf_getopt(4, hidden, &opts) == O_SECRET);
	CHECK(cf_getopt(4, hidden, &opts) == O_LAST);
	CHECK(cf_getopt(4, hidden, &opts) == O_UNSTAR);
	CHECK(cf_getopt(4, hidden, &opts) == -1);
}

int
main(void)
{
	made();
	parsed();
	return unit_done("test-opts");
}
