/* mime: Japanese headers that round-trip through RFC 2047, line lengths,
 * folding, header injection, addresses, Message-IDs and base64 bodies. The
 * decoding here is the test's own, independent of the encoder. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "mail/mime.h"

Suite *mime_suite(void);

/* Decoding helpers -------------------------------------------------------- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 of n characters (whitespace skipped, '=' only at the end). */
static char *b64_decode(const char *s, size_t n, size_t *outlen)
{
	buf b = BUF_INIT;
	unsigned acc = 0;
	int bits = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r' || c == '\n' || c == ' ')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		ck_assert_msg(pad == 0, "base64 data after padding");
		int v = b64val((unsigned char)c);
		ck_assert_msg(v >= 0, "not base64: 0x%02x", (unsigned char)c);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(&b, (char)((acc >> bits) & 0xFF));
		}
	}
	return buf_detach(&b, outlen);
}

static int valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (k == 0 || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/* Decodes RFC 2047 B words for UTF-8 in an unfolded header value; the
 * whitespace between two adjacent encoded-words is dropped. Each word must
 * be at most 75 characters and decode to whole UTF-8 characters. */
static char *decode_words(const char *v)
{
	buf b = BUF_INIT;
	const char *p = v;
	int prev_word = 0;
	buf_puts(&b, "");
	while (*p) {
		const char *w = strstr(p, "=?UTF-8?B?");
		if (!w) {
			buf_puts(&b, p);
			break;
		}
		const char *between = p;
		int only_ws = 1;
		for (const char *q = between; q < w; q++)
			if (*q != ' ' && *q != '\t')
				only_ws = 0;
		if (!(prev_word && only_ws))
			buf_append(&b, between, (size_t)(w - between));
		const char *end = strstr(w + 10, "?=");
		ck_assert_ptr_nonnull(end);
		ck_assert_msg(end + 2 - w <= 75, "encoded-word of %d chars", (int)(end + 2 - w));
		size_t n;
		char *d = b64_decode(w + 10, (size_t)(end - (w + 10)), &n);
		ck_assert_msg(valid_utf8(d, n), "encoded-word splits a UTF-8 character");
		buf_append(&b, d, n);
		free(d);
		p = end + 2;
		prev_word = 1;
	}
	return buf_detach(&b, NULL);
}

struct parsed {
	char *headers[64]; /* unfolded "Name: value" */
	int nheaders;
	const char *body;  /* into the message */
};

/* Splits a message into unfolded header lines and the body; checks CRLF
 * line ends and the 78-character limit on the way. */
static void parse(const char *msg, size_t len, struct parsed *out)
{
	memset(out, 0, sizeof *out);
	ck_assert_uint_eq(strlen(msg), len);
	const char *p = msg;
	buf cur = BUF_INIT;
	int have = 0;
	for (;;) {
		const char *eol = strstr(p, "\r\n");
		ck_assert_msg(eol != NULL, "header section not terminated");
		size_t l = (size_t)(eol - p);
		ck_assert_msg(memchr(p, '\n', l) == NULL && memchr(p, '\r', l) == NULL,
			      "bare CR or LF in a header line");
		ck_assert_msg(l <= 78, "header line of %zu chars: %.*s", l, (int)l, p);
		if (l == 0) {
			p = eol + 2;
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			ck_assert_msg(have, "continuation line first");
			buf_append(&cur, p, l);
		} else {
			if (have) {
				ck_assert_int_lt(out->nheaders, 64);
				out->headers[out->nheaders++] = buf_detach(&cur, NULL);
			}
			ck_assert_msg(memchr(p, ':', l) != NULL, "header line without a colon");
			buf_append(&cur, p, l);
			have = 1;
		}
		p = eol + 2;
	}
	if (have)
		out->headers[out->nheaders++] = buf_detach(&cur, NULL);
	buf_release(&cur);
	out->body = p;
	/* The body: CRLF lines of at most 78 characters. */
	for (const char *q = p; *q;) {
		const char *eol = strstr(q, "\r\n");
		ck_assert_msg(eol != NULL, "body does not end in CRLF");
		size_t l = (size_t)(eol - q);
		ck_assert_msg(memchr(q, '\n', l) == NULL && memchr(q, '\r', l) == NULL,
			      "bare CR or LF in the body");
		ck_assert_msg(l <= 78, "body line of %zu chars", l);
		q = eol + 2;
	}
}

static void parsed_free(struct parsed *pm)
{
	for (int i = 0; i < pm->nheaders; i++)
		free(pm->headers[i]);
}

/* The value of the only header called name (fails when there are two). */
static const char *header(const struct parsed *pm, const char *name)
{
	const char *found = NULL;
	size_t nl = strlen(name);
	for (int i = 0; i < pm->nheaders; i++)
		if (strncasecmp(pm->headers[i], name, nl) == 0 && pm->headers[i][nl] == ':') {
			ck_assert_msg(found == NULL, "two %s headers", name);
			found = pm->headers[i] + nl + 1;
			while (*found == ' ')
				found++;
		}
	return found;
}

/* Display name and address of "name <addr>" or "addr". */
static void mailbox(const char *v, char **name, char **addr)
{
	const char *lt = strrchr(v, '<');
	if (!lt) {
		*name = xstrdup("");
		*addr = xstrdup(v);
		return;
	}
	const char *gt = strchr(lt, '>');
	ck_assert_ptr_nonnull(gt);
	*addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	size_t nl = (size_t)(lt - v);
	while (nl > 0 && v[nl - 1] == ' ')
		nl--;
	char *raw = xstrndup(v, nl);
	*name = decode_words(raw);
	free(raw);
}

static char *build(const struct mail_msg *m, size_t *len)
{
	char err[200] = "";
	char *out = mime_build(m, len, err, sizeof err);
	ck_assert_msg(out != NULL, "mime_build failed: %s", err);
	return out;
}

static struct mail_msg sample(void)
{
	struct mail_msg m;
	memset(&m, 0, sizeof m);
	m.from_addr = "sokuho@city.example.jp";
	m.from_name = "速報システム";
	m.to_addr = "yamada.taro@city.example.jp";
	m.to_name = "山田 太郎";
	m.subject = "【速報】INC-2026-0042 個人情報を含むUSBメモリの紛失（市民課）";
	m.text = "山田 太郎 様\n\n新しい報告があります。\n対応してください。\n";
	m.message_id = "<42.0a1b2c3d4e5f@city.example.jp>";
	m.date = 1767225600; /* 2026-01-01 00:00:00 UTC */
	return m;
}

/* Tests -------------------------------------------------------------------- */

START_TEST(test_japanese_round_trip)
{
	struct mail_msg m = sample();
	size_t len;
	char *msg = build(&m, &len);
	struct parsed pm;
	parse(msg, len, &pm);

	char *subj = decode_words(header(&pm, "Subject"));
	ck_assert_str_eq(subj, m.subject);
	free(subj);
	ck_assert_ptr_nonnull(strstr(header(&pm, "Subject"), "=?UTF-8?B?"));

	char *name, *addr;
	mailbox(header(&pm, "From"), &name, &addr);
	ck_assert_str_eq(name, "速報システム");
	ck_assert_str_eq(addr, "sokuho@city.example.jp");
	free(name);
	free(addr);
	mailbox(header(&pm, "To"), &name, &addr);
	ck_assert_str_eq(name, "山田 太郎");
	ck_assert_str_eq(addr, "yamada.taro@city.example.jp");
	free(name);
	free(addr);

	ck_assert_str_eq(header(&pm, "Date"), "Thu, 01 Jan 2026 09:00:00 +0900");
	ck_assert_str_eq(header(&pm, "Message-ID"), "<42.0a1b2c3d4e5f@city.example.jp>");
	ck_assert_str_eq(header(&pm, "MIME-Version"), "1.0");
	ck_assert_str_eq(header(&pm, "Auto-Submitted"), "auto-generated");
	ck_assert_str_eq(header(&pm, "Content-Type"), "text/plain; charset=UTF-8");
	ck_assert_str_eq(header(&pm, "Content-Transfer-Encoding"), "base64");
	ck_assert_ptr_null(header(&pm, "List-Id"));
	parsed_free(&pm);
	free(msg);
}
END_TEST

START_TEST(test_ascii_names_stay_plain)
{
	struct mail_msg m = sample();
	m.from_name = "Sokuho";
	m.to_name = "Taro Yamada";
	m.subject = "Incident INC-2026-0042 reported";
	size_t len;
	char *msg = build(&m, &len);
	struct parsed pm;
	parse(msg, len, &pm);
	ck_assert_str_eq(header(&pm, "From"), "Sokuho <sokuho@city.example.jp>");
	ck_assert_str_eq(header(&pm, "To"), "Taro Yamada <yamada.taro@city.example.jp>");
	ck_assert_str_eq(header(&pm, "Subject"), "Incident INC-2026-0042 reported");
	parsed_free(&pm);
	free(msg);

	/* Specials in an ASCII name are encoded rather than quoted. */
	m.to_name = "Yamada, Taro (CSIRT) \"lead\"";
	m.from_name = NULL;
	msg = build(&m, &len);
	parse(msg, len, &pm);
	ck_assert_str_eq(header(&pm, "From"), "sokuho@city.example.jp");
	char *name, *addr;
	mailbox(header(&pm, "To"), &name, &addr);
	ck_assert_str_eq(name, "Yamada, Taro (CSIRT) \"lead\"");
	ck_assert_str_eq(addr, "yamada.taro@city.example.jp");
	free(name);
	free(addr);
	parsed_free(&pm);
	free(msg);
}
END_TEST

START_TEST(test_no_line_over_78)
{
	buf longja = BUF_INIT, longascii = BUF_INIT, emoji = BUF_INIT, mixed = BUF_INIT;
	for (int i = 0; i < 60; i++)
		buf_puts(&longja, "情報漏えい");
	for (int i = 0; i < 40; i++)
		buf_puts(&longascii, "escalation ");
	buf_puts(&longascii, "Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword");
	for (int i = 0; i < 50; i++)
		buf_puts(&emoji, "🚨a");
	for (int i = 0; i < 30; i++)
		buf_puts(&mixed, "INC-2026-0042 速報 ");
	const char *subjects[] = {buf_cstr(&longja), buf_cstr(&longascii), buf_cstr(&emoji),
				  buf_cstr(&mixed), "", "a", "=?UTF-8?B?Zm9v?=",
				  "                                                            "
				  "                                       trailing"};
	const char *names[] = {"情報セキュリティ管理者（総務部情報政策課）山田太郎・鈴木花子・佐藤次郎",
			       "A very long English display name of a contractor company ltd",
			       NULL};
	const char *long_addr =
		"a.very.long.local.part.for.testing@subdomain.city.example.jp"; /* 60 */
	for (size_t s = 0; s < sizeof subjects / sizeof *subjects; s++)
		for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
			struct mail_msg m = sample();
			m.subject = subjects[s];
			m.from_name = names[k];
			m.to_name = names[(k + 1) % 3];
			m.to_addr = long_addr;
			size_t len;
			char *msg = build(&m, &len);
			struct parsed pm;
			parse(msg, len, &pm); /* asserts the limits */
			char *subj = decode_words(header(&pm, "Subject"));
			ck_assert_str_eq(subj, subjects[s]);
			free(subj);
			char *name, *addr;
			mailbox(header(&pm, "From"), &name, &addr);
			ck_assert_str_eq(name, names[k] ? names[k] : "");
			free(name);
			free(addr);
			mailbox(header(&pm, "To"), &name, &addr);
			ck_assert_str_eq(addr, long_addr);
			free(name);
			free(addr);
			parsed_free(&pm);
			free(msg);
		}
	buf_release(&longja);
	buf_release(&longascii);
	buf_release(&emoji);
	buf_release(&mixed);
}
END_TEST

