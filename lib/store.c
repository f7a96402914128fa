/* store.c — opening the SQLite file, migrations, transactions, statements. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"
#include "sql_int.h"

#define BUSY_TIMEOUT_MS 30000

/* Each entry takes the schema from version i to i + 1.  Never edit one that
 * has shipped: add the next. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE sessions ("
	" n INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" last_updated INTEGER NOT NULL,"
	" provider TEXT,"
	" model TEXT,"
	" temperature REAL,"
	" max_tokens INTEGER,"
	" system_prompt TEXT,"
	" auto_context INTEGER NOT NULL DEFAULT 0,"
	" context_window INTEGER,"
	" message_count INTEGER NOT NULL DEFAULT 0,"
	" total_tokens INTEGER NOT NULL DEFAULT 0,"
	" tags TEXT NOT NULL DEFAULT '[]',"
	" starred INTEGER NOT NULL DEFAULT 0,"
	" archived INTEGER NOT NULL DEFAULT 0,"
	" parent_session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,"
	" branch_point TEXT);"
	"CREATE INDEX sessions_recent ON sessions(archived, last_updated);"
	"CREATE INDEX sessions_updated ON sessions(last_updated);"
	"CREATE INDEX sessions_name ON sessions(name);"
	"CREATE INDEX sessions_parent ON sessions(parent_session_id);"
	"CREATE TABLE messages ("
	" n INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),"
	" content TEXT NOT NULL,"
	" timestamp INTEGER NOT NULL,"
	" tokens INTEGER,"
	" model TEXT,"
	" processing_time INTEGER,"
	" reactions TEXT NOT NULL DEFAULT '[]',"
	" edits TEXT NOT NULL DEFAULT '[]',"
	" extra TEXT NOT NULL DEFAULT '{}',"
	" activity_events TEXT NOT NULL DEFAULT '[]',"
	" plugin_commands TEXT NOT NULL DEFAULT '[]',"
	" files TEXT NOT NULL DEFAULT '[]',"
	" UNIQUE (session_id, seq));"
	"CREATE TABLE attachments ("
	" n INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" type TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" mime_type TEXT,"
	" content BLOB);"
	"CREATE INDEX attachments_message ON attachments(message_id);"
	"CREATE VIRTUAL TABLE messages_fts USING fts5(content,"
	" content='messages', content_rowid='n');"
	"CREATE VIRTUAL TABLE sessions_fts USING fts5(name,"
	" content='sessions', content_rowid='n');"
	"CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN"
	" INSERT INTO messages_fts(rowid, content) VALUES (new.n, new.content);"
	" UPDATE sessions SET message_count = message_count + 1,"
	"  total_tokens = total_tokens + coalesce(new.tokens, 0),"
	"  last_updated = max(last_updated, new.timestamp)"
	"  WHERE id = new.session_id;"
	" END;"
	"CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN"
	" INSERT INTO messages_fts(messages_fts, rowid, content)"
	"  VALUES ('delete', old.n, old.content);"
	" UPDATE sessions SET message_count = message_count - 1,"
	"  total_tokens = total_tokens - coalesce(old.tokens, 0)"
	"  WHERE id = old.session_id;"
	" END;"
	"CREATE TRIGGER messages_au AFTER UPDATE OF content, tokens ON messages BEGIN"
	" INSERT INTO messages_fts(messages_fts, rowid, content)"
	"  VALUES ('delete', old.n, old.content);"
	" INSERT INTO messages_fts(rowid, content) VALUES (new.n, new.content);"
	" UPDATE sessions SET total_tokens = total_tokens"
	"  - coalesce(old.tokens, 0) + coalesce(new.tokens, 0)"
	"  WHERE id = new.session_id;"
	" END;"
	"CREATE TRIGGER sessions_ai AFTER INSERT ON sessions BEGIN"
	" INSERT INTO sessions_fts(rowid, name) VALUES (new.n, new.name);"
	" END;"
	/* a branch outlives its parent; the parent's message it was made at
	 * does not */
	"CREATE TRIGGER sessions_bd BEFORE DELETE ON sessions BEGIN"
	" UPDATE sessions SET branch_point = NULL"
	"  WHERE parent_session_id = old.id;"
	" END;"
	"CREATE TRIGGER sessions_ad AFTER DELETE ON sessions BEGIN"
	" INSERT INTO sessions_fts(sessions_fts, rowid, name)"
	"  VALUES ('delete', old.n, old.name);"
	" END;"
	"CREATE TRIGGER sessions_au AFTER UPDATE OF name ON sessions BEGIN"
	" INSERT INTO sessions_fts(sessions_fts, rowid, name)"
	"  VALUES ('delete', old.n, old.name);"
	" INSERT INTO sessions_fts(rowid, name) VALUES (new.n, new.name);"
	" END;",
	/* 1 -> 2: a reply is reserved as its request goes out (pending names
	 * the writer), and what arrives is appended to reply_parts, so saving
	 * it costs the new bytes, not the reply so far.  It is indexed once
	 * whole, by the program that closes it (the triggers leave that
	 * change alone, so the text is tokenized from where it lies, without
	 * another copy), and the index is over the view of rows that are not
	 * pending: FTS5's integrity check holds while a reply streams.  The
	 * file is stamped as confab's (application_id). */
	"ALTER TABLE messages ADD COLUMN pending TEXT;"
	"CREATE INDEX messages_pending ON messages(pending)"
	" WHERE pending IS NOT NULL;"
	"CREATE TABLE reply_parts ("
	" n INTEGER PRIMARY KEY,"
	" message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" text TEXT NOT NULL);"
	"CREATE INDEX reply_parts_message ON reply_parts(message_id, n);"
	"DROP TRIGGER messages_ai;"
	"DROP TRIGGER messages_ad;"
	"DROP TRIGGER messages_au;"
	"DROP TABLE messages_fts;"
	"CREATE VIEW messages_indexed AS"
	" SELECT n, content FROM messages WHERE pending IS NULL;"
	"CREATE VIRTUAL TABLE messages_fts USING fts5(content,"
	" content='messages_indexed', content_rowid='n');"
	"INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');"
	"CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN"
	" INSERT INTO messages_fts(rowid, content)"
	"  SELECT new.n, new.content WHERE new.pending IS NULL;"
	" UPDATE sessions SET message_count = message_count + 1,"
	"  total_tokens = total_tokens + coalesce(new.tokens, 0),"
	"  last_updated = max(last_updated, new.timestamp)"
	"  WHERE id = new.session_id;"
	" END;"
	"CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN"
	" INSERT INTO messages_fts(messages_fts, rowid, content)"
	"  SELECT 'delete', old.n, old.content WHERE old.pending IS NULL;"
	" UPDATE sessions SET message_count = message_count - 1,"
	"  total_tokens = total_tokens - coalesce(old.tokens, 0)"
	"  WHERE id = old.session_id;"
	" END;"
	"CREATE TRIGGER messages_au AFTER UPDATE OF content, tokens, pending"
	" ON messages BEGIN"
	" INSERT INTO messages_fts(messages_fts, rowid, content)"
	"  SELECT 'delete', old.n, old.content WHERE old.pending IS NULL;"
	" INSERT INTO messages_fts(rowid, content)"
	"  SELECT new.n, new.content"
	"  WHERE new.pending IS NULL AND old.pending IS NULL;"
	" UPDATE sessions SET total_tokens = total_tokens"
	"  - coalesce(old.tokens, 0) + coalesce(new.tokens, 0)"
	"  WHERE id = new.session_id;"
	" END;"
	"PRAGMA application_id = " CF_APP_ID_SQL ";",
	/* 2 -> 3: a session's metadata beyond its columns (merges, chat-merge),
	 * as messages.extra is a message's; and the few messages with
	 * reactions or notes (marks.c), so a session's record carries its
	 * reactions (chat-ls --where) and chat-note finds a note by its id,
	 * without reading every message. */
	"ALTER TABLE sessions ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';"
	"CREATE INDEX messages_reacted ON messages(session_id, seq)"
	" WHERE reactions <> '[]';"
	"CREATE INDEX messages_noted ON messages(session_id, seq)"
	" WHERE json_type(extra, '$.notes') IS NOT NULL;",
	/* 3 -> 4: a message's typed parts (thinking and its signature, tool
	 * calls and results, citations) as the provider sent them, a JSON
	 * array; NULL for the messages that are plain text, nearly all. */
	"ALTER TABLE messages ADD COLUMN parts TEXT;",
	/* 4 -> 5: what happened on the machine (activity.c, chat-activity):
	 * failed commands, errors, file changes, notes, each an event with a
	 * time (ms), a kind (checked in C: a new kind needs no migration), a
	 * source, its text and a JSON object of details.  Read by time, so
	 * indexed by it; found by words over text and source, an index the
	 * triggers keep as messages_fts is kept. */
	"CREATE TABLE activity ("
	" n INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" source TEXT NOT NULL DEFAULT '',"
	" text TEXT NOT NULL,"
	" data TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX activity_at ON activity(at);"
	"CREATE VIRTUAL TABLE activity_fts USING fts5(text, source,"
	" content='activity', content_rowid='n');"
	"CREATE TRIGGER activity_ai AFTER INSERT ON activity BEGIN"
	" INSERT INTO activity_fts(rowid, text, source)"
	"  VALUES (new.n, new.text, new.source);"
	" END;"
	"CREATE TRIGGER activity_ad AFTER DELETE ON activity BEGIN"
	" INSERT INTO activity_fts(activity_fts, rowid, text, source)"
	"  VALUES ('delete', old.n, old.text, old.source);"
	" END;"
	"CREATE TRIGGER activity_au AFTER UPDATE OF text, source ON activity BEGIN"
	" INSERT INTO activity_fts(activity_fts, rowid, text, source)"
	"  VALUES ('delete', old.n, old.text, old.source);"
	" INSERT INTO activity_fts(rowid, text, source)"
	"  VALUES (new.n, new.text, new.source);"
	" END;",
	/* 5 -> 6: auto_context meant "send the context window"; the
	 * specification's autoContext attaches recent activity instead
	 * (confab.7, Changed).  The old meaning moves to send_history with
	 * its stored values, and auto_context starts off for everyone. */
	"ALTER TABLE sessions ADD COLUMN send_history INTEGER NOT NULL DEFAULT 0;"
	"UPDATE sessions SET send_history = auto_context, auto_context = 0;",
	/* 6 -> 7: who wrote each message (cf_store_user), for chat-ls
	 * --author and the headers of sessions with more than one author.
	 * NULL is unknown: the messages written before, and imported ones
	 * whose record names no one, keep no invented author. */
	"ALTER TABLE messages ADD COLUMN author TEXT;"
	"CREATE INDEX messages_author ON messages(author, session_id)"
	" WHERE author IS NOT NULL;",
};

