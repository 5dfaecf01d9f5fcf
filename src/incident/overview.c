#include "overview.h"

#include <stdio.h>

#include "db/db.h"

static const char figures_sql[] =
	"SELECT (SELECT count(*) FROM incident WHERE closed_at IS NULL) AS open, "
	"  (SELECT count(*) FROM incident i WHERE acknowledged_at IS NULL AND closed_at IS NULL "
	"    AND NOT EXISTS (SELECT 1 FROM outside_report q WHERE q.incident_id = i.id "
	"      AND q.state = 'waiting')) AS unacknowledged, "
	"  (SELECT count(*) FROM workflow_run WHERE finished_at IS NULL AND escalation_level > 0) "
	"    AS escalating, "
	"  (SELECT count(*) FROM legal_deadline WHERE met_at IS NULL AND due_at < (SELECT sokuho_now())) "
	"    AS legal_overdue, "
	"  (SELECT count(*) FROM legal_deadline WHERE met_at IS NULL AND due_at >= (SELECT sokuho_now()) "
	"    AND due_at < (SELECT sokuho_now()) + interval '7 days') AS legal_week, "
	"  (SELECT count(*) FROM audit_event WHERE kind = 'workflow.escalated' "
	"    AND at > (SELECT sokuho_now()) - interval '24 hours') AS escalations_24h, "
	"  (SELECT count(*) FROM outbox WHERE status = 'dead') AS dead_mail, "
	"  to_char((SELECT sokuho_now()) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS now";

/* Open runs by workflow and state, the state's title from the definition.
 * Counted first, titled after: reading the definitions' JSON once per group,
 * not once per run. */
static const char by_state_sql[] =
	"SELECT d.name AS workflow, max(d.definition -> 'title' ->> 'ja') AS workflow_ja, "
	"  x.state, max(coalesce(d.definition -> 'states' -> x.state -> 'title' ->> 'ja', x.state)) "
	"  AS state_ja, max(d.definition -> 'states' -> x.state -> 'title' ->> 'en') AS state_en, "
	"  sum(x.n) AS n, d.name || ':' || x.state AS filter "
	"FROM (SELECT def_id, state, count(*) AS n FROM workflow_run WHERE finished_at IS NULL "
	"      GROUP BY def_id, state) x JOIN workflow_def d ON d.id = x.def_id "
	"GROUP BY d.name, x.state ORDER BY d.name, n DESC";

static const char by_severity_sql[] =
	"SELECT i.severity, count(*) AS n FROM incident i WHERE i.closed_at IS NULL "
	"GROUP BY i.severity ORDER BY i.severity DESC NULLS LAST";

static const char by_category_sql[] =
	"SELECT c.key, c.title_ja, c.title_en, count(*) AS n FROM incident i "
	"JOIN category c ON c.key = i.category WHERE i.closed_at IS NULL "
	"GROUP BY c.key, c.title_ja, c.title_en, c.sort ORDER BY n DESC, c.sort";

static const char by_site_sql[] =
	"SELECT s.code, coalesce(s.name_ja, '（未記入）') AS name_ja, "
	"  coalesce(s.name_en, '(not given)') AS name_en, count(*) AS n "
	"FROM incident i LEFT JOIN site s ON s.id = i.site_id WHERE i.closed_at IS NULL "
	"GROUP BY s.code, s.name_ja, s.name_en, s.sort ORDER BY n DESC, s.sort";

/* What is late, ranked by the law (issue 18): missed legal deadlines
 * first, then workflow deadlines past due, then escalating runs that have
 * no deadline listed; within each, the most late first. Each item once: a
 * workflow deadline that is also a legal one (the PPC's 速報 is both) is
 * listed as the legal one, and an escalating run with a missed deadline is
 * that deadline's row with the escalation level on it. "Late by" counts
 * from the deadline, or for a ladder alone from its first rung. The thirty
 * most urgent are chosen first, then titled from the definitions. */
