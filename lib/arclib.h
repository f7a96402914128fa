/* arclib.h — libarchive for archive.c, exp_docx.c and import.c, opened on
 * the first archive written or read (arclib.c) rather than linked: it and
 * what it needs (xml2 and icu, lzma, zstd, lz4, bz2, acl, nettle,
 * libstdc++) were 12 more libraries loaded before main in every program.
 *
 * CF_ARC_FUNCS lists every libarchive function those files call; the
 * defines below it send each call through cf_arc, filled in by
 * cf_arc_load.  The programs do not link libarchive, so a function called
 * but not in both lists fails to build: missing from the defines, the
 * link does not find it; missing from the list, cf_arc has no such
 * member. */
#ifndef CONFAB_ARCLIB_H
#define CONFAB_ARCLIB_H

#include <archive.h>
#include <archive_entry.h>

#include "confab.h"

#define CF_ARC_FUNCS(X) \
	X(archive_entry_filetype) \
	X(archive_entry_free) \
	X(archive_entry_new) \
	X(archive_entry_pathname) \
	X(archive_entry_pathname_utf8) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_mtime) \
	X(archive_entry_set_pathname) \
	X(archive_entry_set_pathname_utf8) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_size) \
	X(archive_entry_size) \
	X(archive_errno) \
	X(archive_error_string) \
	X(archive_read_data) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open_memory) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_format_tar) \
	X(archive_read_support_format_zip) \
	X(archive_write_add_filter_gzip) \
	X(archive_write_add_filter_zstd) \
	X(archive_write_close) \
	X(archive_write_data) \
	X(archive_write_free) \
	X(archive_write_header) \
	X(archive_write_new) \
	X(archive_write_open) \
	X(archive_write_open_FILE) \
	X(archive_write_set_bytes_in_last_block) \
	X(archive_write_set_bytes_per_block) \
	X(archive_write_set_format_option) \
	X(archive_write_set_format_pax_restricted) \
	X(archive_write_set_format_zip)

struct cf_arc_fns {
#define CF_ARC_FIELD(name) __typeof__(name) *name;
	CF_ARC_FUNCS(CF_ARC_FIELD)
#undef CF_ARC_FIELD
};
extern struct cf_arc_fns cf_arc;

/* Opens libarchive and looks every function up, once: jv_true(), or the
 * error naming what is missing ("... needs libarchive.so.13 (install
 * ...): ..."), for what ("zip and tar archives", "DOCX export"); until it
 * has returned jv_true() nothing above may be called. */
CF_MUST jv cf_arc_load(const char *what);

#ifndef CF_ARC_LOADER
#define archive_entry_filetype cf_arc.archive_entry_filetype
#define archive_entry_free cf_arc.archive_entry_free
#define archive_entry_new cf_arc.archive_entry_new
#define archive_entry_pathname cf_arc.archive_entry_pathname
#define archive_entry_pathname_utf8 cf_arc.archive_entry_pathname_utf8
#define archive_entry_set_filetype cf_arc.archive_entry_set_filetype
#define archive_entry_set_mtime cf_arc.archive_entry_set_mtime
#define archive_entry_set_pathname cf_arc.archive_entry_set_pathname
#define archive_entry_set_pathname_utf8 cf_arc.archive_entry_set_pathname_utf8
#define archive_entry_set_perm cf_arc.archive_entry_set_perm
#define archive_entry_set_size cf_arc.archive_entry_set_size
#define archive_entry_size cf_arc.archive_entry_size
#define archive_errno cf_arc.archive_errno
#define archive_error_string cf_arc.archive_error_string
#define archive_read_data cf_arc.archive_read_data
#define archive_read_free cf_arc.archive_read_free
#define archive_read_new cf_arc.archive_read_new
#define archive_read_next_header cf_arc.archive_read_next_header
#define archive_read_open_memory cf_arc.archive_read_open_memory
#define archive_read_support_filter_all cf_arc.archive_read_support_filter_all
#define archive_read_support_format_tar cf_arc.archive_read_support_format_tar
#define archive_read_support_format_zip cf_arc.archive_read_support_format_zip
#define archive_write_add_filter_gzip cf_arc.archive_write_add_filter_gzip
#define archive_write_add_filter_zstd cf_arc.archive_write_add_filter_zstd
#define archive_write_close cf_arc.archive_write_close
#define archive_write_data cf_arc.archive_write_data
#define archive_write_free cf_arc.archive_write_free
#define archive_write_header cf_arc.archive_write_header
#define archive_write_new cf_arc.archive_write_new
#define archive_write_open cf_arc.archive_write_open
#define archive_write_open_FILE cf_arc.archive_write_open_FILE
#define archive_write_set_bytes_in_last_block cf_arc.archive_write_set_bytes_in_last_block
#define archive_write_set_bytes_per_block cf_arc.archive_write_set_bytes_per_block
#define archive_write_set_format_option cf_arc.archive_write_set_format_option
#define archive_write_set_format_pax_restricted cf_arc.archive_write_set_format_pax_restricted
#define archive_write_set_format_zip cf_arc.archive_write_set_format_zip
#endif

#endif
