/* The legal reports as submitted (see submission.h). */
#include "submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "db/audit.h"
#include "db/db.h"
#include "wf/engine.h"

/* "YYYY-MM-DD HH:MM" (a T instead of the space, seconds allowed) with a
 * real calendar date and time: 1, else 0. */
static int datetime_ok(const char *s)
{
	int y, m, d, hh, mm, n = 0;
	char sep;
	if (!s || sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &m, &d, &sep, &hh, &mm, &n) != 6 ||
	    (sep != ' ' && sep != 'T') || n != 16)
		return 0;
	int ss;
	if (s[16] && !(sscanf(s + 16, ":%2d%n", &ss, &n) == 1 && n == 3 && !s[19] && ss <= 59))
		return 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 2000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || hh > 23 ||
	    mm > 59)
		return 0;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	return 1;
}

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

int submission_check(const struct submission_in *in, json_t *errors)
{
	size_t before = json_object_size(errors);
	if (!datetime_ok(in->submitted_at))
		json_object_set_new(errors, "submitted_at", json_string("submission_err_at"));
	if (blank(in->number) || utf8_chars(in->number) > SUBMISSION_NUMBER_MAX)
		json_object_set_new(errors, "number", json_string("submission_err_number"));
	if (blank(in->text) || strlen(in->text) > SUBMISSION_TEXT_MAX)
		json_object_set_new(errors, "text", json_string("submission_err_text"));
	return (int)(json_object_size(errors) - before);
}

struct rec {
	struct engine *eng;
	long long incident_id;
	int actor_id;
	const char *ip;
	const struct submission_in *in;
	struct submission_out *out;
	json_t *errors;
};

