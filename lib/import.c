/* import.c — other tools' histories into the store (chat-import): the
 * loop over files, archives and JSON items, and the writer.  Each source
 * is an importer of its own (import.h's table): confab's own JSON export
 * (imp_confab.c), ChatGPT's (imp_chatgpt.c) and Claude.ai's
 * conversations.json (imp_claude.c), and simonw/llm's logs.db
 * (imp_llm.c).
 *
 * Reading and writing are apart.  cf_import_read turns a file into plans,
 * one jv object per session:
 *
 *     {"where": "conversations.json: conversation 3 (\"Trip\")",
 *      "session": {a session record without its parent},
 *      "messages": [message records, as chat-show prints them],
 *      "parent": id or null, "branchPoint": id or null,
 *      "branchIndex": null, or the branch point as an index into the
 *                     parent's messages (the parent's ids are known only
 *                     once it is stored)}
 *
 * checking every field on the way, so a malformed conversation 300 is
 * an error before anything is written.  cf_import_write stores the
 * plans inside the caller's transaction.
 *
 * Ids are stable, so that a second import finds its sessions and skips
 * them: an id that is a UUID is kept, and every other one (ChatGPT's
 * branches, llm's ULIDs, the messages a branch repeats) is a UUIDv5 in
 * confab's namespace of a name made of the source's ids (chat-import(1)
 * lists them). */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arclib.h"
#include "export.h"
#include "import.h"

/* ---- ids ---- */

/* confab's namespace for name-based ids; never change it, or imports
 * made before would be imported again */
static const unsigned char namespace[16] = {
	0xf4, 0x56, 0xd8, 0xba, 0xea, 0x18, 0x4e, 0xf4,
	0x91, 0x91, 0x13, 0x4d, 0x65, 0xfe, 0x8d, 0x08,
};

static void
hex_uuid(const unsigned char *b, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

/* RFC 9562 version 5 (SHA-1) of "a:b" or "a:b:c" (c may be NULL). */
void
imp_uuid5(char out[37], const char *a, const char *b, const char *c)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(ck, namespace, sizeof namespace);
	g_checksum_update(ck, (const guchar *)a, (gssize)strlen(a));
	g_checksum_update(ck, (const guchar *)":", 1);
	g_checksum_update(ck, (const guchar *)b, (gssize)strlen(b));
	if (c) {
		g_checksum_update(ck, (const guchar *)":", 1);
		g_checksum_update(ck, (const guchar *)c, (gssize)strlen(c));
	}
	guint8 d[20];
	gsize n = sizeof d;
	g_checksum_get_digest(ck, d, &n);
	g_checksum_free(ck);
	d[6] = (guint8)(0x50 | (d[6] & 0x0f));
	d[8] = (guint8)(0x80 | (d[8] & 0x3f));
	hex_uuid(d, out);
}

static int
uuid_shaped(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}

/* A source's id as ours: a UUID as it is (in lower case, as ours are),
 * anything else as imp_uuid5(scope:src). */
jv
imp_id_from(const char *scope, const char *src)
{
	char id[37];
	if (uuid_shaped(src)) {
		for (int i = 0; i < 37; i++)
			id[i] = (char)tolower((unsigned char)src[i]);
	} else {
		imp_uuid5(id, scope, src, NULL);
	}
	return jv_string(id);
}

/* ---- reading: errors that say where ---- */

static long files_read;

/* One line: the file, the item, what is wrong (control characters made
 * harmless: names and values come from the file). */
_Noreturn void
imp_bad(struct rd *r, const char *fmt, ...)
{
	char msg[1024], line[1600], clean[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%s: %s%s%s", r->name, r->where,
	         r->where[0] ? ": " : "", msg);
	cf_clean(line, clean, sizeof clean, 0, 0);
	r->err = cf_error(CF_EX_DATA, "%s", clean);
	longjmp(r->jb, 1);
}

/* An error that is not the file's contents: no place named. */
static _Noreturn void __attribute__((format(printf, 3, 4)))
fail(struct rd *r, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->err = cf_error(status, "%s", msg);
	longjmp(r->jb, 1);
}

void
imp_set_where(struct rd *r, const char *noun, const char *title)
{
	char t[128];
	if (title && *title) {
		cf_clean(title, t, sizeof t, 40, 0);
		snprintf(r->where, sizeof r->where, "%s %ld (\"%s\")", noun, r->item, t);
	} else {
		snprintf(r->where, sizeof r->where, "%s %ld", noun, r->item);
	}
}

int
imp_kbit(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: return K_STR;
	case JV_KIND_NUMBER: return K_NUM;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE: return K_BOOL;
	case JV_KIND_ARRAY: return K_ARR;
	case JV_KIND_OBJECT: return K_OBJ;
	default: return K_NULL;
	}
}

static const char *const knames[] = {
	"null", "a string", "a number", "a boolean", "an array", "an object",
};

const char *
imp_kname(int bit)
{
	for (int i = 0; i < 6; i++)
		if (bit == 1 << i)
			return knames[i];
	return "?";
}

/* obj.key as a new reference, jv_null() when absent; of a kind in kinds,
 * or an error naming it as path + key ("message 3: metadata." +
 * "tokens"). */
jv
imp_field(struct rd *r, jv obj, const char *path, const char *key, int kinds)
{
	jv v = jv_invalid();
	if (jv_get_kind(obj) == JV_KIND_OBJECT)
		v = jv_object_get(jv_copy(obj), jv_string(key));
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_null();
	}
	int k = imp_kbit(v);
	if (!(k & kinds)) {
		char want[96] = "";
		for (int i = 1; i <= 6; i++) {   /* null last */
			if (!(kinds & 1 << i % 6))
				continue;
			if (want[0])
				strcat(want, " or ");
			strcat(want, knames[i % 6]);
		}
		jv_free(v);
		if (k == K_NULL && !(kinds & K_NULL))
			imp_bad(r, "%s%s is missing", path, key);
		imp_bad(r, "%s%s is %s, expected %s", path, key, imp_kname(k), want);
	}
	return v;
}

/* "invalid time" naming the item's part first: path is where in the item
 * ("message 3: "), then the field's own path ("metadata."). */
_Noreturn void
imp_bad_time(struct rd *r, const char *path, const char *key, const char *v)
{
	const char *f = path, *p;
	while ((p = strstr(f, ": ")))
		f = p + 2;
	imp_bad(r, "%.*sinvalid time '%s' in %s%s", (int)(f - path), path, v, f, key);
}

/* A number as JSON writes it: whole numbers in full, others as short as
 * reads back the same. */
