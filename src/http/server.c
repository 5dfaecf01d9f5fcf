/* libmicrohttpd glue: per-request state is created in the URI-log callback,
 * filled by the access handler, and freed (with the access-log line) in the
 * completion callback, whatever happened to the connection. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/session.h"
#include "auth/token.h"
#include "core/config.h"
#include "core/file.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "form.h"
#include "http.h"
#include "metrics.h"

static enum http_method parse_method(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_HEAD;
	return HTTP_OTHER;
}

static int route_matches(const struct route *r, const char *path)
{
	if (r->flags & ROUTE_PREFIX)
		return strncmp(path, r->pattern, strlen(r->pattern)) == 0;
	return strcmp(path, r->pattern) == 0;
}

const struct route *server_route(const struct http_server *srv, unsigned method, const char *path,
				 unsigned *allow)
{
	unsigned want = method == HTTP_HEAD ? HTTP_GET : method;
	*allow = 0;
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct route *r = &srv->routes[i];
		if (!route_matches(r, path))
			continue;
		if (r->methods & want)
			return r;
		*allow |= r->methods;
	}
	return NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)uri; /* the raw URI carries the query string: never logged */
	struct http_server *srv = cls;
	struct request *req = xcalloc(1, sizeof *req);
	req->conn = conn;
	req->srv = srv;
	req->app = srv->app;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	unsigned char id[8];
	randombytes_buf(id, sizeof id);
	sodium_bin2hex(req->rid, sizeof req->rid, id, sizeof id);
	buf_init(&req->body);
	spool_init(&req->spool);
	atomic_fetch_add(&srv->in_flight, 1);
	return req;
}

/* The path as the access log shows it: an acknowledge link's token is a
 * bearer credential until used, so "/ack/TOKEN…" is written as "/ack/-"; a
 * log reader sees the route, never a usable link. */
static const char *logged_path(const char *path)
{
	if (!path)
		return "-";
	if (strncmp(path, "/ack/", 5) == 0)
		return "/ack/-";
	return path;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct http_server *srv = cls;
	struct request *req = *req_cls;
	if (!req)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - req->start.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - req->start.tv_nsec) / 1e6;
	log_event(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? LOG_INFO : LOG_WARN, "access",
		  "rid=%s method=%s path=%s route=%s status=%u bytes=%zu dur_ms=%.3f%s", req->rid,
		  log_quote(0, req->method_str ? req->method_str : "-"),
		  log_quote(1, logged_path(req->path)),
		  req->route ? req->route->name : "-", req->status, req->bytes, ms,
		  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
	metrics_observe(req->route ? req->route->name : "-", req->status, ms / 1e3);
	buf_release(&req->body);
	atomic_fetch_sub(req->spool.fd >= 0 ? &srv->spool_bytes : &srv->body_bytes,
			 req->body_reserved);
	spool_release(&req->spool);
	json_decref(req->form);
	json_decref(req->form_invalid);
	mp_result_release(&req->mp);
	session_free(req->sess);
	for (int i = 0; i < req->nset_cookie; i++)
		free(req->set_cookie[i]);
	free(req->path);
	free(req);
	*req_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

static int content_length_too_large(struct request *req)
{
	const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	return errno == ERANGE || (end != cl && n > req->srv->cfg->max_body);
}

/* Behind a trusted reverse proxy the client is the last address the proxy
 * appended to X-Forwarded-For (earlier entries come from the client and
 * prove nothing). */
static int forwarded_ip(struct request *req)
{
	const char *xff = http_header(req, "X-Forwarded-For");
	if (!req->srv->cfg->trust_proxy || !xff)
		return 0;
	const char *last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	char addr[64];
	size_t n = strcspn(last, " ");
	if (n == 0 || n >= sizeof addr)
		return 0;
	memcpy(addr, last, n);
	addr[n] = '\0';
	unsigned char tmp[16];
	if (inet_pton(AF_INET, addr, tmp) != 1 && inet_pton(AF_INET6, addr, tmp) != 1)
		return 0;
	snprintf(req->ip, sizeof req->ip, "%s", addr);
	return 1;
}

static void client_ip(struct request *req)
{
	if (forwarded_ip(req))
		return;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, req->ip,
			  sizeof req->ip);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  req->ip, sizeof req->ip);
}

/* Loads the signed-in person from the session cookie, if any. Returns -1
 * only when the database cannot be reached. */
