/* One rule for who may see an incident (issue 16): the incident list's SQL
 * (src/incident/list.c, used by /incidents and /incidents.csv) and authz
 * (src/auth/authz.c, used by the incident page, the API and every action)
 * must agree for every person and every incident. The test gives a person
 * each role over each scope the role may take (and a few it may not, made
 * in SQL as an old bad grant would be), adds a deactivated holder and
 * grants outside their dates, files incidents in two departments, one with
 * an information system and one without a section (one filed by a test
 * person, the others by a demo employee), and compares the two
 * answers for every pair, the demo city's people included — and again with
 * everybody away (absences change who is told, not who may see). */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "auth/session.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "incident/list.h"
#include "support.h"

Suite *visibility_suite(void);

static PGconn *conn;

static void sql(const char *q)
{
	PGresult *r = PQexec(conn, q);
	ck_assert_msg(db_ok(r), "%s: %s", q, PQresultErrorMessage(r));
	PQclear(r);
}

static PGresult *rows(const char *q)
{
	PGresult *r = PQexec(conn, q);
	ck_assert_msg(db_ok(r), "%s: %s", q, PQresultErrorMessage(r));
	return r;
}

/* For every person of pr (id, active) × incident of ir (id, section,
 * department, system, reporter): whether authz lets them see it, '1' or '0'
 * in one string (caller frees), after checking that the list agrees; seen
 * counts the ones. */
static char *answers(PGresult *pr, PGresult *ir, int *checked, int *seen)
{
	int ninc = PQntuples(ir);
	char *out = xcalloc((size_t)PQntuples(pr) * (size_t)ninc + 1, 1);
	size_t pair = 0;
	*checked = *seen = 0;
	for (int p = 0; p < PQntuples(pr); p++) {
		struct principal who = {0};
		who.person_id = atoi(PQgetvalue(pr, p, 0));
		who.active = PQgetvalue(pr, p, 1)[0] == 't';
		ck_assert_int_eq(session_load_grants(conn, who.person_id, &who), 0);
		struct incident_filters f;
		memset(&f, 0, sizeof f);
		int bad = 0;
		json_t *list = incident_list_rows(conn, &who, &f, 0, 100000, &bad);
		ck_assert_msg(list != NULL && !bad, "list for person %d", who.person_id);
		for (int i = 0; i < ninc; i++) {
			struct incident_scope sc = {atoi(PQgetvalue(ir, i, 1)), atoi(PQgetvalue(ir, i, 2)),
						    atoi(PQgetvalue(ir, i, 3)),
						    atoi(PQgetvalue(ir, i, 4))};
			const char *id = PQgetvalue(ir, i, 0);
			int listed = 0;
			size_t k;
			json_t *row;
			json_array_foreach(list, k, row)
				if (strcmp(json_string_value(json_object_get(row, "id")), id) == 0)
					listed = 1;
			/* an inactive person signs in to nothing and lists nothing
			 * (the server never asks for them); authz says no too */
			int allowed = authz_allows(&who, PERM_INCIDENT_VIEW, &sc);
			if (!who.active)
				listed = 0;
			ck_assert_msg(listed == allowed,
				      "person %d, incident %s: list says %d, authz says %d",
				      who.person_id, id, listed, allowed);
			out[pair++] = allowed ? '1' : '0';
			(*checked)++;
			*seen += allowed;
		}
		json_decref(list);
		free(who.grants);
	}
	return out;
}

