/* Times, ids, numbers and text cleaning. */
#include "unit.h"
#include "provider.h"

static void
times(void)
{
	char buf[25];
	int64_t ms;
	cf_time_fmt(0, buf);
	CHECK_STR(buf, "1970-01-01T00:00:00.000Z");
	cf_time_fmt(1795506695699, buf);
	CHECK_STR(buf, "2026-11-24T07:51:35.699Z");
	CHECK(cf_time_parse("2026-11-24T07:51:35.699Z", &ms) == 0 && ms == 1795506695699);
	/* offsets are folded into UTC */
	CHECK(cf_time_parse("2026-11-24T08:51:35.699+01:00", &ms) == 0 && ms == 1795506695699);
	CHECK(cf_time_parse("2026-11-24T07:51:35Z", &ms) == 0 && ms == 1795506695000);
	CHECK(cf_time_parse("2026-11-24T07:51:35.5Z", &ms) == 0 && ms == 1795506695500);
	CHECK(cf_time_parse("2026-02-30T00:00:00Z", &ms) != 0);
	CHECK(cf_time_parse("2026-11-24T25:00:00Z", &ms) != 0);
	CHECK(cf_time_parse("2026-11-24T07:51:35.699Zjunk", &ms) != 0);
	CHECK(cf_time_parse("", &ms) != 0);
	CHECK(cf_time_parse("yesterday", &ms) != 0);
	/* round trip over a range of times */
	int ok = 1;
	for (int64_t t = 0; t < 4102444800000; t += 86399999) {
		cf_time_fmt(t, buf);
		ok &= cf_time_parse(buf, &ms) == 0 && ms == t;
	}
	CHECK(ok);
}

static void
when(void)
{
	int64_t ms, now = cf_now_ms();
	CHECK(cf_when_parse("2026-01-31", 0, &ms) == 0 && ms == 1769817600000);
	CHECK(cf_when_parse("2026-01-31", 1, &ms) == 0 && ms == 1769817600000 + 86399999);
	CHECK(cf_when_parse("7d", 0, &ms) == 0 && ms <= now - 7 * 86400000LL &&
	      ms > now - 7 * 86400000LL - 60000);
	CHECK(cf_when_parse("2w", 0, &ms) == 0 && ms <= now - 14 * 86400000LL);
	CHECK(cf_when_parse("30m", 0, &ms) == 0 && ms <= now - 1800000);
	CHECK(cf_when_parse("7", 0, &ms) != 0);
	CHECK(cf_when_parse("7x", 0, &ms) != 0);
	CHECK(cf_when_parse("-7d", 0, &ms) != 0);
	CHECK(cf_when_parse("d", 0, &ms) != 0);
}

static int
is_uuid7(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return 0;
		}
	}
	return s[14] == '7' && strchr("89ab", s[19]);
}

static void
ids(void)
{
	char prev[37] = "", id[37];
	int ok = 1, sorted = 1;
	/* many in one millisecond: they must still sort in the order made */
	for (int i = 0; i < 20000; i++) {
		cf_uuid7(id);
		ok &= is_uuid7(id);
		sorted &= strcmp(prev, id) < 0;
		strcpy(prev, id);
	}
	CHECK(ok);
	CHECK(sorted);
	/* the first 12 hex digits are the time in ms */
	int64_t now = cf_now_ms();
	cf_uuid7(id);
	char hex[13];
	memcpy(hex, id, 8);
	memcpy(hex + 8, id + 9, 4);
	hex[12] = '\0';
	int64_t t = strtoll(hex, NULL, 16);
	CHECK(t >= now - 1000 && t <= now + 5000);
}

static void
numbers(void)
{
	long l;
	double d;
	CHECK(cf_parse_long("42", 1, 100, &l) == 0 && l == 42);
	CHECK(cf_parse_long("0", 1, 100, &l) != 0);
	CHECK(cf_parse_long("4x", 1, 100, &l) != 0);
	CHECK(cf_parse_long("", 1, 100, &l) != 0);
	CHECK(cf_parse_long("99999999999999999999", 1, 100, &l) != 0);
	CHECK(cf_parse_double("0.7", 0, 2, &d) == 0 && d == 0.7);
	CHECK(cf_parse_double("2.1", 0, 2, &d) != 0);
	CHECK(cf_parse_double("nan", 0, 2, &d) != 0);
	CHECK(cf_parse_double("1e400", 0, 2, &d) != 0);
}

