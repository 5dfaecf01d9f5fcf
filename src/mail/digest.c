/* The daily digest of the CISO and the auditor (see digest.h). */
#include "digest.h"

#include "core/log.h"
#include "db/db.h"

void digest_enqueue(PGconn *c, const char *base)
{
	/* To the CISO and the auditors, or the acting one (the first deputy
	 * present) of each while one is away (sql/0029_absence.sql). Most calls
	 * find today's digest queued already: a cheap look first, so
	 * that the facts (160 ms of work with a million incidents, once per batch of
	 * 50 mails; docs/benchmarks.md) are gathered only when one is to be queued. */
	PGresult *q = PQexec(
		c, "SELECT 1 FROM (SELECT * FROM resolve_role_rung('ciso', NULL, NULL, 0) UNION ALL "
		   "  SELECT * FROM resolve_role_rung('auditor', NULL, NULL, 0)) x "
		   "WHERE x.absence_id IS NULL AND (sokuho_now() AT TIME ZONE 'Asia/Tokyo')::time >= '08:00' "
		   "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedup_key = 'digest:' || "
		   "  (sokuho_now() AT TIME ZONE 'Asia/Tokyo')::date || ':p' || x.person_id) LIMIT 1");
	int due = !db_ok(q) || PQntuples(q) > 0;
	PQclear(q);
	if (!due)
		return;
	const char *p[1] = {base};
	PGresult *r = PQexecParams(
		c,
		"WITH today AS (SELECT (sokuho_now() AT TIME ZONE 'Asia/Tokyo')::date AS d), "
		"who AS (SELECT DISTINCT p.id, p.email, p.lang, p.display_name FROM "
		"  (SELECT * FROM resolve_role_rung('ciso', NULL, NULL, 0) UNION ALL "
		"   SELECT * FROM resolve_role_rung('auditor', NULL, NULL, 0)) x "
		"  JOIN person p ON p.id = x.person_id WHERE x.absence_id IS NULL), "
		"facts AS (SELECT jsonb_build_object("
		"  'date', (SELECT to_char(d, 'YYYY-MM-DD') FROM today), "
		"  'open_count', (SELECT count(DISTINCT incident_id) FROM workflow_run WHERE "
		"    finished_at IS NULL)::text, "
		"  'overdue_count', (SELECT count(*) FROM workflow_deadline w JOIN workflow_run r ON "
		"    r.id = w.run_id AND r.fence = w.fence WHERE w.met_at IS NULL AND w.due_at < "
		"    sokuho_now())::text, "
		"  'items', coalesce((SELECT jsonb_agg(jsonb_build_object('ref', i.ref, 'summary', "
		"    i.summary, 'state_ja', coalesce(d.definition -> 'states' -> r.state -> 'title' "
		"    ->> 'ja', r.state), 'state_en', coalesce(d.definition -> 'states' -> r.state -> "
		"    'title' ->> 'en', r.state), 'url', $1 || '/incidents/' "
		"    || i.ref) ORDER BY i.id DESC) FROM workflow_run r JOIN incident i ON i.id = "
		"    r.incident_id JOIN workflow_def d ON d.id = r.def_id WHERE r.finished_at IS NULL "
		"    AND d.name = 'reporting-duty' AND i.reported_at > sokuho_now() - interval "
		"    '1 day'), '[]'::jsonb), "
		"  'deadlines', coalesce((SELECT jsonb_agg(jsonb_build_object('ref', i.ref, "
		"    'deadline_ja', w.title_ja, 'deadline_en', w.title_en, 'due', to_char(w.due_at AT "
		"    TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), 'days_left', greatest(0, "
		"    ceil(extract(epoch FROM w.due_at - sokuho_now()) / 86400))::int::text) "
		"    ORDER BY w.due_at) FROM workflow_deadline w JOIN workflow_run r ON r.id = "
		"    w.run_id AND r.fence = w.fence JOIN incident i ON i.id = r.incident_id WHERE "
		"    w.met_at IS NULL AND w.due_at < sokuho_now() + interval '7 days'), '[]'::jsonb), "
		/* The audit log's newest signed checkpoint, as `sokuho audit
		 * checkpoint` prints it (src/db/audit_key.h): the day's copy
		 * outside the database (docs/audit.md). */
		"  'checkpoint', (SELECT 'sokuho-checkpoint v1 place=' || k.seq || ' hash=' || "
		"    encode(k.hash, 'hex') || ' at=' || to_char(k.at AT TIME ZONE 'UTC', "
		"    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ' key=' || k.key_id || ' sig=' || "
		"    translate(encode(k.signature, 'base64'), E'\\n', '') FROM audit_checkpoint k "
		"    ORDER BY k.at DESC, k.seq DESC LIMIT 1)) "
		"  AS data) "
		"INSERT INTO outbox (dedup_key, recipient_id, email, lang, template, data) "
		"SELECT 'digest:' || (SELECT d FROM today) || ':p' || who.id, who.id, who.email, "
		"  who.lang, 'daily_digest', facts.data FROM who, facts "
		"WHERE (sokuho_now() AT TIME ZONE 'Asia/Tokyo')::time >= '08:00' "
		"ON CONFLICT (dedup_key) DO NOTHING",
		1, NULL, p, NULL, NULL, 0);
	if (!db_ok(r))
		log_event(LOG_ERROR, "digest_failed", "error=%s", log_quote(0, PQresultErrorMessage(r)));
	PQclear(r);
}