_Static_assert(sizeof migrations / sizeof *migrations == CF_SCHEMA_VERSION,
               "one migration per schema version");

/* SQLite says "disk I/O error" when a full disk stops it growing the
 * WAL's shared memory: tell that apart by the room left. */
static int
disk_full(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	struct statvfs sv;
	return statvfs(dir, &sv) == 0 &&
	       (unsigned long long)sv.f_bavail * sv.f_frsize < 1024 * 1024;
}

jv
cf_store_error(cf_store *st, const char *what)
{
	int code = cf_sql_errcode(st->db);
	const char *hint = "";
	if (code == CF_SQL_BUSY || code == CF_SQL_LOCKED)
		hint = " (another program held the database too long)";
	else if (code == CF_SQL_FULL || (code == CF_SQL_IOERR && disk_full(st->path)))
		hint = ": nothing was changed; free some space on its disk and "
		       "run the command again";
	return cf_error(CF_EX_STORE, "%s: %s: %s%s", st->path, what,
	                cf_sql_errmsg(st->db), hint);
}

static jv
exec(cf_store *st, const char *sql, const char *what)
{
	if (cf_sql_exec(st->db, sql) != CF_SQL_OK)
		return cf_store_error(st, what);
	return jv_true();
}

/* One number from a query: jv_true() with it in *v, or the error. */
static jv
scalar(cf_store *st, const char *sql, const char *what, long *v)
{
	cf_sql_stmt *s = cf_prepare(st, sql);
	if (cf_sql_step(s) != CF_SQL_ROW) {
		jv e = cf_store_error(st, what);
		cf_sql_finalize(s);
		return e;
	}
	*v = (long)cf_sql_column_int64(s, 0);
	cf_sql_finalize(s);
	return jv_true();
}

static jv
user_version(cf_store *st, long *v)
{
	return scalar(st, "PRAGMA user_version", "reading the schema version", v);
}

