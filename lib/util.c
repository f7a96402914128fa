/* util.c — times in RFC 3339, UUIDv7 ids, whole-string numbers. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"

int64_t
cf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fill_random(unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = getrandom(b, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* a kernel without getrandom (before 3.17): its device */
			int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
			ssize_t got = fd >= 0 ? read(fd, b, n) : -1;
			if (fd >= 0)
				close(fd);
			if (got <= 0) {
				/* no randomness at all: ids could collide, so nothing
				 * may be written */
				fprintf(stderr, "%s: cannot read random bytes: %s\n",
				        cf_prog, strerror(errno));
				abort();
			}
			r = got;
		}
		b += r;
		n -= (size_t)r;
	}
}

/* RFC 9562 version 7.  Within one millisecond the 12 bits of rand_a count
 * up from a random start, so ids made by one process sort in the order they
 * were made (method 1 of section 6.2). */
void
cf_uuid7(char out[37])
{
	static int64_t last_ms;
	static unsigned seq;
	unsigned char b[16];
	int64_t ms = cf_now_ms();

	fill_random(b, sizeof b);
	if (ms <= last_ms) {
		ms = last_ms;
		if (++seq > 0xfff) {     /* counter spent: borrow the next ms */
			ms = ++last_ms;
			seq = b[6] & 0x7;
		}
	} else {
		last_ms = ms;
		seq = ((b[6] & 0x7) << 8) | b[7];   /* leave room to count */
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | ((seq >> 8) & 0x0f));
	b[7] = (unsigned char)(seq & 0xff);
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

void
cf_time_fmt(int64_t ms, char out[25])
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 25, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 25 - n, ".%03uZ", (unsigned)frac % 1000u);
}

jv
cf_time_jv(int64_t ms)
{
	char buf[25];
	cf_time_fmt(ms, buf);
	return jv_string(buf);
}

static int
digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	*out = v;
	return 0;
}

/* Date, then optionally T (or space) and time, seconds, fraction and zone.
 * Without a zone the time is UTC; date_only reports a bare date. */
static int
parse_stamp(const char *s, int64_t *ms, int *date_only)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	int64_t off = 0;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	*date_only = *s == '\0';
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &sec))
				return -1;
			if (*s == '.') {
				int scale = 100;
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				for (; isdigit((unsigned char)*s); s++, scale /= 10)
					frac += (*s - '0') * scale;
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1, oh, om;
			if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
				return -1;
			off = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
		}
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	                .tm_hour = h, .tm_min = mi, .tm_sec = sec};
	time_t t = timegm(&tm);
	if (tm.tm_mday != d)     /* timegm normalised 2026-02-30 */
		return -1;
	*ms = (int64_t)t * 1000 + frac - off;
	return 0;
}

int
cf_time_parse(const char *s, int64_t *ms)
{
	int date_only;
	return parse_stamp(s, ms, &date_only);
}

int
cf_when_parse(const char *s, int end_of_day, int64_t *ms)
{
	int date_only;
	if (parse_stamp(s, ms, &date_only) == 0) {
		if (date_only && end_of_day)
			*ms += 86400000 - 1;
		return 0;
	}
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (end == s || errno || n < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	int64_t unit;
	switch (*end) {
	case 's': unit = 1000; break;
	case 'm': unit = 60000; break;
	case 'h': unit = 3600000; break;
	case 'd': unit = 86400000; break;
	case 'w': unit = 7 * 86400000LL; break;
	default: return -1;
	}
	int64_t now = cf_now_ms();
	/* further back than the epoch is the epoch (n * unit would overflow) */
	*ms = n > now / unit ? 0 : now - n * unit;
	return 0;
}


void
cf_time_rel(int64_t ms, int64_t now, char *out, size_t n)
{
	int64_t d = (now - ms) / 1000;
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(out, n, "just now");
	else if (d < 3600)
		snprintf(out, n, "%lldm ago", (long long)(d / 60));
	else if (d < 86400)
		snprintf(out, n, "%lldh ago", (long long)(d / 3600));
	else if (d < 30 * 86400)
		snprintf(out, n, "%lldd ago", (long long)(d / 86400));
	else {
		char buf[25];
		cf_time_fmt(ms, buf);
		snprintf(out, n, "%.10s", buf);
	}
}

int
cf_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cf_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

size_t
cf_utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t k;
	unsigned min;
	if (c < 0xc2)
		return 0;
	else if (c < 0xe0)
		k = 2, min = 0x80;
	else if (c < 0xf0)
		k = 3, min = 0x800;
	else if (c < 0xf5)
		k = 4, min = 0x10000;
	else
		return 0;
	if ((size_t)(end - s) < k)
		return 0;
	unsigned cp = c & (0x7f >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		return 0;
	return k;
}

/* ASCII is skipped eight bytes at a time first: a byte at a time was 6 ms
 * of a 10,000-message export. */
int
cf_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		if (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			/* no byte with its top bit set, and none zero */
			if (!(w & 0x8080808080808080ULL) &&
			    !((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			if (!*p)
				return 0;
			p++;
			continue;
		}
		size_t k = cf_utf8_len(p, end);
		if (!k)
			return 0;
		p += k;
	}
	return 1;
}

int
cf_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

char *
cf_read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
		cap = (size_t)sb.st_size + 1;
	char *buf = cf_xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = cf_xrealloc(buf, cap *= 2);
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		n += (size_t)got;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

jv
cf_read_text(int fd)
{
	size_t n;
	char *buf = cf_read_all(fd, &n);
	if (!buf)
		return cf_error(CF_EX_FAIL, "%s", strerror(errno));
	if (n > INT_MAX) {
		free(buf);
		return cf_error(CF_EX_FAIL, "larger than 2 GiB");
	}
	jv s = jv_string_sized(buf, (int)n);
	free(buf);
	return s;
}

/* ---- the state folder ---- */

char *
cf_state_path(const char *sub, char *buf, size_t n)
{
	const char *e;
	if ((e = getenv("XDG_STATE_HOME")) && *e == '/')
		snprintf(buf, n, "%s/confab/%s", e, sub);
	else if ((e = getenv("HOME")) && *e)
		snprintf(buf, n, "%s/.local/state/confab/%s", e, sub);
	else
		return NULL;
	return buf;
}

int
cf_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s/", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}
