/* chat-send — send a message, stream the reply, keep every word. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio_ext.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider.h"
#include "opts.h"

static const char usage[] =
	"usage: chat-send [options] [-s SESSION] [MESSAGE...]\n"
	"Send a message to a session's model and stream the reply to stdout.\n"
	"Text piped on stdin is part of the message.  Without a session (or with\n"
	"--new) a new session is made, named from the message.\n"
	"\n";

enum { O_NEW = 256, O_FALLBACK, O_NOSTREAM, O_RETRIES, O_RETRYTIME, O_TIMEOUT };

static const struct cf_opt own[] = {
	{"session", 's', required_argument, "SESSION",
	 "id, unique id prefix or name; - reads one\n"
	 "session record from stdin"},
	{"new", O_NEW, no_argument, NULL, "start a new session"},
	{.name = "provider", .key = CF_OPT_SHARED, .help =
	 "this message only: anthropic, openai, gemini,\n"
	 "ollama, echo, or one from the config"},
	{.name = "model", .key = CF_OPT_SHARED, .help =
	 "this message only: the model"},
	{.name = "system", .key = CF_OPT_SHARED, .help =
	 "this message only: the system prompt"},
	{.name = "temperature", .key = CF_OPT_SHARED, .help =
	 "this message only: 0 to 2"},
	{.name = "max-tokens", .key = CF_OPT_SHARED, .help =
	 "this message only: most tokens in the reply"},
	{"attach", 'a', required_argument, "FILE",
	 "attach a text file or an image (repeatable)"},
	{"fallback", O_FALLBACK, required_argument, "PROV[:MODEL]",
	 "try this one when the others fail (repeatable)"},
	{"no-stream", O_NOSTREAM, no_argument, NULL,
	 "ask for the whole reply at once"},
	{"retries", O_RETRIES, required_argument, "N",
	 "tries after the first on 429, 5xx, 529 and\n"
	 "connection failures (default 3)"},
	{"retry-time", O_RETRYTIME, required_argument, "SECONDS",
	 "most time the retries may take (default 60)"},
	{"timeout", O_TIMEOUT, required_argument, "SECONDS",
	 "give up after this long without a byte\n"
	 "(default 120)"},
	{.name = "json", .key = CF_OPT_SHARED, .help =
	 "delta records as they arrive, then the\n"
	 "message record"},
	{0},
};

static const struct cf_opts opts = {usage, own, NULL, 29};

struct out {
	int json, tty;
	const char *sid;
	char mid[37];
	int last_nl;        /* the last byte shown was a newline */
	int shown;
	int dead;           /* stdout failed: the rest is only saved */
	size_t sent;        /* plain output: bytes of the reply written */
	int err;            /* why (errno) */
	struct cf_reply_row *row;   /* where the reply is saved as it comes */
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
	cf_interrupted = 1;
}

/* Each piece goes out as it comes; on_flush pushes it to the reader. */
static void
on_text(cf_call *c, const char *s, size_t n)
{
	struct out *o = c->ctx;
	o->shown = 1;
	if (o->dead)
		return;
	errno = 0;
	if (o->json) {
		jv d = jv_object();
		d = jv_object_set(d, jv_string("type"), jv_string("delta"));
		d = jv_object_set(d, jv_string("sessionId"), jv_string(o->sid));
		d = jv_object_set(d, jv_string("messageId"), jv_string(o->mid));
		d = jv_object_set(d, jv_string("text"), jv_string_sized(s, (int)n));
		size_t len;
		const char *j = cf_json_compact(d, &len);
		fwrite(j, 1, len, stdout);
		putchar('\n');
	} else if (o->tty) {
		char *t = cf_xmalloc(n + 1);
		memcpy(t, s, n);
		t[n] = '\0';
		cf_put_clean(t);
		free(t);
	}
	/* plain text is written by on_flush straight from the reply */
	o->last_nl = s[n - 1] == '\n';
	if (ferror(stdout)) {
		o->dead = 1;
		o->err = errno ? errno : EIO;
	}
}

/* What has arrived goes into its row now and then, so a kill -9 costs
 * at most the last second of it. */
static void
on_tick(cf_call *c)
{
	struct out *o = c->ctx;
	if (o->row)
		cf_reply_checkpoint(o->row, c->r.buf, c->r.len, 0);
}

