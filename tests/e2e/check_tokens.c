/* API tokens end to end: a person creates one on /account/tokens that acts
 * as themselves, the admin one for a service account on /admin/tokens; each
 * is shown once; the token files and reads incidents without cookie or CSRF
 * within its scopes and its person's rights; revoked and unknown tokens are
 * refused; the per-token rate limit answers 429; tokens never reach the
 * server log; a token acting as somebody else cannot be made, on the web or
 * in the database. Runs on the demo city. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "core/xalloc.h"
#include "org/demo.h"
#include "support.h"

Suite *tokens_suite(void);


static struct ts_server srv;
static char *db;
static int port;

static const char api_body[] =
	"{\"summary\": \"監視システムが異常を検知\", \"discovered_at\": "
	"\"2026-11-24T10:00:00+09:00\", \"category\": \"system_failure\", \"site\": "
	"\"honchosha\", \"segments\": [\"internet\"], \"personal_data\": {\"involved\": \"no\"}}";

static void setup(void)
{
	ts_demo_server_start(&srv, "tokens", NULL);
	db = srv.db;
	port = srv.port;
}

static void teardown(void)
{
	ts_demo_server_stop(&srv);
}

/* Creates a token through a tokens page (/admin/tokens for a service
 * account named by person, /account/tokens when person is NULL); returns it
 * (caller frees). */
static char *create_token(const char *cookie, const char *name, const char *person,
			  const char *scopes)
{
	const char *page = person ? "/admin/tokens" : "/account/tokens";
	char *csrf = client_page_csrf(port, page, cookie);
	char *form = person ? xasprintf("csrf=%s&name=%s&person=%s&%s", csrf, name, person, scopes)
			    : xasprintf("csrf=%s&name=%s&%s", csrf, name, scopes);
	struct resp r;
	client_request(port, "POST", page, form, cookie, &r);
	ck_assert_int_eq(r.status, 201);
	const char *p = strstr(buf_cstr(&r.body), "<code id=\"new-token\">");
	ck_assert(p != NULL);
	p += strlen("<code id=\"new-token\">");
	char *tok = xstrndup(p, strcspn(p, "<"));
	ck_assert_msg(strncmp(tok, "sokuho_", 7) == 0 && strlen(tok) == 50, "%s", tok);
	resp_release(&r);
	free(form);
	free(csrf);
	return tok;
}

static long api(const char *method, const char *path, const char *token, const char *body,
		struct resp *r)
{
	char *h = xasprintf("Authorization: Bearer %s", token);
	client_json(port, method, path, NULL, h, body, r);
	free(h);
	return r->status;
}

