/* chat-serve — the REST API, live streams and the chat page over HTTP. */
#include <locale.h>
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "opts.h"
#include "../lib/serve.h"

static const char usage[] =
	"usage: chat-serve [options]\n"
	"Serve the store over HTTP: the REST API, server-sent event streams and\n"
	"the chat page, on loopback unless told otherwise.  Requests need the\n"
	"token in $XDG_CONFIG_HOME/confab/serve-token (made on first start) or\n"
	"the cookie of the one-time login URL printed at start.\n"
	"\n";

enum { O_LISTEN = 256, O_TLS_CERT, O_TLS_KEY, O_INSECURE, O_CHECK, O_QUIET, O_TURN };

static const struct cf_opt own[] = {
	{"listen", O_LISTEN, required_argument, "HOST:PORT",
	 "the address (default 127.0.0.1:8088; port 0: any\nfree one)"},
	{"tls-cert", O_TLS_CERT, required_argument, "FILE", "serve HTTPS with this PEM certificate"},
	{"tls-key", O_TLS_KEY, required_argument, "FILE", "and this PEM private key"},
	{"insecure-public", O_INSECURE, no_argument, NULL,
	 "allow a non-loopback address without TLS"},
	{"check", O_CHECK, no_argument, NULL, "check the config and the store, then exit"},
	{"quiet", O_QUIET, no_argument, NULL, "no request log on stderr"},
	{"turn", O_TURN, no_argument, NULL, NULL},   /* the turn child (serve_turn.c) */
	{.name = "json", .key = CF_OPT_OMIT},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

int
main(int argc, char **argv)
{
	struct cf_serve_opts o = {0};
	int turn = 0, opt;

	cf_setprog(argv[0]);
	/* as chat-export: libarchive writes a bulk export's non-ASCII names
	 * through the locale, and crashes on them in the C locale */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case O_LISTEN: o.listen = optarg; break;
		case O_TLS_CERT: o.tls_cert = optarg; break;
		case O_TLS_KEY: o.tls_key = optarg; break;
		case O_INSECURE: o.insecure_public = 1; break;
		case O_CHECK: o.check = 1; break;
		case O_QUIET: o.quiet = 1; break;
		case O_TURN: turn = 1; break;
		case CF_O_DB: o.db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (optind < argc)
		cf_usage_die("unexpected argument '%s'", argv[optind]);
	if (turn)
		return cf_serve_turn_main(o.db);
	o.exe = argv[0];
	cf_exit_on(cf_serve_run(&o));
	return cf_out_finish(CF_EX_OK);
}
