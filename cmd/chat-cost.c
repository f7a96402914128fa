/* chat-cost — what the assistant's replies cost and the tokens they used,
 * per model, provider or session, with a total. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-cost [options] [SESSION...]\n"
	"Report what the assistant's replies cost and the tokens they used, per\n"
	"model, provider or session, with a total (records when stdout is not a\n"
	"terminal).  SESSION is an id, a unique id prefix of 4 or more characters,\n"
	"or an exact name; - reads session records from stdin.  Without SESSION,\n"
	"session records are read from stdin when it is a pipe or a file, and\n"
	"every session counts when it is a terminal or /dev/null.\n"
	"\n";

static const char after[] =
	"WHEN is a date (2026-01-31, UTC; --until includes the whole day), an RFC 3339\n"
	"time (2026-01-31T12:00:00Z), or an age: 90s, 30m, 12h, 7d, 2w.\n";

enum { O_BY = 256, O_SINCE, O_UNTIL };

static const struct cf_opt own[] = {
	{"by", O_BY, required_argument, "KEY",
	 "one row per model (the default; per model and\n"
	 "provider), per provider, or per session"},
	{"since", O_SINCE, required_argument, "WHEN",
	 "replies written at or after WHEN"},
	{"until", O_UNTIL, required_argument, "WHEN",
	 "replies written at or before WHEN"},
	{0},
};

static const struct cf_opts opts = {usage, own, after, 25};

enum by { BY_MODEL, BY_PROVIDER, BY_SESSION };
static const char *const by_name[] = { "model", "provider", "session" };

struct group {
	char *key, *provider, *name;   /* NULL when unknown */
	double messages, input, output, total, unpriced;
	double estimated;              /* replies whose output tokens are a guess */
	double cache_read, cache_w5, cache_w1, reasoning;   /* parts of input, output */
	int64_t cost;                  /* in units of 1e-10 USD: sums exact */
};

struct groups {
	enum by by;
	struct group *g;
	size_t n, cap;
};

static char *
dup_or_null(const char *s)
{
	return s ? cf_xstrdup(s) : NULL;
}

static int
same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The library's rows come sorted by session, provider, model: rows of one
 * group are neighbours, so merging looks at the last group only. */
static void
add_row(const struct cf_usage *u, void *ctx)
{
	struct groups *gs = ctx;
	const char *key = gs->by == BY_SESSION ? u->session :
	                  gs->by == BY_PROVIDER ? u->provider : u->model;
	const char *prov = gs->by == BY_SESSION && u->session_provider ?
	                   u->session_provider : u->provider;
	struct group *g = gs->n ? &gs->g[gs->n - 1] : NULL;
	if (!g || !same(g->key, key) ||
	    (gs->by == BY_MODEL && !same(g->provider, prov))) {
		if (gs->n == gs->cap) {
			gs->cap = gs->cap ? gs->cap * 2 : 16;
			gs->g = cf_xrealloc(gs->g, sizeof *gs->g * gs->cap);
		}
		g = &gs->g[gs->n++];
		memset(g, 0, sizeof *g);
		g->key = dup_or_null(key);
		g->provider = dup_or_null(prov);
		if (gs->by == BY_SESSION)
			g->name = dup_or_null(u->session_name);
	}
	g->messages += u->messages;
	g->input += u->input_tokens;
	g->output += u->output_tokens;
	g->total += u->total_tokens;
	g->cost += u->cost_units;
	g->unpriced += u->unpriced;
	g->estimated += u->estimated;
	g->cache_read += u->cache_read;
	g->cache_w5 += u->cache_write_5m;
	g->cache_w1 += u->cache_write_1h;
	g->reasoning += u->reasoning_tokens;
}

static int
cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return !a - !b;   /* unknown last */
	return strcmp(a, b);
}

/* Where the money went first; then by name, so the order is stable. */
static int
cmp_group(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;
	if (a->cost != b->cost)
		return a->cost > b->cost ? -1 : 1;
	int c = cmp_str(a->name, b->name);
	if (!c)
		c = cmp_str(a->key, b->key);
	return c ? c : cmp_str(a->provider, b->provider);
}

static double
usd(int64_t units)
{
	return units / 1e10;
}

