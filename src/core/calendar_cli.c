/* `sokuho calendar holidays FIRST [LAST]` prints every national holiday of
 * the years FIRST to LAST, one "YYYY-MM-DD<TAB>name" line each. */
#include "calendar_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

#define USAGE "usage: sokuho calendar holidays FIRST_YEAR [LAST_YEAR]\n"

static int parse_year(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < CAL_FIRST_YEAR || v > CAL_LAST_YEAR) {
		fprintf(stderr, "sokuho: bad year '%s': expected %d to %d\n", s, CAL_FIRST_YEAR,
			CAL_LAST_YEAR);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int calendar_holidays(int argc, char **argv)
{
	int first, last;
	if (argc < 1 || argc > 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (parse_year(argv[0], &first) < 0 || (argc == 2 && parse_year(argv[1], &last) < 0))
		return 2;
	if (argc == 1)
		last = first;
	if (last < first) {
		fprintf(stderr, "sokuho: the last year %d is before the first %d\n", last, first);
		return 2;
	}
	long from = cal_days_from_civil(first, 1, 1), to = cal_days_from_civil(last, 12, 31);
	for (long k = from; k <= to; k++) {
		int y, m, d;
		const char *name;
		cal_civil_from_days(k, &y, &m, &d);
		if (cal_is_holiday(y, m, d, &name) == 1)
			printf("%04d-%02d-%02d\t%s\n", y, m, d, name);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_calendar(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	if (argc < 1) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (strcmp(argv[0], "holidays") == 0)
		return calendar_holidays(argc - 1, argv + 1);
	fprintf(stderr, "sokuho: unknown calendar command '%s'\n" USAGE, argv[0]);
	return 2;
}
