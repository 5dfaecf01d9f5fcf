/* Schema migrations: sql/NNNN_name.sql applied in order, each in its own
 * transaction, recorded with its SHA-256 in schema_migrations, under an
 * advisory lock so that two processes never migrate at once. */
#ifndef SOKUHO_MIGRATE_H
#define SOKUHO_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

/* Applies every pending migration in dir. Progress lines go to progress
 * (may be NULL). Returns the number applied (0 when up to date), or -1 with
 * a message for people in err: a failing file is rolled back whole and the
 * message names the file, line and column, and PostgreSQL's error; an
 * applied file whose content changed is refused. */
int migrate_run(PGconn *conn, const char *dir, FILE *progress, char *err, size_t errlen);

/* Counts the migrations in dir not yet applied (or changed since): returns
 * that count, or -1 with err. Takes no lock and changes nothing. */
int migrate_pending(PGconn *conn, const char *dir, char *err, size_t errlen);

/* Logs a warning (db_role_privileged) when the role of c may change the
 * audit log (UPDATE, DELETE or TRUNCATE of audit_event, or owns it):
 * serve and worker should connect as a member of sokuho_app (sql/0023). */
void migrate_warn_privileged(PGconn *c);

#endif
