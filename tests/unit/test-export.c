/* The pieces the export formats share: safe file names, pipe tables,
 * format names, and each text format run over a real store, under the
 * sanitizers (the renderers rebuild cmark's tree as they go). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "cmd.h"
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

/* The first block of md's tree, with the document to free. */
static cmark_node *
first_of(const char *md, cmark_node **doc)
{
	*doc = cf_md_parse(md, strlen(md), NULL);
	return cmark_node_first_child(*doc);
}

/* The plain text of a table's cell at row r, column c. */
static char *
cell_at(cmark_node *tbl, int r, int c)
{
	cmark_node *row = cmark_node_first_child(tbl);
	while (row && r--)
		row = cmark_node_next(row);
	cmark_node *cell = row ? cmark_node_first_child(row) : NULL;
	while (cell && c--)
		cell = cmark_node_next(cell);
	return cell ? cf_md_plain(cell) : strdup("(none)");
}

static void
tables(void)
{
	cmark_node *doc, *t;
	char *s;
	t = first_of("| a | b | c | d |\n|---|:-:|--:|:--|\n| 1 | `x\\|y` | ~~no~~ | 中文 |\n| 3 |\n", &doc);
	CHECK(cf_md_is(t, "table"));
	CHECK(cf_md_columns(t) == 4);
	CHECK(cf_md_align(t, 0) == 0 && cf_md_align(t, 1) == 'c' &&
	      cf_md_align(t, 2) == 'r' && cf_md_align(t, 3) == 'l');
	CHECK(cf_md_align(t, 4) == 0 && cf_md_align(t, -1) == 0);
	cmark_node *head = cmark_node_first_child(t);
	CHECK(cf_md_is_row(head) && cf_md_header_row(head));
	CHECK(cf_md_is_row(cmark_node_next(head)) && !cf_md_header_row(cmark_node_next(head)));
	/* the escaped pipe is the code span's, and no cell boundary */
	s = cell_at(t, 1, 1);
	CHECK_STR(s, "x|y");
	free(s);
	s = cell_at(t, 1, 2);
	CHECK_STR(s, "~~no~~");
	free(s);
	s = cell_at(t, 1, 3);
	CHECK_STR(s, "中文");
	free(s);
	/* a short row is filled out to the grid */
	s = cell_at(t, 2, 3);
	CHECK_STR(s, "");
	free(s);
	cmark_node_free(doc);

	t = first_of("a | b\n--- | ---\n1 | 2\n", &doc);   /* outer pipes are optional */
	CHECK(cf_md_is(t, "table") && cf_md_columns(t) == 2);
	cmark_node_free(doc);
	t = first_of("a | b\n---\n", &doc);   /* a setext heading */
	CHECK(!cf_md_is(t, "table") && cmark_node_get_type(t) == CMARK_NODE_HEADING);
	cmark_node_free(doc);
	t = first_of("| a | b |\n| 1 | 2 |\n", &doc);       /* no delimiter row */
	CHECK(!cf_md_is(t, "table") && cf_md_columns(t) == 0);
	cmark_node_free(doc);
	t = first_of("|a|\n|-|\n", &doc);
	CHECK(cf_md_is(t, "table") && cf_md_columns(t) == 1);
	cmark_node_free(doc);

	/* task items and the rest of what models write */
	t = first_of("- [ ] open\n- [x] done\n- plain\n", &doc);
	cmark_node *it = cmark_node_first_child(t);
	CHECK(cf_md_task(it) == 0);
	CHECK(cf_md_task(cmark_node_next(it)) == 1);
	CHECK(cf_md_task(cmark_node_next(cmark_node_next(it))) == -1);
	cmark_node_free(doc);
	t = first_of("see www.example.com and https://x.org/a ~~old~~ new\n", &doc);
	CHECK(cmark_node_get_type(cmark_node_next(cmark_node_first_child(t))) == CMARK_NODE_LINK);
	s = cf_md_plain(t);
	CHECK_STR(s, "see www.example.com and https://x.org/a ~~old~~ new");
	free(s);
	cmark_node_free(doc);
	CHECK(cf_link_says("http://www.x.org", "www.x.org"));
	CHECK(cf_link_says("mailto:a@b.org", "a@b.org"));
	CHECK(cf_link_says("https://x.org", "https://x.org"));
	CHECK(!cf_link_says("https://x.org", "docs"));
	CHECK(!cf_link_says("https://www.x.org", "www.x.org"));
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

/* Session s in format fmt, in memory (n bytes, malloc'd). */
static char *
export_mem(cf_store *st, jv s, const struct cf_format *fmt, const struct cf_xopt *o,
           size_t *n)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);
	jv r = cf_export_session(st, jv_copy(s), fmt, o, f, "memory");
	CHECK(jv_is_valid(r));
	jv_free(r);
	fclose(f);
	return buf;
}

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
		"| 名前 | n |\n|:-:|--:|\n| 中文字 😀 | `a\\|b` |\n| ~~x~~ |\n\n- [ ] a\n- [x] b www.x.org\n"
		"\n> - | q |\n>   |---|\n>   | [l](javascript:x) <i>y</i> |",
	};
	for (size_t i = 0; i < sizeof contents / sizeof *contents; i++) {
		jv m = jv_object();
		m = jv_object_set(m, jv_string("role"), jv_string(i % 2 ? "assistant" : "user"));
		m = jv_object_set(m, jv_string("content"), jv_string(contents[i]));
		jv_free(cf_message_insert(st, cf_jstr(s, "id"), m));
	}
	const struct cf_format *fs[] = {&cf_fmt_markdown, &cf_fmt_json, &cf_fmt_plaintext,
	                                &cf_fmt_html, &cf_fmt_docx};
	/* (pdf is not here: fontconfig's caches, the process's for good,
	 * are leaks to LeakSanitizer; tests/110-export-pdf.bats has it) */
	struct cf_xopt o = {.metadata = 1, .timestamps = 1, .header_level = 5,
	                    .code_lang = "sh", .width = 20};
	for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
		size_t n;
		char *buf = export_mem(st, s, fs[i], &o, &n);
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
			CHECK(strstr(buf, "<th align=\"center\">名前</th>") != NULL);
			CHECK(strstr(buf, "<td align=\"right\"><code>a|b</code></td>") != NULL);
			CHECK(strstr(buf, "<del>x</del>") != NULL);
			CHECK(strstr(buf, "<input type=\"checkbox\" checked=\"\" disabled=\"\" /> b") != NULL);
			CHECK(strstr(buf, "<a href=\"http://www.x.org\">www.x.org</a>") != NULL);
			CHECK(strstr(buf, "<blockquote>\n<ul>\n<li>\n<table>") != NULL);
			CHECK(strstr(buf, "&lt;i&gt;y&lt;/i&gt;") != NULL);
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
		if (fs[i] == &cf_fmt_plaintext) {
			CHECK(strstr(buf, "- [x] b www.x.org\n") != NULL);
			CHECK(strstr(buf, "- [ ] a\n") != NULL);
		}
		if (fs[i] == &cf_fmt_docx)
			CHECK(!strncmp(buf, "PK", 2));
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

