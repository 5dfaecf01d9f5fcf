/* People against a real PostgreSQL: the role resolver (ranks, scopes,
 * validity dates, inactive people), the CSV import of the staff list, the
 * `sokuho user` commands (passwords given on standard input), the demo city,
 * the common-password list, and the audit events every change writes. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/password.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"

Suite *people_suite(void);

/* Database helpers ------------------------------------------------------ */

static PGconn *conn_to(const char *db)
{
	char err[256];
	PGconn *c = db_connect(db, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static void sql(const char *db, const char *q)
{
	PGconn *c = conn_to(db);
	PGresult *r = PQexec(c, q);
	ck_assert_msg(db_ok(r), "%s: %s", q, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* The first column of the first row as text ("" for NULL or no row); the
 * caller frees. */
static char *text(const char *db, const char *q)
{
	PGconn *c = conn_to(db);
	PGresult *r = PQexec(c, q);
	ck_assert_msg(db_ok(r), "%s: %s", q, PQresultErrorMessage(r));
	char *v = xstrdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return v;
}

static long num(const char *db, const char *q)
{
	char *v = text(db, q);
	long n = atol(v);
	free(v);
	return n;
}

/* Asserts that query q returns the text want. */
#define ck_text(db, q, want)                                                              \
	do {                                                                              \
		char *got_ = text(db, q);                                                 \
		ck_assert_msg(strcmp(got_, want) == 0, "%s\n  got:  %s\n  want: %s", q,   \
			      got_, want);                                                \
		free(got_);                                                               \
	} while (0)

/* Running the binary ----------------------------------------------------- */

/* Runs `sokuho ARGS...` (NULL-terminated) against db with input on its
 * standard input (NULL: /dev/null). ts_run cannot feed standard input, so
 * this forks itself: a pipe for stdin, temporary files for the output. */
static int run(const char *db, const char *input, char **out, char **err, ...)
{
	const char *argv[32];
	int argc = 0;
	argv[argc++] = ts_bin();
	va_list ap;
	va_start(ap, err);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	char outpath[] = "/tmp/sokuho-pout-XXXXXX", errpath[] = "/tmp/sokuho-perr-XXXXXX";
	int ofd = mkstemp(outpath), efd = mkstemp(errpath);
	ck_assert(ofd >= 0 && efd >= 0);
	int in[2];
	ck_assert(pipe(in) == 0);
	char *env = xasprintf("DATABASE_URL=%s", db);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		close(in[1]);
		dup2(in[0], 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		putenv(env);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	if (input) {
		size_t len = strlen(input), done = 0;
		while (done < len) {
			ssize_t n = write(in[1], input + done, len - done);
			if (n <= 0)
				break; /* the command stopped reading */
			done += (size_t)n;
		}
	}
	close(in[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(env);
	char *o = ts_read_file(outpath), *e = ts_read_file(errpath);
	close(ofd);
	close(efd);
	unlink(outpath);
	unlink(errpath);
	/* Under the sanitizer build a leak exits 1, like an ordinary failure:
	 * look for the report itself. */
	ck_assert_msg(!strstr(e, "Sanitizer") && !strstr(e, "runtime error:"), "%s: %s",
		      argv[1], e);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A migrated database. */
static char *new_db(void)
{
	char *db = ts_new_database();
	char *out, *err;
	int st = run(db, NULL, &out, &err, "migrate", NULL);
	ck_assert_msg(st == 0, "migrate: %s", err);
	free(out);
	free(err);
	return db;
}

/* Two departments, three sections and a system: d1 (s1, s2), d2 (s3); sys1
 * belongs to s1; d1 also has a closed section s9. */
static void small_org(const char *db)
{
	sql(db, "INSERT INTO org_unit (code, kind, name_ja, name_en) VALUES "
		"('d1', 'department', '第一部', 'Dept 1'), ('d2', 'department', '第二部', 'Dept 2');"
		"INSERT INTO org_unit (code, kind, parent_id, name_ja, name_en, active) VALUES "
		"('s1', 'section', (SELECT id FROM org_unit WHERE code = 'd1'), '一課', 'S1', true),"
		"('s2', 'section', (SELECT id FROM org_unit WHERE code = 'd1'), '二課', 'S2', true),"
		"('s3', 'section', (SELECT id FROM org_unit WHERE code = 'd2'), '三課', 'S3', true),"
		"('s9', 'section', (SELECT id FROM org_unit WHERE code = 'd1'), '旧課', 'S9', false);"
		"INSERT INTO info_system (code, name_ja, name_en, section_id) VALUES "
		"('sys1', 'システム1', 'System 1', (SELECT id FROM org_unit WHERE code = 's1'))");
}

/* The resolver ----------------------------------------------------------- */

/* Assigns role over scope (kind, code) with a deputy rank and validity
 * dates given as SQL expressions. */
static void assign(const char *db, const char *login, const char *role, const char *kind,
		   const char *code, int rank, const char *from, const char *to)
{
	char *scope;
	if (strcmp(kind, "city") == 0)
		scope = xstrdup("NULL");
	else if (strcmp(kind, "system") == 0)
		scope = xasprintf("(SELECT id FROM info_system WHERE code = '%s')", code);
	else
		scope = xasprintf("(SELECT id FROM org_unit WHERE code = '%s')", code);
	char *q = xasprintf(
		"INSERT INTO role_assignment (person_id, role, scope_kind, scope_id, deputy_rank, "
		"valid_from, valid_to) VALUES ((SELECT id FROM person WHERE login = '%s'), '%s', "
		"'%s', %s, %d, %s, %s)",
		login, role, kind, scope, rank, from, to);
	sql(db, q);
	free(q);
	free(scope);
}

/* The resolver's answer as "login:rank:scope,..." in its order. */
static char *resolve(const char *db, const char *role, const char *section, const char *system)
{
	char *sec = section ? xasprintf("(SELECT id FROM org_unit WHERE code = '%s')", section)
			    : xstrdup("NULL");
	char *sys = system ? xasprintf("(SELECT id FROM info_system WHERE code = '%s')", system)
			   : xstrdup("NULL");
	char *q = xasprintf("SELECT coalesce(string_agg(p.login || ':' || r.deputy_rank || ':' || "
			    "r.scope_kind, ',' ORDER BY r.ord), '') FROM resolve_role('%s', %s, "
			    "%s) WITH ORDINALITY AS r(person_id, deputy_rank, scope_kind, "
			    "scope_id, ord) JOIN person p ON p.id = r.person_id",
			    role, sec, sys);
	char *v = text(db, q);
	free(q);
	free(sec);
	free(sys);
	return v;
}

static void ck_resolve(const char *db, const char *role, const char *section,
		       const char *system, const char *want)
{
	char *got = resolve(db, role, section, system);
	ck_assert_msg(strcmp(got, want) == 0, "resolve_role(%s, %s, %s)\n  got:  %s\n  want: %s",
		      role, section ? section : "NULL", system ? system : "NULL", got, want);
	free(got);
}

static char *resolver_db(void)
{
	char *db = new_db();
	small_org(db);
	sql(db, "INSERT INTO person (login, display_name, email) SELECT 'p' || i, 'P' || i, "
		"'p' || i || '@city.example.jp' FROM generate_series(1, 14) i");
	return db;
}

START_TEST(test_resolver_ranks_and_windows)
{
	char *db = resolver_db();
	const char *today = "sokuho_today()", *open = "NULL";
	/* Inserted out of order: the answer is by rank. */
	assign(db, "p3", "security_manager", "section", "s1", 2, today, open);
	assign(db, "p1", "security_manager", "section", "s1", 0, "sokuho_today() - 100", open);
	assign(db, "p2", "security_manager", "section", "s1", 1, today, open);
	/* Expired yesterday, not yet valid, inactive: all skipped. */
	assign(db, "p4", "security_manager", "section", "s1", 0, "sokuho_today() - 60",
	       "sokuho_today() - 1");
	assign(db, "p5", "security_manager", "section", "s1", 3, "sokuho_today() + 10", open);
	assign(db, "p6", "security_manager", "section", "s1", 4, today, open);
	sql(db, "UPDATE person SET active = false WHERE login = 'p6'");
	/* Valid until ten days from now. */
	assign(db, "p7", "security_manager", "section", "s1", 5, today, "sokuho_today() + 10");
	/* Another section's manager is not s1's. */
	assign(db, "p8", "security_manager", "section", "s2", 0, today, open);

	ck_resolve(db, "security_manager", "s1", NULL,
		   "p1:0:section,p2:1:section,p3:2:section,p7:5:section");
	ck_resolve(db, "security_manager", "s2", NULL, "p8:0:section");
	/* Ends today: still valid today. */
	sql(db, "UPDATE role_assignment SET valid_to = sokuho_today() WHERE person_id = "
		"(SELECT id FROM person WHERE login = 'p8')");
	ck_resolve(db, "security_manager", "s2", NULL, "p8:0:section");

	/* Thirty days on: p5 has started, p7 and p8 have ended. */
	sql(db, "UPDATE clock_offset SET offset_by = '30 days'");
	ck_resolve(db, "security_manager", "s1", NULL,
		   "p1:0:section,p2:1:section,p3:2:section,p5:3:section");
	ck_resolve(db, "security_manager", "s2", NULL, "");
	/* An activated person counts again. */
	sql(db, "UPDATE person SET active = true WHERE login = 'p6'");
	ck_resolve(db, "security_manager", "s1", NULL,
		   "p1:0:section,p2:1:section,p3:2:section,p5:3:section,p6:4:section");
	free(db);
}
END_TEST

START_TEST(test_resolver_scopes)
{
	char *db = resolver_db();
	const char *today = "sokuho_today()", *open = "NULL";
	assign(db, "p1", "security_officer", "department", "d1", 0, today, open);
	assign(db, "p2", "security_officer", "department", "d1", 1, today, open);
	assign(db, "p3", "security_officer", "department", "d2", 0, today, open);
	/* Department scope is found through the section's parent. */
	ck_resolve(db, "security_officer", "s1", NULL, "p1:0:department,p2:1:department");
	ck_resolve(db, "security_officer", "s2", NULL, "p1:0:department,p2:1:department");
	ck_resolve(db, "security_officer", "s3", NULL, "p3:0:department");
	/* City scope answers for any section, and for none. */
	assign(db, "p5", "csirt", "city", NULL, 0, today, open);
	assign(db, "p4", "csirt", "city", NULL, 0, today, open);
	ck_resolve(db, "csirt", "s3", NULL, "p4:0:city,p5:0:city");
	ck_resolve(db, "csirt", NULL, NULL, "p4:0:city,p5:0:city");
	/* System scope only when the system is asked about. */
	assign(db, "p6", "system_manager", "system", "sys1", 0, today, open);
	assign(db, "p7", "system_manager", "system", "sys1", 1, today, open);
	ck_resolve(db, "system_manager", "s1", "sys1", "p6:0:system,p7:1:system");
	ck_resolve(db, "system_manager", "s1", NULL, "");
	/* Nobody holds it: an empty answer. */
	ck_resolve(db, "auditor", "s1", NULL, "");
	ck_resolve(db, "ciso", NULL, NULL, "");
	free(db);
}
END_TEST

START_TEST(test_resolver_most_specific_first)
{
	char *db = resolver_db();
	const char *today = "sokuho_today()", *open = "NULL";
	/* The same role over every kind of scope, inserted least specific first. */
	assign(db, "p1", "security_manager", "city", NULL, 0, today, open);
	assign(db, "p2", "security_manager", "department", "d1", 1, today, open);
	assign(db, "p3", "security_manager", "department", "d1", 0, today, open);
	assign(db, "p4", "security_manager", "section", "s1", 1, today, open);
	assign(db, "p5", "security_manager", "section", "s1", 0, today, open);
	assign(db, "p6", "security_manager", "system", "sys1", 0, today, open);
	ck_resolve(db, "security_manager", "s1", "sys1",
		   "p6:0:system,p5:0:section,p4:1:section,p3:0:department,p2:1:department,"
		   "p1:0:city");
	ck_resolve(db, "security_manager", "s3", NULL, "p1:0:city");
	free(db);
}
END_TEST

/* CSV import -------------------------------------------------------------- */

struct csvfile {
	char *dir, *path;
};

static void csv_write(struct csvfile *f, const char *name, const char *content)
{
	if (!f->dir)
		f->dir = ts_tmpdir();
	free(f->path);
	f->path = xasprintf("%s/%s", f->dir, name);
	ts_write_file(f->path, content);
}

static void csv_release(struct csvfile *f)
{
	if (f->path)
		unlink(f->path);
	if (f->dir)
		rmdir(f->dir);
	free(f->path);
	free(f->dir);
}

/* stderr of the import holds "PATH:LINE: field 'NAME'". */
static void ck_problem(const char *err, const char *path, int line, const char *field)
{
	char *want = xasprintf("%s:%d: field '%s'", path, line, field);
	ck_assert_msg(strstr(err, want), "expected '%s' in:\n%s", want, err);
	free(want);
}

START_TEST(test_import_good_file)
{
	char *db = new_db();
	small_org(db);
	struct csvfile f = {0};
	csv_write(&f, "staff.csv",
		  "login,display_name,email,section,kind,lang,active\n"
		  "yamada.taro,山田 太郎,yamada.taro@city.example.jp,s1,staff,ja,true\n"
		  "suzuki.hanako,鈴木 花子,suzuki.hanako@city.example.jp,s2,,en,1\n"
		  "vendor.ito,伊藤 一郎,ito@vendor.example.com,s3,contractor,ja,no\n");
	char *out, *err;
	int st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_msg(st == 0, "%s%s", out, err);
	ck_assert_msg(strstr(out, "imported 3 people (3 added, 0 updated)"), "%s", out);
	ck_text(db,
		"SELECT string_agg(concat_ws('|', p.login, p.display_name, p.email, u.code, "
		"p.kind, p.lang, p.active, p.password_hash IS NULL), ';' ORDER BY p.login) "
		"FROM person p LEFT JOIN org_unit u ON u.id = p.section_id",
		"suzuki.hanako|鈴木 花子|suzuki.hanako@city.example.jp|s2|staff|en|t|t;"
		"vendor.ito|伊藤 一郎|ito@vendor.example.com|s3|contractor|ja|f|t;"
		"yamada.taro|山田 太郎|yamada.taro@city.example.jp|s1|staff|ja|t|t");
	/* One audit event naming who was added. */
	ck_text(db,
		"SELECT concat_ws('|', count(*), min(detail->>'added'), "
		"min(detail->>'updated')) FROM audit_event WHERE kind = 'user.import'",
		"1|[\"yamada.taro\", \"suzuki.hanako\", \"vendor.ito\"]|[]");
	free(out);
	free(err);
	csv_release(&f);
	free(db);
}
END_TEST

static const char bad_rows[] =
	"login,display_name,email,section\n"
	"ok.one,一 一,one@city.example.jp,s1\n"
	"bad.mail,二 二,two.city.example.jp,s1\n"
	"ok.three,三 三,three@city.example.jp,s2\n"
	"bad.section,四 四,four@city.example.jp,nosuch\n"
	"ok.five,五 五,five@city.example.jp,\n";

START_TEST(test_import_bad_rows_import_nothing)
{
	char *db = new_db();
	small_org(db);
	sql(db, "INSERT INTO person (login, display_name, email) VALUES "
		"('already', 'Already Here', 'already@city.example.jp')");
	struct csvfile f = {0};
	csv_write(&f, "bad.csv", bad_rows);
	char *out, *err;
	int st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_int_eq(st, 1);
	ck_problem(err, f.path, 3, "email");
	ck_problem(err, f.path, 5, "section");
	ck_assert_msg(strstr(err, "'two.city.example.jp' has no @"), "%s", err);
	ck_assert_msg(strstr(err, "'nosuch' is not the code of a section"), "%s", err);
	ck_assert_msg(strstr(err, "nothing was imported"), "%s", err);
	/* Line 3 is reported before line 5, and nothing else is. */
	ck_assert(strstr(err, ":3: ") && strstr(err, ":5: ") &&
		  strstr(err, ":3: ") < strstr(err, ":5: "));
	ck_assert_ptr_null(strstr(err, ":2: "));
	ck_assert_ptr_null(strstr(err, ":4: "));
	ck_assert_ptr_null(strstr(err, ":6: "));
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 1);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event"), 0);
	free(out);
	free(err);
	csv_release(&f);
	free(db);
}
END_TEST

START_TEST(test_import_partial)
{
	char *db = new_db();
	small_org(db);
	struct csvfile f = {0};
	csv_write(&f, "bad.csv", bad_rows);
	char *out, *err;
	int st = run(db, NULL, &out, &err, "user", "import", f.path, "--partial", NULL);
	ck_assert_int_eq(st, 1);
	ck_problem(err, f.path, 3, "email");
	ck_problem(err, f.path, 5, "section");
	ck_assert_msg(strstr(out, "imported 3 people (3 added, 0 updated)"), "%s", out);
	ck_assert_msg(strstr(out, "2 bad rows were skipped"), "%s", out);
	ck_text(db, "SELECT string_agg(login, ',' ORDER BY login) FROM person",
		"ok.five,ok.one,ok.three");
	ck_text(db, "SELECT section_id IS NULL FROM person WHERE login = 'ok.five'", "t");
	ck_text(db, "SELECT detail->>'skipped_rows' || ' ' || (detail->>'partial') "
		    "FROM audit_event WHERE kind = 'user.import'",
		"2 true");
	free(out);
	free(err);
	csv_release(&f);
	free(db);
}
END_TEST

START_TEST(test_import_quoting_bom_crlf)
{
	char *db = new_db();
	small_org(db);
	struct csvfile f = {0};
	/* Columns in another order; a BOM; CRLF; quoted commas, doubled quotes;
	 * a line break inside a quoted name (refused, but the lines after it
	 * still count right). */
	csv_write(&f, "quoted.csv",
		  "\xEF\xBB\xBF"
		  "email,login,display_name,section,active\r\n"
		  "al@city.example.jp,al,\"Smith, Alice \"\"Al\"\"\",s1,yes\r\n"
		  "bob@city.example.jp,bob,\"Bob\r\nJones\",s1,\r\n"
		  "carol@@city.example.jp,carol,Carol,s1,true\r\n"
		  "\"dave@city.example.jp\",\"dave\",\"山田, 太郎\",\"\",\"0\"\r\n"
		  "\r\n");
	char *out, *err;
	int st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_int_eq(st, 1);
	ck_problem(err, f.path, 3, "display_name");
	ck_problem(err, f.path, 5, "email");
	ck_assert_msg(strstr(err, "line break"), "%s", err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 0);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "import", f.path, "--partial", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(out, "imported 2 people (2 added, 0 updated)"), "%s%s", out, err);
	ck_text(db,
		"SELECT string_agg(concat_ws('|', login, display_name, email, active), ';' "
		"ORDER BY login) FROM person",
		"al|Smith, Alice \"Al\"|al@city.example.jp|t;"
		"dave|山田, 太郎|dave@city.example.jp|f");
	free(out);
	free(err);
	csv_release(&f);
	free(db);
}
END_TEST

START_TEST(test_import_duplicates_and_header)
{
	char *db = new_db();
	small_org(db);
	struct csvfile f = {0};
	char *out, *err;
	/* The same login twice: both lines refused, nothing imported. */
	csv_write(&f, "dup.csv",
		  "login,display_name,email,section\n"
		  "twice,一,a@city.example.jp,s1\n"
		  "once,二,b@city.example.jp,s1\n"
		  "twice,三,c@city.example.jp,s2\n");
	int st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_int_eq(st, 1);
	ck_problem(err, f.path, 2, "login");
	ck_problem(err, f.path, 4, "login");
	ck_assert_msg(strstr(err, "more than one line (2, 4)"), "%s", err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 0);
	free(out);
	free(err);

	/* An unknown column is named; so is a missing one. */
	csv_write(&f, "cols.csv",
		  "login,display_name,email,section,phone\n"
		  "x1,X,x@city.example.jp,s1,0555-00-0000\n");
	st = run(db, NULL, &out, &err, "user", "import", f.path, "--partial", NULL);
	ck_assert_int_eq(st, 1);
	char *want = xasprintf("%s:1: unknown column 'phone'", f.path);
	ck_assert_msg(strstr(err, want), "%s", err);
	free(want);
	free(out);
	free(err);
	csv_write(&f, "cols.csv", "login,display_name,section\nx1,X,s1\n");
	st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, "column 'email' is missing"), "%s", err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 0);
	free(out);
	free(err);

	/* Wrong field count, a department or closed section, bad kind, lang
	 * and active, an upper-case login: each on its own line. */
	csv_write(&f, "misc.csv",
		  "login,display_name,email,section,kind,lang,active\n"
		  "short,S,s@city.example.jp,s1\n"
		  "dept,D,d@city.example.jp,d1,staff,ja,true\n"
		  "closed,C,c@city.example.jp,s9,staff,ja,true\n"
		  "kind,K,k@city.example.jp,s1,temp,ja,true\n"
		  "lang,L,l@city.example.jp,s1,staff,fr,true\n"
		  "act,A,a@city.example.jp,s1,staff,ja,maybe\n"
		  "Upper,U,u@city.example.jp,s1,staff,ja,true\n"
		  "wide,W,w＠city.example.jp,s1,staff,ja,true\n");
	st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_int_eq(st, 1);
	want = xasprintf("%s:2: has 4 fields but the header has 7 columns", f.path);
	ck_assert_msg(strstr(err, want), "%s", err);
	free(want);
	ck_problem(err, f.path, 3, "section");
	ck_assert_msg(strstr(err, "is a department"), "%s", err);
	ck_problem(err, f.path, 4, "section");
	ck_assert_msg(strstr(err, "closed"), "%s", err);
	ck_problem(err, f.path, 5, "kind");
	ck_problem(err, f.path, 6, "lang");
	ck_problem(err, f.path, 7, "active");
	ck_problem(err, f.path, 8, "login");
	ck_problem(err, f.path, 9, "email");
	ck_assert_msg(strstr(err, "8 bad rows; nothing was imported"), "%s", err);
	free(out);
	free(err);

	/* Shift_JIS is refused as a whole, with the line. */
	csv_write(&f, "sjis.csv", "login,display_name,email,section\n"
				  "sjis,\x8e\x52\x93\x63,s@city.example.jp,s1\n");
	st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, ":2: not valid UTF-8"), "%s", err);
	free(out);
	free(err);

	/* A missing file. */
	st = run(db, NULL, &out, &err, "user", "import", "/nonexistent/staff.csv", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, "unable to read '/nonexistent/staff.csv'"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 0);
	csv_release(&f);
	free(db);
}
END_TEST

START_TEST(test_import_updates)
{
	char *db = new_db();
	small_org(db);
	struct csvfile f = {0};
	char *out, *err;
	csv_write(&f, "v1.csv",
		  "login,display_name,email,section\n"
		  "keep,Keep Me,keep@city.example.jp,s1\n"
		  "move,Move Me,move@city.example.jp,s1\n"
		  "leave,Leave Me,leave@city.example.jp,s1\n");
	ck_assert_int_eq(run(db, NULL, &out, &err, "user", "import", f.path, NULL), 0);
	free(out);
	free(err);
	/* leave has a session; the next file deactivates them. */
	sql(db, "INSERT INTO session (id_hash, person_id, csrf_token) SELECT '\\x01', id, 'x' "
		"FROM person WHERE login = 'leave'");
	sql(db, "UPDATE person SET password_hash = 'kept' WHERE login = 'move'");
	csv_write(&f, "v2.csv",
		  "login,display_name,email,section,active\n"
		  "move,Moved Me,moved@city.example.jp,s3,true\n"
		  "leave,Leave Me,leave@city.example.jp,s1,false\n"
		  "new,New Person,new@city.example.jp,s2,true\n");
	int st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "imported 3 people (1 added, 2 updated)"), "%s", out);
	ck_text(db,
		"SELECT string_agg(concat_ws('|', p.login, p.display_name, p.email, u.code, "
		"p.active), ';' ORDER BY p.login) FROM person p JOIN org_unit u "
		"ON u.id = p.section_id",
		"keep|Keep Me|keep@city.example.jp|s1|t;"
		"leave|Leave Me|leave@city.example.jp|s1|f;"
		"move|Moved Me|moved@city.example.jp|s3|t;"
		"new|New Person|new@city.example.jp|s2|t");
	/* The password survives an update; the deactivated person is signed out. */
	ck_text(db, "SELECT password_hash FROM person WHERE login = 'move'", "kept");
	ck_assert_int_eq(num(db, "SELECT count(*) FROM session"), 0);
	ck_text(db,
		"SELECT concat_ws('|', detail->>'added', detail->>'updated', "
		"detail->>'sessions_ended') FROM audit_event WHERE kind = 'user.import' "
		"ORDER BY seq DESC LIMIT 1",
		"[\"new\"]|[\"move\", \"leave\"]|1");
	free(out);
	free(err);
	csv_release(&f);
	free(db);
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(test_import_5000)
{
	char *db = new_db();
	small_org(db);
	buf b = BUF_INIT;
	buf_puts(&b, "login,display_name,email,section,kind,lang,active\r\n");
	static const char *const secs[] = {"s1", "s2", "s3"};
	for (int i = 1; i <= 5000; i++)
		buf_printf(&b, "staff%05d,\"職員, %d 号\",staff%05d@city.example.jp,%s,%s,%s,%s\r\n",
			   i, i, i, secs[i % 3], i % 50 == 0 ? "contractor" : "staff",
			   i % 100 == 0 ? "en" : "ja", i % 97 == 0 ? "false" : "true");
	struct csvfile f = {0};
	csv_write(&f, "big.csv", buf_cstr(&b));
	buf_release(&b);
	char *out, *err;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	double first = seconds_since(&t0);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "imported 5000 people (5000 added, 0 updated)"), "%s", out);
	free(out);
	free(err);
	/* Again: all 5000 are updates. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = run(db, NULL, &out, &err, "user", "import", f.path, NULL);
	double second = seconds_since(&t0);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "imported 5000 people (0 added, 5000 updated)"), "%s", out);
	fprintf(stderr, "people: importing 5000 people took %.2f s (as updates: %.2f s)\n",
		first, second);
	ck_assert_msg(first < 30 && second < 30, "import too slow: %.1f s, %.1f s", first,
		      second);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 5000);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person WHERE kind = 'contractor'"), 100);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person WHERE NOT active"), 51);
	ck_text(db, "SELECT display_name FROM person WHERE login = 'staff04321'", "職員, 4321 号");
	free(out);
	free(err);
	csv_release(&f);
	free(db);
}
END_TEST

/* sokuho user ... ---------------------------------------------------------- */

