/* htmlcheck.h — an independent check of cf_html_message's output, for
 * test-htmlmsg.c and fuzz-htmlmsg.c: a strict scan that knows nothing of
 * how the fragment was made.  Every '<' must open or close a tag of the
 * list below with only its listed attributes, each quoted; tags must
 * nest and all close; an address must be http, https, mailto or
 * relative; text holds no raw '<', no control character, no bare '&'. */
#ifndef HTMLCHECK_H
#define HTMLCHECK_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const hc_tags[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
	"pre", "code", "em", "strong", "del", "a", "table", "thead", "tbody",
	"tr", "th", "td", "hr", "br", "input", "span", NULL};

static int
hc_void(const char *t)
{
	return !strcmp(t, "hr") || !strcmp(t, "br") || !strcmp(t, "input");
}

/* The attribute value decoded as a browser would (the few entities cmark
 * writes, and numeric ones), into out. */
static int
hc_decode(const char *v, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		if (v[i] != '&') {
			out[o++] = v[i];
			continue;
		}
		size_t e = i + 1;
		while (e < n && v[e] != ';')
			e++;
		if (e >= n)
			return -1;
		if (!strncmp(v + i, "&amp;", 5)) out[o++] = '&';
		else if (!strncmp(v + i, "&lt;", 4)) out[o++] = '<';
		else if (!strncmp(v + i, "&gt;", 4)) out[o++] = '>';
		else if (!strncmp(v + i, "&quot;", 6)) out[o++] = '"';
		else if (v[i + 1] == '#') {
			long c = v[i + 2] == 'x' || v[i + 2] == 'X' ? strtol(v + i + 3, NULL, 16)
			                                           : strtol(v + i + 2, NULL, 10);
			out[o++] = c > 0 && c < 0x80 ? (char)c : '?';
		} else
			return -1;
		i = e;
	}
	out[o] = '\0';
	return 0;
}

/* A browser's view of an address: C0 controls and spaces around it gone,
 * tabs and newlines inside it gone; then a scheme is what comes before a
 * ':' ahead of any '/', '?' or '#'. */
static int
hc_url_ok(const char *url)
{
	char b[4096];
	size_t o = 0;
	while (*url && (unsigned char)*url <= 0x20)
		url++;
	for (; *url && o + 1 < sizeof b; url++)
		if (*url != '\t' && *url != '\n' && *url != '\r')
			b[o++] = *url;
	b[o] = '\0';
	size_t n = strcspn(b, ":/?#");
	if (b[n] != ':')
		return 1;
	return (n == 4 && !strncasecmp(b, "http", 4)) || (n == 5 && !strncasecmp(b, "https", 5)) ||
	       (n == 6 && !strncasecmp(b, "mailto", 6));
}

static int
hc_attr_ok(const char *tag, const char *name, const char *val)
{
	if (!strcmp(tag, "a"))
		return (!strcmp(name, "href") && hc_url_ok(val)) || !strcmp(name, "title");
	if (!strcmp(tag, "pre"))
		return !strcmp(name, "data-lang");
	if (!strcmp(tag, "code"))
		return !strcmp(name, "class") && !strncmp(val, "language-", 9);
	if (!strcmp(tag, "span")) {
		if (strcmp(name, "class") || strncmp(val, "hl-", 3) || !val[3])
			return 0;
		for (const char *c = val + 3; *c; c++)
			if (!islower((unsigned char)*c) && *c != '-')
				return 0;
		return 1;
	}
	if (!strcmp(tag, "ol"))
		return !strcmp(name, "start") && strspn(val, "0123456789") == strlen(val);
	if (!strcmp(tag, "th") || !strcmp(tag, "td"))
		return !strcmp(name, "align") &&
		       (!strcmp(val, "left") || !strcmp(val, "center") || !strcmp(val, "right"));
	if (!strcmp(tag, "input"))
		return (!strcmp(name, "type") && !strcmp(val, "checkbox")) ||
		       ((!strcmp(name, "checked") || !strcmp(name, "disabled")) && !*val);
	return 0;
}

