/* access.c — who may see a session on a PostgreSQL store (chat-set
 * --share, --unshare, --private, --public).
 *
 * The rules are the database's (store_pg.c, schema 3): row-level security
 * policies on sessions and their rows, a policy that lets only a session's
 * owner add or remove its shares, a trigger that lets only its owner make
 * it private or public.  This file only asks for the change; when the
 * database refuses, it says so in words a person reads, naming the owner
 * it read beforehand (a refused statement aborts the transaction, after
 * which nothing more can be read). */
#include <stdlib.h>
#include <string.h>

#include "priv.h"

void
cf_access_init(struct cf_access *a)
{
	memset(a, 0, sizeof *a);
	a->private_ = -1;
}

void
cf_access_add(struct cf_access *a, const char *role, int share)
{
	a->ops = cf_xrealloc(a->ops, (size_t)(a->nops + 1) * sizeof *a->ops);
	a->ops[a->nops].role = role;
	a->ops[a->nops].share = share;
	a->nops++;
}

int
cf_access_any(const struct cf_access *a)
{
	return a->nops > 0 || a->private_ >= 0;
}

static const char *
first_option(const struct cf_access *a)
{
	if (a->nops)
		return a->ops[0].share ? "--share" : "--unshare";
	return a->private_ ? "--private" : "--public";
}

jv
cf_access_check(cf_store *st, const struct cf_access *a)
{
	if (!cf_access_any(a) || cf_sql_kind(st->db) == CF_SQL_PG)
		return jv_true();
	/* SQLite has no roles: a file is its owner's, whoever can read it
	 * reads all of it */
	return cf_error(CF_EX_USAGE, "%s needs a PostgreSQL store (CHAT_DB "
	                "a postgresql:// URI); %s is a SQLite file, whose "
	                "sessions are whoever can read the file's",
	                first_option(a), st->path);
}

/* The session's owner and the role this connection acts as, as the
 * database sees them: both into buffers of n bytes. */
static jv
owner_of(cf_store *st, const char *id, char *owner, char *me, size_t n)
{
	cf_sql_stmt *s = cf_prepare(st, "SELECT owner, current_user::text"
	                                " FROM sessions WHERE id = ?1");
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	if (rc != CF_SQL_ROW) {
		jv e = rc == CF_SQL_DONE
		       ? cf_error(CF_EX_NOTFOUND, "unknown session '%s'", id)
		       : cf_store_error(st, "reading the session's owner");
		cf_sql_finalize(s);
		return e;
	}
	snprintf(owner, n, "%s", (const char *)cf_sql_column_text(s, 0));
	snprintf(me, n, "%s", (const char *)cf_sql_column_text(s, 1));
	cf_sql_finalize(s);
	return jv_true();
}

/* The database's refusal, with who could have done it. */
static jv
refused(cf_store *st, const char *what, const char *id, const char *owner,
        const char *me)
{
	if (strcmp(owner, me))
		return cf_error(CF_EX_STORE, "%s: session '%s' is %s's: only its "
		                "owner may %s (the database refused: %s)",
		                st->path, id, owner, what, cf_sql_errmsg(st->db));
	(void)what;
	return cf_store_error(st, "changing who sees the session");
}

jv
cf_access_store(cf_store *st, const char *id, const struct cf_access *a)
{
	if (!cf_access_any(a))
		return jv_true();
	jv r = cf_access_check(st, a);
	if (!jv_is_valid(r))
		return r;
	char owner[256], me[256];
	r = owner_of(st, id, owner, me, sizeof owner);
	if (!jv_is_valid(r))
		return r;
	for (int i = 0; i < a->nops; i++) {
		const char *role = a->ops[i].role;
		cf_sql_stmt *s = cf_prepare(st, a->ops[i].share
		        ? "INSERT INTO session_shares (session_id, role)"
		          " VALUES (?1, ?2) ON CONFLICT DO NOTHING"
		        : "DELETE FROM session_shares"
		          " WHERE session_id = ?1 AND role = ?2");
		cf_bind_text(s, 1, id);
		cf_bind_text(s, 2, role);
		int rc = cf_sql_step(s);
		cf_sql_finalize(s);
		if (rc != CF_SQL_DONE)
			return refused(st, a->ops[i].share ? "share it" : "unshare it",
			               id, owner, me);
		/* The policy hides the rows a role may not delete rather than
		 * failing: a share that is still there afterwards was refused. */
		if (!a->ops[i].share && !cf_sql_changes(st->db) && strcmp(owner, me)) {
			s = cf_prepare(st, "SELECT 1 FROM session_shares"
			                   " WHERE session_id = ?1 AND role = ?2");
			cf_bind_text(s, 1, id);
			cf_bind_text(s, 2, role);
			rc = cf_sql_step(s);
			cf_sql_finalize(s);
			if (rc == CF_SQL_ROW)
				return cf_error(CF_EX_STORE, "%s: session '%s' is %s's: "
				                "only its owner may unshare it", st->path,
				                id, owner);
		}
	}
	if (a->private_ >= 0) {
		cf_sql_stmt *s = cf_prepare(st, "UPDATE sessions SET private = ?2"
		                                " WHERE id = ?1");
		cf_bind_text(s, 1, id);
		cf_sql_bind_int(s, 2, a->private_);
		int rc = cf_sql_step(s);
		cf_sql_finalize(s);
		if (rc != CF_SQL_DONE)
			return refused(st, a->private_ ? "make it private"
			                            : "make it public",
			               id, owner, me);
	}
	return jv_true();
}
