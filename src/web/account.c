/* /account/password: a signed-in person changes their own password. The
 * current password is required (its failures count toward the sign-in
 * throttle of the account, so a session left open is no way to guess it);
 * the new one must meet the policy. On success every other session of the
 * person ends, the change is audited, and a notice is mailed to the person
 * (template password_changed) in the same transaction. */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "auth/session.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/tx.h"
#include "web.h"

static int page(struct request *req, unsigned status, json_t *errors, int done)
{
	json_t *d = json_object();
	if (errors && json_object_size(errors)) {
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (done)
		json_object_set_new(d, "done", json_true());
	return http_page(req, status, "pages/account_password", d);
}

struct change {
	struct request *req;
	const char *hash;
};

static enum db_qs store(PGconn *c, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	struct request *req = ch->req;
	char pid[16], key[2 + 64 + 1];
	snprintf(pid, sizeof pid, "%d", req->sess->who.person_id);
	session_token_key(req->sess->token, key);
	const char *p[3] = {pid, ch->hash, key};
	PGresult *r = NULL;
	enum db_qs qs = db_exec(
		c, e,
		"WITH p AS (UPDATE person SET password_hash = $2, updated_at = sokuho_now() "
		"  WHERE id = $1::int AND active RETURNING id, email, lang, login), "
		"s AS (DELETE FROM session WHERE person_id = $1::int AND id_hash <> $3::bytea "
		"  RETURNING 1), "
		"m AS (INSERT INTO outbox (dedup_key, recipient_id, email, lang, template, data) "
		"  SELECT 'password:' || p.id || ':' || extract(epoch FROM clock_timestamp())::text, "
		"  p.id, p.email, p.lang, 'password_changed', jsonb_build_object('login', p.login, "
		"  'changed_at', to_char(sokuho_now() AT TIME ZONE 'Asia/Tokyo', "
		"  'YYYY-MM-DD HH24:MI')) FROM p RETURNING 1) "
		"SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM s), (SELECT count(*) FROM m)",
		3, p, &r);
	if (qs < 0)
		return qs;
	int ended = atoi(PQgetvalue(r, 0, 1));
	int found = strcmp(PQgetvalue(r, 0, 0), "1") == 0;
	PQclear(r);
	if (!found)
		return DB_NONE; /* deactivated meanwhile: nothing changed */
	json_t *d = json_pack("{s:i}", "sessions_ended", ended);
	int a = audit_log(c, req->sess->who.person_id, "password.change",
			  req->ip[0] ? req->ip : NULL, d);
	json_decref(d);
	if (a != 0) {
		snprintf(e->msg, sizeof e->msg, "audit event failed");
		e->sqlstate[0] = '\0';
		e->conn_lost = PQstatus(c) == CONNECTION_BAD;
		e->commit_unknown = 0;
		return e->conn_lost ? DB_SOFT : DB_HARD;
	}
	return DB_OK;
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
	if (web_login_throttled(c, req->sess->login, req->ip)) {
		json_object_set_new(errors, "current", http_label(req, "login_err_throttled"));
		rc = page(req, 429, errors, 0);
		goto out;
	}
	if (!cur || !*cur || strlen(cur) > PASSWORD_MAX_BYTES) {
		json_object_set_new(errors, "current", http_label(req, "account_err_current"));
	} else {
		char pid[16];
		snprintf(pid, sizeof pid, "%d", req->sess->who.person_id);
		const char *p[1] = {pid};
		json_t *row = db_row(c, "SELECT password_hash FROM person WHERE id = $1::int", 1, p);
		const char *hash = row ? json_string_value(json_object_get(row, "password_hash")) : NULL;
		int ok = password_verify(hash, cur);
		json_decref(row);
		if (!ok) {
			web_login_failure(c, req->sess->login, req->ip, "wrong current password",
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
	struct change ch = {req, hash};
	struct db_err e;
	enum db_qs qs = db_run_tx(c, "password_change", 0, store, &ch, &e);
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
