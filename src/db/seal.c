/* The audit log's sealer (see seal.h). */
#include "seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db.h"
#include "tx.h"

/* Set once at start, before the engine threads, and only read after. */
static const struct audit_key *seal_key;
static int seal_every = 60;

void audit_seal_set_key(const struct audit_key *k, int checkpoint_seconds)
{
	seal_key = k && k->has_secret ? k : NULL;
	seal_every = checkpoint_seconds;
}

/* Signs and stores a checkpoint of the chain's head with k when the head is
 * past k's newest checkpoint and that one is at least every seconds old, or
 * when k's newest is of an earlier day (Japan time) than today.
 * The caller holds the sealer's lock. DB_OK when one was written (in *cp
 * when cp is not NULL), DB_NONE when none was due. */
static enum db_qs checkpoint_step(PGconn *c, struct db_err *e, const struct audit_key *k,
				  int every, struct audit_checkpoint *out)
{
	char secs[16];
	snprintf(secs, sizeof secs, "%d", every);
	const char *p[2] = {k->id, secs};
	PGresult *r;
	enum db_qs qs = db_exec(
		c, e,
		/* k's newest checkpoint by the primary key (seq, at), read
		 * backwards: the first of k's found is also its latest. */
		"WITH last AS (SELECT k.seq, k.at FROM audit_checkpoint k WHERE k.key_id = $1 "
		"              ORDER BY k.seq DESC, k.at DESC LIMIT 1) "
		"SELECT h.seq, encode(h.hash, 'hex'), "
		"  to_char(date_trunc('second', sokuho_now()) AT TIME ZONE 'UTC', "
		"          'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
		"FROM (SELECT c.seq, c.hash FROM audit_chain c ORDER BY c.seq DESC LIMIT 1) h "
		"WHERE (h.seq > coalesce((SELECT seq FROM last), 0) "
		"       AND coalesce((SELECT at FROM last), '-infinity') "
		"           <= sokuho_now() - make_interval(secs => $2::int)) "
		/* and the first batch of each day (Japan time) signs the head
		 * again even when nothing new was sealed: the day's checkpoint */
		"   OR ((SELECT at FROM last) AT TIME ZONE 'Asia/Tokyo')::date "
		"      < (sokuho_now() AT TIME ZONE 'Asia/Tokyo')::date",
		2, p, &r);
	if (qs < 0)
		return qs;
	if (qs == DB_NONE) {
		PQclear(r); /* db_exec keeps an empty result too */
		return qs;
	}
	struct audit_checkpoint cp = {0};
	cp.seq = atoll(PQgetvalue(r, 0, 0));
	snprintf(cp.hash, sizeof cp.hash, "%s", PQgetvalue(r, 0, 1));
	snprintf(cp.at, sizeof cp.at, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	audit_checkpoint_sign(k, &cp);
	char seq[24], sig[2 * sizeof cp.sig + 1];
	snprintf(seq, sizeof seq, "%lld", cp.seq);
	sodium_bin2hex(sig, sizeof sig, cp.sig, sizeof cp.sig);
	const char *ip[5] = {seq, cp.hash, cp.at, cp.key_id, sig};
	qs = db_exec(c, e,
		     "INSERT INTO audit_checkpoint (seq, hash, at, key_id, signature) "
		     "VALUES ($1::bigint, decode($2, 'hex'), $3::timestamptz, $4, decode($5, 'hex')) "
		     "ON CONFLICT DO NOTHING",
		     5, ip, NULL);
	if (qs > 0 && out)
		*out = cp;
	return qs;
}

struct seal {
	int batch;
	int sealed;
	int checkpointed;
};

static enum db_qs seal_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct seal *s = arg;
	s->sealed = 0;
	s->checkpointed = 0;
	PGresult *r;
	enum db_qs qs = db_exec(c, e, "SELECT pg_try_advisory_xact_lock(" AUDIT_SEAL_LOCK ")", 0,
				NULL, &r);
	if (qs < 0)
		return qs;
	int leader = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!leader)
		return DB_NONE; /* another process is sealing */
	char lim[16];
	snprintf(lim, sizeof lim, "%d", s->batch);
	const char *p[1] = {lim};
	qs = db_exec(c, e, "SELECT audit_seal($1::integer)", 1, p, &r);
	if (qs < 0)
		return qs;
	s->sealed = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (seal_key) {
		qs = checkpoint_step(c, e, seal_key, seal_every, NULL);
		if (qs < 0)
			return qs;
		s->checkpointed = qs > 0;
	}
	return s->sealed > 0 || s->checkpointed ? DB_OK : DB_NONE;
}

int audit_seal_tick(PGconn *c, int batch)
{
	struct seal s = {batch, 0, 0};
	struct db_err err;
	/* Idempotent: run again after a lost COMMIT answer it chains only what
	 * is still unsealed, and signs only a head not yet signed. */
	if (db_run_tx(c, "audit_seal", DB_TX_IDEMPOTENT, seal_tx, &s, &err) < 0) {
		log_event(LOG_ERROR, "audit_seal_failed", "error=%s", log_quote(0, err.msg));
		return -1;
	}
	if (s.checkpointed)
		log_event(LOG_DEBUG, "audit_checkpoint", "key=%s", seal_key->id);
	return s.sealed;
}

struct now {
	const struct audit_key *k;
	struct audit_checkpoint *cp;
	int found;
};

