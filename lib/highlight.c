/* highlight.c — fenced code colored by tree-sitter: each language's own
 * grammar and the highlight queries its package ships (pinned in the
 * Makefile, fetched by `make grammars`, embedded by tools/hl-langs).
 *
 * A block is fed a line at a time.  Its text is kept and its tree kept
 * between lines: a line is an edit at the end of the text, the parse reuses
 * the old tree, and the query runs over the new line's bytes, from the
 * smallest node that holds them.  A construct that spans lines (a block
 * comment, a long string) is one node of the tree, so the lines after its
 * first are colored too.
 *
 * Reparsing after an edit at the end is not cheap in libtree-sitter 0.20:
 * measured, it grows with the document (a 3,000-line C block, 12 ms a
 * line; Python re-reads the whole text at each line), and so does a query
 * run from the root.  So the document restarts: when the tree so far has
 * no error and the new line begins at the left margin with what can begin
 * a statement, that line begins a new document, parsed as the grammar
 * would parse it after a complete top-level item anyway.  A document that
 * never reaches such a point (one long function, a JSON object, an
 * unclosed comment) restarts after CF_HL_WINDOW lines or CF_HL_MAX_DOC
 * bytes all the same, so a line costs at most what a window of lines does,
 * however long the block.
 *
 * Which capture wins where several cover a byte: the innermost node, and
 * for one node the first pattern in the query file.  That is the rule of
 * tree-sitter's own highlighter (tree-sitter-highlight before 0.22), the
 * one these packages' queries are written for: they list `(identifier)
 * @variable` after the patterns that name functions and types. */
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confab.h"
#include "hl_priv.h"

/* A predicate tests at most this much of a node's text: every #match? in
 * the shipped queries is about a name. */
#define CF_HL_PRED_TEXT 1024
/* The longest document before a restart, in lines and in bytes; a longer
 * line is shown plain.  The bytes bound how deep a tree can grow where no
 * bracket is counted: `a<a>` or `1+` repeated is a chain of expressions
 * one inside the next, and libtree-sitter 0.20 aborts on a double free
 * past 65535 levels of them (C, Python, JavaScript: measured).  Such a
 * chain, 4 KB lines of `a+`, still costs 17 us a byte to color, against
 * 4.6 for lib/'s own C (measured). */
#define CF_HL_WINDOW 64
#define CF_HL_MAX_DOC ((size_t)4 << 10)
/* What tree-sitter is handed at a time, so that a read counts what it uses. */
#define CF_HL_CHUNK 512
/* Brackets open in one document, at most: past it a block is shown plain
 * from there on.  libtree-sitter 0.20 aborts on a double free past 65535
 * levels (JSON, Python, JavaScript, C, measured), and the query walks
 * nesting in time that grows with the square of its depth (100,000 '[' in
 * C: 28 s).  No code a person writes nests this deep. */
#define CF_HL_MAX_DEPTH 256

/* ---- fence words ---- */

static const struct {
	const char *word, *lang;
} aliases[] = {
	{"c", "c"}, {"h", "c"},
	{"cpp", "cpp"}, {"c++", "cpp"}, {"cc", "cpp"}, {"cxx", "cpp"}, {"hpp", "cpp"},
	{"hh", "cpp"}, {"hxx", "cpp"}, {"h++", "cpp"},
	{"python", "python"}, {"py", "python"}, {"py3", "python"}, {"python3", "python"},
	{"javascript", "javascript"}, {"js", "javascript"}, {"jsx", "javascript"},
	{"mjs", "javascript"}, {"cjs", "javascript"}, {"node", "javascript"},
	{"typescript", "typescript"}, {"ts", "typescript"}, {"mts", "typescript"},
	{"cts", "typescript"},
	{"tsx", "tsx"},
	{"go", "go"}, {"golang", "go"},
	{"rust", "rust"}, {"rs", "rust"},
	{"java", "java"},
	{"bash", "bash"}, {"sh", "bash"}, {"zsh", "bash"}, {"shell", "bash"}, {"ksh", "bash"},
	{"shellscript", "bash"},
	{"json", "json"}, {"jsonc", "json"},
	{"html", "html"}, {"htm", "html"}, {"xhtml", "html"},
	{"css", "css"},
	{"ruby", "ruby"}, {"rb", "ruby"},
};

