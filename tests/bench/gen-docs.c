/* gen-docs.c — the documents of issue 4's figures in `make bench`.
 *
 *     bench-docs records < plan
 *     bench-docs chatgpt FILE BYTES
 *
 * records: each line of the plan is "SESSION_ID COUNT"; prints COUNT
 * message records for that session, one a line, for `chat-add --records`:
 * roles alternating user, assistant; times a minute or so apart; model and
 * tokens on the assistant's.
 *
 * chatgpt: writes to FILE a ChatGPT data export's conversations.json of at
 * least BYTES bytes (whole conversations, so a little more), compact as
 * the real one is: an array of conversations whose "mapping" holds a tree
 * of nodes with UUIDs (a root without a message, a hidden system message,
 * then user and assistant turns), about one conversation in five with a
 * branch (a regenerated answer or an edited question: a node with two
 * children, the later one on the path to "current_node"), the fields and
 * metadata the real export carries.  Prints key=value lines describing it
 * on stdout.
 *
 * The text is Markdown as people and models write it: sentences of common
 * English and programming words (Zipf-weighted, so of realistic lengths),
 * inline code, bold; the assistant's replies mostly mix paragraphs, a code
 * block, a list and sometimes a table; now and then a line of Cyrillic,
 * Greek, Arabic or Chinese.  Reproducible: one fixed-seed generator, so two
 * runs give the same bytes (and the same records, whatever the ids). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED 0xd0c5eedc0fab2026ULL

/* ---- the generator: splitmix64 seeds xorshift64* ---- */

static uint64_t rng_state;

static void
rng_seed(uint64_t x)
{
	uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng_state = (z ^ (z >> 31)) | 1;
}

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* uniform in [0, 1) */
static double
unif(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* uniform in [lo, hi] */
static int
between(int lo, int hi)
{
	return lo + (int)(rng() % (uint64_t)(hi - lo + 1));
}

static int
chance(double p)
{
	return unif() < p;
}

/* ---- a growing buffer ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static void
grow(struct buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	b->s = realloc(b->s, b->cap);
	if (!b->s) {
		perror("bench-docs");
		exit(1);
	}
}

static void
put(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	grow(b, n);
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void
putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* s as a JSON string, quotes included */
static void
put_json(struct buf *b, const char *s, size_t n)
{
	grow(b, n * 6 + 2);
	char *o = b->s + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		default:
			if (c < 0x20)
				o += sprintf(o, "\\u%04x", c);
			else
				*o++ = (char)c;
		}
	}
	*o++ = '"';
	*o = 0;
	b->len = (size_t)(o - b->s);
}

/* ---- the words ---- */

/* Most frequent first: drawn with a Zipf-like skew, so short common words
 * dominate and the long ones turn up now and then, as in real text. */
static const char *words[] = {
	"the", "to", "a", "and", "of", "is", "in", "it", "you", "that", "for",
	"this", "be", "on", "with", "can", "if", "as", "not", "or", "are", "an",
	"your", "from", "will", "use", "by", "at", "so", "but", "all", "we",
	"which", "have", "one", "when", "each", "there", "then", "code", "more",
	"file", "value", "function", "data", "error", "how", "into", "would",
	"only", "also", "list", "return", "these", "two", "like", "new", "some",
	"could", "way", "test", "make", "because", "used", "output", "input",
	"string", "number", "memory", "should", "case", "here", "example", "run",
	"same", "server", "change", "call", "set", "type", "does", "work", "line",
	"user", "where", "after", "still", "need", "without", "since", "what",
	"just", "about", "than", "any", "its", "most", "while", "version",
	"build", "config", "query", "request", "response", "table", "field",
	"index", "check", "write", "read", "path", "library", "system", "model",
	"result", "option", "default", "command", "process", "thread", "buffer",
	"cache", "store", "session", "message", "record", "parse", "format",
	"order", "update", "problem", "issue", "approach", "instead", "simple",
	"small", "large", "faster", "slower", "correct", "better", "different",
	"possible", "usually", "between", "through", "before", "under", "every",
	"another", "second", "those", "their", "they", "them", "were", "was",
	"has", "had", "been", "very", "much", "many", "well", "even", "both",
	"few", "less", "often", "always", "never", "again", "below", "above",
	"explain", "consider", "suppose", "handle", "ensure", "avoid", "prefer",
	"allocate", "release", "compile", "install", "deploy", "migrate",
	"schema", "column", "row", "transaction", "pointer", "struct", "array",
	"object", "key", "map", "loop", "branch", "commit", "merge", "review",
	"performance", "latency", "throughput", "benchmark", "measure",
	"profile", "allocation", "iteration", "recursion", "algorithm",
	"complexity", "boundary", "validation", "authentication", "permission",
	"certificate", "connection", "timeout", "retry", "backoff",
	"configuration", "environment", "dependency", "interface",
	"implementation", "documentation", "straightforward", "unfortunately",
	"particularly", "approximately", "significantly", "immediately",
	"automatically", "naïve", "café", "résumé",
};
#define NWORDS (sizeof words / sizeof *words)

