/* Acknowledging from a mail: the signed, expiring, single-use link opens a
 * confirmation page (GET shows, POST acts); the acknowledgement is the
 * recipient's own, through the engine, and audited as theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "db/db.h"
#include "mail/mailer.h"
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
		 web_incident_load_scope(c, json_string_value(json_object_get(row, "ref")), &scope,
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
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", id);
	json_t *row = id > 0 ? db_row(c,
				      "SELECT o.id, o.run_id, o.fence, o.recipient_id, "
				      "  o.ack_used_at IS NOT NULL AS used, i.ref, i.summary, "
				      "  p.display_name AS recipient, p.active AS recipient_active "
				      "FROM outbox o "
				      "JOIN incident i ON i.id = o.incident_id "
				      "JOIN person p ON p.id = o.recipient_id WHERE o.id = $1::bigint",
				      1, (const char *const[]){ids})
			     : NULL;
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
		json_t *errors = json_object();
		long long run = atoll(json_string_value(json_object_get(row, "run_id")));
		int fence = atoi(json_string_value(json_object_get(row, "fence")));
		int actor = atoi(json_string_value(json_object_get(row, "recipient_id")));
		enum engine_act_result r = engine_act(req->app->engine, c, run, fence, "acknowledge",
						      NULL, actor, req->ip[0] ? req->ip : NULL, errors);
		json_decref(errors);
		if (r == ENGINE_ACT_OK) {
			PQclear(PQexecParams(c,
					     "UPDATE outbox SET ack_used_at = sokuho_now() WHERE id = "
					     "$1::bigint",
					     1, NULL, (const char *const[]){ids}, NULL, NULL, 0));
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
	json_object_set_new(d, "counts",
			    db_row(c,
				   "SELECT count(*) FILTER (WHERE status = 'queued') AS queued, "
				   "count(*) FILTER (WHERE status = 'sent') AS sent, "
				   "count(*) FILTER (WHERE status = 'dead') AS dead FROM outbox",
				   0, NULL));
	json_object_set_new(
		d, "rows",
		db_rows(c,
			"SELECT o.id, o.status, o.status = 'dead' AS is_dead, o.status = 'queued' "
			"AS is_queued, o.email, o.template, o.attempts, o.last_error, o.message_id, "
			"i.ref, to_char(o.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') "
			"AS created, to_char(o.next_attempt_at AT TIME ZONE 'Asia/Tokyo', "
			"'YYYY-MM-DD HH24:MI:SS') AS next_attempt, to_char(o.sent_at AT TIME ZONE "
			"'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS sent FROM outbox o "
			"LEFT JOIN incident i ON i.id = o.incident_id "
			"ORDER BY (o.status = 'dead') DESC, (o.status = 'queued') DESC, o.id DESC LIMIT 200",
			0, NULL));
	db_pool_put(req->app->db, c);
	json_object_set_new(d, "no_smtp", json_boolean(!req->app->cfg->smtp_host[0]));
	return http_page(req, 200, "admin/outbox", d);
}
