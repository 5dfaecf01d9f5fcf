/* Role assignments: granting and revoking a role (a row of table role) over
 * a scope — the whole city, a department, a section or an information
 * system — with a deputy rank (0 the holder, 1 the first deputy, ...) and
 * optional validity dates. */
#ifndef SOKUHO_ROLES_H
#define SOKUHO_ROLES_H

#include <libpq-fe.h>
#include <stddef.h>

struct role_scope {
	char kind[12];  /* city, department, section or system */
	char code[64];  /* empty for city */
	char text[80];  /* as people write it: "city", "section:jinji" */
	int id;         /* org_unit.id or info_system.id once resolved; 0 for city */
};

/* Parses "city", "department:CODE", "section:CODE" or "system:CODE" (NULL
 * means city). Returns 0, or -1 with what is wrong and expected in why. */
int role_scope_parse(const char *s, struct role_scope *out, char *why, size_t whylen);
/* Finds the unit or system of the scope and sets out->id. Returns 0, 1 with
 * a message in why when it does not exist (or is of another kind), or -1
 * after printing a database error. */
int role_scope_resolve(PGconn *conn, struct role_scope *sc, char *why, size_t whylen);

/* The one kind of scope a role is held over: "city" for the city-wide roles
 * (ciso, chief_security_officer, csirt, auditor, admin), "department" for
 * security_officer, "section" for security_manager, "system" for
 * system_manager; NULL for a role this program has no rule for. */
const char *role_scope_kind(const char *role);
/* Checks that the role may be granted over the scope (kind only; resolve
 * checks the code). Returns 0, or -1 with what is wrong and what is expected
 * in why. Every grant goes through it: role_grant (the CLI) and the admin
 * page. */
int role_scope_check(const char *role, const struct role_scope *sc, char *why, size_t whylen);

/* Every allowed "role:kind" pair as a PostgreSQL text array literal,
 * "{ciso:city,...}", for queries that look for bad grants made before the
 * check (sokuho user list marks them). */
const char *role_scope_rules_array(char *out, size_t outlen);

/* Checks a YYYY-MM-DD calendar date. Returns 0 or -1 with why. */
int role_check_date(const char *s, char *why, size_t whylen);

struct role_change {
	const char *login;
	const char *role;
	struct role_scope scope;
	int deputy;             /* 0..9 */
	const char *valid_from; /* YYYY-MM-DD or NULL (today, city time) */
	const char *valid_to;   /* YYYY-MM-DD or NULL (open-ended) */
};

/* Grants, in one transaction with its audit event (role.grant). Prints what
 * was done to stdout, or a message to stderr. Returns the exit status: 0,
 * or 1 (unknown person, role or scope, a scope of the wrong kind for the role
 * (role_scope_check), an overlapping assignment, a database error). */
int role_grant(PGconn *conn, const struct role_change *rc);
/* Deletes the assignments of the same person, role, scope and deputy rank,
 * in one transaction with its audit event (role.revoke). Returns 0, or 1
 * when none matched (saying what the person does hold) or on error. */
int role_revoke(PGconn *conn, const struct role_change *rc);

#endif