/* What a pipe on stdout takes now without blocking (and its size in
 * *cap); SIZE_MAX for anything else. */
static size_t
pipe_room(size_t *cap)
{
	static int fifo = -1;
	if (fifo < 0) {
		struct stat sb;
		fifo = fstat(STDOUT_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode);
	}
	int size, used;
	if (!fifo || (size = fcntl(STDOUT_FILENO, F_GETPIPE_SZ)) <= 0 ||
	    ioctl(STDOUT_FILENO, FIONREAD, &used) != 0)
		return *cap = SIZE_MAX;
	*cap = (size_t)size;
	return size > used ? (size_t)(size - used) : 0;
}

/* A reader that stops reading (a pager, `| sleep`) would block the write,
 * and with it every tick that saves the reply: wait for room in the pipe
 * instead, saving as the ticks come.  Returns what may be written now
 * (at most want; SIZE_MAX when stdout is no pipe), or 0 when a signal
 * came meanwhile. */
static size_t
room_for(cf_call *c, size_t want)
{
	for (;;) {
		size_t cap, room = pipe_room(&cap);
		if (room == SIZE_MAX || room >= want || (room && room >= cap))
			return room;
		if (room && want > cap)
			return room;   /* plain text goes in pieces */
		struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
		poll(&p, 1, 200);
		if (cf_interrupted)
			return 0;
		on_tick(c);
		if (p.revents & (POLLERR | POLLHUP))
			return SIZE_MAX;   /* the write says what went wrong */
	}
}

/* What arrived together goes out together, at once.  A reader that went
 * away (| head) or a full disk must not cost the reply: stop writing, keep
 * receiving, save it, report at the end. */
static void
on_flush(cf_call *c)
{
	struct out *o = c->ctx;
	on_tick(c);
	if (o->dead)
		return;
	errno = 0;
	if (__fpending(stdout) && !room_for(c, __fpending(stdout))) {
		o->dead = 1;   /* a signal: the reply is what matters now */
		o->err = EPIPE;
		return;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		o->dead = 1;
		o->err = errno ? errno : EIO;
		return;
	}
	if (o->json || o->tty)
		return;
	/* Plain text goes from the reply's buffer to fd 1 with no stdio copy
	 * between: a long reply is written as fast as it is read. */
	if (o->sent > c->r.len)
		o->sent = 0;   /* another call: a fallback, before any text */
	while (o->sent < c->r.len) {
		size_t n = room_for(c, c->r.len - o->sent);
		if (!n) {
			o->dead = 1;
			o->err = EPIPE;
			return;
		}
		if (n > c->r.len - o->sent)
			n = c->r.len - o->sent;
		ssize_t w = write(STDOUT_FILENO, c->r.buf + o->sent, n);
		if (w < 0 && errno == EINTR && !cf_interrupted)
			continue;
		if (w <= 0) {
			o->dead = 1;
			o->err = w < 0 ? errno : EIO;
			return;
		}
		o->sent += (size_t)w;
	}
}

static const char *
image_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	if (!strcasecmp(dot, ".png")) return "image/png";
	if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) return "image/jpeg";
	if (!strcasecmp(dot, ".gif")) return "image/gif";
	if (!strcasecmp(dot, ".webp")) return "image/webp";
	return NULL;
}

/* A file's bytes as they are: a jv string would mend invalid UTF-8, and
 * an image is nothing but. */
struct blob {
	char *p;
	size_t n;
};

static struct blob
read_bytes(int fd, const char *what)
{
	struct blob b;
	b.p = cf_read_all(fd, &b.n);
	if (!b.p)
		cf_die(CF_EX_FAIL, "%s: %s", what, strerror(errno));
	return b;
}

/* Reads every attachment before anything is stored; blobs[i] gets the
 * bytes of the ith. */