/* ---- the queries, compiled once per process on first use ---- */

enum { P_EQ, P_MATCH, P_ANY };

struct pred {
	int kind, neg;
	uint32_t cap;           /* the capture tested */
	uint32_t other;         /* P_EQ: the capture compared with, or UINT32_MAX */
	const char *str;        /* P_EQ: the string compared with */
	uint32_t len;
	regex_t re;             /* P_MATCH */
	const char **strs;      /* P_ANY */
	uint32_t *lens, nstrs;
};

struct compiled {
	int state;              /* 0 not tried, 1 ready, -1 failed */
	TSQuery *q;
	uint32_t *first;        /* pattern i's predicates: preds[first[i] .. first[i+1]) */
	struct pred *preds;
	uint32_t npreds;
	char **names;           /* by capture id; NULL for captures that color nothing */
	/* Do elements nest, besides brackets (HTML)?  Such a language also
	 * never restarts at a line that begins an item: HTML leaves elements
	 * open without an error, so a clean tree says nothing about being
	 * between items. */
	int tags;
};

static struct compiled *compiled;
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

/* The queries' regular expressions are Rust's; POSIX ERE has the same
 * shape but no \d, \w, \s. */
static char *
ere_of(const char *s, uint32_t n)
{
	char *out = cf_xmalloc(n * 12 + 1), *o = out;
	int bracket = 0;
	for (uint32_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			char d = s[++i];
			const char *cls = d == 'd' ? "0-9" : d == 'w' ? "[:alnum:]_" : d == 's' ? "[:space:]" : NULL;
			if (cls)
				o += sprintf(o, bracket ? "%s" : "[%s]", cls);
			else if (bracket)
				*o++ = d;
			else {
				*o++ = '\\';
				*o++ = d;
			}
			continue;
		}
		if (c == '[' && !bracket) {
			bracket = 1;
			*o++ = c;
			if (i + 1 < n && s[i + 1] == '^')
				*o++ = s[++i];
			if (i + 1 < n && s[i + 1] == ']')
				*o++ = s[++i];
			continue;
		}
		if (c == ']' && bracket)
			bracket = 0;
		*o++ = c;
	}
	*o = '\0';
	return out;
}

/* One predicate from its steps; 0 if it is one this file evaluates.
 * #is-not? local needs scope tracking, which this highlighter does not
 * do: without it no name can be shown not to be local, so such patterns
 * are off, like any other predicate not known here. */
static int
pred_parse(const TSQuery *q, const TSQueryPredicateStep *st, uint32_t n, struct pred *p)
{
	uint32_t len;
	memset(p, 0, sizeof *p);
	p->other = UINT32_MAX;
	if (n < 3 || st[0].type != TSQueryPredicateStepTypeString ||
	    st[1].type != TSQueryPredicateStepTypeCapture)
		return -1;
	const char *name = ts_query_string_value_for_id(q, st[0].value_id, &len);
	p->cap = st[1].value_id;
	if (!strncmp(name, "not-", 4)) {
		p->neg = 1;
		name += 4;
	}
	if (!strcmp(name, "eq?") && n == 3) {
		p->kind = P_EQ;
		if (st[2].type == TSQueryPredicateStepTypeCapture)
			p->other = st[2].value_id;
		else
			p->str = ts_query_string_value_for_id(q, st[2].value_id, &p->len);
		return 0;
	}
	if (!strcmp(name, "match?") && n == 3 && st[2].type == TSQueryPredicateStepTypeString) {
		p->kind = P_MATCH;
		const char *re = ts_query_string_value_for_id(q, st[2].value_id, &len);
		char *ere = ere_of(re, len);
		int bad = regcomp(&p->re, ere, REG_EXTENDED | REG_NOSUB);
		free(ere);
		return bad ? -1 : 0;
	}
	if (!strcmp(name, "any-of?")) {
		p->kind = P_ANY;
		p->nstrs = n - 2;
		p->strs = cf_xmalloc(p->nstrs * sizeof *p->strs);
		p->lens = cf_xmalloc(p->nstrs * sizeof *p->lens);
		for (uint32_t i = 2; i < n; i++) {
			if (st[i].type != TSQueryPredicateStepTypeString) {
				free(p->strs);
				free(p->lens);
				return -1;
			}
			p->strs[i - 2] = ts_query_string_value_for_id(q, st[i].value_id, &p->lens[i - 2]);
		}
		return 0;
	}
	return -1;
}