static void
clean(void)
{
	char out[64];
	cf_clean("a\033[31mb\nc", out, sizeof out, 0, 0);
	CHECK_STR(out, "a [31mb c");
	cf_clean("a\nb\tc", out, sizeof out, 0, 1);
	CHECK_STR(out, "a\nb\tc");
	cf_clean("abcdef", out, sizeof out, 4, 0);
	CHECK_STR(out, "abc…");
	/* cut on a character, never inside one */
	cf_clean("ééééé", out, sizeof out, 3, 0);
	CHECK_STR(out, "éé…");
	cf_clean("x\xc2\x9by", out, sizeof out, 0, 0);   /* C1 CSI */
	CHECK_STR(out, "x y");
	char small[8];
	cf_clean("0123456789", small, sizeof small, 0, 0);
	CHECK(strlen(small) < sizeof small);
}

/* Our compact writer and jq's must agree to the byte. */
static void
json(void)
{
	static const char *const docs[] = {
		"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"\"tab\\t nl\\n cr\\r bs\\b ff\\f q\\\" bsl\\\\ del\\u007f nul\\u0000 esc\\u001b\"",
		"\"é 中文 😀 עברית\"",
		"[0,-0,1,-1,0.5,1e-7,123456789012345,1e300,-2.5e-300,0.1,3.14159]",
		"[[],{},[{}],\"\"]",
		"{\"type\":\"session\",\"n\":1795506695699}",
	};
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		jv v = jv_parse(docs[i]);
		CHECK(jv_is_valid(v));
		jv want = jv_dump_string(jv_copy(v), 0);
		size_t n;
		const char *got = cf_json_compact(v, &n);
		CHECK_STR(got, jv_string_value(want));
		CHECK(n == strlen(jv_string_value(want)));
		jv_free(want);
	}
}

/* The fast decoder for streamed text agrees with jq's parser, and refuses
 * (NULL) what it leaves to jq. */
static void
unquote(void)
{
	static const char *const ok[] = {
		"\"plain\"", "\"\"", "\"tab\\t nl\\n q\\\" bs\\\\ sl\\/\"",
		"\"é 中文 😀\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"",
		"\"\\b\\f\\r\"", "\"x\\u0041y\"",
	};
	static const char *const refused[] = {
		"\"raw\ttab\"", "\"\\ud83d alone\"", "\"\\ude00\"", "\"\\x\"",
		"\"\\u12\"", "\"bad \xff byte\"", "\"nul \\u0000\"", "\"unterminated",
	};
	char *buf = NULL;
	size_t cap = 0, len;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		const char *s = ok[i], *end = s + strlen(s);
		const char *after = cf_json_unquote(s + 1, end, &buf, &cap, &len);
		CHECK(after == end);
		jv want = jv_parse(s);
		CHECK(jv_get_kind(want) == JV_KIND_STRING &&
		      (size_t)jv_string_length_bytes(jv_copy(want)) == len &&
		      !memcmp(jv_string_value(want), buf, len));
		jv_free(want);
	}
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		const char *s = refused[i];
		CHECK(cf_json_unquote(s + 1, s + strlen(s), &buf, &cap, &len) == NULL);
	}
	/* Long strings, so the block-at-a-time copy meets each kind of byte
	 * at every offset of a block: jq writes them, both read them back. */
	static const char *const pieces[] = {
		"a", "Z", " ", "~", "\x7f", "\"", "\\", "/", "\n", "\t", "\x01",
		"\x1f", "é", "中", "😀",
	};
	unsigned seed = 1;
	for (int i = 0; i < 2000; i++) {
		char raw[400];
		size_t n = 0;
		seed = seed * 1103515245u + 12345u;
		int count = (int)(seed >> 16) % 80;
		for (int k = 0; k < count; k++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly plain letters, as replies are */
			const char *pc = (seed >> 16) % 4 ? "abcdefgh" + (seed >> 20) % 8 :
			                 pieces[(seed >> 16) % (sizeof pieces / sizeof *pieces)];
			size_t pl = (seed >> 16) % 4 ? 1 : strlen(pc);
			memcpy(raw + n, pc, pl);
			n += pl;
		}
		jv dumped = jv_dump_string(jv_string_sized(raw, (int)n), 0);
		const char *s = jv_string_value(dumped), *end = s + strlen(s);
		const char *after = cf_json_unquote(s + 1, end, &buf, &cap, &len);
		CHECK(after == end && len == n && !memcmp(buf, raw, n));
		/* and a raw control byte anywhere in it is refused */
		if (end - s > 2) {
			char *bad = strdup(s);
			bad[1 + (size_t)i % (size_t)(end - s - 2)] = '\x02';
			CHECK(cf_json_unquote(bad + 1, bad + (end - s), &buf, &cap, &len) == NULL);
			free(bad);
		}
		jv_free(dumped);
	}
	free(buf);
}