static const char late_sql[] =
	"SELECT i.ref, i.summary, x.kind, "
	"  coalesce(x.what_ja, d.definition -> 'states' -> x.state -> 'title' ->> 'ja', x.state) "
	"  AS what_ja, coalesce(x.what_en, d.definition -> 'states' -> x.state -> 'title' ->> 'en') "
	"  AS what_en, nullif(x.level, 0) AS level, x.late_s "
	"FROM ("
	" SELECT l.incident_id, 'legal' AS kind, NULL::int AS def_id, NULL AS state, "
	"   l.title_ja AS what_ja, l.title_en AS what_en, 0 AS level, 0 AS rank, "
	"   extract(epoch FROM (SELECT sokuho_now()) - l.due_at)::bigint AS late_s "
	" FROM legal_deadline l WHERE l.met_at IS NULL AND l.due_at < (SELECT sokuho_now()) "
	" UNION ALL "
	" SELECT r.incident_id, 'deadline', NULL, NULL, w.title_ja, w.title_en, "
	"   r.escalation_level, 1, extract(epoch FROM (SELECT sokuho_now()) - w.due_at)::bigint "
	" FROM workflow_deadline w JOIN workflow_run r ON r.id = w.run_id AND r.fence = w.fence "
	" WHERE w.met_at IS NULL AND w.due_at < (SELECT sokuho_now()) AND r.finished_at IS NULL "
	"   AND NOT EXISTS (SELECT 1 FROM legal_deadline l WHERE l.incident_id = r.incident_id "
	"     AND l.key = w.key) "
	" UNION ALL "
	" SELECT r.incident_id, 'escalation', r.def_id, r.state, NULL, NULL, r.escalation_level, 2, "
	"   extract(epoch FROM (SELECT sokuho_now()) - coalesce((SELECT min(t.fired_at) FROM timer t "
	"     WHERE t.run_id = r.id AND t.fence = r.fence AND t.kind = 'escalation'), "
	"     r.entered_at))::bigint "
	" FROM workflow_run r WHERE r.finished_at IS NULL AND r.escalation_level > 0 "
	"   AND NOT EXISTS (SELECT 1 FROM workflow_deadline w WHERE w.run_id = r.id AND "
	"     w.fence = r.fence AND w.met_at IS NULL AND w.due_at < (SELECT sokuho_now())) "
	" ORDER BY rank, late_s DESC LIMIT 30) x "
	"JOIN incident i ON i.id = x.incident_id LEFT JOIN workflow_def d ON d.id = x.def_id "
	"ORDER BY x.rank, x.late_s DESC";

static const char unacked_sql[] =
	"SELECT i.ref, i.summary, s.name_ja AS section_ja, "
	"  to_char(i.reported_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS reported, "
	"  extract(epoch FROM (SELECT sokuho_now()) - i.reported_at)::bigint AS age_s, "
	"  EXISTS (SELECT 1 FROM workflow_run r WHERE r.incident_id = i.id "
	"    AND r.finished_at IS NULL AND r.escalation_level > 0) AS escalating "
	"FROM incident i LEFT JOIN org_unit s ON s.id = i.section_id "
	"WHERE i.acknowledged_at IS NULL AND i.closed_at IS NULL "
	/* outside reports waiting for intake have their own box */
	"  AND NOT EXISTS (SELECT 1 FROM outside_report q WHERE q.incident_id = i.id "
	"    AND q.state = 'waiting') "
	"ORDER BY i.reported_at LIMIT 20";

static const char legal_sql[] =
	"SELECT i.ref, i.summary, l.title_ja, l.title_en, "
	"  to_char(l.due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS due, "
	"  l.met_at IS NULL AND l.due_at < (SELECT sokuho_now()) AS overdue, "
	"  extract(epoch FROM l.due_at - (SELECT sokuho_now()))::bigint AS left_s, "
	"  l.due_at < (SELECT sokuho_now()) + interval '24 hours' AS soon, "
	/* a report submitted in the last 7 days stays listed as met (late too) */
	"  to_char(s.submitted_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS submitted, "
	"  s.late AS submitted_late, s.ppc_number AS number "
	"FROM legal_deadline l JOIN incident i ON i.id = l.incident_id "
	"LEFT JOIN legal_submission s ON s.deadline_id = l.id "
	"WHERE l.met_at IS NULL OR s.recorded_at > (SELECT sokuho_now()) - interval '7 days' "
	"ORDER BY l.met_at IS NOT NULL, l.due_at LIMIT 20";

static const char escalations_sql[] =
	"SELECT i.ref, i.summary, "
	"  to_char(a.at AT TIME ZONE 'Asia/Tokyo', 'MM-DD HH24:MI') AS at, "
	"  a.detail ->> 'level' AS level, "
	"  (SELECT coalesce(d.definition -> 'states' -> (a.detail ->> 'state') -> 'title' ->> 'ja', "
	"     a.detail ->> 'state') FROM workflow_def d WHERE d.name = a.detail ->> 'workflow' "
	"   ORDER BY d.version DESC LIMIT 1) AS state_ja "
	"FROM audit_event a JOIN incident i ON i.id = a.incident_id "
	"WHERE a.kind = 'workflow.escalated' AND a.at > (SELECT sokuho_now()) - interval '24 hours' "
	"ORDER BY a.at DESC LIMIT 20";

static const char dead_mail_sql[] =
	"SELECT o.email, o.template, i.ref, "
	"  to_char(o.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS created, "
	"  o.last_error "
	"FROM outbox o LEFT JOIN incident i ON i.id = o.incident_id "
	"WHERE o.status = 'dead' ORDER BY o.created_at DESC LIMIT 10";

/* Roles whose holder and every deputy are away today (sql/0029_absence.sql):
 * nobody is told there until someone is back or a deputy is named. */
static const char uncovered_sql[] =
	"SELECT r.title_ja, r.title_en, u.scope_kind, "
	"  CASE u.scope_kind WHEN 'city' THEN '市全体' WHEN 'system' THEN (SELECT s.name_ja FROM "
	"    info_system s WHERE s.id = u.scope_id) ELSE (SELECT o.name_ja FROM org_unit o WHERE "
	"    o.id = u.scope_id) END AS scope_ja, "
	"  CASE u.scope_kind WHEN 'city' THEN 'the city' WHEN 'system' THEN (SELECT s.name_en "
	"    FROM info_system s WHERE s.id = u.scope_id) ELSE (SELECT o.name_en FROM org_unit o "
	"    WHERE o.id = u.scope_id) END AS scope_en, u.absent_ja, u.absent_en "
	"FROM role_uncovered u JOIN role r ON r.name = u.role "
	"ORDER BY r.sort, u.scope_kind, u.scope_id";

