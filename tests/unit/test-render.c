/* test-render.c — the terminal renderer (lib/render.c): every construct
 * drawn as expected, the same bytes however the text is cut, widths by
 * display cells, nothing the model wrote reaching the terminal as an
 * escape, and lines that keep to the width. */
#include "unit.h"

#include "confab.h"
#include "render.h"

struct sink {
	char *p;
	size_t n, cap;
};

static void
put(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;
	if (k->n + n + 1 > k->cap) {
		k->cap = 2 * (k->n + n) + 64;
		k->p = realloc(k->p, k->cap);
	}
	memcpy(k->p + k->n, s, n);
	k->n += n;
	k->p[k->n] = '\0';
}

/* The text drawn: fed whole (step 0), in steps of step bytes, or (step
 * < 0) in pseudo-random pieces seeded by -step.  Caller frees. */
static char *
draw(const char *md, int width, int color, int links, int step)
{
	struct sink k = {0};
	put(&k, "", 0);
	struct cf_render_opt o = {width, color, links, put, &k};
	cf_render *r = cf_render_new(&o);
	size_t n = strlen(md);
	unsigned seed = (unsigned)-step;
	for (size_t i = 0; i < n;) {
		size_t c = step > 0 ? (size_t)step : n;
		if (step < 0) {
			seed = seed * 1103515245u + 12345u;
			c = (seed >> 16) % 13;
			if (c == 0)
				cf_render_feed(r, md + i, 0);
		}
		if (c == 0)
			c = 1;
		if (c > n - i)
			c = n - i;
		cf_render_feed(r, md + i, c);
		i += c;
	}
	cf_render_finish(r);
	cf_render_free(r);
	return k.p;
}

static int
check_draw(const char *md, int width, const char *want, int line)
{
	char *got = draw(md, width, 0, 0, 0);
	int ok = !strcmp(got, want);
	if (!ok)
		fprintf(stderr, "line %d: drew\n%s---\nexpected\n%s---\n", line, got, want);
	free(got);
	return ok;
}
#define DRAWS(md, width, want) CHECK(check_draw(md, width, want, __LINE__))

/* Every escape in s is one of ours: SGR (ESC [ digits and ; m), or
 * OSC 8 with an address of printable ASCII ended by ESC \; no other
 * control character than newline. */
