/* diff.c — where two sessions agree and where they part (chat-diff,
 * confab's /diff), and what an edit changed in a message: Myers' shortest
 * edit script, over messages and over the words of one message.
 *
 * Memory does not follow the common part: two statements walk the
 * sessions' rows in order, stepped together while they are equal and
 * kept only from the first difference on.  The tails are then compared
 * message by message (their common end first), and a message on both
 * sides at the same place with another text is shown word by word.  None
 * of the libraries confab links (SQLite, jq, glib, cmark) has a diff, so
 * the search is here, small. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "priv.h"

#define RED "\033[31m"

/* Past this many removes and adds an edit script is not searched for:
 * Myers' trace is (D+1)² entries, and two texts that far apart read
 * better as one replaced whole. */
#define MAX_D 1000
/* Nor past this many bytes between two texts' common ends: their tokens
 * and the table that numbers them follow the size. */
#define MAX_MIDDLE (256 * 1024)

long
cf_diff_script(const uint32_t *a, size_t n, const uint32_t *b, size_t m,
               long max_d, char **script)
{
	*script = NULL;
	if (n > INT32_MAX / 2 || m > INT32_MAX / 2)
		return -1;
	long N = (long)n, M = (long)m;
	if (max_d < 0 || max_d > N + M)
		max_d = N + M;
	/* v[k] (k from -d to d, at k + off): the furthest x on diagonal k;
	 * trace row d holds them after round d, at d * d + k + d */
	long off = max_d + 1;
	int32_t *v = cf_xmalloc(sizeof *v * (size_t)(2 * max_d + 3));
	size_t tcap = 64, tlen = 0;
	int32_t *trace = cf_xmalloc(sizeof *trace * tcap);
	v[off + 1] = 0;
	long D = -1;
	for (long d = 0; d <= max_d && D < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ?
			         v[off + k + 1] : v[off + k - 1] + 1;
			long y = x - k;
			while (x < N && y < M && a[x] == b[y])
				x++, y++;
			v[off + k] = (int32_t)x;
			if (x >= N && y >= M)
				D = d;
		}
		if (tlen + (size_t)(2 * d + 1) > tcap) {
			while (tlen + (size_t)(2 * d + 1) > tcap)
				tcap *= 2;
			trace = cf_xrealloc(trace, sizeof *trace * tcap);
		}
		memcpy(trace + tlen, v + off - d, sizeof *v * (size_t)(2 * d + 1));
		tlen += (size_t)(2 * d + 1);
	}
	free(v);
	if (D < 0) {
		free(trace);
		return -1;
	}
	/* back from (N, M): each round's move, then its snake */
	size_t len = (size_t)(N + M), at = len;
	char *out = cf_xmalloc(len ? len : 1);
	long x = N, y = M;
	for (long d = D; d > 0; d--) {
		const int32_t *pv = trace + (size_t)((d - 1) * (d - 1)) + (size_t)(d - 1);
		long k = x - y;
		long pk = (k == -d || (k != d && pv[k - 1] < pv[k + 1])) ? k + 1 : k - 1;
		long px = pv[pk], py = px - pk;
		while (x > px && y > py)
			out[--at] = '=', x--, y--;
		if (x == px)
			out[--at] = '+', y--;
		else
			out[--at] = '-', x--;
	}
	while (x > 0)
		out[--at] = '=', x--;
	free(trace);
	memmove(out, out + at, len - at);
	*script = out;
	return (long)(len - at);
}

/* Items as numbers, equal items one number, so that the search compares
 * integers: an open-addressed table of (hash, text, role). */
struct ids {
	struct islot {
		uint64_t h;
		const char *s, *r;
		size_t len;
		uint32_t id;
	} *t;
	size_t mask;
	uint32_t next;
};

static void
ids_init(struct ids *x, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	x->t = cf_xmalloc(sizeof *x->t * cap);
	memset(x->t, 0, sizeof *x->t * cap);
	x->mask = cap - 1;
	x->next = 1;
}

/* r: a second part of the item (a message's role), or NULL. */
static uint32_t
ids_of(struct ids *x, uint64_t h, const char *s, size_t len, const char *r)
{
	for (size_t i = (size_t)h & x->mask;; i = (i + 1) & x->mask) {
		struct islot *e = &x->t[i];
		if (!e->id) {
			*e = (struct islot){h, s, r, len, x->next++};
			return e->id;
		}
		if (e->h == h && e->len == len && !memcmp(e->s, s, len) &&
		    (!r || !strcmp(e->r, r)))
			return e->id;
	}
}

static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* ---- words ---- */

struct tok { size_t off, len; };

static int
wordish(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_';
}

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A word (letters, digits, '_' and every byte of a UTF-8 sequence) or
 * one other character, with the blanks after it; blanks that start the
 * text are a token of their own.  Half as many tokens as words and blanks
 * apart: the search costs the square of the edits. */
static size_t
tok_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 1;
	if (wordish(p[0]))
		while (i < n && wordish(p[i]))
			i++;
	while (i < n && blank(p[i]))
		i++;
	return i;
}

