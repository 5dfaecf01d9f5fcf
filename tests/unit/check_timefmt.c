/* The one deadline format (src/core/timefmt.h), in both languages. */
#include <check.h>
#include <string.h>

#include "core/timefmt.h"

Suite *timefmt_suite(void);

/* 2026-12-10 05:35 Japan time = 2026-12-09 20:35 UTC */
#define DUE ((time_t)1796848500)
#define H 3600
#define D 86400

START_TEST(test_deadline_ahead_and_past)
{
	char s[TIMEFMT_MAX];
	ck_assert_str_eq(timefmt_deadline(DUE, DUE - 2 * D - 3 * H, "ja", s, sizeof s),
			 "12月10日(木) 05:35 まで・あと2日3時間");
	ck_assert_str_eq(timefmt_deadline(DUE, DUE - 2 * D - 3 * H, "en", s, sizeof s),
			 "by Thu 10 Dec 05:35 · 2 days 3 hours left");
	ck_assert_str_eq(timefmt_deadline(DUE, DUE + D + 4 * H, "ja", s, sizeof s), "1日4時間 超過");
	ck_assert_str_eq(timefmt_deadline(DUE, DUE + D + 4 * H, "en", s, sizeof s),
			 "1 day 4 hours overdue");
	/* cut down, never up: 2 days 3 hours 59 minutes is still 2日3時間 */
	ck_assert_str_eq(timefmt_left(DUE, DUE - 2 * D - 3 * H - 59 * 60, "ja", s, sizeof s),
			 "あと2日3時間");
	ck_assert_str_eq(timefmt_left(DUE, DUE - 3 * H - 20 * 60, "ja", s, sizeof s), "あと3時間20分");
	ck_assert_str_eq(timefmt_left(DUE, DUE - 45 * 60 - 30, "ja", s, sizeof s), "あと45分");
	ck_assert_str_eq(timefmt_left(DUE, DUE - 30, "ja", s, sizeof s), "あと0分");
	ck_assert_str_eq(timefmt_left(DUE, DUE - 2 * D, "ja", s, sizeof s), "あと2日");
	ck_assert_str_eq(timefmt_left(DUE, DUE - 2 * D, "en", s, sizeof s), "2 days left");
	ck_assert_str_eq(timefmt_left(DUE, DUE - H - 60, "en", s, sizeof s), "1 hour 1 minute left");
	ck_assert_str_eq(timefmt_left(DUE, DUE + 61, "en", s, sizeof s), "1 minute overdue");
	/* exactly at the moment: not yet overdue */
	ck_assert(!timefmt_overdue(DUE, DUE));
	ck_assert(timefmt_overdue(DUE, DUE + 1));
	ck_assert_str_eq(timefmt_deadline(DUE, DUE, "ja", s, sizeof s),
			 "12月10日(木) 05:35 まで・あと0分");
	/* anything but "en" is Japanese */
	ck_assert_str_eq(timefmt_due(DUE, DUE, NULL, s, sizeof s), "12月10日(木) 05:35 まで");
	ck_assert_str_eq(timefmt_due(DUE, DUE, "fr", s, sizeof s), "12月10日(木) 05:35 まで");
	ck_assert_str_eq(timefmt_due(DUE, DUE, "en", s, sizeof s), "by Thu 10 Dec 05:35");
}
END_TEST

START_TEST(test_japan_time_and_year)
{
	char s[TIMEFMT_MAX];
	/* 2026-12-31 15:00 UTC is already 1 January 2027 in Japan */
	time_t t = (time_t)1798729200;
	ck_assert_str_eq(timefmt_due(t, t, "ja", s, sizeof s), "1月1日(金) 00:00 まで");
	/* far from now: the year is written */
	ck_assert_str_eq(timefmt_due(t, t - 400 * (time_t)D, "ja", s, sizeof s),
			 "2027年1月1日(金) 00:00 まで");
	ck_assert_str_eq(timefmt_due(t, t + 400 * (time_t)D, "en", s, sizeof s),
			 "by Fri 1 Jan 2027 00:00");
}
END_TEST

START_TEST(test_last_day)
{
	char s[TIMEFMT_MAX];
	ck_assert_str_eq(timefmt_last_day(2027, 1, 6, DUE, "ja", s, sizeof s), "1月6日(水)まで");
	ck_assert_str_eq(timefmt_last_day(2027, 1, 6, DUE, "en", s, sizeof s), "by Wed 6 Jan");
	ck_assert_str_eq(timefmt_last_day(2028, 2, 29, DUE, "ja", s, sizeof s),
			 "2028年2月29日(火)まで");
	ck_assert_ptr_null(timefmt_last_day(2027, 2, 29, DUE, "ja", s, sizeof s));
	ck_assert_str_eq(s, "");
	ck_assert_ptr_null(timefmt_last_day(2027, 13, 1, DUE, "ja", s, sizeof s));
	ck_assert_ptr_null(timefmt_last_day(2027, 4, 31, DUE, "en", s, sizeof s));
	ck_assert_ptr_null(timefmt_last_day(2027, 1, 0, DUE, "en", s, sizeof s));
}
END_TEST

START_TEST(test_short_buffer)
{
	char s[8];
	timefmt_deadline(DUE, DUE - D, "en", s, sizeof s);
	ck_assert_uint_eq(strlen(s), 7);
	char big[TIMEFMT_MAX];
	/* the longest English form fits */
	timefmt_deadline(DUE, DUE - 400 * (time_t)D - 23 * H, "en", big, sizeof big);
	ck_assert_uint_lt(strlen(big), TIMEFMT_MAX - 1);
}
END_TEST

Suite *timefmt_suite(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("timefmt");
	tcase_add_test(tc, test_deadline_ahead_and_past);
	tcase_add_test(tc, test_japan_time_and_year);
	tcase_add_test(tc, test_last_day);
	tcase_add_test(tc, test_short_buffer);
	suite_add_tcase(s, tc);
	return s;
}
