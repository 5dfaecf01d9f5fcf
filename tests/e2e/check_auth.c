/* Sign-in security end to end: CSRF, a new session id at sign-in, cookie
 * flags, throttling, timeouts, the audit log, and passwords that never show
 * up in pages or logs. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/password.h"
#include "client.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "support.h"

Suite *auth_suite(void);

#define PASSWORD "Kouyou-momiji-2026"

static char *db;
static int port;
static pid_t server;
static char logfile[256];

static void sql(const char *q)
{
	ts_sql(db, q);
}

static long scalar(const char *q)
{
	return ts_scalar(db, q);
}

static void add_person(const char *login, const char *name, const char *role)
{
	char hash[PASSWORD_HASH_MAX];
	ck_assert_int_eq(password_hash(PASSWORD, hash), 0);
	char *q = xasprintf("INSERT INTO person (login, display_name, email, password_hash) "
			    "VALUES ('%s', '%s', '%s@city.example.jp', '%s')",
			    login, name, login, hash);
	sql(q);
	free(q);
	if (role) {
		q = xasprintf("INSERT INTO role_assignment (person_id, role, scope_kind) "
			      "SELECT id, '%s', 'city' FROM person WHERE login = '%s'",
			      role, login);
		sql(q);
		free(q);
	}
}

static void setup(void)
{
	db = ts_prepared_database(0);
	sql("INSERT INTO org_unit (code, kind, name_ja, name_en) VALUES ('somu', 'department', "
	    "'総務部', 'General Affairs')");
	sql("INSERT INTO org_unit (code, kind, parent_id, name_ja, name_en) SELECT 'jinji', "
	    "'section', id, '人事課', 'Personnel' FROM org_unit WHERE code = 'somu'");
	add_person("tanaka", "田中 花子", NULL);
	add_person("kanri", "管理 太郎", "admin");
	port = ts_free_port();
	snprintf(logfile, sizeof logfile, "/tmp/sokuho-auth-%d.log", (int)getpid());
	unlink(logfile);
	server = ts_start_server(db, port, NULL, logfile);
}

static void teardown(void)
{
	ck_assert_int_eq(ts_stop_server_log(server, logfile), 0);
	unlink(logfile);
	free(db);
}

/* Fetches the login form: returns the CSRF token and sets *cookie to the
 * Cookie header to send with the POST (caller frees both). */
static char *login_form(char **cookie)
{
	struct resp r;
	client_request(port, "GET", "/login", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	char *csrf = resp_hidden(&r, "csrf");
	char *cv = resp_cookie(&r, "sokuho_csrf");
	ck_assert(csrf && cv);
	ck_assert_str_eq(csrf, cv);
	*cookie = xasprintf("sokuho_csrf=%s", cv);
	free(cv);
	resp_release(&r);
	return csrf;
}

/* Signs in; returns the session cookie value or NULL, and the response. */
static char *sign_in(const char *login, const char *pw, const char *extra_cookie, struct resp *r)
{
	char *cookie;
	char *csrf = login_form(&cookie);
	char *pe = client_escape(pw);
	char *form = xasprintf("csrf=%s&login=%s&password=%s&next=%%2F", csrf, login, pe);
	char *ck = extra_cookie ? xasprintf("%s; %s", cookie, extra_cookie) : xstrdup(cookie);
	client_request(port, "POST", "/login", form, ck, r);
	char *s = resp_cookie(r, "sokuho_session");
	if (s && !s[0]) {
		free(s);
		s = NULL;
	}
	free(ck);
	free(form);
	free(pe);
	free(csrf);
	free(cookie);
	return s;
}

START_TEST(test_login_form_is_labelled)
{
	struct resp r;
	client_request(port, "GET", "/login", NULL, NULL, &r);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "<label for=\"login\">ログインID"));
	ck_assert(strstr(b, "<label for=\"password\">パスワード"));
	char *line = resp_cookie_line(&r, "sokuho_csrf");
	ck_assert(line && strstr(line, "HttpOnly") && strstr(line, "SameSite=Lax"));
	free(line);
	resp_release(&r);
}
END_TEST

