/* Reading a reported mail with GMime (see intake.h). GMime gives the MIME
 * structure, the headers and the transfer decoding; the text is converted
 * here, so that the Japanese labels decode with the Windows supersets:
 * ISO-2022-JP through EUC-JP-MS, Shift_JIS as CP932. */
#include "intake.h"

#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <iconv.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
	g_mime_init();
	if (sodium_init() < 0)
		abort();
}

/* ---- charsets ---- */

/* s[0..n) with each bad byte as U+FFFD, NUL-terminated. Caller frees. */
static char *mend(const char *s, size_t n)
{
	size_t len;
	return utf8_mend(s, n, &len);
}

static void put_replacement(buf *b)
{
	buf_puts(b, "\xef\xbf\xbd");
}

/* iconv from cs to UTF-8, U+FFFD for what does not convert. -1 when iconv
 * does not know cs. */
static int iconv_utf8(const char *cs, const char *in, size_t len, buf *out)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return -1;
	char tmp[4096];
	char *ip = (char *)(uintptr_t)in;
	size_t left = len;
	while (left > 0) {
		char *op = tmp;
		size_t room = sizeof tmp;
		size_t rc = iconv(cd, &ip, &left, &op, &room);
		buf_append(out, tmp, (size_t)(op - tmp));
		if (rc == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or EINVAL (cut off): one byte is lost */
			put_replacement(out);
			ip++;
			left--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	char *op = tmp;
	size_t room = sizeof tmp;
	iconv(cd, NULL, NULL, &op, &room);
	buf_append(out, tmp, (size_t)(op - tmp));
	iconv_close(cd);
	return 0;
}

/* ISO-2022-JP (and its -1/-2/-3 and CP50220 relatives, as Japanese clients
 * write it) into EUC-JP-MS bytes: the designations are undone by hand, so
 * that the NEC and IBM rows of CP932 (①, ㈱, 髙) survive. */
static void iso2022_to_eucjp(const char *in, size_t len, buf *out)
{
	enum { ASCII, KANJI, KANA, X0212 } mode = ASCII;
	const unsigned char *s = (const unsigned char *)in;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == 0x1b && i + 2 < len) {
			if (s[i + 1] == '$' && (s[i + 2] == 'B' || s[i + 2] == '@')) {
				mode = KANJI;
				i += 2;
				continue;
			}
			if (s[i + 1] == '$' && s[i + 2] == '(' && i + 3 < len) {
				mode = s[i + 3] == 'D' ? X0212 : KANJI;
				i += 3;
				continue;
			}
			if (s[i + 1] == '(' && (s[i + 2] == 'B' || s[i + 2] == 'J')) {
				mode = ASCII;
				i += 2;
				continue;
			}
			if (s[i + 1] == '(' && s[i + 2] == 'I') {
				mode = KANA;
				i += 2;
				continue;
			}
		}
		if (c == 0x0e) { /* SO: half-width katakana (CP50221) */
			mode = KANA;
			continue;
		}
		if (c == 0x0f) {
			mode = ASCII;
			continue;
		}
		if (c == '\r' || c == '\n') {
			buf_putc(out, (char)c);
			continue;
		}
		if ((mode == KANJI || mode == X0212) && c >= 0x21 && c <= 0x7e && i + 1 < len &&
		    s[i + 1] >= 0x21 && s[i + 1] <= 0x7e) {
			if (mode == X0212)
				buf_putc(out, (char)0x8f);
			buf_putc(out, (char)(c | 0x80));
			buf_putc(out, (char)(s[i + 1] | 0x80));
			i++;
		} else if (mode == KANA && c >= 0x21 && c <= 0x5f) {
			buf_putc(out, (char)0x8e);
			buf_putc(out, (char)(c | 0x80));
		} else if (c >= 0xa1 && c <= 0xdf) { /* 8-bit half-width kana, as some send */
			buf_putc(out, (char)0x8e);
			buf_putc(out, (char)c);
		} else if (c < 0x80) {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '?');
		}
	}
}

static int label_is(const char *cs, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(cs, *names) == 0)
			return 1;
	return 0;
}

