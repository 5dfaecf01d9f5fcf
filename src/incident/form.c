/* What the report forms read before filing (see form.h). */
#include "form.h"

#include <stdio.h>

#include "db/db.h"
#include "db/tx.h"

static json_t *rows(PGconn *c, const char *sql)
{
	json_t *r = db_rows(c, sql, 0, NULL);
	return r ? r : json_array();
}

json_t *report_form_choices(PGconn *c)
{
	json_t *d = json_object();
	json_object_set_new(d, "sites",
			    rows(c, "SELECT code, name_ja, name_en, note_ja FROM site ORDER BY sort"));
	json_object_set_new(d, "sections",
			    rows(c, "SELECT s.code, s.name_ja, d.name_ja AS department FROM org_unit s "
				    "JOIN org_unit d ON d.id = s.parent_id WHERE s.kind = 'section' "
				    "AND s.active ORDER BY d.code, s.code"));
	json_object_set_new(d, "categories",
			    rows(c, "SELECT key, title_ja, title_en, hint_ja, hint_en FROM category "
				    "ORDER BY sort"));
	json_object_set_new(d, "systems",
			    rows(c, "SELECT code, name_ja, name_en FROM info_system ORDER BY code"));
	return d;
}

/* v[key] = row[col] when the row has it. */
static void set_from(json_t *v, const char *key, const json_t *row, const char *col)
{
	json_t *x = json_object_get(row, col);
	if (x)
		json_object_set(v, key, x);
}

void report_form_defaults(PGconn *c, int section_id, json_t *v)
{
	json_t *now = db_row(c,
			     "SELECT to_char(sokuho_now() AT TIME ZONE 'Asia/Tokyo', "
			     "'YYYY-MM-DD\"T\"HH24:MI') AS now",
			     0, NULL);
	set_from(v, "discovered_at", now, "now");
	json_decref(now);
	if (!section_id)
		return;
	char sid[16];
	snprintf(sid, sizeof sid, "%d", section_id);
	json_t *s = db_row(c,
			   "SELECT u.code, coalesce(si.code, '') AS site FROM org_unit u "
			   "LEFT JOIN site si ON si.id = u.site_id WHERE u.id = $1",
			   1, (const char *const[]){sid});
	set_from(v, "section", s, "code");
	set_from(v, "site", s, "site");
	json_decref(s);
}

int intake_public_rate_exceeded(PGconn *c, const char *ip)
{
	if (!ip || !*ip)
		return 0;
	PGresult *r;
	if (db_exec(c, NULL,
		    "SELECT count(*) AS n FROM public_report_rate WHERE ip = $1::inet "
		    "AND at > sokuho_now() - interval '1 hour'",
		    1, (const char *const[]){ip}, &r) < 0)
		return 0;
	long long n = db_first_ll(r, "n");
	PQclear(r);
	return n >= INTAKE_PUBLIC_REPORTS_PER_HOUR;
}
