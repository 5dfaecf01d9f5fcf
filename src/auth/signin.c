/* Signing in (see signin.h). */
#include "signin.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "db/audit.h"
#include "db/db.h"

/* The keyed hash of an unknown login: never stored, a new key at each start,
 * so the same mistyped login correlates within one run and no dictionary
 * can reverse it. */
static unsigned char login_key[crypto_generichash_KEYBYTES];
static pthread_once_t login_key_once = PTHREAD_ONCE_INIT;

static void login_key_init(void)
{
	randombytes_buf(login_key, sizeof login_key);
}

#define HASH_HEX (2 * crypto_generichash_BYTES_MIN + 1)
#define HASHED_LEN (2 + HASH_HEX) /* "h:" + hex: its name in login_failure */

static void login_hash(const char *login, char hex[HASH_HEX])
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	pthread_once(&login_key_once, login_key_init);
	crypto_generichash(h, sizeof h, (const unsigned char *)login, strlen(login), login_key,
			   sizeof login_key);
	sodium_bin2hex(hex, HASH_HEX, h, sizeof h);
}

static void hashed_login(const char *login, char out[HASHED_LEN])
{
	out[0] = 'h';
	out[1] = ':';
	login_hash(login, out + 2);
}

static const char *ip_or_null(const char *ip)
{
	return ip && ip[0] ? ip : NULL;
}

int signin_throttled(PGconn *c, const char *login, const char *ip)
{
	char hashed[HASHED_LEN];
	hashed_login(login, hashed);
	const char *params[3] = {login, ip_or_null(ip), hashed};
	PGresult *r;
	struct db_err e;
	if (db_exec(c, &e,
		    "SELECT (SELECT count(*) FROM login_failure WHERE login IN ($1, $3) "
		    "          AND at > sokuho_now() - interval '" SIGNIN_FAIL_WINDOW "') AS by_login, "
		    "       (SELECT count(*) FROM login_failure WHERE ip = $2::inet "
		    "          AND at > sokuho_now() - interval '" SIGNIN_FAIL_WINDOW "') AS by_ip, "
		    "       (SELECT count(*) FROM audit_event a JOIN person p ON p.id = a.actor_id "
		    "          WHERE p.login = $1 AND a.kind = 'login.success' "
		    "          AND a.at > sokuho_now() - interval '1 minute') AS signins",
		    3, params, &r) != DB_OK)
		return 0;
	int t = db_first_ll(r, "by_login") >= SIGNIN_MAX_FAIL_PER_LOGIN ||
		db_first_ll(r, "by_ip") >= SIGNIN_MAX_FAIL_PER_IP ||
		db_first_ll(r, "signins") >= SIGNIN_MAX_PER_LOGIN_MINUTE;
	PQclear(r);
	return t;
}

void signin_failure(PGconn *c, const char *login, const char *ip, const char *reason,
		    int person_id)
{
	/* an unknown login is kept only as its keyed hash, here too; rows past
	 * a day are of no use to the throttle and are swept */
	char hashed[HASHED_LEN];
	hashed_login(login, hashed);
	const char *params[2] = {person_id ? login : hashed, ip_or_null(ip)};
	struct db_err e;
	db_exec(c, &e,
		"WITH sweep AS (DELETE FROM login_failure WHERE at < sokuho_now() - interval '1 day') "
		"INSERT INTO login_failure (login, ip) VALUES ($1, $2::inet)",
		2, params, NULL);
	json_t *d = json_pack("{s:s, s:s}", person_id ? "login" : "login_hash",
			      person_id ? login : hashed + 2, "reason", reason);
	audit_log(c, person_id, "login.failure", ip_or_null(ip), d);
	json_decref(d);
}

void signin_throttled_event(PGconn *c, const char *login, const char *ip)
{
	/* the login as typed only when it is a person's */
	const char *lp[1] = {login};
	struct db_err e;
	int known = db_exec(c, &e, "SELECT 1 FROM person WHERE login = $1", 1, lp, NULL) == DB_OK;
	char hashed[HASHED_LEN];
	hashed_login(login, hashed);
	json_t *d = json_pack("{s:s}", known ? "login" : "login_hash", known ? login : hashed + 2);
	audit_log(c, 0, "login.throttled", ip_or_null(ip), d);
	json_decref(d);
}

