/* repl.c — confab's loop and input: libedit for the line, our own reader
 * under it for bracketed paste and signals, the history file, multi-line
 * input, the editor, and the turn of each message.
 *
 * libedit reads through getc_fn below, so every byte from the terminal
 * passes here first: a paste (\e[200~ ... \e[201~) is taken whole, outside
 * libedit's line buffer (a 10 MB paste would be inserted, and redrawn, a
 * character at a time), and stands in the line as a placeholder.  Signals
 * interrupt our read(); what they ask for goes to libedit as one private
 * key (EVENT_KEY) bound to our function, the only way into libedit from
 * outside its loop. */
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "provider.h"
#include "render.h"
#include "repl.h"

/* ^] is bound to "confab-event"; typed by the user it does nothing. */
#define EVENT_KEY 0x1d
#define PASTE_START "\033[200~"
#define PASTE_END "\033[201~"
/* A paste shorter than this and without a newline goes into the line as
 * text; longer ones, or with newlines, stand there as a placeholder. */
#define PASTE_INLINE 1024
#define RESUME_SHOWN 6

static volatile sig_atomic_t got_int, got_winch, got_term, got_cont;
static volatile sig_atomic_t streaming;

struct paste {
	char *p;
	size_t n;
};

struct repl {
	EditLine *el;
	History *hist;
	char hist_path[PATH_MAX];
	int hist_warned;
	struct termios saved;
	int have_saved;
	/* input read ahead of libedit */
	unsigned char in[65536];
	size_t in_pos, in_len;
	int in_eof;          /* no more input: an end (^D typed ahead) or ... */
	int hung_up;         /* ... the terminal gone (EIO) */
	/* pastes of the line being edited; the placeholders name them */
	struct paste *pastes;
	int npastes;
	int pending;         /* a paste to insert at the next EVENT_KEY, or -1 */
	int cancelled;       /* Ctrl-C: the line is thrown away */
	int multi;           /* inside /multi ... /end */
	int cont;            /* the last line ended with '\' */
	jv acc;              /* the lines so far of either */
	char prompt[2048];
	int created;         /* the first tab's session was made at start */
};

static struct repl *active;   /* for the exit handler */
/* The terminal takes escape sequences (bracketed paste, SGR): not a
 * dumb one, which would show them as text. */
static int escapes;

static void
on_signal(int sig)
{
	if (sig == SIGWINCH) {
		got_winch = 1;
		return;
	}
	if (sig == SIGCONT) {
		got_cont = 1;
		return;
	}
	if (sig == SIGINT) {
		if (streaming)
			cf_interrupted = 1;
		else
			got_int = 1;
		return;
	}
	got_term = sig;
	cf_interrupted = 1;
}

void
cf_chat_busy(int on)
{
	streaming = on;
	got_int = 0;
	/* a SIGTERM or SIGHUP meanwhile still ends confab */
	cf_interrupted = on ? 0 : got_term != 0;
}

static void
handle_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a signal ends our read() and is seen at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The terminal as it was: modes, bracketed paste off, colors reset.  Run
 * on every way out, including cf_die from deep in the library. */
static void
restore_terminal(void)
{
	struct repl *r = active;
	if (!r)
		return;
	static const char off[] = "\033[?2004l\033[0m";
	if (escapes && write(STDOUT_FILENO, off, sizeof off - 1) < 0) {
		/* the terminal is gone: nothing to put back */
	}
	if (r->have_saved)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &r->saved);
}

