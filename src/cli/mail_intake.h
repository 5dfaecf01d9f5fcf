/* `sokuho mail-intake`: one reported mail on standard input, as an MTA's
 * pipe delivers it (Postfix: an alias "|/usr/bin/sokuho mail-intake"). */
#ifndef SOKUHO_CLI_MAIL_INTAKE_H
#define SOKUHO_CLI_MAIL_INTAKE_H

#include "core/config.h"

#define MAIL_INTAKE_USAGE "sokuho mail-intake [--KEY VALUE ...] < MESSAGE"

extern const char mail_intake_help[];

/* Returns a sysexits status: 0 stored, 65 (EX_DATAERR) for a message that
 * cannot be taken (too large, not a mail), 75 (EX_TEMPFAIL) for anything
 * else (database, configuration, disk): the MTA keeps it and tries again. */
int cmd_mail_intake(struct config *cfg, int argc, char **argv);

#endif
