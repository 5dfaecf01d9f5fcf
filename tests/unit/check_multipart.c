/* multipart/form-data: a browser-like report form with evidence files, each
 * malformed body refused with a message, safe file names, and a randomized
 * loop of mutated bodies that must never crash, over-read or leak. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "http/multipart.h"

Suite *multipart_suite(void);

#define BND "----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define DASH "--" BND "\r\n"
#define CD "Content-Disposition: form-data; "
#define CLOSE "--" BND "--\r\n"

/* The body in a heap block of exactly its length, so AddressSanitizer sees
 * any read past the end (a string literal would hide it behind its NUL). */
static char *exact(const void *p, size_t n)
{
	char *b = xmalloc(n);
	if (n)
		memcpy(b, p, n);
	return b;
}

/* A PNG-like header, then every byte value, then lines that look like the
 * boundary but are not delimiters. */
static void binary_evidence(buf *b)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\r\n\r\n";
	buf_append(b, png, sizeof png - 1);
	for (int i = 0; i < 256; i++)
		buf_putc(b, (char)i);
	buf_puts(b, "--" BND "\r\n");                   /* no CRLF before it */
	buf_puts(b, "\r\n--" BND "-\r\n");              /* one dash only */
	buf_puts(b, "\r\n-" BND "\r\n");                /* one leading dash */
	buf_puts(b, "\r\n------WebKitFormBoundary7MA4\r\n"); /* a prefix of the boundary */
	buf_puts(b, "\n--" BND "\r\n\r--" BND "--\r\n"); /* bare LF, bare CR */
	buf_append(b, "\0\r\n\0", 4);
}

static void browser_body(buf *b, buf *bin)
{
	binary_evidence(bin);
	buf_puts(b, DASH CD "name=\"title\"\r\n\r\n不正アクセスの報告\r\n");
	buf_puts(b, DASH CD "name=\"description\"\r\n\r\n昨夜、職員のPCから\r\n不審な通信がありました。\r\n");
	buf_puts(b, DASH CD "name=\"systems\"\r\n\r\nmail\r\n");
	buf_puts(b, DASH CD "name=\"systems\"\r\n\r\nweb\r\n");
	buf_puts(b, DASH CD "name=\"systems\"\r\n\r\nvpn\r\n");
	buf_puts(b, DASH CD "name=\"evidence\"; filename=\"screenshot.png\"\r\n"
		    "Content-Type: image/png\r\n\r\n");
	buf_append(b, bin->data, bin->len);
	buf_puts(b, "\r\n" DASH CD "name=\"evidence\"; filename=\"受信メール.eml\"\r\n\r\n"
		    "Received: from mx.example.jp\r\nSubject: =?UTF-8?B?6KuL5rGC5pu4?=\r\n\r\n本文\r\n");
	buf_puts(b, DASH CD "name=\"extra\"; filename=\"\"\r\n"
		    "Content-Type: application/octet-stream\r\n\r\n\r\n");
	buf_puts(b, DASH CD "name=\"anonymous\"\r\n\r\n\r\n");
	buf_puts(b, CLOSE);
}

START_TEST(test_browser_form)
{
	buf src = BUF_INIT, bin = BUF_INIT;
	browser_body(&src, &bin);
	char *body = exact(src.data, src.len), err[256];
	struct mp_result r;
	ck_assert_int_eq(mp_parse(body, src.len, BND, 100, 65536, &r, err, sizeof err), 0);
	ck_assert_str_eq(err, "");

	ck_assert_uint_eq(json_object_size(r.fields), 4);
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "title")), "不正アクセスの報告");
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "description")),
			 "昨夜、職員のPCから\r\n不審な通信がありました。");
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "anonymous")), "");
	json_t *sys = json_object_get(r.fields, "systems");
	ck_assert(json_is_array(sys));
	ck_assert_uint_eq(json_array_size(sys), 3);
	ck_assert_str_eq(json_string_value(json_array_get(sys, 0)), "mail");
	ck_assert_str_eq(json_string_value(json_array_get(sys, 1)), "web");
	ck_assert_str_eq(json_string_value(json_array_get(sys, 2)), "vpn");

	ck_assert_uint_eq(r.nfiles, 2); /* the empty "extra" input is skipped */
	ck_assert_str_eq(r.files[0].field, "evidence");
	ck_assert_str_eq(r.files[0].filename, "screenshot.png");
	ck_assert_str_eq(r.files[0].content_type, "image/png");
	ck_assert_uint_eq(r.files[0].len, bin.len);
	ck_assert_int_eq(memcmp(r.files[0].data, bin.data, bin.len), 0);
	ck_assert(r.files[0].data > body && r.files[0].data < body + src.len);
	ck_assert_str_eq(r.files[1].field, "evidence");
	ck_assert_str_eq(r.files[1].filename, "受信メール.eml");
	ck_assert_str_eq(r.files[1].content_type, "application/octet-stream");
	const char *mail = "Received: from mx.example.jp\r\nSubject: =?UTF-8?B?6KuL5rGC5pu4?=\r\n\r\n本文";
	ck_assert_uint_eq(r.files[1].len, strlen(mail));
	ck_assert_int_eq(memcmp(r.files[1].data, mail, strlen(mail)), 0);

	mp_result_release(&r);
	mp_result_release(&r); /* harmless twice */
	ck_assert_ptr_null(r.fields);
	free(body);
	buf_release(&src);
	buf_release(&bin);
}
END_TEST

