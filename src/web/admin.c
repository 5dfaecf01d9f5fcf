/* Administration of people: list and search, add, deactivate and activate,
 * set a password, grant and revoke roles. Admin only (route table); every
 * change is one transaction with its audit event, done as the admin. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "auth/session.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "org/accounts.h"
#include "org/people.h"
#include "org/roles.h"
#include "tmpl/i18n.h"
#include "web.h"

#define PAGE_SIZE 100

static const char *ip_of(struct request *req)
{
	return req->ip[0] ? req->ip : NULL;
}

/* GET /admin/people: search by login, name, e-mail or section; keyset
 * pagination by login. */
int web_admin_people(struct request *req)
{
	const char *q = http_query(req, "q");
	const char *after = http_query(req, "after");
	const char *params[2] = {q && *q ? q : "", after ? after : ""};
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *rows = account_search(c, params[0], params[1], PAGE_SIZE + 1);
	db_pool_put(req->app->db, c);
	if (!rows)
		return http_error(req, 500);
	json_t *d = json_object();
	if (json_array_size(rows) > PAGE_SIZE) {
		json_array_remove(rows, PAGE_SIZE);
		json_object_set_new(
			d, "next_after",
			json_copy(json_object_get(json_array_get(rows, PAGE_SIZE - 1), "login")));
	}
	json_object_set_new(d, "q", json_string(params[0]));
	json_object_set_new(d, "people", rows);
	json_object_set_new(d, "count", json_integer((json_int_t)json_array_size(rows)));
	return http_page(req, 200, "admin/people", d);
}

/* Validates the add-person form into errors (field -> message). */
static void check_new_person(PGconn *c, struct request *req, json_t *errors)
{
	char why[256];
	const char *login = http_form(req, "login");
	const char *name = http_form(req, "display_name");
	const char *email = http_form(req, "email");
	const char *section = http_form(req, "section");
	const char *kind = http_form(req, "kind");
	const char *lang = http_form(req, "lang");
	const char *pw = http_form(req, "password");
	if (!login || !*login)
		json_object_set_new(errors, "login", json_string("person_err_login"));
	else if (people_check_login(login, why, sizeof why) < 0)
		json_object_set_new(errors, "login", json_string("person_err_login_shape"));
	if (!name || !*name)
		json_object_set_new(errors, "display_name", json_string("person_err_name"));
	else if (people_check_name(name, why, sizeof why) < 0)
		json_object_set_new(errors, "display_name", json_string("person_err_name_shape"));
	if (!email || !*email)
		json_object_set_new(errors, "email", json_string("person_err_email"));
	else if (people_check_email(email, why, sizeof why) < 0)
		json_object_set_new(errors, "email", json_string("person_err_email_shape"));
	if (section && *section && people_find_unit(c, section, "section", why, sizeof why) <= 0)
		json_object_set_new(errors, "section", json_string("person_err_section"));
	if (people_check_kind(kind ? kind : "", why, sizeof why) < 0)
		json_object_set_new(errors, "kind", json_string("person_err_kind"));
	if (people_check_lang(lang ? lang : "", why, sizeof why) < 0)
		json_object_set_new(errors, "lang", json_string("person_err_lang"));
	if (pw && *pw) {
		const char *bad = password_policy(c, pw, login);
		if (bad)
			json_object_set_new(errors, "password", json_string(bad));
	}
	if (!json_object_get(errors, "login")) {
		if (account_login_exists(c, login))
			json_object_set_new(errors, "login", http_label(req, "person_err_login_taken"));
	}
}

static int new_person_form(struct request *req, PGconn *c, unsigned status, json_t *errors)
{
	json_t *d = json_object();
	json_t *v = json_object();
	static const char *const fields[] = {"login", "display_name", "email", "section", "kind",
					     "lang", NULL};
	for (int i = 0; fields[i]; i++) {
		const char *x = req->form ? http_form(req, fields[i]) : NULL;
		json_object_set_new(v, fields[i], json_string(x ? x : ""));
	}
	const char *kind = json_string_value(json_object_get(v, "kind"));
	const char *lang = json_string_value(json_object_get(v, "lang"));
	json_object_set_new(d, "kind_contractor", json_boolean(strcmp(kind, "contractor") == 0));
	json_object_set_new(d, "lang_en", json_boolean(strcmp(lang, "en") == 0));
	account_choices(c, d, json_string_value(json_object_get(v, "section")), NULL, NULL);
	json_object_set_new(d, "v", v);
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	return http_page(req, status, "admin/person_new", d);
}

