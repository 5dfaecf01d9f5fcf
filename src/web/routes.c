/* The route table: every URL the server answers, what it accepts and the
 * permission it needs (checked by the server before the handler; handlers
 * acting on one incident check again with its scope). A path that matches no
 * row is 404; a row with other methods is 405. The last column is how much
 * body its POST may carry (enum route_body): anonymous forms a few KiB, the
 * public report form its own limit, staff uploads max_body; GET takes none. */
#include "app.h"
#include "http/static.h"
#include "web.h"

const struct route web_routes[] = {
	{HTTP_GET, "/", web_home, PERM_PUBLIC, 0, "home", BODY_NONE},
	{HTTP_GET, "/static/", static_serve, PERM_PUBLIC, ROUTE_PREFIX, "static", BODY_NONE},
	{HTTP_GET | HTTP_POST, "/login", web_login, PERM_PUBLIC, 0, "login", BODY_SMALL},
	{HTTP_POST, "/logout", web_logout, PERM_SIGNED_IN, 0, "logout", BODY_SMALL},
	{HTTP_GET | HTTP_POST, "/report", web_report, PERM_SIGNED_IN, ROUTE_MARKS_INVALID, "report",
	 BODY_UPLOAD},
	{HTTP_GET | HTTP_POST, "/report/public", web_resident, PERM_PUBLIC, ROUTE_MARKS_INVALID,
	 "report_public", BODY_PUBLIC},
	{HTTP_GET, "/intake", web_intake, PERM_INTAKE, 0, "intake", BODY_NONE},
	{HTTP_GET | HTTP_POST, "/intake/", web_intake_item, PERM_INTAKE,
	 ROUTE_PREFIX | ROUTE_MARKS_INVALID, "intake_item", BODY_FORM},
	{HTTP_GET, "/report/filed/", web_report_filed, PERM_SIGNED_IN, ROUTE_PREFIX, "report_filed",
	 BODY_NONE},
	{HTTP_GET, "/incidents", web_incidents, PERM_INCIDENT_VIEW, 0, "incidents", BODY_NONE},
	{HTTP_GET, "/incidents.csv", web_incidents_csv, PERM_INCIDENT_VIEW, 0, "incidents_csv", BODY_NONE},
	{HTTP_GET, "/dashboard", web_dashboard, PERM_DASHBOARD, 0, "dashboard", BODY_NONE},
	{HTTP_POST, "/dashboard/timers/", web_dashboard_timer, PERM_TIMER_RETRY, ROUTE_PREFIX,
	 "dashboard_timer", BODY_SMALL},
	{HTTP_GET, "/review", web_review, PERM_DASHBOARD, 0, "review", BODY_NONE},
	{HTTP_GET, "/review.csv", web_review_csv, PERM_DASHBOARD, 0, "review_csv", BODY_NONE},
	{HTTP_GET | HTTP_POST, "/incidents/", web_incident, PERM_INCIDENT_VIEW,
	 ROUTE_PREFIX | ROUTE_MARKS_INVALID, "incident", BODY_FORM},
	{HTTP_GET, "/my/reports", web_my_reports, PERM_SIGNED_IN, 0, "my_reports", BODY_NONE},
	{HTTP_GET | HTTP_POST, "/account/tokens", web_account_tokens, PERM_SIGNED_IN, 0,
	 "account_tokens", BODY_FORM},
	{HTTP_GET | HTTP_POST, "/account/password", web_account_password, PERM_SIGNED_IN, 0,
	 "account_password", BODY_FORM},
	{HTTP_POST, "/account/tokens/", web_account_token, PERM_SIGNED_IN, ROUTE_PREFIX,
	 "account_token", BODY_FORM},
	{HTTP_GET | HTTP_POST, "/account/absences", web_account_absences, PERM_SIGNED_IN, 0,
	 "account_absences", BODY_FORM},
	{HTTP_POST, "/account/absences/", web_account_absence, PERM_SIGNED_IN, ROUTE_PREFIX,
	 "account_absence", BODY_FORM},
	{HTTP_POST, "/api/v1/incidents", web_api_incidents, PERM_SIGNED_IN, 0, "api_incidents",
	 BODY_FORM},
	{HTTP_GET, "/api/v1/incidents/", web_api_incident, PERM_INCIDENT_VIEW, ROUTE_PREFIX,
	 "api_incident", BODY_NONE},
	{HTTP_GET | HTTP_POST, "/ack/", web_ack, PERM_PUBLIC, ROUTE_PREFIX, "ack", BODY_SMALL},
	{HTTP_GET, "/admin/outbox", web_admin_outbox, PERM_ADMIN, 0, "admin_outbox", BODY_NONE},
	{HTTP_GET, "/admin/workflows", web_admin_workflows, PERM_ADMIN, 0, "admin_workflows", BODY_NONE},
	{HTTP_GET, "/admin/workflows/", web_admin_workflow_svg, PERM_ADMIN, ROUTE_PREFIX,
	 "admin_workflow_svg", BODY_NONE},
	{HTTP_GET, "/admin/people", web_admin_people, PERM_ADMIN, 0, "admin_people", BODY_NONE},
	{HTTP_GET | HTTP_POST, "/admin/people/new", web_admin_person_new, PERM_ADMIN, 0,
	 "admin_person_new", BODY_FORM},
	{HTTP_GET | HTTP_POST, "/admin/people/", web_admin_person, PERM_ADMIN, ROUTE_PREFIX,
	 "admin_person", BODY_FORM},
	{HTTP_GET | HTTP_POST, "/admin/tokens", web_admin_tokens, PERM_ADMIN, 0, "admin_tokens",
	 BODY_FORM},
	{HTTP_POST, "/admin/tokens/", web_admin_token, PERM_ADMIN, ROUTE_PREFIX, "admin_token",
	 BODY_FORM},
	{HTTP_GET, "/healthz", web_healthz, PERM_PUBLIC, 0, "healthz", BODY_NONE},
	/* public like most Prometheus endpoints: restrict it at the reverse proxy */
	{HTTP_GET, "/metrics", web_metrics, PERM_PUBLIC, 0, "metrics", BODY_NONE},
};

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
