/* serve_export.c — POST /api/chat/sessions/:id/export and
 * /api/chat/export/bulk: chat-export's formats, options and archives over
 * HTTP, by the same library calls (cf_export_session, cf_archive_write).
 *
 * A document is written to an unlinked temporary file rather than to
 * memory: a long session's PDF held by us and copied again by
 * libmicrohttpd would sit in RAM twice.  A small one is read back and
 * handed to cf_srv_bytes; a large one is sent from the file itself
 * (MHD_create_response_from_fd), which then owns the descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "serve.h"

/* Above this a document is sent from its file, not copied into a buffer. */
#define FROM_FILE_AT (256 * 1024)
/* The most sessions one bulk export takes: it runs on the server's one
 * thread, and an archive of the whole store would hold every other
 * request for minutes.  The same ceiling as a listing's limit. */
#define BULK_MAX 1000

static const struct {
	const char *format, *ctype;
} doc_types[] = {
	{"markdown", "text/markdown; charset=utf-8"},
	{"json", "application/json"},
	{"plaintext", "text/plain; charset=utf-8"},
	{"html", "text/html; charset=utf-8"},
	{"pdf", "application/pdf"},
	{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
};

static const struct {
	int kind;
	const char *ctype, *ext;
} arc_types[] = {
	{CF_ARC_ZIP, "application/zip", ".zip"},
	{CF_ARC_TGZ, "application/gzip", ".tar.gz"},
	{CF_ARC_TZST, "application/zstd", ".tar.zst"},
};

static const char *
doc_type(const struct cf_format *f)
{
	for (size_t i = 0; i < sizeof doc_types / sizeof *doc_types; i++)
		if (!strcmp(f->name, doc_types[i].format))
			return doc_types[i].ctype;
	return "application/octet-stream";
}

/* ---- the body: a format, its options ---- */

/* A yes or no as JSON gives it, or as a query string would: true, false,
 * 1, 0, "1", "0", "true", "false"; null leaves *out alone. */
static int
flag(jv v, int *out)
{
	int ok = 1;
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: break;
	case JV_KIND_TRUE: *out = 1; break;
	case JV_KIND_FALSE: *out = 0; break;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (d == 0 || d == 1)
			*out = (int)d;
		else
			ok = 0;
		break;
	}
	case JV_KIND_STRING: {
		const char *s = jv_string_value(v);
		if (!strcmp(s, "1") || !strcmp(s, "true"))
			*out = 1;
		else if (!strcmp(s, "0") || !strcmp(s, "false"))
			*out = 0;
		else
			ok = 0;
		break;
	}
	default: ok = 0;
	}
	jv_free(v);
	return ok;
}

/* A whole number in [min, max], as a JSON number or a decimal string. */
static int
whole(jv v, long min, long max, long *out)
{
	int ok = 0;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (d >= (double)min && d <= (double)max && d == (double)(long)d) {
			*out = (long)d;
			ok = 1;
		}
	} else if (jv_get_kind(v) == JV_KIND_STRING) {
		ok = cf_parse_long(jv_string_value(v), min, max, out) == 0;
	}
	jv_free(v);
	return ok;
}

/* A fence's language: a word, nothing that ends or bends the fence line
 * (chat-export --code-lang's rule). */
static int
lang_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '`' || *s == '~' || *s == 0x7f)
			return 0;
	return 1;
}

/* The value shown in an error: a string as it is, else its JSON. */
static jv
shown(jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	return jv_dump_string(v, 0);
}

static jv
bad_value(const char *key, jv v, const char *expected)
{
	jv s = shown(v);
	jv e = cf_error(CF_EX_USAGE, "invalid %s '%.200s': expected %s", key,
	                jv_string_value(s), expected);
	jv_free(s);
	return e;
}

/* chat-export's options for the formats, under the API's names (and
 * chat-export's own long names, for whoever writes them so). */
enum { K_METADATA, K_LEAN, K_TIMESTAMPS, K_HISTORY, K_HEADER_LEVEL, K_WIDTH,
       K_CODE_LANG, K_PAPER };
