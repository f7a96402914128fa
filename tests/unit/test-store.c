/* The store: migrations, records in and out, references, listing. */
#include <sqlite3.h>
#include <ctype.h>
#include <sys/stat.h>

#include "unit.h"
#include "confab.h"

static char dir[] = "/tmp/confab-unit-XXXXXX";
static char path[256];


static void
migrations(void)
{
	snprintf(path, sizeof path, "%s/a/b/chat.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(unit_scalar(st, "PRAGMA user_version") == CF_SCHEMA_VERSION);
	CHECK(unit_scalar(st, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                 " ('sessions', 'messages', 'attachments', 'messages_fts',"
	                 " 'sessions_fts')") == 5);
	cf_store_close(st);
	/* opening again migrates nothing and keeps the data */
	st = unit_open(path, CF_STORE_WRITE);
	CHECK(unit_scalar(st, "PRAGMA user_version") == CF_SCHEMA_VERSION);
	CHECK(unit_scalar(st, "PRAGMA journal_mode = WAL") >= -1);
	cf_sql_exec(cf_store_db(st), "PRAGMA user_version = 99");
	cf_store_close(st);
	/* a newer schema is refused, and left as it was */
	ERR_MSG(CF_EX_STORE, "written by a newer confab", unit_open_error(path, CF_STORE_WRITE));
	sqlite3 *db;
	sqlite3_open(path, &db);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", CF_SCHEMA_VERSION);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	/* a folder is not a database */
	ERR_MSG(CF_EX_STORE, "is a folder, not a database", unit_open_error(dir, CF_STORE_WRITE));
}

static jv
session(cf_store *st, const char *name)
{
	jv r = jv_object_set(jv_object(), jv_string("name"), jv_string(name));
	OK(cf_store_begin(st));
	r = cf_session_insert(st, r);
	OK(cf_store_commit(st));
	return r;
}

static void
records(void)
{
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv in = jv_parse("{\"name\":\"round trip\",\"provider\":\"openai\","
	                 "\"model\":\"gpt-4o\",\"created\":\"2025-01-02T03:04:05.678Z\","
	                 "\"settings\":{\"temperature\":0.5,\"maxTokens\":100,"
	                 "\"systemPrompt\":\"be brief\",\"autoContext\":true,"
	                 "\"contextWindow\":7,\"sendHistory\":true},"
	                 "\"metadata\":{\"tags\":[\"a\",\"b\"],"
	                 "\"starred\":true,\"archived\":false,\"messageCount\":9,"
	                 "\"merges\":[{\"source\":\"s\",\"messages\":2}]}}");
	OK(cf_store_begin(st));
	jv out = cf_session_insert(st, jv_copy(in));
	OK(cf_store_commit(st));
	CHECK_STR(cf_jstr(out, "type"), "session");
	CHECK_STR(cf_jstr(out, "name"), "round trip");
	CHECK_STR(cf_jstr(out, "created"), "2025-01-02T03:04:05.678Z");
	CHECK_STR(cf_jstr(out, "lastUpdated"), "2025-01-02T03:04:05.678Z");
	jv a = jv_object_get(jv_copy(in), jv_string("settings"));
	jv b = jv_object_get(jv_copy(out), jv_string("settings"));
	CHECK(jv_equal(a, b));
	jv tags = jv_getpath(jv_copy(out), jv_parse("[\"metadata\",\"tags\"]"));
	jv want = jv_parse("[\"a\",\"b\"]");
	CHECK(jv_equal(tags, want));
	CHECK(jv_get_kind(jv_getpath(jv_copy(out), jv_parse("[\"metadata\",\"starred\"]"))) == JV_KIND_TRUE);
	/* metadata keys without a column of their own come back (schema 3's
	 * sessions.extra); the counts are the store's, not the record's */
	jv merges = jv_getpath(jv_copy(out), jv_parse("[\"metadata\",\"merges\"]"));
	want = jv_parse("[{\"source\":\"s\",\"messages\":2}]");
	CHECK(jv_equal(merges, want));
	jv md0 = jv_object_get(jv_copy(out), jv_string("metadata"));
	CHECK(cf_jnum(md0, "messageCount", -1) == 0);
	jv_free(md0);
	char sid[37];
	snprintf(sid, sizeof sid, "%s", cf_jstr(out, "id"));

	/* messages: metadata keys we do not model survive the trip */
	jv m = jv_parse("{\"role\":\"assistant\",\"content\":\"hi **there**\","
	                "\"timestamp\":\"2025-01-02T03:05:00.000Z\",\"metadata\":{"
	                "\"tokens\":42,\"model\":\"gpt-4o\",\"processing_time\":1200,"
	                "\"reactions\":[\"+1\"],\"edits\":[],\"cost\":0.01},"
	                "\"context\":{\"files\":[\"a.c\"]}}");
	OK(cf_store_begin(st));
	jv mo = cf_message_insert(st, sid, m);
	jv m2 = cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"content\":\"\"}"));
	OK(cf_store_commit(st));
	CHECK_STR(cf_jstr(mo, "content"), "hi **there**");
	CHECK_STR(cf_jstr(mo, "sessionId"), sid);
	jv meta = jv_object_get(jv_copy(mo), jv_string("metadata"));
	CHECK(cf_jnum(meta, "tokens", 0) == 42);
	CHECK(cf_jnum(meta, "cost", 0) == 0.01);
	CHECK(cf_jnum(meta, "processing_time", 0) == 1200);
	jv_free(meta);
	jv files = jv_getpath(jv_copy(mo), jv_parse("[\"context\",\"files\",0]"));
	CHECK(jv_get_kind(files) == JV_KIND_STRING && !strcmp(jv_string_value(files), "a.c"));
	jv_free(files);
	/* counters follow the messages */
	jv again = cf_session_get(st, sid);
	jv md = jv_object_get(jv_copy(again), jv_string("metadata"));
	CHECK(cf_jnum(md, "messageCount", 0) == 2);
	CHECK(cf_jnum(md, "totalTokens", 0) == 42);
	jv_free(md);
	jv_free(again);
	/* malformed messages are refused */
	ERR(CF_EX_DATA, cf_message_insert(st, sid, jv_parse("{\"role\":\"robot\"}")));
	ERR(CF_EX_DATA, cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"content\":5}")));
	ERR(CF_EX_DATA, cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"timestamp\":\"soon\"}")));
	jv_free(mo);
	jv_free(m2);
	jv_free(out);
	jv_free(in);
	cf_store_close(st);
}

