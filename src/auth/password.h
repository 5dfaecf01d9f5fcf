/* Passwords: Argon2id hashes (libsodium crypto_pwhash_str) and the policy a
 * new password must meet. Thread-safe. */
#ifndef SOKUHO_PASSWORD_H
#define SOKUHO_PASSWORD_H

#include <libpq-fe.h>
#include <sodium.h>

#include "db/tx.h"

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 1024
#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES

/* Hashes pw into out (NUL-terminated). Returns 0, or -1 if out of memory.
 * Thread-safe; at most two hashes or verifications run at once in a process
 * (each takes 64 MiB), the others wait their turn. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* Whether pw matches hash: 1 yes, 0 no (also for a NULL or malformed hash).
 * With a NULL hash it still spends the time of one verification, so that an
 * unknown login cannot be told from a wrong password by timing. */
int password_verify(const char *hash, const char *pw);

/* Checks a new password against the policy: at least PASSWORD_MIN_CHARS
 * characters, at most PASSWORD_MAX_BYTES bytes, not one character repeated,
 * not containing the login, not in the common_password table (conn may be
 * NULL to skip that check). Returns NULL when acceptable, else the catalog
 * key of the message (password_err_*, templates/i18n/labels.json; static). */
const char *password_policy(PGconn *conn, const char *pw, const char *login);

/* Whether pw is person_id's current password: 1 or 0 (0 also without a
 * password), -1 when the database cannot say. Spends one verification. */
int password_is_current(PGconn *conn, int person_id, const char *pw);

/* A person's own password change, in one transaction (db_run_tx): sets hash
 * (from password_hash), ends every session of theirs but the one whose
 * cookie token is keep_token, audits password.change (with the number of
 * sessions ended) and queues the password_changed notice to them. Returns
 * DB_OK, DB_NONE when the person is not active (nothing changed), or < 0
 * with e filled. */
enum db_qs password_change(PGconn *conn, int person_id, const char *keep_token, const char *hash,
			   const char *ip, struct db_err *e);

#endif