/* --history's earlier versions and the notes as comments, in every
 * format but PDF, under the sanitizers: versions parsed and moved into
 * the message's tree, DOCX's measuring walk and its comments. */
static void
marks(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/marks.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv s = cf_session_insert(st, jv_object_set(jv_object(), jv_string("name"), jv_string("m")));
	static const char rec[] =
		"{\"role\":\"assistant\",\"content\":\"Some *emphasised words* and `code`, "
		"[a link](https://x.org)\\n\\n| t | u |\\n|---|---|\\n| in a | cell |\","
		"\"metadata\":{\"edits\":[{\"content\":\"# old\\n\\n```\\nopen fence\","
		"\"timestamp\":\"2026-11-24T07:51:00.000Z\",\"editedBy\":\"alice\"},"
		"{\"content\":\"\",\"timestamp\":\"2026-11-24T07:52:00.000Z\",\"kind\":\"retry\"}],"
		"\"notes\":[{\"id\":\"a\",\"author\":\"A \\\"<&>\\\"\",\"timestamp\":\"2026-11-24T08:05:00.000Z\","
		"\"text\":\"x\\ny\",\"quote\":\"words and\\ncode, a\"},"
		"{\"id\":\"b\",\"author\":\"b\",\"timestamp\":\"\",\"text\":\"t\",\"quote\":\"a cell\"},"
		"{\"id\":\"c\",\"author\":\"\",\"timestamp\":\"x\",\"text\":\"\",\"quote\":\"nowhere\"}]}}";
	jv_free(cf_message_insert(st, cf_jstr(s, "id"), jv_parse(rec)));
	jv empty = jv_parse("{\"role\":\"user\",\"content\":\"\",\"metadata\":{\"notes\":"
	                    "[{\"id\":\"d\",\"author\":\"d\",\"timestamp\":\"\",\"text\":\"on nothing\"}]}}");
	jv_free(cf_message_insert(st, cf_jstr(s, "id"), empty));
	const struct cf_format *fs[] = {&cf_fmt_markdown, &cf_fmt_json, &cf_fmt_plaintext,
	                                &cf_fmt_html, &cf_fmt_docx};
	struct cf_xopt o = {.header_level = 1, .width = 80, .history = 1, .lean = 1};
	for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
		size_t n;
		char *buf = export_mem(st, s, fs[i], &o, &n);
		if (fs[i] == &cf_fmt_docx) {
			/* the part's name is in the zip's directory as written */
			CHECK(memmem(buf, n, "word/comments.xml", 17) != NULL);
		} else if (fs[i] == &cf_fmt_json) {
			CHECK(strstr(buf, "\"edits\":[{\"content\":\"# old") != NULL);
		} else {
			CHECK(strstr(buf, "version 1 of 3 \u00b7 replaced 2026-11-24 07:51:00 UTC by alice") != NULL);
			CHECK(strstr(buf, "version 2 of 3 \u00b7 retried 2026-11-24 07:52:00 UTC") != NULL);
			CHECK(strstr(buf, "version 3 of 3 \u00b7 current") != NULL);
			CHECK(strstr(buf, "open fence") != NULL);
		}
		free(buf);
	}
	jv_free(s);
	cf_store_close(st);
}

