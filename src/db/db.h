/* Database connections: one way to connect, and a small fixed pool for the
 * HTTP threads. DATABASE_URL may be any libpq connection string or URI; an
 * empty one leaves everything to libpq's PG* environment variables, exactly
 * as psql does. */
#ifndef SOKUHO_DB_H
#define SOKUHO_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <time.h>
#include <stddef.h>

#include "core/liveness.h"

/* Connects; on failure returns NULL and writes libpq's reason into err.
 * The caller owns the connection (PQfinish). Thread-safe. */
PGconn *db_connect(const char *url, char *err, size_t errlen);
/* The same, naming the connection name (application_name, shown in
 * pg_stat_activity: "sokuho engine", "sokuho mailer") unless url names it. */
PGconn *db_connect_as(const char *url, const char *name, char *err, size_t errlen);

/* Connects at start (serve, worker, migrate --wait) as db_connect_as does,
 * waiting for a database that is not up yet: while the attempt fails for a
 * reason waiting may cure (nothing listening, the server starting up or
 * shutting down, not accepting connections, too many clients, its host
 * unreachable or not resolvable, only a standby where target_session_attrs
 * asks for the primary: a failover under way), retries with capped backoff (0.5 s
 * doubling to 5 s, +-25 %) for up to wait_s seconds (-1: without end, 0: no
 * retry), logging db_start_wait once with the cause and db_start_ok when the
 * database answers. Anything else (authentication failed, no such database or
 * role, a malformed URL) fails at once, as does the end of wait_s: NULL and
 * err. A SIGTERM or SIGINT during the wait ends it: NULL with *stopped set
 * (an attempt under way finishes first). Call before other threads exist: it
 * blocks those two signals while it runs and restores the mask. */
PGconn *db_connect_wait(const char *url, const char *name, int wait_s, int *stopped, char *err,
			size_t errlen);

struct db_pool;
/* Opens up to size connections lazily. Returns NULL (with err) only if the
 * first connection cannot be made, so a bad DATABASE_URL fails at start. */
struct db_pool *db_pool_new(const char *url, int size, char *err, size_t errlen);
/* Borrows a connection, waiting if all are in use. A pooled connection the
 * server has already ended (restart, crash, pg_terminate_backend: seen on its
 * socket, without a query) is replaced by a fresh one before the caller's
 * first statement. Returns NULL if the database cannot be reached: answer
 * 503. Thread-safe. */
PGconn *db_pool_get(struct db_pool *pool);
/* Returns a connection taken with db_pool_get; a broken one is closed and
 * its slot reopened by the next borrower. */
void db_pool_put(struct db_pool *pool, PGconn *conn);
/* Closes a connection taken with db_pool_get that works but should not be
 * used again (it reached a read-only server): the next borrower opens a
 * fresh one in its slot, which a multi-host DATABASE_URL with
 * target_session_attrs sends to the primary. */
void db_pool_discard(struct db_pool *pool, PGconn *conn);
/* Per HTTP thread: db_pool_request_begin at the start of each request;
 * db_pool_request_lost then says whether the database was lost under it
 * (no connection could be had, or the one it holds or held broke), so its
 * error answer is 503, not 500. */
void db_pool_request_begin(void);
int db_pool_request_lost(void);
void db_pool_free(struct db_pool *pool);

/* Runs a parameterised query and returns its rows as a JSON array of objects
 * keyed by column name; values are strings, except NULL (json null) and
 * booleans (json true/false). Returns NULL on error (logged). Caller owns the
 * result. */
json_t *db_rows(PGconn *conn, const char *sql, int nparams, const char *const *params);
/* The first row of db_rows, or NULL when there is none or on error. */
json_t *db_row(PGconn *conn, const char *sql, int nparams, const char *const *params);

/* Sleeps until a NOTIFY arrives on conn (which LISTENs), seconds pass
 * (capped at an hour), or wake_fd (may be -1) becomes readable; drains the
 * notifications. Returns 1 when woken through wake_fd (stop), else 0. The
 * one way the engine and the mail sender wait: never a busy poll. */
int db_wait(PGconn *conn, double seconds, int wake_fd);

/* A long-lived loop's database outage (the engine's, the mail sender's):
 * lost_event and back_event are its two log lines; the backoff starts at
 * base seconds and doubles up to cap, jittered by +-25 %. part is what the
 * loop is for /healthz: db_outage_lost and db_outage_over report the outage
 * and the heartbeat to the liveness registry. */
struct db_outage {
	const char *lost_event, *back_event;
	double base, cap;
	int failures; /* attempts since the outage began; 0 when connected */
	struct timespec since;
	enum liveness_part part;
};

/* The loop's connection c is lost, or could not be made (c NULL; err says
 * why, may be ""): closes c, logs lost_event with the cause once per outage
 * (PQerrorMessage, else "connection lost": never an empty error) and returns
 * how long to wait before the next attempt. */
double db_outage_lost(struct db_outage *o, PGconn *c, const char *err);

/* The connection works: ends an outage in progress with one back_event line
 * (its length and attempts); a heartbeat of o->part. Cheap when there is
 * no outage. */
void db_outage_over(struct db_outage *o);

/* Sleeps seconds, or until wake_fd (may be -1) becomes readable; returns 1
 * when woken through wake_fd (stop), else 0. For waiting without a
 * connection (db_wait needs one). */
int db_nap(double seconds, int wake_fd);

/* Whether a result is a success (PGRES_COMMAND_OK or PGRES_TUPLES_OK). */
int db_ok(const PGresult *res);

/* The value of the first row's column name as a number: 0 when there is no
 * row, no such column, NULL, or text that is not a whole number. */
long long db_first_ll(const PGresult *res, const char *name);
/* The same as a floating-point number (0 for none, NULL or not a number). */
double db_first_double(const PGresult *res, const char *name);

/* The day this installation's database was made (the instance record of
 * sql/0001), YYYY-MM-DD in Japan time, into out. Returns 0, or -1. */
int db_installed_on(PGconn *c, char out[11]);

/* Whether the database answers on c, as /healthz asks: 1 when it does and
 * takes writes, 0 when it does not answer, -1 when it answers read-only (a
 * standby, or a primary fenced with default_transaction_read_only during a
 * failover). */
int db_ping(PGconn *c);

#endif
