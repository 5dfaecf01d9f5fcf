/* The data of the printed reports and the annual review (see printout.h). */
#include "printout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/seal.h"

/* The string value of v, or def. */
static const char *str_or(const json_t *v, const char *def)
{
	const char *s = json_string_value(v);
	return s ? s : def;
}

/* db_rows that never gives NULL (an error is logged by db_rows and shows as
 * an empty list). Sets *failed on error when failed is not NULL. */
static json_t *rows(PGconn *c, const char *sql, int n, const char *const *p, int *failed)
{
	json_t *r = db_rows(c, sql, n, p);
	if (r)
		return r;
	if (failed)
		*failed = 1;
	return json_array();
}

/* Replaces the text column key of o, parsed as JSON (from json_agg), by the
 * parsed value under newkey (an empty array when NULL or bad). */
static void parse_json_column(json_t *o, const char *key, const char *newkey)
{
	const char *s = json_string_value(json_object_get(o, key));
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	json_object_set_new(o, newkey, v ? v : json_array());
	if (strcmp(key, newkey) != 0)
		json_object_del(o, key);
}

/* yes / no / unknown as {ja, en, yes, no, unknown}. */
static json_t *yes_no(const char *v)
{
	const char *ja = "不明", *en = "unknown";
	if (v && strcmp(v, "yes") == 0)
		ja = "あり・はい", en = "yes";
	else if (v && strcmp(v, "no") == 0)
		ja = "なし・いいえ", en = "no";
	return json_pack("{s:s, s:s, s:b, s:b, s:b}", "ja", ja, "en", en, "yes",
			 v && strcmp(v, "yes") == 0, "no", v && strcmp(v, "no") == 0, "unknown",
			 !v || (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0));
}

static const char *const pd_keys[] = {"pd_involved", "pd_sensitive", "pd_mynumber",
				      "pd_encrypted", "pd_malicious", "pd_financial", NULL};

static const char *const severity_ja[] = {"0 予兆のみ", "1 職員の業務に影響", "2 市の業務に影響",
					  "3 住民等に影響・個人情報の漏えい"};
static const char *const severity_en[] = {"0 sign only", "1 staff work affected",
					  "2 city business affected",
					  "3 residents or partners affected, or personal data leaked"};

/* Every fact of one incident, with the yes/no answers and the severity as
 * labelled objects. */
static const char incident_sql[] =
	"SELECT i.id::text AS id, i.ref, i.channel, i.summary, i.description, i.how_found, "
	"  i.category, c.title_ja AS category_ja, c.title_en AS category_en, "
	"  i.severity::text AS severity_n, "
	"  to_char(i.discovered_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS discovered, "
	"  to_char(i.occurred_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS occurred, "
	"  to_char(i.reported_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS reported, "
	"  to_char(i.acknowledged_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS acknowledged, "
	"  to_char(i.contained_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS contained, "
	"  to_char(i.closed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS closed, "
	"  si.name_ja AS site_ja, si.name_en AS site_en, s.name_ja AS section_ja, "
	"  s.name_en AS section_en, d.name_ja AS department_ja, d.name_en AS department_en, "
	"  (SELECT string_agg(CASE g WHEN 'mynumber' THEN 'マイナンバー利用事務系' "
	"     WHEN 'lgwan' THEN 'LGWAN接続系' WHEN 'internet' THEN 'インターネット接続系' "
	"     ELSE '不明' END, '、' ORDER BY o) FROM unnest(i.segments) WITH ORDINALITY u(g, o)) "
	"  AS segments_ja, "
	"  (SELECT string_agg(CASE g WHEN 'mynumber' THEN 'My Number' WHEN 'lgwan' THEN 'LGWAN' "
	"     WHEN 'internet' THEN 'Internet' ELSE 'unknown' END, ', ' ORDER BY o) "
	"     FROM unnest(i.segments) WITH ORDINALITY u(g, o)) AS segments_en, "
	"  sy.name_ja AS system_ja, sy.name_en AS system_en, nullif(i.system_text, '') AS system_text, "
	"  i.pd_involved, i.pd_persons::text AS pd_persons, nullif(i.pd_items, '') AS pd_items, "
	"  i.pd_sensitive, i.pd_mynumber, i.pd_encrypted, i.pd_malicious, i.pd_financial, "
	"  nullif(i.contractor, '') AS contractor, i.bcp, i.external_name, i.external_contact, "
	"  p.display_name AS reporter_name, p.login AS reporter_login, "
	"  p.kind = 'contractor' AS reporter_contractor, i.facts::text AS facts, "
	"  coalesce(i.section_id, 0)::text AS section_id, coalesce(i.system_id, 0)::text AS system_id "
	"FROM incident i JOIN category c ON c.key = i.category "
	"LEFT JOIN site si ON si.id = i.site_id LEFT JOIN org_unit s ON s.id = i.section_id "
	"LEFT JOIN org_unit d ON d.id = s.parent_id LEFT JOIN info_system sy ON sy.id = i.system_id "
	"LEFT JOIN person p ON p.id = i.reporter_id WHERE i.id = $1::bigint";

