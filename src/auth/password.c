/* Argon2id password hashing and the password policy (see password.h). */
#include "password.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/session.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"

/* Interactive limits: about 0.1 s and 64 MiB per hash on this class of machine. */
#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

/* At most this many hashes at once in a process: each takes MEMLIMIT of
 * memory, so a burst of sign-ins (or someone guessing passwords on many
 * connections, before the throttle stops them) waits its turn instead of
 * taking 64 MiB per HTTP thread. */
#define MAX_CONCURRENT 2

static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_cv = PTHREAD_COND_INITIALIZER;
static int slots_used;

static void slot_take(void)
{
	pthread_mutex_lock(&slots_mu);
	while (slots_used >= MAX_CONCURRENT)
		pthread_cond_wait(&slots_cv, &slots_mu);
	slots_used++;
	pthread_mutex_unlock(&slots_mu);
}

static void slot_give(void)
{
	pthread_mutex_lock(&slots_mu);
	slots_used--;
	pthread_cond_signal(&slots_cv);
	pthread_mutex_unlock(&slots_mu);
}

static int pwhash_str(char out[PASSWORD_HASH_MAX], const char *pw)
{
	slot_take();
	int rc = crypto_pwhash_str(out, pw, strlen(pw), OPSLIMIT, MEMLIMIT);
	slot_give();
	return rc;
}

static int pwhash_verify(const char *hash, const char *pw)
{
	slot_take();
	int rc = crypto_pwhash_str_verify(hash, pw, strlen(pw));
	slot_give();
	return rc;
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	return pwhash_str(out, pw) == 0 ? 0 : -1;
}

int password_verify(const char *hash, const char *pw)
{
	static char dummy[PASSWORD_HASH_MAX];
	static int have_dummy;
	if (!hash || strncmp(hash, "$argon2id$", 10) != 0) {
		/* Spend the same time as a real check. */
		if (!__atomic_load_n(&have_dummy, __ATOMIC_ACQUIRE)) {
			char tmp[PASSWORD_HASH_MAX];
			if (password_hash("not a password of anybody", tmp) == 0) {
				memcpy(dummy, tmp, sizeof dummy);
				__atomic_store_n(&have_dummy, 1, __ATOMIC_RELEASE);
			}
		}
		if (__atomic_load_n(&have_dummy, __ATOMIC_ACQUIRE))
			if (pwhash_verify(dummy, pw) == 0)
				return 0;
		return 0;
	}
	return pwhash_verify(hash, pw) == 0;
}

const char *password_policy(PGconn *conn, const char *pw, const char *login)
{
	if (strlen(pw) > PASSWORD_MAX_BYTES)
		return "password_err_too_long";
	if (utf8_chars(pw) < PASSWORD_MIN_CHARS)
		return "password_err_too_short";
	int same = 1;
	for (const char *p = pw + 1; *p; p++)
		if (*p != pw[0])
			same = 0;
	if (same)
		return "password_err_repeated";
	if (login && strlen(login) >= 3 && strcasestr(pw, login))
		return "password_err_login";
	if (conn) {
		char *lower = xstrdup(pw);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		const char *params[1] = {lower};
		PGresult *r = PQexecParams(conn, "SELECT 1 FROM common_password WHERE password = $1",
					   1, NULL, params, NULL, NULL, 0);
		int common = db_ok(r) && PQntuples(r) > 0;
		PQclear(r);
		free(lower);
		if (common)
			return "password_err_common";
	}
	return NULL;
}

struct change {
	int person_id;
	const char *keep_token, *hash, *ip;
};

static enum db_qs change_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	char pid[16], key[2 + 64 + 1];
	snprintf(pid, sizeof pid, "%d", ch->person_id);
	session_token_key(ch->keep_token, key);
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
	qs = audit_append(c, e, ch->person_id, "password.change", ch->ip, 0, d);
	json_decref(d);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs password_change(PGconn *c, int person_id, const char *keep_token, const char *hash,
			   const char *ip, struct db_err *e)
{
	struct change ch = {person_id, keep_token, hash, ip};
	return db_run_tx(c, "password_change", 0, change_tx, &ch, e);
}

int password_is_current(PGconn *c, int person_id, const char *pw)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", person_id);
	const char *p[1] = {pid};
	PGresult *r = PQexecParams(c, "SELECT password_hash FROM person WHERE id = $1::int", 1,
				   NULL, p, NULL, NULL, 0);
	if (!db_ok(r)) {
		PQclear(r);
		return -1;
	}
	const char *hash = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : NULL;
	int ok = password_verify(hash, pw);
	PQclear(r);
	return ok;
}
