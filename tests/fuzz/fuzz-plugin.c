/* fuzz-plugin.c — libFuzzer harness for the plugin record reader
 * (cf_plugin_records, make fuzz).
 *
 * Input: a plugin's stdout.  Either every line that is not blank is a
 * record (one each, in order, each an object with a string type), or the
 * error names a line N (status CF_EX_DATA) such that the lines before it
 * read cleanly and N is not blank. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confab.h"

/* Lines not blank in the first n bytes, and where line `upto` starts. */
static long
records_in(const char *d, size_t n, long upto, size_t *start)
{
	long line = 0, filled = 0;
	for (size_t o = 0; o < n;) {
		const char *nl = memchr(d + o, '\n', n - o);
		size_t e = nl ? (size_t)(nl - d) : n;
		if (++line == upto && start)
			*start = o;
		int blank = 1;
		for (size_t i = o; i < e; i++)
			blank &= isspace((unsigned char)d[i]) != 0;
		filled += !blank;
		o = nl ? e + 1 : n;
	}
	return filled;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	const char *d = (const char *)in;
	jv r = cf_plugin_records(d, size, "f");
	if (jv_is_valid(r)) {
		if (jv_get_kind(r) != JV_KIND_ARRAY ||
		    jv_array_length(jv_copy(r)) != records_in(d, size, 0, NULL))
			abort();
		jv_array_foreach(r, i, x) {
			jv t = jv_object_get(x, jv_string("type"));
			if (jv_get_kind(t) != JV_KIND_STRING)
				abort();
			jv_free(t);
			(void)i;
		}
		jv_free(r);
		return 0;
	}
	if (!cf_is_error(r) || cf_error_status(r) != CF_EX_DATA)
		abort();
	jv m = cf_error_message(r);
	const char *s = strstr(jv_string_value(m), "line ");
	long line = s ? strtol(s + 5, NULL, 10) : 0;
	size_t start = size + 1;
	records_in(d, size, line, &start);
	if (line < 1 || start > size)
		abort();
	/* what comes before the line named is good */
	jv before = cf_plugin_records(d, start, "f");
	if (!jv_is_valid(before))
		abort();
	jv_free(before);
	jv_free(m);
	jv_free(r);
	return 0;
}
