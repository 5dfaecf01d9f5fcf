/* Granting and revoking roles (see roles.h). An assignment is refused when
 * the person already holds the same role over the same scope for an
 * overlapping period: holding it twice (say as holder and as deputy) would
 * make the escalation ladder call the same person twice. */
#include "roles.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/audit.h"
#include "db/db.h"
#include "people.h"

/* "ROLE over SCOPE (deputy N, from DATE, to DATE)" for an assignment row
 * aliased ra; the parts in brackets only when they apply. */
#define ASSIGNMENT_TEXT_SQL                                                                 \
	"ra.role || ' over ' || CASE ra.scope_kind WHEN 'city' THEN 'city' "                \
	"WHEN 'system' THEN 'system:' || (SELECT s.code FROM info_system s "                \
	"WHERE s.id = ra.scope_id) ELSE ra.scope_kind || ':' || (SELECT u.code FROM "       \
	"org_unit u WHERE u.id = ra.scope_id) END || coalesce(' (' || nullif(concat_ws("    \
	"', ', CASE WHEN ra.deputy_rank > 0 THEN 'deputy ' || ra.deputy_rank END, "         \
	"CASE WHEN ra.valid_from > sokuho_today() THEN 'from ' || ra.valid_from END, "      \
	"CASE WHEN ra.valid_to IS NOT NULL THEN 'to ' || ra.valid_to END), '') || ')', '')"

int role_scope_parse(const char *s, struct role_scope *out, char *why, size_t whylen)
{
	static const char *const kinds[] = {"department", "section", "system"};
	static const char expected[] =
		"expected city, department:CODE, section:CODE or system:CODE";
	memset(out, 0, sizeof *out);
	if (!s || strcmp(s, "city") == 0) {
		strcpy(out->kind, "city");
		strcpy(out->text, "city");
		return 0;
	}
	const char *colon = strchr(s, ':');
	if (!colon) {
		snprintf(why, whylen, "is not a scope; %s", expected);
		return -1;
	}
	size_t klen = (size_t)(colon - s);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strlen(kinds[i]) != klen || strncmp(s, kinds[i], klen) != 0)
			continue;
		const char *code = colon + 1;
		size_t clen = strlen(code);
		if (clen == 0 || clen >= sizeof out->code) {
			snprintf(why, whylen, "has %s code after '%s:'; %s",
				 clen ? "too long a" : "no", kinds[i], expected);
			return -1;
		}
		for (const char *p = code; *p; p++) {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			      *p == '_')) {
				snprintf(why, whylen,
					 "has a code with the character '%c'; codes are lower-case "
					 "letters, digits, '-' and '_'",
					 *p);
				return -1;
			}
		}
		strcpy(out->kind, kinds[i]);
		strcpy(out->code, code);
		snprintf(out->text, sizeof out->text, "%s:%s", kinds[i], code);
		return 0;
	}
	snprintf(why, whylen, "has an unknown kind of scope '%.*s'; %s", (int)(klen > 40 ? 40 : klen),
		 s, expected);
	return -1;
}

int role_scope_resolve(PGconn *conn, struct role_scope *sc, char *why, size_t whylen)
{
	sc->id = 0;
	if (strcmp(sc->kind, "city") == 0)
		return 0;
	if (strcmp(sc->kind, "system") != 0) {
		int id = people_find_unit(conn, sc->code, sc->kind, why, whylen);
		if (id < 0)
			return -1;
		if (id == 0)
			return 1;
		sc->id = id;
		return 0;
	}
	const char *params[1] = {sc->code};
	PGresult *r = PQexecParams(conn, "SELECT id FROM info_system WHERE code = $1", 1, NULL,
				   params, NULL, NULL, 0);
	if (!db_ok(r)) {
		people_db_error("database error", r);
		PQclear(r);
		return -1;
	}
	int rc = 1;
	if (PQntuples(r) == 1) {
		sc->id = atoi(PQgetvalue(r, 0, 0));
		rc = 0;
	} else {
		snprintf(why, whylen, "no information system with code '%s'", sc->code);
	}
	PQclear(r);
	return rc;
}

static const struct {
	const char *role, *kind;
} scope_rules[] = {
	{"ciso", "city"},
	{"chief_security_officer", "city"},
	{"security_officer", "department"},
	{"security_manager", "section"},
	{"system_manager", "system"},
	{"csirt", "city"},
	{"auditor", "city"},
	{"admin", "city"},
};