static int
compile(struct compiled *c, const struct cf_hl_grammar *g)
{
	uint32_t off;
	TSQueryError err;
	c->q = ts_query_new(g->language(), g->query, (uint32_t)g->query_len, &off, &err);
	if (!c->q)
		return -1;
	uint32_t npat = ts_query_pattern_count(c->q), cap = 16;
	c->first = cf_xmalloc((npat + 1) * sizeof *c->first);
	c->preds = cf_xmalloc(cap * sizeof *c->preds);
	for (uint32_t i = 0; i < npat; i++) {
		uint32_t nsteps, mark = c->npreds;
		const TSQueryPredicateStep *st = ts_query_predicates_for_pattern(c->q, i, &nsteps);
		c->first[i] = c->npreds;
		int ok = 1;
		for (uint32_t s = 0; s < nsteps && ok;) {
			uint32_t e = s;
			while (e < nsteps && st[e].type != TSQueryPredicateStepTypeDone)
				e++;
			if (c->npreds == cap)
				c->preds = cf_xrealloc(c->preds, (cap *= 2) * sizeof *c->preds);
			if (pred_parse(c->q, st + s, e - s, &c->preds[c->npreds]) == 0)
				c->npreds++;
			else
				ok = 0;
			s = e + 1;
		}
		if (!ok) {
			while (c->npreds > mark) {
				struct pred *p = &c->preds[--c->npreds];
				if (p->kind == P_MATCH)
					regfree(&p->re);
				free(p->strs);
				free(p->lens);
			}
			ts_query_disable_pattern(c->q, i);
		}
	}
	c->first[npat] = c->npreds;
	uint32_t ncap = ts_query_capture_count(c->q);
	c->names = cf_xmalloc((ncap ? ncap : 1) * sizeof *c->names);
	for (uint32_t i = 0; i < ncap; i++) {
		uint32_t len;
		const char *s = ts_query_capture_name_for_id(c->q, i, &len);
		/* _private captures feed predicates; local.* and injection.*
		 * belong to other features than color. */
		int shown = len && s[0] != '_' && strncmp(s, "local", 5) && strncmp(s, "injection", 9);
		c->names[i] = NULL;
		if (shown) {
			c->names[i] = cf_xmalloc(len + 1);
			memcpy(c->names[i], s, len);
			c->names[i][len] = '\0';
		}
	}
	return 0;
}

static struct compiled *
compiled_for(size_t i)
{
	pthread_mutex_lock(&compile_lock);
	if (!compiled) {
		compiled = cf_xmalloc((cf_hl_ngrammars ? cf_hl_ngrammars : 1) * sizeof *compiled);
		memset(compiled, 0, (cf_hl_ngrammars ? cf_hl_ngrammars : 1) * sizeof *compiled);
	}
	struct compiled *c = &compiled[i];
	if (!c->state) {
		c->state = compile(c, &cf_hl_grammars[i]) == 0 ? 1 : -1;
		c->tags = !strcmp(cf_hl_grammars[i].name, "html");
	}
	pthread_mutex_unlock(&compile_lock);
	return c->state == 1 ? c : NULL;
}

/* ---- one block ---- */

struct cap {
	uint32_t start, end;    /* clipped to the range asked for */
	uint32_t size;          /* the node's whole size: smaller is inner */
	uint32_t pattern, id;
};

struct cf_hl {
	const struct compiled *c;
	TSParser *parser;
	TSTree *tree;
	TSQueryCursor *cur;
	char *text;             /* every line so far, each ended by '\n' */
	size_t len, cap;
	uint32_t rows;          /* lines in the document */
	size_t depth;           /* brackets open in the document */
	size_t bytes_read, restarts, steps;
	int broken;
	struct cap *caps;
	size_t ncaps, capcap;
	uint32_t *paint;
	size_t paintcap;
	struct cf_span *spans;
	size_t spancap;
	char pred_text[2][CF_HL_PRED_TEXT + 1];
};

