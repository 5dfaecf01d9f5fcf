/* `sokuho calendar holidays FIRST [LAST]` prints every national holiday of
 * the years FIRST to LAST, one "YYYY-MM-DD<TAB>name" line each; `days`
 * prints the city's office and closed days of a date range; `check` reads
 * a city calendar file and says what it holds. */
#include "calendar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/options.h"
#include "core/xalloc.h"

#define USAGE                                                                                     \
	"usage: sokuho calendar holidays FIRST_YEAR [LAST_YEAR]\n"                                \
	"       sokuho calendar days FIRST_DATE LAST_DATE\n"                                      \
	"       sokuho calendar check [FILE]\n"

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

static int parse_day(const char *s, long *day)
{
	int y, m, d, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] || strlen(s) != 10 ||
	    !cal_valid_date(y, m, d) || y < CAL_FIRST_YEAR || y > CAL_LAST_YEAR) {
		fprintf(stderr, "sokuho: bad date '%s': expected YYYY-MM-DD from %d to %d\n", s,
			CAL_FIRST_YEAR, CAL_LAST_YEAR);
		return -1;
	}
	*day = cal_days_from_civil(y, m, d);
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

static int load(const struct config *cfg, const char *file, struct calendar *cal)
{
	char err[1024];
	if (cal_setup(cal, cfg->office_hours, file, err, sizeof err) < 0) {
		fprintf(stderr, "sokuho: %s\n", err);
		return -1;
	}
	return 0;
}

static int calendar_days(const struct config *cfg, int argc, char **argv)
{
	long from, to;
	if (argc != 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (parse_day(argv[0], &from) < 0 || parse_day(argv[1], &to) < 0)
		return 2;
	if (to < from) {
		fprintf(stderr, "sokuho: the last date %s is before the first %s\n", argv[1], argv[0]);
		return 2;
	}
	struct calendar cal;
	if (load(cfg, cfg->calendar_file, &cal) < 0)
		return 1;
	static const char *const wd[7] = {"日", "月", "火", "水", "木", "金", "土"};
	for (long k = from; k <= to; k++) {
		int y, m, d;
		const char *why;
		cal_civil_from_days(k, &y, &m, &d);
		int od = cal_is_office_day(&cal, y, m, d, &why);
		printf("%04d-%02d-%02d\t%s\t%s%s%s\n", y, m, d, wd[cal_weekday(k)],
		       od ? "office" : "closed", why ? "\t" : "", why ? why : "");
	}
	cal_release(&cal);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int calendar_check(const struct config *cfg, int argc, char **argv)
{
	if (argc > 1) {
		fputs(USAGE, stderr);
		return 2;
	}
	const char *file = argc ? argv[0] : cfg->calendar_file;
	struct calendar cal;
	if (load(cfg, file, &cal) < 0)
		return 1;
	size_t open = 0;
	for (size_t i = 0; i < cal.nextra; i++)
		open += cal.extra[i].open;
	printf("%s: office hours %02d:%02d-%02d:%02d, %s, %zu closed day%s, %zu open day%s\n",
	       *file ? file : "(no calendar file)", cal.open_min / 60, cal.open_min % 60,
	       cal.close_min / 60, cal.close_min % 60,
	       cal.year_end_closure ? "closed 12/29-1/3" : "no year-end closure", cal.nextra - open,
	       cal.nextra - open == 1 ? "" : "s", open, open == 1 ? "" : "s");
	cal_release(&cal);
	return 0;
}

int cmd_calendar(struct config *cfg, int argc, char **argv)
{
	/* --calendar_file, --office_hours and the other keys anywhere */
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos, rc = options_parse(cfg, argc, argv, pos, &npos, NULL, NULL);
	int status = 2;
	if (rc == 1) {
		fputs(USAGE, stdout);
		status = 0;
	} else if (rc < 0) {
		status = 2;
	} else if (npos < 1) {
		fputs(USAGE, stderr);
	} else if (strcmp(pos[0], "holidays") == 0) {
		status = calendar_holidays(npos - 1, pos + 1);
	} else if (strcmp(pos[0], "days") == 0) {
		status = calendar_days(cfg, npos - 1, pos + 1);
	} else if (strcmp(pos[0], "check") == 0) {
		status = calendar_check(cfg, npos - 1, pos + 1);
	} else {
		fprintf(stderr, "sokuho: unknown calendar command '%s'\n" USAGE, pos[0]);
	}
	free(pos);
	return status;
}
