/* The activity log (activity.c): events checked, added all or nothing,
 * listed by time, kind and words, pruned, queued and drained. */
#include <sqlite3.h>

#include "unit.h"

static char dir[] = "/tmp/confab-activity-XXXXXX";

static jv
ev(const char *json)
{
	return jv_parse(json);
}

static void
check(void)
{
	jv e = cf_activity_check(ev("{\"kind\":\"error\",\"text\":\"boom\"}"));
	CHECK(jv_is_valid(e));
	CHECK_STR(cf_jstr(e, "source"), "");
	CHECK(strlen(cf_jstr(e, "id")) == 36);
	CHECK(cf_jnum(e, "at", 0) > 1.7e12);
	jv d = jv_object_get(jv_copy(e), jv_string("data"));
	CHECK(jv_get_kind(d) == JV_KIND_OBJECT);
	jv_free(d);
	jv_free(e);
	e = cf_activity_check(ev("{\"type\":\"activity\",\"kind\":\"note\",\"text\":\"t\","
	                         "\"at\":\"2026-01-02T03:04:05.5Z\",\"data\":{\"a\":1}}"));
	CHECK(cf_jnum(e, "at", 0) == 1767323045500.0);
	jv_free(e);
	ERR_MSG(CF_EX_DATA, "unknown kind", cf_activity_check(ev("{\"kind\":\"x\",\"text\":\"t\"}")));
	ERR_MSG(CF_EX_DATA, "no kind", cf_activity_check(ev("{\"text\":\"t\"}")));
	ERR_MSG(CF_EX_DATA, "no text", cf_activity_check(ev("{\"kind\":\"note\",\"text\":\"\"}")));
	ERR_MSG(CF_EX_DATA, "unknown field 'when'",
	        cf_activity_check(ev("{\"kind\":\"note\",\"text\":\"t\",\"when\":1}")));
	ERR_MSG(CF_EX_DATA, "data", cf_activity_check(ev("{\"kind\":\"note\",\"text\":\"t\",\"data\":3}")));
	ERR_MSG(CF_EX_DATA, "at", cf_activity_check(ev("{\"kind\":\"note\",\"text\":\"t\",\"at\":\"soon\"}")));
	ERR_MSG(CF_EX_DATA, "not a JSON object", cf_activity_check(jv_array()));
	CHECK(cf_activity_kind_ok("escalation") && !cf_activity_kind_ok("Error") && !cf_activity_kind_ok(NULL));
	int64_t ms = 0;
	CHECK(cf_activity_since("today", &ms) == 0 && ms <= cf_now_ms() && ms > cf_now_ms() - 86400001);
	CHECK(cf_activity_since("2h", &ms) == 0);
	CHECK(cf_activity_since("later", &ms) != 0);
	jv h = cf_activity_hook("fish", "/opt/it's/chat-activity");
	CHECK(strstr(jv_string_value(h), "'/opt/it\\'s/chat-activity' add --queue") != NULL);
	jv_free(h);
	h = cf_activity_hook("bash", "/opt/it's/chat-activity");
	CHECK(strstr(jv_string_value(h), "'/opt/it'\\''s/chat-activity' add --queue") != NULL);
	jv_free(h);
	ERR(CF_EX_USAGE, cf_activity_hook("csh", "/x"));
}

static long
count(cf_store *st)
{
	jv l = cf_activity_list(st, 0, NULL, NULL, 0);
	long n = jv_array_length(l);
	return n;
}

