/* The price list: which entry a model name takes, what tokens cost, and a
 * missing or malformed list.  The list is read once per process, so each
 * case runs in a child of its own with its own CONFAB_PRICING. */
#include <fcntl.h>
#include <math.h>

#include "unit.h"
#include "confab.h"

static char dir[] = "/tmp/test-pricing-XXXXXX";
static char file[256], errfile[256];

static void
write_list(const char *text)
{
	FILE *f = fopen(file, "w");
	fputs(text, f);
	fclose(f);
}

/* Runs fn in a child with stderr in errfile; its checks count here. */
static void
in_child(void (*fn)(void))
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		exit(1);
	}
	fflush(NULL);
	pid_t p = fork();
	if (p == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		close(fd);
		close(fds[0]);
		unit_pass = unit_fail = 0;
		fn();
		fflush(NULL);
		if (unit_fail) {
			/* let the failures be seen */
			FILE *f = fopen(errfile, "r");
			int c;
			while (f && (c = getc(f)) != EOF)
				fputc(c, stdout);
			fflush(stdout);
		}
		int counts[2] = { unit_pass, unit_fail };
		ssize_t w = write(fds[1], counts, sizeof counts);
		_exit(w == (ssize_t)sizeof counts ? 0 : 1);
	}
	close(fds[1]);
	int counts[2] = {0, 0}, st = 0;
	ssize_t r = read(fds[0], counts, sizeof counts);
	close(fds[0]);
	waitpid(p, &st, 0);
	/* a child that died before reporting is one failure */
	CHECK(r == (ssize_t)sizeof counts && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unit_pass += counts[0];
	unit_fail += counts[1];
}

/* Lines in what the child wrote to stderr. */
static int
err_lines(const char *must_have)
{
	fflush(stderr);
	FILE *f = fopen(errfile, "r");
	char line[1024];
	int n = 0, found = !must_have;
	while (f && fgets(line, sizeof line, f)) {
		n++;
		if (must_have && strstr(line, must_have))
			found = 1;
	}
	if (f)
		fclose(f);
	return found ? n : -1;
}

static const char list[] =
	"{\"taken\": \"2025-12-01\", \"models\": {\n"
	" \"claude-sonnet-4\": {\"provider\": \"anthropic\", \"input\": 3, \"output\": 15},\n"
	" \"claude-sonnet-4-5\": {\"provider\": \"anthropic\", \"input\": 3.5, \"output\": 16},\n"
	" \"gpt-4o\": {\"provider\": \"openai\", \"input\": 2.5, \"output\": 10},\n"
	" \"gpt-4o-mini\": {\"provider\": \"openai\", \"input\": 0.15, \"output\": 0.6},\n"
	" \"o3\": {\"provider\": \"openai\", \"input\": 2, \"output\": 8},\n"
	" \"gemini-2.5-flash\": {\"provider\": \"gemini\", \"input\": 0.3, \"output\": 2.5},\n"
	" \"gemini-2.5-flash-lite\": {\"provider\": \"gemini\", \"input\": 0.1, \"output\": 0.4},\n"
	" \"free\": {\"provider\": \"gemini\", \"input\": 0, \"output\": 0}\n"
	"}}\n";

/* The input price model takes, or -1 when it has none. */
static double
in_price(const char *model)
{
	double in = -2, out = -2;
	if (!cf_price(model, &in, &out))
		return -1;
	return in;
}

