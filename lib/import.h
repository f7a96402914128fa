/* import.h — what import.c shares with the importers (imp_*.c), one per
 * source, and nothing else sees.
 *
 * import.c holds the loop: files, archives and JSON items, telling the
 * source by the table below, the checks every source's fields pass
 * through (imp_field and the rest, whose errors say where), the plans
 * they build, and the writer.  An importer reads one source's items
 * into plans (import.c's top comment says what a plan holds). */
#ifndef CONFAB_IMPORT_H
#define CONFAB_IMPORT_H

#include <setjmp.h>
#include <stdint.h>

#include "priv.h"

/* The item's text for the parser, where one is made. */
struct imp_text {
	char *p;
	size_t len, cap;
	size_t first;   /* the first spill made for the item */
};

/* One file being read.  A malformed field jumps back to cf_import_read
 * (imp_bad), which returns the error as a value: the checks are many and
 * deep, and each would otherwise test and pass on a result.  What the
 * reader holds open is in here so that the jump closes it. */
struct rd {
	char name[256];      /* the file, as messages call it */
	int format;          /* CF_IMPORT_*; AUTO until the first item */
	long item;           /* 1-based, across the file */
	char where[160];     /* the item: conversation 3 ("Trip") */
	long file;           /* which file (or archive member) read in this run */
	int mapped;          /* the bytes are a file mapped in memory */
	jv plans;
	jmp_buf jb;          /* where imp_bad goes */
	jv err;              /* what it found */
	sqlite3 *db;         /* a logs.db being read, else NULL */
	sqlite3_stmt *stmt;  /* its query */
	char *buf;           /* the file's bytes when it was read, not mapped */
	char *member;        /* an archive member's bytes */
	struct archive *arch;
	struct imp_text text;
	cf_store *src;       /* a store being moved from (sqlite://, postgresql://) */
};

/* One source.  detect tells a JSON source by an item (borrowed); sniff
 * tells a whole-file source by its first bytes.  item reads one JSON
 * item (consumed); file reads a whole-file source, from path where it
 * lies or from the bytes.  Each appends its plans to r->plans. */
struct cf_importer {
	int format;            /* CF_IMPORT_* */
	const char *name;      /* as --format names it */
	const char *noun;      /* an item in errors: "session", "conversation" */
	int (*detect)(jv item);
	void (*item)(struct rd *r, jv v);
	int (*sniff)(const char *buf, size_t len);
	void (*file)(struct rd *r, const char *path, char *buf, size_t len);
	const char *misnamed;  /* sniffed but another format named */
	const char *unsniffed; /* named but not sniffed */
};

extern const struct cf_importer imp_confab, imp_chatgpt, imp_claude, imp_llm;
/* All of them, NULL-ended, in the order auto tries them. */
extern const struct cf_importer *const cf_importers[];

/* ---- errors that say where ---- */

/* One line, the file and the item first, control characters made
 * harmless; status CF_EX_DATA.  Does not return. */
_Noreturn void imp_bad(struct rd *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "invalid time" naming the item's part first. */
_Noreturn void imp_bad_time(struct rd *r, const char *path, const char *key,
                            const char *v);
/* r->where as "noun N" or "noun N ("title")". */
void imp_set_where(struct rd *r, const char *noun, const char *title);

/* ---- fields ---- */

enum { K_NULL = 1, K_STR = 2, K_NUM = 4, K_BOOL = 8, K_ARR = 16, K_OBJ = 32 };
int imp_kbit(jv v);
const char *imp_kname(int bit);

/* The ranges imported values must be in (chat-import(1), "Values"):
 * counts exact in a double, as jq and JSON readers hold them; settings
 * as chat-new takes them; times that print as RFC 3339 with four-digit
 * years. */
#define COUNT_MAX 9007199254740992.0         /* 2^53 */
#define COST_MAX 1e6                         /* USD for one reply */
#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

/* obj.key as a new reference, jv_null() when absent; of a kind in kinds,
 * or an error naming it as path + key ("message 3: metadata." +
 * "tokens"). */
jv imp_field(struct rd *r, jv obj, const char *path, const char *key, int kinds);
void imp_fmt_num(double d, char out[32]);
/* A number (or null) that must lie in [min, max], whole when whole is set;
 * what names it in the error ("message 3: metadata.tokens"). */
jv imp_check_num(struct rd *r, jv v, const char *what, double min, double max,
                 int whole);
jv imp_num_field(struct rd *r, jv obj, const char *path, const char *key,
                 double min, double max, int whole);
void imp_check_count(struct rd *r, jv obj, const char *path, const char *key);
/* An RFC 3339 time as ms, within the years 1970 to 9999. */
int64_t imp_parse_time(struct rd *r, const char *path, const char *key,
                       const char *v);
/* An RFC 3339 time field, or dflt when absent or null. */
int64_t imp_time_field(struct rd *r, jv obj, const char *path, const char *key,
                       int64_t dflt);
/* Unix seconds (ChatGPT's floats), rounded to the millisecond. */
int64_t imp_unix_field(struct rd *r, jv obj, const char *path, const char *key,
                       int64_t dflt);
/* An attachment of n bytes is refused above attach-max. */
void imp_check_size(struct rd *r, const char *path, const char *name, long n);
int imp_blank(jv s);

/* ---- ids and plans ---- */

/* RFC 9562 version 5 (SHA-1) of "a:b" or "a:b:c" (c may be NULL), in
 * confab's namespace. */
void imp_uuid5(char out[37], const char *a, const char *b, const char *c);
/* A source's id as ours: a UUID as it is (in lower case), anything else
 * as uuid5(scope:src). */
jv imp_id_from(const char *scope, const char *src);
jv imp_set(jv o, const char *key, jv v);
/* A session record with chat-new's built-in settings. */
jv imp_new_session(jv id, jv name, int64_t created, int64_t updated,
                   const char *provider, jv model, jv system);
jv imp_new_message(const char *role, jv content, int64_t ms, jv meta);
/* The plan of a session (named after its first message when it has no
 * name) and its messages, where r is. */
jv imp_new_plan(const struct rd *r, jv session, jv messages);

/* ---- attachments' bytes left where they lie ---- */

struct spill {
	const char *p;   /* the base64 */
	size_t len;
	long n;          /* the bytes it decodes to; -1 until checked */
	int mapped;      /* p is in a mapping, whose pages may be given back */
};
/* The spill a string stands for, or NULL. */
struct spill *imp_spill_of(jv s);
/* Decodes a spill a chunk at a time: fn gets each piece of bytes (NULL
 * to count only); -1 when it is not base64. */
long imp_spill_decode(struct spill *sp,
                      void (*fn)(const unsigned char *, size_t, void *), void *ctx);

#endif