START_TEST(test_csrf_required)
{
	long before = scalar("SELECT count(*) FROM audit_event");
	struct resp r;
	char *form = xasprintf("login=tanaka&password=%s", PASSWORD);
	client_request(port, "POST", "/login", form, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	char *f2 = xasprintf("csrf=%s&login=tanaka&password=%s",
			     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PASSWORD);
	client_request(port, "POST", "/login", f2, "sokuho_csrf=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
		       &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_null(resp_cookie(&r, "sokuho_session"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM session"), 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event"), before);
	free(form);
	free(f2);
}
END_TEST

START_TEST(test_sign_in_and_out)
{
	const char *planted = "sokuho_session=PLANTEDPLANTEDPLANTEDPLANTEDPLANTEDPLANTEDPLA";
	struct resp r;
	char *sid = sign_in("TANAKA ", PASSWORD, planted, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_msg(sid != NULL, "%s", buf_cstr(&r.headers));
	ck_assert_int_eq(strlen(sid), 43);
	ck_assert(strstr(planted, sid) == NULL); /* a new id, not the planted one */
	char *line = resp_cookie_line(&r, "sokuho_session");
	ck_assert(strstr(line, "HttpOnly") && strstr(line, "SameSite=Lax") && !strstr(line, "Secure"));
	free(line);
	resp_release(&r);
	/* Only the hash of the id is stored. */
	char *q = xasprintf("SELECT count(*) FROM session WHERE id_hash = sha256('%s'::bytea)", sid);
	ck_assert_int_eq(scalar(q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM session WHERE encode(id_hash, 'escape') LIKE '%%%s%%'", sid);
	ck_assert_int_eq(scalar(q), 0);
	free(q);

	char *cookie = xasprintf("sokuho_session=%s", sid);
	client_request(port, "GET", "/", NULL, cookie, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "田中 花子"));
	ck_assert(!strstr(buf_cstr(&r.body), PASSWORD));
	char *csrf = resp_hidden(&r, "csrf");
	resp_release(&r);

	/* Sign-out needs the session's CSRF token. */
	client_request(port, "POST", "/logout", "csrf=wrong", cookie, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM session"), 1);
	char *form = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", "/logout", form, cookie, &r);
	ck_assert_int_eq(r.status, 303);
	line = resp_cookie_line(&r, "sokuho_session");
	ck_assert(line && strstr(line, "Max-Age=0"));
	free(line);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM session"), 0);
	client_request(port, "GET", "/", NULL, cookie, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "田中 花子"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'login.success'"), 1);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'logout'"), 1);
	free(form);
	free(csrf);
	free(cookie);
	free(sid);
}
END_TEST

START_TEST(test_wrong_password_keeps_login_and_throttles)
{
	struct resp r;
	for (int i = 0; i < 5; i++) {
		char *sid = sign_in("tanaka", "wrong-password-123", NULL, &r);
		ck_assert_ptr_null(sid);
		ck_assert_int_eq(r.status, 401);
		const char *b = buf_cstr(&r.body);
		ck_assert(strstr(b, "ログインIDまたはパスワードが正しくありません"));
		ck_assert(strstr(b, "value=\"tanaka\""));
		ck_assert(!strstr(b, "wrong-password-123"));
		resp_release(&r);
	}
	/* Now even the right password is refused, and the page says why. */
	char *sid = sign_in("tanaka", PASSWORD, NULL, &r);
	ck_assert_ptr_null(sid);
	ck_assert_int_eq(r.status, 429);
	ck_assert(strstr(buf_cstr(&r.body), "一時的に制限しています"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'login.failure'"), 5);
	/* a password typed as the login is never written to the audit trail */
	char *sid2 = sign_in("MySecretPass123", "whatever-password", NULL, &r);
	ck_assert_ptr_null(sid2);
	ck_assert_int_eq(r.status, 401);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'login.failure' "
				"AND detail ? 'login_hash'"),
			 1);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE audit_event::text ILIKE "
				"'%MySecretPass123%'"),
			 0);
	/* nor to the throttle's table (the login is lower-cased there), even
	 * once throttled: typed five more times it is refused by the throttle
	 * and still kept only as its hash */
	for (int i = 0; i < 5; i++) {
		free(sign_in("MySecretPass123", "whatever-password", NULL, &r));
		resp_release(&r);
	}
	ck_assert_int_eq(scalar("SELECT count(*) FROM login_failure WHERE login ILIKE "
				"'%mysecretpass123%'"),
			 0);
	ck_assert_int_ge(scalar("SELECT count(*) FROM login_failure WHERE login LIKE 'h:%'"), 5);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE audit_event::text ILIKE "
				"'%MySecretPass123%'"),
			 0);
	ck_assert_int_ge(scalar("SELECT count(*) FROM audit_event WHERE kind = 'login.throttled'"), 1);
	/* After the window the account can sign in again. */
	sql("UPDATE clock_offset SET offset_by = '16 minutes'");
	sid = sign_in("tanaka", PASSWORD, NULL, &r);
	ck_assert_ptr_nonnull(sid);
	resp_release(&r);
	free(sid);
	sql("UPDATE clock_offset SET offset_by = '0'");
	/* Per address: many logins from one address. */
	for (int i = 0; i < 20; i++) {
		char login[32];
		snprintf(login, sizeof login, "nobody%d", i);
		free(sign_in(login, "x-wrong-password", NULL, &r));
		resp_release(&r);
	}
	sid = sign_in("kanri", PASSWORD, NULL, &r);
	ck_assert_ptr_null(sid);
	ck_assert_int_eq(r.status, 429);
	resp_release(&r);
	sql("DELETE FROM login_failure");
	/* The password never reached the log. */
	char *log = ts_read_file(logfile);
	ck_assert(log && !strstr(log, PASSWORD) && !strstr(log, "wrong-password-123"));
	ck_assert(!strstr(log, "x-wrong-password"));
	free(log);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE detail::text LIKE '%password-%'"),
			 0);
}
END_TEST