static void
matching(void)
{
	double in, out;
	/* exact names */
	CHECK(cf_price("claude-sonnet-4", &in, &out) && in == 3 && out == 15);
	CHECK(cf_price("gpt-4o-mini", &in, &out) && in == 0.15 && out == 0.6);
	CHECK(cf_price("free", &in, &out) && in == 0 && out == 0);
	/* the longest name followed by '-' */
	CHECK(in_price("claude-sonnet-4-5-20250929") == 3.5);
	CHECK(in_price("claude-sonnet-4-20250514") == 3);
	CHECK(in_price("claude-sonnet-4-0") == 3);
	CHECK(in_price("gpt-4o-mini-2024-07-18") == 0.15);
	CHECK(in_price("gpt-4o-2024-08-06") == 2.5);
	CHECK(in_price("o3-mini") == 2);
	/* a prefix that does not end at a '-' is no match */
	CHECK(in_price("gpt-4o-minimal") == 2.5);
	CHECK(in_price("claude-sonnet-45") == -1);
	CHECK(in_price("gpt-4omni") == -1);
	CHECK(in_price("o30") == -1);
	/* names that are only a start of a listed one */
	CHECK(in_price("gpt-4") == -1);
	CHECK(in_price("claude") == -1);
	CHECK(in_price("gpt-4o-") == 2.5);
	/* Gemini's "models/" */
	CHECK(in_price("models/gemini-2.5-flash") == 0.3);
	CHECK(in_price("models/gemini-2.5-flash-lite-preview-06-17") == 0.1);
	CHECK(in_price("gemini-2.5-flash-preview-05-20") == 0.3);
	CHECK(in_price("models/") == -1);
	/* case counts; no name, empty name */
	CHECK(in_price("GPT-4o") == -1);
	CHECK(in_price("") == -1);
	CHECK(in_price(NULL) == -1);
	/* the price pointers may be NULL */
	CHECK(cf_price("o3", NULL, NULL) == 1);
	/* a good list says nothing */
	CHECK(err_lines(NULL) == 0);
}

static int
cost_is(jv c, double want)
{
	int ok = jv_get_kind(c) == JV_KIND_NUMBER && jv_number_value(c) == want;
	if (!ok && jv_get_kind(c) == JV_KIND_NUMBER)
		fprintf(stderr, "cost %.17g, want %.17g\n", jv_number_value(c), want);
	jv_free(c);
	return ok;
}

static int
is_null(jv c)
{
	int ok = jv_get_kind(c) == JV_KIND_NULL;
	jv_free(c);
	return ok;
}

static void
arithmetic(void)
{
	/* 100 in at $3.5/M and 50 out at $16/M */
	CHECK(cost_is(cf_cost("claude-sonnet-4-5-20250929", jv_number(100),
	                      jv_number(50)), 0.00115));
	CHECK(cost_is(cf_cost("claude-sonnet-4", jv_number(100), jv_number(50)),
	              0.00105));
	CHECK(cost_is(cf_cost("claude-sonnet-4", jv_number(1e6), jv_number(1e6)), 18));
	CHECK(cost_is(cf_cost("gpt-4o-mini", jv_number(1), jv_number(0)), 1.5e-7));
	CHECK(cost_is(cf_cost("gpt-4o", jv_number(0), jv_number(0)), 0));
	CHECK(cost_is(cf_cost("free", jv_number(123456), jv_number(654321)), 0));
	/* sums come out as the decimals they are */
	CHECK(cf_cost_of(1, 2, 0.1, 0.2) == 5e-7);
	CHECK(cf_cost_of(1000, 0, 0.05, 0) == 5e-5);
	CHECK(cf_cost_of(3, 3, 0.1, 0.1) == 6e-7);
	CHECK(cf_cost_of(0, 1, 0, 0.075) == 7.5e-8);
	/* a large session still adds up */
	CHECK(cf_cost_of(123456789, 98765432, 1.25, 10) ==
	      round((123456789 * 1.25 + 98765432 * 10.0) / 1e6 * 1e10) / 1e10);
	/* money as people read it: a fraction of a cent keeps its digits */
	char m[32];
	cf_money(0.0000186, m, sizeof m);
	CHECK(!strcmp(m, "$0.0000186"));
	cf_money(0.00999, m, sizeof m);
	CHECK(!strcmp(m, "$0.00999"));
	cf_money(0.01, m, sizeof m);
	CHECK(!strcmp(m, "$0.0100"));
	cf_money(12.34567, m, sizeof m);
	CHECK(!strcmp(m, "$12.3457"));
	cf_money(0, m, sizeof m);
	CHECK(!strcmp(m, "$0"));
	/* no price, or counts that are not counts: null */
	CHECK(is_null(cf_cost("llama3", jv_number(100), jv_number(50))));
	CHECK(is_null(cf_cost(NULL, jv_number(100), jv_number(50))));
	CHECK(is_null(cf_cost("gpt-4o", jv_null(), jv_number(50))));
	CHECK(is_null(cf_cost("gpt-4o", jv_number(100), jv_null())));
	CHECK(is_null(cf_cost("gpt-4o", jv_string("100"), jv_number(50))));
	CHECK(is_null(cf_cost("gpt-4o", jv_number(-1), jv_number(50))));
	CHECK(is_null(cf_cost("gpt-4o", jv_invalid(), jv_number(50))));
}

