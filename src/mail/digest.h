/* The daily digest: once a day from 08:00 Japan time, one mail per CISO and
 * auditor (rank 0, or the first deputy present while one is away) with the
 * open and overdue counts, the reports of the last day still in the
 * reporting duty, the deadlines of the next seven days and the audit log's
 * newest signed checkpoint (issue 17), queued in the outbox like every mail
 * (template daily_digest). */
#ifndef SOKUHO_MAIL_DIGEST_H
#define SOKUHO_MAIL_DIGEST_H

#include <libpq-fe.h>

/* Queues today's digest when it is due and not queued yet (the dedup key
 * day × person makes every later call a no-op; most calls cost one cheap
 * look). base is the site's address for the incident links. A failure is
 * logged (digest_failed) and the next call tries again. */
void digest_enqueue(PGconn *c, const char *base);

#endif