/* Parses a NUL-free literal body; returns the result code. */
static int parse_str(const char *s, const char *boundary, struct mp_result *r, char *err,
		     size_t errlen, char **keep)
{
	*keep = exact(s, strlen(s));
	return mp_parse(*keep, strlen(s), boundary, 100, 65536, r, err, errlen);
}

START_TEST(test_rfc_edges)
{
	struct mp_result r;
	char err[256], *body;
	/* preamble, transport padding, epilogue, no CRLF after the close */
	ck_assert_int_eq(parse_str("This is the preamble.\r\n--b \t\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
				   "--b\r\n" CD "name=\"b\"\r\n\r\n2\r\n--b-- \r\nepilogue --b\r\n",
				   "b", &r, err, sizeof err, &body),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "a")), "1");
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "b")), "2");
	mp_result_release(&r);
	free(body);

	ck_assert_int_eq(parse_str("--b\r\n" CD "name=\"a\"\r\n\r\nx\r\n--b--", "b", &r, err, sizeof err,
				   &body),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "a")), "x");
	mp_result_release(&r);
	free(body);

	/* an empty form */
	ck_assert_int_eq(parse_str("--b--\r\n", "b", &r, err, sizeof err, &body), 0);
	ck_assert_uint_eq(json_object_size(r.fields), 0);
	ck_assert_uint_eq(r.nfiles, 0);
	mp_result_release(&r);
	free(body);

	/* header names in any case, a folded header, unknown headers and parameters,
	 * an unquoted name, a part with no data section at all */
	ck_assert_int_eq(parse_str("--b\r\nCONTENT-DISPOSITION: Form-Data;\r\n\tNAME=first; x-y=\"z\"\r\n"
				   "X-Other: 1\r\ncontent-type: text/plain; charset=UTF-8\r\n\r\nv\r\n"
				   "--b\r\n" CD "name=\"empty\"\r\n\r\n--b--\r\n",
				   "b", &r, err, sizeof err, &body),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "first")), "v");
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "empty")), "");
	mp_result_release(&r);
	free(body);

	/* a line that merely starts with the boundary is data (RFC 2046 forbids
	 * senders to produce it, so it cannot be a delimiter) */
	ck_assert_int_eq(parse_str("--b\r\n" CD "name=\"f\"; filename=\"a.bin\"\r\n\r\nx\r\n--bb\r\ny\r\n--b--",
				   "b", &r, err, sizeof err, &body),
			 0);
	ck_assert_uint_eq(r.nfiles, 1);
	ck_assert_uint_eq(r.files[0].len, 10);
	ck_assert_int_eq(memcmp(r.files[0].data, "x\r\n--bb\r\ny", 10), 0);
	mp_result_release(&r);
	free(body);

	/* a file that is really empty is kept; only filename="" with no data is skipped */
	ck_assert_int_eq(parse_str("--b\r\n" CD "name=\"f\"; filename=\"empty.log\"\r\n\r\n\r\n--b--",
				   "b", &r, err, sizeof err, &body),
			 0);
	ck_assert_uint_eq(r.nfiles, 1);
	ck_assert_uint_eq(r.files[0].len, 0);
	mp_result_release(&r);
	free(body);

	/* max_field is inclusive, max_parts counts parts */
	const char *four = "--b\r\n" CD "name=\"a\"\r\n\r\n1234\r\n--b--";
	body = exact(four, strlen(four));
	ck_assert_int_eq(mp_parse(body, strlen(four), "b", 1, 4, &r, err, sizeof err), 0);
	mp_result_release(&r);
	ck_assert_int_eq(mp_parse(body, strlen(four), "b", 0, 4, &r, err, sizeof err), -1);
	ck_assert_int_eq(mp_parse(body, strlen(four), "b", 1, 3, &r, err, sizeof err), -1);
	free(body);
}
END_TEST

