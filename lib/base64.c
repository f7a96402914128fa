/* base64.c — base64 both ways, in one place: attachments go out in it
 * (chat-export -f json, the spool, image parts of a request) and come in
 * from it (chat-import, the spool's replay). */
#include <stdlib.h>

#include "priv.h"

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

size_t
cf_b64_feed(struct cf_b64 *d, const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len && !d->bad; i++) {
		int c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			d->pad++;
			continue;
		}
		int x = b64val(c);
		if (x < 0 || d->pad) {
			d->bad = 1;
			break;
		}
		d->v = (d->v << 6) | (unsigned)x;
		d->bits += 6;
		if (d->bits >= 8) {
			d->bits -= 8;
			if (out)
				out[n] = (unsigned char)(d->v >> d->bits);
			n++;
		}
	}
	return n;
}

int
cf_b64_end(const struct cf_b64 *d)
{
	return d->bad || d->pad > 2 || d->bits >= 6 ? -1 : 0;
}

long
cf_unbase64(const char *s, size_t len, unsigned char *out)
{
	struct cf_b64 d = {0};
	size_t n = cf_b64_feed(&d, s, len, out);
	return cf_b64_end(&d) ? -1 : (long)n;
}

jv
cf_base64(const void *data, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t on = (n + 2) / 3 * 4;
	char *o = cf_xmalloc(on + 1), *q = o;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*q++ = tab[v >> 18 & 63];
		*q++ = tab[v >> 12 & 63];
		*q++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*q++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*q = '\0';
	jv r = jv_string_sized(o, (int)on);
	free(o);
	return r;
}
