/* Writing audit events (see audit.h). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "db.h"

int audit_log(PGconn *conn, int actor_id, const char *kind, const char *ip, const json_t *detail)
{
	return audit_log_incident(conn, actor_id, kind, ip, 0, detail);
}

int audit_log_incident(PGconn *conn, int actor_id, const char *kind, const char *ip,
		       long long incident_id, const json_t *detail)
{
	char actor[16], inc[24];
	snprintf(actor, sizeof actor, "%d", actor_id);
	snprintf(inc, sizeof inc, "%lld", incident_id);
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	/* The incident column exists from migration 0004 on; events before
	 * any incident exists keep the shorter statement. */
	const char *params[5] = {actor_id > 0 ? actor : NULL, kind, ip, d ? d : "{}", inc};
	PGresult *r = PQexecParams(conn,
				   incident_id > 0
					   ? "INSERT INTO audit_event (actor_id, kind, ip, detail, "
					     "incident_id) VALUES ($1, $2, $3::inet, $4::jsonb, $5)"
					   : "INSERT INTO audit_event (actor_id, kind, ip, detail) "
					     "VALUES ($1, $2, $3::inet, $4::jsonb)",
				   incident_id > 0 ? 5 : 4, NULL, params, NULL, NULL, 0);
	int ok = db_ok(r);
	if (!ok)
		log_event(LOG_ERROR, "audit_failed", "kind=%s error=%s", log_quote(0, kind),
			  log_quote(1, PQresultErrorMessage(r)));
	PQclear(r);
	free(d);
	return ok ? 0 : -1;
}
