/* Errors are values: bad input of each kind, many times over in one
 * process, comes back with its status and message, leaves the store as it
 * was and the process running, and leaks nothing (LeakSanitizer checks at
 * exit: a leak fails `make unit`).  What needs a process of its own (a
 * config, read once; another user) runs in a child that reports back. */
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "unit.h"
#include "confab.h"

#define ROUNDS 1000

static char dir[] = "/tmp/confab-unit-errors-XXXXXX";
static char path[300];

static void
config(const char *name, const char *text)
{
	char d[400], f[450];
	snprintf(d, sizeof d, "%s/%s/confab", dir, name);
	snprintf(f, sizeof f, "mkdir -p '%s'", d);
	if (system(f) != 0)
		exit(2);
	snprintf(f, sizeof f, "%s/config", d);
	FILE *fp = fopen(f, "w");
	if (!fp)
		exit(2);
	fputs(text, fp);
	fclose(fp);
	snprintf(d, sizeof d, "%s/%s", dir, name);
	setenv("XDG_CONFIG_HOME", d, 1);
}

/* Runs fn in a child; its failures (and a leak, which LeakSanitizer turns
 * into exit 23) fail the parent. */
static void
in_child(void (*fn)(void))
{
	fflush(NULL);
	pid_t p = fork();
	if (p == 0) {
		unit_pass = unit_fail = 0;
		fn();
		fflush(NULL);
		exit(unit_fail ? 1 : 0);
	}
	int st = 0;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}


static jv
session(cf_store *st, const char *name)
{
	OK(cf_store_begin(st));
	jv r = cf_session_insert(st, jv_object_set(jv_object(), jv_string("name"),
	                                           jv_string(name)));
	OK(cf_store_commit(st));
	return r;
}

static int
drop(jv rec, void *ctx)
{
	(void)ctx;
	jv_free(rec);
	return 0;
}

/* Unknown and ambiguous names, malformed records, a bad search: each a
 * thousand times in one process, in and out of transactions. */
