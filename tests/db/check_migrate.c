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

/* Runs sql as the application role on conninfo: returns the SQLSTATE of
 * its error ("" when it succeeded). */
static char *as_app(const char *app, const char *sql)
{
	char err[256];
	PGconn *c = db_connect(app, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	PGresult *r = PQexec(c, sql);
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	char *out = xstrdup(db_ok(r) ? "" : st ? st : "?");
	PQclear(r);
	PQfinish(c);
	return out;
}

/* Issue 15: serve and worker connect as a member of sokuho_app, which may
 * read and append to the audit log and nothing more, even with a crafted
 * statement; everything the application writes elsewhere it may write;
 * `sokuho migrate` as that role is refused (it owns nothing). */
START_TEST(test_app_role_least_privilege)
{
	char *db = ts_prepared_database(0);
	ts_sql(db, "INSERT INTO person (login, display_name, email) VALUES ('tanaka', '田中', "
		   "'tanaka@city.example.jp')");
	ts_sql(db, "INSERT INTO audit_event (kind, detail) VALUES ('test.one', '{}')");
	char *app = ts_app_conninfo(db);
	ck_assert_msg(strstr(app, "user=" TS_APP_ROLE) != NULL, "%s", app);
	ck_assert_int_eq(scalar(app, "SELECT count(*) FROM pg_roles WHERE rolname = current_user "
				     "AND NOT rolsuper AND NOT rolcreaterole AND NOT rolbypassrls"),
			 1);
	/* appending and reading the audit log works */
	char *e = as_app(app, "INSERT INTO audit_event (kind, detail) VALUES ('test.two', '{}')");
	ck_assert_str_eq(e, "");
	free(e);
	ck_assert_int_eq(scalar(app, "SELECT count(*) FROM audit_event"), 2);
	/* changing it in any way does not */
	static const char *const refused[] = {
		"UPDATE audit_event SET kind = 'forged'",
		"DELETE FROM audit_event",
		"TRUNCATE audit_event",
		"ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
		"ALTER TABLE audit_event DISABLE TRIGGER ALL",
		"DROP TRIGGER audit_event_no_update ON audit_event",
		"CREATE OR REPLACE FUNCTION audit_event_immutable() RETURNS trigger LANGUAGE plpgsql "
		"AS $$ BEGIN RETURN NEW; END $$",
		"ALTER TABLE audit_event OWNER TO " TS_APP_ROLE,
		"SET session_replication_role = replica",
		"WITH x AS (UPDATE audit_event SET detail = '{}' RETURNING 1) SELECT count(*) FROM x",
		"CREATE TABLE audit_copy AS SELECT * FROM audit_event",
		"DELETE FROM schema_migrations",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		e = as_app(app, refused[i]);
		/* 42501 insufficient_privilege (42809/42P01 would mean a typo) */
		ck_assert_msg(strcmp(e, "42501") == 0, "%s: SQLSTATE '%s'", refused[i], e);
		free(e);
	}
	/* granting itself more is a no-op (PostgreSQL only warns) */
	free(as_app(app, "GRANT UPDATE, DELETE, TRUNCATE ON audit_event TO " TS_APP_ROLE));
	ck_assert_int_eq(scalar(app, "SELECT count(*) FROM unnest(ARRAY['UPDATE', 'DELETE', "
				     "'TRUNCATE']) p WHERE has_table_privilege('audit_event', p)"),
			 0);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM audit_event WHERE kind LIKE 'test.%'"),
			 2);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM audit_event WHERE kind = 'forged'"), 0);
	/* what the application writes elsewhere, it may */
	e = as_app(app, "UPDATE person SET display_name = '田中 花子' WHERE login = 'tanaka'");
	ck_assert_str_eq(e, "");
	free(e);
	/* and it cannot migrate */
	char *out = NULL, *err = NULL;
	char *e1 = xasprintf("DATABASE_URL=%s", app);
	const char *env[] = {e1, NULL};
	const char *argv[] = {ts_bin(), "migrate", NULL};
	ts_sql(db, "SELECT 1");
	int st = ts_run(argv, env, &out, &err);
	/* nothing pending: the grants alone are refused (not the owner) */
	ck_assert_msg(st == 1 && strstr(err, "permission denied"), "%d %s", st, err);
	free(out);
	free(err);
	free(e1);
	free(app);
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
	tcase_add_test(tc, test_app_role_least_privilege);
	suite_add_tcase(s, tc);
	return s;
}
