/* chat.c — a turn: one message and its reply, from the context to the
 * stored records, in one call that never ends the process. */
#include <stdlib.h>
#include <string.h>

#include "priv.h"

void
cf_turn_init(struct cf_turn *t)
{
	memset(t, 0, sizeof *t);
	t->session = jv_null();
	t->over = jv_null();
	t->fallbacks = jv_null();
	t->user = jv_null();
	t->reply = jv_null();
	t->stream = 1;
	t->retries = 3;
	t->timeout = 120;
	t->retry_time = 60;
	t->records = 1;
}

jv
cf_turn_config(struct cf_turn *t)
{
	(void)t;
	return jv_true();
}

jv
cf_turn_run(struct cf_turn *t)
{
	jv_free(t->over);
	jv_free(t->fallbacks);
	t->over = t->fallbacks = jv_null();
	t->exit = CF_EX_FAIL;
	return cf_error(CF_EX_FAIL, "not yet");
}

const char *
cf_turn_text(struct cf_turn *t, size_t *len)
{
	(void)t;
	*len = 0;
	return "";
}

void
cf_turn_save(struct cf_turn *t)
{
	(void)t;
}

void
cf_turn_release(struct cf_turn *t)
{
	jv_free(t->session);
	jv_free(t->over);
	jv_free(t->fallbacks);
	jv_free(t->user);
	jv_free(t->reply);
	t->session = t->over = t->fallbacks = t->user = t->reply = jv_null();
}

jv
cf_files_load(struct cf_files *f, const char *const *paths, int n)
{
	(void)paths;
	(void)n;
	memset(f, 0, sizeof *f);
	f->list = jv_array();
	return jv_true();
}

void
cf_files_free(struct cf_files *f)
{
	jv_free(f->list);
	for (int i = 0; i < f->n; i++)
		free(f->blobs[i].p);
	free(f->blobs);
	memset(f, 0, sizeof *f);
	f->list = jv_null();
}
