/* Templates (template.c) under the sanitizers: names, saving and reading
 * back, the checks a broken file fails, a session planned and stored from
 * one, and a thousand rounds of bad templates that leak nothing. */
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"
#include "confab.h"

static char dir[] = "/tmp/test-template-XXXXXX";
static char tdir[400];

static void
write_file(const char *name, const char *text)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s.json", tdir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void
names(void)
{
	OK(cf_template_name_check("code-review"));
	OK(cf_template_name_check("A.b_c-1"));
	const char *bad[] = {"", ".", "..", "../x", "a/b", ".hidden", "-x", "_x", "a b",
	                     "a\nb", "caf\xc3\xa9", NULL};
	for (int i = 0; bad[i]; i++)
		ERR_MSG(CF_EX_USAGE, "invalid template name", cf_template_name_check(bad[i]));
	char longname[80];
	memset(longname, 'a', 65);
	longname[65] = '\0';
	ERR(CF_EX_USAGE, cf_template_name_check(longname));
	longname[64] = '\0';
	OK(cf_template_name_check(longname));
}

static void
save_and_read(void)
{
	struct cf_settings s;
	cf_settings_init(&s);
	s.provider = "echo";
	s.temperature = "0.5";
	s.system = "be brief";
	cf_settings_add_tag(&s, "t1", 0);
	jv tpl = jv_object_set(jv_object(), jv_string("description"), jv_string("d"));
	tpl = cf_template_add_message(tpl, "user:hi: there");
	CHECK(jv_is_valid(tpl));
	tpl = cf_template_apply(tpl, &s);
	CHECK(jv_is_valid(tpl));
	free(s.tags);
	jv rec = cf_template_save("one", tpl, 0);
	CHECK(jv_is_valid(rec));
	CHECK_STR(cf_jstr(rec, "origin"), "user");
	jv_free(rec);
	char path[600];
	snprintf(path, sizeof path, "%s/one.json", tdir);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	/* again: only with replace */
	ERR_MSG(CF_EX_FAIL, "exists", cf_template_save("one", jv_object(), 0));
	rec = cf_template_get("one");
	CHECK(jv_is_valid(rec));
	jv t = jv_object_get(rec, jv_string("template"));
	jv dumped = jv_dump_string(t, 0);
	CHECK_STR(jv_string_value(dumped), "{\"description\":\"d\",\"provider\":\"echo\","
	          "\"systemPrompt\":\"be brief\",\"temperature\":0.5,\"tags\":[\"t1\"],"
	          "\"messages\":[{\"role\":\"user\",\"content\":\"hi: there\"}]}");
	jv_free(dumped);
	ERR(CF_EX_NOTFOUND, cf_template_get("nosuch"));
	ERR(CF_EX_NOTFOUND, cf_template_remove("nosuch"));
	ERR(CF_EX_USAGE, cf_template_add_message(jv_object(), "robot:x"));
	ERR(CF_EX_USAGE, cf_template_add_message(jv_object(), "user:"));
	ERR(CF_EX_USAGE, cf_template_add_message(jv_object(), "user"));
	jv list = cf_template_list();
	CHECK(jv_get_kind(list) == JV_KIND_ARRAY && jv_array_length(jv_copy(list)) >= 1);
	jv_free(list);
}

static void
broken(void)
{
	static const struct { const char *text, *msg; } cases[] = {
		/* (not a missing comma after a value: jq 1.6's parser leaks the
		 * next key then) */
		{"{\n  \"temperature\": 0.2,\n  \"model\": tru\n}\n", "b.json:4:0: invalid literal"},
		{"", "b.json: expected JSON value"},
		{"[1]", "a template is a JSON object"},
		{"{\"x\": 1}", "unknown key 'x'"},
		{"{\"temperature\": 9}", "invalid temperature '9'"},
		{"{\"maxTokens\": 2.5}", "'maxTokens' must be a whole number"},
		{"{\"maxTokens\": 1e300}", "'maxTokens' must be a whole number"},
		{"{\"tags\": [1]}", "'tags' must be an array of strings"},
		{"{\"messages\": [1]}", "messages[0] must have"},
		{"{\"messages\": [{\"role\": \"user\", \"content\": \"\"}]}", "not empty"},
		{"{\"autoContext\": 1}", "'autoContext' must be true or false"},
		{"{\"provider\": \"nope\"}", "invalid provider 'nope'"},
	};
	for (int round = 0; round < 100; round++)
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			write_file("b", cases[i].text);
			ERR_MSG(CF_EX_CONFIG, cases[i].msg, cf_template_get("b"));
		}
	/* listed, with why */
	jv list = cf_template_list();
	int found = 0;
	jv_array_foreach(list, i, r) {
		if (!strcmp(cf_jstr(r, "name"), "b"))
			found = cf_jstr_or_null(r, "error") != NULL;
		jv_free(r);
		(void)i;
	}
	jv_free(list);
	CHECK(found);
	OK(cf_template_remove("b"));
}

static void
plan_and_start(void)
{
	write_file("p", "{\"provider\": \"echo\", \"model\": \"m\", \"temperature\": 0.1,"
	           " \"maxTokens\": 12, \"messages\": [{\"role\": \"system\", \"content\": \"s\"},"
	           " {\"role\": \"user\", \"content\": \"u\"}]}");
	struct cf_settings s;
	cf_settings_init(&s);
	s.temperature = "1.5";
	jv plan = cf_template_plan(cf_template_get("p"), &s);
	CHECK(jv_is_valid(plan));
	jv sess = jv_object_get(jv_copy(plan), jv_string("session"));
	jv set = jv_object_get(jv_copy(sess), jv_string("settings"));
	CHECK(cf_jnum(set, "temperature", -1) == 1.5);
	CHECK(cf_jnum(set, "maxTokens", -1) == 12);
	CHECK_STR(cf_jstr(sess, "model"), "m");
	jv_free(set);
	jv_free(sess);
	char path[600];
	snprintf(path, sizeof path, "%s/chat.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	OK(cf_store_begin(st));
	jv rec = cf_template_start(st, plan);
	CHECK(jv_is_valid(rec));
	OK(cf_store_commit(st));
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	CHECK(cf_jnum(meta, "messageCount", 0) == 2);
	jv_free(meta);
	/* and back: a template from that session, with its messages */
	jv from = cf_template_from_session(st, rec, 1);
	CHECK(jv_is_valid(from));
	jv msgs = jv_object_get(jv_copy(from), jv_string("messages"));
	CHECK(jv_array_length(msgs) == 2);
	CHECK_STR(cf_jstr(from, "model"), "m");
	jv_free(from);
	/* a provider without a model: not the template's model */
	s.provider = "openai";
	plan = cf_template_plan(cf_template_get("p"), &s);
	sess = jv_object_get(plan, jv_string("session"));
	CHECK(cf_jstr_or_null(sess, "model") == NULL);
	jv_free(sess);
	/* no template: as chat-new */
	plan = cf_template_plan(jv_null(), &s);
	CHECK(jv_is_valid(plan));
	jv_free(plan);
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char path[400];
	snprintf(path, sizeof path, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", path, 1);
	setenv("HOME", dir, 1);
	snprintf(tdir, sizeof tdir, "%s/config/confab/templates", dir);
	CHECK_STR(cf_template_user_dir(), tdir);
	names();
	save_and_read();
	broken();
	plan_and_start();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-template");
}