static enum db_qs now_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct now *n = arg;
	n->found = 0;
	/* Waits for a sealer's batch to end rather than skipping. */
	enum db_qs qs = db_exec(c, e, "SELECT pg_advisory_xact_lock(" AUDIT_SEAL_LOCK ")", 0, NULL,
				NULL);
	if (qs < 0)
		return qs;
	qs = db_exec(c, e, "SELECT audit_seal(2147483647)", 0, NULL, NULL);
	if (qs < 0)
		return qs;
	if (n->k) {
		qs = checkpoint_step(c, e, n->k, 0, NULL);
		if (qs < 0)
			return qs;
	}
	PGresult *r;
	qs = db_exec(c, e,
		     "SELECT seq, encode(hash, 'hex'), "
		     "  to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), key_id, "
		     "  encode(signature, 'hex') "
		     "FROM audit_checkpoint ORDER BY at DESC, seq DESC LIMIT 1",
		     0, NULL, &r);
	if (qs < 0)
		return qs;
	if (qs == DB_NONE) {
		PQclear(r); /* db_exec keeps an empty result too */
		return qs;
	}
	struct audit_checkpoint *cp = n->cp;
	memset(cp, 0, sizeof *cp);
	cp->seq = atoll(PQgetvalue(r, 0, 0));
	snprintf(cp->hash, sizeof cp->hash, "%s", PQgetvalue(r, 0, 1));
	snprintf(cp->at, sizeof cp->at, "%s", PQgetvalue(r, 0, 2));
	snprintf(cp->key_id, sizeof cp->key_id, "%s", PQgetvalue(r, 0, 3));
	const char *sig = PQgetvalue(r, 0, 4);
	sodium_hex2bin(cp->sig, sizeof cp->sig, sig, strlen(sig), NULL, NULL, NULL);
	PQclear(r);
	n->found = 1;
	return DB_OK;
}

int audit_checkpoint_now(PGconn *c, const struct audit_key *k, struct audit_checkpoint *cp,
			 char *err, size_t errlen)
{
	struct now n = {k && k->has_secret ? k : NULL, cp, 0};
	struct db_err e;
	if (db_run_tx(c, "audit_checkpoint", DB_TX_IDEMPOTENT, now_tx, &n, &e) < 0) {
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	return n.found;
}

int audit_seal_lag_read(PGconn *c, long long *pending, double *oldest_s)
{
	*pending = 0;
	*oldest_s = 0;
	PGresult *r = PQexec(c, "SELECT pending, oldest_seconds FROM audit_seal_lag()");
	int ok = db_ok(r) && PQntuples(r) == 1;
	if (ok) {
		*pending = atoll(PQgetvalue(r, 0, 0));
		*oldest_s = atof(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return ok ? 0 : -1;
}

int audit_sealer_loop(const char *conninfo, volatile int *stop, int wake_fd)
{
	PGconn *c = NULL;
	/* Not judged by /healthz (its lag is on /metrics); the same backoff
	 * as the engine's. */
	struct db_outage down = {"audit_sealer_db_lost", "audit_sealer_db_back", 0.25, 2, 0, {0, 0},
				 LIVENESS_NONE};
	while (!*stop) {
		char err[512] = "";
		if (!c) {
			c = db_connect_as(conninfo, "sokuho sealer", err, sizeof err);
			if (c)
				PQclear(PQexec(c, "LISTEN sokuho_wake"));
		}
		int pid = c ? PQbackendPID(c) : 0, n = 0;
		/* Full batches mean more is waiting: go on, a bounded while. */
		for (int k = 0; c && !*stop && k < 50 && (n = audit_seal_tick(c, AUDIT_SEAL_BATCH)) ==
								     AUDIT_SEAL_BATCH;
		     k++)
			;
		/* The transaction runner may have reset the connection. */
		if (c && PQstatus(c) == CONNECTION_OK && PQbackendPID(c) != pid)
			PQclear(PQexec(c, "LISTEN sokuho_wake"));
		if (!c || PQstatus(c) != CONNECTION_OK) {
			double d = db_outage_lost(&down, c, err);
			c = NULL;
			if (db_nap(d, wake_fd))
				break;
			continue;
		}
		db_outage_over(&down);
		if (n == AUDIT_SEAL_BATCH)
			continue;
		if (n < 0) {
			if (db_nap(1, wake_fd))
				break;
			continue;
		}
		/* A filing's commit wakes it (NOTIFY sokuho_wake); events that
		 * come without one wait at most this long. */
		if (db_wait(c, AUDIT_SEALER_IDLE_S, wake_fd))
			break;
	}
	if (c)
		PQfinish(c);
	return 0;
}

char *audit_checkpoint_newest_line(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT seq, encode(hash, 'hex'), "
				"  to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), key_id, "
				"  encode(signature, 'hex') "
				"FROM audit_checkpoint ORDER BY at DESC, seq DESC LIMIT 1");
	char *line = NULL;
	if (db_ok(r) && PQntuples(r) == 1) {
		struct audit_checkpoint cp = {0};
		cp.seq = atoll(PQgetvalue(r, 0, 0));
		snprintf(cp.hash, sizeof cp.hash, "%s", PQgetvalue(r, 0, 1));
		snprintf(cp.at, sizeof cp.at, "%s", PQgetvalue(r, 0, 2));
		snprintf(cp.key_id, sizeof cp.key_id, "%s", PQgetvalue(r, 0, 3));
		const char *sig = PQgetvalue(r, 0, 4);
		sodium_hex2bin(cp.sig, sizeof cp.sig, sig, strlen(sig), NULL, NULL, NULL);
		line = malloc(320);
		if (line)
			audit_checkpoint_format(&cp, line, 320);
	}
	PQclear(r);
	return line;
}