static jv
mkdirs(const char *path)
{
	char buf[PATH_MAX];
	if (strlen(path) >= sizeof buf)
		return cf_error(CF_EX_STORE, "%s: path too long", path);
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return cf_error(CF_EX_STORE, "cannot create folder '%s': %s",
			                buf, strerror(errno));
		*p = '/';
	}
	return jv_true();
}

const char *
cf_store_default_path(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("CHAT_DB");
	if (e && *e)
		return e;
	if ((e = getenv("XDG_DATA_HOME")) && *e == '/')
		snprintf(buf, sizeof buf, "%s/confab/chat.db", e);
	else if ((e = getenv("HOME")) && *e)
		snprintf(buf, sizeof buf, "%s/.local/share/confab/chat.db", e);
	else
		return NULL;
	return buf;
}

/* WAL can only be switched on outside a transaction, and the switch wants
 * the file to itself: when twenty programs create the store at once, the
 * losers see CF_SQL_BUSY and try again. */
static jv
wal_on(cf_store *st)
{
	for (int tries = 0;; tries++) {
		int rc = sqlite3_exec(st->lite, "PRAGMA journal_mode=WAL", NULL,
		                      NULL, NULL);
		if (rc == CF_SQL_OK)
			return jv_true();
		if ((rc != CF_SQL_BUSY && rc != CF_SQL_LOCKED) || tries > 3000)
			return cf_store_error(st, "switching to WAL");
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
}

static jv
too_new(cf_store *st, long v)
{
	return cf_error(CF_EX_STORE, "%s: written by a newer confab (schema %ld, "
	                "this one knows %d); not touching it",
	                st->path, v, CF_SCHEMA_VERSION);
}

static jv
migrate(cf_store *st)
{
	long v = 0;
	jv r = user_version(st, &v);
	if (!jv_is_valid(r))
		return r;
	if (v > CF_SCHEMA_VERSION)
		return too_new(st, v);
	if (v == CF_SCHEMA_VERSION)
		return jv_true();
	r = wal_on(st);
	if (!jv_is_valid(r))
		return r;
	r = cf_store_begin(st);
	if (!jv_is_valid(r))
		return r;
	r = user_version(st, &v);   /* another program may have got here first */
	for (; jv_is_valid(r) && v < CF_SCHEMA_VERSION; v++) {
		r = exec(st, migrations[v], "migrating the schema");
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%ld", v + 1);
		if (jv_is_valid(r))
			r = exec(st, sql, "migrating the schema");
	}
	if (!jv_is_valid(r)) {
		cf_store_rollback(st);
		return r;
	}
	return cf_store_commit(st);
}

static void
sql_uuid7(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	char id[37];
	cf_uuid7(id);
	sqlite3_result_text(ctx, id, 36, CF_SQL_TRANSIENT);
}

/* Is this file confab's?  Read before anything is written: a CHAT_DB
 * pointed at another program's database must leave it as it was.  Stores
 * made before the stamp are known by their schema and stamped by the
 * migration that brings them up to date. */
static jv
foreign(const char *path, unsigned long app)
{
	return cf_error(CF_EX_STORE, "%s: belongs to another program (application "
	                "id 0x%08lx); not touching it", path, app);
}

static jv
not_ours(const char *path)
{
	return cf_error(CF_EX_STORE, "%s: not a confab store (it has tables of "
	                "another program); not touching it", path);
}

static jv
check_owner(cf_store *st)
{
	long app = 0, tables = 0, v = 0, ours = 0;
	jv r = scalar(st, "PRAGMA application_id", "reading the application id", &app);
	if (!jv_is_valid(r) || app == CF_APP_ID)
		return r;
	if (app != 0)
		return foreign(st->path, (unsigned long)(uint32_t)app);
	r = scalar(st, "SELECT count(*) FROM sqlite_master", "reading the schema",
	           &tables);
	if (!jv_is_valid(r) || !tables)
		return r;   /* new: ours from the first migration on */
	r = user_version(st, &v);
	if (!jv_is_valid(r))
		return r;
	r = scalar(st, "SELECT count(*) FROM sqlite_master WHERE"
	           " type = 'table' AND name IN ('sessions', 'messages',"
	           " 'attachments', 'messages_fts', 'sessions_fts')",
	           "reading the schema", &ours);
	if (!jv_is_valid(r))
		return r;
	if (v < 1 || ours != 5)
		return not_ours(st->path);
	return jv_true();
}

/* A file: URI for SQLite, with the characters it reads specially escaped. */
static char *
file_uri(const char *path, const char *query)
{
	size_t n = strlen(path);
	char *u = cf_xmalloc(3 * n + strlen(query) + 16), *o = u;
	o += sprintf(o, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20 || *p >= 0x7f)
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	}
	sprintf(o, "?%s", query);
	return u;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Before SQLite opens the file for real: opening another program's
 * database would make -wal and -shm files beside it, or roll back its hot
 * journal.  Its header says whose it is (application_id at byte 68);
 * without an id, an immutable connection (which writes nothing and reads
 * no journal) says whether it holds tables that are not confab's.  The
 * full check (check_owner) follows on the real connection. */
static jv
precheck(cf_store *st)
{
	unsigned char h[100];
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return jv_true();
	ssize_t n = read(fd, h, sizeof h);
	close(fd);
	if (n < (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16))
		return jv_true();   /* empty, or not SQLite: SQLite says so, untouched */
	uint32_t app = be32(h + 68);
	if (app == CF_APP_ID)
		return jv_true();
	if (app != 0)
		return foreign(st->path, (unsigned long)app);
	if (be32(h + 40) == 0)
		return jv_true();   /* its schema never changed: no tables */
	char *uri = file_uri(st->path, "immutable=1");
	sqlite3 *db;
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	sqlite3_stmt *s = NULL;
	long tables = -1, ours = 0;
	if (rc == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*), count(CASE WHEN type = 'table'"
	                       " AND name IN ('sessions', 'messages', 'attachments',"
	                       " 'messages_fts', 'sessions_fts') THEN 1 END)"
	                       " FROM sqlite_master", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		tables = sqlite3_column_int64(s, 0);
		ours = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	if (tables > 0 && (be32(h + 60) < 1 || ours != 5))
		return not_ours(st->path);
	return jv_true();
}

static int
writable(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	/* SQLite makes -wal and -shm beside the file */
	return access(path, W_OK) == 0 && access(dir, W_OK) == 0;
}

/* The handle, and the connection over it that the rest of the library
 * speaks to; SQLite gives a handle even when the open fails, for its
 * message. */
static int
lite_open(cf_store *st, const char *name, int flags)
{
	int rc = sqlite3_open_v2(name, &st->lite, flags, NULL);
	st->db = cf_sql_wrap_sqlite(st->lite);
	return rc;
}

static void
lite_close(cf_store *st)
{
	if (st->db)
		cf_sql_close(st->db);
	else
		sqlite3_close(st->lite);
	st->db = NULL;
	st->lite = NULL;
}

static jv
setup(cf_store *st)
{
	sqlite3_extended_result_codes(st->lite, 0);
	sqlite3_busy_timeout(st->lite, BUSY_TIMEOUT_MS);
	sqlite3_create_function(st->lite, "uuid7", 0, SQLITE_UTF8, NULL,
	                        sql_uuid7, NULL, NULL);
	return exec(st, "PRAGMA foreign_keys=ON", "enabling foreign keys");
}

/* Read-only: the file as it is; when SQLite cannot make the WAL's shared
 * memory file (a read-only folder or mount), immutable, which reads the
 * main file alone (what a writer has not checkpointed yet is not seen). */
static jv
open_readonly(cf_store *st)
{
	st->readonly = 1;
	if (lite_open(st, st->path, SQLITE_OPEN_READONLY) == SQLITE_OK &&
	    sqlite3_exec(st->lite, "SELECT count(*) FROM sqlite_master", NULL,
	                 NULL, NULL) == CF_SQL_OK)
		return setup(st);
	lite_close(st);
	char *uri = file_uri(st->path, "immutable=1");
	int rc = lite_open(st, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
	free(uri);
	if (rc != CF_SQL_OK)
		return cf_store_error(st, "opening read-only");
	return setup(st);
}

static jv
readonly_store(cf_store *st)
{
	jv r = open_readonly(st);
	if (jv_is_valid(r))
		r = check_owner(st);
	long v = 0;
	if (jv_is_valid(r))
		r = user_version(st, &v);
	if (!jv_is_valid(r))
		return r;
	if (v > CF_SCHEMA_VERSION)
		return too_new(st, v);
	if (v < CF_SCHEMA_VERSION && st->full)
		return cf_error(CF_EX_STORE, "%s: the disk is full, and the store "
		                "needs an upgrade: free some space on its disk and "
		                "run the command again", st->path);
	if (v >= 1 && v < CF_SCHEMA_VERSION)
		return cf_error(CF_EX_STORE, "%s: the store is read-only and needs "
		                "an upgrade (schema %ld to %d): open it once with a "
		                "program that may write it", st->path, v,
		                CF_SCHEMA_VERSION);
	if (v < 1)
		return cf_error(CF_EX_STORE, "%s: the store is read-only and holds "
		                "no confab schema yet", st->path);
	return jv_true();
}

static jv
open_store(cf_store *st, const char *path, int mode)
{
	struct stat sb;
	int existing = mode & CF_STORE_EXISTING;
	mode &= ~(CF_STORE_EXISTING | CF_STORE_CREATE);
	if (stat(path, &sb) != 0) {
		if (existing)
			return cf_store_missing(path);
		jv r = mkdirs(path);
		if (!jv_is_valid(r))
			return r;
		/* Owner only, and SQLite gives its -wal and -shm files the
		 * database file's mode. */
		mode_t old = umask(077);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		umask(old);
		if (fd < 0)
			return cf_error(CF_EX_STORE, "cannot create '%s': %s", path,
			                strerror(errno));
		close(fd);
	} else if (S_ISDIR(sb.st_mode)) {
		return cf_error(CF_EX_STORE, "'%s' is a folder, not a database", path);
	} else if (!writable(path)) {
		jv r = precheck(st);
		if (!jv_is_valid(r))
			return r;
		if (mode != CF_STORE_READ)
			return cf_error(CF_EX_STORE, "%s: the store is read-only", path);
		return readonly_store(st);
	} else {
		jv r = precheck(st);
		if (!jv_is_valid(r))
			return r;
	}

	if (lite_open(st, path, SQLITE_OPEN_READWRITE) != SQLITE_OK)
		return cf_store_error(st, "opening");
	/* A disk so full that SQLite cannot make the WAL's shared memory
	 * file: the store can still be read, and a writer learns at its first
	 * change that the disk is full (chat-send keeps its turn in the spool
	 * then). */
	int rc = sqlite3_exec(st->lite, "SELECT count(*) FROM sqlite_master", NULL,
	                      NULL, NULL);
	if ((rc == CF_SQL_IOERR || rc == CF_SQL_FULL || rc == CF_SQL_CANTOPEN) &&
	    disk_full(path)) {
		lite_close(st);
		st->full = 1;
		return readonly_store(st);
	}
	jv r = setup(st);
	if (jv_is_valid(r))
		r = check_owner(st);
	if (jv_is_valid(r))
		r = migrate(st);
	if (!jv_is_valid(r))
		return r;
	/* what an earlier program could not finish: a turn kept in the spool
	 * first (it may complete a reserved row), then the rows of writers
	 * that were killed */
	cf_spool_replay(st);
	cf_reply_recover(st);
	return jv_true();
}

/* ---- PostgreSQL ----
 *
 * The schema is store_pg.c's, its version in confab_schema.  Migrations
 * run under an advisory lock, so that twenty programs meeting an empty
 * database at once make it once; each in its own transaction. */

#define PG_LOCK_SCHEMA 0x636f6e66   /* "conf" */
#define PG_LOCK_WRITE 0x61623031

int
cf_store_is_pg(const char *path)
{
	if (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11))
		return 1;
	/* libpq's key=value form ("host=db dbname=chat", "service=team"):
	 * a word and '=' first, which a file's path seldom starts with */
	const char *p = path + strspn(path, " ");
	size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
	return k > 0 && p[k + strspn(p + k, " ")] == '=';
}

const char *
cf_store_name(const char *name)
{
	return strncmp(name, "sqlite://", 9) ? name : name + 9;
}

jv
cf_store_missing(const char *file)
{
	return cf_error(CF_EX_STORE, "no store at '%s': --db names an existing "
	                "one (chat-new --db creates it)", file);
}

static jv
pg_version(cf_store *st, long *v)
{
	*v = 0;
	long have = 0;
	/* to_regclass, not the pg_tables view, whose planning in a new
	 * backend took 0.9 of chat-show's 4.6 ms in the server */
	jv r = scalar(st, "SELECT count(to_regclass(quote_ident(current_schema())"
	              " || '.confab_schema'))",
	              "reading the schema version", &have);
	if (jv_is_valid(r) && have)
		r = scalar(st, "SELECT coalesce(max(version), 0) FROM confab_schema",
		           "reading the schema version", v);
	return r;
}

static jv
pg_migrate(cf_store *st)
{
	long v = 0;
	jv r = pg_version(st, &v);
	if (!jv_is_valid(r) || v == cf_pg_schema_version)
		return r;
	if (v > cf_pg_schema_version)
		return cf_error(CF_EX_STORE, "%s: written by a newer confab (schema "
		                "%ld, this one knows %d); not touching it", st->path,
		                v, cf_pg_schema_version);
	/* a standby takes its schema from the primary, whose first program
	 * of this version migrates it */
	if (st->replica)
		return cf_error(CF_EX_STORE, "%s: the replica's schema is %ld, this "
		                "confab's %d: run any program against the primary, "
		                "then wait for the replica to replay it", st->path, v,
		                cf_pg_schema_version);
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%d)", PG_LOCK_SCHEMA);
	r = exec(st, sql, "waiting to migrate the schema");
	if (!jv_is_valid(r))
		return r;
	r = pg_version(st, &v);   /* another program may have got here first */
	for (; jv_is_valid(r) && v < cf_pg_schema_version; v++) {
		r = exec(st, "BEGIN", "migrating the schema");
		if (jv_is_valid(r))
			r = exec(st, cf_pg_migrations[v], "migrating the schema");
		/* the first migration makes the table, with its one row */
		snprintf(sql, sizeof sql, "UPDATE confab_schema SET version = %ld",
		         v + 1);
		if (jv_is_valid(r))
			r = exec(st, sql, "migrating the schema");
		if (jv_is_valid(r))
			r = exec(st, "COMMIT", "migrating the schema");
		if (!jv_is_valid(r) && !cf_sql_autocommit(st->db))
			cf_sql_exec(st->db, "ROLLBACK");
	}
	snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%d)", PG_LOCK_SCHEMA);
	cf_sql_exec(st->db, sql);
	return r;
}

