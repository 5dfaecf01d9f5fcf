/* `sokuho audit verify|keygen|checkpoint|public-key` and the signing key of
 * serve and worker (docs/audit.md). */
#ifndef SOKUHO_CLI_AUDIT_H
#define SOKUHO_CLI_AUDIT_H

#include "db/audit_key.h"
#include "core/config.h"

/* The command's one-line usage and its help, for sokuho --help. */
#define AUDIT_CLI_USAGE                                                                     \
	"sokuho audit verify [--checkpoint TEXT|FILE] | keygen [FILE] | checkpoint | "         \
	"public-key"
extern const char audit_cli_help[];

/* argv holds the arguments after the command name. Returns the exit status:
 * 0 success, 1 failure (a broken log, a database or key error), 2 bad usage. */
int cmd_audit(struct config *cfg, int argc, char **argv);

/* serve and worker: loads audit_key_file into k and hands it to the sealer
 * (audit_seal_set_key with audit_checkpoint_seconds). No key file
 * configured: no checkpoints, logged as audit_checkpoints_off. Returns 0, or
 * -1 after a message on stderr (a key file that cannot be used). */
int audit_cli_start_sealer(const struct config *cfg, struct audit_key *k);

#endif