static const char *
word(void)
{
	return words[(size_t)(NWORDS * pow(unif(), 2.4))];
}

/* a long-ish word, for identifiers and table headers */
static const char *
noun(void)
{
	return words[NWORDS / 3 + (size_t)((NWORDS - NWORDS / 3 - 3) * unif())];
}

static void
identifier(struct buf *b)
{
	const char *a = noun(), *c = noun();
	if (chance(0.5)) {
		putf(b, "%s_%s", a, c);
	} else {
		put(b, a);
		grow(b, strlen(c));
		b->s[b->len++] = (char)(c[0] >= 'a' && c[0] <= 'z' ? c[0] - 32 : c[0]);
		put(b, c + 1);
	}
}

static const char *foreign[] = {
	"Привет! Почему эта функция возвращает пустой список?",
	"这个函数为什么返回空值？我应该怎么修改配置文件？",
	"Γειά σου· το πρόγραμμα τρέχει πολύ αργά με μεγάλα αρχεία.",
	"مرحبا، كيف يمكنني تحسين أداء هذا الاستعلام؟",
	"Merci beaucoup — ça marche très bien maintenant, même avec les accents.",
};

static void
sentence(struct buf *b, int lo, int hi)
{
	int n = between(lo, hi);
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, chance(0.08) && i < n - 1 ? ", " : " ");
		double r = unif();
		if (r < 0.06) {
			put(b, "`");
			identifier(b);
			put(b, chance(0.3) ? "()`" : "`");
		} else if (r < 0.08) {
			putf(b, "**%s %s**", noun(), word());
		} else if (r < 0.09) {
			putf(b, "%d", between(2, 5000));
		} else {
			const char *w = word();
			if (i == 0 && w[0] >= 'a' && w[0] <= 'z') {
				grow(b, strlen(w));
				b->s[b->len++] = (char)(w[0] - 32);
				put(b, w + 1);
			} else {
				put(b, w);
			}
		}
	}
	put(b, chance(0.07) ? "?" : ".");
}

static void
paragraph(struct buf *b, int lo, int hi)
{
	int n = between(lo, hi);
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, " ");
		sentence(b, 5, 24);
	}
	if (chance(0.01)) {
		put(b, " ");
		put(b, foreign[between(0, sizeof foreign / sizeof *foreign - 1)]);
	}
	put(b, "\n\n");
}

static const char *langs[] = {"python", "c", "javascript", "bash", "sql", "rust", "go", ""};

static void
code_block(struct buf *b)
{
	const char *lang = langs[between(0, sizeof langs / sizeof *langs - 1)];
	putf(b, "```%s\n", lang);
	int n = between(3, 28), depth = 0;
	for (int i = 0; i < n; i++) {
		for (int d = 0; d < depth; d++)
			put(b, "    ");
		double r = unif();
		if (r < 0.12) {
			put(b, lang[0] == 'p' || lang[0] == 'b' || !lang[0] ? "# " : "// ");
			sentence(b, 3, 10);
		} else if (r < 0.22 && depth < 3) {
			put(b, "if (");
			identifier(b);
			putf(b, " > %d) {", between(0, 100));
			depth++;
		} else if (r < 0.30 && depth < 3) {
			put(b, "for (");
			identifier(b);
			put(b, " in ");
			identifier(b);
			put(b, ") {");
			depth++;
		} else if (r < 0.42 && depth > 0) {
			depth--;
			b->len -= 4;
			b->s[b->len] = 0;
			put(b, "}");
		} else if (r < 0.52) {
			put(b, "print(\"");
			identifier(b);
			put(b, ": {}\\n\", ");
			identifier(b);
			put(b, ")");
		} else if (r < 0.60) {
			put(b, "return ");
			identifier(b);
		} else {
			identifier(b);
			put(b, " = ");
			identifier(b);
			put(b, "(");
			identifier(b);
			putf(b, ", %d)", between(0, 4096));
		}
		put(b, "\n");
	}
	while (depth-- > 0) {
		for (int d = 0; d < depth; d++)
			put(b, "    ");
		put(b, "}\n");
	}
	put(b, "```\n\n");
}