char *mail_intake_to_utf8(const char *charset, const char *in, size_t len)
{
	static const char *const jis[] = {"iso-2022-jp", "iso-2022-jp-1", "iso-2022-jp-2",
					  "iso-2022-jp-3", "iso-2022-jp-ms", "csiso2022jp",
					  "cp50220", "cp50221", "cp50222", NULL};
	static const char *const sjis[] = {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji",
					   "csshiftjis", "windows-31j", "cp932", "x-ms-cp932",
					   "shift_jisx0213", NULL};
	static const char *const euc[] = {"euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese",
					  "euc-jp-ms", NULL};
	static const char *const utf8[] = {"utf-8", "utf8", "us-ascii", "ascii", "", NULL};
	if (!in) {
		in = "";
		len = 0;
	}
	buf b = BUF_INIT;
	const char *cs = charset ? charset : "";
	int done = 0;
	if (label_is(cs, utf8)) {
		done = 0;
	} else if (label_is(cs, jis)) {
		buf e = BUF_INIT;
		iso2022_to_eucjp(in, len, &e);
		done = iconv_utf8("EUC-JP-MS", buf_cstr(&e), e.len, &b) == 0;
		buf_release(&e);
	} else if (label_is(cs, sjis)) {
		done = iconv_utf8("CP932", in, len, &b) == 0;
	} else if (label_is(cs, euc)) {
		done = iconv_utf8("EUC-JP-MS", in, len, &b) == 0;
	} else if (strlen(cs) < 64) {
		done = iconv_utf8(cs, in, len, &b) == 0;
	}
	if (!done) {
		buf_release(&b);
		/* undeclared 8-bit text that is not UTF-8: Japanese mail it is */
		if (!utf8_valid(in, len)) {
			buf t = BUF_INIT;
			if (memchr(in, 0x1b, len)) {
				buf e = BUF_INIT;
				iso2022_to_eucjp(in, len, &e);
				iconv_utf8("EUC-JP-MS", buf_cstr(&e), e.len, &t);
				buf_release(&e);
			} else {
				iconv_utf8("CP932", in, len, &t);
			}
			char *r = xstrdup(buf_cstr(&t));
			buf_release(&t);
			char *m = mend(r, strlen(r));
			free(r);
			return m;
		}
		if (memchr(in, 0x1b, len)) { /* 7-bit ISO-2022-JP without a label */
			buf e = BUF_INIT;
			iso2022_to_eucjp(in, len, &e);
			iconv_utf8("EUC-JP-MS", buf_cstr(&e), e.len, &b);
			buf_release(&e);
			char *r = mend(buf_cstr(&b), b.len);
			buf_release(&b);
			return r;
		}
		return mend(in, len);
	}
	char *r = mend(buf_cstr(&b), b.len);
	buf_release(&b);
	return r;
}

/* ---- headers ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes the encoded text of one encoded word into out. */
static void ew_decode(char enc, const char *t, size_t n, buf *out)
{
	if (enc == 'B' || enc == 'b') {
		char *z = xstrndup(t, n);
		gsize olen = 0;
		guchar *d = g_base64_decode(z, &olen);
		free(z);
		if (d)
			buf_append(out, (const char *)d, olen);
		g_free(d);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '_') {
			buf_putc(out, ' ');
		} else if (t[i] == '=' && i + 2 < n &&
			   hexval(t[i + 1]) >= 0 && hexval(t[i + 2]) >= 0) {
			buf_putc(out, (char)(hexval(t[i + 1]) * 16 + hexval(t[i + 2])));
			i += 2;
		} else {
			buf_putc(out, t[i]);
		}
	}
}

/* Parses an encoded word at s: charset, encoding, text and its end. */
static int ew_parse(const char *s, const char **cs, size_t *csn, char *enc, const char **t,
		    size_t *tn, const char **end)
{
	if (s[0] != '=' || s[1] != '?')
		return 0;
	const char *p = s + 2;
	const char *q = strchr(p, '?');
	if (!q || q - p > 60 || q == p)
		return 0;
	*cs = p;
	*csn = (size_t)(q - p);
	const char *star = memchr(p, '*', *csn); /* RFC 2231 language */
	if (star)
		*csn = (size_t)(star - p);
	if (!q[1] || q[2] != '?' || !strchr("BbQq", q[1]))
		return 0;
	*enc = q[1];
	*t = q + 3;
	const char *e = strstr(*t, "?=");
	if (!e)
		return 0;
	*tn = (size_t)(e - *t);
	for (size_t i = 0; i < *tn; i++)
		if ((*t)[i] == ' ' || (*t)[i] == '\t' || (*t)[i] == '\r' || (*t)[i] == '\n')
			return 0;
	*end = e + 2;
	return 1;
}

/* Raw 8-bit header text: UTF-8 as it is, else the Japanese guess. */
static void put_raw_text(buf *out, const char *s, size_t n)
{
	if (utf8_valid(s, n) && !memchr(s, 0x1b, n)) {
		buf_append(out, s, n);
		return;
	}
	char *u = mail_intake_to_utf8(NULL, s, n);
	buf_puts(out, u);
	free(u);
}

