/* The transaction runner against a real PostgreSQL: a serialization
 * failure and a deadlock are retried, a connection killed before COMMIT is
 * replaced and the work done once, a COMMIT whose answer never comes is not
 * repeated (unless the work is idempotent), a hard error is not retried and
 * keeps its cause, and "no row" is told apart from an error. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/prepared.h"
#include "db/tx.h"
#include "support.h"

Suite *tx_suite(void);

static char *db;
static PGconn *conn;

static PGconn *connect_db(void)
{
	char err[256];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static void setup(void)
{
	db = ts_new_database();
	conn = connect_db();
	ts_sql(db, "CREATE TABLE t (k text PRIMARY KEY, n int NOT NULL DEFAULT 0)");
}

static void teardown(void)
{
	PQfinish(conn);
	free(db);
}

struct work {
	int calls;
	const char *fail_first; /* SQL run in the first call only */
	PGconn *killer;         /* terminates the callback's backend on the first call */
};

static enum db_qs insert_row(PGconn *c, void *arg, struct db_err *e)
{
	struct work *w = arg;
	w->calls++;
	enum db_qs qs = db_exec(c, e, "INSERT INTO t (k) VALUES ('a') ON CONFLICT (k) DO UPDATE "
				      "SET n = t.n + 1", 0, NULL, NULL);
	if (qs < 0)
		return qs;
	if (w->calls == 1 && w->fail_first) {
		qs = db_exec(c, e, w->fail_first, 0, NULL, NULL);
		if (qs < 0)
			return qs;
	}
	if (w->calls == 1 && w->killer) {
		char q[96];
		snprintf(q, sizeof q, "SELECT pg_terminate_backend(%d)", PQbackendPID(c));
		PQclear(PQexec(w->killer, q));
		qs = db_exec(c, e, "SELECT pg_sleep(0.2)", 0, NULL, NULL);
		if (qs < 0)
			return qs;
	}
	return DB_OK;
}

START_TEST(serialization_failure_is_retried)
{
	struct work w = {0, "DO $$BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END$$",
			 NULL};
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", 0, insert_row, &w, &e), DB_OK);
	ck_assert_int_eq(w.calls, 2);
	ck_assert_int_eq(ts_scalar(db, "SELECT n FROM t WHERE k = 'a'"), 0);
	ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
}
END_TEST

START_TEST(deadlock_is_retried)
{
	struct work w = {0, "DO $$BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END$$",
			 NULL};
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", 0, insert_row, &w, &e), DB_OK);
	ck_assert_int_eq(w.calls, 2);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM t"), 1);
}
END_TEST

START_TEST(hard_error_keeps_its_cause)
{
	struct work w = {0, "SELECT 1/0", NULL};
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", 0, insert_row, &w, &e), DB_HARD);
	ck_assert_int_eq(w.calls, 1);
	ck_assert_str_eq(e.sqlstate, "22012");
	ck_assert_msg(strstr(e.msg, "division by zero") != NULL, "%s", e.msg);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM t"), 0);
	ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
}
END_TEST

START_TEST(connection_lost_before_commit_is_retried)
{
	PGconn *killer = connect_db();
	struct work w = {0, NULL, killer};
	struct db_err e;
	int pid = PQbackendPID(conn);
	ck_assert_int_eq(db_run_tx(conn, "test", 0, insert_row, &w, &e), DB_OK);
	ck_assert_int_eq(w.calls, 2);
	ck_assert_int_ne(PQbackendPID(conn), pid);
	ck_assert_int_eq(ts_scalar(db, "SELECT n FROM t WHERE k = 'a'"), 0);
	PQfinish(killer);
}
END_TEST

START_TEST(stale_connection_is_replaced_before_the_first_statement)
{
	PGconn *killer = connect_db();
	char q[96];
	snprintf(q, sizeof q, "SELECT pg_terminate_backend(%d)", PQbackendPID(conn));
	PQclear(PQexec(killer, q));
	PQfinish(killer);
	/* libpq learns of it only when it next talks to the server */
	struct work w = {0, NULL, NULL};
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", 0, insert_row, &w, &e), DB_OK);
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM t"), 1);
}
END_TEST