/* The stored hash of login verifies pw. */
static int verifies(const char *db, const char *login, const char *pw)
{
	char *q = xasprintf("SELECT password_hash FROM person WHERE login = '%s'", login);
	char *h = text(db, q);
	int ok = password_verify(*h ? h : NULL, pw);
	free(h);
	free(q);
	return ok;
}

START_TEST(test_user_add)
{
	char *db = new_db();
	small_org(db);
	char *out, *err;
	const char *pw = "Kawaguchiko-Lake-77\n";
	int st = run(db, pw, &out, &err, "user", "add", "--login", "tanaka.ichiro", "--name",
		     "田中 一郎", "--email", "tanaka.ichiro@city.example.jp", "--section", "s2",
		     "--kind", "contractor", "--lang", "en", "--password-stdin", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "added 'tanaka.ichiro' (田中 一郎)"), "%s", out);
	free(out);
	free(err);
	ck_text(db,
		"SELECT concat_ws('|', p.display_name, p.email, u.code, p.kind, p.lang, p.active) "
		"FROM person p JOIN org_unit u ON u.id = p.section_id "
		"WHERE login = 'tanaka.ichiro'",
		"田中 一郎|tanaka.ichiro@city.example.jp|s2|contractor|en|t");
	ck_assert(verifies(db, "tanaka.ichiro", "Kawaguchiko-Lake-77"));
	ck_assert(!verifies(db, "tanaka.ichiro", "Kawaguchiko-Lake-78"));
	/* Audited, without the password or its hash. */
	ck_text(db,
		"SELECT concat_ws('|', kind, detail->>'login', detail->>'section', "
		"detail->>'password_set', detail::text ~* 'kawaguchiko|argon') "
		"FROM audit_event WHERE kind = 'user.add'",
		"user.add|tanaka.ichiro|s2|true|f");

	/* Without a password: added, and told it cannot sign in yet. */
	st = run(db, NULL, &out, &err, "user", "add", "--login", "sato", "--name", "佐藤",
		 "--email", "sato@city.example.jp", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "no password yet"), "%s", out);
	ck_text(db, "SELECT concat_ws('|', kind, lang, section_id IS NULL, password_hash IS NULL) "
		    "FROM person WHERE login = 'sato'",
		"staff|ja|t|t");
	free(out);
	free(err);

	/* The same login again. */
	st = run(db, NULL, &out, &err, "user", "add", "--login", "sato", "--name", "佐藤 二",
		 "--email", "sato2@city.example.jp", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, "login 'sato' is already taken"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 2);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event WHERE kind = 'user.add'"), 2);
	free(db);
}
END_TEST

