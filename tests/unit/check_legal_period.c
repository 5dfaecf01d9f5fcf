/* Legal periods in days (src/wf/legal_period.h): the fixtures of issue 19's
 * done-when 4 — awareness on a weekday, a Friday, the day before a holiday
 * and 12月28日 — give the dates of the rule cited there (day 1 the day of
 * awareness, the last day moved past 行政機関の休日), and the city's internal
 * target never falls after the legal last day. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/calendar.h"
#include "core/timefmt.h"
#include "wf/legal_period.h"

Suite *legal_period_suite(void);

/* A moment of Japan time. */
static time_t jst(int y, int mo, int d, int h, int mi)
{
	return (time_t)(cal_days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L - 9 * 3600L);
}

static long day(int y, int m, int d)
{
	return cal_days_from_civil(y, m, d);
}

static const char *date_str(long k, char *buf, size_t n)
{
	int y, m, d;
	cal_civil_from_days(k, &y, &m, &d);
	snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
	return buf;
}

/* 確報 for awareness at `aware`: the last day for 30 and for 60 days. */
static void final_is(time_t aware, long want30, long want60)
{
	long got;
	char a[16], b[16];
	ck_assert_int_eq(legal_final_report_last_day(aware, 0, &got), 0);
	ck_assert_msg(got == want30, "30 days: got %s, want %s", date_str(got, a, sizeof a),
		      date_str(want30, b, sizeof b));
	ck_assert_int_eq(legal_final_report_last_day(aware, 1, &got), 0);
	ck_assert_msg(got == want60, "60 days: got %s, want %s", date_str(got, a, sizeof a),
		      date_str(want60, b, sizeof b));
}

static void preliminary_is(time_t aware, long want_target, long want_outer)
{
	long target, outer;
	ck_assert_int_eq(legal_preliminary_report_days(aware, &target, &outer), 0);
	ck_assert(target == want_target);
	ck_assert(outer == want_outer);
}

START_TEST(test_aware_on_a_weekday)
{
	/* Wednesday 2027-06-02 10:00: day 30 is Thursday 7月1日; day 60 is Saturday
	 * 7月31日, moved to Monday 8月2日 */
	time_t aware = jst(2027, 6, 2, 10, 0);
	final_is(aware, day(2027, 7, 1), day(2027, 8, 2));
	/* 速報: day 3 Friday 6月4日, day 5 Sunday 6月6日 (not moved) */
	preliminary_is(aware, day(2027, 6, 4), day(2027, 6, 6));
	/* the period ends at the end of its last day; today's discovered_at + 30
	 * days to the second falls after it */
	ck_assert(legal_day_end(day(2027, 7, 1)) == jst(2027, 7, 2, 0, 0));
	ck_assert(aware + 30 * 86400 > legal_day_end(day(2027, 7, 1)));
	/* shown as a date */
	char s[TIMEFMT_MAX];
	ck_assert_str_eq(timefmt_last_day(2027, 7, 1, aware, "ja", s, sizeof s), "7月1日(木)まで");
	/* awareness just before midnight is still that day; just after, the next */
	long got;
	ck_assert_int_eq(legal_final_report_last_day(jst(2027, 6, 2, 23, 59), 0, &got), 0);
	ck_assert(got == day(2027, 7, 1));
	ck_assert_int_eq(legal_final_report_last_day(jst(2027, 6, 3, 0, 0), 0, &got), 0);
	ck_assert(got == day(2027, 7, 2));
}
END_TEST

START_TEST(test_aware_on_a_friday)
{
	/* Friday 2027-06-04: day 30 is Saturday 7月3日, moved to Monday 7月5日;
	 * day 60 is Monday 8月2日 */
	time_t aware = jst(2027, 6, 4, 16, 30);
	final_is(aware, day(2027, 7, 5), day(2027, 8, 2));
	preliminary_is(aware, day(2027, 6, 6), day(2027, 6, 8));
}
END_TEST

START_TEST(test_aware_the_day_before_a_holiday)
{
	/* Wednesday 2027-02-10, the day before 建国記念の日: the holiday counts as
	 * day 2 (a legal clock does not pause); day 30 is Thursday 3月11日, day 60
	 * Saturday 4月10日, moved to Monday 4月12日 */
	time_t aware = jst(2027, 2, 10, 9, 0);
	final_is(aware, day(2027, 3, 11), day(2027, 4, 12));
	preliminary_is(aware, day(2027, 2, 12), day(2027, 2, 14));
	/* a day 30 on the Saturday before 敬老の日 moves past Sunday and the
	 * holiday: Friday 2027-08-20 gives Tuesday 9月21日 */
	long got;
	ck_assert_int_eq(legal_final_report_last_day(jst(2027, 8, 20, 9, 0), 0, &got), 0);
	ck_assert(got == day(2027, 9, 21));
	/* a day 30 on the holiday itself (Monday 9月20日): Tuesday */
	ck_assert_int_eq(legal_final_report_last_day(jst(2027, 8, 22, 9, 0), 0, &got), 0);
	ck_assert(got == day(2027, 9, 21));
}
END_TEST

