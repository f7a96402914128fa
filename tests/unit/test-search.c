/* Search: the user's words as FTS5 queries, and cf_snippet held to the
 * output of FTS5's own snippet() and highlight() where they should agree. */
#include <sqlite3.h>

#include "unit.h"
#include "priv.h"

static char dir[] = "/tmp/confab-unit-XXXXXX";

static void
query_is(const char *text, const char *want)
{
	const char *why;
	char *q = cf_search_query(text, &why);
	CHECK_STR(q ? q : why, want);
	free(q);
}

static void
queries(void)
{
	query_is("error", "(\"error\")");
	query_is("  error\tfoo\n", "(\"error\" \"foo\")");
	/* punctuation stays inside the quotes, for the tokenizer */
	query_is("error: c++ it's NEAR( ^x :y", "(\"error:\" \"c++\" \"it's\" \"NEAR(\" \"^x\" \":y\")");
	query_is("segf* \"connection ref\"*", "(\"segf\"* \"connection ref\"*)");
	query_is("a\"b c\"d", "(\"a\" \"b c\" \"d\")");
	query_is("build error OR warning", "(\"build\" AND (\"error\" OR \"warning\"))");
	query_is("NOT fatal error", "(\"error\") NOT (\"fatal\")");
	query_is("a AND b NOT c OR d", "(\"a\" \"b\") NOT ((\"c\" OR \"d\"))");
	query_is("and or not", "(\"and\" \"or\" \"not\")");
	/* words of punctuation alone are left out, as FTS5 would */
	query_is("## foo -- *", "(\"foo\")");
	query_is("##", "");
	query_is("", "");
	query_is("\"\"", "");
	query_is("\"", "a double quote is not closed");
	query_is("a \"b c", "a double quote is not closed");
	query_is("OR a", "OR needs a word or phrase on each side");
	query_is("a OR", "OR needs a word or phrase on each side");
	query_is("a OR OR b", "OR needs a word or phrase on each side");
	query_is("a OR NOT b", "OR needs a word or phrase on each side");
	query_is("a OR ## OR b", "OR needs a word or phrase on each side");
	query_is("AND a", "AND needs a word or phrase on each side");
	query_is("a AND", "AND needs a word or phrase on each side");
	query_is("a NOT", "NOT needs a word or phrase after it");
	query_is("a NOT NOT b", "NOT needs a word or phrase after it");
	query_is("a NOT ( b c )", "NOT needs a word or phrase after it");
	query_is("NOT a", "NOT only narrows a search: it needs a word or phrase to find too");
}

