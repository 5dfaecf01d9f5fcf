/* buf: growth, formatting and HTML escaping; reading a whole file; counting
 * UTF-8 characters. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/utf8.h"

Suite *buf_suite(void);

START_TEST(test_append_grows)
{
	buf b = BUF_INIT;
	ck_assert_str_eq(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "速報");
	ck_assert_uint_eq(b.len, 6000);
	ck_assert_int_eq(strncmp(b.data + 5994, "速報", 6), 0);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	buf_printf(&b, "%s-%04d", "INC-2026", 42);
	ck_assert_str_eq(buf_cstr(&b), "INC-2026-0042");
	size_t len;
	char *s = buf_detach(&b, &len);
	ck_assert_str_eq(s, "INC-2026-0042");
	ck_assert_uint_eq(len, 13);
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

START_TEST(test_html_escape)
{
	buf b = BUF_INIT;
	const char *in = "<script>alert('x') & \"y\"</script>日本";
	buf_html_escape(&b, in, strlen(in));
	ck_assert_str_eq(buf_cstr(&b),
			 "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;日本");
	buf_release(&b);
}
END_TEST

START_TEST(test_log_quote_blocks_new_lines)
{
	const char *q = log_quote(0, "a\nb\"c\\");
	ck_assert_str_eq(q, "\"a\\x0ab\\\"c\\\\\"");
	ck_assert_ptr_null(strchr(q, '\n'));
}
END_TEST

START_TEST(test_file_read_all)
{
	char path[] = "/tmp/sokuho-file-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	buf b = BUF_INIT;
	ck_assert_int_eq(file_read_all(path, 0, &b), FILE_OK);
	ck_assert_str_eq(buf_cstr(&b), "0123456789");
	buf_reset(&b);
	ck_assert_int_eq(file_read_all(path, 10, &b), FILE_OK); /* exactly the limit */
	buf_reset(&b);
	ck_assert_int_eq(file_read_all(path, 9, &b), FILE_TOO_LONG);
	unlink(path);
	buf_reset(&b);
	errno = 0;
	ck_assert_int_eq(file_read_all(path, 0, &b), FILE_ERROR);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(file_read_all("/", 0, &b), FILE_ERROR); /* a folder: read fails */
	ck_assert_int_eq(errno, EISDIR);
	buf_release(&b);
}
END_TEST

START_TEST(test_utf8_chars)
{
	ck_assert_uint_eq(utf8_chars(""), 0);
	ck_assert_uint_eq(utf8_chars("abc"), 3);
	ck_assert_uint_eq(utf8_chars("速報 é😀"), 5);
	ck_assert_uint_eq(utf8_chars("\xff\xfe"), 2); /* not UTF-8: a byte each */
}
END_TEST

START_TEST(test_utf8_trim)
{
	static const char *const cases[][2] = {
		{"", ""},
		{"  abc\t", "abc"},
		{"\xe3\x80\x80速報 \xe3\x80\x80 ", "速報"}, /* ASCII and U+3000 mixed, both ends */
		{" \xe3\x80\x80\r\n", ""},
		{"a \xe3\x80\x80" "b", "a \xe3\x80\x80" "b"}, /* inside: kept */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = utf8_trim(cases[i][0]);
		ck_assert_str_eq(t, cases[i][1]);
		free(t);
	}
	ck_assert(!utf8_has_controls("a\tb\nc", 1));
	ck_assert(utf8_has_controls("a\tb", 0));
	ck_assert(utf8_has_controls("a\x7f", 1));
	ck_assert(utf8_has_controls("a\x01", 1));
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	tcase_add_test(tc, test_append_grows);
	tcase_add_test(tc, test_html_escape);
	tcase_add_test(tc, test_log_quote_blocks_new_lines);
	tcase_add_test(tc, test_file_read_all);
	tcase_add_test(tc, test_utf8_chars);
	tcase_add_test(tc, test_utf8_trim);
	suite_add_tcase(s, tc);
	return s;
}