/* May a piece of s (len bytes) end or start at at: not inside a word. */
static int
cut_ok(const char *s, size_t len, size_t at)
{
	return at == 0 || at == len || !wordish((unsigned char)s[at]) ||
	       !wordish((unsigned char)s[at - 1]);
}

/* The tokens of s from byte i to n. */
static struct tok *
tokens(const char *s, size_t i, size_t n, size_t *count)
{
	size_t cap = 16, k = 0;
	struct tok *t = cf_xmalloc(sizeof *t * cap);
	while (i < n) {
		if (k == cap)
			t = cf_xrealloc(t, sizeof *t * (cap *= 2));
		t[k].off = i;
		t[k].len = tok_len(s + i, n - i);
		i += t[k++].len;
	}
	*count = k;
	return t;
}

/* The tokens of a and b as numbers, into ia and ib (malloc'd). */
static void
token_ids(const char *a, const struct tok *ta, size_t ka, const char *b,
          const struct tok *tb, size_t kb, uint32_t **ia, uint32_t **ib)
{
	struct ids x;
	ids_init(&x, ka + kb);
	*ia = cf_xmalloc(sizeof **ia * (ka + 1));
	*ib = cf_xmalloc(sizeof **ib * (kb + 1));
	for (size_t i = 0; i < ka; i++)
		(*ia)[i] = ids_of(&x, fnv(1469598103934665603ULL, a + ta[i].off, ta[i].len),
		                  a + ta[i].off, ta[i].len, NULL);
	for (size_t i = 0; i < kb; i++)
		(*ib)[i] = ids_of(&x, fnv(1469598103934665603ULL, b + tb[i].off, tb[i].len),
		                  b + tb[i].off, tb[i].len, NULL);
	free(x.t);
}

static void
piece(struct cf_wdiff **out, size_t *n, size_t *cap, char op, size_t a,
      size_t b, size_t len)
{
	if (!len)
		return;
	if (*n && (*out)[*n - 1].op == op) {
		(*out)[*n - 1].len += len;
		return;
	}
	if (*n == *cap)
		*out = cf_xrealloc(*out, sizeof **out * (*cap = *cap ? *cap * 2 : 8));
	(*out)[(*n)++] = (struct cf_wdiff){op, a, b, len};
}

size_t
cf_word_diff(const char *a, size_t na, const char *b, size_t nb,
             struct cf_wdiff **out)
{
	size_t ka, kb, n = 0, cap = 0;
	*out = NULL;
	/* the common ends first, byte by byte but never inside a word: an
	 * edit in a long text costs its middle */
	size_t p0 = 0, q0 = 0;
	while (p0 < na && p0 < nb && a[p0] == b[p0])
		p0++;
	while (p0 && !(cut_ok(a, na, p0) && cut_ok(b, nb, p0)))
		p0--;
	while (q0 < na - p0 && q0 < nb - p0 && a[na - 1 - q0] == b[nb - 1 - q0])
		q0++;
	while (q0 && !(cut_ok(a, na, na - q0) && cut_ok(b, nb, nb - q0)))
		q0--;
	if (na - p0 - q0 > MAX_MIDDLE || nb - p0 - q0 > MAX_MIDDLE) {
		piece(out, &n, &cap, '=', 0, 0, p0);
		piece(out, &n, &cap, '-', p0, p0, na - p0 - q0);
		piece(out, &n, &cap, '+', na - q0, p0, nb - p0 - q0);
		piece(out, &n, &cap, '=', na - q0, nb - q0, q0);
		return n;
	}
	struct tok *ta = tokens(a, p0, na - q0, &ka), *tb = tokens(b, p0, nb - q0, &kb);
	uint32_t *ia, *ib;
	token_ids(a, ta, ka, b, tb, kb, &ia, &ib);
	size_t pre = 0, suf = 0;
	while (pre < ka && pre < kb && ia[pre] == ib[pre])
		pre++;
	while (suf < ka - pre && suf < kb - pre && ia[ka - 1 - suf] == ib[kb - 1 - suf])
		suf++;
	size_t ma = ka - pre - suf, mb = kb - pre - suf;
	size_t pa = pre ? ta[pre - 1].off + ta[pre - 1].len : p0;
	size_t pb = pre ? tb[pre - 1].off + tb[pre - 1].len : p0;
	piece(out, &n, &cap, '=', 0, 0, pa);
	char *s = NULL;
	long len = ma && mb ? cf_diff_script(ia + pre, ma, ib + pre, mb, MAX_D, &s) : -1;
	free(ia);
	free(ib);
	size_t i = 0, j = 0;
	if (len < 0) {
		/* nothing alike, or too far apart: the middle replaced whole */
		s = cf_xmalloc(ma + mb + 1);
		memset(s, '-', ma);
		memset(s + ma, '+', mb);
		len = (long)(ma + mb);
	}
	/* between two equal runs, what a lost reads as one piece and what b
	 * gained as another */
	size_t da = pa, db = pb, ra = 0, rb = 0;
	for (long k = 0; k <= len; k++) {
		char op = k < len ? s[k] : '=';
		if (op == '=' || k == len) {
			/* what a replaced run and its replacement start and end
			 * with is the same, not changed: "hi{+ there+}", and
			 * "[-cat-]{+car+} sat", not "[-cat -]{+car +}sat" */
			size_t p = 0, q = 0;
			if (ra && rb) {
				while (p < ra && p < rb && a[da + p] == b[db + p])
					p++;
				while (p && !(cut_ok(a + da, ra, p) && cut_ok(b + db, rb, p)))
					p--;
				while (q < ra - p && q < rb - p &&
				       a[da + ra - 1 - q] == b[db + rb - 1 - q])
					q++;
				while (q && !(cut_ok(a + da, ra, ra - q) && cut_ok(b + db, rb, rb - q)))
					q--;
			}
			piece(out, &n, &cap, '=', da, db, p);
			piece(out, &n, &cap, '-', da + p, db + p, ra - p - q);
			piece(out, &n, &cap, '+', da + ra - q, db + p, rb - p - q);
			piece(out, &n, &cap, '=', da + ra - q, db + rb - q, q);
			da += ra, db += rb, ra = rb = 0;
			if (k == len)
				break;
			const struct tok *t = &ta[pre + i];
			piece(out, &n, &cap, '=', da, db, t->len);
			da += t->len, db += tb[pre + j].len;
			i++, j++;
		} else if (op == '-') {
			ra += ta[pre + i++].len;
		} else {
			rb += tb[pre + j++].len;
		}
	}
	free(s);
	piece(out, &n, &cap, '=', da, db, na - da);
	free(ta);
	free(tb);
	return n;
}