static void
records(void)
{
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv a = session(st, "alpha"), b1 = session(st, "beta"), b2 = session(st, "beta");
	const char *sid = cf_jstr(a, "id");
	long sessions = unit_scalar(st, "SELECT count(*) FROM sessions");
	char *args[] = {"alpha", "nope"};
	struct cf_filter bad = {0};
	bad.search = "\"AND ( NEAR c++";
	jv ghost = jv_parse("{\"id\":\"01a00000-0000-7000-8000-000000000000\","
	                    "\"name\":\"ghost\"}");
	for (int i = 0; i < ROUNDS; i++) {
		ERR_MSG(CF_EX_NOTFOUND, "unknown session 'nope'", cf_resolve_session(st, "nope"));
		ERR_MSG(CF_EX_NOTFOUND, "unknown session 'ab' (an id prefix needs at least 4",
		        cf_resolve_session(st, "ab"));
		ERR_MSG(CF_EX_AMBIGUOUS, "ambiguous session name 'beta' matches ",
		        cf_resolve_session(st, "beta"));
		ERR_MSG(CF_EX_NOTFOUND, "unknown message 'ffff'", cf_resolve_message(st, "ffff", NULL));
		ERR_MSG(CF_EX_NOTFOUND, "unknown message 'ffff' in this session",
		        cf_resolve_message(st, "ffff", sid));
		ERR_MSG(CF_EX_NOTFOUND, "unknown session 'nope'", cf_sessions_from_args(st, 2, args));
		ERR(CF_EX_USAGE, cf_session_list(st, &bad, drop, NULL));
		/* a merge into itself, and from a session gone meanwhile (a
		 * transaction taken and given back: fewer rounds, each waits
		 * its turn) */
		long taken;
		ERR_MSG(CF_EX_USAGE, "cannot merge session 'alpha' into itself",
		        cf_session_merge(st, a, a, 0, &taken));
		if (i % 50 == 0)
			ERR_MSG(CF_EX_NOTFOUND, "session 'ghost' is gone",
			        cf_session_merge(st, ghost, a, CF_MERGE_REMOVE, &taken));

		/* in a transaction: the error comes back, the caller rolls back */
		OK(cf_store_begin(st));
		ERR_MSG(CF_EX_DATA, "message role must be user, assistant or system",
		        cf_message_insert(st, sid, jv_parse("{\"role\":\"robot\"}")));
		ERR_MSG(CF_EX_DATA, "message field tokens is not a number",
		        cf_message_insert(st, sid, jv_parse("{\"role\":\"user\","
		                          "\"metadata\":{\"tokens\":\"many\"}}")));
		ERR_MSG(CF_EX_DATA, "message field model is not a string",
		        cf_message_insert(st, sid, jv_parse("{\"role\":\"user\","
		                          "\"metadata\":{\"tokens\":\"many\",\"model\":7}}")));
		ERR_MSG(CF_EX_DATA, "message field reactions is not an array",
		        cf_message_insert(st, sid, jv_parse("{\"role\":\"user\","
		                          "\"metadata\":{\"reactions\":{}}}")));
		ERR_MSG(CF_EX_DATA, "invalid time 'soon' in timestamp",
		        cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"timestamp\":\"soon\"}")));
		ERR_MSG(CF_EX_DATA, "invalid time 'soon' in created",
		        cf_session_insert(st, jv_parse("{\"name\":\"x\",\"created\":\"soon\"}")));
		ERR_MSG(CF_EX_DATA, "message has no sessionId",
		        cf_message_insert(st, NULL, jv_parse("{\"role\":\"user\"}")));
		/* a good one, which the rollback takes away again */
		OK(cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"content\":\"x\"}")));
		cf_store_rollback(st);
	}
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages") == 0);
	CHECK(unit_scalar(st, "SELECT count(*) FROM sessions") == sessions);
	/* and the store takes the next change */
	OK(cf_store_begin(st));
	OK(cf_message_insert(st, sid, jv_parse("{\"role\":\"user\",\"content\":\"x\"}")));
	OK(cf_store_commit(st));
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages") == 1);
	/* an ambiguous name lists its candidates */
	jv e = cf_resolve_session(st, "beta");
	jv m = cf_error_message(e);
	CHECK(strstr(jv_string_value(m), cf_jstr(b1, "id")) &&
	      strstr(jv_string_value(m), cf_jstr(b2, "id")));
	CHECK(!cf_error_usage(e));
	jv_free(m);
	jv_free(e);
	jv_free(a);
	jv_free(b1);
	jv_free(b2);
	jv_free(ghost);
	cf_store_close(st);
}

/* Records on a stream: a malformed line names its number, the end is no
 * value. */
static void
streams(void)
{
	for (int i = 0; i < ROUNDS / 10; i++) {
		FILE *f = tmpfile();
		fputs("{\"type\":\"session\"}\n\n[1]\n{oops\n", f);
		rewind(f);
		long line = 0;
		jv r = cf_read_record(f, "stdin", &line);
		CHECK(jv_get_kind(r) == JV_KIND_OBJECT);
		jv_free(r);
		ERR_MSG(CF_EX_DATA, "stdin:3: malformed record: not a JSON object",
		        cf_read_record(f, "stdin", &line));
		ERR_MSG(CF_EX_DATA, "stdin:4: malformed record: ", cf_read_record(f, "stdin", &line));
		r = cf_read_record(f, "stdin", &line);
		CHECK(!jv_is_valid(r) && !cf_is_error(r));
		fclose(f);
	}
}