static jv
str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static void
put_record(const char *by, const struct group *g, int with_name)
{
	jv r = jv_object();
	r = jv_object_set(r, jv_string("type"), jv_string("cost"));
	r = jv_object_set(r, jv_string("by"), jv_string(by));
	r = jv_object_set(r, jv_string("key"), str_or_null(g->key));
	if (with_name)
		r = jv_object_set(r, jv_string("name"), str_or_null(g->name));
	r = jv_object_set(r, jv_string("provider"), str_or_null(g->provider));
	r = jv_object_set(r, jv_string("messages"), jv_number(g->messages));
	r = jv_object_set(r, jv_string("inputTokens"), jv_number(g->input));
	r = jv_object_set(r, jv_string("outputTokens"), jv_number(g->output));
	r = jv_object_set(r, jv_string("totalTokens"), jv_number(g->total));
	r = jv_object_set(r, jv_string("cost"), jv_number(usd(g->cost)));
	r = jv_object_set(r, jv_string("unpriced"), jv_number(g->unpriced));
	if (g->estimated > 0)   /* only then: the record stays as it was */
		r = jv_object_set(r, jv_string("estimated"), jv_number(g->estimated));
	/* the tokens priced apart, parts of inputTokens and outputTokens:
	 * only where there were any, as estimated */
	const char *const k[] = {"cacheReadTokens", "cacheWrite5mTokens",
	                         "cacheWrite1hTokens", "reasoningTokens"};
	double v[] = {g->cache_read, g->cache_w5, g->cache_w1, g->reasoning};
	for (int i = 0; i < 4; i++)
		if (v[i] > 0)
			r = jv_object_set(r, jv_string(k[i]), jv_number(v[i]));
	cf_exit_on(cf_out_record(r));
}

/* 1234567 as "1,234,567". */
static void
count_fmt(double v, char *out, size_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%.0f", v);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < n; i++) {
		if (i && digits[i - 1] != '-' && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static void
cost_fmt(const struct group *g, char *out, size_t n)
{
	if (g->messages > g->unpriced)
		cf_money(usd(g->cost), out, n);
	else
		snprintf(out, n, "-");
}

enum { C_ID, C_NAME, C_PROV, C_MSGS, C_IN, C_CREAD, C_CWRITE, C_OUT,
       C_REASON, C_TOTAL, C_COST, C_UNPRICED, NCOL };
static const char *const heads[NCOL] = {
	"", "", "PROVIDER", "MSGS", "INPUT", "CACHE-READ", "CACHE-WRITE", "OUTPUT",
	"REASONING", "TOTAL", "COST", "UNPRICED"
};

struct cells {
	char c[NCOL][200];
};

static void
fill(cf_store *st, enum by by, const struct group *g, struct cells *r)
{
	memset(r, 0, sizeof *r);
	if (by == BY_SESSION && g->key)
		cf_session_short_id(st, g->key, 8, r->c[C_ID]);
	else
		cf_clean(g->key ? g->key : "-", r->c[C_ID], sizeof r->c[C_ID], 48, 0);
	cf_clean(g->name ? g->name : "", r->c[C_NAME], sizeof r->c[C_NAME], 40, 0);
	cf_clean(g->provider ? g->provider : "-", r->c[C_PROV],
	         sizeof r->c[C_PROV], 24, 0);
	count_fmt(g->messages, r->c[C_MSGS], sizeof r->c[C_MSGS]);
	count_fmt(g->input, r->c[C_IN], sizeof r->c[C_IN]);
	count_fmt(g->cache_read, r->c[C_CREAD], sizeof r->c[C_CREAD]);
	count_fmt(g->cache_w5 + g->cache_w1, r->c[C_CWRITE], sizeof r->c[C_CWRITE]);
	count_fmt(g->reasoning, r->c[C_REASON], sizeof r->c[C_REASON]);
	count_fmt(g->output, r->c[C_OUT] + (g->estimated > 0),
	          sizeof r->c[C_OUT] - 1);
	if (g->estimated > 0)   /* some of it a guess: tokensEstimated */
		r->c[C_OUT][0] = '~';
	count_fmt(g->total, r->c[C_TOTAL], sizeof r->c[C_TOTAL]);
	cost_fmt(g, r->c[C_COST], sizeof r->c[C_COST]);
	count_fmt(g->unpriced, r->c[C_UNPRICED], sizeof r->c[C_UNPRICED]);
}

static void
human(cf_store *st, const struct groups *gs, const struct group *total)
{
	int show[NCOL] = {0}, w[NCOL];
	const char *h[NCOL];
	memcpy(h, heads, sizeof h);
	h[C_ID] = gs->by == BY_SESSION ? "ID" : gs->by == BY_PROVIDER ?
	          "PROVIDER" : "MODEL";
	h[C_NAME] = "NAME";
	show[C_ID] = 1;
	show[C_NAME] = gs->by == BY_SESSION;
	show[C_PROV] = gs->by != BY_PROVIDER;
	for (int c = C_MSGS; c <= C_COST; c++)
		show[c] = 1;
	/* what is priced apart, only when some reply had it */
	show[C_CREAD] = total->cache_read > 0;
	show[C_CWRITE] = total->cache_w5 + total->cache_w1 > 0;
	show[C_REASON] = total->reasoning > 0;
	show[C_UNPRICED] = total->unpriced > 0;

	size_t n = gs->n + 1;
	struct cells *rows = cf_xmalloc(sizeof *rows * n);
	for (size_t i = 0; i < gs->n; i++)
		fill(st, gs->by, &gs->g[i], &rows[i]);
	fill(st, BY_MODEL, total, &rows[gs->n]);
	snprintf(rows[gs->n].c[C_ID], sizeof rows[0].c[C_ID], "TOTAL");
	rows[gs->n].c[C_NAME][0] = rows[gs->n].c[C_PROV][0] = '\0';
	for (int c = 0; c < NCOL; c++) {
		w[c] = cf_width(h[c]);
		for (size_t i = 0; i < n; i++)
			if (cf_width(rows[i].c[c]) > w[c])
				w[c] = cf_width(rows[i].c[c]);
	}

	printf("%s", cf_c(CF_DIM));
	for (int c = 0, first = 1; c < NCOL; c++) {
		if (!show[c])
			continue;
		printf("%s", first ? "" : "  ");
		cf_pad(h[c], w[c], c >= C_MSGS);
		first = 0;
	}
	printf("%s\n", cf_c(CF_RESET));
	for (size_t i = 0; i < n; i++) {
		int is_total = i == gs->n;
		if (is_total)
			printf("%s", cf_c(CF_BOLD));
		for (int c = 0, first = 1; c < NCOL; c++) {
			if (!show[c])
				continue;
			printf("%s", first ? "" : "  ");
			if (c == C_ID && !is_total && gs->by == BY_SESSION)
				printf("%s", cf_c(CF_YELLOW));
			cf_pad(rows[i].c[c], w[c], c >= C_MSGS);
			if (c == C_ID && !is_total && gs->by == BY_SESSION)
				printf("%s", cf_c(CF_RESET));
			first = 0;
		}
		printf("%s\n", is_total ? cf_c(CF_RESET) : "");
		cf_out_check();
	}
	free(rows);
}

/* Records on stdin when it is a pipe, a socket or a file; a terminal, or
 * /dev/null as under cron, means every session. */
static int
stdin_has_records(void)
{
	struct stat sb;
	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &sb) != 0)
		return 0;
	return S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || S_ISREG(sb.st_mode);
}

