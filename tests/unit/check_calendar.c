/* The calendar (src/core/calendar.h): a few holidays of each kind and the
 * range checks (the day-by-day comparison of 2000-2030 with an independent
 * list is tests/browser/calendar.test.mjs); the city file and its errors;
 * office-time arithmetic across a weekend, a holiday, a 振替休日, the
 * year-end closure and the fixture city's extra days; and a property test of
 * random starts and durations. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/calendar.h"
#include "core/config.h"

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

#define CITY "tests/unit/calendar/city.json"
#define H 3600L
#define M 60L

/* A moment of Japan time. */
static time_t jst(int y, int mo, int d, int h, int mi)
{
	return (time_t)(cal_days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L - 9 * 3600L);
}

static struct calendar city;

static void city_setup(void)
{
	char err[512];
	if (cal_setup(&city, "08:30-17:15", CITY, err, sizeof err) < 0)
		ck_abort_msg("%s", err);
}

static void city_teardown(void)
{
	cal_release(&city);
}

START_TEST(test_office_days)
{
	const char *why;
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 2, 5, &why), 1); /* a Friday */
	ck_assert_ptr_null(why);
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 2, 6, &why), 0);
	ck_assert_str_eq(why, "土曜日");
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 2, 11, &why), 0);
	ck_assert_str_eq(why, "建国記念の日");
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 3, 22, &why), 0);
	ck_assert_str_eq(why, "振替休日");
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 12, 28, &why), 1);
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 12, 29, &why), 0);
	ck_assert_str_eq(why, "年末年始の休日");
	ck_assert_int_eq(cal_is_office_day(&city, 2028, 1, 3, &why), 0);
	ck_assert_int_eq(cal_is_office_day(&city, 2028, 1, 4, &why), 1);
	/* the fixture city's own days */
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 6, 1, &why), 0);
	ck_assert_str_eq(why, "市制記念日");
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 3, 27, &why), 1);
	ck_assert_str_eq(why, "年度末の休日開庁");
	ck_assert_int_eq(cal_is_office_day(&city, 2028, 3, 27, NULL), 1); /* only that year */
	ck_assert_int_eq(cal_is_office_day(&city, 2028, 6, 1, NULL), 1);
	ck_assert_int_eq(cal_is_office_day(&city, 2027, 2, 30, NULL), -1);
	ck_assert_int_eq(cal_is_office_day(&city, 2100, 1, 4, NULL), -1);
}
END_TEST

/* Two office hours from 16:15 the day before: one hour that day, the other
 * from 08:30 of the next office day. */
static void two_hours_from(int y, int mo, int d, int ny, int nmo, int nd)
{
	time_t start = jst(y, mo, d, 16, 15);
	time_t want = jst(ny, nmo, nd, 9, 30);
	time_t got = cal_office_add(&city, start, 2 * H);
	ck_assert_msg(got == want, "%04d-%02d-%02d 16:15 + 2h: got %lld, want %04d-%02d-%02d 09:30",
		      y, mo, d, (long long)got, ny, nmo, nd);
	ck_assert_int_eq(cal_office_between(&city, start, got), 2 * H);
	ck_assert(cal_office_sub(&city, got, 2 * H) == start);
}

