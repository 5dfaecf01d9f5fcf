/* Printable reports: one incident's report with sign-off boxes, the draft of
 * the leak report to the Personal Information Protection Commission, and the
 * annual review (page and CSV). */
#include "web.h"

int web_incident_print(struct request *req, PGconn *conn, const char *ref, long long id)
{
	(void)conn, (void)ref, (void)id;
	return http_error(req, 404);
}

int web_incident_ppc(struct request *req, PGconn *conn, const char *ref, long long id)
{
	(void)conn, (void)ref, (void)id;
	return http_error(req, 404);
}

int web_review(struct request *req)
{
	return http_error(req, 404);
}

int web_review_csv(struct request *req)
{
	return http_error(req, 404);
}