/* The status and message of an error, and that it was one. */
static int
is_error(jv e, int status, const char *part)
{
	if (jv_is_valid(e)) {
		jv_free(e);
		return 0;
	}
	jv m = cf_error_message(e);
	int ok = cf_error_status(e) == status && strstr(jv_string_value(m), part) != NULL;
	if (!ok)
		fprintf(stderr, "error %d: %s\n", cf_error_status(e), jv_string_value(m));
	jv_free(m);
	jv_free(e);
	return ok;
}

/* Every refusal comes back as a value, and the process goes on. */
static void
errors(void)
{
	struct cf_xrun r = {.opt = {.header_level = 1, .width = 80}};
	CHECK(is_error(cf_export_plan(&r, "rtf", NULL), CF_EX_USAGE, "unknown format 'rtf'"));
	r.output = "x.zip";
	CHECK(is_error(cf_export_plan(&r, NULL, "tar.gz"), CF_EX_USAGE, "does not match"));
	CHECK(is_error(cf_export_plan(&r, NULL, "rar"), CF_EX_USAGE, "invalid --archive 'rar'"));
	r.output = "x.what";
	CHECK(is_error(cf_export_plan(&r, NULL, NULL), CF_EX_USAGE, "cannot tell the format"));
	r.output = "";
	CHECK(is_error(cf_export_plan(&r, NULL, NULL), CF_EX_USAGE, "empty file name"));
	r.output = "a.tar.zst";
	CHECK(jv_is_valid(cf_export_plan(&r, NULL, NULL)));
	CHECK(r.archive == CF_ARC_TZST && r.fmt == &cf_fmt_markdown);
	r.output = "a/b.HTML";
	CHECK(jv_is_valid(cf_export_plan(&r, NULL, NULL)));
	CHECK(r.archive == CF_ARC_NONE && r.fmt == &cf_fmt_html);

	char path[256], out[300];
	snprintf(path, sizeof path, "%s/chat.db", dir);
	cf_store *st = cf_open(path, CF_STORE_WRITE | CF_STORE_CREATE);
	jv s = cf_session_insert(st, jv_object_set(jv_object(), jv_string("name"), jv_string("e")));
	jv two = jv_array_append(jv_array_append(jv_array(), jv_copy(s)), jv_copy(s));
	r = (struct cf_xrun){.fmt = &cf_fmt_markdown, .opt = {.header_level = 1, .width = 80}};
	CHECK(is_error(cf_export_run(st, jv_copy(two), &r), CF_EX_USAGE, "2 sessions go into one archive"));
	r.fmt = &cf_fmt_pdf;
	r.tty = 1;
	CHECK(is_error(cf_export_run(st, jv_array_append(jv_array(), jv_copy(s)), &r),
	               CF_EX_USAGE, "pdf is not for a terminal"));
	r.output = dir;
	CHECK(is_error(cf_export_run(st, jv_array_append(jv_array(), jv_copy(s)), &r),
	               CF_EX_FAIL, "Is a directory"));
	r.output = path;
	CHECK(is_error(cf_export_run(st, jv_array_append(jv_array(), jv_copy(s)), &r),
	               CF_EX_USAGE, "is the store itself"));
	snprintf(out, sizeof out, "%s/no/such/dir/x.md", dir);
	r.output = out;
	CHECK(is_error(cf_export_run(st, jv_array_append(jv_array(), jv_copy(s)), &r),
	               CF_EX_FAIL, "No such file or directory"));
	/* a full disk: the device is written in place, and the write fails */
	r.output = "/dev/full";
	r.fmt = &cf_fmt_markdown;
	CHECK(is_error(cf_export_run(st, jv_array_append(jv_array(), jv_copy(s)), &r),
	               CF_EX_FAIL, "writing /dev/full: No space left on device"));
	r.archive = CF_ARC_ZIP;
	CHECK(is_error(cf_export_run(st, jv_copy(two), &r), CF_EX_FAIL, "writing /dev/full"));

	/* and what works: an archive of both, then a file given up */
	snprintf(out, sizeof out, "%s/both.zip", dir);
	r.output = out;
	CHECK(jv_is_valid(cf_export_run(st, jv_copy(two), &r)));
	FILE *z = fopen(out, "rb");
	char pk[2] = {0};
	CHECK(z && fread(pk, 1, 2, z) == 2 && pk[0] == 'P' && pk[1] == 'K');
	if (z)
		fclose(z);
	struct cf_outfile of;
	snprintf(out, sizeof out, "%s/abandoned.md", dir);
	CHECK(jv_is_valid(cf_outfile_open(&of, out)));
	fputs("half", of.f);
	cf_outfile_abort(&of);
	CHECK(access(out, F_OK) != 0);
	CHECK(jv_is_valid(cf_outfile_open(&of, out)));
	fputs("whole\n", of.f);
	CHECK(access(out, F_OK) != 0);   /* no name until it is whole */
	CHECK(jv_is_valid(cf_outfile_commit(&of)));
	CHECK(access(out, F_OK) == 0);
	jv_free(two);
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
	marks();
	errors();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-export");
}