static int
term_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void
cf_chat_say(struct cf_chat *c, const char *fmt, ...)
{
	(void)c;
	char buf[2048], clean[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cf_clean(buf, clean, sizeof clean, 0, 1);
	fputs(clean, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

/* An error value as one line, "confab: ...". */
static void
say_error(struct cf_chat *c, jv err)
{
	jv m = cf_error_message(err);
	cf_chat_say(c, "%s: %s", cf_prog, jv_string_value(m));
	jv_free(m);
	jv_free(err);
}

static struct cf_tab *
cur_tab(struct cf_chat *c)
{
	return c->ntabs ? &c->tabs[c->cur] : NULL;
}

/* ---- reading the terminal ---- */

/* Fills the read-ahead buffer; waits at most ms (-1: forever).  0 when
 * nothing came (timeout or a signal), -1 at the end of input. */
static int
fill(struct repl *r, int ms)
{
	if (r->in_pos == r->in_len)
		r->in_pos = r->in_len = 0;
	if (r->in_eof)
		return -1;
	if (r->in_len == sizeof r->in) {
		/* compact, to have room for a sequence's rest */
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	if (ms >= 0) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		if (poll(&p, 1, ms) <= 0)
			return 0;
	}
	ssize_t n = read(STDIN_FILENO, r->in + r->in_len, sizeof r->in - r->in_len);
	if (n > 0) {
		r->in_len += (size_t)n;
		return 1;
	}
	if (n < 0 && errno == EINTR)
		return 0;
	/* read() gives 0 for a ^D typed before libedit took the terminal
	 * (an end, as at the prompt), an error when the terminal is gone */
	r->in_eof = 1;
	r->hung_up = n < 0;
	return -1;
}

/* The paste after PASTE_START, up to PASTE_END, into a new paste. */
static int
read_paste(struct repl *r)
{
	struct paste p = {NULL, 0};
	size_t cap = 0;
	for (;;) {
		unsigned char *s = r->in + r->in_pos;
		size_t avail = r->in_len - r->in_pos;
		unsigned char *end = memmem(s, avail, PASTE_END, sizeof PASTE_END - 1);
		/* what surely belongs to the paste: all but a possible start of
		 * the end marker */
		size_t take = end ? (size_t)(end - s) :
		              avail > sizeof PASTE_END - 2 ? avail - (sizeof PASTE_END - 2) : 0;
		if (p.n + take + 1 > cap) {
			cap = (p.n + take + 1) * 2;
			p.p = cf_xrealloc(p.p, cap);
		}
		memcpy(p.p + p.n, s, take);
		p.n += take;
		r->in_pos += take;
		if (end) {
			r->in_pos += sizeof PASTE_END - 1;
			break;
		}
		/* a paste cut short keeps what came; Ctrl-C then drops the
		 * line, also when the end marker never comes */
		if (got_int) {
			r->in_pos = r->in_len;   /* what was held back goes too */
			break;
		}
		if (got_term || fill(r, -1) < 0)
			break;
	}
	if (!p.p)
		p.p = cf_xmalloc(1);
	p.p[p.n] = '\0';
	/* terminals send a pasted newline as CR */
	for (size_t i = 0; i < p.n; i++)
		if (p.p[i] == '\r')
			p.p[i] = '\n';
	r->pastes = cf_xrealloc(r->pastes, sizeof *r->pastes * (size_t)(r->npastes + 1));
	r->pastes[r->npastes] = p;
	return r->npastes++;
}

static void
drop_pastes(struct repl *r)
{
	for (int i = 0; i < r->npastes; i++)
		free(r->pastes[i].p);
	free(r->pastes);
	r->pastes = NULL;
	r->npastes = 0;
	r->pending = -1;
}

/* libedit's reader: one character, as a wide character.  Returns 1, 0 at
 * the end of input (or after SIGTERM/SIGHUP), -1 on error. */
static int
getc_fn(EditLine *el, wchar_t *wc)
{
	struct cf_chat *c;
	el_get(el, EL_CLIENTDATA, &c);
	struct repl *r = c->priv;
	for (;;) {
		if (got_term)
			return 0;
		if (got_int) {
			got_int = 0;
			r->cancelled = 1;
			*wc = EVENT_KEY;
			return 1;
		}
		if (got_winch) {
			got_winch = 0;
			el_resize(el);
			c->width = term_width();
		}
		if (got_cont) {
			/* back from Ctrl-Z: the shell gave the terminal back in
			 * its own modes; libedit's (and bracketed paste) again */
			got_cont = 0;
			el_set(el, EL_PREP_TERM, 0);
			el_set(el, EL_PREP_TERM, 1);
			static const char on[] = "\033[?2004h";
			if (escapes && write(STDOUT_FILENO, on, sizeof on - 1) < 0) {
				/* the terminal is gone; the read says so */
			}
			el_set(el, EL_REFRESH);
			c->width = term_width();
		}
		if (r->in_pos == r->in_len) {
			int f = fill(r, -1);
			if (f < 0)
				return 0;
			continue;
		}
		unsigned char b = r->in[r->in_pos];
		if (b == 0x1b) {
			/* a paste's start, or a key's escape sequence */
			size_t want = sizeof PASTE_START - 1;
			while (r->in_len - r->in_pos < want &&
			       !memcmp(r->in + r->in_pos, PASTE_START, r->in_len - r->in_pos) &&
			       fill(r, 50) > 0)
				;
			if (r->in_len - r->in_pos >= want &&
			    !memcmp(r->in + r->in_pos, PASTE_START, want)) {
				r->in_pos += want;
				r->pending = read_paste(r);
				*wc = EVENT_KEY;
				return 1;
			}
		}
		/* UTF-8 to a wide character; a broken sequence is taken byte
		 * by byte */
		int n = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
		while (r->in_len - r->in_pos < (size_t)n && fill(r, 50) > 0)
			;
		if (r->in_len - r->in_pos < (size_t)n)
			n = 1;
		wchar_t w = n == 1 ? b : n == 2 ? b & 0x1f : n == 3 ? b & 0x0f : b & 0x07;
		for (int i = 1; i < n; i++) {
			unsigned char k = r->in[r->in_pos + (size_t)i];
			if ((k & 0xc0) != 0x80) {
				n = 1;
				w = b;
				break;
			}
			w = (w << 6) | (k & 0x3f);
		}
		r->in_pos += (size_t)n;
		*wc = w;
		return 1;
	}
}

/* The placeholder of paste i: "[paste 1: 12 lines, 345 bytes]". */
static void
placeholder(struct repl *r, int i, char *buf, size_t n)
{
	size_t lines = 1;
	for (size_t k = 0; k < r->pastes[i].n; k++)
		lines += r->pastes[i].p[k] == '\n' && k + 1 < r->pastes[i].n;
	snprintf(buf, n, "[paste %d: %zu line%s, %zu bytes]", i + 1, lines,
	         lines == 1 ? "" : "s", r->pastes[i].n);
}

static int
inline_paste(struct paste *p)
{
	if (p->n >= PASTE_INLINE || memchr(p->p, '\n', p->n))
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if ((unsigned char)p->p[i] < 0x20 || p->p[i] == 0x7f)
			return 0;
	return 1;
}

static unsigned char
fn_event(EditLine *el, int ch)
{
	(void)ch;
	struct cf_chat *c;
	el_get(el, EL_CLIENTDATA, &c);
	struct repl *r = c->priv;
	if (r->cancelled) {
		/* Ctrl-C: the line goes, the prompt comes again */
		fputs("^C", stdout);
		return CC_NEWLINE;
	}
	if (r->pending < 0)
		return CC_NORM;
	int i = r->pending;
	r->pending = -1;
	if (inline_paste(&r->pastes[i])) {
		el_insertstr(el, r->pastes[i].p);
		r->pastes[i].n = 0;   /* in the line now, as typed text */
		return CC_REFRESH;
	}
	char ph[96];
	placeholder(r, i, ph, sizeof ph);
	el_insertstr(el, ph);
	return CC_REFRESH;
}

/* The line with each placeholder replaced by its paste. */
static jv
expand(struct repl *r, const char *line, size_t len)
{
	jv out = jv_string("");
	size_t i = 0;
	while (i < len) {
		const char *ph = r->npastes ? memmem(line + i, len - i, "[paste ", 7) : NULL;
		if (!ph) {
			out = jv_string_append_buf(out, line + i, (int)(len - i));
			break;
		}
		char *endp;
		long k = strtol(ph + 7, &endp, 10);
		char want[96];
		int match = 0;
		if (k >= 1 && k <= r->npastes && r->pastes[k - 1].n) {
			placeholder(r, (int)k - 1, want, sizeof want);
			match = !strncmp(ph, want, strlen(want));
		}
		out = jv_string_append_buf(out, line + i, (int)(ph - (line + i)));
		if (match) {
			out = jv_string_append_buf(out, r->pastes[k - 1].p, (int)r->pastes[k - 1].n);
			i = (size_t)(ph - line) + strlen(want);
		} else {
			out = jv_string_append_buf(out, ph, 7);
			i = (size_t)(ph - line) + 7;
		}
	}
	return out;
}

/* ---- completion ---- */

/* Tab: the word before the cursor, completed by cf_chat_complete's
 * candidates (whole words): one is put in, several put in what they
 * share, or are listed when they share nothing more. */
static unsigned char
fn_complete(EditLine *el, int ch)
{
	(void)ch;
	struct cf_chat *c;
	el_get(el, EL_CLIENTDATA, &c);
	const LineInfo *li = el_line(el);
	size_t cursor = (size_t)(li->cursor - li->buffer);
	char *line = cf_xmalloc((size_t)(li->lastchar - li->buffer) + 1);
	memcpy(line, li->buffer, (size_t)(li->lastchar - li->buffer));
	line[li->lastchar - li->buffer] = '\0';
	size_t start = cursor;
	while (start > 0 && line[start - 1] != ' ')
		start--;
	size_t wlen = cursor - start;
	/* el_deletestr counts characters, not bytes */
	int wchars = 0;
	for (size_t i = start; i < cursor; i++)
		wchars += ((unsigned char)line[i] & 0xc0) != 0x80;
	jv cands = cf_chat_complete(c, line, cursor);
	unsigned char ret = CC_REFRESH_BEEP;
	int n = jv_is_valid(cands) && jv_get_kind(cands) == JV_KIND_ARRAY ?
	        jv_array_length(jv_copy(cands)) : 0;
	if (n == 1) {
		jv w = jv_array_get(jv_copy(cands), 0);
		const char *s = jv_get_kind(w) == JV_KIND_STRING ? jv_string_value(w) : "";
		el_deletestr(el, wchars);
		el_insertstr(el, s);
		if (*s && s[strlen(s) - 1] != '/')
			el_insertstr(el, " ");
		jv_free(w);
		ret = CC_REFRESH;
	} else if (n > 1) {
		jv first = jv_array_get(jv_copy(cands), 0);
		size_t common = jv_get_kind(first) == JV_KIND_STRING ?
			strlen(jv_string_value(first)) : 0;
		jv_array_foreach(cands, i, w) {
			const char *s = jv_get_kind(w) == JV_KIND_STRING ? jv_string_value(w) : "";
			size_t k = 0;
			while (k < common && s[k] == jv_string_value(first)[k])
				k++;
			common = k;
			jv_free(w);
			(void)i;
		}
		/* never half a character: el_insertstr takes none of it */
		while (common > wlen &&
		       ((unsigned char)jv_string_value(first)[common] & 0xc0) == 0x80)
			common--;
		if (common > wlen) {
			char *pre = cf_xmalloc(common + 1);
			memcpy(pre, jv_string_value(first), common);
			pre[common] = '\0';
			el_deletestr(el, wchars);
			el_insertstr(el, pre);
			free(pre);
			ret = CC_REFRESH;
		} else {
			fputc('\n', stdout);
			int col = 0, width = term_width();
			jv_array_foreach(cands, i, w) {
				char clean[512];
				cf_clean(jv_get_kind(w) == JV_KIND_STRING ? jv_string_value(w) : "",
				         clean, sizeof clean, 0, 0);
				int cw = cf_width(clean) + 2;
				if (col && col + cw > width) {
					fputc('\n', stdout);
					col = 0;
				}
				printf("%s  ", clean);
				col += cw;
				jv_free(w);
				(void)i;
			}
			fputc('\n', stdout);
			fflush(stdout);
			ret = CC_REDISPLAY;
		}
		jv_free(first);
	}
	jv_free(cands);
	free(line);
	return ret;
}

/* ---- the history file ---- */

static int
mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int e = mkdir(path, 0700) != 0 && errno != EEXIST;
		*p = '/';
		if (e)
			return -1;
	}
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void
hist_open(struct repl *r)
{
	HistEvent ev;
	r->hist = history_init();
	history(r->hist, &ev, H_SETSIZE, 1000);
	history(r->hist, &ev, H_SETUNIQUE, 1);
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (state && *state)
		snprintf(r->hist_path, sizeof r->hist_path, "%s/confab/history", state);
	else if (home && *home)
		snprintf(r->hist_path, sizeof r->hist_path, "%s/.local/state/confab/history", home);
	else
		return;
	history(r->hist, &ev, H_LOAD, r->hist_path);
}

static void
hist_warn(struct repl *r, const char *why)
{
	if (r->hist_warned)
		return;
	r->hist_warned = 1;
	printf("%s: cannot write the history '%s': %s; the chat goes on without it\n",
	       cf_prog, r->hist_path, why);
	fflush(stdout);
}

/* "/plugin config NAME KEY VALUE" without its VALUE, which may be a
 * token (never echoed, so not kept either), into buf; else line. */
static const char *
hist_redact(const char *line, char *buf, size_t n)
{
	const char *p = line + strspn(line, " \t");
	if (strncmp(p, "/plugin", 7) || !strchr(" \t", p[7]) || !p[7])
		return line;
	p += 7 + strspn(p + 7, " \t");
	if (strncmp(p, "config", 6) || !p[6] || !strchr(" \t", p[6]))
		return line;
	p += 6;
	for (int w = 0; w < 2; w++) {   /* NAME and KEY */
		p += strspn(p, " \t");
		p += strcspn(p, " \t");
	}
	snprintf(buf, n, "%.*s ", (int)(p - line), line);
	return buf;
}

/* Each line goes to the file at once, so a killed confab loses none. */
static void
hist_add(struct repl *r, const char *line)
{
	HistEvent ev;
	char redacted[1024];
	if (!*line)
		return;
	line = hist_redact(line, redacted, sizeof redacted);
	history(r->hist, &ev, H_ENTER, line);
	if (!*r->hist_path || r->hist_warned)
		return;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", r->hist_path);
	*strrchr(dir, '/') = '\0';
	if (mkdirs(dir) != 0) {
		hist_warn(r, strerror(errno));
		return;
	}
	/* made 0600 here: history(3) would make it with the umask's mode */
	int fd = open(r->hist_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		hist_warn(r, strerror(errno));
		return;
	}
	close(fd);
	errno = 0;
	if (history(r->hist, &ev, H_SAVE, r->hist_path) < 0)
		hist_warn(r, errno ? strerror(errno) : "write failed");
}

/* ---- the prompt ---- */

static char *
prompt_fn(EditLine *el)
{
	struct cf_chat *c;
	el_get(el, EL_CLIENTDATA, &c);
	return ((struct repl *)c->priv)->prompt;
}

/* The model provider p answers with when none is set, or NULL.  A
 * provider of the config with a bad type raises: the prompt then names
 * no model, and the turn says what is wrong. */
static const char *
default_model(const char *p)
{
	struct cf_catch k;
	if (CF_TRY(&k))
		return NULL;
	const struct cf_provider *pp = cf_provider_find(p);
	const char *m = pp ? cf_provider_model(p, pp) : NULL;
	cf_catch_pop(&k);
	return m;
}

static void
make_prompt(struct cf_chat *c)
{
	struct repl *r = c->priv;
	struct cf_tab *t = cur_tab(c);
	char name[256], model[256], att[512] = "";
	if (r->multi || r->cont) {
		snprintf(r->prompt, sizeof r->prompt, "%s... ", r->multi ? "multi" : "");
		return;
	}
	cf_clean(cf_jstr(t->session, "name"), name, sizeof name, 40, 0);
	const char *m = cf_jstr_or_null(t->session, "model");
	const char *p = cf_jstr_or_null(t->session, "provider");
	if (!m && p)
		m = default_model(p);
	cf_clean(m ? m : "default model", model, sizeof model, 40, 0);
	if (jv_get_kind(t->attach) == JV_KIND_ARRAY && jv_array_length(jv_copy(t->attach))) {
		size_t o = (size_t)snprintf(att, sizeof att, " +");
		jv_array_foreach(t->attach, i, a) {
			const char *path = jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : "";
			const char *base = strrchr(path, '/');
			char clean[128];
			cf_clean(base ? base + 1 : path, clean, sizeof clean, 30, 0);
			if (o < sizeof att)
				o += (size_t)snprintf(att + o, sizeof att - o, "%s%s",
				                      i ? ", " : " ", clean);
			jv_free(a);
		}
	}
	cf_chat_plugin_prompt(t, att, sizeof att);
	const char *b = c->color ? "\1\033[1m\1" : "", *d = c->color ? "\1\033[2m\1" : "",
	           *z = c->color ? "\1\033[0m\1" : "";
	snprintf(r->prompt, sizeof r->prompt, "%s%s%s %s(%s)%s%s%s> ", b, name, z, d,
	         model, z, *att ? " " : "", att + (*att ? 1 : 0));
}

/* ---- the editor ---- */

/* the draft in $VISUAL or $EDITOR (editor.c): the text written, or an
 * error value saying the draft is kept. */
static jv
run_editor(struct cf_chat *c, jv draft)
{
	(void)c;
	jv res = cf_editor_run(jv_string_value(draft), "confab-draft");
	jv_free(draft);
	got_int = 0;   /* a Ctrl-C in the editor was the editor's */
	if (jv_is_valid(res))
		return res;
	jv m = cf_error_message(res);
	jv e = cf_error(cf_error_status(res), "%s; the draft is kept", jv_string_value(m));
	jv_free(m);
	jv_free(res);
	return e;
}

/* ---- a turn ---- */

/* Replies are drawn by the renderer on a terminal that wants it, else
 * shown as written (cleaned of control characters). */
static int
rendering(struct cf_chat *c)
{
	return cf_render_wanted(STDOUT_FILENO, c->plain);
}

struct shown {
	struct cf_chat *c;
	cf_render *r;
	int any, last_nl;
	struct cf_turn *tu;
	struct cf_thinking_out th;   /* the reply's thinking, dimmed, first */
};

static void
think(struct shown *o)
{
	jv parts, open;
	cf_turn_parts(o->tu, &parts, &open);
	cf_thinking_follow(&o->th, parts, open);
}

static void
put_shown(void *ctx, const char *s, size_t n)
{
	struct shown *o = ctx;
	if (!n)
		return;
	fwrite(s, 1, n, stdout);
	o->last_nl = s[n - 1] == '\n';
}

static void
on_text(void *ctx, const char *s, size_t n)
{
	struct shown *o = ctx;
	if (!n)
		return;
	think(o);
	if (o->th.any)
		cf_thinking_done(&o->th);
	o->any = 1;
	if (o->r) {
		cf_render_feed(o->r, s, n);
		return;
	}
	char *t = cf_xmalloc(n + 1);
	memcpy(t, s, n);
	t[n] = '\0';
	cf_put_clean(t);
	free(t);
	o->last_nl = s[n - 1] == '\n';
}

static void
on_flush(void *ctx)
{
	struct shown *o = ctx;
	think(o);
	if (got_winch) {
		/* what is drawn from here on takes the new width */
		got_winch = 0;
		o->c->width = term_width();
		if (o->r)
			cf_render_set_width(o->r, o->c->width);
	}
	if (fflush(stdout) != 0 && errno == EIO) {
		/* the terminal is gone (its SIGHUP may never come: the shell
		 * that had it may ignore it): stop, keep what came */
		got_term = SIGHUP;
		cf_interrupted = 1;
	}
}

static void
on_note(void *ctx, const char *line)
{
	struct shown *o = ctx;
	char clean[1024];
	cf_clean(line, clean, sizeof clean, 0, 0);
	printf("%s%s%s%s\n", o->any && !o->last_nl ? "\n" : "",
	       o->c->color ? CF_DIM : "", clean, o->c->color ? CF_RESET : "");
	o->last_nl = 1;
	fflush(stdout);
}

static void
on_end(void *ctx)
{
	think(ctx);
	streaming = 0;   /* from here a Ctrl-C is the prompt's */
}

/* A round after tool calls streams again, its parts counted from 0: the
 * thinking is followed from there. */
static void
on_send(void *ctx)
{
	struct shown *o = ctx;
	o->th.part = -1;
	o->th.off = 0;
	streaming = 1;
}

/* The reply so far is drawn whole before the question. */
static int
on_tool(void *ctx, jv call)
{
	struct shown *o = ctx;
	if (o->r) {
		cf_render_finish(o->r);
		cf_render_free(o->r);
		o->r = cf_render_new(&(struct cf_render_opt){.width = o->c->width,
			.color = 1, .hyperlinks = 1, .put = put_shown, .ctx = o});
	}
	if (o->any && !o->last_nl)
		fputc('\n', stdout);
	o->last_nl = 1;
	int answer = cf_chat_ask_tool(o->c, call);
	if (answer == CF_TOOL_ALLOW || answer == CF_TOOL_ALWAYS)
		streaming = 1;   /* a Ctrl-C stops the tool (plugin.c kills it) */
	return answer;
}

static void
on_tool_result(void *ctx, jv call, jv res)
{
	struct shown *o = ctx;
	if (o->any && !o->last_nl)
		fputc('\n', stdout);
	o->last_nl = 1;
	cf_chat_tool_result(o->c, call, res);
}

/* The session of tab t as the store has it now, or jv_invalid() when it
 * is gone (deleted by another program). */
static jv
reread(struct cf_chat *c, struct cf_tab *t)
{
	struct cf_catch k;
	if (CF_TRY(&k))
		return cf_error(k.code, "%s", k.msg);
	jv s = cf_session_get(c->st, cf_jstr(t->session, "id"));
	cf_catch_pop(&k);
	return jv_is_valid(s) ? s : cf_error(CF_EX_NOTFOUND, "gone");
}

/* A new session with the settings of old (consumed), in the store. */
static jv
remake(struct cf_chat *c, jv old)
{
	jv rec = jv_object();
	const char *keep[] = {"name", "provider", "model", "settings", NULL};
	for (int i = 0; keep[i]; i++)
		rec = jv_object_set(rec, jv_string(keep[i]),
		                    jv_object_get(jv_copy(old), jv_string(keep[i])));
	jv_free(old);
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(c->st);
		return cf_error(k.code, "%s", k.msg);
	}
	jv_free(cf_bridge(cf_store_begin(c->st)));
	rec = cf_bridge(cf_session_insert(c->st, rec));
	jv_free(cf_bridge(cf_store_commit(c->st)));
	cf_catch_pop(&k);
	return rec;
}

/* A session confab made at start, still unnamed, takes its name from its
 * first message, as chat-send's do. */
static void
name_fresh(struct cf_chat *c, struct cf_tab *t, const char *text)
{
	if (!t->fresh || strcmp(cf_jstr(t->session, "name"), "untitled"))
		return;
	t->fresh = 0;
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(c->st);
		return;   /* the name is a nicety; the turn is stored */
	}
	jv_free(cf_bridge(cf_store_begin(c->st)));
	jv cur = cf_session_get(c->st, cf_jstr(t->session, "id"));
	if (jv_is_valid(cur) && !strcmp(cf_jstr(cur, "name"), "untitled")) {
		cur = jv_object_set(cur, jv_string("name"), cf_session_name_from(text));
		jv_free(cf_bridge(cf_session_update(c->st, jv_copy(cur))));
		jv_free(t->session);
		t->session = cur;
	} else {
		jv_free(cur);
	}
	jv_free(cf_bridge(cf_store_commit(c->st)));
	cf_catch_pop(&k);
}