START_TEST(test_session_timeouts)
{
	struct resp r;
	char *sid = sign_in("kanri", PASSWORD, NULL, &r);
	ck_assert_ptr_nonnull(sid);
	resp_release(&r);
	char *cookie = xasprintf("sokuho_session=%s", sid);
	client_request(port, "GET", "/", NULL, cookie, &r);
	ck_assert(strstr(buf_cstr(&r.body), "管理 太郎"));
	resp_release(&r);
	/* Idle for 31 minutes: gone. */
	sql("UPDATE session SET last_seen_at = last_seen_at - interval '31 minutes'");
	client_request(port, "GET", "/", NULL, cookie, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "管理 太郎"));
	resp_release(&r);
	char *q = xasprintf("SELECT count(*) FROM session WHERE id_hash = sha256('%s'::bytea)", sid);
	ck_assert_int_eq(scalar(q), 0);
	free(q);
	free(sid);
	free(cookie);
	/* Active, but signed in 13 hours ago: gone. */
	sid = sign_in("kanri", PASSWORD, NULL, &r);
	resp_release(&r);
	cookie = xasprintf("sokuho_session=%s", sid);
	sql("UPDATE session SET created_at = created_at - interval '13 hours'");
	client_request(port, "GET", "/", NULL, cookie, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "管理 太郎"));
	resp_release(&r);
	free(sid);
	free(cookie);
	/* A deactivated person's session ends at once. */
	sid = sign_in("kanri", PASSWORD, NULL, &r);
	resp_release(&r);
	cookie = xasprintf("sokuho_session=%s", sid);
	sql("UPDATE person SET active = false WHERE login = 'kanri'");
	client_request(port, "GET", "/", NULL, cookie, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "管理 太郎"));
	resp_release(&r);
	sql("UPDATE person SET active = true WHERE login = 'kanri'");
	free(sid);
	free(cookie);
}
END_TEST

START_TEST(test_secure_cookie_behind_tls)
{
	int p2 = ts_free_port();
	char log2[256];
	snprintf(log2, sizeof log2, "/tmp/sokuho-auth-tls-%d.log", (int)getpid());
	const char *extra[] = {"--base_url", "https://sokuho.city.example.jp", NULL};
	pid_t s2 = ts_start_server(db, p2, extra, log2);
	int saved = port;
	port = p2;
	struct resp r;
	client_request(port, "GET", "/login", NULL, NULL, &r);
	char *line = resp_cookie_line(&r, "sokuho_csrf");
	ck_assert(line && strstr(line, "; Secure"));
	free(line);
	resp_release(&r);
	char *sid = sign_in("tanaka", PASSWORD, NULL, &r);
	line = resp_cookie_line(&r, "sokuho_session");
	ck_assert(sid && line && strstr(line, "; Secure"));
	free(line);
	free(sid);
	resp_release(&r);
	port = saved;
	ck_assert_int_eq(ts_stop_server_log(s2, log2), 0);
	unlink(log2);
}
END_TEST

