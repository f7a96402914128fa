/* opts.c — the option tables shared by the programs, and what is made from
 * a program's tables: getopt_long's arrays, the usage, --list-options. */
#include <stdlib.h>
#include <string.h>

#include "confab.h"
#include "opts.h"

const struct cf_opt cf_opts_common[] = {
	{"json", CF_O_JSON, no_argument, NULL, "print records even on a terminal"},
	{"db", CF_O_DB, required_argument, "PATH", "the database"},
	{"help", 'h', no_argument, NULL, "show this help"},
	{"version", CF_O_VERSION, no_argument, NULL, "show the version"},
	{0},
};

const struct cf_opt cf_opts_read[] = {
	{"db-read", CF_O_DB_READ, required_argument, "URI",
	 "read from this PostgreSQL replica (default: $CHAT_DB_READ)"},
	{0},
};

const struct cf_opt cf_opts_settings[] = {
	{"name", 'n', required_argument, "NAME", "session name (default: untitled)"},
	{"provider", 'p', required_argument, "NAME",
	 "anthropic, openai, gemini, ollama, openai-responses,\n"
	 "echo, or a provider defined in the config"},
	{"model", 'm', required_argument, "NAME",
	 "model (default: the config's, else chosen on send)"},
	{"system", 'S', required_argument, "TEXT", "system prompt"},
	{"temperature", CF_O_TEMPERATURE, required_argument, "N",
	 "sampling temperature, 0 to 2"},
	{"max-tokens", CF_O_MAX_TOKENS, required_argument, "N", "most tokens in a reply"},
	{"context-window", CF_O_CONTEXT_WINDOW, required_argument, "N",
	 "earlier messages sent with each request"},
	{"auto-context", CF_O_AUTO_CONTEXT, no_argument, NULL,
	 "attach recent activity to each message"},
	{"no-auto-context", CF_O_NO_AUTO_CONTEXT, no_argument, NULL, "do not"},
	{"send-history", CF_O_SEND_HISTORY, no_argument, NULL,
	 "send the context window automatically"},
	{"no-send-history", CF_O_NO_SEND_HISTORY, no_argument, NULL, "do not"},
	{"tag", 't', required_argument, "TAG", "add a tag (repeatable)"},
	{0},
};

