/* Plugins (plugin.c): the record reader on good and bad bytes, each
 * error naming its line; --describe checked and cached; tools run with
 * their input on stdin, failures as isError results; config written
 * whole and read back as the plugin's environment.  Under ASan and
 * LeakSanitizer, many rounds. */
#include <sys/stat.h>

#include "unit.h"

static char dir[] = "/tmp/confab-plugin-XXXXXX";

static jv
recs(const char *s)
{
	return cf_plugin_records(s, strlen(s), "p");
}

static void
reader(void)
{
	const char good[] =
		"{\"type\":\"text\",\"content\":\"a\"}\n"
		"\n   \n"
		"{\"type\":\"context\",\"content\":\"b\",\"more\":[1,2]}\r\n"
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"c\"}\n"
		"{\"type\":\"someday\"}\n"
		"{\"type\":\"error\",\"message\":\"e\"}";   /* no newline at the end */
	for (int round = 0; round < 300; round++) {
		jv r = cf_plugin_records(good, sizeof good - 1, "p");
		CHECK(jv_get_kind(r) == JV_KIND_ARRAY && jv_array_length(jv_copy(r)) == 5);
		jv last = jv_array_get(jv_copy(r), 4);
		CHECK_STR(cf_jstr(last, "message"), "e");
		jv_free(last);
		jv_free(r);
		r = recs("");
		CHECK(jv_get_kind(r) == JV_KIND_ARRAY && jv_array_length(jv_copy(r)) == 0);
		jv_free(r);
		ERR_MSG(CF_EX_DATA, "plugin 'p': line 3 of its output is not JSON",
		        recs("{\"type\":\"text\",\"content\":\"\"}\n\n{x\n"));
		ERR_MSG(CF_EX_DATA, "line 1 of its output is not a JSON object",
		        recs("[]\n"));
		ERR_MSG(CF_EX_DATA, "line 1 of its output has no string 'type'",
		        recs("{\"type\":1}"));
		ERR_MSG(CF_EX_DATA, "has no string 'content'",
		        recs("{\"type\":\"text\"}"));
		ERR_MSG(CF_EX_DATA, "has no role",
		        recs("{\"type\":\"message\",\"content\":\"x\"}"));
		ERR_MSG(CF_EX_DATA, "has no string 'message'",
		        recs("{\"type\":\"error\"}"));
		ERR_MSG(CF_EX_DATA, "line 2 of its output is not UTF-8",
		        recs("{\"type\":\"x\"}\n{\"type\":\"\xff\"}"));
		/* a NUL inside a line, and JSON text after the object */
		ERR_MSG(CF_EX_DATA, "line 1", cf_plugin_records("{\"type\":\"x\"\0}", 14, "p"));
		ERR_MSG(CF_EX_DATA, "line 1", recs("{} {}"));
		ERR_MSG(CF_EX_DATA, "line 1", recs("1"));
		/* what libjq 1.6 would leak a string of */
		ERR_MSG(CF_EX_DATA, "line 2 of its output is not JSON",
		        recs("{\"type\":\"x\"}\n{\"type\" \"text\"}"));
		ERR_MSG(CF_EX_DATA, "line 1", recs("[1 \"a\"]"));
		jv ok = recs("{\"type\":\"x\",\"s\":[\"a\\\"\",{\"k\":\"v\"}]}");
		CHECK(jv_is_valid(ok));
		jv_free(ok);
	}
}

static void
script(const char *name, const char *body)
{
	char path[512];
	snprintf(path, sizeof path, "%s/data/confab/plugins/chat-plugin-%s", dir, name);
	FILE *f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0755);
}