void
imp_fmt_num(double d, char out[32])
{
	if (d == floor(d) && fabs(d) < 1e21) {
		snprintf(out, 32, "%.0f", d);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* A number (or null) that must lie in [min, max], whole when whole is set;
 * what names it in the error ("message 3: metadata.tokens"). */
jv
imp_check_num(struct rd *r, jv v, const char *what, double min, double max,
              int whole)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return v;
	double d = jv_number_value(v);
	char num[32], lo[32], hi[32];
	imp_fmt_num(d, num);
	if (!(d >= min && d <= max)) {
		imp_fmt_num(min, lo);
		imp_fmt_num(max, hi);
		imp_bad(r, "%s %s out of range (%s to %s)", what, num, lo, hi);
	}
	if (whole && d != floor(d))
		imp_bad(r, "%s %s is not a whole number", what, num);
	return v;
}

/* imp_field() for a number or null, checked by check_num. */
jv
imp_num_field(struct rd *r, jv obj, const char *path, const char *key,
              double min, double max, int whole)
{
	char what[256];
	snprintf(what, sizeof what, "%s%s", path, key);
	return imp_check_num(r, imp_field(r, obj, path, key, K_NUM | K_NULL), what, min,
	                     max, whole);
}

void
imp_check_count(struct rd *r, jv obj, const char *path, const char *key)
{
	jv_free(imp_num_field(r, obj, path, key, 0, COUNT_MAX, 1));
}

/* An RFC 3339 time v (the value of key under path) as ms; it must be
 * one, and within the years 1970 to 9999. */
int64_t
imp_parse_time(struct rd *r, const char *path, const char *key, const char *v)
{
	int64_t ms;
	if (cf_time_parse(v, &ms))
		imp_bad_time(r, path, key, v);
	if (ms < 0 || ms > TIME_MAX_MS)
		imp_bad(r, "%s%s '%s' out of range (years 1970 to 9999)", path, key, v);
	return ms;
}

/* An RFC 3339 time field, or dflt when absent or null. */
int64_t
imp_time_field(struct rd *r, jv obj, const char *path, const char *key,
               int64_t dflt)
{
	jv v = imp_field(r, obj, path, key, K_STR | K_NULL);
	int64_t ms = dflt;
	if (jv_get_kind(v) == JV_KIND_STRING)
		ms = imp_parse_time(r, path, key, jv_string_value(v));
	jv_free(v);
	return ms;
}

/* Unix seconds (ChatGPT's floats), rounded to the millisecond. */
int64_t
imp_unix_field(struct rd *r, jv obj, const char *path, const char *key,
               int64_t dflt)
{
	jv v = imp_field(r, obj, path, key, K_NUM | K_NULL);
	int64_t ms = dflt;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (!(d >= 0 && d * 1000 <= (double)TIME_MAX_MS)) {
			char num[32];
			imp_fmt_num(d, num);
			imp_bad(r, "%s%s %s out of range (years 1970 to 9999)", path, key, num);
		}
		ms = llround(d * 1000);
	}
	jv_free(v);
	return ms;
}

