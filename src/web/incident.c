/* One incident: every fact, the legal deadlines, evidence files, notes and
 * the timeline (its audit events); notes and corrections of facts by the
 * people allowed to act, each change recorded with old and new value. The
 * lists are in incidents.c. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/db.h"
#include "db/tx.h"
#include "core/log.h"
#include "incident/intake.h"
#include "incident/note.h"
#include "incident/notify.h"
#include "web.h"
#include "wf/engine.h"

/* Content types a browser may be told an attachment has; everything else
 * goes out as application/octet-stream. Always as a download. */
static const char *const safe_types[] = {"image/png", "image/jpeg", "image/gif", "application/pdf",
					 "text/plain", NULL};

int web_incident_load_scope(PGconn *c, const char *ref, struct incident_scope *scope,
			    long long *id)
{
	const char *p[1] = {ref};
	PGresult *r = PQexecParams(
		c,
		"SELECT i.id, coalesce(i.section_id, 0), coalesce(s.parent_id, 0), "
		"  coalesce(i.system_id, 0), coalesce(i.reporter_id, 0) "
		"FROM incident i LEFT JOIN org_unit s ON s.id = i.section_id WHERE i.ref = $1",
		1, NULL, p, NULL, NULL, 0);
	int found = db_ok(r) && PQntuples(r) == 1;
	if (found) {
		*id = atoll(PQgetvalue(r, 0, 0));
		scope->section_id = atoi(PQgetvalue(r, 0, 1));
		scope->department_id = atoi(PQgetvalue(r, 0, 2));
		scope->system_id = atoi(PQgetvalue(r, 0, 3));
		scope->reporter_id = atoi(PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	return found ? 0 : -1;
}

static const char incident_sql[] =
	"SELECT i.id, i.ref, i.channel, i.summary, i.description, i.how_found, i.category, "
	"  c.title_ja AS category_ja, c.title_en AS category_en, i.severity, "
	"  to_char(i.discovered_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS discovered, "
	"  to_char(i.occurred_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS occurred, "
	"  to_char(i.reported_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS reported, "
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
	"LEFT JOIN person p ON p.id = i.reporter_id WHERE i.ref = $1";

/* The facts the correction form edits (correct_facts). */
static const char *const fix_fields[] = {"summary",	    "description",  "category",
					 "severity",	    "pd_persons",   "contractor",
					 "pd_involved",	    "pd_sensitive", "pd_mynumber",
					 "pd_encrypted",    "pd_malicious", "pd_financial",
					 NULL};
#define NFIX 12
/* The first of them that are yes / no / unknown answers. */
#define FIX_FIRST_PD 6

static int incident_page(struct request *req, PGconn *c, const char *ref, long long id,
			 int can_act, unsigned status, json_t *errors, const char *done)
{
	const char *p[1] = {ref};
	json_t *inc = db_row(c, incident_sql, 1, p);
	if (!inc)
		return http_error(req, 404);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	const char *ip[1] = {idbuf};
	json_t *d = json_object();
	json_object_set_new(
		d, "deadlines",
		db_rows(c,
			"SELECT title_ja, title_en, "
			"  to_char(due_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS due, "
			"  due_at < sokuho_now() AND met_at IS NULL AS overdue, met_at IS NOT NULL AS met, "
			"  greatest(0, ceil(extract(epoch FROM due_at - sokuho_now()) / 86400))::int "
			"  AS days_left FROM legal_deadline WHERE incident_id = $1::bigint ORDER BY due_at",
			1, ip));
	json_object_set_new(d, "has_deadlines",
			    json_boolean(json_array_size(json_object_get(d, "deadlines")) > 0));
	json_object_set_new(d, "attachments",
			    db_rows(c,
				    "SELECT id, filename, size, sha256, "
				    "  to_char(uploaded_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
				    "  AS at FROM attachment WHERE incident_id = $1::bigint ORDER BY id",
				    1, ip));
	json_object_set_new(
		d, "timeline",
		db_rows(c,
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
			1, ip));
	/* Changes come as JSON text from SQL; turn them into arrays. */
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(d, "timeline"), i, ev) {
		const char *cj = json_string_value(json_object_get(ev, "changes_json"));
		if (cj)
			json_object_set_new(ev, "changes", json_loads(cj, 0, NULL));
		json_object_del(ev, "changes_json");
	}
	json_object_set_new(d, "told",
			    notify_recipients_json(c, json_string_value(json_object_get(inc, "section_id")),
						   json_string_value(json_object_get(inc, "system_id"))));
	json_error_t jerr;
	json_t *facts = json_loads(json_string_value(json_object_get(inc, "facts")), 0, &jerr);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	json_object_set_new(d, "clocks", clocks);
	json_object_set_new(d, "can_act", json_boolean(can_act));
	/* Only the actions the person may take are offered (authz_actions). */
	struct incident_scope scope;
	long long sid;
	int have_scope = web_incident_load_scope(c, ref, &scope, &sid) == 0;
	const struct principal *who = &req->sess->who;
	int can_note = have_scope && authz_action_allows(who, ACT_NOTE, &scope);
	int can_workflow = have_scope && authz_action_allows(who, ACT_WORKFLOW, &scope);
	json_object_set_new(d, "can_note", json_boolean(can_note));
	json_object_set_new(d, "can_download",
			    json_boolean(have_scope && authz_action_allows(who, ACT_DOWNLOAD, &scope)));
	if (errors && http_form(req, "note")) /* a refused note comes back as typed */
		json_object_set_new(d, "note_typed", json_string(http_form(req, "note")));
	if (can_act) {
		/* The correction form: the values as typed when it was refused. */
		json_t *fix = json_object();
		for (int k = 0; fix_fields[k]; k++) {
			const char *typed = errors ? http_form(req, fix_fields[k]) : NULL;
			const char *stored = json_string_value(json_object_get(inc, fix_fields[k]));
			json_object_set_new(fix, fix_fields[k],
					    json_string(typed ? typed : stored ? stored : ""));
		}
		json_t *cats = db_rows(c, "SELECT key, title_ja, key = $1 AS selected FROM category "
					  "ORDER BY sort",
				       1, (const char *const[]){json_string_value(json_object_get(fix, "category"))});
		json_object_set_new(d, "categories", cats);
		json_t *checked = json_object();
		for (int k = FIX_FIRST_PD; fix_fields[k]; k++) {
			char key[48];
			snprintf(key, sizeof key, "%s_%s", fix_fields[k],
				 json_string_value(json_object_get(fix, fix_fields[k])));
			json_object_set_new(checked, key, json_true());
		}
		json_object_set_new(d, "fix_checked", checked);
		json_t *sev = json_array();
		const char *cur = json_string_value(json_object_get(fix, "severity"));
		static const char *const names[] = {"0 予兆のみ sign only", "1 職員の業務に影響 staff work",
						    "2 市の業務に影響 city business",
						    "3 住民等に影響・個人情報漏えい residents / personal data"};
		for (int k = 0; k < 4; k++) {
			char v[16];
			snprintf(v, sizeof v, "%d", k);
			json_array_append_new(sev, json_pack("{s:s, s:s, s:b}", "value", v, "label",
							     names[k], "selected",
							     cur && strcmp(cur, v) == 0));
		}
		json_object_set_new(d, "severities", sev);
		json_object_set_new(d, "fix", fix);
	}
	json_object_set_new(d, "incident", inc);
	if (req->app->engine) {
		/* without ACT_WORKFLOW no run offers an action (actor 0 may take none) */
		json_t *runs = engine_runs_json(req->app->engine, c, id,
						can_workflow ? who->person_id : 0);
		size_t k;
		json_t *run;
		json_array_foreach(runs, k, run)
			json_object_set_new(run, "ref", json_string(ref));
		json_object_set_new(d, "runs", runs);
	}
	if (errors && json_object_size(errors)) {
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (done) {
		const char *key = strcmp(done, "note") == 0	  ? "done_note"
				  : strcmp(done, "corrected") == 0 ? "done_corrected"
				  : strcmp(done, "conflict") == 0  ? "done_conflict"
				  : strcmp(done, "close_blocked") == 0 ? "done_close_blocked"
								   : "done_action";
		json_object_set_new(d, key, json_true());
	}
	return http_page(req, status, "pages/incident", d);
}

static int add_note(struct request *req, PGconn *c, const char *ref, long long id, int can_act)
{
	const char *body = http_form(req, "note");
	json_t *errors = json_object();
	size_t n = utf8_chars(body ? body : "");
	if (json_object_size(req->form_invalid))
		web_mark_not_utf8(req, errors, NULL, (const char *const[]){"note", "note_label", NULL});
	else if (!body || !*body)
		json_object_set_new(errors, "note", json_string("メモを入力してください。 Write the note."));
	else if (n > INCIDENT_NOTE_MAX_CHARS)
		json_object_set_new(errors, "note",
				    json_string("10000文字以内で入力してください。 Keep it within 10000 characters."));
	if (json_object_size(errors)) {
		int rc = incident_page(req, c, ref, id, can_act, 422, errors, NULL);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	struct db_err e;
	enum db_qs qs = incident_add_note(c, id, req->sess->who.person_id,
					  req->ip[0] ? req->ip : NULL, body, &e);
	if (qs < 0)
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	char *loc = xasprintf("/incidents/%s?done=note", ref);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

/* A correction in one transaction (db_run_tx): the row is locked, compared
 * field by field, updated with its facts, audited, and the legal deadlines
 * and workflows the new facts call for are started. */
struct correction {
	struct app *app;
	long long id;
	int actor;
	const char *ip;
	const json_t *clean;   /* intake_check_correction's */
	int changed;           /* out: 0 when nothing differed */
};

/* The cleaned value as the incident row's text (NULL for null). */
static char *value_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

static enum db_qs correct_tx(PGconn *c, void *arg, struct db_err *e)
{
	struct correction *k = arg;
	k->changed = 0;
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", k->id);
	const char *ip[1] = {idbuf};
	json_t *cur = NULL, *changes = NULL, *facts = NULL, *clocks = NULL, *added = NULL;
	char *vals[NFIX] = {NULL};
	char *facts_s = NULL;
	enum db_qs qs = db_row_get(c, e,
				   "SELECT summary, description, category, severity::text AS severity, "
				   "  pd_persons::text AS pd_persons, contractor, pd_involved, "
				   "  pd_sensitive, pd_mynumber, pd_encrypted, pd_malicious, pd_financial, "
				   "  facts::text AS facts "
				   "FROM incident WHERE id = $1::bigint FOR UPDATE",
				   1, ip, &cur);
	if (qs <= 0)
		goto out;
	changes = json_array();
	for (int i = 0; fix_fields[i]; i++) {
		if (i >= FIX_FIRST_PD && !json_object_get(k->clean, fix_fields[i]))
			continue; /* an answer not sent stays as it is */
		vals[i] = value_text(json_object_get(k->clean, fix_fields[i]));
		const char *ov = json_string_value(json_object_get(cur, fix_fields[i]));
		if (strcmp(vals[i] ? vals[i] : "", ov ? ov : "") != 0)
			json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "field", fix_fields[i],
								 "old", ov ? ov : "", "new",
								 vals[i] ? vals[i] : ""));
	}
	if (json_array_size(changes) == 0) {
		qs = DB_NONE;
		goto out;
	}
	/* The facts the legal clocks and workflows read, with the new values. */
	json_error_t jerr;
	facts = json_loads(json_string_value(json_object_get(cur, "facts")), 0, &jerr);
	if (!json_is_object(facts)) {
		json_decref(facts);
		facts = json_object();
	}
	json_object_set(facts, "category", json_object_get(k->clean, "category"));
	json_t *pd = json_object_get(facts, "personal_data");
	if (!json_is_object(pd)) {
		pd = json_object();
		json_object_set_new(facts, "personal_data", pd);
	}
	if (json_is_integer(json_object_get(k->clean, "pd_persons")))
		json_object_set(pd, "persons", json_object_get(k->clean, "pd_persons"));
	else
		json_object_del(pd, "persons");
	for (int i = FIX_FIRST_PD; fix_fields[i]; i++) {
		if (!vals[i])
			continue;
		/* the facts' names: personal_data.involved ... (intake_facts) */
		const char *name = fix_fields[i] + 3;
		json_object_set_new(pd, name, i == FIX_FIRST_PD ? json_string(vals[i])
							   : intake_tri_fact(vals[i]));
	}
	facts_s = json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS);
	const char *up[14] = {idbuf,   vals[0], vals[1] ? vals[1] : "", vals[2], vals[3],
			      vals[4], vals[5] ? vals[5] : "", facts_s, vals[6], vals[7],
			      vals[8], vals[9], vals[10], vals[11]};
	qs = db_exec(c, e,
		     "UPDATE incident SET summary = $2, description = $3, category = $4, "
		     "severity = $5::int, pd_persons = $6::int, contractor = $7, facts = $8::jsonb, "
		     "pd_involved = coalesce($9, pd_involved), "
		     "pd_sensitive = coalesce($10, pd_sensitive), "
		     "pd_mynumber = coalesce($11, pd_mynumber), "
		     "pd_encrypted = coalesce($12, pd_encrypted), "
		     "pd_malicious = coalesce($13, pd_malicious), "
		     "pd_financial = coalesce($14, pd_financial), "
		     "updated_at = sokuho_now() WHERE id = $1::bigint",
		     14, up, NULL);
	if (qs < 0)
		goto out;
	/* New facts may make a legal clock apply (a leak now over 100 persons):
	 * its deadlines are written as filing writes them. */
	clocks = web_legal_clocks(k->app, facts);
	added = json_array();
	qs = intake_store_deadlines(c, k->id, clocks, added, e);
	if (qs < 0)
		goto out;
	json_t *detail = json_pack("{s:O}", "changes", changes);
	if (json_array_size(added))
		json_object_set(detail, "deadlines", added);
	qs = audit_append(c, e, k->actor, "incident.corrected", k->ip, k->id, detail);
	json_decref(detail);
	if (qs < 0)
		goto out;
	if (k->app->engine && engine_start_incident(k->app->engine, c, k->id) < 0) {
		qs = db_fail(c, e, "the workflows could not be started");
		goto out;
	}
	k->changed = 1;
	qs = DB_OK;
out:
	for (int i = 0; i < NFIX; i++)
		free(vals[i]);
	free(facts_s);
	json_decref(cur);
	json_decref(changes);
	json_decref(facts);
	json_decref(clocks);
	json_decref(added);
	return qs;
}

/* Corrects facts: the checks of filing (intake_check_correction), then one
 * transaction listing every changed field with its old and new value. A
 * refused correction comes back with the values as typed. */
static int correct_facts(struct request *req, PGconn *c, const char *ref, long long id)
{
	json_t *errors = json_object();
	json_t *clean = intake_check_correction(c, req->form, errors);
	/* the incident page's own labels; the personal-data ones are the report form's */
	static const char *const labels[] = {"summary",	   "summary",  "description", "details",
					     "category",   "category", "severity",    "severity",
					     "pd_persons", "persons",  "contractor",  "contractor",
					     NULL};
	web_mark_not_utf8(req, errors, NULL, labels);
	if (json_object_size(errors)) {
		json_decref(clean);
		int rc = incident_page(req, c, ref, id, 1, 422, errors, NULL);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	struct correction k = {req->app, id, req->sess->who.person_id, req->ip[0] ? req->ip : NULL,
			       clean, 0};
	struct db_err e;
	enum db_qs qs = db_run_tx(c, "incident_correct", 0, correct_tx, &k, &e);
	json_decref(clean);
	if (qs < 0) {
		log_event(LOG_ERROR, "correction_failed", "rid=%s error=%s", req->rid,
			  log_quote(0, e.msg));
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	}
	char *loc = xasprintf(k.changed ? "/incidents/%s?done=corrected" : "/incidents/%s", ref);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int download(struct request *req, PGconn *c, long long id, const char *att)
{
	char *end;
	long long aid = strtoll(att, &end, 10);
	if (*end || aid <= 0)
		return http_error(req, 404);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	const char *p[2] = {idbuf, att};
	PGresult *r = PQexecParams(c,
				   "SELECT filename, content_type, data FROM attachment "
				   "WHERE incident_id = $1::bigint AND id = $2::bigint",
				   2, NULL, p, NULL, NULL, 1);
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(r);
		return http_error(req, 404);
	}
	const char *type = "application/octet-stream";
	for (int k = 0; safe_types[k]; k++)
		if (strcmp(PQgetvalue(r, 0, 1), safe_types[k]) == 0)
			type = safe_types[k];
	/* RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded. */
	const char *name = PQgetvalue(r, 0, 0);
	buf cd = BUF_INIT;
	buf_puts(&cd, "attachment; filename=\"evidence\"; filename*=UTF-8''");
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '-' || *s == '_')
			buf_putc(&cd, (char)*s);
		else
			buf_printf(&cd, "%%%02X", *s);
	}
	size_t len = (size_t)PQgetlength(r, 0, 2);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, PQgetvalue(r, 0, 2), MHD_RESPMEM_MUST_COPY);
	PQclear(r);
	if (!resp) {
		buf_release(&cd);
		return -1;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Disposition", buf_cstr(&cd));
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	buf_release(&cd);
	return http_queue(req, 200, resp, len);
}

