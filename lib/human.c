/* human.c — output for people on a terminal: tables, headings, messages.
 * Everything a user or a provider wrote passes through cf_clean or
 * cf_put_clean, so no escape sequence in a name or a reply reaches the
 * terminal. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

/* Bytes of one UTF-8 sequence starting at s (1 for a stray byte). */
static int
u8len(const unsigned char *s)
{
	int n = *s < 0x80 ? 1 : *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc0 ? 2 : 1;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* Cells of the character at s (at most n bytes), its length in *len:
 * two for wide CJK and emoji, none for combining marks and other
 * zero-width characters, one for a stray byte (it is shown as one). */
int
cf_char_cells(const char *s, size_t n, size_t *len)
{
	if ((unsigned char)*s < 0x80 || n < 2) {
		*len = 1;
		return 1;
	}
	gunichar c = g_utf8_get_char_validated(s, (gssize)n);
	if (c == (gunichar)-1 || c == (gunichar)-2) {
		*len = 1;
		return 1;
	}
	*len = (size_t)(g_utf8_next_char(s) - s);
	if (g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

int
cf_cells(const char *s, size_t n)
{
	int w = 0;
	for (size_t i = 0, l; i < n; i += l)
		w += cf_char_cells(s + i, n - i, &l);
	return w;
}

void
cf_clean(const char *s, char *out, size_t n, int width, int keep_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	while (*p && o + 5 < n) {
		if (*p == '\n' && keep_nl) {
			out[o++] = '\n';
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = (*p == '\t' && keep_nl) ? '\t' : ' ';
			p++;
			continue;
		}
		int l = u8len(p);
		/* C1 controls (U+0080..U+009F) act as escapes on some terminals */
		if (l == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			out[o++] = ' ';
			p += 2;
			continue;
		}
		memcpy(out + o, p, (size_t)l);
		o += (size_t)l;
		p += l;
	}
	out[o] = '\0';
	if (!width || keep_nl || cf_cells(out, o) <= width)
		return;
	/* too wide: the longest start that leaves a cell for the ellipsis
	 * that marks the cut */
	size_t cut = 0, l;
	for (int w = 0; cut < o; cut += l) {
		int c = cf_char_cells(out + cut, o - cut, &l);
		if (w + c > width - 1)
			break;
		w += c;
	}
	if (cut + 4 > n)
		cut = n - 4;
	while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(out + cut, "\u2026", 4);
}

void
cf_clean_write(FILE *out, const char *s, size_t n, int *c2, int drop)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	int lead = c2 && *c2;
	if (lead && p < end) {
		/* the 0xc2 the last piece ended with */
		lead = 0;
		if (*p >= 0x80 && *p < 0xa0) {
			if (!drop)
				putc(' ', out);
			p++;
		} else {
			putc(0xc2, out);
		}
	}
	while (p < end) {
		const unsigned char *q = p;
		while (q < end && (*q >= 0x20 || *q == '\n' || *q == '\t') && *q != 0x7f &&
		       !(*q == 0xc2 && (q + 1 == end || (q[1] >= 0x80 && q[1] < 0xa0))))
			q++;
		fwrite(p, 1, (size_t)(q - p), out);
		p = q;
		if (p == end)
			break;
		if (*p == 0xc2 && p + 1 == end) {
			if (c2)
				lead = 1;   /* whether it leads a C1 control, the next piece says */
			else
				putc(0xc2, out);
			p++;
			break;
		}
		if (!drop)
			putc(' ', out);
		p += *p == 0xc2 ? 2 : 1;
	}
	if (c2)
		*c2 = lead;
}

void
cf_put_clean(const char *s)
{
	cf_clean_write(stdout, s, strlen(s), NULL, 0);
}

int
cf_width(const char *s)
{
	return cf_cells(s, strlen(s));
}

void
cf_pad(const char *s, int w, int right)
{
	int k = w - cf_width(s);
	if (right)
		for (; k > 0; k--)
			putchar(' ');
	fputs(s, stdout);
	if (!right)
		for (; k > 0; k--)
			putchar(' ');
}

static int64_t
rec_ms(jv rec, const char *key)
{
	int64_t ms = 0;
	cf_time_parse(cf_jstr(rec, key), &ms);
	return ms;
}

/* A search snippet: the highlight cf_session_list put around the match is
 * kept (as color, when there is color), the rest is cleaned like any text. */
static void
put_snippet(const char *s)
{
	static const char open[] = CF_BOLD CF_YELLOW, close[] = CF_RESET;
	char seg[1024], buf[1024];
	while (*s) {
		const char *o = strstr(s, open), *c = strstr(s, close);
		const char *m = o && (!c || o < c) ? o : c;
		int n = m ? (int)(m - s) : (int)strlen(s);
		snprintf(seg, sizeof seg, "%.*s", n, s);
		cf_clean(seg, buf, sizeof buf, 0, 0);
		fputs(buf, stdout);
		if (!m)
			break;
		fputs(cf_c(m == o ? open : close), stdout);
		s = m + (m == o ? sizeof open : sizeof close) - 1;
	}
}

void
cf_human_sessions(cf_store *st, jv list)
{
	int n = jv_array_length(jv_copy(list));
	int wid = 2, wname = 4, wmodel = 5;
	int64_t now = cf_now_ms();
	struct row {
		char id[37], name[200], model[120], when[32], tags[120];
		long msgs;
		int star, archived;
	} *rows = cf_xmalloc(sizeof *rows * (size_t)(n ? n : 1));

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(list), i);
		struct row *w = &rows[i];
		cf_session_short_id(st, cf_jstr(r, "id"), 8, w->id);
		cf_clean(cf_jstr(r, "name"), w->name, sizeof w->name, 40, 0);
		char pm[200];
		const char *p = cf_jstr_or_null(r, "provider");
		const char *m = cf_jstr_or_null(r, "model");
		snprintf(pm, sizeof pm, "%s%s%s", p ? p : "-", m ? "/" : "", m ? m : "");
		cf_clean(pm, w->model, sizeof w->model, 36, 0);
		cf_time_rel(rec_ms(r, "lastUpdated"), now, w->when, sizeof w->when);
		jv meta = jv_object_get(jv_copy(r), jv_string("metadata"));
		w->msgs = (long)cf_jnum(meta, "messageCount", 0);
		w->star = cf_jbool(meta, "starred");
		w->archived = cf_jbool(meta, "archived");
		jv tags = jv_object_get(jv_copy(meta), jv_string("tags"));
		jv joined = jv_string("");
		if (jv_get_kind(tags) == JV_KIND_ARRAY) {
			jv_array_foreach(tags, k, t) {
				if (jv_get_kind(t) == JV_KIND_STRING)
					joined = jv_string_concat(joined,
						jv_string_fmt("%s#%s", k ? " " : "", jv_string_value(t)));
				jv_free(t);
			}
		}
		cf_clean(jv_string_value(joined), w->tags, sizeof w->tags, 40, 0);
		jv_free(joined);
		jv_free(tags);
		jv_free(meta);
		if (cf_width(w->id) > wid) wid = cf_width(w->id);
		if (cf_width(w->name) + 2 > wname) wname = cf_width(w->name) + 2;
		if (cf_width(w->model) > wmodel) wmodel = cf_width(w->model);
		jv_free(r);
	}
	if (n) {
		printf("%s", cf_c(CF_DIM));
		cf_pad("ID", wid, 0);
		printf("  ");
		cf_pad("NAME", wname, 0);
		printf("  ");
		cf_pad("MODEL", wmodel, 0);
		printf("  %5s  %-10s  TAGS%s\n", "MSGS", "UPDATED", cf_c(CF_RESET));
	}
	for (int i = 0; i < n; i++) {
		struct row *w = &rows[i];
		jv r = jv_array_get(jv_copy(list), i);
		printf("%s", cf_c(CF_YELLOW));
		cf_pad(w->id, wid, 0);
		printf("%s  %s%s%s", cf_c(CF_RESET), w->star ? "*" : " ",
		       w->archived ? "~" : " ", cf_c(CF_BOLD));
		cf_pad(w->name, wname - 2, 0);
		printf("%s  ", cf_c(CF_RESET));
		cf_pad(w->model, wmodel, 0);
		printf("  %5ld  %s", w->msgs, cf_c(CF_DIM));
		cf_pad(w->when, 10, 0);
		printf("%s  %s%s%s\n", cf_c(CF_RESET), cf_c(CF_CYAN), w->tags,
		       cf_c(CF_RESET));
		jv m = jv_object_get(r, jv_string("match"));
		const char *snip = cf_jstr_or_null(m, "snippet");
		if (snip) {
			printf("%*s", wid + 2, "");
			put_snippet(snip);
			putchar('\n');
		}
		jv_free(m);
		cf_out_check();
	}
	free(rows);
	jv_free(list);
}