START_TEST(test_user_add_refusals)
{
	char *db = new_db();
	small_org(db);
	static const struct {
		const char *login, *name, *email, *section, *kind, *lang;
		int status;
		const char *says;
	} cases[] = {
		{"Bad.Login", "名前", "a@city.example.jp", NULL, NULL, NULL, 2,
		 "--login: 'Bad.Login' has upper-case letters"},
		{"a", "名前", "a@city.example.jp", NULL, NULL, NULL, 2, "--login: 'a' is 1"},
		{"-x", "名前", "a@city.example.jp", NULL, NULL, NULL, 2, "starts with '-'"},
		{"ok.login", "名前", "no-at.example.jp", NULL, NULL, NULL, 2,
		 "--email: 'no-at.example.jp' has no @"},
		{"ok.login", "名前", "a@b@c", NULL, NULL, NULL, 2, "more than one @"},
		{"ok.login", "名前", "a b@city.example.jp", NULL, NULL, NULL, 2, "has a space"},
		{"ok.login", "名前", "a@city.example.jp\r\nBcc: x@y", NULL, NULL, NULL, 2,
		 "line break"},
		{"ok.login", "", "a@city.example.jp", NULL, NULL, NULL, 2,
		 "--name: the value is empty"},
		{"ok.login", "名\x01前", "a@city.example.jp", NULL, NULL, NULL, 2,
		 "control character"},
		{"ok.login", "名前", "a@city.example.jp", NULL, "temp", NULL, 2,
		 "--kind: 'temp' is not a kind of person; expected staff, contractor or service"},
		{"ok.login", "名前", "a@city.example.jp", NULL, NULL, "fr", 2,
		 "--lang: 'fr' is not a supported language; expected ja or en"},
		{"ok.login", "名前", "a@city.example.jp", "nosuch", NULL, NULL, 1,
		 "--section: no section with code 'nosuch'"},
		{"ok.login", "名前", "a@city.example.jp", "d1", NULL, NULL, 1,
		 "'d1' is a department, not a section"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[20];
		int n = 0;
		argv[n++] = "user";
		argv[n++] = "add";
		argv[n++] = "--login";
		argv[n++] = cases[i].login;
		argv[n++] = "--name";
		argv[n++] = cases[i].name;
		argv[n++] = "--email";
		argv[n++] = cases[i].email;
		if (cases[i].section) {
			argv[n++] = "--section";
			argv[n++] = cases[i].section;
		}
		if (cases[i].kind) {
			argv[n++] = "--kind";
			argv[n++] = cases[i].kind;
		}
		if (cases[i].lang) {
			argv[n++] = "--lang";
			argv[n++] = cases[i].lang;
		}
		while (n < 14)
			argv[n++] = NULL;
		char *out, *err;
		int st = run(db, NULL, &out, &err, argv[0], argv[1], argv[2], argv[3], argv[4],
			     argv[5], argv[6], argv[7], argv[8], argv[9], argv[10], argv[11],
			     argv[12], argv[13], NULL);
		ck_assert_msg(st == cases[i].status, "case %zu: status %d: %s", i, st, err);
		ck_assert_msg(strstr(err, cases[i].says), "case %zu: expected '%s' in: %s", i,
			      cases[i].says, err);
		free(out);
		free(err);
	}
	/* A missing required option is bad usage. */
	char *out, *err;
	int st = run(db, NULL, &out, &err, "user", "add", "--login", "x1", "--email",
		     "x@city.example.jp", NULL);
	ck_assert_int_eq(st, 2);
	ck_assert_msg(strstr(err, "--name is required"), "%s", err);
	free(out);
	free(err);

	/* Passwords the policy refuses: nothing is added. */
	static const struct {
		const char *pw, *says;
	} pws[] = {
		{"short-pw\n", "at least 12"},
		{"Password1234\n", "too common"},
		{"xx-hoshino.kaito-xx\n", "login"},
		{"aaaaaaaaaaaaaaaa\n", "repeated"},
		{"\n", "no password"},
		{"", "no password"},
	};
	for (size_t i = 0; i < sizeof pws / sizeof pws[0]; i++) {
		st = run(db, pws[i].pw, &out, &err, "user", "add", "--login", "hoshino.kaito",
			 "--name", "星野 海斗", "--email", "hoshino@city.example.jp",
			 "--password-stdin", NULL);
		ck_assert_msg(st == 1, "pw %zu: status %d: %s", i, st, err);
		ck_assert_msg(strstr(err, pws[i].says), "pw %zu: expected '%s' in: %s", i,
			      pws[i].says, err);
		free(out);
		free(err);
	}
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), 0);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event"), 0);
	free(db);
}
END_TEST