static int load_session(struct request *req)
{
	const char *tok = http_cookie(req, SESSION_COOKIE);
	if (!tok)
		return 0;
	PGconn *c = db_pool_get(req->srv->db);
	if (!c)
		return -1;
	req->sess = session_load(c, tok, req->srv->cfg->session_idle, req->srv->cfg->session_max);
	db_pool_put(req->srv->db, c);
	if (!req->sess && db_pool_request_lost())
		return -1; /* the database went away: 503, and the session is kept */
	if (!req->sess)
		http_set_cookie(req, SESSION_COOKIE, "", 0); /* expired: forget it */
	return 0;
}

/* A JSON answer to a token request, with an extra header (may be NULL). */
static int token_reply(struct request *req, unsigned status, const char *message,
		       const char *header, const char *value)
{
	json_t *j = json_pack("{s:s}", "error", message);
	char *body = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (!body)
		return -1;
	size_t len = strlen(body);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
	free(body);
	if (!resp)
		return -1;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (header)
		MHD_add_response_header(resp, header, value);
	return http_queue(req, status, resp, len);
}

/* API requests with Authorization: Bearer authenticate as the token's person
 * (no cookie, no CSRF: the browser never sends this header by itself). The
 * token itself is never logged. Returns 1 when a response was queued, 0 to
 * go on (req->via_token says whether a token was used), -1 on error. */
static int load_token(struct request *req)
{
	const char *h = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || !http_is_api(req))
		return 0;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return token_reply(req, MHD_HTTP_UNAUTHORIZED, "invalid or revoked token",
				   MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") < 0 ? -1 : 1;
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	PGconn *c = db_pool_get(req->srv->db);
	if (!c)
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE) < 0 ? -1 : 1;
	int retry = 60;
	enum token_result tr =
		api_token_authenticate(c, tok, &req->sess, &req->token_scopes, &retry);
	db_pool_put(req->srv->db, c);
	int rc;
	switch (tr) {
	case TOKEN_OK:
		req->via_token = 1;
		if (!(api_token_route_scope(req->route->name) & req->token_scopes)) {
			log_event(LOG_WARN, "token_scope_denied", "rid=%s route=%s person=%d", req->rid,
				  req->route->name, req->sess->who.person_id);
			rc = token_reply(req, MHD_HTTP_FORBIDDEN, "the token lacks the scope this request needs",
					 NULL, NULL);
			break;
		}
		return 0;
	case TOKEN_INVALID:
		log_event(LOG_WARN, "token_rejected", "rid=%s route=%s", req->rid, req->route->name);
		rc = token_reply(req, MHD_HTTP_UNAUTHORIZED, "invalid or revoked token",
				 MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
		break;
	case TOKEN_LIMITED: {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", retry);
		rc = token_reply(req, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests for this token",
				 MHD_HTTP_HEADER_RETRY_AFTER, ra);
		break;
	}
	default:
		rc = http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		break;
	}
	return rc < 0 ? -1 : 1;
}

/* Every POST carries the CSRF token of its form (field "csrf") or of the page
 * (header X-CSRF-Token): the session's own, or for an anonymous visitor the
 * value of the CSRF cookie (double submit). */
static int csrf_ok(struct request *req)
{
	const char *sent = http_form(req, "csrf");
	if (!sent)
		sent = http_header(req, "X-CSRF-Token");
	const char *want = req->sess ? req->sess->csrf : http_cookie(req, CSRF_COOKIE);
	if (!sent || !want || strlen(want) != SESSION_TOKEN_LEN || strlen(sent) != strlen(want))
		return 0;
	return sodium_memcmp(sent, want, strlen(want)) == 0;
}

/* Parses a form body, urlencoded or multipart; other bodies (JSON) are left
 * to the handler. Returns -1 for a malformed form. */
static int parse_form(struct request *req)
{
	const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct)
		return 0;
	const char *body = req->spool.map ? req->spool.map : buf_cstr(&req->body);
	size_t len = req->spool.map ? req->spool.len : req->body.len;
	if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		req->form_invalid = json_object();
		req->form = form_parse_urlencoded(body, len, req->form_invalid);
		return req->form ? 0 : -1;
	}
	if (strncasecmp(ct, "multipart/form-data", 19) != 0)
		return 0;
	char *boundary = mp_boundary(ct);
	char err[256];
	req->form_invalid = json_object();
	int rc = boundary ? mp_parse_marking(body, len, boundary, 200,
					     256 * 1024, &req->mp, req->form_invalid, err, sizeof err)
			  : -1;
	if (rc < 0)
		log_event(LOG_WARN, "bad_form", "rid=%s error=%s", req->rid,
			  log_quote(0, boundary ? err : "no boundary"));
	free(boundary);
	if (rc < 0)
		return -1;
	req->form = json_incref(req->mp.fields);
	return 0;
}