void
cf_human_session_head(cf_store *st, jv rec)
{
	char id[37], name[400];
	cf_session_short_id(st, cf_jstr(rec, "id"), 8, id);
	cf_clean(cf_jstr(rec, "name"), name, sizeof name, 80, 0);
	jv meta = jv_object_get(jv_copy(rec), jv_string("metadata"));
	printf("%s%s%s  %s%s%s  %ld messages%s\n", cf_c(CF_BOLD), name,
	       cf_c(CF_RESET), cf_c(CF_YELLOW), id, cf_c(CF_DIM),
	       (long)cf_jnum(meta, "messageCount", 0), cf_c(CF_RESET));
	jv_free(meta);
}

/* A size as people read it: 512 B, 1.5 KiB, 20.0 MiB. */
static void
human_size(double n, char out[32])
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (n >= 1024 && u < 4) {
		n /= 1024;
		u++;
	}
	if (u)
		snprintf(out, 32, "%.1f %s", n, unit[u]);
	else
		snprintf(out, 32, "%.0f B", n);
}

/* The attachments a message carries, a line each: name, type, size. */
static void
put_attachments(jv meta)
{
	jv list = jv_object_get(jv_copy(meta), jv_string("attachments"));
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, a) {
			char name[200], type[120], size[32];
			const char *mime = cf_jstr_or_null(a, "mimeType");
			cf_clean(cf_jstr(a, "name"), name, sizeof name, 80, 0);
			cf_clean(mime ? mime : cf_jstr(a, "type"), type, sizeof type, 60, 0);
			human_size(cf_jnum(a, "size", 0), size);
			printf("%s[attached] %s%s%s  %s · %s%s\n", cf_c(CF_DIM), cf_c(CF_RESET),
			       name, cf_c(CF_DIM), type, size, cf_c(CF_RESET));
			jv_free(a);
		}
	}
	jv_free(list);
}

