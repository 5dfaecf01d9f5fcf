/* The CISO dashboard. */
#include "web.h"

int web_dashboard(struct request *req)
{
	return http_error(req, 404);
}