char *mail_intake_header_text(const char *raw)
{
	if (!raw)
		return xstrdup("");
	/* unfold */
	buf u = BUF_INIT;
	for (const char *p = raw; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			continue;
		}
		buf_putc(&u, *p == '\t' ? ' ' : *p);
	}
	const char *s = buf_cstr(&u);
	buf out = BUF_INIT;
	buf pend = BUF_INIT; /* bytes of adjacent encoded words of one charset */
	char pend_cs[64] = "";
	const char *plain = s;
	const char *p = s;
	while (*p) {
		const char *cs, *t, *end;
		size_t csn, tn;
		char enc;
		if (ew_parse(p, &cs, &csn, &enc, &t, &tn, &end)) {
			char csbuf[64];
			snprintf(csbuf, sizeof csbuf, "%.*s", (int)csn, cs);
			/* white space between two encoded words is dropped */
			int only_space = 1;
			for (const char *k = plain; k < p; k++)
				only_space &= *k == ' ';
			if (!(pend.len && only_space)) {
				if (pend.len) {
					char *d = mail_intake_to_utf8(pend_cs, buf_cstr(&pend), pend.len);
					buf_puts(&out, d);
					free(d);
					buf_reset(&pend);
				}
				put_raw_text(&out, plain, (size_t)(p - plain));
			}
			if (pend.len && strcasecmp(pend_cs, csbuf) != 0) {
				char *d = mail_intake_to_utf8(pend_cs, buf_cstr(&pend), pend.len);
				buf_puts(&out, d);
				free(d);
				buf_reset(&pend);
			}
			snprintf(pend_cs, sizeof pend_cs, "%s", csbuf);
			ew_decode(enc, t, tn, &pend);
			p = plain = end;
			continue;
		}
		p++;
	}
	if (pend.len) {
		char *d = mail_intake_to_utf8(pend_cs, buf_cstr(&pend), pend.len);
		buf_puts(&out, d);
		free(d);
	}
	put_raw_text(&out, plain, strlen(plain));
	buf_release(&pend);
	buf_release(&u);
	/* trim, and no control characters */
	char *r = mend(buf_cstr(&out), out.len);
	buf_release(&out);
	for (char *k = r; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			*k = ' ';
	char *a = r;
	while (*a == ' ')
		a++;
	size_t n = strlen(a);
	while (n && a[n - 1] == ' ')
		n--;
	char *res = xstrndup(a, n);
	free(r);
	return res;
}

static const char *header_raw(GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = g_mime_header_list_get_count(hl);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		if (strcasecmp(g_mime_header_get_name(h), name) == 0)
			return g_mime_header_get_raw_value(h);
	}
	return NULL;
}

static char *header_text(GMimeObject *o, const char *name)
{
	return mail_intake_header_text(header_raw(o, name));
}

/* All values of a header, decoded, in order (newest first). */
static json_t *header_all(GMimeObject *o, const char *name, int limit)
{
	json_t *a = json_array();
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = g_mime_header_list_get_count(hl);
	for (int i = 0; i < n && (int)json_array_size(a) < limit; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		if (strcasecmp(g_mime_header_get_name(h), name) == 0) {
			char *v = mail_intake_header_text(g_mime_header_get_raw_value(h));
			if (strlen(v) > 2000)
				v[2000] = '\0';
			char *m = mend(v, strlen(v));
			json_array_append_new(a, json_string(m));
			free(m);
			free(v);
		}
	}
	return a;
}

