/* fuzz-htmlmsg.c — libFuzzer harness for cf_html_message, the HTML
 * chat-serve's page shows for a message (make fuzz).
 *
 * Input: the message's text, any bytes (NULs, bad UTF-8 and all).  What
 * comes out must pass htmlcheck.h's scan, as test-htmlmsg's corpus does:
 * only the listed tags and attributes, addresses http, https, mailto or
 * relative, no raw '<' in the text, every tag closed in order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "export.h"
#include "../unit/htmlcheck.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = cf_html_message((const char *)data, size);
	char err[200];
	if (html_check(h, err, sizeof err)) {
		fprintf(stderr, "fuzz-htmlmsg: %s\n", err);
		abort();
	}
	free(h);
	return 0;
}
