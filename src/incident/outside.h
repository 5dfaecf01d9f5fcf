/* Outside reports: what a resident (or anyone outside the city's staff)
 * sends through the residents' window (/report/public), and the CSIRT's
 * intake queue where it waits (sql/0028_outside_reports.sql). An outside
 * report is stored as an incident of channel 'external' with an
 * outside_report row in state 'waiting': no workflow starts for it (the
 * engine starts none while that row is not 'accepted') until a CSIRT member,
 * the chief security officer or the CISO accepts it as an incident, with the
 * answers they fill in, or closes it as not an incident or as spam with a
 * reason. */
#ifndef SOKUHO_OUTSIDE_H
#define SOKUHO_OUTSIDE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "db/tx.h"
#include "incident/intake.h"

/* The residents' form's fields and their limits (characters). */
#define OUTSIDE_WHAT_MAX 4000
#define OUTSIDE_WHEN_MAX 200
#define OUTSIDE_PLACE_MAX 500
#define OUTSIDE_CONTACT_MAX 200
#define OUTSIDE_REASON_MAX 2000

/* Checks the residents' form (strings what, when, place, contact as a form
 * sends them). Returns the trimmed values (caller owns); for each bad field
 * adds field -> catalog key of the message (templates/i18n/labels.json) to
 * errors. Usable only when errors stays empty. */
json_t *outside_check(const json_t *raw, json_t *errors);

/* Outside reports taken in the last hour from all addresses (the count of
 * the per-address limit, public_report_rate), for the city-wide limit. -1
 * on error. */
long long outside_hour_count(PGconn *conn);

/* The CSIRT's members get at most one mail of new outside reports per this
 * many seconds of the clock (outside_reported, pointing to the queue). */
#define OUTSIDE_MAIL_PERIOD_S "300"

/* Stores a checked outside report in one transaction (db_run_tx): the
 * incident (category 'other', discovered_at the time it arrived, nothing
 * assumed about personal data), its files, its outside_report row waiting in
 * the queue, its count toward the per-address limit and the audit event
 * incident.reported (channel external), and the mail outside_reported to
 * each CSIRT member unless they had one in this period (OUTSIDE_MAIL_PERIOD_S).
 * No legal deadline, no workflow, no other mail. The limit is checked before, with intake_public_rate_exceeded
 * (incident/form.h). Returns DB_OK with the reference in ref, or < 0 with e filled. */
enum db_qs outside_store(PGconn *conn, const json_t *clean, const struct intake_file *files,
			 size_t nfiles, const char *ip, char ref[32], struct db_err *e);

/* outside_store inside the caller's transaction, from no address (the mail
 * intake, incident/mail_report.h): the incident's id in *id. */
enum db_qs outside_store_in_tx(PGconn *conn, const json_t *clean, const struct intake_file *files,
			       size_t nfiles, char ref[32], long long *id, struct db_err *e);

/* The reports waiting in the queue, oldest first (at most limit; 0: all):
 * [{ref, summary, place, arrived (Japan time), waited_minutes, arrived_epoch
 * (Unix seconds)}]. Never NULL
 * (an empty array on error). */
json_t *outside_queue(PGconn *conn, int limit);
/* How many wait. -1 on error. */
long long outside_waiting_count(PGconn *conn);

/* One outside report by its reference: {incident_id, ref, state, outcome,
 * reason, what_happened, when_text, place, contact, arrived, arrived_input
 * (YYYY-MM-DDTHH:MI, Japan time), waited_minutes, arrived_epoch, decided, decided_by_name,
 * attachments: [{id, filename, size}]}, or NULL when ref is no outside
 * report. Caller owns. */
json_t *outside_get(PGconn *conn, const char *ref);

/* The result of a decision. */
enum outside_result {
	OUTSIDE_OK,
	OUTSIDE_NOT_FOUND,  /* no outside report with that reference */
	OUTSIDE_DECIDED,    /* it is no longer waiting (decided meanwhile) */
	OUTSIDE_DB_ERROR,   /* see e; e->sqlstate and DB_SOFT say whether to answer 503 */
};

/* Accepts the waiting report ref as an incident in one transaction: its
 * facts become clean's (as intake_check returns them: summary, discovered_at,
 * occurred_at, site, section, category, segments, system, the personal-data
 * answers, bcp), its legal deadlines those of clocks (as legal_evaluate
 * returns them, due from the facts as stored), the row 'accepted', the audit
 * event outside.accepted, and the workflows that apply start (engine may be
 * NULL to start none). *qs gets the database status. */
enum outside_result outside_accept(struct engine *engine, PGconn *conn, const char *ref,
				   const json_t *clean, const json_t *clocks, int actor_id,
				   const char *ip, enum db_qs *qs, struct db_err *e);

/* Closes the waiting report ref as outcome ("not_incident" or "spam") with
 * reason (checked by the caller: not empty, at most OUTSIDE_REASON_MAX
 * characters): the incident is closed, the row 'closed', the audit event
 * outside.closed. */
enum outside_result outside_close(PGconn *conn, const char *ref, const char *outcome,
				  const char *reason, int actor_id, const char *ip,
				  enum db_qs *qs, struct db_err *e);

#endif