static void
references(void)
{
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv a = session(st, "alpha"), b = session(st, "beta"), c = session(st, "beta");
	const char *ida = cf_jstr(a, "id");

	jv r = cf_resolve_session(st, ida);
	CHECK_STR(cf_jstr(r, "id"), ida);
	jv_free(r);
	r = cf_resolve_session(st, "alpha");
	CHECK_STR(cf_jstr(r, "id"), ida);
	jv_free(r);
	/* a prefix long enough to be unique: the shortest id the table shows */
	char shortid[37];
	cf_session_short_id(st, ida, 8, shortid);
	CHECK(strlen(shortid) >= 8 && !strncmp(shortid, ida, strlen(shortid)));
	r = cf_resolve_session(st, shortid);
	CHECK_STR(cf_jstr(r, "id"), ida);
	jv_free(r);
	/* upper case ids are the same ids */
	char upper[37];
	for (int i = 0; i < 37; i++)
		upper[i] = (char)toupper((unsigned char)ida[i]);
	r = cf_resolve_session(st, upper);
	CHECK_STR(cf_jstr(r, "id"), ida);
	jv_free(r);
	/* two sessions named beta; every id here shares its first 4 digits */
	ERR(CF_EX_AMBIGUOUS, cf_resolve_session(st, "beta"));
	char four[5];
	memcpy(four, ida, 4);
	four[4] = '\0';
	ERR(CF_EX_AMBIGUOUS, cf_resolve_session(st, four));
	ERR(CF_EX_NOTFOUND, cf_resolve_session(st, "gamma"));
	ERR(CF_EX_NOTFOUND, cf_resolve_session(st, "01a"));
	ERR(CF_EX_NOTFOUND, cf_resolve_session(st, "ffffffff"));
	jv_free(a);
	jv_free(b);
	jv_free(c);
	cf_store_close(st);
}

