/* config.c — the config file: "key = value" lines under [section] headers
 * (confab.5).  Keys before any header, or under [defaults], are the
 * defaults; others are read as "section.key". */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confab.h"

static jv config;   /* object: key -> string; invalid until loaded */
static jv sections; /* the [section] names, in the file's order, once each */
static int loaded;
static char path[PATH_MAX];

const char *
cf_config_path(void)
{
	const char *e;
	if (path[0])
		return path;
	if ((e = getenv("XDG_CONFIG_HOME")) && *e == '/')
		snprintf(path, sizeof path, "%s/confab/config", e);
	else if ((e = getenv("HOME")) && *e)
		snprintf(path, sizeof path, "%s/.config/confab/config", e);
	else
		snprintf(path, sizeof path, "/nonexistent/confab/config");
	return path;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
valid_key(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int
listed(const char *name)
{
	jv_array_foreach(sections, i, v) {
		int same = !strcmp(jv_string_value(v), name);
		jv_free(v);
		if (same)
			return 1;
	}
	return 0;
}

static jv bad;   /* the file's error, kept for every caller; else invalid */

static jv
parse(FILE *f)
{
	char *line = NULL, section[128] = "";
	size_t cap = 0;
	long n = 0;
	jv err = jv_invalid();
	while (!cf_is_error(err) && getline(&line, &cap, f) >= 0) {
		n++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e || e[1] || e - s - 1 >= (long)sizeof section) {
				err = cf_error(CF_EX_CONFIG, "%s:%ld: malformed section "
				               "header", path, n);
				break;
			}
			*e = '\0';
			snprintf(section, sizeof section, "%s", trim(s + 1));
			if (!valid_key(section))
				err = cf_error(CF_EX_CONFIG, "%s:%ld: malformed section "
				               "name", path, n);
			if (!strcmp(section, "defaults"))
				section[0] = '\0';
			else if (!cf_is_error(err) && !listed(section))
				sections = jv_array_append(sections, jv_string(section));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			err = cf_error(CF_EX_CONFIG, "%s:%ld: expected 'key = value'",
			               path, n);
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		if (!valid_key(k)) {
			err = cf_error(CF_EX_CONFIG, "%s:%ld: malformed key '%s'",
			               path, n, k);
			break;
		}
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v[vl - 1] = '\0';
			v++;
		}
		jv key = section[0] ? jv_string_fmt("%s.%s", section, k) : jv_string(k);
		config = jv_object_set(config, key, jv_string(v));
	}
	/* getline's end and its failure look alike: a folder, an I/O error */
	if (!cf_is_error(err) && ferror(f))
		err = cf_error(CF_EX_CONFIG, "%s: %s", path, strerror(errno));
	free(line);
	return err;
}

jv
cf_config_load(void)
{
	if (!loaded) {
		loaded = 1;
		config = jv_object();
		sections = jv_array();
		bad = jv_invalid();
		FILE *f = fopen(cf_config_path(), "r");
		if (f) {
			bad = parse(f);
			fclose(f);
		} else if (errno != ENOENT) {
			bad = cf_error(CF_EX_CONFIG, "%s: %s", path, strerror(errno));
		}
		if (cf_is_error(bad)) {
			/* nothing of a file that is wrong is used */
			jv_free(config);
			config = jv_object();
			jv_free(sections);
			sections = jv_array();
		}
	}
	return cf_is_error(bad) ? jv_copy(bad) : jv_true();
}

const char *
cf_config_get(const char *key)
{
	if (!loaded)
		jv_free(cf_config_load());
	return cf_jstr_or_null(config, key);
}

jv
cf_config_sections(void)
{
	if (!loaded)
		jv_free(cf_config_load());
	return jv_copy(sections);
}

const char *
cf_user_name(void)
{
	const char *u = cf_config_get("user");
	if (u && *u)
		return u;
	u = getenv("USER");
	if (u && *u)
		return u;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "unknown";
}
