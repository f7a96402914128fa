/* curl.c — libcurl, loaded on the first request rather than at start.
 *
 * Linking libcurl loads it and the thirty libraries it needs (TLS, HTTP/2,
 * SSH, LDAP, Kerberos, IDN, ...) into every run, about 3 ms and 6 MB before
 * main; a message to the echo provider, or any program that never makes a
 * request, pays that for nothing.  So the programs link this file instead:
 * each libcurl function the library uses is defined here, and the first
 * call dlopen()s libcurl.so.4 and looks the real ones up. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>

#include "confab.h"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	time_t (*getdate)(const char *, const time_t *);
} f;

static void
load(void)
{
	if (f.easy_init)
		return;
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		cf_raise(cf_error(CF_EX_FAIL, "cannot load libcurl: %s", dlerror()));
#define SYM(field, name) \
	if (!(*(void **)&f.field = dlsym(h, name))) \
		cf_raise(cf_error(CF_EX_FAIL, "libcurl has no %s", name));
	SYM(global_init, "curl_global_init")
	SYM(easy_setopt, "curl_easy_setopt")
	SYM(easy_getinfo, "curl_easy_getinfo")
	SYM(easy_perform, "curl_easy_perform")
	SYM(easy_cleanup, "curl_easy_cleanup")
	SYM(easy_strerror, "curl_easy_strerror")
	SYM(slist_append, "curl_slist_append")
	SYM(slist_free_all, "curl_slist_free_all")
	SYM(getdate, "curl_getdate")
	SYM(easy_init, "curl_easy_init")
#undef SYM
}

CURLcode curl_global_init(long flags) { load(); return f.global_init(flags); }
CURL *curl_easy_init(void) { load(); return f.easy_init(); }
CURLcode curl_easy_perform(CURL *c) { load(); return f.easy_perform(c); }
void curl_easy_cleanup(CURL *c) { load(); f.easy_cleanup(c); }
const char *curl_easy_strerror(CURLcode e) { load(); return f.easy_strerror(e); }
struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{ load(); return f.slist_append(l, s); }
void curl_slist_free_all(struct curl_slist *l) { load(); f.slist_free_all(l); }
time_t curl_getdate(const char *s, const time_t *now) { load(); return f.getdate(s, now); }

/* The option's type is in its number (CURLOPTTYPE_*): the argument is
 * passed on as that type. */
CURLcode
curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;
	load();
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f.easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = f.easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = f.easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = f.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = f.easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer. */
CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	load();
	va_start(ap, info);
	void *p = va_arg(ap, void *);
	va_end(ap);
	return f.easy_getinfo(c, info, p);
}