static json_t *load_incident(PGconn *c, const char *idtext)
{
	const char *p[1] = {idtext};
	json_t *inc = db_row(c, incident_sql, 1, p);
	if (!inc)
		return NULL;
	for (int k = 0; pd_keys[k]; k++)
		json_object_set_new(inc, pd_keys[k],
				    yes_no(json_string_value(json_object_get(inc, pd_keys[k]))));
	const char *sev = json_string_value(json_object_get(inc, "severity_n"));
	if (sev && sev[0] >= '0' && sev[0] <= '3' && !sev[1]) {
		int s = sev[0] - '0';
		json_object_set_new(inc, "severity",
				    json_pack("{s:s, s:s}", "ja", severity_ja[s], "en", severity_en[s]));
	}
	return inc;
}

/* A date as "2027-01-04(月)", or NULL. */
#define JDAY(col, as)                                                                     \
	"to_char(" col ", 'YYYY-MM-DD') || '(' || (ARRAY['日', '月', '火', '水', '木', '金', "  \
	"'土'])[extract(dow FROM " col ")::int + 1] || ')' AS " as

/* Legal deadlines: title, due date and whether (and when) they were met, and
 * the dates as the law counts them (sql/0027): the legal last day, the
 * internal target, the 速報's guidance edge. */
static const char legal_sql[] =
	"SELECT clock, key, title_ja, title_en, "
	"  to_char(due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS due, "
	"  " JDAY("last_day", "last_day") ", " JDAY("target_day", "target_day") ", "
	"  " JDAY("guide_until", "guide_until") ", "
	"  to_char(met_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS met, "
	"  CASE WHEN met_at <= due_at THEN '期限内に完了' WHEN met_at > due_at THEN '期限後に完了' "
	"    WHEN due_at < sokuho_now() THEN '期限超過（未了）' ELSE '未了（期限前）' END AS status_ja, "
	"  CASE WHEN met_at <= due_at THEN 'met on time' WHEN met_at > due_at THEN 'met late' "
	"    WHEN due_at < sokuho_now() THEN 'overdue (not met)' ELSE 'pending' END AS status_en, "
	"  met_at IS NULL AND due_at < sokuho_now() OR met_at > due_at AS late "
	"FROM legal_deadline WHERE incident_id = $1::bigint ORDER BY due_at, id";

json_t *printout_workflow_fields(PGconn *c, long long id)
{
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", id);
	const char *p[1] = {idtext};
	json_t *r = rows(c,
			 "SELECT DISTINCT ON (f.k) f.k AS name, f.v AS value "
			 "FROM workflow_transition t JOIN workflow_run r ON r.id = t.run_id, "
			 "  jsonb_each_text(t.fields) f(k, v) "
			 "WHERE r.incident_id = $1::bigint AND f.v <> '' ORDER BY f.k, t.at DESC, t.id DESC",
			 1, p, NULL);
	json_t *o = json_object();
	size_t i;
	json_t *row;
	json_array_foreach(r, i, row)
		json_object_set(o, json_string_value(json_object_get(row, "name")),
				json_object_get(row, "value"));
	json_decref(r);
	return o;
}