static char *lower(const char *s)
{
	char *r = xstrdup(s ? s : "");
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* The first address of an address header: addr (lower case) and name. */
static void first_address(const char *text, char **addr, char **name)
{
	*addr = xstrdup("");
	*name = xstrdup("");
	if (!text || !*text)
		return;
	InternetAddressList *l = internet_address_list_parse(NULL, text);
	if (l) {
		for (int i = 0; i < internet_address_list_length(l); i++) {
			InternetAddress *a = internet_address_list_get_address(l, i);
			if (!INTERNET_ADDRESS_IS_MAILBOX(a))
				continue;
			const char *ad = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
			if (!ad || !strchr(ad, '@'))
				continue;
			free(*addr);
			free(*name);
			char *lo = lower(ad);
			*addr = mend(lo, strlen(lo));
			free(lo);
			const char *nm = internet_address_get_name(a);
			*name = mend(nm ? nm : "", nm ? strlen(nm) : 0);
			break;
		}
		g_object_unref(l);
	}
	if (!**addr) {
		/* by hand: <addr>, [mailto:addr] or a word with @ */
		const char *lt = strchr(text, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		const char *mt = strstr(text, "mailto:");
		const char *b = NULL, *e = NULL;
		if (lt && gt && memchr(lt, '@', (size_t)(gt - lt))) {
			b = lt + 1;
			e = gt;
		} else if (mt) {
			b = mt + 7;
			e = b + strcspn(b, "] >\t");
		} else if (strchr(text, '@')) {
			const char *at = strchr(text, '@');
			b = at;
			while (b > text && !strchr(" \t<[(\"'", b[-1]))
				b--;
			e = at + strcspn(at, " \t>])\"'");
		}
		if (b && e > b && memchr(b, '@', (size_t)(e - b))) {
			free(*addr);
			char *raw = xstrndup(b, (size_t)(e - b));
			*addr = lower(raw);
			free(raw);
			if (!utf8_valid(*addr, strlen(*addr))) {
				free(*addr);
				*addr = xstrdup("");
			}
		}
	}
}

static const char *domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : "";
}

/* Relaxed alignment: the same domain, or one a subdomain of the other. */
static int aligned(const char *a, const char *b)
{
	if (!*a || !*b)
		return 0;
	size_t la = strlen(a), lb = strlen(b);
	if (la == lb)
		return strcasecmp(a, b) == 0;
	const char *lo = la > lb ? a : b, *sh = la > lb ? b : a;
	size_t ll = la > lb ? la : lb, ls = la > lb ? lb : la;
	return lo[ll - ls - 1] == '.' && strcasecmp(lo + ll - ls, sh) == 0;
}

static int in_list(const char *list, const char *word)
{
	if (!list || !word || !*word)
		return 0;
	const char *p = list;
	size_t wl = strlen(word);
	while (*p) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (n == wl && strncasecmp(p, word, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* The value of "ptype.property=" in a resinfo, copied into out. */
static void prop(const char *res, size_t n, const char *key, char *out, size_t outn)
{
	out[0] = '\0';
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl < n; i++) {
		if ((i == 0 || res[i - 1] == ' ' || res[i - 1] == '\t') &&
		    strncasecmp(res + i, key, kl) == 0) {
			size_t v = i + kl, e = v;
			while (e < n && !strchr(" \t;()", res[e]))
				e++;
			snprintf(out, outn, "%.*s", (int)(e - v), res + v);
			return;
		}
	}
}

/* Whether one Authentication-Results value (unfolded) of a trusted
 * authserv-id shows a pass aligned with from_domain; *via gets the method. */
static int ar_pass(const char *v, const char *trusted, const char *from_domain, const char **via)
{
	/* authserv-id [version]; resinfo; resinfo ... */
	while (*v == ' ')
		v++;
	size_t idn = strcspn(v, " ;(");
	char id[256];
	snprintf(id, sizeof id, "%.*s", (int)(idn < 255 ? idn : 255), v);
	if (!in_list(trusted, id))
		return 0;
	const char *p = strchr(v, ';');
	int dmarc = 0, spf = 0, dkim = 0;
	while (p) {
		p++;
		const char *e = strchr(p, ';');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		char val[256];
		if (n >= 10 && strncasecmp(p, "dmarc=pass", 10) == 0) {
			prop(p, n, "header.from=", val, sizeof val);
			if (!val[0] || aligned(val, from_domain))
				dmarc = 1;
		} else if (n >= 8 && strncasecmp(p, "spf=pass", 8) == 0) {
			prop(p, n, "smtp.mailfrom=", val, sizeof val);
			const char *d = strchr(val, '@') ? strrchr(val, '@') + 1 : val;
			if (aligned(d, from_domain))
				spf = 1;
		} else if (n >= 9 && strncasecmp(p, "dkim=pass", 9) == 0) {
			prop(p, n, "header.d=", val, sizeof val);
			if (!val[0]) {
				prop(p, n, "header.i=", val, sizeof val);
				if (strchr(val, '@'))
					memmove(val, strrchr(val, '@') + 1, strlen(strrchr(val, '@')));
			}
			if (aligned(val, from_domain))
				dkim = 1;
		}
		p = e;
	}
	*via = dmarc ? "dmarc" : spf ? "spf" : dkim ? "dkim" : "";
	return dmarc || spf || dkim;
}

/* The sender of a Received header: the address in [brackets] of its from
 * clause, and its host name. */
static void received_from(const char *v, char *ip, size_t ipn, char *host, size_t hostn)
{
	ip[0] = host[0] = '\0';
	const char *f = v;
	while (*f == ' ')
		f++;
	if (strncasecmp(f, "from ", 5) != 0)
		return;
	f += 5;
	while (*f == ' ')
		f++;
	size_t hn = strcspn(f, " ;(");
	snprintf(host, hostn, "%.*s", (int)(hn < hostn - 1 ? hn : hostn - 1), f);
	const char *by = strstr(f, " by ");
	const char *lb = strchr(f, '[');
	if (lb && (!by || lb < by)) {
		const char *rb = strchr(lb, ']');
		if (rb && (size_t)(rb - lb - 1) < ipn) {
			const char *s = lb + 1;
			if (strncasecmp(s, "IPv6:", 5) == 0)
				s += 5;
			snprintf(ip, ipn, "%.*s", (int)(rb - s), s);
		}
	}
}

static int private_ip(const char *ip)
{
	unsigned a, b;
	if (sscanf(ip, "%u.%u.", &a, &b) == 2 && strchr(ip, '.'))
		return a == 10 || a == 127 || a == 0 || (a == 172 && b >= 16 && b <= 31) ||
		       (a == 192 && b == 168) || (a == 169 && b == 254) ||
		       (a == 100 && b >= 64 && b <= 127);
	if (strchr(ip, ':'))
		return strcasecmp(ip, "::1") == 0 || strncasecmp(ip, "fc", 2) == 0 ||
		       strncasecmp(ip, "fd", 2) == 0 || strncasecmp(ip, "fe80", 4) == 0;
	return 1;
}

/* ---- bodies ---- */

struct walk {
	int parts;
	int truncated;
	buf plain;       /* the first text/plain part */
	int have_plain;
	buf html;        /* the first text/html part */
	int have_html;
	buf all;         /* every text part, for URLs */
	json_t *attachments;
	GMimeMessage *attached; /* the first message/rfc822 part */
};

static char *part_text(GMimePart *p)
{
	GMimeDataWrapper *w = g_mime_part_get_content(p);
	if (!w)
		return xstrdup("");
	GMimeStream *ms = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, ms);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(p), "charset");
	char *r = mail_intake_to_utf8(cs, (const char *)ba->data, ba->len);
	g_object_unref(ms);
	return r;
}

static void part_attachment(GMimePart *p, json_t *list)
{
	GMimeDataWrapper *w = g_mime_part_get_content(p);
	GMimeStream *ms = g_mime_stream_mem_new();
	if (w)
		g_mime_data_wrapper_write_to_stream(w, ms);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, ba->len ? ba->data : (const unsigned char *)"", ba->len);
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	const char *fn = g_mime_part_get_filename(p);
	char *name = mend(fn ? fn : "", fn ? strlen(fn) : 0);
	char *type = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(GMIME_OBJECT(p)));
	char *t = lower(type);
	json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s}", "name", name, "type", t,
					      "size", (json_int_t)ba->len, "sha256", hex));
	free(t);
	g_free(type);
	free(name);
	g_object_unref(ms);
}

