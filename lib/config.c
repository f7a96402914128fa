/* config.c — the config file: "key = value" lines under [section] headers
 * (confab.5).  Keys before any header, or under [defaults], are the
 * defaults; others are read as "section.key". */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "confab.h"

static jv config;   /* object: key -> string; invalid until loaded */
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

static void
load(void)
{
	loaded = 1;
	config = jv_object();
	FILE *f = fopen(cf_config_path(), "r");
	if (!f) {
		if (errno != ENOENT)
			cf_die(CF_EX_CONFIG, "%s: %s", path, strerror(errno));
		return;
	}
	char *line = NULL, section[128] = "";
	size_t cap = 0;
	long n = 0;
	while (getline(&line, &cap, f) >= 0) {
		n++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e || e[1] || e - s - 1 >= (long)sizeof section)
				cf_die(CF_EX_CONFIG, "%s:%ld: malformed section header",
				       path, n);
			*e = '\0';
			snprintf(section, sizeof section, "%s", trim(s + 1));
			if (!valid_key(section))
				cf_die(CF_EX_CONFIG, "%s:%ld: malformed section name",
				       path, n);
			if (!strcmp(section, "defaults"))
				section[0] = '\0';
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq)
			cf_die(CF_EX_CONFIG, "%s:%ld: expected 'key = value'", path, n);
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		if (!valid_key(k))
			cf_die(CF_EX_CONFIG, "%s:%ld: malformed key '%s'", path, n, k);
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v[vl - 1] = '\0';
			v++;
		}
		jv key = section[0] ? jv_string_fmt("%s.%s", section, k) : jv_string(k);
		config = jv_object_set(config, key, jv_string(v));
	}
	/* getline's end and its failure look alike: a folder, an I/O error */
	if (ferror(f))
		cf_die(CF_EX_CONFIG, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
}

const char *
cf_config_get(const char *key)
{
	if (!loaded)
		load();
	return cf_jstr_or_null(config, key);
}
