/* filter.c — jq programs as filters over records (chat-ls --where). */
#include <stdlib.h>
#include <string.h>
#include <jq.h>

#include "confab.h"

struct cf_jq {
	jq_state *jq;
	const char *opt;
	jv err;
};

static void
on_error(void *data, jv msg)
{
	struct cf_jq *q = data;
	if (!jv_is_valid(q->err) && jv_get_kind(msg) == JV_KIND_STRING) {
		jv_free(q->err);
		q->err = msg;   /* keep the first: the rest repeat it */
	} else {
		jv_free(msg);
	}
}

cf_jq *
cf_jq_compile(const char *program, const char *opt, jv *err)
{
	struct cf_jq *q = cf_xmalloc(sizeof *q);
	q->jq = jq_init();
	q->opt = opt;
	q->err = jv_invalid();
	if (!q->jq) {
		free(q);
		*err = cf_error(CF_EX_FAIL, "cannot start jq");
		return NULL;
	}
	jq_set_error_cb(q->jq, on_error, q);
	if (!jq_compile(q->jq, program)) {
		const char *m = jv_is_valid(q->err) ? jv_string_value(q->err) :
		                "cannot compile";
		/* jq's messages span lines; the first says what is wrong */
		int n = (int)strcspn(m, "\n");
		*err = cf_error(CF_EX_USAGE, "%s: %.*s", opt, n, m);
		cf_jq_free(q);
		return NULL;
	}
	return q;
}

jv
cf_jq_true(cf_jq *q, jv rec)
{
	jq_start(q->jq, jv_copy(rec), 0);
	jv r = jq_next(q->jq);
	int ok;
	if (jv_is_valid(r)) {
		jv_kind k = jv_get_kind(r);
		ok = k != JV_KIND_FALSE && k != JV_KIND_NULL;
	} else {
		jv m = jv_invalid_get_msg(jv_copy(r));
		if (jv_get_kind(m) != JV_KIND_NULL) {
			jv s = jv_get_kind(m) == JV_KIND_STRING ? jv_copy(m) :
			       jv_dump_string(jv_copy(m), 0);
			jv e = cf_error(CF_EX_DATA, "%s: jq error on session %s: %s",
			                q->opt, cf_jstr(rec, "id"), jv_string_value(s));
			jv_free(s);
			jv_free(m);
			jv_free(r);
			/* a program stopped mid-output is started again next time */
			return e;
		}
		jv_free(m);
		ok = 0;   /* no output: empty */
	}
	jv_free(r);
	return jv_bool(ok);
}

void
cf_jq_free(cf_jq *q)
{
	if (!q)
		return;
	jq_teardown(&q->jq);
	jv_free(q->err);
	free(q);
}
