/* Query status and the one transaction runner (model: GNU Taler exchange's
 * enum GNUNET_DB_QueryStatus and TEH_DB_run_transaction). A status says
 * "no row" and "error" apart, and an error says whether trying again can
 * help; the runner retries what can, and never repeats a COMMIT whose
 * outcome it does not know unless the caller declares the work idempotent.
 *
 *     static enum db_qs file_it(PGconn *c, void *arg, struct db_err *e)
 *     {
 *             const char *p[1] = {arg};
 *             return db_exec(c, e, "INSERT INTO t (k) VALUES ($1) "
 *                                  "ON CONFLICT (k) DO NOTHING", 1, p, NULL);
 *     }
 *     struct db_err e;
 *     enum db_qs qs = db_run_tx(c, "file", DB_TX_IDEMPOTENT, file_it, key, &e);
 *     if (qs < 0)    // e.msg has the cause; e.retryable: answer 503
 *             ...
 */
#ifndef SOKUHO_DB_TX_H
#define SOKUHO_DB_TX_H

#include <jansson.h>
#include <libpq-fe.h>

enum db_qs {
	DB_HARD = -2, /* trying again will not help (constraint, syntax, auth...) */
	DB_SOFT = -1, /* may succeed if tried again (40001, 40P01, lost connection) */
	DB_NONE = 0,  /* no row returned or affected */
	DB_OK = 1,    /* at least one row, or a command that succeeded */
};

/* The cause of the last error: never empty after a status < 0. */
struct db_err {
	char sqlstate[6];   /* "" when the server gave none (e.g. connection lost) */
	char msg[512];      /* PQresultErrorMessage, else PQerrorMessage, trimmed */
	int conn_lost;      /* the connection is broken (PQstatus CONNECTION_BAD) */
	int commit_unknown; /* COMMIT was sent and no answer came: it may have happened */
};

/* Classifies a result of a statement just run on c (res may be NULL, as
 * PQexec gives when out of memory or when the connection is gone) and, for
 * an error, fills e (may be NULL) with the cause. TUPLES_OK with no rows and
 * COMMAND_OK affecting 0 rows are DB_NONE. Does not take res. */
enum db_qs db_classify(PGconn *c, const PGresult *res, struct db_err *e);

/* Runs a parameterised statement and classifies it (db_classify). With out,
 * a successful result (status >= 0) is stored there for the caller to
 * PQclear; otherwise *out is set to NULL and nothing needs freeing. */
enum db_qs db_exec(PGconn *c, struct db_err *e, const char *sql, int nparams,
		   const char *const *params, PGresult **out);

/* db_exec returning the first row as a JSON object (strings, json null,
 * booleans; as db_rows): *row is set (caller json_decref) only for DB_OK. */
enum db_qs db_row_get(PGconn *c, struct db_err *e, const char *sql, int nparams,
		      const char *const *params, json_t **row);

/* For a step that failed without a result to classify (a function that
 * returns only -1): fills e with what (and the connection's message when it
 * is broken) and returns DB_SOFT when the connection is lost, else DB_HARD. */
enum db_qs db_fail(PGconn *c, struct db_err *e, const char *what);

/* The work of one transaction. It runs between BEGIN and COMMIT, returns a
 * status (< 0 for errors, with e filled — db_exec does that) and may be
 * called again after a retryable failure: it must not keep effects outside
 * the database from an earlier call (reset its outputs at the start). */
typedef enum db_qs (*db_tx_fn)(PGconn *c, void *arg, struct db_err *e);

enum {
	/* fn is safe to run again even after it committed (unique keys, ON
	 * CONFLICT, or it checks for its own effect first): a COMMIT with no
	 * answer is then retried on a new connection instead of reported. */
	DB_TX_IDEMPOTENT = 1,
	/* BEGIN ISOLATION LEVEL SERIALIZABLE instead of READ COMMITTED. */
	DB_TX_SERIALIZABLE = 2,
};

/* BEGINs on c, calls fn, and COMMITs when fn returned >= 0 (ROLLBACK
 * otherwise). A retryable failure (serialization failure, deadlock, a
 * connection lost before COMMIT was sent — c is then reset) is retried up to
 * 4 attempts in all, with jittered backoff (10 ms, 40 ms, 160 ms); each
 * retry is logged with its cause under name. Returns fn's status on success;
 * on failure < 0 with e filled: DB_SOFT when the database may be back later
 * (answer 503), DB_HARD otherwise; e->commit_unknown when the COMMIT's
 * outcome is unknown (never for DB_TX_IDEMPOTENT unless its retries ran out).
 * c is left idle (no open transaction) or broken. Thread-safe for distinct
 * connections; e must not be NULL. */
enum db_qs db_run_tx(PGconn *c, const char *name, int flags, db_tx_fn fn, void *arg,
		     struct db_err *e);

/* Whether a connection is worth keeping: not broken and not inside a failed
 * transaction. */
int db_conn_usable(PGconn *c);

#endif