/* A message the store never got (no API key, a bad config, a vanished
 * attachment) is in no record, and a long paste in no history either:
 * it becomes the draft, for /edit to send again.  Consumes err. */
static jv
kept_as_draft(struct cf_chat *c, const char *text, size_t len, jv err)
{
	jv_free(c->draft);
	c->draft = jv_string_sized(text, (int)len);
	jv m = cf_error_message(err);
	jv e = cf_error(cf_error_status(err), "%s; the message is kept: /edit "
	                "opens it", jv_string_value(m));
	jv_free(m);
	jv_free(err);
	return e;
}

/* /retry's turn: a stored message asked again (cf_turn's again and
 * replace), with this turn's provider and model. */
struct again {
	const char *again, *replace;
	jv over;
};

static jv send_turn(struct cf_chat *c, const char *text, size_t len, struct again *ag);

jv
cf_chat_send(struct cf_chat *c, const char *text, size_t len)
{
	return send_turn(c, text, len, NULL);
}

jv
cf_chat_send_again(struct cf_chat *c, const char *again, const char *replace, jv over)
{
	struct again ag = {again, replace, over};
	return send_turn(c, "", 0, &ag);
}

static jv
send_turn(struct cf_chat *c, const char *text, size_t len, struct again *ag)
{
	struct cf_tab *t = cur_tab(c);
	jv now = reread(c, t);
	if (!jv_is_valid(now) && ag) {
		jv_free(ag->over);
		return now;   /* nothing to ask again in a session that is gone */
	}
	if (!jv_is_valid(now)) {
		if (cf_error_status(now) != CF_EX_NOTFOUND)
			return kept_as_draft(c, text, len, now);
		jv_free(now);
		char name[256];
		cf_clean(cf_jstr(t->session, "name"), name, sizeof name, 60, 0);
		now = remake(c, jv_copy(t->session));
		if (!jv_is_valid(now))
			return kept_as_draft(c, text, len, now);
		cf_chat_say(c, "%s: the session '%s' was deleted by another program; "
		            "the chat goes on in a new one", cf_prog, name);
	}
	jv_free(t->session);
	t->session = now;

	struct cf_turn tu;
	cf_turn_init(&tu);
	if (ag) {
		tu.again = ag->again;
		tu.replace = ag->replace;
		tu.over = ag->over;
	}
	jv e = cf_turn_config(&tu);
	if (!jv_is_valid(e)) {
		cf_turn_release(&tu);
		return ag ? e : kept_as_draft(c, text, len, e);
	}
	jv_free(e);
	/* what is attached, and a /clear, wait for the next new message */
	int natt = !ag && jv_get_kind(t->attach) == JV_KIND_ARRAY ?
		jv_array_length(jv_copy(t->attach)) : 0;
	const char **paths = cf_xmalloc(sizeof *paths * (size_t)(natt + 1));
	for (int i = 0; i < natt; i++) {
		jv p = jv_array_get(jv_copy(t->attach), i);
		paths[i] = jv_get_kind(p) == JV_KIND_STRING ? jv_string_value(p) : "";
		jv_free(p);   /* the array keeps the string */
	}
	struct shown o = {.c = c, .last_nl = 1, .tu = &tu,
	                  .th = {.f = stdout, .color = c->color, .bol = 1, .part = -1}};
	if (rendering(c))
		o.r = cf_render_new(&(struct cf_render_opt){.width = c->width,
			.color = 1, .hyperlinks = 1, .put = put_shown, .ctx = &o});
	tu.st = c->st;
	tu.session = jv_copy(t->session);
	tu.text = text;
	tu.len = len;
	tu.attach = paths;
	tu.nattach = natt;
	struct cf_files pf = {.list = jv_null()};
	jv pr = ag ? jv_false() : cf_chat_plugin_turn(t, &tu, paths, natt, &pf);
	if (!jv_is_valid(pr)) {
		if (o.r)
			cf_render_free(o.r);
		cf_turn_release(&tu);
		free(paths);
		return kept_as_draft(c, text, len, pr);
	}
	int plugged = jv_get_kind(pr) == JV_KIND_TRUE;
	jv_free(pr);
	if (!ag) {
		cf_chat_activity_turn(t, &tu);
		cf_actctx_files(&tu.msg_context, paths, natt);
	}
	tu.reset = ag ? 0 : t->reset;
	tu.records = 0;
	tu.on_text = on_text;
	tu.on_flush = on_flush;
	tu.on_note = on_note;
	tu.on_end = on_end;
	tu.on_send = on_send;
	tu.on_tool = on_tool;
	tu.on_tool_result = on_tool_result;
	tu.ctx = &o;
	/* a SIGTERM or SIGHUP that came while the editor ran still ends
	 * the turn: the message is stored, no reply is waited for */
	cf_interrupted = got_term != 0;
	streaming = 1;
	jv res = cf_turn_tools(&tu);
	streaming = 0;
	if (o.th.any)
		cf_thinking_done(&o.th);
	if (o.r) {
		cf_render_finish(o.r);
		cf_render_free(o.r);
	}
	if (o.any && !o.last_nl)
		fputc('\n', stdout);
	fflush(stdout);
	if (tu.user_id[0] && !ag) {
		/* the message is in (or spooled): its attachments and its
		 * /clear were used */
		jv_free(t->attach);
		t->attach = jv_array();
		t->reset = 0;
		cf_chat_plugin_sent(t);
		cf_chat_activity_sent(t);
	}
	if (jv_get_kind(tu.session) == JV_KIND_OBJECT) {
		jv_free(t->session);
		t->session = jv_copy(tu.session);
	}
	if (ag)
		;   /* the message was stored before: no draft, no name */
	else if (tu.user_id[0])
		name_fresh(c, t, text);
	else if (!jv_is_valid(res))
		res = kept_as_draft(c, text, len, res);
	if (tu.interrupted && jv_is_valid(res)) {
		jv_free(res);
		res = cf_error(CF_EX_SIGINT, "interrupted: the partial reply is kept, "
		               "marked incomplete");
	}
	cf_interrupted = 0;
	cf_turn_release(&tu);
	if (plugged)
		cf_files_free(&pf);
	free(paths);
	return res;
}