/* Files that are not our stores: refused, and left as they were. */
static void
foreign(void)
{
	char p[400], wal[420];
	snprintf(p, sizeof p, "%s/other.db", dir);
	sqlite3 *db;
	sqlite3_open(p, &db);
	sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	for (int i = 0; i < ROUNDS / 10; i++)
		ERR_MSG(CF_EX_STORE, "belongs to another program (application id "
		        "0x0000002a); not touching it", unit_open_error(p, CF_STORE_WRITE));
	snprintf(wal, sizeof wal, "%s-wal", p);
	struct stat sb;
	CHECK(stat(wal, &sb) != 0);
	snprintf(p, sizeof p, "%s/tables.db", dir);
	sqlite3_open(p, &db);
	sqlite3_exec(db, "CREATE TABLE sessions (x); CREATE TABLE mine (y)", NULL, NULL, NULL);
	sqlite3_close(db);
	for (int i = 0; i < ROUNDS / 10; i++) {
		ERR_MSG(CF_EX_STORE, "not a confab store (it has tables of another "
		        "program); not touching it", unit_open_error(p, CF_STORE_WRITE));
		ERR_MSG(CF_EX_STORE, "not a confab store", unit_open_error(p, CF_STORE_READ));
	}
	snprintf(wal, sizeof wal, "%s-wal", p);
	CHECK(stat(wal, &sb) != 0);
	ERR_MSG(CF_EX_STORE, "is a folder, not a database", unit_open_error(dir, CF_STORE_WRITE));
	/* a folder that cannot be made: a file is in the way */
	snprintf(p, sizeof p, "%s/other.db/sub/chat.db", dir);
	ERR_MSG(CF_EX_STORE, "cannot create folder ", unit_open_error(p, CF_STORE_WRITE));
}

/* Another user's 0644 store: a reader opens it, a writer is refused, and
 * a reader's transaction too. */
static void
readonly_child(void)
{
	if (setgid(65534) != 0 || setuid(65534) != 0) {
		CHECK(!"setuid");
		return;
	}
	for (int i = 0; i < ROUNDS / 10; i++)
		ERR_MSG(CF_EX_STORE, "the store is read-only", unit_open_error(path, CF_STORE_WRITE));
	cf_store *st = unit_open(path, CF_STORE_READ);
	CHECK(cf_store_readonly(st));
	ERR_MSG(CF_EX_STORE, "the store is read-only", cf_store_begin(st));
	jv l = cf_resolve_session(st, "alpha");
	CHECK(jv_get_kind(l) == JV_KIND_OBJECT);
	jv_free(l);
	cf_store_close(st);
}

static void
readonly(void)
{
	if (geteuid() != 0) {
		/* without root, the file's own mode says it */
		chmod(path, 0444);
		cf_store *st = unit_open(path, CF_STORE_READ);
		ERR_MSG(CF_EX_STORE, "the store is read-only", cf_store_begin(st));
		cf_store_close(st);
		ERR_MSG(CF_EX_STORE, "the store is read-only", unit_open_error(path, CF_STORE_WRITE));
		chmod(path, 0600);
		return;
	}
	chmod(dir, 0755);
	chmod(path, 0644);
	in_child(readonly_child);
	chmod(path, 0600);
}

/* A writer that finds the store taken gives its turn back. */
static void
busy(void)
{
	cf_store *a = unit_open(path, CF_STORE_WRITE), *b = unit_open(path, CF_STORE_WRITE);
	OK(cf_store_begin(a));
	ERR_MSG(CF_EX_STORE, "gave up after 1.", cf_store_begin(b));
	ERR_MSG(CF_EX_STORE, "see busy-timeout in confab(5)", cf_store_begin(b));
	cf_store_rollback(a);
	OK(cf_store_begin(b));
	OK(cf_store_commit(b));
	cf_store_close(a);
	cf_store_close(b);
}

