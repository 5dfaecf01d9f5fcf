/* National holidays from the rules of 国民の祝日に関する法律 (昭和23年法律第178号,
 * "祝日法") as amended, each rule with the years it holds, and a table of
 * the days other laws set; then the city's office days and office time (see
 * calendar.h). The law as it stands is assumed to hold until 2099: a future
 * amendment means a new year range here. */
#include "calendar.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

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

/* ---- the city calendar ---- */

#define JST_OFFSET (9 * 3600)
#define DAY 86400L

void cal_init(struct calendar *cal)
{
	memset(cal, 0, sizeof *cal);
	cal->open_min = 8 * 60 + 30;
	cal->close_min = 17 * 60 + 15;
	cal->year_end_closure = 1;
}

static void extra_free(struct cal_extra *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(x[i].name);
	free(x);
}

void cal_release(struct calendar *cal)
{
	extra_free(cal->extra, cal->nextra);
	cal_init(cal);
}

static int parse_hhmm(const char *s, int *min)
{
	if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
	      s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9'))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

int cal_parse_office_hours(const char *spec, int *open_min, int *close_min, char *err,
			   size_t errlen)
{
	int o, c;
	if (strlen(spec) != 11 || spec[5] != '-' || parse_hhmm(spec, &o) < 0 ||
	    parse_hhmm(spec + 6, &c) < 0) {
		snprintf(err, errlen, "bad office hours '%s': expected HH:MM-HH:MM, such as 08:30-17:15",
			 spec);
		return -1;
	}
	if (o >= c) {
		snprintf(err, errlen, "bad office hours '%s': the opening must come before the closing",
			 spec);
		return -1;
	}
	*open_min = o;
	*close_min = c;
	return 0;
}

int cal_setup(struct calendar *cal, const char *office_hours, const char *file, char *err,
	      size_t errlen)
{
	cal_init(cal);
	if (office_hours && *office_hours &&
	    cal_parse_office_hours(office_hours, &cal->open_min, &cal->close_min, err, errlen) < 0)
		return -1;
	if (file && *file && cal_load_file(cal, file, err, errlen) < 0) {
		cal_init(cal);
		return -1;
	}
	return 0;
}

static const struct cal_extra *find_extra(const struct cal_extra *x, size_t n, long day)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x[mid].day == day)
			return &x[mid];
		if (x[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The office day rule without the file's extra days: a weekday that is no
 * national holiday and, with year_end, not 12月29日-1月3日. Those are the
 * 休日 of 地方自治法 第4条の2 第2項 as a city's 休日条例 usually fixes them
 * (土曜日・日曜日, 国民の祝日に関する法律に規定する休日, 年末年始 "12月29日から翌年の
 * 1月3日まで"); the city file adds what its own 条例 says beyond that. */
static int base_office_day(int year_end, long day, int y, int m, int d, const char **why)
{
	int w = cal_weekday(day);
	const char *name;
	if (w == 0 || w == 6) {
		*why = w == 0 ? "日曜日" : "土曜日";
		return 0;
	}
	if (cal_is_holiday(y, m, d, &name) == 1) {
		*why = name;
		return 0;
	}
	if (year_end && ((m == 12 && d >= 29) || (m == 1 && d <= 3))) {
		*why = "年末年始の休日";
		return 0;
	}
	*why = NULL;
	return 1;
}

static int in_range(long day)
{
	return day >= cal_days_from_civil(CAL_FIRST_YEAR, 1, 1) &&
	       day <= cal_days_from_civil(CAL_LAST_YEAR, 12, 31);
}

/* Whether day (a day number) is an office day; -1 out of range. */
static int office_day(const struct calendar *cal, long day, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!in_range(day))
		return -1;
	const struct cal_extra *x = find_extra(cal->extra, cal->nextra, day);
	if (x) {
		*why = x->name;
		return x->open;
	}
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	return base_office_day(cal->year_end_closure, day, y, m, d, why);
}

int cal_is_office_day(const struct calendar *cal, int y, int m, int d, const char **why)
{
	if (!cal_valid_date(y, m, d))
		return -1;
	return office_day(cal, cal_days_from_civil(y, m, d), why);
}

/* The day number of moment t in Japan, and the moments its office hours
 * open and close. */
static long day_of(time_t t)
{
	long long j = (long long)t + JST_OFFSET;
	return (long)(j >= 0 ? j / DAY : -((-j + DAY - 1) / DAY));
}

static time_t opens(const struct calendar *cal, long day)
{
	return (time_t)(day * DAY - JST_OFFSET + cal->open_min * 60L);
}

static time_t closes(const struct calendar *cal, long day)
{
	return (time_t)(day * DAY - JST_OFFSET + cal->close_min * 60L);
}

time_t cal_office_next(const struct calendar *cal, time_t t)
{
	return cal_office_add(cal, t, 0);
}

time_t cal_office_add(const struct calendar *cal, time_t t, long seconds)
{
	if (seconds < 0)
		return (time_t)-1;
	long remaining = seconds;
	for (long day = day_of(t);; day++) {
		int od = office_day(cal, day, NULL);
		if (od < 0)
			return (time_t)-1;
		if (!od)
			continue;
		time_t o = opens(cal, day), c = closes(cal, day);
		time_t start = t > o ? t : o;
		if (start >= c)
			continue;
		long avail = (long)(c - start);
		if (remaining < avail)
			return start + remaining;
		remaining -= avail;
	}
}

time_t cal_office_sub(const struct calendar *cal, time_t t, long seconds)
{
	if (seconds < 0)
		return (time_t)-1;
	long remaining = seconds;
	for (long day = day_of(t);; day--) {
		int od = office_day(cal, day, NULL);
		if (od < 0)
			return (time_t)-1;
		if (!od)
			continue;
		time_t o = opens(cal, day), c = closes(cal, day);
		time_t end = t < c ? t : c; /* office time of this day before t: [o, end) */
		if (end < o)
			continue;
		/* the latest office moment u with end - u >= remaining */
		time_t u = end - remaining;
		if (u > c - 1)
			u = c - 1;
		if (u >= o)
			return u;
		remaining -= (long)(end - o);
	}
}

long cal_office_between(const struct calendar *cal, time_t a, time_t b)
{
	if (b <= a)
		return 0;
	long total = 0;
	for (long day = day_of(a); day <= day_of(b); day++) {
		int od = office_day(cal, day, NULL);
		if (od < 0)
			return -1;
		if (!od)
			continue;
		time_t o = opens(cal, day), c = closes(cal, day);
		time_t lo = a > o ? a : o, hi = b < c ? b : c;
		if (hi > lo)
			total += (long)(hi - lo);
	}
	return total;
}

/* ---- the city calendar file ---- */

static int parse_date(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
			return -1;
	*y = atoi(s);
	*m = atoi(s + 5);
	*d = atoi(s + 8);
	if (!cal_valid_date(*y, *m, *d) || *y < CAL_FIRST_YEAR || *y > CAL_LAST_YEAR)
		return -1;
	return 0;
}

static int cmp_extra(const void *a, const void *b)
{
	long x = ((const struct cal_extra *)a)->day, y = ((const struct cal_extra *)b)->day;
	return (x > y) - (x < y);
}

/* Reads the days of list `key` (open 1 or 0) into x; -1 with err set. */
static int read_days(const char *path, json_t *root, const char *key, int open, int year_end,
		     struct cal_extra **x, size_t *n, char *err, size_t errlen)
{
	json_t *list = json_object_get(root, key);
	if (!list)
		return 0;
	if (!json_is_array(list)) {
		snprintf(err, errlen, "%s: %s: expected a list of {\"date\", \"name\"}", path, key);
		return -1;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		const char *k;
		json_t *v;
		if (!json_is_object(item)) {
			snprintf(err, errlen, "%s: %s[%zu]: expected {\"date\": \"YYYY-MM-DD\", "
				 "\"name\": \"...\"}", path, key, i);
			return -1;
		}
		json_object_foreach(item, k, v) {
			if (strcmp(k, "date") && strcmp(k, "name")) {
				snprintf(err, errlen, "%s: %s[%zu]: unknown key '%s' (expected date "
					 "and name)", path, key, i, k);
				return -1;
			}
		}
		const char *date = json_string_value(json_object_get(item, "date"));
		const char *name = json_string_value(json_object_get(item, "name"));
		int y, m, d;
		if (!date || parse_date(date, &y, &m, &d) < 0) {
			snprintf(err, errlen, "%s: %s[%zu].date: bad date '%s': expected YYYY-MM-DD "
				 "from %d to %d", path, key, i, date ? date : "(missing)",
				 CAL_FIRST_YEAR, CAL_LAST_YEAR);
			return -1;
		}
		if (!name || !*name) {
			snprintf(err, errlen, "%s: %s[%zu].name: missing: say why %s is %s", path,
				 key, i, date, open ? "open" : "closed");
			return -1;
		}
		long day = cal_days_from_civil(y, m, d);
		const char *why;
		int base = base_office_day(year_end, day, y, m, d, &why);
		if (open && base) {
			snprintf(err, errlen, "%s: %s[%zu]: %s is an office day already", path, key,
				 i, date);
			return -1;
		}
		if (!open && !base) {
			snprintf(err, errlen, "%s: %s[%zu]: %s is closed already (%s)", path, key, i,
				 date, why);
			return -1;
		}
		*x = xrealloc(*x, (*n + 1) * sizeof **x);
		(*x)[*n].day = day;
		(*x)[*n].open = open;
		(*x)[*n].name = xstrdup(name);
		(*n)++;
	}
	return 0;
}

int cal_load_file(struct calendar *cal, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	struct cal_extra *x = NULL;
	size_t n = 0;
	int rc = -1;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line < 0 || strstr(jerr.text, "unable to open"))
			snprintf(err, errlen, "unable to read calendar file '%s': %s", path, jerr.text);
		else
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: expected an object with year_end_closure, closed and open",
			 path);
		goto out;
	}
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v) {
		if (strcmp(k, "year_end_closure") && strcmp(k, "closed") && strcmp(k, "open")) {
			snprintf(err, errlen, "%s: unknown key '%s' (expected year_end_closure, "
				 "closed, open)", path, k);
			goto out;
		}
	}
	int year_end = 1;
	json_t *ye = json_object_get(root, "year_end_closure");
	if (ye && !json_is_boolean(ye)) {
		snprintf(err, errlen, "%s: year_end_closure: expected true or false", path);
		goto out;
	}
	if (ye)
		year_end = json_is_true(ye);
	if (read_days(path, root, "closed", 0, year_end, &x, &n, err, errlen) < 0 ||
	    read_days(path, root, "open", 1, year_end, &x, &n, err, errlen) < 0)
		goto out;
	if (n)
		qsort(x, n, sizeof *x, cmp_extra);
	for (size_t i = 1; i < n; i++)
		if (x[i].day == x[i - 1].day) {
			int y, m, d;
			cal_civil_from_days(x[i].day, &y, &m, &d);
			snprintf(err, errlen, "%s: %04d-%02d-%02d is listed twice", path, y, m, d);
			goto out;
		}
	extra_free(cal->extra, cal->nextra);
	cal->extra = x;
	cal->nextra = n;
	cal->year_end_closure = year_end;
	x = NULL;
	n = 0;
	rc = 0;
out:
	extra_free(x, n);
	json_decref(root);
	return rc;
}
