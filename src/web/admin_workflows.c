/* The workflows on the admin pages: every stored version with its SHA-256
 * and how many incidents run on it, and a picture of each (Graphviz SVG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/session.h"
#include "db/db.h"
#include "web.h"
#include "wf/engine.h"
#include "wf/picture.h"

int web_admin_workflows(struct request *req)
{
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	json_t *defs = engine_defs_list(c);
	db_pool_put(req->app->db, c);
	if (!defs)
		return http_error(req, 500);
	json_t *d = json_object();
	json_object_set_new(d, "defs", defs);
	return http_page(req, 200, "admin/workflows", d);
}

/* GET /admin/workflows/ID.svg */
int web_admin_workflow_svg(struct request *req)
{
	const char *rest = req->path + strlen("/admin/workflows/");
	char *end;
	long id = strtol(rest, &end, 10);
	if (id <= 0 || strcmp(end, ".svg") != 0 || !req->app->engine)
		return http_error(req, 404);
	PGconn *c = db_pool_get(req->app->db);
	if (!c)
		return http_error(req, 503);
	const struct wf_def *def = engine_def(req->app->engine, c, (int)id);
	db_pool_put(req->app->db, c);
	if (!def)
		return http_error(req, 404);
	char err[256];
	size_t len = 0;
	const char *lang = http_query(req, "lang");
	char *svg = wf_picture_svg(def, lang ? lang : "ja", &len, err, sizeof err);
	if (!svg)
		return http_error(req, 500);
	int rc = http_respond(req, 200, "image/svg+xml; charset=utf-8", svg, len);
	free(svg);
	return rc;
}
