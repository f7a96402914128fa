/* import.c — other tools' histories into the store (chat-import): confab's
 * own JSON export, ChatGPT's and Claude.ai's conversations.json, and
 * simonw/llm's logs.db.
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
 * checking every field on the way, so a malformed conversation 300 ends
 * the program before anything is written.  cf_import_write stores the
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

#include <archive.h>
#include <archive_entry.h>

#include "priv.h"

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
static void
uuid5(char out[37], const char *a, const char *b, const char *c)
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
 * anything else as uuid5(scope:src). */
static jv
id_from(const char *scope, const char *src)
{
	char id[37];
	if (uuid_shaped(src)) {
		for (int i = 0; i < 37; i++)
			id[i] = (char)tolower((unsigned char)src[i]);
	} else {
		uuid5(id, scope, src, NULL);
	}
	return jv_string(id);
}

/* ---- reading: errors that say where ---- */

struct rd {
	char name[256];      /* the file, as messages call it */
	int format;          /* CF_IMPORT_*; AUTO until the first item */
	long item;           /* 1-based, across the file */
	char where[160];     /* the item: conversation 3 ("Trip") */
	long file;           /* which file (or archive member) read in this run */
	int mapped;          /* the bytes are a file mapped in memory */
	jv plans;
};

static long files_read;

/* One line: the file, the item, what is wrong (control characters made
 * harmless: names and values come from the file). */
static _Noreturn void __attribute__((format(printf, 2, 3)))
bad(const struct rd *r, const char *fmt, ...)
{
	char msg[1024], line[1600], clean[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%s: %s%s%s", r->name, r->where,
	         r->where[0] ? ": " : "", msg);
	cf_clean(line, clean, sizeof clean, 0, 0);
	cf_die(CF_EX_DATA, "%s", clean);
}

static void
set_where(struct rd *r, const char *noun, const char *title)
{
	char t[128];
	if (title && *title) {
		cf_clean(title, t, sizeof t, 40, 0);
		snprintf(r->where, sizeof r->where, "%s %ld (\"%s\")", noun, r->item, t);
	} else {
		snprintf(r->where, sizeof r->where, "%s %ld", noun, r->item);
	}
}

enum { K_NULL = 1, K_STR = 2, K_NUM = 4, K_BOOL = 8, K_ARR = 16, K_OBJ = 32 };

static int
kbit(jv v)
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

static const char *
kname(int bit)
{
	for (int i = 0; i < 6; i++)
		if (bit == 1 << i)
			return knames[i];
	return "?";
}

/* obj.key as a new reference, jv_null() when absent; of a kind in kinds,
 * or the program ends naming it as path + key ("message 3: metadata." +
 * "tokens"). */
static jv
field(const struct rd *r, jv obj, const char *path, const char *key, int kinds)
{
	jv v = jv_invalid();
	if (jv_get_kind(obj) == JV_KIND_OBJECT)
		v = jv_object_get(jv_copy(obj), jv_string(key));
	if (!jv_is_valid(v)) {
		jv_free(v);
		v = jv_null();
	}
	int k = kbit(v);
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
			bad(r, "%s%s is missing", path, key);
		bad(r, "%s%s is %s, expected %s", path, key, kname(k), want);
	}
	return v;
}

/* "invalid time" naming the item's part first: path is where in the item
 * ("message 3: "), then the field's own path ("metadata."). */
static _Noreturn void
bad_time(const struct rd *r, const char *path, const char *key, const char *v)
{
	const char *f = path, *p;
	while ((p = strstr(f, ": ")))
		f = p + 2;
	bad(r, "%.*sinvalid time '%s' in %s%s", (int)(f - path), path, v, f, key);
}

/* The ranges imported values must be in (chat-import(1), "Values"):
 * counts exact in a double, as jq and JSON readers hold them; settings
 * as chat-new takes them; times that print as RFC 3339 with four-digit
 * years. */
#define COUNT_MAX 9007199254740992.0         /* 2^53 */
#define COST_MAX 1e6                         /* USD for one reply */
#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

/* A number as JSON writes it: whole numbers in full, others as short as
 * reads back the same. */
static void
fmt_num(double d, char out[32])
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
static jv
check_num(const struct rd *r, jv v, const char *what, double min, double max,
          int whole)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return v;
	double d = jv_number_value(v);
	char num[32], lo[32], hi[32];
	fmt_num(d, num);
	if (!(d >= min && d <= max)) {
		fmt_num(min, lo);
		fmt_num(max, hi);
		bad(r, "%s %s out of range (%s to %s)", what, num, lo, hi);
	}
	if (whole && d != floor(d))
		bad(r, "%s %s is not a whole number", what, num);
	return v;
}

/* field() for a number or null, checked by check_num. */
static jv
num_field(const struct rd *r, jv obj, const char *path, const char *key,
          double min, double max, int whole)
{
	char what[256];
	snprintf(what, sizeof what, "%s%s", path, key);
	return check_num(r, field(r, obj, path, key, K_NUM | K_NULL), what, min,
	                 max, whole);
}

static void
check_count(const struct rd *r, jv obj, const char *path, const char *key)
{
	jv_free(num_field(r, obj, path, key, 0, COUNT_MAX, 1));
}

/* An RFC 3339 time v (the value of key under path) as ms; it must be
 * one, and within the years 1970 to 9999. */
static int64_t
parse_time(const struct rd *r, const char *path, const char *key, const char *v)
{
	int64_t ms;
	if (cf_time_parse(v, &ms))
		bad_time(r, path, key, v);
	if (ms < 0 || ms > TIME_MAX_MS)
		bad(r, "%s%s '%s' out of range (years 1970 to 9999)", path, key, v);
	return ms;
}

/* An RFC 3339 time field, or dflt when absent or null. */
static int64_t
time_field(const struct rd *r, jv obj, const char *path, const char *key,
           int64_t dflt)
{
	jv v = field(r, obj, path, key, K_STR | K_NULL);
	int64_t ms = dflt;
	if (jv_get_kind(v) == JV_KIND_STRING)
		ms = parse_time(r, path, key, jv_string_value(v));
	jv_free(v);
	return ms;
}

/* Unix seconds (ChatGPT's floats), rounded to the millisecond. */
static int64_t
unix_field(const struct rd *r, jv obj, const char *path, const char *key,
           int64_t dflt)
{
	jv v = field(r, obj, path, key, K_NUM | K_NULL);
	int64_t ms = dflt;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (!(d >= 0 && d * 1000 <= (double)TIME_MAX_MS)) {
			char num[32];
			fmt_num(d, num);
			bad(r, "%s%s %s out of range (years 1970 to 9999)", path, key, num);
		}
		ms = llround(d * 1000);
	}
	jv_free(v);
	return ms;
}

