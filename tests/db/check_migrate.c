/* Migrations against a real PostgreSQL: idempotence, rollback of a broken
 * file with a message that names it, refusal of an edited file, and two
 * concurrent `sokuho migrate` runs. */
#include <check.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "db/db.h"
#include "db/migrate.h"
#include "support.h"

Suite *migrate_suite(void);

static long scalar(const char *conninfo, const char *sql)
{
	char err[256];
	PGconn *c = db_connect(conninfo, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(db_ok(r), "%s: %s", sql, PQresultErrorMessage(r));
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static int migrate_cli(const char *conninfo, const char *dir, char **out, char **err)
{
	char *e1 = xasprintf("DATABASE_URL=%s", conninfo);
	char *e2 = xasprintf("SOKUHO_SQL_DIR=%s", dir);
	const char *env[] = {e1, e2, NULL};
	const char *argv[] = {ts_bin(), "migrate", NULL};
	int st = ts_run(argv, env, out, err);
	free(e1);
	free(e2);
	return st;
}

static int count_sql_files(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert(d != NULL);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".sql"))
			n++;
	closedir(d);
	return n;
}

START_TEST(test_shipped_migrations_idempotent)
{
	char *db = ts_new_database();
	char *out, *err;
	ck_assert_int_eq(migrate_cli(db, "sql", &out, &err), 0);
	ck_assert_msg(strstr(out, "applied 0001_foundation.sql"), "%s", out);
	int files = count_sql_files("sql");
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM schema_migrations"), files);
	free(out);
	free(err);
	ck_assert_int_eq(migrate_cli(db, "sql", &out, &err), 0);
	ck_assert_msg(strstr(out, "up to date"), "%s", out);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM schema_migrations"), files);
	/* The database clock exists and follows clock_offset. */
	ck_assert_int_eq(scalar(db, "SELECT (sokuho_now() - now() = '0')::int"), 1);
	/* References grow past four digits: the 9,999th and 10,000th of 2030. */
	ts_sql(db, "INSERT INTO incident_counter (year, last) VALUES (2030, 9998)");
	ck_assert_int_eq(scalar(db, "SELECT (next_incident_ref('2030-06-01 12:00+09') = "
				    "'INC-2030-9999')::int"),
			 1);
	ck_assert_int_eq(scalar(db, "SELECT (next_incident_ref('2030-06-01 12:00+09') = "
				    "'INC-2030-10000')::int"),
			 1);
	ck_assert_int_eq(scalar(db, "SELECT (next_incident_ref('2031-01-01 00:30+09') = "
				    "'INC-2031-0001')::int"),
			 1);
	free(out);
	free(err);
	free(db);
}
END_TEST

START_TEST(test_pending_count)
{
	char *db = ts_new_database();
	char err[512];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert(c != NULL);
	ck_assert_int_eq(migrate_pending(c, "sql", err, sizeof err), count_sql_files("sql"));
	ck_assert_int_ge(migrate_run(c, "sql", NULL, err, sizeof err), 1);
	ck_assert_int_eq(migrate_pending(c, "sql", err, sizeof err), 0);
	ck_assert_int_eq(migrate_run(c, "sql", NULL, err, sizeof err), 0);
	PQfinish(c);
	free(db);
}
END_TEST

START_TEST(test_broken_migration_rolls_back)
{
	char *db = ts_new_database();
	char *dir = ts_tmpdir();
	char *p1 = xasprintf("%s/0001_ok.sql", dir), *p2 = xasprintf("%s/0002_bad.sql", dir);
	ts_write_file(p1, "CREATE TABLE alpha (x int);\n");
	ts_write_file(p2, "-- 日本語のコメント\nCREATE TABLE beta (x int);\n"
			  "INSERT INTO beta VALUES (1);\nINSERT INTO  nosuch_table VALUES (1);\n");
	char *out, *err;
	ck_assert_int_eq(migrate_cli(db, dir, &out, &err), 1);
	ck_assert_msg(strstr(err, "'0002_bad.sql'"), "names the file: %s", err);
	ck_assert_msg(strstr(err, "line 4, column 14"), "names the position: %s", err);
	ck_assert_msg(strstr(err, "nosuch_table"), "has PostgreSQL's error: %s", err);
	ck_assert_msg(strstr(err, "rolled back"), "%s", err);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM schema_migrations"), 1);
	ck_assert_int_eq(scalar(db, "SELECT (to_regclass('alpha') IS NOT NULL)::int"), 1);
	ck_assert_int_eq(scalar(db, "SELECT (to_regclass('beta') IS NULL)::int"), 1);
	free(out);
	free(err);
	/* Fixed, it applies and the first file is not applied again. */
	ts_write_file(p2, "CREATE TABLE beta (x int);\n");
	ck_assert_int_eq(migrate_cli(db, dir, &out, &err), 0);
	ck_assert_msg(strstr(out, "applied 0002_bad.sql") && !strstr(out, "0001_ok"), "%s", out);
	free(out);
	free(err);
	free(p1);
	free(p2);
	free(dir);
	free(db);
}
END_TEST

