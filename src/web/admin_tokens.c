/* API tokens for integrations: list, create (the token is shown once, in
 * the answer to the POST) and revoke. Admin only (route table); creating and
 * revoking are audited as the admin (see auth/token.h). */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/token.h"
#include "db/db.h"
#include "web.h"

static const char *ip_of(struct request *req)
{
	return req->ip[0] ? req->ip : NULL;
}

static int checked(struct request *req, const char *field)
{
	const char *v = http_form(req, field);
	return v && *v;
}

/* The page: every token, newest first, with an optional new token shown
 * once, form errors and the values typed. */
static int tokens_page(struct request *req, PGconn *c, unsigned status, const char *new_token,
		       json_t *errors, const char *done)
{
	json_t *rows = db_rows(
		c,
		"SELECT t.id, t.name, array_to_string(t.scopes, ', ') AS scopes, p.login, "
		"  p.display_name, to_char(t.created_at AT TIME ZONE 'Asia/Tokyo', "
		"  'YYYY-MM-DD HH24:MI') AS created, coalesce(to_char(t.last_used_at AT TIME ZONE "
		"  'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), '—') AS last_used, "
		"  to_char(t.revoked_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS revoked "
		"FROM api_token t JOIN person p ON p.id = t.person_id ORDER BY t.id DESC",
		0, NULL);
	if (!rows) {
		json_decref(errors);
		return http_error(req, 500);
	}
	json_t *d = json_object();
	json_object_set_new(d, "tokens", rows);
	if (new_token)
		json_object_set_new(d, "new_token", json_string(new_token));
	if (errors && json_object_size(errors)) {
		json_object_set_new(d, "errors", errors);
		const char *name = http_form(req, "name"), *person = http_form(req, "person");
		json_object_set_new(d, "name", json_string(name ? name : ""));
		json_object_set_new(d, "person", json_string(person ? person : ""));
		json_object_set_new(d, "scope_file", json_boolean(checked(req, "scope_file")));
		json_object_set_new(d, "scope_read", json_boolean(checked(req, "scope_read")));
		json_object_set_new(d, "scope_act", json_boolean(checked(req, "scope_act")));
	} else {
		json_decref(errors);
	}
	if (done)
		json_object_set_new(d, "revoked_done", json_true());
	return http_page(req, status, "admin/tokens", d);
}

/* GET and POST /admin/tokens: the list, and creating a token. */
int web_admin_tokens(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc;
	if (req->method != HTTP_POST) {
		const char *done = http_query(req, "done");
		rc = tokens_page(req, c, 200, NULL, NULL,
				 done && strcmp(done, "revoked") == 0 ? done : NULL);
		goto out;
	}
	json_t *errors = json_object();
	const char *name = http_form(req, "name");
	const char *person = http_form(req, "person");
	unsigned scopes = (checked(req, "scope_file") ? TOKEN_SCOPE_FILE : 0) |
			  (checked(req, "scope_read") ? TOKEN_SCOPE_READ : 0) |
			  (checked(req, "scope_act") ? TOKEN_SCOPE_ACT : 0);
	if (!name || !*name || strlen(name) > 100)
		json_object_set_new(errors, "name",
				    json_string("名前を100文字以内で入力してください。 Enter a name of at most 100 characters."));
	if (!scopes)
		json_object_set_new(errors, "scopes",
				    json_string("権限を1つ以上選んでください。 Choose at least one scope."));
	int person_id = 0;
	if (person && *person) {
		const char *p[1] = {person};
		json_t *row = db_row(c, "SELECT id FROM person WHERE login = $1 AND active", 1, p);
		if (row)
			person_id = atoi(json_string_value(json_object_get(row, "id")));
		json_decref(row);
	}
	if (!person_id)
		json_object_set_new(errors, "person",
				    json_string("有効な職員のログインIDを入力してください。 Enter the login of an active person."));
	if (json_object_size(errors)) {
		rc = tokens_page(req, c, 422, NULL, errors, NULL);
		goto out;
	}
	json_decref(errors);
	char token[API_TOKEN_LEN + 1];
	if (api_token_create(c, name, person_id, scopes, req->sess->who.person_id, ip_of(req),
			     token) < 0) {
		rc = http_error(req, 500);
		goto out;
	}
	rc = tokens_page(req, c, 201, token, NULL, NULL);
	sodium_memzero(token, sizeof token);
out:
	db_pool_put(req->app->db, c);
	return rc;
}

/* POST /admin/tokens/ID/revoke */
int web_admin_token(struct request *req)
{
	const char *rest = req->path + strlen("/admin/tokens/");
	char *end;
	long id = strtol(rest, &end, 10);
	if (end == rest || id <= 0 || id > 2147483647L || strcmp(end, "/revoke") != 0)
		return http_error(req, 404);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int n = api_token_revoke(c, (int)id, req->sess->who.person_id, ip_of(req));
	db_pool_put(req->app->db, c);
	if (n < 0)
		return http_error(req, 500);
	return http_redirect(req, "/admin/tokens?done=revoked");
}
