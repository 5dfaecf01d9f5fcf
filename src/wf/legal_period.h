/* Legal periods counted as the law counts them, in days of Japan's calendar,
 * in this one place (docs/legal.md says what was decided, why, and what
 * still needs a lawyer's reading):
 *
 * - The PPC's 確報 (個人情報保護法 第68条第1項; 個人情報保護法施行規則 第44条, and
 *   第8条第2項 for businesses, the same wording): "当該事態を知った日から三十日
 *   以内（不正の目的をもって行われたおそれがある事態にあっては、六十日以内）".
 *   The PPC's guidelines (通則編 3-5-3-4) count the day the city became aware
 *   as day 1 — not 民法 第140条, under which the first day would not count —
 *   so the last day is aware + 29 (or + 59) days. The period ends at the end
 *   of that day. The My Number report (番号法 第29条の4; 特定個人情報の漏えい等に
 *   関する報告等に関する規則) has the same 30/60 days.
 * - A last day on which administrative organs are closed (行政機関の休日: Saturdays,
 *   Sundays, the 休日 of 祝日法, 12月29日-1月3日; 行政機関の休日に関する法律
 *   第1条第1項) moves to the day after those closed days (同法 第2条: the
 *   report goes to the PPC, a national organ, so the city's own 閉庁日 do not
 *   move it).
 * - The 速報 is "速やかに" (施行規則 第44条第1項 / 第8条第1項); the guidelines
 *   (通則編 3-5-3-3) put it at おおむね3〜5日 from becoming aware. That is no legal
 *   last day: the target is day 3 and day 5 the outer edge of the guidance,
 *   counted the same way (day 1 the day of awareness) and never moved for
 *   closed days — the PPC's form takes reports every day, and a legal clock
 *   does not pause unless its rule says so.
 * - The city's internal target is an office day of its own calendar a given
 *   number of office days before the legal last day, never after it.
 *
 * Days are day numbers (cal_days_from_civil) of Japan's calendar; moments are
 * Unix seconds. Pure functions: no allocation, thread-safe. */
#ifndef SOKUHO_LEGAL_PERIOD_H
#define SOKUHO_LEGAL_PERIOD_H

#include <time.h>

#include "core/calendar.h"

/* The day number, in Japan, of moment t. */
long legal_day_of(time_t t);
/* The first moment after day ends (the next day's 00:00 in Japan): a period
 * whose last day is `day` is overdue from then on. */
time_t legal_day_end(long day);

/* 1 when day is a 行政機関の休日 (行政機関の休日に関する法律 第1条第1項), 0 when
 * not, -1 outside 2000-2099. */
int legal_closed_day(long day);

/* The last day of a period of `days` days (>= 1) counted with the day of
 * awareness as day 1, moved past 行政機関の休日 (第2条). Returns 0 and sets
 * *last, or -1 outside 2000-2099 or for days < 1. */
int legal_last_day(long aware_day, int days, long *last);

/* The PPC's (and the My Number report's) 確報: 30 days, 60 when the leak may
 * have been done for an improper purpose (malicious != 0), from the moment
 * the city became aware. 0 or -1 as legal_last_day. */
int legal_final_report_last_day(time_t aware, int malicious, long *last);

/* The 速報's guidance: *target is day 3, *outer day 5 (day 1 the day of
 * awareness), not moved for closed days. 0, or -1 outside 2000-2099. */
int legal_preliminary_report_days(time_t aware, long *target, long *outer);

/* The city's internal target for a legal last day: the office day of cal
 * that lies `margin` office days (>= 0) before the last office day on or
 * before last_day; aware_day itself when that would be earlier. So never
 * later than last_day. Returns 0 and sets *target, or -1 outside 2000-2099,
 * for margin < 0 or for last_day before aware_day. */
int legal_internal_target(const struct calendar *cal, long aware_day, long last_day, int margin,
			  long *target);

#endif
