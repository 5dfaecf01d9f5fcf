/* The authorization rules (see authz.h): city-wide roles by role name,
 * scoped roles by matching the incident's section, department or system. */
#include "authz.h"

#include <string.h>

static const char *const perm_names[PERM_COUNT] = {
	"public", "signed_in", "incident_view", "incident_act", "incident_note", "dashboard", "audit", "admin",
	"timer_retry", "intake", "submission",
};

const char *authz_perm_name(enum perm perm)
{
	return perm < PERM_COUNT ? perm_names[perm] : "?";
}

const struct authz_action authz_actions[ACT_COUNT] = {
	[ACT_NOTE] = {"note", PERM_INCIDENT_NOTE, 1},
	[ACT_CORRECT] = {"correct", PERM_INCIDENT_ACT, 1},
	[ACT_WORKFLOW] = {"workflow", PERM_INCIDENT_ACT, 1},
	[ACT_ACKNOWLEDGE] = {"acknowledge", PERM_INCIDENT_ACT, 1},
	[ACT_DOWNLOAD] = {"download", PERM_INCIDENT_VIEW, 0},
	[ACT_PRINT] = {"print", PERM_INCIDENT_VIEW, 0},
	[ACT_PPC_REPORT] = {"ppc_report", PERM_INCIDENT_VIEW, 0},
	[ACT_API_READ] = {"api_read", PERM_INCIDENT_VIEW, 0},
	[ACT_CSV] = {"csv", PERM_INCIDENT_VIEW, 0},
	[ACT_REVIEW_CSV] = {"review_csv", PERM_DASHBOARD, 0},
	[ACT_TIMER_RETRY] = {"timer_retry", PERM_TIMER_RETRY, 1},
	[ACT_INTAKE_ACCEPT] = {"intake_accept", PERM_INTAKE, 1},
	[ACT_INTAKE_CLOSE] = {"intake_close", PERM_INTAKE, 1},
	[ACT_SUBMISSION] = {"submission", PERM_SUBMISSION, 1},
};

const char *authz_action_name(enum action action)
{
	return action < ACT_COUNT && authz_actions[action].name ? authz_actions[action].name : "?";
}

int authz_action_allows(const struct principal *p, enum action action,
			const struct incident_scope *inc)
{
	if (action >= ACT_COUNT || !authz_actions[action].name)
		return 0; /* an undeclared action is nobody's */
	return authz_allows(p, authz_actions[action].perm, inc);
}

int authz_has_role(const struct principal *p, const char *role)
{
	for (size_t i = 0; p && i < p->ngrants; i++)
		if (strcmp(p->grants[i].role, role) == 0)
			return 1;
	return 0;
}

static int any_role(const struct principal *p, const char *const *roles)
{
	for (; *roles; roles++)
		if (authz_has_role(p, *roles))
			return 1;
	return 0;
}

/* Whether grant g covers the incident (a NULL incident: covers some). */
static int covers(const struct grant *g, const struct incident_scope *inc)
{
	if (!inc || g->scope == SCOPE_CITY)
		return 1;
	switch (g->scope) {
	case SCOPE_DEPARTMENT:
		return inc->department_id && g->scope_id == inc->department_id;
	case SCOPE_SECTION:
		return inc->section_id && g->scope_id == inc->section_id;
	case SCOPE_SYSTEM:
		return inc->system_id && g->scope_id == inc->system_id;
	default:
		return 0;
	}
}

static int scoped_role_covers(const struct principal *p, const char *const *roles,
			      const struct incident_scope *inc)
{
	for (size_t i = 0; i < p->ngrants; i++)
		for (const char *const *r = roles; *r; r++)
			if (strcmp(p->grants[i].role, *r) == 0 && covers(&p->grants[i], inc))
				return 1;
	return 0;
}

/* Roles that see and act on every incident of the city. */
static const char *const city_actors[] = {"ciso", "chief_security_officer", "csirt", NULL};
/* Roles whose reach is their scope. */
static const char *const scoped_actors[] = {"security_officer", "security_manager",
					     "system_manager", NULL};

int authz_allows(const struct principal *p, enum perm perm, const struct incident_scope *inc)
{
	if (perm == PERM_PUBLIC)
		return 1;
	if (!p || !p->active)
		return 0;
	switch (perm) {
	case PERM_SIGNED_IN:
		return 1;
	case PERM_INCIDENT_VIEW:
		if (!inc)
			return 1; /* everyone may at least see their own reports */
		if (inc->reporter_id == p->person_id)
			return 1;
		if (any_role(p, city_actors) || authz_has_role(p, "auditor"))
			return 1;
		return scoped_role_covers(p, scoped_actors, inc);
	case PERM_INCIDENT_ACT:
		if (any_role(p, city_actors))
			return 1;
		return scoped_role_covers(p, scoped_actors, inc);
	case PERM_INCIDENT_NOTE:
		/* a writing role on the incident: viewing (the auditor) is not enough */
		if (inc && inc->reporter_id == p->person_id)
			return 1;
		return authz_allows(p, PERM_INCIDENT_ACT, inc);
	case PERM_DASHBOARD: {
		static const char *const r[] = {"ciso", "chief_security_officer", "csirt", "auditor",
						NULL};
		return any_role(p, r);
	}
	case PERM_AUDIT: {
		static const char *const r[] = {"ciso", "chief_security_officer", "auditor", NULL};
		return any_role(p, r);
	}
	case PERM_ADMIN:
		return authz_has_role(p, "admin");
	case PERM_SUBMISSION: {
		/* the 速報 / 確報 are sent by the chief security officer (統括) or
		 * the CSIRT on their behalf */
		static const char *const r[] = {"chief_security_officer", "csirt", NULL};
		return any_role(p, r);
	}
	case PERM_INTAKE: /* the single point of contact and those above it */
	case PERM_TIMER_RETRY: {
		/* those who watch the dashboard and may act city-wide: not the
		 * auditor, who only looks */
		static const char *const r[] = {"ciso", "chief_security_officer", "csirt", NULL};
		return any_role(p, r);
	}
	default:
		return 0;
	}
}

int authz_sees_all_incidents(const struct principal *p)
{
	if (!p || !p->active)
		return 0;
	if (any_role(p, city_actors) || authz_has_role(p, "auditor"))
		return 1;
	for (size_t i = 0; i < p->ngrants; i++)
		for (const char *const *r = scoped_actors; *r; r++)
			if (strcmp(p->grants[i].role, *r) == 0 && p->grants[i].scope == SCOPE_CITY)
				return 1;
	return 0;
}