static void
list(struct buf *b)
{
	int n = between(3, 7), numbered = chance(0.4);
	for (int i = 0; i < n; i++) {
		if (numbered)
			putf(b, "%d. ", i + 1);
		else
			put(b, "- ");
		if (chance(0.4))
			putf(b, "**%s**: ", noun());
		sentence(b, 3, 14);
		put(b, "\n");
	}
	put(b, "\n");
}

static void
table(struct buf *b)
{
	int cols = between(2, 4), rows = between(2, 6);
	put(b, "|");
	for (int c = 0; c < cols; c++)
		putf(b, " %s |", noun());
	put(b, "\n|");
	for (int c = 0; c < cols; c++)
		put(b, "---|");
	put(b, "\n");
	for (int r = 0; r < rows; r++) {
		put(b, "|");
		for (int c = 0; c < cols; c++) {
			if (chance(0.3))
				putf(b, " %d |", between(1, 99999));
			else if (chance(0.2)) {
				put(b, " `");
				identifier(b);
				put(b, "` |");
			} else
				putf(b, " %s %s |", word(), word());
		}
		put(b, "\n");
	}
	put(b, "\n");
}

static void
trim(struct buf *b)
{
	while (b->len && b->s[b->len - 1] == '\n')
		b->s[--b->len] = 0;
}

static void
user_text(struct buf *b)
{
	b->len = 0;
	double r = unif();
	if (r < 0.75) {
		paragraph(b, 1, 3);
	} else if (r < 0.90) {
		paragraph(b, 1, 2);
		code_block(b);
		if (chance(0.5))
			paragraph(b, 1, 1);
	} else {
		paragraph(b, 2, 4);
		paragraph(b, 1, 3);
	}
	trim(b);
}

static void
assistant_text(struct buf *b)
{
	b->len = 0;
	if (chance(0.2)) {
		paragraph(b, 1, 3);
	} else {
		paragraph(b, 1, 3);
		int code = chance(0.7), lst = chance(0.6), tab = chance(0.2);
		if (lst && chance(0.5)) {
			list(b);
			lst = 0;
		}
		if (code)
			code_block(b);
		if (chance(0.5))
			paragraph(b, 1, 4);
		if (lst)
			list(b);
		if (tab) {
			paragraph(b, 1, 1);
			table(b);
		}
		if (chance(0.5))
			paragraph(b, 1, 2);
	}
	trim(b);
}

/* ---- records ---- */

static void
rfc3339(char *out, size_t n, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%03lldZ", ms % 1000);
}

static int
records(void)
{
	char line[256], sid[128], ts[40];
	long count;
	long long t = 1736154000000LL; /* 2025-01-06T09:00:00Z */
	struct buf text = {0}, out = {0};
	static const char *models[] = {"claude-sonnet-4-5", "gpt-4o", "gemini-2.5-pro"};
	int session = 0;
	while (fgets(line, sizeof line, stdin)) {
		if (sscanf(line, "%127s %ld", sid, &count) != 2 || count < 0) {
			fprintf(stderr, "bench-docs: bad plan line: %s", line);
			return 2;
		}
		const char *model = models[session++ % 3];
		for (long i = 0; i < count; i++) {
			int asst = i % 2;
			t += asst ? between(3000, 60000) : between(20000, 600000);
			if (asst)
				assistant_text(&text);
			else
				user_text(&text);
			rfc3339(ts, sizeof ts, t);
			out.len = 0;
			put(&out, "{\"type\":\"message\",\"sessionId\":");
			put_json(&out, sid, strlen(sid));
			putf(&out, ",\"role\":\"%s\",\"content\":", asst ? "assistant" : "user");
			put_json(&out, text.s, text.len);
			putf(&out, ",\"timestamp\":\"%s\",\"metadata\":", ts);
			if (asst)
				putf(&out, "{\"tokens\":%zu,\"model\":\"%s\"}}\n", text.len / 4 + 1, model);
			else
				put(&out, "{}}\n");
			fwrite(out.s, 1, out.len, stdout);
		}
		t += 3 * 3600 * 1000LL;
	}
	free(text.s);
	free(out.s);
	return fflush(stdout) ? 1 : 0;
}

