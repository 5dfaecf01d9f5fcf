/* Query status and the transaction runner (see tx.h). */
#include "tx.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

#define BOOLOID 16
#define TX_ATTEMPTS 4

static void set_msg(struct db_err *e, const char *m)
{
	if (!m || !*m)
		m = "no answer from the database";
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(e->msg, sizeof e->msg, "%.*s", (int)n, m);
}

static int is_conn_state(const char *st)
{
	/* 08: connection exception; 57P01-57P03: the server is shutting down,
	 * crashed or starting: the session is over either way. */
	return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
	       strcmp(st, "57P03") == 0;
}

enum db_qs db_classify(PGconn *c, const PGresult *res, struct db_err *e)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_TUPLES_OK)
		return PQntuples(res) > 0 ? DB_OK : DB_NONE;
	if (s == PGRES_COMMAND_OK) {
		const char *n = PQcmdTuples((PGresult *)(uintptr_t)res);
		return n[0] == '0' && n[1] == '\0' ? DB_NONE : DB_OK;
	}
	struct db_err tmp;
	if (!e)
		e = &tmp;
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st ? st : "");
	const char *m = res ? PQresultErrorMessage(res) : NULL;
	set_msg(e, m && *m ? m : PQerrorMessage(c));
	e->conn_lost = PQstatus(c) == CONNECTION_BAD || is_conn_state(e->sqlstate);
	e->commit_unknown = 0;
	if (e->conn_lost || strcmp(e->sqlstate, "40001") == 0 || strcmp(e->sqlstate, "40P01") == 0 ||
	    /* a standby (or a demoted primary after a failover): a new
	     * connection finds the read-write server */
	    strcmp(e->sqlstate, "25006") == 0)
		return DB_SOFT;
	return DB_HARD;
}

enum db_qs db_fail(PGconn *c, struct db_err *e, const char *what)
{
	e->sqlstate[0] = '\0';
	e->commit_unknown = 0;
	e->conn_lost = PQstatus(c) == CONNECTION_BAD;
	if (e->conn_lost) {
		char m[sizeof e->msg];
		snprintf(m, sizeof m, "%s: %s", what, PQerrorMessage(c));
		set_msg(e, m);
		return DB_SOFT;
	}
	set_msg(e, what);
	return DB_HARD;
}

enum db_qs db_exec(PGconn *c, struct db_err *e, const char *sql, int nparams,
		   const char *const *params, PGresult **out)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	enum db_qs qs = db_classify(c, r, e);
	if (out && qs >= 0) {
		*out = r;
		return qs;
	}
	if (out)
		*out = NULL;
	PQclear(r);
	return qs;
}

enum db_qs db_row_get(PGconn *c, struct db_err *e, const char *sql, int nparams,
		      const char *const *params, json_t **row)
{
	PGresult *r;
	*row = NULL;
	enum db_qs qs = db_exec(c, e, sql, nparams, params, &r);
	if (qs != DB_OK || PQntuples(r) < 1) {
		PQclear(r);
		return qs < 0 ? qs : DB_NONE;
	}
	json_t *o = json_object();
	for (int f = 0; f < PQnfields(r); f++) {
		json_t *v;
		if (PQgetisnull(r, 0, f))
			v = json_null();
		else if (PQftype(r, f) == BOOLOID)
			v = json_boolean(PQgetvalue(r, 0, f)[0] == 't');
		else
			v = json_string(PQgetvalue(r, 0, f));
		json_object_set_new(o, PQfname(r, f), v ? v : json_null());
	}
	PQclear(r);
	*row = o;
	return DB_OK;
}

int db_conn_usable(PGconn *c)
{
	return c && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_INERROR &&
	       PQtransactionStatus(c) != PQTRANS_UNKNOWN;
}

/* 10 ms, 40 ms, 160 ms, each between half and the whole, so that processes
 * that failed together do not come back together. */
static void backoff(int attempt)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = 10;
	for (int i = 1; i < attempt; i++)
		ms *= 4;
	long ns = ms * 1000000L;
	ns = ns / 2 + (long)((unsigned long)now.tv_nsec % (unsigned long)(ns / 2));
	struct timespec d = {ns / 1000000000L, ns % 1000000000L};
	nanosleep(&d, NULL);
}

static void rollback(PGconn *c)
{
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
}

enum db_qs db_run_tx(PGconn *c, const char *name, int flags, db_tx_fn fn, void *arg,
		     struct db_err *e)
{
	memset(e, 0, sizeof *e);
	for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
		if (attempt > 0) {
			log_event(LOG_WARN, "db_tx_retry", "tx=%s attempt=%d sqlstate=%s error=%s",
				  log_quote(0, name), attempt + 1, e->sqlstate[0] ? e->sqlstate : "-",
				  log_quote(1, e->msg));
			backoff(attempt);
		}
		/* A connection broken since its last use (a restart, a
		 * failover) ran no statement of this transaction: a new one
		 * can. 25006 means it reached a server that is not (or no
		 * longer) the primary. */
		if (PQstatus(c) != CONNECTION_OK || (attempt > 0 && e->conn_lost) ||
		    strcmp(e->sqlstate, "25006") == 0) {
			PQreset(c);
			if (PQstatus(c) != CONNECTION_OK) {
				db_classify(c, NULL, e);
				e->conn_lost = 1;
				continue;
			}
			PQclear(PQexec(c, "SET TIME ZONE 'Asia/Tokyo'"));
		}
		PGresult *r = PQexec(c, flags & DB_TX_SERIALIZABLE
						? "BEGIN ISOLATION LEVEL SERIALIZABLE"
						: "BEGIN");
		enum db_qs qs = db_classify(c, r, e);
		PQclear(r);
		if (qs == DB_SOFT)
			continue;
		if (qs < 0)
			return qs;
		memset(e, 0, sizeof *e);
		qs = fn(c, arg, e);
		if (qs < 0) {
			if (!e->msg[0]) /* a callback that forgot to say why */
				snprintf(e->msg, sizeof e->msg, "transaction %s failed", name);
			rollback(c);
			if (qs == DB_SOFT)
				continue;
			return qs;
		}
		r = PQexec(c, "COMMIT");
		enum db_qs cq = db_classify(c, r, e);
		if (cq >= 0 && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
			/* COMMIT of a transaction where a statement failed
			 * answers ROLLBACK: fn ignored an error. */
			snprintf(e->msg, sizeof e->msg,
				 "transaction %s was rolled back: a statement in it failed", name);
			cq = DB_HARD;
		}
		PQclear(r);
		if (cq >= 0)
			return qs;
		if (e->conn_lost) {
			/* The COMMIT went out and no answer came back: it may
			 * have committed. Only work that can tell (or does
			 * not mind) may run again. */
			e->commit_unknown = 1;
			if (!(flags & DB_TX_IDEMPOTENT)) {
				log_event(LOG_ERROR, "db_commit_unknown", "tx=%s error=%s",
					  log_quote(0, name), log_quote(1, e->msg));
				return DB_SOFT;
			}
			continue;
		}
		rollback(c);
		if (cq == DB_SOFT)
			continue;
		return cq;
	}
	log_event(LOG_ERROR, "db_tx_failed", "tx=%s attempts=%d sqlstate=%s error=%s",
		  log_quote(0, name), TX_ATTEMPTS, e->sqlstate[0] ? e->sqlstate : "-",
		  log_quote(1, e->msg));
	return DB_SOFT;
}
