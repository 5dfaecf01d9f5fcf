/* Recipients of a new report, through the one resolver (resolve_role). */
#include "notify.h"

#include <string.h>

#include "db/db.h"
#include "db/prepared.h"

/* On every incident page: prepared once per connection (db/prepared.h). */
static const struct db_stmt told_stmt = {
	"notify_recipients",
	"SELECT r.title_ja, r.title_en, ("
	"  SELECT string_agg(pe.display_name, '、' ORDER BY pe.display_name) "
	"  FROM resolve_role(w.role, $1::int, $2::int) x JOIN person pe ON pe.id = x.person_id "
	"  WHERE x.deputy_rank = (SELECT min(y.deputy_rank) FROM "
	"    resolve_role(w.role, $1::int, $2::int) y)) AS names, ("
	"  SELECT string_agg(pe.display_name || '（' || absence_label(x.absence_id, 'ja') "
	"    || '）', '、' ORDER BY x.deputy_rank, pe.id) FROM resolve_role_all(w.role, "
	"    $1::int, $2::int) x JOIN person pe ON pe.id = x.person_id "
	"  WHERE x.absence_id IS NOT NULL AND x.deputy_rank <= coalesce((SELECT "
	"    min(y.deputy_rank) FROM resolve_role(w.role, $1::int, $2::int) y), 9)) "
	"  AS absent_ja, ("
	"  SELECT string_agg(pe.display_name || ' (' || absence_label(x.absence_id, 'en') "
	"    || ')', ', ' ORDER BY x.deputy_rank, pe.id) FROM resolve_role_all(w.role, "
	"    $1::int, $2::int) x JOIN person pe ON pe.id = x.person_id "
	"  WHERE x.absence_id IS NOT NULL AND x.deputy_rank <= coalesce((SELECT "
	"    min(y.deputy_rank) FROM resolve_role(w.role, $1::int, $2::int) y), 9)) "
	"  AS absent_en "
	"FROM (VALUES ('security_manager', 1), ('system_manager', 2), ('csirt', 3)) "
	"  AS w(role, o) JOIN role r ON r.name = w.role "
	"WHERE w.role <> 'system_manager' OR $2::int IS NOT NULL ORDER BY w.o",
	2};

json_t *notify_recipients_json(PGconn *c, const char *section_id, const char *system_id)
{
	const char *p[2] = {section_id && strcmp(section_id, "0") ? section_id : NULL,
			    system_id && strcmp(system_id, "0") ? system_id : NULL};
	/* The holders of the most senior rank that has anyone present: the
	 * deputies are told only when no holder is in place or the holders are
	 * away today (absent_ja / absent_en name those, 「山田 太郎（休暇、12月10日
	 * まで）」; sql/0029_absence.sql). */
	json_t *rows = db_rows_stmt(c, &told_stmt, p);
	return rows ? rows : json_array();
}
