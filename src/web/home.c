/* The home page: what Sokuho is, and the way to file a report. */
#include "app.h"
#include "db/db.h"
#include "web.h"

int web_home(struct request *req)
{
	json_t *data = json_object();
	PGconn *c = db_pool_get(req->app->db);
	if (c) {
		char day[11];
		if (db_installed_on(c, day) == 0)
			json_object_set_new(data, "installed_on", json_string(day));
		db_pool_put(req->app->db, c);
	}
	return http_page(req, 200, "pages/home", data);
}