START_TEST(test_boundary_header)
{
	static const struct {
		const char *ct, *want;
	} cases[] = {
		{"multipart/form-data; boundary=" BND, BND},
		{"Multipart/Form-Data; BOUNDARY=abc", "abc"},
		{"multipart/form-data;boundary=abc;charset=utf-8", "abc"},
		{"multipart/form-data; charset=utf-8; Boundary = \"a b:c'()+_,-./=?\" ", "a b:c'()+_,-./=?"},
		{"multipart/form-data; boundary=\"x\\\"y\"", NULL}, /* '"' is not a bchar */
		{"multipart/form-data; boundary=\"\"", NULL},
		{"multipart/form-data; boundary=\"ends in space \"", NULL},
		{"multipart/form-data; boundary=\"unterminated", NULL},
		{"multipart/form-data; boundary=a; boundary=b", NULL},
		{"multipart/form-data", NULL},
		{"multipart/form-data; charset=utf-8", NULL},
		{"multipart/mixed; boundary=abc", NULL},
		{"application/x-www-form-urlencoded", NULL},
		{"multipart/form-data; boundary=", NULL},
		{"multipart/form-data; =abc", NULL},
		{"multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789",
		 "0123456789012345678901234567890123456789012345678901234567890123456789"},
		{"multipart/form-data; boundary=01234567890123456789012345678901234567890123456789012345678901234567890",
		 NULL},
		{"", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *b = mp_boundary(cases[i].ct);
		if (cases[i].want) {
			ck_assert_msg(b && !strcmp(b, cases[i].want), "case %zu: %s", i, b ? b : "(null)");
		} else {
			ck_assert_msg(!b, "case %zu: got %s", i, b);
		}
		free(b);
	}
	ck_assert_ptr_null(mp_boundary(NULL));

	/* a quoted boundary with spaces and specials parses a body */
	char *bnd = mp_boundary("multipart/form-data; boundary=\"simple boundary:=?\"");
	ck_assert_str_eq(bnd, "simple boundary:=?");
	struct mp_result r;
	char err[256], *body;
	ck_assert_int_eq(parse_str("--simple boundary:=?\r\n" CD "name=\"q\"\r\n\r\n値\r\n--simple boundary:=?--\r\n",
				   bnd, &r, err, sizeof err, &body),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "q")), "値");
	mp_result_release(&r);
	free(body);
	free(bnd);

	/* a boundary argument mp_boundary would refuse */
	ck_assert_int_eq(parse_str("----\r\n", "", &r, err, sizeof err, &body), -1);
	ck_assert_ptr_nonnull(strstr(err, "boundary"));
	free(body);
	ck_assert_int_eq(mp_parse("x", 1, NULL, 10, 10, &r, err, sizeof err), -1);
	ck_assert_int_eq(mp_parse(NULL, 0, "b", 10, 10, &r, err, sizeof err), -1);
	ck_assert_ptr_null(r.fields);
}
END_TEST

