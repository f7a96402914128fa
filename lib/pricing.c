/* pricing.c — the price list (share/confab/pricing.json): what a model
 * charges per million input and output tokens, what a reply cost, and what
 * the replies in the store used and cost.  The list is loaded once, on
 * first use; without a readable list every cost is null and one warning
 * says why. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

#ifndef CF_SHAREDIR
#define CF_SHAREDIR "/usr/local/share/confab"
#endif

static int loaded;
static jv models;          /* name -> {input, output}, or jv_invalid() */
static char path[PATH_MAX + 64];

/* $CONFAB_PRICING, else the installed share folder, else the share folder
 * beside the executable's own (bin/../share/confab), which is where it is
 * in the build tree and in an installation under any prefix. */
static const char *
find_path(void)
{
	const char *env = getenv("CONFAB_PRICING");
	if (env && *env)
		return env;
	snprintf(path, sizeof path, "%s/pricing.json", CF_SHAREDIR);
	if (access(path, R_OK) == 0)
		return path;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char alt[sizeof path];
			snprintf(alt, sizeof alt, "%s/../share/confab/pricing.json", exe);
			if (access(alt, R_OK) == 0) {
				memcpy(path, alt, sizeof path);
				return path;
			}
		}
	}
	/* name the installed place in the warning */
	snprintf(path, sizeof path, "%s/pricing.json", CF_SHAREDIR);
	return path;
}

static jv
read_file(const char *p, const char **err)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = strerror(errno);
		return jv_invalid();
	}
	size_t len;
	char *buf = cf_read_all(fd, &len);
	close(fd);
	if (!buf) {
		*err = "read error";
		return jv_invalid();
	}
	jv v = len < INT_MAX ? jv_parse_sized(buf, (int)len) :
	       jv_invalid_with_msg(jv_string("larger than 2 GiB"));
	free(buf);
	return v;
}

static int
price_ok(jv entry, const char *key)
{
	jv v = jv_object_get(jv_copy(entry), jv_string(key));
	int ok = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 &&
	         isfinite(jv_number_value(v));
	jv_free(v);
	return ok;
}

static void
load(void)
{
	loaded = 1;
	models = jv_invalid();
	const char *p = find_path(), *err = NULL;
	jv doc = read_file(p, &err);
	if (err) {
		cf_warn("cannot read price list '%s': %s; costs are left out", p, err);
		return;
	}
	if (!jv_is_valid(doc)) {
		/* jq's message, without the text it quotes: one line */
		jv msg = jv_invalid_get_msg(doc);
		char why[200];
		snprintf(why, sizeof why, "%s", jv_get_kind(msg) == JV_KIND_STRING ?
		         jv_string_value(msg) : "not JSON");
		jv_free(msg);
		char *cut = strstr(why, " (while parsing");
		if (cut)
			*cut = '\0';
		for (char *c = why; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		cf_warn("malformed price list '%s': %s; costs are left out", p, why);
		return;
	}
	jv m = jv_get_kind(doc) == JV_KIND_OBJECT ?
	       jv_object_get(jv_copy(doc), jv_string("models")) : jv_invalid();
	jv_free(doc);
	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		jv_free(m);
		cf_warn("malformed price list '%s': no \"models\" object; costs are left out", p);
		return;
	}
	/* a bad entry is left out, the rest still count */
	jv good = jv_object();
	int warned = 0;
	jv_object_foreach(m, k, e) {
		if (jv_get_kind(e) == JV_KIND_OBJECT && price_ok(e, "input") &&
		    price_ok(e, "output")) {
			good = jv_object_set(good, k, e);
			continue;
		}
		if (!warned++)
			cf_warn("malformed price list '%s': model '%s' needs input and "
			        "output prices of 0 or more; it is left out", p,
			        jv_string_value(k));
		jv_free(k);
		jv_free(e);
	}
	jv_free(m);
	models = good;
}

/* The entry for name exactly, else for the longest name in the list that
 * name starts with, followed by '-': dated and suffixed ids
 * ("claude-sonnet-4-5-20250929", "gpt-4o-mini-2024-07-18") take the price
 * of their family, and "gpt-4o-mini" never takes that of "gpt-4o". */
static jv
lookup(const char *name)
{
	jv e = jv_object_get(jv_copy(models), jv_string(name));
	if (jv_is_valid(e))
		return e;
	jv_free(e);
	jv best = jv_invalid();
	size_t bestlen = 0;
	jv_object_foreach(models, k, v) {
		const char *ks = jv_string_value(k);
		size_t kl = strlen(ks);
		if (kl > bestlen && !strncmp(name, ks, kl) && name[kl] == '-') {
			jv_free(best);
			best = v;
			bestlen = kl;
		} else {
			jv_free(v);
		}
		jv_free(k);
	}
	return best;
}

