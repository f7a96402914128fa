/* chat-import's reader: a malformed file is an error value, never an exit,
 * and the process that asked goes on; good files still give their plans. */
#include <sqlite3.h>
#include <sys/stat.h>

#include "unit.h"
#include "confab.h"

/* The checks jump out of an item that fails them (lib/import.h), so what
 * that item held is not all given back: known, and said in confab.h.
 * Those reads are kept from the leak checker; the good ones are not. */
#ifdef __SANITIZE_ADDRESS__
#define LEAKS_KNOWN(stmt) do { __lsan_disable(); stmt; __lsan_enable(); } while (0)
#else
#define LEAKS_KNOWN(stmt) do { stmt; } while (0)
#endif

static char dir[] = "/tmp/confab-unit-XXXXXX";

static const char *
put(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Reads path as format: the error's status and its message's text (or
 * -1 and "" when it read), with plans freed either way. */
static int
read_err(const char *path, int format, char *msg, size_t n)
{
	jv p = cf_import_read(jv_array(), path, "in.json", format);
	msg[0] = '\0';
	if (jv_is_valid(p)) {
		jv_free(p);
		return -1;
	}
	jv m = cf_error_message(p);   /* borrows p */
	snprintf(msg, n, "%s", jv_string_value(m));
	jv_free(m);
	int st = cf_error_status(p);
	jv_free(p);
	return st;
}

static void
errors_are_values(void)
{
	char msg[1024];
	static const struct { const char *name, *text, *want; int format; } bad[] = {
		{"trunc.json", "[{\"type\": \"session\", \"id\": ",
		 "in.json: invalid JSON: ", CF_IMPORT_AUTO},
		{"num.json", "[1]", "in.json: item 1 is a number, expected an object",
		 CF_IMPORT_AUTO},
		{"what.json", "[{\"x\": 1}]", "in.json: not a confab, ChatGPT or Claude",
		 CF_IMPORT_AUTO},
		{"gpt.json", "[{\"title\": \"T\", \"id\": \"c1\", \"mapping\": {\"a\":"
		 " {\"parent\": \"zz\"}}}]",
		 "in.json: conversation 1 (\"T\"): mapping node a: parent zz is not in the mapping",
		 CF_IMPORT_AUTO},
		{"claude.json", "[{\"uuid\": \"u\", \"name\": \"N\", \"chat_messages\":"
		 " [{\"sender\": \"human\", \"created_at\": \"yesterday\"}]}]",
		 "in.json: conversation 1 (\"N\"): message 1: invalid time 'yesterday' in created_at",
		 CF_IMPORT_AUTO},
		{"confab.json", "{\"type\": \"session\", \"name\": \"s\", \"messages\":"
		 " [{\"role\": \"robot\"}]}",
		 "in.json: session 1 (\"s\"): message 1: role 'robot' is not user",
		 CF_IMPORT_AUTO},
		{"zip.json", "PK\003\004 not really a zip archive at all",
		 "in.json: unreadable archive", CF_IMPORT_AUTO},
		{"notdb.json", "[]", "in.json: not an SQLite database, so not an llm logs.db",
		 CF_IMPORT_LLM},
	};
	/* many times over, the process going on */
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			const char *path = put(bad[i].name, bad[i].text);
			int st;
			LEAKS_KNOWN(st = read_err(path, bad[i].format, msg, sizeof msg));
			CHECK(st == CF_EX_DATA);
			if (strncmp(msg, bad[i].want, strlen(bad[i].want)))
				CHECK_STR(msg, bad[i].want);
		}
	}

	/* an SQLite file that is not llm's, read where it lies */
	char dbpath[512];
	snprintf(dbpath, sizeof dbpath, "%s/other.db", dir);
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	int st;
	LEAKS_KNOWN(st = read_err(dbpath, CF_IMPORT_AUTO, msg, sizeof msg));
	CHECK(st == CF_EX_DATA);
	CHECK_STR(msg, "in.json: not an llm logs.db: it has no responses table");
	CHECK(read_err(dbpath, CF_IMPORT_CONFAB, msg, sizeof msg) == CF_EX_DATA);
	CHECK_STR(msg, "in.json: an SQLite database, not JSON (an llm logs.db is --format llm)");

	/* what cannot be read at all */
	char missing[512];
	snprintf(missing, sizeof missing, "%s/none.json", dir);
	CHECK(read_err(missing, CF_IMPORT_AUTO, msg, sizeof msg) == CF_EX_FAIL);
	CHECK(!strncmp(msg, "cannot open 'in.json': ", 23));
	CHECK(read_err(dir, CF_IMPORT_AUTO, msg, sizeof msg) == CF_EX_FAIL);
	CHECK_STR(msg, "cannot read 'in.json': Is a directory");

	/* a good file after the failures still reads, into plans kept before */
	const char *good = put("good.json", "[{\"type\": \"session\", \"name\": \"ok\","
	                       " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}]");
	jv plans = cf_import_read(jv_array(), good, "good.json", CF_IMPORT_AUTO);
	CHECK(jv_is_valid(plans));
	plans = cf_import_read(plans, good, "good.json", CF_IMPORT_AUTO);
	CHECK(jv_is_valid(plans) && jv_array_length(jv_copy(plans)) == 2);
	/* and a failure then takes the plans with it */
	LEAKS_KNOWN(plans = cf_import_read(plans, put("bad.json", "{"), "bad.json",
	                                   CF_IMPORT_AUTO));
	CHECK(!jv_is_valid(plans) && cf_error_status(plans) == CF_EX_DATA);
	jv_free(plans);
}

static void
formats_by_name(void)
{
	CHECK(cf_import_format("auto") == CF_IMPORT_AUTO);
	CHECK(cf_import_format("confab") == CF_IMPORT_CONFAB);
	CHECK(cf_import_format("chatgpt") == CF_IMPORT_CHATGPT);
	CHECK(cf_import_format("claude") == CF_IMPORT_CLAUDE);
	CHECK(cf_import_format("llm") == CF_IMPORT_LLM);
	CHECK(cf_import_format("json") == -1);
	CHECK(cf_import_format("") == -1);
}

/* llm's stores, 0.31's, 0.32's and both in one, read whole with nothing
 * left behind (the leak checker watches), and again from their bytes. */
static void
llm_stores(void)
{
	static const struct {
		const char *kind;
		int sessions, messages;
	} want[] = {{"0.31", 2, 11}, {"0.32", 3, 11}, {"mixed", 3, 15}, {"empty-0.32", 0, 0}};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		char path[600], cmd[1400];
		snprintf(path, sizeof path, "%s/%s.db", dir, want[i].kind);
		snprintf(cmd, sizeof cmd, "tests/fixtures/import/llm-store %s '%s'",
		         want[i].kind, path);
		CHECK(system(cmd) == 0);
		jv plans = cf_import_read(jv_array(), path, "logs.db", CF_IMPORT_AUTO);
		CHECK(jv_is_valid(plans));
		if (!jv_is_valid(plans)) {
			jv_free(plans);
			continue;
		}
		CHECK(jv_array_length(jv_copy(plans)) == want[i].sessions);
		int n = 0;
		jv_array_foreach(plans, k, p) {
			n += jv_array_length(jv_object_get(p, jv_string("messages")));
			(void)k;
		}
		CHECK(n == want[i].messages);
		jv_free(plans);
	}
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char home[600];
	snprintf(home, sizeof home, "%s/home", dir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	errors_are_values();
	formats_by_name();
	llm_stores();
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return unit_done("test-import");
}