START_TEST(test_next_is_local_only)
{
	/* Each hostile target (URL-encoded as a form field) must send the person
	 * to the landing page: another host by "//" or "/\\", a TAB, CR or LF
	 * that a browser drops to make "//", a space, a scheme, a non-ASCII byte. */
	static const char *const hostile[] = {
		"%2F%2Fevil.example%2F", "%2F%09%2Fevil.example%2Fx", "%2F%5Cevil.example",
		"%2F%0D%0ALocation:%20x", "%2F%0A%2Fevil.example", "%2F%20%2Fevil.example",
		"https:%2F%2Fevil.example", "%2F%E2%80%AE%2Fevil", "%2F%7F%2Fevil",
	};
	for (size_t i = 0; i <= sizeof hostile / sizeof hostile[0]; i++) {
		int safe = i == sizeof hostile / sizeof hostile[0];
		char *cookie;
		char *csrf = login_form(&cookie);
		char *form = xasprintf("csrf=%s&login=tanaka&password=%s&next=%s", csrf, PASSWORD,
				       safe ? "%2Fincidents%3Fq%3Dmail%26page%3D2" : hostile[i]);
		struct resp r;
		client_request(port, "POST", "/login", form, cookie, &r);
		ck_assert_int_eq(r.status, 303);
		/* tanaka holds no role: his landing page is the report form */
		const char *want = safe ? "Location: /incidents?q=mail&page=2\r\n"
					: "Location: /report\r\n";
		ck_assert_msg(strstr(buf_cstr(&r.headers), want), "next=%s: %s", safe ? "(safe)" : hostile[i],
			      buf_cstr(&r.headers));
		resp_release(&r);
		free(form);
		free(csrf);
		free(cookie);
	}
}
END_TEST

static char *session_for(const char *login)
{
	char *cookie = client_sign_in(port, login, PASSWORD);
	ck_assert_msg(cookie != NULL, "sign in as %s", login);
	return cookie;
}

static char *page_csrf(int p, const char *path, const char *cookie)
{
	return client_page_csrf(p, path, cookie);
}

START_TEST(test_admin_pages_need_admin)
{
	struct resp r;
	client_request(port, "GET", "/admin/people", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "Location: /login?next=/admin/people"));
	resp_release(&r);
	char *staff = session_for("tanaka");
	const char *paths[] = {"/admin/people", "/admin/people/new", "/admin/people/tanaka"};
	for (int i = 0; i < 3; i++) {
		client_request(port, "GET", paths[i], NULL, staff, &r);
		ck_assert_msg(r.status == 403, "%s: %ld", paths[i], r.status);
		resp_release(&r);
	}
	/* Even with a valid CSRF token, staff cannot change anything. */
	char *csrf = page_csrf(port, "/", staff);
	char *form = xasprintf("csrf=%s&role=ciso&scope=city&deputy=0", csrf);
	client_request(port, "POST", "/admin/people/tanaka/roles", form, staff, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM role_assignment WHERE role = 'ciso'"), 0);
	free(form);
	free(csrf);
	free(staff);
}
END_TEST