/* ---- opening a session ---- */

static void
put_stdout(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	fwrite(s, 1, n, stdout);
}

static void
render_content(const char *s, size_t n, void *ctx)
{
	struct cf_chat *c = ctx;
	cf_render_text(&(struct cf_render_opt){.width = c->width, .color = 1,
		.hyperlinks = 1, .put = put_stdout}, s, n);
}

void
cf_chat_show_message(struct cf_chat *c, jv msg)
{
	cf_human_message_with(msg, rendering(c) ? render_content : NULL, c);
}

static int
show_message(jv m, void *ctx)
{
	cf_chat_show_message(ctx, m);
	return 0;
}

jv
cf_chat_open(struct cf_chat *c, jv session)
{
	const char *id = cf_jstr(session, "id");
	for (int i = 0; i < c->ntabs; i++)
		if (!strcmp(cf_jstr(c->tabs[i].session, "id"), id)) {
			c->cur = i;
			jv_free(c->tabs[i].session);
			c->tabs[i].session = session;
			return jv_true();
		}
	c->tabs = cf_xrealloc(c->tabs, sizeof *c->tabs * (size_t)(c->ntabs + 1));
	c->tabs[c->ntabs] = (struct cf_tab){.session = session, .attach = jv_array()};
	c->cur = c->ntabs++;
	jv meta = jv_object_get(jv_copy(session), jv_string("metadata"));
	double count = cf_jnum(meta, "messageCount", 0);
	jv_free(meta);
	if (count > 0) {
		struct cf_catch k;
		if (CF_TRY(&k))
			return cf_error(k.code, "%s", k.msg);
		if (count > RESUME_SHOWN)
			printf("%s(%.0f earlier messages: /show N shows more)%s\n",
			       c->color ? CF_DIM : "", count - RESUME_SHOWN,
			       c->color ? CF_RESET : "");
		jv_free(cf_bridge(cf_message_list(c->st, id, RESUME_SHOWN, NULL, show_message, c)));
		cf_catch_pop(&k);
		fputc('\n', stdout);
	}
	fflush(stdout);
	return jv_true();
}

