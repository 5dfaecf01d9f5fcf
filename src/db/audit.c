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
	struct db_err e;
	return audit_append(conn, &e, actor_id, kind, ip, incident_id, detail) < 0 ? -1 : 0;
}

enum db_qs audit_append(PGconn *conn, struct db_err *e, int actor_id, const char *kind,
			const char *ip, long long incident_id, const json_t *detail)
{
	char actor[16], inc[24];
	snprintf(actor, sizeof actor, "%d", actor_id);
	snprintf(inc, sizeof inc, "%lld", incident_id);
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	/* The incident column exists from migration 0004 on; events before
	 * any incident exists keep the shorter statement. */
	const char *params[5] = {actor_id > 0 ? actor : NULL, kind, ip, d ? d : "{}", inc};
	enum db_qs qs = db_exec(conn, e,
				incident_id > 0
					? "INSERT INTO audit_event (actor_id, kind, ip, detail, "
					  "incident_id) VALUES ($1, $2, $3::inet, $4::jsonb, $5)"
					: "INSERT INTO audit_event (actor_id, kind, ip, detail) "
					  "VALUES ($1, $2, $3::inet, $4::jsonb)",
				incident_id > 0 ? 5 : 4, params, NULL);
	if (qs < 0)
		log_event(LOG_ERROR, "audit_failed", "kind=%s error=%s", log_quote(0, kind),
			  log_quote(1, e->msg));
	free(d);
	return qs;
}

int audit_verify(PGconn *conn, FILE *out)
{
	/* Each place of the chain recomputed with the one digest, audit_digest
	 * (sql/0013_audit_sealer.sql), that the sealer used. */
	PGresult *r = PQexec(
		conn,
		"SELECT c.seq, c.event_id, e.kind, "
		"  to_char(e.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'), "
		"  e.seq IS NOT NULL AS present, "
		"  e.seq IS NOT NULL AND c.hash = audit_digest(c.seq, c.prev_hash, e) AS row_ok, "
		"  c.prev_hash = coalesce(lag(c.hash) OVER w, '\\x'::bytea) AS link_ok, "
		"  c.seq = row_number() OVER w AS seq_ok "
		"FROM audit_chain c LEFT JOIN audit_event e ON e.seq = c.event_id "
		"WINDOW w AS (ORDER BY c.seq) ORDER BY c.seq");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r), rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		const char *what =
			PQgetvalue(r, i, 4)[0] != 't'	? "it was removed from the log"
			: PQgetvalue(r, i, 7)[0] != 't' ? "places of the chain before it are missing"
			: PQgetvalue(r, i, 6)[0] != 't' ? "the place before it was changed, removed or inserted"
			: PQgetvalue(r, i, 5)[0] != 't' ? "it was changed or moved from its place"
							: NULL;
		if (!what)
			continue;
		fprintf(out,
			"audit log broken at event %s (place %s%s%s%s%s): %s; the %d events before it "
			"are intact\n",
			PQgetvalue(r, i, 1), PQgetvalue(r, i, 0), PQgetisnull(r, i, 2) ? "" : ", ",
			PQgetvalue(r, i, 2), PQgetisnull(r, i, 3) ? "" : ", ", PQgetvalue(r, i, 3), what,
			i);
		rc = 1;
	}
	PQclear(r);
	if (rc != 0)
		return rc;
	r = PQexec(conn, "SELECT count(*) FROM audit_event e "
			 "WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq)");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	fprintf(out, "audit log intact: %d events checked, %s pending (not yet sealed)\n", n,
		PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}
