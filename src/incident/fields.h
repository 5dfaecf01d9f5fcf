/* One description of an incident's fields: the name the form and intake use,
 * the path the JSON API uses, the JSON type a value must have, its range, and
 * the catalog key (templates/i18n/labels.json) of the message for a value of
 * the wrong type. The JSON API, the web form and corrections read this table,
 * so that they can never disagree about what a field takes.
 *
 * JSON types (what fields_from_json accepts; null is the same as leaving the
 * field out):
 *   FIELD_TEXT, FIELD_CODE, FIELD_DATETIME  a string (never an array, object,
 *                                           number or boolean)
 *   FIELD_CODES     an array of strings (segments)
 *   FIELD_INT       a number whose value is an integer in [min, max]: 150,
 *                   150.0 and 1.5e2 are 150; 1.5, 1e100, "150", "百", [120]
 *                   are refused
 *   FIELD_FLAG      true or false ("false", "no", 0 are refused)
 *   FIELD_TRI       true, false, "yes", "no" or "unknown"
 * The content checks (lengths, codes in the database, calendar dates) stay in
 * intake_check; this table decides only the JSON type and range. */
#ifndef SOKUHO_FIELDS_H
#define SOKUHO_FIELDS_H

#include <jansson.h>

enum field_type { FIELD_TEXT, FIELD_CODE, FIELD_DATETIME, FIELD_CODES, FIELD_INT, FIELD_FLAG, FIELD_TRI };

#define FIELD_API 1u  /* sent by the JSON API */
#define FIELD_FORM 2u /* sent by the web form */

struct incident_field {
	const char *name;    /* the form's and intake's name: "pd_persons" */
	const char *json;    /* the API's path: "personal_data.persons" */
	enum field_type type;
	long long min, max;  /* FIELD_INT only */
	unsigned where;      /* FIELD_API | FIELD_FORM */
	const char *msg_key; /* catalog key of the wrong-type message */
	const char *label;   /* catalog key of the field's label on the report form */
};

/* The table, ended by an entry whose name is NULL. */
extern const struct incident_field incident_fields[];

/* The entry named name (form name or API path), or NULL. */
const struct incident_field *incident_field_find(const char *name);

/* Checks the JSON types of an API body against the table and converts it into
 * the flat object of strings intake_check reads (personal data nested under
 * "personal_data" becomes pd_*; integers become decimal strings; FIELD_TRI
 * booleans become "yes"/"no"; FIELD_FLAG true becomes "1", false ""). For
 * each value of the wrong type sets errors[API path] = catalog key and leaves
 * the field out of the result. A key the table does not know is refused with
 * "field_err_unknown". Caller owns the result. */
json_t *fields_from_json(const json_t *body, json_t *errors);

/* A date-time as the API takes it, RFC 3339: YYYY-MM-DDTHH:MM:SS, optional
 * fraction of a second, then Z or +hh:mm / -hh:mm (hours ≤ 23, minutes and
 * seconds ≤ 59; the calendar date is checked by the database). With
 * form_style the web form's Japan-time format is also taken: a space or T,
 * seconds optional, offset optional. Returns 1 when s has the shape. */
int fields_datetime_shape(const char *s, int form_style);

#endif
