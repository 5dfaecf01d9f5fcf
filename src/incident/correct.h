/* Correcting the facts of an incident (the incident page's correction form):
 * the values checked by intake_check_correction (incident/intake.h, the
 * rules of filing), compared with the stored ones and written in one
 * transaction with the audit event that lists every change. The caller has
 * checked that the person may correct (authz ACT_CORRECT). */
#ifndef SOKUHO_INCIDENT_CORRECT_H
#define SOKUHO_INCIDENT_CORRECT_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db/tx.h"

/* The facts a correction edits, in the form's order, ended by NULL: the
 * texts, category, severity and persons, then (from index
 * INCIDENT_FIX_FIRST_TRI on) the personal-data answers yes / no / unknown. */
extern const char *const incident_fix_fields[];
#define INCIDENT_FIX_FIELDS 12
#define INCIDENT_FIX_FIRST_TRI 6

struct engine;
struct legal_rules;

/* Corrects incident id with clean (intake_check_correction's: an answer not
 * sent stays as it is) in one transaction (db_run_tx): the row is locked,
 * compared field by field, updated with its facts; the legal deadlines the
 * new facts call for (legal, may be NULL for none) are written as filing
 * writes them (intake_store_deadlines); the audit event incident.corrected
 * lists each changed field with its old and new value (and the deadlines
 * added), from actor at ip (may be NULL); the workflows that now apply are
 * started (engine, may be NULL). Returns DB_OK when something changed,
 * DB_NONE when nothing differed (or there is no such incident; nothing is
 * written), < 0 with e filled (DB_SOFT: the database may be back later). Not
 * repeated after a COMMIT without an answer. */
enum db_qs incident_correct(struct engine *engine, const struct legal_rules *legal, PGconn *c,
			    long long id, int actor, const char *ip, const json_t *clean,
			    struct db_err *e);

#endif
