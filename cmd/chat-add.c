/* chat-add — add messages to a session without asking a model. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-add [options] -s SESSION [TEXT...]\n"
	"       chat-add [options] --records [-s SESSION] < messages.jsonl\n"
	"Add a message to a session without asking a model, and print it.  The\n"
	"content is TEXT, or stdin when there is no TEXT.  With --records, stdin\n"
	"holds message records, one a line, added in order in one transaction.\n"
	"\n";

enum { O_TOKENS = 256, O_TIME, O_RECORDS };

static const struct cf_opt own[] = {
	{"session", 's', required_argument, "SESSION",
	 "the session (id, unique prefix or name; - reads\n"
	 "one session record from stdin)"},
	{"role", 'r', required_argument, "ROLE",
	 "user (default), assistant or system"},
	{"model", 'm', required_argument, "NAME", "the model that wrote it"},
	{"tokens", O_TOKENS, required_argument, "N", "tokens it counts for"},
	{"time", O_TIME, required_argument, "TIME",
	 "when it was written (RFC 3339; default: now)"},
	{"records", O_RECORDS, no_argument, NULL,
	 "read message records from stdin"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

/* A record with no text and nothing attached, which chat-send refuses to
 * send (and a provider to take as context); a reply cut before its first
 * word is kept as chat-send keeps it.  An empty TEXT or stdin is still
 * taken: it is asked for in so many words. */