START_TEST(test_aware_on_december_28)
{
	/* Monday 2026-12-28, the last office day of the year: the closure counts;
	 * day 30 is Tuesday 2027-01-26, day 60 Thursday 2027-02-25 */
	time_t aware = jst(2026, 12, 28, 15, 0);
	final_is(aware, day(2027, 1, 26), day(2027, 2, 25));
	/* 速報: day 3 is 12月30日, day 5 元日, inside the closure and not moved */
	preliminary_is(aware, day(2026, 12, 30), day(2027, 1, 1));
	/* a day 30 inside the year-end closure (12月29日) moves to the first open
	 * day after it: Monday 2027-01-04 */
	long got;
	ck_assert_int_eq(legal_final_report_last_day(jst(2026, 11, 30, 9, 0), 0, &got), 0);
	ck_assert(got == day(2027, 1, 4));
	char s[TIMEFMT_MAX];
	ck_assert_str_eq(timefmt_last_day(2027, 1, 4, jst(2026, 11, 30, 9, 0), "ja", s, sizeof s),
			 "1月4日(月)まで");
}
END_TEST

START_TEST(test_closed_days_and_range)
{
	ck_assert_int_eq(legal_closed_day(day(2027, 6, 5)), 1);   /* Saturday */
	ck_assert_int_eq(legal_closed_day(day(2027, 2, 11)), 1);  /* 建国記念の日 */
	ck_assert_int_eq(legal_closed_day(day(2027, 3, 22)), 1);  /* 振替休日 */
	ck_assert_int_eq(legal_closed_day(day(2027, 12, 29)), 1); /* 年末年始 */
	ck_assert_int_eq(legal_closed_day(day(2028, 1, 3)), 1);
	ck_assert_int_eq(legal_closed_day(day(2028, 1, 4)), 0);
	ck_assert_int_eq(legal_closed_day(day(2100, 1, 4)), -1);
	long got;
	ck_assert_int_eq(legal_last_day(day(2027, 6, 2), 0, &got), -1);
	ck_assert_int_eq(legal_last_day(day(2027, 6, 2), 1, &got), 0);
	ck_assert(got == day(2027, 6, 2)); /* a one-day period ends the same day */
	ck_assert_int_eq(legal_last_day(day(2099, 12, 20), 30, &got), -1);
	ck_assert_int_eq(legal_final_report_last_day(jst(1999, 12, 1, 0, 0), 0, &got), -1);
	/* every last day from 2000 to 2098 is an open day at most 10 days after
	 * day 30 (Saturday 2019-04-27, before the ten days of 即位 in 2019), and
	 * every day it was moved past is closed */
	for (long a = day(2000, 1, 1); a < day(2098, 12, 1); a++) {
		ck_assert_int_eq(legal_last_day(a, 30, &got), 0);
		ck_assert_int_eq(legal_closed_day(got), 0);
		ck_assert(got >= a + 29 && got <= a + 39);
		for (long k = a + 29; k < got; k++)
			ck_assert_int_eq(legal_closed_day(k), 1);
	}
}
END_TEST

START_TEST(test_internal_target)
{
	struct calendar cal;
	char err[512];
	if (cal_setup(&cal, NULL, "tests/unit/calendar/city.json", err, sizeof err) < 0)
		ck_abort_msg("%s", err);
	long target;
	/* two office days before Thursday 2027-07-01: Tuesday 6月29日 */
	ck_assert_int_eq(legal_internal_target(&cal, day(2027, 6, 2), day(2027, 7, 1), 2, &target), 0);
	ck_assert(target == day(2027, 6, 29));
	/* the legal last day on the city's own 市制記念日 (2027-06-01, no 行政機関の
	 * 休日, so the PPC's last day stays there): the target is the office day
	 * before, Monday 5月31日 */
	long last;
	ck_assert_int_eq(legal_final_report_last_day(jst(2027, 5, 3, 9, 0), 0, &last), 0);
	ck_assert(last == day(2027, 6, 1));
	ck_assert_int_eq(legal_internal_target(&cal, day(2027, 5, 3), last, 0, &target), 0);
	ck_assert(target == day(2027, 5, 31));
	/* across a weekend: one office day before Monday 7月5日 is Friday 7月2日 */
	ck_assert_int_eq(legal_internal_target(&cal, day(2027, 6, 4), day(2027, 7, 5), 1, &target), 0);
	ck_assert(target == day(2027, 7, 2));
	/* a margin longer than the period: the day of awareness */
	ck_assert_int_eq(legal_internal_target(&cal, day(2027, 6, 2), day(2027, 6, 4), 10, &target), 0);
	ck_assert(target == day(2027, 6, 2));
	ck_assert_int_eq(legal_internal_target(&cal, day(2027, 6, 2), day(2027, 6, 1), 0, &target), -1);
	ck_assert_int_eq(legal_internal_target(&cal, day(2027, 6, 2), day(2027, 7, 1), -1, &target), -1);
	/* never after the legal last day, for every awareness day of 2026-2028 */
	for (long a = day(2026, 1, 1); a < day(2028, 12, 31); a++) {
		ck_assert_int_eq(legal_last_day(a, 30, &last), 0);
		for (int margin = 0; margin <= 5; margin++) {
			ck_assert_int_eq(legal_internal_target(&cal, a, last, margin, &target), 0);
			ck_assert(target <= last && target >= a);
		}
	}
	cal_release(&cal);
}
END_TEST

Suite *legal_period_suite(void)
{
	Suite *s = suite_create("legal_period");
	TCase *tc = tcase_create("days");
	tcase_add_test(tc, test_aware_on_a_weekday);
	tcase_add_test(tc, test_aware_on_a_friday);
	tcase_add_test(tc, test_aware_the_day_before_a_holiday);
	tcase_add_test(tc, test_aware_on_december_28);
	tcase_add_test(tc, test_closed_days_and_range);
	tcase_add_test(tc, test_internal_target);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