/* ---- the loop ---- */

static void
setup_editline(struct cf_chat *c, struct repl *r)
{
	r->el = el_init(cf_prog, stdin, stdout, stderr);
	el_set(r->el, EL_CLIENTDATA, c);
	el_set(r->el, EL_EDITOR, "emacs");
	el_set(r->el, EL_SIGNAL, 0);
	el_set(r->el, EL_GETCFN, getc_fn);
	el_set(r->el, EL_PROMPT_ESC, prompt_fn, '\1');
	el_set(r->el, EL_HIST, history, r->hist);
	/* el_wset: el_set's EL_ADDFN copies the names and never frees them */
	el_wset(r->el, EL_ADDFN, L"confab-event", L"paste, Ctrl-C", fn_event);
	el_wset(r->el, EL_ADDFN, L"confab-complete", L"complete", fn_complete);
	el_set(r->el, EL_BIND, "^]", "confab-event", NULL);
	el_set(r->el, EL_BIND, "^I", "confab-complete", NULL);
	el_set(r->el, EL_BIND, "^R", "em-inc-search-prev", NULL);
	/* the user's ~/.editrc, then ours again for the keys we need */
	el_source(r->el, NULL);
	el_set(r->el, EL_BIND, "^]", "confab-event", NULL);
}

static void
new_tab_session(struct cf_chat *c)
{
	struct cf_settings none;
	cf_settings_init(&none);
	const struct cf_settings *s = c->over ? c->over : &none;
	if (jv_get_kind(c->tmpl) == JV_KIND_OBJECT) {
		jv plan = cf_bridge(cf_template_plan(jv_copy(c->tmpl), s));
		int opening = jv_array_length(jv_object_get(jv_copy(plan), jv_string("messages")));
		jv_free(cf_bridge(cf_store_begin(c->st)));
		jv rec = cf_bridge(cf_template_start(c->st, plan));
		jv_free(cf_bridge(cf_store_commit(c->st)));
		jv_free(cf_chat_open(c, rec));
		c->tabs[c->cur].fresh = !s->name;
		c->tabs[c->cur].made = 1;
		c->tabs[c->cur].opening = opening;
		return;
	}
	jv settings = jv_object();
	settings = jv_object_set(settings, jv_string("maxTokens"), jv_number(4096));
	settings = jv_object_set(settings, jv_string("contextWindow"), jv_number(50));
	jv rec = jv_object_set(jv_object(), jv_string("settings"), settings);
	rec = cf_bridge(cf_settings_defaults(rec));
	if (s->provider)
		rec = jv_object_delete(rec, jv_string("model"));
	rec = cf_bridge(cf_settings_apply(rec, s));
	rec = cf_bridge(cf_settings_default_model(rec));
	jv_free(cf_bridge(cf_store_begin(c->st)));
	rec = cf_bridge(cf_session_insert(c->st, rec));
	jv_free(cf_bridge(cf_store_commit(c->st)));
	jv_free(cf_chat_open(c, rec));
	c->tabs[c->cur].fresh = !s->name;
	c->tabs[c->cur].made = 1;
}

