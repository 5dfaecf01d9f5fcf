/* One incident: every fact, the legal deadlines, evidence files, notes and
 * the timeline (its audit events); notes and corrections of facts by the
 * people allowed to act, each change recorded with old and new value. The
 * page reads through src/incident/page.h and changes through the operations
 * of src/incident/ (note, correct, evidence); the lists are in incidents.c. */
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/tx.h"
#include "incident/correct.h"
#include "incident/evidence.h"
#include "incident/intake.h"
#include "incident/mail_report.h"
#include "incident/note.h"
#include "incident/notify.h"
#include "incident/page.h"
#include "incident/printout.h"
#include "incident/submission.h"
#include "web.h"
#include "wf/engine.h"
#include "wf/legal.h"

/* The page's words for stored codes: a timeline entry's kind ("what": the
 * catalog's msg_ev_KIND, the kind itself for one it lacks) and the
 * personal-data answers yes / no / unknown (PD_word: msg_tri_*; the codes stay
 * for the correction form), in the page's language. */
static void words_not_codes(struct request *req, json_t *d, json_t *inc)
{
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(d, "timeline"), i, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		char key[80];
		snprintf(key, sizeof key, "msg_ev_%s", kind ? kind : "");
		for (char *p = key; *p; p++)
			if (*p == '.')
				*p = '_';
		json_t *what = http_label(req, key);
		if (strcmp(json_string_value(what), key) == 0) {
			json_decref(what);
			what = json_string(kind ? kind : "");
		}
		json_object_set_new(ev, "what", what);
	}
	static const char *const tri[] = {"pd_involved", "pd_sensitive", "pd_mynumber", "pd_encrypted",
					  "pd_malicious", "pd_financial", NULL};
	for (int k = 0; tri[k]; k++) {
		const char *v = json_string_value(json_object_get(inc, tri[k]));
		if (!v || (strcmp(v, "yes") && strcmp(v, "no") && strcmp(v, "unknown")))
			continue;
		char key[32], word[32];
		snprintf(key, sizeof key, "msg_tri_%s", v);
		snprintf(word, sizeof word, "%s_word", tri[k]);
		json_object_set_new(inc, word, http_label(req, key));
	}
}