static jv
load_attachments(const char **paths, int n, struct blob *blobs)
{
	jv list = jv_array();
	for (int i = 0; i < n; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) != 0)
			cf_die(CF_EX_USAGE, "cannot attach '%s': %s", paths[i], strerror(errno));
		if (!S_ISREG(sb.st_mode))
			cf_die(CF_EX_USAGE, "cannot attach '%s': not a file", paths[i]);
		if (sb.st_size > cf_attach_max()) {
			char max[32];
			cf_size_text(cf_attach_max(), max, sizeof max);
			cf_die(CF_EX_USAGE, "cannot attach '%s': larger than %s (attach-max)",
			       paths[i], max);
		}
		blobs[i] = read_bytes(fd, paths[i]);
		close(fd);
		const char *base = strrchr(paths[i], '/');
		base = base ? base + 1 : paths[i];
		const char *img = image_type(base);
		if (!img && !cf_utf8_valid(blobs[i].p, blobs[i].n))
			cf_die(CF_EX_USAGE, "cannot attach '%s': neither text nor an "
			       "image (png, jpeg, gif, webp)", paths[i]);
		jv a = jv_object();
		a = jv_object_set(a, jv_string("type"), jv_string(img ? "image" : "text"));
		a = jv_object_set(a, jv_string("name"), jv_string(base));
		a = jv_object_set(a, jv_string("mimeType"), jv_string(img ? img : "text/plain"));
		list = jv_array_append(list, a);
	}
	return list;
}

/* The session's name from the first line of its first message. */
static jv
name_from(const char *text)
{
	while (*text == ' ' || *text == '\n' || *text == '\t')
		text++;
	size_t n = strcspn(text, "\n");
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
		n--;
	/* the first line alone, so the cut (and its ellipsis) is made in it */
	char line[256], buf[256];
	snprintf(line, sizeof line, "%.*s", (int)(n < 255 ? n : 255), text);
	cf_clean(line, buf, sizeof buf, 60, 0);
	return jv_string(*buf ? buf : "untitled");
}

/* A message of the context as the providers take it: its text with its
 * text attachments, and its images. */
static jv
turn(cf_store *st, jv m)
{
	jv t = jv_object();
	t = jv_object_set(t, jv_string("role"), jv_string(cf_jstr(m, "role")));
	jv content = jv_string(cf_jstr(m, "content"));
	jv images = jv_array();
	jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
	jv atts = jv_object_get(meta, jv_string("attachments"));
	if (jv_get_kind(atts) == JV_KIND_ARRAY && jv_array_length(jv_copy(atts))) {
		jv full = cf_attachments_of(st, cf_jstr(m, "id"));
		jv_array_foreach(full, i, a) {
			if (!strcmp(cf_jstr(a, "type"), "text"))
				content = jv_string_concat(content, jv_string_fmt(
					"\n\n<file name=\"%s\">\n%s\n</file>", cf_jstr(a, "name"),
					cf_jstr(a, "text")));
			else
				images = jv_array_append(images, jv_copy(a));
			jv_free(a);
			(void)i;
		}
		jv_free(full);
	}
	jv_free(atts);
	t = jv_object_set(t, jv_string("content"), content);
	return jv_object_set(t, jv_string("images"), images);
}

/* A reply another chat-send is still receiving, or one that never got a
 * word: as context it would be an empty turn, which providers refuse. */
static int
unfinished(jv m)
{
	jv meta = jv_object_get(jv_copy(m), jv_string("metadata"));
	int streaming = !strcmp(cf_jstr(meta, "stopReason"), "streaming");
	jv_free(meta);
	return streaming || (!strcmp(cf_jstr(m, "role"), "assistant") &&
	                     !*cf_jstr(m, "content"));
}

/* The message being sent, as the providers take it, from what the user
 * gave (the store may not have it: a full disk). */
static jv
this_turn(jv text, jv atts, struct blob *blobs)
{
	jv t = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	jv content = jv_copy(text);
	jv images = jv_array();
	jv_array_foreach(atts, i, a) {
		if (!strcmp(cf_jstr(a, "type"), "text"))
			content = jv_string_concat(content, jv_string_fmt(
				"\n\n<file name=\"%s\">\n%.*s\n</file>", cf_jstr(a, "name"),
				(int)blobs[i].n, blobs[i].p));
		else
			images = jv_array_append(images, jv_object_set(jv_copy(a),
				jv_string("data"), cf_base64(blobs[i].p, blobs[i].n)));
		jv_free(a);
	}
	t = jv_object_set(t, jv_string("content"), content);
	return jv_object_set(t, jv_string("images"), images);
}

/* The turn the store could not take, into the spool: 1 when it is kept
 * there, -1 when even that failed; either way one line says so. */
