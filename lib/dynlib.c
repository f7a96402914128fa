/* dynlib.c — opening a library on first use (dynlib.h). */
#include <dlfcn.h>

#include "dynlib.h"

jv
cf_dynlib_load(const char *what, struct cf_dynlib *libs, int nlib,
               const struct cf_dynsym *syms, int nsym, void *fns, int *done)
{
	if (*done)
		return jv_true();
	/* in order: a library's own file is named before one that needs it */
	for (int i = 0; i < nlib; i++) {
		if (libs[i].h)
			continue;
		if (!(libs[i].h = dlopen(libs[i].so, RTLD_NOW | RTLD_LOCAL)))
			return cf_error(CF_EX_FAIL, "%s needs %s (install %s): %s", what,
			                libs[i].so, libs[i].package, dlerror());
	}
	for (int i = 0; i < nsym; i++) {
		void *f = dlsym(libs[syms[i].lib].h, syms[i].name);
		if (!f)
			return cf_error(CF_EX_FAIL, "%s: %s has no %s (too old a version?)",
			                what, libs[syms[i].lib].so, syms[i].name);
		/* POSIX's way from dlsym's void * to a function pointer */
		*(void **)((char *)fns + syms[i].off) = f;
	}
	*done = 1;
	return jv_true();
}
