/* One way to write a deadline, everywhere (pages, mails, dashboard): Japan
 * time (UTC+9, no daylight saving), the page's or recipient's language.
 *
 *   timefmt_deadline  "12月10日(木) 05:35 まで・あと2日3時間"   "1日4時間 超過"
 *                     "by Thu 10 Dec 05:35 · 2 days 3 hours left"   "1 day 4 hours overdue"
 *   timefmt_due       "12月10日(木) 05:35 まで"         "by Thu 10 Dec 05:35"
 *   timefmt_left      "あと2日3時間" / "1日4時間 超過"   "2 days 3 hours left" / "1 day 4 hours overdue"
 *   timefmt_last_day  "1月6日(水)まで"                 "by Wed 6 Jan"   (a date-only legal last day)
 *
 * The year is written ("2027年1月6日(水)まで", "by Wed 6 Jan 2027") only when
 * the date is more than 300 days from now. A span is cut down (never rounded
 * up) to days and hours from one day, to hours and minutes under a day, to
 * minutes under an hour ("あと45分", "あと0分" in the last minute); zero
 * parts are left out ("あと2日", "2 days left"). Exactly at the due moment a
 * deadline is not yet overdue.
 *
 * Every function writes a NUL-terminated string of at most n - 1 bytes into
 * out (TIMEFMT_MAX is always enough), returns out, and is thread-safe. lang
 * is "en" for English; anything else is Japanese. Times are Unix seconds. */
#ifndef SOKUHO_TIMEFMT_H
#define SOKUHO_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TIMEFMT_MAX 128

/* Whole deadline: when it is due and how long is left, or, once past, only
 * how long it is overdue. */
char *timefmt_deadline(time_t due, time_t now, const char *lang, char *out, size_t n);
/* When it is due: the date, weekday and time with まで / "by". */
char *timefmt_due(time_t due, time_t now, const char *lang, char *out, size_t n);
/* How long is left (あと… / "… left") or how long it is overdue (… 超過 /
 * "… overdue"). */
char *timefmt_left(time_t due, time_t now, const char *lang, char *out, size_t n);
/* A legal last day given as a calendar date (year, month 1-12, day 1-31,
 * Japan's calendar): "1月6日(水)まで" / "by Wed 6 Jan". An impossible date
 * writes "" and returns NULL. */
char *timefmt_last_day(int year, int month, int day, time_t now, const char *lang, char *out,
		       size_t n);
/* Whether a deadline is overdue at now (now > due). */
int timefmt_overdue(time_t due, time_t now);

#endif