/* A session this confab made and nobody wrote to goes at the end. */
static void
drop_if_unused(struct cf_chat *c, const char *id, int opening)
{
	struct cf_catch k;
	if (CF_TRY(&k)) {
		cf_store_rollback(c->st);
		return;
	}
	jv_free(cf_bridge(cf_store_begin(c->st)));
	jv s = cf_session_get(c->st, id);
	if (jv_is_valid(s)) {
		jv meta = jv_object_get(jv_copy(s), jv_string("metadata"));
		if (cf_jnum(meta, "messageCount", 0) <= opening &&
		    !cf_jstr_or_null(s, "parentSessionId"))
			jv_free(cf_bridge(cf_session_delete(c->st, id)));
		jv_free(meta);
	}
	jv_free(s);
	jv_free(cf_bridge(cf_store_commit(c->st)));
	cf_catch_pop(&k);
}

static void
drop_unused(struct cf_chat *c)
{
	for (int i = 0; i < c->ntabs; i++)
		if (c->tabs[i].made)
			drop_if_unused(c, cf_jstr(c->tabs[i].session, "id"),
			               c->tabs[i].opening);
}

static void
acc_add(struct repl *r, const char *s, size_t n, int nl)
{
	if (jv_get_kind(r->acc) != JV_KIND_STRING) {
		jv_free(r->acc);
		r->acc = jv_string("");
	}
	r->acc = jv_string_append_buf(r->acc, s, (int)n);
	if (nl)
		r->acc = jv_string_append_str(r->acc, "\n");
}