json_t *printout_base(PGconn *c, long long id)
{
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", id);
	json_t *inc = load_incident(c, idtext);
	if (!inc)
		return NULL;
	const char *p[1] = {idtext};
	json_t *d = json_object();
	json_t *legal = rows(c, legal_sql, 1, p, NULL);
	json_object_set_new(d, "has_legal", json_boolean(json_array_size(legal) > 0));
	json_object_set_new(d, "legal", legal);
	json_t *now = db_row(c,
			     "SELECT to_char(sokuho_now() AT TIME ZONE 'Asia/Tokyo', "
			     "'YYYY-MM-DD HH24:MI') AS at",
			     0, NULL);
	json_object_set(d, "printed_at", now ? json_object_get(now, "at") : json_null());
	json_decref(now);
	json_object_set_new(d, "incident", inc);
	return d;
}

static const char runs_sql[] =
	"SELECT r.id::text AS id, d.name, d.version::text AS version, "
	"  coalesce(d.definition->'title'->>'ja', d.name) AS title_ja, "
	"  coalesce(d.definition->'title'->>'en', d.name) AS title_en, r.state, "
	"  coalesce(d.definition->'states'->r.state->'title'->>'ja', r.state) AS state_ja, "
	"  coalesce(d.definition->'states'->r.state->'title'->>'en', r.state) AS state_en, "
	"  to_char(r.started_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS started, "
	"  to_char(r.finished_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS finished, "
	"  r.escalation_level::text AS escalation_level, "
	"  (SELECT json_agg(json_build_object("
	"     'at', to_char(t.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), "
	"     'from_ja', coalesce(d.definition->'states'->t.from_state->'title'->>'ja', t.from_state), "
	"     'to_ja', coalesce(d.definition->'states'->t.to_state->'title'->>'ja', t.to_state), "
	"     'to_en', coalesce(d.definition->'states'->t.to_state->'title'->>'en', t.to_state), "
	"     'action_ja', coalesce(d.definition->'states'->t.from_state->'actions'->t.action"
	"        ->'title'->>'ja', t.action), "
	"     'actor', coalesce(p.display_name, 'システム'), "
	"     'fields', (SELECT json_agg(json_build_object('name', coalesce((SELECT fd->'title'->>'ja' "
	"        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d.definition->'states'->t.from_state"
	"          ->'actions'->t.action->'fields') = 'array' THEN d.definition->'states'"
	"          ->t.from_state->'actions'->t.action->'fields' ELSE '[]'::jsonb END) fd "
	"        WHERE fd->>'name' = f.k LIMIT 1), f.k), 'value', f.v)) "
	"        FROM jsonb_each_text(t.fields) f(k, v))) ORDER BY t.at, t.id) "
	"   FROM workflow_transition t LEFT JOIN person p ON p.id = t.actor_id "
	"   WHERE t.run_id = r.id)::text AS transitions_json, "
	"  (SELECT json_agg(json_build_object('title_ja', wd.title_ja, 'title_en', wd.title_en, "
	"     'due', to_char(wd.due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), "
	"     'met', to_char(wd.met_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), "
	"     'status_ja', CASE WHEN wd.met_at <= wd.due_at THEN '期限内' "
	"        WHEN wd.met_at > wd.due_at THEN '期限後' WHEN wd.due_at < sokuho_now() "
	"        THEN '期限超過' ELSE '未了' END, "
	"     'status_en', CASE WHEN wd.met_at <= wd.due_at THEN 'on time' "
	"        WHEN wd.met_at > wd.due_at THEN 'late' WHEN wd.due_at < sokuho_now() "
	"        THEN 'overdue' ELSE 'pending' END) ORDER BY wd.due_at) "
	"   FROM workflow_deadline wd WHERE wd.run_id = r.id)::text AS deadlines_json "
	"FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id "
	"WHERE r.incident_id = $1::bigint ORDER BY r.started_at, r.id";

