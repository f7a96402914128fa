/* arclib.c — libarchive, opened on the first archive (arclib.h). */
#define CF_ARC_LOADER
#include "arclib.h"
#include "dynlib.h"

struct cf_arc_fns cf_arc;

jv
cf_arc_load(const char *what)
{
	static struct cf_dynlib lib = {.so = "libarchive.so.13",
	                              .package = "libarchive: Debian's libarchive13"};
	static const struct cf_dynsym syms[] = {
#define CF_ARC_SYM(name) {0, #name, offsetof(struct cf_arc_fns, name)},
		CF_ARC_FUNCS(CF_ARC_SYM)
#undef CF_ARC_SYM
	};
	static int done;
	return cf_dynlib_load(what, &lib, 1, syms, (int)(sizeof syms / sizeof *syms),
	                      &cf_arc, &done);
}
