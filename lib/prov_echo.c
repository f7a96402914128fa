/* prov_echo.c — offline: the reply repeats the last user message, a word
 * at a time, so pipelines can be tried without a key or a network. */
#include <string.h>

#include "provider.h"

static int
local(cf_call *c)
{
	const char *last = "";
	long bytes = c->system ? (long)strlen(c->system) : 0;
	jv_array_foreach(c->messages, i, m) {
		const char *t = cf_jstr(m, "content");
		bytes += (long)strlen(t);
		if (!strcmp(cf_jstr(m, "role"), "user"))
			last = t;   /* borrowed from c->messages, which outlives us */
		jv_free(m);
		(void)i;
	}
	long pieces = 0;
	cf_call_text(c, "echo: ", 6);
	for (const char *p = last; *p; pieces++) {
		size_t n = strcspn(p, " \n");
		n += strspn(p + n, " \n");
		cf_call_text(c, p, n);
		if (c->on_flush)
			c->on_flush(c);
		p += n;
		if (cf_interrupted)
			return CF_CALL_INTR;
	}
	jv_free(c->r.model);
	c->r.model = jv_string("echo");
	jv_free(c->r.stop);
	c->r.stop = jv_string("end_turn");
	c->r.in_tokens = (bytes + 3) / 4;
	c->r.out_tokens = pieces + 1;
	c->done = 1;
	return CF_CALL_OK;
}

const struct cf_provider cf_prov_echo = {
	.name = "echo",
	.model_default = "echo",
	.local = local,
};