START_TEST(test_office_add)
{
	two_hours_from(2027, 2, 3, 2027, 2, 4);   /* Wednesday to Thursday */
	two_hours_from(2027, 2, 5, 2027, 2, 8);   /* across a weekend */
	two_hours_from(2027, 2, 10, 2027, 2, 12); /* across 建国記念の日 */
	two_hours_from(2027, 3, 19, 2027, 3, 23); /* weekend, 春分の日 on Sunday, its 振替休日 */
	two_hours_from(2026, 5, 1, 2026, 5, 7);   /* ゴールデンウィーク with the 振替休日 5月6日 */
	two_hours_from(2027, 12, 28, 2028, 1, 4); /* the year-end closure */
	two_hours_from(2027, 5, 31, 2027, 6, 2);  /* the city's 市制記念日 */
	two_hours_from(2027, 3, 26, 2027, 3, 27); /* to the city's open Saturday */

	/* outside office hours: counting starts at the next opening */
	ck_assert(cal_office_next(&city, jst(2027, 2, 6, 3, 0)) == jst(2027, 2, 8, 8, 30));
	ck_assert(cal_office_next(&city, jst(2027, 2, 8, 7, 0)) == jst(2027, 2, 8, 8, 30));
	ck_assert(cal_office_next(&city, jst(2027, 2, 8, 12, 0)) == jst(2027, 2, 8, 12, 0));
	ck_assert(cal_office_next(&city, jst(2027, 2, 8, 17, 15)) == jst(2027, 2, 9, 8, 30));
	ck_assert(cal_office_add(&city, jst(2027, 2, 8, 7, 0), H) == jst(2027, 2, 8, 9, 30));
	/* ending exactly at closing time ends at the next opening, an office moment */
	ck_assert(cal_office_add(&city, jst(2027, 2, 5, 13, 15), 4 * H) == jst(2027, 2, 8, 8, 30));
	ck_assert(cal_office_sub(&city, jst(2027, 2, 8, 8, 30), 4 * H) == jst(2027, 2, 5, 13, 15));
	/* a Friday 17:00 report plus one office hour: Monday 09:15, not Saturday */
	ck_assert(cal_office_add(&city, jst(2027, 2, 5, 17, 0), H) == jst(2027, 2, 8, 9, 15));
	/* ten office days (8 h 45 min each) from a Monday morning: two weeks on,
	 * and one day more for 天皇誕生日 (Tuesday 2月23日) */
	ck_assert(cal_office_add(&city, jst(2027, 2, 15, 8, 30), 10 * (8 * H + 45 * M)) ==
		  jst(2027, 3, 2, 8, 30));
	ck_assert_int_eq(cal_office_between(&city, jst(2027, 2, 6, 0, 0), jst(2027, 2, 8, 0, 0)), 0);
	ck_assert_int_eq(cal_office_between(&city, jst(2027, 2, 8, 0, 0), jst(2027, 2, 9, 0, 0)),
			 8 * H + 45 * M);
	ck_assert(cal_office_add(&city, jst(2027, 2, 8, 9, 0), -1) == (time_t)-1);
	ck_assert(cal_office_add(&city, jst(2099, 12, 30, 9, 0), 100 * H) == (time_t)-1);
	ck_assert(cal_office_add(&city, jst(1999, 12, 30, 9, 0), H) == (time_t)-1);
}
END_TEST

START_TEST(test_office_hours_config)
{
	struct calendar c;
	char err[256];
	ck_assert_int_eq(cal_setup(&c, "09:00-17:00", "", err, sizeof err), 0);
	ck_assert(cal_office_add(&c, jst(2027, 2, 5, 16, 0), 2 * H) == jst(2027, 2, 8, 10, 0));
	cal_release(&c);
	const char *bad[] = {"9:00-17:00", "09:00-17:60", "17:00-09:00", "09:00-09:00",
			     "08:30-24:01", "08:30 17:15", "08:30-17:15x", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int o, cl;
		ck_assert_msg(cal_parse_office_hours(bad[i], &o, &cl, err, sizeof err) == -1, "%s",
			      bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "office hours"));
	}
	int o, cl;
	ck_assert_int_eq(cal_parse_office_hours("00:00-24:00", &o, &cl, err, sizeof err), 0);
	ck_assert_int_eq(cl, 24 * 60);
	/* the configuration keys */
	struct config cfg;
	config_init(&cfg);
	ck_assert_str_eq(cfg.office_hours, "08:30-17:15");
	ck_assert_str_eq(cfg.calendar_file, "calendar/city.json");
	ck_assert_int_eq(config_set(&cfg, "office_hours", "17:15-08:30", "t", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "bad value '17:15-08:30' for 'office_hours'"), "%s", err);
	ck_assert_str_eq(cfg.office_hours, "08:30-17:15");
	ck_assert_int_eq(config_set(&cfg, "office_hours", "09:00-17:00", "t", err, sizeof err), 0);
	ck_assert_str_eq(cfg.office_hours, "09:00-17:00");
	config_release(&cfg);
}
END_TEST

/* Writes text to a temporary file and loads it into a fresh calendar;
 * returns cal_load_file's result with err filled. */
static int load_text(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/sokuho-calendar-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct calendar c;
	cal_init(&c);
	int rc = cal_load_file(&c, path, err, errlen);
	if (rc < 0)
		ck_assert_int_eq((int)c.nextra, 0); /* unchanged on error */
	cal_release(&c);
	unlink(path);
	return rc;
}