static int
count(jv rec, void *ctx)
{
	(*(int *)ctx)++;
	jv_free(rec);
	return 0;
}

static void
listing(void)
{
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	struct cf_filter f = {0};
	int n = 0;
	OK(cf_session_list(st, &f, count, &n));
	CHECK(n == 4);
	const char *tags[] = {"a", NULL};
	f.tags = tags;
	n = 0;
	OK(cf_session_list(st, &f, count, &n));
	CHECK(n == 1);
	f.tags = NULL;
	f.search = "there";
	n = 0;
	OK(cf_session_list(st, &f, count, &n));
	CHECK(n == 1);
	/* FTS5's syntax other than quotes, * and the operators is text */
	f.search = "( NEAR c++ ^x: a:b";
	n = 0;
	OK(cf_session_list(st, &f, count, &n));
	CHECK(n == 0);
	f.search = "\"AND ( NEAR c++";
	ERR(CF_EX_USAGE, cf_session_list(st, &f, count, &n));
	f.search = "beta";
	n = 0;
	OK(cf_session_list(st, &f, count, &n));
	CHECK(n == 2);
	cf_store_close(st);
}

/* Pages of two through a listing by (lastUpdated, row) keys: every row
 * once, in the listing's order, ties included. */
struct page {
	char ids[16][37];
	int n, got, limit;
	int64_t key[2], last[2];
};

static int
page_one(jv rec, void *ctx)
{
	struct page *p = ctx;
	if (p->got < 16)
		snprintf(p->ids[p->got], 37, "%s", cf_jstr(rec, "id"));
	p->got++;
	p->last[0] = p->key[0];
	p->last[1] = p->key[1];
	jv_free(rec);
	return ++p->n >= p->limit;
}

static void
paging(void)
{
	char p[300];
	snprintf(p, sizeof p, "%s/p/chat.db", dir);
	cf_store *st = unit_open(p, CF_STORE_WRITE);
	for (int i = 0; i < 7; i++) {
		jv r = cf_session_insert(st, jv_object_set(jv_object(), jv_string("name"),
		                                           jv_string("same words")));
		CHECK(jv_is_valid(r));
		jv_free(r);
	}
	cf_sql_exec(cf_store_db(st), "UPDATE sessions SET last_updated = 5000 WHERE n IN (2, 3, 4, 6);"
	             " UPDATE sessions SET last_updated = 9000 WHERE n = 1");
	for (int search = 0; search < 2; search++) {
		struct page all = {.limit = 100}, pg = {.limit = 2};
		struct cf_filter f = {0};
		f.search = search ? "words" : NULL;
		OK(cf_session_list(st, &f, page_one, &all));
		CHECK(all.got == 7);
		f.key = pg.key;
		int pages = 0;
		do {
			pg.n = 0;
			OK(cf_session_list(st, &f, page_one, &pg));
			f.after_updated = pg.last[0];
			f.after_n = pg.last[1];
			pages++;
		} while (pg.n == pg.limit && pages < 10);
		CHECK(pg.got == 7 && pages == 4);
		for (int i = 0; i < 7; i++)
			CHECK_STR(pg.ids[i], all.ids[i]);
	}
	cf_store_close(st);
}

static void
from_records(void)
{
	/* a malformed line names its number, blank lines counted */
	FILE *f = tmpfile();
	fputs("{\"type\":\"session\"}\n\n{oops\n", f);
	rewind(f);
	long line = 0;
	jv rec = cf_read_record(f, "stdin", &line);
	CHECK(jv_get_kind(rec) == JV_KIND_OBJECT && line == 1);
	jv_free(rec);
	ERR_MSG(CF_EX_DATA, "stdin:3: malformed record: ", cf_read_record(f, "stdin", &line));
	/* the end is no value, not an error */
	rec = cf_read_record(f, "stdin", &line);
	CHECK(jv_get_kind(rec) == JV_KIND_INVALID && !cf_is_error(rec));
	fclose(f);
	f = tmpfile();
	fputs("[1,2]\n", f);
	rewind(f);
	line = 0;
	ERR_MSG(CF_EX_DATA, "stdin:1: malformed record: not a JSON object",
	        cf_read_record(f, "stdin", &line));
	fclose(f);
}