static void add_person(const char *db, const char *login)
{
	char *out, *err;
	char *email = xasprintf("%s@city.example.jp", login);
	int st = run(db, NULL, &out, &err, "user", "add", "--login", login, "--name", login,
		     "--email", email, "--section", "s1", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(email);
	free(out);
	free(err);
}

START_TEST(test_role_grant_revoke)
{
	char *db = new_db();
	small_org(db);
	add_person(db, "kimura");
	add_person(db, "hayashi");
	char *out, *err;
	/* City scope by default. */
	int st = run(db, NULL, &out, &err, "user", "role", "grant", "kimura", "csirt", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "granted csirt over city to 'kimura' as holder"), "%s", out);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "grant", "kimura", "security_manager",
		 "--scope", "section:s1", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "grant", "hayashi", "security_manager",
		 "--scope", "section:s1", "--deputy", "1", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "grant", "hayashi", "security_officer",
		 "--scope=department:d1", "--from", "2020-04-01", "--to", "2099-03-31", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "grant", "kimura", "system_manager",
		 "--scope", "system:sys1", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	ck_resolve(db, "security_manager", "s1", NULL, "kimura:0:section,hayashi:1:section");
	ck_resolve(db, "security_officer", "s2", NULL, "hayashi:0:department");
	ck_resolve(db, "system_manager", "s1", "sys1", "kimura:0:system");
	ck_text(db, "SELECT valid_from || '..' || valid_to FROM role_assignment "
		    "WHERE role = 'security_officer'",
		"2020-04-01..2099-03-31");
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event WHERE kind = 'role.grant'"), 5);
	ck_text(db,
		"SELECT concat_ws('|', detail->>'login', detail->>'role', detail->>'scope', "
		"detail->>'deputy') FROM audit_event WHERE kind = 'role.grant' "
		"AND detail->>'deputy' = '1'",
		"hayashi|security_manager|section:s1|1");

	/* The user list shows the roles. */
	st = run(db, NULL, &out, &err, "user", "list", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "security_manager(section:s1, deputy 1)") &&
			      strstr(out, "security_manager(section:s1), "
					  "system_manager(system:sys1), csirt") &&
			      strstr(out, "2 people, 2 active"),
		      "%s", out);
	free(out);
	free(err);

	/* Refusals. */
	static const struct {
		const char *login, *role, *opt, *val;
		int status;
		const char *says;
	} bad[] = {
		{"kimura", "security_manager", "--scope", "section:nosuch", 1,
		 "--scope 'section:nosuch': no section with code 'nosuch'"},
		{"kimura", "security_manager", "--scope", "section:d1", 1,
		 "'d1' is a department, not a section"},
		{"kimura", "security_officer", "--scope", "department:s1", 1,
		 "'s1' is a section, not a department"},
		{"kimura", "system_manager", "--scope", "system:nosuch", 1,
		 "no information system with code 'nosuch'"},
		{"kimura", "security_manager", "--scope", "branch:s1", 2,
		 "--scope: 'branch:s1' has an unknown kind of scope"},
		{"kimura", "security_manager", "--scope", "section:", 2, "has no code"},
		{"kimura", "mayor", "--scope", "city", 1, "no role 'mayor'; expected one of ciso"},
		{"nobody", "csirt", "--scope", "city", 1, "no person with login 'nobody'"},
		{"kimura", "auditor", "--deputy", "10", 2, "--deputy: '10' is not a deputy rank"},
		{"kimura", "auditor", "--from", "2026-02-30", 2, "--from: '2026-02-30' is not a date"},
		{"kimura", "auditor", "--to", "2000-01-01", 1, "--to 2000-01-01 is before"},
		/* already holds it over the same scope */
		{"kimura", "csirt", "--deputy", "2", 1, "already holds csirt over city"},
		/* city-wide roles take only the city; scoped roles only their kind */
		{"kimura", "auditor", "--scope", "section:s1", 1,
		 "--scope 'section:s1': auditor is a city-wide role; its scope must be city, "
		 "not section:s1; nothing granted"},
		{"kimura", "admin", "--scope", "system:sys1", 1,
		 "admin is a city-wide role; its scope must be city, not system:sys1"},
		{"kimura", "ciso", "--scope", "department:d1", 1,
		 "ciso is a city-wide role; its scope must be city, not department:d1"},
		{"kimura", "chief_security_officer", "--scope", "section:s2", 1,
		 "chief_security_officer is a city-wide role; its scope must be city"},
		{"hayashi", "csirt", "--scope", "section:s1", 1,
		 "csirt is a city-wide role; its scope must be city, not section:s1"},
		{"hayashi", "security_manager", "--scope", "city", 1,
		 "security_manager is held over a section; its scope must be section:CODE, not city"},
		{"hayashi", "security_manager", "--scope", "department:d1", 1,
		 "its scope must be section:CODE, not department:d1"},
		{"kimura", "security_officer", "--scope", "section:s1", 1,
		 "security_officer is held over a department; its scope must be department:CODE, "
		 "not section:s1"},
		{"kimura", "security_officer", "--scope", "city", 1,
		 "its scope must be department:CODE, not city"},
		{"hayashi", "system_manager", "--scope", "section:s1", 1,
		 "system_manager is held over a system; its scope must be system:CODE, not section:s1"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		st = run(db, NULL, &out, &err, "user", "role", "grant", bad[i].login, bad[i].role,
			 bad[i].opt, bad[i].val, NULL);
		ck_assert_msg(st == bad[i].status, "case %zu: status %d: %s", i, st, err);
		ck_assert_msg(strstr(err, bad[i].says), "case %zu: expected '%s' in: %s", i,
			      bad[i].says, err);
		free(out);
		free(err);
	}
	ck_assert_int_eq(num(db, "SELECT count(*) FROM role_assignment"), 5);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event WHERE kind = 'role.grant'"), 5);

	/* Revoke: the deputy goes, the holder stays. */
	st = run(db, NULL, &out, &err, "user", "role", "revoke", "hayashi", "security_manager",
		 "--scope", "section:s1", "--deputy", "1", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "revoked security_manager over section:s1 from 'hayashi'"),
		      "%s", out);
	free(out);
	free(err);
	ck_resolve(db, "security_manager", "s1", NULL, "kimura:0:section");
	/* Nothing matches: the wrong rank, or again. */
	st = run(db, NULL, &out, &err, "user", "role", "revoke", "kimura", "security_manager",
		 "--scope", "section:s1", "--deputy", "1", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, "does not hold security_manager over section:s1 as deputy 1; "
				  "nothing revoked") &&
			      strstr(err, "security_manager over section:s1\n"),
		      "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "revoke", "kimura", "csirt", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "revoke", "kimura", "csirt", NULL);
	ck_assert_int_eq(st, 1);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "revoke", "kimura", "csirt", "--to",
		 "2030-01-01", NULL);
	ck_assert_int_eq(st, 2);
	free(out);
	free(err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM role_assignment"), 3);
	ck_text(db,
		"SELECT string_agg((detail->>'login') || ':' || (detail->>'role'), ',' ORDER BY seq) "
		"FROM audit_event WHERE kind = 'role.revoke'",
		"hayashi:security_manager,kimura:csirt");

	/* Bad grants made before grants were checked are marked by the list and
	 * can be revoked. */
	assign(db, "hayashi", "auditor", "section", "s1", 0, "'2020-04-01'", "NULL");
	assign(db, "kimura", "security_manager", "city", NULL, 1, "'2020-04-01'", "NULL");
	st = run(db, NULL, &out, &err, "user", "list", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "auditor(section:s1, WRONG SCOPE)") &&
			      strstr(out, "security_manager(deputy 1, WRONG SCOPE)") &&
			      strstr(out, "2 role assignments over a scope of the wrong kind for "
					  "the role (WRONG SCOPE): revoke them") &&
			      !strstr(out, "sys1, WRONG"),
		      "%s", out);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "role", "revoke", "hayashi", "auditor", "--scope",
		 "section:s1", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "list", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "1 role assignment over a scope of the wrong kind for the role "
				  "(WRONG SCOPE): revoke it"),
		      "%s", out);
	free(out);
	free(err);
	free(db);
}
END_TEST