/* Words (not blanks, not punctuation alone) in n bytes of s. */
static long
words_in(const char *s, size_t n)
{
	long w = 0;
	for (size_t i = 0; i < n;) {
		size_t l = tok_len(s + i, n - i);
		if (wordish((unsigned char)s[i]))
			w++;
		i += l;
	}
	return w;
}

/* ---- sessions ---- */

struct dmsg {
	char *id, *role, *model, *content;
	size_t len;
	uint64_t hash;
};

struct dside {
	struct dmsg *m;
	size_t n, cap;
	char label[256];   /* cleaned name, or "message ID" */
	char sid[37];      /* shortest unique prefix, for people */
	long total;
};

/* One record of the result: a run of equal messages, a message removed
 * (a's only), added (b's only) or changed (both, another text). */
struct drec {
	char type;          /* '=', '-', '+', '~' */
	long a, b, count;   /* positions (from 1) on each side; '=': the run */
	size_t ia, ib;      /* indices in the tails, for '-', '+', '~' */
};

struct cf_diff {
	int versions;       /* a message's versions, not two sessions */
	char msg_id[37];
	struct dside A, B;
	long common;        /* equal messages before the first difference */
	jv branch;          /* how the sessions are related, or null */
	struct drec *r;
	size_t nr, rcap;
	long same, change, add, remove;
};

static uint64_t
hash_of(const char *role, const char *s, size_t n)
{
	uint64_t h = fnv(1469598103934665603ULL, role, strlen(role) + 1);
	return fnv(h, s, n);
}

static void
keep(struct dside *d, const char *id, const char *role, const char *model,
     const char *content, size_t len)
{
	if (d->n == d->cap)
		d->m = cf_xrealloc(d->m, sizeof *d->m * (d->cap = d->cap ? d->cap * 2 : 64));
	struct dmsg *m = &d->m[d->n++];
	m->id = cf_xstrdup(id ? id : "");
	m->role = cf_xstrdup(role ? role : "");
	m->model = model ? cf_xstrdup(model) : NULL;
	m->content = cf_xmalloc(len + 1);
	memcpy(m->content, content, len);
	m->content[len] = '\0';
	m->len = len;
	m->hash = hash_of(m->role, content, len);
}

static void
keep_row(struct dside *d, cf_sql_stmt *s)
{
	const char *c = (const char *)cf_sql_column_text(s, 1);
	keep(d, (const char *)cf_sql_column_text(s, 3),
	     (const char *)cf_sql_column_text(s, 0),
	     (const char *)cf_sql_column_text(s, 2), c ? c : "",
	     (size_t)cf_sql_column_bytes(s, 1));
}

static int
same_row(cf_sql_stmt *a, cf_sql_stmt *b)
{
	const unsigned char *ra = cf_sql_column_text(a, 0), *rb = cf_sql_column_text(b, 0);
	if (!ra || !rb || strcmp((const char *)ra, (const char *)rb))
		return 0;
	const void *ca = cf_sql_column_text(a, 1), *cb = cf_sql_column_text(b, 1);
	int la = cf_sql_column_bytes(a, 1), lb = cf_sql_column_bytes(b, 1);
	return la == lb && (!la || !memcmp(ca, cb, (size_t)la));
}