cf_hl *
cf_hl_new(const char *lang)
{
	if (!lang)
		return NULL;
	const char *name = NULL;
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases && !name; i++)
		if (!strcasecmp(lang, aliases[i].word))
			name = aliases[i].lang;
	size_t g = 0;
	while (name && g < cf_hl_ngrammars && strcmp(cf_hl_grammars[g].name, name))
		g++;
	if (!name || g == cf_hl_ngrammars)
		return NULL;
	const struct compiled *c = compiled_for(g);
	if (!c)
		return NULL;
	cf_hl *h = cf_xmalloc(sizeof *h);
	memset(h, 0, sizeof *h);
	h->c = c;
	h->parser = ts_parser_new();
	/* false when the grammar's ABI is one this libtree-sitter cannot read */
	if (!ts_parser_set_language(h->parser, cf_hl_grammars[g].language())) {
		ts_parser_delete(h->parser);
		free(h);
		return NULL;
	}
	h->cur = ts_query_cursor_new();
	return h;
}

void
cf_hl_free(cf_hl *h)
{
	if (!h)
		return;
	if (h->tree)
		ts_tree_delete(h->tree);
	ts_query_cursor_delete(h->cur);
	ts_parser_delete(h->parser);
	free(h->text);
	free(h->caps);
	free(h->paint);
	free(h->spans);
	free(h);
}

size_t
cf_hl_bytes_read(const cf_hl *h)
{
	return h ? h->bytes_read : 0;
}

static void
count_step(void *payload, TSLogType type, const char *msg)
{
	(void)type;
	(void)msg;
	((cf_hl *)payload)->steps++;
}

void
cf_hl_count_steps(cf_hl *h)
{
	ts_parser_set_logger(h->parser, (TSLogger){h, count_step});
}

size_t
cf_hl_steps(const cf_hl *h)
{
	return h->steps;
}

size_t
cf_hl_restarts(const cf_hl *h)
{
	return h ? h->restarts : 0;
}

static const char *
input_read(void *payload, uint32_t byte, TSPoint at, uint32_t *n)
{
	cf_hl *h = payload;
	(void)at;
	if (byte >= h->len) {
		*n = 0;
		return "";
	}
	*n = (uint32_t)(h->len - byte);
	if (*n > CF_HL_CHUNK)
		*n = CF_HL_CHUNK;
	h->bytes_read += *n;
	return h->text + byte;
}

/* Can this line begin a document of its own?  It starts at the margin
 * with a name, a keyword, a directive, a comment, a tag or a literal, and
 * is not one of the words that continue the statement before it. */
static int
begins_item(const char *line, size_t n)
{
	static const char *const cont[] = {"else", "elif", "elsif", "except", "finally",
		"catch", "rescue", "ensure", "when", "then", "do", "end", "in", "fi", "done", "esac"};
	if (!n)
		return 0;
	unsigned char c = (unsigned char)line[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	      c >= 0x80 || strchr("_#@$<\"'/{[", c)))
		return 0;
	if (n > 1 && c == '<' && line[1] == '/')
		return 0;
	size_t w = 0;
	while (w < n && ((line[w] >= 'a' && line[w] <= 'z') || line[w] == '_'))
		w++;
	for (size_t i = 0; i < sizeof cont / sizeof *cont; i++)
		if (strlen(cont[i]) == w && !strncmp(line, cont[i], w))
			return 0;
	return 1;
}

static void
restart(cf_hl *h)
{
	ts_tree_delete(h->tree);
	h->tree = NULL;
	h->len = 0;
	h->rows = 0;
	h->depth = 0;
	h->restarts++;
}

/* Does an HTML tag open an element that nests (not <br>, <img>, ...)? */
static int
nests(const char *tag, const char *end)
{
	/* void elements, and those whose end tag may be left out: the
	 * grammar closes an <li> at the next one, so they never pile up */
	static const char *const lone[] = {"area", "base", "br", "col", "embed", "hr",
		"img", "input", "link", "meta", "source", "track", "wbr", "li", "p", "td",
		"th", "tr", "dt", "dd", "option"};
	size_t w = 0;
	while (tag + w < end && (((tag[w] | 32) >= 'a' && (tag[w] | 32) <= 'z') ||
	                         (tag[w] >= '0' && tag[w] <= '9')))
		w++;
	for (size_t i = 0; i < sizeof lone / sizeof *lone; i++)
		if (strlen(lone[i]) == w && !strncasecmp(tag, lone[i], w))
			return 0;
	return w > 0;
}

