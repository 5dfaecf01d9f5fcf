/* UTF-8 decoding (see utf8.h). */
#include "utf8.h"

#include <string.h>

#include "xalloc.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		if (cp)
			*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	if (cp)
		*cp = v;
	return len;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_decode(u + i, n - i, NULL);
		if (l == 0)
			return 0;
		i += l;
	}
	return 1;
}

size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

char *utf8_mend(const char *s, size_t n, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = xmalloc(3 * n + 1); /* one byte becomes at most three */
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_decode(u + i, n - i, NULL);
		if (l) {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

char *utf8_trim(const char *s)
{
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	size_t n = strlen(s);
	for (;;) {
		if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
			      s[n - 1] == '\n'))
			n--;
		else if (n >= 3 && memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
			n -= 3;
		else
			break;
	}
	return xstrndup(s, n);
}

int utf8_has_controls(const char *s, int multiline)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
			return 1;
	}
	return 0;
}