START_TEST(test_passwd_and_activation)
{
	char *db = new_db();
	small_org(db);
	add_person(db, "mori");
	sql(db, "INSERT INTO session (id_hash, person_id, csrf_token) SELECT '\\x01', id, 'x' "
		"FROM person WHERE login = 'mori'");
	char *out, *err;
	int st = run(db, "Fuji-Five-Lakes-3776\r\n", &out, &err, "user", "passwd", "mori",
		     "--password-stdin", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "password set for 'mori'; 1 session ended"), "%s", out);
	free(out);
	free(err);
	ck_assert(verifies(db, "mori", "Fuji-Five-Lakes-3776"));
	ck_assert_int_eq(num(db, "SELECT count(*) FROM session"), 0);
	ck_text(db,
		"SELECT concat_ws('|', detail->>'login', detail->>'sessions_ended', "
		"detail::text ~* 'fuji|argon') FROM audit_event WHERE kind = 'user.passwd'",
		"mori|1|f");

	/* Refused: the old password stays. */
	static const char *const refused[] = {"sakura123456\n", "mori-mori-mori-1\n", "tiny\n"};
	for (size_t i = 0; i < 3; i++) {
		st = run(db, refused[i], &out, &err, "user", "passwd", "mori", "--password-stdin",
			 NULL);
		ck_assert_msg(st == 1, "%zu: %s", i, err);
		ck_assert_msg(strstr(err, "password for 'mori' refused"), "%s", err);
		free(out);
		free(err);
	}
	ck_assert(verifies(db, "mori", "Fuji-Five-Lakes-3776"));
	/* Standard input is not a terminal and no --password-stdin. */
	st = run(db, "whatever-long-password\n", &out, &err, "user", "passwd", "mori", NULL);
	ck_assert_int_eq(st, 2);
	ck_assert_msg(strstr(err, "use --password-stdin"), "%s", err);
	free(out);
	free(err);
	st = run(db, "Fuji-Five-Lakes-3776\n", &out, &err, "user", "passwd", "nobody",
		 "--password-stdin", NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, "no person with login 'nobody'"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event WHERE kind = 'user.passwd'"),
			 1);

	/* Deactivate: signed out, skipped by the resolver; activate again. */
	sql(db, "INSERT INTO session (id_hash, person_id, csrf_token) SELECT '\\x02', id, 'x' "
		"FROM person WHERE login = 'mori'");
	assign(db, "mori", "csirt", "city", NULL, 0, "sokuho_today()", "NULL");
	st = run(db, NULL, &out, &err, "user", "deactivate", "mori", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "deactivated 'mori'; 1 session ended"), "%s", out);
	free(out);
	free(err);
	ck_text(db, "SELECT active FROM person WHERE login = 'mori'", "f");
	ck_assert_int_eq(num(db, "SELECT count(*) FROM session"), 0);
	ck_resolve(db, "csirt", NULL, NULL, "");
	st = run(db, NULL, &out, &err, "user", "deactivate", "mori", NULL);
	ck_assert_msg(st == 0 && strstr(out, "already deactivated"), "%s%s", out, err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "activate", "mori", NULL);
	ck_assert_msg(st == 0 && strstr(out, "activated 'mori'"), "%s%s", out, err);
	free(out);
	free(err);
	ck_resolve(db, "csirt", NULL, NULL, "mori:0:city");
	ck_text(db,
		"SELECT string_agg(kind, ',' ORDER BY seq) FROM audit_event "
		"WHERE kind LIKE 'user.%activate'",
		"user.deactivate,user.activate");
	st = run(db, NULL, &out, &err, "user", "activate", "nobody", NULL);
	ck_assert_int_eq(st, 1);
	free(out);
	free(err);
	free(db);
}
END_TEST

