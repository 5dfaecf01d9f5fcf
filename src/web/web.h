/* Page and API handlers, one file each under src/web/, listed in the route
 * table of routes.c. */
#ifndef SOKUHO_WEB_H
#define SOKUHO_WEB_H

#include "http/http.h"

int web_home(struct request *req);
int web_login(struct request *req);
int web_logout(struct request *req);

#endif