static jv
acc_take(struct repl *r)
{
	jv a = jv_get_kind(r->acc) == JV_KIND_STRING ? r->acc : (jv_free(r->acc), jv_string(""));
	r->acc = jv_null();
	return a;
}

static void
send_text(struct cf_chat *c, jv text)
{
	const char *s = jv_string_value(text);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(text));
	size_t k = 0;
	while (k < n && (s[k] == ' ' || s[k] == '\n' || s[k] == '\t'))
		k++;
	if (k == n) {
		jv_free(text);
		return;   /* nothing to send */
	}
	jv r = cf_chat_send(c, s, n);
	if (!jv_is_valid(r))
		say_error(c, r);
	else
		jv_free(r);
	jv_free(text);
}

/* /edit: the draft in the editor, sent when the editor exits well with
 * text; on failure the draft is kept for the next /edit. */
static void
edit_and_send(struct cf_chat *c, jv draft)
{
	jv_free(c->draft);
	c->draft = jv_copy(draft);
	jv res = run_editor(c, draft);
	if (!jv_is_valid(res)) {
		say_error(c, res);
		return;
	}
	size_t n = (size_t)jv_string_length_bytes(jv_copy(res));
	const char *s = jv_string_value(res);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	jv_free(c->draft);
	c->draft = jv_null();
	if (!n) {
		cf_chat_say(c, "(the draft is empty: nothing sent)");
		jv_free(res);
		return;
	}
	jv t = jv_string_sized(s, (int)n);
	jv_free(res);
	send_text(c, t);
}

static jv
run_command(struct cf_chat *c, const char *line)
{
	struct cf_catch k;
	if (CF_TRY(&k)) {
		/* a library call that still ends the process on error */
		cf_store_rollback(c->st);
		return cf_error(k.code, "%s", k.msg);
	}
	jv r = cf_chat_command(c, line);
	cf_catch_pop(&k);
	return r;
}