static const struct {
	const char *name;
	int key;
} opt_keys[] = {
	{"metadata", K_METADATA}, {"noMetadata", K_LEAN}, {"no-metadata", K_LEAN},
	{"timestamps", K_TIMESTAMPS}, {"history", K_HISTORY},
	{"headerLevel", K_HEADER_LEVEL}, {"header-level", K_HEADER_LEVEL},
	{"width", K_WIDTH}, {"codeLang", K_CODE_LANG}, {"code-lang", K_CODE_LANG},
	{"paper", K_PAPER},
};

/* One option into o: 1 when key is one, 0 when it is not, or -1 with
 * *err.  o->code_lang borrows v's string: the body must outlive o. */
static int
one_opt(struct cf_xopt *o, const char *key, jv v, jv *err)
{
	int k = -1;
	for (size_t i = 0; i < sizeof opt_keys / sizeof *opt_keys; i++)
		if (!strcmp(key, opt_keys[i].name))
			k = opt_keys[i].key;
	if (k < 0) {
		jv_free(v);
		return 0;
	}
	long n;
	int ok = 1;
	const char *expected = "true or false";
	switch (k) {
	case K_METADATA: ok = flag(jv_copy(v), &o->metadata); break;
	case K_LEAN: ok = flag(jv_copy(v), &o->lean); break;
	case K_TIMESTAMPS: ok = flag(jv_copy(v), &o->timestamps); break;
	case K_HISTORY: ok = flag(jv_copy(v), &o->history); break;
	case K_HEADER_LEVEL:
		expected = "1 to 5";
		if ((ok = whole(jv_copy(v), 1, 5, &n)))
			o->header_level = (int)n;
		break;
	case K_WIDTH:
		expected = "20 to 10000";
		if ((ok = whole(jv_copy(v), 20, 10000, &n)))
			o->width = (int)n;
		break;
	case K_CODE_LANG:
		expected = "a word such as python";
		ok = jv_get_kind(v) == JV_KIND_STRING && lang_ok(jv_string_value(v));
		if (ok)
			o->code_lang = jv_string_value(v);
		break;
	case K_PAPER:
		expected = "a4 or letter";
		ok = jv_get_kind(v) == JV_KIND_STRING;
		if (ok && !strcasecmp(jv_string_value(v), "letter"))
			o->letter = 1;
		else if (ok && !strcasecmp(jv_string_value(v), "a4"))
			o->letter = 0;
		else
			ok = 0;
		break;
	}
	if (!ok) {
		*err = bad_value(key, v, expected);
		return -1;
	}
	jv_free(v);
	return 1;
}

/* The request's format, archive kind and options, into r.  Options come
 * beside "format" or inside "options" (not both for one key); own lists
 * the other keys the route takes, which are left for it.  Borrows body,
 * which must outlive r.  jv_true() or a usage error (400). */