jv
cf_msg_marks(jv msg, const char *key)
{
	jv md = jv_object_get(jv_copy(msg), jv_string("metadata"));
	jv a = jv_get_kind(md) == JV_KIND_OBJECT ? jv_object_get(md, jv_string(key)) :
	       (jv_free(md), jv_invalid());
	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		return jv_array();
	}
	return a;
}

char *
cf_marks_line(jv msg, int who)
{
	GString *g = g_string_new("");
	jv edits = cf_msg_marks(msg, "edits");
	int n = jv_array_length(edits);
	if (n)
		g_string_append_printf(g, "(edited %d\u00d7)", n);
	/* one entry per emoji, in the order each was first given */
	jv reactions = cf_msg_marks(msg, "reactions");
	jv seen = jv_array();
	jv_array_foreach(reactions, i, r) {
		const char *e = cf_jstr(r, "emoji");
		int known = 0;
		jv_array_foreach(seen, k, s) {
			known |= !strcmp(jv_string_value(s), e);
			jv_free(s);
		}
		if (*e && !known) {
			seen = jv_array_append(seen, jv_string(e));
			int count = 0;
			GString *users = g_string_new("");
			jv_array_foreach(reactions, j, o) {
				if (!strcmp(cf_jstr(o, "emoji"), e)) {
					g_string_append_printf(users, "%s%s", count ? ", " : "",
					                       cf_jstr(o, "user"));
					count++;
				}
				jv_free(o);
			}
			g_string_append_printf(g, "%s%s %s", g->len ? (i && jv_array_length(jv_copy(seen)) > 1 ? "  " : " \u00b7 ") : "",
			                       e, "");
			if (who)
				g_string_append(g, users->str);
			else
				g_string_append_printf(g, "%d", count);
			g_string_free(users, TRUE);
		}
		jv_free(r);
	}
	jv_free(seen);
	jv_free(reactions);
	return g_string_free(g, FALSE);
}

