/* API tokens stored by hash (see token.h). */
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/tx.h"

static int token_well_formed(const char *t)
{
	size_t pl = strlen(API_TOKEN_PREFIX);
	return t && strncmp(t, API_TOKEN_PREFIX, pl) == 0 &&
	       session_base64url(t + pl, API_TOKEN_LEN - pl);
}

const char *api_token_scope_name(unsigned scope)
{
	static const char *const names[8] = {"",	  "file",      "read",	    "file,read",
					     "act",	  "file,act",  "read,act", "file,read,act"};
	return names[scope & 7];
}

unsigned api_token_route_scope(const char *route_name)
{
	if (strcmp(route_name, "api_incidents") == 0)
		return TOKEN_SCOPE_FILE;
	if (strcmp(route_name, "api_incident") == 0)
		return TOKEN_SCOPE_READ;
	return 0;
}

struct token_create {
	const char *name, *ip;
	char key[67], pid[16], aid[16], arr[32];
	int actor_id;
	unsigned scopes;
};

static enum db_qs token_create_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct token_create *t = arg;
	const char *params[5] = {t->name, t->key, t->pid, t->arr, t->aid};
	PGresult *r;
	enum db_qs qs = db_exec(c, e,
				"INSERT INTO api_token (name, token_hash, person_id, scopes, "
				"created_by) VALUES ($1, $2::bytea, $3::int, $4::text[], $5::int) "
				"RETURNING id, (SELECT login FROM person WHERE id = $3::int)",
				5, params, &r);
	if (qs < 0)
		return qs;
	json_t *detail = json_pack("{s:I, s:s, s:s, s:s}", "token_id",
				   (json_int_t)atoll(PQgetvalue(r, 0, 0)), "name", t->name, "person",
				   PQgetvalue(r, 0, 1), "scopes", api_token_scope_name(t->scopes));
	PQclear(r);
	qs = audit_append(c, e, t->actor_id, "api_token.create", t->ip, 0, detail);
	json_decref(detail);
	return qs < 0 ? qs : DB_OK;
}

int api_token_create(PGconn *conn, const char *name, int person_id, unsigned scopes,
		     int actor_id, const char *ip, char out[API_TOKEN_LEN + 1])
{
	struct token_create t = {.name = name, .ip = ip, .actor_id = actor_id, .scopes = scopes};
	char rnd[SESSION_TOKEN_LEN + 1];
	session_random_token(rnd);
	snprintf(out, API_TOKEN_LEN + 1, "%s%s", API_TOKEN_PREFIX, rnd);
	sodium_memzero(rnd, sizeof rnd);
	session_token_key(out, t.key);
	snprintf(t.pid, sizeof t.pid, "%d", person_id);
	snprintf(t.aid, sizeof t.aid, "%d", actor_id);
	snprintf(t.arr, sizeof t.arr, "{%s}", api_token_scope_name(scopes));
	struct db_err e;
	/* not idempotent: a second try after an unknown COMMIT would make a
	 * second token */
	int ok = db_run_tx(conn, "api_token_create", 0, token_create_tx, &t, &e) > 0;
	if (!ok) {
		log_event(LOG_ERROR, "api_token_create_failed", "error=%s", log_quote(0, e.msg));
		sodium_memzero(out, API_TOKEN_LEN + 1);
	}
	return ok ? 0 : -1;
}

struct token_revoke {
	const char *ip;
	int id, actor_id;
	char tid[16], aid[16], oid[16];
	int only_person;
	int n; /* tokens revoked */
};

static enum db_qs token_revoke_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct token_revoke *t = arg;
	t->n = 0;
	const char *params[3] = {t->tid, t->aid, t->only_person ? t->oid : NULL};
	PGresult *r;
	enum db_qs qs = db_exec(c, e,
				"UPDATE api_token SET revoked_at = sokuho_now(), revoked_by = $2::int "
				"WHERE id = $1::int AND revoked_at IS NULL AND ($3::int IS NULL OR "
				"person_id = $3::int) RETURNING name",
				3, params, &r);
	if (qs <= 0) {
		PQclear(r);
		return qs;
	}
	json_t *detail = json_pack("{s:i, s:s}", "token_id", t->id, "name", PQgetvalue(r, 0, 0));
	PQclear(r);
	qs = audit_append(c, e, t->actor_id, "api_token.revoke", t->ip, 0, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	t->n = 1;
	return DB_OK;
}

int api_token_revoke(PGconn *conn, int id, int only_person, int actor_id, const char *ip)
{
	struct token_revoke t = {.ip = ip, .id = id, .actor_id = actor_id,
				 .only_person = only_person};
	snprintf(t.tid, sizeof t.tid, "%d", id);
	snprintf(t.aid, sizeof t.aid, "%d", actor_id);
	snprintf(t.oid, sizeof t.oid, "%d", only_person);
	struct db_err e;
	if (db_run_tx(conn, "api_token_revoke", 0, token_revoke_tx, &t, &e) < 0) {
		log_event(LOG_ERROR, "api_token_revoke_failed", "error=%s", log_quote(0, e.msg));
		return -1;
	}
	return t.n;
}

