/* confab's slash commands (lib/repl_cmd.c) against a real store: each
 * command's right forms change the session as the chat-* program would,
 * and each wrong form is one error value that changes nothing.  Then
 * completion.  Under ASan's leak check, a wrong form that leaked would
 * fail the run. */
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"
#include "cmd.h"
#include "repl.h"

static char dir[] = "/tmp/confab-unit-cmd-XXXXXX";
static char out[65536];   /* what the last command wrote */
static struct cf_chat chat;

/* Runs a command line with stdout caught into out. */
static jv
run(const char *line)
{
	char path[300];
	snprintf(path, sizeof path, "%s/stdout", dir);
	fflush(stdout);
	int saved = dup(1);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	jv r = cf_chat_command(&chat, line);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	FILE *f = fopen(path, "r");
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	fclose(f);
	return r;
}

static int
ok(const char *line)
{
	jv r = run(line);
	int good = jv_is_valid(r);
	if (!good) {
		jv m = cf_error_message(r);
		fprintf(stderr, "'%s': %s\n", line, jv_string_value(m));
		jv_free(m);
	}
	jv_free(r);
	return good;
}

static jv
cur(void)
{
	return cf_session_get(chat.st, cf_jstr(chat.tabs[chat.cur].session, "id"));
}

static int
sessions_in_store(void)
{
	cf_sql_stmt *s = cf_sql_prepare(cf_store_db(chat.st), "SELECT count(*) FROM sessions");
	int n = -1;
	if (cf_sql_step(s) == CF_SQL_ROW)
		n = cf_sql_column_int(s, 0);
	cf_sql_finalize(s);
	return n;
}

/* A wrong form: an error with this status whose message holds want, one
 * line, and nothing changed: the session in the store, the tabs, what is
 * attached, the pending /clear, and the session count. */
static void
wrong(const char *line, int status, const char *want)
{
	jv before = cur();
	jv att = jv_copy(chat.tabs[chat.cur].attach);
	int ntabs = chat.ntabs, at = chat.cur, reset = chat.tabs[chat.cur].reset;
	int count = sessions_in_store(), quit = chat.quit;
	jv r = run(line);
	CHECK(!jv_is_valid(r));
	if (!jv_is_valid(r)) {
		CHECK(cf_error_status(r) == status);
		jv m = cf_error_message(r);
		const char *ms = jv_string_value(m);
		if (!strstr(ms, want) || strchr(ms, '\n'))
			fprintf(stderr, "'%s': got '%s', want '%s'\n", line, ms, want);
		CHECK(strstr(ms, want) != NULL);
		CHECK(strchr(ms, '\n') == NULL);
		jv_free(m);
	}
	jv_free(r);
	CHECK(chat.ntabs == ntabs && chat.cur == at && chat.quit == quit);
	CHECK(chat.tabs[chat.cur].reset == reset);
	CHECK(jv_equal(jv_copy(att), jv_copy(chat.tabs[chat.cur].attach)));
	jv after = cur();
	CHECK(jv_equal(before, after));
	CHECK(sessions_in_store() == count);
	jv_free(att);
}

static jv
setting(const char *key)
{
	jv rec = cur();
	jv set = jv_object_get(rec, jv_string("settings"));
	jv v = jv_object_get(set, jv_string(key));
	return v;
}

static jv
meta(const char *key)
{
	jv rec = cur();
	jv m = jv_object_get(rec, jv_string("metadata"));
	return jv_object_get(m, jv_string(key));
}

static int
is_num(jv v, double d)
{
	int r = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == d;
	jv_free(v);
	return r;
}

static int
is_null(jv v)
{
	int r = jv_get_kind(v) == JV_KIND_NULL;
	jv_free(v);
	return r;
}

static int
is_str(jv v, const char *s)
{
	int r = jv_get_kind(v) == JV_KIND_STRING && !strcmp(jv_string_value(v), s);
	jv_free(v);
	return r;
}

static jv
new_session(const char *name, const char *provider)
{
	jv r = jv_object_set(jv_object(), jv_string("name"), jv_string(name));
	if (provider)
		r = jv_object_set(r, jv_string("provider"), jv_string(provider));
	jv_free(cf_store_begin(chat.st));
	r = cf_session_insert(chat.st, r);
	jv_free(cf_store_commit(chat.st));
	return r;
}