START_TEST(test_changed_migration_refused)
{
	char *db = ts_new_database();
	char *dir = ts_tmpdir();
	char *p1 = xasprintf("%s/0001_one.sql", dir);
	ts_write_file(p1, "CREATE TABLE one (x int);\n");
	char *out, *err;
	ck_assert_int_eq(migrate_cli(db, dir, &out, &err), 0);
	free(out);
	free(err);
	ts_write_file(p1, "CREATE TABLE one (x int, y int);\n");
	ck_assert_int_eq(migrate_cli(db, dir, &out, &err), 1);
	ck_assert_msg(strstr(err, "'0001_one.sql' has changed since it was applied"), "%s", err);
	free(out);
	free(err);
	free(p1);
	free(dir);
	free(db);
}
END_TEST

START_TEST(test_bad_file_names)
{
	char *db = ts_new_database();
	char *dir = ts_tmpdir();
	char *p = xasprintf("%s/1_x.sql", dir);
	ts_write_file(p, "SELECT 1;\n");
	char *out, *err;
	ck_assert_int_eq(migrate_cli(db, dir, &out, &err), 1);
	ck_assert_msg(strstr(err, "'1_x.sql' is badly named"), "%s", err);
	free(out);
	free(err);
	free(p);
	free(dir);
	free(db);
}
END_TEST

START_TEST(test_concurrent_migrate)
{
	char *db = ts_new_database();
	char *dir = ts_tmpdir();
	char *p1 = xasprintf("%s/0001_slow.sql", dir);
	/* Slow enough that the second process arrives while the first holds
	 * the lock; without the lock both would try to create the table. */
	ts_write_file(p1, "SELECT pg_sleep(1);\nCREATE TABLE once (x int);\n"
			  "INSERT INTO once VALUES (1);\n");
	char *e1 = xasprintf("DATABASE_URL=%s", db), *e2 = xasprintf("SOKUHO_SQL_DIR=%s", dir);
	pid_t pids[2];
	char outs[2][64];
	for (int i = 0; i < 2; i++) {
		snprintf(outs[i], sizeof outs[i], "%s/out%d", dir, i);
		pids[i] = fork();
		ck_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			FILE *f = freopen(outs[i], "w", stdout);
			(void)f;
			putenv(e1);
			putenv(e2);
			execl(ts_bin(), ts_bin(), "migrate", (char *)NULL);
			_exit(127);
		}
	}
	int applied = 0;
	for (int i = 0; i < 2; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "migrate %d failed", i);
		char *o = ts_read_file(outs[i]);
		if (strstr(o, "applied 0001_slow.sql"))
			applied++;
		free(o);
	}
	ck_assert_int_eq(applied, 1);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM once"), 1);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM schema_migrations"), 1);
	free(e1);
	free(e2);
	free(p1);
	free(dir);
	free(db);
}
END_TEST

Suite *migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("migrate");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shipped_migrations_idempotent);
	tcase_add_test(tc, test_pending_count);
	tcase_add_test(tc, test_broken_migration_rolls_back);
	tcase_add_test(tc, test_changed_migration_refused);
	tcase_add_test(tc, test_bad_file_names);
	tcase_add_test(tc, test_concurrent_migrate);
	suite_add_tcase(s, tc);
	return s;
}
