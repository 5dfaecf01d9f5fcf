/* The Japanese government calendar: national holidays (国民の祝日 and the
 * other 休日 of 国民の祝日に関する法律, plus the one-off days of other laws)
 * for 2000-2099. Pure functions of the date: no database, no allocation,
 * thread-safe. Dates are Japan's calendar (Asia/Tokyo, UTC+9, no daylight
 * saving).
 *
 *   const char *name;
 *   if (cal_is_holiday(2027, 1, 11, &name) == 1)   // 成人の日
 *           printf("%s\n", name);
 */
#ifndef SOKUHO_CALENDAR_H
#define SOKUHO_CALENDAR_H

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

#endif
