/* Sessions stored by hash (see session.h). */
#include "session.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "db/db.h"
#include "db/prepared.h"

void session_random_token(char out[SESSION_TOKEN_LEN + 1])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void session_token_key(const char *token, char out[2 + 64 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof h);
}

int session_base64url(const char *t, size_t len)
{
	if (!t || strlen(t) != len)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '-' || *t == '_'))
			return 0;
	return 1;
}

int session_create(PGconn *conn, int person_id, const char *ip, char token[SESSION_TOKEN_LEN + 1])
{
	char key[67], csrf[SESSION_TOKEN_LEN + 1], pid[16];
	session_random_token(token);
	session_random_token(csrf);
	session_token_key(token, key);
	snprintf(pid, sizeof pid, "%d", person_id);
	const char *params[4] = {key, pid, csrf, ip};
	PGresult *r = PQexecParams(conn,
				   "INSERT INTO session (id_hash, person_id, csrf_token, ip) "
				   "VALUES ($1::bytea, $2, $3, $4::inet)",
				   4, NULL, params, NULL, NULL, 0);
	int ok = db_ok(r);
	PQclear(r);
	return ok ? 0 : -1;
}

/* Both run on every signed-in request: prepared once per connection
 * (db/prepared.h). */
static const struct db_stmt grants_stmt = {
	"session_grants",
	"SELECT role, scope_kind, coalesce(scope_id, 0) FROM role_assignment "
	"WHERE person_id = $1 AND valid_from <= sokuho_today() "
	"AND (valid_to IS NULL OR valid_to >= sokuho_today())",
	1};

static const struct db_stmt session_stmt = {
	"session_load",
	"WITH s AS (SELECT * FROM session WHERE id_hash = $1::bytea), "
	"dead AS (DELETE FROM session WHERE id_hash = $1::bytea AND "
	"  (last_seen_at < sokuho_now() - make_interval(secs => $2::int) OR "
	"   created_at < sokuho_now() - make_interval(secs => $3::int) OR "
	"   NOT (SELECT active FROM person WHERE id = (SELECT person_id FROM s))) "
	"  RETURNING 1), "
	"touch AS (UPDATE session SET last_seen_at = sokuho_now() WHERE id_hash = $1::bytea "
	"  AND last_seen_at < sokuho_now() - interval '60 seconds' "
	"  AND NOT EXISTS (SELECT 1 FROM dead) RETURNING 1) "
	"SELECT p.id AS person_id, p.login, p.display_name, p.lang, "
	"  coalesce(p.section_id, 0) AS section_id, s.csrf_token, "
	"  (SELECT count(*) FROM dead) AS dead, (SELECT count(*) FROM touch) AS touched "
	"FROM s JOIN person p ON p.id = s.person_id",
	3};

int session_load_grants(PGconn *conn, int person_id, struct principal *p)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", person_id);
	const char *params[1] = {pid};
	PGresult *r;
	db_exec_stmt(conn, NULL, &grants_stmt, params, 0, &r);
	if (!db_ok(r)) {
		PQclear(r);
		return -1;
	}
	free(p->grants);
	p->ngrants = (size_t)PQntuples(r);
	p->grants = xcalloc(p->ngrants ? p->ngrants : 1, sizeof *p->grants);
	for (size_t i = 0; i < p->ngrants; i++) {
		struct grant *g = &p->grants[i];
		snprintf(g->role, sizeof g->role, "%s", PQgetvalue(r, (int)i, 0));
		const char *k = PQgetvalue(r, (int)i, 1);
		g->scope = strcmp(k, "department") == 0 ? SCOPE_DEPARTMENT
			   : strcmp(k, "section") == 0	 ? SCOPE_SECTION
			   : strcmp(k, "system") == 0	 ? SCOPE_SYSTEM
							 : SCOPE_CITY;
		g->scope_id = atoi(PQgetvalue(r, (int)i, 2));
	}
	PQclear(r);
	return 0;
}

struct session *session_from_row(const PGresult *r)
{
	long long pid = db_first_ll(r, "person_id"), sec = db_first_ll(r, "section_id");
	if (pid <= 0 || pid > INT_MAX || sec < 0 || sec > INT_MAX)
		return NULL;
	int cl = PQfnumber(r, "login"), cn = PQfnumber(r, "display_name"),
	    cg = PQfnumber(r, "lang"), cc = PQfnumber(r, "csrf_token");
	if (cl < 0 || cn < 0 || cg < 0)
		return NULL;
	struct session *s = xcalloc(1, sizeof *s);
	s->who.person_id = (int)pid;
	s->who.active = 1;
	snprintf(s->login, sizeof s->login, "%s", PQgetvalue(r, 0, cl));
	s->display_name = xstrdup(PQgetvalue(r, 0, cn));
	snprintf(s->lang, sizeof s->lang, "%s", PQgetvalue(r, 0, cg));
	s->section_id = (int)sec;
	if (cc >= 0)
		snprintf(s->csrf, sizeof s->csrf, "%s", PQgetvalue(r, 0, cc));
	return s;
}

struct session *session_load(PGconn *conn, const char *token, int idle_s, int max_s)
{
	if (!session_base64url(token, SESSION_TOKEN_LEN))
		return NULL;
	char key[67], idle[16], max[16];
	session_token_key(token, key);
	snprintf(idle, sizeof idle, "%d", idle_s);
	snprintf(max, sizeof max, "%d", max_s);
	const char *params[3] = {key, idle, max};
	/* Expired sessions die here; a live one is touched at most once a
	 * minute, so that reading pages does not write on every request. */
	PGresult *r;
	db_exec_stmt(conn, NULL, &session_stmt, params, 0, &r);
	struct session *s = NULL;
	if (db_ok(r) && PQntuples(r) == 1 && db_first_ll(r, "dead") == 0)
		s = session_from_row(r);
	PQclear(r);
	if (!s)
		return NULL;
	snprintf(s->token, sizeof s->token, "%s", token);
	if (session_load_grants(conn, s->who.person_id, &s->who) < 0) {
		session_free(s);
		return NULL;
	}
	return s;
}

int session_destroy(PGconn *conn, const char *token)
{
	if (!session_base64url(token, SESSION_TOKEN_LEN))
		return 0;
	char key[67];
	session_token_key(token, key);
	const char *params[1] = {key};
	PGresult *r = PQexecParams(conn, "DELETE FROM session WHERE id_hash = $1::bytea", 1, NULL,
				   params, NULL, NULL, 0);
	int ok = db_ok(r);
	PQclear(r);
	return ok ? 0 : -1;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	free(s->who.grants);
	free(s->display_name);
	sodium_memzero(s->token, sizeof s->token);
	free(s);
}
