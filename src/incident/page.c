/* Reading one incident for its page and the confirmation (see page.h). */
#include "page.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/timefmt.h"
#include "db/db.h"
#include "db/prepared.h"
#include "db/tx.h"

#define JST(col, as) "to_char(" col " AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS " as

/* A column of the first row that holds an int id (0 for none): 0, or -1 when
 * it is out of range. */
static int first_int(const PGresult *r, const char *name, int *out)
{
	long long v = db_first_ll(r, name);
	if (v < 0 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* Every request for an incident starts with this (db/prepared.h). */
static const struct db_stmt scope_stmt = {
	"incident_scope",
	"SELECT i.id, coalesce(i.section_id, 0) AS section_id, "
	"  coalesce(s.parent_id, 0) AS department_id, coalesce(i.system_id, 0) AS system_id, "
	"  coalesce(i.reporter_id, 0) AS reporter_id "
	"FROM incident i LEFT JOIN org_unit s ON s.id = i.section_id WHERE i.ref = $1",
	1};

int incident_scope_load(PGconn *c, const char *ref, struct incident_scope *scope, long long *id)
{
	const char *p[1] = {ref};
	PGresult *r;
	enum db_qs qs = db_exec_stmt(c, NULL, &scope_stmt, p, 0, &r);
	if (qs < 0)
		return -1;
	struct incident_scope got;
	long long found = qs == DB_OK && PQntuples(r) == 1 ? db_first_ll(r, "id") : 0;
	int ok = found > 0 && first_int(r, "section_id", &got.section_id) == 0 &&
		 first_int(r, "department_id", &got.department_id) == 0 &&
		 first_int(r, "system_id", &got.system_id) == 0 &&
		 first_int(r, "reporter_id", &got.reporter_id) == 0;
	PQclear(r);
	if (!ok)
		return -1;
	*scope = got;
	*id = found;
	return 0;
}

/* day ("YYYY-MM-DD" or NULL) as a legal last day in both languages, into
 * row's NAME_ja and NAME_en ("1月6日(水)まで" / "by Wed 6 Jan"); nothing for
 * NULL. */
static void set_last_day(json_t *row, const char *name, const char *day, time_t now)
{
	int y, m, d;
	char ja[64], en[64], key[32];
	if (!day || sscanf(day, "%d-%d-%d", &y, &m, &d) != 3 ||
	    !timefmt_last_day(y, m, d, now, "ja", ja, sizeof ja) ||
	    !timefmt_last_day(y, m, d, now, "en", en, sizeof en))
		return;
	snprintf(key, sizeof key, "%s_ja", name);
	json_object_set_new(row, key, json_string(ja));
	snprintf(key, sizeof key, "%s_en", name);
	json_object_set_new(row, key, json_string(en));
}

/* The page's one statement, prepared on each connection: PostgreSQL took
 * longer to plan it than to run it. */
static const struct db_stmt page_stmt = {
	"incident_page",
	"SELECT i.id, i.ref, i.channel, i.summary, i.description, i.how_found, i.category, "
	"  c.title_ja AS category_ja, c.title_en AS category_en, i.severity, "
	"  " JST("i.discovered_at", "discovered") ", "
	"  " JST("i.occurred_at", "occurred") ", "
	"  " JST("i.reported_at", "reported") ", "
	"  si.code AS site, si.name_ja AS site_ja, s.code AS section, s.name_ja AS section_ja, "
	"  d.name_ja AS department_ja, array_to_string(i.segments, ',') AS segments, "
	"  sy.code AS system, sy.name_ja AS system_ja, i.system_text, i.pd_involved, i.pd_persons, "
	"  i.pd_items, i.pd_sensitive, i.pd_mynumber, i.pd_encrypted, i.pd_malicious, "
	"  i.pd_financial, i.contractor, i.bcp, i.external_name, i.external_contact, "
	"  p.display_name AS reporter_name, p.login AS reporter_login, i.facts::text AS facts, "
	"  coalesce(i.section_id, 0) AS section_id, coalesce(i.system_id, 0) AS system_id, "
	"  (SELECT json_agg(json_build_object('key', l.key, 'title_ja', l.title_ja, "
	"     'title_en', l.title_en, "
	"     'due', to_char(l.due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), "
	"     'overdue', l.due_at < sokuho_now() AND l.met_at IS NULL, "
	"     'met', l.met_at IS NOT NULL, 'met_late', l.met_at > l.due_at, 'days_left', "
	"     greatest(0, ceil(extract(epoch FROM l.due_at - sokuho_now()) / 86400))::int::text, "
	"     'last_day', l.last_day::text, 'target_day', l.target_day::text, "
	"     'guide_until', l.guide_until::text) "
	"     ORDER BY l.due_at) FROM legal_deadline l WHERE l.incident_id = i.id)::text "
	"  AS deadlines_json, floor(extract(epoch FROM sokuho_now()))::bigint AS page_now, "
	"  (SELECT json_agg(json_build_object('id', f.id::text, 'filename', f.filename, "
	"     'size', f.size::text, 'sha256', f.sha256, "
	"     'at', to_char(f.uploaded_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI')) "
	"     ORDER BY f.id) FROM attachment f WHERE f.incident_id = i.id)::text "
	"  AS attachments_json, "
	"  (SELECT json_agg(json_build_object("
	"     'at', to_char(a.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'), "
	"     'kind', a.kind, 'actor', ap.display_name, "
	"     'is_reported', a.kind = 'incident.reported', 'is_note', a.kind = 'incident.note', "
	"     'is_corrected', a.kind = 'incident.corrected', "
	"     'is_submitted', a.kind = 'legal.submitted', 'sub_title_ja', "
	"     a.detail->>'title_ja', 'sub_title_en', a.detail->>'title_en', 'sub_at', "
	"     a.detail->>'submitted_at', 'sub_number', a.detail->>'number', 'sub_sha256', "
	"     a.detail->>'sha256', 'sub_late', (a.detail->>'late')::boolean, "
	"     'changes', (SELECT json_agg(json_build_object('field', ch->>'field', "
	"        'old', ch->>'old', 'new', ch->>'new')) "
	"        FROM jsonb_array_elements(a.detail->'changes') ch), "
	"     'note', a.detail->>'note', 'is_mail_dead', a.kind = 'mail.dead', "
	"     'mail_to', a.detail->>'recipient', 'mail_email', a.detail->>'email', "
	"     'mail_template', a.detail->>'template', 'mail_reason', a.detail->>'reason', "
	/* who a notification skipped because they are away (wf/engine.c) */
	"     'skip_ja', (SELECT string_agg(q->>'skip_ja', '；') FROM "
	"        jsonb_array_elements(CASE WHEN jsonb_typeof(a.detail->'queued') = 'array' "
	"        THEN a.detail->'queued' END) q WHERE q ? 'skip_ja'), "
	"     'skip_en', (SELECT string_agg(q->>'skip_en', '; ') FROM "
	"        jsonb_array_elements(CASE WHEN jsonb_typeof(a.detail->'queued') = 'array' "
	"        THEN a.detail->'queued' END) q WHERE q ? 'skip_en')) "
	"     ORDER BY a.seq) "
	"   FROM audit_event a LEFT JOIN person ap ON ap.id = a.actor_id "
	"   WHERE a.incident_id = i.id)::text AS timeline_json, "
	"  CASE WHEN $2::boolean THEN (SELECT json_agg(json_build_object('key', k.key, "
	"     'title_ja', k.title_ja) ORDER BY k.sort) FROM category k)::text END "
	"  AS categories_json "
	"FROM incident i JOIN category c ON c.key = i.category "
	"LEFT JOIN site si ON si.id = i.site_id LEFT JOIN org_unit s ON s.id = i.section_id "
	"LEFT JOIN org_unit d ON d.id = s.parent_id LEFT JOIN info_system sy ON sy.id = i.system_id "
	"LEFT JOIN person p ON p.id = i.reporter_id WHERE i.ref = $1",
	2};

json_t *incident_page_json(PGconn *c, const char *ref, int with_categories)
{
	const char *p[2] = {ref, with_categories ? "t" : "f"};
	json_t *inc = db_row_stmt(c, &page_stmt, p);
	if (!inc)
		return NULL;
	json_t *page = json_object();
	/* The lists built as JSON in SQL become arrays (none: empty) beside
	 * the incident's row. */
	static const char *const lists[] = {"deadlines", "attachments", "timeline", "categories",
					    NULL};
	for (int k = 0; lists[k]; k++) {
		char col[32];
		snprintf(col, sizeof col, "%s_json", lists[k]);
		const char *txt = json_string_value(json_object_get(inc, col));
		json_t *v = txt ? json_loads(txt, 0, NULL) : NULL;
		if (txt || k < 3)
			json_object_set_new(page, lists[k], json_is_array(v) ? v : json_array());
		if (v && !json_is_array(v))
			json_decref(v);
		json_object_del(inc, col);
	}
	/* The dates counted as the law counts them, written for the page. */
	errno = 0;
	const char *ns = json_string_value(json_object_get(inc, "page_now"));
	char *end;
	long long now = ns ? strtoll(ns, &end, 10) : 0;
	if (!ns || errno || *end)
		now = (long long)time(NULL);
	json_object_del(inc, "page_now");
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(page, "deadlines"), i, row) {
		set_last_day(row, "last", json_string_value(json_object_get(row, "last_day")),
			     (time_t)now);
		set_last_day(row, "target", json_string_value(json_object_get(row, "target_day")),
			     (time_t)now);
		set_last_day(row, "guide", json_string_value(json_object_get(row, "guide_until")),
			     (time_t)now);
	}
	json_object_set_new(page, "incident", inc);
	return page;
}

int incident_has_run(PGconn *c, long long id, long long run)
{
	char rb[24], ib[24];
	snprintf(rb, sizeof rb, "%lld", run);
	snprintf(ib, sizeof ib, "%lld", id);
	json_t *mine = db_row(c,
			      "SELECT 1 AS x FROM workflow_run WHERE id = $1::bigint AND "
			      "incident_id = $2::bigint",
			      2, (const char *const[]){rb, ib});
	int found = mine != NULL;
	json_decref(mine);
	return found;
}

json_t *incident_filed_row(PGconn *c, const char *ref)
{
	const char *p[1] = {ref};
	return db_row(c,
		      "SELECT i.id, i.ref, i.summary, i.channel, i.facts::text AS facts, "
		      "  coalesce(i.section_id, 0) AS section_id, coalesce(i.system_id, 0) "
		      "  AS system_id, coalesce(i.reporter_id, 0) AS reporter_id, "
		      "  " JST("i.reported_at", "reported_at") " FROM incident i WHERE i.ref = $1",
		      1, p);
}

json_t *incident_filed_deadlines(PGconn *c, const char *id)
{
	return db_rows(c,
		       "SELECT title_ja, title_en, clock, " JST("due_at", "due") ", "
		       "  greatest(0, extract(day FROM due_at - sokuho_now()))::int AS days_left "
		       "FROM legal_deadline WHERE incident_id = $1::bigint ORDER BY due_at",
		       1, (const char *const[]){id});
}

int incident_filed_by(PGconn *c, const char *ref, int person_id)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", person_id);
	json_t *mine = db_row(c, "SELECT 1 AS x FROM incident WHERE ref = $1 AND reporter_id = $2::int",
			      2, (const char *const[]){ref, pid});
	int found = mine != NULL;
	json_decref(mine);
	return found;
}
