/* search_sql.h — the search's SQL, once for each backend: SQLite's FTS5
 * tables (store.c) and PostgreSQL's tsvector columns with their GIN
 * indexes (store_pg.c).  This is the only place either is written; ?1 is
 * always the query cf_search_query_for (search.c) wrote for that backend,
 * bound, never spliced in.  The statements of one pair return the same
 * columns in the same order, so that session.c and activity.c read them
 * alike. */
#ifndef CONFAB_SEARCH_SQL_H
#define CONFAB_SEARCH_SQL_H

/* The sessions a search finds (h.sid), with the n and id of each one's
 * newest matching message (h.mn, h.mid: NULL when only the name matched),
 * joined to sessions s; the caller adds "WHERE 1 = 1" and its filters. */
/* CROSS JOIN keeps that order: left to itself the planner walks every
 * session through sessions_recent and probes h with an automatic index.
 * max() makes the bare column mid the id of the newest match. */
#define CF_SEARCH_SESSIONS_FTS5 \
	" FROM (" \
	" SELECT sid, max(mn) AS mn, mid FROM (" \
	"  SELECT m.session_id AS sid, m.n AS mn, m.id AS mid" \
	"   FROM messages_fts f JOIN messages m ON m.n = f.rowid" \
	"   WHERE messages_fts MATCH ?1" \
	"  UNION ALL" \
	"  SELECT s2.id, NULL, NULL FROM sessions_fts g" \
	"   JOIN sessions s2 ON s2.n = g.rowid WHERE sessions_fts MATCH ?1)" \
	" GROUP BY sid) h CROSS JOIN sessions s ON s.id = h.sid"
/* PostgreSQL has no bare columns: DISTINCT ON keeps each session's newest
 * match, a name-only match (mn NULL) when there is no other. */
#define CF_SEARCH_SESSIONS_PG \
	" FROM (" \
	" SELECT DISTINCT ON (sid) sid, mn, mid FROM (" \
	"  SELECT m.session_id AS sid, m.n AS mn, m.id AS mid FROM messages m" \
	"   WHERE m.content_tsv @@ to_tsquery('simple', ?1)" \
	"  UNION ALL" \
	"  SELECT s2.id, NULL, NULL FROM sessions s2" \
	"   WHERE s2.name_tsv @@ to_tsquery('simple', ?1)) u" \
	" ORDER BY sid, mn DESC NULLS LAST) h JOIN sessions s ON s.id = h.sid"

/* Snippets of the rows whose n are in the JSON array ?4, in order of n,
 * marked with ?2 and ?3: a message's best 12 words with '…' where the text
 * goes on, a session's whole name.  On SQLite, cf_snippet (search.c); the
 * unary + keeps the rowid test out of FTS5's hands, which would read the
 * term's whole doclist for each. */
#define CF_SEARCH_MESSAGE_SNIPPETS_FTS5 \
	"SELECT rowid, cf_snippet(messages_fts, ?2, ?3, '…', 12)" \
	" FROM messages_fts WHERE messages_fts MATCH ?1" \
	" AND +rowid IN (SELECT value FROM json_each(?4))"
#define CF_SEARCH_NAME_SNIPPETS_FTS5 \
	"SELECT rowid, cf_snippet(sessions_fts, ?2, ?3, '', 0)" \
	" FROM sessions_fts WHERE sessions_fts MATCH ?1" \
	" AND +rowid IN (SELECT value FROM json_each(?4))"
/* On PostgreSQL, ts_headline over cf_words(t) (store_pg.c), t the text's
 * first 50,000 characters (ts_headline takes seconds over a MB of hits of
 * a phrase), for cf_pg_headline (search.c) to show in t's own characters:
 * one fragment of at most 12 words, as snippet()'s 12 tokens.  The rows
 * of the JSON array ?2; t, m = cf_words(t), the headline and whether t
 * was cut.  OFFSET 0 keeps m made once a row. */
#define CF_PG_HEADLINE(opts, col, table) \
	"SELECT n, t, m, ts_headline('simple', m, to_tsquery('simple', ?1)," \
	" 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', ' || " opts ")," \
	" cut::int FROM (SELECT n, t, cf_words(t) AS m, cut FROM" \
	" (SELECT n, left(" col ", 50000) AS t, length(" col ") > 50000 AS cut" \
	"  FROM " table " WHERE n IN" \
	"  (SELECT value::bigint FROM jsonb_array_elements_text(?2::jsonb))) a" \
	" OFFSET 0) b ORDER BY n"
#define CF_SEARCH_MESSAGE_SNIPPETS_PG \
	CF_PG_HEADLINE("'MaxWords=12, MinWords=11, ShortWord=0, MaxFragments=1'", \
	               "content", "messages")
#define CF_SEARCH_NAME_SNIPPETS_PG \
	CF_PG_HEADLINE("'HighlightAll=true'", "name", "sessions")

/* An activity event's row n, when ?3 is a search (NULL: any). */
#define CF_SEARCH_ACTIVITY_FTS5 \
	" (?3 IS NULL OR n IN (SELECT rowid FROM activity_fts" \
	" WHERE activity_fts MATCH ?3))"
/* the cast: PostgreSQL cannot type a parameter that is only tested for
 * NULL before it is used */
#define CF_SEARCH_ACTIVITY_PG \
	" (CAST(?3 AS text) IS NULL OR tsv @@ to_tsquery('simple', ?3))"

#endif