static int incident_page(struct request *req, PGconn *c, const char *ref, long long id,
			 const struct incident_scope *scope, int can_act, unsigned status,
			 json_t *errors, const char *done)
{
	/* incident, deadlines, attachments, timeline (and the categories) */
	json_t *d = incident_page_json(c, ref, can_act);
	if (!d)
		return http_error(req, 404);
	json_t *inc = json_object_get(d, "incident");
	words_not_codes(req, d, inc);
	json_object_set_new(d, "has_deadlines",
			    json_boolean(json_array_size(json_object_get(d, "deadlines")) > 0));
	json_object_set_new(d, "told",
			    notify_recipients_json(c, json_string_value(json_object_get(inc, "section_id")),
						   json_string_value(json_object_get(inc, "system_id"))));
	json_error_t jerr;
	json_t *facts = json_loads(json_string_value(json_object_get(inc, "facts")), 0, &jerr);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	json_object_set_new(d, "clocks", clocks);
	json_object_set_new(d, "can_act", json_boolean(can_act));
	/* the mails that reported it, and their original's indicators */
	json_t *mail = mail_report_of_incident(c, id);
	if (mail)
		json_object_set_new(d, "mail", mail);
	/* Only the actions the person may take are offered (authz_actions). */
	const struct principal *who = &req->sess->who;
	int can_note = authz_action_allows(who, ACT_NOTE, scope);
	int can_workflow = authz_action_allows(who, ACT_WORKFLOW, scope);
	json_object_set_new(d, "can_note", json_boolean(can_note));
	json_object_set_new(d, "can_download",
			    json_boolean(authz_action_allows(who, ACT_DOWNLOAD, scope)));
	if (errors && http_form(req, "note")) /* a refused note comes back as typed */
		json_object_set_new(d, "note_typed", json_string(http_form(req, "note")));
	if (can_act) {
		/* The correction form: the values as typed when it was refused. */
		json_t *fix = json_object();
		for (int k = 0; incident_fix_fields[k]; k++) {
			const char *typed = errors ? http_form(req, incident_fix_fields[k]) : NULL;
			const char *stored = json_string_value(json_object_get(inc, incident_fix_fields[k]));
			json_object_set_new(fix, incident_fix_fields[k],
					    json_string(typed ? typed : stored ? stored : ""));
		}
		const char *cat = json_string_value(json_object_get(fix, "category"));
		size_t ci;
		json_t *row;
		json_array_foreach(json_object_get(d, "categories"), ci, row) {
			const char *key = json_string_value(json_object_get(row, "key"));
			json_object_set_new(row, "selected", json_boolean(key && cat && strcmp(key, cat) == 0));
		}
		json_t *checked = json_object();
		for (int k = INCIDENT_FIX_FIRST_TRI; incident_fix_fields[k]; k++) {
			char key[48];
			snprintf(key, sizeof key, "%s_%s", incident_fix_fields[k],
				 json_string_value(json_object_get(fix, incident_fix_fields[k])));
			json_object_set_new(checked, key, json_true());
		}
		json_object_set_new(d, "fix_checked", checked);
		json_t *sev = json_array();
		const char *cur = json_string_value(json_object_get(fix, "severity"));
		for (int k = 0; k < 4; k++) {
			char v[16], key[32];
			snprintf(v, sizeof v, "%d", k);
			snprintf(key, sizeof key, "msg_severity_%d", k);
			json_array_append_new(sev, json_pack("{s:s, s:o, s:b}", "value", v, "label",
							     http_label(req, key), "selected",
							     cur && strcmp(cur, v) == 0));
		}
		json_object_set_new(d, "severities", sev);
		json_object_set_new(d, "fix", fix);
	}
	/* The first hour: while a 速報 is due, the items of it still missing
	 * (wf/legal.h), from the facts and what the workflows recorded. */
	int preliminary_open = 0;
	{
		size_t k;
		json_t *dl;
		json_array_foreach(json_object_get(d, "deadlines"), k, dl) {
			const char *key = json_string_value(json_object_get(dl, "key"));
			size_t kl = key ? strlen(key) : 0;
			if (kl > 12 && strcmp(key + kl - 12, "_preliminary") == 0 &&
			    !json_is_true(json_object_get(dl, "met")))
				preliminary_open = 1;
		}
	}
	if (preliminary_open) {
		json_t *known = printout_workflow_fields(c, id);
		if (!json_is_object(known)) {
			json_decref(known);
			known = json_object();
		}
		if (!json_object_get(known, "prevention") && json_object_get(known, "measures"))
			json_object_set(known, "prevention", json_object_get(known, "measures"));
		json_object_set(known, "description", json_object_get(inc, "description"));
		json_object_set(known, "items", json_object_get(inc, "pd_items"));
		json_object_set(known, "persons", json_object_get(inc, "pd_persons"));
		json_t *missing = legal_preliminary_missing(known);
		json_decref(known);
		json_object_set_new(d, "has_missing", json_boolean(json_array_size(missing) > 0));
		json_object_set_new(d, "missing", missing);
	}
	/* the legal reports as submitted, and the form to record one for a
	 * deadline not yet submitted (ACT_SUBMISSION) */
	json_t *subs = submission_list(c, id);
	json_object_set_new(d, "has_submissions", json_boolean(json_array_size(subs) > 0));
	json_object_set_new(d, "submissions", subs ? subs : json_array());
	if (authz_action_allows(who, ACT_SUBMISSION, scope)) {
		json_t *open = json_array();
		size_t k;
		json_t *dl;
		json_array_foreach(json_object_get(d, "deadlines"), k, dl) {
			const char *key = json_string_value(json_object_get(dl, "key"));
			int sent = 0;
			size_t m;
			json_t *s;
			json_array_foreach(json_object_get(d, "submissions"), m, s)
				sent |= key && strcmp(key, json_string_value(json_object_get(s, "key"))) == 0;
			if (key && !sent)
				json_array_append(open, dl);
		}
		if (json_array_size(open)) {
			json_t *typed = json_object();
			static const char *const names[] = {"key", "submitted_at", "number", "text", NULL};
			for (int n = 0; names[n]; n++) {
				const char *v = errors ? http_form(req, names[n]) : NULL;
				json_object_set_new(typed, names[n], json_string(v ? v : ""));
			}
			const char *tk = json_string_value(json_object_get(typed, "key"));
			json_array_foreach(open, k, dl)
				json_object_set_new(dl, "selected",
						    json_boolean(tk && strcmp(tk, json_string_value(json_object_get(dl, "key"))) == 0));
			json_object_set_new(d, "submit_typed", typed);
			json_object_set_new(d, "submit_deadlines", open);
			json_object_set_new(d, "can_submit", json_true());
		} else {
			json_decref(open);
		}
	}
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
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (done) {
		const char *key = strcmp(done, "note") == 0	  ? "done_note"
				  : strcmp(done, "corrected") == 0 ? "done_corrected"
				  : strcmp(done, "conflict") == 0  ? "done_conflict"
				  : strcmp(done, "close_blocked") == 0 ? "done_close_blocked"
				  : strcmp(done, "submitted") == 0 ? "done_submitted"
								   : "done_action";
		json_object_set_new(d, key, json_true());
	}
	return http_page(req, status, "pages/incident", d);
}

