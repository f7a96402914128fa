/* Myers' edit scripts, word diffs and session diffs (lib/diff.c). */
#include <sys/stat.h>

#include "unit.h"

static char dir[] = "/tmp/confab-diff-XXXXXX";

/* The script's length and what it spells, checked against a and b; -2
 * when it does not spell them. */
static long
script_of(const char *a, const char *b, long max_d, long *d)
{
	uint32_t ia[64], ib[64];
	for (size_t i = 0; a[i]; i++)
		ia[i] = (unsigned char)a[i];
	for (size_t i = 0; b[i]; i++)
		ib[i] = (unsigned char)b[i];
	char *s;
	long n = cf_diff_script(ia, strlen(a), ib, strlen(b), max_d, &s);
	if (n < 0)
		return n;
	size_t i = 0, j = 0;
	*d = 0;
	int ok = 1;
	for (long k = 0; k < n; k++) {
		if (s[k] == '=')
			ok &= a[i++] == b[j++];
		else if (s[k] == '-')
			i++, ++*d;
		else if (s[k] == '+')
			j++, ++*d;
		else
			ok = 0;
	}
	free(s);
	return ok && i == strlen(a) && j == strlen(b) ? n : -2;
}

/* The longest common subsequence by the book, for small inputs. */
static long
lcs(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	long *t = calloc((n + 1) * (m + 1), sizeof *t);
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++)
			t[i * (m + 1) + j] = a[i - 1] == b[j - 1] ?
				t[(i - 1) * (m + 1) + j - 1] + 1 :
				t[(i - 1) * (m + 1) + j] > t[i * (m + 1) + j - 1] ?
				t[(i - 1) * (m + 1) + j] : t[i * (m + 1) + j - 1];
	long r = t[n * (m + 1) + m];
	free(t);
	return r;
}

static void
scripts(void)
{
	long d;
	/* Myers' paper's example: D = 5 */
	CHECK(script_of("ABCABBA", "CBABAC", -1, &d) >= 0 && d == 5);
	CHECK(script_of("", "", -1, &d) == 0 && d == 0);
	CHECK(script_of("abc", "", -1, &d) == 3 && d == 3);
	CHECK(script_of("", "xyz", -1, &d) == 3 && d == 3);
	CHECK(script_of("same", "same", -1, &d) == 4 && d == 0);
	CHECK(script_of("abcd", "wxyz", -1, &d) == 8 && d == 8);
	/* past max_d there is no script */
	CHECK(script_of("abcd", "wxyz", 7, &d) == -1);
	CHECK(script_of("abcd", "wxyz", 8, &d) == 8);
	/* random pairs: a script that spells both, of the fewest edits */
	srand(12345);
	int spelled = 1, fewest = 1;
	for (int t = 0; t < 2000; t++) {
		char a[40], b[40];
		int na = rand() % 39, nb = rand() % 39, k = 2 + rand() % 4;
		for (int i = 0; i < na; i++)
			a[i] = (char)('a' + rand() % k);
		for (int i = 0; i < nb; i++)
			b[i] = (char)('a' + rand() % k);
		a[na] = b[nb] = '\0';
		long n = script_of(a, b, -1, &d);
		spelled &= n >= 0;
		fewest &= d == na + nb - 2 * lcs(a, b);
	}
	CHECK(spelled);
	CHECK(fewest);
}

/* Applies the pieces: what they spell of a and of b. */
static int
applies(const char *a, const char *b)
{
	struct cf_wdiff *w;
	size_t na = strlen(a), nb = strlen(b);
	size_t n = cf_word_diff(a, na, b, nb, &w);
	char *sa = malloc(na + 1), *sb = malloc(nb + 1);
	size_t la = 0, lb = 0;
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		ok &= w[i].len > 0 && (i == 0 || w[i].op != w[i - 1].op);
		if (w[i].op == '=') {
			ok &= w[i].a == la && w[i].b == lb && w[i].a + w[i].len <= na &&
			      w[i].b + w[i].len <= nb &&
			      !memcmp(a + w[i].a, b + w[i].b, w[i].len);
			if (!ok)
				break;
			memcpy(sa + la, a + w[i].a, w[i].len);
			memcpy(sb + lb, b + w[i].b, w[i].len);
			la += w[i].len, lb += w[i].len;
		} else if (w[i].op == '-') {
			ok &= w[i].a == la && w[i].a + w[i].len <= na;
			if (ok)
				memcpy(sa + la, a + w[i].a, w[i].len), la += w[i].len;
		} else {
			ok &= w[i].op == '+' && w[i].b == lb && w[i].b + w[i].len <= nb;
			if (ok)
				memcpy(sb + lb, b + w[i].b, w[i].len), lb += w[i].len;
		}
	}
	ok = ok && la == na && lb == nb && !memcmp(sa, a, na) && !memcmp(sb, b, nb);
	free(sa);
	free(sb);
	free(w);
	return ok;
}

