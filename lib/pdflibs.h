/* pdflibs.h — cairo, pango and pangocairo for exp_pdf.c, opened on the
 * first PDF export (pdflibs.c) rather than linked: with what they need
 * (fontconfig, freetype, harfbuzz, pixman, png, X11 and xcb, gio, ...)
 * they were 31 of the 60 libraries loaded before confab's first prompt.
 *
 * CF_PDF_FUNCS lists every function exp_pdf.c calls, with its library;
 * the defines below it send each call through cf_pdf, filled in by
 * cf_pdf_load.  The programs do not link these libraries, so a function
 * called but not in both lists fails to build: missing from the defines,
 * the link does not find it; missing from the list, cf_pdf has no such
 * member. */
#ifndef CONFAB_PDFLIBS_H
#define CONFAB_PDFLIBS_H

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "confab.h"

/* The libraries, in the order they are opened (pdflibs.c's table). */
enum { CF_PDF_CAIRO, CF_PDF_PANGO, CF_PDF_PANGOCAIRO, CF_PDF_GOBJECT, CF_PDF_NLIB };

#define CF_PDF_FUNCS(X) \
	X(CAIRO, cairo_create) \
	X(CAIRO, cairo_destroy) \
	X(CAIRO, cairo_fill) \
	X(CAIRO, cairo_line_to) \
	X(CAIRO, cairo_move_to) \
	X(CAIRO, cairo_pdf_surface_create_for_stream) \
	X(CAIRO, cairo_pdf_surface_set_metadata) \
	X(CAIRO, cairo_rectangle) \
	X(CAIRO, cairo_set_line_width) \
	X(CAIRO, cairo_set_source_rgb) \
	X(CAIRO, cairo_show_page) \
	X(CAIRO, cairo_status) \
	X(CAIRO, cairo_stroke) \
	X(CAIRO, cairo_surface_destroy) \
	X(CAIRO, cairo_surface_finish) \
	X(CAIRO, cairo_surface_status) \
	X(CAIRO, cairo_tag_begin) \
	X(CAIRO, cairo_tag_end) \
	X(PANGO, pango_attr_background_new) \
	X(PANGO, pango_attr_family_new) \
	X(PANGO, pango_attr_foreground_new) \
	X(PANGO, pango_attr_insert_hyphens_new) \
	X(PANGO, pango_attr_list_copy) \
	X(PANGO, pango_attr_list_insert) \
	X(PANGO, pango_attr_list_new) \
	X(PANGO, pango_attr_list_unref) \
	X(PANGO, pango_attr_list_update) \
	X(PANGO, pango_attr_scale_new) \
	X(PANGO, pango_attr_size_new) \
	X(PANGO, pango_attr_strikethrough_new) \
	X(PANGO, pango_attr_style_new) \
	X(PANGO, pango_attr_underline_new) \
	X(PANGO, pango_attr_weight_new) \
	X(PANGO, pango_context_get_metrics) \
	X(PANGO, pango_context_set_round_glyph_positions) \
	X(PANGO, pango_font_description_free) \
	X(PANGO, pango_font_description_from_string) \
	X(PANGO, pango_font_metrics_get_height) \
	X(PANGO, pango_font_metrics_unref) \
	X(PANGO, pango_layout_get_baseline) \
	X(PANGO, pango_layout_get_extents) \
	X(PANGO, pango_layout_get_iter) \
	X(PANGO, pango_layout_get_line_count) \
	X(PANGO, pango_layout_get_line_readonly) \
	X(PANGO, pango_layout_iter_copy) \
	X(PANGO, pango_layout_iter_free) \
	X(PANGO, pango_layout_iter_get_baseline) \
	X(PANGO, pango_layout_iter_get_line_extents) \
	X(PANGO, pango_layout_iter_get_line_readonly) \
	X(PANGO, pango_layout_iter_get_line_yrange) \
	X(PANGO, pango_layout_iter_next_line) \
	X(PANGO, pango_layout_line_get_extents) \
	X(PANGO, pango_layout_line_get_length) \
	X(PANGO, pango_layout_line_get_start_index) \
	X(PANGO, pango_layout_line_get_x_ranges) \
	X(PANGO, pango_layout_new) \
	X(PANGO, pango_layout_set_alignment) \
	X(PANGO, pango_layout_set_attributes) \
	X(PANGO, pango_layout_set_ellipsize) \
	X(PANGO, pango_layout_set_font_description) \
	X(PANGO, pango_layout_set_text) \
	X(PANGO, pango_layout_set_width) \
	X(PANGO, pango_layout_set_wrap) \
	X(PANGOCAIRO, pango_cairo_create_context) \
	X(PANGOCAIRO, pango_cairo_show_layout) \
	X(PANGOCAIRO, pango_cairo_show_layout_line) \
	X(GOBJECT, g_object_unref)

struct cf_pdf_fns {
#define CF_PDF_FIELD(lib, name) __typeof__(name) *name;
	CF_PDF_FUNCS(CF_PDF_FIELD)
#undef CF_PDF_FIELD
};
extern struct cf_pdf_fns cf_pdf;

/* Opens the libraries and looks every function up, once: jv_true(), or
 * the error naming what is missing for what ("PDF export needs
 * libpango-1.0.so.0 (install ...): ..."); until it has returned
 * jv_true() nothing above may be called. */