static void
add_rec(struct cf_diff *d, char type, long a, long b, long count, size_t ia,
        size_t ib)
{
	/* a run goes on (but the common part stays a record of its own) */
	struct drec *p = d->nr > 1 ? &d->r[d->nr - 1] : NULL;
	if (type == '=' && p && p->type == '=' && p->a + p->count == a &&
	    p->b + p->count == b) {
		d->r[d->nr - 1].count += count;
		d->same += count;
		return;
	}
	if (d->nr == d->rcap)
		d->r = cf_xrealloc(d->r, sizeof *d->r * (d->rcap = d->rcap ? d->rcap * 2 : 64));
	d->r[d->nr++] = (struct drec){type, a, b, count, ia, ib};
	switch (type) {
	case '=': d->same += count; break;
	case '-': d->remove++; break;
	case '+': d->add++; break;
	default: d->change++; break;
	}
}

static int
same_msg(const struct dmsg *x, const struct dmsg *y)
{
	return x->hash == y->hash && x->len == y->len && !strcmp(x->role, y->role) &&
	       !memcmp(x->content, y->content, x->len);
}

/* The tails compared: their common end, and between them Myers' script
 * over messages (or, past MAX_D, every message of each side).  Within a
 * stretch of removes and adds, the k-th removed and the k-th added of
 * one role are one changed message. */
static void
tails(struct cf_diff *d)
{
	const struct dmsg *ma = d->A.m, *mb = d->B.m;
	size_t na = d->A.n, nb = d->B.n, suf = 0;
	struct ids x;
	ids_init(&x, na + nb);
	uint32_t *ia = cf_xmalloc(sizeof *ia * (na + 1)), *ib = cf_xmalloc(sizeof *ib * (nb + 1));
	for (size_t i = 0; i < na; i++)
		ia[i] = ids_of(&x, ma[i].hash, ma[i].content, ma[i].len, ma[i].role);
	uint32_t seen_a = x.next;
	int shared = 0;
	for (size_t i = 0; i < nb; i++) {
		ib[i] = ids_of(&x, mb[i].hash, mb[i].content, mb[i].len, mb[i].role);
		shared |= ib[i] < seen_a;
	}
	free(x.t);
	while (suf < na && suf < nb && ia[na - 1 - suf] == ib[nb - 1 - suf])
		suf++;
	size_t xa = na - suf, xb = nb - suf;
	char *s = NULL;
	/* tails that share no message (branches that went their own ways)
	 * need no search */
	long len = xa && xb && shared ? cf_diff_script(ia, xa, ib, xb, MAX_D, &s) : -1;
	free(ia);
	free(ib);
	if (len < 0) {
		s = cf_xmalloc(xa + xb + 1);
		memset(s, '-', xa);
		memset(s + xa, '+', xb);
		len = (long)(xa + xb);
	}
	long base = d->common;
	size_t i = 0, j = 0;
	for (long k = 0; k < len;) {
		if (s[k] == '=') {
			add_rec(d, '=', base + (long)i + 1, base + (long)j + 1, 1, i, j);
			i++, j++, k++;
			continue;
		}
		size_t i0 = i, j0 = j;
		while (k < len && s[k] != '=') {
			if (s[k++] == '-')
				i++;
			else
				j++;
		}
		for (size_t p = 0; i0 + p < i || j0 + p < j; p++) {
			size_t ai = i0 + p, bj = j0 + p;
			if (ai < i && bj < j && !strcmp(ma[ai].role, mb[bj].role)) {
				add_rec(d, '~', base + (long)ai + 1, base + (long)bj + 1, 1, ai, bj);
				continue;
			}
			if (ai < i)
				add_rec(d, '-', base + (long)ai + 1, 0, 1, ai, 0);
			if (bj < j)
				add_rec(d, '+', 0, base + (long)bj + 1, 1, 0, bj);
		}
	}
	free(s);
	if (suf)
		add_rec(d, '=', base + (long)xa + 1, base + (long)xb + 1, (long)suf, xa, xb);
}

static void
side_init(cf_store *st, struct dside *d, jv rec)
{
	cf_clean(cf_jstr(rec, "name"), d->label, sizeof d->label, 60, 0);
	cf_session_short_id(st, cf_jstr(rec, "id"), 8, d->sid);
}

/* Where session sid's message point is, counted from 1; 0 when it is
 * gone. */
static jv
position(cf_store *st, const char *sid, const char *point, long *n)
{
	cf_sql_stmt *s = cf_prepare(st, "SELECT count(*) FROM messages WHERE"
		" session_id = ?1 AND seq <= (SELECT seq FROM messages WHERE id = ?2"
		" AND session_id = ?1)");
	cf_bind_text(s, 1, sid);
	cf_bind_text(s, 2, point);
	int rc = cf_sql_step(s);
	*n = rc == CF_SQL_ROW ? (long)cf_sql_column_int64(s, 0) : 0;
	jv r = rc == CF_SQL_ROW ? jv_true() : cf_store_error(st, "finding a branch point");
	cf_sql_finalize(s);
	return r;
}

/* How a and b are related: {parent: "a"|"b", point, at} when one is a
 * branch of the other, {parent: ID} when both are branches of a third,
 * else null. */