/* The most body the request may carry: its route's limit for a POST (never
 * above max_body), nothing for any other method. */
static size_t route_body_limit(const struct request *req)
{
	const struct config *cfg = req->srv->cfg;
	if (req->method != HTTP_POST)
		return 0;
	size_t n = 0;
	switch (req->route->body) {
	case BODY_NONE:
		n = 0;
		break;
	case BODY_SMALL:
		n = ROUTE_BODY_SMALL;
		break;
	case BODY_FORM:
		n = ROUTE_BODY_FORM;
		break;
	case BODY_PUBLIC:
		n = cfg->public_max_body;
		break;
	case BODY_UPLOAD:
		n = cfg->max_body;
		break;
	}
	return n < cfg->max_body ? n : cfg->max_body;
}

/* The announced Content-Length into *n (a value too large to read is
 * ULLONG_MAX); 0 when there is none (chunked, or no body). */
static int content_length(struct request *req, unsigned long long *n)
{
	const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return 0;
	char *end;
	errno = 0;
	*n = strtoull(cl, &end, 10);
	if (errno == ERANGE)
		*n = ULLONG_MAX;
	return end != cl;
}

/* Takes n more bytes of the memory budget for bodies in flight (body_memory)
 * for req: 0, or -1 (nothing taken) when all bodies together would hold
 * more. */
static int body_reserve(struct request *req, size_t n)
{
	int disk = req->spool.fd >= 0; /* an upload: on disk, within body_disk */
	size_t budget = disk ? req->srv->cfg->body_disk : req->srv->cfg->body_memory;
	atomic_size_t *used = disk ? &req->srv->spool_bytes : &req->srv->body_bytes;
	size_t cur = atomic_load(used);
	do {
		if (n > budget || cur > budget - n) {
			log_event(LOG_WARN, "body_budget_full",
				  "rid=%s route=%s wanted=%zu in_flight=%zu %s=%zu", req->rid,
				  req->route->name, n, cur, disk ? "body_disk" : "body_memory",
				  budget);
			return -1;
		}
	} while (!atomic_compare_exchange_weak(used, &cur, cur + n));
	req->body_reserved += n;
	return 0;
}

static void log_body_refused(struct request *req, const char *why)
{
	req->too_large = 1;
	log_event(LOG_WARN, "body_refused", "rid=%s route=%s limit=%zu reason=%s", req->rid,
		  req->route ? req->route->name : "-", req->body_limit, why);
}

/* Everything decided from the request line and headers alone, as soon as
 * they arrive and before a byte of the body is read: the route (404, 405),
 * the body its route takes (413 on a larger Content-Length), who is asking
 * (token or session cookie) and whether they may (401, 303 to sign in, 403).
 * So an anonymous visitor can make the server hold no more than the few KiB
 * an anonymous form takes. Returns 0 to go on reading, -1 on error; a
 * response queued here ends the request (req->responded). */
