/* Reading an incident for the API (see view.h). */
#include "view.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

#define ISO "'YYYY-MM-DD\"T\"HH24:MI:SSOF'"

json_t *incident_api_json(PGconn *c, const char *ref)
{
	const char *p[1] = {ref};
	json_t *inc = db_row(
		c,
		"SELECT i.ref, i.channel, i.summary, i.description, i.how_found, i.category, "
		"  i.severity, to_char(i.discovered_at, " ISO ") AS discovered_at, "
		"  to_char(i.occurred_at, " ISO ") AS occurred_at, "
		"  to_char(i.reported_at, " ISO ") AS reported_at, "
		"  si.code AS site, s.code AS section, array_to_json(i.segments)::text AS segments, "
		"  sy.code AS system, i.system_text, i.contractor, i.bcp, "
		"  json_build_object('involved', i.pd_involved, 'persons', i.pd_persons, "
		"    'items', i.pd_items, 'sensitive', i.pd_sensitive, 'mynumber', i.pd_mynumber, "
		"    'encrypted', i.pd_encrypted, 'malicious', i.pd_malicious, "
		"    'financial', i.pd_financial)::text AS personal_data, "
		"  p.login AS reporter, "
		"  (SELECT json_agg(json_build_object('key', key, 'title_ja', title_ja, 'title_en', "
		"    title_en, 'due_at', to_char(due_at, " ISO "), 'met', "
		"    met_at IS NOT NULL, 'last_day', last_day, 'target_day', target_day, "
		"    'guide_until', guide_until) ORDER BY due_at) FROM legal_deadline "
		"    WHERE incident_id = i.id) "
		"    ::text AS legal_deadlines, "
		"  (SELECT json_agg(json_build_object('id', id, 'filename', filename, 'size', size, "
		"    'sha256', sha256) ORDER BY id) FROM attachment WHERE incident_id = i.id)::text "
		"    AS attachments "
		"FROM incident i LEFT JOIN site si ON si.id = i.site_id "
		"LEFT JOIN org_unit s ON s.id = i.section_id LEFT JOIN info_system sy ON sy.id = "
		"i.system_id LEFT JOIN person p ON p.id = i.reporter_id WHERE i.ref = $1",
		1, p);
	if (!inc)
		return NULL;
	/* Columns built as JSON in SQL become JSON again here. */
	static const char *const nested[] = {"segments", "personal_data", "legal_deadlines",
					     "attachments", NULL};
	for (int k = 0; nested[k]; k++) {
		const char *s = json_string_value(json_object_get(inc, nested[k]));
		json_t *v = s ? json_loads(s, 0, NULL) : NULL;
		json_object_set_new(inc, nested[k], v ? v : json_array());
	}
	json_t *sev = json_object_get(inc, "severity");
	if (json_is_string(sev))
		json_object_set_new(inc, "severity",
				    json_integer(strtoll(json_string_value(sev), NULL, 10)));
	return inc;
}

json_t *incident_legal_deadlines_json(PGconn *c, long long id)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	return db_rows(c,
		       "SELECT key, title_ja, title_en, to_char(due_at, " ISO ") AS due_at, "
		       "  last_day::text AS last_day, target_day::text AS target_day, "
		       "  guide_until::text AS guide_until "
		       "FROM legal_deadline WHERE incident_id = $1::bigint ORDER BY due_at",
		       1, (const char *const[]){idbuf});
}