static jv
read_plan(jv body, struct cf_xrun *r, const char *const *own, int bulk)
{
	*r = (struct cf_xrun){.opt = {.header_level = 1, .width = 80}};
	if (jv_get_kind(body) != JV_KIND_OBJECT)
		return cf_error(CF_EX_USAGE, "the body must be a JSON object");
	jv err = jv_true();
	jv opts = jv_object_get(jv_copy(body), jv_string("options"));
	if (jv_get_kind(opts) == JV_KIND_NULL || !jv_is_valid(opts)) {
		jv_free(opts);
		opts = jv_object();
	} else if (jv_get_kind(opts) != JV_KIND_OBJECT) {
		jv_free(opts);
		return cf_error(CF_EX_USAGE, "invalid options: expected an object");
	}
	jv_object_foreach(opts, k, v) {
		const char *key = jv_string_value(k);
		if (!jv_is_valid(err)) {
			/* the first error is the one told */
		} else if (jv_object_has(jv_copy(body), jv_copy(k))) {
			err = cf_error(CF_EX_USAGE, "'%.100s' given twice, in the body and "
			               "in its options", key);
		} else if (one_opt(&r->opt, key, jv_copy(v), &err) == 0) {
			err = cf_error(CF_EX_USAGE, "unknown option '%.100s'", key);
		}
		jv_free(k);
		jv_free(v);
	}
	const char *format = NULL, *archive = NULL;
	jv_object_foreach(body, k, v) {
		const char *key = jv_string_value(k);
		int mine = 0;
		for (int i = 0; own[i]; i++)
			mine |= !strcmp(key, own[i]);
		if (!jv_is_valid(err) || mine || !strcmp(key, "options")) {
			/* taken above, or the route's */
		} else if (!strcmp(key, "format") || (bulk && !strcmp(key, "archive"))) {
			if (jv_get_kind(v) == JV_KIND_STRING)
				*(key[0] == 'f' ? &format : &archive) = jv_string_value(v);
			else if (jv_get_kind(v) != JV_KIND_NULL)
				err = bad_value(key, jv_copy(v), "a string");
		} else if (one_opt(&r->opt, key, jv_copy(v), &err) == 0) {
			err = cf_error(CF_EX_USAGE, "unknown field '%.100s'", key);
		}
		jv_free(k);
		jv_free(v);
	}
	/* the body keeps the strings format, archive and code_lang point to */
	jv_free(opts);
	if (!jv_is_valid(err))
		return err;
	jv_free(err);
	if (archive && cf_arc_named(archive) == CF_ARC_NONE)
		return cf_error(CF_EX_USAGE, "invalid archive '%.100s': expected zip, "
		                "tar.gz or tar.zst", archive);
	err = cf_export_plan(r, format, bulk ? (archive ? archive : "zip") : NULL);
	return err;
}

/* ---- the document: an unlinked file, then the response ---- */

/* A read-write file with no name, 0600, in $TMPDIR or /tmp: O_TMPFILE,
 * else a named one unlinked at once. */
static FILE *
spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		size_t n = strlen(dir) + 32;
		char *t = cf_xmalloc(n);
		snprintf(t, n, "%s/.confab-export-XXXXXX", dir);
		fd = mkostemp(t, O_CLOEXEC);
		if (fd >= 0)
			unlink(t);
		free(t);
	}
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w+b");
	if (!f)
		close(fd);
	return f;
}

static const char attr_chars[] = "!#$&+-.^_`|~";

/* Content-Disposition for a file sent from its descriptor, where
 * cf_srv_bytes cannot add it: name is cf_safe_name's already (no quote,
 * backslash, slash or control character), so the quoted form needs only
 * its non-ASCII bytes replaced, and RFC 5987's filename* carries them. */
static int
disposition(struct MHD_Response *resp, const char *name)
{
	size_t n = strlen(name);
	char *v = cf_xmalloc(n * 4 + 64), *p = v;
	p += sprintf(p, "attachment; filename=\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		*p++ = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '_' : (char)c;
	}
	p += sprintf(p, "\"; filename*=UTF-8''");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c && strchr(attr_chars, c)))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	int ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, v) == MHD_YES;
	free(v);
	return ok;
}