/* GET and POST /admin/people/new */
int web_admin_person_new(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc;
	if (req->method != HTTP_POST) {
		rc = new_person_form(req, c, 200, NULL);
		goto out;
	}
	json_t *errors = json_object();
	check_new_person(c, req, errors);
	if (json_object_size(errors)) {
		rc = new_person_form(req, c, 422, errors);
		json_decref(errors);
		goto out;
	}
	json_decref(errors);
	const char *pw = http_form(req, "password");
	char hash[PASSWORD_HASH_MAX];
	if (pw && *pw && password_hash(pw, hash) < 0) {
		rc = http_error(req, 500);
		goto out;
	}
	const char *section = http_form(req, "section");
	struct account_new p = {http_form(req, "login"), http_form(req, "display_name"),
				http_form(req, "email"),  section && *section ? section : NULL,
				http_form(req, "kind"),   http_form(req, "lang"),
				pw && *pw ? hash : NULL};
	struct account_actor by = {req->sess->who.person_id, ip_of(req)};
	struct db_err e;
	struct account_result res;
	enum db_qs qs = account_add(c, &by, &p, &res, &e);
	sodium_memzero(hash, sizeof hash);
	if (qs < 0) {
		rc = http_error(req, qs == DB_SOFT ? 503 : 500);
		goto out;
	}
	if (!res.changed) {
		errors = json_object();
		json_object_set_new(errors, "login", http_label(req, "person_err_login_taken"));
		rc = new_person_form(req, c, 422, errors);
		json_decref(errors);
		goto out;
	}
	char *loc = xasprintf("/admin/people/%s?done=added", p.login);
	rc = http_redirect(req, loc);
	free(loc);
out:
	db_pool_put(req->app->db, c);
	return rc;
}

/* The person page; errors are the role and password forms', absence_errors
 * the absence form's (either may be NULL). */
static int person_page_with(struct request *req, PGconn *c, const char *login, unsigned status,
			    json_t *errors, json_t *absence_errors, const char *done);

static int person_page(struct request *req, PGconn *c, const char *login, unsigned status,
		       json_t *errors, const char *done)
{
	return person_page_with(req, c, login, status, errors, NULL, done);
}

static int absence_again(struct request *req, PGconn *c, const char *login, unsigned status,
			 json_t *errors)
{
	return person_page_with(req, c, login, status, NULL, errors, NULL);
}

static int person_page_with(struct request *req, PGconn *c, const char *login, unsigned status,
			    json_t *errors, json_t *absence_errors, const char *done)
{
	json_t *person = account_person(c, login);
	if (!person)
		return http_error(req, 404);
	json_t *roles = account_assignments(c, login);
	json_t *d = json_object();
	json_object_set_new(d, "person", person);
	json_object_set_new(d, "assignments", roles ? roles : json_array());
	json_t *v = json_object();
	static const char *const fields[] = {"role", "scope", "deputy", "valid_from", "valid_to",
					     NULL};
	for (int i = 0; fields[i]; i++) {
		const char *x = req->form ? http_form(req, fields[i]) : NULL;
		json_object_set_new(v, fields[i], json_string(x ? x : (i == 2 ? "0" : "")));
	}
	account_choices(c, d, NULL, json_string_value(json_object_get(v, "role")),
		    json_string_value(json_object_get(v, "scope")));
	json_object_set_new(d, "v", v);
	char *base = xasprintf("/admin/people/%s/absences", login);
	web_absence_page_data(req, c, login, base, d, absence_errors);
	free(base);
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "errors", errors);
		json_object_set_new(d, "has_errors", json_true());
	}
	if (done) {
		char key[48];
		snprintf(key, sizeof key, "done_%s", done);
		for (char *k = key; *k; k++)
			if (!isalnum((unsigned char)*k) && *k != '_')
				*k = '_';
		json_object_set_new(d, key, json_true());
		json_object_set_new(d, "has_done", json_true());
	}
	return http_page(req, status, "admin/person", d);
}

