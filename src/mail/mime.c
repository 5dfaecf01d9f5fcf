/* Building one e-mail: RFC 5322 headers, RFC 2047 encoded-words and MIME
 * bodies in base64 (see mime.h). */
#include "mime.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"

#define LINE_MAX_CHARS 78 /* RFC 5322 2.1.1: SHOULD be no more than 78 */
#define WORD_MAX 75	  /* RFC 2047 2: an encoded-word is at most 75 */
#define WORD_OVERHEAD 12  /* strlen("=?UTF-8?B?") + strlen("?=") */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of n bytes without line breaks. */
static void b64_append(buf *b, const unsigned char *p, size_t n)
{
	char q[4];
	while (n >= 3) {
		q[0] = b64chars[p[0] >> 2];
		q[1] = b64chars[((p[0] & 3) << 4) | (p[1] >> 4)];
		q[2] = b64chars[((p[1] & 15) << 2) | (p[2] >> 6)];
		q[3] = b64chars[p[2] & 63];
		buf_append(b, q, 4);
		p += 3;
		n -= 3;
	}
	if (n > 0) {
		q[0] = b64chars[p[0] >> 2];
		if (n == 1) {
			q[1] = b64chars[(p[0] & 3) << 4];
			q[2] = '=';
		} else {
			q[1] = b64chars[((p[0] & 3) << 4) | (p[1] >> 4)];
			q[2] = b64chars[(p[1] & 15) << 2];
		}
		q[3] = '=';
		buf_append(b, q, 4);
	}
}

/* Base64 body lines of 76 characters (57 bytes each), each ending in CRLF. */
static void b64_body(buf *b, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t k = n > 57 ? 57 : n;
		b64_append(b, p, k);
		buf_puts(b, "\r\n");
		p += k;
		n -= k;
	}
}

/* Length of the valid UTF-8 sequence at s (1-4; end is the string's NUL),
 * or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	return utf8_decode(s, (size_t)(end - s), NULL);
}

/* A header value made safe: every control character (C0 including CR, LF
 * and TAB, DEL, C1 such as U+0085, and the line and paragraph separators
 * U+2028/U+2029) becomes a space, and bytes that are not UTF-8 become U+FFFD.
 * The result cannot break out of its header line. Caller frees. */
static char *header_text(const char *in)
{
	buf b = BUF_INIT;
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	const unsigned char *end = s + strlen((const char *)s);
	while (*s) {
		size_t n = utf8_len(s, end);
		if (n == 0) {
			buf_puts(&b, "\xEF\xBF\xBD");
			s++;
		} else if (n == 1) {
			buf_putc(&b, (*s < 0x20 || *s == 0x7F) ? ' ' : (char)*s);
			s++;
		} else if ((n == 2 && s[0] == 0xC2 && s[1] < 0xA0) ||
			   (n == 3 && s[0] == 0xE2 && s[1] == 0x80 &&
			    (s[2] == 0xA8 || s[2] == 0xA9))) {
			buf_putc(&b, ' ');
			s += n;
		} else {
			buf_append(&b, s, n);
			s += n;
		}
	}
	return buf_detach(&b, NULL);
}

static int is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Characters on the last line of s, given that the header's first line
 * already had `first` characters before s starts. */
static size_t column_after(const char *s, size_t first)
{
	const char *nl = strrchr(s, '\n');
	return nl ? strlen(nl + 1) : first + strlen(s);
}

/* Printable ASCII folded at its spaces so that no line passes 78; NULL when
 * that cannot be done (a run without spaces too long for a line, or only
 * spaces left to fold). s has no control characters. */
static char *fold_ascii(const char *s, size_t used)
{
	buf b = BUF_INIT;
	size_t col = used;
	const char *p = s;
	buf_puts(&b, ""); /* "" rather than NULL for an empty value */
	while (*p) {
		const char *t = p;
		while (*p == ' ')
			p++;
		int only_spaces = *p == '\0';
		while (*p && *p != ' ')
			p++;
		size_t tl = (size_t)(p - t);
		if (col + tl <= LINE_MAX_CHARS) {
			buf_append(&b, t, tl);
			col += tl;
		} else if (t[0] == ' ' && !only_spaces && tl <= LINE_MAX_CHARS) {
			/* Fold before the space: the space begins the next line. */
			buf_puts(&b, "\r\n");
			buf_append(&b, t, tl);
			col = tl;
		} else {
			buf_release(&b);
			return NULL;
		}
	}
	return buf_detach(&b, NULL);
}