START_TEST(test_bad_city_files)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{"[]", "expected an object"},
		{"{\"closed\": [], \"opened\": []}", "unknown key 'opened'"},
		{"{\"year_end_closure\": \"yes\"}", "year_end_closure: expected true or false"},
		{"{\"closed\": {}}", "closed: expected a list"},
		{"{\"closed\": [\"2027-06-01\"]}", "closed[0]: expected"},
		{"{\"closed\": [{\"date\": \"2027-02-30\", \"name\": \"x\"}]}",
		 "closed[0].date: bad date '2027-02-30'"},
		{"{\"closed\": [{\"date\": \"2027/06/01\", \"name\": \"x\"}]}", "bad date"},
		{"{\"closed\": [{\"date\": \"2100-06-01\", \"name\": \"x\"}]}", "bad date"},
		{"{\"closed\": [{\"date\": \"2027-06-01\"}]}", "closed[0].name: missing"},
		{"{\"closed\": [{\"date\": \"2027-06-01\", \"name\": \"x\", \"why\": 1}]}",
		 "unknown key 'why'"},
		{"{\"closed\": [{\"date\": \"2027-06-06\", \"name\": \"x\"}]}",
		 "2027-06-06 is closed already (日曜日)"},
		{"{\"open\": [{\"date\": \"2027-06-02\", \"name\": \"x\"}]}",
		 "open[0]: 2027-06-02 is an office day already"},
		{"{\"closed\": [{\"date\": \"2027-06-01\", \"name\": \"x\"}, {\"date\": "
		 "\"2027-06-01\", \"name\": \"y\"}]}",
		 "2027-06-01 is listed twice"},
		{"{\"closed\": [}", "tmp/sokuho-calendar-"},
		{"{\"open\": [], \"open\": []}", "duplicate"},
	};
	char err[512];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(load_text(bad[i].json, err, sizeof err) == -1, "%s loaded", bad[i].json);
		ck_assert_msg(strstr(err, bad[i].msg), "%s: '%s' lacks '%s'", bad[i].json, err,
			      bad[i].msg);
	}
	/* without the year-end closure 12月29日 is an ordinary day to close */
	ck_assert_int_eq(load_text("{\"year_end_closure\": false, \"closed\": [{\"date\": "
				   "\"2027-12-29\", \"name\": \"仕事納め後\"}]}",
				   err, sizeof err),
			 0);
	struct calendar c;
	ck_assert_int_eq(cal_setup(&c, NULL, "/nonexistent/city.json", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unable to read calendar file '/nonexistent/city.json'"));
	cal_release(&c);
}
END_TEST

/* xorshift64*: the same sequence on every machine */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

START_TEST(test_office_property)
{
	time_t lo = jst(2000, 1, 1, 0, 0), hi = jst(2098, 12, 31, 0, 0);
	time_t near_lo = jst(2026, 12, 1, 0, 0), near_hi = jst(2028, 2, 1, 0, 0);
	for (int i = 0; i < 20000; i++) {
		/* half of the starts near the fixture city's extra days, to the second */
		uint64_t r = next_random();
		time_t t = (i % 2) ? lo + (time_t)(r % (uint64_t)(hi - lo))
				   : near_lo + (time_t)(r % (uint64_t)(near_hi - near_lo));
		/* durations up to 40 office days, sometimes a whole number of minutes */
		long d = (long)(next_random() % (40UL * 31500));
		if (i % 3 == 0)
			d -= d % 60;
		time_t s = cal_office_next(&city, t);
		time_t e = cal_office_add(&city, t, d);
		ck_assert(s != (time_t)-1 && e != (time_t)-1);
		ck_assert(s >= t && e >= s);
		/* the result is an office moment */
		ck_assert_msg(cal_office_next(&city, e) == e, "start %lld + %ld: %lld is no office "
			      "moment", (long long)t, d, (long long)e);
		/* the office time between is the duration, and counting back gives the start */
		ck_assert_int_eq(cal_office_between(&city, t, e), d);
		ck_assert_msg(cal_office_sub(&city, e, d) == s, "start %lld + %ld = %lld: back %lld",
			      (long long)s, d, (long long)e, (long long)cal_office_sub(&city, e, d));
		/* adding in two parts is adding once */
		long part = d / 3;
		ck_assert(cal_office_add(&city, cal_office_add(&city, t, part), d - part) == e);
	}
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
	tc = tcase_create("office");
	tcase_add_checked_fixture(tc, city_setup, city_teardown);
	tcase_add_test(tc, test_office_days);
	tcase_add_test(tc, test_office_add);
	tcase_add_test(tc, test_office_hours_config);
	tcase_add_test(tc, test_bad_city_files);
	tcase_add_test(tc, test_office_property);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
