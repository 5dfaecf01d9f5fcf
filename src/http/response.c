/* Response helpers: every response leaves through http_queue, which adds the
 * security headers and records status and size for the access log. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"
#include "db/db.h"
#include "core/config.h"
#include "core/csvout.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "http.h"
#include "tmpl/i18n.h"
#include "tmpl/templates.h"

/* No inline script or style anywhere: pages load /static/ files only. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
			  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

void http_add_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=(), interest-cohort=()");
}

int http_queue(struct request *req, unsigned status, struct MHD_Response *resp, size_t bytes)
{
	if (!resp)
		return -1;
	http_add_security_headers(resp);
	MHD_add_response_header(resp, "X-Request-Id", req->rid);
	if (req->etag[0] && status == MHD_HTTP_OK)
		MHD_add_response_header(resp, "ETag", req->etag);
	for (int i = 0; i < req->nset_cookie; i++)
		MHD_add_response_header(resp, "Set-Cookie", req->set_cookie[i]);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && req->allow) {
		char allow[32] = "";
		if (req->allow & HTTP_GET)
			strcat(allow, "GET, HEAD");
		if (req->allow & HTTP_POST)
			strcat(allow, allow[0] ? ", POST" : "POST");
		MHD_add_response_header(resp, "Allow", allow);
	}
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, "Retry-After", "5");
	enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (r != MHD_YES)
		return -1;
	req->responded = 1;
	req->status = status;
	req->bytes = bytes;
	return 0;
}

int http_respond(struct request *req, unsigned status, const char *content_type,
		 const char *body, size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return -1;
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return http_queue(req, status, resp, len);
}

/* A refusal (404 "no such site", 422 "unknown category", 401 ...) that a
 * request reached because its database went away is an outage: 503. */
static int lost_refusal(unsigned status)
{
	return status >= 400 && status != MHD_HTTP_SERVICE_UNAVAILABLE && db_pool_request_lost();
}

int http_page(struct request *req, unsigned status, const char *name, json_t *data)
{
	if (lost_refusal(status)) {
		json_decref(data);
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	buf out = BUF_INIT;
	if (!data)
		data = json_object();
	json_t *base = http_page_data(req);
	json_object_update_missing(data, base);
	json_decref(base);
	int rc = tmpl_set_render(req->srv->tmpl, name, data, &out);
	json_decref(data);
	if (rc < 0) {
		log_event(LOG_ERROR, "render_failed", "rid=%s template=%s", req->rid,
			  log_quote(0, name));
		buf_release(&out);
		if (strcmp(name, "pages/error") == 0)
			return http_respond(req, 500, "text/plain; charset=utf-8",
					    "500 internal server error\n", 26);
		return http_error(req, 500);
	}
	rc = http_respond(req, status, "text/html; charset=utf-8", buf_cstr(&out), out.len);
	buf_release(&out);
	return rc;
}

int http_error(struct request *req, unsigned status)
{
	/* An error because the database went away is an outage, not a bug:
	 * the client may try again (Retry-After). */
	if (status == MHD_HTTP_INTERNAL_SERVER_ERROR && db_pool_request_lost())
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
	if (http_is_api(req)) {
		static const struct {
			unsigned status;
			const char *msg;
		} msgs[] = {{400, "bad request"},	   {401, "sign-in required"},
			    {403, "forbidden"},		   {404, "not found"},
			    {405, "method not allowed"}, {413, "request body too large"},
			    {500, "internal error"},	   {503, "database unavailable"}};
		const char *m = "error";
		for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
			if (msgs[i].status == status)
				m = msgs[i].msg;
		return http_json_error(req, status, m);
	}
	char key[16];
	snprintf(key, sizeof key, "e%u", status);
	json_t *data = json_pack("{s:i, s:b}", "status", (int)status, key, 1);
	if (status != 400 && status != 403 && status != 404 && status != 405 && status != 413 &&
	    status != 500 && status != 503)
		json_object_set_new(data, "eother", json_true());
	return http_page(req, status, "pages/error", data);
}

int http_redirect(struct request *req, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return -1;
	MHD_add_response_header(resp, "Location", location);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return http_queue(req, MHD_HTTP_SEE_OTHER, resp, 0);
}

const char *http_query(struct request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_header(struct request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key);
}

const char *http_form(struct request *req, const char *key)
{
	json_t *v = req->form ? json_object_get(req->form, key) : NULL;
	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

const char *http_cookie(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void http_set_cookie(struct request *req, const char *name, const char *value, int max_age)
{
	/* A later value for the same cookie replaces an earlier one. */
	size_t nl = strlen(name);
	for (int i = 0; i < req->nset_cookie; i++) {
		if (strncmp(req->set_cookie[i], name, nl) == 0 && req->set_cookie[i][nl] == '=') {
			free(req->set_cookie[i]);
			req->set_cookie[i] = req->set_cookie[--req->nset_cookie];
			break;
		}
	}
	if (req->nset_cookie >= (int)(sizeof req->set_cookie / sizeof req->set_cookie[0]))
		return;
	int secure = strncmp(req->srv->cfg->base_url, "https://", 8) == 0 ||
		     req->srv->cfg->tls_cert[0];
	char age[48] = "";
	if (max_age >= 0)
		snprintf(age, sizeof age, "; Max-Age=%d", max_age);
	req->set_cookie[req->nset_cookie++] =
		xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name, value, age,
			  secure ? "; Secure" : "");
}

const char *http_csrf_token(struct request *req)
{
	if (req->sess)
		return req->sess->csrf;
	if (!req->anon_csrf[0]) {
		const char *c = http_cookie(req, CSRF_COOKIE);
		if (c && strlen(c) == SESSION_TOKEN_LEN) {
			snprintf(req->anon_csrf, sizeof req->anon_csrf, "%s", c);
		} else {
			session_random_token(req->anon_csrf);
			http_set_cookie(req, CSRF_COOKIE, req->anon_csrf, -1);
		}
	}
	return req->anon_csrf;
}

/* Appends s percent-encoded, keeping only unreserved characters (and '/'
 * when path is set). */
static void put_escaped(buf *b, const char *s, int path)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~' || (path && *p == '/'))
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	(void)kind;
	buf *b = cls;
	if (!key || strcmp(key, "lang") == 0)
		return MHD_YES;
	put_escaped(b, key, 0);
	if (value) {
		buf_putc(b, '=');
		put_escaped(b, value, 0);
	}
	buf_putc(b, '&');
	return MHD_YES;
}

/* This page's path and query with lang=LANG (caller frees). A path that
 * starts with "//" is cut to one slash, so the link can never leave the
 * site. */
static char *lang_switch_href(struct request *req, const char *lang)
{
	buf b = BUF_INIT;
	const char *path = req->path && req->path[0] == '/' ? req->path : "/";
	while (path[0] == '/' && path[1] == '/')
		path++;
	put_escaped(&b, path, 1);
	buf_putc(&b, '?');
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &b);
	buf_printf(&b, "lang=%s", lang);
	return buf_detach(&b, NULL);
}