/* Encoded-words for s (already made safe), one per line. */
static char *encode_words(const char *s, size_t used)
{
	buf b = BUF_INIT;
	buf_puts(&b, "");
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	size_t room = used < LINE_MAX_CHARS ? LINE_MAX_CHARS - used : 0;
	int first = 1;
	while (*p) {
		if (room > WORD_MAX)
			room = WORD_MAX;
		/* As many whole characters as fit in the room left. */
		size_t take = 0;
		while (p[take]) {
			size_t n = utf8_len(p + take, end);
			if (n == 0)
				n = 1; /* cannot happen after header_text() */
			size_t bytes = take + n;
			if (WORD_OVERHEAD + 4 * ((bytes + 2) / 3) > room)
				break;
			take = bytes;
		}
		if (take == 0) {
			/* Not even one character fits: only possible on the first
			 * line, after a long header name (a continuation line has
			 * room for 75, and a 4-byte character needs 20). Fold. */
			buf_puts(&b, "\r\n ");
			room = LINE_MAX_CHARS - 1;
			first = 0;
			continue;
		}
		if (!first && b.len > 0 && b.data[b.len - 1] != ' ')
			buf_puts(&b, "\r\n ");
		buf_puts(&b, "=?UTF-8?B?");
		b64_append(&b, p, take);
		buf_puts(&b, "?=");
		p += take;
		first = 0;
		room = LINE_MAX_CHARS - 1;
	}
	return buf_detach(&b, NULL);
}

static int is_plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7F)
			return 0;
	return 1;
}

char *mime_encode_header(const char *utf8, size_t first_line_used)
{
	char *s = header_text(utf8);
	char *out = NULL;
	if (is_plain_ascii(s) && !strstr(s, "=?"))
		out = fold_ascii(s, first_line_used);
	if (!out)
		out = encode_words(s, first_line_used);
	free(s);
	return out;
}

/* A display name as an RFC 5322 phrase: as is when it is words of atext
 * separated by single spaces, else encoded-words (which also covers ASCII
 * with specials such as '.', ',' or '"', without quoting rules). */
static char *phrase(const char *safe, size_t used)
{
	int plain = safe[0] != '\0' && safe[0] != ' ';
	for (const char *p = safe; *p && plain; p++)
		if (!(is_atext((unsigned char)*p) || (*p == ' ' && p[1] != ' ' && p[1] != '\0')))
			plain = 0;
	char *out = NULL;
	if (plain && !strstr(safe, "=?"))
		out = fold_ascii(safe, used);
	if (!out)
		out = encode_words(safe, used);
	return out;
}

static int dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

int mime_check_address(const char *addr)
{
	if (!addr)
		return -1;
	size_t n = strlen(addr);
	if (n == 0 || n > 254)
		return -1;
	const char *at = strchr(addr, '@');
	if (!at || strchr(at + 1, '@'))
		return -1;
	size_t ln = (size_t)(at - addr);
	if (ln > 64 || !dot_atom(addr, ln))
		return -1;
	const char *d = at + 1;
	size_t dn = strlen(d);
	if (dn == 0 || dn > 253)
		return -1;
	size_t label = 0;
	for (size_t i = 0; i <= dn; i++) {
		char c = d[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return -1;
			label = 0;
			continue;
		}
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!ok || (label == 0 && c == '-'))
			return -1;
		label++;
	}
	return 0;
}

static int check_message_id(const char *id)
{
	if (!id)
		return -1;
	size_t n = strlen(id);
	if (n < 5 || n > 250 || id[0] != '<' || id[n - 1] != '>')
		return -1;
	const char *at = memchr(id, '@', n);
	if (!at || memchr(at + 1, '@', (size_t)(id + n - at - 1)))
		return -1;
	return dot_atom(id + 1, (size_t)(at - id - 1)) &&
			       dot_atom(at + 1, (size_t)(id + n - 1 - at - 1))
		       ? 0
		       : -1;
}

/* "Name: value" where value is a single token that cannot be folded inside
 * (a Message-ID): on the first line when it fits, else alone on the next. */
static void put_token_header(buf *b, const char *name, const char *value)
{
	if (strlen(name) + 2 + strlen(value) <= LINE_MAX_CHARS)
		buf_printf(b, "%s: %s\r\n", name, value);
	else
		buf_printf(b, "%s:\r\n %s\r\n", name, value);
}

/* From / To: an encoded display name, then <addr> on the same line when it
 * fits, else on a folded line of its own. */
static void put_mailbox_header(buf *b, const char *hname, const char *name, const char *addr)
{
	char *safe = header_text(name);
	/* Trim the spaces a sanitised name may start or end with. */
	char *s = safe;
	while (*s == ' ')
		s++;
	size_t sl = strlen(s);
	while (sl > 0 && s[sl - 1] == ' ')
		s[--sl] = '\0';
	size_t used = strlen(hname) + 2;
	if (sl == 0) {
		put_token_header(b, hname, addr);
	} else {
		char *ph = phrase(s, used);
		size_t col = column_after(ph, used);
		buf_printf(b, "%s: %s", hname, ph);
		if (col + 3 + strlen(addr) <= LINE_MAX_CHARS)
			buf_printf(b, " <%s>\r\n", addr);
		else
			buf_printf(b, "\r\n <%s>\r\n", addr);
		free(ph);
	}
	free(safe);
}

