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

/* Columns of the verify query. */
enum { V_SEQ, V_EVENT, V_KIND, V_AT, V_PRESENT, V_ROW, V_LINK, V_PLACE, V_WAS_BEFORE, V_WAS_AFTER,
       V_MISSING };

static void verify_name(FILE *out, PGresult *r, int i)
{
	fprintf(out, "audit log broken at event %s (place %s", PQgetvalue(r, i, V_EVENT),
		PQgetvalue(r, i, V_SEQ));
	if (!PQgetisnull(r, i, V_KIND))
		fprintf(out, ", %s, %s", PQgetvalue(r, i, V_KIND), PQgetvalue(r, i, V_AT));
	fputs("): ", out);
}

static int is_true(PGresult *r, int i, int col)
{
	return !PQgetisnull(r, i, col) && PQgetvalue(r, i, col)[0] == 't';
}

static int verify_chain(PGconn *conn, FILE *out)
{
	/* Each place of the chain recomputed with the one digest, audit_digest
	 * (sql/0013_audit_sealer.sql), that the sealer used. A place whose
	 * hash is wrong is tried one place up and down as well, to tell an
	 * event moved by an insertion or a removal before it from a changed
	 * one. */
	PGresult *r = PQexec(
		conn,
		"SELECT seq, event_id, kind, at, present, row_ok, link_ok, seq_ok, "
		"  CASE WHEN NOT row_ok AND present THEN hash = audit_digest(seq - 1, prev_hash, e) END, "
		"  CASE WHEN NOT row_ok AND present THEN hash = audit_digest(seq + 1, prev_hash, e) END, "
		"  count(*) FILTER (WHERE NOT present) OVER () "
		"FROM (SELECT c.seq, c.event_id, c.hash, c.prev_hash, e, e.kind, "
		"  to_char(e.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS at, "
		"  e.seq IS NOT NULL AS present, "
		"  e.seq IS NOT NULL AND c.hash = audit_digest(c.seq, c.prev_hash, e) AS row_ok, "
		"  c.prev_hash = coalesce(lag(c.hash) OVER w, '\\x'::bytea) AS link_ok, "
		"  c.seq = row_number() OVER w AS seq_ok "
		"  FROM audit_chain c LEFT JOIN audit_event e ON e.seq = c.event_id "
		"  WINDOW w AS (ORDER BY c.seq)) v ORDER BY seq");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r), rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		int row = is_true(r, i, V_ROW), link = is_true(r, i, V_LINK);
		rc = 1;
		if (!is_true(r, i, V_PRESENT)) {
			verify_name(out, r, i);
			fprintf(out, "it was removed from the log (%s of the %d events the chain names "
				"are missing)",
				PQgetvalue(r, i, V_MISSING), n);
		} else if (!is_true(r, i, V_PLACE)) {
			verify_name(out, r, i);
			fputs("places of the chain before it are missing", out);
		} else if (!link && !row && i > 0 && is_true(r, i, V_WAS_BEFORE)) {
			/* It was one place further up: the event before it came
			 * in later. */
			i--;
			verify_name(out, r, i);
			fprintf(out, "it was inserted into the chain (event %s after it was at its "
				"place)",
				PQgetvalue(r, i + 1, V_EVENT));
		} else if (!link && !row && is_true(r, i, V_WAS_AFTER)) {
			verify_name(out, r, i);
			fprintf(out, "the event before it was removed from the chain (it was at place "
				"%lld)",
				atoll(PQgetvalue(r, i, V_SEQ)) + 1);
		} else if (!link && row && i > 0) {
			/* This place is right, the one before it is not what it
			 * chained to: that one was rewritten. */
			i--;
			verify_name(out, r, i);
			fputs("it was changed and its place in the chain rewritten", out);
		} else if (!link) {
			verify_name(out, r, i);
			fputs("the place before it was changed, removed or inserted", out);
		} else if (!row) {
			verify_name(out, r, i);
			fputs("it was changed or moved from its place", out);
		} else {
			rc = 0;
			continue;
		}
		fprintf(out, "; the %d events before it are intact\n", i);
	}
	PQclear(r);
	if (rc != 0)
		return rc;
	/* Events not in the chain: each must be queued for the sealer (the
	 * trigger queues it in its own transaction), and each queue row must
	 * name an event. */
	r = PQexec(conn,
		   "SELECT (SELECT count(*) FROM audit_queue q JOIN audit_event e "
		   "        ON e.seq = q.event_id), "
		   "  (SELECT min(e.seq) FROM audit_event e WHERE NOT EXISTS "
		   "    (SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq) AND NOT EXISTS "
		   "    (SELECT 1 FROM audit_queue q WHERE q.event_id = e.seq)), "
		   "  (SELECT min(q.event_id) FROM audit_queue q WHERE NOT EXISTS "
		   "    (SELECT 1 FROM audit_event e WHERE e.seq = q.event_id) AND NOT EXISTS "
		   "    (SELECT 1 FROM audit_chain c WHERE c.event_id = q.event_id))");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (!PQgetisnull(r, 0, 1)) {
		fprintf(out, "audit log broken at event %s (not sealed): it is neither in the chain "
			"nor queued for the sealer (its queue row was removed)\n",
			PQgetvalue(r, 0, 1));
		rc = 1;
	} else if (!PQgetisnull(r, 0, 2)) {
		fprintf(out, "audit log broken at event %s (not sealed): it was queued for the "
			"sealer and removed from the log before it was sealed\n",
			PQgetvalue(r, 0, 2));
		rc = 1;
	} else {
		fprintf(out, "audit log intact: %d events checked, %s pending (not yet sealed)\n",
			n, PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

int audit_verify(PGconn *conn, FILE *out)
{
	/* One snapshot for every check: an event and its queue row, a queue
	 * row and the chain place that replaces it, commit together. */
	PGresult *r = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (!db_ok(r)) {
		fprintf(out, "audit verify: database error: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int rc = verify_chain(conn, out);
	PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}
