/* Outside reports and the intake queue (see outside.h). */
#include "outside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "wf/engine.h"

static const char *str(const json_t *raw, const char *key)
{
	json_t *v = json_object_get(raw, key);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	const char *s = json_string_value(v);
	return s ? s : "";
}

static void field(json_t *clean, json_t *errors, const json_t *raw, const char *key, size_t max,
		  int required, int multiline)
{
	char *v = utf8_trim(str(raw, key));
	if (required && !*v)
		json_object_set_new(errors, key, json_string("res_err_required"));
	else if (utf8_chars(v) > max)
		json_object_set_new(errors, key, json_string("res_err_too_long"));
	else if (utf8_has_controls(v, multiline))
		json_object_set_new(errors, key, json_string("res_err_controls"));
	json_object_set_new(clean, key, json_string(v));
	free(v);
}

json_t *outside_check(const json_t *raw, json_t *errors)
{
	json_t *clean = json_object();
	field(clean, errors, raw, "what", OUTSIDE_WHAT_MAX, 1, 1);
	field(clean, errors, raw, "when", OUTSIDE_WHEN_MAX, 0, 0);
	field(clean, errors, raw, "place", OUTSIDE_PLACE_MAX, 0, 0);
	field(clean, errors, raw, "contact", OUTSIDE_CONTACT_MAX, 0, 0);
	return clean;
}

long long outside_hour_count(PGconn *c)
{
	PGresult *r;
	struct db_err e;
	long long n = -1;
	if (db_exec(c, &e,
		    "SELECT count(*) AS n FROM public_report_rate "
		    "WHERE at > sokuho_now() - interval '1 hour'",
		    0, NULL, &r) == DB_OK)
		n = db_first_ll(r, "n");
	PQclear(r);
	return n;
}

/* The first line of what was written, at most 80 characters: the summary
 * the lists show until the CSIRT writes its own. */
