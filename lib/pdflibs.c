/* pdflibs.c — cairo and pango, opened on the first PDF export (pdflibs.h). */
#define CF_PDF_LOADER
#include "pdflibs.h"
#include "dynlib.h"

struct cf_pdf_fns cf_pdf;

jv
cf_pdf_load(const char *what)
{
	static struct cf_dynlib libs[CF_PDF_NLIB] = {
		[CF_PDF_CAIRO] = {"libcairo.so.2", "cairo: Debian's libcairo2"},
		[CF_PDF_PANGO] = {"libpango-1.0.so.0", "pango: Debian's libpango-1.0-0"},
		[CF_PDF_PANGOCAIRO] = {"libpangocairo-1.0.so.0",
		                       "pango: Debian's libpangocairo-1.0-0"},
		[CF_PDF_GOBJECT] = {"libgobject-2.0.so.0", "glib: Debian's libglib2.0-0"},
	};
	static const struct cf_dynsym syms[] = {
#define CF_PDF_SYM(lib, name) {CF_PDF_##lib, #name, offsetof(struct cf_pdf_fns, name)},
		CF_PDF_FUNCS(CF_PDF_SYM)
#undef CF_PDF_SYM
	};
	static int done;
	return cf_dynlib_load(what, libs, CF_PDF_NLIB, syms,
	                      (int)(sizeof syms / sizeof *syms), &cf_pdf, &done);
}
