/* The connection pool against a real PostgreSQL: connections the server
 * ended (as a restart does) are replaced before the borrower's first
 * statement, a connection that broke in use is not handed out again, and a
 * database that cannot be reached gives no connection and marks the request
 * as lost (its answer is then 503, not 500). */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "support.h"

Suite *pool_suite(void);

static char *db;
static struct db_pool *pool;

static void setup(void)
{
	db = ts_new_database();
	char err[256];
	pool = db_pool_new(db, 3, err, sizeof err);
	ck_assert_msg(pool != NULL, "%s", err);
	db_pool_request_begin();
}

static void teardown(void)
{
	db_pool_free(pool);
	free(db);
}

/* Ends every other session on the test's database, as a restart would. */
static void terminate_all(void)
{
	char q[512];
	char *name = strchr(db, '=') + 1;
	snprintf(q, sizeof q,
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		 "WHERE datname = '%s' AND pid <> pg_backend_pid()",
		 name);
	ts_scalar("dbname=postgres", q);
	/* pg_terminate_backend only signals: wait until they are gone, as
	 * pg_ctl restart does */
	snprintf(q, sizeof q,
		 "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' "
		 "AND pid <> pg_backend_pid()",
		 name);
	for (int i = 0; i < 500 && ts_scalar("dbname=postgres", q) > 0; i++)
		usleep(10000);
	ck_assert_int_eq(ts_scalar("dbname=postgres", q), 0);
}

static int works(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT 1");
	int ok = db_ok(r);
	PQclear(r);
	return ok;
}

START_TEST(ended_connections_are_replaced_before_the_first_statement)
{
	PGconn *c[3];
	int pid[3];
	for (int i = 0; i < 3; i++) {
		c[i] = db_pool_get(pool);
		ck_assert_ptr_nonnull(c[i]);
		ck_assert(works(c[i]));
		pid[i] = PQbackendPID(c[i]);
	}
	for (int i = 0; i < 3; i++)
		db_pool_put(pool, c[i]);
	terminate_all();
	/* each borrower's first statement succeeds, on a new backend */
	for (int i = 0; i < 3; i++) {
		c[i] = db_pool_get(pool);
		ck_assert_ptr_nonnull(c[i]);
		ck_assert_msg(works(c[i]), "%s", PQerrorMessage(c[i]));
		for (int j = 0; j < 3; j++)
			ck_assert_int_ne(PQbackendPID(c[i]), pid[j]);
	}
	ck_assert_int_eq(db_pool_request_lost(), 0);
	for (int i = 0; i < 3; i++)
		db_pool_put(pool, c[i]);
}
END_TEST

START_TEST(connection_broken_in_use_is_not_handed_out_again)
{
	PGconn *c = db_pool_get(pool);
	ck_assert_ptr_nonnull(c);
	int pid = PQbackendPID(c);
	PGconn *killer = db_connect(db, (char[256]){0}, 256);
	ck_assert_ptr_nonnull(killer);
	char q[96];
	snprintf(q, sizeof q, "SELECT pg_terminate_backend(%d)", pid);
	PQclear(PQexec(killer, q));
	PQfinish(killer);
	/* the server ends it while the borrower holds it: its statement fails */
	PGresult *r = PQexec(c, "SELECT pg_sleep(0.2)");
	PQclear(r);
	r = PQexec(c, "SELECT 1");
	ck_assert(!db_ok(r));
	PQclear(r);
	ck_assert_int_eq(db_pool_request_lost(), 1);
	db_pool_put(pool, c);
	ck_assert_int_eq(db_pool_request_lost(), 1);
	db_pool_request_begin();
	ck_assert_int_eq(db_pool_request_lost(), 0);
	c = db_pool_get(pool);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_ne(PQbackendPID(c), pid);
	ck_assert(works(c));
	db_pool_put(pool, c);
}
END_TEST

START_TEST(unreachable_database_gives_no_connection_and_comes_back)
{
	char *name = strchr(db, '=') + 1;
	char q[256];
	snprintf(q, sizeof q, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS false", name);
	ts_sql("dbname=postgres", q);
	terminate_all();
	for (int i = 0; i < 4; i++) {
		db_pool_request_begin();
		PGconn *c = db_pool_get(pool);
		ck_assert_ptr_null(c);
		ck_assert_int_eq(db_pool_request_lost(), 1);
	}
	snprintf(q, sizeof q, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS true", name);
	ts_sql("dbname=postgres", q);
	db_pool_request_begin();
	PGconn *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = db_pool_get(pool);
		ck_assert_ptr_nonnull(c[i]);
		ck_assert(works(c[i]));
	}
	ck_assert_int_eq(db_pool_request_lost(), 0);
	for (int i = 0; i < 3; i++)
		db_pool_put(pool, c[i]);
}
END_TEST

Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ended_connections_are_replaced_before_the_first_statement);
	tcase_add_test(tc, connection_broken_in_use_is_not_handed_out_again);
	tcase_add_test(tc, unreachable_database_gives_no_connection_and_comes_back);
	suite_add_tcase(s, tc);
	return s;
}
