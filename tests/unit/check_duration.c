/* duration: ISO 8601 parsing, the PostgreSQL interval literal, ordering. */
#include <check.h>
#include <string.h>

#include "core/duration.h"

Suite *duration_suite(void);

#define EXPECTED "expected an ISO 8601 duration such as PT30M or P3D"

static const struct {
	const char *s;
	long long months, days, seconds;
	const char *pg;
} good[] = {
	{"P3D", 0, 3, 0, "0 months 3 days 0 seconds"},
	{"PT30M", 0, 0, 1800, "0 months 0 days 1800 seconds"},
	{"PT1H", 0, 0, 3600, "0 months 0 days 3600 seconds"},
	{"P30D", 0, 30, 0, "0 months 30 days 0 seconds"},
	{"P60D", 0, 60, 0, "0 months 60 days 0 seconds"},
	{"P1DT12H", 0, 1, 43200, "0 months 1 days 43200 seconds"},
	{"PT0S", 0, 0, 0, "0 months 0 days 0 seconds"},
	{"P0D", 0, 0, 0, "0 months 0 days 0 seconds"},
	{"P1M", 1, 0, 0, "1 months 0 days 0 seconds"},
	{"PT1M", 0, 0, 60, "0 months 0 days 60 seconds"},
	{"P2W", 0, 14, 0, "0 months 14 days 0 seconds"},
	{"P1Y", 12, 0, 0, "12 months 0 days 0 seconds"},
	{"P1Y2M3W4DT5H6M7S", 14, 25, 18367, "14 months 25 days 18367 seconds"},
	{"PT36H", 0, 0, 129600, "0 months 0 days 129600 seconds"},
	{"P007D", 0, 7, 0, "0 months 7 days 0 seconds"},
	{"P2147483647D", 0, 2147483647LL, 0, "0 months 2147483647 days 0 seconds"},
};

START_TEST(test_good)
{
	struct duration d;
	char err[256] = "", pg[DURATION_PG_INTERVAL_MAX];
	ck_assert_msg(duration_parse(good[_i].s, &d, err, sizeof err) == 0, "%s: %s", good[_i].s,
		      err);
	ck_assert_int_eq(d.months, good[_i].months);
	ck_assert_int_eq(d.days, good[_i].days);
	ck_assert_int_eq(d.seconds, good[_i].seconds);
	duration_to_pg_interval(&d, pg, sizeof pg);
	ck_assert_str_eq(pg, good[_i].pg);
}
END_TEST

static const struct {
	const char *s;
	const char *msg; /* the whole message */
} bad[] = {
	{"", "empty duration: " EXPECTED},
	{"P", "'P': no component; " EXPECTED},
	{"PT", "'PT': T must be followed by hours, minutes or seconds; " EXPECTED},
	{"P3DT", "'P3DT': T must be followed by hours, minutes or seconds; " EXPECTED},
	{"-P3D", "'-P3D': negative durations are not allowed; " EXPECTED},
	{"P-3D", "'P-3D': negative durations are not allowed; " EXPECTED},
	{"+P3D", "'+P3D': a duration cannot have a sign; " EXPECTED},
	{"3D", "'3D': a duration starts with P; " EXPECTED},
	{"p3d", "'p3d': a duration starts with P; " EXPECTED},
	{"P3d", "'P3d': unknown designator 'd'; " EXPECTED},
	{" P3D", "' P3D': a duration starts with P; " EXPECTED},
	{"P3D ", "'P3D ': unexpected ' '; " EXPECTED},
	{"P3", "'P3': number without a designator at the end; " EXPECTED},
	{"P1.5D", "'P1.5D': only whole numbers are allowed; " EXPECTED},
	{"PT0,5H", "'PT0,5H': only whole numbers are allowed; " EXPECTED},
	{"P1H", "'P1H': hours and seconds go after T (PT1H); " EXPECTED},
	{"PT3D", "'PT3D': years, weeks and days go before T (P1DT2H); " EXPECTED},
	{"P3X", "'P3X': unknown designator 'X'; " EXPECTED},
	{"P3D2D",
	 "'P3D2D': components must appear once each, in the order Y M W D T H M S; " EXPECTED},
	{"P1D1Y",
	 "'P1D1Y': components must appear once each, in the order Y M W D T H M S; " EXPECTED},
	{"PT1M1H",
	 "'PT1M1H': components must appear once each, in the order Y M W D T H M S; " EXPECTED},
	{"P1DT1HT1M", "'P1DT1HT1M': T appears twice; " EXPECTED},
	{"P3DX", "'P3DX': unexpected 'X'; " EXPECTED},
	{"PD", "'PD': unexpected 'D'; " EXPECTED},
	{"P99999999999999999999D", "'P99999999999999999999D': number too large; " EXPECTED},
	{"P2147483648D",
	 "'P2147483648D': duration too long for a PostgreSQL interval; " EXPECTED},
	{"P178956971Y",
	 "'P178956971Y': duration too long for a PostgreSQL interval; " EXPECTED},
	{"P2147483647DT0H1W", "'P2147483647DT0H1W': years, weeks and days go before T (P1DT2H); "
			      EXPECTED},
	{"P306783379W1D",
	 "'P306783379W1D': duration too long for a PostgreSQL interval; " EXPECTED},
	{"PT9223372036855S",
	 "'PT9223372036855S': duration too long for a PostgreSQL interval; " EXPECTED},
	{"PT2562047788016H",
	 "'PT2562047788016H': duration too long for a PostgreSQL interval; " EXPECTED},
};