START_TEST(test_usage)
{
	char *db = new_db();
	static const struct {
		const char *a[4];
		int status;
		const char *out, *err;
	} cases[] = {
		{{"user", "--help"}, 0, "sokuho user import FILE.csv [--partial]", ""},
		{{"user"}, 2, "", "usage: sokuho user COMMAND"},
		{{"user", "frobnicate"}, 2, "", "unknown user command 'frobnicate'"},
		{{"user", "add", "--help"}, 0, "--password-stdin", ""},
		{{"user", "import", "--help"}, 0, "display_name", ""},
		{{"user", "import"}, 2, "", "expected the CSV file"},
		{{"user", "role", "--help"}, 0, "department:CODE", ""},
		{{"user", "role", "grant", "x"}, 2, "", "expected grant or revoke, then LOGIN"},
		{{"user", "passwd", "--help"}, 0, "without echo", ""},
		{{"user", "passwd"}, 2, "", "expected one LOGIN"},
		{{"user", "deactivate", "--help"}, 0, "deactivate LOGIN", ""},
		{{"user", "list", "--help"}, 0, "roles", ""},
		{{"user", "list", "extra"}, 2, "", "takes no arguments"},
		{{"demo", "--help"}, 0, "demo-password-2026", ""},
		{{"demo", "extra"}, 2, "", "demo takes no argument but 'history'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out, *err;
		int st = run(db, NULL, &out, &err, cases[i].a[0], cases[i].a[1], cases[i].a[2],
			     cases[i].a[3], NULL);
		ck_assert_msg(st == cases[i].status, "case %zu: status %d: %s", i, st, err);
		ck_assert_msg(strstr(out, cases[i].out), "case %zu: expected '%s' in: %s", i,
			      cases[i].out, out);
		ck_assert_msg(strstr(err, cases[i].err), "case %zu: expected '%s' in: %s", i,
			      cases[i].err, err);
		free(out);
		free(err);
	}
	free(db);
}
END_TEST

/* Demo and the common passwords -------------------------------------------- */

START_TEST(test_demo)
{
	char *db = new_db();
	char *out, *err;
	int st = run(db, NULL, &out, &err, "demo", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "demo-password-2026") && strstr(out, "DEMONSTRATION ONLY") &&
			      strstr(out, "sato.kenichi") && strstr(out, "nagai.tsubasa"),
		      "%s", out);
	free(out);
	free(err);
	long people = num(db, "SELECT count(*) FROM person");
	ck_assert_int_ge(people, 50);
	ck_assert_int_ge(num(db, "SELECT count(*) FROM org_unit WHERE kind = 'department'"), 8);
	ck_assert_int_ge(num(db, "SELECT count(*) FROM org_unit WHERE kind = 'section'"), 18);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM info_system"), 4);
	ck_assert_int_ge(num(db, "SELECT count(*) FROM person WHERE kind = 'contractor'"), 2);
	ck_assert_int_ge(num(db, "SELECT count(*) FROM person WHERE lang = 'en'"), 2);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person "
				 "WHERE email NOT LIKE '%@city.example.jp'"),
			 0);
	ck_assert_int_eq(num(db, "SELECT count(DISTINCT password_hash) FROM person"), 1);
	/* Every role has a holder today. */
	ck_text(db,
		"SELECT coalesce(string_agg(name, ','), '') FROM role r WHERE NOT EXISTS ("
		"SELECT 1 FROM role_assignment ra JOIN person p ON p.id = ra.person_id "
		"WHERE ra.role = r.name AND ra.deputy_rank = 0 AND p.active "
		"AND ra.valid_from <= sokuho_today() AND ra.valid_to IS NULL)",
		"");
	/* The CISO and the chief security officer have deputies. */
	ck_resolve(db, "ciso", NULL, NULL, "sato.kenichi:0:city,watanabe.hiroshi:1:city");
	ck_resolve(db, "chief_security_officer", NULL, NULL,
		   "watanabe.daisuke:0:city,hayashi.tomoko:1:city,matsuda.kazuya:2:city");
	ck_assert_int_eq(num(db, "SELECT count(*) FROM resolve_role('csirt', NULL, NULL)"), 4);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM resolve_role('auditor', NULL, NULL)"), 2);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM resolve_role('admin', NULL, NULL)"), 1);
	/* Every section resolves a security manager and a first deputy of its
	 * own, and a department security officer and deputy; every system a
	 * manager and deputy. */
	ck_text(db,
		"SELECT coalesce(string_agg(u.code, ','), '') FROM org_unit u "
		"WHERE u.kind = 'section' AND ("
		"(SELECT string_agg(r.deputy_rank::text, ',' ORDER BY r.deputy_rank) FROM resolve_role("
		"'security_manager', u.id, NULL) r WHERE r.scope_kind = 'section') "
		"IS DISTINCT FROM '0,1' OR "
		"(SELECT string_agg(r.deputy_rank::text, ',' ORDER BY r.deputy_rank) FROM resolve_role("
		"'security_officer', u.id, NULL) r WHERE r.scope_kind = 'department') "
		"IS DISTINCT FROM '0,1')",
		"");
	ck_text(db,
		"SELECT coalesce(string_agg(s.code, ','), '') FROM info_system s WHERE "
		"(SELECT string_agg(r.deputy_rank::text, ',' ORDER BY r.deputy_rank) FROM resolve_role("
		"'system_manager', s.section_id, s.id) r WHERE r.scope_kind = 'system') "
		"IS DISTINCT FROM '0,1'",
		"");
	ck_text(db, "SELECT segment FROM info_system WHERE code = 'juki'", "mynumber");
	ck_text(db,
		"SELECT u.code FROM role_assignment ra JOIN org_unit u ON u.id = ra.scope_id "
		"JOIN person p ON p.id = ra.person_id WHERE p.login = 'watanabe.daisuke' "
		"AND ra.role = 'security_manager'",
		"joho-seisaku");
	/* The demo password works and meets the policy. */
	ck_assert(verifies(db, "sato.kenichi", "demo-password-2026"));
	ck_assert(verifies(db, "nagai.tsubasa", "demo-password-2026"));
	ck_assert(!verifies(db, "sato.kenichi", "demo-password-2025"));
	PGconn *c = conn_to(db);
	const char *why = password_policy(c, "demo-password-2026", "sato.kenichi");
	ck_assert_msg(why == NULL, "%s", why);
	PQfinish(c);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event WHERE kind = 'demo.seed'"), 1);

	/* Again: nothing changes. */
	long assignments = num(db, "SELECT count(*) FROM role_assignment");
	st = run(db, NULL, &out, &err, "demo", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "demo data already present"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM person"), people);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM role_assignment"), assignments);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM audit_event"), 1);

	/* The list shows everyone, Japanese names aligned. */
	st = run(db, NULL, &out, &err, "user", "list", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "ciso(deputy 1), security_officer(department:somu)"), "%s", out);
	free(out);
	free(err);
	free(db);
}
END_TEST

