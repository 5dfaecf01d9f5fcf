/* The sign-in and sign-out pages; the rules of signing in (throttle, checks,
 * the session's start) are in src/auth/signin.c. */
#include <ctype.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/signin.h"
#include "core/log.h"
#include "db/db.h"
#include "web.h"

/* Where to go after signing in: only a path of this site made of safe
 * characters (letters, digits and -._~/?=&%+,:;@!*'()), never "//" or "/\\"
 * at its start (a browser reads those as another host), at most 512 bytes;
 * anything else (a TAB, CR, LF, a backslash, a space, a scheme, bytes above
 * 0x7e) goes to the landing page "/", which sends each role to its page. */
static const char *safe_next(const char *next)
{
	static const char ok[] = "-._~/?=&%+,:;@!*'()";
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strlen(next) > 512)
		return "/";
	for (const unsigned char *p = (const unsigned char *)next; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(ok, *p)))
			return "/";
	return next;
}

/* The page a person lands on after signing in when no page was asked for
 * (or the one asked for was refused): the dashboard for those who oversee
 * (CISO, chief security officer, CSIRT, auditor), the people list for the
 * admin, the report form for everyone else. */
static const char *landing(const struct principal *p)
{
	if (authz_allows(p, PERM_DASHBOARD, NULL))
		return "/dashboard";
	if (authz_allows(p, PERM_ADMIN, NULL))
		return "/admin/people";
	return "/report";
}

/* Where to send a signed-in person: next when it is safe and not just the
 * home page, else their landing page. */
static const char *after_sign_in(const struct principal *p, const char *next)
{
	const char *n = safe_next(next);
	return strcmp(n, "/") == 0 ? landing(p) : n;
}

static int login_page(struct request *req, unsigned status, const char *login, const char *next,
		      const char *error_key, int field_login, int field_password)
{
	json_t *d = json_object();
	json_object_set_new(d, "login", json_string(login ? login : ""));
	json_object_set_new(d, "next", json_string(safe_next(next)));
	if (error_key)
		json_object_set_new(d, error_key, json_true());
	if (field_login)
		json_object_set_new(d, "err_login", json_true());
	if (field_password)
		json_object_set_new(d, "err_password", json_true());
	if (error_key || field_login || field_password)
		json_object_set_new(d, "has_error", json_true());
	return http_page(req, status, "pages/login", d);
}

static int do_login(struct request *req)
{
	const char *raw = http_form(req, "login");
	const char *pw = http_form(req, "password");
	const char *next = http_form(req, "next");
	char login[72] = "";
	size_t n = 0;
	/* Logins are lower-case; people type them any way. */
	for (const char *p = raw ? raw : ""; *p && n < sizeof login - 1; p++)
		if (!isspace((unsigned char)*p))
			login[n++] = (char)tolower((unsigned char)*p);
	login[n] = '\0';
	int no_login = login[0] == '\0', no_pw = !pw || !pw[0];
	if (no_login || no_pw)
		return login_page(req, 422, raw, next, NULL, no_login, no_pw);
	if (strlen(pw) > PASSWORD_MAX_BYTES)
		return login_page(req, 422, raw, next, "err_bad", 0, 0);

	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	if (signin_throttled(c, login, req->ip)) {
		signin_throttled_event(c, login, req->ip);
		db_pool_put(req->app->db, c);
		return login_page(req, 429, raw, next, "err_throttled", 0, 0);
	}
	int pid = signin_check(c, login, pw, req->ip);
	if (pid <= 0) {
		db_pool_put(req->app->db, c);
		return pid < 0 ? http_error(req, 503) : login_page(req, 401, raw, next, "err_bad", 0, 0);
	}
	/* A new session id at every sign-in: a session id planted before
	 * sign-in is worthless after it. */
	char token[SESSION_TOKEN_LEN + 1];
	struct db_err e;
	enum db_qs qs = signin_start(c, pid, login, http_cookie(req, SESSION_COOKIE), req->ip, token, &e);
	if (qs < 0) {
		db_pool_put(req->app->db, c);
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	}
	struct principal who = {0};
	who.person_id = pid;
	who.active = 1;
	if (session_load_grants(c, pid, &who) < 0)
		who.ngrants = 0;
	const char *to = after_sign_in(&who, next);
	free(who.grants);
	db_pool_put(req->app->db, c);
	http_set_cookie(req, SESSION_COOKIE, token, -1);
	http_set_cookie(req, CSRF_COOKIE, "", 0);
	log_event(LOG_INFO, "login", "rid=%s person=%d", req->rid, pid);
	int rc = http_redirect(req, to);
	sodium_memzero(token, sizeof token);
	return rc;
}

int web_login(struct request *req)
{
	if (req->method == HTTP_POST)
		return do_login(req);
	if (req->sess)
		return http_redirect(req, after_sign_in(&req->sess->who, http_query(req, "next")));
	return login_page(req, 200, "", http_query(req, "next"), NULL, 0, 0);
}

int web_logout(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	struct db_err e;
	enum db_qs qs = signin_end(c, req->sess->who.person_id, req->sess->token, req->ip, &e);
	db_pool_put(req->app->db, c);
	if (qs < 0)
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	http_set_cookie(req, SESSION_COOKIE, "", 0);
	return http_redirect(req, "/");
}
