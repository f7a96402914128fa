/* Code highlighting from the tree-sitter grammars: named tokens get the
 * capture their language's queries give them, a line at a time. */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "hl_priv.h"

/* The capture covering byte at of the last line fed, or NULL. */
static const char *
at(const struct cf_span *sp, size_t n, size_t off)
{
	for (size_t i = 0; i < n; i++)
		if (sp[i].start <= off && off < sp[i].end)
			return sp[i].capture;
	return NULL;
}

/* Feeds src line by line; after line `line` (0-based) checks that the
 * first occurrence of tok on that line is wholly covered by one span of
 * capture want. */
struct expect {
	int line;
	const char *tok, *want;
};

static int
prefix_of(const char *capture, const char *want)
{
	size_t n = strlen(want);
	return capture && !strncmp(capture, want, n) && (capture[n] == '\0' || capture[n] == '.');
}

static void
lang(const char *name, const char *src, const struct expect *ex, size_t nex)
{
	cf_hl *h = cf_hl_new(name);
	CHECK(h != NULL);
	if (!h) {
		fprintf(stderr, "no highlighter for '%s'\n", name);
		return;
	}
	int line = 0;
	for (const char *p = src; *p; line++) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const struct cf_span *sp;
		size_t k = cf_hl_line(h, p, n, &sp);
		/* sorted, inside the line, not overlapping */
		for (size_t i = 0; i < k; i++)
			CHECK(sp[i].start < sp[i].end && sp[i].end <= n && (i == 0 || sp[i - 1].end <= sp[i].start));
		for (size_t i = 0; i < nex; i++) {
			if (ex[i].line != line)
				continue;
			const char *t = memmem(p, n, ex[i].tok, strlen(ex[i].tok));
			CHECK(t != NULL);
			if (!t)
				continue;
			size_t off = t - p, len = strlen(ex[i].tok);
			const char *c = at(sp, k, off);
			int whole = 1;
			for (size_t b = off; b < off + len; b++)
				whole &= at(sp, k, b) == c;
			if (!(prefix_of(c, ex[i].want) && whole))
				fprintf(stderr, "%s line %d: '%s' is %s, not %s\n", name, line, ex[i].tok,
				        c ? c : "plain", ex[i].want);
			CHECK(prefix_of(c, ex[i].want) && whole);
		}
		p += n + (e != NULL);
	}
	cf_hl_free(h);
}

#define LANG(name, src, ...) do { \
	static const struct expect ex_[] = {__VA_ARGS__}; \
	lang(name, src, ex_, sizeof ex_ / sizeof *ex_); \
} while (0)

static void
languages(void)
{
	LANG("c",
	     "#include <stdio.h>\n"
	     "/* a block\n"
	     "   comment */\n"
	     "int main(void) {\n"
	     "\tprintf(\"hi %d\\n\", 42); // say it\n"
	     "\treturn 0;\n"
	     "}\n",
	     {0, "#include", "keyword"}, {0, "<stdio.h>", "string"},
	     {2, "comment */", "comment"},
	     {3, "int", "type"}, {3, "main", "function"},
	     {4, "printf", "function"}, {4, "\"hi %d\\n\"", "string"}, {4, "42", "number"},
	     {4, "// say it", "comment"},
	     {5, "return", "keyword"});
	LANG("py",
	     "def greet(name):\n"
	     "    \"\"\"Say hello,\n"
	     "    twice.\"\"\"\n"
	     "    return print(f\"hi {name}\", 1.5)  # done\n",
	     {0, "def", "keyword"}, {0, "greet", "function"},
	     {2, "twice.", "string"},
	     {3, "return", "keyword"}, {3, "print", "function"}, {3, "1.5", "number"},
	     {3, "# done", "comment"});
	LANG("JSON",
	     "{\n"
	     "  \"name\": \"confab\",\n"
	     "  \"n\": 3, \"ok\": true, \"x\": null\n"
	     "}\n",
	     {1, "\"confab\"", "string"}, {2, "3", "number"}, {2, "true", "constant"},
	     {2, "null", "constant"});
}

static void
unknown(void)
{
	CHECK(cf_hl_new("brainfuck") == NULL);
	CHECK(cf_hl_new("") == NULL);
	CHECK(cf_hl_new(NULL) == NULL);
	const struct cf_span *sp = (const void *)1;
	CHECK(cf_hl_line(NULL, "x", 1, &sp) == 0 && sp == NULL);
	cf_hl_free(NULL);
	CHECK(strstr(cf_hl_languages(), "python (py") != NULL);
	CHECK(strcmp(cf_hl_ansi("keyword"), "") != 0);
	CHECK(!strcmp(cf_hl_ansi("function.method.builtin"), cf_hl_ansi("function")));
	CHECK(!strcmp(cf_hl_ansi("punctuation.bracket"), ""));
	CHECK(!strcmp(cf_hl_ansi(NULL), ""));
}

int
main(void)
{
	/* Built without grammars (no `make deps`), every fence is plain. */
	if (cf_hl_ngrammars == 0) {
		fprintf(stderr, "test-highlight: no grammars built, languages skipped\n");
		CHECK(cf_hl_new("c") == NULL && cf_hl_new("python") == NULL);
		CHECK(!strcmp(cf_hl_languages(), ""));
		return unit_done("test-highlight");
	}
	CHECK(cf_hl_ngrammars == 14);
	languages();
	unknown();
	return unit_done("test-highlight");
}