int signin_check(PGconn *c, const char *login, const char *password, const char *ip)
{
	const char *params[1] = {login};
	PGresult *r;
	struct db_err e;
	enum db_qs qs = db_exec(c, &e,
				"SELECT id, password_hash, active FROM person WHERE login = $1", 1,
				params, &r);
	if (qs < 0)
		return -1;
	int found = qs == DB_OK;
	int pid = found ? (int)db_first_ll(r, "id") : 0;
	int hcol = PQfnumber(r, "password_hash");
	const char *hash = found && !PQgetisnull(r, 0, hcol) ? PQgetvalue(r, 0, hcol) : NULL;
	int active = found && PQgetvalue(r, 0, PQfnumber(r, "active"))[0] == 't';
	/* verified even for an unknown login (password_verify works on a dummy
	 * hash), so that the time taken does not tell which logins exist */
	int ok = password_verify(hash, password);
	PQclear(r);
	if (ok && active)
		return pid;
	signin_failure(c, login, ip, !found ? "unknown login" : !ok ? "wrong password" : "inactive",
		       pid);
	return 0;
}

struct start {
	int person_id;
	const char *login, *old_token, *ip;
	char *token;
};

static enum db_qs start_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct start *s = arg;
	char key[67], csrf[SESSION_TOKEN_LEN + 1], pid[16];
	/* a fresh id at each attempt: one that may have reached the database
	 * in an attempt rolled back is never reused */
	session_random_token(s->token);
	session_random_token(csrf);
	session_token_key(s->token, key);
	snprintf(pid, sizeof pid, "%d", s->person_id);
	enum db_qs qs;
	if (s->old_token && session_base64url(s->old_token, SESSION_TOKEN_LEN)) {
		char old[67];
		session_token_key(s->old_token, old);
		if ((qs = db_exec(c, e, "DELETE FROM session WHERE id_hash = $1::bytea", 1,
				  (const char *const[]){old}, NULL)) < 0)
			return qs;
	}
	const char *p[4] = {key, pid, csrf, s->ip};
	if ((qs = db_exec(c, e,
			  "INSERT INTO session (id_hash, person_id, csrf_token, ip) "
			  "VALUES ($1::bytea, $2, $3, $4::inet)",
			  4, p, NULL)) < 0)
		return qs;
	/* a known login's failures are stored under it */
	if ((qs = db_exec(c, e, "DELETE FROM login_failure WHERE login = $1", 1,
			  (const char *const[]){s->login}, NULL)) < 0)
		return qs;
	qs = audit_append(c, e, s->person_id, "login.success", s->ip, 0, NULL);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs signin_start(PGconn *c, int person_id, const char *login, const char *old_token,
			const char *ip, char token[SESSION_TOKEN_LEN + 1], struct db_err *e)
{
	struct start s = {person_id, login, old_token, ip_or_null(ip), token};
	/* Not idempotent (each attempt makes a new session id): a COMMIT
	 * without an answer is reported and the person signs in again. */
	enum db_qs qs = db_run_tx(c, "signin_start", 0, start_tx, &s, e);
	if (qs < 0)
		sodium_memzero(token, SESSION_TOKEN_LEN + 1);
	return qs;
}

struct end {
	int person_id;
	const char *token, *ip;
};

static enum db_qs end_tx(PGconn *c, void *arg, struct db_err *e)
{
	const struct end *x = arg;
	char key[67];
	session_token_key(x->token, key);
	enum db_qs qs = db_exec(c, e, "DELETE FROM session WHERE id_hash = $1::bytea", 1,
				(const char *const[]){key}, NULL);
	if (qs < 0)
		return qs;
	qs = audit_append(c, e, x->person_id, "logout", x->ip, 0, NULL);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs signin_end(PGconn *c, int person_id, const char *token, const char *ip,
		      struct db_err *e)
{
	struct end x = {person_id, token, ip_or_null(ip)};
	/* idempotent: ending an ended session again removes nothing more */
	return db_run_tx(c, "signin_end", DB_TX_IDEMPOTENT, end_tx, &x, e);
}
