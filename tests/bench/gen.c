/* gen.c — the synthetic store for `make bench`.
 *
 *     bench-gen DB
 *
 * Builds, in a new file DB, a store of 100,000 sessions and 1,000,000
 * messages through the library's own schema (cf_store_open: migrations,
 * triggers, FTS5 indexes, counters all as in a real store), and prints
 * key=value lines describing it on stdout, the time it took last.
 *
 * Reproducible: everything comes from one fixed-seed splitmix64/xorshift
 * generator, including ids (UUIDv7 built from the generated times), so two
 * runs produce the same rows.
 *
 * The shape:
 * - a vocabulary of 5,000 pseudo-words (consonant-vowel syllables, no q, x,
 *   y or z) drawn with a Zipf distribution (s = 1) for names and contents;
 * - two marker words that the vocabulary cannot produce: RARE_WORD in about
 *   0.1% of messages and COMMON_WORD in about 1%;
 * - one session of 100,000 messages spread over the two years; the other
 *   900,000 messages over the other 99,999 sessions (1 to 200 each, 9 on
 *   average);
 * - roles alternating user, assistant; tokens, model and processing time on
 *   assistant messages; times spread over 2024-01-01 .. 2026-01-01 UTC;
 * - tags on about 30% of sessions, 5% starred, 10% archived, 2% branches;
 * - sessions inserted in order of creation and messages in order of time
 *   (interleaved across sessions), as a store fills up in real use. */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "../../lib/sql_int.h"

/* the generator writes through SQLite itself, for speed */
#define LITE(st) cf_sql_sqlite(cf_store_db(st))

#define NSESSIONS 100000
#define NMESSAGES 1000000
#define BIG_MESSAGES 100000
#define NWORDS 5000
#define RARE_WORD "xylophrax"
#define RARE_PER_MILLION 1000      /* 0.1% of messages */
#define COMMON_WORD "quizzet"
#define COMMON_PER_MILLION 10000   /* 1% of messages */
#define T0 1704067200000LL         /* 2024-01-01T00:00:00Z */
#define SPAN (731LL * 86400 * 1000) /* two years, in ms */
#define BATCH 100000               /* messages per transaction */
#define SEED 0x5eedc0fab2026ULL

/* ---- the generator: splitmix64 seeds xorshift64* ---- */

static uint64_t rng_state;

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(uint64_t seed)
{
	rng_state = splitmix64(&seed);
	if (!rng_state)
		rng_state = 1;
}

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n). */
static uint64_t
rng_below(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng() * n) >> 64);
}