/* The answer to a change that failed in the database. */
static int change_failed(struct request *req, enum db_qs qs)
{
	return http_error(req, qs == DB_SOFT ? 503 : 500);
}

static int grant_role(struct request *req, PGconn *c, const char *login)
{
	char why[256];
	json_t *errors = json_object();
	const char *role = http_form(req, "role");
	const char *scope_s = http_form(req, "scope");
	const char *deputy = http_form(req, "deputy");
	const char *from = http_form(req, "valid_from");
	const char *to = http_form(req, "valid_to");
	struct role_scope sc;
	int known = account_role_exists(c, role);
	int service = account_is_service(c, login);
	if (!known)
		json_object_set_new(errors, "role", json_string("role_err_role"));
	else if (strcmp(login, req->sess->login) == 0)
		/* separation of duties: nobody grants a role to themselves here
		 * (the command line is audited as such) */
		json_object_set_new(errors, "role", http_label(req, "role_err_self"));
	else if (service)
		json_object_set_new(errors, "role", http_label(req, "role_err_service"));
	if (role_scope_parse(scope_s, &sc, why, sizeof why) < 0)
		json_object_set_new(errors, "scope", json_string("role_err_scope"));
	else if (role_scope_resolve(c, &sc, why, sizeof why) != 0)
		json_object_set_new(errors, "scope", json_string("role_err_scope_unknown"));
	else if (!json_object_get(errors, "role") && role_scope_check(role, &sc, why, sizeof why) != 0) {
		/* A city-wide role over a section, a section role over the city ... */
		const char *want = role_scope_kind(role);
		char key[40];
		snprintf(key, sizeof key, "role_err_scope_%s", want ? want : "rule");
		json_object_set_new(errors, "scope", http_label(req, key));
	}
	char *end = NULL;
	long dr = deputy && *deputy ? strtol(deputy, &end, 10) : 0;
	if ((deputy && *deputy && *end) || dr < 0 || dr > 9)
		json_object_set_new(errors, "deputy",
				    json_string("role_err_deputy"));
	if (from && *from && role_check_date(from, why, sizeof why) < 0)
		json_object_set_new(errors, "valid_from", json_string("role_err_date"));
	if (to && *to && role_check_date(to, why, sizeof why) < 0)
		json_object_set_new(errors, "valid_to", json_string("role_err_date"));
	else if (to && *to && from && *from && strcmp(to, from) < 0)
		json_object_set_new(errors, "valid_to",
				    json_string("role_err_end_before_start"));
	if (json_object_size(errors)) {
		int rc = person_page(req, c, login, 422, errors, NULL);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	char sid[16], dep[4];
	snprintf(sid, sizeof sid, "%d", sc.id);
	snprintf(dep, sizeof dep, "%ld", dr);
	char *granted_by = xasprintf("%s (%s)", req->sess->display_name, req->sess->login);
	struct account_grant g = {login,
				  role,
				  sc.kind,
				  sc.text,
				  sc.id,
				  (int)dr,
				  from && *from ? from : NULL,
				  to && *to ? to : NULL,
				  granted_by};
	struct account_actor by = {req->sess->who.person_id, ip_of(req)};
	struct db_err e;
	struct account_result res;
	enum db_qs qs = account_grant(c, &by, &g, &res, &e);
	free(granted_by);
	if (qs < 0)
		return change_failed(req, qs);
	int rc;
	char *loc = xasprintf("/admin/people/%s?done=%s", login,
			      res.changed ? "granted" : "unchanged");
	rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int set_password(struct request *req, PGconn *c, const char *login)
{
	const char *pw = http_form(req, "password");
	const char *pw2 = http_form(req, "password2");
	json_t *errors = json_object();
	const char *bad = !pw || !*pw ? "password_err_empty"
				      : password_policy(c, pw, login);
	if (bad)
		json_object_set_new(errors, "password", json_string(bad));
	else if (!pw2 || strcmp(pw, pw2) != 0)
		json_object_set_new(errors, "password2",
				    json_string("password_err_confirm"));
	if (json_object_size(errors)) {
		int rc = person_page(req, c, login, 422, errors, NULL);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(pw, hash) < 0)
		return http_error(req, 500);
	struct account_actor by = {req->sess->who.person_id, ip_of(req)};
	struct db_err e;
	struct account_result res;
	/* A new password ends the person's sessions everywhere. */
	enum db_qs qs = account_set_password(c, &by, login, hash, &res, &e);
	sodium_memzero(hash, sizeof hash);
	if (qs < 0)
		return change_failed(req, qs);
	char *loc = xasprintf("/admin/people/%s?done=password", login);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int set_active(struct request *req, PGconn *c, const char *login, int active)
{
	if (!active && strcmp(login, req->sess->login) == 0) {
		json_t *errors = json_pack("{s:s}", "active",
					   "person_err_self_deactivate");
		int rc = person_page(req, c, login, 422, errors, NULL);
		json_decref(errors);
		return rc;
	}
	struct account_actor by = {req->sess->who.person_id, ip_of(req)};
	struct db_err e;
	struct account_result res;
	enum db_qs qs = account_set_active(c, &by, login, active, &res, &e);
	if (qs < 0)
		return change_failed(req, qs);
	char *loc = xasprintf("/admin/people/%s?done=%s", login, active ? "activated" : "deactivated");
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int revoke_role(struct request *req, PGconn *c, const char *login, const char *id)
{
	char *end;
	long n = strtol(id, &end, 10);
	if (*end || n <= 0)
		return http_error(req, 404);
	struct account_actor by = {req->sess->who.person_id, ip_of(req)};
	struct db_err e;
	struct account_result res;
	enum db_qs qs = account_revoke(c, &by, login, n, &res, &e);
	if (qs < 0)
		return change_failed(req, qs);
	if (!res.changed)
		return http_error(req, 404);
	char *loc = xasprintf("/admin/people/%s?done=revoked", login);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

/* /admin/people/LOGIN[/ACTION[/ID/revoke|remove]] */
int web_admin_person(struct request *req)
{
	char *rest = xstrdup(req->path + strlen("/admin/people/"));
	char *parts[4] = {NULL};
	int np = 0;
	for (char *s = rest, *save = NULL, *t; np < 4 && (t = strtok_r(s, "/", &save)); s = NULL)
		parts[np++] = t;
	char why[128];
	int rc;
	if (np == 0 || people_check_login(parts[0], why, sizeof why) < 0) {
		free(rest);
		return http_error(req, 404);
	}
	PGconn *c = db_pool_get(req->app->db);
	if (!c) {
		free(rest);
		return http_error(req, 503);
	}
	const char *login = parts[0];
	const char *act = np > 1 ? parts[1] : NULL;
	if (req->method != HTTP_POST) {
		rc = np == 1 ? person_page(req, c, login, 200, NULL, http_query(req, "done"))
			     : http_error(req, 404);
	} else if (np == 2 && strcmp(act, "roles") == 0) {
		rc = grant_role(req, c, login);
	} else if (np == 4 && strcmp(act, "roles") == 0 && strcmp(parts[3], "revoke") == 0) {
		rc = revoke_role(req, c, login, parts[2]);
	} else if (np == 2 && strcmp(act, "absences") == 0) {
		rc = web_absence_admin_add(req, c, login, absence_again);
	} else if (np == 4 && strcmp(act, "absences") == 0 && strcmp(parts[3], "remove") == 0) {
		rc = web_absence_admin_remove(req, c, login, parts[2]);
	} else if (np == 2 && strcmp(act, "password") == 0) {
		rc = set_password(req, c, login);
	} else if (np == 2 && (strcmp(act, "deactivate") == 0 || strcmp(act, "activate") == 0)) {
		rc = set_active(req, c, login, strcmp(act, "activate") == 0);
	} else {
		rc = http_error(req, 404);
	}
	db_pool_put(req->app->db, c);
	free(rest);
	return rc;
}