static void commit_killer(void)
{
	/* A deferred trigger that ends its own session while COMMIT runs:
	 * the client sent COMMIT and gets no answer (the first time only: a
	 * sequence is not rolled back). */
	ts_sql(db, "CREATE SEQUENCE commits");
	ts_sql(db, "CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
		   "IF nextval('commits') = 1 THEN "
		   "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1); END IF; "
		   "RETURN NULL; END$$");
	ts_sql(db, "CREATE CONSTRAINT TRIGGER die AFTER INSERT OR UPDATE ON t "
		   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die()");
}

START_TEST(unknown_commit_is_not_repeated)
{
	commit_killer();
	struct work w = {0, NULL, NULL};
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", 0, insert_row, &w, &e), DB_SOFT);
	ck_assert_int_eq(w.calls, 1);
	ck_assert(e.commit_unknown);
	ck_assert(e.conn_lost);
	ck_assert_msg(e.msg[0] != '\0', "no cause kept");
}
END_TEST

START_TEST(unknown_commit_of_idempotent_work_is_retried)
{
	commit_killer();
	struct work w = {0, NULL, NULL};
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", DB_TX_IDEMPOTENT, insert_row, &w, &e), DB_OK);
	ck_assert_int_eq(w.calls, 2);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM t"), 1);
}
END_TEST

static enum db_qs find_none(PGconn *c, void *arg, struct db_err *e)
{
	json_t **row = arg;
	return db_row_get(c, e, "SELECT k FROM t WHERE k = 'missing'", 0, NULL, row);
}

START_TEST(no_row_is_not_an_error)
{
	json_t *row = NULL;
	struct db_err e;
	ck_assert_int_eq(db_run_tx(conn, "test", 0, find_none, &row, &e), DB_NONE);
	ck_assert_ptr_null(row);
	ck_assert_int_eq(db_row_get(conn, &e, "SELECT no_such_column FROM t", 0, NULL, &row),
			 DB_HARD);
	ck_assert_str_eq(e.sqlstate, "42703");
	ck_assert_int_eq(db_row_get(conn, &e, "SELECT 'x' AS k, true AS b", 0, NULL, &row), DB_OK);
	ck_assert_str_eq(json_string_value(json_object_get(row, "k")), "x");
	ck_assert(json_is_true(json_object_get(row, "b")));
	json_decref(row);
	ck_assert_int_eq(db_exec(conn, &e, "UPDATE t SET n = 1 WHERE k = 'missing'", 0, NULL, NULL),
			 DB_NONE);
}
END_TEST

/* Prepared statements (db/prepared.h): prepared once per connection, again
 * after a reset, a DISCARD ALL or a DEALLOCATE, and the same rows as
 * unprepared. */
static const struct db_stmt count_stmt = {"test_count", "SELECT count(*) AS n, $1::text AS k FROM t",
					  1};

static long long prepared_here(PGconn *c)
{
	PGresult *r;
	struct db_err e;
	ck_assert_int_ge(db_exec(c, &e,
				 "SELECT count(*) AS n FROM pg_prepared_statements WHERE name = 'test_count'",
				 0, NULL, &r),
			 0);
	long long n = db_first_ll(r, "n");
	PQclear(r);
	return n;
}

static void count_is(PGconn *c, const char *k, const char *n)
{
	json_t *row = db_row_stmt(c, &count_stmt, (const char *const[]){k});
	ck_assert_ptr_nonnull(row);
	ck_assert_str_eq(json_string_value(json_object_get(row, "n")), n);
	ck_assert_str_eq(json_string_value(json_object_get(row, "k")), k);
	json_decref(row);
}

START_TEST(prepared_once_and_again_when_lost)
{
	ck_assert_int_eq(prepared_here(conn), 0);
	count_is(conn, "a", "0");
	ck_assert_int_eq(prepared_here(conn), 1);
	ts_sql(db, "INSERT INTO t (k) VALUES ('x')");
	count_is(conn, "b", "1"); /* the same statement, no second prepare */
	ck_assert_int_eq(prepared_here(conn), 1);
	/* a reset is a new session: prepared again */
	PQreset(conn);
	ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
	ck_assert_int_eq(prepared_here(conn), 0);
	count_is(conn, "c", "1");
	ck_assert_int_eq(prepared_here(conn), 1);
	/* dropped behind its back, outside a transaction: prepared and run again */
	PQclear(PQexec(conn, "DISCARD ALL"));
	count_is(conn, "d", "1");
	/* inside a transaction the one statement fails (the transaction is
	 * lost anyway), and the next use prepares it again */
	PQclear(PQexec(conn, "DEALLOCATE test_count"));
	PQclear(PQexec(conn, "BEGIN"));
	struct db_err e;
	ck_assert_int_lt(db_exec_stmt(conn, &e, &count_stmt, (const char *const[]){"e"}, 0, NULL), 0);
	ck_assert_str_eq(e.sqlstate, "26000");
	PQclear(PQexec(conn, "ROLLBACK"));
	count_is(conn, "f", "1");
	/* a prepare inside a transaction outlives its rollback */
	PQclear(PQexec(conn, "DEALLOCATE test_count"));
	count_is(conn, "g", "1"); /* prepared again (idle retry) */
	PQclear(PQexec(conn, "DEALLOCATE test_count"));
	PQclear(PQexec(conn, "BEGIN"));
	ck_assert_int_lt(db_exec_stmt(conn, &e, &count_stmt, (const char *const[]){"h"}, 0, NULL), 0);
	PQclear(PQexec(conn, "ROLLBACK"));
	PQclear(PQexec(conn, "BEGIN"));
	count_is(conn, "i", "1"); /* prepared inside this transaction */
	PQclear(PQexec(conn, "ROLLBACK"));
	ck_assert_int_eq(prepared_here(conn), 1);
	count_is(conn, "j", "1");
	/* a statement with a fault fails as it would unprepared */
	static const struct db_stmt bad = {"test_bad", "SELECT no_such_column FROM t", 0};
	ck_assert_int_eq(db_exec_stmt(conn, &e, &bad, NULL, 0, NULL), DB_HARD);
	ck_assert_str_eq(e.sqlstate, "42703");
	ck_assert_ptr_null(db_rows_stmt(conn, &bad, NULL));
}
END_TEST

Suite *tx_suite(void)
{
	Suite *s = suite_create("tx");
	TCase *tc = tcase_create("runner");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, serialization_failure_is_retried);
	tcase_add_test(tc, deadlock_is_retried);
	tcase_add_test(tc, hard_error_keeps_its_cause);
	tcase_add_test(tc, connection_lost_before_commit_is_retried);
	tcase_add_test(tc, stale_connection_is_replaced_before_the_first_statement);
	tcase_add_test(tc, unknown_commit_is_not_repeated);
	tcase_add_test(tc, unknown_commit_of_idempotent_work_is_retried);
	tcase_add_test(tc, no_row_is_not_an_error);
	tcase_add_test(tc, prepared_once_and_again_when_lost);
	suite_add_tcase(s, tc);
	return s;
}