START_TEST(test_tokens)
{
	char *admin = client_sign_in(port, "tamura.haruka", DEMO_PASSWORD);
	ck_assert(admin != NULL);
	char *staff = client_sign_in(port, "sakai.haruto", DEMO_PASSWORD);
	ck_assert(staff != NULL);
	char *file_tok = create_token(admin, "monitor", "kanshi", "scope_file=1");
	char *read_tok = create_token(staff, "reader", NULL, "scope_read=1");
	char *rate_tok = create_token(staff, "busy", NULL, "scope_read=1&scope_file=1");
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = "
				       "'api_token.create'"), 3);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token t JOIN person p ON "
				       "p.id = t.person_id WHERE t.name IN ('reader', 'busy') AND "
				       "p.login = 'sakai.haruto' AND t.created_by = p.id"), 2);
	/* stored only as SHA-256 */
	char *hq = xasprintf("SELECT count(*) FROM api_token WHERE token_hash = "
			     "sha256(convert_to('%s', 'UTF8'))", file_tok);
	ck_assert_int_eq(ts_scalar(db, hq), 1);
	free(hq);

	/* shown once: the list does not show it again */
	struct resp r;
	client_request(port, "GET", "/admin/tokens", NULL, admin, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "monitor") != NULL);
	ck_assert(strstr(buf_cstr(&r.body), file_tok) == NULL);
	ck_assert(strstr(buf_cstr(&r.body), "new-token") == NULL);
	resp_release(&r);

	/* the person sees their own tokens only; the admin sees all */
	client_request(port, "GET", "/account/tokens", NULL, staff, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(buf_cstr(&r.body), "reader") != NULL);
	ck_assert(strstr(buf_cstr(&r.body), "monitor") == NULL);
	resp_release(&r);

	/* the service account's token files a report without cookie or CSRF;
	 * the report shows the service account as its source */
	ck_assert_int_eq(api("POST", "/api/v1/incidents", file_tok, api_body, &r), 201);
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	ck_assert(p != NULL);
	char ref[32];
	snprintf(ref, sizeof ref, "%.13s", p + 7);
	resp_release(&r);
	char *q = xasprintf("SELECT count(*) FROM incident i JOIN person p ON p.id = i.reporter_id "
			    "WHERE i.ref = '%s' AND p.login = 'kanshi'", ref);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token WHERE name = 'monitor' "
				       "AND last_used_at IS NOT NULL"), 1);

	/* scopes, and the person's own rights: the staff member's read token
	 * reads the report they filed with their other token, not the
	 * monitoring system's */
	char *spath = xasprintf("/api/v1/incidents/%s", ref);
	ck_assert_int_eq(api("GET", spath, file_tok, NULL, &r), 403);
	ck_assert(strstr(buf_cstr(&r.body), "\"error\""));
	resp_release(&r);
	ck_assert_int_eq(api("GET", spath, read_tok, NULL, &r), 404); /* out of scope */
	resp_release(&r);
	ck_assert_int_eq(api("POST", "/api/v1/incidents", rate_tok, api_body, &r), 201);
	p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	ck_assert(p != NULL);
	char *path = xasprintf("/api/v1/incidents/%.13s", p + 7);
	resp_release(&r);
	ck_assert_int_eq(api("GET", path, read_tok, NULL, &r), 200);
	ck_assert(strstr(buf_cstr(&r.body), path + strlen("/api/v1/incidents/")));
	resp_release(&r);
	/* an officer's own read token reads what the officer may */
	char *ciso = client_sign_in(port, "sato.kenichi", DEMO_PASSWORD);
	ck_assert(ciso != NULL);
	char *ciso_tok = create_token(ciso, "ciso-reader", NULL, "scope_read=1");
	ck_assert_int_eq(api("GET", spath, ciso_tok, NULL, &r), 200);
	resp_release(&r);
	ck_assert_int_eq(api("POST", "/api/v1/incidents", read_tok, api_body, &r), 403);
	resp_release(&r);

	/* garbage and unknown tokens */
	ck_assert_int_eq(api("GET", path, "garbage", NULL, &r), 401);
	ck_assert(strstr(buf_cstr(&r.body), "\"error\""));
	resp_release(&r);
	ck_assert_int_eq(api("GET", path, "sokuho_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
			     &r), 401);
	resp_release(&r);

	/* revoked */
	long id = ts_scalar(db, "SELECT id FROM api_token WHERE name = 'monitor'");
	char *csrf = client_page_csrf(port, "/admin/tokens", admin);
	char *rpath = xasprintf("/admin/tokens/%ld/revoke", id);
	client_request(port, "POST", rpath, "csrf=wrong", admin, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	char *form = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", rpath, form, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = "
				       "'api_token.revoke'"), 1);
	ck_assert_int_eq(api("POST", "/api/v1/incidents", file_tok, api_body, &r), 401);
	resp_release(&r);

	/* the rate limit: 60 a minute (a new minute may start mid-loop) */
	int ok = 0, limited = 0;
	for (int i = 0; i < 130 && !limited; i++) {
		long s = api("GET", path, rate_tok, NULL, &r);
		if (s == 200)
			ok++;
		else if (s == 429) {
			limited = 1;
			ck_assert(strstr(buf_cstr(&r.headers), "Retry-After: "));
			ck_assert(strstr(buf_cstr(&r.body), "\"error\""));
		} else
			ck_abort_msg("status %ld", s);
		resp_release(&r);
	}
	ck_assert(limited);
	ck_assert_int_ge(ok, 59); /* it filed one report this minute already */
	/* another token is not limited */
	ck_assert_int_eq(api("GET", path, read_tok, NULL, &r), 200);
	resp_release(&r);

	/* tokens never reach the log */
	char *log = ts_read_file(srv.logfile);
	ck_assert(log != NULL);
	ck_assert(strstr(log, file_tok) == NULL);
	ck_assert(strstr(log, read_tok) == NULL);
	ck_assert(strstr(log, rate_tok) == NULL);
	ck_assert(strstr(log, file_tok + 7) == NULL);
	free(log);

	free(form);
	free(rpath);
	free(csrf);
	free(path);
	free(spath);
	free(file_tok);
	free(read_tok);
	free(rate_tok);
	free(ciso_tok);
	free(ciso);
	free(staff);
	free(admin);
}
END_TEST

