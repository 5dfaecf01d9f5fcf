/* What the outbox holds (see outbox.h). */
#include "outbox.h"

#include <stdio.h>

#include "db/db.h"

json_t *outbox_ack_mail(PGconn *c, long long outbox_id)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", outbox_id);
	return db_row(c,
		      "SELECT o.id, o.run_id, o.fence, o.recipient_id, "
		      "  o.ack_used_at IS NOT NULL AS used, i.ref, i.summary, "
		      "  p.display_name AS recipient, p.active AS recipient_active "
		      "FROM outbox o "
		      "JOIN incident i ON i.id = o.incident_id "
		      "JOIN person p ON p.id = o.recipient_id WHERE o.id = $1::bigint",
		      1, (const char *const[]){id});
}

json_t *outbox_counts(PGconn *c)
{
	return db_row(c,
		      "SELECT count(*) FILTER (WHERE status = 'queued') AS queued, "
		      "count(*) FILTER (WHERE status = 'sent') AS sent, "
		      "count(*) FILTER (WHERE status = 'dead') AS dead FROM outbox",
		      0, NULL);
}

json_t *outbox_recent(PGconn *c, int limit)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%d", limit);
	return db_rows(
		c,
		"SELECT o.id, o.status, o.status = 'dead' AS is_dead, o.status = 'queued' "
		"AS is_queued, o.email, o.template, o.attempts, o.last_error, o.message_id, "
		"i.ref, to_char(o.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
		"AS created, to_char(o.next_attempt_at AT TIME ZONE 'Asia/Tokyo', "
		"'YYYY-MM-DD HH24:MI:SS') AS next_attempt, to_char(o.sent_at AT TIME ZONE "
		"'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS sent FROM outbox o "
		"LEFT JOIN incident i ON i.id = o.incident_id "
		"ORDER BY (o.status = 'dead') DESC, (o.status = 'queued') DESC, o.id DESC "
		"LIMIT $1::int",
		1, (const char *const[]){lim});
}