static enum db_qs rec_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct rec *R = arg;
	struct submission_out *out = R->out;
	memset(out, 0, sizeof *out);
	json_object_clear(R->errors);
	char id[24], actor[16];
	snprintf(id, sizeof id, "%lld", R->incident_id);
	snprintf(actor, sizeof actor, "%d", R->actor_id);
	json_t *dl = NULL;
	enum db_qs qs = db_row_get(
		c, e,
		"SELECT ld.id, ld.title_ja, ld.title_en, i.ref, "
		"  ($3::timestamp AT TIME ZONE 'Asia/Tokyo') > sokuho_now() AS future, "
		"  ($3::timestamp AT TIME ZONE 'Asia/Tokyo') > ld.due_at AS late, "
		"  EXISTS (SELECT 1 FROM legal_submission s WHERE s.deadline_id = ld.id) AS already "
		"FROM legal_deadline ld JOIN incident i ON i.id = ld.incident_id "
		"WHERE ld.incident_id = $1::bigint AND ld.key = $2 FOR UPDATE OF ld",
		3, (const char *const[]){id, R->in->key, R->in->submitted_at}, &dl);
	if (qs < 0)
		return qs;
	if (qs == DB_NONE) {
		out->res = SUBMISSION_NO_DEADLINE;
		return DB_NONE;
	}
	if (json_is_true(json_object_get(dl, "already"))) {
		out->res = SUBMISSION_ALREADY;
		json_decref(dl);
		return DB_NONE;
	}
	if (json_is_true(json_object_get(dl, "future"))) {
		out->res = SUBMISSION_FUTURE;
		json_object_set_new(R->errors, "submitted_at", json_string("submission_err_future"));
		json_decref(dl);
		return DB_NONE;
	}
	out->late = json_is_true(json_object_get(dl, "late"));
	const char *dlid = json_string_value(json_object_get(dl, "id"));
	/* the text as sent, frozen as an evidence file */
	char fname[160];
	snprintf(fname, sizeof fname, "%s-%s-submitted.txt",
		 json_string_value(json_object_get(dl, "ref")), R->in->key);
	PGresult *r = NULL;
	qs = db_exec(c, e,
		     "INSERT INTO attachment (incident_id, filename, content_type, size, sha256, "
		     "  data, uploaded_by) VALUES ($1::bigint, $2, 'text/plain', "
		     "  octet_length(convert_to($3, 'UTF8')), "
		     "  encode(sha256(convert_to($3, 'UTF8')), 'hex'), convert_to($3, 'UTF8'), "
		     "  $4::int) RETURNING id, sha256",
		     4, (const char *const[]){id, fname, R->in->text, actor}, &r);
	if (qs <= 0) {
		PQclear(r);
		json_decref(dl);
		return qs < 0 ? qs : db_fail(c, e, "the submission's text was not stored");
	}
	char att[24];
	snprintf(att, sizeof att, "%s", PQgetvalue(r, 0, 0));
	snprintf(out->sha256, sizeof out->sha256, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	r = NULL;
	const char *p[8] = {id,	    dlid,	   R->in->key, R->in->submitted_at, actor,
			    R->in->number, att, out->sha256};
	qs = db_exec(c, e,
		     "INSERT INTO legal_submission (incident_id, deadline_id, key, submitted_at, "
		     "  recorded_by, ppc_number, attachment_id, sha256, late) "
		     "SELECT $1::bigint, $2::bigint, $3, $4::timestamp AT TIME ZONE 'Asia/Tokyo', "
		     "  $5::int, $6, $7::bigint, $8, ($4::timestamp AT TIME ZONE 'Asia/Tokyo') > "
		     "  ld.due_at FROM legal_deadline ld WHERE ld.id = $2::bigint RETURNING id",
		     8, p, &r);
	if (qs <= 0) {
		PQclear(r);
		json_decref(dl);
		return qs < 0 ? qs : db_fail(c, e, "the submission was not recorded");
	}
	out->id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	/* the deadline is met when the report was sent */
	qs = db_exec(c, e,
		     "UPDATE legal_deadline SET met_at = $2::timestamp AT TIME ZONE 'Asia/Tokyo' "
		     "WHERE id = $1::bigint",
		     2, (const char *const[]){dlid, R->in->submitted_at}, NULL);
	if (qs < 0) {
		json_decref(dl);
		return qs;
	}
	/* the workflow's own "sent" step, by the same act */
	json_t *fields = json_pack("{s:s, s:s}", "submitted_at", R->in->submitted_at, "reference",
				   R->in->number);
	enum engine_act_result ar = ENGINE_ACT_NOT_FOUND;
	qs = R->eng ? engine_act_deadline_tx(R->eng, c, R->incident_id, R->in->key, fields,
					     R->actor_id, R->errors, &ar, out->action,
					     sizeof out->action, e)
		    : DB_NONE;
	json_decref(fields);
	if (qs < 0) {
		json_decref(dl);
		return qs;
	}
	if (ar != ENGINE_ACT_OK && ar != ENGINE_ACT_NOT_FOUND) {
		/* written above: undone by a failure, the refusal told */
		out->res = SUBMISSION_REFUSED;
		json_decref(dl);
		return db_fail(c, e, "the workflow refused its action");
	}
	if (ar == ENGINE_ACT_NOT_FOUND)
		out->action[0] = '\0';
	json_t *detail = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I}", "key", R->in->key, "title_ja",
		json_string_value(json_object_get(dl, "title_ja")), "title_en",
		json_string_value(json_object_get(dl, "title_en")), "submitted_at",
		R->in->submitted_at, "number", R->in->number, "sha256", out->sha256, "late",
		out->late, "attachment_id", (json_int_t)atoll(att), "submission_id",
		(json_int_t)out->id);
	if (out->action[0])
		json_object_set_new(detail, "action", json_string(out->action));
	json_decref(dl);
	qs = audit_append(c, e, R->actor_id, "legal.submitted", R->ip, R->incident_id, detail);
	json_decref(detail);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs submission_record(struct engine *eng, PGconn *c, long long incident_id, int actor_id,
			     const char *ip, const struct submission_in *in,
			     struct submission_out *out, json_t *errors, struct db_err *e)
{
	struct rec R = {eng, incident_id, actor_id, ip, in, out, errors};
	/* not idempotent by itself, but a repeat finds its own row (ALREADY) */
	enum db_qs qs = db_run_tx(c, "submission_record", 0, rec_tx, &R, e);
	if (qs < 0 && out->res == SUBMISSION_REFUSED)
		return DB_NONE;
	return qs;
}

json_t *submission_list(PGconn *c, long long incident_id)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", incident_id);
	return db_rows(c,
		       "SELECT s.key, ld.title_ja, ld.title_en, "
		       "  to_char(s.submitted_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
		       "  AS submitted, to_char(s.recorded_at AT TIME ZONE 'Asia/Tokyo', "
		       "  'YYYY-MM-DD HH24:MI') AS recorded, p.display_name AS by, s.ppc_number AS "
		       "  number, s.sha256, s.attachment_id, s.late, "
		       "  to_char(ld.due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS due "
		       "FROM legal_submission s JOIN legal_deadline ld ON ld.id = s.deadline_id "
		       "LEFT JOIN person p ON p.id = s.recorded_by "
		       "WHERE s.incident_id = $1::bigint ORDER BY s.submitted_at, s.id",
		       1, (const char *const[]){id});
}