START_TEST(test_filenames_in_headers)
{
	struct mp_result r;
	char err[256], *body;
	ck_assert_int_eq(
		parse_str("--b\r\n" CD "name=\"f\"; filename=\"fallback.txt\"; "
			  "filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt\r\n\r\n1\r\n"
			  "--b\r\n" CD "name=\"f\"; FILENAME*=utf-8'ja'%e9%80%9f%E5%A0%B1; filename=\"x\"\r\n\r\n2\r\n"
			  "--b\r\n" CD "name=\"f\"; filename*=ISO-8859-1'fr'%E9t%E9.txt\r\n\r\n3\r\n"
			  "--b\r\n" CD "name=\"f\"; filename=\"a\\\"b.txt\"\r\n\r\n4\r\n"
			  "--b\r\n" CD "name=\"f\"; filename=\"C:\\Users\\x\\a.txt\"\r\n\r\n5\r\n"
			  "--b\r\n" CD "name=\"f\"; filename=\"報告 (1).pdf\"\r\nContent-Type: application/pdf\r\n\r\n6\r\n"
			  "--b--\r\n",
			  "b", &r, err, sizeof err, &body),
		0);
	ck_assert_uint_eq(r.nfiles, 6);
	ck_assert_str_eq(r.files[0].filename, "報告.txt");
	ck_assert_str_eq(r.files[1].filename, "速報");
	ck_assert_str_eq(r.files[2].filename, "été.txt");
	ck_assert_str_eq(r.files[3].filename, "a\"b.txt");
	ck_assert_str_eq(r.files[4].filename, "C:\\Users\\x\\a.txt");
	ck_assert_str_eq(r.files[5].filename, "報告 (1).pdf");
	ck_assert_str_eq(r.files[5].content_type, "application/pdf");
	for (size_t i = 0; i < 6; i++) {
		ck_assert_uint_eq(r.files[i].len, 1);
		ck_assert_int_eq(r.files[i].data[0], (char)('1' + i));
	}
	mp_result_release(&r);
	free(body);
}
END_TEST

/* A literal and its length, NUL bytes included. */
#define LIT(s) s, sizeof(s) - 1

