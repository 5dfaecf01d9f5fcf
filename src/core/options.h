/* Command-line options of the subcommands: every configuration key can be
 * given as --key VALUE or --key=VALUE (dashes or underscores), --config FILE is
 * skipped (main applies it first), and a command may declare extra options of
 * its own. */
#ifndef SOKUHO_OPTIONS_H
#define SOKUHO_OPTIONS_H

#include "config.h"

/* Splits argv into options and positional arguments. Configuration keys are
 * applied to cfg; extra is a NULL-terminated list of the command's own option
 * names (underscores, without dashes), whose values are stored in the same
 * position of extra_val (pointers into argv; unchanged when absent); a name
 * ending in '?' is a flag that takes no value and stores "1"; pos
 * receives the positional arguments (room for argc entries) and npos their
 * number. Returns 0, 1 when --help or -h was given, or -1 after printing a
 * message for people on stderr. */
int options_parse(struct config *cfg, int argc, char **argv, char **pos, int *npos,
		  const char *const *extra, const char **extra_val);

#endif
