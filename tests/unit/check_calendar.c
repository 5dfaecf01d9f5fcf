/* The calendar (src/core/calendar.h): a few holidays of each kind and the
 * range checks. The day-by-day comparison of 2000-2030 with an independent
 * list is tests/browser/calendar.test.mjs. */
#include <check.h>
#include <string.h>

#include "core/calendar.h"

Suite *calendar_suite(void);

static const char *holiday(int y, int m, int d)
{
	const char *name = NULL;
	int rc = cal_is_holiday(y, m, d, &name);
	ck_assert_int_ge(rc, 0);
	return rc == 1 ? name : "";
}

START_TEST(test_holidays_of_each_kind)
{
	ck_assert_str_eq(holiday(2027, 1, 1), "元日");
	ck_assert_str_eq(holiday(2027, 1, 11), "成人の日"); /* second Monday */
	ck_assert_str_eq(holiday(2027, 1, 15), "");
	ck_assert_str_eq(holiday(2018, 12, 23), "天皇誕生日");
	ck_assert_str_eq(holiday(2019, 12, 23), "");
	ck_assert_str_eq(holiday(2019, 2, 23), "");
	ck_assert_str_eq(holiday(2020, 2, 23), "天皇誕生日");
	ck_assert_str_eq(holiday(2020, 2, 24), "振替休日");
	ck_assert_str_eq(holiday(2006, 4, 29), "みどりの日");
	ck_assert_str_eq(holiday(2006, 5, 4), "国民の休日");
	ck_assert_str_eq(holiday(2007, 4, 29), "昭和の日");
	ck_assert_str_eq(holiday(2007, 5, 4), "みどりの日");
	/* from 2007 a 祝日 on a Sunday moves to the next day that is no 祝日 */
	ck_assert_str_eq(holiday(2008, 5, 6), "振替休日");
	ck_assert_str_eq(holiday(2002, 7, 20), "海の日");
	ck_assert_str_eq(holiday(2003, 7, 21), "海の日"); /* third Monday */
	ck_assert_str_eq(holiday(2015, 9, 22), "国民の休日");
	ck_assert_str_eq(holiday(2015, 8, 11), "");
	ck_assert_str_eq(holiday(2016, 8, 11), "山の日");
	ck_assert_str_eq(holiday(2026, 3, 20), "春分の日");
	ck_assert_str_eq(holiday(2026, 9, 23), "秋分の日");
	ck_assert_str_eq(holiday(2019, 10, 14), "体育の日");
	ck_assert_str_eq(holiday(2022, 10, 10), "スポーツの日");
}
END_TEST

START_TEST(test_days_of_other_laws)
{
	ck_assert_str_eq(holiday(2019, 4, 30), "国民の休日");
	ck_assert_str_eq(holiday(2019, 5, 1), "休日（天皇の即位の日）");
	ck_assert_str_eq(holiday(2019, 5, 2), "国民の休日");
	ck_assert_str_eq(holiday(2019, 10, 22), "休日（即位礼正殿の儀の行われる日）");
	/* the Olympic moves: the usual days are then ordinary days */
	ck_assert_str_eq(holiday(2020, 7, 23), "海の日");
	ck_assert_str_eq(holiday(2020, 7, 24), "スポーツの日");
	ck_assert_str_eq(holiday(2020, 7, 20), "");
	ck_assert_str_eq(holiday(2020, 10, 12), "");
	ck_assert_str_eq(holiday(2020, 8, 10), "山の日");
	ck_assert_str_eq(holiday(2020, 8, 11), "");
	ck_assert_str_eq(holiday(2021, 7, 22), "海の日");
	ck_assert_str_eq(holiday(2021, 7, 23), "スポーツの日");
	ck_assert_str_eq(holiday(2021, 8, 8), "山の日");
	ck_assert_str_eq(holiday(2021, 8, 9), "振替休日");
	ck_assert_str_eq(holiday(2021, 8, 11), "");
}
END_TEST

START_TEST(test_range_and_bad_dates)
{
	const char *name = "untouched";
	ck_assert_int_eq(cal_is_holiday(1999, 1, 1, &name), -1);
	ck_assert_int_eq(cal_is_holiday(2100, 1, 1, &name), -1);
	ck_assert_int_eq(cal_is_holiday(2027, 2, 29, &name), -1);
	ck_assert_int_eq(cal_is_holiday(2027, 13, 1, &name), -1);
	ck_assert_int_eq(cal_is_holiday(2027, 6, 1, &name), 0);
	ck_assert_str_eq(name, "untouched");
	ck_assert_int_eq(cal_is_holiday(2028, 2, 29, NULL), 0);
	ck_assert_int_eq(cal_is_holiday(2099, 12, 31, NULL), 0);
	/* the day numbers round-trip and know the weekday */
	for (long k = cal_days_from_civil(2000, 1, 1); k <= cal_days_from_civil(2099, 12, 31); k++) {
		int y, m, d;
		cal_civil_from_days(k, &y, &m, &d);
		ck_assert(cal_valid_date(y, m, d));
		ck_assert_int_eq(cal_days_from_civil(y, m, d), k);
	}
	ck_assert_int_eq(cal_weekday(cal_days_from_civil(2027, 1, 1)), 5); /* a Friday */
}
END_TEST

Suite *calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("holidays");
	tcase_add_test(tc, test_holidays_of_each_kind);
	tcase_add_test(tc, test_days_of_other_laws);
	tcase_add_test(tc, test_range_and_bad_dates);
	suite_add_tcase(s, tc);
	return s;
}
