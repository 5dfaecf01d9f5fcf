/* multipart/form-data bodies into fields and files (see multipart.h). The body
 * is binary and not NUL-terminated, so every scan here carries an explicit end;
 * only header values copied out of it are treated as C strings. */
#include "multipart.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "form.h"

#define DEFAULT_FILE_TYPE "application/octet-stream"
#define MAX_KEPT_EXTENSION 16 /* bytes of ".ext" kept when a long file name is cut */

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ASCII-only case folding: header and parameter names are ASCII, and the
 * locale must not change what matches. */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool ieq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* What is wrong with s[0..n) as text for a field, or NULL when nothing. */
static const char *text_problem(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode(u + i, n - i, &cp);
		if (!l)
			return "is not valid UTF-8";
		if (cp == 0)
			return "contains a NUL byte";
		i += l;
	}
	return NULL;
}

/* RFC 2046 bchars; a boundary may not end with a space. */
static bool valid_boundary(const char *s, size_t n)
{
	if (!s || n == 0 || n > MP_MAX_BOUNDARY || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alnum && (!c || !strchr("'()+_,-./:=? ", c)))
			return false;
	}
	return true;
}

/* RFC 7230 tchar: header and parameter names. */
static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The part of a header value before its parameters ("multipart/form-data",
 * "form-data"), trimmed; *rest is left at the first ';' or the end. */
static void leading_token(const char *p, const char *end, const char **tok, size_t *toklen,
			  const char **rest)
{
	p = skip_ows(p, end);
	const char *t = p;
	while (p < end && *p != ';')
		p++;
	const char *e = p;
	while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*tok = t;
	*toklen = (size_t)(e - t);
	*rest = p;
}

/* Reads the next "; name=value" from *pp. Returns 1 with the name (pointing
 * into the header value) and the unquoted value in val, 0 at the end, or -1
 * for a syntax error. In a quoted string a backslash escapes only '"' and '\',
 * because browsers send Windows paths (C:\Users\...) with bare backslashes. */
static int next_param(const char **pp, const char *end, const char **name, size_t *namelen,
		      buf *val)
{
	const char *p = skip_ows(*pp, end);
	if (p == end)
		return 0;
	if (*p != ';')
		return -1;
	p = skip_ows(p + 1, end);
	if (p == end) { /* a trailing ';' */
		*pp = p;
		return 0;
	}
	const char *n0 = p;
	while (p < end && tchar((unsigned char)*p))
		p++;
	if (p == n0)
		return -1;
	*name = n0;
	*namelen = (size_t)(p - n0);
	p = skip_ows(p, end);
	if (p == end || *p != '=')
		return -1;
	p = skip_ows(p + 1, end);
	buf_reset(val);
	buf_grow(val, 0); /* so val->data is never NULL, even for "" */
	if (p < end && *p == '"') {
		p++;
		for (;;) {
			if (p == end)
				return -1;
			if (*p == '"')
				break;
			if (*p == '\\' && end - p > 1 && (p[1] == '"' || p[1] == '\\'))
				p++;
			buf_putc(val, *p++);
		}
		p++;
	} else {
		const char *v0 = p;
		while (p < end && *p != ';' && *p != ' ' && *p != '\t' && *p != '"')
			p++;
		if (p == v0)
			return -1;
		buf_append(val, v0, (size_t)(p - v0));
	}
	*pp = p;
	return 1;
}

char *mp_boundary(const char *content_type)
{
	if (!content_type)
		return NULL;
	const char *end = content_type + strlen(content_type), *tok, *p, *name;
	size_t toklen, namelen;
	leading_token(content_type, end, &tok, &toklen, &p);
	if (!ieq(tok, toklen, "multipart/form-data"))
		return NULL;
	buf val = BUF_INIT;
	char *res = NULL;
	bool bad = false;
	int r;
	while ((r = next_param(&p, end, &name, &namelen, &val)) > 0) {
		if (!ieq(name, namelen, "boundary"))
			continue;
		/* Two boundaries would let a proxy and us split the body differently. */
		if (res || !valid_boundary(val.data, val.len)) {
			bad = true;
			break;
		}
		res = xstrndup(val.data, val.len);
	}
	buf_release(&val);
	if (bad || r < 0) {
		free(res);
		return NULL;
	}
	return res;
}

/* ---- the body ---- */

enum tail { TAIL_NONE, TAIL_NEXT, TAIL_CLOSE };

struct scan {
	const char *body;
	size_t len;
	char delim[4 + MP_MAX_BOUNDARY]; /* CRLF "--" boundary */
	size_t dlen;
	char *err;
	size_t errlen;
	json_t *invalid; /* mp_parse_marking's: names of values not UTF-8, or NULL */
};

