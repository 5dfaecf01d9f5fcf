/* Reading an incident for the API (the JSON of /api/v1/incidents). The
 * caller has checked that the reader may see it (authz ACT_API_READ). */
#ifndef SOKUHO_INCIDENT_VIEW_H
#define SOKUHO_INCIDENT_VIEW_H

#include <jansson.h>
#include <libpq-fe.h>

/* The incident ref as the API shows it: its facts, times in ISO 8601 with
 * offset, personal_data as an object, legal_deadlines and attachments as
 * arrays, severity a number or null. NULL when there is none or on a
 * database error. Caller owns. */
json_t *incident_api_json(PGconn *c, const char *ref);

/* The legal deadlines of incident id (key, title_ja, title_en, due_at in
 * ISO 8601, and as the law counts them last_day, target_day, guide_until:
 * "YYYY-MM-DD" or null, see sql/0027_legal_last_day.sql), soonest first;
 * NULL on a database error. Caller owns. */
json_t *incident_legal_deadlines_json(PGconn *c, long long id);

#endif