static void
missing(void)
{
	CHECK(cf_price("gpt-4o", NULL, NULL) == 0);
	CHECK(is_null(cf_cost("gpt-4o", jv_number(1), jv_number(1))));
	CHECK(is_null(cf_cost("claude-sonnet-4", jv_number(1), jv_number(1))));
	/* one line, once, naming the file */
	CHECK(err_lines("/no/such/pricing.json") == 1);
}

static void
not_json(void)
{
	CHECK(is_null(cf_cost("gpt-4o", jv_number(1), jv_number(1))));
	CHECK(is_null(cf_cost("gpt-4o", jv_number(1), jv_number(1))));
	CHECK(err_lines("malformed price list") == 1);
}

static void
no_models(void)
{
	CHECK(cf_price("gpt-4o", NULL, NULL) == 0);
	CHECK(cf_price("models", NULL, NULL) == 0);
	CHECK(err_lines("no \"models\"") == 1);
}

static void
bad_entries(void)
{
	double in, out;
	CHECK(cf_price("good", &in, &out) && in == 1 && out == 2);
	CHECK(cf_price("negative", NULL, NULL) == 0);
	CHECK(cf_price("text", NULL, NULL) == 0);
	CHECK(cf_price("no-output", NULL, NULL) == 0);
	CHECK(cf_price("not-an-object", NULL, NULL) == 0);
	/* a good entry still takes its dated names */
	CHECK(cf_price("good-2025", &in, NULL) && in == 1);
	CHECK(err_lines("malformed price list") == 1);
}

static void
shipped(void)
{
	/* the list in share/, as the programs find it from the build tree */
	double in, out;
	CHECK(cf_price("claude-sonnet-4-5-20250929", &in, &out) && in == 3 && out == 15);
	CHECK(cf_price("gpt-4o-mini-2024-07-18", &in, &out) && in == 0.15 && out == 0.6);
	CHECK(cf_price("gpt-4o-2024-08-06", &in, &out) && in == 2.5 && out == 10);
	CHECK(cf_price("models/gemini-2.5-flash-lite", &in, &out) && in == 0.1);
	CHECK(cf_price("claude-opus-4-1-20250805", &in, &out) && in == 15 && out == 75);
	CHECK(cf_price("o4-mini-2025-04-16", &in, &out) && in == 1.1 && out == 4.4);
	CHECK(err_lines(NULL) == 0);
}

/* Cache reads and writes and reasoning tokens, each at its price; a kind
 * the list leaves out at the price of what it is part of; figures that do
 * not add up never charged twice. */
static const char split_list[] =
	"{\"models\": {"
	"\"claude-x\": {\"input\": 3, \"output\": 15, \"cacheRead\": 0.3,"
	" \"cacheWrite5m\": 3.75, \"cacheWrite1h\": 6},"
	"\"o-x\": {\"input\": 2, \"output\": 8, \"cacheRead\": 0.5, \"reasoning\": 9},"
	"\"bad-x\": {\"input\": 1, \"output\": 2, \"cacheRead\": -1, \"reasoning\": \"9\"}}}";