START_TEST(test_bad)
{
	struct duration d = {7, 7, 7};
	char err[256] = "";
	ck_assert_msg(duration_parse(bad[_i].s, &d, err, sizeof err) == -1, "accepted '%s'",
		      bad[_i].s);
	ck_assert_str_eq(err, bad[_i].msg);
	/* A failure leaves the output alone. */
	ck_assert_int_eq(d.months, 7);
	ck_assert_int_eq(d.days, 7);
	ck_assert_int_eq(d.seconds, 7);
}
END_TEST

START_TEST(test_null_and_short_buffers)
{
	struct duration d;
	char err[8];
	ck_assert_int_eq(duration_parse(NULL, &d, err, sizeof err), -1);
	ck_assert_str_eq(err, "empty d");
	ck_assert_int_eq(duration_parse("P", &d, err, sizeof err), -1);
	ck_assert_uint_eq(strlen(err), 7);

	char pg[10];
	ck_assert_int_eq(duration_parse("P1DT12H", &d, err, sizeof err), 0);
	duration_to_pg_interval(&d, pg, sizeof pg);
	ck_assert_str_eq(pg, "0 months ");
}
END_TEST

static long long approx(const char *s)
{
	struct duration d;
	char err[256];
	ck_assert_int_eq(duration_parse(s, &d, err, sizeof err), 0);
	return duration_approx_seconds(&d);
}

START_TEST(test_approx_ordering)
{
	ck_assert_int_eq(approx("PT0S"), 0);
	ck_assert_int_eq(approx("PT30M"), 1800);
	ck_assert_int_eq(approx("P1DT12H"), 129600);
	ck_assert_int_eq(approx("P1M"), 30LL * 86400);
	ck_assert_int_eq(approx("P1M"), approx("P30D"));
	ck_assert_int_lt(approx("PT30M"), approx("PT1H"));
	ck_assert_int_lt(approx("PT1H"), approx("P1D"));
	ck_assert_int_lt(approx("P3D"), approx("P30D"));
	ck_assert_int_lt(approx("P30D"), approx("P60D"));
	ck_assert_int_lt(approx("P1M"), approx("P1Y"));
	/* The largest duration the parser accepts still has an exact order. */
	ck_assert_int_gt(approx("P178956970Y7M2147483647DT9223372036854S"), approx("P1Y"));
}
END_TEST

Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("duration");
	tcase_add_loop_test(tc, test_good, 0, (int)(sizeof good / sizeof good[0]));
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_null_and_short_buffers);
	tcase_add_test(tc, test_approx_ordering);
	suite_add_tcase(s, tc);
	return s;
}
