/* cf_session_merge against the library: what it copies, what it records,
 * its refusals, and no reference leaked on any path (LeakSanitizer). */
#include <sqlite3.h>

#include "unit.h"
#include "confab.h"

static char dir[] = "/tmp/confab-unit-merge-XXXXXX";
static char path[256];


static jv
session(cf_store *st, const char *name, int n, int t0)
{
	OK(cf_store_begin(st));
	jv r = cf_session_insert(st, jv_object_set(jv_object(), jv_string("name"),
	                                           jv_string(name)));
	for (int i = 0; i < n; i++) {
		char ts[32];
		snprintf(ts, sizeof ts, "2026-11-01T10:00:%02dZ", t0 + 2 * i);
		jv m = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
		m = jv_object_set(m, jv_string("content"), jv_string_fmt("%s %d", name, i));
		m = jv_object_set(m, jv_string("timestamp"), jv_string(ts));
		m = jv_object_set(m, jv_string("metadata"),
		                  jv_parse("{\"tokens\":3,\"notes\":[{\"id\":\"n\",\"text\":\"x\"}]}"));
		jv_free(cf_message_insert(st, cf_jstr(r, "id"), m));
	}
	OK(cf_store_commit(st));
	jv got = cf_session_get(st, cf_jstr(r, "id"));
	jv_free(r);
	return got;
}

static void
merges(int round)
{
	snprintf(path, sizeof path, "%s/chat%d.db", dir, round);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	jv a = session(st, "a", 3, 1), b = session(st, "b", 2, 2);
	long taken = 0;

	/* into itself: a usage error, nothing begun */
	ERR_MSG(CF_EX_USAGE, "into itself", cf_session_merge(st, a, a, 0, &taken));

	jv out = cf_session_merge(st, a, b, CF_MERGE_INTERLEAVE, &taken);
	CHECK(taken == 3);
	jv md = jv_object_get(jv_copy(out), jv_string("metadata"));
	CHECK(cf_jnum(md, "messageCount", 0) == 5);
	CHECK(cf_jnum(md, "totalTokens", 0) == 15);
	jv m0 = cf_jpath(md, "merges.0");
	CHECK_STR(cf_jstr(m0, "source"), cf_jstr(a, "id"));
	CHECK(cf_jnum(m0, "messages", 0) == 3);
	CHECK(cf_jbool(m0, "interleave"));
	jv_free(m0);
	jv_free(md);
	jv_free(out);
	/* by time, a's at 1, 3, 5 and b's at 2, 4 */
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages m JOIN sessions s ON"
	                 " s.id = m.session_id WHERE s.name = 'b' AND seq || ':' ||"
	                 " content IN ('1:a 0', '2:b 0', '3:a 1', '4:b 1', '5:a 2')") == 5);
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages m JOIN sessions s ON"
	                 " s.id = m.session_id WHERE s.name = 'b' AND"
	                 " json_extract(m.extra, '$.notes[0].text') = 'x'") == 5);

	/* again: nothing, and the record handed back */
	out = cf_session_merge(st, a, b, 0, &taken);
	CHECK(taken == -1);
	CHECK_STR(cf_jstr(out, "id"), cf_jstr(b, "id"));
	jv_free(out);

	/* a source gone meanwhile: not found, nothing left open */
	OK(cf_store_begin(st));
	OK(cf_session_delete(st, cf_jstr(a, "id")));
	OK(cf_store_commit(st));
	ERR_MSG(CF_EX_NOTFOUND, "is gone", cf_session_merge(st, a, b, 0, &taken));
	ERR_MSG(CF_EX_NOTFOUND, "is gone", cf_session_merge(st, b, a, 0, &taken));
	OK(cf_store_begin(st));   /* the writer's turn was given back */
	OK(cf_store_commit(st));

	/* --remove-source */
	jv c = session(st, "c", 1, 30);
	out = cf_session_merge(st, c, b, CF_MERGE_REMOVE, &taken);
	CHECK(taken == 1);
	jv_free(out);
	jv gone = cf_session_get(st, cf_jstr(c, "id"));
	CHECK(!jv_is_valid(gone) && !cf_is_error(gone));
	jv_free(gone);
	CHECK(unit_scalar(st, "SELECT count(*) FROM messages m JOIN sessions s ON"
	                 " s.id = m.session_id WHERE s.name = 'b'") == 6);
	jv_free(a);
	jv_free(b);
	jv_free(c);
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
	for (int i = 0; i < 3; i++)   /* the same paths again: a leak grows */
		merges(i);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-merge");
}