/* What was written to f, as the 200 response; f is closed. */
static enum MHD_Result
send_spool(struct cf_req *r, FILE *f, const char *ctype, const char *filename)
{
	if (fflush(f) != 0 || ferror(f)) {
		int e = errno;
		fclose(f);
		return cf_srv_fail(r, 500, "writing the export: %s", strerror(e ? e : EIO));
	}
	off_t size = ftello(f);
	int fd = fileno(f);
	if (size < 0) {
		fclose(f);
		return cf_srv_fail(r, 500, "reading the export: %s", strerror(errno));
	}
	if (size <= FROM_FILE_AT) {
		char *buf = cf_xmalloc((size_t)size + 1);
		size_t got = 0;
		while (got < (size_t)size) {
			ssize_t k = pread(fd, buf + got, (size_t)size - got, (off_t)got);
			if (k <= 0) {
				if (k < 0 && errno == EINTR)
					continue;
				free(buf);
				fclose(f);
				return cf_srv_fail(r, 500, "reading the export: %s",
				                   strerror(k < 0 ? errno : EIO));
			}
			got += (size_t)k;
		}
		fclose(f);
		enum MHD_Result rc = cf_srv_bytes(r, 200, ctype, buf, got, filename);
		free(buf);
		return rc;
	}
	/* the response keeps a descriptor of its own and closes it */
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	fclose(f);
	if (own < 0)
		return cf_srv_fail(r, 500, "reading the export: %s", strerror(errno));
	struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)size, own);
	if (!resp) {
		close(own);
		return cf_srv_fail(r, 500, "cannot make the response");
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
	    !disposition(resp, filename)) {
		MHD_destroy_response(resp);
		return cf_srv_fail(r, 500, "cannot make the response");
	}
	r->sent = (unsigned long long)size;
	return cf_srv_queue(r, 200, resp);
}

/* ---- POST /api/chat/sessions/:id/export ---- */

static enum MHD_Result
export_one(struct cf_req *r)
{
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	static const char *const own[] = {NULL};
	struct cf_xrun run;
	jv e = read_plan(body, &run, own, 0);
	if (!jv_is_valid(e)) {
		jv_free(body);
		return cf_srv_error(r, e);
	}
	jv_free(e);
	jv s = cf_resolve_session(r->srv->st, r->id);
	if (!jv_is_valid(s)) {
		jv_free(body);
		return cf_srv_error(r, s);
	}
	FILE *f = spool_open();
	if (!f) {
		jv_free(s);
		jv_free(body);
		return cf_srv_fail(r, 500, "cannot make a temporary file: %s", strerror(errno));
	}
	char ext[16];
	snprintf(ext, sizeof ext, ".%s", run.fmt->ext);
	char *filename = cf_safe_name(cf_jstr(s, "name"), ext);
	e = cf_export_session(r->srv->st, s, run.fmt, &run.opt, f, "the export");
	jv_free(body);
	enum MHD_Result rc;
	if (!jv_is_valid(e)) {
		fclose(f);
		rc = cf_srv_error(r, e);
	} else {
		jv_free(e);
		rc = send_spool(r, f, doc_type(run.fmt), filename);
	}
	free(filename);
	return rc;
}

/* ---- POST /api/chat/export/bulk ---- */

struct pick {
	jv list;        /* the session records, in order */
	jv seen;        /* their ids */
	int over;       /* more than BULK_MAX */
};

static int
pick_one(jv rec, void *ctx)
{
	struct pick *p = ctx;
	jv id = jv_object_get(jv_copy(rec), jv_string("id"));
	if (jv_object_has(jv_copy(p->seen), jv_copy(id))) {
		jv_free(id);
		jv_free(rec);
		return 0;
	}
	if (jv_array_length(jv_copy(p->list)) >= BULK_MAX) {
		p->over = 1;
		jv_free(id);
		jv_free(rec);
		return 1;
	}
	p->seen = jv_object_set(p->seen, id, jv_true());
	p->list = jv_array_append(p->list, rec);
	return 0;
}

/* sessions: [id, prefix, name or a record with an id], each resolved as
 * the command line resolves it; the same session twice goes in once. */
static jv
pick_refs(cf_store *st, jv refs, struct pick *p)
{
	if (jv_get_kind(refs) != JV_KIND_ARRAY) {
		jv_free(refs);
		return cf_error(CF_EX_USAGE, "invalid sessions: expected an array of ids");
	}
	jv err = jv_true();
	jv_array_foreach(refs, i, ref) {
		if (jv_is_valid(err) && !p->over) {
			jv id = jv_get_kind(ref) == JV_KIND_OBJECT ?
			        jv_object_get(jv_copy(ref), jv_string("id")) : jv_copy(ref);
			if (jv_get_kind(id) != JV_KIND_STRING) {
				jv_free(err);
				err = cf_error(CF_EX_USAGE, "invalid sessions[%d]: expected an id, "
				               "a unique prefix, a name or a record with an id", i);
			} else {
				jv s = cf_resolve_session(st, jv_string_value(id));
				if (jv_is_valid(s)) {
					pick_one(s, p);
				} else {
					jv_free(err);
					err = s;
				}
			}
			jv_free(id);
		}
		jv_free(ref);
	}
	jv_free(refs);
	return err;
}