/* Uniform in [lo, hi]. */
static int64_t
rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)rng_below((uint64_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static double
rng_unit(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* True with probability per_million / 1e6. */
static int
rng_chance(unsigned per_million)
{
	return rng_below(1000000) < per_million;
}

/* ---- vocabulary ---- */

static char *words[NWORDS];
static size_t word_len[NWORDS];
static double zipf_cdf[NWORDS];

static int
word_known(const char *w, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(words[i], w))
			return 1;
	return 0;
}

static void
make_vocabulary(void)
{
	static const char cons[] = "bcdfghjklmnprstvw";
	static const char vow[] = "aeiou";
	for (int i = 0; i < NWORDS; i++) {
		char w[16];
		do {
			/* frequent words are short, as in real text */
			int syl = i < 50 ? 1 + (int)rng_below(2) :
			          i < 1000 ? 2 + (int)rng_below(2) :
			                     2 + (int)rng_below(3);
			int k = 0;
			for (int j = 0; j < syl; j++) {
				w[k++] = cons[rng_below(sizeof cons - 1)];
				w[k++] = vow[rng_below(sizeof vow - 1)];
			}
			if (rng_below(3) == 0)
				w[k++] = cons[rng_below(sizeof cons - 1)];
			w[k] = '\0';
		} while (word_known(w, i));
		words[i] = cf_xstrdup(w);
		word_len[i] = strlen(w);
	}
	double sum = 0;
	for (int i = 0; i < NWORDS; i++)
		sum += 1.0 / (i + 1);
	double acc = 0;
	for (int i = 0; i < NWORDS; i++) {
		acc += 1.0 / (i + 1) / sum;
		zipf_cdf[i] = acc;
	}
	zipf_cdf[NWORDS - 1] = 1.0;
}

static int
zipf_word(void)
{
	double u = rng_unit();
	int lo = 0, hi = NWORDS - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- text ---- */

struct buf {
	char s[4096];
	size_t n;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 < sizeof b->s) {
		memcpy(b->s + b->n, s, n);
		b->n += n;
		b->s[b->n] = '\0';
	}
}

/* A message of n words with sentences, the markers where asked (at a
 * random word position). */
static void
make_text(struct buf *b, int n, int rare, int common)
{
	int rare_at = rare ? (int)rng_below((uint64_t)n) : -1;
	int common_at = common ? (int)rng_below((uint64_t)n) : -1;
	int start = 1;
	b->n = 0;
	b->s[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, " ", 1);
		char w[32];
		size_t len;
		if (i == rare_at) {
			len = strlen(RARE_WORD);
			memcpy(w, RARE_WORD, len);
		} else if (i == common_at) {
			len = strlen(COMMON_WORD);
			memcpy(w, COMMON_WORD, len);
		} else {
			int k = zipf_word();
			len = word_len[k];
			memcpy(w, words[k], len);
		}
		if (start)
			w[0] = (char)(w[0] - 'a' + 'A');
		put(b, w, len);
		start = 0;
		if (i == n - 1) {
			put(b, rng_below(5) ? "." : "?", 1);
		} else {
			uint64_t r = rng_below(100);
			if (r < 8) {
				put(b, ".", 1);
				start = 1;
			} else if (r < 12) {
				put(b, ",", 1);
			}
		}
	}
}

/* ---- ids ---- */

static void
uuid7(int64_t ms, char out[37])
{
	unsigned char b[16];
	uint64_t r1 = rng(), r2 = rng();
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	for (int i = 6; i < 16; i++)
		b[i] = (unsigned char)((i < 11 ? r1 : r2) >> (8 * (i % 8)));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

/* ---- the plan ---- */

struct session {
	int64_t created;
	int count;
	int model;
	char id[37];
};

struct msg {
	int64_t ts;
	uint32_t sess;
	uint32_t seq;
};

static int
cmp_created(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	if (x->sess != y->sess)
		return (x->sess > y->sess) - (x->sess < y->sess);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static const struct {
	const char *provider, *model;
} models[] = {
	{"anthropic", "claude-sonnet-4-5"},
	{"anthropic", "claude-haiku-4-5"},
	{"openai", "gpt-4o"},
	{"openai", "gpt-4o-mini"},
	{"gemini", "gemini-2.5-flash"},
	{"ollama", "llama3.2"},
	{"echo", "echo"},
};
#define NMODELS (sizeof models / sizeof *models)

static const char *const tagset[] = {
	"work", "personal", "code", "research", "writing", "review", "urgent",
	"ideas", "travel", "finance", "health", "draft",
};
#define NTAGS (sizeof tagset / sizeof *tagset)

static double
secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
must(cf_store *st, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "bench-gen: %s: %s\n", what,
		        sqlite3_errmsg(LITE(st)));
		exit(1);
	}
}

static void
exec(cf_store *st, const char *sql)
{
	must(st, sqlite3_exec(LITE(st), sql, NULL, NULL, NULL), sql);
}

static sqlite3_stmt *
prepare(cf_store *st, const char *sql)
{
	sqlite3_stmt *s;
	must(st, sqlite3_prepare_v2(LITE(st), sql, -1, &s, NULL), sql);
	return s;
}

static void
step(cf_store *st, sqlite3_stmt *s, const char *what)
{
	must(st, sqlite3_step(s), what);
	sqlite3_reset(s);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench-gen DB\n");
		return 2;
	}
	const char *path = argv[1];
	struct stat sb;
	if (stat(path, &sb) == 0) {
		fprintf(stderr, "bench-gen: %s exists; remove it first\n", path);
		return 2;
	}
	cf_setprog("bench-gen");

	struct timespec t_start, t_plan, t_sess, t_end;
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	rng_seed(SEED);
	make_vocabulary();

	/* Sessions: creation times, sorted so rows go in in order of
	 * creation; the big one is the first, so its messages span the
	 * whole two years. */
	struct session *ss = cf_xmalloc(sizeof *ss * NSESSIONS);
	int64_t *created = cf_xmalloc(sizeof *created * NSESSIONS);
	created[0] = T0 + rng_range(0, 3600000);
	for (int i = 1; i < NSESSIONS; i++)
		created[i] = T0 + rng_range(0, SPAN - 86400000LL);
	qsort(created + 1, NSESSIONS - 1, sizeof *created, cmp_created);
	for (int i = 0; i < NSESSIONS; i++) {
		ss[i].created = created[i];
		ss[i].model = (int)rng_below(NMODELS);
	}
	free(created);
	/* the big session, created first, must also come first in time */
	if (ss[1].created < ss[0].created)
		ss[0].created = ss[1].created - 1000;

	/* Message counts: 1 + exponential (mean ~9) over the small sessions,
	 * then nudged one at a time to the exact total. */
	long total = 0;
	ss[0].count = BIG_MESSAGES;
	for (int i = 1; i < NSESSIONS; i++) {
		int c = 1 + (int)(-log(1.0 - rng_unit()) * 8.0);
		if (c > 200)
			c = 200;
		ss[i].count = c;
		total += c;
	}
	const long want = NMESSAGES - BIG_MESSAGES;
	while (total != want) {
		int i = 1 + (int)rng_below(NSESSIONS - 1);
		if (total < want) {
			ss[i].count++;
			total++;
		} else if (ss[i].count > 1) {
			ss[i].count--;
			total--;
		}
	}

	/* Every message's time, then all in order of time. */
	struct msg *ms = cf_xmalloc(sizeof *ms * NMESSAGES);
	long k = 0;
	for (int i = 0; i < NSESSIONS; i++) {
		int64_t t = ss[i].created + rng_range(1000, 60000);
		for (int j = 0; j < ss[i].count; j++) {
			ms[k].ts = t;
			ms[k].sess = (uint32_t)i;
			ms[k].seq = (uint32_t)(j + 1);
			k++;
			/* ~10.5 min apart in the big session: two years */
			t += i == 0 ? rng_range(1000, 1260000) :
			              rng_range(5000, 600000);
		}
	}
	qsort(ms, NMESSAGES, sizeof *ms, cmp_msg);
	clock_gettime(CLOCK_MONOTONIC, &t_plan);

	/* The store, as every program opens it; this connection alone goes
	 * fast and loose. */
	jv err = jv_invalid();
	cf_store *st = cf_store_open(path, &err);
	if (!st)
		cf_exit_on(err);
	exec(st, "PRAGMA synchronous=OFF");
	exec(st, "PRAGMA cache_size=-1048576");    /* 1 GiB */
	exec(st, "PRAGMA temp_store=MEMORY");

	sqlite3_stmt *si = prepare(st,
		"INSERT INTO sessions (id, name, created, last_updated, provider,"
		" model, temperature, max_tokens, system_prompt, auto_context,"
		" context_window, tags, starred, archived, parent_session_id)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *mi = prepare(st,
		"INSERT INTO messages (id, session_id, seq, role, content,"
		" timestamp, tokens, model, processing_time)"
		" VALUES (?,?,?,?,?,?,?,?,?)");

	exec(st, "BEGIN");
	long nstarred = 0, narchived = 0, ntagged = 0, nbranches = 0;
	for (int i = 0; i < NSESSIONS; i++) {
		struct session *s = &ss[i];
		uuid7(s->created, s->id);
		/* a name: one to four words, capitalised, no punctuation */
		struct buf name = {.n = 0};
		int nw = 1 + (int)rng_below(4);
		for (int j = 0; j < nw; j++) {
			int w = zipf_word();
			if (j)
				put(&name, " ", 1);
			put(&name, words[w], word_len[w]);
		}
		name.s[0] = (char)(name.s[0] - 'a' + 'A');
		char tags[128] = "[]";
		if (rng_chance(300000)) {
			int nt = 1 + (int)rng_below(3), a = (int)rng_below(NTAGS);
			size_t n = (size_t)snprintf(tags, sizeof tags, "[");
			for (int j = 0; j < nt; j++)
				n += (size_t)snprintf(tags + n, sizeof tags - n, "%s\"%s\"",
				                      j ? "," : "",
				                      tagset[(a + j * 5) % NTAGS]);
			snprintf(tags + n, sizeof tags - n, "]");
			ntagged++;
		}
		int starred = rng_chance(50000), archived = rng_chance(100000);
		nstarred += starred;
		narchived += archived;
		int parent = i > 10 && rng_chance(20000) ?
			(int)rng_below((uint64_t)i) : -1;
		nbranches += parent >= 0;

		sqlite3_bind_text(si, 1, s->id, 36, SQLITE_STATIC);
		sqlite3_bind_text(si, 2, name.s, (int)name.n, SQLITE_STATIC);
		sqlite3_bind_int64(si, 3, s->created);
		sqlite3_bind_int64(si, 4, s->created);
		sqlite3_bind_text(si, 5, models[s->model].provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(si, 6, models[s->model].model, -1, SQLITE_STATIC);
		if (rng_below(2))
			sqlite3_bind_double(si, 7, (double)rng_below(11) / 10);
		else
			sqlite3_bind_null(si, 7);
		if (rng_below(2))
			sqlite3_bind_int(si, 8, 1024 << rng_below(4));
		else
			sqlite3_bind_null(si, 8);
		if (rng_below(5) == 0)
			sqlite3_bind_text(si, 9, "You are a careful assistant.", -1,
			                  SQLITE_STATIC);
		else
			sqlite3_bind_null(si, 9);
		sqlite3_bind_int(si, 10, rng_below(4) == 0);
		if (rng_below(3) == 0)
			sqlite3_bind_int(si, 11, 8192 << rng_below(5));
		else
			sqlite3_bind_null(si, 11);
		sqlite3_bind_text(si, 12, tags, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(si, 13, starred);
		sqlite3_bind_int(si, 14, archived);
		if (parent >= 0)
			sqlite3_bind_text(si, 15, ss[parent].id, 36, SQLITE_STATIC);
		else
			sqlite3_bind_null(si, 15);
		step(st, si, "inserting a session");
	}
	exec(st, "COMMIT");
	clock_gettime(CLOCK_MONOTONIC, &t_sess);

	long nrare = 0, ncommon = 0, bytes = 0;
	exec(st, "BEGIN");
	for (long m = 0; m < NMESSAGES; m++) {
		const struct msg *g = &ms[m];
		const struct session *s = &ss[g->sess];
		int assistant = g->seq % 2 == 0;
		int rare = rng_chance(RARE_PER_MILLION);
		int common = rng_chance(COMMON_PER_MILLION);
		nrare += rare;
		ncommon += common;
		int nw = assistant ? (int)rng_range(8, 48) : (int)rng_range(2, 20);
		struct buf text;
		make_text(&text, nw, rare, common);
		bytes += (long)text.n;
		char id[37];
		uuid7(g->ts, id);

		sqlite3_bind_text(mi, 1, id, 36, SQLITE_STATIC);
		sqlite3_bind_text(mi, 2, s->id, 36, SQLITE_STATIC);
		sqlite3_bind_int64(mi, 3, g->seq);
		sqlite3_bind_text(mi, 4, assistant ? "assistant" : "user", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(mi, 5, text.s, (int)text.n, SQLITE_STATIC);
		sqlite3_bind_int64(mi, 6, g->ts);
		if (assistant) {
			sqlite3_bind_int64(mi, 7, nw * 4 / 3 + (int64_t)rng_below(20));
			sqlite3_bind_text(mi, 8, models[s->model].model, -1,
			                  SQLITE_STATIC);
			sqlite3_bind_int64(mi, 9, rng_range(200, 20000));
		} else {
			sqlite3_bind_null(mi, 7);
			sqlite3_bind_null(mi, 8);
			sqlite3_bind_null(mi, 9);
		}
		step(st, mi, "inserting a message");
		if ((m + 1) % BATCH == 0) {
			exec(st, "COMMIT");
			exec(st, "BEGIN");
		}
	}
	exec(st, "COMMIT");
	sqlite3_finalize(si);
	sqlite3_finalize(mi);
	exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	cf_store_close(st);
	clock_gettime(CLOCK_MONOTONIC, &t_end);

	printf("db=%s\n", path);
	printf("sessions=%d\n", NSESSIONS);
	printf("messages=%d\n", NMESSAGES);
	printf("big_session=%s\n", ss[0].id);
	printf("big_session_messages=%d\n", ss[0].count);
	printf("rare_word=%s\n", RARE_WORD);
	printf("rare_messages=%ld\n", nrare);
	printf("common_word=%s\n", COMMON_WORD);
	printf("common_messages=%ld\n", ncommon);
	printf("starred=%ld\narchived=%ld\ntagged=%ld\nbranches=%ld\n", nstarred,
	       narchived, ntagged, nbranches);
	printf("content_bytes=%ld\n", bytes);
	printf("plan_seconds=%.2f\n", secs(&t_start, &t_plan));
	printf("sessions_seconds=%.2f\n", secs(&t_plan, &t_sess));
	printf("messages_seconds=%.2f\n", secs(&t_sess, &t_end));
	printf("gen_seconds=%.2f\n", secs(&t_start, &t_end));
	free(ms);
	free(ss);
	return 0;
}