static const char timeline_sql[] =
	"SELECT to_char(a.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS at, a.kind, "
	"  CASE a.kind WHEN 'incident.reported' THEN '報告' WHEN 'incident.note' THEN 'メモの追加' "
	"    WHEN 'incident.corrected' THEN '事実の訂正' WHEN 'workflow.started' THEN '手順の開始' "
	"    WHEN 'workflow.transition' THEN '状態の変更' WHEN 'workflow.escalated' "
	"    THEN 'エスカレーション' WHEN 'workflow.deadline_missed' THEN '期限超過' "
	"    WHEN 'workflow.reminded' THEN '督促' WHEN 'mail.dead' THEN 'メール不達' "
	"    ELSE a.kind END AS kind_ja, "
	"  CASE a.kind WHEN 'incident.reported' THEN 'reported' WHEN 'incident.note' THEN 'note' "
	"    WHEN 'incident.corrected' THEN 'facts corrected' WHEN 'workflow.started' "
	"    THEN 'workflow started' WHEN 'workflow.transition' THEN 'state changed' "
	"    WHEN 'workflow.escalated' THEN 'escalated' WHEN 'workflow.deadline_missed' "
	"    THEN 'deadline missed' WHEN 'workflow.reminded' THEN 'reminder' "
	"    WHEN 'mail.dead' THEN 'mail not delivered' ELSE a.kind END "
	"  AS kind_en, coalesce(p.display_name, 'システム') AS actor, "
	"  nullif(concat_ws(' ', coalesce(w.def->'title'->>'ja', a.detail->>'workflow'), "
	"    CASE WHEN a.detail ? 'to' THEN coalesce(coalesce(w.def->'states'->(a.detail->>'from')"
	"      ->'title'->>'ja', a.detail->>'from') || ' → ', '') || coalesce(w.def->'states'"
	"      ->(a.detail->>'to')->'title'->>'ja', a.detail->>'to') END, "
	"    coalesce(w.def->'states'->(a.detail->>'state')->'title'->>'ja', a.detail->>'state'), "
	"    a.detail->>'deadline', '段階 level ' || (a.detail->>'level'), a.detail->>'note', "
	"    CASE WHEN a.kind = 'mail.dead' THEN concat(a.detail->>'recipient', ' <', "
	"      a.detail->>'email', '> (', a.detail->>'template', '): ', a.detail->>'reason') END, "
	"    (SELECT string_agg((ch->>'field') || ': ' || coalesce(ch->>'old', '') || ' → ' "
	"       || coalesce(ch->>'new', ''), '; ') FROM jsonb_array_elements("
	"       CASE WHEN jsonb_typeof(a.detail->'changes') = 'array' THEN a.detail->'changes' "
	"       ELSE '[]'::jsonb END) ch)), '') AS what "
	"FROM audit_event a LEFT JOIN person p ON p.id = a.actor_id "
	"LEFT JOIN LATERAL (SELECT d.definition AS def FROM workflow_def d "
	"  WHERE d.name = a.detail->>'workflow' ORDER BY d.version::text = "
	"  coalesce(a.detail->>'version', '') DESC, d.version DESC LIMIT 1) w ON true "
	"WHERE a.incident_id = $1::bigint ORDER BY a.seq";

/* The holder of role for the incident's section / system today (the name
 * pre-printed in a sign-off box), or NULL. */
static json_t *holder(PGconn *c, const char *role, json_t *inc)
{
	const char *p[3] = {role, json_string_value(json_object_get(inc, "section_id")),
			    json_string_value(json_object_get(inc, "system_id"))};
	json_t *r = db_row(c,
			   "SELECT p.display_name AS name FROM resolve_role($1, nullif($2, '0')::int, "
			   "nullif($3, '0')::int) x JOIN person p ON p.id = x.person_id "
			   "WHERE x.scope_kind <> 'system' LIMIT 1",
			   3, p);
	json_t *name = r ? json_incref(json_object_get(r, "name")) : NULL;
	json_decref(r);
	return name;
}