static int
blank(jv s)
{
	const char *p = jv_string_value(s);
	int n = jv_string_length_bytes(jv_copy(s));
	for (int i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

static jv
set(jv o, const char *key, jv v)
{
	return jv_object_set(o, jv_string(key), v);
}

/* A session record with chat-new's built-in settings (a name that is
 * null or blank is made by new_plan). */
static jv
new_session(jv id, jv name, int64_t created, int64_t updated,
            const char *provider, jv model, jv system)
{
	jv st = jv_object();
	st = set(st, "temperature", jv_null());
	st = set(st, "maxTokens", jv_number(4096));
	st = set(st, "systemPrompt", system);
	st = set(st, "autoContext", jv_false());
	st = set(st, "contextWindow", jv_number(50));
	jv md = jv_object();
	md = set(md, "tags", jv_array());
	md = set(md, "starred", jv_false());
	md = set(md, "archived", jv_false());
	jv s = jv_object();
	s = set(s, "id", id);
	s = set(s, "name", name);
	s = set(s, "created", cf_time_jv(created));
	s = set(s, "lastUpdated", cf_time_jv(updated < created ? created : updated));
	s = set(s, "provider", provider ? jv_string(provider) : jv_null());
	s = set(s, "model", model);
	s = set(s, "settings", st);
	s = set(s, "metadata", md);
	return s;
}

static jv
new_message(const char *role, jv content, int64_t ms, jv meta)
{
	jv m = jv_object();
	m = set(m, "role", jv_string(role));
	m = set(m, "content", content);
	m = set(m, "timestamp", cf_time_jv(ms));
	m = set(m, "metadata", meta);
	return m;
}

/* A session without a name is named after its first message, as llm
 * and Claude.ai name theirs: the first line, cut at 50 characters. */
static jv
name_from(jv name, jv msgs)
{
	if (jv_get_kind(name) == JV_KIND_STRING && !blank(name)) {
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

static jv
new_plan(const struct rd *r, jv session, jv messages)
{
	session = set(session, "name",
	              name_from(jv_object_get(jv_copy(session), jv_string("name")),
	                        jv_copy(messages)));
	char where[420];
	snprintf(where, sizeof where, "%s%s%s", r->name, r->where[0] ? ": " : "",
	         r->where);
	jv p = jv_object();
	p = set(p, "where", jv_string(where));
	p = set(p, "file", jv_string(r->name));
	p = set(p, "fileNo", jv_number(r->file));
	p = set(p, "item", jv_string(r->where));
	p = set(p, "session", session);
	p = set(p, "messages", messages);
	p = set(p, "parent", jv_null());
	p = set(p, "branchPoint", jv_null());
	p = set(p, "branchIndex", jv_null());
	return p;
}

/* ---- base64, for attachments' bytes ---- */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

/* A decoder that takes its input in pieces; whitespace is skipped,
 * padding optional. */
struct b64 {
	unsigned v;
	int bits, pad, bad;
};

/* Decodes len characters of s into out (room for len / 4 * 3 + 3 bytes;
 * NULL: only count); returns how many bytes came out. */
static size_t
b64_feed(struct b64 *d, const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len && !d->bad; i++) {
		int c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			d->pad++;
			continue;
		}
		int x = b64val(c);
		if (x < 0 || d->pad) {
			d->bad = 1;
			break;
		}
		d->v = (d->v << 6) | (unsigned)x;
		d->bits += 6;
		if (d->bits >= 8) {
			d->bits -= 8;
			if (out)
				out[n] = (unsigned char)(d->v >> d->bits);
			n++;
		}
	}
	return n;
}

/* 0 when what was fed is base64 and ends where it may. */
static int
b64_end(const struct b64 *d)
{
	return d->bad || d->pad > 2 || d->bits >= 6 ? -1 : 0;
}

/* The length s decodes to, or -1 when s is not base64. */
static long
unbase64(const char *s, size_t len)
{
	struct b64 d = {0};
	size_t n = b64_feed(&d, s, len, NULL);
	return b64_end(&d) ? -1 : (long)n;
}

/* ---- attachments left where they lie ----
 *
 * An attachment's base64 in a file mapped in memory is not parsed into a
 * jv (the file's size again, and its bytes decoded once more to store
 * them): the parser gets a placeholder, "\u0000cf-NONCE:N", and the
 * bytes are read from the mapping when they are checked and when they
 * are stored, the pages given back behind the reading. */

#define SPILL_MIN (64 << 10)

struct spill {
	const char *p;   /* the base64 */
	size_t len;
	long n;          /* the bytes it decodes to; -1 until checked */
	int mapped;      /* p is in a mapping, whose pages may be given back */
};

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
static struct spill *
spill_of(jv s)
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
static long
spill_decode(struct spill *sp, void (*fn)(const unsigned char *, size_t, void *),
             void *ctx)
{
	enum { IN = 4 << 18 };   /* 1 MiB of bytes out */
	unsigned char *buf = fn ? cf_xmalloc(IN / 4 * 3 + 3) : NULL;
	struct b64 d = {0};
	long total = 0;
	for (size_t at = 0; at < sp->len; at += IN) {
		size_t k = sp->len - at < IN ? sp->len - at : IN;
		size_t n = b64_feed(&d, sp->p + at, k, buf);
		if (sp->mapped)
			drop(sp->p + at, sp->p + at + k);
		if (d.bad)
			break;
		if (fn && n)
			fn(buf, n, ctx);
		total += (long)n;
	}
	free(buf);
	return b64_end(&d) ? -1 : total;
}

/* ---- confab's own JSON (chat-export -f json) ---- */

static void
check_array_of(const struct rd *r, jv obj, const char *path, const char *key,
               int kinds)
{
	jv a = field(r, obj, path, key, K_ARR | K_NULL);
	if (jv_get_kind(a) == JV_KIND_ARRAY) {
		jv_array_foreach(a, i, e) {
			if (!(kbit(e) & kinds))
				bad(r, "%s%s[%d] is %s", path, key, i, kname(kbit(e)));
			jv_free(e);
		}
	}
	jv_free(a);
}

/* An attachment of n bytes is refused above attach-max, naming it after
 * the part of the item path names ("message 3: "). */
static void
check_size(const struct rd *r, const char *path, const char *name, long n)
{
	if (n <= cf_attach_max())
		return;
	const char *f = path, *p;
	while ((p = strstr(f, ": ")))
		f = p + 2;
	char max[32];
	cf_size_text(cf_attach_max(), max, sizeof max);
	bad(r, "%.*sattachment '%s' is %ld bytes, larger than attach-max (%s)",
	    (int)(f - path), path, name, n, max);
}

static void
check_attachments(const struct rd *r, jv md, const char *path)
{
	jv atts = field(r, md, path, "attachments", K_ARR | K_NULL);
	if (jv_get_kind(atts) != JV_KIND_ARRAY) {
		jv_free(atts);
		return;
	}
	jv_array_foreach(atts, i, a) {
		char p[96];
		snprintf(p, sizeof p, "%sattachments[%d].", path, i);
		if (jv_get_kind(a) != JV_KIND_OBJECT)
			bad(r, "%sattachments[%d] is %s, expected an object", path, i,
			    kname(kbit(a)));
		jv_free(field(r, a, p, "id", K_STR | K_NULL));
		jv_free(field(r, a, p, "type", K_STR));
		jv name = field(r, a, p, "name", K_STR);
		check_count(r, a, p, "size");
		jv_free(field(r, a, p, "mimeType", K_STR | K_NULL));
		jv t = field(r, a, p, "text", K_STR | K_NULL);
		jv d = field(r, a, p, "data", K_STR | K_NULL);
		long n = 0;
		struct spill *sp = spill_of(d);
		if (sp) {
			if (sp->n < 0)
				sp->n = spill_decode(sp, NULL, NULL);
			n = sp->n;
			if (n < 0)
				bad(r, "%sdata is not base64", p);
		} else if (jv_get_kind(d) == JV_KIND_STRING) {
			n = unbase64(jv_string_value(d), (size_t)jv_string_length_bytes(jv_copy(d)));
			if (n < 0)
				bad(r, "%sdata is not base64", p);
		} else if (jv_get_kind(t) == JV_KIND_STRING) {
			n = jv_string_length_bytes(jv_copy(t));
		}
		check_size(r, path, jv_string_value(name), n);
		jv_free(name);
		jv_free(t);
		jv_free(d);
		jv_free(a);
	}
	jv_free(atts);
}

/* Checks a message record as chat-show prints it: what the store would
 * refuse is refused here, naming the message. */
static jv
confab_message(const struct rd *r, jv m, int i)
{
	char path[48];
	snprintf(path, sizeof path, "message %d: ", i + 1);
	if (jv_get_kind(m) != JV_KIND_OBJECT)
		bad(r, "message %d is %s, expected an object", i + 1, kname(kbit(m)));
	jv type = field(r, m, path, "type", K_STR | K_NULL);
	if (jv_get_kind(type) == JV_KIND_STRING && strcmp(jv_string_value(type), "message"))
		bad(r, "message %d: expected a message record, got type '%s'", i + 1,
		    jv_string_value(type));
	jv_free(type);
	jv id = field(r, m, path, "id", K_STR | K_NULL);
	if (jv_get_kind(id) == JV_KIND_STRING &&
	    (jv_string_length_bytes(jv_copy(id)) == 0 || jv_string_length_bytes(jv_copy(id)) > 36))
		bad(r, "message %d: id '%s' is not an id", i + 1, jv_string_value(id));
	jv_free(id);
	jv role = field(r, m, path, "role", K_STR);
	const char *rs = jv_string_value(role);
	if (strcmp(rs, "user") && strcmp(rs, "assistant") && strcmp(rs, "system"))
		bad(r, "message %d: role '%s' is not user, assistant or system", i + 1, rs);
	jv_free(role);
	jv_free(field(r, m, path, "content", K_STR | K_NULL));
	time_field(r, m, path, "timestamp", 0);

	char mp[64];
	snprintf(mp, sizeof mp, "%smetadata.", path);
	jv md = field(r, m, path, "metadata", K_OBJ | K_NULL);
	check_count(r, md, mp, "tokens");
	jv_free(field(r, md, mp, "model", K_STR | K_NULL));
	check_count(r, md, mp, "processing_time");
	/* what chat-send stores and chat-cost sums */
	check_count(r, md, mp, "inputTokens");
	check_count(r, md, mp, "outputTokens");
	jv_free(num_field(r, md, mp, "cost", 0, COST_MAX, 0));
	jv_free(field(r, md, mp, "reactions", K_ARR | K_NULL));
	jv_free(field(r, md, mp, "edits", K_ARR | K_NULL));
	check_attachments(r, md, mp);
	jv_free(md);
	snprintf(mp, sizeof mp, "%scontext.", path);
	jv cx = field(r, m, path, "context", K_OBJ | K_NULL);
	jv_free(field(r, cx, mp, "activityEvents", K_ARR | K_NULL));
	jv_free(field(r, cx, mp, "pluginCommands", K_ARR | K_NULL));
	jv_free(field(r, cx, mp, "files", K_ARR | K_NULL));
	jv_free(cx);
	/* the session it belongs to is the one it is imported into */
	m = jv_object_delete(m, jv_string("sessionId"));
	return jv_object_delete(m, jv_string("type"));
}

static void
confab_item(struct rd *r, jv s)
{
	const char *name = cf_jstr_or_null(s, "name");
	set_where(r, "session", name);
	/* what confab writes says so: a record of another kind, or another
	 * tool's export named confab by mistake, is not read as sessions */
	jv type = field(r, s, "", "type", K_STR);
	if (strcmp(jv_string_value(type), "session"))
		bad(r, "expected a session record, got type '%s'", jv_string_value(type));
	jv_free(type);
	jv id = field(r, s, "", "id", K_STR | K_NULL);
	if (jv_get_kind(id) == JV_KIND_STRING &&
	    (jv_string_length_bytes(jv_copy(id)) == 0 || jv_string_length_bytes(jv_copy(id)) > 36))
		bad(r, "id '%s' is not an id", jv_string_value(id));
	/* ids as ours: a UUID in lower case, anything else made one; a record
	 * with none gets one from what it holds, so a second import of it
	 * is still found */
	if (jv_get_kind(id) == JV_KIND_STRING) {
		s = set(s, "id", id_from("confab", jv_string_value(id)));
	} else {
		jv d = jv_dump_string(jv_copy(s), 0);
		s = set(s, "id", id_from("confab", jv_string_value(d)));
		jv_free(d);
	}
	jv_free(id);
	jv_free(field(r, s, "", "name", K_STR | K_NULL));
	int64_t created = time_field(r, s, "", "created", cf_now_ms());
	time_field(r, s, "", "lastUpdated", created);
	jv_free(field(r, s, "", "provider", K_STR | K_NULL));
	jv_free(field(r, s, "", "model", K_STR | K_NULL));
	jv st = field(r, s, "", "settings", K_OBJ | K_NULL);
	if (jv_get_kind(st) == JV_KIND_NULL) {
		/* --no-metadata: chat-new's settings */
		st = jv_object();
		st = set(st, "maxTokens", jv_number(4096));
		st = set(st, "contextWindow", jv_number(50));
		s = set(s, "settings", jv_copy(st));
	}
	/* as chat-new takes them (settings.c) */
	jv_free(num_field(r, st, "settings.", "temperature", 0, 2, 0));
	jv_free(num_field(r, st, "settings.", "maxTokens", 1, 100000000, 1));
	jv_free(field(r, st, "settings.", "systemPrompt", K_STR | K_NULL));
	jv_free(field(r, st, "settings.", "autoContext", K_BOOL | K_NULL));
	jv_free(num_field(r, st, "settings.", "contextWindow", 0, 100000000, 1));
	jv_free(st);
	jv md = field(r, s, "", "metadata", K_OBJ | K_NULL);
	check_array_of(r, md, "metadata.", "tags", K_STR);
	jv_free(field(r, md, "metadata.", "starred", K_BOOL | K_NULL));
	jv_free(field(r, md, "metadata.", "archived", K_BOOL | K_NULL));
	jv_free(md);
	jv parent = field(r, s, "", "parentSessionId", K_STR | K_NULL);
	jv point = field(r, s, "", "branchPoint", K_STR | K_NULL);

	jv in = field(r, s, "", "messages", K_ARR | K_NULL);
	jv msgs = jv_array();
	if (jv_get_kind(in) == JV_KIND_ARRAY) {
		jv_array_foreach(in, i, m)
			msgs = jv_array_append(msgs, confab_message(r, m, i));
	}
	jv_free(in);
	s = jv_object_delete(s, jv_string("messages"));
	s = jv_object_delete(s, jv_string("type"));
	s = jv_object_delete(s, jv_string("match"));
	s = jv_object_delete(s, jv_string("parentSessionId"));
	s = jv_object_delete(s, jv_string("branchPoint"));
	jv p = new_plan(r, s, msgs);
	p = set(p, "parent", parent);
	p = set(p, "branchPoint", point);
	r->plans = jv_array_append(r->plans, p);
}

/* ---- ChatGPT's conversations.json ---- */

/* The text a message shows: the string parts of text and multimodal_text
 * (and what was said, for voice), code as a fenced block; jv_invalid()
 * for every other kind (images, tool output, reasoning, context). */
static jv
gpt_text(const struct rd *r, jv content, const char *path)
{
	jv type = field(r, content, path, "content_type", K_STR);
	const char *t = jv_string_value(type);
	jv out = jv_invalid();
	if (!strcmp(t, "text") || !strcmp(t, "multimodal_text")) {
		jv parts = field(r, content, path, "parts", K_ARR);
		out = jv_string("");
		int n = 0;
		jv_array_foreach(parts, i, part) {
			jv piece = jv_invalid();
			if (jv_get_kind(part) == JV_KIND_STRING) {
				piece = jv_copy(part);
			} else if (jv_get_kind(part) == JV_KIND_OBJECT) {
				const char *ct = cf_jstr_or_null(part, "content_type");
				const char *tx = cf_jstr_or_null(part, "text");
				if (ct && tx && !strcmp(ct, "audio_transcription"))
					piece = jv_string(tx);
			}
			if (jv_is_valid(piece) && jv_string_length_bytes(jv_copy(piece))) {
				if (n++)
					out = jv_string_append_str(out, "\n");
				out = jv_string_concat(out, piece);
			} else {
				jv_free(piece);
			}
			jv_free(part);
			(void)i;
		}
		jv_free(parts);
	} else if (!strcmp(t, "code")) {
		jv text = field(r, content, path, "text", K_STR);
		const char *lang = cf_jstr_or_null(content, "language");
		if (!lang || !strcmp(lang, "unknown"))
			lang = "";
		out = jv_string_fmt("```%s\n%s\n```", lang, jv_string_value(text));
		jv_free(text);
	}
	jv_free(type);
	if (jv_is_valid(out) && blank(out)) {
		jv_free(out);
		out = jv_invalid();
	}
	return out;
}

/* A mapping node's message as a record without an id, or jv_invalid()
 * when it is not part of the conversation as it was shown: no message,
 * hidden, a tool's, addressed to a tool, or nothing but what is skipped. */
static jv
gpt_message(const struct rd *r, jv node, const char *key, int64_t ms)
{
	char at[96], path[128], cpath[144], apath[144], mpath[144];
	snprintf(at, sizeof at, "mapping node %.60s: ", key);
	snprintf(path, sizeof path, "%smessage.", at);
	snprintf(cpath, sizeof cpath, "%scontent.", path);
	snprintf(apath, sizeof apath, "%sauthor.", path);
	snprintf(mpath, sizeof mpath, "%smetadata.", path);
	jv msg = field(r, node, at, "message", K_OBJ | K_NULL);
	if (jv_get_kind(msg) == JV_KIND_NULL)
		return jv_invalid();
	jv out = jv_invalid();
	jv author = field(r, msg, path, "author", K_OBJ);
	jv role = field(r, author, apath, "role", K_STR);
	jv md = field(r, msg, path, "metadata", K_OBJ | K_NULL);
	jv recip = field(r, msg, path, "recipient", K_STR | K_NULL);
	const char *rs = jv_string_value(role);
	if ((!strcmp(rs, "user") || !strcmp(rs, "assistant") || !strcmp(rs, "system")) &&
	    !cf_jbool(md, "is_visually_hidden_from_conversation") &&
	    (jv_get_kind(recip) != JV_KIND_STRING || !strcmp(jv_string_value(recip), "all"))) {
		jv content = field(r, msg, path, "content", K_OBJ);
		jv text = gpt_text(r, content, cpath);
		jv_free(content);
		if (jv_is_valid(text)) {
			jv meta = jv_object();
			meta = set(meta, "tokens", jv_null());
			const char *model = cf_jstr_or_null(md, "model_slug");
			meta = set(meta, "model", model && !strcmp(rs, "assistant") ?
			           jv_string(model) : jv_null());
			meta = set(meta, "processing_time", jv_null());
			if (!strcmp(rs, "assistant")) {
				const char *status = cf_jstr_or_null(msg, "status");
				jv fd = field(r, md, mpath, "finish_details", K_OBJ | K_NULL);
				const char *stop = cf_jstr_or_null(fd, "type");
				if (status)
					meta = set(meta, "incomplete",
					           jv_bool(strcmp(status, "finished_successfully") != 0));
				if (stop)
					meta = set(meta, "stopReason", jv_string(stop));
				jv_free(fd);
			}
			out = new_message(rs, text, ms, meta);
		} else {
			jv_free(text);
		}
	}
	jv_free(msg);
	jv_free(author);
	jv_free(role);
	jv_free(md);
	jv_free(recip);
	return out;
}

struct node {
	jv key, val;      /* the mapping's entry */
	int parent;       /* index; -1: a root */
	int depth;        /* -1: not known yet, -2: on the walk under way */
	int children;
	int main;         /* on the path from the root to current_node */
	int pos;          /* on that path: the index in the main session's
	                   * messages of the last kept one at or above it, or -1 */
	int64_t ms;       /* its time, or its parent's when it has none */
	jv rec;           /* its message as a record, or jv_invalid() */
};

static int
node_index(jv idx, const char *key)
{
	jv v = jv_object_get(jv_copy(idx), jv_string(key));
	int i = jv_get_kind(v) == JV_KIND_NUMBER ? (int)jv_number_value(v) : -1;
	jv_free(v);
	return i;
}

/* The path from the root to node i, as indexes (root first); *n set. */
static int *
path_to(struct node *nodes, int i, int *n)
{
	int *p = cf_xmalloc(sizeof *p * (size_t)(nodes[i].depth + 1));
	*n = nodes[i].depth + 1;
	for (int k = *n - 1; k >= 0; k--, i = nodes[i].parent)
		p[k] = i;
	return p;
}

static void
gpt_item(struct rd *r, jv c)
{
	jv title = field(r, c, "", "title", K_STR | K_NULL);
	set_where(r, "conversation", jv_get_kind(title) == JV_KIND_STRING ?
	          jv_string_value(title) : NULL);
	jv cid = field(r, c, "", "conversation_id", K_STR | K_NULL);
	if (jv_get_kind(cid) == JV_KIND_NULL) {
		jv_free(cid);
		cid = field(r, c, "", "id", K_STR | K_NULL);
	}
	if (jv_get_kind(cid) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(cid)))
		bad(r, "conversation_id and id are missing");
	jv sid = id_from("chatgpt", jv_string_value(cid));
	int64_t created = unix_field(r, c, "", "create_time", -1);
	int64_t updated = unix_field(r, c, "", "update_time", -1);
	jv model = field(r, c, "", "default_model_slug", K_STR | K_NULL);
	jv mapping = field(r, c, "", "mapping", K_OBJ);
	jv cur = field(r, c, "", "current_node", K_STR | K_NULL);

	int n = jv_object_length(jv_copy(mapping));
	struct node *nodes = cf_xmalloc(sizeof *nodes * (size_t)(n ? n : 1));
	jv idx = jv_object();
	int i = 0;
	jv_object_foreach(mapping, k, v) {
		if (jv_get_kind(v) != JV_KIND_OBJECT)
			bad(r, "mapping node %s is %s, expected an object",
			    jv_string_value(k), kname(kbit(v)));
		nodes[i] = (struct node){.key = k, .val = v, .depth = -1, .pos = -1,
		                         .rec = jv_invalid()};
		idx = jv_object_set(idx, jv_copy(k), jv_number(i));
		i++;
	}
	for (i = 0; i < n; i++) {
		const char *key = jv_string_value(nodes[i].key);
		jv p = jv_object_get(jv_copy(nodes[i].val), jv_string("parent"));
		if (jv_get_kind(p) == JV_KIND_NULL) {
			nodes[i].parent = -1;
		} else if (jv_get_kind(p) == JV_KIND_STRING) {
			nodes[i].parent = node_index(idx, jv_string_value(p));
			if (nodes[i].parent < 0)
				bad(r, "mapping node %s: parent %s is not in the mapping",
				    key, jv_string_value(p));
			nodes[nodes[i].parent].children++;
		} else {
			bad(r, "mapping node %s has no parent", key);
		}
		jv_free(p);
	}

	/* Depths and times, walking up from each node to the first one known:
	 * every node once, and a cycle is a node met again on its own walk. */
	int64_t t0 = created >= 0 ? created : updated >= 0 ? updated : cf_now_ms();
	int *walk = cf_xmalloc(sizeof *walk * (size_t)(n ? n : 1));
	for (i = 0; i < n; i++) {
		int w = 0, j = i;
		while (j >= 0 && nodes[j].depth == -1) {
			nodes[j].depth = -2;
			walk[w++] = j;
			j = nodes[j].parent;
		}
		if (j >= 0 && nodes[j].depth == -2)
			bad(r, "mapping has a cycle through node %s",
			    jv_string_value(nodes[j].key));
		int d = j >= 0 ? nodes[j].depth : -1;
		int64_t ms = j >= 0 ? nodes[j].ms : t0;
		while (w > 0) {
			struct node *x = &nodes[walk[--w]];
			char path[160];
			snprintf(path, sizeof path, "mapping node %.60s: message.",
			         jv_string_value(x->key));
			jv msg = jv_object_get(jv_copy(x->val), jv_string("message"));
			x->ms = unix_field(r, msg, path, "create_time", ms);
			jv_free(msg);
			x->depth = ++d;
			ms = x->ms;
		}
	}
	free(walk);
	for (i = 0; i < n; i++)
		nodes[i].rec = gpt_message(r, nodes[i].val, jv_string_value(nodes[i].key),
		                           nodes[i].ms);

	/* The conversation as it was last shown: root to current_node; without
	 * one, to the latest leaf. */
	int current = -1;
	if (jv_get_kind(cur) == JV_KIND_STRING) {
		current = node_index(idx, jv_string_value(cur));
		if (current < 0)
			bad(r, "current_node %s is not in the mapping", jv_string_value(cur));
	} else {
		for (i = 0; i < n; i++)
			if (!nodes[i].children && (current < 0 || nodes[i].ms >= nodes[current].ms))
				current = i;
	}
	jv msgs = jv_array();
	int nmain = 0, last = -1;
	int64_t firstms = -1, lastms = t0;
	if (current >= 0) {
		int len, *p = path_to(nodes, current, &len);
		for (int k = 0; k < len; k++) {
			struct node *x = &nodes[p[k]];
			x->main = 1;
			if (jv_is_valid(x->rec)) {
				jv m = set(jv_copy(x->rec), "id",
				           id_from(jv_string_value(sid), jv_string_value(x->key)));
				msgs = jv_array_append(msgs, m);
				last = nmain++;
				if (firstms < 0)
					firstms = x->ms;
				lastms = x->ms;
			}
			x->pos = last;
		}
		free(p);
	}
	if (created < 0)
		created = firstms >= 0 ? firstms : t0;
	if (updated < lastms)
		updated = lastms;
	jv main = new_session(jv_copy(sid), jv_copy(title), created, updated, "openai",
	                      jv_copy(model), jv_null());
	jv plan = new_plan(r, main, msgs);
	/* branches are named after the main session, however it was named */
	jv mainname = jv_object_get(jv_object_get(jv_copy(plan), jv_string("session")),
	                            jv_string("name"));
	const char *ts = jv_string_value(mainname);
	r->plans = jv_array_append(r->plans, plan);

	/* Every other leaf: a branch from the main session, holding its whole
	 * path as chat-branch would, made at the last message the two share. */
	int nb = 0;
	for (i = 0; i < n; i++) {
		if (nodes[i].children || nodes[i].main)
			continue;
		int len, *p = path_to(nodes, i, &len), fork = -1, own = 0;
		for (int k = 0; k < len; k++) {
			if (nodes[p[k]].main)
				fork = p[k];
			else if (jv_is_valid(nodes[p[k]].rec))
				own++;
		}
		if (!own) {   /* nothing shown that the main session lacks */
			free(p);
			continue;
		}
		char bid[37];
		uuid5(bid, "chatgpt", jv_string_value(cid), jv_string_value(nodes[i].key));
		jv bmsgs = jv_array();
		int64_t bcreated = -1, bupdated = t0;
		for (int k = 0; k < len; k++) {
			struct node *x = &nodes[p[k]];
			if (!jv_is_valid(x->rec))
				continue;
			char mid[37];
			uuid5(mid, bid, jv_string_value(x->key), NULL);
			bmsgs = jv_array_append(bmsgs, set(jv_copy(x->rec), "id", jv_string(mid)));
			if (!x->main && bcreated < 0)
				bcreated = x->ms;
			bupdated = x->ms;
		}
		free(p);
		jv name = jv_string_fmt("%s (branch %d)", ts, ++nb);
		jv bs = new_session(jv_string(bid), name, bcreated, bupdated, "openai",
		                    jv_copy(model), jv_null());
		jv plan = new_plan(r, bs, bmsgs);
		plan = set(plan, "parent", jv_copy(sid));
		if (fork >= 0 && nodes[fork].pos >= 0) {
			plan = set(plan, "branchIndex", jv_number(nodes[fork].pos));
			/* for a parent stored by an earlier import, whose messages
			 * need not be the ones counted here */
			plan = set(plan, "branchMessage",
			           id_from(jv_string_value(sid), jv_string_value(nodes[fork].key)));
		}
		r->plans = jv_array_append(r->plans, plan);
	}

	for (i = 0; i < n; i++) {
		jv_free(nodes[i].key);
		jv_free(nodes[i].val);
		jv_free(nodes[i].rec);
	}
	free(nodes);
	jv_free(idx);
	jv_free(mainname);
	jv_free(mapping);
	jv_free(cur);
	jv_free(model);
	jv_free(title);
	jv_free(cid);
	jv_free(sid);
	jv_free(c);
}

/* ---- Claude.ai's conversations.json ---- */

static void
claude_item(struct rd *r, jv c)
{
	jv name = field(r, c, "", "name", K_STR | K_NULL);
	set_where(r, "conversation", jv_get_kind(name) == JV_KIND_STRING ?
	          jv_string_value(name) : NULL);
	jv uuid = field(r, c, "", "uuid", K_STR);
	if (!jv_string_length_bytes(jv_copy(uuid)))
		bad(r, "uuid is empty");
	jv sid = id_from("claude", jv_string_value(uuid));
	int64_t created = time_field(r, c, "", "created_at", -1);
	int64_t updated = time_field(r, c, "", "updated_at", -1);
	jv model = field(r, c, "", "model", K_STR | K_NULL);
	jv in = field(r, c, "", "chat_messages", K_ARR);
	int64_t t0 = created >= 0 ? created : updated >= 0 ? updated : cf_now_ms();
	int64_t lastms = t0, firstms = -1;
	jv msgs = jv_array();
	jv_array_foreach(in, i, m) {
		char path[48];
		snprintf(path, sizeof path, "message %d: ", i + 1);
		if (jv_get_kind(m) != JV_KIND_OBJECT)
			bad(r, "message %d is %s, expected an object", i + 1, kname(kbit(m)));
		jv sender = field(r, m, path, "sender", K_STR);
		const char *role = jv_string_value(sender);
		if (!strcmp(role, "human"))
			role = "user";
		else if (strcmp(role, "assistant"))
			bad(r, "message %d: sender '%s' is not human or assistant", i + 1, role);
		int64_t ms = time_field(r, m, path, "created_at", lastms);
		/* the text blocks, without thinking or tools; a message without
		 * blocks (older exports) has only its text */
		jv content = field(r, m, path, "content", K_ARR | K_NULL);
		jv text = jv_invalid();
		if (jv_get_kind(content) == JV_KIND_ARRAY && jv_array_length(jv_copy(content))) {
			text = jv_string("");
			int n = 0;
			jv_array_foreach(content, k, b) {
				char bp[128];
				snprintf(bp, sizeof bp, "%scontent[%d].", path, k);
				if (jv_get_kind(b) != JV_KIND_OBJECT)
					bad(r, "%.*s is %s, expected an object", (int)strlen(bp) - 1, bp,
					    kname(kbit(b)));
				jv type = field(r, b, bp, "type", K_STR);
				if (!strcmp(jv_string_value(type), "text")) {
					jv t = field(r, b, bp, "text", K_STR);
					if (jv_string_length_bytes(jv_copy(t))) {
						if (n++)
							text = jv_string_append_str(text, "\n\n");
						text = jv_string_concat(text, t);
					} else {
						jv_free(t);
					}
				}
				jv_free(type);
				jv_free(b);
			}
		} else {
			text = field(r, m, path, "text", K_STR | K_NULL);
			if (jv_get_kind(text) == JV_KIND_NULL) {
				jv_free(text);
				text = jv_string("");
			}
		}
		jv_free(content);
		/* the text of uploaded files, as attachments */
		jv atts = field(r, m, path, "attachments", K_ARR | K_NULL);
		jv list = jv_array();
		if (jv_get_kind(atts) == JV_KIND_ARRAY) {
			jv_array_foreach(atts, k, a) {
				char ap[128];
				snprintf(ap, sizeof ap, "%sattachments[%d].", path, k);
				jv ex = field(r, a, ap, "extracted_content", K_STR | K_NULL);
				jv fname = field(r, a, ap, "file_name", K_STR | K_NULL);
				jv ftype = field(r, a, ap, "file_type", K_STR | K_NULL);
				if (jv_get_kind(ex) == JV_KIND_STRING) {
					jv an = jv_get_kind(fname) == JV_KIND_STRING ?
					        jv_copy(fname) : jv_string_fmt("attachment-%d.txt", k + 1);
					check_size(r, path, jv_string_value(an),
					           jv_string_length_bytes(jv_copy(ex)));
					jv e = jv_object();
					e = set(e, "type", jv_string("text"));
					e = set(e, "name", an);
					e = set(e, "size", jv_number(jv_string_length_bytes(jv_copy(ex))));
					e = set(e, "mimeType", jv_get_kind(ftype) == JV_KIND_STRING &&
					        strchr(jv_string_value(ftype), '/') ? jv_copy(ftype) :
					        jv_string("text/plain"));
					e = set(e, "text", jv_copy(ex));
					list = jv_array_append(list, e);
				}
				jv_free(ex);
				jv_free(fname);
				jv_free(ftype);
				jv_free(a);
			}
		}
		jv_free(atts);
		if (!blank(text) || jv_array_length(jv_copy(list))) {
			const char *uid = cf_jstr_or_null(m, "uuid");
			char num[24];
			snprintf(num, sizeof num, "%d", i + 1);
			jv mid = id_from(jv_string_value(sid), uid ? uid : num);
			jv named = jv_array();
			jv_array_foreach(list, k, a) {
				char aid[37], nth[24];
				snprintf(nth, sizeof nth, "%d", k + 1);
				uuid5(aid, jv_string_value(mid), "attachment", nth);
				named = jv_array_append(named, set(a, "id", jv_string(aid)));
			}
			jv_free(list);
			jv meta = jv_object();
			meta = set(meta, "tokens", jv_null());
			meta = set(meta, "model", jv_null());
			meta = set(meta, "processing_time", jv_null());
			meta = set(meta, "attachments", named);
			jv rec = set(new_message(role, text, ms, meta), "id", mid);
			msgs = jv_array_append(msgs, rec);
			if (firstms < 0)
				firstms = ms;
			if (ms > lastms)
				lastms = ms;
		} else {
			jv_free(text);
			jv_free(list);
		}
		jv_free(sender);
		jv_free(m);
	}
	jv_free(in);
	if (created < 0)
		created = firstms >= 0 ? firstms : t0;
	if (updated < lastms)
		updated = lastms;
	jv s = new_session(sid, name, created, updated, "anthropic", model, jv_null());
	r->plans = jv_array_append(r->plans, new_plan(r, s, msgs));
	jv_free(uuid);
	jv_free(c);
}

/* ---- JSON files: one item at a time ---- */

static void
item(struct rd *r, jv v)
{
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		static const char *const noun[] = {"item", "session", "conversation",
		                                   "conversation", "item"};
		r->where[0] = '\0';
		bad(r, "%s %ld is %s, expected an object", noun[r->format], r->item,
		    kname(kbit(v)));
	}
	if (r->format == CF_IMPORT_AUTO) {
		const char *t = cf_jstr_or_null(v, "type");
		if (t && !strcmp(t, "session"))
			r->format = CF_IMPORT_CONFAB;
		else if (jv_object_has(jv_copy(v), jv_string("mapping")))
			r->format = CF_IMPORT_CHATGPT;
		else if (jv_object_has(jv_copy(v), jv_string("chat_messages")))
			r->format = CF_IMPORT_CLAUDE;
		else
			bad(r, "not a confab, ChatGPT or Claude export (item %ld has no "
			    "\"type\": \"session\", \"mapping\" or \"chat_messages\"); "
			    "name the format with --format", r->item);
	}
	switch (r->format) {
	case CF_IMPORT_CONFAB: confab_item(r, v); break;
	case CF_IMPORT_CHATGPT: gpt_item(r, v); break;
	case CF_IMPORT_CLAUDE: claude_item(r, v); break;
	default: jv_free(v);
	}
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
			bad(r, "invalid JSON: %s", s);
		}
		jv_free(v);
	} while (off < len);
	bad(r, "invalid JSON near byte %zu", at);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The item's text for the parser, where one is made. */