START_TEST(test_admin_manages_people)
{
	char *admin = session_for("kanri");
	struct resp r;
	client_request(port, "GET", "/admin/people?q=%E7%94%B0%E4%B8%AD", NULL, admin, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "tanaka"));
	ck_assert(!strstr(buf_cstr(&r.body), ">kanri<"));
	resp_release(&r);
	/* the search matches what is typed: % and _ are not wildcards */
	client_request(port, "GET", "/admin/people?q=%25", NULL, admin, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!strstr(buf_cstr(&r.body), "tanaka"));
	resp_release(&r);
	client_request(port, "GET", "/admin/people?q=t_naka", NULL, admin, &r);
	ck_assert(!strstr(buf_cstr(&r.body), "tanaka"));
	resp_release(&r);
	char *csrf = page_csrf(port, "/admin/people/new", admin);

	/* A bad form comes back with every value and a message per field. */
	char *bad = xasprintf("csrf=%s&login=Suzuki+Ichiro&display_name=%%E9%%88%%B4%%E6%%9C%%A8"
			      "&email=not-an-address&section=nosuch&kind=staff&lang=ja&password=short",
			      csrf);
	client_request(port, "POST", "/admin/people/new", bad, admin, &r);
	ck_assert_int_eq(r.status, 422);
	const char *b = buf_cstr(&r.body);
	ck_assert(strstr(b, "value=\"Suzuki Ichiro\""));
	ck_assert(strstr(b, "value=\"鈴木\""));
	ck_assert(strstr(b, "value=\"not-an-address\""));
	ck_assert(strstr(b, "id=\"login-error\""));
	ck_assert(strstr(b, "id=\"email-error\""));
	ck_assert(strstr(b, "id=\"section-error\""));
	ck_assert(strstr(b, "id=\"password-error\""));
	ck_assert(!strstr(b, "id=\"display_name-error\""));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM person"), 2);

	char *good = xasprintf("csrf=%s&login=suzuki&display_name=%%E9%%88%%B4%%E6%%9C%%A8+%%E4%%B8%%80"
			       "&email=suzuki%%40city.example.jp&section=jinji&kind=contractor&lang=ja"
			       "&password=" PASSWORD,
			       csrf);
	client_request(port, "POST", "/admin/people/new", good, admin, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert(strstr(buf_cstr(&r.headers), "Location: /admin/people/suzuki?done=added"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM person WHERE login = 'suzuki' AND kind = "
				"'contractor' AND section_id IS NOT NULL"),
			 1);
	client_request(port, "POST", "/admin/people/new", good, admin, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "既に使われています"));
	resp_release(&r);

	/* Grant a role; a bad scope is refused with the values kept. */
	char *g1 = xasprintf("csrf=%s&role=security_manager&scope=section%%3Anosuch&deputy=1", csrf);
	client_request(port, "POST", "/admin/people/suzuki/roles", g1, admin, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	/* A city-wide role takes only the city, a section role only a section:
	 * refused with the catalog's message, nothing stored or audited. */
	static const struct {
		const char *role, *scope, *says;
	} wrong[] = {
		{"auditor", "section%3Ajinji", "この役割は市全体の役割です。"},
		{"admin", "section%3Ajinji", "この役割は市全体の役割です。"},
		{"csirt", "section%3Ajinji", "この役割は市全体の役割です。"},
		{"security_manager", "city", "この役割は課室ごとの役割です。"},
		{"security_officer", "section%3Ajinji", "この役割は部局ごとの役割です。"},
	};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		char *g = xasprintf("csrf=%s&role=%s&scope=%s&deputy=0", csrf, wrong[i].role,
				    wrong[i].scope);
		client_request(port, "POST", "/admin/people/suzuki/roles", g, admin, &r);
		ck_assert_msg(r.status == 422, "%s over %s: %ld", wrong[i].role, wrong[i].scope,
			      r.status);
		ck_assert_msg(strstr(buf_cstr(&r.body), wrong[i].says), "%s: %s", wrong[i].role,
			      buf_cstr(&r.body));
		resp_release(&r);
		free(g);
	}
	ck_assert_int_eq(scalar("SELECT count(*) FROM role_assignment ra JOIN person p ON "
				"p.id = ra.person_id WHERE p.login = 'suzuki'"),
			 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'role.grant' "
				"AND detail->>'login' = 'suzuki'"),
			 0);
	char *g2 = xasprintf("csrf=%s&role=security_manager&scope=section%%3Ajinji&deputy=1", csrf);
	client_request(port, "POST", "/admin/people/suzuki/roles", g2, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM resolve_role('security_manager', "
				"(SELECT id FROM org_unit WHERE code = 'jinji'), NULL)"),
			 1);
	long id = scalar("SELECT id FROM role_assignment WHERE role = 'security_manager'");
	char path[128];
	snprintf(path, sizeof path, "/admin/people/suzuki/roles/%ld/revoke", id);
	char *f = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", path, f, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM role_assignment WHERE role = 'security_manager'"), 0);

	/* Deactivate ends the person's sessions; an admin cannot lock themselves out. */
	char *suzuki = session_for("suzuki");
	client_request(port, "POST", "/admin/people/suzuki/deactivate", f, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM session s JOIN person p ON p.id = s.person_id "
				"WHERE p.login = 'suzuki'"),
			 0);
	client_request(port, "POST", "/admin/people/kanri/deactivate", f, admin, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM person WHERE login = 'kanri' AND active"), 1);

	/* A common password is refused. */
	char *pw = xasprintf("csrf=%s&password=password1234&password2=password1234", csrf);
	client_request(port, "POST", "/admin/people/suzuki/password", pw, admin, &r);
	ck_assert_int_eq(r.status, 422);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind IN ('user.add', "
				"'role.grant', 'role.revoke', 'user.deactivate') AND actor_id = "
				"(SELECT id FROM person WHERE login = 'kanri')"),
			 4);
	free(pw);
	free(suzuki);
	free(f);
	free(g1);
	free(g2);
	free(good);
	free(bad);
	free(csrf);
	free(admin);
}
END_TEST

