/* urlencoded form bodies: fields, repeated names, the malformed bodies, and a
 * value that is not UTF-8 kept mended and named when the caller asks for it
 * (the report form marks that field instead of refusing the whole form). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "http/form.h"

Suite *form_suite(void);

START_TEST(test_fields)
{
	const char *b = "a=1&b=x+y%21&a=2&c=&%E6%A7%98=%E6%A7%98";
	json_t *f = form_parse_urlencoded(b, strlen(b), NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "a"), 1)), "2");
	ck_assert_str_eq(json_string_value(json_object_get(f, "b")), "x y!");
	ck_assert_str_eq(json_string_value(json_object_get(f, "c")), "");
	ck_assert_str_eq(json_string_value(json_object_get(f, "様")), "様");
	json_decref(f);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {"a=%4", "a=%zz", "a=%00", "=v", "%82%A0=v", NULL};
	for (int i = 0; bad[i]; i++) {
		json_t *invalid = json_object();
		json_t *f = form_parse_urlencoded(bad[i], strlen(bad[i]), invalid);
		ck_assert_msg(f == NULL, "%s accepted", bad[i]);
		json_decref(invalid);
	}
}
END_TEST

START_TEST(test_not_utf8_marked)
{
	/* Shift_JIS, an overlong '/', a surrogate and a cut character */
	const char *b = "ok=%E6%A7%98&sjis=%90%5C%90%BF&over=%C0%AF&sur=%ED%A0%80&cut=a%E5%A0";
	ck_assert_ptr_null(form_parse_urlencoded(b, strlen(b), NULL));
	json_t *invalid = json_object();
	json_t *f = form_parse_urlencoded(b, strlen(b), invalid);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(json_object_size(invalid), 4);
	ck_assert_ptr_null(json_object_get(invalid, "ok"));
	ck_assert(json_is_true(json_object_get(invalid, "sjis")));
	ck_assert(json_is_true(json_object_get(invalid, "cut")));
	ck_assert_str_eq(json_string_value(json_object_get(f, "ok")), "様");
	ck_assert_str_eq(json_string_value(json_object_get(f, "sjis")), "\xef\xbf\xbd\\\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(json_string_value(json_object_get(f, "over")), "\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(json_string_value(json_object_get(f, "cut")), "a\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(f);
	json_decref(invalid);
}
END_TEST

START_TEST(test_mend)
{
	size_t n;
	char *m = utf8_mend("", 0, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(m, "");
	free(m);
	m = utf8_mend("\xff\xfe", 2, &n);
	ck_assert_uint_eq(n, 6);
	ck_assert(utf8_valid(m, n));
	free(m);
	ck_assert(utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
	ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4)); /* past it */
}
END_TEST

Suite *form_suite(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("form");
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_not_utf8_marked);
	tcase_add_test(tc, test_mend);
	suite_add_tcase(s, tc);
	return s;
}