int printout_incident(PGconn *c, long long id, json_t *d)
{
	char idtext[24];
	snprintf(idtext, sizeof idtext, "%lld", id);
	const char *p[1] = {idtext};
	int failed = 0;
	json_t *runs = rows(c, runs_sql, 1, p, &failed);
	size_t i;
	json_t *run;
	json_array_foreach(runs, i, run) {
		parse_json_column(run, "transitions_json", "transitions");
		parse_json_column(run, "deadlines_json", "deadlines");
		json_object_set_new(run, "has_transitions",
				    json_boolean(json_array_size(json_object_get(run, "transitions"))));
		json_object_set_new(run, "has_deadlines",
				    json_boolean(json_array_size(json_object_get(run, "deadlines"))));
	}
	json_object_set_new(d, "runs", runs);
	json_object_set_new(d, "timeline", rows(c, timeline_sql, 1, p, &failed));
	json_object_set_new(
		d, "notes",
		rows(c,
		     "SELECT to_char(n.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS at, "
		     "  coalesce(p.display_name, '—') AS author, n.body "
		     "FROM incident_note n LEFT JOIN person p ON p.id = n.author_id "
		     "WHERE n.incident_id = $1::bigint ORDER BY n.created_at, n.id",
		     1, p, &failed));
	/* the legal reports as submitted (sql/0031_legal_submission.sql) */
	json_t *subs = rows(
		c,
		"SELECT ld.title_ja, ld.title_en, to_char(s.submitted_at AT TIME ZONE 'Asia/Tokyo', "
		"  'YYYY-MM-DD HH24:MI') AS submitted, s.ppc_number AS number, s.sha256, s.late, "
		"  coalesce(p.display_name, '—') AS by "
		"FROM legal_submission s JOIN legal_deadline ld ON ld.id = s.deadline_id "
		"LEFT JOIN person p ON p.id = s.recorded_by WHERE s.incident_id = $1::bigint "
		"ORDER BY s.submitted_at, s.id",
		1, p, &failed);
	json_object_set_new(d, "has_submissions", json_boolean(json_array_size(subs) > 0));
	json_object_set_new(d, "submissions", subs);
	json_object_set_new(d, "wf", printout_workflow_fields(c, id));
	json_t *inc = json_object_get(d, "incident");
	static const struct {
		const char *role, *ja, *en;
	} chain[] = {
		{"security_manager", "情報セキュリティ管理者（課室長）",
		 "Information security manager (section head)"},
		{"chief_security_officer", "統括情報セキュリティ責任者",
		 "Chief information security officer"},
		{"ciso", "最高情報セキュリティ責任者（CISO）", "Chief information security officer (CISO)"},
	};
	json_t *signoffs = json_array();
	for (size_t k = 0; k < sizeof chain / sizeof chain[0]; k++) {
		json_t *h = holder(c, chain[k].role, inc);
		json_array_append_new(signoffs,
				      json_pack("{s:i, s:s, s:s, s:o?}", "step", (int)k + 1, "title_ja",
						chain[k].ja, "title_en", chain[k].en, "holder", h));
	}
	json_object_set_new(d, "signoffs", signoffs);
	return failed ? -1 : 0;
}

/* The number in column y of the one row of sql, or 0. */
static int year_of(PGconn *c, const char *sql)
{
	json_t *r = db_row(c, sql, 0, NULL);
	int y = r ? atoi(str_or(json_object_get(r, "y"), "0")) : 0;
	json_decref(r);
	return y;
}

int review_fiscal_year_now(PGconn *c)
{
	return year_of(c, "SELECT extract(year FROM (sokuho_now() AT TIME ZONE 'Asia/Tokyo') "
			  "- interval '3 months')::int::text AS y");
}