static jv
relation(cf_store *st, jv a, jv b)
{
	const char *ia = cf_jstr(a, "id"), *ib = cf_jstr(b, "id");
	const char *pa = cf_jstr_or_null(a, "parentSessionId");
	const char *pb = cf_jstr_or_null(b, "parentSessionId");
	if (!strcmp(ia, ib))
		return jv_null();
	const char *side = NULL, *parent = NULL, *point = NULL;
	if (pb && !strcmp(pb, ia))
		side = "a", parent = ia, point = cf_jstr_or_null(b, "branchPoint");
	else if (pa && !strcmp(pa, ib))
		side = "b", parent = ib, point = cf_jstr_or_null(a, "branchPoint");
	else if (pa && pb && !strcmp(pa, pb))
		return jv_object_set(jv_object(), jv_string("parent"), jv_string(pa));
	else
		return jv_null();
	jv r = jv_object_set(jv_object(), jv_string("parent"), jv_string(side));
	r = jv_object_set(r, jv_string("point"), point ? jv_string(point) : jv_null());
	long at = 0;
	if (point) {
		jv e = position(st, parent, point, &at);
		if (!jv_is_valid(e)) {
			jv_free(r);
			return e;
		}
		jv_free(e);
	}
	return jv_object_set(r, jv_string("at"), at ? jv_number((double)at) : jv_null());
}

static struct cf_diff *
diff_new(void)
{
	struct cf_diff *d = cf_xmalloc(sizeof *d);
	memset(d, 0, sizeof *d);
	d->branch = jv_null();
	return d;
}

void
cf_diff_free(struct cf_diff *d)
{
	if (!d)
		return;
	struct dside *sides[] = {&d->A, &d->B};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sides[k]->n; i++) {
			struct dmsg *m = &sides[k]->m[i];
			free(m->id);
			free(m->role);
			free(m->model);
			free(m->content);
		}
		free(sides[k]->m);
	}
	jv_free(d->branch);
	free(d->r);
	free(d);
}

int
cf_diff_differ(const struct cf_diff *d)
{
	return d->change + d->add + d->remove > 0;
}

jv
cf_diff_sessions(cf_store *st, jv a, jv b, struct cf_diff **out)
{
	static const char sql[] =
		"SELECT m.role, " CF_MESSAGE_CONTENT ", m.model, m.id FROM messages m"
		" WHERE m.session_id = ?1 ORDER BY m.seq";
	*out = NULL;
	struct cf_diff *d = diff_new();
	side_init(st, &d->A, a);
	side_init(st, &d->B, b);
	jv rel = relation(st, a, b);
	if (cf_is_error(rel)) {
		cf_diff_free(d);
		return rel;
	}
	jv_free(d->branch);
	d->branch = rel;

	/* one statement a session, in one read transaction (a writer
	 * meanwhile is seen by both or neither) */
	cf_sql_stmt *sa = cf_prepare(st, sql), *sb = cf_prepare(st, sql);
	cf_bind_text(sa, 1, cf_jstr(a, "id"));
	cf_bind_text(sb, 1, cf_jstr(b, "id"));
	int ra = cf_sql_step(sa), rb = cf_sql_step(sb);
	while (ra == CF_SQL_ROW && rb == CF_SQL_ROW && same_row(sa, sb)) {
		d->common++;
		ra = cf_sql_step(sa);
		rb = cf_sql_step(sb);
	}
	for (; ra == CF_SQL_ROW; ra = cf_sql_step(sa))
		keep_row(&d->A, sa);
	for (; rb == CF_SQL_ROW; rb = cf_sql_step(sb))
		keep_row(&d->B, sb);
	jv r = ra == CF_SQL_DONE && rb == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "reading messages");
	cf_sql_finalize(sa);
	cf_sql_finalize(sb);
	if (!jv_is_valid(r)) {
		cf_diff_free(d);
		return r;
	}
	d->A.total = d->common + (long)d->A.n;
	d->B.total = d->common + (long)d->B.n;
	/* the common part is always the first record, even when empty */
	if (d->rcap == 0)
		d->r = cf_xmalloc(sizeof *d->r * (d->rcap = 64));
	d->r[d->nr++] = (struct drec){'=', 1, 1, d->common, 0, 0};
	d->same = d->common;
	tails(d);
	*out = d;
	return r;
}

