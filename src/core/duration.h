/* ISO 8601 durations (PnYnMnWnDTnHnMnS, whole numbers only) as workflow files
 * write deadlines and escalation delays. Months, days and seconds are kept
 * apart, as PostgreSQL's interval does, so P1M is a calendar month. */
#ifndef SOKUHO_DURATION_H
#define SOKUHO_DURATION_H

#include <stddef.h>

struct duration {
	long long months;  /* years * 12 + months */
	long long days;    /* weeks * 7 + days */
	long long seconds; /* hours * 3600 + minutes * 60 + seconds */
};

/* Room enough for any duration_to_pg_interval output, with its NUL. */
#define DURATION_PG_INTERVAL_MAX 96

/* Parses s ("P3D", "PT30M", "P1DT12H", "PT0S", "P1Y2M3W4DT5H6M7S"). Designators
 * are upper case and in that order, each at most once; at least one component
 * is required ("P" and "PT" are refused); no sign, fraction, space or trailing
 * text. Each total must fit a PostgreSQL interval (months and days in 32 bits).
 * Returns 0 and fills *out, or -1 (leaving *out untouched) after writing into
 * err a message that quotes s and says what is expected. Thread-safe. */
int duration_parse(const char *s, struct duration *out, char *err, size_t errlen);

/* Writes a PostgreSQL interval literal, "0 months 3 days 0 seconds", usable
 * as $1::interval whatever the server's IntervalStyle. n should be at least
 * DURATION_PG_INTERVAL_MAX; a shorter buffer gets a truncated string. */
void duration_to_pg_interval(const struct duration *d, char *out, size_t n);

/* Seconds with a month counted as 30 days and a day as 86400 seconds, the
 * rule PostgreSQL uses to compare intervals: for ordering, not for due dates
 * (compute those in SQL, where a month is a calendar month). */
long long duration_approx_seconds(const struct duration *d);

#endif
