/* Who is told about a new report: the section's security manager, the
 * system's manager when a system is named, and the CSIRT (the city's single
 * point of contact). Mail itself is sent by the mail subsystem; this answers
 * the question for pages. */
#ifndef SOKUHO_NOTIFY_H
#define SOKUHO_NOTIFY_H

#include <jansson.h>
#include <libpq-fe.h>

/* Returns an array of {"title_ja", "title_en", "names" (string or null)} in
 * the order above, for the incident's section and system ids as strings ("0"
 * or NULL for none). Caller owns the result; never NULL. */
json_t *notify_recipients_json(PGconn *conn, const char *section_id, const char *system_id);

#endif