static int
empty_message(jv rec)
{
	jv c = jv_object_get(jv_copy(rec), jv_string("content"));
	int empty = jv_get_kind(c) == JV_KIND_STRING && !jv_string_length_bytes(c);
	if (!empty)
		return 0;
	/* a tool's result, a reply that was all tool calls: parts alone */
	jv parts = jv_object_get(jv_copy(rec), jv_string("parts"));
	int typed = jv_get_kind(parts) == JV_KIND_ARRAY && jv_array_length(jv_copy(parts));
	jv_free(parts);
	if (typed)
		return 0;
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	jv att = jv_get_kind(meta) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(meta), jv_string("attachments")) : jv_null();
	empty = !(jv_get_kind(att) == JV_KIND_ARRAY && jv_array_length(jv_copy(att))) &&
	        !(jv_get_kind(meta) == JV_KIND_OBJECT && cf_jbool(meta, "incomplete"));
	jv_free(att);
	jv_free(meta);
	return empty;
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *sref = NULL, *role = "user", *model = NULL;
	const char *time = NULL;
	long tokens = -1;
	int records = 0, json = 0, role_set = 0, opt;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 's': sref = optarg; break;
		case 'r':
			if (strcmp(optarg, "user") && strcmp(optarg, "assistant") &&
			    strcmp(optarg, "system"))
				cf_usage_die("invalid --role '%s': expected user, assistant or system", optarg);
			role = optarg;
			role_set = 1;
			break;
		case 'm': model = optarg; break;
		case O_TOKENS:
			if (cf_parse_long(optarg, 0, 1L << 40, &tokens))
				cf_usage_die("invalid --tokens '%s': expected a whole number", optarg);
			break;
		case O_TIME: {
			int64_t ms;
			if (cf_time_parse(optarg, &ms))
				cf_usage_die("invalid --time '%s': expected an RFC 3339 time", optarg);
			time = optarg;
			break;
		}
		case O_RECORDS: records = 1; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(opt, argv);
		}
	}
	if (records && optind < argc)
		cf_usage_die("--records reads stdin; TEXT is not taken with it");
	/* a record carries its own role, model, tokens and time */
	if (records && (role_set || model || tokens >= 0 || time))
		cf_usage_die("--records takes role, model, tokens and time from each record");
	if (records && sref && !strcmp(sref, "-"))
		cf_usage_die("--records and -s - both want stdin");
	if (!records && !sref)
		cf_usage_die("no session given (-s SESSION)");
	if (!records && optind == argc && sref && !strcmp(sref, "-"))
		cf_usage_die("-s - reads the session from stdin; give TEXT as arguments");
	if (!records && optind == argc && isatty(STDIN_FILENO))
		cf_usage_die("no message text: give TEXT or pipe it on stdin");

	cf_store *st = cf_open(db, CF_STORE_WRITE);
	jv sess = jv_invalid();
	if (sref) {
		char *one[] = {(char *)sref};
		jv l = cf_ok(cf_sessions_from_args(st, 1, one));
		if (jv_array_length(jv_copy(l)) != 1)
			cf_usage_die("expected one session");
		sess = jv_array_get(l, 0);
	}
	const char *sid = jv_is_valid(sess) ? cf_jstr(sess, "id") : NULL;

	/* Everything is read and checked before the first write. */
	jv todo = jv_array(), linenos = jv_array();
	if (records) {
		long lineno = 0;
		jv rec;
		while (jv_is_valid(rec = cf_ok(cf_read_record(stdin, "stdin", &lineno)))) {
			const char *type = cf_jstr_or_null(rec, "type");
			if (type && strcmp(type, "message"))
				cf_die(CF_EX_DATA, "stdin:%ld: expected a message record, got type '%s'",
				       lineno, type);
			const char *rs = cf_jstr_or_null(rec, "sessionId");
			if (!sid && !rs)
				cf_die(CF_EX_DATA, "stdin:%ld: message has no sessionId (or give -s)", lineno);
			if (!sid) {
				jv s = cf_ok(cf_session_get(st, rs));
				if (!jv_is_valid(s))
					cf_die(CF_EX_NOTFOUND, "stdin:%ld: unknown session '%s'", lineno, rs);
				jv_free(s);
			}
			if (empty_message(rec))
				cf_die(CF_EX_USAGE, "stdin:%ld: no message: its content is empty", lineno);
			/* ids are the store's to give: a record added twice is two messages */
			rec = jv_object_delete(rec, jv_string("id"));
			todo = jv_array_append(todo, rec);
			linenos = jv_array_append(linenos, jv_number((double)lineno));
		}
	} else {
		jv content;
		if (optind < argc) {
			content = jv_string(argv[optind]);
			for (int i = optind + 1; i < argc; i++)
				content = jv_string_concat(jv_string_append_str(content, " "),
				                           jv_string(argv[i]));
		} else {
			content = cf_read_text(STDIN_FILENO);
			if (!jv_is_valid(content))
				cf_die(CF_EX_FAIL, "stdin: read error");
		}
		jv rec = jv_object();
		rec = jv_object_set(rec, jv_string("role"), jv_string(role));
		rec = jv_object_set(rec, jv_string("content"), content);
		if (time)
			rec = jv_object_set(rec, jv_string("timestamp"), jv_string(time));
		jv meta = jv_object();
		if (tokens >= 0)
			meta = jv_object_set(meta, jv_string("tokens"), jv_number((double)tokens));
		if (model)
			meta = jv_object_set(meta, jv_string("model"), jv_string(model));
		rec = jv_object_set(rec, jv_string("metadata"), meta);
		todo = jv_array_append(todo, rec);
	}

	jv out = jv_array();
	cf_exit_on(cf_store_begin(st));
	jv_array_foreach(todo, i, rec) {
		/* a record the store refuses (a bad role, time, field) names
		 * its line, as a malformed one does */
		if (records) {
			char where[32];
			jv n = jv_array_get(jv_copy(linenos), i);
			snprintf(where, sizeof where, "stdin:%.0f", jv_number_value(n));
			jv_free(n);
			cf_err_context(where);
		}
		if (records)
			cf_exit_on(cf_store_bulk(st, sid ? sid : cf_jstr(rec, "sessionId")));
		out = jv_array_append(out, cf_ok(cf_message_insert(st, sid, rec)));
	}
	cf_err_context(NULL);
	cf_exit_on(cf_store_commit(st));
	jv_free(todo);
	jv_free(linenos);

	int human = !json && cf_out_isatty();
	jv_array_foreach(out, i, m) {
		if (human) {
			printf("added %s to %s\n", cf_jstr(m, "id"), cf_jstr(m, "sessionId"));
			jv_free(m);
		} else {
			cf_exit_on(cf_out_record(m));
		}
		(void)i;
	}
	jv_free(out);
	jv_free(sess);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
