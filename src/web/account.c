/* /account/password: a signed-in person changes their own password. The
 * current password is required (its failures count toward the sign-in
 * throttle of the account, so a session left open is no way to guess it);
 * the new one must meet the policy. The change itself is password_change
 * (auth/password.h). */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "auth/signin.h"
#include "auth/session.h"
#include "db/db.h"
#include "db/tx.h"
#include "web.h"

static int page(struct request *req, unsigned status, json_t *errors, int done)
{
	json_t *d = json_object();
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (done)
		json_object_set_new(d, "done", json_true());
	return http_page(req, status, "pages/account_password", d);
}

int web_account_password(struct request *req)
{
	if (req->method != HTTP_POST) {
		const char *done = http_query(req, "done");
		return page(req, 200, NULL, done && strcmp(done, "changed") == 0);
	}
	const char *cur = http_form(req, "current");
	const char *pw = http_form(req, "password");
	const char *pw2 = http_form(req, "password2");
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *errors = json_object();
	int rc;
	if (signin_throttled(c, req->sess->login, req->ip)) {
		json_object_set_new(errors, "current", http_label(req, "login_err_throttled"));
		rc = page(req, 429, errors, 0);
		goto out;
	}
	if (!cur || !*cur || strlen(cur) > PASSWORD_MAX_BYTES) {
		json_object_set_new(errors, "current", http_label(req, "account_err_current"));
	} else {
		int ok = password_is_current(c, req->sess->who.person_id, cur);
		if (ok < 0) {
			rc = http_error(req, 503);
			goto out;
		}
		if (!ok) {
			signin_failure(c, req->sess->login, req->ip, "wrong current password",
				       req->sess->who.person_id);
			json_object_set_new(errors, "current", http_label(req, "account_err_current"));
		}
	}
	if (!json_object_get(errors, "current")) {
		const char *bad = !pw || !*pw ? NULL : password_policy(c, pw, req->sess->login);
		if (!pw || !*pw)
			json_object_set_new(errors, "password", http_label(req, "account_err_new"));
		else if (bad)
			json_object_set_new(errors, "password", json_string(bad));
		else if (cur && strcmp(pw, cur) == 0)
			json_object_set_new(errors, "password", http_label(req, "account_err_same"));
		else if (!pw2 || strcmp(pw, pw2) != 0)
			json_object_set_new(errors, "password2", http_label(req, "account_err_confirm"));
	}
	if (json_object_size(errors)) {
		rc = page(req, 422, errors, 0);
		goto out;
	}
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(pw, hash) < 0) {
		rc = http_error(req, 500);
		goto out;
	}
	struct db_err e;
	enum db_qs qs = password_change(c, req->sess->who.person_id, req->sess->token, hash,
					req->ip[0] ? req->ip : NULL, &e);
	sodium_memzero(hash, sizeof hash);
	if (qs <= 0) {
		rc = http_error(req, qs == DB_NONE ? 403 : qs == DB_SOFT ? 503 : 500);
		goto out;
	}
	rc = http_redirect(req, "/account/password?done=changed");
out:
	json_decref(errors);
	db_pool_put(req->app->db, c);
	return rc;
}
