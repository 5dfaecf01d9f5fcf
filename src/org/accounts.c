/* Changes to people and their roles (see accounts.h). */
#include "accounts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "db/db.h"

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

static enum db_qs change_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	memset(ch->out, 0, sizeof *ch->out);
	PGresult *r;
	enum db_qs qs = db_exec(c, e, ch->sql, ch->nparams, ch->params, &r);
	if (qs <= 0) {
		PQclear(r);
		return qs; /* an error, or nothing matched */
	}
	json_t *detail = json_deep_copy(ch->detail);
	ch->out->person_id = db_first_ll(r, "person_id");
	json_object_set_new(detail, "person_id", json_integer(ch->out->person_id));
	if (PQfnumber(r, "sessions_ended") >= 0) {
		ch->out->sessions_ended = (long)db_first_ll(r, "sessions_ended");
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

void account_choices(PGconn *c, json_t *d, const char *section, const char *role,
		     const char *scope)
{
	const char *p1[1] = {section ? section : ""};
	json_object_set_new(
		d, "sections",
		db_rows(c,
			"SELECT s.code, s.name_ja, d.name_ja AS department, s.code = $1 AS selected "
			"FROM org_unit s JOIN org_unit d ON d.id = s.parent_id "
			"WHERE s.kind = 'section' AND s.active ORDER BY d.code, s.code",
			1, p1));
	const char *p2[1] = {role ? role : ""};
	json_object_set_new(d, "roles",
			    db_rows(c,
				    "SELECT name, title_ja, title_en, name = $1 AS selected "
				    "FROM role ORDER BY sort",
				    1, p2));
	const char *p3[1] = {scope ? scope : "city"};
	json_object_set_new(
		d, "scopes",
		db_rows(c,
			"SELECT value, label, value = $1 AS selected FROM ("
			" SELECT 0 AS o, 'city' AS value, '市全体 (city)' AS label, '' AS k "
			" UNION ALL SELECT 1, 'department:' || code, '部局: ' || name_ja, code "
			"   FROM org_unit WHERE kind = 'department' AND active "
			" UNION ALL SELECT 2, 'section:' || code, '課室: ' || name_ja, code "
			"   FROM org_unit WHERE kind = 'section' AND active "
			" UNION ALL SELECT 3, 'system:' || code, 'システム: ' || name_ja, code "
			"   FROM info_system) x ORDER BY o, k",
			1, p3));
}

json_t *account_search(PGconn *c, const char *q, const char *after, int limit)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%d", limit);
	/* q matches literally: LIKE's % and _ typed in the search box are
	 * escaped, not wildcards */
	const char *params[3] = {q ? q : "", after ? after : "", lim};
	return db_rows(
		c,
		"WITH q AS (SELECT replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), "
		"  '_', '\\_') AS pat) "
		"SELECT p.login, p.display_name, p.email, p.kind = 'contractor' AS contractor, "
		"  p.active, s.code AS section, s.name_ja AS section_name, "
		"  (SELECT string_agg(r.title_ja || CASE WHEN ra.deputy_rank > 0 "
		"     THEN '（代理' || ra.deputy_rank || '）' ELSE '' END, '、' ORDER BY r.sort) "
		"   FROM role_assignment ra JOIN role r ON r.name = ra.role "
		"   WHERE ra.person_id = p.id AND ra.valid_from <= sokuho_today() "
		"     AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today())) AS roles "
		"FROM q, person p LEFT JOIN org_unit s ON s.id = p.section_id "
		"WHERE ($1 = '' OR p.login ILIKE '%' || q.pat || '%' OR p.display_name ILIKE '%' || "
		"  q.pat || '%' OR p.email ILIKE '%' || q.pat || '%' OR s.code = $1 OR s.name_ja LIKE "
		"  '%' || q.pat || '%') AND p.login > $2 "
		"ORDER BY p.login LIMIT $3::int",
		3, params);
}

json_t *account_person(PGconn *c, const char *login)
{
	const char *p[1] = {login};
	return db_row(
		c,
		"SELECT p.id, p.login, p.display_name, p.email, p.kind, p.lang, p.active, "
		"  p.password_hash IS NOT NULL AS has_password, s.code AS section, "
		"  s.name_ja AS section_name, d.name_ja AS department_name, "
		"  to_char(p.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS created "
		"FROM person p LEFT JOIN org_unit s ON s.id = p.section_id "
		"LEFT JOIN org_unit d ON d.id = s.parent_id WHERE p.login = $1",
		1, p);
}

json_t *account_assignments(PGconn *c, const char *login)
{
	const char *p[1] = {login};
	return db_rows(
		c,
		"SELECT ra.id, r.title_ja, r.title_en, ra.role, ra.deputy_rank, "
		"  ra.deputy_rank > 0 AS is_deputy, "
		"  CASE ra.scope_kind WHEN 'city' THEN '市全体' "
		"    ELSE coalesce(u.name_ja, sy.name_ja, '?') END AS scope, "
		"  ra.valid_from::text AS valid_from, ra.valid_to::text AS valid_to, "
		"  (ra.valid_from <= sokuho_today() AND (ra.valid_to IS NULL OR "
		"   ra.valid_to >= sokuho_today())) AS current "
		"FROM role_assignment ra JOIN role r ON r.name = ra.role "
		"JOIN person pe ON pe.id = ra.person_id "
		"LEFT JOIN org_unit u ON ra.scope_kind IN ('department', 'section') AND u.id = ra.scope_id "
		"LEFT JOIN info_system sy ON ra.scope_kind = 'system' AND sy.id = ra.scope_id "
		"WHERE pe.login = $1 ORDER BY r.sort, ra.deputy_rank, ra.valid_from",
		1, p);
}

/* Whether sql with one parameter returns a row. */
static int exists(PGconn *c, const char *sql, const char *v)
{
	struct db_err e;
	const char *p[1] = {v ? v : ""};
	return db_exec(c, &e, sql, 1, p, NULL) == DB_OK;
}

int account_login_exists(PGconn *c, const char *login)
{
	return exists(c, "SELECT 1 FROM person WHERE login = $1", login);
}

int account_is_service(PGconn *c, const char *login)
{
	return exists(c, "SELECT 1 FROM person WHERE login = $1 AND kind = 'service'", login);
}

int account_role_exists(PGconn *c, const char *role)
{
	return exists(c, "SELECT 1 FROM role WHERE name = $1", role);
}