START_TEST(test_header_injection)
{
	struct mail_msg m = sample();
	m.subject = "x\r\nBcc: evil@x";
	m.from_name = "A\r\nBcc: evil@example.org";
	m.to_name = "B\nX-Evil: 1\r\n\r\nbody";
	size_t len;
	char *msg = build(&m, &len);
	struct parsed pm;
	parse(msg, len, &pm);
	const char *expect[] = {"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
				"Auto-Submitted", "Content-Type", "Content-Transfer-Encoding"};
	ck_assert_int_eq(pm.nheaders, 9);
	for (int i = 0; i < 9; i++)
		ck_assert_msg(strncmp(pm.headers[i], expect[i], strlen(expect[i])) == 0 &&
				      pm.headers[i][strlen(expect[i])] == ':',
			      "header %d is %s", i, pm.headers[i]);
	ck_assert_ptr_null(header(&pm, "Bcc"));
	ck_assert_ptr_null(header(&pm, "X-Evil"));
	char *subj = decode_words(header(&pm, "Subject"));
	ck_assert_str_eq(subj, "x  Bcc: evil@x");
	free(subj);
	char *name, *addr;
	mailbox(header(&pm, "To"), &name, &addr);
	ck_assert_str_eq(name, "B X-Evil: 1    body");
	free(name);
	free(addr);
	parsed_free(&pm);
	free(msg);

	/* Other controls, DEL, C1 (NEL) and U+2028 become spaces too. */
	char *h = mime_encode_header("a\tb\x7f" "c\xc2\x85" "d\xe2\x80\xa8" "e", 9);
	ck_assert_str_eq(h, "a b c d e");
	free(h);

	/* CR or LF in an address is refused, not cleaned. */
	char err[200];
	m = sample();
	m.to_addr = "yamada@city.example.jp\r\nBcc: evil@example.org";
	ck_assert_ptr_null(mime_build(&m, &len, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "recipient"));
	m = sample();
	m.from_addr = "sokuho@city.example.jp\nBcc: evil@example.org";
	ck_assert_ptr_null(mime_build(&m, &len, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "sender"));
	m = sample();
	m.message_id = "<1@x>\r\nBcc: evil@example.org";
	ck_assert_ptr_null(mime_build(&m, &len, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "Message-ID"));
	m = sample();
	m.list_id_or_null = "<x>\r\nBcc: evil@example.org";
	ck_assert_ptr_null(mime_build(&m, &len, err, sizeof err));
}
END_TEST

