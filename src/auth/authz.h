/* Authorization in one place: what a person may do, from the roles they hold
 * and the scope of each. Every route declares the permission it needs; the
 * server checks it before the handler runs, and handlers that act on one
 * incident check again with that incident's scope. Pure functions, no I/O. */
#ifndef SOKUHO_AUTHZ_H
#define SOKUHO_AUTHZ_H

#include <stddef.h>

enum perm {
	PERM_PUBLIC,        /* anyone, signed in or not */
	PERM_SIGNED_IN,     /* any active person: file reports, follow their own */
	PERM_INCIDENT_VIEW, /* read an incident: reporter, officers in scope, city roles */
	PERM_INCIDENT_ACT,  /* change an incident: officers in scope, CSIRT, chief, CISO */
	PERM_INCIDENT_NOTE, /* add a note: its reporter and those who may act (not the auditor) */
	PERM_DASHBOARD,     /* CISO, chief security officer, CSIRT, auditor */
	PERM_AUDIT,         /* the audit trail: auditor, CISO, chief security officer */
	PERM_ADMIN,         /* accounts and configuration: admin */
	PERM_TIMER_RETRY,   /* retry a failed workflow timer: CISO, chief security officer, CSIRT */
	PERM_INTAKE,        /* the intake queue of outside reports: CISO, chief security officer, CSIRT */
	PERM_SUBMISSION,    /* record a legal report as submitted: chief security officer, CSIRT */
	PERM_COUNT
};

enum scope_kind { SCOPE_CITY, SCOPE_DEPARTMENT, SCOPE_SECTION, SCOPE_SYSTEM };

/* One role a person holds over one scope (scope_id is 0 for the city). */
struct grant {
	char role[32];
	enum scope_kind scope;
	int scope_id;
};

/* The signed-in person as authorization sees them. */
struct principal {
	int person_id;
	int active;
	size_t ngrants;
	struct grant *grants;
};

/* Where an incident sits: its section, that section's department, the
 * information system involved (0 when none) and who reported it. */
struct incident_scope {
	int section_id;
	int department_id;
	int system_id;
	int reporter_id;
};

/* May p (NULL: anonymous) do perm? For the incident permissions, inc says
 * which incident (NULL asks whether p may do it to some incident, which is
 * what a route-level check needs). Never fails. */
int authz_allows(const struct principal *p, enum perm perm, const struct incident_scope *inc);

/* Whether p may view every incident of the city (so that lists need no
 * per-row scope filter): the city-wide roles, the auditor, and scoped
 * officers whose scope is the city. */
int authz_sees_all_incidents(const struct principal *p);

/* Whether p holds role (at any scope). */
int authz_has_role(const struct principal *p, const char *role);

/* The permission's name, for logs and tests ("incident_view"). */
const char *authz_perm_name(enum perm perm);

/* Every action a person performs on an incident (or on the incidents they
 * see), declared once with the permission it needs. A handler that performs
 * one asks authz_action_allows, and the incident page offers only the
 * actions the person may take; the matrix test walks every action × role ×
 * in/out of scope, so an action cannot be added without deciding who may. */
enum action {
	ACT_NOTE,        /* POST /incidents/REF/notes */
	ACT_CORRECT,     /* POST /incidents/REF/facts: correct reported facts */
	ACT_WORKFLOW,    /* POST /incidents/REF/workflow/RUN/ACTION (the workflow's "by" on top) */
	ACT_ACKNOWLEDGE, /* POST /ack/TOKEN, as the mail's recipient */
	ACT_DOWNLOAD,    /* GET /incidents/REF/attachments/ID: an evidence file */
	ACT_PRINT,       /* GET /incidents/REF/print */
	ACT_PPC_REPORT,  /* GET /incidents/REF/ppc-report: the PPC report for printing */
	ACT_API_READ,    /* GET /api/v1/incidents/REF */
	ACT_CSV,         /* GET /incidents.csv: the incidents one sees */
	ACT_REVIEW_CSV,  /* GET /review.csv: the annual review */
	ACT_TIMER_RETRY, /* POST /dashboard/timers/ID/retry: a failed workflow timer */
	ACT_INTAKE_ACCEPT, /* POST /intake/REF, decision=accept: an outside report is an incident */
	ACT_INTAKE_CLOSE,  /* POST /intake/REF, decision=close: not an incident or spam */
	ACT_SUBMISSION,    /* POST /incidents/REF/submissions: the 速報 / 確報 was sent */
	ACT_COUNT
};

struct authz_action {
	const char *name; /* for logs and tests ("note") */
	enum perm perm;   /* what it needs */
	int writes;       /* changes something (never for the auditor) */
};

/* The table, indexed by enum action. */
extern const struct authz_action authz_actions[ACT_COUNT];

/* May p (NULL: anonymous) perform action on the incident inc (NULL for the
 * list-wide actions, or to ask whether on some incident)? Never fails. */
int authz_action_allows(const struct principal *p, enum action action,
			const struct incident_scope *inc);

/* The action's name, "?" for none. */
const char *authz_action_name(enum action action);

#endif
