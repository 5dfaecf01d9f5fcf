/* The HTTP layer: per-request state, the route table's types, and the
 * response helpers that every handler uses. Everything a request owns hangs
 * off struct request and is freed in the server's completion callback. */
#ifndef SOKUHO_HTTP_H
#define SOKUHO_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "auth/authz.h"
#include "core/buf.h"
#include "multipart.h"
#include "spool.h"

struct app;
struct config;
struct db_pool;
struct i18n;
struct route;
struct session;
struct tmpl_set;

/* What the HTTP layer itself uses of the process; the handlers reach the
 * rest (the engine, the legal rules, the dashboard's cache) through
 * req->app, which src/http/ hands on and never opens. Filled by `sokuho
 * serve`; read-only while serving but for the counters. */
struct http_server {
	const struct config *cfg;
	struct tmpl_set *tmpl; /* the pages (http_page, http_error) */
	struct i18n *i18n;     /* their labels */
	struct db_pool *db;    /* the session and CSRF lookups */
	const struct route *routes;
	size_t nroutes;
	struct app *app;            /* for the handlers: req->app */
	atomic_int in_flight;       /* requests started and not yet completed */
	atomic_size_t body_bytes;   /* request bodies admitted and held (cfg body_memory) */
	atomic_size_t spool_bytes;  /* upload bodies admitted to disk (cfg body_disk) */
};

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

/* The cookie of an anonymous visitor's CSRF token (double submit). */
#define CSRF_COOKIE "sokuho_csrf"
/* The cookie that remembers a page language chosen with ?lang=ja|en. */
#define LANG_COOKIE "sokuho_lang"
#define LANG_COOKIE_MAX_AGE (365 * 24 * 3600)

enum route_flags {
	ROUTE_PREFIX = 1, /* pattern matches any path that starts with it */
	/* The handler reads req->form_invalid and answers a form value that is not
	 * UTF-8 itself (the report form marks the field); elsewhere such a value is
	 * a 400 before the handler runs. */
	ROUTE_MARKS_INVALID = 8,
};

/* How much body a route's POST may carry; every other method takes none.
 * The server looks the route up as soon as the headers arrive and refuses a
 * larger body (413) before reading it, so that nobody can make it buffer
 * more than the route will ever use. */
enum route_body {
	BODY_NONE = 0, /* no body at all: a Content-Length over 0 is 413 */
	BODY_SMALL,    /* an anonymous form (sign-in, acknowledge): ROUTE_BODY_SMALL */
	BODY_FORM,     /* a signed-in person's form or JSON: ROUTE_BODY_FORM */
	BODY_PUBLIC,   /* the public report form with its files: cfg public_max_body */
	BODY_UPLOAD,   /* staff forms with evidence files: cfg max_body */
};
#define ROUTE_BODY_SMALL ((size_t)8 * 1024)
#define ROUTE_BODY_FORM ((size_t)256 * 1024)

/* A row of the route table. perm is what the route needs, checked by the
 * server as soon as the headers arrive, before any body is read (a POST also
 * needs a valid CSRF token, checked once the body is in). */
struct route {
	unsigned methods;  /* HTTP_GET | HTTP_POST ... (HEAD is implied by GET) */
	const char *pattern;
	http_handler handler;
	enum perm perm;
	unsigned flags;
	const char *name;  /* for logs and metrics */
	enum route_body body; /* what its POST may carry */
};