static int admit(struct request *req)
{
	if (req->path[0] != '/')
		return http_error(req, MHD_HTTP_BAD_REQUEST);
	unsigned allow;
	req->route = server_route(req->srv, req->method, req->path, &allow);
	if (!req->route) {
		if (!allow)
			return http_error(req, MHD_HTTP_NOT_FOUND);
		req->allow = allow;
		return http_error(req, MHD_HTTP_METHOD_NOT_ALLOWED);
	}
	req->body_limit = route_body_limit(req);
	unsigned long long announced;
	if (content_length(req, &announced) && announced > req->body_limit) {
		log_body_refused(req, "announced");
		return http_error(req, MHD_HTTP_CONTENT_TOO_LARGE);
	}
	client_ip(req);
	int tk = load_token(req);
	if (tk != 0)
		return tk < 0 ? -1 : 0;
	if (!req->via_token && load_session(req) < 0)
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	http_resolve_lang(req); /* now that the signed-in person's language is known */
	if (!authz_allows(req->sess ? &req->sess->who : NULL, req->route->perm, NULL)) {
		if (!req->sess && http_is_api(req))
			return http_error(req, MHD_HTTP_UNAUTHORIZED);
		if (!req->sess && req->method != HTTP_POST) {
			buf loc = BUF_INIT;
			buf_puts(&loc, "/login?next=");
			for (const char *p = req->path; *p; p++) {
				unsigned char ch = (unsigned char)*p;
				if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				    (ch >= '0' && ch <= '9') || ch == '/' || ch == '-' || ch == '_' ||
				    ch == '.')
					buf_putc(&loc, (char)ch);
				else
					buf_printf(&loc, "%%%02X", ch);
			}
			int rc = http_redirect(req, buf_cstr(&loc));
			buf_release(&loc);
			return rc;
		}
		return http_error(req, MHD_HTTP_FORBIDDEN);
	}
	/* An upload goes to disk as it arrives (spool.h). */
	if (req->body_limit > ROUTE_BODY_FORM && spool_open(&req->spool, req->srv->cfg->body_dir) < 0) {
		log_event(LOG_ERROR, "body_spool_failed", "rid=%s dir=%s error=%s", req->rid,
			  log_quote(0, req->srv->cfg->body_dir), log_quote(1, strerror(errno)));
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	/* An announced body takes its share of the budget now, before it is
	 * read: over the budget the client is told to come back (503 with
	 * Retry-After) rather than the server growing. */
	if (req->body_limit && content_length(req, &announced) && announced &&
	    body_reserve(req, (size_t)announced) < 0)
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	return 0;
}

/* The body is in (within its route's limit): the form, the CSRF token of a
 * POST, then the handler. */