static const struct cf_opt *
named(const struct cf_opt *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static int
count(const struct cf_opt *t)
{
	int n = 0;
	while (t[n].name)
		n++;
	return n;
}

/* The options a program takes, in usage order: its own table with the
 * shared entries filled in, then the common ones it did not name.  Made
 * once; a program has one set of options for its life. */
static const struct cf_opt *
resolve(const struct cf_opts *o, int *n)
{
	static const struct cf_opts *done;
	static struct cf_opt *all;
	static int nall;
	if (done == o) {
		*n = nall;
		return all;
	}
	free(all);
	int cap = count(o->own) + count(cf_opts_common);
	all = cf_xmalloc(sizeof *all * (size_t)(cap + 1));
	nall = 0;
	for (const struct cf_opt *e = o->own; e->name; e++) {
		if (e->key == CF_OPT_OMIT)
			continue;
		if (e->key != CF_OPT_SHARED) {
			all[nall++] = *e;
			continue;
		}
		const struct cf_opt *g = named(cf_opts_settings, e->name);
		if (!g)
			g = named(cf_opts_common, e->name);
		if (!g)
			g = named(cf_opts_read, e->name);
		if (!g)
			continue;   /* a shared option that is none: a typo */
		all[nall] = *g;
		if (e->help)
			all[nall].help = e->help;
		nall++;
	}
	for (const struct cf_opt *c = cf_opts_common; c->name; c++)
		if (!named(o->own, c->name))
			all[nall++] = *c;
	all[nall] = (struct cf_opt){0};
	done = o;
	*n = nall;
	return all;
}

void
cf_opts_usage(const struct cf_opts *o, FILE *f)
{
	int n, col = o->col ? o->col : 25;
	const struct cf_opt *all = resolve(o, &n);
	fputs(o->usage, f);
	for (int i = 0; i < n; i++) {
		if (!all[i].help || !*all[i].help)
			continue;   /* hidden, or said on the line before */
		/* this option and those whose help is "" after it, on one line */
		char left[128];
		int k = 0;
		for (int j = i; j < n && (j == i || (all[j].help && !*all[j].help)); j++) {
			int sh = all[j].key > ' ' && all[j].key < 127;
			const char *lead = j > i ? ", " : sh ? "  " : "      ";
			char one[64];
			if (sh)
				snprintf(one, sizeof one, "-%c, --%s", all[j].key, all[j].name);
			else
				snprintf(one, sizeof one, "--%s", all[j].name);
			int opt = all[j].arg == optional_argument && all[j].meta;
			int w = snprintf(left + k, sizeof left - (size_t)k, "%s%s%s%s%s", lead, one,
			                 opt ? "[=" : all[j].meta ? " " : "",
			                 all[j].meta ? all[j].meta : "", opt ? "]" : "");
			k = k + w < (int)sizeof left ? k + w : (int)sizeof left - 1;
		}
		fputs(left, f);
		const char *h = all[i].help;
		/* a long left side gets one space, its help where it fits */
		fprintf(f, "%*s", k < col ? col - k : 1, "");
		for (;;) {
			size_t len = strcspn(h, "\n");
			fwrite(h, 1, len, f);
			fputc('\n', f);
			if (!h[len])
				break;
			h += len + 1;
			fprintf(f, "%*s", col, "");
		}
	}
	if (o->after)
		fprintf(f, "\n%s", o->after);
}

void
cf_opts_list(const struct cf_opts *o, FILE *f)
{
	int n;
	const struct cf_opt *all = resolve(o, &n);
	for (int i = 0; i < n; i++) {
		if (!all[i].help)
			continue;
		fprintf(f, "--%s%s", all[i].name, all[i].arg == no_argument ? "" : "=ARG");
		if (all[i].key > ' ' && all[i].key < 127)
			fprintf(f, " -%c", all[i].key);
		fputc('\n', f);
	}
}

int
cf_getopt(int argc, char **argv, const struct cf_opts *o)
{
	static const struct cf_opts *made;
	static struct option *longopts;
	static char *shorts;
	int n;
	const struct cf_opt *all = resolve(o, &n);
	if (made != o) {
		free(longopts);
		free(shorts);
		longopts = cf_xmalloc(sizeof *longopts * (size_t)(n + 1));
		shorts = cf_xmalloc((size_t)n * 2 + 2);
		size_t s = 0;
		shorts[s++] = ':';
		for (int i = 0; i < n; i++) {
			longopts[i] = (struct option){all[i].name, all[i].arg, NULL, all[i].key};
			if (all[i].key > ' ' && all[i].key < 127) {
				shorts[s++] = (char)all[i].key;
				if (all[i].arg == required_argument)
					shorts[s++] = ':';
			}
		}
		shorts[s] = '\0';
		longopts[n] = (struct option){0};
		made = o;
	}
	int c = getopt_long(argc, argv, shorts, longopts, NULL);
	switch (c) {
	case 'h':
		cf_opts_usage(o, stdout);
		return CF_OPT_DONE;
	case CF_O_VERSION:
		printf("%s (confab) %s\n", cf_prog, CF_VERSION);
		return CF_OPT_DONE;
	case '?':
		/* --list-options, whole, is no option getopt knows: so it
		 * abbreviates nothing, and "--l" stays the program's --last */
		if (optind > 0 && optind <= argc && !optopt &&
		    !strcmp(argv[optind - 1], "--list-options")) {
			cf_opts_list(o, stdout);
			return CF_OPT_DONE;
		}
		break;
	}
	return c;
}

int
cf_opts_setting(struct cf_settings *s, int key, const char *arg)
{
	switch (key) {
	case 'n': s->name = arg; break;
	case 'p': s->provider = arg; break;
	case 'm': s->model = arg; break;
	case 'S': s->system = arg; break;
	case CF_O_TEMPERATURE: s->temperature = arg; break;
	case CF_O_MAX_TOKENS: s->max_tokens = arg; break;
	case CF_O_CONTEXT_WINDOW: s->context_window = arg; break;
	case CF_O_AUTO_CONTEXT: s->auto_context = 1; break;
	case CF_O_NO_AUTO_CONTEXT: s->auto_context = 0; break;
	case CF_O_SEND_HISTORY: s->send_history = 1; break;
	case CF_O_NO_SEND_HISTORY: s->send_history = 0; break;
	case 't': cf_settings_add_tag(s, arg, 0); break;
	default: return 0;
	}
	return 1;
}
