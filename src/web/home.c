/* The home page: what Sokuho is, and the way to file a report. */
#include <libpq-fe.h>

#include "app.h"
#include "db/db.h"
#include "web.h"

int web_home(struct request *req)
{
	json_t *data = json_object();
	PGconn *c = db_pool_get(req->app->db);
	if (c) {
		PGresult *r = PQexec(c, "SELECT to_char(installed_at AT TIME ZONE 'Asia/Tokyo', "
					"'YYYY-MM-DD') FROM instance");
		if (db_ok(r) && PQntuples(r) == 1)
			json_object_set_new(data, "installed_on", json_string(PQgetvalue(r, 0, 0)));
		PQclear(r);
		db_pool_put(req->app->db, c);
	}
	return http_page(req, 200, "pages/home", data);
}
