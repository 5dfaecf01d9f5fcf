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

#endif