START_TEST(test_common_passwords)
{
	char *db = new_db();
	ck_assert_int_ge(num(db, "SELECT count(*) FROM common_password"), 300);
	ck_assert_int_eq(num(db, "SELECT count(*) FROM common_password "
				 "WHERE password <> lower(password)"),
			 0);
	ck_assert_int_ge(num(db, "SELECT count(*) FROM common_password "
				 "WHERE length(password) >= 12"),
			 150);
	PGconn *c = conn_to(db);
	static const char *const common[] = {"123456789012", "QwertyUiopAS", "password1234",
					     "iloveyou1234", "1q2w3e4r5t6y", "P@ssw0rd1234",
					     "sakura123456", "fujisan12345", "Fujiyoshida1"};
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
		const char *why = password_policy(c, common[i], "someone");
		ck_assert_msg(why && strstr(why, "common"), "'%s' accepted", common[i]);
	}
	ck_assert_ptr_null(password_policy(c, "Lake-Saiko-2026-morning", "someone"));
	PQfinish(c);
	free(db);
}
END_TEST

/* Absences (issue 19, sql/0029_absence.sql) ------------------------------- */

/* An absence of login from..to (SQL date expressions). */
static void away(const char *db, const char *login, const char *kind, const char *from,
		 const char *to)
{
	char *q = xasprintf("INSERT INTO absence (person_id, kind, starts_on, ends_on) VALUES "
			    "((SELECT id FROM person WHERE login = '%s'), '%s', %s, %s)",
			    login, kind, from, to);
	sql(db, q);
	free(q);
}

/* One rung's answer as "told:login,...|skipped:login,...". */
static char *rung(const char *db, const char *role, const char *section, int rank)
{
	char *sec = section ? xasprintf("(SELECT id FROM org_unit WHERE code = '%s')", section)
			    : xstrdup("NULL");
	char *q = xasprintf(
		"SELECT 'told:' || coalesce(string_agg(p.login, ',' ORDER BY r.ord) FILTER (WHERE "
		"r.absence_id IS NULL), '') || '|skipped:' || coalesce(string_agg(p.login, ',' "
		"ORDER BY r.ord) FILTER (WHERE r.absence_id IS NOT NULL), '') FROM "
		"resolve_role_rung('%s', %s, NULL, %d) WITH ORDINALITY AS r(person_id, "
		"deputy_rank, scope_kind, scope_id, absence_id, ord) JOIN person p ON p.id = "
		"r.person_id",
		role, sec, rank);
	char *v = text(db, q);
	free(q);
	free(sec);
	return v;
}

static void ck_rung(const char *db, const char *role, const char *section, int rank,
		    const char *want)
{
	char *got = rung(db, role, section, rank);
	ck_assert_msg(strcmp(got, want) == 0, "rung(%s, %s, %d)\n  got:  %s\n  want: %s", role,
		      section ? section : "NULL", rank, got, want);
	free(got);
}