static void
add_message(const char *sid, const char *role, const char *text, int priced)
{
	jv m = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
	m = jv_object_set(m, jv_string("content"), jv_string(text));
	if (priced)
		m = jv_object_set(m, jv_string("metadata"), jv_parse(
			"{\"model\":\"claude-sonnet-4-5\",\"inputTokens\":1000,"
			"\"outputTokens\":500,\"cost\":0.0105}"));
	jv_free(cf_store_begin(chat.st));
	jv_free(cf_message_insert(chat.st, sid, m));
	jv_free(cf_store_commit(chat.st));
}

static void
write_file(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	fclose(f);
}

static long
file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static int
has(jv list, const char *s)
{
	int found = 0;
	jv_array_foreach(list, i, x) {
		found |= !strcmp(jv_string_value(x), s);
		jv_free(x);
		(void)i;
	}
	jv_free(list);
	return found;
}

static int
count_files(const char *d)
{
	int n = 0;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", d);
	FILE *p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void
unknown_and_help(void)
{
	wrong("/nope", CF_EX_USAGE, "unknown command '/nope'");
	wrong("/", CF_EX_USAGE, "unknown command '/'");
	wrong("/HELP", CF_EX_USAGE, "unknown command");
	wrong("/helpme", CF_EX_USAGE, "unknown command '/helpme'");
	wrong("/\033[31mx", CF_EX_USAGE, "unknown command");
	wrong("/multi", CF_EX_USAGE, "at the prompt only");
	CHECK(ok("/help"));
	for (const char *const *n = cf_chat_command_names(); *n; n++)
		CHECK(strstr(out, *n) != NULL);
	CHECK(ok("/help export"));
	CHECK(strstr(out, "/export FORMAT [FILE]") != NULL && !strstr(out, "/branch"));
	CHECK(ok("/help /tag"));
	CHECK(strstr(out, "/tag") != NULL);
	wrong("/help nope", CF_EX_USAGE, "no command 'nope'");
}

static void
settings(void)
{
	CHECK(ok("/model gpt-4o-mini"));
	CHECK(is_str(jv_object_get(cur(), jv_string("model")), "gpt-4o-mini"));
	CHECK(strstr(out, "gpt-4o-mini") != NULL);
	wrong("/model", CF_EX_USAGE, "invalid /model '': must not be empty");
	wrong("/model ''", CF_EX_USAGE, "must not be empty");

	CHECK(ok("/provider openai"));
	CHECK(is_str(jv_object_get(cur(), jv_string("provider")), "openai"));
	wrong("/provider nope", CF_EX_USAGE, "invalid /provider 'nope': known providers are");
	wrong("/provider", CF_EX_USAGE, "invalid /provider ''");

	CHECK(ok("/system be brief, 'please'"));
	CHECK(is_str(setting("systemPrompt"), "be brief, 'please'"));
	CHECK(ok("/system 'in quotes'"));
	CHECK(is_str(setting("systemPrompt"), "in quotes"));
	CHECK(ok("/system"));
	CHECK(is_null(setting("systemPrompt")));
	CHECK(strstr(out, "removed") != NULL);

	CHECK(ok("/temperature 0.5"));
	CHECK(is_num(setting("temperature"), 0.5));
	wrong("/temperature 3", CF_EX_USAGE, "invalid /temperature '3': must be a number from 0 to 2");
	wrong("/temperature warm", CF_EX_USAGE, "invalid /temperature 'warm'");
	wrong("/temperature 0.5 1", CF_EX_USAGE, "invalid /temperature '0.5 1'");
	CHECK(ok("/temperature"));
	CHECK(is_null(setting("temperature")));

	CHECK(ok("/max-tokens 100"));
	CHECK(is_num(setting("maxTokens"), 100));
	wrong("/max-tokens 0", CF_EX_USAGE, "invalid /max-tokens '0'");
	wrong("/max-tokens -5", CF_EX_USAGE, "invalid /max-tokens '-5'");
	wrong("/max-tokens", CF_EX_USAGE, "invalid /max-tokens ''");
	wrong("/max-tokens 1e3", CF_EX_USAGE, "must be a whole number above 0");

	CHECK(ok("/context-window 0"));
	CHECK(is_num(setting("contextWindow"), 0));
	CHECK(ok("/context-window 7"));
	CHECK(is_num(setting("contextWindow"), 7));
	wrong("/context-window -1", CF_EX_USAGE, "invalid /context-window '-1'");
	wrong("/context-window many", CF_EX_USAGE, "0 or more");

	CHECK(ok("/rename my chat"));
	CHECK(is_str(jv_object_get(cur(), jv_string("name")), "my chat"));
	CHECK(ok("/rename \"my chat\""));
	CHECK(is_str(jv_object_get(cur(), jv_string("name")), "my chat"));
	wrong("/rename", CF_EX_USAGE, "invalid /rename '': must not be empty");
	wrong("/rename ''", CF_EX_USAGE, "must not be empty");
	/* the tab follows the store */
	CHECK(!strcmp(cf_jstr(chat.tabs[chat.cur].session, "name"), "my chat"));
}

static void
tags_and_flags(void)
{
	CHECK(ok("/tag work 'big plans'"));
	jv t = meta("tags");
	CHECK(jv_array_length(jv_copy(t)) == 2 && has(jv_copy(t), "work") &&
	      has(jv_copy(t), "big plans"));
	jv_free(t);
	CHECK(strstr(out, "#work") != NULL);
	CHECK(ok("/tag -work"));
	t = meta("tags");
	CHECK(jv_array_length(jv_copy(t)) == 1 && !has(jv_copy(t), "work"));
	jv_free(t);
	wrong("/tag", CF_EX_USAGE, "usage: /tag");
	wrong("/tag a,b", CF_EX_USAGE, "invalid /tag 'a,b'");
	wrong("/tag ok a,b", CF_EX_USAGE, "without commas");
	wrong("/tag -", CF_EX_USAGE, "name the tag");
	wrong("/tag 'open", CF_EX_USAGE, "unclosed '");

	CHECK(ok("/star"));
	CHECK(jv_get_kind(meta("starred")) == JV_KIND_TRUE);
	CHECK(strstr(out, "starred") != NULL);
	CHECK(ok("/star"));
	CHECK(jv_get_kind(meta("starred")) == JV_KIND_FALSE);
	wrong("/star now", CF_EX_USAGE, "/star takes no argument");

	CHECK(ok("/archive"));
	CHECK(jv_get_kind(meta("archived")) == JV_KIND_TRUE);
	CHECK(ok("/archive"));
	CHECK(jv_get_kind(meta("archived")) == JV_KIND_FALSE);
	wrong("/archive please", CF_EX_USAGE, "takes no argument");
}

static void
clear_attach_quit(void)
{
	struct cf_tab *t = &chat.tabs[chat.cur];
	wrong("/clear now", CF_EX_USAGE, "/clear takes no argument");
	CHECK(t->reset == 0);
	CHECK(ok("/clear"));
	CHECK(t->reset == 1);
	CHECK(strstr(out, "nothing is deleted") != NULL);
	t->reset = 0;

	char a[300], b[300], big[300], sp[300];
	snprintf(a, sizeof a, "%s/a.txt", dir);
	snprintf(b, sizeof b, "%s/b.txt", dir);
	snprintf(big, sizeof big, "%s/big.txt", dir);
	snprintf(sp, sizeof sp, "%s/with space.txt", dir);
	write_file(a, 10);
	write_file(b, 10);
	write_file(big, 5000);   /* the config's attach-max is 4096 */
	write_file(sp, 3);
	char line[1024];
	CHECK(ok("/attach"));
	CHECK(strstr(out, "nothing attached") != NULL);
	snprintf(line, sizeof line, "/attach %s", a);
	CHECK(ok(line));
	CHECK(jv_array_length(jv_copy(t->attach)) == 1);
	CHECK(strstr(out, "a.txt") != NULL);
	snprintf(line, sizeof line, "/attach %s '%s'", b, sp);
	CHECK(ok(line));
	CHECK(jv_array_length(jv_copy(t->attach)) == 3);
	CHECK(has(jv_copy(t->attach), sp));
	/* every file is checked before any is added */
	snprintf(line, sizeof line, "/attach %s/missing.txt", dir);
	wrong(line, CF_EX_USAGE, "cannot attach");
	snprintf(line, sizeof line, "/attach %s %s/missing.txt", big, dir);
	wrong(line, CF_EX_USAGE, "larger than 4 KiB (attach-max)");
	snprintf(line, sizeof line, "/attach %s", dir);
	wrong(line, CF_EX_USAGE, "not a file");
	snprintf(line, sizeof line, "/attach %s", a);
	wrong(line, CF_EX_USAGE, "already attached");
	char bin[300];
	snprintf(bin, sizeof bin, "%s/x.bin", dir);
	FILE *bf = fopen(bin, "w");
	fputs("\xff\xfe\x00\x01 not text", bf);
	fclose(bf);
	snprintf(line, sizeof line, "/attach %s", bin);
	wrong(line, CF_EX_USAGE, "neither text nor an image");
	wrong("/attach 'unclosed", CF_EX_USAGE, "unclosed");
	wrong("/attach /nonexistent/x", CF_EX_USAGE, "No such file");
	CHECK(jv_array_length(jv_copy(t->attach)) == 3);
	CHECK(ok("/attach"));
	CHECK(strstr(out, "b.txt") != NULL);
	wrong("/detach all", CF_EX_USAGE, "takes no argument");
	CHECK(ok("/detach"));
	CHECK(jv_array_length(jv_copy(t->attach)) == 0);

	wrong("/quit now", CF_EX_USAGE, "/quit takes no argument");
	CHECK(chat.quit == 0);
	CHECK(ok("/quit"));
	CHECK(chat.quit == 1);
	chat.quit = 0;
}

static void
show_cost(void)
{
	char sid[37];
	snprintf(sid, sizeof sid, "%s", cf_jstr(chat.tabs[chat.cur].session, "id"));
	CHECK(ok("/cost"));
	CHECK(strstr(out, "no replies") != NULL);
	add_message(sid, "user", "first question about otters", 0);
	add_message(sid, "assistant", "an answer about otters", 1);
	add_message(sid, "user", "second question", 0);
	add_message(sid, "assistant", "the last answer", 1);
	CHECK(ok("/show"));
	CHECK(strstr(out, "first question") && strstr(out, "the last answer"));
	CHECK(ok("/show 1"));
	CHECK(!strstr(out, "first question") && strstr(out, "the last answer"));
	wrong("/show 0", CF_EX_USAGE, "invalid /show '0'");
	wrong("/show all", CF_EX_USAGE, "expected a whole number above 0");
	wrong("/show 1 2", CF_EX_USAGE, "invalid /show");
	CHECK(ok("/cost"));
	CHECK(strstr(out, "claude-sonnet-4-5") && strstr(out, "2 replies"));
	CHECK(strstr(out, "2,000 in") && strstr(out, "$0.0210"));
	wrong("/cost all", CF_EX_USAGE, "/cost takes no argument");
}

static void
export(void)
{
	char here[300], line[1024], p[400];
	snprintf(here, sizeof here, "%s/exports", dir);
	mkdir(here, 0700);
	CHECK(chdir(here) == 0);
	CHECK(ok("/export markdown"));
	CHECK(file_size("my chat.md") > 0);
	CHECK(strstr(out, "my chat.md") != NULL);
	FILE *f = fopen("my chat.md", "r");
	char buf[4096] = "";
	CHECK(f && fread(buf, 1, sizeof buf - 1, f) > 0);
	if (f)
		fclose(f);
	CHECK(strstr(buf, "otters") != NULL);
	/* the default name never replaces a file */
	CHECK(ok("/export md"));
	CHECK(file_size("my chat (2).md") > 0);
	CHECK(ok("/export json named.json"));
	f = fopen("named.json", "r");
	memset(buf, 0, sizeof buf);
	CHECK(f && fread(buf, 1, sizeof buf - 1, f) > 0);
	if (f)
		fclose(f);
	CHECK(strstr(buf, "\"otters") || strstr(buf, "otters"));
	/* a named file is replaced, as chat-export -o does */
	CHECK(ok("/export plaintext named.json"));
	CHECK(file_size("named.json") > 0);
	/* through a link, the file it names is replaced and the link stays */
	CHECK(symlink("named.json", "link.txt") == 0);
	CHECK(ok("/export md link.txt"));
	struct stat lb;
	CHECK(lstat("link.txt", &lb) == 0 && S_ISLNK(lb.st_mode));
	f = fopen("named.json", "r");
	memset(buf, 0, sizeof buf);
	CHECK(f && fread(buf, 1, sizeof buf - 1, f) > 0 && buf[0] == '#');
	if (f)
		fclose(f);
	/* (pdf in tests/141-confab-commands.bats: fontconfig keeps what it
	 * loads for good, which the leak check would count) */
	mkdir("sub", 0700);
	CHECK(ok("/export html sub/"));
	CHECK(file_size("sub/my chat.html") > 0);
	snprintf(line, sizeof line, "/export docx '%s/sub'", here);
	CHECK(ok(line));
	snprintf(p, sizeof p, "%s/sub/my chat.docx", here);
	CHECK(file_size(p) > 0);
	/* ~/ is the home folder ($HOME is the test's folder) */
	CHECK(ok("/export txt ~/home.txt"));
	snprintf(p, sizeof p, "%s/home.txt", dir);
	CHECK(file_size(p) > 0);
	int files = count_files(here);
	wrong("/export", CF_EX_USAGE, "usage: /export FORMAT [FILE]");
	wrong("/export rtf", CF_EX_USAGE, "unknown format 'rtf': the formats are markdown, json");
	wrong("/export md a b", CF_EX_USAGE, "usage: /export");
	wrong("/export md ''", CF_EX_USAGE, "empty file name");
	wrong("/export md /nonexistent/dir/x.md", CF_EX_FAIL, "cannot write /nonexistent/dir/x.md");
	wrong("/export md /dev/null", CF_EX_FAIL, "not a regular file");
	snprintf(line, sizeof line, "/export json '%s/chat.db'", dir);
	wrong(line, CF_EX_USAGE, "is the store itself");
	chmod("sub", 0500);
	if (access("sub", W_OK) != 0)   /* root writes anyway */
		wrong("/export md sub/x.md", CF_EX_FAIL, "cannot write sub/x.md");
	chmod("sub", 0700);
	CHECK(count_files(here) == files);   /* no temporary file left */
	CHECK(chdir(dir) == 0);
}

static void
branch(void)
{
	jv src = cur();
	const char *sid = cf_jstr(src, "id");
	int count = sessions_in_store();
	wrong("/branch 0000nosuch", CF_EX_NOTFOUND, "unknown message '0000nosuch'");
	wrong("/branch a b", CF_EX_USAGE, "usage: /branch [MESSAGE]");
	CHECK(ok("/branch"));
	jv b = cur();
	CHECK(strcmp(cf_jstr(b, "id"), sid) != 0);
	CHECK(!strcmp(cf_jstr(b, "parentSessionId"), sid));
	CHECK(!strcmp(cf_jstr(b, "name"), "my chat (branch)"));
	CHECK(sessions_in_store() == count + 1);
	CHECK(strstr(out, "my chat (branch)") != NULL);
	/* /diff: the branch against where it came from, the same */
	CHECK(ok("/diff 'my chat'"));
	CHECK(strstr(out, "# a is a branch of b, made at message 4\n= 4 messages the same (1-4)\n") != NULL);
	wrong("/diff", CF_EX_USAGE, "usage: /diff SESSION");
	wrong("/diff 0000nosuch", CF_EX_NOTFOUND, "unknown session '0000nosuch'");
	jv m = jv_object_get(jv_copy(b), jv_string("metadata"));
	CHECK(cf_jnum(m, "messageCount", 0) == 4);
	jv_free(m);
	jv_free(b);
	/* at the first message, named by a prefix */
	struct first { char id[37]; } fm = {""};
	cf_sql_stmt *s = cf_sql_prepare(cf_store_db(chat.st), "SELECT id FROM messages WHERE"
	                   " session_id = ?1 ORDER BY seq LIMIT 1");
	cf_sql_bind_text(s, 1, sid, -1, CF_SQL_TRANSIENT);
	if (cf_sql_step(s) == CF_SQL_ROW)
		snprintf(fm.id, sizeof fm.id, "%s", cf_sql_column_text(s, 0));
	cf_sql_finalize(s);
	/* back to the source, then a branch at its first message */
	jv_free(chat.tabs[chat.cur].session);
	chat.tabs[chat.cur].session = jv_copy(src);
	char line[100];
	snprintf(line, sizeof line, "/branch %.13s", fm.id);
	CHECK(ok(line));
	m = meta("messageCount");
	CHECK(is_num(m, 1));
	CHECK(ok("/rename short branch"));
	/* and back again for what follows */
	jv_free(chat.tabs[chat.cur].session);
	chat.tabs[chat.cur].session = src;
}

static void
tabs(void)
{
	int count = sessions_in_store();
	CHECK(ok("/new -n second -p echo --temperature 1 -t x --send-history"));
	CHECK(chat.ntabs == 2 && chat.cur == 1);
	CHECK(chat.tabs[1].made == 1 && chat.tabs[1].fresh == 0);
	CHECK(sessions_in_store() == count + 1);
	CHECK(is_str(jv_object_get(cur(), jv_string("name")), "second"));
	CHECK(is_str(jv_object_get(cur(), jv_string("provider")), "echo"));
	CHECK(is_num(setting("temperature"), 1));
	CHECK(is_num(setting("maxTokens"), 4096));
	{
		jv h = setting("sendHistory"), a = setting("autoContext");
		CHECK(jv_get_kind(h) == JV_KIND_TRUE && jv_get_kind(a) == JV_KIND_FALSE);
		jv_free(h);
		jv_free(a);
	}
	wrong("/new --bogus", CF_EX_USAGE, "/new: unknown option '--bogus'");
	wrong("/new -x", CF_EX_USAGE, "/new: unknown option '-x'");
	wrong("/new -n", CF_EX_USAGE, "/new: option '-n' needs a value");
	wrong("/new --name", CF_EX_USAGE, "/new: option '--name' needs a value");
	wrong("/new --auto-context=yes", CF_EX_USAGE, "takes no value");
	wrong("/new extra", CF_EX_USAGE, "/new: unexpected argument 'extra'");
	wrong("/new -p nope", CF_EX_USAGE, "/new: invalid --provider 'nope'");
	wrong("/new --temperature 5", CF_EX_USAGE, "/new: invalid --temperature '5'");
	wrong("/new -n ''", CF_EX_USAGE, "must not be empty");
	wrong("/new -t 'a,b'", CF_EX_USAGE, "invalid --tag");

	CHECK(ok("/sessions"));
	CHECK(strstr(out, " 1  ") && strstr(out, "* 2  ") && strstr(out, "my chat") &&
	      strstr(out, "second"));
	wrong("/sessions all", CF_EX_USAGE, "takes no argument");
	/* color only when the chat draws in color (not --plain, NO_COLOR) */
	CHECK(!strchr(out, '\033'));
	chat.color = 1;
	CHECK(ok("/sessions"));
	CHECK(strstr(out, "\033[1m") != NULL);
	chat.color = 0;

	CHECK(ok("/switch 1"));
	CHECK(chat.cur == 0 && chat.ntabs == 2);
	CHECK(ok("/switch second"));
	CHECK(chat.cur == 1 && chat.ntabs == 2);
	CHECK(ok("/switch short branch"));
	CHECK(chat.ntabs == 3 && chat.cur == 2);
	CHECK(ok("/switch 'my chat'"));
	CHECK(chat.cur == 0);
	wrong("/switch", CF_EX_USAGE, "usage: /switch SESSION|N");
	wrong("/switch nosuch", CF_EX_NOTFOUND, "unknown session 'nosuch'");
	wrong("/switch 9", CF_EX_NOTFOUND, "unknown session '9'");
	jv_free(new_session("twin", NULL));
	jv_free(new_session("twin", NULL));
	/* what an ambiguous reference holds when cf_die takes it away is
	 * lost until ref.c returns its errors (H3's part) */
	UNIT_NO_LEAK_CHECK();
	wrong("/switch twin", CF_EX_AMBIGUOUS, "ambiguous session name 'twin'");
#ifdef __SANITIZE_ADDRESS__
	__lsan_enable();
#endif

	/* search, then open a result */
	jv s = new_session("zebra notes", NULL);
	add_message(cf_jstr(s, "id"), "user", "the quagga is an extinct zebra", 0);
	jv_free(s);
	wrong("/open 1", CF_EX_USAGE, "/search WORDS first");
	CHECK(ok("/search quagga"));
	CHECK(strstr(out, "  1  ") && strstr(out, "zebra notes") && strstr(out, "quagga"));
	CHECK(strstr(out, "/open N") != NULL);
	CHECK(ok("/search nothingmatchesthis"));
	CHECK(strstr(out, "no session matches") != NULL);
	wrong("/search", CF_EX_USAGE, "usage: /search WORDS");
	wrong("/search \"", CF_EX_USAGE, "/search");
	wrong("/open", CF_EX_USAGE, "usage: /open N");
	wrong("/open 2", CF_EX_USAGE, "from 1 to 1");
	wrong("/open x", CF_EX_USAGE, "invalid /open 'x'");
	int n = chat.ntabs;
	CHECK(ok("/open 1"));
	CHECK(chat.ntabs == n + 1 && chat.cur == n);
	CHECK(is_str(jv_object_get(cur(), jv_string("name")), "zebra notes"));
	/* unnamed, it is named from its first message, as the first tab is */
	n = chat.ntabs;
	CHECK(ok("/new -p echo"));
	CHECK(chat.ntabs == n + 1 && chat.tabs[n].made == 1 && chat.tabs[n].fresh == 1);
	CHECK(ok("/switch 1"));
}

/* Another program deletes the open session: a command on it is one line. */
static void
gone(void)
{
	jv s = new_session("doomed", NULL);
	CHECK(ok("/switch doomed"));
	jv_free(cf_store_begin(chat.st));
	jv_free(cf_session_delete(chat.st, cf_jstr(s, "id")));
	jv_free(cf_store_commit(chat.st));
	static const char *const lines[] = {"/model m", "/show", "/cost", "/star",
		"/export md", "/branch", "/tag x", "/rename y"};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		jv r = run(lines[i]);
		CHECK(!jv_is_valid(r) && cf_error_status(r) == CF_EX_NOTFOUND);
		jv m = cf_error_message(r);
		CHECK(strstr(jv_string_value(m), "'doomed' is gone") != NULL);
		jv_free(m);
		jv_free(r);
	}
	CHECK(sessions_in_store() >= 0);
	jv_free(s);
	CHECK(ok("/switch 1"));
}