static jv
pg_open(cf_store *st, const char *conninfo, int mode)
{
	char *msg = NULL;
	st->lock_fd = -1;
	st->db = cf_pg_connect(conninfo, &msg);
	if (!st->db) {
		jv e = cf_error(CF_EX_STORE, "%s: cannot connect: %s", st->path,
		                msg ? msg : "unknown error");
		free(msg);
		return e;
	}
	(void)mode;   /* read or write: the server decides what this role may do */
	cf_user_note_role(cf_pg_user(st->db->pg));
	jv r = pg_migrate(st);
	if (!jv_is_valid(r) || st->replica)
		return r;   /* a standby is not written: the primary's next
		             * program replays the spool */
	cf_spool_replay(st);
	cf_reply_recover(st);
	return jv_true();
}

cf_store *
cf_store_open_mode(const char *path, int mode, jv *err)
{
	if (!path)
		path = cf_store_default_path();
	if (!path) {
		*err = cf_error(CF_EX_STORE, "no database: set CHAT_DB or HOME");
		return NULL;
	}
	cf_store *st = cf_xmalloc(sizeof *st);
	memset(st, 0, sizeof *st);
	path = cf_store_name(path);
	int pg = cf_store_is_pg(path);
	if ((mode & CF_STORE_REPLICA) && !pg) {
		free(st);
		/* not named: a mistyped URI may hold a password */
		*err = cf_error(CF_EX_USAGE, "a replica is a PostgreSQL store's "
		                "(postgresql://... or libpq's key=value); this is "
		                "not one");
		return NULL;
	}
	st->replica = !!(mode & CF_STORE_REPLICA);
	st->path = pg ? cf_pg_display(path) : cf_xstrdup(path);
	jv r = pg ? pg_open(st, path, mode) : open_store(st, path, mode);
	if (!jv_is_valid(r)) {
		cf_store_close(st);
		*err = r;
		return NULL;
	}
	return st;
}