/* Writers take turns on PATH-lock: a writer waits while another's
 * transaction is open, and gives up after busy-timeout; the migration,
 * commit, rollback and close each end a turn. */
static void
queue(void)
{
	char p[300];
	snprintf(p, sizeof p, "%s/q/chat.db", dir);
	cf_store *a = unit_open(p, CF_STORE_WRITE);
	cf_store *b = unit_open(p, CF_STORE_WRITE);
	OK(cf_store_begin(b));
	OK(cf_store_commit(b));
	OK(cf_store_begin(a));
	/* its own handle, as another program has: a fork shares the lock's */
	cf_store *c = unit_open(p, CF_STORE_WRITE);
	ERR_MSG(CF_EX_STORE, "waiting for its turn to write", cf_store_begin(c));
	cf_store_rollback(a);
	OK(cf_store_begin(b));
	ERR_MSG(CF_EX_STORE, "waiting for its turn to write", cf_store_begin(c));
	OK(cf_store_commit(b));
	/* the one that gave up holds no turn: it gets the next */
	OK(cf_store_begin(c));
	OK(cf_store_commit(c));
	cf_store_close(c);
	OK(cf_store_begin(a));
	cf_store_close(a);
	OK(cf_store_begin(b));
	OK(cf_store_commit(b));
	cf_store_close(b);
	struct stat sb;
	snprintf(p, sizeof p, "%s/q/chat.db-lock", dir);
	CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600);
}

/* cf_message_page: windows by seq from either end, every record with
 * its seq; cf_message_seq for one message. */
static int
page_seqs(jv rec, void *ctx)
{
	jv *seqs = ctx;
	CHECK(cf_jnum(rec, "seq", -1) > 0 && cf_jstr_or_null(rec, "id"));
	*seqs = jv_array_append(*seqs, jv_number(cf_jnum(rec, "seq", -1)));
	jv_free(rec);
	return 0;
}

static void
page_check(cf_store *st, const char *sid, int64_t after, int64_t before,
           long limit, int from_end, const char *want)
{
	jv seqs = jv_array();
	OK(cf_message_page(st, sid, after, before, limit, from_end, page_seqs, &seqs));
	size_t n;
	CHECK_STR(cf_json_compact(seqs, &n), want);
}

static void
pages(void)
{
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv s = session(st, "pages");
	char sid[37], third[37];
	snprintf(sid, sizeof sid, "%s", cf_jstr(s, "id"));
	jv_free(s);
	OK(cf_store_begin(st));
	for (int i = 1; i <= 7; i++) {
		jv m = cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"content\":\"x\"}"));
		if (i == 3)
			snprintf(third, sizeof third, "%s", cf_jstr(m, "id"));
		jv_free(m);
	}
	OK(cf_store_commit(st));
	jv n = cf_message_seq(st, third);
	CHECK(jv_get_kind(n) == JV_KIND_NUMBER && jv_number_value(n) == 3);
	jv_free(n);
	n = cf_message_seq(st, "00000000-0000-0000-0000-000000000000");
	CHECK(!jv_is_valid(n) && !cf_is_error(n));
	jv_free(n);
	page_check(st, sid, 0, 0, 0, 0, "[1,2,3,4,5,6,7]");
	page_check(st, sid, 0, 0, 3, 0, "[1,2,3]");
	page_check(st, sid, 0, 0, 3, 1, "[5,6,7]");
	page_check(st, sid, 3, 0, 2, 0, "[4,5]");
	page_check(st, sid, 0, 3, 5, 1, "[1,2]");
	page_check(st, sid, 2, 6, 0, 1, "[3,4,5]");
	page_check(st, sid, 7, 0, 10, 0, "[]");
	page_check(st, "no-such-session", 0, 0, 10, 0, "[]");
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 2;
	/* a writer that finds the store taken gives up after a second */
	char cfg[300];
	snprintf(cfg, sizeof cfg, "mkdir -p '%s/config/confab' && echo 'busy-timeout = 1' > '%s/config/confab/config'",
	         dir, dir);
	if (system(cfg) != 0)
		return 2;
	snprintf(cfg, sizeof cfg, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	migrations();
	records();
	references();
	listing();
	paging();
	from_records();
	queue();
	pages();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-store");
}