static void walk_part(GMimeObject *o, struct walk *w, int depth)
{
	if (!o)
		return;
	if (depth > MAIL_INTAKE_MAX_DEPTH || ++w->parts > MAIL_INTAKE_MAX_PARTS) {
		w->truncated = 1;
		return;
	}
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			walk_part(g_mime_multipart_get_part(mp, i), w, depth + 1);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (m && !w->attached)
			w->attached = m;
		return;
	}
	if (!GMIME_IS_PART(o))
		return;
	GMimePart *p = GMIME_PART(o);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	int text = ct && g_mime_content_type_is_type(ct, "text", "*");
	int attach = g_mime_part_is_attachment(p) || g_mime_part_get_filename(p) != NULL;
	if (text && !attach) {
		char *t = part_text(p);
		if (g_mime_content_type_is_type(ct, "text", "html")) {
			if (!w->have_html)
				buf_puts(&w->html, t);
			w->have_html = 1;
		} else if (!w->have_plain) {
			buf_puts(&w->plain, t);
			w->have_plain = 1;
		}
		if (w->all.len < (1u << 22)) {
			buf_puts(&w->all, t);
			buf_putc(&w->all, '\n');
		}
		free(t);
		return;
	}
	part_attachment(p, w->attachments);
}

/* HTML as text, roughly: tags out, the hrefs kept for the URL scan. */
static char *html_text(const char *h)
{
	buf b = BUF_INIT;
	int in_tag = 0;
	for (const char *p = h; *p; p++) {
		if (*p == '<') {
			in_tag = 1;
			if (strncasecmp(p, "<br", 3) == 0 || strncasecmp(p, "<p", 2) == 0 ||
			    strncasecmp(p, "<div", 4) == 0)
				buf_putc(&b, '\n');
		} else if (*p == '>') {
			in_tag = 0;
		} else if (!in_tag) {
			if (strncmp(p, "&nbsp;", 6) == 0) {
				buf_putc(&b, ' ');
				p += 5;
			} else if (strncmp(p, "&amp;", 5) == 0) {
				buf_putc(&b, '&');
				p += 4;
			} else if (strncmp(p, "&lt;", 4) == 0) {
				buf_putc(&b, '<');
				p += 3;
			} else if (strncmp(p, "&gt;", 4) == 0) {
				buf_putc(&b, '>');
				p += 3;
			} else {
				buf_putc(&b, *p);
			}
		}
	}
	char *r = xstrdup(buf_cstr(&b));
	buf_release(&b);
	return r;
}

static void walk_release(struct walk *w)
{
	buf_release(&w->plain);
	buf_release(&w->html);
	buf_release(&w->all);
	json_decref(w->attachments);
}

static void add_unique(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(a, json_string(s));
}

static void add_domain(json_t *domains, const char *d)
{
	if (!d || !*d || strlen(d) > 253)
		return;
	char *lo = lower(d);
	size_t n = strlen(lo);
	while (n && lo[n - 1] == '.')
		lo[--n] = '\0';
	int ok = n > 0 && strchr(lo, '.') != NULL;
	for (char *p = lo; *p && ok; p++)
		ok = isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':' ||
		     *p == '[' || *p == ']';
	if (ok && json_array_size(domains) < MAIL_INTAKE_MAX_URLS)
		add_unique(domains, lo);
	free(lo);
}

/* http(s) URLs in text, and their hosts. */
static void scan_urls(const char *text, json_t *urls, json_t *domains)
{
	for (const char *p = text; *p && json_array_size(urls) < MAIL_INTAKE_MAX_URLS; p++) {
		size_t skip;
		if (strncasecmp(p, "https://", 8) == 0)
			skip = 8;
		else if (strncasecmp(p, "http://", 7) == 0)
			skip = 7;
		else
			continue;
		const char *e = p + skip;
		while (*e && (unsigned char)*e > 0x20 && (unsigned char)*e < 0x7f &&
		       !strchr("<>\"'`{}|\\^", *e))
			e++;
		while (e > p + skip && strchr(".,;:!?)]", e[-1]))
			e--;
		if (e == p + skip) {
			p = e - 1;
			continue;
		}
		size_t n = (size_t)(e - p);
		if (n <= 2000) {
			/* as an HTML attribute writes it: &amp; is & */
			buf ub = BUF_INIT;
			for (size_t k = 0; k < n; k++) {
				buf_putc(&ub, p[k]);
				if (strncmp(p + k, "&amp;", 5) == 0 && k + 5 <= n)
					k += 4;
			}
			add_unique(urls, buf_cstr(&ub));
			buf_release(&ub);
			const char *h = p + skip;
			size_t hn = strcspn(h, "/?#");
			if (h + hn > e)
				hn = (size_t)(e - h);
			char *host = xstrndup(h, hn);
			char *at = strrchr(host, '@');
			char *hs = at ? at + 1 : host;
			if (hs[0] != '[') {
				char *colon = strchr(hs, ':');
				if (colon)
					*colon = '\0';
			}
			add_domain(domains, hs);
			free(host);
		}
		p = e - 1;
	}
}