int
cf_price(const char *model, double *in, double *out)
{
	if (!model || !*model)
		return 0;
	if (!loaded)
		load();
	if (!jv_is_valid(models))
		return 0;
	if (!strncmp(model, "models/", 7))
		model += 7;
	jv e = lookup(model);
	if (!jv_is_valid(e)) {
		jv_free(e);
		return 0;
	}
	if (in)
		*in = cf_jnum(e, "input", 0);
	if (out)
		*out = cf_jnum(e, "output", 0);
	jv_free(e);
	return 1;
}

jv
cf_price_models(void)
{
	if (!loaded)
		load();
	if (!jv_is_valid(models))
		return jv_array();
	return jv_keys(jv_copy(models));   /* jq sorts an object's keys */
}

void
cf_money(double usd, char *out, size_t n)
{
	if (usd == 0)
		snprintf(out, n, "$0");
	else if (fabs(usd) >= 0.01)
		snprintf(out, n, "$%.4f", usd);
	else
		snprintf(out, n, "$%.*f", 2 - (int)floor(log10(fabs(usd))), usd);
}

double
cf_cost_of(double in_tokens, double out_tokens, double in_price,
           double out_price)
{
	/* to a tenth of a nanodollar, so sums print as the decimals they are */
	double c = (in_tokens * in_price + out_tokens * out_price) / 1e6;
	return round(c * 1e10) / 1e10;
}

jv
cf_cost(const char *model, jv input_tokens, jv output_tokens)
{
	double pin, pout;
	jv r = jv_null();
	if (jv_get_kind(input_tokens) == JV_KIND_NUMBER &&
	    jv_get_kind(output_tokens) == JV_KIND_NUMBER &&
	    jv_number_value(input_tokens) >= 0 &&
	    jv_number_value(output_tokens) >= 0 &&
	    cf_price(model, &pin, &pout))
		r = jv_number(cf_cost_of(jv_number_value(input_tokens),
		                         jv_number_value(output_tokens), pin, pout));
	jv_free(input_tokens);
	jv_free(output_tokens);
	return r;
}

int
cf_prices(const char *model, struct cf_prices *p)
{
	memset(p, 0, sizeof *p);
	if (!model || !*model)
		return 0;
	if (!loaded)
		load();
	if (!jv_is_valid(models))
		return 0;
	if (!strncmp(model, "models/", 7))
		model += 7;
	jv e = lookup(model);
	if (!jv_is_valid(e)) {
		jv_free(e);
		return 0;
	}
	p->input = cf_jnum(e, "input", 0);
	p->output = cf_jnum(e, "output", 0);
	/* a kind the list does not price is charged as what it is part of */
	p->cache_read = price_ok(e, "cacheRead") ? cf_jnum(e, "cacheRead", 0) : p->input;
	p->cache_write_5m = price_ok(e, "cacheWrite5m") ? cf_jnum(e, "cacheWrite5m", 0) : p->input;
	p->cache_write_1h = price_ok(e, "cacheWrite1h") ? cf_jnum(e, "cacheWrite1h", 0) : p->input;
	p->reasoning = price_ok(e, "reasoning") ? cf_jnum(e, "reasoning", 0) : p->output;
	jv_free(e);
	return 1;
}

double
cf_cost_split(const struct cf_prices *p, double in, double out, double cr,
              double cw5, double cw1, double reasoning)
{
	double plain_in = in - cr - cw5 - cw1, plain_out = out - reasoning;
	if (plain_in < 0)   /* figures that do not add up: none charged twice */
		plain_in = 0;
	if (plain_out < 0)
		plain_out = 0;
	double c = (plain_in * p->input + cr * p->cache_read + cw5 * p->cache_write_5m +
	            cw1 * p->cache_write_1h + plain_out * p->output +
	            reasoning * p->reasoning) / 1e6;
	return round(c * 1e10) / 1e10;
}

static double
count_of(jv meta, const char *key)
{
	double v = cf_jnum(meta, key, 0);
	return v > 0 && isfinite(v) ? v : 0;
}

jv
cf_cost_meta(const char *model, jv meta)
{
	jv in = jv_object_get(jv_copy(meta), jv_string("inputTokens"));
	jv out = jv_object_get(jv_copy(meta), jv_string("outputTokens"));
	struct cf_prices p;
	jv r = jv_null();
	if (jv_get_kind(in) == JV_KIND_NUMBER && jv_get_kind(out) == JV_KIND_NUMBER &&
	    jv_number_value(in) >= 0 && jv_number_value(out) >= 0 && cf_prices(model, &p))
		r = jv_number(cf_cost_split(&p, jv_number_value(in), jv_number_value(out),
		                            count_of(meta, "cacheReadTokens"),
		                            count_of(meta, "cacheWrite5mTokens"),
		                            count_of(meta, "cacheWrite1hTokens"),
		                            count_of(meta, "reasoningTokens")));
	jv_free(in);
	jv_free(out);
	return r;
}