/* Counts the line's brackets into h->depth (and in HTML the elements it
 * opens: elsewhere '<' is mostly less-than); false past CF_HL_MAX_DEPTH. */
static int
shallow(cf_hl *h, const char *s, size_t n)
{
	int tags = h->c->tags;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '(' || c == '[' || c == '{' || (tags && c == '<' && nests(s + i + 1, s + n)))
			h->depth++;
		else if ((c == ')' || c == ']' || c == '}' ||
		          (tags && c == '/' && ((i + 1 < n && s[i + 1] == '>') || (i && s[i - 1] == '<')))) &&
		         h->depth > 0)
			h->depth--;
		if (h->depth > CF_HL_MAX_DEPTH)
			return 0;
	}
	return 1;
}

/* Appends the line and its newline, and reparses from the old tree. */
static int
append(cf_hl *h, const char *line, size_t n)
{
	if (h->broken)
		return -1;
	if (n + 1 > CF_HL_MAX_DOC) {
		if (h->tree)
			restart(h);
		return -1;
	}
	if (h->tree && (h->rows >= CF_HL_WINDOW || h->len + n + 1 > CF_HL_MAX_DOC ||
	    (!h->c->tags && begins_item(line, n) &&
	    !ts_node_has_error(ts_tree_root_node(h->tree)))))
		restart(h);
	if (!shallow(h, line, n))
		return h->broken = 1, -1;
	if (h->len + n + 1 > h->cap) {
		h->cap = (h->len + n + 1) * 2;
		h->text = cf_xrealloc(h->text, h->cap);
	}
	memcpy(h->text + h->len, line, n);
	h->text[h->len + n] = '\n';
	uint32_t rows = 1;
	for (const char *p = line; (p = memchr(p, '\n', line + n - p)); p++)
		rows++;
	TSInputEdit e = {
		.start_byte = (uint32_t)h->len,
		.old_end_byte = (uint32_t)h->len,
		.new_end_byte = (uint32_t)(h->len + n + 1),
		.start_point = {h->rows, 0},
		.old_end_point = {h->rows, 0},
		.new_end_point = {h->rows + rows, 0},
	};
	h->len += n + 1;
	h->rows += rows;
	if (h->tree)
		ts_tree_edit(h->tree, &e);
	TSInput in = {h, input_read, TSInputEncodingUTF8};
	TSTree *t = ts_parser_parse(h->parser, h->tree, in);
	if (h->tree)
		ts_tree_delete(h->tree);
	h->tree = t;
	if (!t)
		return h->broken = 1, -1;
	return 0;
}

/* A capture's text, at most CF_HL_PRED_TEXT bytes of it, NUL-ended. */
static const char *
node_text(cf_hl *h, TSNode node, int slot, uint32_t *len)
{
	uint32_t s = ts_node_start_byte(node), e = ts_node_end_byte(node);
	if (e > h->len)
		e = (uint32_t)h->len;
	if (s > e)
		s = e;
	*len = e - s;
	if (*len > CF_HL_PRED_TEXT)
		*len = CF_HL_PRED_TEXT;
	memcpy(h->pred_text[slot], h->text + s, *len);
	h->pred_text[slot][*len] = '\0';
	return h->pred_text[slot];
}

static int
find_node(const TSQueryMatch *m, uint32_t cap, TSNode *node)
{
	for (uint16_t i = 0; i < m->capture_count; i++)
		if (m->captures[i].index == cap) {
			*node = m->captures[i].node;
			return 1;
		}
	return 0;
}