int
imp_blank(jv s)
{
	const char *p = jv_string_value(s);
	int n = jv_string_length_bytes(jv_copy(s));
	for (int i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

jv
imp_set(jv o, const char *key, jv v)
{
	return jv_object_set(o, jv_string(key), v);
}

/* A session record with chat-new's built-in settings (a name that is
 * null or blank is made by new_plan). */
jv
imp_new_session(jv id, jv name, int64_t created, int64_t updated,
                const char *provider, jv model, jv system)
{
	jv st = jv_object();
	st = imp_set(st, "temperature", jv_null());
	st = imp_set(st, "maxTokens", jv_number(4096));
	st = imp_set(st, "systemPrompt", system);
	st = imp_set(st, "autoContext", jv_false());
	st = imp_set(st, "contextWindow", jv_number(50));
	st = imp_set(st, "sendHistory", jv_false());
	jv md = jv_object();
	md = imp_set(md, "tags", jv_array());
	md = imp_set(md, "starred", jv_false());
	md = imp_set(md, "archived", jv_false());
	jv s = jv_object();
	s = imp_set(s, "id", id);
	s = imp_set(s, "name", name);
	s = imp_set(s, "created", cf_time_jv(created));
	s = imp_set(s, "lastUpdated", cf_time_jv(updated < created ? created : updated));
	s = imp_set(s, "provider", provider ? jv_string(provider) : jv_null());
	s = imp_set(s, "model", model);
	s = imp_set(s, "settings", st);
	s = imp_set(s, "metadata", md);
	return s;
}

jv
imp_new_message(const char *role, jv content, int64_t ms, jv meta)
{
	jv m = jv_object();
	m = imp_set(m, "role", jv_string(role));
	m = imp_set(m, "content", content);
	m = imp_set(m, "timestamp", cf_time_jv(ms));
	m = imp_set(m, "metadata", meta);
	return m;
}

/* A session without a name is named after its first message, as llm
 * and Claude.ai name theirs: the first line, cut at 50 characters. */
static jv
name_from(jv name, jv msgs)
{
	if (jv_get_kind(name) == JV_KIND_STRING && !imp_blank(name)) {
		jv_free(msgs);
		return name;
	}
	jv_free(name);
	name = jv_null();
	int n = jv_array_length(jv_copy(msgs));
	for (int i = 0; i < n && jv_get_kind(name) == JV_KIND_NULL; i++) {
		jv m = jv_array_get(jv_copy(msgs), i);
		const char *c = cf_jstr(m, "content");
		while (isspace((unsigned char)*c))
			c++;
		if (*c) {
			char line[256], cut[256];
			snprintf(line, sizeof line, "%.*s", (int)strcspn(c, "\r\n"), c);
			cf_clean(line, cut, sizeof cut, 50, 0);
			name = jv_string(cut);
		}
		jv_free(m);
	}
	jv_free(msgs);
	return jv_get_kind(name) == JV_KIND_NULL ? jv_string("untitled") : name;
}

jv
imp_new_plan(const struct rd *r, jv session, jv messages)
{
	session = imp_set(session, "name",
	                  name_from(jv_object_get(jv_copy(session), jv_string("name")),
	                        jv_copy(messages)));
	char where[420];
	snprintf(where, sizeof where, "%s%s%s", r->name, r->where[0] ? ": " : "",
	         r->where);
	jv p = jv_object();
	p = imp_set(p, "where", jv_string(where));
	p = imp_set(p, "file", jv_string(r->name));
	p = imp_set(p, "fileNo", jv_number(r->file));
	p = imp_set(p, "item", jv_string(r->where));
	p = imp_set(p, "session", session);
	p = imp_set(p, "messages", messages);
	p = imp_set(p, "parent", jv_null());
	p = imp_set(p, "branchPoint", jv_null());
	p = imp_set(p, "branchIndex", jv_null());
	return p;
}

/* An attachment of n bytes is refused above attach-max, naming it after
 * the part of the item path names ("message 3: "). */
void
imp_check_size(struct rd *r, const char *path, const char *name, long n)
{
	long lim = 0;
	jv e = cf_attach_limit(&lim);
	if (cf_is_error(e)) {
		r->err = e;   /* the config's, not the file's: no place named */
		longjmp(r->jb, 1);
	}
	jv_free(e);
	if (n <= lim)
		return;
	const char *f = path, *p;
	while ((p = strstr(f, ": ")))
		f = p + 2;
	char max[32];
	cf_size_text(lim, max, sizeof max);
	imp_bad(r, "%.*sattachment '%s' is %ld bytes, larger than attach-max (%s)",
	        (int)(f - path), path, name, n, max);
}

/* ---- attachments left where they lie ----
 *
 * An attachment's base64 in a file mapped in memory is not parsed into a
 * jv (the file's size again, and its bytes decoded once more to store
 * them): the parser gets a placeholder, "\u0000cf-NONCE:N", and the
 * bytes are read from the mapping when they are checked and when they
 * are stored, the pages given back behind the reading. */

#define SPILL_MIN (64 << 10)


static struct spill *spills;
static size_t nspills, capspills;
static struct {
	void *p;
	size_t len;
} *maps;
static size_t nmaps;
static char nonce[13];

/* Gives back the pages wholly inside [from, to) of a mapping: they are
 * read again from the file if needed, so memory holds what is being read,
 * not all that was. */
static void
drop(const char *from, const char *to)
{
	static uintptr_t page;
	if (!page)
		page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)from + page - 1) & ~(page - 1);
	uintptr_t b = (uintptr_t)to & ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

/* The spill a string stands for, or NULL. */
struct spill *
imp_spill_of(jv s)
{
	if (jv_get_kind(s) != JV_KIND_STRING || !nonce[0])
		return NULL;
	const char *v = jv_string_value(s);
	int n = jv_string_length_bytes(jv_copy(s));
	if (n < 17 || v[0] || memcmp(v + 1, "cf-", 3) || memcmp(v + 4, nonce, 12) ||
	    v[16] != ':')
		return NULL;
	char *e;
	unsigned long i = strtoul(v + 17, &e, 10);
	return e == v + n && i < nspills ? &spills[i] : NULL;
}

/* Decodes a spill a chunk at a time: fn gets each piece of bytes (NULL
 * to count only); -1 when it is not base64. */
long
imp_spill_decode(struct spill *sp, void (*fn)(const unsigned char *, size_t, void *),
                 void *ctx)
{
	enum { IN = 4 << 18 };   /* 1 MiB of bytes out */
	unsigned char *buf = fn ? cf_xmalloc(IN / 4 * 3 + 3) : NULL;
	struct cf_b64 d = {0};
	long total = 0;
	for (size_t at = 0; at < sp->len; at += IN) {
		size_t k = sp->len - at < IN ? sp->len - at : IN;
		size_t n = cf_b64_feed(&d, sp->p + at, k, buf);
		if (sp->mapped)
			drop(sp->p + at, sp->p + at + k);
		if (d.bad)
			break;
		if (fn && n)
			fn(buf, n, ctx);
		total += (long)n;
	}
	free(buf);
	return cf_b64_end(&d) ? -1 : total;
}

static void unmap_all(void);

/* ---- JSON files: one item at a time ---- */

const struct cf_importer *const cf_importers[] = {
	&imp_confab, &imp_chatgpt, &imp_claude, &imp_llm, NULL,
};

static const struct cf_importer *
importer(int format)
{
	for (int i = 0; cf_importers[i]; i++)
		if (cf_importers[i]->format == format)
			return cf_importers[i];
	return NULL;
}

static void
item(struct rd *r, jv v)
{
	const struct cf_importer *im = importer(r->format);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		const char *kind = imp_kname(imp_kbit(v));
		jv_free(v);
		r->where[0] = '\0';
		imp_bad(r, "%s %ld is %s, expected an object",
		        im && im->item ? im->noun : "item", r->item, kind);
	}
	for (int i = 0; !im && cf_importers[i]; i++)
		if (cf_importers[i]->detect && cf_importers[i]->detect(v))
			im = cf_importers[i];
	if (!im) {
		jv_free(v);
		imp_bad(r, "not a confab, ChatGPT or Claude export (item %ld has no "
		        "\"type\": \"session\", \"mapping\" or \"chat_messages\"); "
		        "name the format with --format", r->item);
	}
	r->format = im->format;
	if (im->item)
		im->item(r, v);
	else
		jv_free(v);
	r->where[0] = '\0';
}

/* The file did not parse: jq's parser, run over all of it, says where. */
static _Noreturn void
json_error(struct rd *r, const char *buf, size_t len, size_t at)
{
	jv_parser *jp = jv_parser_new(0);
	size_t off = 0;
	r->where[0] = '\0';
	do {
		size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;
		jv_parser_set_buf(jp, buf + off, (int)n, off + n < len);
		off += n;
		jv v;
		while (jv_is_valid(v = jv_parser_next(jp)))
			jv_free(v);
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv m = jv_invalid_get_msg(v);
			char s[512];
			snprintf(s, sizeof s, "%s", jv_string_value(m));
			s[0] = (char)tolower((unsigned char)s[0]);
			jv_free(m);
			jv_parser_free(jp);
			imp_bad(r, "invalid JSON: %s", s);
		}
		jv_free(v);
	} while (off < len);
	jv_parser_free(jp);
	imp_bad(r, "invalid JSON near byte %zu", at);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}