/* What follows a "--boundary" ending at body[at]: "--" closes the body; spaces
 * or tabs then CRLF start a part, at *next; anything else means the line is
 * not a delimiter at all. */
static enum tail delim_tail(const struct scan *s, size_t at, size_t *next)
{
	const char *b = s->body;
	if (s->len - at >= 2 && b[at] == '-' && b[at + 1] == '-') {
		*next = at + 2;
		return TAIL_CLOSE;
	}
	while (at < s->len && (b[at] == ' ' || b[at] == '\t'))
		at++;
	if (s->len - at >= 2 && b[at] == '\r' && b[at + 1] == '\n') {
		*next = at + 2;
		return TAIL_NEXT;
	}
	return TAIL_NONE;
}

/* Finds the next delimiter (CRLF "--" boundary with a proper tail) at or after
 * from; returns its offset or SIZE_MAX. Lines that merely start with the
 * boundary are skipped as data. */
static size_t find_delim(const struct scan *s, size_t from, enum tail *kind, size_t *next)
{
	while (from < s->len) {
		const char *hit = memmem(s->body + from, s->len - from, s->delim, s->dlen);
		if (!hit)
			break;
		size_t at = (size_t)(hit - s->body);
		*kind = delim_tail(s, at + s->dlen, next);
		if (*kind != TAIL_NONE)
			return at;
		from = at + 1;
	}
	return SIZE_MAX;
}

struct headers {
	char *disposition, *type, *encoding; /* values, NULL when absent */
};

static void headers_release(struct headers *h)
{
	free(h->disposition);
	free(h->type);
	free(h->encoding);
}

/* One unfolded header line "Name: value". */
static int header_line(struct headers *h, const char *line, size_t n, size_t part, char *err,
		       size_t errlen)
{
	const char *end = line + n, *p = line;
	while (p < end && tchar((unsigned char)*p))
		p++;
	if (p == line || p == end || *p != ':') {
		fail(err, errlen, "part %zu: malformed header line", part);
		return -1;
	}
	size_t namelen = (size_t)(p - line);
	const char *v = skip_ows(p + 1, end), *ve = end;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	char **slot = NULL;
	const char *label = NULL;
	if (ieq(line, namelen, "content-disposition")) {
		slot = &h->disposition;
		label = "Content-Disposition";
	} else if (ieq(line, namelen, "content-type")) {
		slot = &h->type;
		label = "Content-Type";
	} else if (ieq(line, namelen, "content-transfer-encoding")) {
		slot = &h->encoding;
		label = "Content-Transfer-Encoding";
	}
	if (!slot)
		return 0;
	if (*slot) {
		fail(err, errlen, "part %zu: the %s header is repeated", part, label);
		return -1;
	}
	*slot = xstrndup(v, (size_t)(ve - v));
	return 0;
}

/* Reads the header block starting at *pos through its empty line, leaving
 * *pos at the part's data. Folded lines (leading space or tab, RFC 5322) are
 * joined to the header they continue. */
static int read_headers(const struct scan *s, size_t *pos, size_t part, struct headers *h)
{
	size_t start = *pos, p = start;
	size_t limit = s->len - start > MP_MAX_HEADER_BYTES ? start + MP_MAX_HEADER_BYTES : s->len;
	buf line = BUF_INIT;
	bool have = false; /* line holds a header not yet handled */
	int rc = -1;
	for (;;) {
		const char *nl = memmem(s->body + p, limit - p, "\r\n", 2);
		if (!nl) {
			if (limit < s->len)
				fail(s->err, s->errlen, "part %zu: the headers are larger than %d bytes",
				     part, MP_MAX_HEADER_BYTES);
			else
				fail(s->err, s->errlen, "part %zu: the body ends inside the part headers",
				     part);
			goto out;
		}
		size_t e = (size_t)(nl - s->body);
		if (memchr(s->body + p, '\0', e - p)) {
			fail(s->err, s->errlen, "part %zu: the headers contain a NUL byte", part);
			goto out;
		}
		bool folded = e > p && (s->body[p] == ' ' || s->body[p] == '\t');
		if (folded && !have) {
			fail(s->err, s->errlen, "part %zu: malformed header line", part);
			goto out;
		}
		if (folded) {
			buf_append(&line, s->body + p, e - p);
			p = e + 2;
			continue;
		}
		if (have && header_line(h, line.data, line.len, part, s->err, s->errlen) < 0)
			goto out;
		have = false;
		buf_reset(&line);
		if (e == p) { /* the empty line */
			*pos = e + 2;
			rc = 0;
			goto out;
		}
		buf_append(&line, s->body + p, e - p);
		have = true;
		p = e + 2;
	}
out:
	buf_release(&line);
	return rc;
}