/* ---- ChatGPT's conversations.json ---- */

struct node {
	char id[37];
	int parent;
	int child[3], nchild;
	int role; /* -1 root (no message), 0 system, 1 user, 2 assistant */
	double time;
	char *text;
};

static void
uuid4(char *out)
{
	uint64_t a = rng(), b = rng();
	a = (a & ~0xf000ULL) | 0x4000ULL;
	b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
	snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
	         (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff,
	         (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffULL));
}

static struct node *nodes;
static int nnodes, capnodes;

static int
add_node(int parent, int role, double time, struct buf *text)
{
	if (nnodes == capnodes) {
		capnodes = capnodes ? capnodes * 2 : 256;
		nodes = realloc(nodes, sizeof *nodes * (size_t)capnodes);
		if (!nodes) {
			perror("bench-docs");
			exit(1);
		}
	}
	struct node *n = &nodes[nnodes];
	uuid4(n->id);
	n->parent = parent;
	n->nchild = 0;
	n->role = role;
	n->time = time;
	n->text = text ? strdup(text->s ? text->s : "") : NULL;
	if (parent >= 0)
		nodes[parent].child[nodes[parent].nchild++] = nnodes;
	return nnodes++;
}

static int
exchanges(void)
{
	double r = unif();
	if (r < 0.40)
		return between(1, 3);
	if (r < 0.75)
		return between(4, 10);
	if (r < 0.95)
		return between(11, 30);
	return between(31, 80);
}

static void
put_message(struct buf *o, const struct node *n, const char *model)
{
	static const char *roles[] = {"system", "user", "assistant"};
	putf(o, "{\"id\":\"%s\",\"author\":{\"role\":\"%s\",\"name\":null,\"metadata\":{}},",
	     n->id, roles[n->role]);
	if (n->role == 0)
		put(o, "\"create_time\":null,");
	else
		putf(o, "\"create_time\":%.6f,", n->time);
	put(o, "\"update_time\":null,\"content\":{\"content_type\":\"text\",\"parts\":[");
	put_json(o, n->text, strlen(n->text));
	putf(o, "]},\"status\":\"finished_successfully\",\"end_turn\":%s,\"weight\":%s,\"metadata\":",
	     n->role == 1 ? "null" : "true", n->role == 0 ? "0.0" : "1.0");
	char req[40];
	snprintf(req, sizeof req, "%016llx-IAD", (unsigned long long)rng());
	if (n->role == 0)
		put(o, "{\"is_visually_hidden_from_conversation\":true}");
	else if (n->role == 1)
		putf(o, "{\"request_id\":\"%s\",\"timestamp_\":\"absolute\",\"message_type\":null}", req);
	else
		putf(o, "{\"finish_details\":{\"type\":\"stop\",\"stop_tokens\":[200002]},"
		        "\"citations\":[],\"gizmo_id\":null,\"message_type\":null,"
		        "\"model_slug\":\"%s\",\"default_model_slug\":\"%s\",\"pad\":\"AAAAAAAAAAAA\","
		        "\"parent_id\":\"%s\",\"is_complete\":true,\"request_id\":\"%s\","
		        "\"timestamp_\":\"absolute\"}",
		     model, model, nodes[n->parent].id, req);
	put(o, ",\"recipient\":\"all\"}");
}

static void
put_node(struct buf *o, int i, const char *model)
{
	const struct node *n = &nodes[i];
	putf(o, "\"%s\":{\"id\":\"%s\",\"message\":", n->id, n->id);
	if (n->role < 0)
		put(o, "null");
	else
		put_message(o, n, model);
	if (n->parent >= 0)
		putf(o, ",\"parent\":\"%s\",\"children\":[", nodes[n->parent].id);
	else
		put(o, ",\"parent\":null,\"children\":[");
	for (int c = 0; c < n->nchild; c++)
		putf(o, "%s\"%s\"", c ? "," : "", nodes[n->child[c]].id);
	put(o, "]}");
}