static void
text_add(struct imp_text *t, const char *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = cf_xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

/* Is the string whose opening quote is at q the value of a "data" key?
 * (start: where the item begins) */
static int
after_data_key(const char *start, const char *q)
{
	while (q > start && strchr(" \t\r\n", q[-1]))
		q--;
	if (q == start || *--q != ':')
		return 0;
	while (q > start && strchr(" \t\r\n", q[-1]))
		q--;
	return q - start >= 6 && !memcmp(q - 6, "\"data\"", 6);
}

/* Where the JSON value at p ends, judged by its brackets and strings
 * alone (jq's parser checks the rest), or NULL when the input ends first
 * or a bracket closes what was not opened.  With t, its text is copied
 * there, the long "data" strings of a mapped file left where they lie
 * (a placeholder for each, and a spill). */
static const char *
value_end(const char *p, const char *end, struct imp_text *t)
{
	const char *start = p, *from = p;
	int depth = 0;
	do {
		if (p >= end)
			return NULL;
		switch (*p++) {
		case '"': {
			const char *s = p;
			int esc = 0;
			for (;;) {
				/* a mebibyte at a time, a mapping's pages given
				 * back behind a long string */
				const char *w = end - p > (1 << 20) ? p + (1 << 20) : end;
				while (p < w && *p != '"' && *p != '\\')
					p++;
				if (p == w && w < end) {
					if (t)
						drop(s, p);
					continue;
				}
				if (p >= end)
					return NULL;
				if (*p == '"')
					break;
				esc = 1;
				p += 2;
			}
			if (t && !esc && (size_t)(p - s) >= SPILL_MIN && after_data_key(start, s - 1)) {
				if (!nonce[0]) {
					char u[37];
					cf_uuid7(u);
					memcpy(nonce, u + 24, 12);
				}
				if (nspills == capspills)
					spills = cf_xrealloc(spills, sizeof *spills *
					                     (capspills = capspills ? capspills * 2 : 16));
				spills[nspills] = (struct spill){s, (size_t)(p - s), -1, 1};
				char ph[64];
				int n = snprintf(ph, sizeof ph, "\"\\u0000cf-%s:%zu\"", nonce, nspills++);
				text_add(t, from, (size_t)(s - 1 - from));
				text_add(t, ph, (size_t)n);
				from = p + 1;
				drop(s, p);
			}
			p++;
			break;
		}
		case '[':
		case '{':
			depth++;
			break;
		case ']':
		case '}':
			if (--depth < 0)
				return NULL;
			break;
		default:
			if (depth == 0)
				while (p < end && !memchr(" \t\r\n,[]{}\"", *p, 11))
					p++;
		}
	} while (depth > 0);
	if (t && nspills > t->first)   /* else the item is parsed where it lies */
		text_add(t, from, (size_t)(p - from));
	return p;
}

/* Are the spills made for an item each in the place of an attachment's
 * data in a confab session record, once?  Anywhere else (another key
 * named data, another format) the item is parsed again as it is. */
static int
spills_in_place(struct rd *r, jv v, size_t first)
{
	size_t made = nspills - first, found = 0;
	const char *type = cf_jstr_or_null(v, "type");
	if (!type || strcmp(type, "session"))
		return 0;
	char *seen = calloc(made, 1);
	if (!seen)
		fail(r, CF_EX_FAIL, "out of memory");
	jv msgs = jv_object_get(jv_copy(v), jv_string("messages"));
	if (jv_get_kind(msgs) == JV_KIND_ARRAY) {
		jv_array_foreach(msgs, i, m) {
			jv md = jv_get_kind(m) == JV_KIND_OBJECT ?
			        jv_object_get(jv_copy(m), jv_string("metadata")) : jv_null();
			jv atts = jv_get_kind(md) == JV_KIND_OBJECT ?
			          jv_object_get(jv_copy(md), jv_string("attachments")) : jv_null();
			if (jv_get_kind(atts) == JV_KIND_ARRAY) {
				jv_array_foreach(atts, k, a) {
					jv d = jv_get_kind(a) == JV_KIND_OBJECT ?
					       jv_object_get(jv_copy(a), jv_string("data")) : jv_null();
					struct spill *sp = imp_spill_of(d);
					size_t at = sp ? (size_t)(sp - spills) : 0;
					if (sp && at >= first && !seen[at - first]) {
						seen[at - first] = 1;
						found++;
					}
					jv_free(d);
					jv_free(a);
					(void)k;
				}
			}
			jv_free(atts);
			jv_free(md);
			jv_free(m);
			(void)i;
		}
	}
	jv_free(msgs);
	free(seen);
	return found == made;
}

static void
parse_one(struct rd *r, const char *buf, size_t len, const char *p, const char *e,
          struct imp_text *t)
{
	/* the text with placeholders, when it has any and they all stand
	 * where attachments' data does; else the item as it lies */
	jv v = jv_invalid();
	if (t && nspills > t->first) {
		if (t->len < INT_MAX)
			v = jv_parse_sized(t->p, (int)t->len);
		if (jv_is_valid(v) && !spills_in_place(r, v, t->first)) {
			jv_free(v);
			v = jv_invalid();
		}
		if (!jv_is_valid(v))
			nspills = t->first;
	}
	if (!jv_is_valid(v)) {
		jv_free(v);
		if (e - p >= INT_MAX)
			imp_bad(r, "item %ld is larger than 2 GiB, more than the JSON parser takes",
			        r->item + 1);
		v = jv_parse_sized(p, (int)(e - p));
	}
	if (!jv_is_valid(v)) {
		jv_free(v);
		json_error(r, buf, len, (size_t)(p - buf));
	}
	r->item++;
	item(r, v);
	if (r->mapped)
		drop(p, e);
}

/* The next item's end, with its text in t when the file is mapped. */
static const char *
next_item(struct rd *r, const char *p, const char *end, struct imp_text *t)
{
	t->len = 0;
	t->first = nspills;
	return value_end(p, end, r->mapped ? t : NULL);
}

/* Each top-level object, and each element of a top-level array, parsed
 * on its own: a 500 MB export never lives in memory as one jv. */
static void
each_item(struct rd *r, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	struct imp_text *tp = r->mapped ? &r->text : NULL;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while ((p = skip_ws(p, end)) < end) {
		if (*p != '[') {
			const char *e = next_item(r, p, end, &r->text);
			if (!e)
				json_error(r, buf, len, (size_t)(p - buf));
			parse_one(r, buf, len, p, e, tp);
			p = e;
			continue;
		}
		p = skip_ws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
			continue;
		}
		for (;;) {
			const char *e = next_item(r, p, end, &r->text);
			if (!e)
				json_error(r, buf, len, (size_t)(p - buf));
			parse_one(r, buf, len, p, e, tp);
			p = skip_ws(e, end);
			if (p < end && *p == ',') {
				p = skip_ws(p + 1, end);
				continue;
			}
			if (p < end && *p == ']') {
				p++;
				break;
			}
			json_error(r, buf, len, (size_t)(p - buf));
		}
	}
	free(r->text.p);
	r->text = (struct imp_text){0};
}

/* ---- files ---- */

static char *
slurp(struct rd *r, FILE *f, size_t *len, const char *head, size_t nhead)
{
	size_t cap = 1 << 16, n = nhead;
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
		cap = (size_t)sb.st_size + 1;
	char *buf = r->buf = cf_xmalloc(cap);
	memcpy(buf, head, nhead);
	for (;;) {
		if (n == cap)
			buf = r->buf = cf_xrealloc(buf, cap *= 2);
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		fail(r, CF_EX_FAIL, "%s: read error: %s", r->name, strerror(errno));
	}
	*len = n;
	return buf;
}

int
cf_import_format(const char *name)
{
	if (!strcmp(name, "auto"))
		return CF_IMPORT_AUTO;
	for (int i = 0; cf_importers[i]; i++)
		if (!strcmp(name, cf_importers[i]->name))
			return cf_importers[i]->format;
	return -1;
}

