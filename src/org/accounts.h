/* Changes to people and their roles as the admin page makes them: each one
 * statement and its audit event in one transaction (db_run_tx), so that the
 * change and its record exist together or not at all. The caller has
 * checked the input (people.h, roles.h, password.h) and the permission
 * (PERM_ADMIN on the web; the command line is the operator); these
 * functions only write, for the admin page and `sokuho user` alike. Each
 * returns the status of the transaction (tx.h: < 0 with e filled; DB_SOFT
 * means the database may be back later) and fills *out (changed 0: nothing
 * matched, and no event was written). */
#ifndef SOKUHO_ORG_ACCOUNTS_H
#define SOKUHO_ORG_ACCOUNTS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db/tx.h"

/* Who makes a change, for its audit event. */
struct account_actor {
	int person_id;  /* 0: the command line */
	const char *ip; /* may be NULL */
};

/* What a change did. */
struct account_result {
	int changed;          /* rows changed: 0 or 1 */
	long long person_id;  /* the person changed */
	long sessions_ended;  /* sessions the change ended */
};

struct account_new {
	const char *login, *display_name, *email;
	const char *section;       /* section code, or NULL */
	const char *kind, *lang;
	const char *password_hash; /* or NULL: no password (cannot sign in yet) */
};

/* Adds a person (audit user.add); changed is 0 when the login is taken. */
enum db_qs account_add(PGconn *c, const struct account_actor *by, const struct account_new *p,
		       struct account_result *out, struct db_err *e);

/* Sets a person's password and ends all their sessions (audit user.passwd). */
enum db_qs account_set_password(PGconn *c, const struct account_actor *by, const char *login,
				const char *hash, struct account_result *out, struct db_err *e);

/* Activates or deactivates a person; deactivating ends their sessions
 * (audit user.activate / user.deactivate). changed is 0 when the person
 * was already so, or does not exist. */
enum db_qs account_set_active(PGconn *c, const struct account_actor *by, const char *login,
			      int active, struct account_result *out, struct db_err *e);

struct account_grant {
	const char *login, *role;
	const char *scope_kind, *scope_text;
	int scope_id;            /* 0 for the city */
	int deputy;              /* 0..9 */
	const char *valid_from;  /* YYYY-MM-DD or NULL: today (city time) */
	const char *valid_to;    /* YYYY-MM-DD or NULL: open-ended */
	const char *granted_by;  /* "Name (login)", for the notice mail of sql/0022 */
};

/* Grants a role (audit role.grant); changed is 0 when the same assignment
 * exists already. */
enum db_qs account_grant(PGconn *c, const struct account_actor *by, const struct account_grant *g,
			 struct account_result *out, struct db_err *e);

/* Revokes the person's role assignment id (audit role.revoke); changed is
 * 0 when the person holds no such assignment. */
enum db_qs account_revoke(PGconn *c, const struct account_actor *by, const char *login,
			  long long assignment_id, struct account_result *out, struct db_err *e);

/* Reads for the admin's pages (NULL on a database error; caller owns). */

/* The choices of the forms, into d: "sections" (code, name_ja, department,
 * selected), "roles" (name, title_ja, title_en, selected) and "scopes"
 * (value, label, selected), the given values selected (each may be NULL). */
void account_choices(PGconn *c, json_t *d, const char *section, const char *role,
		     const char *scope);

/* People whose login, name, e-mail or section matches q (any part; "" for
 * everybody), by login after after (keyset), at most limit: login,
 * display_name, email, contractor, active, section, section_name, roles
 * (held today, in Japanese). */
json_t *account_search(PGconn *c, const char *q, const char *after, int limit);

/* One person by login (id, login, display_name, email, kind, lang, active,
 * has_password, section, section_name, department_name, created), or NULL
 * when there is none. */
json_t *account_person(PGconn *c, const char *login);

/* Every role assignment of login, past and future too (id, title_ja,
 * title_en, role, deputy_rank, is_deputy, scope, valid_from, valid_to,
 * current). */
json_t *account_assignments(PGconn *c, const char *login);

/* Whether a person has this login (1), whether the person is a service
 * account, whether role names a role: 1 or 0 (0 on a database error too). */
int account_login_exists(PGconn *c, const char *login);
int account_is_service(PGconn *c, const char *login);
int account_role_exists(PGconn *c, const char *role);

#endif
