/* The people commands: `sokuho user ...` (accounts, roles, CSV import,
 * passwords) and `sokuho demo` (a believable demo city). */
#ifndef SOKUHO_CLI_USER_H
#define SOKUHO_CLI_USER_H

#include "core/config.h"

/* argv holds the arguments after the command name. Return the exit status:
 * 0 success, 1 failure, 2 bad usage. */
int cmd_user(struct config *cfg, int argc, char **argv);
int cmd_demo(struct config *cfg, int argc, char **argv);

#endif