static int dispatch(struct request *req)
{
	if (req->too_large)
		return http_error(req, MHD_HTTP_CONTENT_TOO_LARGE);
	if (req->spool.fd >= 0 && spool_map(&req->spool) < 0) {
		log_event(LOG_ERROR, "body_spool_failed", "rid=%s dir=%s error=%s", req->rid,
			  log_quote(0, req->srv->cfg->body_dir), log_quote(1, strerror(errno)));
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	if (req->method == HTTP_POST) {
		if (parse_form(req) < 0)
			return http_error(req, MHD_HTTP_BAD_REQUEST);
		if (json_object_size(req->form_invalid) && !(req->route->flags & ROUTE_MARKS_INVALID)) {
			log_event(LOG_WARN, "bad_form", "rid=%s error=%s", req->rid,
				  log_quote(0, "a value is not valid UTF-8"));
			return http_error(req, MHD_HTTP_BAD_REQUEST);
		}
		if (!req->via_token && !csrf_ok(req)) {
			log_event(LOG_WARN, "csrf_rejected", "rid=%s route=%s", req->rid,
				  req->route->name);
			return http_error(req, MHD_HTTP_FORBIDDEN);
		}
	}
	return req->route->handler(req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	(void)cls;
	(void)version;
	struct request *req = *req_cls;
	if (!req->started) {
		req->started = 1;
		req->conn = conn;
		req->method_str = method;
		req->method = parse_method(method);
		req->path = xstrdup(url ? url : "");
		/* Refuse an announced oversized body before reading any of it,
		 * on every route and before anything else looks at it. */
		if (content_length_too_large(req)) {
			req->too_large = 1;
			return http_error(req, MHD_HTTP_CONTENT_TOO_LARGE) < 0 ? MHD_NO : MHD_YES;
		}
		db_pool_request_begin();
		if (admit(req) < 0 && !req->responded) {
			log_event(LOG_ERROR, "handler_failed", "rid=%s", req->rid);
			if (http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR) < 0)
				return MHD_NO;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->responded || req->too_large)
			return MHD_YES;
		size_t have = req->spool.fd >= 0 ? req->spool.len : req->body.len;
		if (n > req->body_limit - have) {
			/* A chunked body (its size unknown until read) has grown
			 * past its route's limit. libmicrohttpd takes no response
			 * while a body is being read, so rather than read on to
			 * the end the connection is closed at once (logged as
			 * 413); nothing more is kept. */
			buf_release(&req->body);
			log_body_refused(req, "read");
			req->status = MHD_HTTP_CONTENT_TOO_LARGE;
			return MHD_NO;
		}
		if (req->spool.fd < 0 && !req->body.cap && req->body_reserved)
			buf_grow(&req->body, req->body_reserved); /* the announced size, once */
		if (have + n > req->body_reserved &&
		    body_reserve(req, have + n - req->body_reserved) < 0) {
			/* a chunked body, growing past the budget: closed at
			 * once, as for one past its route's limit */
			buf_release(&req->body);
			req->status = MHD_HTTP_SERVICE_UNAVAILABLE;
			return MHD_NO;
		}
		if (req->spool.fd < 0) {
			buf_append(&req->body, upload_data, n);
			return MHD_YES;
		}
		if (spool_write(&req->spool, upload_data, n) < 0) {
			log_event(LOG_ERROR, "body_spool_failed", "rid=%s dir=%s error=%s", req->rid,
				  log_quote(0, req->srv->cfg->body_dir), log_quote(1, strerror(errno)));
			req->status = MHD_HTTP_SERVICE_UNAVAILABLE;
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (req->responded)
		return MHD_YES;
	db_pool_request_begin();
	if (dispatch(req) < 0 && !req->responded) {
		log_event(LOG_ERROR, "handler_failed", "rid=%s", req->rid);
		if (http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR) < 0)
			return MHD_NO;
	}
	return req->responded ? MHD_YES : MHD_NO;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_event(LOG_WARN, "http_library", "message=%s", log_quote(0, msg));
}

static char *read_pem(const char *path, size_t *len)
{
	buf b = BUF_INIT;
	if (file_read_all(path, 0, &b) != FILE_OK || b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, len);
}

int server_run(struct http_server *srv)
{
	const struct config *cfg = srv->cfg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct addrinfo hints = {0}, *ai = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	char port[8];
	snprintf(port, sizeof port, "%d", cfg->listen_port);
	int gai = getaddrinfo(cfg->listen_host, port, &hints, &ai);
	if (gai != 0) {
		log_event(LOG_ERROR, "listen_failed", "host=%s error=%s",
			  log_quote(0, cfg->listen_host), log_quote(1, gai_strerror(gai)));
		return -1;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	/* Built-in HTTPS (GnuTLS inside libmicrohttpd) when both PEM files are
	 * configured; otherwise plain HTTP behind a reverse proxy. */
	char *tls_key = NULL, *tls_cert = NULL;
	struct MHD_OptionItem tls_opts[3] = {{MHD_OPTION_END, 0, NULL}};
	if (cfg->tls_cert[0] || cfg->tls_key[0]) {
		size_t len;
		tls_cert = cfg->tls_cert[0] ? read_pem(cfg->tls_cert, &len) : NULL;
		tls_key = cfg->tls_key[0] ? read_pem(cfg->tls_key, &len) : NULL;
		if (!tls_cert || !tls_key) {
			log_event(LOG_ERROR, "tls_failed", "error=%s",
				  log_quote(0, "tls_cert and tls_key must both name readable PEM files"));
			free(tls_cert);
			free(tls_key);
			freeaddrinfo(ai);
			return -1;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key};
		tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert};
		tls_opts[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connection_limit,
		/* 0 is no limit; behind a proxy every connection is the proxy's */
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connection_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->request_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d) {
		free(tls_key);
		free(tls_cert);
		log_event(LOG_ERROR, "listen_failed", "host=%s port=%d error=%s",
			  log_quote(0, cfg->listen_host), cfg->listen_port,
			  log_quote(1, "unable to start the HTTP server (address in use?)"));
		return -1;
	}
	log_event(LOG_INFO, "listening", "url=\"%s://%s:%d/\" threads=%d",
		  tls_cert ? "https" : "http", cfg->listen_host, cfg->listen_port, cfg->threads);

	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	log_event(LOG_INFO, "shutting_down", "signal=%s in_flight=%d",
		  sig == SIGTERM ? "SIGTERM" : "SIGINT", atomic_load(&srv->in_flight));
	MHD_quiesce_daemon(d);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&srv->in_flight) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= cfg->shutdown_grace) {
			log_event(LOG_WARN, "shutdown_grace_expired", "in_flight=%d",
				  atomic_load(&srv->in_flight));
			break;
		}
		usleep(20 * 1000);
	}
	MHD_stop_daemon(d);
	free(tls_key);
	free(tls_cert);
	log_event(LOG_INFO, "stopped", NULL);
	return 0;
}
