/* The route table: every URL the server answers, what it accepts and what it
 * needs. A path that matches no row is 404; a row with other methods is 405. */
#include "app.h"
#include "http/static.h"
#include "web.h"

const struct route web_routes[] = {
	{HTTP_GET, "/", web_home, ROUTE_PUBLIC, "home"},
	{HTTP_GET, "/static/", static_serve, ROUTE_PUBLIC | ROUTE_PREFIX, "static"},
};

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