static void
split(void)
{
	struct cf_prices p;
	CHECK(cf_prices("claude-x-20250929", &p));
	CHECK(p.input == 3 && p.output == 15 && p.cache_read == 0.3 &&
	      p.cache_write_5m == 3.75 && p.cache_write_1h == 6 && p.reasoning == 15);
	CHECK(cf_prices("o-x", &p));
	CHECK(p.cache_read == 0.5 && p.cache_write_5m == 2 && p.cache_write_1h == 2 &&
	      p.reasoning == 9);
	/* a price that is not a number of 0 or more falls back */
	CHECK(cf_prices("bad-x", &p));
	CHECK(p.cache_read == 1 && p.reasoning == 2);
	CHECK(!cf_prices("unlisted", &p) && p.input == 0 && p.reasoning == 0);

	CHECK(cf_prices("claude-x", &p));
	/* 10,000 in: 6,000 read, 2,000 + 1,000 written, 1,000 plain */
	CHECK(fabs(cf_cost_split(&p, 10000, 500, 6000, 2000, 1000, 0) -
	           (1000 * 3 + 6000 * 0.3 + 2000 * 3.75 + 1000 * 6 + 500 * 15) / 1e6) < 1e-12);
	/* without the kinds, what cf_cost_of says */
	CHECK(cf_cost_split(&p, 1000, 200, 0, 0, 0, 0) == cf_cost_of(1000, 200, 3, 15));
	/* more cached than the input: no plain input, none negative */
	CHECK(fabs(cf_cost_split(&p, 100, 0, 500, 0, 0, 0) - 500 * 0.3 / 1e6) < 1e-12);
	CHECK(cf_prices("o-x", &p));
	CHECK(fabs(cf_cost_split(&p, 4000, 1000, 3000, 0, 0, 800) -
	           (1000 * 2 + 3000 * 0.5 + 200 * 8 + 800 * 9) / 1e6) < 1e-12);

	/* from a reply's metadata (borrowed) */
	jv m = jv_parse("{\"inputTokens\": 4000, \"outputTokens\": 1000,"
	                " \"cacheReadTokens\": 3000, \"reasoningTokens\": 800}");
	jv c = cf_cost_meta("o-x", m);
	CHECK(jv_get_kind(c) == JV_KIND_NUMBER &&
	      fabs(jv_number_value(c) - (1000 * 2 + 3000 * 0.5 + 200 * 8 + 800 * 9) / 1e6) < 1e-12);
	jv_free(c);
	c = cf_cost_meta("unlisted", m);
	CHECK(jv_get_kind(c) == JV_KIND_NULL);
	jv_free(m);
	m = jv_parse("{\"inputTokens\": null, \"outputTokens\": 10}");
	c = cf_cost_meta("o-x", m);
	CHECK(jv_get_kind(c) == JV_KIND_NULL);
	jv_free(c);
	jv_free(m);
	/* strings and negatives in the kinds count as none */
	m = jv_parse("{\"inputTokens\": 100, \"outputTokens\": 10, \"cacheReadTokens\": \"50\","
	             " \"reasoningTokens\": -5}");
	c = cf_cost_meta("o-x", m);
	CHECK(jv_get_kind(c) == JV_KIND_NUMBER && jv_number_value(c) == cf_cost_of(100, 10, 2, 8));
	jv_free(c);
	jv_free(m);
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(file, sizeof file, "%s/pricing.json", dir);
	snprintf(errfile, sizeof errfile, "%s/stderr", dir);

	setenv("CONFAB_PRICING", file, 1);
	write_list(list);
	in_child(matching);
	in_child(arithmetic);

	write_list(split_list);
	in_child(split);
	write_list(list);

	setenv("CONFAB_PRICING", "/no/such/pricing.json", 1);
	in_child(missing);

	write_list("{\"models\": {\"gpt-4o\": {\"input\": 2.5,");
	setenv("CONFAB_PRICING", file, 1);
	in_child(not_json);
	write_list("{\"models\": [\"gpt-4o\"]}");
	in_child(no_models);
	write_list("{\"models\": {\"good\": {\"input\": 1, \"output\": 2},"
	           " \"negative\": {\"input\": -1, \"output\": 2},"
	           " \"text\": {\"input\": \"1\", \"output\": 2},"
	           " \"no-output\": {\"input\": 1},"
	           " \"not-an-object\": 3}}");
	in_child(bad_entries);

	/* make unit runs from the top of the tree */
	setenv("CONFAB_PRICING", "share/confab/pricing.json", 1);
	if (access("share/confab/pricing.json", R_OK) == 0)
		in_child(shipped);

	unlink(file);
	unlink(errfile);
	rmdir(dir);
	return unit_done("test-pricing");
}