const char *role_scope_kind(const char *role)
{
	for (size_t i = 0; role && i < sizeof scope_rules / sizeof scope_rules[0]; i++)
		if (strcmp(scope_rules[i].role, role) == 0)
			return scope_rules[i].kind;
	return NULL;
}

int role_scope_check(const char *role, const struct role_scope *sc, char *why, size_t whylen)
{
	const char *want = role_scope_kind(role);
	if (!want) {
		snprintf(why, whylen, "there is no scope rule for the role '%.40s'", role ? role : "");
		return -1;
	}
	if (strcmp(sc->kind, want) == 0)
		return 0;
	if (strcmp(want, "city") == 0)
		snprintf(why, whylen, "%s is a city-wide role; its scope must be city, not %s", role,
			 sc->text);
	else
		snprintf(why, whylen, "%s is held over a %s; its scope must be %s:CODE, not %s", role,
			 want, want, sc->text);
	return -1;
}

const char *role_scope_rules_array(char *out, size_t outlen)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof scope_rules / sizeof scope_rules[0] && len < outlen; i++) {
		int k = snprintf(out + len, outlen - len, "%s%s:%s", i ? "," : "{",
				 scope_rules[i].role, scope_rules[i].kind);
		if (k < 0)
			break;
		len += (size_t)k;
	}
	if (len < outlen)
		snprintf(out + len, outlen - len, "}");
	return out;
}

int role_check_date(const char *s, char *why, size_t whylen)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int ok = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
	for (int i = 0; ok && i < 10; i++)
		if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
			ok = 0;
	if (ok) {
		int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		int last = m >= 1 && m <= 12 ? mdays[m - 1] + (m == 2 && leap) : 0;
		ok = y >= 1900 && d >= 1 && d <= last;
	}
	if (!ok)
		snprintf(why, whylen, "is not a date; expected YYYY-MM-DD, e.g. 2026-04-01");
	return ok ? 0 : -1;
}

/* Checks the role exists; prints the roles there are when not. Returns 0,
 * or 1 after printing. */
static int check_role(PGconn *conn, const char *role)
{
	PGresult *r = PQexec(conn, "SELECT name FROM role ORDER BY sort");
	if (!db_ok(r)) {
		people_db_error("database error", r);
		PQclear(r);
		return 1;
	}
	buf names = BUF_INIT;
	int found = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), role) == 0)
			found = 1;
		buf_printf(&names, "%s%s", i ? ", " : "", PQgetvalue(r, i, 0));
	}
	PQclear(r);
	if (!found) {
		char q[100];
		fprintf(stderr, "sokuho: no role '%s'; expected one of %s\n",
			people_quote_value(role, q, sizeof q), buf_cstr(&names));
	}
	buf_release(&names);
	return found ? 0 : 1;
}

static const char *rank_text(int deputy, char *out, size_t outlen)
{
	if (deputy == 0)
		snprintf(out, outlen, "holder");
	else
		snprintf(out, outlen, "deputy %d", deputy);
	return out;
}

/* The person, role and scope of a change, looked up; prints and returns 1
 * when one does not exist. */
static int lookup(PGconn *conn, const struct role_change *rc, int *person_id,
		  struct role_scope *sc)
{
	if (check_role(conn, rc->role) != 0)
		return 1;
	int active = 1;
	*person_id = people_find(conn, rc->login, &active);
	if (*person_id <= 0)
		return 1;
	*sc = rc->scope;
	char why[256];
	int st = role_scope_resolve(conn, sc, why, sizeof why);
	if (st > 0)
		fprintf(stderr, "sokuho: --scope '%s': %s\n", sc->text, why);
	if (st != 0)
		return 1;
	if (!active)
		fprintf(stderr,
			"sokuho: note: '%s' is deactivated; the role counts only once they are "
			"activated again\n",
			rc->login);
	return 0;
}

static json_t *change_detail(const struct role_change *rc, int person_id,
			     const struct role_scope *sc)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:i}", "login", rc->login, "person_id", person_id,
			 "role", rc->role, "scope", sc->text, "deputy", rc->deputy);
}

/* A change under way: the person and scope looked up, and their ids as
 * query parameters; what its transaction found. */
struct change {
	const struct role_change *rc;
	int person_id;
	struct role_scope sc;
	char pid[16], sid[16], dep[16];
	char from[16];  /* grant: the start date, city time */
	char why[512];  /* a refusal found inside the transaction, or "" */
	int n;          /* revoke: assignments removed */
};

