/* cf_html_message: a message as the fragment chat-serve's page shows.  An
 * XSS corpus goes through it and each output must pass htmlcheck.h's
 * strict scan (tags and attributes from a short list, addresses http,
 * https, mailto or relative, every '<' of the text escaped, tags nested
 * and closed); then what should render does: a table, a task list, a
 * colored C block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spawn.h>

#include "unit.h"
#include "export.h"
#include "highlight.h"
#include "htmlcheck.h"

/* Case-insensitive, for "<script" and friends anywhere in the output. */
static int
has_ci(const char *h, const char *needle)
{
	size_t n = strlen(needle);
	for (; *h; h++)
		if (!strncasecmp(h, needle, n))
			return 1;
	return 0;
}

/* Every corpus output, each in a <div>, for xmllint to read as XML: a
 * second parser, not ours, must find it well formed (cmark writes XHTML:
 * "<br />", only XML's five entities and numeric ones). */
static FILE *xml;
static char xml_path[] = "/tmp/test-htmlmsg-XXXXXX";

static void
xml_check(void)
{
	fputs("</div>\n", xml);
	CHECK(fclose(xml) == 0);
	extern char **environ;
	char *argv[] = {"xmllint", "--noout", "--nonet", "--huge", xml_path, NULL};
	pid_t pid;
	if (posix_spawnp(&pid, "xmllint", NULL, NULL, argv, environ)) {
		fprintf(stderr, "test-htmlmsg: no xmllint (libxml2-utils): the XML check skipped\n");
	} else {
		int st = 0;
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	unlink(xml_path);
}

static char *
safe_n(const char *what, const char *md, size_t len)
{
	char *h = cf_html_message(md, len);
	if (xml && len < 4096)
		fprintf(xml, "<div>%s</div>\n", h);
	char err[200] = "";
	int ok = h && !html_check(h, err, sizeof err);
	if (!ok)
		fprintf(stderr, "unsafe for %.60s: %s\n", what, err);
	CHECK(ok);
	/* a tag the scan allows never starts with these */
	CHECK(!has_ci(h, "<script"));
	CHECK(!has_ci(h, "<img"));
	CHECK(!has_ci(h, "<svg"));
	CHECK(!has_ci(h, "<iframe"));
	CHECK(!has_ci(h, "<style"));
	CHECK(!has_ci(h, "style=\""));
	CHECK(cf_utf8_valid(h, strlen(h)));
	return h;
}

static char *
safe(const char *md)
{
	return safe_n(md, md, strlen(md));
}

static void
corpus(void)
{
	static const char *const xss[] = {
		"<script>alert(1)</script>",
		"<SCRIPT SRC=//x.example/x.js></SCRIPT>",
		"a <script>alert(1)</script> b",
		"<img src=x onerror=alert(1)>",
		"text <img src=x onerror=alert(1)> more",
		"<svg onload=alert(1)>",
		"<svg><script>alert(1)</script></svg>",
		"<div onmouseover=\"alert(1)\">hover</div>",
		"<iframe src=\"javascript:alert(1)\"></iframe>",
		"<style>body{display:none}</style>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<!-- <script>alert(1)</script> -->",
		"<?php echo 1; ?>",
		"<![CDATA[<script>alert(1)</script>]]>",
		"<details open ontoggle=alert(1)>",
		"[x](javascript:alert(1))",
		"[x](JAVASCRIPT:alert(1))",
		"[x](JavaScript:alert(1))",
		"[x](vbscript:msgbox(1))",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"[x](DATA:text/html,<script>alert(1)</script>)",
		"[x](file:///etc/passwd)",
		"[x](&#106;avascript:alert(1))",
		"[x](&#x6A;avascript:alert(1))",
		"[x](java&#x09;script:alert(1))",
		"[x](java&#x0A;script:alert(1))",
		"[x](java&Tab;script:alert(1))",
		"[x](<java\tscript:alert(1)>)",
		"[x](<\x01javascript:alert(1)>)",
		"[x](< javascript:alert(1)>)",
		"[x](%6Aavascript:alert(1))",
		"[x](jav\\ascript:alert(1))",
		"[x](javascript&colon;alert(1))",
		"[x]( javascript:alert(1) )",
		"[x](tel:123) [y](ftp://x.example/) [z](irc://x) [w](ws://x) [v](blob:x)",
		"![x](javascript:alert(1))",
		"![x](data:image/svg+xml,<svg onload=alert(1)>)",
		"![x\" onerror=\"alert(1)](http://x.example/a.png)",
		"![x](http://x.example/a.png \"t\\\" onerror=\\\"alert(1)\")",
		"[x](http://x.example/\"onmouseover=\"alert(1))",
		"[x](http://x.example/ \"a\\\" onmouseover=\\\"alert(1)\")",
		"[x](http://x.example/ 'a\" onmouseover=\"alert(1)')",
		"[x](<http://x.example/\"><script>alert(1)</script>>)",
		"[x]: javascript:alert(1)\n\n[x]",
		"[x]: http://x.example/ \"\\\"><script>alert(1)</script>\"\n\n[x]",
		"<javascript:alert(1)>",
		"<JAVASCRIPT:alert(1)>",
		"<vbscript:x>",
		"<data:text/html,<script>alert(1)</script>>",
		"<http://x.example/\"onmouseover=\"alert(1)>",
		"<a@b.example>",
		"www.x.example/<script>alert(1)</script>",
		"http://x.example/?a=\"><script>alert(1)</script>",
		"mailto:a@b.example?subject=<script>",
		"```\"><script>alert(1)</script>\nx\n```",
		"```c\" onmouseover=\"alert(1)\nint x;\n```",
		"```<script>\nx\n```",
		"~~~ '><img src=x onerror=alert(1)>\ncode\n~~~",
		"```c\n</code></pre><script>alert(1)</script>\n```",
		"    <script>alert(1)</script>",
		"`<script>alert(1)</script>`",
		"| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
		"| <b onclick=x>h</b> |\n|:-:|\n| [x](javascript:alert(1)) |",
		"- [ ] <script>alert(1)</script>\n- [x] <img src=x onerror=alert(1)>",
		"***<script>***alert(1)***</script>***",
		"*a **b _c ~~<svg onload=alert(1)>~~ c_ b** a*",
		"> <script>alert(1)</script>\n>> <img src=x onerror=alert(1)>",
		"# <script>alert(1)</script>",
		"Heading\n===\n<script>",
		"&lt;script&gt; &amp;lt; &#60;script&#62; &#x3C;svg onload=alert(1)&#x3E;",
		"\\<script>alert(1)\\</script>",
		"<scr<script>ipt>alert(1)</script>",
		"<<script>script>alert(1)<</script>/script>",
		"<a href=\"#\" onclick=\"alert(1)\">[x](http://y.example)</a>",
		"[<img src=x onerror=alert(1)>](http://x.example)",
		"[a](http://x.example)<script>",
		"a\0<script>alert(1)</script>",
		"\xff\xfe<script>\xc3",
		"\xc0\xbcscript\xc0\xbe alert(1)",
		"\xe0\x80\xbcscript>",
		"a\x1b[31mred\x7f\x01\x02\x08",
		"[x](javascript\x00:alert(1))",
		"1. <script>\n2. [y](vbscript:x)",
		"<table><tr><td onmouseover=alert(1)>x</td></tr></table>",
		"<form action=javascript:alert(1)><input type=submit>",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
		"[![x](javascript:alert(1))](javascript:alert(2))",
	};
	for (size_t i = 0; i < sizeof xss / sizeof *xss; i++) {
		free(safe(xss[i]));
	}
	/* strings with a NUL inside, given their whole length */
	static const char nul1[] = "a\0<script>alert(1)</script>";
	free(safe_n("nul1", nul1, sizeof nul1 - 1));
	static const char nul2[] = "[x](java\0script:alert(1)) <\0script>";
	free(safe_n("nul2", nul2, sizeof nul2 - 1));
	static const char nul3[] = "```c\0\"><script>\nint\0x;\n```";
	free(safe_n("nul3", nul3, sizeof nul3 - 1));
	free(safe_n("empty", "", 0));
	char *h = cf_html_message(NULL, 0);
	CHECK_STR(h, "");
	free(h);
}

/* What the corpus looks like on the way out, in a few exact places. */
static void
escaped(void)
{
	char *h = safe("<script>alert(1)</script>");
	CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	free(h);
	h = safe("a <img src=x onerror=alert(1)> b");
	CHECK(strstr(h, "<p>a &lt;img src=x onerror=alert(1)&gt; b</p>") != NULL);
	free(h);
	h = safe("[x](javascript:alert(1)) [y](https://ok.example/a?b=1&c=2 \"t\\\"q\")");
	CHECK(strstr(h, "<a href=\"\">x</a>") != NULL);
	CHECK(strstr(h, "<a href=\"https://ok.example/a?b=1&amp;c=2\" title=\"t&quot;q\">y</a>") != NULL);
	free(h);
	/* allowed: http, https, mailto, relative; anything else emptied */
	h = safe("[a](http://x.example) [b](mailto:a@b.example) [c](/rel/x) [d](#frag) [e](tel:1) [f](ftp://x)");
	CHECK(strstr(h, "href=\"http://x.example\"") != NULL);
	CHECK(strstr(h, "href=\"mailto:a@b.example\"") != NULL);
	CHECK(strstr(h, "href=\"/rel/x\"") != NULL);
	CHECK(strstr(h, "href=\"#frag\"") != NULL);
	CHECK(strstr(h, "<a href=\"\">e</a>") != NULL);
	CHECK(strstr(h, "<a href=\"\">f</a>") != NULL);
	free(h);
	/* an image is a link to it, never a request */
	h = safe("![alt](https://x.example/a.png)");
	CHECK(strstr(h, "<a href=\"https://x.example/a.png\">alt</a>") != NULL);
	free(h);
	h = safe("<div>\n<script>x</script>\n</div>");
	CHECK(strstr(h, "<pre><code>&lt;div&gt;") != NULL);
	free(h);
	h = safe("<https://x.example/a> and www.y.example and a@b.example");
	CHECK(strstr(h, "<a href=\"https://x.example/a\">https://x.example/a</a>") != NULL);
	CHECK(strstr(h, "<a href=\"http://www.y.example\">www.y.example</a>") != NULL);
	CHECK(strstr(h, "<a href=\"mailto:a@b.example\">a@b.example</a>") != NULL);
	free(h);
}

static void
rendered(void)
{
	char *h = safe("| a | b | c |\n|:--|:-:|--:|\n| 1 | **2** | `3` |\n");
	CHECK(strstr(h, "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n"
	                "<th align=\"center\">b</th>\n<th align=\"right\">c</th>") != NULL);
	CHECK(strstr(h, "<td align=\"center\"><strong>2</strong></td>") != NULL);
	CHECK(strstr(h, "<td align=\"right\"><code>3</code></td>") != NULL);
	free(h);
	h = safe("- [ ] open\n- [x] done\n- plain\n");
	CHECK(strstr(h, "<li><input type=\"checkbox\" disabled=\"\" /> open</li>") != NULL);
	CHECK(strstr(h, "<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> done</li>") != NULL);
	CHECK(strstr(h, "<li>plain</li>") != NULL);
	free(h);
	h = safe("~~gone~~ *em* **strong**\n\n# Title\n");
	CHECK(strstr(h, "<del>gone</del> <em>em</em> <strong>strong</strong>") != NULL);
	/* below the page's own headings, as the export puts them */
	CHECK(strstr(h, "<h3>Title</h3>") != NULL);
	free(h);
	h = safe("```c\nint main(void) { return 0; /* a < b */ }\n```\n");
	CHECK(strstr(h, "<pre data-lang=\"c\"><code class=\"language-c\">") != NULL);
	CHECK(strstr(h, "&lt; b") != NULL);
	cf_hl *hl = cf_hl_new("c");
	if (hl) {
		cf_hl_free(hl);
		CHECK(strstr(h, "<span class=\"hl-keyword\">return</span>") != NULL);
		CHECK(strstr(h, "<span class=\"hl-type\">int</span>") != NULL);
		CHECK(strstr(h, "<span class=\"hl-comment\">/* a &lt; b */</span>") != NULL);
		CHECK(strstr(h, "<span class=\"hl-number\">0</span>") != NULL);
	} else {
		fprintf(stderr, "test-htmlmsg: no C grammar (make grammars): colors not checked\n");
	}
	free(h);
	/* a language the highlighter lacks: plain, escaped, as cmark writes it */
	h = safe("```nosuchlang\n<a>&\n```\n");
	CHECK(strstr(h, "<pre data-lang=\"nosuchlang\"><code class=\"language-nosuchlang\">"
	                "&lt;a&gt;&amp;\n</code></pre>") != NULL);
	free(h);
	h = safe("```\nplain\n```\n");
	CHECK(strstr(h, "<pre><code>plain\n</code></pre>") != NULL);
	free(h);
	/* the class names are the theme's, '.' as '-' */
	CHECK_STR(cf_hl_class("function.method"), "function");
	CHECK_STR(cf_hl_class("string.special.regex"), "string.special");
	CHECK(cf_hl_class("punctuation.bracket") == NULL);
	CHECK(cf_hl_class(NULL) == NULL);
}

/* Megabytes and deep nesting: each finishes (no stack overflow under
 * ASan's larger frames) and still passes the scan. */
static char *
repeat(const char *unit, size_t times, const char *tail)
{
	size_t n = strlen(unit), t = strlen(tail);
	char *s = malloc(n * times + t + 1);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	memcpy(s + n * times, tail, t + 1);
	return s;
}

static void
big(void)
{
	static const struct {
		const char *unit;
		size_t times;
		const char *tail;
	} big[] = {
		{">", 100000, " x <script>"},
		{"[", 100000, "x](javascript:1)"},
		{"> ", 100000, "x"},
		{"- ", 50000, "x"},
		{"*", 100000, "<script>"},
		{"*a **", 100000, ""},
		{"[a](", 100000, ""},
		{"![", 100000, ""},
		{"<", 100000, ""},
		{"<script>", 131072, ""},
		{"[x](javascript:alert(1)) ", 40000, ""},
		{"a", 1 << 20, ""},
		{"`", 100000, ""},
		{"```c\n", 1, ""},
		{"| a ", 20000, "|\n|-|\n| x |\n"},
		{"|a|b|\n|-|-|\n", 1, ""},
		{"```json\n", 1, ""},
	};
	for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
		char *s = repeat(big[i].unit, big[i].times, big[i].tail);
		free(safe_n(big[i].unit, s, strlen(s)));
		free(s);
	}
	/* a table whose header promises 100 cells to 100,000 rows: tables off */
	char *head = repeat("| a ", 100, "|\n"), *delim = repeat("|-", 100, "|\n");
	char *rows = repeat("x\n", 100000, "");
	size_t n = strlen(head) + strlen(delim) + strlen(rows);
	char *s = malloc(n + 1);
	strcpy(stpcpy(stpcpy(s, head), delim), rows);
	char *h = safe_n("wide table", s, n);
	CHECK(!strstr(h, "<table>"));
	free(h);
	free(s);
	free(head);
	free(delim);
	free(rows);
	/* code a megabyte deep, one line and many */
	static const char *const deep[] = {"```c\n", "```json\n", "```html\n", "```python\n"};
	static const char *const fill[] = {"(", "[", "<a>", "[\n"};
	for (size_t i = 0; i < 4; i++) {
		char *body = repeat(fill[i], (1 << 20) / strlen(fill[i]), "");
		char *c = malloc(strlen(deep[i]) + strlen(body) + 1);
		strcpy(stpcpy(c, deep[i]), body);
		free(safe_n(deep[i], c, strlen(c)));
		free(c);
		free(body);
	}
}