/* Every command the program knows is in the man page's COMMANDS. */
static void
documented(const char *root)
{
	char path[400], *page = NULL;
	size_t cap = 0;
	snprintf(path, sizeof path, "%s/man/confab.1", root);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	ssize_t n = getdelim(&page, &cap, '\0', f);
	fclose(f);
	CHECK(n > 0);
	for (const char *const *k = cf_chat_command_names(); n > 0 && *k; k++) {
		char want[80];
		snprintf(want, sizeof want, "\n.It Ic %s", *k);
		const char *at = strstr(page, want);
		if (!at || (at[strlen(want)] != '\n' && at[strlen(want)] != ' '))
			fprintf(stderr, "man/confab.1: no '.It Ic %s'\n", *k);
		CHECK(at && (at[strlen(want)] == '\n' || at[strlen(want)] == ' '));
	}
	free(page);
}

/* A thousand wrong commands in one process: each an error value, the
 * chat unchanged, and (under ASan) nothing leaked by the end. */
static void
thousand(void)
{
	static const char *const bad[] = {
		"/nope", "/switch nosuch", "/switch 0000", "/export rtf", "/export md a b",
		"/export md /nonexistent/x.md", "/attach /nonexistent/file",
		"/attach /", "/model", "/provider nope", "/temperature 9",
		"/max-tokens x", "/context-window -2", "/show 0", "/tag a,b",
		"/new --bogus", "/new -p nope", "/new -n", "/branch 0000nosuch",
		"/open 99", "/search \"", "/help nope", "/rename ''", "/clear x",
		"/quit now", "/cost x", "/star x", "/sessions x", "/tag 'open",
		"/diff", "/diff nosuch",
	};
	size_t nb = sizeof bad / sizeof *bad;
	jv before = cur();
	int count = sessions_in_store(), ntabs = chat.ntabs, errors = 0;
	for (int i = 0; i < 1000; i++) {
		jv r = run(bad[(size_t)i % nb]);
		errors += !jv_is_valid(r);
		jv_free(r);
	}
	CHECK(errors == 1000);
	CHECK(jv_equal(before, cur()));
	CHECK(sessions_in_store() == count && chat.ntabs == ntabs && !chat.quit);
}