jv
cf_diff_versions(jv msg, long version, struct cf_diff **out)
{
	*out = NULL;
	jv vs = cf_edit_versions(msg);
	if (!jv_is_valid(vs))
		return vs;
	long n = jv_array_length(jv_copy(vs));
	const char *id = cf_jstr(msg, "id");
	if (n < 2) {
		jv_free(vs);
		return cf_error(CF_EX_USAGE, "message '%s' has no earlier version "
		                "(it was never edited)", id);
	}
	if (version == 0)
		version = n - 1;
	if (version < 1 || version > n) {
		jv_free(vs);
		return cf_error(CF_EX_USAGE, "message '%s' has no version %ld "
		                "(it has 1 to %ld)", id, version, n);
	}
	struct cf_diff *d = diff_new();
	d->versions = 1;
	snprintf(d->msg_id, sizeof d->msg_id, "%s", id);
	jv va = jv_array_get(jv_copy(vs), (int)version - 1);
	jv vb = jv_array_get(vs, (int)n - 1);
	const char *role = cf_jstr(msg, "role");
	jv meta = jv_object_get(jv_copy(msg), jv_string("metadata"));
	const char *cur_model = jv_get_kind(meta) == JV_KIND_OBJECT ?
		cf_jstr_or_null(meta, "model") : NULL;
	jv vv[2] = {va, vb};
	struct dside *sides[2] = {&d->A, &d->B};
	for (int k = 0; k < 2; k++) {
		jv cj = jv_object_get(jv_copy(vv[k]), jv_string("content"));
		const char *c = jv_string_value(cj);
		const char *model = cf_jstr_or_null(vv[k], "model");
		/* a retried reply's old versions name their own model; an
		 * edited one's are the message's */
		keep(sides[k], id, role, model ? model : cur_model, c,
		     (size_t)jv_string_length_bytes(jv_copy(cj)));
		jv_free(cj);
		snprintf(sides[k]->label, sizeof sides[k]->label, "version %.0f%s",
		         cf_jnum(vv[k], "version", 0), k == 1 ? " (current)" : "");
		snprintf(sides[k]->sid, sizeof sides[k]->sid, "%.8s", id);
		sides[k]->total = 1;
		jv_free(vv[k]);
	}
	jv_free(meta);
	if (same_msg(&d->A.m[0], &d->B.m[0]))
		add_rec(d, '=', version, n, 1, 0, 0);
	else
		add_rec(d, '~', version, n, 1, 0, 0);
	*out = d;
	return jv_true();
}

/* ---- output ---- */

struct dout {
	FILE *f;
	int color;
};

static const char *
sgr(const struct dout *o, const char *seq)
{
	return o->color ? seq : "";
}

static void
put_text(const struct dout *o, const char *s, size_t n)
{
	int c2 = 0;
	cf_clean_write(o->f, s, n, &c2, 0);
	if (c2)
		putc(0xc2, o->f);
}

/* text as lines, each after mark, in color seq. */
static void
put_lines(const struct dout *o, char mark, const char *seq, const char *s, size_t n)
{
	size_t i = 0;
	do {
		size_t e = i;
		while (e < n && s[e] != '\n')
			e++;
		fprintf(o->f, "%s%c", sgr(o, seq), mark);
		put_text(o, s + i, e - i);
		fprintf(o->f, "%s\n", sgr(o, CF_RESET));
		i = e + 1;
	} while (i <= n && !(i == n && n && s[n - 1] == '\n'));
}

static void
put_head(const struct dout *o, const struct dmsg *a, const struct dmsg *b,
         const struct drec *r, int versions)
{
	char role[64], ma[128], mb[128];
	const struct dmsg *m = a ? a : b;
	cf_clean(m->role, role, sizeof role, 20, 0);
	cf_clean(a && a->model ? a->model : "", ma, sizeof ma, 60, 0);
	cf_clean(b && b->model ? b->model : "", mb, sizeof mb, 60, 0);
	fprintf(o->f, "%s@@", sgr(o, CF_CYAN));
	if (versions)
		fprintf(o->f, " version %ld → %ld", r->a, r->b);
	if (a && !versions)
		fprintf(o->f, " -%ld", r->a);
	if (b && !versions)
		fprintf(o->f, " +%ld", r->b);
	fprintf(o->f, " @@%s %s%s%s", sgr(o, CF_RESET), sgr(o, CF_BOLD), role, sgr(o, CF_RESET));
	if (a && b && strcmp(ma, mb))
		fprintf(o->f, " · %s → %s", *ma ? ma : "(no model)", *mb ? mb : "(no model)");
	else if (*ma || *mb)
		fprintf(o->f, " · %s", *ma ? ma : mb);
	fputc('\n', o->f);
}

static void
put_words(const struct dout *o, const struct dmsg *a, const struct dmsg *b)
{
	struct cf_wdiff *w;
	size_t n = cf_word_diff(a->content, a->len, b->content, b->len, &w);
	for (size_t i = 0; i < n; i++) {
		if (w[i].op == '=') {
			put_text(o, a->content + w[i].a, w[i].len);
		} else if (w[i].op == '-') {
			fprintf(o->f, "%s", o->color ? RED : "[-");
			put_text(o, a->content + w[i].a, w[i].len);
			fprintf(o->f, "%s", o->color ? CF_RESET : "-]");
		} else {
			fprintf(o->f, "%s", o->color ? CF_GREEN : "{+");
			put_text(o, b->content + w[i].b, w[i].len);
			fprintf(o->f, "%s", o->color ? CF_RESET : "+}");
		}
	}
	free(w);
	fputc('\n', o->f);
}