/* filter: GET /api/chat/sessions's parameters as JSON.  Strings it points
 * into are the body's (borrowed: the body must outlive f). */
static jv
read_filter(cf_store *st, jv fl, struct cf_filter *f, const char ***tags, char *parent)
{
	*f = (struct cf_filter){0};
	*tags = NULL;
	if (jv_get_kind(fl) != JV_KIND_OBJECT)
		return cf_error(CF_EX_USAGE, "invalid filter: expected an object");
	jv err = jv_true();
	int ntags = 0;
	jv_object_foreach(fl, k, v) {
		const char *key = jv_string_value(k), *s =
			jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
		jv_kind kind = jv_get_kind(v);
		if (!jv_is_valid(err) || kind == JV_KIND_NULL) {
			/* a null is a filter not set, as a parameter left out */
		} else if (!strcmp(key, "tag") || !strcmp(key, "tags")) {
			jv l = kind == JV_KIND_ARRAY ? jv_copy(v) : jv_array_append(jv_array(), jv_copy(v));
			jv_array_foreach(l, i, t) {
				if (jv_is_valid(err) && jv_get_kind(t) == JV_KIND_STRING) {
					*tags = cf_xrealloc(*tags, sizeof **tags * (size_t)(ntags + 2));
					/* the body's own string: l's element is the same jv */
					(*tags)[ntags++] = jv_string_value(t);
					(*tags)[ntags] = NULL;
				} else if (jv_is_valid(err)) {
					err = bad_value(key, jv_copy(v), "a tag or a list of tags");
				}
				jv_free(t);
				(void)i;
			}
			jv_free(l);
		} else if (!strcmp(key, "provider") || !strcmp(key, "model")) {
			if (!s)
				err = bad_value(key, jv_copy(v), "a string");
			else if (key[0] == 'p')
				f->provider = s;
			else
				f->model = s;
		} else if (!strcmp(key, "q")) {
			const char *why;
			char *q = s ? cf_search_query(s, &why) : NULL;
			if (!s)
				err = bad_value(key, jv_copy(v), "a string");
			else if (!q)
				err = cf_error(CF_EX_USAGE, "invalid q '%.200s': %s", s, why);
			else
				f->search = s;
			free(q);
		} else if (!strcmp(key, "starred")) {
			if (!flag(jv_copy(v), &f->starred))
				err = bad_value(key, jv_copy(v), "true or false");
		} else if (!strcmp(key, "archived")) {
			if (s && !strcmp(s, "all"))
				f->archived = 2;
			else if (!flag(jv_copy(v), &f->archived))
				err = bad_value(key, jv_copy(v), "0, 1 or \"all\"");
		} else if (!strcmp(key, "since") || !strcmp(key, "until")) {
			int64_t ms;
			int until = key[0] == 'u';
			if (!s || cf_when_parse(s, until, &ms))
				err = bad_value(key, jv_copy(v), "a date, a time or an age like 7d");
			else
				*(until ? &f->until : &f->since) = ms;
		} else if (!strcmp(key, "parent")) {
			jv ps = s ? cf_resolve_session(st, s) :
			        bad_value(key, jv_copy(v), "a session");
			if (jv_is_valid(ps)) {
				snprintf(parent, 37, "%s", cf_jstr(ps, "id"));
				f->parent = parent;
				jv_free(ps);
			} else {
				err = ps;
			}
		} else {
			err = cf_error(CF_EX_USAGE, "unknown filter '%.100s'", key);
		}
		jv_free(k);
		jv_free(v);
	}
	jv_free(fl);
	f->tags = *tags;
	return err;
}