struct disposition {
	char *name;
	char *filename; /* NULL when the part is not a file */
};

/* Decodes an RFC 5987 ext-value (charset'language'%XX...) into out as UTF-8.
 * Returns 0, -1 when malformed, or -2 for a charset other than UTF-8 and
 * ISO-8859-1 (the only two RFC 5987 requires). */
static int decode_ext_value(const char *s, size_t n, buf *out)
{
	const char *end = s + n;
	const char *q1 = memchr(s, '\'', n);
	if (!q1)
		return -1;
	const char *q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
	if (!q2)
		return -1;
	bool latin1;
	if (ieq(s, (size_t)(q1 - s), "UTF-8"))
		latin1 = false;
	else if (ieq(s, (size_t)(q1 - s), "ISO-8859-1"))
		latin1 = true;
	else
		return -2;
	buf_reset(out);
	buf_grow(out, 0);
	for (const char *p = q2 + 1; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			int hi = end - p >= 3 ? hexval((unsigned char)p[1]) : -1;
			int lo = end - p >= 3 ? hexval((unsigned char)p[2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			p += 2;
		}
		if (latin1 && c >= 0x80) {
			buf_putc(out, (char)(0xc0 | c >> 6));
			buf_putc(out, (char)(0x80 | (c & 0x3f)));
		} else {
			buf_putc(out, (char)c);
		}
	}
	return 0;
}

/* Parses a Content-Disposition value into d; on failure the caller still
 * frees whatever d holds. */
static int parse_disposition(const char *v, size_t part, struct disposition *d, char *err,
			     size_t errlen)
{
	const char *end = v + strlen(v), *tok, *p, *name, *problem;
	size_t toklen, namelen;
	leading_token(v, end, &tok, &toklen, &p);
	if (!ieq(tok, toklen, "form-data")) {
		fail(err, errlen, "part %zu: the Content-Disposition is not form-data", part);
		return -1;
	}
	buf val = BUF_INIT, ext = BUF_INIT;
	char *plain = NULL;
	bool has_ext = false;
	int r, rc = -1;
	while ((r = next_param(&p, end, &name, &namelen, &val)) > 0) {
		char **slot;
		const char *label;
		if (ieq(name, namelen, "name")) {
			slot = &d->name;
			label = "name";
		} else if (ieq(name, namelen, "filename")) {
			slot = &plain;
			label = "filename";
		} else if (ieq(name, namelen, "filename*")) {
			if (has_ext) {
				fail(err, errlen, "part %zu: the Content-Disposition repeats filename*",
				     part);
				goto out;
			}
			int x = decode_ext_value(val.data, val.len, &ext);
			if (x == -2) {
				fail(err, errlen,
				     "part %zu: the filename* charset is not supported (only UTF-8 and "
				     "ISO-8859-1)",
				     part);
				goto out;
			}
			if (x < 0) {
				fail(err, errlen, "part %zu: malformed filename*", part);
				goto out;
			}
			has_ext = true;
			continue;
		} else {
			continue; /* RFC 7578: other parameters are ignored */
		}
		if (*slot) {
			fail(err, errlen, "part %zu: the Content-Disposition repeats %s", part, label);
			goto out;
		}
		*slot = xstrndup(val.data, val.len);
	}
	if (r < 0) {
		fail(err, errlen, "part %zu: malformed Content-Disposition header", part);
		goto out;
	}
	if (!d->name) {
		fail(err, errlen, "part %zu: the Content-Disposition has no name", part);
		goto out;
	}
	if (!d->name[0]) {
		fail(err, errlen, "part %zu: the field name is empty", part);
		goto out;
	}
	if ((problem = text_problem(d->name, strlen(d->name)))) {
		fail(err, errlen, "part %zu: the field name %s", part, problem);
		goto out;
	}
	/* RFC 6266: filename* wins, filename is only the fallback for old senders. */
	if (has_ext) {
		if ((problem = text_problem(ext.data, ext.len))) {
			fail(err, errlen, "part %zu: the file name %s", part, problem);
			goto out;
		}
		d->filename = xstrndup(ext.data, ext.len);
	} else if (plain) {
		if ((problem = text_problem(plain, strlen(plain)))) {
			fail(err, errlen, "part %zu: the file name %s", part, problem);
			goto out;
		}
		d->filename = plain;
		plain = NULL;
	}
	rc = 0;
out:
	free(plain);
	buf_release(&val);
	buf_release(&ext);
	return rc;
}

/* Media types are printable ASCII (0x20-0x7e), as multipart.h promises;
 * anything else in Content-Type, a TAB included, is junk to keep out of the
 * database and of response headers (no browser sends one there). */
static bool printable_ascii(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

/* Adds key=value to fields (form_add_value). key and value are valid UTF-8
 * without NUL bytes already. */
static int add_field(json_t *fields, const char *key, const char *v, size_t vl)
{
	json_t *js = json_stringn(v, vl);
	if (!js)
		return -1;
	form_add_value(fields, key, js);
	return 0;
}

static void add_file(struct mp_result *out, struct disposition *d, struct headers *h,
		     const char *data, size_t len)
{
	size_t n = out->nfiles;
	if ((n & (n - 1)) == 0) /* 0, 1, 2, 4, ...: double the room */
		out->files = xrealloc(out->files, (n ? 2 * n : 1) * sizeof *out->files);
	struct mp_file *f = &out->files[out->nfiles++];
	f->field = d->name;
	f->filename = d->filename;
	d->name = d->filename = NULL;
	if (h->type && h->type[0]) {
		f->content_type = h->type;
		h->type = NULL;
	} else {
		f->content_type = xstrdup(DEFAULT_FILE_TYPE);
	}
	f->data = data;
	f->len = len;
}

/* Parses the part whose headers start at *pos; on success leaves *pos after
 * the delimiter that ends it and *kind saying whether another part follows. */
static int handle_part(const struct scan *s, size_t *pos, size_t part, size_t max_field,
		       struct mp_result *out, enum tail *kind)
{
	struct headers h = {NULL, NULL, NULL};
	struct disposition d = {NULL, NULL};
	const char *problem;
	size_t p = *pos, next = 0;
	int rc = -1;
	if (read_headers(s, &p, part, &h) < 0)
		goto out;
	if (!h.disposition) {
		fail(s->err, s->errlen, "part %zu has no Content-Disposition header", part);
		goto out;
	}
	if (parse_disposition(h.disposition, part, &d, s->err, s->errlen) < 0)
		goto out;
	/* Data is handed out in place, so it cannot be decoded; RFC 7578 4.7 says
	 * senders must not use other encodings anyway. */
	if (h.encoding && !ieq(h.encoding, strlen(h.encoding), "binary") &&
	    !ieq(h.encoding, strlen(h.encoding), "8bit") && !ieq(h.encoding, strlen(h.encoding), "7bit")) {
		fail(s->err, s->errlen,
		     "part %zu: the Content-Transfer-Encoding is not supported (only binary, 8bit "
		     "or 7bit)",
		     part);
		goto out;
	}
	if (h.type && !printable_ascii(h.type)) {
		fail(s->err, s->errlen, "part %zu: the Content-Type is not printable ASCII", part);
		goto out;
	}
	/* The search starts at the CRLF of the empty line: in "...\r\n\r\n--b" the
	 * part has no data and that CRLF belongs to the delimiter (RFC 2046). */
	size_t at = find_delim(s, p - 2, kind, &next);
	if (at == SIZE_MAX) {
		fail(s->err, s->errlen, "part %zu: the body ends before the closing boundary", part);
		goto out;
	}
	const char *data = s->body + p;
	size_t len = at > p ? at - p : 0;
	if (d.filename) {
		/* An empty file input still sends a part; it is not an upload. */
		if (d.filename[0] || len)
			add_file(out, &d, &h, data, len);
	} else {
		if (len > max_field) {
			fail(s->err, s->errlen, "part %zu: the value is larger than %zu bytes", part,
			     max_field);
			goto out;
		}
		char *mended = NULL;
		if ((problem = text_problem(data, len))) {
			/* A NUL byte is never typed; bytes that are not UTF-8 may be
			 * (pasted from a file in Shift_JIS): keep them mended and let
			 * the page name the field. */
			if (!s->invalid || memchr(data, '\0', len)) {
				fail(s->err, s->errlen, "part %zu: the value %s", part, problem);
				goto out;
			}
			mended = utf8_mend(data, len, &len);
			data = mended;
			json_object_set_new(s->invalid, d.name, json_true());
		}
		int added = add_field(out->fields, d.name, data, len);
		free(mended);
		if (added < 0) {
			fail(s->err, s->errlen, "part %zu: the value is not valid text", part);
			goto out;
		}
	}
	*pos = next;
	rc = 0;
out:
	headers_release(&h);
	free(d.name);
	free(d.filename);
	return rc;
}

int mp_parse(const char *body, size_t len, const char *boundary, size_t max_parts, size_t max_field,
	     struct mp_result *out, char *err, size_t errlen)
{
	return mp_parse_marking(body, len, boundary, max_parts, max_field, out, NULL, err, errlen);
}

int mp_parse_marking(const char *body, size_t len, const char *boundary, size_t max_parts,
		     size_t max_field, struct mp_result *out, json_t *invalid, char *err,
		     size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		fail(err, errlen, "no result given");
		return -1;
	}
	out->fields = json_object();
	out->files = NULL;
	out->nfiles = 0;
	if (!body)
		len = 0;
	struct scan s;
	memset(&s, 0, sizeof s);
	s.body = body;
	s.len = len;
	s.err = err;
	s.errlen = errlen;
	s.invalid = invalid;
	size_t blen = boundary ? strnlen(boundary, MP_MAX_BOUNDARY + 1) : 0;
	if (!valid_boundary(boundary, blen)) {
		fail(err, errlen, "the multipart boundary is missing or invalid");
		goto bad;
	}
	memcpy(s.delim, "\r\n--", 4);
	memcpy(s.delim + 4, boundary, blen);
	s.dlen = 4 + blen;

	enum tail kind = TAIL_NONE;
	size_t pos = 0;
	/* Without a preamble the body opens with "--boundary", no CRLF before it. */
	if (len >= s.dlen - 2 && memcmp(body, s.delim + 2, s.dlen - 2) == 0)
		kind = delim_tail(&s, s.dlen - 2, &pos);
	if (kind == TAIL_NONE && find_delim(&s, 0, &kind, &pos) == SIZE_MAX) {
		fail(err, errlen, "the body has no boundary line (lines must end with CRLF)");
		goto bad;
	}
	for (size_t part = 1; kind == TAIL_NEXT; part++) {
		if (part > max_parts) {
			fail(err, errlen, "the form has more than %zu parts", max_parts);
			goto bad;
		}
		if (handle_part(&s, &pos, part, max_field, out, &kind) < 0)
			goto bad;
	}
	return 0;
bad:
	mp_result_release(out);
	return -1;
}

void mp_result_release(struct mp_result *r)
{
	if (!r)
		return;
	json_decref(r->fields);
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].field);
		free(r->files[i].filename);
		free(r->files[i].content_type);
	}
	free(r->files);
	r->fields = NULL;
	r->files = NULL;
	r->nfiles = 0;
}