static void
put_same(const struct dout *o, const struct drec *r, int versions)
{
	fprintf(o->f, "%s", sgr(o, CF_DIM));
	if (versions)
		fprintf(o->f, "= version %ld and %ld are the same\n", r->a, r->b);
	else if (!r->count)
		fprintf(o->f, "= no message in common at the start\n");
	else if (r->a == r->b)
		fprintf(o->f, "= %ld message%s the same (%ld-%ld)\n", r->count,
		        r->count == 1 ? "" : "s", r->a, r->a + r->count - 1);
	else
		fprintf(o->f, "= %ld message%s the same (-%ld-%ld +%ld-%ld)\n", r->count,
		        r->count == 1 ? "" : "s", r->a, r->a + r->count - 1, r->b,
		        r->b + r->count - 1);
	fprintf(o->f, "%s", sgr(o, CF_RESET));
}

struct wcount {
	long add, remove;
};

static struct wcount
word_counts(const struct cf_diff *d)
{
	struct wcount c = {0, 0};
	for (size_t i = 0; i < d->nr; i++) {
		const struct drec *r = &d->r[i];
		if (r->type == '-')
			c.remove += words_in(d->A.m[r->ia].content, d->A.m[r->ia].len);
		else if (r->type == '+')
			c.add += words_in(d->B.m[r->ib].content, d->B.m[r->ib].len);
		if (r->type != '~')
			continue;
		const struct dmsg *a = &d->A.m[r->ia], *b = &d->B.m[r->ib];
		struct cf_wdiff *w;
		size_t n = cf_word_diff(a->content, a->len, b->content, b->len, &w);
		for (size_t k = 0; k < n; k++) {
			if (w[k].op == '-')
				c.remove += words_in(a->content + w[k].a, w[k].len);
			else if (w[k].op == '+')
				c.add += words_in(b->content + w[k].b, w[k].len);
		}
		free(w);
	}
	return c;
}

static void
write_text(const struct dout *o, const struct cf_diff *d)
{
	const struct dside *sd[2] = {&d->A, &d->B};
	for (int k = 0; k < 2; k++) {
		fprintf(o->f, "%s%s %c: ", sgr(o, CF_BOLD), k ? "+++" : "---", k ? 'b' : 'a');
		if (d->versions)
			fprintf(o->f, "message %s, %s", d->msg_id, sd[k]->label);
		else
			fprintf(o->f, "%s (%s, %ld message%s)", sd[k]->label, sd[k]->sid,
			        sd[k]->total, sd[k]->total == 1 ? "" : "s");
		fprintf(o->f, "%s\n", sgr(o, CF_RESET));
	}
	if (jv_get_kind(d->branch) == JV_KIND_OBJECT) {
		const char *p = cf_jstr(d->branch, "parent");
		long at = (long)cf_jnum(d->branch, "at", 0);
		fprintf(o->f, "%s", sgr(o, CF_DIM));
		if (!strcmp(p, "a") || !strcmp(p, "b")) {
			fprintf(o->f, "# %s is a branch of %s", *p == 'a' ? "b" : "a", p);
			if (at)
				fprintf(o->f, ", made at message %ld", at);
			fputc('\n', o->f);
		} else {
			fprintf(o->f, "# a and b are branches of one session (%.8s)\n", p);
		}
		fprintf(o->f, "%s", sgr(o, CF_RESET));
	}
	for (size_t i = 0; i < d->nr; i++) {
		const struct drec *r = &d->r[i];
		const struct dmsg *a = r->type == '-' || r->type == '~' ? &d->A.m[r->ia] : NULL;
		const struct dmsg *b = r->type == '+' || r->type == '~' ? &d->B.m[r->ib] : NULL;
		if (r->type == '=') {
			put_same(o, r, d->versions);
			continue;
		}
		put_head(o, a, b, r, d->versions);
		if (r->type == '-')
			put_lines(o, '-', RED, a->content, a->len);
		else if (r->type == '+')
			put_lines(o, '+', CF_GREEN, b->content, b->len);
		else
			put_words(o, a, b);
	}
}

static void
write_stat(const struct dout *o, const struct cf_diff *d)
{
	struct wcount w = word_counts(d);
	if (d->versions)
		fprintf(o->f, "message %s: version %ld against %ld, ", d->msg_id,
		        d->r[0].a, d->r[0].b);
	else
		fprintf(o->f, "a: %s (%s), %ld message%s; b: %s (%s), %ld message%s\n",
		        d->A.label, d->A.sid, d->A.total, d->A.total == 1 ? "" : "s",
		        d->B.label, d->B.sid, d->B.total, d->B.total == 1 ? "" : "s");
	fprintf(o->f, "%ld the same, %s%ld changed%s, %s%ld removed%s, %s%ld added%s; "
	        "words %s-%ld%s %s+%ld%s\n",
	        d->same, sgr(o, CF_YELLOW), d->change, sgr(o, CF_RESET),
	        sgr(o, RED), d->remove, sgr(o, CF_RESET), sgr(o, CF_GREEN), d->add,
	        sgr(o, CF_RESET), sgr(o, RED), w.remove, sgr(o, CF_RESET),
	        sgr(o, CF_GREEN), w.add, sgr(o, CF_RESET));
}

static jv
msg_json(const struct dmsg *m, int versions)
{
	jv o = jv_object();
	if (!versions)
		o = jv_object_set(o, jv_string("id"), jv_string(m->id));
	o = jv_object_set(o, jv_string("role"), jv_string(m->role));
	o = jv_object_set(o, jv_string("model"), m->model ? jv_string(m->model) : jv_null());
	return jv_object_set(o, jv_string("content"), jv_string_sized(m->content, (int)m->len));
}

