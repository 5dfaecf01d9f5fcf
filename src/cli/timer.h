/* `sokuho timer list|retry`: the failed workflow timers (see engine_tick)
 * and making one due again once its cause is fixed. */
#ifndef SOKUHO_CLI_TIMER_H
#define SOKUHO_CLI_TIMER_H

#include "core/config.h"

/* argv holds the arguments after the command name. Returns the exit status:
 * 0 success, 1 failure (no such failed timer, database error), 2 bad usage. */
int cmd_timer(struct config *cfg, int argc, char **argv);

#endif
