/* The audit log's sealer: chains committed audit events, queued by a trigger
 * in audit_queue, into audit_chain (sql/0013_audit_sealer.sql,
 * sql/0024_audit_queue.sql, docs/audit.md). One sealer at a time across all
 * processes (a transaction-level advisory lock that audit_seal takes with
 * pg_try_advisory_xact_lock);
 * the engine loop of serve and worker calls audit_seal_tick once a tick, so
 * any of them may take over when another stops. */
#ifndef SOKUHO_DB_SEAL_H
#define SOKUHO_DB_SEAL_H

#include <libpq-fe.h>

/* The advisory lock key of the sealer: "seal" in ASCII, 0x7365616c. */
#define AUDIT_SEAL_LOCK "1936024940"

/* Chains up to batch unsealed events in one transaction (db_run_tx). Returns
 * how many were chained (0 also when another process is sealing right now)
 * or -1 on a database error (logged as audit_seal_failed). */
int audit_seal_tick(PGconn *c, int batch);

#endif
