/* The authorization matrix, generated from the route table: every route ×
 * every role (and anonymous) × an incident in and out of the role's scope.
 * A route without a row here fails the test, so no route can be added
 * without deciding who may use it; the same for every action of
 * authz_actions (note, correction, workflow step, acknowledge, download...). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "auth/authz.h"

Suite *authz_suite(void);

/* The people the matrix tries, each with one role at its natural scope. */
static const char *const actors[] = {
	"anonymous", "staff", "security_manager", "security_officer", "system_manager",
	"csirt", "chief_security_officer", "ciso", "auditor", "admin",
};
#define NACTORS (sizeof actors / sizeof actors[0])

/* Expected answers per route: for each actor in the order above, two
 * characters: the incident in scope, then out of scope ('1' allowed). */
static const struct {
	const char *route;
	const char *matrix;
} expected[] = {
	/*                    anon staff smgr sofc sysm csirt chief ciso audit admin */
	{"home",            "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"static",          "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"login",           "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"logout",          "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"report",          "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"report_public",   "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"report_filed",    "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"incidents",       "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{"incident",        "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{"incidents_csv",   "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{"dashboard",       "00" "00" "00" "00" "00" "11" "11" "11" "11" "00"},
	{"review",          "00" "00" "00" "00" "00" "11" "11" "11" "11" "00"},
	{"review_csv",      "00" "00" "00" "00" "00" "11" "11" "11" "11" "00"},
	{"my_reports",      "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"account_tokens",  "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"account_token",   "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"account_password","00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"account_absences","00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"account_absence", "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"api_incidents",   "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"api_incident",    "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{"ack",             "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"admin_outbox",    "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_workflows", "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_workflow_svg", "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_people",    "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_person",    "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_person_new","00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_tokens",    "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"admin_token",     "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{"healthz",         "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"metrics",         "11" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{"dashboard_timer", "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{"intake",          "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{"intake_item",     "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
};

/* The same matrix for the incident permissions themselves, which handlers
 * check against one incident. */
static const struct {
	enum perm perm;
	const char *matrix;
} perm_expected[] = {
	/*                         anon staff smgr sofc sysm csirt chief ciso audit admin */
	{PERM_SIGNED_IN,         "00" "11" "11" "11" "11" "11" "11" "11" "11" "11"},
	{PERM_INCIDENT_VIEW,     "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{PERM_INCIDENT_ACT,      "00" "00" "10" "10" "10" "11" "11" "11" "00" "00"},
	{PERM_DASHBOARD,         "00" "00" "00" "00" "00" "11" "11" "11" "11" "00"},
	{PERM_AUDIT,             "00" "00" "00" "00" "00" "00" "11" "11" "11" "00"},
	{PERM_ADMIN,             "00" "00" "00" "00" "00" "00" "00" "00" "00" "11"},
	{PERM_TIMER_RETRY,       "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{PERM_INTAKE,            "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{PERM_SUBMISSION,        "00" "00" "00" "00" "00" "11" "11" "00" "00" "00"},
};

/* Every action (authz_actions) the same way: a new action without a row
 * fails test_every_action_has_a_rule. */
static const struct {
	enum action action;
	const char *matrix;
} action_expected[] = {
	/*                       anon staff smgr sofc sysm csirt chief ciso audit admin */
	{ACT_NOTE,             "00" "10" "10" "10" "10" "11" "11" "11" "00" "00"},
	{ACT_CORRECT,          "00" "00" "10" "10" "10" "11" "11" "11" "00" "00"},
	{ACT_WORKFLOW,         "00" "00" "10" "10" "10" "11" "11" "11" "00" "00"},
	{ACT_ACKNOWLEDGE,      "00" "00" "10" "10" "10" "11" "11" "11" "00" "00"},
	{ACT_DOWNLOAD,         "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{ACT_PRINT,            "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{ACT_PPC_REPORT,       "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{ACT_API_READ,         "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{ACT_CSV,              "00" "10" "10" "10" "10" "11" "11" "11" "11" "00"},
	{ACT_REVIEW_CSV,       "00" "00" "00" "00" "00" "11" "11" "11" "11" "00"},
	{ACT_TIMER_RETRY,      "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{ACT_INTAKE_ACCEPT,    "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{ACT_INTAKE_CLOSE,     "00" "00" "00" "00" "00" "11" "11" "11" "00" "00"},
	{ACT_SUBMISSION,       "00" "00" "00" "00" "00" "11" "11" "00" "00" "00"},
};

enum { PERSON = 7, SECTION_IN = 10, SECTION_OUT = 20, DEPT_IN = 1, DEPT_OUT = 2,
       SYSTEM_IN = 5, SYSTEM_OUT = 6 };

static void make_actor(const char *name, struct principal *p, struct grant *g)
{
	memset(p, 0, sizeof *p);
	memset(g, 0, sizeof *g);
	p->person_id = PERSON;
	p->active = 1;
	if (strcmp(name, "staff") == 0)
		return;
	snprintf(g->role, sizeof g->role, "%s", name);
	if (strcmp(name, "security_manager") == 0) {
		g->scope = SCOPE_SECTION;
		g->scope_id = SECTION_IN;
	} else if (strcmp(name, "security_officer") == 0) {
		g->scope = SCOPE_DEPARTMENT;
		g->scope_id = DEPT_IN;
	} else if (strcmp(name, "system_manager") == 0) {
		g->scope = SCOPE_SYSTEM;
		g->scope_id = SYSTEM_IN;
	} else {
		g->scope = SCOPE_CITY;
	}
	p->grants = g;
	p->ngrants = 1;
}

/* In scope for the staff member means their own report. */
static struct incident_scope incident(int in, const char *actor)
{
	struct incident_scope s;
	s.section_id = in ? SECTION_IN : SECTION_OUT;
	s.department_id = in ? DEPT_IN : DEPT_OUT;
	s.system_id = in ? SYSTEM_IN : SYSTEM_OUT;
	s.reporter_id = in && strcmp(actor, "staff") == 0 ? PERSON : 99;
	return s;
}

/* The answer of a permission (perm >= 0) or of an action (-1 - action). */
static int ask(const struct principal *p, int what, const struct incident_scope *inc)
{
	return what >= 0 ? authz_allows(p, (enum perm)what, inc)
			 : authz_action_allows(p, (enum action)(-1 - what), inc);
}

static void check_matrix_of(const char *what, int perm, const char *matrix)
{
	ck_assert_msg(strlen(matrix) == 2 * NACTORS, "%s: matrix has %zu cells, not %zu", what,
		      strlen(matrix), 2 * NACTORS);
	for (size_t a = 0; a < NACTORS; a++) {
		struct principal p;
		struct grant g;
		make_actor(actors[a], &p, &g);
		for (int in = 1; in >= 0; in--) {
			struct incident_scope inc = incident(in, actors[a]);
			int want = matrix[2 * a + (in ? 0 : 1)] == '1';
			int got = ask(a == 0 ? NULL : &p, perm, &inc);
			ck_assert_msg(got == want, "%s: %s with an incident %s scope: got %s, want %s",
				      what, actors[a], in ? "in" : "out of", got ? "allowed" : "denied",
				      want ? "allowed" : "denied");
		}
	}
}

static void check_matrix(const char *what, enum perm perm, const char *matrix)
{
	check_matrix_of(what, (int)perm, matrix);
}

START_TEST(test_every_route_has_a_rule)
{
	for (size_t i = 0; i < web_nroutes; i++) {
		const char *m = NULL;
		for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++)
			if (strcmp(expected[k].route, web_routes[i].name) == 0)
				m = expected[k].matrix;
		ck_assert_msg(m != NULL, "route '%s' (%s) has no row in the authorization matrix",
			      web_routes[i].name, web_routes[i].pattern);
		/* Routes decide before any incident is known: a route-level
		 * answer may not depend on the incident. */
		check_matrix(web_routes[i].name, web_routes[i].perm, m);
	}
}
END_TEST

START_TEST(test_incident_permissions)
{
	for (size_t k = 0; k < sizeof perm_expected / sizeof perm_expected[0]; k++)
		check_matrix(authz_perm_name(perm_expected[k].perm), perm_expected[k].perm,
			     perm_expected[k].matrix);
}
END_TEST

START_TEST(test_every_action_has_a_rule)
{
	for (int a = 0; a < ACT_COUNT; a++) {
		const char *m = NULL;
		for (size_t k = 0; k < sizeof action_expected / sizeof action_expected[0]; k++)
			if ((int)action_expected[k].action == a)
				m = action_expected[k].matrix;
		ck_assert_msg(authz_actions[a].name != NULL, "action %d is not in authz_actions", a);
		ck_assert_msg(m != NULL, "action '%s' has no row in the authorization matrix",
			      authz_action_name((enum action)a));
		check_matrix_of(authz_action_name((enum action)a), -1 - a, m);
	}
	ck_assert(!authz_action_allows(NULL, ACT_COUNT, NULL));
	ck_assert_str_eq(authz_action_name(ACT_COUNT), "?");
}
END_TEST

/* The auditor reads everything and changes nothing: no action that writes,
 * on any incident; and each action's "writes" says what it does. */
START_TEST(test_auditor_writes_nothing)
{
	struct principal p;
	struct grant g;
	make_actor("auditor", &p, &g);
	int writing = 0;
	for (int a = 0; a < ACT_COUNT; a++) {
		if (!authz_actions[a].writes)
			continue;
		writing++;
		for (int in = 1; in >= 0; in--) {
			struct incident_scope inc = incident(in, "auditor");
			ck_assert_msg(!authz_action_allows(&p, (enum action)a, &inc),
				      "the auditor may %s", authz_action_name((enum action)a));
		}
		ck_assert_msg(!authz_action_allows(&p, (enum action)a, NULL), "the auditor may %s",
			      authz_action_name((enum action)a));
	}
	/* note, correct, workflow, acknowledge, timer_retry, intake_accept, intake_close,
	 * submission */
	ck_assert_int_eq(writing, 8);
	ck_assert(authz_actions[ACT_NOTE].writes && authz_actions[ACT_CORRECT].writes &&
		  authz_actions[ACT_WORKFLOW].writes && authz_actions[ACT_ACKNOWLEDGE].writes &&
		  authz_actions[ACT_TIMER_RETRY].writes && authz_actions[ACT_INTAKE_ACCEPT].writes &&
		  authz_actions[ACT_INTAKE_CLOSE].writes && authz_actions[ACT_SUBMISSION].writes);
}
END_TEST

START_TEST(test_inactive_and_anonymous)
{
	struct principal p;
	struct grant g;
	make_actor("ciso", &p, &g);
	p.active = 0;
	for (int perm = PERM_SIGNED_IN; perm < PERM_COUNT; perm++)
		ck_assert(!authz_allows(&p, (enum perm)perm, NULL));
	ck_assert(authz_allows(&p, PERM_PUBLIC, NULL));
	ck_assert(authz_allows(NULL, PERM_PUBLIC, NULL));
	ck_assert(!authz_allows(NULL, PERM_INCIDENT_VIEW, NULL));
	for (int a = 0; a < ACT_COUNT; a++) {
		ck_assert(!authz_action_allows(&p, (enum action)a, NULL));
		ck_assert(!authz_action_allows(NULL, (enum action)a, NULL));
	}
}
END_TEST

Suite *authz_suite(void)
{
	Suite *s = suite_create("authz");
	TCase *tc = tcase_create("matrix");
	tcase_add_test(tc, test_every_route_has_a_rule);
	tcase_add_test(tc, test_incident_permissions);
	tcase_add_test(tc, test_every_action_has_a_rule);
	tcase_add_test(tc, test_auditor_writes_nothing);
	tcase_add_test(tc, test_inactive_and_anonymous);
	suite_add_tcase(s, tc);
	return s;
}
