/* dynlib.h — libraries a few commands need, opened on their first use
 * (dynlib.c) rather than linked: a linked library is loaded, with all it
 * needs, before main in every run of every program.  pdflibs.h (cairo,
 * pango) and arclib.h (libarchive) are built on it. */
#ifndef CONFAB_DYNLIB_H
#define CONFAB_DYNLIB_H

#include <stddef.h>

#include "confab.h"

struct cf_dynlib {
	const char *so;        /* the soname dlopen()ed */
	const char *package;   /* what to install, for the message */
	void *h;               /* open, or NULL */
};

/* A function: its library (an index into the caller's table), its name,
 * where its pointer goes in the caller's table of functions. */
struct cf_dynsym {
	int lib;
	const char *name;
	size_t off;
};

/* Opens the libraries not open yet, then looks every function up into
 * fns (at each one's off).  jv_true(), or a CF_EX_FAIL error for what
 * ("PDF export") naming the library that did not load or the function
 * it lacks; a later call tries again (the library may have been
 * installed since).  *done is set once everything is there, and then
 * the call does nothing. */
CF_MUST jv cf_dynlib_load(const char *what, struct cf_dynlib *libs, int nlib,
                          const struct cf_dynsym *syms, int nsym, void *fns, int *done);

#endif
