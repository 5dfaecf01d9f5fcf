/* Reading one incident for its page (/incidents/REF) and for the reporter's
 * confirmation (/report/filed/REF): times in Japan time as the pages show
 * them. The caller has checked that the reader may see it (authz
 * PERM_INCIDENT_VIEW); the scope to check it with comes from
 * incident_scope_load. Values are strings (json null, booleans) as db_rows
 * gives them. */
#ifndef SOKUHO_INCIDENT_PAGE_H
#define SOKUHO_INCIDENT_PAGE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "auth/authz.h"

/* Looks up incident ref: its scope for authorization and its id. Returns 0,
 * or -1 when there is no such incident, on a database error, or when a
 * stored id is out of range. */
int incident_scope_load(PGconn *c, const char *ref, struct incident_scope *scope, long long *id);

/* Everything the page of incident ref shows, read in one statement: an
 * object of
 *   incident     every fact: category titles, site, section, department,
 *                system names, the reporter, times as YYYY-MM-DD HH:MM, the
 *                personal-data answers, facts as JSON text, section_id and
 *                system_id ("0" when none);
 *   deadlines    the legal deadlines, soonest first: title_ja, title_en,
 *                due, overdue, met, days_left (whole days, rounded up, 0 once
 *                due), and the dates counted as the law counts them
 *                (sql/0027, wf/legal_period.h) as "YYYY-MM-DD" or null:
 *                last_day (the legal last day), target_day (the internal
 *                target), guide_until (the 速報's day 5); each also written
 *                for the page, when there, as last_ja / last_en, target_ja /
 *                target_en and guide_ja / guide_en ("1月6日(水)まで" / "by Wed
 *                6 Jan");
 *   attachments  the evidence files in the order filed: id, filename, size,
 *                sha256, at;
 *   timeline     the audit events in order: at (with seconds), kind, actor
 *                (the system when none), is_reported, is_note, is_corrected,
 *                changes (an array of field/old/new, for a correction), note,
 *                and for a dead mail is_mail_dead, mail_to, mail_email,
 *                mail_template, mail_reason;
 *   categories   with with_categories only (the correction form's choices):
 *                key, title_ja, in their order.
 * Numbers are decimal strings. NULL when there is no such incident or on
 * error. Caller owns. */
json_t *incident_page_json(PGconn *c, const char *ref, int with_categories);

/* Whether workflow run run belongs to incident id: 1, or 0 (also on
 * error). */
int incident_has_run(PGconn *c, long long id, long long run);

/* The reporter's confirmation of report ref: id, ref, summary, channel,
 * facts (JSON text), section_id, system_id, reporter_id ("0" when none) and
 * reported_at. NULL when there is none or on error. */
json_t *incident_filed_row(PGconn *c, const char *ref);

/* The confirmation's legal deadlines of incident id (a decimal string, as
 * incident_filed_row gives it), soonest first: title_ja, title_en, clock,
 * due, days_left (whole days left, 0 once due). NULL on error. */
json_t *incident_filed_deadlines(PGconn *c, const char *id);

/* Whether person_id reported incident ref: 1, or 0 (also on error). */
int incident_filed_by(PGconn *c, const char *ref, int person_id);

#endif
