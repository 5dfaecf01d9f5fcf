/* Page and API handlers, one file each under src/web/, listed in the route
 * table of routes.c. */
#ifndef SOKUHO_WEB_H
#define SOKUHO_WEB_H

#include <jansson.h>
#include <libpq-fe.h>

#include "http/http.h"

int web_home(struct request *req);
int web_login(struct request *req);
int web_logout(struct request *req);
int web_admin_people(struct request *req);
int web_admin_person_new(struct request *req);
int web_admin_person(struct request *req);
int web_admin_workflows(struct request *req);
int web_admin_outbox(struct request *req);
int web_admin_tokens(struct request *req);
int web_admin_token(struct request *req);
int web_account_tokens(struct request *req);
int web_account_password(struct request *req);
int web_account_token(struct request *req);
/* /account/absences (GET the page, POST add one) and
 * /account/absences/ID/remove (POST): a person's own absences (web/absence.c). */
int web_account_absences(struct request *req);
int web_account_absence(struct request *req);
/* For the admin's person page of login: the absences list, the form's kinds,
 * typed values (av, when errors) and absence_errors into d; base is where
 * the form posts. */
void web_absence_page_data(struct request *req, PGconn *c, const char *login, const char *base,
			   json_t *d, json_t *errors);
/* POST /admin/people/LOGIN/absences: adds from the form (again renders the
 * person page with errors, 422); .../absences/ID/remove removes one (404
 * when login has no absence ID). Each queues one response. */
int web_absence_admin_add(struct request *req, PGconn *c, const char *login,
			  int (*again)(struct request *, PGconn *, const char *, unsigned, json_t *));
int web_absence_admin_remove(struct request *req, PGconn *c, const char *login, const char *id);
int web_ack(struct request *req);
int web_admin_workflow_svg(struct request *req);
int web_report(struct request *req);
int web_report_filed(struct request *req);
/* The residents' window and the intake queue (resident.c). */
int web_resident(struct request *req);
int web_intake(struct request *req);
int web_intake_item(struct request *req);
/* The PPC 速報 is due おおむね3日 from when the city knew (legal-clocks.json):
 * a report waiting for intake uses up that time from its arrival. */
#define INTAKE_PRELIMINARY_DAYS 3
/* Adds to each row of outside_queue (incident/outside.h) how long it has
 * waited ("waited": "2時間5分" / "2 h 5 min") and how much of the 速報's
 * days from its arrival is left ("target_left", timefmt_left; "target_late"
 * once they are gone), in lang. */
void web_intake_rows(json_t *rows, const char *lang);
int web_incident(struct request *req);
int web_incidents(struct request *req);
int web_my_reports(struct request *req);
int web_incidents_csv(struct request *req);
int web_dashboard(struct request *req);
/* POST /dashboard/timers/ID/retry: makes failed timer ID due again
 * (engine_timer_retry) and goes back to the dashboard. */
int web_dashboard_timer(struct request *req);
int web_review(struct request *req);
int web_review_csv(struct request *req);
int web_api_incidents(struct request *req);
int web_api_incident(struct request *req);
int web_healthz(struct request *req);
int web_metrics(struct request *req);

/* The dashboard's cache of trends, shared by the request threads of one
 * server (thread-safe). new never fails; free accepts NULL. */
struct dash_cache *web_dashboard_cache_new(void);
void web_dashboard_cache_free(struct dash_cache *dc);

/* The printable pages of one incident (src/web/reports.c), under
 * /incidents/REF/print and /incidents/REF/ppc-report; the caller has checked
 * that the signed-in person may view incident id. */
int web_incident_print(struct request *req, PGconn *conn, const char *ref, long long id);
int web_incident_ppc(struct request *req, PGconn *conn, const char *ref, long long id);

/* Renders the confirmation of report ref (reference, who is told, legal
 * clocks and their due dates). */
int web_report_confirmation(struct request *req, PGconn *conn, const char *ref, unsigned status);
/* Marks each form value that came in not as UTF-8 (req->form_invalid, see
 * ROUTE_MARKS_INVALID): errors[name] becomes the catalog message
 * field_err_not_utf8 naming the field's label in the page language, and a
 * copy is appended to named (may be NULL) for the page's summary. The label
 * is the catalog key that labels (pairs name, key, ..., NULL; may be NULL)
 * gives the name, else the report form's label (incident/fields.h), else
 * the name itself. */
void web_mark_not_utf8(struct request *req, json_t *errors, json_t *named,
		       const char *const *labels);

/* The legal clocks that apply to facts (an incident's facts JSON), as the
 * rules of workflows/legal-clocks.json say, in Japanese with English titles.
 * Caller owns the array; never NULL. */
json_t *web_legal_clocks(const struct app *app, const json_t *facts);

#endif