/* 0 when h passes; else -1, with why (and where) in err. */
static int
html_check(const char *h, char *err, size_t errcap)
{
	static char stack[200000][12];
	size_t depth = 0;
	const char *p = h;
#define HC_FAIL(...) do { snprintf(err, errcap, __VA_ARGS__); return -1; } while (0)
	while (*p) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
			HC_FAIL("control byte %#x at %zu", c, (size_t)(p - h));
		if (c == 0x7f)
			HC_FAIL("DEL at %zu", (size_t)(p - h));
		if (c == '&') {
			size_t k = 1;
			if (p[1] == '#') {
				k = 2;
				if (p[2] == 'x' || p[2] == 'X')
					k = 3;
				while (isxdigit((unsigned char)p[k]))
					k++;
			} else
				while (isalnum((unsigned char)p[k]))
					k++;
			if (k < 2 || p[k] != ';')
				HC_FAIL("bare '&' at %zu", (size_t)(p - h));
			p += k + 1;
			continue;
		}
		if (c != '<') {
			p++;
			continue;
		}
		const char *at = p++;
		int closing = *p == '/';
		if (closing)
			p++;
		char tag[12];
		size_t n = 0;
		while ((islower((unsigned char)*p) || isdigit((unsigned char)*p)) && n < sizeof tag - 1)
			tag[n++] = *p++;
		tag[n] = '\0';
		int known = 0;
		for (size_t i = 0; hc_tags[i]; i++)
			known |= !strcmp(hc_tags[i], tag);
		if (!known)
			HC_FAIL("tag <%s%.20s at %zu", closing ? "/" : "", tag, (size_t)(at - h));
		if (closing) {
			if (*p != '>')
				HC_FAIL("closing tag </%s with more at %zu", tag, (size_t)(at - h));
			if (!depth || strcmp(stack[depth - 1], tag))
				HC_FAIL("</%s> closes %s at %zu", tag, depth ? stack[depth - 1] : "nothing",
				        (size_t)(at - h));
			depth--;
			p++;
			continue;
		}
		for (;;) {
			if (*p == '>' || (p[0] == ' ' && p[1] == '/' && p[2] == '>'))
				break;
			if (*p != ' ')
				HC_FAIL("in <%s: %.20s at %zu", tag, p, (size_t)(at - h));
			p++;
			char name[24];
			size_t m = 0;
			while ((islower((unsigned char)*p) || *p == '-') && m < sizeof name - 1)
				name[m++] = *p++;
			name[m] = '\0';
			if (!m || p[0] != '=' || p[1] != '"')
				HC_FAIL("attribute %.20s of <%s not quoted at %zu", name, tag, (size_t)(at - h));
			p += 2;
			const char *v = p;
			while (*p && *p != '"' && *p != '<' && *p != '>')
				p++;
			if (*p != '"')
				HC_FAIL("attribute %s of <%s runs on at %zu", name, tag, (size_t)(at - h));
			static char val[1 << 16];
			if (hc_decode(v, (size_t)(p - v), val, sizeof val) < 0)
				HC_FAIL("bad entity in %s of <%s at %zu", name, tag, (size_t)(at - h));
			if (!hc_attr_ok(tag, name, val))
				HC_FAIL("<%s %s=\"%.40s\"> at %zu", tag, name, val, (size_t)(at - h));
			p++;
		}
		if (*p == ' ')
			p += 2;
		p++;
		if (!hc_void(tag)) {
			if (depth == sizeof stack / sizeof *stack)
				HC_FAIL("nesting too deep at %zu", (size_t)(at - h));
			strcpy(stack[depth++], tag);
		}
	}
	if (depth)
		HC_FAIL("<%s> left open", stack[depth - 1]);
	return 0;
#undef HC_FAIL
}

#endif