enum token_result api_token_authenticate(PGconn *conn, const char *token, struct session **out,
					 unsigned *scopes, int *retry_after)
{
	*out = NULL;
	if (!token_well_formed(token))
		return TOKEN_INVALID;
	char key[67];
	session_token_key(token, key);
	const char *p1[1] = {key};
	PGresult *r = PQexecParams(
		conn,
		"SELECT t.id AS token_id, ('file' = ANY (t.scopes))::int + "
		"  2 * ('read' = ANY (t.scopes))::int + 4 * ('act' = ANY (t.scopes))::int AS scopes, "
		"  p.id AS person_id, p.login, p.display_name, p.lang, "
		"  coalesce(p.section_id, 0) AS section_id "
		"FROM api_token t JOIN person p ON p.id = t.person_id "
		"WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL AND p.active "
		"  AND api_token_acts_rightly(t.person_id, t.created_by, t.scopes)",
		1, NULL, p1, NULL, NULL, 0);
	if (!db_ok(r)) {
		PQclear(r);
		return TOKEN_ERROR;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return TOKEN_INVALID;
	}
	char tid[24];
	snprintf(tid, sizeof tid, "%lld", db_first_ll(r, "token_id"));
	*scopes = (unsigned)db_first_ll(r, "scopes");
	struct session *s = session_from_row(r);
	PQclear(r);
	if (!s)
		return TOKEN_ERROR;

	/* Count this request in the token's current minute; touch last_used_at
	 * at most once a minute and then sweep old counts. */
	const char *p2[1] = {tid};
	r = PQexecParams(
		conn,
		"WITH n AS (INSERT INTO api_token_rate (token_id, minute, count) "
		"  VALUES ($1::int, date_trunc('minute', sokuho_now()), 1) "
		"  ON CONFLICT (token_id, minute) DO UPDATE SET count = api_token_rate.count + 1 "
		"  RETURNING count), "
		"touch AS (UPDATE api_token SET last_used_at = sokuho_now() WHERE id = $1::int AND "
		"  (last_used_at IS NULL OR last_used_at < sokuho_now() - interval '60 seconds') "
		"  RETURNING 1), "
		"sweep AS (DELETE FROM api_token_rate WHERE token_id = $1::int AND "
		"  minute < sokuho_now() - interval '1 hour' AND EXISTS (SELECT 1 FROM touch)) "
		"SELECT (SELECT count FROM n), greatest(1, ceil(60 - extract(epoch FROM "
		"  sokuho_now() - date_trunc('minute', sokuho_now()))))::int",
		1, NULL, p2, NULL, NULL, 0);
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(r);
		session_free(s);
		return TOKEN_ERROR;
	}
	int count = atoi(PQgetvalue(r, 0, 0));
	*retry_after = atoi(PQgetvalue(r, 0, 1));
	PQclear(r);
	if (count > API_TOKEN_RATE_PER_MINUTE) {
		session_free(s);
		return TOKEN_LIMITED;
	}
	if (session_load_grants(conn, s->who.person_id, &s->who) < 0) {
		session_free(s);
		return TOKEN_ERROR;
	}
	*out = s;
	return TOKEN_OK;
}

json_t *api_token_list(PGconn *conn, int person_id)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", person_id);
	const char *p[1] = {person_id > 0 ? pid : NULL};
	return db_rows(
		conn,
		"SELECT t.id, t.name, array_to_string(t.scopes, ', ') AS scopes, p.login, "
		"  p.display_name, p.kind = 'service' AS service, to_char(t.created_at AT TIME ZONE "
		"  'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS created, coalesce(to_char(t.last_used_at AT "
		"  TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), '—') AS last_used, "
		"  to_char(t.revoked_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS revoked "
		"FROM api_token t JOIN person p ON p.id = t.person_id "
		"WHERE $1::int IS NULL OR t.person_id = $1::int ORDER BY t.id DESC",
		1, p);
}

json_t *api_token_service_accounts(PGconn *conn)
{
	return db_rows(conn,
		       "SELECT login, display_name FROM person WHERE kind = 'service' AND active "
		       "ORDER BY login",
		       0, NULL);
}

int api_token_service_account(PGconn *conn, const char *login)
{
	const char *p[1] = {login ? login : ""};
	json_t *row = db_row(conn,
			     "SELECT id FROM person WHERE login = $1 AND active AND kind = 'service'",
			     1, p);
	int id = row ? atoi(json_string_value(json_object_get(row, "id"))) : 0;
	json_decref(row);
	return id;
}
