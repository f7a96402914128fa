/* Reactions, notes and deleting messages (marks.c): the one-emoji rule,
 * and each call's errors leaving the message as it was. */
#include <sqlite3.h>

#include "unit.h"

static char dir[] = "/tmp/confab-marks-XXXXXX";

static void
emoji(void)
{
	static const char *const yes[] = {
		"👍", "👍🏽", "❤️", "❤", "☕", "✅", "⭐", "©", "™", "〰", "↩️", "⌚",
		"👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍🚀", "🇯🇵", "🇺🇳",
		"1️⃣", "#⃣", "*️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
	};
	static const char *const no[] = {
		"", "a", "ok", "1", "#", "1️", "👍👍", "👍 ", " 👍", "🇯", "🇯🇵🇫", "🇯👍",
		"‍👍", "👍‍", "👍‍‍👍", "👍️️", "⠿", "─", "é", "中", "\xff", "👍\xe0\x80",
		"🏴󠁧󠁢", "🏻", "\xef\xb8\x8f",
		"👍‍👍‍👍‍👍‍👍‍👍‍👍‍👍‍👍‍👍",   /* past 64 bytes */
	};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		if (!cf_emoji_one(yes[i])) {
			CHECK(!"took as one emoji");
			fprintf(stderr, "  refused: %s\n", yes[i]);
		}
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (cf_emoji_one(no[i])) {
			CHECK(!"refused");
			fprintf(stderr, "  took: %s\n", no[i]);
		}
	CHECK(1);
}

static void
store(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/chat.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	OK(cf_store_begin(st));
	jv s = cf_session_insert(st, jv_object_set(jv_object(), jv_string("name"), jv_string("m")));
	jv m = cf_message_insert(st, cf_jstr(s, "id"), jv_parse(
		"{\"role\":\"user\",\"content\":\"the quick brown fox\"}"));
	OK(cf_store_commit(st));
	char id[37];
	snprintf(id, sizeof id, "%s", cf_jstr(m, "id"));
	jv_free(m);
	int changed;
	for (int round = 0; round < 200; round++) {
		ERR(CF_EX_USAGE, cf_react(st, id, "x", 0, &changed));
		ERR(CF_EX_NOTFOUND, cf_react(st, "0000", "👍", 0, &changed));
		ERR(CF_EX_USAGE, cf_note_add(st, id, "", 0, NULL));
		ERR(CF_EX_USAGE, cf_note_add(st, id, "t", 1, "slow fox"));
		ERR(CF_EX_USAGE, cf_note_add(st, id, "t", 1, ""));
		ERR(CF_EX_DATA, cf_note_add(st, id, "\xff", 1, NULL));
		ERR(CF_EX_NOTFOUND, cf_note_rm(st, "ab", NULL));
		ERR(CF_EX_NOTFOUND, cf_note_rm(st, "abcd", NULL));
		ERR(CF_EX_NOTFOUND, cf_messages_delete(st, jv_array_append(jv_array(),
		                                        jv_string("gone"))));
	}
	char *big = cf_xmalloc(CF_NOTE_MAX + 2);
	memset(big, 'n', CF_NOTE_MAX + 1);
	ERR_MSG(CF_EX_USAGE, "more than 65536", cf_note_add(st, id, big, CF_NOTE_MAX + 1, NULL));
	OK(cf_note_add(st, id, big, CF_NOTE_MAX, NULL));
	free(big);

	jv r = cf_react(st, id, "👍", 0, &changed);
	CHECK(changed);
	jv_free(r);
	r = cf_react(st, id, "👍", 0, &changed);
	CHECK(!changed);
	jv_free(r);
	/* ❤ and ❤️ are one heart */
	r = cf_react(st, id, "❤️", 0, &changed);
	CHECK(changed);
	jv_free(r);
	r = cf_react(st, id, "❤", 0, &changed);
	CHECK(!changed);
	jv_free(r);
	r = cf_react(st, id, "❤", 1, &changed);
	CHECK(changed);
	jv_free(r);
	ERR(CF_EX_USAGE, cf_note_add(st, id, " \t\n", 3, NULL));
	jv n = cf_note_add(st, id, "about the fox", 13, "brown fox");
	CHECK_STR(cf_jstr(n, "quote"), "brown fox");
	jv list = cf_note_list(st, id);
	CHECK(jv_array_length(jv_copy(list)) == 2);
	jv_free(list);
	jv gone = cf_note_rm(st, cf_jstr(n, "id"), NULL);
	CHECK_STR(cf_jstr(gone, "text"), "about the fox");
	jv_free(gone);
	ERR(CF_EX_NOTFOUND, cf_note_rm(st, cf_jstr(n, "id"), NULL));
	jv_free(n);
	/* the session's record carries the reaction */
	jv again = cf_session_get(st, cf_jstr(s, "id"));
	jv rs = jv_getpath(again, jv_parse("[\"metadata\",\"reactions\"]"));
	CHECK(jv_array_length(jv_copy(rs)) == 1);
	jv first = jv_array_get(rs, 0);
	CHECK_STR(cf_jstr(first, "messageId"), id);
	jv_free(first);
	/* one note on two messages, as chat-branch copies it: the id alone
	 * is ambiguous, the message names the copy */
	OK(cf_store_begin(st));
	jv m2 = cf_message_insert(st, cf_jstr(s, "id"), jv_parse(
		"{\"role\":\"user\",\"content\":\"a copy\"}"));
	OK(cf_store_commit(st));
	jv n2 = cf_note_add(st, id, "copied", 6, NULL);
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	char *sql = sqlite3_mprintf("UPDATE messages SET extra = (SELECT extra FROM messages"
	                            " WHERE id = %Q) WHERE id = %Q", id, cf_jstr(m2, "id"));
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
	ERR_MSG(CF_EX_AMBIGUOUS, "is on 2 messages", cf_note_rm(st, cf_jstr(n2, "id"), NULL));
	gone = cf_note_rm(st, cf_jstr(n2, "id"), cf_jstr(m2, "id"));
	CHECK_STR(cf_jstr(gone, "messageId"), cf_jstr(m2, "id"));
	jv_free(gone);
	ERR_MSG(CF_EX_NOTFOUND, "on message", cf_note_rm(st, cf_jstr(n2, "id"), cf_jstr(m2, "id")));
	OK(cf_note_rm(st, cf_jstr(n2, "id"), NULL));
	jv_free(n2);
	jv_free(m2);
	OK(cf_messages_delete(st, jv_array_append(jv_array(), jv_string(id))));
	ERR(CF_EX_NOTFOUND, cf_react(st, id, "👍", 0, &changed));
	jv_free(s);
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 2;
	char cfg[300];
	snprintf(cfg, sizeof cfg, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	setenv("USER", "unit", 1);
	emoji();
	store();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-marks");
}