struct text {
	char *p;
	size_t len, cap;
	size_t first;   /* the first spill made for the item */
};

static void
text_add(struct text *t, const char *p, size_t n)
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
value_end(const char *p, const char *end, struct text *t)
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
spills_in_place(jv v, size_t first)
{
	size_t made = nspills - first, found = 0;
	const char *type = cf_jstr_or_null(v, "type");
	if (!type || strcmp(type, "session"))
		return 0;
	char *seen = calloc(made, 1);
	if (!seen)
		cf_die(CF_EX_FAIL, "out of memory");
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
					struct spill *sp = spill_of(d);
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
          struct text *t)
{
	/* the text with placeholders, when it has any and they all stand
	 * where attachments' data does; else the item as it lies */
	jv v = jv_invalid();
	if (t && nspills > t->first) {
		if (t->len < INT_MAX)
			v = jv_parse_sized(t->p, (int)t->len);
		if (jv_is_valid(v) && !spills_in_place(v, t->first)) {
			jv_free(v);
			v = jv_invalid();
		}
		if (!jv_is_valid(v))
			nspills = t->first;
	}
	if (!jv_is_valid(v)) {
		jv_free(v);
		if (e - p >= INT_MAX)
			bad(r, "item %ld is larger than 2 GiB, more than the JSON parser takes",
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
next_item(struct rd *r, const char *p, const char *end, struct text *t)
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
	struct text t = {0}, *tp = r->mapped ? &t : NULL;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	if (skip_ws(p, end) == end)
		bad(r, "empty, nothing to import");
	while ((p = skip_ws(p, end)) < end) {
		if (*p != '[') {
			const char *e = next_item(r, p, end, &t);
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
			const char *e = next_item(r, p, end, &t);
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
	free(t.p);
}

/* ---- simonw/llm's logs.db ---- */

static int
has_column(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
	                       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, col, -1, SQLITE_STATIC);
	int yes = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return yes;
}

static jv
col_str(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? jv_string_sized(t, sqlite3_column_bytes(s, i)) : jv_null();
}

/* A column that holds a count or null, checked as a JSON number is
 * (check_num); text or bytes in it are malformed. */
static jv
col_num(const struct rd *r, sqlite3_stmt *s, int i, const char *name)
{
	int t = sqlite3_column_type(s, i);
	if (t == SQLITE_TEXT || t == SQLITE_BLOB)
		bad(r, "%s is %s, expected a number or null", name,
		    t == SQLITE_TEXT ? "text" : "a blob");
	if (t == SQLITE_NULL)
		return jv_null();
	return check_num(r, jv_number(sqlite3_column_double(s, i)), name, 0,
	                 COUNT_MAX, 1);
}

/* The session of the conversation before; where names it. */
static void
llm_flush(struct rd *r, jv *sess, jv *msgs, const char *where)
{
	if (!jv_is_valid(*sess))
		return;
	snprintf(r->where, sizeof r->where, "%s", where);
	r->plans = jv_array_append(r->plans, new_plan(r, *sess, *msgs));
	*sess = jv_invalid();
	*msgs = jv_invalid();
}

/* The columns llm has had since its migration m010 made conversations and
 * responses; the token counts (m013) and the model that answered
 * (resolved_model) came later, and an older file lacks them. */
static void
llm_read(struct rd *r, sqlite3 *db)
{
	static const char *const need[] = {"id", "model", "prompt", "system",
		"response", "conversation_id", "duration_ms", "datetime_utc"};
	if (!has_column(db, "responses", "id"))
		bad(r, "not an llm logs.db: it has no responses table");
	for (size_t i = 0; i < sizeof need / sizeof *need; i++)
		if (!has_column(db, "responses", need[i]))
			bad(r, "not an llm logs.db: responses has no column %s", need[i]);
	if (!has_column(db, "conversations", "id") ||
	    !has_column(db, "conversations", "name") ||
	    !has_column(db, "conversations", "model"))
		bad(r, "not an llm logs.db: it has no conversations table");
	int tok = has_column(db, "responses", "input_tokens") &&
	          has_column(db, "responses", "output_tokens");
	int res = has_column(db, "responses", "resolved_model");
	/* one of four fixed queries: the optional columns or NULL in their place */
	static const char *const sql[2][2] = {
#define LLM_SQL(TOK, RES) \
		"SELECT r.id, r.conversation_id, c.name, c.model, r.model, r.prompt," \
		" r.system, r.response, r.duration_ms, r.datetime_utc, " TOK ", " RES \
		" FROM responses r LEFT JOIN conversations c ON c.id = r.conversation_id" \
		" ORDER BY coalesce(r.conversation_id, r.id), r.datetime_utc, r.rowid"
		{LLM_SQL("NULL, NULL", "NULL"), LLM_SQL("NULL, NULL", "r.resolved_model")},
		{LLM_SQL("r.input_tokens, r.output_tokens", "NULL"),
		 LLM_SQL("r.input_tokens, r.output_tokens", "r.resolved_model")},
#undef LLM_SQL
	};
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql[tok][res], -1, &s, NULL) != SQLITE_OK)
		bad(r, "cannot read responses: %s", sqlite3_errmsg(db));
	jv sess = jv_invalid(), msgs = jv_invalid(), group = jv_null();
	int64_t lastms = 0;
	char swhere[sizeof r->where] = "", sid[37] = "";
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		jv rid = col_str(s, 0), conv = col_str(s, 1);
		if (jv_get_kind(rid) != JV_KIND_STRING)
			bad(r, "a response has no id");
		snprintf(r->where, sizeof r->where, "response %.60s", jv_string_value(rid));
		jv key = jv_get_kind(conv) == JV_KIND_STRING ? jv_copy(conv) :
		         jv_string_fmt("response:%s", jv_string_value(rid));
		const char *when = (const char *)sqlite3_column_text(s, 9);
		int64_t ms;
		if (!when)
			bad(r, "datetime_utc is missing");
		ms = parse_time(r, "", "datetime_utc", when);
		jv dur = col_num(r, s, 8, "duration_ms");
		jv in = col_num(r, s, 10, "input_tokens"), out = col_num(r, s, 11, "output_tokens");
		int kin = jv_get_kind(in) == JV_KIND_NUMBER;
		int kout = jv_get_kind(out) == JV_KIND_NUMBER;
		/* as chat-send counts a reply: what went in and came out */
		jv tokens = !kin && !kout ? jv_null() :
		            check_num(r, jv_number((kin ? jv_number_value(in) : 0) +
		                                   (kout ? jv_number_value(out) : 0)),
		                      "input_tokens and output_tokens", 0, COUNT_MAX, 1);
		if (!jv_equal(jv_copy(key), jv_copy(group))) {
			llm_flush(r, &sess, &msgs, swhere);
			jv_free(group);
			group = jv_copy(key);
			uuid5(sid, "llm", jv_string_value(key), NULL);
			jv model = col_str(s, 3);
			if (jv_get_kind(model) != JV_KIND_STRING) {
				jv_free(model);
				model = col_str(s, 4);
			}
			sess = new_session(jv_string(sid), col_str(s, 2), ms, ms, NULL,
			                   model, jv_null());
			msgs = jv_array();
			lastms = ms;
		}
		if (jv_get_kind(conv) == JV_KIND_STRING)
			snprintf(r->where, sizeof r->where, "conversation %.60s", jv_string_value(conv));
		snprintf(swhere, sizeof swhere, "%s", r->where);
		/* the first system prompt is the session's */
		jv system = col_str(s, 6);
		jv settings = jv_object_get(jv_copy(sess), jv_string("settings"));
		if (jv_get_kind(system) == JV_KIND_STRING && !blank(system) &&
		    !cf_jstr_or_null(settings, "systemPrompt")) {
			settings = set(settings, "systemPrompt", jv_copy(system));
			sess = set(sess, "settings", jv_copy(settings));
		}
		jv_free(settings);
		jv_free(system);

		char mid[37];
		jv prompt = col_str(s, 5);
		if (jv_get_kind(prompt) == JV_KIND_STRING && !blank(prompt)) {
			uuid5(mid, sid, jv_string_value(rid), "prompt");
			jv meta = jv_object();
			meta = set(meta, "tokens", jv_null());
			meta = set(meta, "model", jv_null());
			meta = set(meta, "processing_time", jv_null());
			jv m = new_message("user", prompt, ms, meta);
			msgs = jv_array_append(msgs, set(m, "id", jv_string(mid)));
		} else {
			jv_free(prompt);
		}
		jv reply = col_str(s, 7);
		int64_t done = ms;
		if (jv_get_kind(dur) == JV_KIND_NUMBER && jv_number_value(dur) > 0)
			done += (int64_t)jv_number_value(dur);
		if (done > TIME_MAX_MS)
			bad(r, "datetime_utc plus duration_ms is past the year 9999");
		if (jv_get_kind(reply) == JV_KIND_STRING && !blank(reply)) {
			uuid5(mid, sid, jv_string_value(rid), "response");
			jv model = col_str(s, 12);
			if (jv_get_kind(model) != JV_KIND_STRING) {
				jv_free(model);
				model = col_str(s, 4);
			}
			jv meta = jv_object();
			meta = set(meta, "tokens", tokens);
			meta = set(meta, "model", model);
			meta = set(meta, "processing_time", jv_copy(dur));
			if (tok) {
				meta = set(meta, "inputTokens", in);
				meta = set(meta, "outputTokens", out);
			} else {
				jv_free(in);
				jv_free(out);
			}
			jv m = new_message("assistant", reply, done, meta);
			msgs = jv_array_append(msgs, set(m, "id", jv_string(mid)));
		} else {
			jv_free(reply);
			jv_free(tokens);
			jv_free(in);
			jv_free(out);
		}
		jv_free(dur);
		if (done > lastms) {
			lastms = done;
			sess = set(sess, "lastUpdated", cf_time_jv(lastms));
		}
		jv_free(rid);
		jv_free(conv);
		jv_free(key);
	}
	if (rc != SQLITE_DONE)
		bad(r, "cannot read responses: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	llm_flush(r, &sess, &msgs, swhere);
	jv_free(group);
	r->where[0] = '\0';
}

/* ---- files ---- */

static const char sqlite_magic[16] = "SQLite format 3";   /* and its NUL */

static char *
slurp(FILE *f, const char *name, size_t *len, const char *head, size_t nhead)
{
	size_t cap = 1 << 16, n = nhead;
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
		cap = (size_t)sb.st_size + 1;
	char *buf = cf_xmalloc(cap);
	memcpy(buf, head, nhead);
	for (;;) {
		if (n == cap)
			buf = cf_xrealloc(buf, cap *= 2);
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		cf_die(CF_EX_FAIL, "%s: read error: %s", name, strerror(errno));
	*len = n;
	return buf;
}

static void
read_llm(struct rd *r, const char *path, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	int rc;
	if (path) {
		rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	} else {
		/* stdin: the bytes as a read-only database in memory.  A WAL
		 * file's header says so (bytes 18 and 19); SQLite would look for
		 * the -wal file it cannot have. */
		if (len >= 20 && buf[18] == 2)
			buf[18] = buf[19] = 1;
		rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_deserialize(db, "main", (unsigned char *)buf,
			                         (sqlite3_int64)len, (sqlite3_int64)len,
			                         SQLITE_DESERIALIZE_READONLY);
	}
	if (rc != SQLITE_OK)
		bad(r, "cannot open the database: %s", db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 5000);
	llm_read(r, db);
	sqlite3_close(db);
}

int
cf_import_format(const char *name)
{
	static const char *const names[] = {"auto", "confab", "chatgpt", "claude", "llm"};
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

static int
is_sqlite(const char *buf, size_t len)
{
	return len >= sizeof sqlite_magic && !memcmp(buf, sqlite_magic, sizeof sqlite_magic);
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
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		bad(r, "unreadable archive: %s", archive_error_string(a));
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
	struct archive *a = open_archive(r, buf, len);
	struct archive_entry *e;
	int rc, only = 0;
	/* a first pass over the names: stream formats cannot go back */
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)
		if (archive_entry_filetype(e) == AE_IFREG && entry_name(e) &&
		    !strcmp(base_name(entry_name(e)), "conversations.json"))
			only = 1;
	if (rc != ARCHIVE_EOF)
		bad(r, "unreadable archive: %s", archive_error_string(a));
	archive_read_free(a);

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
			bad(r, "larger than 2 GiB, more than can be read");
		size_t cap = archive_entry_size(e) > 0 ? (size_t)archive_entry_size(e) + 1 : 1 << 16;
		size_t n = 0;
		char *data = cf_xmalloc(cap);
		la_ssize_t got;
		while ((got = archive_read_data(a, data + n, cap - n)) > 0) {
			n += (size_t)got;
			if (n > ENTRY_MAX)
				bad(r, "inflates past 2 GiB, more than can be read");
			if (n == cap)
				data = cf_xrealloc(data, cap *= 2);
		}
		if (got < 0)
			bad(r, "unreadable: %s", archive_error_string(a));
		r->format = format;
		r->item = 0;
		r->file = ++files_read;
		read_bytes(r, data, n, 1);
		free(data);
	}
	if (rc != ARCHIVE_EOF)
		bad(r, "unreadable archive: %s", archive_error_string(a));
	archive_read_free(a);
	memcpy(r->name, outer, sizeof outer);
	r->mapped = mapped;
}

static void
read_bytes(struct rd *r, char *buf, size_t len, int in_archive)
{
	int sqlite = is_sqlite(buf, len);
	if (r->format == CF_IMPORT_AUTO && sqlite)
		r->format = CF_IMPORT_LLM;
	if (r->format != CF_IMPORT_LLM && sqlite)
		bad(r, "an SQLite database, not JSON (an llm logs.db is --format llm)");
	if (!in_archive && is_archive((const unsigned char *)buf, len)) {
		read_archive(r, buf, len);
		return;
	}
	if (r->format == CF_IMPORT_LLM && !sqlite)
		bad(r, "not an SQLite database, so not an llm logs.db");
	if (r->format == CF_IMPORT_LLM)
		read_llm(r, NULL, buf, len);
	else
		each_item(r, buf, len);
}

jv
cf_import_read(jv plans, const char *path, const char *name, int format)
{
	struct rd r = {.format = format, .plans = plans, .file = ++files_read};
	cf_clean(name, r.name, sizeof r.name, 0, 0);
	FILE *f = path ? fopen(path, "rb") : stdin;
	if (!f)
		cf_die(CF_EX_FAIL, "cannot open '%s': %s", r.name, strerror(errno));
	struct stat sb;
	int st = fstat(fileno(f), &sb);
	if (st == 0 && S_ISDIR(sb.st_mode))
		cf_die(CF_EX_FAIL, "cannot read '%s': Is a directory", r.name);
	off_t start = lseek(fileno(f), 0, SEEK_CUR);
	char head[16];
	size_t nhead = fread(head, 1, sizeof head, f);
	/* a database file is opened where it lies (read-only), with the
	 * -wal file beside it that may hold its latest rows */
	if (path && is_sqlite(head, nhead) &&
	    (format == CF_IMPORT_AUTO || format == CF_IMPORT_LLM)) {
		fclose(f);
		r.format = CF_IMPORT_LLM;
		read_llm(&r, path, NULL, 0);
		return r.plans;
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
			r.mapped = 1;
			read_bytes(&r, m, (size_t)sb.st_size, 0);
			return r.plans;
		}
	}
	size_t len;
	char *buf = slurp(f, r.name, &len, head, nhead);
	if (path)
		fclose(f);
	read_bytes(&r, buf, len, 0);
	free(buf);
	return r.plans;
}