/* The whole-file source these bytes are, or NULL. */
static const struct cf_importer *
sniffed(const char *buf, size_t len)
{
	for (int i = 0; cf_importers[i]; i++)
		if (cf_importers[i]->sniff && cf_importers[i]->sniff(buf, len))
			return cf_importers[i];
	return NULL;
}

/* zip, tar, and tar compressed with gzip, bzip2, xz or zstd */
static int
is_archive(const unsigned char *b, size_t len)
{
	return (len >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] < 9 && b[3] < 9) ||
	       (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) ||
	       (len >= 3 && !memcmp(b, "BZh", 3)) ||
	       (len >= 6 && !memcmp(b, "\xfd" "7zXZ", 6)) ||
	       (len >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4)) ||
	       (len >= 262 && !memcmp(b + 257, "ustar", 5));
}

static void read_bytes(struct rd *r, char *buf, size_t len, int in_archive);

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Which entries of an archive hold sessions: ChatGPT's and Claude's
 * exports hold conversations.json beside files that are not (users,
 * projects, chat.html, images); chat-export's hold a JSON file per
 * session and a manifest.json. */
static int
wanted(const char *path, int only_conversations)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	if (only_conversations)
		return !strcmp(b, "conversations.json");
	return n > 5 && !strcmp(b + n - 5, ".json") && strcmp(b, "manifest.json");
}

static struct archive *
open_archive(struct rd *r, const char *buf, size_t len)
{
	struct archive *a = r->arch = archive_read_new();
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		imp_bad(r, "unreadable archive: %s", archive_error_string(a));
	return a;
}

/* An entry's name in UTF-8, whatever the locale (NULL: none). */
static const char *
entry_name(struct archive_entry *e)
{
	const char *p = archive_entry_pathname_utf8(e);
	return p ? p : archive_entry_pathname(e);
}

#define ENTRY_MAX ((la_int64_t)INT_MAX - 1)

static void
read_archive(struct rd *r, const char *buf, size_t len)
{
	jv loaded = cf_arc_load("archive import");
	if (!jv_is_valid(loaded)) {
		/* the system's fault, not the file's: no item named */
		char why[1024];
		jv m = cf_error_message(loaded);
		snprintf(why, sizeof why, "%s", jv_string_value(m));
		jv_free(m);
		jv_free(loaded);
		fail(r, CF_EX_FAIL, "%s: %s", r->name, why);
	}
	jv_free(loaded);
	struct archive *a = open_archive(r, buf, len);
	struct archive_entry *e;
	int rc, only = 0;
	/* a first pass over the names: stream formats cannot go back */
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)
		if (archive_entry_filetype(e) == AE_IFREG && entry_name(e) &&
		    !strcmp(base_name(entry_name(e)), "conversations.json"))
			only = 1;
	if (rc != ARCHIVE_EOF)
		imp_bad(r, "unreadable archive: %s", archive_error_string(a));
	archive_read_free(a);
	r->arch = NULL;

	char outer[sizeof r->name];
	int format = r->format, mapped = r->mapped;
	memcpy(outer, r->name, sizeof outer);
	r->mapped = 0;   /* the members are inflated into memory of our own */
	a = open_archive(r, buf, len);
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		const char *path = entry_name(e);
		if (archive_entry_filetype(e) != AE_IFREG || !path || !wanted(path, only))
			continue;
		char full[sizeof r->name * 2];
		snprintf(full, sizeof full, "%s:%s", outer, path);
		cf_clean(full, r->name, sizeof r->name, 0, 0);
		/* what the header says is not believed: memory follows what
		 * inflates, up to what the JSON parser can take at all */
		if (archive_entry_size(e) > ENTRY_MAX)
			imp_bad(r, "larger than 2 GiB, more than can be read");
		size_t cap = archive_entry_size(e) > 0 ? (size_t)archive_entry_size(e) + 1 : 1 << 16;
		size_t n = 0;
		char *data = r->member = cf_xmalloc(cap);
		la_ssize_t got;
		while ((got = archive_read_data(a, data + n, cap - n)) > 0) {
			n += (size_t)got;
			if (n > ENTRY_MAX)
				imp_bad(r, "inflates past 2 GiB, more than can be read");
			if (n == cap)
				data = r->member = cf_xrealloc(data, cap *= 2);
		}
		if (got < 0)
			imp_bad(r, "unreadable: %s", archive_error_string(a));
		r->format = format;
		r->item = 0;
		r->file = ++files_read;
		read_bytes(r, data, n, 1);
		free(data);
		r->member = NULL;
	}
	if (rc != ARCHIVE_EOF)
		imp_bad(r, "unreadable archive: %s", archive_error_string(a));
	archive_read_free(a);
	r->arch = NULL;
	memcpy(r->name, outer, sizeof outer);
	r->mapped = mapped;
}

static void
read_bytes(struct rd *r, char *buf, size_t len, int in_archive)
{
	/* nothing is not malformed: as chat-export takes no sessions, it
	 * says so and goes on (a BOM and blanks are nothing too) */
	const char *p = buf, *end = buf + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	if (skip_ws(p, end) == end) {
		cf_warn("%s: empty, nothing to import", r->name);
		return;
	}
	const struct cf_importer *whole = sniffed(buf, len), *im;
	if (r->format == CF_IMPORT_AUTO && whole)
		r->format = whole->format;
	if (whole && r->format != whole->format)
		imp_bad(r, "%s", whole->misnamed);
	if (!in_archive && is_archive((const unsigned char *)buf, len)) {
		read_archive(r, buf, len);
		return;
	}
	im = importer(r->format);
	if (im && im->file && !whole)
		imp_bad(r, "%s", im->unsniffed);
	if (im && im->file)
		im->file(r, NULL, buf, len);
	else
		each_item(r, buf, len);
}

/* What the jump from imp_bad or fail leaves open, closed; the plans so
 * far (and what they point into) freed. */
static jv
failed(struct rd *r)
{
	if (r->stmt)
		sqlite3_finalize(r->stmt);
	/* and those an importer had open beside it */
	for (sqlite3_stmt *q; r->db && (q = sqlite3_next_stmt(r->db, NULL));)
		sqlite3_finalize(q);
	if (r->db)
		sqlite3_close(r->db);
	if (r->arch)
		archive_read_free(r->arch);
	cf_store_close(r->src);
	free(r->member);
	free(r->buf);
	free(r->text.p);
	jv_free(r->plans);
	unmap_all();
	return r->err;
}

/* ---- another store: moving one ----
 *
 * A store named as a source (sqlite:///path, or a PostgreSQL connection
 * string) is read session by session as chat-export -f json writes it,
 * and each session's JSON goes through the confab importer like a file:
 * the same checks, the same ids and times, and what the store already
 * holds is skipped, so a second move adds nothing.  Parents before their
 * branches (oldest first), for the foreign key from a branch to its
 * parent. */

