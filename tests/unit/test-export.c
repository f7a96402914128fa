/* The pieces the export formats share: safe file names, pipe tables,
 * format names, and each text format run over a real store, under the
 * sanitizers (the renderers rebuild cmark's tree as they go). */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "export.h"

static void
safe_names(void)
{
	static const struct { const char *in, *ext, *want; } cases[] = {
		{"notes", "md", "notes.md"},
		{"../../etc/passwd", "md", "etc-passwd.md"},
		{"..", "txt", "session.txt"},
		{"", "pdf", "session.pdf"},
		{".hidden", "md", "hidden.md"},
		{"evil\nname\r\t", "md", "evil-name.md"},
		{"a/b\\c:d*e?f\"g<h>i|j", "html", "a-b-c-d-e-f-g-h-i-j.html"},
		{"中文 مرحبا Ελληνικά", "md", "中文 مرحبا Ελληνικά.md"},
		{"trailing dots...", "json", "trailing dots.json"},
		{"no ext", "", "no ext"},
		{"invoice\u202Efdp.exe", "json", "invoice-fdp.exe.json"},
		{"zero\u200Bwidth\uFEFF", "md", "zero-width.md"},
		{"CON", "md", "CON_.md"},
		{"nul.txt", "md", "nul_.txt.md"},
		{"com1", "", "com1_"},
		{"console", "md", "console.md"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = cf_safe_name(cases[i].in, cases[i].ext);
		CHECK_STR(got, cases[i].want);
		free(got);
	}
	/* long names are cut at 100 bytes, on a character's boundary */
	char longname[400];
	memset(longname, 0, sizeof longname);
	for (int i = 0; i < 100; i++)
		strcat(longname, "é");   /* two bytes each */
	char *got = cf_safe_name(longname, "md");
	CHECK(strlen(got) == 100 + 3);
	CHECK(strncmp(got, longname, 100) == 0);
	free(got);
	strcpy(longname, "x");
	for (int i = 0; i < 60; i++)
		strcat(longname, "€");   /* three bytes: 1 + 33 * 3 = 100 fits, 34 not */
	got = cf_safe_name(longname, "");
	CHECK(strlen(got) == 100);
	free(got);
}

static jv
table_of(const char *md)
{
	cmark_node *doc = cf_md_parse(md, strlen(md), NULL);
	jv t = cf_md_table(cmark_node_first_child(doc));
	cmark_node_free(doc);
	return t;
}

static void
tables(void)
{
	jv t = table_of("| a | b |\n|---|:-:|\n| 1 | `x|y` |\n| 3 | 4 |\n");
	CHECK(jv_is_valid(t));
	jv want = jv_parse("[[\"a\",\"b\"],[\"1\",\"`x|y`\"],[\"3\",\"4\"]]");
	CHECK(jv_equal(jv_copy(t), want));
	jv_free(t);

	t = table_of("a | b\n--- | ---\n1 | 2\n");   /* outer pipes are optional */
	CHECK(jv_is_valid(t) && jv_array_length(jv_copy(t)) == 2);
	jv_free(t);
	t = table_of("a | b\n---\n");   /* a setext heading */
	CHECK(!jv_is_valid(t));
	t = table_of("| a | b |\n| 1 | 2 |\n");       /* no delimiter row */
	CHECK(!jv_is_valid(t));
	t = table_of("just | a pipe\n");
	CHECK(!jv_is_valid(t));
	t = table_of("|a|\n|-|\n");
	CHECK(jv_is_valid(t) && jv_array_length(jv_copy(t)) == 1);
	jv_free(t);
}

static void
names(void)
{
	CHECK(cf_format_named("markdown") == &cf_fmt_markdown);
	CHECK(cf_format_named("MD") == &cf_fmt_markdown);
	CHECK(cf_format_named("txt") == &cf_fmt_plaintext);
	CHECK(cf_format_named("rtf") == NULL);
	CHECK(cf_format_for_path("a/b.c/out.PDF") == &cf_fmt_pdf);
	CHECK(cf_format_for_path("out.docx") == &cf_fmt_docx);
	CHECK(cf_format_for_path("dir.md/noext") == NULL);
	CHECK(cf_format_for_path("trailing.") == NULL);
	char when[40];
	cf_when_human("2026-11-24T09:44:40.140Z", when);
	CHECK_STR(when, "2026-11-24 09:44:40 UTC");
}

static char dir[] = "/tmp/confab-unit-export-XXXXXX";

/* Every text format over one session holding what breaks renderers. */
static void
formats(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/chat.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv s = jv_object();
	s = jv_object_set(s, jv_string("name"), jv_string("weird\nname <b>"));
	s = cf_session_insert(st, s);
	static const char *const contents[] = {
		"", "# H1\n\n## H2\n\n###### H6", "<script>alert(1)</script>\n\ntext <b>x</b>",
		"![img](http://example.com/x.png) [js](javascript:alert(1))",
		"| a | b |\n|---|---|\n| <i>1</i> | 2 |", "> quote\n> > nested\n\n- a\n  - b\n    1. c",
		"```\nno lang\n```\n\n```js\nx\n```", "中文 مرحبا 😀 Ελληνικά",
	};
	for (size_t i = 0; i < sizeof contents / sizeof *contents; i++) {
		jv m = jv_object();
		m = jv_object_set(m, jv_string("role"), jv_string(i % 2 ? "assistant" : "user"));
		m = jv_object_set(m, jv_string("content"), jv_string(contents[i]));
		jv_free(cf_message_insert(st, cf_jstr(s, "id"), m));
	}
	const struct cf_format *fs[] = {&cf_fmt_markdown, &cf_fmt_json, &cf_fmt_plaintext,
	                                &cf_fmt_html};
	struct cf_xopt o = {.metadata = 1, .timestamps = 1, .header_level = 5,
	                    .code_lang = "sh", .width = 20};
	for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);
		CHECK(cf_export_session(st, jv_copy(s), fs[i], &o, f) == 0);
		fclose(f);
		CHECK(n > 0);
		if (fs[i] == &cf_fmt_html) {
			CHECK(!strstr(buf, "<script"));
			CHECK(!strstr(buf, "<img"));
			CHECK(!strstr(buf, "javascript:"));
			CHECK(!strstr(buf, "<b>"));
			CHECK(strstr(buf, "&lt;script&gt;") != NULL);
			CHECK(strstr(buf, "<table>") != NULL);
			CHECK(strstr(buf, "&lt;i&gt;1&lt;/i&gt;") != NULL);
			CHECK(strstr(buf, "<pre data-lang=\"sh\"><code class=\"language-sh\">no lang") != NULL);
			CHECK(strstr(buf, "<h6>H6</h6>") != NULL);
		}
		if (fs[i] == &cf_fmt_plaintext) {
			for (char *l = buf; *l;) {
				char *e = strchr(l, '\n');
				size_t len = e ? (size_t)(e - l) : strlen(l);
				int w = 0;
				for (size_t k = 0; k < len; k++)
					w += ((unsigned char)l[k] & 0xc0) != 0x80;
				CHECK(w <= 20);
				if (w > 20)
					fprintf(stderr, "too wide: %.*s\n", (int)len, l);
				l += len + (e ? 1 : 0);
			}
		}
		if (fs[i] == &cf_fmt_json) {
			jv d = jv_parse(buf);
			CHECK(jv_get_kind(d) == JV_KIND_OBJECT);
			jv msgs = jv_object_get(d, jv_string("messages"));
			CHECK(jv_array_length(msgs) == (int)(sizeof contents / sizeof *contents));
		}
		if (fs[i] == &cf_fmt_markdown) {
			/* the title at 5, messages at 6, their headings no deeper */
			CHECK(strstr(buf, "##### weird name \\<b\\>\n") != NULL);
			CHECK(strstr(buf, "###### User") != NULL);
			CHECK(strstr(buf, "```sh\nno lang") != NULL);
			CHECK(strstr(buf, "```js\nx") != NULL);
		}
		free(buf);
	}
	jv_free(s);
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 1;
	safe_names();
	tables();
	names();
	formats();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-export");
}
