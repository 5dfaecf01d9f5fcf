/* Deadlines in words, Japan time; see timefmt.h. */
#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>

#define JST_OFFSET (9 * 3600)
#define YEAR_SHOWN_AFTER (300LL * 86400)

static const char *const WD_JA[7] = {"日", "月", "火", "水", "木", "金", "土"};
static const char *const WD_EN[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const MON_EN[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int is_en(const char *lang)
{
	return lang && strcmp(lang, "en") == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static long long floor_div(long long a, long long b)
{
	long long q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Japan-time calendar fields of t. */
static void jst_fields(time_t t, int *year, int *mon, int *day, int *wday, int *hour, int *min)
{
	long long s = (long long)t + JST_OFFSET;
	long long days = floor_div(s, 86400);
	long long rem = s - days * 86400;
	*hour = (int)(rem / 3600);
	*min = (int)(rem % 3600 / 60);
	*wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	/* civil_from_days */
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(y + (*mon <= 2));
}

/* "12月10日(木)" / "Thu 10 Dec", with the year when far from now. */
static void put_date(char *out, size_t n, int en, int y, int m, int d, int wd, int with_year)
{
	if (en) {
		if (with_year)
			snprintf(out, n, "%s %d %s %d", WD_EN[wd], d, MON_EN[m - 1], y);
		else
			snprintf(out, n, "%s %d %s", WD_EN[wd], d, MON_EN[m - 1]);
	} else {
		if (with_year)
			snprintf(out, n, "%d年%d月%d日(%s)", y, m, d, WD_JA[wd]);
		else
			snprintf(out, n, "%d月%d日(%s)", m, d, WD_JA[wd]);
	}
}

static int far_apart(long long a, long long b)
{
	long long d = a - b;
	return d > YEAR_SHOWN_AFTER || d < -YEAR_SHOWN_AFTER;
}

/* A span of s >= 0 seconds, cut down: "2日3時間" / "2 days 3 hours". */
static void put_span(char *out, size_t n, int en, long long s)
{
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
	long long a, b;
	const char *ua1, *ua, *ub1, *ub, *ja_a, *ja_b;
	if (d > 0) {
		a = d, b = h;
		ua1 = "day", ua = "days", ub1 = "hour", ub = "hours", ja_a = "日", ja_b = "時間";
	} else if (h > 0) {
		a = h, b = m;
		ua1 = "hour", ua = "hours", ub1 = "minute", ub = "minutes", ja_a = "時間", ja_b = "分";
	} else {
		if (en)
			snprintf(out, n, "%lld %s", m, m == 1 ? "minute" : "minutes");
		else
			snprintf(out, n, "%lld分", m);
		return;
	}
	if (en) {
		if (b)
			snprintf(out, n, "%lld %s %lld %s", a, a == 1 ? ua1 : ua, b, b == 1 ? ub1 : ub);
		else
			snprintf(out, n, "%lld %s", a, a == 1 ? ua1 : ua);
	} else {
		if (b)
			snprintf(out, n, "%lld%s%lld%s", a, ja_a, b, ja_b);
		else
			snprintf(out, n, "%lld%s", a, ja_a);
	}
}

int timefmt_overdue(time_t due, time_t now)
{
	return (long long)now > (long long)due;
}

char *timefmt_due(time_t due, time_t now, const char *lang, char *out, size_t n)
{
	if (!out || n == 0)
		return out;
	int en = is_en(lang), y, m, d, wd, hh, mm;
	jst_fields(due, &y, &m, &d, &wd, &hh, &mm);
	char date[64];
	put_date(date, sizeof date, en, y, m, d, wd, far_apart(due, now));
	if (en)
		snprintf(out, n, "by %s %02d:%02d", date, hh, mm);
	else
		snprintf(out, n, "%s %02d:%02d まで", date, hh, mm);
	return out;
}

char *timefmt_left(time_t due, time_t now, const char *lang, char *out, size_t n)
{
	if (!out || n == 0)
		return out;
	int en = is_en(lang);
	long long diff = (long long)due - (long long)now;
	char span[64];
	put_span(span, sizeof span, en, diff >= 0 ? diff : -diff);
	if (diff >= 0)
		snprintf(out, n, en ? "%s left" : "あと%s", span);
	else
		snprintf(out, n, en ? "%s overdue" : "%s 超過", span);
	return out;
}

char *timefmt_deadline(time_t due, time_t now, const char *lang, char *out, size_t n)
{
	if (!out || n == 0)
		return out;
	if (timefmt_overdue(due, now))
		return timefmt_left(due, now, lang, out, n);
	char when[TIMEFMT_MAX], left[TIMEFMT_MAX];
	timefmt_due(due, now, lang, when, sizeof when);
	timefmt_left(due, now, lang, left, sizeof left);
	snprintf(out, n, is_en(lang) ? "%s · %s" : "%s・%s", when, left);
	return out;
}

char *timefmt_last_day(int year, int month, int day, time_t now, const char *lang, char *out,
		       size_t n)
{
	if (!out || n == 0)
		return NULL;
	out[0] = '\0';
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > mdays[month - 1])
		return NULL;
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (month == 2 && day == 29 && !leap)
		return NULL;
	long long days = days_from_civil(year, month, day);
	int wd = (int)((days % 7 + 11) % 7);
	long long noon = days * 86400 + 12 * 3600 - JST_OFFSET; /* that day, Japan time */
	int en = is_en(lang);
	char date[64];
	put_date(date, sizeof date, en, year, month, day, wd, far_apart(noon, now));
	snprintf(out, n, en ? "by %s" : "%sまで", date);
	return out;
}
