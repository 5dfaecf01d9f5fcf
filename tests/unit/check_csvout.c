/* csvout: RFC 4180 quoting, the formula-injection guard, row ends, numbers
 * and safe download names. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "core/csvout.h"

Suite *csvout_suite(void);

START_TEST(test_plain_row)
{
	buf b = BUF_INIT;
	struct csvout c;
	csv_init(&c, &b);
	csv_field(&c, "INC-2026-0001");
	csv_field(&c, "不審メール");
	csv_int(&c, 42);
	csv_end_row(&c);
	csv_field(&c, "a");
	csv_end_row(&c);
	ck_assert_str_eq(buf_cstr(&b), "INC-2026-0001,不審メール,42\r\na\r\n");
	buf_release(&b);
}
END_TEST

START_TEST(test_quoting)
{
	buf b = BUF_INIT;
	struct csvout c;
	csv_init(&c, &b);
	csv_field(&c, "a,b");
	csv_field(&c, "say \"hi\"");
	csv_field(&c, "line1\nline2");
	csv_field(&c, "cr\rx");
	csv_field(&c, "\"");
	csv_end_row(&c);
	ck_assert_str_eq(buf_cstr(&b),
			 "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\rx\",\"\"\"\"\r\n");
	buf_release(&b);
}
END_TEST

START_TEST(test_empty_fields)
{
	buf b = BUF_INIT;
	struct csvout c;
	csv_init(&c, &b);
	csv_field(&c, NULL);
	csv_field(&c, "");
	csv_fieldn(&c, "xyz", 0);
	csv_field(&c, "x");
	csv_double(&c, NAN, 1);
	csv_end_row(&c);
	ck_assert_str_eq(buf_cstr(&b), ",,,x,\r\n");
	buf_release(&b);
}
END_TEST

START_TEST(test_formula_guard)
{
	buf b = BUF_INIT;
	struct csvout c;
	csv_init(&c, &b);
	csv_field(&c, "=1+1");
	csv_field(&c, "+81");
	csv_field(&c, "-2");
	csv_field(&c, "@SUM(A1)");
	csv_field(&c, "\tx");
	csv_field(&c, "=HYPERLINK(\"http://x\",\"y\")");
	csv_field(&c, "\rz");
	csv_field(&c, "a=b");
	csv_end_row(&c);
	ck_assert_str_eq(buf_cstr(&b), "'=1+1,'+81,'-2,'@SUM(A1),'\tx,"
				       "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'\rz\",a=b\r\n");
	buf_release(&b);
}
END_TEST

START_TEST(test_numbers_unguarded)
{
	buf b = BUF_INIT;
	struct csvout c;
	csv_init(&c, &b);
	csv_int(&c, -5);
	csv_double(&c, 1.25, 1);
	csv_double(&c, -0.5, 2);
	csv_double(&c, 3.0, 0);
	csv_end_row(&c);
	ck_assert_str_eq(buf_cstr(&b), "-5,1.2,-0.50,3\r\n");
	buf_release(&b);
}
END_TEST

START_TEST(test_fieldn_binary_length)
{
	buf b = BUF_INIT;
	struct csvout c;
	csv_init(&c, &b);
	csv_fieldn(&c, "abc,def", 3);
	csv_end_row(&c);
	ck_assert_str_eq(buf_cstr(&b), "abc\r\n");
	buf_release(&b);
}
END_TEST

START_TEST(test_safe_filename)
{
	char out[32];
	csv_safe_filename(out, sizeof out, "review-2026.csv");
	ck_assert_str_eq(out, "review-2026.csv");
	csv_safe_filename(out, sizeof out, "a\"b\r\n;c/..x.csv");
	ck_assert_str_eq(out, "a_b___c_..x.csv");
	csv_safe_filename(out, sizeof out, "");
	ck_assert_str_eq(out, "download.csv");
	csv_safe_filename(out, sizeof out, NULL);
	ck_assert_str_eq(out, "download.csv");
	csv_safe_filename(out, 5, "abcdefgh");
	ck_assert_str_eq(out, "abcd");
	csv_safe_filename(out, sizeof out, "報告.csv");
	ck_assert_str_eq(out, "______.csv");
}
END_TEST

Suite *csvout_suite(void)
{
	Suite *s = suite_create("csvout");
	TCase *tc = tcase_create("csvout");
	tcase_add_test(tc, test_plain_row);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_empty_fields);
	tcase_add_test(tc, test_formula_guard);
	tcase_add_test(tc, test_numbers_unguarded);
	tcase_add_test(tc, test_fieldn_binary_length);
	tcase_add_test(tc, test_safe_filename);
	suite_add_tcase(s, tc);
	return s;
}