/* POST /incidents/REF/workflow/RUN/ACTION: a person moves a workflow on. */
static int workflow_action(struct request *req, PGconn *c, const char *ref, long long id,
			   int can_act, const char *run_s, const char *action)
{
	char *end;
	long long run = strtoll(run_s, &end, 10);
	if (*end || run <= 0 || !req->app->engine)
		return http_error(req, 404);
	/* The run must belong to this incident. */
	char rb[24], ib[24];
	snprintf(rb, sizeof rb, "%lld", run);
	snprintf(ib, sizeof ib, "%lld", id);
	json_t *mine = db_row(c, "SELECT 1 AS x FROM workflow_run WHERE id = $1::bigint AND "
				 "incident_id = $2::bigint",
			      2, (const char *const[]){rb, ib});
	if (!mine)
		return http_error(req, 404);
	json_decref(mine);
	const char *fence_s = http_form(req, "fence");
	int fence = fence_s && *fence_s ? atoi(fence_s) : -1;
	json_t *errors = json_object();
	enum engine_act_result r =
		engine_act(req->app->engine, c, run, fence, action, req->form,
			   req->sess->who.person_id, req->ip[0] ? req->ip : NULL, errors);
	int rc;
	char *loc;
	switch (r) {
	case ENGINE_ACT_OK:
	case ENGINE_ACT_CONFLICT:
		loc = xasprintf("/incidents/%s?done=%s", ref, r == ENGINE_ACT_OK ? "action" : "conflict");
		rc = http_redirect(req, loc);
		free(loc);
		break;
	case ENGINE_ACT_INVALID:
		rc = incident_page(req, c, ref, id, can_act, 422, errors, NULL);
		break;
	case ENGINE_ACT_BLOCKED: /* closing while a legal report runs */
		rc = incident_page(req, c, ref, id, can_act, 409, NULL, "close_blocked");
		break;
	case ENGINE_ACT_FORBIDDEN:
		rc = http_error(req, 403);
		break;
	case ENGINE_ACT_NOT_FOUND:
		rc = http_error(req, 404);
		break;
	case ENGINE_ACT_UNAVAILABLE:
		rc = http_error(req, 503);
		break;
	default:
		rc = http_error(req, 500);
	}
	json_decref(errors);
	return rc;
}

