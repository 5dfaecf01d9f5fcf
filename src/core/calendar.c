/* National holidays from the rules of 国民の祝日に関する法律 (昭和23年法律第178号,
 * "祝日法") as amended, each rule with the years it holds, and a table of
 * the days other laws set (see calendar.h). The law as it stands is assumed
 * to hold until 2099: a future amendment means a new year range here. */
#include "calendar.h"

#include <stddef.h>

long cal_days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's days_from_civil: exact for every Gregorian date. */
	long yy = (long)y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cal_civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int cal_weekday(long days)
{
	long w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
	return (int)(w < 0 ? w + 7 : w);
}

int cal_valid_date(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* The day of month of the n-th Monday of month m (ハッピーマンデー制度). */
static int nth_monday(int y, int m, int n)
{
	int w = cal_weekday(cal_days_from_civil(y, m, 1));
	int first = 1 + (8 - w) % 7;
	return first + 7 * (n - 1);
}

/* 春分日 and 秋分日: the law names the days 「春分日」「秋分日」, which the
 * National Astronomical Observatory announces each February for the next
 * year (暦要項). The standard approximation of those announcements, valid
 * 1980-2099:
 *   春分 = floor(20.8431 + 0.242194 (y - 1980) - floor((y - 1980) / 4))
 *   秋分 = floor(23.2488 + 0.242194 (y - 1980) - floor((y - 1980) / 4))
 * Done in integers (millionths) so that no rounding of a double can move a
 * day: the fractions are exact in this form. */
static int equinox_day(int y, long base_millionths)
{
	long k = y - 1980;
	long v = base_millionths + 242194L * k - 1000000L * (k / 4);
	return (int)(v / 1000000L);
}

/* Days set by laws other than 祝日法, and Olympic moves of 祝日法's own days.
 * A day here counts as a 国民の祝日 for 振替休日 and 国民の休日 (each law
 * says so). `replaces` names the fixed rule of that year the day replaces
 * (its usual date is then no holiday), or NULL. */
/* The names of the days that moved, one string each, so that moved_away
 * compares pointers. */
static const char N_UMI[] = "海の日";
static const char N_YAMA[] = "山の日";
static const char N_SPORTS[] = "スポーツの日";

struct one_off {
	int y, m, d;
	const char *name;
	const char *replaces;
};

static const struct one_off one_offs[] = {
	/* 天皇の即位の日及び即位礼正殿の儀の行われる日を休日とする法律 (平成30年法律第99号):
	 * 5月1日 and 10月22日 of 2019 are 休日, and 国民の祝日 for 祝日法 第3条第2項・
	 * 第3項 (第2条). 4月30日 and 5月2日 then follow as 国民の休日 (第3条第3項),
	 * between 昭和の日 and 即位の日 and between it and 憲法記念日. */
	{2019, 5, 1, "休日（天皇の即位の日）", NULL},
	{2019, 10, 22, "休日（即位礼正殿の儀の行われる日）", NULL},
	/* 令和二年東京オリンピック競技大会・東京パラリンピック競技大会特別措置法
	 * (平成27年法律第33号), its 国民の祝日に関する法律の特例 as added by
	 * 平成30年法律第55号: in 2020 海の日
	 * is 7月23日, スポーツの日 7月24日 and 山の日 8月10日. */
	{2020, 7, 23, N_UMI, N_UMI},
	{2020, 7, 24, N_SPORTS, N_SPORTS},
	{2020, 8, 10, N_YAMA, N_YAMA},
	/* The same law as amended by 令和2年法律第68号 (the Games postponed a year):
	 * in 2021 海の日 is 7月22日, スポーツの日 7月23日 and 山の日 8月8日, a Sunday, so
	 * 8月9日 is its 振替休日 (祝日法 第3条第2項). */
	{2021, 7, 22, N_UMI, N_UMI},
	{2021, 7, 23, N_SPORTS, N_SPORTS},
	{2021, 8, 8, N_YAMA, N_YAMA},
};

#define NONE_OFFS (sizeof one_offs / sizeof one_offs[0])

static int moved_away(int y, const char *name)
{
	for (size_t i = 0; i < NONE_OFFS; i++)
		if (one_offs[i].y == y && one_offs[i].replaces == name)
			return 1;
	return 0;
}

/* A 国民の祝日 of 祝日法 第2条 (as amended), or a day of one_offs; NULL when
 * year-month-day is none. */
static const char *shukujitsu(int y, int m, int d)
{
	for (size_t i = 0; i < NONE_OFFS; i++)
		if (one_offs[i].y == y && one_offs[i].m == m && one_offs[i].d == d)
			return one_offs[i].name;
	switch (m) {
	case 1:
		if (d == 1)
			return "元日";
		/* 成人の日: 1月15日 until 1999, the second Monday from 2000
		 * (平成10年法律第141号) */
		if (y >= 2000 ? d == nth_monday(y, 1, 2) : d == 15)
			return "成人の日";
		break;
	case 2:
		if (d == 11)
			return "建国記念の日";
		/* 天皇誕生日 2月23日 from 2020 (天皇の退位等に関する皇室典範特例法,
		 * 平成29年法律第63号, 附則: 祝日法の改正) */
		if (d == 23 && y >= 2020)
			return "天皇誕生日";
		break;
	case 3:
		if (d == equinox_day(y, 20843100L))
			return "春分の日";
		break;
	case 4:
		/* 4月29日: みどりの日 until 2006, 昭和の日 from 2007 (平成17年法律第43号) */
		if (d == 29)
			return y >= 2007 ? "昭和の日" : "みどりの日";
		break;
	case 5:
		if (d == 3)
			return "憲法記念日";
		/* みどりの日 5月4日 from 2007 (平成17年法律第43号); before, 5月4日 was a
		 * 国民の休日 between two 祝日 */
		if (d == 4 && y >= 2007)
			return "みどりの日";
		if (d == 5)
			return "こどもの日";
		break;
	case 7:
		/* 海の日: 7月20日 from 1996, the third Monday from 2003
		 * (平成13年法律第59号) */
		if ((y >= 2003 ? d == nth_monday(y, 7, 3) : (y >= 1996 && d == 20)) &&
		    !moved_away(y, N_UMI))
			return N_UMI;
		break;
	case 8:
		/* 山の日 8月11日 from 2016 (平成26年法律第43号) */
		if (d == 11 && y >= 2016 && !moved_away(y, N_YAMA))
			return N_YAMA;
		break;
	case 9:
		/* 敬老の日: 9月15日 until 2002, the third Monday from 2003
		 * (平成13年法律第59号) */
		if (y >= 2003 ? d == nth_monday(y, 9, 3) : d == 15)
			return "敬老の日";
		if (d == equinox_day(y, 23248800L))
			return "秋分の日";
		break;
	case 10:
		/* 体育の日: 10月10日 until 1999, the second Monday 2000-2019
		 * (平成10年法律第141号); renamed スポーツの日 from 2020 (平成30年法律第57号) */
		if (y >= 2000 ? d == nth_monday(y, 10, 2) : d == 10) {
			if (y < 2020)
				return "体育の日";
			if (!moved_away(y, N_SPORTS))
				return N_SPORTS;
		}
		break;
	case 11:
		if (d == 3)
			return "文化の日";
		if (d == 23)
			return "勤労感謝の日";
		break;
	case 12:
		/* 天皇誕生日 12月23日 1989-2018; 2019 has none (the 2月23日 one starts
		 * in 2020) */
		if (d == 23 && y >= 1989 && y <= 2018)
			return "天皇誕生日";
		break;
	}
	return NULL;
}

static const char *shukujitsu_days(long days)
{
	int y, m, d;
	cal_civil_from_days(days, &y, &m, &d);
	return shukujitsu(y, m, d);
}

int cal_is_holiday(int y, int m, int d, const char **name_ja)
{
	if (y < CAL_FIRST_YEAR || y > CAL_LAST_YEAR || !cal_valid_date(y, m, d))
		return -1;
	const char *name = shukujitsu(y, m, d);
	long days = cal_days_from_civil(y, m, d);
	if (!name) {
		/* 振替休日, 祝日法 第3条第2項. From 2007 (平成17年法律第43号): a 祝日 on a
		 * Sunday makes the nearest following day that is no 祝日 a 休日, so walk
		 * back over 祝日 to a Sunday. Until 2006: only the day after a 祝日 on
		 * a Sunday (the Monday), if it is no 祝日 itself. */
		if (y >= 2007) {
			for (long k = days - 1; shukujitsu_days(k); k--)
				if (cal_weekday(k) == 0) {
					name = "振替休日";
					break;
				}
		} else if (cal_weekday(days) == 1 && shukujitsu_days(days - 1)) {
			name = "振替休日";
		}
	}
	if (!name && shukujitsu_days(days - 1) && shukujitsu_days(days + 1)) {
		/* 国民の休日, 祝日法 第3条第3項: a day that is no 祝日 between two 祝日.
		 * Until 2006 the law left out Sundays and 振替休日 (the latter handled
		 * above); a Sunday is no office day either way. */
		if (y >= 2007 || cal_weekday(days) != 0)
			name = "国民の休日";
	}
	if (!name)
		return 0;
	if (name_ja)
		*name_ja = name;
	return 1;
}