/* ---- file names ---- */

/* Characters dropped from file names: controls (C0, DEL, C1) and quotes break
 * headers, logs and shell use; bidirectional overrides make "gpj.exe" look
 * like "exe.jpg"; line separators and the BOM are invisible line breaks. */
static bool dropped_char(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '"' || c == '\'' || c == '`' ||
	       c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

char *mp_safe_filename(const char *name)
{
	if (!name)
		name = "";
	/* Only the last path component: browsers send base names, but old ones and
	 * scripts send "C:\Users\x\a.txt" or "../../etc/passwd". */
	const char *base = name;
	for (const char *q = name; *q; q++)
		if (*q == '/' || *q == '\\')
			base = q + 1;
	const unsigned char *u = (const unsigned char *)base;
	size_t n = strlen(base);
	buf b = BUF_INIT;
	buf_grow(&b, n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode(u + i, n - i, &cp);
		if (!l) { /* an invalid byte is dropped, so the result is valid UTF-8 */
			i++;
			continue;
		}
		if (!dropped_char(cp))
			buf_append(&b, u + i, l);
		i += l;
	}
	/* A leading dot hides the file or makes it ".htaccess"; spaces around it
	 * would hide the dot from this check. */
	size_t skip = 0;
	while (skip < b.len && (b.data[skip] == '.' || b.data[skip] == ' '))
		skip++;
	memmove(b.data, b.data + skip, b.len - skip + 1);
	b.len -= skip;
	if (b.len > MP_MAX_FILENAME) {
		/* Keep a short extension so the stored file still opens as what it is. */
		char *dot = strrchr(b.data, '.');
		size_t ext = dot ? b.len - (size_t)(dot - b.data) : 0;
		if (ext > MAX_KEPT_EXTENSION)
			ext = 0;
		size_t cut = MP_MAX_FILENAME - ext;
		while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
			cut--;
		memmove(b.data + cut, b.data + b.len - ext, ext);
		b.len = cut + ext;
		b.data[b.len] = '\0';
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		buf_release(&b);
		return xstrdup("file");
	}
	size_t len;
	return buf_detach(&b, &len);
}