/* Looks up what a change names. Returns 0, or 1 after a message. */
static int change_prepare(PGconn *conn, const struct role_change *rc, struct change *ch)
{
	memset(ch, 0, sizeof *ch);
	ch->rc = rc;
	if (lookup(conn, rc, &ch->person_id, &ch->sc) != 0)
		return 1;
	snprintf(ch->pid, sizeof ch->pid, "%d", ch->person_id);
	snprintf(ch->sid, sizeof ch->sid, "%d", ch->sc.id);
	snprintf(ch->dep, sizeof ch->dep, "%d", rc->deputy);
	return 0;
}

/* Runs a change's transaction (db_run_tx; the command line is audited with
 * no actor). Returns 0 when it was made, or 1 after a message: the refusal
 * found inside, or the database's error and that nothing was DONE. */
static int change_run(PGconn *conn, const char *name, db_tx_fn fn, struct change *ch,
		      const char *done)
{
	struct db_err e;
	enum db_qs qs = db_run_tx(conn, name, 0, fn, ch, &e);
	if (qs < 0) {
		fprintf(stderr, "sokuho: database error: %s; %s\n", e.msg,
			e.commit_unknown ? "the change may have been made: check with 'sokuho user "
					   "list'"
					 : done);
		return 1;
	}
	if (ch->why[0]) {
		fprintf(stderr, "sokuho: %s\n", ch->why);
		return 1;
	}
	return 0;
}