/* A failed sign-in from the address a trusted proxy names. */
static long proxied_failure(int p, const char *xff, const char *login)
{
	char hdr[96];
	snprintf(hdr, sizeof hdr, "X-Forwarded-For: 198.51.100.1, %s", xff);
	struct resp r;
	client_request_h(p, "GET", "/login", NULL, NULL, hdr, &r);
	char *csrf = resp_hidden(&r, "csrf");
	char *cv = resp_cookie(&r, "sokuho_csrf");
	resp_release(&r);
	char *form = xasprintf("csrf=%s&login=%s&password=wrong-password-xyz", csrf, login);
	char *cookie = xasprintf("sokuho_csrf=%s", cv);
	client_request_h(p, "POST", "/login", form, cookie, hdr, &r);
	long status = r.status;
	resp_release(&r);
	free(cookie);
	free(form);
	free(cv);
	free(csrf);
	return status;
}

/* Behind a trusted proxy the per-address limit counts each client, named by
 * the last X-Forwarded-For entry; the entries before it count for nothing. */
START_TEST(test_trust_proxy)
{
	sql("DELETE FROM login_failure");
	int p2 = ts_free_port();
	char log2[256];
	snprintf(log2, sizeof log2, "/tmp/sokuho-auth-proxy-%d.log", (int)getpid());
	const char *extra[] = {"--trust_proxy", "1", NULL};
	pid_t s2 = ts_start_server(db, p2, extra, log2);
	for (int i = 0; i < 20; i++) {
		char login[32];
		snprintf(login, sizeof login, "nobody%d", i);
		ck_assert_int_eq(proxied_failure(p2, "203.0.113.5", login), 401);
	}
	ck_assert_int_eq(proxied_failure(p2, "203.0.113.5", "another"), 429);
	ck_assert_int_eq(proxied_failure(p2, "203.0.113.6", "another"), 401);
	ck_assert_int_eq(scalar("SELECT count(*) FROM login_failure WHERE ip = '203.0.113.5'"), 20);
	ck_assert_int_eq(scalar("SELECT count(*) FROM login_failure WHERE ip = '198.51.100.1'"), 0);
	sql("DELETE FROM login_failure");
	/* Without trust_proxy the header is ignored: the address is the socket's. */
	ck_assert_int_eq(proxied_failure(port, "203.0.113.7", "another"), 401);
	ck_assert_int_eq(scalar("SELECT count(*) FROM login_failure WHERE ip = '127.0.0.1'"), 1);
	sql("DELETE FROM login_failure");
	ck_assert_int_eq(ts_stop_server_log(s2, log2), 0);
	unlink(log2);
}
END_TEST

/* Separation of duties (issue 15): nobody grants a role to themselves on
 * the web, a service account holds none, and granting a role that sees
 * every incident or the audit trail is mailed to the CISO and the auditors
 * (queued with the grant, naming who granted it; from the command line
 * too). Runs last: it adds people. */
