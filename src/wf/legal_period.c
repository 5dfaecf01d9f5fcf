/* Legal periods in days (see legal_period.h for the rules and their
 * sources; docs/legal.md for what was decided). */
#include "legal_period.h"

#define JST_OFFSET (9 * 3600)
#define DAY 86400L

long legal_day_of(time_t t)
{
	long long j = (long long)t + JST_OFFSET;
	return (long)(j >= 0 ? j / DAY : -((-j + DAY - 1) / DAY));
}

time_t legal_day_end(long day)
{
	return (time_t)((day + 1) * DAY - JST_OFFSET);
}

static int in_range(long day)
{
	return day >= cal_days_from_civil(CAL_FIRST_YEAR, 1, 1) &&
	       day <= cal_days_from_civil(CAL_LAST_YEAR, 12, 31);
}

int legal_closed_day(long day)
{
	if (!in_range(day))
		return -1;
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	int w = cal_weekday(day);
	/* 行政機関の休日に関する法律 第1条第1項: 一 日曜日及び土曜日, 二 国民の祝日に
	 * 関する法律に規定する休日, 三 十二月二十九日から翌年の一月三日までの日 */
	if (w == 0 || w == 6 || (m == 12 && d >= 29) || (m == 1 && d <= 3))
		return 1;
	return cal_is_holiday(y, m, d, NULL);
}

int legal_last_day(long aware_day, int days, long *last)
{
	if (days < 1 || !in_range(aware_day))
		return -1;
	/* day 1 is the day of awareness (通則編 3-5-3-4), not 民法 第140条 */
	long day = aware_day + days - 1;
	int closed;
	/* 同法 第2条: the day after the 行政機関の休日 */
	while ((closed = legal_closed_day(day)) == 1)
		day++;
	if (closed < 0)
		return -1;
	*last = day;
	return 0;
}

int legal_final_report_last_day(time_t aware, int malicious, long *last)
{
	/* 施行規則 第44条 (第8条第2項): 三十日以内, 不正の目的 六十日以内 */
	return legal_last_day(legal_day_of(aware), malicious ? 60 : 30, last);
}

int legal_preliminary_report_days(time_t aware, long *target, long *outer)
{
	long day = legal_day_of(aware);
	/* 通則編 3-5-3-3: おおむね3〜5日; counted like the 確報, never moved */
	if (!in_range(day) || !in_range(day + 4))
		return -1;
	*target = day + 2;
	*outer = day + 4;
	return 0;
}

int legal_internal_target(const struct calendar *cal, long aware_day, long last_day, int margin,
			  long *target)
{
	if (margin < 0 || last_day < aware_day || !in_range(aware_day) || !in_range(last_day))
		return -1;
	long day = last_day;
	int y, m, d, od, left = margin;
	for (;; day--) {
		if (day < aware_day) {
			*target = aware_day;
			return 0;
		}
		cal_civil_from_days(day, &y, &m, &d);
		od = cal_is_office_day(cal, y, m, d, NULL);
		if (od < 0)
			return -1;
		if (od && left-- == 0)
			break;
	}
	*target = day;
	return 0;
}