static int
preds_hold(cf_hl *h, const TSQueryMatch *m)
{
	const struct compiled *c = h->c;
	for (uint32_t i = c->first[m->pattern_index]; i < c->first[m->pattern_index + 1]; i++) {
		const struct pred *p = &c->preds[i];
		TSNode node, other;
		uint32_t len, olen;
		if (!find_node(m, p->cap, &node))
			continue;
		const char *t = node_text(h, node, 0, &len);
		int yes = 0;
		if (p->kind == P_EQ && p->other != UINT32_MAX) {
			if (!find_node(m, p->other, &other))
				continue;
			const char *o = node_text(h, other, 1, &olen);
			yes = len == olen && !memcmp(t, o, len);
		} else if (p->kind == P_EQ)
			yes = len == p->len && !memcmp(t, p->str, len);
		else if (p->kind == P_MATCH)
			yes = regexec(&p->re, t, 0, NULL, 0) == 0;
		else
			for (uint32_t k = 0; k < p->nstrs && !yes; k++)
				yes = len == p->lens[k] && !memcmp(t, p->strs[k], len);
		if (yes == p->neg)
			return 0;
	}
	return 1;
}

static int
cap_order(const void *a, const void *b)
{
	const struct cap *x = a, *y = b;
	/* painted in this order, the last paint winning: outer nodes first,
	 * and for one size the later pattern first */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->pattern != y->pattern)
		return x->pattern > y->pattern ? -1 : 1;
	return 0;
}

/* Where the query starts: the smallest node holding the range's text
 * (its margins left out) and the ancestors that begin within the range.
 * From the root, the cursor would step over every node before the range
 * one at a time; the patterns that color a token are rooted at most a
 * node or two above it, and those nodes begin on its line. */
static TSNode
query_root(cf_hl *h, uint32_t start, uint32_t end)
{
	TSNode root = ts_tree_root_node(h->tree);
	uint32_t s = start, e = end;
	while (s < e && (h->text[s] == ' ' || h->text[s] == '\t' || h->text[s] == '\n'))
		s++;
	while (e > s && (h->text[e - 1] == ' ' || h->text[e - 1] == '\t' || h->text[e - 1] == '\r'))
		e--;
	if (s == e)
		return root;
	TSNode node = ts_node_descendant_for_byte_range(root, s, e);
	for (int up = 0; up < 3; up++) {
		TSNode p = ts_node_parent(node);
		if (ts_node_is_null(p) || ts_node_start_byte(p) < start)
			break;
		node = p;
	}
	return node;
}

/* The spans of [start, end), relative to start. */
static size_t
spans_of(cf_hl *h, uint32_t start, uint32_t end, const struct cf_span **out)
{
	const struct compiled *c = h->c;
	TSQueryMatch m;
	h->ncaps = 0;
	ts_query_cursor_set_byte_range(h->cur, start, end);
	ts_query_cursor_exec(h->cur, c->q, query_root(h, start, end));
	while (ts_query_cursor_next_match(h->cur, &m)) {
		if (!preds_hold(h, &m))
			continue;
		for (uint16_t i = 0; i < m.capture_count; i++) {
			uint32_t id = m.captures[i].index;
			TSNode node = m.captures[i].node;
			uint32_t s = ts_node_start_byte(node), e = ts_node_end_byte(node);
			if (!c->names[id] || e <= start || s >= end || s >= e)
				continue;
			if (h->ncaps == h->capcap) {
				h->capcap = h->capcap ? h->capcap * 2 : 64;
				h->caps = cf_xrealloc(h->caps, h->capcap * sizeof *h->caps);
			}
			h->caps[h->ncaps++] = (struct cap){
				s < start ? start : s, e > end ? end : e, e - s, m.pattern_index, id};
		}
	}
	size_t n = end - start, nspans = 0;
	if (!h->ncaps)
		return 0;
	if (n > h->paintcap) {
		h->paintcap = n * 2;
		h->paint = cf_xrealloc(h->paint, h->paintcap * sizeof *h->paint);
	}
	memset(h->paint, 0, n * sizeof *h->paint);
	qsort(h->caps, h->ncaps, sizeof *h->caps, cap_order);
	for (size_t i = 0; i < h->ncaps; i++)
		for (uint32_t b = h->caps[i].start; b < h->caps[i].end; b++)
			h->paint[b - start] = h->caps[i].id + 1;
	for (size_t b = 0; b < n;) {
		size_t e = b + 1;
		while (e < n && h->paint[e] == h->paint[b])
			e++;
		if (h->paint[b]) {
			if (nspans == h->spancap) {
				h->spancap = h->spancap ? h->spancap * 2 : 32;
				h->spans = cf_xrealloc(h->spans, h->spancap * sizeof *h->spans);
			}
			h->spans[nspans++] = (struct cf_span){b, e, c->names[h->paint[b] - 1]};
		}
		b = e;
	}
	*out = h->spans;
	return nspans;
}