static char *summary_of(const char *what)
{
	size_t n = strcspn(what, "\r\n");
	const unsigned char *s = (const unsigned char *)what;
	size_t chars = 0, i = 0;
	while (i < n && chars < 80) {
		i++;
		while (i < n && (s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	return xstrndup(what, i);
}

struct store {
	const json_t *clean;
	const struct intake_file *files;
	size_t nfiles;
	const char *ip;
	char ref[32];
	long long id;
};

static enum db_qs store_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct store *s = arg;
	s->ref[0] = '\0';
	const char *what = str(s->clean, "what");
	char *summary = summary_of(what);
	const char *p[1] = {summary};
	PGresult *r;
	enum db_qs qs = db_exec(c, e,
				"INSERT INTO incident (ref, channel, category, summary, description, "
				"  discovered_at) VALUES (next_incident_ref(sokuho_now()), 'external', "
				"  'other', $1, '', sokuho_now()) RETURNING id, ref",
				1, p, &r);
	free(summary);
	if (qs < 0)
		return qs;
	long long id = db_first_ll(r, "id");
	s->id = id;
	snprintf(s->ref, sizeof s->ref, "%s", PQgetvalue(r, 0, PQfnumber(r, "ref")));
	PQclear(r);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	const char *q[5] = {idbuf, what, str(s->clean, "when"), str(s->clean, "place"),
			    str(s->clean, "contact")};
	if ((qs = db_exec(c, e,
			  "INSERT INTO outside_report (incident_id, arrived_at, what_happened, "
			  "  when_text, place, contact) SELECT id, reported_at, $2, $3, $4, $5 "
			  "FROM incident WHERE id = $1::bigint",
			  5, q, NULL)) < 0)
		return qs;
	if ((qs = intake_store_files(c, id, s->files, s->nfiles, 0, e)) < 0)
		return qs;
	/* the count toward the per-address limit, with the report or not at all */
	const char *ip[1] = {s->ip};
	if (s->ip && (qs = db_exec(c, e, "INSERT INTO public_report_rate (ip) VALUES ($1::inet)", 1,
				   ip, NULL)) < 0)
		return qs;
	json_t *detail = json_pack("{s:s, s:s, s:i}", "ref", s->ref, "channel", "external",
				   "attachments", (int)s->nfiles);
	qs = audit_append(c, e, 0, "incident.reported", s->ip, id, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	/* The CSIRT is told, each member at most once per period of the clock
	 * (the first report of the period names itself; the mail points to the
	 * queue, where later ones wait too); a member absent today is not
	 * (resolve_role skips absences, as for every rung). */
	const char *m[2] = {idbuf, s->ref};
	qs = db_exec(c, e,
		     "INSERT INTO outbox (dedup_key, incident_id, recipient_id, email, lang, "
		     "  template, data) "
		     "SELECT 'outside:' || floor(extract(epoch FROM sokuho_now()) / "
		     OUTSIDE_MAIL_PERIOD_S ")::bigint || ':p' || p.id, $1::bigint, p.id, p.email, "
		     "  p.lang, 'outside_reported', jsonb_build_object('path', '/intake/' || $2) "
		     "FROM person p WHERE p.active AND p.id IN (SELECT x.person_id FROM "
		     "  resolve_role('csirt', NULL, NULL) x) "
		     "ON CONFLICT (dedup_key) DO NOTHING",
		     2, m, NULL);
	return qs < 0 ? qs : DB_OK;
}

enum db_qs outside_store(PGconn *c, const json_t *clean, const struct intake_file *files,
			 size_t nfiles, const char *ip, char ref[32], struct db_err *e)
{
	struct store s = {clean, files, nfiles, ip && *ip ? ip : NULL, "", 0};
	/* not idempotent: a COMMIT without an answer is reported, not repeated */
	enum db_qs qs = db_run_tx(c, "outside_store", 0, store_tx, &s, e);
	snprintf(ref, 32, "%s", s.ref);
	return qs;
}

enum db_qs outside_store_in_tx(PGconn *c, const json_t *clean, const struct intake_file *files,
			       size_t nfiles, char ref[32], long long *id, struct db_err *e)
{
	struct store s = {clean, files, nfiles, NULL, "", 0};
	enum db_qs qs = store_tx(c, &s, e);
	snprintf(ref, 32, "%s", s.ref);
	*id = s.id;
	return qs;
}

#define WAITED "floor(extract(epoch FROM sokuho_now() - o.arrived_at) / 60)::bigint"

json_t *outside_queue(PGconn *c, int limit)
{
	char lim[24];
	snprintf(lim, sizeof lim, "%d", limit > 0 ? limit : 1000000);
	const char *p[1] = {lim};
	json_t *rows = db_rows(c,
			       "SELECT i.ref, i.summary, o.place, "
			       "  to_char(o.arrived_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
			       "  AS arrived, " WAITED " AS waited_minutes, "
			       "  floor(extract(epoch FROM o.arrived_at))::bigint AS arrived_epoch "
			       "FROM outside_report o JOIN incident i ON i.id = o.incident_id "
			       "WHERE o.state = 'waiting' ORDER BY o.arrived_at, o.incident_id "
			       "LIMIT $1::bigint",
			       1, p);
	return rows ? rows : json_array();
}

long long outside_waiting_count(PGconn *c)
{
	PGresult *r;
	struct db_err e;
	long long n = -1;
	if (db_exec(c, &e, "SELECT count(*) AS n FROM outside_report WHERE state = 'waiting'", 0,
		    NULL, &r) == DB_OK)
		n = db_first_ll(r, "n");
	PQclear(r);
	return n;
}

json_t *outside_get(PGconn *c, const char *ref)
{
	const char *p[1] = {ref};
	json_t *row = db_row(
		c,
		"SELECT i.id AS incident_id, i.ref, i.summary, o.state, o.outcome, o.reason, "
		"  o.what_happened, o.when_text, o.place, o.contact, "
		"  to_char(o.arrived_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS arrived, "
		"  to_char(o.arrived_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD\"T\"HH24:MI') "
		"  AS arrived_input, " WAITED " AS waited_minutes, "
		"  floor(extract(epoch FROM o.arrived_at))::bigint AS arrived_epoch, "
		"  to_char(o.decided_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS decided, "
		"  d.display_name AS decided_by_name "
		"FROM outside_report o JOIN incident i ON i.id = o.incident_id "
		"LEFT JOIN person d ON d.id = o.decided_by WHERE i.ref = $1",
		1, p);
	if (!row)
		return NULL;
	const char *q[1] = {json_string_value(json_object_get(row, "incident_id"))};
	json_t *files = db_rows(c,
				"SELECT id, filename, size FROM attachment WHERE incident_id = "
				"$1::bigint ORDER BY id",
				1, q);
	json_object_set_new(row, "attachments", files ? files : json_array());
	return row;
}

/* Locks the waiting row of ref: DB_OK with its incident id, DB_NONE when
 * there is no such outside report; *waiting says whether it still waits. */
static enum db_qs lock_waiting(PGconn *c, const char *ref, long long *id, int *waiting,
			       struct db_err *e)
{
	const char *p[1] = {ref};
	PGresult *r;
	enum db_qs qs = db_exec(c, e,
				"SELECT o.incident_id AS id, o.state = 'waiting' AS waiting "
				"FROM outside_report o JOIN incident i ON i.id = o.incident_id "
				"WHERE i.ref = $1 FOR UPDATE OF o",
				1, p, &r);
	if (qs == DB_OK) {
		*id = db_first_ll(r, "id");
		*waiting = PQgetvalue(r, 0, PQfnumber(r, "waiting"))[0] == 't';
	}
	PQclear(r);
	return qs;
}

static const char *opt(const json_t *clean, const char *key)
{
	const char *s = json_string_value(json_object_get(clean, key));
	return s && *s ? s : NULL;
}

struct decision {
	struct engine *engine;
	const char *ref;
	const json_t *clean;   /* accept */
	const json_t *clocks;  /* accept */
	const char *outcome;   /* close */
	const char *reason;    /* close */
	int actor_id;
	const char *ip;
	enum outside_result res;
};

static enum db_qs accept_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct decision *d = arg;
	long long id = 0;
	int waiting = 0;
	enum db_qs qs = lock_waiting(c, d->ref, &id, &waiting, e);
	d->res = OUTSIDE_NOT_FOUND;
	if (qs <= 0)
		return qs;
	d->res = OUTSIDE_DECIDED;
	if (!waiting)
		return DB_NONE;
	const json_t *cl = d->clean;
	char idbuf[24], persons[24], actor[16];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(actor, sizeof actor, "%d", d->actor_id);
	json_t *pn = json_object_get(cl, "pd_persons");
	snprintf(persons, sizeof persons, "%lld", (long long)json_integer_value(pn));
	json_t *facts = intake_facts(cl);
	char *facts_s = json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(facts);
	buf segs = BUF_INIT;
	buf_putc(&segs, '{');
	size_t i;
	json_t *sv;
	json_array_foreach(json_object_get(cl, "segments"), i, sv) {
		if (i)
			buf_putc(&segs, ',');
		buf_puts(&segs, json_string_value(sv));
	}
	buf_putc(&segs, '}');
	const char *p[19] = {
		idbuf,
		opt(cl, "section"),
		opt(cl, "site"),
		opt(cl, "category"),
		opt(cl, "summary"),
		json_string_value(json_object_get(cl, "description")),
		opt(cl, "discovered_at"),
		opt(cl, "occurred_at"),
		buf_cstr(&segs),
		opt(cl, "system"),
		opt(cl, "pd_involved"),
		json_is_integer(pn) ? persons : NULL,
		opt(cl, "pd_sensitive"),
		opt(cl, "pd_mynumber"),
		opt(cl, "pd_encrypted"),
		opt(cl, "pd_malicious"),
		opt(cl, "pd_financial"),
		json_is_true(json_object_get(cl, "bcp")) ? "t" : "f",
		facts_s,
	};
	qs = db_exec(c, e,
		     "UPDATE incident SET "
		     "  section_id = (SELECT id FROM org_unit WHERE code = $2 AND kind = 'section'), "
		     "  site_id = (SELECT id FROM site WHERE code = $3), category = $4, summary = $5, "
		     /* the resident's words, unless the form gives other details */
		     "  description = CASE WHEN coalesce($6, '') <> '' THEN $6 ELSE q.what_happened "
		     "    || CASE WHEN q.when_text <> '' THEN E'\\n\\nいつ：' || q.when_text ELSE '' END "
		     "    || CASE WHEN q.place <> '' THEN E'\\nどこ：' || q.place ELSE '' END END, "
		     "  external_contact = nullif(q.contact, ''), "
		     /* the form shows the arrival to the minute: left as shown, it is
		      * the arrival itself */
		     "  discovered_at = CASE WHEN date_trunc('minute', q.arrived_at) = "
		     "    $7::timestamptz THEN q.arrived_at ELSE $7::timestamptz END, "
		     "  occurred_at = $8::timestamptz, segments = $9::text[], "
		     "  system_id = (SELECT id FROM info_system WHERE code = $10), pd_involved = $11, "
		     "  pd_persons = $12::int, pd_sensitive = $13, pd_mynumber = $14, "
		     "  pd_encrypted = $15, pd_malicious = $16, pd_financial = $17, "
		     "  bcp = $18::boolean, facts = $19::jsonb, updated_at = sokuho_now() "
		     "FROM outside_report q WHERE q.incident_id = incident.id AND incident.id = "
		     "$1::bigint",
		     19, p, NULL);
	buf_release(&segs);
	free(facts_s);
	if (qs < 0)
		return qs;
	if ((qs = intake_store_deadlines(c, id, d->clocks,
					 d->engine ? engine_calendar(d->engine) : NULL, NULL, e)) < 0)
		return qs;
	const char *q[2] = {idbuf, actor};
	if ((qs = db_exec(c, e,
			  "UPDATE outside_report SET state = 'accepted', decided_by = $2::int, "
			  "  decided_at = sokuho_now() WHERE incident_id = $1::bigint",
			  2, q, NULL)) < 0)
		return qs;
	json_t *detail = json_pack("{s:s, s:s?, s:s?}", "ref", d->ref, "discovered_at",
				   opt(cl, "discovered_at"), "category", opt(cl, "category"));
	qs = audit_append(c, e, d->actor_id, "outside.accepted", d->ip, id, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	if (d->engine && engine_start_incident(d->engine, c, id) < 0)
		return db_fail(c, e, "the workflows could not be started");
	d->res = OUTSIDE_OK;
	return DB_OK;
}

static enum db_qs close_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct decision *d = arg;
	long long id = 0;
	int waiting = 0;
	enum db_qs qs = lock_waiting(c, d->ref, &id, &waiting, e);
	d->res = OUTSIDE_NOT_FOUND;
	if (qs <= 0)
		return qs;
	d->res = OUTSIDE_DECIDED;
	if (!waiting)
		return DB_NONE;
	char idbuf[24], actor[16];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	snprintf(actor, sizeof actor, "%d", d->actor_id);
	const char *p[4] = {idbuf, actor, d->outcome, d->reason};
	if ((qs = db_exec(c, e,
			  "UPDATE outside_report SET state = 'closed', outcome = $3, reason = $4, "
			  "  decided_by = $2::int, decided_at = sokuho_now() "
			  "WHERE incident_id = $1::bigint",
			  4, p, NULL)) < 0)
		return qs;
	if ((qs = db_exec(c, e,
			  "UPDATE incident SET closed_at = sokuho_now(), updated_at = sokuho_now() "
			  "WHERE id = $1::bigint AND closed_at IS NULL",
			  1, p, NULL)) < 0)
		return qs;
	json_t *detail = json_pack("{s:s, s:s, s:s}", "ref", d->ref, "outcome", d->outcome,
				   "reason", d->reason);
	qs = audit_append(c, e, d->actor_id, "outside.closed", d->ip, id, detail);
	json_decref(detail);
	if (qs < 0)
		return qs;
	d->res = OUTSIDE_OK;
	return DB_OK;
}

static enum outside_result decide(PGconn *c, const char *name, db_tx_fn fn, struct decision *d,
				  enum db_qs *qs, struct db_err *e)
{
	/* idempotent: a second run finds the row decided and changes nothing */
	*qs = db_run_tx(c, name, DB_TX_IDEMPOTENT, fn, d, e);
	if (*qs < 0)
		return OUTSIDE_DB_ERROR;
	return d->res;
}

enum outside_result outside_accept(struct engine *engine, PGconn *c, const char *ref,
				   const json_t *clean, const json_t *clocks, int actor_id,
				   const char *ip, enum db_qs *qs, struct db_err *e)
{
	struct decision d = {engine, ref, clean, clocks, NULL, NULL, actor_id,
			     ip && *ip ? ip : NULL, OUTSIDE_NOT_FOUND};
	return decide(c, "outside_accept", accept_tx, &d, qs, e);
}

enum outside_result outside_close(PGconn *c, const char *ref, const char *outcome,
				  const char *reason, int actor_id, const char *ip,
				  enum db_qs *qs, struct db_err *e)
{
	struct decision d = {NULL, ref, NULL, NULL, outcome, reason, actor_id,
			     ip && *ip ? ip : NULL, OUTSIDE_NOT_FOUND};
	return decide(c, "outside_close", close_tx, &d, qs, e);
}
