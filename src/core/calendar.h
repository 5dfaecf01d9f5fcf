/* The Japanese government calendar and the city's office time.
 *
 * National holidays (国民の祝日 and the other 休日 of 国民の祝日に関する法律,
 * plus the one-off days of other laws) for 2000-2099: pure functions of the
 * date, no allocation, thread-safe.
 *
 * A city calendar (struct calendar) adds the city's closures: 12月29日-1月3日
 * by default, and extra closed or open days from a file (calendar_file, see
 * cal_load_file), with office hours (office_hours, default 08:30-17:15). An
 * office day is a weekday that is no national holiday and no closure, or a
 * day the file opens. Office time is [open, close) of each office day; times
 * are Unix seconds and dates Japan's calendar (Asia/Tokyo, UTC+9, no
 * daylight saving). A loaded calendar is read-only: any number of threads
 * may use it at once.
 *
 *   struct calendar cal;
 *   cal_init(&cal);
 *   if (cal_load_file(&cal, "calendar/city.json", err, sizeof err) < 0) ...
 *   time_t due = cal_office_add(&cal, now, 4 * 3600);   // 4 office hours
 *   cal_release(&cal);
 */
#ifndef SOKUHO_CALENDAR_H
#define SOKUHO_CALENDAR_H

#include <stddef.h>
#include <time.h>

#define CAL_FIRST_YEAR 2000
#define CAL_LAST_YEAR 2099

/* Whether year-month-day (month 1-12) is a national holiday: a 国民の祝日,
 * a 振替休日, a 国民の休日 or a day another law makes one (2019's 即位 days,
 * the Olympic moves of 2020 and 2021). Returns 1 and, when name_ja is not
 * NULL, points it at the day's Japanese name (a static string); 0 when it is
 * not one (name_ja untouched); -1 for a date that does not exist or lies
 * outside CAL_FIRST_YEAR-CAL_LAST_YEAR. Weekends are not holidays here. */
int cal_is_holiday(int y, int m, int d, const char **name_ja);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long cal_days_from_civil(int y, int m, int d);
void cal_civil_from_days(long days, int *y, int *m, int *d);
/* Day of the week of a day number: 0 Sunday ... 6 Saturday. */
int cal_weekday(long days);
/* 1 when year-month-day is a real date (month 1-12, day within the month). */
int cal_valid_date(int y, int m, int d);


/* One extra day of the city calendar file. */
struct cal_extra {
	long day;   /* cal_days_from_civil */
	int open;   /* 1: an office day it would not be; 0: closed */
	char *name; /* why, from the file */
};

struct calendar {
	int open_min, close_min; /* office hours, minutes after midnight Japan time */
	int year_end_closure;    /* 1: 12月29日-1月3日 are closed */
	struct cal_extra *extra; /* sorted by day, at most one per day */
	size_t nextra;
};

/* The defaults: 08:30-17:15, the year-end closure, no extra days. */
void cal_init(struct calendar *cal);
/* Frees the extra days and sets the defaults again. */
void cal_release(struct calendar *cal);

/* Parses office hours "HH:MM-HH:MM" (00:00-24:00, opening before closing)
 * into minutes after midnight. Returns 0, or -1 with a message for people in
 * err (the value quoted). */
int cal_parse_office_hours(const char *spec, int *open_min, int *close_min, char *err,
			   size_t errlen);

/* Reads a city calendar file, JSON:
 *   {"year_end_closure": true,
 *    "closed": [{"date": "2027-06-01", "name": "市制記念日"}],
 *    "open":   [{"date": "2027-03-27", "name": "年度末の休日開庁"}]}
 * Every key is optional; an unknown key, a bad date (YYYY-MM-DD within
 * 2000-2099), a missing name, a day listed twice, a closed day that is no
 * office day anyway or an open day that is one already is an error naming
 * the file and JSON path. Returns 0 and replaces cal's extra days and
 * closure flag (office hours are kept), or -1 with cal unchanged. */
int cal_load_file(struct calendar *cal, const char *path, char *err, size_t errlen);

/* cal_init, then the office hours (NULL or "" keeps 08:30-17:15) and the
 * calendar file (NULL or "": none) as the configuration gives them
 * (office_hours, calendar_file). Returns 0, or -1 with a message in err and
 * cal holding the defaults. */
int cal_setup(struct calendar *cal, const char *office_hours, const char *file, char *err,
	      size_t errlen);

/* Whether year-month-day is an office day of cal: 1 yes, 0 no, -1 a bad
 * date or one outside 2000-2099. When why is not NULL it is set to the
 * reason for a closed day (a holiday's name, 土曜日, 日曜日, 年末年始, the
 * file's name) or for an extra open day, else to NULL; the string lives as
 * long as cal. */
int cal_is_office_day(const struct calendar *cal, int y, int m, int d, const char **why);

/* The first moment at or after t inside office hours (t itself when it is
 * in them). (time_t)-1 when there is none before the end of 2099 or t is
 * before 2000. */
time_t cal_office_next(const struct calendar *cal, time_t t);
/* The first moment inside office hours by which `seconds` (>= 0) of office
 * time have passed since t; cal_office_add(t, 0) == cal_office_next(t). So a
 * duration that ends exactly at closing time ends at the next opening.
 * (time_t)-1 past 2099, before 2000, or for negative seconds. */
time_t cal_office_add(const struct calendar *cal, time_t t, long seconds);
/* Counting back: the latest moment u <= t inside office hours with at least
 * `seconds` (>= 0) of office time in [u, t). For an office moment s,
 * cal_office_sub(cal_office_add(s, n), n) == s. (time_t)-1 as for add. */
time_t cal_office_sub(const struct calendar *cal, time_t t, long seconds);
/* Seconds of office time in [a, b); 0 when b <= a. -1 outside 2000-2099. */
long cal_office_between(const struct calendar *cal, time_t a, time_t b);

#endif