static enum db_qs grant_tx(PGconn *conn, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	const struct role_change *rc = ch->rc;
	ch->why[0] = '\0';
	/* The start date in city time, and whether the end comes after it. */
	const char *dparams[2] = {rc->valid_from, rc->valid_to};
	PGresult *r;
	enum db_qs qs = db_exec(conn, e,
				"SELECT coalesce($1::date, sokuho_today())::text AS valid_from, "
				"$2::date IS NULL OR $2::date >= coalesce($1::date, sokuho_today()) "
				"AS in_order",
				2, dparams, &r);
	if (qs < 0)
		return qs;
	snprintf(ch->from, sizeof ch->from, "%s", PQgetvalue(r, 0, PQfnumber(r, "valid_from")));
	int in_order = PQgetvalue(r, 0, PQfnumber(r, "in_order"))[0] == 't';
	PQclear(r);
	if (!in_order) {
		snprintf(ch->why, sizeof ch->why, "--to %s is before the start date %s", rc->valid_to,
			 ch->from);
		return DB_NONE;
	}
	const char *oparams[6] = {ch->pid, rc->role, ch->sc.kind, ch->sc.id ? ch->sid : NULL,
				  ch->from, rc->valid_to};
	qs = db_exec(conn, e,
		     "SELECT " ASSIGNMENT_TEXT_SQL " AS held FROM role_assignment ra "
		     "WHERE ra.person_id = $1 AND ra.role = $2 AND ra.scope_kind = $3 "
		     "AND ra.scope_id IS NOT DISTINCT FROM $4::integer "
		     "AND (ra.valid_to IS NULL OR ra.valid_to >= $5::date) "
		     "AND ($6::date IS NULL OR ra.valid_from <= $6::date) "
		     "ORDER BY ra.valid_from FOR UPDATE",
		     6, oparams, &r);
	if (qs < 0)
		return qs;
	if (qs == DB_OK) {
		snprintf(ch->why, sizeof ch->why,
			 "'%s' already holds %s for an overlapping period; revoke it first to "
			 "change the deputy rank or dates",
			 rc->login, PQgetvalue(r, 0, 0));
		PQclear(r);
		return DB_NONE;
	}
	PQclear(r);
	const char *iparams[7] = {ch->pid, rc->role, ch->sc.kind, ch->sc.id ? ch->sid : NULL,
				  ch->dep, ch->from, rc->valid_to};
	qs = db_exec(conn, e,
		     "INSERT INTO role_assignment (person_id, role, scope_kind, scope_id, "
		     "deputy_rank, valid_from, valid_to) "
		     "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		     7, iparams, &r);
	if (qs < 0)
		return qs;
	json_t *detail = change_detail(rc, ch->person_id, &ch->sc);
	json_object_set_new(detail, "assignment_id",
			    json_integer(strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
	PQclear(r);
	json_object_set_new(detail, "valid_from", json_string(ch->from));
	json_object_set_new(detail, "valid_to", rc->valid_to ? json_string(rc->valid_to)
							     : json_null());
	qs = audit_append(conn, e, 0, "role.grant", NULL, 0, detail);
	json_decref(detail);
	return qs < 0 ? qs : DB_OK;
}

int role_grant(PGconn *conn, const struct role_change *rc)
{
	struct change ch;
	if (change_prepare(conn, rc, &ch) != 0)
		return 1;
	char rank[32];
	char why[256];
	if (role_scope_check(rc->role, &ch.sc, why, sizeof why) != 0) {
		fprintf(stderr, "sokuho: --scope '%s': %s; nothing granted\n", ch.sc.text, why);
		return 1;
	}
	if (change_run(conn, "role_grant", grant_tx, &ch, "nothing was granted") != 0)
		return 1;
	printf("granted %s over %s to '%s' as %s, from %s%s%s\n", rc->role, ch.sc.text,
	       rc->login, rank_text(rc->deputy, rank, sizeof rank), ch.from,
	       rc->valid_to ? " to " : "", rc->valid_to ? rc->valid_to : "");
	return 0;
}

/* Prints what the person holds, after a revoke that matched nothing. */
static void print_holdings(PGconn *conn, const char *pid, const char *login)
{
	const char *params[1] = {pid};
	PGresult *r = PQexecParams(conn,
				   "SELECT " ASSIGNMENT_TEXT_SQL " FROM role_assignment ra "
				   "WHERE ra.person_id = $1 ORDER BY ra.role, ra.scope_kind, "
				   "ra.deputy_rank, ra.valid_from",
				   1, NULL, params, NULL, NULL, 0);
	if (db_ok(r)) {
		if (PQntuples(r) == 0)
			fprintf(stderr, "'%s' holds no roles\n", login);
		else
			fprintf(stderr, "'%s' holds:\n", login);
		for (int i = 0; i < PQntuples(r); i++)
			fprintf(stderr, "  %s\n", PQgetvalue(r, i, 0));
	}
	PQclear(r);
}

static enum db_qs revoke_tx(PGconn *conn, void *arg, struct db_err *e)
{
	struct change *ch = arg;
	const struct role_change *rc = ch->rc;
	ch->why[0] = '\0';
	ch->n = 0;
	const char *params[5] = {ch->pid, rc->role, ch->sc.kind, ch->sc.id ? ch->sid : NULL,
				 ch->dep};
	PGresult *r;
	enum db_qs qs = db_exec(conn, e,
				"DELETE FROM role_assignment WHERE person_id = $1 AND role = $2 "
				"AND scope_kind = $3 AND scope_id IS NOT DISTINCT FROM $4::integer "
				"AND deputy_rank = $5 "
				"RETURNING id, valid_from::text AS valid_from, valid_to::text AS "
				"valid_to",
				5, params, &r);
	if (qs <= 0) {
		PQclear(r);
		return qs; /* an error, or nothing held (the caller says so) */
	}
	int n = PQntuples(r);
	int cid = PQfnumber(r, "id"), cfrom = PQfnumber(r, "valid_from"),
	    cto = PQfnumber(r, "valid_to");
	json_t *detail = change_detail(rc, ch->person_id, &ch->sc);
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(
			list, json_pack("{s:I, s:s, s:o}", "id",
					(json_int_t)strtoll(PQgetvalue(r, i, cid), NULL, 10),
					"valid_from", PQgetvalue(r, i, cfrom), "valid_to",
					PQgetisnull(r, i, cto) ? json_null()
							       : json_string(PQgetvalue(r, i, cto))));
	PQclear(r);
	json_object_set_new(detail, "assignments", list);
	qs = audit_append(conn, e, 0, "role.revoke", NULL, 0, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	ch->n = n;
	return DB_OK;
}

int role_revoke(PGconn *conn, const struct role_change *rc)
{
	struct change ch;
	if (change_prepare(conn, rc, &ch) != 0)
		return 1;
	char rank[32];
	if (change_run(conn, "role_revoke", revoke_tx, &ch, "nothing was revoked") != 0)
		return 1;
	if (ch.n == 0) {
		fprintf(stderr, "sokuho: '%s' does not hold %s over %s as %s; nothing revoked\n",
			rc->login, rc->role, ch.sc.text, rank_text(rc->deputy, rank, sizeof rank));
		print_holdings(conn, ch.pid, rc->login);
		return 1;
	}
	printf("revoked %s over %s from '%s' as %s (%d assignment%s)\n", rc->role, ch.sc.text,
	       rc->login, rank_text(rc->deputy, rank, sizeof rank), ch.n, ch.n == 1 ? "" : "s");
	return 0;
}
