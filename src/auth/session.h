/* Sign-in sessions. The session id is 32 bytes from the CSPRNG, sent as a
 * cookie in base64url and stored only as its SHA-256, so a copy of the
 * database cannot be used to sign in. Each session has its own CSRF token. */
#ifndef SOKUHO_SESSION_H
#define SOKUHO_SESSION_H

#include <libpq-fe.h>

#include "authz.h"

#define SESSION_COOKIE "sokuho_session"
#define SESSION_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

struct session {
	struct principal who;
	char token[SESSION_TOKEN_LEN + 1]; /* as the cookie carries it */
	char csrf[SESSION_TOKEN_LEN + 1];
	char login[72];
	char *display_name;
	char lang[4];
	int section_id;
};

/* Fills out with SESSION_TOKEN_LEN random base64url characters. */
void session_random_token(char out[SESSION_TOKEN_LEN + 1]);

/* The stored form of a secret token (session id, API token): its SHA-256 as
 * "\\x" hex, ready for a bytea parameter. Only this is ever stored. */
void session_token_key(const char *token, char out[2 + 64 + 1]);
/* Whether s is len characters of base64url (the alphabet of our tokens). */
int session_base64url(const char *s, size_t len);

/* Creates a session for person_id and writes its cookie value into token.
 * Returns 0 or -1. */
int session_create(PGconn *conn, int person_id, const char *ip, char token[SESSION_TOKEN_LEN + 1]);

/* Looks up the session of a cookie value: returns it (free with
 * session_free), or NULL when unknown, idle for more than idle_s seconds,
 * older than max_s seconds, or the person is inactive. Expired sessions are
 * deleted. Thread-safe (per connection). */
struct session *session_load(PGconn *conn, const char *token, int idle_s, int max_s);

/* Deletes the session of a cookie value (no error if there is none). */
int session_destroy(PGconn *conn, const char *token);

void session_free(struct session *s);

/* Loads the role assignments currently valid for person_id into p->grants
 * (replacing any). Returns 0 or -1. */
int session_load_grants(PGconn *conn, int person_id, struct principal *p);

/* A new session (session_free) for the person of row 0 of r, read by
 * column name: person_id, login, display_name, lang, section_id (0 for
 * none) and, when the result has it, csrf_token; the grants are not loaded.
 * NULL when there is no row or the person's id or section is not a number. */
struct session *session_from_row(const PGresult *r);

#endif