json_t *review_data(PGconn *c, int y)
{
	char from[40], to[40];
	snprintf(from, sizeof from, "%04d-04-01 00:00:00+09", y);
	snprintf(to, sizeof to, "%04d-04-01 00:00:00+09", y + 1);
	const char *p[2] = {from, to};
#define IN_YEAR "i.reported_at >= $1::timestamptz AND i.reported_at < $2::timestamptz"
	int failed = 0;
	json_t *d = json_object();
	json_object_set_new(d, "year", json_integer(y));
	char label[64];
	snprintf(label, sizeof label, "%d年度", y);
	json_object_set_new(d, "year_ja", json_string(label));
	snprintf(label, sizeof label, "FY%d", y);
	json_object_set_new(d, "year_en", json_string(label));
	snprintf(label, sizeof label, "%04d-04-01", y);
	json_object_set_new(d, "from", json_string(label));
	snprintf(label, sizeof label, "%04d-03-31", y + 1);
	json_object_set_new(d, "to", json_string(label));

	json_t *tot = db_row(
		c,
		"SELECT count(*)::text AS total, "
		"  count(*) FILTER (WHERE i.closed_at IS NULL)::text AS open, "
		"  count(*) FILTER (WHERE i.closed_at IS NOT NULL)::text AS closed, "
		"  count(*) FILTER (WHERE i.severity = 3)::text AS severe, "
		"  count(*) FILTER (WHERE i.pd_involved = 'yes')::text AS personal_data, "
		"  count(*) FILTER (WHERE i.bcp)::text AS bcp, "
		"  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM legal_deadline ld "
		"    WHERE ld.incident_id = i.id))::text AS legal "
		"FROM incident i WHERE " IN_YEAR,
		2, p);
	if (!tot)
		failed = 1;
	json_object_set_new(d, "totals", tot ? tot : json_object());

	json_object_set_new(
		d, "by_category",
		rows(c,
		     "SELECT c.key, c.title_ja AS name_ja, c.title_en AS name_en, count(i.id)::text AS n "
		     "FROM category c LEFT JOIN incident i ON i.category = c.key AND " IN_YEAR " "
		     "GROUP BY c.key, c.title_ja, c.title_en, c.sort ORDER BY c.sort",
		     2, p, &failed));
	json_object_set_new(
		d, "by_site",
		rows(c,
		     "SELECT coalesce(si.code, '') AS key, coalesce(si.name_ja, '（なし）') AS name_ja, "
		     "  coalesce(si.name_en, '(none)') AS name_en, count(*)::text AS n "
		     "FROM incident i LEFT JOIN site si ON si.id = i.site_id WHERE " IN_YEAR " "
		     "GROUP BY si.code, si.name_ja, si.name_en, si.sort "
		     "ORDER BY count(*) DESC, si.sort NULLS LAST, si.code",
		     2, p, &failed));
	json_object_set_new(
		d, "by_section",
		rows(c,
		     "SELECT coalesce(s.code, '') AS key, "
		     "  coalesce(d.name_ja || ' ' || s.name_ja, '（なし・外部）') AS name_ja, "
		     "  coalesce(d.name_en || ' / ' || s.name_en, '(none, external)') AS name_en, "
		     "  count(*)::text AS n "
		     "FROM incident i LEFT JOIN org_unit s ON s.id = i.section_id "
		     "LEFT JOIN org_unit d ON d.id = s.parent_id WHERE " IN_YEAR " "
		     "GROUP BY s.code, s.name_ja, s.name_en, d.name_ja, d.name_en "
		     "ORDER BY count(*) DESC, s.code NULLS LAST",
		     2, p, &failed));
	json_object_set_new(
		d, "by_severity",
		rows(c,
		     "SELECT CASE WHEN v.s < 0 THEN 'none' ELSE v.s::text END AS key, "
		     "  CASE v.s WHEN -1 THEN '未評価' WHEN 0 THEN '0 予兆のみ' "
		     "    WHEN 1 THEN '1 職員の業務に影響' WHEN 2 THEN '2 市の業務に影響' "
		     "    ELSE '3 住民等に影響・個人情報の漏えい' END AS name_ja, "
		     "  CASE v.s WHEN -1 THEN 'not assessed' WHEN 0 THEN '0 sign only' "
		     "    WHEN 1 THEN '1 staff work affected' WHEN 2 THEN '2 city business affected' "
		     "    ELSE '3 residents affected or personal data leaked' END AS name_en, "
		     "  count(i.id)::text AS n "
		     "FROM generate_series(-1, 3) v(s) LEFT JOIN incident i "
		     "  ON coalesce(i.severity, -1) = v.s AND " IN_YEAR " "
		     "GROUP BY v.s ORDER BY v.s DESC",
		     2, p, &failed));
	json_object_set_new(
		d, "times",
		rows(c,
		     "SELECT m.key, m.ja AS name_ja, m.en AS name_en, count(x.h)::text AS n, "
		     "  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.h)::numeric, 1)::text "
		     "  AS median, "
		     "  round(percentile_cont(0.9) WITHIN GROUP (ORDER BY x.h)::numeric, 1)::text AS p90 "
		     "FROM (VALUES (1, 'acknowledged', '報告から受領確認まで', "
		     "  'reported to acknowledged'), (2, 'contained', '報告から封じ込めまで', "
		     "  'reported to contained'), (3, 'closed', '報告から完了まで', "
		     "  'reported to closed')) m(o, key, ja, en) "
		     "LEFT JOIN LATERAL (SELECT extract(epoch FROM CASE m.key "
		     "    WHEN 'acknowledged' THEN i.acknowledged_at WHEN 'contained' THEN i.contained_at "
		     "    ELSE i.closed_at END - i.reported_at) / 3600.0 AS h "
		     "  FROM incident i WHERE " IN_YEAR " AND CASE m.key "
		     "    WHEN 'acknowledged' THEN i.acknowledged_at WHEN 'contained' THEN i.contained_at "
		     "    ELSE i.closed_at END IS NOT NULL) x ON true "
		     "GROUP BY m.o, m.key, m.ja, m.en ORDER BY m.o",
		     2, p, &failed));

	/* Deadlines: met on time (met_at <= due_at), met late, overdue (not met,
	 * past due) and pending (not met, not yet due). The share is on time
	 * over those whose outcome is known (all but pending). */
	static const char *const dl_kinds[2] = {"legal", "workflow"};
	static const char *const dl_sql[2] = {
		"SELECT count(*) AS total, count(*) FILTER (WHERE x.met_at <= x.due_at) AS on_time, "
		"  count(*) FILTER (WHERE x.met_at > x.due_at) AS late, "
		"  count(*) FILTER (WHERE x.met_at IS NULL AND x.due_at < sokuho_now()) AS overdue, "
		"  count(*) FILTER (WHERE x.met_at IS NULL AND x.due_at >= sokuho_now()) AS pending "
		"FROM legal_deadline x JOIN incident i ON i.id = x.incident_id WHERE " IN_YEAR,
		"SELECT count(*) AS total, count(*) FILTER (WHERE x.met_at <= x.due_at) AS on_time, "
		"  count(*) FILTER (WHERE x.met_at > x.due_at) AS late, "
		"  count(*) FILTER (WHERE x.met_at IS NULL AND x.due_at < sokuho_now()) AS overdue, "
		"  count(*) FILTER (WHERE x.met_at IS NULL AND x.due_at >= sokuho_now()) AS pending "
		"FROM workflow_deadline x JOIN workflow_run r ON r.id = x.run_id "
		"JOIN incident i ON i.id = r.incident_id WHERE " IN_YEAR,
	};
	for (int k = 0; k < 2; k++) {
		json_t *r = db_row(c, dl_sql[k], 2, p);
		if (!r) {
			failed = 1;
			r = json_object();
		}
		long on = atol(str_or(json_object_get(r, "on_time"), "0"));
		long late = atol(str_or(json_object_get(r, "late"), "0"));
		long over = atol(str_or(json_object_get(r, "overdue"), "0"));
		long known = on + late + over;
		if (known > 0) {
			char share[16];
			snprintf(share, sizeof share, "%.1f", 100.0 * (double)on / (double)known);
			json_object_set_new(r, "share", json_string(share));
		}
		json_object_set_new(d, dl_kinds[k], r);
	}

	/* The legal reports submitted (sql/0031_legal_submission.sql), per
	 * report and in all: on time (sent by the due moment) and late. */
	json_object_set_new(
		d, "submissions",
		rows(c,
		     "SELECT CASE WHEN grouping(s.key) = 1 THEN '合計' ELSE min(ld.title_ja) END "
		     "  AS name_ja, CASE WHEN grouping(s.key) = 1 THEN 'all reports' "
		     "  ELSE min(ld.title_en) END AS name_en, "
		     "  CASE WHEN grouping(s.key) = 1 THEN '' ELSE s.key END AS key, "
		     "  count(*)::text AS n, count(*) FILTER (WHERE NOT s.late)::text AS on_time, "
		     "  count(*) FILTER (WHERE s.late)::text AS late, grouping(s.key) = 1 AS total "
		     "FROM legal_submission s JOIN legal_deadline ld ON ld.id = s.deadline_id "
		     "JOIN incident i ON i.id = s.incident_id WHERE " IN_YEAR " "
		     "GROUP BY ROLLUP (s.key) ORDER BY grouping(s.key), "
		     "  min(ld.due_at - i.discovered_at), s.key",
		     2, p, &failed));
	json_object_set_new(d, "has_submissions",
			    json_boolean(json_array_size(json_object_get(d, "submissions")) > 0));

	/* Recurring causes: the same category in the same section, the same
	 * system or device, the same contractor, at least twice in the year. */
	json_object_set_new(
		d, "recurring",
		rows(c,
		     "SELECT kind_ja, kind_en, kind, name_ja, name_en, n::text AS n, refs FROM ("
		     " SELECT 1 AS o, 'section_category' AS kind, '同じ課室・同じ種別' AS kind_ja, "
		     "  'same section and category' AS kind_en, "
		     "  coalesce(s.name_ja, '（なし・外部）') || '：' || c.title_ja AS name_ja, "
		     "  coalesce(s.name_en, '(none)') || ': ' || c.title_en AS name_en, count(*) AS n, "
		     "  array_to_string((array_agg(i.ref ORDER BY i.ref))[1:10], ' ') AS refs "
		     " FROM incident i JOIN category c ON c.key = i.category "
		     " LEFT JOIN org_unit s ON s.id = i.section_id WHERE " IN_YEAR " "
		     " GROUP BY s.name_ja, s.name_en, c.title_ja, c.title_en HAVING count(*) >= 2 "
		     " UNION ALL "
		     " SELECT 2, 'system', '同じシステム・機器', 'same system or device', "
		     "  min(coalesce(sy.name_ja, i.system_text)), min(coalesce(sy.name_en, i.system_text)), "
		     "  count(*), array_to_string((array_agg(i.ref ORDER BY i.ref))[1:10], ' ') "
		     " FROM incident i LEFT JOIN info_system sy ON sy.id = i.system_id "
		     " WHERE " IN_YEAR " AND (i.system_id IS NOT NULL OR btrim(i.system_text) <> '') "
		     " GROUP BY coalesce(sy.code, lower(normalize(btrim(i.system_text), NFKC))) "
		     " HAVING count(*) >= 2 "
		     " UNION ALL "
		     " SELECT 3, 'contractor', '同じ委託先', 'same contractor', min(i.contractor), "
		     "  min(i.contractor), count(*), "
		     "  array_to_string((array_agg(i.ref ORDER BY i.ref))[1:10], ' ') "
		     " FROM incident i WHERE " IN_YEAR " AND btrim(i.contractor) <> '' "
		     " GROUP BY lower(normalize(btrim(i.contractor), NFKC)) HAVING count(*) >= 2"
		     ") x ORDER BY o, x.n DESC, name_ja",
		     2, p, &failed));
#undef IN_YEAR
	if (failed) {
		json_decref(d);
		return NULL;
	}
	json_object_set_new(d, "has_recurring",
			    json_boolean(json_array_size(json_object_get(d, "recurring")) > 0));
	/* The audit log's newest signed checkpoint, printed with the review
	 * for the auditor to keep (issue 17, docs/audit.md). */
	char *line = audit_checkpoint_newest_line(c);
	if (line)
		json_object_set_new(d, "checkpoint", json_pack("{s:s}", "line", line));
	free(line);
	return d;
}


int review_first_fiscal_year(PGconn *c)
{
	return year_of(c, "SELECT coalesce(min(extract(year FROM (reported_at AT TIME ZONE "
			  "'Asia/Tokyo') - interval '3 months')), 0)::int::text AS y FROM incident");
}
