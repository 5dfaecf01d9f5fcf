/* The JSON API for incidents: POST /api/v1/incidents files a report with the
 * same validation as the form, after the JSON types of incident/fields.h
 * (422 with a list of {field, key, message}: the catalog key and its text in
 * the request's language, see README); GET
 * /api/v1/incidents/REF returns one incident to those who may see it. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth/session.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "incident/fields.h"
#include "incident/intake.h"
#include "incident/page.h"
#include "incident/view.h"
#include "tmpl/i18n.h"
#include "web.h"

/* The API names personal-data fields as DOMAIN.md does. */
static json_t *api_field(const char *field)
{
	if (strncmp(field, "pd_", 3) == 0)
		return json_sprintf("personal_data.%s", field + 3);
	return json_string(field);
}

int web_api_incidents(struct request *req)
{
	const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct || strncasecmp(ct, "application/json", 16) != 0)
		return http_json_error(req, 415, "send the report as application/json");
	json_error_t jerr;
	json_t *body = json_loadb(buf_cstr(&req->body), req->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		char msg[300];
		snprintf(msg, sizeof msg, "the body is not a JSON object: %s", body ? "wrong type" : jerr.text);
		json_decref(body);
		return http_json_error(req, 400, msg);
	}
	/* JSON types first (fields.h): a value of the wrong type is refused, never coerced. */
	json_t *type_errors = json_object();
	json_t *raw = fields_from_json(body, type_errors);
	json_decref(body);
	PGconn *c = db_pool_get(req->app->db);
	if (!c) {
		json_decref(raw);
		json_decref(type_errors);
		return http_error(req, 503);
	}
	json_t *errors = json_object();
	json_t *clean = intake_check(c, raw, INTAKE_API, errors);
	json_decref(raw);
	int rc;
	if (json_object_size(type_errors) || json_object_size(errors)) {
		json_t *list = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(type_errors, k, v)
			json_array_append_new(list, json_pack("{s:s, s:s?, s:o}", "field", k, "key",
							      i18n_msg_key(v), "message",
							      http_msg(req, v)));
		json_object_foreach(errors, k, v) {
			json_t *field = api_field(k);
			if (!json_object_get(type_errors, json_string_value(field)))
				json_array_append_new(list, json_pack("{s:o, s:s?, s:o}", "field", field,
								      "key", i18n_msg_key(v),
								      "message", http_msg(req, v)));
			else
				json_decref(field);
		}
		json_decref(type_errors);
		rc = http_json(req, 422, json_pack("{s:o}", "errors", list));
		goto out;
	}
	json_decref(type_errors);
	json_t *facts = intake_facts(clean);
	json_t *clocks = web_legal_clocks(req->app, facts);
	json_decref(facts);
	char ref[32];
	long long id;
	struct db_err e;
	enum db_qs qs = intake_store(req->app->engine, c, clean, clocks, NULL, 0, INTAKE_API,
				     req->sess->who.person_id, req->ip[0] ? req->ip : NULL, ref, &id,
				     &e);
	json_decref(clocks);
	if (qs < 0) {
		rc = http_error(req, qs == DB_SOFT ? 503 : 500);
		goto out;
	}
	json_t *deadlines = incident_legal_deadlines_json(c, id);
	char *url = xasprintf("/incidents/%s", ref);
	rc = http_json(req, 201, json_pack("{s:s, s:s, s:o}", "ref", ref, "url", url,
					   "legal_deadlines", deadlines ? deadlines : json_array()));
	free(url);
out:
	json_decref(clean);
	json_decref(errors);
	db_pool_put(req->app->db, c);
	return rc;
}

int web_api_incident(struct request *req)
{
	const char *ref = req->path + strlen("/api/v1/incidents/");
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	struct incident_scope scope;
	long long id;
	int rc;
	if (incident_scope_load(c, ref, &scope, &id) < 0 ||
	    !authz_action_allows(&req->sess->who, ACT_API_READ, &scope)) {
		rc = http_error(req, 404);
		goto out;
	}
	json_t *inc = incident_api_json(c, ref);
	if (!inc) {
		rc = http_error(req, 500);
		goto out;
	}
	rc = http_json(req, 200, inc);
out:
	db_pool_put(req->app->db, c);
	return rc;
}
