/* hl_priv.h — what lib/highlight.c shares with the generated table of
 * grammars (build/gen/hl_langs.c, tools/hl-langs) and its unit test. */
#ifndef CF_HL_PRIV_H
#define CF_HL_PRIV_H

#include <stddef.h>
#include <tree_sitter/api.h>

#include "highlight.h"

/* One language: its parser and its highlight queries, compiled on first use. */
struct cf_hl_grammar {
	const char *name;
	const TSLanguage *(*language)(void);
	const char *query;
	size_t query_len;
};
extern const struct cf_hl_grammar cf_hl_grammars[];
extern const size_t cf_hl_ngrammars;

/* For the test: the bytes tree-sitter has been handed so far (each read
 * counts from its offset to the end of the text), and the spans of any
 * byte range [start, end) of the text fed so far, against its current tree
 * (offsets relative to start). */
size_t cf_hl_bytes_read(const cf_hl *h);
/* how many times the block began a new document (lib/highlight.c says why) */
size_t cf_hl_restarts(const cf_hl *h);
/* From now on, count the parser's steps (each shift, reduce, reuse, lex
 * it logs): the parse's work, measured without a clock. */
void cf_hl_count_steps(cf_hl *h);
size_t cf_hl_steps(const cf_hl *h);
size_t cf_hl_range(cf_hl *h, size_t start, size_t end, const struct cf_span **spans);

#endif