/* The pieces as "=x|-y|+z|" for exact checks. */
static char *
pieces(const char *a, const char *b)
{
	static char out[512];
	struct cf_wdiff *w;
	size_t n = cf_word_diff(a, strlen(a), b, strlen(b), &w), k = 0;
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%c%.*s|", w[i].op, (int)w[i].len,
		                      (w[i].op == '+' ? b + w[i].b : a + w[i].a));
	out[k] = '\0';
	free(w);
	return out;
}

static void
words(void)
{
	CHECK_STR(pieces("Hello, world.", "Hello, there."), "=Hello, |-world|+there|=.|");
	CHECK_STR(pieces("same text", "same text"), "=same text|");
	CHECK_STR(pieces("", "new"), "+new|");
	CHECK_STR(pieces("old", ""), "-old|");
	CHECK_STR(pieces("", ""), "");
	/* a word is replaced whole, not letter by letter */
	CHECK_STR(pieces("the cat sat", "the car sat"), "=the |-cat|+car|= sat|");
	/* UTF-8 stays inside words */
	CHECK_STR(pieces("café noir", "café crème"), "=café |-noir|+crème|");
	CHECK_STR(pieces("a b c", "a x b c"), "=a |+x |=b c|");
	CHECK(applies("line one\nline two\n", "line one\nline 2\nline three\n"));
	/* random texts: applying the diff of a to b gives b (and a back) */
	static const char *vocab[] = {"the", "cat", "sat", "on", "mat", " ", "  ", "\n",
	                              ",", ".", "naïve", "日本", "x_1", "-", "\t"};
	int nv = (int)(sizeof vocab / sizeof *vocab), ok = 1;
	srand(777);
	for (int t = 0; t < 3000; t++) {
		char a[600] = "", b[600] = "";
		int wa = rand() % 40, wb = rand() % 40;
		for (int i = 0; i < wa; i++)
			strcat(a, vocab[rand() % nv]);
		/* b: mostly a, changed here and there */
		if (t % 3) {
			strcpy(b, a);
			for (int e = rand() % 4; e >= 0; e--) {
				size_t at = strlen(b) ? (size_t)rand() % strlen(b) : 0;
				char tail[600];
				strcpy(tail, b + at + (rand() % 2 && b[at] ? 1 : 0));
				b[at] = '\0';
				if (strlen(b) + strlen(tail) + 8 < sizeof b) {
					strcat(b, vocab[rand() % nv]);
					strcat(b, tail);
				}
			}
		} else {
			for (int i = 0; i < wb; i++)
				strcat(b, vocab[rand() % nv]);
		}
		ok &= applies(a, b);
	}
	CHECK(ok);
	/* texts too far apart for the search are one piece out, one in */
	size_t big = 6000;
	char *a = malloc(big * 2 + 1), *b = malloc(big * 2 + 1);
	for (size_t i = 0; i < big; i++) {
		a[2 * i] = 'a', a[2 * i + 1] = ' ';
		b[2 * i] = 'b', b[2 * i + 1] = '.';
	}
	a[2 * big] = b[2 * big] = '\0';
	struct cf_wdiff *w;
	size_t n = cf_word_diff(a, 2 * big, b, 2 * big, &w);
	CHECK(n == 2 && w[0].op == '-' && w[0].len == 2 * big && w[1].op == '+');
	free(w);
	CHECK(applies(a, b));
	free(a);
	free(b);
	/* a long text: one edit costs its place, not the text; two far
	 * apart make one replaced middle, not a table of every word */
	big = 2 << 20;
	a = malloc(big + 1), b = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		a[i] = " abcdefgh"[i % 9];
	a[big] = '\0';
	memcpy(b, a, big + 1);
	memcpy(b + big / 2, "XY", 2);
	n = cf_word_diff(a, big, b, big, &w);
	CHECK(n == 4 && w[1].op == '-' && w[1].len == 8 && w[2].op == '+' && w[2].len == 8);
	free(w);
	CHECK(applies(a, b));
	memcpy(b + 10, "XY", 2);
	n = cf_word_diff(a, big, b, big, &w);
	CHECK(n == 4 && w[1].op == '-' && w[1].len > 256 * 1024);
	free(w);
	CHECK(applies(a, b));
	free(a);
	free(b);
}

static jv
session(cf_store *st, const char *name, const char *roles, const char *const *msgs)
{
	jv r = jv_object_set(jv_object(), jv_string("name"), jv_string(name));
	OK(cf_store_begin(st));
	r = cf_session_insert(st, r);
	for (int i = 0; msgs[i]; i++) {
		jv m = jv_object_set(jv_object(), jv_string("role"),
		                     jv_string(roles[i] == 'a' ? "assistant" : "user"));
		m = jv_object_set(m, jv_string("content"), jv_string(msgs[i]));
		jv_free(cf_message_insert(st, cf_jstr(r, "id"), m));
	}
	OK(cf_store_commit(st));
	return r;
}

