/* API tokens end to end: an admin creates one on /admin/tokens and sees it
 * once; the token files and reads incidents without cookie or CSRF within
 * its scopes; revoked and unknown tokens are refused; the per-token rate
 * limit answers 429; tokens never reach the server log. Runs on the demo
 * city. */
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

/* Creates a token through the admin page; returns it (caller frees). */
static char *create_token(const char *cookie, const char *name, const char *person,
			  const char *scopes)
{
	char *csrf = client_page_csrf(port, "/admin/tokens", cookie);
	char *form = xasprintf("csrf=%s&name=%s&person=%s&%s", csrf, name, person, scopes);
	struct resp r;
	client_request(port, "POST", "/admin/tokens", form, cookie, &r);
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
	char *file_tok = create_token(admin, "monitor", "sakai.haruto", "scope_file=1");
	char *read_tok = create_token(admin, "reader", "sakai.haruto", "scope_read=1");
	char *rate_tok = create_token(admin, "busy", "sakai.haruto", "scope_read=1&scope_file=1");
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM audit_event WHERE kind = "
				       "'api_token.create'"), 3);
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

	/* the file token files a report without cookie or CSRF */
	ck_assert_int_eq(api("POST", "/api/v1/incidents", file_tok, api_body, &r), 201);
	const char *p = strstr(buf_cstr(&r.body), "\"ref\":\"");
	ck_assert(p != NULL);
	char ref[32];
	snprintf(ref, sizeof ref, "%.13s", p + 7);
	resp_release(&r);
	char *q = xasprintf("SELECT count(*) FROM incident i JOIN person p ON p.id = i.reporter_id "
			    "WHERE i.ref = '%s' AND p.login = 'sakai.haruto'", ref);
	ck_assert_int_eq(ts_scalar(db, q), 1);
	free(q);
	ck_assert_int_eq(ts_scalar(db, "SELECT count(*) FROM api_token WHERE name = 'monitor' "
				       "AND last_used_at IS NOT NULL"), 1);

	/* scopes */
	char *path = xasprintf("/api/v1/incidents/%s", ref);
	ck_assert_int_eq(api("GET", path, file_tok, NULL, &r), 403);
	ck_assert(strstr(buf_cstr(&r.body), "\"error\""));
	resp_release(&r);
	ck_assert_int_eq(api("GET", path, read_tok, NULL, &r), 200);
	ck_assert(strstr(buf_cstr(&r.body), ref));
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
	ck_assert_int_ge(ok, 60);
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
	free(file_tok);
	free(read_tok);
	free(rate_tok);
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
	suite_add_tcase(s, tc);
	return s;
}
