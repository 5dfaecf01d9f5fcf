/* Filing a report: the guided form for staff (/report) and the confirmation that
 * says the reference, who is being told and which legal clocks started (the
 * residents' window, /report/public, is web/resident.c). The forms read
 * through src/incident/form.h, file through intake_store and the
 * confirmation reads through src/incident/page.h. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "http/multipart.h"
#include "incident/fields.h"
#include "incident/form.h"
#include "incident/intake.h"
#include "incident/notify.h"
#include "incident/page.h"
#include "tmpl/i18n.h"
#include "web.h"

static void mark_selected(json_t *rows, const char *key, const char *value)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *v = json_string_value(json_object_get(row, key));
		json_object_set_new(row, "selected", json_boolean(v && value && strcmp(v, value) == 0));
	}
}

static const char *raw_str(const json_t *raw, const char *key)
{
	json_t *v = json_object_get(raw, key);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

/* The form's data: choices, the values typed (or the defaults), errors. */
static json_t *form_data(PGconn *c, struct request *req, const json_t *raw, json_t *errors,
			 enum intake_channel channel)
{
	json_t *d = json_object();
	json_t *v = json_object();
	for (const struct incident_field *f = incident_fields; f->name; f++) {
		const char *s = raw ? raw_str(raw, f->name) : NULL;
		json_object_set_new(v, f->name, json_string(s ? s : ""));
	}
	if (!raw) /* defaults: discovered now; the reporter's section and its site */
		report_form_defaults(c, req->sess ? req->sess->section_id : 0, v);
	json_t *choices = report_form_choices(c);
	static const struct {
		const char *list, *key, *value;
	} marks[] = {{"sites", "code", "site"},
		     {"sections", "code", "section"},
		     {"categories", "key", "category"},
		     {"systems", "code", "system"}};
	for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
		json_t *list = json_object_get(choices, marks[k].list);
		mark_selected(list, marks[k].key, json_string_value(json_object_get(v, marks[k].value)));
		json_object_set(d, marks[k].list, list);
	}
	json_decref(choices);

	/* Checked boxes and radio buttons. */
	json_t *checked = json_object();
	json_t *segs = raw ? json_object_get(raw, "segments") : NULL;
	if (json_is_string(segs)) {
		char key[48];
		snprintf(key, sizeof key, "seg_%s", json_string_value(segs));
		json_object_set_new(checked, key, json_true());
	}
	size_t i;
	json_t *sv;
	json_array_foreach(segs, i, sv) {
		char key[48];
		snprintf(key, sizeof key, "seg_%s", json_string_value(sv));
		json_object_set_new(checked, key, json_true());
	}
	static const char *const tri[] = {"pd_involved", "pd_sensitive", "pd_mynumber",
					  "pd_encrypted", "pd_malicious", "pd_financial", NULL};
	for (int k = 0; tri[k]; k++) {
		const char *val = json_string_value(json_object_get(v, tri[k]));
		if (!val || !*val)
			val = k == 0 ? "" : "unknown";
		char key[64];
		snprintf(key, sizeof key, "%s_%s", tri[k], val);
		json_object_set_new(checked, key, json_true());
	}
	if (*json_string_value(json_object_get(v, "occurred_unknown")))
		json_object_set_new(checked, "occurred_unknown", json_true());
	if (*json_string_value(json_object_get(v, "bcp")))
		json_object_set_new(checked, "bcp", json_true());
	json_object_set_new(d, "checked", checked);
	json_object_set_new(d, "v", v);
	json_object_set_new(d, "external", json_boolean(channel == INTAKE_EXTERNAL));
	json_object_set_new(d, "action", json_string(channel == INTAKE_EXTERNAL ? "/report/public"
										 : "/report"));
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
		json_object_set_new(d, "error_count", json_integer((json_int_t)json_object_size(errors)));
	}
	return d;
}