static void put_date(buf *b, time_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	/* Japan has had no daylight saving time since 1951: +0900 always. */
	time_t jst = t + 9 * 3600;
	struct tm tm;
	gmtime_r(&jst, &tm);
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0900\r\n", days[tm.tm_wday],
		   tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
}

/* Body text in canonical form: CRLF line ends (LF, CR and CRLF all count). */
static char *crlf_text(const char *in, size_t *len)
{
	buf b = BUF_INIT;
	buf_puts(&b, "");
	for (const char *p = in; *p; p++) {
		if (*p == '\r') {
			buf_puts(&b, "\r\n");
			if (p[1] == '\n')
				p++;
		} else if (*p == '\n') {
			buf_puts(&b, "\r\n");
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_detach(&b, len);
}

static void put_base64_part(buf *b, const char *type, const char *text)
{
	size_t n;
	char *c = crlf_text(text, &n);
	buf_printf(b, "Content-Type: %s; charset=UTF-8\r\n", type);
	buf_puts(b, "Content-Transfer-Encoding: base64\r\n\r\n");
	b64_body(b, (const unsigned char *)c, n);
	free(c);
}

static void fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

char *mime_build(const struct mail_msg *m, size_t *len, char *err, size_t errlen)
{
	if (!m || !m->text) {
		fail(err, errlen, "mail has no text body");
		return NULL;
	}
	if (mime_check_address(m->from_addr) < 0) {
		fail(err, errlen, "invalid sender address (not a plain addr-spec)");
		return NULL;
	}
	if (mime_check_address(m->to_addr) < 0) {
		fail(err, errlen, "invalid recipient address (not a plain addr-spec)");
		return NULL;
	}
	if (check_message_id(m->message_id) < 0) {
		fail(err, errlen,
		     "invalid Message-ID (want <dot-atom@dot-atom>, at most 250 chars)");
		return NULL;
	}
	char *list_id = NULL;
	if (m->list_id_or_null) {
		const char *l = m->list_id_or_null;
		if (!*l || strlen(l) > 200 || !is_plain_ascii(l) || !strchr(l, '<') ||
		    l[strlen(l) - 1] != '>' || !(list_id = fold_ascii(l, strlen("List-Id: ")))) {
			fail(err, errlen,
			     "invalid List-Id (want printable ASCII ending in <list-id>)");
			return NULL;
		}
	}

	buf b = BUF_INIT;
	put_date(&b, m->date ? m->date : time(NULL));
	put_mailbox_header(&b, "From", m->from_name, m->from_addr);
	put_mailbox_header(&b, "To", m->to_name, m->to_addr);
	char *subj = mime_encode_header(m->subject, strlen("Subject: "));
	buf_printf(&b, "Subject: %s\r\n", subj);
	free(subj);
	put_token_header(&b, "Message-ID", m->message_id);
	buf_puts(&b, "MIME-Version: 1.0\r\n");
	if (m->in_reply_to && check_message_id(m->in_reply_to) == 0) {
		put_token_header(&b, "In-Reply-To", m->in_reply_to);
		put_token_header(&b, "References", m->in_reply_to);
	}
	buf_puts(&b, m->auto_replied ? "Auto-Submitted: auto-replied\r\n"
				     : "Auto-Submitted: auto-generated\r\n");
	if (list_id) {
		buf_printf(&b, "List-Id: %s\r\n", list_id);
		free(list_id);
	}
	if (!m->html) {
		put_base64_part(&b, "text/plain", m->text);
	} else {
		/* "=_" never occurs in base64 ('=' is only trailing padding),
		 * and 128 random bits keep it out of anything else. */
		unsigned char rnd[16];
		char hex[sizeof rnd * 2 + 1];
		if (sodium_init() < 0)
			abort();
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
		buf_printf(&b, "Content-Type: multipart/alternative;\r\n boundary=\"=_%s\"\r\n\r\n",
			   hex);
		buf_puts(&b, "This is a multi-part message in MIME format.\r\n");
		buf_printf(&b, "\r\n--=_%s\r\n", hex);
		put_base64_part(&b, "text/plain", m->text);
		buf_printf(&b, "\r\n--=_%s\r\n", hex);
		put_base64_part(&b, "text/html", m->html);
		buf_printf(&b, "\r\n--=_%s--\r\n", hex);
	}
	return buf_detach(&b, len);
}