static char *
text(sqlite3 *db, const char *sql, const char *q)
{
	sqlite3_stmt *s;
	char *r = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_text(s, 1, q, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		r = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return r;
}

static unsigned rnd = 12345;

static unsigned
next(void)
{
	rnd = rnd * 1103515245u + 12345u;
	return (rnd >> 8) & 0xffff;
}

/* Random texts of up to 300 words and separators, random queries of
 * those words; the one row matches or not.  With no more than 256 matches
 * cf_snippet is snippet()'s output, and in whole mode highlight()'s. */
static void
agreement(void)
{
	static const char *words[] = {"alpha", "beta", "gamma", "delta", "Alpha", "é"};
	static const char *seps[] = {" ", " ", "  ", ", ", ": ", ".\n", "-", "'", " ** "};
	static const char *ops[] = {" ", " ", " ", " OR ", " NOT "};
	char path[300];
	snprintf(path, sizeof path, "%s/s.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv_free(cf_search_fns(st));
	sqlite3 *db = st->lite;   /* FTS5 itself: the SQLite backend's search */
	CHECK(sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.t USING fts5(c)", NULL, NULL, NULL) == SQLITE_OK);
	int compared = 0, bad = 0;
	for (int round = 0; round < 3000; round++) {
		char doc[6000] = "", user[200] = "";
		int ntok = 1 + (int)(next() % (round % 3 == 0 ? 12 : round % 3 == 1 ? 40 : 300));
		if (next() % 3 == 0)
			strcat(doc, seps[next() % 9]);
		for (int i = 0; i < ntok; i++) {
			if (i)
				strcat(doc, seps[next() % 9]);
			strcat(doc, words[next() % 6]);
		}
		if (next() % 2)
			strcat(doc, seps[next() % 9]);
		int nq = 1 + (int)(next() % 3);
		for (int i = 0; i < nq; i++) {
			if (i)
				strcat(user, ops[next() % 5]);
			int k = (int)(next() % 4);
			if (k == 0) {
				strcat(user, "\"");
				strcat(user, words[next() % 6]);
				strcat(user, " ");
				strcat(user, words[next() % 6]);
				strcat(user, "\"");
			} else if (k == 1) {
				strncat(user, words[next() % 4], 2);
				strcat(user, "*");
			} else {
				strcat(user, words[next() % 6]);
			}
		}
		const char *why;
		char *q = cf_search_query(user, &why);
		if (!q || !*q) {
			free(q);
			continue;
		}
		sqlite3_stmt *s;
		sqlite3_prepare_v2(db, "INSERT INTO t(rowid, c) VALUES (1, ?1)", -1, &s, NULL);
		sqlite3_bind_text(s, 1, doc, -1, SQLITE_STATIC);
		sqlite3_step(s);
		sqlite3_finalize(s);
		char *hw = text(db, "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH ?1", q);
		char *hc = text(db, "SELECT cf_snippet(t, '[', ']', '', 0) FROM t WHERE t MATCH ?1", q);
		char *sw = text(db, "SELECT snippet(t, 0, '[', ']', '…', 12) FROM t WHERE t MATCH ?1", q);
		char *sc = text(db, "SELECT cf_snippet(t, '[', ']', '…', 12) FROM t WHERE t MATCH ?1", q);
		if (hw || hc) {
			compared++;
			if (!hw || !hc || strcmp(hw, hc)) {
				if (bad++ < 5)
					fprintf(stderr, "highlight: %s | %s: '%s' vs '%s'\n", doc, q, hw, hc);
			}
			if (!sw || !sc || strcmp(sw, sc)) {
				if (bad++ < 5)
					fprintf(stderr, "snippet: %s | %s: '%s' vs '%s'\n", doc, q, sw, sc);
			}
		}
		free(hw);
		free(hc);
		free(sw);
		free(sc);
		free(q);
		sqlite3_exec(db, "DELETE FROM t", NULL, NULL, NULL);
	}
	CHECK(compared > 500);
	CHECK(bad == 0);

	/* past 256 matches, the window is the best among the first 256: here
	 * the sentence's start, where snippet() would show "again" at the end */
	char *big = malloc(400 * 12 + 100), *w = big;
	w += sprintf(w, "INSERT INTO t(rowid, c) VALUES (1, 'start.");
	for (int i = 0; i < 400; i++)
		w += sprintf(w, " x%d needle", i);
	sprintf(w, " needle again')");
	CHECK(sqlite3_exec(db, big, NULL, NULL, NULL) == SQLITE_OK);
	free(big);
	char *sc = text(db, "SELECT cf_snippet(t, '[', ']', '…', 12) FROM t WHERE t MATCH ?1", "(\"needle\")");
	CHECK_STR(sc, "…x0 [needle] x1 [needle] x2 [needle] x3 [needle] x4 [needle] x5 [needle]…");
	free(sc);
	sc = text(db, "SELECT cf_snippet(t, '[', ']', '…', 12) FROM t WHERE t MATCH ?1", "(\"needle\" \"again\")");
	CHECK_STR(sc, "…x0 [needle] x1 [needle] x2 [needle] x3 [needle] x4 [needle] x5 [needle]…");
	free(sc);
	cf_store_close(st);
}

/* cf_pg_headline on what PostgreSQL hands it: t, m = cf_words(t) (each
 * punctuation or control character a space), and h, ts_headline over m
 * with chr(1) and chr(2) as its marks. */
static void
headline_is(const char *t, const char *m, const char *h, int cut, const char *want)
{
	jv v = cf_pg_headline(t, m, h, cut, "**", "**", "\u2026");
	CHECK_STR(jv_string_value(v), want);
	jv_free(v);
}

static void
pg_headlines(void)
{
	/* the text goes on both sides: the ellipsis; its own comma kept */
	headline_is("alpha beta, frob gamma delta", "alpha beta  frob gamma delta",
	            "beta  \001frob\002 gamma", 0, "\u2026beta, **frob** gamma\u2026");
	/* the whole text, its quotes three bytes each where m has a space */
	headline_is("\u201cfrob\u201d", " frob ", " \001frob\002 ", 0, "\u201c**frob**\u201d");
	/* the parts of one written word are one hit */
	headline_is("see frob's end", "see frob s end", "see \001frob\002 \001s\002 end", 0,
	            "see **frob's** end");
	/* but not across a space */
	headline_is("frob frob", "frob frob", "\001frob\002 \001frob\002", 0, "**frob** **frob**");
	/* a control byte of the text, even a mark's, shows as a space */
	headline_is("a\001b frob", "a b frob", "a b \001frob\002", 0, "a b **frob**");
	/* cut: the text went on past what PostgreSQL was given */
	headline_is("frob", "frob", "\001frob\002", 1, "**frob**\u2026");
	/* h's words not found in m: h as it is, marked */
	headline_is("frob", "frob", "\001x\002", 0, "**x**");
	headline_is("frob", "frob", "", 0, "");
	/* CJK and emoji, several bytes a character on both sides */
	headline_is("\u65e5\u672c \U0001F600 frob\u3002", "\u65e5\u672c \U0001F600 frob\u3002",
	            "\U0001F600 \001frob\002\u3002", 0, "\u2026\U0001F600 **frob**\u3002");
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 2;
	queries();
	agreement();
	pg_headlines();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-search");
}
