/* The audit log's sealer: chains committed audit events, queued by a trigger
 * in audit_queue, into audit_chain (sql/0013_audit_sealer.sql,
 * sql/0024_audit_queue.sql, docs/audit.md). One sealer at a time across all
 * processes (a transaction-level advisory lock that audit_seal takes with
 * pg_try_advisory_xact_lock); a sealer thread in every serve and worker
 * (audit_sealer_loop, apart from the engine threads so that a backlog of due
 * timers never holds sealing up) calls audit_seal_tick after each wake, so
 * any of them may take over when another stops. */
#ifndef SOKUHO_DB_SEAL_H
#define SOKUHO_DB_SEAL_H

#include <libpq-fe.h>
#include <stddef.h>

#include "audit_key.h"

/* Events chained in one transaction, and the seconds the sealer waits for a
 * NOTIFY sokuho_wake (a filing's commit) before it looks again. */
#define AUDIT_SEAL_BATCH 1000
#define AUDIT_SEALER_IDLE_S 2.0

/* The advisory lock key of the sealer: "seal" in ASCII, 0x7365616c. */
#define AUDIT_SEAL_LOCK "1936024940"

/* The key the sealers of this process sign checkpoints with (NULL or a key
 * without its secret: none), and the seconds between checkpoints while
 * events are sealed (0: after every batch). Called once before the engine
 * threads start; k must outlive them. */
void audit_seal_set_key(const struct audit_key *k, int checkpoint_seconds);

/* Chains up to batch unsealed events in one transaction (db_run_tx) and,
 * with a key set, signs a checkpoint of the head when one is due (stored in
 * audit_checkpoint). Returns how many were chained (0 also when another
 * process is sealing right now) or -1 on a database error (logged as
 * audit_seal_failed). */
int audit_seal_tick(PGconn *c, int batch);

/* `sokuho audit checkpoint`: waits for the sealer's lock, seals everything
 * pending and, with k (may be NULL), signs a checkpoint of the head unless
 * k's newest one already covers it; then the newest stored checkpoint (by
 * time) into cp. Returns 1, 0 when there is none, or -1 with err. */
int audit_checkpoint_now(PGconn *c, const struct audit_key *k, struct audit_checkpoint *cp,
			 char *err, size_t errlen);

/* The sealer's lag (sql/0024's audit_seal_lag): events committed and not
 * yet sealed, and the age in seconds of the oldest of them by the database
 * clock (0 when none). Returns 0, or -1 when the query failed. */
int audit_seal_lag_read(PGconn *c, long long *pending, double *oldest_s);

/* The sealer thread of serve and worker (wf/service.c starts one in each):
 * its own connection, LISTENing to sokuho_wake; seals batch after batch
 * while they are full, then waits for a NOTIFY, AUDIT_SEALER_IDLE_S or
 * wake_fd (stop); reconnects with backoff when the database is lost
 * (audit_sealer_db_lost). Returns 0 when *stop is set or wake_fd woke it. */
int audit_sealer_loop(const char *conninfo, volatile int *stop, int wake_fd);

/* The newest stored checkpoint (by time) as its one-line text, for printing
 * (caller frees), or NULL when there is none or the query failed. Its
 * signature is not checked here: verify does that. */
char *audit_checkpoint_newest_line(PGconn *c);

#endif
