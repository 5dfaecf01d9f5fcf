/* Acknowledging from a mail: the signed, expiring, single-use link opens a
 * confirmation page (GET shows, POST acts); the acknowledgement is the
 * recipient's own, through the engine, and audited as theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "db/db.h"
#include "incident/page.h"
#include "mail/mailer.h"
#include "mail/outbox.h"
#include "web.h"
#include "wf/engine.h"

static int ack_page(struct request *req, unsigned status, const char *what, json_t *row)
{
	json_t *d = json_object();
	json_object_set_new(d, what, json_true());
	if (row)
		json_object_set_new(d, "row", row);
	json_object_set_new(d, "token", json_string(req->path + strlen("/ack/")));
	return http_page(req, status, "pages/ack", d);
}

/* Whether the mail's recipient may acknowledge now (ACT_ACKNOWLEDGE over
 * the incident, with the roles they hold today); the link only says who
 * they are, the workflow's "by" then says whether this step is theirs. */
static int recipient_may_ack(PGconn *c, const json_t *row)
{
	struct principal who = {0};
	struct incident_scope scope;
	long long id;
	who.person_id = atoi(json_string_value(json_object_get(row, "recipient_id")));
	who.active = json_is_true(json_object_get(row, "recipient_active"));
	int ok = session_load_grants(c, who.person_id, &who) == 0 &&
		 incident_scope_load(c, json_string_value(json_object_get(row, "ref")), &scope,
					 &id) == 0 &&
		 authz_action_allows(&who, ACT_ACKNOWLEDGE, &scope);
	free(who.grants);
	return ok;
}

int web_ack(struct request *req)
{
	const char *token = req->path + strlen("/ack/");
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc, expired = 0;
	long long id = mailer_ack_check(c, token, &expired);
	json_t *row = id > 0 ? outbox_ack_mail(c, id) : NULL;
	if (id < 0 || !row) {
		json_decref(row);
		rc = ack_page(req, 400, "invalid", NULL);
	} else if (expired) {
		rc = ack_page(req, 410, "expired", row);
	} else if (json_is_true(json_object_get(row, "used"))) {
		rc = ack_page(req, 409, "used", row);
	} else if (req->method != HTTP_POST) {
		rc = ack_page(req, 200, "confirm", row);
	} else if (!recipient_may_ack(c, row)) {
		rc = ack_page(req, 403, "forbidden", row);
	} else {
		long long run = atoll(json_string_value(json_object_get(row, "run_id")));
		int fence = atoi(json_string_value(json_object_get(row, "fence")));
		int actor = atoi(json_string_value(json_object_get(row, "recipient_id")));
		/* the link is used up in the action's own transaction */
		enum engine_act_result r =
			engine_act_link(req->app->engine, c, run, fence, actor, id);
		if (r == ENGINE_ACT_OK) {
			rc = ack_page(req, 200, "done", row);
		} else if (r == ENGINE_ACT_CONFLICT || r == ENGINE_ACT_NOT_FOUND) {
			rc = ack_page(req, 409, "moved_on", row);
		} else if (r == ENGINE_ACT_FORBIDDEN) {
			rc = ack_page(req, 403, "forbidden", row);
		} else {
			json_decref(row);
			rc = http_error(req, r == ENGINE_ACT_UNAVAILABLE ? 503 : 500);
		}
	}
	db_pool_put(req->app->db, c);
	return rc;
}

int web_admin_outbox(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *d = json_object();
	json_object_set_new(d, "counts", outbox_counts(c));
	json_t *rows = outbox_recent(c, 200);
	json_object_set_new(d, "rows", rows ? rows : json_array());
	db_pool_put(req->app->db, c);
	json_object_set_new(d, "no_smtp", json_boolean(!req->app->cfg->smtp_host[0]));
	return http_page(req, 200, "admin/outbox", d);
}
