/* The audit log's sealer (see seal.h). */
#include "seal.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "tx.h"

struct seal {
	int batch;
	int sealed;
};

static enum db_qs seal_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct seal *s = arg;
	s->sealed = 0;
	PGresult *r;
	/* audit_seal takes the sealer's lock itself (pg_try_advisory_xact_lock,
	 * AUDIT_SEAL_LOCK) and answers 0 when another session holds it. */
	char lim[16];
	snprintf(lim, sizeof lim, "%d", s->batch);
	const char *p[1] = {lim};
	enum db_qs qs = db_exec(c, e, "SELECT audit_seal($1::integer)", 1, p, &r);
	if (qs < 0)
		return qs;
	s->sealed = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s->sealed > 0 ? DB_OK : DB_NONE;
}

int audit_seal_tick(PGconn *c, int batch)
{
	struct seal s = {batch, 0};
	struct db_err err;
	/* Idempotent: run again after a lost COMMIT answer it chains only what
	 * is still unsealed. */
	if (db_run_tx(c, "audit_seal", DB_TX_IDEMPOTENT, seal_tx, &s, &err) < 0) {
		log_event(LOG_ERROR, "audit_seal_failed", "error=%s", log_quote(0, err.msg));
		return -1;
	}
	return s.sealed;
}
