/* API tokens: list, create (the token is shown once, in the answer to the
 * POST) and revoke, on two pages.
 *
 *   /account/tokens  any signed-in person: tokens that act as themselves,
 *                    scopes file and read; lists and revokes only their own.
 *   /admin/tokens    the admin: tokens for service accounts (person kind
 *                    'service', no password, no role), file scope only;
 *                    lists and revokes every token.
 *
 * So a token never acts as anybody but the person who made it, or as a
 * service account that can only file reports; migration 0020 keeps the same
 * rule in the database. Creating and revoking are audited as the person who
 * did it (see auth/token.h). */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/token.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "org/people.h"
#include "web.h"

struct mode {
	int admin;	  /* the admin page: service accounts, every token */
	const char *base; /* the page's path */
};
static const struct mode admin_mode = {1, "/admin/tokens"};
static const struct mode own_mode = {0, "/account/tokens"};

static const char *ip_of(struct request *req)
{
	return req->ip[0] ? req->ip : NULL;
}

static int checked(struct request *req, const char *field)
{
	const char *v = http_form(req, field);
	return v && *v;
}

/* The page: the tokens this page shows, newest first, with an optional new
 * token shown once, form errors and the values typed. */
static int tokens_page(struct request *req, PGconn *c, const struct mode *m, unsigned status,
		       const char *new_token, json_t *errors, const char *done)
{
	json_t *rows = api_token_list(c, m->admin ? 0 : req->sess->who.person_id);
	if (!rows) {
		json_decref(errors);
		return http_error(req, 500);
	}
	json_t *d = json_object();
	json_object_set_new(d, "tokens", rows);
	json_object_set_new(d, "admin", json_boolean(m->admin));
	json_object_set_new(d, "base", json_string(m->base));
	if (m->admin) {
		json_t *svc = api_token_service_accounts(c);
		json_object_set_new(d, "services", svc ? svc : json_array());
	}
	if (new_token)
		json_object_set_new(d, "new_token", json_string(new_token));
	if (errors && json_object_size(errors)) {
		json_object_set_new(d, "errors", errors);
		const char *name = http_form(req, "name"), *person = http_form(req, "person");
		json_object_set_new(d, "name", json_string(name ? name : ""));
		json_object_set_new(d, "person", json_string(person ? person : ""));
		json_object_set_new(d, "scope_file", json_boolean(checked(req, "scope_file")));
		json_object_set_new(d, "scope_read", json_boolean(checked(req, "scope_read")));
	} else {
		json_decref(errors);
		json_object_set_new(d, "scope_file", json_boolean(m->admin));
	}
	if (done)
		json_object_set_new(d, "revoked_done", json_true());
	return http_page(req, status, "admin/tokens", d);
}

static int tokens(struct request *req, const struct mode *m)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc;
	if (req->method != HTTP_POST) {
		const char *done = http_query(req, "done");
		rc = tokens_page(req, c, m, 200, NULL, NULL,
				 done && strcmp(done, "revoked") == 0 ? done : NULL);
		goto out;
	}
	json_t *errors = json_object();
	const char *name = http_form(req, "name");
	unsigned scopes = (checked(req, "scope_file") ? TOKEN_SCOPE_FILE : 0) |
			  (checked(req, "scope_read") ? TOKEN_SCOPE_READ : 0) |
			  (checked(req, "scope_act") ? TOKEN_SCOPE_ACT : 0);
	if (!name || !*name || strlen(name) > 100 || !utf8_valid(name, strlen(name)))
		json_object_set_new(errors, "name", http_label(req, "token_err_name"));
	if (!scopes)
		json_object_set_new(errors, "scopes", http_label(req, "token_err_scopes"));
	else if (scopes & TOKEN_SCOPE_ACT)
		json_object_set_new(errors, "scopes", http_label(req, "token_err_scope_act"));
	else if (m->admin && scopes != TOKEN_SCOPE_FILE)
		json_object_set_new(errors, "scopes", http_label(req, "token_err_service_scope"));
	int person_id = req->sess->who.person_id;
	if (m->admin) {
		/* The admin makes tokens only for service accounts. */
		person_id = api_token_service_account(c, http_form(req, "person"));
		if (!person_id)
			json_object_set_new(errors, "person", http_label(req, "token_err_service"));
	}
	if (json_object_size(errors)) {
		rc = tokens_page(req, c, m, 422, NULL, errors, NULL);
		goto out;
	}
	json_decref(errors);
	char token[API_TOKEN_LEN + 1];
	if (api_token_create(c, name, person_id, scopes, req->sess->who.person_id, ip_of(req),
			     token) < 0) {
		rc = http_error(req, 500);
		goto out;
	}
	rc = tokens_page(req, c, m, 201, token, NULL, NULL);
	sodium_memzero(token, sizeof token);
out:
	db_pool_put(req->app->db, c);
	return rc;
}

/* POST BASE/ID/revoke: the admin revokes any token, a person their own. */
static int revoke_token(struct request *req, const struct mode *m)
{
	const char *rest = req->path + strlen(m->base) + 1;
	char *end;
	long id = strtol(rest, &end, 10);
	if (end == rest || id <= 0 || id > 2147483647L || strcmp(end, "/revoke") != 0)
		return http_error(req, 404);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int n = api_token_revoke(c, (int)id, m->admin ? 0 : req->sess->who.person_id,
				 req->sess->who.person_id, ip_of(req));
	db_pool_put(req->app->db, c);
	if (n < 0)
		return http_error(req, 500);
	char *loc = xasprintf("%s?done=revoked", m->base);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

int web_admin_tokens(struct request *req)
{
	return tokens(req, &admin_mode);
}

int web_admin_token(struct request *req)
{
	return revoke_token(req, &admin_mode);
}

int web_account_tokens(struct request *req)
{
	return tokens(req, &own_mode);
}

int web_account_token(struct request *req)
{
	return revoke_token(req, &own_mode);
}