static int
collect(jv rec, void *ctx)
{
	jv *list = ctx;
	*list = jv_array_append(*list, rec);
	return 0;
}

static jv
activity_collect(void *ctx, jv rec)
{
	jv *list = ctx;
	*list = jv_array_append(*list, rec);
	return jv_true();
}

static int
by_created(const void *a, const void *b)
{
	const char *x = cf_jstr(*(const jv *)a, "created");
	const char *y = cf_jstr(*(const jv *)b, "created");
	int c = strcmp(x ? x : "", y ? y : "");
	return c ? c : strcmp(cf_jstr(*(const jv *)a, "id"), cf_jstr(*(const jv *)b, "id"));
}

static void
read_store(struct rd *r, const char *uri)
{
	jv err = jv_null();
	r->src = cf_store_open_mode(uri, CF_STORE_READ | CF_STORE_EXISTING, &err);
	if (!r->src) {
		jv m = cf_error_message(err);
		r->err = cf_error(cf_error_status(err), "%s", jv_string_value(m));
		jv_free(m);
		jv_free(err);
		longjmp(r->jb, 1);
	}
	struct cf_filter f = {.archived = 2};
	jv list = jv_array();
	err = cf_session_list(r->src, &f, collect, &list);
	if (!jv_is_valid(err)) {
		jv_free(list);
		r->err = err;
		longjmp(r->jb, 1);
	}
	jv_free(err);
	int n = jv_array_length(jv_copy(list));
	jv *v = cf_xmalloc(sizeof *v * (size_t)(n ? n : 1));
	for (int i = 0; i < n; i++)
		v[i] = jv_array_get(jv_copy(list), i);
	jv_free(list);
	qsort(v, (size_t)n, sizeof *v, by_created);
	const struct cf_xopt o = {.header_level = 1, .width = 80};
	for (int i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);
		if (!mem)
			abort();
		jv e = cf_export_session(r->src, v[i], &cf_fmt_json, &o, mem, r->name);
		fclose(mem);
		if (!jv_is_valid(e)) {
			free(buf);
			for (int k = i + 1; k < n; k++)
				jv_free(v[k]);
			free(v);
			r->err = e;
			longjmp(r->jb, 1);
		}
		jv_free(e);
		r->buf = buf;   /* freed by failed() should an item be refused */
		read_bytes(r, buf, len, 0);
		free(buf);
		r->buf = NULL;
	}
	free(v);
	/* the activity log too, as one plan of its own: written in the same
	 * transaction, each event once by its id (a second run adds none) */
	jv events = jv_array();
	err = cf_activity_each(r->src, 0, NULL, NULL, 0, activity_collect, &events);
	if (!jv_is_valid(err)) {
		jv_free(events);
		r->err = err;
		longjmp(r->jb, 1);
	}
	jv_free(err);
	if (jv_array_length(jv_copy(events)))
		r->plans = jv_array_append(r->plans, jv_object_set(jv_object(),
		                           jv_string("activity"), events));
	else
		jv_free(events);
	cf_store_close(r->src);
	r->src = NULL;
}

static void
read_file(struct rd *r, const char *path, int format)
{
	if (path && (!strncmp(path, "sqlite://", 9) || cf_store_is_pg(path))) {
		if (format != CF_IMPORT_AUTO && format != CF_IMPORT_CONFAB)
			fail(r, CF_EX_USAGE, "%s: a store is read as confab's own records, "
			     "not --format %s", r->name, importer(format)->name);
		if (cf_store_is_pg(path)) {
			/* messages name it without the password it may hold */
			char *d = cf_pg_display(path);
			cf_clean(d, r->name, sizeof r->name, 0, 0);
			free(d);
		}
		r->format = CF_IMPORT_CONFAB;
		read_store(r, path);
		return;
	}
	FILE *f = path ? fopen(path, "rb") : stdin;
	if (!f)
		fail(r, CF_EX_FAIL, "cannot open '%s': %s", r->name, strerror(errno));
	struct stat sb;
	int st = fstat(fileno(f), &sb);
	if (st == 0 && S_ISDIR(sb.st_mode)) {
		if (path)
			fclose(f);
		fail(r, CF_EX_FAIL, "cannot read '%s': Is a directory", r->name);
	}
	off_t start = lseek(fileno(f), 0, SEEK_CUR);
	char head[16];
	size_t nhead = fread(head, 1, sizeof head, f);
	/* a database file is opened where it lies (read-only), with the
	 * -wal file beside it that may hold its latest rows */
	const struct cf_importer *whole = path ? sniffed(head, nhead) : NULL;
	if (whole && (format == CF_IMPORT_AUTO || format == whole->format)) {
		fclose(f);
		r->format = whole->format;
		whole->file(r, path, NULL, 0);
		return;
	}
	/* A file is mapped, not read into memory: its pages are given back as
	 * it is parsed, and attachments are stored from where they lie.  The
	 * mapping is private and writable for read_llm's change to a
	 * database's header. */
	if (st == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && start == 0 &&
	    (uintmax_t)sb.st_size < SIZE_MAX) {
		void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE, fileno(f), 0);
		if (m != MAP_FAILED) {
			if (path)
				fclose(f);
			maps = cf_xrealloc(maps, sizeof *maps * (nmaps + 1));
			maps[nmaps].p = m;
			maps[nmaps++].len = (size_t)sb.st_size;
			madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
			r->mapped = 1;
			read_bytes(r, m, (size_t)sb.st_size, 0);
			return;
		}
	}
	size_t len;
	char *buf = slurp(r, f, &len, head, nhead);
	if (path)
		fclose(f);
	read_bytes(r, buf, len, 0);
	free(buf);
	r->buf = NULL;
}

jv
cf_import_read(jv plans, const char *path, const char *name, int format)
{
	struct rd r = {.format = format, .plans = plans, .file = ++files_read};
	cf_clean(name, r.name, sizeof r.name, 0, 0);
	if (setjmp(r.jb))
		return failed(&r);
	read_file(&r, path, format);
	return r.plans;
}

/* ---- writing ----
 *
 * Every failure is a value: the first one is kept in *err (jv_null()
 * until then), and what comes after it does nothing, so a caller checks
 * once where it is convenient. */

static void
set_err(jv *err, jv e)
{
	if (cf_is_error(*err)) {
		jv_free(e);
		return;
	}
	jv_free(*err);
	*err = e;
}

/* v consumed: 1 when it is not an error, else 0 with it kept in *err. */
static int
ok(jv *err, jv v)
{
	if (cf_is_error(v)) {
		set_err(err, v);
		return 0;
	}
	jv_free(v);
	return 1;
}