static void
plugins(void)
{
	char p[512];
	snprintf(p, sizeof p, "%s/data", dir);
	setenv("XDG_DATA_HOME", p, 1);
	snprintf(p, sizeof p, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	snprintf(p, sizeof p, "mkdir -p %s/data/confab/plugins", dir);
	CHECK(system(p) == 0);
	script("t",
	       "case \"$1\" in\n"
	       "--describe) echo '{\"name\":\"t\",\"tools\":[{\"name\":\"echo\","
	       "\"description\":\"says it back\"},{\"name\":\"fail\"}]}' ;;\n"
	       "--tool) case \"$2\" in\n"
	       "  echo) read -r l; printf '{\"type\":\"text\",\"content\":\"%s\"}\\n' \"$(printf %s \"$l\" | tr '\"' \"'\")\";"
	       " echo '{\"type\":\"context\",\"content\":\"more\"}' ;;\n"
	       "  fail) echo '{\"type\":\"error\",\"message\":\"no such thing\"}' ;;\n"
	       "  exit) echo 'bad input' >&2; exit 2 ;;\n"
	       "  junk) echo 'junk' ;;\n"
	       "  env) echo \"{\\\"type\\\":\\\"text\\\",\\\"content\\\":\\\"$CONFAB_PLUGIN_MY_KEY\\\"}\" ;;\n"
	       "  esac ;;\n"
	       "esac\n");
	script("bad", "echo '{\"name\":\"bad\",\"tools\":[{\"name\":\"a b\"}]}'\n");
	for (int round = 0; round < 5; round++) {
		jv l = cf_plugin_list();
		CHECK(jv_array_length(jv_copy(l)) == 2);
		jv_free(l);
		jv d = cf_plugin_describe("t");
		CHECK(jv_is_valid(d));
		jv tools = jv_object_get(jv_copy(d), jv_string("tools"));
		jv t0 = jv_array_get(jv_copy(tools), 0);
		jv schema = jv_object_get(jv_copy(t0), jv_string("input_schema"));
		CHECK_STR(cf_jstr(schema, "type"), "object");
		jv_free(schema);
		jv_free(t0);
		jv_free(tools);
		jv cmds = jv_object_get(d, jv_string("commands"));
		CHECK(jv_get_kind(cmds) == JV_KIND_ARRAY && jv_array_length(jv_copy(cmds)) == 0);
		jv_free(cmds);
		ERR_MSG(CF_EX_DATA, "tools[0] has no name", cf_plugin_describe("bad"));
		ERR(CF_EX_NOTFOUND, cf_plugin_describe("none"));
		ERR(CF_EX_USAGE, cf_plugin_describe("../x"));

		/* the failing plugin's tools left out (one warning) */
		jv all = cf_plugin_tools();
		CHECK(jv_array_length(jv_copy(all)) == 2);
		jv a0 = jv_array_get(all, 0);
		CHECK_STR(cf_jstr(a0, "plugin"), "t");
		CHECK_STR(cf_jstr(a0, "name"), "echo");
		jv_free(a0);

		jv r = cf_plugin_tool("t", "echo", jv_parse("{\"q\":\"hi\"}"));
		CHECK_STR(cf_jstr(r, "content"), "{'q':'hi'}\nmore");
		CHECK(!cf_jbool(r, "isError"));
		jv_free(r);
		r = cf_plugin_tool("t", "fail", jv_object());
		CHECK_STR(cf_jstr(r, "content"), "plugin 't': no such thing");
		CHECK(cf_jbool(r, "isError"));
		jv_free(r);
		r = cf_plugin_tool("t", "exit", jv_object());
		CHECK_STR(cf_jstr(r, "content"), "plugin 't' failed (exit 2): bad input");
		CHECK(cf_jbool(r, "isError"));
		jv_free(r);
		r = cf_plugin_tool("t", "junk", jv_object());
		CHECK(cf_jbool(r, "isError") && strstr(cf_jstr(r, "content"), "line 1"));
		jv_free(r);
		ERR(CF_EX_NOTFOUND, cf_plugin_tool("none", "x", jv_object()));
	}
	/* the config, written and read back as the environment */
	OK(cf_plugin_config_set("t", "my.key", "v 1"));
	OK(cf_plugin_config_set("t", "pass-env", "X"));
	jv env = cf_plugin_config_env("t");
	CHECK(jv_array_length(jv_copy(env)) == 1);
	jv e0 = jv_array_get(env, 0);
	jv k = jv_array_get(jv_copy(e0), 0), v = jv_array_get(e0, 1);
	CHECK_STR(jv_string_value(k), "CONFAB_PLUGIN_MY_KEY");
	CHECK_STR(jv_string_value(v), "v 1");
	jv_free(k);
	jv_free(v);
	jv r = cf_plugin_tool("t", "env", jv_object());
	CHECK_STR(cf_jstr(r, "content"), "v 1");
	jv_free(r);
	ERR(CF_EX_USAGE, cf_plugin_config_set("t", "a b", "v"));
	ERR(CF_EX_USAGE, cf_plugin_config_set("t", "k", "a\nb"));
	ERR(CF_EX_USAGE, cf_plugin_config_set("t/x", "k", "v"));
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 1;
	reader();
	plugins();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-plugin");
}
