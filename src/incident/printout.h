/* The data of the printed reports of an incident (the report with its
 * sign-off boxes, the draft of the PPC report) and of the annual review of
 * a fiscal year (年度: April 1 to March 31, Japan time; it counts the
 * incidents reported within it). Reads only; the caller has checked that
 * the reader may (authz ACT_PRINT, ACT_PPC_REPORT, PERM_DASHBOARD). Every
 * json_t returned is the caller's. */
#ifndef SOKUHO_INCIDENT_PRINTOUT_H
#define SOKUHO_INCIDENT_PRINTOUT_H

#include <jansson.h>
#include <libpq-fe.h>

/* What both printed pages show: "incident" (every fact, the yes/no answers
 * and the severity as {ja, en} objects), "legal" (its legal deadlines with
 * their status) and "has_legal", "printed_at" (now, Japan time). NULL when
 * the incident is gone or on a database error. */
json_t *printout_base(PGconn *c, long long id);

/* Adds to d what the printed incident report shows: "runs" (each workflow
 * with its transitions and deadlines), "timeline", "notes", "wf" (the
 * workflow fields) and "signoffs" (the chain's boxes with today's holders).
 * Returns 0, or -1 on a database error. */
int printout_incident(PGconn *c, long long id, json_t *d);

/* The latest value of every field recorded by a workflow action of the
 * incident (cause, prevention, notice_to_persons ...), by field name. */
json_t *printout_workflow_fields(PGconn *c, long long id);

/* The fiscal year now (Japan time), and the first with an incident (0 when
 * there is none, or on a database error). */
int review_fiscal_year_now(PGconn *c);
int review_first_fiscal_year(PGconn *c);

/* The figures of the review of fiscal year y, and the audit log's newest
 * checkpoint line as checkpoint.line when there is one; NULL on a database
 * error. */
json_t *review_data(PGconn *c, int y);

#endif
