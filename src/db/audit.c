/* Writing audit events (see audit.h). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "db.h"

int audit_log(PGconn *conn, int actor_id, const char *kind, const char *ip, const json_t *detail)
{
	char actor[16];
	snprintf(actor, sizeof actor, "%d", actor_id);
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	const char *params[4] = {actor_id > 0 ? actor : NULL, kind, ip, d ? d : "{}"};
	PGresult *r = PQexecParams(conn,
				   "INSERT INTO audit_event (actor_id, kind, ip, detail) "
				   "VALUES ($1, $2, $3::inet, $4::jsonb)",
				   4, NULL, params, NULL, NULL, 0);
	int ok = db_ok(r);
	if (!ok)
		log_event(LOG_ERROR, "audit_failed", "kind=%s error=%s", log_quote(0, kind),
			  log_quote(1, PQresultErrorMessage(r)));
	PQclear(r);
	free(d);
	return ok ? 0 : -1;
}