static void
put_json(const struct dout *o, jv rec)
{
	size_t n;
	const char *s = cf_json_compact(rec, &n);
	fwrite(s, 1, n, o->f);
	fputc('\n', o->f);
}

static jv
rec_json(const struct cf_diff *d, const struct drec *r, size_t i)
{
	static const char *names[] = {"same", "remove", "add", "change"};
	int t = r->type == '=' ? 0 : r->type == '-' ? 1 : r->type == '+' ? 2 : 3;
	jv j = jv_object_set(jv_object(), jv_string("type"), jv_string(names[t]));
	if (d->versions)
		j = jv_object_set(j, jv_string("message"), jv_string(d->msg_id));
	if (r->type != '+')
		j = jv_object_set(j, jv_string("a"), jv_number((double)r->a));
	if (r->type != '-')
		j = jv_object_set(j, jv_string("b"), jv_number((double)r->b));
	if (r->type == '=') {
		j = jv_object_set(j, jv_string("count"), jv_number((double)r->count));
		if (i == 0 && !d->versions)
			j = jv_object_set(j, jv_string("branch"), jv_copy(d->branch));
		return j;
	}
	const struct dmsg *a = r->type == '+' ? NULL : &d->A.m[r->ia];
	const struct dmsg *b = r->type == '-' ? NULL : &d->B.m[r->ib];
	if (r->type != '~')
		return jv_object_set(j, jv_string("message"), msg_json(a ? a : b, 0));
	j = jv_object_set(j, jv_string("from"), msg_json(a, d->versions));
	j = jv_object_set(j, jv_string("to"), msg_json(b, d->versions));
	struct cf_wdiff *w;
	size_t n = cf_word_diff(a->content, a->len, b->content, b->len, &w);
	/* the keys and ops made once, each piece a reference to them: most
	 * of a long diff's records are these */
	jv k_op = jv_string("op"), k_text = jv_string("text");
	jv ops[3] = {jv_string("="), jv_string("-"), jv_string("+")};
	jv words = jv_array_sized((int)n);
	for (size_t k = 0; k < n; k++) {
		const char *src = w[k].op == '+' ? b->content + w[k].b : a->content + w[k].a;
		int o = w[k].op == '=' ? 0 : w[k].op == '-' ? 1 : 2;
		jv p = jv_object_set(jv_object(), jv_copy(k_op), jv_copy(ops[o]));
		p = jv_object_set(p, jv_copy(k_text), jv_string_sized(src, (int)w[k].len));
		words = jv_array_append(words, p);
	}
	free(w);
	jv_free(k_op);
	jv_free(k_text);
	for (int o = 0; o < 3; o++)
		jv_free(ops[o]);
	return jv_object_set(j, jv_string("words"), words);
}

static void
write_json(const struct dout *o, const struct cf_diff *d, int stat)
{
	if (!stat) {
		for (size_t i = 0; i < d->nr && !ferror(o->f); i++)
			put_json(o, rec_json(d, &d->r[i], i));
		return;
	}
	struct wcount w = word_counts(d);
	jv j = jv_object_set(jv_object(), jv_string("type"), jv_string("stat"));
	if (d->versions) {
		j = jv_object_set(j, jv_string("message"), jv_string(d->msg_id));
		j = jv_object_set(j, jv_string("a"), jv_number((double)d->r[0].a));
		j = jv_object_set(j, jv_string("b"), jv_number((double)d->r[0].b));
	} else {
		j = jv_object_set(j, jv_string("a"), jv_number((double)d->A.total));
		j = jv_object_set(j, jv_string("b"), jv_number((double)d->B.total));
		j = jv_object_set(j, jv_string("branch"), jv_copy(d->branch));
	}
	j = jv_object_set(j, jv_string("same"), jv_number((double)d->same));
	j = jv_object_set(j, jv_string("change"), jv_number((double)d->change));
	j = jv_object_set(j, jv_string("remove"), jv_number((double)d->remove));
	j = jv_object_set(j, jv_string("add"), jv_number((double)d->add));
	j = jv_object_set(j, jv_string("wordsRemoved"), jv_number((double)w.remove));
	j = jv_object_set(j, jv_string("wordsAdded"), jv_number((double)w.add));
	put_json(o, j);
}

jv
cf_diff_write(const struct cf_diff *d, FILE *f, int mode, int color)
{
	struct dout o = {f, color && mode != CF_DIFF_JSON && mode != CF_DIFF_JSON_STAT};
	switch (mode) {
	case CF_DIFF_TEXT: write_text(&o, d); break;
	case CF_DIFF_STAT: write_stat(&o, d); break;
	case CF_DIFF_JSON: write_json(&o, d, 0); break;
	default: write_json(&o, d, 1); break;
	}
	fflush(f);
	if (f == stdout)
		return cf_out_error();
	return ferror(f) ? cf_error(CF_EX_FAIL, "write error") : jv_true();
}
