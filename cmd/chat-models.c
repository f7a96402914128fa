/* chat-models — the models each configured provider offers, with prices. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-models [options]\n"
	"List the models the configured providers offer, from each one's models\n"
	"endpoint (kept for a day in $XDG_CACHE_HOME/confab/models/), with the\n"
	"prices pricing.json gives them.\n"
	"\n";

enum { O_REFRESH = 256 };

static const struct cf_opt own[] = {
	{.name = "provider", .key = CF_OPT_SHARED, .help =
	 "only this provider: anthropic, openai, gemini,\n"
	 "ollama, echo, or one from the config"},
	{"refresh", O_REFRESH, no_argument, NULL,
	 "ask the providers again, whatever the cache holds"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print model records even on a terminal"},
	{.name = "db", .key = CF_OPT_OMIT},   /* no store is read */
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

int
main(int argc, char **argv)
{
	const char *provider = NULL;
	int refresh = 0, json = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 'p': provider = optarg; break;
		case O_REFRESH: refresh = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);
	cf_exit_on(cf_config_load());

	jv names = provider ? jv_array_append(jv_array(), jv_object_set(jv_object(),
	                          jv_string("name"), jv_string(provider)))
	                    : cf_models_providers();
	jv all = jv_array();
	int status = CF_EX_OK, asked = 0;
	jv_array_foreach(names, i, n) {
		jv note;
		jv l = cf_models_list(cf_jstr(n, "name"), refresh, cf_jbool(n, "probe"), &note);
		if (jv_get_kind(note) == JV_KIND_STRING)
			cf_warn("%s", jv_string_value(note));
		jv_free(note);
		if (jv_is_valid(l)) {
			asked++;
			all = jv_array_concat(all, l);
		} else if (cf_is_error(l)) {
			asked++;
			if (provider)
				cf_exit_on(l);   /* the one asked for: its line and status */
			/* one provider failing leaves the others' lists */
			jv m = cf_error_message(l);
			cf_warn("%s", jv_string_value(m));
			jv_free(m);
			if (!status)
				status = cf_error_status(l);
			jv_free(l);
		}
		jv_free(n);
	}
	jv_free(names);
	if (!asked)
		cf_die(CF_EX_CONFIG, "no provider: set ANTHROPIC_API_KEY, OPENAI_API_KEY or "
		       "GEMINI_API_KEY, start Ollama, or add a provider to %s", cf_config_path());
	if (!json && cf_out_isatty()) {
		cf_models_table(all);
		jv_free(all);
	} else {
		jv_array_foreach(all, i, r)
			cf_exit_on(cf_out_record(r));
		jv_free(all);
	}
	return cf_out_finish(status);
}
