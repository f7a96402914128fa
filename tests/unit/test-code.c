/* The fenced code of Markdown (code.c): CommonMark's fences and no
 * others, the language by word or alias, and the writer's separators. */
#include "unit.h"
#include "confab.h"

static int
count(const char *md, const char *lang)
{
	jv b = cf_code_blocks(md, strlen(md), lang);
	int n = jv_array_length(b);
	return n;
}

/* The code of block i. */
static char *
code(const char *md, const char *lang, int i)
{
	jv b = cf_code_blocks(md, strlen(md), lang);
	jv one = jv_array_get(b, i);
	char *s = jv_is_valid(one) ? cf_xstrdup(cf_jstr(one, "code")) : NULL;
	jv_free(one);
	return s;
}

static void
check_code(const char *md, const char *lang, int i, const char *want)
{
	char *s = code(md, lang, i);
	CHECK_STR(s, want);
	free(s);
}

/* What the writer makes of blocks, to a memory file. */
static void
check_out(const char *const *blocks, int n, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cf_code_out o = {.f = f, .nl = 1};
	for (int i = 0; i < n; i++)
		cf_code_put(&o, blocks[i], strlen(blocks[i]));
	cf_code_end(&o);
	fclose(f);
	CHECK_STR(buf, want);
	CHECK(o.count == n);
	free(buf);
}

int
main(void)
{
	/* fences: backticks, tildes, in a list, in a quote, indented 3 */
	CHECK(count("```\na\n```\n", NULL) == 1);
	CHECK(count("~~~\na\n~~~\n", NULL) == 1);
	CHECK(count("- x\n\n  ```\n  a\n  ```\n", NULL) == 1);
	CHECK(count("> ```\n> a\n> ```\n", NULL) == 1);
	CHECK(count("   ```\n   a\n   ```\n", NULL) == 1);
	/* not fences: an indented block, inline code, two backticks */
	CHECK(count("    a\n    b\n", NULL) == 0);
	CHECK(count("say `a` and ``b``\n", NULL) == 0);
	CHECK(count("``\na\n``\n", NULL) == 0);
	CHECK(count("", NULL) == 0);
	/* the content as CommonMark gives it: the fence's indent off, the
	 * list's too; a longer fence holds a shorter one */
	check_code("   ```\n   a\n     b\n   ```\n", NULL, 0, "a\n  b\n");
	check_code("1. x\n\n   ```py\n   print(1)\n   ```\n", NULL, 0, "print(1)\n");
	check_code("````\n```\nin\n```\n````\n", NULL, 0, "```\nin\n```\n");
	/* an unclosed fence runs to the end */
	check_code("```sh\nls\n", NULL, 0, "ls\n");
	check_code("```\n```\n", NULL, 0, "");
	/* the language: first word, any case, aliases */
	const char *md = "```Python title=x\np\n```\n\n```bash\nb\n```\n\n```zsh\nz\n```\n\n```\nn\n```\n";
	CHECK(count(md, "python") == 1);
	CHECK(count(md, "PY") == 1);
	CHECK(count(md, "sh") == 2);
	CHECK(count(md, "zsh") == 2);
	CHECK(count(md, "title=x") == 0);
	CHECK(count(md, "rust") == 0);
	check_code(md, "sh", 1, "z\n");
	jv b = cf_code_blocks(md, strlen(md), NULL);
	jv first = jv_array_get(jv_copy(b), 0), last = jv_array_get(b, 3);
	CHECK_STR(cf_jstr(first, "lang"), "Python");
	CHECK_STR(cf_jstr(first, "info"), "Python title=x");
	CHECK_STR(cf_jstr(last, "lang"), "");
	jv_free(first);
	jv_free(last);
	/* an unknown word matches itself only */
	CHECK(count("```foo\na\n```\n", "FOO") == 1);
	CHECK(count("```foo\na\n```\n", "bar") == 0);

	/* the text's line ends, which cmark makes "\n", given back line for
	 * line: CRLF, a lone CR, in a quote, unterminated, after other lines */
	check_code("```\r\na\r\nb\n```\r\n", NULL, 0, "a\r\nb\n");
	check_code("x\r\ny\r\n\r\n```\ra\rb\r```", NULL, 0, "a\rb\r");
	check_code("> ```\r\n> a\r\n> ```\r\n", NULL, 0, "a\r\n");
	check_code("```\r\na\r\nb", NULL, 0, "a\r\nb\n");
	check_code("```\r\n```\r\n", NULL, 0, "");
	check_code("```\na\n```\n\n```\r\nb\r\n\r\nc\r\n```\r\n", NULL, 1, "b\r\n\r\nc\r\n");

	/* the writer: one block its bytes; several an empty line apart */
	const char *one[] = {"a\n"}, *nonl[] = {"a"}, *two[] = {"a\n", "b"},
	           *three[] = {"a", "", "c\n"};
	check_out(one, 1, "a\n");
	check_out(nonl, 1, "a");
	check_out(two, 2, "a\n\nb\n");
	check_out(three, 3, "a\n\n\nc\n");
	check_out(NULL, 0, "");

	return unit_done("test-code");
}
