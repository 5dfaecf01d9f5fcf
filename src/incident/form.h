/* What the report forms (the staff form /report and the public form
 * /report/public) read before filing: the choices they offer, the defaults
 * of an empty form, and the public form's rate per address. Filing itself is
 * intake_store (incident/intake.h). */
#ifndef SOKUHO_INCIDENT_FORM_H
#define SOKUHO_INCIDENT_FORM_H

#include <jansson.h>
#include <libpq-fe.h>

/* Reports one address may file through the public form per hour (each
 * counted by intake_store in its transaction). */
#define INTAKE_PUBLIC_REPORTS_PER_HOUR 5

/* The choices of the form: an object of four arrays (each empty on a
 * database error), in the order shown: sites (code, name_ja, name_en,
 * note_ja), sections (active ones by department: code, name_ja,
 * department), categories (key, title_ja, title_en, hint_ja, hint_en) and
 * systems (code, name_ja, name_en). Caller owns. */
json_t *report_form_choices(PGconn *c);

/* The defaults of an empty form into v (the form's values by field name):
 * discovered_at is now, in Japan time as the form takes it
 * (YYYY-MM-DDTHH:MM); with section_id (0: none), section and site are that
 * section's code and its site's code ("" when it has none). A value that
 * cannot be read is left as it is. */
void report_form_defaults(PGconn *c, int section_id, json_t *v);

/* Whether address ip (NULL or "": none, never limited) filed
 * INTAKE_PUBLIC_REPORTS_PER_HOUR or more reports through the public form in
 * the last hour. 0 on a database error. */
int intake_public_rate_exceeded(PGconn *c, const char *ip);

#endif