/* a member of a JSON object as a float, NULL when it is no number */
#define NUM(doc, key) "CASE WHEN json_type(" doc ", '$." key "') IN" \
	" ('integer', 'real') THEN CAST(json_extract(" doc ", '$." key "')" \
	" AS DOUBLE PRECISION) END"
/* A reply's figures from its metadata (m.extra) or from the edit that
 * keeps a retried one (e.value), named for the query around them (the
 * names count in the first arm of the UNION only). */
#define FIGURES(doc) \
	NUM(doc, "inputTokens") " AS a, " \
	NUM(doc, "outputTokens") " AS b, " \
	NUM(doc, "cost") " AS c, " \
	"json_type(" doc ", '$.tokensEstimated') = 'true' AS g, " \
	NUM(doc, "cacheReadTokens") " AS xr, " \
	NUM(doc, "cacheWrite5mTokens") " AS x5, " \
	NUM(doc, "cacheWrite1hTokens") " AS x1, " \
	NUM(doc, "reasoningTokens") " AS xs"

jv
cf_usage_list(cf_store *st, const struct cf_usage_query *q,
              void (*fn)(const struct cf_usage *u, void *ctx), void *ctx)
{
	/* One pass over the assistant messages.  The innermost query takes
	 * each value out of the extra column once (a LIMIT keeps SQLite from
	 * flattening it and parsing the JSON again for every use; not -1,
	 * which PostgreSQL refuses), a number or NULL: by json_type, as
	 * PostgreSQL's json_extract is text whatever the value, so typeof()
	 * of it cannot tell.  The outer one sums per group.  Costs are summed
	 * as whole units of 1e-10 USD, so a total of many replies is exact.
	 * Replies stored without a cost but with both token counts are summed
	 * apart, to be priced here from the list. */
	static const char sql[] =
		"SELECT sid, model, provider, count(*), total(tin), total(tout),"
		" total(coalesce(tokens, tin + tout)),"
		" sum(CAST(round(cost * 1e10) AS BIGINT)), count(cost),"
		" count(CASE WHEN cost IS NULL AND tin IS NOT NULL"
		"  AND tout IS NOT NULL THEN 1 END),"
		" total(CASE WHEN cost IS NULL AND tout IS NOT NULL THEN tin END),"
		" total(CASE WHEN cost IS NULL AND tin IS NOT NULL THEN tout END),"
		" (SELECT name FROM sessions WHERE id = sid),"
		" (SELECT provider FROM sessions WHERE id = sid) AS sprovider, count(est),"
		" total(cr), total(w5), total(w1), total(rs),"
		" total(CASE WHEN cost IS NULL AND tin IS NOT NULL AND tout IS NOT NULL THEN cr END),"
		" total(CASE WHEN cost IS NULL AND tin IS NOT NULL AND tout IS NOT NULL THEN w5 END),"
		" total(CASE WHEN cost IS NULL AND tin IS NOT NULL AND tout IS NOT NULL THEN w1 END),"
		" total(CASE WHEN cost IS NULL AND tin IS NOT NULL AND tout IS NOT NULL THEN rs END)"
		" FROM (SELECT sid, model, tokens, provider, CASE WHEN g THEN 1 END AS est,"
		"  xr AS cr, x5 AS w5, x1 AS w1, xs AS rs, a AS tin, b AS tout, c AS cost"
		"  FROM (SELECT CASE WHEN ?1 <> 0 THEN m.session_id END AS sid,"
		"   m.model AS model, m.tokens AS tokens,"
		"   coalesce(json_extract(m.extra, '$.provider'), s.provider) AS provider,"
		"   " FIGURES("m.extra")
		"   FROM messages m JOIN sessions s ON s.id = m.session_id"
		"   WHERE m.role = 'assistant' AND m.timestamp BETWEEN ?2 AND ?3"
		"   AND (CAST(?4 AS TEXT) IS NULL OR m.session_id IN (SELECT value FROM json_each(?4)))"
		/* a retried reply was paid for too: its figures are in the
		 * edit that keeps it (chat-send --retry), timed when replaced */
		"   UNION ALL SELECT CASE WHEN ?1 <> 0 THEN m.session_id END,"
		"   json_extract(e.value, '$.model'), " NUM("e.value", "tokens") ","
		"   coalesce(json_extract(e.value, '$.provider'), s.provider),"
		"   " FIGURES("e.value")
		"   FROM messages m JOIN sessions s ON s.id = m.session_id,"
		"   json_each(m.edits) e"
		"   WHERE m.role = 'assistant' AND m.edits <> '[]'"
		"   AND json_extract(e.value, '$.kind') = 'retry'"
		"   AND coalesce(CAST((julianday(json_extract(e.value, '$.timestamp'))"
		"    - 2440587.5) * 86400000 AS BIGINT), m.timestamp) BETWEEN ?2 AND ?3"
		"   AND (CAST(?4 AS TEXT) IS NULL OR m.session_id IN (SELECT value FROM json_each(?4)))"
		"   LIMIT 9223372036854775807) AS v) AS w"
		" GROUP BY sid, provider, model ORDER BY sid, provider, model";
	cf_sql_stmt *s = cf_stmt(st, sql);
	cf_sql_bind_int(s, 1, q->by_session);
	cf_sql_bind_int64(s, 2, q->since ? q->since : INT64_MIN);
	cf_sql_bind_int64(s, 3, q->until ? q->until : INT64_MAX);
	if (jv_get_kind(q->sessions) == JV_KIND_ARRAY) {
		jv ids = jv_array();
		jv_array_foreach(q->sessions, i, r) {
			ids = jv_array_append(ids, jv_get_kind(r) == JV_KIND_STRING ? r :
			        jv_object_get(r, jv_string("id")));
		}
		cf_bind_jv(s, 4, ids);
	}
	int rc;
	while ((rc = cf_sql_step(s)) == CF_SQL_ROW) {
		struct cf_usage u = {0};
#define TEXT(i) ((const char *)cf_sql_column_text(s, (i)))
		u.session = TEXT(0);
		u.model = TEXT(1);
		u.provider = TEXT(2);
		u.session_name = TEXT(12);
		u.session_provider = TEXT(13);
#undef TEXT
		u.messages = cf_sql_column_double(s, 3);
		u.input_tokens = cf_sql_column_double(s, 4);
		u.output_tokens = cf_sql_column_double(s, 5);
		u.total_tokens = cf_sql_column_double(s, 6);
		u.estimated = cf_sql_column_double(s, 14);
		u.cache_read = cf_sql_column_double(s, 15);
		u.cache_write_5m = cf_sql_column_double(s, 16);
		u.cache_write_1h = cf_sql_column_double(s, 17);
		u.reasoning_tokens = cf_sql_column_double(s, 18);
		u.cost_units = cf_sql_column_int64(s, 7);
		double stored = cf_sql_column_double(s, 8);
		double repriceable = cf_sql_column_double(s, 9);
		double priced = stored;
		struct cf_prices p;
		if (repriceable > 0 && cf_prices(u.model, &p)) {
			/* each kind at its rate, over the replies that have both
			 * counts */
			u.cost_units += llround(1e10 * cf_cost_split(&p,
				cf_sql_column_double(s, 10), cf_sql_column_double(s, 11),
				cf_sql_column_double(s, 19), cf_sql_column_double(s, 20),
				cf_sql_column_double(s, 21), cf_sql_column_double(s, 22)));
			priced += repriceable;
		}
		u.cost = u.cost_units / 1e10;
		u.unpriced = u.messages - priced;
		if (u.provider && !strcmp(u.provider, "echo"))
			u.unpriced = 0;   /* offline: it costs nothing, it is not unpriced */
		fn(&u, ctx);
	}
	jv r = rc == CF_SQL_DONE ? jv_true() :
	       cf_store_error(st, "summing what replies cost");
	cf_sql_reset(s);
	return r;
}

jv
cf_price_entry(const char *model)
{
	if (!model || !*model)
		return jv_null();
	if (!loaded)
		load();
	if (!jv_is_valid(models))
		return jv_null();
	if (!strncmp(model, "models/", 7))
		model += 7;
	jv e = lookup(model);
	if (!jv_is_valid(e)) {
		jv_free(e);
		return jv_null();
	}
	/* the prices the list gives, not the rates others fall back to */
	static const char *const kinds[] = {"input", "output", "cacheRead",
	                                    "cacheWrite5m", "cacheWrite1h", "reasoning"};
	jv out = jv_object();
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		jv v = jv_object_get(jv_copy(e), jv_string(kinds[i]));
		if (jv_get_kind(v) == JV_KIND_NUMBER)
			out = jv_object_set(out, jv_string(kinds[i]), v);
		else
			jv_free(v);
	}
	jv_free(e);
	return out;
}
