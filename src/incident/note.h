/* Notes on an incident: free text added to its timeline by someone who may
 * (authz ACT_NOTE; the caller checks it and the text). */
#ifndef SOKUHO_INCIDENT_NOTE_H
#define SOKUHO_INCIDENT_NOTE_H

#include <libpq-fe.h>

#include "db/tx.h"

/* Longest note, in characters. */
#define INCIDENT_NOTE_MAX_CHARS 10000

/* Adds the note and its audit event (incident.note) in one transaction
 * (db_run_tx). Returns DB_OK, or < 0 with e filled (DB_SOFT: the database
 * may be back later). Not repeated after a COMMIT without an answer. */
enum db_qs incident_add_note(PGconn *c, long long incident_id, int author_id, const char *ip,
			     const char *body, struct db_err *e);

/* The same inside the caller's transaction (a note that comes by mail,
 * incident/mail_report.c). */
enum db_qs incident_add_note_in_tx(PGconn *c, long long incident_id, int author_id,
				   const char *ip, const char *body, struct db_err *e);

#endif
