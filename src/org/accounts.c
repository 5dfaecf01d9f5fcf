/* Changes to people and their roles (see accounts.h). */
#include "accounts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"

/* One statement and, when it changed a row, its audit event. The statement
 * returns one row per row changed, with the column person_id and, when the
 * change ends sessions, sessions_ended; both go into the event's detail. */
struct change {
	const struct account_actor *by;
	const char *sql;
	int nparams;
	const char *const *params;
	const char *kind;
	const json_t *detail;
	struct account_result *out;
};

/* A column of the first row by name, as a number (0 when absent or NULL). */
static long long column_ll(const PGresult *r, const char *name)
{
	int col = PQfnumber(r, name);
	if (col < 0 || PQntuples(r) < 1 || PQgetisnull(r, 0, col))
		return 0;
	return strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

static enum db_qs change_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	memset(ch->out, 0, sizeof *ch->out);
	PGresult *r;
	enum db_qs qs = db_exec(c, e, ch->sql, ch->nparams, ch->params, &r);
	if (qs <= 0)
		return qs; /* an error, or nothing matched */
	json_t *detail = json_deep_copy(ch->detail);
	ch->out->person_id = column_ll(r, "person_id");
	json_object_set_new(detail, "person_id", json_integer(ch->out->person_id));
	if (PQfnumber(r, "sessions_ended") >= 0) {
		ch->out->sessions_ended = (long)column_ll(r, "sessions_ended");
		json_object_set_new(detail, "sessions_ended",
				    json_integer(ch->out->sessions_ended));
	}
	int n = PQntuples(r);
	PQclear(r);
	qs = audit_append(c, e, ch->by->person_id, ch->kind, ch->by->ip, 0, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	ch->out->changed = n;
	return DB_OK;
}

/* Runs a change and takes detail. Not idempotent: a COMMIT whose outcome is
 * unknown is reported (the admin looks and tries again) rather than repeated
 * with a second audit event. */
static enum db_qs run(PGconn *c, const char *name, struct change *ch, json_t *detail,
		      struct db_err *e)
{
	ch->detail = detail;
	enum db_qs qs = db_run_tx(c, name, 0, change_tx, ch, e);
	json_decref(detail);
	return qs;
}

enum db_qs account_add(PGconn *c, const struct account_actor *by, const struct account_new *p,
		       struct account_result *out, struct db_err *e)
{
	const char *params[7] = {p->login, p->display_name, p->email, p->section,
				 p->kind,  p->lang,         p->password_hash};
	struct change ch = {by,
			    "INSERT INTO person (login, display_name, email, section_id, kind, lang, "
			    "password_hash) VALUES ($1, $2, $3, (SELECT id FROM org_unit WHERE code = "
			    "$4 AND kind = 'section'), $5, $6, $7) ON CONFLICT (login) DO NOTHING "
			    "RETURNING id AS person_id",
			    7, params, "user.add", NULL, out};
	return run(c, "account_add", &ch,
		   json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:b}", "login", p->login,
			     "display_name", p->display_name, "email", p->email, "section",
			     p->section, "kind", p->kind, "lang", p->lang, "password_set",
			     p->password_hash != NULL),
		   e);
}

enum db_qs account_set_password(PGconn *c, const struct account_actor *by, const char *login,
				const char *hash, struct account_result *out, struct db_err *e)
{
	const char *params[2] = {login, hash};
	struct change ch = {by,
			    "WITH p AS (UPDATE person SET password_hash = $2, updated_at = "
			    "sokuho_now() WHERE login = $1 RETURNING id), s AS (DELETE FROM session "
			    "WHERE person_id IN (SELECT id FROM p) RETURNING 1) "
			    "SELECT p.id AS person_id, (SELECT count(*) FROM s) AS sessions_ended "
			    "FROM p",
			    2, params, "user.passwd", NULL, out};
	return run(c, "account_set_password", &ch, json_pack("{s:s}", "login", login), e);
}

enum db_qs account_set_active(PGconn *c, const struct account_actor *by, const char *login,
			      int active, struct account_result *out, struct db_err *e)
{
	const char *params[2] = {login, active ? "t" : "f"};
	struct change ch = {by,
			    active ? "UPDATE person SET active = true, updated_at = sokuho_now() "
				     "WHERE login = $1 AND NOT active AND $2::boolean "
				     "RETURNING id AS person_id"
				   : "WITH p AS (UPDATE person SET active = false, updated_at = "
				     "sokuho_now() WHERE login = $1 AND active AND NOT $2::boolean "
				     "RETURNING id), s AS (DELETE FROM session WHERE person_id IN "
				     "(SELECT id FROM p) RETURNING 1) SELECT p.id AS person_id, "
				     "(SELECT count(*) FROM s) AS sessions_ended FROM p",
			    2, params, active ? "user.activate" : "user.deactivate", NULL, out};
	return run(c, "account_set_active", &ch, json_pack("{s:s}", "login", login), e);
}

enum db_qs account_grant(PGconn *c, const struct account_actor *by, const struct account_grant *g,
			 struct account_result *out, struct db_err *e)
{
	char sid[16], dep[16];
	snprintf(sid, sizeof sid, "%d", g->scope_id);
	snprintf(dep, sizeof dep, "%d", g->deputy);
	const char *params[8] = {g->login,      g->role,     g->scope_kind, g->scope_id ? sid : NULL,
				 dep,           g->valid_from, g->valid_to,  g->granted_by};
	struct change ch = {
		by,
		/* sokuho.granted_by names the admin in the notice mail of a
		 * sensitive role (sql/0022) */
		"WITH by AS (SELECT set_config('sokuho.granted_by', $8, true)) "
		"INSERT INTO role_assignment (person_id, role, scope_kind, scope_id, "
		"deputy_rank, valid_from, valid_to) SELECT id, $2, $3, $4::int, $5::int, "
		"coalesce($6::date, sokuho_today()), $7::date FROM person, by WHERE login = $1 "
		"ON CONFLICT DO NOTHING RETURNING person_id",
		8, params, "role.grant", NULL, out};
	return run(c, "account_grant", &ch,
		   json_pack("{s:s, s:s, s:s, s:i}", "login", g->login, "role", g->role, "scope",
			     g->scope_text, "deputy", g->deputy),
		   e);
}

enum db_qs account_revoke(PGconn *c, const struct account_actor *by, const char *login,
			  long long assignment_id, struct account_result *out, struct db_err *e)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", assignment_id);
	const char *params[2] = {login, id};
	struct change ch = {by,
			    "DELETE FROM role_assignment WHERE id = $2::int AND person_id = "
			    "(SELECT id FROM person WHERE login = $1) RETURNING person_id",
			    2, params, "role.revoke", NULL, out};
	return run(c, "account_revoke", &ch,
		   json_pack("{s:s, s:I}", "login", login, "assignment", (json_int_t)assignment_id),
		   e);
}