/* One line as entered, pastes put back in. */
static void
handle_line(struct cf_chat *c, struct repl *r, jv text)
{
	const char *s = jv_string_value(text);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(text));
	if (r->multi) {
		if (!strcmp(s, "/end")) {
			r->multi = 0;
			jv a = acc_take(r);
			int an = jv_string_length_bytes(jv_copy(a));
			if (an && jv_string_value(a)[an - 1] == '\n') {
				jv b = jv_string_sized(jv_string_value(a), an - 1);
				jv_free(a);
				a = b;
			}
			send_text(c, a);
		} else if (!strcmp(s, "/edit")) {
			r->multi = 0;
			edit_and_send(c, acc_take(r));
		} else {
			acc_add(r, s, n, 1);
		}
		jv_free(text);
		return;
	}
	if (n && s[n - 1] == '\\') {
		acc_add(r, s, n - 1, 1);
		r->cont = 1;
		jv_free(text);
		return;
	}
	if (r->cont) {
		r->cont = 0;
		acc_add(r, s, n, 0);
		jv_free(text);
		send_text(c, acc_take(r));
		return;
	}
	if (s[0] == '/' && s[1] == '/') {
		send_text(c, jv_string(s + 1));
		jv_free(text);
		return;
	}
	if (s[0] != '/') {
		send_text(c, text);
		return;
	}
	size_t w = strcspn(s, " \t");
	const char *arg = s + w + strspn(s + w, " \t");
	if (w == 6 && !strncmp(s, "/multi", 6)) {
		r->multi = 1;
		jv_free(r->acc);
		r->acc = jv_string("");
		if (*arg)
			acc_add(r, arg, strlen(arg), 1);
		cf_chat_say(c, "(multi-line: /end sends, /edit opens it in the editor)");
	} else if (w == 4 && !strncmp(s, "/end", 4)) {
		cf_chat_say(c, "%s: /end without /multi", cf_prog);
	} else if (w == 5 && !strncmp(s, "/edit", 5)) {
		/* a word naming a message of this session is that message
		 * (edit.c); anything else is a draft's text */
		jv r = *arg ? cf_chat_edit_message(c, arg) : jv_false();
		got_int = 0;   /* a Ctrl-C in the editor was the editor's */
		if (jv_get_kind(r) == JV_KIND_FALSE)
			edit_and_send(c, *arg ? jv_string(arg) :
			              jv_get_kind(c->draft) == JV_KIND_STRING ? jv_copy(c->draft) :
			              jv_string(""));
		else if (!jv_is_valid(r))
			say_error(c, r);
		else
			jv_free(r);
	} else {
		jv res = run_command(c, s);
		if (!jv_is_valid(res))
			say_error(c, res);
		else
			jv_free(res);
	}
	jv_free(text);
}

static void
loop(struct cf_chat *c, struct repl *r)
{
	while (!c->quit && !got_term) {
		make_prompt(c);
		static const char on[] = "\033[?2004h", off[] = "\033[?2004l";
		fflush(stdout);
		if (escapes && write(STDOUT_FILENO, on, sizeof on - 1) < 0) {
			/* the terminal is gone; the read says so */
		}
		int n = 0;
		const char *line = el_gets(r->el, &n);
		if (escapes && write(STDOUT_FILENO, off, sizeof off - 1) < 0) {
			/* as above */
		}
		if (got_term)
			break;
		if (r->cancelled) {
			r->cancelled = 0;
			drop_pastes(r);
			fputc('\n', stdout);
			if (r->multi || r->cont)
				cf_chat_say(c, "(the lines so far are dropped)");
			r->multi = r->cont = 0;
			jv_free(r->acc);
			r->acc = jv_null();
			continue;
		}
		if (!line) {
			fputc('\n', stdout);
			break;   /* Ctrl-D on an empty line, or the terminal closed */
		}
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			len--;
		jv text = expand(r, line, len);
		/* history gets what was typed; a long paste stays out of it */
		if (!r->npastes || jv_string_length_bytes(jv_copy(text)) < 4096)
			hist_add(r, jv_string_value(text));
		drop_pastes(r);
		handle_line(c, r, text);
	}
}

int
cf_chat_main(struct cf_chat *c)
{
	if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8"))
		setlocale(LC_CTYPE, "C.UTF-8");
	struct repl *r = cf_xmalloc(sizeof *r);
	memset(r, 0, sizeof *r);
	r->pending = -1;
	r->acc = jv_null();
	c->priv = r;
	c->draft = jv_null();
	c->color = !c->plain && cf_out_color();
	const char *term = getenv("TERM");
	escapes = term && *term && strcmp(term, "dumb");
	c->width = term_width();

	jv err = jv_null();
	/* a --db that is not there is a typo, as for every program but
	 * chat-new and chat-import */
	c->st = cf_store_open_mode(c->db, c->db ? CF_STORE_EXISTING : CF_STORE_WRITE, &err);
	if (!c->st)
		cf_raise(err);   /* cmd/confab.c's cf_uncaught: the one line, the exit */
	jv_free(err);
	if (c->resume) {
		jv s = cf_bridge(cf_resolve_session(c->st, c->resume));
		jv_free(cf_chat_open(c, s));
	} else {
		new_tab_session(c);
	}

	if (tcgetattr(STDIN_FILENO, &r->saved) == 0)
		r->have_saved = 1;
	active = r;
	atexit(restore_terminal);
	handle_signals();
	hist_open(r);
	setup_editline(c, r);
	if (c->bench_exit) {
		make_prompt(c);
		fputs(r->prompt, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	} else {
		loop(c, r);
	}

	drop_unused(c);
	int status = got_term == SIGTERM ? CF_EX_SIGTERM :
	             got_term || r->hung_up ? CF_EX_SIGHUP : CF_EX_OK;
	el_end(r->el);
	history_end(r->hist);
	drop_pastes(r);
	jv_free(r->acc);
	restore_terminal();
	active = NULL;
	for (int i = 0; i < c->ntabs; i++) {
		jv_free(c->tabs[i].session);
		jv_free(c->tabs[i].attach);
		cf_chat_plugin_sent(&c->tabs[i]);
		cf_chat_activity_sent(&c->tabs[i]);
	}
	free(c->tabs);
	c->tabs = NULL;
	c->ntabs = 0;
	jv_free(c->draft);
	cf_store_close(c->st);
	free(r);
	c->priv = NULL;
	fflush(stdout);
	return status;
}
