/* Absences (不在) on the web: a signed-in person's own at /account/absences
 * (add; remove one of their own at /account/absences/ID/remove), and any
 * person's on the admin's person page (web_absence_admin_add / _remove,
 * called from admin.c under PERM_ADMIN). The form, its checks and the
 * change are the same for both (org/absence.h); every change is audited as
 * done by the signed-in person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "org/absence.h"
#include "web.h"

static const char *const form_fields[] = {"kind", "starts_on", "ends_on", "note", NULL};

void web_absence_page_data(struct request *req, PGconn *c, const char *login, const char *base,
			   json_t *d, json_t *errors)
{
	json_t *list = absence_list(c, login);
	json_object_set_new(d, "absences", list ? list : json_array());
	json_object_set_new(d, "absence_base", json_string(base));
	json_t *v = json_object();
	for (int i = 0; form_fields[i]; i++) {
		const char *x = errors && req->form ? http_form(req, form_fields[i]) : NULL;
		json_object_set_new(v, form_fields[i], json_string(x ? x : ""));
	}
	json_t *kinds = absence_kind_choices(c, json_string_value(json_object_get(v, "kind")));
	json_object_set_new(d, "absence_kinds", kinds ? kinds : json_array());
	json_object_set_new(d, "av", v);
	if (errors && json_object_size(errors)) {
		http_msgs(req, errors);
		json_object_set(d, "absence_errors", errors);
		json_object_set_new(d, "has_absence_errors", json_true());
	}
}

static int own_page(struct request *req, PGconn *c, unsigned status, json_t *errors,
		    const char *done)
{
	json_t *d = json_object();
	web_absence_page_data(req, c, req->sess->login, "/account/absences", d, errors);
	if (done && strcmp(done, "absence_added") == 0)
		json_object_set_new(d, "done_absence_added", json_true());
	if (done && strcmp(done, "absence_removed") == 0)
		json_object_set_new(d, "done_absence_removed", json_true());
	return http_page(req, status, "pages/account_absences", d);
}

/* Reads and checks the form into a (pointers into the request); 0, or -1
 * with the field's message in errors. */
static int read_form(struct request *req, const char *login, struct absence_new *a,
		     json_t *errors)
{
	const char *to = http_form(req, "ends_on");
	*a = (struct absence_new){login, http_form(req, "kind"), http_form(req, "starts_on"),
				  to && *to ? to : http_form(req, "starts_on"), http_form(req, "note")};
	const char *field = NULL;
	json_t *msg = NULL;
	if (absence_check(a, &field, &msg) < 0) {
		json_object_set_new(errors, field, msg);
		return -1;
	}
	return 0;
}

/* Adds the form's absence for login; redirects to back?done=absence_added. */
static int add(struct request *req, PGconn *c, const char *login, const char *back,
	       int (*again)(struct request *, PGconn *, const char *, unsigned, json_t *))
{
	struct absence_new a;
	json_t *errors = json_object();
	if (read_form(req, login, &a, errors) < 0) {
		int rc = again(req, c, login, 422, errors);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	struct account_actor by = {req->sess->who.person_id, req->ip[0] ? req->ip : NULL};
	struct db_err e;
	long long id;
	enum db_qs qs = absence_add(c, &by, &a, &id, &e);
	if (qs < 0)
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	if (id == 0)
		return http_error(req, 404);
	char *loc = xasprintf("%s?done=absence_added", back);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int remove_one(struct request *req, PGconn *c, const char *login, const char *idtext,
		      const char *back, unsigned not_found)
{
	char *end;
	long long id = strtoll(idtext, &end, 10);
	if (*end || id <= 0)
		return http_error(req, 404);
	struct account_actor by = {req->sess->who.person_id, req->ip[0] ? req->ip : NULL};
	struct db_err e;
	int removed;
	enum db_qs qs = absence_remove(c, &by, login, id, &removed, &e);
	if (qs < 0)
		return http_error(req, qs == DB_SOFT ? 503 : 500);
	if (!removed)
		return http_error(req, not_found);
	char *loc = xasprintf("%s?done=absence_removed", back);
	int rc = http_redirect(req, loc);
	free(loc);
	return rc;
}

static int own_again(struct request *req, PGconn *c, const char *login, unsigned status,
		     json_t *errors)
{
	(void)login;
	return own_page(req, c, status, errors, NULL);
}

int web_account_absences(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc = req->method == HTTP_POST
			 ? add(req, c, req->sess->login, "/account/absences", own_again)
			 : own_page(req, c, 200, NULL, http_query(req, "done"));
	db_pool_put(req->app->db, c);
	return rc;
}

/* POST /account/absences/ID/remove: only one's own (someone else's, or one
 * that is gone: 403). */
int web_account_absence(struct request *req)
{
	const char *rest = req->path + strlen("/account/absences/");
	const char *slash = strchr(rest, '/');
	if (!slash || strcmp(slash, "/remove") != 0 || slash == rest ||
	    (size_t)(slash - rest) > 12)
		return http_error(req, 404);
	char idtext[16];
	snprintf(idtext, sizeof idtext, "%.*s", (int)(slash - rest), rest);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	int rc = remove_one(req, c, req->sess->login, idtext, "/account/absences", 403);
	db_pool_put(req->app->db, c);
	return rc;
}

int web_absence_admin_add(struct request *req, PGconn *c, const char *login,
			  int (*again)(struct request *, PGconn *, const char *, unsigned, json_t *))
{
	char *back = xasprintf("/admin/people/%s", login);
	int rc = add(req, c, login, back, again);
	free(back);
	return rc;
}

int web_absence_admin_remove(struct request *req, PGconn *c, const char *login, const char *id)
{
	char *back = xasprintf("/admin/people/%s", login);
	int rc = remove_one(req, c, login, id, back, 404);
	free(back);
	return rc;
}