static const char months_sql[] =
	"SELECT to_char(m, 'YYYY-MM') AS month, to_char(m, 'FMMM') AS label "
	"FROM generate_series(date_trunc('month', (SELECT sokuho_now()) AT TIME ZONE 'Asia/Tokyo') "
	"  - interval '11 months', date_trunc('month', (SELECT sokuho_now()) AT TIME ZONE 'Asia/Tokyo'), "
	"  interval '1 month') m";

/* The first instant of the twelve months, for the index on reported_at. */
#define TREND_START                                                                        \
	"(date_trunc('month', (SELECT sokuho_now()) AT TIME ZONE 'Asia/Tokyo') - interval '11 months') " \
	"AT TIME ZONE 'Asia/Tokyo'"

static const char per_month_sql[] =
	"SELECT to_char(reported_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS month, category, "
	"  count(*) AS n FROM incident WHERE reported_at >= " TREND_START " GROUP BY 1, 2";

/* Hours from the report to each milestone, median and 90th percentile, by
 * month of report. */
static const char times_sql[] =
	"SELECT to_char(reported_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS month, "
	"  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - "
	"    reported_at)) / 3600 AS ack50, "
	"  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - "
	"    reported_at)) / 3600 AS ack90, "
	"  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM contained_at - "
	"    reported_at)) / 3600 AS contain50, "
	"  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM contained_at - "
	"    reported_at)) / 3600 AS contain90, "
	"  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - "
	"    reported_at)) / 3600 AS close50, "
	"  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - "
	"    reported_at)) / 3600 AS close90 "
	"FROM incident WHERE reported_at >= " TREND_START " GROUP BY 1";

/* A named query of a page part: its rows go under name. */
struct part {
	const char *name, *sql;
};

/* Adds each part's rows to d; NULL (d released) when a query failed. */
static json_t *add_parts(PGconn *c, json_t *d, const struct part *parts, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		json_t *rows = db_rows(c, parts[k].sql, 0, NULL);
		if (!rows) {
			json_decref(d);
			return NULL;
		}
		json_object_set_new(d, parts[k].name, rows);
	}
	return d;
}

json_t *overview_live(PGconn *c)
{
	json_t *fig = db_row(c, figures_sql, 0, NULL);
	if (!fig)
		return NULL;
	json_t *d = json_pack("{s:o}", "figures", fig);
	static const struct part parts[] = {
		{"by_state", by_state_sql},	  {"by_severity", by_severity_sql},
		{"by_category", by_category_sql}, {"by_site", by_site_sql},
		{"late", late_sql},		  {"unacknowledged", unacked_sql},
		{"legal", legal_sql},		  {"escalations", escalations_sql},
		{"dead_mail", dead_mail_sql},	  {"uncovered", uncovered_sql},
	};
	return add_parts(c, d, parts, sizeof parts / sizeof parts[0]);
}

json_t *overview_trend_rows(PGconn *c)
{
	json_t *now = db_row(c,
			     "SELECT to_char((SELECT sokuho_now()) AT TIME ZONE 'Asia/Tokyo', "
			     "'YYYY-MM-DD HH24:MI') AS at",
			     0, NULL);
	if (!now)
		return NULL;
	json_t *d = json_pack("{s:O}", "now", json_object_get(now, "at"));
	json_decref(now);
	static const struct part parts[] = {
		{"months", months_sql},
		{"categories", "SELECT key, title_ja, title_en FROM category ORDER BY sort"},
		{"counts", per_month_sql},
		{"times", times_sql},
	};
	return add_parts(c, d, parts, sizeof parts / sizeof parts[0]);
}

int overview_stamp(PGconn *c, char *out, size_t size)
{
	json_t *v = db_row(c,
			   "SELECT (SELECT coalesce(max(seq), 0) FROM audit_event) AS a, "
			   "  (SELECT coalesce(max(id), 0) FROM outbox) AS o, "
			   "  (SELECT count(*) FROM outbox WHERE status = 'dead') AS d, "
			   "  (SELECT count(*) FROM timer WHERE fired_at IS NULL "
			   "   AND failed_at IS NOT NULL) AS f, "
			   "  to_char((SELECT sokuho_now()), 'YYYYMMDDHH24MI') AS m",
			   0, NULL);
	if (!v)
		return -1;
	snprintf(out, size, "%s-%s-%s-%s-%s", json_string_value(json_object_get(v, "a")),
		 json_string_value(json_object_get(v, "o")),
		 json_string_value(json_object_get(v, "d")),
		 json_string_value(json_object_get(v, "f")),
		 json_string_value(json_object_get(v, "m")));
	json_decref(v);
	return 0;
}
