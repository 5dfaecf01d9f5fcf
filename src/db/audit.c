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

int audit_verify(PGconn *conn, FILE *out)
{
	/* The same expression as the trigger audit_event_chain (sql/0004). */
	PGresult *r = PQexec(
		conn,
		"SELECT seq, kind, to_char(at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'), "
		"  hash = sha256(prev_hash || convert_to(concat_ws('|', seq, "
		"    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), actor_id, kind, "
		"    host(ip), detail::text, incident_id), 'UTF8')) AS row_ok, "
		"  prev_hash = coalesce(lag(hash) OVER w, '\\x'::bytea) AS link_ok, "
		"  seq = row_number() OVER w AS seq_ok "
		"FROM audit_event WINDOW w AS (ORDER BY seq) ORDER BY seq");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r), rc = 0;
	for (int i = 0; i < n; i++) {
		const char *what = PQgetvalue(r, i, 3)[0] != 't'   ? "its content was changed"
				   : PQgetvalue(r, i, 4)[0] != 't' ? "the event before it was changed or removed"
				   : PQgetvalue(r, i, 5)[0] != 't' ? "events before it are missing"
								   : NULL;
		if (what) {
			fprintf(out,
				"audit log broken at event %s (%s, %s): %s; the %d events before it "
				"are intact\n",
				PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), what, i);
			rc = 1;
			break;
		}
	}
	if (rc == 0)
		fprintf(out, "audit log intact: %d events checked\n", n);
	PQclear(r);
	return rc;
}