static int
spool_turn(cf_store *st, jv sess, jv um, jv atts, struct blob *blobs,
           const char *rid, jv meta, const char *text, size_t len,
           size_t in_store, const char *why)
{
	jv list = jv_array();
	jv_array_foreach(atts, i, a) {
		list = jv_array_append(list, jv_object_set(jv_copy(a),
			jv_string("data"), cf_base64(blobs[i].p, blobs[i].n)));
		jv_free(a);
	}
	jv m = jv_object_set(jv_copy(um), jv_string("sessionId"),
	                     jv_string(cf_jstr(sess, "id")));
	m = jv_object_set(m, jv_string("metadata"), jv_object_set(jv_object(),
	                  jv_string("attachments"), list));
	jv msgs = jv_array_append(jv_array(), m);
	if (rid) {
		jv r = jv_object_set(jv_object(), jv_string("id"), jv_string(rid));
		r = jv_object_set(r, jv_string("sessionId"), jv_string(cf_jstr(sess, "id")));
		r = jv_object_set(r, jv_string("role"), jv_string("assistant"));
		r = jv_object_set(r, jv_string("content"), jv_string_sized(text ? text : "", (int)len));
		r = jv_object_set(r, jv_string("timestamp"), cf_time_jv(cf_now_ms()));
		r = jv_object_set(r, jv_string("metadata"), jv_copy(meta));
		msgs = jv_array_append(msgs, r);
	}
	jv turn = jv_object_set(jv_object(), jv_string("session"), jv_copy(sess));
	turn = jv_object_set(turn, jv_string("messages"), msgs);
	jv path = cf_spool_write(st, turn, why);
	int ok = jv_is_valid(path);
	if (ok) {
		cf_warn("%s: the %s is kept in %s, and will be stored when the store "
		        "is next opened with room", why, rid ? "turn" : "message",
		        jv_string_value(path));
	} else {
		jv e = cf_error_message(path);
		if (in_store)
			cf_warn("%s, and %s: the reply is not saved whole; its first "
			        "%zu bytes are in the store, marked incomplete", why,
			        jv_string_value(e), in_store);
		else
			cf_warn("%s, and %s: the %s was not saved", why,
			        jv_string_value(e), rid ? "reply" : "message");
		jv_free(e);
	}
	jv_free(path);
	return ok ? 1 : -1;
}

/* The first transaction: the session when it is new, the user's message
 * and its attachments, and the reply's row reserved after it.  A store
 * that cannot take them (a full disk, a session deleted meanwhile) does
 * not stop the turn: why goes into spooling and the turn, at its end,
 * into the spool.  Any other error ends the program, nothing changed. */
static void
begin_turn(cf_store *st, jv *sess, int newsess, jv um, jv atts,
           struct blob *blobs, const char *provider, const char *model,
           struct cf_reply_row *row, char spooling[1024])
{
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(st);
		memset(row, 0, sizeof *row);
		if (k.code != CF_EX_STORE)
			cf_die(k.code, "%s", k.msg);
		snprintf(spooling, 1024, "%s", k.msg);
		cf_warn("%s: the message goes out and the turn will be kept in the spool",
		        k.msg);
		return;
	}
	cf_store_begin(st);
	if (newsess) {
		jv stored = cf_session_insert(st, jv_copy(*sess));
		jv_free(*sess);
		*sess = stored;
	}
	const char *sid = cf_jstr(*sess, "id");
	jv_free(cf_message_insert(st, sid, jv_copy(um)));
	jv_array_foreach(atts, i, a) {
		cf_attachment_insert(st, cf_jstr(um, "id"), cf_jstr(a, "type"),
		                     cf_jstr(a, "name"), cf_jstr(a, "mimeType"),
		                     blobs[i].p, blobs[i].n);
		jv_free(a);
	}
	jv rmeta = jv_object_set(jv_object(), jv_string("provider"), jv_string(provider));
	rmeta = jv_object_set(rmeta, jv_string("model"), model ? jv_string(model) : jv_null());
	cf_reply_reserve(st, sid, rmeta, row);
	cf_store_commit(st);
	cf_catch_pop(&k);
}

/* A session made without a provider gets the one that answered.  The
 * reply is stored by now, so a store error here is only a warning. */