char *
cf_note_head(jv note)
{
	char when[40];
	cf_when_human(cf_jstr(note, "timestamp"), when);
	return g_strdup_printf(" (%s, %s): ", cf_jstr(note, "author"), when);
}

static int history;

void
cf_human_history(int on)
{
	history = on;
}

static int authors;

void
cf_human_authors(int on)
{
	authors = on;
}

/* A message's text: through the renderer when there is one, else
 * cleaned of controls and ended with a newline. */
static void
put_content(const char *c, void (*content)(const char *s, size_t n, void *ctx), void *ctx)
{
	if (content) {
		fflush(stdout);
		content(c, strlen(c), ctx);
		return;
	}
	cf_put_clean(c);
	if (*c && c[strlen(c) - 1] != '\n')
		putchar('\n');
}

char *
cf_version_head(jv edit, int i, int n)
{
	if (jv_get_kind(edit) != JV_KIND_OBJECT)
		return g_strdup_printf("version %d of %d \u00b7 current", i + 1, n);
	char when[40];
	cf_when_human(cf_jstr(edit, "timestamp"), when);
	const char *who = cf_jstr(edit, "editedBy");
	return g_strdup_printf("version %d of %d \u00b7 %s %s%s%s", i + 1, n,
	                       !strcmp(cf_jstr(edit, "kind"), "retry") ? "retried" : "replaced",
	                       when, *who ? " by " : "", who);
}

/* --history: each earlier version, oldest first, under a line saying when
 * it was replaced and by whom; then a line for the current one. */
static void
put_versions(jv msg, void (*content)(const char *s, size_t n, void *ctx), void *ctx)
{
	jv edits = cf_msg_marks(msg, "edits");
	int n = jv_array_length(jv_copy(edits));
	for (int i = 0; n && i <= n; i++) {
		jv e = i < n ? jv_array_get(jv_copy(edits), i) : jv_null();
		char *head = cf_version_head(e, i, n + 1), buf[512];
		cf_clean(head, buf, sizeof buf, 120, 0);
		printf("%s\u2500\u2500 %s \u2500\u2500%s\n", cf_c(CF_DIM), buf, cf_c(CF_RESET));
		g_free(head);
		if (i < n)
			put_content(cf_jstr(e, "content"), content, ctx);
		jv_free(e);
	}
	jv_free(edits);
}

/* Under the content: the edit count and reactions on a line, then each
 * note as a marked block: who and when, the words it is on, its text. */
static void
put_marks(jv msg)
{
	char *line = cf_marks_line(msg, history);
	if (*line) {
		char buf[1024];
		cf_clean(line, buf, sizeof buf, 0, 0);
		printf("%s%s%s\n", cf_c(CF_DIM), buf, cf_c(CF_RESET));
	}
	free(line);
	jv notes = cf_msg_marks(msg, "notes");
	jv_array_foreach(notes, i, n) {
		char *head = cf_note_head(n);
		printf("%s\u2503 %snote%s", cf_c(CF_YELLOW), cf_c(CF_BOLD), cf_c(CF_RESET));
		size_t hl = strlen(head);
		if (hl > 3)
			head[hl - 2] = '\0';   /* no ": " on a line of its own */
		cf_put_clean(head);
		putchar('\n');
		free(head);
		const char *quote = cf_jstr_or_null(n, "quote");
		if (quote && *quote) {
			printf("%s\u2503%s on \u201c", cf_c(CF_YELLOW), cf_c(CF_RESET));
			cf_put_clean(quote);
			printf("\u201d\n");
		}
		const char *t = cf_jstr(n, "text");
		while (*t) {
			size_t k = strcspn(t, "\n");
			char *l = g_strndup(t, k);
			printf("%s\u2503%s ", cf_c(CF_YELLOW), cf_c(CF_RESET));
			cf_put_clean(l);
			putchar('\n');
			g_free(l);
			t += k + (t[k] == '\n');
		}
		jv_free(n);
	}
	jv_free(notes);
}