/* One check of UTF-8 for the whole library: each case alone, and each
 * inside long ASCII runs (the eight-byte steps), gives the same answer. */
static void
utf8(void)
{
	static const struct { const char *s; size_t n; int ok; } cases[] = {
		{"", 0, 1}, {"plain", 5, 1}, {"caf\xc3\xa9", 5, 1},
		{"\xe4\xb8\xad\xe6\x96\x87", 6, 1}, {"\xf0\x9f\x98\x80", 4, 1},
		{"\xc3", 1, 0}, {"\xc0\xaf", 2, 0}, {"\xe0\x80\xaf", 3, 0},
		{"\xed\xa0\x80", 3, 0}, {"\xf4\x90\x80\x80", 4, 0}, {"\xff", 1, 0},
		{"a\0b", 3, 0}, {"\x80", 1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		CHECK(cf_utf8_valid(cases[i].s, cases[i].n) == cases[i].ok);
		char buf[64];
		memset(buf, 'x', sizeof buf);
		memcpy(buf + 13, cases[i].s, cases[i].n);
		CHECK(cf_utf8_valid(buf, sizeof buf) == cases[i].ok);
	}
	char z[32];
	memset(z, 'a', sizeof z);
	z[17] = '\0';   /* a NUL inside an eight-byte step */
	CHECK(!cf_utf8_valid(z, sizeof z));
	CHECK(cf_utf8_len((const unsigned char *)"\xc3\xa9", (const unsigned char *)"\xc3\xa9" + 2) == 2);
	CHECK(cf_utf8_len((const unsigned char *)"\xc3\xa9", (const unsigned char *)"\xc3\xa9" + 1) == 0);
}

/* The terminal sanitiser gives the same bytes whole and a byte at a
 * time: a C1 control cut between two pieces is still caught. */
static void
clean_pieces(void)
{
	static const char in[] = "a\x1b[31mb\xc2\x85" "c\xc2\xa9" "d\te\n\x7f\xc2";
	static const char spaced[] = "a [31mb c\xc2\xa9" "d\te\n \xc2";
	static const char dropped[] = "a[31mbc\xc2\xa9" "d\te\n\xc2";
	for (int drop = 0; drop <= 1; drop++) {
		for (size_t step = 1; step <= sizeof in; step += sizeof in - 2) {
			char *buf;
			size_t len;
			FILE *f = open_memstream(&buf, &len);
			int c2 = 0;
			for (size_t i = 0; i < sizeof in - 1; i += step) {
				size_t k = sizeof in - 1 - i < step ? sizeof in - 1 - i : step;
				cf_clean_write(f, in + i, k, &c2, drop);
			}
			if (c2)
				putc(0xc2, f);
			fclose(f);
			CHECK_STR(buf, drop ? dropped : spaced);
			free(buf);
		}
	}
}

int
main(void)
{
	utf8();
	clean_pieces();
	json();
	unquote();
	times();
	when();
	ids();
	numbers();
	clean();
	return unit_done("test-util");
}