CF_MUST jv cf_pdf_load(const char *what);

#ifndef CF_PDF_LOADER
#define cairo_create cf_pdf.cairo_create
#define cairo_destroy cf_pdf.cairo_destroy
#define cairo_fill cf_pdf.cairo_fill
#define cairo_line_to cf_pdf.cairo_line_to
#define cairo_move_to cf_pdf.cairo_move_to
#define cairo_pdf_surface_create_for_stream cf_pdf.cairo_pdf_surface_create_for_stream
#define cairo_pdf_surface_set_metadata cf_pdf.cairo_pdf_surface_set_metadata
#define cairo_rectangle cf_pdf.cairo_rectangle
#define cairo_set_line_width cf_pdf.cairo_set_line_width
#define cairo_set_source_rgb cf_pdf.cairo_set_source_rgb
#define cairo_show_page cf_pdf.cairo_show_page
#define cairo_status cf_pdf.cairo_status
#define cairo_stroke cf_pdf.cairo_stroke
#define cairo_surface_destroy cf_pdf.cairo_surface_destroy
#define cairo_surface_finish cf_pdf.cairo_surface_finish
#define cairo_surface_status cf_pdf.cairo_surface_status
#define cairo_tag_begin cf_pdf.cairo_tag_begin
#define cairo_tag_end cf_pdf.cairo_tag_end
#define pango_attr_background_new cf_pdf.pango_attr_background_new
#define pango_attr_family_new cf_pdf.pango_attr_family_new
#define pango_attr_foreground_new cf_pdf.pango_attr_foreground_new
#define pango_attr_insert_hyphens_new cf_pdf.pango_attr_insert_hyphens_new
#define pango_attr_list_copy cf_pdf.pango_attr_list_copy
#define pango_attr_list_insert cf_pdf.pango_attr_list_insert
#define pango_attr_list_new cf_pdf.pango_attr_list_new
#define pango_attr_list_unref cf_pdf.pango_attr_list_unref
#define pango_attr_list_update cf_pdf.pango_attr_list_update
#define pango_attr_scale_new cf_pdf.pango_attr_scale_new
#define pango_attr_size_new cf_pdf.pango_attr_size_new
#define pango_attr_strikethrough_new cf_pdf.pango_attr_strikethrough_new
#define pango_attr_style_new cf_pdf.pango_attr_style_new
#define pango_attr_underline_new cf_pdf.pango_attr_underline_new
#define pango_attr_weight_new cf_pdf.pango_attr_weight_new
#define pango_context_get_metrics cf_pdf.pango_context_get_metrics
#define pango_context_set_round_glyph_positions cf_pdf.pango_context_set_round_glyph_positions
#define pango_font_description_free cf_pdf.pango_font_description_free
#define pango_font_description_from_string cf_pdf.pango_font_description_from_string
#define pango_font_metrics_get_height cf_pdf.pango_font_metrics_get_height
#define pango_font_metrics_unref cf_pdf.pango_font_metrics_unref
#define pango_layout_get_baseline cf_pdf.pango_layout_get_baseline
#define pango_layout_get_extents cf_pdf.pango_layout_get_extents
#define pango_layout_get_iter cf_pdf.pango_layout_get_iter
#define pango_layout_get_line_count cf_pdf.pango_layout_get_line_count
#define pango_layout_get_line_readonly cf_pdf.pango_layout_get_line_readonly
#define pango_layout_iter_copy cf_pdf.pango_layout_iter_copy
#define pango_layout_iter_free cf_pdf.pango_layout_iter_free
#define pango_layout_iter_get_baseline cf_pdf.pango_layout_iter_get_baseline
#define pango_layout_iter_get_line_extents cf_pdf.pango_layout_iter_get_line_extents
#define pango_layout_iter_get_line_readonly cf_pdf.pango_layout_iter_get_line_readonly
#define pango_layout_iter_get_line_yrange cf_pdf.pango_layout_iter_get_line_yrange
#define pango_layout_iter_next_line cf_pdf.pango_layout_iter_next_line
#define pango_layout_line_get_extents cf_pdf.pango_layout_line_get_extents
#define pango_layout_line_get_length cf_pdf.pango_layout_line_get_length
#define pango_layout_line_get_start_index cf_pdf.pango_layout_line_get_start_index
#define pango_layout_line_get_x_ranges cf_pdf.pango_layout_line_get_x_ranges
#define pango_layout_new cf_pdf.pango_layout_new
#define pango_layout_set_alignment cf_pdf.pango_layout_set_alignment
#define pango_layout_set_attributes cf_pdf.pango_layout_set_attributes
#define pango_layout_set_ellipsize cf_pdf.pango_layout_set_ellipsize
#define pango_layout_set_font_description cf_pdf.pango_layout_set_font_description
#define pango_layout_set_text cf_pdf.pango_layout_set_text
#define pango_layout_set_width cf_pdf.pango_layout_set_width
#define pango_layout_set_wrap cf_pdf.pango_layout_set_wrap
#define pango_cairo_create_context cf_pdf.pango_cairo_create_context
#define pango_cairo_show_layout cf_pdf.pango_cairo_show_layout
#define pango_cairo_show_layout_line cf_pdf.pango_cairo_show_layout_line
#define g_object_unref cf_pdf.g_object_unref
#endif

#endif