void
cf_human_message_with(jv msg, void (*content)(const char *s, size_t n, void *ctx),
                      void *ctx)
{
	const char *role = cf_jstr(msg, "role");
	const char *color = !strcmp(role, "user") ? CF_GREEN :
	                    !strcmp(role, "assistant") ? CF_MAGENTA : CF_CYAN;
	int64_t ms = rec_ms(msg, "timestamp");
	char when[32], rel[32], stamp[25], model[120] = "", stop[80] = "", who[140] = "";
	cf_time_fmt(ms, stamp);
	snprintf(when, sizeof when, "%.10s %.5s UTC", stamp, stamp + 11);
	cf_time_rel(ms, cf_now_ms(), rel, sizeof rel);
	jv meta = jv_object_get(jv_copy(msg), jv_string("metadata"));
	const char *m = cf_jstr_or_null(meta, "model");
	if (m && strcmp(role, "user"))
		cf_clean(m, model, sizeof model, 60, 0);
	const char *a = authors ? cf_jstr_or_null(meta, "author") : NULL;
	if (a && *a) {
		char c[120];
		cf_clean(a, c, sizeof c, 40, 0);
		/* a reply's author is who asked for it */
		snprintf(who, sizeof who, " · %s%s", strcmp(role, "assistant") ? "" : "for ", c);
	}
	/* /clear: what comes before this message is not in its context */
	if (cf_jbool(meta, "contextReset"))
		printf("\n%s──── context cleared ────────────────────────────%s\n",
		       cf_c(CF_DIM), cf_c(CF_RESET));
	if (cf_jbool(meta, "incomplete")) {
		const char *why = cf_jstr_or_null(meta, "stopReason");
		cf_clean(why ? why : "", stop, sizeof stop, 40, 0);
	}
	printf("\n%s%s%s%s%s%s%s  %s%s (%s)%s", cf_c(CF_BOLD), cf_c(color), role,
	       cf_c(CF_RESET), *model ? " · " : "", model, who, cf_c(CF_DIM), when, rel,
	       cf_c(CF_RESET));
	if (cf_jbool(meta, "incomplete"))
		printf("  %sincomplete%s%s%s%s", cf_c(CF_YELLOW), *stop ? " (" : "", stop,
		       *stop ? ")" : "", cf_c(CF_RESET));
	if (cf_jbool(meta, "tokensEstimated"))
		printf("  %s~%.0f tokens, estimated%s", cf_c(CF_DIM),
		       cf_jnum(meta, "outputTokens", 0), cf_c(CF_RESET));
	putchar('\n');
	put_attachments(meta);
	char *carried = cf_context_line(msg);   /* what it was sent with */
	if (*carried)
		printf("%s[%s]%s\n", cf_c(CF_DIM), carried, cf_c(CF_RESET));
	free(carried);
	jv_free(meta);
	if (history)
		put_versions(msg, content, ctx);
	cf_thinking_show(msg, stdout, cf_out_color());   /* before the words it led to */
	put_content(cf_jstr(msg, "content"), content, ctx);
	char *calls = cf_tool_calls_text(msg);   /* a reply's tool calls, dimmed */
	if (*calls) {
		fputs(cf_c(CF_DIM), stdout);
		cf_put_clean(calls);
		fputs(cf_c(CF_RESET), stdout);
	}
	free(calls);
	put_marks(msg);
	cf_out_check();
	jv_free(msg);
}

void
cf_human_message(jv msg)
{
	cf_human_message_with(msg, NULL, NULL);
}

int
cf_version(void)
{
	printf("%s (confab) %s\n", cf_prog, CF_VERSION);
	return cf_out_finish(CF_EX_OK);
}
