/* highlight.c — a stand-in until the tree-sitter highlighter is merged:
 * it knows no language, so code is shown plain. */
#include "render.h"

cf_hl *
cf_hl_new(const char *lang)
{
	(void)lang;
	return NULL;
}

size_t
cf_hl_line(cf_hl *h, const char *line, size_t n, const struct cf_span **spans)
{
	(void)h;
	(void)line;
	(void)n;
	*spans = NULL;
	return 0;
}

void
cf_hl_free(cf_hl *h)
{
	(void)h;
}
