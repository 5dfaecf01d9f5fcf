/* Reading one incident for its page and the confirmation (see page.h). */
#include "page.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/timefmt.h"

#include "db/db.h"
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

int incident_scope_load(PGconn *c, const char *ref, struct incident_scope *scope, long long *id)
{
	const char *p[1] = {ref};
	PGresult *r;
	enum db_qs qs = db_exec(
		c, NULL,
		"SELECT i.id, coalesce(i.section_id, 0) AS section_id, "
		"  coalesce(s.parent_id, 0) AS department_id, coalesce(i.system_id, 0) AS system_id, "
		"  coalesce(i.reporter_id, 0) AS reporter_id "
		"FROM incident i LEFT JOIN org_unit s ON s.id = i.section_id WHERE i.ref = $1",
		1, p, &r);
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

json_t *incident_page_row(PGconn *c, const char *ref)
{
	const char *p[1] = {ref};
	return db_row(
		c,
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
		"  coalesce(i.section_id, 0) AS section_id, coalesce(i.system_id, 0) AS system_id "
		"FROM incident i JOIN category c ON c.key = i.category "
		"LEFT JOIN site si ON si.id = i.site_id LEFT JOIN org_unit s ON s.id = i.section_id "
		"LEFT JOIN org_unit d ON d.id = s.parent_id LEFT JOIN info_system sy ON sy.id = i.system_id "
		"LEFT JOIN person p ON p.id = i.reporter_id WHERE i.ref = $1",
		1, p);
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

json_t *incident_page_deadlines(PGconn *c, long long id)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	json_t *rows = db_rows(
		c,
		"SELECT title_ja, title_en, " JST("due_at", "due") ", "
		"  due_at < sokuho_now() AND met_at IS NULL AS overdue, met_at IS NOT NULL AS met, "
		"  greatest(0, ceil(extract(epoch FROM due_at - sokuho_now()) / 86400))::int "
		"  AS days_left, last_day::text AS last_day, target_day::text AS target_day, "
		"  guide_until::text AS guide_until, "
		"  floor(extract(epoch FROM sokuho_now()))::bigint AS now "
		"FROM legal_deadline WHERE incident_id = $1::bigint ORDER BY due_at",
		1, (const char *const[]){idbuf});
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		time_t now = (time_t)atoll(json_string_value(json_object_get(row, "now")));
		set_last_day(row, "last", json_string_value(json_object_get(row, "last_day")), now);
		set_last_day(row, "target", json_string_value(json_object_get(row, "target_day")), now);
		set_last_day(row, "guide", json_string_value(json_object_get(row, "guide_until")), now);
		json_object_del(row, "now");
	}
	return rows;
}

json_t *incident_page_attachments(PGconn *c, long long id)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	return db_rows(c,
		       "SELECT id, filename, size, sha256, " JST("uploaded_at", "at") " "
		       "FROM attachment WHERE incident_id = $1::bigint ORDER BY id",
		       1, (const char *const[]){idbuf});
}

json_t *incident_timeline(PGconn *c, long long id)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	json_t *rows = db_rows(
		c,
		"SELECT to_char(a.at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS at, "
		"  a.kind, coalesce(p.display_name, 'システム / system') AS actor, "
		"  a.kind = 'incident.reported' AS is_reported, "
		"  a.kind = 'incident.note' AS is_note, "
		"  a.kind = 'incident.corrected' AS is_corrected, "
		"  (SELECT json_agg(json_build_object('field', ch->>'field', 'old', ch->>'old', "
		"     'new', ch->>'new')) FROM jsonb_array_elements(a.detail->'changes') ch) "
		"  ::text AS changes_json, a.detail->>'note' AS note, "
		"  a.kind = 'mail.dead' AS is_mail_dead, a.detail->>'recipient' AS mail_to, "
		"  a.detail->>'email' AS mail_email, a.detail->>'template' AS mail_template, "
		"  a.detail->>'reason' AS mail_reason "
		"FROM audit_event a LEFT JOIN person p ON p.id = a.actor_id "
		"WHERE a.incident_id = $1::bigint ORDER BY a.seq",
		1, (const char *const[]){idbuf});
	/* Changes come as JSON text from SQL; turn them into arrays. */
	size_t i;
	json_t *ev;
	json_array_foreach(rows, i, ev) {
		const char *cj = json_string_value(json_object_get(ev, "changes_json"));
		if (cj)
			json_object_set_new(ev, "changes", json_loads(cj, 0, NULL));
		json_object_del(ev, "changes_json");
	}
	return rows;
}

json_t *incident_category_choices(PGconn *c, const char *selected)
{
	return db_rows(c, "SELECT key, title_ja, key = $1 AS selected FROM category ORDER BY sort", 1,
		       (const char *const[]){selected});
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
