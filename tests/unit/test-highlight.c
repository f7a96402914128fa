/* Code highlighting from the tree-sitter grammars: named tokens get the
 * capture their language's queries give them, a line at a time. */
#include <stdio.h>
#include <stdlib.h>
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

static int prefix_of(const char *capture, const char *want);

static int
word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* tok in the line, not as part of a longer name */
static const char *
find_tok(const char *p, size_t n, const char *tok)
{
	size_t k = strlen(tok);
	for (const char *t = p; (t = memmem(t, n - (t - p), tok, k)); t++)
		if ((t == p || !word(t[-1]) || !word(tok[0])) &&
		    (t + k == p + n || !word(t[k]) || !word(tok[k - 1])))
			return t;
	return NULL;
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
			const char *t = find_tok(p, n, ex[i].tok);
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


/* A snippet per language, with what its grammar's queries call a few of
 * its tokens; lines after the first of a multi-line comment or string are
 * checked too (the first cannot be known before the construct closes). */
static const struct snippet {
	const char *lang, *src;
	struct expect ex[12];
} snippets[] = {
	{"c",
	 "#include <stdio.h>\n"
	 "/* a block\n"
	 "   comment */\n"
	 "int main(void) {\n"
	 "\tprintf(\"hi %d\\n\", 42); // say it\n"
	 "\treturn 0;\n"
	 "}\n",
	 {{0, "#include", "keyword"}, {0, "<stdio.h>", "string"}, {2, "comment */", "comment"},
	  {3, "int", "type"}, {3, "main", "function"}, {4, "printf", "function"},
	  {4, "\"hi %d\\n\"", "string"}, {4, "42", "number"}, {4, "// say it", "comment"},
	  {5, "return", "keyword"}}},
	{"C++",
	 "#include <vector>\n"
	 "class Box {\n"
	 " public:\n"
	 "  T get() const { return value_; } // ok\n"
	 "  std::string name = \"box\";\n"
	 "};\n",
	 {{0, "#include", "keyword"}, {1, "class", "keyword"}, {1, "Box", "type"},
	  {2, "public", "keyword"}, {3, "get", "function"}, {3, "return", "keyword"},
	  {3, "// ok", "comment"}, {4, "\"box\"", "string"}}},
	{"py",
	 "def greet(name):\n"
	 "    \"\"\"Say hello,\n"
	 "    twice.\"\"\"\n"
	 "    return print(f\"hi {name}\", 1.5)  # done\n",
	 {{0, "def", "keyword"}, {0, "greet", "function"}, {2, "twice.", "string"},
	  {3, "return", "keyword"}, {3, "print", "function"}, {3, "1.5", "number"},
	  {3, "# done", "comment"}}},
	{"js",
	 "const x = require(\"fs\");\n"
	 "/* multi\n"
	 "   line */\n"
	 "function add(a, b) {\n"
	 "  return a + b * 2; // sum\n"
	 "}\n",
	 {{0, "const", "keyword"}, {0, "\"fs\"", "string"}, {2, "line */", "comment"},
	  {3, "function", "keyword"}, {3, "add", "function"}, {4, "return", "keyword"},
	  {4, "2", "number"}, {4, "// sum", "comment"}}},
	{"ts",
	 "interface User { name: string; age?: number }\n"
	 "export function f(u: User): void {\n"
	 "  console.log(`hi ${u.name}`);\n"
	 "}\n",
	 {{0, "interface", "keyword"}, {0, "User", "type"}, {0, "string", "type"},
	  {1, "export", "keyword"}, {1, "f", "function"}, {2, "log", "function"},
	  {2, "`hi ", "string"}}},
	{"tsx",
	 "const App = () => <div className=\"x\">{n}</div>;\n",
	 {{0, "const", "keyword"}, {0, "div", "tag"}, {0, "className", "attribute"},
	  {0, "\"x\"", "string"}}},
	{"golang",
	 "package main\n"
	 "\n"
	 "func f() int {\n"
	 "\tx := len(\"a\") // c\n"
	 "\treturn 1\n"
	 "}\n",
	 {{0, "package", "keyword"}, {2, "func", "keyword"}, {2, "f", "function"},
	  {2, "int", "type"}, {3, "len", "function"}, {3, "\"a\"", "string"},
	  {3, "// c", "comment"}, {4, "return", "keyword"}, {4, "1", "number"}}},
	{"rs",
	 "fn main() {\n"
	 "    let mut v: Vec<i32> = Vec::new(); // c\n"
	 "    println!(\"{}\", 42);\n"
	 "}\n",
	 {{0, "fn", "keyword"}, {1, "let", "keyword"}, {1, "mut", "keyword"},
	  {1, "Vec", "type"}, {1, "new", "function"}, {1, "// c", "comment"},
	  {2, "println!", "function"}, {2, "\"{}\"", "string"}}},
	{"java",
	 "public class Hello {\n"
	 "  // greet\n"
	 "  public static void main(String[] args) {\n"
	 "    System.out.println(\"hi\" + 1);\n"
	 "  }\n"
	 "}\n",
	 {{0, "public", "keyword"}, {0, "class", "keyword"}, {0, "Hello", "type"},
	  {1, "// greet", "comment"}, {2, "static", "keyword"}, {2, "main", "function"},
	  {3, "println", "function"}, {3, "\"hi\"", "string"}, {3, "1", "number"}}},
	{"zsh",
	 "#!/bin/sh\n"
	 "for f in *.c; do\n"
	 "  echo \"file: $f\" # say\n"
	 "  if [ -n \"$X\" ]; then exit 1; fi\n"
	 "done\n",
	 {{0, "#!/bin/sh", "comment"}, {1, "for", "keyword"}, {1, "do", "keyword"},
	  {2, "echo", "function"}, {2, "\"file: ", "string"}, {2, "# say", "comment"},
	  {3, "if", "keyword"}, {3, "then", "keyword"}, {3, "fi", "keyword"},
	  {4, "done", "keyword"}}},
	{"JSON",
	 "{\n"
	 "  \"name\": \"confab\",\n"
	 "  \"n\": 3, \"ok\": true, \"x\": null\n"
	 "}\n",
	 {{1, "\"confab\"", "string"}, {2, "3", "number"}, {2, "true", "constant"},
	  {2, "null", "constant"}}},
	{"html",
	 "<!DOCTYPE html>\n"
	 "<html lang=\"en\">\n"
	 "<!-- a\n"
	 " comment -->\n"
	 "<p class=\"x\">Hi</p>\n"
	 "</html>\n",
	 {{1, "html", "tag"}, {1, "lang", "attribute"}, {1, "en", "string"},
	  {3, "comment -->", "comment"}, {4, "p", "tag"}, {4, "class", "attribute"},
	  {5, "html", "tag"}}},
	{"css",
	 "/* top */\n"
	 "body > .main, #id {\n"
	 "  color: #ff0000;\n"
	 "  margin: 0 auto !important;\n"
	 "}\n"
	 "@media screen { a:hover { width: 10px; } }\n",
	 {{0, "/* top */", "comment"}, {1, "body", "tag"}, {2, "color", "property"},
	  {3, "0", "number"}, {3, "!important", "keyword"}, {5, "@media", "keyword"}}},
	{"rb",
	 "require \"json\"\n"
	 "# comment\n"
	 "class Foo < Bar\n"
	 "  def hi(name)\n"
	 "    puts \"hi #{name}\", :sym, 42, nil\n"
	 "  end\n"
	 "end\n",
	 {{0, "require", "function"}, {0, "\"json\"", "string"}, {1, "# comment", "comment"},
	  {2, "class", "keyword"}, {2, "Foo", "constructor"}, {3, "def", "keyword"},
	  {4, ":sym", "string"}, {4, "42", "number"}, {4, "nil", "constant"},
	  {5, "end", "keyword"}}},
};

static void
languages(void)
{
	for (size_t i = 0; i < sizeof snippets / sizeof *snippets; i++) {
		size_t n = 0;
		while (n < 12 && snippets[i].ex[n].tok)
			n++;
		lang(snippets[i].lang, snippets[i].src, snippets[i].ex, n);
	}
}

/* Streaming promises a line what a parse of the block up to that line
 * gives it: feed line by line, and compare each line's spans with those
 * of a fresh highlighter given the lines so far in one piece. */
static void
prefixes(const char *name, const char *src)
{
	cf_hl *h = cf_hl_new(name);
	CHECK(h != NULL);
	if (!h)
		return;
	int same = 1;
	for (const char *p = src; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const struct cf_span *a, *b;
		size_t na = cf_hl_line(h, p, n, &a);
		cf_hl *w = cf_hl_new(name);
		size_t start = p - src;
		/* the block so far, its last newline left for cf_hl_line to add */
		cf_hl_line(w, src, start + n, &b);
		size_t nb = cf_hl_range(w, start, start + n, &b);
		int eq = na == nb;
		for (size_t i = 0; eq && i < na; i++)
			eq = a[i].start == b[i].start && a[i].end == b[i].end && !strcmp(a[i].capture, b[i].capture);
		if (!eq)
			fprintf(stderr, "%s: line '%.*s': %zu spans a line at a time, %zu whole\n",
			        name, (int)n, p, na, nb);
		same &= eq;
		cf_hl_free(w);
		p += n + (e != NULL);
	}
	CHECK(same);
	cf_hl_free(h);
}

static void
streaming(void)
{
	for (size_t i = 0; i < sizeof snippets / sizeof *snippets; i++)
		prefixes(snippets[i].lang, snippets[i].src);
}

/* 10,000 lines, one at a time: what tree-sitter reads per line (in the
 * 512-byte pieces it is handed) and the steps its parser takes must not
 * grow with the block. */
static void
grows(const char *name, const char *open, const char *fmt, const char *tok, const char *want)
{
	enum { N = 10000 };
	cf_hl *h = cf_hl_new(name);
	CHECK(h != NULL);
	if (!h)
		return;
	const struct cf_span *sp;
	cf_hl_count_steps(h);
	if (open)
		cf_hl_line(h, open, strlen(open), &sp);
	size_t early = 0, late = 0, searly = 0, slate = 0, ok = 0;
	for (int i = 0; i < N; i++) {
		char line[128];
		int n = snprintf(line, sizeof line, fmt, i, i);
		size_t before = cf_hl_bytes_read(h), steps = cf_hl_steps(h);
		size_t k = cf_hl_line(h, line, n, &sp);
		size_t read = cf_hl_bytes_read(h) - before;
		steps = cf_hl_steps(h) - steps;
		if (i >= N / 10 && i < N / 5) {
			early += read;
			searly += steps;
		}
		if (i >= N - N / 10) {
			late += read;
			slate += steps;
		}
		/* still colored at the end */
		const char *t = strstr(line, tok);
		if (i >= N - 100 && t)
			ok += prefix_of(at(sp, k, t - line), want);
	}
	if (!(late <= early + early / 2 + 4096))
		fprintf(stderr, "%s: %zu bytes read in lines 1,000-2,000, %zu in 9,000-10,000\n", name, early, late);
	CHECK(late <= early + early / 2 + 4096);
	if (!(slate <= searly + searly / 2 + 1000))
		fprintf(stderr, "%s: %zu parser steps in lines 1,000-2,000, %zu in 9,000-10,000\n", name, searly, slate);
	CHECK(slate <= searly + searly / 2 + 1000);
	CHECK(searly > 0);
	CHECK(ok == 100);
	CHECK(cf_hl_restarts(h) > 0);
	cf_hl_free(h);
}

static void
flat(void)
{
	/* top-level items: a restart at each */
	grows("c", NULL, "int x%d = %d; /* c */", "int", "type");
	grows("python", NULL, "x%d = f(%d)  # c", "# c", "comment");
	/* one function that never closes: a restart every window */
	grows("c", "int main(void) {", "\tint x%d = g(%d); // c", "// c", "comment");
	grows("json", "[", "  {\"k%d\": [%d, \"v\"]},", "\"v\"", "string");
}

/* Any bytes at all, in every language: spans stay sorted and inside their
 * line (and ASan sees every scanner's reads). */
static void
garbage(void)
{
	static const char punct[] = "{}()[]<>\"'`/*#$=;:\\ \tabc1.-!@%&|?";
	unsigned x = 12345;
	for (size_t g = 0; g < cf_hl_ngrammars; g++) {
		cf_hl *h = cf_hl_new(cf_hl_grammars[g].name);
		CHECK(h != NULL);
		if (!h)
			continue;
		int good = 1;
		for (int i = 0; i < 80; i++) {
			char line[64];
			size_t n = (x = x * 1103515245 + 12345) >> 16 & 63;
			for (size_t b = 0; b < n; b++) {
				x = x * 1103515245 + 12345;
				/* mostly the language's punctuation, sometimes any byte */
				line[b] = (x >> 16) % 8 ? punct[(x >> 8) % (sizeof punct - 1)] : (char)(x >> 20);
			}
			const struct cf_span *sp;
			size_t k = cf_hl_line(h, line, n, &sp);
			for (size_t j = 0; j < k; j++)
				good &= sp[j].start < sp[j].end && sp[j].end <= n &&
				        (j == 0 || sp[j - 1].end <= sp[j].start) && sp[j].capture != NULL;
		}
		CHECK(good);
		cf_hl_free(h);
	}
}

/* Nesting past what libtree-sitter survives (it aborted on each of these
 * at 100,000 deep): brackets go plain past the bound, a chain of
 * expressions is bounded by the document's bytes, and a line too long to
 * color leaves the next one colored. */
static void
deep(void)
{
	/* 70 lines of 2,000 bytes: one document of 140,000 bytes before */
	static const struct {
		const char *lang, *unit;
	} fills[] = {
		{"json", "["}, {"python", "("}, {"javascript", "{\"a\":"}, {"html", "<b>"},
		{"python", "<a>"}, {"c", "a+"},
	};
	for (size_t i = 0; i < sizeof fills / sizeof *fills; i++) {
		cf_hl *h = cf_hl_new(fills[i].lang);
		CHECK(h != NULL);
		if (!h)
			continue;
		size_t u = strlen(fills[i].unit), n = 0;
		char line[2000];
		while (n + u < sizeof line) {
			memcpy(line + n, fills[i].unit, u);
			n += u;
		}
		const struct cf_span *sp;
		for (int k = 0; k < 70; k++)
			cf_hl_line(h, line, n, &sp);
		cf_hl_free(h);
	}
	/* 256 brackets deep is colored, past it plain from there on */
	cf_hl *h = cf_hl_new("python");
	const struct cf_span *sp;
	char open[300];
	memset(open, '(', sizeof open);
	CHECK(cf_hl_line(h, "x = 1", 5, &sp) > 0);
	cf_hl_line(h, open, 256, &sp);
	size_t k = cf_hl_line(h, "1)", 2, &sp);
	CHECK(prefix_of(at(sp, k, 0), "number"));
	cf_hl_line(h, open, sizeof open, &sp);
	CHECK(cf_hl_line(h, "x = 1", 5, &sp) == 0);
	cf_hl_free(h);
	/* <li> and <p> close themselves: 300 of them are no nesting */
	h = cf_hl_new("html");
	char items[1500];
	for (int i = 0; i < 300; i++)
		memcpy(items + 5 * i, "<li>x", 5);
	cf_hl_line(h, items, sizeof items, &sp);
	k = cf_hl_line(h, "<b>y</b>", 8, &sp);
	CHECK(prefix_of(at(sp, k, 1), "tag"));
	cf_hl_free(h);
	/* a 5,000-byte line is plain; the line after it colored */
	h = cf_hl_new("c");
	char *lng = malloc(5001);
	memset(lng, ' ', 5000);
	memcpy(lng, "int", 3);
	CHECK(cf_hl_line(h, lng, 5000, &sp) == 0);
	k = cf_hl_line(h, "int x;", 6, &sp);
	CHECK(prefix_of(at(sp, k, 0), "type"));
	free(lng);
	cf_hl_free(h);
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
	streaming();
	flat();
	garbage();
	deep();
	unknown();
	return unit_done("test-highlight");
}
