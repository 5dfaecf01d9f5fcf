/* Argon2id password hashing and the password policy (see password.h). */
#include "password.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
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

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

const char *password_policy(PGconn *conn, const char *pw, const char *login)
{
	if (strlen(pw) > PASSWORD_MAX_BYTES)
		return "パスワードが長すぎます（1024バイトまで）。 The password is too long (at most 1024 bytes).";
	if (utf8_chars(pw) < PASSWORD_MIN_CHARS)
		return "パスワードは12文字以上にしてください。 The password must be at least 12 characters long.";
	int same = 1;
	for (const char *p = pw + 1; *p; p++)
		if (*p != pw[0])
			same = 0;
	if (same)
		return "同じ文字の繰り返しはパスワードに使えません。 A password cannot be one character repeated.";
	if (login && strlen(login) >= 3 && strcasestr(pw, login))
		return "パスワードにログインIDを含めないでください。 The password must not contain the login name.";
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
			return "よく使われるパスワードのため使えません。 This password is too common; choose another.";
	}
	return NULL;
}