/* ---- the original ---- */

static json_t *original_new(const char *shape)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:[], s:[], s:[], s:[]}", "shape",
			 shape, "from", "", "reply_to", "", "return_path", "", "subject", "", "date",
			 "", "message_id", "", "received_external", "auth_results", "urls",
			 "domains", "attachments");
}

static void set_str(json_t *o, const char *k, char *v)
{
	json_object_set_new(o, k, json_string(v));
	free(v);
}

static char *msgid_text(const char *raw)
{
	char *t = mail_intake_header_text(raw);
	char *b = strchr(t, '<'), *e = b ? strchr(b, '>') : NULL;
	char *r = b && e ? xstrndup(b + 1, (size_t)(e - b - 1)) : xstrdup(t);
	free(t);
	if (strlen(r) > 250)
		r[250] = '\0';
	char *m = mend(r, strlen(r));
	free(r);
	return m;
}

/* The facts of an attached original message. */
static void original_attached(GMimeMessage *m, json_t *o)
{
	GMimeObject *mo = GMIME_OBJECT(m);
	char *addr, *name;
	char *t = header_text(mo, "From");
	first_address(t, &addr, &name);
	free(t);
	set_str(o, "from", addr);
	free(name);
	t = header_text(mo, "Reply-To");
	first_address(t, &addr, &name);
	free(t);
	set_str(o, "reply_to", addr);
	free(name);
	t = header_text(mo, "Return-Path");
	first_address(t, &addr, &name);
	free(t);
	set_str(o, "return_path", addr);
	free(name);
	set_str(o, "subject", header_text(mo, "Subject"));
	set_str(o, "date", header_text(mo, "Date"));
	set_str(o, "message_id", msgid_text(header_raw(mo, "Message-ID")));
	json_object_set_new(o, "auth_results", header_all(mo, "Authentication-Results", 10));
	json_t *rec = header_all(mo, "Received", 50);
	size_t i;
	json_t *v;
	json_array_foreach(rec, i, v) {
		char ip[64], host[256];
		received_from(json_string_value(v), ip, sizeof ip, host, sizeof host);
		if (ip[0] && !private_ip(ip)) {
			json_object_set_new(o, "received_external",
					    json_pack("{s:s, s:s, s:s}", "ip", ip, "host", host,
						      "header", json_string_value(v)));
			break;
		}
	}
	json_decref(rec);
	struct walk w = {0, 0, BUF_INIT, 0, BUF_INIT, 0, BUF_INIT, json_array(), NULL};
	walk_part(g_mime_message_get_mime_part(m), &w, 1);
	json_t *urls = json_object_get(o, "urls"), *domains = json_object_get(o, "domains");
	scan_urls(buf_cstr(&w.all), urls, domains);
	json_object_set(o, "attachments", w.attachments);
	walk_release(&w);
}

/* Where an inline forward starts in text: the marker line or the first of
 * its quoted header lines. NULL when there is none. */
static const char *inline_start(const char *text)
{
	static const char *const markers[] = {
		"Forwarded message", "Original Message", "Forwarded Message", "転送メッセージ",
		"転送されたメッセージ", "元のメッセージ", "Begin forwarded message", NULL};
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		for (int k = 0; markers[k]; k++) {
			const char *m = strstr(line, markers[k]);
			if (m && m < line + n && (memchr(line, '-', n) || strstr(line, "Begin")))
				return line;
		}
		const char *l = line;
		while (*l == '>' || *l == ' ')
			l++;
		if (strncmp(l, "From: ", 6) == 0 || strncmp(l, "差出人: ", 10) == 0 ||
		    strncmp(l, "送信者: ", 10) == 0 || strncmp(l, "From:", 5) == 0) {
			/* a quoted header block: a Subject or Sent/Date line below */
			const char *q = line + n;
			for (int k = 0; k < 6 && *q; k++) {
				q++;
				const char *r = q;
				while (*r == '>' || *r == ' ')
					r++;
				if (strncmp(r, "Subject:", 8) == 0 || strncmp(r, "Sent:", 5) == 0 ||
				    strncmp(r, "件名:", 7) == 0 || strncmp(r, "送信日時:", 13) == 0 ||
				    strncmp(r, "Date:", 5) == 0 || strncmp(r, "日付:", 7) == 0)
					return line;
				q += strcspn(q, "\n");
			}
		}
		line += n;
		if (*line)
			line++;
	}
	return NULL;
}

static int label(const char *l, const char *const *names, const char **value)
{
	for (; *names; names++) {
		size_t n = strlen(*names);
		if (strncasecmp(l, *names, n) == 0) {
			*value = l + n;
			while (**value == ' ' || **value == '\t')
				(*value)++;
			return 1;
		}
	}
	return 0;
}