/* The scan itself catches what it is there for. */
static void
checker(void)
{
	static const char *const bad[] = {
		"<script>x</script>", "<p onclick=\"x\">a</p>", "<a href=\"javascript:x\">a</a>",
		"<a href=\"&#106;avascript:x\">a</a>", "<a href=\" java\tscript:x\">a</a>",
		"<a href=\"data:x\">a</a>", "<img src=\"x\" />", "<p>a < b</p>", "<p>a & b</p>",
		"<p>a</div>", "<p>open", "<span class=\"x\">a</span>", "<span style=\"x\">a</span>",
		"<a href=x>a</a>", "<a title=\"a\"b\">a</a>", "<pre data-lang=\"c\" onclick=\"x\"></pre>",
		"<p>\x01</p>", "<td align=\"left;x\">a</td>",
	};
	char err[200];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(html_check(bad[i], err, sizeof err) == -1);
	CHECK(html_check("<p>a &lt; b &amp; <a href=\"https://x\" title=\"&quot;\">c</a></p>\n"
	                 "<ul>\n<li><input type=\"checkbox\" disabled=\"\" /> x</li>\n</ul>",
	                 err, sizeof err) == 0);
}

int
main(void)
{
	checker();
	int fd = mkstemp(xml_path);
	CHECK(fd >= 0 && (xml = fdopen(fd, "w")) != NULL);
	fputs("<div>\n", xml);
	corpus();
	escaped();
	rendered();
	xml_check();
	xml = NULL;
	big();
	return unit_done("test-htmlmsg");
}