static void
answered_by(cf_store *st, const char *sid, const char *provider,
            const char *model)
{
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(st);
		cf_warn("%s", k.msg);
		return;
	}
	cf_store_begin(st);
	jv cur = cf_session_get(st, sid);
	if (jv_is_valid(cur)) {
		if (!cf_jstr_or_null(cur, "provider"))
			cur = jv_object_set(cur, jv_string("provider"), jv_string(provider));
		if (!cf_jstr_or_null(cur, "model"))
			cur = jv_object_set(cur, jv_string("model"), jv_string(model));
		cf_session_update(st, cur);
	} else {
		jv_free(cur);
	}
	cf_store_commit(st);
	cf_catch_pop(&k);
}

/* Nothing came: the reserved row goes, as if never made.  One the store
 * cannot remove now is closed as abandoned by the next writer. */
static void
drop_row(struct cf_reply_row *row)
{
	struct cf_catch k;
	if (CF_TRY(&k))
		return;
	cf_reply_drop(row);
	cf_catch_pop(&k);
}

static int
collect(jv m, void *ctx)
{
	jv *list = ctx;
	*list = jv_array_append(*list, m);
	return 0;
}

static jv
parse_fallback(const char *spec)
{
	const char *colon = strchr(spec, ':');
	jv link = jv_object();
	jv p = colon ? jv_string_sized(spec, (int)(colon - spec)) : jv_string(spec);
	if (!jv_string_length_bytes(jv_copy(p)))
		cf_usage_die("invalid fallback '%s': expected PROVIDER[:MODEL]", spec);
	link = jv_object_set(link, jv_string("provider"), p);
	if (colon && colon[1])
		link = jv_object_set(link, jv_string("model"), jv_string(colon + 1));
	return link;
}

