/* A small HTTP client for the end-to-end tests: one request with a form body
 * and cookies, the status, headers and body captured. */
#ifndef SOKUHO_TEST_CLIENT_H
#define SOKUHO_TEST_CLIENT_H

#include "core/buf.h"

struct resp {
	long status;
	buf body;
	buf headers;
};

/* Sends METHOD path to 127.0.0.1:port. form (urlencoded, may be NULL) is sent
 * as the body; cookie ("a=b; c=d", may be NULL) as the Cookie header. */
void client_request(int port, const char *method, const char *path, const char *form,
		    const char *cookie, struct resp *r);
/* The same with one extra request header ("Name: value", may be NULL). */
void client_request_h(int port, const char *method, const char *path, const char *form,
		      const char *cookie, const char *header, struct resp *r);
void resp_release(struct resp *r);
/* POSTs multipart/form-data: fields is a NULL-terminated list of name,
 * value pairs; when file_name is not NULL one file (file_len bytes of
 * file_data) goes in field "evidence". */
void client_multipart(int port, const char *path, const char *cookie, const char *const *fields,
		      const char *file_name, const char *file_data, size_t file_len, struct resp *r);
/* Sends a JSON body with the given extra header (may be NULL). */
void client_json(int port, const char *method, const char *path, const char *cookie,
		 const char *header, const char *json, struct resp *r);
/* The value a Set-Cookie header of the response gives name, or NULL
 * (caller frees). */
char *resp_cookie(const struct resp *r, const char *name);
/* The whole Set-Cookie line for name, or NULL (caller frees). */
char *resp_cookie_line(const struct resp *r, const char *name);
/* The value of a hidden input named name in the body, or NULL (caller frees). */
char *resp_hidden(const struct resp *r, const char *name);
/* URL-encodes s into a new string (caller frees). */
char *client_escape(const char *s);

/* Signs in through the login form; returns "sokuho_session=..." for the
 * Cookie header, or NULL when refused (caller frees). */
char *client_sign_in(int port, const char *login, const char *password);
/* Signs a demo person in (the demo password; see src/org/demo.h) and fails
 * the test when refused; returns the Cookie header value (caller frees). */
char *client_sign_in_demo(int port, const char *login);
/* GETs path and returns the page's CSRF token (caller frees); fails the
 * test unless the page is 200 with a token. */
char *client_page_csrf(int port, const char *path, const char *cookie);
/* POSTs fields (urlencoded, without csrf) to page as cookie, with the CSRF
 * token of a fresh GET of page; returns the status. */
long client_post_page(int port, const char *page, const char *cookie, const char *fields);

#endif
