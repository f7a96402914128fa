/* archive.c — several sessions as one zip, tar.gz or tar.zst (libarchive):
 * a file per session, named after it and never twice, and a manifest. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arclib.h"
#include "export.h"

static const struct { const char *name, *suffix; int kind; } kinds[] = {
	{"zip", ".zip", CF_ARC_ZIP}, {"tar.gz", ".tar.gz", CF_ARC_TGZ},
	{"tgz", ".tgz", CF_ARC_TGZ}, {"tar.zst", ".tar.zst", CF_ARC_TZST},
};

int
cf_arc_named(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (!strcasecmp(name, kinds[i].name))
			return kinds[i].kind;
	return CF_ARC_NONE;
}

int
cf_arc_for_path(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		size_t k = strlen(kinds[i].suffix);
		if (n > k && !strcasecmp(path + n - k, kinds[i].suffix))
			return kinds[i].kind;
	}
	return CF_ARC_NONE;
}

/* libarchive's failure as the error to return, or jv_true().  Nothing
 * is cleaned up here: the archive holds out's FILE until it is freed. */
static jv
arc_check(struct archive *a, int rc, struct cf_outfile *out)
{
	if (rc >= ARCHIVE_WARN)
		return jv_true();
	int e = archive_errno(a);
	if (e > 0)
		return cf_outfile_error(out, e);
	/* the system's reason when there is one (above): "Write error" says
	 * less than "No space left on device" */
	const char *why = archive_error_string(a) ? archive_error_string(a) : "failed";
	return cf_error(CF_EX_FAIL, "writing %s: %s", out->name, why);
}

static jv
arc_file(struct archive *a, const char *name, FILE *src, long size, time_t mtime,
         struct cf_outfile *out)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	jv r = arc_check(a, archive_write_header(a, e), out);
	archive_entry_free(e);
	if (!jv_is_valid(r))
		return r;
	char buf[65536];
	size_t n;
	rewind(src);
	while ((n = fread(buf, 1, sizeof buf, src)) > 0)
		if (archive_write_data(a, buf, n) < 0)
			return arc_check(a, ARCHIVE_FATAL, out);
	if (ferror(src))
		return cf_outfile_error(out, errno);
	return jv_true();
}

/* What a name is to file systems that fold case (Windows, macOS) or
 * normalize (macOS): "Ä" is "ä", and "é" is "e" and a combining accent. */
static char *
name_key(const char *name)
{
	if (!g_utf8_validate(name, -1, NULL))
		return g_ascii_strdown(name, -1);
	char *fold = g_utf8_casefold(name, -1);
	char *key = g_utf8_normalize(fold, -1, G_NORMALIZE_DEFAULT);
	g_free(fold);
	return key ? key : g_ascii_strdown(name, -1);
}

/* Composed (NFC), as libarchive writes names: the manifest must name
 * what the archive holds.  Consumes s. */
static char *
composed(char *s)
{
	char *c = g_utf8_validate(s, -1, NULL) ?
	          g_utf8_normalize(s, -1, G_NORMALIZE_DEFAULT_COMPOSE) : NULL;
	if (!c)
		return s;
	free(s);
	s = cf_xstrdup(c);
	g_free(c);
	return s;
}

/* A name not yet in the archive: "name.md", "name (2).md", ... compared
 * as name_key compares them.  Composed before the cut at 100 bytes (NFC
 * can lengthen: U+0958 is three bytes, composed six) and after it (what
 * was taken out may have stood between a letter and its accent). */
static char *
unique(jv *used, const char *name, const char *ext)
{
	char *nfc = composed(cf_xstrdup(name));
	char *base = composed(cf_safe_name(nfc, ""));
	free(nfc);
	for (int i = 1;; i++) {
		char *full = cf_xmalloc(strlen(base) + strlen(ext) + 24);
		if (i == 1)
			sprintf(full, "%s%s%s", base, *ext ? "." : "", ext);
		else
			sprintf(full, "%s (%d)%s%s", base, i, *ext ? "." : "", ext);
		char *key = name_key(full);
		jv seen = jv_object_get(jv_copy(*used), jv_string(key));
		int taken = jv_is_valid(seen);
		jv_free(seen);
		if (!taken) {
			*used = jv_object_set(*used, jv_string(key), jv_true());
			g_free(key);
			free(base);
			return full;
		}
		g_free(key);
		free(full);
	}
}

static time_t
mtime_of(jv s)
{
	int64_t ms;
	if (cf_time_parse(cf_jstr(s, "lastUpdated"), &ms) == 0)
		return (time_t)(ms / 1000);
	return time(NULL);
}

