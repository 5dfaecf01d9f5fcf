/* ISO 8601 durations for workflow files (see duration.h). The parser is a
 * single left-to-right pass: designators must come in their fixed order, which
 * also catches repeats, and every total is range-checked before it is stored. */
#include "duration.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define EXPECTED "expected an ISO 8601 duration such as PT30M or P3D"

/* PostgreSQL keeps months and days in 32 bits and the rest in 64-bit
 * microseconds; a duration that does not fit there is refused here. */
#define MAX_MONTHS ((long long)INT32_MAX)
#define MAX_DAYS ((long long)INT32_MAX)
#define MAX_SECONDS (INT64_MAX / 1000000)

/* acc += v * mul, unless that would pass max. acc, v >= 0; mul > 0. */
static int add_scaled(long long *acc, long long v, long long mul, long long max)
{
	if (v > (max - *acc) / mul)
		return -1;
	*acc += v * mul;
	return 0;
}

int duration_parse(const char *s, struct duration *out, char *err, size_t errlen)
{
	/* Component values by designator: Y M W D, then H M S after T. */
	static const char date_des[] = "YMWD", time_des[] = "HMS";
	long long date[4] = {0, 0, 0, 0}, time[3] = {0, 0, 0};
	const char *p;
	int in_time = 0, last = -1, ncomp = 0;

	if (!s || !*s) {
		snprintf(err, errlen, "empty duration: " EXPECTED);
		return -1;
	}
	if (*s == '-') {
		snprintf(err, errlen, "'%s': negative durations are not allowed; " EXPECTED, s);
		return -1;
	}
	if (*s == '+') {
		snprintf(err, errlen, "'%s': a duration cannot have a sign; " EXPECTED, s);
		return -1;
	}
	if (*s != 'P') {
		snprintf(err, errlen, "'%s': a duration starts with P; " EXPECTED, s);
		return -1;
	}
	p = s + 1;
	while (*p) {
		if (*p == 'T') {
			if (in_time) {
				snprintf(err, errlen, "'%s': T appears twice; " EXPECTED, s);
				return -1;
			}
			in_time = 1;
			last = -1;
			if (!p[1]) {
				snprintf(err, errlen,
					 "'%s': T must be followed by hours, minutes or seconds; " EXPECTED,
					 s);
				return -1;
			}
			p++;
			continue;
		}
		if (*p == '-') {
			snprintf(err, errlen, "'%s': negative durations are not allowed; " EXPECTED,
				 s);
			return -1;
		}
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen, "'%s': unexpected '%c'; " EXPECTED, s, *p);
			return -1;
		}
		long long v = 0;
		while (*p >= '0' && *p <= '9') {
			int digit = *p - '0';
			if (v > (LLONG_MAX - digit) / 10) {
				snprintf(err, errlen, "'%s': number too large; " EXPECTED, s);
				return -1;
			}
			v = v * 10 + digit;
			p++;
		}
		if (*p == '.' || *p == ',') {
			snprintf(err, errlen, "'%s': only whole numbers are allowed; " EXPECTED, s);
			return -1;
		}
		if (!*p) {
			snprintf(err, errlen, "'%s': number without a designator at the end; " EXPECTED,
				 s);
			return -1;
		}
		const char *set = in_time ? time_des : date_des;
		const char *hit = strchr(set, *p);
		if (!hit) {
			if (!in_time && strchr(time_des, *p))
				snprintf(err, errlen,
					 "'%s': hours and seconds go after T (PT1H); " EXPECTED, s);
			else if (in_time && strchr(date_des, *p))
				snprintf(err, errlen,
					 "'%s': years, weeks and days go before T (P1DT2H); " EXPECTED, s);
			else
				snprintf(err, errlen, "'%s': unknown designator '%c'; " EXPECTED, s, *p);
			return -1;
		}
		int idx = (int)(hit - set);
		if (idx <= last) {
			snprintf(err, errlen,
				 "'%s': components must appear once each, in the order Y M W D T H M S; "
				 EXPECTED,
				 s);
			return -1;
		}
		last = idx;
		if (in_time)
			time[idx] = v;
		else
			date[idx] = v;
		ncomp++;
		p++;
	}
	if (!ncomp) {
		snprintf(err, errlen, "'%s': no component; " EXPECTED, s);
		return -1;
	}

	struct duration d = {0, 0, 0};
	if (add_scaled(&d.months, date[0], 12, MAX_MONTHS) < 0 ||
	    add_scaled(&d.months, date[1], 1, MAX_MONTHS) < 0 ||
	    add_scaled(&d.days, date[2], 7, MAX_DAYS) < 0 ||
	    add_scaled(&d.days, date[3], 1, MAX_DAYS) < 0 ||
	    add_scaled(&d.seconds, time[0], 3600, MAX_SECONDS) < 0 ||
	    add_scaled(&d.seconds, time[1], 60, MAX_SECONDS) < 0 ||
	    add_scaled(&d.seconds, time[2], 1, MAX_SECONDS) < 0) {
		snprintf(err, errlen, "'%s': duration too long for a PostgreSQL interval; " EXPECTED,
			 s);
		return -1;
	}
	*out = d;
	return 0;
}

void duration_to_pg_interval(const struct duration *d, char *out, size_t n)
{
	snprintf(out, n, "%lld months %lld days %lld seconds", d->months, d->days, d->seconds);
}

long long duration_approx_seconds(const struct duration *d)
{
	/* Within the parser's limits this cannot overflow: 2^31 * 30 * 86400
	 * and 2^31 * 86400 and 2^63 / 10^6 add up to well under 2^63. */
	return d->months * 30 * 86400 + d->days * 86400 + d->seconds;
}