static enum MHD_Result
export_bulk(struct cf_req *r)
{
	cf_store *st = r->srv->st;
	jv body = cf_srv_body_json(r);
	if (!jv_is_valid(body))
		return cf_srv_error(r, body);
	static const char *const own[] = {"sessions", "filter", NULL};
	struct cf_xrun run;
	jv e = read_plan(body, &run, own, 1);
	jv refs = jv_object_get(jv_copy(body), jv_string("sessions"));
	jv fl = jv_object_get(jv_copy(body), jv_string("filter"));
	int by_refs = jv_get_kind(refs) != JV_KIND_NULL && jv_is_valid(refs);
	int by_filter = jv_get_kind(fl) != JV_KIND_NULL && jv_is_valid(fl);
	if (jv_is_valid(e) && by_refs == by_filter) {
		jv_free(e);
		e = cf_error(CF_EX_USAGE, by_refs ? "give sessions or a filter, not both" :
		             "give sessions (ids) or a filter");
	}
	struct pick p = {.list = jv_array(), .seen = jv_object()};
	const char **tags = NULL;
	if (jv_is_valid(e) && by_refs) {
		jv_free(e);
		e = pick_refs(st, jv_copy(refs), &p);
	} else if (jv_is_valid(e)) {
		struct cf_filter f;
		char parent[37];
		jv_free(e);
		e = read_filter(st, jv_copy(fl), &f, &tags, parent);
		if (jv_is_valid(e)) {
			jv_free(e);
			e = cf_session_list(st, &f, pick_one, &p);
		}
	}
	jv_free(refs);
	jv_free(fl);
	free(tags);
	jv_free(p.seen);
	int count = jv_array_length(jv_copy(p.list));
	if (jv_is_valid(e) && p.over) {
		jv_free(e);
		jv_free(p.list);
		jv_free(body);
		return cf_srv_fail(r, 413, "more than %d sessions: export them in parts", BULK_MAX);
	}
	if (jv_is_valid(e) && count == 0) {
		jv_free(e);
		e = cf_error(CF_EX_USAGE, "no sessions %s: nothing to export",
		             by_refs ? "given" : "match the filter");
	}
	if (!jv_is_valid(e)) {
		jv_free(p.list);
		jv_free(body);
		return cf_srv_error(r, e);
	}
	jv_free(e);

	FILE *f = spool_open();
	if (!f) {
		jv_free(p.list);
		jv_free(body);
		return cf_srv_fail(r, 500, "cannot make a temporary file: %s", strerror(errno));
	}
	/* libarchive converts entry names through the locale's character
	 * set, and in the C locale a name such as "café" cannot be written:
	 * UTF-8 for this thread alone, the process's locale untouched */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t was = utf8 ? uselocale(utf8) : (locale_t)0;
	struct cf_outfile out = {.f = f, .name = "the archive", .anon = -1};
	e = cf_archive_write(st, p.list, run.fmt, &run.opt, run.archive, &out);
	if (utf8) {
		uselocale(was);
		freelocale(utf8);
	}
	jv_free(body);
	if (!jv_is_valid(e))   /* cf_archive_write closed f (cf_outfile_abort) */
		return cf_srv_error(r, e);
	jv_free(e);
	const char *ctype = "application/zip", *ext = ".zip";
	for (size_t i = 0; i < sizeof arc_types / sizeof *arc_types; i++)
		if (arc_types[i].kind == run.archive) {
			ctype = arc_types[i].ctype;
			ext = arc_types[i].ext;
		}
	char filename[32];
	snprintf(filename, sizeof filename, "confab-export%s", ext);
	return send_spool(r, f, ctype, filename);
}

const struct cf_route cf_serve_routes_export[] = {
	{"POST", "/api/chat/sessions/:id/export", export_one, 0},
	{"POST", "/api/chat/export/bulk", export_bulk, 0},
	{0},
};
