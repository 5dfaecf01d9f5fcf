/* The route table: every URL the server answers, what it accepts and the
 * permission it needs (checked by the server before the handler; handlers
 * acting on one incident check again with its scope). A path that matches no
 * row is 404; a row with other methods is 405. */
#include "app.h"
#include "http/static.h"
#include "web.h"

const struct route web_routes[] = {
	{HTTP_GET, "/", web_home, PERM_PUBLIC, 0, "home"},
	{HTTP_GET, "/static/", static_serve, PERM_PUBLIC, ROUTE_PREFIX, "static"},
	{HTTP_GET | HTTP_POST, "/login", web_login, PERM_PUBLIC, 0, "login"},
	{HTTP_POST, "/logout", web_logout, PERM_SIGNED_IN, 0, "logout"},
};

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