START_TEST(test_grants_separated_and_noticed)
{
	add_person("ciso1", "最高 一郎", "ciso");
	add_person("kansa", "監査 花子", "auditor");
	sql("INSERT INTO person (login, display_name, email, kind) VALUES ('kanshi', "
	    "'監視システム', 'kanshi@city.example.jp', 'service')");
	char *admin = session_for("kanri");
	char *csrf = page_csrf(port, "/admin/people/kanri", admin);
	long audits = scalar("SELECT count(*) FROM audit_event WHERE kind = 'role.grant'");
	/* the two grants just made in SQL were mailed already (to the CISO,
	 * then to the CISO and the auditor) */
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'role_granted'"), 3);
	sql("DELETE FROM outbox WHERE template = 'role_granted'");
	struct resp r;
	/* to themselves: refused, nothing stored, audited or mailed */
	static const char *const self[] = {"auditor", "ciso", "admin", "csirt"};
	for (size_t i = 0; i < sizeof self / sizeof self[0]; i++) {
		char *g = xasprintf("csrf=%s&role=%s&scope=city&deputy=0", csrf, self[i]);
		client_request(port, "POST", "/admin/people/kanri/roles", g, admin, &r);
		ck_assert_msg(r.status == 422, "self-grant of %s: %ld", self[i], r.status);
		ck_assert(strstr(buf_cstr(&r.body), "自分自身に役割を付与することはできません"));
		resp_release(&r);
		free(g);
	}
	/* to a service account: refused */
	char *g = xasprintf("csrf=%s&role=csirt&scope=city&deputy=0", csrf);
	client_request(port, "POST", "/admin/people/kanshi/roles", g, admin, &r);
	ck_assert_int_eq(r.status, 422);
	ck_assert(strstr(buf_cstr(&r.body), "サービスアカウントには役割を付与できません"));
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM role_assignment ra JOIN person p ON "
				"p.id = ra.person_id WHERE p.login IN ('kanri', 'kanshi') AND "
				"ra.role <> 'admin'"),
			 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'role.grant'"),
			 audits);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'role_granted'"), 0);

	/* csirt to a staff member: granted, and the CISO and the auditor are
	 * mailed, naming the admin */
	client_request(port, "POST", "/admin/people/tanaka/roles", g, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				"o.recipient_id WHERE o.template = 'role_granted' AND p.login IN "
				"('ciso1', 'kansa') AND o.data->>'grantee_login' = 'tanaka' AND "
				"o.data->>'role_en' = 'CSIRT' AND o.data->>'granted_by' = "
				"'管理 太郎 (kanri)'"),
			 2);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'role_granted'"), 2);
	/* a role that sees nothing city-wide is not mailed */
	char *g2 = xasprintf("csrf=%s&role=security_manager&scope=section%%3Ajinji&deputy=0", csrf);
	client_request(port, "POST", "/admin/people/tanaka/roles", g2, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'role_granted'"), 2);

	/* from the command line: mailed too, as the command line */
	const char *argv[] = {ts_bin(), "user", "role", "grant", "tanaka", "auditor", NULL};
	char *env = xasprintf("DATABASE_URL=%s", db);
	const char *envp[] = {env, NULL};
	char *out = NULL, *err = NULL;
	int st = ts_run(argv, envp, &out, &err);
	free(env);
	ck_assert_msg(st == 0, "%s %s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox WHERE template = 'role_granted' AND "
				"data->>'role_en' = 'Auditor (read-only)' AND data->>'granted_by' IS NULL"),
			 3); /* the CISO, the auditor and the new auditor */
	free(g2);
	free(g);
	free(csrf);
	free(admin);
}
END_TEST

/* POSTs fields with a fresh CSRF token of /account/password as cookie;
 * returns the status. */
static long change_password(const char *cookie, const char *fields)
{
	return client_post_page(port, "/account/password", cookie, fields);
}

/* Issue 15, finding 10: a person changes their own password; the current
 * one is required and its failures are throttled per account; the other
 * sessions end; it is audited and mailed. */