static int file_report(struct request *req, enum intake_channel channel)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc;
	json_t *errors = json_object();
	json_t *clean = NULL;
	json_t *not_utf8 = NULL;
	struct intake_file files[INTAKE_MAX_FILES];
	char *names[INTAKE_MAX_FILES] = {NULL};
	size_t nfiles = 0;

	if (channel == INTAKE_EXTERNAL && intake_public_rate_exceeded(c, req->ip)) {
		json_t *d = form_data(c, req, req->form, NULL, channel);
		json_object_set_new(d, "rate_limited", json_true());
		rc = http_page(req, 429, "pages/report", d);
		goto out;
	}
	clean = intake_check(c, req->form, channel, errors);
	not_utf8 = json_array();
	web_mark_not_utf8(req, errors, not_utf8, NULL);
	for (size_t i = 0; i < req->mp.nfiles; i++) {
		if (strcmp(req->mp.files[i].field, "evidence") != 0)
			continue;
		if (nfiles == INTAKE_MAX_FILES) {
			json_object_set_new(errors, "evidence",
					    json_pack("{s:s, s:{s:i}}", "key", "report_err_files_max",
						      "args", "max", INTAKE_MAX_FILES));
			break;
		}
		if (req->mp.files[i].len > req->app->cfg->attachment_max) {
			char *n = mp_safe_filename(req->mp.files[i].filename);
			json_object_set_new(
				errors, "evidence",
				json_pack("{s:s, s:{s:s, s:I}}", "key", "report_err_file_big", "args",
					  "name", n, "mb", (json_int_t)(req->app->cfg->attachment_max >> 20)));
			free(n);
			continue;
		}
		if (req->mp.files[i].len == 0) {
			char *n = mp_safe_filename(req->mp.files[i].filename);
			json_object_set_new(errors, "evidence", i18n_fill(req->app->i18n, req->lang, "field_err_file_empty", n));
			free(n);
			continue;
		}
		names[nfiles] = mp_safe_filename(req->mp.files[i].filename);
		files[nfiles].filename = names[nfiles];
		files[nfiles].content_type = req->mp.files[i].content_type;
		files[nfiles].data = req->mp.files[i].data;
		files[nfiles].len = req->mp.files[i].len;
		nfiles++;
	}
	if (json_object_size(errors)) {
		json_t *d = form_data(c, req, req->form, errors, channel);
		if (json_array_size(not_utf8))
			json_object_set(d, "not_utf8", not_utf8);
		/* A browser cannot send files back to the server: say which
		 * ones must be chosen again. */
		json_t *again = json_array();
		for (size_t i = 0; i < nfiles; i++)
			json_array_append_new(again, json_string(names[i]));
		if (nfiles)
			json_object_set_new(d, "files_again", again);
		else
			json_decref(again);
		rc = http_page(req, 422, "pages/report", d);
		goto out;
	}
	json_t *facts = intake_facts(clean);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	char ref[32];
	int reporter = req->sess ? req->sess->who.person_id : 0;
	long long id;
	struct db_err e;
	enum db_qs qs = intake_store(req->app->engine, c, clean, clocks, files, nfiles, channel,
				     reporter, req->ip[0] ? req->ip : NULL, ref, &id, &e);
	json_decref(clocks);
	if (qs < 0) {
		rc = http_error(req, qs == DB_SOFT ? 503 : 500);
		goto out;
	}
	if (channel == INTAKE_EXTERNAL) {
		rc = web_report_confirmation(req, c, ref, 200);
	} else {
		char *loc = xasprintf("/report/filed/%s", ref);
		rc = http_redirect(req, loc);
		free(loc);
	}
out:
	for (size_t i = 0; i < nfiles; i++)
		free(names[i]);
	json_decref(clean);
	json_decref(errors);
	json_decref(not_utf8);
	db_pool_put(req->app->db, c);
	return rc;
}

static int report_form(struct request *req, enum intake_channel channel)
{
	if (req->method == HTTP_POST)
		return file_report(req, channel);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *d = form_data(c, req, NULL, NULL, channel);
	db_pool_put(req->app->db, c);
	return http_page(req, 200, "pages/report", d);
}

int web_report(struct request *req)
{
	return report_form(req, INTAKE_STAFF);
}

int web_report_confirmation(struct request *req, PGconn *c, const char *ref, unsigned status)
{
	json_t *inc = incident_filed_row(c, ref);
	if (!inc)
		return http_error(req, 404);
	json_t *d = json_object();
	json_object_set_new(d, "told", notify_recipients_json(c, json_string_value(json_object_get(inc, "section_id")),
								json_string_value(json_object_get(inc, "system_id"))));
	json_object_set_new(d, "deadlines",
			    incident_filed_deadlines(c, json_string_value(json_object_get(inc, "id"))));
	json_error_t jerr;
	json_t *facts = json_loads(json_string_value(json_object_get(inc, "facts")), 0, &jerr);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	json_object_set_new(d, "clocks", clocks);
	json_object_set_new(d, "has_clocks", json_boolean(json_array_size(clocks) > 0));
	json_object_set_new(d, "incident", inc);
	json_object_set_new(d, "external", json_boolean(!req->sess));
	return http_page(req, status, "pages/report_filed", d);
}

/* GET /report/filed/REF: the reporter's confirmation after the redirect. */
int web_report_filed(struct request *req)
{
	const char *ref = req->path + strlen("/report/filed/");
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc = incident_filed_by(c, ref, req->sess->who.person_id)
			 ? web_report_confirmation(req, c, ref, 200)
			 : http_error(req, 404);
	db_pool_put(req->app->db, c);
	return rc;
}