/* jq programs: one that does not compile, one that fails on a record. */
static void
filters(void)
{
	jv rec = jv_parse("{\"id\":\"s1\",\"name\":\"n\"}");
	for (int i = 0; i < ROUNDS; i++) {
		jv err = jv_invalid();
		cf_jq *q = cf_jq_compile(".name |", "--where", &err);
		CHECK(!q);
		ERR_MSG(CF_EX_USAGE, "--where: ", err);
		q = cf_jq_compile(".name | error(\"boom\")", "--where", &err);
		CHECK(q);
		ERR_MSG(CF_EX_DATA, "--where: jq error on session s1: boom", cf_jq_true(q, rec));
		cf_jq_free(q);
		q = cf_jq_compile(".name == \"n\"", "--where", &err);
		jv t = cf_jq_true(q, rec);
		CHECK(jv_get_kind(t) == JV_KIND_TRUE);
		cf_jq_free(q);
	}
	jv_free(rec);
}

/* Options' values: a usage error says so, for the programs to point at
 * --help. */
static void
settings(void)
{
	struct cf_settings s;
	cf_settings_init(&s);
	s.temperature = "5";
	for (int i = 0; i < ROUNDS; i++) {
		jv e = cf_settings_apply(jv_object(), &s);
		CHECK(cf_error_usage(e));
		ERR_MSG(CF_EX_USAGE, "invalid --temperature '5': must be a number from 0 to 2", e);
	}
	s.temperature = NULL;
	cf_settings_add_tag(&s, "a,b", 0);
	ERR_MSG(CF_EX_USAGE, "invalid --tag 'a,b'", cf_settings_apply(jv_object(), &s));
	free(s.tags);
}

/* stdout closed by its reader: an error of status 0, to stop quietly;
 * SIGPIPE is ignored, as cf_out_init does. */
static void
closed_pipe_child(void)
{
	int fd[2];
	if (pipe(fd) != 0)
		exit(2);
	signal(SIGPIPE, SIG_IGN);
	close(fd[0]);
	dup2(fd[1], STDOUT_FILENO);
	close(fd[1]);
	setvbuf(stdout, NULL, _IONBF, 0);
	jv e = cf_out_record(jv_parse("{\"type\":\"session\"}"));
	CHECK(cf_is_error(e) && cf_error_status(e) == CF_EX_OK);
	jv_free(e);
	clearerr(stdout);
}

static void
make_store(void)
{
	cf_store_close(unit_open(path, CF_STORE_WRITE));
}

/* A malformed config: the same error from each reader, every time. */
static void
bad_config_child(void)
{
	config("bad", "model = x\n[broken\n");
	char want[500];
	snprintf(want, sizeof want, "%s/bad/confab/config:2: malformed section header", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	for (int i = 0; i < ROUNDS; i++) {
		ERR_MSG(CF_EX_CONFIG, want, cf_config_load());
		ERR_MSG(CF_EX_CONFIG, want, cf_settings_defaults(jv_object()));
		ERR_MSG(CF_EX_CONFIG, want, cf_store_begin(st));
		long max;
		ERR_MSG(CF_EX_CONFIG, want, cf_attach_limit(&max));
		CHECK(!cf_config_get("model"));   /* nothing of a bad file is used */
	}
	/* the failed begin left no turn taken */
	CHECK(!cf_store_readonly(st));
	cf_store_close(st);
}

static void
bad_values_child(void)
{
	config("values", "busy-timeout = soon\nattach-max = 3T\nauto-context = maybe\n");
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	for (int i = 0; i < ROUNDS / 10; i++) {
		ERR_MSG(CF_EX_CONFIG, "invalid busy-timeout 'soon'", cf_store_begin(st));
		long max;
		ERR_MSG(CF_EX_CONFIG, "invalid attach-max '3T'", cf_attach_limit(&max));
		ERR_MSG(CF_EX_CONFIG, "invalid auto-context 'maybe': must be true or false",
		        cf_settings_defaults(jv_object()));
	}
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/chat.db", dir);
	config("ok", "busy-timeout = 1\n");
	/* the config is read once a process: the children that read another
	 * run before this one reads it */
	in_child(make_store);
	in_child(bad_config_child);
	in_child(bad_values_child);
	records();
	streams();
	foreign();
	readonly();
	busy();
	filters();
	settings();
	in_child(closed_pipe_child);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-errors");
}