START_TEST(test_change_own_password)
{
	add_person("henko", "変更 次郎", NULL);
	char *a = session_for("henko");
	char *b = session_for("henko");
	struct resp r;
	client_request(port, "GET", "/account/password", NULL, a, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "現在のパスワード"));
	resp_release(&r);
	/* refused: wrong current, no new, too short, containing the login,
	 * the same, differing confirmation -- nothing changed */
	ck_assert_int_eq(change_password(a, "current=wrong-password-1&password=Hoshizora-2027-x"
					    "&password2=Hoshizora-2027-x"),
			 422);
	ck_assert_int_eq(change_password(a, "current=" PASSWORD "&password=&password2="), 422);
	ck_assert_int_eq(change_password(a, "current=" PASSWORD "&password=short&password2=short"),
			 422);
	ck_assert_int_eq(change_password(a, "current=" PASSWORD "&password=henko-henko-2027"
					    "&password2=henko-henko-2027"),
			 422);
	ck_assert_int_eq(change_password(a, "current=" PASSWORD "&password=" PASSWORD
					    "&password2=" PASSWORD),
			 422);
	ck_assert_int_eq(change_password(a, "current=" PASSWORD "&password=Hoshizora-2027-x"
					    "&password2=Hoshizora-2027-y"),
			 422);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'password.change'"),
			 0);
	ck_assert_int_eq(scalar("SELECT count(*) FROM login_failure WHERE login = 'henko'"), 1);
	/* without a CSRF token: refused */
	client_request(port, "POST", "/account/password",
		       "current=" PASSWORD "&password=Hoshizora-2027-x&password2=Hoshizora-2027-x", a,
		       &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);

	ck_assert_int_eq(change_password(a, "current=" PASSWORD "&password=Hoshizora-2027-x"
					    "&password2=Hoshizora-2027-x"),
			 303);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event a JOIN person p ON p.id = "
				"a.actor_id WHERE a.kind = 'password.change' AND p.login = 'henko' "
				"AND (a.detail->>'sessions_ended')::int = 1"),
			 1);
	ck_assert_int_eq(scalar("SELECT count(*) FROM outbox o JOIN person p ON p.id = "
				"o.recipient_id WHERE o.template = 'password_changed' AND "
				"p.login = 'henko'"),
			 1);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE detail::text LIKE "
				"'%Hoshizora%'"),
			 0);
	/* this session goes on, the other one has ended */
	client_request(port, "GET", "/my/reports", NULL, a, &r);
	ck_assert_int_eq(r.status, 200);
	resp_release(&r);
	client_request(port, "GET", "/my/reports", NULL, b, &r);
	ck_assert_int_ne(r.status, 200);
	resp_release(&r);
	/* the new password signs in, the old one no longer */
	char *c = client_sign_in(port, "henko", "Hoshizora-2027-x");
	ck_assert(c != NULL);
	char *old = client_sign_in(port, "henko", PASSWORD);
	ck_assert(old == NULL);

	/* guessing the current password from an open session is throttled */
	sql("DELETE FROM login_failure");
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(change_password(c, "current=guess-guess-guess&password="
						    "Kawanami-2028-q&password2=Kawanami-2028-q"),
				 422);
	ck_assert_int_eq(change_password(c, "current=Hoshizora-2027-x&password=Kawanami-2028-q"
					    "&password2=Kawanami-2028-q"),
			 429);
	ck_assert_int_eq(scalar("SELECT count(*) FROM audit_event WHERE kind = 'password.change'"),
			 1);
	sql("DELETE FROM login_failure");
	free(c);
	free(b);
	free(a);
}
END_TEST

/* Successful sign-ins are limited per account (each costs an Argon2id
 * verification), never per address. */
START_TEST(test_sign_ins_limited_per_account)
{
	add_person("hayai", "早井 一郎", NULL);
	add_person("osoi", "遅井 二郎", NULL);
	int ok = 0;
	for (int i = 0; i < 30; i++) {
		char *c = client_sign_in(port, "hayai", PASSWORD);
		ok += c != NULL;
		free(c);
	}
	ck_assert_int_eq(ok, 30);
	struct resp r;
	char *sid = sign_in("hayai", PASSWORD, NULL, &r);
	ck_assert_ptr_null(sid);
	ck_assert_int_eq(r.status, 429);
	resp_release(&r);
	/* another account from the same address signs in */
	char *other = client_sign_in(port, "osoi", PASSWORD);
	ck_assert_ptr_nonnull(other);
	free(other);
	/* a minute later, again */
	sql("UPDATE clock_offset SET offset_by = '61 seconds'");
	char *again = client_sign_in(port, "hayai", PASSWORD);
	ck_assert_ptr_nonnull(again);
	free(again);
	sql("UPDATE clock_offset SET offset_by = '0'");
	sql("DELETE FROM login_failure");
}
END_TEST

Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("sign-in");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_login_form_is_labelled);
	tcase_add_test(tc, test_csrf_required);
	tcase_add_test(tc, test_sign_in_and_out);
	tcase_add_test(tc, test_wrong_password_keeps_login_and_throttles);
	tcase_add_test(tc, test_session_timeouts);
	tcase_add_test(tc, test_secure_cookie_behind_tls);
	tcase_add_test(tc, test_next_is_local_only);
	tcase_add_test(tc, test_trust_proxy);
	tcase_add_test(tc, test_admin_pages_need_admin);
	tcase_add_test(tc, test_admin_manages_people);
	tcase_add_test(tc, test_grants_separated_and_noticed);
	tcase_add_test(tc, test_change_own_password);
	tcase_add_test(tc, test_sign_ins_limited_per_account);
	suite_add_tcase(s, tc);
	return s;
}