int
main(int argc, char **argv)
{
	struct cf_usage_query q = {0};
	struct groups gs = {0};
	const char *db = NULL;
	int json = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	gs.by = BY_MODEL;
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case O_BY:
			if (!strcmp(optarg, "model"))
				gs.by = BY_MODEL;
			else if (!strcmp(optarg, "provider"))
				gs.by = BY_PROVIDER;
			else if (!strcmp(optarg, "session"))
				gs.by = BY_SESSION;
			else
				cf_usage_die("invalid --by '%s': expected model, provider or session", optarg);
			break;
		case O_SINCE:
			q.since = cf_when_arg("--since", optarg, 0);
			break;
		case O_UNTIL:
			q.until = cf_when_arg("--until", optarg, 1);
			break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}

	cf_store *st = cf_open(db, CF_STORE_READ);
	q.by_session = gs.by == BY_SESSION;
	q.sessions = jv_null();
	if (optind < argc || stdin_has_records())
		q.sessions = cf_ok(cf_sessions_from_args(st, argc - optind, argv + optind));
	cf_exit_on(cf_usage_list(st, &q, add_row, &gs));
	jv_free(q.sessions);
	if (gs.n > 1)
		qsort(gs.g, gs.n, sizeof *gs.g, cmp_group);

	struct group total = {0};
	for (size_t i = 0; i < gs.n; i++) {
		total.messages += gs.g[i].messages;
		total.input += gs.g[i].input;
		total.output += gs.g[i].output;
		total.total += gs.g[i].total;
		total.cost += gs.g[i].cost;
		total.unpriced += gs.g[i].unpriced;
		total.estimated += gs.g[i].estimated;
		total.cache_read += gs.g[i].cache_read;
		total.cache_w5 += gs.g[i].cache_w5;
		total.cache_w1 += gs.g[i].cache_w1;
		total.reasoning += gs.g[i].reasoning;
	}
	if (!json && cf_out_isatty()) {
		human(st, &gs, &total);
	} else {
		for (size_t i = 0; i < gs.n; i++)
			put_record(by_name[gs.by], &gs.g[i], gs.by == BY_SESSION);
		put_record("total", &total, 0);
	}

	for (size_t i = 0; i < gs.n; i++) {
		free(gs.g[i].key);
		free(gs.g[i].provider);
		free(gs.g[i].name);
	}
	free(gs.g);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