START_TEST(test_absence_resolver)
{
	char *db = resolver_db();
	const char *today = "sokuho_today()", *open = "NULL";
	assign(db, "p1", "security_manager", "section", "s1", 0, today, open);
	assign(db, "p2", "security_manager", "section", "s1", 1, today, open);
	assign(db, "p3", "security_manager", "section", "s1", 2, today, open);
	ck_rung(db, "security_manager", "s1", 0, "told:p1|skipped:");
	/* Starting tomorrow, ended yesterday: the holder is told. */
	away(db, "p1", "leave", "sokuho_today() + 1", "sokuho_today() + 5");
	away(db, "p1", "trip", "sokuho_today() - 5", "sokuho_today() - 1");
	ck_resolve(db, "security_manager", "s1", NULL,
		   "p1:0:section,p2:1:section,p3:2:section");
	ck_rung(db, "security_manager", "s1", 0, "told:p1|skipped:");
	ck_text(db, "SELECT count(*) FROM role_uncovered", "0");
	/* Away today (the last day counts): the rung goes to the deputy. */
	away(db, "p1", "leave", "sokuho_today() - 2", "sokuho_today()");
	ck_resolve(db, "security_manager", "s1", NULL, "p2:1:section,p3:2:section");
	ck_rung(db, "security_manager", "s1", 0, "told:p2|skipped:p1");
	ck_rung(db, "security_manager", "s1", 1, "told:p2|skipped:");
	/* resolve_role_all still knows the holder (who may act). */
	ck_text(db, "SELECT count(*) FROM resolve_role_all('security_manager', (SELECT id FROM "
		    "org_unit WHERE code = 's1'), NULL) WHERE absence_id IS NOT NULL",
		"1");
	/* The first deputy away too: the second deputy acts, for both. */
	away(db, "p2", "training", "sokuho_today()", "sokuho_today() + 3");
	ck_rung(db, "security_manager", "s1", 0, "told:p3|skipped:p1,p2");
	ck_rung(db, "security_manager", "s1", 1, "told:p3|skipped:p2");
	ck_text(db, "SELECT count(*) FROM role_uncovered", "0");
	/* Everyone away: nobody is told, all are named, the role is flagged. */
	away(db, "p3", "trip", "sokuho_today()", "sokuho_today()");
	ck_resolve(db, "security_manager", "s1", NULL, "");
	ck_rung(db, "security_manager", "s1", 0, "told:|skipped:p1,p2,p3");
	char *want = text(db, "SELECT 'security_manager:section:P1（休暇、' || to_char(sokuho_today(), "
			      "'FMMM\"月\"FMDD\"日まで\"') || '）、P2（研修、' || to_char(sokuho_today() "
			      "+ 3, CASE WHEN extract(year FROM sokuho_today() + 3) = extract(year "
			      "FROM sokuho_today()) THEN '' ELSE 'YYYY\"年\"' END || "
			      "'FMMM\"月\"FMDD\"日まで\"') || '）、P3（出張、' || to_char(sokuho_today(), "
			      "'FMMM\"月\"FMDD\"日まで\"') || '）'");
	ck_text(db, "SELECT role || ':' || scope_kind || ':' || absent_ja FROM role_uncovered",
		want);
	free(want);
	/* Tomorrow p3 is back. */
	sql(db, "UPDATE clock_offset SET offset_by = '1 day'");
	ck_rung(db, "security_manager", "s1", 0, "told:p3|skipped:p1,p2");
	ck_text(db, "SELECT count(*) FROM role_uncovered", "0");
	/* Five days on, everybody is back. */
	sql(db, "UPDATE clock_offset SET offset_by = '6 days'");
	ck_rung(db, "security_manager", "s1", 0, "told:p1|skipped:");
	sql(db, "UPDATE clock_offset SET offset_by = '0'");
	/* A rank nobody holds resolves to nobody, as before absences. */
	ck_rung(db, "security_manager", "s1", 5, "told:|skipped:");
	/* One of several holders away: the others are told, nobody is skipped. */
	assign(db, "p4", "csirt", "city", NULL, 0, today, open);
	assign(db, "p5", "csirt", "city", NULL, 0, today, open);
	away(db, "p4", "leave", "sokuho_today()", "sokuho_today()");
	ck_rung(db, "csirt", NULL, 0, "told:p5|skipped:");
	ck_resolve(db, "csirt", NULL, NULL, "p5:0:city");
	/* The labels, in both languages; another year is named. */
	away(db, "p6", "trip", "'2099-12-01'", "'2099-12-10'");
	ck_text(db, "SELECT absence_label(max(id), 'ja') || ' / ' || absence_label(max(id), 'en') "
		    "FROM absence",
		"出張、2099年12月10日まで / on a business trip until 10 December 2099");
	free(db);
}
END_TEST

START_TEST(test_absence_cli)
{
	char *db = resolver_db();
	char *out, *err;
	int st = run(db, NULL, &out, &err, "user", "absence", "add", "p1", "--kind", "trip",
		     "--from", "2099-12-01", "--to", "2099-12-10", "--note", "大阪", NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "'p1' is away (trip) from 2099-12-01 to 2099-12-10"), "%s", out);
	free(out);
	free(err);
	/* The Japanese kind, one day. */
	st = run(db, NULL, &out, &err, "user", "absence", "add", "p2", "--kind", "研修", "--from",
		 "2099-11-01", NULL);
	ck_assert_msg(st == 0, "%s", err);
	free(out);
	free(err);
	ck_text(db, "SELECT string_agg(p.login || ':' || a.kind || ':' || a.starts_on || ':' || "
		    "a.ends_on || ':' || coalesce(a.note, '-'), ',' ORDER BY a.id) FROM absence a "
		    "JOIN person p ON p.id = a.person_id",
		"p1:trip:2099-12-01:2099-12-10:大阪,p2:training:2099-11-01:2099-11-01:-");
	ck_text(db, "SELECT string_agg(kind || ':' || (detail->>'login') || ':' || "
		    "(detail->>'starts_on'), ',' ORDER BY seq) FROM audit_event WHERE kind LIKE "
		    "'absence.%'",
		"absence.add:p1:2099-12-01,absence.add:p2:2099-11-01");
	st = run(db, NULL, &out, &err, "user", "absence", "list", NULL);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "p1  trip  2099-12-01..2099-12-10  大阪") &&
			      strstr(out, "p2  training  2099-11-01..2099-11-01"),
		      "%s", out);
	/* p2's first: by start */
	ck_assert_ptr_nonnull(strstr(out, "p2"));
	ck_assert(strstr(out, "p2") < strstr(out, "p1  trip"));
	free(out);
	free(err);
	/* Refusals: usage and values (2), the database's no (1). */
	const char *bad[][12] = {
		{"user", "absence", "add", "p1", "--kind", "holiday", "--from", "2099-01-01", NULL},
		{"user", "absence", "add", "p1", "--kind", "leave", "--from", "2099-02-30", NULL},
		{"user", "absence", "add", "p1", "--kind", "leave", "--from", "2099-02-03", "--to",
		 "2099-02-01", NULL},
		{"user", "absence", "add", "p1", "--from", "2099-02-03", NULL},
		{"user", "absence", "add", "p1", "--kind", "leave", NULL},
		{"user", "absence", "remove", "p1", NULL},
		{"user", "absence", "list", "--kind", "leave", NULL},
		{"user", "absence", "remove", "p1", "x1", NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		st = run(db, NULL, &out, &err, bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4],
			 bad[i][5], bad[i][6], bad[i][7], bad[i][8], bad[i][9], bad[i][10], NULL);
		ck_assert_msg(st == 2, "case %zu: status %d: %s", i, st, err);
		ck_assert_msg(strstr(err, "sokuho: "), "case %zu: %s", i, err);
		free(out);
		free(err);
	}
	/* Someone else's absence is not removed through p2. */
	char *p1s = text(db, "SELECT min(id) FROM absence");
	st = run(db, NULL, &out, &err, "user", "absence", "remove", "p2", p1s, NULL);
	ck_assert_int_eq(st, 1);
	ck_assert_msg(strstr(err, "'p2' has no absence"), "%s", err);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "absence", "add", "nobody", "--kind", "leave",
		 "--from", "2099-01-01", NULL);
	ck_assert_int_eq(st, 1);
	free(out);
	free(err);
	st = run(db, NULL, &out, &err, "user", "absence", "remove", "p1", p1s, NULL);
	ck_assert_msg(st == 0, "%s", err);
	ck_assert_msg(strstr(out, "removed absence"), "%s", out);
	free(out);
	free(err);
	free(p1s);
	ck_text(db, "SELECT count(*) FROM absence", "1");
	ck_text(db, "SELECT count(*) FROM audit_event WHERE kind = 'absence.remove' AND "
		    "detail->>'login' = 'p1' AND detail->>'kind' = 'trip'",
		"1");
	free(db);
}
END_TEST

Suite *people_suite(void)
{
	Suite *s = suite_create("people");
	TCase *tc = tcase_create("people");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_resolver_ranks_and_windows);
	tcase_add_test(tc, test_resolver_scopes);
	tcase_add_test(tc, test_resolver_most_specific_first);
	tcase_add_test(tc, test_import_good_file);
	tcase_add_test(tc, test_import_bad_rows_import_nothing);
	tcase_add_test(tc, test_import_partial);
	tcase_add_test(tc, test_import_quoting_bom_crlf);
	tcase_add_test(tc, test_import_duplicates_and_header);
	tcase_add_test(tc, test_import_updates);
	tcase_add_test(tc, test_import_5000);
	tcase_add_test(tc, test_user_add);
	tcase_add_test(tc, test_user_add_refusals);
	tcase_add_test(tc, test_role_grant_revoke);
	tcase_add_test(tc, test_passwd_and_activation);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_demo);
	tcase_add_test(tc, test_common_passwords);
	suite_add_tcase(s, tc);
	TCase *ta = tcase_create("absence");
	tcase_set_timeout(ta, 120);
	tcase_add_test(ta, test_absence_resolver);
	tcase_add_test(ta, test_absence_cli);
	suite_add_tcase(s, ta);
	return s;
}