/* POSTs form to page; returns the status. */
static long post(const char *page, const char *cookie, const char *fields)
{
	return client_post_page(port, page, cookie, fields);
}

/* Finding 3 of issue 15: the admin read every incident through a read
 * token acting as the CISO. Now a token acts only as its creator, or as a
 * service account that may only file. */
START_TEST(test_token_acts_only_as_creator)
{
	char *admin = client_sign_in(port, "tamura.haruka", DEMO_PASSWORD);
	ck_assert(admin != NULL);
	long tokens = ts_scalar(db, "SELECT count(*) FROM api_token");
	long audits = ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = "
				    "'api_token.create'");
	/* as a person (the CISO, a staff member): refused */
	ck_assert_int_eq(post("/admin/tokens", admin, "name=x&person=sato.kenichi&scope_read=1"), 422);
	ck_assert_int_eq(post("/admin/tokens", admin, "name=x&person=sato.kenichi&scope_file=1"), 422);
	ck_assert_int_eq(post("/admin/tokens", admin, "name=x&person=sakai.haruto&scope_file=1"), 422);
	/* a service account with more than file: refused */
	ck_assert_int_eq(post("/admin/tokens", admin, "name=x&person=kanshi&scope_read=1"), 422);
	ck_assert_int_eq(post("/admin/tokens", admin,
			      "name=x&person=kanshi&scope_file=1&scope_read=1"), 422);
	/* the reserved act scope, and a person field on the own page, give
	 * nothing more */
	ck_assert_int_eq(post("/account/tokens", admin, "name=x&scope_act=1"), 422);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token"), tokens);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = "
				       "'api_token.create'"), audits);
	struct resp r;
	client_request(port, "GET", "/admin/tokens", NULL, admin, &r);
	ck_assert(strstr(buf_cstr(&r.body), "name=\"scope_read\"") == NULL);
	resp_release(&r);

	/* the admin's own read token acts as the admin: no incident */
	char *own = create_token(admin, "mine", NULL, "scope_read=1&person=sato.kenichi");
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token t JOIN person p ON "
				       "p.id = t.person_id WHERE t.name = 'mine' AND "
				       "p.login = 'tamura.haruka'"), 1);
	ck_assert_int_eq(api("POST", "/api/v1/incidents", own, api_body, &r), 403);
	resp_release(&r);
	long any = ts_scalar(db, "SELECT min(id) FROM incident");
	char *q = xasprintf("SELECT count(*) FROM incident WHERE id = %ld", any);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);
	char *ref = NULL;
	{
		char *sql = xasprintf("SELECT ref FROM incident WHERE id = %ld", any);
		const char *argv[] = {"psql", "-XAtq", db, "-c", sql, NULL};
		char *out = NULL;
		ck_assert_int_eq(ts_run(argv, NULL, &out, NULL), 0);
		out[strcspn(out, "\n")] = 0;
		ref = out;
		free(sql);
	}
	char *path = xasprintf("/api/v1/incidents/%s", ref);
	ck_assert_int_eq(api("GET", path, own, NULL, &r), 404); /* out of scope */
	resp_release(&r);

	/* the database keeps the rule whatever the caller */
	const char *argv[] = {"psql", "-XAtq", "-v", "ON_ERROR_STOP=1", db, "-c",
			      "INSERT INTO api_token (name, token_hash, person_id, scopes, created_by) "
			      "SELECT 'forged', sha256('x'), c.id, '{read}', a.id FROM person c, "
			      "person a WHERE c.login = 'sato.kenichi' AND a.login = 'tamura.haruka'",
			      NULL};
	char *err = NULL;
	ck_assert_int_ne(ts_run(argv, NULL, NULL, &err), 0);
	ck_assert_msg(err && strstr(err, "acts only as the person who creates it"), "%s", err);
	free(err);
	const char *argv2[] = {"psql", "-XAtq", "-v", "ON_ERROR_STOP=1", db, "-c",
			       "UPDATE api_token SET person_id = (SELECT id FROM person WHERE "
			       "login = 'sato.kenichi') WHERE name = 'mine'",
			       NULL};
	err = NULL;
	ck_assert_int_ne(ts_run(argv2, NULL, NULL, &err), 0);
	free(err);
	/* a service account cannot be given a password or a role */
	const char *argv3[] = {"psql", "-XAtq", "-v", "ON_ERROR_STOP=1", db, "-c",
			       "INSERT INTO role_assignment (person_id, role, scope_kind) SELECT id, "
			       "'auditor', 'city' FROM person WHERE login = 'kanshi'",
			       NULL};
	err = NULL;
	ck_assert_int_ne(ts_run(argv3, NULL, NULL, &err), 0);
	ck_assert_msg(err && strstr(err, "service account holds no role"), "%s", err);
	free(err);

	/* a person revokes only their own tokens */
	char *staff = client_sign_in(port, "sakai.haruto", DEMO_PASSWORD);
	ck_assert(staff != NULL);
	long mine = ts_scalar(db, "SELECT id FROM api_token WHERE name = 'mine'");
	char *rpath = xasprintf("/account/tokens/%ld/revoke", mine);
	char *csrf = client_page_csrf(port, "/account/tokens", staff);
	char *form = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", rpath, form, staff, &r);
	resp_release(&r);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token WHERE name = 'mine' AND "
				       "revoked_at IS NULL"), 1);
	free(form);
	free(csrf);
	csrf = client_page_csrf(port, "/account/tokens", admin);
	form = xasprintf("csrf=%s", csrf);
	client_request(port, "POST", rpath, form, admin, &r);
	ck_assert_int_eq(r.status, 303);
	resp_release(&r);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token WHERE name = 'mine' AND "
				       "revoked_at IS NOT NULL"), 1);
	free(form);
	free(csrf);
	free(rpath);
	free(staff);
	free(path);
	free(ref);
	free(own);
	free(admin);
}
END_TEST

START_TEST(test_staff_may_not_manage_tokens)
{
	char *staff = client_sign_in(port, "sakai.haruto", DEMO_PASSWORD);
	ck_assert(staff != NULL);
	struct resp r;
	client_request(port, "GET", "/admin/tokens", NULL, staff, &r);
	ck_assert_int_eq(r.status, 403);
	resp_release(&r);
	free(staff);
}
END_TEST

Suite *tokens_suite(void)
{
	Suite *s = suite_create("tokens");
	TCase *tc = tcase_create("tokens");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_staff_may_not_manage_tokens);
	tcase_add_test(tc, test_token_acts_only_as_creator);
	suite_add_tcase(s, tc);
	return s;
}
