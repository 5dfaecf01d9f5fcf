/* The audit log: append-only rows in audit_event, appended without a lock and
 * chained afterwards by the sealer into audit_chain (see seal.h and
 * sql/0013_audit_sealer.sql). */
#ifndef SOKUHO_AUDIT_H
#define SOKUHO_AUDIT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>

#include "audit_key.h"
#include "tx.h"

/* Appends one event inside the caller's transaction (or on its own when none
 * is open). actor_id 0 means no person (anonymous or the system); ip may be
 * NULL; detail may be NULL and is not stolen. Never put passwords or session
 * ids into detail. Returns 0 or -1 (the error is logged). */
int audit_log(PGconn *conn, int actor_id, const char *kind, const char *ip, const json_t *detail);
/* The same, for an event in the timeline of incident incident_id (> 0). */
int audit_log_incident(PGconn *conn, int actor_id, const char *kind, const char *ip,
		       long long incident_id, const json_t *detail);

/* The same inside a db_run_tx transaction function: the status of the
 * insert (tx.h), with e filled on failure, so that fn can return it. */
enum db_qs audit_append(PGconn *conn, struct db_err *e, int actor_id, const char *kind,
			const char *ip, long long incident_id, const json_t *detail);

/* Recomputes the hash chain of the whole audit log (audit_chain with the
 * events it names). Returns 0 when every place is intact (a line saying how
 * many were checked and how many events are pending, not yet sealed, goes to
 * out), 1 when an event was changed, removed, inserted or moved (the first
 * such event is named on out, with what is wrong), or -1 on a database error
 * (message on out). */
int audit_verify(PGconn *conn, FILE *out);
/* The same, then every stored checkpoint and the given ones (ngiven, may be
 * 0): signed by trusted (when not NULL) with a good signature, and naming a
 * place of the chain whose hash is the one signed. A checkpoint signed by
 * another key, a bad signature, a place past the chain's end (its newest
 * events cut off) or a hash that differs (the chain rewritten) fails verify
 * (1) naming the checkpoint and the place. */
int audit_verify_with(PGconn *conn, FILE *out, const struct audit_key *trusted,
		      const struct audit_checkpoint *given, int ngiven);

#endif
