/* search.c — chat-ls --search: the user's words as an FTS5 query, and the
 * snippets of what they matched in time that follows the text, not its
 * square. */
#include <stdlib.h>
#include <string.h>

#include "priv.h"

/* ---- the query ---- */

/* A growing string: highlight() rebuilds its output at every append. */
struct qbuf {
	char *s;
	size_t n, cap;
};

static void
qb_add(struct qbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = cf_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
qb_str(struct qbuf *b, const char *s)
{
	qb_add(b, s, strlen(s));
}

/* A word or phrase, as written between its quotes (or spaces). */
struct atom {
	const char *s;
	size_t n;
	int prefix;
};

/* A clause: atoms joined by OR, all of it wanted or (neg) excluded. */
struct clause {
	int first, n;
	int neg;
};

enum { T_END, T_ATOM, T_OR, T_AND, T_NOT };

static int
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Whether FTS5's tokenizer (unicode61) can find a word in an atom: ASCII
 * letters and digits are the only ASCII token characters; other bytes are
 * left for it to judge. */
static int
has_token(const struct atom *a)
{
	for (size_t i = 0; i < a->n; i++) {
		unsigned char c = (unsigned char)a->s[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') ||
		    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return 1;
	}
	return 0;
}

/* The next token of t at *pos; an atom's text in *a. */
static int
lex(const char *t, size_t *pos, struct atom *a, const char **why)
{
	size_t i = *pos;
	while (space(t[i]))
		i++;
	if (!t[i]) {
		*pos = i;
		return T_END;
	}
	a->prefix = 0;
	if (t[i] == '"') {
		const char *e = strchr(t + i + 1, '"');
		if (!e) {
			*why = "a double quote is not closed";
			return -1;
		}
		a->s = t + i + 1;
		a->n = (size_t)(e - a->s);
		i = (size_t)(e - t) + 1;
		while (t[i] == '*') {
			a->prefix = 1;
			i++;
		}
		*pos = i;
		return T_ATOM;
	}
	size_t s = i;
	while (t[i] && !space(t[i]) && t[i] != '"')
		i++;
	*pos = i;
	a->s = t + s;
	a->n = i - s;
	if (a->n == 2 && !memcmp(a->s, "OR", 2))
		return T_OR;
	if (a->n == 3 && !memcmp(a->s, "AND", 3))
		return T_AND;
	if (a->n == 3 && !memcmp(a->s, "NOT", 3))
		return T_NOT;
	while (a->n && a->s[a->n - 1] == '*') {
		a->prefix = 1;
		a->n--;
	}
	return T_ATOM;
}

static void
put_atom(struct qbuf *b, const struct atom *a)
{
	/* nothing in an atom can be a double quote, so no escapes */
	qb_str(b, "\"");
	qb_add(b, a->s, a->n);
	qb_str(b, a->prefix ? "\"*" : "\"");
}

/* Its atoms with a token, joined by OR; 0 when there are none. */
static int
put_clause(struct qbuf *b, const struct atom *at, const struct clause *c)
{
	int k = 0;
	for (int i = c->first; i < c->first + c->n; i++)
		if (has_token(&at[i]))
			k++;
	if (!k)
		return 0;
	if (k > 1)
		qb_str(b, "(");
	k = 0;
	for (int i = c->first; i < c->first + c->n; i++) {
		if (!has_token(&at[i]))
			continue;
		if (k++)
			qb_str(b, " OR ");
		put_atom(b, &at[i]);
	}
	if (k > 1)
		qb_str(b, ")");
	return 1;
}

/* The search, parsed: what both backends' queries are written from, so
 * that neither backend's syntax ever reaches the other. */
struct parsed {
	struct atom *at;
	struct clause *cl;
	int na, nc;
};

static void
parsed_free(struct parsed *p)
{
	free(p->at);
	free(p->cl);
}

/* 0, or -1 with *why saying what is wrong */
static int
parse(const char *text, struct parsed *p, const char **why)
{
	size_t len = strlen(text), pos = 0;
	/* every atom takes at least one byte of the text */
	struct atom *at = p->at = cf_xmalloc(sizeof *at * (len + 1));
	struct clause *cl = p->cl = cf_xmalloc(sizeof *cl * (len + 1));
	int na = 0, nc = 0, npos = 0, neg = 0, tok, prev = T_END;
	struct atom a;

	*why = NULL;
	while ((tok = lex(text, &pos, &a, why)) > T_END) {
		if (tok == T_ATOM) {
			if (prev == T_OR) {
				cl[nc - 1].n++;
			} else {
				cl[nc].first = na;
				cl[nc].n = 1;
				cl[nc].neg = neg;
				npos += !neg;
				neg = 0;
				nc++;
			}
			at[na++] = a;
		} else if (tok == T_OR || tok == T_AND) {
			if (prev != T_ATOM) {
				*why = tok == T_OR ? "OR needs a word or phrase on each side"
				                   : "AND needs a word or phrase on each side";
				return -1;
			}
		} else if (prev == T_NOT || prev == T_OR) {
			*why = prev == T_OR ? "OR needs a word or phrase on each side"
			                    : "NOT needs a word or phrase after it";
			return -1;
		} else {
			neg = 1;
		}
		prev = tok;
	}
	p->na = na;
	p->nc = nc;
	if (tok < 0)
		return -1;
	if (prev == T_OR || prev == T_AND || prev == T_NOT) {
		*why = prev == T_OR ? "OR needs a word or phrase on each side" :
		       prev == T_AND ? "AND needs a word or phrase on each side" :
		                       "NOT needs a word or phrase after it";
		return -1;
	}
	/* parentheses are text, and "NOT ( a b )" must not quietly find a
	 * and b: an operator's words must be words */
	for (int i = 0; i < nc; i++) {
		for (int j = cl[i].first; j < cl[i].first + cl[i].n; j++) {
			if (has_token(&at[j]) || (!cl[i].neg && cl[i].n == 1))
				continue;
			*why = cl[i].n > 1 ? "OR needs a word or phrase on each side"
			                   : "NOT needs a word or phrase after it";
			return -1;
		}
	}
	if (nc && !npos) {
		*why = "NOT only narrows a search: it needs a word or phrase to find too";
		return -1;
	}
	return 0;
}

/* The FTS5 query of a parsed search. */
static char *
fts5_query(const struct parsed *p)
{
	const struct atom *at = p->at;
	const struct clause *cl = p->cl;
	int nc = p->nc;
	/* FTS5 drops a phrase without a word from a list of phrases, as a word
	 * of punctuation should be, but empties an AND with one: the atoms
	 * without a token are left out here.  The single phrases go first as
	 * such a list; OR groups are ANDed to it and NOT clauses taken away,
	 * each in parentheses, as FTS5 binds a list tighter than NOT and NOT
	 * tighter than AND. */
	struct qbuf b = {0}, pb = {0};
	qb_str(&b, "");
	qb_str(&pb, "");
	int any = 0;
	for (int i = 0; i < nc; i++) {
		if (cl[i].neg || cl[i].n > 1 || !has_token(&at[cl[i].first]))
			continue;
		if (any++)
			qb_str(&pb, " ");
		put_atom(&pb, &at[cl[i].first]);
	}
	for (int i = 0; i < nc; i++) {
		if (cl[i].neg || cl[i].n == 1)
			continue;
		struct qbuf g = {0};
		if (put_clause(&g, at, &cl[i])) {
			if (any++)
				qb_str(&pb, " AND ");
			qb_add(&pb, g.s, g.n);
		}
		free(g.s);
	}
	if (any) {
		qb_str(&b, "(");
		qb_add(&b, pb.s, pb.n);
		qb_str(&b, ")");
		for (int i = 0; i < nc; i++) {
			if (!cl[i].neg)
				continue;
			struct qbuf g = {0};
			if (put_clause(&g, at, &cl[i])) {
				qb_str(&b, " NOT (");
				qb_add(&b, g.s, g.n);
				qb_str(&b, ")");
			}
			free(g.s);
		}
	}
	free(pb.s);
	return b.s;
}

/* ---- the query, for PostgreSQL ---- */

/* The length of a separator at s (bytes left: n), 0 for a token byte.
 * The words are cut here as store_pg.c's cf_tsv cuts the text it indexes
 * (the two lists must stay the same): at every ASCII byte but a letter or
 * digit, as unicode61 does, and at the punctuation of Latin-1 and of
 * General Punctuation (dashes, curly quotes, the ellipsis), which
 * PostgreSQL's parser would otherwise take for letters of a word. */
static size_t
separator(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return !((c >= '0' && c <= '9') ||
		         ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'));
	if (c == 0xc2 && n >= 2)
		switch (s[1]) {
		case 0xa0: case 0xa1: case 0xa7: case 0xab:
		case 0xb6: case 0xb7: case 0xbb: case 0xbf:
			return 2;
		}
	if (c == 0xe2 && n >= 3 && (s[1] == 0x80 || (s[1] == 0x81 && s[2] <= 0xaf)) &&
	    s[2] >= 0x80 && s[2] <= 0xbf)
		return 3;
	return 0;
}

/* An atom as a tsquery phrase: its words, each quoted, joined by <->, the
 * last a prefix if the atom is; 0 words: nothing written. */
static int
put_lexemes(struct qbuf *b, const struct atom *a)
{
	const unsigned char *s = (const unsigned char *)a->s;
	size_t i = 0, n = a->n;
	int k = 0;
	while (i < n) {
		size_t sep = separator(s + i, n - i);
		if (sep) {
			i += sep;
			continue;
		}
		if (k++)
			qb_str(b, " <-> ");
		qb_str(b, "'");
		/* no quote or backslash survives the cut, but a lexeme is
		 * written as tsquery reads one whatever it holds */
		while (i < n && !separator(s + i, n - i)) {
			if (s[i] == '\'' || s[i] == '\\')
				qb_add(b, (const char *)s + i, 1);
			qb_add(b, (const char *)s + i, 1);
			i++;
		}
		qb_str(b, "'");
	}
	if (k && a->prefix)
		qb_str(b, ":*");
	return k;
}

static int
pg_has_words(const struct atom *a)
{
	struct qbuf t = {0};
	int k = put_lexemes(&t, a);
	free(t.s);
	return k;
}

/* A clause's atoms with words, joined by |, in parentheses; 0 if none. */
static int
pg_clause(struct qbuf *b, const struct atom *at, const struct clause *c)
{
	int k = 0;
	for (int i = c->first; i < c->first + c->n; i++) {
		if (!pg_has_words(&at[i]))
			continue;
		qb_str(b, k++ ? " | " : "(");
		/* a phrase binds looser than |: each in its parentheses */
		qb_str(b, "(");
		put_lexemes(b, &at[i]);
		qb_str(b, ")");
	}
	if (k)
		qb_str(b, ")");
	return k;
}

/* The tsquery (for to_tsquery('simple', ...)) of a parsed search: the
 * wanted clauses ANDed, then each NOT clause ANDed as !(...); "" when no
 * wanted clause has a word, as fts5_query has it.  websearch_to_tsquery
 * is not used: it has no prefix search, reads a lower-case "or" as OR and a
 * leading "-" as NOT, both words to confab, and would see the punctuation
 * that FTS5 treats as space. */
static char *
pg_tsquery(const struct parsed *p)
{
	struct qbuf b = {0};
	qb_str(&b, "");
	int any = 0;
	for (int i = 0; i < p->nc; i++) {
		if (p->cl[i].neg)
			continue;
		struct qbuf g = {0};
		if (pg_clause(&g, p->at, &p->cl[i])) {
			if (any++)
				qb_str(&b, " & ");
			qb_add(&b, g.s, g.n);
		}
		free(g.s);
	}
	for (int i = 0; any && i < p->nc; i++) {
		if (!p->cl[i].neg)
			continue;
		struct qbuf g = {0};
		if (pg_clause(&g, p->at, &p->cl[i])) {
			qb_str(&b, " & !");
			qb_add(&b, g.s, g.n);
		}
		free(g.s);
	}
	return b.s;
}

char *
cf_search_query(const char *text, const char **why)
{
	struct parsed p;
	char *q = parse(text, &p, why) ? NULL : fts5_query(&p);
	parsed_free(&p);
	return q;
}

char *
cf_search_query_for(cf_store *st, const char *text, const char **why)
{
	struct parsed p;
	char *q = NULL;
	if (!parse(text, &p, why))
		q = cf_sql_kind(st->db) == CF_SQL_PG ? pg_tsquery(&p) : fts5_query(&p);
	parsed_free(&p);
	return q;
}

/* ---- snippets ---- */

/* The query's phrase instances in the one column, in order of position: a
 * merge of each phrase's own position list, read only as far as asked.
 * FTS5's xInst would first list every instance in the row. */
struct insts {
	const Fts5ExtensionApi *api;
	Fts5Context *fc;
	int n;
	Fts5PhraseIter *it;
	int *at;        /* each phrase's next offset, -1 past its last */
	int *size;      /* each phrase's tokens */
};

static int
insts_init(struct insts *x, const Fts5ExtensionApi *api, Fts5Context *fc)
{
	x->api = api;
	x->fc = fc;
	x->n = api->xPhraseCount(fc);
	x->it = cf_xmalloc(sizeof *x->it * (size_t)(x->n + 1));
	x->at = cf_xmalloc(sizeof *x->at * (size_t)(x->n + 1));
	x->size = cf_xmalloc(sizeof *x->size * (size_t)(x->n + 1));
	for (int p = 0; p < x->n; p++) {
		int col, off;
		int rc = api->xPhraseFirst(fc, p, &x->it[p], &col, &off);
		if (rc != CF_SQL_OK)
			return rc;
		x->at[p] = col == 0 ? off : -1;
		x->size[p] = api->xPhraseSize(fc, p);
		if (x->size[p] < 1)
			x->size[p] = 1;
	}
	return CF_SQL_OK;
}

static void
insts_free(struct insts *x)
{
	free(x->it);
	free(x->at);
	free(x->size);
}

/* The next instance: its phrase, first and last token; 0 at the end. */
static int
insts_next(struct insts *x, int *phrase, int *first, int *last)
{
	int best = -1;
	for (int p = 0; p < x->n; p++)
		if (x->at[p] >= 0 && (best < 0 || x->at[p] < x->at[best]))
			best = p;
	if (best < 0)
		return 0;
	*phrase = best;
	*first = x->at[best];
	*last = *first + x->size[best] - 1;
	/* xPhraseNext adds to the offset it is given */
	int col = 0, off = *first;
	x->api->xPhraseNext(x->fc, &x->it[best], &col, &off);
	x->at[best] = col == 0 ? off : -1;
	return 1;
}

/* Instances coalesced as FTS5's highlight() does: overlapping ones are one
 * range (a phrase and a word in it), touching ones are not. */
struct ranges {
	struct insts x;
	int more, p, f, l;  /* the instance read ahead */
	int start, end;     /* the current range; -1 past the last */
};

static void
ranges_next(struct ranges *r)
{
	r->start = r->end = -1;
	if (!r->more)
		return;
	r->start = r->f;
	r->end = r->l;
	while ((r->more = insts_next(&r->x, &r->p, &r->f, &r->l)) &&
	       r->f <= r->end)
		if (r->l > r->end)
			r->end = r->l;
}

/* The output pass, FTS5's fts5HighlightCb but stopping after the window's
 * last token, over the text from byte base (token position pos). */
struct hl {
	const char *text, *open, *close;
	size_t base;            /* where the tokenizer was started */
	size_t off;             /* text written up to here */
	int pos;                /* the next token's position */
	int from, to;           /* the window; to < 0: the whole text */
	struct ranges r;
	struct qbuf o;
};

static int
hl_token(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	struct hl *h = ctx;
	(void)tok;
	(void)ntok;
	if (flags & FTS5_TOKEN_COLOCATED)
		return CF_SQL_OK;
	size_t s = h->base + (size_t)start, e = h->base + (size_t)end;
	int pos = h->pos++;
	if (h->to >= 0) {
		if (pos < h->from)
			return CF_SQL_OK;
		if (h->from && pos == h->from)
			h->off = s;
	}
	if (pos == h->r.start) {
		qb_add(&h->o, h->text + h->off, s - h->off);
		qb_add(&h->o, h->open, strlen(h->open));
		h->off = s;
	}
	if (pos == h->r.end) {
		qb_add(&h->o, h->text + h->off, e - h->off);
		qb_add(&h->o, h->close, strlen(h->close));
		h->off = e;
		ranges_next(&h->r);
	}
	if (h->to >= 0 && pos == h->to) {
		qb_add(&h->o, h->text + h->off, e - h->off);
		h->off = e;
		if (h->r.start >= 0 && pos >= h->r.start && pos < h->r.end)
			qb_add(&h->o, h->close, strlen(h->close));
		return CF_SQL_DONE;
	}
	return CF_SQL_OK;
}

/* How many instances are candidates for the window: snippet() weighs
 * every one, which is what makes it quadratic; a message with fewer gets
 * snippet()'s very output. */
#define SNIP_CANDIDATES 256

struct inst {
	int p, f, end;          /* phrase, first token, one past its last */
};

/* The selection pass: the text up to the last candidate, for where
 * sentences begin, as fts5SentenceFinderCb sees them, and the byte where
 * the output pass may start. */
struct sel {
	const char *text;
	const struct inst *in;
	int ncand, ci;
	int *sent;              /* each candidate's last sentence start */
	int pos, last_sent;
	int cp_pos;             /* no window can start before this token */
	size_t cp_byte;
};

static int
sel_token(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	struct sel *x = ctx;
	(void)tok;
	(void)ntok;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED)
		return CF_SQL_OK;
	int pos = x->pos++;
	if (pos == 0) {
		x->last_sent = 0;
	} else {
		int i;
		char c = 0;
		for (i = start - 1; i >= 0; i--) {
			c = x->text[i];
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
				break;
		}
		if (i != start - 1 && (c == '.' || c == ':'))
			x->last_sent = pos;
	}
	if (pos == x->cp_pos && pos > 0)
		x->cp_byte = (size_t)start;
	while (x->ci < x->ncand && x->in[x->ci].f <= pos)
		x->sent[x->ci++] = x->last_sent;
	return x->ci == x->ncand ? CF_SQL_DONE : CF_SQL_OK;
}

/* fts5SnippetScore over the window [start, start + ntok): 1000 for each
 * phrase, 1 for each repeat; the first instance's offset and the end of
 * the last, in the order of instances. */
static int
score(const struct inst *in, int n, int start, int ntok, unsigned char *seen,
      int nphrase, int *first, int *last)
{
	int lo = 0, hi = n, sc = 0;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (in[mid].f < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	memset(seen, 0, (size_t)nphrase + 1);
	*first = -1;
	*last = 0;
	for (int j = lo; j < n && (long)in[j].f < (long)start + ntok; j++) {
		sc += seen[in[j].p] ? 1 : 1000;
		seen[in[j].p] = 1;
		if (*first < 0)
			*first = in[j].f;
		*last = in[j].end;
	}
	return sc;
}

/* snippet()'s choice of window, made among the first SNIP_CANDIDATES
 * instances: for each, the window from it moved to centre what it holds,
 * and the window from the start of its sentence, which wins ties by a
 * bonus.  Sets *from, and where the output pass can start. */
static int
choose_window(const Fts5ExtensionApi *api, Fts5Context *fc, const char *text,
              int len, int ntok, int docsize, int *from, int *cp_pos,
              size_t *cp_byte)
{
	struct insts x;
	int rc = insts_init(&x, api, fc);
	struct inst *in = NULL;
	int n = 0, cap = 0, p, f, l;
	/* the candidates and every instance their windows can hold */
	while (rc == CF_SQL_OK && insts_next(&x, &p, &f, &l)) {
		if (n >= SNIP_CANDIDATES && f >= in[SNIP_CANDIDATES - 1].f + ntok)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			in = cf_xrealloc(in, sizeof *in * (size_t)cap);
		}
		in[n].p = p;
		in[n].f = f;
		in[n].end = f + x.size[p];
		n++;
	}
	*from = 0;
	*cp_pos = 0;
	*cp_byte = 0;
	if (rc == CF_SQL_OK && n) {
		int ncand = n < SNIP_CANDIDATES ? n : SNIP_CANDIDATES;
		struct sel s = {.text = text, .in = in, .ncand = ncand,
		                .cp_byte = (size_t)-1};
		s.sent = cf_xmalloc(sizeof *s.sent * (size_t)ncand);
		for (int i = 0; i < ncand; i++)
			s.sent[i] = -1;
		/* every window snippet() could choose holds an instance, so
		 * starts after in[0].f - ntok */
		s.cp_pos = in[0].f > ntok ? in[0].f - ntok : 0;
		rc = api->xTokenize(fc, text, len, &s, sel_token);
		if (rc == CF_SQL_DONE)
			rc = CF_SQL_OK;
		unsigned char *seen = cf_xmalloc((size_t)x.n + 1);
		int best = 0, first, last;
		for (int i = 0; rc == CF_SQL_OK && i < ncand; i++) {
			int io = in[i].f;
			int sc = score(in, n, io, ntok, seen, x.n, &first, &last);
			if (sc > best) {
				long adj = first - (ntok - (last - first)) / 2;
				if (adj + ntok > docsize)
					adj = docsize - ntok;
				if (adj < 0)
					adj = 0;
				best = sc;
				*from = (int)adj;
			}
			int st = s.sent[i];
			if (docsize > ntok && st >= 0 && st < io) {
				sc = score(in, n, st, ntok, seen, x.n, &first, &last) +
				     (st == 0 ? 120 : 100);
				if (sc > best) {
					best = sc;
					*from = st;
				}
			}
		}
		free(seen);
		if (*from > s.cp_pos && s.cp_byte != (size_t)-1) {
			*cp_pos = s.cp_pos;
			*cp_byte = s.cp_byte;
		}
		free(s.sent);
	}
	free(in);
	insts_free(&x);
	return rc;
}

/* cf_snippet(table, open, close, ellipsis, ntok): FTS5's snippet(table, 0,
 * open, close, ellipsis, ntok), and with ntok 0 its highlight(table, 0,
 * open, close), in time that follows the text: snippet() scores every
 * instance against every other and highlight() copies its output at each
 * one.  A text with more than SNIP_CANDIDATES instances may get another
 * window than snippet() would choose. */
static void
snippet_fn(const Fts5ExtensionApi *api, Fts5Context *fc,
           sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc != 4) {
		sqlite3_result_error(ctx, "cf_snippet: wrong number of arguments", -1);
		return;
	}
	struct hl h = {0};
	const char *ell = (const char *)sqlite3_value_text(argv[2]);
	int ntok = sqlite3_value_int(argv[3]), len = 0, docsize = 0, rc;
	h.open = (const char *)sqlite3_value_text(argv[0]);
	h.close = (const char *)sqlite3_value_text(argv[1]);
	if (!h.open)
		h.open = "";
	if (!h.close)
		h.close = "";
	if (!ell)
		ell = "";
	rc = api->xColumnText(fc, 0, &h.text, &len);
	if (rc == CF_SQL_OK && !h.text) {
		sqlite3_result_null(ctx);
		return;
	}
	h.to = -1;
	if (rc == CF_SQL_OK && ntok > 0) {
		rc = api->xColumnSize(fc, 0, &docsize);
		if (rc == CF_SQL_OK)
			rc = choose_window(api, fc, h.text, len, ntok, docsize,
			                   &h.from, &h.pos, &h.base);
		h.to = h.from + ntok - 1;
		h.off = h.base;
	}
	if (rc == CF_SQL_OK)
		rc = insts_init(&h.r.x, api, fc);
	if (rc == CF_SQL_OK) {
		h.r.more = insts_next(&h.r.x, &h.r.p, &h.r.f, &h.r.l);
		ranges_next(&h.r);
		/* as snippet() does, a range begun before the window is not
		 * shown */
		while (h.r.start >= 0 && h.r.start < h.from)
			ranges_next(&h.r);
		qb_add(&h.o, "", 0);
		if (h.from > 0)
			qb_add(&h.o, ell, strlen(ell));
		rc = api->xTokenize(fc, h.text + h.base, len - (int)h.base, &h,
		                    hl_token);
		if (rc == CF_SQL_DONE)
			rc = CF_SQL_OK;
	}
	if (rc == CF_SQL_OK) {
		if (h.to < 0 || h.to >= docsize - 1)
			qb_add(&h.o, h.text + h.off, (size_t)len - h.off);
		else
			qb_add(&h.o, ell, strlen(ell));
		sqlite3_result_text64(ctx, h.o.s, h.o.n, free, SQLITE_UTF8);
		h.o.s = NULL;
	} else {
		sqlite3_result_error_code(ctx, rc);
	}
	free(h.o.s);
	insts_free(&h.r.x);
}

jv
cf_search_fns(cf_store *st)
{
	if (st->search_fns)
		return jv_true();
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;
	if (st->lite)
		sqlite3_prepare_v2(st->lite, "SELECT fts5(?1)", -1, &s, NULL);
	sqlite3_bind_pointer(s, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	sqlite3_finalize(s);
	if (!api || api->iVersion < 2 ||
	    api->xCreateFunction(api, "cf_snippet", NULL, snippet_fn, NULL) !=
	            CF_SQL_OK)
		return cf_error(CF_EX_STORE, "%s: this SQLite has no FTS5", st->path);
	st->search_fns = 1;
	return jv_true();
}

/* ---- PostgreSQL's snippets: ts_headline's marks on the text's own ---- */

/* The bytes of the character at s, before end: cf_utf8_len's sequence,
 * or 1 (ASCII, or a stray byte, which PostgreSQL's text never holds). */
static size_t
u8len(const char *s, const char *end)
{
	size_t k = cf_utf8_len((const unsigned char *)s, (const unsigned char *)end);
	return k ? k : 1;
}

/* The byte offset of character k of s (n bytes), at most n. */
static size_t
u8skip(const char *s, size_t n, size_t k)
{
	size_t i = 0;
	while (k-- && i < n)
		i += u8len(s + i, s + n);
	return i < n ? i : n;
}

static int
only_spaces(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ')
			return 0;
	return 1;
}

static jv
add(jv b, const char *s, size_t n)
{
	return n ? jv_string_append_buf(b, s, (int)n) : b;
}

/* s with its marks made o and c: a run of text at a time, as jq checks
 * what it appends for UTF-8 (a byte at a time would be U+FFFDs) */
static jv
add_marked(jv b, const char *s, size_t n, const char *o, const char *c)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != 1 && s[j] != 2)
			j++;
		b = add(b, s + i, j - i);
		if (j < n)
			b = s[j] == 1 ? add(b, o, strlen(o)) : add(b, c, strlen(c));
		i = j + 1;
	}
	return b;
}

