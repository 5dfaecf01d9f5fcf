/* API tokens for integrations: "sokuho_" + 32 random bytes in base64url,
 * shown once, stored only as SHA-256. A token acts as one person
 * (authorization and the audit log see that person) within its scopes: the
 * person who created it, or a service account with the file scope only (the
 * database refuses any other token, migration 0020). It may make at most a
 * fixed number of requests per minute. */
#ifndef SOKUHO_TOKEN_H
#define SOKUHO_TOKEN_H

#include <jansson.h>
#include <libpq-fe.h>

#include "session.h"

#define API_TOKEN_PREFIX "sokuho_"
#define API_TOKEN_LEN (7 + SESSION_TOKEN_LEN)
#define API_TOKEN_RATE_PER_MINUTE 60

enum token_scope {
	TOKEN_SCOPE_FILE = 1, /* POST /api/v1/incidents */
	TOKEN_SCOPE_READ = 2, /* GET /api/v1/incidents/REF */
	TOKEN_SCOPE_ACT = 4,  /* workflow actions (reserved) */
};

enum token_result {
	TOKEN_ERROR = -1,   /* database error */
	TOKEN_OK = 0,
	TOKEN_INVALID = 1,  /* malformed, unknown, revoked, or the person is inactive */
	TOKEN_LIMITED = 2,  /* over the rate limit */
};

/* Creates a token for person_id with scopes (a mask of enum token_scope),
 * audited as "api_token.create" by actor_id inside one transaction; person_id
 * is actor_id, or a service account when scopes is the file scope. Writes
 * the token (to be shown once) into out. Returns 0 or -1. */
int api_token_create(PGconn *conn, const char *name, int person_id, unsigned scopes,
		     int actor_id, const char *ip, char out[API_TOKEN_LEN + 1]);

/* Revokes token id (no-op when already revoked; when only_person is not 0,
 * only a token acting as that person), audited as "api_token.revoke" by
 * actor_id. Returns 1 when revoked now, 0 when there was nothing to revoke,
 * -1 on error. */
int api_token_revoke(PGconn *conn, int id, int only_person, int actor_id, const char *ip);

/* Authenticates a bearer token: on TOKEN_OK *out is a session for the
 * token's person (no CSRF token; free with session_free) and *scopes its
 * scopes; counts the request and touches last_used_at at most once a minute.
 * On TOKEN_LIMITED *retry_after is the seconds until the next minute. */
enum token_result api_token_authenticate(PGconn *conn, const char *token, struct session **out,
					 unsigned *scopes, int *retry_after);

/* The scope a route (by name) needs from a token, or 0 when tokens may not
 * use it. */
unsigned api_token_route_scope(const char *route_name);

/* "file,read" style text of a mask (for pages and audit details). */
const char *api_token_scope_name(unsigned scope);

/* The tokens of person_id (0: every token), newest first: id, name, scopes
 * ("file, read"), login, display_name, service (boolean), created,
 * last_used ("—" for never) and revoked (Japan time, or null). NULL on a
 * database error. Caller owns. */
json_t *api_token_list(PGconn *conn, int person_id);

/* The active service accounts (login, display_name), by login; NULL on a
 * database error. Caller owns. */
json_t *api_token_service_accounts(PGconn *conn);

/* The id of login when it is an active service account, else 0. */
int api_token_service_account(PGconn *conn, const char *login);

#endif