size_t
cf_hl_line(cf_hl *h, const char *line, size_t n, const struct cf_span **spans)
{
	*spans = NULL;
	if (!h || append(h, line, n) < 0 || !n)
		return 0;
	return spans_of(h, (uint32_t)(h->len - n - 1), (uint32_t)(h->len - 1), spans);
}

size_t
cf_hl_range(cf_hl *h, size_t start, size_t end, const struct cf_span **spans)
{
	*spans = NULL;
	if (!h || !h->tree || h->broken || start >= end || end > h->len)
		return 0;
	return spans_of(h, (uint32_t)start, (uint32_t)end, spans);
}

/* ---- the theme and the list ---- */

/* Foreground colors from the 16 every terminal has, so that the user's
 * palette decides; a capture takes its nearest named ancestor's color
 * ("function.method.builtin" is "function"'s). */
static const struct {
	const char *capture, *sgr;
} theme[] = {
	{"keyword", "\033[35m"},
	{"string", "\033[32m"},
	{"string.special", "\033[36m"},
	{"escape", "\033[36m"},
	{"comment", "\033[90m"},
	{"number", "\033[33m"},
	{"constant", "\033[33m"},
	{"constant.builtin", "\033[33m"},
	{"function", "\033[34m"},
	{"function.builtin", "\033[36m"},
	{"constructor", "\033[36m"},
	{"type", "\033[36m"},
	{"tag", "\033[34m"},
	{"attribute", "\033[33m"},
	{"variable.builtin", "\033[31m"},
	{"label", "\033[35m"},
	{"embedded", "\033[35m"},
};

/* The theme's entry a capture takes, or -1. */
static int
theme_of(const char *capture)
{
	if (!capture)
		return -1;
	size_t n = strlen(capture);
	while (n) {
		for (size_t i = 0; i < sizeof theme / sizeof *theme; i++)
			if (strlen(theme[i].capture) == n && !strncmp(theme[i].capture, capture, n))
				return (int)i;
		while (n && capture[n - 1] != '.')
			n--;
		if (n)
			n--;
	}
	return -1;
}

const char *
cf_hl_ansi(const char *capture)
{
	int i = theme_of(capture);
	return i < 0 ? "" : theme[i].sgr;
}

const char *
cf_hl_class(const char *capture)
{
	int i = theme_of(capture);
	return i < 0 ? NULL : theme[i].capture;
}

const char *
cf_hl_languages(void)
{
	static char *list;
	pthread_mutex_lock(&compile_lock);
	if (!list) {
		size_t cap = 64, len = 0;
		list = cf_xmalloc(cap);
		list[0] = '\0';
		for (size_t g = 0; g < cf_hl_ngrammars; g++) {
			const char *name = cf_hl_grammars[g].name;
			size_t more = 0;
			for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
				more += strlen(aliases[i].word) + 4;
			if (len + strlen(name) + more + 8 > cap)
				list = cf_xrealloc(list, cap = (len + strlen(name) + more + 8) * 2);
			len += sprintf(list + len, "%s%s", len ? ", " : "", name);
			int k = 0;
			for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
				if (!strcmp(aliases[i].lang, name) && strcmp(aliases[i].word, name))
					len += sprintf(list + len, "%s%s", k++ ? ", " : " (", aliases[i].word);
			if (k)
				len += sprintf(list + len, ")");
		}
	}
	pthread_mutex_unlock(&compile_lock);
	return list;
}

const char *
cf_hl_lang_of(const char *word)
{
	for (size_t i = 0; word && i < sizeof aliases / sizeof *aliases; i++)
		if (!strcasecmp(word, aliases[i].word))
			return aliases[i].lang;
	return NULL;
}
