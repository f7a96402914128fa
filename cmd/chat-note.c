/* chat-note — notes on messages: add one, list them, remove one. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-note [options] MESSAGE [TEXT...]\n"
	"       chat-note --ls [MESSAGE]\n"
	"       chat-note --rm NOTE [MESSAGE]\n"
	"Attach a note to MESSAGE (an id or a prefix): TEXT, else stdin.  Notes are\n"
	"for people: they are never sent to a model.\n"
	"\n";

enum { O_LS = 256, O_RM };

static const struct cf_opt own[] = {
	{"quote", 'q', required_argument, "WORDS",
	 "the words of the message the note is about\n"
	 "(they must be in it, exactly)"},
	{"ls", O_LS, no_argument, NULL,
	 "list MESSAGE's notes (no MESSAGE: every note)"},
	{"rm", O_RM, required_argument, "NOTE",
	 "remove the note NOTE (an id or a prefix)"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "print records even on a terminal"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 25};

static void
show(jv note, int json)
{
	if (json) {
		cf_exit_on(cf_out_record(note));
		return;
	}
	char *head = cf_note_head(note);
	size_t hl = strlen(head);
	if (hl > 3)
		head[hl - 2] = '\0';
	printf("%snote %s%s on %s", cf_c(CF_BOLD), cf_jstr(note, "id"), cf_c(CF_RESET),
	       cf_jstr(note, "messageId"));
	cf_put_clean(head);
	putchar('\n');
	free(head);
	const char *q = cf_jstr_or_null(note, "quote");
	if (q) {
		printf("  on \u201c");
		cf_put_clean(q);
		printf("\u201d\n");
	}
	const char *t = cf_jstr(note, "text");
	while (*t) {
		size_t k = strcspn(t, "\n");
		char *l = cf_xmalloc(k + 1);
		memcpy(l, t, k);
		l[k] = '\0';
		printf("  ");
		cf_put_clean(l);
		putchar('\n');
		free(l);
		t += k + (t[k] == '\n');
	}
	jv_free(note);
}

/* Stdin's note: at most CF_NOTE_MAX + 2 bytes kept, the rest only counted,
 * so 1 GB (or /dev/zero) is refused, not held; *n is the note's length,
 * the file's last newlines not counted. */
static char *
read_stdin(size_t *n)
{
	size_t cap = CF_NOTE_MAX + 2, kept = 0, total = 0, trail = 0;
	char *buf = cf_xmalloc(cap), chunk[16384];
	for (;;) {
		ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			cf_die(CF_EX_FAIL, "cannot read stdin: %s", strerror(errno));
		if (!got)
			break;
		for (ssize_t i = 0; i < got; i++)
			trail = chunk[i] == '\n' ? trail + 1 : 0;
		size_t k = (size_t)got < cap - kept ? (size_t)got : cap - kept;
		memcpy(buf + kept, chunk, k);
		kept += k;
		total += (size_t)got;
	}
	*n = total - trail;
	return buf;
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *quote = NULL, *rm = NULL;
	int json = 0, ls = 0, c;

	cf_setprog(argv[0]);
	cf_out_init();
	while ((c = cf_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 'q': quote = optarg; break;
		case O_LS: ls = 1; break;
		case O_RM: rm = optarg; break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default: cf_bad_option(c, argv);
		}
	}
	int args = argc - optind;
	if (ls && rm)
		cf_usage_die("--ls and --rm do not go together");
	if ((ls || rm) && quote)
		cf_usage_die("--quote is for a new note");
	if (rm && args > 1)
		cf_usage_die("unexpected argument '%s'", argv[optind + 1]);
	if (ls && args > 1)
		cf_usage_die("unexpected argument '%s'", argv[optind + 1]);
	if (!ls && !rm && !args)
		cf_usage_die("no message given");
	json = json || !cf_out_isatty();

	/* the text before the store is opened, as bytes: a jv string would
	 * mend what is not UTF-8 into U+FFFD, and cf_note_add refuses it */
	char *text = NULL;
	size_t n = 0;
	if (!ls && !rm) {
		if (args > 1) {
			for (int i = optind + 1; i < argc; i++)
				n += strlen(argv[i]) + 1;
			text = cf_xmalloc(n);
			n = 0;
			for (int i = optind + 1; i < argc; i++) {
				size_t k = strlen(argv[i]);
				if (i > optind + 1)
					text[n++] = ' ';
				memcpy(text + n, argv[i], k);
				n += k;
			}
		} else if (!isatty(STDIN_FILENO)) {
			text = read_stdin(&n);
			if (n > CF_NOTE_MAX)   /* what cf_note_add says, without the bytes */
				cf_die(CF_EX_USAGE, "the note is %zu bytes, more than %d; "
				       "nothing changed", n, CF_NOTE_MAX);
		} else {
			cf_usage_die("no text: give it as arguments or on stdin");
		}
	}

	cf_store *st = cf_open(db, ls ? CF_STORE_READ : CF_STORE_WRITE);
	char id[37] = "";
	if (args) {
		jv msg = cf_ok(cf_resolve_message(st, argv[optind], NULL));
		snprintf(id, sizeof id, "%s", cf_jstr(msg, "id"));
		jv_free(msg);
	}
	if (rm) {
		show(cf_ok(cf_note_rm(st, rm, *id ? id : NULL)), json);
		if (!json)
			printf("(removed)\n");
		cf_store_close(st);
		return cf_out_finish(CF_EX_OK);
	}
	if (ls) {
		jv notes = cf_ok(cf_note_list(st, *id ? id : NULL));
		jv_array_foreach(notes, i, n)
			show(n, json);
		jv_free(notes);
	} else {
		show(cf_ok(cf_note_add(st, id, text, n, quote)), json);
	}
	free(text);
	cf_store_close(st);
	return cf_out_finish(CF_EX_OK);
}