cf_store *
cf_store_open(const char *path, jv *err)
{
	return cf_store_open_mode(path, CF_STORE_WRITE, err);
}

void
cf_store_busy_default(cf_store *st)
{
	if (st->lite)
		sqlite3_busy_timeout(st->lite, BUSY_TIMEOUT_MS);
}

int
cf_store_readonly(cf_store *st)
{
	return st->readonly;
}

void
cf_store_close(cf_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < sizeof st->cache / sizeof *st->cache; i++)
		cf_sql_finalize(st->cache[i].stmt);
	lite_close(st);
	if (st->wait_ms && st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

const char *
cf_store_user(cf_store *st)
{
	const char *u = cf_config_get("user");
	if (u && *u)
		return u;
	/* the role, which the server checked, rather than $USER, which any
	 * client may set; on SQLite the file's writer is the login */
	if (st && st->db && cf_sql_kind(st->db) == CF_SQL_PG) {
		u = cf_pg_user(st->db->pg);
		if (u && *u)
			return u;
	}
	return cf_user_login();
}

cf_sql *
cf_store_db(cf_store *st)
{
	return st->db;
}

/* ---- the writers' queue ----
 *
 * SQLite's busy handler polls: a writer that finds the store locked sleeps
 * and tries again, so whoever tries as it comes free gets it, a writer can
 * be passed over again and again, and the last of many queued behind long
 * imports gives up at the timeout.  So a writer first takes a ticket from
 * PATH-lock beside the database, in arrival order, and waits until every
 * earlier ticket is done; BEGIN IMMEDIATE then finds the store free.
 *
 * Not a plain flock: Linux lets a writer that arrives as the lock comes
 * free go before the waiter it wakes, and when that waiter must wait for a
 * processor, later writers pass it often (one in a loaded test was passed
 * eleven times); kernels before 5.0 wake every waiter at once.
 *
 * The file's locks are OFD locks, which the kernel drops when a process
 * ends however it ends: bytes 0-7 while a ticket is taken, and byte
 * TICKET0 + t, write-locked by the holder of ticket t from taking it to the
 * end of its transaction.  A waiter waits for the ticket before its own,
 * then makes sure no earlier one is still held (a writer that died while it
 * waited leaves a gap, not a stall).  The file's bytes: 0-7 the next
 * ticket, from 8 "pid ms prog" of the writer whose turn it is, for the
 * message of one that gives up.  Readers (WAL) take none of this. */

#define WAIT_DEFAULT_S 600
#define TICKET0 8
#define HOLDER 8
#define HOLDER_LEN 64

static volatile sig_atomic_t alarm_rang;

static void
on_alarm(int sig)
{
	(void)sig;
	alarm_rang = 1;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* busy-timeout (confab.5): how long a writer waits for its turn, in all. */
static jv
wait_ms(long *ms)
{
	long s = WAIT_DEFAULT_S;
	jv r = cf_config_load();
	if (cf_is_error(r))
		return r;
	const char *v = cf_config_get("busy-timeout");
	if (v && cf_parse_long(v, 1, 86400, &s))
		return cf_error(CF_EX_CONFIG, "%s: invalid busy-timeout '%s'",
		                cf_config_path(), v);
	*ms = s * 1000;
	return jv_true();
}

/* PATH-lock beside the file SQLite opened (symlinks resolved, as for its
 * -wal), with the database's mode and owner, as SQLite gives its -wal and
 * -shm; -1 when there can be none (a read-only folder, another user's
 * file, a symlink): the writers then queue on SQLite's busy timeout alone,
 * as they do where OFD locks fail (Linux before 3.15, some FUSE file
 * systems). */
static int
lock_open(cf_store *st)
{
	const char *db = sqlite3_db_filename(st->lite, "main");
	char path[PATH_MAX];
	struct stat sb;
	if (!db || !*db || snprintf(path, sizeof path, "%s-lock", db) >= (int)sizeof path ||
	    stat(db, &sb) != 0)
		return -1;
	mode_t old = umask(0);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	              sb.st_mode & 0666);
	umask(old);
	if (fd >= 0) {
		if (geteuid() == 0 && (sb.st_uid || sb.st_gid) &&
		    fchown(fd, sb.st_uid, sb.st_gid) != 0) {
			/* then it is root's: root's writers still queue */
		}
		return fd;
	}
	return errno == EEXIST ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;
}

static int
range(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock l = {0};
	l.l_type = type;
	l.l_whence = SEEK_SET;
	l.l_start = start;
	l.l_len = len;
	return fcntl(fd, cmd, &l);
}

/* Waits for a lock: 0 when had, -1 when the alarm rang or locks fail.  Other
 * signals (chat-send's SIGINT) do not end the wait. */
static int
range_wait(int fd, short type, off_t start, off_t len)
{
	while (range(fd, F_OFD_SETLKW, type, start, len) != 0)
		if (errno != EINTR || alarm_rang)
			return -1;
	return 0;
}

/* The first ticket in [from, to) (to 0: to the end) that is held, or -1.
 * A read lock is tested: it meets the tickets' write locks, not the read
 * locks waiters hold for an instant. */
static int64_t
held(int fd, int64_t from, int64_t to)
{
	struct flock l = {0};
	l.l_type = F_RDLCK;
	l.l_whence = SEEK_SET;
	l.l_start = TICKET0 + from;
	l.l_len = to ? to - from : 0;
	if (fcntl(fd, F_OFD_GETLK, &l) != 0 || l.l_type == F_UNLCK)
		return -1;
	return l.l_start - TICKET0;
}

/* Takes the next ticket: 0, or -1 when the alarm rang, -2 when there is no
 * queue to be had.  With no ticket held the count starts again at 0. */
static int
queue_join(cf_store *st)
{
	int fd = st->lock_fd;
	if (range_wait(fd, F_WRLCK, 0, 8) != 0)
		return errno == EINTR ? -1 : -2;
	int64_t t = 0;
	if (held(fd, 0, 0) >= 0 && (pread(fd, &t, sizeof t, 0) != sizeof t || t < 0))
		t = 0;
	/* a count someone wrote over: skip what is taken */
	int rc;
	while ((rc = range(fd, F_OFD_SETLK, F_WRLCK, TICKET0 + t, 1)) != 0 &&
	       (errno == EAGAIN || errno == EACCES))
		t++;
	int64_t next = t + 1;
	if (rc == 0 && pwrite(fd, &next, sizeof next, 0) != sizeof next) {
		range(fd, F_OFD_SETLK, F_UNLCK, TICKET0 + t, 1);
		rc = -1;
	}
	range(fd, F_OFD_SETLK, F_UNLCK, 0, 8);
	if (rc != 0)
		return -2;
	st->ticket = t;
	return 0;
}

/* Waits until no earlier ticket is held: 0, or -1 when the alarm rang. */
static int
queue_wait(cf_store *st)
{
	int fd = st->lock_fd;
	for (int64_t c = st->ticket - 1; c >= 0; c = held(fd, 0, st->ticket)) {
		if (range_wait(fd, F_RDLCK, TICKET0 + c, 1) != 0)
			return errno == EINTR ? -1 : 0;
		range(fd, F_OFD_SETLK, F_UNLCK, TICKET0 + c, 1);
	}
	char rec[HOLDER_LEN] = {0};
	snprintf(rec, sizeof rec, "%ld %lld %s\n", (long)getpid(),
	         (long long)cf_now_ms(), cf_prog);
	if (pwrite(fd, rec, sizeof rec, HOLDER) != sizeof rec) {
		/* only the message of one that gives up is the poorer */
	}
	return 0;
}

/* Joins the queue and waits for its turn, for ms at most: 0, or -1 when
 * the time ran out first.  The alarm repeats in case it rang just before
 * a wait began. */
static int
queue_enter(cf_store *st, long ms)
{
	struct sigaction sa = {0}, old;
	sa.sa_handler = on_alarm;   /* no SA_RESTART: the wait is interrupted */
	sigemptyset(&sa.sa_mask);
	struct itimerval it = {{0, 20000}, {ms / 1000, ms % 1000 * 1000}}, off = {0};
	alarm_rang = 0;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	int rc = queue_join(st);
	if (rc == 0)
		rc = queue_wait(st);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	return rc == -1 ? -1 : 0;
}

/* The name of a process, from /proc; "" when it cannot be known. */
static void
proc_name(long pid, char *out, size_t n)
{
	char p[64];
	out[0] = '\0';
	snprintf(p, sizeof p, "/proc/%ld/comm", pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (!fgets(out, (int)n, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static jv
queue_gave_up(cf_store *st, double waited)
{
	char who[256] = "", rec[HOLDER_LEN + 1] = {0}, prog[HOLDER_LEN];
	int ahead = 0, l = 0;
	for (int64_t c = -1; st->ticket >= 0 && (c = held(st->lock_fd, c + 1, st->ticket)) >= 0;)
		ahead++;
	long pid;
	long long since;
	if (ahead && pread(st->lock_fd, rec, HOLDER_LEN, HOLDER) > 0 &&
	    sscanf(rec, "%ld %lld %63s", &pid, &since, prog) == 3 && pid > 0 &&
	    (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
		l = snprintf(who, sizeof who, ", behind %s (pid %ld), which has held the store for %.1f s",
		             prog, pid, (cf_now_ms() - since) / 1000.0);
		ahead--;
	}
	if (ahead)
		snprintf(who + l, sizeof who - l, l ? ", and %d more writer%s" : ", behind %d writer%s",
		         ahead, ahead == 1 ? "" : "s");
	return cf_error(CF_EX_STORE, "%s: gave up after %.1f s waiting for its "
	                "turn to write%s; see busy-timeout in confab(5)",
	                st->path, waited, who);
}

/* SQLite's write lock in WAL is byte 120 of the -shm file, a POSIX lock
 * that /proc/locks lists with its holder. */
static long
wal_writer(cf_store *st)
{
	const char *db = sqlite3_db_filename(st->lite, "main");
	char shm[PATH_MAX], line[256];
	struct stat sb;
	long found = 0;
	if (!db || snprintf(shm, sizeof shm, "%s-shm", db) >= (int)sizeof shm ||
	    stat(shm, &sb) != 0)
		return 0;
	FILE *f = fopen("/proc/locks", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char kind[16], rw[16];
		long pid;
		unsigned maj, min;
		unsigned long ino;
		long long start;
		if (sscanf(line, "%*d: %15s %*s %15s %ld %x:%x:%lu %lld", kind, rw,
		           &pid, &maj, &min, &ino, &start) == 7 &&
		    !strcmp(kind, "POSIX") && !strcmp(rw, "WRITE") && start == 120 &&
		    ino == (unsigned long)sb.st_ino && maj == major(sb.st_dev) &&
		    min == minor(sb.st_dev) && pid > 0 && pid != (long)getpid())
			found = pid;
	}
	fclose(f);
	return found;
}

/* One writer at a time, as on SQLite: the transaction's advisory lock,
 * waited for up to busy-timeout (lock_timeout), and released by COMMIT or
 * ROLLBACK, so PgBouncer's transaction mode keeps nothing for us. */
static jv
pg_begin(cf_store *st, long budget, double t0)
{
	char sql[160];
	snprintf(sql, sizeof sql, "BEGIN; SET LOCAL lock_timeout = %ld;"
	         " SELECT pg_advisory_xact_lock(%d)", budget > 0 ? budget : 1,
	         PG_LOCK_WRITE);
	if (cf_sql_exec(st->db, sql) == CF_SQL_OK)
		return jv_true();
	jv e = cf_sql_errcode(st->db) == CF_SQL_BUSY
	       ? cf_error(CF_EX_STORE, "%s: gave up after %.1f s waiting for the "
	                  "write lock; see busy-timeout in confab(5)", st->path,
	                  now_s() - t0)
	       : cf_store_error(st, "starting a transaction");
	cf_store_rollback(st);
	return e;
}

jv
cf_store_begin(cf_store *st)
{
	*st->bulk = 0;
	if (st->full)
		return cf_error(CF_EX_STORE, "%s: the disk is full: nothing was "
		                "changed; free some space on its disk and run the "
		                "command again", st->path);
	if (st->readonly)
		return cf_error(CF_EX_STORE, "%s: the store is read-only", st->path);
	if (!st->wait_ms) {
		long ms = 0;
		jv r = wait_ms(&ms);
		if (!jv_is_valid(r))
			return r;
		st->wait_ms = ms;
		st->lock_fd = st->lite ? lock_open(st) : -1;
		st->ticket = -1;
	}
	double t0 = now_s();
	long budget = st->wait_once > 0 ? st->wait_once : st->wait_ms;
	if (!st->lite)
		return pg_begin(st, budget, t0);
	if (st->lock_fd >= 0 && queue_enter(st, budget) != 0) {
		jv e = queue_gave_up(st, now_s() - t0);
		/* its place goes; the holder's name stays, it is still theirs */
		if (st->ticket >= 0)
			range(st->lock_fd, F_OFD_SETLK, F_UNLCK, TICKET0 + st->ticket, 1);
		st->ticket = -1;
		return e;
	}
	long left = budget - (long)((now_s() - t0) * 1000);
	sqlite3_busy_timeout(st->lite, left > 0 ? (int)left : 1);
	if (sqlite3_exec(st->lite, "BEGIN IMMEDIATE", NULL, NULL, NULL) == CF_SQL_OK)
		return jv_true();
	jv e;
	if (cf_sql_errcode(st->db) != CF_SQL_BUSY) {
		e = cf_store_error(st, "starting a transaction");
	} else {
		char who[128] = "another program", name[32];
		long pid = wal_writer(st);
		if (pid) {
			proc_name(pid, name, sizeof name);
			snprintf(who, sizeof who, "%s (pid %ld)",
			         name[0] ? name : "a program", pid);
		}
		e = cf_error(CF_EX_STORE, "%s: gave up after %.1f s waiting for the "
		             "write lock, held by %s outside confab's queue; see "
		             "busy-timeout in confab(5)", st->path, now_s() - t0, who);
	}
	cf_store_rollback(st);
	return e;
}

jv
cf_store_begin_within(cf_store *st, long ms)
{
	st->wait_once = ms;
	jv r = cf_store_begin(st);
	st->wait_once = 0;
	return r;
}

static void
queue_leave(cf_store *st)
{
	if (!st->lite)
		return;
	sqlite3_busy_timeout(st->lite, BUSY_TIMEOUT_MS);
	if (st->ticket < 0)
		return;
	static const char blank[HOLDER_LEN];
	if (pwrite(st->lock_fd, blank, sizeof blank, HOLDER) != sizeof blank) {
		/* a stale name, for a message that checks it is alive */
	}
	range(st->lock_fd, F_OFD_SETLK, F_UNLCK, TICKET0 + st->ticket, 1);
	st->ticket = -1;
}

/* The counts the bulk session's triggers gathered, added to its row. */
static jv
bulk_settle(cf_store *st)
{
	static const char settle[] =
		"UPDATE sessions SET message_count = message_count"
		" + coalesce(nullif(current_setting('confab.bulk_n', true), ''), '0')::bigint,"
		" total_tokens = total_tokens"
		" + coalesce(nullif(current_setting('confab.bulk_tokens', true), ''), '0')::bigint,"
		" last_updated = greatest(last_updated,"
		" nullif(current_setting('confab.bulk_at', true), '')::bigint)"
		" WHERE id = ?1";
	cf_sql_stmt *s = cf_stmt(st, settle);
	cf_bind_text(s, 1, st->bulk);
	return cf_exec_stmt(st, s, "counting a session's messages");
}

jv
cf_store_bulk(cf_store *st, const char *sid)
{
	static const char start[] =
		"SELECT set_config('confab.bulk', ?1, true),"
		" set_config('confab.bulk_n', '', true),"
		" set_config('confab.bulk_tokens', '', true),"
		" set_config('confab.bulk_at', '', true)";
	if (sid && strlen(sid) >= sizeof st->bulk)
		sid = NULL;   /* no id of ours: counted a row at a time */
	if (st->lite || !strcmp(st->bulk, sid ? sid : ""))
		return jv_true();
	if (*st->bulk) {
		jv r = bulk_settle(st);
		if (!jv_is_valid(r))
			return r;
	}
	cf_sql_stmt *s = cf_stmt(st, start);
	cf_bind_text(s, 1, sid ? sid : "");
	int rc = cf_sql_step(s);
	cf_sql_reset(s);
	if (rc != CF_SQL_ROW)
		return cf_store_error(st, "counting a session's messages");
	snprintf(st->bulk, sizeof st->bulk, "%s", sid ? sid : "");
	return jv_true();
}

jv
cf_store_commit(cf_store *st)
{
	if (*st->bulk) {
		/* the settings end with the transaction: none to reset */
		jv b = bulk_settle(st);
		*st->bulk = 0;
		if (!jv_is_valid(b)) {
			cf_store_rollback(st);
			return b;
		}
	}
	jv r = exec(st, "COMMIT", "committing");
	if (!jv_is_valid(r))
		cf_store_rollback(st);   /* a COMMIT that failed leaves it open */
	else
		queue_leave(st);
	return r;
}

void
cf_store_rollback(cf_store *st)
{
	/* never fails: it is what a caller that caught an error runs */
	*st->bulk = 0;
	if (!cf_sql_autocommit(st->db))
		cf_sql_exec(st->db, "ROLLBACK");
	queue_leave(st);
}

cf_sql_stmt *
cf_prepare(cf_store *st, const char *sql)
{
	return cf_sql_prepare(st->db, sql);
}

cf_sql_stmt *
cf_stmt(cf_store *st, const char *sql)
{
	size_t n = sizeof st->cache / sizeof *st->cache, i;
	for (i = 0; i < n && st->cache[i].sql; i++) {
		if (st->cache[i].sql == sql) {
			cf_sql_stmt *s = st->cache[i].stmt;
			cf_sql_reset(s);
			cf_sql_clear_bindings(s);
			st->cache[i].used = ++st->clock;
			return s;
		}
	}
	if (i == n) {
		/* More statements than slots: the one handed out longest ago
		 * goes, unless it is still stepping (a caller's loop holds it);
		 * a program that runs for hours must not stop on this. */
		size_t old = n;
		for (size_t j = 0; j < n; j++)
			if (!cf_sql_busy(st->cache[j].stmt) &&
			    (old == n || st->cache[j].used < st->cache[old].used))
				old = j;
		if (old == n)
			return NULL;
		cf_sql_finalize(st->cache[old].stmt);
		i = old;
		memmove(&st->cache[i], &st->cache[i + 1],
		        (n - i - 1) * sizeof *st->cache);
		i = n - 1;
		st->cache[i].sql = NULL;
		st->cache[i].stmt = NULL;
	}
	if (!(st->cache[i].stmt = cf_sql_prepare(st->db, sql)))
		return NULL;   /* tried again the next time */
	st->cache[i].sql = sql;
	st->cache[i].used = ++st->clock;
	return st->cache[i].stmt;
}

jv
cf_exec_stmt(cf_store *st, cf_sql_stmt *s, const char *what)
{
	int rc = cf_sql_step(s);
	jv r = rc == CF_SQL_DONE || rc == CF_SQL_ROW ? jv_true() :
	       cf_store_error(st, what);   /* before the reset clears it */
	cf_sql_reset(s);
	return r;
}

void
cf_bind_text(cf_sql_stmt *s, int i, const char *v)
{
	if (v)
		cf_sql_bind_text(s, i, v, -1, CF_SQL_TRANSIENT);
	else
		cf_sql_bind_null(s, i);
}

void
cf_bind_jv(cf_sql_stmt *s, int i, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		cf_sql_bind_text(s, i, jv_string_value(v),
		                  jv_string_length_bytes(jv_copy(v)),
		                  CF_SQL_TRANSIENT);
		break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (d == (double)(int64_t)d)
			cf_sql_bind_int64(s, i, (int64_t)d);
		else
			cf_sql_bind_double(s, i, d);
		break;
	}
	case JV_KIND_TRUE:
		cf_sql_bind_int(s, i, 1);
		break;
	case JV_KIND_FALSE:
		cf_sql_bind_int(s, i, 0);
		break;
	case JV_KIND_ARRAY:
	case JV_KIND_OBJECT: {
		jv t = jv_dump_string(jv_copy(v), 0);
		cf_sql_bind_text(s, i, jv_string_value(t), -1, CF_SQL_TRANSIENT);
		jv_free(t);
		break;
	}
	default:
		cf_sql_bind_null(s, i);
	}
	jv_free(v);
}

jv
cf_col_json(cf_sql_stmt *s, int i)
{
	const char *t = (const char *)cf_sql_column_text(s, i);
	if (!t)
		return jv_null();
	if (t[0] == '[' && t[1] == ']' && !t[2])
		return jv_array();
	if (t[0] == '{' && t[1] == '}' && !t[2])
		return jv_object();
	jv v = jv_parse(t);
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

jv
cf_col_text(cf_sql_stmt *s, int i)
{
	const char *t = (const char *)cf_sql_column_text(s, i);
	if (!t)
		return jv_null();
	return jv_string_sized(t, cf_sql_column_bytes(s, i));
}
