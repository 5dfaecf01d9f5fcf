/* What the outbox holds, for the pages that show it: an acknowledge link's
 * mail and the admin's list. Reads only. */
#ifndef SOKUHO_MAIL_OUTBOX_H
#define SOKUHO_MAIL_OUTBOX_H

#include <jansson.h>
#include <libpq-fe.h>

/* The mail outbox_id of an acknowledge link, with what its page shows: id,
 * run_id, fence, recipient_id, used (boolean), ref, summary, recipient
 * (name), recipient_active (boolean). NULL when there is no such mail or on
 * a database error. Caller owns. */
json_t *outbox_ack_mail(PGconn *c, long long outbox_id);

/* The numbers of queued, sent and dead mails (object), and the latest
 * limit rows, dead first, then queued (array), for the admin's outbox page.
 * NULL on a database error. Caller owns. */
json_t *outbox_counts(PGconn *c);
json_t *outbox_recent(PGconn *c, int limit);

#endif