/* The facts of an inline forward: its quoted headers and the text below. */
static void original_inline(const char *start, json_t *o)
{
	static const char *const from_l[] = {"From:", "差出人:", "送信者:", "送信元:", NULL};
	static const char *const reply_l[] = {"Reply-To:", "返信先:", NULL};
	static const char *const subj_l[] = {"Subject:", "件名:", NULL};
	static const char *const date_l[] = {"Date:", "Sent:", "日付:", "送信日時:", "日時:", NULL};
	static const char *const id_l[] = {"Message-ID:", "Message-Id:", NULL};
	const char *line = start;
	int headers = 0, blank_after = 0;
	const char *body = start;
	for (int k = 0; *line && k < 30; k++) {
		size_t n = strcspn(line, "\n");
		char *l = xstrndup(line, n);
		char *s = l;
		while (*s == '>' || *s == ' ')
			s++;
		size_t sl = strlen(s);
		while (sl && (s[sl - 1] == '\r' || s[sl - 1] == ' '))
			s[--sl] = '\0';
		const char *v;
		if (label(s, from_l, &v)) {
			char *addr, *name;
			first_address(v, &addr, &name);
			set_str(o, "from", addr);
			free(name);
			headers++;
		} else if (label(s, reply_l, &v)) {
			char *addr, *name;
			first_address(v, &addr, &name);
			set_str(o, "reply_to", addr);
			free(name);
			headers++;
		} else if (label(s, subj_l, &v)) {
			json_object_set_new(o, "subject", json_string(v));
			headers++;
		} else if (label(s, date_l, &v)) {
			json_object_set_new(o, "date", json_string(v));
			headers++;
		} else if (label(s, id_l, &v)) {
			set_str(o, "message_id", msgid_text(v));
			headers++;
		} else if (!*s && headers) {
			blank_after = 1;
		}
		free(l);
		line += n;
		if (*line)
			line++;
		body = line;
		if (blank_after)
			break;
	}
	scan_urls(body, json_object_get(o, "urls"), json_object_get(o, "domains"));
}

/* "INC-YYYY-N..." in text, or "". */
static void thread_ref(const char *s, char *out, size_t n)
{
	out[0] = '\0';
	for (const char *p = s; (p = strstr(p, "INC-")) != NULL; p++) {
		const char *d = p + 4;
		int ok = 1;
		for (int k = 0; k < 4 && ok; k++)
			ok = isdigit((unsigned char)d[k]) != 0;
		if (!ok || d[4] != '-' || !isdigit((unsigned char)d[5]))
			continue;
		size_t len = 10;
		while (isdigit((unsigned char)p[len]) && len < 30)
			len++;
		if (len < n)
			snprintf(out, n, "%.*s", (int)len, p);
		return;
	}
}

static int looks_like_mail(const char *data, size_t len)
{
	/* the first line is a header field (or an mbox From_ line) */
	size_t i = 0;
	if (len >= 5 && memcmp(data, "From ", 5) == 0)
		return 1;
	while (i < len && i < 1000 && data[i] != ':' && data[i] != '\n') {
		unsigned char c = (unsigned char)data[i];
		if (c <= 0x20 || c >= 0x7f)
			return 0;
		i++;
	}
	return i > 0 && i < len && data[i] == ':';
}

