/* Changes to people and their roles (see accounts.h). */
#include "accounts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/audit.h"

/* One statement and, when it changed a row, its audit event. */
struct change {
	const struct account_actor *by;
	const char *sql;
	int nparams;
	const char *const *params;
	const char *kind;
	const json_t *detail;
	int *changed;
};

static enum db_qs change_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	*ch->changed = 0;
	PGresult *r;
	enum db_qs qs = db_exec(c, e, ch->sql, ch->nparams, ch->params, &r);
	if (qs < 0)
		return qs;
	int n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atoi(PQcmdTuples(r));
	PQclear(r);
	if (n == 0)
		return DB_NONE;
	qs = audit_append(c, e, ch->by->person_id, ch->kind, ch->by->ip, 0, ch->detail);
	if (qs < 0)
		return qs;
	*ch->changed = n;
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
		       int *changed, struct db_err *e)
{
	const char *params[7] = {p->login, p->display_name, p->email, p->section,
				 p->kind,  p->lang,         p->password_hash};
	struct change ch = {by,
			    "INSERT INTO person (login, display_name, email, section_id, kind, lang, "
			    "password_hash) VALUES ($1, $2, $3, (SELECT id FROM org_unit WHERE code = "
			    "$4 AND kind = 'section'), $5, $6, $7) ON CONFLICT (login) DO NOTHING",
			    7, params, "user.add", NULL, changed};
	return run(c, "account_add", &ch,
		   json_pack("{s:s, s:s, s:s?, s:b}", "login", p->login, "email", p->email,
			     "section", p->section, "password_set", p->password_hash != NULL),
		   e);
}

enum db_qs account_set_password(PGconn *c, const struct account_actor *by, const char *login,
				const char *hash, int *changed, struct db_err *e)
{
	const char *params[2] = {login, hash};
	struct change ch = {by,
			    "WITH p AS (UPDATE person SET password_hash = $2, updated_at = "
			    "sokuho_now() WHERE login = $1 RETURNING id), s AS (DELETE FROM session "
			    "WHERE person_id IN (SELECT id FROM p)) SELECT 1 FROM p",
			    2, params, "user.passwd", NULL, changed};
	return run(c, "account_set_password", &ch, json_pack("{s:s}", "login", login), e);
}

enum db_qs account_set_active(PGconn *c, const struct account_actor *by, const char *login,
			      int active, int *changed, struct db_err *e)
{
	const char *params[2] = {login, active ? "t" : "f"};
	struct change ch = {by,
			    "WITH p AS (UPDATE person SET active = $2::boolean, updated_at = "
			    "sokuho_now() WHERE login = $1 AND active <> $2::boolean RETURNING id), "
			    "s AS (DELETE FROM session WHERE NOT $2::boolean AND person_id IN "
			    "(SELECT id FROM p)) SELECT 1 FROM p",
			    2, params, active ? "user.activate" : "user.deactivate", NULL, changed};
	return run(c, "account_set_active", &ch, json_pack("{s:s}", "login", login), e);
}

enum db_qs account_grant(PGconn *c, const struct account_actor *by, const struct account_grant *g,
			 int *changed, struct db_err *e)
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
		"ON CONFLICT DO NOTHING",
		8, params, "role.grant", NULL, changed};
	return run(c, "account_grant", &ch,
		   json_pack("{s:s, s:s, s:s, s:i}", "login", g->login, "role", g->role, "scope",
			     g->scope_text, "deputy", g->deputy),
		   e);
}

enum db_qs account_revoke(PGconn *c, const struct account_actor *by, const char *login,
			  long long assignment_id, int *changed, struct db_err *e)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", assignment_id);
	const char *params[2] = {login, id};
	struct change ch = {by,
			    "DELETE FROM role_assignment WHERE id = $2::int AND person_id = "
			    "(SELECT id FROM person WHERE login = $1)",
			    2, params, "role.revoke", NULL, changed};
	return run(c, "account_revoke", &ch,
		   json_pack("{s:s, s:I}", "login", login, "assignment", (json_int_t)assignment_id),
		   e);
}
