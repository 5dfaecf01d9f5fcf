/* Report intake: the one validation every way of filing shares (the staff
 * form, the public form, the JSON API), and the one transaction that stores
 * a report with its reference, legal deadlines, evidence and first audit
 * event. */
#ifndef SOKUHO_INTAKE_H
#define SOKUHO_INTAKE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "db/tx.h"

#define INTAKE_MAX_FILES 10

enum intake_channel { INTAKE_STAFF, INTAKE_EXTERNAL, INTAKE_API };

struct intake_file {
	const char *filename; /* already made safe */
	const char *content_type;
	const char *data;
	size_t len;
};

/* Validates raw input: an object of strings as a form sends them (the API
 * converts its JSON first with fields_from_json, incident/fields.h). Returns the cleaned report
 * (caller owns) and adds a message per bad field to errors (field name ->
 * message: a catalog key, or {"key", "args"}; tmpl/i18n.h says how the web
 * layer renders it in the page's language). The cleaned report is usable
 * only when errors stays empty. */
json_t *intake_check(PGconn *conn, const json_t *raw, enum intake_channel channel, json_t *errors);

/* Checks a correction of facts as the incident page sends it (strings:
 * summary, description, contractor, category, pd_persons, severity and,
 * when sent, the answers pd_involved, pd_sensitive, pd_mynumber,
 * pd_encrypted, pd_malicious, pd_financial) with the rules intake_check
 * applies to the same fields (lengths, control characters, codes in the
 * database, whole numbers in the range of incident/fields.h, yes / no /
 * unknown); severity is empty or 0-3. Returns the cleaned values (caller
 * owns: strings, pd_persons and severity integer or null; an answer not sent
 * is absent); errors as intake_check. */
json_t *intake_check_correction(PGconn *conn, const json_t *raw, json_t *errors);

/* A yes / no / unknown answer as the facts hold it: true, false or
 * "unknown" (anything else is "unknown"). Caller owns. */
json_t *intake_tri_fact(const char *v);

/* The facts the legal-clock rules read, from a cleaned report. Caller owns. */
json_t *intake_facts(const json_t *clean);

/* Stores a cleaned report in one transaction (db_run_tx): reference
 * INC-YYYY-NNNN, the incident, its legal deadlines (clocks as legal_evaluate
 * returns them), its files, for an outsider's report its count toward the
 * public form's rate, the audit event "incident.reported" and the workflows
 * that apply (started by engine, which may be NULL to start none).
 * reporter_id is 0 for an outsider. Returns DB_OK with the incident id in
 * *id and the reference in ref, or < 0 with e filled (db/tx.h: DB_SOFT means
 * the database may be back later, answer 503; e->commit_unknown means the
 * report may have been stored). */
struct engine;
enum db_qs intake_store(struct engine *engine, PGconn *conn, const json_t *clean,
			const json_t *clocks, const struct intake_file *files, size_t nfiles,
			enum intake_channel channel, int reporter_id, const char *ip, char ref[32],
			long long *id, struct db_err *e);

/* intake_store's filing inside the caller's transaction (a runner of
 * db_run_tx): for a way of filing that stores more with the report (the
 * mail intake, incident/mail_report.h). */
enum db_qs intake_store_in_tx(struct engine *engine, PGconn *conn, const json_t *clean,
			      const json_t *clocks, const struct intake_file *files, size_t nfiles,
			      enum intake_channel channel, int reporter_id, const char *ip,
			      char ref[32], long long *id, struct db_err *e);

/* Stores evidence files of incident id inside the caller's transaction,
 * uploaded by uploaded_by (0: an outsider). DB_OK or < 0 with e filled. */
enum db_qs intake_store_files(PGconn *conn, long long id, const struct intake_file *files,
			      size_t nfiles, int uploaded_by, struct db_err *e);

/* Writes the legal deadlines of clocks (as legal_evaluate returns them) for
 * incident id, inside the caller's transaction, due from the incident's
 * times as stored, with the legal last day, internal target and guidance
 * edge of a deadline with "count" (wf/legal_period.h; the target on the
 * office days of cal, NULL for the defaults); a deadline with the same key
 * already there is kept as it is. Filing and corrections both write them here. The keys of the rows
 * added are appended to added (may be NULL). Returns DB_OK when a row was
 * added, DB_NONE when none, < 0 with e filled (db/tx.h). */
struct calendar;
enum db_qs intake_store_deadlines(PGconn *conn, long long id, const json_t *clocks,
				  const struct calendar *cal, json_t *added,
				  struct db_err *e);

#endif
