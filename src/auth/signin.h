/* Signing in: the throttle, checking a login and password, and starting the
 * session. Failures are throttled per account and per address; every
 * sign-in, failure, refusal and sign-out goes to the audit log. An unknown
 * login (perhaps a password typed into the login field) is kept only as a
 * short hash keyed with a random key that lives in this process's memory
 * alone, never as typed. */
#ifndef SOKUHO_AUTH_SIGNIN_H
#define SOKUHO_AUTH_SIGNIN_H

#include <libpq-fe.h>

#include "auth/session.h"
#include "db/tx.h"

/* Failures within the window that stop further attempts. */
#define SIGNIN_FAIL_WINDOW "15 minutes"
#define SIGNIN_MAX_FAIL_PER_LOGIN 5
#define SIGNIN_MAX_FAIL_PER_IP 20
/* Sign-ins (right password) of one account within a minute: each costs an
 * Argon2id verification, and no person signs in thirty times a minute. Not
 * counted per address: a whole city hall signs in at 08:30 through one
 * proxy. */
#define SIGNIN_MAX_PER_LOGIN_MINUTE 30

/* Whether login (as typed, lower-cased) or ip ("" for none) is paused now.
 * A database error counts as not paused (the sign-in itself then fails). */
int signin_throttled(PGconn *c, const char *login, const char *ip);

/* Records that a sign-in (or a check of the current password) failed, for
 * the throttle and the audit log (login.failure with reason). person_id is
 * the person's when the login is known, else 0. */
void signin_failure(PGconn *c, const char *login, const char *ip, const char *reason,
		    int person_id);

/* Records a refusal of the throttle (login.throttled). */
void signin_throttled_event(PGconn *c, const char *login, const char *ip);

/* Checks login and password (Argon2id, the same work whether or not the
 * login exists). Returns the person's id (> 0) when both are right and the
 * person is active; 0 after recording the failure; -1 when the database
 * could not be asked (nothing recorded: answer 503). */
int signin_check(PGconn *c, const char *login, const char *password, const char *ip);

/* Starts person_id's session (token out) in one transaction with the end of
 * old_token's session (may be NULL: a session id planted before sign-in is
 * worthless after it), the person's failures cleared and the audit event
 * login.success. Returns the status (tx.h). */
enum db_qs signin_start(PGconn *c, int person_id, const char *login, const char *old_token,
			const char *ip, char token[SESSION_TOKEN_LEN + 1], struct db_err *e);

/* Ends the session of token (signing out) with its audit event (logout) in
 * one transaction. Returns the status (tx.h). */
enum db_qs signin_end(PGconn *c, int person_id, const char *token, const char *ip,
		      struct db_err *e);

#endif
