/* Statements prepared once per connection (PQprepare) for those that run on
 * every request — the session lookup, the incident page's — so that
 * PostgreSQL plans them once per connection rather than on each call (the
 * incident page's statement took about 1.5 ms to plan and 0.5 ms to run).
 *
 *     static const struct db_stmt page_stmt = {"incident_page", "SELECT ...", 2};
 *     json_t *row = db_row_stmt(c, &page_stmt, params);
 *
 * Which statements a connection holds is kept with the connection (libpq
 * event instance data): forgotten when libpq resets it (PQreset, as
 * db_run_tx does after a lost connection) and freed with it (PQfinish). A
 * statement the server no longer has (DISCARD ALL, DEALLOCATE) is prepared
 * again and, outside a transaction, run again at once. A prepared statement
 * outlives a rolled-back transaction (PostgreSQL's rule), so preparing
 * inside one is safe. Thread-safe as far as a connection is used
 * by one thread at a time (the pool's rule). */
#ifndef SOKUHO_DB_PREPARED_H
#define SOKUHO_DB_PREPARED_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db/tx.h"

/* A statement: name unique in the program, its SQL, its parameter count.
 * Define each one once, static const. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/* Runs stmt with params (text; nparams of them) as db_exec does (db/tx.h),
 * preparing it on c first when c does not hold it yet; results in text, or
 * binary with binary. With out, a successful result (status >= 0) is stored
 * there for the caller to PQclear. */
enum db_qs db_exec_stmt(PGconn *c, struct db_err *e, const struct db_stmt *stmt,
			const char *const *params, int binary, PGresult **out);

/* db_rows and db_row (db/db.h) for a prepared statement: rows as JSON
 * objects keyed by column name (strings, json null, booleans); NULL on error
 * (logged) or, for db_row_stmt, when there is no row. Caller owns. */
json_t *db_rows_stmt(PGconn *c, const struct db_stmt *stmt, const char *const *params);
json_t *db_row_stmt(PGconn *c, const struct db_stmt *stmt, const char *const *params);

#endif