jv
cf_pg_headline(const char *t, const char *m, const char *h, int cut,
               const char *o, const char *c, const char *ell)
{
	size_t tn = strlen(t), mn = strlen(m), hn = strlen(h);
	/* r: h without its marks, which are ASCII and so whole bytes */
	char *r = cf_xmalloc(hn + 1);
	size_t rn = 0, rchars = 0;
	for (size_t i = 0; i < hn; i++)
		if (h[i] != 1 && h[i] != 2) {
			if (((unsigned char)h[i] & 0xC0) != 0x80)
				rchars++;
			r[rn++] = h[i];
		}
	/* where h's words are in m: the first match of bytes is the first of
	 * characters, UTF-8 being what it is */
	const char *at = rn ? memmem(m, mn, r, rn) : NULL;
	free(r);
	if (!at)
		return add_marked(jv_string(""), h, hn, o, c);
	/* m is t a character for a character: the same characters of t */
	size_t off = 0;
	for (const char *p = m; p < at; p += u8len(p, m + mn))
		off++;
	size_t t0 = u8skip(t, tn, off);
	size_t t1 = t0 + u8skip(t + t0, tn - t0, rchars);
	size_t m1 = (size_t)(at - m) + rn;
	/* h's marks put between t's characters as they are between m's (a
	 * mark's byte in t itself a space, as cf_words made it in m) */
	char *x = cf_xmalloc(hn + (t1 - t0) + 1);
	size_t xn = 0, k = t0;
	for (size_t i = 0; i < hn;) {
		if (h[i] == 1 || h[i] == 2) {
			x[xn++] = h[i++];
			continue;
		}
		i += u8len(h + i, h + hn);
		if (k < t1) {
			size_t l = u8len(t + k, t + tn);
			if (t[k] == 1 || t[k] == 2)
				x[xn++] = ' ';
			else
				for (size_t e = 0; e < l && k + e < t1; e++)
					x[xn++] = t[k + e];
			k += l;
		}
	}
	for (; k < t1; k++)
		x[xn++] = t[k] == 1 || t[k] == 2 ? ' ' : t[k];
	jv b = only_spaces(m, (size_t)(at - m)) ? add(jv_string(""), t, t0)
	                                       : add(jv_string(""), ell, strlen(ell));
	/* the parts of one written word (it's, foo-bar) one hit, as FTS5 shows
	 * a phrase: a close, then no space nor mark, then an open, and those
	 * two marks go */
	size_t from = 0;   /* x[from..i) is still to go out */
	for (size_t i = 0; i < xn; i++) {
		if (x[i] != 2)
			continue;
		size_t j = i + 1;
		while (j < xn && x[j] != 1 && x[j] != 2 && !strchr(" \t\n\v\f\r", x[j]))
			j++;
		if (j > i + 1 && j < xn && x[j] == 1) {
			b = add_marked(b, x + from, i - from, o, c);
			b = add(b, x + i + 1, j - i - 1);
			from = j + 1;
			i = j;
		}
	}
	b = add_marked(b, x + from, xn - from, o, c);
	free(x);
	if (!cut && only_spaces(m + m1, mn - m1))
		return add(b, t + t1, tn - t1);
	return add(b, ell, strlen(ell));
}