static int
first_msg(jv m, void *ctx)
{
	jv *first = ctx;
	if (jv_get_kind(*first) == JV_KIND_NULL) {
		jv_free(*first);
		*first = m;
		return 1;
	}
	jv_free(m);
	return 1;
}

/* What a diff writes as records, one string. */
static char *
records_of(cf_diff *d, int mode)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	OK(cf_diff_write(d, f, mode, 0));
	fclose(f);
	return buf;
}

static void
sessions(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/diff.db", dir);
	cf_store *st = unit_open(path, CF_STORE_WRITE);
	static const char *const ma[] = {"hi", "hello", "a question", "an answer",
	                                 "more", "the end", NULL};
	static const char *const mb[] = {"hi", "hello", "another question", "an answer",
	                                 "the end", NULL};
	static const char *const none[] = {NULL};
	jv a = session(st, "a", "uauaua", ma), b = session(st, "b", "uauaa", mb);
	jv e = session(st, "e", "", none);
	cf_diff *d;
	OK(cf_diff_sessions(st, a, b, &d));
	CHECK(cf_diff_differ(d));
	char *out = records_of(d, CF_DIFF_JSON);
	/* the common part, the changed question, the answer the same, "more"
	 * removed, the end the same */
	CHECK(strstr(out, "{\"type\":\"same\",\"a\":1,\"b\":1,\"count\":2,\"branch\":null}\n") == out);
	CHECK(strstr(out, "\"type\":\"change\",\"a\":3,\"b\":3") != NULL);
	CHECK(strstr(out, "{\"op\":\"-\",\"text\":\"a\"},{\"op\":\"+\",\"text\":\"another\"}") != NULL);
	CHECK(strstr(out, "{\"type\":\"same\",\"a\":4,\"b\":4,\"count\":1}") != NULL);
	CHECK(strstr(out, "{\"type\":\"remove\",\"a\":5,") != NULL);
	CHECK(strstr(out, "{\"type\":\"same\",\"a\":6,\"b\":5,\"count\":1}") != NULL);
	free(out);
	out = records_of(d, CF_DIFF_JSON_STAT);
	CHECK(strstr(out, "\"same\":4,\"change\":1,\"remove\":1,\"add\":0,"
	                  "\"wordsRemoved\":2,\"wordsAdded\":1") != NULL);
	free(out);
	cf_diff_free(d);
	/* a session and itself; two that share nothing */
	OK(cf_diff_sessions(st, a, a, &d));
	CHECK(!cf_diff_differ(d));
	out = records_of(d, CF_DIFF_JSON);
	CHECK_STR(out, "{\"type\":\"same\",\"a\":1,\"b\":1,\"count\":6,\"branch\":null}\n");
	free(out);
	cf_diff_free(d);
	OK(cf_diff_sessions(st, e, b, &d));
	CHECK(cf_diff_differ(d));
	out = records_of(d, CF_DIFF_STAT);
	CHECK(strstr(out, "0 the same, 0 changed, 0 removed, 5 added") != NULL);
	free(out);
	cf_diff_free(d);
	/* a branch knows where it was made */
	jv br = cf_session_branch(st, a, NULL, "a2", 0);
	OK(cf_diff_sessions(st, a, br, &d));
	CHECK(!cf_diff_differ(d));
	out = records_of(d, CF_DIFF_TEXT);
	CHECK(strstr(out, "# b is a branch of a, made at message 6\n") != NULL);
	free(out);
	cf_diff_free(d);

	/* versions: none before an edit, then the one before against now */
	jv first = jv_null();
	OK(cf_message_list(st, cf_jstr(a, "id"), 0, NULL, first_msg, &first));
	ERR_MSG(CF_EX_USAGE, "no earlier version", cf_diff_versions(first, 0, &d));
	CHECK(d == NULL);
	int changed = 0;
	jv m = cf_edit_message(st, cf_jstr(first, "id"), "hi there", 8, 0, &changed);
	CHECK(changed);
	OK(cf_diff_versions(m, 0, &d));
	CHECK(cf_diff_differ(d));
	out = records_of(d, CF_DIFF_JSON);
	CHECK(strstr(out, "\"type\":\"change\",\"message\":") == out + 1);
	CHECK(strstr(out, "\"a\":1,\"b\":2") != NULL);
	CHECK(strstr(out, "{\"op\":\"=\",\"text\":\"hi\"},{\"op\":\"+\",\"text\":\" there\"}") != NULL);
	free(out);
	cf_diff_free(d);
	OK(cf_diff_versions(m, 2, &d));
	CHECK(!cf_diff_differ(d));
	cf_diff_free(d);
	ERR_MSG(CF_EX_USAGE, "no version 3", cf_diff_versions(m, 3, &d));
	jv_free(m);
	jv_free(first);
	jv_free(br);
	jv_free(a);
	jv_free(b);
	jv_free(e);
	cf_store_close(st);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 2;
	scripts();
	words();
	sessions();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-diff");
}
