/* Absences (see absence.h). */
#include "absence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "db/audit.h"
#include "db/db.h"
#include "org/roles.h"

static const struct {
	const char *name, *ja;
} kinds[] = {{"leave", "休暇"}, {"trip", "出張"}, {"training", "研修"}};

const char *absence_kind_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(s, kinds[i].name) == 0 || strcmp(s, kinds[i].ja) == 0)
			return kinds[i].name;
	return NULL;
}

int absence_check(const struct absence_new *a, const char **field, json_t **msg)
{
	char d[128];
	if (!absence_kind_parse(a->kind)) {
		*field = "kind";
		*msg = json_string("absence_err_kind");
		return -1;
	}
	static const char *const names[2] = {"starts_on", "ends_on"};
	const char *days[2] = {a->starts_on, a->ends_on};
	for (int i = 0; i < 2; i++)
		if (!days[i] || role_check_date(days[i], d, sizeof d) < 0) {
			*field = names[i];
			*msg = json_string("absence_err_date");
			return -1;
		}
	if (strcmp(a->ends_on, a->starts_on) < 0) { /* YYYY-MM-DD sorts as text */
		*field = "ends_on";
		*msg = json_string("absence_err_order");
		return -1;
	}
	if (a->note && *a->note &&
	    (!utf8_valid(a->note, strlen(a->note)) || utf8_chars(a->note) > ABSENCE_NOTE_MAX)) {
		*field = "note";
		*msg = json_pack("{s:s, s:{s:i}}", "key", "absence_err_note", "args", "max",
				 ABSENCE_NOTE_MAX);
		return -1;
	}
	return 0;
}

struct add {
	const struct account_actor *by;
	const struct absence_new *a;
	const char *kind;
	long long id;
};

static enum db_qs add_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct add *x = arg;
	x->id = 0;
	char by[16];
	snprintf(by, sizeof by, "%d", x->by->person_id);
	const char *note = x->a->note && *x->a->note ? x->a->note : NULL;
	const char *p[6] = {x->a->login, x->kind, x->a->starts_on, x->a->ends_on, note,
			    x->by->person_id > 0 ? by : NULL};
	PGresult *r;
	enum db_qs qs = db_exec(c, e,
				"INSERT INTO absence (person_id, kind, starts_on, ends_on, note, "
				"created_by) SELECT id, $2, $3::date, $4::date, $5, $6::int "
				"FROM person WHERE login = $1 RETURNING id, person_id",
				6, p, &r);
	if (qs <= 0) {
		PQclear(r);
		return qs; /* an error, or no such person */
	}
	x->id = db_first_ll(r, "id");
	long long person = db_first_ll(r, "person_id");
	PQclear(r);
	json_t *detail = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s?}", "login", x->a->login,
				   "person_id", (json_int_t)person, "absence_id",
				   (json_int_t)x->id, "kind", x->kind, "starts_on",
				   x->a->starts_on, "ends_on", x->a->ends_on, "note", note);
	qs = audit_append(c, e, x->by->person_id, "absence.add", x->by->ip, 0, detail);
	json_decref(detail);
	if (qs < 0) {
		x->id = 0;
		return qs;
	}
	return DB_OK;
}

enum db_qs absence_add(PGconn *c, const struct account_actor *by, const struct absence_new *a,
		       long long *id, struct db_err *e)
{
	struct add x = {by, a, absence_kind_parse(a->kind), 0};
	*id = 0;
	if (!x.kind)
		return db_fail(c, e, "unknown kind of absence");
	/* Not idempotent: an unknown COMMIT is reported, not repeated with a
	 * second absence and event. */
	enum db_qs qs = db_run_tx(c, "absence_add", 0, add_tx, &x, e);
	if (qs >= 0)
		*id = x.id;
	return qs;
}

struct rm {
	const struct account_actor *by;
	const char *login;
	long long id;
	int removed;
};

static enum db_qs remove_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct rm *x = arg;
	x->removed = 0;
	char id[24];
	snprintf(id, sizeof id, "%lld", x->id);
	const char *p[2] = {x->login, id};
	PGresult *r;
	enum db_qs qs = db_exec(c, e,
				"DELETE FROM absence a USING person p WHERE a.id = $2::int AND "
				"p.id = a.person_id AND p.login = $1 RETURNING a.person_id, a.kind, "
				"a.starts_on::text AS starts_on, a.ends_on::text AS ends_on",
				2, p, &r);
	if (qs <= 0) {
		PQclear(r);
		return qs;
	}
	json_t *detail = json_pack(
		"{s:s, s:I, s:I, s:s, s:s, s:s}", "login", x->login, "person_id",
		(json_int_t)db_first_ll(r, "person_id"), "absence_id", (json_int_t)x->id, "kind",
		PQgetvalue(r, 0, PQfnumber(r, "kind")), "starts_on",
		PQgetvalue(r, 0, PQfnumber(r, "starts_on")), "ends_on",
		PQgetvalue(r, 0, PQfnumber(r, "ends_on")));
	PQclear(r);
	qs = audit_append(c, e, x->by->person_id, "absence.remove", x->by->ip, 0, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	x->removed = 1;
	return DB_OK;
}

enum db_qs absence_remove(PGconn *c, const struct account_actor *by, const char *login,
			  long long id, int *removed, struct db_err *e)
{
	struct rm x = {by, login, id, 0};
	enum db_qs qs = db_run_tx(c, "absence_remove", 0, remove_tx, &x, e);
	*removed = qs >= 0 ? x.removed : 0;
	return qs;
}

json_t *absence_list(PGconn *c, const char *login)
{
	const char *p[1] = {login};
	return db_rows(c,
		       "SELECT a.id, p.login, p.display_name, a.kind, k.title_ja, k.title_en, "
		       "  a.starts_on::text AS starts_on, a.ends_on::text AS ends_on, a.note, "
		       "  a.starts_on <= sokuho_today() AS current, "
		       "  absence_label(a.id, 'ja') AS label_ja, absence_label(a.id, 'en') AS label_en "
		       "FROM absence a JOIN person p ON p.id = a.person_id "
		       "JOIN absence_kind k ON k.name = a.kind "
		       "WHERE a.ends_on >= sokuho_today() AND ($1::text IS NULL OR p.login = $1) "
		       "ORDER BY a.starts_on, p.login, a.id",
		       1, p);
}

json_t *absence_kind_choices(PGconn *c, const char *selected)
{
	const char *p[1] = {selected ? selected : ""};
	return db_rows(c,
		       "SELECT name, title_ja, title_en, name = $1 AS selected FROM absence_kind "
		       "ORDER BY sort",
		       1, p);
}