static jv
complete(const char *line)
{
	return cf_chat_complete(&chat, line, strlen(line));
}

static void
completion(void)
{
	jv c = complete("/sw");
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), "/switch"));
	jv_free(c);
	int n = 0;
	for (const char *const *k = cf_chat_command_names(); *k; k++)
		n++;
	c = complete("/");
	CHECK(jv_array_length(jv_copy(c)) == n && n > 20);
	jv_free(c);
	c = complete("hello /sw");
	CHECK(jv_array_length(jv_copy(c)) == 0);
	jv_free(c);
	c = complete("/nope x");
	CHECK(jv_array_length(jv_copy(c)) == 0);
	jv_free(c);
	c = complete("/export m");
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), "markdown"));
	jv_free(c);
	c = complete("/export ");
	CHECK(jv_array_length(jv_copy(c)) == 6 && has(jv_copy(c), "docx"));
	jv_free(c);
	c = complete("/provider o");
	CHECK(jv_array_length(jv_copy(c)) == 3 && has(jv_copy(c), "openai") &&
	      has(jv_copy(c), "ollama") && has(jv_copy(c), "openai-responses"));
	jv_free(c);
	c = complete("/model claude-sonnet");
	CHECK(has(jv_copy(c), "claude-sonnet-4-5"));
	jv_free(c);
	c = complete("/model gpt-4o");
	CHECK(has(jv_copy(c), "gpt-4o") && !has(jv_copy(c), "claude-sonnet-4-5"));
	jv_free(c);
	c = complete("/switch sec");
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), "second"));
	jv_free(c);
	/* a name with blanks completes from the word being typed */
	c = complete("/switch my chat (b");
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), "(branch)"));
	jv_free(c);
	c = complete("/switch zeb");
	CHECK(has(jv_copy(c), "zebra notes"));
	jv_free(c);
	c = complete("/help ex");
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), "export"));
	jv_free(c);
	c = complete("/new -p e");
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), "echo"));
	jv_free(c);
	c = complete("/new --max");
	CHECK(has(jv_copy(c), "--max-tokens"));
	jv_free(c);
	c = complete("/tag -");
	CHECK(has(jv_copy(c), "-big plans"));
	jv_free(c);

	char line[600], want[600];
	snprintf(line, sizeof line, "/attach %s/exports/my", dir);
	c = complete(line);
	snprintf(want, sizeof want, "%s/exports/my\\ chat.md", dir);   /* blanks backslashed, as /attach reads them */
	CHECK(has(jv_copy(c), want));
	snprintf(want, sizeof want, "%s/exports/my\\ chat\\ (2).md", dir);
	CHECK(has(jv_copy(c), want));
	jv_free(c);
	snprintf(line, sizeof line, "/attach %s/exp", dir);
	c = complete(line);
	snprintf(want, sizeof want, "%s/exports/", dir);
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), want));
	jv_free(c);
	snprintf(line, sizeof line, "/export md %s/exports/su", dir);
	c = complete(line);
	snprintf(want, sizeof want, "%s/exports/sub/", dir);
	CHECK(jv_array_length(jv_copy(c)) == 1 && has(jv_copy(c), want));
	jv_free(c);
	/* hidden files only when asked for */
	snprintf(want, sizeof want, "%s/.hidden", dir);
	write_file(want, 1);
	snprintf(line, sizeof line, "/attach %s/", dir);
	c = complete(line);
	CHECK(!has(jv_copy(c), want));
	jv_free(c);
	snprintf(line, sizeof line, "/attach %s/.h", dir);
	c = complete(line);
	CHECK(has(jv_copy(c), want));
	jv_free(c);
	/* the cursor, not the line's end, says which word */
	c = cf_chat_complete(&chat, "/sw xyz", 3);
	CHECK(has(jv_copy(c), "/switch"));
	jv_free(c);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOFBF, 0);
	if (!mkdtemp(dir))
		return 1;
	char path[400], cwd[300];
	snprintf(path, sizeof path, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", path, 1);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/config/confab", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/config/confab/config", dir);
	FILE *f = fopen(path, "w");
	fputs("attach-max = 4096\n", f);
	fclose(f);
	setenv("XDG_STATE_HOME", dir, 1);
	setenv("HOME", dir, 1);
	if (getcwd(cwd, sizeof cwd)) {
		snprintf(path, sizeof path, "%s/share/confab/pricing.json", cwd);
		setenv("CONFAB_PRICING", path, 1);
	}
	unsetenv("NO_COLOR");
	snprintf(path, sizeof path, "%s/chat.db", dir);
	chat.st = cf_open(path, CF_STORE_WRITE | CF_STORE_CREATE);
	chat.db = path;
	chat.draft = jv_null();
	jv opened = cf_chat_open(&chat, new_session("first", "echo"));
	CHECK(jv_is_valid(opened));
	jv_free(opened);

	documented(cwd);
	unknown_and_help();
	settings();
	tags_and_flags();
	clear_attach_quit();
	show_cost();
	export();
	branch();
	tabs();
	gone();
	thousand();
	completion();

	for (int i = 0; i < chat.ntabs; i++) {
		jv_free(chat.tabs[i].session);
		jv_free(chat.tabs[i].attach);
	}
	free(chat.tabs);
	cf_store_close(chat.st);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-repl-cmd");
}