static int
exists(cf_store *st, const char *sql, const char *id, jv *err)
{
	if (cf_is_error(*err))
		return 0;
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	int rc = cf_sql_step(s);
	if (rc != CF_SQL_ROW && rc != CF_SQL_DONE)
		set_err(err, cf_store_error(st, "looking up an id"));
	cf_sql_reset(s);
	return rc == CF_SQL_ROW;
}

static const char session_exists[] = "SELECT 1 FROM sessions WHERE id = ?";
static const char message_exists[] = "SELECT 1 FROM messages WHERE id = ?";
static const char attachment_exists[] = "SELECT 1 FROM attachments WHERE id = ?";

/* An id not yet taken: the one asked for, else one derived from it and
 * the session (the same every time), else a new one. */
static void
free_id(cf_store *st, const char *sql, const char *want, const char *sid,
        char out[37], jv *err)
{
	if (want && *want) {
		if (strlen(want) <= 36 && !exists(st, sql, want, err)) {
			snprintf(out, 37, "%s", want);
			return;
		}
		imp_uuid5(out, sid, want, NULL);
		if (!exists(st, sql, out, err))
			return;
	}
	cf_uuid7(out);
}

struct blob_out {
	cf_store *st;
	cf_sql_blob *b;
	size_t at;
	jv *err;
};

static void
to_blob(const unsigned char *p, size_t n, void *ctx)
{
	struct blob_out *o = ctx;
	if (!cf_is_error(*o->err))
		ok(o->err, cf_blob_write(o->st, o->b, p, n, o->at));
	o->at += n;
}

/* An attachment's bytes go into its row a chunk at a time, from the
 * base64 where it lies (a mapping, or the jv), never whole in memory.
 * 0, or -1 when the file changed under its mapping; a store error in
 * *err. */
static int
add_attachment(cf_store *st, const char *mid, const char *sid, jv a, jv *err)
{
	int ret = 0;
	char id[37];
	free_id(st, attachment_exists, cf_jstr_or_null(a, "id"), sid, id, err);
	if (cf_is_error(*err))
		return 0;
	jv data = jv_object_get(jv_copy(a), jv_string("data"));
	jv text = jv_object_get(jv_copy(a), jv_string("text"));
	struct spill *sp = imp_spill_of(data), one;
	if (!sp && jv_get_kind(data) == JV_KIND_STRING) {
		one = (struct spill){jv_string_value(data),
		                     (size_t)jv_string_length_bytes(jv_copy(data)), -1, 0};
		sp = &one;
	}
	long n = -1;
	if (sp)
		n = sp->n >= 0 ? sp->n : cf_unbase64(sp->p, sp->len, NULL);
	else if (jv_get_kind(text) == JV_KIND_STRING)
		n = jv_string_length_bytes(jv_copy(text));
	jv e = jv_invalid();
	int64_t row = cf_attachment_row(st, id, mid, cf_jstr(a, "type"),
		cf_jstr(a, "name"), n >= 0 ? n : (int64_t)cf_jnum(a, "size", 0),
		cf_jstr_or_null(a, "mimeType"), n, &e);
	if (!row)
		set_err(err, e);
	else
		jv_free(e);
	if (row && n > 0) {
		struct blob_out o = {st, cf_blob_open(st, row, 1), 0, err};
		if (sp && imp_spill_decode(sp, to_blob, &o) != n)
			ret = -1;
		else if (!sp)
			to_blob((const unsigned char *)jv_string_value(text), (size_t)n, &o);
		if (cf_sql_blob_close(o.b) != CF_SQL_OK)
			set_err(err, cf_store_error(st, "storing an attachment"));
	}
	jv_free(data);
	jv_free(text);
	return ret;
}

/* One plan's session and its messages (p borrowed): the session's id, or
 * nothing with the error in *err. */
static jv
write_plan(cf_store *st, jv p, jv *err)
{
	static const char touch[] = "UPDATE sessions SET last_updated = ?2 WHERE id = ?1";
	jv sess = jv_object_get(jv_copy(p), jv_string("session"));
	int64_t updated = 0;
	int has_updated = !cf_time_parse(cf_jstr(sess, "lastUpdated"), &updated);
	jv rec = cf_session_insert(st, sess);
	if (cf_is_error(rec)) {
		set_err(err, rec);
		return jv_invalid();
	}
	jv sid = jv_string(cf_jstr(rec, "id"));
	jv_free(rec);
	const char *s = jv_string_value(sid);
	ok(err, cf_store_bulk(st, s));
	jv msgs = jv_object_get(jv_copy(p), jv_string("messages"));
	jv_array_foreach(msgs, k, m) {
		char mid[37];
		const char *mw = cf_jstr_or_null(m, "id");
		free_id(st, message_exists, mw, s, mid, err);
		if (cf_is_error(*err)) {
			jv_free(m);
			continue;
		}
		if (!mw || strcmp(mw, mid))
			m = imp_set(m, "id", jv_string(mid));
		jv md = jv_object_get(jv_copy(m), jv_string("metadata"));
		jv atts = jv_null();
		/* history keeps the author its record names, and no other: the
		 * one importing it did not write it */
		if (jv_get_kind(md) != JV_KIND_OBJECT) {
			jv_free(md);
			md = jv_object();
		}
		if (!jv_object_has(jv_copy(md), jv_string("author")))
			m = imp_set(m, "metadata", jv_object_set(jv_copy(md),
			            jv_string("author"), jv_null()));
		atts = jv_object_get(md, jv_string("attachments"));
		if (ok(err, cf_message_add(st, s, m, NULL, 0, mid)) &&
		    jv_get_kind(atts) == JV_KIND_ARRAY) {
			jv_array_foreach(atts, j, a) {
				if (!cf_is_error(*err) && add_attachment(st, mid, s, a, err))
					set_err(err, cf_error(CF_EX_FAIL, "%s: changed while it "
					                      "was imported", cf_jstr(a, "name")));
				jv_free(a);
				(void)j;
			}
		}
		jv_free(atts);
		(void)k;
	}
	jv_free(msgs);
	if (!cf_is_error(*err))
		ok(err, cf_store_bulk(st, NULL));
	/* the messages' trigger moved it to the latest message */
	if (!cf_is_error(*err) && has_updated) {
		cf_sql_stmt *q = cf_stmt(st, touch);
		cf_bind_text(q, 1, s);
		cf_sql_bind_int64(q, 2, updated);
		ok(err, cf_exec_stmt(st, q, "dating a session"));
	}
	if (cf_is_error(*err)) {
		jv_free(sid);
		return jv_invalid();
	}
	return sid;
}