/* ---- writing ---- */

static int
exists(cf_store *st, const char *sql, const char *id)
{
	sqlite3_stmt *s = cf_stmt(st, sql);
	cf_bind_text(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		cf_store_fail(st, "looking up an id");
	sqlite3_reset(s);
	return rc == SQLITE_ROW;
}

static const char session_exists[] = "SELECT 1 FROM sessions WHERE id = ?";
static const char message_exists[] = "SELECT 1 FROM messages WHERE id = ?";
static const char attachment_exists[] = "SELECT 1 FROM attachments WHERE id = ?";

/* An id not yet taken: the one asked for, else one derived from it and
 * the session (the same every time), else a new one. */
static void
free_id(cf_store *st, const char *sql, const char *want, const char *sid,
        char out[37])
{
	if (want && *want) {
		if (strlen(want) <= 36 && !exists(st, sql, want)) {
			snprintf(out, 37, "%s", want);
			return;
		}
		uuid5(out, sid, want, NULL);
		if (!exists(st, sql, out))
			return;
	}
	cf_uuid7(out);
}

struct blob_out {
	cf_store *st;
	sqlite3_blob *b;
	size_t at;
};

static void
to_blob(const unsigned char *p, size_t n, void *ctx)
{
	struct blob_out *o = ctx;
	cf_raise(cf_blob_write(o->st, o->b, p, n, o->at));
	o->at += n;
}

/* An attachment's bytes go into its row a chunk at a time, from the
 * base64 where it lies (a mapping, or the jv), never whole in memory. */
static void
add_attachment(cf_store *st, const char *mid, const char *sid, jv a)
{
	char id[37];
	free_id(st, attachment_exists, cf_jstr_or_null(a, "id"), sid, id);
	jv data = jv_object_get(jv_copy(a), jv_string("data"));
	jv text = jv_object_get(jv_copy(a), jv_string("text"));
	struct spill *sp = spill_of(data), one;
	if (!sp && jv_get_kind(data) == JV_KIND_STRING) {
		one = (struct spill){jv_string_value(data),
		                     (size_t)jv_string_length_bytes(jv_copy(data)), -1, 0};
		sp = &one;
	}
	long n = -1;
	if (sp)
		n = sp->n >= 0 ? sp->n : unbase64(sp->p, sp->len);
	else if (jv_get_kind(text) == JV_KIND_STRING)
		n = jv_string_length_bytes(jv_copy(text));
	jv err = jv_invalid();
	sqlite3_int64 row = cf_attachment_row(st, id, mid, cf_jstr(a, "type"),
		cf_jstr(a, "name"), n >= 0 ? n : (sqlite3_int64)cf_jnum(a, "size", 0),
		cf_jstr_or_null(a, "mimeType"), n, &err);
	if (!row)
		cf_raise(err);
	if (n > 0) {
		struct blob_out o = {st, cf_blob_open(st, row, 1), 0};
		if (sp && spill_decode(sp, to_blob, &o) != n)
			cf_die(CF_EX_FAIL, "%s: changed while it was imported", cf_jstr(a, "name"));
		else if (!sp)
			to_blob((const unsigned char *)jv_string_value(text), (size_t)n, &o);
		if (sqlite3_blob_close(o.b) != SQLITE_OK)
			cf_store_fail(st, "storing an attachment");
	}
	jv_free(data);
	jv_free(text);
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

jv
cf_import_write(cf_store *st, jv plans, long *skipped)
{
	static const char touch[] = "UPDATE sessions SET last_updated = ?2 WHERE id = ?1";
	static const char link[] =
		"UPDATE sessions SET parent_session_id = ?2, branch_point = ?3 WHERE id = ?1";
	static const char nth[] =
		"SELECT id FROM messages WHERE session_id = ?1 ORDER BY seq LIMIT 1 OFFSET ?2";
	static const char named[] =
		"SELECT id FROM messages WHERE session_id = ?1 AND id = ?2";
	jv done = jv_array(), fresh = jv_object(), seen = jv_object(), told = jv_object();
	long again = 0;
	*skipped = 0;
	jv_array_foreach(plans, i, p) {
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
		if (want && exists(st, session_exists, want)) {
			++*skipped;
			jv_free(sess);
			jv_free(p);
			continue;
		}
		/* should the store refuse something the checks let through, the
		 * error still says where it came from */
		cf_err_context(cf_jstr(p, "where"));
		int64_t updated = 0;
		int has_updated = !cf_time_parse(cf_jstr(sess, "lastUpdated"), &updated);
		jv rec = cf_session_insert(st, sess);
		if (cf_is_error(rec))
			cf_raise(rec);
		jv sid = jv_string(cf_jstr(rec, "id"));
		jv_free(rec);
		const char *s = jv_string_value(sid);
		jv msgs = jv_object_get(jv_copy(p), jv_string("messages"));
		jv_array_foreach(msgs, k, m) {
			char mid[37];
			const char *mw = cf_jstr_or_null(m, "id");
			free_id(st, message_exists, mw, s, mid);
			if (!mw || strcmp(mw, mid))
				m = set(m, "id", jv_string(mid));
			jv md = jv_object_get(jv_copy(m), jv_string("metadata"));
			jv atts = jv_null();
			if (jv_get_kind(md) == JV_KIND_OBJECT)
				atts = jv_object_get(md, jv_string("attachments"));
			else
				jv_free(md);
			cf_raise(cf_message_add(st, s, m, NULL, 0, mid));
			if (jv_get_kind(atts) == JV_KIND_ARRAY) {
				jv_array_foreach(atts, j, a) {
					add_attachment(st, mid, s, a);
					jv_free(a);
					(void)j;
				}
			}
			jv_free(atts);
			(void)k;
		}
		jv_free(msgs);
		/* the messages' trigger moved it to the latest message */
		if (has_updated) {
			sqlite3_stmt *q = cf_stmt(st, touch);
			cf_bind_text(q, 1, s);
			sqlite3_bind_int64(q, 2, updated);
			cf_raise(cf_exec_stmt(st, q, "dating a session"));
		}
		fresh = jv_object_set(fresh, jv_copy(sid), jv_true());
		done = jv_array_append(done, jv_array_append(jv_array_append(jv_array(), sid),
		                                             jv_number(i)));
		jv_free(p);
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
		if (parent && exists(st, session_exists, parent)) {
			jv point = jv_object_get(jv_copy(p), jv_string("branchPoint"));
			jv bi = jv_object_get(jv_copy(p), jv_string("branchIndex"));
			jv here = jv_object_get(jv_copy(fresh), jv_string(parent));
			int parent_fresh = jv_is_valid(here);
			jv_free(here);
			const char *bm = cf_jstr_or_null(p, "branchMessage");
			if (jv_get_kind(bi) == JV_KIND_NUMBER) {
				/* by position in a parent made now; by id in one stored
				 * before, whose messages may differ (or no point at all) */
				sqlite3_stmt *q = cf_stmt(st, parent_fresh ? nth : named);
				cf_bind_text(q, 1, parent);
				if (parent_fresh)
					sqlite3_bind_int64(q, 2, (sqlite3_int64)jv_number_value(bi));
				else
					cf_bind_text(q, 2, bm);
				jv_free(point);
				point = jv_null();
				if (sqlite3_step(q) == SQLITE_ROW)
					point = cf_col_text(q, 0);
				sqlite3_reset(q);
			}
			jv_free(bi);
			sqlite3_stmt *q = cf_stmt(st, link);
			cf_bind_text(q, 1, jv_string_value(sid));
			cf_bind_text(q, 2, parent);
			cf_bind_jv(q, 3, point);
			cf_raise(cf_exec_stmt(st, q, "linking a branch"));
		}
		jv_free(p);
		jv got = cf_session_get(st, jv_string_value(sid));
		if (cf_is_error(got))
			cf_raise(got);
		out = jv_array_append(out, got);
		jv_free(sid);
		jv_free(d);
		(void)i;
	}
	jv_free(done);
	jv_free(fresh);
	jv_free(plans);
	unmap_all();
	return out;
}
