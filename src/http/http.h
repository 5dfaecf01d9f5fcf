/* The HTTP layer: per-request state, the route table's types, and the
 * response helpers that every handler uses. Everything a request owns hangs
 * off struct request and is freed in the server's completion callback. */
#ifndef SOKUHO_HTTP_H
#define SOKUHO_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"

struct app;

enum http_method {
	HTTP_GET = 1,
	HTTP_POST = 2,
	HTTP_HEAD = 4,
	HTTP_OTHER = 8,
};

struct request;

/* A handler queues exactly one response (with the http_* helpers below) and
 * returns 0; returning -1 without a response makes the server answer 500. */
typedef int (*http_handler)(struct request *req);

/* Route flags: what a route needs; checked before the handler runs. */
enum route_flags {
	ROUTE_PREFIX = 1, /* pattern matches any path that starts with it */
	ROUTE_PUBLIC = 2, /* no sign-in needed */
};

struct route {
	unsigned methods;  /* HTTP_GET | HTTP_POST ... (HEAD is implied by GET) */
	const char *pattern;
	http_handler handler;
	unsigned flags;
	const char *name;  /* for logs and metrics */
};

struct request {
	struct MHD_Connection *conn;
	struct app *app;
	char rid[17];           /* request id: 16 hex characters */
	struct timespec start;
	enum http_method method;
	const char *method_str; /* owned by MHD */
	char *path;             /* decoded path, without the query string */
	const struct route *route;
	buf body;
	int started;
	int too_large;
	int responded;
	unsigned status;
	size_t bytes;
	unsigned allow; /* methods the path accepts, for 405's Allow header */
};

/* Queues a response with the security headers and Cache-Control: no-store.
 * The body is copied. Returns 0, or -1 if MHD refused it. */
int http_respond(struct request *req, unsigned status, const char *content_type,
		 const char *body, size_t len);
/* Renders the page template `name` (from templates/, e.g. "pages/home") over
 * data and queues it as text/html. Steals the reference to data. */
int http_page(struct request *req, unsigned status, const char *name, json_t *data);
/* Queues the error page for status (400, 403, 404, 405, 413, 500, ...). */
int http_error(struct request *req, unsigned status);
/* Queues a 303 redirect to a local path. */
int http_redirect(struct request *req, const char *location);
/* Returns a query-string argument, or NULL. Owned by MHD. */
const char *http_query(struct request *req, const char *key);
/* Returns a request header, or NULL. Owned by MHD. */
const char *http_header(struct request *req, const char *key);

/* Adds the headers every response carries (CSP, nosniff, frame-ancestors,
 * Referrer-Policy ...). Used by the helpers above and by static files. */
void http_add_security_headers(struct MHD_Response *resp);
/* Queues resp (taking its reference) and records status and size for the
 * access log. */
int http_queue(struct request *req, unsigned status, struct MHD_Response *resp, size_t bytes);

#endif