struct request {
	struct MHD_Connection *conn;
	struct http_server *srv;
	struct app *app;        /* srv->app, for the handlers */
	char rid[17];           /* request id: 16 hex characters */
	struct timespec start;
	enum http_method method;
	const char *method_str; /* owned by MHD */
	char *path;             /* decoded path, without the query string */
	const struct route *route;
	buf body;               /* the body, for routes that take up to BODY_FORM */
	struct spool spool;     /* the body of an upload route (BODY_PUBLIC, BODY_UPLOAD),
				 * on disk; handlers see it through form and mp */
	size_t body_limit;      /* the most body its route takes (see enum route_body) */
	size_t body_reserved;   /* its share of srv->body_bytes, given back on completion */
	int started;
	int too_large;
	int responded;
	unsigned status;
	size_t bytes;
	unsigned allow; /* methods the path accepts, for 405's Allow header */
	char ip[64];            /* client address */
	json_t *form;           /* POST fields (urlencoded or multipart), or NULL */
	struct mp_result mp;    /* multipart parts; files point into body */
	json_t *form_invalid;   /* names (-> true) of form values that were not UTF-8,
				 * kept mended in form (see ROUTE_MARKS_INVALID) */
	struct session *sess;   /* the signed-in person, or NULL */
	char anon_csrf[48];     /* CSRF token of an anonymous form, once made */
	char *set_cookie[4];    /* Set-Cookie values to send */
	int nset_cookie;
	char lang[3];           /* page language, "ja" or "en" (see http_resolve_lang) */
	int via_token;          /* sess comes from an API token (Authorization: Bearer) */
	unsigned token_scopes;  /* that token's scopes (enum token_scope) */
	char etag[128];         /* when set, sent as the response's ETag */
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
/* Queues body (CSV, core/csvout.h) as a download named filename: text/csv;
 * charset=utf-8 after a UTF-8 BOM (so that Excel reads Japanese),
 * Content-Disposition: attachment with the name made safe
 * (csv_safe_filename), Cache-Control: no-store. 0, or -1. */
int http_csv(struct request *req, unsigned status, const char *filename, const buf *body);
/* Queues data as application/json (steals the reference). */
int http_json(struct request *req, unsigned status, json_t *data);
/* Queues {"error": message} as JSON: the API's way of http_error. */
int http_json_error(struct request *req, unsigned status, const char *message);
/* Whether the request is for the JSON API (/api/...). */
int http_is_api(const struct request *req);
/* Queues a 303 redirect to a local path. */
int http_redirect(struct request *req, const char *location);
/* Returns a query-string argument, or NULL. Owned by MHD. */
const char *http_query(struct request *req, const char *key);
/* Returns a request header, or NULL. Owned by MHD. */
const char *http_header(struct request *req, const char *key);

/* Returns a form field (the first value when repeated), or NULL. Owned by
 * the request. */
const char *http_form(struct request *req, const char *key);
/* Returns a cookie value, or NULL. Owned by MHD. */
const char *http_cookie(struct request *req, const char *name);
/* Adds a Set-Cookie to the response: Path=/, HttpOnly, SameSite=Lax, and
 * Secure when base_url is https. max_age < 0 makes a session cookie, 0
 * deletes the cookie. */
void http_set_cookie(struct request *req, const char *name, const char *value, int max_age);
/* The CSRF token forms on this page must carry: the session's, or for an
 * anonymous visitor a random one also set as a cookie (double submit). */
const char *http_csrf_token(struct request *req);
/* The data every page gets: "csrf", "me" (login, display_name, and is_admin,
 * can_dashboard, can_intake ... for the navigation) when signed in; the page language
 * "lang" ("ja" or "en"), "lang_is_en" (true on English pages), "t" (the
 * label catalog in that language, see tmpl/i18n.h) and "lang_switch"
 * ({href, lang, name}: a link to this page in the other language). Caller
 * owns it. */
json_t *http_page_data(struct request *req);
/* The catalog text of key in the request's page language, as a new JSON
 * string (the key itself when the catalog lacks it), for messages that C
 * puts into page data. */
json_t *http_label(struct request *req, const char *key);
/* A message of the domain layers (a catalog key, or {"key", "args"}: see
 * tmpl/i18n.h) rendered in the request's language, as a new JSON string. */
json_t *http_msg(struct request *req, const json_t *msg);
/* Renders each value of msgs (field -> message, as intake_check's errors) in
 * place, in the request's language. */
void http_msgs(struct request *req, json_t *msgs);
/* Chooses the page language into req->lang: ?lang=ja|en (remembered in the
 * LANG_COOKIE cookie for a year), else that cookie, else the signed-in
 * person's language, else Accept-Language (English only when preferred over
 * Japanese), else Japanese. Other values of ?lang= and the cookie are
 * ignored. May be called again (after the session is loaded). */
void http_resolve_lang(struct request *req);

/* Adds the headers every response carries (CSP, nosniff, frame-ancestors,
 * Referrer-Policy ...). Used by the helpers above and by static files. */
void http_add_security_headers(struct MHD_Response *resp);
/* Queues resp (taking its reference) and records status and size for the
 * access log. */
int http_queue(struct request *req, unsigned status, struct MHD_Response *resp, size_t bytes);

#endif
