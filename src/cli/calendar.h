/* `sokuho calendar`: the national holidays this build computes, and (with a
 * city calendar file) the office days, printed for people and for the test
 * that compares them with an independent list (tests/browser/calendar.test.mjs). */
#ifndef SOKUHO_CLI_CALENDAR_H
#define SOKUHO_CLI_CALENDAR_H

#include "core/config.h"

/* argv holds the arguments after the command name. Returns the exit status:
 * 0 success, 1 failure (a bad calendar file), 2 bad usage. */
int cmd_calendar(struct config *cfg, int argc, char **argv);

#endif
