/* Absences (不在, issue 19): a person away for a range of dates — on leave
 * (休暇), on a business trip (出張), in training (研修). While absent, the
 * resolver of who is told (resolve_role, sql/0029_absence.sql) skips them and
 * a ladder's rung goes to the deputy; who may see or act is unchanged. A
 * person records their own on /account/absences, an admin anyone's on the
 * admin's person page or with `sokuho user absence`. Each change is one
 * transaction with its audit event (absence.add, absence.remove). */
#ifndef SOKUHO_ORG_ABSENCE_H
#define SOKUHO_ORG_ABSENCE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "db/tx.h"
#include "org/accounts.h"

/* A note holds at most this many characters. */
#define ABSENCE_NOTE_MAX 200

struct absence_new {
	const char *login;
	const char *kind;      /* leave, trip or training (absence_kind_parse) */
	const char *starts_on; /* YYYY-MM-DD, the first day away */
	const char *ends_on;   /* YYYY-MM-DD, the last day away (>= starts_on) */
	const char *note;      /* or NULL / "": none */
};

/* The kind named by s — "leave", "trip", "training", or the Japanese
 * 休暇, 出張, 研修 — as stored ("leave" ...), or NULL when s names none. */
const char *absence_kind_parse(const char *s);

/* Checks a new absence without the database. Returns 0, or -1 with the
 * form field at fault in *field ("kind", "starts_on", "ends_on", "note") and
 * what is wrong in *msg, a message (a catalog key with its args,
 * absence_err_*: tmpl/i18n.h; caller owns). */
int absence_check(const struct absence_new *a, const char **field, json_t **msg);

/* Adds an absence (audit absence.add, done by by). *id gets the new
 * absence's id, 0 when there is no such login (nothing written). Returns
 * the transaction's status (tx.h; < 0 with e filled). */
enum db_qs absence_add(PGconn *c, const struct account_actor *by, const struct absence_new *a,
		       long long *id, struct db_err *e);

/* Removes absence id of login (audit absence.remove). *removed is 1, or 0
 * when login has no absence id (nothing written: another person's absence
 * is not found through this login). Returns the transaction's status. */
enum db_qs absence_remove(PGconn *c, const struct account_actor *by, const char *login,
			  long long id, int *removed, struct db_err *e);

/* The absences of login (NULL: everybody's) that end today or later, by
 * start: id, login, display_name, kind, title_ja, title_en, starts_on,
 * ends_on, note, current (absent today), label_ja, label_en (「休暇、12月10日
 * まで」). NULL on a database error; the caller json_decrefs. */
json_t *absence_list(PGconn *c, const char *login);

/* The kinds for a form's choice: name, title_ja, title_en, selected (the
 * one named by selected, which may be NULL). NULL on a database error. */
json_t *absence_kind_choices(PGconn *c, const char *selected);

#endif