START_TEST(test_list_and_authz_agree)
{
	char err[256];
	char *db = ts_prepared_database(1);
	conn = db_connect(db, err, sizeof err);
	ck_assert_msg(conn != NULL, "%s", err);
	/* the grants below are test data, not changes anybody should be told of */
	sql("SET sokuho.grant_notice = 'off'");
	/* Two sections of two departments, a system of the first. */
	PGresult *u = rows("SELECT s.id, s.code, s.parent_id FROM org_unit s WHERE s.kind = "
			   "'section' AND s.active ORDER BY s.parent_id, s.code");
	ck_assert_int_ge(PQntuples(u), 2);
	int sec_a = atoi(PQgetvalue(u, 0, 0)), dep_a = atoi(PQgetvalue(u, 0, 2)), sec_b = 0,
	    dep_b = 0;
	for (int i = 1; i < PQntuples(u) && !sec_b; i++)
		if (atoi(PQgetvalue(u, i, 2)) != dep_a) {
			sec_b = atoi(PQgetvalue(u, i, 0));
			dep_b = atoi(PQgetvalue(u, i, 2));
		}
	PQclear(u);
	ck_assert_int_gt(sec_b, 0);
	char *q = xasprintf("INSERT INTO info_system (code, name_ja, name_en, section_id) VALUES "
			    "('vis-sys', '可視性', 'Visibility', %d)",
			    sec_a);
	sql(q);
	free(q);
	long sys = 0;
	PGresult *r = rows("SELECT id FROM info_system WHERE code = 'vis-sys'");
	sys = atol(PQgetvalue(r, 0, 0));
	PQclear(r);

	/* People: one per role and scope, each also over a scope the role may
	 * not take (city-wide roles over a section, scoped roles over the
	 * city), as an old grant made before the check would be. */
	static const char *const roles[] = {"ciso",	     "chief_security_officer",
					    "security_officer", "security_manager",
					    "system_manager",   "csirt",
					    "auditor",	     "admin"};
	struct {
		const char *kind;
		long id;
	} scopes[] = {{"city", 0},	      {"department", dep_a}, {"department", dep_b},
		      {"section", sec_a}, {"section", sec_b},	  {"system", sys}};
	int n = 0;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		for (size_t k = 0; k < sizeof scopes / sizeof scopes[0]; k++) {
			char sid[24] = "NULL";
			if (scopes[k].id)
				snprintf(sid, sizeof sid, "%ld", scopes[k].id);
			q = xasprintf("WITH p AS (INSERT INTO person (login, display_name, email, "
				      "kind) VALUES ('vis%d', 'vis %d', 'vis%d@city.example.jp', "
				      "'staff') RETURNING id) INSERT INTO role_assignment (person_id, "
				      "role, scope_kind, scope_id) SELECT id, '%s', '%s', %s FROM p",
				      n, n, n, roles[i], scopes[k].kind, sid);
			sql(q);
			free(q);
			n++;
		}
	/* A deactivated CISO; a CSIRT member whose grant ended yesterday and
	 * one whose grant starts tomorrow; the manager of section A as a
	 * deputy. */
	sql("WITH p AS (INSERT INTO person (login, display_name, email, active) VALUES "
	    "('vis-inactive', 'x', 'vi@city.example.jp', false) RETURNING id) "
	    "INSERT INTO role_assignment (person_id, role, scope_kind) SELECT id, 'ciso', 'city' FROM p");
	sql("WITH p AS (INSERT INTO person (login, display_name, email) VALUES "
	    "('vis-ended', 'x', 've@city.example.jp') RETURNING id) "
	    "INSERT INTO role_assignment (person_id, role, scope_kind, valid_from, valid_to) "
	    "SELECT id, 'csirt', 'city', sokuho_today() - 30, sokuho_today() - 1 FROM p");
	sql("WITH p AS (INSERT INTO person (login, display_name, email) VALUES "
	    "('vis-future', 'x', 'vf@city.example.jp') RETURNING id) "
	    "INSERT INTO role_assignment (person_id, role, scope_kind, valid_from) "
	    "SELECT id, 'csirt', 'city', sokuho_today() + 1 FROM p");
	q = xasprintf("WITH p AS (INSERT INTO person (login, display_name, email) VALUES "
		      "('vis-deputy', 'x', 'vd@city.example.jp') RETURNING id) "
		      "INSERT INTO role_assignment (person_id, role, scope_kind, scope_id, "
		      "deputy_rank) SELECT id, 'security_manager', 'section', %d, 2 FROM p",
		      sec_a);
	sql(q);
	free(q);
	/* Incidents: in section A, in section B with the system, in no
	 * section, and one reported by the first test person. */
#define INC_SQL                                                                            \
	"INSERT INTO incident (ref, channel, reporter_id, section_id, system_id, category, "  \
	"summary, discovered_at, facts) VALUES ('INC-2026-%04d', 'staff', %s, %s, %s, "      \
	"'malware', 'visibility', sokuho_now(), '{}')"
	char a[16], b[16], s[16];
	snprintf(a, sizeof a, "%d", sec_a);
	snprintf(b, sizeof b, "%d", sec_b);
	snprintf(s, sizeof s, "%ld", sys);
#define SAKAI "(SELECT id FROM person WHERE login = 'sakai.haruto')"
	const char *incs[][3] = {{SAKAI, a, "NULL"},
				 {SAKAI, b, s},
				 {SAKAI, "NULL", "NULL"},
				 {"(SELECT id FROM person WHERE login = 'vis0')", b, "NULL"},
				 {SAKAI, a, s}};
	for (size_t i = 0; i < sizeof incs / sizeof incs[0]; i++) {
		q = xasprintf(INC_SQL, 8800 + (int)i, incs[i][0], incs[i][1], incs[i][2]);
		sql(q);
		free(q);
	}
	PGresult *ir = rows("SELECT i.id, coalesce(i.section_id, 0), coalesce(s.parent_id, 0), "
			    "coalesce(i.system_id, 0), coalesce(i.reporter_id, 0) FROM incident i "
			    "LEFT JOIN org_unit s ON s.id = i.section_id ORDER BY i.id");
	int ninc = PQntuples(ir);
	ck_assert_int_ge(ninc, 5);
	PGresult *pr = rows("SELECT id, active FROM person ORDER BY id");
	int checked, seen;
	char *before = answers(pr, ir, &checked, &seen);
	/* Everybody away today (issue 19): an absence changes who is told,
	 * never who may see; the answers are the same, pair by pair. */
	sql("INSERT INTO absence (person_id, kind, starts_on, ends_on) SELECT id, 'leave', "
	    "sokuho_today() - 1, sokuho_today() + 1 FROM person");
	int checked2, seen2;
	char *away = answers(pr, ir, &checked2, &seen2);
	ck_assert_msg(strcmp(before, away) == 0,
		      "who may see changed when everybody is away:\n  %s\n  %s", before, away);
	ck_assert_int_eq(seen2, seen);
	ck_assert_int_eq(checked2, checked);
	free(before);
	free(away);
	PQclear(pr);
	PQclear(ir);
	fprintf(stderr, "visibility: %d person × incident pairs agree (%d visible)\n", checked,
		seen);
	ck_assert_int_gt(seen, 0);
	ck_assert_int_lt(seen, checked);
	PQfinish(conn);
	free(db);
}
END_TEST

Suite *visibility_suite(void)
{
	Suite *s = suite_create("visibility");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_list_and_authz_agree);
	suite_add_tcase(s, tc);
	return s;
}