static int
chatgpt(const char *path, long long want)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	static const char *models[] = {"gpt-4o", "gpt-4o", "gpt-4o", "gpt-4", "o1-preview",
	                               "text-davinci-002-render-sha"};
	struct buf text = {0}, o = {0};
	long long bytes = 1, convs = 0, all = 0, msgs = 0, path_msgs = 0, forks = 0;
	double t = 1688169600.0; /* 2023-07-01 */
	fputc('[', f);
	while (bytes < want) {
		for (int i = 0; i < nnodes; i++)
			free(nodes[i].text);
		nnodes = 0;
		const char *model = models[between(0, 5)];
		t += between(600, 86400) + unif();
		double t0 = t;
		int root = add_node(-1, -1, t, NULL);
		text.len = 0;
		put(&text, "");
		int cur = add_node(root, 0, t, &text);
		int turns = 2 * exchanges();
		/* up to two places where the conversation forks: the earlier
		 * child is the abandoned branch, the later one goes on */
		int fork_at[2] = {-1, -1};
		for (int k = 0; k < 2; k++)
			if (chance(k ? 0.05 : 0.2) && turns > 2)
				fork_at[k] = between(1, turns - 1);
		for (int i = 0; i < turns; i++) {
			int role = 1 + i % 2;
			if (i == fork_at[0] || i == fork_at[1]) {
				forks++;
				int side = cur, len = between(1, 4);
				for (int j = 0; j < len; j++) {
					int r = 1 + (i + j) % 2;
					t += r == 1 ? between(20, 600) : between(3, 60) + unif();
					if (r == 1)
						user_text(&text);
					else
						assistant_text(&text);
					side = add_node(side, r, t, &text);
				}
			}
			t += role == 1 ? between(20, 600) + unif() : between(3, 60) + unif();
			if (role == 1)
				user_text(&text);
			else
				assistant_text(&text);
			cur = add_node(cur, role, t, &text);
			path_msgs++;
		}
		all += nnodes;
		msgs += nnodes - 1;

		o.len = 0;
		put(&o, convs ? "," : "");
		put(&o, "{\"title\":");
		text.len = 0;
		for (int i = 0, n = between(2, 6); i < n; i++) {
			const char *w = i ? word() : noun();
			if (i)
				put(&text, " ");
			put(&text, w);
			if (!i && w[0] >= 'a' && w[0] <= 'z')
				text.s[0] = (char)(w[0] - 32);
		}
		put_json(&o, text.s, text.len);
		putf(&o, ",\"create_time\":%.6f,\"update_time\":%.6f,\"mapping\":{", t0, t);
		/* as in real exports: the system node first, then the root */
		put_node(&o, 1, model);
		put(&o, ",");
		put_node(&o, 0, model);
		for (int i = 2; i < nnodes; i++) {
			put(&o, ",");
			put_node(&o, i, model);
		}
		char cid[37];
		uuid4(cid);
		putf(&o, "},\"moderation_results\":[],\"current_node\":\"%s\",\"plugin_ids\":null,"
		         "\"conversation_id\":\"%s\",\"conversation_template_id\":null,"
		         "\"gizmo_id\":null,\"is_archived\":false,\"safe_urls\":[],"
		         "\"default_model_slug\":\"%s\",\"id\":\"%s\"}",
		     nodes[cur].id, cid, model, cid);
		fwrite(o.s, 1, o.len, f);
		bytes += (long long)o.len;
		convs++;
	}
	fputs("]\n", f);
	bytes += 2;
	if (fclose(f)) {
		perror(path);
		return 1;
	}
	printf("conversations=%lld\nnodes=%lld\nmessages=%lld\npath_messages=%lld\n"
	       "branch_points=%lld\nbytes=%lld\n",
	       convs, all, msgs, path_msgs, forks, bytes);
	return 0;
}

int
main(int argc, char **argv)
{
	rng_seed(SEED);
	if (argc == 2 && !strcmp(argv[1], "records"))
		return records();
	if (argc == 4 && !strcmp(argv[1], "chatgpt"))
		return chatgpt(argv[2], atoll(argv[3]));
	fprintf(stderr, "usage: bench-docs records < plan\n"
	                "       bench-docs chatgpt FILE BYTES\n");
	return 2;
}