START_TEST(test_addresses)
{
	const char *good[] = {"a@b", "yamada.taro@city.example.jp", "x+tag@example.org",
			      "o'brien@example.ie", "user_1@mail-gw.city.example.jp",
			      "a!#$%&'*+-/=?^_`{|}~@example.org"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(mime_check_address(good[i]) == 0, "%s refused", good[i]);
	char long_local[80], long_addr[300];
	memset(long_local, 'a', 65);
	strcpy(long_local + 65, "@example.org");
	memset(long_addr, 'a', 60);
	long_addr[60] = '@';
	for (int i = 61; i < 261; i++)
		long_addr[i] = (i - 61) % 50 == 49 ? '.' : 'b'; /* labels of 49 */
	strcpy(long_addr + 261, "jp"); /* 263 bytes */
	const char *bad[] = {NULL, "", "plain", "@example.org", "a@", "a@@b", "a@b@c",
			     "a b@example.org", "a@exa mple.org", "<a@example.org>", "a@example.org>",
			     "a,b@example.org", "\"a\"@example.org", "a;b@example.org",
			     "a@example.org\r\n", "a\r\n@example.org", "a\n@example.org",
			     "a\t@example.org", "a\x01@example.org", "a\x7f@example.org",
			     "a(b)@example.org", "a\\b@example.org", "a:b@example.org",
			     "a@[127.0.0.1]", ".a@example.org", "a.@example.org", "a..b@example.org",
			     "a@example..org", "a@-example.org", "a@example-.org", "a@.example.org",
			     "山田@example.org", "a@例え.jp", long_local, long_addr};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(mime_check_address(bad[i]) == -1, "accepted bad address #%zu", i);
	/* Exactly 254 bytes is fine, 255 is not. */
	char a254[256];
	memset(a254, 'a', 64);
	a254[64] = '@';
	for (int i = 65; i < 254; i++)
		a254[i] = (i - 65) % 60 == 59 ? '.' : 'b';
	a254[254] = '\0';
	ck_assert_int_eq(mime_check_address(a254), 0);
	a254[253] = 'b';
	a254[254] = 'c';
	a254[255] = '\0';
	ck_assert_int_eq(mime_check_address(a254), -1);
}
END_TEST

START_TEST(test_message_ids)
{
	const char *bad[] = {NULL, "", "1@x", "<1@x", "1@x>", "<>", "<@x>", "<1@>", "<1>",
			     "<1@x@y>", "<1 2@x>", "<1@x y>", "<1@x>\r\n", "<.1@x>", "<1..2@x>",
			     "<\"1\"@x>", "<1@[x]>"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct mail_msg m = sample();
		m.message_id = bad[i];
		char err[200];
		size_t len;
		ck_assert_msg(mime_build(&m, &len, err, sizeof err) == NULL, "accepted id #%zu", i);
		ck_assert_ptr_nonnull(strstr(err, "Message-ID"));
	}
	/* A long one goes on a line of its own. */
	struct mail_msg m = sample();
	m.message_id = "<1234567890.abcdefabcdefabcdefabcdef@mail-sender.sokuho.city.example.jp>";
	size_t len;
	char *msg = build(&m, &len);
	ck_assert_ptr_nonnull(strstr(msg, "\r\nMessage-ID:\r\n <1234567890."));
	struct parsed pm;
	parse(msg, len, &pm);
	ck_assert_str_eq(header(&pm, "Message-ID"), m.message_id);
	parsed_free(&pm);
	free(msg);
}
END_TEST

START_TEST(test_long_subject_folding)
{
	/* ASCII is folded at spaces, not encoded; unfolding restores it. */
	const char *s = "Reminder: incident INC-2026-0042 (lost USB stick, citizens' section) "
			"needs its first report to the Personal Information Protection Commission "
			"within 3 days of discovery";
	char *h = mime_encode_header(s, 9);
	ck_assert_ptr_null(strstr(h, "=?"));
	ck_assert_ptr_nonnull(strstr(h, "\r\n "));
	size_t first = (size_t)(strstr(h, "\r\n") - h);
	ck_assert_uint_le(first + 9, 78);
	buf u = BUF_INIT;
	for (const char *p = h; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			buf_putc(&u, *p);
		else
			p++;
	ck_assert_str_eq(buf_cstr(&u), s);
	buf_release(&u);
	free(h);

	/* Japanese: several encoded-words, one per line, each within 75, the
	 * first line leaving room for "Subject: ". */
	buf ja = BUF_INIT;
	for (int i = 0; i < 20; i++)
		buf_puts(&ja, "個人情報漏えい");
	h = mime_encode_header(buf_cstr(&ja), 9);
	int words = 0;
	for (const char *p = h; (p = strstr(p, "=?UTF-8?B?")); p++)
		words++;
	ck_assert_int_ge(words, 420 / 45);
	const char *line = h;
	size_t lineno = 0;
	for (;;) {
		const char *eol = strstr(line, "\r\n");
		size_t l = eol ? (size_t)(eol - line) : strlen(line);
		ck_assert_uint_le(l + (lineno == 0 ? 9 : 0), 78);
		if (lineno > 0)
			ck_assert_int_eq(line[0], ' ');
		if (!eol)
			break;
		line = eol + 2;
		lineno++;
	}
	ck_assert_uint_eq(lineno + 1, (size_t)words);
	/* Unfold (drop CRLF) and decode. */
	buf uf = BUF_INIT;
	for (const char *p = h; *p; p++)
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		else
			buf_putc(&uf, *p);
	char *d = decode_words(buf_cstr(&uf));
	ck_assert_str_eq(d, buf_cstr(&ja));
	free(d);
	buf_release(&uf);
	buf_release(&ja);
	free(h);

	/* A header name too long for even one character: fold first. */
	h = mime_encode_header("速報", 70);
	ck_assert(strncmp(h, "\r\n =?UTF-8?B?", 13) == 0);
	free(h);
}
END_TEST

START_TEST(test_encode_header_edges)
{
	char *h = mime_encode_header(NULL, 9);
	ck_assert_str_eq(h, "");
	free(h);
	h = mime_encode_header("Hello world", 9);
	ck_assert_str_eq(h, "Hello world");
	free(h);
	/* Text that looks like an encoded-word is encoded itself. */
	h = mime_encode_header("=?UTF-8?B?ZXZpbA==?=", 9);
	char *d = decode_words(h);
	ck_assert_str_eq(d, "=?UTF-8?B?ZXZpbA==?=");
	free(d);
	free(h);
	/* Invalid UTF-8 becomes U+FFFD; no byte is lost or split. */
	h = mime_encode_header("a\xff" "b\xe3\x81" "c\xed\xa0\x80" "d\xc0\xaf", 9);
	d = decode_words(h);
	ck_assert_str_eq(d, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD"
			    "\xEF\xBF\xBD" "d\xEF\xBF\xBD\xEF\xBF\xBD");
	free(d);
	free(h);
	/* A long word without spaces cannot be folded: encoded instead. */
	char longword[120];
	memset(longword, 'x', 100);
	longword[100] = '\0';
	h = mime_encode_header(longword, 9);
	ck_assert_ptr_nonnull(strstr(h, "=?UTF-8?B?"));
	buf uf = BUF_INIT;
	for (const char *p = h; *p; p++)
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		else
			buf_putc(&uf, *p);
	d = decode_words(buf_cstr(&uf));
	ck_assert_str_eq(d, longword);
	buf_release(&uf);
	free(d);
	free(h);
}
END_TEST

START_TEST(test_base64_body)
{
	struct mail_msg m = sample();
	buf text = BUF_INIT, expect = BUF_INIT;
	for (int i = 0; i < 40; i++) {
		buf_printf(&text, "%d行目: 個人情報を含むファイルの誤送信について。\n", i);
		buf_printf(&expect, "%d行目: 個人情報を含むファイルの誤送信について。\r\n", i);
	}
	buf_puts(&text, ".\nlast line without newline\r\nand a CRLF one\rand a CR one");
	buf_puts(&expect, ".\r\nlast line without newline\r\nand a CRLF one\r\nand a CR one");
	m.text = buf_cstr(&text);
	size_t len;
	char *msg = build(&m, &len);
	struct parsed pm;
	parse(msg, len, &pm);
	for (const char *q = pm.body; *q;) {
		const char *eol = strstr(q, "\r\n");
		ck_assert_uint_le((size_t)(eol - q), 76);
		q = eol + 2;
	}
	size_t n;
	char *body = b64_decode(pm.body, strlen(pm.body), &n);
	ck_assert_uint_eq(n, expect.len);
	ck_assert(memcmp(body, buf_cstr(&expect), n) == 0);
	free(body);
	parsed_free(&pm);
	free(msg);

	/* An empty body is fine. */
	m.text = "";
	msg = build(&m, &len);
	parse(msg, len, &pm);
	ck_assert_str_eq(pm.body, "");
	parsed_free(&pm);
	free(msg);
	buf_release(&text);
	buf_release(&expect);

	char err[100];
	m.text = NULL;
	ck_assert_ptr_null(mime_build(&m, &len, err, sizeof err));
}
END_TEST

START_TEST(test_multipart_alternative)
{
	struct mail_msg m = sample();
	m.html = "<p>新しい報告があります。<a href=\"https://sokuho.example/incidents/INC-2026-0042\">"
		 "INC-2026-0042</a></p>\n";
	m.list_id_or_null = "Sokuho notifications <notify.sokuho.city.example.jp>";
	size_t len;
	char *msg = build(&m, &len);
	struct parsed pm;
	parse(msg, len, &pm);
	ck_assert_str_eq(header(&pm, "List-Id"), "Sokuho notifications <notify.sokuho.city.example.jp>");
	const char *ct = header(&pm, "Content-Type");
	ck_assert(strncmp(ct, "multipart/alternative; boundary=\"=_", 35) == 0);
	ck_assert_ptr_null(header(&pm, "Content-Transfer-Encoding"));
	char boundary[80];
	const char *bs = strstr(ct, "boundary=\"") + 10;
	size_t bl = (size_t)(strchr(bs, '"') - bs);
	ck_assert_uint_eq(bl, 34);
	memcpy(boundary, bs, bl);
	boundary[bl] = '\0';

	/* Parts: between "--boundary" lines; the closing one ends in "--". */
	char open[100], close[100];
	snprintf(open, sizeof open, "\r\n--%s\r\n", boundary);
	snprintf(close, sizeof close, "\r\n--%s--\r\n", boundary);
	const char *p1 = strstr(pm.body, open);
	ck_assert_ptr_nonnull(p1);
	const char *p2 = strstr(p1 + 1, open);
	ck_assert_ptr_nonnull(p2);
	const char *end = strstr(p2 + 1, close);
	ck_assert_ptr_nonnull(end);
	ck_assert_ptr_null(strstr(p2 + 1, open));
	ck_assert_str_eq(end + strlen(close), "");

	const char *types[2] = {"text/plain", "text/html"};
	const char *want[2] = {"山田 太郎 様\r\n\r\n新しい報告があります。\r\n対応してください。\r\n",
			       "<p>新しい報告があります。<a href=\"https://sokuho.example/incidents/"
			       "INC-2026-0042\">INC-2026-0042</a></p>\r\n"};
	const char *starts[2] = {p1 + strlen(open), p2 + strlen(open)};
	const char *ends[2] = {p2, end};
	for (int k = 0; k < 2; k++) {
		char *part = xstrndup(starts[k], (size_t)(ends[k] - starts[k]));
		char hdr[100];
		snprintf(hdr, sizeof hdr,
			 "Content-Type: %s; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			 types[k]);
		ck_assert_msg(strncmp(part, hdr, strlen(hdr)) == 0, "part %d headers: %s", k, part);
		size_t n;
		char *dec = b64_decode(part + strlen(hdr), strlen(part + strlen(hdr)), &n);
		ck_assert_uint_eq(n, strlen(want[k]));
		ck_assert(memcmp(dec, want[k], n) == 0);
		/* The boundary cannot be in base64 text. */
		ck_assert_ptr_null(strstr(part, boundary));
		free(dec);
		free(part);
	}
	parsed_free(&pm);
	free(msg);

	/* Two builds, two boundaries. */
	char *a = build(&m, &len), *b = build(&m, &len);
	ck_assert(strcmp(a, b) != 0);
	free(a);
	free(b);
}
END_TEST

Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");
	tcase_add_test(tc, test_japanese_round_trip);
	tcase_add_test(tc, test_ascii_names_stay_plain);
	tcase_add_test(tc, test_no_line_over_78);
	tcase_add_test(tc, test_header_injection);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_message_ids);
	tcase_add_test(tc, test_long_subject_folding);
	tcase_add_test(tc, test_encode_header_edges);
	tcase_add_test(tc, test_base64_body);
	tcase_add_test(tc, test_multipart_alternative);
	suite_add_tcase(s, tc);
	return s;
}
