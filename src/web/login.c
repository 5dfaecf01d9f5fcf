/* Signing in and out. Failures are throttled per account and per address,
 * and every sign-in, failure, refusal and sign-out goes to the audit log. */
#include <ctype.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "auth/session.h"
#include "core/log.h"
#include "db/audit.h"
#include "db/db.h"
#include "web.h"

/* Failures within the window that stop further attempts. */
#define FAIL_WINDOW "15 minutes"
#define MAX_FAIL_PER_LOGIN 5
#define MAX_FAIL_PER_IP 20
/* Sign-ins (right password) of one account within a minute: each costs an
 * Argon2id verification, and no person signs in thirty times a minute. Not
 * counted per address: a whole city hall signs in at 08:30 through one
 * proxy. */
#define MAX_SIGNIN_PER_LOGIN_MINUTE 30

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

/* login_hash below: the name an unknown login has in login_failure and the
 * audit trail. */
static void login_hash(const char *login, char hex[2 * crypto_generichash_BYTES_MIN + 1]);
#define HASHED_LEN (2 + 2 * crypto_generichash_BYTES_MIN + 1) /* "h:" + hex */

static void hashed_login(const char *login, char out[HASHED_LEN])
{
	out[0] = 'h';
	out[1] = ':';
	login_hash(login, out + 2);
}

int web_login_throttled(PGconn *c, const char *login, const char *ip)
{
	char hashed[HASHED_LEN];
	hashed_login(login, hashed);
	const char *params[3] = {login, ip[0] ? ip : NULL, hashed};
	PGresult *r = PQexecParams(
		c,
		"SELECT (SELECT count(*) FROM login_failure WHERE login IN ($1, $3) "
		"          AND at > sokuho_now() - interval '" FAIL_WINDOW "'), "
		"       (SELECT count(*) FROM login_failure WHERE ip = $2::inet "
		"          AND at > sokuho_now() - interval '" FAIL_WINDOW "'), "
		"       (SELECT count(*) FROM audit_event a JOIN person p ON p.id = a.actor_id "
		"          WHERE p.login = $1 AND a.kind = 'login.success' "
		"          AND a.at > sokuho_now() - interval '1 minute')",
		3, NULL, params, NULL, NULL, 0);
	int t = 0;
	if (db_ok(r) && PQntuples(r) == 1)
		t = atoi(PQgetvalue(r, 0, 0)) >= MAX_FAIL_PER_LOGIN ||
		    atoi(PQgetvalue(r, 0, 1)) >= MAX_FAIL_PER_IP ||
		    atoi(PQgetvalue(r, 0, 2)) >= MAX_SIGNIN_PER_LOGIN_MINUTE;
	PQclear(r);
	return t;
}

/* An unknown login may be a password typed into the wrong field: the audit
 * trail keeps only a short hash of it, keyed with a random key that lives in
 * this process's memory alone (never stored), so the same mistyped login
 * correlates within one run and no dictionary can reverse it. */
static unsigned char login_key[crypto_generichash_KEYBYTES];
static pthread_once_t login_key_once = PTHREAD_ONCE_INIT;

static void login_key_init(void)
{
	randombytes_buf(login_key, sizeof login_key);
}

static void login_hash(const char *login, char hex[2 * crypto_generichash_BYTES_MIN + 1])
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	pthread_once(&login_key_once, login_key_init);
	crypto_generichash(h, sizeof h, (const unsigned char *)login, strlen(login), login_key,
			   sizeof login_key);
	sodium_bin2hex(hex, 2 * sizeof h + 1, h, sizeof h);
}

void web_login_failure(PGconn *c, const char *login, const char *ip, const char *reason,
		       int person_id)
{
	/* an unknown login is kept only as its keyed hash, here too; rows past
	 * a day are of no use to the throttle and are swept */
	char hashed[HASHED_LEN];
	hashed_login(login, hashed);
	const char *params[2] = {person_id ? login : hashed, ip[0] ? ip : NULL};
	PQclear(PQexecParams(c,
			     "WITH sweep AS (DELETE FROM login_failure WHERE at < sokuho_now() - "
			     "interval '1 day') "
			     "INSERT INTO login_failure (login, ip) VALUES ($1, $2::inet)",
			     2, NULL, params, NULL, NULL, 0));
	const char *hex = hashed + 2;
	json_t *d = json_pack("{s:s, s:s}", person_id ? "login" : "login_hash", person_id ? login : hex,
			      "reason", reason);
	audit_log(c, person_id, "login.failure", ip[0] ? ip : NULL, d);
	json_decref(d);
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
	int rc;
	if (web_login_throttled(c, login, req->ip)) {
		/* the login as typed only when it is a person's */
		const char *lp[1] = {login};
		PGresult *k = PQexecParams(c, "SELECT 1 FROM person WHERE login = $1", 1, NULL, lp,
					   NULL, NULL, 0);
		int known = db_ok(k) && PQntuples(k) == 1;
		PQclear(k);
		char hashed[HASHED_LEN];
		hashed_login(login, hashed);
		json_t *d = json_pack("{s:s}", known ? "login" : "login_hash", known ? login : hashed + 2);
		audit_log(c, 0, "login.throttled", req->ip[0] ? req->ip : NULL, d);
		json_decref(d);
		db_pool_put(req->app->db, c);
		return login_page(req, 429, raw, next, "err_throttled", 0, 0);
	}
	const char *params[1] = {login};
	PGresult *r = PQexecParams(c, "SELECT id, password_hash, active FROM person WHERE login = $1",
				   1, NULL, params, NULL, NULL, 0);
	int found = db_ok(r) && PQntuples(r) == 1;
	int pid = found ? atoi(PQgetvalue(r, 0, 0)) : 0;
	const char *hash = found && !PQgetisnull(r, 0, 1) ? PQgetvalue(r, 0, 1) : NULL;
	int active = found && PQgetvalue(r, 0, 2)[0] == 't';
	int ok = password_verify(hash, pw);
	PQclear(r);
	if (!ok || !active) {
		web_login_failure(c, login, req->ip,
			       !found ? "unknown login" : !ok ? "wrong password" : "inactive", pid);
		db_pool_put(req->app->db, c);
		return login_page(req, 401, raw, next, "err_bad", 0, 0);
	}
	/* A new session id at every sign-in: a session id planted before
	 * sign-in is worthless after it. */
	const char *old = http_cookie(req, SESSION_COOKIE);
	if (old)
		session_destroy(c, old);
	char token[SESSION_TOKEN_LEN + 1];
	if (session_create(c, pid, req->ip[0] ? req->ip : NULL, token) < 0) {
		db_pool_put(req->app->db, c);
		return http_error(req, 500);
	}
	PQclear(PQexecParams(c, "DELETE FROM login_failure WHERE login = $1", 1, NULL, params, NULL,
			     NULL, 0)); /* a known login's failures are stored under it */
	audit_log(c, pid, "login.success", req->ip[0] ? req->ip : NULL, NULL);
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
	rc = http_redirect(req, to);
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
	session_destroy(c, req->sess->token);
	audit_log(c, req->sess->who.person_id, "logout", req->ip[0] ? req->ip : NULL, NULL);
	db_pool_put(req->app->db, c);
	http_set_cookie(req, SESSION_COOKIE, "", 0);
	return http_redirect(req, "/");
}