/* One session's document into the archive, and its manifest entry. */
static jv
one_session(struct archive *a, cf_store *st, jv s, const struct cf_format *fmt,
            const struct cf_xopt *o, struct cf_outfile *out, jv *used, jv *manifest)
{
	FILE *tmp = tmpfile();
	if (!tmp)
		return cf_outfile_error(out, errno);
	jv r = cf_export_session(st, jv_copy(s), fmt, o, tmp, out->name);
	if (!jv_is_valid(r)) {
		fclose(tmp);
		return r;
	}
	char *file = unique(used, cf_jstr(s, "name"), fmt->ext);
	r = arc_file(a, file, tmp, ftell(tmp), mtime_of(s), out);
	fclose(tmp);
	if (jv_is_valid(r)) {
		jv md = jv_object_get(jv_copy(s), jv_string("metadata"));
		jv e = jv_object();
		e = jv_object_set(e, jv_string("file"), jv_string(file));
		static const char *const keys[] = {"id", "name", "created", "lastUpdated"};
		for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
			e = jv_object_set(e, jv_string(keys[k]),
			                  jv_object_get(jv_copy(s), jv_string(keys[k])));
		e = jv_object_set(e, jv_string("messageCount"),
		                  jv_object_get(md, jv_string("messageCount")));
		*manifest = jv_array_append(*manifest, e);
	}
	free(file);
	return r;
}

jv
cf_archive_write(cf_store *st, jv list, const struct cf_format *fmt,
                 const struct cf_xopt *o, int kind, struct cf_outfile *out)
{
	const char *what = "archive";
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (kinds[i].kind == kind) {
			what = kinds[i].name;
			break;
		}
	char why[32];
	snprintf(why, sizeof why, "%s export", what);
	jv r = cf_arc_load(why);
	if (!jv_is_valid(r)) {
		cf_outfile_abort(out);
		jv_free(list);
		return r;
	}
	struct archive *a = archive_write_new();
	jv used = jv_object(), manifest = jv_array();
	r = arc_check(a, kind == CF_ARC_ZIP ? archive_write_set_format_zip(a) :
	                 archive_write_set_format_pax_restricted(a), out);
	/* names are UTF-8 whatever the locale: zip flags them so, and pax
	 * headers carry them for tar */
	if (jv_is_valid(r) && kind == CF_ARC_ZIP)
		r = arc_check(a, archive_write_set_format_option(a, "zip", "hdrcharset", "UTF-8"), out);
	if (jv_is_valid(r) && kind == CF_ARC_TGZ)
		r = arc_check(a, archive_write_add_filter_gzip(a), out);
	else if (jv_is_valid(r) && kind == CF_ARC_TZST)
		r = arc_check(a, archive_write_add_filter_zstd(a), out);
	/* the output's own block size, not tar's 10 KiB records padded out */
	archive_write_set_bytes_in_last_block(a, 1);
	if (jv_is_valid(r))
		r = arc_check(a, archive_write_open_FILE(a, out->f), out);

	used = jv_object_set(used, jv_string("manifest.json"), jv_true());
	jv_array_foreach(list, i, s) {
		if (jv_is_valid(r))
			r = one_session(a, st, s, fmt, o, out, &used, &manifest);
		jv_free(s);
		(void)i;
	}
	if (jv_is_valid(r)) {
		jv m = jv_object();
		m = jv_object_set(m, jv_string("generator"), jv_string("confab " CF_VERSION));
		m = jv_object_set(m, jv_string("format"), jv_string(fmt->name));
		m = jv_object_set(m, jv_string("exported"), cf_time_jv(cf_now_ms()));
		m = jv_object_set(m, jv_string("sessions"), jv_copy(manifest));
		jv dumped = jv_dump_string(m, JV_PRINT_PRETTY | JV_PRINT_SPACE1);
		FILE *tmp = tmpfile();
		if (!tmp) {
			r = cf_outfile_error(out, errno);
		} else {
			fputs(jv_string_value(dumped), tmp);
			fputc('\n', tmp);
			r = arc_file(a, "manifest.json", tmp, ftell(tmp), time(NULL), out);
			fclose(tmp);
		}
		jv_free(dumped);
	}
	if (jv_is_valid(r))
		r = arc_check(a, archive_write_close(a), out);
	/* libarchive holds out's FILE until it is freed */
	archive_write_free(a);
	if (!jv_is_valid(r))
		cf_outfile_abort(out);
	jv_free(used);
	jv_free(manifest);
	jv_free(list);
	return r;
}
