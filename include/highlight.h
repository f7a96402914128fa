/* highlight.h — fenced code colored from tree-sitter grammars (lib/highlight.c),
 * a line at a time as it arrives, for the terminal renderer and the exports. */
#ifndef CF_HIGHLIGHT_H
#define CF_HIGHLIGHT_H

#include <stddef.h>

typedef struct cf_hl cf_hl;
cf_hl *cf_hl_new(const char *lang);   /* fence info word: "c", "py", "python", "js", "ts", "tsx", "sh", "bash", "zsh", "rs", "golang", "c++", "cpp", "hpp", "rb", "json", "html", "css", "java", ...; case-insensitive; NULL: unknown -> plain */
/* One complete code line (no newline) appended to the block; returns the number of spans;
 * *spans (owned by h, valid until the next call) cover byte ranges of THIS line with a capture name
 * such as "keyword", "string", "comment", "function", "type", "number", "constant", "variable.builtin". */
struct cf_span { size_t start, end; const char *capture; };
size_t cf_hl_line(cf_hl *h, const char *line, size_t n, const struct cf_span **spans);
void cf_hl_free(cf_hl *h);
const char *cf_hl_ansi(const char *capture);  /* the terminal color for a capture ("" for none), one small theme */
/* The theme's name for a capture, its nearest named ancestor ("function.method" is "function"), which
 * the HTML of chat-serve's page writes as a class (cf_html_message: "hl-" and the name, '.' as '-'); NULL: uncolored. */
const char *cf_hl_class(const char *capture);
const char *cf_hl_languages(void);            /* for --help / docs */
/* The language a fence word names ("sh" and "zsh" are "bash"), whether or not its grammar is built; NULL: none known. */
const char *cf_hl_lang_of(const char *word);

#endif