int
main(int argc, char **argv)
{
	struct cf_settings over;
	const char *db = NULL, *sref = NULL;
	const char **attach = NULL, **fallbacks = NULL;
	int nattach = 0, nfall = 0, newsess = 0, json = 0, stream = 1, opt;
	long retries = 3, timeout = 120;
	double retry_time = 60;

	cf_setprog(argv[0]);
	cf_out_init();
	cf_settings_init(&over);
	/* the config's, then the options' */
	const char *v;
	if ((v = cf_config_get("retries")) && cf_parse_long(v, 0, 100, &retries))
		cf_die(CF_EX_CONFIG, "%s: invalid retries '%s'", cf_config_path(), v);
	if ((v = cf_config_get("timeout")) && cf_parse_long(v, 1, 86400, &timeout))
		cf_die(CF_EX_CONFIG, "%s: invalid timeout '%s'", cf_config_path(), v);
	while ((opt = cf_getopt(argc, argv, &opts)) != -1) {
		switch (opt) {
		case 's': sref = optarg; break;
		case O_NEW: newsess = 1; break;
		case 'a':
			attach = cf_xrealloc(attach, sizeof *attach * (size_t)(nattach + 1));
			attach[nattach++] = optarg;
			break;
		case O_FALLBACK:
			fallbacks = cf_xrealloc(fallbacks, sizeof *fallbacks * (size_t)(nfall + 1));
			fallbacks[nfall++] = optarg;
			break;
		case O_NOSTREAM: stream = 0; break;
		case O_RETRIES:
			if (cf_parse_long(optarg, 0, 100, &retries))
				cf_usage_die("invalid --retries '%s': expected 0 to 100", optarg);
			break;
		case O_RETRYTIME:
			if (cf_parse_double(optarg, 0, 86400, &retry_time))
				cf_usage_die("invalid --retry-time '%s': expected seconds", optarg);
			break;
		case O_TIMEOUT:
			if (cf_parse_long(optarg, 1, 86400, &timeout))
				cf_usage_die("invalid --timeout '%s': expected whole seconds", optarg);
			break;
		case CF_O_JSON: json = 1; break;
		case CF_O_DB: db = optarg; break;
		case CF_OPT_DONE: return cf_out_finish(CF_EX_OK);
		default:
			if (!cf_opts_setting(&over, opt, optarg))
				cf_bad_option(opt, argv);
		}
	}
	if (newsess && sref)
		cf_usage_die("--new and --session do not go together");

	/* Everything the user gave is read and checked before the store or
	 * the network is touched. */
	jv_free(cf_settings_apply(jv_object(), &over));
	jv text = jv_string("");
	for (int i = optind; i < argc; i++)
		text = jv_string_concat(text, jv_string_fmt("%s%s", i > optind ? " " : "", argv[i]));
	int stdin_records = sref && !strcmp(sref, "-");
	if (!stdin_records && !isatty(STDIN_FILENO)) {
		jv in = cf_read_text(STDIN_FILENO);
		if (!jv_is_valid(in)) {
			jv m = cf_error_message(in);
			cf_die(cf_error_status(in), "stdin: %s", jv_string_value(m));
		}
		if (jv_string_length_bytes(jv_copy(in)))
			text = jv_string_length_bytes(jv_copy(text)) ?
				jv_string_concat(jv_string_append_str(text, "\n\n"), in) :
				(jv_free(text), in);
		else
			jv_free(in);
	}
	struct blob *blobs = cf_xmalloc(sizeof *blobs * (size_t)(nattach + 1));
	jv atts = load_attachments(attach, nattach, blobs);
	if (!jv_string_length_bytes(jv_copy(text)) && !nattach)
		cf_usage_die("no message: give it as arguments or on stdin");

	cf_store *st = cf_store_open(db);
	jv sess = jv_invalid();
	if (sref) {
		char *one[] = {(char *)sref};
		jv l = cf_sessions_from_args(st, 1, one);
		if (jv_array_length(jv_copy(l)) != 1)
			cf_usage_die("expected one session, got %d", jv_array_length(jv_copy(l)));
		sess = jv_array_get(l, 0);
	}

	/* Who answers: this message's provider, the session's, or a choice. */
	const char *sprov = jv_is_valid(sess) ? cf_jstr_or_null(sess, "provider") : NULL;
	const char *cfgprov = cf_config_get("provider");
	const char *provider = over.provider ? over.provider : sprov ? sprov :
		(cfgprov && *cfgprov) ? cfgprov : cf_provider_choose();
	if (!provider)
		cf_die(CF_EX_CONFIG, "no provider: set ANTHROPIC_API_KEY, OPENAI_API_KEY "
		       "or GEMINI_API_KEY, start Ollama, or set provider in %s "
		       "(--provider echo works offline)", cf_config_path());
	const char *model = over.model;
	if (!model && jv_is_valid(sess) && sprov && !strcmp(sprov, provider))
		model = cf_jstr_or_null(sess, "model");
	if (!model && !over.provider && !sprov && cfgprov && !strcmp(provider, cfgprov))
		model = cf_config_get("model");   /* the config's model is its provider's */
	if (!cf_provider_find(provider)) {
		if (over.provider)
			cf_usage_die("unknown provider '%s' (known: %s)", provider,
			              cf_provider_list());
		cf_die(CF_EX_CONFIG, "unknown provider '%s' (from %s)", provider,
		       sprov ? "the session" : cf_config_path());
	}
	jv chain = jv_array();
	jv first = jv_object_set(jv_object(), jv_string("provider"), jv_string(provider));
	if (model)
		first = jv_object_set(first, jv_string("model"), jv_string(model));
	chain = jv_array_append(chain, first);
	for (int i = 0; i < nfall; i++)
		chain = jv_array_append(chain, parse_fallback(fallbacks[i]));
	if (!nfall && (v = cf_config_get("fallback"))) {
		char *copy = cf_xstrdup(v);
		for (char *t = strtok(copy, ", "); t; t = strtok(NULL, ", "))
			chain = jv_array_append(chain, parse_fallback(t));
		free(copy);
	}
	cf_send_check(chain);

	/* The user's message is stored before the request goes out, and the
	 * reply's row is reserved right after it.  A store that cannot take
	 * them (a full disk) does not stop the turn: it goes to the spool. */
	jv um = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	um = jv_object_set(um, jv_string("content"), jv_copy(text));
	char umid[37];
	cf_uuid7(umid);
	um = jv_object_set(um, jv_string("id"), jv_string(umid));
	um = jv_object_set(um, jv_string("timestamp"), cf_time_jv(cf_now_ms()));
	if (!jv_is_valid(sess)) {
		jv rec = jv_object();
		jv settings = jv_object();
		settings = jv_object_set(settings, jv_string("maxTokens"), jv_number(4096));
		settings = jv_object_set(settings, jv_string("contextWindow"), jv_number(50));
		rec = jv_object_set(rec, jv_string("settings"), settings);
		rec = cf_settings_defaults(rec);
		char sidbuf[37];
		cf_uuid7(sidbuf);
		rec = jv_object_set(rec, jv_string("id"), jv_string(sidbuf));
		rec = jv_object_set(rec, jv_string("name"), name_from(jv_string_value(text)));
		rec = jv_object_set(rec, jv_string("provider"), jv_string(provider));
		rec = jv_object_set(rec, jv_string("model"), model ? jv_string(model) : jv_null());
		newsess = 1;
		sess = rec;
	}
	struct cf_reply_row row = {0};
	char spooling[1024] = "";
	begin_turn(st, &sess, newsess, um, atts, blobs, provider, model, &row,
	           spooling);
	const char *sid = cf_jstr(sess, "id");

	/* The context: the system prompt and the last contextWindow messages
	 * before this one, read through the (session_id, seq) index, then
	 * this one as it was given. */
	jv settings = jv_object_get(jv_copy(sess), jv_string("settings"));
	double cw = cf_jnum(settings, "contextWindow", 50);
	jv hist = jv_array();
	if (cw >= 1 && !newsess)
		cf_message_list(st, sid, (long)cw + !*spooling, *spooling ? NULL : umid,
		                collect, &hist);
	jv msgs = jv_array();
	jv_array_foreach(hist, i, m) {
		if (strcmp(cf_jstr(m, "id"), umid) && !unfinished(m))
			msgs = jv_array_append(msgs, turn(st, m));
		jv_free(m);
		(void)i;
	}
	jv_free(hist);
	msgs = jv_array_append(msgs, this_turn(text, atts, blobs));

	struct cf_send s = {0};
	s.chain = chain;
	s.messages = msgs;
	s.system = over.system ? over.system : cf_jstr_or_null(settings, "systemPrompt");
	double d;
	if (over.temperature && *over.temperature &&
	    !cf_parse_double(over.temperature, 0, 2, &d)) {
		s.temperature = d;
		s.has_temperature = 1;
	} else if (!over.temperature) {
		jv t = jv_object_get(jv_copy(settings), jv_string("temperature"));
		if (jv_get_kind(t) == JV_KIND_NUMBER) {
			s.temperature = jv_number_value(t);
			s.has_temperature = 1;
		}
		jv_free(t);
	}
	long mt;
	s.max_tokens = over.max_tokens && !cf_parse_long(over.max_tokens, 1, 100000000, &mt) ?
		mt : (long)cf_jnum(settings, "maxTokens", 4096);
	s.stream = stream;
	s.timeout = timeout;
	s.retries = retries;
	s.retry_time = retry_time;
	struct out o = {.json = json || !cf_out_isatty() ? json : 0,
	                .tty = cf_out_isatty() && !json, .sid = sid, .last_nl = 1,
	                .row = row.st ? &row : NULL};
	if (row.st)
		memcpy(o.mid, row.id, sizeof o.mid);
	else
		cf_uuid7(o.mid);
	s.on_text = on_text;
	s.on_flush = on_flush;
	s.on_tick = on_tick;
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	s.ctx = &o;

	/* A closed terminal (SIGHUP) is a stop like any other: what arrived
	 * is kept. */
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	cf_send_run(&s);
	on_flush(&s.call);   /* a whole reply, --no-stream's or echo's */

	/* Block the signals again: what arrived is saved whatever comes now. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	cf_call *c = &s.call;
	int have = c->r.len > 0;
	jv saved = jv_invalid();
	int spooled = 0;
	if (have || s.outcome == CF_CALL_OK) {
		long in = c->r.in_tokens, outk = c->r.out_tokens;
		const char *answered = jv_get_kind(c->r.model) == JV_KIND_STRING ?
			jv_string_value(c->r.model) : s.model;
		jv meta = jv_object();
		meta = jv_object_set(meta, jv_string("tokens"),
			in < 0 && outk < 0 ? jv_null() :
			jv_number((double)((in > 0 ? in : 0) + (outk > 0 ? outk : 0))));
		meta = jv_object_set(meta, jv_string("model"), jv_string(answered));
		meta = jv_object_set(meta, jv_string("processing_time"),
		                     jv_number((double)s.elapsed_ms));
		meta = jv_object_set(meta, jv_string("provider"), jv_string(s.provider));
		meta = jv_object_set(meta, jv_string("inputTokens"),
		                     in < 0 ? jv_null() : jv_number((double)in));
		meta = jv_object_set(meta, jv_string("outputTokens"),
		                     outk < 0 ? jv_null() : jv_number((double)outk));
		meta = jv_object_set(meta, jv_string("cost"),
			cf_cost(answered, in < 0 ? jv_null() : jv_number((double)in),
			        outk < 0 ? jv_null() : jv_number((double)outk)));
		meta = jv_object_set(meta, jv_string("incomplete"),
		                     jv_bool(s.outcome != CF_CALL_OK));
		meta = jv_object_set(meta, jv_string("stopReason"),
			s.outcome == CF_CALL_INTR ? jv_string("interrupted") :
			s.outcome != CF_CALL_OK ? jv_string("error") : jv_copy(c->r.stop));
		meta = jv_object_set(meta, jv_string("error"),
			s.outcome != CF_CALL_OK && s.outcome != CF_CALL_INTR ?
			jv_string(s.error) : jv_null());
		meta = jv_object_set(meta, jv_string("fallback"), jv_bool(s.fallbacks > 0));
		/* the reply is stored from where it lies, not copied into a jv,
		 * and read back only to be printed */
		jv r = row.st ? cf_reply_finish(&row, jv_copy(meta), c->r.buf, c->r.len) :
		       cf_error(CF_EX_STORE, "%s", spooling);
		if (jv_is_valid(r)) {
			if (o.json)
				saved = cf_message_get(st, row.id);
			/* a session made without a provider gets the one that
			 * answered; the reply is safe whatever happens to this */
			if (!cf_jstr_or_null(sess, "provider") || !cf_jstr_or_null(sess, "model"))
				answered_by(st, sid, s.provider, s.model);
		} else {
			/* kept whole in a file of its own, for the next program
			 * that opens the store with room */
			jv why = cf_error_message(r);
			spooled = spool_turn(st, sess, um, atts, blobs, o.mid, meta,
			                     c->r.buf, c->r.len, row.st ? row.saved : 0,
			                     jv_string_value(why));
			jv_free(why);
		}
		jv_free(r);
		jv_free(meta);
	} else if (row.st) {
		drop_row(&row);
	} else if (*spooling) {
		spooled = spool_turn(st, sess, um, atts, blobs, NULL, jv_null(),
		                     NULL, 0, 0, spooling);
	}

	if (!o.dead) {
		if (o.json && jv_is_valid(saved)) {
			size_t len;
			const char *j = cf_json_compact(jv_copy(saved), &len);
			fwrite(j, 1, len, stdout);
			putchar('\n');
		} else if (!o.json && o.shown && !o.last_nl) {
			putchar('\n');
		}
	}
	if (c->malformed && s.outcome != CF_CALL_MALFORMED)   /* not a whole reply's */
		cf_warn("%s sent %d unreadable event%s; skipped", s.provider,
		        c->malformed, c->malformed == 1 ? "" : "s");
	int status = s.exit;
	if (s.outcome == CF_CALL_INTR)
		status = got_signal == SIGTERM ? CF_EX_SIGTERM :
		         got_signal == SIGHUP ? CF_EX_SIGHUP : CF_EX_SIGINT;
	if (s.outcome != CF_CALL_OK)
		cf_warn("%s%s", s.error, have && !spooled ? " (the partial reply is "
		        "saved, marked incomplete)" : "");
	else if (s.fallbacks)
		cf_warn("answered by %s:%s after a fallback", s.provider, s.model);

	jv_free(saved);
	jv_free(settings);
	jv_free(msgs);
	jv_free(chain);
	jv_free(um);
	jv_free(sess);
	jv_free(text);
	jv_free(atts);
	cf_call_release(c);
	cf_store_close(st);
	for (int i = 0; i < nattach; i++)
		free(blobs[i].p);
	free(blobs);
	free(attach);
	free(fallbacks);
	if (spooled)
		status = spooled > 0 ? CF_EX_SPOOLED : CF_EX_STORE;
	if (o.dead) {
		/* stdout failed mid-reply and the reply is saved: a reader that
		 * went away is no error, another write error is */
		if (o.err == EPIPE)
			return status;
		cf_warn("write error: %s", strerror(o.err));
		return status ? status : CF_EX_FAIL;
	}
	return cf_out_finish(status);
}