json_t *http_page_data(struct request *req)
{
	json_t *d = json_object();
	json_object_set_new(d, "csrf", json_string(http_csrf_token(req)));
	if (req->sess) {
		const struct principal *p = &req->sess->who;
		json_object_set_new(
			d, "me",
			json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b}", "login", req->sess->login,
				  "display_name", req->sess->display_name, "is_admin",
				  authz_allows(p, PERM_ADMIN, NULL), "can_dashboard",
				  authz_allows(p, PERM_DASHBOARD, NULL), "can_audit",
				  authz_allows(p, PERM_AUDIT, NULL), "can_incidents",
				  authz_allows(p, PERM_INCIDENT_VIEW, NULL), "can_intake",
				  authz_allows(p, PERM_INTAKE, NULL)));
	}
	if (!req->lang[0])
		http_resolve_lang(req); /* a response before dispatch resolved it */
	int en = strcmp(req->lang, "en") == 0;
	json_object_set_new(d, "lang", json_string(req->lang));
	json_object_set_new(d, "lang_is_en", json_boolean(en));
	json_t *t = i18n_t(req->srv->i18n, req->lang);
	if (t)
		json_object_set(d, "t", t); /* shared and immutable: a reference */
	char *href = lang_switch_href(req, en ? "ja" : "en");
	json_object_set_new(d, "lang_switch",
			    json_pack("{s:s, s:s, s:s}", "href", href, "lang", en ? "ja" : "en",
				      "name", en ? "日本語" : "English"));
	free(href);
	return d;
}

void http_resolve_lang(struct request *req)
{
	const char *lang = i18n_lang_code(http_query(req, "lang"));
	if (lang) {
		http_set_cookie(req, LANG_COOKIE, lang, LANG_COOKIE_MAX_AGE);
	} else {
		lang = i18n_lang_code(http_cookie(req, LANG_COOKIE));
		if (!lang && req->sess)
			lang = i18n_lang_code(req->sess->lang);
		if (!lang)
			lang = i18n_accept_language(http_header(req, "Accept-Language"));
	}
	snprintf(req->lang, sizeof req->lang, "%s", lang);
}

int http_json(struct request *req, unsigned status, json_t *data)
{
	if (lost_refusal(status)) {
		json_decref(data);
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	char *s = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(data);
	if (!s)
		return -1;
	int rc = http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	return rc;
}

int http_json_error(struct request *req, unsigned status, const char *message)
{
	return http_json(req, status, json_pack("{s:s}", "error", message));
}

int http_is_api(const struct request *req)
{
	return strncmp(req->path, "/api/", 5) == 0;
}

json_t *http_label(struct request *req, const char *key)
{
	if (!req->lang[0])
		http_resolve_lang(req);
	const char *s = json_string_value(
		json_object_get(json_object_get(i18n_t(req->srv->i18n, req->lang), key), "main"));
	return json_string(s ? s : key);
}

json_t *http_msg(struct request *req, const json_t *msg)
{
	if (!req->lang[0])
		http_resolve_lang(req);
	return i18n_render(req->srv->i18n, req->lang, msg);
}

void http_msgs(struct request *req, json_t *msgs)
{
	if (!req->lang[0])
		http_resolve_lang(req);
	i18n_render_all(req->srv->i18n, req->lang, msgs);
}

int http_csv(struct request *req, unsigned status, const char *filename, const buf *body)
{
	static const char bom[] = "\xEF\xBB\xBF";
	size_t blen = body ? body->len : 0;
	buf all = BUF_INIT;
	buf_grow(&all, blen + 4);
	buf_append(&all, bom, 3);
	if (blen)
		buf_append(&all, body->data, blen);
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		all.len, (void *)(uintptr_t)all.data, MHD_RESPMEM_MUST_COPY);
	size_t total = all.len;
	buf_release(&all);
	if (!resp)
		return -1;
	char name[128];
	csv_safe_filename(name, sizeof name, filename);
	char disp[200];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name);
	MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return http_queue(req, status, resp, total);
}