json_t *mail_intake_parse(const char *data, size_t len, const struct mail_intake_opts *opts,
			  char **orig, size_t *orig_len, char *why, size_t whylen)
{
	if (orig)
		*orig = NULL;
	if (orig_len)
		*orig_len = 0;
	if (len == 0) {
		snprintf(why, whylen, "the message is empty");
		return NULL;
	}
	if (!looks_like_mail(data, len)) {
		snprintf(why, whylen, "not a mail: the first line is no header field");
		return NULL;
	}
	pthread_once(&gmime_once, gmime_start);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	if (!m) {
		snprintf(why, whylen, "not a mail: no header could be read");
		return NULL;
	}
	GMimeObject *mo = GMIME_OBJECT(m);
	if (g_mime_header_list_get_count(g_mime_object_get_header_list(mo)) == 0) {
		g_object_unref(m);
		snprintf(why, whylen, "not a mail: no header fields");
		return NULL;
	}
	json_t *f = json_object();
	int malformed = 0;
	char *addr, *name;
	char *t = header_text(mo, "From");
	first_address(t, &addr, &name);
	free(t);
	if (!*addr)
		malformed = 1;
	const char *from_domain = domain_of(addr);
	json_object_set_new(f, "from", json_string(addr));
	json_object_set_new(f, "from_name", json_string(name));
	free(name);
	set_str(f, "subject", header_text(mo, "Subject"));
	set_str(f, "message_id", msgid_text(header_raw(mo, "Message-ID")));
	set_str(f, "in_reply_to", msgid_text(header_raw(mo, "In-Reply-To")));
	json_t *refs = json_array();
	char *rt = header_text(mo, "References");
	for (char *b = rt; (b = strchr(b, '<')) != NULL && json_array_size(refs) < 50;) {
		char *e = strchr(b, '>');
		if (!e)
			break;
		char *one = xstrndup(b + 1, (size_t)(e - b - 1));
		json_array_append_new(refs, json_string(one));
		free(one);
		b = e;
	}
	free(rt);
	json_object_set_new(f, "references", refs);
	char ref[32];
	thread_ref(json_string_value(json_object_get(f, "subject")), ref, sizeof ref);
	json_object_set_new(f, "thread_ref", json_string(ref));

	/* authenticated? */
	const char *via = "";
	int authed = 0;
	GMimeHeaderList *hl = g_mime_object_get_header_list(mo);
	int nh = g_mime_header_list_get_count(hl);
	const char *trusted = opts && opts->trusted_authserv ? opts->trusted_authserv : "";
	for (int i = 0; i < nh && !authed && *trusted && *from_domain; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		if (strcasecmp(g_mime_header_get_name(h), "Authentication-Results") != 0)
			continue;
		char *v = mail_intake_header_text(g_mime_header_get_raw_value(h));
		char id[256];
		size_t idn = strcspn(v, " ;(");
		snprintf(id, sizeof id, "%.*s", (int)(idn < 255 ? idn : 255), v);
		if (in_list(trusted, id)) {
			/* the newest result of the city's own MTA decides */
			authed = ar_pass(v, trusted, from_domain, &via);
			free(v);
			break;
		}
		free(v);
	}
	const char *relays = opts && opts->internal_relays ? opts->internal_relays : "";
	if (!authed && *relays && *addr) {
		char *r = header_text(mo, "Received");
		char ip[64], host[256];
		received_from(r, ip, sizeof ip, host, sizeof host);
		if (in_list(relays, ip) || in_list(relays, host)) {
			authed = 1;
			via = "relay";
		}
		free(r);
	}
	json_object_set_new(f, "authenticated", json_boolean(authed));
	json_object_set_new(f, "auth_via", json_string(via));
	free(addr);

	/* automatic mail gets no answer */
	const char *automatic = "";
	char *as = header_text(mo, "Auto-Submitted");
	char *prec = header_text(mo, "Precedence");
	char *rp = header_text(mo, "Return-Path");
	const char *fa = json_string_value(json_object_get(f, "from"));
	if (*as && strncasecmp(as, "no", 2) != 0)
		automatic = "auto-submitted";
	else if (strcasecmp(prec, "bulk") == 0 || strcasecmp(prec, "list") == 0 ||
		 strcasecmp(prec, "junk") == 0)
		automatic = "precedence";
	else if (strncasecmp(fa, "mailer-daemon@", 14) == 0 || strncasecmp(fa, "postmaster@", 11) == 0)
		automatic = "mailer-daemon";
	else if (header_raw(mo, "Return-Path") && strstr(rp, "<>"))
		automatic = "null-sender";
	else if (header_raw(mo, "X-Sokuho-Ref") || header_raw(mo, "X-Sokuho"))
		automatic = "sokuho";
	json_object_set_new(f, "automatic", json_string(automatic));
	free(as);
	free(prec);
	free(rp);

	/* the body and the original */
	struct walk w = {0, 0, BUF_INIT, 0, BUF_INIT, 0, BUF_INIT, json_array(), NULL};
	walk_part(g_mime_message_get_mime_part(m), &w, 1);
	char *body;
	if (w.have_plain)
		body = xstrdup(buf_cstr(&w.plain));
	else if (w.have_html)
		body = html_text(buf_cstr(&w.html));
	else
		body = xstrdup("");
	json_t *o;
	if (w.attached) {
		o = original_new("attached");
		original_attached(w.attached, o);
		if (orig) {
			GMimeStream *os = g_mime_stream_mem_new();
			g_mime_object_write_to_stream(GMIME_OBJECT(w.attached), NULL, os);
			GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(os));
			*orig = xmalloc(ba->len + 1);
			if (ba->len)
				memcpy(*orig, ba->data, ba->len);
			(*orig)[ba->len] = '\0';
			if (orig_len)
				*orig_len = ba->len;
			g_object_unref(os);
		}
	} else {
		const char *start = inline_start(body);
		if (!start && w.have_html) {
			char *h = html_text(buf_cstr(&w.html));
			const char *hs = inline_start(h);
			o = original_new(hs ? "inline" : "none");
			if (hs)
				original_inline(hs, o);
			free(h);
		} else {
			o = original_new(start ? "inline" : "none");
			if (start)
				original_inline(start, o);
		}
		if (!start)
			scan_urls(buf_cstr(&w.all), json_object_get(o, "urls"),
				  json_object_get(o, "domains"));
		/* the forward's own files are the original's */
		json_object_set(o, "attachments", w.attachments);
	}
	json_t *domains = json_object_get(o, "domains");
	static const char *const addr_keys[] = {"from", "reply_to", "return_path", NULL};
	for (int k = 0; addr_keys[k]; k++)
		add_domain(domains, domain_of(json_string_value(json_object_get(o, addr_keys[k]))));
	/* the sender's own words: the text above the forward */
	const char *cut = inline_start(body);
	if (cut)
		body[cut - body] = '\0';
	if (strlen(body) > 20000) {
		body[20000] = '\0';
		char *mb = mend(body, strlen(body));
		free(body);
		body = mb;
	}
	set_str(f, "body", body);
	json_object_set_new(f, "original", o);
	json_object_set_new(f, "malformed", json_boolean(malformed || w.truncated));
	walk_release(&w);
	g_object_unref(m);
	return f;
}