static int add_note(struct request *req, PGconn *c, const char *ref, long long id,
		    const struct incident_scope *scope, int can_act)
{
	const char *body = http_form(req, "note");
	json_t *errors = json_object();
	size_t n = utf8_chars(body ? body : "");
	if (json_object_size(req->form_invalid))
		web_mark_not_utf8(req, errors, NULL, (const char *const[]){"note", "note_label", NULL});
	else if (!body || !*body)
		json_object_set_new(errors, "note", json_string("note_err_empty"));
	else if (n > INCIDENT_NOTE_MAX_CHARS)
		json_object_set_new(errors, "note",
				    json_pack("{s:s, s:{s:i}}", "key", "note_err_too_long", "args", "max",
					      INCIDENT_NOTE_MAX_CHARS));
	if (json_object_size(errors)) {
		int rc = incident_page(req, c, ref, id, scope, can_act, 422, errors, NULL);
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

/* Splits a mail report wrongly linked to incident id off into an incident
 * of its own (mail_report_split), and shows that one. */
static int split_mail(struct request *req, PGconn *c, long long id, const char *mail)
{
	char *end;
	errno = 0;
	long long mail_id = strtoll(mail, &end, 10);
	if (errno || *end || end == mail || mail_id <= 0)
		return http_error(req, 404);
	json_t *facts = mail_report_legal_facts();
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	char ref[32];
	struct db_err e;
	enum db_qs qs = mail_report_split(req->app->engine, c, id, mail_id, clocks,
					  req->sess->who.person_id, req->ip[0] ? req->ip : NULL, ref,
					  &e);
	json_decref(clocks);
	if (qs < 0) {
		log_event(LOG_ERROR, "mail_split_failed", "rid=%s error=%s", req->rid,
			  log_quote(0, e.msg));
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	}
	if (qs == DB_NONE)
		return http_error(req, 404);
	char *loc = xasprintf("/incidents/%s", ref);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

/* Corrects facts: the checks of filing (intake_check_correction), then one
 * transaction listing every changed field with its old and new value. A
 * refused correction comes back with the values as typed. */
static int correct_facts(struct request *req, PGconn *c, const char *ref, long long id,
			 const struct incident_scope *scope)
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
		int rc = incident_page(req, c, ref, id, scope, 1, 422, errors, NULL);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	struct db_err e;
	enum db_qs qs = incident_correct(req->app->engine, req->app->legal, c, id,
					 req->sess->who.person_id, req->ip[0] ? req->ip : NULL,
					 clean, &e);
	json_decref(clean);
	if (qs < 0) {
		log_event(LOG_ERROR, "correction_failed", "rid=%s error=%s", req->rid,
			  log_quote(0, e.msg));
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	}
	char *loc = xasprintf(qs == DB_OK ? "/incidents/%s?done=corrected" : "/incidents/%s", ref);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

/* Records that a legal report was submitted (incident/submission.h): the
 * form's checks, then one transaction; a refusal comes back with the values
 * as typed. */
static int record_submission(struct request *req, PGconn *c, const char *ref, long long id,
			     const struct incident_scope *scope, int can_act)
{
	struct submission_in in = {http_form(req, "key"), http_form(req, "submitted_at"),
				   http_form(req, "number"), http_form(req, "text")};
	json_t *errors = json_object();
	unsigned status = 422;
	if (!in.key || !*in.key) {
		json_decref(errors);
		return http_error(req, 400);
	}
	if (submission_check(&in, errors) == 0) {
		struct submission_out out;
		struct db_err e;
		enum db_qs qs = submission_record(req->app->engine, c, id, req->sess->who.person_id,
						  req->ip[0] ? req->ip : NULL, &in, &out, errors, &e);
		if (qs < 0) {
			json_decref(errors);
			log_event(LOG_ERROR, "submission_failed", "rid=%s error=%s", req->rid,
				  log_quote(0, e.msg));
			return http_error(req, qs == DB_SOFT ? 503 : 500);
		}
		if (qs == DB_OK) {
			json_decref(errors);
			log_event(LOG_INFO, "submission_recorded", "rid=%s ref=%s key=%s late=%d",
				  req->rid, ref, log_quote(0, in.key), out.late);
			char *loc = xasprintf("/incidents/%s?done=submitted", ref);
			int rc = http_redirect(req, loc);
			free(loc);
			return rc;
		}
		if (out.res == SUBMISSION_NO_DEADLINE) {
			json_decref(errors);
			return http_error(req, 404);
		}
		if (out.res == SUBMISSION_ALREADY) {
			json_object_set_new(errors, "key", json_string("submission_err_already"));
			status = 409;
		} else if (out.res == SUBMISSION_REFUSED) {
			status = 409;
			if (!json_object_size(errors))
				json_object_set_new(errors, "key", json_string("submission_err_refused"));
		}
	}
	int rc = incident_page(req, c, ref, id, scope, can_act, status, errors, NULL);
	json_decref(errors);
	return rc;
}

static int download(struct request *req, PGconn *c, long long id, const char *att)
{
	struct incident_evidence ev;
	struct db_err e;
	enum db_qs qs = incident_evidence_get(c, id, att, &ev, &e);
	if (qs < 0)
		log_event(LOG_ERROR, "download_failed", "rid=%s error=%s", req->rid,
			  log_quote(0, e.msg));
	if (qs != DB_OK)
		return http_error(req, qs == DB_NONE ? 404 : qs == DB_SOFT ? 503 : 500);
	/* RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded. */
	buf cd = BUF_INIT;
	buf_puts(&cd, "attachment; filename=\"evidence\"; filename*=UTF-8''");
	for (const unsigned char *s = (const unsigned char *)ev.filename; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '-' || *s == '_')
			buf_putc(&cd, (char)*s);
		else
			buf_printf(&cd, "%%%02X", *s);
	}
	size_t len = ev.len;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, ev.data, MHD_RESPMEM_MUST_COPY);
	const char *type = ev.content_type; /* a static string, valid after the free */
	incident_evidence_free(&ev);
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
			   const struct incident_scope *scope, int can_act, const char *run_s,
			   const char *action)
{
	char *end;
	errno = 0;
	long long run = strtoll(run_s, &end, 10);
	if (errno || *end || run <= 0 || !req->app->engine)
		return http_error(req, 404);
	/* The run must belong to this incident. */
	if (!incident_has_run(c, id, run))
		return http_error(req, 404);
	/* The fence the page was drawn at (none or -1: any); one that is not a
	 * whole number from -1 to INT_MAX never matches, so the action is a
	 * conflict. */
	const char *fence_s = http_form(req, "fence");
	int fence = -1;
	if (fence_s && *fence_s) {
		errno = 0;
		long v = strtol(fence_s, &end, 10);
		fence = errno || *end || v < -1 || v > INT_MAX ? INT_MAX : (int)v;
	}
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
		rc = incident_page(req, c, ref, id, scope, can_act, 422, errors, NULL);
		break;
	case ENGINE_ACT_BLOCKED: /* closing while a legal report runs */
		rc = incident_page(req, c, ref, id, scope, can_act, 409, NULL, "close_blocked");
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
	if (np == 0 || incident_scope_load(c, parts[0], &scope, &id) < 0 ||
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
			rc = incident_page(req, c, ref, id, &scope, can_act, 200, NULL, http_query(req, "done"));
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
		rc = authz_action_allows(who, ACT_NOTE, &scope) ? add_note(req, c, ref, id, &scope, can_act)
								: http_error(req, 403);
	} else if (np == 4 && strcmp(parts[1], "workflow") == 0) {
		/* ACT_WORKFLOW first; then which of those people may take this
		 * step is the workflow's own "by" (engine_act) */
		rc = authz_action_allows(who, ACT_WORKFLOW, &scope)
			     ? workflow_action(req, c, ref, id, &scope, can_act, parts[2], parts[3])
			     : http_error(req, 403);
	} else if (np == 2 && strcmp(parts[1], "submissions") == 0) {
		/* the chief security officer or the CSIRT (ACT_SUBMISSION) */
		rc = authz_action_allows(who, ACT_SUBMISSION, &scope)
			     ? record_submission(req, c, ref, id, &scope, can_act)
			     : http_error(req, 403);
	} else if (np == 4 && strcmp(parts[1], "mail") == 0 && strcmp(parts[3], "split") == 0) {
		/* a mail wrongly linked to this wave: those who correct split it off */
		rc = can_act ? split_mail(req, c, id, parts[2]) : http_error(req, 403);
	} else if (np == 2 && strcmp(parts[1], "facts") == 0) {
		rc = can_act ? correct_facts(req, c, ref, id, &scope) : http_error(req, 403);
	} else {
		rc = http_error(req, 404);
	}
out:
	db_pool_put(req->app->db, c);
	free(rest);
	return rc;
}