static void
store(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/chat.db", dir);
	jv err = jv_invalid();
	cf_store *st = cf_store_open(path, &err);
	CHECK(st != NULL);
	if (!st)
		return;
	jv now = cf_time_jv(cf_now_ms() - 60000);
	jv ids = cf_activity_add(st, jv_array_append(jv_array_append(jv_array_append(jv_array(),
		ev("{\"kind\":\"error\",\"source\":\"make\",\"text\":\"link failed frob\"}")),
		ev("{\"kind\":\"note\",\"text\":\"old\",\"at\":1000}")),
		jv_object_set(ev("{\"kind\":\"test\",\"text\":\"passed\"}"), jv_string("at"), now)));
	CHECK(jv_get_kind(ids) == JV_KIND_ARRAY && jv_array_length(jv_copy(ids)) == 3);
	/* the default 30 days pruned the old one in the same transaction */
	CHECK(count(st) == 2);
	/* all or nothing */
	ERR_MSG(CF_EX_DATA, "event 2: malformed event: unknown kind",
	        cf_activity_add(st, jv_array_append(jv_array_append(jv_array(),
	                ev("{\"kind\":\"note\",\"text\":\"fine\"}")),
	                ev("{\"kind\":\"nope\",\"text\":\"x\"}"))));
	CHECK(count(st) == 2);
	jv l = cf_activity_list(st, 0, "error", NULL, 0);
	CHECK(jv_array_length(jv_copy(l)) == 1);
	jv r = jv_array_get(l, 0);
	CHECK_STR(cf_jstr(r, "type"), "activity");
	CHECK_STR(cf_jstr(r, "text"), "link failed frob");
	jv_free(r);
	l = cf_activity_list(st, 0, NULL, "frob", 0);
	CHECK(jv_array_length(l) == 1);
	l = cf_activity_list(st, 0, NULL, "make", 0);    /* the source is searched */
	CHECK(jv_array_length(l) == 1);
	l = cf_activity_list(st, 0, NULL, NULL, 1);      /* the newest */
	r = jv_array_get(l, 0);
	CHECK_STR(cf_jstr(r, "text"), "link failed frob");
	jv_free(r);
	l = cf_activity_list(st, cf_now_ms() - 30000, NULL, NULL, 0);
	CHECK(jv_array_length(l) == 1);
	jv got = cf_activity_get(st, jv_array_append(jv_copy(ids), jv_string("nope")));
	CHECK(jv_array_length(got) == 2);   /* the pruned one and "nope" left out */
	jv_free(ids);

	/* the queue: a batch written, then drained into the store, once */
	cf_activity_q *q = cf_activity_queue_open(st, &err);
	CHECK(q != NULL);
	OK(cf_activity_queue_put(q, ev("{\"kind\":\"command\",\"text\":\"false\",\"data\":{\"status\":1}}")));
	ERR(CF_EX_DATA, cf_activity_queue_put(q, ev("{\"kind\":\"command\"}")));
	jv p = cf_activity_queue_close(q);
	CHECK(jv_get_kind(p) == JV_KIND_STRING);
	char copy[400];
	snprintf(copy, sizeof copy, "cp '%s' '%s.copy.jsonl'", jv_string_value(p), jv_string_value(p));
	CHECK(system(copy) == 0);   /* the same batch twice: stored once */
	jv_free(p);
	jv n = cf_activity_drain(st, 100);
	CHECK(jv_number_value(n) == 1);
	jv_free(n);
	CHECK(count(st) == 3);
	n = cf_activity_drain(st, 100);
	CHECK(jv_number_value(n) == 0);
	jv_free(n);
	/* queued by the store's path, never opening it (add --queue): the
	 * header names it as the open store's drain does */
	q = cf_activity_queue_open_path(path, 0, &err);
	CHECK(q != NULL);
	OK(cf_activity_queue_put(q, ev("{\"kind\":\"note\",\"text\":\"by path\"}")));
	p = cf_activity_queue_close(q);
	CHECK(jv_get_kind(p) == JV_KIND_STRING);
	jv_free(p);
	CHECK(count(st) == 3);
	n = cf_activity_drain(st, 100);
	CHECK(jv_number_value(n) == 1);
	jv_free(n);
	CHECK(count(st) == 4);
	n = cf_activity_prune(st, cf_now_ms() + 1000);
	CHECK(jv_number_value(n) == 4);
	jv_free(n);
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 2;
	char cfg[300], state[300];
	snprintf(cfg, sizeof cfg, "%s/config", dir);
	snprintf(state, sizeof state, "%s/state", dir);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	setenv("XDG_STATE_HOME", state, 1);
	check();
	store();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-activity");
}