/* /incidents/REF[/notes | /facts | /attachments/ID | /workflow/RUN/ACTION] */
int web_incident(struct request *req)
{
	char *rest = xstrdup(req->path + strlen("/incidents/"));
	char *parts[5] = {NULL};
	int np = 0;
	for (char *s = rest, *save = NULL, *t; np < 5 && (t = strtok_r(s, "/", &save)); s = NULL)
		parts[np++] = t;
	PGconn *c = db_pool_get(req->app->db);
	if (!c) {
		free(rest);
		return http_error(req, 503);
	}
	int rc;
	struct incident_scope scope;
	long long id;
	const struct principal *who = &req->sess->who;
	/* Someone who may not see an incident learns nothing, not even that
	 * it exists. */
	if (np == 0 || web_incident_load_scope(c, parts[0], &scope, &id) < 0 ||
	    !authz_allows(who, PERM_INCIDENT_VIEW, &scope)) {
		rc = http_error(req, 404);
		goto out;
	}
	/* can_act: the correction form is offered and accepted (ACT_CORRECT);
	 * every other action asks authz_action_allows where it is performed. */
	int can_act = authz_action_allows(who, ACT_CORRECT, &scope);
	const char *ref = parts[0];
	if (req->method != HTTP_POST) {
		if (np == 1)
			rc = incident_page(req, c, ref, id, can_act, 200, NULL, http_query(req, "done"));
		else if (np == 2 && strcmp(parts[1], "print") == 0)
			rc = authz_action_allows(who, ACT_PRINT, &scope) ? web_incident_print(req, c, ref, id)
									 : http_error(req, 403);
		else if (np == 2 && strcmp(parts[1], "ppc-report") == 0)
			rc = authz_action_allows(who, ACT_PPC_REPORT, &scope)
				     ? web_incident_ppc(req, c, ref, id)
				     : http_error(req, 403);
		else if (np == 3 && strcmp(parts[1], "attachments") == 0)
			rc = authz_action_allows(who, ACT_DOWNLOAD, &scope) ? download(req, c, id, parts[2])
									    : http_error(req, 403);
		else
			rc = http_error(req, 404);
	} else if (json_object_size(req->form_invalid) &&
		   !(np == 2 && (strcmp(parts[1], "notes") == 0 || strcmp(parts[1], "facts") == 0))) {
		/* Only the note and correction forms mark such a field (ROUTE_MARKS_INVALID). */
		log_event(LOG_WARN, "bad_form", "rid=%s error=%s", req->rid,
			  log_quote(0, "a value is not valid UTF-8"));
		rc = http_error(req, 400);
	} else if (np == 2 && strcmp(parts[1], "notes") == 0) {
		/* The reporter may add what they learn; so may those who act. */
		rc = authz_action_allows(who, ACT_NOTE, &scope) ? add_note(req, c, ref, id, can_act)
								: http_error(req, 403);
	} else if (np == 4 && strcmp(parts[1], "workflow") == 0) {
		/* ACT_WORKFLOW first; then which of those people may take this
		 * step is the workflow's own "by" (engine_act) */
		rc = authz_action_allows(who, ACT_WORKFLOW, &scope)
			     ? workflow_action(req, c, ref, id, can_act, parts[2], parts[3])
			     : http_error(req, 403);
	} else if (np == 2 && strcmp(parts[1], "facts") == 0) {
		rc = can_act ? correct_facts(req, c, ref, id) : http_error(req, 403);
	} else {
		rc = http_error(req, 404);
	}
out:
	db_pool_put(req->app->db, c);
	free(rest);
	return rc;
}