/* The mappings go when what they held is stored. */
static void
unmap_all(void)
{
	for (size_t i = 0; i < nmaps; i++)
		munmap(maps[i].p, maps[i].len);
	free(maps);
	maps = NULL;
	nmaps = 0;
	free(spills);
	spills = NULL;
	nspills = capspills = 0;
}

/* A store's activity log (read_store), into the caller's transaction;
 * frees p. */
static void
write_activity(cf_store *st, jv p, jv *err)
{
	jv events = jv_object_get(p, jv_string("activity"));
	jv_array_foreach(events, i, ev) {
		jv id = cf_activity_add_in(st, ev);
		if (!jv_is_valid(id)) {
			set_err(err, id);
			break;
		}
		jv_free(id);
	}
	jv_free(events);
}

jv
cf_import_write(cf_store *st, jv plans, long *skipped)
{
	static const char link[] =
		"UPDATE sessions SET parent_session_id = ?2, branch_point = ?3 WHERE id = ?1";
	static const char nth[] =
		"SELECT id FROM messages WHERE session_id = ?1 ORDER BY seq LIMIT 1 OFFSET ?2";
	static const char named[] =
		"SELECT id FROM messages WHERE session_id = ?1 AND id = ?2";
	jv done = jv_array(), fresh = jv_object(), seen = jv_object(), told = jv_object();
	jv err = jv_null();
	long again = 0;
	*skipped = 0;
	jv_array_foreach(plans, i, p) {
		if (jv_object_has(jv_copy(p), jv_string("activity"))) {
			write_activity(st, p, &err);
			if (cf_is_error(err))
				break;
			continue;
		}
		jv sess = jv_object_get(jv_copy(p), jv_string("session"));
		const char *want = cf_jstr_or_null(sess, "id");
		/* A session read before in this run is not "in the store": a
		 * conversation repeated in a file is told by place, once for it
		 * and its branches; one in two files is counted. */
		jv first = want ? jv_object_get(jv_copy(seen), jv_string(want)) : jv_invalid();
		if (jv_is_valid(first)) {
			jv f = jv_array_get(jv_copy(plans), (int)jv_number_value(first));
			jv ok = jv_object_get(jv_copy(fresh), jv_string(want));
			if (!jv_is_valid(ok))
				;   /* the first was in the store, and counted so */
			else if (cf_jnum(f, "fileNo", 0) != cf_jnum(p, "fileNo", 0))
				again++;
			else if (!jv_object_has(jv_copy(told), jv_string(cf_jstr(p, "where")))) {
				told = jv_object_set(told, jv_string(cf_jstr(p, "where")), jv_true());
				char msg[1024];
				snprintf(msg, sizeof msg, "%s: %s repeats %s, imported once",
				         cf_jstr(p, "file"), cf_jstr(p, "item"), cf_jstr(f, "item"));
				cf_err_context(NULL);
				cf_warn("%s", msg);
			}
			jv_free(ok);
			jv_free(f);
			jv_free(first);
			jv_free(sess);
			jv_free(p);
			continue;
		}
		jv_free(first);
		if (want)
			seen = jv_object_set(seen, jv_string(want), jv_number(i));
		if (want && exists(st, session_exists, want, &err)) {
			++*skipped;
			jv_free(sess);
			jv_free(p);
			continue;
		}
		jv_free(sess);
		if (cf_is_error(err)) {
			jv_free(p);
			break;
		}
		/* should the store refuse something the checks let through, the
		 * error still says where it came from */
		cf_err_context(cf_jstr(p, "where"));
		jv sid = write_plan(st, p, &err);
		if (!jv_is_valid(sid)) {
			jv_free(sid);
			jv_free(p);
			break;
		}
		fresh = jv_object_set(fresh, jv_copy(sid), jv_true());
		done = jv_array_append(done, jv_array_append(jv_array_append(jv_array(), sid),
		                                             jv_number(i)));
		jv_free(p);
	}
	if (cf_is_error(err)) {
		jv_free(done);
		jv_free(fresh);
		jv_free(seen);
		jv_free(told);
		jv_free(plans);
		unmap_all();
		return err;
	}
	cf_err_context(NULL);
	if (again)
		cf_warn("%ld session%s repeated across the files, imported once", again,
		        again == 1 ? "" : "s");
	jv_free(seen);
	jv_free(told);

	/* Parents last: a branch may come before its parent, in one file or
	 * across files, and a parent that is nowhere is no parent. */
	jv out = jv_array();
	jv_array_foreach(done, i, d) {
		jv sid = jv_array_get(jv_copy(d), 0);
		jv at = jv_array_get(jv_copy(d), 1);
		jv p = jv_array_get(jv_copy(plans), (int)jv_number_value(at));
		jv_free(at);
		const char *parent = cf_jstr_or_null(p, "parent");
		if (parent && exists(st, session_exists, parent, &err)) {
			jv point = jv_object_get(jv_copy(p), jv_string("branchPoint"));
			jv bi = jv_object_get(jv_copy(p), jv_string("branchIndex"));
			jv here = jv_object_get(jv_copy(fresh), jv_string(parent));
			int parent_fresh = jv_is_valid(here);
			jv_free(here);
			const char *bm = cf_jstr_or_null(p, "branchMessage");
			if (jv_get_kind(bi) == JV_KIND_NUMBER) {
				/* by position in a parent made now; by id in one stored
				 * before, whose messages may differ (or no point at all) */
				cf_sql_stmt *q = cf_stmt(st, parent_fresh ? nth : named);
				cf_bind_text(q, 1, parent);
				if (parent_fresh)
					cf_sql_bind_int64(q, 2, (int64_t)jv_number_value(bi));
				else
					cf_bind_text(q, 2, bm);
				jv_free(point);
				point = jv_null();
				if (cf_sql_step(q) == CF_SQL_ROW)
					point = cf_col_text(q, 0);
				cf_sql_reset(q);
			}
			jv_free(bi);
			cf_sql_stmt *q = cf_stmt(st, link);
			cf_bind_text(q, 1, jv_string_value(sid));
			cf_bind_text(q, 2, parent);
			cf_bind_jv(q, 3, point);
			ok(&err, cf_exec_stmt(st, q, "linking a branch"));
		}
		jv_free(p);
		jv got = cf_is_error(err) ? jv_invalid() : cf_session_get(st, jv_string_value(sid));
		if (cf_is_error(got))
			set_err(&err, got);
		else if (jv_is_valid(got))
			out = jv_array_append(out, got);
		else
			jv_free(got);
		jv_free(sid);
		jv_free(d);
		(void)i;
	}
	jv_free(done);
	jv_free(fresh);
	jv_free(plans);
	unmap_all();
	if (cf_is_error(err)) {
		jv_free(out);
		return err;
	}
	jv_free(err);
	return out;
}