static const struct bad_case {
	const char *label, *body;
	size_t len;
	size_t max_parts, max_field;
	const char *want; /* in the message */
} bad_cases[] = {
	{"no boundary", LIT("hello world"),
	 100, 1000, "no boundary line"},
	{"boundary only as prefix", LIT("--bb\r\n" CD "name=\"a\"\r\n\r\nv\r\n--bb--\r\n"),
	 100, 1000, "no boundary line"},
	{"LF line ends", LIT("--b\n" CD "name=\"a\"\n\nv\n--b--\n"),
	 100, 1000, "no boundary line"},
	{"never terminated", LIT("--b\r\n" CD "name=\"a\"\r\n\r\nvalue"),
	 100, 1000, "ends before the closing boundary"},
	{"terminator cut", LIT("--b\r\n" CD "name=\"a\"\r\n\r\nvalue\r\n--b"),
	 100, 1000, "ends before the closing boundary"},
	{"ends in headers", LIT("--b\r\n" CD "name=\"a"),
	 100, 1000, "ends inside the part headers"},
	{"no disposition", LIT("--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--"),
	 100, 1000, "part 1 has no Content-Disposition"},
	{"no headers", LIT("--b\r\n" CD "name=\"a\"\r\n\r\nv\r\n--b\r\n\r\nv\r\n--b--"),
	 100, 1000, "part 2 has no Content-Disposition"},
	{"attachment", LIT("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "not form-data"},
	{"no name", LIT("--b\r\n" CD "filename=\"a.txt\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "has no name"},
	{"empty name", LIT("--b\r\n" CD "name=\"\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "field name is empty"},
	{"value not UTF-8", LIT("--b\r\n" CD "name=\"a\"\r\n\r\n\x82\xa0\r\n--b--"),
	 100, 1000, "part 1: the value is not valid UTF-8"},
	{"value overlong", LIT("--b\r\n" CD "name=\"a\"\r\n\r\n\xc0\xaf\r\n--b--"),
	 100, 1000, "value is not valid UTF-8"},
	{"value surrogate", LIT("--b\r\n" CD "name=\"a\"\r\n\r\n\xed\xa0\x80\r\n--b--"),
	 100, 1000, "value is not valid UTF-8"},
	{"value cut character", LIT("--b\r\n" CD "name=\"a\"\r\n\r\n\xe5\xa0\r\n--b--"),
	 100, 1000, "value is not valid UTF-8"},
	{"value NUL", LIT("--b\r\n" CD "name=\"a\"\r\n\r\na\0b\r\n--b--"),
	 100, 1000, "value contains a NUL byte"},
	{"name not UTF-8", LIT("--b\r\n" CD "name=\"\xc3\x28\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "field name is not valid UTF-8"},
	{"filename not UTF-8", LIT("--b\r\n" CD "name=\"f\"; filename=\"\x95\xf1\x8d\x90.txt\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "file name is not valid UTF-8"},
	{"filename* NUL", LIT("--b\r\n" CD "name=\"f\"; filename*=UTF-8''a%00b\r\n\r\nv\r\n--b--"),
	 100, 1000, "file name contains a NUL byte"},
	{"filename* not UTF-8", LIT("--b\r\n" CD "name=\"f\"; filename*=UTF-8''%95%F1\r\n\r\nv\r\n--b--"),
	 100, 1000, "file name is not valid UTF-8"},
	{"filename* charset", LIT("--b\r\n" CD "name=\"f\"; filename*=Shift_JIS''%95%F1\r\n\r\nv\r\n--b--"),
	 100, 1000, "charset is not supported"},
	{"filename* escape", LIT("--b\r\n" CD "name=\"f\"; filename*=UTF-8''%E5%A\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed filename*"},
	{"filename* quotes", LIT("--b\r\n" CD "name=\"f\"; filename*=UTF-8%E5\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed filename*"},
	{"filename* one quote", LIT("--b\r\n" CD "name=\"f\"; filename*=UTF-8'a.txt\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed filename*"},
	{"filename* twice",
	 LIT("--b\r\n" CD "name=\"f\"; filename*=UTF-8''a; filename*=UTF-8''b\r\n\r\nv\r\n--b--"),
	 100, 1000, "repeats filename*"},
	{"NUL in headers", LIT("--b\r\n" CD "name=\"a\0\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "headers contain a NUL byte"},
	{"too many parts", LIT("--b\r\n" CD "name=\"a\"\r\n\r\n1\r\n--b\r\n" CD "name=\"a\"\r\n\r\n2\r\n--b\r\n" CD
	 "name=\"a\"\r\n\r\n3\r\n--b--"),
	 2, 1000, "more than 2 parts"},
	{"field too large", LIT("--b\r\n" CD "name=\"a\"\r\n\r\n12345\r\n--b--"),
	 100, 4, "part 1: the value is larger than 4 bytes"},
	{"repeated disposition", LIT("--b\r\n" CD "name=\"a\"\r\n" CD "name=\"b\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "Content-Disposition header is repeated"},
	{"repeated name", LIT("--b\r\n" CD "name=\"a\"; name=\"b\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "repeats name"},
	{"repeated filename", LIT("--b\r\n" CD "name=\"a\"; filename=a; filename=b\r\n\r\nv\r\n--b--"),
	 100, 1000, "repeats filename"},
	{"unterminated quote", LIT("--b\r\n" CD "name=\"a\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed Content-Disposition"},
	{"junk after quote", LIT("--b\r\n" CD "name=\"a\"x\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed Content-Disposition"},
	{"header without colon", LIT("--b\r\n" CD "name=\"a\"\r\nJunk\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed header line"},
	{"fold first", LIT("--b\r\n continued\r\n" CD "name=\"a\"\r\n\r\nv\r\n--b--"),
	 100, 1000, "malformed header line"},
	{"base64", LIT("--b\r\n" CD "name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\ndg==\r\n--b--"),
	 100, 1000, "Content-Transfer-Encoding is not supported"},
	{"type not ASCII", LIT("--b\r\n" CD "name=\"f\"; filename=\"a\"\r\nContent-Type: 画像/png\r\n\r\nv\r\n--b--"),
	 100, 1000, "Content-Type is not printable ASCII"},
	{"type with TAB", LIT("--b\r\n" CD "name=\"f\"; filename=\"a\"\r\nContent-Type: text/plain;\tcharset=utf-8\r\n\r\nv\r\n--b--"),
	 100, 1000, "Content-Type is not printable ASCII"},
	{"type with DEL", LIT("--b\r\n" CD "name=\"f\"; filename=\"a\"\r\nContent-Type: text/pl\x7f" "ain\r\n\r\nv\r\n--b--"),
	 100, 1000, "Content-Type is not printable ASCII"},
};

START_TEST(test_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	size_t len = c->len;
	char *body = exact(c->body, len), err[256];
	struct mp_result r;
	memset(&r, 0x5a, sizeof r); /* mp_parse must initialise it */
	int rc = mp_parse(body, len, "b", c->max_parts, c->max_field, &r, err, sizeof err);
	ck_assert_msg(rc == -1, "%s: accepted", c->label);
	ck_assert_msg(strstr(err, c->want), "%s: message \"%s\", wanted \"%s\"", c->label, err, c->want);
	ck_assert_ptr_null(r.fields);
	ck_assert_ptr_null(r.files);
	ck_assert_uint_eq(r.nfiles, 0);
	mp_result_release(&r);
	/* the message is cut to fit, and err may be absent */
	char small[8];
	ck_assert_int_eq(mp_parse(body, len, "b", c->max_parts, c->max_field, &r, small, sizeof small), -1);
	ck_assert_uint_eq(strlen(small), 7);
	ck_assert_int_eq(mp_parse(body, len, "b", c->max_parts, c->max_field, &r, NULL, 0), -1);
	free(body);
}
END_TEST

/* mp_parse_marking: a value that is not UTF-8 is kept mended and named; a
 * NUL byte, a field name or a file name that is not UTF-8 are still refused. */
START_TEST(test_marking)
{
	static const char ok[] = DASH CD "name=\"a\"\r\n\r\n様\r\n" DASH CD "name=\"b\"\r\n\r\n\x82\xa0x\r\n" DASH
		CD "name=\"b\"\r\n\r\nv\r\n" CLOSE;
	char *body = exact(ok, sizeof ok - 1), err[256];
	struct mp_result r;
	ck_assert_int_eq(mp_parse(body, sizeof ok - 1, BND, 100, 1000, &r, err, sizeof err), -1);
	json_t *invalid = json_object();
	ck_assert_int_eq(mp_parse_marking(body, sizeof ok - 1, BND, 100, 1000, &r, invalid, err,
					  sizeof err),
			 0);
	ck_assert_uint_eq(json_object_size(invalid), 1);
	ck_assert(json_is_true(json_object_get(invalid, "b")));
	ck_assert_str_eq(json_string_value(json_object_get(r.fields, "a")), "様");
	json_t *b = json_object_get(r.fields, "b");
	ck_assert_str_eq(json_string_value(json_array_get(b, 0)), "\xef\xbf\xbd\xef\xbf\xbdx");
	ck_assert_str_eq(json_string_value(json_array_get(b, 1)), "v");
	mp_result_release(&r);
	json_decref(invalid);
	free(body);
	static const struct {
		const char *body;
		size_t len;
		const char *want;
	} still_bad[] = {
		{LIT(DASH CD "name=\"a\"\r\n\r\n\x82\0\r\n" CLOSE), "part 1: the value"},
		{LIT(DASH CD "name=\"\xc3\x28\"\r\n\r\nv\r\n" CLOSE), "field name is not valid UTF-8"},
		{LIT(DASH CD "name=\"f\"; filename=\"\x95\xf1.txt\"\r\n\r\nv\r\n" CLOSE),
		 "file name is not valid UTF-8"},
	};
	for (size_t i = 0; i < sizeof still_bad / sizeof still_bad[0]; i++) {
		invalid = json_object();
		body = exact(still_bad[i].body, still_bad[i].len);
		ck_assert_int_eq(mp_parse_marking(body, still_bad[i].len, BND, 100, 1000, &r, invalid,
						  err, sizeof err),
				 -1);
		ck_assert_msg(strstr(err, still_bad[i].want), "%s", err);
		mp_result_release(&r);
		json_decref(invalid);
		free(body);
	}
}
END_TEST

START_TEST(test_headers_limit)
{
	buf src = BUF_INIT;
	buf_puts(&src, "--b\r\n" CD "name=\"a\"\r\nX-Padding: ");
	for (int i = 0; i < 9000; i++)
		buf_putc(&src, 'x');
	buf_puts(&src, "\r\n\r\nv\r\n--b--\r\n");
	char *body = exact(src.data, src.len), err[256];
	struct mp_result r;
	ck_assert_int_eq(mp_parse(body, src.len, "b", 10, 10, &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "headers are larger than 8192 bytes"));
	free(body);
	buf_release(&src);
}
END_TEST

/* Valid UTF-8 check for mp_safe_filename results. */
static int utf8_ok(const char *s)
{
	json_t *j = json_string(s); /* jansson validates UTF-8 */
	json_decref(j);
	return j != NULL;
}

static void check_safe(const char *name)
{
	char *s = mp_safe_filename(name);
	ck_assert_ptr_nonnull(s);
	size_t n = strlen(s);
	ck_assert(n > 0 && n <= MP_MAX_FILENAME);
	ck_assert(s[0] != '.');
	ck_assert(!strchr(s, '/') && !strchr(s, '\\') && !strchr(s, '"') && !strchr(s, '\''));
	for (size_t i = 0; i < n; i++)
		ck_assert((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
	ck_assert(utf8_ok(s));
	free(s);
}

START_TEST(test_safe_filename)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"../../etc/passwd", "passwd"},
		{"C:\\Users\\x\\報告.txt", "報告.txt"},
		{".htaccess", "htaccess"},
		{" . .hidden ", "hidden"},
		{"", "file"},
		{"..", "file"},
		{"dir/", "file"},
		{"\\\\server\\share\\", "file"},
		{"report.pdf", "report.pdf"},
		{"証拠 写真 (2).jpg", "証拠 写真 (2).jpg"},
		{"a\"b'c`\r\n\t\x01\x7f" "d.txt", "abcd.txt"},
		{"\xc2\x85x\xc2\xa0y", "x\xc2\xa0y"},            /* C1 NEL dropped, NBSP kept */
		{"\xe2\x80\xaegpj.exe", "gpj.exe"},              /* right-to-left override */
		{"a\xff\xc3(b.txt", "a(b.txt"},                  /* invalid UTF-8 bytes */
		{"\xef\xbb\xbf.env", "env"},                     /* BOM hid the dot */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = mp_safe_filename(cases[i].in);
		ck_assert_msg(!strcmp(s, cases[i].want), "case %zu: got \"%s\"", i, s);
		free(s);
		check_safe(cases[i].in);
	}
	char *s = mp_safe_filename(NULL);
	ck_assert_str_eq(s, "file");
	free(s);

	/* long names: cut on a character boundary, a short extension kept */
	buf b = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "報");
	buf_puts(&b, ".pdf");
	s = mp_safe_filename(b.data);
	ck_assert_uint_eq(strlen(s), 65 * 3 + 4);
	ck_assert_int_eq(strncmp(s, b.data, 65 * 3), 0);
	ck_assert_str_eq(s + 65 * 3, ".pdf");
	free(s);
	check_safe(b.data);

	buf_reset(&b);
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "あ");
	s = mp_safe_filename(b.data);
	ck_assert_uint_eq(strlen(s), 66 * 3);
	free(s);

	buf_reset(&b);
	for (int i = 0; i < 60; i++)
		buf_puts(&b, "𠮷"); /* four bytes each */
	s = mp_safe_filename(b.data);
	ck_assert_uint_eq(strlen(s), 200);
	free(s);

	buf_reset(&b);
	buf_putc(&b, 'x');
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "é");
	buf_puts(&b, ".this-extension-is-too-long");
	s = mp_safe_filename(b.data);
	ck_assert_uint_eq(strlen(s), 199); /* x + 99 é, the 100th would split */
	ck_assert(utf8_ok(s));
	free(s);
	buf_release(&b);
}
END_TEST

/* xorshift64*: reproducible, so a failure can be replayed from its seed. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void insert(buf *b, size_t at, const char *p, size_t n)
{
	buf_grow(b, n);
	memmove(b->data + at + n, b->data + at, b->len - at + 1);
	memcpy(b->data + at, p, n);
	b->len += n;
}

static void mutate(buf *b)
{
	static const char *snippets[] = {"\r\n", "\r\n--" BND, "\r\n--" BND "--", "\r\n\r\n", "--",
					 "\"", "\\", ";", "%", "filename*=UTF-8''%E5", "\r\n ",
					 CD "name=\"x\"", "; filename=\"\"", "\xff", "\xe5\xa0"};
	size_t at = rnd_below(b->len + 1);
	switch (rnd_below(7)) {
	case 0: /* truncate */
		b->len = at;
		b->data[b->len] = '\0';
		break;
	case 1: /* flip a byte */
		if (b->len)
			b->data[rnd_below(b->len)] = (char)rnd();
		break;
	case 2: /* insert CRLF */
		insert(b, at, "\r\n", 2);
		break;
	case 3: { /* insert a snippet */
		const char *s = snippets[rnd_below(sizeof snippets / sizeof snippets[0])];
		insert(b, at, s, strlen(s));
		break;
	}
	case 4: { /* delete a range */
		size_t n = rnd_below(b->len - at + 1);
		memmove(b->data + at, b->data + at + n, b->len - at - n + 1);
		b->len -= n;
		break;
	}
	case 5: { /* duplicate a range */
		size_t n = rnd_below(b->len - at + 1);
		if (n > 512)
			n = 512;
		char *copy = exact(b->data + at, n);
		insert(b, at, copy, n);
		free(copy);
		break;
	}
	default: { /* a special byte */
		static const char special[] = "\r\n-\";\\%=:\0\t ";
		if (b->len)
			b->data[rnd_below(b->len)] = special[rnd_below(sizeof special - 1)];
		break;
	}
	}
}

/* Assembles a short body from pieces, to reach parser states that mutating
 * one valid body rarely does. */
static void random_pieces(buf *b)
{
	static const char *pieces[] = {"--" BND, "\r\n", "--", " ", CD, "name=\"a\"", "name=", "b",
				       "; filename=\"f.txt\"", "; filename*=UTF-8''%E5%A0%B1",
				       "Content-Type: text/plain", "\r\n\r\n", "data", "\xe5\xa0\xb1",
				       "\"", ";", "\t", "\xff", "Content-Transfer-Encoding: binary"};
	size_t n = rnd_below(40);
	for (size_t i = 0; i < n; i++) {
		if (rnd_below(20) == 0) {
			buf_putc(b, '\0');
			continue;
		}
		buf_puts(b, pieces[rnd_below(sizeof pieces / sizeof pieces[0])]);
	}
}

START_TEST(test_random_bodies)
{
	buf valid = BUF_INIT, bin = BUF_INIT, m = BUF_INIT;
	browser_body(&valid, &bin);
	rng_state = 0x5EC0D0C7A11EDULL;
	size_t ok = 0, refused = 0;
	for (int iter = 0; iter < 20000; iter++) {
		buf_reset(&m);
		if (iter % 4 == 3) {
			random_pieces(&m);
		} else {
			buf_append(&m, valid.data, valid.len);
			size_t nmut = 1 + rnd_below(4);
			for (size_t k = 0; k < nmut; k++)
				mutate(&m);
		}
		char *body = exact(m.data, m.len);
		size_t max_parts = rnd_below(4) ? 100 : rnd_below(12);
		size_t max_field = rnd_below(4) ? 65536 : rnd_below(64);
		size_t errlen = rnd_below(3) ? 256 : rnd_below(8);
		char err[256];
		struct mp_result r;
		int rc = mp_parse(body, m.len, BND, max_parts, max_field, &r, errlen ? err : NULL, errlen);
		ck_assert_msg(rc == 0 || rc == -1, "iteration %d: rc %d", iter, rc);
		if (rc == 0) {
			ok++;
			ck_assert(json_is_object(r.fields));
			for (size_t i = 0; i < r.nfiles; i++) {
				const struct mp_file *f = &r.files[i];
				ck_assert(f->field && f->filename && f->content_type);
				ck_assert(f->data >= body && f->len <= m.len &&
					  (size_t)(f->data - body) <= m.len - f->len);
				check_safe(f->filename);
			}
		} else {
			refused++;
			if (errlen > 1)
				ck_assert_msg(err[0], "iteration %d: no message", iter);
			ck_assert_ptr_null(r.fields);
		}
		mp_result_release(&r);
		free(body);

		/* the other entry points on arbitrary bytes */
		char junk[64];
		size_t jn = rnd_below(sizeof junk);
		for (size_t i = 0; i < jn; i++)
			junk[i] = (char)(rnd_below(3) ? 0x20 + rnd_below(95) : rnd());
		junk[jn] = '\0';
		check_safe(junk);
		char *ct = xasprintf("multipart/form-data; boundary=%s", junk);
		free(mp_boundary(ct));
		free(ct);
		free(mp_boundary(junk));
	}
	/* both outcomes are exercised, or the loop tests nothing */
	ck_assert_uint_gt(ok, 1000);
	ck_assert_uint_gt(refused, 1000);
	buf_release(&valid);
	buf_release(&bin);
	buf_release(&m);
}
END_TEST

Suite *multipart_suite(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("multipart");
	tcase_add_test(tc, test_browser_form);
	tcase_add_test(tc, test_rfc_edges);
	tcase_add_test(tc, test_boundary_header);
	tcase_add_test(tc, test_filenames_in_headers);
	tcase_add_loop_test(tc, test_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_headers_limit);
	tcase_add_test(tc, test_marking);
	tcase_add_test(tc, test_safe_filename);
	suite_add_tcase(s, tc);
	TCase *fuzz = tcase_create("robustness");
	tcase_set_timeout(fuzz, 300); /* 20,000 parses; slow under sanitizers */
	tcase_add_test(fuzz, test_random_bodies);
	suite_add_tcase(s, fuzz);
	return s;
}