static int
escapes_ours(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			return 0;
		if (*p == '\n')
			continue;
		if (*p == 0x7f)
			return 0;
		if (*p >= 0x20)
			continue;
		if (*p != 0x1b)
			return 0;
		if (p[1] == '[') {
			p += 2;
			while ((*p >= '0' && *p <= '9') || *p == ';')
				p++;
			if (*p != 'm')
				return 0;
		} else if (!strncmp((const char *)p + 1, "]8;;", 4)) {
			p += 5;
			while (*p > 0x20 && *p < 0x7f)
				p++;
			if (p[0] != 0x1b || p[1] != '\\')
				return 0;
			p++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* s without its escapes (as escapes_ours reads them). */
static char *
visible(const char *s)
{
	char *o = malloc(strlen(s) + 1), *q = o;
	for (const char *p = s; *p; p++) {
		if (*p == 0x1b && p[1] == '[') {
			p += 2;
			while (*p && *p != 'm')
				p++;
			continue;
		}
		if (*p == 0x1b && p[1] == ']') {
			p += 2;
			while (*p && !(p[0] == 0x1b && p[1] == '\\'))
				p++;
			if (*p)
				p++;
			continue;
		}
		*q++ = *p;
	}
	*q = '\0';
	return o;
}

/* The widest line of s, in cells, escapes not counted. */
static int
widest(const char *s)
{
	char *v = visible(s);
	int max = 0;
	for (char *l = v; *l;) {
		char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		int w = cf_cells(l, n);
		if (w > max)
			max = w;
		l += n + (e != NULL);
	}
	free(v);
	return max;
}

static const char every[] =
	"# Title of the reply\n"
	"\n"
	"Some *emphasis*, **strong**, ~~struck~~ and `inline code`, with a "
	"[link](https://example.org/x) and <https://auto.example/>. This "
	"paragraph is long enough to be wrapped.\n"
	"\n"
	"## Second\n"
	"### Third\n"
	"- one\n"
	"- two\n"
	"  - nested\n"
	"- [ ] todo\n"
	"- [x] done\n"
	"\n"
	"1. first\n"
	"2. second\n"
	"\n"
	"   more of the second\n"
	"\n"
	"> quoted\n"
	"> > nested quote\n"
	"\n"
	"***\n"
	"| Name | 値 | n |\n"
	"|:-----|:--:|--:|\n"
	"| alpha | 日本語 | 1 |\n"
	"| 🎉 party | x | 12345 |\n"
	"\n"
	"```python\n"
	"def f(x):\n"
	"\treturn x + 1\n"
	"```\n"
	"    indented code\n"
	"\n"
	"    more of it\n"
	"Setext\n"
	"======\n"
	"text  \n"
	"broken\r\n"
	"cr line\r"
	"<div>html</div>\n"
	"\n"
	"~~~\n"
	"unclosed fence\n";

static void
test_constructs(void)
{
	DRAWS("# Title\n", 40, "Title\n═════\n");
	DRAWS("## Sub\n", 40, "Sub\n───\n");
	DRAWS("#### Deep\n", 40, "#### Deep\n");
	DRAWS("Setext\n===\n", 40, "Setext\n══════\n");
	DRAWS("para *em* **st** ~~del~~ `code`\n", 40, "para em st ~~del~~ `code`\n");
	DRAWS("a\n\nb\n", 40, "a\n\nb\n");
	DRAWS("one\ntwo\n", 40, "one two\n");
	DRAWS("one\\\ntwo\n", 40, "one\ntwo\n");
	DRAWS("- a\n- b\n  - c\n    - d\n", 40, "• a\n• b\n  ◦ c\n    ▪ d\n");
	DRAWS("* a\n\n* b\n", 40, "• a\n\n• b\n");
	DRAWS("1. x\n2. y\n", 40, "1. x\n2. y\n");
	DRAWS("9. x\n10. y\n", 40, " 9. x\n10. y\n");
	DRAWS("3) x\n", 40, "3) x\n");
	DRAWS("- [ ] t\n- [x] d\n", 40, "• [ ] t\n• [x] d\n");
	/* a word that ends on the last cell stays on its line */
	DRAWS("aaa bbb ccc\n", 10, "aaa bbb\nccc\n");
	DRAWS("aaaaa bbbb ccc\n", 10, "aaaaa bbbb\nccc\n");
	DRAWS("- a long item that wraps\n", 12, "• a long\n  item that\n  wraps\n");
	DRAWS("-\n- b\n", 40, "• \n• b\n");
	DRAWS("> q\n> r\n>\n> s\n", 40, "┃ q r\n┃\n┃ s\n");
	DRAWS("> a\n> > b\n", 40, "┃ a\n┃\n┃ ┃ b\n");
	DRAWS("> - x\n>   - y\n", 40, "┃ • x\n┃   ◦ y\n");
	DRAWS("---\n", 20, "────────────────────\n");
	DRAWS("a\n* * *\nb\n", 10, "a\n\n──────────\n\nb\n");
	DRAWS("[l](https://e.org)\n", 40, "l (https://e.org)\n");
	DRAWS("<https://e.org>\n", 40, "https://e.org\n");
	DRAWS("<a@b.org>\n", 40, "a@b.org\n");
	DRAWS("![pic](https://e.org/p.png)\n", 40, "[image: pic] (https://e.org/p.png)\n");
	DRAWS("|a|b|\n|-|-:|\n|日本|1|\n", 40,
	      "┌──────┬───┐\n"
	      "│ a    │ b │\n"
	      "├──────┼───┤\n"
	      "│ 日本 │ 1 │\n"
	      "└──────┴───┘\n");
	DRAWS("| l | c | r |\n|:--|:-:|--:|\n| x | y | z |\n| long | long | long |\n", 40,
	      "┌──────┬──────┬──────┐\n"
	      "│ l    │  c   │    r │\n"
	      "├──────┼──────┼──────┤\n"
	      "│ x    │  y   │    z │\n"
	      "│ long │ long │ long │\n"
	      "└──────┴──────┴──────┘\n");
	/* too wide: the widest column is cut down and its cells wrap */
	DRAWS("| k | v |\n|---|---|\n| a | one two three four |\n", 20,
	      "┌───┬──────────────┐\n"
	      "│ k │ v            │\n"
	      "├───┼──────────────┤\n"
	      "│ a │ one two      │\n"
	      "│   │ three four   │\n"
	      "└───┴──────────────┘\n");
	DRAWS("```sh\necho hi\n```\n", 20,
	      "╭─ sh ──────────────\n│ echo hi\n╰───────────────────\n");
	DRAWS("```\nx\n\n\ty\n```\n", 12,
	      "╭───────────\n│ x\n│ \n│     y\n╰───────────\n");
	DRAWS("    code\n\n    more\n", 12,
	      "╭───────────\n│ code\n│ \n│ more\n╰───────────\n");
	DRAWS("```c\nabcdefghijklmnop\n```\n", 12,
	      "╭─ c ───────\n│ abcdefghij\n│ klmnop\n╰───────────\n");
	DRAWS("- item\n\n  ```\n  in\n\n  item\n  ```\n", 12,
	      "• item\n\n  ╭─────────\n  │ in\n  │ \n  │ item\n  ╰─────────\n");
	DRAWS("para\n```\ncode\n```\nafter\n", 12,
	      "para\n\n╭───────────\n│ code\n╰───────────\n\nafter\n");
	/* a fence left open is closed at the end */
	DRAWS("~~~ruby\nputs 1\n", 12, "╭─ ruby ────\n│ puts 1\n╰───────────\n");
	DRAWS("<div>html</div>\n", 40, "<div>html</div>\n");
	DRAWS("", 40, "");
	DRAWS("\n\n\n", 40, "");
	/* CRLF and a lone CR end lines as LF does */
	DRAWS("a\r\nb\r\rc\n", 40, "a b\n\nc\n");
	/* a list goes on over blank lines while its lines are indented */
	DRAWS("1. a\n\n   more\n2. b\n", 40, "1. a\n\n   more\n\n2. b\n");
	/* headings close at once, and the paragraph before them */
	DRAWS("text\n# H\ntext\n", 40, "text\n\nH\n═\n\ntext\n");
}

static void
test_color_and_links(void)
{
	char *s = draw("*i* **b** ~~s~~ `c`\n", 40, 1, 0, 0);
	CHECK_STR(s, "\033[3mi\033[0m \033[1mb\033[0m \033[9ms\033[0m \033[33mc\033[0m\n");
	free(s);
	s = draw("[l](https://e.org/a)\n", 40, 0, 1, 0);
	CHECK_STR(s, "\033]8;;https://e.org/a\033\\l\033]8;;\033\\\n");
	free(s);
	s = draw("[l](https://e.org/a)\n", 40, 1, 1, 0);
	CHECK_STR(s, "\033[4;34m\033]8;;https://e.org/a\033\\l\033]8;;\033\\\033[0m\n");
	free(s);
	/* an address to no web or mail place is shown, not linked */
	s = draw("[l](file:///etc/passwd)\n", 40, 0, 1, 0);
	CHECK_STR(s, "l (file:///etc/passwd)\n");
	free(s);
	/* a link cut by the wrap is closed at the line's end, opened again
	 * on the next */
	s = draw("[aaaa bbbb cccc](https://e.org)\n", 10, 0, 1, 0);
	CHECK_STR(s, "\033]8;;https://e.org\033\\aaaa bbbb\033]8;;\033\\\n"
	             "\033]8;;https://e.org\033\\cccc\033]8;;\033\\\n");
	free(s);
	/* spaces and non-ASCII in an address are percent-encoded */
	s = draw("[x](<https://e.org/a b/é>)\n", 40, 0, 1, 0);
	CHECK_STR(s, "\033]8;;https://e.org/a%20b/%C3%A9\033\\x\033]8;;\033\\\n");
	free(s);
	s = draw("# H\n", 40, 1, 0, 0);
	CHECK_STR(s, "\033[1;35mH\033[0m\n\033[2m═\033[0m\n");
	free(s);
}

static void
test_chunking(void)
{
	for (int mode = 0; mode < 4; mode++) {
		int color = mode & 1, links = mode >> 1;
		char *whole = draw(every, 50, color, links, 0);
		CHECK(strlen(whole) > 500);
		char *bytes = draw(every, 50, color, links, 1);
		CHECK_STR(bytes, whole);
		free(bytes);
		/* line by line */
		struct sink k = {0};
		put(&k, "", 0);
		struct cf_render_opt o = {50, color, links, put, &k};
		cf_render *r = cf_render_new(&o);
		for (const char *p = every; *p;) {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
			cf_render_feed(r, p, n);
			p += n;
		}
		cf_render_finish(r);
		cf_render_free(r);
		CHECK_STR(k.p, whole);
		free(k.p);
		for (int seed = 1; seed <= 20; seed++) {
			char *s = draw(every, 50, color, links, -seed);
			CHECK(!strcmp(s, whole));
			free(s);
		}
		CHECK(escapes_ours(whole));
		free(whole);
	}
}

static void
test_streams(void)
{
	/* code is drawn a line at a time; a paragraph once it is closed */
	struct sink k = {0};
	put(&k, "", 0);
	struct cf_render_opt o = {30, 0, 0, put, &k};
	cf_render *r = cf_render_new(&o);
	cf_render_feed(r, "Hello", 5);
	CHECK(k.n == 0);
	cf_render_feed(r, " world\n", 7);
	CHECK(k.n == 0);
	cf_render_feed(r, "\n", 1);
	CHECK_STR(k.p, "Hello world\n");
	cf_render_feed(r, "## Now\n", 7);
	CHECK_STR(k.p, "Hello world\n\nNow\n───\n");
	k.n = 0;
	cf_render_feed(r, "```c\nint x", 10);
	CHECK(strstr(k.p, "╭─ c ") != NULL);
	CHECK(strstr(k.p, "int") == NULL);
	cf_render_feed(r, ";\n", 2);
	CHECK(strstr(k.p, "│ int x;\n") != NULL);
	k.n = 0;
	k.p[0] = '\0';
	/* a new width for what comes after */
	cf_render_set_width(r, 12);
	cf_render_feed(r, "```\n", 4);
	CHECK_STR(k.p, "╰───────────\n");
	cf_render_finish(r);
	cf_render_free(r);
	free(k.p);
}

static void
test_widths(void)
{
	/* every line of the table as wide as the others, in cells */
	char *s = draw("| a | b |\n|---|---|\n| 日本語 | x |\n| 🎉🎉 | é́ |\n| ab | c |\n",
	               40, 1, 0, 0);
	char *v = visible(s);
	int w0 = -1, same = 1, lines = 0;
	for (char *l = v; *l; lines++) {
		char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		int w = cf_cells(l, n);
		if (w0 < 0)
			w0 = w;
		same &= w == w0;
		l += n + (e != NULL);
	}
	CHECK(same);
	CHECK(lines == 7);
	CHECK(w0 == 14);
	free(v);
	free(s);
	CHECK(cf_cells("日本語", strlen("日本語")) == 6);
	CHECK(cf_cells("🎉", strlen("🎉")) == 2);
	CHECK(cf_cells("e\xcc\x81", 3) == 1);
	CHECK(cf_cells("\xff" "a", 2) == 2);
	/* wide characters wrap by their cells */
	DRAWS("日本語日本語日本語\n", 10, "日本語日本\n語日本語\n");
}

static void
test_escapes(void)
{
	static const char *const evil[] = {
		"red \033[31mtext\033[0m and \033]0;title\007 and \xc2\x9b" "2J\n",
		"[click](https://e.org/\033]8;;https://evil\033\\)\n",
		"[x](https://e.org/\x07\x1b[2J)\n",
		"<https://e.org/\033[31m>\n",
		"# head \033[5m\n",
		"```\033[31mlang\ncode \033[2J \x7f \x01\n```\n",
		"```c\ncode \033[2J\n",
		"| a\033[1m | b |\n|---|---|\n| \033]8;;x\033\\ | \x9b |\n",
		"`code \033[31m`\n",
		"- item \033c\n",
		"> quote \033[H\n",
		"text \xff\xfe invalid \xe6\x97 cut\n",
	};
	for (size_t i = 0; i < sizeof evil / sizeof *evil; i++) {
		for (int mode = 0; mode < 4; mode++) {
			char *s = draw(evil[i], 40, mode & 1, mode >> 1, 0);
			if (!escapes_ours(s))
				fprintf(stderr, "case %zu mode %d: %s\n", i, mode, s);
			CHECK(escapes_ours(s));
			CHECK(strstr(s, "evil\033") == NULL);
			free(s);
		}
	}
	/* what was an escape is shown as U+FFFD, the rest kept */
	char *s = draw("a\033[31mb\n", 40, 0, 0, 0);
	CHECK_STR(s, "a\xef\xbf\xbd[31mb\n");
	free(s);
	s = draw("[click](https://e.org/\033x)\n", 40, 0, 1, 0);
	CHECK_STR(s, "\033]8;;https://e.org/%1Bx\033\\click\033]8;;\033\\\n");
	free(s);
}

static void
test_long_and_narrow(void)
{
	char word[301];
	memset(word, 'w', 300);
	word[300] = '\0';
	char md[400];
	snprintf(md, sizeof md, "a %s b\n", word);
	char *s = draw(md, 20, 0, 0, 0);
	/* a, then the word in lines of 20, then what is left of it and b */
	CHECK(!strncmp(s, "a\nwwwwwwwwwwwwwwwwwwww\n", 23));
	CHECK(widest(s) == 20);
	char *v = visible(s);
	size_t ws = 0;
	for (char *p = v; *p; p++)
		ws += *p == 'w';
	CHECK(ws == 300);
	free(v);
	free(s);
	for (int w = 10; w <= 40; w++) {
		s = draw(every, w, 1, 1, 0);
		int wd = widest(s);
		if (wd > w)
			fprintf(stderr, "width %d: a line of %d\n", w, wd);
		CHECK(wd <= w);
		CHECK(escapes_ours(s));
		free(s);
	}
	/* deep nesting indents no further than half the width */
	char deep[2100] = "";
	for (int i = 0; i < 500; i++)
		strcat(deep, "> ");
	strcat(deep, "deep\n");
	s = draw(deep, 20, 0, 0, 0);
	CHECK(widest(s) <= 20);
	CHECK(strstr(s, "deep") != NULL);
	free(s);
	/* a table too wide for two cells a column: a row as lines */
	DRAWS("| a | b | c |\n|---|---|---|\n| 1 | 2 | 3 |\n| x | y | z |\n", 10,
	      "a: 1\nb: 2\nc: 3\n\na: x\nb: y\nc: z\n");
	/* a width too small is taken as 10 */
	s = draw("---\n", 3, 0, 0, 0);
	CHECK_STR(s, "──────────\n");
	free(s);
}

static void
test_highlight(void)
{
	/* with a highlighter for C: the spans it gives are the colors drawn */
	cf_hl *h = cf_hl_new("c");
	if (!h)
		return;
	const struct cf_span *sp;
	size_t n = cf_hl_line(h, "return 0;", 9, &sp);
	CHECK(n > 0);
	cf_hl_free(h);
	char *s = draw("```c\nreturn 0;\n```\n", 40, 1, 0, 0);
	CHECK(strstr(s, "\033[35mreturn\033[0m") != NULL);
	free(s);
	s = draw("```c\nreturn 0;\n```\n", 40, 0, 0, 0);
	CHECK(strstr(s, "│ return 0;\n") != NULL);
	free(s);
}

int
main(void)
{
	test_constructs();
	test_color_and_links();
	test_chunking();
	test_streams();
	test_widths();
	test_escapes();
	test_long_and_narrow();
	test_highlight();
	return unit_done("test-render");
}
