/* markdown.c — the one place Markdown is parsed: cmark-gfm with the
 * extensions models write (tables, strikethrough, autolinks, task lists),
 * for the exports and the terminal renderer alike. */
#include "export.h"

#include <cmark-gfm-extension_api.h>

static const char *const wanted[] = {"table", "strikethrough", "autolink",
                                     "tasklist"};
static cmark_llist *exts;

cmark_llist *
cf_gfm_extensions(void)
{
	if (!exts) {
		cmark_gfm_core_extensions_ensure_registered();
		cmark_mem *mem = cmark_get_default_mem_allocator();
		for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++) {
			cmark_syntax_extension *e =
				cmark_find_syntax_extension(wanted[i]);
			if (e)
				exts = cmark_llist_append(mem, exts, e);
		}
	}
	return exts;
}

cmark_parser *
cf_gfm_parser(int options)
{
	cmark_parser *p = cmark_parser_new(options);
	for (cmark_llist *l = cf_gfm_extensions(); l; l = l->next)
		cmark_parser_attach_syntax_extension(p, l->data);
	return p;
}

cmark_node *
cf_gfm_parse(const char *text, size_t len, int options)
{
	cmark_parser *p = cf_gfm_parser(options);
	cmark_parser_feed(p, text, len);
	cmark_node *doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	return doc;
}
